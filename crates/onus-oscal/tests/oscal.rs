//! Every OSCAL document onus writes is valid by NIST's schema and by onus's referential checks;
//! exports are stable; exports read back give the model's parties, texts and letters.

use std::sync::OnceLock;

use onus_model::{load_str, Model, Options, Vocabulary, BUILTIN};
use onus_oscal::{
    assessment_results, check, check_with, import, Audit, Check, CheckStatus, DocOptions, Evidence,
    Export, FailingItem,
};
use serde_json::Value;

/// `../shared/` beside the repository (CI clones the repository with it alongside).
const SCHEMA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/standards/oscal_complete_schema-1.2.2.json"
);
const EXAMPLES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/standards/examples"
);

fn validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        let text = std::fs::read_to_string(SCHEMA)
            .expect("the OSCAL schema is in ../shared/standards beside the repository");
        let schema: Value = serde_json::from_str(&text).unwrap();
        jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .expect("the OSCAL schema compiles")
    })
}

fn schema_errors(doc: &Value) -> Vec<String> {
    validator()
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .take(20)
        .collect()
}

/// The document date every test writes: the library never reads the clock.
const WHEN: &str = "2025-01-31T10:00:00Z";

fn opts() -> DocOptions {
    DocOptions::at(WHEN)
}

