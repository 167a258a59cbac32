//! Import, export and round trips on the shipped models and the published seeds.

use onus_interchange::{export, import};
use onus_model::{load_str, Model, Options, Vocabulary, BUILTIN};

fn builtin(id: &str) -> Model {
    let (_, text) = BUILTIN.iter().find(|(i, _)| *i == id).unwrap();
    load_str(id, text, Vocabulary::builtin(), &Options::default())
        .model
        .unwrap()
}

fn seed(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/seeds")
        .join(name)
}

#[test]
fn markdown_import_of_the_french_seed_reproduces_every_role_of_the_shipped_model() {
    let got = import::import_path(&seed("ovhcloud-mks-responsibility-model.fr.md"), None).unwrap();
    let want = builtin("ovhcloud-mks");
    let m = &got.model;
    assert_eq!(m.activities.len(), 58, "{:#?}", got.warnings);
    for (a, b) in m.activities.iter().zip(&want.activities) {
        assert_eq!(a.id, b.id);
        assert_eq!(a.section, b.section);
        assert_eq!(a.roles, b.roles, "{}", a.id);
        assert_eq!(a.text.get("fr"), b.text.get("fr"), "{}", a.id);
        assert_eq!(a.source, b.source, "{}", a.id);
    }
    let sec: Vec<(&str, Option<&str>)> = m
        .sections
        .iter()
        .map(|s| (s.id.as_str(), s.parent.as_deref()))
        .collect();
    let want_sec: Vec<(&str, Option<&str>)> = want
        .sections
        .iter()
        .map(|s| (s.id.as_str(), s.parent.as_deref()))
        .collect();
    assert_eq!(sec, want_sec);
    assert_eq!(
        m.parties
            .iter()
            .map(|p| (p.id.as_str(), p.kind))
            .collect::<Vec<_>>(),
        want.parties
            .iter()
            .map(|p| (p.id.as_str(), p.kind))
            .collect::<Vec<_>>()
    );
    assert_eq!(m.language, "fr");
    assert_eq!(m.published.as_deref(), Some("2023-07-06"));
    assert_eq!(m.provider, "OVHcloud");
    // The legend table gave the definitions.
    assert_eq!(
        m.roles.letters[0].definition.get("fr"),
        Some("Est en charge de la Réalisation du processus")
    );
    for a in &m.activities {
        assert!(a.topics.is_empty());
    }
    assert!(
        m.activities
            .iter()
            .filter(|a| !a.suggested_topics.is_empty())
            .count()
            > 40
    );
    assert!(got.warnings.is_empty(), "{:#?}", got.warnings);
}

#[test]
fn every_shipped_model_survives_export_and_import() {
    for (id, _) in BUILTIN {
        let m = builtin(id);
        for lang in ["fr", "en"] {
            let md = export::to_markdown(&m, lang);
            let back =
                import::import_bytes("x.md", md.as_bytes(), import::Format::Markdown).unwrap();
            assert_eq!(back.model, m, "{id} md {lang}");
            assert!(back.warnings.is_empty(), "{id} md: {:#?}", back.warnings);
            let csv = export::to_csv(&m, lang);
            let back = import::import_bytes("x.csv", csv.as_bytes(), import::Format::Csv).unwrap();
            assert_eq!(back.model, m, "{id} csv {lang}");
            assert!(back.warnings.is_empty(), "{id} csv: {:#?}", back.warnings);
            let xlsx = export::to_xlsx(&m, lang).unwrap();
            let back = import::import_bytes("x.xlsx", &xlsx, import::Format::Xlsx).unwrap();
            assert_eq!(back.model, m, "{id} xlsx {lang}");
            assert!(back.warnings.is_empty(), "{id} xlsx: {:#?}", back.warnings);
        }
    }
}
