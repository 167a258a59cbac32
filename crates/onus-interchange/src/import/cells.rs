//! Role cells (`RA`, `I/R`, `RA*`), footnote markers and footnote definitions.

use crate::util::key;

/// A role cell read: letters in the order written, and footnote markers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cell {
    pub letters: String,
    pub markers: Vec<String>,
}

const SUPERSCRIPTS: &str = "⁰¹²³⁴⁵⁶⁷⁸⁹";

/// Reads a role cell such as `RA`, `I/R`, `**CI**`, `RA*`, `A¹`, `R (1)` or `RA[^2]`.
pub(crate) fn parse_cell(raw: &str, letters: &[char]) -> Result<Cell, String> {
    let mut s = raw.trim().to_string();
    for wrap in ["**", "__", "`"] {
        if s.len() > 2 * wrap.len() && s.starts_with(wrap) && s.ends_with(wrap) {
            s = s[wrap.len()..s.len() - wrap.len()].trim().to_string();
        }
    }
    let k = key(&s);
    if s.is_empty()
        || matches!(s.as_str(), "-" | "–" | "—" | "." | "/")
        || matches!(k.as_str(), "n a" | "na" | "none" | "aucun")
    {
        return Ok(Cell {
            letters: String::new(),
            markers: Vec::new(),
        });
    }
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut out = String::new();
    while i < chars.len() {
        let c = chars[i];
        let up = c.to_ascii_uppercase();
        if letters.contains(&up) && c.is_ascii_alphabetic() {
            if out.contains(up) {
                return Err(format!("`{up}` appears twice"));
            }
            out.push(up);
            i += 1;
        } else if c.is_whitespace() || matches!(c, '/' | ',' | '+' | '&' | ';') {
            i += 1;
        } else {
            break;
        }
    }
    let rest: String = chars[i..].iter().collect();
    let markers = parse_markers(rest.trim()).ok_or_else(|| {
        if out.is_empty() {
            format!(
                "not a role: the letters are {}",
                letters
                    .iter()
                    .map(char::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        } else {
            format!(
                "`{}` after the letters is not a footnote marker",
                rest.trim()
            )
        }
    })?;
    // A note on an empty cell is written as a footnote reference (`[^implementation]`, as
    // onus's export does); a bare `*` in an empty cell reads as no role.
    if out.is_empty() && !markers.is_empty() && !s.starts_with("[^") {
        return Err("a footnote marker without a role".into());
    }
    Ok(Cell {
        letters: out,
        markers,
    })
}

/// Footnote markers: `*`, `**`, `†`, `‡`, `§`, superscript or plain digits, `(1)`, `[1]`,
/// `[^1]`, `^1`. `None` when the text is something else.
pub(crate) fn parse_markers(s: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let take_while = |i: &mut usize, f: &dyn Fn(char) -> bool| {
            while *i < chars.len() && f(chars[*i]) {
                *i += 1;
            }
        };
        match c {
            '*' => take_while(&mut i, &|c| c == '*'),
            '†' | '‡' | '§' | '#' => take_while(&mut i, &|c| c == chars[start]),
            _ if SUPERSCRIPTS.contains(c) => take_while(&mut i, &|c| SUPERSCRIPTS.contains(c)),
            _ if c.is_ascii_digit() => take_while(&mut i, &|c| c.is_ascii_digit()),
            '^' => {
                i += 1;
                take_while(&mut i, &|c| c.is_ascii_alphanumeric());
                if i == start + 1 {
                    return None;
                }
                out.push(chars[start + 1..i].iter().collect());
                continue;
            }
            '(' | '[' => {
                let close = if c == '(' { ')' } else { ']' };
                let end = chars[i..].iter().position(|&x| x == close)? + i;
                let inner: String = chars[i + 1..end].iter().collect();
                let inner_t = inner.trim_start_matches('^');
                if inner_t.is_empty() || !inner_t.chars().all(|c| c.is_alphanumeric() || c == '*') {
                    return None;
                }
                i = end + 1;
                // `[^1]` is a Markdown footnote reference: its marker is the label.
                out.push(if inner.starts_with('^') {
                    inner_t.to_string()
                } else {
                    chars[start..i].iter().collect()
                });
                continue;
            }
            _ => return None,
        }
        out.push(chars[start..i].iter().collect());
    }
    Some(out)
}

/// A marker reduced for matching a definition to a reference (`(1)`, `[1]`, `^1`, `¹` and `1`
/// are the same footnote).
pub(crate) fn marker_key(m: &str) -> String {
    m.chars()
        .filter(|c| !matches!(c, '(' | ')' | '[' | ']' | '^'))
        .map(|c| {
            SUPERSCRIPTS
                .chars()
                .position(|s| s == c)
                .and_then(|d| char::from_digit(d as u32, 10))
                .unwrap_or(c)
        })
        .collect()
}

/// Reads a footnote definition written as a paragraph: `* text`, `(1) text`, `¹ text`, `1: text`.
pub(crate) fn footnote_definition(s: &str) -> Option<(String, String)> {
    let s = s.trim();
    let chars: Vec<char> = s.chars().collect();
    let mut end = 0;
    let first = *chars.first()?;
    match first {
        '*' | '†' | '‡' | '§' => {
            while end < chars.len() && chars[end] == first {
                end += 1;
            }
        }
        '(' | '[' => {
            let close = if first == '(' { ')' } else { ']' };
            end = chars.iter().position(|&c| c == close)? + 1;
            if end > 6 {
                return None;
            }
        }
        c if SUPERSCRIPTS.contains(c) => {
            while end < chars.len() && SUPERSCRIPTS.contains(chars[end]) {
                end += 1;
            }
        }
        c if c.is_ascii_digit() => {
            while end < chars.len() && chars[end].is_ascii_digit() {
                end += 1;
            }
            // `1: text` or `1) text`; `1 text` could be anything.
            if !matches!(chars.get(end), Some(':' | ')')) {
                return None;
            }
        }
        _ => return None,
    }
    let marker: String = chars[..end].iter().collect();
    let rest: String = chars[end..].iter().collect();
    let rest = rest
        .trim_start()
        .trim_start_matches([':', ')', '=', '-', '–'])
        .trim();
    if rest.is_empty() {
        return None;
    }
    parse_markers(&marker)?;
    Some((marker, rest.to_string()))
}

/// Who a cell names when it names owners in words instead of role letters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Owner {
    /// A party's name as written (`Red Hat`, `Customer`, `AWS`).
    Named(String),
    /// `Shared` (or `Partagé`): the provider and the customer, as such documents use the word.
    Shared,
}

