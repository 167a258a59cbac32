//! `onus verify-export` and `onus verify-certificate`: offline checks of what a portal gives
//! an organisation that leaves, with nothing but the files and the instance's public key
//! (`onus instance-key`, or the instance's `/.well-known/onus/instance-key`).

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use onus_archive::chain::ProofCheck;
use onus_archive::format::{Export, LogHead, LogLine};

use crate::error::{CliError, EXIT_FINDINGS};

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The archive (`onus-export-SLUG-DATE.tar`).
    file: PathBuf,
    /// The exporting instance's public key (a file with PEM, base64 or the JSON of its
    /// well-known URL, or the base64 itself): the signature must be by that key.
    #[arg(long, value_name = "KEY")]
    public_key: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct CertArgs {
    /// The deletion certificate (JSON).
    certificate: PathBuf,
    /// The instance's public key (a file with PEM, base64 or the JSON of its well-known URL,
    /// or the base64 itself).
    #[arg(long, value_name = "KEY")]
    public_key: String,
}

/// A public key given as a file or as its text.
fn public_key(spec: &str) -> Result<Vec<u8>, CliError> {
    let text = if Path::new(spec).is_file() {
        std::fs::read_to_string(spec)
            .map_err(|e| CliError::usage(format!("cannot read `{spec}`: {e}"), None))?
    } else {
        spec.to_string()
    };
    onus_archive::cert::parse_public_key(&text).map_err(|e| {
        CliError::usage(
            format!("--public-key `{spec}`: {e}"),
            Some("give the instance's key: `onus instance-key --database ...`, or save its /.well-known/onus/instance-key".into()),
        )
    })
}

/// Why the archive does not check, by kind, for the exit code.
enum Broken {
    Unreadable(String),
    Findings(String),
}

