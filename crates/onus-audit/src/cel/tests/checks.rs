//! The built-in checks (`checks/*.yaml`) evaluated by a miniature engine that mirrors
//! today's `eval::judge_object`, on the fixtures of `tests/checks.rs`, with the results those
//! tests expect.

use onus_inventory::doc::Doc;
use onus_inventory::Inventory;

use super::{at, Index, CERT, W};
use crate::catalog::{self, Check, Scope};
use crate::cel::{funcs, parse_version, reads, Env, Params, Program, Val};

#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub checked: usize,
    pub failures: Vec<(String, String)>,
    pub errors: Vec<(String, String)>,
}

pub(crate) fn check(id: &str) -> Check {
    catalog::builtin()
        .unwrap()
        .into_iter()
        .find(|c| c.id == id)
        .unwrap()
}

/// Runs one check as the engine does: `when`, then `items` (or the object itself), then
/// `item_id` and `rule` per item. Only the check's declared kinds are kept in the world.
pub(crate) fn audit(c: &Check, yaml: &str, now: &str, latest: &str) -> Outcome {
    let mut inv = Inventory::default();
    inv.add_text("fixture.yaml", yaml).unwrap();
    audit_inventory(c, &inv, now, latest)
}

pub(crate) fn audit_inventory(c: &Check, inv: &Inventory, now: &str, latest: &str) -> Outcome {
    audit_as(c, &Compiled::of(c), inv, now, latest, false)
}

/// A check's expressions, compiled.
pub(crate) struct Compiled {
    when: Option<Program>,
    items: Option<Program>,
    item_id: Option<Program>,
    rule: Program,
}

impl Compiled {
    pub(crate) fn of(c: &Check) -> Compiled {
        let prog = |s: &Option<String>| s.as_deref().map(|s| Program::compile(s).unwrap());
        Compiled {
            when: prog(&c.when),
            items: prog(&c.items),
            item_id: prog(&c.item_id),
            rule: Program::compile(&c.rule).unwrap(),
        }
    }
}

