//! `onus event`: events in a portal, for scripts (a CI job opening an incident, a cron job
//! listing the open ones). A thin client of the REST API (`/api/v1/orgs/{org}/events`), acting
//! with an API token for the token's organisation.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::error::CliError;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

/// The portal and the token every subcommand needs.
#[derive(Debug, clap::Args)]
struct Portal {
    /// The portal's address (`https://portal.example`).
    #[arg(long, value_name = "URL", env = "ONUS_URL")]
    url: String,
    /// An API token of your organisation (Users & tokens page).
    #[arg(long, value_name = "TOKEN", env = "ONUS_TOKEN", hide_env_values = true)]
    token: String,
}

#[derive(Debug, clap::Subcommand)]
enum Sub {
    /// Open an event (an incident, a change request, an announcement): prints its id.
    Open(OpenArgs),
    /// List the organisation's events (the active ones by default).
    List(ListArgs),
    /// Show one event and its timeline.
    Show(ShowArgs),
}

#[derive(Debug, clap::Args)]
struct OpenArgs {
    #[command(flatten)]
    portal: Portal,
    /// The event type the model binds (`incident`, `misconfiguration-incident`,
    /// `change-request`, `forced-upgrade`...; `GET /api/v1/orgs/ORG/event-types` lists them).
    #[arg(long = "type", value_name = "TYPE")]
    event_type: String,
    /// The model's id (`ovhcloud-mks`).
    #[arg(long, short = 'm', value_name = "MODEL")]
    model: String,
    /// The provider's slug, when several providers publish the model's id.
    #[arg(long, value_name = "SLUG")]
    provider: Option<String>,
    #[arg(long)]
    title: String,
    #[arg(long, default_value = "")]
    description: String,
    /// Incidents: critical, high, medium or low.
    #[arg(long)]
    severity: Option<String>,
    /// Incidents: the affected service (a cluster, an application).
    #[arg(long)]
    service: Option<String>,
    /// Announcements: the date (YYYY-MM-DD or RFC 3339).
    #[arg(long)]
    due: Option<String>,
    /// A provider's event: the customers it concerns (slugs; default: every subscriber).
    #[arg(long = "customer", value_name = "SLUG")]
    customers: Vec<String>,
    /// A file to attach (logs, a screenshot).
    #[arg(long, value_name = "PATH")]
    file: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct ListArgs {
    #[command(flatten)]
    portal: Portal,
    /// `active` (open, acknowledged or resolved), `open`, `acknowledged`, `resolved`,
    /// `closed`, `rejected`, or `all`.
    #[arg(long, default_value = "active")]
    state: String,
    /// incident, change or announcement.
    #[arg(long)]
    kind: Option<String>,
    /// An event type.
    #[arg(long = "type", value_name = "TYPE")]
    event_type: Option<String>,
    /// `table` or `json`.
    #[arg(long, short = 'o', default_value = "table", value_parser = ["table", "json"])]
    output: String,
}

#[derive(Debug, clap::Args)]
struct ShowArgs {
    #[command(flatten)]
    portal: Portal,
    /// The event's id.
    id: String,
    /// `table` or `json`.
    #[arg(long, short = 'o', default_value = "table", value_parser = ["table", "json"])]
    output: String,
}

struct Client {
    http: reqwest::blocking::Client,
    base: String,
    token: String,
    org: String,
}

fn fail(url: &str, what: impl std::fmt::Display) -> CliError {
    CliError::usage(
        format!("{url}: {what}"),
        Some(
            "check the portal's address (--url, ONUS_URL) and the token (--token, ONUS_TOKEN)"
                .into(),
        ),
    )
}

impl Client {
    fn new(p: &Portal) -> Result<Client, CliError> {
        let http = reqwest::blocking::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .map_err(|e| fail(&p.url, e))?;
        let base = p.url.trim_end_matches('/').to_string();
        let mut c = Client {
            http,
            base,
            token: p.token.clone(),
            org: String::new(),
        };
        let me = c.answer(c.http.get(format!("{}/api/v1/me", c.base)))?;
        c.org = me["org"]["slug"]
            .as_str()
            .ok_or_else(|| fail(&c.base, "the token acts for no organisation"))?
            .to_string();
        Ok(c)
    }

    fn path(&self, rest: &str) -> String {
        format!("{}/api/v1/orgs/{}/{rest}", self.base, self.org)
    }

