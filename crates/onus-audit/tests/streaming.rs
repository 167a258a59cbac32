//! An audit streamed from a file (per-object checks judged as objects are read, objects kept
//! for cross-object checks projected to what `cel::reads` says they read) gives exactly the
//! results of the same objects audited whole in memory: for every built-in check, on every
//! fixture (those of `tests/checks.rs` and their variants), chunked as the reader chunks and
//! on two threads. This is what makes the projection safe: a field the analysis missed would
//! change a result here.

use onus_audit::{audit_paths, catalog, run, RunOptions};
use onus_inventory::Inventory;

/// A self-signed certificate for shop.example.com, valid until 2036-11-18T20:16:23Z (public part only).
const CERT: &str = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJ2ekNDQVdhZ0F3SUJBZ0lVZXVIY0d1VERFempDNUhYVmdvaFpWSlZCU0Jnd0NnWUlLb1pJemowRUF3SXcKR3pFWk1CY0dBMVVFQXd3UWMyaHZjQzVsZUdGdGNHeGxMbU52YlRBZUZ3MHlOakV4TWpFeU1ERTJNak5hRncwegpOakV4TVRneU1ERTJNak5hTUJzeEdUQVhCZ05WQkFNTUVITm9iM0F1WlhoaGJYQnNaUzVqYjIwd1dUQVRCZ2NxCmhrak9QUUlCQmdncWhrak9QUU1CQndOQ0FBUjN3a3d6QVVTVk15WHR0eFg5enRjVFVNbXN0UjZCVzFELzdHNW8KZmRRYWJBQXhoSzRWQ3lURW4raGNBRW82d1B4WkFhNzcvR3U2QWUrdm9kVndHclQ2bzRHSE1JR0VNQjBHQTFVZApEZ1FXQkJRMjhoZEtFdDZsUXlXRkJDd1RmOGFBMDNoZUtEQWZCZ05WSFNNRUdEQVdnQlEyOGhkS0V0NmxReVdGCkJDd1RmOGFBMDNoZUtEQVBCZ05WSFJNQkFmOEVCVEFEQVFIL01ERUdBMVVkRVFRcU1DaUNFSE5vYjNBdVpYaGgKYlhCc1pTNWpiMjJDRkhkM2R5NXphRzl3TG1WNFlXMXdiR1V1WTI5dE1Bb0dDQ3FHU000OUJBTUNBMGNBTUVRQwpJQWZKeGxRakQxSGZLTG5UTy9xVURab0NYdGI5UGxMc205S0pITktVVWRJYUFpQWdhQ00ycTJLbS9aclpqd2Y2CmJLRldiUUd0RlVIMWtHcDc5Vm5iUk5VQkhRPT0KLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=";

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

const WORKLOADS: &str = r#"
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

/// Every fixture above with its variants, and the instants the tests judge them at.
fn fixtures() -> Vec<(String, &'static str)> {
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

#[test]
fn streamed_audit_equals_whole_audit() {
    let checks = catalog::builtin().unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (n, (yaml, now)) in fixtures().into_iter().enumerate() {
        let file = dir.path().join(format!("f{n}.yaml"));
        std::fs::write(&file, &yaml).unwrap();
        let opts = RunOptions {
            now: chrono::DateTime::parse_from_rfc3339(now).unwrap(),
            threads: 2,
            ..RunOptions::default()
        };
        let mut inv = Inventory::default();
        inv.add_text(&file.display().to_string(), &yaml).unwrap();
        let whole = run(&inv, &checks, &opts);
        let (streamed, _) = audit_paths(&[file], &checks, &opts).unwrap();
        assert_eq!(whole.len(), streamed.len());
        for (w, s) in whole.iter().zip(&streamed) {
            assert_eq!(
                (w.status, w.checked, &w.failures, &w.errors),
                (s.status, s.checked, &s.failures, &s.errors),
                "{} on fixture {n}",
                w.id
            );
        }
    }
}
