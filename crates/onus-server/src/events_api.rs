//! Events in the API: `/api/v1/orgs/{org}/events` (open, list with filters, get, transition,
//! comment, consult, answer, approve), the event types an organisation may open, the caller's
//! notifications and choices, and the organisation's webhooks and their delivery log.
//!
//! Routing is the model's: [`open`] applies `onus_model::events::route` to the binding of the
//! event's type in the version the opener holds (the customer's subscribed version, the
//! provider's latest) and passes the result to the store, which enforces it at every step.

use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::Json;
use onus_model::events::{route_type, EventKind, EventTypes, RouteError, Routing};
use onus_model::{Model, PartyKind};
use onus_store::events::{Action, Event, EventDetail, EventFilter, NewEvent, Participant};
use onus_store::notify::{Attempt, Delivery, Notification, Pref, Webhook};
use onus_store::{OrgKind, OrgRef, Page, Principal};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::{org, read_multipart, Body, Paged, Paging};
use crate::auth::ApiAuth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::App;

/// The events API's routes.
pub fn routes(r: OpenApiRouter<App>) -> OpenApiRouter<App> {
    r.routes(routes!(list_events, create_event))
        .routes(routes!(get_event))
        .routes(routes!(transition))
        .routes(routes!(comment))
        .routes(routes!(consult))
        .routes(routes!(answer))
        .routes(routes!(approve))
        .routes(routes!(event_types))
        .routes(routes!(notifications))
        .routes(routes!(mark_read))
        .routes(routes!(get_settings, put_settings))
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(disable_webhook))
        .routes(routes!(list_deliveries))
        .routes(routes!(get_delivery))
        .routes(routes!(replay))
}

/// Incidents' severities, worst first.
pub const SEVERITIES: [&str; 4] = ["critical", "high", "medium", "low"];

// ---------------------------------------------------------------------------------------------
// Opening

/// A new event.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenEvent {
    /// The event type (`incident`, `change-request`, `forced-upgrade`...): one the model binds.
    #[serde(rename = "type")]
    pub event_type: String,
    /// The model's id (`ovhcloud-mks`).
    pub model: String,
    /// The provider's slug, when several providers publish the model's id.
    pub provider: Option<String>,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Incidents: `critical`, `high`, `medium` or `low`.
    pub severity: Option<String>,
    /// Incidents: the affected service (a cluster, an application).
    pub service: Option<String>,
    /// Announcements: the announced date (`YYYY-MM-DD` or RFC 3339).
    pub due: Option<String>,
    /// Announcements: the reminder before the date (ISO 8601 duration); default: the binding's.
    pub remind_before: Option<String>,
    /// A provider opening an event: the customers it concerns (slugs); default: every
    /// organisation subscribed to the model.
    pub customers: Option<Vec<String>>,
}

/// The version, model and party an organisation opens events under.
struct Side {
    model_pk: String,
    version_id: String,
    model: std::sync::Arc<Model>,
    party: String,
    /// The customer's subscription.
    subscription: Option<String>,
    provider: OrgRef,
}

async fn side(
    app: &App,
    p: &Principal,
    o: &OrgRef,
    model_id: &str,
    provider: Option<&str>,
) -> ApiResult<Side> {
    match o.kind {
        OrgKind::Customer => {
            let subs: Vec<_> = app
                .store
                .subscriptions(p, &o.id)
                .await?
                .into_iter()
                .filter(|s| {
                    s.model_id == model_id && provider.is_none_or(|pr| pr == s.provider.slug)
                })
                .collect();
            let s = match subs.as_slice() {
                [one] => one,
                [] => {
                    return Err(ApiError::invalid(
                        "model",
                        format!("the organisation does not subscribe to a model `{model_id}`"),
                    ))
                }
                _ => {
                    return Err(ApiError::invalid(
                        "provider",
                        format!("several providers publish `{model_id}`: say which"),
                    ))
                }
            };
            let model = app.model_by_version(p, &s.version.id).await?;
            let party = crate::domain::party_of(&model, PartyKind::Customer)
                .map_err(|e| ApiError::invalid("model", e))?
                .id
                .clone();
            Ok(Side {
                model_pk: s.model_pk.clone(),
                version_id: s.version.id.clone(),
                model,
                party,
                subscription: Some(s.id.clone()),
                provider: s.provider.clone(),
            })
        }
        OrgKind::Provider => {
            let m = app
                .store
                .models_of(p, &o.id)
                .await?
                .into_iter()
                .find(|m| m.model_id == model_id)
                .ok_or_else(|| {
                    ApiError::invalid(
                        "model",
                        format!("the organisation publishes no model `{model_id}`"),
                    )
                })?;
            let latest = m
                .latest
                .ok_or_else(|| ApiError::invalid("model", "no version published"))?;
            let model = app.model_by_version(p, &latest.id).await?;
            let party = crate::domain::party_of(&model, PartyKind::Provider)
                .map_err(|e| ApiError::invalid("model", e))?
                .id
                .clone();
            Ok(Side {
                model_pk: m.pk,
                version_id: latest.id,
                model,
                party,
                subscription: None,
                provider: o.clone(),
            })
        }
    }
}

