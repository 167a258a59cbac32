//! Reads Markdown as providers publish it: YAML front matter, numbered or unnumbered
//! headings, one table per section (an activity column, one column per party), footnote
//! markers in role cells with their texts in paragraphs after the table (`\* text`, `(1)
//! text`), in `* text` list items after a table whose cells carry `*` marks (Cloud Temple's
//! RACI), or as Markdown footnotes (`[^1]: ...`).

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use super::cells::footnote_definition;
use super::form::{parse_meta, Doc, Front, Heading, Loc, Row, Table, METADATA_KEY};
use super::ImportError;

/// Reads a Markdown document into the importer's intermediate form.
pub(crate) fn read(file: &str, text: &str) -> Result<Doc, ImportError> {
    let mut doc = Doc::new(file);
    let starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let line_of = |offset: usize| starts.partition_point(|&s| s <= offset);
    let opts = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
        | Options::ENABLE_HEADING_ATTRIBUTES;

    // What is being collected.
    enum In {
        Nothing,
        Meta(usize),
        Heading(u8, Option<String>, usize),
        Para,
        Footnote(String),
        /// A `*` list item right after a table with `*` marks: a footnote definition.
        StarItem,
    }
    let mut state = In::Nothing;
    let mut buf = String::new();
    let mut table: Option<Table> = None;
    let mut row: Option<Row> = None;
    let mut cell: Option<String> = None;
    // The table that paragraphs may define footnotes for: the last one, until a heading.
    let mut last_table: Option<usize> = None;
    let mut depth_in_list = 0usize;

    for (ev, range) in Parser::new_ext(text, opts).into_offset_iter() {
        let line = line_of(range.start);
        match ev {
            Event::Start(Tag::MetadataBlock(_)) => {
                state = In::Meta(line);
                buf.clear();
            }
            Event::End(TagEnd::MetadataBlock(_)) => {
                if let In::Meta(l) = state {
                    front_matter(&mut doc, &buf, l)?;
                }
                state = In::Nothing;
            }
            Event::Start(Tag::Heading { level, id, .. }) => {
                state = In::Heading(level as u8, id.map(|s| s.to_string()), line);
                buf.clear();
                last_table = None;
            }
            Event::End(TagEnd::Heading(_)) => {
                if let In::Heading(level, id, l) = std::mem::replace(&mut state, In::Nothing) {
                    doc.headings.push(Heading {
                        level,
                        text: buf.trim().to_string(),
                        id,
                        line: l,
                    });
                }
            }
            Event::Start(Tag::Table(_)) => {
                table = Some(Table {
                    heading: doc.headings.len().checked_sub(1),
                    sheet: None,
                    rows: Vec::new(),
                    header_known: true,
                    footnotes: Vec::new(),
                });
            }
            Event::End(TagEnd::Table) => {
                if let Some(t) = table.take() {
                    doc.tables.push(t);
                    last_table = Some(doc.tables.len() - 1);
                }
            }
            Event::Start(Tag::TableHead) | Event::Start(Tag::TableRow) => {
                row = Some(Row::new(
                    Vec::new(),
                    Loc {
                        sheet: None,
                        line: Some(line),
                    },
                ));
            }
            Event::End(TagEnd::TableHead) | Event::End(TagEnd::TableRow) => {
                if let (Some(r), Some(t)) = (row.take(), table.as_mut()) {
                    t.rows.push(r);
                }
            }
            Event::Start(Tag::TableCell) => cell = Some(String::new()),
            Event::End(TagEnd::TableCell) => {
                if let (Some(c), Some(r)) = (cell.take(), row.as_mut()) {
                    r.cells.push(c.trim().to_string());
                }
            }
            Event::Start(Tag::Paragraph) if depth_in_list == 0 && matches!(state, In::Nothing) => {
                state = In::Para;
                buf.clear();
            }
            Event::End(TagEnd::Paragraph) if matches!(state, In::Para) => {
                state = In::Nothing;
                if let Some(ti) = last_table {
                    for l in buf.lines() {
                        if let Some(def) = footnote_definition(l) {
                            doc.tables[ti].footnotes.push(def);
                        }
                    }
                }
            }
            Event::Start(Tag::Item)
                if depth_in_list == 1
                    && matches!(state, In::Nothing)
                    && last_table.is_some_and(|ti| has_star_marks(&doc.tables[ti]))
                    && text[range.start..].trim_start().starts_with('*') =>
            {
                state = In::StarItem;
                buf.clear();
            }
            Event::End(TagEnd::Item) if matches!(state, In::StarItem) => {
                state = In::Nothing;
                if let Some(ti) = last_table {
                    // The bullet is the marker; more stars written in the item add to it.
                    let item = buf.trim();
                    let extra = item.chars().take_while(|&c| c == '*').count();
                    let marker = "*".repeat(1 + extra);
                    let rest = item[extra..]
                        .trim_start()
                        .trim_start_matches([':', '=', '-', '–'])
                        .trim();
                    if !rest.is_empty() {
                        doc.tables[ti].footnotes.push((marker, rest.to_string()));
                    }
                }
            }
            Event::Start(Tag::List(_)) => depth_in_list += 1,
            Event::End(TagEnd::List(_)) => depth_in_list = depth_in_list.saturating_sub(1),
            Event::Start(Tag::FootnoteDefinition(label)) => {
                state = In::Footnote(label.to_string());
                buf.clear();
            }
            Event::End(TagEnd::FootnoteDefinition) => {
                if let In::Footnote(label) = std::mem::replace(&mut state, In::Nothing) {
                    doc.footnotes.push((label, buf.trim().to_string()));
                }
            }
            Event::Text(t) | Event::Code(t) => push(&mut cell, &mut buf, &t),
            Event::InlineHtml(h) | Event::Html(h)
                if h.trim().to_ascii_lowercase().starts_with("<br") =>
            {
                push(&mut cell, &mut buf, "\n");
            }
            Event::SoftBreak | Event::HardBreak => push(
                &mut cell,
                &mut buf,
                if matches!(state, In::Para) { "\n" } else { " " },
            ),
            Event::FootnoteReference(l) => push(&mut cell, &mut buf, &format!("[^{l}]")),
            _ => {}
        }
    }
    Ok(doc)
}

