//! Matrices in the shapes providers publish them (the fixtures under `tests/fixtures/`, each
//! written for onus in the shape of a real document; see their headers): each imports into a
//! model that loads without errors, with the findings the published matrix has, and every
//! row it could not interpret is reported with its place.

use onus_interchange::{export, import};
use onus_model::{load_str, Model, Options, PartyKind, Severity, Vocabulary};

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Rule names of the findings, and the errors, of a model once written and read back.
fn findings(m: &Model) -> (Vec<&'static str>, Vec<String>) {
    let l = load_str(
        "imported.yaml",
        &m.to_yaml(),
        Vocabulary::builtin(),
        &Options::default(),
    );
    let errors = l
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.to_string())
        .collect();
    (l.diagnostics.iter().map(|d| d.rule).collect(), errors)
}

fn count(rules: &[&str], rule: &str) -> usize {
    rules.iter().filter(|r| **r == rule).count()
}

fn kinds(m: &Model) -> Vec<(&str, PartyKind)> {
    m.parties.iter().map(|p| (p.id.as_str(), p.kind)).collect()
}

#[test]
fn ovhcloud_public_cloud_cells_ai_ra_and_ri_are_kept_as_published() {
    let got = import::import_path(&fixture("ovhcloud-public-cloud-instances.en.md"), None).unwrap();
    let m = &got.model;
    assert!(got.warnings.is_empty(), "{:#?}", got.warnings);
    assert_eq!(m.activities.len(), 16);
    let a = m.activity("2.1-r1").unwrap();
    assert_eq!(
        (a.roles["customer"].as_str(), a.roles["ovhcloud"].as_str()),
        ("AI", "RA")
    );
    let a = m.activity("2.1-r2").unwrap();
    assert_eq!(
        (a.roles["customer"].as_str(), a.roles["ovhcloud"].as_str()),
        ("RI", "A")
    );
    assert_eq!(m.activity("3.1.1-r3").unwrap().roles["customer"], "RI");
    assert_eq!(m.published.as_deref(), Some("2024-02-12"));
    let (rules, errors) = findings(m);
    assert!(errors.is_empty(), "{errors:#?}");
    // 2.1-r1 and 3.2-r2 (`AI | RA`); 3.1.1-r3 (`RI |`) has R without A.
    assert_eq!(count(&rules, "multiple-accountable"), 2, "{rules:?}");
    assert_eq!(count(&rules, "missing-accountable"), 1, "{rules:?}");
}

