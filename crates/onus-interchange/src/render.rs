//! Diff and comparison results as plain text (for a terminal), Markdown or a self-contained
//! HTML page. Plain strings: no colours, no terminal handling.

use std::fmt::Write;

use crate::compare::{Comparison, Holder};
use crate::diff::{Diff, RoleChange};

fn cells(rc: &RoleChange) -> String {
    rc.parties
        .iter()
        .map(|p| format!("{}: {} → {}", p.name, or_dash(&p.old), or_dash(&p.new)))
        .collect::<Vec<_>>()
        .join("; ")
}

fn or_dash(s: &str) -> &str {
    if s.is_empty() {
        "–"
    } else {
        s
    }
}

/// The diff for a terminal.
pub fn diff_text(d: &Diff) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{} ({}, {})  →  {} ({}, {})\n",
        d.old.id, d.old.version, d.old.language, d.new.id, d.new.version, d.new.language
    );
    let _ = writeln!(o, "Responsibility shifts: {}", d.shifts.len());
    for s in &d.shifts {
        let _ = writeln!(o, "  {}  {}", s.new_id, s.text);
        if let Some(dir) = s.direction {
            let _ = writeln!(o, "      {}", dir.describe());
        }
        let _ = writeln!(o, "      {}", cells(s));
    }
    let _ = writeln!(o, "\nAdded activities: {}", d.added.len());
    for a in &d.added {
        let _ = writeln!(
            o,
            "  + {}  {}  [{}]",
            a.id,
            a.text,
            a.roles
                .iter()
                .map(|(p, l)| format!("{p} {l}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let _ = writeln!(o, "\nRemoved activities: {}", d.removed.len());
    for a in &d.removed {
        let _ = writeln!(
            o,
            "  - {}  {}  [{}]",
            a.id,
            a.text,
            a.roles
                .iter()
                .map(|(p, l)| format!("{p} {l}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !d.other_role_changes.is_empty() {
        let _ = writeln!(
            o,
            "\nOther role changes (C, I): {}",
            d.other_role_changes.len()
        );
        for s in &d.other_role_changes {
            let _ = writeln!(o, "  {}  {}\n      {}", s.new_id, s.text, cells(s));
        }
    }
    let _ = writeln!(o, "\nWording changes: {}", d.wording.len());
    for w in &d.wording {
        let _ = writeln!(
            o,
            "  {} {} [{}]\n      - {}\n      + {}",
            w.id,
            w.field,
            w.lang,
            w.old.as_deref().unwrap_or(""),
            w.new.as_deref().unwrap_or("")
        );
    }
    if !d.fields.is_empty() {
        let _ = writeln!(o, "\nOther changes: {}", d.fields.len());
        for f in &d.fields {
            let _ = writeln!(
                o,
                "  {} {}: {} → {}",
                f.id,
                f.field,
                or_dash(&f.old),
                or_dash(&f.new)
            );
        }
    }
    let st = &d.statements;
    if !(st.added.is_empty() && st.removed.is_empty() && st.changed.is_empty()) {
        let _ = writeln!(
            o,
            "\nStatements: added {:?}, removed {:?}, changed {:?}",
            st.added, st.removed, st.changed
        );
    }
    o
}

/// Escapes text for a Markdown table cell.
fn md(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('\n', "<br>")
        .replace('*', "\\*")
        .replace('_', "\\_")
}

/// The diff as Markdown.
pub fn diff_markdown(d: &Diff) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# {} → {}\n", md(&d.old.id), md(&d.new.id));
    let _ = writeln!(o, "## Responsibility shifts ({})\n", d.shifts.len());
    if !d.shifts.is_empty() {
        o.push_str("| Activity | Text | Change | Roles |\n| --- | --- | --- | --- |\n");
        for s in &d.shifts {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} |",
                md(&s.new_id),
                md(&s.text),
                s.direction.map_or("", |x| x.describe()),
                md(&cells(s))
            );
        }
        o.push('\n');
    }
    for (title, list) in [
        ("Added activities", &d.added),
        ("Removed activities", &d.removed),
    ] {
        let _ = writeln!(o, "## {title} ({})\n", list.len());
        for a in list {
            let _ = writeln!(o, "- `{}` {}", a.id, md(&a.text));
        }
        if !list.is_empty() {
            o.push('\n');
        }
    }
    if !d.other_role_changes.is_empty() {
        let _ = writeln!(
            o,
            "## Other role changes ({})\n",
            d.other_role_changes.len()
        );
        for s in &d.other_role_changes {
            let _ = writeln!(o, "- `{}` {}: {}", s.new_id, md(&s.text), md(&cells(s)));
        }
        o.push('\n');
    }
    let _ = writeln!(o, "## Wording changes ({})\n", d.wording.len());
    if !d.wording.is_empty() {
        o.push_str(
            "| Activity | Field | Lang | Before | After |\n| --- | --- | --- | --- | --- |\n",
        );
        for w in &d.wording {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} |",
                md(&w.id),
                w.field,
                w.lang,
                md(w.old.as_deref().unwrap_or("")),
                md(w.new.as_deref().unwrap_or(""))
            );
        }
        o.push('\n');
    }
    if !d.fields.is_empty() {
        let _ = writeln!(o, "## Other changes ({})\n", d.fields.len());
        for f in &d.fields {
            let _ = writeln!(
                o,
                "- `{}` {}: {} → {}",
                f.id,
                f.field,
                md(or_dash(&f.old)),
                md(or_dash(&f.new))
            );
        }
        o.push('\n');
    }
    o
}

/// Escapes text for HTML.
pub fn html_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem;max-width:80rem}table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .5rem;vertical-align:top;text-align:left}th{background:#1f4e78;color:#fff}.customer{background:#dbeafe}.provider{background:#ede9fe}.shared{background:#d7f0ee}.absent{color:#999}ul{margin:.2rem 0;padding-left:1.2rem}";

fn page(title: &str, body: &str) -> String {
    format!("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>\n{body}</body></html>\n", html_escape(title))
}

/// The diff as one self-contained HTML page.
pub fn diff_html(d: &Diff) -> String {
    let e = html_escape;
    let mut b = String::new();
    let _ = writeln!(b, "<h1>{} → {}</h1>", e(&d.old.id), e(&d.new.id));
    let _ = writeln!(b, "<h2>Responsibility shifts ({})</h2>", d.shifts.len());
    if !d.shifts.is_empty() {
        b.push_str("<table><tr><th>Activity</th><th>Text</th><th>Change</th><th>Roles</th></tr>\n");
        for s in &d.shifts {
            let _ = writeln!(
                b,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                e(&s.new_id),
                e(&s.text),
                s.direction.map_or("", |x| x.describe()),
                e(&cells(s))
            );
        }
        b.push_str("</table>\n");
    }
    for (title, list) in [
        ("Added activities", &d.added),
        ("Removed activities", &d.removed),
    ] {
        let _ = writeln!(b, "<h2>{title} ({})</h2><ul>", list.len());
        for a in list {
            let _ = writeln!(b, "<li><code>{}</code> {}</li>", e(&a.id), e(&a.text));
        }
        b.push_str("</ul>\n");
    }
    if !d.other_role_changes.is_empty() {
        let _ = writeln!(
            b,
            "<h2>Other role changes ({})</h2><ul>",
            d.other_role_changes.len()
        );
        for s in &d.other_role_changes {
            let _ = writeln!(
                b,
                "<li><code>{}</code> {}: {}</li>",
                e(&s.new_id),
                e(&s.text),
                e(&cells(s))
            );
        }
        b.push_str("</ul>\n");
    }
    let _ = writeln!(b, "<h2>Wording changes ({})</h2>", d.wording.len());
    if !d.wording.is_empty() {
        b.push_str("<table><tr><th>Activity</th><th>Field</th><th>Lang</th><th>Before</th><th>After</th></tr>\n");
        for w in &d.wording {
            let _ = writeln!(
                b,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                e(&w.id),
                e(&w.field),
                e(&w.lang),
                e(w.old.as_deref().unwrap_or("")),
                e(w.new.as_deref().unwrap_or(""))
            );
        }
        b.push_str("</table>\n");
    }
    page(&format!("{} → {}", d.old.id, d.new.id), &b)
}

fn holder_text(c: &crate::compare::TopicCell) -> String {
    if c.holder == Holder::Absent {
        return "—".into();
    }
    let mut s = c.holder.as_str().to_string();
    if !c.customer.is_empty() {
        let _ = write!(s, " (you: {})", c.customer.len());
    }
    s
}

/// The comparison for a terminal: one line per topic, then what each model leaves you.
pub fn compare_text(c: &Comparison) -> String {
    let mut o = String::new();
    let names: Vec<String> = c.models.iter().map(|m| m.id.clone()).collect();
    let w0 = c
        .topics
        .iter()
        .map(|r| r.title.chars().count())
        .max()
        .unwrap_or(5)
        .clamp(5, 40);
    let ws: Vec<usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            c.topics
                .iter()
                .map(|r| holder_text(&r.cells[i]).chars().count())
                .chain([n.chars().count()])
                .max()
                .unwrap_or(8)
        })
        .collect();
    let pad = |s: &str, w: usize| {
        let t: String = s.chars().take(w).collect();
        format!("{t}{}", " ".repeat(w.saturating_sub(t.chars().count())))
    };
    let _ = write!(o, "{}", pad("Topic", w0));
    for (n, w) in names.iter().zip(&ws) {
        let _ = write!(o, "  {}", pad(n, *w));
    }
    o.push('\n');
    let _ = write!(o, "{}", "─".repeat(w0));
    for w in &ws {
        let _ = write!(o, "  {}", "─".repeat(*w));
    }
    o.push('\n');
    for r in &c.topics {
        let _ = write!(o, "{}", pad(&r.title, w0));
        for (cell, w) in r.cells.iter().zip(&ws) {
            let _ = write!(o, "  {}", pad(&holder_text(cell), *w));
        }
        o.push('\n');
    }
    let _ = writeln!(o, "\n“you: n” counts the duties left with the customer (R or A, or a clause that binds the customer).");
    for (i, m) in c.models.iter().enumerate() {
        let _ = writeln!(
            o,
            "\nWhat you would do yourself on {} ({}, {}): {} duties",
            m.id, m.provider, m.service, m.customer_duties
        );
        let v = &c.customer[i];
        if !v.only_here.is_empty() {
            let titles: Vec<&str> = v
                .only_here
                .iter()
                .filter_map(|t| c.topics.iter().find(|r| &r.topic == t))
                .map(|r| r.title.as_str())
                .collect();
            let _ = writeln!(o, "  only here: {}", titles.join(", "));
        }
        if !v.spared_here.is_empty() {
            let titles: Vec<&str> = v
                .spared_here
                .iter()
                .filter_map(|t| c.topics.iter().find(|r| &r.topic == t))
                .map(|r| r.title.as_str())
                .collect();
            let _ = writeln!(
                o,
                "  done for you here, yours elsewhere: {}",
                titles.join(", ")
            );
        }
        for r in &c.topics {
            let duties = &r.cells[i].customer;
            if duties.is_empty() {
                continue;
            }
            let _ = writeln!(o, "  {}", r.title);
            for d in duties {
                let _ = writeln!(o, "    - {} [{}]", d.text, d.letters);
            }
        }
    }
    o
}

