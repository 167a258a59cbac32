//! The demo's webhook receiver (`onus serve --demo`, and only then): the webhooks of Shop SAS
//! and of OVHcloud point at `/demo/webhook` on the demo server itself, which verifies each
//! delivery's signature with the secret of the organisation the body names, as any receiver
//! should ([`crate::worker::verify`]), and lists what arrived at `/demo/webhook` (a page for
//! signed-in users, each seeing what its own organisation's webhook received). It keeps the
//! last 200 deliveries in memory: a demo runs as one instance, and what it shows is a
//! receiver's view, not the portal's data.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use minijinja::context;
use serde::Serialize;

use crate::ui::{PageResult, Ui};
use crate::App;

/// What the receiver got.
#[derive(Debug, Clone, Serialize)]
pub struct Received {
    pub at: String,
    /// The organisation whose webhook it is (the body's `org.slug`).
    pub org: String,
    pub delivery: String,
    pub topic: String,
    /// The signature's check: `None` when it holds, else why not.
    pub problem: Option<String>,
    /// The body, pretty-printed.
    pub body: String,
    /// How many times this idempotency key arrived (a receiver ignores the repeats).
    pub seen: usize,
}

/// The receiver's state: the secrets of the webhooks pointing at it (by organisation slug),
/// and what arrived.
#[derive(Default)]
pub struct DemoReceiver {
    pub secrets: Mutex<HashMap<String, String>>,
    received: Mutex<VecDeque<Received>>,
}

impl DemoReceiver {
    /// What arrived for the organisation `slug`'s webhook, newest first.
    pub fn received(&self, slug: &str) -> Vec<Received> {
        self.received
            .lock()
            .map(|r| r.iter().filter(|x| x.org == slug).cloned().collect())
            .unwrap_or_default()
    }
}

pub fn router() -> Router<App> {
    Router::new().route("/demo/webhook", get(page).post(receive))
}

async fn receive(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    if !app.config.demo {
        return StatusCode::NOT_FOUND.into_response();
    }
    let h = |k: &str| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let parsed = serde_json::from_slice::<serde_json::Value>(&body).ok();
    let org = parsed
        .as_ref()
        .and_then(|v| v.pointer("/org/slug"))
        .and_then(|v| v.as_str())
        .unwrap_or("")
        .to_string();
    // The secret is chosen by the body's organisation, then the signature over the whole
    // body proves the body (and so that organisation) is the sender's.
    let secret = app
        .demo
        .secrets
        .lock()
        .ok()
        .and_then(|s| s.get(&org).cloned());
    let problem = match secret {
        None => Some(format!("no webhook secret known for organisation `{org}`")),
        Some(s) => crate::worker::verify(
            &s,
            &h("onus-signature"),
            &body,
            chrono::Utc::now().timestamp(),
            300,
        )
        .err(),
    };
    let pretty = parsed
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned());
    let ok = problem.is_none();
    if let Ok(mut r) = app.demo.received.lock() {
        let key = h("idempotency-key");
        let seen = r.iter().filter(|x| x.delivery == key).count() + 1;
        r.push_front(Received {
            at: onus_store::now(),
            org,
            delivery: key,
            topic: h("onus-event"),
            problem,
            body: pretty,
            seen,
        });
        r.truncate(200);
    }
    if ok {
        StatusCode::OK.into_response()
    } else {
        StatusCode::UNAUTHORIZED.into_response()
    }
}

async fn page(ui: Ui) -> PageResult {
    let (_, org) = ui.org()?;
    if !ui.app.config.demo {
        return Err(ui.fail(crate::error::ApiError::not_found("page")).await);
    }
    let items = ui.app.demo.received(&org.slug);
    Ok(ui
        .render(
            "demo_receiver.html",
            "webhooks",
            &ui.t("demo_receiver"),
            context! { items => items },
        )
        .await)
}
