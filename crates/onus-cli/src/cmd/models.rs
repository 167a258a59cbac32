use std::process::ExitCode;

use onus_model::{Location, Options};
use serde::Serialize;

use crate::error::CliError;
use crate::global::Global;
use crate::output::{self, Format};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output format: table, json or yaml.
    #[arg(short, long, value_enum, default_value_t = Format::Table)]
    output: Format,
}

#[derive(Serialize)]
struct Entry {
    id: Option<String>,
    title: Option<String>,
    provider: Option<String>,
    service: Option<String>,
    version: Option<String>,
    languages: Vec<String>,
    parties: Vec<String>,
    activities: usize,
    statements: usize,
    source: String,
    /// The source document's licence (SPDX) and the attribution it asks for.
    license: Option<String>,
    attribution: Option<String>,
    /// Errors make a model unusable; warnings are findings about its matrix.
    errors: usize,
    warnings: usize,
}

pub fn run(a: Args, g: &Global) -> Result<ExitCode, CliError> {
    let all = g.catalog.load_all(g.vocab, &Options::default())?;
    g.check_lang(
        &all.iter()
            .filter_map(|(_, l)| l.model.as_ref())
            .collect::<Vec<_>>(),
    )?;
    let entries: Vec<Entry> = all
        .iter()
        .map(|(loc, l)| {
            let m = l.model.as_ref();
            Entry {
                id: m.map(|m| m.id.clone()),
                title: m.map(|m| m.title.best(&g.lang).to_string()),
                provider: m.map(|m| m.provider.clone()),
                service: m.map(|m| m.service.clone()),
                version: m.map(|m| m.version.clone()),
                languages: m.map(|m| m.languages.clone()).unwrap_or_default(),
                parties: m
                    .map(|m| m.parties.iter().map(|p| p.id.clone()).collect())
                    .unwrap_or_default(),
                activities: m.map_or(0, |m| m.activities.len()),
                statements: m.map_or(0, |m| m.statements.len()),
                source: match loc {
                    Location::Builtin => "built-in".into(),
                    Location::File(p) => p.display().to_string(),
                },
                license: m.and_then(|m| m.source.license.clone()),
                attribution: m.and_then(|m| m.source.attribution.clone()),
                errors: l
                    .diagnostics
                    .iter()
                    .filter(|d| d.severity == onus_model::Severity::Error)
                    .count(),
                warnings: l
                    .diagnostics
                    .iter()
                    .filter(|d| d.severity == onus_model::Severity::Warning)
                    .count(),
            }
        })
        .collect();
    match a.output {
        Format::Json | Format::Yaml => output::print_data(&entries, a.output)?,
        Format::Table => {
            let mut t = onus_render::table::plain_in(&g.style());
            t.set_header([
                "id",
                "provider",
                "service",
                "version",
                "languages",
                "activities",
                "source",
            ]);
            onus_render::table::keep_whole(&mut t, &[0, 3, 5]);
            // Licences are long single words (`LicenseRef-Byzaneo-NoLicense`): they are listed
            // under the table rather than broken in a column.
            let mut licences: Vec<(String, Vec<String>)> = Vec::new();
            for e in &entries {
                let id = match (&e.id, e.errors) {
                    (Some(id), 0) => id.clone(),
                    (Some(id), n) => format!("{id} ({n} errors: unusable)"),
                    (None, _) => "(unreadable: run onus validate)".into(),
                };
                t.add_row([
                    id,
                    e.provider.clone().unwrap_or_default(),
                    e.service.clone().unwrap_or_default(),
                    e.version.clone().unwrap_or_default(),
                    e.languages.join(", "),
                    e.activities.to_string(),
                    e.source.clone(),
                ]);
                let licence = e.license.clone().unwrap_or_else(|| "(not stated)".into());
                let name = e.id.clone().unwrap_or_else(|| e.source.clone());
                match licences.iter_mut().find(|(l, _)| *l == licence) {
                    Some((_, ids)) => ids.push(name),
                    None => licences.push((licence, vec![name])),
                }
            }
            let mut text = format!("{t}\nlicences of the sources:\n");
            for (licence, ids) in &licences {
                text.push_str(&format!("  {licence}: {}\n", ids.join(", ")));
            }
            output::print(&output::fit(&text, g))?;
        }
        other => {
            return Err(CliError::usage(
                format!("`onus models` does not write {other:?}"),
                Some("use -o table, json or yaml".into()),
            ))
        }
    }
    Ok(ExitCode::SUCCESS)
}
