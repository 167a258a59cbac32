//! Printing diagnostics the way rustc and cargo do: file, line, column, the offending line
//! and a hint.

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource,
    Severity as MSeverity,
};
use onus_model::{Diagnostic, Origin, Severity};

/// Renders one diagnostic with its source snippet.
pub fn render(origin: &Origin, d: &Diagnostic, color: bool) -> String {
    let mut md = MietteDiagnostic::new(format!("[{}] {}", d.rule, d.message)).with_severity(
        match d.severity {
            Severity::Error => MSeverity::Error,
            Severity::Warning => MSeverity::Warning,
        },
    );
    if let Some(h) = &d.hint {
        md = md.with_help(h.clone());
    }
    if let Some(s) = d.span {
        let label = match &d.pointer {
            Some(p) if !p.is_empty() => onus_model::load::display_path(p),
            _ => "here".to_string(),
        };
        md = md.with_label(LabeledSpan::new(
            Some(label),
            s.offset.min(origin.text.len()),
            s.length.max(1),
        ));
    }
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_context_lines(1);
    let report = miette::Report::new(md).with_source_code(NamedSource::new(
        origin.name.clone(),
        origin.text.to_string(),
    ));
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
