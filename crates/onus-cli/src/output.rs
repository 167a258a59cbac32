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

/// Text for people, its long lines wrapped to the output's width (`--width`, the terminal's,
/// or 100 columns when piped), each continuation indented under its line's own indentation.
/// Lines that fit are left as they are, so tables that already fit are unchanged.
pub fn fit(text: &str, g: &crate::global::Global) -> String {
    let Some(width) = g.width else {
        return text.to_string();
    };
    let width = usize::from(width);
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let (body, nl) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        if textwrap::core::display_width(body) <= width {
            out.push_str(line);
            continue;
        }
        let indent = body.len() - body.trim_start().len();
        let pad = " ".repeat((indent + 2).min(width / 2));
        let opts = textwrap::Options::new(width)
            .initial_indent(&body[..indent])
            .subsequent_indent(&pad)
            .break_words(false)
            .word_splitter(textwrap::WordSplitter::NoHyphenation);
        out.push_str(&textwrap::fill(body.trim_start(), &opts));
        out.push_str(nl);
    }
    out
}

/// `1 file`, `5 files`.
pub use onus_report::plural;
