//! `onus event` as a CI job runs it, against the real `onus serve` on 127.0.0.1 with a SQLite
//! file: open an incident with the customer's API token, list and show it; the provider's
//! webhook receiver (a real HTTP server in the test) gets the signed notification from the
//! worker inside `onus serve`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;
use serde_json::{json, Value};

mod common;
use common::{free_port, Api, Server, PASSWORD};

fn serve(db: &str) -> Server {
    serve_on(db, free_port())
}

fn serve_on(db: &str, port: u16) -> Server {
    // The receiver is on this machine; retries come quickly in a test.
    common::serve(
        db,
        port,
        // A worker killed mid-delivery gives its claims back after 20 s, not 60.
        &[
            "--allow-private-webhooks",
            "--retry-base-secs",
            "1",
            "--delivery-lease",
            "20",
        ],
    )
}

/// One request the receiver got: its headers (lower-cased names) and body.
type Hook = (Vec<(String, String)>, Vec<u8>);

/// A webhook receiver on 127.0.0.1: answers 200 to every request and records it; stops with
/// the test process.
fn receiver() -> (String, Arc<Mutex<Vec<Hook>>>) {
    receiver_on(TcpListener::bind("127.0.0.1:0").unwrap())
}

fn receiver_on(listener: TcpListener) -> (String, Arc<Mutex<Vec<Hook>>>) {
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            let mut r = BufReader::new(conn.try_clone().unwrap());
            let mut headers = Vec::new();
            let mut line = String::new();
            while r.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                if let Some((k, v)) = line.split_once(':') {
                    headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
                }
                line.clear();
            }
            let len = headers
                .iter()
                .find(|(k, _)| k == "content-length")
                .and_then(|(_, v)| v.parse::<usize>().ok())
                .unwrap_or(0);
            let mut body = vec![0; len];
            if r.read_exact(&mut body).is_err() {
                continue;
            }
            g.lock().unwrap().push((headers, body));
            let _ = conn
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        }
    });
    (url, got)
}

/// `onus event ...` with the token and the portal from the environment, as a CI job sets them.
fn onus_event(base: &str, token: &str, args: &[&str]) -> Output {
    Command::cargo_bin("onus")
        .unwrap()
        .arg("event")
        .args(args)
        .env("ONUS_URL", base)
        .env("ONUS_TOKEN", token)
        .output()
        .unwrap()
}

/// A provider publishing ovhcloud-mks and a customer, Shop, subscribed: the provider's admin
/// signed in, and an API token of Shop's, as a CI job holds it.
fn world(base: &str) -> (Api, String) {
    let admin = Api::login(base, "root@portal.test");
    for (slug, kind, email) in [
        ("ovhcloud", "provider", "p@ovh.test"),
        ("shop", "customer", "alice@shop.test"),
    ] {
        let (s, b) = admin.post("/api/v1/orgs", json!({"slug": slug, "name": slug, "kind": kind, "admin": {"email": email, "name": slug, "password": PASSWORD}}));
        assert_eq!(s, 201, "{b}");
    }
    let (_, model) = onus_model::BUILTIN
        .iter()
        .find(|(id, _)| *id == "ovhcloud-mks")
        .unwrap();
    let provider = Api::login(base, "p@ovh.test");
    let (s, b) = provider.send(
        provider
            .http
            .post(format!("{base}/api/v1/orgs/ovhcloud/models"))
            .header("content-type", "application/yaml")
            .body(model.to_string()),
    );
    assert_eq!(s, 201, "{b}");
    let shop = Api::login(base, "alice@shop.test");
    let (s, b) = shop.post(
        "/api/v1/orgs/shop/subscriptions",
        json!({"provider": "ovhcloud", "model": "ovhcloud-mks"}),
    );
    assert_eq!(s, 201, "{b}");
    let (_, tok) = shop.post("/api/v1/orgs/shop/tokens", json!({"name": "ci"}));
    (provider, tok["token"].as_str().unwrap().to_string())
}

