//! Assessment results: what an audit of a live system found, as OSCAL.
//!
//! The input is a plain description of an audit ([`Audit`]): the checks run, their status, the
//! failing items with reasons, the topics and activities each check concerns, and the evidence.
//! `onus audit` fills it from its own report. Each check becomes an observation carrying its
//! evidence; each check that passed or failed becomes, for each control its topics map to, a
//! finding tied to the control (`target`), to the observation, to the model's activities
//! (props) and to the customer SSP's implementation statement.

use onus_model::{Model, Vocabulary};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::common::{controls_of, prune, push_prop, ControlId, Plan};

/// An audit of a system against a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Audit {
    /// Title of the results (`onus audit of prod-cluster`).
    pub title: String,
    /// What was audited (a cluster context, an account).
    pub target: String,
    /// When the audit started, RFC 3339 with a time zone (`2025-01-31T10:00:00Z`).
    pub start: String,
    /// When it ended, RFC 3339 with a time zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    pub checks: Vec<Check>,
}

/// One check of an audit and what it found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// Stable id of the check (`backup-schedules`).
    pub id: String,
    pub title: String,
    pub status: CheckStatus,
    /// What the check found, in a sentence.
    #[serde(default)]
    pub message: String,
    /// Topics of the vocabulary the check is about; they give the controls.
    #[serde(default)]
    pub topics: Vec<String>,
    /// Activities of the model the check verifies.
    #[serde(default)]
    pub activities: Vec<String>,
    #[serde(default)]
    pub evidence: Vec<Evidence>,
    /// The items that failed, and why.
    #[serde(default)]
    pub failing: Vec<FailingItem>,
}

/// The outcome of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckStatus {
    Pass,
    Fail,
    Warn,
    /// Not run, or not applicable.
    Skip,
    /// The check could not be run (no access, API error).
    Error,
}

impl CheckStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Pass => "pass",
            CheckStatus::Fail => "fail",
            CheckStatus::Warn => "warn",
            CheckStatus::Skip => "skip",
            CheckStatus::Error => "error",
        }
    }
}

/// Something collected as evidence (a resource read, a command output).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub description: String,
    /// Where it can be found, if anywhere (a URL, a file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
}

/// An item that failed a check (`namespace/deployment`), why, and the parties (ids of the
/// model's parties) that can fix it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailingItem {
    pub item: String,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parties: Vec<String>,
}

