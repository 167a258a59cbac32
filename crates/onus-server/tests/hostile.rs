//! Hostile input through the API (issue 15's portal bullet): a model upload, an audit upload
//! and an attestation with a file, each sent what an attacker or a broken client would send.
//! Every answer is a 4xx JSON error with a stable code and a message naming the field at
//! fault, never a 500, and the server answers normally afterwards (no dead worker).

mod common;

use common::{alive, refused, TestApp, ADMIN_PASSWORD};
use onus_server::Config;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A server with small limits (1 MiB bodies, 64 KiB files), so that "too large" is cheap to
/// reach, on a fresh database (in the returned folder, for SQLite), with the usual world in it.
async fn small_limits(pg: bool, test: &str) -> Option<(TestApp, common::World, tempfile::TempDir)> {
    let dir = tempfile::tempdir().unwrap();
    let database = if pg {
        onus_store::scratch::postgres_database(test).await?
    } else {
        onus_store::scratch::sqlite_path(dir.path())
    };
    let t = TestApp::spawn_on(
        database,
        Config {
            max_body_bytes: 1024 * 1024,
            max_file_bytes: 64 * 1024,
            ..Config::default()
        },
    )
    .await;
    t.app
        .bootstrap(common::ADMIN_EMAIL, Some(ADMIN_PASSWORD))
        .await
        .unwrap();
    let w = common::world(&t).await;
    Some((t, w, dir))
}

/// A request that declares a `len`-byte body and sends none of it, on a raw connection:
/// the server must answer (413, from the length alone) without waiting for the body. (A
/// client that sends the whole body races the server's early answer: the connection may be
/// closed while it is still writing, so that is not how the limit is tested.)
async fn declared(base: &str, path: &str, ctype: &str, len: usize) -> (StatusCode, Value) {
    use std::io::{Read, Write};
    let addr = base.trim_start_matches("http://").to_string();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {ctype}\r\n\
         Content-Length: {len}\r\nConnection: close\r\n\r\n"
    );
    let raw = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        s.write_all(head.as_bytes()).unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out)
            .expect("the server answered before the body was sent");
        out
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP answer");
    let code: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("a status line");
    (
        StatusCode::from_u16(code).unwrap(),
        serde_json::from_str(body).unwrap_or(Value::String(body.to_string())),
    )
}

fn nested_flow(depth: usize) -> Vec<u8> {
    let mut v = "[".repeat(depth).into_bytes();
    v.extend("]".repeat(depth).into_bytes());
    v
}

fn alias_bomb() -> Vec<u8> {
    let mut y = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
    for w in names.windows(2) {
        let r = format!("*{}", w[0]);
        y.push_str(&format!("{}: &{} [{}]\n", w[1], w[1], vec![r; 9].join(",")));
    }
    y.into_bytes()
}

