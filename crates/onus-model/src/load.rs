//! Reading a model from text: YAML or JSON in, a [`Model`] and its diagnostics out.
//!
//! Loading never panics. A text that cannot be read at all gives no model and at least one
//! error; a model that reads but breaks rules gives the model and the findings, each located
//! by file, line and column.
//!
//! Errors (rules of class [`RuleClass::Unreadable`]: not YAML, a role given to an undeclared
//! party, a letter the scheme lacks, two rows with one id) make the model unusable: commands
//! refuse it. Warnings are findings about a usable model (nobody accountable, two accountable
//! parties, R without A, as many published matrices have): commands use the model, `onus
//! validate` reports them.
//!
//! [`RuleClass::Unreadable`]: crate::diag::RuleClass::Unreadable

use std::path::Path;
use std::sync::Arc;

use crate::diag::{Diagnostic, Origin};
use crate::types::Model;
use crate::validate::{self, Options};
use crate::vocabulary::Vocabulary;

/// The largest model file onus reads ([`onus_limits::Limits::model_bytes`]). The largest
/// published matrices are a few hundred rows; 8 MiB leaves room for thousands while bounding
/// memory on hostile input.
pub const MAX_MODEL_BYTES: usize = onus_limits::Limits::DEFAULT.model_bytes;

/// A model as read from one text, with what the loader and validator found.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The model, when the text could be read into one.
    pub model: Option<Model>,
    pub origin: Origin,
    pub diagnostics: Vec<Diagnostic>,
}

impl Loaded {
    /// Whether any finding is an error: the model is unreadable or unusable.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == crate::diag::Severity::Error)
    }

    /// The model, when commands can use it: it was read and no finding is an error. Warnings
    /// (findings about the matrix or its encoding) do not stop it.
    pub fn usable(&self) -> Option<&Model> {
        self.model.as_ref().filter(|_| !self.has_errors())
    }
}

fn limits() -> onus_yaml::Limits {
    onus_yaml::Limits {
        max_bytes: MAX_MODEL_BYTES,
        ..onus_yaml::Limits::default()
    }
}

/// Reads a model file from disk. I/O errors become a diagnostic on the file.
pub fn load_path(path: &Path, vocab: &Vocabulary, opts: &Options) -> Loaded {
    let name = path.display().to_string();
    let empty = Origin {
        name: name.clone(),
        text: Arc::from(""),
    };
    // Refuse oversized files before reading them into memory.
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.len() > MAX_MODEL_BYTES as u64 {
            let e = onus_yaml::YamlError::TooLarge {
                size: usize::try_from(meta.len()).unwrap_or(usize::MAX),
                limit: MAX_MODEL_BYTES,
            };
            return fail(
                empty,
                Diagnostic::new("syntax", e.to_string())
                    .hint("a model file is at most 8 MiB; is this the right file?"),
            );
        }
    }
    match std::fs::read(path) {
        Ok(bytes) => load_bytes(&name, &bytes, vocab, opts),
        Err(e) => fail(
            empty,
            Diagnostic::new("syntax", format!("cannot read the file: {e}")),
        ),
    }
}

/// Reads a model from bytes that should be UTF-8 YAML or JSON.
pub fn load_bytes(name: &str, bytes: &[u8], vocab: &Vocabulary, opts: &Options) -> Loaded {
    match onus_yaml::decode(bytes, &limits()) {
        Ok(text) => load_str(name, text, vocab, opts),
        Err(e) => {
            let origin = Origin {
                name: name.to_string(),
                text: Arc::from(String::from_utf8_lossy(bytes).as_ref()),
            };
            let mut d = Diagnostic::new("syntax", e.to_string()).hint("save the file as UTF-8");
            if let Some(s) = e.span() {
                d = d.with_span(s);
            }
            fail(origin, d)
        }
    }
}

