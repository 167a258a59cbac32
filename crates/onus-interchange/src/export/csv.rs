//! The matrix as CSV: one row per activity with its section, in model order; the model's
//! metadata in a last row that starts with `onus-metadata`.
//!
//! Cells a spreadsheet would run as formulas (`=`, `+`, `-`, `@`, tab, carriage return
//! first) are written with a leading `'` ([`onus_model::csv_cell`], OWASP's advice), which
//! the importer removes: export then import still gives the same model.

use onus_model::Model;

use super::{cell, columns, metadata_cells};

/// The model as CSV text (comma-separated, UTF-8, RFC 4180 quoting), formula cells
/// neutralised. `lang` is the language shown first.
pub fn to_csv(m: &Model, lang: &str) -> String {
    write(m, lang, false)
}

/// [`to_csv`] with every cell exactly as in the model, formulas included (`--raw-csv`): only
/// for tools that read the cells themselves, never for a spreadsheet.
pub fn to_csv_raw(m: &Model, lang: &str) -> String {
    write(m, lang, true)
}

fn write(m: &Model, lang: &str, raw: bool) -> String {
    let cols = columns(m, lang, true);
    let mut w = ::csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    let safe = |c: String| {
        if raw {
            c
        } else {
            onus_model::csv_cell(&c).into_owned()
        }
    };
    // Writing into memory cannot fail.
    let _ = w.write_record(cols.iter().map(|(h, _)| safe(h.clone())));
    for a in &m.activities {
        let _ = w.write_record(cols.iter().map(|(_, c)| safe(cell(m, a, c))));
    }
    let _ = w.write_record(metadata_cells(m).into_iter().map(safe));
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}
