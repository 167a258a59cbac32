//! Reads FedRAMP's CIS/CRM workbook (Control Implementation Summary and Customer
//! Responsibility Matrix, appendix J of a FedRAMP SSP). The **CIS** sheet has one row per
//! control or control statement (`AC-2`, `AC-2(1)`, `AC-2 (a)`) with an `X` under its
//! implementation status and under its **control origination** (Service Provider Corporate,
//! System Specific or Hybrid; Configured or Provided by Customer; Shared; Inherited from a
//! pre-existing FedRAMP Authorization). The **CRM** sheet says per row whether a customer
//! **Can Be Inherited from CSP** (Yes, Partial, No) and the **Specific Inheritance and
//! Customer Agency/CSP Responsibilities**.
//!
//! Sheet names vary (`Moderate CIS Worksheet`, `CRM`...): sheets are found by their columns.
//! Rows of both sheets are joined by control id, normalised to OSCAL's form (`ac-2_smt.a`).
//! Each becomes an activity in the section of its control family, with the SP 800-53
//! statement as a control of catalog `sp800-53`; roles come from the origination (else from
//! the CRM answer), see [`ORIGINATION_NOTE`]. [`crate::export::fedramp`] writes the same
//! workbook back.

use std::collections::HashMap;

use onus_model::{ControlRef, PartyKind};

use super::form::{Declared, Doc, Loc, Row};
use super::xlsx::{find_header, Sheet};
use super::ImportError;
use crate::util::key;

/// The CIS header columns of control origination, folded, with what each means for roles:
/// `(provider, customer, leveraged)`.
pub(crate) const ORIGINATION: &[(&str, &str, (bool, bool, bool))] = &[
    (
        "Service Provider Corporate",
        "service provider corporate",
        (true, false, false),
    ),
    (
        "Service Provider System Specific",
        "service provider system specific",
        (true, false, false),
    ),
    (
        "Service Provider Hybrid (Corporate and System Specific)",
        "service provider hybrid",
        (true, false, false),
    ),
    (
        "Configured by Customer (Customer System Specific)",
        "configured by customer",
        (false, true, false),
    ),
    (
        "Provided by Customer (Customer System Specific)",
        "provided by customer",
        (false, true, false),
    ),
    (
        "Shared (Service Provider and Customer Responsibility)",
        "shared",
        (true, true, false),
    ),
    (
        "Inherited from pre-existing FedRAMP Authorization",
        "inherited from pre existing",
        (false, false, true),
    ),
];

/// The CIS implementation status columns.
pub(crate) const STATUS: &[&str] = &[
    "Implemented",
    "Partially Implemented",
    "Planned",
    "Alternative Implementation",
    "Not Applicable",
];

pub const CRM_INHERIT: &str = "Can Be Inherited from CSP";
pub const CRM_TEXT: &str = "Specific Inheritance and Customer Agency/CSP Responsibilities";

/// How origination becomes roles; the model's `roles.note` says it.
pub const ORIGINATION_NOTE: &str = "Roles come from the CIS worksheet's control origination, not from RACI letters: a Service Provider origination (Corporate, System Specific, Hybrid) gives the service provider R and A; Configured or Provided by Customer gives the customer R and A; Shared gives both R and A (rule multiple-accountable reports these rows); Inherited from a pre-existing FedRAMP Authorization gives the leveraged authorization R and A. A row with no origination takes its roles from the CRM: Can Be Inherited from CSP Yes gives the service provider R and A, Partial both, No the customer. The CRM's responsibilities text is the activity's text; the implementation status, origination and CRM answer as published are notes.";

const CIS_KEYS: &[&str] = &["control id", "service provider corporate"];
const CRM_KEYS: &[&str] = &["control id", "can be inherited from csp"];

/// Whether a workbook is a FedRAMP CIS/CRM workbook.
pub fn recognise(sheets: &[Sheet]) -> bool {
    sheets
        .iter()
        .any(|s| find_header(s, CIS_KEYS).is_some() || find_header(s, CRM_KEYS).is_some())
}

