//! `onus audit`: check both parties' duties against a cluster's state.

use std::path::PathBuf;
use std::process::ExitCode;

use onus_audit::ownership::FactKeys;
use onus_audit::{catalog, join, CheckStatus, RunOptions, Severity};
use onus_inventory::Inventory;

use crate::cmd::live::{self, LiveArgs};
use crate::error::{CliError, EXIT_FINDINGS, EXIT_USAGE};
use crate::global::Global;

/// Output formats of the audit report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuditFormat {
    /// Human-readable, grouped by party and section.
    Table,
    /// The report as JSON (format `onus.audit/v1`, see docs/audit.md).
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
    /// JUnit XML, for CI test reports.
    Junit,
    /// A self-contained HTML page.
    Html,
    /// NIST OSCAL assessment-results: observations with the evidence, findings tied to the
    /// controls and to the model's activities.
    OscalAr,
}

/// Severity threshold for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// Never exit 1 for findings: report only.
    None,
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl FailOn {
    /// The lowest severity that fails the run, if any does.
    fn threshold(self) -> Option<Severity> {
        Some(match self {
            FailOn::None => return None,
            FailOn::Info => Severity::Info,
            FailOn::Low => Severity::Low,
            FailOn::Medium => Severity::Medium,
            FailOn::High => Severity::High,
            FailOn::Critical => Severity::Critical,
        })
    }
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Cluster exports: files or folders (searched recursively) of what `kubectl get -o yaml`
    /// or `-o json` prints, multi-document YAML, single objects, `onus snapshot` files; `.gz`
    /// allowed.
    #[arg(
        value_name = "EXPORT",
        required_unless_present = "live",
        conflicts_with = "live"
    )]
    inputs: Vec<PathBuf>,
    /// Read the cluster itself through its API server (kubectl's rules: --kubeconfig,
    /// --context, KUBECONFIG, ~/.kube/config, in-cluster) instead of exports.
    #[arg(long)]
    live: bool,
    #[command(flatten)]
    cluster: LiveArgs,
    /// The model whose duties to check (`onus models` lists them).
    #[arg(short, long)]
    model: String,
    /// Extra check files or folders; a check with a built-in id replaces it. Repeatable.
    #[arg(long = "checks", value_name = "DIR")]
    checks: Vec<PathBuf>,
    /// Dated attestations for duties no machine can see (see docs/audit.md).
    #[arg(long, value_name = "FILE")]
    attestations: Option<PathBuf>,
    /// The folder local evidence files of the attestations must lie in (default: the
    /// attestations file's folder); nothing outside it is read.
    #[arg(long, value_name = "DIR", requires = "attestations")]
    evidence_root: Option<PathBuf>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = AuditFormat::Table)]
    output: AuditFormat,
    /// Write the report to a file instead of standard output.
    #[arg(long = "report", value_name = "FILE")]
    report_file: Option<PathBuf>,
    /// The instant time-based checks judge against (RFC 3339 or YYYY-MM-DD); default: now.
    #[arg(long, value_name = "TIME")]
    now: Option<String>,
    /// Exit 1 when a check at or above this severity fails.
    #[arg(long, value_enum, default_value_t = FailOn::Info, value_name = "SEVERITY")]
    fail_on: FailOn,
    /// Latest Kubernetes minor release, for `version.supported`.
    #[arg(long, value_name = "VERSION", default_value = onus_audit::DEFAULT_K8S_LATEST)]
    k8s_latest: String,
    /// Make malformed items in the exports fatal (exit 2) instead of reported.
    #[arg(long)]
    strict: bool,
    /// SARIF and JUnit: only the failing items this party can fix, and its duties (its id, or
    /// `provider` / `customer`).
    #[arg(long, value_name = "PARTY")]
    party: Option<String>,
    /// Failing items shown per check in the table (all are in the other formats).
    #[arg(long, default_value_t = 10, value_name = "N")]
    max_items: usize,
    /// Also send the report (as JSON) to an onus portal: its address (`https://portal.example`),
    /// or its audits endpoint (`.../api/v1/orgs/ORG/audits`).
    #[arg(long, value_name = "URL", requires = "token")]
    push: Option<String>,
    /// The portal's API token for --push (an organisation's token; also ONUS_TOKEN).
    #[arg(long, value_name = "TOKEN", env = "ONUS_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// With --push: the provider's slug, when several providers publish the model's id.
    #[arg(long, value_name = "SLUG", requires = "push")]
    provider: Option<String>,
    /// Read the exports and stop (for benchmarks: the floor an audit is compared with).
    #[arg(long, hide = true)]
    parse_only: bool,
}

