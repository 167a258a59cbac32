//! Topics suggested from an activity's text, by the vocabulary's keywords.

use onus_model::query::terms;
use onus_model::{Text, Vocabulary};

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_are_suggested_from_keywords_in_either_language() {
        let v = Vocabulary::builtin();
        let t = suggest_topics(v, &Text::new("fr", "Déployer une politique de sauvegardes"));
        assert!(t.contains(&"backup".to_string()), "{t:?}");
        let t = suggest_topics(v, &Text::new("en", "Choose the service location"));
        assert!(t.contains(&"data-location".to_string()), "{t:?}");
    }
}
