//! Hostile files through the importers (docs/robustness.md): bounded before anything is
//! sized by them, answered with a located warning or a typed error, never a panic.

use std::io::{Cursor, Read, Write};

use onus_interchange::import::{self, Format};
use onus_limits::Limits;

/// A small matrix workbook written by rust_xlsxwriter.
fn workbook() -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, row) in [
        ["Activity", "Customer", "Provider"],
        ["Back up volumes", "RA", "I"],
    ]
    .iter()
    .enumerate()
    {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r as u32, c as u16, *v).unwrap();
        }
    }
    wb.save_to_buffer().unwrap()
}

/// `bytes` with `f` applied to the text of one part (its other parts as they were).
fn rewrite(bytes: &[u8], part: &str, f: &dyn Fn(String) -> String) -> Vec<u8> {
    let mut zin = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..zin.len() {
        let mut p = zin.by_index(i).unwrap();
        let name = p.name().to_string();
        let mut data = Vec::new();
        p.read_to_end(&mut data).unwrap();
        if name == part {
            data = f(String::from_utf8(data).unwrap()).into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&data).unwrap();
    }
    out.finish().unwrap().into_inner()
}

fn with_cell(reference: &str) -> Vec<u8> {
    let row: String = reference.chars().filter(char::is_ascii_digit).collect();
    rewrite(&workbook(), "xl/worksheets/sheet1.xml", &|s| {
        s.replace(
            "</sheetData>",
            &format!("<row r=\"{row}\"><c r=\"{reference}\" t=\"inlineStr\"><is><t>x</t></is></c></row></sheetData>"),
        )
        .replace("<dimension ref=\"A1:C2\"/>", &format!("<dimension ref=\"A1:{reference}\"/>"))
    })
}

#[test]
fn huge_cell_references_are_skipped_with_a_warning_not_allocated() {
    // `XFD1048576` made calamine allocate 512 GiB (abort); `B3000000` took 9 s and 2.8 GB.
    for (reference, row) in [("XFD1048576", 1_048_576), ("B3000000", 3_000_000)] {
        let imported =
            import::import_bytes("big.xlsx", &with_cell(reference), Format::Xlsx).unwrap();
        assert_eq!(imported.model.activities.len(), 1);
        let w = imported
            .warnings
            .iter()
            .find(|w| w.message.contains("beyond what the importer reads"))
            .unwrap_or_else(|| panic!("{:?}", imported.warnings));
        assert_eq!(w.line, Some(row));
        assert!(w.message.contains(reference), "{}", w.message);
    }
    // Within the bounds, a far cell is read (and the cells before it are empty).
    let imported = import::import_bytes("ok.xlsx", &with_cell("E40"), Format::Xlsx).unwrap();
    assert!(imported
        .warnings
        .iter()
        .all(|w| !w.message.contains("beyond")));
}

#[test]
fn a_zip_bomb_workbook_is_refused_before_it_is_opened() {
    // A part of 2 MiB of zeros (a few kilobytes packed), against a limit of 1 MiB.
    let bomb = rewrite(&workbook(), "xl/sharedStrings.xml", &|s| {
        s + &" ".repeat(2 << 20)
    });
    let limits = Limits {
        xlsx_unpacked_bytes: 1 << 20,
        ..Limits::DEFAULT
    };
    let e =
        import::import_bytes_with_limits("bomb.xlsx", &bomb, Format::Xlsx, &limits).unwrap_err();
    assert!(e.to_string().contains("a zip bomb?"), "{e}");
    // The default limit reads it.
    assert!(import::import_bytes("bomb.xlsx", &bomb, Format::Xlsx).is_ok());
}

#[test]
fn deep_front_matter_is_refused_at_once() {
    // 100,000 levels: 42 s to be refused before (libyaml); now the depth limit stops it.
    let n = 100_000;
    let md = format!(
        "---\nx: {}{}\n---\n\n| Activity | Customer | Provider |\n|---|---|---|\n| Back up | RA | I |\n",
        "[".repeat(n),
        "]".repeat(n)
    );
    let imported = import::import_bytes("deep.md", md.as_bytes(), Format::Markdown).unwrap();
    assert_eq!(imported.model.activities.len(), 1);
    assert!(
        imported.warnings[0]
            .message
            .contains("front matter is not YAML"),
        "{:?}",
        imported.warnings
    );
    assert_eq!(imported.warnings[0].line, Some(1));
}
