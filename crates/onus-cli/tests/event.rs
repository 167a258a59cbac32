//! `onus event` as a CI job runs it, against the real `onus serve` on 127.0.0.1 with a SQLite
//! file: open an incident with the customer's API token, list and show it; the provider's
//! webhook receiver (a real HTTP server in the test) gets the signed notification from the
//! worker inside `onus serve`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery staple";

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// The child is waited for by `Server`'s Drop, which clippy cannot see.
#[allow(clippy::zombie_processes)]
fn serve(db: &str) -> Server {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::cargo_bin("onus")
        .unwrap()
        .args(["serve", "--database", db, "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        // The receiver is on this machine; retries come quickly in a test.
        .args(["--allow-private-webhooks", "--retry-base-secs", "1"])
        .env("ONUS_ADMIN_PASSWORD", PASSWORD)
        .env("ONUS_ADMIN_EMAIL", "root@portal.test")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if reqwest::blocking::get(format!("{base}/api/v1/openapi.json"))
            .is_ok_and(|r| r.status().is_success())
        {
            return Server { child, base };
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("onus serve did not start on {base}");
}

/// A signed-in browser-like client (session cookie and CSRF token).
struct Api {
    http: reqwest::blocking::Client,
    base: String,
    csrf: String,
}

impl Api {
    fn login(base: &str, email: &str) -> Api {
        let http = reqwest::blocking::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap();
        let r: Value = http
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"email": email, "password": PASSWORD}))
            .send()
            .unwrap()
            .json()
            .unwrap();
        Api {
            http,
            base: base.into(),
            csrf: r["csrf_token"].as_str().unwrap().into(),
        }
    }

    fn send(&self, req: reqwest::blocking::RequestBuilder) -> (u16, Value) {
        let r = req.header("x-csrf-token", &self.csrf).send().unwrap();
        (r.status().as_u16(), r.json().unwrap_or(Value::Null))
    }

    fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(self.http.post(format!("{}{path}", self.base)).json(&body))
    }
}

/// One request the receiver got: its headers (lower-cased names) and body.
type Hook = (Vec<(String, String)>, Vec<u8>);

/// A webhook receiver on 127.0.0.1: answers 200 to every request and records it; stops with
/// the test process.
fn receiver() -> (String, Arc<Mutex<Vec<Hook>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
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

#[test]
fn a_ci_job_opens_an_incident_and_the_provider_hears_of_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("portal.db").display().to_string();
    let server = serve(&db);
    let base = server.base.clone();
    let admin = Api::login(&base, "root@portal.test");
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
    let provider = Api::login(&base, "p@ovh.test");
    let (s, b) = provider.send(
        provider
            .http
            .post(format!("{base}/api/v1/orgs/ovhcloud/models"))
            .header("content-type", "application/yaml")
            .body(model.to_string()),
    );
    assert_eq!(s, 201, "{b}");
    let (url, hooks) = receiver();
    let (s, hook) = provider.post("/api/v1/orgs/ovhcloud/webhooks", json!({"url": url}));
    assert_eq!(s, 201, "{hook}");
    let secret = hook["secret"].as_str().unwrap().to_string();
    let shop = Api::login(&base, "alice@shop.test");
    let (s, b) = shop.post(
        "/api/v1/orgs/shop/subscriptions",
        json!({"provider": "ovhcloud", "model": "ovhcloud-mks"}),
    );
    assert_eq!(s, 201, "{b}");
    let (_, tok) = shop.post("/api/v1/orgs/shop/tokens", json!({"name": "ci"}));
    let token = tok["token"].as_str().unwrap().to_string();

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