/// With `project`, objects are first cut down to what [`reads`] says the check reads: the
/// world's objects to their kind's need, judged objects to the object's need.
pub(crate) fn audit_as(
    c: &Check,
    p: &Compiled,
    inv: &Inventory,
    now: &str,
    latest: &str,
    project: bool,
) -> Outcome {
    let (when, items, item_id, rule) = (&p.when, &p.items, &p.item_id, &p.rule);
    let docs: Vec<Doc> = inv.objects().map(|o| Doc::copy_of(o.doc)).collect();
    let docs_whole = docs.clone();
    let (world_docs, judged_docs) = if project {
        let r = reads(when.as_ref(), items.as_ref(), item_id.as_ref(), rule);
        assert!(!r.dynamic_kinds, "{}", c.id);
        let base = reads(None, None, None, &Program::compile("true").unwrap()).object;
        let world = docs
            .iter()
            .zip(inv.objects())
            .map(|(d, o)| Doc::project(d.root(), r.kinds.get(o.kind).unwrap_or(&base)))
            .collect();
        let judged = docs
            .iter()
            .map(|d| Doc::project(d.root(), &r.object))
            .collect();
        (world, judged)
    } else {
        (docs.clone(), docs)
    };
    let mut ix = Index::with_ids(&world_docs, &docs_whole);
    ix.kept = Some(c.kinds.iter().cloned().collect());
    let world = W(&ix);
    let (major, minor) = parse_version(latest).unwrap();
    let params = Params {
        k8s_latest: latest.into(),
        k8s_latest_major: major,
        k8s_latest_minor: minor,
    };
    let now = at(now);
    let objects: Vec<Option<(usize, Val<'_>)>> = match c.scope {
        Scope::Cluster => vec![None],
        Scope::Object => c
            .subjects
            .iter()
            .flat_map(|k| inv.indices_of_kind(k).iter())
            .map(|&i| Some((i as usize, Val::node(judged_docs[i as usize].root()))))
            .collect(),
    };
    let mut out = Outcome::default();
    for object in objects {
        let obj = object.as_ref().map_or(Val::Null, |(_, o)| o.clone());
        // The engine names objects from the inventory, not from their (projected) documents.
        let default_id = match &object {
            None => c.id.clone(),
            Some((i, _)) => funcs::object_ref(&Val::node(docs_whole[*i].root())).to_string(),
        };
        let env = Env {
            object: obj.clone(),
            item: Val::Null,
            now,
            params: &params,
            world: &world,
        };
        if let Some(w) = &when {
            match w.eval(&env) {
                Ok(Val::Bool(true)) => {}
                Ok(Val::Bool(false)) => continue,
                Ok(other) => {
                    out.errors
                        .push((default_id, format!("`when` returned {other}")));
                    continue;
                }
                Err(e) => {
                    out.errors.push((default_id, format!("`when`: {e}")));
                    continue;
                }
            }
        }
        let items: Vec<Option<Val<'_>>> = match &items {
            None => vec![None],
            Some(p) => match p.eval(&env) {
                Ok(v) if v.is_list() => v.list_items().unwrap().into_iter().map(Some).collect(),
                Ok(Val::Null) => Vec::new(),
                Ok(other) => {
                    out.errors
                        .push((default_id, format!("`items` returned {other}")));
                    continue;
                }
                Err(e) => {
                    out.errors.push((default_id, format!("`items`: {e}")));
                    continue;
                }
            },
        };
        for item in items {
            let env = Env {
                object: obj.clone(),
                item: item.clone().unwrap_or(obj.clone()),
                now,
                params: &params,
                world: &world,
            };
            let id = match &item_id {
                None => match &item {
                    Some(Val::Str(s)) if c.scope == Scope::Cluster => s.to_string(),
                    _ => default_id.clone(),
                },
                Some(p) => match p.eval(&env) {
                    Ok(Val::Str(s)) => s.to_string(),
                    Ok(other) => other.to_string(),
                    Err(e) => {
                        out.errors
                            .push((default_id.clone(), format!("`item_id`: {e}")));
                        continue;
                    }
                },
            };
            out.checked += 1;
            match rule.eval(&env) {
                Ok(Val::Bool(true)) => {}
                Ok(Val::Bool(false)) => out.failures.push((id, c.reason.clone())),
                Ok(Val::Str(s)) if s.is_empty() => {}
                Ok(Val::Str(s)) => out.failures.push((id, s.to_string())),
                Ok(l) if l.is_list() => {
                    let reasons: Vec<String> = l
                        .list_items()
                        .unwrap()
                        .iter()
                        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                        .collect();
                    if !reasons.is_empty() {
                        out.failures.push((id, reasons.join("; ")));
                    }
                }
                Ok(other) => out.errors.push((id, format!("`rule` returned {other}"))),
                Err(e) => out.errors.push((id, format!("`rule`: {e}"))),
            }
        }
    }
    out
}

fn run(id: &str, yaml: &str) -> Outcome {
    run_at(id, yaml, "2025-06-01T12:00:00Z")
}

fn run_at(id: &str, yaml: &str, now: &str) -> Outcome {
    let out = audit(&check(id), yaml, now, "1.34");
    assert!(out.errors.is_empty(), "{id}: {:?}", out.errors);
    out
}

