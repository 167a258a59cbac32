use super::*;
use crate::parse::{Chunk, Form};
use crate::split::Source;
use std::sync::Mutex;

/// What a visitor saw: seq, kind/name, line.
#[derive(Debug, Default)]
struct Rec(Vec<(u64, String, usize)>);

impl Visitor for Rec {
    fn object(&mut self, o: &Seen<'_>) {
        assert_eq!(
            o.doc
                .root()
                .path(&["metadata", "name"])
                .and_then(|n| n.as_str()),
            Some(o.name)
        );
        self.0
            .push((o.seq, format!("{}/{}", o.kind, o.name), o.origin.line));
    }
}

/// Reads in-memory files with a chunk size and a number of threads.
fn read_texts(
    files: &[(&str, &str)],
    chunk_bytes: usize,
    threads: usize,
    keep: Keep,
) -> Result<(Inventory, Vec<Rec>), InventoryError> {
    let sources: Vec<Source<'_>> = files
        .iter()
        .map(|(_, t)| Source::Text(t.as_bytes()))
        .collect();
    let names: Vec<String> = files.iter().map(|(n, _)| n.to_string()).collect();
    let opts = ReadOptions {
        threads,
        keep,
        chunk_bytes,
        limits: Limits::DEFAULT,
    };
    let out = split::run(&sources, &names, &opts, &Rec::default, 0)?;
    let mut inv = Inventory::default();
    let visitors = inv.absorb(out, names);
    Ok((inv, visitors))
}

fn all() -> Keep {
    ReadOptions::keep_all().keep
}

/// The chunks the reader cuts a text into.
fn chunks(text: &str, chunk_bytes: usize) -> Vec<Chunk> {
    let (tx, rx) = std::sync::mpsc::sync_channel(100_000);
    let stop = std::sync::atomic::AtomicBool::new(false);
    let sources = [Source::Text(text.as_bytes())];
    assert!(split::split_all(&sources, &tx, &stop, chunk_bytes, 0, &Limits::DEFAULT).is_ok());
    drop(tx);
    rx.into_iter().collect()
}

/// Everything a read says, to compare reads: objects, problems, visits.
type Summary = (
    Vec<(u64, String, usize, serde_json::Value)>,
    Vec<String>,
    Vec<(u64, String, usize)>,
);

fn summary(inv: &Inventory, visitors: Vec<Rec>) -> Summary {
    let objects = inv
        .objects()
        .map(|o| {
            (
                o.seq,
                format!("{}/{}", o.kind, o.name),
                o.origin.line,
                o.doc.to_json(),
            )
        })
        .collect();
    let problems = inv.problems().iter().map(|p| p.to_string()).collect();
    let mut seen: Vec<_> = visitors.into_iter().flat_map(|v| v.0).collect();
    seen.sort();
    (objects, problems, seen)
}

/// Reads `text` unsplit, then split in every way, and checks every read says the same.
fn same_every_way(text: &str) -> Summary {
    let (inv, v) = read_texts(&[("t.yaml", text)], 1 << 30, 1, all()).unwrap();
    let want = summary(&inv, v);
    assert_eq!(want.0.len(), inv.seen());
    for chunk in [1, 7, 64, 300, 4096] {
        for threads in [1, 2, 3] {
            let (inv, v) = read_texts(&[("t.yaml", text)], chunk, threads, all()).unwrap();
            let got = summary(&inv, v);
            assert_eq!(got, want, "chunk {chunk}, {threads} threads");
        }
    }
    want
}

#[test]
fn list_items_keep_their_lines() {
    let text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: a\n    namespace: n\n- apiVersion: v1\n  kind: Service\n  metadata:\n    name: b\n    namespace: n\n";
    let mut inv = Inventory::default();
    inv.add_text("l.yaml", text).unwrap();
    let lines: Vec<usize> = inv.objects().map(|o| o.origin.line).collect();
    assert_eq!(lines, vec![4, 9]);
    assert_eq!(inv.of_kind_in("Service", "n").count(), 1);
    same_every_way(text);
}

/// What `kubectl get -A -o yaml` prints: `kind: List` after the items, block scalars,
/// nested sequences at the items' indentation plus more, comments.
const KUBECTL: &str = r#"apiVersion: v1
items:
- apiVersion: v1
  data:
    script: |
      - not an item
      # not a comment
    other: "a
      - b"
  kind: ConfigMap
  metadata:
    name: c1
    namespace: ns1
# a comment at column 0
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: d1
    namespace: ns2
  spec:
    template:
      spec:
        containers:
        - name: main
          image: nginx
        - name: side
          args:
          - -v
-
  apiVersion: v1
  kind: Node
  metadata: {name: n1}

- apiVersion: v1
  kind: Pod
  metadata:
    name: p1
    namespace: ns1
kind: List
metadata:
  resourceVersion: ""
"#;

