//! What `onus audit --live` and `onus snapshot` share: reaching a cluster as kubectl does.

use std::path::PathBuf;

use onus_audit::Check;
use onus_kube::{Cluster, ClusterOptions, Snapshot};

use crate::error::CliError;

/// kubectl's connection options.
#[derive(Debug, Clone, clap::Args)]
pub struct LiveArgs {
    /// The kubeconfig file (default: KUBECONFIG, ~/.kube/config, then the in-cluster service
    /// account).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use (default: its current-context).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
}

/// The kinds to list: Namespaces and every kind the checks read, in catalog order.
pub fn kinds(checks: &[Check]) -> Vec<String> {
    let mut kinds = vec!["Namespace".to_string()];
    for k in checks.iter().flat_map(|c| &c.kinds) {
        if !kinds.contains(k) {
            kinds.push(k.clone());
        }
    }
    kinds
}

/// Connects, discovers and lists `kinds`; warnings go to stderr. Any failure is exit 2.
pub fn fetch(a: &LiveArgs, kinds: &[String]) -> Result<Snapshot, CliError> {
    let cluster = Cluster::connect(&ClusterOptions {
        kubeconfig: a.kubeconfig.clone(),
        context: a.context.clone(),
    })
    .map_err(|e| {
        CliError::usage(
            e.to_string(),
            Some("pass --kubeconfig FILE and --context NAME, or set KUBECONFIG".into()),
        )
    })?;
    let snap = cluster.fetch(kinds).map_err(|e| {
        CliError::usage(
            format!("context `{}`: {e}", cluster.context()),
            Some("check the server address and your network; `kubectl cluster-info` should answer too".into()),
        )
    })?;
    for w in &snap.warnings {
        eprintln!("warning: {w}");
    }
    Ok(snap)
}
