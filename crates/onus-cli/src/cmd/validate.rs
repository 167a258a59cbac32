use std::path::{Path, PathBuf};
use std::process::ExitCode;

use onus_model::{diag, Diagnostic, Loaded, Options, Severity};
use serde::Serialize;

use crate::error::{CliError, EXIT_FINDINGS};
use crate::global::Global;
use crate::output::{self, Format};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Model files, folders (searched recursively) or model ids. Default: every built-in model
    /// and every model under --model-path.
    targets: Vec<String>,
    /// Make findings fail the run (exit 1): `warnings` for every finding, or a rule's name
    /// (`--deny multiple-accountable`); repeatable. Findings about the matrix never stop other
    /// commands from using a model: this is the strict gate for those who want one.
    #[arg(long, value_name = "WARNINGS|RULE")]
    deny: Vec<String>,
    /// Silence a rule by name for this run; repeatable (`--allow missing-responsible`).
    #[arg(long, value_name = "RULE")]
    allow: Vec<String>,
    /// Extra check files or folders that models' `audit` links may name (as `onus audit
    /// --checks`). Repeatable.
    #[arg(long = "checks", value_name = "DIR")]
    checks: Vec<PathBuf>,
    /// List the rules and exit.
    #[arg(long)]
    list_rules: bool,
    /// For attestations files: the model whose activities they attest (each activity id must
    /// be one of its ids).
    #[arg(short, long)]
    model: Option<String>,
    /// Output format: table (diagnostics on stderr, as compilers print them) or json.
    #[arg(short, long, value_enum, default_value_t = Format::Table)]
    output: Format,
}

#[derive(Serialize)]
struct FileReport<'a> {
    file: &'a str,
    model: Option<&'a str>,
    errors: usize,
    warnings: usize,
    diagnostics: &'a [Diagnostic],
}

