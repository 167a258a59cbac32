//! The check catalog: checks as data files (`checks/*.yaml`), each with its logic in CEL.

use std::path::{Path, PathBuf};

use onus_model::Text;
use serde::{Deserialize, Serialize};

/// The checks shipped with onus, embedded at build time from `checks/`.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "network.default-deny.yaml",
        include_str!("../../../checks/network.default-deny.yaml"),
    ),
    (
        "backup.pvc-covered.yaml",
        include_str!("../../../checks/backup.pvc-covered.yaml"),
    ),
    (
        "backup.recent.yaml",
        include_str!("../../../checks/backup.recent.yaml"),
    ),
    (
        "workload.resources.yaml",
        include_str!("../../../checks/workload.resources.yaml"),
    ),
    (
        "continuity.replicas-pdb.yaml",
        include_str!("../../../checks/continuity.replicas-pdb.yaml"),
    ),
    (
        "data.no-hostpath.yaml",
        include_str!("../../../checks/data.no-hostpath.yaml"),
    ),
    (
        "monitoring.probes.yaml",
        include_str!("../../../checks/monitoring.probes.yaml"),
    ),
    (
        "access.cluster-admin.yaml",
        include_str!("../../../checks/access.cluster-admin.yaml"),
    ),
    (
        "tls.ingress-cert.yaml",
        include_str!("../../../checks/tls.ingress-cert.yaml"),
    ),
    (
        "images.pinned.yaml",
        include_str!("../../../checks/images.pinned.yaml"),
    ),
    (
        "version.supported.yaml",
        include_str!("../../../checks/version.supported.yaml"),
    ),
    (
        "provider.volume-snapshot-class.yaml",
        include_str!("../../../checks/provider.volume-snapshot-class.yaml"),
    ),
    (
        "provider.ingress-class.yaml",
        include_str!("../../../checks/provider.ingress-class.yaml"),
    ),
    (
        "provider.autoscaling-api.yaml",
        include_str!("../../../checks/provider.autoscaling-api.yaml"),
    ),
    (
        "provider.default-storage-class.yaml",
        include_str!("../../../checks/provider.default-storage-class.yaml"),
    ),
];

/// How serious a failing check is; `--fail-on` compares against it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Some(match s {
            "info" => Severity::Info,
            "low" => Severity::Low,
            "medium" => Severity::Medium,
            "high" => Severity::High,
            "critical" => Severity::Critical,
            _ => return None,
        })
    }
}

/// Whether a check's items come from each object of its subject kinds, or once for the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    #[default]
    Object,
    Cluster,
}

/// One check, as written in a check file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// Stable id (`network.default-deny`).
    pub id: String,
    /// Title, per language.
    pub title: Text,
    /// How to fix a failure, per language.
    pub remediation: Text,
    pub severity: Severity,
    /// Topics of the vocabulary the check gives evidence for; the model's activities with one
    /// of these topics are the duties it speaks to.
    pub topics: Vec<String>,
    /// Stack layers the check sees (`application`, `data`, `network`...). When set, an activity
    /// of the model that names a layer must name one of these for the check to speak to it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<String>,
    /// Every kind the check reads (subjects and lookups), for `onus snapshot` and the docs.
    pub kinds: Vec<String>,
    #[serde(default)]
    pub scope: Scope,
    /// Scope `object`: the kinds whose objects are judged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subjects: Vec<String>,
    /// CEL, scope `object`: whether an object is judged at all (default: all of them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    /// CEL: the items to judge, a list. Scope `object` default: `[object]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<String>,
    /// CEL: the id of an item, a string. Default: `ref(object)` (`namespace/Kind/name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_id: Option<String>,
    /// CEL: `true` when the item passes; `false`, a reason (string) or a list of reasons when not.
    pub rule: String,
    /// The reason given when `rule` returns `false`.
    #[serde(default = "default_reason")]
    pub reason: String,
    /// Every reason the check gives (or its fixed beginning: `latest tag`), so that a model's
    /// `audit` links can name them and `onus validate` can check them. Optional.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    /// CEL, scope `cluster`: the namespace an item belongs to, a string (`item` when the items
    /// are namespaces). Gives the item an owner (docs/audit.md); evaluated for reported items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_namespace: Option<String>,
    /// A longer explanation, per language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Text>,
    /// Where the check was read from (set by the loader).
    #[serde(skip)]
    pub source: String,
}

fn default_reason() -> String {
    "failed".into()
}

/// Why a check file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("cannot read `{path}`: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{file}:{line}: {message}")]
    Invalid {
        file: String,
        line: usize,
        message: String,
    },
    #[error("{file}: check `{id}`: field `{field}` is not valid CEL: {message}")]
    Cel {
        file: String,
        id: String,
        field: &'static str,
        message: String,
    },
    #[error("check `{id}` is defined twice ({first} and {second})")]
    Duplicate {
        id: String,
        first: String,
        second: String,
    },
}

