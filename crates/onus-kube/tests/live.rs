//! The live path through kube-rs, against a local HTTP server.
//!
//! No real Kubernetes API server can be installed or reached on the machines these tests run
//! on. The server in `support/` answers kube-rs's discovery (`/api`, `/apis`, each group
//! version's `APIResourceList`) and list requests with stored responses under
//! `tests/fixtures/shop/`, written in the exact shape a real API server returns (list items
//! without `apiVersion`/`kind`, `metadata.resourceVersion`, `managedFields`, subresources in
//! the resource lists). They were not recorded from a real cluster: they are the example shop
//! cluster (`examples/shop-cluster`) as an API server would serve it, plus an Opaque Secret, a
//! service-account token Secret and a `tls.key` that must never come out.

mod support;

use onus_kube::{Cluster, ClusterOptions, KubeError, DEFAULT_KINDS};

fn kinds() -> Vec<String> {
    let mut k: Vec<String> = DEFAULT_KINDS.iter().map(|s| s.to_string()).collect();
    k.push("Widget".into());
    k
}

#[test]
fn lists_redacts_and_restores_types() {
    let server = support::serve(support::shop_fixtures());
    let dir = tempfile::tempdir().unwrap();
    let kc = support::kubeconfig(dir.path(), &server.url(), "http://127.0.0.1:9");
    let cluster = Cluster::connect(&ClusterOptions {
        kubeconfig: Some(kc),
        context: Some("prod".into()),
    })
    .unwrap();
    assert_eq!(cluster.context(), "prod");
    let snap = cluster.fetch(&kinds()).unwrap();
    assert_eq!(snap.not_served, ["Widget"]);
    assert!(snap.warnings.is_empty(), "{:?}", snap.warnings);
    let listed = |k: &str| snap.listed.iter().find(|l| l.kind == k).unwrap().clone();
    assert_eq!(listed("Schedule").api_version, "velero.io/v1");
    assert_eq!(listed("Schedule").count, 2);
    assert_eq!(listed("VolumeSnapshotClass").count, 1);
    assert_eq!(
        listed("HorizontalPodAutoscaler").api_version,
        "autoscaling/v2"
    );
    // Items come back with their types, and without managedFields.
    for it in &snap.items {
        assert!(
            it["apiVersion"].is_string() && it["kind"].is_string(),
            "{it}"
        );
        assert!(it["metadata"].get("managedFields").is_none(), "{it}");
    }
    let text = serde_json::to_string(&snap.items).unwrap();
    assert!(!text.contains("tls.key") && !text.contains("PRIVATE KEY"));
    assert!(!text.contains("FIXTURE-OPAQUE") && !text.contains("last-applied"));
    let secrets: Vec<_> = snap
        .items
        .iter()
        .filter(|i| i["kind"] == "Secret")
        .collect();
    // The stored response ignores the field selector: redaction alone must hold.
    assert_eq!(secrets.len(), 3);
    for s in secrets {
        let keys: Vec<&String> = s
            .get("data")
            .and_then(|d| d.as_object())
            .map(|d| d.keys().collect())
            .unwrap_or_default();
        if s["type"] == "kubernetes.io/tls" {
            assert_eq!(keys, ["tls.crt"]);
        } else {
            assert!(keys.is_empty(), "{s}");
        }
    }
    let requests = server.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.starts_with("GET /api/v1/secrets?")
                && r.contains("fieldSelector=type%3Dkubernetes.io%2Ftls")),
        "{requests:#?}"
    );
    assert!(requests.iter().all(|r| r.contains("Bearer fixture-token")));
    // The inventory is the same one an export gives.
    let mut inv = onus_inventory::Inventory::default();
    snap.add_to(&mut inv);
    assert_eq!(inv.len(), snap.items.len());
    assert!(inv.problems().is_empty());
    assert_eq!(inv.of_kind("Backup").count(), 2);
}

#[test]
fn an_unreachable_server_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let port = support::closed_port();
    let kc = support::kubeconfig(
        dir.path(),
        "http://127.0.0.1:9",
        &format!("http://127.0.0.1:{port}"),
    );
    let cluster = Cluster::connect(&ClusterOptions {
        kubeconfig: Some(kc),
        context: None,
    })
    .unwrap();
    assert_eq!(cluster.context(), "staging");
    let err = cluster.fetch(&kinds()).unwrap_err();
    assert!(matches!(err, KubeError::Unreachable { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
}

#[test]
fn an_unknown_context_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let kc = support::kubeconfig(dir.path(), "http://127.0.0.1:9", "http://127.0.0.1:9");
    let err = Cluster::connect(&ClusterOptions {
        kubeconfig: Some(kc),
        context: Some("nope".into()),
    })
    .unwrap_err();
    assert!(matches!(err, KubeError::NoContext { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "context `nope` is not in the kubeconfig (contexts: prod, staging)"
    );
}
