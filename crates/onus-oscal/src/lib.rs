//! NIST OSCAL for shared-responsibility models.
//!
//! onus writes a model as OSCAL documents that GRC tools read, and reads OSCAL back:
//!
//! - [`provider_ssp`]: the provider's system-security-plan, where each control's
//!   `by-components` entry exports what the provider provides and what it leaves to the customer;
//! - [`customer_ssp`]: the customer's skeleton that leverages it (`inherited`, `satisfied`);
//! - [`component_definition`]: the service as a component, with `responsible-roles` per statement;
//! - [`assessment_results`]: the results of an audit of a cluster against the model;
//! - [`check`] / [`validate_document`]: referential checks the JSON schema cannot do, for any
//!   OSCAL document;
//! - [`import`]: a component-definition or SSP back into a model.
//!
//! Output is stable: UUIDs are v5 UUIDs derived from the model id and the element's path, and
//! `last-modified` is the document's date given in [`DocOptions`] (the library never reads the
//! clock), so the same model and options give the same bytes. Controls come from the topic
//! vocabulary (`controls:` of each topic) and from the statements a source names. See
//! `docs/oscal.md`.
//!
//! ```
//! use onus_model::{load_str, Options, Vocabulary, BUILTIN};
//! let (_, text) = BUILTIN.iter().find(|(id, _)| *id == "h8lio").unwrap();
//! let model = load_str("h8lio.yaml", text, Vocabulary::builtin(), &Options::default()).model.unwrap();
//! let opts = onus_oscal::DocOptions::at("2025-01-31T10:00:00Z");
//! let ssp = onus_oscal::provider_ssp(&model, Vocabulary::builtin(), &opts);
//! assert!(onus_oscal::validate_document(&ssp).iter().all(|f| f.severity != onus_oscal::Severity::Error));
//! ```

pub mod assessment;
pub mod common;
pub mod component;
pub mod import;
pub mod refcheck;
pub mod ssp;

pub use assessment::{assessment_results, Audit, Check, CheckStatus, Evidence, FailingItem};
pub use common::{stable_uuid, ControlId, DocOptions, CATALOG_URL, NS, OSCAL_VERSION};
pub use component::component_definition;
pub use import::{import, ImportError, Imported};
pub use refcheck::{check, check_with, oscal_root, Finding, Severity, RULES};
pub use ssp::{customer_ssp, provider_ssp};

use serde_json::Value;

/// The OSCAL documents onus writes from a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Export {
    /// `oscal-ssp`: the provider's system-security-plan.
    Ssp,
    /// `oscal-customer-ssp`: the customer's SSP skeleton.
    CustomerSsp,
    /// `oscal-component`: the component-definition of the service.
    Component,
}

impl Export {
    /// Every export, by its name on the command line.
    pub const ALL: &[(&'static str, Export)] = &[
        ("oscal-ssp", Export::Ssp),
        ("oscal-customer-ssp", Export::CustomerSsp),
        ("oscal-component", Export::Component),
    ];

    pub fn from_name(name: &str) -> Option<Export> {
        Export::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, e)| *e)
    }

    /// Writes the document.
    pub fn document(
        self,
        model: &onus_model::Model,
        vocab: &onus_model::Vocabulary,
        opts: &DocOptions,
    ) -> Value {
        match self {
            Export::Ssp => provider_ssp(model, vocab, opts),
            Export::CustomerSsp => customer_ssp(model, vocab, opts),
            Export::Component => component_definition(model, vocab, opts),
        }
    }
}

/// Whether a JSON document is OSCAL (has an OSCAL root key such as `system-security-plan`).
pub fn is_oscal(doc: &Value) -> bool {
    oscal_root(doc).is_some()
}

/// Runs onus's referential checks on an OSCAL document written by any tool. The JSON schema
/// is not checked here: onus does not ship it (its tests do check every document it writes).
pub fn validate_document(doc: &Value) -> Vec<Finding> {
    check(doc)
}

/// A document as pretty JSON text with a final newline, as onus writes it.
pub fn to_json(doc: &Value) -> String {
    let mut s = serde_json::to_string_pretty(doc).unwrap_or_default();
    s.push('\n');
    s
}
