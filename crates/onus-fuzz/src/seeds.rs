//! Where fuzzing starts: the repository's own examples (the shipped models, the check
//! catalog, the example cluster and its attestations, the example matrix, the importers'
//! fixtures of published shapes) and what onus writes from them (Markdown, CSV, XLSX,
//! FedRAMP and OSCAL exports of every shipped model, a gzip export), by target.

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

/// The importers' fixtures: published shapes of matrices, by target.
const FIXTURES: &[(&str, &str, &[u8])] = &[
    (
        "import-markdown",
        "reseller.md",
        include_bytes!("../../onus-interchange/tests/fixtures/reseller.md"),
    ),
    (
        "import-markdown",
        "cloud-temple.fr.md",
        include_bytes!("../../onus-interchange/tests/fixtures/cloud-temple-kubernetes-raci.fr.md"),
    ),
    (
        "import-markdown",
        "ovhcloud-public-cloud.en.md",
        include_bytes!(
            "../../onus-interchange/tests/fixtures/ovhcloud-public-cloud-instances.en.md"
        ),
    ),
    (
        "import-markdown",
        "published-matrix.md",
        include_bytes!("../../../examples/published-matrix.md"),
    ),
    (
        "import-asciidoc",
        "osd.adoc",
        include_bytes!("../../onus-interchange/tests/fixtures/osd-responsibility-matrix.adoc"),
    ),
    (
        "import-asciidoc",
        "rosa.adoc",
        include_bytes!("../../onus-interchange/tests/fixtures/rosa-responsibility-matrix.adoc"),
    ),
    (
        "import-html",
        "ovhcloud-managed-databases.en.html",
        include_bytes!("../../onus-interchange/tests/fixtures/ovhcloud-managed-databases.en.html"),
    ),
    (
        "import-csv",
        "reseller.csv",
        include_bytes!("../../onus-interchange/tests/fixtures/reseller.csv"),
    ),
    (
        "import-xlsx",
        "caiq-v4.xlsx",
        include_bytes!("../../onus-interchange/tests/fixtures/caiq-v4.xlsx"),
    ),
    (
        "import-xlsx",
        "fedramp-cis-crm.xlsx",
        include_bytes!("../../onus-interchange/tests/fixtures/fedramp-cis-crm.xlsx"),
    ),
    (
        "model",
        "my-provider.yaml",
        include_bytes!("../../../examples/my-provider.yaml"),
    ),
];

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
    let mut out: Vec<(String, Vec<u8>)> = FIXTURES
        .iter()
        .filter(|(t, _, _)| *t == target)
        .map(|(_, name, bytes)| ((*name).to_string(), bytes.to_vec()))
        .collect();
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
            for m in models() {
                let md = onus_interchange::export::to_markdown(&m, &m.language);
                out.push((format!("{}.md", m.id), md.into_bytes()));
            }
        }
        "import-csv" => {
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
            for m in models() {
                if let Ok(x) = onus_interchange::export::to_fedramp(&m, vocab, &m.language) {
                    out.push((format!("{}-fedramp.xlsx", m.id), x));
                }
            }
        }
        "oscal" => {
            for m in models() {
                for (kind, doc) in [
                    (
                        "ssp",
                        onus_oscal::provider_ssp(&m, vocab, &crate::doc_options()),
                    ),
                    (
                        "customer-ssp",
                        onus_oscal::customer_ssp(&m, vocab, &crate::doc_options()),
                    ),
                    (
                        "component",
                        onus_oscal::component_definition(&m, vocab, &crate::doc_options()),
                    ),
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
