//! Reads a CSV sheet: a header row (found among the first rows), an activity column, an
//! optional section column, one column per party. The delimiter (`,`, `;` or tab) is guessed
//! from the first lines. A first row `onus-metadata,<json>` carries the metadata of a model
//! exported by onus.

use super::form::{parse_meta, Doc, Loc, Row, Table, METADATA_KEY};
use super::ImportError;

pub(crate) fn read(file: &str, text: &str) -> Result<Doc, ImportError> {
    let mut doc = Doc::new(file);
    let delimiter = guess_delimiter(text);
    let mut rdr = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut table = Table {
        heading: None,
        sheet: None,
        rows: Vec::new(),
        header_known: false,
        footnotes: Vec::new(),
    };
    for rec in rdr.records() {
        let rec = rec.map_err(|e| ImportError::Csv {
            file: file.to_string(),
            line: e.position().map_or(0, |p| p.line() as usize),
            message: e.to_string(),
        })?;
        let line = rec.position().map(|p| p.line() as usize);
        // The `'` onus's exporter puts before formula cells comes off (as a spreadsheet
        // shows the cell).
        let cells: Vec<String> = rec
            .iter()
            .map(|c| onus_model::csv_cell_read(c).to_string())
            .collect();
        if cells.first().map(|c| c.trim()) == Some(METADATA_KEY) {
            let json: String = cells.iter().skip(1).map(String::as_str).collect();
            let value: serde_json::Value =
                serde_json::from_str(&json).map_err(|e| ImportError::Metadata {
                    file: file.to_string(),
                    line: line.unwrap_or(1),
                    message: e.to_string(),
                })?;
            doc.meta = Some(parse_meta(file, line.unwrap_or(1), value)?);
            continue;
        }
        table.rows.push(Row::new(cells, Loc { sheet: None, line }));
    }
    doc.tables.push(table);
    Ok(doc)
}

fn guess_delimiter(text: &str) -> u8 {
    let head: String = text
        .lines()
        .filter(|l| !l.starts_with(METADATA_KEY))
        .take(10)
        .collect::<Vec<_>>()
        .join("\n");
    let count = |c: char| head.matches(c).count();
    [(b'\t', count('\t')), (b';', count(';')), (b',', count(','))]
        .into_iter()
        .max_by_key(|&(d, n)| (n, d == b','))
        .map_or(b',', |(d, n)| if n == 0 { b',' } else { d })
}

#[cfg(test)]
mod tests {
    #[test]
    fn delimiters_are_guessed() {
        assert_eq!(super::guess_delimiter("a;b;c\n1;2;3"), b';');
        assert_eq!(super::guess_delimiter("a,b\n1,2"), b',');
        assert_eq!(super::guess_delimiter("a\tb"), b'\t');
        assert_eq!(super::guess_delimiter("a"), b',');
    }
}
