//! The model as Markdown: front matter (title, provider, version and the model's metadata
//! under `onus-metadata`), one heading per section (`## 3.1.2. Title {#3.1.2}`), one table per
//! section with the flat layout, statements as lists.

use onus_model::Model;

use super::{cell, columns, metadata};
use crate::import::METADATA_KEY;

/// The model as Markdown text. `lang` is the language of headings and shown first in tables.
pub fn to_markdown(m: &Model, lang: &str) -> String {
    let mut out = String::new();
    let mut front = serde_json::Map::new();
    front.insert("title".into(), m.title.best(lang).into());
    front.insert("provider".into(), m.provider.clone().into());
    front.insert("service".into(), m.service.clone().into());
    front.insert("version".into(), m.version.clone().into());
    if let Some(l) = &m.source.license {
        front.insert("license".into(), l.clone().into());
    }
    if let Some(a) = &m.source.attribution {
        front.insert("attribution".into(), a.clone().into());
    }
    front.insert(METADATA_KEY.into(), metadata(m));
    out.push_str("---\n");
    out.push_str(&serde_yaml_ng::to_string(&serde_json::Value::Object(front)).unwrap_or_default());
    out.push_str("---\n\n");
    out.push_str(&format!("# {}\n\n", esc(m.title.best(lang))));
    if let Some(d) = &m.description {
        out.push_str(&format!("{}\n\n", esc(d.best(lang))));
    }
    if let Some(l) = super::license_line(m) {
        out.push_str(&format!("{}\n\n", esc(&l)));
    }
    // The legend.
    out.push_str("| Letter | Name | Definition |\n| --- | --- | --- |\n");
    for l in &m.roles.letters {
        out.push_str(&format!(
            "| {} | {} | {} |\n",
            l.letter,
            esc(l.name.best(lang)),
            esc(l.definition.best(lang))
        ));
    }
    out.push('\n');
    let cols = columns(m, lang, false);
    let mut emitted: Vec<String> = Vec::new();
    section_tree(m, None, 2, lang, &cols, &mut out, &mut emitted);
    out
}

fn section_tree(
    m: &Model,
    parent: Option<&str>,
    level: usize,
    lang: &str,
    cols: &[(String, super::Col)],
    out: &mut String,
    emitted: &mut Vec<String>,
) {
    for s in m.children(parent) {
        if emitted.contains(&s.id) {
            continue; // a cycle; the validator reports it
        }
        emitted.push(s.id.clone());
        let title = match &s.number {
            Some(n) => format!("{n}. {}", s.title.best(lang)),
            None => s.title.best(lang).to_string(),
        };
        out.push_str(&format!(
            "{} {} {{#{}}}\n\n",
            "#".repeat(level.min(6)),
            esc(&title),
            s.id
        ));
        let rows: Vec<_> = m.activities_in(&s.id).collect();
        if !rows.is_empty() {
            out.push_str(&format!(
                "| {} |\n",
                cols.iter()
                    .map(|(h, _)| esc(h))
                    .collect::<Vec<_>>()
                    .join(" | ")
            ));
            out.push_str(&format!("|{}\n", " --- |".repeat(cols.len())));
            for a in rows {
                out.push_str(&format!(
                    "| {} |\n",
                    cols.iter()
                        .map(|(_, c)| esc(&cell(m, a, c)))
                        .collect::<Vec<_>>()
                        .join(" | ")
                ));
            }
            out.push('\n');
        }
        let statements: Vec<_> = m.statements_in(&s.id).collect();
        for st in &statements {
            let who = st
                .party
                .as_deref()
                .and_then(|p| m.party(p))
                .map(|p| format!(" ({})", p.name.best(lang)))
                .unwrap_or_default();
            out.push_str(&format!(
                "- *{}*{}: {}\n",
                st.kind.as_str(),
                esc(&who),
                esc(st.text.best(lang))
            ));
        }
        if !statements.is_empty() {
            out.push('\n');
        }
        section_tree(m, Some(&s.id), level + 1, lang, cols, out, emitted);
    }
}

/// Escapes text for a Markdown table cell or heading: Markdown punctuation is backslashed so
/// that it reads back as written, line breaks become `<br>`.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '&' | '|' | '~' | '{' | '}' | '#'
            | '!' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("<br>"),
            '\r' => {}
            _ => out.push(c),
        }
    }
    out
}
