//! Reversibility and the end of service (issue 14): exporting an organisation, importing an
//! archive, ending a subscription with its checklist, deleting an organisation with its
//! certificate, and the instance's public key. The API routes are here; the pages are in
//! [`crate::leaving_ui`]; the data work is `onus-store`'s (`export`, `import`, `ending`,
//! `deletion`, `keys`).
//!
//! Security decisions, here where they are enforced (docs/portal.md, "Security model"):
//! - an export holds everything of the organisation: only its admins may take one (a token
//!   with the admin role too, for backup jobs), and the store refuses anyone else;
//! - an import creates an organisation: only the instance administrator (or the operator
//!   with the CLI), who creates organisations anyway; users get new one-time passwords;
//! - a customer's admins cancel its subscriptions; a provider's members terminate them;
//! - deleting an organisation: its admins signed in (never a token), or the instance
//!   administrator, with the slug typed to confirm, once every subscription has ended;
//! - a deletion certificate is served to whoever has its id (a random UUID given to the
//!   deleting user), since the organisation's accounts no longer exist.

use axum::body::{Body as AxumBody, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use onus_model::{Duty as RoleDuty, Model, PartyKind};
use onus_store::ending::{EndItem, Step, SubscriptionEnd};
use onus_store::export::Acting;
use onus_store::import::{Hooks, Imported};
use onus_store::keys::InstanceKey;
use onus_store::models::VersionBody;
use onus_store::{OrgKind, OrgRef, Principal};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::{org, Body};
use crate::auth::{self, ApiAuth};
use crate::domain;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::App;

/// The API's routes of this module.
pub fn routes(r: OpenApiRouter<App>) -> OpenApiRouter<App> {
    r.routes(routes!(export_org))
        .routes(routes!(import_org))
        .routes(routes!(end_subscription))
        .routes(routes!(list_end_items))
        .routes(routes!(update_end_item))
        .routes(routes!(delete_org))
        .routes(routes!(certificate))
        .routes(routes!(instance_key))
}

/// The generator string written into exports.
pub fn generator() -> String {
    format!("onus {}", env!("CARGO_PKG_VERSION"))
}

// ---------------------------------------------------------------------------------------------
// The checklist from the model

/// The checklist's lines for a model ending on `end` (`YYYY-MM-DD`): each step of the model's
/// `end_of_service`, done by every party holding R on its activity (else A), due at the
/// step's offset from the end date. A model without `end_of_service` gives none.
pub fn end_steps(model: &Model, end: &str) -> Result<Vec<Step>, String> {
    let Some(eos) = &model.end_of_service else {
        return Ok(Vec::new());
    };
    let day = onus_store::ending::parse_day(end).ok_or_else(|| format!("`{end}` is not a date"))?;
    let responsible = model.roles.letters_of(&[RoleDuty::Responsible]);
    let accountable = model.roles.letters_of(&[RoleDuty::Accountable]);
    let mut out = Vec::new();
    for step in &eos.steps {
        let act = model.activity(&step.activity).ok_or_else(|| {
            format!(
                "model `{}`: end-of-service step `{}` names no activity",
                model.id, step.activity
            )
        })?;
        let holding = |letters: &[char]| -> Vec<&onus_model::Party> {
            model
                .parties
                .iter()
                .filter(|p| {
                    model
                        .letters(act, &p.id)
                        .chars()
                        .any(|c| letters.contains(&c))
                })
                .collect()
        };
        let mut parties = holding(&responsible);
        if parties.is_empty() {
            parties = holding(&accountable);
        }
        if parties.is_empty() {
            return Err(format!(
                "model `{}`: end-of-service activity `{}` has no party holding R or A: nobody would do it",
                model.id, act.id
            ));
        }
        let (before, c) = step
            .offset()
            .map_err(|e| format!("model `{}`: step `{}`: {e}", model.id, step.activity))?;
        let months = chrono::Months::new(c.years * 12 + c.months);
        let days = chrono::Days::new(
            u64::from(c.weeks) * 7
                + u64::from(c.days)
                + (u64::from(c.hours) * 3600 + u64::from(c.minutes) * 60 + u64::from(c.seconds))
                    .div_ceil(86_400),
        );
        let due = if before {
            day.checked_sub_months(months)
                .and_then(|d| d.checked_sub_days(days))
        } else {
            day.checked_add_months(months)
                .and_then(|d| d.checked_add_days(days))
        }
        .ok_or_else(|| {
            format!(
                "step `{}`: its deadline is outside the calendar",
                step.activity
            )
        })?;
        for p in parties {
            out.push(Step {
                activity_id: act.id.clone(),
                party_id: p.id.clone(),
                party_kind: match p.kind {
                    PartyKind::Provider => OrgKind::Provider,
                    _ => OrgKind::Customer,
                },
                due: due.to_string(),
            });
        }
    }
    Ok(out)
}

/// A checklist line with what the pages and the API show of it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EndItemView {
    #[serde(flatten)]
    pub item: EndItem,
    /// `done`, `overdue` (not done, due date passed) or `open`.
    pub status: String,
    pub model_id: String,
    /// The customer organisation whose service ends.
    pub customer: String,
    pub section: String,
    pub text: String,
    /// The name of the party that does it.
    pub party_name: String,
    /// The parties the model says are informed (I) or consulted (C).
    pub informed: Vec<String>,
    /// Whether the caller's organisation is the party that does it.
    pub mine: bool,
}