/// The comparison as Markdown.
pub fn compare_markdown(c: &Comparison) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# {}\n",
        c.models
            .iter()
            .map(|m| md(&m.id))
            .collect::<Vec<_>>()
            .join(" vs ")
    );
    let _ = writeln!(
        o,
        "| Topic | {} |",
        c.models
            .iter()
            .map(|m| md(&m.id))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    let _ = writeln!(o, "| --- |{}", " --- |".repeat(c.models.len()));
    for r in &c.topics {
        let _ = writeln!(
            o,
            "| {} | {} |",
            md(&r.title),
            r.cells
                .iter()
                .map(|x| md(&holder_text(x)))
                .collect::<Vec<_>>()
                .join(" | ")
        );
    }
    for (i, m) in c.models.iter().enumerate() {
        let _ = writeln!(
            o,
            "\n## What you would do yourself on {} ({} duties)\n",
            md(&m.id),
            m.customer_duties
        );
        let v = &c.customer[i];
        if !v.only_here.is_empty() {
            let _ = writeln!(o, "Only here: {}\n", v.only_here.join(", "));
        }
        for r in &c.topics {
            let duties = &r.cells[i].customer;
            if duties.is_empty() {
                continue;
            }
            let _ = writeln!(o, "- **{}**", md(&r.title));
            for d in duties {
                let _ = writeln!(o, "  - {} \\[{}\\]", md(&d.text), md(&d.letters));
            }
        }
    }
    o
}

