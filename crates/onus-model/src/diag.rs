//! Diagnostics: what is wrong with a model, where, and how to fix it.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

pub use onus_yaml::Span;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// What a rule is about, which decides what a model that breaks it can still do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleClass {
    /// The file is not a usable model (not YAML, a field of the wrong type, a role given to a
    /// party that does not exist, a letter the scheme does not define, two rows with one id):
    /// no command can use it. Always an error; cannot be silenced.
    Unreadable,
    /// A fact about the matrix as published (nobody accountable, two accountable parties, R
    /// without A): the model loads, shows, diffs, exports and audits; `onus validate` reports it
    /// as a warning and `--deny` makes it fail.
    Matrix,
    /// A gap or slip in onus's encoding of the document (an unknown topic, a missing
    /// translation, no topic): the model is usable; a warning, as for [`RuleClass::Matrix`].
    Encoding,
}

impl RuleClass {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleClass::Unreadable => "unreadable",
            RuleClass::Matrix => "matrix",
            RuleClass::Encoding => "encoding",
        }
    }
}

/// A named validation rule.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub name: &'static str,
    pub class: RuleClass,
    /// Errors make the model unusable (every [`RuleClass::Unreadable`] rule); warnings are
    /// findings about a usable model.
    pub severity: Severity,
    /// Whether `lint.allow` or `--allow` may silence it. Unreadable-file rules cannot be.
    pub silenceable: bool,
    pub summary: &'static str,
}

/// Every rule `onus validate` applies, by name.
pub const RULES: &[Rule] = &[
    Rule {
        name: "syntax",
        class: RuleClass::Unreadable,
        severity: Severity::Error,
        silenceable: false,
        summary: "the file is not readable YAML or JSON (size, encoding, syntax, nesting, aliases)",
    },
    Rule {
        name: "schema",
        class: RuleClass::Unreadable,
        severity: Severity::Error,
        silenceable: false,
        summary: "a field is missing, unknown or of the wrong type",
    },
    Rule {
        name: "format-version",
        class: RuleClass::Unreadable,
        severity: Severity::Error,
        silenceable: false,
        summary: "`format` is not a version of the model format this onus reads",
    },
    Rule {
        name: "duplicate-id",
        class: RuleClass::Unreadable,
        severity: Severity::Error,
        silenceable: false,
        summary: "two parties, sections, activities or statements share an id",
    },
    Rule {
        name: "unknown-party",
        class: RuleClass::Unreadable,
        severity: Severity::Error,
        silenceable: false,
        summary: "a role or statement names a party the model does not declare",
    },
    Rule {
        name: "unknown-letter",
        class: RuleClass::Unreadable,
        severity: Severity::Error,
        silenceable: false,
        summary: "a role cell holds a letter the role scheme does not define, or a letter twice",
    },
    Rule {
        name: "unknown-section",
        class: RuleClass::Unreadable,
        severity: Severity::Error,
        silenceable: false,
        summary: "an activity, statement or section names a section that does not exist",
    },
    Rule {
        name: "section-cycle",
        class: RuleClass::Unreadable,
        severity: Severity::Error,
        silenceable: false,
        summary: "a section is its own ancestor",
    },
    Rule {
        name: "unknown-topic",
        class: RuleClass::Encoding,
        severity: Severity::Warning,
        silenceable: true,
        summary: "a topic is not in the vocabulary",
    },
    Rule {
        name: "unknown-layer",
        class: RuleClass::Encoding,
        severity: Severity::Warning,
        silenceable: true,
        summary: "a layer is not in the vocabulary",
    },
    Rule {
        name: "unknown-language",
        class: RuleClass::Encoding,
        severity: Severity::Warning,
        silenceable: true,
        summary: "a text is in a language the model does not list in `languages`",
    },
    Rule {
        name: "missing-accountable",
        class: RuleClass::Matrix,
        severity: Severity::Warning,
        silenceable: true,
        summary: "no party is accountable (A) for an activity",
    },
    Rule {
        name: "multiple-accountable",
        class: RuleClass::Matrix,
        severity: Severity::Warning,
        silenceable: true,
        summary: "more than one party is accountable (A) for an activity",
    },
    Rule {
        name: "invalid-cadence",
        class: RuleClass::Unreadable,
        severity: Severity::Error,
        silenceable: false,
        summary: "a cadence is not an ISO 8601 duration",
    },
    Rule {
        name: "invalid-date",
        class: RuleClass::Encoding,
        severity: Severity::Warning,
        silenceable: true,
        summary: "`published` is not a YYYY-MM-DD date",
    },
    Rule {
        name: "invalid-license",
        class: RuleClass::Encoding,
        severity: Severity::Warning,
        silenceable: true,
        summary: "`source.license` is not an SPDX license expression",
    },
    Rule {
        name: "unknown-check",
        class: RuleClass::Encoding,
        severity: Severity::Warning,
        silenceable: true,
        summary: "an `audit` link names a check the audit catalog does not have",
    },
    Rule {
        name: "unknown-activity",
        class: RuleClass::Encoding,
        severity: Severity::Warning,
        silenceable: false,
        summary: "an `audit` link or condition, or an `events` binding, names an activity the model does not have",
    },
    Rule {
        name: "invalid-condition",
        class: RuleClass::Encoding,
        severity: Severity::Warning,
        silenceable: false,
        summary: "a condition's `when` is not CEL that onus can evaluate",
    },
    Rule {
        name: "unknown-reason",
        class: RuleClass::Encoding,
        severity: Severity::Warning,
        silenceable: true,
        summary: "an `audit` link names a reason its check never gives",
    },
    Rule {
        name: "conflicting-link",
        class: RuleClass::Encoding,
        severity: Severity::Warning,
        silenceable: true,
        summary: "the same check is linked twice to an activity, or linked and said to concern no duty, for the same reasons",
    },
    Rule {
        name: "link-without-duty",
        class: RuleClass::Encoding,
        severity: Severity::Warning,
        silenceable: true,
        summary: "an `audit` link names an activity in which no party holds R or A",
    },
    Rule {
        name: "empty-scope",
        class: RuleClass::Encoding,
        severity: Severity::Warning,
        silenceable: true,
        summary: "a managed scope names no namespace, kind, label or annotation",
    },
    Rule {
        name: "missing-responsible",
        class: RuleClass::Matrix,
        severity: Severity::Warning,
        silenceable: true,
        summary: "no party is responsible (R) for carrying out an activity",
    },
    Rule {
        name: "missing-translation",
        class: RuleClass::Encoding,
        severity: Severity::Warning,
        silenceable: true,
        summary: "a text lacks one of the model's languages",
    },
    Rule {
        name: "no-topic",
        class: RuleClass::Encoding,
        severity: Severity::Warning,
        silenceable: true,
        summary: "an activity has neither topics nor suggested topics",
    },
    Rule {
        name: "empty-section",
        class: RuleClass::Matrix,
        severity: Severity::Warning,
        silenceable: true,
        summary: "a section holds no activity, statement or sub-section",
    },
    Rule {
        name: "unknown-event-type",
        class: RuleClass::Encoding,
        severity: Severity::Warning,
        silenceable: false,
        summary: "an `events` binding names a type that is not in onus's event vocabulary",
    },
    Rule {
        name: "event-without-responsible",
        class: RuleClass::Encoding,
        severity: Severity::Warning,
        silenceable: false,
        summary: "an `events` binding names an activity where nobody holds R: nobody could open or act on its events",
    },
    Rule {
        name: "unknown-rule",
        class: RuleClass::Encoding,
        severity: Severity::Warning,
        silenceable: true,
        summary: "`lint.allow` names a rule that does not exist",
    },
];

