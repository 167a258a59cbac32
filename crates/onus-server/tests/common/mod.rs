//! `TestApp`: the real server on 127.0.0.1:0 with a database of its own (a SQLite file in a
//! temporary folder, or a fresh PostgreSQL database), stopped when the test's runtime ends.
#![allow(dead_code)]

use std::path::PathBuf;

pub mod sinks;

use onus_server::{App, Config};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// `both!(name)`: the async test `name(TestApp)` on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(t) = $crate::common::TestApp::spawn(false, stringify!($name)).await {
                    super::$name(t).await;
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(t) = $crate::common::TestApp::spawn(true, stringify!($name)).await {
                    super::$name(t).await;
                }
            }
        }
    };
}

/// A fast delivery worker talking to local receivers (an SMTP sink, a webhook receiver).
pub fn fast_worker(smtp: Option<String>) -> Config {
    Config {
        worker: onus_server::worker::WorkerConfig {
            smtp,
            allow_private: true,
            poll: std::time::Duration::from_millis(100),
            lease: std::time::Duration::from_secs(2),
            retry_base: std::time::Duration::from_millis(300),
            retry_max: std::time::Duration::from_secs(2),
            ..onus_server::worker::WorkerConfig::default()
        },
        ..Config::default()
    }
}

pub const ADMIN_EMAIL: &str = "root@portal.test";
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";

pub struct TestApp {
    pub base: String,
    /// The database spec (a path or URL), for a second instance or direct checks.
    pub database: String,
    pub app: App,
    _dir: Option<tempfile::TempDir>,
}

/// The repository's root (tests read `examples/`).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

impl TestApp {
    /// A server on a fresh database: SQLite, or PostgreSQL (`None` when skipped).
    pub async fn spawn(pg: bool, test: &str) -> Option<TestApp> {
        Self::spawn_with(pg, test, Config::default()).await
    }

    /// [`TestApp::spawn`] with a configuration of the test's own (the delivery worker's).
    pub async fn spawn_with(pg: bool, test: &str, config: Config) -> Option<TestApp> {
        let dir = tempfile::tempdir().unwrap();
        let database = if pg {
            onus_store::scratch::postgres_database(test).await?
        } else {
            onus_store::scratch::sqlite_path(dir.path())
        };
        let t = TestApp::spawn_on(database, config).await;
        t.app
            .bootstrap(ADMIN_EMAIL, Some(ADMIN_PASSWORD))
            .await
            .unwrap();
        Some(TestApp {
            _dir: Some(dir),
            ..t
        })
    }

    /// Another server on an existing database (a second instance behind a load balancer).
    pub async fn spawn_on(database: String, config: Config) -> TestApp {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let app = App::open(Config {
            database: database.clone(),
            ..config
        })
        .await
        .unwrap();
        let served = app.clone();
        tokio::spawn(async move {
            let _ = onus_server::serve(listener, served).await;
        });
        TestApp {
            base: format!("http://127.0.0.1:{port}"),
            database,
            app,
            _dir: None,
        }
    }

    pub fn client(&self) -> Client {
        Client {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .build()
                .unwrap(),
            base: self.base.clone(),
            csrf: None,
            token: None,
        }
    }

    /// A client signed in with e-mail and password.
    pub async fn login(&self, email: &str, password: &str) -> Client {
        let mut c = self.client();
        let (s, body) = c
            .post(
                "/api/v1/auth/login",
                json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "login {email}: {body}");
        c.csrf = body["csrf_token"].as_str().map(str::to_string);
        c
    }

    pub async fn admin(&self) -> Client {
        self.login(ADMIN_EMAIL, ADMIN_PASSWORD).await
    }
}

/// A tiny HTTP client speaking JSON to the portal.
#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub csrf: Option<String>,
    pub token: Option<String>,
}

impl Client {
    /// The same client acting with an API token instead of its session.
    pub fn with_token(&self, token: &str) -> Client {
        Client {
            http: reqwest::Client::new(),
            base: self.base.clone(),
            csrf: None,
            token: Some(token.to_string()),
        }
    }

    pub fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut r = self.http.request(method, format!("{}{path}", self.base));
        if let Some(c) = &self.csrf {
            r = r.header("x-csrf-token", c);
        }
        if let Some(t) = &self.token {
            r = r.bearer_auth(t);
        }
        r
    }

    pub async fn send(&self, r: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let res = r.send().await.unwrap();
        let s = res.status();
        let text = res.text().await.unwrap();
        (
            s,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.req(reqwest::Method::GET, path)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(self.req(reqwest::Method::POST, path).json(&body))
            .await
    }

    pub async fn post_raw(&self, path: &str, ctype: &str, body: Vec<u8>) -> (StatusCode, Value) {
        self.send(
            self.req(reqwest::Method::POST, path)
                .header("content-type", ctype)
                .body(body),
        )
        .await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(self.req(reqwest::Method::PATCH, path).json(&body))
            .await
    }
}

/// The example cluster audited against a built-in model, as `onus audit -o json` writes it.
pub fn example_audit(model_id: &str, now: &str) -> Vec<u8> {
    let (_, text) = onus_model::BUILTIN
        .iter()
        .find(|(id, _)| *id == model_id)
        .unwrap();
    audit_report(text, &repo().join("examples/shop-cluster"), now)
}

