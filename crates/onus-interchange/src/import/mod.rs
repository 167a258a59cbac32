//! Import: a provider's published matrix into a [`Model`].
//!
//! Each format has its own reader module, and every reader produces the same intermediate form
//! ([`form`]: headings, tables of text cells each with its place in the file, footnote
//! definitions, optional metadata). One builder ([`build`]) turns that form into a model: it
//! finds header rows, recognises columns, parties and their kinds, sections, role cells
//! (letters, or owners named in words) and footnote markers, and suggests topics.
//!
//! | module | reads |
//! | --- | --- |
//! | [`markdown`] | Markdown pages (OVHcloud's guides, Cloud Temple's RACI, onus's export) |
//! | [`asciidoc`] | AsciiDoc `\|===` tables (Red Hat's OpenShift documentation) |
//! | [`html`] | tables of a saved documentation page |
//! | [`csv`] | CSV sheets (onus's export, any spreadsheet saved as CSV) |
//! | [`xlsx`] | XLSX workbooks (onus's export, any sheet with a matrix) |
//! | [`caiq`] | the CSA CAIQ v4 questionnaire (SSRM control ownership per CCM question) |
//! | [`fedramp`] | the FedRAMP CIS/CRM workbook (SSP appendix J), per control statement |
//!
//! Everything the builder or a reader could not interpret becomes a located [`Warning`]
//! (file and line, or sheet and cell, and why); only input that holds no matrix at all, or
//! metadata that is not a model, is an [`ImportError`]. Importing never panics.
//!
//! Files written by [`crate::export`] carry the model's metadata (front matter, a metadata row
//! or sheet) and come back as the same model. Providers' own files carry none: the importer
//! then derives parties from the column headers, sections from headings, numbers, a section
//! column or sheet names, ids from the section and row, and suggests topics from the text.

pub mod asciidoc;
pub(crate) mod build;
pub mod caiq;
pub(crate) mod cells;
pub(crate) mod columns;
pub mod csv;
pub mod fedramp;
pub(crate) mod form;
pub mod html;
pub mod markdown;
pub(crate) mod topics;
pub mod xlsx;

use std::fmt;
use std::path::Path;

use onus_model::Model;
use serde::Serialize;

pub(crate) use columns::probe_header;
pub use form::METADATA_KEY;
pub use topics::suggest_topics;

/// The largest file the importers read: 8 MiB of Markdown or CSV, 32 MiB of XLSX (see
/// [`onus_limits::Limits`]).
pub const MAX_TEXT_BYTES: usize = onus_limits::Limits::DEFAULT.import_text_bytes;
pub const MAX_XLSX_BYTES: usize = onus_limits::Limits::DEFAULT.import_xlsx_bytes;

/// The formats the importers read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Markdown,
    Asciidoc,
    Html,
    Csv,
    /// Any workbook; a CAIQ or a FedRAMP CIS/CRM workbook is recognised by its headers.
    Xlsx,
    /// The CSA CAIQ v4 workbook, whatever its file name.
    Caiq,
    /// The FedRAMP CIS/CRM workbook, whatever its file name.
    Fedramp,
}

/// The names `--format` takes, for help texts.
pub const FORMAT_NAMES: &str = "markdown, asciidoc, html, csv, xlsx, caiq or fedramp";

impl Format {
    /// The format a file name suggests (`.md`, `.adoc`, `.html`, `.csv`, `.tsv`, `.xlsx`).
    pub fn from_path(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "md" | "markdown" => Some(Format::Markdown),
            "adoc" | "asciidoc" | "asc" => Some(Format::Asciidoc),
            "html" | "htm" | "xhtml" => Some(Format::Html),
            "csv" | "tsv" | "txt" => Some(Format::Csv),
            "xlsx" | "xlsm" => Some(Format::Xlsx),
            _ => None,
        }
    }

    fn is_workbook(self) -> bool {
        matches!(self, Format::Xlsx | Format::Caiq | Format::Fedramp)
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "markdown" | "md" => Ok(Format::Markdown),
            "asciidoc" | "adoc" => Ok(Format::Asciidoc),
            "html" | "htm" => Ok(Format::Html),
            "csv" => Ok(Format::Csv),
            "xlsx" => Ok(Format::Xlsx),
            "caiq" => Ok(Format::Caiq),
            "fedramp" | "fedramp-crm" | "crm" => Ok(Format::Fedramp),
            other => Err(format!("unknown format `{other}` ({FORMAT_NAMES})")),
        }
    }
}

