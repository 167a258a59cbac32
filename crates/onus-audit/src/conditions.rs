//! Conditional responsibility: a model's `audit.conditions`, CEL over the cluster's state that
//! decides, per cluster, which roles of an activity hold.
//!
//! Each condition runs as one more cluster-scope check of the same engine (so it reads what it
//! needs of the exports, streamed, like any cross-object check), and its outcome is kept in
//! the report as plain data ([`ConditionResult`]): a report joined again to the model (the
//! portal does, without the cluster) applies the same roles.

use onus_model::{Model, Text};
use serde::{Deserialize, Serialize};

use crate::catalog::{Check, Scope, Severity};
use crate::cel::{self, Program};
use crate::result::{CheckResult, CheckStatus};

/// What a condition of the model gave on this cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConditionResult {
    /// The activity whose roles it decides.
    pub activity: String,
    /// The condition's CEL, as written in the model (it identifies the condition).
    pub when: String,
    /// Whether it holds; absent when it could not be evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holds: Option<bool>,
    /// Why it could not be evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Why a model's condition cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConditionError {
    #[error("model `{model}`, condition {index} (activity `{activity}`): `when` is not valid CEL: {message}")]
    Cel {
        model: String,
        index: usize,
        activity: String,
        message: String,
    },
    #[error("model `{model}`, condition {index} (activity `{activity}`): name the kinds it reads literally (`objects(\"DaemonSet\")`), so that onus knows what to read")]
    DynamicKinds {
        model: String,
        index: usize,
        activity: String,
    },
}

/// Whether `when` compiles: for `onus validate` (`onus_model::Options::condition_syntax`).
pub fn syntax(when: &str) -> Result<(), String> {
    Program::compile(&rule(when))
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// A condition as a check's rule: failing ("holds") when it is true.
fn rule(when: &str) -> String {
    format!("({when}) ? \"holds\" : true")
}

/// The model's conditions as cluster-scope checks, in model order, to run after the catalog's
/// (their results, in the same order, go to [`results`]).
pub fn checks(model: &Model) -> Result<Vec<Check>, ConditionError> {
    let mut out = Vec::new();
    for (index, c) in model.audit.conditions.iter().enumerate() {
        let src = rule(&c.when);
        let prog = Program::compile(&src).map_err(|e| ConditionError::Cel {
            model: model.id.clone(),
            index,
            activity: c.activity.clone(),
            message: e.to_string(),
        })?;
        let reads = cel::reads(None, None, None, &prog);
        if reads.dynamic_kinds {
            return Err(ConditionError::DynamicKinds {
                model: model.id.clone(),
                index,
                activity: c.activity.clone(),
            });
        }
        let mut kinds: Vec<String> = reads.kinds.keys().cloned().collect();
        kinds.extend(reads.namespaces_of.iter().cloned());
        kinds.sort();
        kinds.dedup();
        out.push(Check {
            id: format!("condition:{}:{index}", c.activity),
            title: Text::new("en", format!("condition of activity {}", c.activity)),
            remediation: Text::default(),
            severity: Severity::Info,
            topics: Vec::new(),
            layers: Vec::new(),
            kinds,
            scope: Scope::Cluster,
            subjects: Vec::new(),
            when: None,
            items: Some("[\"cluster\"]".into()),
            item_id: None,
            rule: src,
            reason: "holds".into(),
            reasons: Vec::new(),
            item_namespace: None,
            description: None,
            source: format!("model {}: audit.conditions[{index}]", model.id),
        });
    }
    Ok(out)
}

/// The outcome of each condition, from the results of [`checks`] (same order).
pub fn results(model: &Model, results: &[CheckResult]) -> Vec<ConditionResult> {
    model
        .audit
        .conditions
        .iter()
        .zip(results)
        .map(|(c, r)| ConditionResult {
            activity: c.activity.clone(),
            when: c.when.clone(),
            holds: match r.status {
                CheckStatus::Fail => Some(true),
                CheckStatus::Pass => Some(false),
                CheckStatus::Error | CheckStatus::NotApplicable => None,
            },
            error: match r.status {
                CheckStatus::Error => Some(
                    r.errors
                        .iter()
                        .map(|e| e.reason.to_string())
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
                _ => None,
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use onus_inventory::Inventory;
    use onus_model::{load_str, Condition, Options, Vocabulary, BUILTIN};

    fn model_with(when: &str) -> Model {
        let (_, text) = BUILTIN.iter().find(|(i, _)| *i == "h8lio").unwrap();
        let mut m = load_str("h8lio", text, Vocabulary::builtin(), &Options::default())
            .model
            .unwrap();
        m.audit.conditions = vec![Condition {
            activity: "runtime.kubernetes.networks".into(),
            when: when.into(),
            roles: [("user".to_string(), "RA".to_string())]
                .into_iter()
                .collect(),
            why: Text::new("en", "own CNI"),
        }];
        m
    }

    fn run(m: &Model, yaml: &str) -> Vec<ConditionResult> {
        let mut inv = Inventory::default();
        inv.add_text("x.yaml", yaml).unwrap();
        let checks = checks(m).unwrap();
        let r = crate::engine::run(&inv, &checks, &Default::default());
        results(m, &r)
    }

    const CILIUM: &str =
        "kind: DaemonSet\napiVersion: apps/v1\nmetadata: {name: cilium, namespace: cilium}\n";

    #[test]
    fn a_condition_holds_or_not_per_cluster() {
        let m = model_with("objects(\"DaemonSet\").exists(d, nsOf(d) != \"kube-system\" && d.metadata.name == \"cilium\")");
        let c = checks(&m).unwrap();
        assert_eq!(c[0].kinds, ["DaemonSet"]);
        assert_eq!(run(&m, CILIUM)[0].holds, Some(true));
        let none = "kind: DaemonSet\napiVersion: apps/v1\nmetadata: {name: canal, namespace: kube-system}\n";
        assert_eq!(run(&m, none)[0].holds, Some(false));
    }

    #[test]
    fn a_condition_that_is_not_a_boolean_is_an_error_not_a_guess() {
        let m = model_with("size(objects(\"DaemonSet\"))");
        let r = run(&m, CILIUM);
        assert_eq!(r[0].holds, None);
        assert!(r[0].error.is_some());
        assert!(matches!(
            checks(&model_with("size((")),
            Err(ConditionError::Cel { .. })
        ));
        assert!(syntax("size((").is_err() && syntax("true").is_ok());
    }
}
