//! What a run of checks produces: a [`CheckResult`] per check, and the run's settings.

use chrono::{DateTime, FixedOffset};
use onus_model::Text;
use serde::{Deserialize, Serialize};

use crate::catalog::Severity;
use crate::findings::Findings;
use crate::ownership::FactKeys;

/// The latest Kubernetes minor release `version.supported` compares against, unless
/// `--k8s-latest` says otherwise. Update it when Kubernetes releases (see `docs/audit.md`).
pub const DEFAULT_K8S_LATEST: &str = "1.34";

/// Settings of a run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The instant time-based checks compare against.
    pub now: DateTime<FixedOffset>,
    /// Latest supported Kubernetes release, `1.34`.
    pub k8s_latest: String,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// The label and annotation keys recorded on failing items, for ownership.
    pub facts: FactKeys,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            now: chrono::Utc::now().fixed_offset(),
            k8s_latest: DEFAULT_K8S_LATEST.into(),
            threads: 0,
            facts: FactKeys::well_known(),
        }
    }
}

/// Outcome of a check over the whole inventory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckStatus {
    /// Every item passed.
    Pass,
    /// At least one item failed.
    Fail,
    /// Evaluation failed on some item (and none failed outright).
    Error,
    /// Nothing to judge: no object of the subject kinds.
    NotApplicable,
}

impl CheckStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Pass => "pass",
            CheckStatus::Fail => "fail",
            CheckStatus::Error => "error",
            CheckStatus::NotApplicable => "not-applicable",
        }
    }
}

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    pub id: String,
    pub title: Text,
    pub remediation: Text,
    pub severity: Severity,
    pub topics: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<String>,
    pub status: CheckStatus,
    /// How many items were judged.
    pub checked: usize,
    /// Failing items, in input order.
    pub failures: Findings,
    /// Items whose evaluation failed.
    #[serde(default, skip_serializing_if = "Findings::is_empty")]
    pub errors: Findings,
}
