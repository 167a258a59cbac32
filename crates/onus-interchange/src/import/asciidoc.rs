//! Reads AsciiDoc as Red Hat publishes its OpenShift documentation (ROSA, OpenShift
//! Dedicated): a `= Title` with `:attribute: value` lines, `==` section titles, `.Block
//! titles`, and `|===` tables, with `[cols="..."]` and `options="header"`, cell specifiers
//! (`a|`, `h|`, `2+|` column spans, `.2+|` row spans), cells that run over several lines,
//! `{attribute}` references, `ifdef::`/`ifndef::` conditionals and `footnote:[...]` macros.
//!
//! There is no well-kept AsciiDoc parser crate (asciidoctor is Ruby; the Rust ports do not
//! read tables with spans); tables are a small, well-specified part of the language, so this
//! reader handles them itself and reports what it cannot follow (`include::`).

use std::collections::HashMap;

use super::cells::footnote_definition;
use super::form::{Doc, Heading, Loc, Row, Table};
use super::ImportError;

/// Reads an AsciiDoc document into the importer's intermediate form.
pub(crate) fn read(file: &str, text: &str) -> Result<Doc, ImportError> {
    let mut doc = Doc::new(file);
    let mut attrs: HashMap<String, String> = HashMap::new();
    // Conditionals: whether each open `ifdef`/`ifndef` includes its lines.
    let mut cond: Vec<bool> = Vec::new();
    let mut block_title: Option<(String, usize)> = None;
    let mut table_attrs: Option<String> = None;
    let mut in_comment = false;
    let mut open: Option<(OpenTable, Vec<(usize, String)>)> = None;
    let mut last_table: Option<usize> = None;

    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim_end();
        if line == "////" {
            in_comment = !in_comment;
            continue;
        }
        if in_comment || (line.starts_with("//") && !line.starts_with("///")) {
            continue;
        }
        if let Some(c) = conditional(line, &attrs) {
            match c {
                Cond::Open(on) => cond.push(on),
                Cond::Close => {
                    cond.pop();
                }
                Cond::Inline(on, content) => {
                    if on && cond.iter().all(|&c| c) {
                        // The content of a one-line conditional is one ordinary line.
                        if let Some((_, lines)) = open.as_mut() {
                            lines.push((line_no, content));
                        }
                    }
                }
            }
            continue;
        }
        if !cond.iter().all(|&c| c) {
            continue;
        }
        if let Some((t, mut lines)) = open.take() {
            if line == "|===" {
                let rows = t.rows(&lines, &attrs, &mut doc);
                doc.tables.push(Table {
                    heading: doc.headings.len().checked_sub(1),
                    sheet: None,
                    rows: rows.0,
                    header_known: rows.1,
                    footnotes: Vec::new(),
                });
                last_table = Some(doc.tables.len() - 1);
            } else {
                lines.push((line_no, line.to_string()));
                open = Some((t, lines));
            }
            continue;
        }
        if line == "|===" {
            if let Some((title, l)) = block_title.take() {
                // A table's block title names it: a section of its own under the current one.
                let level = doc.headings.last().map_or(1, |h| h.level + 1);
                doc.headings.push(Heading {
                    level,
                    text: title,
                    id: None,
                    line: l,
                });
            }
            let spec = table_attrs.take().unwrap_or_default();
            open = Some((OpenTable::new(&spec, line_no), Vec::new()));
            continue;
        }
        if let Some(rest) = line.strip_prefix("include::") {
            doc.warn(
                &Loc {
                    sheet: None,
                    line: Some(line_no),
                },
                None,
                None,
                format!(
                    "`include::{rest}` is not followed; import the assembled page (or the included file itself)"
                ),
            );
            continue;
        }
        if let Some((name, value)) = attribute(line) {
            let value = substitute(&value, &attrs);
            match name.as_str() {
                "revdate" | "docdate" => doc.front.updated = Some(value.clone()),
                "lang" => doc.front.language = Some(value.clone()),
                "revnumber" => doc.front.version = Some(value.clone()),
                "description" => doc.front.description = Some(value.clone()),
                _ => {}
            }
            attrs.insert(name, value);
            continue;
        }
        if let Some((level, title)) = section_title(line) {
            let title = inline(&substitute(&title, &attrs));
            if level == 0 {
                doc.front.title = Some(title);
            } else {
                doc.headings.push(Heading {
                    level: level + 1,
                    text: title,
                    id: None,
                    line: line_no,
                });
            }
            last_table = None;
            block_title = None;
            continue;
        }
        if line.starts_with('[') && line.ends_with(']') {
            table_attrs = Some(line.to_string());
            continue;
        }
        if let Some(t) = line.strip_prefix('.') {
            if !t.is_empty() && !t.starts_with(['.', ' ']) {
                block_title = Some((inline(&substitute(t, &attrs)), line_no));
                continue;
            }
        }
        if line.is_empty() {
            table_attrs = None;
            continue;
        }
        // Paragraphs and list items after a table may define its footnote markers
        // (`* text`, `(1) text`): AsciiDoc's `*` bullet is one.
        if let Some(ti) = last_table {
            let p = substitute(line, &attrs);
            if let Some(def) = footnote_definition(&p) {
                doc.tables[ti].footnotes.push((def.0, inline(&def.1)));
            }
        }
    }
    if let Some((t, _)) = open {
        doc.warn(
            &Loc {
                sheet: None,
                line: Some(t.line),
            },
            None,
            Some("|==="),
            "table not closed by `|===`; ignored",
        );
    }
    Ok(doc)
}

