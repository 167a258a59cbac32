//! The models available to a run: the ones built into onus, and those found on disk.

use std::path::{Path, PathBuf};

use crate::load::{self, Loaded};
use crate::validate::Options;
use crate::vocabulary::Vocabulary;

/// The models shipped with onus: `(id, YAML text)`, embedded at build time from `models/`.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "ovhcloud-mks",
        include_str!("../../../models/ovhcloud-mks.yaml"),
    ),
    (
        "ovhcloud-mks-en",
        include_str!("../../../models/ovhcloud-mks-en.yaml"),
    ),
    ("h8lio", include_str!("../../../models/h8lio.yaml")),
];

/// Where a model comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Builtin,
    File(PathBuf),
}

/// Why a model could not be found or read.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("no model `{name}`{}", match .suggestion { Some(s) => format!(" (did you mean `{s}`?)"), None => String::new() })]
    NotFound {
        name: String,
        suggestion: Option<String>,
        available: Vec<String>,
    },
    #[error("cannot read `{path}`: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The models a run can name: built-ins first, then the files under the model paths.
#[derive(Debug, Default)]
pub struct Catalog {
    /// Files and folders given with `--model-path`.
    pub paths: Vec<PathBuf>,
}

impl Catalog {
    pub fn new(paths: Vec<PathBuf>) -> Self {
        Catalog { paths }
    }

    /// Every model file under the model paths (folders are searched recursively for `.yaml`,
    /// `.yml` and `.json` files), in a stable order.
    pub fn files(&self) -> Result<Vec<PathBuf>, CatalogError> {
        let mut out = Vec::new();
        for p in &self.paths {
            model_files(p, &mut out)?;
        }
        Ok(out)
    }

    /// Loads every available model: built-ins, then files.
    pub fn load_all(
        &self,
        vocab: &Vocabulary,
        opts: &Options,
    ) -> Result<Vec<(Location, Loaded)>, CatalogError> {
        let mut out: Vec<(Location, Loaded)> = BUILTIN
            .iter()
            .map(|(id, text)| {
                (
                    Location::Builtin,
                    load::load_str(&format!("builtin:{id}"), text, vocab, opts),
                )
            })
            .collect();
        for f in self.files()? {
            let l = load::load_path(&f, vocab, opts);
            out.push((Location::File(f), l));
        }
        Ok(out)
    }

    /// Resolves a name given on the command line: a path to a file, the id of a model under the
    /// model paths, or a built-in id (in that order, so that a local edit of a shipped model
    /// can be used by naming it).
    pub fn resolve(
        &self,
        name: &str,
        vocab: &Vocabulary,
        opts: &Options,
    ) -> Result<Loaded, CatalogError> {
        let p = Path::new(name);
        if p.is_file() {
            return Ok(load::load_path(p, vocab, opts));
        }
        for f in self.files()? {
            let l = load::load_path(&f, vocab, opts);
            if l.model.as_ref().is_some_and(|m| m.id == name) {
                return Ok(l);
            }
        }
        if let Some((id, text)) = BUILTIN.iter().find(|(id, _)| *id == name) {
            return Ok(load::load_str(&format!("builtin:{id}"), text, vocab, opts));
        }
        let mut available: Vec<String> = BUILTIN.iter().map(|(id, _)| id.to_string()).collect();
        for f in self.files()? {
            if let Some(m) = load::load_path(&f, vocab, opts).model {
                available.push(m.id);
            }
        }
        let suggestion = crate::validate::nearest(name, available.iter().map(String::as_str))
            .map(str::to_string);
        Err(CatalogError::NotFound {
            name: name.to_string(),
            suggestion,
            available,
        })
    }
}

fn model_files(p: &Path, out: &mut Vec<PathBuf>) -> Result<(), CatalogError> {
    let found = onus_yaml::files(p, &onus_yaml::is_yaml_or_json)
        .map_err(|(path, source)| CatalogError::Io { path, source })?;
    out.extend(found);
    Ok(())
}
