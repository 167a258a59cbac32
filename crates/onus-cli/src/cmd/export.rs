//! `onus export`: write a model in another format.
//!
//! Only the OSCAL formats are here so far (see `cmd/oscal.rs`); the interchange formats
//! (csv, xlsx, md, html) are added as further arms of the same match.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::error::CliError;
use crate::global::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The model: an id or a path to a model file.
    model: String,
    /// The format to write: oscal-ssp (the provider's system-security-plan),
    /// oscal-customer-ssp (the customer's skeleton that leverages it) or oscal-component
    /// (a component-definition of the service).
    #[arg(long = "to", value_name = "FORMAT", value_parser = ["oscal-ssp", "oscal-customer-ssp", "oscal-component"])]
    to: String,
    /// Write to this file instead of stdout.
    #[arg(long = "out", value_name = "FILE")]
    out: Option<PathBuf>,
}

pub fn run(a: Args, g: &Global) -> Result<ExitCode, CliError> {
    let model = g.model(&a.model)?;
    let text = match a.to.as_str() {
        f if super::oscal::EXPORTS.contains(&f) => super::oscal::export(&model, f, g)?,
        other => return Err(CliError::usage(format!("no export format `{other}`"), None)),
    };
    match a.out {
        Some(p) => std::fs::write(&p, text)?,
        None => crate::output::print(&text)?,
    }
    Ok(ExitCode::SUCCESS)
}
