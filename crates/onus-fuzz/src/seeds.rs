//! Where fuzzing starts: the repository's own examples (the shipped models, the check
//! catalog, the example cluster and its attestations, the importers' fixtures) and what onus
//! writes from them (Markdown, CSV, XLSX and OSCAL exports of every shipped model, a gzip
//! export), by target.

use std::io::{Cursor, Read, Write};

pub(crate) const H8LIO: &str = include_str!("../../../models/h8lio.yaml");
pub(crate) const ATTESTATIONS: &str = include_str!("../../../examples/shop-attestations.yaml");

/// The example cluster export's files.
pub(crate) const CLUSTER: &[(&str, &str)] = &[
    (
        "00-cluster.yaml",
        include_str!("../../../examples/shop-cluster/00-cluster.yaml"),
    ),
    (
        "10-storefront.yaml",
        include_str!("../../../examples/shop-cluster/10-storefront.yaml"),
    ),
    (
        "20-checkout.json",
        include_str!("../../../examples/shop-cluster/20-checkout.json"),
    ),
    (
        "30-batch.yaml",
        include_str!("../../../examples/shop-cluster/30-batch.yaml"),
    ),
    (
        "40-velero.yaml",
        include_str!("../../../examples/shop-cluster/40-velero.yaml"),
    ),
];

const MD_FIXTURE: &str = include_str!("../../onus-interchange/tests/fixtures/reseller.md");
const CSV_FIXTURE: &str = include_str!("../../onus-interchange/tests/fixtures/reseller.csv");

/// The shipped models, loaded.
fn models() -> Vec<onus_model::Model> {
    onus_model::BUILTIN
        .iter()
        .filter_map(|(id, text)| {
            onus_model::load_str(
                id,
                text,
                onus_model::Vocabulary::builtin(),
                &onus_model::Options::default(),
            )
            .model
        })
        .collect()
}

/// The seeds of a target: (name, bytes).
pub fn of(target: &str) -> Vec<(String, Vec<u8>)> {
    let vocab = onus_model::Vocabulary::builtin();
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    match target {
        "model" => {
            for (id, text) in onus_model::BUILTIN {
                out.push((format!("{id}.yaml"), text.as_bytes().to_vec()));
            }
            for m in models() {
                let json = serde_json::to_vec_pretty(&m).unwrap_or_default();
                out.push((format!("{}.json", m.id), json));
            }
        }
        "import-markdown" => {
            out.push(("reseller.md".into(), MD_FIXTURE.as_bytes().to_vec()));
            for m in models() {
                let md = onus_interchange::export::to_markdown(&m, &m.language);
                out.push((format!("{}.md", m.id), md.into_bytes()));
            }
        }
        "import-csv" => {
            out.push(("reseller.csv".into(), CSV_FIXTURE.as_bytes().to_vec()));
            for m in models() {
                let csv = onus_interchange::export::to_csv(&m, &m.language);
                out.push((format!("{}.csv", m.id), csv.into_bytes()));
            }
        }
        "import-xlsx" => {
            for m in models() {
                if let Ok(x) = onus_interchange::export::to_xlsx(&m, &m.language) {
                    out.push((format!("{}.xlsx", m.id), x));
                }
            }
            out.push(("small.xlsx".into(), workbook()));
        }
        "oscal" => {
            for m in models() {
                for (kind, doc) in [
                    ("ssp", onus_oscal::provider_ssp(&m, vocab)),
                    ("customer-ssp", onus_oscal::customer_ssp(&m, vocab)),
                    ("component", onus_oscal::component_definition(&m, vocab)),
                ] {
                    out.push((
                        format!("{}-{kind}.json", m.id),
                        onus_oscal::to_json(&doc).into_bytes(),
                    ));
                }
            }
        }
        "export" => {
            for (name, text) in CLUSTER {
                out.push(((*name).into(), text.as_bytes().to_vec()));
            }
        }
        "export-gzip" => {
            for (name, text) in CLUSTER {
                out.push((format!("{name}.gz"), gzip(text.as_bytes())));
            }
        }
        "attestations" => {
            out.push((
                "shop-attestations.yaml".into(),
                ATTESTATIONS.as_bytes().to_vec(),
            ));
            use sha2::Digest;
            let sha = format!("{:x}", sha2::Sha256::digest(crate::targets::EVIDENCE_TEXT));
            let local = ATTESTATIONS
                .replacen(
                    "https://wiki.shop.example/ops/restore-test-2025-03.pdf",
                    crate::targets::EVIDENCE,
                    1,
                )
                .replacen(
                    "3b9c358f36f0a31b6e3f5ab2e5a5d6c1f4d7e9b2a8c0d3e6f1a4b7c9d2e5f8a1",
                    &sha,
                    1,
                );
            out.push(("local-evidence.yaml".into(), local.into_bytes()));
        }
        "check" => {
            for (name, text) in onus_audit::catalog::BUILTIN {
                out.push(((*name).into(), text.as_bytes().to_vec()));
            }
        }
        _ => {}
    }
    out
}

/// `bytes`, gzipped.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let _ = gz.write_all(bytes);
    gz.finish().unwrap_or_default()
}

/// A small matrix workbook.
fn workbook() -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let rows = [
        ["Activity", "Customer", "Provider"],
        ["Back up volumes", "RA", "I"],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let _ = ws.write_string(r as u32, c as u16, *v);
        }
    }
    wb.save_to_buffer().unwrap_or_default()
}

/// The small workbook with one more cell, at `reference` (`XFD1048576`), written into its
/// sheet's XML as a hostile tool would.
pub fn xlsx_with_cell(reference: &str) -> Vec<u8> {
    let row: String = reference.chars().filter(char::is_ascii_digit).collect();
    let extra = format!("<row r=\"{row}\"><c r=\"{reference}\" t=\"inlineStr\"><is><t>x</t></is></c></row></sheetData>");
    let bytes = workbook();
    let Ok(mut zin) = zip::ZipArchive::new(Cursor::new(bytes.as_slice())) else {
        return bytes;
    };
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..zin.len() {
        let Ok(mut part) = zin.by_index(i) else {
            continue;
        };
        let name = part.name().to_string();
        let mut data = Vec::new();
        let _ = part.read_to_end(&mut data);
        if name == "xl/worksheets/sheet1.xml" {
            data = String::from_utf8_lossy(&data)
                .replace("</sheetData>", &extra)
                .into_bytes();
        }
        let _ = out.start_file(name, zip::write::SimpleFileOptions::default());
        let _ = out.write_all(&data);
    }
    out.finish().map(Cursor::into_inner).unwrap_or(bytes)
}
