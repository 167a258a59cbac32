//! `onus serve`: the portal, a few lines over onus-server.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::error::CliError;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The database: a SQLite file (created if missing) or a `postgres://` URL. Default: a
    /// file in the user's data folder (printed at start).
    #[arg(long, value_name = "PATH|URL", env = "ONUS_DATABASE")]
    database: Option<String>,
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: String,
    /// Seed a demo: two providers publishing the built-in models, a customer subscribed to
    /// both with the example cluster's audits and attestations, users with printed
    /// passwords. Uses a fresh demo database unless --database is given.
    #[arg(long)]
    demo: bool,
    /// PEM certificate chain: serve HTTPS (with --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Mark cookies Secure without --tls-cert (behind a TLS-terminating reverse proxy).
    #[arg(long)]
    secure_cookies: bool,
    /// Largest file attached to an attestation, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 10)]
    max_file_mib: usize,
    /// Largest request body (audit reports), in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 64)]
    max_body_mib: usize,
    /// E-mail of the instance administrator created on an empty database (its password:
    /// ONUS_ADMIN_PASSWORD, or generated and printed once).
    #[arg(
        long,
        value_name = "EMAIL",
        default_value = "admin@localhost",
        env = "ONUS_ADMIN_EMAIL"
    )]
    admin_email: String,
    /// Keep the content of a deleted organisation's log entries this long (an ISO 8601
    /// duration, `P5Y`) when a law or a contract requires it; by default it is removed at
    /// the deletion and only the entries' hashes stay (docs/portal.md, "Retention").
    #[arg(long, value_name = "DURATION", env = "ONUS_RETAIN_LOG_CONTENT")]
    retain_log_content: Option<String>,
    /// SMTP server for e-mail notifications: `smtp://host:25`, `smtp://host:587?tls=required`
    /// (STARTTLS), `smtps://user:password@host` (TLS). Without it, e-mail is off.
    #[arg(long, value_name = "URL", env = "ONUS_SMTP_URL")]
    smtp_url: Option<String>,
    /// The sender of e-mail notifications.
    #[arg(
        long,
        value_name = "MAILBOX",
        default_value = "onus <onus@localhost>",
        env = "ONUS_MAIL_FROM"
    )]
    mail_from: String,
    /// The portal's address as users reach it, for links in e-mails. Default: the listening
    /// address.
    #[arg(long, value_name = "URL", env = "ONUS_PUBLIC_URL")]
    public_url: Option<String>,
    /// Let webhooks reach loopback and private addresses (a receiver on this machine or the
    /// internal network). Off: an organisation cannot make the server call into its network.
    #[arg(long)]
    allow_private_webhooks: bool,
    /// The first retry of a failed delivery, in seconds (each next one waits twice as long,
    /// up to 6 hours; 12 attempts in all).
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    retry_base_secs: u64,
    /// How long the delivery worker holds the notifications it claimed, in seconds: when it
    /// dies mid-delivery, another instance (or this one, restarted) sends them once the lease
    /// runs out. Longer than the receivers' timeout (10 s) with room to spare: 20 to 86400.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 60,
        value_parser = clap::value_parser!(u64).range(MIN_LEASE_SECS..=86_400)
    )]
    delivery_lease: u64,
    /// Do not run the delivery worker in this instance (another instance on the same
    /// PostgreSQL delivers).
    #[arg(long)]
    no_worker: bool,
}

/// The shortest delivery lease: twice the receivers' 10-second timeout, so a lease never runs
/// out while its delivery is still being sent (which would send it twice).
const MIN_LEASE_SECS: u64 = 20;

/// `$XDG_DATA_HOME/onus`, `~/.local/share/onus`, or the current folder.
fn data_dir() -> PathBuf {
    std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .map_or_else(|| PathBuf::from("."), |d| d.join("onus"))
}

