//! The HTML report: one self-contained page (inline CSS and SVG, no script, no external
//! resource, every value escaped) for a manager or an auditor.
//!
//! Its order is the order a reader asks in: how do we stand (a summary per party, with a
//! chart), what must be fixed first (failing checks by severity, overdue attestations), then
//! the duty-by-duty detail and every check. This module builds the page's view model from the
//! [`Report`]; `report.html` only lays it out.

use minijinja::{AutoEscape, Environment, Value};
use onus_audit::join::{DutyStatus, Report};
use onus_audit::{CheckStatus, Severity};
use serde::Serialize;

use onus_render::html::{breakable, escape_into};

use crate::{attestation_line, human_date, human_time, plural};

const TEMPLATE: &str = include_str!("report.html");

/// Failing items shown per check among the failures that matter; the rest are in the
/// check's detail further down.
const TOP_ITEMS: usize = 5;
/// Failing items shown per check in the detail (all of them are in `-o json`).
const DETAIL_ITEMS: usize = 200;

/// The order duties are counted in, worst first, with their labels and CSS classes.
const DUTY_ORDER: [(DutyStatus, &str); 7] = [
    (DutyStatus::Fail, "fail"),
    (DutyStatus::Error, "error"),
    (DutyStatus::Overdue, "overdue"),
    (DutyStatus::NeedsAttestation, "needs attestation"),
    (DutyStatus::NotApplicable, "not applicable"),
    (DutyStatus::Attested, "attested"),
    (DutyStatus::Pass, "pass"),
];

#[derive(Serialize)]
struct Segment {
    class: &'static str,
    label: &'static str,
    count: usize,
    /// Position and width in the chart, in per mille of its width.
    x: usize,
    width: usize,
}

#[derive(Serialize)]
struct PartyView {
    id: String,
    name: String,
    kind: String,
    duties: usize,
    /// Duties with evidence either way (checks or attestations) over all duties, in percent.
    covered: usize,
    segments: Vec<Segment>,
    sections: Vec<SectionView>,
}

#[derive(Serialize)]
struct SectionView {
    anchor: String,
    heading: String,
    duties: Vec<DutyView>,
}

#[derive(Serialize)]
struct EvidenceView {
    id: String,
    status: &'static str,
}

#[derive(Serialize)]
struct DutyView {
    anchor: String,
    activity: String,
    text: String,
    letters: String,
    status: &'static str,
    label: &'static str,
    checks: Vec<EvidenceView>,
    attestation: Option<String>,
    attestation_overdue: bool,
}

#[derive(Serialize)]
struct CheckView {
    id: String,
    title: String,
    severity: &'static str,
    status: &'static str,
    checked: usize,
    failing: usize,
    /// The remediation, escaped, with `code` spans as `<code>`.
    remediation: Value,
    title_html: Value,
    /// Names of the parties whose duties it gives evidence for.
    parties: Vec<String>,
    activities: Vec<String>,
    /// Failing items (then items that could not be evaluated), as the JSON report has them.
    items: Vec<serde_json::Value>,
    more: usize,
    top: Vec<serde_json::Value>,
    top_more: usize,
}

#[derive(Serialize)]
struct OverdueView {
    party: String,
    activity: String,
    anchor: String,
    text: String,
    line: String,
}

/// A severity's rank for sorting, most severe first.
fn rank(s: Severity) -> u8 {
    match s {
        Severity::Critical => 0,
        Severity::High => 1,
        Severity::Medium => 2,
        Severity::Low => 3,
        Severity::Info => 4,
    }
}

fn duty_class(s: DutyStatus) -> (&'static str, &'static str) {
    match s {
        DutyStatus::Pass => ("pass", "pass"),
        DutyStatus::Fail => ("fail", "fail"),
        DutyStatus::Error => ("error", "error"),
        DutyStatus::NotApplicable => ("na", "n/a"),
        DutyStatus::Attested => ("attested", "attested"),
        DutyStatus::Overdue => ("overdue", "overdue"),
        DutyStatus::NeedsAttestation => ("manual", "needs attestation"),
    }
}

fn check_class(s: CheckStatus) -> &'static str {
    match s {
        CheckStatus::Pass => "pass",
        CheckStatus::Fail => "fail",
        CheckStatus::Error => "error",
        CheckStatus::NotApplicable => "na",
    }
}