/// Something in the file the importer could not interpret, and where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// The file's name as given.
    pub file: String,
    /// The sheet, for XLSX files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// 1-based line of a text file, or row of a sheet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The cell's reference in a sheet (`D7`), when the warning is about one cell.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The header of the cell's column, when the warning is about a cell.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// The cell's text, when the warning is about a cell.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cell: Option<String>,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        match (&self.sheet, &self.reference, self.line) {
            (Some(s), Some(r), _) => write!(f, "[{s}!{r}]")?,
            (Some(s), None, Some(l)) => write!(f, "[{s}]:{l}")?,
            (Some(s), None, None) => write!(f, "[{s}]")?,
            (None, _, Some(l)) => write!(f, ":{l}")?,
            (None, _, None) => {}
        }
        write!(f, ": ")?;
        if let Some(c) = &self.column {
            write!(f, "column `{c}`: ")?;
        }
        if let Some(c) = &self.cell {
            write!(f, "cell `{c}`: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Why a file could not be imported at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read `{path}`: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{file}: {size} bytes is more than the {limit} bytes an import reads")]
    TooLarge {
        file: String,
        size: usize,
        limit: usize,
    },
    #[error("{file}: not UTF-8 text (save it as UTF-8)")]
    Encoding { file: String },
    #[error("{file}: cannot tell the format; name it .md, .adoc, .html, .csv or .xlsx, or give --format")]
    UnknownFormat { file: String },
    #[error("{file}: {message}")]
    NotThatFormat { file: String, message: String },
    #[error("{file}:{line}: {message}")]
    Csv {
        file: String,
        line: usize,
        message: String,
    },
    #[error("{file}: not a readable XLSX workbook: {message}")]
    Xlsx { file: String, message: String },
    #[error("{file}:{line}: the onus metadata is not a model: {message}")]
    Metadata {
        file: String,
        line: usize,
        message: String,
    },
    #[error("{file}: no table with an activity column was found (a header such as `Activity`, `Activité` or `Task`, then one column per party)")]
    NoMatrix { file: String },
}

/// An imported model and what could not be interpreted.
#[derive(Debug, Clone)]
pub struct Imported {
    pub model: Model,
    pub warnings: Vec<Warning>,
}

/// Imports a file, guessing the format from its name unless one is given.
pub fn import_path(path: &Path, format: Option<Format>) -> Result<Imported, ImportError> {
    let name = path.display().to_string();
    let format = format
        .or_else(|| Format::from_path(path))
        .ok_or_else(|| ImportError::UnknownFormat { file: name.clone() })?;
    let limit = if format.is_workbook() {
        MAX_XLSX_BYTES
    } else {
        MAX_TEXT_BYTES
    };
    let io = |source| ImportError::Io {
        path: name.clone(),
        source,
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > limit as u64 {
        return Err(ImportError::TooLarge {
            file: name,
            size: usize::try_from(size).unwrap_or(usize::MAX),
            limit,
        });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    import_bytes(&name, &bytes, format)
}

/// Imports a file's bytes in the given format. `name` is used in warnings and to name the
/// model when the file does not.
pub fn import_bytes(name: &str, bytes: &[u8], format: Format) -> Result<Imported, ImportError> {
    import_bytes_with_limits(name, bytes, format, &onus_limits::Limits::DEFAULT)
}

/// [`import_bytes`] within `limits` (sizes, the XLSX sheet area, front matter nesting)
/// instead of the defaults.
pub fn import_bytes_with_limits(
    name: &str,
    bytes: &[u8],
    format: Format,
    limits: &onus_limits::Limits,
) -> Result<Imported, ImportError> {
    let limit = if format.is_workbook() {
        limits.import_xlsx_bytes
    } else {
        limits.import_text_bytes
    };
    if bytes.len() > limit {
        return Err(ImportError::TooLarge {
            file: name.to_string(),
            size: bytes.len(),
            limit,
        });
    }
    let doc = match format {
        Format::Markdown => markdown::read(name, text(name, bytes)?)?,
        Format::Asciidoc => asciidoc::read(name, text(name, bytes)?)?,
        Format::Html => html::read(name, text(name, bytes)?)?,
        Format::Csv => csv::read(name, text(name, bytes)?)?,
        Format::Xlsx => {
            // A CAIQ or a FedRAMP workbook has headers no other matrix has: read it as such.
            let (grid, notes) = xlsx::grid(name, bytes, limits)?;
            let mut doc = if caiq::recognise(&grid) {
                caiq::read(name, &grid)?
            } else if fedramp::recognise(&grid) {
                fedramp::read(name, &grid)?
            } else {
                xlsx::read(name, grid)?
            };
            doc.warnings.extend(notes);
            doc
        }
        Format::Caiq | Format::Fedramp => {
            let (grid, notes) = xlsx::grid(name, bytes, limits)?;
            let mut doc = if format == Format::Caiq {
                caiq::read(name, &grid)?
            } else {
                fedramp::read(name, &grid)?
            };
            doc.warnings.extend(notes);
            doc
        }
    };
    build::build(doc)
}

fn text<'a>(name: &str, bytes: &'a [u8]) -> Result<&'a str, ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|_| ImportError::Encoding {
        file: name.to_string(),
    })
}
