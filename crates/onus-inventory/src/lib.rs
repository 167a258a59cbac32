//! Kubernetes cluster state as evidence for `onus audit`.
//!
//! An [`Inventory`] holds the objects of a cluster, indexed by kind and namespace, each
//! remembering the file and line it was read from. It is built from what `kubectl get -o yaml`
//! or `-o json` prints (a `List` with `items`), multi-document YAML streams, single objects,
//! folders of such files (searched recursively) and gzip-compressed files; the live path
//! (`onus-kube`) builds the same inventory from API responses with [`Inventory::add_value`].
//! Each object is a [`doc::Doc`]: one flat value tree, not a `serde_json::Value`.
//!
//! # Streaming
//!
//! [`read`] never holds a whole file. One thread reads the files in order (gzip decompressed
//! on the fly) and cuts the text into chunks of about [`CHUNK_BYTES`] at places where YAML or
//! JSON can be cut: before a `---` document marker, or between the items of a `List`'s top
//! `items` sequence (YAML block style at any indentation, or a JSON `items` array), so that
//! the one big `List` that `kubectl get -A -o yaml` prints is parsed on every core too. Chunks
//! go through a bounded channel to worker threads; each parses its chunk straight into a
//! reused [`doc::DocBuilder`] (saphyr-parser events, or serde_json through a seed), hands
//! every object to its own [`Visitor`], and keeps it only when [`ReadOptions::keep`] asks for
//! its kind, projected to the [`doc::Need`] given. Memory is therefore a few chunks per
//! thread plus what is kept, whatever the input's size. A `List`'s `kind` comes after its
//! items in kubectl's output: when a document's top `items:` is reached before its `kind`,
//! the reader looks ahead (a second pass over the rest of that document, without keeping it)
//! and splits only documents whose `kind` ends in `List`.
//!
//! Invariants: reading never panics on input, and a panicking worker is an error, not a hang.
//! A file that cannot be read or parsed is an [`InventoryError`] with its file, line and
//! column (absolute in the file, whatever chunk it was found in). An item that is not a
//! Kubernetes object (no `kind`, no `metadata.name`, not a mapping, a duplicate key) is a
//! [`Problem`] with its file and line, and the rest is kept. Every object gets a `seq`: its
//! position in the input (files in order, then bytes), strictly increasing, so that results
//! computed on several threads sort back into input order; [`Inventory::objects`] and
//! [`Inventory::problems`] are in input order. Nesting is limited to 128 levels and YAML
//! aliases to a million expanded nodes per object; anchors do not reach from one item of a
//! split `List` to another (each item is parsed alone; kubectl writes no anchors). Kinds
//! are not interpreted here: unknown kinds are stored and simply never read by a check.
//!
//! ```
//! let mut inv = onus_inventory::Inventory::default();
//! inv.add_text("x.yaml", "kind: Pod\napiVersion: v1\nmetadata: {name: a, namespace: n}\n").unwrap();
//! assert_eq!(inv.of_kind("Pod").count(), 1);
//! assert_eq!(inv.objects()[0].origin.line, 1);
//! assert_eq!(inv.namespaces_of("Pod").collect::<Vec<_>>(), ["n"]);
//! ```

pub mod doc;
mod parse;
mod split;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;

use doc::{Doc, Need};

pub use split::CHUNK_BYTES;

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
    /// Interned: the objects of a read share one string per kind.
    pub kind: Arc<str>,
    /// Interned like `kind`.
    pub api_version: Arc<str>,
    /// `None` for cluster-scoped objects; interned like `kind`.
    pub namespace: Option<Arc<str>>,
    pub name: Box<str>,
    /// The object as read, or the part of it that [`ReadOptions::keep`] asked for.
    pub doc: Doc,
    pub origin: Origin,
    /// Position in the input (see the crate documentation): strictly increasing in input
    /// order across files, not dense.
    pub seq: u64,
}

/// What one read object looks like to a [`Visitor`] (borrowed; gone after the call).
#[derive(Debug, Clone, Copy)]
pub struct Seen<'a> {
    pub kind: &'a str,
    pub api_version: &'a str,
    pub namespace: Option<&'a str>,
    pub name: &'a str,
    /// The whole object.
    pub doc: &'a Doc,
    pub origin: &'a Origin,
    pub seq: u64,
}