/// Reads one check file (YAML or JSON).
pub fn parse_check(file: &str, text: &str) -> Result<Check, CatalogError> {
    let doc = onus_yaml::parse_one(text, &onus_yaml::Limits::default()).map_err(|e| {
        CatalogError::Invalid {
            file: file.into(),
            line: e.span().map_or(0, |s| s.line),
            message: e.to_string(),
        }
    })?;
    let mut check: Check = serde_path_to_error_free(&doc.value).map_err(|(pointer, message)| {
        CatalogError::Invalid {
            file: file.into(),
            line: doc.map.nearest(&pointer).map_or(1, |s| s.line),
            message,
        }
    })?;
    check.source = file.to_string();
    for (field, src) in [
        ("rule", Some(&check.rule)),
        ("items", check.items.as_ref()),
        ("item_id", check.item_id.as_ref()),
        ("when", check.when.as_ref()),
        ("item_namespace", check.item_namespace.as_ref()),
    ] {
        if let Some(src) = src {
            crate::cel::Program::compile(src).map_err(|e| CatalogError::Cel {
                file: file.into(),
                id: check.id.clone(),
                field,
                message: e.to_string(),
            })?;
        }
    }
    if check.scope == Scope::Object && check.subjects.is_empty() {
        return Err(CatalogError::Invalid {
            file: file.into(),
            line: 1,
            message: format!("check `{}` has scope `object` but no `subjects`", check.id),
        });
    }
    if check.scope == Scope::Object && check.item_namespace.is_some() {
        return Err(CatalogError::Invalid {
            file: file.into(),
            line: 1,
            message: format!(
                "check `{}` has scope `object`: its items are in their object's namespace, drop `item_namespace`",
                check.id
            ),
        });
    }
    if check.scope == Scope::Cluster && check.items.is_none() {
        return Err(CatalogError::Invalid {
            file: file.into(),
            line: 1,
            message: format!("check `{}` has scope `cluster` but no `items`", check.id),
        });
    }
    Ok(check)
}

/// Deserializes with the JSON pointer of the failing field, for a located message.
fn serde_path_to_error_free(v: &serde_json::Value) -> Result<Check, (String, String)> {
    serde_json::from_value::<Check>(v.clone()).map_err(|e| {
        let msg = e.to_string();
        // serde_json does not report paths for `from_value`; point at the field it names.
        let pointer = msg
            .split('`')
            .nth(1)
            .map(|f| format!("/{f}"))
            .unwrap_or_default();
        (pointer, msg)
    })
}

/// The built-in checks.
pub fn builtin() -> Result<Vec<Check>, CatalogError> {
    BUILTIN
        .iter()
        .map(|(name, text)| parse_check(&format!("builtin:checks/{name}"), text))
        .collect()
}

/// The built-in checks followed by those under `dirs` (searched recursively for `.yaml`,
/// `.yml`, `.json`). A user check with the id of a built-in one replaces it.
pub fn load(dirs: &[PathBuf]) -> Result<Vec<Check>, CatalogError> {
    load_noting(dirs).map(|(checks, _)| checks)
}

/// [`load`], with what the folder walker passed over (links back into the tree, pipes,
/// devices: see [`onus_yaml::walk`]), for the caller to say.
pub fn load_noting(
    dirs: &[PathBuf],
) -> Result<(Vec<Check>, Vec<onus_yaml::Skipped>), CatalogError> {
    let mut checks = builtin()?;
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for d in dirs {
        let found = onus_yaml::walk(d, &onus_yaml::is_yaml_or_json)
            .map_err(|(path, source)| CatalogError::Io { path, source })?;
        files.extend(found.files);
        skipped.extend(found.skipped);
    }
    let mut seen: Vec<(String, String)> = Vec::new();
    for f in files {
        let text = read_check(&f)?;
        let c = parse_check(&f.display().to_string(), &text)?;
        if let Some((_, first)) = seen.iter().find(|(id, _)| *id == c.id) {
            return Err(CatalogError::Duplicate {
                id: c.id.clone(),
                first: first.clone(),
                second: c.source.clone(),
            });
        }
        seen.push((c.id.clone(), c.source.clone()));
        match checks.iter_mut().find(|b| b.id == c.id) {
            Some(b) => *b = c,
            None => checks.push(c),
        }
    }
    Ok((checks, skipped))
}

/// A check file, refused past [`onus_limits::Limits::check_bytes`] before it is read whole.
fn read_check(f: &Path) -> Result<String, CatalogError> {
    use std::io::Read;
    let limit = onus_limits::Limits::DEFAULT.check_bytes;
    let io = |source| CatalogError::Io {
        path: f.to_path_buf(),
        source,
    };
    let mut bytes = Vec::new();
    std::fs::File::open(f)
        .map_err(io)?
        .take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() > limit {
        return Err(CatalogError::Invalid {
            file: f.display().to_string(),
            line: 1,
            message: format!("a check file is at most {limit} bytes"),
        });
    }
    String::from_utf8(bytes)
        .map_err(|e| io(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))
}

/// The checks as `onus validate` needs to know them (ids and declared reasons), for a model's
/// `audit` links (`onus_model::Options::known_checks`).
pub fn known(checks: &[Check]) -> Vec<onus_model::KnownCheck> {
    checks
        .iter()
        .map(|c| onus_model::KnownCheck {
            id: c.id.clone(),
            reasons: c.reasons.clone(),
        })
        .collect()
}
