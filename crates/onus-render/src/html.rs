//! Self-contained HTML pages: no external assets, every text escaped, readable in print.

use minijinja::{context, AutoEscape, Environment};
use onus_model::{Model, Vocabulary};
use serde::Serialize;

use crate::{section_heading, Row, RowKind, Style};

const PAGE: &str = include_str!("../templates/page.html.j2");

/// Why a page could not be rendered (a template defect, not bad input).
#[derive(Debug, thiserror::Error)]
#[error("html: {0}")]
pub struct HtmlError(#[from] minijinja::Error);

#[derive(Serialize)]
struct Cell {
    letters: String,
    class: &'static str,
}

#[derive(Serialize)]
struct RowCtx {
    id: String,
    section: String,
    lead: Option<String>,
    text: String,
    cadence: Option<String>,
    cells: Vec<Cell>,
    topics: String,
}

#[derive(Serialize)]
struct StatementCtx {
    kind: &'static str,
    party: Option<String>,
    lead: Option<String>,
    text: String,
}

#[derive(Serialize)]
struct SectionCtx {
    level: usize,
    heading: String,
    statements: Vec<StatementCtx>,
    rows: Vec<RowCtx>,
    show_section: bool,
}

/// The CSS class of a role cell: the strongest duty it holds.
pub fn role_class(letters: &str) -> &'static str {
    match (letters.contains('R'), letters.contains('A')) {
        (true, true) => "ra",
        (false, true) => "a",
        (true, false) => "r",
        _ if letters.contains('C') => "c",
        _ if letters.contains('I') => "i",
        _ => "",
    }
}

fn env() -> Environment<'static> {
    let mut env = Environment::new();
    // Every value from a model is untrusted text: escape all of it.
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env
}

fn header_ctx(
    m: &Model,
    lang: &str,
) -> (Vec<minijinja::Value>, Vec<minijinja::Value>, Vec<String>) {
    let parties = m
        .parties
        .iter()
        .map(|p| context! { name => p.name.best(lang), kind => p.kind.as_str() })
        .collect();
    let letters = m.roles.letters.iter().map(|l| context! { letter => l.letter.to_string(), name => l.name.best(lang), definition => l.definition.best(lang), class => role_class(&l.letter.to_string()) }).collect();
    let mut notes = Vec::new();
    if let Some(n) = &m.roles.note {
        notes.push(n.best(lang).to_string());
    }
    for t in &m.translations {
        if t.language == lang && lang != m.language {
            if let Some(n) = &t.note {
                notes.push(n.best(lang).to_string());
            }
        }
    }
    (parties, letters, notes)
}

fn topics_ctx(m: &Model, vocab: &Vocabulary, lang: &str) -> Vec<minijinja::Value> {
    let mut used: Vec<&str> = m
        .activities
        .iter()
        .flat_map(|a| a.topics.iter().chain(&a.suggested_topics))
        .chain(m.statements.iter().flat_map(|s| &s.topics))
        .map(String::as_str)
        .collect();
    used.sort_unstable();
    used.dedup();
    used.into_iter().filter_map(|id| vocab.topic(id)).map(|t| context! { id => t.id, title => t.title.best(lang), controls => t.controls.join(", ") }).collect()
}

/// The whole model as one page: the RACI matrix by section, statements, topics and controls.
pub fn model_page(m: &Model, vocab: &Vocabulary, style: &Style) -> Result<String, HtmlError> {
    let lang = style.lang.as_str();
    let mut sections = Vec::new();
    walk(m, None, 2, lang, &mut sections);
    let orphans: Vec<StatementCtx> = m
        .statements
        .iter()
        .filter(|s| s.section.is_none())
        .map(|s| statement(m, s, lang))
        .collect();
    if !orphans.is_empty() {
        sections.insert(
            0,
            SectionCtx {
                level: 2,
                heading: String::new(),
                statements: orphans,
                rows: Vec::new(),
                show_section: false,
            },
        );
    }
    let (parties, letters, notes) = header_ctx(m, lang);
    render(context! {
        lang, title => m.title.best(lang), provider => m.provider, service => m.service, version => m.version,
        published => m.published, source_document => m.source.document, source_url => m.source.url,
        subtitle => m.description.as_ref().map(|d| d.best(lang)), notes, parties, letters, sections,
        topics => topics_ctx(m, vocab, lang), topics_heading => "Topics and controls", model_id => m.id,
    })
}

fn statement(m: &Model, s: &onus_model::Statement, lang: &str) -> StatementCtx {
    StatementCtx {
        kind: s.kind.as_str(),
        party: s
            .party
            .as_deref()
            .and_then(|p| m.party(p))
            .map(|p| p.name.best(lang).to_string()),
        lead: s.lead.as_ref().map(|l| l.best(lang).to_string()),
        text: s.text.best(lang).to_string(),
    }
}

fn walk(m: &Model, parent: Option<&str>, level: usize, lang: &str, out: &mut Vec<SectionCtx>) {
    for s in m.children(parent) {
        let statements = m
            .statements
            .iter()
            .filter(|st| st.section.as_deref() == Some(s.id.as_str()))
            .map(|st| statement(m, st, lang))
            .collect();
        let rows = m
            .activities
            .iter()
            .filter(|a| a.section == s.id)
            .map(|a| row_ctx(&Row::activity(m, a, lang)))
            .collect();
        out.push(SectionCtx {
            level: level.min(6),
            heading: section_heading(s, lang),
            statements,
            rows,
            show_section: false,
        });
        walk(m, Some(&s.id), level + 1, lang, out);
    }
}

fn row_ctx(r: &Row) -> RowCtx {
    let mut text = r.text.clone();
    if let (RowKind::Statement, Some(k)) = (r.kind, r.statement_kind) {
        text = format!("[{k}] {text}");
    }
    RowCtx {
        id: r.id.clone(),
        section: r.section_title.clone(),
        lead: r.lead.clone(),
        text,
        cadence: r.cadence.clone(),
        cells: r
            .roles
            .iter()
            .map(|(_, l)| Cell {
                letters: l.clone(),
                class: if r.kind == RowKind::Activity {
                    role_class(l)
                } else if l.is_empty() {
                    ""
                } else {
                    "ra"
                },
            })
            .collect(),
        topics: r.topics.join(", "),
    }
}

/// A listing (`who`, `obligations`) as one page, titled `heading`.
pub fn rows_page(
    m: &Model,
    rows: &[Row],
    heading: &str,
    style: &Style,
) -> Result<String, HtmlError> {
    let lang = style.lang.as_str();
    let (parties, letters, notes) = header_ctx(m, lang);
    let section = SectionCtx {
        level: 2,
        heading: heading.to_string(),
        statements: Vec::new(),
        rows: rows.iter().map(row_ctx).collect(),
        show_section: true,
    };
    render(context! {
        lang, title => m.title.best(lang), provider => m.provider, service => m.service, version => m.version,
        published => m.published, source_document => m.source.document, source_url => m.source.url,
        notes, parties, letters, sections => vec![section], topics => Vec::<minijinja::Value>::new(), model_id => m.id,
    })
}

fn render(ctx: minijinja::Value) -> Result<String, HtmlError> {
    let env = env();
    let tmpl = env.template_from_str(PAGE)?;
    Ok(tmpl.render(ctx)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_classes_follow_the_strongest_duty() {
        assert_eq!(role_class("RA"), "ra");
        assert_eq!(role_class("A"), "a");
        assert_eq!(role_class("RI"), "r");
        assert_eq!(role_class("CI"), "c");
        assert_eq!(role_class("I"), "i");
        assert_eq!(role_class(""), "");
    }
}
