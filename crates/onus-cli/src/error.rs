//! The CLI's errors and its stable exit codes.
//!
//! Errors are printed the way cargo prints them: one line saying what went wrong (with the
//! path or name quoted once), then a `help:` line saying what to do. No internal code is
//! shown: users search for the message, not for an enum's name.

use std::path::{Path, PathBuf};

use miette::Diagnostic;

// Exit 0: everything went as asked (and, for checks, everything passed).
/// The command ran and found problems: validation errors, failed checks, shifted duties,
/// nothing found by `who`.
pub const EXIT_FINDINGS: u8 = 1;
/// Bad usage or unreadable input.
pub const EXIT_USAGE: u8 = 2;

/// An error that stops a command.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum CliError {
    #[error("model `{name}` cannot be read")]
    #[diagnostic(help("`onus validate {name}` shows every problem"))]
    Unreadable { name: String },

    #[error("{message}")]
    Usage {
        message: String,
        #[help]
        help: Option<String>,
    },

    /// Writing to a file failed: the path is named, and a missing folder is said as such.
    #[error("cannot write `{}`: {}", path.display(), io_reason(error, path))]
    Write {
        path: PathBuf,
        // Not a `source`: the reason is already in the message, once.
        error: std::io::Error,
    },

    /// Writing to standard output failed (other than a closed pipe, which ends quietly).
    #[error("cannot write the output: {}", io_message(.0))]
    Io(#[from] std::io::Error),

    #[error("{0}")]
    Render(String),
}

impl CliError {
    /// The error as cargo prints one: `error: what went wrong`, then `help: what to do`.
    pub fn render(&self, color: bool) -> String {
        let (error, help) = if color {
            ("\x1b[1;31merror\x1b[0m", "\x1b[1;36mhelp\x1b[0m")
        } else {
            ("error", "help")
        };
        let mut out = format!("{error}: {self}\n");
        if let Some(h) = Diagnostic::help(self) {
            out.push_str(&format!("  {help}: {h}\n"));
        }
        out
    }

    pub fn usage(message: impl Into<String>, help: Option<String>) -> Self {
        CliError::Usage {
            message: message.into(),
            help,
        }
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Render(_) => EXIT_FINDINGS,
            _ => EXIT_USAGE,
        }
    }
}

impl From<onus_model::CatalogError> for CliError {
    fn from(e: onus_model::CatalogError) -> Self {
        use onus_model::CatalogError as E;
        match e {
            E::NotFound {
                name,
                suggestion,
                available,
            } => {
                if looks_like_path(&name) {
                    return CliError::usage(
                        format!("`{name}` does not exist"),
                        Some("give the path of a model file, or a model id (`onus models` lists them)".into()),
                    );
                }
                // A prefix of several ids (`ovhcloud`) names them all; otherwise the nearest.
                let mut near: Vec<&str> = available
                    .iter()
                    .map(String::as_str)
                    .filter(|id| id.starts_with(name.as_str()))
                    .collect();
                if near.is_empty() {
                    near.extend(suggestion.as_deref());
                }
                let help = match near.as_slice() {
                    [] => "`onus models` lists the models; a path to a model file works too".into(),
                    [one] => format!("did you mean `{one}`? (`onus models` lists the models)"),
                    [init @ .., last] => format!(
                        "did you mean {} or `{last}`? (`onus models` lists the models)",
                        init.iter()
                            .map(|s| format!("`{s}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
                CliError::usage(format!("no model `{name}`"), Some(help))
            }
            E::Io { path, source } => CliError::usage(
                format!("cannot read `{}`: {}", path.display(), io_message(&source)),
                None,
            ),
        }
    }
}

/// Whether a name on the command line is meant as a file rather than a model id.
pub fn looks_like_path(name: &str) -> bool {
    name.contains('/')
        || name.contains(std::path::MAIN_SEPARATOR)
        || [".yaml", ".yml", ".json", ".md", ".csv", ".xlsx"]
            .iter()
            .any(|ext| name.to_ascii_lowercase().ends_with(ext))
}

/// The message of an I/O error without Rust's ` (os error 2)` suffix.
pub fn io_message(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Why `path` could not be written, naming the folder when it is the folder that is missing.
fn io_reason(e: &std::io::Error, path: &Path) -> String {
    if e.kind() == std::io::ErrorKind::NotFound {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.is_dir() {
                return format!("the folder `{}` does not exist", dir.display());
            }
        }
    }
    io_message(e)
}

/// Writes `bytes` to `path`, naming the path when it fails.
pub fn write_file(path: &Path, bytes: impl AsRef<[u8]>) -> Result<(), CliError> {
    std::fs::write(path, bytes).map_err(|error| CliError::Write {
        path: path.to_path_buf(),
        error,
    })
}

/// Creates `path` for writing, naming the path when it fails.
pub fn create_file(path: &Path) -> Result<std::fs::File, CliError> {
    std::fs::File::create(path).map_err(|error| CliError::Write {
        path: path.to_path_buf(),
        error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_folder_is_named() {
        let e = write_file(Path::new("/nonexistent/dir/a.html"), "x").unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot write `/nonexistent/dir/a.html`: the folder `/nonexistent/dir` does not exist"
        );
    }
}
