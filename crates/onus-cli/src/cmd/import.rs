//! `onus import`: read a model from another format; the model is written as YAML.
//!
//! Only the OSCAL formats are here so far (see `cmd/oscal.rs`); the interchange formats
//! (markdown, csv, xlsx) are added as further arms of the same match.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::error::CliError;
use crate::global::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The file to read.
    file: PathBuf,
    /// Its format: oscal-component (a component-definition) or oscal-ssp (a
    /// system-security-plan), in JSON.
    #[arg(long, value_name = "FORMAT", value_parser = ["oscal-component", "oscal-ssp"])]
    format: String,
    /// Write the model to this file instead of stdout.
    #[arg(long = "out", value_name = "FILE")]
    out: Option<PathBuf>,
}

pub fn run(a: Args, g: &Global) -> Result<ExitCode, CliError> {
    let text = match a.format.as_str() {
        f if super::oscal::IMPORTS.iter().any(|(n, _)| *n == f) => {
            super::oscal::import(&a.file, f, g)?
        }
        other => return Err(CliError::usage(format!("no import format `{other}`"), None)),
    };
    match a.out {
        Some(p) => std::fs::write(&p, text)?,
        None => crate::output::print(&text)?,
    }
    Ok(ExitCode::SUCCESS)
}
