//! `onus org export|import|delete`: a portal organisation in and out of a database, for the
//! operator (the database's credentials are the authority, as for `onus log verify`). The
//! web UI and the API do the same for an organisation's admins and the instance
//! administrator.

use std::path::PathBuf;
use std::process::ExitCode;

use onus_store::export::Acting;

use crate::error::CliError;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Export everything of an organisation to one onus.export/v1 archive (a tar; see
    /// docs/portal.md). Check it with `onus verify-export`.
    Export {
        /// The organisation's slug.
        slug: String,
        /// The portal's database: a SQLite file or a `postgres://` URL.
        #[arg(long, value_name = "PATH|URL", env = "ONUS_DATABASE")]
        database: String,
        /// The archive to write.
        #[arg(short = 'O', long = "out", value_name = "FILE")]
        out: PathBuf,
    },
    /// Import an onus.export/v1 archive into a portal's database (SQLite or PostgreSQL): the
    /// organisation, its users (each with a new one-time password, printed once) and the
    /// provider models it needs. All or nothing.
    Import {
        /// The archive.
        file: PathBuf,
        /// The portal's database: a SQLite file (created if missing) or a `postgres://` URL.
        #[arg(long, value_name = "PATH|URL", env = "ONUS_DATABASE")]
        database: String,
    },
    /// Delete an organisation and everything of it (every subscription must have ended);
    /// write its signed deletion certificate.
    Delete {
        /// The organisation's slug.
        slug: String,
        #[arg(long, value_name = "PATH|URL", env = "ONUS_DATABASE")]
        database: String,
        /// The slug again: nothing is deleted without it.
        #[arg(long, value_name = "SLUG")]
        confirm: String,
        /// Where to write the certificate.
        #[arg(long = "certificate", value_name = "FILE")]
        certificate: PathBuf,
        /// Keep the content of the organisation's log entries this long (ISO 8601, `P5Y`),
        /// as `onus serve --retain-log-content` does.
        #[arg(long, value_name = "DURATION")]
        retain_log_content: Option<String>,
    },
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

fn existing(database: &str) -> Result<(), CliError> {
    if !database.contains("://") && !std::path::Path::new(database).exists() {
        return Err(CliError::usage(
            format!("no database at `{database}`"),
            Some("give the path `onus serve` printed".into()),
        ));
    }
    Ok(())
}

async fn open(
    database: &str,
    retention: onus_store::deletion::Retention,
) -> Result<onus_server::App, CliError> {
    onus_server::App::open(onus_server::Config {
        database: database.to_string(),
        retention,
        ..onus_server::Config::default()
    })
    .await
    .map_err(|e| CliError::usage(e.to_string(), None))
}

fn store_err(database: &str) -> impl Fn(onus_store::StoreError) -> CliError + '_ {
    move |e| CliError::usage(format!("{database}: {e}"), None)
}

pub fn run(a: Args) -> Result<ExitCode, CliError> {
    match a.command {
        Command::Export {
            slug,
            database,
            out,
        } => {
            existing(&database)?;
            runtime()?.block_on(async {
                let app = open(&database, Default::default()).await?;
                let org = app
                    .store
                    .operator_org(&slug)
                    .await
                    .map_err(store_err(&database))?;
                let file = crate::error::create_file(&out)?;
                let done = app
                    .store
                    .export_org_to(
                        Acting::Operator,
                        &org.id,
                        &onus_server::leaving::generator(),
                        std::io::BufWriter::new(file),
                    )
                    .await;
                app.store.close().await;
                match done {
                    Ok((e, _)) => {
                        eprintln!(
                            "wrote `{}`: {} files, {} bytes, manifest sha256 {}",
                            out.display(),
                            e.files,
                            e.bytes,
                            e.manifest_sha256
                        );
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(e) => {
                        let _ = std::fs::remove_file(&out);
                        Err(store_err(&database)(e))
                    }
                }
            })
        }
        Command::Import { file, database } => import(&file, &database),
        Command::Delete {
            slug,
            database,
            confirm,
            certificate,
            retain_log_content,
        } => {
            existing(&database)?;
            let retention = match &retain_log_content {
                None => onus_store::deletion::Retention::default(),
                Some(text) => onus_store::deletion::Retention {
                    log_content: Some(retention_of(text)?),
                    log_content_setting: Some(text.clone()),
                },
            };
            runtime()?.block_on(async {
                let app = open(&database, retention).await?;
                let org = app
                    .store
                    .operator_org(&slug)
                    .await
                    .map_err(store_err(&database))?;
                let d = app.delete_org(Acting::Operator, &org, &confirm).await;
                app.store.close().await;
                let d = d.map_err(|e| CliError::usage(e.detail.message, None))?;
                let text = serde_json::to_string_pretty(&d.certificate)
                    .map_err(|e| CliError::Render(e.to_string()))?;
                crate::error::write_file(&certificate, format!("{text}\n"))?;
                eprintln!(
                    "deleted `{slug}`; certificate {} written to `{}`",
                    d.certificate.id,
                    certificate.display()
                );
                if let Some(e) = d.reclaim_error {
                    eprintln!("warning: reclaiming the space failed: {e}");
                }
                Ok(ExitCode::SUCCESS)
            })
        }
    }
}

/// Imports an onus.export/v1 archive into a portal's database (`onus org import`, and
/// `onus import ARCHIVE --database`).
pub fn import(file: &std::path::Path, database: &str) -> Result<ExitCode, CliError> {
    let f = std::fs::File::open(file)
        .map_err(|e| CliError::usage(format!("cannot read `{}`: {e}", file.display()), None))?;
    runtime()?.block_on(async {
        let app = open(database, Default::default()).await?;
        let r = app
            .import_archive(Acting::Operator, std::io::BufReader::new(f))
            .await;
        app.store.close().await;
        let r = r.map_err(|e| {
            CliError::usage(
                format!(
                    "`{}`: nothing was imported: {}",
                    file.display(),
                    e.detail.message
                ),
                Some("`onus verify-export FILE` checks an archive".into()),
            )
        })?;
        eprintln!(
            "imported `{}` ({}) into {database}: {}",
            r.org.slug,
            r.org.name,
            r.counts
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        for m in &r.created {
            eprintln!("  created provider model {m}");
        }
        eprintln!("Users and their one-time passwords (shown once):");
        for (email, role, password) in &r.users {
            println!("{email:<32} {role:<8} {password}");
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// An ISO 8601 duration as a retention period (`P5Y`, `P90D`).
pub fn retention_of(text: &str) -> Result<chrono::Duration, CliError> {
    let c = onus_model::Cadence::parse(text).map_err(|e| {
        CliError::usage(
            e.to_string(),
            Some("write an ISO 8601 duration: P5Y, P1Y, P90D".into()),
        )
    })?;
    let secs = i64::try_from(c.approx_seconds()).unwrap_or(i64::MAX);
    Ok(chrono::Duration::seconds(secs))
}
