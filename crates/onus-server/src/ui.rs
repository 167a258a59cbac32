//! The web UI: server-rendered pages (minijinja templates embedded in the binary), plain
//! forms, no JavaScript. Every page reads through the same store calls and views as the API,
//! so what a page shows is what the API answers. Forms carry the session's CSRF token.

// Page handlers fail with the page to show (an axum `Response`), as axum handlers do.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{FromRequestParts, Multipart, Path, Query};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::{DateTime, Utc};
use minijinja::{context, Environment, Value};
use onus_store::evidence::{EvidenceKind, StatusPoint};
use onus_store::{OrgKind, OrgRef, Page, Principal, Role};
use serde::Deserialize;

use crate::api::{self, Me};
use crate::auth::{self, Auth, MaybeAuth};
use crate::domain::Status;
use crate::error::ApiError;
use crate::views::ObligationView;
use crate::{i18n, App};

/// The templates, by name (embedded at build time).
pub const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("macros.html", include_str!("../templates/macros.html")),
    ("login.html", include_str!("../templates/login.html")),
    (
        "dashboard.html",
        include_str!("../templates/dashboard.html"),
    ),
    (
        "admin_home.html",
        include_str!("../templates/admin_home.html"),
    ),
    (
        "obligations.html",
        include_str!("../templates/obligations.html"),
    ),
    (
        "obligation.html",
        include_str!("../templates/obligation.html"),
    ),
    ("models.html", include_str!("../templates/models.html")),
    ("matrix.html", include_str!("../templates/matrix.html")),
    ("versions.html", include_str!("../templates/versions.html")),
    ("evidence.html", include_str!("../templates/evidence.html")),
    ("admin.html", include_str!("../templates/admin.html")),
    ("log.html", include_str!("../templates/log.html")),
    ("shared.html", include_str!("../templates/shared.html")),
    ("error.html", include_str!("../templates/error.html")),
    ("leave.html", include_str!("../templates/leave.html")),
    ("deleted.html", include_str!("../templates/deleted.html")),
    ("imported.html", include_str!("../templates/imported.html")),
];

const CSS: &str = include_str!("../static/app.css");

/// The template environment: auto-escaping HTML, `t(key)` in the page's language.
pub fn templates() -> Environment<'static> {
    let mut env = Environment::new();
    // E-mails' text parts are not HTML: no escaping there.
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".txt") {
            minijinja::AutoEscape::None
        } else {
            minijinja::AutoEscape::Html
        }
    });
    for (name, text) in TEMPLATES.iter().chain(crate::events_ui::TEMPLATES) {
        // The templates are part of the binary and tested: a syntax error is a build bug.
        if let Err(e) = env.add_template(name, text) {
            tracing::error!("template {name}: {e}");
        }
    }
    env.add_function("t", |state: &minijinja::State, key: String| -> String {
        let lang = state
            .lookup("lang")
            .map(|v| v.to_string())
            .unwrap_or_default();
        i18n::t(&lang, &key)
    });
    crate::events_ui::filters(&mut env);
    env.add_filter("truncate", |s: String, n: usize| -> String {
        if s.chars().count() <= n {
            s
        } else {
            let cut: String = s.chars().take(n.saturating_sub(1)).collect();
            format!("{}…", cut.trim_end())
        }
    });
    env
}

pub fn router() -> Router<App> {
    Router::new()
        .route("/", get(home))
        .route("/static/app.css", get(css))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/lang", post(set_lang))
        .route("/dashboard", get(dashboard))
        .route("/orgs", post(create_org))
        .route("/obligations", get(obligations))
        .route("/obligations/{id}", get(obligation).post(update_obligation))
        .route("/models", get(models).post(publish))
        .route("/subscriptions", post(subscribe))
        .route("/matrix/{provider}/{model}", get(matrix))
        .route("/versions", get(versions))
        .route("/notices/{id}/acknowledge", post(acknowledge))
        .route("/evidence", get(evidence))
        .route("/evidence/audit", post(upload_audit))
        .route("/evidence/attestation", post(attest))
        .route("/evidence/attestations-file", post(attestations_file))
        .route("/evidence/share", post(share))
        .route("/shared", get(shared))
        .route("/files/{id}", get(file))
        .route("/admin", get(admin))
        .route("/admin/users", post(add_user))
        .route("/admin/tokens", post(add_token))
        .route("/admin/tokens/{id}/revoke", post(revoke_token))
        .route("/log", get(log))
        .merge(crate::leaving_ui::router())
        .fallback(not_found)
}

// ---------------------------------------------------------------------------------------------
// The page context

/// What every page handler gets: the app, the caller (if signed in), the language, the path.
pub struct Ui {
    pub(crate) app: App,
    pub(crate) auth: Option<Auth>,
    pub(crate) lang: &'static str,
    pub(crate) path: String,
    pub(crate) flash: Option<String>,
}

impl FromRequestParts<App> for Ui {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let MaybeAuth(auth) = MaybeAuth::from_request_parts(parts, app)
            .await
            .map_err(IntoResponse::into_response)?;
        let lang = lang_of(auth.as_ref(), &parts.headers);
        let flash = parts.uri.query().and_then(|q| {
            q.split('&')
                .find_map(|kv| kv.strip_prefix("done="))
                .filter(|k| DONE.contains(k))
                .map(|k| i18n::t(lang, &format!("done_{k}")))
        });
        Ok(Ui {
            app: app.clone(),
            auth,
            lang,
            path: parts.uri.path().to_string(),
            flash,
        })
    }
}

