//! Markdown, for pasting into tickets, wikis and reviews.

use onus_model::{Model, Vocabulary};

use crate::{section_heading, Row, RowKind, Style};

/// Escapes text for a Markdown table cell.
pub fn cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('\n', " ")
}

/// The whole matrix, one heading per section and one table per section with activities.
pub fn model(m: &Model, vocab: &Vocabulary, style: &Style) -> String {
    let lang = style.lang.as_str();
    let mut out = format!("# {}\n\n", cell(m.title.best(lang)));
    out.push_str(&format!(
        "{} — {} — version {}\n\n",
        cell(&m.provider),
        cell(&m.service),
        cell(&m.version)
    ));
    let legend: Vec<String> = m
        .roles
        .letters
        .iter()
        .map(|l| format!("**{}**: {}", l.letter, cell(l.definition.best(lang))))
        .collect();
    out.push_str(&format!("{}\n\n", legend.join(" · ")));
    tree(m, None, 2, lang, &mut out);
    out.push_str(
        "## Topics and controls\n\n| topic | title | NIST SP 800-53 r5 |\n| --- | --- | --- |\n",
    );
    let mut used: Vec<&str> = m
        .activities
        .iter()
        .flat_map(|a| &a.topics)
        .chain(m.statements.iter().flat_map(|s| &s.topics))
        .map(String::as_str)
        .collect();
    used.sort_unstable();
    used.dedup();
    for id in used {
        if let Some(t) = vocab.topic(id) {
            out.push_str(&format!(
                "| {id} | {} | {} |\n",
                cell(t.title.best(lang)),
                t.controls.join(", ")
            ));
        }
    }
    out
}

fn tree(m: &Model, parent: Option<&str>, depth: usize, lang: &str, out: &mut String) {
    for s in m.children(parent) {
        out.push_str(&format!(
            "{} {}\n\n",
            "#".repeat(depth.min(6)),
            cell(&section_heading(s, lang))
        ));
        for st in m.statements_in(&s.id) {
            let lead = st
                .lead
                .as_ref()
                .map(|l| format!("{} ", l.best(lang)))
                .unwrap_or_default();
            out.push_str(&format!(
                "> *{}*: {}{}\n\n",
                st.kind.as_str(),
                cell(&lead),
                cell(st.text.best(lang))
            ));
        }
        let acts: Vec<_> = m.activities_in(&s.id).collect();
        if !acts.is_empty() {
            out.push_str("| id | activity |");
            for p in &m.parties {
                out.push_str(&format!(" {} |", cell(p.name.best(lang))));
            }
            out.push_str(" topics |\n| --- | --- |");
            out.push_str(&" --- |".repeat(m.parties.len()));
            out.push_str(" --- |\n");
            for a in acts {
                let text = match &a.lead {
                    Some(l) => format!("{} {}", l.best(lang), a.text.best(lang)),
                    None => a.text.best(lang).to_string(),
                };
                out.push_str(&format!("| {} | {} |", cell(&a.id), cell(&text)));
                for p in &m.parties {
                    out.push_str(&format!(" {} |", m.letters(a, &p.id)));
                }
                out.push_str(&format!(" {} |\n", a.topics.join(", ")));
            }
            out.push('\n');
        }
        tree(m, Some(&s.id), depth + 1, lang, out);
    }
}

/// A listing of rows (`who`, `obligations`).
pub fn rows(m: &Model, rows: &[Row], style: &Style) -> String {
    let lang = style.lang.as_str();
    let mut out = String::from("| id | section | activity |");
    for p in &m.parties {
        out.push_str(&format!(" {} |", cell(p.name.best(lang))));
    }
    out.push_str(" topics |\n| --- | --- | --- |");
    out.push_str(&" --- |".repeat(m.parties.len()));
    out.push_str(" --- |\n");
    for r in rows {
        let mut text = r.full_text();
        if let (RowKind::Statement, Some(k)) = (r.kind, r.statement_kind) {
            text = format!("*{k}*: {text}");
        }
        out.push_str(&format!(
            "| {} | {} | {} |",
            cell(&r.id),
            cell(&r.section_title),
            cell(&text)
        ));
        for (_, l) in &r.roles {
            out.push_str(&format!(" {} |", cell(l)));
        }
        out.push_str(&format!(" {} |\n", r.topics.join(", ")));
    }
    out
}
