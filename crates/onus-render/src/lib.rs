//! Renders onus models and query results for people and spreadsheets: terminal tables,
//! Markdown, CSV and self-contained HTML pages.
//!
//! This crate turns values of `onus-model` into text. It decides nothing about terminals
//! itself: the caller says whether to colour and how wide to wrap ([`Style`]). JSON and YAML
//! are the model's own serde forms and are not produced here.

pub mod csv_out;
pub mod html;
pub mod markdown;
pub mod rows;
pub mod table;

pub use rows::{Row, RowKind};

/// How to render.
#[derive(Debug, Clone)]
pub struct Style {
    /// Language of the texts (`fr`, `en`); a text missing in it falls back to the model's
    /// source language.
    pub lang: String,
    /// Whether to emit ANSI colours (terminal tables only).
    pub color: bool,
    /// Width to wrap tables to; `None` lets the table pick.
    pub width: Option<u16>,
}

impl Default for Style {
    fn default() -> Self {
        Style {
            lang: "en".into(),
            color: false,
            width: None,
        }
    }
}

impl Style {
    /// `text` wrapped to the width (when one is set), continuation lines indented by
    /// `indent` spaces; unchanged when no width is set.
    pub fn wrap(&self, text: &str, indent: usize) -> String {
        wrap(text, self.width, indent)
    }
}

/// `text` wrapped to `width` columns (none: unchanged), continuation lines indented by
/// `indent` spaces. Long words (URLs, ids) are not broken.
pub fn wrap(text: &str, width: Option<u16>, indent: usize) -> String {
    let Some(w) = width else {
        return text.to_string();
    };
    let pad = " ".repeat(indent);
    let opts = textwrap::Options::new(usize::from(w))
        .subsequent_indent(&pad)
        .break_words(false)
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    text.lines()
        .map(|l| textwrap::fill(l, &opts))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The display number and title of a section: `3.1.2. Gestion des accès`.
pub fn section_heading(s: &onus_model::Section, lang: &str) -> String {
    match &s.number {
        Some(n) => format!("{n}. {}", s.title.best(lang)),
        None => s.title.best(lang).to_string(),
    }
}

/// The path of a section as one line: `3. Utilisation du service › 3.1. Opérations`.
pub fn section_trail(m: &onus_model::Model, id: &str, lang: &str) -> String {
    m.section_path(id)
        .iter()
        .map(|s| section_heading(s, lang))
        .collect::<Vec<_>>()
        .join(" › ")
}
