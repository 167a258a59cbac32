//! OSCAL in the CLI: `onus export --to oscal-*`, `onus import --format oscal-*`, and
//! `onus validate` on OSCAL documents. The work is done by the `onus-oscal` crate.

use std::path::Path;
use std::process::ExitCode;

use onus_oscal::{Finding, Severity};
use serde::Serialize;
use serde_json::Value;

use crate::error::{CliError, EXIT_FINDINGS};

/// The largest OSCAL document onus reads (NIST's full catalog is about 10 MiB).
const MAX_BYTES: u64 = 64 * 1024 * 1024;

/// The import formats this module reads, with the OSCAL root each expects.
pub const IMPORTS: &[(&str, &str)] = &[
    ("oscal-component", "component-definition"),
    ("oscal-ssp", "system-security-plan"),
];

/// Reads a JSON file; `None` when it is not readable JSON.
fn read_json(path: &Path) -> Result<Value, CliError> {
    let name = path.display();
    let meta = std::fs::metadata(path)
        .map_err(|e| CliError::usage(format!("cannot read `{name}`: {e}"), None))?;
    if meta.len() > MAX_BYTES {
        return Err(CliError::usage(
            format!("`{name}` is larger than 64 MiB"),
            None,
        ));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::usage(format!("cannot read `{name}`: {e}"), None))?;
    serde_json::from_str(&text).map_err(|e| {
        CliError::usage(
            format!("`{name}` is not JSON: {e}"),
            Some("onus reads OSCAL documents in JSON".into()),
        )
    })
}

/// Whether a command-line target is a JSON file with an OSCAL root key.
pub fn is_oscal_file(target: &str) -> bool {
    let p = Path::new(target);
    p.is_file()
        && p.extension().and_then(|e| e.to_str()) == Some("json")
        && read_json(p).is_ok_and(|v| onus_oscal::is_oscal(&v))
}

/// The document's date: `--last-modified`, else `SOURCE_DATE_EPOCH` (the reproducible-builds
/// convention: seconds since 1970), else now. Each is checked and written as RFC 3339 UTC.
pub fn doc_options(last_modified: Option<&str>) -> Result<onus_oscal::DocOptions, CliError> {
    use chrono::{DateTime, SecondsFormat, Utc};
    let at: DateTime<Utc> = match last_modified {
        Some(t) => DateTime::parse_from_rfc3339(t.trim())
            .map_err(|e| {
                CliError::usage(
                    format!("--last-modified `{t}` is not an RFC 3339 time: {e}"),
                    Some("give a date, a time and a time zone: 2025-01-31T10:00:00Z".into()),
                )
            })?
            .with_timezone(&Utc),
        None => match std::env::var("SOURCE_DATE_EPOCH") {
            Ok(s) => s
                .trim()
                .parse::<i64>()
                .ok()
                .and_then(|n| DateTime::from_timestamp(n, 0))
                .ok_or_else(|| {
                    CliError::usage(
                        format!("SOURCE_DATE_EPOCH `{s}` is not a number of seconds since 1970"),
                        Some("unset it, or give --last-modified".into()),
                    )
                })?,
            Err(_) => Utc::now(),
        },
    };
    Ok(onus_oscal::DocOptions::at(
        at.to_rfc3339_opts(SecondsFormat::Secs, true),
    ))
}

/// `onus export MODEL --to oscal-*`: the document as JSON.
pub fn export(
    model: &onus_model::Model,
    to: &str,
    opts: &onus_oscal::DocOptions,
    g: &crate::global::Global,
) -> Result<String, CliError> {
    let e = onus_oscal::Export::from_name(to)
        .ok_or_else(|| CliError::usage(format!("no OSCAL export `{to}`"), None))?;
    Ok(onus_oscal::to_json(&e.document(model, g.vocab, opts)))
}

/// `onus import FILE --format oscal-*`: the model as YAML; what was guessed goes to stderr.
pub fn import(path: &Path, format: &str, g: &crate::global::Global) -> Result<String, CliError> {
    let doc = read_json(path)?;
    let root = onus_oscal::oscal_root(&doc);
    let expected = IMPORTS.iter().find(|(f, _)| *f == format).map(|(_, r)| *r);
    if root != expected {
        return Err(CliError::usage(
            format!(
                "`{}` is {}, not a {}",
                path.display(),
                root.map_or("not an OSCAL document".to_string(), |r| format!("an OSCAL {r}")),
                expected.unwrap_or("?")
            ),
            Some("--format oscal-component reads a component-definition, oscal-ssp a system-security-plan".into()),
        ));
    }
    let imported =
        onus_oscal::import(&doc, g.vocab).map_err(|e| CliError::usage(e.to_string(), None))?;
    for n in &imported.notes {
        eprintln!("note: {n}");
    }
    Ok(imported.model.to_yaml())
}

