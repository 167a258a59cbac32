//! Kubernetes cluster state as evidence for `onus audit`.
//!
//! An [`Inventory`] holds the objects of a cluster, indexed by kind and namespace, each
//! remembering the file and line it was read from. It is built from what `kubectl get -o yaml`
//! or `-o json` prints (a `List` with `items`), multi-document YAML streams, single objects,
//! folders of such files (searched recursively) and gzip-compressed files; the live path
//! (`onus-kube`) builds the same inventory from API responses with [`Inventory::add_value`].
//!
//! Invariants: reading never panics. A file that cannot be read or parsed is an
//! [`InventoryError`] with its place; an item that is not a Kubernetes object (no `kind`, no
//! `metadata.name`, not a mapping) is a [`Problem`] with its file and line, and the rest is kept.
//! Kinds are not interpreted here: unknown kinds are stored and simply never read by a check.
//!
//! ```
//! let mut inv = onus_inventory::Inventory::default();
//! inv.add_text("x.yaml", "kind: Pod\napiVersion: v1\nmetadata: {name: a, namespace: n}\n").unwrap();
//! assert_eq!(inv.of_kind("Pod").count(), 1);
//! assert_eq!(inv.objects()[0].origin.line, 1);
//! ```

pub mod doc;

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

/// Where an object was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The file (or a pseudo-name such as `live:context`).
    pub file: Arc<str>,
    /// 1-based line of the object in the file (0 when unknown).
    pub line: usize,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// One Kubernetes object of the inventory.
#[derive(Debug, Clone)]
pub struct Object {
    pub kind: String,
    pub api_version: String,
    /// `None` for cluster-scoped objects.
    pub namespace: Option<String>,
    pub name: String,
    /// The whole object as read.
    pub value: Value,
    pub origin: Origin,
}

/// An item that is not a well-formed Kubernetes object; the rest of the input is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub origin: Origin,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.origin, self.message)
    }
}

/// Why an input could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    #[error("cannot read `{path}`: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{file}:{line}:{column}: {message}")]
    Parse {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
}

/// The objects of a cluster, indexed by kind and namespace.
#[derive(Debug, Default, Clone)]
pub struct Inventory {
    objects: Vec<Object>,
    by_kind: HashMap<String, Vec<usize>>,
    by_kind_ns: HashMap<(String, String), Vec<usize>>,
    problems: Vec<Problem>,
    files: Vec<String>,
}

/// Bounds on inputs: cluster exports are large, but not unbounded.
pub fn limits() -> onus_yaml::Limits {
    onus_yaml::Limits {
        max_bytes: 2 << 30,
        max_depth: 128,
        max_nodes: usize::MAX / 2,
        // Only the lines of documents and `List` items (`/items/N`, depth 2) are needed.
        record_spans: true,
        span_depth: 2,
    }
}

/// Texts larger than this are split into groups of documents parsed in parallel.
const SPLIT_BYTES: usize = 1 << 20;

impl Inventory {
    /// Reads files and folders (recursively: `.yaml`, `.yml`, `.json` and their `.gz` forms).
    /// Files are read and parsed on every available core.
    pub fn from_paths(paths: &[PathBuf]) -> Result<Inventory, InventoryError> {
        let mut files = Vec::new();
        for p in paths {
            collect(p, &mut files)?;
        }
        let mut inv = Inventory::default();
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(files.len().max(1));
        if threads <= 1 || files.len() <= 1 {
            for f in &files {
                let text = read_file(f)?;
                inv.add_text(&f.display().to_string(), &text)?;
            }
            return Ok(inv);
        }
        // Parse files concurrently, then merge in the files' order.
        let next = std::sync::atomic::AtomicUsize::new(0);
        let results: Vec<Vec<(usize, Result<Parsed, InventoryError>)>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    s.spawn(|| {
                        let mut out = Vec::new();
                        loop {
                            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some(f) = files.get(i) else { break };
                            let r = read_file(f)
                                .and_then(|t| parse_text(&f.display().to_string(), &t, false));
                            out.push((i, r));
                        }
                        out
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        });
        let mut all: Vec<(usize, Result<Parsed, InventoryError>)> =
            results.into_iter().flatten().collect();
        all.sort_by_key(|(i, _)| *i);
        for (_, r) in all {
            inv.absorb(r?);
        }
        Ok(inv)
    }

    /// Adds every object of a YAML or JSON text (a stream, a `List`, or one object).
    pub fn add_text(&mut self, file: &str, text: &str) -> Result<(), InventoryError> {
        let parsed = parse_text(file, text, true)?;
        self.absorb(parsed);
        Ok(())
    }

    /// Adds one object (or a `List` of them) that did not come from a file.
    pub fn add_value(&mut self, value: Value, origin: Origin) {
        let mut p = Parsed {
            file: origin.file.to_string(),
            ..Parsed::default()
        };
        take_document(value, origin.line, &|_| None, &origin.file, &mut p);
        self.absorb(p);
    }

