//! The shipped models say what the published documents say.
//!
//! Reads the source documents in `../shared/seeds/` (beside the repository) and proves that
//! every OVHcloud activity row is present with its exact text and roles, in both
//! publications, and that every sentence and bullet of the h8lio document is in the h8lio model.

use std::path::PathBuf;

use onus_model::{load_str, Model, Options, Vocabulary, BUILTIN};

fn seeds() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/seeds")
}

fn model(id: &str) -> Model {
    let (_, text) = BUILTIN.iter().find(|(i, _)| *i == id).unwrap();
    load_str(id, text, Vocabulary::builtin(), &Options::default())
        .model
        .unwrap()
}

/// One table row of the OVHcloud guide: section number, 1-based row, text, client and
/// OVHcloud cells.
struct MdRow {
    section: String,
    row: u32,
    text: String,
    customer: String,
    ovhcloud: String,
}

/// Reads the guide's tables the simple way: a numbered heading starts a section, and each
/// three-cell table line under it that is neither the header nor the rule is a row.
fn md_rows(file: &str) -> Vec<MdRow> {
    let text =
        std::fs::read_to_string(seeds().join(file)).expect("the seeds are in ../shared/seeds");
    let mut rows = Vec::new();
    let mut section = String::new();
    let mut row = 0;
    for line in text.lines() {
        if line.starts_with('#') {
            let h = line.trim_start_matches('#').trim().trim_matches('*').trim();
            let num: String = h
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            if !num.is_empty() {
                section = num.trim_end_matches('.').to_string();
                row = 0;
            }
            continue;
        }
        if !line.starts_with('|') || section.is_empty() || line.starts_with("| ---") {
            continue;
        }
        let cells: Vec<&str> = line
            .trim()
            .trim_matches('|')
            .split('|')
            .map(str::trim)
            .collect();
        if cells.len() != 3 || cells[0].starts_with("**") {
            continue;
        }
        row += 1;
        rows.push(MdRow {
            section: section.clone(),
            row,
            text: cells[0].to_string(),
            customer: cells[1].to_string(),
            ovhcloud: cells[2].to_string(),
        });
    }
    rows
}

fn letters(cell: &str) -> String {
    let set: Vec<char> = cell.chars().filter(|c| !c.is_whitespace()).collect();
    "RACI".chars().filter(|c| set.contains(c)).collect()
}

fn check_ovhcloud(model_id: &str, file: &str, lang: &str) {
    let m = model(model_id);
    let rows = md_rows(file);
    assert_eq!(rows.len(), 58, "{file}: the guide has 58 rows");
    assert_eq!(m.activities.len(), rows.len());
    for r in &rows {
        let a = m
            .activities
            .iter()
            .find(|a| {
                a.source
                    .as_ref()
                    .is_some_and(|s| s.section == r.section && s.row == Some(r.row))
            })
            .unwrap_or_else(|| panic!("{model_id}: no activity for {} row {}", r.section, r.row));
        assert_eq!(a.section, r.section);
        assert_eq!(
            a.text.get(lang),
            Some(r.text.as_str()),
            "{model_id} {}: text",
            a.id
        );
        assert_eq!(
            a.roles.get("customer").map(String::as_str),
            Some(letters(&r.customer).as_str()),
            "{model_id} {}: customer",
            a.id
        );
        assert_eq!(
            a.roles.get("ovhcloud").map(String::as_str),
            Some(letters(&r.ovhcloud).as_str()),
            "{model_id} {}: ovhcloud",
            a.id
        );
    }
}

#[test]
fn ovhcloud_french_model_matches_the_french_guide() {
    check_ovhcloud(
        "ovhcloud-mks",
        "ovhcloud-mks-responsibility-model.fr.md",
        "fr",
    );
}

#[test]
fn ovhcloud_english_model_matches_the_english_guide() {
    check_ovhcloud(
        "ovhcloud-mks-en",
        "ovhcloud-mks-responsibility-model.en.md",
        "en",
    );
}

#[test]
fn ovhcloud_french_model_carries_the_published_english_texts() {
    let m = model("ovhcloud-mks");
    for r in md_rows("ovhcloud-mks-responsibility-model.en.md") {
        let a = m
            .activities
            .iter()
            .find(|a| {
                a.source
                    .as_ref()
                    .is_some_and(|s| s.section == r.section && s.row == Some(r.row))
            })
            .unwrap();
        assert_eq!(a.text.get("en"), Some(r.text.as_str()));
    }
}

#[test]
fn ovhcloud_flattened_text_agrees_on_wording() {
    // The flattened seed lost empty cells, but its wording must match the Markdown.
    let flat = std::fs::read_to_string(seeds().join("001_25967a94ecd0f337.txt")).unwrap();
    let flat = squash(&flat);
    for a in &model("ovhcloud-mks").activities {
        let t = squash(a.text.get("fr").unwrap());
        assert!(flat.contains(&t), "{} not in the flattened seed: {t}", a.id);
    }
}

/// Whitespace folded to single spaces, the PDF's bullet glyph removed.
fn squash(s: &str) -> String {
    s.replace('\u{f0b7}', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn every_sentence_and_bullet_of_h8lio_is_in_the_model() {
    let seed = squash(&std::fs::read_to_string(seeds().join("000_738180fc7ff30e3e.txt")).unwrap());
    let m = model("h8lio");
    // Every French text of the model is in the document, as published.
    let mut texts: Vec<String> = Vec::new();
    for a in &m.activities {
        texts.push(squash(a.text.get("fr").unwrap()));
        if let Some(l) = &a.lead {
            texts.push(squash(l.get("fr").unwrap()));
        }
    }
    for s in &m.statements {
        texts.push(squash(s.text.get("fr").unwrap()));
        if let Some(l) = &s.lead {
            texts.push(squash(l.get("fr").unwrap()));
        }
    }
    for s in &m.sections {
        texts.push(squash(s.title.get("fr").unwrap()));
    }
    for t in &texts {
        assert!(seed.contains(t.as_str()), "not in the document: {t}");
    }
    // And the document holds nothing else but its headings and date: remove every model text
    // (longest first) and see what is left.
    texts.sort_by_key(|t| std::cmp::Reverse(t.len()));
    let mut rest = seed.clone();
    for t in &texts {
        rest = rest.replace(t.as_str(), " ");
    }
    let rest = squash(&rest);
    assert_eq!(rest, "Modèle de responsabilité partagée Partage de responsabilités 1. 2. 3. Dernière mise à jour : le 15 novembre 2022");
    assert_eq!(m.published.as_deref(), Some("2022-11-15"));
}

#[test]
fn h8lio_statements_are_typed_as_the_document_states_them() {
    let m = model("h8lio");
    let kind = |id: &str| {
        m.statements
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.kind.as_str())
    };
    assert_eq!(kind("data.no-access"), Some("commitment"));
    assert_eq!(kind("data.liability"), Some("liability"));
    assert_eq!(kind("virtualization.none"), Some("not-applicable"));
    let bw = m
        .statements
        .iter()
        .find(|s| s.id == "networking.private-network")
        .unwrap();
    let q = bw.quantity.as_ref().unwrap();
    assert_eq!(
        (q.metric.as_str(), q.value, q.unit.as_str()),
        ("private-network-bandwidth", 2.0, "Gbit/s")
    );
    assert_eq!(
        m.activities
            .iter()
            .filter(|a| a.section == "summary")
            .count(),
        3
    );
    // The translation says it is onus's, not Byzaneo's.
    let t = m.translations.iter().find(|t| t.language == "en").unwrap();
    assert_eq!(t.by, "onus");
    assert!(!t.official);
}
