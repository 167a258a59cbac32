//! The events' pages: the list, a new event, an event's timeline with the steps the caller's
//! party may take (acknowledge, consult, answer, resolve, reject, approve, refuse, comment),
//! the notifications list and settings, and the webhooks with their delivery log and replays.
//! Every page and form goes through the functions the API uses.

// Page handlers fail with the page to show (an axum `Response`), as axum handlers do.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;

use axum::extract::{Multipart, Path, Query};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use minijinja::{context, Value};
use onus_store::events::Action;
use onus_store::notify::{Pref, KINDS};
use onus_store::{OrgKind, Page};
use serde::Deserialize;

use crate::error::ApiError;
use crate::events_api::{self, EventQuery, SEVERITIES};
use crate::ui::{done, CsrfForm, PageResult, Ui};
use crate::App;

/// The events' templates (and the e-mails'), by name.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("events.html", include_str!("../templates/events.html")),
    ("event.html", include_str!("../templates/event.html")),
    (
        "event_new.html",
        include_str!("../templates/event_new.html"),
    ),
    ("routing.html", include_str!("../templates/routing.html")),
    (
        "notifications.html",
        include_str!("../templates/notifications.html"),
    ),
    ("webhooks.html", include_str!("../templates/webhooks.html")),
    (
        "demo_receiver.html",
        include_str!("../templates/demo_receiver.html"),
    ),
    (
        "email/subject.txt",
        include_str!("../templates/email/subject.txt"),
    ),
    (
        "email/message.txt",
        include_str!("../templates/email/message.txt"),
    ),
    (
        "email/message.html",
        include_str!("../templates/email/message.html"),
    ),
];

/// `duration`: seconds as people read them (`4 min`, `2 h 05`, `3 d 4 h`).
pub fn filters(env: &mut minijinja::Environment<'static>) {
    // `capitalize_first`: the first letter upper-cased, the rest kept (`capitalize` would
    // lower-case "(R)" and "OVHcloud").
    env.add_filter("capitalize_first", |v: String| -> String {
        let mut c = v.chars();
        match c.next() {
            Some(f) => f.to_uppercase().chain(c).collect(),
            None => v,
        }
    });
    env.add_filter("duration", |v: Value| -> String {
        let Some(s) = v.as_i64() else {
            return "—".into();
        };
        let s = s.max(0);
        match s {
            0..60 => format!("{s} s"),
            60..3600 => format!("{} min", s / 60),
            3600..86400 => format!("{} h {:02}", s / 3600, (s % 3600) / 60),
            _ => format!("{} d {} h", s / 86400, (s % 86400) / 3600),
        }
    });
}

pub fn router() -> Router<App> {
    Router::new()
        .route("/events", get(events).post(open))
        .route("/events/new", get(new_event))
        .route("/events/{id}", get(event))
        .route("/events/{id}/transition", post(transition))
        .route("/events/{id}/comments", post(comment))
        .route("/events/{id}/consult", post(consult))
        .route("/events/{id}/consult/{cid}", post(answer))
        .route("/events/{id}/approve", post(approve))
        .route("/notifications", get(notifications))
        .route("/notifications/read", post(mark_read))
        .route("/notifications/settings", post(settings))
        .route("/webhooks", get(webhooks).post(add_webhook))
        .route("/webhooks/{id}/disable", post(disable_webhook))
        .route("/deliveries/{id}/replay", post(replay))
}

#[derive(Deserialize)]
struct ListQuery {
    state: Option<String>,
    kind: Option<String>,
}

async fn events(ui: Ui, Query(q): Query<ListQuery>) -> PageResult {
    let (a, org) = ui.org()?;
    let state = q.state.filter(|s| !s.is_empty());
    let kind = q.kind.filter(|s| !s.is_empty());
    let query = EventQuery {
        state: state.clone(),
        kind: kind.clone(),
        event_type: None,
        model: None,
        severity: None,
        limit: Some(200),
        offset: None,
    };
    let (list, _) = ui
        .check(events_api::list(&ui.app, &a.p, &org, &query).await)
        .await?;
    let types = ui
        .check(events_api::types_for(&ui.app, &a.p, &org, ui.lang).await)
        .await?;
    let openable: Vec<_> = types.into_iter().filter(|t| t.can_open).collect();
    Ok(ui
        .render(
            "events.html",
            "events",
            &ui.t("events"),
            context! { events => list, openable => openable, state => state, kind => kind },
        )
        .await)
}

