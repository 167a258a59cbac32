//! `onus serve`, `onus audit --push` and `onus log verify` as a user runs them: the real binary,
//! a real server process on 127.0.0.1, a SQLite file. Includes the crash test: `kill -9`
//! during a burst of writes loses no write the server acknowledged.

use std::process::Command;
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;
use serde_json::{json, Value};

mod common;
use common::{free_port, Api, Server, PASSWORD};

/// `onus serve` on `db` and `port`, nothing more.
fn serve(db: &str, port: u16) -> Server {
    common::serve(db, port, &[])
}

/// A provider publishing ovhcloud-mks and a customer subscribed; returns the customer's API
/// token.
fn setup(base: &str) -> String {
    let admin = Api::login(base, "root@portal.test");
    for (slug, kind, email) in [
        ("ovhcloud", "provider", "p@ovh.test"),
        ("shop", "customer", "alice@shop.test"),
    ] {
        let (s, b) = admin.post("/api/v1/orgs", json!({"slug": slug, "name": slug, "kind": kind, "admin": {"email": email, "name": slug, "password": PASSWORD}}));
        assert_eq!(s, 201, "{b}");
    }
    let (_, text) = onus_model::BUILTIN
        .iter()
        .find(|(id, _)| *id == "ovhcloud-mks")
        .unwrap();
    assert_eq!(
        Api::login(base, "p@ovh.test")
            .post_yaml("/api/v1/orgs/ovhcloud/models", text)
            .0,
        201
    );
    let shop = Api::login(base, "alice@shop.test");
    assert_eq!(
        shop.post(
            "/api/v1/orgs/shop/subscriptions",
            json!({"provider": "ovhcloud", "model": "ovhcloud-mks"})
        )
        .0,
        201
    );
    let (_, tok) = shop.post("/api/v1/orgs/shop/tokens", json!({"name": "ci"}));
    tok["token"].as_str().unwrap().to_string()
}

fn repo() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn push_then_verify_then_tamper() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("portal.db").display().to_string();
    let server = serve(&db, free_port());
    let token = setup(&server.base);
    // A CI job: audit the cluster and push the report with the token.
    let out = Command::cargo_bin("onus")
        .unwrap()
        .current_dir(repo())
        .args([
            "audit",
            "examples/shop-cluster",
            "-m",
            "ovhcloud-mks",
            "--fail-on",
            "none",
            "-o",
            "json",
            "--push",
            &server.base,
            "--token",
            &token,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("pushed to"));
    let shop = Api::login(&server.base, "alice@shop.test");
    assert_eq!(
        shop.get("/api/v1/orgs/shop/audits")["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // A wrong token is refused, with the reason.
    let out = Command::cargo_bin("onus")
        .unwrap()
        .current_dir(repo())
        .args([
            "audit",
            "examples/shop-cluster",
            "-m",
            "ovhcloud-mks",
            "--fail-on",
            "none",
            "--push",
            &server.base,
            "--token",
            "onus_nope",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    drop(server);

    let verify = || {
        Command::cargo_bin("onus")
            .unwrap()
            .args(["log", "verify", "--database", &db])
            .output()
            .unwrap()
    };
    let ok = verify();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).starts_with("log intact"));
    // An attacker with the database file rewrites who pushed the audit.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let n = rt
        .block_on(onus_store::scratch::execute_raw(
            &db,
            "UPDATE log SET actor_name = 'Mallory' WHERE action = 'audit.upload'",
        ))
        .unwrap();
    assert_eq!(n, 1);
    let bad = verify();
    assert_eq!(bad.status.code(), Some(1));
    let text = String::from_utf8_lossy(&bad.stdout);
    assert!(
        text.contains("audit.upload") && text.contains("altered"),
        "{text}"
    );
}

/// `kill -9` in the middle of a burst of writes: every write the server acknowledged (201)
/// is there after a restart, and the log is whole.
#[test]
fn kill_9_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    kill_9(&dir.path().join("portal.db").display().to_string());
}

/// The same on PostgreSQL (the server process is killed; the database lives on): a write is
/// acknowledged only once PostgreSQL committed it.
#[test]
fn kill_9_loses_no_acknowledged_write_postgres() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    if let Some(db) = rt.block_on(onus_store::scratch::postgres_database("kill_9")) {
        kill_9(&db);
    }
}

