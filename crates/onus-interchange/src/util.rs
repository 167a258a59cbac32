//! Small text helpers shared by importers and exporters.

use onus_model::query::fold;

/// A folded, trimmed, single-spaced form of a label, for matching headers and names.
pub(crate) fn key(s: &str) -> String {
    fold(s).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A kebab-case identifier from a label (`Cloud Provider` gives `cloud-provider`).
pub(crate) fn slug(s: &str) -> String {
    let k = key(s);
    let out = k.split_whitespace().collect::<Vec<_>>().join("-");
    if out.is_empty() {
        "x".to_string()
    } else {
        out
    }
}

/// `id`, or `id-2`, `id-3`... so that it is not in `taken`.
pub(crate) fn unique(id: String, taken: impl Fn(&str) -> bool) -> String {
    if !taken(&id) {
        return id;
    }
    (2..)
        .map(|n| format!("{id}-{n}"))
        .find(|c| !taken(c))
        .unwrap_or(id)
}

/// Splits a heading such as `3.1.2. Gestion des accès` into its number and title.
pub(crate) fn split_number(heading: &str) -> (Option<String>, String) {
    let h = heading.trim();
    let end = h
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(h.len());
    let num = h[..end].trim_end_matches('.');
    if num.is_empty() || !num.starts_with(|c: char| c.is_ascii_digit()) || num.contains("..") {
        return (None, h.to_string());
    }
    // `2023 results` is not a numbered heading unless followed by a separator.
    let rest = h[end..].trim_start_matches([')', '-', '–', ':']).trim();
    if end < h.len()
        && !h[end..].starts_with(char::is_whitespace)
        && !h[..end].ends_with('.')
        && !h[end..].starts_with([')', '-', '–', ':'])
    {
        return (None, h.to_string());
    }
    (Some(num.to_string()), rest.to_string())
}

/// The parent number of a section number (`3.1.2` gives `3.1`).
pub(crate) fn parent_number(n: &str) -> Option<&str> {
    n.rfind('.').map(|i| &n[..i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_split_into_number_and_title() {
        assert_eq!(
            split_number("3.1.2. Gestion des accès"),
            (Some("3.1.2".into()), "Gestion des accès".into())
        );
        assert_eq!(split_number("1. Avant"), (Some("1".into()), "Avant".into()));
        assert_eq!(split_number("2) Usage"), (Some("2".into()), "Usage".into()));
        assert_eq!(split_number("Objectif"), (None, "Objectif".into()));
        assert_eq!(split_number("4xx errors"), (None, "4xx errors".into()));
        assert_eq!(slug("Cloud Provider"), "cloud-provider");
        assert_eq!(slug("Revendeur / Intégrateur"), "revendeur-integrateur");
        assert_eq!(parent_number("3.1.2"), Some("3.1"));
    }
}