fn ids(o: &Outcome) -> Vec<&str> {
    o.failures.iter().map(|(id, _)| id.as_str()).collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn every_builtin_check_compiles() {
    for c in catalog::builtin().unwrap() {
        for src in [&c.when, &c.items, &c.item_id].into_iter().flatten() {
            Program::compile(src).unwrap_or_else(|e| panic!("{}: {e}", c.id));
        }
        Program::compile(&c.rule).unwrap_or_else(|e| panic!("{}: {e}", c.id));
    }
}

const NETWORK: &str = r#"
kind: Deployment
apiVersion: apps/v1
metadata: {name: web, namespace: shop}
---
kind: CronJob
apiVersion: batch/v1
metadata: {name: report, namespace: jobs}
---
kind: Pod
apiVersion: v1
metadata: {name: dns, namespace: kube-system}
---
kind: Service
apiVersion: v1
metadata: {name: svc, namespace: only-services}
---
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata: {name: deny, namespace: shop}
spec: {podSelector: {}}
---
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata: {name: egress-only, namespace: jobs}
spec: {podSelector: {}, policyTypes: [Egress]}
---
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata: {name: partial, namespace: jobs}
spec: {podSelector: {matchLabels: {app: x}}, policyTypes: [Ingress]}
"#;

#[test]
fn network_default_deny() {
    let y = NETWORK;
    let r = run("network.default-deny", y);
    assert_eq!(r.checked, 2);
    assert_eq!(r.failures, pairs(&[("jobs", "no-default-deny-ingress")]));
    let ok = y.replace("policyTypes: [Egress]", "policyTypes: [Egress, Ingress]");
    assert_eq!(run("network.default-deny", &ok).failures, vec![]);
}

const SCHEDULE: &str = r#"
kind: Schedule
apiVersion: velero.io/v1
metadata: {name: daily, namespace: velero}
spec:
  schedule: "0 2 * * *"
  template:
    includedNamespaces: [shop]
    excludedNamespaces: [scratch]
"#;

const PVCS: &str = r#"
---
kind: PersistentVolumeClaim
apiVersion: v1
metadata: {name: data, namespace: shop}
---
kind: PersistentVolumeClaim
apiVersion: v1
metadata: {name: cache, namespace: other}
"#;

#[test]
fn backup_pvc_covered() {
    let pvcs = PVCS;
    let id = "backup.pvc-covered";
    let r = run(id, &format!("{SCHEDULE}{pvcs}"));
    assert_eq!(
        r.failures,
        pairs(&[("other/cache", "no-schedule-covers-namespace")])
    );
    let star = SCHEDULE.replace("includedNamespaces: [shop]", "includedNamespaces: ['*']");
    assert_eq!(run(id, &format!("{star}{pvcs}")).failures, vec![]);
    let absent = SCHEDULE.replace("includedNamespaces: [shop]", "includedNamespaces: []");
    assert_eq!(run(id, &format!("{absent}{pvcs}")).failures, vec![]);
    let excluded = absent.replace(
        "excludedNamespaces: [scratch]",
        "excludedNamespaces: [other]",
    );
    assert_eq!(
        ids(&run(id, &format!("{excluded}{pvcs}"))),
        vec!["other/cache"]
    );
    assert_eq!(ids(&run(id, pvcs)), vec!["shop/data", "other/cache"]);
    let r = run(id, "kind: Node\napiVersion: v1\nmetadata: {name: n}\n");
    assert_eq!(r.checked, 0);
}

const BACKUPS: &str = r#"
---
kind: Backup
apiVersion: velero.io/v1
metadata: {name: daily-1, namespace: velero, labels: {velero.io/schedule-name: daily}}
status: {phase: Completed, completionTimestamp: "2025-06-01T02:10:00Z"}
---
kind: Backup
apiVersion: velero.io/v1
metadata: {name: daily-2, namespace: velero, labels: {velero.io/schedule-name: daily}}
status: {phase: PartiallyFailed, completionTimestamp: "2025-06-02T02:10:00Z"}
"#;

#[test]
fn backup_recent() {
    let backups = BACKUPS;
    let y = format!("{SCHEDULE}{backups}");
    let id = "backup.recent";
    assert_eq!(run_at(id, &y, "2025-06-01T12:00:00Z").failures, vec![]);
    assert_eq!(
        run_at(id, &y, "2025-06-02T04:10:00Z").failures,
        vec![],
        "26 h exactly"
    );
    assert_eq!(
        run_at(id, &y, "2025-06-02T12:00:00Z").failures,
        pairs(&[("velero/daily", "no-completed-backup-in-26h")])
    );
    assert_eq!(
        ids(&run_at(id, &y, "2025-06-01T01:00:00Z")),
        vec!["velero/daily"]
    );
    let other = y.replace(
        "velero.io/schedule-name: daily}",
        "velero.io/schedule-name: weekly}",
    );
    assert_eq!(
        ids(&run_at(id, &other, "2025-06-01T12:00:00Z")),
        vec!["velero/daily"]
    );
    let not_velero = y.replace(
        "apiVersion: velero.io/v1\nmetadata: {name: daily,",
        "apiVersion: other/v1\nmetadata: {name: daily,",
    );
    assert_eq!(run_at(id, &not_velero, "2025-06-02T12:00:00Z").checked, 0);
}

pub(crate) const WORKLOADS: &str = r#"
kind: Deployment
apiVersion: apps/v1
metadata: {name: web, namespace: shop}
spec:
  replicas: 3
  template:
    metadata: {labels: {app: web, tier: front}}
    spec:
      initContainers:
      - {name: migrate, image: "shop/migrate:latest"}
      containers:
      - name: nginx
        image: nginx:1.27.3
        resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {memory: 128Mi}}
        readinessProbe: {httpGet: {path: /, port: 80}}
        livenessProbe: {httpGet: {path: /, port: 80}}
      - name: sidecar
        image: "registry.example:5000/tools/agent"
        resources: {requests: {cpu: 1}}
