//! The REST API under `/api/v1`: JSON in and out, errors as [`crate::error::ErrorBody`],
//! lists paginated (`limit`, at most 500, and `offset`). Each handler carries its OpenAPI
//! description; `/api/v1/openapi.json` is generated from them.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Json;
use onus_audit::conditions::ConditionResult;
use onus_model::PartyKind;
use onus_store::evidence::{
    Attestation, Audit, EvidenceKind, NewAttestation, NewAudit, SharedItem, StatusPoint,
};
use onus_store::identity::{TokenInfo, User};
use onus_store::log::LogEntry;
use onus_store::models::{ModelInfo, NewVersion, Notice, Subscription, VersionBody, VersionInfo};
use onus_store::{OrgKind, OrgRef, Page, Principal, Role};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{self, ApiAuth, Auth};
use crate::cache::{Joined, Source};
use crate::domain;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::views::{Context, ObligationView};
use crate::App;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "onus portal API",
        description = "Shared-responsibility models between a provider and its customers: organisations, published models, subscriptions, obligations, evidence and the hash-chained log. Errors are `{\"error\": {\"code\", \"message\", \"field\"}}` with stable codes.",
        license(name = "Apache-2.0")
    ),
    modifiers(&Security),
    tags((name = "auth"), (name = "orgs"), (name = "models"), (name = "obligations"), (name = "evidence"), (name = "log"), (name = "events"), (name = "notifications"), (name = "reversibility"))
)]
struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let c = openapi.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API token (`onus_...`), scoped to one organisation",
                    ))
                    .build(),
            ),
        );
        c.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                auth::SESSION_COOKIE,
                "The session cookie set by sign-in; changes also need the `X-CSRF-Token` header",
            ))),
        );
    }
}

/// The API's routes with their OpenAPI descriptions.
pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(list_orgs, create_org))
        .routes(routes!(get_org))
        .routes(routes!(list_users, create_user))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(list_models, publish_model))
        .routes(routes!(get_model))
        .routes(routes!(get_version))
        .routes(routes!(catalog))
        .routes(routes!(list_subscriptions, subscribe))
        .routes(routes!(provider_obligations))
        .routes(routes!(list_notices))
        .routes(routes!(acknowledge))
        .routes(routes!(list_obligations))
        .routes(routes!(get_obligation, update_obligation))
        .routes(routes!(list_audits, upload_audit))
        .routes(routes!(get_audit))
        .routes(routes!(share_audit))
        .routes(routes!(list_attestations, add_attestations))
        .routes(routes!(share_attestation))
        .routes(routes!(shared))
        .routes(routes!(download_file))
        .routes(routes!(log))
        .routes(routes!(history))
        .merge(crate::leaving::routes(OpenApiRouter::new()))
        .merge(crate::events_api::routes(OpenApiRouter::new()))
}

/// The OpenAPI document, as served.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = router().split_for_parts().1;
    crate::api_errors::declare(&mut doc);
    doc
}

/// Adds `/api/v1/openapi.json` to the API's routes.
pub fn with_document(r: axum::Router<App>, mut doc: utoipa::openapi::OpenApi) -> axum::Router<App> {
    crate::api_errors::declare(&mut doc);
    let doc = Arc::new(doc);
    r.route(
        "/api/v1/openapi.json",
        get(move || {
            let doc = doc.clone();
            async move { Json(doc.as_ref().clone()) }
        }),
    )
}

// ---------------------------------------------------------------------------------------------
// Extractors and shapes

/// A JSON body whose rejections are JSON errors naming what is wrong.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned> FromRequest<App> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, app: &App) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, app)
            .await
            .map_err(|e| ApiError::too_large(e.body_text()))?;
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(&mut de)
            .map(Body)
            .map_err(|e| {
                let path = e.path().to_string();
                let field = if path == "." {
                    "body".to_string()
                } else {
                    path
                };
                ApiError::invalid(&field, format!("{}", e.inner())).field(field.clone())
            })
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct Paging {
    /// Items per page (1 to 500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Items to skip.
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

impl Paging {
    pub fn page(&self) -> ApiResult<Page> {
        let limit = self.limit.unwrap_or(50);
        let offset = self.offset.unwrap_or(0);
        if !(1..=500).contains(&limit) {
            return Err(ApiError::invalid("limit", "between 1 and 500"));
        }
        if offset < 0 {
            return Err(ApiError::invalid("offset", "0 or more"));
        }
        Ok(Page { limit, offset })
    }
}

/// A page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub limit: i64,
    pub offset: i64,
    /// The offset of the next page, when there may be one.
    pub next_offset: Option<i64>,
}

impl<T> Paged<T> {
    pub(crate) fn of(items: Vec<T>, page: Page) -> Self {
        let full = i64::try_from(items.len()).unwrap_or(i64::MAX) >= page.limit;
        Paged {
            items,
            limit: page.limit,
            offset: page.offset,
            // No next page past the last offset there can be (`?offset=` near i64::MAX).
            next_offset: full.then(|| page.offset.checked_add(page.limit)).flatten(),
        }
    }

    /// A page cut from a whole list computed in memory.
    fn slice(all: Vec<T>, page: Page) -> Self {
        let start = usize::try_from(page.offset).unwrap_or(usize::MAX);
        let n = usize::try_from(page.limit).unwrap_or(50);
        let total = all.len();
        let items: Vec<T> = all.into_iter().skip(start).take(n).collect();
        Paged {
            items,
            limit: page.limit,
            offset: page.offset,
            next_offset: (start.saturating_add(n) < total)
                .then(|| page.offset.checked_add(page.limit))
                .flatten(),
        }
    }
}

/// The organisation named in the path, if the caller may know of it.
pub async fn org(app: &App, p: &Principal, slug: &str) -> ApiResult<OrgRef> {
    Ok(app.store.org_by_slug(p, slug).await?)
}

fn lang_of(p: &Principal) -> String {
    p.lang.clone().unwrap_or_else(|| "en".into())
}

// ---------------------------------------------------------------------------------------------
// Authentication

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// Who is signed in.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub instance_admin: bool,
    pub org: Option<OrgRef>,
    pub lang: Option<String>,
    /// Set when acting through an API token.
    pub token_id: Option<String>,
}