/// Owners named in a cell, and the footnote markers after them (`Shared[^1]`, `Red Hat*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Owners {
    pub owners: Vec<Owner>,
    pub markers: Vec<String>,
}

/// Reads a cell that names who owns a duty in words: `Customer`, `Red Hat`, `Red Hat and
/// customer`, `AWS / Red Hat`, `Shared`, with footnote markers after them. `None` when the
/// cell reads as something else (a sentence, role letters); no owner for an empty cell or
/// `N/A`.
pub(crate) fn parse_cell_owners(raw: &str) -> Option<Owners> {
    let mut s = raw.trim().to_string();
    let mut markers = Vec::new();
    // Markers at the end: `[^1]`, `(1)`, `*`, `¹`.
    loop {
        let t = s.trim_end();
        let cut = if t.ends_with(']') {
            t.rfind('[')
        } else if t.ends_with('*') {
            Some(t.trim_end_matches('*').len())
        } else if t.ends_with(|c| SUPERSCRIPTS.contains(c)) {
            Some(t.trim_end_matches(|c| SUPERSCRIPTS.contains(c)).len())
        } else {
            None
        };
        let Some(i) = cut.filter(|&i| i > 0) else {
            break;
        };
        match parse_markers(&t[i..]) {
            Some(m) if !m.is_empty() => {
                markers.splice(0..0, m);
                s = t[..i].to_string();
            }
            _ => break,
        }
    }
    let owners = parse_owners(&s)?;
    Some(Owners { owners, markers })
}

