//! The matrix as CSV: one row per activity with its section, in model order; the model's
//! metadata in a last row that starts with `onus-metadata`.

use onus_model::Model;

use super::{cell, columns, metadata_cells};

/// The model as CSV text (comma-separated, UTF-8, RFC 4180 quoting). `lang` is the language
/// shown first.
pub fn to_csv(m: &Model, lang: &str) -> String {
    let cols = columns(m, lang, true);
    let mut w = ::csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    // Writing into memory cannot fail.
    let _ = w.write_record(cols.iter().map(|(h, _)| h.as_str()));
    for a in &m.activities {
        let _ = w.write_record(cols.iter().map(|(_, c)| cell(m, a, c)));
    }
    let _ = w.write_record(metadata_cells(m));
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}
