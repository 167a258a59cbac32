//! The shipped models load, validate and hold what the issue promises.

use onus_model::{load_str, Options, Severity, Vocabulary, BUILTIN};

fn load(id: &str) -> onus_model::Loaded {
    let (_, text) = BUILTIN.iter().find(|(i, _)| *i == id).unwrap();
    load_str(
        &format!("builtin:{id}"),
        text,
        Vocabulary::builtin(),
        &Options::default(),
    )
}

#[test]
fn every_builtin_model_loads_without_errors() {
    for (id, _) in BUILTIN {
        let l = load(id);
        let errors: Vec<String> = l
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| d.to_string())
            .collect();
        assert!(errors.is_empty(), "{id}: {errors:#?}");
        let m = l.model.unwrap();
        assert_eq!(&m.id, id);
        for a in &m.activities {
            assert!(!a.topics.is_empty(), "{id}/{} has no topic", a.id);
        }
    }
}

#[test]
fn ovhcloud_section_1_1_is_flagged_for_missing_responsible_and_nothing_else() {
    for id in ["ovhcloud-mks", "ovhcloud-mks-en"] {
        let l = load(id);
        let rules: Vec<(&str, String)> = l
            .diagnostics
            .iter()
            .map(|d| (d.rule, d.message.clone()))
            .collect();
        let missing_r: Vec<&String> = rules
            .iter()
            .filter(|(r, _)| *r == "missing-responsible")
            .map(|(_, m)| m)
            .collect();
        assert_eq!(missing_r.len(), 3, "{id}: {rules:#?}");
        for want in ["1.1-r1", "1.1-r2", "1.1-r5"] {
            assert!(
                missing_r.iter().any(|m| m.contains(want)),
                "{id}: {want} not flagged"
            );
        }
        assert_eq!(rules.len(), 3, "{id}: unexpected findings {rules:#?}");
        // Each finding points at the model's text.
        assert!(l
            .diagnostics
            .iter()
            .all(|d| d.span.is_some_and(|s| s.line > 1)));
    }
}

#[test]
fn h8lio_is_clean() {
    let l = load("h8lio");
    assert!(l.diagnostics.is_empty(), "{:#?}", l.diagnostics);
}

#[test]
fn ovhcloud_has_58_rows_in_17_leaf_sections() {
    let m = load("ovhcloud-mks").model.unwrap();
    assert_eq!(m.activities.len(), 58);
    let leaves: std::collections::BTreeSet<&str> =
        m.activities.iter().map(|a| a.section.as_str()).collect();
    assert_eq!(leaves.len(), 17);
    for s in &leaves {
        assert!(m.children(Some(s)).next().is_none(), "{s} is not a leaf");
    }
}

#[test]
fn english_and_french_publications_disagree_on_exactly_two_rows() {
    let fr = load("ovhcloud-mks").model.unwrap();
    let en = load("ovhcloud-mks-en").model.unwrap();
    let differing: Vec<&str> = fr
        .activities
        .iter()
        .zip(&en.activities)
        .filter(|(a, b)| a.roles != b.roles)
        .map(|(a, _)| a.id.as_str())
        .collect();
    assert_eq!(differing, ["3.1.2-r3", "3.1.6-r3"]);
    let a = fr.activity("3.1.2-r3").unwrap();
    assert_eq!(a.roles["customer"], "RA");
    assert_eq!(en.activity("3.1.2-r3").unwrap().roles["ovhcloud"], "RA");
}

#[test]
fn roles_are_stored_in_raci_order() {
    let m = load("ovhcloud-mks").model.unwrap();
    // Published as `IR` for OVHcloud.
    assert_eq!(m.activity("1.1-r4").unwrap().roles["ovhcloud"], "RI");
    assert_eq!(m.activity("3.2.1-r4").unwrap().roles["ovhcloud"], "CI");
}

/// Every shipped model states its source's licence and attribution; each licence of the
/// expression has its text in `LICENSES/` and `REUSE.toml` names the model's file.
#[test]
fn every_builtin_model_states_its_sources_licence() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let reuse = std::fs::read_to_string(root.join("REUSE.toml")).unwrap();
    for (id, _) in BUILTIN {
        let m = load(id).model.unwrap();
        let l = m
            .source
            .license
            .as_deref()
            .unwrap_or_else(|| panic!("{id}: no licence"));
        assert!(onus_model::check_license(l).is_ok(), "{id}: {l}");
        assert!(m.source.attribution.is_some(), "{id}: no attribution");
        for part in l
            .split_whitespace()
            .filter(|p| !matches!(*p, "AND" | "OR" | "WITH"))
        {
            let part = part.trim_matches(['(', ')']);
            assert!(
                root.join(format!("LICENSES/{part}.txt")).is_file(),
                "{id}: LICENSES/{part}.txt is missing"
            );
        }
        assert!(
            reuse.contains(&format!("models/{id}.yaml")),
            "{id} not in REUSE.toml"
        );
    }
}
