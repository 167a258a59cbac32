//! CSV, one row per activity or listing row, for spreadsheets.

use onus_model::Model;

use crate::{Row, Style};

/// Why CSV could not be written (only an I/O failure of the in-memory buffer).
#[derive(Debug, thiserror::Error)]
#[error("csv: {0}")]
pub struct CsvError(#[from] csv::Error);

/// A listing of rows: id, kind, section, text, one column per party, topics, cadence.
/// Cells a spreadsheet would run as formulas get a leading `'` ([`onus_model::csv_cell`]).
pub fn rows(m: &Model, rows: &[Row], style: &Style) -> Result<String, CsvError> {
    write(m, rows, style, false)
}

/// [`rows`] with every cell as it is, formulas included (`--raw-csv`).
pub fn rows_raw(m: &Model, rows: &[Row], style: &Style) -> Result<String, CsvError> {
    write(m, rows, style, true)
}

fn write(m: &Model, rows: &[Row], style: &Style, raw: bool) -> Result<String, CsvError> {
    let safe = |rec: Vec<String>| -> Vec<String> {
        if raw {
            rec
        } else {
            rec.iter()
                .map(|c| onus_model::csv_cell(c).into_owned())
                .collect()
        }
    };
    let lang = style.lang.as_str();
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec![
        "id".to_string(),
        "kind".into(),
        "section".into(),
        "section_title".into(),
        "text".into(),
    ];
    header.extend(m.parties.iter().map(|p| p.name.best(lang).to_string()));
    header.extend(["topics".to_string(), "cadence".into()]);
    w.write_record(safe(header))?;
    for r in rows {
        let kind = r.statement_kind.unwrap_or("activity");
        let mut rec = vec![
            r.id.clone(),
            kind.to_string(),
            r.section.clone(),
            r.section_title.clone(),
            r.full_text(),
        ];
        rec.extend(r.roles.iter().map(|(_, l)| l.clone()));
        rec.push(r.topics.join(" "));
        rec.push(r.cadence.clone().unwrap_or_default());
        w.write_record(safe(rec))?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| CsvError(e.into_error().into()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