impl From<&Principal> for Me {
    fn from(p: &Principal) -> Me {
        Me {
            user_id: p.user_id.clone(),
            name: p.name.clone(),
            email: p.email.clone(),
            role: p.role,
            instance_admin: p.instance_admin,
            org: p.org.clone(),
            lang: p.lang.clone(),
            token_id: p.token_id.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    pub me: Me,
    /// Send it as `X-CSRF-Token` with every change made with the session cookie.
    pub csrf_token: String,
}

/// Sign in: sets the session cookie.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn login(
    State(app): State<App>,
    auth::ClientIp(ip): auth::ClientIp,
    Body(req): Body<LoginRequest>,
) -> ApiResult<Response> {
    let session = auth::sign_in(&app, &ip, &req.email, &req.password).await?;
    let (p, csrf) = app
        .store
        .session(&session.id)
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    let cookie = auth::set_cookie(
        &app,
        auth::SESSION_COOKIE,
        &session.id,
        app.config.session_hours * 3600,
    );
    Ok((
        [(header::SET_COOKIE, cookie)],
        Json(LoginResponse {
            me: Me::from(&p),
            csrf_token: csrf,
        }),
    )
        .into_response())
}

/// Sign out: ends the session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204)))]
async fn logout(State(app): State<App>, ApiAuth(a): ApiAuth) -> ApiResult<Response> {
    if let Some((id, _)) = &a.session {
        app.store.end_session(&a.p, id).await?;
    }
    let cookie = auth::set_cookie(&app, auth::SESSION_COOKIE, "", 0);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}

/// The caller.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses((status = 200, body = Me), (status = 401, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
async fn me(ApiAuth(a): ApiAuth) -> Json<Me> {
    Json(Me::from(&a.p))
}

// ---------------------------------------------------------------------------------------------
// Organisations, users, tokens

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewAdmin {
    pub email: String,
    pub name: String,
    /// At least 12 characters; omitted: a one-time password is generated and returned.
    pub password: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateOrg {
    /// Lowercase letters, digits and dashes (`shop-sas`): used in URLs.
    pub slug: String,
    pub name: String,
    pub kind: OrgKind,
    /// The organisation's first admin.
    pub admin: Option<NewAdmin>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedOrg {
    pub org: OrgRef,
    pub admin: Option<User>,
    /// The admin's generated password, shown once.
    pub password: Option<String>,
}

/// The organisations the caller may know of.
#[utoipa::path(get, path = "/api/v1/orgs", tag = "orgs", responses((status = 200, body = Vec<OrgRef>)), security(("token" = []), ("session" = [])))]
async fn list_orgs(State(app): State<App>, ApiAuth(a): ApiAuth) -> ApiResult<Json<Vec<OrgRef>>> {
    Ok(Json(app.store.list_orgs(&a.p).await?))
}

/// Creates an organisation and, optionally, its first admin (instance administrator).
#[utoipa::path(post, path = "/api/v1/orgs", tag = "orgs", request_body = CreateOrg,
    responses((status = 201, body = CreatedOrg), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = [])))]
async fn create_org(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Body(req): Body<CreateOrg>,
) -> ApiResult<(StatusCode, Json<CreatedOrg>)> {
    a.p.instance_admin()?;
    if let Some(admin) = &req.admin {
        if let Some(pw) = &admin.password {
            auth::check_password("admin.password", pw)?;
        }
    }
    let org = app
        .store
        .create_org(&a.p, &req.slug, &req.name, req.kind)
        .await?;
    let (admin, password) = match req.admin {
        None => (None, None),
        Some(n) => {
            let (pw, generated) = match n.password {
                Some(pw) => (pw, false),
                None => (auth::generate_password(), true),
            };
            let user = app
                .store
                .create_user(
                    &a.p,
                    &org.id,
                    &n.email,
                    &n.name,
                    Role::Admin,
                    &auth::hash_password(&pw)?,
                )
                .await
                .map_err(|e| ApiError::from(e).field("admin.email"))?;
            (Some(user), generated.then_some(pw))
        }
    };
    Ok((
        StatusCode::CREATED,
        Json(CreatedOrg {
            org,
            admin,
            password,
        }),
    ))
}

/// One organisation.
#[utoipa::path(get, path = "/api/v1/orgs/{org}", tag = "orgs", params(("org" = String, Path, description = "The organisation's slug")),
    responses((status = 200, body = OrgRef), (status = 404, body = ErrorBody)), security(("token" = []), ("session" = [])))]
