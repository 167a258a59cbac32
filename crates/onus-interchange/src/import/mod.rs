//! Import: a provider's published matrix into a [`Model`].
//!
//! Three readers ([`markdown`], [`csv`], [`xlsx`]) turn a file into the same intermediate form
//! (headings, tables of text cells, footnote definitions, optional metadata), and one builder
//! turns that into a model. Everything the builder could not interpret becomes a located
//! [`Warning`]; only input that holds no matrix at all, or metadata that is not a model, is an
//! [`ImportError`]. Importing never panics.
//!
//! Files written by [`crate::export`] carry the model's metadata (front matter, a metadata row
//! or sheet) and come back as the same model. Providers' own files carry none: the importer
//! then derives parties from the column headers, sections from headings, numbers, a section
//! column or sheet names, ids from the section and row, and suggests topics from the text.

pub mod csv;
pub mod markdown;
pub mod xlsx;

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use indexmap::IndexMap;
use onus_model::query::terms;
use onus_model::{
    Activity, Duty, Footnote, Model, Party, PartyKind, RoleLetter, RoleScheme, Section,
    SectionKind, Source, SourceRef, Text, Vocabulary,
};
use serde::Serialize;

use crate::util::{key, parent_number, slug, split_number, unique};

/// The largest file the importers read: 8 MiB of Markdown or CSV, 32 MiB of XLSX (see
/// [`onus_limits::Limits`]).
pub const MAX_TEXT_BYTES: usize = onus_limits::Limits::DEFAULT.import_text_bytes;
pub const MAX_XLSX_BYTES: usize = onus_limits::Limits::DEFAULT.import_xlsx_bytes;

/// The formats the importers read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Markdown,
    Csv,
    Xlsx,
}

impl Format {
    /// The format a file name suggests (`.md`, `.markdown`, `.csv`, `.tsv`, `.xlsx`).
    pub fn from_path(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "md" | "markdown" => Some(Format::Markdown),
            "csv" | "tsv" | "txt" => Some(Format::Csv),
            "xlsx" | "xlsm" => Some(Format::Xlsx),
            _ => None,
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "markdown" | "md" => Ok(Format::Markdown),
            "csv" => Ok(Format::Csv),
            "xlsx" => Ok(Format::Xlsx),
            other => Err(format!("unknown format `{other}` (markdown, csv or xlsx)")),
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
        if let Some(s) = &self.sheet {
            write!(f, "[{s}]")?;
        }
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
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
    #[error("{file}: cannot tell the format; name it .md, .csv or .xlsx, or give --format")]
    UnknownFormat { file: String },
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
    let limit = if format == Format::Xlsx {
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
    let limit = if format == Format::Xlsx {
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
        Format::Csv => csv::read(name, text(name, bytes)?)?,
        Format::Xlsx => xlsx::read(name, bytes, limits)?,
    };
    build(doc)
}

fn text<'a>(name: &str, bytes: &'a [u8]) -> Result<&'a str, ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|_| ImportError::Encoding {
        file: name.to_string(),
    })
}

// ---------------------------------------------------------------------------------------------
// The intermediate form the readers produce.

/// Where a row or paragraph stands.
#[derive(Debug, Clone, Default)]
pub(crate) struct Loc {
    pub sheet: Option<String>,
    pub line: Option<usize>,
}

#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub cells: Vec<String>,
    pub loc: Loc,
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
        self.warnings.push(Warning {
            file: self.file.clone(),
            sheet: loc.sheet.clone(),
            line: loc.line,
            column: column.map(str::to_string),
            cell: cell.map(str::to_string),
            message: message.into(),
        });
    }
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

// ---------------------------------------------------------------------------------------------
// Columns.

#[derive(Debug, Clone, PartialEq)]
enum Col {
    Id,
    Section,
    SectionTitle(Option<String>),
    Lead(Option<String>),
    Text(Option<String>),
    Topics,
    Suggested,
    Layer,
    Cadence,
    SourceSection,
    SourceList,
    SourceRow,
    Notes(Option<String>),
    Footnotes(Option<String>),
    /// A party column; the label as written.
    Party(String),
    Empty,
}

/// Splits `Activity (en)` or `Activité [fr]` into the label and the language tag.
fn split_lang(header: &str) -> (String, Option<String>) {
    let h = header.trim();
    for (open, close) in [('(', ')'), ('[', ']')] {
        if let Some(inner) = h
            .strip_suffix(close)
            .and_then(|s| s.rfind(open).map(|i| (&s[..i], &s[i + 1..])))
        {
            let (label, tag) = inner;
            let ok = (2..=8).contains(&tag.len())
                && tag
                    .split('-')
                    .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric()))
                && tag.chars().take(2).all(|c| c.is_ascii_lowercase());
            if ok && !label.trim().is_empty() {
                return (label.trim().to_string(), Some(tag.to_string()));
            }
        }
    }
    (h.to_string(), None)
}

/// Words that name the activity column, with the language they are in.
const TEXT_LABELS: &[(&str, &str)] = &[
    ("activity", "en"),
    ("activities", "en"),
    ("task", "en"),
    ("tasks", "en"),
    ("duty", "en"),
    ("item", "en"),
    ("text", "en"),
    ("responsibility", "en"),
    ("control", "en"),
    ("activite", "fr"),
    ("activites", "fr"),
    ("tache", "fr"),
    ("taches", "fr"),
    ("texte", "fr"),
    ("element", "fr"),
    ("responsabilite", "fr"),
    ("actividad", "es"),
    ("aktivitat", "de"),
    ("tatigkeit", "de"),
    ("aufgabe", "de"),
];