impl App {
    /// The checklist lines the organisation may see, with their model's words.
    pub async fn end_item_views(
        &self,
        p: &Principal,
        o: &OrgRef,
        lang: &str,
    ) -> ApiResult<Vec<EndItemView>> {
        let items = self.store.end_items(p, &o.id).await?;
        let subs = match o.kind {
            OrgKind::Customer => self.store.subscriptions(p, &o.id).await?,
            OrgKind::Provider => self.store.subscribers(p, &o.id).await?,
        };
        let today = chrono::Utc::now().date_naive().to_string();
        let mut out = Vec::new();
        for i in items {
            let Some(s) = subs.iter().find(|s| s.id == i.subscription_id) else {
                continue;
            };
            let model = self.model_by_version(p, &s.version.id).await?;
            let act = model.activity(&i.activity_id);
            let informed = act
                .map(|a| {
                    model
                        .parties
                        .iter()
                        .filter(|pa| {
                            pa.id != i.party_id
                                && model
                                    .letters(a, &pa.id)
                                    .chars()
                                    .any(|c| c == 'I' || c == 'C')
                        })
                        .map(|pa| pa.name.best(lang).to_string())
                        .collect()
                })
                .unwrap_or_default();
            out.push(EndItemView {
                status: if i.done_at.is_some() {
                    "done"
                } else if i.due < today {
                    "overdue"
                } else {
                    "open"
                }
                .into(),
                model_id: s.model_id.clone(),
                customer: s.org.name.clone(),
                section: act
                    .map(|a| {
                        model
                            .section_path(&a.section)
                            .iter()
                            .map(|x| match &x.number {
                                Some(n) => format!("{n} {}", x.title.best(lang)),
                                None => x.title.best(lang).to_string(),
                            })
                            .collect::<Vec<_>>()
                            .join(" › ")
                    })
                    .unwrap_or_default(),
                text: act
                    .map(|a| a.text.best(lang).to_string())
                    .unwrap_or_default(),
                party_name: model
                    .party(&i.party_id)
                    .map_or_else(|| i.party_id.clone(), |pa| pa.name.best(lang).to_string()),
                informed,
                mine: i.party_kind == o.kind,
                item: i,
            });
        }
        Ok(out)
    }

    /// Ends a subscription: the customer cancels, or its provider terminates.
    pub async fn end_subscription(
        &self,
        p: &Principal,
        subscription_id: &str,
        end_date: &str,
        reason: Option<&str>,
    ) -> ApiResult<SubscriptionEnd> {
        let steps = |v: &VersionBody, end: &str| -> Result<Vec<Step>, String> {
            let m = self.model_of(v)?;
            end_steps(&m, end)
        };
        Ok(self
            .store
            .end_subscription(p, subscription_id, end_date, reason, &steps)
            .await?)
    }

