//! Text in several languages.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A text per language, keyed by a BCP 47 language tag (`fr`, `en`), in the order written.
///
/// The source language comes first in the shipped models; translations follow.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct Text(pub IndexMap<String, String>);

impl Text {
    /// A text in one language.
    pub fn new(lang: &str, text: impl Into<String>) -> Self {
        let mut m = IndexMap::new();
        m.insert(lang.to_string(), text.into());
        Text(m)
    }

    /// The text in `lang` if present.
    pub fn get(&self, lang: &str) -> Option<&str> {
        self.0.get(lang).map(String::as_str)
    }

    /// The text in `lang`, else in the first language present, else "".
    pub fn best(&self, lang: &str) -> &str {
        self.get(lang)
            .or_else(|| self.0.values().next().map(String::as_str))
            .unwrap_or("")
    }

    /// Languages present, in order.
    pub fn languages(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// Every language's text.
    pub fn all(&self) -> impl Iterator<Item = &str> {
        self.0.values().map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn set(&mut self, lang: &str, text: impl Into<String>) {
        self.0.insert(lang.to_string(), text.into());
    }
}
