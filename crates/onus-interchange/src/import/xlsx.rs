//! Reads an XLSX workbook: each sheet with an activity column is a table; without a section
//! column, each such sheet is a section named after the sheet. A row `onus-metadata | <json>`
//! (the metadata sheet onus's exporter writes) carries the model's metadata.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use super::{parse_meta, Doc, ImportError, Loc, Row, Table, METADATA_KEY};

pub(crate) fn read(file: &str, bytes: &[u8]) -> Result<Doc, ImportError> {
    let mut doc = Doc::new(file);
    let err = |e: calamine::XlsxError| ImportError::Xlsx {
        file: file.to_string(),
        message: e.to_string(),
    };
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(err)?;
    let names = wb.sheet_names().to_vec();
    for name in names {
        let range = wb.worksheet_range(&name).map_err(err)?;
        let (r0, c0) = range.start().unwrap_or((0, 0));
        let mut table = Table {
            heading: None,
            sheet: Some(name.clone()),
            rows: Vec::new(),
            header_known: false,
            footnotes: Vec::new(),
        };
        for (i, r) in range.rows().enumerate() {
            // Cells before the range's first column are empty.
            let mut cells: Vec<String> = vec![String::new(); c0 as usize];
            cells.extend(r.iter().map(cell));
            let line = r0 as usize + i + 1;
            if cells.first().map(|c| c.trim()) == Some(METADATA_KEY) {
                let json: String = cells.iter().skip(1).map(String::as_str).collect();
                let value: serde_json::Value =
                    serde_json::from_str(&json).map_err(|e| ImportError::Metadata {
                        file: file.to_string(),
                        line,
                        message: format!("sheet `{name}`: {e}"),
                    })?;
                doc.meta = Some(parse_meta(file, line, value)?);
                // A metadata sheet holds no matrix.
                table.rows.clear();
                break;
            }
            table.rows.push(Row {
                cells,
                loc: Loc {
                    sheet: Some(name.clone()),
                    line: Some(line),
                },
            });
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
