//! Each built-in check pinned by a passing and a failing fixture.

use std::sync::Arc;

use onus_audit::{catalog, run, CheckResult, CheckStatus, RunOptions};
use onus_inventory::Inventory;

mod fixtures;
use fixtures::{ingress, ACCESS, BACKUPS, CERT, NETWORK, PROVIDERS, PVCS, SCHEDULE, WORKLOADS};

fn audit_at(yaml: &str, now: &str) -> Vec<CheckResult> {
    let mut inv = Inventory::default();
    inv.add_text("fixture.yaml", yaml).unwrap();
    let opts = RunOptions {
        now: chrono::DateTime::parse_from_rfc3339(now).unwrap(),
        threads: 1,
        ..RunOptions::default()
    };
    run(&inv, &catalog::builtin().unwrap(), &opts)
}

fn check(yaml: &str, id: &str) -> CheckResult {
    check_at(yaml, id, "2025-06-01T12:00:00Z")
}

fn check_at(yaml: &str, id: &str, now: &str) -> CheckResult {
    let r = audit_at(yaml, now)
        .into_iter()
        .find(|r| r.id == id)
        .unwrap();
    assert!(r.errors.is_empty(), "{id}: {:?}", r.errors);
    r
}

fn failing(r: &CheckResult) -> Vec<(String, String)> {
    r.failures
        .iter()
        .map(|f| (f.id.to_string(), f.reason.to_string()))
        .collect()
}

fn ids(r: &CheckResult) -> Vec<&str> {
    r.failures.iter().map(|f| f.id).collect()
}

#[test]
fn network_default_deny() {
    let y = NETWORK;
    let r = check(y, "network.default-deny");
    assert_eq!(
        r.checked, 2,
        "shop and jobs; kube-system excluded, services are not workloads"
    );
    assert_eq!(
        failing(&r),
        vec![("jobs".into(), "no-default-deny-ingress".into())]
    );
    let ok = y.replace("policyTypes: [Egress]", "policyTypes: [Egress, Ingress]");
    assert_eq!(check(&ok, "network.default-deny").status, CheckStatus::Pass);
}

#[test]
fn backup_pvc_covered() {
    let pvcs = PVCS;
    let r = check(&format!("{SCHEDULE}{pvcs}"), "backup.pvc-covered");
    assert_eq!(
        failing(&r),
        vec![("other/cache".into(), "no-schedule-covers-namespace".into())]
    );
    let star = SCHEDULE.replace("includedNamespaces: [shop]", "includedNamespaces: ['*']");
    assert_eq!(
        check(&format!("{star}{pvcs}"), "backup.pvc-covered").status,
        CheckStatus::Pass
    );
    let absent = SCHEDULE.replace("includedNamespaces: [shop]", "includedNamespaces: []");
    assert_eq!(
        check(&format!("{absent}{pvcs}"), "backup.pvc-covered").status,
        CheckStatus::Pass
    );
    let excluded = absent.replace(
        "excludedNamespaces: [scratch]",
        "excludedNamespaces: [other]",
    );
    assert_eq!(
        ids(&check(&format!("{excluded}{pvcs}"), "backup.pvc-covered")),
        vec!["other/cache"]
    );
    assert_eq!(
        ids(&check(pvcs, "backup.pvc-covered")),
        vec!["shop/data", "other/cache"],
        "no schedule at all"
    );
}

#[test]
fn backup_recent() {
    let backups = BACKUPS;
    let y = format!("{SCHEDULE}{backups}");
    assert_eq!(
        check_at(&y, "backup.recent", "2025-06-01T12:00:00Z").status,
        CheckStatus::Pass
    );
    assert_eq!(
        check_at(&y, "backup.recent", "2025-06-02T04:10:00Z").status,
        CheckStatus::Pass,
        "26 h exactly"
    );
    let r = check_at(&y, "backup.recent", "2025-06-02T12:00:00Z");
    assert_eq!(
        failing(&r),
        vec![("velero/daily".into(), "no-completed-backup-in-26h".into())],
        "the newer one failed"
    );
    assert_eq!(
        check_at(&y, "backup.recent", "2025-06-01T01:00:00Z").status,
        CheckStatus::Fail,
        "after --now does not count"
    );
    let other = y.replace(
        "velero.io/schedule-name: daily}",
        "velero.io/schedule-name: weekly}",
    );
    assert_eq!(
        check_at(&other, "backup.recent", "2025-06-01T12:00:00Z").status,
        CheckStatus::Fail
    );
}

#[test]
fn workload_resources() {
    let r = check(WORKLOADS, "workload.resources");
    assert_eq!(
        failing(&r),
        vec![
            (
                "shop/Deployment/web/sidecar".into(),
                "missing requests.memory; missing limits.memory".into()
            ),
            (
                "jobs/CronJob/report/run".into(),
                "missing requests.cpu; missing requests.memory; missing limits.memory".into()
            ),
        ]
    );
    assert_eq!(
        r.checked, 5,
        "init containers and controller-owned pods are not judged"
    );
}

