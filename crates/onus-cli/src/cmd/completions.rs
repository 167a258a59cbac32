//! `onus completions SHELL` and `onus man`: generated from the same clap definitions as the
//! parser and `--help`, so they never disagree with the flags.

use std::path::PathBuf;
use std::process::ExitCode;

use clap_complete::Shell;

use crate::error::{self, CliError};
use crate::output;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell. Install, e.g.: `onus completions bash > ~/.local/share/bash-completion/completions/onus`.
    #[arg(value_enum)]
    shell: Shell,
}

#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Write `onus.1` and one `onus-COMMAND.1` per command into this folder instead of
    /// printing `onus(1)`.
    #[arg(short = 'O', long = "out", value_name = "DIR")]
    out: Option<PathBuf>,
}

pub fn run(a: Args) -> Result<ExitCode, CliError> {
    let mut cmd = crate::command();
    let mut buf = Vec::new();
    clap_complete::generate(a.shell, &mut cmd, "onus", &mut buf);
    output::print(&String::from_utf8_lossy(&buf))?;
    Ok(ExitCode::SUCCESS)
}

fn render(cmd: clap::Command) -> Result<Vec<u8>, CliError> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd).render(&mut buf)?;
    Ok(buf)
}

pub fn man(a: ManArgs) -> Result<ExitCode, CliError> {
    let cmd = crate::command();
    let Some(dir) = a.out else {
        output::print(&String::from_utf8_lossy(&render(cmd)?))?;
        return Ok(ExitCode::SUCCESS);
    };
    if !dir.is_dir() {
        return Err(CliError::usage(
            format!("`{}` is not a folder", dir.display()),
            Some(format!("create it first: `mkdir -p {}`", dir.display())),
        ));
    }
    let mut written = vec![dir.join("onus.1")];
    error::write_file(&written[0], render(cmd.clone())?)?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("onus-{}", sub.get_name());
        // The page's title and usage line name the whole command (`onus audit`).
        let page = sub
            .clone()
            .name(name.clone())
            .bin_name(format!("onus {}", sub.get_name()));
        let path = dir.join(format!("{name}.1"));
        error::write_file(&path, render(page)?)?;
        written.push(path);
    }
    eprintln!(
        "wrote {} into `{}`",
        crate::output::plural(written.len(), "man page", "man pages"),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}
