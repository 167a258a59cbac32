//! `onus log verify`: recompute the portal's hash-chained log.

use std::process::ExitCode;

use crate::error::{CliError, EXIT_FINDINGS};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Recompute every entry's hash and link; name the first entry altered or removed.
    /// Exit 0 when intact, 1 when not.
    Verify {
        /// The portal's database: a SQLite file or a `postgres://` URL.
        #[arg(long, value_name = "PATH|URL", env = "ONUS_DATABASE")]
        database: String,
    },
}

pub fn run(a: Args) -> Result<ExitCode, CliError> {
    let Command::Verify { database } = a.command;
    if !database.contains("://") && !std::path::Path::new(&database).exists() {
        return Err(CliError::usage(
            format!("no database at `{database}`"),
            Some("give the path `onus serve` printed".into()),
        ));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let v = runtime.block_on(async {
        let store = onus_store::Store::open(&database).await?;
        let v = store.verify_log().await;
        store.close().await;
        v
    });
    let v = v.map_err(|e| CliError::usage(format!("{database}: {e}"), None))?;
    match v.problem {
        None => {
            println!(
                "log intact: {} entries, chained from the first to the head ({})",
                v.entries, v.head_seq
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(p) => {
            println!("log broken at entry {}: {}", p.seq, p.message);
            Ok(ExitCode::from(EXIT_FINDINGS))
        }
    }
}
