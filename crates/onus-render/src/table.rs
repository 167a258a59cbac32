//! Terminal tables.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Attribute, Cell, Color, ContentArrangement};
use onus_model::{Model, Vocabulary};

use crate::{section_heading, Row, RowKind, Style};

fn new_table(style: &Style) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    if let Some(w) = style.width {
        t.set_width(w);
    }
    if !style.color {
        t.force_no_tty();
    } else {
        t.enforce_styling();
    }
    t
}

fn header(style: &Style, names: impl IntoIterator<Item = String>) -> Vec<Cell> {
    names
        .into_iter()
        .map(|n| {
            if style.color {
                Cell::new(n).add_attribute(Attribute::Bold)
            } else {
                Cell::new(n)
            }
        })
        .collect()
}

/// A role cell, coloured by the strongest duty it holds.
fn role_cell(letters: &str, style: &Style) -> Cell {
    let c = Cell::new(letters);
    if !style.color || letters.is_empty() {
        return c;
    }
    // Colours mean roles, not alarms: no red (an error's colour) for the party that acts.
    if letters.contains('A') && letters.contains('R') {
        c.fg(Color::Blue).add_attribute(Attribute::Bold)
    } else if letters.contains('A') {
        c.fg(Color::Magenta).add_attribute(Attribute::Bold)
    } else if letters.contains('R') {
        c.fg(Color::Blue)
    } else if letters.contains('C') {
        c.fg(Color::Cyan)
    } else {
        c.fg(Color::DarkGrey)
    }
}

fn heading(text: &str, depth: usize, style: &Style) -> String {
    let pad = "  ".repeat(depth.saturating_sub(1));
    let line = style.wrap(&format!("{pad}{text}"), pad.len() + 2);
    if style.color {
        format!("\x1b[1m{line}\x1b[0m")
    } else {
        line
    }
}

/// The whole matrix, section by section, then statements and the topics with their controls.
pub fn model(m: &Model, vocab: &Vocabulary, style: &Style) -> String {
    let lang = style.lang.as_str();
    let mut out = String::new();
    out.push_str(&heading(
        &format!(
            "{} — {} {} ({})",
            m.title.best(lang),
            m.provider,
            m.service,
            m.version
        ),
        1,
        style,
    ));
    out.push('\n');
    let parties: Vec<String> = m
        .parties
        .iter()
        .map(|p| format!("{} = {} ({})", p.id, p.name.best(lang), p.kind.as_str()))
        .collect();
    out.push_str(&style.wrap(&format!("parties: {}", parties.join(", ")), 2));
    out.push('\n');
    let legend: Vec<String> = m
        .roles
        .letters
        .iter()
        .map(|l| format!("{} {}", l.letter, l.name.best(lang)))
        .collect();
    out.push_str(&style.wrap(&format!("roles: {}", legend.join(", ")), 2));
    out.push('\n');
    if let Some(t) = m
        .translations
        .iter()
        .find(|t| t.language == lang && t.language != m.language)
    {
        if let Some(n) = &t.note {
            out.push_str(&style.wrap(&format!("note: {}", n.best(lang)), 2));
            out.push('\n');
        }
    }
    section_tree(m, None, 1, style, &mut out);
    let orphans: Vec<&onus_model::Statement> = m
        .statements
        .iter()
        .filter(|s| s.section.is_none())
        .collect();
    if !orphans.is_empty() {
        out.push('\n');
        for s in orphans {
            out.push_str(&style.wrap(&format!("[{}] {}", s.kind.as_str(), s.text.best(lang)), 2));
            out.push('\n');
        }
    }
    out.push_str(&topics_legend(m, vocab, style));
    out
}