/// The SP 800-53 control families, for section titles.
const FAMILIES: &[(&str, &str)] = &[
    ("AC", "Access Control"),
    ("AT", "Awareness and Training"),
    ("AU", "Audit and Accountability"),
    ("CA", "Assessment, Authorization, and Monitoring"),
    ("CM", "Configuration Management"),
    ("CP", "Contingency Planning"),
    ("IA", "Identification and Authentication"),
    ("IR", "Incident Response"),
    ("MA", "Maintenance"),
    ("MP", "Media Protection"),
    ("PE", "Physical and Environmental Protection"),
    ("PL", "Planning"),
    ("PM", "Program Management"),
    ("PS", "Personnel Security"),
    ("PT", "PII Processing and Transparency"),
    ("RA", "Risk Assessment"),
    ("SA", "System and Services Acquisition"),
    ("SC", "System and Communications Protection"),
    ("SI", "System and Information Integrity"),
    ("SR", "Supply Chain Risk Management"),
];

/// A control id as FedRAMP writes it (`AC-2`, `AC-02 (01)`, `AC-2(1)(a)`, `AC-2 a.`,
/// `AC-2a.1.`) in OSCAL's form (`ac-2`, `ac-2.1`, `ac-2.1_smt.a`, `ac-2_smt.a`,
/// `ac-2_smt.a.1`); `None` when it is not one.
pub fn oscal_id(s: &str) -> Option<String> {
    let s = s.trim();
    let (fam, rest) = s.split_once('-')?;
    let fam = fam.trim();
    if fam.len() != 2 || !fam.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let rest = rest.trim_start();
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let num: u32 = digits.parse().ok()?;
    let mut out = format!("{}-{num}", fam.to_ascii_lowercase());
    // The parts after the number: runs of letters or digits, in order.
    let tail = &rest[digits.len()..];
    let mut parts: Vec<(String, bool)> = Vec::new(); // (run, in parentheses)
    let mut cur = String::new();
    let mut paren = false;
    let mut cur_paren = false;
    for c in tail.chars() {
        if c.is_ascii_alphanumeric() {
            if cur.is_empty() {
                cur_paren = paren;
            }
            // `2a`: a digit run followed by a letter is two parts.
            if !cur.is_empty() && cur.chars().all(|x| x.is_ascii_digit()) != c.is_ascii_digit() {
                parts.push((std::mem::take(&mut cur), cur_paren));
                cur_paren = paren;
            }
            cur.push(c);
        } else {
            if !cur.is_empty() {
                parts.push((std::mem::take(&mut cur), cur_paren));
            }
            match c {
                '(' => paren = true,
                ')' => paren = false,
                ' ' | '.' | '-' => {}
                _ => return None,
            }
        }
    }
    if !cur.is_empty() {
        parts.push((cur, cur_paren));
    }
    let mut stmt: Vec<String> = Vec::new();
    for (i, (p, in_paren)) in parts.into_iter().enumerate() {
        let numeric = p.chars().all(|c| c.is_ascii_digit());
        if i == 0 && numeric && in_paren {
            out.push_str(&format!(".{}", p.parse::<u32>().ok()?));
        } else if numeric {
            stmt.push(p.parse::<u32>().ok()?.to_string());
        } else {
            stmt.push(p.to_ascii_lowercase());
        }
    }
    if !stmt.is_empty() {
        if stmt[0].chars().all(|c| c.is_ascii_digit()) {
            return None; // `AC-2 1` without parentheses is not a statement
        }
        out.push_str("_smt.");
        out.push_str(&stmt.join("."));
    }
    Some(out)
}

/// OSCAL's form back to FedRAMP's (`ac-2.1_smt.a` → `AC-2(1)(a)`).
pub fn fedramp_id(oscal: &str) -> String {
    let (ctl, stmt) = oscal.split_once("_smt.").unwrap_or((oscal, ""));
    let (base, enh) = ctl.split_once('.').unwrap_or((ctl, ""));
    let mut out = base.to_ascii_uppercase();
    if !enh.is_empty() {
        out.push_str(&format!("({enh})"));
    }
    for p in stmt.split('.').filter(|p| !p.is_empty()) {
        out.push_str(&format!("({p})"));
    }
    out
}

struct Joined {
    published: String,
    loc: Loc,
    cis: Option<Vec<String>>,
    crm: Option<(Loc, String, String)>,
}

