//! Shared-responsibility models as data.
//!
//! A model says who does what between the parties of a service (a provider, its customers,
//! third parties). This crate holds the model's types (which are also the file format),
//! reads models from YAML or JSON with located diagnostics, validates them against named
//! rules, knows the topic vocabulary and the models built into onus, and answers queries
//! (`who`, `obligations`).
//!
//! It knows nothing about Kubernetes, terminals or output formats.
//!
//! ```
//! use onus_model::{load_str, Options, Vocabulary, BUILTIN};
//! let (_, text) = BUILTIN.iter().find(|(id, _)| *id == "ovhcloud-mks").unwrap();
//! let loaded = load_str("ovhcloud-mks.yaml", text, Vocabulary::builtin(), &Options::default());
//! let model = loaded.model.unwrap();
//! assert_eq!(model.activities.len(), 58);
//! ```

pub mod audit_rules;
pub mod cadence;
pub mod catalog;
pub mod diag;
pub mod events;
pub mod load;
pub mod query;
pub mod safe;
pub mod text;
pub mod types;
pub mod validate;
pub mod vocabulary;

pub use audit_rules::KnownCheck;
pub use cadence::Cadence;
pub use catalog::{Catalog, CatalogError, Location, BUILTIN};
pub use diag::{Diagnostic, Origin, RuleClass, Severity, RULES};
pub use load::{load_bytes, load_path, load_str, Loaded};
pub use safe::{csv_cell, csv_cell_read, safe_url};
pub use text::Text;
pub use types::*;
pub use validate::{check_license, is_date, Options};

impl RoleScheme {
    /// The letters that carry any of `duties`, in scheme order (`[Responsible, Accountable]`
    /// gives `['R', 'A']` for RACI).
    pub fn letters_of(&self, duties: &[Duty]) -> Vec<char> {
        self.letters
            .iter()
            .filter(|l| duties.contains(&l.duty))
            .map(|l| l.letter)
            .collect()
    }
}
pub use vocabulary::{Topic, Vocabulary};

/// Why [`Model::resolve_party`] found no single party.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartyError {
    #[error("model `{model}` has no party `{name}` (its parties: {}; or name a kind: provider, customer)", known.join(", "))]
    Unknown {
        name: String,
        model: String,
        known: Vec<String>,
    },
    #[error("model `{model}` has several {kind} parties ({}): name one by its id", parties.join(", "))]
    Ambiguous {
        kind: String,
        model: String,
        parties: Vec<String>,
    },
}

impl Model {
    pub fn party(&self, id: &str) -> Option<&Party> {
        self.parties.iter().find(|p| p.id == id)
    }

    /// The party a user names: its id (`byzaneo`), or its kind (`provider`, `customer`,
    /// `third-party`) when exactly one party has that kind. Party ids differ between models
    /// (`user` in h8lio, `customer` in ovhcloud-mks); kinds do not, so every command that takes
    /// a party accepts both.
    pub fn resolve_party(&self, name: &str) -> Result<&Party, PartyError> {
        if let Some(p) = self.party(name) {
            return Ok(p);
        }
        let of_kind: Vec<&Party> = self
            .parties
            .iter()
            .filter(|p| p.kind.as_str() == name)
            .collect();
        match of_kind.as_slice() {
            [one] => Ok(one),
            [] => Err(PartyError::Unknown {
                name: name.to_string(),
                model: self.id.clone(),
                known: self.parties.iter().map(|p| p.id.clone()).collect(),
            }),
            many => Err(PartyError::Ambiguous {
                kind: name.to_string(),
                model: self.id.clone(),
                parties: many.iter().map(|p| p.id.clone()).collect(),
            }),
        }
    }

