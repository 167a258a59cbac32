//! The events fan-out benchmark (issue 13, "Speed"): a provider publishes an infrastructure
//! incident (`provider-incident`, bound to OVHcloud's 3.2.1-r2) to every one of its subscribed
//! customers, each with a webhook to a receiver on 127.0.0.1.
//!
//! Measured:
//! 1. **acknowledged**: the wall time of `POST /api/v1/orgs/{provider}/events` through the real
//!    server over HTTP, from the request to the `201` (routing, one row per customer, the
//!    timeline, one log entry per organisation and the outbox, in one transaction); the
//!    server's worker is off, so nothing else competes;
//! 2. **delivered**: a worker (another instance on the same database, as `onus serve` runs
//!    it, default settings) started once every event is acknowledged, until the receiver has
//!    every webhook: expanding the outbox into notifications and deliveries, claiming, signing,
//!    sending and recording each attempt. Reported as webhooks per second, with the number of
//!    deliveries the receiver saw twice (there should be none);
//! 3. **new-event page**: `GET /events/new?type=provider-incident` as the provider's admin (a
//!    session cookie), the form listing every subscribed customer, 20 times.
//!
//! Run: `cargo bench -p onus-server --bench fanout` (SQLite in a temporary folder). Settings
//! in the environment: `ONUS_BENCH_CUSTOMERS` (default 1000), `ONUS_BENCH_EVENTS` (default 5),
//! `ONUS_BENCH_POSTGRES=1` to run on a fresh database of the PostgreSQL server
//! `ONUS_TEST_POSTGRES` points at (`eval "$(.ci/postgres.sh)"` starts one). Figures and the
//! machine they were measured on: docs/benchmarks.md.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use onus_server::worker::WorkerConfig;
use onus_server::{App, Config};
use onus_store::{OrgKind, Principal, Role, Store};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery staple";

fn env_usize(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v}: a whole number")),
        Err(_) => default,
    }
}

