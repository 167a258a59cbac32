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
    /// Language of the texts printed (`fr`, `en`; default `en`, falling back to the source
    /// language where a text has no translation). A language the model does not have is an
    /// error.
    #[arg(long, global = true, value_name = "LANG")]
    pub lang: Option<String>,
    /// When to use colours.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// Width of text output in columns (default: the terminal's; 100 when not a terminal).
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u16).range(40..))]
    pub width: Option<u16>,
}

/// The width text output wraps to when it does not go to a terminal.
pub const PIPE_WIDTH: u16 = 100;

/// What every command gets.
pub struct Global {
    pub catalog: Catalog,
    pub lang: String,
    /// Whether `--lang` was given (then a model without that language is an error).
    pub lang_given: bool,
    pub color: bool,
    /// The width text output fits: `--width`, else the terminal's, else [`PIPE_WIDTH`] when
    /// not a terminal (`None`: a terminal whose size cannot be read).
    pub width: Option<u16>,
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
        let terminal = std::io::stdout().is_terminal();
        let measured = terminal
            .then(|| terminal_size::terminal_size().map(|(w, _)| w.0))
            .flatten();
        Global {
            catalog: Catalog::new(a.model_path),
            lang_given: a.lang.is_some(),
            lang: a.lang.unwrap_or_else(|| "en".into()),
            color,
            width: a.width.or(measured).or((!terminal).then_some(PIPE_WIDTH)),
            vocab: Vocabulary::builtin(),
        }
    }

    pub fn style(&self) -> onus_render::Style {
        onus_render::Style {
            lang: self.lang.clone(),
            color: self.color,
            width: self.width,
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
                self.check_lang(&[&m])?;
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

    /// With `--lang` given, at least one of `models` must have that language: an unknown
    /// language is a mistake to report, not French printed under exit 0.
    pub fn check_lang(&self, models: &[&Model]) -> Result<(), CliError> {
        let mut langs: Vec<String> = Vec::new();
        for m in models {
            for l in std::iter::once(&m.language).chain(&m.languages) {
                if !langs.contains(l) {
                    langs.push(l.clone());
                }
            }
        }
        let whose = match models {
            [m] => format!("model `{}` has", m.id),
            _ => "the models have".into(),
        };
        self.check_lang_in(&whose, &langs)
    }

    /// With `--lang` given, it must be one of `langs` (`whose`: "model `x` has", ...).
    pub fn check_lang_in(&self, whose: &str, langs: &[String]) -> Result<(), CliError> {
        if !self.lang_given || langs.is_empty() || langs.contains(&self.lang) {
            return Ok(());
        }
        Err(CliError::usage(
            format!("--lang `{}`: {whose} no texts in that language", self.lang),
            Some(format!("its languages: {}", langs.join(", "))),
        ))
    }
}
