//! Every OSCAL document onus writes is valid by NIST's schema and by onus's referential checks;
//! exports are stable; exports read back give the model's parties, texts and letters.

use std::sync::OnceLock;

use onus_model::{load_str, Model, Options, Vocabulary, BUILTIN};
use onus_oscal::{
    assessment_results, check, check_with, import, Audit, Check, CheckStatus, Evidence, Export,
    FailingItem, Severity,
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

fn models() -> Vec<Model> {
    BUILTIN
        .iter()
        .map(|(id, text)| {
            let l = load_str(id, text, Vocabulary::builtin(), &Options::default());
            l.model.unwrap_or_else(|| panic!("{id} loads"))
        })
        .collect()
}

fn errors(findings: &[onus_oscal::Finding]) -> Vec<&onus_oscal::Finding> {
    findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
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
        let ssp = Export::Ssp.document(&m, vocab);
        for (name, e) in Export::ALL {
            let doc = e.document(&m, vocab);
            let errs = schema_errors(&doc);
            assert!(
                errs.is_empty(),
                "{} {name}: schema errors:\n{}",
                m.id,
                errs.join("\n")
            );
            let refs = check_with(&doc, &[&ssp]);
            assert!(refs.is_empty(), "{} {name}: {refs:#?}", m.id);
            assert!(errors(&check(&doc)).is_empty(), "{} {name}", m.id);
        }
    }
}

#[test]
fn the_schema_check_rejects_broken_documents() {
    let m = &models()[0];
    let mut doc = onus_oscal::provider_ssp(m, Vocabulary::builtin());
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
    let ssp = onus_oscal::provider_ssp(&m, vocab);
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
    // Parties and roles are declared.
    let md = &ssp["system-security-plan"]["metadata"];
    assert_eq!(md["parties"].as_array().unwrap().len(), m.parties.len());
    assert_eq!(md["roles"].as_array().unwrap().len(), m.parties.len());
    assert_eq!(md["oscal-version"], "1.2.2");
    assert_eq!(md["last-modified"], "2023-07-06T00:00:00Z");
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
            assert_eq!(obs["subjects"][0]["type"], "party");
            assert_eq!(obs["subjects"][0]["subject-uuid"], party.as_str());
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
            assert!(obs.get("subjects").is_none(), "{}", m.id);
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
            let a = onus_oscal::to_json(&e.document(&m, vocab));
            let b = onus_oscal::to_json(&e.document(&m.clone(), vocab));
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
            let doc = Export::from_name(name).unwrap().document(&m, vocab);
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
            let doc = Export::from_name(name).unwrap().document(&m, vocab);
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
        }
    }
}
