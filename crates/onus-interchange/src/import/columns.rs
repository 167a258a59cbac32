//! What a column holds, from its header: the activity's text, an id, a section, a party...,
//! and what kind of party a label names.

use onus_model::PartyKind;

use crate::util::key;

/// What a column holds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Col {
    Id,
    Section,
    SectionTitle(Option<String>),
    Lead(Option<String>),
    Text(Option<String>),
    Topics,
    Suggested,
    Layer,
    Cadence,
    SourceSection,
    SourceList,
    SourceRow,
    Notes(Option<String>),
    Footnotes(Option<String>),
    /// Controls of a catalog, `catalog:id` separated by commas (`ccm-v4:A&A-01`).
    Controls,
    /// A party column; the label as written.
    Party(String),
    Empty,
}

/// Splits `Activity (en)` or `Activité [fr]` into the label and the language tag.
pub(crate) fn split_lang(header: &str) -> (String, Option<String>) {
    let h = header.trim();
    for (open, close) in [('(', ')'), ('[', ']')] {
        if let Some(inner) = h
            .strip_suffix(close)
            .and_then(|s| s.rfind(open).map(|i| (&s[..i], &s[i + 1..])))
        {
            let (label, tag) = inner;
            let ok = (2..=8).contains(&tag.len())
                && tag
                    .split('-')
                    .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric()))
                && tag.chars().take(2).all(|c| c.is_ascii_lowercase());
            if ok && !label.trim().is_empty() {
                return (label.trim().to_string(), Some(tag.to_string()));
            }
        }
    }
    (h.to_string(), None)
}

/// Words that name the activity column, with the language they are in.
const TEXT_LABELS: &[(&str, &str)] = &[
    ("activity", "en"),
    ("activities", "en"),
    ("task", "en"),
    ("tasks", "en"),
    ("duty", "en"),
    ("item", "en"),
    ("text", "en"),
    ("responsibility", "en"),
    ("control", "en"),
    // The row is a resource or component and the columns areas of work (Red Hat's ROSA and
    // OpenShift Dedicated matrices: `Resource | Incident and operations management | ...`).
    ("resource", "en"),
    ("resources", "en"),
    ("component", "en"),
    ("components", "en"),
    ("ressource", "fr"),
    ("ressources", "fr"),
    ("composant", "fr"),
    ("composants", "fr"),
    ("activite", "fr"),
    ("activites", "fr"),
    ("tache", "fr"),
    ("taches", "fr"),
    ("texte", "fr"),
    ("element", "fr"),
    ("responsabilite", "fr"),
    ("actividad", "es"),
    ("aktivitat", "de"),
    ("tatigkeit", "de"),
    ("aufgabe", "de"),
];

/// Whether the importer reads a column with this header as a party column.
pub(crate) fn probe_header(header: &str) -> bool {
    matches!(classify(header).0, Col::Party(_))
}

pub(crate) fn classify(header: &str) -> (Col, Option<&'static str>) {
    let (label, lang) = split_lang(header.trim().trim_matches(['*', '_']));
    let k = key(&label);
    let col = match k.as_str() {
        "" => Col::Empty,
        "id" | "identifier" | "identifiant" | "ref" => Col::Id,
        "section" | "section id" | "section number" | "numero de section" | "no" | "n"
        | "phase" => Col::Section,
        "section title" | "titre de section" | "titre" | "title" => Col::SectionTitle(lang),
        "lead" | "lead in" | "introduction" | "chapeau" => Col::Lead(lang),
        "topics" | "topic" | "themes" | "theme" | "sujets" => Col::Topics,
        "suggested topics" | "themes suggeres" => Col::Suggested,
        "layer" | "couche" => Col::Layer,
        "cadence" | "frequency" | "frequence" => Col::Cadence,
        "source section" => Col::SourceSection,
        "source list" => Col::SourceList,
        "source row" => Col::SourceRow,
        "notes" | "note" | "remarques" => Col::Notes(lang),
        "footnotes" | "footnote" | "notes de bas de page" | "renvois" => Col::Footnotes(lang),
        "controls" | "controles" => Col::Controls,
        _ => {
            if let Some((_, l)) = TEXT_LABELS.iter().find(|(w, _)| *w == k) {
                return (Col::Text(lang), Some(l));
            }
            Col::Party(label)
        }
    };
    (col, None)
}

const CUSTOMER_WORDS: &[&str] = &[
    "client",
    "clients",
    "customer",
    "customers",
    "user",
    "users",
    "utilisateur",
    "utilisateurs",
    "tenant",
    "consumer",
    "you",
    "vous",
    "cliente",
    "kunde",
    "beneficiaire",
    // CSA's "cloud service customer".
    "csc",
];
const THIRD_WORDS: &[&str] = &[
    "reseller",
    "revendeur",
    "partner",
    "partenaire",
    "integrator",
    "integrateur",
    "msp",
    "distributor",
    "distributeur",
    "third",
    "tiers",
    "subcontractor",
    "sous",
    "hoster",
    "hebergeur",
    "vendor",
    "editeur",
    "isv",
    "broker",
];
const PROVIDER_WORDS: &[&str] = &[
    "provider",
    "fournisseur",
    "csp",
    "prestataire",
    "operator",
    "operateur",
    "cloud",
];

pub(crate) fn party_kind(label: &str) -> Option<PartyKind> {
    let k = key(label);
    let words: Vec<&str> = k.split_whitespace().collect();
    if words.iter().any(|w| THIRD_WORDS.contains(w)) {
        Some(PartyKind::ThirdParty)
    } else if words.iter().any(|w| CUSTOMER_WORDS.contains(w)) {
        Some(PartyKind::Customer)
    } else if words.iter().any(|w| PROVIDER_WORDS.contains(w)) && words.len() <= 2 {
        Some(PartyKind::Provider)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_classified() {
        assert_eq!(classify("**Activité**"), (Col::Text(None), Some("fr")));
        assert_eq!(classify("Activité"), (Col::Text(None), Some("fr")));
        assert_eq!(classify("Activity (en)").0, Col::Text(Some("en".into())));
        assert_eq!(classify("Notes (fr)").0, Col::Notes(Some("fr".into())));
        assert_eq!(classify("Client").0, Col::Party("Client".into()));
        assert_eq!(party_kind("Client"), Some(PartyKind::Customer));
        assert_eq!(party_kind("Reseller"), Some(PartyKind::ThirdParty));
        assert_eq!(party_kind("Cloud provider"), Some(PartyKind::Provider));
        assert_eq!(party_kind("OVHcloud"), None);
    }
}