async fn get_org(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path(slug): Path<String>,
) -> ApiResult<Json<OrgRef>> {
    Ok(Json(org(&app, &a.p, &slug).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    /// At least 12 characters; omitted: a one-time password is generated and returned.
    pub password: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedUser {
    pub user: User,
    /// The generated password, shown once.
    pub password: Option<String>,
}

/// The organisation's users.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/users", tag = "orgs", params(("org" = String, Path)),
    responses((status = 200, body = Vec<User>), (status = 404, body = ErrorBody)), security(("token" = []), ("session" = [])))]
async fn list_users(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path(slug): Path<String>,
) -> ApiResult<Json<Vec<User>>> {
    let o = org(&app, &a.p, &slug).await?;
    Ok(Json(app.store.list_users(&a.p, &o.id).await?))
}

/// Adds a user to the organisation (its admins; the instance administrator).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/users", tag = "orgs", params(("org" = String, Path)), request_body = CreateUser,
    responses((status = 201, body = CreatedUser), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
async fn create_user(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path(slug): Path<String>,
    Body(req): Body<CreateUser>,
) -> ApiResult<(StatusCode, Json<CreatedUser>)> {
    let o = org(&app, &a.p, &slug).await?;
    let created = add_user(
        &app,
        &a.p,
        &o,
        &req.email,
        &req.name,
        req.role,
        req.password,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

pub(crate) async fn add_user(
    app: &App,
    p: &Principal,
    o: &OrgRef,
    email: &str,
    name: &str,
    role: Role,
    password: Option<String>,
) -> ApiResult<CreatedUser> {
    if !p.instance_admin {
        p.admin(&o.id)?;
    }
    let (pw, generated) = match password.filter(|p| !p.is_empty()) {
        Some(pw) => {
            auth::check_password("password", &pw)?;
            (pw, false)
        }
        None => (auth::generate_password(), true),
    };
    let user = app
        .store
        .create_user(p, &o.id, email, name, role, &auth::hash_password(&pw)?)
        .await?;
    Ok(CreatedUser {
        user,
        password: generated.then_some(pw),
    })
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateToken {
    pub name: String,
    /// At most the creator's role; default `member`.
    pub role: Option<Role>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    /// The token, shown once: send it as `Authorization: Bearer <token>`.
    pub token: String,
    pub info: TokenInfo,
}

/// The organisation's API tokens (without their secrets).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/tokens", tag = "orgs", params(("org" = String, Path), Paging),
    responses((status = 200, body = Paged<TokenInfo>)), security(("token" = []), ("session" = [])))]
async fn list_tokens(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path(slug): Path<String>,
    Query(pg): Query<Paging>,
) -> ApiResult<Json<Paged<TokenInfo>>> {
    let o = org(&app, &a.p, &slug).await?;
    let page = pg.page()?;
    Ok(Json(Paged::of(
        app.store.list_tokens(&a.p, &o.id, page).await?,
        page,
    )))
}

/// Creates an API token acting for the organisation.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/tokens", tag = "orgs", params(("org" = String, Path)), request_body = CreateToken,
    responses((status = 201, body = CreatedToken), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("session" = [])))]
async fn create_token(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path(slug): Path<String>,
    Body(req): Body<CreateToken>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    let o = org(&app, &a.p, &slug).await?;
    let (token, info) = app
        .store
        .create_token(&a.p, &o.id, &req.name, req.role.unwrap_or(Role::Member))
        .await?;
    Ok((StatusCode::CREATED, Json(CreatedToken { token, info })))
}

/// Revokes an API token.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/tokens/{id}", tag = "orgs", params(("org" = String, Path), ("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("token" = []), ("session" = [])))]
async fn revoke_token(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let o = org(&app, &a.p, &slug).await?;
    app.store.revoke_token(&a.p, &o.id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------------------------
// Models

#[derive(Debug, Serialize, ToSchema)]
pub struct Published {
    pub version: VersionInfo,
    /// The validator's findings (warnings, notes), each located.
    #[schema(value_type = Object)]
    pub findings: serde_json::Value,
}

/// A provider's published models (readable by every signed-in user).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/models", tag = "models", params(("org" = String, Path), Paging),
    responses((status = 200, body = Paged<ModelInfo>)), security(("token" = []), ("session" = [])))]
async fn list_models(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path(slug): Path<String>,
    Query(pg): Query<Paging>,
) -> ApiResult<Json<Paged<ModelInfo>>> {
    let o = org(&app, &a.p, &slug).await?;
    let page = pg.page()?;
    Ok(Json(Paged::slice(
        app.store.models_of(&a.p, &o.id).await?,
        page,
    )))
}

/// Publishes a version of a model: the body is the model's YAML (or JSON), loaded and
/// validated as `onus validate` does. Errors refuse the publication (422, with every finding
/// located); a published version never changes (409 for an existing `version`).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/models", tag = "models", params(("org" = String, Path)),
    request_body(content = String, content_type = "application/yaml", description = "The model file"),
    responses((status = 201, body = Published), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
async fn publish_model(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path(slug): Path<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Published>)> {
    let o = org(&app, &a.p, &slug).await?;
    let text = std::str::from_utf8(&body)
        .map_err(|e| ApiError::invalid("body", format!("not UTF-8: {e}")))?;
    let published = publish(&app, &a.p, &o, text).await?;
    Ok((StatusCode::CREATED, Json(published)))
}

pub(crate) async fn publish(
    app: &App,
    p: &Principal,
    o: &OrgRef,
    text: &str,
) -> ApiResult<Published> {
    p.write(&o.id)?;
    p.org_of_kind(&o.id, OrgKind::Provider)?;
    let (model, findings) = domain::load("model.yaml", text)?;
    // The provider's duties on its own cluster, as its latest audit of the model found it.
    let conditions = match app
        .contexts(p, o)
        .await?
        .into_iter()
        .find(|c| c.model_id == model.id)
    {
        Some(ctx) => app.own_joined(p, o, &ctx).await?.conditions.clone(),
        None => Vec::new(),
    };
    let provider_duties = domain::duties_on(&model, PartyKind::Provider, &conditions)
        .map_err(|e| ApiError::invalid("parties", e))?;
    domain::duties(&model, PartyKind::Customer).map_err(|e| ApiError::invalid("parties", e))?;
    let new = model.clone();
    let diff = move |old: &VersionBody| -> Result<onus_store::models::NoticeDiff, String> {
        let old = app.model_of(old)?;
        Ok(domain::notice(&old, &new))
    };
    let version = app
        .store
        .publish_version(
            p,
            &o.id,
            NewVersion {
                model_id: &model.id,
                title: model.title.best(&model.language),
                version: &model.version,
                body: text,
                findings: findings.clone(),
                provider_duties,
            },
            &diff,
        )
        .await?;
    Ok(Published { version, findings })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ModelDetail {
    pub model: ModelInfo,
    /// Newest first.
    pub versions: Vec<VersionInfo>,
}

async fn model_named(app: &App, p: &Principal, o: &OrgRef, model_id: &str) -> ApiResult<ModelInfo> {
    app.store
        .models_of(p, &o.id)
        .await?
        .into_iter()
        .find(|m| m.model_id == model_id)
        .ok_or_else(|| ApiError::not_found("model"))
}

/// A model and its versions.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/models/{model}", tag = "models", params(("org" = String, Path), ("model" = String, Path, description = "The model's id")),
    responses((status = 200, body = ModelDetail), (status = 404, body = ErrorBody)), security(("token" = []), ("session" = [])))]
async fn get_model(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path((slug, model_id)): Path<(String, String)>,
) -> ApiResult<Json<ModelDetail>> {
    let o = org(&app, &a.p, &slug).await?;
    let model = model_named(&app, &a.p, &o, &model_id).await?;
    let versions = app.store.versions(&a.p, &model.pk).await?;
    Ok(Json(ModelDetail { model, versions }))
}

/// A published version: its YAML body and findings.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/models/{model}/versions/{version}", tag = "models",
    params(("org" = String, Path), ("model" = String, Path), ("version" = String, Path, description = "The model's `version`")),
    responses((status = 200, body = VersionBody), (status = 404, body = ErrorBody)), security(("token" = []), ("session" = [])))]
async fn get_version(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path((slug, model_id, version)): Path<(String, String, String)>,
) -> ApiResult<Json<VersionBody>> {
    let o = org(&app, &a.p, &slug).await?;
    let model = model_named(&app, &a.p, &o, &model_id).await?;
    let v = app
        .store
        .versions(&a.p, &model.pk)
        .await?
        .into_iter()
        .find(|v| v.version == version)
        .ok_or_else(|| ApiError::not_found("version"))?;
    Ok(Json(app.store.version(&a.p, &v.id).await?))
}

/// Every published model of the instance (what customers may subscribe to).
#[utoipa::path(get, path = "/api/v1/models", tag = "models", responses((status = 200, body = Vec<ModelInfo>)), security(("token" = []), ("session" = [])))]
async fn catalog(State(app): State<App>, ApiAuth(a): ApiAuth) -> ApiResult<Json<Vec<ModelInfo>>> {
    Ok(Json(app.store.all_models(&a.p).await?))
}

// ---------------------------------------------------------------------------------------------
// Subscriptions and notices

#[derive(Debug, Deserialize, ToSchema)]
pub struct Subscribe {
    /// The provider organisation's slug.
    pub provider: String,
    /// The model's id.
    pub model: String,
}

/// A customer's subscriptions; for a provider, the subscriptions to its models.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/subscriptions", tag = "models", params(("org" = String, Path), Paging),
    responses((status = 200, body = Paged<Subscription>)), security(("token" = []), ("session" = [])))]
async fn list_subscriptions(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path(slug): Path<String>,
    Query(pg): Query<Paging>,
) -> ApiResult<Json<Paged<Subscription>>> {
    let o = org(&app, &a.p, &slug).await?;
    let page = pg.page()?;
    let list = match o.kind {
        OrgKind::Customer => app.store.subscriptions(&a.p, &o.id).await?,
        OrgKind::Provider => app.store.subscribers(&a.p, &o.id).await?,
    };
    Ok(Json(Paged::slice(list, page)))
}

