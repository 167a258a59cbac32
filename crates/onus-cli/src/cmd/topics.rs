use std::process::ExitCode;

use crate::error::CliError;
use crate::global::Global;
use crate::output::{self, Format};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output format: table, json or yaml.
    #[arg(short, long, value_enum, default_value_t = Format::Table)]
    output: Format,
}

pub fn run(a: Args, g: &Global) -> Result<ExitCode, CliError> {
    let mut langs: Vec<String> = Vec::new();
    for l in g.vocab.topics.iter().flat_map(|t| t.title.languages()) {
        if !langs.iter().any(|x| x == l) {
            langs.push(l.to_string());
        }
    }
    g.check_lang_in("the topic vocabulary has", &langs)?;
    match a.output {
        Format::Json | Format::Yaml => output::print_data(g.vocab, a.output)?,
        Format::Table => {
            let mut t = onus_render::table::plain_in(&g.style());
            t.set_header([
                "topic",
                "title",
                "layer",
                "NIST SP 800-53 r5",
                "description",
            ]);
            onus_render::table::keep_whole(&mut t, &[0, 2]);
            for topic in &g.vocab.topics {
                t.add_row([
                    topic.id.clone(),
                    topic.title.best(&g.lang).to_string(),
                    topic.layer.clone().unwrap_or_default(),
                    topic.controls.join(", "),
                    topic.description.best(&g.lang).to_string(),
                ]);
            }
            output::print(&format!("{t}\n"))?;
        }
        other => {
            return Err(CliError::usage(
                format!("`onus topics` does not write {other:?}"),
                Some("use -o table, json or yaml".into()),
            ))
        }
    }
    Ok(ExitCode::SUCCESS)
}
