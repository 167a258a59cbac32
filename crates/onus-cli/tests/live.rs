//! `onus snapshot` and `onus audit --live` through the real binary and kube-rs.
//!
//! No real Kubernetes API server can be installed or reached on the machines these tests run
//! on. A local HTTP server (`crates/onus-kube/tests/support`) answers the binary's discovery
//! and list requests with stored responses in the exact shape a real API server returns
//! (`crates/onus-kube/tests/fixtures/shop/`: the example shop cluster as a server would serve
//! it, plus secrets that must never come out). They are not recordings of a real cluster.

#[path = "../../onus-kube/tests/support/mod.rs"]
mod support;

use assert_cmd::Command;
use serde_json::Value;

const NOW: &str = "2025-06-01T12:00:00Z";

fn onus() -> Command {
    let mut c = Command::cargo_bin("onus").unwrap();
    c.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .env("NO_COLOR", "1")
        .env_remove("KUBECONFIG");
    c
}

/// The check results without where the failing items were read from.
fn results(out: &std::process::Output) -> (i32, Value) {
    let mut r: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
    });
    let mut checks = r["checks"].take();
    for c in checks.as_array_mut().unwrap() {
        for f in c["failures"].as_array_mut().into_iter().flatten() {
            let o = f.as_object_mut().unwrap();
            o.remove("file");
            o.remove("line");
        }
    }
    (
        out.status.code().unwrap(),
        serde_json::json!({"checks": checks, "parties": r["parties"]}),
    )
}

#[test]
fn snapshot_then_audit_equals_live_audit() {
    let server = support::serve(support::shop_fixtures());
    let dir = tempfile::tempdir().unwrap();
    // current-context is `staging`, on a closed port: --context must select `prod`.
    let staging = format!("http://127.0.0.1:{}", support::closed_port());
    let kc = support::kubeconfig(dir.path(), &server.url(), &staging);
    let kc = kc.to_str().unwrap();
    let snap = dir.path().join("snap.yaml");

    let out = onus()
        .args(["snapshot", "--kubeconfig", kc, "--context", "prod", "-O"])
        .arg(&snap)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&snap).unwrap();
    assert!(text.starts_with("# onus snapshot"), "{text}");
    assert!(text.contains("# context: prod\n"));
    assert!(text.contains(&format!("# server: {}/", server.url())));
    assert!(text.contains("Schedule (velero.io/v1) 2"));
    assert!(text.contains("VolumeSnapshotClass (snapshot.storage.k8s.io/v1) 1"));
    assert!(!text.contains("tls.key") && !text.contains("PRIVATE KEY"));
    assert!(!text.contains("FIXTURE-") && !text.contains("managedFields"));
    assert!(text.contains("tls.crt: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS"));

    let audit = |args: &[&str]| {
        onus()
            .args([
                "audit",
                "--model",
                "ovhcloud-mks",
                "--now",
                NOW,
                "-o",
                "json",
            ])
            .args(args)
            .output()
            .unwrap()
    };
    let live = audit(&["--live", "--kubeconfig", kc, "--context", "prod"]);
    let (live_code, live) = results(&live);
    let (file_code, from_file) = results(&audit(&[snap.to_str().unwrap()]));
    assert_eq!(live_code, 1);
    assert_eq!(live_code, file_code);
    assert_eq!(live, from_file);
    // And the same as the example export these responses were made from.
    let (_, export) = results(&audit(&["examples/shop-cluster"]));
    assert_eq!(live, export);
}

#[test]
fn an_unreachable_server_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let port = support::closed_port();
    let kc = support::kubeconfig(
        dir.path(),
        "http://127.0.0.1:9",
        &format!("http://127.0.0.1:{port}"),
    );
    // No --context: the current context, `staging`, whose server does not answer.
    let out = onus()
        .args(["snapshot", "--kubeconfig", kc.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "context `staging`: cannot reach the API server at http://127.0.0.1:{port}/"
        )),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn live_options_need_live() {
    let out = onus()
        .args(["audit", "-m", "ovhcloud-mks", "examples/shop-cluster"])
        .args(["--context", "prod"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("need --live"));
    let out = onus()
        .args([
            "audit",
            "-m",
            "ovhcloud-mks",
            "--live",
            "examples/shop-cluster",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