---
kind: StatefulSet
apiVersion: apps/v1
metadata: {name: db, namespace: shop}
spec:
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
      - name: postgres
        image: "postgres@sha256:0123"
        resources: {requests: {cpu: 1, memory: 1Gi}, limits: {memory: 1Gi}}
        readinessProbe: {exec: {command: [pg_isready]}}
      volumes:
      - {name: data, hostPath: {path: /srv/db}}
---
kind: CronJob
apiVersion: batch/v1
metadata: {name: report, namespace: jobs}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - {name: run, image: "busybox:latest"}
          volumes:
          - {name: logs, hostPath: {path: /var/log}}
          - {name: tmp, emptyDir: {}}
---
kind: Pod
apiVersion: v1
metadata: {name: debug, namespace: shop}
spec:
  containers:
  - {name: shell, image: alpine, resources: {requests: {cpu: 10m, memory: 8Mi}, limits: {memory: 8Mi}}}
---
kind: Pod
apiVersion: v1
metadata: {name: web-abc, namespace: shop, ownerReferences: [{kind: ReplicaSet, name: web-1}]}
spec:
  containers:
  - {name: nginx, image: "nginx:latest"}
  volumes:
  - {name: h, hostPath: {path: /}}
---
kind: PodDisruptionBudget
apiVersion: policy/v1
metadata: {name: web, namespace: shop}
spec: {minAvailable: 1, selector: {matchLabels: {app: web}}}
"#;

#[test]
fn workload_resources() {
    let r = run("workload.resources", WORKLOADS);
    assert_eq!(
        r.failures,
        pairs(&[
            (
                "shop/Deployment/web/sidecar",
                "missing requests.memory; missing limits.memory"
            ),
            (
                "jobs/CronJob/report/run",
                "missing requests.cpu; missing requests.memory; missing limits.memory"
            ),
        ])
    );
    assert_eq!(r.checked, 5);
}

