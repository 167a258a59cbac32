//! Output formats (`-o`), shared by the commands that print models and listings.

use clap::ValueEnum;
use serde::Serialize;

use crate::error::CliError;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table for people (coloured on a terminal).
    Table,
    /// JSON, for programs: stable field names.
    Json,
    /// YAML, in the model file format for `show`.
    Yaml,
    /// Markdown.
    Md,
    /// One self-contained HTML page.
    Html,
    /// CSV, one row per activity.
    Csv,
}

/// Writes `value` as pretty JSON or YAML to stdout.
pub fn print_data<T: Serialize>(value: &T, format: Format) -> Result<(), CliError> {
    let text = match format {
        Format::Yaml => {
            serde_yaml_ng::to_string(value).map_err(|e| CliError::Render(e.to_string()))?
        }
        _ => {
            let mut s =
                serde_json::to_string_pretty(value).map_err(|e| CliError::Render(e.to_string()))?;
            s.push('\n');
            s
        }
    };
    print(&text)
}

/// Writes text to stdout; a closed pipe (`onus show x | head`) ends quietly.
pub fn print(text: &str) -> Result<(), CliError> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
