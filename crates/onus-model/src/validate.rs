//! The rules of `onus validate`, on a model already read.
//!
//! Rules are named (see [`crate::diag::RULES`]) so that they can be silenced on purpose, per
//! model (`lint.allow`) or per run ([`Options::allow`]). Findings carry a JSON pointer; the
//! loader turns it into a file, line and column.

use std::collections::{HashMap, HashSet};

use crate::diag::{self, Diagnostic};
use crate::types::{Duty, Model};
use crate::vocabulary::Vocabulary;
use crate::Cadence;

/// Options of a validation run.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Rules silenced for this run, in addition to the model's own `lint.allow`.
    pub allow: Vec<String>,
    /// The checks of the audit catalog that `audit` links may name (rules `unknown-check`,
    /// `unknown-reason`). `None`: not judged (this crate knows no checks; the CLI fills it).
    pub known_checks: Option<Vec<crate::audit_rules::KnownCheck>>,
    /// Whether a condition's `when` is valid CEL (rule `invalid-condition`). `None`: not judged
    /// (this crate knows no CEL; the CLI passes the audit's compiler).
    pub condition_syntax: Option<SyntaxCheck>,
}

/// Whether a text is valid in a language this crate does not know (CEL): `Err` says why.
pub type SyntaxCheck = fn(&str) -> Result<(), String>;

/// Puts each role cell's letters in the scheme's order (`IR` becomes `RI`), when every letter
/// is known and none repeats. Cells with unknown letters are left as written for the validator
/// to report.
pub fn normalize(model: &mut Model) {
    let order: Vec<char> = model.roles.letters.iter().map(|l| l.letter).collect();
    for a in &mut model.activities {
        for cell in a.roles.values_mut() {
            let letters: Vec<char> = cell.chars().filter(|c| !c.is_whitespace()).collect();
            let unique: HashSet<char> = letters.iter().copied().collect();
            if unique.len() == letters.len() && letters.iter().all(|c| order.contains(c)) {
                *cell = order.iter().filter(|c| letters.contains(c)).collect();
            }
        }
    }
    for c in &mut model.audit.conditions {
        for cell in c.roles.values_mut() {
            let letters: Vec<char> = cell.chars().filter(|c| !c.is_whitespace()).collect();
            let unique: HashSet<char> = letters.iter().copied().collect();
            if unique.len() == letters.len() && letters.iter().all(|c| order.contains(c)) {
                *cell = order.iter().filter(|c| letters.contains(c)).collect();
            }
        }
    }
}

/// How many distinct unknown letters of one role cell a finding names.
const NAMED_LETTERS: usize = 8;

/// `` `X`, `Y` `` for a finding's message.
fn list_letters(letters: &[char]) -> String {
    letters
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Applies every rule to `model` and returns the findings that are not silenced.
pub fn validate(model: &Model, vocab: &Vocabulary, opts: &Options) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    check(model, vocab, &mut out);
    let langs: Vec<&str> = model.languages.iter().map(String::as_str).collect();
    crate::audit_rules::check(model, opts, &langs, &mut out);
    crate::events::check(model, &langs, &mut out);
    for (i, name) in model.lint.allow.iter().enumerate() {
        if diag::rule(name).is_none() {
            let known: Vec<&str> = diag::RULES
                .iter()
                .filter(|r| r.silenceable)
                .map(|r| r.name)
                .collect();
            out.push(
                Diagnostic::new(
                    "unknown-rule",
                    format!("`lint.allow` names `{name}`, which is not a rule"),
                )
                .at(format!("/lint/allow/{i}"))
                .hint(format!("rules that can be silenced: {}", known.join(", "))),
            );
        }
    }
    let silenced = |rule: &str| {
        let Some(r) = diag::rule(rule) else {
            return false;
        };
        r.silenceable
            && (model.lint.allow.iter().any(|a| a == rule) || opts.allow.iter().any(|a| a == rule))
    };
    out.retain(|d| !silenced(d.rule));
    out
}

