//! The CLI's errors and its stable exit codes.

use miette::Diagnostic;

// Exit 0: everything went as asked (and, for checks, everything passed).
/// The command ran and found problems: validation errors, failed checks, shifted duties.
pub const EXIT_FINDINGS: u8 = 1;
/// Bad usage or unreadable input.
pub const EXIT_USAGE: u8 = 2;

/// An error that stops a command.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum CliError {
    #[error(transparent)]
    #[diagnostic(
        code(onus::model_not_found),
        help("`onus models` lists the models; a path to a model file works too")
    )]
    Catalog(#[from] onus_model::CatalogError),

    #[error("model `{name}` cannot be read")]
    #[diagnostic(
        code(onus::model_unreadable),
        help("`onus validate {name}` shows every problem")
    )]
    Unreadable { name: String },

    #[error("{message}")]
    #[diagnostic(code(onus::usage))]
    Usage {
        message: String,
        #[help]
        help: Option<String>,
    },

    #[error("cannot write output: {0}")]
    #[diagnostic(code(onus::io))]
    Io(#[from] std::io::Error),

    #[error("{0}")]
    #[diagnostic(code(onus::render))]
    Render(String),
}

impl CliError {
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
