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

/// A named validation rule.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub name: &'static str,
    pub severity: Severity,
    /// Whether `lint.allow` or `--allow` may silence it. Syntax and schema errors cannot be.
    pub silenceable: bool,
    pub summary: &'static str,
}

/// Every rule `onus validate` applies, by name.
pub const RULES: &[Rule] = &[
    Rule {
        name: "syntax",
        severity: Severity::Error,
        silenceable: false,
        summary: "the file is not readable YAML or JSON (size, encoding, syntax, nesting, aliases)",
    },
    Rule {
        name: "schema",
        severity: Severity::Error,
        silenceable: false,
        summary: "a field is missing, unknown or of the wrong type",
    },
    Rule {
        name: "format-version",
        severity: Severity::Error,
        silenceable: false,
        summary: "`format` is not a version of the model format this onus reads",
    },
    Rule {
        name: "duplicate-id",
        severity: Severity::Error,
        silenceable: false,
        summary: "two parties, sections, activities or statements share an id",
    },
    Rule {
        name: "unknown-party",
        severity: Severity::Error,
        silenceable: false,
        summary: "a role or statement names a party the model does not declare",
    },
    Rule {
        name: "unknown-letter",
        severity: Severity::Error,
        silenceable: false,
        summary: "a role cell holds a letter the role scheme does not define, or a letter twice",
    },
    Rule {
        name: "unknown-section",
        severity: Severity::Error,
        silenceable: false,
        summary: "an activity, statement or section names a section that does not exist",
    },
    Rule {
        name: "section-cycle",
        severity: Severity::Error,
        silenceable: false,
        summary: "a section is its own ancestor",
    },
    Rule {
        name: "unknown-topic",
        severity: Severity::Error,
        silenceable: true,
        summary: "a topic is not in the vocabulary",
    },
    Rule {
        name: "unknown-layer",
        severity: Severity::Error,
        silenceable: true,
        summary: "a layer is not in the vocabulary",
    },
    Rule {
        name: "unknown-language",
        severity: Severity::Error,
        silenceable: true,
        summary: "a text is in a language the model does not list in `languages`",
    },
    Rule {
        name: "missing-accountable",
        severity: Severity::Error,
        silenceable: true,
        summary: "no party is accountable (A) for an activity",
    },
    Rule {
        name: "multiple-accountable",
        severity: Severity::Error,
        silenceable: true,
        summary: "more than one party is accountable (A) for an activity",
    },
    Rule {
        name: "invalid-cadence",
        severity: Severity::Error,
        silenceable: false,
        summary: "a cadence is not an ISO 8601 duration",
    },
    Rule {
        name: "invalid-date",
        severity: Severity::Error,
        silenceable: true,
        summary: "`published` is not a YYYY-MM-DD date",
    },
    Rule {
        name: "unknown-check",
        severity: Severity::Error,
        silenceable: true,
        summary: "an `audit` link names a check the audit catalog does not have",
    },
    Rule {
        name: "unknown-activity",
        severity: Severity::Error,
        silenceable: false,
        summary: "an `audit` link or condition names an activity the model does not have",
    },
    Rule {
        name: "invalid-condition",
        severity: Severity::Error,
        silenceable: false,
        summary: "a condition's `when` is not CEL that onus can evaluate",
    },
    Rule {
        name: "unknown-reason",
        severity: Severity::Warning,
        silenceable: true,
        summary: "an `audit` link names a reason its check never gives",
    },
    Rule {
        name: "conflicting-link",
        severity: Severity::Warning,
        silenceable: true,
        summary: "the same check is linked twice to an activity, or linked and said to concern no duty, for the same reasons",
    },
    Rule {
        name: "link-without-duty",
        severity: Severity::Warning,
        silenceable: true,
        summary: "an `audit` link names an activity in which no party holds R or A",
    },
    Rule {
        name: "empty-scope",
        severity: Severity::Warning,
        silenceable: true,
        summary: "a managed scope names no namespace, kind, label or annotation",
    },
    Rule {
        name: "missing-responsible",
        severity: Severity::Warning,
        silenceable: true,
        summary: "no party is responsible (R) for carrying out an activity",
    },
    Rule {
        name: "missing-translation",
        severity: Severity::Warning,
        silenceable: true,
        summary: "a text lacks one of the model's languages",
    },
    Rule {
        name: "no-topic",
        severity: Severity::Warning,
        silenceable: true,
        summary: "an activity has neither topics nor suggested topics",
    },
    Rule {
        name: "empty-section",
        severity: Severity::Warning,
        silenceable: true,
        summary: "a section holds no activity, statement or sub-section",
    },
    Rule {
        name: "unknown-rule",
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
        let severity = self::rule(rule).map_or(Severity::Error, |r| r.severity);
        Diagnostic {
            rule,
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
