//! The targets: each drives one input through the library entry points the CLI (and the
//! portal) use, then asserts what must hold whatever the input.

use std::sync::OnceLock;

use onus_limits::Limits;
use onus_model::{Diagnostic, Model, Options, Vocabulary};

/// The evidence file every attestation may name (in a fresh folder, the evidence root).
pub const EVIDENCE: &str = "evidence.txt";
/// Its content.
pub const EVIDENCE_TEXT: &[u8] = b"restore test passed";

/// A fixed instant: targets are reproducible.
fn now() -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339("2025-06-01T12:00:00Z").unwrap_or_default()
}

fn vocab() -> &'static Vocabulary {
    Vocabulary::builtin()
}

/// Every diagnostic's snippet is cut to the width and points inside itself, and the text of
/// all diagnostics together grows linearly with the input.
fn diagnostics_hold(text: &str, diags: &[Diagnostic]) {
    let width = Limits::DEFAULT.snippet_chars;
    for d in diags {
        if let Some(s) = d.snippet(text, width) {
            let (at, len) = s.label;
            assert!(at + len <= s.text.len(), "label past the snippet: {d}");
            assert!(s.text.is_char_boundary(at) && s.text.is_char_boundary(at + len));
            assert!(
                s.text.lines().count() <= 3,
                "snippet of more than 3 lines: {d}"
            );
            assert!(
                s.text.lines().all(|l| l.chars().count() <= width + 2),
                "snippet line wider than {width}: {d}"
            );
            assert!(s.line >= 1 && s.column >= 1 && s.first_line >= 1);
        }
    }
    let said: usize = diags
        .iter()
        .map(|d| d.message.len() + d.hint.as_ref().map_or(0, String::len))
        .sum();
    assert!(
        said <= 64 * text.len() + 64 * 1024,
        "{said} bytes of diagnostics for {} bytes of input",
        text.len()
    );
}

/// Renders and exports a model every way onus does; none may panic.
fn write_everywhere(m: &Model) {
    let style = onus_render::Style::default();
    let v = vocab();
    let _ = onus_render::table::model(m, v, &style);
    let _ = onus_render::markdown::model(m, v, &style);
    let _ = onus_render::html::model_page(m, v, &style);
    let rows: Vec<onus_render::Row> = m
        .activities
        .iter()
        .map(|a| onus_render::Row::activity(m, a, "en"))
        .collect();
    let _ = onus_render::csv_out::rows(m, &rows, &style);
    let _ = onus_interchange::export::to_csv(m, "en");
    let _ = onus_interchange::export::to_markdown(m, "en");
    let _ = onus_interchange::export::to_xlsx(m, "en");
    let _ = onus_oscal::to_json(&onus_oscal::provider_ssp(m, v, &crate::doc_options()));
    let _ = onus_oscal::component_definition(m, v, &crate::doc_options());
    let _ = m.to_yaml();
}

/// A model file: load (parse, schema, rules), then every way of writing what loads.
pub fn model(data: &[u8]) {
    let loaded = onus_model::load_bytes("fuzz.yaml", data, vocab(), &Options::default());
    diagnostics_hold(&loaded.origin.text, &loaded.diagnostics);
    if let Some(m) = &loaded.model {
        if !loaded.has_errors() {
            write_everywhere(m);
        }
    }
}

fn import(data: &[u8], format: onus_interchange::import::Format) {
    let Ok(imported) = onus_interchange::import::import_bytes("fuzz", data, format) else {
        return;
    };
    let said: usize = imported.warnings.iter().map(|w| w.to_string().len()).sum();
    assert!(
        said <= 64 * data.len() + 64 * 1024,
        "{said} bytes of warnings"
    );
    let m = &imported.model;
    let _ = onus_model::validate::validate(m, vocab(), &Options::default());
    write_everywhere(m);
}

/// A published matrix in Markdown.
pub fn import_markdown(data: &[u8]) {
    import(data, onus_interchange::import::Format::Markdown);
}

/// A published matrix in AsciiDoc.
pub fn import_asciidoc(data: &[u8]) {
    import(data, onus_interchange::import::Format::Asciidoc);
}

/// A published matrix in a saved HTML page.
pub fn import_html(data: &[u8]) {
    import(data, onus_interchange::import::Format::Html);
}

/// A published matrix in CSV.
pub fn import_csv(data: &[u8]) {
    import(data, onus_interchange::import::Format::Csv);
}

/// A published matrix in XLSX.
pub fn import_xlsx(data: &[u8]) {
    import(data, onus_interchange::import::Format::Xlsx);
}