#[test]
fn kubectl_lists_are_split_between_items() {
    let (objects, problems, _) = same_every_way(KUBECTL);
    assert!(problems.is_empty(), "{problems:?}");
    let got: Vec<(&str, usize)> = objects.iter().map(|o| (o.1.as_str(), o.2)).collect();
    assert_eq!(
        got,
        [
            ("ConfigMap/c1", 3),
            ("Deployment/d1", 15),
            ("Node/n1", 29),
            ("Pod/p1", 34)
        ]
    );
    assert_eq!(
        objects[0].3["data"]["script"],
        "- not an item\n# not a comment\n"
    );
    assert_eq!(objects[0].3["data"]["other"], "a - b");
    assert_eq!(
        objects[1].3["spec"]["template"]["spec"]["containers"][1]["args"][0],
        "-v"
    );
    // Small chunks: one chunk per item, and the frame.
    let cs = chunks(KUBECTL, 1);
    let items: Vec<usize> = cs
        .iter()
        .filter_map(|c| match &c.form {
            Form::YamlItems { starts } => Some(starts.len()),
            _ => None,
        })
        .collect();
    assert_eq!(items, [1, 1, 1, 1]);
    assert!(matches!(
        cs.last().map(|c| &c.form),
        Some(Form::Frame { json: false, .. })
    ));
    // Indented items, `kind` first, a stream around it.
    let indented = format!(
        "kind: Pod\nmetadata: {{name: before}}\n---\nkind: PodList\nitems:\n  - kind: Pod\n    metadata: {{name: a}}\n  # c\n  - kind: Pod\n    metadata:\n      name: b\nmetadata: {{}}\n---\n{}",
        "kind: Pod\nmetadata: {name: after}\n"
    );
    let (objects, _, _) = same_every_way(&indented);
    let got: Vec<(&str, usize)> = objects.iter().map(|o| (o.1.as_str(), o.2)).collect();
    assert_eq!(
        got,
        [
            ("Pod/before", 1),
            ("Pod/a", 6),
            ("Pod/b", 9),
            ("Pod/after", 14)
        ]
    );
    assert!(chunks(&indented, 1)
        .iter()
        .any(|c| matches!(&c.form, Form::YamlItems { starts } if starts.len() == 1)));
}

#[test]
fn documents_with_items_that_are_not_lists_are_read_whole() {
    let text = "apiVersion: x/v1\nitems:\n- a\n- b\nkind: Foo\nmetadata:\n  name: f\n---\nitems: []\nkind: List\n---\nkind: List\nitems:\n---\nkind: List\nitems:\n  a: 1\n";
    let (objects, problems, _) = same_every_way(text);
    assert_eq!(objects.len(), 1);
    assert_eq!(objects[0].1, "Foo/f");
    assert_eq!(objects[0].3["items"], serde_json::json!(["a", "b"]));
    assert_eq!(problems, ["t.yaml:15: `items` of a List must be a list"]);
    assert!(!chunks(text, 1)
        .iter()
        .any(|c| matches!(c.form, Form::YamlItems { .. })));
}

#[test]
fn malformed_items_are_problems_and_the_rest_is_kept() {
    let text = "apiVersion: v1\nitems:\n- 1\n- kind: Pod\n  metadata: {}\n- kind: Pod\n  metadata: {name: ok}\n- metadata: {name: x}\n- kind: Pod\n  metadata: {name: d}\n  spec: {a: 1, a: 2}\n-\nkind: List\n";
    let (objects, problems, seen) = same_every_way(text);
    assert_eq!(objects.len(), 1);
    assert_eq!(seen.len(), 1);
    assert_eq!(
        problems,
        [
            "t.yaml:3: an item is not a mapping: not a Kubernetes object",
            "t.yaml:4: malformed object: it has no `metadata.name`",
            "t.yaml:8: malformed object: it has no `kind`",
            "t.yaml:9: malformed object: duplicate key `a` (in the mapping at line 11)",
            "t.yaml:12: an item is not a mapping: not a Kubernetes object",
        ]
    );
    // The same in a List read whole (flow style cannot be split).
    let flow = "{kind: List, items: [1, {kind: Pod, metadata: {name: ok}},\n {kind: Pod, metadata: {name: d}, spec: {a: 1, a: 2}}]}\n";
    let (objects, problems, _) = same_every_way(flow);
    assert_eq!(objects.len(), 1);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[1].contains("duplicate key `a`"), "{problems:?}");
}

#[test]
fn streams_json_and_malformed_items() {
    let text = "kind: Pod\nmetadata: {name: a}\n---\nkind: Pod\nmetadata: {}\n---\n- 1\n---\n";
    let mut inv = Inventory::default();
    inv.add_text("s.yaml", text).unwrap();
    assert_eq!(inv.len(), 1);
    assert_eq!(inv.problems().len(), 2);
    assert_eq!(inv.problems()[0].origin.line, 4);
    assert!(inv.problems()[0]
        .to_string()
        .starts_with("s.yaml:4: malformed"));
    let mut inv = Inventory::default();
    inv.add_text(
        "j.json",
        r#"{"kind":"List","items":[{"kind":"Node","metadata":{"name":"n1"}}]}"#,
    )
    .unwrap();
    assert_eq!(inv.of_kind("Node").next().unwrap().namespace, None);
    same_every_way(text);
}

/// What `kubectl get -A -o json` prints.
const KUBECTL_JSON: &str = r#"{
    "apiVersion": "v1",
    "items": [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "c1", "namespace": "ns1"},
            "data": {"s": "a \"quoted\" ] } string, with \\ and \n"}
        },
        {
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "d1", "namespace": "ns2"},
            "spec": {"replicas": 3, "ratio": 0.5, "big": 18446744073709551615, "on": true, "none": null, "list": [[1], {"a": []}]}
        },
        {"kind": "Pod", "metadata": {"name": "p1", "namespace": "ns1"}}, 7, "x",
        {"kind": "Pod", "metadata": {"name": "dup", "name": "again"}}
    ],
    "kind": "List",
    "metadata": {
        "resourceVersion": ""
    }
}
"#;