/// Subscribes the customer organisation to a model's latest version: its obligations (every
/// activity where it holds R or A) are created.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/subscriptions", tag = "models", params(("org" = String, Path)), request_body = Subscribe,
    responses((status = 201, body = Subscription), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
async fn subscribe(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path(slug): Path<String>,
    Body(req): Body<Subscribe>,
) -> ApiResult<(StatusCode, Json<Subscription>)> {
    let o = org(&app, &a.p, &slug).await?;
    let s = subscribe_to(&app, &a.p, &o, &req.provider, &req.model).await?;
    Ok((StatusCode::CREATED, Json(s)))
}

/// The customer's duties in a version, for the store to turn into obligations: on the
/// customer's cluster, as its latest audit of the model found it (`conditions`, by model).
fn customer_duties(
    app: &App,
    conditions: HashMap<String, Vec<ConditionResult>>,
) -> impl Fn(&VersionBody) -> Result<Vec<onus_store::models::Duty>, String> + Sync + '_ {
    move |v| {
        let m = app.model_of(v)?;
        let c = conditions
            .get(&v.info.model_pk)
            .map_or(&[][..], Vec::as_slice);
        domain::duties_on(&m, PartyKind::Customer, c)
    }
}

/// What the conditions of the organisation's latest audit of each model gave, by model.
pub(crate) async fn conditions_by_model(
    app: &App,
    p: &Principal,
    o: &OrgRef,
) -> ApiResult<HashMap<String, Vec<ConditionResult>>> {
    let mut out = HashMap::new();
    for ctx in app.contexts(p, o).await? {
        let joined = app.own_joined(p, o, &ctx).await?;
        out.insert(ctx.model_pk.clone(), joined.conditions.clone());
    }
    Ok(out)
}

pub(crate) async fn subscribe_to(
    app: &App,
    p: &Principal,
    o: &OrgRef,
    provider: &str,
    model_id: &str,
) -> ApiResult<Subscription> {
    p.write(&o.id)?;
    let prov = app
        .store
        .org_by_slug(p, provider)
        .await
        .map_err(|e| ApiError::from(e).field("provider"))?;
    let model = model_named(app, p, &prov, model_id)
        .await
        .map_err(|e| e.field("model"))?;
    let duties = customer_duties(app, conditions_by_model(app, p, o).await?);
    Ok(app.store.subscribe(p, &o.id, &model.pk, &duties).await?)
}

/// The provider's obligations under a subscription, with the evidence it published.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/subscriptions/{id}/provider-obligations", tag = "obligations",
    params(("org" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = Vec<ObligationView>), (status = 404, body = ErrorBody)), security(("token" = []), ("session" = [])))]