/// An OSCAL document: the CLI's `validate` (referential checks) and `import`.
pub fn oscal(data: &[u8]) {
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    if onus_oscal::is_oscal(&doc) {
        let _ = onus_oscal::validate_document(&doc);
    }
    if let Ok(imported) = onus_oscal::import(&doc, vocab()) {
        let m = &imported.model;
        let _ = onus_model::validate::validate(m, vocab(), &Options::default());
        write_everywhere(m);
    }
}

fn checks() -> &'static [onus_audit::Check] {
    static CHECKS: OnceLock<Vec<onus_audit::Check>> = OnceLock::new();
    CHECKS.get_or_init(|| onus_audit::catalog::builtin().unwrap_or_default())
}

fn h8lio() -> Option<&'static Model> {
    static MODEL: OnceLock<Option<Model>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            onus_model::load_str("h8lio", crate::seeds::H8LIO, vocab(), &Options::default()).model
        })
        .as_ref()
}

fn run_options(facts: &onus_audit::ownership::FactKeys) -> onus_audit::RunOptions {
    onus_audit::RunOptions {
        now: now(),
        k8s_latest: onus_audit::DEFAULT_K8S_LATEST.to_string(),
        threads: 1,
        facts: facts.clone(),
    }
}

/// Audits the file `name` holding `data` (in a folder of its own) as `onus audit` does (the
/// catalog's checks and the model's conditions, joined to h8lio) and reports every way.
fn audit_file(name: &str, data: &[u8]) {
    let Some(model) = h8lio() else { return };
    let Ok(dir) = tempfile::tempdir() else { return };
    let path = dir.path().join(name);
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let facts = onus_audit::ownership::FactKeys::well_known().with_model(model);
    let mut all = checks().to_vec();
    all.extend(onus_audit::conditions::checks(model).unwrap_or_default());
    let Ok((mut results, inv)) = onus_audit::audit_paths(&[path], &all, &run_options(&facts))
    else {
        return;
    };
    let conditions = onus_audit::conditions::results(model, &results.split_off(checks().len()));
    let report = onus_audit::join::join(
        model,
        results,
        &onus_audit::join::JoinInput {
            inputs: inv.files(),
            objects: inv.seen(),
            problems: &onus_audit::join::input_problems(&inv),
            attestations: &[],
            attestations_file: None,
            now: now(),
            k8s_latest: onus_audit::DEFAULT_K8S_LATEST,
            conditions: &conditions,
            facts: &facts,
        },
    );
    let _ = onus_report::table(&report, "en", false, 10);
    let _ = onus_report::write_json(&report, &mut std::io::sink());
    let _ = onus_report::sarif(&report, "en", None);
    let _ = onus_report::junit(&report, "en", None);
    let _ = onus_report::html(&report, "en");
}

/// A cluster export, audited with the built-in checks.
pub fn export(data: &[u8]) {
    audit_file("export.yaml", data);
}

/// A gzip cluster export: the input as it is when it is gzip (the decoder and its limits),
/// else the input gzipped (what lies inside).
pub fn export_gzip(data: &[u8]) {
    if data.starts_with(&[0x1f, 0x8b]) {
        audit_file("export.yaml.gz", data);
    } else {
        audit_file("export.yaml.gz", &crate::seeds::gzip(data));
    }
}

/// An attestations file: parse, standing of each, evidence under a root holding one file.
pub fn attestations(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(list) = onus_audit::attest::parse("attestations.yaml", text) else {
        return;
    };
    for a in &list {
        let _ = onus_audit::attest::standing(a, Some("P1M"), now());
    }
    let Ok(dir) = tempfile::tempdir() else { return };
    if std::fs::write(dir.path().join(EVIDENCE), EVIDENCE_TEXT).is_err() {
        return;
    }
    let opts = onus_audit::attest::EvidenceOptions::under(dir.path());
    if let Err(e) = onus_audit::attest::verify_evidence("attestations.yaml", &list, &opts) {
        // Never a hash of something outside the root.
        assert!(
            !(e.message.contains("sha256 is") && e.message.contains("outside")),
            "{e}"
        );
    }
}

fn cluster() -> &'static onus_inventory::Inventory {
    static INV: OnceLock<onus_inventory::Inventory> = OnceLock::new();
    INV.get_or_init(|| {
        let mut inv = onus_inventory::Inventory::default();
        for (name, text) in crate::seeds::CLUSTER {
            let _ = inv.add_text(name, text);
        }
        inv
    })
}

/// A check file: parse and compile its CEL, then run it over the example cluster.
pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(check) = onus_audit::catalog::parse_check("check.yaml", text) else {
        return;
    };
    let facts = onus_audit::ownership::FactKeys::well_known();
    let _ = onus_audit::run(cluster(), &[check], &run_options(&facts));
}
