//! The topic vocabulary: the controlled list of subjects a duty can be about, and the stack
//! layers. Defined once in `vocabulary/topics.yaml`, embedded at build time.

use std::sync::OnceLock;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::text::Text;

/// The vocabulary file as shipped, embedded into the binary.
pub const BUILTIN_SOURCE: &str = include_str!("../../../vocabulary/topics.yaml");

/// Topics and layers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vocabulary {
    pub format: String,
    pub layers: Vec<Layer>,
    pub topics: Vec<Topic>,
}

/// A layer of the stack.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layer {
    pub id: String,
    pub title: Text,
}

/// A subject a duty can be about.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topic {
    pub id: String,
    pub title: Text,
    pub description: Text,
    /// Words per language that signal the topic in free text.
    pub keywords: IndexMap<String, Vec<String>>,
    /// NIST SP 800-53 rev. 5 controls the topic concerns.
    #[serde(default)]
    pub controls: Vec<String>,
    #[serde(default)]
    pub layer: Option<String>,
}

/// Why a vocabulary file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum VocabularyError {
    #[error("vocabulary: {0}")]
    Yaml(#[from] onus_yaml::YamlError),
    #[error("vocabulary: at {path}: {message}")]
    Schema { path: String, message: String },
}

impl Vocabulary {
    /// Reads a vocabulary from YAML text.
    pub fn from_yaml(text: &str) -> Result<Vocabulary, VocabularyError> {
        let doc = onus_yaml::parse_one(text, &onus_yaml::Limits::default())?;
        serde_path_to_error::deserialize(&doc.value).map_err(|e| VocabularyError::Schema {
            path: e.path().to_string(),
            message: e.inner().to_string(),
        })
    }

    /// The vocabulary shipped with onus.
    pub fn builtin() -> &'static Vocabulary {
        static V: OnceLock<Vocabulary> = OnceLock::new();
        // The embedded file is checked by a test; failing here is a build defect, not input.
        V.get_or_init(|| {
            Vocabulary::from_yaml(BUILTIN_SOURCE)
                .expect("the built-in vocabulary is valid (see its test)")
        })
    }

    pub fn topic(&self, id: &str) -> Option<&Topic> {
        self.topics.iter().find(|t| t.id == id)
    }

    pub fn layer(&self, id: &str) -> Option<&Layer> {
        self.layers.iter().find(|l| l.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn builtin_vocabulary_is_well_formed() {
        let v = Vocabulary::from_yaml(BUILTIN_SOURCE).unwrap();
        assert!(
            (30..=60).contains(&v.topics.len()),
            "{} topics",
            v.topics.len()
        );
        let mut seen = HashSet::new();
        for t in &v.topics {
            assert!(seen.insert(t.id.clone()), "duplicate topic {}", t.id);
            for lang in ["en", "fr"] {
                assert!(
                    t.title.get(lang).is_some_and(|s| !s.is_empty()),
                    "{} lacks a {lang} title",
                    t.id
                );
                assert!(
                    t.description.get(lang).is_some(),
                    "{} lacks a {lang} description",
                    t.id
                );
                assert!(
                    t.keywords.get(lang).is_some_and(|k| !k.is_empty()),
                    "{} lacks {lang} keywords",
                    t.id
                );
            }
            assert!(!t.controls.is_empty(), "{} maps to no control", t.id);
            for c in &t.controls {
                let ok = c.len() >= 4
                    && c.as_bytes()[2] == b'-'
                    && c[..2].chars().all(|ch| ch.is_ascii_uppercase());
                assert!(ok, "{}: `{c}` is not an SP 800-53 control id", t.id);
            }
            if let Some(l) = &t.layer {
                assert!(v.layer(l).is_some(), "{}: unknown layer {l}", t.id);
            }
        }
    }
}
