//! Reads an XLSX workbook: each sheet with an activity column is a table; without a section
//! column, each such sheet is a section named after the sheet. A row `onus-metadata | <json>`
//! (the metadata sheet onus's exporter writes) carries the model's metadata.
//!
//! Hostile workbooks are bounded before anything is sized by them (see
//! [`onus_limits::Limits`]): the parts must unpack to at most `xlsx_unpacked_bytes` (checked
//! by unpacking them, not by trusting the ZIP directory), and cells are read one by one, kept
//! only up to `xlsx_rows` × `xlsx_columns` and `xlsx_cells`, never as a dense range sized by
//! the farthest cell (`XFD1048576` asked calamine for 512 GiB).

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx};
use onus_limits::Limits;

use super::{parse_meta, Doc, ImportError, Loc, Row, Table, METADATA_KEY};

pub(crate) fn read(file: &str, bytes: &[u8], limits: &Limits) -> Result<Doc, ImportError> {
    let mut doc = Doc::new(file);
    let err = |e: calamine::XlsxError| ImportError::Xlsx {
        file: file.to_string(),
        message: e.to_string(),
    };
    check_unpacked(file, bytes, limits.xlsx_unpacked_bytes)?;
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(err)?;
    let names = wb.sheet_names().to_vec();
    let mut kept_cells = 0usize;
    for name in names {
        // Row number (0-based) to its cells by column, sparse.
        let mut rows: BTreeMap<u32, Vec<(u32, String)>> = BTreeMap::new();
        let mut beyond: Option<((u32, u32), usize)> = None;
        let mut reader = wb.worksheet_cells_reader(&name).map_err(err)?;
        while let Some(c) = reader.next_cell().map_err(err)? {
            let text = cell(&Data::from(c.get_value().clone()));
            if text.is_empty() {
                continue;
            }
            let (r, col) = c.get_position();
            if r >= limits.xlsx_rows
                || col >= limits.xlsx_columns
                || kept_cells >= limits.xlsx_cells
            {
                let first = beyond.map_or((r, col), |(p, _)| p);
                beyond = Some((first, beyond.map_or(1, |(_, n)| n + 1)));
                continue;
            }
            kept_cells += 1;
            rows.entry(r).or_default().push((col, text));
        }
        drop(reader);
        if let Some(((r, col), n)) = beyond {
            doc.warn(
                &Loc {
                    sheet: Some(name.clone()),
                    line: Some(r as usize + 1),
                },
                None,
                None,
                format!(
                    "{n} cell(s) from {}{} on are beyond what the importer reads ({} rows, {} columns, {} cells in all); ignored",
                    column_name(col),
                    u64::from(r) + 1,
                    limits.xlsx_rows,
                    limits.xlsx_columns,
                    limits.xlsx_cells
                ),
            );
        }
        let mut table = Table {
            heading: None,
            sheet: Some(name.clone()),
            rows: Vec::new(),
            header_known: false,
            footnotes: Vec::new(),
        };
        for (r, mut found) in rows {
            found.sort_by_key(|(col, _)| *col);
            // Cells at their column (a row that starts at C has two empty cells first).
            let width = found.last().map_or(0, |(col, _)| *col as usize + 1);
            let mut cells = vec![String::new(); width];
            for (col, text) in found {
                cells[col as usize] = text;
            }
            let line = r as usize + 1;
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

/// Unpacks every part of the workbook, counting, and refuses it past `limit` bytes in all: a
/// ZIP directory's sizes can lie, so they are not trusted.
fn check_unpacked(file: &str, bytes: &[u8], limit: u64) -> Result<(), ImportError> {
    let err = |message: String| ImportError::Xlsx {
        file: file.to_string(),
        message,
    };
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| err(e.to_string()))?;
    let mut total = 0u64;
    for i in 0..zip.len() {
        let part = zip.by_index(i).map_err(|e| err(e.to_string()))?;
        let room = limit.saturating_sub(total).saturating_add(1);
        // A part that cannot be unpacked is calamine's to report, if it reads it at all.
        total += std::io::copy(&mut part.take(room), &mut std::io::sink()).unwrap_or(0);
        if total > limit {
            return Err(err(format!(
                "its parts unpack to more than {limit} bytes, the limit (a zip bomb?)"
            )));
        }
    }
    Ok(())
}

/// `A`, `Z`, `AA`, ... `XFD` for a 0-based column.
fn column_name(col: u32) -> String {
    let mut n = u64::from(col) + 1;
    let mut out = Vec::new();
    while n > 0 {
        let d = ((n - 1) % 26) as u8;
        out.push(b'A' + d);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

fn cell(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn columns_are_named_as_spreadsheets_do() {
        let names: Vec<String> = [0, 25, 26, 701, 702, 16_383].map(super::column_name).into();
        assert_eq!(names, ["A", "Z", "AA", "ZZ", "AAA", "XFD"]);
    }
}