#[test]
fn continuity_replicas_pdb() {
    let r = check(WORKLOADS, "continuity.replicas-pdb");
    assert_eq!(
        failing(&r),
        vec![(
            "shop/StatefulSet/db".into(),
            "replicas below 2; no PodDisruptionBudget".into()
        )]
    );
    let no_match = WORKLOADS.replace(
        "matchLabels: {app: web}}",
        "matchLabels: {app: web, tier: back}}",
    );
    assert_eq!(
        ids(&check(&no_match, "continuity.replicas-pdb")),
        vec!["shop/Deployment/web", "shop/StatefulSet/db"]
    );
}

#[test]
fn data_no_hostpath() {
    let r = check(WORKLOADS, "data.no-hostpath");
    assert_eq!(
        failing(&r),
        vec![
            ("shop/StatefulSet/db".into(), "hostPath volume data".into()),
            ("jobs/CronJob/report".into(), "hostPath volume logs".into())
        ]
    );
}

#[test]
fn monitoring_probes() {
    let r = check(WORKLOADS, "monitoring.probes");
    assert_eq!(
        failing(&r),
        vec![
            (
                "shop/Deployment/web/sidecar".into(),
                "missing readinessProbe; missing livenessProbe".into()
            ),
            (
                "shop/StatefulSet/db/postgres".into(),
                "missing livenessProbe".into()
            ),
        ]
    );
}

#[test]
fn images_pinned() {
    let r = check(WORKLOADS, "images.pinned");
    assert_eq!(
        ids(&r),
        vec![
            "shop/Deployment/web/migrate",
            "shop/Deployment/web/sidecar",
            "jobs/CronJob/report/run",
            "shop/Pod/debug/shell"
        ]
    );
    assert_eq!(
        r.failures.get(0).unwrap().reason,
        "latest tag shop/migrate:latest"
    );
    assert_eq!(
        r.failures.get(1).unwrap().reason,
        "untagged image registry.example:5000/tools/agent"
    );
}

#[test]
fn access_cluster_admin() {
    let y = ACCESS;
    let r = check(y, "access.cluster-admin");
    assert_eq!(r.checked, 2);
    assert_eq!(
        failing(&r),
        vec![(
            "oops".into(),
            "Group system:authenticated; ServiceAccount shop/default".into()
        )]
    );
    for g in ["system:unauthenticated", "system:serviceaccounts"] {
        let y2 = y.replace("system:masters", g);
        assert_eq!(
            ids(&check(&y2, "access.cluster-admin")),
            vec!["cluster-admin", "oops"]
        );
    }
}

#[test]
fn tls_ingress_cert() {
    let y = ingress("kubernetes.io/tls");
    let r = check_at(&y, "tls.ingress-cert", "2030-01-01T00:00:00Z");
    assert_eq!(
        failing(&r),
        vec![
            (
                "shop/shop/admin.example.com".into(),
                "host-without-tls".into()
            ),
            ("shop/shop/api-tls".into(), "missing-secret".into())
        ]
    );
    assert_eq!(r.checked, 4);
    let reason = |now: &str| {
        let r = check_at(&y, "tls.ingress-cert", now);
        let found = r
            .failures
            .iter()
            .find(|f| f.id == "shop/shop/shop-tls")
            .map(|f| f.reason.to_string());
        found
    };
    assert_eq!(
        reason("2036-11-04T20:16:22Z"),
        None,
        "14 days and a second before notAfter"
    );
    assert_eq!(reason("2036-11-10T00:00:00Z").as_deref(), Some("expiring"));
    assert_eq!(reason("2036-11-18T20:16:23Z").as_deref(), Some("expired"));
    let opaque = check_at(
        &ingress("Opaque"),
        "tls.ingress-cert",
        "2030-01-01T00:00:00Z",
    );
    assert!(failing(&opaque).contains(&("shop/shop/shop-tls".into(), "missing-secret".into())));
    let garbage = y.replacen(CERT, "bm90IGEgY2VydA==", 1);
    let g = check_at(&garbage, "tls.ingress-cert", "2030-01-01T00:00:00Z");
    assert!(failing(&g).contains(&("shop/shop/shop-tls".into(), "invalid-certificate".into())));
}

#[test]
fn version_supported() {
    let y = r#"
kind: Node
apiVersion: v1
metadata: {name: node-a}
status: {nodeInfo: {kubeletVersion: v1.32.4}}
---
kind: Node
apiVersion: v1
metadata: {name: node-b}
status: {nodeInfo: {kubeletVersion: v1.31.9}}
"#;
    let mut inv = Inventory::default();
    inv.add_text("n.yaml", y).unwrap();
    let inv = Arc::new(inv);
    let checks = catalog::builtin().unwrap();
    let at = |latest: &str| {
        let opts = RunOptions {
            k8s_latest: latest.into(),
            threads: 1,
            ..RunOptions::default()
        };
        run(&inv, &checks, &opts)
            .into_iter()
            .find(|r| r.id == "version.supported")
            .unwrap()
    };
    assert_eq!(ids(&at("1.34")), vec!["node-b"]);
    assert_eq!(
        at("1.34").failures.get(0).unwrap().reason,
        "kubelet v1.31.9 older than 1.32"
    );
    assert_eq!(at("1.33").status, CheckStatus::Pass);
    assert_eq!(ids(&at("1.35")), vec!["node-a", "node-b"]);
}