#[test]
fn kubectl_json_lists_are_split_between_items() {
    let (objects, problems, _) = same_every_way(KUBECTL_JSON);
    let got: Vec<(&str, usize)> = objects.iter().map(|o| (o.1.as_str(), o.2)).collect();
    assert_eq!(
        got,
        [("ConfigMap/c1", 4), ("Deployment/d1", 10), ("Pod/p1", 15)]
    );
    assert_eq!(
        objects[0].3["data"]["s"],
        "a \"quoted\" ] } string, with \\ and \n"
    );
    assert_eq!(objects[1].3["spec"]["replicas"], 3);
    assert_eq!(objects[1].3["spec"]["ratio"], 0.5);
    assert!(objects[1].3["spec"]["none"].is_null());
    assert_eq!(
        problems,
        [
            "t.yaml:15: an item is not a mapping: not a Kubernetes object",
            "t.yaml:15: an item is not a mapping: not a Kubernetes object",
            "t.yaml:16: malformed object: duplicate key `name`",
        ]
    );
    let cs = chunks(KUBECTL_JSON, 1);
    assert_eq!(
        cs.iter()
            .filter(|c| matches!(c.form, Form::JsonItems { .. }))
            .count(),
        6
    );
    // Minified, and a stream of objects.
    let minified = serde_json::to_string(
        &serde_json::from_str::<serde_json::Value>(
            &KUBECTL_JSON.replace(r#""name": "again""#, r#""x": 1"#),
        )
        .unwrap(),
    )
    .unwrap();
    let (objects, _, _) = same_every_way(&minified);
    assert_eq!(objects.len(), 4);
    assert!(objects.iter().all(|o| o.2 == 1));
    let stream = "{\"kind\": \"Pod\", \"metadata\": {\"name\": \"a\"}}\n{\"kind\": \"Pod\",\n \"metadata\": {\"name\": \"b\"}} [1]\n";
    let (objects, problems, _) = same_every_way(stream);
    let got: Vec<(&str, usize)> = objects.iter().map(|o| (o.1.as_str(), o.2)).collect();
    assert_eq!(got, [("Pod/a", 1), ("Pod/b", 2)]);
    assert_eq!(
        problems,
        ["t.yaml:3: an item is not a mapping: not a Kubernetes object"]
    );
}

#[test]
fn yaml_flow_documents_that_look_like_json() {
    let text = "{kind: Pod, metadata: {name: a}}\n---\n{kind: Pod, metadata: {name: 'b{'}}\n";
    let (objects, _, _) = same_every_way(text);
    let got: Vec<(&str, usize)> = objects.iter().map(|o| (o.1.as_str(), o.2)).collect();
    assert_eq!(got, [("Pod/a", 1), ("Pod/b{", 3)]);
    let json_with_yaml_item = r#"{"kind": "List", "items": [{kind: Pod, metadata: {name: y}}]}"#;
    let (objects, _, _) = same_every_way(json_with_yaml_item);
    assert_eq!(objects.len(), 1);
}

#[test]
fn syntax_errors_are_located_in_the_file() {
    let mut inv = Inventory::default();
    let e = inv
        .add_text("bad.yaml", "kind: Pod\nmetadata:\n  name: [a\n")
        .unwrap_err();
    assert!(
        matches!(e, InventoryError::Parse { ref file, line, .. } if file == "bad.yaml" && line >= 3),
        "{e}"
    );
    // In a later chunk of a stream, of a List, of a JSON List: the line in the file.
    let mut stream = "---\nkind: Pod\nmetadata: {name: a}\n".repeat(50);
    stream.push_str("---\nkind: Pod\nmetadata: {name: [b}\n");
    let mut list = String::from("apiVersion: v1\nitems:\n");
    list.push_str(&"- kind: Pod\n  metadata: {name: a}\n".repeat(50));
    list.push_str("- kind: Pod\n  metadata: {name: [b}\nkind: List\n");
    let mut json = String::from("{\"items\": [\n");
    json.push_str(&"{\"kind\": \"Pod\", \"metadata\": {\"name\": \"a\"}},\n".repeat(50));
    json.push_str("{\"kind\": \"Pod\", \"metadata\": {\"name\" \"b\"}}\n], \"kind\": \"List\"}\n");
    for (text, line, column) in [(&stream, 153, 20), (&list, 104, 22), (&json, 52, 37)] {
        for chunk in [1, 100, 1 << 30] {
            let e = read_texts(&[("f", text)], chunk, 2, all()).unwrap_err();
            match e {
                InventoryError::Parse {
                    line: l, column: c, ..
                } => assert_eq!((l, c), (line, column), "{e} (chunk {chunk})"),
                e => panic!("{e}"),
            }
        }
    }
    // The error nearest the start wins, whichever worker finds it first.
    let two = format!("{list}---\n[\n");
    let e = read_texts(&[("f", &two)], 10, 3, all()).unwrap_err();
    assert!(e.to_string().starts_with("f:104:"), "{e}");
    // Invalid UTF-8, located; a frame's errors too.
    let e = read_texts(
        &[("f", "kind: Pod\nmetadata: {name: a}\n---\na: \u{fffd}\n")],
        1,
        2,
        all(),
    );
    assert!(e.is_ok());
    let sources = [Source::Text(b"kind: Pod\nmetadata:\n  name: caf\xe9\n")];
    let e = split::run(&sources, &["l".into()], &ReadOptions::keep_all(), &|| (), 0)
        .err()
        .unwrap();
    assert_eq!(e.to_string(), "l:3:12: not valid UTF-8");
    let e = read_texts(
        &[(
            "f",
            "apiVersion: v1\nitems:\n- kind: Pod\n  metadata: {name: a}\nkind: List\nmetadata: [\n",
        )],
        1,
        2,
        all(),
    )
    .unwrap_err();
    assert!(e.to_string().starts_with("f:7:"), "{e}");
}

#[test]
fn duplicate_keys_are_problems() {
    let text = "kind: Pod\nmetadata:\n  name: a\n  name: b\n---\nkind: Pod\nmetadata: {name: c}\n";
    let (objects, problems, _) = same_every_way(text);
    assert_eq!(objects.len(), 1);
    assert_eq!(
        problems,
        ["t.yaml:1: malformed object: duplicate key `name` (in the mapping at line 3)"]
    );
}

#[test]
fn aliases_expand_and_bombs_are_bounded() {
    let text = "kind: Pod\nmetadata: &m {name: a, labels: &l {x: &v '1'}}\nspec:\n  labels: *l\n  value: *v\n  *v : key\n";
    let (objects, _, _) = same_every_way(text);
    assert_eq!(objects[0].3["spec"]["labels"]["x"], "1");
    assert_eq!(objects[0].3["spec"]["value"], "1");
    assert_eq!(objects[0].3["spec"]["1"], "key");
    let mut bomb =
        String::from("kind: Pod\nmetadata: {name: b}\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let p = i - 1;
        bomb.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let e = read_texts(&[("b", &bomb)], 0, 1, all()).unwrap_err();
    assert!(e.to_string().contains("alias bomb"), "{e}");
    let deep = format!(
        "kind: Pod\nmetadata: {{name: d}}\nx: {}{}\n",
        "[".repeat(200),
        "]".repeat(200)
    );
    assert!(read_texts(&[("d", &deep)], 0, 1, all()).is_err());
    let e = read_texts(&[("c", "? [a]\n: 1\n")], 0, 1, all()).unwrap_err();
    assert!(e.to_string().contains("must be a scalar"), "{e}");
}

#[test]
fn directives_and_document_ends() {
    let text = "%YAML 1.2\n---\nkind: Pod\nmetadata: {name: a}\n...\n%YAML 1.2\n---\nkind: Pod\nmetadata: {name: b}\n...\nkind: Pod\nmetadata: {name: c}\n";
    let (objects, _, _) = same_every_way(text);
    let got: Vec<(&str, usize)> = objects.iter().map(|o| (o.1.as_str(), o.2)).collect();
    assert_eq!(got, [("Pod/a", 3), ("Pod/b", 8), ("Pod/c", 11)]);
    assert!(chunks(text, 1)
        .iter()
        .skip(1)
        .any(|c| c.text.starts_with(b"%YAML")));
}

#[test]
fn keep_projects_and_namespaces_count_every_object() {
    let mut need = Need::default();
    need.at_path(&["metadata", "name"]).whole = true;
    let need = Arc::new(need);
    let keep: Keep = Arc::new(move |kind| (kind == "ConfigMap").then(|| need.clone()));
    let (inv, visitors) = read_texts(&[("k.yaml", KUBECTL)], 50, 2, keep).unwrap();
    assert_eq!(inv.len(), 1);
    assert_eq!(inv.seen(), 4);
    let cm = inv.object(0).unwrap();
    assert_eq!(
        cm.doc.to_json(),
        serde_json::json!({"metadata": {"name": "c1"}})
    );
    assert_eq!(cm.kind, "ConfigMap");
    assert_eq!(cm.namespace, Some("ns1"));
    assert_eq!(cm.name, "c1");
    assert_eq!(inv.namespaces_of("Pod").collect::<Vec<_>>(), ["ns1"]);
    assert_eq!(inv.namespaces_of("Deployment").collect::<Vec<_>>(), ["ns2"]);
    assert_eq!(inv.namespaces_of("Node").count(), 0);
    assert_eq!(inv.of_kind("Pod").count(), 0);
    assert_eq!(inv.kinds(), ["ConfigMap"]);
    // Every object was visited exactly once, whatever worker had it.
    let mut seqs: Vec<u64> = visitors
        .iter()
        .flat_map(|v| v.0.iter().map(|s| s.0))
        .collect();
    seqs.sort_unstable();
    seqs.dedup();
    assert_eq!(seqs.len(), 4);
}

#[test]
fn interned_strings_are_shared_and_seq_increases_across_files() {
    let a = "kind: Pod\nmetadata: {name: a, namespace: n}\n";
    let b = "kind: Pod\nmetadata: {name: b, namespace: n}\n";
    let (inv, _) = read_texts(&[("a", a), ("b", b), ("c", a)], 0, 3, all()).unwrap();
    assert_eq!(inv.objects().len(), 3);
    let o: Vec<ObjectRef<'_>> = inv.objects().collect();
    assert!(std::ptr::eq(o[0].kind, o[1].kind));
    assert!(std::ptr::eq(
        o[0].namespace.unwrap(),
        o[2].namespace.unwrap()
    ));
    assert!(o[0].seq < o[1].seq && o[1].seq < o[2].seq);
    assert_eq!(&**o[2].origin.file, "c");
    assert_eq!(o[2].origin.to_string(), "c:1");
    assert_eq!(
        o[2].origin.to_owned(),
        Origin {
            file: "c".into(),
            line: 1
        }
    );
    let mut inv2 = inv.clone();
    inv2.add_text("d", b).unwrap();
    assert!(inv2.object(3).unwrap().seq > o[2].seq);
    inv2.add_value(
        serde_json::json!({"kind": "List", "items": [{"kind": "Node", "metadata": {"name": "n"}}, 3]}),
        Origin {
            file: "live:x".into(),
            line: 0,
        },
    );
    assert_eq!(inv2.len(), 5);
    assert!(inv2.object(4).unwrap().seq > inv2.object(3).unwrap().seq);
    assert_eq!(inv2.object(4).unwrap().name, "n");
    assert!(inv2.object(5).is_none());
    assert_eq!(inv2.problems().len(), 1);
    assert_eq!(inv2.files(), ["a", "b", "c", "d", "live:x"]);
}

#[test]
fn a_panicking_visitor_is_an_error_not_a_hang() {
    struct Boom;
    impl Visitor for Boom {
        fn object(&mut self, _: &Seen<'_>) {
            panic!("boom");
        }
    }
    let text = "---\nkind: Pod\nmetadata: {name: a}\n".repeat(2000);
    let sources = [Source::Text(text.as_bytes())];
    let opts = ReadOptions {
        threads: 2,
        chunk_bytes: 64,
        ..ReadOptions::default()
    };
    let e = split::run(&sources, &["p".into()], &opts, &|| Boom, 0)
        .err()
        .unwrap();
    assert!(e.to_string().contains("boom"), "{e}");
}

#[test]
fn big_streams_are_split_on_document_boundaries() {
    let doc = "---\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: n\ndata:\n  k: |\n    v\n";
    let n = 3 * CHUNK_BYTES / doc.len();
    let text: String = doc.repeat(n);
    let cs = chunks(&text, CHUNK_BYTES);
    assert!(cs.len() >= 3);
    assert!(cs.iter().all(|c| c.text.starts_with(b"---\n")));
    let mut inv = Inventory::default();
    inv.add_text("big.yaml", &text).unwrap();
    assert_eq!(inv.len(), n);
    let last = inv.objects().last().unwrap();
    assert_eq!(last.origin.line, text.lines().count() - 6);
}

#[test]
fn folders_and_gzip() {
    let dir = std::env::temp_dir().join(format!("onus-inv-{}", std::process::id()));
    let sub = dir.join("sub");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(dir.join("a.yaml"), "kind: Node\nmetadata: {name: n1}\n").unwrap();
    std::fs::write(dir.join("notes.txt"), "not yaml: [").unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, b"kind: Node\nmetadata: {name: n2}\n").unwrap();
    std::fs::write(sub.join("b.yaml.gz"), gz.finish().unwrap()).unwrap();
    // A gzip List whose kind comes after its items, split into chunks (look-ahead through
    // the decompressed text), and a plain one.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, KUBECTL.as_bytes()).unwrap();
    std::fs::write(sub.join("c.yaml.gz"), gz.finish().unwrap()).unwrap();
    std::fs::write(sub.join("d.json"), KUBECTL_JSON).unwrap();
    let inv = Inventory::from_paths(std::slice::from_ref(&dir)).unwrap();
    let names: Vec<&str> = inv.of_kind("Node").map(|o| o.name).collect();
    assert_eq!(names, vec!["n1", "n2", "n1"]);
    assert_eq!(inv.len(), 2 + 4 + 3);
    let opts = ReadOptions {
        chunk_bytes: 1,
        ..ReadOptions::keep_all()
    };
    let (split, _) = read(std::slice::from_ref(&dir), &opts, &|| ()).unwrap();
    let key = |inv: &Inventory| {
        inv.objects()
            .map(|o| {
                (
                    o.seq,
                    o.name.to_string(),
                    o.origin.to_string(),
                    o.doc.to_json(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(key(&split), key(&inv));
    assert_eq!(split.problems(), inv.problems());
    assert_eq!(split.files().len(), 4);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn visitors_are_made_per_worker() {
    let made = Mutex::new(0);
    let text = "---\nkind: Pod\nmetadata: {name: a}\n".repeat(100);
    let sources = [Source::Text(text.as_bytes())];
    let opts = ReadOptions {
        threads: 3,
        chunk_bytes: 10,
        ..ReadOptions::default()
    };
    let out = split::run(
        &sources,
        &["v".into()],
        &opts,
        &|| {
            *made.lock().unwrap() += 1;
            Rec::default()
        },
        0,
    )
    .unwrap();
    let mut inv = Inventory::default();
    let visitors = inv.absorb(out, vec!["v".into()]);
    assert_eq!(visitors.len(), 3);
    assert_eq!(*made.lock().unwrap(), 3);
    assert_eq!(visitors.iter().map(|v| v.0.len()).sum::<usize>(), 100);
    assert_eq!(inv.seen(), 100);
    assert!(inv.is_empty());
}

#[test]
fn every_truncation_reads_the_same_split_or_not() {
    let texts = [
        KUBECTL.to_string(),
        KUBECTL_JSON.to_string(),
        "%YAML 1.2\n---\nkind: Pod\nmetadata: {name: a}\n...\n---\nkind: List\nitems:\n  - kind: Pod\n    metadata: {name: b}\n---\n[1, {a: 2}]\n".to_string(),
    ];
    for text in &texts {
        for end in 0..=text.len() {
            let t = &text[..end];
            let whole = read_texts(&[("t", t)], 1 << 30, 1, all());
            let split = read_texts(&[("t", t)], 1, 2, all());
            match (whole, split) {
                (Ok((a, va)), Ok((b, vb))) => {
                    assert_eq!(summary(&a, va), summary(&b, vb), "{t:?}")
                }
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{t:?}"),
                (a, b) => panic!(
                    "{t:?}: {:?} / {:?}",
                    a.map(|x| x.0.len()),
                    b.map(|x| x.0.len())
                ),
            }
        }
    }
}

/// Single-byte damage anywhere in a `List` (kind first, so that it is split) or a JSON
/// `List`: the split read succeeds exactly when the whole read does, with the same result.
/// (Syntax errors may be found at another place: an unclosed flow collection stops at the end
/// of its item's chunk instead of running on into the next items.)
#[test]
fn damaged_lists_read_the_same_split_or_not() {
    let base = KUBECTL
        .replace(
            "apiVersion: v1\nitems:\n",
            "apiVersion: v1\nkind: List\nitems:\n",
        )
        .replace(
            "kind: List\nmetadata:\n  resourceVersion",
            "metadata:\n  resourceVersion",
        );
    let mut seed: u64 = 7;
    for text in [base, KUBECTL_JSON.to_string()] {
        for _ in 0..500 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let pos = (seed >> 33) as usize % text.len();
            let mut b = text.clone().into_bytes();
            b[pos] = b"- \n:#\"{[]}&*,'"[(seed >> 20) as usize % 14];
            let t = String::from_utf8(b).unwrap();
            let whole = read_texts(&[("t", &t)], 1 << 30, 1, all());
            let split = read_texts(&[("t", &t)], 1, 2, all());
            match (whole, split) {
                (Ok((a, _)), Ok((b, _))) => {
                    assert_eq!(summary(&a, vec![]), summary(&b, vec![]), "{t:?}")
                }
                (Err(_), Err(_)) => {}
                (a, b) => panic!(
                    "{t:?}: {:?} / {:?}",
                    a.map(|x| x.0.len()),
                    b.map(|x| x.0.len())
                ),
            }
        }
    }
}

/// Hostile input: random texts over YAML's and JSON's indicators, deep nesting. Reading
/// returns, whatever it returns.
#[test]
fn hostile_input_never_panics() {
    let alphabet = b"-- \n\n:#\"'{}[],&*!|>%.\\ab1\t\r";
    let mut seed: u64 = 42;
    for _ in 0..1500 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let len = (seed >> 40) as usize % 120;
        let mut t = Vec::with_capacity(len + 20);
        if seed & 1 == 0 {
            t.extend_from_slice(b"{\"items\": [");
        } else if seed & 2 == 0 {
            t.extend_from_slice(b"kind: List\nitems:\n- ");
        }
        let mut s = seed;
        for _ in 0..len {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1);
            t.push(alphabet[(s >> 33) as usize % alphabet.len()]);
        }
        let t = String::from_utf8(t).unwrap();
        for chunk in [1, 1 << 30] {
            let _ = read_texts(&[("h", &t)], chunk, 2, all());
        }
    }
    for deep in [
        format!("{{\"kind\": \"List\", \"items\": [{}", "[".repeat(100_000)),
        format!("kind: List\nitems:\n- {}", "[".repeat(100_000)),
        format!("kind: List\nitems:\n- {}", "{a: ".repeat(10_000)),
        "- ".repeat(10_000),
    ] {
        assert!(read_texts(&[("d", &deep)], 64, 2, all()).is_err());
    }
}

/// What a visitor saw of every object: the whole object and its projections, copied apart.
#[derive(Default)]
struct Copies {
    needs: Vec<Need>,
    seen: Vec<(u64, String, Vec<serde_json::Value>)>,
}

impl Visitor for Copies {
    fn object(&mut self, o: &Seen<'_>) {
        let copies = (self.needs.iter())
            .map(|n| Doc::project(o.doc.root(), n).to_json())
            .collect();
        let id = format!(
            "{}|{}|{:?}|{}|{}",
            o.kind, o.api_version, o.namespace, o.name, o.origin
        );
        self.seen.push((o.seq, id, copies));
    }
}

fn identity() -> Need {
    let mut need = Need::default();
    for p in [
        &["kind"][..],
        &["apiVersion"],
        &["metadata", "name"],
        &["metadata", "namespace"],
    ] {
        need.at_path(p).whole = true;
    }
    need
}

/// Projections to test with: whole, identity, nothing of the name, containers' fields.
fn needs() -> Vec<Need> {
    let mut containers = Need::default();
    containers.at_path(&["metadata", "labels"]).whole = true;
    containers
        .at_path(&["spec", "template", "spec", "containers"])
        .each = Some(Box::new(Need {
        fields: [("image".to_string(), Need::whole())].into(),
        ..Need::default()
    }));
    let mut kind_only = Need::default();
    kind_only.at_path(&["kind"]).whole = true;
    vec![Need::whole(), identity(), kind_only, containers]
}

#[test]
fn kept_objects_read_back_as_their_copies() {
    let stream = "kind: Pod\napiVersion: v1\nmetadata: {name: a, namespace: n, labels: {x: y}}\n---\n{\"kind\": \"Node\", \"metadata\": {\"name\": \"n1\"}, \"status\": {\"f\": 0.5, \"i\": -7, \"b\": false, \"z\": null}}\n---\nkind: Pod\nmetadata:\n  name: b\n  namespace: n\n  a-key-much-longer-than-thirty-two-bytes-is-never-interned: 1\n";
    let json_stream = "{\"kind\": \"Pod\", \"metadata\": {\"name\": \"p\", \"namespace\": \"m\"}}\n{\"kind\": \"Pod\", \"metadata\": {\"name\": \"q\", \"namespace\": \"m\"}}\n";
    for text in [KUBECTL, KUBECTL_JSON, stream, json_stream] {
        for (k, need) in needs().into_iter().enumerate() {
            let need = Arc::new(need);
            let keep: Keep = Arc::new(move |_| Some(need.clone()));
            for (chunk, threads) in [(1 << 30, 1), (1, 2), (50, 3), (300, 2)] {
                let sources = [Source::Text(text.as_bytes())];
                let opts = ReadOptions {
                    threads,
                    keep: keep.clone(),
                    chunk_bytes: chunk,
                    limits: Limits::DEFAULT,
                };
                let make = || Copies {
                    needs: needs(),
                    ..Copies::default()
                };
                let out = split::run(&sources, &["t".to_string()], &opts, &make, 0).unwrap();
                let mut inv = Inventory::default();
                let visitors = inv.absorb(out, vec!["t".to_string()]);
                let mut seen: Vec<_> = visitors.into_iter().flat_map(|v| v.seen).collect();
                seen.sort_by_key(|s| s.0);
                assert_eq!(inv.len(), seen.len());
                assert!(inv.len() >= 2);
                for (o, (seq, id, copies)) in inv.objects().zip(&seen) {
                    let what = format!("need {k}, chunk {chunk}, {threads} threads");
                    assert_eq!(o.seq, *seq, "{what}");
                    let got = format!(
                        "{}|{}|{:?}|{}|{}",
                        o.kind, o.api_version, o.namespace, o.name, o.origin
                    );
                    assert_eq!(&got, id, "{what}");
                    assert_eq!(&o.doc.to_json(), &copies[k], "{what}");
                    assert_eq!(o.doc.to_json(), Doc::copy_of(o.doc).to_json());
                }
            }
        }
    }
}

#[test]
fn objects_come_in_input_order_across_workers_and_files() {
    let file = |f: usize| {
        (0..200)
            .map(|i| {
                let kind = ["Pod", "Service", "Node"][i % 3];
                let ns = if kind == "Node" {
                    String::new()
                } else {
                    format!(", namespace: ns{}", i % 4)
                };
                format!("kind: {kind}\nmetadata: {{name: o{f}-{i}{ns}}}\n---\n")
            })
            .collect::<String>()
    };
    let texts: Vec<String> = (0..3).map(file).collect();
    let files: Vec<(&str, &str)> = ["a", "b", "c"]
        .into_iter()
        .zip(texts.iter().map(String::as_str))
        .collect();
    let (inv, _) = read_texts(&files, 64, 3, all()).unwrap();
    assert_eq!(inv.len(), 600);
    let names: Vec<String> = inv.objects().map(|o| o.name.to_string()).collect();
    let want: Vec<String> = (0..3)
        .flat_map(|f| (0..200).map(move |i| format!("o{f}-{i}")))
        .collect();
    assert_eq!(names, want);
    let seqs: Vec<u64> = inv.objects().map(|o| o.seq).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
    for (i, o) in inv.objects().enumerate() {
        assert_eq!(&**o.origin.file, ["a", "b", "c"][i / 200]);
        assert_eq!(o.origin.line, 1 + 3 * (i % 200));
    }
    for kind in ["Pod", "Service", "Node"] {
        let idx = inv.indices_of_kind(kind);
        assert_eq!(idx.len(), inv.objects().filter(|o| o.kind == kind).count());
        assert!(idx.len() >= 198);
        assert!(idx.windows(2).all(|w| w[0] < w[1]));
        for (&i, o) in idx.iter().zip(inv.of_kind(kind)) {
            assert_eq!(inv.object(i as usize).unwrap().seq, o.seq);
            assert_eq!(o.kind, kind);
        }
        for ns in ["ns0", "ns1", "ns2", "ns3"] {
            let idx = inv.indices_of_kind_in(kind, ns);
            assert!(idx.windows(2).all(|w| w[0] < w[1]));
            assert!(inv
                .of_kind_in(kind, ns)
                .all(|o| o.kind == kind && o.namespace == Some(ns)));
            assert_eq!(
                idx.len(),
                inv.of_kind(kind)
                    .filter(|o| o.namespace == Some(ns))
                    .count()
            );
        }
    }
    assert_eq!(inv.indices_of_kind_in("Node", "ns0"), &[] as &[u32]);
    assert_eq!(inv.indices_of_kind_in("Pod", "nowhere"), &[] as &[u32]);
    assert_eq!(inv.indices_of_kind("Nothing"), &[] as &[u32]);
    assert_eq!(inv.kinds(), ["Node", "Pod", "Service"]);
}

/// Kept objects cost little: a typical projected object (kind, apiVersion, metadata.name,
/// metadata.namespace) takes 11 nodes (88 bytes), a 32-byte entry, two index positions
/// and its name's text; keys, kinds, apiVersions and namespaces are interned.
#[test]
fn kept_objects_are_compact() {
    let text: String = (0..10_000)
        .map(|i| {
            let (kind, api) = [("Deployment", "apps/v1"), ("Ingress", "networking.k8s.io/v1"), ("PersistentVolumeClaim", "v1")][i % 3];
            format!("---\napiVersion: {api}\nkind: {kind}\nmetadata:\n  name: obj-{i}\n  namespace: team-{}\n  labels: {{app: obj-{i}}}\nspec:\n  replicas: 2\n", i / 50)
        })
        .collect();
    let need = Arc::new(identity());
    let keep: Keep = Arc::new(move |_| Some(need.clone()));
    let (inv, _) = read_texts(&[("t", &text)], 0, 2, keep).unwrap();
    assert_eq!(inv.len(), 10_000);
    let per_object = inv.heap_size() / inv.len();
    eprintln!("{per_object} bytes per kept object");
    assert!(per_object < 150, "{per_object} bytes per kept object");
    assert_eq!(std::mem::size_of::<Entry>(), 32);
    let o = inv.object(9_998).unwrap();
    assert_eq!(
        o.doc.to_json(),
        serde_json::json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "obj-9998", "namespace": "team-199"}})
    );
}

/// A file in a fresh temporary folder of its own.
fn hostile_file(name: &str, bytes: &[u8]) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("onus-inv-hostile-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join(name);
    std::fs::write(&f, bytes).unwrap();
    (dir, f)
}

#[test]
fn a_gzip_bomb_stops_early() {
    // 1 GiB of zeros on one line, about 1 MB compressed (1,024 gzip members of 1 MiB each,
    // as `cat` of gzip files makes): never unpacked whole.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut gz, &vec![b'0'; 1 << 20]).unwrap();
    let zeros = gz.finish().unwrap().repeat(1024);
    let (dir, f) = hostile_file("zeros.yaml.gz", &zeros);
    let e = read(std::slice::from_ref(&f), &ReadOptions::default(), &|| ()).unwrap_err();
    assert!(e.to_string().contains("a gzip bomb?"), "{e}");
    // With the ratio unbounded, the document limit stops it: one line held, never more.
    let mut opts = ReadOptions::default();
    opts.limits.decompression_ratio = u64::MAX;
    opts.limits.document_bytes = 4 << 20;
    let e = read(std::slice::from_ref(&f), &opts, &|| ()).unwrap_err();
    assert!(
        matches!(e, InventoryError::TooLarge { line: 1, limit, .. } if limit == 4 << 20),
        "{e}"
    );
    // And with that unbounded too, the total limit.
    opts.limits.document_bytes = usize::MAX;
    opts.limits.decompressed_bytes = 8 << 20;
    let e = read(&[f], &opts, &|| ()).unwrap_err();
    assert!(e.to_string().contains("more than 8388608 bytes"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn documents_that_cannot_be_cut_are_bounded_and_lists_are_not() {
    let mut opts = ReadOptions::keep_all();
    opts.limits.document_bytes = 64 * 1024;
    // A kubectl List of 2,000 items (about 100 KiB) is cut between items: read.
    let mut list = String::from("apiVersion: v1\nitems:\n");
    for i in 0..2000 {
        list.push_str(&format!(
            "- kind: ConfigMap\n  metadata: {{name: c{i}, namespace: n}}\n"
        ));
    }
    list.push_str("kind: List\n");
    let (dir, f) = hostile_file("list.yaml", list.as_bytes());
    let (inv, _) = read(&[f], &opts, &|| ()).unwrap();
    assert_eq!(inv.len(), 2000);
    std::fs::remove_dir_all(&dir).unwrap();
    // One object of 300 KiB cannot be cut: refused (past the limit and a chunk), located, in
    // YAML and JSON.
    let big = format!(
        "---\nkind: ConfigMap\nmetadata: {{name: big}}\ndata: {{x: {}}}\n",
        "y".repeat(300 * 1024)
    );
    let (dir, f) = hostile_file(
        "big.yaml",
        format!("kind: Node\nmetadata: {{name: n}}\n{big}").as_bytes(),
    );
    let e = read(&[f], &opts, &|| ()).unwrap_err();
    assert!(matches!(e, InventoryError::TooLarge { line: 3, .. }), "{e}");
    assert!(
        e.to_string()
            .contains("big.yaml:3: a document that cannot be cut"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
    let json = format!(
        "{{\"kind\": \"ConfigMap\", \"metadata\": {{\"name\": \"{}\"}}}}",
        "z".repeat(300 * 1024)
    );
    let (dir, f) = hostile_file("big.json", json.as_bytes());
    let e = read(&[f], &opts, &|| ()).unwrap_err();
    assert!(matches!(e, InventoryError::TooLarge { .. }), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn export_folders_with_link_cycles_and_pipes_are_read_once() {
    let (dir, _) = hostile_file("a.yaml", b"kind: Node\nmetadata: {name: n1}\n");
    std::os::unix::fs::symlink(".", dir.join("self")).unwrap();
    std::os::unix::fs::symlink(".", dir.join("again")).unwrap();
    let ok = std::process::Command::new("mkfifo")
        .arg(dir.join("pipe.yaml"))
        .status()
        .unwrap();
    assert!(ok.success());
    let inv = Inventory::from_paths(std::slice::from_ref(&dir)).unwrap();
    assert_eq!(inv.len(), 1);
    let skipped: Vec<String> = inv.skipped().iter().map(|s| s.to_string()).collect();
    assert_eq!(skipped.len(), 3, "{skipped:?}");
    assert!(skipped
        .iter()
        .any(|s| s.contains("pipe.yaml") && s.contains("not a regular file")));
    std::fs::remove_dir_all(&dir).unwrap();
}