fn section_tree(m: &Model, parent: Option<&str>, depth: usize, style: &Style, out: &mut String) {
    let lang = style.lang.as_str();
    for s in m.children(parent) {
        out.push('\n');
        out.push_str(&heading(&section_heading(s, lang), depth, style));
        out.push('\n');
        let acts: Vec<&onus_model::Activity> = m.activities_in(&s.id).collect();
        let stmts: Vec<&onus_model::Statement> = m.statements_in(&s.id).collect();
        for st in &stmts {
            let who = st
                .party
                .as_deref()
                .and_then(|p| m.party(p))
                .map(|p| format!(" ({})", p.name.best(lang)))
                .unwrap_or_default();
            let lead = st
                .lead
                .as_ref()
                .map(|l| format!("{} ", l.best(lang)))
                .unwrap_or_default();
            let pad = "  ".repeat(depth);
            out.push_str(&style.wrap(
                &format!(
                    "{pad}[{}{}] {}{}",
                    st.kind.as_str(),
                    who,
                    lead,
                    st.text.best(lang)
                ),
                pad.len() + 2,
            ));
            out.push('\n');
        }
        if !acts.is_empty() {
            let mut t = new_table(style);
            let mut names = vec!["id".to_string(), "activity".to_string()];
            names.extend(m.parties.iter().map(|p| p.name.best(lang).to_string()));
            names.push("topics".into());
            t.set_header(header(style, names));
            keep_whole(&mut t, &[0]);
            let mut last_lead: Option<&str> = None;
            for a in acts {
                let mut text = a.text.best(lang).to_string();
                let lead = a.lead.as_ref().map(|l| l.best(lang));
                if lead.is_some() && lead != last_lead {
                    text = format!("{}\n  {text}", lead.unwrap_or_default());
                }
                last_lead = lead;
                if let Some(c) = &a.cadence {
                    text.push_str(&format!(" [every {c}]"));
                }
                let mut row = vec![Cell::new(&a.id), Cell::new(text)];
                row.extend(
                    m.parties
                        .iter()
                        .map(|p| role_cell(m.letters(a, &p.id), style)),
                );
                row.push(Cell::new(
                    a.topics
                        .iter()
                        .chain(&a.suggested_topics)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", "),
                ));
                t.add_row(row);
            }
            out.push_str(&t.to_string());
            out.push('\n');
        }
        section_tree(m, Some(&s.id), depth + 1, style, out);
    }
}

/// The topics a model uses, with their titles and NIST SP 800-53 controls.
pub fn topics_legend(m: &Model, vocab: &Vocabulary, style: &Style) -> String {
    let mut used: Vec<&str> = m
        .activities
        .iter()
        .flat_map(|a| a.topics.iter().chain(&a.suggested_topics))
        .chain(m.statements.iter().flat_map(|s| &s.topics))
        .map(String::as_str)
        .collect();
    used.sort_unstable();
    used.dedup();
    let mut t = new_table(style);
    t.set_header(header(
        style,
        [
            "topic".to_string(),
            "title".into(),
            "NIST SP 800-53 r5".into(),
        ],
    ));
    for id in used {
        let (title, controls) = vocab.topic(id).map_or((String::new(), String::new()), |t| {
            (t.title.best(&style.lang).to_string(), t.controls.join(", "))
        });
        t.add_row(vec![id.to_string(), title, controls]);
    }
    format!("\n{}\n{t}\n", heading("Topics and controls", 1, style))
}

/// A listing of rows (`who`, `obligations`).
pub fn rows(m: &Model, rows: &[Row], style: &Style) -> String {
    let lang = style.lang.as_str();
    let mut t = new_table(style);
    let mut names = vec![
        "id".to_string(),
        "section".to_string(),
        "activity".to_string(),
    ];
    names.extend(m.parties.iter().map(|p| p.name.best(lang).to_string()));
    names.push("topics".into());
    t.set_header(header(style, names));
    keep_whole(&mut t, &[0]);
    for r in rows {
        let mut text = r.full_text();
        if let Some(c) = &r.cadence {
            text.push_str(&format!(" [every {c}]"));
        }
        if let (RowKind::Statement, Some(k)) = (r.kind, r.statement_kind) {
            text = format!("[{k}] {text}");
        }
        let mut row = vec![
            Cell::new(&r.id),
            Cell::new(&r.section_title),
            Cell::new(text),
        ];
        row.extend(r.roles.iter().map(|(_, l)| {
            if r.kind == RowKind::Activity {
                role_cell(l, style)
            } else {
                Cell::new(l)
            }
        }));
        row.push(Cell::new(r.topics.join(", ")));
        t.add_row(row);
    }
    format!("{t}\n")
}

pub use comfy_table::Table;

/// Keeps these columns as wide as their content (ids, versions, counts), so that wrapping to a
/// width breaks the texts beside them rather than an id in the middle. Call it once the
/// header is set.
pub fn keep_whole(t: &mut Table, columns: &[usize]) {
    for &i in columns {
        if let Some(c) = t.column_mut(i) {
            c.set_constraint(comfy_table::ColumnConstraint::ContentWidth);
        }
    }
}

/// An empty table in onus's style, without colours, wrapped to the style's width.
pub fn plain_in(style: &Style) -> Table {
    new_table(&Style {
        color: false,
        ..style.clone()
    })
}