pub fn run(a: Args) -> Result<ExitCode, CliError> {
    let database = match &a.database {
        Some(d) => d.clone(),
        None => {
            let dir = data_dir();
            std::fs::create_dir_all(&dir).map_err(|e| {
                CliError::usage(
                    format!("cannot create `{}`: {e}", dir.display()),
                    Some("give --database PATH".into()),
                )
            })?;
            let file = dir.join(if a.demo { "demo.db" } else { "portal.db" });
            if a.demo {
                // The demo starts afresh each time: its database is the demo's own.
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
                }
            }
            file.display().to_string()
        }
    };
    let listener = std::net::TcpListener::bind(&a.listen).map_err(|e| {
        CliError::usage(
            format!("cannot listen on {}: {e}", a.listen),
            Some("choose another address with --listen".into()),
        )
    })?;
    let addr = listener.local_addr()?;
    let config = onus_server::Config {
        database: database.clone(),
        tls: a.tls_cert.clone().zip(a.tls_key.clone()),
        secure_cookies: a.secure_cookies,
        max_body_bytes: a.max_body_mib.saturating_mul(1024 * 1024),
        max_file_bytes: a.max_file_mib.saturating_mul(1024 * 1024),
        retention: match &a.retain_log_content {
            None => onus_store::deletion::Retention::default(),
            Some(text) => onus_store::deletion::Retention {
                log_content: Some(super::org::retention_of(text)?),
                log_content_setting: Some(text.clone()),
            },
        },
        ..onus_server::Config::default()
    };
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let mut config = config;
    config.worker = onus_server::worker::WorkerConfig {
        enabled: !a.no_worker,
        smtp: a.smtp_url.clone().filter(|u| !u.is_empty()),
        mail_from: a.mail_from.clone(),
        public_url: a
            .public_url
            .clone()
            .unwrap_or_else(|| format!("{scheme}://{addr}")),
        // The demo's webhook receiver is this server itself.
        allow_private: a.allow_private_webhooks || a.demo,
        retry_base: std::time::Duration::from_secs(a.retry_base_secs.max(1)),
        lease: std::time::Duration::from_secs(a.delivery_lease),
        ..config.worker
    };
    config.demo = a.demo;
    // Server-side failures are logged on stderr (ONUS_LOG=info for more).
    let filter = tracing_subscriber::EnvFilter::try_from_env("ONUS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let app = onus_server::App::open(config).await.map_err(|e| CliError::usage(e.to_string(), None))?;
        let url = format!("{scheme}://{addr}");
        eprintln!("onus portal: {url}  (database: {database})");
        if a.smtp_url.is_none() && !a.no_worker {
            eprintln!("e-mail notifications are off (--smtp-url to turn them on); the portal's and webhooks are on");
        }
        let password = std::env::var("ONUS_ADMIN_PASSWORD").ok().filter(|p| !p.is_empty());
        let boot = app
            .bootstrap(&a.admin_email, password.as_deref())
            .await
            .map_err(|e| CliError::usage(e.detail.message, Some("ONUS_ADMIN_PASSWORD needs at least 12 characters".into())))?;
        if let Some(b) = &boot {
            eprintln!("\nCreated the instance administrator: {}", b.email);
            match &b.generated_password {
                Some(p) => eprintln!("  password (shown once): {p}"),
                None => eprintln!("  password: the one in ONUS_ADMIN_PASSWORD"),
            }
        }
        if a.demo {
            demo(&app, &a.admin_email, &url).await?;
        } else if boot.is_some() {
            eprintln!("\nNext: sign in at {url}/login as {}, create a provider and a customer organisation", a.admin_email);
            eprintln!("with their first admins (Organisations page, or POST {url}/api/v1/orgs); the provider");
            eprintln!("publishes its model, the customer subscribes and pushes audits:");
            eprintln!("  onus audit CLUSTER -m MODEL --push {url} --token TOKEN");
            eprintln!("docs/portal.md has the whole guide.");
        }
        eprintln!("\nListening on {url} (Ctrl-C stops)");
        onus_server::serve(listener, app).await.map_err(|e| CliError::usage(e.to_string(), None))
    })?;
    Ok(ExitCode::SUCCESS)
}

