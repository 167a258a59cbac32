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
        summary: "an `audit` link, condition or reliance, an `events` binding, or an `end_of_service` step, names an activity the model does not have",
    },
    Rule {
        name: "reliance-sides",
        class: RuleClass::Encoding,
        severity: Severity::Warning,
        silenceable: true,
        summary: "a reliance's `activity` is not a customer's duty, or its `capability` not the provider side's",
    },
    Rule {
        name: "invalid-due",
        class: RuleClass::Encoding,
        severity: Severity::Warning,
        silenceable: false,
        summary: "an `end_of_service` step's `due` is not an ISO 8601 duration (`P30D`, `-P7D`, `P0D`)",
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
        name: "unsafe-url",
        class: RuleClass::Encoding,
        severity: Severity::Warning,
        silenceable: false,
        summary: "a URL is not an absolute http, https or mailto address (other schemes, `javascript:` among them, are never written as links)",
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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

/// The few lines of a text a diagnostic points at, each cut to a bounded width, for a
/// renderer to show: terminal renderers (miette) panic on lines past 65,535 columns and slow
/// down with the line's length, and a hostile one-line file of 8 MiB has such lines.
///
/// Built in time bounded by the width, whatever the text's size: the line's start is looked
/// for at most a few widths back, and only the window shown is copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    /// The lines shown, `\n`-separated: the one pointed at and, when they are near enough, one
    /// line of context before and after. A line cut on its left starts with `…`, one cut on
    /// its right ends with `…`.
    pub text: String,
    /// 1-based number of `text`'s first line in the whole text.
    pub first_line: usize,
    /// Which line of `text` (0-based) is pointed at.
    pub line_index: usize,
    /// Byte offset and length in `text` of what is pointed at (cut to the line shown).
    pub label: (usize, usize),
    /// 1-based line and column (in characters) of what is pointed at, in the whole text.
    pub line: usize,
    pub column: usize,
}

impl Snippet {
    /// The snippet of `text` around `span`, lines cut to `width` characters (at least 16).
    pub fn new(text: &str, span: SpanOut, width: usize) -> Snippet {
        let width = width.max(16);
        // Where to look for line starts: a few widths back, no further.
        let reach = width * 4;
        let offset = floor_boundary(text, span.offset.min(text.len()));
        let back_limit = floor_boundary(text, offset.saturating_sub(reach));
        let line_start = text[back_limit..offset]
            .rfind('\n')
            .map(|i| back_limit + i + 1)
            .or((back_limit == 0).then_some(0));
        // The window of the pointed line: from its start when near, else a third of the
        // width before the place pointed at.
        let lead = width / 3;
        let (win_start, cut_left) = match line_start {
            Some(ls) if text[ls..offset].chars().count() <= lead => (ls, false),
            _ => (back_chars(text, offset, lead), true),
        };
        let (shown, line_end, cut_right) = take_line(text, win_start, width);
        let mut out = String::new();
        let mut line_index = 0;
        let line = if span.line > 0 {
            span.line
        } else {
            text[..offset].matches('\n').count() + 1
        };
        // One line of context before, when its start is near.
        if let (false, Some(ls)) = (cut_left, line_start) {
            if ls > 0 {
                let prev_end = ls - 1;
                let from = floor_boundary(text, prev_end.saturating_sub(reach));
                if let Some(ps) = text[from..prev_end]
                    .rfind('\n')
                    .map(|i| from + i + 1)
                    .or((from == 0).then_some(0))
                {
                    let (prev, _, prev_cut) = take_line(text, ps, width);
                    out.push_str(prev);
                    if prev_cut {
                        out.push('…');
                    }
                    out.push('\n');
                    line_index = 1;
                }
            }
        }
        if cut_left {
            out.push('…');
        }
        let label_start = out.len() + (offset - win_start);
        out.push_str(shown);
        let shown_end = win_start + shown.len();
        let label_len = span
            .length
            .min(shown_end.saturating_sub(offset))
            .min(out.len() - label_start);
        let label_len = floor_boundary(&out[label_start..], label_len);
        if cut_right {
            out.push('…');
        } else if line_end < text.len() {
            // One line of context after.
            let (next, _, next_cut) = take_line(text, line_end + 1, width);
            out.push('\n');
            out.push_str(next);
            if next_cut {
                out.push('…');
            }
        }
        let column = if span.column > 0 && !cut_left {
            span.column
        } else if let (Some(ls), false) = (line_start, cut_left) {
            text[ls..offset].chars().count() + 1
        } else {
            span.column.max(1)
        };
        Snippet {
            text: out,
            first_line: line - line_index,
            line_index,
            label: (label_start, label_len),
            line,
            column,
        }
    }