/// Party ids to names in the caller's language, for a model version.
async fn party_names(ui: &Ui, version_id: &str) -> Result<HashMap<String, String>, Response> {
    let a = ui.auth()?;
    let model = ui
        .check(ui.app.model_by_version(&a.p, version_id).await)
        .await?;
    Ok(model
        .parties
        .iter()
        .map(|p| (p.id.clone(), p.name.best(ui.lang).to_string()))
        .collect())
}

#[derive(Deserialize)]
struct NewQuery {
    #[serde(rename = "type")]
    event_type: String,
    model: String,
    provider: Option<String>,
}

async fn new_event(ui: Ui, Query(q): Query<NewQuery>) -> PageResult {
    let (a, org) = ui.org()?;
    let types = ui
        .check(events_api::types_for(&ui.app, &a.p, &org, ui.lang).await)
        .await?;
    let ty = types
        .into_iter()
        .find(|t| {
            t.event_type == q.event_type
                && t.model == q.model
                && q.provider.as_ref().is_none_or(|p| &t.provider == p)
                && t.can_open
        })
        .ok_or_else(|| ApiError::not_found("event type"));
    let ty = ui.check(ty).await?;
    // The version whose parties name the routing, and for a provider the customers it may
    // publish to: one lean query ([`onus_store::Store::event_subscribers`], slug and name of
    // each subscriber of this model), whatever the number of customers.
    let (version, customers): (Option<String>, Vec<Value>) = match org.kind {
        OrgKind::Customer => (
            ui.check(
                ui.app
                    .store
                    .subscriptions(&a.p, &org.id)
                    .await
                    .map_err(ApiError::from),
            )
            .await?
            .into_iter()
            .find(|s| s.model_id == ty.model && s.provider.slug == ty.provider)
            .map(|s| s.version.id),
            Vec::new(),
        ),
        OrgKind::Provider => {
            let model = ui
                .check(
                    ui.app
                        .store
                        .models_of(&a.p, &org.id)
                        .await
                        .map_err(ApiError::from),
                )
                .await?
                .into_iter()
                .find(|m| m.model_id == ty.model);
            let customers = match &model {
                Some(m) => ui
                    .check(
                        ui.app
                            .store
                            .event_subscribers(&a.p, &org.id, &m.pk)
                            .await
                            .map_err(ApiError::from),
                    )
                    .await?
                    .into_iter()
                    .map(|(_, o)| context! { slug => o.slug, name => o.name })
                    .collect(),
                None => Vec::new(),
            };
            (model.and_then(|m| m.latest.map(|l| l.id)), customers)
        }
    };
    let names = match version {
        Some(v) => party_names(&ui, &v).await?,
        None => HashMap::new(),
    };
    let title = ty.title.clone();
    Ok(ui
        .render(
            "event_new.html",
            "events",
            &title,
            context! {
                r => ty.routing, activity_text => ty.activity_text, opened_through_text => ty.opened_through_text,
                party_names => names, ty => ty, severities => SEVERITIES, customers => customers,
            },
        )
        .await)
}

async fn open(ui: Ui, mp: Multipart) -> PageResult {
    let form = ui.check(crate::api::read_multipart(mp).await).await?;
    let a = ui.csrf(form.get("csrf").map_or("", String::as_str)).await?;
    let (_, org) = ui.org()?;
    let mut req = ui.check(events_api::open_of_form(&form)).await?;
    // The form's checkboxes: every subscriber checked is the default (all).
    if form.get("customers_all").is_some() {
        let chosen: Vec<String> = form
            .all("customer")
            .into_iter()
            .map(str::to_string)
            .collect();
        if chosen.is_empty() {
            return Err(ui
                .fail(ApiError::invalid("customers", ui.t("choose_customers")))
                .await);
        }
        req.customers = Some(chosen);
    }
    let d = ui
        .check(events_api::open(&ui.app, &a.p, &org, req, form.file.clone()).await)
        .await?;
    Ok(done(&format!("/events/{}", d.event.id), "opened"))
}