fn route_error(e: RouteError) -> ApiError {
    ApiError::invalid("type", e.to_string())
}

/// Who opens events of a type, in words (for a refusal).
fn openers(model: &Model, r: &Routing) -> String {
    r.openers()
        .map(|x| {
            model.party(&x.party).map_or(x.party.clone(), |p| {
                p.name.best(&model.language).to_string()
            })
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Opens an event (the API's and the pages' path).
pub(crate) async fn open(
    app: &App,
    p: &Principal,
    o: &OrgRef,
    req: OpenEvent,
    attachment: Option<(String, String, Vec<u8>)>,
) -> ApiResult<EventDetail> {
    p.write(&o.id)?;
    let s = side(app, p, o, &req.model, req.provider.as_deref()).await?;
    let routing = route_type(&s.model, &req.event_type).map_err(route_error)?;
    let me = routing
        .party(&s.party)
        .ok_or_else(|| ApiError::internal("the organisation's party is not in the routing"))?;
    if !me.opens {
        let through = routing
            .opened_through
            .as_deref()
            .unwrap_or(&routing.activity);
        return Err(ApiError::forbidden(format!(
            "under `{}`, events of type `{}` are opened by the party holding R in activity {through}: {}",
            s.model.id,
            req.event_type,
            openers(&s.model, &routing)
        )));
    }
    let kind = routing.kind;
    let severity = match (kind, req.severity.as_deref()) {
        (EventKind::Incident, None) => {
            return Err(ApiError::invalid(
                "severity",
                format!("an incident has a severity: {}", SEVERITIES.join(", ")),
            ))
        }
        (_, Some(v)) if !SEVERITIES.contains(&v) => {
            return Err(ApiError::invalid(
                "severity",
                format!("`{v}`: one of {}", SEVERITIES.join(", ")),
            ))
        }
        (_, v) => v,
    };
    let (due_at, remind_at) = match (kind, req.due.as_deref()) {
        (EventKind::Announcement, None) => {
            return Err(ApiError::invalid(
                "due",
                "an announcement has a date (YYYY-MM-DD or RFC 3339)",
            ))
        }
        (_, None) => (None, None),
        (_, Some(d)) => {
            let due = onus_audit::attest::parse_date(d)
                .ok_or_else(|| {
                    ApiError::invalid(
                        "due",
                        format!("`{d}` is not a date (YYYY-MM-DD or RFC 3339)"),
                    )
                })?
                .with_timezone(&chrono::Utc);
            let before = req
                .remind_before
                .clone()
                .or_else(|| routing.remind_before.clone());
            let remind = match before {
                None => None,
                Some(b) => {
                    let c = onus_model::Cadence::parse(&b)
                        .map_err(|e| ApiError::invalid("remind_before", e.to_string()))?;
                    let secs = i64::try_from(c.approx_seconds()).unwrap_or(i64::MAX);
                    let at = due - chrono::Duration::seconds(secs);
                    // A reminder already due at publication would only repeat it.
                    (at > chrono::Utc::now()).then(|| onus_store::stamp(at))
                }
            };
            (Some(onus_store::stamp(due)), remind)
        }
    };
    // The organisations taking part: the opener, the provider, and the customers concerned
    // (one for a customer opening; those chosen, or every subscriber, for the provider).
    let takes_part = |party: &str| {
        routing
            .party(party)
            .is_some_and(|x| x.participates() || x.opens)
    };
    let provider_party = crate::domain::party_of(&s.model, PartyKind::Provider)
        .map_err(ApiError::internal)?
        .id
        .clone();
    let customer_party = crate::domain::party_of(&s.model, PartyKind::Customer)
        .map_err(ApiError::internal)?
        .id
        .clone();
    let mut participants = Vec::new();
    match o.kind {
        OrgKind::Customer => {
            participants.push(Participant {
                org_id: o.id.clone(),
                party_id: s.party.clone(),
                subscription_id: s.subscription.clone(),
            });
            if req.customers.is_some() {
                return Err(ApiError::invalid(
                    "customers",
                    "only a provider chooses the customers an event concerns",
                ));
            }
            if takes_part(&provider_party) {
                participants.push(Participant {
                    org_id: s.provider.id.clone(),
                    party_id: provider_party,
                    subscription_id: None,
                });
            }
        }
        OrgKind::Provider => {
            participants.push(Participant {
                org_id: o.id.clone(),
                party_id: s.party.clone(),
                subscription_id: None,
            });
            if takes_part(&customer_party) {
                let subs = app.store.event_subscribers(p, &o.id, &s.model_pk).await?;
                let chosen: Vec<_> = match &req.customers {
                    None => subs.iter().collect(),
                    Some(list) => {
                        let mut out = Vec::new();
                        for slug in list {
                            out.push(subs.iter().find(|(_, org)| &org.slug == slug).ok_or_else(
                                || {
                                    ApiError::invalid(
                                        "customers",
                                        format!("`{slug}` does not subscribe to `{}`", s.model.id),
                                    )
                                },
                            )?);
                        }
                        out
                    }
                };
                if chosen.is_empty() {
                    return Err(ApiError::invalid(
                        "customers",
                        format!("no customer subscribes to `{}`", s.model.id),
                    ));
                }
                for (sub, org) in chosen {
                    participants.push(Participant {
                        org_id: org.id.clone(),
                        party_id: customer_party.clone(),
                        subscription_id: Some(sub.clone()),
                    });
                }
            }
        }
    }
    if let Some((_, _, bytes)) = &attachment {
        if bytes.len() > app.config.max_file_bytes {
            return Err(ApiError::too_large(format!(
                "the file is {} bytes; this server accepts at most {}",
                bytes.len(),
                app.config.max_file_bytes
            ))
            .field("file"));
        }
    }
    let routing_json = serde_json::to_value(&routing).map_err(ApiError::internal)?;
    let detail = app
        .store
        .open_event(
            p,
            &o.id,
            NewEvent {
                model_pk: &s.model_pk,
                version_id: &s.version_id,
                event_type: &req.event_type,
                kind: kind.as_str(),
                title: &req.title,
                description: &req.description,
                severity,
                service: req.service.as_deref(),
                due_at,
                remind_at,
                routing: routing_json,
                opener_party: &s.party,
                participants,
                attachment: attachment
                    .as_ref()
                    .map(|(n, m, b)| (n.as_str(), m.as_str(), b.as_slice())),
            },
        )
        .await?;
    app.wake.notify_one();
    Ok(detail)
}

/// Opens an event: JSON, or `multipart/form-data` with the same fields (`customers` comma
/// separated) and a `file` attached to the opening. A customer opens for its subscription; a
/// provider publishes to the customers it names, or to every subscriber. The model's roles
/// decide who may open it and everything after (docs/portal.md, "Events").
#[utoipa::path(post, path = "/api/v1/orgs/{org}/events", tag = "events", params(("org" = String, Path)),
    request_body(content = OpenEvent, description = "JSON, or multipart/form-data with a `file`"),
    responses((status = 201, body = EventDetail), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
async fn create_event(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path(slug): Path<String>,
    req: Request,
) -> ApiResult<(StatusCode, Json<EventDetail>)> {
    let o = org(&app, &a.p, &slug).await?;
    let ctype = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let (input, file) = if ctype.starts_with("multipart/form-data") {
        let mp = Multipart::from_request(req, &app)
            .await
            .map_err(|e| ApiError::bad_request(e.body_text()))?;
        let form = read_multipart(mp).await?;
        (open_of_form(&form)?, form.file.clone())
    } else {
        let Body(input): Body<OpenEvent> = Body::from_request(req, &app).await?;
        (input, None)
    };
    Ok((
        StatusCode::CREATED,
        Json(open(&app, &a.p, &o, input, file).await?),
    ))
}

/// An [`OpenEvent`] from a form's fields.
pub(crate) fn open_of_form(form: &crate::api::Form) -> ApiResult<OpenEvent> {
    let get = |k: &str| form.get(k).map(|v| v.trim().to_string());
    Ok(OpenEvent {
        event_type: get("type")
            .ok_or_else(|| ApiError::invalid("type", "choose the type of event"))?,
        model: get("model").ok_or_else(|| ApiError::invalid("model", "choose the model"))?,
        provider: get("provider"),
        title: get("title").unwrap_or_default(),
        description: form.get("description").cloned().unwrap_or_default(),
        severity: get("severity"),
        service: get("service"),
        due: get("due"),
        remind_before: get("remind_before"),
        customers: get("customers").map(|c| {
            c.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        }),
    })
}

// ---------------------------------------------------------------------------------------------
// Reading

#[derive(Debug, Deserialize, IntoParams)]
pub struct EventQuery {
    /// `open`, `acknowledged`, `resolved`, `closed`, `rejected`, or `active` (the first three).
    pub state: Option<String>,
    /// `incident`, `change` or `announcement`.
    pub kind: Option<String>,
    /// An event type (`incident`, `change-request`...).
    #[serde(rename = "type")]
    pub event_type: Option<String>,
    /// A model's id.
    pub model: Option<String>,
    pub severity: Option<String>,
    /// Items per page (1 to 500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Items to skip.
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

pub(crate) async fn list(
    app: &App,
    p: &Principal,
    o: &OrgRef,
    q: &EventQuery,
) -> ApiResult<(Vec<Event>, Page)> {
    let page = Paging {
        limit: q.limit,
        offset: q.offset,
    }
    .page()?;
    if let Some(s) = &q.state {
        if s != "active" && !onus_store::events::STATES.contains(&s.as_str()) {
            return Err(ApiError::invalid(
                "state",
                "open, acknowledged, resolved, closed, rejected or active",
            ));
        }
    }
    if let Some(k) = &q.kind {
        if EventKind::parse(k).is_none() {
            return Err(ApiError::invalid(
                "kind",
                "incident, change or announcement",
            ));
        }
    }
    if let Some(s) = &q.severity {
        if !SEVERITIES.contains(&s.as_str()) {
            return Err(ApiError::invalid("severity", SEVERITIES.join(", ")));
        }
    }
    let model_pk = match &q.model {
        None => None,
        Some(m) => {
            let pks: Vec<String> = match o.kind {
                OrgKind::Customer => app
                    .store
                    .subscriptions(p, &o.id)
                    .await?
                    .into_iter()
                    .filter(|s| &s.model_id == m)
                    .map(|s| s.model_pk)
                    .collect(),
                OrgKind::Provider => app
                    .store
                    .models_of(p, &o.id)
                    .await?
                    .into_iter()
                    .filter(|x| &x.model_id == m)
                    .map(|x| x.pk)
                    .collect(),
            };
            Some(
                pks.into_iter()
                    .next()
                    .ok_or_else(|| ApiError::invalid("model", format!("no model `{m}` here")))?,
            )
        }
    };
    let f = EventFilter {
        state: q.state.clone(),
        kind: q.kind.clone(),
        event_type: q.event_type.clone(),
        model_pk,
        severity: q.severity.clone(),
    };
    Ok((app.store.events(p, &o.id, &f, page).await?, page))
}

/// The events the organisation takes part in, newest first, with filters.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/events", tag = "events", params(("org" = String, Path), EventQuery),
    responses((status = 200, body = Paged<Event>), (status = 422, body = ErrorBody)), security(("token" = []), ("session" = [])))]
async fn list_events(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path(slug): Path<String>,
    Query(q): Query<EventQuery>,
) -> ApiResult<Json<Paged<Event>>> {
    let o = org(&app, &a.p, &slug).await?;
    let (items, page) = list(&app, &a.p, &o, &q).await?;
    Ok(Json(Paged::of(items, page)))
}

/// One event: its timeline (steps, comments, files), consultations, the organisations taking
/// part (a customer sees the provider and itself) and the times to acknowledge and resolve.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/events/{id}", tag = "events", params(("org" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = EventDetail), (status = 404, body = ErrorBody)), security(("token" = []), ("session" = [])))]
async fn get_event(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<Json<EventDetail>> {
    let o = org(&app, &a.p, &slug).await?;
    Ok(Json(app.store.event(&a.p, &o.id, &id).await?))
}

/// What an organisation may do with a bound event type.
#[derive(Debug, Serialize, ToSchema)]
pub struct TypeInfo {
    #[serde(rename = "type")]
    pub event_type: String,
    pub kind: String,
    pub title: String,
    pub description: String,
    pub model: String,
    pub provider: String,
    /// The rule applied (bound activity, each party's letters and role in the workflow).
    #[schema(value_type = Object)]
    pub routing: serde_json::Value,
    /// The organisation's party may open events of this type.
    pub can_open: bool,
    /// The bound rows' texts, for people.
    pub activity_text: String,
    pub opened_through_text: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct LangQuery {
    /// `en` or `fr` (default: the caller's language).
    pub lang: Option<String>,
}

pub(crate) async fn types_for(
    app: &App,
    p: &Principal,
    o: &OrgRef,
    lang: &str,
) -> ApiResult<Vec<TypeInfo>> {
    let mut out = Vec::new();
    let models: Vec<(String, String)> = match o.kind {
        OrgKind::Customer => app
            .store
            .subscriptions(p, &o.id)
            .await?
            .into_iter()
            .map(|s| (s.model_id, s.provider.slug))
            .collect(),
        OrgKind::Provider => app
            .store
            .models_of(p, &o.id)
            .await?
            .into_iter()
            .map(|m| (m.model_id, o.slug.clone()))
            .collect(),
    };
    for (model_id, provider) in models {
        let s = side(app, p, o, &model_id, Some(&provider)).await?;
        for b in &s.model.events {
            let Ok(r) = onus_model::events::route(&s.model, b) else {
                continue;
            };
            let Some(t) = EventTypes::builtin().get(&b.event_type) else {
                continue;
            };
            let text = |id: &str| {
                s.model
                    .activity(id)
                    .map(|a| a.text.best(lang).to_string())
                    .unwrap_or_default()
            };
            out.push(TypeInfo {
                event_type: b.event_type.clone(),
                kind: t.kind.as_str().into(),
                title: t.title.best(lang).into(),
                description: t.description.best(lang).into(),
                model: model_id.clone(),
                provider: provider.clone(),
                can_open: r.party(&s.party).is_some_and(|x| x.opens),
                activity_text: text(&b.activity),
                opened_through_text: b.opened_through.as_deref().map(text),
                routing: serde_json::to_value(&r).unwrap_or_default(),
            });
        }
    }
    Ok(out)
}

/// The event types bound by the models the organisation holds duties under, with their
/// routing and whether it may open them.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/event-types", tag = "events", params(("org" = String, Path), LangQuery),
    responses((status = 200, body = Vec<TypeInfo>)), security(("token" = []), ("session" = [])))]
async fn event_types(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path(slug): Path<String>,
    Query(q): Query<LangQuery>,
) -> ApiResult<Json<Vec<TypeInfo>>> {
    let o = org(&app, &a.p, &slug).await?;
    let lang = q.lang.or(a.p.lang.clone()).unwrap_or_else(|| "en".into());
    Ok(Json(types_for(&app, &a.p, &o, &lang).await?))
}

// ---------------------------------------------------------------------------------------------
// Steps

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Transition {
    /// `acknowledge` (the party that acts takes the event; any other records its
    /// acknowledgement), `resolve` or `reject` (the party that acts; a note is required).
    pub action: String,
    pub note: Option<String>,
}

/// Moves the event: acknowledge, resolve, reject. Refused (403) to a party the model does not
/// let do it, (409) in a state that does not allow it or while a consulted party has not
/// answered.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/events/{id}/transition", tag = "events", params(("org" = String, Path), ("id" = String, Path)),
    request_body = Transition, responses((status = 200, body = EventDetail), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
async fn transition(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path((slug, id)): Path<(String, String)>,
    Body(req): Body<Transition>,
) -> ApiResult<Json<EventDetail>> {
    let o = org(&app, &a.p, &slug).await?;
    let action = Action::parse(&req.action)
        .ok_or_else(|| ApiError::invalid("action", "acknowledge, resolve or reject"))?;
    let d = app
        .store
        .transition(&a.p, &o.id, &id, action, req.note.as_deref())
        .await?;
    app.wake.notify_one();
    Ok(Json(d))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    pub body: String,
}

/// Adds a comment to the timeline: JSON `{"body"}`, or multipart with `body` and a `file`.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/events/{id}/comments", tag = "events", params(("org" = String, Path), ("id" = String, Path)),
    request_body(content = CommentBody, description = "JSON, or multipart/form-data with a `file`"),
    responses((status = 201, body = EventDetail), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
async fn comment(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path((slug, id)): Path<(String, String)>,
    req: Request,
) -> ApiResult<(StatusCode, Json<EventDetail>)> {
    let o = org(&app, &a.p, &slug).await?;
    let ctype = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let (body, file) = if ctype.starts_with("multipart/form-data") {
        let mp = Multipart::from_request(req, &app)
            .await
            .map_err(|e| ApiError::bad_request(e.body_text()))?;
        let form = read_multipart(mp).await?;
        (
            form.get("body").cloned().unwrap_or_default(),
            form.file.clone(),
        )
    } else {
        let Body(c): Body<CommentBody> = Body::from_request(req, &app).await?;
        (c.body, None)
    };
    let d = add_comment(&app, &a.p, &o, &id, &body, file).await?;
    Ok((StatusCode::CREATED, Json(d)))
}

pub(crate) async fn add_comment(
    app: &App,
    p: &Principal,
    o: &OrgRef,
    id: &str,
    body: &str,
    file: Option<(String, String, Vec<u8>)>,
) -> ApiResult<EventDetail> {
    if let Some((_, _, b)) = &file {
        if b.len() > app.config.max_file_bytes {
            return Err(ApiError::too_large(format!(
                "the file is {} bytes; this server accepts at most {}",
                b.len(),
                app.config.max_file_bytes
            ))
            .field("file"));
        }
    }
    let d = app
        .store
        .comment(
            p,
            &o.id,
            id,
            body,
            file.as_ref()
                .map(|(n, m, b)| (n.as_str(), m.as_str(), b.as_slice())),
        )
        .await?;
    app.wake.notify_one();
    Ok(d)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Consult {
    pub question: String,
}

/// The party that acts consults every party holding C (one request each); resolving and
/// rejecting wait for their answers.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/events/{id}/consult", tag = "events", params(("org" = String, Path), ("id" = String, Path)),
    request_body = Consult, responses((status = 201, body = EventDetail), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
async fn consult(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path((slug, id)): Path<(String, String)>,
    Body(req): Body<Consult>,
) -> ApiResult<(StatusCode, Json<EventDetail>)> {
    let o = org(&app, &a.p, &slug).await?;
    let d = app.store.consult(&a.p, &o.id, &id, &req.question).await?;
    app.wake.notify_one();
    Ok((StatusCode::CREATED, Json(d)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    pub answer: String,
}

/// The consulted organisation answers its request (recorded in the timeline).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/events/{id}/consult/{consultation}", tag = "events",
    params(("org" = String, Path), ("id" = String, Path), ("consultation" = String, Path)),
    request_body = Answer, responses((status = 200, body = EventDetail), (status = 404, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
async fn answer(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path((slug, id, cid)): Path<(String, String, String)>,
    Body(req): Body<Answer>,
) -> ApiResult<Json<EventDetail>> {
    let o = org(&app, &a.p, &slug).await?;
    let d = app
        .store
        .answer(&a.p, &o.id, &id, &cid, &req.answer)
        .await?;
    app.wake.notify_one();
    Ok(Json(d))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Approve {
    /// `false` refuses the resolution (a `note` says why): the event goes back to the party
    /// that acts. Default `true`.
    pub approve: Option<bool>,
    pub note: Option<String>,
}

/// The accountable party approves the resolution (closed once every approving organisation
/// has), or refuses it. Only the parties the model makes approve may (403 for the others).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/events/{id}/approve", tag = "events", params(("org" = String, Path), ("id" = String, Path)),
    request_body = Approve, responses((status = 200, body = EventDetail), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
async fn approve(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path((slug, id)): Path<(String, String)>,
    Body(req): Body<Approve>,
) -> ApiResult<Json<EventDetail>> {
    let o = org(&app, &a.p, &slug).await?;
    let d = app
        .store
        .approve(
            &a.p,
            &o.id,
            &id,
            req.approve.unwrap_or(true),
            req.note.as_deref(),
        )
        .await?;
    app.wake.notify_one();
    Ok(Json(d))
}

// ---------------------------------------------------------------------------------------------
// Notifications

#[derive(Debug, Deserialize, IntoParams)]
pub struct NotificationQuery {
    /// Only the unread ones.
    pub unread: Option<bool>,
    /// Items per page (1 to 500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Items to skip.
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

/// The caller's notifications, newest first.
#[utoipa::path(get, path = "/api/v1/me/notifications", tag = "notifications", params(NotificationQuery),
    responses((status = 200, body = Paged<Notification>)), security(("token" = []), ("session" = [])))]
async fn notifications(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Query(q): Query<NotificationQuery>,
) -> ApiResult<Json<Paged<Notification>>> {
    let page = Paging {
        limit: q.limit,
        offset: q.offset,
    }
    .page()?;
    Ok(Json(Paged::of(
        app.store
            .notifications(&a.p, q.unread.unwrap_or(false), page)
            .await?,
        page,
    )))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkRead {
    /// The notifications to mark read; absent: all.
    pub ids: Option<Vec<String>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Marked {
    pub marked: u64,
}

/// Marks the caller's notifications read.
#[utoipa::path(post, path = "/api/v1/me/notifications/read", tag = "notifications", request_body = MarkRead,
    responses((status = 200, body = Marked)), security(("token" = []), ("session" = [])))]
async fn mark_read(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Body(req): Body<MarkRead>,
) -> ApiResult<Json<Marked>> {
    Ok(Json(Marked {
        marked: app.store.mark_read(&a.p, req.ids.as_deref()).await?,
    }))
}

/// The caller's choices: per kind of event (`incident`, `change`, `announcement`, `version`)
/// and channel (`portal`, `email`); everything is on until turned off.
#[utoipa::path(get, path = "/api/v1/me/notification-settings", tag = "notifications",
    responses((status = 200, body = Vec<Pref>)), security(("token" = []), ("session" = [])))]
async fn get_settings(State(app): State<App>, ApiAuth(a): ApiAuth) -> ApiResult<Json<Vec<Pref>>> {
    Ok(Json(app.store.prefs(&a.p).await?))
}

/// Sets some of the caller's choices.
#[utoipa::path(put, path = "/api/v1/me/notification-settings", tag = "notifications", request_body = Vec<Pref>,
    responses((status = 200, body = Vec<Pref>), (status = 422, body = ErrorBody)), security(("token" = []), ("session" = [])))]
async fn put_settings(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Body(req): Body<Vec<Pref>>,
) -> ApiResult<Json<Vec<Pref>>> {
    Ok(Json(app.store.set_prefs(&a.p, &req).await?))
}

// ---------------------------------------------------------------------------------------------
// Webhooks

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// Where to `POST` (http or https).
    pub url: String,
    /// The kinds to receive (`incident`, `change`, `announcement`, `version`); absent: all.
    #[serde(default)]
    pub kinds: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhook {
    pub webhook: Webhook,
    /// The signing secret, shown once: verify `Onus-Signature` with it.
    pub secret: String,
}

pub(crate) async fn add_webhook(
    app: &App,
    p: &Principal,
    o: &OrgRef,
    url: &str,
    kinds: &[String],
) -> ApiResult<(Webhook, String)> {
    p.write(&o.id)?;
    crate::worker::check_url(url.trim(), app.config.worker.allow_private)
        .map_err(|e| ApiError::invalid("url", e))?;
    Ok(app
        .store
        .create_webhook(p, &o.id, url.trim(), kinds)
        .await?)
}

/// The organisation's webhooks.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/webhooks", tag = "notifications", params(("org" = String, Path)),
    responses((status = 200, body = Vec<Webhook>)), security(("token" = []), ("session" = [])))]
async fn list_webhooks(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path(slug): Path<String>,
) -> ApiResult<Json<Vec<Webhook>>> {
    let o = org(&app, &a.p, &slug).await?;
    Ok(Json(app.store.webhooks(&a.p, &o.id).await?))
}

/// Adds a webhook endpoint; its signing secret is in the answer, once.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/webhooks", tag = "notifications", params(("org" = String, Path)), request_body = NewWebhook,
    responses((status = 201, body = CreatedWebhook), (status = 422, body = ErrorBody)), security(("token" = []), ("session" = [])))]
async fn create_webhook(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path(slug): Path<String>,
    Body(req): Body<NewWebhook>,
) -> ApiResult<(StatusCode, Json<CreatedWebhook>)> {
    let o = org(&app, &a.p, &slug).await?;
    let (webhook, secret) = add_webhook(&app, &a.p, &o, &req.url, &req.kinds).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedWebhook { webhook, secret }),
    ))
}

/// Turns a webhook off (pending deliveries to it fail; the log stays).
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/webhooks/{id}", tag = "notifications", params(("org" = String, Path), ("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("token" = []), ("session" = [])))]
async fn disable_webhook(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let o = org(&app, &a.p, &slug).await?;
    app.store.disable_webhook(&a.p, &o.id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct DeliveryQuery {
    /// One webhook's deliveries.
    pub webhook: Option<String>,
    /// Items per page (1 to 500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Items to skip.
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

/// The delivery log: the organisation's webhook deliveries, newest first, each with its state,
/// attempts and last response code.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/deliveries", tag = "notifications", params(("org" = String, Path), DeliveryQuery),
    responses((status = 200, body = Paged<Delivery>)), security(("token" = []), ("session" = [])))]
async fn list_deliveries(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path(slug): Path<String>,
    Query(q): Query<DeliveryQuery>,
) -> ApiResult<Json<Paged<Delivery>>> {
    let o = org(&app, &a.p, &slug).await?;
    let page = Paging {
        limit: q.limit,
        offset: q.offset,
    }
    .page()?;
    Ok(Json(Paged::of(
        app.store
            .deliveries(&a.p, &o.id, q.webhook.as_deref(), page)
            .await?,
        page,
    )))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryDetail {
    pub delivery: Delivery,
    /// The body sent (webhooks), or what the e-mail was rendered from.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub attempts: Vec<Attempt>,
}

/// One delivery: its body and every attempt with the response code.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/deliveries/{id}", tag = "notifications", params(("org" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = DeliveryDetail), (status = 404, body = ErrorBody)), security(("token" = []), ("session" = [])))]
async fn get_delivery(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<Json<DeliveryDetail>> {
    let o = org(&app, &a.p, &slug).await?;
    let (delivery, payload, attempts) = app.store.delivery(&a.p, &o.id, &id).await?;
    Ok(Json(DeliveryDetail {
        delivery,
        payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::String(payload)),
        attempts,
    }))
}

/// Sends a delivery again: the same body and idempotency key, a new signature.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/deliveries/{id}/replay", tag = "notifications", params(("org" = String, Path), ("id" = String, Path)),
    responses((status = 202, body = Delivery), (status = 404, body = ErrorBody)), security(("token" = []), ("session" = [])))]
async fn replay(
    State(app): State<App>,
    ApiAuth(a): ApiAuth,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<(StatusCode, Json<Delivery>)> {
    let o = org(&app, &a.p, &slug).await?;
    let d = app.store.replay(&a.p, &o.id, &id).await?;
    app.wake.notify_one();
    Ok((StatusCode::ACCEPTED, Json(d)))
}
