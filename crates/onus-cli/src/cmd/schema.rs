use std::process::ExitCode;

use crate::error::CliError;
use crate::global::Global;
use crate::output;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_: Args, _: &Global) -> Result<ExitCode, CliError> {
    output::print_data(&onus_model::Model::json_schema(), output::Format::Json)?;
    Ok(ExitCode::SUCCESS)
}
