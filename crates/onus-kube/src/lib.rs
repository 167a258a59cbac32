//! Live Kubernetes clusters as evidence for `onus audit`, and `onus snapshot`.
//!
//! [`Cluster::connect`] follows kubectl's rules through kube-rs: an explicit kubeconfig file,
//! else `KUBECONFIG` or `~/.kube/config`, else the in-cluster service account; `--context`
//! picks a context. [`Cluster::fetch`] discovers the API groups the server serves (`/api`,
//! `/apis` and each group version's resource list), lists every object of the kinds asked for
//! (as dynamic objects, so that an object is what `kubectl get -o yaml` prints) and
//! [`redact`]s it. The resulting [`Snapshot`] becomes an [`onus_inventory::Inventory`] through
//! `Inventory::add_value` — the same inventory an export file gives — or one YAML file
//! ([`Snapshot::to_yaml`]) that `onus audit FILE` reads back.
//!
//! Invariants:
//! - Secret values never leave this crate: every object goes through [`redact`] before it is
//!   stored, which drops `data` and `stringData` of every Secret except the public certificate
//!   (`tls.crt`) of `kubernetes.io/tls` Secrets, and `managedFields` and the
//!   `kubectl.kubernetes.io/last-applied-configuration` annotation of every object. Secrets are
//!   also listed with the field selector `type=kubernetes.io/tls`.
//! - Kinds the server does not serve (no Velero, no snapshot CRDs) are simply absent, as they
//!   would be from an export; they are named in [`Snapshot::not_served`].
//! - The API is synchronous: a current-thread tokio runtime lives inside [`Cluster`].

use std::path::PathBuf;

use kube::api::{Api, DynamicObject, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::discovery::ApiResource;
use serde_json::{Map, Value};

/// How to reach the cluster, as kubectl's `--kubeconfig` and `--context`.
#[derive(Debug, Clone, Default)]
pub struct ClusterOptions {
    /// A kubeconfig file; default: `KUBECONFIG`, `~/.kube/config`, then in-cluster.
    pub kubeconfig: Option<PathBuf>,
    /// A context of the kubeconfig; default: its `current-context`.
    pub context: Option<String>,
}

/// Why the cluster could not be read.
#[derive(Debug, thiserror::Error)]
pub enum KubeError {
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error("cannot read kubeconfig `{path}`: {message}")]
    Kubeconfig { path: PathBuf, message: String },
    #[error("context `{context}` is not in the kubeconfig (contexts: {})", known.join(", "))]
    NoContext { context: String, known: Vec<String> },
    #[error("no usable cluster configuration: {0}")]
    Config(String),
    #[error("no cluster configuration: KUBECONFIG is not set, `{}` does not exist, and this is not a pod (no KUBERNETES_SERVICE_HOST)", default.display())]
    NoConfig { default: PathBuf },
    #[error("cannot reach the API server at {server}: {message}")]
    Unreachable { server: String, message: String },
    #[error("the API server at {server} refused `{what}`: {message}")]
    Api {
        server: String,
        what: String,
        message: String,
    },
}

/// A connection to a cluster's API server.
pub struct Cluster {
    rt: tokio::runtime::Runtime,
    client: kube::Client,
    context: String,
    server: String,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("context", &self.context)
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

/// One kind listed from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub kind: String,
    /// `apps/v1`, `v1`, `velero.io/v1`.
    pub api_version: String,
    pub count: usize,
}

/// The relevant objects of a live cluster, redacted.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The kubeconfig context (`in-cluster` for a service account).
    pub context: String,
    /// The API server's URL.
    pub server: String,
    /// When the lists were read (RFC 3339, UTC).
    pub time: String,
    /// The kinds listed, in order, with their group version and number of objects.
    pub listed: Vec<Listed>,
    /// Kinds asked for that no served API group provides.
    pub not_served: Vec<String>,
    /// What could not be read but did not stop the snapshot (a group version whose discovery
    /// failed, a kind the credentials may not list).
    pub warnings: Vec<String>,
    /// The objects, each with `apiVersion` and `kind`, redacted, grouped by [`Snapshot::listed`].
    pub items: Vec<Value>,
}