#[test]
fn continuity_replicas_pdb() {
    let id = "continuity.replicas-pdb";
    let r = run(id, WORKLOADS);
    assert_eq!(
        r.failures,
        pairs(&[(
            "shop/StatefulSet/db",
            "replicas below 2; no PodDisruptionBudget"
        )])
    );
    let no_match = WORKLOADS.replace(
        "matchLabels: {app: web}}",
        "matchLabels: {app: web, tier: back}}",
    );
    assert_eq!(
        ids(&run(id, &no_match)),
        vec!["shop/Deployment/web", "shop/StatefulSet/db"]
    );
    let one = WORKLOADS.replace("replicas: 3", "replicas: 1");
    assert_eq!(
        run(id, &one).failures[0],
        (
            "shop/Deployment/web".to_string(),
            "replicas below 2".to_string()
        )
    );
    let no_selector = WORKLOADS.replace("selector: {matchLabels: {app: web}}", "selector: {}");
    assert_eq!(
        ids(&run(id, &no_selector)),
        vec!["shop/Deployment/web", "shop/StatefulSet/db"]
    );
}

#[test]
fn data_no_hostpath() {
    let r = run("data.no-hostpath", WORKLOADS);
    assert_eq!(
        r.failures,
        pairs(&[
            ("shop/StatefulSet/db", "hostPath volume data"),
            ("jobs/CronJob/report", "hostPath volume logs")
        ])
    );
}

#[test]
fn monitoring_probes() {
    let r = run("monitoring.probes", WORKLOADS);
    assert_eq!(
        r.failures,
        pairs(&[
            (
                "shop/Deployment/web/sidecar",
                "missing readinessProbe; missing livenessProbe"
            ),
            ("shop/StatefulSet/db/postgres", "missing livenessProbe"),
        ])
    );
}

#[test]
fn images_pinned() {
    let r = run("images.pinned", WORKLOADS);
    assert_eq!(
        ids(&r),
        vec![
            "shop/Deployment/web/migrate",
            "shop/Deployment/web/sidecar",
            "jobs/CronJob/report/run",
            "shop/Pod/debug/shell"
        ]
    );
    assert_eq!(r.failures[0].1, "latest tag shop/migrate:latest");
    assert_eq!(
        r.failures[1].1,
        "untagged image registry.example:5000/tools/agent"
    );
    assert_eq!(r.checked, 6);
}

const ACCESS: &str = r#"
kind: ClusterRoleBinding
apiVersion: rbac.authorization.k8s.io/v1
metadata: {name: cluster-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: Group, name: "system:masters"}]
---
kind: ClusterRoleBinding
apiVersion: rbac.authorization.k8s.io/v1
metadata: {name: oops}
roleRef: {kind: ClusterRole, name: cluster-admin}
subjects:
- {kind: Group, name: "system:authenticated"}
- {kind: ServiceAccount, name: default, namespace: shop}
- {kind: ServiceAccount, name: deployer, namespace: ci}
---
kind: ClusterRoleBinding
apiVersion: rbac.authorization.k8s.io/v1
metadata: {name: view-all}
roleRef: {kind: ClusterRole, name: view}
subjects: [{kind: Group, name: "system:authenticated"}]
"#;

#[test]
fn access_cluster_admin() {
    let y = ACCESS;
    let id = "access.cluster-admin";
    let r = run(id, y);
    assert_eq!(r.checked, 2);
    assert_eq!(
        r.failures,
        pairs(&[(
            "oops",
            "Group system:authenticated; ServiceAccount shop/default"
        )])
    );
    for g in ["system:unauthenticated", "system:serviceaccounts"] {
        assert_eq!(
            ids(&run(id, &y.replace("system:masters", g))),
            vec!["cluster-admin", "oops"]
        );
    }
}

fn ingress(secret_type: &str) -> String {
    format!(
        r#"
kind: Ingress
apiVersion: networking.k8s.io/v1
metadata: {{name: shop, namespace: shop}}
spec:
  tls:
  - {{hosts: [shop.example.com], secretName: shop-tls}}
  - {{hosts: [api.example.com], secretName: api-tls}}
  rules:
  - host: shop.example.com
  - host: admin.example.com
  - http: {{}}
---
kind: Secret
apiVersion: v1
metadata: {{name: shop-tls, namespace: shop}}
type: {secret_type}
data:
  tls.crt: {CERT}
---
kind: Secret
apiVersion: v1
metadata: {{name: api-tls, namespace: other}}
type: kubernetes.io/tls
data:
  tls.crt: {CERT}
"#
    )
}

