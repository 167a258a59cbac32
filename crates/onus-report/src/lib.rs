//! Renderings of an audit report: terminal table, JSON, SARIF 2.1.0, JUnit XML and a
//! self-contained HTML page.
//!
//! Every function takes the plain [`Report`] built by `onus-audit` and returns text, except
//! JSON, which is written to a writer (it is large); nothing here reads clusters, models or
//! the clock. The JSON rendering is the report's serde form,
//! documented in `docs/audit.md` and stable within `onus.audit/v1`.

use std::fmt::Write as _;
use std::io::Write as _;

use onus_audit::join::{CheckReport, DutyStatus, Report};
use onus_audit::{CheckStatus, FindingRef, Severity, UnassignedReason};

/// Writes the report as pretty JSON (format `onus.audit/v1`) without building the text in
/// memory first: a large cluster's report runs to tens of megabytes.
pub fn write_json(r: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::with_capacity(64 * 1024, out);
    serde_json::to_writer_pretty(&mut w, r)?;
    w.write_all(b"\n")?;
    w.flush()
}

fn paint(s: &str, code: &str, color: bool) -> String {
    if color {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

/// A duty's label in the table and its colour. Labels differ from their first letters on
/// (`MANUAL`, not `ATTEST` beside `ATTESTED`), so they read apart at a glance.
fn duty_label(s: DutyStatus) -> (&'static str, &'static str) {
    match s {
        DutyStatus::Pass => ("PASS", "32"),
        DutyStatus::Fail => ("FAIL", "31;1"),
        DutyStatus::Error => ("ERROR", "31"),
        DutyStatus::NotApplicable => ("N/A", "2"),
        DutyStatus::Attested => ("ATTESTED", "36"),
        DutyStatus::Overdue => ("OVERDUE", "33;1"),
        DutyStatus::NeedsAttestation => ("MANUAL", "2"),
    }
}

/// `1 input`, `5 inputs`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// An RFC 3339 instant as people read it: to the second, `Z` for UTC (`2025-06-01 12:00:00
/// UTC`); anything else as it is.
pub fn human_time(s: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(s) {
        Ok(t) if t.offset().local_minus_utc() == 0 => t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        Ok(t) => t.format("%Y-%m-%d %H:%M:%S %:z").to_string(),
        Err(_) => s.to_string(),
    }
}

/// A date the report prints: the day alone when it is midnight UTC (`2025-04-01`).
pub fn human_date(s: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(s) {
        Ok(t)
            if t.offset().local_minus_utc() == 0
                && t.format("%H:%M:%S").to_string() == "00:00:00" =>
        {
            t.format("%Y-%m-%d").to_string()
        }
        _ => human_time(s),
    }
}

/// The counts of a party's duties that are not zero, in the order people act on them.
pub fn counts_line(s: &onus_audit::join::Counts) -> String {
    let parts: Vec<String> = [
        (s.fail, "fail"),
        (s.error, "error"),
        (s.overdue, "overdue"),
        (s.pass, "pass"),
        (s.attested, "attested"),
        (s.needs_attestation, "manual (need attestation)"),
        (s.not_applicable, "not applicable"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    if parts.is_empty() {
        "no duties".into()
    } else {
        parts.join(", ")
    }
}

fn check_label(s: CheckStatus) -> (&'static str, &'static str) {
    match s {
        CheckStatus::Pass => ("PASS", "32"),
        CheckStatus::Fail => ("FAIL", "31;1"),
        CheckStatus::Error => ("ERROR", "31"),
        CheckStatus::NotApplicable => ("N/A", "2"),
    }
}

fn shorten(s: &str, max: usize) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() <= max {
        s
    } else {
        let cut: String = s.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

/// Duties as `customer: 2.3-r4, 3.1.5-r3; ovhcloud: 3.1.1-r1`, grouped by party in order.
fn duties_text<'a>(duties: impl Iterator<Item = &'a onus_audit::DutyRef>) -> String {
    let mut by: Vec<(&str, Vec<&str>)> = Vec::new();
    for d in duties {
        match by.iter_mut().find(|(p, _)| *p == d.party) {
            Some((_, acts)) => acts.push(&d.activity),
            None => by.push((&d.party, vec![&d.activity])),
        }
    }
    by.iter()
        .map(|(p, acts)| format!("{p}: {}", acts.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Whose a failing item is, in words: `customer: 2.3-r4, 3.1.5-r3` for the duties it lands
/// on; else its owner and why it concerns no duty (`ovhcloud (namespace kube-system): no duty
/// of this model — ovhcloud holds none of the duties this check evidences (1.1-r5)`). Empty
/// before the join.
pub fn attribution(c: &CheckReport, f: &FindingRef<'_>, lang: &str) -> String {
    let Some(a) = f.attribution else {
        return String::new();
    };
    if a.unassigned.is_none() {
        return duties_text(a.duties.iter().filter(|d| !d.suggested));
    }
    let owner = match (&a.owner, &a.owner_by) {
        (Some(o), Some(by)) => format!("{o} ({by}): "),
        (Some(o), None) => format!("{o}: "),
        (None, _) => String::new(),
    };
    let why = match a.unassigned.as_ref().map(|u| u.reason) {
        Some(UnassignedReason::NoDuty) => {
            let parts: Vec<&str> = f.reason.split("; ").collect();
            let why = c
                .no_duty
                .iter()
                .find(|n| {
                    n.reasons.is_empty()
                        || parts
                            .iter()
                            .any(|p| n.reasons.iter().any(|r| p.starts_with(r.as_str())))
                })
                .map_or("", |n| n.why.best(lang));
            format!("no duty of this model — {why}")
        }
        Some(UnassignedReason::NotReviewed) => {
            let suggested = duties_text(a.duties.iter().filter(|d| d.suggested));
            if suggested.is_empty() {
                "no duty of this model — the model does not review this check".to_string()
            } else {
                format!("the model does not review this check; suggested: {suggested}")
            }
        }
        Some(UnassignedReason::NoLinkForReason) => {
            "no duty of this model — the model links this check, not this reason".to_string()
        }
        Some(UnassignedReason::OwnerHoldsNoLinkedDuty) => {
            let linked = a
                .unassigned
                .as_ref()
                .map_or(String::new(), |u| u.linked.join(", "));
            match &a.owner {
                Some(o) => format!(
                    "no duty of this model — {o} holds none of the duties this check evidences ({linked})"
                ),
                None => format!("no duty of this model — nobody holds the duties this check evidences ({linked})"),
            }
        }
        None => String::new(),
    };
    format!("{owner}{why}")
}

/// The terminal rendering: duties by party and section, then the checks and failing items.
pub fn table(r: &Report, lang: &str, color: bool, max_items: usize) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{} {} ({} {}, {})",
        paint("onus audit", "1", color),
        r.model.id,
        r.model.provider,
        r.model.service,
        r.model.version
    );
    let _ = writeln!(
        o,
        "{} from {}, judged at {}\n",
        plural(r.objects, "object", "objects"),
        plural(r.inputs.len(), "input", "inputs"),
        human_time(&r.now)
    );
    for p in &r.parties {
        let duties: usize = p.sections.iter().map(|s| s.duties.len()).sum();
        let _ = writeln!(
            o,
            "{} ({}): {} — {}{}",
            paint(p.name.best(lang), "1", color),
            p.kind,
            plural(duties, "duty", "duties"),
            counts_line(&p.summary),
            match (p.items, p.items_without_duty) {
                (0, _) => String::new(),
                (n, 0) => format!("; {} to fix", plural(n, "failing item", "failing items")),
                (n, w) => format!(
                    "; {} to fix ({w} on no duty of the model)",
                    plural(n, "failing item", "failing items")
                ),
            }
        );
        // The id column is as wide as this party's longest id, within reason.
        let idw = p
            .sections
            .iter()
            .flat_map(|s| &s.duties)
            .map(|d| d.activity.chars().count())
            .max()
            .unwrap_or(0)
            .clamp(6, 24);
        for sec in &p.sections {
            let title = sec.title.best(lang);
            let _ = match &sec.number {
                Some(n) => writeln!(o, "  {n} {title}"),
                None => writeln!(o, "  {title}"),
            };
            for d in &sec.duties {
                let (label, code) = duty_label(d.status);
                let _ = writeln!(
                    o,
                    "    {} {:<idw$} {}",
                    paint(&format!("{label:<8}"), code, color),
                    d.activity,
                    shorten(d.text.best(lang), 86usize.saturating_sub(idw).max(30))
                );
                if let Some(c) = &d.condition {
                    let _ = writeln!(
                        o,
                        "    {:8} {:<idw$} held on this cluster because: {}",
                        "",
                        "",
                        c.why.best(lang)
                    );
                }
                let evidence = |suggested: bool| -> Vec<String> {
                    d.evidence
                        .iter()
                        .filter(|e| e.link.suggested == suggested)
                        .map(|e| {
                            let reasons = if e.link.reasons.is_empty() {
                                String::new()
                            } else {
                                format!(" [{}]", e.link.reasons.join(", "))
                            };
                            let n = match (e.failing, e.errors) {
                                (0, 0) => String::new(),
                                (f, 0) => format!(": {}", plural(f, "item", "items")),
                                (f, e) => format!(": {}, {e} in error", plural(f, "item", "items")),
                            };
                            format!("{}{reasons} ({}{n})", e.check, e.status.as_str())
                        })
                        .collect()
                };
                let reviewed = evidence(false);
                if !reviewed.is_empty() {
                    let _ = writeln!(
                        o,
                        "    {:8} {:<idw$} checks: {}",
                        "",
                        "",
                        reviewed.join(", ")
                    );
                } else if d.status == DutyStatus::NeedsAttestation {
                    let _ = writeln!(
                        o,
                        "    {:8} {:<idw$} no automated evidence: needs attestation",
                        "", ""
                    );
                }
                let suggested = evidence(true);
                if !suggested.is_empty() {
                    let _ = writeln!(
                        o,
                        "    {:8} {:<idw$} suggested evidence (not reviewed, not counted): {}",
                        "",
                        "",
                        suggested.join(", ")
                    );
                }
                if let Some(a) = &d.attestation {
                    let _ = writeln!(o, "    {:8} {:<idw$} {}", "", "", attestation_line(a));
                }
            }
        }
        o.push('\n');
    }
    let _ = writeln!(o, "{}", paint("Checks", "1", color));
    for report in &r.checks {
        let c = &report.result;
        let (label, code) = check_label(c.status);
        let failing = if c.failures.is_empty() {
            String::new()
        } else {
            format!("  {}/{} failing", c.failures.len(), c.checked)
        };
        let _ = writeln!(
            o,
            "  {} {:<32} {:<8} {}{}",
            paint(&format!("{label:<5}"), code, color),
            c.id,
            c.severity.as_str(),
            c.title.best(lang),
            failing
        );
        for f in c.failures.iter().chain(&c.errors).take(max_items) {
            let place = match (&f.file, f.line) {
                (Some(file), Some(line)) => format!("  ({file}:{line})"),
                _ => String::new(),
            };
            let _ = writeln!(
                o,
                "        ✗ {}  {}{}",
                f.id,
                f.reason,
                paint(&place, "2", color)
            );
            let who = attribution(report, &f, lang);
            if !who.is_empty() {
                let _ = writeln!(o, "          → {who}");
            }
        }
        let more = (c.failures.len() + c.errors.len()).saturating_sub(max_items);
        if more > 0 {
            let _ = writeln!(o, "        … and {more} more (use -o json for all)");
        }
        if c.status == CheckStatus::Fail {
            let _ = writeln!(o, "        fix: {}", c.remediation.best(lang));
        }
    }
    if !r.problems.is_empty() {
        let _ = writeln!(o, "\n{}", paint("Input problems", "1", color));
        for p in &r.problems {
            let _ = writeln!(o, "  {}:{}: {}", p.file, p.line, p.message);
        }
    }
    let count = |s: CheckStatus| r.checks.iter().filter(|c| c.result.status == s).count();
    let _ = writeln!(
        o,
        "\n{} checks: {} pass, {} fail, {} error, {} not applicable",
        r.checks.len(),
        count(CheckStatus::Pass),
        count(CheckStatus::Fail),
        count(CheckStatus::Error),
        count(CheckStatus::NotApplicable)
    );
    o
}

/// What an attestation says and whether it still holds: `attested 2025-03-02 by Jane, valid
/// until 2025-04-01`, or `attestation expired 2025-04-01 (done 2025-03-02 by Jane): overdue`.
pub fn attestation_line(a: &onus_audit::join::AttestationReport) -> String {
    match (&a.due, a.attested) {
        (Some(due), true) => format!(
            "attested {} by {}, valid until {}",
            a.date,
            a.by,
            human_date(due)
        ),
        (Some(due), false) => format!(
            "attestation expired {} (done {} by {}): overdue, attest again",
            human_date(due),
            a.date,
            a.by
        ),
        (None, true) => format!("attested {} by {}", a.date, a.by),
        (None, false) => format!("attested {} by {}, a date still to come", a.date, a.by),
    }
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// Whether an item is for `party` (every item when `None`).
fn for_party(f: &FindingRef<'_>, party: Option<&str>) -> bool {
    party.is_none_or(|p| f.parties().iter().any(|x| x == p))
}

/// SARIF 2.1.0: one rule per check, one result per failing item, located when the item's
/// object came from a file, with the parties that can fix it in `properties`. With `party`,
/// only that party's items.
pub fn sarif(r: &Report, lang: &str, party: Option<&str>) -> String {
    let rules: Vec<serde_json::Value> = r
        .checks
        .iter()
        .map(|c| {
            let c = &c.result;
            serde_json::json!({
                "id": c.id,
                "name": c.id,
                "shortDescription": {"text": c.title.best(lang)},
                "help": {"text": c.remediation.best(lang)},
                "defaultConfiguration": {"level": sarif_level(c.severity)},
                "properties": {"severity": c.severity.as_str(), "topics": c.topics, "status": c.status.as_str()},
            })
        })
        .collect();
    let mut results = Vec::new();
    for (i, c) in r.checks.iter().enumerate() {
        for f in c
            .result
            .failures
            .iter()
            .chain(&c.result.errors)
            .filter(|f| for_party(f, party))
        {
            let who = attribution(c, &f, lang);
            let mut props =
                serde_json::json!({"item": f.id, "reason": f.reason, "parties": f.parties()});
            if let Some(a) = f.attribution {
                props["owner"] = a.owner.clone().into();
                props["duties"] = serde_json::to_value(&a.duties).unwrap_or_default();
                if let Some(u) = &a.unassigned {
                    props["unassigned"] = u.reason.as_str().into();
                }
                props["attribution"] = who.clone().into();
            }
            let mut res = serde_json::json!({
                "ruleId": c.result.id,
                "ruleIndex": i,
                "level": sarif_level(c.result.severity),
                "message": {"text": if who.is_empty() { format!("{}: {}", f.id, f.reason) } else { format!("{}: {} → {who}", f.id, f.reason) }},
                "partialFingerprints": {"onusItem/v1": format!("{}|{}", c.result.id, f.id)},
                "properties": props,
            });
            if let (Some(file), Some(line)) = (&f.file, f.line) {
                res["locations"] = serde_json::json!([{"physicalLocation": {"artifactLocation": {"uri": file}, "region": {"startLine": line.max(1)}}}]);
            }
            results.push(res);
        }
    }
    let doc = serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "onus", "informationUri": "https://example.invalid/onus", "version": env!("CARGO_PKG_VERSION"), "rules": rules}},
            "results": results,
            "properties": {"model": r.model.id, "now": r.now, "party": party},
        }],
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

fn xml(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => o.push(c),
        }
    }
    o
}

/// JUnit XML: a suite of checks (a failing check is a failed test case listing its items,
/// each with whose it is) and a suite of duties per party (failed or overdue duties fail;
/// those needing attestation are skipped). With `party`, a check fails only on that party's
/// items, and only its duties are listed.
pub fn junit(r: &Report, lang: &str, party: Option<&str>) -> String {
    let mut suites = String::new();
    let (mut total, mut failed, mut errored, mut skipped) = (0, 0, 0, 0);
    let mut cases = String::new();
    let (mut t, mut f, mut e, mut s) = (0, 0, 0, 0);
    for report in &r.checks {
        let c = &report.result;
        t += 1;
        let _ = write!(
            cases,
            "    <testcase classname=\"onus.checks\" name=\"{}\">",
            xml(&c.id)
        );
        let line = |x: FindingRef<'_>| {
            let who = attribution(report, &x, lang);
            if who.is_empty() {
                format!("{}: {}", x.id, x.reason)
            } else {
                format!("{}: {} → {who}", x.id, x.reason)
            }
        };
        let lines = |f: &onus_audit::Findings| -> Vec<String> {
            f.iter().filter(|x| for_party(x, party)).map(line).collect()
        };
        let (failing, erring) = (lines(&c.failures), lines(&c.errors));
        // For one party, a check fails only on its items.
        let status = match (party, c.status) {
            (Some(_), CheckStatus::Fail | CheckStatus::Error) if !failing.is_empty() => {
                CheckStatus::Fail
            }
            (Some(_), CheckStatus::Fail | CheckStatus::Error) if !erring.is_empty() => {
                CheckStatus::Error
            }
            (Some(_), CheckStatus::Fail | CheckStatus::Error) => CheckStatus::Pass,
            (_, s) => s,
        };
        match status {
            CheckStatus::Fail => {
                f += 1;
                let items = failing;
                let _ = write!(
                    cases,
                    "<failure type=\"{}\" message=\"{}\">{}</failure>",
                    c.severity.as_str(),
                    xml(&format!(
                        "{} failing of {}: {}",
                        items.len(),
                        c.checked,
                        c.title.best(lang)
                    )),
                    xml(&items.join("\n"))
                );
            }
            CheckStatus::Error => {
                e += 1;
                let items = erring;
                let _ = write!(
                    cases,
                    "<error message=\"evaluation failed\">{}</error>",
                    xml(&items.join("\n"))
                );
            }
            CheckStatus::NotApplicable => {
                s += 1;
                cases.push_str("<skipped message=\"nothing to judge\"/>");
            }
            CheckStatus::Pass => {}
        }
        cases.push_str("</testcase>\n");
    }
    let _ = writeln!(suites, "  <testsuite name=\"checks\" tests=\"{t}\" failures=\"{f}\" errors=\"{e}\" skipped=\"{s}\">\n{cases}  </testsuite>");
    (total, failed, errored, skipped) = (total + t, failed + f, errored + e, skipped + s);
    for p in r.parties.iter().filter(|p| party.is_none_or(|x| x == p.id)) {
        let mut cases = String::new();
        let (mut t, mut f, mut e, mut s) = (0, 0, 0, 0);
        for sec in &p.sections {
            for d in &sec.duties {
                t += 1;
                let _ = write!(
                    cases,
                    "    <testcase classname=\"onus.duties.{}\" name=\"{} {}\">",
                    xml(&p.id),
                    xml(&d.activity),
                    xml(&shorten(d.text.best(lang), 100))
                );
                match d.status {
                    DutyStatus::Fail => {
                        f += 1;
                        let failing: Vec<String> = d
                            .evidence
                            .iter()
                            .filter(|e| !e.link.suggested && e.failing > 0)
                            .map(|e| {
                                format!("{} ({})", e.check, plural(e.failing, "item", "items"))
                            })
                            .collect();
                        let _ = write!(
                            cases,
                            "<failure message=\"{}\"/>",
                            xml(&format!("failing checks: {}", failing.join(", ")))
                        );
                    }
                    DutyStatus::Overdue => {
                        f += 1;
                        cases.push_str("<failure message=\"attestation overdue\"/>");
                    }
                    DutyStatus::Error => {
                        e += 1;
                        cases.push_str("<error message=\"a check could not be evaluated\"/>");
                    }
                    DutyStatus::NeedsAttestation => {
                        s += 1;
                        cases.push_str(
                            "<skipped message=\"no automated evidence: needs attestation\"/>",
                        );
                    }
                    DutyStatus::NotApplicable => {
                        s += 1;
                        cases.push_str("<skipped message=\"nothing to judge\"/>");
                    }
                    DutyStatus::Pass | DutyStatus::Attested => {}
                }
                cases.push_str("</testcase>\n");
            }
        }
        let _ = writeln!(suites, "  <testsuite name=\"duties: {}\" tests=\"{t}\" failures=\"{f}\" errors=\"{e}\" skipped=\"{s}\">\n{cases}  </testsuite>", xml(p.name.best(lang)));
        (total, failed, errored, skipped) = (total + t, failed + f, errored + e, skipped + s);
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"onus audit {}\" tests=\"{total}\" failures=\"{failed}\" errors=\"{errored}\" skipped=\"{skipped}\">\n{suites}</testsuites>\n",
        xml(&r.model.id)
    )
}

mod html;
pub use html::html;
