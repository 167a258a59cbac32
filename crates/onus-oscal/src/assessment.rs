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

use crate::common::{controls_of, prune, push_prop, ControlId, DocOptions, Plan};

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
///
/// OSCAL results follow a plan: onus has no separate one, so it writes the plan it followed
/// (its checks against the model, the controls they concern, the customer's system as the
/// subject) as an assessment plan embedded in the back-matter, which `import-ap` points to.
/// That plan imports the customer's SSP (embedded in its own back-matter), whose
/// implementation statements the findings point to (`implementation-statement-uuid`). Each
/// failing item is an inventory item of the result (`local-definitions`), with the parties
/// that can fix it as its `responsible-parties`; observations name them, and the parties, as
/// `subjects`.
pub fn assessment_results(model: &Model, vocab: &Vocabulary, audit: &Audit) -> Value {
    let plan = Plan::new(model, vocab);
    let base = format!("ar/{}/{}", audit.target, audit.start);
    let u = |p: &str| plan.uuid(&format!("{base}/{p}"));
    let collected = audit.end.clone().unwrap_or_else(|| audit.start.clone());
    let opts = DocOptions::at(collected.clone());
    let mut observations = Vec::new();
    let mut findings = Vec::new();
    let mut reviewed: Vec<ControlId> = Vec::new();
    let mut inventory: Vec<(String, Vec<&str>)> = Vec::new();
    let mut activities = Vec::new();
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
        // Each failing item and the parties that can fix it, tied by a prop group; the items
        // (inventory items of the result) and the parties concerned are the subjects.
        let mut concerned: Vec<&str> = Vec::new();
        let mut items: Vec<&str> = Vec::new();
        for (n, f) in c.failing.iter().enumerate() {
            let group = format!("item-{}", n + 1);
            if crate::common::prop_value_ok(&f.item) {
                let mut p = crate::common::prop("failing-item", &f.item);
                p["group"] = group.clone().into();
                props.push(p);
            }
            let parties: Vec<&str> = f
                .parties
                .iter()
                .map(String::as_str)
                .filter(|p| model.party(p).is_some())
                .collect();
            for party in &parties {
                let mut p = crate::common::prop("party-id", party);
                p["group"] = group.clone().into();
                props.push(p);
                if !concerned.contains(party) {
                    concerned.push(party);
                }
            }
            if !items.contains(&f.item.as_str()) {
                items.push(&f.item);
            }
            match inventory.iter_mut().find(|(i, _)| *i == f.item) {
                Some((_, known)) => {
                    for p in parties {
                        if !known.contains(&p) {
                            known.push(p);
                        }
                    }
                }
                None => inventory.push((f.item.clone(), parties)),
            }
        }
        concerned.sort_by_key(|p| model.parties.iter().position(|x| x.id == *p));
        let mut subjects: Vec<Value> = items
            .iter()
            .map(|i| json!({"subject-uuid": item_uuid(&plan, i), "type": "inventory-item", "title": i}))
            .collect();
        subjects.extend(
            concerned
                .iter()
                .filter_map(|p| model.party(p))
                .map(|p| json!({"subject-uuid": plan.party_uuid(&p.id), "type": "party", "title": p.name.best(plan.lang())})),
        );
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
            "types": if c.failing.is_empty() { json!(["control-objective"]) } else { json!(["finding"]) },
            "subjects": subjects,
            "collected": collected,
            "relevant-evidence": evidence,
            "remarks": remarks,
        }));
        let verified: Vec<usize> = c
            .activities
            .iter()
            .filter_map(|a| plan.items.iter().position(|it| it.id == a))
            .collect();
        // The controls of the check's topics and those its activities are placed under.
        let mut controls = controls_of(vocab, &c.topics);
        for (control, placed) in &plan.controls {
            if placed.iter().any(|p| verified.contains(&p.item)) && !controls.contains(control) {
                controls.push(control.clone());
            }
        }
        controls.sort();
        activities.push((c, controls.clone()));
        let state = match c.status {
            CheckStatus::Pass => "satisfied",
            CheckStatus::Fail | CheckStatus::Warn => "not-satisfied",
            CheckStatus::Skip | CheckStatus::Error => continue,
        };
        for control in controls {
            // Where the customer SSP describes the duty the check verifies: the customer
            // system's statement of the control (or of the statement the source names).
            let placed = plan.controls.get(&control).into_iter().flatten().find(|p| {
                !p.by_reliance && verified.contains(&p.item) && plan.items[p.item].customer_duty()
            });
            let scope = placed.map(|p| crate::ssp::scope_id(&control, p.statement.as_deref()));
            let target = placed
                .and_then(|p| p.statement.clone())
                .unwrap_or_else(|| format!("{}_smt", control.oscal()));
            let mut fprops = Vec::new();
            push_prop(&mut fprops, "check-id", &c.id);
            for a in &c.activities {
                push_prop(&mut fprops, "activity-id", a);
            }
            for p in &concerned {
                push_prop(&mut fprops, "party-id", p);
            }
            let mut target =
                json!({"type": "statement-id", "target-id": target, "status": {"state": state}});
            if c.status == CheckStatus::Warn {
                target["status"]["reason"] = "warning".into();
            }
            findings.push(json!({
                "uuid": u(&format!("finding/{}/{}", c.id, control.oscal())),
                "title": format!("{}: {}", control.label(), c.title),
                "description": format!("{} ({})", description, c.status.as_str()),
                "props": fprops,
                "target": target,
                "implementation-statement-uuid": scope.map(|s| crate::ssp::customer_statement_uuid(&plan, &s)),
                "related-observations": [{"observation-uuid": obs_uuid}],
            }));
            if !reviewed.contains(&control) {
                reviewed.push(control);
            }
        }
    }
    reviewed.sort();
    let selection = control_selection(&reviewed);
    let inventory_items: Vec<Value> = inventory
        .iter()
        .map(|(item, parties)| {
            let mut props = vec![json!({"name": "asset-id", "value": item})];
            push_prop(&mut props, "object", item);
            json!({
                "uuid": item_uuid(&plan, item),
                "description": format!("`{item}`, an object of {} that failed a check.", audit.target),
                "props": props,
                "responsible-parties": plan.responsible_roles(parties),
            })
        })
        .collect();
    let metadata = plan.metadata(audit.title.clone(), &opts);
    let mut result_props = Vec::new();
    push_prop(&mut result_props, "target", &audit.target);
    let ap_resource = u("resource/assessment-plan");
    let mut back = plan.back_matter();
    if let Some(r) = back["resources"].as_array_mut() {
        r.push(crate::common::embedded(
            &ap_resource,
            &format!("Assessment plan: onus checks of {} against the model `{}`", audit.target, model.id),
            "The plan this assessment followed: onus's checks, the controls they concern and the customer's system they assess, which it imports.",
            "assessment-plan.json",
            "application/oscal.ap+json",
            &assessment_plan(&plan, vocab, audit, &activities, &selection, &opts),
        ));
    }
    let doc = json!({"assessment-results": {
        "uuid": plan.uuid(&base),
        "metadata": metadata,
        "import-ap": {"href": format!("#{ap_resource}"), "remarks": "onus writes no separate assessment plan: the plan it followed is embedded in the back-matter, and imports the customer's system security plan its findings point to."},
        "results": [{
            "uuid": u("result"),
            "title": audit.title,
            "description": format!("Checks of {} against the shared-responsibility model `{}` ({}).", audit.target, model.id, model.service),
            "start": audit.start,
            "end": audit.end,
            "props": result_props,
            "local-definitions": {"inventory-items": inventory_items},
            "reviewed-controls": {"control-selections": [selection.clone()]},
            "observations": observations,
            "findings": findings,
        }],
        "back-matter": back,
    }});
    // `include-all` is an empty object that must stay: prune around it.
    keep_include_all(
        prune(doc),
        "/assessment-results/results/0",
        reviewed.is_empty(),
    )
}

