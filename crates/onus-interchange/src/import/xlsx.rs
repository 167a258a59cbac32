//! Reads an XLSX workbook: each sheet with an activity column is a table; without a section
//! column, each such sheet is a section named after the sheet. A row `onus-metadata | <json>`
//! (the metadata sheet onus's exporter writes) carries the model's metadata.
//!
//! [`grid`] is the workbook as text cells, shared with the readers of structured workbooks
//! ([`super::caiq`], [`super::fedramp`]), which recognise their own headers in it.
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

use super::form::{column_letters, parse_meta, Doc, Loc, Row, Table, METADATA_KEY};
use super::{ImportError, Warning};

/// One sheet as text: each row with its 1-based row number; cells start at column A. Rows
/// with no text are left out.
#[derive(Debug, Clone)]
pub struct Sheet {
    pub name: String,
    pub rows: Vec<(usize, Vec<String>)>,
}

/// Every sheet of a workbook, in order, as text cells, within `limits`; with a warning per
/// sheet that had cells beyond them (skipped, never allocated).
pub fn grid(
    file: &str,
    bytes: &[u8],
    limits: &Limits,
) -> Result<(Vec<Sheet>, Vec<Warning>), ImportError> {
    let err = |e: calamine::XlsxError| ImportError::Xlsx {
        file: file.to_string(),
        message: e.to_string(),
    };
    check_unpacked(file, bytes, limits.xlsx_unpacked_bytes)?;
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(err)?;
    let names = wb.sheet_names().to_vec();
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    let mut kept = 0usize;
    for name in names {
        // Row (0-based) to its cells by column, sparse.
        let mut found: BTreeMap<u32, Vec<(u32, String)>> = BTreeMap::new();
        let mut beyond: Option<((u32, u32), usize)> = None;
        let mut reader = wb.worksheet_cells_reader(&name).map_err(err)?;
        while let Some(c) = reader.next_cell().map_err(err)? {
            let text = cell(&Data::from(c.get_value().clone()));
            if text.is_empty() {
                continue;
            }
            let (r, col) = c.get_position();
            if r >= limits.xlsx_rows || col >= limits.xlsx_columns || kept >= limits.xlsx_cells {
                let first = beyond.map_or((r, col), |(p, _)| p);
                beyond = Some((first, beyond.map_or(1, |(_, n)| n + 1)));
                continue;
            }
            kept += 1;
            found.entry(r).or_default().push((col, text));
        }
        drop(reader);
        if let Some(((r, col), n)) = beyond {
            let reference = format!("{}{}", column_letters(col as usize), u64::from(r) + 1);
            warnings.push(Warning {
                file: file.to_string(),
                sheet: Some(name.clone()),
                line: Some(r as usize + 1),
                reference: Some(reference.clone()),
                column: None,
                cell: None,
                message: format!(
                    "{n} cell(s) from {reference} on are beyond what the importer reads ({} rows, {} columns, {} cells in all); ignored",
                    limits.xlsx_rows, limits.xlsx_columns, limits.xlsx_cells
                ),
            });
        }
        let rows = found
            .into_iter()
            .map(|(r, mut cells)| {
                cells.sort_by_key(|(col, _)| *col);
                // Cells at their column (a row that starts at C has two empty cells first).
                let width = cells.last().map_or(0, |(col, _)| *col as usize + 1);
                let mut row = vec![String::new(); width];
                for (col, text) in cells {
                    row[col as usize] = text;
                }
                (r as usize + 1, row)
            })
            .collect();
        out.push(Sheet { name, rows });
    }
    Ok((out, warnings))
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
        let name = part.name().to_string();
        let room = limit.saturating_sub(total).saturating_add(1);
        // A part that cannot be unpacked is calamine's to report, if it reads it at all.
        if name.starts_with("xl/worksheets/") {
            let mut xml = Vec::new();
            total += part.take(room).read_to_end(&mut xml).unwrap_or(0) as u64;
            if total <= limit {
                check_references(&xml).map_err(|what| err(format!("{what} in {name}")))?;
            }
        } else {
            total += std::io::copy(&mut part.take(room), &mut std::io::sink()).unwrap_or(0);
        }
        if total > limit {
            return Err(err(format!(
                "its parts unpack to more than {limit} bytes, the limit (a zip bomb?)"
            )));
        }
    }
    Ok(())
}

/// Refuses a worksheet whose cell references (`r="..."`, `ref="..."`) calamine would compute
/// in `u32` arithmetic that overflows (a panic in a build with overflow checks, a wrong cell
/// without): more than 3 letters or 7 digits in a run (no spreadsheet has such cells), or a
/// range (`ref="B5:A1"`, a dimension or merged cells) that ends before it starts. Says what
/// the first such reference is.
fn check_references(xml: &[u8]) -> Result<(), String> {
    for attr in [&b" r=\""[..], &b" ref=\""[..]] {
        let mut from = 0;
        while let Some(i) = find(&xml[from..], attr) {
            let start = from + i + attr.len();
            let end = xml[start..]
                .iter()
                .position(|&c| c == b'"')
                .map_or(xml.len(), |e| start + e);
            let value = &xml[start..end];
            let (mut letters, mut digits) = (0usize, 0usize);
            for &c in value {
                if c.is_ascii_alphabetic() {
                    letters += 1;
                    digits = 0;
                } else if c.is_ascii_digit() {
                    digits += 1;
                    letters = 0;
                } else {
                    (letters, digits) = (0, 0);
                }
                if letters > 3 || digits > 7 {
                    return Err(format!(
                        "cell reference `{}` is beyond any spreadsheet's (16,384 columns, 1,048,576 rows)",
                        String::from_utf8_lossy(&value[..value.len().min(40)])
                    ));
                }
            }
            if let [Some(a), Some(b)] = {
                let mut ends = value.splitn(3, |&c| c == b':').map(cell_position);
                [ends.next().flatten(), ends.next().flatten()]
            } {
                if b.0 < a.0 || b.1 < a.1 {
                    return Err(format!(
                        "range `{}` ends before it starts",
                        String::from_utf8_lossy(value)
                    ));
                }
            }
            from = end;
        }
    }
    Ok(())
}

/// The (column, row) of a cell reference such as `B5` (letters then digits, as calamine reads
/// them), `None` for anything else. Called only on references of at most 3 letters and 7 digits.
fn cell_position(r: &[u8]) -> Option<(u32, u32)> {
    let letters = r.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    let (col, row) = r.split_at(letters);
    if letters == 0 || row.is_empty() || !row.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let col = col.iter().fold(0u32, |n, c| {
        n * 26 + u32::from(c.to_ascii_uppercase() - b'A') + 1
    });
    let row = row.iter().fold(0u32, |n, c| n * 10 + u32::from(c - b'0'));
    Some((col, row))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
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
