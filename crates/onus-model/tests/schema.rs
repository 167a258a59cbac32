//! The committed JSON Schema and the format documentation match the Rust types.

use std::collections::BTreeSet;

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn committed_schema_is_generated_from_the_types() {
    let committed = std::fs::read_to_string(root().join("schema/model.schema.json")).unwrap();
    let committed: serde_json::Value = serde_json::from_str(&committed).unwrap();
    let generated = onus_model::Model::json_schema();
    assert!(committed == generated, "schema/model.schema.json is stale: run `cargo run -q -- schema > schema/model.schema.json`");
}

fn property_names(v: &serde_json::Value, out: &mut BTreeSet<String>) {
    match v {
        serde_json::Value::Object(m) => {
            if let Some(serde_json::Value::Object(props)) = m.get("properties") {
                out.extend(props.keys().cloned());
            }
            for x in m.values() {
                property_names(x, out);
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| property_names(x, out)),
        _ => {}
    }
}

#[test]
fn every_field_is_documented() {
    let doc = std::fs::read_to_string(root().join("docs/model-format.md")).unwrap();
    let mut names = BTreeSet::new();
    property_names(&onus_model::Model::json_schema(), &mut names);
    let missing: Vec<&String> = names
        .iter()
        .filter(|n| !doc.contains(&format!("`{n}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "fields missing from docs/model-format.md: {missing:?}"
    );
}
