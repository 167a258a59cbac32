//! The component-definition of the managed service: for each control and each duty of the
//! model that concerns it, an implemented requirement whose statement names who is responsible.

use onus_model::{Model, PartyKind, Vocabulary};
use serde_json::{json, Value};

use crate::common::{prune, Plan, CATALOG_URL};

/// A component-definition of the service with `responsible-roles` per statement.
///
/// OSCAL allows a `statement-id` once per implemented requirement, so each (control, duty)
/// pair is its own implemented requirement, with one statement (`<control>_smt`) carrying the
/// duty's text, its RACI letters as props and the parties responsible (R or A) as
/// `responsible-roles`.
pub fn component_definition(model: &Model, vocab: &Vocabulary) -> Value {
    let plan = Plan::new(model, vocab);
    let provider = plan.names(PartyKind::Provider);
    let title = model.title.best(&model.language);
    let mut reqs = Vec::new();
    for (control, items) in &plan.controls {
        for &i in items {
            let it = &plan.items[i];
            let mut responsible: Vec<&str> = it.provided_by.clone();
            responsible.extend(it.left_to.iter().copied());
            let path = format!("component/{}/{}", control.oscal(), it.id);
            reqs.push(json!({
                "uuid": plan.uuid(&format!("{path}/requirement")),
                "control-id": control.oscal(),
                "description": plan.text(i),
                "statements": [{
                    "statement-id": format!("{}_smt", control.oscal()),
                    "uuid": plan.uuid(&format!("{path}/statement")),
                    "description": plan.text(i),
                    "props": plan.item_props(i),
                    "responsible-roles": plan.responsible_roles(&responsible),
                    "remarks": plan.item_remarks(i),
                }],
            }));
        }
    }
    let provider_parties: Vec<&str> = model
        .parties
        .iter()
        .filter(|p| p.kind != PartyKind::Customer)
        .map(|p| p.id.as_str())
        .collect();
    let doc = json!({"component-definition": {
        "uuid": plan.uuid("component-definition"),
        "metadata": plan.metadata(format!("{title}: component definition of {} ({provider})", model.service)),
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
