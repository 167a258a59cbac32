use std::process::ExitCode;

use onus_model::{query, Options};
use onus_render::Row;
use serde::Serialize;

use crate::error::{CliError, EXIT_FINDINGS};
use crate::global::Global;
use crate::output::{self, Format};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Words to look for, in any language the models hold (`backup`, `sauvegarde`, `restore test`).
    #[arg(required = true, num_args = 1..)]
    query: Vec<String>,
    /// Search only this model (default: every available model).
    #[arg(short, long)]
    model: Option<String>,
    /// Show at most this many activities per model.
    #[arg(long, default_value_t = 20)]
    limit: usize,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = Format::Table)]
    output: Format,
}

#[derive(Serialize)]
struct ModelHits {
    model: String,
    parties: Vec<String>,
    activities: Vec<Row>,
}

pub fn run(a: Args, g: &Global) -> Result<ExitCode, CliError> {
    let q = a.query.join(" ");
    if query::terms(&q).is_empty() {
        return Err(CliError::usage(
            format!("`{q}` has no word to search for"),
            Some("try a word such as `backup` or `sauvegarde`".into()),
        ));
    }
    let models = match &a.model {
        Some(name) => vec![g.model(name)?],
        None => g
            .catalog
            .load_all(g.vocab, &Options::default())?
            .into_iter()
            .filter_map(|(_, l)| if l.has_errors() { None } else { l.model })
            .collect(),
    };
    g.check_lang(&models.iter().collect::<Vec<_>>())?;
    let style = g.style();
    let mut results = Vec::new();
    for m in &models {
        let hits = query::who(m, g.vocab, &q);
        let rows: Vec<Row> = hits
            .iter()
            .take(a.limit)
            .map(|h| {
                let mut r = Row::activity(m, h.activity, &style.lang);
                r.score = Some(h.score);
                r
            })
            .collect();
        if !rows.is_empty() {
            results.push((m, rows));
        }
    }
    // Like grep: exit 1 when nothing matches, so scripts can test for it.
    let code = if results.is_empty() {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    };
    match a.output {
        Format::Json | Format::Yaml => {
            let data: Vec<ModelHits> = results
                .into_iter()
                .map(|(m, rows)| ModelHits {
                    model: m.id.clone(),
                    parties: m.parties.iter().map(|p| p.id.clone()).collect(),
                    activities: rows,
                })
                .collect();
            output::print_data(&data, a.output)?;
        }
        f => {
            let mut text = String::new();
            for (m, rows) in &results {
                text.push_str(&match f {
                    Format::Md => format!(
                        "## {}\n\n{}\n",
                        m.id,
                        onus_render::markdown::rows(m, rows, &style)
                    ),
                    Format::Csv => onus_render::csv_out::rows(m, rows, &style)
                        .map_err(|e| CliError::Render(e.to_string()))?,
                    Format::Html => {
                        onus_render::html::rows_page(m, rows, &format!("who: {q}"), &style)
                            .map_err(|e| CliError::Render(e.to_string()))?
                    }
                    _ => format!(
                        "{} ({}):\n{}\n",
                        m.id,
                        m.title.best(&style.lang),
                        onus_render::table::rows(m, rows, &style)
                    ),
                });
            }
            if results.is_empty() {
                eprintln!("no activity matches `{q}`");
            }
            output::print(&text)?;
        }
    }
    Ok(code)
}