fn check(m: &Model, vocab: &Vocabulary, out: &mut Vec<Diagnostic>) {
    let parties: HashSet<&str> = m.parties.iter().map(|p| p.id.as_str()).collect();
    let sections: HashMap<&str, usize> = m
        .sections
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect();
    let letters: HashMap<char, Duty> = m.roles.letters.iter().map(|l| (l.letter, l.duty)).collect();
    let langs: Vec<&str> = m.languages.iter().map(String::as_str).collect();

    if let Some(p) = &m.published {
        if !is_date(p) {
            out.push(
                Diagnostic::new(
                    "invalid-date",
                    format!("`published` is `{p}`, not a YYYY-MM-DD date"),
                )
                .at("/published"),
            );
        }
    }
    if let Some(url) = &m.source.url {
        if crate::safe::safe_url(url).is_none() {
            out.push(
                Diagnostic::new(
                    "unsafe-url",
                    format!(
                        "`source.url` `{}` is not an absolute http, https or mailto address",
                        onus_limits::clip(url, onus_limits::Limits::DEFAULT.quote_chars)
                    ),
                )
                .at("/source/url")
                .hint("write the document's web address (https://...); onus never links other schemes"),
            );
        }
    }
    if let Some(l) = &m.source.license {
        if let Err(e) = check_license(l) {
            out.push(
                Diagnostic::new(
                    "invalid-license",
                    format!("`source.license` is `{l}`, not an SPDX license expression: {e}"),
                )
                .at("/source/license")
                .hint("write an SPDX id (`CC-BY-NC-SA-4.0`), an expression (`MIT OR Apache-2.0`) or `LicenseRef-<name>` for a document without a public licence"),
            );
        }
    }
    if !langs.contains(&m.language.as_str()) {
        out.push(
            Diagnostic::new(
                "unknown-language",
                format!(
                    "the source language `{}` is not listed in `languages`",
                    m.language
                ),
            )
            .at("/language")
            .hint("list it first in `languages`"),
        );
    }
    text_langs(&m.title, "/title", &langs, out);

    // Duplicate ids, per kind; activities and statements share one namespace.
    dupes(
        m.parties.iter().map(|p| p.id.as_str()),
        "/parties",
        "party",
        out,
    );
    dupes(
        m.sections.iter().map(|s| s.id.as_str()),
        "/sections",
        "section",
        out,
    );
    dupes(
        m.roles
            .letters
            .iter()
            .map(|l| l.letter.to_string())
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str),
        "/roles/letters",
        "role letter",
        out,
    );
    let mut ids: HashMap<&str, String> = HashMap::new();
    let all = m
        .activities
        .iter()
        .enumerate()
        .map(|(i, a)| (a.id.as_str(), format!("/activities/{i}/id")))
        .chain(
            m.statements
                .iter()
                .enumerate()
                .map(|(i, s)| (s.id.as_str(), format!("/statements/{i}/id"))),
        );
    for (id, ptr) in all {
        if let Some(first) = ids.get(id) {
            out.push(
                Diagnostic::new(
                    "duplicate-id",
                    format!(
                        "id `{id}` is used twice (first at {})",
                        crate::load::display_path(first)
                    ),
                )
                .at(ptr)
                .hint("give each activity and statement its own id"),
            );
        } else {
            ids.insert(id, ptr);
        }
    }

    // Sections: parents exist, no cycles, layers known, nothing empty.
    let mut used: HashSet<&str> = HashSet::new();
    for s in &m.sections {
        if let Some(p) = &s.parent {
            used.insert(p.as_str());
        }
    }
    for a in &m.activities {
        used.insert(a.section.as_str());
    }
    for s in &m.statements {
        if let Some(sec) = &s.section {
            used.insert(sec.as_str());
        }
    }
    for (i, s) in m.sections.iter().enumerate() {
        let base = format!("/sections/{i}");
        text_langs(&s.title, &format!("{base}/title"), &langs, out);
        if let Some(l) = &s.layer {
            layer(vocab, l, &format!("{base}/layer"), out);
        }
        if let Some(p) = &s.parent {
            if !sections.contains_key(p.as_str()) {
                out.push(
                    Diagnostic::new(
                        "unknown-section",
                        format!(
                            "section `{}` names parent `{p}`, which is not a section",
                            s.id
                        ),
                    )
                    .at(format!("{base}/parent")),
                );
            } else {
                let mut seen = HashSet::from([s.id.as_str()]);
                let mut cur = Some(p.as_str());
                while let Some(c) = cur {
                    if !seen.insert(c) {
                        out.push(
                            Diagnostic::new(
                                "section-cycle",
                                format!("section `{}` is its own ancestor", s.id),
                            )
                            .at(format!("{base}/parent")),
                        );
                        break;
                    }
                    cur = sections
                        .get(c)
                        .and_then(|&j| m.sections[j].parent.as_deref());
                }
            }
        }
        if !used.contains(s.id.as_str()) {
            out.push(
                Diagnostic::new("empty-section", format!("section `{}` holds nothing", s.id))
                    .at(base),
            );
        }
    }

    for (i, p) in m.parties.iter().enumerate() {
        text_langs(&p.name, &format!("/parties/{i}/name"), &langs, out);
    }
    for (i, l) in m.roles.letters.iter().enumerate() {
        text_langs(&l.name, &format!("/roles/letters/{i}/name"), &langs, out);
        if !l.definition.is_empty() {
            text_langs(
                &l.definition,
                &format!("/roles/letters/{i}/definition"),
                &langs,
                out,
            );
        }
    }

    for (i, a) in m.activities.iter().enumerate() {
        let base = format!("/activities/{i}");
        if !sections.contains_key(a.section.as_str()) {
            out.push(
                Diagnostic::new(
                    "unknown-section",
                    format!(
                        "activity `{}` is in section `{}`, which is not declared",
                        a.id, a.section
                    ),
                )
                .at(format!("{base}/section"))
                .hint("declare the section under `sections`"),
            );
        }
        text_langs(&a.text, &format!("{base}/text"), &langs, out);
        if let Some(lead) = &a.lead {
            text_langs(lead, &format!("{base}/lead"), &langs, out);
        }
        let mut accountable = Vec::new();
        let mut responsible = false;
        for (party, cell) in &a.roles {
            let ptr = format!("{base}/roles/{}", onus_yaml::escape(party));
            if !parties.contains(party.as_str()) {
                out.push(
                    Diagnostic::new(
                        "unknown-party",
                        format!(
                            "activity `{}` gives roles to `{party}`, which is not a party",
                            a.id
                        ),
                    )
                    .at(ptr.clone())
                    .hint(format!(
                        "parties are: {}",
                        onus_limits::clip(
                            &m.parties
                                .iter()
                                .map(|p| p.id.as_str())
                                .collect::<Vec<_>>()
                                .join(", "),
                            4 * onus_limits::Limits::DEFAULT.quote_chars
                        )
                    )),
                );
            }
            // One finding per cell, whatever its length: the letters it does not know and
            // those it repeats, each named once, the cell quoted cut.
            let mut seen = HashSet::new();
            let mut unknown: Vec<char> = Vec::new();
            let mut twice: Vec<char> = Vec::new();
            for c in cell.chars().filter(|c| !c.is_whitespace()) {
                match letters.get(&c) {
                    None => {
                        if !unknown.contains(&c) && unknown.len() < NAMED_LETTERS {
                            unknown.push(c);
                        }
                    }
                    Some(duty) => {
                        if !seen.insert(c) && !twice.contains(&c) {
                            twice.push(c);
                        }
                        match duty {
                            Duty::Accountable if accountable.last() != Some(&party.as_str()) => {
                                accountable.push(party.as_str())
                            }
                            Duty::Responsible => responsible = true,
                            _ => {}
                        }
                    }
                }
            }
            let quoted = onus_limits::clip(cell, onus_limits::Limits::DEFAULT.quote_chars);
            if !unknown.is_empty() {
                let message = match unknown.as_slice() {
                    [c] => format!(
                        "activity `{}`: `{c}` in `{quoted}` is not a letter of the `{}` scheme",
                        a.id, m.roles.id
                    ),
                    many => format!(
                        "activity `{}`: {} in `{quoted}` are not letters of the `{}` scheme",
                        a.id,
                        list_letters(many),
                        m.roles.id
                    ),
                };
                out.push(
                    Diagnostic::new("unknown-letter", message)
                        .at(ptr.clone())
                        .hint(format!(
                            "letters are: {}",
                            m.roles
                                .letters
                                .iter()
                                .map(|l| l.letter.to_string())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )),
                );
            }
            if !twice.is_empty() {
                let message = match twice.as_slice() {
                    [c] => format!("activity `{}`: `{c}` appears twice in `{quoted}`", a.id),
                    many => format!(
                        "activity `{}`: {} appear more than once in `{quoted}`",
                        a.id,
                        list_letters(many)
                    ),
                };
                out.push(Diagnostic::new("unknown-letter", message).at(ptr.clone()));
            }
        }
        accountable.dedup();
        let has_a_letter = m.roles.letters.iter().any(|l| l.duty == Duty::Accountable);
        if has_a_letter && accountable.is_empty() {
            out.push(
                Diagnostic::new(
                    "missing-accountable",
                    format!("activity `{}` has no accountable party (A)", a.id),
                )
                .at(format!("{base}/roles"))
                .hint("exactly one party must hold A"),
            );
        } else if accountable.len() > 1 {
            out.push(
                Diagnostic::new(
                    "multiple-accountable",
                    format!(
                        "activity `{}` has {} accountable parties ({})",
                        a.id,
                        accountable.len(),
                        accountable.join(", ")
                    ),
                )
                .at(format!("{base}/roles"))
                .hint("exactly one party must hold A; the others may be R, C or I"),
            );
        }
        if !responsible {
            out.push(Diagnostic::new("missing-responsible", format!("activity `{}` has no party responsible (R) for carrying it out", a.id)).at(format!("{base}/roles")).hint("as published this may be right; silence with `lint: {allow: [missing-responsible]}`"));
        }
        for (j, t) in a.topics.iter().enumerate() {
            topic(vocab, t, &format!("{base}/topics/{j}"), out);
        }
        for (j, t) in a.suggested_topics.iter().enumerate() {
            topic(vocab, t, &format!("{base}/suggested_topics/{j}"), out);
        }
        if a.topics.is_empty() && a.suggested_topics.is_empty() {
            out.push(
                Diagnostic::new("no-topic", format!("activity `{}` has no topic", a.id))
                    .at(format!("{base}/text"))
                    .hint("add `topics:` from the vocabulary (`onus topics`)"),
            );
        }
        if let Some(l) = &a.layer {
            layer(vocab, l, &format!("{base}/layer"), out);
        }
        if let Some(c) = &a.cadence {
            if let Err(e) = Cadence::parse(c) {
                out.push(
                    Diagnostic::new("invalid-cadence", e.to_string())
                        .at(format!("{base}/cadence"))
                        .hint("write P1Y, P6M, P1W, P1D or PT12H"),
                );
            }
        }
        for (j, f) in a.footnotes.iter().enumerate() {
            if let Some(p) = &f.party {
                if !parties.contains(p.as_str()) {
                    out.push(
                        Diagnostic::new(
                            "unknown-party",
                            format!("a footnote of `{}` names `{p}`, which is not a party", a.id),
                        )
                        .at(format!("{base}/footnotes/{j}/party")),
                    );
                }
            }
        }
    }

    for (i, s) in m.statements.iter().enumerate() {
        let base = format!("/statements/{i}");
        text_langs(&s.text, &format!("{base}/text"), &langs, out);
        if let Some(p) = &s.party {
            if !parties.contains(p.as_str()) {
                out.push(
                    Diagnostic::new(
                        "unknown-party",
                        format!("statement `{}` names `{p}`, which is not a party", s.id),
                    )
                    .at(format!("{base}/party")),
                );
            }
        }
        if let Some(sec) = &s.section {
            if !sections.contains_key(sec.as_str()) {
                out.push(
                    Diagnostic::new(
                        "unknown-section",
                        format!(
                            "statement `{}` is in section `{sec}`, which is not declared",
                            s.id
                        ),
                    )
                    .at(format!("{base}/section")),
                );
            }
        }
        for (j, t) in s.topics.iter().enumerate() {
            topic(vocab, t, &format!("{base}/topics/{j}"), out);
        }
        if let Some(l) = &s.layer {
            layer(vocab, l, &format!("{base}/layer"), out);
        }
    }
    if let Some(end) = &m.end_of_service {
        for (i, step) in end.steps.iter().enumerate() {
            let base = format!("/end_of_service/steps/{i}");
            if m.activity(&step.activity).is_none() {
                out.push(
                    Diagnostic::new(
                        "unknown-activity",
                        format!(
                            "end-of-service step `{}` names no activity of the model",
                            step.activity
                        ),
                    )
                    .at(format!("{base}/activity")),
                );
            }
            if let Err(e) = step.offset() {
                out.push(
                    Diagnostic::new("invalid-due", e.to_string())
                        .at(format!("{base}/due"))
                        .hint("write P30D (30 days after the end), -P7D (a week before) or P0D (on the end date)"),
                );
            }
        }
        if let Some(why) = &end.why {
            text_langs(why, "/end_of_service/why", &langs, out);
        }
    }
}