    fn absorb(&mut self, p: Parsed) {
        self.files.push(p.file);
        self.problems.extend(p.problems);
        for o in p.objects {
            let i = self.objects.len();
            self.by_kind.entry(o.kind.clone()).or_default().push(i);
            if let Some(ns) = &o.namespace {
                self.by_kind_ns
                    .entry((o.kind.clone(), ns.clone()))
                    .or_default()
                    .push(i);
            }
            self.objects.push(o);
        }
    }

    pub fn objects(&self) -> &[Object] {
        &self.objects
    }

    pub fn len(&self) -> usize {
        self.objects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// Items that were not well-formed objects.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// The files read, in order.
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// Objects of a kind, in input order.
    pub fn of_kind<'a>(&'a self, kind: &str) -> impl Iterator<Item = &'a Object> + 'a {
        self.by_kind
            .get(kind)
            .into_iter()
            .flatten()
            .map(move |&i| &self.objects[i])
    }

    /// Objects of a kind in a namespace, in input order.
    pub fn of_kind_in<'a>(
        &'a self,
        kind: &str,
        namespace: &str,
    ) -> impl Iterator<Item = &'a Object> + 'a {
        self.by_kind_ns
            .get(&(kind.to_string(), namespace.to_string()))
            .into_iter()
            .flatten()
            .map(move |&i| &self.objects[i])
    }

    /// Positions in [`Inventory::objects`] of the objects of a kind.
    pub fn indices_of_kind(&self, kind: &str) -> &[usize] {
        self.by_kind.get(kind).map_or(&[], Vec::as_slice)
    }

    /// Positions in [`Inventory::objects`] of the objects of a kind in a namespace.
    pub fn indices_of_kind_in(&self, kind: &str, namespace: &str) -> &[usize] {
        self.by_kind_ns
            .get(&(kind.to_string(), namespace.to_string()))
            .map_or(&[], Vec::as_slice)
    }

    /// The kinds present, sorted.
    pub fn kinds(&self) -> Vec<&str> {
        let mut k: Vec<&str> = self.by_kind.keys().map(String::as_str).collect();
        k.sort_unstable();
        k
    }
}

#[derive(Debug, Default)]
struct Parsed {
    file: String,
    objects: Vec<Object>,
    problems: Vec<Problem>,
}

fn collect(p: &Path, out: &mut Vec<PathBuf>) -> Result<(), InventoryError> {
    let found = onus_yaml::files(p, &|name| {
        onus_yaml::is_yaml_or_json(name.strip_suffix(".gz").unwrap_or(name))
    })
    .map_err(|(path, source)| InventoryError::Io { path, source })?;
    out.extend(found);
    Ok(())
}

/// Reads a file, decompressing gzip (detected by its magic bytes).
fn read_file(p: &Path) -> Result<String, InventoryError> {
    let io = |source| InventoryError::Io {
        path: p.to_path_buf(),
        source,
    };
    let bytes = std::fs::read(p).map_err(io)?;
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::with_capacity(bytes.len() * 6);
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_end(&mut out)
            .map_err(io)?;
        out
    } else {
        bytes
    };
    String::from_utf8(bytes).map_err(|e| {
        let good = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..good].iter().filter(|b| **b == b'\n').count() + 1;
        InventoryError::Parse {
            file: p.display().to_string(),
            line,
            column: 1,
            message: "not valid UTF-8".into(),
        }
    })
}

/// Splits a large stream at top-level `---` lines into groups of whole documents, each with
/// the number of lines before it.
fn split_stream(text: &str, parts: usize) -> Vec<(usize, &str)> {
    if parts <= 1 || text.len() < SPLIT_BYTES {
        return vec![(0, text)];
    }
    let target = text.len() / parts;
    let mut out = Vec::new();
    let mut start = 0;
    let mut start_line = 0;
    let mut pos = 0;
    for (line, l) in text.split_inclusive('\n').enumerate() {
        let is_sep = l.starts_with("---") && l[3..].trim().is_empty();
        if is_sep && pos - start >= target && out.len() + 1 < parts {
            out.push((start_line, &text[start..pos]));
            start = pos;
            start_line = line;
        }
        pos += l.len();
    }
    out.push((start_line, &text[start..]));
    out
}

