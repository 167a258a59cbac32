//! Whose an object is: the model's managed scopes (`audit.managed`) against what the engine
//! recorded of the object ([`Facts`]).
//!
//! An object in a party's managed scope (its namespace, its kind, a label or annotation that
//! marks it) is that party's; any other object is the customer's (the model's only party of
//! kind `customer`). Ownership is decided at join time from the recorded facts alone, so that
//! a report joined again to a model (the portal does) gives exactly the CLI's answer.

use onus_model::{ManagedScope, Model, PartyKind};
use serde::{Deserialize, Serialize};

use crate::findings::FactsRef;

/// Labels that mark a platform's own objects on common managed offers, recorded on every
/// failing item whatever the model: the Kubernetes add-on manager's mode, the default RBAC
/// objects the API server creates, the managed-by convention, AKS's marker.
pub const WELL_KNOWN_LABELS: &[&str] = &[
    "addonmanager.kubernetes.io/mode",
    "app.kubernetes.io/managed-by",
    "kubernetes.azure.com/managedby",
    "kubernetes.io/bootstrapping",
];

/// Annotations that mark a platform's own objects: GKE's managed components.
pub const WELL_KNOWN_ANNOTATIONS: &[&str] = &["components.gke.io/component-name"];

/// The label and annotation keys a run records on failing items: the well-known ones and
/// those the audited model's scopes name. Recorded in the report, so that a model joined to
/// it later can tell which keys it cannot see.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactKeys {
    #[serde(default)]
    pub labels: Vec<String>,
    #[serde(default)]
    pub annotations: Vec<String>,
}

impl FactKeys {
    pub fn well_known() -> FactKeys {
        FactKeys {
            labels: WELL_KNOWN_LABELS.iter().map(|s| s.to_string()).collect(),
            annotations: WELL_KNOWN_ANNOTATIONS
                .iter()
                .map(|s| s.to_string())
                .collect(),
        }
    }

    /// These keys and those the model's managed scopes name, each once, sorted.
    pub fn with_model(mut self, m: &Model) -> FactKeys {
        for s in &m.audit.managed {
            self.labels.extend(s.labels.keys().cloned());
            self.annotations.extend(s.annotations.keys().cloned());
        }
        self.labels.sort();
        self.labels.dedup();
        self.annotations.sort();
        self.annotations.dedup();
        self
    }

    /// Keys the model's scopes name that these do not hold: `label KEY` / `annotation KEY`.
    pub fn missing_for(&self, m: &Model) -> Vec<String> {
        let mut out = Vec::new();
        for s in &m.audit.managed {
            for k in s.labels.keys() {
                if !self.labels.contains(k) && !out.contains(&format!("label {k}")) {
                    out.push(format!("label {k}"));
                }
            }
            for k in s.annotations.keys() {
                if !self.annotations.contains(k) && !out.contains(&format!("annotation {k}")) {
                    out.push(format!("annotation {k}"));
                }
            }
        }
        out
    }
}

/// The owner of an object, and what made it so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub party: String,
    /// The scope's criterion that matched (`namespace kube-system`); `None` for the default.
    pub by: Option<String>,
}

/// Which criterion of a scope matches the object, if any.
fn matches(s: &ManagedScope, f: FactsRef<'_>) -> Option<String> {
    if let Some(ns) = f
        .namespace
        .filter(|ns| s.namespaces.iter().any(|n| n == ns))
    {
        return Some(format!("namespace {ns}"));
    }
    if let Some(k) = f.kind.filter(|k| s.kinds.iter().any(|x| x == k)) {
        return Some(format!("kind {k}"));
    }
    for (key, values) in &s.labels {
        if let Some(v) = f.label(key) {
            if values.is_empty() || values.iter().any(|x| x == v) {
                return Some(format!("label {key}={v}"));
            }
        }
    }
    for (key, values) in &s.annotations {
        if let Some(v) = f.annotation(key) {
            if values.is_empty() || values.iter().any(|x| x == v) {
                return Some(format!("annotation {key}={v}"));
            }
        }
    }
    None
}

/// The model's default owner: its only party of kind `customer`, if it has exactly one.
pub fn default_owner(m: &Model) -> Option<&str> {
    let mut customers = m.parties.iter().filter(|p| p.kind == PartyKind::Customer);
    match (customers.next(), customers.next()) {
        (Some(p), None) => Some(&p.id),
        _ => None,
    }
}