pub fn run(a: Args, g: &Global) -> Result<ExitCode, CliError> {
    let (checks, skipped) =
        catalog::load_noting(&a.checks).map_err(|e| CliError::usage(e.to_string(), None))?;
    for s in &skipped {
        eprintln!("note: {s}");
    }
    // The model's `audit` section is checked against this run's catalog, and what is wrong
    // with it is shown with its place: a link to a check that does not exist attributes
    // nothing.
    let model = g.model_with(
        &a.model,
        &onus_model::Options {
            known_checks: Some(catalog::known(&checks)),
            condition_syntax: Some(onus_audit::conditions::syntax),
            ..Default::default()
        },
        |d| {
            d.pointer
                .as_deref()
                .is_some_and(|p| p.starts_with("/audit/"))
        },
    )?;
    let party = match &a.party {
        None => None,
        Some(_) if !matches!(a.output, AuditFormat::Sarif | AuditFormat::Junit) => {
            return Err(CliError::usage(
                "--party filters SARIF and JUnit output",
                Some("add `-o sarif` or `-o junit`; the other formats show every party".into()),
            ))
        }
        Some(name) => Some(
            model
                .resolve_party(name)
                .map_err(|e| CliError::usage(e.to_string(), None))?
                .id
                .clone(),
        ),
    };
    let now = match &a.now {
        None => chrono::Utc::now().fixed_offset(),
        Some(s) => onus_audit::attest::parse_date(s).ok_or_else(|| {
            CliError::usage(
                format!("--now `{s}` is not a time"),
                Some("write RFC 3339 (2025-06-01T12:00:00Z) or a date (2025-06-01)".into()),
            )
        })?,
    };
    if onus_audit::cel::parse_version(&a.k8s_latest).is_none() {
        return Err(CliError::usage(
            format!("--k8s-latest `{}` is not a version", a.k8s_latest),
            Some("write MAJOR.MINOR, e.g. 1.34".into()),
        ));
    }
    let attestations = match &a.attestations {
        None => Vec::new(),
        Some(p) => {
            let text = read_bounded(p, onus_limits::Limits::DEFAULT.attestations_bytes)?;
            let name = p.display().to_string();
            let hint = || Some("docs/audit.md describes the attestations format".into());
            let list = onus_audit::attest::parse(&name, &text)
                .map_err(|e| CliError::usage(e.to_string(), hint()))?;
            let root = match &a.evidence_root {
                Some(r) => r.clone(),
                None => match p.parent() {
                    Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                    _ => PathBuf::from("."),
                },
            };
            let opts = onus_audit::attest::EvidenceOptions::under(root);
            onus_audit::attest::verify_evidence(&name, &list, &opts).map_err(|e| {
                let hint = if e.message.contains("has changed") {
                    "re-attest with the new evidence's sha256 (`sha256sum FILE`)"
                } else {
                    "evidence is read only as regular files under --evidence-root (default: the attestations file's folder)"
                };
                CliError::usage(e.to_string(), Some(hint.into()))
            })?;
            list
        }
    };
    if a.parse_only && !a.live {
        // Read and parse, keep nothing: the floor an audit is compared with.
        let (inv, _) =
            onus_inventory::read(&a.inputs, &onus_inventory::ReadOptions::default(), &|| ())
                .map_err(|e| CliError::usage(e.to_string(), None))?;
        eprintln!("{} objects", inv.seen());
        return Ok(ExitCode::SUCCESS);
    }
    let facts = FactKeys::well_known().with_model(&model);
    let opts = RunOptions {
        now,
        k8s_latest: a.k8s_latest.clone(),
        threads: 0,
        facts: facts.clone(),
    };
    // The model's conditions run as cluster-scope checks after the catalog's.
    let mut all = checks.clone();
    all.extend(
        onus_audit::conditions::checks(&model).map_err(|e| CliError::usage(e.to_string(), None))?,
    );
    let (mut results, inv) = if a.live {
        let snap = live::fetch(&a.cluster, &live::kinds(&all))?;
        let mut inv = Inventory::default();
        snap.add_to(&mut inv);
        (onus_audit::run(&inv, &all, &opts), inv)
    } else {
        if a.cluster.kubeconfig.is_some() || a.cluster.context.is_some() {
            return Err(CliError::usage(
                "--kubeconfig and --context need --live",
                Some("add --live to audit the cluster itself".into()),
            ));
        }
        // Checks run while the exports are read (docs/audit.md, "How an audit runs").
        onus_audit::audit_paths(&a.inputs, &all, &opts)
            .map_err(|e| CliError::usage(e.to_string(), None))?
    };
    for s in inv.skipped() {
        eprintln!("note: {s}");
    }
    let conditions = onus_audit::conditions::results(&model, &results.split_off(checks.len()));
    if !inv.problems().is_empty() {
        for p in inv.problems() {
            eprintln!("warning: {p}");
        }
        if a.strict {
            eprintln!(
                "error: {} malformed item(s) and --strict",
                inv.problems().len()
            );
            return Ok(ExitCode::from(EXIT_USAGE));
        }
    }
    let attestations_file = a.attestations.as_ref().map(|p| p.display().to_string());
    let report = join::join(
        &model,
        results,
        &join::JoinInput {
            inputs: inv.files(),
            objects: inv.seen(),
            problems: &join::input_problems(&inv),
            attestations: &attestations,
            attestations_file: attestations_file.as_deref(),
            now,
            k8s_latest: &a.k8s_latest,
            conditions: &conditions,
            facts: &facts,
        },
    );
    if let (Some(url), Some(token)) = (&a.push, &a.token) {
        push(url, token, a.provider.as_deref(), &report)?;
    }
    let color = g.color && a.report_file.is_none();
    // JSON is streamed to its destination (a large cluster's report is tens of megabytes);
    // the other formats are rendered as one text.
    let text = match a.output {
        AuditFormat::Json => None,
        AuditFormat::Table => Some(crate::output::fit(
            &onus_report::table(&report, &g.lang, color, a.max_items),
            g,
        )),
        AuditFormat::Sarif => Some(onus_report::sarif(&report, &g.lang, party.as_deref())),
        AuditFormat::Junit => Some(onus_report::junit(&report, &g.lang, party.as_deref())),
        AuditFormat::Html => Some(onus_report::html(&report, &g.lang).map_err(CliError::Render)?),
        AuditFormat::OscalAr => Some(super::oscal::assessment_results(&model, &report, g)),
    };
    let write = |out: &mut dyn std::io::Write| match &text {
        None => onus_report::write_json(&report, out),
        Some(t) => out.write_all(t.as_bytes()).and_then(|()| out.flush()),
    };
    match &a.report_file {
        Some(p) => {
            let mut f = crate::error::create_file(p)?;
            write(&mut f).map_err(|error| CliError::Write {
                path: p.clone(),
                error,
            })?;
        }
        None => match write(&mut std::io::stdout().lock()) {
            // A closed pipe (`onus audit ... | head`) ends quietly, as `output::print` does.
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
            _ => {}
        },
    }
    Ok(exit_code(&report, a.fail_on, party.as_deref()))
}

