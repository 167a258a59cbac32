//! `onus import FILE`: a provider's published matrix (Markdown, AsciiDoc, HTML, CSV, XLSX,
//! a CSA CAIQ v4, a FedRAMP CIS/CRM workbook) or an OSCAL document (component-definition,
//! system-security-plan) into an onus model. Given a portal's `onus.export/v1` archive and
//! `--database`, it imports the organisation into that portal instead, as `onus org import`.

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
    /// Its format; guessed from the extension by default (.md, .adoc, .html, .csv, .xlsx; a
    /// workbook with CAIQ or FedRAMP CIS/CRM headers is read as one). OSCAL JSON needs
    /// `oscal-component` or `oscal-ssp`.
    #[arg(long, value_parser = ["markdown", "md", "asciidoc", "adoc", "html", "csv", "xlsx", "caiq", "fedramp", "oscal-component", "oscal-ssp"])]
    format: Option<String>,
    /// Write the model to this file instead of stdout.
    #[arg(short = 'O', long = "out", value_name = "FILE")]
    out: Option<PathBuf>,
    /// Give the model this id (default: from the front matter or the file name).
    #[arg(long)]
    id: Option<String>,
    /// The licence the source document is published under, as an SPDX expression
    /// (`CC-BY-NC-SA-4.0`; `LicenseRef-<name>` when it states none). Sets `source.license`.
    #[arg(long, value_name = "SPDX")]
    license: Option<String>,
    /// The attribution the source's licence asks for (`© OVH SAS, ...`). Sets
    /// `source.attribution`.
    #[arg(long, value_name = "TEXT")]
    attribution: Option<String>,
    /// The source document's public address. Sets `source.url`.
    #[arg(long, value_name = "URL")]
    source_url: Option<String>,
    /// The organisation that publishes the service (default: the provider column's name).
    #[arg(long)]
    provider: Option<String>,
    /// The service the model governs (default: the document's title).
    #[arg(long)]
    service: Option<String>,
    /// With an onus.export/v1 archive: the portal's database to import the organisation into
    /// (a SQLite file, created if missing, or a `postgres://` URL), as `onus org import`.
    /// (Not read from ONUS_DATABASE: a matrix import must never turn into a portal import.)
    #[arg(long, value_name = "PATH|URL")]
    database: Option<String>,
}

pub fn run(a: Args, g: &Global) -> Result<ExitCode, CliError> {
    if is_export_archive(&a.file) {
        return match &a.database {
            Some(database) => super::org::import(&a.file, database),
            None => Err(CliError::usage(
                format!(
                    "`{}` is an onus.export/v1 archive (a portal organisation), not a published matrix",
                    a.file.display()
                ),
                Some(format!(
                    "import it into a portal: `onus import {} --database PATH|URL`",
                    a.file.display()
                )),
            )),
        };
    }
    if a.database.is_some() {
        return Err(CliError::usage(
            format!(
                "--database is for a portal's onus.export/v1 archive, and `{}` is not one",
                a.file.display()
            ),
            Some("without --database, `onus import` makes a model of a published matrix".into()),
        ));
    }
    if let Some(l) = &a.license {
        onus_model::check_license(l).map_err(|e| {
            CliError::usage(
                format!("`--license {l}` is not an SPDX license expression: {e}"),
                Some("write an SPDX id (`CC-BY-NC-SA-4.0`), an expression (`MIT OR Apache-2.0`) or `LicenseRef-<name>` for a document without a public licence".into()),
            )
        })?;
    }
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
        other => CliError::usage(other.to_string(), Some("`onus import` reads tables (Markdown, AsciiDoc, HTML, CSV, XLSX) with an activity column and one column per party or owners named in words, a CAIQ v4 or a FedRAMP CIS/CRM workbook; see docs/interchange.md".into())),
    })?;
    let mut model = imported.model;
    if let Some(id) = a.id {
        model.id = id;
    }
    if let Some(l) = a.license {
        model.source.license = Some(l);
    }
    if let Some(t) = a.attribution {
        model.source.attribution = Some(t);
    }
    if let Some(u) = a.source_url {
        model.source.url = Some(u);
    }
    if let Some(p) = a.provider {
        model.provider = p;
    }
    if let Some(s) = a.service {
        model.service = s;
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
    let yaml = model.to_yaml();
    // What `onus validate` will say of the matrix, so that nobody is surprised: findings
    // (no A, two A, R without A) are facts of the published document, not import errors.
    let checked = onus_model::load_str("imported", &yaml, g.vocab, &onus_model::Options::default());
    let mut by_rule: Vec<(&str, usize)> = Vec::new();
    for d in &checked.diagnostics {
        match by_rule.iter_mut().find(|(r, _)| *r == d.rule) {
            Some((_, n)) => *n += 1,
            None => by_rule.push((d.rule, 1)),
        }
    }
    if !by_rule.is_empty() {
        eprintln!(
            "findings about the matrix as published (the model is usable; `onus validate` shows each): {}",
            by_rule
                .iter()
                .map(|(r, n)| format!("{r} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if model.source.license.is_none() {
        eprintln!("hint: state the source's licence with `--license SPDX` (and `--attribution TEXT`); every export carries it");
    }
    let mut text = format!("# onus model imported by `onus import` from {}.\n# Topics under `suggested_topics` were guessed from the text: confirm them as `topics`.\n", a.file.display());
    text.push_str(&yaml);
    match a.out {
        Some(p) => {
            crate::error::write_file(&p, text)?;
            eprintln!("wrote `{}`", p.display());
        }
        None => output::print(&text)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether a file is a tar whose first file is an export's `export.json` (the `ustar` magic
/// at 257, the name at 0).
fn is_export_archive(path: &std::path::Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 512];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && head.starts_with(b"export.json\0")
        && &head[257..262] == b"ustar"
}
