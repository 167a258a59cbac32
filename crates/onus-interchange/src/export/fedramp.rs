//! The model as FedRAMP's CIS/CRM workbook (appendix J of a FedRAMP SSP): a **CIS
//! Worksheet** with one row per SP 800-53 control or statement, an `X` under its
//! implementation status and control origination, and a **CRM Worksheet** saying whether a
//! customer can inherit it and what the customer must do. [`crate::import::fedramp`] reads it
//! back.
//!
//! Which controls: an activity's own `controls` of catalog `sp800-53` (a model imported from
//! a CIS/CRM or a CAIQ keeps them), else the controls of its topics in the vocabulary (as the
//! OSCAL export does). Per control, the origination comes from who holds R or A among the
//! activities tied to it: the provider only gives *Service Provider System Specific*, the
//! customer only *Provided by Customer*, both *Shared*, a third party *Inherited from
//! pre-existing FedRAMP Authorization*; and the CRM answer *Yes*, *Partial* or *No*
//! accordingly. A model imported from a CIS/CRM keeps its published status, origination
//! and answer (they are in its notes), so the workbook comes back as published.

use onus_model::{Activity, Duty, Model, PartyKind, Vocabulary};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet};

use super::xlsx::ExportError;
use crate::import::fedramp::{fedramp_id, oscal_id, CRM_INHERIT, CRM_TEXT, ORIGINATION, STATUS};

/// The CIS sheet's name.
pub const CIS_SHEET: &str = "CIS Worksheet";
/// The CRM sheet's name.
pub const CRM_SHEET: &str = "CRM Worksheet";

/// One control's row in both sheets.
#[derive(Debug)]
struct ControlRow<'a> {
    activities: Vec<&'a Activity>,
}

/// A control id's sort key: family, number, then the rest (`ac-2` < `ac-2.1` < `ac-2_smt.a`
/// < `ac-10`).
fn order(id: &str) -> (String, u32, String) {
    let (fam, rest) = id.split_once('-').unwrap_or((id, ""));
    let n: String = rest.chars().take_while(char::is_ascii_digit).collect();
    (
        fam.to_string(),
        n.parse().unwrap_or(0),
        rest[n.len()..].to_string(),
    )
}

/// The notes a FedRAMP import left: `prefix: a; b`.
fn noted<'a>(acts: &[&'a Activity], prefix: &str) -> Vec<&'a str> {
    acts.iter()
        .flat_map(|a| a.notes.iter())
        .filter_map(|n| n.all().next())
        .filter_map(|n| n.strip_prefix(prefix))
        .flat_map(|v| v.split("; "))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect()
}