/// A failing item's inventory item, the same wherever the item fails.
fn item_uuid(plan: &Plan, item: &str) -> String {
    plan.uuid(&format!("ar/inventory-item/{item}"))
}

fn control_selection(controls: &[ControlId]) -> Value {
    if controls.is_empty() {
        json!({"include-all": {}})
    } else {
        json!({"include-controls": controls.iter().map(|c| json!({"control-id": c.oscal()})).collect::<Vec<_>>()})
    }
}

/// The assessment plan an onus audit follows: one activity per check (method `TEST`, the
/// controls it concerns), one task running them all on the customer's system, and the
/// customer's SSP it imports, embedded.
fn assessment_plan(
    plan: &Plan,
    vocab: &Vocabulary,
    audit: &Audit,
    checks: &[(&Check, Vec<ControlId>)],
    selection: &Value,
    opts: &DocOptions,
) -> Value {
    let model = plan.model;
    let base = format!("ap/{}/{}", audit.target, audit.start);
    let u = |p: &str| plan.uuid(&format!("{base}/{p}"));
    let this_system = plan.uuid("customer-ssp/component/this-system");
    let subjects = json!([{"type": "component", "include-subjects": [{"subject-uuid": this_system, "type": "component"}]}]);
    let activities: Vec<Value> = checks
        .iter()
        .map(|(c, controls)| {
            let mut props = vec![json!({"name": "method", "value": "TEST"})];
            push_prop(&mut props, "check-id", &c.id);
            json!({
                "uuid": u(&format!("activity/{}", c.id)),
                "title": c.title,
                "description": format!("Run the onus check `{}` on the cluster's objects.", c.id),
                "props": props,
                "related-controls": (!controls.is_empty()).then(|| json!({"control-selections": [control_selection(controls)]})),
            })
        })
        .collect();
    let task = json!({
        "uuid": u("task"),
        "type": "action",
        "title": format!("onus audit of {}", audit.target),
        "description": format!("Read the state of {} and run every check against the model `{}`.", audit.target, model.id),
        "associated-activities": activities.iter().map(|a| json!({"activity-uuid": a["uuid"], "subjects": subjects})).collect::<Vec<_>>(),
        "subjects": subjects,
    });
    let ssp_resource = u("resource/customer-ssp");
    let mut back = plan.back_matter();
    if let Some(r) = back["resources"].as_array_mut() {
        r.push(crate::common::embedded(
            &ssp_resource,
            &format!("Customer system on {}: system security plan", model.service),
            "The customer's SSP as onus exports it (`onus export MODEL --to oscal-customer-ssp`): the system assessed, whose statements the findings point to.",
            &format!("{}.customer-ssp.json", model.id),
            "application/oscal.ssp+json",
            &crate::ssp::customer_ssp(model, vocab, opts),
        ));
    }
    let doc = json!({"assessment-plan": {
        "uuid": u("plan"),
        "metadata": plan.metadata(format!("Assessment plan: onus checks of {} against {}", audit.target, model.id), opts),
        "import-ssp": {"href": format!("#{ssp_resource}")},
        "local-definitions": {"activities": activities},
        "reviewed-controls": {"control-selections": [selection]},
        "assessment-subjects": subjects,
        "tasks": [task],
        "back-matter": back,
    }});
    let all = selection.get("include-all").is_some();
    keep_include_all(prune(doc), "/assessment-plan", all)
}

/// Puts back the `include-all` (an empty object that must stay) that pruning removed from
/// the `reviewed-controls` of the object at `at`.
fn keep_include_all(mut doc: Value, at: &str, all: bool) -> Value {
    if all {
        if let Some(result) = doc.pointer_mut(at).and_then(Value::as_object_mut) {
            result.insert(
                "reviewed-controls".into(),
                json!({"control-selections": [{"include-all": {}}]}),
            );
        }
    }
    doc
}
