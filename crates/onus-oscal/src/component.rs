//! The component-definition of the managed service: for each control and each duty of the
//! model that concerns it, an implemented requirement whose statement names who is responsible.

use onus_model::{Model, PartyKind, Vocabulary};
use serde_json::{json, Value};

use crate::common::{prune, DocOptions, Plan, CATALOG_URL};

/// A component-definition of the service with `responsible-roles` per statement.
///
/// OSCAL allows a `statement-id` once per implemented requirement, so each (control, duty)
/// pair is its own implemented requirement, with one statement carrying the duty's text, its
/// RACI letters as props and the parties responsible (R or A) as `responsible-roles`. The
/// statement is the one the source names (`ac-2_smt.a`, from an activity's `controls`), else
/// the control's whole statement (`ac-2_smt`): topics map to controls, not to their parts.
pub fn component_definition(model: &Model, vocab: &Vocabulary, opts: &DocOptions) -> Value {
    let plan = Plan::new(model, vocab);
    let provider = plan.names(PartyKind::Provider);
    let title = model.title.best(&model.language);
    let mut reqs = Vec::new();
    for (control, placed) in &plan.controls {
        // Duties listed under a control only because a customer duty relies on them belong
        // to the SSPs' `provided` entries, not to the component's own statements.
        for p in placed.iter().filter(|p| !p.by_reliance) {
            let i = p.item;
            let it = &plan.items[i];
            let mut responsible: Vec<&str> = it.provided_by.clone();
            responsible.extend(it.left_to.iter().copied());
            let scope = crate::ssp::scope_id(control, p.statement.as_deref());
            let path = format!("component/{scope}/{}", it.id);
            reqs.push(json!({
                "uuid": plan.uuid(&format!("{path}/requirement")),
                "control-id": control.oscal(),
                "description": plan.text(i),
                "statements": [{
                    "statement-id": p.statement.clone().unwrap_or_else(|| format!("{}_smt", control.oscal())),
                    "uuid": plan.uuid(&format!("{path}/statement")),
                    "description": plan.text(i),
                    "props": plan.item_props(i),
                    "responsible-roles": plan.responsible_roles(&responsible),
                    "remarks": plan.item_remarks(i),
                }],
            }));
        }
    }
    let provider_parties = plan.parties_of(|k| k != PartyKind::Customer);
    let doc = json!({"component-definition": {
        "uuid": plan.uuid("component-definition"),
        "metadata": plan.metadata(format!("{title}: component definition of {} ({provider})", model.service), opts),
        "components": [{
            "uuid": plan.uuid("component/service"),
            "type": "service",
            "title": model.service,
            "description": model.description.as_ref().map_or_else(|| format!("{} by {provider}.", model.service), |d| d.best(&model.language).to_string()),
            "purpose": format!("Who does what between {provider} and its customers on {}.", model.service),
            "responsible-roles": plan.responsible_roles(&provider_parties),
            "control-implementations": [{
                "uuid": plan.uuid("component/control-implementation"),
                "source": CATALOG_URL,
                "description": format!("The duties of the responsibility model `{}` version {}, per NIST SP 800-53 rev. 5 control.", model.id, model.version),
                "implemented-requirements": reqs,
            }],
        }],
        "back-matter": plan.back_matter(),
    }});
    prune(doc)
}
