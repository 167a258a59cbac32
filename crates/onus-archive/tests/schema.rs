//! The committed JSON Schema of the onus.export/v1 files matches the Rust types, and
//! docs/portal.md describes every file.

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn committed_schema_is_generated_from_the_types() {
    let committed = std::fs::read_to_string(root().join("schema/export.schema.json")).unwrap();
    let committed: serde_json::Value = serde_json::from_str(&committed).unwrap();
    assert!(
        committed == onus_archive::format::schema(),
        "schema/export.schema.json is stale: run `cargo run -q -- schema export > schema/export.schema.json`"
    );
}

#[test]
fn every_file_of_the_format_is_documented() {
    let doc = std::fs::read_to_string(root().join("docs/portal.md")).unwrap();
    let schema = onus_archive::format::schema();
    let description = schema["description"].as_str().unwrap();
    let names: Vec<&str> = description
        .split([' ', ','])
        .map(|w| w.trim_end_matches('.'))
        .filter(|w| w.ends_with(".json") || w.ends_with(".jsonl"))
        .collect();
    assert_eq!(
        names.len(),
        schema["properties"].as_object().unwrap().len(),
        "{names:?}"
    );
    for name in names {
        assert!(
            doc.contains(&format!("`{name}`")),
            "docs/portal.md does not describe `{name}` of the onus.export/v1 archive"
        );
    }
}
