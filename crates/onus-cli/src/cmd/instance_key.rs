//! `onus instance-key`: the portal's Ed25519 public key, which signs deletion certificates
//! and exports (the same as its `/.well-known/onus/instance-key`).

use std::process::ExitCode;

use crate::error::CliError;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Format {
    /// PEM (SubjectPublicKeyInfo), for OpenSSL and `cryptography`.
    Pem,
    /// The JSON the well-known URL serves.
    Json,
    /// The raw 32-byte key, base64.
    Base64,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The portal's database: a SQLite file or a `postgres://` URL (the key is created at
    /// the portal's first start).
    #[arg(long, value_name = "PATH|URL", env = "ONUS_DATABASE")]
    database: String,
    #[arg(short, long, value_enum, default_value_t = Format::Pem)]
    output: Format,
}

pub fn run(a: Args) -> Result<ExitCode, CliError> {
    if !a.database.contains("://") && !std::path::Path::new(&a.database).exists() {
        return Err(CliError::usage(
            format!("no database at `{}`", a.database),
            Some("give the path `onus serve` printed".into()),
        ));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let key = runtime.block_on(async {
        let store = onus_store::Store::open(&a.database).await?;
        let k = store.instance_key().await;
        store.close().await;
        k
    });
    let key = key.map_err(|e| CliError::usage(format!("{}: {e}", a.database), None))?;
    match a.output {
        Format::Pem => print!("{}", key.pem),
        Format::Base64 => println!("{}", key.public_key),
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&key).map_err(|e| CliError::Render(e.to_string()))?
        ),
    }
    eprintln!(
        "key id {} (ed25519), created {}",
        key.key_id, key.created_at
    );
    Ok(ExitCode::SUCCESS)
}