/// Reads a model from YAML or JSON text, then validates it.
pub fn load_str(name: &str, text: &str, vocab: &Vocabulary, opts: &Options) -> Loaded {
    let origin = Origin {
        name: name.to_string(),
        text: Arc::from(text),
    };
    let doc = match onus_yaml::parse_one(text, &limits()) {
        Ok(d) => d,
        Err(e) => {
            let mut d = Diagnostic::new("syntax", e.to_string());
            if let Some(s) = e.span() {
                d = d.with_span(s);
            }
            return fail(origin, d);
        }
    };
    if !doc.value.is_object() {
        let d = Diagnostic::new(
            "schema",
            "a model must be a mapping with `format`, `id`, `parties`, `activities`, ...",
        )
        .with_span(doc.span)
        .hint("start from one of the shipped models: `onus show ovhcloud-mks -o yaml`");
        return fail(origin, d);
    }
    if let Some(f) = doc.value.get("format").and_then(|v| v.as_str()) {
        if f != crate::types::FORMAT {
            let mut d = Diagnostic::new(
                "format-version",
                format!("format `{f}` is not `{}`", crate::types::FORMAT),
            )
            .at("/format")
            .hint("this onus reads `format: onus.model/v1`");
            if let Some(s) = doc.map.get("/format") {
                d = d.with_span(s);
            }
            return fail(origin, d);
        }
    }
    let model: Model = match serde_path_to_error::deserialize(&doc.value) {
        Ok(m) => m,
        Err(e) => {
            // serde stops at the first problem; the schema lists them all.
            let all = schema_errors(&doc.value);
            if !all.is_empty() {
                let serde_pointer = path_to_pointer(e.path());
                let serde_message = e.inner().to_string();
                let mut diagnostics = Vec::new();
                let mut said_serde = false;
                for (pointer, key, mut message) in all {
                    // At the place serde stopped, its message is the clearer one ("unknown
                    // variant `client`, expected one of ...").
                    if key.is_none() && pointer == serde_pointer {
                        if said_serde {
                            continue;
                        }
                        said_serde = true;
                        message = serde_message.clone();
                    }
                    let mut d =
                        Diagnostic::new("schema", format!("{}: {message}", display_path(&pointer)))
                            .at(pointer.clone());
                    if let Some(h) = schema_hint(&message) {
                        d = d.hint(h);
                    }
                    let span = key
                        .as_ref()
                        .and_then(|k| doc.map.key(&format!("{pointer}/{}", onus_yaml::escape(k))))
                        .or_else(|| doc.map.nearest(&pointer));
                    if let Some(s) = span {
                        d = d.with_span(s);
                    }
                    d.file = Some(origin.name.clone());
                    diagnostics.push(d);
                }
                return Loaded {
                    model: None,
                    origin,
                    diagnostics,
                };
            }
            let pointer = path_to_pointer(e.path());
            let message = e.inner().to_string();
            let mut d = Diagnostic::new("schema", format!("{}: {message}", display_path(&pointer)))
                .at(pointer.clone());
            if let Some(h) = schema_hint(&message) {
                d = d.hint(h);
            }
            // An unknown field is best shown at its key; anything else at the value.
            let span = if message.starts_with("unknown field") {
                doc.map.key(&pointer).or_else(|| doc.map.nearest(&pointer))
            } else {
                doc.map.nearest(&pointer)
            };
            if let Some(s) = span {
                d = d.with_span(s);
            }
            return fail(origin, d);
        }
    };
    let mut model = model;
    validate::normalize(&mut model);
    let mut diagnostics = validate::validate(&model, vocab, opts);
    for d in &mut diagnostics {
        d.file = Some(origin.name.clone());
        if let Some(p) = &d.pointer {
            if let Some(s) = doc.map.nearest(p) {
                d.span = Some(s.into());
            }
        }
    }
    Loaded {
        model: Some(model),
        origin,
        diagnostics,
    }
}

fn fail(origin: Origin, mut d: Diagnostic) -> Loaded {
    d.file = Some(origin.name.clone());
    Loaded {
        model: None,
        origin,
        diagnostics: vec![d],
    }
}

/// `activities[3].roles` (serde_path_to_error's form) to `/activities/3/roles`.
fn path_to_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut p = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => p.push_str(&format!("/{index}")),
            Segment::Map { key } => p.push_str(&format!("/{}", onus_yaml::escape(key))),
            Segment::Enum { variant } => p.push_str(&format!("/{}", onus_yaml::escape(variant))),
            Segment::Unknown => {}
        }
    }
    p
}

/// A pointer as people read it: `activities[3].roles`.
pub fn display_path(pointer: &str) -> String {
    if pointer.is_empty() {
        return "the model".to_string();
    }
    let mut out = String::new();
    for part in pointer.split('/').skip(1) {
        if part.chars().all(|c| c.is_ascii_digit()) && !part.is_empty() {
            out.push_str(&format!("[{part}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&part.replace("~1", "/").replace("~0", "~"));
        }
    }
    out
}

/// Every place where `value` breaks the model's JSON Schema: pointer, offending key (for
/// unknown fields) and message.
fn schema_errors(value: &serde_json::Value) -> Vec<(String, Option<String>, String)> {
    static VALIDATOR: std::sync::OnceLock<Option<jsonschema::Validator>> =
        std::sync::OnceLock::new();
    let Some(v) = VALIDATOR.get_or_init(|| jsonschema::validator_for(&Model::json_schema()).ok())
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in v.iter_errors(value) {
        let pointer = e.instance_path().to_string();
        match e.kind() {
            jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } => {
                for k in unexpected {
                    out.push((
                        pointer.clone(),
                        Some(k.clone()),
                        format!("unknown field `{k}`"),
                    ));
                }
            }
            _ => out.push((pointer, None, e.to_string())),
        }
    }
    out
}

fn schema_hint(message: &str) -> Option<String> {
    if message.starts_with("unknown field") {
        Some("check the spelling; docs/model-format.md lists every field".into())
    } else if message.starts_with("missing field") {
        Some("add the field; docs/model-format.md says what it holds".into())
    } else if message.starts_with("unknown variant") {
        Some("use one of the values listed".into())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_read_as_paths() {
        assert_eq!(
            display_path("/activities/3/roles/customer"),
            "activities[3].roles.customer"
        );
        assert_eq!(display_path(""), "the model");
    }
}
