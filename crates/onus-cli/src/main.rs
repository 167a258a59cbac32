//! `onus`: shared-responsibility models as a system.
//!
//! A thin shell over the onus crates: it parses the command line, resolves models, calls the
//! libraries and prints their results. Only this crate knows about output formats, colours
//! and exit codes.

mod cmd;
mod error;
mod global;
mod output;
mod report;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::global::{Global, GlobalArgs};

/// Shared-responsibility models as a system: who does what between a cloud provider and its
/// customers, as data you can validate, query and check.
#[derive(Debug, Parser)]
#[command(
    name = "onus",
    version = env!("ONUS_LONG_VERSION"),
    propagate_version = true
)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check both parties' duties of a model against a cluster's state (exports or live).
    Audit(cmd::audit::Args),
    /// Write a live cluster's relevant objects to one file (Secret values removed), for
    /// offline and reproducible audits.
    Snapshot(cmd::snapshot::Args),
    /// List the models available (built in and from --model-path).
    Models(cmd::models::Args),
    /// Check model files against the format and the rules; report every problem with its place.
    Validate(cmd::validate::Args),
    /// Print a whole model, section by section.
    Show(cmd::show::Args),
    /// Find the activities matching words, in any language, with each party's roles (exit 1
    /// when nothing matches, as grep does).
    Who(cmd::who::Args),
    /// List one party's duties in a model.
    Obligations(cmd::obligations::Args),
    /// List the topic vocabulary, with the NIST SP 800-53 controls of each topic.
    Topics(cmd::topics::Args),
    /// Print the JSON Schema of the model format.
    Schema(cmd::schema::Args),
    /// Show what changed between two models of the same lineage, responsibility shifts first.
    Diff(cmd::diff::Args),
    /// Compare models of different providers by topic: what would you do yourself on each?
    Compare(cmd::compare::Args),
    /// Turn a provider's published matrix (Markdown, CSV, XLSX) or an OSCAL document into a model.
    Import(cmd::import::Args),
    /// Write a model as CSV, XLSX, Markdown, HTML or OSCAL (SSP, customer SSP, component).
    Export(cmd::export::Args),
    /// Run the portal where a provider and its customers meet (web UI and REST API).
    Serve(cmd::serve::Args),
    /// The portal's hash-chained log: `onus log verify --database ...`.
    Log(cmd::log::Args),
    /// A portal organisation in and out of a database: `onus org export|import|delete`.
    Org(cmd::org::Args),
    /// Check an onus.export/v1 archive offline: its manifest, its log proof, its signature.
    VerifyExport(cmd::verify::ExportArgs),
    /// Check a deletion certificate offline against the instance's public key.
    VerifyCertificate(cmd::verify::CertArgs),
    /// Print the portal's Ed25519 public key (it signs certificates and exports).
    InstanceKey(cmd::instance_key::Args),
    /// Events in a portal, for scripts: open an incident from a CI job, list the open ones.
    Event(cmd::event::Args),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(cmd::completions::Args),
    /// Print the man page (or write one page per command into a folder).
    Man(cmd::completions::ManArgs),
}

/// The whole command line's definition, for completions and man pages.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // clap prints help and version on stdout with success, usage errors on stderr.
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(error::EXIT_USAGE)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let stderr_color = match cli.global.color {
        global::ColorChoice::Always => true,
        global::ColorChoice::Never => false,
        global::ColorChoice::Auto => {
            std::io::IsTerminal::is_terminal(&std::io::stderr())
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let g = Global::new(cli.global);
    let result = match cli.command {
        Command::Models(a) => cmd::models::run(a, &g),
        Command::Validate(a) => cmd::validate::run(a, &g),
        Command::Show(a) => cmd::show::run(a, &g),
        Command::Who(a) => cmd::who::run(a, &g),
        Command::Obligations(a) => cmd::obligations::run(a, &g),
        Command::Topics(a) => cmd::topics::run(a, &g),
        Command::Schema(a) => cmd::schema::run(a, &g),
        Command::Audit(a) => cmd::audit::run(a, &g),
        Command::Snapshot(a) => cmd::snapshot::run(a),
        Command::Diff(a) => cmd::diff::run(a, &g),
        Command::Compare(a) => cmd::compare::run(a, &g),
        Command::Import(a) => cmd::import::run(a, &g),
        Command::Export(a) => cmd::export::run(a, &g),
        Command::Serve(a) => cmd::serve::run(a),
        Command::Log(a) => cmd::log::run(a),
        Command::Org(a) => cmd::org::run(a),
        Command::VerifyExport(a) => cmd::verify::run_export(a),
        Command::VerifyCertificate(a) => cmd::verify::run_certificate(a),
        Command::InstanceKey(a) => cmd::instance_key::run(a),
        Command::Event(a) => cmd::event::run(a),
        Command::Completions(a) => cmd::completions::run(a),
        Command::Man(a) => cmd::completions::man(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            let code = e.exit_code();
            eprint!("{}", e.render(stderr_color));
            ExitCode::from(code)
        }
    }
}