/// The documents a resource embeds, decoded.
fn embedded(doc: &Value, uuid: &str) -> Value {
    use base64::Engine as _;
    let root = doc.as_object().unwrap().values().next().unwrap();
    let r = root["back-matter"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["uuid"] == uuid)
        .unwrap_or_else(|| panic!("no resource {uuid}"));
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(r["base64"]["value"].as_str().unwrap())
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn fragment(v: &Value) -> &str {
    v.as_str().unwrap().strip_prefix('#').unwrap()
}

fn model(id: &str) -> Model {
    models().into_iter().find(|m| m.id == id).unwrap()
}

fn models() -> Vec<Model> {
    BUILTIN
        .iter()
        .map(|(id, text)| {
            let l = load_str(id, text, Vocabulary::builtin(), &Options::default());
            l.model.unwrap_or_else(|| panic!("{id} loads"))
        })
        .collect()
}

fn audit() -> Audit {
    Audit {
        title: "onus audit of prod".into(),
        target: "prod".into(),
        start: "2025-01-31T10:00:00Z".into(),
        end: Some("2025-01-31T10:00:05Z".into()),
        checks: vec![
            Check {
                id: "backup-schedules".into(),
                title: "Persistent volumes are backed up".into(),
                status: CheckStatus::Fail,
                message: "2 of 5 persistent volumes have no backup schedule".into(),
                topics: vec!["backup".into()],
                activities: vec![],
                evidence: vec![Evidence {
                    description: "velero schedules listed".into(),
                    href: None,
                }],
                failing: vec![FailingItem {
                    item: "shop/pvc/db".into(),
                    reason: "no schedule".into(),
                    parties: vec!["customer".into()],
                }],
            },
            Check {
                id: "rbac".into(),
                title: "No cluster-admin binding to users".into(),
                status: CheckStatus::Pass,
                message: String::new(),
                topics: vec![],
                activities: vec!["3.1.2-r1".into()],
                evidence: vec![],
                failing: vec![],
            },
            Check {
                id: "skipped".into(),
                title: "Skipped".into(),
                status: CheckStatus::Skip,
                message: "no access".into(),
                topics: vec!["logging".into()],
                activities: vec![],
                evidence: vec![],
                failing: vec![],
            },
        ],
    }
}

#[test]
fn every_export_is_valid_by_schema_and_references() {
    let vocab = Vocabulary::builtin();
    for m in models() {
        let ssp = Export::Ssp.document(&m, vocab, &opts());
        for (name, e) in Export::ALL {
            let doc = e.document(&m, vocab, &opts());
            let errs = schema_errors(&doc);
            assert!(
                errs.is_empty(),
                "{} {name}: schema errors:\n{}",
                m.id,
                errs.join("\n")
            );
            let refs = check_with(&doc, &[&ssp]);
            assert!(refs.is_empty(), "{} {name}: {refs:#?}", m.id);
            // The customer SSP embeds the provider's: its references resolve on their own.
            assert_eq!(check(&doc), vec![], "{} {name}", m.id);
        }
    }
}

#[test]
fn the_schema_check_rejects_broken_documents() {
    let m = &models()[0];
    let mut doc = onus_oscal::provider_ssp(m, Vocabulary::builtin(), &opts());
    assert!(schema_errors(&doc).is_empty());
    doc["system-security-plan"]["metadata"]["roles"] = serde_json::json!([]);
    doc["system-security-plan"]["uuid"] = "not-a-uuid".into();
    assert!(!schema_errors(&doc).is_empty());
    let rules: Vec<&str> = check(&doc).iter().map(|f| f.rule).collect();
    assert!(
        rules.contains(&"empty-array") && rules.contains(&"unknown-role"),
        "{rules:?}"
    );
}

#[test]
fn provider_ssp_shares_each_control() {
    let vocab = Vocabulary::builtin();
    let m = models()
        .into_iter()
        .find(|m| m.id == "ovhcloud-mks-en")
        .unwrap();
    let ssp = onus_oscal::provider_ssp(&m, vocab, &opts());
    let reqs = ssp["system-security-plan"]["control-implementation"]["implemented-requirements"]
        .as_array()
        .unwrap();
    // Backups are the customer's alone in this model.
    let cp9 = reqs
        .iter()
        .find(|r| r["control-id"] == "cp-9")
        .expect("backup maps to CP-9");
    assert!(cp9["by-components"][0]["export"].get("provided").is_none());
    assert!(cp9["by-components"][0]["export"]["responsibilities"]
        .as_array()
        .is_some_and(|a| !a.is_empty()));
    // Version upgrades are shared: SI-2 has both sides.
    let si2 = reqs
        .iter()
        .find(|r| r["control-id"] == "si-2")
        .expect("upgrades map to SI-2");
    let export = &si2["by-components"][0]["export"];
    assert!(export["provided"].as_array().is_some_and(|a| !a.is_empty()));
    assert!(export["responsibilities"]
        .as_array()
        .is_some_and(|a| !a.is_empty()));
    // RACI letters are props in onus's namespace.
    let props = export["provided"][0]["props"].as_array().unwrap();
    assert!(props
        .iter()
        .any(|p| p["ns"] == onus_oscal::NS
            && p["name"].as_str().is_some_and(|n| n.starts_with("raci-"))));
    // At least one responsibility depends on something provided.
    let linked = reqs
        .iter()
        .flat_map(|r| {
            r["by-components"][0]["export"]["responsibilities"]
                .as_array()
                .into_iter()
                .flatten()
        })
        .filter(|r| r.get("provided-uuid").is_some())
        .count();
    assert!(linked > 0);
    // Parties (the vendors) and functional roles are declared.
    let md = &ssp["system-security-plan"]["metadata"];
    assert_eq!(md["parties"].as_array().unwrap().len(), m.parties.len());
    assert_eq!(md["oscal-version"], "1.2.2");
    // The document's date, not the model's; the model's is a prop.
    assert_eq!(md["last-modified"], WHEN);
    assert!(md.get("published").is_none());
    assert!(md["props"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "model-published" && p["value"] == "2023-07-06"));
}

#[test]
fn assessment_results_are_valid() {
    let vocab = Vocabulary::builtin();
    for m in models() {
        let ar = assessment_results(&m, vocab, &audit());
        let errs = schema_errors(&ar);
        assert!(
            errs.is_empty(),
            "{}: schema errors:\n{}",
            m.id,
            errs.join("\n")
        );
        assert_eq!(check(&ar), vec![], "{}", m.id);
        let result = &ar["assessment-results"]["results"][0];
        assert_eq!(result["observations"].as_array().unwrap().len(), 3);
        let findings = result["findings"].as_array().unwrap();
        assert!(findings
            .iter()
            .any(|f| f["target"]["target-id"] == "cp-9_smt"
                && f["target"]["status"]["state"] == "not-satisfied"));
        // The failing item's party, when the model has it, is the observation's subject and
        // is tied to the item by a prop group.
        let obs = &result["observations"][0];
        if m.party("customer").is_some() {
            let party = onus_oscal::stable_uuid(&m.id, "party/customer");
            let subject = obs["subjects"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["type"] == "party")
                .unwrap();
            assert_eq!(subject["subject-uuid"], party.as_str());
            let props = obs["props"].as_array().unwrap();
            let group = |name: &str| {
                props
                    .iter()
                    .find(|p| p["name"] == name)
                    .map(|p| p["group"].clone())
            };
            assert_eq!(group("failing-item"), group("party-id"));
            assert!(obs["remarks"]
                .as_str()
                .unwrap()
                .contains("(to fix: customer)"));
        } else {
            // No such party: only the failing item is a subject.
            let subjects = obs["subjects"].as_array().unwrap();
            assert!(
                subjects.iter().all(|s| s["type"] == "inventory-item"),
                "{}",
                m.id
            );
        }
    }
    // No check tied to a control: every control is reviewed.
    let m = &models()[0];
    let mut a = audit();
    a.checks.truncate(0);
    let ar = assessment_results(m, vocab, &a);
    assert!(schema_errors(&ar).is_empty());
}

#[test]
fn exports_are_stable() {
    let vocab = Vocabulary::builtin();
    for m in models() {
        for (name, e) in Export::ALL {
            let a = onus_oscal::to_json(&e.document(&m, vocab, &opts()));
            let b = onus_oscal::to_json(&e.document(&m.clone(), vocab, &opts()));
            assert_eq!(a, b, "{} {name}", m.id);
        }
        assert_eq!(
            assessment_results(&m, vocab, &audit()),
            assessment_results(&m, vocab, &audit())
        );
    }
}

#[test]
fn exports_read_back_into_the_model() {
    let vocab = Vocabulary::builtin();
    for m in models() {
        for name in ["oscal-ssp", "oscal-component"] {
            let doc = Export::from_name(name)
                .unwrap()
                .document(&m, vocab, &opts());
            let back = import(&doc, vocab)
                .unwrap_or_else(|e| panic!("{} {name}: {e}", m.id))
                .model;
            assert_eq!(back.id, m.id);
            assert_eq!(back.title, m.title);
            let ids = |ps: &[onus_model::Party]| {
                ps.iter()
                    .map(|p| (p.id.clone(), p.kind, p.name.clone()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(ids(&back.parties), ids(&m.parties), "{} {name}", m.id);
            // Every activity mapped to a control comes back with its texts and letters.
            for a in &back.activities {
                let orig = m
                    .activity(&a.id)
                    .unwrap_or_else(|| panic!("{} {name}: unknown activity {}", m.id, a.id));
                assert_eq!(a.text, orig.text, "{} {name} {}", m.id, a.id);
                assert_eq!(a.roles, orig.roles, "{} {name} {}", m.id, a.id);
                assert_eq!(a.section, orig.section);
                assert_eq!(a.source, orig.source);
            }
            let exported: usize = m
                .activities
                .iter()
                .filter(|a| {
                    a.topics
                        .iter()
                        .any(|t| vocab.topic(t).is_some_and(|t| !t.controls.is_empty()))
                })
                .filter(|a| a.roles.values().any(|l| l.contains('R') || l.contains('A')))
                .count();
            assert_eq!(back.activities.len(), exported, "{} {name}", m.id);
            // The imported model loads and validates without errors.
            let yaml = back.to_yaml();
            let l = load_str("imported.yaml", &yaml, vocab, &Options::default());
            assert!(!l.has_errors(), "{} {name}: {:#?}", m.id, l.diagnostics);
        }
    }
}

fn example(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(format!("{EXAMPLES}/{name}")).unwrap()).unwrap()
}

#[test]
fn nist_examples_pass_schema_and_references() {
    for name in ["nist-ssp-example.json", "nist-leveraged-ssp.json"] {
        let doc = example(name);
        let errs = schema_errors(&doc);
        assert!(errs.is_empty(), "{name}: {}", errs.join("\n"));
        let found = check(&doc);
        assert_eq!(found, vec![], "{name}");
        let back = import(&doc, Vocabulary::builtin()).unwrap();
        assert!(!back.model.activities.is_empty(), "{name}");
        assert!(!back.model.parties.is_empty(), "{name}");
        if name == "nist-leveraged-ssp.json" {
            // The role that provides is the provider; the one responsibilities name, the customer.
            let kinds: Vec<(&str, onus_model::PartyKind)> = back
                .model
                .parties
                .iter()
                .map(|p| (p.id.as_str(), p.kind))
                .collect();
            assert_eq!(
                kinds,
                vec![
                    ("customer", onus_model::PartyKind::Customer),
                    ("poc-for-customers", onus_model::PartyKind::Provider)
                ]
            );
        }
    }
}

#[test]
fn a_round_trip_keeps_the_model_whole_and_reads_edits_from_the_document() {
    let vocab = Vocabulary::builtin();
    let json = |m: &Model| serde_json::to_value(m).unwrap();
    for m in models() {
        for name in ["oscal-ssp", "oscal-component"] {
            let doc = Export::from_name(name)
                .unwrap()
                .document(&m, vocab, &opts());
            // Sections (tree, order, titles in every language), roles, layers, statements
            // no control carries: the model comes back as it went out.
            let back = import(&doc, vocab).unwrap().model;
            assert_eq!(json(&back), json(&m), "{} {name}", m.id);
            // The document stays authoritative for the responsibilities: a letter edited in
            // it is imported.
            let mut edited = doc.clone();
            let text = serde_json::to_string(&edited).unwrap();
            let (from, to) = if m.id == "h8lio" {
                (
                    r#""name":"raci-user","ns":"https://onus.dev/ns/oscal","value":"RA""#,
                    r#""name":"raci-user","ns":"https://onus.dev/ns/oscal","value":"R""#,
                )
            } else {
                (
                    r#""name":"raci-customer","ns":"https://onus.dev/ns/oscal","value":"RA""#,
                    r#""name":"raci-customer","ns":"https://onus.dev/ns/oscal","value":"R""#,
                )
            };
            assert!(text.contains(from), "{} {name}: no {from}", m.id);
            edited = serde_json::from_str(&text.replacen(from, to, 1)).unwrap();
            let back = import(&edited, vocab).unwrap().model;
            assert_ne!(json(&back), json(&m), "{} {name}: the edit is lost", m.id);
            assert_eq!(back.sections.len(), m.sections.len());
            // Without onus's back-matter resource (another tool's document), the structure is
            // rebuilt from the statements, as before.
            let mut bare = doc.clone();
            let root = bare.as_object_mut().unwrap().values_mut().next().unwrap();
            root["back-matter"]["resources"]
                .as_array_mut()
                .unwrap()
                .retain(|r| r["base64"].is_null());
            let rebuilt = import(&bare, vocab).unwrap().model;
            assert!(rebuilt.sections.iter().all(|s| s.parent.is_none()));
            // The parties come back from the document's parties, not its functional roles.
            let parties = |ps: &[onus_model::Party]| {
                ps.iter()
                    .map(|p| (p.id.clone(), p.kind, p.name.clone()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(
                parties(&rebuilt.parties),
                parties(&m.parties),
                "{} {name}",
                m.id
            );
        }
    }
}

/// Every responsibility of a provider SSP, with the `activity-id` of what it relies on.
fn responsibilities(ssp: &Value) -> Vec<(String, String, Option<String>, Value)> {
    let provided_by_uuid = |bc: &Value, u: &str| -> Option<String> {
        bc["export"]["provided"]
            .as_array()?
            .iter()
            .find(|p| p["uuid"] == u)
            .and_then(activity_id)
    };
    let mut out = Vec::new();
    for ir in ssp["system-security-plan"]["control-implementation"]["implemented-requirements"]
        .as_array()
        .unwrap()
    {
        let mut bcs: Vec<(&str, &Value)> = Vec::new();
        let control = ir["control-id"].as_str().unwrap();
        for bc in ir["by-components"].as_array().into_iter().flatten() {
            bcs.push((control, bc));
        }
        for st in ir["statements"].as_array().into_iter().flatten() {
            for bc in st["by-components"].as_array().into_iter().flatten() {
                bcs.push((st["statement-id"].as_str().unwrap(), bc));
            }
        }
        for (scope, bc) in bcs {
            for r in bc["export"]["responsibilities"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let on = r["provided-uuid"]
                    .as_str()
                    .and_then(|u| provided_by_uuid(bc, u));
                out.push((scope.to_string(), activity_id(r).unwrap(), on, r.clone()));
            }
        }
    }
    out
}

fn activity_id(entry: &Value) -> Option<String> {
    entry["props"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == "activity-id" || p["name"] == "statement-id")
        .and_then(|p| p["value"].as_str())
        .map(str::to_string)
}

#[test]
fn responsibilities_rely_on_what_the_model_says_not_on_position() {
    let vocab = Vocabulary::builtin();
    let m = model("ovhcloud-mks");
    let ssp = onus_oscal::provider_ssp(&m, vocab, &opts());
    let resp = responsibilities(&ssp);
    let on = |scope: &str, id: &str| {
        resp.iter()
            .find(|(s, a, _, _)| s == scope && a == id)
            .unwrap_or_else(|| panic!("no responsibility {id} under {scope}"))
    };
    // Before: sa-4 "Choose the service location" relied on "Decide which Kubernetes version
    // to use", ca-7 "Monitor the backup policy" on "Monitor the service's performance".
    for (scope, id) in [
        ("sa-4", "1.1-r3"),
        ("ca-7", "3.1.3-r6"),
        ("cp-9", "3.1.1-r3"),
    ] {
        let (_, _, provided, r) = on(scope, id);
        assert_eq!(
            provided, &None,
            "{id} under {scope} relies on nothing provided"
        );
        assert!(
            r["remarks"]
                .as_str()
                .is_some_and(|s| s.contains("Relies on no capability")),
            "{id} under {scope} says so: {r}"
        );
    }
    // Reviewed reliances, with their why.
    let (_, _, provided, r) = on("si-2", "3.1.6-r6");
    assert_eq!(provided.as_deref(), Some("3.1.6-r5"));
    assert!(r["remarks"]
        .as_str()
        .unwrap()
        .starts_with("Relies on `3.1.6-r5`"));
    assert!(r["remarks"].as_str().unwrap().contains("OVHcloud fournit"));
    assert_eq!(on("sc-5", "3.1.3-r3").2.as_deref(), Some("3.2.2-r4"));
    // A reliance across controls: the capability is listed where the duty needs it.
    assert_eq!(on("sa-9", "2.2-r1").2.as_deref(), Some("3.1.1-r1"));
    // Every link is one the model states: the same (shared) duty or a reliance.
    for (scope, id, provided, _) in &resp {
        if let Some(p) = provided {
            let reviewed = m
                .audit
                .relies_on
                .iter()
                .any(|r| &r.activity == id && &r.capability == p);
            assert!(reviewed || p == id, "{id} under {scope} relies on {p}");
        }
    }
    // How many responsibilities rely on something provided (before: 51 of 124, some wrong).
    let linked = resp.iter().filter(|r| r.2.is_some()).count();
    assert_eq!((linked, resp.len()), (60, 124));

    // h8lio: the evidence links say it too. The user's configuration uses TLS on its Ingress
    // hosts (`tls.ingress-cert`, host-without-tls); Byzaneo's TLS system provides it.
    let m = model("h8lio");
    let ssp = onus_oscal::provider_ssp(&m, vocab, &opts());
    let resp = responsibilities(&ssp);
    let (_, _, provided, r) = resp
        .iter()
        .find(|(_, a, p, _)| a == "applications.apps.configuration" && p.is_some())
        .expect("the configuration relies on the TLS system");
    assert_eq!(provided.as_deref(), Some("networking.network.tls"));
    assert!(r["remarks"].as_str().unwrap().contains("tls.ingress-cert"));
    assert!(resp.iter().any(|(s, a, p, _)| s == "cp-9"
        && a == "data.volumes.backup"
        && p.as_deref() == Some("data.provider.snapshots")));
}

#[test]
fn every_by_component_says_its_implementation_status() {
    let vocab = Vocabulary::builtin();
    for m in models() {
        for e in [Export::Ssp, Export::CustomerSsp] {
            let doc = e.document(&m, vocab, &opts());
            let text = serde_json::to_value(&doc).unwrap();
            let mut n = 0;
            let mut walk = vec![&text];
            while let Some(v) = walk.pop() {
                match v {
                    Value::Object(o) => {
                        if let Some(bcs) = o.get("by-components").and_then(Value::as_array) {
                            for bc in bcs {
                                n += 1;
                                let state = bc["implementation-status"]["state"].as_str();
                                let export = &bc["export"];
                                let expected = if e == Export::CustomerSsp {
                                    if bc.get("satisfied").is_some() {
                                        "planned"
                                    } else {
                                        "implemented"
                                    }
                                } else if export.get("provided").is_some() {
                                    "implemented"
                                } else {
                                    // Only responsibilities: nothing of it is the service's.
                                    "not-applicable"
                                };
                                assert_eq!(state, Some(expected), "{} {e:?}: {bc}", m.id);
                            }
                        }
                        walk.extend(o.values());
                    }
                    Value::Array(a) => walk.extend(a),
                    _ => {}
                }
            }
            assert!(n > 0);
        }
    }
}

#[test]
fn roles_are_functions_and_vendors_are_parties() {
    let vocab = Vocabulary::builtin();
    for m in models() {
        for (name, e) in Export::ALL {
            let doc = e.document(&m, vocab, &opts());
            let md = &doc.as_object().unwrap().values().next().unwrap()["metadata"];
            let roles: Vec<&str> = md["roles"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_str().unwrap())
                .collect();
            assert_eq!(roles, ["provider", "customer"], "{} {name}", m.id);
            let provider = m
                .parties
                .iter()
                .find(|p| p.kind == onus_model::PartyKind::Provider)
                .unwrap();
            let party = md["parties"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["short-name"] == provider.id.as_str())
                .unwrap();
            assert_eq!(party["type"], "organization");
            assert_eq!(party["name"], provider.name.best(&m.language));
            assert_eq!(md["responsible-parties"][0]["role-id"], "provider");
            assert_eq!(
                md["responsible-parties"][0]["party-uuids"][0],
                party["uuid"]
            );
        }
    }
}

#[test]
fn the_customer_ssp_leverages_the_provider_authorization() {
    let vocab = Vocabulary::builtin();
    for m in models() {
        let doc = onus_oscal::customer_ssp(&m, vocab, &opts());
        let ssp = &doc["system-security-plan"];
        let la = &ssp["system-implementation"]["leveraged-authorizations"][0];
        let provider = m
            .parties
            .iter()
            .find(|p| p.kind == onus_model::PartyKind::Provider)
            .unwrap();
        assert_eq!(
            la["party-uuid"],
            onus_oscal::stable_uuid(&m.id, &format!("party/{}", provider.id)).as_str()
        );
        assert_eq!(la["date-authorized"], m.published.clone().unwrap().as_str());
        let link = &la["links"][0];
        assert_eq!(link["rel"], "system-security-plan");
        // The link resolves to the provider's SSP, embedded as `oscal-ssp` writes it.
        let provider_ssp = embedded(&doc, fragment(&link["href"]));
        assert_eq!(
            provider_ssp,
            onus_oscal::provider_ssp(&m, vocab, &opts()),
            "{}",
            m.id
        );
        // The leveraged component: external, tied to the authorization by OSCAL's props.
        let components = ssp["system-implementation"]["components"]
            .as_array()
            .unwrap();
        let leveraged = components.iter().find(|c| c["type"] == "service").unwrap();
        let prop = |name: &str| {
            leveraged["props"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == name && p.get("ns").is_none())
                .map(|p| p["value"].clone())
        };
        assert_eq!(prop("implementation-point"), Some("external".into()));
        assert_eq!(
            prop("leveraged-authorization-uuid"),
            Some(la["uuid"].clone())
        );
        assert_eq!(
            prop("inherited-uuid"),
            Some(
                provider_ssp["system-security-plan"]["system-implementation"]["components"][0]
                    ["uuid"]
                    .clone()
            )
        );
        assert!(!serde_json::to_string(&doc)
            .unwrap()
            .contains("leveraged-ssp-uuid"));
        // Inherited on the leveraged service, satisfied on the customer's own system.
        let this_system = components
            .iter()
            .find(|c| c["type"] == "this-system")
            .unwrap();
        let (mut inherited, mut satisfied) = (0, 0);
        for ir in ssp["control-implementation"]["implemented-requirements"]
            .as_array()
            .unwrap()
        {
            for bc in ir["by-components"].as_array().into_iter().flatten() {
                if bc["component-uuid"] == leveraged["uuid"] {
                    assert!(bc.get("satisfied").is_none());
                    inherited += bc["inherited"].as_array().unwrap().len();
                } else {
                    assert_eq!(bc["component-uuid"], this_system["uuid"]);
                    assert!(bc.get("inherited").is_none());
                    satisfied += bc["satisfied"].as_array().unwrap().len();
                }
            }
        }
        assert!(inherited > 0 && satisfied > 0, "{}", m.id);
        // Every reference resolves against the embedded SSP, without being given it.
        assert_eq!(check(&doc), vec![], "{}", m.id);
        let mut broken = doc.clone();
        broken["system-security-plan"]["system-implementation"]["components"][1]["props"][1]
            ["value"] = "00000000-0000-4000-8000-000000000000".into();
        let rules: Vec<&str> = check(&broken).iter().map(|f| f.rule).collect();
        assert!(
            rules.contains(&"unknown-leveraged-authorization"),
            "{rules:?}"
        );
    }
}

#[test]
fn duties_tied_to_a_statement_are_exported_at_statement_level() {
    let vocab = Vocabulary::builtin();
    let mut m = model("ovhcloud-mks");
    // As the FedRAMP CIS/CRM import writes it: the source names the statement.
    let a = m
        .activities
        .iter_mut()
        .find(|a| a.id == "3.1.2-r3")
        .unwrap();
    a.controls = vec![onus_model::ControlRef {
        catalog: "sp800-53".into(),
        id: "ac-2_smt.a".into(),
    }];
    let ssp = onus_oscal::provider_ssp(&m, vocab, &opts());
    let ac2 = ssp["system-security-plan"]["control-implementation"]["implemented-requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["control-id"] == "ac-2")
        .unwrap();
    let st = &ac2["statements"][0];
    assert_eq!(st["statement-id"], "ac-2_smt.a");
    let resp = &st["by-components"][0]["export"]["responsibilities"][0];
    assert_eq!(activity_id(resp).as_deref(), Some("3.1.2-r3"));
    // The other duties of AC-2 stay at control level: topics map to controls, not parts.
    assert!(ac2["by-components"][0]["export"]["provided"]
        .as_array()
        .is_some());
    let cdef = onus_oscal::component_definition(&m, vocab, &opts());
    let text = serde_json::to_string(&cdef).unwrap();
    assert!(text.contains(r#""statement-id":"ac-2_smt.a""#));
    for doc in [ssp, onus_oscal::customer_ssp(&m, vocab, &opts()), cdef] {
        assert!(schema_errors(&doc).is_empty(), "{:?}", schema_errors(&doc));
        assert_eq!(check(&doc), vec![]);
    }
    // A statement of another control is refused by the referential checks.
    let mut broken = onus_oscal::provider_ssp(&m, vocab, &opts());
    let reqs = broken["system-security-plan"]["control-implementation"]["implemented-requirements"]
        .as_array_mut()
        .unwrap();
    let ac2 = reqs.iter_mut().find(|r| r["control-id"] == "ac-2").unwrap();
    ac2["statements"][0]["statement-id"] = "ac-3_smt.a".into();
    let rules: Vec<&str> = check(&broken).iter().map(|f| f.rule).collect();
    assert!(rules.contains(&"foreign-statement"), "{rules:?}");
}

#[test]
fn assessment_results_import_a_plan_that_imports_the_customer_ssp() {
    let vocab = Vocabulary::builtin();
    let m = model("ovhcloud-mks");
    let mut a = audit();
    a.checks[1].activities = vec!["3.1.2-r3".into()];
    a.checks[0].activities = vec!["3.1.1-r3".into()];
    let ar = assessment_results(&m, vocab, &a);
    let body = &ar["assessment-results"];
    // import-ap names a resource holding the plan onus followed.
    let ap = embedded(&ar, fragment(&body["import-ap"]["href"]));
    assert!(schema_errors(&ap).is_empty(), "{:?}", schema_errors(&ap));
    let ssp = embedded(&ap, fragment(&ap["assessment-plan"]["import-ssp"]["href"]));
    assert!(schema_errors(&ssp).is_empty());
    assert_eq!(
        ssp,
        onus_oscal::customer_ssp(&m, vocab, &DocOptions::at("2025-01-31T10:00:05Z"))
    );
    let ssp_text = serde_json::to_string(&ssp).unwrap();
    // Findings point to the customer system's statement in that SSP.
    let findings = body["results"][0]["findings"].as_array().unwrap();
    let mut pointed = 0;
    for f in findings {
        if let Some(u) = f["implementation-statement-uuid"].as_str() {
            assert!(ssp_text.contains(u), "{f}");
            pointed += 1;
        }
    }
    assert!(pointed > 0);
    // The failing item is an inventory item, the observation's subject, with its party.
    let result = &body["results"][0];
    let item = &result["local-definitions"]["inventory-items"][0];
    assert_eq!(
        item["props"][0],
        serde_json::json!({"name": "asset-id", "value": "shop/pvc/db"})
    );
    assert_eq!(item["responsible-parties"][0]["role-id"], "customer");
    let obs = &result["observations"][0];
    assert_eq!(obs["subjects"][0]["type"], "inventory-item");
    assert_eq!(obs["subjects"][0]["subject-uuid"], item["uuid"]);
    assert_eq!(obs["subjects"][1]["type"], "party");
    // Every reference resolves, through the plan to the SSP: no finding, no note.
    assert_eq!(check(&ar), vec![]);
    let mut broken = ar.clone();
    broken["assessment-results"]["results"][0]["findings"][0]["implementation-statement-uuid"] =
        "00000000-0000-4000-8000-000000000000".into();
    broken["assessment-results"]["results"][0]["observations"][0]["subjects"][0]["subject-uuid"] =
        "00000000-0000-4000-8000-000000000001".into();
    let rules: Vec<&str> = check(&broken).iter().map(|f| f.rule).collect();
    assert!(rules.contains(&"unresolved-statement"), "{rules:?}");
    assert!(rules.contains(&"unknown-subject"), "{rules:?}");
}
