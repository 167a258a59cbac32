//! `onus compare A B [C ...]`: models of different providers side by side, by topic.

use std::process::ExitCode;

use onus_interchange::{compare, render};

use crate::cmd::diff::Format;
use crate::error::CliError;
use crate::global::Global;
use crate::output;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Two or more models (ids or files).
    #[arg(num_args = 2.., required = true)]
    models: Vec<String>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = Format::Table)]
    output: Format,
}

pub fn run(a: Args, g: &Global) -> Result<ExitCode, CliError> {
    let models = a
        .models
        .iter()
        .map(|m| g.model(m))
        .collect::<Result<Vec<_>, _>>()?;
    let refs: Vec<&onus_model::Model> = models.iter().collect();
    let c = compare::compare(&refs, g.vocab, &g.lang);
    match a.output {
        Format::Json => output::print_data(&c, output::Format::Json)?,
        Format::Table => output::print(&output::fit(&render::compare_text(&c), g))?,
        Format::Md => output::print(&render::compare_markdown(&c))?,
        Format::Html => output::print(&render::compare_html(&c))?,
    }
    Ok(ExitCode::SUCCESS)
}