/// The model as a CIS/CRM workbook. `lang` is the language of the texts.
pub fn to_fedramp(m: &Model, vocab: &Vocabulary, lang: &str) -> Result<Vec<u8>, ExportError> {
    // Controls in the model's order when it names them itself (a CIS/CRM or CAIQ import),
    // else sorted as SP 800-53 lists them.
    let mut controls: Vec<(String, ControlRow)> = Vec::new();
    for a in &m.activities {
        let mut ids: Vec<String> = a
            .controls
            .iter()
            .filter(|c| c.catalog == "sp800-53")
            .map(|c| c.id.clone())
            .collect();
        if ids.is_empty() {
            let topics = if a.topics.is_empty() {
                &a.suggested_topics
            } else {
                &a.topics
            };
            for t in topics {
                if let Some(topic) = vocab.topic(t) {
                    ids.extend(topic.controls.iter().filter_map(|c| oscal_id(c)));
                }
            }
        }
        ids.dedup();
        for id in ids {
            match controls.iter_mut().find(|(c, _)| *c == id) {
                Some((_, row)) => row.activities.push(a),
                None => controls.push((
                    id,
                    ControlRow {
                        activities: vec![a],
                    },
                )),
            }
        }
    }
    let own = m
        .activities
        .iter()
        .any(|a| a.controls.iter().any(|c| c.catalog == "sp800-53"));
    if !own {
        controls.sort_by_key(|(id, _)| order(id));
    }
    let kind_holds = |a: &Activity, kind: PartyKind| {
        m.parties
            .iter()
            .filter(|p| p.kind == kind)
            .any(|p| m.holds(a, &p.id, Duty::Responsible) || m.holds(a, &p.id, Duty::Accountable))
    };

    let mut wb = Workbook::new();
    let wrap = super::xlsx::wrapped();
    let head = super::xlsx::wrapped().set_bold();
    let mark = Format::new()
        .set_align(FormatAlign::Center)
        .set_border(FormatBorder::Thin);
    // The model's title stands above each sheet's header, where the importer reads it back.
    let title = m.title.best(lang).to_string();
    let licence = super::license_line(m).unwrap_or_default();

    // CIS.
    let mut cis = Worksheet::new();
    cis.set_name(CIS_SHEET)?;
    cis.write_string(0, 0, &title)?;
    cis.write_string(1, 0, &licence)?;
    cis.write_string_with_format(2, 1, "Implementation Status", &head)?;
    cis.write_string_with_format(2, 1 + STATUS.len() as u16, "Control Origination", &head)?;
    let mut col = 0u16;
    cis.write_string_with_format(3, col, "Control ID", &head)?;
    for s in STATUS {
        col += 1;
        cis.write_string_with_format(3, col, *s, &head)?;
    }
    for (label, _, _) in ORIGINATION {
        col += 1;
        cis.write_string_with_format(3, col, *label, &head)?;
    }
    cis.set_column_width(0, 16.0)?;
    for c in 1..=col {
        cis.set_column_width(c, 14.0)?;
    }
    cis.set_freeze_panes(4, 1)?;

    // CRM.
    let mut crm = Worksheet::new();
    crm.set_name(CRM_SHEET)?;
    crm.write_string(0, 0, &title)?;
    crm.write_string(1, 0, &licence)?;
    crm.write_string_with_format(3, 0, "Control ID", &head)?;
    crm.write_string_with_format(3, 1, CRM_INHERIT, &head)?;
    crm.write_string_with_format(3, 2, CRM_TEXT, &head)?;
    crm.set_column_width(0, 16.0)?;
    crm.set_column_width(1, 16.0)?;
    crm.set_column_width(2, 90.0)?;
    crm.set_freeze_panes(4, 1)?;

    for (r, (id, row)) in controls.iter().enumerate() {
        let r = r as u32 + 4;
        let acts = &row.activities;
        // The id as published when a CIS/CRM import kept it as the row's text, else FedRAMP's
        // form of the OSCAL id.
        let fid = acts
            .iter()
            .map(|a| a.text.best(lang))
            .find(|t| oscal_id(t).as_deref() == Some(id.as_str()))
            .map_or_else(|| fedramp_id(id), str::to_string);
        // A model imported from a CIS/CRM keeps which sheet each row was on: a row only in the
        // CIS (or only in the CRM) stays so.
        let from_cis = !noted(acts, "Control origination: ").is_empty()
            || !noted(acts, "Implementation status: ").is_empty();
        let from_crm = !noted(acts, &format!("{CRM_INHERIT}: ")).is_empty();
        let (in_cis, in_crm) = if from_cis || from_crm {
            (from_cis, from_crm)
        } else {
            (true, true)
        };
        let (p, c, t) = (
            acts.iter().any(|a| kind_holds(a, PartyKind::Provider)),
            acts.iter().any(|a| kind_holds(a, PartyKind::Customer)),
            acts.iter().any(|a| kind_holds(a, PartyKind::ThirdParty)),
        );
        // Status and origination: as published when the model came from a CIS, else derived.
        let statuses = noted(acts, "Implementation status: ");
        let mut origins = noted(acts, "Control origination: ");
        if origins.is_empty() {
            if p && c {
                origins.push(ORIGINATION[5].0);
            } else if p {
                origins.push(ORIGINATION[1].0);
            } else if c {
                origins.push(ORIGINATION[4].0);
            }
            if t {
                origins.push(ORIGINATION[6].0);
            }
        }
        if in_cis {
            cis.write_string_with_format(r, 0, &fid, &wrap)?;
        }
        if in_crm {
            crm.write_string_with_format(r, 0, &fid, &wrap)?;
        }
        for (k, s) in STATUS.iter().enumerate() {
            if !in_cis {
                break;
            }
            let on = statuses.contains(s);
            cis.write_string_with_format(r, 1 + k as u16, if on { "X" } else { "" }, &mark)?;
        }
        for (k, (label, _, _)) in ORIGINATION.iter().enumerate() {
            if !in_cis {
                break;
            }
            let on = origins.contains(label);
            cis.write_string_with_format(
                r,
                1 + (STATUS.len() + k) as u16,
                if on { "X" } else { "" },
                &mark,
            )?;
        }
        let inherit = noted(acts, &format!("{CRM_INHERIT}: "))
            .first()
            .map(|s| s.to_string())
            .unwrap_or_else(|| {
                match (p || t, c) {
                    (true, false) => "Yes",
                    (true, true) => "Partial",
                    (false, true) => "No",
                    (false, false) => "",
                }
                .to_string()
            });
        if !in_crm {
            continue;
        }
        crm.write_string_with_format(r, 1, &inherit, &wrap)?;
        let text = if acts.len() == 1 && !acts[0].controls.is_empty() {
            // One published row: its text as published.
            acts[0].text.best(lang).to_string()
        } else {
            acts.iter()
                .map(|a| {
                    let who: Vec<String> = m
                        .parties
                        .iter()
                        .filter(|q| {
                            m.holds(a, &q.id, Duty::Responsible)
                                || m.holds(a, &q.id, Duty::Accountable)
                        })
                        .map(|q| q.name.best(lang).to_string())
                        .collect();
                    format!("{}: {}", who.join(" and "), a.text.best(lang))
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        crm.write_string_with_format(r, 2, &text, &wrap)?;
    }
    wb.push_worksheet(cis);
    wb.push_worksheet(crm);
    Ok(wb.save_to_buffer()?)
}