/// The `?done=` messages a redirect may ask for (keys only: no text from the URL is shown).
const DONE: &[&str] = &[
    "saved",
    "uploaded",
    "subscribed",
    "acknowledged",
    "published",
    "revoked",
    "shared",
    "created",
    "ended",
    "ticked",
    "opened",
    "updated",
    "replayed",
    "read",
];

fn lang_of(auth: Option<&Auth>, headers: &HeaderMap) -> &'static str {
    let pick = |s: &str| {
        if s == "fr" {
            Some("fr")
        } else if s == "en" {
            Some("en")
        } else {
            None
        }
    };
    auth.and_then(|a| a.p.lang.as_deref().and_then(pick))
        .or_else(|| auth::cookie(headers, auth::LANG_COOKIE).and_then(pick))
        .unwrap_or_else(|| {
            i18n::from_accept(
                headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or(""),
            )
        })
}

pub(crate) type PageResult = Result<Response, Response>;

impl Ui {
    pub(crate) fn t(&self, key: &str) -> String {
        i18n::t(self.lang, key)
    }

    /// The signed-in caller, or a redirect to sign-in.
    pub(crate) fn auth(&self) -> Result<&Auth, Response> {
        self.auth
            .as_ref()
            .ok_or_else(|| Redirect::to("/login").into_response())
    }

    /// The signed-in caller's organisation.
    pub(crate) fn org(&self) -> Result<(&Auth, OrgRef), Response> {
        let a = self.auth()?;
        match &a.p.org {
            Some(o) => Ok((a, o.clone())),
            None => Err(Redirect::to("/dashboard").into_response()),
        }
    }

    /// Renders a page with the common context (caller, language, CSRF, pending notices).
    pub(crate) async fn render(
        &self,
        name: &str,
        page: &str,
        title: &str,
        extra: Value,
    ) -> Response {
        let me = self.auth.as_ref().map(|a| Me::from(&a.p));
        let pending = match &self.auth {
            Some(a) => match &a.p.org {
                Some(o) if o.kind == OrgKind::Customer => self
                    .app
                    .store
                    .pending_notices(&a.p, &o.id)
                    .await
                    .unwrap_or(0),
                _ => 0,
            },
            None => 0,
        };
        let unread = match &self.auth {
            Some(a) if a.p.org.is_some() => self.app.store.unread(&a.p).await.unwrap_or(0),
            _ => 0,
        };
        let can_write = self
            .auth
            .as_ref()
            .is_some_and(|a| a.p.org.is_some() && a.p.role != Role::Auditor);
        let ctx = context! {
            lang => self.lang,
            me => me,
            csrf => self.auth.as_ref().map_or("", |a| a.csrf()),
            path => self.path,
            page => page,
            title => title,
            pending => pending,
            unread => unread,
            flash => self.flash,
            can_write => can_write,
            statuses => Status::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            ..extra
        };
        let html = self
            .app
            .templates
            .get_template(name)
            .and_then(|t| t.render(ctx));
        match html {
            Ok(h) => Html(h).into_response(),
            Err(e) => ApiError::internal(format!("rendering {name}: {e:#}")).into_response(),
        }
    }