    /// How many characters the pointed line of the whole text has before what the snippet's
    /// pointed line shows before its label: add it to a column in the snippet to get the
    /// column in the whole text.
    pub fn column_shift(&self) -> usize {
        let line_start = self.text[..self.label.0].rfind('\n').map_or(0, |i| i + 1);
        let shown = self.text[line_start..self.label.0].chars().count();
        (self.column - 1).saturating_sub(shown)
    }
}

/// The largest char boundary of `s` at or before `i`.
fn floor_boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The offset `n` characters (at most) before `at`, not crossing a line break.
fn back_chars(s: &str, at: usize, n: usize) -> usize {
    let mut start = at;
    for (i, c) in s[..at].char_indices().rev().take(n) {
        if c == '\n' {
            break;
        }
        start = i;
    }
    start
}

/// The line going on at `from`, at most `width` characters of it: the text, the offset of
/// the line's end (its `\n`, or the text's end) when reached, and whether it was cut.
fn take_line(s: &str, from: usize, width: usize) -> (&str, usize, bool) {
    let rest = &s[from..];
    let mut end = rest.len();
    let mut cut = false;
    for (n, (i, c)) in rest.char_indices().enumerate() {
        if c == '\n' || c == '\r' && rest[i..].starts_with("\r\n") {
            end = i;
            break;
        }
        if n == width {
            end = i;
            cut = true;
            break;
        }
    }
    let after = &rest[end..];
    let line_end = if cut {
        from + end
    } else if after.starts_with("\r\n") {
        from + end + 1
    } else {
        from + end // the `\n`, or the text's end
    };
    (&rest[..end], line_end.min(s.len()), cut)
}

impl Diagnostic {
    /// The snippet this diagnostic points at in `text` (see [`Snippet`]), when it has a place.
    pub fn snippet(&self, text: &str, width: usize) -> Option<Snippet> {
        self.span.map(|s| Snippet::new(text, s, width))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, needle: &str) -> SpanOut {
        let offset = text.find(needle).unwrap();
        let line = text[..offset].matches('\n').count() + 1;
        let column = text[..offset].rsplit('\n').next().unwrap().chars().count() + 1;
        SpanOut {
            line,
            column,
            offset,
            length: needle.len(),
        }
    }

    #[test]
    fn short_lines_are_shown_whole_with_context() {
        let t = "a: 1\nb: bad\nc: 3\n";
        let s = Snippet::new(t, at(t, "bad"), 120);
        assert_eq!(s.text, "a: 1\nb: bad\nc: 3");
        assert_eq!((s.first_line, s.line_index, s.line, s.column), (1, 1, 2, 4));
        assert_eq!(&s.text[s.label.0..s.label.0 + s.label.1], "bad");
        assert_eq!(s.column_shift(), 0);
    }

    #[test]
    fn long_lines_are_cut_around_the_place() {
        // 70 KB on one line, pointed at its end: miette panicked past column 65,535.
        let t = format!("{{\"id\": \"{}\", \"bogus\": 1}}\n", "é".repeat(70_000));
        let s = Snippet::new(&t, at(&t, "\"bogus\""), 120);
        assert!(
            s.text.lines().all(|l| l.chars().count() <= 122),
            "{}",
            s.text
        );
        assert!(s.text.starts_with('…'));
        assert_eq!(&s.text[s.label.0..s.label.0 + s.label.1], "\"bogus\"");
        assert_eq!((s.line, s.column), (1, 70_012));
        let shown = s.text[..s.label.0].chars().count();
        assert_eq!(s.column_shift() + shown + 1, 70_012);
        // A span as long as the line is cut to what is shown.
        let s = Snippet::new(
            &t,
            SpanOut {
                line: 1,
                column: 1,
                offset: 0,
                length: t.len(),
            },
            120,
        );
        assert!(!s.text.starts_with('…') && s.text.ends_with('…'));
        assert_eq!(s.label.1, s.text.len() - '…'.len_utf8());
    }

    #[test]
    fn crlf_lines_keep_their_context() {
        let t = "a: 1\r\nb: bad\r\nc: 3\r\n";
        let s = Snippet::new(t, at(t, "bad"), 120);
        assert_eq!(s.text, "a: 1\nb: bad\nc: 3");
    }

    #[test]
    fn any_span_gives_a_snippet_on_char_boundaries() {
        let t = "é\nàà\n\n".repeat(50) + &"ü".repeat(500);
        for offset in 0..t.len() + 3 {
            for length in [0, 1, 3, 1000] {
                let span = SpanOut {
                    line: 0,
                    column: 0,
                    offset,
                    length,
                };
                let s = Snippet::new(&t, span, 16);
                assert!(s.text.is_char_boundary(s.label.0));
                assert!(s.text.is_char_boundary(s.label.0 + s.label.1));
                assert!(s.text.lines().count() <= 3);
                assert!(s.line >= 1 && s.first_line >= 1 && s.column >= 1);
            }
        }
    }
}
