use std::process::ExitCode;

use onus_model::query::{self, Filter, Obligation};
use onus_render::Row;

use crate::error::CliError;
use crate::global::Global;
use crate::output::{self, Format};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The model.
    #[arg(short, long)]
    model: String,
    /// The party whose duties to list: its id (`customer`, `ovhcloud`, `user`, `byzaneo`) or
    /// its kind (`provider`, `customer`).
    #[arg(short, long)]
    party: String,
    /// Role letters to keep, comma-separated (default: R,A).
    #[arg(long, value_delimiter = ',', value_name = "LETTERS")]
    role: Vec<String>,
    /// Topics to keep, comma-separated (`onus topics` lists them).
    #[arg(long, value_delimiter = ',', value_name = "TOPICS")]
    topic: Vec<String>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = Format::Table)]
    output: Format,
}

pub fn run(a: Args, g: &Global) -> Result<ExitCode, CliError> {
    let m = g.model(&a.model)?;
    let party = m
        .resolve_party(&a.party)
        .map_err(|e| CliError::usage(e.to_string(), None))?
        .clone();
    let mut letters = Vec::new();
    for r in &a.role {
        for c in r.trim().chars() {
            let c = c.to_ascii_uppercase();
            if !m.roles.letters.iter().any(|l| l.letter == c) {
                let known: Vec<String> = m
                    .roles
                    .letters
                    .iter()
                    .map(|l| l.letter.to_string())
                    .collect();
                return Err(CliError::usage(
                    format!("`{c}` is not a role letter of model `{}`", m.id),
                    Some(format!("letters are: {}", known.join(", "))),
                ));
            }
            letters.push(c);
        }
    }
    for t in &a.topic {
        if g.vocab.topic(t).is_none() {
            return Err(CliError::usage(
                format!("`{t}` is not a topic"),
                Some("`onus topics` lists them".into()),
            ));
        }
    }
    let style = g.style();
    let filter = Filter {
        letters,
        topics: a.topic.clone(),
    };
    let rows: Vec<Row> = query::obligations(&m, &party.id, &filter)
        .into_iter()
        .map(|o| match o {
            Obligation::Activity { activity, .. } => Row::activity(&m, activity, &style.lang),
            Obligation::Statement { statement } => Row::statement(&m, statement, &style.lang),
        })
        .collect();
    let heading = format!("obligations of {} in {}", party.id, m.id);
    let text = match a.output {
        Format::Json | Format::Yaml => {
            return output::print_data(&rows, a.output).map(|()| ExitCode::SUCCESS)
        }
        Format::Table => {
            let name = party.name.best(&style.lang);
            format!(
                "{} — {name}: {} duties\n{}",
                m.id,
                rows.len(),
                onus_render::table::rows(&m, &rows, &style)
            )
        }
        Format::Md => onus_render::markdown::rows(&m, &rows, &style),
        Format::Csv => onus_render::csv_out::rows(&m, &rows, &style)
            .map_err(|e| CliError::Render(e.to_string()))?,
        Format::Html => onus_render::html::rows_page(&m, &rows, &heading, &style)
            .map_err(|e| CliError::Render(e.to_string()))?,
    };
    output::print(&text)?;
    Ok(ExitCode::SUCCESS)
}
