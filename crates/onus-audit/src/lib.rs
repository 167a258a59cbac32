//! Verification of a shared-responsibility model against a cluster's state.
//!
//! Checks are data ([`catalog`]): each has an id, texts per language, a severity, the topics
//! it gives evidence for, the kinds it reads and its logic in CEL. [`engine`] evaluates them
//! over cluster exports as they are read, or over an [`onus_inventory::Inventory`], recording on
//! each failing item what its owner can be told from ([`Facts`]). [`join`] attaches the
//! results to a model's duties through the model's reviewed evidence links (suggested from
//! topics when the model has none), attributes each failing item to the party that can fix it
//! ([`ownership`]: the model's managed scopes), applies the model's [`conditions`] and
//! [`attest`]ations for what no machine can see. The party a result concerns always comes from
//! the model, never from the check.
//!
//! This crate knows nothing about terminals, HTML or exit codes: its report types are plain
//! serde structs, rendered by `onus-report`.

pub mod attest;
pub mod catalog;
pub mod cel;
pub mod conditions;
pub mod engine;
pub mod findings;
pub mod helpers;
pub mod join;
pub mod ownership;
pub mod result;

pub use catalog::{CatalogError, Check, Scope, Severity};
pub use engine::{audit_paths, run};
pub use findings::{
    Attribution, DutyRef, Facts, FactsRef, Finding, FindingRef, Findings, Marks, Unassigned,
    UnassignedReason,
};
pub use result::{CheckResult, CheckStatus, RunOptions, DEFAULT_K8S_LATEST};