fn dupes<'a>(
    ids: impl Iterator<Item = &'a str>,
    base: &str,
    what: &str,
    out: &mut Vec<Diagnostic>,
) {
    let mut seen = HashSet::new();
    for (i, id) in ids.enumerate() {
        if !seen.insert(id) {
            out.push(
                Diagnostic::new("duplicate-id", format!("{what} `{id}` is declared twice"))
                    .at(format!("{base}/{i}")),
            );
        }
    }
}

pub(crate) fn text_langs(t: &crate::Text, ptr: &str, langs: &[&str], out: &mut Vec<Diagnostic>) {
    for l in langs {
        if t.get(l).is_none_or(|s| s.trim().is_empty()) {
            out.push(
                Diagnostic::new(
                    "missing-translation",
                    format!("{} has no `{l}` text", crate::load::display_path(ptr)),
                )
                .at(ptr.to_string())
                .hint(format!("add `{l}: ...`")),
            );
        }
    }
    for l in t.languages() {
        if !langs.contains(&l) {
            out.push(
                Diagnostic::new(
                    "unknown-language",
                    format!(
                        "{} has a `{l}` text but `{l}` is not in `languages`",
                        crate::load::display_path(ptr)
                    ),
                )
                .at(format!("{ptr}/{l}")),
            );
        }
    }
}