/// Escapes `text` for HTML and turns Markdown code spans (`` `kubectl get` ``) into `<code>`.
pub fn inline_code(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let pieces: Vec<&str> = text.split('`').collect();
    for (i, p) in pieces.iter().enumerate() {
        // Odd pieces follow an opening backtick; they are code when a closing one follows.
        if i % 2 == 1 && i + 1 < pieces.len() {
            out.push_str("<code>");
            escape_into(p, &mut out);
            out.push_str("</code>");
        } else {
            if i % 2 == 1 {
                out.push('`'); // unpaired
            }
            escape_into(p, &mut out);
        }
    }
    out
}

/// An HTML id from an activity or section id (`3.1.2-r1` → `d-3-1-2-r1`).
fn anchor(prefix: &str, id: &str) -> String {
    let body: String = id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("{prefix}-{body}")
}

/// A self-contained HTML page (inline CSS and SVG, no scripts, no external resources), every
/// value escaped.
pub fn html(r: &Report, lang: &str) -> Result<String, String> {
    let t = |x: &onus_model::Text| x.best(lang).to_string();
    let party_name = |id: &str| {
        r.parties
            .iter()
            .find(|p| p.id == id)
            .map_or_else(|| id.to_string(), |p| t(&p.name))
    };
    let mut overdue = Vec::new();
    let parties: Vec<PartyView> = r
        .parties
        .iter()
        .map(|p| {
            let mut counts = [0usize; DUTY_ORDER.len()];
            let mut sections = Vec::new();
            for s in &p.sections {
                let mut duties = Vec::new();
                for d in &s.duties {
                    if let Some(i) = DUTY_ORDER.iter().position(|(st, _)| *st == d.status) {
                        counts[i] += 1;
                    }
                    let (class, label) = duty_class(d.status);
                    let a = anchor(&format!("d-{}", p.id), &d.activity);
                    let attestation_overdue = d.attestation.as_ref().is_some_and(|a| !a.attested);
                    if attestation_overdue {
                        overdue.push(OverdueView {
                            party: t(&p.name),
                            activity: d.activity.clone(),
                            anchor: a.clone(),
                            text: t(&d.text),
                            line: d
                                .attestation
                                .as_ref()
                                .map(attestation_line)
                                .unwrap_or_default(),
                        });
                    }
                    duties.push(DutyView {
                        anchor: a,
                        activity: d.activity.clone(),
                        text: t(&d.text),
                        letters: d.letters.clone(),
                        status: class,
                        label,
                        checks: d
                            .checks
                            .iter()
                            .map(|id| EvidenceView {
                                id: id.clone(),
                                status: r
                                    .checks
                                    .iter()
                                    .find(|c| &c.result.id == id)
                                    .map_or("na", |c| check_class(c.result.status)),
                            })
                            .collect(),
                        attestation: d.attestation.as_ref().map(attestation_line),
                        attestation_overdue,
                    });
                }
                sections.push(SectionView {
                    anchor: anchor(&format!("s-{}", p.id), &s.id),
                    heading: match &s.number {
                        Some(n) => format!("{n} {}", t(&s.title)),
                        None => t(&s.title),
                    },
                    duties,
                });
            }
            let total: usize = counts.iter().sum();
            let mut x = 0;
            let segments = DUTY_ORDER
                .iter()
                .zip(counts)
                .filter(|(_, n)| *n > 0)
                .map(|((st, label), count)| {
                    let width = (count * 1000).checked_div(total).unwrap_or(0);
                    let seg = Segment {
                        class: duty_class(*st).0,
                        label,
                        count,
                        x,
                        width,
                    };
                    x += width;
                    seg
                })
                .collect::<Vec<_>>();
            let unseen = counts[3] + counts[4]; // needs attestation, not applicable
            PartyView {
                id: p.id.clone(),
                name: t(&p.name),
                kind: p.kind.clone(),
                duties: total,
                covered: ((total - unseen) * 100).checked_div(total).unwrap_or(0),
                segments,
                sections,
            }
        })
        .collect();
    let mut checks: Vec<CheckView> = r
        .checks
        .iter()
        .map(|c| {
            let x = &c.result;
            let items: Vec<serde_json::Value> = x
                .failures
                .iter()
                .chain(x.errors.iter())
                .map(|f| {
                    let mut v = serde_json::to_value(f).unwrap_or_default();
                    // The parties that can fix the item, when the report names them (`parties`,
                    // or a single `party`), by name.
                    let ids: Vec<&str> = match (v.get("parties"), v.get("party")) {
                        (Some(serde_json::Value::Array(a)), _) => {
                            a.iter().filter_map(|p| p.as_str()).collect()
                        }
                        (_, Some(serde_json::Value::String(p))) => vec![p.as_str()],
                        _ => Vec::new(),
                    };
                    if !ids.is_empty() {
                        let names: Vec<String> = ids.into_iter().map(party_name).collect();
                        v["party_name"] = names.join(", ").into();
                    }
                    if let (Some(file), Some(line)) = (&f.file, f.line) {
                        v["place"] = format!("{file}:{line}").into();
                    }
                    // In words: the duties it fails, or why it fails none.
                    v["who"] = crate::attribution(c, &f, lang).into();
                    v
                })
                .collect();
            let failing = items.len();
            CheckView {
                id: x.id.clone(),
                title: t(&x.title),
                title_html: Value::from_safe_string(inline_code(&t(&x.title))),
                severity: x.severity.as_str(),
                status: check_class(x.status),
                checked: x.checked,
                failing,
                remediation: Value::from_safe_string(inline_code(&t(&x.remediation))),
                parties: c.parties.iter().map(|p| party_name(p)).collect(),
                activities: c.activities.clone(),
                top: items.iter().take(TOP_ITEMS).cloned().collect(),
                top_more: failing.saturating_sub(TOP_ITEMS),
                more: failing.saturating_sub(DETAIL_ITEMS),
                items: items.into_iter().take(DETAIL_ITEMS).collect(),
            }
        })
        .collect();
    // Every check in the detail: failing first, most severe first, then the rest.
    checks.sort_by_key(|c| {
        (
            match c.status {
                "fail" => 0,
                "error" => 1,
                "pass" => 2,
                _ => 3,
            },
            r.checks
                .iter()
                .find(|x| x.result.id == c.id)
                .map_or(5, |x| rank(x.result.severity)),
        )
    });
    let failing: Vec<&CheckView> = checks
        .iter()
        .filter(|c| c.status == "fail" || c.status == "error")
        .collect();
    let count = |s: CheckStatus| r.checks.iter().filter(|c| c.result.status == s).count();
    let by_severity: Vec<serde_json::Value> = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ]
    .iter()
    .map(|s| {
        let n = r
            .checks
            .iter()
            .filter(|c| c.result.severity == *s && c.result.status == CheckStatus::Fail)
            .count();
        serde_json::json!({"severity": s.as_str(), "count": n})
    })
    .collect();
    let mut env = Environment::new();
    // Every value comes from a model, a cluster or a check: escape all of it.
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.add_filter("breakable", |s: String| {
        Value::from_safe_string(breakable(&s))
    });
    env.add_template("report.html", TEMPLATE)
        .map_err(|e| e.to_string())?;
    let tpl = env.get_template("report.html").map_err(|e| e.to_string())?;
    tpl.render(minijinja::context! {
        lang => lang,
        model => r.model.id,
        model_title => t(&r.model.title),
        provider => r.model.provider,
        service => r.model.service,
        version => r.model.version,
        now => human_time(&r.now),
        now_date => human_date(&r.now),
        objects => plural(r.objects, "object", "objects"),
        inputs => r.inputs,
        inputs_count => plural(r.inputs.len(), "input", "inputs"),
        k8s_latest => r.k8s_latest,
        parties => parties,
        checks => checks,
        failing => failing,
        overdue => overdue,
        checks_total => r.checks.len(),
        checks_pass => count(CheckStatus::Pass),
        checks_fail => count(CheckStatus::Fail),
        checks_error => count(CheckStatus::Error),
        checks_na => count(CheckStatus::NotApplicable),
        by_severity => by_severity,
        problems => r.problems,
        onus_version => env!("CARGO_PKG_VERSION"),
    })
    .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_become_code_and_the_rest_is_escaped() {
        assert_eq!(
            inline_code("set `resources.requests` <now> & `x`"),
            "set <code>resources.requests</code> &lt;now&gt; &amp; <code>x</code>"
        );
        assert_eq!(inline_code("a ` b"), "a ` b");
        assert_eq!(inline_code("`<b>`"), "<code>&lt;b&gt;</code>");
        assert_eq!(inline_code("plain"), "plain");
        assert_eq!(inline_code("a `x` b `y"), "a <code>x</code> b `y");
    }
}