/// A text file of at most `limit` bytes (checked before reading it).
fn read_bounded(p: &std::path::Path, limit: usize) -> Result<String, CliError> {
    use std::io::Read;
    let fail = |e: String| CliError::usage(format!("cannot read `{}`: {e}", p.display()), None);
    let f = std::fs::File::open(p).map_err(|e| fail(e.to_string()))?;
    let mut bytes = Vec::new();
    f.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(e.to_string()))?;
    if bytes.len() > limit {
        return Err(fail(format!("it is larger than {limit} bytes, the limit")));
    }
    String::from_utf8(bytes).map_err(|_| fail("it is not UTF-8 text".into()))
}

/// Sends the report to a portal with an API token: to `URL` when it is an audits endpoint,
/// else to the token's organisation's (asked of `/api/v1/me`).
fn push(
    url: &str,
    token: &str,
    provider: Option<&str>,
    report: &join::Report,
) -> Result<(), CliError> {
    let fail = |what: String| {
        CliError::usage(
            format!("--push {url}: {what}"),
            Some("check the portal's address and that the token is valid (Tokens page of your organisation)".into()),
        )
    };
    let http = reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(300))
        .build()
        .map_err(|e| fail(e.to_string()))?;
    let base = url.trim_end_matches('/');
    let endpoint = if base.contains("/api/v1/orgs/") {
        base.to_string()
    } else {
        let me: serde_json::Value = http
            .get(format!("{base}/api/v1/me"))
            .bearer_auth(token)
            .send()
            .and_then(|r| r.error_for_status())
            .and_then(|r| r.json())
            .map_err(|e| fail(e.to_string()))?;
        let org = me["org"]["slug"]
            .as_str()
            .ok_or_else(|| fail("the token acts for no organisation".into()))?;
        format!("{base}/api/v1/orgs/{org}/audits")
    };
    let mut body = Vec::new();
    onus_report::write_json(report, &mut body)?;
    let mut req = http
        .post(&endpoint)
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body);
    if let Some(p) = provider {
        req = req.query(&[("provider", p)]);
    }
    let res = req.send().map_err(|e| fail(e.to_string()))?;
    let status = res.status();
    let answer: serde_json::Value = res.json().unwrap_or_default();
    if !status.is_success() {
        return Err(fail(format!(
            "{status}: {}",
            answer["error"]["message"].as_str().unwrap_or("no message")
        )));
    }
    eprintln!(
        "pushed to {endpoint}: audit {} of {} (version {})",
        answer["audit"]["id"].as_str().unwrap_or("?"),
        answer["model"].as_str().unwrap_or("?"),
        answer["version"].as_str().unwrap_or("?")
    );
    Ok(())
}

/// 1 when a check at or above the `--fail-on` severity failed (or could not be evaluated);
/// with `--party`, only on that party's items.
fn exit_code(report: &join::Report, fail_on: FailOn, party: Option<&str>) -> ExitCode {
    let theirs = |c: &join::CheckReport| match party {
        None => true,
        Some(p) => c
            .result
            .failures
            .iter()
            .chain(&c.result.errors)
            .any(|f| f.parties().iter().any(|x| x == p)),
    };
    let failed = fail_on.threshold().is_some_and(|threshold| {
        report.checks.iter().any(|c| {
            matches!(c.result.status, CheckStatus::Fail | CheckStatus::Error)
                && c.result.severity >= threshold
                && theirs(c)
        })
    });
    if failed {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    }
}