/// The `i`-th attestation a writer sends (JSON, evidence elsewhere).
fn attestation(writer: &str, i: usize) -> Value {
    json!({"model": "ovhcloud-mks", "activity": "3.1.7-r4", "date": "2025-03-01", "by": format!("{writer} #{i}"),
           "evidence": {"ref": format!("https://evidence.test/{writer}/{i}"), "sha256": "a".repeat(64)}})
}

fn kill_9(db: &str) {
    let db = db.to_string();
    let port = free_port();
    let mut server = serve(&db, port);
    let token = setup(&server.base);
    let base = server.base.clone();
    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mut writers = Vec::new();
    for w in 0..4 {
        let (base, token, acked) = (base.clone(), token.clone(), acknowledged.clone());
        writers.push(std::thread::spawn(move || {
            let http = reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap();
            for i in 0..10_000 {
                let body = attestation(&format!("writer {w}"), i);
                match http
                    .post(format!("{base}/api/v1/orgs/shop/attestations"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                {
                    Ok(r) if r.status().as_u16() == 201 => {
                        let v: Value = r.json().unwrap_or(Value::Null);
                        if let Some(id) = v[0]["id"].as_str() {
                            acked.lock().unwrap().push(id.to_string());
                        }
                    }
                    _ => return, // the server is gone
                }
            }
        }));
    }
    // Let the burst run, then kill the server without warning.
    let start = Instant::now();
    while acknowledged.lock().unwrap().len() < 60 && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
    }
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    for w in writers {
        w.join().unwrap();
    }
    let acked = acknowledged.lock().unwrap().clone();
    assert!(
        acked.len() >= 60,
        "only {} writes before the kill",
        acked.len()
    );
    let server = serve(&db, port);
    let shop = Api::login(&server.base, "alice@shop.test");
    let stored: Vec<String> = shop
        .get("/api/v1/orgs/shop/attestations")
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["id"].as_str().map(str::to_string))
        .collect();
    let missing: Vec<&String> = acked.iter().filter(|id| !stored.contains(id)).collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged writes lost: {missing:?}",
        missing.len()
    );
    drop(server);
    assert_log_intact(&db);
}

/// Two `onus serve` processes on one SQLite file (one machine, a local file system): writes
/// through both at once are all kept, each chained once in the log (SQLite's write lock
/// serialises them as PostgreSQL's row lock does), and each process reads the other's.
#[test]
fn two_processes_share_one_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("portal.db").display().to_string();
    let a = serve(&db, free_port());
    let token = setup(&a.base);
    let b = serve(&db, free_port());
    let mut writers = Vec::new();
    for (w, base) in [a.base.clone(), b.base.clone()].into_iter().enumerate() {
        let token = token.clone();
        writers.push(std::thread::spawn(move || {
            let http = reqwest::blocking::Client::new();
            for i in 0..40 {
                let body = attestation(&format!("process {w}"), i);
                let r = http
                    .post(format!("{base}/api/v1/orgs/shop/attestations"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .unwrap();
                assert_eq!(r.status().as_u16(), 201, "{}", r.text().unwrap_or_default());
            }
        }));
    }
    for w in writers {
        w.join().unwrap();
    }
    for server in [&a, &b] {
        let n = Api::login(&server.base, "alice@shop.test")
            .get("/api/v1/orgs/shop/attestations")
            .as_array()
            .unwrap()
            .len();
        assert_eq!(n, 80, "{} sees every write", server.base);
    }
    drop((a, b));
    assert_log_intact(&db);
}

/// `onus log verify` finds the database's log chain whole.
#[track_caller]
fn assert_log_intact(db: &str) {
    let out = Command::cargo_bin("onus")
        .unwrap()
        .args(["log", "verify", "--database", db])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