fn parse_text(file: &str, text: &str, parallel: bool) -> Result<Parsed, InventoryError> {
    let parts = if parallel {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        1
    };
    let chunks = split_stream(text, parts);
    let lim = limits();
    let parse = |(offset, chunk): (usize, &str)| -> Result<Parsed, InventoryError> {
        let docs = onus_yaml::parse_all(chunk, &lim).map_err(|e| {
            let s = e.span().unwrap_or_default();
            InventoryError::Parse {
                file: file.to_string(),
                line: s.line + offset,
                column: s.column,
                message: e.to_string(),
            }
        })?;
        let mut p = Parsed {
            file: file.to_string(),
            ..Parsed::default()
        };
        let name: Arc<str> = Arc::from(file);
        for d in docs {
            let map = &d.map;
            let line_of = |ptr: &str| map.get(ptr).map(|s| s.line + offset);
            take_document(d.value, d.span.line + offset, &line_of, &name, &mut p);
        }
        Ok(p)
    };
    if chunks.len() == 1 {
        return chunks.into_iter().next().map_or_else(
            || {
                Ok(Parsed {
                    file: file.to_string(),
                    ..Parsed::default()
                })
            },
            parse,
        );
    }
    let results: Vec<Result<Parsed, InventoryError>> = std::thread::scope(|s| {
        let hs: Vec<_> = chunks
            .into_iter()
            .map(|c| s.spawn(move || parse(c)))
            .collect();
        hs.into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(InventoryError::Parse {
                        file: file.to_string(),
                        line: 0,
                        column: 0,
                        message: "parser thread failed".into(),
                    })
                })
            })
            .collect()
    });
    let mut all = Parsed {
        file: file.to_string(),
        ..Parsed::default()
    };
    for r in results {
        let r = r?;
        all.objects.extend(r.objects);
        all.problems.extend(r.problems);
    }
    Ok(all)
}

/// Takes the objects of one document: a `*List` with `items`, one object, or nothing (`null`).
fn take_document(
    value: Value,
    line: usize,
    line_of: &dyn Fn(&str) -> Option<usize>,
    file: &Arc<str>,
    out: &mut Parsed,
) {
    match value {
        Value::Null => {}
        Value::Object(mut m)
            if m.get("kind")
                .and_then(Value::as_str)
                .is_some_and(|k| k.ends_with("List"))
                && m.get("items").is_some() =>
        {
            match m.remove("items") {
                Some(Value::Array(items)) => {
                    for (i, item) in items.into_iter().enumerate() {
                        let l = line_of(&format!("/items/{i}")).unwrap_or(line);
                        take_object(
                            item,
                            Origin {
                                file: file.clone(),
                                line: l,
                            },
                            out,
                        );
                    }
                }
                Some(Value::Null) => {}
                _ => out.problems.push(Problem {
                    origin: Origin {
                        file: file.clone(),
                        line,
                    },
                    message: "`items` of a List must be a list".into(),
                }),
            }
        }
        v => take_object(
            v,
            Origin {
                file: file.clone(),
                line,
            },
            out,
        ),
    }
}

fn take_object(value: Value, origin: Origin, out: &mut Parsed) {
    let Value::Object(m) = &value else {
        out.problems.push(Problem {
            origin,
            message: "an item is not a mapping: not a Kubernetes object".into(),
        });
        return;
    };
    let kind = m
        .get("kind")
        .and_then(Value::as_str)
        .filter(|k| !k.is_empty());
    let meta = m.get("metadata").and_then(Value::as_object);
    let name = meta
        .and_then(|md| md.get("name"))
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty());
    let (Some(kind), Some(name)) = (kind, name) else {
        let what = if kind.is_none() {
            "has no `kind`"
        } else {
            "has no `metadata.name`"
        };
        out.problems.push(Problem {
            origin,
            message: format!("malformed object: it {what}"),
        });
        return;
    };
    let namespace = meta
        .and_then(|md| md.get("namespace"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let api_version = m
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    out.objects.push(Object {
        kind: kind.to_string(),
        api_version,
        namespace,
        name: name.to_string(),
        value,
        origin,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_items_keep_their_lines() {
        let text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: a\n    namespace: n\n- apiVersion: v1\n  kind: Service\n  metadata:\n    name: b\n    namespace: n\n";
        let mut inv = Inventory::default();
        inv.add_text("l.yaml", text).unwrap();
        let lines: Vec<usize> = inv.objects().iter().map(|o| o.origin.line).collect();
        assert_eq!(lines, vec![4, 9]);
        assert_eq!(inv.of_kind_in("Service", "n").count(), 1);
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
    }

    #[test]
    fn syntax_error_is_located() {
        let mut inv = Inventory::default();
        let e = inv
            .add_text("bad.yaml", "kind: Pod\nmetadata:\n  name: [a\n")
            .unwrap_err();
        assert!(
            matches!(e, InventoryError::Parse { ref file, line, .. } if file == "bad.yaml" && line >= 3),
            "{e}"
        );
    }

    #[test]
    fn big_streams_are_split_on_document_boundaries() {
        let doc =
            "---\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: n\ndata:\n  k: |\n    v\n";
        let n = SPLIT_BYTES / doc.len() + 100;
        let text: String = doc.repeat(n);
        let chunks = split_stream(&text, 2);
        assert_eq!(chunks.len(), 2);
        assert!(chunks[1].1.starts_with("---\n"));
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
        let inv = Inventory::from_paths(std::slice::from_ref(&dir)).unwrap();
        let names: Vec<&str> = inv.of_kind("Node").map(|o| o.name.as_str()).collect();
        assert_eq!(names, vec!["n1", "n2"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