/// A webhook receiver: answers 204 at once and counts each idempotency key.
async fn receiver() -> (String, Arc<Mutex<HashMap<String, usize>>>) {
    let seen = Arc::new(Mutex::new(HashMap::new()));
    let s = seen.clone();
    let app = axum::Router::new().fallback(move |headers: axum::http::HeaderMap| {
        let s = s.clone();
        async move {
            let key = headers
                .get("idempotency-key")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            *s.lock().unwrap().entry(key).or_insert(0) += 1;
            axum::http::StatusCode::NO_CONTENT
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, seen)
}

/// The principal of a user, as a session would carry it.
async fn principal(store: &Store, user_id: &str) -> Principal {
    let s = store
        .create_session(user_id, chrono::Duration::minutes(30))
        .await
        .unwrap();
    store.session(&s.id).await.unwrap().unwrap().0
}

/// An organisation with an admin (who never signs in: no password hashing) and an API token.
async fn org(store: &Store, admin: &Principal, slug: &str, kind: OrgKind) -> String {
    let o = store.create_org(admin, slug, slug, kind).await.unwrap();
    let u = store
        .create_user(
            admin,
            &o.id,
            &format!("admin@{slug}.bench"),
            slug,
            Role::Admin,
            "no password: a benchmark user",
        )
        .await
        .unwrap();
    let p = principal(store, &u.id).await;
    store
        .create_token(&p, &o.id, "bench", Role::Admin)
        .await
        .unwrap()
        .0
}

async fn call(token: &str, req: reqwest::RequestBuilder) -> Value {
    let r = req.bearer_auth(token).send().await.unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{status}: {body}");
    body
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let customers = env_usize("ONUS_BENCH_CUSTOMERS", 1000);
    let events = env_usize("ONUS_BENCH_EVENTS", 5);
    let dir = tempfile::tempdir().unwrap();
    let (database, engine) = if std::env::var("ONUS_BENCH_POSTGRES").is_ok_and(|v| v == "1") {
        let url = onus_store::scratch::postgres_database("fanout")
            .await
            .expect("ONUS_BENCH_POSTGRES=1 needs ONUS_TEST_POSTGRES");
        (url, "PostgreSQL")
    } else {
        (onus_store::scratch::sqlite_path(dir.path()), "SQLite")
    };
    let (hook_url, seen) = receiver().await;
    let quiet = WorkerConfig {
        enabled: false,
        allow_private: true,
        ..WorkerConfig::default()
    };
    let app = App::open(Config {
        database: database.clone(),
        worker: quiet,
        ..Config::default()
    })
    .await
    .unwrap();
    app.bootstrap("root@bench.test", Some(PASSWORD))
        .await
        .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(onus_server::serve(listener, app.clone()));
    let store = app.store.clone();
    let root = store.login_user("root@bench.test").await.unwrap().unwrap();
    let admin = principal(&store, &root.id).await;
    let http = reqwest::Client::new();

    eprintln!("fanout: {engine}, {customers} customers, {events} events; seeding...");
    let seeding = Instant::now();
    let provider = org(&store, &admin, "ovhcloud", OrgKind::Provider).await;
    let (_, model) = onus_model::BUILTIN
        .iter()
        .find(|(id, _)| *id == "ovhcloud-mks")
        .unwrap();
    call(
        &provider,
        http.post(format!("{base}/api/v1/orgs/ovhcloud/models"))
            .header("content-type", "application/yaml")
            .body(model.to_string()),
    )
    .await;
    for i in 0..customers {
        let slug = format!("customer-{i:05}");
        let token = org(&store, &admin, &slug, OrgKind::Customer).await;
        call(
            &token,
            http.post(format!("{base}/api/v1/orgs/{slug}/subscriptions"))
                .json(&json!({"provider": "ovhcloud", "model": "ovhcloud-mks"})),
        )
        .await;
        call(
            &token,
            http.post(format!("{base}/api/v1/orgs/{slug}/webhooks"))
                .json(&json!({"url": hook_url})),
        )
        .await;
    }
    eprintln!("fanout: seeded in {:.1} s", seeding.elapsed().as_secs_f64());

    // 1. Acknowledged to the caller.
    let mut acks = Vec::new();
    for e in 0..events {
        let start = Instant::now();
        let d = call(
            &provider,
            http.post(format!("{base}/api/v1/orgs/ovhcloud/events"))
                .json(&json!({
                    "type": "provider-incident", "model": "ovhcloud-mks", "severity": "high",
                    "title": format!("Load balancers of GRA7 unreachable ({e})"),
                    "description": "Clusters in GRA7 cannot reach their API server."
                })),
        )
        .await;
        acks.push(start.elapsed());
        assert_eq!(d["event"]["customers"], customers, "{}", d["event"]);
    }
    // 3. The provider's "new event" page, listing every subscriber.
    let admin_user = store
        .login_user("admin@ovhcloud.bench")
        .await
        .unwrap()
        .unwrap();
    let session = store
        .create_session(&admin_user.id, chrono::Duration::minutes(30))
        .await
        .unwrap();
    let mut pages = Vec::new();
    for _ in 0..20 {
        let start = Instant::now();
        let r = http
            .get(format!(
                "{base}/events/new?type=provider-incident&model=ovhcloud-mks"
            ))
            .header("cookie", format!("onus_session={}", session.id))
            .send()
            .await
            .unwrap();
        let status = r.status();
        let page = r.text().await.unwrap();
        pages.push(start.elapsed());
        assert!(status.is_success(), "{status}");
        assert_eq!(
            page.matches("name=\"customer\"").count(),
            customers,
            "every subscriber offered"
        );
    }
    pages.sort();
    // 2. Delivered by a worker.
    let expected = customers * events;
    let worker = App::open(Config {
        database: database.clone(),
        worker: WorkerConfig {
            allow_private: true,
            ..WorkerConfig::default()
        },
        ..Config::default()
    })
    .await
    .unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let start = Instant::now();
    let handle = worker.start_worker(stopped).unwrap().unwrap();
    let limit = Duration::from_secs(600);
    while seen.lock().unwrap().len() < expected && start.elapsed() < limit {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let delivered = start.elapsed();
    let _ = stop.send(true);
    let _ = handle.await;
    let (unique, twice) = {
        let s = seen.lock().unwrap();
        (s.len(), s.values().filter(|n| **n > 1).count())
    };
    assert_eq!(unique, expected, "every webhook delivered within {limit:?}");

    acks.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("fan-out to {customers} customers, {engine}, {events} events");
    println!(
        "  acknowledged: median {:.0} ms, min {:.0} ms, max {:.0} ms",
        ms(percentile(&acks, 0.5)),
        ms(acks[0]),
        ms(acks[acks.len() - 1])
    );
    println!(
        "  new-event page ({customers} customers listed): median {:.0} ms, min {:.0} ms, max {:.0} ms",
        ms(percentile(&pages, 0.5)),
        ms(pages[0]),
        ms(pages[pages.len() - 1])
    );
    println!(
        "  delivered: {expected} webhooks in {:.2} s = {:.0} webhooks/s (sent twice: {twice})",
        delivered.as_secs_f64(),
        expected as f64 / delivered.as_secs_f64()
    );
}
