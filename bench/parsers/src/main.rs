//! Times YAML parsers on one multi-document export, single-threaded, best of 3 runs.
use std::time::Instant;

use serde::Deserialize;

fn best<T>(name: &str, mut f: impl FnMut() -> T, count: impl Fn(&T) -> usize) {
    let mut times = Vec::new();
    let mut n = 0;
    for _ in 0..3 {
        let t = Instant::now();
        let r = f();
        times.push(t.elapsed().as_secs_f64());
        n = count(&r);
        drop(r);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    println!("| {name} | {n} | {:.2} s |", times[0]);
}

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: onus-parser-bench FILE.yaml");
    let text = std::fs::read_to_string(&path).expect("readable file");
    println!("input: {path}, {} bytes", text.len());
    println!("| parser | documents | best of 3, one core |\n|---|---|---|");
    best(
        "saphyr-parser events only (no tree)",
        || {
            let mut p = saphyr_parser::Parser::new_from_str(&text);
            let mut docs = 0;
            while let Some(Ok((ev, _))) = p.next_event() {
                if matches!(ev, saphyr_parser::Event::DocumentEnd) {
                    docs += 1;
                }
            }
            docs
        },
        |n| *n,
    );
    let lim = |span_depth| onus_yaml::Limits {
        max_bytes: usize::MAX,
        max_depth: 128,
        max_nodes: usize::MAX / 2,
        record_spans: true,
        span_depth,
    };
    best(
        "onus-yaml (saphyr events → serde_json::Value), spans to depth 2 (used)",
        || onus_yaml::parse_all(&text, &lim(2)).expect("parses"),
        Vec::len,
    );
    best(
        "onus-yaml, a span and pointer for every node (before)",
        || onus_yaml::parse_all(&text, &lim(usize::MAX)).expect("parses"),
        Vec::len,
    );
    best(
        "yaml-rust2 0.10 (its own DOM, no serde_json)",
        || yaml_rust2::YamlLoader::load_from_str(&text).expect("parses"),
        Vec::len,
    );
    best(
        "serde_yaml_ng 0.10 → serde_json::Value",
        || {
            serde_yaml_ng::Deserializer::from_str(&text)
                .map(|d| serde_json::Value::deserialize(d).expect("parses"))
                .collect::<Vec<_>>()
        },
        Vec::len,
    );
    let docs: Vec<serde_json::Value> = onus_yaml::parse_all(&text, &lim(0))
        .expect("parses")
        .into_iter()
        .map(|d| d.value)
        .collect();
    let json = serde_json::to_string(&docs).expect("serializes");
    drop(docs);
    println!("(same objects as one JSON array: {} bytes)", json.len());
    best(
        "serde_json → serde_json::Value (the JSON form)",
        || serde_json::from_str::<serde_json::Value>(&json).expect("parses"),
        |v| v.as_array().map_or(0, Vec::len),
    );
}