/// Whether the importer reads a column with this header as a party column.
pub(crate) fn probe_header(header: &str) -> bool {
    matches!(classify(header).0, Col::Party(_))
}

fn classify(header: &str) -> (Col, Option<&'static str>) {
    let (label, lang) = split_lang(header.trim().trim_matches(['*', '_']));
    let k = key(&label);
    let col = match k.as_str() {
        "" => Col::Empty,
        "id" | "identifier" | "identifiant" | "ref" => Col::Id,
        "section" | "section id" | "section number" | "numero de section" | "no" | "n"
        | "phase" => Col::Section,
        "section title" | "titre de section" | "titre" | "title" => Col::SectionTitle(lang),
        "lead" | "lead in" | "introduction" | "chapeau" => Col::Lead(lang),
        "topics" | "topic" | "themes" | "theme" | "sujets" => Col::Topics,
        "suggested topics" | "themes suggeres" => Col::Suggested,
        "layer" | "couche" => Col::Layer,
        "cadence" | "frequency" | "frequence" => Col::Cadence,
        "source section" => Col::SourceSection,
        "source list" => Col::SourceList,
        "source row" => Col::SourceRow,
        "notes" | "note" | "remarques" => Col::Notes(lang),
        "footnotes" | "footnote" | "notes de bas de page" | "renvois" => Col::Footnotes(lang),
        _ => {
            if let Some((_, l)) = TEXT_LABELS.iter().find(|(w, _)| *w == k) {
                return (Col::Text(lang), Some(l));
            }
            Col::Party(label)
        }
    };
    (col, None)
}

// ---------------------------------------------------------------------------------------------
// Cells.

/// A role cell read: letters in the order written, and footnote markers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cell {
    pub letters: String,
    pub markers: Vec<String>,
}

const SUPERSCRIPTS: &str = "⁰¹²³⁴⁵⁶⁷⁸⁹";

