//! System security plans: the provider's (what it provides, what it leaves to the customer)
//! and the customer's skeleton that leverages it (what it inherits, what it must satisfy).

use onus_model::{Model, PartyKind, Vocabulary};
use serde_json::{json, Value};

use crate::common::{prune, ControlId, Plan};

/// UUIDs shared by the provider's SSP and the customer's SSP that points into it.
pub(crate) fn provided_uuid(plan: &Plan, control: &ControlId, item: usize) -> String {
    plan.uuid(&format!(
        "ssp/provided/{}/{}",
        control.oscal(),
        plan.items[item].id
    ))
}

pub(crate) fn responsibility_uuid(plan: &Plan, control: &ControlId, item: usize) -> String {
    plan.uuid(&format!(
        "ssp/responsibility/{}/{}",
        control.oscal(),
        plan.items[item].id
    ))
}

pub(crate) fn satisfied_uuid(plan: &Plan, control: &ControlId, item: usize) -> String {
    plan.uuid(&format!(
        "customer-ssp/satisfied/{}/{}",
        control.oscal(),
        plan.items[item].id
    ))
}

fn service_component_uuid(plan: &Plan) -> String {
    plan.uuid("ssp/component/service")
}

fn system_characteristics(
    plan: &Plan,
    name: String,
    description: String,
    state: &str,
    boundary: String,
) -> Value {
    let m = plan.model;
    json!({
        "system-ids": [{"identifier-type": format!("{}/model-id", crate::NS), "id": m.id}],
        "system-name": name,
        "system-name-short": m.id,
        "description": description,
        "system-information": {"information-types": [{
            "uuid": plan.uuid(&format!("{state}/information-type")),
            "title": format!("Customer workloads and data on {}", m.service),
            "description": format!("The applications and data the customer runs on {} by {}. onus does not categorize information: set the impact levels for your system.", m.service, m.provider),
        }]},
        "status": {"state": state},
        "authorization-boundary": {"description": boundary},
    })
}

/// The provider's system-security-plan for the managed service.
///
/// For every control the model's topics map to, one `by-components` entry for the service whose
/// `export.provided` lists what the provider side carries out (R) or answers for (A), and whose
/// `export.responsibilities` lists what is left to the customer, linked to what it depends on
/// with `provided-uuid`.
pub fn provider_ssp(model: &Model, vocab: &Vocabulary) -> Value {
    let plan = Plan::new(model, vocab);
    let provider = plan.names(PartyKind::Provider);
    let customer = plan.names(PartyKind::Customer);
    let title = model.title.best(&model.language);
    let mut reqs = Vec::new();
    for (control, items) in &plan.controls {
        let provided: Vec<Value> = items
            .iter()
            .filter(|&&i| plan.items[i].provided())
            .map(|&i| {
                json!({
                    "uuid": provided_uuid(&plan, control, i),
                    "description": plan.text(i),
                    "props": plan.item_props(i),
                    "responsible-roles": plan.responsible_roles(&plan.items[i].provided_by),
                    "remarks": plan.item_remarks(i),
                })
            })
            .collect();
        let responsibilities: Vec<Value> = items
            .iter()
            .filter(|&&i| plan.items[i].customer_duty())
            .map(|&i| {
                json!({
                    "uuid": responsibility_uuid(&plan, control, i),
                    "provided-uuid": plan.depends_on(control, i, vocab).map(|p| provided_uuid(&plan, control, p)),
                    "description": plan.text(i),
                    "props": plan.item_props(i),
                    "responsible-roles": plan.responsible_roles(&plan.items[i].left_to),
                    "remarks": plan.item_remarks(i),
                })
            })
            .collect();
        let (np, nr) = (provided.len(), responsibilities.len());
        reqs.push(json!({
            "uuid": plan.uuid(&format!("ssp/requirement/{}", control.oscal())),
            "control-id": control.oscal(),
            "by-components": [{
                "component-uuid": service_component_uuid(&plan),
                "uuid": plan.uuid(&format!("ssp/by-component/{}", control.oscal())),
                "description": format!("{}: {np} duties carried out by {provider}, {nr} left to {customer}.", control.label()),
                "export": {
                    "description": format!("What a customer of {} inherits from {provider} for {}, and what remains its own.", model.service, control.label()),
                    "provided": provided,
                    "responsibilities": responsibilities,
                },
            }],
        }));
    }
    let provider_parties: Vec<&str> = model
        .parties
        .iter()
        .filter(|p| p.kind != PartyKind::Customer)
        .map(|p| p.id.as_str())
        .collect();
    let doc = json!({"system-security-plan": {
        "uuid": plan.uuid("ssp"),
        "metadata": plan.metadata(format!("{title}: system security plan of {} ({provider})", model.service)),
        "import-profile": {"href": format!("#{}", plan.catalog_resource_uuid()), "remarks": "NIST SP 800-53 rev. 5, the whole catalog: the controls the model concerns are selected by the implemented requirements."},
        "system-characteristics": system_characteristics(
            &plan,
            model.service.clone(),
            model.description.as_ref().map_or_else(|| title.to_string(), |d| d.best(&model.language).to_string()),
            "operational",
            format!("{} as operated by {provider}. What lies inside the boundary is what `export.provided` lists; what `export.responsibilities` lists is left to {customer}.", model.service),
        ),
        "system-implementation": {"components": [{
            "uuid": service_component_uuid(&plan),
            "type": "this-system",
            "title": model.service,
            "description": format!("{} by {provider}, as a whole.", model.service),
            "status": {"state": "operational"},
            "responsible-roles": plan.responsible_roles(&provider_parties),
        }]},
        "control-implementation": {
            "description": format!("How {provider} and {customer} share the controls of NIST SP 800-53 rev. 5 for {}, from the responsibility model `{}` version {}.", model.service, model.id, model.version),
            "implemented-requirements": reqs,
        },
        "back-matter": plan.back_matter(),
    }});
    prune(doc)
}