    /// An error as a page, with the API's status code.
    pub(crate) async fn fail(&self, e: ApiError) -> Response {
        let (heading, message) = if e.status == StatusCode::NOT_FOUND {
            (self.t("not_found"), self.t("not_found_text"))
        } else {
            let field = e
                .detail
                .field
                .as_ref()
                .map(|f| format!("{f}: "))
                .unwrap_or_default();
            (self.t("refused"), format!("{field}{}", e.detail.message))
        };
        let details: Vec<String> = e
            .detail
            .details
            .as_ref()
            .and_then(|d| d.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|d| {
                        let msg = d.get("message")?.as_str()?;
                        let line = d
                            .get("span")
                            .and_then(|s| s.get("line"))
                            .and_then(|l| l.as_u64());
                        Some(match line {
                            Some(l) => format!("{} {l}: {msg}", self.t("line")),
                            None => msg.to_string(),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut res = self
            .render(
                "error.html",
                "",
                &heading,
                context! { heading => heading, message => message, details => details, back => self.path },
            )
            .await;
        *res.status_mut() = e.status;
        res
    }

    pub(crate) async fn check<T>(&self, r: Result<T, ApiError>) -> Result<T, Response> {
        match r {
            Ok(v) => Ok(v),
            Err(e) => Err(self.fail(e).await),
        }
    }

    pub(crate) async fn csrf(&self, token: &str) -> Result<&Auth, Response> {
        let a = self.auth()?;
        match a.check_csrf(token) {
            Ok(()) => Ok(a),
            Err(e) => Err(self.fail(e).await),
        }
    }
}

pub(crate) fn done(to: &str, what: &str) -> Response {
    let sep = if to.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{to}{sep}done={what}")).into_response()
}

/// A local path to go back to (never another site).
pub(crate) fn local(back: Option<&String>, default: &str) -> String {
    back.filter(|b| b.starts_with('/') && !b.starts_with("//") && !b.contains('\\'))
        .cloned()
        .unwrap_or_else(|| default.to_string())
}

async fn not_found(ui: Ui) -> Response {
    ui.fail(ApiError::not_found("page")).await
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

async fn home(ui: Ui) -> Response {
    if ui.auth.is_some() {
        Redirect::to("/dashboard").into_response()
    } else {
        Redirect::to("/login").into_response()
    }
}

// ---------------------------------------------------------------------------------------------
// Signing in and out, language

async fn login_page(ui: Ui, headers: HeaderMap) -> Response {
    if ui.auth.is_some() {
        return Redirect::to("/dashboard").into_response();
    }
    let token = auth::cookie(&headers, auth::LOGIN_CSRF_COOKIE)
        .filter(|t| t.len() == 64 && t.chars().all(|c| c.is_ascii_hexdigit()))
        .map(str::to_string)
        .unwrap_or_else(onus_store::random_token);
    let mut res = ui
        .render(
            "login.html",
            "login",
            &ui.t("sign_in"),
            context! { login_csrf => token, email => "" },
        )
        .await;
    if let Ok(v) = auth::set_cookie(&ui.app, auth::LOGIN_CSRF_COOKIE, &token, 3600).parse() {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

#[derive(Deserialize)]
struct LoginForm {
    csrf: String,
    email: String,
    password: String,
}

async fn login(
    ui: Ui,
    headers: HeaderMap,
    auth::ClientIp(ip): auth::ClientIp,
    Form(f): Form<LoginForm>,
) -> PageResult {
    // Double-submit: the form's token must be the cookie's (set by the sign-in page).
    let cookie = auth::cookie(&headers, auth::LOGIN_CSRF_COOKIE).unwrap_or("");
    if cookie.is_empty() || !auth::constant_time_eq(cookie.as_bytes(), f.csrf.as_bytes()) {
        return Err(ui.fail(ApiError::csrf()).await);
    }
    match auth::sign_in(&ui.app, &ip, &f.email, &f.password).await {
        Ok(session) => {
            let cookie = auth::set_cookie(
                &ui.app,
                auth::SESSION_COOKIE,
                &session.id,
                ui.app.config.session_hours * 3600,
            );
            Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/dashboard")).into_response())
        }
        Err(e) => {
            let mut res = ui
                .render(
                    "login.html",
                    "login",
                    &ui.t("sign_in"),
                    context! { login_csrf => f.csrf, email => f.email, error => e.detail.message },
                )
                .await;
            *res.status_mut() = e.status;
            Ok(res)
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    pub(crate) csrf: String,
}

async fn logout(ui: Ui, Form(f): Form<CsrfForm>) -> PageResult {
    let a = ui.csrf(&f.csrf).await?;
    if let Some((id, _)) = &a.session {
        ui.check(
            ui.app
                .store
                .end_session(&a.p, id)
                .await
                .map_err(ApiError::from),
        )
        .await?;
    }
    let cookie = auth::set_cookie(&ui.app, auth::SESSION_COOKIE, "", 0);
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/login")).into_response())
}

#[derive(Deserialize)]
struct LangForm {
    #[serde(default)]
    csrf: String,
    lang: String,
    back: Option<String>,
}

async fn set_lang(ui: Ui, Form(f): Form<LangForm>) -> PageResult {
    let lang = if f.lang == "fr" { "fr" } else { "en" };
    if ui.auth.is_some() {
        let a = ui.csrf(&f.csrf).await?;
        ui.check(
            ui.app
                .store
                .set_lang(&a.p, lang)
                .await
                .map_err(ApiError::from),
        )
        .await?;
    }
    let cookie = auth::set_cookie(&ui.app, auth::LANG_COOKIE, lang, 365 * 24 * 3600);
    Ok((
        [(header::SET_COOKIE, cookie)],
        Redirect::to(&local(f.back.as_ref(), "/")),
    )
        .into_response())
}

// ---------------------------------------------------------------------------------------------
// Dashboard

/// A horizontal bar of counts by status, as inline SVG (no inline style: the CSP forbids it).
fn bar_svg(c: &HashMap<&str, usize>, label: &str) -> String {
    let total: usize = c.values().sum();
    let mut x = 0.0;
    let mut rects = String::new();
    for s in Status::ALL {
        let n = c.get(s.as_str()).copied().unwrap_or(0);
        if n == 0 || total == 0 {
            continue;
        }
        let w = n as f64 * 100.0 / total as f64;
        rects.push_str(&format!(
            r#"<rect class="s-{}" x="{x:.2}" y="0" width="{w:.2}" height="10"/>"#,
            s.as_str()
        ));
        x += w;
    }
    format!(
        r#"<svg class="stack" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label="{}">{rects}</svg>"#,
        minijinja::HtmlEscape(label)
    )
}

/// Duties by status after each change of evidence, as stacked bars (inline SVG).
fn chart_svg(points: &[StatusPoint], title: &str) -> Option<String> {
    if points.is_empty() {
        return None;
    }
    let pts: Vec<&StatusPoint> = points
        .iter()
        .rev()
        .take(40)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let count = |p: &StatusPoint, s: Status| {
        p.counts
            .get(s.as_str())
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0)
    };
    let max = pts
        .iter()
        .map(|p| Status::ALL.iter().map(|s| count(p, *s)).sum::<u64>())
        .max()
        .unwrap_or(1)
        .max(1);
    let (w, h, left, bottom) = (600.0, 170.0, 34.0, 22.0);
    let plot_w = w - left - 6.0;
    let plot_h = h - bottom - 8.0;
    let slot = plot_w / pts.len() as f64;
    let bar = (slot * 0.7).clamp(2.0, 28.0);
    let mut out = format!(
        r#"<svg viewBox="0 0 {w} {h}" role="img" aria-label="{}"><line class="axis" x1="{left}" y1="{y0}" x2="{x1}" y2="{y0}"/>"#,
        minijinja::HtmlEscape(title),
        y0 = 8.0 + plot_h,
        x1 = w - 6.0
    );
    for frac in [0.0, 0.5, 1.0] {
        let y = 8.0 + plot_h * (1.0 - frac);
        out.push_str(&format!(
            r#"<text x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
            left - 4.0,
            y + 3.0,
            (max as f64 * frac).round()
        ));
    }
    for (i, p) in pts.iter().enumerate() {
        let x = left + slot * i as f64 + (slot - bar) / 2.0;
        let mut y = 8.0 + plot_h;
        // Good statuses at the bottom, so the bars' lower part grows as compliance does.
        for s in [
            Status::Passing,
            Status::Attested,
            Status::Unknown,
            Status::Overdue,
            Status::Failing,
        ] {
            let n = count(p, s);
            if n == 0 {
                continue;
            }
            let hh = plot_h * n as f64 / max as f64;
            y -= hh;
            out.push_str(&format!(
                r#"<rect class="s-{}" x="{x:.1}" y="{y:.1}" width="{bar:.1}" height="{hh:.1}"><title>{} {}: {n}</title></rect>"#,
                s.as_str(),
                p.at.get(..10).unwrap_or(""),
                s.as_str()
            ));
        }
    }
    let first = pts.first().map_or("", |p| p.at.get(..10).unwrap_or(""));
    let last = pts.last().map_or("", |p| p.at.get(..10).unwrap_or(""));
    out.push_str(&format!(r#"<text x="{left}" y="{}">{first}</text><text x="{}" y="{}" text-anchor="end">{last}</text></svg>"#, h - 6.0, w - 6.0, h - 6.0));
    Some(out)
}

async fn dashboard(ui: Ui) -> PageResult {
    let a = ui.auth()?;
    let Some(org) = a.p.org.clone() else {
        let orgs = ui
            .check(ui.app.store.list_orgs(&a.p).await.map_err(ApiError::from))
            .await?;
        return Ok(ui
            .render(
                "admin_home.html",
                "dashboard",
                &ui.t("instance"),
                context! { orgs => orgs },
            )
            .await);
    };
    let data = ui
        .check(dashboard_data(&ui.app, a, &org, ui.lang).await)
        .await?;
    Ok(ui
        .render(
            "dashboard.html",
            "dashboard",
            &ui.t("dashboard"),
            data.page.clone(),
        )
        .await)
}

/// What the dashboard shows of an organisation: the same for every member, so computed
/// once per store revision and language (see [`crate::views::OrgViews`]) and kept until
/// time moves it (a status's horizon, an item entering the due-soon window, a new day for
/// the end-of-service deadlines).
pub(crate) struct Dashboard {
    page: Value,
    valid_until: DateTime<Utc>,
}

/// How far ahead the dashboard's "due soon" looks.
const DUE_SOON_DAYS: i64 = 60;

async fn dashboard_data(
    app: &App,
    a: &Auth,
    org: &OrgRef,
    lang: &str,
) -> Result<Arc<Dashboard>, ApiError> {
    let p = &a.p;
    // The access check is org_views' (made before it looks at its own cache). The page
    // writes nothing, so the revision its authentication read keys both values: they are
    // computed from reads made after it.
    let all = app.org_views_at(p, org, lang, a.revision).await?;
    let now = Utc::now();
    let key = (org.id.clone(), all.revision, lang.to_string());
    app.dashboards
        .get_or_compute(
            &key,
            |d| now < d.valid_until,
            || dashboard_compute(app, p, org, lang, all.clone(), now),
        )
        .await
}

async fn dashboard_compute(
    app: &App,
    p: &Principal,
    org: &OrgRef,
    lang: &str,
    all: Arc<crate::views::OrgViews>,
    now: DateTime<Utc>,
) -> Result<Arc<Dashboard>, ApiError> {
    let t = |k: &str| crate::i18n::t(lang, k);
    let (contexts, views) = (&all.contexts, &all.views);
    let mut summaries = Vec::new();
    for ctx in contexts {
        let mine: Vec<&ObligationView> = views
            .iter()
            .filter(|v| v.model_pk == ctx.model_pk)
            .collect();
        let mut c: HashMap<&str, usize> = Status::ALL.iter().map(|s| (s.as_str(), 0)).collect();
        for v in &mine {
            *c.entry(v.status.as_str()).or_default() += 1;
        }
        let ok = c["passing"] + c["attested"];
        let latest = app
            .store
            .audits(
                p,
                &org.id,
                Some(&ctx.model_pk),
                Page {
                    limit: 1,
                    offset: 0,
                },
            )
            .await?
            .into_iter()
            .next();
        let history = app.store.status_history(p, &org.id, &ctx.model_pk).await?;
        let title = ctx.model.title.best(lang).to_string();
        let provider = ctx.provider_slug.clone();
        let label = Status::ALL
            .iter()
            .map(|s| format!("{} {}", t(&format!("st_{}", s.as_str())), c[s.as_str()]))
            .collect::<Vec<_>>()
            .join(", ");
        summaries.push(context! {
            title => title,
            model_id => ctx.model_id,
            version => ctx.version,
            provider => provider,
            counts => c.clone(),
            total => mine.len(),
            ok => ok,
            bar => bar_svg(&c, &label),
            latest_audit => latest,
            chart => chart_svg(&history, &t("compliance_over_time")),
        });
    }
    let mut urgent: Vec<&ObligationView> = views
        .iter()
        .filter(|v| matches!(v.status, Status::Failing | Status::Overdue))
        .collect();
    urgent.truncate(12);
    let window = chrono::Duration::days(DUE_SOON_DAYS);
    let horizon = (now + window).to_rfc3339();
    let mut due_soon: Vec<&ObligationView> = views
        .iter()
        .filter(|v| {
            v.due
                .as_ref()
                .is_some_and(|d| d.as_str() <= horizon.as_str())
                && v.status != Status::Overdue
        })
        .collect();
    due_soon.sort_by(|x, y| x.due.cmp(&y.due));
    due_soon.truncate(12);
    // Until when this holds: the statuses' horizon, the next due date entering the window,
    // and the next day (end-of-service deadlines are dates).
    let next_day = (now.date_naive() + chrono::Days::new(1))
        .and_hms_opt(0, 0, 0)
        .map_or(now, |d| d.and_utc());
    let entering = views
        .iter()
        .filter_map(|v| v.due.as_deref())
        .filter_map(|d| DateTime::parse_from_rfc3339(d).ok())
        .map(|d| d.with_timezone(&Utc) - window)
        .filter(|d| *d > now)
        .min();
    let valid_until = [
        Some(next_day),
        entering,
        all.valid_until.map(|d| d.with_timezone(&Utc)),
    ]
    .into_iter()
    .flatten()
    .min()
    .unwrap_or(next_day);
    let (notices, subscribers) = match org.kind {
        OrgKind::Customer => (app.store.notices(p, &org.id, true).await?, Vec::new()),
        OrgKind::Provider => (Vec::new(), app.store.subscribers(p, &org.id).await?),
    };
    let notices_move = notices.iter().any(|n| n.moves_duty);
    // The end-of-service lines this organisation must still do (issue 14).
    let end_items = crate::leaving_ui::dashboard_items(app, p, org, lang).await?;
    Ok(Arc::new(Dashboard {
        page: context! { summaries => summaries, urgent => urgent, due_soon => due_soon, notices => notices, notices_move => notices_move, subscribers => subscribers, end_items => end_items },
        valid_until,
    }))
}

#[derive(Deserialize)]
struct OrgForm {
    csrf: String,
    name: String,
    slug: String,
    kind: String,
    admin_email: String,
    admin_name: String,
}

async fn create_org(ui: Ui, Form(f): Form<OrgForm>) -> PageResult {
    let a = ui.csrf(&f.csrf).await?;
    let kind = OrgKind::parse(&f.kind);
    let created = async {
        let kind = kind.ok_or_else(|| ApiError::invalid("kind", "provider or customer"))?;
        a.p.instance_admin()?;
        let org = ui
            .app
            .store
            .create_org(&a.p, &f.slug, &f.name, kind)
            .await?;
        api::add_user(
            &ui.app,
            &a.p,
            &org,
            &f.admin_email,
            &f.admin_name,
            Role::Admin,
            None,
        )
        .await
    }
    .await;
    let created = ui.check(created).await?;
    let orgs = ui
        .check(ui.app.store.list_orgs(&a.p).await.map_err(ApiError::from))
        .await?;
    Ok(ui
        .render(
            "admin_home.html",
            "dashboard",
            &ui.t("instance"),
            context! { orgs => orgs, created => created.password },
        )
        .await)
}

// ---------------------------------------------------------------------------------------------
// Obligations

#[derive(Deserialize)]
struct ObligationQuery {
    status: Option<String>,
    model: Option<String>,
}

async fn obligations(ui: Ui, Query(q): Query<ObligationQuery>) -> PageResult {
    let (a, org) = ui.org()?;
    let views = ui
        .check(ui.app.obligation_views(&a.p, &org, ui.lang).await)
        .await?;
    let mut models: Vec<String> = views.iter().map(|v| v.model_id.clone()).collect();
    models.dedup();
    let status = q.status.clone().filter(|s| Status::parse(s).is_some());
    let model = q.model.clone().filter(|m| models.contains(m));
    let rows: Vec<ObligationView> = views
        .into_iter()
        .filter(|v| status.as_deref().is_none_or(|s| v.status.as_str() == s))
        .filter(|v| model.as_deref().is_none_or(|m| v.model_id == m))
        .collect();
    Ok(ui
        .render(
            "obligations.html",
            "obligations",
            &ui.t("obligations"),
            context! { rows => rows, models => models, status => status, model => model },
        )
        .await)
}

fn cli_statuses() -> HashMap<&'static str, &'static str> {
    use onus_audit::join::DutyStatus as D;
    [
        D::Pass,
        D::Fail,
        D::Error,
        D::NotApplicable,
        D::Attested,
        D::Overdue,
        D::NeedsAttestation,
    ]
    .into_iter()
    .map(|d| (d.as_str(), Status::of(d).as_str()))
    .collect()
}

async fn obligation(ui: Ui, Path(id): Path<String>) -> PageResult {
    let (a, org) = ui.org()?;
    let d = ui
        .check(api::obligation_detail(&ui.app, &a.p, &org, &id).await)
        .await?;
    let title = d.obligation.activity_id.clone();
    Ok(ui
        .render(
            "obligation.html",
            "obligations",
            &title,
            context! { d => d, cli_status => cli_statuses(), today => chrono::Utc::now().date_naive().to_string() },
        )
        .await)
}

#[derive(Deserialize)]
struct ObligationForm {
    csrf: String,
    owner: Option<String>,
    notes: Option<String>,
}

async fn update_obligation(
    ui: Ui,
    Path(id): Path<String>,
    Form(f): Form<ObligationForm>,
) -> PageResult {
    let a = ui.csrf(&f.csrf).await?;
    let (_, org) = ui.org()?;
    ui.check(
        ui.app
            .store
            .update_obligation(&a.p, &org.id, &id, f.owner.as_deref(), f.notes.as_deref())
            .await
            .map_err(ApiError::from),
    )
    .await?;
    Ok(done(&format!("/obligations/{id}"), "saved"))
}

// ---------------------------------------------------------------------------------------------
// Models, subscriptions, the matrix, versions

async fn models_page(ui: &Ui, findings: Option<serde_json::Value>) -> PageResult {
    let (a, org) = ui.org()?;
    let catalog = ui
        .check(ui.app.store.all_models(&a.p).await.map_err(ApiError::from))
        .await?;
    let subscribed: Vec<String> = if org.kind == OrgKind::Customer {
        ui.check(
            ui.app
                .store
                .subscriptions(&a.p, &org.id)
                .await
                .map_err(ApiError::from),
        )
        .await?
        .into_iter()
        .map(|s| s.model_pk)
        .collect()
    } else {
        Vec::new()
    };
    Ok(ui
        .render(
            "models.html",
            "models",
            &ui.t("models"),
            context! { catalog => catalog, subscribed => subscribed, findings => findings },
        )
        .await)
}

async fn models(ui: Ui) -> PageResult {
    models_page(&ui, None).await
}

async fn publish(ui: Ui, mp: Multipart) -> PageResult {
    let form = ui.check(api::read_multipart(mp).await).await?;
    let a = ui.csrf(form.get("csrf").map_or("", String::as_str)).await?;
    let (_, org) = ui.org()?;
    let text = match (&form.file, form.get("body")) {
        (Some((_, _, bytes)), _) => String::from_utf8(bytes.clone())
            .map_err(|e| ApiError::invalid("file", format!("not UTF-8: {e}"))),
        (None, Some(body)) => Ok(body.clone()),
        (None, None) => Err(ApiError::invalid(
            "file",
            "choose the model file, or paste it",
        )),
    };
    let text = ui.check(text).await?;
    let published = ui
        .check(api::publish(&ui.app, &a.p, &org, &text).await)
        .await?;
    // The page again, with the validator's findings (warnings) and a word that it worked.
    let flash = Some(ui.t("done_published"));
    let ui = Ui { flash, ..ui };
    models_page(&ui, Some(published.findings)).await
}

#[derive(Deserialize)]
struct SubscribeForm {
    csrf: String,
    provider: String,
    model: String,
}

async fn subscribe(ui: Ui, Form(f): Form<SubscribeForm>) -> PageResult {
    let a = ui.csrf(&f.csrf).await?;
    let (_, org) = ui.org()?;
    ui.check(api::subscribe_to(&ui.app, &a.p, &org, &f.provider, &f.model).await)
        .await?;
    Ok(done(
        &format!("/obligations?model={}", urlencode(&f.model)),
        "subscribed",
    ))
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn matrix(ui: Ui, Path((provider, model_id)): Path<(String, String)>) -> PageResult {
    let (a, org) = ui.org()?;
    let p = &a.p;
    let prov = ui
        .check(
            ui.app
                .store
                .org_by_slug(p, &provider)
                .await
                .map_err(ApiError::from),
        )
        .await?;
    let info = ui
        .check(
            ui.app
                .store
                .models_of(p, &prov.id)
                .await
                .map_err(ApiError::from)
                .and_then(|ms| {
                    ms.into_iter()
                        .find(|m| m.model_id == model_id)
                        .ok_or_else(|| ApiError::not_found("model"))
                }),
        )
        .await?;
    // The subscribed version for a subscriber, else the latest.
    let sub = if org.kind == OrgKind::Customer {
        ui.check(
            ui.app
                .store
                .subscriptions(p, &org.id)
                .await
                .map_err(ApiError::from),
        )
        .await?
        .into_iter()
        .find(|s| s.model_pk == info.pk)
    } else {
        None
    };
    let version_id = match (&sub, &info.latest) {
        (Some(s), _) => s.version.id.clone(),
        (None, Some(l)) => l.id.clone(),
        (None, None) => return Err(ui.fail(ApiError::not_found("model")).await),
    };
    let model = ui
        .check(ui.app.model_by_version(p, &version_id).await)
        .await?;
    // Statuses the caller may see: its own duties; a subscriber also sees the provider's.
    let mut seen: HashMap<(String, String), (Status, String)> = HashMap::new();
    let own_pk_matches = sub.is_some() || prov.id == org.id;
    if own_pk_matches {
        for v in ui
            .check(ui.app.obligation_views(p, &org, ui.lang).await)
            .await?
            .into_iter()
            .filter(|v| v.model_pk == info.pk)
        {
            seen.insert(
                (v.party_id.clone(), v.activity_id.clone()),
                (v.status, format!("/obligations/{}", v.id)),
            );
        }
    }
    if let Some(s) = &sub {
        for v in ui
            .check(ui.app.provider_views(p, &org, s, ui.lang).await)
            .await?
        {
            seen.insert(
                (v.party_id.clone(), v.activity_id.clone()),
                (v.status, String::new()),
            );
        }
    }
    let parties: Vec<Value> = model
        .parties
        .iter()
        .map(|pa| context! { id => pa.id, name => pa.name.best(ui.lang) })
        .collect();
    let mut sections: Vec<(String, Vec<Value>)> = Vec::new();
    for act in &model.activities {
        let title = model
            .section_path(&act.section)
            .iter()
            .map(|s| match &s.number {
                Some(n) => format!("{n} {}", s.title.best(ui.lang)),
                None => s.title.best(ui.lang).to_string(),
            })
            .collect::<Vec<_>>()
            .join(" › ");
        let cells: Vec<Value> = model
            .parties
            .iter()
            .map(|pa| {
                let st = seen.get(&(pa.id.clone(), act.id.clone()));
                context! {
                    letters => model.letters(act, &pa.id),
                    status => st.map(|s| s.0.as_str()),
                    href => st.map(|s| s.1.clone()).filter(|h| !h.is_empty()),
                }
            })
            .collect();
        let row = context! { id => act.id, text => act.text.best(ui.lang), cells => cells };
        match sections.last_mut() {
            Some((t, rows)) if *t == title => rows.push(row),
            _ => sections.push((title, vec![row])),
        }
    }
    let sections: Vec<Value> = sections
        .into_iter()
        .map(|(title, rows)| context! { title => title, rows => rows })
        .collect();
    let title = model.title.best(ui.lang).to_string();
    Ok(ui
        .render(
            "matrix.html",
            "models",
            &title,
            context! { model => context! { id => model.id, version => model.version, title => title }, parties => parties, sections => sections },
        )
        .await)
}

async fn versions(ui: Ui) -> PageResult {
    let (a, org) = ui.org()?;
    let p = &a.p;
    let ctx = match org.kind {
        OrgKind::Customer => {
            let mut notices = ui
                .check(
                    ui.app
                        .store
                        .notices(p, &org.id, false)
                        .await
                        .map_err(ApiError::from),
                )
                .await?;
            // The stored diff is in the model's language; the page shows the reader's.
            for n in &mut notices {
                let old = ui
                    .check(ui.app.model_by_version(p, &n.from.id).await)
                    .await?;
                let new = ui.check(ui.app.model_by_version(p, &n.to.id).await).await?;
                n.diff = crate::domain::notice_in(&old, &new, ui.lang).diff;
            }
            context! { notices => notices }
        }
        OrgKind::Provider => {
            let mut models = Vec::new();
            for m in ui
                .check(
                    ui.app
                        .store
                        .models_of(p, &org.id)
                        .await
                        .map_err(ApiError::from),
                )
                .await?
            {
                let versions = ui
                    .check(
                        ui.app
                            .store
                            .versions(p, &m.pk)
                            .await
                            .map_err(ApiError::from),
                    )
                    .await?;
                models.push(context! { model => m, versions => versions });
            }
            context! { models => models }
        }
    };
    Ok(ui
        .render("versions.html", "versions", &ui.t("versions"), ctx)
        .await)
}

async fn acknowledge(ui: Ui, Path(id): Path<String>, Form(f): Form<CsrfForm>) -> PageResult {
    let a = ui.csrf(&f.csrf).await?;
    let (_, org) = ui.org()?;
    ui.check(api::acknowledge_notice(&ui.app, &a.p, &org, &id).await)
        .await?;
    Ok(done("/versions", "acknowledged"))
}

// ---------------------------------------------------------------------------------------------
// Evidence

async fn evidence(ui: Ui) -> PageResult {
    let (a, org) = ui.org()?;
    let p = &a.p;
    let audits = ui
        .check(
            ui.app
                .store
                .audits(
                    p,
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
    let mut attestations = ui
        .check(
            ui.app
                .store
                .attestations(p, &org.id, None)
                .await
                .map_err(ApiError::from),
        )
        .await?;
    attestations.reverse();
    let duties = ui
        .check(ui.app.obligation_views(p, &org, ui.lang).await)
        .await?;
    let mut models: Vec<String> = duties.iter().map(|d| d.model_id.clone()).collect();
    models.dedup();
    let share_label = ui.t(if org.kind == OrgKind::Customer {
        "share_with_provider"
    } else {
        "publish_to_customers"
    });
    Ok(ui
        .render(
            "evidence.html",
            "evidence",
            &ui.t("evidence"),
            context! { audits => audits, attestations => attestations, duties => duties, models => models, share_label => share_label, today => chrono::Utc::now().date_naive().to_string() },
        )
        .await)
}

async fn upload_audit(ui: Ui, mp: Multipart) -> PageResult {
    let form = ui.check(api::read_multipart(mp).await).await?;
    let a = ui.csrf(form.get("csrf").map_or("", String::as_str)).await?;
    let (_, org) = ui.org()?;
    let (name, _, bytes) = ui
        .check(
            form.file
                .clone()
                .ok_or_else(|| ApiError::invalid("file", "choose the report file")),
        )
        .await?;
    ui.check(
        api::ingest_audit(
            &ui.app,
            &a.p,
            &org,
            form.get("provider").map(String::as_str),
            &name,
            &bytes,
        )
        .await,
    )
    .await?;
    Ok(done("/evidence", "uploaded"))
}

async fn attest(ui: Ui, mp: Multipart) -> PageResult {
    let mut form = ui.check(api::read_multipart(mp).await).await?;
    let a = ui.csrf(form.get("csrf").map_or("", String::as_str)).await?;
    let (_, org) = ui.org()?;
    // The evidence page sends `duty` as "MODEL ACTIVITY"; the obligation page sends both.
    if let Some((m, act)) = form
        .get("duty")
        .and_then(|d| d.split_once(' '))
        .map(|(m, a)| (m.to_string(), a.to_string()))
    {
        form.set("model", m);
        form.set("activity", act);
    }
    let model = ui
        .check(
            form.get("model")
                .cloned()
                .ok_or_else(|| ApiError::invalid("model", "choose the duty")),
        )
        .await?;
    let ctx = ui
        .check(ui.app.context_for(&a.p, &org, &model, None).await)
        .await?;
    let input = ui.check(api::attest_input_of_form(&a.p, &form)).await?;
    ui.check(api::store_attestations(&ui.app, &a.p, &org, &ctx, vec![input]).await)
        .await?;
    Ok(done(&local(form.get("back"), "/evidence"), "uploaded"))
}

async fn attestations_file(ui: Ui, mp: Multipart) -> PageResult {
    let form = ui.check(api::read_multipart(mp).await).await?;
    let a = ui.csrf(form.get("csrf").map_or("", String::as_str)).await?;
    let (_, org) = ui.org()?;
    let model = ui
        .check(
            form.get("model")
                .cloned()
                .ok_or_else(|| ApiError::invalid("model", "choose the model")),
        )
        .await?;
    let ctx = ui
        .check(ui.app.context_for(&a.p, &org, &model, None).await)
        .await?;
    let (name, _, bytes) = ui
        .check(
            form.file
                .clone()
                .ok_or_else(|| ApiError::invalid("file", "choose the attestations file")),
        )
        .await?;
    let text = ui
        .check(
            String::from_utf8(bytes)
                .map_err(|e| ApiError::invalid("file", format!("not UTF-8: {e}"))),
        )
        .await?;
    let list = ui.check(api::attestations_file(&ctx, &name, &text)).await?;
    ui.check(api::store_attestations(&ui.app, &a.p, &org, &ctx, list).await)
        .await?;
    Ok(done("/evidence", "uploaded"))
}

#[derive(Deserialize)]
struct ShareForm {
    csrf: String,
    kind: String,
    id: String,
    shared: String,
}

async fn share(ui: Ui, Form(f): Form<ShareForm>) -> PageResult {
    let a = ui.csrf(&f.csrf).await?;
    let (_, org) = ui.org()?;
    let kind = match f.kind.as_str() {
        "audit" => EvidenceKind::Audit,
        "attestation" => EvidenceKind::Attestation,
        _ => {
            return Err(ui
                .fail(ApiError::invalid("kind", "audit or attestation"))
                .await)
        }
    };
    ui.check(
        ui.app
            .store
            .set_shared(&a.p, &org.id, kind, &f.id, f.shared == "true")
            .await
            .map_err(ApiError::from),
    )
    .await?;
    Ok(done("/evidence", "shared"))
}

async fn shared(ui: Ui) -> PageResult {
    let (a, org) = ui.org()?;
    let items = ui
        .check(
            ui.app
                .store
                .shared_with_provider(&a.p, &org.id)
                .await
                .map_err(ApiError::from),
        )
        .await?;
    Ok(ui
        .render(
            "shared.html",
            "dashboard",
            &ui.t("shared_with_you"),
            context! { items => items },
        )
        .await)
}

async fn file(ui: Ui, Path(id): Path<String>) -> PageResult {
    let a = ui.auth()?;
    ui.check(api::file_response(&ui.app, a, &id).await).await
}

// ---------------------------------------------------------------------------------------------
// Users, tokens, log

async fn admin_page(ui: &Ui, secret: Option<(String, String)>) -> PageResult {
    let (a, org) = ui.org()?;
    let users = ui
        .check(
            ui.app
                .store
                .list_users(&a.p, &org.id)
                .await
                .map_err(ApiError::from),
        )
        .await?;
    let tokens = ui
        .check(
            ui.app
                .store
                .list_tokens(
                    &a.p,
                    &org.id,
                    Page {
                        limit: 200,
                        offset: 0,
                    },
                )
                .await
                .map_err(ApiError::from),
        )
        .await?;
    let (label, value) = secret.unzip();
    Ok(ui
        .render(
            "admin.html",
            "admin",
            &ui.t("users_tokens"),
            context! { users => users, tokens => tokens, is_admin => a.p.role == Role::Admin, new_secret => value, new_secret_label => label },
        )
        .await)
}

async fn admin(ui: Ui) -> PageResult {
    admin_page(&ui, None).await
}

#[derive(Deserialize)]
struct UserForm {
    csrf: String,
    name: String,
    email: String,
    role: String,
}

async fn add_user(ui: Ui, Form(f): Form<UserForm>) -> PageResult {
    let a = ui.csrf(&f.csrf).await?;
    let (_, org) = ui.org()?;
    let role = ui
        .check(
            Role::parse(&f.role)
                .ok_or_else(|| ApiError::invalid("role", "admin, member or auditor")),
        )
        .await?;
    let created = ui
        .check(api::add_user(&ui.app, &a.p, &org, &f.email, &f.name, role, None).await)
        .await?;
    admin_page(&ui, created.password.map(|pw| (ui.t("new_user_once"), pw))).await
}

#[derive(Deserialize)]
struct TokenForm {
    csrf: String,
    name: String,
    role: String,
}

async fn add_token(ui: Ui, Form(f): Form<TokenForm>) -> PageResult {
    let a = ui.csrf(&f.csrf).await?;
    let (_, org) = ui.org()?;
    let role = ui
        .check(Role::parse(&f.role).ok_or_else(|| ApiError::invalid("role", "member or auditor")))
        .await?;
    let (token, _) = ui
        .check(
            ui.app
                .store
                .create_token(&a.p, &org.id, &f.name, role)
                .await
                .map_err(ApiError::from),
        )
        .await?;
    admin_page(&ui, Some((ui.t("new_token_once"), token))).await
}

async fn revoke_token(ui: Ui, Path(id): Path<String>, Form(f): Form<CsrfForm>) -> PageResult {
    let a = ui.csrf(&f.csrf).await?;
    let (_, org) = ui.org()?;
    ui.check(
        ui.app
            .store
            .revoke_token(&a.p, &org.id, &id)
            .await
            .map_err(ApiError::from),
    )
    .await?;
    Ok(done("/admin", "revoked"))
}

#[derive(Deserialize)]
struct LogQuery {
    offset: Option<i64>,
}

async fn log(ui: Ui, Query(q): Query<LogQuery>) -> PageResult {
    let (a, org) = ui.org()?;
    let offset = q.offset.unwrap_or(0).max(0);
    let entries = ui
        .check(
            ui.app
                .store
                .log_entries(&a.p, &org.id, Page { limit: 100, offset })
                .await
                .map_err(ApiError::from),
        )
        .await?;
    Ok(ui
        .render(
            "log.html",
            "log",
            &ui.t("log"),
            context! { entries => entries, offset => offset },
        )
        .await)
}
