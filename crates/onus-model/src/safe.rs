//! What onus writes from a model into formats that act on text: links in HTML, cells in CSV.
//! Models come from other people; these two rules keep their text inert wherever onus puts
//! it (HTML escaping, done by the templates, is the third).

use std::borrow::Cow;

/// The URL schemes a model may link to: web pages and mail. `javascript:`, `data:`,
/// `file:` and the rest are refused by `onus validate` (rule `unsafe-url`) and never
/// written as a link.
pub const URL_SCHEMES: &[&str] = &["http", "https", "mailto"];

/// `url` when it is an absolute URL with one of [`URL_SCHEMES`] (case-insensitive), written
/// without white space or control characters (which browsers skip, so that
/// ` javascript:` would run); else `None`.
pub fn safe_url(url: &str) -> Option<&str> {
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let (scheme, rest) = url.split_once(':')?;
    let known = URL_SCHEMES.iter().any(|s| s.eq_ignore_ascii_case(scheme));
    let well_formed = if scheme.eq_ignore_ascii_case("mailto") {
        !rest.is_empty()
    } else {
        rest.starts_with("//") && rest.len() > 2
    };
    (known && well_formed).then_some(url)
}

/// The first characters that make a spreadsheet read a CSV cell as a formula (OWASP's CSV
/// injection list): `=`, `+`, `-`, `@`, tab and carriage return.
const FORMULA: &[char] = &['=', '+', '-', '@', '\t', '\r'];

/// Whether a cell must be neutralised: past any leading `'`, it starts with a formula
/// character, and is not a plain number (`-1`, `+2.5e3`) or a lone `-`, which spreadsheets
/// read as such. Looking past the apostrophes makes [`csv_cell`] and [`csv_cell_read`]
/// exact inverses.
fn formula_like(cell: &str) -> bool {
    let rest = cell.trim_start_matches('\'');
    rest.starts_with(FORMULA) && rest != "-" && !is_number(rest)
}

fn is_number(s: &str) -> bool {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    !digits.is_empty()
        && digits.starts_with(|c: char| c.is_ascii_digit())
        && digits.parse::<f64>().is_ok()
}

/// A cell as onus writes it into CSV, neutralised the way OWASP recommends: a cell a
/// spreadsheet would run as a formula (`=HYPERLINK(...)`, `@SUM(...)`, `+cmd|...`) gets a
/// leading `'`, which spreadsheets show as text and `onus import` removes again.
pub fn csv_cell(cell: &str) -> Cow<'_, str> {
    if formula_like(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// A CSV cell as `onus import` reads it: the `'` that [`csv_cell`] adds is removed (as a
/// spreadsheet does when it shows the cell).
pub fn csv_cell_read(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if formula_like(rest) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_and_mail_links_are_safe() {
        for ok in [
            "https://example.com/a?b",
            "http://x.y",
            "HTTPS://X",
            "mailto:a@b.c",
        ] {
            assert_eq!(safe_url(ok), Some(ok));
        }
        for bad in [
            "javascript:alert(3)",
            "JavaScript:alert(3)",
            " javascript:alert(3)",
            "java\tscript:alert(3)",
            "data:text/html,<script>",
            "file:///etc/passwd",
            "vbscript:x",
            "//evil.example",
            "relative/page.html",
            "https:",
            "mailto:",
            "",
        ] {
            assert_eq!(safe_url(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn formula_cells_get_an_apostrophe_and_read_back() {
        for (cell, written) in [
            (
                "=HYPERLINK(\"http://evil\")",
                "'=HYPERLINK(\"http://evil\")",
            ),
            ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
            ("-2+3", "'-2+3"),
            ("@SUM(1+1)", "'@SUM(1+1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("'=1", "''=1"),
            ("''@x", "'''@x"),
        ] {
            assert_eq!(csv_cell(cell), written);
            assert_eq!(csv_cell_read(written), cell);
        }
        // Left as they are: plain text, numbers, a lone dash, apostrophes before text.
        for cell in [
            "RA", "", "-", "-1", "+2.5", "-3e4", "'quoted'", "'-1", "a=b", "R-A",
        ] {
            assert_eq!(csv_cell(cell), cell);
            assert_eq!(csv_cell_read(cell), cell);
        }
    }

    #[test]
    fn reading_inverts_writing_for_any_cell() {
        let parts = [
            "'", "=", "-", "+", "@", "1", "a", "\t", "\r", "e5", ".", " ",
        ];
        let mut cells = vec![String::new()];
        for _ in 0..4 {
            cells = cells
                .iter()
                .flat_map(|c| parts.iter().map(move |p| format!("{c}{p}")))
                .collect();
            for c in &cells {
                assert_eq!(csv_cell_read(&csv_cell(c)), c, "{c:?}");
            }
        }
    }
}
