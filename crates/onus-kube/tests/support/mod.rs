//! A stand-in for a Kubernetes API server, for tests: plain HTTP on 127.0.0.1 answering each
//! `GET <path>` with the fixture `<root><path>.json` (query strings ignored) and a
//! `Status` 404 otherwise. No real API server can run on the machines these tests run on, so
//! the live path is tested through kube-rs against these stored API responses.
//!
//! Shared by `crates/onus-kube/tests/live.rs` and `crates/onus-cli/tests/live.rs`.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The stored responses of the example shop cluster.
pub fn shop_fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../onus-kube/tests/fixtures/shop")
        .canonicalize()
        .expect("fixtures exist")
}

pub struct FakeApiServer {
    pub port: u16,
    /// Every request line seen (`GET /api/v1/secrets?... HTTP/1.1`) and its authorization.
    pub requests: Arc<Mutex<Vec<String>>>,
}

impl FakeApiServer {
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

/// Serves `root` on a free port, on a background thread that lives as long as the test.
pub fn serve(root: PathBuf) -> FakeApiServer {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let port = listener.local_addr().expect("address").port();
    let requests = Arc::new(Mutex::new(Vec::new()));
    let log = requests.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let root = root.clone();
            let log = log.clone();
            std::thread::spawn(move || answer(stream, &root, &log));
        }
    });
    FakeApiServer { port, requests }
}

/// A port nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    l.local_addr().expect("address").port()
}

fn answer(stream: TcpStream, root: &Path, log: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut stream = stream;
    // One request per connection (`Connection: close`), which hyper handles by reconnecting.
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let mut auth = String::new();
    loop {
        let mut h = String::new();
        match reader.read_line(&mut h) {
            Ok(0) | Err(_) => break,
            Ok(_) if h == "\r\n" || h == "\n" => break,
            Ok(_) => {
                if h.to_ascii_lowercase().starts_with("authorization:") {
                    auth = h.trim_end().to_string();
                }
            }
        }
    }
    let request = line.trim_end().to_string();
    if let Ok(mut l) = log.lock() {
        l.push(format!("{request} [{auth}]"));
    }
    let path = request
        .split(' ')
        .nth(1)
        .unwrap_or("/")
        .split('?')
        .next()
        .unwrap_or("/")
        .to_string();
    let file = root.join(format!("{}.json", path.trim_start_matches('/')));
    let (status, body) = match std::fs::read(&file) {
        Ok(b) if !path.contains("..") => ("200 OK", b),
        _ => (
            "404 Not Found",
            br#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","details":{},"code":404}"#
                .to_vec(),
        ),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body);
    let _ = stream.flush();
}

/// A kubeconfig with two contexts: `prod` (the fake server) and `staging` (a closed port),
/// `staging` current.
pub fn kubeconfig(dir: &Path, prod_url: &str, staging_url: &str) -> PathBuf {
    let text = format!(
        "apiVersion: v1
kind: Config
current-context: staging
clusters:
- name: prod
  cluster:
    server: {prod_url}
- name: staging
  cluster:
    server: {staging_url}
users:
- name: auditor
  user:
    token: fixture-token
contexts:
- name: prod
  context:
    cluster: prod
    user: auditor
- name: staging
  context:
    cluster: staging
    user: auditor
    namespace: default
"
    );
    let p = dir.join("kubeconfig");
    std::fs::write(&p, text).expect("write kubeconfig");
    p
}
