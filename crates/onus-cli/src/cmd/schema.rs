use std::process::ExitCode;

use crate::error::CliError;
use crate::global::Global;
use crate::output;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Which format: `model` (the model file, default) or `export` (the files of a portal's
    /// onus.export/v1 archive).
    #[arg(value_parser = ["model", "export"], default_value = "model")]
    format: String,
}

pub fn run(a: Args, _: &Global) -> Result<ExitCode, CliError> {
    let schema = if a.format == "export" {
        onus_archive::format::schema()
    } else {
        onus_model::Model::json_schema()
    };
    output::print_data(&schema, output::Format::Json)?;
    Ok(ExitCode::SUCCESS)
}