fn topic(vocab: &Vocabulary, t: &str, ptr: &str, out: &mut Vec<Diagnostic>) {
    if vocab.topic(t).is_none() {
        let near = nearest(t, vocab.topics.iter().map(|x| x.id.as_str()));
        let mut d = Diagnostic::new(
            "unknown-topic",
            format!("`{t}` is not a topic of the vocabulary"),
        )
        .at(ptr.to_string());
        d = d.hint(match near {
            Some(n) => format!("did you mean `{n}`? `onus topics` lists them all"),
            None => "`onus topics` lists them all".to_string(),
        });
        out.push(d);
    }
}

fn layer(vocab: &Vocabulary, l: &str, ptr: &str, out: &mut Vec<Diagnostic>) {
    if vocab.layer(l).is_none() {
        out.push(
            Diagnostic::new("unknown-layer", format!("`{l}` is not a layer"))
                .at(ptr.to_string())
                .hint(format!(
                    "layers are: {}",
                    vocab
                        .layers
                        .iter()
                        .map(|x| x.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
        );
    }
}

/// Checks an SPDX license expression (`CC-BY-NC-SA-4.0`, `MIT OR Apache-2.0`,
/// `LicenseRef-Byzaneo-NoLicense`): the reason when it is not one.
pub fn check_license(expr: &str) -> Result<(), String> {
    spdx::Expression::parse(expr)
        .map(|_| ())
        .map_err(|e| e.reason.to_string())
}

/// Whether `s` is a `YYYY-MM-DD` date with a plausible month and day.
pub fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && s.chars()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && {
            let m: u32 = s[5..7].parse().unwrap_or(0);
            let d: u32 = s[8..10].parse().unwrap_or(0);
            (1..=12).contains(&m) && (1..=31).contains(&d)
        }
}

/// The candidate closest to `word` by edit distance, if it is close enough to be a typo.
pub(crate) fn nearest<'a>(
    word: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .map(|c| (levenshtein(word, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push(
                (prev[j] + usize::from(ca != *cb))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1),
            );
        }
        prev = cur;
    }
    prev[b.len()]
}