/// Receives every object read, on the worker thread that parsed it (one visitor per worker,
/// so objects arrive in input order per chunk, not overall: sort by `seq` when order matters).
pub trait Visitor: Send {
    fn object(&mut self, o: &Seen<'_>);
}

impl Visitor for () {
    fn object(&mut self, _: &Seen<'_>) {}
}

/// Which objects the inventory keeps, and what of them: `None` = not kept.
pub type Keep = Arc<dyn Fn(&str) -> Option<Arc<Need>> + Send + Sync>;

/// How [`read`] reads.
#[derive(Clone)]
pub struct ReadOptions {
    /// Worker threads; 0 = the available parallelism.
    pub threads: usize,
    /// Which objects are kept in the returned inventory, and what of them.
    pub keep: Keep,
    /// Target size of a chunk in bytes; 0 = [`CHUNK_BYTES`]. Tests make it small.
    #[doc(hidden)]
    pub chunk_bytes: usize,
}

impl Default for ReadOptions {
    /// Every core, nothing kept.
    fn default() -> Self {
        ReadOptions {
            threads: 0,
            keep: Arc::new(|_| None),
            chunk_bytes: 0,
        }
    }
}

impl std::fmt::Debug for ReadOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadOptions")
            .field("threads", &self.threads)
            .field("chunk_bytes", &self.chunk_bytes)
            .finish_non_exhaustive()
    }
}

impl ReadOptions {
    /// Every core, every object kept whole.
    pub fn keep_all() -> ReadOptions {
        let whole = Arc::new(Need::whole());
        ReadOptions {
            keep: Arc::new(move |_| Some(whole.clone())),
            ..ReadOptions::default()
        }
    }
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
    /// A reader thread failed (a bug, or a visitor that panicked).
    #[error("internal error while reading: {0}")]
    Internal(String),
}

/// The objects of a cluster, indexed by kind and namespace.
#[derive(Debug, Default, Clone)]
pub struct Inventory {
    objects: Vec<Object>,
    by_kind: HashMap<Arc<str>, Vec<usize>>,
    by_kind_ns: HashMap<Arc<str>, HashMap<Arc<str>, Vec<usize>>>,
    /// Namespaces per kind, of every object read (kept or not).
    namespaces: HashMap<Arc<str>, BTreeSet<Arc<str>>>,
    problems: Vec<Problem>,
    files: Vec<String>,
    seen: usize,
    /// The `seq` the next object read will start from.
    next_seq: u64,
    strings: HashSet<Arc<str>>,
}

/// Reads files and folders (recursively: `.yaml`, `.yml`, `.json` and their `.gz` forms)
/// streaming, as the crate documentation describes: objects are parsed on `opts.threads`
/// workers, each with its own visitor (made by `make`, on the worker's thread), and kept
/// (projected with [`Doc::project`]) when `opts.keep` says so. Returns the inventory of kept
/// objects (in input order) and the visitors. On an error, the error nearest the start of
/// the input is returned.
pub fn read<V: Visitor>(
    paths: &[PathBuf],
    opts: &ReadOptions,
    make: &(dyn Fn() -> V + Sync),
) -> Result<(Inventory, Vec<V>), InventoryError> {
    let mut files = Vec::new();
    for p in paths {
        collect(p, &mut files)?;
    }
    let sources: Vec<split::Source<'_>> = files.iter().map(|f| split::Source::Path(f)).collect();
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    let mut inv = Inventory::default();
    let out = split::run(&sources, &names, opts, make, 0)?;
    let visitors = inv.absorb(out, names);
    Ok((inv, visitors))
}

impl Inventory {
    /// Reads files and folders (see [`read`]), keeping every object whole.
    pub fn from_paths(paths: &[PathBuf]) -> Result<Inventory, InventoryError> {
        read(paths, &ReadOptions::keep_all(), &|| ()).map(|(inv, _)| inv)
    }

    /// Adds every object of a YAML or JSON text (a stream, a `List`, or one object), whole.
    /// On an error the inventory is left as it was.
    pub fn add_text(&mut self, file: &str, text: &str) -> Result<(), InventoryError> {
        let sources = [split::Source::Text(text.as_bytes())];
        let names = vec![file.to_string()];
        let opts = ReadOptions::keep_all();
        let out = split::run(&sources, &names, &opts, &|| (), self.next_seq)?;
        self.absorb(out, names);
        Ok(())
    }

    /// Adds one object (or a `List` of them) that did not come from a file, whole.
    pub fn add_value(&mut self, value: Value, origin: Origin) {
        let mut b = doc::DocBuilder::default();
        b.json(&value);
        // The items of a `List` take `seq`, `seq + 1`...: the next value starts after them.
        let items = value
            .get("items")
            .and_then(Value::as_array)
            .map_or(0, Vec::len) as u64;
        drop(value);
        let opts = ReadOptions::keep_all();
        let mut sink = parse::Sink::new((), &opts.keep);
        let seq = self.next_seq;
        sink.document(&mut b, None, origin.line, seq, &origin.file, &[]);
        let file = origin.file.to_string();
        let out = split::Output {
            workers: vec![sink],
            end: seq + 1 + items,
        };
        self.absorb(out, vec![file]);
    }