#[test]
fn a_ci_job_opens_an_incident_and_the_provider_hears_of_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("portal.db").display().to_string();
    let server = serve(&db);
    let base = server.base.clone();
    let (provider, token) = world(&base);
    let (url, hooks) = receiver();
    let (s, hook) = provider.post("/api/v1/orgs/ovhcloud/webhooks", json!({"url": url}));
    assert_eq!(s, 201, "{hook}");
    let secret = hook["secret"].as_str().unwrap().to_string();

    // A bad severity is refused with the field named, and exit code 2.
    let bad = onus_event(
        &base,
        &token,
        &[
            "open",
            "--type",
            "incident",
            "-m",
            "ovhcloud-mks",
            "--title",
            "x",
            "--severity",
            "dire",
        ],
    );
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("severity"), "{err}");
    // A wrong token says so.
    let bad = onus_event(&base, "onus_nope", &["list"]);
    assert_eq!(bad.status.code(), Some(2));

    let log = dir.path().join("kubectl-events.txt");
    std::fs::write(&log, "09:12 i/o timeout\n").unwrap();
    let out = onus_event(
        &base,
        &token,
        &[
            "open",
            "--type",
            "incident",
            "-m",
            "ovhcloud-mks",
            "--title",
            "API unreachable from CI",
            "--severity",
            "high",
            "--service",
            "shop-prod",
            "--description",
            "deploy job timed out",
            "--file",
            log.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert_eq!(id.len(), 36, "the event's id on stdout: {id}");
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("/events/{id}")));

    let out = onus_event(&base, &token, &["list"]);
    assert!(out.status.success());
    let table = String::from_utf8_lossy(&out.stdout);
    let row = table
        .lines()
        .find(|l| l.starts_with(&id))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(
        row.contains("incident") && row.contains("open") && row.contains("high"),
        "{row}"
    );
    assert!(row.ends_with("API unreachable from CI"), "{row}");
    let out = onus_event(&base, &token, &["list", "--state", "closed", "-o", "json"]);
    let closed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(closed, json!([]));
    let out = onus_event(&base, &token, &["list", "--state", "sleeping"]);
    assert_eq!(out.status.code(), Some(2), "an unknown state is refused");

    let out = onus_event(&base, &token, &["show", &id, "-o", "json"]);
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["event"]["routing"]["activity"], "3.2.1-r3");
    assert!(
        v["steps"][0]["file"]["id"].is_string(),
        "the file is on the timeline: {v}"
    );
    let out = onus_event(&base, &token, &["show", &id]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("incident [open] API unreachable from CI"),
        "{text}"
    );

    // The provider (R of 3.2.1-r3) is told through its webhook, signed with its secret.
    let start = Instant::now();
    while hooks.lock().unwrap().is_empty() && start.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let got = hooks.lock().unwrap().clone();
    let (headers, body) = got.first().expect("no webhook within 30 s");
    let header = |k: &str| {
        headers
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert_eq!(header("onus-event"), "event.opened");
    let now = chrono_now();
    onus_server::worker::verify(&secret, &header("onus-signature"), body, now, 300).unwrap();
    let v: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(v["data"]["event"]["id"], id.as_str());
    assert_eq!(header("idempotency-key"), v["id"].as_str().unwrap());
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// `kill -9` of `onus serve` while a notification waits for its receiver: after a restart on
/// the same database, the worker delivers it once the receiver is back, with the failed
/// attempts in its delivery log.
#[test]
fn a_delivery_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("portal.db").display().to_string();
    let port = free_port();
    let mut server = serve_on(&db, port);
    let base = server.base.clone();
    let (provider, token) = world(&base);
    // The provider's receiver is down: its port is reserved, nothing listens yet.
    let rx_port = free_port();
    let url = format!("http://127.0.0.1:{rx_port}/hooks");
    let (s, hook) = provider.post("/api/v1/orgs/ovhcloud/webhooks", json!({"url": url}));
    assert_eq!(s, 201, "{hook}");
    let out = onus_event(
        &base,
        &token,
        &[
            "open",
            "--type",
            "incident",
            "-m",
            "ovhcloud-mks",
            "--title",
            "nodes NotReady",
            "--severity",
            "critical",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let event = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let mut pending = Value::Null;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        let l = provider.get("/api/v1/orgs/ovhcloud/deliveries");
        if let Some(d) = l["items"].as_array().and_then(|a| {
            a.iter()
                .find(|d| d["channel"] == "webhook" && d["attempts"].as_i64().unwrap_or(0) >= 1)
        }) {
            pending = d.clone();
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(pending["state"], "pending", "tried and failed: {pending}");
    let id = pending["id"].as_str().unwrap().to_string();
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    drop(server);
    let (_, hooks) = receiver_on(TcpListener::bind(("127.0.0.1", rx_port)).unwrap());
    let server = serve_on(&db, port);
    // A retry may have been in flight at the kill: its lease (20 s) runs out first.
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(120) && hooks.lock().unwrap().is_empty() {
        std::thread::sleep(Duration::from_millis(100));
    }
    let got = hooks.lock().unwrap().clone();
    let (headers, body) = got.first().expect("delivered after the restart");
    assert!(
        headers.contains(&("idempotency-key".to_string(), id.clone())),
        "{headers:?}"
    );
    let v: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(v["data"]["event"]["id"], event.as_str());
    let provider = Api::login(&server.base, "p@ovh.test");
    let mut detail = Value::Null;
    for _ in 0..50 {
        detail = provider.get(&format!("/api/v1/orgs/ovhcloud/deliveries/{id}"));
        if detail["delivery"]["state"] == "delivered" {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(detail["delivery"]["state"], "delivered", "{detail}");
    let attempts = detail["attempts"].as_array().unwrap();
    assert!(
        attempts.len() >= 2 && attempts[0]["code"].is_null(),
        "{detail}"
    );
    assert_eq!(attempts.last().unwrap()["code"], 200);
}

/// `--delivery-lease` below what a delivery attempt can take is refused before anything
/// starts, naming the flag and the range.
#[test]
fn a_lease_shorter_than_an_attempt_is_refused() {
    for bad in ["5", "0", "-3", "90000", "a minute"] {
        let out = Command::cargo_bin("onus")
            .unwrap()
            .args(["serve", "--listen", "127.0.0.1:0", "--database"])
            .arg(tempfile::tempdir().unwrap().path().join("p.db"))
            .arg(format!("--delivery-lease={bad}"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "--delivery-lease {bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--delivery-lease"), "{bad}: {err}");
    }
    let help = Command::cargo_bin("onus")
        .unwrap()
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("--delivery-lease <SECONDS>"), "{help}");
}
