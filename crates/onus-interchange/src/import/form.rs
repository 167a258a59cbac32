//! The intermediate form every reader produces: headings, tables of text cells (each row with
//! its place in the file), footnote definitions, optional metadata. The builder
//! ([`super::build`]) turns it into a model, whatever the format was.

use onus_model::{ControlRef, Model, PartyKind};

use super::{ImportError, Warning};

/// Where a row or paragraph stands.
#[derive(Debug, Clone, Default)]
pub(crate) struct Loc {
    pub sheet: Option<String>,
    /// 1-based line of a text file, or row of a sheet.
    pub line: Option<usize>,
}

#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub cells: Vec<String>,
    pub loc: Loc,
    /// What a reader of a structured format already knows of the row beyond its cells.
    pub extra: Extra,
}

impl Row {
    pub(crate) fn new(cells: Vec<String>, loc: Loc) -> Row {
        Row {
            cells,
            loc,
            extra: Extra::default(),
        }
    }
}

/// Facts a reader of a structured format (CAIQ, FedRAMP) attaches to a row: texts published
/// in columns of their own, which a flat matrix has no place for.
#[derive(Debug, Clone, Default)]
pub(crate) struct Extra {
    /// Footnotes on a party's cell: `(party label, marker, text)`.
    pub footnotes: Vec<(String, String, String)>,
    /// Notes, in the document's language.
    pub notes: Vec<String>,
    pub controls: Vec<ControlRef>,
}

/// A party a reader declares before the builder meets it in a header, with its kind.
#[derive(Debug, Clone)]
pub(crate) struct Declared {
    /// The column header that names it.
    pub label: String,
    pub id: String,
    pub kind: PartyKind,
    /// The name to show, when it differs from the label.
    pub name: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Heading {
    pub level: u8,
    pub text: String,
    /// An explicit id (`{#id}` in Markdown).
    pub id: Option<String>,
    pub line: usize,
}

#[derive(Debug, Clone)]
pub(crate) struct Table {
    /// Index of the heading the table stands under.
    pub heading: Option<usize>,
    /// The sheet it comes from.
    pub sheet: Option<String>,
    pub rows: Vec<Row>,
    /// Whether `rows[0]` is known to be the header (Markdown); otherwise it is searched for.
    pub header_known: bool,
    /// Footnote definitions written right after the table: marker to text.
    pub footnotes: Vec<(String, String)>,
}

/// Plain front-matter fields of a provider's document.
#[derive(Debug, Clone, Default)]
pub(crate) struct Front {
    pub id: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub updated: Option<String>,
    pub version: Option<String>,
    pub language: Option<String>,
    pub provider: Option<String>,
    pub service: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Doc {
    pub file: String,
    /// The whole model but its activities, as written by onus's exporters.
    pub meta: Option<Model>,
    pub front: Front,
    pub headings: Vec<Heading>,
    pub tables: Vec<Table>,
    /// Footnote definitions that hold for the whole document (`[^1]: ...`).
    pub footnotes: Vec<(String, String)>,
    /// Parties the reader knows before any header names them (CAIQ's CSP and CSC).
    pub parties: Vec<Declared>,
    /// How the reader mapped the document's own words to role letters, for `roles.note`.
    pub roles_note: Option<String>,
    pub warnings: Vec<Warning>,
}

impl Doc {
    pub(crate) fn new(file: &str) -> Doc {
        Doc {
            file: file.to_string(),
            meta: None,
            front: Front::default(),
            headings: Vec::new(),
            tables: Vec::new(),
            footnotes: Vec::new(),
            parties: Vec::new(),
            roles_note: None,
            warnings: Vec::new(),
        }
    }

    pub(crate) fn warn(
        &mut self,
        loc: &Loc,
        column: Option<&str>,
        cell: Option<&str>,
        message: impl Into<String>,
    ) {
        self.warn_at(loc, None, column, cell, message);
    }

    /// A warning about the cell in column `index` (0-based) of the row at `loc`: in a sheet,
    /// it carries the cell's reference (`D7`).
    pub(crate) fn warn_at(
        &mut self,
        loc: &Loc,
        index: Option<usize>,
        column: Option<&str>,
        cell: Option<&str>,
        message: impl Into<String>,
    ) {
        let reference = match (&loc.sheet, index, loc.line) {
            (Some(_), Some(i), Some(l)) => Some(format!("{}{l}", column_letters(i))),
            _ => None,
        };
        self.warnings.push(Warning {
            file: self.file.clone(),
            sheet: loc.sheet.clone(),
            line: loc.line,
            reference,
            column: column.map(str::to_string),
            cell: cell.map(str::to_string),
            message: message.into(),
        });
    }
}

/// The first cell of a row that holds something, for messages about the row.
pub(crate) fn first_filled(cells: &[String]) -> Option<&str> {
    cells
        .iter()
        .map(String::as_str)
        .find(|c| !c.trim().is_empty())
}

impl Doc {
    /// Adds a table that a structured reader (CAIQ, FedRAMP) made in the flat layout the
    /// builder reads: `header` (column names it recognises) at `at`, then the rows.
    pub(crate) fn push_flat(
        &mut self,
        sheet: Option<String>,
        header: &[&str],
        at: Loc,
        rows: Vec<Row>,
    ) {
        let mut all = vec![Row::new(header.iter().map(|h| h.to_string()).collect(), at)];
        all.extend(rows);
        self.tables.push(Table {
            heading: None,
            sheet,
            rows: all,
            header_known: true,
            footnotes: Vec::new(),
        });
    }
}

/// A 0-based column index as a sheet names it: 0 is `A`, 25 `Z`, 26 `AA`.
pub(crate) fn column_letters(index: usize) -> String {
    let mut n = index + 1;
    let mut out = Vec::new();
    while n > 0 {
        let r = (n - 1) % 26;
        out.push(b'A' + r as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// The key under which exporters write the model's metadata (front matter key, first cell of
/// the metadata row).
pub const METADATA_KEY: &str = "onus-metadata";

/// Reads the metadata an exporter wrote: a model without its `activities`, as JSON or YAML.
pub(crate) fn parse_meta(
    file: &str,
    line: usize,
    value: serde_json::Value,
) -> Result<Model, ImportError> {
    let mut v = value;
    if let Some(o) = v.as_object_mut() {
        o.insert("activities".into(), serde_json::Value::Array(Vec::new()));
    }
    serde_json::from_value(v).map_err(|e| ImportError::Metadata {
        file: file.to_string(),
        line,
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn columns_are_lettered_as_sheets_do() {
        assert_eq!(super::column_letters(0), "A");
        assert_eq!(super::column_letters(25), "Z");
        assert_eq!(super::column_letters(26), "AA");
        assert_eq!(super::column_letters(27), "AB");
        assert_eq!(super::column_letters(701), "ZZ");
        assert_eq!(super::column_letters(702), "AAA");
    }
}
