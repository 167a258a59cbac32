//! A flat row: what `who` and `obligations` list, whatever the output format.

use onus_model::{Activity, Model, Statement};
use serde::Serialize;

/// Whether a row is a matrix activity or a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RowKind {
    Activity,
    Statement,
}

/// One line of a listing, in one language, ready to print.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub kind: RowKind,
    /// `commitment`, `liability`... for statements.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement_kind: Option<&'static str>,
    pub id: String,
    pub section: String,
    /// The section's path, numbered and titled.
    pub section_title: String,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead: Option<String>,
    /// Party id to letters, in the model's party order; statements give their party `RA`.
    pub roles: Vec<(String, String)>,
    pub topics: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cadence: Option<String>,
    /// Search relevance, for `who`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<u32>,
}

impl Row {
    pub fn activity(m: &Model, a: &Activity, lang: &str) -> Row {
        Row {
            kind: RowKind::Activity,
            statement_kind: None,
            id: a.id.clone(),
            section: a.section.clone(),
            section_title: crate::section_trail(m, &a.section, lang),
            text: a.text.best(lang).to_string(),
            lead: a.lead.as_ref().map(|l| l.best(lang).to_string()),
            roles: m
                .parties
                .iter()
                .map(|p| (p.id.clone(), m.letters(a, &p.id).to_string()))
                .collect(),
            topics: a
                .topics
                .iter()
                .chain(&a.suggested_topics)
                .cloned()
                .collect(),
            cadence: a.cadence.clone(),
            score: None,
        }
    }

    pub fn statement(m: &Model, s: &Statement, lang: &str) -> Row {
        let section = s.section.clone().unwrap_or_default();
        Row {
            kind: RowKind::Statement,
            statement_kind: Some(s.kind.as_str()),
            id: s.id.clone(),
            section_title: crate::section_trail(m, &section, lang),
            section,
            text: s.text.best(lang).to_string(),
            lead: s.lead.as_ref().map(|l| l.best(lang).to_string()),
            roles: m
                .parties
                .iter()
                .map(|p| {
                    (
                        p.id.clone(),
                        if s.party.as_deref() == Some(p.id.as_str()) {
                            s.kind.as_str().to_string()
                        } else {
                            String::new()
                        },
                    )
                })
                .collect(),
            topics: s.topics.clone(),
            cadence: None,
            score: None,
        }
    }

    /// The row's text with its lead-in, when it has one: `Byzaneo assure : N'avoir ...`.
    pub fn full_text(&self) -> String {
        match &self.lead {
            Some(l) => format!("{l} {}", self.text),
            None => self.text.clone(),
        }
    }
}