async fn model_upload(t: TestApp) {
    let w = common::world(&t).await;
    let path = "/api/v1/orgs/ovhcloud/models";
    let p = &w.provider;
    let cases: Vec<(&str, &str, Vec<u8>, &str)> = vec![
        (
            "deep nesting",
            "application/yaml",
            nested_flow(100_000),
            "body",
        ),
        ("alias bomb", "application/yaml", alias_bomb(), "body"),
        (
            "invalid UTF-8",
            "application/yaml",
            vec![b'i', b'd', b':', b' ', 0xff, 0xfe, b'\n'],
            "body",
        ),
        (
            "70 KB on one line",
            "application/yaml",
            format!("id: \"{}\"\n", "x".repeat(70_000)).into_bytes(),
            "body",
        ),
        (
            "a 70 KB flow mapping on one line",
            "application/yaml",
            format!(
                "{{{}}}",
                (0..7000)
                    .map(|i| format!("k{i}: v"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
            .into_bytes(),
            "body",
        ),
        ("empty", "application/yaml", Vec::new(), "body"),
        (
            "NUL bytes",
            "application/yaml",
            b"id: a\0b\n".to_vec(),
            "body",
        ),
        (
            "a PNG sent as a model",
            "image/png",
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(),
            "body",
        ),
        (
            "JSON that is no model",
            "application/json",
            br#"{"format": 1, "id": [], "parties": "x"}"#.to_vec(),
            "body",
        ),
    ];
    for (what, ctype, body, field) in cases {
        refused(what, p.post_raw(path, ctype, body).await, Some(field));
    }
    alive(p).await;
}
both!(model_upload);

async fn audit_upload(t: TestApp) {
    let w = common::world(&t).await;
    let path = "/api/v1/orgs/shop/audits";
    let c = &w.shop;
    let report = common::example_audit("ovhcloud-mks", "2025-06-01T00:00:00Z");
    // A gzip bomb: the API takes no Content-Encoding, so the bytes are read as they are
    // (not unpacked) and refused as what they are, without growing.
    // 1 GiB of zeros as 1,024 gzip members of 1 MiB each (a gzip file may hold several, and
    // decoders unpack them all): about 1 MB to send, and one member to compress, which a debug
    // build does in milliseconds where compressing the whole GiB took a minute.
    let member = {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(&vec![0u8; 1024 * 1024]).unwrap();
        e.finish().unwrap()
    };
    let gz = member.repeat(1024);
    let mut wrong_format: Value = serde_json::from_slice(&report).unwrap();
    wrong_format["format"] = json!("onus.audit/v0");
    let mut unknown_model: Value = serde_json::from_slice(&report).unwrap();
    unknown_model["model"]["id"] = json!("no-such-model");
    let mut bad_results: Value = serde_json::from_slice(&report).unwrap();
    bad_results["checks"][0]["failures"] = json!("not a list");
    let cases: Vec<(&str, &str, Vec<u8>, &str)> = vec![
        (
            "deep nesting",
            "application/json",
            nested_flow(100_000),
            "body",
        ),
        (
            "invalid UTF-8",
            "application/json",
            vec![b'{', 0xff, b'}'],
            "body",
        ),
        ("gzip bomb", "application/json", gz.clone(), "body"),
        ("empty", "application/json", Vec::new(), "body"),
        (
            "wrong format",
            "application/json",
            wrong_format.to_string().into_bytes(),
            "format",
        ),
        (
            "unknown model",
            "application/json",
            unknown_model.to_string().into_bytes(),
            "model",
        ),
        (
            "results of the wrong shape",
            "application/json",
            bad_results.to_string().into_bytes(),
            "body",
        ),
        (
            "a report sent as a form",
            "application/x-www-form-urlencoded",
            b"a=1&b=2".to_vec(),
            "body",
        ),
        (
            "a YAML attestations file sent as a report",
            "application/yaml",
            std::fs::read(common::repo().join("examples/shop-attestations.yaml")).unwrap(),
            "body",
        ),
    ];
    for (what, ctype, body, field) in cases {
        refused(what, c.post_raw(path, ctype, body).await, Some(field));
    }
    // The same bomb declared as gzip: not decoded either.
    let (s, b) = c
        .send(
            c.req(reqwest::Method::POST, path)
                .header("content-type", "application/json")
                .header("content-encoding", "gzip")
                .body(gz),
        )
        .await;
    refused("gzip bomb, Content-Encoding: gzip", (s, b), Some("body"));
    // The real report still goes in.
    let (s, b) = c.post_raw(path, "application/json", report).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    alive(c).await;
}
both!(audit_upload);

fn form(fields: &[(&str, &str)]) -> reqwest::multipart::Form {
    let mut f = reqwest::multipart::Form::new();
    for (k, v) in fields {
        f = f.text(k.to_string(), v.to_string());
    }
    f
}

fn file(name: &str, mime: &str, bytes: Vec<u8>) -> reqwest::multipart::Part {
    reqwest::multipart::Part::bytes(bytes)
        .file_name(name.to_string())
        .mime_str(mime)
        .unwrap()
}

async fn attestation_with_a_file(pg: bool) {
    let Some((_t, w, _dir)) = small_limits(pg, "hostile_attestation_file").await else {
        return;
    };
    let path = "/api/v1/orgs/shop/attestations";
    let c = &w.shop;
    let good: &[(&str, &str)] = &[
        ("model", "ovhcloud-mks"),
        ("activity", "3.1.7-r4"),
        ("date", "2025-03-14"),
    ];
    let send =
        |f: reqwest::multipart::Form| c.send(c.req(reqwest::Method::POST, path).multipart(f));
    // Fields that are wrong, one at a time, each named.
    for (what, k, v) in [
        ("unknown activity", "activity", "no-such-activity"),
        ("not a date", "date", "yesterday"),
        ("a year past any calendar", "date", "99999999-01-01"),
        ("not a duration", "valid", "forever"),
        ("NUL in a name", "by", "Jane\0Doe"),
        ("a 20 KB note", "note", &"n".repeat(20_000)),
    ] {
        let mut fields: Vec<(&str, &str)> = good.iter().filter(|(x, _)| *x != k).copied().collect();
        fields.push((k, v));
        let f = form(&fields).part(
            "file",
            file("e.pdf", "application/pdf", b"%PDF-1.4".to_vec()),
        );
        refused(what, send(f).await, Some(k));
    }
    // A validity too long for any calendar is accepted and holds forever (it overflowed).
    let f = form(good).text("valid", "P4000000000Y").part(
        "file",
        file("e.pdf", "application/pdf", b"%PDF-1.4 forever".to_vec()),
    );
    let (s, b) = send(f).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, b) = c.get("/api/v1/orgs/shop/obligations?limit=500").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // A file over --max-file-mib.
    let f = form(good).part(
        "file",
        file("big.pdf", "application/pdf", vec![b'x'; 65 * 1024]),
    );
    refused("file too large", send(f).await, Some("file"));
    // A body over --max-body-mib.
    refused(
        "body too large",
        declared(
            &c.base,
            path,
            "multipart/form-data; boundary=x",
            2 * 1024 * 1024,
        )
        .await,
        None,
    );
    // No file and no evidence reference.
    refused("no evidence", send(form(good)).await, Some("file"));
    // A text field that is not UTF-8.
    let f = form(&good[..2])
        .part("date", reqwest::multipart::Part::bytes(vec![0xff, 0xfe]))
        .part("file", file("e.pdf", "application/pdf", b"%PDF".to_vec()));
    refused("invalid UTF-8 in a field", send(f).await, Some("date"));
    // A multipart body without its boundary.
    refused(
        "multipart without a boundary",
        c.post_raw(path, "multipart/form-data", b"--x\r\n\r\n".to_vec())
            .await,
        None,
    );
    // Wrong content types for the body.
    refused(
        "a PDF as the body",
        c.post_raw(path, "application/pdf", b"%PDF-1.4".to_vec())
            .await,
        Some("body"),
    );
    refused(
        "a deep YAML attestations file",
        c.post_raw(
            &format!("{path}?model=ovhcloud-mks"),
            "application/yaml",
            nested_flow(100_000),
        )
        .await,
        Some("body"),
    );
    refused(
        "an alias bomb as an attestations file",
        c.post_raw(
            &format!("{path}?model=ovhcloud-mks"),
            "application/yaml",
            alias_bomb(),
        )
        .await,
        Some("body"),
    );
    // Path-like and hostile file names are stored as plain names, and served as attachments
    // of a type no browser renders.
    for (name, mime) in [
        ("../../../../etc/passwd", "text/plain"),
        (
            "..\\..\\windows\\system32\\x.dll",
            "application/octet-stream",
        ),
        ("<script>alert(1)</script>.html", "text/html"),
        ("evil.svg", "image/svg+xml"),
    ] {
        let f = form(good).part(
            "file",
            file(name, mime, b"<html><script>alert(1)</script>".to_vec()),
        );
        let (s, b) = send(f).await;
        assert_eq!(s, StatusCode::CREATED, "{name}: {b}");
        let file_id = b[0]["file_id"].as_str().unwrap().to_string();
        let res = c
            .req(
                reqwest::Method::GET,
                &format!("/api/v1/orgs/shop/files/{file_id}"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let h = res.headers();
        let disposition = h["content-disposition"].to_str().unwrap().to_string();
        assert!(disposition.starts_with("attachment"), "{disposition}");
        assert!(
            !disposition.contains('/') && !disposition.contains('\\'),
            "{disposition}"
        );
        let ctype = h["content-type"].to_str().unwrap();
        assert!(
            ctype == "application/octet-stream" || ctype == "text/plain",
            "{name} served as {ctype}"
        );
    }
    alive(c).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attestation_with_a_file_sqlite() {
    attestation_with_a_file(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attestation_with_a_file_postgres() {
    attestation_with_a_file(true).await;
}

/// Bodies over the server's limit are refused with 413 and a JSON error, whatever the
/// endpoint, before they are read whole.
async fn limits(pg: bool) {
    let Some((t, w, _dir)) = small_limits(pg, "hostile_limits").await else {
        return;
    };
    for (c, path, ctype) in [
        (
            &w.provider,
            "/api/v1/orgs/ovhcloud/models",
            "application/yaml",
        ),
        (&w.shop, "/api/v1/orgs/shop/audits", "application/json"),
        (
            &w.shop,
            "/api/v1/orgs/shop/attestations",
            "application/json",
        ),
        (&w.shop, "/api/v1/auth/login", "application/json"),
    ] {
        let (s, b) = declared(&c.base, path, ctype, 2 * 1024 * 1024).await;
        assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{path}: {b}");
        assert_eq!(b["error"]["code"], "too_large", "{path}: {b}");
    }
    alive(&w.shop).await;
    drop(t);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_limits_sqlite() {
    limits(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_limits_postgres() {
    limits(true).await;
}

/// Offsets and limits at the ends of their range: a page past the end is empty and has no
/// next page (an offset near i64::MAX overflowed when the next one was computed, found by
/// schemathesis), a limit out of range is refused, naming the parameter.
async fn huge_offsets(t: TestApp) {
    let w = common::world(&t).await;
    let c = &w.shop;
    // The paginated lists.
    for list in [
        "tokens",
        "models",
        "subscriptions",
        "obligations",
        "audits",
        "log",
    ] {
        for offset in [i64::MAX, i64::MAX - 1, i64::MAX - 499] {
            let path = format!("/api/v1/orgs/shop/{list}?limit=500&offset={offset}");
            let (s, b) = c.get(&path).await;
            assert_eq!(s, StatusCode::OK, "{path}: {b}");
            assert_eq!(b["items"], json!([]), "{path}: {b}");
            assert_eq!(b["next_offset"], Value::Null, "{path}: {b}");
        }
        for (q, field) in [
            ("offset=-1", Some("offset")),
            ("limit=0", Some("limit")),
            ("limit=9223372036854775807", Some("limit")),
            // Not a 64-bit integer: refused by the query's parser, before any handler.
            ("offset=9223372036854775808", None),
        ] {
            let path = format!("/api/v1/orgs/shop/{list}?{q}");
            refused(&path, c.get(&path).await, field);
        }
    }
    alive(c).await;
}
both!(huge_offsets);
