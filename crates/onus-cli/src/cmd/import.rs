//! `onus import FILE`: a provider's published matrix (Markdown, CSV, XLSX) or an OSCAL
//! document (component-definition, system-security-plan) into an onus model.

use std::path::PathBuf;
use std::process::ExitCode;

use onus_interchange::import::{self, Format, ImportError};

use crate::error::CliError;
use crate::global::Global;
use crate::output;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The file to import.
    file: PathBuf,
    /// Its format; guessed from the extension by default (.md, .csv, .xlsx). OSCAL JSON
    /// needs `oscal-component` or `oscal-ssp`.
    #[arg(long, value_parser = ["markdown", "md", "csv", "xlsx", "oscal-component", "oscal-ssp"])]
    format: Option<String>,
    /// Write the model to this file instead of stdout.
    #[arg(short = 'O', long = "out", value_name = "FILE")]
    out: Option<PathBuf>,
    /// Give the model this id (default: from the front matter or the file name).
    #[arg(long)]
    id: Option<String>,
}

pub fn run(a: Args, g: &Global) -> Result<ExitCode, CliError> {
    if let Some(f) = a.format.as_deref().filter(|f| f.starts_with("oscal-")) {
        let text = super::oscal::import(&a.file, f, g)?;
        match a.out {
            Some(p) => {
                crate::error::write_file(&p, text)?;
                eprintln!("wrote `{}`", p.display());
            }
            None => output::print(&text)?,
        }
        return Ok(ExitCode::SUCCESS);
    }
    let format = a
        .format
        .as_deref()
        .map(str::parse::<Format>)
        .transpose()
        .map_err(|e| CliError::usage(e, None))?;
    let imported = import::import_path(&a.file, format).map_err(|e| match e {
        ImportError::Io { .. } | ImportError::UnknownFormat { .. } => CliError::usage(e.to_string(), None),
        other => CliError::usage(other.to_string(), Some("`onus import` reads Markdown tables, CSV and XLSX sheets with an activity column and one column per party; see docs/interchange.md".into())),
    })?;
    let mut model = imported.model;
    if let Some(id) = a.id {
        model.id = id;
    }
    for w in &imported.warnings {
        eprintln!("warning: {w}");
    }
    let suggested = model
        .activities
        .iter()
        .filter(|x| x.topics.is_empty() && !x.suggested_topics.is_empty())
        .count();
    eprintln!(
        "imported {} activities in {} sections for {} parties ({}); {} could not be interpreted{}",
        model.activities.len(),
        model.sections.len(),
        model.parties.len(),
        model
            .parties
            .iter()
            .map(|p| format!("{} = {}", p.id, p.kind.as_str()))
            .collect::<Vec<_>>()
            .join(", "),
        imported.warnings.len(),
        if suggested > 0 {
            format!("; topics suggested for {suggested} activities, to confirm")
        } else {
            String::new()
        }
    );
    let mut text = format!("# onus model imported by `onus import` from {}.\n# Topics under `suggested_topics` were guessed from the text: confirm them as `topics`.\n", a.file.display());
    text.push_str(&model.to_yaml());
    match a.out {
        Some(p) => {
            crate::error::write_file(&p, text)?;
            eprintln!("wrote `{}`", p.display());
        }
        None => output::print(&text)?,
    }
    Ok(ExitCode::SUCCESS)
}