#[derive(Serialize)]
struct Report<'a> {
    file: &'a str,
    oscal: Option<&'static str>,
    errors: usize,
    warnings: usize,
    findings: &'a [Finding],
}

/// `onus validate` on OSCAL documents: onus's referential checks.
pub fn validate(targets: &[String], json: bool, deny_warnings: bool) -> Result<ExitCode, CliError> {
    let mut results = Vec::new();
    for t in targets {
        let doc = read_json(Path::new(t))?;
        results.push((
            t.as_str(),
            onus_oscal::oscal_root(&doc),
            onus_oscal::validate_document(&doc),
        ));
    }
    let count = |f: &[Finding], s: Severity| f.iter().filter(|x| x.severity == s).count();
    let (mut errors, mut warnings) = (0, 0);
    for (_, _, f) in &results {
        errors += count(f, Severity::Error);
        warnings += count(f, Severity::Warning);
    }
    if json {
        let reports: Vec<Report> = results
            .iter()
            .map(|(file, root, f)| Report {
                file,
                oscal: *root,
                errors: count(f, Severity::Error),
                warnings: count(f, Severity::Warning),
                findings: f,
            })
            .collect();
        crate::output::print_data(&reports, crate::output::Format::Json)?;
    } else {
        for (file, root, f) in &results {
            for x in f.iter() {
                let sev = match x.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                    Severity::Note => "note",
                };
                eprintln!(
                    "{sev}[{}]: {}\n  --> {file} at {}",
                    x.rule, x.message, x.path
                );
            }
            let e = count(f, Severity::Error);
            let status = if e > 0 { "FAILED" } else { "ok" };
            eprintln!(
                "{status}: {file} (OSCAL {}; {}, {})",
                root.unwrap_or("?"),
                crate::output::plural(e, "error", "errors"),
                crate::output::plural(count(f, Severity::Warning), "warning", "warnings")
            );
        }
        eprintln!(
            "{}: {}, {}",
            crate::output::plural(results.len(), "file", "files"),
            crate::output::plural(errors, "error", "errors"),
            crate::output::plural(warnings, "warning", "warnings")
        );
    }
    if errors > 0 || (deny_warnings && warnings > 0) {
        Ok(ExitCode::from(EXIT_FINDINGS))
    } else {
        Ok(ExitCode::SUCCESS)
    }
}

/// `onus audit -o oscal-ar`: the audit report as OSCAL assessment-results. The audit and OSCAL
/// crates do not know each other; this is where an audit becomes an OSCAL `Audit`.
pub fn assessment_results(
    model: &onus_model::Model,
    report: &onus_audit::join::Report,
    g: &crate::global::Global,
) -> String {
    use onus_audit::CheckStatus as S;
    let evidence: Vec<onus_oscal::Evidence> = report
        .inputs
        .iter()
        .map(|i| onus_oscal::Evidence {
            description: format!(
                "cluster state read from {i} ({} objects in all)",
                report.objects
            ),
            href: None,
        })
        .collect();
    let checks = report
        .checks
        .iter()
        .map(|c| {
            let r = &c.result;
            let status = match r.status {
                S::Pass => onus_oscal::CheckStatus::Pass,
                S::Fail => onus_oscal::CheckStatus::Fail,
                S::Error => onus_oscal::CheckStatus::Error,
                S::NotApplicable => onus_oscal::CheckStatus::Skip,
            };
            let message = match r.status {
                S::NotApplicable => {
                    "nothing to judge: no object of the kinds this check reads".to_string()
                }
                _ => format!("{} of {} items fail", r.failures.len(), r.checked),
            };
            let mut ev = evidence.clone();
            ev.extend(r.failures.iter().filter_map(|f| {
                let file = f.file.as_ref()?;
                Some(onus_oscal::Evidence {
                    description: format!(
                        "{} ({}): {}:{}",
                        f.id,
                        f.reason,
                        file,
                        f.line.unwrap_or(0)
                    ),
                    href: None,
                })
            }));
            onus_oscal::Check {
                id: r.id.clone(),
                title: r.title.best(&g.lang).to_string(),
                status,
                message,
                topics: r.topics.clone(),
                activities: c.activities.clone(),
                evidence: ev,
                failing: r
                    .failures
                    .iter()
                    .map(|f| onus_oscal::FailingItem {
                        item: f.id.to_string(),
                        reason: f.reason.to_string(),
                        parties: f.parties().to_vec(),
                    })
                    .collect(),
            }
        })
        .collect();
    let audit = onus_oscal::Audit {
        title: format!(
            "onus audit of {} against {}",
            report.inputs.join(", "),
            model.id
        ),
        target: report.inputs.join(", "),
        start: report.now.clone(),
        end: None,
        checks,
    };
    onus_oscal::to_json(&onus_oscal::assessment_results(model, g.vocab, &audit))
}