    /// Imports an archive (the CLI and the instance administrator's upload).
    pub async fn import_archive<R: std::io::Read + Send + 'static>(
        &self,
        who: Acting<'_>,
        input: R,
    ) -> ApiResult<Imported> {
        let duties = |v: &VersionBody| -> Result<Vec<onus_store::models::Duty>, String> {
            let (m, _) = domain::load(&format!("{}.yaml", v.info.version), &v.body)
                .map_err(|e| e.detail.message)?;
            domain::duties(&m, PartyKind::Customer)?;
            domain::duties(&m, PartyKind::Provider)
        };
        let password = || -> Result<(String, String), String> {
            let pw = auth::generate_password();
            let hash = auth::hash_password(&pw).map_err(|e| e.detail.message)?;
            Ok((pw, hash))
        };
        Ok(self
            .store
            .import_org(
                who,
                input,
                Hooks {
                    provider_duties: &duties,
                    password: &password,
                },
            )
            .await?)
    }
}

// ---------------------------------------------------------------------------------------------
// Export

/// The archive's file name: `onus-export-SLUG-DATE.tar`.
pub fn archive_name(slug: &str) -> String {
    format!("onus-export-{slug}-{}.tar", chrono::Utc::now().date_naive())
}

/// Streams an export as an HTTP response: the archive goes out as the store writes it. A
/// failure after the first bytes ends the response with an error (the client sees a broken
/// transfer, never a short archive that looks whole: the manifest would be missing).
pub fn export_response(app: &App, who: Principal, o: OrgRef) -> Response {
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
    let store = app.store.clone();
    let org_id = o.id.clone();
    let task = tokio::spawn(async move {
        store
            .export_org(Acting::User(&who), &org_id, &generator(), tx)
            .await
    });
    let stream = futures_util::stream::unfold((rx, Some(task)), |(mut rx, task)| async move {
        if let Some(chunk) = rx.recv().await {
            return Some((Ok(Bytes::from(chunk)), (rx, task)));
        }
        let task = task?;
        match task.await {
            Ok(Ok(_)) => None,
            Ok(Err(e)) => {
                tracing::error!("export failed: {e}");
                Some((Err(std::io::Error::other(e.to_string())), (rx, None)))
            }
            Err(e) => Some((Err(std::io::Error::other(e.to_string())), (rx, None))),
        }
    });
    (
        [
            (header::CONTENT_TYPE, "application/x-tar".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", archive_name(&o.slug)),
            ),
        ],
        AxumBody::from_stream(stream),
    )
        .into_response()
}

/// Exports everything of the organisation as one `onus.export/v1` archive (a tar: JSON and
/// JSON Lines files, the model versions it needs, every evidence file, the log entries with
/// the chain's proof, a manifest of SHA-256 signed by the instance). Its admins.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/export", tag = "reversibility", params(("org" = String, Path)),
    responses((status = 200, content_type = "application/x-tar", description = "The archive, streamed"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
async fn export_org(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path(slug): Path<String>,
) -> ApiResult<Response> {
    let o = org(&app, &a.p, &slug).await?;
    // Checked before streaming, so that a refusal is a JSON error, not a broken download.
    a.p.admin(&o.id)?;
    Ok(export_response(&app, a.p, o))
}

// ---------------------------------------------------------------------------------------------
// Import

/// A user an import created.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportedUser {
    pub email: String,
    pub role: String,
    /// A one-time password, shown once.
    pub password: String,
}

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    pub org: OrgRef,
    /// SHA-256 of the archive's `manifest.json`.
    pub manifest_sha256: String,
    pub users: Vec<ImportedUser>,
    /// Records imported, by file.
    pub counts: std::collections::BTreeMap<String, i64>,
    /// The provider models this instance did not have.
    pub models_created: Vec<String>,
}

impl From<Imported> for ImportReport {
    fn from(i: Imported) -> ImportReport {
        ImportReport {
            org: i.org,
            manifest_sha256: i.manifest_sha256,
            users: i
                .users
                .into_iter()
                .map(|(email, role, password)| ImportedUser {
                    email,
                    role,
                    password,
                })
                .collect(),
            counts: i.counts,
            models_created: i.created,
        }
    }
}

