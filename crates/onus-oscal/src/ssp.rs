//! System security plans: the provider's (what it provides, what it leaves to the customer)
//! and the customer's skeleton that leverages it (what it inherits, what it must satisfy).
//!
//! Both follow NIST's leveraged/leveraging examples: each control (or each statement of it,
//! where the source names the statement) has a `by-components` entry per component that
//! takes part. In the provider's SSP, the service (`this-system`) exports what it provides
//! and what it leaves to its customers; a responsibility names the capability it relies on
//! (`provided-uuid`) only where the model says so. In the customer's SSP, the leveraged
//! service (`implementation-point: external`, tied to a `leveraged-authorizations` entry)
//! carries what is inherited, and the customer's own system what it satisfies itself.

use onus_model::{Model, PartyKind, Vocabulary};
use serde_json::{json, Value};

use crate::common::{prune, push_prop, Basis, ControlId, DocOptions, Placed, Plan};

/// Where a duty stands in an SSP: a control (`cp-9`) or one of its statements (`ac-2_smt.a`).
pub(crate) fn scope_id(control: &ControlId, statement: Option<&str>) -> String {
    statement.map_or_else(|| control.oscal(), str::to_string)
}

/// UUIDs shared by the provider's SSP and the customer's SSP that points into it.
pub(crate) fn provided_uuid(plan: &Plan, scope: &str, item: usize) -> String {
    plan.uuid(&format!("ssp/provided/{scope}/{}", plan.items[item].id))
}

pub(crate) fn responsibility_uuid(plan: &Plan, scope: &str, item: usize) -> String {
    plan.uuid(&format!(
        "ssp/responsibility/{scope}/{}",
        plan.items[item].id
    ))
}

pub(crate) fn satisfied_uuid(plan: &Plan, scope: &str, item: usize) -> String {
    plan.uuid(&format!(
        "customer-ssp/satisfied/{scope}/{}",
        plan.items[item].id
    ))
}

/// The customer system's `by-components` entry of a control or statement: the implementation
/// statement an assessment's findings point to.
pub(crate) fn customer_statement_uuid(plan: &Plan, scope: &str) -> String {
    plan.uuid(&format!("customer-ssp/by-component/this-system/{scope}"))
}

pub(crate) fn service_component_uuid(plan: &Plan) -> String {
    plan.uuid("ssp/component/service")
}

fn leveraged_authorization_uuid(plan: &Plan) -> String {
    plan.uuid("customer-ssp/leveraged-authorization")
}

