use std::process::ExitCode;

use onus_render::{csv_out, html, markdown, table, Row};

use crate::error::CliError;
use crate::global::Global;
use crate::output::{self, Format};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A model: a built-in id (`onus models`), an id under --model-path, or a file.
    model: String,
    /// Output format. `json` is the canonical machine form; `yaml` is the model file format.
    #[arg(short, long, value_enum, default_value_t = Format::Table)]
    output: Format,
    /// With `-o csv`: write cells that start with `=`, `+`, `-`, `@`, tab or CR as they are,
    /// instead of with a leading `'` that keeps spreadsheets from running them as formulas.
    #[arg(long)]
    raw_csv: bool,
}

pub fn run(a: Args, g: &Global) -> Result<ExitCode, CliError> {
    let m = g.model(&a.model)?;
    let style = g.style();
    let text = match a.output {
        Format::Json | Format::Yaml => {
            return output::print_data(&m, a.output).map(|()| ExitCode::SUCCESS)
        }
        Format::Table => table::model(&m, g.vocab, &style),
        Format::Md => markdown::model(&m, g.vocab, &style),
        Format::Html => {
            html::model_page(&m, g.vocab, &style).map_err(|e| CliError::Render(e.to_string()))?
        }
        Format::Csv => {
            let rows: Vec<Row> = m
                .activities
                .iter()
                .map(|x| Row::activity(&m, x, &style.lang))
                .chain(
                    m.statements
                        .iter()
                        .map(|s| Row::statement(&m, s, &style.lang)),
                )
                .collect();
            let write = if a.raw_csv {
                csv_out::rows_raw
            } else {
                csv_out::rows
            };
            write(&m, &rows, &style).map_err(|e| CliError::Render(e.to_string()))?
        }
    };
    output::print(&text)?;
    Ok(ExitCode::SUCCESS)
}