pub fn run_export(a: ExportArgs) -> Result<ExitCode, CliError> {
    let expected = a.public_key.as_deref().map(public_key).transpose()?;
    let f = std::fs::File::open(&a.file)
        .map_err(|e| CliError::usage(format!("cannot read `{}`: {e}", a.file.display()), None))?;
    let name = a.file.display().to_string();
    let mut export: Option<Export> = None;
    let mut proof: Option<ProofCheck> = None;
    let mut proof_error: Option<String> = None;
    let read = onus_archive::archive::read(std::io::BufReader::new(f), |path, r| {
        match path {
            "export.json" => {
                let mut s = String::new();
                r.read_to_string(&mut s)?;
                export = serde_json::from_str(&s).ok();
            }
            "log/head.json" => {
                let mut s = String::new();
                r.read_to_string(&mut s)?;
                match serde_json::from_str::<LogHead>(&s) {
                    Ok(h) => proof = Some(ProofCheck::new(h)),
                    Err(e) => proof_error = Some(format!("log/head.json: {e}")),
                }
            }
            "log/entries.jsonl" => {
                let Some(check) = proof.as_mut() else {
                    proof_error
                        .get_or_insert("log/entries.jsonl comes before log/head.json".into());
                    return Ok(());
                };
                for (i, line) in std::io::BufReader::new(r).lines().enumerate() {
                    let line = line?;
                    if proof_error.is_some() || line.trim().is_empty() {
                        continue;
                    }
                    let step = serde_json::from_str::<LogLine>(&line)
                        .map_err(|e| e.to_string())
                        .and_then(|l| check.line(&l).map_err(|e| e.to_string()));
                    if let Err(e) = step {
                        proof_error = Some(format!("log/entries.jsonl:{}: {e}", i + 1));
                    }
                }
            }
            _ => {}
        }
        Ok(())
    });
    let outcome = (|| -> Result<Vec<String>, Broken> {
        let checked = read.map_err(|e| match e {
            onus_archive::archive::ArchiveError::Io(e) => {
                Broken::Unreadable(format!("`{name}` is not a readable tar: {e}"))
            }
            other => Broken::Findings(other.to_string()),
        })?;
        let mut facts = vec![format!(
            "{} files match the manifest (manifest sha256 {})",
            checked.manifest.files.len(),
            checked.manifest_sha256
        )];
        if let Some(e) = &export {
            facts.push(format!(
                "organisation `{}` ({}), exported {} by {}",
                e.organisation, e.scope, e.exported_at, e.exported_by
            ));
        }
        if let Some(e) = proof_error {
            return Err(Broken::Findings(e));
        }
        let proven = proof
            .ok_or_else(|| Broken::Findings("the archive has no log/head.json".into()))?
            .finish()
            .map_err(|e| Broken::Findings(format!("log/entries.jsonl: {e}")))?;
        facts.push(format!(
            "{} log entries of the organisation belong to the chain up to entry {} (hash {})",
            proven.own, proven.head_seq, proven.head_hash
        ));
        match (&checked.signature, &expected) {
            (None, Some(_)) => {
                return Err(Broken::Findings(
                    "the archive is not signed (no signature.json)".into(),
                ))
            }
            (None, None) => facts.push("not signed".into()),
            (Some(s), _) => {
                let key = onus_archive::cert::parse_public_key(&s.public_key)
                    .map_err(|e| Broken::Findings(format!("signature.json: {e}")))?;
                onus_archive::cert::verify_manifest(&checked.manifest_bytes, &s.signature, &key)
                    .map_err(|e| Broken::Findings(format!("signature.json: {e}")))?;
                let id = onus_archive::cert::key_id(&key);
                match &expected {
                    Some(k) if *k != key => {
                        return Err(Broken::Findings(format!(
                            "signed by key {id}, not by the key given ({})",
                            onus_archive::cert::key_id(k)
                        )))
                    }
                    Some(_) => facts.push(format!("signed by the instance key {id}, as given")),
                    None => facts.push(format!(
                        "signed by key {id} (give --public-key to check it is the instance's)"
                    )),
                }
            }
        }
        Ok(facts)
    })();
    match outcome {
        Ok(facts) => {
            println!("`{name}`: a valid onus.export/v1 archive");
            for f in facts {
                println!("  {f}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(Broken::Findings(e)) => {
            println!("`{name}` does not check: {e}");
            Ok(ExitCode::from(EXIT_FINDINGS))
        }
        Err(Broken::Unreadable(e)) => Err(CliError::usage(e, None)),
    }
}

pub fn run_certificate(a: CertArgs) -> Result<ExitCode, CliError> {
    let key = public_key(&a.public_key)?;
    let text = std::fs::read_to_string(&a.certificate).map_err(|e| {
        CliError::usage(
            format!("cannot read `{}`: {e}", a.certificate.display()),
            None,
        )
    })?;
    match onus_archive::cert::verify(&text, &key) {
        Ok(c) => {
            println!(
                "valid deletion certificate {}, signed by the instance key {}",
                c.id,
                onus_archive::cert::key_id(&key)
            );
            println!(
                "  organisation `{}` ({}, {}) deleted {} by {} ({})",
                c.organisation.slug,
                c.organisation.name,
                c.organisation.kind,
                c.deleted_at,
                c.deleted_by.name,
                c.deleted_by.role
            );
            match &c.export {
                Some(e) => println!(
                    "  last export {}: manifest sha256 {}",
                    e.exported_at, e.manifest_sha256
                ),
                None => println!("  no export was taken before the deletion"),
            }
            println!(
                "  deleted: {}",
                c.deleted
                    .iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            for k in &c.kept {
                println!(
                    "  kept: {} ({}){}",
                    k.what,
                    k.why,
                    k.until
                        .as_ref()
                        .map(|u| format!(" until {u}"))
                        .unwrap_or_default()
                );
            }
            println!("  log entry {} records it", c.log_seq);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            println!("`{}` does not check: {e}", a.certificate.display());
            Ok(ExitCode::from(EXIT_FINDINGS))
        }
    }
}