async fn event(ui: Ui, Path(id): Path<String>) -> PageResult {
    let (a, org) = ui.org()?;
    let d = ui
        .check(
            ui.app
                .store
                .event(&a.p, &org.id, &id)
                .await
                .map_err(ApiError::from),
        )
        .await?;
    let names = party_names(&ui, &d.event.version_id).await?;
    let r = d.event.routing.clone();
    let has_consulted = r
        .get("parties")
        .and_then(|p| p.as_array())
        .is_some_and(|ps| ps.iter().any(|p| p.get("consulted") == Some(&true.into())));
    let model = ui
        .check(ui.app.model_by_version(&a.p, &d.event.version_id).await)
        .await?;
    let text = |id: Option<&str>| {
        id.and_then(|id| model.activity(id))
            .map(|a| a.text.best(ui.lang).to_string())
    };
    let activity_text = text(r.get("activity").and_then(|v| v.as_str()));
    let opened_through_text = text(r.get("opened_through").and_then(|v| v.as_str()));
    // A consultation this organisation has not answered yet: its next step.
    let waiting_on_me = d
        .consultations
        .iter()
        .any(|c| c.org_id == org.id && c.answered_at.is_none());
    let title = format!(
        "{}-{} {}",
        d.event.provider.slug, d.event.number, d.event.title
    );
    Ok(ui
        .render(
            "event.html",
            "events",
            &title,
            context! {
                d => d, r => r, party_names => names, has_consulted => has_consulted, waiting_on_me => waiting_on_me,
                activity_text => activity_text, opened_through_text => opened_through_text,
            },
        )
        .await)
}

#[derive(Deserialize)]
struct StepForm {
    csrf: String,
    action: Option<String>,
    note: Option<String>,
    question: Option<String>,
    answer: Option<String>,
    approve: Option<String>,
}

async fn transition(ui: Ui, Path(id): Path<String>, Form(f): Form<StepForm>) -> PageResult {
    let a = ui.csrf(&f.csrf).await?;
    let (_, org) = ui.org()?;
    let action = ui
        .check(
            f.action
                .as_deref()
                .and_then(Action::parse)
                .ok_or_else(|| ApiError::invalid("action", "acknowledge, resolve or reject")),
        )
        .await?;
    ui.check(
        ui.app
            .store
            .transition(&a.p, &org.id, &id, action, f.note.as_deref())
            .await
            .map_err(ApiError::from),
    )
    .await?;
    ui.app.wake.notify_one();
    Ok(done(&format!("/events/{id}"), "updated"))
}

async fn consult(ui: Ui, Path(id): Path<String>, Form(f): Form<StepForm>) -> PageResult {
    let a = ui.csrf(&f.csrf).await?;
    let (_, org) = ui.org()?;
    ui.check(
        ui.app
            .store
            .consult(&a.p, &org.id, &id, f.question.as_deref().unwrap_or(""))
            .await
            .map_err(ApiError::from),
    )
    .await?;
    ui.app.wake.notify_one();
    Ok(done(&format!("/events/{id}"), "updated"))
}

async fn answer(
    ui: Ui,
    Path((id, cid)): Path<(String, String)>,
    Form(f): Form<StepForm>,
) -> PageResult {
    let a = ui.csrf(&f.csrf).await?;
    let (_, org) = ui.org()?;
    ui.check(
        ui.app
            .store
            .answer(&a.p, &org.id, &id, &cid, f.answer.as_deref().unwrap_or(""))
            .await
            .map_err(ApiError::from),
    )
    .await?;
    ui.app.wake.notify_one();
    Ok(done(&format!("/events/{id}"), "updated"))
}

async fn approve(ui: Ui, Path(id): Path<String>, Form(f): Form<StepForm>) -> PageResult {
    let a = ui.csrf(&f.csrf).await?;
    let (_, org) = ui.org()?;
    ui.check(
        ui.app
            .store
            .approve(
                &a.p,
                &org.id,
                &id,
                f.approve.as_deref() != Some("false"),
                f.note.as_deref(),
            )
            .await
            .map_err(ApiError::from),
    )
    .await?;
    ui.app.wake.notify_one();
    Ok(done(&format!("/events/{id}"), "updated"))
}

async fn comment(ui: Ui, Path(id): Path<String>, mp: Multipart) -> PageResult {
    let form = ui.check(crate::api::read_multipart(mp).await).await?;
    let a = ui.csrf(form.get("csrf").map_or("", String::as_str)).await?;
    let (_, org) = ui.org()?;
    let body = form.get("body").cloned().unwrap_or_default();
    ui.check(events_api::add_comment(&ui.app, &a.p, &org, &id, &body, form.file.clone()).await)
        .await?;
    Ok(done(&format!("/events/{id}"), "saved"))
}

// ---------------------------------------------------------------------------------------------
// Notifications