/// The kinds listed when no check catalog says otherwise: what the built-in checks read, plus
/// Namespaces.
pub const DEFAULT_KINDS: &[&str] = &[
    "Namespace",
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "PersistentVolumeClaim",
    "NetworkPolicy",
    "PodDisruptionBudget",
    "Ingress",
    "IngressClass",
    "Secret",
    "Node",
    "ClusterRoleBinding",
    "StorageClass",
    "VolumeSnapshotClass",
    "Schedule",
    "Backup",
    "APIService",
    "HorizontalPodAutoscaler",
];

const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Removes what must never be written or kept from one object: of a Secret, `data` and
/// `stringData`, except `data["tls.crt"]` of a `kubernetes.io/tls` Secret (the public
/// certificate; `tls.key` is always dropped); of every object, `metadata.managedFields` and
/// the `kubectl.kubernetes.io/last-applied-configuration` annotation (which can hold a Secret
/// as it was applied).
pub fn redact(object: &mut Value) {
    let Some(o) = object.as_object_mut() else {
        return;
    };
    if let Some(meta) = o.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
        if let Some(ann) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
            ann.remove(LAST_APPLIED);
        }
    }
    if o.get("kind").and_then(Value::as_str) != Some("Secret") {
        return;
    }
    let tls = o.get("type").and_then(Value::as_str) == Some("kubernetes.io/tls");
    o.remove("stringData");
    let cert = o
        .get("data")
        .and_then(|d| d.get("tls.crt"))
        .filter(|_| tls)
        .cloned();
    o.remove("data");
    if let Some(cert) = cert {
        let mut data = Map::new();
        data.insert("tls.crt".into(), cert);
        o.insert("data".into(), Value::Object(data));
    }
}

/// A resource the server serves, from discovery.
#[derive(Debug, Clone)]
struct Served {
    resource: ApiResource,
}