/// The audit's results as an OSCAL assessment-results document.
pub fn assessment_results(model: &Model, vocab: &Vocabulary, audit: &Audit) -> Value {
    let plan = Plan::new(model, vocab);
    let base = format!("ar/{}/{}", audit.target, audit.start);
    let u = |p: &str| plan.uuid(&format!("{base}/{p}"));
    let collected = audit.end.clone().unwrap_or_else(|| audit.start.clone());
    let mut observations = Vec::new();
    let mut findings = Vec::new();
    let mut reviewed: Vec<ControlId> = Vec::new();
    for c in &audit.checks {
        let obs_uuid = u(&format!("observation/{}", c.id));
        let mut props = Vec::new();
        push_prop(&mut props, "check-id", &c.id);
        push_prop(&mut props, "check-status", c.status.as_str());
        for a in &c.activities {
            push_prop(&mut props, "activity-id", a);
        }
        for t in &c.topics {
            push_prop(&mut props, "topic", t);
        }
        let evidence: Vec<Value> = c
            .evidence
            .iter()
            .map(|e| json!({"href": e.href, "description": e.description}))
            .collect();
        let remarks = (!c.failing.is_empty()).then(|| {
            c.failing
                .iter()
                .map(|f| {
                    if f.parties.is_empty() {
                        format!("- `{}`: {}", f.item, f.reason)
                    } else {
                        format!(
                            "- `{}`: {} (to fix: {})",
                            f.item,
                            f.reason,
                            f.parties.join(", ")
                        )
                    }
                })
                .collect::<Vec<_>>()
                .join("\n")
        });
        // Each failing item and the parties that can fix it, tied by a prop group; the
        // parties concerned are the observation's subjects.
        let mut concerned: Vec<&str> = Vec::new();
        for (n, f) in c.failing.iter().enumerate() {
            let group = format!("item-{}", n + 1);
            if crate::common::prop_value_ok(&f.item) {
                let mut p = crate::common::prop("failing-item", &f.item);
                p["group"] = group.clone().into();
                props.push(p);
            }
            for party in &f.parties {
                if model.party(party).is_some() {
                    let mut p = crate::common::prop("party-id", party);
                    p["group"] = group.clone().into();
                    props.push(p);
                    if !concerned.contains(&party.as_str()) {
                        concerned.push(party);
                    }
                }
            }
        }
        concerned.sort_by_key(|p| model.parties.iter().position(|x| x.id == *p));
        let subjects: Vec<Value> = concerned
            .iter()
            .filter_map(|p| model.party(p))
            .map(|p| json!({"subject-uuid": plan.party_uuid(&p.id), "type": "party", "title": p.name.best(plan.lang())}))
            .collect();
        let description = if c.message.trim().is_empty() {
            c.title.clone()
        } else {
            c.message.clone()
        };
        observations.push(json!({
            "uuid": obs_uuid,
            "title": c.title,
            "description": description,
            "props": props,
            "methods": ["TEST"],
            "subjects": subjects,
            "collected": collected,
            "relevant-evidence": evidence,
            "remarks": remarks,
        }));
        let state = match c.status {
            CheckStatus::Pass => "satisfied",
            CheckStatus::Fail | CheckStatus::Warn => "not-satisfied",
            CheckStatus::Skip | CheckStatus::Error => continue,
        };
        let mut topics: Vec<String> = c.topics.clone();
        for a in c.activities.iter().filter_map(|a| model.activity(a)) {
            topics.extend(a.topics.iter().cloned());
        }
        for control in controls_of(vocab, &topics) {
            let items = plan.controls.get(&control);
            // The customer SSP's `satisfied` entry of the first activity the check verifies
            // that is the customer's duty under this control.
            let statement = items.and_then(|items| {
                items.iter().copied().find(|&i| {
                    plan.items[i].customer_duty()
                        && c.activities.iter().any(|a| a == plan.items[i].id)
                })
            });
            let mut fprops = Vec::new();
            push_prop(&mut fprops, "check-id", &c.id);
            for a in &c.activities {
                push_prop(&mut fprops, "activity-id", a);
            }
            for p in &concerned {
                push_prop(&mut fprops, "party-id", p);
            }
            let mut target = json!({"type": "statement-id", "target-id": format!("{}_smt", control.oscal()), "status": {"state": state}});
            if c.status == CheckStatus::Warn {
                target["status"]["reason"] = "warning".into();
            }
            findings.push(json!({
                "uuid": u(&format!("finding/{}/{}", c.id, control.oscal())),
                "title": format!("{}: {}", control.label(), c.title),
                "description": format!("{} ({})", description, c.status.as_str()),
                "props": fprops,
                "target": target,
                "implementation-statement-uuid": statement.map(|i| crate::ssp::satisfied_uuid(&plan, &control, i)),
                "related-observations": [{"observation-uuid": obs_uuid}],
            }));
            if !reviewed.contains(&control) {
                reviewed.push(control);
            }
        }
    }
    reviewed.sort();
    let selection = if reviewed.is_empty() {
        json!({"include-all": {}})
    } else {
        json!({"include-controls": reviewed.iter().map(|c| json!({"control-id": c.oscal()})).collect::<Vec<_>>()})
    };
    let mut metadata = plan.metadata(audit.title.clone());
    metadata["last-modified"] = collected.clone().into();
    let mut result_props = Vec::new();
    push_prop(&mut result_props, "target", &audit.target);
    let mut back = plan.back_matter();
    let plan_resource = u("resource/plan");
    if let Some(r) = back["resources"].as_array_mut() {
        r.push(json!({
            "uuid": plan_resource,
            "title": format!("onus audit against the model `{}` version {}", model.id, model.version),
            "description": "onus has no assessment plan document: the plan is the set of onus's checks and the model they verify.",
        }));
    }
    let doc = json!({"assessment-results": {
        "uuid": plan.uuid(&base),
        "metadata": metadata,
        "import-ap": {"href": format!("#{plan_resource}")},
        "results": [{
            "uuid": u("result"),
            "title": audit.title,
            "description": format!("Checks of {} against the shared-responsibility model `{}` ({}).", audit.target, model.id, model.service),
            "start": audit.start,
            "end": audit.end,
            "props": result_props,
            "reviewed-controls": {"control-selections": [selection]},
            "observations": observations,
            "findings": findings,
        }],
        "back-matter": back,
    }});
    // `include-all` is an empty object that must stay: prune around it.
    keep_include_all(prune(doc), reviewed.is_empty())
}

fn keep_include_all(mut doc: Value, all: bool) -> Value {
    if all {
        if let Some(result) = doc
            .pointer_mut("/assessment-results/results/0")
            .and_then(Value::as_object_mut)
        {
            result.insert(
                "reviewed-controls".into(),
                json!({"control-selections": [{"include-all": {}}]}),
            );
        }
    }
    doc
}
