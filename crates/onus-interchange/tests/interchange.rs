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

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn errors_of(m: &Model) -> Vec<String> {
    let l = load_str(
        "imported.yaml",
        &m.to_yaml(),
        Vocabulary::builtin(),
        &Options::default(),
    );
    l.diagnostics
        .iter()
        .filter(|d| d.severity == onus_model::Severity::Error)
        .map(|d| d.to_string())
        .collect()
}

#[test]
fn markdown_with_three_parties_footnotes_and_bad_cells() {
    let got = import::import_path(&fixture("reseller.md"), None).unwrap();
    let m = &got.model;
    let kinds: Vec<(&str, onus_model::PartyKind)> =
        m.parties.iter().map(|p| (p.id.as_str(), p.kind)).collect();
    use onus_model::PartyKind::*;
    assert_eq!(
        kinds,
        [
            ("customer", Customer),
            ("reseller", ThirdParty),
            ("cloud-provider", Provider)
        ]
    );
    assert_eq!(m.activities.len(), 6);
    let sign = m.activity("1.1-r2").unwrap();
    assert_eq!(sign.roles["reseller"], "RA");
    assert_eq!(sign.footnotes.len(), 1);
    assert_eq!(sign.footnotes[0].marker, "*");
    assert_eq!(sign.footnotes[0].party.as_deref(), Some("reseller"));
    assert_eq!(
        sign.footnotes[0].text.get("en"),
        Some("The reseller signs on the customer's behalf under a mandate.")
    );
    assert_eq!(m.activity("1.1-r1").unwrap().roles["customer"], "RA");
    // Unnumbered `2. Operations` holds a table directly.
    assert_eq!(m.activity("2-r1").unwrap().roles["cloud-provider"], "R");
    // `x` is not a role: reported with its place, left empty.
    assert_eq!(got.warnings.len(), 1, "{:#?}", got.warnings);
    let w = &got.warnings[0];
    assert_eq!(
        (w.line, w.column.as_deref(), w.cell.as_deref()),
        (Some(27), Some("Customer"), Some("x"))
    );
    assert_eq!(m.activity("2-r3").unwrap().roles["customer"], "");
    assert!(m
        .activity("2-r1")
        .unwrap()
        .suggested_topics
        .contains(&"version-upgrade".to_string()));
    assert!(errors_of(m).is_empty(), "{:?}", errors_of(m));
}

#[test]
fn csv_with_three_parties_a_title_row_and_a_section_column() {
    let got = import::import_path(&fixture("reseller.csv"), None).unwrap();
    let m = &got.model;
    assert_eq!(m.parties.len(), 3);
    assert_eq!(m.parties[2].kind, onus_model::PartyKind::Provider);
    assert_eq!(
        m.sections.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        ["1.1", "2"]
    );
    assert_eq!(m.activity("2-r2").unwrap().roles["customer"], "RA");
    assert_eq!(
        got.warnings.len(),
        1,
        "the title row is reported: {:#?}",
        got.warnings
    );
    assert_eq!(got.warnings[0].line, Some(1));
    assert!(errors_of(m).is_empty(), "{:?}", errors_of(m));
}

#[test]
fn the_english_seed_imports_with_the_english_roles() {
    let got = import::import_path(&seed("ovhcloud-mks-responsibility-model.en.md"), None).unwrap();
    let want = builtin("ovhcloud-mks-en");
    assert_eq!(got.model.language, "en");
    for (a, b) in got.model.activities.iter().zip(&want.activities) {
        assert_eq!((a.id.as_str(), &a.roles), (b.id.as_str(), &b.roles));
    }
    assert_eq!(got.model.activities.len(), want.activities.len());
}

#[test]
fn bad_input_is_an_error_or_a_warning_never_a_panic() {
    for (name, bytes, f) in [
        (
            "a.md",
            &b"# nothing here\n\njust text"[..],
            import::Format::Markdown,
        ),
        ("a.csv", &b"a,b\n1,2"[..], import::Format::Csv),
        ("a.xlsx", &b"PK\x03\x04 not a zip"[..], import::Format::Xlsx),
        ("a.md", &b"\xff\xfe"[..], import::Format::Markdown),
        (
            "a.md",
            &b"---\nonus-metadata: {id: 3}\n---\n| Activity | Customer |\n|---|---|\n| x | R |\n"[..],
            import::Format::Markdown,
        ),
    ] {
        assert!(import::import_bytes(name, bytes, f).is_err(), "{name}");
    }
}

#[test]
fn the_xlsx_export_has_a_frozen_header_an_autofilter_and_two_sheets() {
    use calamine::Reader;
    let m = builtin("ovhcloud-mks");
    let bytes = export::to_xlsx(&m, "en").unwrap();
    let mut wb: calamine::Xlsx<_> =
        calamine::Xlsx::new(std::io::Cursor::new(bytes.clone())).unwrap();
    assert_eq!(wb.sheet_names(), ["Matrix", "Legend"]);
    let r = wb.worksheet_range("Matrix").unwrap();
    assert_eq!(r.height(), 59);
    let header: Vec<String> = r
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(
        &header[..6],
        [
            "Section",
            "Section title (en)",
            "Section title (fr)",
            "Id",
            "Activity (en)",
            "Activity (fr)"
        ]
    );
    assert!(header.contains(&"Customer".to_string()) && header.contains(&"OVHcloud".to_string()));
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut sheet = String::new();
    std::io::Read::read_to_string(
        &mut zip.by_name("xl/worksheets/sheet1.xml").unwrap(),
        &mut sheet,
    )
    .unwrap();
    assert!(
        sheet.contains("state=\"frozen\"") && sheet.contains("ySplit=\"1\""),
        "frozen header"
    );
    assert!(sheet.contains("<autoFilter ref=\"A1:"), "autofilter");
    assert!(
        sheet.contains("<cols>") && sheet.contains("customWidth=\"1\""),
        "column widths"
    );
    let mut styles = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("xl/styles.xml").unwrap(), &mut styles).unwrap();
    assert!(
        styles.contains("FFD6E6F7"),
        "R cells are coloured (blue: a role, not an alarm)"
    );
}