#[test]
fn cloud_temple_star_list_items_are_the_footnotes_of_star_marked_cells() {
    let got = import::import_path(&fixture("cloud-temple-kubernetes-raci.fr.md"), None).unwrap();
    let m = &got.model;
    assert!(got.warnings.is_empty(), "{:#?}", got.warnings);
    assert_eq!(m.language, "fr");
    assert_eq!(
        kinds(m),
        [
            ("customer", PartyKind::Customer),
            ("cloud-temple", PartyKind::Provider)
        ]
    );
    let a = m.activity("mise-en-service-r3").unwrap();
    assert_eq!(a.roles["customer"], "RA");
    assert_eq!(a.footnotes.len(), 1);
    assert_eq!(a.footnotes[0].marker, "*");
    assert_eq!(a.footnotes[0].party.as_deref(), Some("customer"));
    assert!(a.footnotes[0]
        .text
        .get("fr")
        .unwrap()
        .starts_with("Avec l'assistance de Cloud Temple"));
    // The same `*` under the next table has that table's own text.
    let a = m.activity("exploitation-r2").unwrap();
    assert_eq!(a.footnotes[0].party.as_deref(), Some("cloud-temple"));
    assert!(a.footnotes[0]
        .text
        .get("fr")
        .unwrap()
        .starts_with("Selon le calendrier"));
    let (_, errors) = findings(m);
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn rosa_owners_in_words_become_roles_with_three_parties() {
    let got = import::import_path(&fixture("rosa-responsibility-matrix.adoc"), None).unwrap();
    let m = &got.model;
    assert_eq!(
        kinds(m),
        [
            ("customer", PartyKind::Customer),
            ("red-hat", PartyKind::Provider),
            ("aws", PartyKind::ThirdParty)
        ]
    );
    // 14 resources × 5 areas; attributes substituted in titles.
    assert_eq!(m.activities.len(), 70);
    assert_eq!(
        m.title.get("en"),
        Some("Responsibility assignment matrix for ROSA")
    );
    assert_eq!(m.published.as_deref(), Some("2024-05-02"));
    let areas: Vec<&str> = m
        .children(Some("overview-of-responsibilities-for-rosa"))
        .map(|s| s.id.as_str())
        .collect();
    assert_eq!(
        areas,
        [
            "incident-and-operations-management",
            "change-management",
            "access-and-identity-authorization",
            "security-and-regulation-compliance",
            "disaster-recovery"
        ]
    );
    let logging_change = m
        .activities_in("change-management")
        .find(|a| a.text.get("en") == Some("Logging"))
        .unwrap();
    assert_eq!(logging_change.roles["red-hat"], "RA");
    assert_eq!(logging_change.roles["customer"], "RA");
    assert_eq!(logging_change.roles["aws"], "");
    let hw = m
        .activities_in("disaster-recovery")
        .find(|a| a.text.get("en") == Some("Hardware and AWS global infrastructure"))
        .unwrap();
    assert_eq!(hw.roles["aws"], "RA");
    // The mapping from words to letters is stated in the model.
    let note = m.roles.note.as_ref().unwrap().get("en").unwrap();
    assert!(
        note.contains("Red Hat and customer") || note.contains("\"X and Y\""),
        "{note}"
    );
    // The `include::` is reported with its line, not silently dropped.
    assert_eq!(got.warnings.len(), 1, "{:#?}", got.warnings);
    assert_eq!(got.warnings[0].line, Some(45));
    assert!(got.warnings[0].message.contains("include::"));
    let (rules, errors) = findings(m);
    assert!(errors.is_empty(), "{errors:#?}");
    // Every "Red Hat and customer" cell: 15 of them.
    assert_eq!(count(&rules, "multiple-accountable"), 15, "{rules:?}");
}

#[test]
fn osd_shared_means_provider_and_customer_and_a_second_provider_is_a_third_party() {
    let got = import::import_path(&fixture("osd-responsibility-matrix.adoc"), None).unwrap();
    let m = &got.model;
    assert!(got.warnings.is_empty(), "{:#?}", got.warnings);
    assert_eq!(
        kinds(m),
        [
            ("customer", PartyKind::Customer),
            ("red-hat", PartyKind::Provider),
            ("cloud-provider", PartyKind::ThirdParty)
        ]
    );
    let logging = m
        .activities_in("change-management")
        .find(|a| a.text.get("en") == Some("Logging"))
        .unwrap();
    assert_eq!(
        (
            logging.roles["red-hat"].as_str(),
            logging.roles["customer"].as_str()
        ),
        ("RA", "RA")
    );
    // The footnote of a cell that spans several lines of the source.
    let net = m
        .activities_in("change-management")
        .find(|a| a.text.get("en") == Some("Cluster networking"))
        .unwrap();
    assert_eq!(net.footnotes.len(), 1);
    assert!(net.footnotes[0]
        .text
        .get("en")
        .unwrap()
        .starts_with("The customer chooses"));
    let (_, errors) = findings(m);
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn a_saved_html_page_reads_like_its_markdown() {
    let got = import::import_path(&fixture("ovhcloud-managed-databases.en.html"), None).unwrap();
    let m = &got.model;
    assert_eq!(m.language, "en");
    assert_eq!(m.published.as_deref(), Some("2024-03-18"));
    assert_eq!(
        m.roles.letters[0].definition.get("en"),
        Some("Is in charge of carrying out the process")
    );
    let a = m.activity("2.1-r2").unwrap();
    assert_eq!(
        (a.roles["customer"].as_str(), a.roles["ovhcloud"].as_str()),
        ("AI", "RA")
    );
    assert_eq!(a.footnotes[0].marker, "1");
    assert_eq!(a.footnotes[0].party.as_deref(), Some("ovhcloud"));
    assert_eq!(
        m.activity("1.1-r2").unwrap().text.get("en"),
        Some("Choose the service plan\n(number of nodes, backups)")
    );
    // `maybe` is not a role: reported at its line, with its column.
    assert_eq!(got.warnings.len(), 1, "{:#?}", got.warnings);
    let w = &got.warnings[0];
    assert_eq!(
        (w.line, w.column.as_deref(), w.cell.as_deref()),
        (Some(47), Some("OVHcloud"), Some("maybe"))
    );
    let (rules, errors) = findings(m);
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(count(&rules, "multiple-accountable"), 1);
}

#[test]
fn caiq_ssrm_ownership_becomes_roles_per_ccm_question() {
    let got = import::import_path(&fixture("caiq-v4.xlsx"), None).unwrap();
    let m = &got.model;
    assert_eq!(
        kinds(m),
        [
            ("csp", PartyKind::Provider),
            ("csc", PartyKind::Customer),
            ("third-party", PartyKind::ThirdParty)
        ]
    );
    assert_eq!(m.activities.len(), 13);
    let roles = |id: &str| {
        let a = m.activity(id).unwrap();
        (
            a.roles["csp"].clone(),
            a.roles["csc"].clone(),
            a.roles["third-party"].clone(),
        )
    };
    let s = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
    assert_eq!(roles("A&A-01.1"), s("RA", "", ""));
    assert_eq!(roles("BCR-08.2"), s("", "RA", ""));
    assert_eq!(roles("BCR-08.1"), s("RA", "RA", ""));
    assert_eq!(roles("DCS-07.1"), s("A", "", "R"));
    assert_eq!(roles("DCS-09.1"), s("RA", "", "R"));
    assert_eq!(roles("STA-01.1"), s("", "", ""));
    let a = m.activity("BCR-08.1").unwrap();
    assert_eq!(a.controls[0].catalog, "ccm-v4");
    assert_eq!(a.controls[0].id, "BCR-08");
    assert_eq!(a.section, m.activity("BCR-08.2").unwrap().section);
    let csc = a
        .footnotes
        .iter()
        .find(|f| f.party.as_deref() == Some("csc"))
        .unwrap();
    assert_eq!(csc.marker, "responsibilities");
    assert!(a
        .notes
        .iter()
        .any(|n| n.get("en") == Some("SSRM Control Ownership: Shared CSP and CSC")));
    // Two rows could not be interpreted: each named by sheet and cell.
    let refs: Vec<String> = got.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(refs.len(), 2, "{refs:#?}");
    assert!(
        refs[0].contains("[CAIQv4.0.3!D14]") && refs[0].contains("`Partly`"),
        "{}",
        refs[0]
    );
    assert!(refs[1].contains("[CAIQv4.0.3!D15]"), "{}", refs[1]);
    let (rules, errors) = findings(m);
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(count(&rules, "multiple-accountable"), 3);
}

#[test]
fn fedramp_cis_and_crm_join_per_control_statement_and_go_back_out() {
    let got = import::import_path(&fixture("fedramp-cis-crm.xlsx"), None).unwrap();
    let m = &got.model;
    let roles = |m: &Model, id: &str| {
        let a = m.activity(id).unwrap_or_else(|| panic!("{id}"));
        ["csp", "customer", "leveraged"].map(|p| a.roles.get(p).cloned().unwrap_or_default())
    };
    assert_eq!(roles(m, "ac-1"), ["RA", "", ""]);
    assert_eq!(roles(m, "ac-2_smt.a"), ["RA", "RA", ""]);
    assert_eq!(roles(m, "ac-2_smt.b"), ["", "RA", ""]);
    assert_eq!(roles(m, "ac-2.1"), ["RA", "", ""]);
    assert_eq!(roles(m, "ia-2.1"), ["", "RA", ""]);
    assert_eq!(roles(m, "pe-3_smt.a"), ["", "", "RA"]);
    // Only in the CRM: roles from "Partial".
    assert_eq!(roles(m, "ma-2"), ["RA", "RA", ""]);
    let a = m.activity("ac-2_smt.a").unwrap();
    assert!(a
        .text
        .get("en")
        .unwrap()
        .starts_with("The CSP manages operator accounts"));
    assert_eq!(a.controls[0].id, "ac-2_smt.a");
    let w: Vec<String> = got.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(w.len(), 3, "{w:#?}");
    assert!(w[0].contains("[Moderate CIS Worksheet!A17]") && w[0].contains("XX-9"));
    assert!(w[1].contains("[Moderate CIS Worksheet]:10") && w[1].contains("CM-6 (a)"));
    assert!(w[2].contains("[Moderate CRM Worksheet!B14]") && w[2].contains("Maybe"));
    let (_, errors) = findings(m);
    assert!(errors.is_empty(), "{errors:#?}");

    // Out and in again: the same roles per statement, the same texts.
    let bytes = export::to_fedramp(m, Vocabulary::builtin(), "en").unwrap();
    let back = import::import_bytes("back.xlsx", &bytes, import::Format::Xlsx).unwrap();
    for a in &m.activities {
        let b = back
            .model
            .activity(&a.id)
            .unwrap_or_else(|| panic!("{}", a.id));
        assert_eq!(roles(m, &a.id), roles(&back.model, &b.id), "{}", a.id);
        assert_eq!(a.text, b.text, "{}", a.id);
        assert_eq!(a.notes, b.notes, "{}", a.id);
    }
    assert_eq!(back.model.activities.len(), m.activities.len());
}

#[test]
fn every_published_shape_survives_the_flat_export_and_import() {
    for name in [
        "ovhcloud-public-cloud-instances.en.md",
        "cloud-temple-kubernetes-raci.fr.md",
        "rosa-responsibility-matrix.adoc",
        "osd-responsibility-matrix.adoc",
        "ovhcloud-managed-databases.en.html",
        "caiq-v4.xlsx",
        "fedramp-cis-crm.xlsx",
    ] {
        let mut m = import::import_path(&fixture(name), None).unwrap().model;
        m.source.license = Some("LicenseRef-Test".into());
        let lang = m.language.clone();
        let csv = export::to_csv(&m, &lang);
        let back = import::import_bytes("x.csv", csv.as_bytes(), import::Format::Csv).unwrap();
        for (a, b) in m.activities.iter().zip(&back.model.activities) {
            assert_eq!(a, b, "{name} csv");
        }
        assert_eq!(back.model, m, "{name} csv");
        let xlsx = export::to_xlsx(&m, &lang).unwrap();
        let back = import::import_bytes("x.xlsx", &xlsx, import::Format::Xlsx).unwrap();
        assert_eq!(back.model, m, "{name} xlsx");
        let md = export::to_markdown(&m, &lang);
        assert!(md.contains("Source licence: LicenseRef-Test"), "{name}");
        let back = import::import_bytes("x.md", md.as_bytes(), import::Format::Markdown).unwrap();
        assert_eq!(back.model.activities.len(), m.activities.len(), "{name} md");
    }
}