async fn notifications(ui: Ui) -> PageResult {
    let (a, _) = ui.org()?;
    let items = ui
        .check(
            ui.app
                .store
                .notifications(
                    &a.p,
                    false,
                    Page {
                        limit: 100,
                        offset: 0,
                    },
                )
                .await
                .map_err(ApiError::from),
        )
        .await?;
    let prefs: HashMap<String, bool> = ui
        .check(ui.app.store.prefs(&a.p).await.map_err(ApiError::from))
        .await?
        .into_iter()
        .map(|p| (format!("{}.{}", p.kind, p.channel), p.enabled))
        .collect();
    Ok(ui
        .render(
            "notifications.html",
            "notifications",
            &ui.t("notifications"),
            context! { items => items, prefs => prefs, kinds => KINDS, email_on => ui.app.config.worker.smtp.is_some() },
        )
        .await)
}

async fn mark_read(ui: Ui, Form(f): Form<CsrfForm>) -> PageResult {
    let a = ui.csrf(&f.csrf).await?;
    ui.check(
        ui.app
            .store
            .mark_read(&a.p, None)
            .await
            .map_err(ApiError::from),
    )
    .await?;
    Ok(done("/notifications", "read"))
}

async fn settings(ui: Ui, Form(f): Form<Vec<(String, String)>>) -> PageResult {
    let token = f
        .iter()
        .find(|(k, _)| k == "csrf")
        .map_or("", |(_, v)| v.as_str());
    let a = ui.csrf(token).await?;
    let on: Vec<&str> = f.iter().map(|(k, _)| k.as_str()).collect();
    let prefs: Vec<Pref> = KINDS
        .iter()
        .flat_map(|k| {
            ["portal", "email"].iter().map(move |c| Pref {
                kind: k.to_string(),
                channel: c.to_string(),
                enabled: false,
            })
        })
        .map(|mut p| {
            p.enabled = on.contains(&format!("{}.{}", p.kind, p.channel).as_str());
            p
        })
        .collect();
    ui.check(
        ui.app
            .store
            .set_prefs(&a.p, &prefs)
            .await
            .map_err(ApiError::from),
    )
    .await?;
    Ok(done("/notifications", "saved"))
}

// ---------------------------------------------------------------------------------------------
// Webhooks

async fn webhooks_page(ui: &Ui, secret: Option<String>) -> PageResult {
    let (a, org) = ui.org()?;
    let hooks = ui
        .check(
            ui.app
                .store
                .webhooks(&a.p, &org.id)
                .await
                .map_err(ApiError::from),
        )
        .await?;
    let deliveries = ui
        .check(
            ui.app
                .store
                .deliveries(
                    &a.p,
                    &org.id,
                    None,
                    Page {
                        limit: 100,
                        offset: 0,
                    },
                )
                .await
                .map_err(ApiError::from),
        )
        .await?;
    Ok(ui
        .render(
            "webhooks.html",
            "webhooks",
            &ui.t("webhooks"),
            context! {
                hooks => hooks, deliveries => deliveries, kinds => KINDS, new_secret => secret,
                demo => ui.app.config.demo,
            },
        )
        .await)
}

async fn webhooks(ui: Ui) -> PageResult {
    webhooks_page(&ui, None).await
}

async fn add_webhook(ui: Ui, Form(f): Form<Vec<(String, String)>>) -> PageResult {
    let get = |k: &str| {
        f.iter()
            .find(|(x, _)| x == k)
            .map_or("", |(_, v)| v.as_str())
    };
    let a = ui.csrf(get("csrf")).await?;
    let (_, org) = ui.org()?;
    let mut kinds: Vec<String> = f
        .iter()
        .filter(|(k, _)| k == "kind")
        .map(|(_, v)| v.clone())
        .collect();
    if kinds.len() == KINDS.len() {
        kinds.clear();
    }
    let (_, secret) = ui
        .check(events_api::add_webhook(&ui.app, &a.p, &org, get("url"), &kinds).await)
        .await?;
    webhooks_page(&ui, Some(secret)).await
}

async fn disable_webhook(ui: Ui, Path(id): Path<String>, Form(f): Form<CsrfForm>) -> PageResult {
    let a = ui.csrf(&f.csrf).await?;
    let (_, org) = ui.org()?;
    ui.check(
        ui.app
            .store
            .disable_webhook(&a.p, &org.id, &id)
            .await
            .map_err(ApiError::from),
    )
    .await?;
    Ok(done("/webhooks", "saved"))
}

async fn replay(ui: Ui, Path(id): Path<String>, Form(f): Form<CsrfForm>) -> PageResult {
    let a = ui.csrf(&f.csrf).await?;
    let (_, org) = ui.org()?;
    ui.check(
        ui.app
            .store
            .replay(&a.p, &org.id, &id)
            .await
            .map_err(ApiError::from),
    )
    .await?;
    ui.app.wake.notify_one();
    Ok(done("/webhooks", "replayed"))
}