/// The comparison as one self-contained HTML page.
pub fn compare_html(c: &Comparison) -> String {
    let e = html_escape;
    let title = c
        .models
        .iter()
        .map(|m| m.id.as_str())
        .collect::<Vec<_>>()
        .join(" vs ");
    let mut b = String::new();
    let _ = writeln!(b, "<h1>{}</h1>\n<table><tr><th>Topic</th>", e(&title));
    for m in &c.models {
        let _ = write!(b, "<th>{} ({})</th>", e(&m.id), e(&m.provider));
    }
    b.push_str("</tr>\n");
    for r in &c.topics {
        let _ = write!(b, "<tr><td>{}</td>", e(&r.title));
        for x in &r.cells {
            let class = match x.holder {
                Holder::Customer => "customer",
                Holder::Provider => "provider",
                Holder::Shared => "shared",
                _ => "absent",
            };
            let list: String = x
                .customer
                .iter()
                .map(|d| format!("<li>{} [{}]</li>", e(&d.text), e(&d.letters)))
                .collect();
            let _ = write!(
                b,
                "<td class=\"{class}\">{}{}</td>",
                e(&holder_text(x)),
                if list.is_empty() {
                    String::new()
                } else {
                    format!("<ul>{list}</ul>")
                }
            );
        }
        b.push_str("</tr>\n");
    }
    b.push_str("</table>\n");
    for (i, m) in c.models.iter().enumerate() {
        let _ = writeln!(
            b,
            "<h2>What you would do yourself on {} ({} duties)</h2>",
            e(&m.id),
            m.customer_duties
        );
        if !c.customer[i].only_here.is_empty() {
            let _ = writeln!(
                b,
                "<p>Only here: {}</p>",
                e(&c.customer[i].only_here.join(", "))
            );
        }
    }
    page(&title, &b)
}