/// A cluster export audited against a model's text with the built-in checks, as `onus audit
/// -o json` writes it.
pub fn audit_report(model_text: &str, cluster: &std::path::Path, now: &str) -> Vec<u8> {
    try_audit_report(model_text, cluster, now)
        .unwrap_or_else(|e| panic!("{}: {e}", cluster.display()))
}

/// [`audit_report`], or the audit's error when onus refuses the export (as `onus audit` would
/// stop with it, with no report to upload).
pub fn try_audit_report(
    model_text: &str,
    cluster: &std::path::Path,
    now: &str,
) -> Result<Vec<u8>, String> {
    use onus_audit::join::{join, JoinInput};
    let model = onus_model::load_str(
        "model.yaml",
        model_text,
        onus_model::Vocabulary::builtin(),
        &Default::default(),
    )
    .model
    .unwrap();
    let checks = onus_audit::catalog::builtin().unwrap();
    let now = onus_audit::attest::parse_date(now).unwrap();
    // As `onus audit` runs: the model's conditions after the catalog's checks.
    let facts = onus_audit::ownership::FactKeys::well_known().with_model(&model);
    let opts = onus_audit::RunOptions {
        now,
        threads: 1,
        facts: facts.clone(),
        ..Default::default()
    };
    let mut all = checks.clone();
    all.extend(onus_audit::conditions::checks(&model).unwrap());
    let (mut results, inv) = onus_audit::audit_paths(&[cluster.to_path_buf()], &all, &opts)
        .map_err(|e| e.to_string())?;
    let conditions = onus_audit::conditions::results(&model, &results.split_off(checks.len()));
    let report = join(
        &model,
        results,
        &JoinInput {
            inputs: inv.files(),
            objects: inv.seen(),
            problems: &onus_audit::join::input_problems(&inv),
            attestations: &[],
            attestations_file: None,
            now,
            k8s_latest: onus_audit::DEFAULT_K8S_LATEST,
            conditions: &conditions,
            facts: &facts,
        },
    );
    let mut out = Vec::new();
    onus_report::write_json(&report, &mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

/// A world: the instance admin, a provider publishing `ovhcloud-mks`, two customers (`shop`
/// subscribed, `rival` subscribed too), each with an admin.
pub struct World {
    pub admin: Client,
    pub provider: Client,
    pub shop: Client,
    pub rival: Client,
}

pub async fn world(t: &TestApp) -> World {
    let admin = t.admin().await;
    for (slug, kind, email) in [
        ("ovhcloud", "provider", "p@ovh.test"),
        ("shop", "customer", "alice@shop.test"),
        ("rival", "customer", "eve@rival.test"),
    ] {
        let (s, b) = admin
            .post("/api/v1/orgs", json!({"slug": slug, "name": slug.to_uppercase(), "kind": kind, "admin": {"email": email, "name": slug, "password": ADMIN_PASSWORD}}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let provider = t.login("p@ovh.test", ADMIN_PASSWORD).await;
    let (_, text) = onus_model::BUILTIN
        .iter()
        .find(|(id, _)| *id == "ovhcloud-mks")
        .unwrap();
    let (s, b) = provider
        .post_raw(
            "/api/v1/orgs/ovhcloud/models",
            "application/yaml",
            text.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let shop = t.login("alice@shop.test", ADMIN_PASSWORD).await;
    let rival = t.login("eve@rival.test", ADMIN_PASSWORD).await;
    for (c, org) in [(&shop, "shop"), (&rival, "rival")] {
        let (s, b) = c
            .post(
                &format!("/api/v1/orgs/{org}/subscriptions"),
                json!({"provider": "ovhcloud", "model": "ovhcloud-mks"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    World {
        admin,
        provider,
        shop,
        rival,
    }
}

/// A 4xx JSON error whose message is not empty and whose `field` is `field` (when given).
#[track_caller]
pub fn refused(what: &str, (s, b): (StatusCode, Value), field: Option<&str>) {
    assert!(s.is_client_error(), "{what}: {s} {b}");
    let e = &b["error"];
    assert!(
        e["code"].as_str().is_some_and(|c| !c.is_empty()),
        "{what}: no code: {b}"
    );
    assert!(
        e["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{what}: no message: {b}"
    );
    if let Some(f) = field {
        assert_eq!(e["field"], json!(f), "{what}: {b}");
    }
}

/// The actions of the entries about `subject` in `org`'s log, oldest first.
pub async fn logged(c: &Client, org: &str, subject: &str) -> Vec<String> {
    let (s, log) = c.get(&format!("/api/v1/orgs/{org}/log?limit=500")).await;
    assert_eq!(s, StatusCode::OK, "{log}");
    let mut out: Vec<String> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["subject"] == subject)
        .map(|x| x["action"].as_str().unwrap().to_string())
        .collect();
    out.reverse();
    out
}

/// The server still answers, signed in, after the hostile requests.
pub async fn alive(c: &Client) {
    let (s, b) = c.get("/api/v1/me").await;
    assert_eq!(s, StatusCode::OK, "the server no longer answers: {b}");
}