    pub fn section(&self, id: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.id == id)
    }

    pub fn activity(&self, id: &str) -> Option<&Activity> {
        self.activities.iter().find(|a| a.id == id)
    }

    /// The sections from the top down to `id` (itself included).
    pub fn section_path(&self, id: &str) -> Vec<&Section> {
        let mut path = Vec::new();
        let mut cur = self.section(id);
        while let Some(s) = cur {
            if path.iter().any(|p: &&Section| p.id == s.id) {
                break; // a cycle; the validator reports it
            }
            path.push(s);
            cur = s.parent.as_deref().and_then(|p| self.section(p));
        }
        path.reverse();
        path
    }

    /// Direct children of a section (`None`: the top-level sections), in model order.
    pub fn children<'a>(
        &'a self,
        parent: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Section> + 'a {
        self.sections
            .iter()
            .filter(move |s| s.parent.as_deref() == parent)
    }

    /// The activities of section `id` (not of its sub-sections), in model order.
    pub fn activities_in<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Activity> + 'a {
        self.activities.iter().filter(move |a| a.section == id)
    }

    /// The statements of section `id` (not of its sub-sections), in model order.
    pub fn statements_in<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Statement> + 'a {
        self.statements
            .iter()
            .filter(move |st| st.section.as_deref() == Some(id))
    }

    /// The letters `party` holds in `activity` (empty when none).
    pub fn letters<'a>(&self, activity: &'a Activity, party: &str) -> &'a str {
        activity.roles.get(party).map_or("", String::as_str)
    }

    /// The parties holding a letter of the given duty in an activity.
    pub fn holders<'a>(
        &'a self,
        activity: &'a Activity,
        duty: Duty,
    ) -> impl Iterator<Item = &'a str> + 'a {
        let letters = self.roles.letters_of(&[duty]);
        activity
            .roles
            .iter()
            .filter(move |(_, cell)| cell.chars().any(|c| letters.contains(&c)))
            .map(|(p, _)| p.as_str())
    }

    /// Whether `party` holds a letter of `duty` in `activity`.
    pub fn holds(&self, activity: &Activity, party: &str, duty: Duty) -> bool {
        let letters = self.roles.letters_of(&[duty]);
        self.letters(activity, party)
            .chars()
            .any(|c| letters.contains(&c))
    }

    /// The model as YAML text, in the file format.
    pub fn to_yaml(&self) -> String {
        // Serializing plain data into a String cannot fail.
        serde_yaml_ng::to_string(self).unwrap_or_default()
    }

    /// The JSON Schema of the model format, generated from these types.
    pub fn json_schema() -> serde_json::Value {
        let mut s = serde_json::to_value(schemars::schema_for!(Model)).unwrap_or_default();
        if let Some(o) = s.as_object_mut() {
            o.insert(
                "$id".into(),
                "https://onus.dev/schema/model.schema.json".into(),
            );
            o.insert("title".into(), "onus shared-responsibility model".into());
        }
        s
    }
}

#[cfg(test)]
mod party_tests {
    use super::*;

    fn model(id: &str) -> Model {
        let (_, text) = BUILTIN.iter().find(|(i, _)| *i == id).unwrap();
        load_str(id, text, Vocabulary::builtin(), &Options::default())
            .model
            .unwrap()
    }

    #[test]
    fn a_party_is_named_by_id_or_kind() {
        let h = model("h8lio");
        assert_eq!(h.resolve_party("user").unwrap().id, "user");
        assert_eq!(h.resolve_party("customer").unwrap().id, "user");
        assert_eq!(h.resolve_party("provider").unwrap().id, "byzaneo");
        let err = h.resolve_party("ovhcloud").unwrap_err();
        assert!(
            err.to_string().contains("its parties: byzaneo, user")
                || err.to_string().contains("its parties: user, byzaneo"),
            "{err}"
        );
        let mut two = model("ovhcloud-mks");
        let mut p = two.parties[1].clone();
        p.id = "other".into();
        two.parties.push(p);
        assert!(matches!(
            two.resolve_party("provider"),
            Err(PartyError::Ambiguous { .. })
        ));
        assert_eq!(two.resolve_party("other").unwrap().id, "other");
    }
}