/// The rule of that name.
pub fn rule(name: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.name == name)
}

/// The text a diagnostic points into, shared so that many diagnostics can refer to it.
#[derive(Debug, Clone)]
pub struct Origin {
    /// The file's path, or `builtin:<id>` for a model embedded in onus.
    pub name: String,
    pub text: Arc<str>,
}

/// One finding of the loader or the validator.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnostic {
    /// The rule's name (`missing-accountable`).
    pub rule: &'static str,
    /// The rule's class: `unreadable` (the model cannot be used), `matrix` or `encoding`.
    pub class: RuleClass,
    pub severity: Severity,
    pub message: String,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The file's name, when the model came from a text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// JSON pointer to the offending node (`/activities/3/roles`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// Line, column and byte range of the node, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span: Option<SpanOut>,
}

/// A span as written in JSON output.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct SpanOut {
    pub line: usize,
    pub column: usize,
    pub offset: usize,
    pub length: usize,
}

impl From<Span> for SpanOut {
    fn from(s: Span) -> Self {
        SpanOut {
            line: s.line,
            column: s.column,
            offset: s.offset,
            length: s.len,
        }
    }
}

impl Diagnostic {
    pub fn new(rule: &'static str, message: impl Into<String>) -> Self {
        let (class, severity) = self::rule(rule)
            .map_or((RuleClass::Unreadable, Severity::Error), |r| {
                (r.class, r.severity)
            });
        Diagnostic {
            rule,
            class,
            severity,
            message: message.into(),
            hint: None,
            file: None,
            pointer: None,
            span: None,
        }
    }

    pub fn at(mut self, pointer: impl Into<String>) -> Self {
        self.pointer = Some(pointer.into());
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_span(mut self, span: Span) -> Self {
        self.span = Some(span.into());
        self
    }

    /// `file:line:column`, or as much of it as is known.
    pub fn location(&self) -> String {
        match (&self.file, &self.span) {
            (Some(f), Some(s)) => format!("{f}:{}:{}", s.line, s.column),
            (Some(f), None) => f.clone(),
            (None, Some(s)) => format!("{}:{}", s.line, s.column),
            (None, None) => String::new(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let loc = self.location();
        if !loc.is_empty() {
            write!(f, "{loc}: ")?;
        }
        write!(f, "{}[{}]: {}", self.severity, self.rule, self.message)?;
        if let Some(h) = &self.hint {
            write!(f, " (hint: {h})")?;
        }
        Ok(())
    }
}