#[test]
fn provider_promises() {
    let none = audit_at(
        "kind: Node\napiVersion: v1\nmetadata: {name: n}\n",
        "2025-01-01T00:00:00Z",
    );
    for id in [
        "provider.volume-snapshot-class",
        "provider.ingress-class",
        "provider.autoscaling-api",
        "provider.default-storage-class",
    ] {
        let r = none.iter().find(|r| r.id == id).unwrap();
        assert_eq!(
            (r.status, ids(r)),
            (CheckStatus::Fail, vec!["cluster"]),
            "{id}"
        );
    }
    let y = PROVIDERS;
    let all = audit_at(y, "2025-01-01T00:00:00Z");
    for id in [
        "provider.volume-snapshot-class",
        "provider.ingress-class",
        "provider.autoscaling-api",
        "provider.default-storage-class",
    ] {
        assert_eq!(
            all.iter().find(|r| r.id == id).unwrap().status,
            CheckStatus::Pass,
            "{id}"
        );
    }
}

#[test]
fn failures_point_at_file_and_line() {
    let r = check(WORKLOADS, "data.no-hostpath");
    assert_eq!(
        (
            r.failures.get(0).unwrap().file,
            r.failures.get(0).unwrap().line
        ),
        (Some("fixture.yaml"), Some(22))
    );
}

#[test]
fn nothing_to_judge_is_not_applicable() {
    let r = check(
        "kind: Node\napiVersion: v1\nmetadata: {name: n}\n",
        "backup.pvc-covered",
    );
    assert_eq!((r.status, r.checked), (CheckStatus::NotApplicable, 0));
}

/// Every reason a built-in check gives on the fixtures starts with one it declares in its
/// `reasons` (what models' `audit` links name), and every declared reason is given by some
/// fixture: a link cannot name a reason that never comes, nor miss one that does.
#[test]
fn every_reason_given_is_declared_and_every_declared_reason_is_given() {
    let checks = catalog::builtin().unwrap();
    let mut given: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (yaml, now) in fixtures::fixtures() {
        for r in audit_at(&yaml, now) {
            for f in r.failures.iter() {
                for part in f.reason.split("; ") {
                    given
                        .entry(r.id.clone())
                        .or_default()
                        .push(part.to_string());
                }
            }
        }
    }
    for c in &checks {
        assert!(!c.reasons.is_empty(), "{} declares no reasons", c.id);
        for g in given.get(&c.id).into_iter().flatten() {
            assert!(
                c.reasons.iter().any(|d| g.starts_with(d.as_str())),
                "{}: reason `{g}` is not declared in {:?}",
                c.id,
                c.reasons
            );
        }
        for d in &c.reasons {
            if d == "unknown kubelet version" || d == "untagged image" || d == "Group" {
                // Given by fixtures of their own below.
                continue;
            }
            assert!(
                given
                    .get(&c.id)
                    .is_some_and(|g| g.iter().any(|x| x.starts_with(d.as_str()))),
                "{}: no fixture gives `{d}`",
                c.id
            );
        }
    }
    let r = check(
        "kind: Node\napiVersion: v1\nmetadata: {name: n}\n",
        "version.supported",
    );
    assert_eq!(failing(&r)[0].1, "unknown kubelet version");
    let r = check(
        "kind: Pod\napiVersion: v1\nmetadata: {name: p, namespace: x}\nspec: {containers: [{name: c, image: nginx}]}\n",
        "images.pinned",
    );
    assert!(failing(&r)[0].1.starts_with("untagged image"));
    let r = check(
        &ACCESS.replace("system:masters", "system:authenticated"),
        "access.cluster-admin",
    );
    assert!(failing(&r)
        .iter()
        .any(|(_, reason)| reason.starts_with("Group ")));
}

/// A failing item carries what ownership needs of its object: kind, namespace and the
/// recorded labels, and a namespace item its namespace.
#[test]
fn failing_items_carry_their_objects_facts() {
    let yaml = "kind: DaemonSet\napiVersion: apps/v1\nmetadata: {name: proxy, namespace: kube-system, labels: {addonmanager.kubernetes.io/mode: Reconcile, app: x}}\nspec: {template: {spec: {containers: [{name: p, image: 'k:1'}], volumes: [{name: m, hostPath: {path: /lib}}]}}}\n";
    let r = check(yaml, "data.no-hostpath");
    let f = r.failures.get(0).unwrap();
    let facts = f.facts.unwrap();
    assert_eq!(facts.kind, Some("DaemonSet"));
    assert_eq!(facts.namespace, Some("kube-system"));
    assert_eq!(
        facts.labels(),
        [(
            "addonmanager.kubernetes.io/mode".to_string(),
            "Reconcile".to_string()
        )],
        "only the recorded keys"
    );
    let r = check(NETWORK, "network.default-deny");
    assert_eq!(r.failures.get(0).unwrap().namespace(), Some("jobs"));
}
