//! Questions asked of a model: who does this (`who`), and what must this party do
//! (`obligations`).

use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

use crate::types::{Activity, Duty, Model, Statement};
use crate::vocabulary::Vocabulary;

/// Folds text for matching: lower case, accents removed, punctuation as spaces.
pub fn fold(s: &str) -> String {
    s.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect()
}

/// Words that carry no meaning for a search, in the languages onus ships.
const STOP: &[&str] = &[
    "a", "an", "the", "of", "to", "in", "on", "for", "and", "or", "by", "with", "is", "are", "be",
    "its", "their", "who", "what", "which", "do", "does", "my", "me", "i", "it", "this", "that",
    "at", "as", "from", "le", "la", "les", "l", "un", "une", "des", "de", "du", "d", "et", "ou",
    "en", "au", "aux", "par", "pour", "sur", "dans", "qui", "que", "quoi", "est", "sont", "ses",
    "son", "sa", "vos", "votre", "mes", "ma", "mon", "ce", "cette", "ces", "se", "s", "qu", "y",
];

/// A word reduced to a stem good enough to match singular and plural forms in English and
/// French (`backups` and `backup`, `sauvegardes` and `sauvegarde`).
pub fn stem(word: &str) -> String {
    let w = word;
    for suffix in ["ies", "es", "s", "x"] {
        if let Some(base) = w.strip_suffix(suffix) {
            // `access`, `process`: a double s is not a plural.
            if base.chars().count() >= 3 && !(suffix == "s" && base.ends_with('s')) {
                return if suffix == "ies" {
                    format!("{base}y")
                } else if suffix == "es" && !base.ends_with(['s', 'x', 'z', 'h']) {
                    format!("{base}e")
                } else {
                    base.to_string()
                };
            }
        }
    }
    w.to_string()
}

/// The stems of the meaningful words of a text.
pub fn terms(s: &str) -> Vec<String> {
    fold(s)
        .split_whitespace()
        .filter(|w| !STOP.contains(w))
        .map(stem)
        .collect()
}

/// A search hit.
#[derive(Debug, Clone, Serialize)]
pub struct Hit<'m> {
    pub score: u32,
    pub activity: &'m Activity,
}

/// Activities matching `query` in any language, best first. A word matches an activity when
/// it appears in its text or lead (in any language), in its section's title, or among the
/// keywords or title of one of its topics; whole words count more than prefixes, and text
/// more than topics.
pub fn who<'m>(model: &'m Model, vocab: &Vocabulary, query: &str) -> Vec<Hit<'m>> {
    let q = terms(query);
    if q.is_empty() {
        return Vec::new();
    }
    let mut hits: Vec<Hit> = model
        .activities
        .iter()
        .filter_map(|a| {
            let mut text_words: Vec<String> = a
                .text
                .all()
                .chain(a.lead.iter().flat_map(|l| l.all()))
                .flat_map(terms)
                .collect();
            text_words.sort();
            text_words.dedup();
            let topic_words: Vec<String> = a
                .topics
                .iter()
                .chain(&a.suggested_topics)
                .filter_map(|t| vocab.topic(t))
                .flat_map(|t| {
                    t.keywords
                        .values()
                        .flatten()
                        .map(String::as_str)
                        .chain(t.title.all())
                        .chain(std::iter::once(t.id.as_str()))
                        .flat_map(terms)
                        .collect::<Vec<_>>()
                })
                .collect();
            let mut score = 0;
            let mut matched = 0;
            for term in &q {
                let s = if text_words.iter().any(|w| w == term) {
                    10
                } else if term.chars().count() >= 4
                    && text_words.iter().any(|w| w.starts_with(term.as_str()))
                {
                    6
                } else if topic_words.iter().any(|w| w == term) {
                    5
                } else if term.chars().count() >= 4
                    && topic_words.iter().any(|w| w.starts_with(term.as_str()))
                {
                    3
                } else {
                    0
                };
                if s > 0 {
                    matched += 1;
                }
                score += s;
            }
            if matched == 0 {
                return None;
            }
            // Matching every word of the query outranks matching some of them well.
            if matched == q.len() {
                score += 100;
            }
            Some(Hit { score, activity: a })
        })
        .collect();
    hits.sort_by_key(|h| std::cmp::Reverse(h.score));
    hits
}

/// One duty of a party.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Obligation<'m> {
    /// A row where the party holds some of the roles asked for.
    Activity {
        /// The party's letters in this row.
        letters: String,
        activity: &'m Activity,
    },
    /// A commitment, quantified commitment or liability clause that binds the party.
    Statement { statement: &'m Statement },
}

/// What `obligations` selects.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Letters to keep (`R`, `A`); empty means the letters of the responsible and accountable
    /// duties.
    pub letters: Vec<char>,
    /// Topics to keep; empty means all.
    pub topics: Vec<String>,
}

/// The duties of `party` in `model`: the activities where it holds one of the letters asked
/// for, then the statements that bind it. Model order is kept.
pub fn obligations<'m>(model: &'m Model, party: &str, filter: &Filter) -> Vec<Obligation<'m>> {
    let letters: Vec<char> = if filter.letters.is_empty() {
        model
            .roles
            .letters
            .iter()
            .filter(|l| matches!(l.duty, Duty::Responsible | Duty::Accountable))
            .map(|l| l.letter)
            .collect()
    } else {
        filter.letters.clone()
    };
    let topic_ok = |topics: &[String]| {
        filter.topics.is_empty() || topics.iter().any(|t| filter.topics.contains(t))
    };
    let mut out: Vec<Obligation> = model
        .activities
        .iter()
        .filter(|a| topic_ok(&a.topics) || topic_ok(&a.suggested_topics) && a.topics.is_empty())
        .filter_map(|a| {
            let cell = a.roles.get(party)?;
            cell.chars()
                .any(|c| letters.contains(&c))
                .then(|| Obligation::Activity {
                    letters: cell.clone(),
                    activity: a,
                })
        })
        .collect();
    // Statements bind as R and A would: show them unless only C or I was asked for.
    let duty_letters: Vec<char> = model
        .roles
        .letters
        .iter()
        .filter(|l| matches!(l.duty, Duty::Responsible | Duty::Accountable))
        .map(|l| l.letter)
        .collect();
    if letters.iter().any(|c| duty_letters.contains(c)) {
        out.extend(
            model
                .statements
                .iter()
                .filter(|s| {
                    s.kind.binds() && s.party.as_deref() == Some(party) && topic_ok(&s.topics)
                })
                .map(|s| Obligation::Statement { statement: s }),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_removes_case_and_accents() {
        assert_eq!(fold("Réversibilité, Données!"), "reversibilite  donnees ");
        assert_eq!(terms("Les sauvegardes"), vec!["sauvegarde"]);
        assert_eq!(terms("backups"), vec!["backup"]);
        assert_eq!(terms("Policies"), vec!["policy"]);
        assert_eq!(terms("access processes"), vec!["access", "process"]);
    }
}