fn parse_owners(raw: &str) -> Option<Vec<Owner>> {
    let s = raw.trim().trim_matches(['*', '_', '`']).trim();
    let k = key(s);
    if s.is_empty() || matches!(k.as_str(), "n a" | "na" | "none" | "aucun" | "-") {
        return Some(Vec::new());
    }
    let mut out = Vec::new();
    // `Red Hat and customer`, `Red Hat & AWS`, `Client et OVHcloud`, `AWS / Red Hat`.
    let normalised = s
        .replace(" and ", ",")
        .replace(" And ", ",")
        .replace(" AND ", ",")
        .replace(" et ", ",")
        .replace(['&', '/', ';', '+'], ",");
    for part in normalised.split(',') {
        let p = part.trim().trim_end_matches('.').trim();
        if p.is_empty() {
            continue;
        }
        let pk = key(p);
        let words = pk.split_whitespace().count();
        // Owners are names: a few words, no sentence punctuation.
        if words == 0 || words > 4 || p.chars().count() > 40 || p.contains([':', '(', ')']) {
            return None;
        }
        if matches!(
            pk.as_str(),
            "shared" | "partage" | "partagee" | "joint" | "both"
        ) {
            out.push(Owner::Shared);
        } else {
            out.push(Owner::Named(p.to_string()));
        }
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RACI: &[char] = &['R', 'A', 'C', 'I'];

    fn cell(s: &str) -> Result<(String, Vec<String>), String> {
        parse_cell(s, RACI).map(|c| (c.letters, c.markers))
    }

    #[test]
    fn role_cells_are_read_as_published() {
        assert_eq!(cell("RA").unwrap(), ("RA".into(), vec![]));
        assert_eq!(cell(" IR ").unwrap(), ("IR".into(), vec![]));
        assert_eq!(cell("**CI**").unwrap(), ("CI".into(), vec![]));
        assert_eq!(cell("R/A").unwrap(), ("RA".into(), vec![]));
        assert_eq!(cell("ra").unwrap(), ("RA".into(), vec![]));
        assert_eq!(cell("RA*").unwrap(), ("RA".into(), vec!["*".into()]));
        assert_eq!(cell("A¹").unwrap(), ("A".into(), vec!["¹".into()]));
        assert_eq!(cell("R (1)").unwrap(), ("R".into(), vec!["(1)".into()]));
        assert_eq!(
            cell("RA[^note]").unwrap(),
            ("RA".into(), vec!["note".into()])
        );
        assert_eq!(cell("I2").unwrap(), ("I".into(), vec!["2".into()]));
        assert_eq!(cell("").unwrap(), ("".into(), vec![]));
        assert_eq!(cell("—").unwrap(), ("".into(), vec![]));
        assert!(cell("X").is_err());
        assert!(cell("yes").is_err());
        assert!(cell("RR").is_err());
        assert!(cell("*").is_err());
        assert_eq!(cell("[^note]").unwrap(), ("".into(), vec!["note".into()]));
    }

    #[test]
    fn footnote_definitions_are_recognised() {
        assert_eq!(
            footnote_definition("* Only for dedicated clusters"),
            Some(("*".into(), "Only for dedicated clusters".into()))
        );
        assert_eq!(
            footnote_definition("(1) text"),
            Some(("(1)".into(), "text".into()))
        );
        assert_eq!(
            footnote_definition("¹ : texte"),
            Some(("¹".into(), "texte".into()))
        );
        assert_eq!(
            footnote_definition("1: text"),
            Some(("1".into(), "text".into()))
        );
        assert_eq!(footnote_definition("1 text"), None);
        assert_eq!(footnote_definition("Plain paragraph"), None);
        assert_eq!(marker_key("(1)"), marker_key("¹"));
    }

    #[test]
    fn owners_named_in_words_are_read() {
        use super::Owner::*;
        assert_eq!(
            parse_owners("Customer"),
            Some(vec![Named("Customer".into())])
        );
        assert_eq!(
            parse_owners("Red Hat and customer"),
            Some(vec![Named("Red Hat".into()), Named("customer".into())])
        );
        assert_eq!(
            parse_owners("AWS / Red Hat"),
            Some(vec![Named("AWS".into()), Named("Red Hat".into())])
        );
        assert_eq!(parse_owners("Shared"), Some(vec![Shared]));
        assert_eq!(
            parse_cell_owners("Shared[^1]"),
            Some(Owners {
                owners: vec![Shared],
                markers: vec!["1".into()]
            })
        );
        assert_eq!(
            parse_cell_owners("Red Hat*").map(|o| o.markers),
            Some(vec!["*".into()])
        );
        assert_eq!(parse_owners("N/A"), Some(vec![]));
        assert_eq!(
            parse_owners("Monitor the cluster and respond to alerts raised by the platform"),
            None
        );
    }
}
