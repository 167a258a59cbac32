//! The onus portal: where a provider and its customers meet (`onus serve`).
//!
//! A library with one entry point, [`run`] (or [`App::open`] then [`serve`]): it takes a
//! bound listener and a [`Config`], opens the store (migrating it) and serves the REST API
//! under `/api/v1` (with its OpenAPI document at `/api/v1/openapi.json`, generated from the
//! handlers by utoipa) and the server-rendered web UI.
//!
//! The crate knows no SQL: it calls `onus-store`, which checks every read and write against
//! the acting principal. It decides nothing about compliance either: models are loaded and
//! validated by `onus-model`, versions compared by `onus-interchange::diff`, statuses computed
//! by `onus-audit::join` (see [`domain`]), exactly as the CLI does.
//!
//! The server keeps nothing in memory that another instance would need: sessions, rate-limit
//! counters and queued messages are in the database. What it caches (parsed model versions)
//! is immutable.

pub mod api;
mod api_errors;
pub mod auth;
pub mod cache;
pub mod demo;
pub mod demo_receiver;
pub mod domain;
pub mod error;
pub mod events_api;
pub mod events_ui;
mod i18n;
pub mod leaving;
pub mod leaving_ui;
pub mod ui;
pub mod views;
pub mod worker;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use onus_model::Model;
use onus_store::Store;

pub use error::{ApiError, ApiResult};

/// How the server runs. `Default` is what `onus serve` uses without flags.
#[derive(Debug, Clone)]
pub struct Config {
    /// A SQLite file path, a `sqlite:` URL or a `postgres://` URL.
    pub database: String,
    /// PEM certificate chain and private key: serve HTTPS (and mark cookies `Secure`).
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Mark cookies `Secure` without TLS here (behind a TLS-terminating reverse proxy).
    pub secure_cookies: bool,
    /// Largest request body (audit reports of large clusters are tens of MiB).
    pub max_body_bytes: usize,
    /// Largest file attached to an attestation.
    pub max_file_bytes: usize,
    /// How long a session lasts.
    pub session_hours: i64,
    /// Sign-in attempts allowed per e-mail address, and per client address, in 15 minutes.
    pub login_attempts: i64,
    /// What a deleted organisation leaves behind, by law or contract (`--retain-log-content`).
    pub retention: onus_store::deletion::Retention,
    /// The delivery worker (notifications by e-mail and webhook).
    pub worker: worker::WorkerConfig,
    /// `onus serve --demo`: serve the demo's webhook receiver (`/demo/webhook`).
    pub demo: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database: "onus.db".into(),
            tls: None,
            secure_cookies: false,
            max_body_bytes: 64 * 1024 * 1024,
            max_file_bytes: 10 * 1024 * 1024,
            session_hours: 12,
            login_attempts: 10,
            retention: onus_store::deletion::Retention::default(),
            worker: worker::WorkerConfig::default(),
            demo: false,
        }
    }
}

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("database `{database}`: {source}")]
    Store {
        database: String,
        source: onus_store::StoreError,
    },
    #[error("TLS: {0}")]
    Tls(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("notifications: {0}")]
    Worker(#[from] worker::WorkerError),
}

/// The application's shared state. Cheap to clone.
#[derive(Clone)]
pub struct App(Arc<Inner>);

pub struct Inner {
    pub store: Store,
    pub config: Config,
    /// Parsed model versions by version id: immutable once published, so never stale.
    models: RwLock<HashMap<String, Arc<Model>>>,
    /// Parsed audit runs by audit id, and joined statuses by the evidence they come from
    /// (see [`cache`]: immutable inputs, so never stale; nothing another instance needs).
    pub(crate) runs: cache::Cache<String, Arc<domain::StoredRun>>,
    pub(crate) joined: cache::Cache<String, Arc<cache::Joined>>,
    /// Each organisation's obligation views by (organisation, store revision, language):
    /// valid for as long as the revision has not moved (see [`views::OrgViews`]).
    pub(crate) org_views: cache::Cache<(String, i64, String), Arc<views::OrgViews>>,
    /// Each organisation's dashboard, keyed the same way.
    pub(crate) dashboards: cache::Cache<(String, i64, String), Arc<ui::Dashboard>>,
    templates: Arc<minijinja::Environment<'static>>,
    /// Wakes this instance's delivery worker when a change queued messages (other instances
    /// find them by polling).
    pub wake: Arc<tokio::sync::Notify>,
    /// The demo's webhook receiver (used with `Config::demo` only).
    pub demo: Arc<demo_receiver::DemoReceiver>,
}

impl std::ops::Deref for App {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl App {
    /// Opens the database named in `config`, running its migrations.
    pub async fn open(config: Config) -> Result<App, ServerError> {
        let store = Store::open(&config.database)
            .await
            .map_err(|source| ServerError::Store {
                database: config.database.clone(),
                source,
            })?;
        Ok(App(Arc::new(Inner {
            store,
            config,
            models: RwLock::new(HashMap::new()),
            // A few large runs (a 100,000-object audit's run is tens of MB parsed), many
            // small joins (an organisation's duties under one version: tens of KB).
            runs: cache::Cache::new(4),
            joined: cache::Cache::new(256),
            org_views: cache::Cache::new(256),
            dashboards: cache::Cache::new(256),
            templates: Arc::new(ui::templates()),
            wake: Arc::new(tokio::sync::Notify::new()),
            demo: Arc::new(demo_receiver::DemoReceiver::default()),
        })))
    }