fn provider_ssp_resource_uuid(plan: &Plan) -> String {
    plan.uuid("customer-ssp/resource/provider-ssp")
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

/// A statement of an implemented requirement: its id and uuid.
fn statement(plan: &Plan, doc: &str, id: &str, by_components: Vec<Value>) -> Value {
    json!({
        "statement-id": id,
        "uuid": plan.uuid(&format!("{doc}/statement/{id}")),
        "by-components": by_components,
    })
}

/// An implemented requirement from its control-level `by-components` and its statements.
fn requirement(
    plan: &Plan,
    doc: &str,
    control: &ControlId,
    scopes: Vec<(Option<&str>, Vec<Value>)>,
) -> Value {
    let mut by_components = Vec::new();
    let mut statements = Vec::new();
    for (s, bcs) in scopes {
        if bcs.is_empty() {
            continue;
        }
        match s {
            None => by_components.extend(bcs),
            Some(id) => statements.push(statement(plan, doc, id, bcs)),
        }
    }
    json!({
        "uuid": plan.uuid(&format!("{doc}/requirement/{}", control.oscal())),
        "control-id": control.oscal(),
        "by-components": by_components,
        "statements": statements,
    })
}

/// The words a responsibility's remarks use for what it relies on, or for relying on nothing.
fn reliance_remarks(plan: &Plan, link: Option<(usize, Basis)>, provider: &str) -> String {
    match link {
        Some((_, Basis::SameDuty)) => {
            format!("A shared duty: {provider} carries out its part of the same duty.")
        }
        Some((q, Basis::Reviewed(why))) => format!(
            "Relies on `{}` ({}): {}",
            plan.items[q].id,
            plan.text(q),
            why.best(plan.lang()).trim()
        ),
        Some((q, Basis::Evidence(check))) => format!(
            "Relies on `{}` ({}): the check `{check}` sees what this duty uses and that one provides.",
            plan.items[q].id,
            plan.text(q)
        ),
        None => format!(
            "Relies on no capability {provider} provides: the model ties this duty to none, so it is the customer's alone."
        ),
    }
}

fn join_remarks(parts: &[Option<String>]) -> Option<String> {
    let parts: Vec<&str> = parts.iter().flatten().map(String::as_str).collect();
    (!parts.is_empty()).then(|| parts.join("\n\n"))
}

/// The provider's system-security-plan for the managed service.
///
/// For every control the model's topics map to (and every statement the source names), one
/// `by-components` entry for the service whose `export.provided` lists what the provider side
/// carries out (R) or answers for (A), and whose `export.responsibilities` lists what is left
/// to the customer, each naming the capability it relies on (`provided-uuid`) where the model
/// says so: the same duty shared, a reviewed `audit.relies_on`, or evidence links.
pub fn provider_ssp(model: &Model, vocab: &Vocabulary, opts: &DocOptions) -> Value {
    let plan = Plan::new(model, vocab);
    let provider = plan.names(PartyKind::Provider);
    let customer = plan.names(PartyKind::Customer);
    let title = model.title.best(&model.language);
    let mut reqs = Vec::new();
    for control in plan.controls.keys() {
        let mut scopes = Vec::new();
        for (stmt, placed) in plan.scopes(control) {
            let scope = scope_id(control, stmt);
            let label = stmt.unwrap_or(&control.label()).to_string();
            let provided: Vec<Value> = placed
                .iter()
                .filter(|p| plan.items[p.item].provided())
                .map(|p| {
                    let i = p.item;
                    let why_here = p.by_reliance.then(|| {
                        format!("Listed under {label} because a customer duty under it relies on this capability.")
                    });
                    json!({
                        "uuid": provided_uuid(&plan, &scope, i),
                        "description": plan.text(i),
                        "props": plan.item_props(i),
                        "responsible-roles": plan.responsible_roles(&plan.items[i].provided_by),
                        "remarks": join_remarks(&[plan.item_remarks(i), why_here]),
                    })
                })
                .collect();
            let responsibilities: Vec<Value> = placed
                .iter()
                .filter(|p| !p.by_reliance && plan.items[p.item].customer_duty())
                .map(|p| {
                    let i = p.item;
                    let link = plan.relies_on(control, stmt, i);
                    json!({
                        "uuid": responsibility_uuid(&plan, &scope, i),
                        "provided-uuid": link.map(|(q, _)| provided_uuid(&plan, &scope, q)),
                        "description": plan.text(i),
                        "props": plan.item_props(i),
                        "responsible-roles": plan.responsible_roles(&plan.items[i].left_to),
                        "remarks": join_remarks(&[plan.item_remarks(i), Some(reliance_remarks(&plan, link, &provider))]),
                    })
                })
                .collect();
            let (np, nr) = (provided.len(), responsibilities.len());
            // The service's own state for this control: what it provides is in place; where
            // it provides nothing, the control does not apply to it and falls to the customer.
            let status = if np > 0 {
                json!({"state": "implemented", "remarks": if nr > 0 {
                    format!("{provider} carries out what `export.provided` lists; {nr} responsibilities are left to {customer}.")
                } else {
                    format!("{provider} carries out what `export.provided` lists; nothing is left to {customer}.")
                }})
            } else {
                json!({"state": "not-applicable", "remarks": format!("{provider} provides nothing under {label}: the model leaves it to {customer}, whose {nr} responsibilities `export.responsibilities` lists.")})
            };
            let bc = json!({
                "component-uuid": service_component_uuid(&plan),
                "uuid": plan.uuid(&format!("ssp/by-component/{scope}")),
                "description": format!("{label}: {np} duties carried out by {provider}, {nr} left to {customer}."),
                "implementation-status": status,
                "export": {
                    "description": format!("What a customer of {} inherits from {provider} for {label}, and what remains its own.", model.service),
                    "provided": provided,
                    "responsibilities": responsibilities,
                },
            });
            scopes.push((stmt, vec![bc]));
        }
        reqs.push(requirement(&plan, "ssp", control, scopes));
    }
    let provider_parties = plan.parties_of(|k| k != PartyKind::Customer);
    let doc = json!({"system-security-plan": {
        "uuid": plan.uuid("ssp"),
        "metadata": plan.metadata(format!("{title}: system security plan of {} ({provider})", model.service), opts),
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
            "props": [{"name": "implementation-point", "value": "internal"}],
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

/// The customer's system-security-plan skeleton that leverages the provider's.
///
/// `system-implementation.leveraged-authorizations` names the provider's authorization (its
/// party, a date, and a `system-security-plan` link to the provider's SSP, embedded in the
/// back-matter); the leveraged service is a component with `implementation-point: external`
/// and the `leveraged-authorization-uuid` and `inherited-uuid` props. Per control (or
/// statement), the leveraged service's `by-components` entry lists what is `inherited`
/// (`provided-uuid` into the provider's SSP), and the customer system's own entry lists, as
/// `satisfied` stubs, each responsibility left to it (`responsibility-uuid`), to complete.
pub fn customer_ssp(model: &Model, vocab: &Vocabulary, opts: &DocOptions) -> Value {
    let plan = Plan::new(model, vocab);
    let provider = plan.names(PartyKind::Provider);
    let customer = plan.names(PartyKind::Customer);
    let leveraged = plan.uuid("customer-ssp/component/leveraged-service");
    let this_system = plan.uuid("customer-ssp/component/this-system");
    let mut reqs = Vec::new();
    for control in plan.controls.keys() {
        let mut scopes = Vec::new();
        for (stmt, placed) in plan.scopes(control) {
            let scope = scope_id(control, stmt);
            let label = stmt.unwrap_or(&control.label()).to_string();
            let mut bcs = Vec::new();
            let inherited: Vec<Value> = placed
                .iter()
                .filter(|p| plan.items[p.item].provided())
                .map(|p| {
                    let i = p.item;
                    json!({
                        "uuid": plan.uuid(&format!("customer-ssp/inherited/{scope}/{}", plan.items[i].id)),
                        "provided-uuid": provided_uuid(&plan, &scope, i),
                        "description": plan.text(i),
                        "props": plan.item_props(i),
                        "responsible-roles": plan.responsible_roles(&plan.items[i].provided_by),
                    })
                })
                .collect();
            if !inherited.is_empty() {
                bcs.push(json!({
                    "component-uuid": leveraged,
                    "uuid": plan.uuid(&format!("customer-ssp/by-component/{scope}")),
                    "description": format!("{label}: {} capabilities inherited from {provider}.", inherited.len()),
                    "implementation-status": {"state": "implemented", "remarks": format!("Inherited from {provider}'s authorization (see `leveraged-authorizations`).")},
                    "inherited": inherited,
                }));
            }
            let own: Vec<&&Placed> = placed
                .iter()
                .filter(|p| !p.by_reliance && plan.items[p.item].customer_duty())
                .collect();
            let satisfied: Vec<Value> = own
                .iter()
                .map(|p| {
                    let i = p.item;
                    let link = plan.relies_on(control, stmt, i);
                    json!({
                        "uuid": satisfied_uuid(&plan, &scope, i),
                        "responsibility-uuid": responsibility_uuid(&plan, &scope, i),
                        "description": format!("To be completed by {customer}: describe how your system does this. Duty: {}", plan.text(i)),
                        "props": plan.item_props(i),
                        "responsible-roles": plan.responsible_roles(&plan.items[i].left_to),
                        "remarks": reliance_remarks(&plan, link, &provider),
                    })
                })
                .collect();
            if !satisfied.is_empty() {
                bcs.push(json!({
                    "component-uuid": this_system,
                    "uuid": customer_statement_uuid(&plan, &scope),
                    "description": format!("{label}: {} responsibilities {customer} carries out itself. To be completed: how this system does each.", satisfied.len()),
                    "implementation-status": {"state": "planned", "remarks": "onus writes the duties the model leaves to the customer; describe how your system meets each, then set the status."},
                    "satisfied": satisfied,
                }));
            }
            scopes.push((stmt, bcs));
        }
        reqs.push(requirement(&plan, "customer-ssp", control, scopes));
    }
    let customer_parties = plan.parties_of(|k| k == PartyKind::Customer);
    let provider_parties = plan.parties_of(|k| k != PartyKind::Customer);
    let provider_party = plan.parties_of(|k| k == PartyKind::Provider);
    let authorizer = provider_party
        .first()
        .or(provider_parties.first())
        .map(|p| plan.party_uuid(p));
    let published = model
        .published
        .as_deref()
        .filter(|p| crate::common::is_date(p))
        .map_or_else(
            || opts.last_modified.get(..10).unwrap_or("").to_string(),
            str::to_string,
        );
    let mut leveraged_props = vec![
        json!({"name": "implementation-point", "value": "external"}),
        json!({"name": "leveraged-authorization-uuid", "value": leveraged_authorization_uuid(&plan)}),
        json!({"name": "inherited-uuid", "value": service_component_uuid(&plan)}),
    ];
    push_prop(&mut leveraged_props, "model-id", &model.id);
    // The provider's SSP, as `oscal-ssp` writes it, so that the link resolves and every
    // `provided-uuid` and `responsibility-uuid` can be checked against it.
    let provider_doc = provider_ssp(model, vocab, opts);
    let mut back = plan.back_matter();
    if let Some(r) = back["resources"].as_array_mut() {
        r.push(crate::common::embedded(
            &provider_ssp_resource_uuid(&plan),
            &format!("System security plan of {} ({provider})", model.service),
            "The provider's SSP this system leverages, as onus exports it (`onus export MODEL --to oscal-ssp`): `inherited` and `satisfied` entries point into it.",
            &format!("{}.ssp.json", model.id),
            "application/oscal.ssp+json",
            &provider_doc,
        ));
    }
    let doc = json!({"system-security-plan": {
        "uuid": plan.uuid("customer-ssp"),
        "metadata": plan.metadata(format!("Customer system on {} ({provider}): system security plan skeleton", model.service), opts),
        "import-profile": {"href": format!("#{}", plan.catalog_resource_uuid())},
        "system-characteristics": system_characteristics(
            &plan,
            format!("Customer system on {}", model.service),
            format!("A skeleton written by onus for a system of {customer} that runs on {} by {provider}: replace the stubs with your own descriptions.", model.service),
            "under-development",
            format!("Your system, including what you run on {}; {provider}'s side of the service is inherited.", model.service),
        ),
        "system-implementation": {
            "leveraged-authorizations": [{
                "uuid": leveraged_authorization_uuid(&plan),
                "title": format!("{} ({provider})", model.service),
                "links": [{
                    "href": format!("#{}", provider_ssp_resource_uuid(&plan)),
                    "rel": "system-security-plan",
                    "media-type": "application/oscal.ssp+json",
                    "text": format!("System security plan of {} ({provider})", model.service),
                }],
                "party-uuid": authorizer,
                "date-authorized": published,
                "remarks": format!("The date is the publication of {provider}'s responsibility model (`{}` version {}); onus does not know when your authorizing official accepted the service: replace it with that date.", model.id, model.version),
            }],
            "components": [
                {
                    "uuid": this_system,
                    "type": "this-system",
                    "title": format!("Customer system on {}", model.service),
                    "description": "The customer's system as a whole.",
                    "props": [{"name": "implementation-point", "value": "internal"}],
                    "status": {"state": "under-development"},
                    "responsible-roles": plan.responsible_roles(&customer_parties),
                },
                {
                    "uuid": leveraged,
                    "type": "service",
                    "title": format!("{} ({provider})", model.service),
                    "description": format!("{} by {provider}, leveraged by this system.", model.service),
                    "props": leveraged_props,
                    "status": {"state": "operational"},
                    "responsible-roles": plan.responsible_roles(&provider_parties),
                },
            ],
        },
        "control-implementation": {
            "description": format!("What {customer} inherits from {provider} and what it must satisfy itself, per NIST SP 800-53 rev. 5 control, from the responsibility model `{}` version {}.", model.id, model.version),
            "implemented-requirements": reqs,
        },
        "back-matter": back,
    }});
    prune(doc)
}
