//! `onus diff OLD NEW`: what changed between two models of the same lineage.

use std::process::ExitCode;

use clap::ValueEnum;
use onus_interchange::{diff, render};

use crate::error::{CliError, EXIT_FINDINGS};
use crate::global::Global;
use crate::output;

/// Output formats of `diff` and `compare`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Text for people.
    Table,
    /// JSON, for programs.
    Json,
    /// Markdown.
    Md,
    /// One self-contained HTML page.
    Html,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The older model (an id, or a file).
    old: String,
    /// The newer model (an id, or a file).
    new: String,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = Format::Table)]
    output: Format,
    /// Exit with 1 when any responsibility shifted (a party gained or lost R or A), as
    /// `git diff --exit-code` does.
    #[arg(long)]
    exit_code: bool,
}

pub fn run(a: Args, g: &Global) -> Result<ExitCode, CliError> {
    let old = g.model(&a.old)?;
    let new = g.model(&a.new)?;
    let d = diff::diff(&old, &new, &g.lang);
    match a.output {
        Format::Json => output::print_data(&d, output::Format::Json)?,
        Format::Table => output::print(&output::fit(&render::diff_text(&d), g))?,
        Format::Md => output::print(&render::diff_markdown(&d))?,
        Format::Html => output::print(&render::diff_html(&d))?,
    }
    Ok(if a.exit_code && d.has_shifts() {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    })
}