/// Whether a table's cells carry `*` footnote marks after role letters (`RA*`).
fn has_star_marks(t: &Table) -> bool {
    t.rows.iter().skip(1).any(|r| {
        r.cells.iter().any(|c| {
            let c = c.trim();
            c.ends_with('*')
                && c.trim_end_matches('*').chars().any(|x| x.is_alphabetic())
                && c.trim_end_matches('*').chars().count() <= 4
        })
    })
}

fn push(cell: &mut Option<String>, buf: &mut String, s: &str) {
    match cell {
        Some(c) => c.push_str(s),
        None => buf.push_str(s),
    }
}

fn front_matter(doc: &mut Doc, text: &str, line: usize) -> Result<(), ImportError> {
    // onus's own YAML reader: nesting, size and aliases are bounded at its entry (a front
    // matter nested 100,000 deep took 42 s to be refused), and scalars such as `3.10` stay
    // the strings they were written as.
    let value: serde_json::Value = match onus_yaml::parse_one(text, &onus_yaml::Limits::default()) {
        Ok(d) => d.value,
        Err(e) => {
            doc.warn(
                &Loc {
                    sheet: None,
                    line: Some(line),
                },
                None,
                None,
                format!("front matter is not YAML ({e}); ignored"),
            );
            return Ok(());
        }
    };
    if let Some(meta) = value.get(METADATA_KEY) {
        doc.meta = Some(parse_meta(&doc.file, line, meta.clone())?);
        return Ok(());
    }
    let get = |keys: &[&str]| {
        keys.iter().find_map(|k| match value.get(*k)? {
            serde_json::Value::String(s) => Some(s.trim().to_string()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    };
    doc.front = Front {
        id: get(&["id", "slug"]),
        title: get(&["title"]),
        description: get(&["excerpt", "description", "summary"]),
        updated: get(&["updated", "date", "published", "last_updated", "lastmod"]),
        version: get(&["version"]),
        language: get(&["lang", "language"]).map(|l| {
            l.split(['-', '_'])
                .next()
                .unwrap_or("en")
                .to_ascii_lowercase()
        }),
        provider: get(&["provider", "publisher"]),
        service: get(&["service", "product"]),
    };
    Ok(())
}
