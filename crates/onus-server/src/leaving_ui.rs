//! The pages of reversibility and the end of service: `/leave` (export, ending a
//! subscription, the checklist, deleting the organisation), the page shown after a deletion
//! with the certificate, and the instance administrator's import. The same calls as the API
//! ([`crate::leaving`]), the same checks in the store.

// Page handlers fail with the page to show (an axum `Response`), as axum handlers do.
#![allow(clippy::result_large_err)]

use axum::extract::{Multipart, Path};
use axum::http::header;
use axum::routing::{get, post};
use axum::{Form, Router};
use minijinja::context;
use onus_store::export::Acting;
use onus_store::{OrgKind, Role};
use serde::Deserialize;

use crate::api;
use crate::auth;
use crate::error::ApiError;
use crate::leaving::ImportReport;
use crate::ui::{done, CsrfForm, PageResult, Ui};
use crate::App;

pub fn router() -> Router<App> {
    Router::new()
        .route("/leave", get(leave))
        .route("/leave/export", post(export))
        .route("/leave/end", post(end))
        .route("/leave/items/{id}", post(tick))
        .route("/leave/delete", post(delete))
        .route("/admin/import", post(import))
}

async fn leave(ui: Ui) -> PageResult {
    let (a, org) = ui.org()?;
    let p = &a.p;
    let subscriptions = ui
        .check(
            match org.kind {
                OrgKind::Customer => ui.app.store.subscriptions(p, &org.id).await,
                OrgKind::Provider => ui.app.store.subscribers(p, &org.id).await,
            }
            .map_err(ApiError::from),
        )
        .await?;
    let items = ui
        .check(ui.app.end_item_views(p, &org, ui.lang).await)
        .await?;
    let retention = ui.app.config.retention.log_content_setting.clone();
    let is_admin = p.role == Role::Admin;
    let today = chrono::Utc::now().date_naive().to_string();
    let all_ended = subscriptions
        .iter()
        .all(|s| s.end.as_ref().is_some_and(|e| e.end_date <= today));
    Ok(ui
        .render(
            "leave.html",
            "leave",
            &ui.t("leave_title"),
            context! {
                subscriptions => subscriptions,
                items => items,
                is_admin => is_admin,
                today => today,
                retention => retention,
                all_ended => all_ended,
                is_customer => org.kind == OrgKind::Customer,
            },
        )
        .await)
}

async fn export(ui: Ui, Form(f): Form<CsrfForm>) -> PageResult {
    let a = ui.csrf(&f.csrf).await?;
    let (_, org) = ui.org()?;
    ui.check(a.p.admin(&org.id).map_err(ApiError::from)).await?;
    Ok(crate::leaving::export_response(&ui.app, a.p.clone(), org))
}

#[derive(Deserialize)]
struct EndForm {
    csrf: String,
    subscription: String,
    end_date: String,
    #[serde(default)]
    reason: String,
}

async fn end(ui: Ui, Form(f): Form<EndForm>) -> PageResult {
    let a = ui.csrf(&f.csrf).await?;
    let reason = Some(f.reason.as_str()).filter(|r| !r.trim().is_empty());
    ui.check(
        ui.app
            .end_subscription(&a.p, &f.subscription, &f.end_date, reason)
            .await,
    )
    .await?;
    Ok(done("/leave", "ended"))
}

#[derive(Deserialize)]
struct TickForm {
    csrf: String,
    done: String,
    #[serde(default)]
    note: String,
}

async fn tick(ui: Ui, Path(id): Path<String>, Form(f): Form<TickForm>) -> PageResult {
    let a = ui.csrf(&f.csrf).await?;
    let (_, org) = ui.org()?;
    let note = Some(f.note.as_str()).filter(|n| !n.trim().is_empty());
    ui.check(
        ui.app
            .store
            .set_end_item_done(&a.p, &org.id, &id, f.done == "true", note)
            .await
            .map_err(ApiError::from),
    )
    .await?;
    Ok(done("/leave", "ticked"))
}

#[derive(Deserialize)]
struct DeleteForm {
    csrf: String,
    confirm: String,
}

async fn delete(ui: Ui, Form(f): Form<DeleteForm>) -> PageResult {
    let a = ui.csrf(&f.csrf).await?;
    let (_, org) = ui.org()?;
    let report = ui
        .check(
            ui.app
                .delete_org(Acting::User(&a.p), &org, f.confirm.trim())
                .await,
        )
        .await?;
    // The accounts are gone: the page is rendered signed out, and the cookie cleared.
    let signed_out = Ui { auth: None, ..ui };
    let kept: Vec<String> = report
        .certificate
        .kept
        .iter()
        .map(|k| match &k.until {
            Some(u) => format!("{} ({}; {})", k.what, k.why, u.get(..10).unwrap_or(u)),
            None => format!("{} ({})", k.what, k.why),
        })
        .collect();
    let mut res = signed_out
        .render(
            "deleted.html",
            "",
            &signed_out.t("deleted_title"),
            context! {
                cert => report.certificate,
                url => report.certificate_url,
                kept => kept,
                reclaimed => report.reclaimed,
            },
        )
        .await;
    if let Ok(v) = auth::set_cookie(&signed_out.app, auth::SESSION_COOKIE, "", 0).parse() {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(res)
}

async fn import(ui: Ui, mp: Multipart) -> PageResult {
    let form = ui.check(api::read_multipart(mp).await).await?;
    let a = ui.csrf(form.get("csrf").map_or("", String::as_str)).await?;
    ui.check(a.p.instance_admin().map_err(ApiError::from))
        .await?;
    let (_, _, bytes) = ui
        .check(
            form.file
                .clone()
                .ok_or_else(|| ApiError::invalid("file", "choose the archive")),
        )
        .await?;
    let report: ImportReport = ui
        .check(
            ui.app
                .import_archive(Acting::User(&a.p), std::io::Cursor::new(bytes))
                .await
                .map(Into::into),
        )
        .await?;
    Ok(ui
        .render(
            "imported.html",
            "dashboard",
            &ui.t("imported_title"),
            context! { report => report },
        )
        .await)
}

/// The open lines of the organisation's checklists, for the dashboard (tracked like its
/// other obligations).
pub async fn dashboard_items(
    app: &App,
    p: &onus_store::Principal,
    org: &onus_store::OrgRef,
    lang: &str,
) -> Result<Vec<crate::leaving::EndItemView>, ApiError> {
    Ok(app
        .end_item_views(p, org, lang)
        .await?
        .into_iter()
        .filter(|i| i.status != "done" && i.mine)
        .collect())
}