#[test]
fn tls_ingress_cert() {
    let id = "tls.ingress-cert";
    let y = ingress("kubernetes.io/tls");
    let r = run_at(id, &y, "2030-01-01T00:00:00Z");
    assert_eq!(
        r.failures,
        pairs(&[
            ("shop/shop/admin.example.com", "host-without-tls"),
            ("shop/shop/api-tls", "missing-secret")
        ])
    );
    assert_eq!(r.checked, 4);
    let reason = |now: &str| {
        run_at(id, &y, now)
            .failures
            .into_iter()
            .find(|f| f.0 == "shop/shop/shop-tls")
            .map(|f| f.1)
    };
    assert_eq!(reason("2036-11-04T20:16:22Z"), None);
    assert_eq!(reason("2036-11-10T00:00:00Z").as_deref(), Some("expiring"));
    assert_eq!(reason("2036-11-18T20:16:23Z").as_deref(), Some("expired"));
    let opaque = run_at(id, &ingress("Opaque"), "2030-01-01T00:00:00Z");
    assert!(opaque
        .failures
        .contains(&("shop/shop/shop-tls".into(), "missing-secret".into())));
    let garbage = y.replacen(CERT, "bm90IGEgY2VydA==", 1);
    let g = run_at(id, &garbage, "2030-01-01T00:00:00Z");
    assert!(g
        .failures
        .contains(&("shop/shop/shop-tls".into(), "invalid-certificate".into())));
    // The PEM in `stringData` when `data` has none.
    let pem = "-----BEGIN CERTIFICATE-----";
    assert!(!base64_pem().starts_with(pem) || base64_pem().contains("END"));
    let string_data = y.replacen(
        &format!("data:\n  tls.crt: {CERT}"),
        &format!("stringData:\n  tls.crt: |\n{}", indent(&base64_pem())),
        1,
    );
    assert_eq!(
        run_at(id, &string_data, "2030-01-01T00:00:00Z").failures,
        r.failures,
        "the same result from stringData"
    );
}

fn base64_pem() -> String {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(CERT)
        .unwrap();
    String::from_utf8(bytes).unwrap()
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("    {l}\n")).collect()
}

const NODES: &str = r#"
kind: Node
apiVersion: v1
metadata: {name: node-a}
status: {nodeInfo: {kubeletVersion: v1.32.4}}
---
kind: Node
apiVersion: v1
metadata: {name: node-b}
status: {nodeInfo: {kubeletVersion: v1.31.9}}
---
kind: Node
apiVersion: v1
metadata: {name: node-c}
status: {nodeInfo: {}}
"#;

#[test]
fn version_supported() {
    let y = NODES;
    let at = |latest: &str| {
        audit(
            &check("version.supported"),
            y,
            "2025-01-01T00:00:00Z",
            latest,
        )
    };
    assert_eq!(
        at("1.34").failures,
        pairs(&[
            ("node-b", "kubelet v1.31.9 older than 1.32"),
            ("node-c", "unknown kubelet version")
        ])
    );
    assert_eq!(ids(&at("1.33")), vec!["node-c"]);
    assert_eq!(ids(&at("1.35")), vec!["node-a", "node-b", "node-c"]);
}

const PROVIDERS: &str = r#"
kind: VolumeSnapshotClass
apiVersion: snapshot.storage.k8s.io/v1
metadata: {name: csi-snap}
driver: cinder.csi.openstack.org
deletionPolicy: Delete
---
kind: IngressClass
apiVersion: networking.k8s.io/v1
metadata: {name: nginx}
---
kind: APIService
apiVersion: apiregistration.k8s.io/v1
metadata: {name: v2.autoscaling}
status: {conditions: [{type: Available, status: "True"}]}
---
kind: StorageClass
apiVersion: storage.k8s.io/v1
metadata: {name: csi-cinder-high-speed, annotations: {storageclass.kubernetes.io/is-default-class: "true"}}
"#;