/// The owner of an item's object. `None` when nothing is known of an object (a cluster-scope
/// check's item with no namespace), or when no scope matches and the model has no single
/// customer party.
pub fn owner(m: &Model, facts: Option<FactsRef<'_>>) -> Option<Owner> {
    let f = facts?;
    for s in &m.audit.managed {
        if let Some(by) = matches(s, f) {
            return Some(Owner {
                party: s.party.clone(),
                by: Some(by),
            });
        }
    }
    default_owner(m).map(|p| Owner {
        party: p.to_string(),
        by: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{Facts, Marks};
    use onus_model::{load_str, Options, Vocabulary, BUILTIN};

    fn model(id: &str) -> Model {
        let (_, text) = BUILTIN.iter().find(|(i, _)| *i == id).unwrap();
        load_str(id, text, Vocabulary::builtin(), &Options::default())
            .model
            .unwrap()
    }

    fn facts(kind: &str, ns: Option<&str>, labels: &[(&str, &str)]) -> Facts {
        Facts {
            kind: Some(kind.into()),
            namespace: ns.map(str::to_string),
            marks: Marks {
                labels: labels
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                annotations: vec![],
            },
        }
    }

    fn scope(party: &str) -> ManagedScope {
        ManagedScope {
            party: party.into(),
            namespaces: vec!["kube-system".into()],
            kinds: vec!["Node".into()],
            labels: [("addonmanager.kubernetes.io/mode".to_string(), vec![])]
                .into_iter()
                .collect(),
            annotations: [(
                "components.gke.io/component-name".to_string(),
                vec!["kube-dns".to_string()],
            )]
            .into_iter()
            .collect(),
            why: Default::default(),
        }
    }

    #[test]
    fn each_criterion_names_the_scope_party_else_the_customer_owns_it() {
        let mut m = model("ovhcloud-mks");
        m.audit.managed = vec![scope("ovhcloud")];
        let own = |f: &Facts| owner(&m, Some(f.view())).map(|o| (o.party, o.by));
        assert_eq!(
            own(&facts("DaemonSet", Some("kube-system"), &[])),
            Some(("ovhcloud".into(), Some("namespace kube-system".into())))
        );
        assert_eq!(
            own(&facts("Node", None, &[])),
            Some(("ovhcloud".into(), Some("kind Node".into())))
        );
        assert_eq!(
            own(&facts(
                "Deployment",
                Some("monitoring"),
                &[("addonmanager.kubernetes.io/mode", "Reconcile")]
            )),
            Some((
                "ovhcloud".into(),
                Some("label addonmanager.kubernetes.io/mode=Reconcile".into())
            ))
        );
        let mut gke = facts("Deployment", Some("x"), &[]);
        gke.marks.annotations =
            vec![("components.gke.io/component-name".into(), "kube-dns".into())];
        assert_eq!(own(&gke).unwrap().0, "ovhcloud");
        gke.marks.annotations[0].1 = "mine".into();
        assert_eq!(
            own(&gke),
            Some(("customer".into(), None)),
            "value not listed"
        );
        assert_eq!(
            own(&facts("Deployment", Some("shop"), &[])),
            Some(("customer".into(), None))
        );
        assert_eq!(owner(&m, None), None, "nothing known of the object");
    }

    #[test]
    fn the_first_matching_scope_wins_and_keys_are_recorded() {
        let mut m = model("h8lio");
        let mut mine = scope("user");
        mine.namespaces = vec![];
        mine.kinds = vec![];
        mine.annotations.clear();
        mine.labels = [("team".to_string(), vec!["shop".to_string()])]
            .into_iter()
            .collect();
        m.audit.managed = vec![mine, scope("byzaneo")];
        let f = facts("Deployment", Some("kube-system"), &[("team", "shop")]);
        assert_eq!(owner(&m, Some(f.view())).unwrap().party, "user");
        let keys = FactKeys::well_known().with_model(&m);
        assert!(keys.labels.contains(&"team".to_string()));
        assert!(FactKeys::well_known()
            .missing_for(&m)
            .contains(&"label team".to_string()));
        assert!(keys.missing_for(&m).is_empty());
    }

    #[test]
    fn every_key_a_builtin_model_names_is_recorded_whatever_the_model() {
        for (id, _) in BUILTIN {
            assert!(
                FactKeys::well_known().missing_for(&model(id)).is_empty(),
                "{id} names a key missing from WELL_KNOWN_LABELS/ANNOTATIONS: a report made with another model could not be joined to it"
            );
        }
    }
}