    /// The whole HTTP application.
    pub fn router(&self) -> Router {
        let (api, doc) = api::router().split_for_parts();
        Router::new()
            .merge(api::with_document(api, doc))
            .merge(ui::router())
            .route(
                "/.well-known/onus/instance-key",
                axum::routing::get(leaving::well_known_key),
            )
            .merge(events_ui::router())
            .merge(demo_receiver::router())
            .layer(axum::extract::DefaultBodyLimit::max(
                self.config.max_body_bytes,
            ))
            .layer(tower_http::limit::RequestBodyLimitLayer::new(
                self.config.max_body_bytes,
            ))
            // Outermost, so that the 413 the limit layer answers by itself (a declared
            // length over the limit, before any handler runs) gets the JSON error and the
            // headers too.
            .layer(axum::middleware::from_fn(security_headers))
            .with_state(self.clone())
    }
}

/// Headers on every response, and JSON bodies for the errors axum itself produces under
/// `/api` (unknown path, wrong method, body too large).
async fn security_headers(req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let mut res = next.run(req).await;
    let json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_api && !json && (res.status().is_client_error() || res.status().is_server_error()) {
        res = ApiError::from_status(res.status()).into_response();
    }
    let no_store = res.status() == StatusCode::UNAUTHORIZED || is_api;
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    // No inline script or style anywhere: the UI's CSS and its one small script are files.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    if no_store {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// Serves `app` on `listener` until the process is asked to stop (Ctrl-C, SIGTERM).
pub async fn serve(listener: std::net::TcpListener, app: App) -> Result<(), ServerError> {
    listener.set_nonblocking(true)?;
    // Log content kept by a retention setting is removed when its date passes: checked at
    // start, then every hour (a deletion's own content removal needs no job).
    let purge = app.store.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every.tick().await;
            if let Err(e) = purge.redact_expired(chrono::Utc::now()).await {
                tracing::error!("retention purge: {e}");
            }
        }
    });
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = app.start_worker(stopped)?;
    let result = serve_http(listener, app.clone()).await;
    let _ = stop.send(true);
    if let Some(w) = worker {
        let _ = w.await;
    }
    app.store.close().await;
    result
}

impl App {
    /// Starts this instance's delivery worker (unless the configuration turns it off); it
    /// stops when `stop` turns true.
    pub fn start_worker(
        &self,
        stop: tokio::sync::watch::Receiver<bool>,
    ) -> Result<Option<tokio::task::JoinHandle<()>>, ServerError> {
        if !self.config.worker.enabled {
            return Ok(None);
        }
        let w = worker::Worker::new(
            self.store.clone(),
            self.config.worker.clone(),
            self.templates.clone(),
            self.wake.clone(),
        )?;
        Ok(Some(tokio::spawn(w.run(stop))))
    }
}

async fn serve_http(listener: std::net::TcpListener, app: App) -> Result<(), ServerError> {
    let service = app
        .router()
        .into_make_service_with_connect_info::<SocketAddr>();
    match &app.config.tls {
        None => {
            let listener = tokio::net::TcpListener::from_std(listener)?;
            axum::serve(listener, service)
                .with_graceful_shutdown(shutdown_signal())
                .await?;
        }
        Some((cert, key)) => {
            let _ = rustls::crypto::ring::default_provider().install_default();
            let tls = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
                .await
                .map_err(|e| {
                    ServerError::Tls(format!(
                        "cannot use certificate `{}` and key `{}`: {e}",
                        cert.display(),
                        key.display()
                    ))
                })?;
            let handle = axum_server::Handle::new();
            let h = handle.clone();
            tokio::spawn(async move {
                shutdown_signal().await;
                h.graceful_shutdown(Some(std::time::Duration::from_secs(10)));
            });
            axum_server::from_tcp_rustls(listener, tls)
                .handle(handle)
                .serve(service)
                .await?;
        }
    }
    Ok(())
}

/// Opens the database and serves: the zero2prod-style entry point tests and `onus serve` use.
pub async fn run(listener: std::net::TcpListener, config: Config) -> Result<(), ServerError> {
    let app = App::open(config).await?;
    serve(listener, app).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// The instance administrator created on an empty database.
#[derive(Debug, Clone)]
pub struct Bootstrap {
    pub email: String,
    /// Set when generated (shown once); `None` when taken from the caller.
    pub generated_password: Option<String>,
}

impl App {
    /// Creates the instance administrator when the database has none, with `password` or a
    /// generated one-time password. `None` when one exists.
    pub async fn bootstrap(
        &self,
        email: &str,
        password: Option<&str>,
    ) -> Result<Option<Bootstrap>, ApiError> {
        if self.store.has_instance_admin().await? {
            return Ok(None);
        }
        let (pw, generated) = match password {
            Some(p) => {
                auth::check_password("ONUS_ADMIN_PASSWORD", p)?;
                (p.to_string(), false)
            }
            None => (auth::generate_password(), true),
        };
        let hash = auth::hash_password(&pw)?;
        Ok(self
            .store
            .bootstrap_admin(email, "Instance administrator", &hash)
            .await?
            .map(|_| Bootstrap {
                email: email.to_string(),
                generated_password: generated.then_some(pw),
            }))
    }
}
