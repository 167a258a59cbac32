//! Export: a model as Markdown, CSV or XLSX.
//!
//! The three formats share one flat layout of the matrix (see `docs/interchange.md`): an id
//! column, the activity's text in every language of the model (the requested language first),
//! one column per party, topics, and the optional columns the model uses (lead, suggested
//! topics, layer, cadence, source, notes, footnotes). Everything else (title, parties, role
//! scheme, sections, statements...) travels as metadata: YAML front matter in Markdown, a
//! trailing `onus-metadata` row in CSV, a metadata sheet in XLSX. [`crate::import`] reads all
//! three back into the same model.

pub mod csv;
pub mod fedramp;
pub mod md;
pub mod xlsx;

pub use csv::{to_csv, to_csv_raw};
pub use fedramp::to_fedramp;
pub use md::to_markdown;
pub use xlsx::{to_xlsx, ExportError};

use onus_model::{Activity, Model};

use crate::import::METADATA_KEY;

/// The formats the exporters write (HTML is the renderer's business).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
    Markdown,
}

/// The model without its activities, as JSON: what the flat layout does not carry.
pub(crate) fn metadata(m: &Model) -> serde_json::Value {
    let mut v = serde_json::to_value(m).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.shift_remove("activities");
    }
    v
}

/// The metadata as JSON text cut into pieces a spreadsheet cell holds (32,767 characters at
/// most), on character boundaries.
pub(crate) fn metadata_cells(m: &Model) -> Vec<String> {
    let json = metadata(m).to_string();
    let chars: Vec<char> = json.chars().collect();
    let mut out = vec![METADATA_KEY.to_string()];
    out.extend(chars.chunks(30_000).map(|c| c.iter().collect::<String>()));
    out
}

/// The source's licence and attribution as one line for people (`Source licence:
/// CC-BY-NC-SA-4.0. © OVH SAS...`), when the model states them.
pub(crate) fn license_line(m: &Model) -> Option<String> {
    let l = m.source.license.as_deref()?;
    Some(match &m.source.attribution {
        Some(a) => format!("Source licence: {l}. {a}"),
        None => format!("Source licence: {l}."),
    })
}

/// The model's languages, `lang` first when the model has it.
pub(crate) fn languages(m: &Model, lang: &str) -> Vec<String> {
    let mut l: Vec<String> = m.languages.clone();
    if let Some(i) = l.iter().position(|x| x == lang) {
        let x = l.remove(i);
        l.insert(0, x);
    }
    for a in &m.activities {
        for t in a.text.languages() {
            if !l.iter().any(|x| x == t) {
                l.push(t.to_string());
            }
        }
    }
    l
}

/// What a column of the flat layout holds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Col {
    Section,
    SectionTitle(String),
    Id,
    Lead(String),
    Text(String),
    Party(String),
    Topics,
    Suggested,
    Layer,
    Cadence,
    SourceSection,
    SourceList,
    SourceRow,
    Notes(String),
    Footnotes(String),
    Controls,
}

