//! What the CLI's portal tests share: the real `onus serve` binary on 127.0.0.1 and a free
//! port, stopped when the test drops it, and a signed-in client of its API.

// Each test crate that includes this module uses its own part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;
use serde_json::{json, Value};

/// The instance administrator's password (`root@portal.test`), and every test user's.
pub const PASSWORD: &str = "correct horse battery staple";

/// A running `onus serve`, killed when dropped.
pub struct Server {
    pub child: Child,
    pub base: String,
    /// What it printed on stderr until it first answered (the demo's credentials are there).
    pub printed: Vec<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `onus serve --database DB --listen 127.0.0.1:PORT EXTRA...` with the instance
/// administrator `root@portal.test` (password [`PASSWORD`]) and waits for its first answer.
// The child is waited for by `Server`'s Drop, which clippy cannot see.
#[allow(clippy::zombie_processes)]
pub fn serve(db: &str, port: u16, extra: &[&str]) -> Server {
    let mut child = Command::cargo_bin("onus")
        .unwrap()
        .args(["serve", "--database", db, "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .args(extra)
        .env("ONUS_ADMIN_PASSWORD", PASSWORD)
        .env("ONUS_ADMIN_EMAIL", "root@portal.test")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read for as long as the server lives, so that it never blocks on a full pipe.
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
        printed: Vec::new(),
    };
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        if reqwest::blocking::get(format!("{}/api/v1/openapi.json", server.base))
            .is_ok_and(|r| r.status().is_success())
        {
            // What it prints before it listens is in the channel by now.
            std::thread::sleep(Duration::from_millis(100));
            server.printed = rx.try_iter().collect();
            return server;
        }
        if let Ok(Some(status)) = server.child.try_wait() {
            panic!(
                "onus serve exited ({status}): {:?}",
                rx.try_iter().collect::<Vec<_>>()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!(
        "onus serve did not start on {}: {:?}",
        server.base,
        rx.try_iter().collect::<Vec<_>>()
    );
}

/// A signed-in browser-like client: the session cookie and the CSRF token changes need.
pub struct Api {
    pub http: reqwest::blocking::Client,
    pub base: String,
    pub csrf: String,
}

impl Api {
    /// Signs in with [`PASSWORD`].
    pub fn login(base: &str, email: &str) -> Api {
        Api::login_with(base, email, PASSWORD)
    }

    pub fn login_with(base: &str, email: &str, password: &str) -> Api {
        let http = reqwest::blocking::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap();
        let r = http
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .unwrap();
        assert!(r.status().is_success(), "login {email}: {}", r.status());
        let r: Value = r.json().unwrap();
        Api {
            http,
            base: base.into(),
            csrf: r["csrf_token"].as_str().unwrap().into(),
        }
    }

    /// Sends a request with the CSRF token: its status and JSON body (null when none).
    pub fn send(&self, req: reqwest::blocking::RequestBuilder) -> (u16, Value) {
        let r = req.header("x-csrf-token", &self.csrf).send().unwrap();
        (r.status().as_u16(), r.json().unwrap_or(Value::Null))
    }

    pub fn get(&self, path: &str) -> Value {
        self.send(self.http.get(format!("{}{path}", self.base))).1
    }

    pub fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(self.http.post(format!("{}{path}", self.base)).json(&body))
    }

    /// Posts a YAML body (a model, an attestations file).
    pub fn post_yaml(&self, path: &str, body: &str) -> (u16, Value) {
        self.send(
            self.http
                .post(format!("{}{path}", self.base))
                .header("content-type", "application/yaml")
                .body(body.to_string()),
        )
    }

    /// The `<main>` of a page: what the user reads (the header and the CSRF token are the
    /// session's own).
    pub fn main_of(&self, path: &str) -> String {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        let page = r.text().unwrap();
        let start = page.find("<main").expect("a <main>");
        let end = page.find("</main>").expect("a </main>");
        page[start..end].to_string()
    }
}

/// A list answer's items (a page's `items`, or a bare array).
pub fn items(v: &Value) -> Vec<Value> {
    v["items"]
        .as_array()
        .or(v.as_array())
        .cloned()
        .unwrap_or_default()
}
