//! Options every command shares, and model resolution.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use onus_model::{Catalog, Diagnostic, Model, Options, Severity, Vocabulary};

use crate::error::CliError;

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and NO_COLOR is not set.
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Extra model files or folders (searched recursively); repeatable. Also ONUS_MODEL_PATH
    /// (paths separated by `:`).
    #[arg(
        long = "model-path",
        global = true,
        value_name = "PATH",
        env = "ONUS_MODEL_PATH",
        value_delimiter = ':'
    )]
    pub model_path: Vec<PathBuf>,
    /// Language of the texts printed (`fr`, `en`); a missing translation falls back to the
    /// source language.
    #[arg(long, global = true, default_value = "en", value_name = "LANG")]
    pub lang: String,
    /// When to use colours.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

/// What every command gets.
pub struct Global {
    pub catalog: Catalog,
    pub lang: String,
    pub color: bool,
    pub vocab: &'static Vocabulary,
}

impl Global {
    pub fn new(a: GlobalArgs) -> Self {
        let color = match a.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        };
        Global {
            catalog: Catalog::new(a.model_path),
            lang: a.lang,
            color,
            vocab: Vocabulary::builtin(),
        }
    }

    pub fn style(&self) -> onus_render::Style {
        onus_render::Style {
            lang: self.lang.clone(),
            color: self.color,
            width: None,
        }
    }

    /// Resolves a model by name or path. A model with findings about its matrix (no A, two
    /// A, R without A: warnings) is used as it is, since those are facts of the published
    /// document; `onus validate` reports them. Only errors (an unreadable file) stop the
    /// command, printed with their places.
    pub fn model(&self, name: &str) -> Result<Model, CliError> {
        self.model_with(name, &Options::default(), |_| false)
    }

    /// [`Global::model`], validated with these options, printing (as warnings, with their
    /// places) the findings `show` selects: `onus audit` passes its checks and shows what is
    /// wrong with the model's `audit` section, which would change whose a failure is.
    pub fn model_with(
        &self,
        name: &str,
        opts: &Options,
        show: impl Fn(&Diagnostic) -> bool,
    ) -> Result<Model, CliError> {
        let loaded = self.catalog.resolve(name, self.vocab, opts)?;
        let errors: Vec<_> = loaded
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .cloned()
            .collect();
        match loaded.model {
            Some(m) if errors.is_empty() => {
                let shown: Vec<_> = loaded
                    .diagnostics
                    .iter()
                    .filter(|d| show(d))
                    .cloned()
                    .collect();
                if !shown.is_empty() {
                    crate::report::print_diagnostics(&loaded.origin, &shown, self.color);
                }
                Ok(m)
            }
            _ => {
                crate::report::print_diagnostics(&loaded.origin, &errors, self.color);
                Err(CliError::Unreadable {
                    name: name.to_string(),
                })
            }
        }
    }
}