/// Imports an `onus.export/v1` archive (the body, `application/x-tar`): the organisation, its
/// users with new one-time passwords, and the provider models it needs. All or nothing: an
/// archive that does not match its manifest or its log proof imports nothing (422, naming
/// the file). The instance administrator.
#[utoipa::path(post, path = "/api/v1/imports", tag = "reversibility",
    request_body(content = Vec<u8>, content_type = "application/x-tar", description = "An onus.export/v1 archive"),
    responses((status = 201, body = ImportReport), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = [])))]
async fn import_org(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<ImportReport>)> {
    a.p.instance_admin()?;
    let imported = app
        .import_archive(Acting::User(&a.p), std::io::Cursor::new(body))
        .await?;
    Ok((StatusCode::CREATED, Json(imported.into())))
}

// ---------------------------------------------------------------------------------------------
// Ending a subscription, the checklist

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndRequest {
    /// The last day of the service, `YYYY-MM-DD`: today or later.
    pub end_date: String,
    pub reason: Option<String>,
}

/// Ends a subscription on a date: a cancellation by the customer's admins (`{org}` is the
/// customer), or a termination by the provider's members (`{org}` is the provider). The
/// model's end-of-service activities become a checklist, each line with its party and
/// deadline.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/subscriptions/{id}/end", tag = "reversibility",
    params(("org" = String, Path), ("id" = String, Path)), request_body = EndRequest,
    responses((status = 200, body = SubscriptionEnd), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
async fn end_subscription(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path((slug, id)): Path<(String, String)>,
    Body(req): Body<EndRequest>,
) -> ApiResult<Json<SubscriptionEnd>> {
    let o = org(&app, &a.p, &slug).await?;
    a.p.read(&o.id)?;
    Ok(Json(
        app.end_subscription(&a.p, &id, &req.end_date, req.reason.as_deref())
            .await?,
    ))
}

/// The end-of-service checklists the organisation sees: a customer's own, a provider's
/// customers' under its models; each line with its status (`open`, `done`, `overdue`).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/end-of-service", tag = "reversibility", params(("org" = String, Path)),
    responses((status = 200, body = Vec<EndItemView>), (status = 404, body = ErrorBody)), security(("token" = []), ("session" = [])))]
async fn list_end_items(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path(slug): Path<String>,
) -> ApiResult<Json<Vec<EndItemView>>> {
    let o = org(&app, &a.p, &slug).await?;
    let lang = a.p.lang.clone().unwrap_or_else(|| "en".into());
    Ok(Json(app.end_item_views(&a.p, &o, &lang).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateEndItem {
    pub done: bool,
    pub note: Option<String>,
}

/// Ticks off a line of a checklist (or un-ticks it): the members of the party that does it.
#[utoipa::path(patch, path = "/api/v1/orgs/{org}/end-of-service/{id}", tag = "reversibility",
    params(("org" = String, Path), ("id" = String, Path)), request_body = UpdateEndItem,
    responses((status = 200, body = EndItem), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
async fn update_end_item(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path((slug, id)): Path<(String, String)>,
    Body(req): Body<UpdateEndItem>,
) -> ApiResult<Json<EndItem>> {
    let o = org(&app, &a.p, &slug).await?;
    Ok(Json(
        app.store
            .set_end_item_done(&a.p, &o.id, &id, req.done, req.note.as_deref())
            .await?,
    ))
}

// ---------------------------------------------------------------------------------------------
// Deletion, certificates, the instance's key

#[derive(Debug, Deserialize, IntoParams)]
pub struct Confirm {
    /// The organisation's slug, typed again.
    pub confirm: String,
}

/// What a deletion answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeletionReport {
    /// The signed deletion certificate (`onus.deletion-certificate/v1`).
    #[schema(value_type = Object)]
    pub certificate: onus_archive::cert::Certificate,
    /// Where to download it again (anyone with this address may).
    pub certificate_url: String,
    /// Whether the space was reclaimed (`VACUUM`) after the commit; the reason when not.
    pub reclaimed: bool,
    pub reclaim_error: Option<String>,
}

impl App {
    /// Deletes an organisation and answers its certificate.
    pub async fn delete_org(
        &self,
        who: Acting<'_>,
        o: &OrgRef,
        confirm: &str,
    ) -> ApiResult<DeletionReport> {
        let d = self
            .store
            .delete_org(who, &o.id, confirm, &self.config.retention)
            .await?;
        if let Err(e) = &d.reclaimed {
            tracing::error!("after deleting {}: {e}", o.slug);
        }
        Ok(DeletionReport {
            certificate_url: format!("/api/v1/deletions/{}/certificate", d.certificate.id),
            certificate: d.certificate,
            reclaimed: d.reclaimed.is_ok(),
            reclaim_error: d.reclaimed.err(),
        })
    }
}

/// Deletes the organisation and everything of it (rows, files, sessions, tokens; its log
/// entries keep their hashes only), answers the signed deletion certificate. Its admins
/// signed in, or the instance administrator; `confirm` must be the slug; every subscription
/// must have ended.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}", tag = "reversibility", params(("org" = String, Path), Confirm),
    responses((status = 200, body = DeletionReport), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = [])))]