/// Reads a role cell such as `RA`, `I/R`, `**CI**`, `RA*`, `A¹`, `R (1)` or `RA[^2]`.
pub(crate) fn parse_cell(raw: &str, letters: &[char]) -> Result<Cell, String> {
    let mut s = raw.trim().to_string();
    for wrap in ["**", "__", "`"] {
        if s.len() > 2 * wrap.len() && s.starts_with(wrap) && s.ends_with(wrap) {
            s = s[wrap.len()..s.len() - wrap.len()].trim().to_string();
        }
    }
    let k = key(&s);
    if s.is_empty()
        || matches!(s.as_str(), "-" | "–" | "—" | "." | "/")
        || matches!(k.as_str(), "n a" | "na" | "none" | "aucun")
    {
        return Ok(Cell {
            letters: String::new(),
            markers: Vec::new(),
        });
    }
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut out = String::new();
    while i < chars.len() {
        let c = chars[i];
        let up = c.to_ascii_uppercase();
        if letters.contains(&up) && c.is_ascii_alphabetic() {
            if out.contains(up) {
                return Err(format!("`{up}` appears twice"));
            }
            out.push(up);
            i += 1;
        } else if c.is_whitespace() || matches!(c, '/' | ',' | '+' | '&' | ';') {
            i += 1;
        } else {
            break;
        }
    }
    let rest: String = chars[i..].iter().collect();
    let markers = parse_markers(rest.trim()).ok_or_else(|| {
        if out.is_empty() {
            format!(
                "not a role: the letters are {}",
                letters
                    .iter()
                    .map(char::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        } else {
            format!(
                "`{}` after the letters is not a footnote marker",
                rest.trim()
            )
        }
    })?;
    if out.is_empty() && !markers.is_empty() {
        return Err("a footnote marker without a role".into());
    }
    Ok(Cell {
        letters: out,
        markers,
    })
}

/// Footnote markers: `*`, `**`, `†`, `‡`, `§`, superscript or plain digits, `(1)`, `[1]`,
/// `[^1]`, `^1`. `None` when the text is something else.
fn parse_markers(s: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let take_while = |i: &mut usize, f: &dyn Fn(char) -> bool| {
            while *i < chars.len() && f(chars[*i]) {
                *i += 1;
            }
        };
        match c {
            '*' => take_while(&mut i, &|c| c == '*'),
            '†' | '‡' | '§' | '#' => take_while(&mut i, &|c| c == chars[start]),
            _ if SUPERSCRIPTS.contains(c) => take_while(&mut i, &|c| SUPERSCRIPTS.contains(c)),
            _ if c.is_ascii_digit() => take_while(&mut i, &|c| c.is_ascii_digit()),
            '^' => {
                i += 1;
                take_while(&mut i, &|c| c.is_ascii_alphanumeric());
                if i == start + 1 {
                    return None;
                }
                out.push(chars[start + 1..i].iter().collect());
                continue;
            }
            '(' | '[' => {
                let close = if c == '(' { ')' } else { ']' };
                let end = chars[i..].iter().position(|&x| x == close)? + i;
                let inner: String = chars[i + 1..end].iter().collect();
                let inner_t = inner.trim_start_matches('^');
                if inner_t.is_empty() || !inner_t.chars().all(|c| c.is_alphanumeric() || c == '*') {
                    return None;
                }
                i = end + 1;
                // `[^1]` is a Markdown footnote reference: its marker is the label.
                out.push(if inner.starts_with('^') {
                    inner_t.to_string()
                } else {
                    chars[start..i].iter().collect()
                });
                continue;
            }
            _ => return None,
        }
        out.push(chars[start..i].iter().collect());
    }
    Some(out)
}

/// A marker reduced for matching a definition to a reference (`(1)`, `[1]`, `^1`, `¹` and `1`
/// are the same footnote).
fn marker_key(m: &str) -> String {
    m.chars()
        .filter(|c| !matches!(c, '(' | ')' | '[' | ']' | '^'))
        .map(|c| {
            SUPERSCRIPTS
                .chars()
                .position(|s| s == c)
                .and_then(|d| char::from_digit(d as u32, 10))
                .unwrap_or(c)
        })
        .collect()
}

/// Reads a footnote definition written as a paragraph: `* text`, `(1) text`, `¹ text`, `1: text`.
pub(crate) fn footnote_definition(s: &str) -> Option<(String, String)> {
    let s = s.trim();
    let chars: Vec<char> = s.chars().collect();
    let mut end = 0;
    let first = *chars.first()?;
    match first {
        '*' | '†' | '‡' | '§' => {
            while end < chars.len() && chars[end] == first {
                end += 1;
            }
        }
        '(' | '[' => {
            let close = if first == '(' { ')' } else { ']' };
            end = chars.iter().position(|&c| c == close)? + 1;
            if end > 6 {
                return None;
            }
        }
        c if SUPERSCRIPTS.contains(c) => {
            while end < chars.len() && SUPERSCRIPTS.contains(chars[end]) {
                end += 1;
            }
        }
        c if c.is_ascii_digit() => {
            while end < chars.len() && chars[end].is_ascii_digit() {
                end += 1;
            }
            // `1: text` or `1) text`; `1 text` could be anything.
            if !matches!(chars.get(end), Some(':' | ')')) {
                return None;
            }
        }
        _ => return None,
    }
    let marker: String = chars[..end].iter().collect();
    let rest: String = chars[end..].iter().collect();
    let rest = rest
        .trim_start()
        .trim_start_matches([':', ')', '=', '-', '–'])
        .trim();
    if rest.is_empty() {
        return None;
    }
    parse_markers(&marker)?;
    Some((marker, rest.to_string()))
}

// ---------------------------------------------------------------------------------------------
// Topics.

/// Topics of the vocabulary whose keywords (in any language) appear in `text`, best first, at
/// most three. Matching is accent- and case-insensitive and ignores plurals; a keyword of
/// several words matches when its words appear in a row.
pub fn suggest_topics(vocab: &Vocabulary, text: &Text) -> Vec<String> {
    let words: Vec<Vec<String>> = text.all().map(terms).collect();
    let mut scored: Vec<(usize, usize, &str)> = Vec::new();
    for (i, t) in vocab.topics.iter().enumerate() {
        let mut score = 0;
        for kw in t.keywords.values().flatten() {
            let k = terms(kw);
            if k.is_empty() {
                continue;
            }
            if words
                .iter()
                .any(|w| w.windows(k.len()).any(|win| win == k.as_slice()))
            {
                score += k.len();
            }
        }
        if score > 0 {
            scored.push((score, i, &t.id));
        }
    }
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored
        .into_iter()
        .take(3)
        .map(|(_, _, id)| id.to_string())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The builder.

fn default_roles(lang: &str) -> RoleScheme {
    let defs: [(char, Duty, &str, &str, &str, &str); 4] = [
        (
            'R',
            Duty::Responsible,
            "Responsible",
            "Carries out the activity",
            "Réalisateur",
            "Est en charge de la réalisation",
        ),
        (
            'A',
            Duty::Accountable,
            "Accountable",
            "Answers for the activity and approves it",
            "Approbateur",
            "Approuve la réalisation et en répond",
        ),
        (
            'C',
            Duty::Consulted,
            "Consulted",
            "Is consulted during the activity",
            "Consulté",
            "Est consulté pendant l'activité",
        ),
        (
            'I',
            Duty::Informed,
            "Informed",
            "Is informed of its results",
            "Informé",
            "Est informé des résultats",
        ),
    ];
    let letters = defs
        .iter()
        .map(|&(letter, duty, en, en_d, fr, fr_d)| {
            let (n, d) = if lang == "fr" { (fr, fr_d) } else { (en, en_d) };
            RoleLetter {
                letter,
                duty,
                name: Text::new(lang, n),
                definition: Text::new(lang, d),
            }
        })
        .collect();
    RoleScheme {
        id: "raci".into(),
        letters,
        note: None,
    }
}

const CUSTOMER_WORDS: &[&str] = &[
    "client",
    "clients",
    "customer",
    "customers",
    "user",
    "users",
    "utilisateur",
    "utilisateurs",
    "tenant",
    "consumer",
    "you",
    "vous",
    "cliente",
    "kunde",
    "beneficiaire",
];
const THIRD_WORDS: &[&str] = &[
    "reseller",
    "revendeur",
    "partner",
    "partenaire",
    "integrator",
    "integrateur",
    "msp",
    "distributor",
    "distributeur",
    "third",
    "tiers",
    "subcontractor",
    "sous",
    "hoster",
    "hebergeur",
    "vendor",
    "editeur",
    "isv",
    "broker",
];
const PROVIDER_WORDS: &[&str] = &[
    "provider",
    "fournisseur",
    "csp",
    "prestataire",
    "operator",
    "operateur",
    "cloud",
];

fn party_kind(label: &str) -> Option<PartyKind> {
    let k = key(label);
    let words: Vec<&str> = k.split_whitespace().collect();
    if words.iter().any(|w| THIRD_WORDS.contains(w)) {
        Some(PartyKind::ThirdParty)
    } else if words.iter().any(|w| CUSTOMER_WORDS.contains(w)) {
        Some(PartyKind::Customer)
    } else if words.iter().any(|w| PROVIDER_WORDS.contains(w)) && words.len() <= 2 {
        Some(PartyKind::Provider)
    } else {
        None
    }
}

struct Builder {
    doc: Doc,
    model: Model,
    has_meta: bool,
    /// Folded party label to party id.
    party_labels: HashMap<String, String>,
    /// Heading index to section id.
    heading_sections: HashMap<usize, String>,
    /// Rows seen per section, for ids and source rows.
    rows_in_section: HashMap<String, u32>,
    letters: Vec<char>,
    lang: String,
}

/// Builds the model from a read document.
pub(crate) fn build(doc: Doc) -> Result<Imported, ImportError> {
    let has_meta = doc.meta.is_some();
    let lang = doc
        .meta
        .as_ref()
        .map(|m| m.language.clone())
        .or_else(|| doc.front.language.clone())
        .or_else(|| detect_lang(&doc))
        .unwrap_or_else(|| "en".into());
    let model = match &doc.meta {
        Some(m) => m.clone(),
        None => skeleton(&doc, &lang),
    };
    let letters = model.roles.letters.iter().map(|l| l.letter).collect();
    let mut b = Builder {
        doc,
        model,
        has_meta,
        party_labels: HashMap::new(),
        heading_sections: HashMap::new(),
        rows_in_section: HashMap::new(),
        letters,
        lang,
    };
    if has_meta {
        for p in &b.model.parties {
            b.party_labels.insert(key(&p.id), p.id.clone());
            for n in p.name.all() {
                b.party_labels.entry(key(n)).or_insert_with(|| p.id.clone());
            }
        }
    }
    let tables = std::mem::take(&mut b.doc.tables);
    let mut matrices = 0;
    for t in &tables {
        if b.table(t) {
            matrices += 1;
        }
    }
    if matrices == 0 {
        return Err(ImportError::NoMatrix { file: b.doc.file });
    }
    if !b.has_meta {
        b.finish_plain();
    }
    onus_model::validate::normalize(&mut b.model);
    Ok(Imported {
        model: b.model,
        warnings: b.doc.warnings,
    })
}

/// The language of a document without metadata, from its activity column's label.
fn detect_lang(doc: &Doc) -> Option<String> {
    for t in &doc.tables {
        for r in t.rows.iter().take(20) {
            for c in &r.cells {
                if let (Col::Text(l), hint) = classify(c) {
                    return l.or(hint.map(str::to_string));
                }
            }
        }
    }
    None
}

fn skeleton(doc: &Doc, lang: &str) -> Model {
    let f = &doc.front;
    let stem = Path::new(&doc.file)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("imported")
        .to_string();
    let title = f.title.clone().unwrap_or_else(|| stem.clone());
    let published = f
        .updated
        .clone()
        .filter(|d| d.len() == 10 && d.as_bytes()[4] == b'-' && d.as_bytes()[7] == b'-');
    Model {
        format: onus_model::FORMAT.into(),
        id: f.id.clone().unwrap_or_else(|| slug(&stem)),
        version: f
            .version
            .clone()
            .or_else(|| f.updated.clone())
            .unwrap_or_else(|| "1".into()),
        title: Text::new(lang, title.clone()),
        description: f.description.as_ref().map(|d| Text::new(lang, d.clone())),
        provider: f.provider.clone().unwrap_or_default(),
        service: f.service.clone().unwrap_or_else(|| title.clone()),
        published,
        source: Source {
            document: f.title.clone(),
            url: None,
            repository: None,
            notes: None,
        },
        language: lang.to_string(),
        languages: vec![lang.to_string()],
        translations: Vec::new(),
        parties: Vec::new(),
        roles: default_roles(lang),
        sections: Vec::new(),
        activities: Vec::new(),
        statements: Vec::new(),
        lint: Default::default(),
    }
}

/// The columns of a header row, with the language of each text column resolved.
struct Header {
    index: usize,
    cols: Vec<Col>,
    labels: Vec<String>,
}

impl Builder {
    fn warn(
        &mut self,
        loc: &Loc,
        column: Option<&str>,
        cell: Option<&str>,
        message: impl Into<String>,
    ) {
        self.doc.warn(loc, column, cell, message);
    }

    /// Finds the header row of a table: the first row with an activity column and at least one
    /// party column.
    fn header(&self, t: &Table) -> Option<Header> {
        let candidates = if t.header_known {
            1
        } else {
            t.rows.len().min(30)
        };
        for (index, row) in t.rows.iter().enumerate().take(candidates) {
            let mut cols = Vec::new();
            let mut text = false;
            let mut parties = 0;
            for c in &row.cells {
                let (col, hint) = classify(c);
                let col = match col {
                    Col::Text(None) => {
                        text = true;
                        // An unsuffixed column is in the model's language, unless the label says
                        // otherwise and nothing says which.
                        Col::Text(Some(if self.has_meta {
                            self.lang.clone()
                        } else {
                            hint.map(str::to_string)
                                .unwrap_or_else(|| self.lang.clone())
                        }))
                    }
                    Col::Text(l) => {
                        text = true;
                        Col::Text(l)
                    }
                    Col::Party(p) => {
                        parties += 1;
                        Col::Party(p)
                    }
                    Col::SectionTitle(None) => Col::SectionTitle(Some(self.lang.clone())),
                    Col::Lead(None) => Col::Lead(Some(self.lang.clone())),
                    Col::Notes(None) => Col::Notes(Some(self.lang.clone())),
                    Col::Footnotes(None) => Col::Footnotes(Some(self.lang.clone())),
                    other => other,
                };
                cols.push(col);
            }
            if text && parties > 0 {
                return Some(Header {
                    index,
                    cols,
                    labels: row.cells.clone(),
                });
            }
        }
        None
    }

    /// Reads one table; false when it holds no matrix.
    fn table(&mut self, t: &Table) -> bool {
        let Some(h) = self.header(t) else {
            self.legend(t);
            return false;
        };
        let loc0 = t
            .rows
            .get(h.index)
            .map(|r| r.loc.clone())
            .unwrap_or_default();
        for r in &t.rows[..h.index] {
            if r.cells.iter().any(|c| !c.trim().is_empty()) {
                let first = r
                    .cells
                    .iter()
                    .find(|c| !c.trim().is_empty())
                    .cloned()
                    .unwrap_or_default();
                self.warn(
                    &r.loc,
                    None,
                    Some(&first),
                    "row before the header row; ignored",
                );
            }
        }
        // Party columns to party ids.
        let mut party_of: Vec<Option<String>> = Vec::new();
        for (col, label) in h.cols.iter().zip(&h.labels) {
            party_of.push(match col {
                Col::Party(p) => Some(self.party(p, label, &loc0)),
                _ => None,
            });
        }
        let has = |f: &dyn Fn(&Col) -> bool| h.cols.iter().any(f);
        let has_topics = has(&|c| matches!(c, Col::Topics));
        let has_suggested = has(&|c| matches!(c, Col::Suggested));
        let has_section_col = has(&|c| matches!(c, Col::Section));
        let mut table_section: Option<String> = None;
        if !has_section_col {
            table_section = Some(match (t.heading, &t.sheet) {
                (Some(hi), _) => self.heading_section(hi),
                (None, Some(sheet)) => self.named_section(sheet, None, &loc0),
                (None, None) => {
                    let title = self.model.title.best(&self.lang).to_string();
                    self.named_section(&title, None, &loc0)
                }
            });
        }
        let mut footnotes_here: Vec<(String, String)> = t.footnotes.clone();
        footnotes_here.extend(self.doc.footnotes.clone());
        let mut used_markers: Vec<String> = Vec::new();

        for row in &t.rows[h.index + 1..] {
            if row.cells.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            let cell = |i: usize| row.cells.get(i).map(|s| s.trim()).unwrap_or("");
            let mut text = Text::default();
            let mut lead = Text::default();
            let mut sec_title = Text::default();
            let mut notes: Vec<(String, Vec<String>)> = Vec::new();
            let mut foot_cols: Vec<(String, Vec<(String, String)>)> = Vec::new();
            let mut a = Activity {
                id: String::new(),
                section: String::new(),
                lead: None,
                text: Text::default(),
                roles: IndexMap::new(),
                topics: Vec::new(),
                suggested_topics: Vec::new(),
                layer: None,
                cadence: None,
                source: None,
                footnotes: Vec::new(),
                notes: Vec::new(),
            };
            let mut section_value = String::new();
            let (mut src_section, mut src_list, mut src_row) =
                (String::new(), String::new(), String::new());
            let mut markers: Vec<(String, String)> = Vec::new(); // (party, marker)
            for (i, col) in h.cols.iter().enumerate() {
                let v = cell(i);
                match col {
                    Col::Id => a.id = v.to_string(),
                    Col::Section => section_value = v.to_string(),
                    Col::SectionTitle(l) => set(&mut sec_title, l, v),
                    Col::Lead(l) => set(&mut lead, l, v),
                    Col::Text(l) => set(&mut text, l, v),
                    Col::Topics => a.topics = list(v),
                    Col::Suggested => a.suggested_topics = list(v),
                    Col::Layer => a.layer = (!v.is_empty()).then(|| v.to_string()),
                    Col::Cadence => a.cadence = (!v.is_empty()).then(|| v.to_string()),
                    Col::SourceSection => src_section = v.to_string(),
                    Col::SourceList => src_list = v.to_string(),
                    Col::SourceRow => src_row = v.to_string(),
                    Col::Notes(l) => notes.push((
                        l.clone().unwrap_or_default(),
                        if v.is_empty() {
                            Vec::new()
                        } else {
                            v.lines().map(str::to_string).collect()
                        },
                    )),
                    Col::Footnotes(l) => foot_cols.push((
                        l.clone().unwrap_or_default(),
                        v.lines()
                            .filter_map(|line| {
                                line.split_once(':')
                                    .map(|(m, t)| (m.trim().to_string(), t.trim().to_string()))
                            })
                            .collect(),
                    )),
                    Col::Party(_) => {
                        let Some(pid) = party_of[i].clone() else {
                            continue;
                        };
                        match parse_cell(v, &self.letters) {
                            Ok(c) => {
                                for m in c.markers {
                                    markers.push((pid.clone(), m));
                                }
                                a.roles.insert(pid, c.letters);
                            }
                            Err(e) => {
                                let label = h.labels[i].clone();
                                self.warn(
                                    &row.loc,
                                    Some(&label),
                                    Some(v),
                                    format!("{e}; left empty"),
                                );
                                a.roles.insert(pid, String::new());
                            }
                        }
                    }
                    Col::Empty => {
                        if !v.is_empty() {
                            self.warn(
                                &row.loc,
                                Some(""),
                                Some(v),
                                "cell under an empty header; ignored",
                            );
                        }
                    }
                }
            }
            if text.all().all(|s| s.is_empty()) {
                let first = row
                    .cells
                    .iter()
                    .find(|c| !c.trim().is_empty())
                    .cloned()
                    .unwrap_or_default();
                self.warn(
                    &row.loc,
                    None,
                    Some(&first),
                    "row without activity text; skipped",
                );
                continue;
            }
            text.0.retain(|_, v| !v.is_empty());
            a.text = text;
            lead.0.retain(|_, v| !v.is_empty());
            a.lead = (!lead.is_empty()).then_some(lead);
            // Section.
            a.section = match &table_section {
                Some(s) => s.clone(),
                None if section_value.is_empty() => {
                    self.warn(
                        &row.loc,
                        Some("Section"),
                        None,
                        "no section; put in the first section",
                    );
                    let t = self.model.title.best(&self.lang.clone()).to_string();
                    self.named_section(&t, None, &row.loc)
                }
                None => self.named_section(&section_value, Some(&sec_title), &row.loc),
            };
            let n = {
                let c = self.rows_in_section.entry(a.section.clone()).or_insert(0);
                *c += 1;
                *c
            };
            // Id.
            if a.id.is_empty() {
                if self.has_meta && h.cols.contains(&Col::Id) {
                    self.warn(
                        &row.loc,
                        Some("Id"),
                        None,
                        "no id; one was made from the section and row",
                    );
                }
                a.id = format!("{}-r{n}", a.section);
            }
            let id = a.id.clone();
            let taken = |c: &str| {
                self.model.activities.iter().any(|x| x.id == c)
                    || self.model.statements.iter().any(|s| s.id == c)
            };
            if taken(&id) {
                let new = unique(id.clone(), taken);
                self.warn(
                    &row.loc,
                    Some("Id"),
                    Some(&id),
                    format!("id used twice; renamed `{new}`"),
                );
                a.id = new;
            }
            // Source.
            if self.has_meta
                || h.cols
                    .iter()
                    .any(|c| matches!(c, Col::SourceSection | Col::SourceRow | Col::SourceList))
            {
                if !src_section.is_empty() {
                    let row_n = if src_row.is_empty() {
                        None
                    } else {
                        match src_row.parse::<u32>() {
                            Ok(r) => Some(r),
                            Err(_) => {
                                self.warn(
                                    &row.loc,
                                    Some("Source row"),
                                    Some(&src_row),
                                    "not a row number; ignored",
                                );
                                None
                            }
                        }
                    };
                    a.source = Some(SourceRef {
                        section: src_section,
                        row: row_n,
                        list: (!src_list.is_empty()).then_some(src_list),
                    });
                }
            } else {
                let sec = self.model.section(&a.section);
                let name = sec
                    .map(|s| {
                        s.number
                            .clone()
                            .unwrap_or_else(|| s.title.best(&self.lang).to_string())
                    })
                    .unwrap_or_else(|| a.section.clone());
                a.source = Some(SourceRef {
                    section: name,
                    row: Some(n),
                    list: None,
                });
            }
            // Topics.
            if !has_topics && !has_suggested {
                a.suggested_topics = suggest_topics(Vocabulary::builtin(), &a.text);
            }
            // Notes: one column per language, one note per line.
            let count = notes.iter().map(|(_, v)| v.len()).max().unwrap_or(0);
            for j in 0..count {
                let mut t = Text::default();
                for (l, v) in &notes {
                    if let Some(s) = v.get(j) {
                        if !s.is_empty() {
                            t.set(l, s.clone());
                        }
                    }
                }
                a.notes.push(t);
            }
            // Footnotes: from the footnotes columns, then the definitions near the table.
            let mut order: Vec<String> = Vec::new();
            let mut texts: HashMap<String, Text> = HashMap::new();
            for (l, defs) in &foot_cols {
                for (m, t) in defs {
                    if !order.contains(m) {
                        order.push(m.clone());
                    }
                    texts.entry(m.clone()).or_default().set(l, t.clone());
                }
            }
            for (_, m) in &markers {
                if !order.contains(m) {
                    order.push(m.clone());
                }
            }
            for m in order {
                let party = markers
                    .iter()
                    .find(|(_, x)| *x == m)
                    .map(|(p, _)| p.clone());
                let text = match texts.remove(&m) {
                    Some(t) => t,
                    None => {
                        match footnotes_here
                            .iter()
                            .find(|(d, _)| marker_key(d) == marker_key(&m))
                        {
                            Some((_, t)) => {
                                used_markers.push(marker_key(&m));
                                Text::new(&self.lang, t.clone())
                            }
                            None => {
                                self.warn(&row.loc, None, Some(&m), "footnote marker without a footnote text; kept with an empty text");
                                Text::new(&self.lang, "")
                            }
                        }
                    }
                };
                a.footnotes.push(Footnote {
                    marker: m,
                    party,
                    text,
                });
            }
            self.model.activities.push(a);
        }
        for (m, text) in &t.footnotes {
            if !used_markers.contains(&marker_key(m)) {
                let loc = t.rows.last().map(|r| r.loc.clone()).unwrap_or_default();
                self.warn(
                    &loc,
                    None,
                    Some(&format!("{m} {text}")),
                    "footnote that no cell of the table refers to; ignored",
                );
            }
        }
        true
    }

    /// A table that is not a matrix may be the role legend (`R : definition`).
    fn legend(&mut self, t: &Table) {
        let mut found = false;
        for r in &t.rows {
            for c in &r.cells {
                let c = c.trim();
                let mut it = c.chars();
                let (Some(l), Some(rest)) = (it.next(), Some(it.as_str().trim_start())) else {
                    continue;
                };
                let Some(def) = rest.strip_prefix([':', '=', '-', '–']) else {
                    continue;
                };
                let def = def.trim();
                if def.is_empty() || self.has_meta {
                    continue;
                }
                let lang = self.lang.clone();
                if let Some(letter) = self.model.roles.letters.iter_mut().find(|x| x.letter == l) {
                    letter.definition = Text::new(&lang, def);
                    found = true;
                }
            }
        }
        if !found
            && !self.has_meta
            && t.rows
                .iter()
                .any(|r| r.cells.iter().any(|c| !c.trim().is_empty()))
        {
            let loc = t.rows.first().map(|r| r.loc.clone()).unwrap_or_default();
            let first = t.rows.first().and_then(|r| r.cells.first()).cloned();
            self.warn(
                &loc,
                None,
                first.as_deref(),
                "table without an activity column and party columns; ignored",
            );
        }
    }

    /// The party a column stands for, declaring it on first sight.
    fn party(&mut self, label: &str, _raw: &str, loc: &Loc) -> String {
        let k = key(label);
        if let Some(id) = self.party_labels.get(&k) {
            return id.clone();
        }
        let kind = party_kind(label).unwrap_or_else(|| {
            if self
                .model
                .parties
                .iter()
                .any(|p| p.kind == PartyKind::Provider)
            {
                PartyKind::ThirdParty
            } else {
                PartyKind::Provider
            }
        });
        let base = if kind == PartyKind::Customer
            && !self
                .model
                .parties
                .iter()
                .any(|p| p.kind == PartyKind::Customer)
        {
            "customer".to_string()
        } else {
            slug(label)
        };
        let id = unique(base, |c| self.model.parties.iter().any(|p| p.id == c));
        if self.has_meta {
            self.warn(
                loc,
                Some(label),
                None,
                format!("not a party of the model; declared as `{id}`"),
            );
        }
        if kind == PartyKind::Provider && self.model.provider.is_empty() {
            self.model.provider = label.to_string();
        }
        self.model.parties.push(Party {
            id: id.clone(),
            kind,
            name: Text::new(&self.lang, label),
        });
        self.party_labels.insert(k, id.clone());
        id
    }

    /// The section of a heading, declaring it (and its ancestors) on first use.
    fn heading_section(&mut self, hi: usize) -> String {
        if let Some(s) = self.heading_sections.get(&hi) {
            return s.clone();
        }
        let h = self.doc.headings[hi].clone();
        let (number, title) = split_number(&h.text);
        let loc = Loc {
            sheet: None,
            line: Some(h.line),
        };
        let id = if self.has_meta {
            let m = &self.model;
            let found =
                h.id.as_deref()
                    .and_then(|id| m.section(id))
                    .or_else(|| {
                        number.as_deref().and_then(|n| {
                            m.sections.iter().find(|s| s.number.as_deref() == Some(n))
                        })
                    })
                    .or_else(|| {
                        m.sections
                            .iter()
                            .find(|s| s.title.all().any(|t| key(t) == key(&title)))
                    })
                    .map(|s| s.id.clone());
            match found {
                Some(id) => id,
                None => self.new_section(h.id.clone(), number, &title, None, &loc, true),
            }
        } else {
            // The parent: by number when numbered, else the nearest enclosing heading below the
            // document title.
            let parent = match &number {
                Some(n) => {
                    let mut p = parent_number(n);
                    let mut found = None;
                    while let Some(pn) = p {
                        if let Some(pi) = self
                            .doc
                            .headings
                            .iter()
                            .position(|x| split_number(&x.text).0.as_deref() == Some(pn))
                        {
                            found = Some(self.heading_section(pi));
                            break;
                        }
                        p = parent_number(pn);
                    }
                    found
                }
                None => {
                    let enclosing = self.doc.headings[..hi]
                        .iter()
                        .rposition(|x| x.level < h.level && x.level > 1);
                    enclosing.map(|pi| self.heading_section(pi))
                }
            };
            self.new_section(h.id.clone(), number, &title, parent, &loc, false)
        };
        self.heading_sections.insert(hi, id.clone());
        id
    }

    /// The section named by a section column or a sheet, declaring it on first use.
    fn named_section(&mut self, value: &str, title: Option<&Text>, loc: &Loc) -> String {
        let m = &self.model;
        let k = key(value);
        if let Some(s) = m
            .section(value)
            .or_else(|| {
                m.sections
                    .iter()
                    .find(|s| s.number.as_deref() == Some(value))
            })
            .or_else(|| {
                m.sections
                    .iter()
                    .find(|s| s.title.all().any(|t| key(t) == k))
            })
        {
            return s.id.clone();
        }
        let (number, rest) = split_number(value);
        let title_text = title
            .filter(|t| t.all().any(|s| !s.is_empty()))
            .map(|t| t.best(&self.lang).to_string())
            .unwrap_or(if rest.is_empty() {
                value.to_string()
            } else {
                rest
            });
        let parent = number.as_deref().and_then(parent_number).and_then(|p| {
            self.model
                .sections
                .iter()
                .find(|s| s.number.as_deref() == Some(p))
                .map(|s| s.id.clone())
        });
        let mut id = self.new_section(None, number, &title_text, parent, loc, self.has_meta);
        if let Some(t) = title {
            if let Some(s) = self.model.sections.iter_mut().find(|s| s.id == id) {
                for (l, v) in &t.0 {
                    if !v.is_empty() {
                        s.title.set(l, v.clone());
                    }
                }
            }
        }
        if id.is_empty() {
            id = "main".into();
        }
        id
    }

    fn new_section(
        &mut self,
        id: Option<String>,
        number: Option<String>,
        title: &str,
        parent: Option<String>,
        loc: &Loc,
        warn: bool,
    ) -> String {
        let base = id.or_else(|| number.clone()).unwrap_or_else(|| slug(title));
        let id = unique(base, |c| self.model.sections.iter().any(|s| s.id == c));
        if warn {
            self.warn(
                loc,
                None,
                Some(title),
                format!("not a section of the model; declared as `{id}`"),
            );
        }
        self.model.sections.push(Section {
            id: id.clone(),
            number,
            parent,
            kind: SectionKind::Group,
            title: Text::new(&self.lang, title),
            layer: None,
        });
        id
    }

    /// Final touches of a model imported without metadata.
    fn finish_plain(&mut self) {
        // Sections in document order: ancestors were declared on demand, possibly after.
        let order: Vec<String> = self.model.sections.iter().map(|s| s.id.clone()).collect();
        let mut sorted = Vec::new();
        fn visit(m: &Model, parent: Option<&str>, order: &[String], out: &mut Vec<Section>) {
            for id in order {
                if let Some(s) = m.section(id) {
                    if s.parent.as_deref() == parent && !out.iter().any(|x: &Section| x.id == s.id)
                    {
                        out.push(s.clone());
                        visit(m, Some(&s.id), order, out);
                    }
                }
            }
        }
        visit(&self.model, None, &order, &mut sorted);
        if sorted.len() == self.model.sections.len() {
            self.model.sections = sorted;
        }
        // Every activity names every party, as a published matrix does.
        let parties: Vec<String> = self.model.parties.iter().map(|p| p.id.clone()).collect();
        for a in &mut self.model.activities {
            for p in &parties {
                a.roles.entry(p.clone()).or_default();
            }
        }
        if self.model.provider.is_empty() {
            self.model.provider = self
                .model
                .parties
                .iter()
                .find(|p| p.kind == PartyKind::Provider)
                .map(|p| p.name.best(&self.lang).to_string())
                .unwrap_or_else(|| "unknown".into());
        }
    }
}

fn set(t: &mut Text, lang: &Option<String>, v: &str) {
    if let Some(l) = lang {
        t.set(l, v);
    }
}

fn list(v: &str) -> Vec<String> {
    v.split([',', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RACI: &[char] = &['R', 'A', 'C', 'I'];

    fn cell(s: &str) -> Result<(String, Vec<String>), String> {
        parse_cell(s, RACI).map(|c| (c.letters, c.markers))
    }

    #[test]
    fn role_cells_are_read_as_published() {
        assert_eq!(cell("RA").unwrap(), ("RA".into(), vec![]));
        assert_eq!(cell(" IR ").unwrap(), ("IR".into(), vec![]));
        assert_eq!(cell("**CI**").unwrap(), ("CI".into(), vec![]));
        assert_eq!(cell("R/A").unwrap(), ("RA".into(), vec![]));
        assert_eq!(cell("ra").unwrap(), ("RA".into(), vec![]));
        assert_eq!(cell("RA*").unwrap(), ("RA".into(), vec!["*".into()]));
        assert_eq!(cell("A¹").unwrap(), ("A".into(), vec!["¹".into()]));
        assert_eq!(cell("R (1)").unwrap(), ("R".into(), vec!["(1)".into()]));
        assert_eq!(
            cell("RA[^note]").unwrap(),
            ("RA".into(), vec!["note".into()])
        );
        assert_eq!(cell("I2").unwrap(), ("I".into(), vec!["2".into()]));
        assert_eq!(cell("").unwrap(), ("".into(), vec![]));
        assert_eq!(cell("—").unwrap(), ("".into(), vec![]));
        assert!(cell("X").is_err());
        assert!(cell("yes").is_err());
        assert!(cell("RR").is_err());
        assert!(cell("*").is_err());
    }

    #[test]
    fn footnote_definitions_are_recognised() {
        assert_eq!(
            footnote_definition("* Only for dedicated clusters"),
            Some(("*".into(), "Only for dedicated clusters".into()))
        );
        assert_eq!(
            footnote_definition("(1) text"),
            Some(("(1)".into(), "text".into()))
        );
        assert_eq!(
            footnote_definition("¹ : texte"),
            Some(("¹".into(), "texte".into()))
        );
        assert_eq!(
            footnote_definition("1: text"),
            Some(("1".into(), "text".into()))
        );
        assert_eq!(footnote_definition("1 text"), None);
        assert_eq!(footnote_definition("Plain paragraph"), None);
        assert_eq!(marker_key("(1)"), marker_key("¹"));
    }

    #[test]
    fn headers_are_classified() {
        assert_eq!(classify("**Activité**"), (Col::Text(None), Some("fr")));
        assert_eq!(classify("Activité"), (Col::Text(None), Some("fr")));
        assert_eq!(classify("Activity (en)").0, Col::Text(Some("en".into())));
        assert_eq!(classify("Notes (fr)").0, Col::Notes(Some("fr".into())));
        assert_eq!(classify("Client").0, Col::Party("Client".into()));
        assert_eq!(party_kind("Client"), Some(PartyKind::Customer));
        assert_eq!(party_kind("Reseller"), Some(PartyKind::ThirdParty));
        assert_eq!(party_kind("Cloud provider"), Some(PartyKind::Provider));
        assert_eq!(party_kind("OVHcloud"), None);
    }

    #[test]
    fn topics_are_suggested_from_keywords_in_either_language() {
        let v = Vocabulary::builtin();
        let t = suggest_topics(v, &Text::new("fr", "Déployer une politique de sauvegardes"));
        assert!(t.contains(&"backup".to_string()), "{t:?}");
        let t = suggest_topics(v, &Text::new("en", "Choose the service location"));
        assert!(t.contains(&"data-location".to_string()), "{t:?}");
    }
}
