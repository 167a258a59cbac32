//! `onus snapshot`: a live cluster's relevant objects in one file, Secret values removed.

use std::path::PathBuf;
use std::process::ExitCode;

use onus_audit::catalog;

use crate::cmd::live::{self, LiveArgs};
use crate::error::CliError;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    live: LiveArgs,
    /// Extra check files or folders whose kinds to include too. Repeatable.
    #[arg(long = "checks", value_name = "DIR")]
    checks: Vec<PathBuf>,
    /// The file to write (default: standard output).
    #[arg(short = 'O', long = "out", value_name = "FILE")]
    out: Option<PathBuf>,
}

pub fn run(a: Args) -> Result<ExitCode, CliError> {
    let checks = catalog::load(&a.checks).map_err(|e| CliError::usage(e.to_string(), None))?;
    let snap = live::fetch(&a.live, &live::kinds(&checks))?;
    let text = snap
        .to_yaml()
        .map_err(|e| CliError::Render(format!("cannot write the snapshot: {e}")))?;
    match &a.out {
        Some(p) => crate::error::write_file(p, text)?,
        None => crate::output::print(&text)?,
    }
    eprintln!(
        "{} objects of {} kinds from context `{}` ({}){}",
        snap.items.len(),
        snap.listed.len(),
        snap.context,
        snap.server,
        a.out
            .as_ref()
            .map(|p| format!(" written to {}", p.display()))
            .unwrap_or_default()
    );
    if !snap.not_served.is_empty() {
        eprintln!("not served by this cluster: {}", snap.not_served.join(", "));
    }
    Ok(ExitCode::SUCCESS)
}
