//! Reads an XLSX workbook: each sheet with an activity column is a table; without a section
//! column, each such sheet is a section named after the sheet. A row `onus-metadata | <json>`
//! (the metadata sheet onus's exporter writes) carries the model's metadata.
//!
//! [`grid`] is the workbook as text cells, shared with the readers of structured workbooks
//! ([`super::caiq`], [`super::fedramp`]), which recognise their own headers in it.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use super::form::{parse_meta, Doc, Loc, Row, Table, METADATA_KEY};
use super::ImportError;

/// One sheet as text: each row with its 1-based row number; cells start at column A.
#[derive(Debug, Clone)]
pub struct Sheet {
    pub name: String,
    pub rows: Vec<(usize, Vec<String>)>,
}

/// Every sheet of a workbook, in order, as text cells.
pub fn grid(file: &str, bytes: &[u8]) -> Result<Vec<Sheet>, ImportError> {
    let err = |e: calamine::XlsxError| ImportError::Xlsx {
        file: file.to_string(),
        message: e.to_string(),
    };
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(err)?;
    let names = wb.sheet_names().to_vec();
    let mut out = Vec::new();
    for name in names {
        let range = wb.worksheet_range(&name).map_err(err)?;
        let (r0, c0) = range.start().unwrap_or((0, 0));
        let mut rows = Vec::new();
        for (i, r) in range.rows().enumerate() {
            // Cells before the range's first column are empty.
            let mut cells: Vec<String> = vec![String::new(); c0 as usize];
            cells.extend(r.iter().map(cell));
            rows.push((r0 as usize + i + 1, cells));
        }
        out.push(Sheet { name, rows });
    }
    Ok(out)
}

/// Reads a workbook's sheets as matrices.
pub(crate) fn read(file: &str, sheets: Vec<Sheet>) -> Result<Doc, ImportError> {
    let mut doc = Doc::new(file);
    for sheet in sheets {
        let mut table = Table {
            heading: None,
            sheet: Some(sheet.name.clone()),
            rows: Vec::new(),
            header_known: false,
            footnotes: Vec::new(),
        };
        for (line, cells) in sheet.rows {
            if cells.first().map(|c| c.trim()) == Some(METADATA_KEY) {
                let json: String = cells.iter().skip(1).map(String::as_str).collect();
                let value: serde_json::Value =
                    serde_json::from_str(&json).map_err(|e| ImportError::Metadata {
                        file: file.to_string(),
                        line,
                        message: format!("sheet `{}`: {e}", sheet.name),
                    })?;
                doc.meta = Some(parse_meta(file, line, value)?);
                // A metadata sheet holds no matrix.
                table.rows.clear();
                break;
            }
            table.rows.push(Row::new(
                cells,
                Loc {
                    sheet: Some(sheet.name.clone()),
                    line: Some(line),
                },
            ));
        }
        if !table.rows.is_empty() {
            doc.tables.push(table);
        }
    }
    Ok(doc)
}

fn cell(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        other => other.to_string(),
    }
}

/// The first row of a sheet (among its first 30) whose cells, folded, include every one of
/// `needles` (each a folded header, matched as a prefix of the cell): `(index in rows,
/// column of each needle)`. Structured workbooks put titles above their header row.
pub(crate) fn find_header(sheet: &Sheet, needles: &[&str]) -> Option<(usize, Vec<usize>)> {
    for (ri, (_, cells)) in sheet.rows.iter().enumerate().take(30) {
        let keys: Vec<String> = cells.iter().map(|c| crate::util::key(c)).collect();
        let cols: Option<Vec<usize>> = needles
            .iter()
            .map(|n| keys.iter().position(|k| k.starts_with(n)))
            .collect();
        if let Some(cols) = cols {
            return Some((ri, cols));
        }
    }
    None
}