enum Cond {
    Open(bool),
    Close,
    Inline(bool, String),
}

/// `ifdef::a[]`, `ifndef::a,b[]`, `endif::[]`, `ifdef::a[one line]`.
fn conditional(line: &str, attrs: &HashMap<String, String>) -> Option<Cond> {
    if line.starts_with("endif::") && line.ends_with(']') {
        return Some(Cond::Close);
    }
    let (neg, rest) = if let Some(r) = line.strip_prefix("ifdef::") {
        (false, r)
    } else if let Some(r) = line.strip_prefix("ifndef::") {
        (true, r)
    } else {
        return None;
    };
    let open = rest.find('[')?;
    let names = &rest[..open];
    let content = rest[open + 1..].strip_suffix(']')?;
    // `a,b`: any is defined; `a+b`: all are.
    let defined = if names.contains('+') {
        names.split('+').all(|n| attrs.contains_key(n.trim()))
    } else {
        names.split(',').any(|n| attrs.contains_key(n.trim()))
    };
    let on = defined != neg;
    Some(if content.is_empty() {
        Cond::Open(on)
    } else {
        Cond::Inline(on, content.to_string())
    })
}

/// `:name: value` (and `:name!:` unsets, read as an empty value).
fn attribute(line: &str) -> Option<(String, String)> {
    let rest = line.strip_prefix(':')?;
    let end = rest.find(':')?;
    let name = rest[..end].trim_end_matches('!');
    if name.is_empty() || name.contains(char::is_whitespace) {
        return None;
    }
    Some((name.to_string(), rest[end + 1..].trim().to_string()))
}

/// `= Title` (level 0), `== Section` (level 1)...
fn section_title(line: &str) -> Option<(u8, String)> {
    let n = line.chars().take_while(|&c| c == '=').count();
    if n == 0 || n > 6 || !line[n..].starts_with(' ') {
        return None;
    }
    let t = line[n..].trim();
    (!t.is_empty()).then(|| ((n - 1) as u8, t.to_string()))
}