async fn provider_obligations(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<Json<Vec<ObligationView>>> {
    let o = org(&app, &a.p, &slug).await?;
    let s = app.store.subscription(&a.p, &o.id, &id).await?;
    Ok(Json(
        app.provider_views(&a.p, &o, &s, &lang_of(&a.p)).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct NoticeFilter {
    /// Only those not yet acknowledged.
    pub pending: Option<bool>,
}

/// Newer versions of subscribed models, with their diff against the subscribed version.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/notices", tag = "models", params(("org" = String, Path), NoticeFilter),
    responses((status = 200, body = Vec<Notice>)), security(("token" = []), ("session" = [])))]
async fn list_notices(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path(slug): Path<String>,
    Query(f): Query<NoticeFilter>,
) -> ApiResult<Json<Vec<Notice>>> {
    let o = org(&app, &a.p, &slug).await?;
    Ok(Json(
        app.store
            .notices(&a.p, &o.id, f.pending.unwrap_or(false))
            .await?,
    ))
}

/// Acknowledges a new version: the subscription moves to it and obligations follow.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/notices/{id}/acknowledge", tag = "models", params(("org" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = Notice), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("token" = []), ("session" = [])))]
async fn acknowledge(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<Json<Notice>> {
    let o = org(&app, &a.p, &slug).await?;
    Ok(Json(acknowledge_notice(&app, &a.p, &o, &id).await?))
}

pub(crate) async fn acknowledge_notice(
    app: &App,
    p: &Principal,
    o: &OrgRef,
    id: &str,
) -> ApiResult<Notice> {
    let duties = customer_duties(app, conditions_by_model(app, p, o).await?);
    Ok(app.store.acknowledge(p, &o.id, id, &duties).await?)
}

// ---------------------------------------------------------------------------------------------
// Obligations

#[derive(Debug, Deserialize, IntoParams)]
pub struct ObligationFilter {
    /// `passing`, `failing`, `attested`, `overdue` or `unknown`.
    pub status: Option<String>,
    /// A model id.
    pub model: Option<String>,
    /// Items per page (1 to 500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Items to skip.
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

/// The organisation's obligations, each with its status computed as `onus audit` computes it.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/obligations", tag = "obligations", params(("org" = String, Path), ObligationFilter),
    responses((status = 200, body = Paged<ObligationView>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
async fn list_obligations(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path(slug): Path<String>,
    Query(f): Query<ObligationFilter>,
) -> ApiResult<Response> {
    let o = org(&app, &a.p, &slug).await?;
    let page = Paging {
        limit: f.limit,
        offset: f.offset,
    }
    .page()?;
    let status = match &f.status {
        None => None,
        Some(s) => Some(domain::Status::parse(s).ok_or_else(|| {
            ApiError::invalid(
                "status",
                "one of passing, failing, attested, overdue, unknown",
            )
        })?),
    };
    // A read-only handler: the revision its authentication read keys the views.
    let all = app
        .org_views_at(&a.p, &o, &lang_of(&a.p), a.revision)
        .await?;
    let views: Vec<&ObligationView> = all
        .views
        .iter()
        .filter(|v| status.is_none_or(|s| v.status == s))
        .filter(|v| f.model.as_ref().is_none_or(|m| &v.model_id == m))
        .collect();
    Ok(Json(Paged::slice(views, page)).into_response())
}

/// One obligation and its evidence.
#[derive(Debug, Serialize, ToSchema)]
pub struct ObligationDetail {
    pub obligation: ObligationView,
    /// Attestations of this activity, oldest first.
    pub attestations: Vec<Attestation>,
    /// Audit runs of the model, newest first, with this duty's status in each.
    pub audits: Vec<AuditStatus>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditStatus {
    pub audit: Audit,
    /// The duty's status in that run (the CLI's words).
    pub duty_status: String,
}

pub(crate) async fn obligation_detail(
    app: &App,
    p: &Principal,
    o: &OrgRef,
    id: &str,
) -> ApiResult<ObligationDetail> {
    let ob = app.store.obligation(p, &o.id, id).await?;
    let lang = lang_of(p);
    let view = app
        .obligation_views(p, o, &lang)
        .await?
        .into_iter()
        .find(|v| v.id == ob.id)
        .ok_or_else(|| ApiError::not_found("obligation"))?;
    let attestations: Vec<Attestation> = app
        .store
        .attestations(p, &o.id, Some(&ob.model_pk))
        .await?
        .into_iter()
        .filter(|a| a.activity_id == ob.activity_id)
        .collect();
    let ctx = app
        .contexts(p, o)
        .await?
        .into_iter()
        .find(|c| c.model_pk == ob.model_pk);
    let mut audits = Vec::new();
    if let Some(ctx) = ctx {
        let set = app.store.evidence_meta(p, &o.id, &ob.model_pk).await?;
        for summary in app
            .store
            .audits(
                p,
                &o.id,
                Some(&ob.model_pk),
                Page {
                    limit: 20,
                    offset: 0,
                },
            )
            .await?
        {
            let one = onus_store::evidence::EvidenceSet {
                latest_audit: Some(summary.clone()),
                attestations: set.attestations.clone(),
            };
            let joined = app
                .joined(
                    p,
                    &ctx.model,
                    &ctx.version_id,
                    &one,
                    Source::Own(&o.id),
                    None,
                )
                .await?;
            let status = joined
                .duties(&ob.party_id)
                .get(ob.activity_id.as_str())
                .map_or("needs-attestation", |d| d.status.as_str())
                .to_string();
            audits.push(AuditStatus {
                audit: summary,
                duty_status: status,
            });
        }
    }
    Ok(ObligationDetail {
        obligation: view,
        attestations,
        audits,
    })
}

/// One obligation with its evidence history.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/obligations/{id}", tag = "obligations", params(("org" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = ObligationDetail), (status = 404, body = ErrorBody)), security(("token" = []), ("session" = [])))]
async fn get_obligation(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<Json<ObligationDetail>> {
    let o = org(&app, &a.p, &slug).await?;
    Ok(Json(obligation_detail(&app, &a.p, &o, &id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateObligation {
    /// A user or a team inside the organisation; empty clears it.
    pub owner: Option<String>,
    pub notes: Option<String>,
}

/// Sets who carries an obligation, and its notes.
#[utoipa::path(patch, path = "/api/v1/orgs/{org}/obligations/{id}", tag = "obligations", params(("org" = String, Path), ("id" = String, Path)),
    request_body = UpdateObligation, responses((status = 200, body = ObligationDetail), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
async fn update_obligation(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path((slug, id)): Path<(String, String)>,
    Body(req): Body<UpdateObligation>,
) -> ApiResult<Json<ObligationDetail>> {
    let o = org(&app, &a.p, &slug).await?;
    app.store
        .update_obligation(&a.p, &o.id, &id, req.owner.as_deref(), req.notes.as_deref())
        .await?;
    Ok(Json(obligation_detail(&app, &a.p, &o, &id).await?))
}

// ---------------------------------------------------------------------------------------------
// Evidence

#[derive(Debug, Deserialize, IntoParams)]
pub struct EvidenceTarget {
    /// The provider's slug, when several providers publish the model's id.
    pub provider: Option<String>,
    /// The model's id (attestation files; audits name theirs).
    pub model: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Uploaded {
    pub audit: Audit,
    pub model: String,
    pub version: String,
    /// The organisation's duties by status after this upload.
    #[schema(value_type = Object)]
    pub counts: serde_json::Value,
}

/// The organisation's audit runs, newest first.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/audits", tag = "evidence", params(("org" = String, Path), Paging),
    responses((status = 200, body = Paged<Audit>)), security(("token" = []), ("session" = [])))]
async fn list_audits(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path(slug): Path<String>,
    Query(pg): Query<Paging>,
) -> ApiResult<Json<Paged<Audit>>> {
    let o = org(&app, &a.p, &slug).await?;
    let page = pg.page()?;
    Ok(Json(Paged::of(
        app.store.audits(&a.p, &o.id, None, page).await?,
        page,
    )))
}

/// Uploads an audit run: the JSON `onus audit -o json` writes (format `onus.audit/v1`), as
/// `onus audit --push` sends it. Its check results are joined to the subscribed version of
/// the model it names, by the code the CLI uses.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/audits", tag = "evidence", params(("org" = String, Path), EvidenceTarget),
    request_body(content = Object, description = "An `onus.audit/v1` report"),
    responses((status = 201, body = Uploaded), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
async fn upload_audit(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path(slug): Path<String>,
    Query(t): Query<EvidenceTarget>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Uploaded>)> {
    let o = org(&app, &a.p, &slug).await?;
    Ok((
        StatusCode::CREATED,
        Json(ingest_audit(&app, &a.p, &o, t.provider.as_deref(), "audit.json", &body).await?),
    ))
}

pub(crate) async fn ingest_audit(
    app: &App,
    p: &Principal,
    o: &OrgRef,
    provider: Option<&str>,
    name: &str,
    body: &[u8],
) -> ApiResult<Uploaded> {
    p.write(&o.id)?;
    // Parsed once, off the async workers (a 100,000-object report is tens of MB); what the
    // join needs again is stored, and kept parsed in memory for the requests that follow.
    let bytes = body.to_vec();
    let report = tokio::task::spawn_blocking(move || domain::parse_report(&bytes))
        .await
        .map_err(ApiError::internal)??;
    let ctx = app.context_for(p, o, &report.model.id, provider).await?;
    let problems = serde_json::to_value(&report.problems).unwrap_or_default();
    let inputs = serde_json::to_value(&report.inputs).unwrap_or_default();
    let (objects, k8s_latest, ran_at) = (
        report.objects,
        report.k8s_latest.clone(),
        report.now.clone(),
    );
    let run = Arc::new(domain::StoredRun::of(report));
    // The statuses with the attestations as they are now, joined before the write (which
    // serialises writers): inside it, they are reused unless attestations changed meanwhile.
    let before = app.store.evidence_meta(p, &o.id, &ctx.model_pk).await?;
    let (pre, results) = {
        let (run, model, atts) = (run.clone(), ctx.model.clone(), before.attestations.clone());
        let (problems, inputs, k8s, ran) = (
            problems.clone(),
            inputs.clone(),
            k8s_latest.clone(),
            ran_at.clone(),
        );
        tokio::task::spawn_blocking(move || {
            let set = onus_store::evidence::EvidenceSet {
                latest_audit: Some(onus_store::evidence::Audit {
                    id: String::new(),
                    org_id: String::new(),
                    model_pk: String::new(),
                    file_id: String::new(),
                    results: None,
                    problems,
                    inputs,
                    objects: i64::try_from(objects).unwrap_or(i64::MAX),
                    k8s_latest: k8s,
                    ran_at: ran,
                    uploaded_at: String::new(),
                    uploaded_by: String::new(),
                    shared: false,
                }),
                attestations: atts,
            };
            let joined = joined_now(&model, &set, Some(&run));
            serde_json::to_string(&*run)
                .map(|text| (joined, text))
                .map_err(ApiError::internal)
        })
        .await
        .map_err(ApiError::internal)??
    };
    let pre_ids: Vec<String> = before.attestations.iter().map(|a| a.id.clone()).collect();
    let kept: std::sync::Mutex<Option<(onus_store::evidence::EvidenceSet, Arc<Joined>)>> =
        std::sync::Mutex::new(None);
    let effects = |set: &onus_store::evidence::EvidenceSet,
                   added: Option<&str>|
     -> Result<onus_store::evidence::Effects, String> {
        let ours = set
            .latest_audit
            .as_ref()
            .is_some_and(|a| Some(a.id.as_str()) == added);
        let same_atts = set.attestations.iter().map(|a| &a.id).eq(pre_ids.iter());
        let joined = if ours && same_atts {
            pre.clone()
        } else {
            // Another write came between (an attestation, or a newer audit from an instance
            // whose clock is ahead): join what is there now.
            let other = match &set.latest_audit {
                Some(_) if ours => Some(run.clone()),
                Some(a) => match &a.results {
                    Some(t) => Some(Arc::new(
                        domain::parse_run(t).map_err(|e| e.detail.message)?,
                    )),
                    None => None,
                },
                None => None,
            };
            joined_now(&ctx.model, set, other.as_deref())
        };
        let effects = onus_store::evidence::Effects {
            counts: joined.counts(&ctx.party_id),
            duties: Some(joined.held(&ctx.party_id)),
        };
        if ours {
            if let Ok(mut k) = kept.lock() {
                *k = Some((set.clone(), joined));
            }
        }
        Ok(effects)
    };
    let audit = app
        .store
        .add_audit_with(
            p,
            &o.id,
            NewAudit {
                model_pk: &ctx.model_pk,
                file_name: name,
                raw: body,
                results,
                problems,
                inputs,
                objects: i64::try_from(objects).unwrap_or(i64::MAX),
                k8s_latest: &k8s_latest,
                ran_at: &ran_at,
            },
            &effects,
        )
        .await?;
    let kept = kept.lock().ok().and_then(|mut k| k.take());
    let counts = match kept {
        Some((set, joined)) => {
            let counts = joined.counts(&ctx.party_id);
            app.remember(&ctx.version_id, &set, Some(run), joined);
            counts
        }
        None => {
            let set = app.store.evidence_meta(p, &o.id, &ctx.model_pk).await?;
            app.joined(
                p,
                &ctx.model,
                &ctx.version_id,
                &set,
                Source::Own(&o.id),
                None,
            )
            .await?
            .counts(&ctx.party_id)
        }
    };
    Ok(Uploaded {
        audit,
        model: ctx.model_id.clone(),
        version: ctx.version.clone(),
        counts,
    })
}

/// The statuses of an evidence set whose run is at hand, joined now.
fn joined_now(
    model: &onus_model::Model,
    set: &onus_store::evidence::EvidenceSet,
    run: Option<&domain::StoredRun>,
) -> Arc<Joined> {
    let now = crate::views::now();
    let atts = domain::attestations_of(set);
    let report = domain::report_with(model, set, run, None, &atts, now);
    Arc::new(Joined::of(report, domain::horizon(model, &atts, now)))
}

/// What an evidence write computes before it commits: the chart's counts from the
/// organisation's evidence after it (the latest audit's run read through the cache).
fn effects_of<'a>(
    app: &'a App,
    ctx: &'a Context,
    known: &'a [(String, Arc<domain::StoredRun>)],
) -> impl Fn(
    &onus_store::evidence::EvidenceSet,
    Option<&str>,
) -> Result<onus_store::evidence::Effects, String>
       + Sync
       + 'a {
    move |set, _| {
        let run = match &set.latest_audit {
            Some(a) => match (&a.results, known.iter().find(|(id, _)| *id == a.id)) {
                (_, Some((_, run))) => Some(run.clone()),
                (Some(t), None) => Some(Arc::new(
                    domain::parse_run(t).map_err(|e| e.detail.message)?,
                )),
                (None, None) => app.runs.get(&a.id),
            },
            None => None,
        };
        let joined = joined_now(&ctx.model, set, run.as_deref());
        Ok(onus_store::evidence::Effects {
            counts: joined.counts(&ctx.party_id),
            duties: None,
        })
    }
}

/// One audit run (its check results are in the uploaded file).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/audits/{id}", tag = "evidence", params(("org" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = Audit), (status = 404, body = ErrorBody)), security(("token" = []), ("session" = [])))]
async fn get_audit(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<Json<Audit>> {
    let o = org(&app, &a.p, &slug).await?;
    Ok(Json(app.store.audit_meta(&a.p, &o.id, &id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Share {
    /// Visible to the other party (a customer's item to the provider; a provider's to its
    /// subscribed customers).
    pub shared: bool,
}

/// Shares an audit run with the other party, or stops sharing it.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/audits/{id}/share", tag = "evidence", params(("org" = String, Path), ("id" = String, Path)),
    request_body = Share, responses((status = 204), (status = 404, body = ErrorBody)), security(("token" = []), ("session" = [])))]
async fn share_audit(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path((slug, id)): Path<(String, String)>,
    Body(req): Body<Share>,
) -> ApiResult<StatusCode> {
    let o = org(&app, &a.p, &slug).await?;
    app.store
        .set_shared(&a.p, &o.id, EvidenceKind::Audit, &id, req.shared)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Shares an attestation with the other party, or stops sharing it.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/attestations/{id}/share", tag = "evidence", params(("org" = String, Path), ("id" = String, Path)),
    request_body = Share, responses((status = 204), (status = 404, body = ErrorBody)), security(("token" = []), ("session" = [])))]
async fn share_attestation(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path((slug, id)): Path<(String, String)>,
    Body(req): Body<Share>,
) -> ApiResult<StatusCode> {
    let o = org(&app, &a.p, &slug).await?;
    app.store
        .set_shared(&a.p, &o.id, EvidenceKind::Attestation, &id, req.shared)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The organisation's attestations, oldest first.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/attestations", tag = "evidence", params(("org" = String, Path)),
    responses((status = 200, body = Vec<Attestation>)), security(("token" = []), ("session" = [])))]
async fn list_attestations(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path(slug): Path<String>,
) -> ApiResult<Json<Vec<Attestation>>> {
    let o = org(&app, &a.p, &slug).await?;
    Ok(Json(app.store.attestations(&a.p, &o.id, None).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EvidenceRef {
    #[serde(rename = "ref")]
    pub reference: String,
    pub sha256: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Attest {
    pub model: String,
    pub provider: Option<String>,
    pub activity: String,
    /// When it was done: `YYYY-MM-DD` or RFC 3339.
    pub date: String,
    /// Who attests; default: the caller's name.
    pub by: Option<String>,
    /// How long it holds (ISO 8601 duration); default: the activity's cadence.
    pub valid: Option<String>,
    pub note: Option<String>,
    pub evidence: EvidenceRef,
}

/// One attestation to add, its file included.
pub(crate) struct AttestInput {
    pub activity: String,
    pub date: String,
    pub by: String,
    pub valid: Option<String>,
    pub note: Option<String>,
    pub evidence: Option<(String, String)>,
    pub file: Option<(String, String, Vec<u8>)>,
}

/// Checks one attestation as the attestations file format does, and the activity against
/// the model.
pub(crate) fn check_attestation(ctx: &Context, a: &AttestInput) -> ApiResult<()> {
    // PostgreSQL cannot store a NUL character in text: name the field rather than fail late.
    let evidence_ref = a.evidence.as_ref().map(|e| e.0.as_str());
    for (field, v) in [
        ("activity", Some(a.activity.as_str())),
        ("date", Some(a.date.as_str())),
        ("by", Some(a.by.as_str())),
        ("valid", a.valid.as_deref()),
        ("note", a.note.as_deref()),
        ("evidence.ref", evidence_ref),
    ] {
        if v.is_some_and(|v| v.contains('\0')) {
            return Err(ApiError::invalid(field, "must not contain NUL characters"));
        }
    }
    if ctx.model.activity(&a.activity).is_none() {
        return Err(ApiError::invalid(
            "activity",
            format!(
                "`{}` is not an activity of model `{}`",
                a.activity, ctx.model_id
            ),
        ));
    }
    if onus_audit::attest::parse_date(&a.date).is_none() {
        return Err(ApiError::invalid(
            "date",
            format!("`{}` is not a date (YYYY-MM-DD or RFC 3339)", a.date),
        ));
    }
    if a.by.trim().is_empty() || a.by.len() > 200 {
        return Err(ApiError::invalid(
            "by",
            "name who attests (1 to 200 characters)",
        ));
    }
    if let Some(v) = &a.valid {
        onus_model::Cadence::parse(v).map_err(|e| ApiError::invalid("valid", e.to_string()))?;
    }
    if a.note.as_ref().is_some_and(|n| n.len() > 10_000) {
        return Err(ApiError::invalid("note", "at most 10,000 bytes"));
    }
    if let Some((r, sha)) = &a.evidence {
        if r.trim().is_empty() || r.len() > 2000 {
            return Err(ApiError::invalid(
                "evidence.ref",
                "where the evidence is (1 to 2000 characters)",
            ));
        }
        if sha.len() != 64 || !sha.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(ApiError::invalid(
                "evidence.sha256",
                "64 hexadecimal digits",
            ));
        }
    } else if a.file.is_none() {
        return Err(ApiError::invalid(
            "file",
            "attach the evidence file, or give evidence.ref and evidence.sha256",
        ));
    }
    Ok(())
}

pub(crate) async fn store_attestations(
    app: &App,
    p: &Principal,
    o: &OrgRef,
    ctx: &Context,
    list: Vec<AttestInput>,
) -> ApiResult<Vec<Attestation>> {
    p.write(&o.id)?;
    for a in &list {
        check_attestation(ctx, a)?;
        if let Some((_, _, bytes)) = &a.file {
            if bytes.len() > app.config.max_file_bytes {
                return Err(ApiError::too_large(format!(
                    "the file is {} bytes; this server accepts at most {}",
                    bytes.len(),
                    app.config.max_file_bytes
                ))
                .field("file"));
            }
        }
    }
    let new: Vec<NewAttestation> = list
        .iter()
        .map(|a| NewAttestation {
            activity_id: a.activity.clone(),
            date: a.date.clone(),
            by: a.by.clone(),
            valid: a.valid.clone(),
            note: a.note.clone(),
            evidence_ref: a.evidence.as_ref().map(|e| e.0.clone()),
            evidence_sha256: a.evidence.as_ref().map(|e| e.1.clone()),
            file: a
                .file
                .as_ref()
                .map(|(n, m, b)| (n.as_str(), m.as_str(), b.as_slice())),
        })
        .collect();
    // The latest audit's run, parsed before the write (through the cache), so that the
    // write does not read a large report back to count statuses.
    let before = app.store.evidence_meta(p, &o.id, &ctx.model_pk).await?;
    let mut known = Vec::new();
    if let Some(a) = &before.latest_audit {
        known.push((a.id.clone(), app.run_of(p, a, Source::Own(&o.id)).await?));
    }
    let ids: Vec<&str> = known.iter().map(|(id, _)| id.as_str()).collect();
    let effects = effects_of(app, ctx, &known);
    Ok(app
        .store
        .add_attestations_with(p, &o.id, &ctx.model_pk, new, &ids, &effects)
        .await?)
}

/// Adds attestations, three ways: a JSON object (one attestation whose evidence is
/// elsewhere); `multipart/form-data` (fields `model`, `activity`, `date`, `by`, `valid`,
/// `note`, and `file`, stored with its SHA-256); or an `onus.attestations/v1` YAML file
/// (`application/yaml`, with `?model=`), as `onus audit --attestations` reads it.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/attestations", tag = "evidence", params(("org" = String, Path), EvidenceTarget),
    request_body(content = Attest, description = "JSON, multipart/form-data, or an onus.attestations/v1 YAML file"),
    responses((status = 201, body = Vec<Attestation>), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
async fn add_attestations(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path(slug): Path<String>,
    Query(t): Query<EvidenceTarget>,
    req: Request,
) -> ApiResult<(StatusCode, Json<Vec<Attestation>>)> {
    let o = org(&app, &a.p, &slug).await?;
    let ctype = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let added = if ctype.starts_with("multipart/form-data") {
        let mp = Multipart::from_request(req, &app)
            .await
            .map_err(|e| ApiError::bad_request(e.body_text()))?;
        let form = read_multipart(mp).await?;
        let model = form
            .get("model")
            .cloned()
            .or(t.model.clone())
            .ok_or_else(|| ApiError::invalid("model", "name the model"))?;
        let ctx = app
            .context_for(
                &a.p,
                &o,
                &model,
                form.get("provider")
                    .map(String::as_str)
                    .or(t.provider.as_deref()),
            )
            .await?;
        let input = attest_input_of_form(&a.p, &form)?;
        store_attestations(&app, &a.p, &o, &ctx, vec![input]).await?
    } else if ctype.contains("yaml") {
        let body = Bytes::from_request(req, &app)
            .await
            .map_err(|e| ApiError::too_large(e.body_text()))?;
        let model = t
            .model
            .clone()
            .ok_or_else(|| ApiError::invalid("model", "name the model with `?model=`"))?;
        let ctx = app
            .context_for(&a.p, &o, &model, t.provider.as_deref())
            .await?;
        let text = std::str::from_utf8(&body)
            .map_err(|e| ApiError::invalid("body", format!("not UTF-8: {e}")))?;
        store_attestations(
            &app,
            &a.p,
            &o,
            &ctx,
            attestations_file(&ctx, "attestations.yaml", text)?,
        )
        .await?
    } else {
        let Body(req): Body<Attest> = Body::from_request(req, &app).await?;
        let ctx = app
            .context_for(
                &a.p,
                &o,
                &req.model,
                req.provider.as_deref().or(t.provider.as_deref()),
            )
            .await?;
        let input = AttestInput {
            activity: req.activity,
            date: req.date,
            by: req.by.unwrap_or_else(|| a.p.name.clone()),
            valid: req.valid,
            note: req.note,
            evidence: Some((req.evidence.reference, req.evidence.sha256.to_lowercase())),
            file: None,
        };
        store_attestations(&app, &a.p, &o, &ctx, vec![input]).await?
    };
    Ok((StatusCode::CREATED, Json(added)))
}

/// An `onus.attestations/v1` file's entries, checked.
pub(crate) fn attestations_file(
    ctx: &Context,
    name: &str,
    text: &str,
) -> ApiResult<Vec<AttestInput>> {
    Ok(domain::parse_attestations(name, text, &ctx.model)?
        .into_iter()
        .map(|a| AttestInput {
            activity: a.activity,
            date: a.date,
            by: a.by,
            valid: a.valid,
            note: a.note,
            evidence: Some((a.evidence.reference, a.evidence.sha256.to_lowercase())),
            file: None,
        })
        .collect())
}

/// A multipart form's text fields, and its `file` as `__file_name`, `__file_type`, bytes.
pub(crate) struct Form {
    fields: std::collections::HashMap<String, String>,
    /// Every text field in order, repeated names included (checkboxes).
    pairs: Vec<(String, String)>,
    pub file: Option<(String, String, Vec<u8>)>,
}

impl Form {
    pub fn get(&self, k: &str) -> Option<&String> {
        self.fields.get(k).filter(|v| !v.trim().is_empty())
    }

    /// Every value of a repeated field.
    pub fn all(&self, k: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn set(&mut self, k: &str, v: String) {
        self.fields.insert(k.to_string(), v);
    }
}

pub(crate) async fn read_multipart(mut mp: Multipart) -> ApiResult<Form> {
    let mut fields = std::collections::HashMap::new();
    let mut pairs = Vec::new();
    let mut file = None;
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|e| ApiError::bad_request(e.body_text()))?
    {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            let fname = field.file_name().unwrap_or("evidence").to_string();
            let ftype = field
                .content_type()
                .unwrap_or("application/octet-stream")
                .to_string();
            let bytes = field
                .bytes()
                .await
                .map_err(|e| ApiError::too_large(e.body_text()).field("file"))?;
            if !bytes.is_empty() {
                file = Some((fname, ftype, bytes.to_vec()));
            }
        } else {
            let text = field
                .text()
                .await
                .map_err(|e| ApiError::bad_request(e.body_text()).field(name.clone()))?;
            pairs.push((name.clone(), text.clone()));
            fields.insert(name, text);
        }
    }
    Ok(Form {
        fields,
        pairs,
        file,
    })
}

pub(crate) fn attest_input_of_form(p: &Principal, form: &Form) -> ApiResult<AttestInput> {
    let evidence = match (form.get("evidence_ref"), form.get("evidence_sha256")) {
        (Some(r), Some(s)) => Some((r.trim().to_string(), s.trim().to_lowercase())),
        _ => None,
    };
    Ok(AttestInput {
        activity: form
            .get("activity")
            .cloned()
            .ok_or_else(|| ApiError::invalid("activity", "choose the activity"))?,
        date: form
            .get("date")
            .cloned()
            .ok_or_else(|| ApiError::invalid("date", "when it was done (YYYY-MM-DD)"))?,
        by: form.get("by").cloned().unwrap_or_else(|| p.name.clone()),
        valid: form.get("valid").cloned(),
        note: form.get("note").cloned(),
        evidence,
        file: form.file.clone(),
    })
}

/// Evidence customers shared with the provider, item by item.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/shared", tag = "evidence", params(("org" = String, Path)),
    responses((status = 200, body = Vec<SharedItem>), (status = 403, body = ErrorBody)), security(("token" = []), ("session" = [])))]
async fn shared(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path(slug): Path<String>,
) -> ApiResult<Json<Vec<SharedItem>>> {
    let o = org(&app, &a.p, &slug).await?;
    Ok(Json(app.store.shared_with_provider(&a.p, &o.id).await?))
}

/// Downloads a stored file: always as an attachment, never rendered by the browser.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/files/{id}", tag = "evidence", params(("org" = String, Path), ("id" = String, Path)),
    responses((status = 200, description = "The file as uploaded, as an attachment: with its own type when it is one of these, else as octet-stream",
            content((Vec<u8> = "application/octet-stream"), (Vec<u8> = "application/pdf"), (Vec<u8> = "application/json"),
                (Vec<u8> = "text/plain"), (Vec<u8> = "image/png"), (Vec<u8> = "image/jpeg"), (Vec<u8> = "application/zip"))),
        (status = 404, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
async fn download_file(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    org(&app, &a.p, &slug).await?;
    file_response(&app, &a, &id).await
}

pub(crate) async fn file_response(app: &App, a: &Auth, id: &str) -> ApiResult<Response> {
    let (info, bytes) = app.store.file(&a.p, id).await?;
    // Never a type the browser would render (HTML, SVG, XML, JS): those go as octet-stream.
    let safe = [
        "application/pdf",
        "application/json",
        "text/plain",
        "image/png",
        "image/jpeg",
        "application/zip",
    ];
    let ctype = if safe.contains(&info.media_type.as_str()) {
        info.media_type.clone()
    } else {
        "application/octet-stream".to_string()
    };
    let name: String = info
        .name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || ".-_".contains(*c))
        .collect();
    let mut h = HeaderMap::new();
    let put = |h: &mut HeaderMap, k: header::HeaderName, v: String| {
        if let Ok(v) = v.parse() {
            h.insert(k, v);
        }
    };
    put(&mut h, header::CONTENT_TYPE, ctype);
    put(
        &mut h,
        header::CONTENT_DISPOSITION,
        format!(
            "attachment; filename=\"{}\"",
            if name.is_empty() { "file" } else { &name }
        ),
    );
    put(
        &mut h,
        header::CONTENT_SECURITY_POLICY,
        "sandbox; default-src 'none'".into(),
    );
    put(
        &mut h,
        "x-content-sha256".parse().map_err(ApiError::internal)?,
        info.sha256.clone(),
    );
    Ok((h, bytes).into_response())
}

/// The organisation's entries of the hash-chained log, newest first.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/log", tag = "log", params(("org" = String, Path), Paging),
    responses((status = 200, body = Paged<LogEntry>), (status = 404, body = ErrorBody)), security(("token" = []), ("session" = [])))]
async fn log(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path(slug): Path<String>,
    Query(pg): Query<Paging>,
) -> ApiResult<Json<Paged<LogEntry>>> {
    let o = org(&app, &a.p, &slug).await?;
    let page = pg.page()?;
    Ok(Json(Paged::of(
        app.store.log_entries(&a.p, &o.id, page).await?,
        page,
    )))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct HistoryFilter {
    /// The model's id.
    pub model: String,
    pub provider: Option<String>,
}

/// The organisation's duties by status after each change of evidence (the compliance chart).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/history", tag = "obligations", params(("org" = String, Path), HistoryFilter),
    responses((status = 200, body = Vec<StatusPoint>), (status = 422, body = ErrorBody)), security(("token" = []), ("session" = [])))]
async fn history(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path(slug): Path<String>,
    Query(f): Query<HistoryFilter>,
) -> ApiResult<Json<Vec<StatusPoint>>> {
    let o = org(&app, &a.p, &slug).await?;
    let ctx = app
        .context_for(&a.p, &o, &f.model, f.provider.as_deref())
        .await?;
    Ok(Json(
        app.store.status_history(&a.p, &o.id, &ctx.model_pk).await?,
    ))
}