async fn delete_org(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path(slug): Path<String>,
    Query(c): Query<Confirm>,
) -> ApiResult<Json<DeletionReport>> {
    let o = org(&app, &a.p, &slug).await?;
    Ok(Json(
        app.delete_org(Acting::User(&a.p), &o, &c.confirm).await?,
    ))
}

/// A deletion certificate, by its id (given to the deleting user: the organisation's accounts
/// are gone). Verify it offline with `onus verify-certificate`.
#[utoipa::path(get, path = "/api/v1/deletions/{id}/certificate", tag = "reversibility", params(("id" = String, Path)),
    responses((status = 200, content_type = "application/json", description = "The certificate"), (status = 404, body = ErrorBody)))]
async fn certificate(State(app): State<App>, Path(id): Path<String>) -> ApiResult<Response> {
    if uuid_like(&id).is_none() {
        return Err(ApiError::not_found("deletion certificate"));
    }
    let text = app.store.deletion_certificate(&id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"deletion-certificate-{id}.json\""),
            ),
        ],
        text,
    )
        .into_response())
}

fn uuid_like(s: &str) -> Option<&str> {
    (s.len() == 36 && s.chars().all(|c| c.is_ascii_hexdigit() || c == '-')).then_some(s)
}

/// The instance's Ed25519 public key, which signs deletion certificates and exports. Also at
/// `/.well-known/onus/instance-key`.
#[utoipa::path(get, path = "/api/v1/instance-key", tag = "reversibility",
    responses((status = 200, body = InstanceKey)))]
async fn instance_key(State(app): State<App>) -> ApiResult<Json<InstanceKey>> {
    Ok(Json(app.store.instance_key().await?))
}

/// `/.well-known/onus/instance-key`: the same, where tools look for it.
pub async fn well_known_key(State(app): State<App>) -> ApiResult<Json<InstanceKey>> {
    Ok(Json(app.store.instance_key().await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(id: &str) -> Model {
        let (_, text) = onus_model::BUILTIN.iter().find(|(i, _)| *i == id).unwrap();
        domain::load(id, text).unwrap().0
    }

    #[test]
    fn the_mks_checklist_is_sections_5_1_and_5_2_with_the_right_party() {
        let steps = end_steps(&model("ovhcloud-mks"), "2026-03-31").unwrap();
        let line = |a: &str| steps.iter().find(|s| s.activity_id == a).unwrap();
        assert_eq!(line("5.1-r1").party_kind, OrgKind::Customer);
        assert_eq!(line("5.1-r1").due, "2026-03-31");
        assert_eq!(line("5.1-r2").party_kind, OrgKind::Provider);
        assert_eq!(line("5.1-r2").due, "2026-04-30");
        assert_eq!(line("5.2-r1").party_id, "ovhcloud");
        assert_eq!(line("5.2-r2").party_id, "customer");
        assert_eq!(steps.len(), 7);
        assert!(end_steps(&model("h8lio"), "2026-03-31").unwrap().is_empty());
        assert!(end_steps(&model("ovhcloud-mks"), "31/03/2026").is_err());
    }
}