impl Cluster {
    /// Reads the configuration as kubectl would and prepares a client (no request is made).
    pub fn connect(opts: &ClusterOptions) -> Result<Cluster, KubeError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(KubeError::Runtime)?;
        let kco = KubeConfigOptions {
            context: opts.context.clone(),
            ..KubeConfigOptions::default()
        };
        let (config, context) = rt.block_on(async {
            if opts.kubeconfig.is_none() && opts.context.is_none() {
                let config = kube::Config::infer().await.map_err(|e| infer_error(&e))?;
                // `infer` prefers a kubeconfig to the in-cluster service account.
                let context = Kubeconfig::read()
                    .ok()
                    .and_then(|kc| kc.current_context)
                    .unwrap_or_else(|| "in-cluster".into());
                return Ok((config, context));
            }
            let kc = match &opts.kubeconfig {
                Some(path) => Kubeconfig::read_from(path).map_err(|e| KubeError::Kubeconfig {
                    path: path.clone(),
                    message: e.to_string(),
                })?,
                // KUBECONFIG (several files merged) or ~/.kube/config.
                None => Kubeconfig::read().map_err(|e| KubeError::Config(e.to_string()))?,
            };
            let context = opts
                .context
                .clone()
                .or_else(|| kc.current_context.clone())
                .unwrap_or_default();
            if !kc.contexts.iter().any(|c| c.name == context) {
                return Err(KubeError::NoContext {
                    context,
                    known: kc.contexts.iter().map(|c| c.name.clone()).collect(),
                });
            }
            let config = kube::Config::from_custom_kubeconfig(kc, &kco)
                .await
                .map_err(|e| KubeError::Config(e.to_string()))?;
            Ok((config, context))
        })?;
        let server = config.cluster_url.to_string();
        // The client spawns its buffer task: build it inside the runtime.
        let client = rt
            .block_on(async { kube::Client::try_from(config) })
            .map_err(|e| KubeError::Config(e.to_string()))?;
        Ok(Cluster {
            rt,
            client,
            context,
            server,
        })
    }

    /// The kubeconfig context used (`in-cluster` for a service account).
    pub fn context(&self) -> &str {
        &self.context
    }

    /// The API server's URL.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// Discovers the served APIs and lists every object of `kinds` (plain kind names, as the
    /// checks' `kinds`), redacted. A kind served by several groups is listed from each (checks
    /// that care read `apiVersion`); within a group, the preferred version serves it.
    pub fn fetch(&self, kinds: &[String]) -> Result<Snapshot, KubeError> {
        self.rt.block_on(self.fetch_async(kinds))
    }

    fn api_error(&self, what: &str, e: kube::Error) -> KubeError {
        match e {
            kube::Error::Api(s) => KubeError::Api {
                server: self.server.clone(),
                what: what.into(),
                message: format!("{} ({})", s.message, s.code),
            },
            other => KubeError::Unreachable {
                server: self.server.clone(),
                message: error_chain(&other),
            },
        }
    }

    async fn discover(&self, warnings: &mut Vec<String>) -> Result<Vec<Served>, KubeError> {
        let mut served = Vec::new();
        let core = self
            .client
            .list_core_api_versions()
            .await
            .map_err(|e| self.api_error("GET /api", e))?;
        let mut group_versions: Vec<(String, String)> = core
            .versions
            .iter()
            .map(|v| (String::new(), v.clone()))
            .collect();
        let groups = self
            .client
            .list_api_groups()
            .await
            .map_err(|e| self.api_error("GET /apis", e))?;
        for g in &groups.groups {
            // The preferred version first: a kind is taken from the first version serving it.
            let preferred = g.preferred_version.as_ref().map(|p| p.version.clone());
            let mut versions: Vec<String> = g.versions.iter().map(|v| v.version.clone()).collect();
            if let Some(p) = &preferred {
                versions.retain(|v| v != p);
                versions.insert(0, p.clone());
            }
            group_versions.extend(versions.into_iter().map(|v| (g.name.clone(), v)));
        }
        let mut seen: Vec<(String, String)> = Vec::new();
        for (group, version) in group_versions {
            let gv = if group.is_empty() {
                version.clone()
            } else {
                format!("{group}/{version}")
            };
            let list = if group.is_empty() {
                self.client.list_core_api_resources(&version).await
            } else {
                self.client.list_api_group_resources(&gv).await
            };
            let list = match list {
                Ok(l) => l,
                Err(e @ kube::Error::Api(_)) => {
                    // An aggregated API that is down (metrics.k8s.io...) must not stop the rest.
                    warnings.push(format!("discovery of {gv} failed: {}", error_chain(&e)));
                    continue;
                }
                Err(e) => return Err(self.api_error(&format!("discovery of {gv}"), e)),
            };
            for r in list.resources {
                if r.name.contains('/') || !r.verbs.iter().any(|v| v == "list") {
                    continue; // subresources and unlistable resources
                }
                let key = (group.clone(), r.kind.clone());
                if seen.contains(&key) {
                    continue;
                }
                seen.push(key);
                served.push(Served {
                    resource: ApiResource {
                        group: group.clone(),
                        version: version.clone(),
                        api_version: gv.clone(),
                        kind: r.kind.clone(),
                        plural: r.name.clone(),
                    },
                });
            }
        }
        Ok(served)
    }

    async fn fetch_async(&self, kinds: &[String]) -> Result<Snapshot, KubeError> {
        let time = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let mut warnings = Vec::new();
        let served = self.discover(&mut warnings).await?;
        let mut listed = Vec::new();
        let mut not_served = Vec::new();
        let mut items = Vec::new();
        for kind in kinds {
            let matching: Vec<&Served> =
                served.iter().filter(|s| s.resource.kind == *kind).collect();
            if matching.is_empty() {
                not_served.push(kind.clone());
                continue;
            }
            for s in matching {
                match self.list(s).await {
                    Ok(objects) => {
                        listed.push(Listed {
                            kind: kind.clone(),
                            api_version: s.resource.api_version.clone(),
                            count: objects.len(),
                        });
                        items.extend(objects);
                    }
                    Err(KubeError::Api { what, message, .. }) => {
                        warnings.push(format!("cannot list {what}: {message}"));
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(Snapshot {
            context: self.context.clone(),
            server: self.server.clone(),
            time,
            listed,
            not_served,
            warnings,
            items,
        })
    }

    /// Every object of one served resource, page by page, with `apiVersion` and `kind` put
    /// back (list items come without them), redacted.
    async fn list(&self, s: &Served) -> Result<Vec<Value>, KubeError> {
        let ar = &s.resource;
        let api: Api<DynamicObject> = Api::all_with(self.client.clone(), ar);
        let what = if ar.group.is_empty() {
            ar.plural.clone()
        } else {
            format!("{}.{}", ar.plural, ar.group)
        };
        let mut lp = ListParams::default().limit(500);
        if ar.group.is_empty() && ar.kind == "Secret" {
            lp = lp.fields("type=kubernetes.io/tls");
        }
        let mut out = Vec::new();
        loop {
            let page = api.list(&lp).await.map_err(|e| self.api_error(&what, e))?;
            for obj in page.items {
                let v = serde_json::to_value(&obj).map_err(|e| KubeError::Api {
                    server: self.server.clone(),
                    what: what.clone(),
                    message: e.to_string(),
                })?;
                let mut m = Map::new();
                m.insert("apiVersion".into(), Value::String(ar.api_version.clone()));
                m.insert("kind".into(), Value::String(ar.kind.clone()));
                if let Value::Object(rest) = v {
                    for (k, v) in rest {
                        if k != "apiVersion" && k != "kind" {
                            m.insert(k, v);
                        }
                    }
                }
                let mut v = Value::Object(m);
                redact(&mut v);
                out.push(v);
            }
            match page.metadata.continue_ {
                Some(c) if !c.is_empty() => lp.continue_token = Some(c),
                _ => break,
            }
        }
        Ok(out)
    }
}

/// An error and its sources, one line (kube-rs's top-level messages say little on their own).
/// Why `Config::infer` found no configuration, said once and plainly: kube-rs's own message
/// nests both attempts and quotes the path twice (`'"/root/.kube/config"'`).
fn infer_error(e: &dyn std::fmt::Display) -> KubeError {
    let kubeconfig = std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty());
    let in_cluster = std::env::var_os("KUBERNETES_SERVICE_HOST").is_some();
    let default = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".kube").join("config"));
    match (kubeconfig, in_cluster, default) {
        (None, false, Some(path)) if !path.exists() => KubeError::NoConfig { default: path },
        _ => KubeError::Config(e.to_string().replace("'\"", "`").replace("\"'", "`")),
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}

impl Snapshot {
    /// Adds the objects to an inventory, one origin per kind (`live:<context>/<apiVersion>/<Kind>`),
    /// as an export would.
    pub fn add_to(&self, inv: &mut onus_inventory::Inventory) {
        let mut start = 0;
        for l in &self.listed {
            let end = start + l.count;
            let items = self.items.get(start..end).unwrap_or_default().to_vec();
            start = end;
            let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items});
            inv.add_value(
                list,
                onus_inventory::Origin {
                    file: format!("live:{}/{}/{}", self.context, l.api_version, l.kind).into(),
                    line: 0,
                },
            );
        }
    }

    /// The snapshot as one YAML file: a header comment (context, server, time, kinds) and a
    /// kubectl-style `List` (`apiVersion: v1`, `kind: List`, `items`) that `onus audit` and
    /// `kubectl` read back.
    pub fn to_yaml(&self) -> Result<String, serde_yaml_ng::Error> {
        let mut out = String::new();
        out.push_str(
            "# onus snapshot: the relevant objects of a live cluster, Secret values removed\n",
        );
        out.push_str(&format!("# context: {}\n", one_line(&self.context)));
        out.push_str(&format!("# server: {}\n", one_line(&self.server)));
        out.push_str(&format!("# time: {}\n", self.time));
        out.push_str("# kinds:");
        for l in &self.listed {
            out.push_str(&format!(" {} ({}) {},", l.kind, l.api_version, l.count));
        }
        if out.ends_with(',') {
            out.pop();
        }
        out.push('\n');
        if !self.not_served.is_empty() {
            out.push_str(&format!("# not served: {}\n", self.not_served.join(", ")));
        }
        for w in &self.warnings {
            out.push_str(&format!("# warning: {}\n", one_line(w)));
        }
        let list = serde_json::json!({
            "apiVersion": "v1",
            "kind": "List",
            "metadata": {"resourceVersion": ""},
            "items": self.items,
        });
        out.push_str(&serde_yaml_ng::to_string(&list)?);
        Ok(out)
    }
}

fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tls_secret_keeps_only_the_certificate() {
        let mut s = json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
            "metadata": {"name": "t", "namespace": "n",
                "annotations": {LAST_APPLIED: "{\"data\":{\"tls.key\":\"S0VZ\"}}", "keep": "me"},
                "managedFields": [{"manager": "kubectl"}]},
            "data": {"tls.crt": "Q0VSVA==", "tls.key": "S0VZ", "ca.crt": "Q0E="},
            "stringData": {"x": "y"}});
        redact(&mut s);
        assert_eq!(s["data"], json!({"tls.crt": "Q0VSVA=="}));
        assert!(s.get("stringData").is_none());
        assert_eq!(s["metadata"]["annotations"], json!({"keep": "me"}));
        assert!(s["metadata"].get("managedFields").is_none());
    }

    #[test]
    fn other_secrets_lose_all_values() {
        for ty in [
            json!("Opaque"),
            json!(null),
            json!("kubernetes.io/dockerconfigjson"),
        ] {
            let mut s = json!({"kind": "Secret", "type": ty, "metadata": {"name": "o"},
                "data": {"tls.crt": "Q0VSVA==", "password": "cHc="}, "stringData": {"a": "b"}});
            redact(&mut s);
            assert!(s.get("data").is_none(), "{s}");
            assert!(s.get("stringData").is_none());
        }
        // A tls Secret without a certificate keeps no data at all.
        let mut s = json!({"kind": "Secret", "type": "kubernetes.io/tls",
            "metadata": {"name": "k"}, "data": {"tls.key": "S0VZ"}});
        redact(&mut s);
        assert!(s.get("data").is_none());
    }

    #[test]
    fn other_objects_keep_their_data_but_not_managed_fields() {
        let mut c = json!({"kind": "ConfigMap", "metadata": {"name": "c",
            "managedFields": [], "annotations": {LAST_APPLIED: "{}"}}, "data": {"k": "v"}});
        redact(&mut c);
        assert_eq!(c["data"], json!({"k": "v"}));
        assert_eq!(c["metadata"], json!({"name": "c", "annotations": {}}));
        let mut not_an_object = json!(["Secret"]);
        redact(&mut not_an_object);
        assert_eq!(not_an_object, json!(["Secret"]));
    }

    #[test]
    fn snapshot_yaml_is_a_list_with_a_header() {
        let snap = Snapshot {
            context: "prod".into(),
            server: "https://k.example:6443/".into(),
            time: "2025-06-01T12:00:00Z".into(),
            listed: vec![Listed {
                kind: "Namespace".into(),
                api_version: "v1".into(),
                count: 1,
            }],
            not_served: vec!["Schedule".into()],
            warnings: vec![],
            items: vec![json!({"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": "3.10"}})],
        };
        let y = snap.to_yaml().unwrap();
        assert!(y.starts_with("# onus snapshot"), "{y}");
        assert!(y.contains("# kinds: Namespace (v1) 1\n"), "{y}");
        assert!(y.contains("# not served: Schedule\n"), "{y}");
        let mut inv = onus_inventory::Inventory::default();
        inv.add_text("snap.yaml", &y).unwrap();
        assert_eq!(inv.len(), 1);
        assert_eq!(inv.object(0).unwrap().name, "3.10");
        let mut live = onus_inventory::Inventory::default();
        snap.add_to(&mut live);
        assert_eq!(
            live.object(0).unwrap().origin.file.as_ref(),
            "live:prod/v1/Namespace"
        );
    }
}