    fn intern(&mut self, s: &Arc<str>) -> Arc<str> {
        match self.strings.get(&**s) {
            Some(a) => a.clone(),
            None => {
                self.strings.insert(s.clone());
                s.clone()
            }
        }
    }

    /// Merges what the workers of one read found (objects already carry their `seq`).
    fn absorb<V>(&mut self, out: split::Output<'_, V>, files: Vec<String>) -> Vec<V> {
        self.files.extend(files);
        self.next_seq = self.next_seq.max(out.end);
        let mut objects = Vec::new();
        let mut problems = Vec::new();
        let mut visitors = Vec::with_capacity(out.workers.len());
        for w in out.workers {
            let parts = w.into_parts();
            objects.extend(parts.kept);
            problems.extend(parts.problems);
            self.seen += parts.seen;
            for (kind, set) in parts.namespaces {
                let kind = self.intern(&Arc::from(kind));
                for ns in set {
                    let ns = self.intern(&Arc::from(ns));
                    self.namespaces.entry(kind.clone()).or_default().insert(ns);
                }
            }
            visitors.push(parts.visitor);
        }
        objects.sort_by_key(|o| o.seq);
        problems.sort_by_key(|(seq, _)| *seq);
        self.problems.extend(problems.into_iter().map(|(_, p)| p));
        self.objects.reserve(objects.len());
        for mut o in objects {
            o.kind = self.intern(&o.kind);
            o.api_version = self.intern(&o.api_version);
            o.namespace = o.namespace.as_ref().map(|ns| self.intern(ns));
            let i = self.objects.len();
            self.by_kind.entry(o.kind.clone()).or_default().push(i);
            if let Some(ns) = &o.namespace {
                self.by_kind_ns
                    .entry(o.kind.clone())
                    .or_default()
                    .entry(ns.clone())
                    .or_default()
                    .push(i);
                self.namespaces
                    .entry(o.kind.clone())
                    .or_default()
                    .insert(ns.clone());
            }
            self.objects.push(o);
        }
        visitors
    }

    /// The objects kept, in input order (by `seq`).
    pub fn objects(&self) -> &[Object] {
        &self.objects
    }

    /// Number of objects kept.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// Number of objects read, kept or not (problems not counted).
    pub fn seen(&self) -> usize {
        self.seen
    }

    /// Items that were not well-formed objects, in input order.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// The files read, in order.
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// Objects of a kind, in input order.
    pub fn of_kind<'a>(&'a self, kind: &str) -> impl Iterator<Item = &'a Object> + 'a {
        self.indices_of_kind(kind)
            .iter()
            .map(move |&i| &self.objects[i])
    }

    /// Objects of a kind in a namespace, in input order.
    pub fn of_kind_in<'a>(
        &'a self,
        kind: &str,
        namespace: &str,
    ) -> impl Iterator<Item = &'a Object> + 'a {
        self.indices_of_kind_in(kind, namespace)
            .iter()
            .map(move |&i| &self.objects[i])
    }

    /// Positions in [`Inventory::objects`] of the objects of a kind.
    pub fn indices_of_kind(&self, kind: &str) -> &[usize] {
        self.by_kind.get(kind).map_or(&[], Vec::as_slice)
    }

    /// Positions in [`Inventory::objects`] of the objects of a kind in a namespace.
    pub fn indices_of_kind_in(&self, kind: &str, namespace: &str) -> &[usize] {
        self.by_kind_ns
            .get(kind)
            .and_then(|m| m.get(namespace))
            .map_or(&[], Vec::as_slice)
    }

    /// The namespaces holding at least one object of `kind`, sorted: recorded for every
    /// object read, kept or not.
    pub fn namespaces_of<'a>(&'a self, kind: &str) -> impl Iterator<Item = &'a str> + 'a {
        self.namespaces
            .get(kind)
            .into_iter()
            .flatten()
            .map(|ns| &**ns)
    }

    /// The kinds kept, sorted.
    pub fn kinds(&self) -> Vec<&str> {
        let mut k: Vec<&str> = self.by_kind.keys().map(|k| &**k).collect();
        k.sort_unstable();
        k
    }
}

fn collect(p: &std::path::Path, out: &mut Vec<PathBuf>) -> Result<(), InventoryError> {
    let found = onus_yaml::files(p, &|name| {
        onus_yaml::is_yaml_or_json(name.strip_suffix(".gz").unwrap_or(name))
    })
    .map_err(|(path, source)| InventoryError::Io { path, source })?;
    out.extend(found);
    Ok(())
}

#[cfg(test)]
mod tests;
