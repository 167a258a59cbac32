//! Printing diagnostics the way rustc and cargo do: file, line, column, the offending line
//! and a hint.
//!
//! Never panics, whatever the text: miette is handed only the few lines around the place
//! (each cut to [`onus_limits::Limits::snippet_chars`] characters, see
//! [`onus_model::diag::Snippet`]), never the whole text, so a 70 KB line cannot reach its
//! 65,535-column ceiling and a diagnostic costs the same on a long line as on a short one.
//! Should miette fail all the same, the diagnostic is printed plain (`file:line:col: ...`).

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};
use onus_model::diag::Snippet;
use onus_model::{Diagnostic, Origin, Severity};

/// Renders one diagnostic with its source snippet.
pub fn render(origin: &Origin, d: &Diagnostic, color: bool) -> String {
    let mut md = MietteDiagnostic::new(format!("[{}] {}", d.rule, d.message)).with_severity(
        match d.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        },
    );
    if let Some(h) = &d.hint {
        md = md.with_help(h.clone());
    }
    let snippet = d.snippet(&origin.text, onus_limits::Limits::DEFAULT.snippet_chars);
    if let Some(s) = &snippet {
        let label = match &d.pointer {
            Some(p) if !p.is_empty() => onus_model::load::display_path(p),
            _ => "here".to_string(),
        };
        // A point (length 0) is shown on the character there, when there is one.
        let (at, len) = s.label;
        let len = match len {
            0 => s.text[at..].chars().next().map_or(0, char::len_utf8),
            n => n,
        };
        md = md.with_label(LabeledSpan::new(Some(label), at, len));
    }
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_context_lines(1);
    let report = miette::Report::new(md).with_source_code(Clipped {
        name: origin.name.clone(),
        snippet,
    });
    let mut out = String::new();
    if handler.render_report(&mut out, report.as_ref()).is_err() {
        out = format!("{d}\n");
    }
    out
}

/// Prints diagnostics on stderr.
pub fn print_diagnostics(origin: &Origin, diags: &[Diagnostic], color: bool) {
    for d in diags {
        eprint!("{}", render(origin, d, color));
    }
}

/// The source miette sees: the snippet's few short lines, numbered as in the whole text, the
/// pointed line's columns shifted back to the whole line's.
struct Clipped {
    name: String,
    snippet: Option<Snippet>,
}

impl SourceCode for Clipped {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let Some(s) = &self.snippet else {
            return Err(MietteError::OutOfBounds);
        };
        let inner = s.text.as_str().read_span(span, before, after)?;
        let column = if inner.line() == s.line_index {
            inner.column() + s.column_shift()
        } else {
            inner.column()
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line() + s.first_line - 1,
            column,
            inner.line_count(),
        )))
    }
}