/// Replaces `{name}` by the attribute's value; unknown references stay as written.
fn substitute(s: &str, attrs: &HashMap<String, String>) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        match after.find('}') {
            Some(j) if attrs.contains_key(&after[..j]) => {
                out.push_str(&attrs[&after[..j]]);
                rest = &after[j + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Inline markup to plain text: `*bold*`, `_italic_`, `` `code` ``, `link:url[text]`,
/// `xref:file.adoc#id[text]`, `+passthrough+`.
fn inline(s: &str) -> String {
    let mut out = s.to_string();
    for mac in ["link:", "xref:", "https://", "http://"] {
        while let Some(i) = out.find(mac) {
            let Some(open) = out[i..].find('[').map(|o| o + i) else {
                break;
            };
            if out[i..open].contains(char::is_whitespace) {
                break;
            }
            let Some(close) = out[open..].find(']').map(|c| c + open) else {
                break;
            };
            let text = out[open + 1..close].to_string();
            let text = if text.is_empty() {
                out[i..open].to_string()
            } else {
                text
            };
            out.replace_range(i..=close, &text);
        }
    }
    // Constrained formatting marks around words.
    let mut plain = String::with_capacity(out.len());
    let chars: Vec<char> = out.chars().collect();
    for (k, &c) in chars.iter().enumerate() {
        if matches!(c, '*' | '_' | '`' | '+') {
            let prev = k.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(k + 1).copied();
            let opens = prev.is_none_or(|p| !p.is_alphanumeric())
                && next.is_some_and(|n| !n.is_whitespace() && n != c);
            let closes = next.is_none_or(|n| !n.is_alphanumeric())
                && prev.is_some_and(|p| !p.is_whitespace() && p != c);
            let paired = chars[k + 1..].contains(&c) || chars[..k].contains(&c);
            if (opens || closes) && paired {
                continue;
            }
        }
        plain.push(c);
    }
    plain.trim().to_string()
}

/// A table being read: its column count and whether its first row is a header.
struct OpenTable {
    line: usize,
    cols: Option<usize>,
    header: Option<bool>,
}

/// One cell as written: its specifier's spans, style and text lines.
struct RawCell {
    line: usize,
    colspan: usize,
    rowspan: usize,
    text: String,
}

impl OpenTable {
    fn new(spec: &str, line: usize) -> OpenTable {
        let attr = |name: &str| -> Option<String> {
            let i = spec.find(&format!("{name}="))?;
            let rest = &spec[i + name.len() + 1..];
            let v = if let Some(r) = rest.strip_prefix('"') {
                &r[..r.find('"')?]
            } else {
                rest.split([',', ']']).next()?
            };
            Some(v.to_string())
        };
        let cols = attr("cols").and_then(|c| {
            // `3` (three columns), `3*`, `1,2,2`, `2*,3`, `"30%,70%"`.
            if let Ok(n) = c.trim().parse::<usize>() {
                return (n > 0).then_some(n);
            }
            let mut n = 0;
            for part in c.split([',', ';']) {
                let p = part.trim();
                match p.split_once('*') {
                    Some((k, _)) if k.chars().all(|c| c.is_ascii_digit()) && !k.is_empty() => {
                        n += k.parse::<usize>().ok()?
                    }
                    _ => n += 1,
                }
            }
            (n > 0).then_some(n)
        });
        let options = attr("options").or_else(|| attr("opts")).unwrap_or_default();
        let header = if options.contains("header") || spec.contains("%header") {
            Some(true)
        } else if options.contains("noheader") || spec.contains("%noheader") {
            Some(false)
        } else {
            None
        };
        OpenTable { line, cols, header }
    }

    /// The table's rows, and whether the first is known to be the header.
    fn rows(
        &self,
        lines: &[(usize, String)],
        attrs: &HashMap<String, String>,
        doc: &mut Doc,
    ) -> (Vec<Row>, bool) {
        let mut cells: Vec<RawCell> = Vec::new();
        // AsciiDoc's implicit header: the first line holds every cell of the first row and
        // a blank line follows it.
        let first = lines.iter().position(|(_, l)| !l.trim().is_empty());
        let implicit = first.is_some_and(|f| {
            lines[f].1.trim_start().starts_with('|')
                && lines.get(f + 1).is_some_and(|(_, l)| l.trim().is_empty())
        });
        let mut first_line_cells = 0;
        for (k, (ln, l)) in lines.iter().enumerate() {
            let parts = split_cells(l);
            if parts.is_empty() {
                // A continuation line (or a blank line inside an `a|` cell).
                if let Some(c) = cells.last_mut() {
                    c.text.push('\n');
                    c.text.push_str(l.trim());
                }
                continue;
            }
            for (j, (spec, text)) in parts.into_iter().enumerate() {
                if j == 0 && spec.is_none() && text.is_some() && !l.trim_start().starts_with(['|'])
                {
                    // Text before the first `|` continues the previous cell.
                    if let Some(c) = cells.last_mut() {
                        c.text.push('\n');
                        c.text.push_str(text.as_deref().unwrap_or("").trim());
                    }
                    continue;
                }
                let (colspan, rowspan) = spans(spec.as_deref().unwrap_or(""));
                cells.push(RawCell {
                    line: *ln,
                    colspan,
                    rowspan,
                    text: text.unwrap_or_default().trim().to_string(),
                });
            }
            if Some(k) == first {
                first_line_cells = cells.iter().map(|c| c.colspan).sum();
            }
        }
        let ncols = self.cols.unwrap_or(first_line_cells).max(1);
        // Cells into rows, honouring column and row spans.
        let mut rows: Vec<Row> = Vec::new();
        let mut pending: Vec<usize> = vec![0; ncols]; // rows still covered by a row span
        let mut carried: Vec<String> = vec![String::new(); ncols];
        let mut cur: Vec<String> = Vec::new();
        let mut cur_line = 0;
        // Whether the row being filled has a cell of its own yet (not only spans from above).
        let mut own_cell = false;
        let mut it = cells.into_iter();
        loop {
            // Fill columns covered by row spans from above.
            while cur.len() < ncols && pending[cur.len()] > 0 {
                let c = cur.len();
                pending[c] -= 1;
                cur.push(carried[c].clone());
            }
            if cur.len() >= ncols {
                own_cell = false;
                rows.push(Row::new(
                    std::mem::take(&mut cur),
                    Loc {
                        sheet: None,
                        line: Some(cur_line),
                    },
                ));
                continue;
            }
            let Some(c) = it.next() else { break };
            if !own_cell {
                cur_line = c.line;
                own_cell = true;
            }
            let text = cell_text(&c.text, attrs, doc);
            for k in 0..c.colspan {
                let col = cur.len();
                if col >= ncols {
                    break;
                }
                if c.rowspan > 1 {
                    pending[col] = c.rowspan - 1;
                    carried[col] = text.clone();
                }
                cur.push(if k == 0 { text.clone() } else { String::new() });
            }
        }
        if !cur.is_empty() {
            doc.warn(
                &Loc {
                    sheet: None,
                    line: Some(cur_line),
                },
                None,
                cur.first().map(String::as_str),
                format!(
                    "last row has {} of the table's {ncols} cells; read with empty cells",
                    cur.len()
                ),
            );
            cur.resize(ncols, String::new());
            rows.push(Row::new(
                cur,
                Loc {
                    sheet: None,
                    line: Some(cur_line),
                },
            ));
        }
        let header = self.header.unwrap_or(implicit);
        (rows, header)
    }
}

/// Splits a line at unescaped `|` into `(specifier, text)` pairs; a line without `|` gives
/// nothing. Text before the first `|` comes first with no specifier.
fn split_cells(line: &str) -> Vec<(Option<String>, Option<String>)> {
    let mut out = Vec::new();
    let bytes: Vec<char> = line.chars().collect();
    let mut starts = Vec::new();
    for (i, &c) in bytes.iter().enumerate() {
        if c == '|' && (i == 0 || bytes[i - 1] != '\\') {
            starts.push(i);
        }
    }
    if starts.is_empty() {
        return out;
    }
    // The specifier is the token right before `|` (`a`, `2+`, `.2+^.^a`).
    let before: String = bytes[..starts[0]].iter().collect();
    let (lead, spec0) = split_spec(&before);
    if !lead.trim().is_empty() {
        out.push((None, Some(lead.to_string())));
    }
    let mut spec = spec0;
    for (k, &s) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(bytes.len());
        let seg: String = bytes[s + 1..end].iter().collect();
        let (text, next_spec) = if k + 1 < starts.len() {
            let (t, sp) = split_spec(&seg);
            (t.to_string(), sp)
        } else {
            (seg.clone(), None)
        };
        out.push((
            Some(spec.take().unwrap_or_default()),
            Some(text.replace("\\|", "|")),
        ));
        spec = next_spec;
    }
    out
}

/// `text 2+` → (`text `, `2+`): a cell specifier glued to the next `|` belongs to the next
/// cell. It must stand alone (the whole segment, or after white space).
fn split_spec(seg: &str) -> (&str, Option<String>) {
    let trimmed = seg.trim_end();
    if trimmed.len() != seg.len() {
        return (seg, None); // `|text |`: white space before `|`, no specifier
    }
    let start = trimmed.rfind(char::is_whitespace).map_or(0, |i| i + 1);
    let tok = &trimmed[start..];
    if is_spec(tok) {
        (&seg[..start], Some(tok.to_string()))
    } else {
        (seg, None)
    }
}

/// `2+`, `.3+`, `2.3+`, `3*`, `^.^a`, `h`, `a`: AsciiDoc's cell specifier grammar
/// (`[span][align][style]`).
fn is_spec(tok: &str) -> bool {
    let mut rest = tok;
    let digits = |s: &str| s.chars().take_while(char::is_ascii_digit).count();
    // Duplication `3*` or span `2+`, `.3+`, `2.3+`.
    let n = digits(rest);
    if rest[n..].starts_with('*') && n > 0 {
        rest = &rest[n + 1..];
    } else {
        let mut k = n;
        if rest[k..].starts_with('.') {
            let m = digits(&rest[k + 1..]);
            if m > 0 {
                k += 1 + m;
            }
        }
        if k > 0 && rest[k..].starts_with('+') {
            rest = &rest[k + 1..];
        }
    }
    for align in [&['<', '^', '>'][..], &['<', '^', '>'][..]] {
        if rest.starts_with('.') && rest[1..].starts_with(align) {
            rest = &rest[2..];
        } else if rest.starts_with(align) {
            rest = &rest[1..];
        }
    }
    if rest.len() == 1 && "adehlmsv".contains(rest) {
        rest = "";
    }
    rest.is_empty() && !tok.is_empty()
}

/// Column and row spans of a specifier: `2+` spans two columns, `.3+` three rows, `2.3+` both.
fn spans(spec: &str) -> (usize, usize) {
    let Some(plus) = spec.find('+') else {
        return (1, 1);
    };
    let nums = &spec[..plus];
    let (c, r) = match nums.split_once('.') {
        Some((c, r)) => (c, r),
        None => (nums, ""),
    };
    (
        c.parse().unwrap_or(1).clamp(1, 64),
        r.parse().unwrap_or(1).clamp(1, 1000),
    )
}

/// A cell's text: attributes substituted, list bullets and inline markup dropped,
/// `footnote:[...]` turned into a numbered marker whose text the document keeps.
fn cell_text(raw: &str, attrs: &HashMap<String, String>, doc: &mut Doc) -> String {
    let mut s = substitute(raw, attrs);
    while let Some(i) = s.find("footnote:[") {
        let Some(end) = s[i..].find(']').map(|e| e + i) else {
            break;
        };
        let text = s[i + "footnote:[".len()..end].to_string();
        let n = doc.footnotes.len() + 1;
        doc.footnotes.push((n.to_string(), inline(&text)));
        s.replace_range(i..=end, &format!("[^{n}]"));
    }
    s.lines()
        .map(|l| {
            let l = l.trim();
            let l = l
                .strip_prefix("* ")
                .or_else(|| l.strip_prefix("** "))
                .or_else(|| l.strip_prefix("- "))
                .unwrap_or(l);
            inline(l)
        })
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(src: &str) -> (Vec<Vec<String>>, bool) {
        let d = read("t.adoc", src).unwrap();
        let t = &d.tables[0];
        (
            t.rows.iter().map(|r| r.cells.clone()).collect(),
            t.header_known,
        )
    }

    #[test]
    fn tables_with_implicit_headers_spans_and_continuations() {
        let (r, header) = rows(
            "= Doc\n:product-title: ROSA\n\n[cols=\"3\"]\n|===\n|Resource |Red Hat |Customer\n\n|{product-title} nodes\n|R\n|A\n\n.2+|Logging |RA\n|I\n|I |RA\n|===\n",
        );
        assert!(header);
        assert_eq!(r[0], ["Resource", "Red Hat", "Customer"]);
        assert_eq!(r[1], ["ROSA nodes", "R", "A"]);
        assert_eq!(r[2], ["Logging", "RA", "I"]);
        assert_eq!(r[3], ["Logging", "I", "RA"]);
    }

    #[test]
    fn conditionals_attributes_and_inline_markup() {
        let d = read(
            "t.adoc",
            ":openshift-rosa:\n= ROSA\n\nifdef::openshift-dedicated[]\n== Dedicated only\nendif::openshift-dedicated[]\nifdef::openshift-rosa[]\n== *Overview* of link:https://x[responsibilities]\nendif::[]\n",
        )
        .unwrap();
        let titles: Vec<&str> = d.headings.iter().map(|h| h.text.as_str()).collect();
        assert_eq!(titles, ["Overview of responsibilities"]);
        assert_eq!(d.front.title.as_deref(), Some("ROSA"));
    }

    #[test]
    fn spans_and_specifiers() {
        assert_eq!(spans("2+"), (2, 1));
        assert_eq!(spans(".3+"), (1, 3));
        assert_eq!(spans("a"), (1, 1));
        assert_eq!(split_cells("a|x |y").len(), 2);
        assert!(split_cells("no cells here").is_empty());
    }
}
