//! `onus export MODEL --to csv|xlsx|md|html|fedramp|oscal-*`: a model in a format people and
//! tools exchange.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;
use onus_interchange::export;

use crate::error::CliError;
use crate::global::Global;
use crate::output;

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum To {
    /// One row per activity, the metadata in a last `onus-metadata` row.
    Csv,
    /// A workbook: the matrix (coloured, header frozen, autofilter) and a legend sheet.
    Xlsx,
    /// Markdown: front matter, one table per section.
    Md,
    /// One self-contained HTML page.
    Html,
    /// OSCAL system-security-plan of the provider: per control, what it provides and what it
    /// leaves to the customer.
    OscalSsp,
    /// OSCAL system-security-plan skeleton for the customer, leveraging the provider's.
    OscalCustomerSsp,
    /// OSCAL component-definition of the service, with responsible roles per statement.
    OscalComponent,
    /// FedRAMP CIS/CRM workbook (SSP appendix J): per SP 800-53 control or statement, the
    /// control origination and what the customer must do.
    Fedramp,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A model: a built-in id, an id under --model-path, or a file.
    model: String,
    /// The format to write.
    #[arg(long, value_enum)]
    to: To,
    /// Write to this file instead of stdout (needed for xlsx on a terminal).
    #[arg(short = 'O', long = "out", value_name = "FILE")]
    out: Option<PathBuf>,
    /// CSV: write cells that start with `=`, `+`, `-`, `@`, tab or CR as they are, instead
    /// of with a leading `'` that keeps spreadsheets from running them as formulas (see
    /// docs/robustness.md). Only for tools that are not spreadsheets.
    #[arg(long)]
    raw_csv: bool,
    /// OSCAL exports: the document's `metadata.last-modified` (RFC 3339 with a time zone,
    /// `2025-01-31T10:00:00Z`). Default: `SOURCE_DATE_EPOCH` (seconds since 1970) when set,
    /// else the time of the export. Give it to get the same bytes from every run.
    #[arg(long, value_name = "TIME")]
    last_modified: Option<String>,
}

pub fn run(a: Args, g: &Global) -> Result<ExitCode, CliError> {
    let m = g.model(&a.model)?;
    let bytes: Vec<u8> = match a.to {
        To::Csv if a.raw_csv => export::to_csv_raw(&m, &g.lang).into_bytes(),
        To::Csv => export::to_csv(&m, &g.lang).into_bytes(),
        To::Md => export::to_markdown(&m, &g.lang).into_bytes(),
        To::Xlsx => export::to_xlsx(&m, &g.lang).map_err(|e| CliError::Render(e.to_string()))?,
        To::Html => onus_render::html::model_page(&m, g.vocab, &g.style())
            .map_err(|e| CliError::Render(e.to_string()))?
            .into_bytes(),
        To::OscalSsp | To::OscalCustomerSsp | To::OscalComponent => {
            let name = match a.to {
                To::OscalSsp => "oscal-ssp",
                To::OscalCustomerSsp => "oscal-customer-ssp",
                _ => "oscal-component",
            };
            let opts = super::oscal::doc_options(a.last_modified.as_deref())?;
            super::oscal::export(&m, name, &opts, g)?.into_bytes()
        }
        To::Fedramp => {
            export::to_fedramp(&m, g.vocab, &g.lang).map_err(|e| CliError::Render(e.to_string()))?
        }
    };
    match a.out {
        Some(p) => {
            crate::error::write_file(&p, bytes)?;
            eprintln!("wrote `{}`", p.display());
        }
        None if matches!(a.to, To::Xlsx | To::Fedramp) => {
            if std::io::stdout().is_terminal() {
                return Err(CliError::usage(
                    "an XLSX workbook is binary; not writing it to a terminal",
                    Some(format!("add `-O {}.xlsx`", m.id)),
                ));
            }
            let mut out = std::io::stdout().lock();
            match out.write_all(&bytes).and_then(|()| out.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                other => other?,
            }
        }
        None => output::print(&String::from_utf8_lossy(&bytes))?,
    }
    Ok(ExitCode::SUCCESS)
}