    /// Sends, and returns the JSON answer; an API error becomes the CLI's, with its field.
    fn answer(
        &self,
        req: reqwest::blocking::RequestBuilder,
    ) -> Result<serde_json::Value, CliError> {
        let res = req
            .bearer_auth(&self.token)
            .send()
            .map_err(|e| fail(&self.base, e))?;
        let status = res.status();
        let v: serde_json::Value = res.json().unwrap_or_default();
        if !status.is_success() {
            let e = &v["error"];
            let field = e["field"]
                .as_str()
                .map(|f| format!(" (field `{f}`)"))
                .unwrap_or_default();
            return Err(CliError::usage(
                format!(
                    "the portal refused it: {status}: {}{field}",
                    e["message"].as_str().unwrap_or("no message")
                ),
                None,
            ));
        }
        Ok(v)
    }
}

pub fn run(a: Args) -> Result<ExitCode, CliError> {
    match a.command {
        Sub::Open(o) => open(o),
        Sub::List(l) => list(l),
        Sub::Show(s) => show(s),
    }
}

fn open(o: OpenArgs) -> Result<ExitCode, CliError> {
    let c = Client::new(&o.portal)?;
    let mut form = reqwest::blocking::multipart::Form::new()
        .text("type", o.event_type)
        .text("model", o.model)
        .text("title", o.title)
        .text("description", o.description);
    for (k, v) in [
        ("provider", o.provider),
        ("severity", o.severity),
        ("service", o.service),
        ("due", o.due),
    ] {
        if let Some(v) = v {
            form = form.text(k, v);
        }
    }
    if !o.customers.is_empty() {
        form = form.text("customers", o.customers.join(","));
    }
    if let Some(path) = &o.file {
        form = form
            .file("file", path)
            .map_err(|e| CliError::usage(format!("cannot read `{}`: {e}", path.display()), None))?;
    }
    let v = c.answer(c.http.post(c.path("events")).multipart(form))?;
    let e = &v["event"];
    eprintln!(
        "opened {}-{} ({}): {}/events/{}",
        e["provider"]["slug"].as_str().unwrap_or("?"),
        e["number"],
        e["state"].as_str().unwrap_or("?"),
        c.base,
        e["id"].as_str().unwrap_or("?")
    );
    println!("{}", e["id"].as_str().unwrap_or(""));
    Ok(ExitCode::SUCCESS)
}

fn list(l: ListArgs) -> Result<ExitCode, CliError> {
    let c = Client::new(&l.portal)?;
    let mut q: Vec<(&str, String)> = vec![("limit", "500".into())];
    if l.state != "all" {
        q.push(("state", l.state.clone()));
    }
    if let Some(k) = &l.kind {
        q.push(("kind", k.clone()));
    }
    if let Some(t) = &l.event_type {
        q.push(("type", t.clone()));
    }
    let v = c.answer(c.http.get(c.path("events")).query(&q))?;
    let items = v["items"].as_array().cloned().unwrap_or_default();
    if l.output == "json" {
        println!(
            "{}",
            serde_json::to_string_pretty(&items).unwrap_or_default()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let mut rows: Vec<[String; 7]> = vec![[
        "ID".into(),
        "#".into(),
        "TYPE".into(),
        "STATE".into(),
        "SEVERITY".into(),
        "OPENED".into(),
        "TITLE".into(),
    ]];
    for e in &items {
        rows.push([
            e["id"].as_str().unwrap_or("").to_string(),
            format!(
                "{}-{}",
                e["provider"]["slug"].as_str().unwrap_or(""),
                e["number"]
            ),
            e["type"].as_str().unwrap_or("").to_string(),
            e["state"].as_str().unwrap_or("").to_string(),
            e["severity"].as_str().unwrap_or("-").to_string(),
            e["opened_at"]
                .as_str()
                .unwrap_or("")
                .get(..16)
                .unwrap_or("")
                .replace('T', " "),
            e["title"].as_str().unwrap_or("").to_string(),
        ]);
    }
    // Columns as kubectl prints them: left-aligned, three spaces apart, the last one free.
    let mut widths = [0usize; 7];
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    for r in &rows {
        let mut line = String::new();
        for (i, c) in r.iter().enumerate() {
            if i + 1 < r.len() {
                line.push_str(&format!("{c:<w$}   ", w = widths[i]));
            } else {
                line.push_str(c);
            }
        }
        println!("{}", line.trim_end());
    }
    eprintln!("{} event(s)", items.len());
    Ok(ExitCode::SUCCESS)
}

fn show(s: ShowArgs) -> Result<ExitCode, CliError> {
    let c = Client::new(&s.portal)?;
    let v = c.answer(c.http.get(c.path(&format!("events/{}", s.id))))?;
    if s.output == "json" {
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return Ok(ExitCode::SUCCESS);
    }
    let e = &v["event"];
    println!(
        "{}-{} {} [{}] {}",
        e["provider"]["slug"].as_str().unwrap_or(""),
        e["number"],
        e["type"].as_str().unwrap_or(""),
        e["state"].as_str().unwrap_or(""),
        e["title"].as_str().unwrap_or("")
    );
    for st in v["steps"].as_array().into_iter().flatten() {
        println!(
            "  {}  {:<10} {} ({}){}",
            st["at"]
                .as_str()
                .unwrap_or("")
                .get(..19)
                .unwrap_or("")
                .replace('T', " "),
            st["action"].as_str().unwrap_or(""),
            st["actor_name"].as_str().unwrap_or(""),
            st["party_id"].as_str().unwrap_or(""),
            st["body"]
                .as_str()
                .map(|b| format!(": {b}"))
                .unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}
