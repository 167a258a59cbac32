//! The model as an XLSX workbook an auditor can work with: a `Matrix` sheet (section, activity,
//! one column per party, topics...) with roles coloured, the header frozen, an autofilter and
//! set column widths; a `Legend` sheet with the role letters, the parties, the model's
//! metadata, and the machine-readable metadata row that lets [`crate::import`] read the
//! workbook back into the same model.

use onus_model::{Duty, Model};
use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook, XlsxError};

use super::{cell, columns, metadata_cells, Col};

/// Why a workbook could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot write the XLSX workbook: {0}")]
    Xlsx(#[from] XlsxError),
}

/// The name of the matrix sheet.
pub const MATRIX_SHEET: &str = "Matrix";
/// The name of the legend and metadata sheet.
pub const LEGEND_SHEET: &str = "Legend";

/// A bordered, top-aligned cell whose text wraps: the body cells of onus's workbooks.
pub(crate) fn wrapped() -> Format {
    Format::new()
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        .set_border(FormatBorder::Thin)
}

/// The model as XLSX bytes. `lang` is the language shown first.
pub fn to_xlsx(m: &Model, lang: &str) -> Result<Vec<u8>, ExportError> {
    let mut wb = Workbook::new();
    let cols = columns(m, lang, true);
    let header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0x1F4E78))
        .set_font_color(Color::White)
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        .set_border(FormatBorder::Thin);
    let wrap = wrapped();
    let role = |rgb: u32| {
        Format::new()
            .set_bold()
            .set_align(FormatAlign::Center)
            .set_align(FormatAlign::Top)
            .set_background_color(Color::RGB(rgb))
            .set_border(FormatBorder::Thin)
    };
    // Colours by the strongest duty in the cell.
    let duty_of = |c: char| {
        m.roles
            .letters
            .iter()
            .find(|l| l.letter == c)
            .map(|l| l.duty)
    };
    let responsible = role(0xD6E6F7);
    let accountable = role(0xE6DDF5);
    let consulted = role(0xD7F0EE);
    let informed = role(0xEDEDED);
    let empty = Format::new().set_border(FormatBorder::Thin);

    let ws = wb.add_worksheet();
    ws.set_name(MATRIX_SHEET)?;
    for (j, (h, _)) in cols.iter().enumerate() {
        ws.write_string_with_format(0, j as u16, h, &header)?;
    }
    for (i, a) in m.activities.iter().enumerate() {
        let r = (i + 1) as u32;
        for (j, (_, c)) in cols.iter().enumerate() {
            let v = cell(m, a, c);
            let f = match c {
                Col::Party(_) => {
                    let duties: Vec<Duty> = v.chars().filter_map(duty_of).collect();
                    if duties.contains(&Duty::Responsible) {
                        &responsible
                    } else if duties.contains(&Duty::Accountable) {
                        &accountable
                    } else if duties.contains(&Duty::Consulted) {
                        &consulted
                    } else if duties.contains(&Duty::Informed) {
                        &informed
                    } else {
                        &empty
                    }
                }
                _ => &wrap,
            };
            ws.write_string_with_format(r, j as u16, &v, f)?;
        }
    }
    for (j, (_, c)) in cols.iter().enumerate() {
        let width = match c {
            Col::Text(_) | Col::Lead(_) => 60.0,
            Col::Notes(_) | Col::Footnotes(_) => 40.0,
            Col::SectionTitle(_) => 28.0,
            Col::Topics | Col::Suggested | Col::Controls => 30.0,
            Col::Party(_) => 12.0,
            Col::Id => 16.0,
            _ => 14.0,
        };
        ws.set_column_width(j as u16, width)?;
    }
    ws.set_freeze_panes(1, 0)?;
    let last_row = m.activities.len() as u32;
    ws.autofilter(0, 0, last_row.max(1), cols.len().saturating_sub(1) as u16)?;

    let ls = wb.add_worksheet();
    ls.set_name(LEGEND_SHEET)?;
    let bold = Format::new().set_bold();
    let mut r = 0u32;
    ls.write_string_with_format(r, 0, "Letter", &header)?;
    ls.write_string_with_format(r, 1, "Name", &header)?;
    ls.write_string_with_format(r, 2, "Definition", &header)?;
    for l in &m.roles.letters {
        r += 1;
        let f = match l.duty {
            Duty::Responsible => &responsible,
            Duty::Accountable => &accountable,
            Duty::Consulted => &consulted,
            Duty::Informed => &informed,
        };
        ls.write_string_with_format(r, 0, l.letter.to_string(), f)?;
        ls.write_string(r, 1, l.name.best(lang))?;
        ls.write_string(r, 2, l.definition.best(lang))?;
    }
    r += 2;
    let mut kv = |k: &str, v: &str, r: &mut u32| -> Result<(), XlsxError> {
        ls.write_string_with_format(*r, 0, k, &bold)?;
        ls.write_string(*r, 1, v)?;
        *r += 1;
        Ok(())
    };
    kv("Model", &m.id, &mut r)?;
    kv("Title", m.title.best(lang), &mut r)?;
    kv("Provider", &m.provider, &mut r)?;
    kv("Service", &m.service, &mut r)?;
    kv("Version", &m.version, &mut r)?;
    kv("Published", m.published.as_deref().unwrap_or(""), &mut r)?;
    kv("Languages", &m.languages.join(", "), &mut r)?;
    kv(
        "Source document",
        m.source.document.as_deref().unwrap_or(""),
        &mut r,
    )?;
    kv("Source URL", m.source.url.as_deref().unwrap_or(""), &mut r)?;
    kv(
        "Source licence",
        m.source.license.as_deref().unwrap_or(""),
        &mut r,
    )?;
    kv(
        "Attribution",
        m.source.attribution.as_deref().unwrap_or(""),
        &mut r,
    )?;
    for p in &m.parties {
        kv(
            &format!("Party `{}`", p.id),
            &format!("{} ({})", p.name.best(lang), p.kind.as_str()),
            &mut r,
        )?;
    }
    r += 1;
    for (j, v) in metadata_cells(m).iter().enumerate() {
        ls.write_string(r, j as u16, v)?;
    }
    ls.set_column_width(0, 18.0)?;
    ls.set_column_width(1, 40.0)?;
    ls.set_column_width(2, 60.0)?;
    Ok(wb.save_to_buffer()?)
}