pub fn run(a: Args, g: &Global) -> Result<ExitCode, CliError> {
    if a.list_rules {
        let mut t = onus_render::table::plain_in(&g.style());
        t.set_header([
            "rule",
            "class",
            "severity",
            "can be silenced",
            "what it finds",
        ]);
        onus_render::table::keep_whole(&mut t, &[0]);
        for r in diag::RULES {
            t.add_row([
                r.name.to_string(),
                r.class.as_str().to_string(),
                r.severity.to_string(),
                if r.silenceable { "yes" } else { "no" }.to_string(),
                r.summary.to_string(),
            ]);
        }
        output::print(&output::fit(
            &format!(
            "{t}\nunreadable: the file is not a usable model; every command refuses it (error).\n\
             matrix: a fact about the matrix as published; the model is used as it is (warning).\n\
             encoding: a gap in onus's encoding of the document; the model is used (warning).\n\
             `--deny warnings` (or `--deny RULE`) makes warnings fail `onus validate`.\n"
            ),
            g,
        ))?;
        return Ok(ExitCode::SUCCESS);
    }
    for r in &a.deny {
        if r != "warnings" && diag::rule(r).is_none() {
            return Err(CliError::usage(
                format!("`--deny {r}`: neither `warnings` nor a rule"),
                Some("`onus validate --list-rules` lists the rules".into()),
            ));
        }
    }
    for r in &a.allow {
        match diag::rule(r) {
            None => {
                return Err(CliError::usage(
                    format!("`--allow {r}`: no such rule"),
                    Some("`onus validate --list-rules` lists them".into()),
                ))
            }
            Some(rule) if !rule.silenceable => {
                return Err(CliError::usage(
                    format!("rule `{r}` cannot be silenced"),
                    None,
                ))
            }
            Some(_) => {}
        }
    }
    // OSCAL documents (JSON with an OSCAL root key) get onus-oscal's referential checks.
    if a.targets.iter().any(|t| super::oscal::is_oscal_file(t)) {
        if !a.targets.iter().all(|t| super::oscal::is_oscal_file(t)) {
            return Err(CliError::usage(
                "give OSCAL documents and models to separate `onus validate` runs",
                None,
            ));
        }
        return super::oscal::validate(&a.targets, a.output == Format::Json, !a.deny.is_empty());
    }
    // Models' `audit` links are checked against the audit catalog (built in, and `--checks`).
    let checks =
        onus_audit::catalog::load(&a.checks).map_err(|e| CliError::usage(e.to_string(), None))?;
    let opts = Options {
        allow: a.allow.clone(),
        known_checks: Some(onus_audit::catalog::known(&checks)),
        condition_syntax: Some(onus_audit::conditions::syntax),
    };
    let mut loaded: Vec<Loaded> = Vec::new();
    // Attestations files (`format: onus.attestations/v1`) are checked as such; the findings
    // travel as a `Loaded` without a model so that they print and count like a model's.
    let mut targets = Vec::new();
    for t in &a.targets {
        match attestations_text(Path::new(t)) {
            Some(text) => loaded.push(check_attestations(t, &text, a.model.as_deref(), g)?),
            None => targets.push(t),
        }
    }
    if a.targets.is_empty() {
        loaded.extend(
            g.catalog
                .load_all(g.vocab, &opts)?
                .into_iter()
                .map(|(_, l)| l),
        );
    }
    for t in targets {
        let p = Path::new(t);
        if p.is_dir() {
            let files = onus_model::Catalog::new(vec![PathBuf::from(p)]).files()?;
            if files.is_empty() {
                return Err(CliError::usage(
                    format!("no model file (.yaml, .yml, .json) under `{t}`"),
                    None,
                ));
            }
            loaded.extend(
                files
                    .iter()
                    .map(|f| onus_model::load_path(f, g.vocab, &opts)),
            );
        } else {
            loaded.push(g.catalog.resolve(t, g.vocab, &opts)?);
        }
    }
    let denied = |d: &Diagnostic| {
        d.severity == Severity::Warning && a.deny.iter().any(|r| r == "warnings" || r == d.rule)
    };
    let (mut errors, mut warnings, mut denied_count) = (0, 0, 0);
    for l in &loaded {
        errors += l
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        warnings += l
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count();
        denied_count += l.diagnostics.iter().filter(|d| denied(d)).count();
    }
    match a.output {
        Format::Json => {
            let reports: Vec<FileReport> = loaded
                .iter()
                .map(|l| FileReport {
                    file: &l.origin.name,
                    model: l.model.as_ref().map(|m| m.id.as_str()),
                    errors: l
                        .diagnostics
                        .iter()
                        .filter(|d| d.severity == Severity::Error)
                        .count(),
                    warnings: l
                        .diagnostics
                        .iter()
                        .filter(|d| d.severity == Severity::Warning)
                        .count(),
                    diagnostics: &l.diagnostics,
                })
                .collect();
            output::print_data(&reports, Format::Json)?;
        }
        Format::Table => {
            for l in &loaded {
                crate::report::print_diagnostics(&l.origin, &l.diagnostics, g.color);
                let e = l
                    .diagnostics
                    .iter()
                    .filter(|d| d.severity == Severity::Error)
                    .count();
                let w = l.diagnostics.len() - e;
                let status = if e > 0 { "FAILED" } else { "ok" };
                eprintln!(
                    "{status}: {} ({}, {})",
                    l.origin.name,
                    output::plural(e, "error", "errors"),
                    output::plural(w, "warning", "warnings")
                );
            }
            eprintln!(
                "{}: {}, {}{}",
                output::plural(loaded.len(), "file", "files"),
                output::plural(errors, "error", "errors"),
                output::plural(warnings, "warning", "warnings"),
                if denied_count > 0 {
                    format!(" ({denied_count} denied)")
                } else {
                    String::new()
                }
            );
        }
        other => {
            return Err(CliError::usage(
                format!("`onus validate` does not write {other:?}"),
                Some("use -o table or json".into()),
            ))
        }
    }
    if errors > 0 || denied_count > 0 {
        Ok(ExitCode::from(EXIT_FINDINGS))
    } else {
        Ok(ExitCode::SUCCESS)
    }
}

/// The text of `p` when it is an attestations file.
fn attestations_text(p: &Path) -> Option<String> {
    if !p.is_file() {
        return None;
    }
    let text = std::fs::read_to_string(p).ok()?;
    onus_audit::attest::is_attestations(&text).then_some(text)
}

/// Checks an attestations file (against a model's activities with `--model`).
fn check_attestations(
    name: &str,
    text: &str,
    model: Option<&str>,
    g: &Global,
) -> Result<Loaded, CliError> {
    let model = model.map(|m| g.model(m)).transpose()?;
    let known = |id: &str| model.as_ref().is_none_or(|m| m.activity(id).is_some());
    let (_, findings) = onus_audit::attest::check_with(text, &known);
    let diagnostics = findings
        .into_iter()
        .map(|f| {
            let span = f.span.map(|(offset, length)| {
                let before = &text[..offset.min(text.len())];
                let column = before.rfind('\n').map_or(before.len(), |i| before.len() - i - 1) + 1;
                onus_model::diag::SpanOut {
                    line: f.line,
                    column,
                    offset,
                    length,
                }
            });
            Diagnostic {
                rule: "attestations",
                // `onus audit --attestations` refuses such a file.
                class: diag::RuleClass::Unreadable,
                severity: Severity::Error,
                message: f.message,
                hint: Some(
                    "docs/audit.md describes the format; schema/attestations.schema.json lets an editor check it"
                        .into(),
                ),
                file: Some(name.to_string()),
                pointer: Some(f.pointer),
                span,
            }
        })
        .collect();
    Ok(Loaded {
        model: None,
        diagnostics,
        origin: onus_model::Origin {
            name: name.to_string(),
            text: text.into(),
        },
    })
}