/// The columns of the flat layout for this model: `(header, column)`.
pub(crate) fn columns(m: &Model, lang: &str, with_section: bool) -> Vec<(String, Col)> {
    let langs = languages(m, lang);
    let any = |f: &dyn Fn(&Activity) -> bool| m.activities.iter().any(f);
    let mut out = Vec::new();
    if with_section {
        out.push(("Section".to_string(), Col::Section));
        for l in &langs {
            out.push((format!("Section title ({l})"), Col::SectionTitle(l.clone())));
        }
    }
    out.push(("Id".into(), Col::Id));
    if any(&|a| a.lead.is_some()) {
        for l in &langs {
            out.push((format!("Lead ({l})"), Col::Lead(l.clone())));
        }
    }
    for l in &langs {
        out.push((format!("Activity ({l})"), Col::Text(l.clone())));
    }
    let mut seen: Vec<String> = Vec::new();
    for p in &m.parties {
        // A party's name heads its column unless it would read as another column or another party.
        let name = p.name.best(lang).trim().to_string();
        let k = crate::util::key(&name);
        let clashes = name.is_empty()
            || seen.contains(&k)
            || m.parties
                .iter()
                .any(|q| q.id != p.id && crate::util::key(&q.id) == k)
            || is_reserved(&name);
        let header = if clashes { p.id.clone() } else { name };
        seen.push(crate::util::key(&header));
        out.push((header, Col::Party(p.id.clone())));
    }
    out.push(("Topics".into(), Col::Topics));
    if any(&|a| !a.suggested_topics.is_empty()) {
        out.push(("Suggested topics".into(), Col::Suggested));
    }
    if any(&|a| a.layer.is_some()) {
        out.push(("Layer".into(), Col::Layer));
    }
    if any(&|a| a.cadence.is_some()) {
        out.push(("Cadence".into(), Col::Cadence));
    }
    if any(&|a| a.source.is_some()) {
        out.push(("Source section".into(), Col::SourceSection));
        if any(&|a| a.source.as_ref().is_some_and(|s| s.list.is_some())) {
            out.push(("Source list".into(), Col::SourceList));
        }
        out.push(("Source row".into(), Col::SourceRow));
    }
    if any(&|a| !a.notes.is_empty()) {
        for l in &langs {
            out.push((format!("Notes ({l})"), Col::Notes(l.clone())));
        }
    }
    if any(&|a| !a.footnotes.is_empty()) {
        for l in &langs {
            out.push((format!("Footnotes ({l})"), Col::Footnotes(l.clone())));
        }
    }
    if any(&|a| !a.controls.is_empty()) {
        out.push(("Controls".into(), Col::Controls));
    }
    out
}

fn is_reserved(name: &str) -> bool {
    // Whatever the importer would not read as a party column.
    let probe = crate::import::probe_header(name);
    !probe
}

/// The text of one cell of the flat layout (multi-valued cells use one line per value).
pub(crate) fn cell(m: &Model, a: &Activity, col: &Col) -> String {
    match col {
        Col::Section => a.section.clone(),
        Col::SectionTitle(l) => m
            .section(&a.section)
            .and_then(|s| s.title.get(l))
            .unwrap_or("")
            .to_string(),
        Col::Id => a.id.clone(),
        Col::Lead(l) => a
            .lead
            .as_ref()
            .and_then(|t| t.get(l))
            .unwrap_or("")
            .to_string(),
        Col::Text(l) => a.text.get(l).unwrap_or("").to_string(),
        Col::Party(p) => {
            let mut s = a.roles.get(p).cloned().unwrap_or_default();
            for f in a.footnotes.iter().filter(|f| f.party.as_deref() == Some(p)) {
                // Symbols and numbers follow the letters as published (`RA*`, `A1`); a word
                // marker is written as a Markdown footnote reference (`RA[^implementation]`).
                let symbol = crate::import::cells::parse_markers(&f.marker)
                    .is_some_and(|m| m == [f.marker.clone()])
                    && !f.marker.chars().any(char::is_alphabetic);
                if symbol {
                    s.push_str(&f.marker);
                } else {
                    s.push_str(&format!("[^{}]", f.marker));
                }
            }
            s
        }
        Col::Topics => a.topics.join(", "),
        Col::Suggested => a.suggested_topics.join(", "),
        Col::Layer => a.layer.clone().unwrap_or_default(),
        Col::Cadence => a.cadence.clone().unwrap_or_default(),
        Col::SourceSection => a
            .source
            .as_ref()
            .map(|s| s.section.clone())
            .unwrap_or_default(),
        Col::SourceList => a
            .source
            .as_ref()
            .and_then(|s| s.list.clone())
            .unwrap_or_default(),
        Col::SourceRow => a
            .source
            .as_ref()
            .and_then(|s| s.row)
            .map(|r| r.to_string())
            .unwrap_or_default(),
        Col::Notes(l) => a
            .notes
            .iter()
            .map(|n| n.get(l).unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n"),
        Col::Footnotes(l) => a
            .footnotes
            .iter()
            .map(|f| format!("{}: {}", f.marker, f.text.get(l).unwrap_or("")))
            .collect::<Vec<_>>()
            .join("\n"),
        Col::Controls => a
            .controls
            .iter()
            .map(|c| format!("{}:{}", c.catalog, c.id))
            .collect::<Vec<_>>()
            .join(", "),
    }
}