/// Reads the CIS and CRM sheets of a workbook into the importer's intermediate form.
pub(crate) fn read(file: &str, sheets: &[Sheet]) -> Result<Doc, ImportError> {
    let mut doc = Doc::new(file);
    let cis = sheets
        .iter()
        .find_map(|s| find_header(s, CIS_KEYS).map(|h| (s, h.0)));
    let crm = sheets
        .iter()
        .find_map(|s| find_header(s, CRM_KEYS).map(|h| (s, h.0)));
    if cis.is_none() && crm.is_none() {
        return Err(ImportError::NotThatFormat {
            file: file.to_string(),
            message: "no sheet with FedRAMP CIS columns (`Control ID`, `Service Provider Corporate`...) or CRM columns (`Control ID`, `Can Be Inherited from CSP`)".into(),
        });
    }
    let mut order: Vec<String> = Vec::new();
    let mut rows: HashMap<String, Joined> = HashMap::new();
    let mut cis_cols: Vec<(usize, &str)> = Vec::new(); // origination and status columns
    let mut title = None;
    let at = |s: &Sheet, line: usize| Loc {
        sheet: Some(s.name.clone()),
        line: Some(line),
    };
    for (sheet, hi, is_cis) in [
        cis.map(|(s, h)| (s, h, true)),
        crm.map(|(s, h)| (s, h, false)),
    ]
    .into_iter()
    .flatten()
    {
        let header: Vec<String> = sheet.rows[hi].1.iter().map(|c| key(c)).collect();
        let id_col = header.iter().position(|k| k == "control id").unwrap_or(0);
        title = title.or_else(|| {
            sheet.rows[..hi]
                .iter()
                .flat_map(|(_, c)| c.iter())
                .find(|c| !c.trim().is_empty())
                .cloned()
        });
        let (c_inherit, c_text) = (
            header
                .iter()
                .position(|k| k.starts_with("can be inherited")),
            header
                .iter()
                .position(|k| k.starts_with("specific inheritance")),
        );
        if is_cis {
            for (label, k, _) in ORIGINATION {
                if let Some(i) = header.iter().position(|h| h.starts_with(k)) {
                    cis_cols.push((i, label));
                }
            }
            for label in STATUS {
                let k = key(label);
                if let Some(i) = header.iter().position(|h| *h == k) {
                    cis_cols.push((i, label));
                }
            }
        }
        for (line, cells) in &sheet.rows[hi + 1..] {
            let published = cells.get(id_col).map(|s| s.trim()).unwrap_or("");
            if published.is_empty() {
                if cells.iter().any(|c| !c.trim().is_empty()) {
                    doc.warn_at(
                        &at(sheet, *line),
                        Some(id_col),
                        Some("Control ID"),
                        None,
                        "row without a control id; skipped",
                    );
                }
                continue;
            }
            let Some(id) = oscal_id(published).filter(|id| {
                FAMILIES
                    .iter()
                    .any(|(f, _)| id.get(..2).is_some_and(|x| x.eq_ignore_ascii_case(f)))
            }) else {
                doc.warn_at(
                    &at(sheet, *line),
                    Some(id_col),
                    Some("Control ID"),
                    Some(published),
                    "not an SP 800-53 control id of a known family (`AC-2`, `AC-2(1)`, `AC-2 (a)`); skipped",
                );
                continue;
            };
            let j = rows.entry(id.clone()).or_insert_with(|| {
                order.push(id.clone());
                Joined {
                    published: published.to_string(),
                    loc: at(sheet, *line),
                    cis: None,
                    crm: None,
                }
            });
            if is_cis {
                j.cis = Some(cells.clone());
            } else {
                let get = |i: Option<usize>| {
                    i.and_then(|i| cells.get(i))
                        .map(|s| s.trim().to_string())
                        .unwrap_or_default()
                };
                j.crm = Some((at(sheet, *line), get(c_inherit), get(c_text)));
            }
        }
    }
    doc.front.title = Some(title.unwrap_or_else(|| "FedRAMP CIS/CRM workbook".into()));
    doc.front.language = Some("en".into());
    doc.roles_note = Some(ORIGINATION_NOTE.into());
    doc.parties.push(Declared {
        label: "Service Provider".into(),
        id: "csp".into(),
        kind: PartyKind::Provider,
        name: None,
    });
    doc.parties.push(Declared {
        label: "Customer".into(),
        id: "customer".into(),
        kind: PartyKind::Customer,
        name: None,
    });
    let crm_col_of = |name: &str| {
        crm.and_then(|(s, hi)| {
            s.rows[hi]
                .1
                .iter()
                .position(|c| key(c).starts_with(&key(name)))
        })
    };
    let mut out = Vec::new();
    let mut leveraged = false;
    for id in order {
        let Some(j) = rows.remove(&id) else { continue };
        let (mut p, mut c, mut l) = (false, false, false);
        let mut notes = Vec::new();
        let checked = |cells: &[String], i: usize| {
            cells
                .get(i)
                .is_some_and(|v| !v.trim().is_empty() && !matches!(key(v).as_str(), "no" | "n"))
        };
        if let Some(cells) = &j.cis {
            let mut statuses = Vec::new();
            let mut origins = Vec::new();
            for (i, label) in &cis_cols {
                if checked(cells, *i) {
                    if let Some((_, _, (pp, cc, ll))) =
                        ORIGINATION.iter().find(|(lab, _, _)| lab == label)
                    {
                        p |= pp;
                        c |= cc;
                        l |= ll;
                        origins.push(*label);
                    } else {
                        statuses.push(*label);
                    }
                }
            }
            if !statuses.is_empty() {
                notes.push(format!("Implementation status: {}", statuses.join("; ")));
            }
            if !origins.is_empty() {
                notes.push(format!("Control origination: {}", origins.join("; ")));
            }
        }
        let mut text = String::new();
        if let Some((loc, inherit, t)) = &j.crm {
            text = t.clone();
            if !inherit.is_empty() {
                notes.push(format!("{CRM_INHERIT}: {inherit}"));
            }
            if !(p || c || l) {
                match key(inherit).as_str() {
                    "yes" => p = true,
                    "partial" => (p, c) = (true, true),
                    "no" => c = true,
                    _ => doc.warn_at(
                        loc,
                        crm_col_of(CRM_INHERIT),
                        Some(CRM_INHERIT),
                        Some(inherit),
                        "no control origination in the CIS and not Yes, Partial or No here; roles left empty",
                    ),
                }
            }
        } else if !(p || c || l) {
            doc.warn(
                &j.loc,
                Some("Control origination"),
                Some(&j.published),
                "no control origination checked and no CRM row; roles left empty",
            );
        }
        leveraged |= l;
        if text.is_empty() {
            text = j.published.clone();
        }
        let family = id.get(..2).unwrap_or("").to_ascii_uppercase();
        let family_title = FAMILIES
            .iter()
            .find(|(f, _)| *f == family)
            .map_or(family.clone(), |(_, t)| format!("{family} {t}"));
        let ra = |b: bool| if b { "RA" } else { "" }.to_string();
        let mut row = Row::new(
            vec![id.clone(), family_title, text, ra(p), ra(c), ra(l)],
            j.loc.clone(),
        );
        row.extra.notes = notes;
        row.extra.controls.push(ControlRef {
            catalog: "sp800-53".into(),
            id,
        });
        out.push(row);
    }
    let mut head = vec![
        "Id",
        "Section",
        "Activity",
        "Service Provider",
        "Customer",
        "Leveraged authorization",
    ];
    if leveraged {
        doc.parties.push(Declared {
            label: "Leveraged authorization".into(),
            id: "leveraged".into(),
            kind: PartyKind::ThirdParty,
            name: Some("Leveraged FedRAMP authorization".into()),
        });
    } else {
        head.pop();
        for r in &mut out {
            r.cells.pop();
        }
    }
    let first = cis.or(crm);
    doc.push_flat(
        first.map(|(s, _)| s.name.clone()),
        &head,
        first.map_or_else(Loc::default, |(s, hi)| at(s, s.rows[hi].0)),
        out,
    );
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fedramp_control_ids_in_oscal_form_and_back() {
        for (f, o) in [
            ("AC-2", "ac-2"),
            ("AC-02", "ac-2"),
            ("AC-2(1)", "ac-2.1"),
            ("AC-2 (1)", "ac-2.1"),
            ("AC-02 (01)", "ac-2.1"),
            ("AC-2(a)", "ac-2_smt.a"),
            ("AC-2 a.", "ac-2_smt.a"),
            ("AC-2a.1.", "ac-2_smt.a.1"),
            ("AC-2(1)(a)", "ac-2.1_smt.a"),
            ("SC-7(4)(c)", "sc-7.4_smt.c"),
        ] {
            assert_eq!(oscal_id(f).as_deref(), Some(o), "{f}");
        }
        assert_eq!(oscal_id("Access control"), None);
        assert_eq!(oscal_id("AC-x"), None);
        assert_eq!(fedramp_id("ac-2.1_smt.a"), "AC-2(1)(a)");
        assert_eq!(fedramp_id("ac-2_smt.a.1"), "AC-2(a)(1)");
        assert_eq!(
            oscal_id(&fedramp_id("ac-2_smt.a.1")).as_deref(),
            Some("ac-2_smt.a.1")
        );
    }
}
