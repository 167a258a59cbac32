//! Leaving a portal as a user does it from the README, with the real binary on both database
//! engines: `onus serve --demo`, the customer ends its subscriptions, `onus org export`,
//! `onus verify-export`, `onus org import` into a second instance whose dashboard is the same,
//! the same archive exported again there (byte for byte but the instance-specific files),
//! `onus org delete` and `onus verify-certificate` against the instance's key.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Output};

use assert_cmd::cargo::CommandCargoExt;
use serde_json::{json, Value};

mod common;
use common::{free_port, items, Api, Server};

/// `onus serve` on `db`, with `--demo` when asked; with what it printed until it answered.
fn serve(db: &str, demo: bool) -> (Server, Vec<String>) {
    let mut server = common::serve(db, free_port(), if demo { &["--demo"] } else { &[] });
    let printed = std::mem::take(&mut server.printed);
    (server, printed)
}

fn onus(args: &[&str]) -> Output {
    Command::cargo_bin("onus")
        .unwrap()
        .args(args)
        .output()
        .unwrap()
}

fn ok(args: &[&str]) -> Output {
    let out = onus(args);
    assert!(
        out.status.success(),
        "onus {}: {}\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The files of a tar archive, by path.
fn files(archive: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut t = tar::Archive::new(std::fs::File::open(archive).unwrap());
    let mut out = BTreeMap::new();
    for e in t.entries().unwrap() {
        let mut e = e.unwrap();
        let path = e.path().unwrap().display().to_string();
        let mut bytes = Vec::new();
        e.read_to_end(&mut bytes).unwrap();
        out.insert(path, bytes);
    }
    out
}

/// The whole journey on two databases of one engine (`a`: the demo's, `b`: the second
/// instance's).
fn journey(a: &str, b: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).display().to_string();

    // The demo; Alice, Shop SAS's admin, signs in with the password it printed.
    let (server, printed) = serve(a, true);
    let alice_line = printed
        .iter()
        .find(|l| l.contains("alice@shop.demo"))
        .unwrap_or_else(|| panic!("the demo printed no password for Alice: {printed:?}"));
    let alice_password = alice_line.split_whitespace().last().unwrap().to_string();
    let alice = Api::login_with(&server.base, "alice@shop.demo", &alice_password);

    // Shop SAS cancels both subscriptions today: the checklists appear, each line on its party.
    let today = chrono::Utc::now().date_naive().to_string();
    let subs = items(&alice.get("/api/v1/orgs/shop/subscriptions"));
    assert_eq!(subs.len(), 2, "{subs:?}");
    for s in &subs {
        let id = s["id"].as_str().unwrap();
        let (st, body) = alice.post(
            &format!("/api/v1/orgs/shop/subscriptions/{id}/end"),
            json!({"end_date": today, "reason": "moving to another provider"}),
        );
        assert_eq!(st, 200, "{body}");
    }
    let list = alice.get("/api/v1/orgs/shop/end-of-service");
    let list = list.as_array().unwrap();
    let line = |a: &str| list.iter().find(|i| i["activity_id"] == a).unwrap();
    assert_eq!(line("5.1-r1")["party_kind"], "customer");
    assert_eq!(line("5.2-r1")["party_kind"], "provider");
    let dashboard = alice.main_of("/dashboard");
    assert!(
        dashboard.contains("5.1-r1"),
        "the checklist is on the dashboard: {dashboard}"
    );
    // Each model's duties are joined to its own audit (the demo audited both): neither
    // summary is all unknown, whatever the order of the subscriptions.
    for all_unknown in [
        "failing 0, overdue 0, unknown 15,",
        "failing 0, overdue 0, unknown 39,",
    ] {
        assert!(!dashboard.contains(all_unknown), "{dashboard}");
    }
    drop(server);

    // Export, check offline against the instance's key.
    let archive = path("shop.tar");
    ok(&["org", "export", "shop", "--database", a, "-O", &archive]);
    let key = ok(&["instance-key", "--database", a]);
    let key_file = path("instance-key.pem");
    std::fs::write(&key_file, &key.stdout).unwrap();
    assert!(String::from_utf8_lossy(&key.stdout).starts_with("-----BEGIN PUBLIC KEY-----"));
    ok(&["verify-export", &archive, "--public-key", &key_file]);
    let first = files(Path::new(&archive));
    assert!(first.contains_key("manifest.json") && first.contains_key("log/head.json"));
    let users = String::from_utf8_lossy(&first["users.jsonl"]).to_string();
    assert!(users.contains("alice@shop.demo") && !users.contains("argon2"));
    assert!(
        first.keys().any(|k| k.starts_with("files/")),
        "{:?}",
        first.keys()
    );

    // `onus import` without a database knows the archive is not a matrix and says what to add.
    let wrong = onus(&["import", &archive]);
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("--database"));
    // And a matrix is not an archive.
    let md = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/published-matrix.md"
    );
    let matrix = onus(&["import", md, "--database", b]);
    assert!(!matrix.status.success());
    assert!(String::from_utf8_lossy(&matrix.stderr).contains("is not one"));

    // A byte changed in an evidence file: verify-export fails, the import imports nothing.
    let altered = path("altered.tar");
    let mut bytes = std::fs::read(&archive).unwrap();
    let (name, content) = first.iter().find(|(k, _)| k.starts_with("files/")).unwrap();
    let at = bytes
        .windows(content.len().min(64))
        .position(|w| w == &content[..content.len().min(64)])
        .unwrap_or_else(|| panic!("{name} not found in the tar"));
    bytes[at] ^= 1;
    std::fs::write(&altered, bytes).unwrap();
    assert!(!onus(&["verify-export", &altered]).status.success());
    let refused = onus(&["org", "import", &altered, "--database", b]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("nothing was imported"));

    // Into the second instance: each user gets a one-time password.
    let imported = ok(&["import", &archive, "--database", b]);
    let stdout = String::from_utf8_lossy(&imported.stdout).to_string();
    let new_password = stdout
        .lines()
        .find(|l| l.starts_with("alice@shop.demo"))
        .and_then(|l| l.split_whitespace().last())
        .unwrap_or_else(|| panic!("no password for Alice: {stdout}"))
        .to_string();
    let (server_b, _) = serve(b, false);
    let alice_b = Api::login_with(&server_b.base, "alice@shop.demo", &new_password);
    assert_eq!(
        dashboard,
        alice_b.main_of("/dashboard"),
        "the dashboard differs on the second instance"
    );
    // The demo's events, their timelines and the shop's webhook came along.
    let events = String::from_utf8_lossy(&first["events.jsonl"]).to_string();
    assert!(!events.is_empty(), "the demo's events are not exported");
    assert!(String::from_utf8_lossy(&first["webhooks.jsonl"]).contains("whsec_"));
    let listed = items(&alice_b.get("/api/v1/orgs/shop/events?limit=500"));
    assert_eq!(listed.len(), events.lines().count(), "{listed:?}");
    for line in events.lines() {
        let e: Value = serde_json::from_str(line).unwrap();
        let there = alice_b.get(&format!(
            "/api/v1/orgs/shop/events/{}",
            e["id"].as_str().unwrap()
        ));
        assert_eq!(
            there["steps"].as_array().map(Vec::len),
            e["steps"].as_array().map(Vec::len),
            "{there}"
        );
    }
    drop(server_b);

    // Exported again there: the same archive, but for the files documented as specific to
    // the instance (docs/portal.md: export.json's `exported_at` and `instance_key`, the log's
    // chain, the manifest and its signature).
    let again = path("again.tar");
    ok(&["org", "export", "shop", "--database", b, "-O", &again]);
    let second = files(Path::new(&again));
    let specific = |k: &str| {
        k == "export.json" || k.starts_with("log/") || k == "manifest.json" || k == "signature.json"
    };
    let ka: Vec<&String> = first.keys().filter(|k| !specific(k)).collect();
    let kb: Vec<&String> = second.keys().filter(|k| !specific(k)).collect();
    assert_eq!(ka, kb);
    for k in ka {
        assert!(first[k] == second[k], "{k} differs after the round trip");
    }

    // What must be gone after the deletion, and is there before it: its users, their names,
    // its records' ids and its files' hashes (as the archive lists them).
    let mut needles: Vec<String> = [
        "alice@shop.demo",
        "bob@shop.demo",
        "carol@shop.demo",
        "Alice Durand",
        "Carol Nguyen",
    ]
    .map(String::from)
    .to_vec();
    for file in [
        "files.jsonl",
        "audits.jsonl",
        "attestations.jsonl",
        "obligations.jsonl",
    ] {
        for line in String::from_utf8_lossy(&first[file]).lines() {
            let v: Value = serde_json::from_str(line).unwrap();
            needles.push(v["id"].as_str().unwrap().to_string());
            if let Some(sha) = v["sha256"].as_str() {
                needles.push(sha.to_string());
            }
        }
    }
    assert!(needles.len() > 40, "{needles:?}");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    assert!(
        !rt.block_on(onus_store::scratch::occurrences(a, &needles, &[]))
            .is_empty(),
        "the scan finds the organisation before its deletion"
    );

    // The end: the operator deletes Shop SAS; the certificate checks against the key, and a
    // changed count or another instance's key does not.
    let cert = path("certificate.json");
    let wrong_confirm = onus(&[
        "org",
        "delete",
        "shop",
        "--database",
        a,
        "--confirm",
        "shops",
        "--certificate",
        &cert,
    ]);
    assert!(!wrong_confirm.status.success());
    assert!(!Path::new(&cert).exists());
    ok(&[
        "org",
        "delete",
        "shop",
        "--database",
        a,
        "--confirm",
        "shop",
        "--certificate",
        &cert,
    ]);
    ok(&["verify-certificate", &cert, "--public-key", &key_file]);
    let text = std::fs::read_to_string(&cert).unwrap();
    let c: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(c["organisation"]["slug"], "shop", "{c}");
    assert_eq!(c["deleted"]["users"], 3, "{c}");
    assert_eq!(
        c["export"]["manifest_sha256"],
        sha256_hex(&first["manifest.json"]),
        "the certificate names the export's manifest: {c}"
    );
    let mut changed = c.clone();
    changed["deleted"]["users"] = json!(2);
    let forged = path("forged.json");
    std::fs::write(&forged, serde_json::to_string_pretty(&changed).unwrap()).unwrap();
    let f = onus(&["verify-certificate", &forged, "--public-key", &key_file]);
    assert!(!f.status.success());
    let other_key = ok(&["instance-key", "--database", b, "-o", "base64"]);
    let other = String::from_utf8_lossy(&other_key.stdout)
        .trim()
        .to_string();
    assert!(
        !onus(&["verify-certificate", &cert, "--public-key", &other])
            .status
            .success()
    );

    // Nothing of the organisation is left to export.
    let gone = onus(&[
        "org",
        "export",
        "shop",
        "--database",
        a,
        "-O",
        &path("gone.tar"),
    ]);
    assert!(!gone.status.success());
    // Nor anywhere in the database's bytes.
    let found = rt.block_on(onus_store::scratch::occurrences(a, &needles, &[]));
    assert!(found.is_empty(), "left after the deletion: {found:#?}");
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn leave_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("first.db").display().to_string();
    let b = dir.path().join("second.db").display().to_string();
    journey(&a, &b);
}

#[test]
fn leave_on_postgres() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let Some(a) = rt.block_on(onus_store::scratch::postgres_database("leave_on_postgres")) else {
        return;
    };
    let b = rt
        .block_on(onus_store::scratch::postgres_database("leave_on_postgres"))
        .unwrap();
    journey(&a, &b);
}
