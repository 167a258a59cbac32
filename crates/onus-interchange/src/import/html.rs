//! Reads the tables of an HTML page saved from a provider's documentation site: `<h1>` to
//! `<h6>` headings, `<table>`s (header cells, `colspan`, `rowspan`, `<br>` and lists inside
//! cells), footnote definitions in the paragraphs or list items after a table, the page's
//! `<title>`, `lang` and modification date.
//!
//! Parsing uses `scraper` over html5ever, the WHATWG-conformant parser Servo uses: saved
//! pages are tag soup (unclosed `<td>` and `<p>`, `<tbody>` left implicit, scripts and
//! templates around the content) and only a browser-grade tree builder reads them as a
//! browser shows them. scraper does not expose source positions, so rows and headings are
//! located by counting their start tags in the source (html5ever makes one element per start
//! tag of these names; comments, scripts and styles are skipped when counting).

use std::collections::HashMap;

use scraper::{ElementRef, Html, Node};

use super::cells::footnote_definition;
use super::form::{Doc, Heading, Loc, Row, Table};
use super::ImportError;

/// Reads an HTML page into the importer's intermediate form.
pub(crate) fn read(file: &str, text: &str) -> Result<Doc, ImportError> {
    let mut doc = Doc::new(file);
    let html = Html::parse_document(text);
    let root = html.root_element();
    let lines = TagLines::new(text);
    if let Some(lang) = root.attr("lang") {
        doc.front.language = lang
            .split(['-', '_'])
            .next()
            .map(|l| l.to_ascii_lowercase())
            .filter(|l| !l.is_empty());
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    // Each `tr`'s place among the page's `tr`s, which locates it in the source.
    let tr_nth: HashMap<_, usize> = root
        .descendent_elements()
        .filter(|e| e.value().name() == "tr")
        .enumerate()
        .map(|(i, e)| (e.id(), i))
        .collect();
    let mut last_table: Option<usize> = None;
    for el in root.descendent_elements() {
        let name = el.value().name();
        let nth = {
            let n = seen.entry(name).or_insert(0);
            *n += 1;
            *n - 1
        };
        match name {
            "title" if doc.front.title.is_none() => {
                doc.front.title = Some(squash(&text_of(el)));
            }
            "meta" => {
                let k = el
                    .attr("name")
                    .or_else(|| el.attr("property"))
                    .unwrap_or("")
                    .to_ascii_lowercase();
                let v = el.attr("content").unwrap_or("").trim();
                match k.as_str() {
                    "description" | "og:description" if doc.front.description.is_none() => {
                        doc.front.description = Some(v.to_string());
                    }
                    "date" | "dcterms.modified" | "last-modified" | "article:modified_time"
                        if doc.front.updated.is_none() && v.len() >= 10 =>
                    {
                        doc.front.updated = v.get(..10).map(str::to_string);
                    }
                    _ => {}
                }
            }
            "time" if doc.front.updated.is_none() => {
                doc.front.updated = el
                    .attr("datetime")
                    .and_then(|d| d.get(..10))
                    .map(str::to_string);
            }
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" if !inside(el, "table") => {
                let level = name[1..].parse::<u8>().unwrap_or(1);
                let t = squash(&text_of(el));
                if t.is_empty() {
                    continue;
                }
                // The page's first `<h1>` is its title, as in Markdown; headings nest below it.
                doc.headings.push(Heading {
                    level,
                    text: t,
                    id: None,
                    line: lines.line(name, nth).unwrap_or(0),
                });
                last_table = None;
            }
            "table" if !inside(el, "table") => {
                let line_of =
                    |tr: ElementRef| tr_nth.get(&tr.id()).and_then(|&n| lines.line("tr", n));
                let rows = table_rows(el, &line_of);
                doc.tables.push(Table {
                    heading: doc.headings.len().checked_sub(1),
                    sheet: None,
                    header_known: el
                        .descendent_elements()
                        .find(|e| e.value().name() == "tr")
                        .is_some_and(|tr| tr.child_elements().all(|c| c.value().name() == "th")),
                    rows,
                    footnotes: Vec::new(),
                });
                last_table = Some(doc.tables.len() - 1);
            }
            "p" | "li" if !inside(el, "table") => {
                if let Some(ti) = last_table {
                    for l in text_of(el).lines() {
                        if let Some(def) = footnote_definition(l) {
                            doc.tables[ti].footnotes.push(def);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    if doc.front.title.is_none() {
        doc.front.title = doc
            .headings
            .iter()
            .find(|h| h.level == 1)
            .map(|h| h.text.clone());
    }
    Ok(doc)
}

/// Whether an element stands inside an element named `name`.
fn inside(el: ElementRef, name: &str) -> bool {
    el.ancestors()
        .filter_map(ElementRef::wrap)
        .any(|a| a.value().name() == name)
}

/// The rows of a table (not of tables nested in it), spans expanded: a cell spanning two
/// columns is followed by an empty cell; one spanning rows is repeated below.
fn table_rows(table: ElementRef, line_of: &dyn Fn(ElementRef) -> Option<usize>) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut carried: HashMap<usize, (usize, String)> = HashMap::new(); // col → (rows left, text)
    for tr in table
        .descendent_elements()
        .filter(|e| e.value().name() == "tr")
    {
        let owner = tr
            .ancestors()
            .filter_map(ElementRef::wrap)
            .find(|a| a.value().name() == "table");
        if owner.map(|o| o.id()) != Some(table.id()) {
            continue;
        }
        let mut cells: Vec<String> = Vec::new();
        for cell in tr
            .child_elements()
            .filter(|c| matches!(c.value().name(), "td" | "th"))
        {
            push_carried(&mut cells, &mut carried);
            let t = text_of(cell)
                .lines()
                .map(squash)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join("\n");
            let span = |a: &str, max: usize| {
                cell.attr(a)
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .unwrap_or(1)
                    .clamp(1, max)
            };
            let (colspan, rowspan) = (span("colspan", 64), span("rowspan", 1000));
            for k in 0..colspan {
                if rowspan > 1 {
                    carried.insert(cells.len(), (rowspan - 1, t.clone()));
                }
                cells.push(if k == 0 { t.clone() } else { String::new() });
            }
        }
        push_carried(&mut cells, &mut carried);
        rows.push(Row::new(
            cells,
            Loc {
                sheet: None,
                line: line_of(tr),
            },
        ));
    }
    rows
}

/// Fills the columns that cells spanning rows from above cover.
fn push_carried(cells: &mut Vec<String>, carried: &mut HashMap<usize, (usize, String)>) {
    while let Some((left, t)) = carried.get_mut(&cells.len()) {
        cells.push(t.clone());
        *left -= 1;
        if *left == 0 {
            carried.remove(&(cells.len() - 1));
        }
    }
}

/// An element's text as a reader sees it: `<br>`, paragraphs, list items and divisions on
/// lines of their own.
fn text_of(el: ElementRef) -> String {
    let mut out = String::new();
    for node in el.descendants() {
        match node.value() {
            Node::Text(t)
                if !node
                    .ancestors()
                    .filter_map(ElementRef::wrap)
                    .any(|a| matches!(a.value().name(), "script" | "style" | "template")) =>
            {
                out.push_str(t);
            }
            Node::Element(e)
                if matches!(e.name(), "br" | "p" | "li" | "div" | "tr") && !out.is_empty() =>
            {
                out.push('\n');
            }
            _ => {}
        }
    }
    out
}

/// White space folded to single spaces (HTML's rendering of text).
fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Lines of start tags in the source, per tag name, in order.
struct TagLines {
    tags: HashMap<String, Vec<usize>>,
}

impl TagLines {
    fn new(src: &str) -> TagLines {
        let mut tags: HashMap<String, Vec<usize>> = HashMap::new();
        let b = src.as_bytes();
        let mut line = 1;
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'\n' => line += 1,
                b'<' => {
                    // Skip comments, and the content of scripts and styles.
                    let rest = &src[i..];
                    let skip_to = if rest.starts_with("<!--") {
                        rest.find("-->").map(|e| e + 3)
                    } else if starts_ci(rest, "<script") || starts_ci(rest, "<style") {
                        let close = if starts_ci(rest, "<script") {
                            "</script"
                        } else {
                            "</style"
                        };
                        find_ci(rest, close)
                    } else {
                        None
                    };
                    if let Some(n) = skip_to {
                        line += rest[..n].matches('\n').count();
                        i += n;
                        continue;
                    }
                    let name: String = rest[1..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric())
                        .collect::<String>()
                        .to_ascii_lowercase();
                    if !name.is_empty() {
                        tags.entry(name).or_default().push(line);
                    }
                }
                _ => {}
            }
            i += 1;
        }
        TagLines { tags }
    }

    fn line(&self, name: &str, nth: usize) -> Option<usize> {
        self.tags.get(name).and_then(|v| v.get(nth)).copied()
    }
}

fn starts_ci(s: &str, prefix: &str) -> bool {
    s.get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

fn find_ci(s: &str, needle: &str) -> Option<usize> {
    s.to_ascii_lowercase().find(needle)
}

#[cfg(test)]
mod tests {
    #[test]
    fn tag_soup_reads_as_a_browser_shows_it() {
        let src = "<html lang=\"en-US\"><title>Doc</title>\n<h2>Matrix</h2>\n<!-- <tr> -->\n<table>\n<tr><th>Activity<th>Customer<th>Provider\n<tr><td>Back up<br>data<td>RA<td>I\n<tr><td rowspan=2>Patch<td colspan=2>R\n<tr><td>A\n</table>\n<p>* note</p>";
        let d = super::read("p.html", src).unwrap();
        assert_eq!(d.front.language.as_deref(), Some("en"));
        let t = &d.tables[0];
        assert!(t.header_known);
        let cells: Vec<Vec<String>> = t.rows.iter().map(|r| r.cells.clone()).collect();
        assert_eq!(cells[0], ["Activity", "Customer", "Provider"]);
        assert_eq!(cells[1], ["Back up\ndata", "RA", "I"]);
        assert_eq!(cells[2], ["Patch", "R", ""]);
        assert_eq!(cells[3], ["Patch", "A"]);
        assert_eq!(t.rows[1].loc.line, Some(6));
        assert_eq!(t.footnotes, [("*".to_string(), "note".to_string())]);
    }
}