const EXAMPLE: &[(&str, &str)] = &[
    (
        "examples/shop-cluster/00-cluster.yaml",
        include_str!("../../../../examples/shop-cluster/00-cluster.yaml"),
    ),
    (
        "examples/shop-cluster/10-storefront.yaml",
        include_str!("../../../../examples/shop-cluster/10-storefront.yaml"),
    ),
    (
        "examples/shop-cluster/20-checkout.json",
        include_str!("../../../../examples/shop-cluster/20-checkout.json"),
    ),
    (
        "examples/shop-cluster/30-batch.yaml",
        include_str!("../../../../examples/shop-cluster/30-batch.yaml"),
    ),
    (
        "examples/shop-cluster/40-velero.yaml",
        include_str!("../../../../examples/shop-cluster/40-velero.yaml"),
    ),
];
const ATTESTATIONS: &str = include_str!("../../../../examples/shop-attestations.yaml");

/// The example cluster audited against a built-in model, as `onus audit -o json` writes it.
fn example_audit(model_id: &str) -> Result<Vec<u8>, CliError> {
    let (_, text) = onus_model::BUILTIN
        .iter()
        .find(|(id, _)| *id == model_id)
        .ok_or_else(|| CliError::usage(format!("no built-in model {model_id}"), None))?;
    let model = onus_model::load_str(
        model_id,
        text,
        onus_model::Vocabulary::builtin(),
        &Default::default(),
    )
    .model
    .ok_or_else(|| CliError::Unreadable {
        name: model_id.into(),
    })?;
    let mut inv = onus_inventory::Inventory::default();
    for (name, text) in EXAMPLE {
        inv.add_text(name, text)
            .map_err(|e| CliError::usage(e.to_string(), None))?;
    }
    let checks =
        onus_audit::catalog::builtin().map_err(|e| CliError::usage(e.to_string(), None))?;
    let now = chrono::Utc::now().fixed_offset();
    // As `onus audit` runs: the model's conditions after the catalog's checks.
    let facts = onus_audit::ownership::FactKeys::well_known().with_model(&model);
    let opts = onus_audit::RunOptions {
        now,
        facts: facts.clone(),
        ..Default::default()
    };
    let mut all = checks.clone();
    all.extend(
        onus_audit::conditions::checks(&model).map_err(|e| CliError::usage(e.to_string(), None))?,
    );
    let mut results = onus_audit::run(&inv, &all, &opts);
    let conditions = onus_audit::conditions::results(&model, &results.split_off(checks.len()));
    let report = onus_audit::join::join(
        &model,
        results,
        &onus_audit::join::JoinInput {
            inputs: inv.files(),
            objects: inv.seen(),
            problems: &onus_audit::join::input_problems(&inv),
            attestations: &[],
            attestations_file: None,
            now,
            k8s_latest: onus_audit::DEFAULT_K8S_LATEST,
            conditions: &conditions,
            facts: &facts,
        },
    );
    let mut out = Vec::new();
    onus_report::write_json(&report, &mut out)?;
    Ok(out)
}

async fn demo(app: &onus_server::App, admin_email: &str, url: &str) -> Result<(), CliError> {
    let input = onus_server::demo::DemoInput {
        audits: vec![
            ("ovhcloud-mks".into(), example_audit("ovhcloud-mks")?),
            ("h8lio".into(), example_audit("h8lio")?),
        ],
        attestations: Some((
            "examples/shop-attestations.yaml".into(),
            ATTESTATIONS.into(),
        )),
        webhook_url: Some(format!("{url}/demo/webhook")),
    };
    let users = onus_server::demo::seed_as(app, admin_email, input)
        .await
        .map_err(|e| CliError::usage(format!("demo: {}", e.detail.message), None))?;
    eprintln!("\nDemo seeded: OVHcloud publishes ovhcloud-mks, Byzaneo publishes h8lio, Shop SAS subscribes");
    eprintln!(
        "to both with the example cluster's audits and attestations. Sign in at {url}/login as:"
    );
    for u in users {
        eprintln!(
            "  {:<9} {:<8} {:<24} {}",
            u.org,
            u.role.as_str(),
            u.email,
            u.password
        );
    }
    eprintln!("Events: an incident, a change request, a forced upgrade and a misconfiguration incident at");
    eprintln!("{url}/events; Shop SAS's webhook deliveries arrive at {url}/demo/webhook.");
    Ok(())
}