#[test]
fn provider_promises() {
    let checks = [
        "provider.volume-snapshot-class",
        "provider.ingress-class",
        "provider.autoscaling-api",
        "provider.default-storage-class",
    ];
    for id in checks {
        let r = run(id, "kind: Node\napiVersion: v1\nmetadata: {name: n}\n");
        assert_eq!((r.checked, ids(&r)), (1, vec!["cluster"]), "{id}");
    }
    let y = PROVIDERS;
    for id in checks {
        assert_eq!(run(id, y).failures, vec![], "{id}");
    }
    let down = y.replace("status: \"True\"", "status: \"False\"");
    assert_eq!(
        run("provider.autoscaling-api", &down).failures,
        pairs(&[("cluster", "no served autoscaling API in the export")])
    );
    let hpa = format!("{down}---\nkind: HorizontalPodAutoscaler\napiVersion: autoscaling/v2\nmetadata: {{name: h, namespace: n}}\n");
    assert_eq!(run("provider.autoscaling-api", &hpa).failures, vec![]);
}

/// Every fixture above with its variants, and the instants the tests judge them at.
pub(crate) fn fixtures() -> Vec<(String, &'static str)> {
    let t = "2025-06-01T12:00:00Z";
    let mut out: Vec<(String, &'static str)> = vec![
        (NETWORK.into(), t),
        (
            NETWORK.replace("policyTypes: [Egress]", "policyTypes: [Egress, Ingress]"),
            t,
        ),
        (format!("{SCHEDULE}{PVCS}"), t),
        (
            format!(
                "{}{PVCS}",
                SCHEDULE.replace("includedNamespaces: [shop]", "includedNamespaces: ['*']")
            ),
            t,
        ),
        (
            format!(
                "{}{PVCS}",
                SCHEDULE
                    .replace("includedNamespaces: [shop]", "includedNamespaces: []")
                    .replace("[scratch]", "[other]")
            ),
            t,
        ),
        (PVCS.into(), t),
        (WORKLOADS.into(), t),
        (
            WORKLOADS.replace(
                "matchLabels: {app: web}}",
                "matchLabels: {app: web, tier: back}}",
            ),
            t,
        ),
        (
            WORKLOADS.replace("selector: {matchLabels: {app: web}}", "selector: {}"),
            t,
        ),
        (ACCESS.into(), t),
        (
            ACCESS.replace("system:masters", "system:serviceaccounts"),
            t,
        ),
        (NODES.into(), t),
        (
            "kind: Node\napiVersion: v1\nmetadata: {name: n}\n".into(),
            t,
        ),
        (PROVIDERS.into(), t),
        (
            PROVIDERS.replace("status: \"True\"", "status: \"False\""),
            t,
        ),
    ];
    for now in [
        "2025-06-01T01:00:00Z",
        "2025-06-01T12:00:00Z",
        "2025-06-02T04:10:00Z",
        "2025-06-02T12:00:00Z",
    ] {
        out.push((format!("{SCHEDULE}{BACKUPS}"), now));
        out.push((
            format!(
                "{SCHEDULE}{}",
                BACKUPS.replace("schedule-name: daily}", "schedule-name: weekly}")
            ),
            now,
        ));
    }
    for now in [
        "2030-01-01T00:00:00Z",
        "2036-11-04T20:16:22Z",
        "2036-11-10T00:00:00Z",
        "2036-11-18T20:16:23Z",
    ] {
        out.push((ingress("kubernetes.io/tls"), now));
        out.push((ingress("Opaque"), now));
        out.push((
            ingress("kubernetes.io/tls").replacen(CERT, "bm90IGEgY2VydA==", 1),
            now,
        ));
    }
    out
}