/// The customer's system-security-plan skeleton that leverages the provider's: `inherited` for
/// what the provider provides, `satisfied` stubs for each customer responsibility, pointing to
/// the provider SSP's `provided` and `responsibilities` entries by UUID.
pub fn customer_ssp(model: &Model, vocab: &Vocabulary) -> Value {
    let plan = Plan::new(model, vocab);
    let provider = plan.names(PartyKind::Provider);
    let customer = plan.names(PartyKind::Customer);
    let leveraged = plan.uuid("customer-ssp/component/leveraged-service");
    let mut reqs = Vec::new();
    for (control, items) in &plan.controls {
        let inherited: Vec<Value> = items
            .iter()
            .filter(|&&i| plan.items[i].provided())
            .map(|&i| {
                json!({
                    "uuid": plan.uuid(&format!("customer-ssp/inherited/{}/{}", control.oscal(), plan.items[i].id)),
                    "provided-uuid": provided_uuid(&plan, control, i),
                    "description": plan.text(i),
                    "props": plan.item_props(i),
                    "responsible-roles": plan.responsible_roles(&plan.items[i].provided_by),
                })
            })
            .collect();
        let satisfied: Vec<Value> = items
            .iter()
            .filter(|&&i| plan.items[i].customer_duty())
            .map(|&i| {
                json!({
                    "uuid": satisfied_uuid(&plan, control, i),
                    "responsibility-uuid": responsibility_uuid(&plan, control, i),
                    "description": format!("To be completed by {customer}: describe how this is done in your system. Duty: {}", plan.text(i)),
                    "props": plan.item_props(i),
                    "responsible-roles": plan.responsible_roles(&plan.items[i].left_to),
                })
            })
            .collect();
        let state = if satisfied.is_empty() {
            "implemented"
        } else {
            "planned"
        };
        reqs.push(json!({
            "uuid": plan.uuid(&format!("customer-ssp/requirement/{}", control.oscal())),
            "control-id": control.oscal(),
            "by-components": [{
                "component-uuid": leveraged,
                "uuid": plan.uuid(&format!("customer-ssp/by-component/{}", control.oscal())),
                "description": format!("{}: {} inherited from {provider}, {} to be satisfied by {customer}.", control.label(), inherited.len(), satisfied.len()),
                "implementation-status": {"state": state},
                "inherited": inherited,
                "satisfied": satisfied,
            }],
        }));
    }
    let customer_parties: Vec<&str> = model
        .parties
        .iter()
        .filter(|p| p.kind == PartyKind::Customer)
        .map(|p| p.id.as_str())
        .collect();
    let provider_parties: Vec<&str> = model
        .parties
        .iter()
        .filter(|p| p.kind != PartyKind::Customer)
        .map(|p| p.id.as_str())
        .collect();
    let mut leveraged_props =
        vec![json!({"name": "inherited-uuid", "value": service_component_uuid(&plan)})];
    crate::common::push_prop(
        &mut leveraged_props,
        "leveraged-ssp-uuid",
        &plan.uuid("ssp"),
    );
    let doc = json!({"system-security-plan": {
        "uuid": plan.uuid("customer-ssp"),
        "metadata": plan.metadata(format!("Customer system on {} ({provider}): system security plan skeleton", model.service)),
        "import-profile": {"href": format!("#{}", plan.catalog_resource_uuid())},
        "system-characteristics": system_characteristics(
            &plan,
            format!("Customer system on {}", model.service),
            format!("A skeleton written by onus for a system of {customer} that runs on {} by {provider}: replace the stubs with your own descriptions.", model.service),
            "under-development",
            format!("Your system, including what you run on {}; {provider}'s side of the service is inherited.", model.service),
        ),
        "system-implementation": {"components": [
            {
                "uuid": plan.uuid("customer-ssp/component/this-system"),
                "type": "this-system",
                "title": format!("Customer system on {}", model.service),
                "description": "The customer's system as a whole.",
                "status": {"state": "under-development"},
                "responsible-roles": plan.responsible_roles(&customer_parties),
            },
            {
                "uuid": leveraged,
                "type": "service",
                "title": format!("{} ({provider})", model.service),
                "description": format!("{} by {provider}, leveraged by this system. Its provider's SSP is the onus export `oscal-ssp` of the model `{}`.", model.service, model.id),
                "props": leveraged_props,
                "status": {"state": "operational"},
                "responsible-roles": plan.responsible_roles(&provider_parties),
            },
        ]},
        "control-implementation": {
            "description": format!("What {customer} inherits from {provider} and what it must satisfy itself, per NIST SP 800-53 rev. 5 control, from the responsibility model `{}` version {}.", model.id, model.version),
            "implemented-requirements": reqs,
        },
        "back-matter": plan.back_matter(),
    }});
    prune(doc)
}
