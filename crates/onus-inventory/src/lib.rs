//! Kubernetes cluster state as evidence for `onus audit`.
//!
//! An [`Inventory`] holds the objects of a cluster, indexed by kind and namespace, each
//! remembering the file and line it was read from. It is built from what `kubectl get -o yaml`
//! or `-o json` prints (a `List` with `items`), multi-document YAML streams, single objects,
//! folders of such files (searched recursively) and gzip-compressed files; the live path
//! (`onus-kube`) builds the same inventory from API responses with [`Inventory::add_value`].
//! Each object is read into a [`doc::Doc`] (one flat value tree, not a `serde_json::Value`);
//! kept objects are stored together in arenas and read through [`ObjectRef`] views (see
//! [`Inventory`]).
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
//! assert_eq!(inv.object(0).unwrap().origin.line, 1);
//! assert_eq!(inv.namespaces_of("Pod").collect::<Vec<_>>(), ["n"]);
//! ```

pub mod doc;
mod parse;
mod split;

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;

use doc::{Doc, Need, Ref};

pub use onus_limits::Limits;
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

/// Where a kept object was read from, borrowed from the [`Inventory`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OriginRef<'a> {
    /// The file (or a pseudo-name such as `live:context`).
    pub file: &'a Arc<str>,
    /// 1-based line of the object in the file (0 when unknown).
    pub line: usize,
}

impl OriginRef<'_> {
    #[allow(clippy::wrong_self_convention)]
    pub fn to_owned(&self) -> Origin {
        Origin {
            file: self.file.clone(),
            line: self.line,
        }
    }
}

impl std::fmt::Display for OriginRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// One kept Kubernetes object of the inventory: a view into the inventory's storage (see
/// [`Inventory`]), cheap to make and to copy.
#[derive(Debug, Clone, Copy)]
pub struct ObjectRef<'a> {
    pub kind: &'a str,
    pub api_version: &'a str,
    /// `None` for cluster-scoped objects.
    pub namespace: Option<&'a str>,
    pub name: &'a str,
    /// The object as read, or the part of it that [`ReadOptions::keep`] asked for: a root
    /// of one of the inventory's arenas.
    pub doc: Ref<'a>,
    pub origin: OriginRef<'a>,
    /// Position in the input (see the crate documentation): strictly increasing in input
    /// order across files, not dense.
    pub seq: u64,
}

/// A kept object as stored: 32 bytes, every string an index (see [`Inventory`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    pub seq: u64,
    /// Index of its arena.
    pub arena: u32,
    /// Index of its root node in the arena.
    pub root: u32,
    /// Index of its name's string node in the arena (inside the object when kept, else
    /// right after it).
    pub name: u32,
    /// Index of its (kind, apiVersion) pair.
    pub ty: u32,
    /// Index in the namespaces table, or [`NO_NAMESPACE`].
    pub namespace: u32,
    pub line: u32,
}

pub(crate) const NO_NAMESPACE: u32 = u32::MAX;

/// Interned strings, each with its index.
#[derive(Debug, Default, Clone)]
pub(crate) struct Table {
    pub names: Vec<Arc<str>>,
    ids: HashMap<Arc<str>, u32>,
}

impl Table {
    /// The index of `s`, added if new.
    pub fn id(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.ids.get(s) {
            return i;
        }
        let i = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        let a: Arc<str> = Arc::from(s);
        self.names.push(a.clone());
        self.ids.insert(a, i);
        i
    }

    pub fn get(&self, s: &str) -> Option<u32> {
        self.ids.get(s).copied()
    }

    pub fn name(&self, i: u32) -> &Arc<str> {
        &self.names[i as usize]
    }

    pub(crate) fn heap_size(&self) -> usize {
        let strings: usize = self.names.iter().map(|n| n.len() + 16).sum();
        strings
            + self.names.capacity() * std::mem::size_of::<Arc<str>>()
            + self.ids.capacity() * (std::mem::size_of::<(Arc<str>, u32)>() + 1)
    }
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
    /// Bounds on hostile input: the largest document held whole, decompression, nesting.
    pub limits: Limits,
}

impl Default for ReadOptions {
    /// Every core, nothing kept.
    fn default() -> Self {
        ReadOptions {
            threads: 0,
            keep: Arc::new(|_| None),
            chunk_bytes: 0,
            limits: Limits::DEFAULT,
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
    /// A document that cannot be cut into items is larger than [`Limits::document_bytes`]:
    /// the reader refuses to hold it.
    #[error("{file}:{line}: a document that cannot be cut into items is larger than {limit} bytes, the limit (it goes on past line {near}); split it, write a `List` in block or JSON form, or raise the limit")]
    TooLarge {
        file: String,
        line: usize,
        near: usize,
        limit: usize,
    },
    /// A reader thread failed (a bug, or a visitor that panicked).
    #[error("internal error while reading: {0}")]
    Internal(String),
}

/// Interned pairs of indices, each with its index.
#[derive(Debug, Default, Clone)]
pub(crate) struct Table2 {
    pub pairs: Vec<(u32, u32)>,
    ids: HashMap<(u32, u32), u32>,
}

impl Table2 {
    pub fn id(&mut self, a: u32, b: u32) -> u32 {
        let next = u32::try_from(self.pairs.len()).unwrap_or(u32::MAX);
        let i = *self.ids.entry((a, b)).or_insert(next);
        if i == next {
            self.pairs.push((a, b));
        }
        i
    }

    fn heap_size(&self) -> usize {
        self.pairs.capacity() * 8 + self.ids.capacity() * 13
    }
}

/// The objects of a cluster, indexed by kind and namespace.
///
/// Storage: kept objects live in arenas ([`Doc`]s holding several roots, one after another,
/// with mapping keys and short strings interned), one arena per chunk of input that kept
/// something (so one file per arena). Each object has a 32-byte entry (`seq`, arena, root
/// node, name node, (kind, apiVersion) and namespace as indices into small interned tables,
/// line); the entries are in `seq` order. The indices by kind and by (kind, namespace) are
/// `u32` positions in it, each kind's (or pair's) positions a range of one flat array.
/// [`ObjectRef`] is a view made on demand.
#[derive(Debug, Default, Clone)]
pub struct Inventory {
    arenas: Vec<Doc>,
    /// The file of each arena.
    arena_files: Vec<u32>,
    /// Kept objects, in input order.
    entries: Vec<Entry>,
    /// (kind, apiVersion) of the entries.
    types: Table2,
    kinds: Table,
    api_versions: Table,
    /// Namespaces of kept and seen objects.
    ns: Table,
    /// Positions in `entries` of every object, by kind then position.
    by_kind: Vec<u32>,
    /// The range of `by_kind` of each kind (indexed by kind id).
    kind_ranges: Vec<(u32, u32)>,
    /// Positions in `entries` of the objects that have a namespace, by kind, namespace,
    /// then position.
    by_kind_ns: Vec<u32>,
    /// (kind, namespace, start, end) of each range of `by_kind_ns`, sorted.
    kind_ns_ranges: Vec<(u32, u32, u32, u32)>,
    /// Namespaces per kind, of every object read (kept or not).
    namespaces: HashMap<Arc<str>, BTreeSet<Arc<str>>>,
    problems: Vec<Problem>,
    /// What the folder walker passed over (links back into the tree, pipes, devices).
    skipped: Vec<onus_yaml::Skipped>,
    files: Vec<String>,
    /// `files`, shared by origins.
    file_names: Vec<Arc<str>>,
    seen: usize,
    /// The `seq` the next object read will start from.
    next_seq: u64,
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
    let mut skipped = Vec::new();
    for p in paths {
        collect(p, &mut files, &mut skipped)?;
    }
    let sources: Vec<split::Source<'_>> = files.iter().map(|f| split::Source::Path(f)).collect();
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    let mut inv = Inventory {
        skipped,
        ..Inventory::default()
    };
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

    /// Merges what the workers of one read found (objects already carry their `seq`).
    fn absorb<V>(&mut self, out: split::Output<'_, V>, files: Vec<String>) -> Vec<V> {
        let file_base = u32::try_from(self.files.len()).unwrap_or(u32::MAX);
        self.file_names
            .extend(files.iter().map(|f| Arc::<str>::from(f.as_str())));
        self.files.extend(files);
        self.next_seq = self.next_seq.max(out.end);
        let mut problems = Vec::new();
        let mut visitors = Vec::with_capacity(out.workers.len());
        let mut kept = Vec::with_capacity(out.workers.len());
        for w in out.workers {
            let mut parts = w.into_parts();
            problems.append(&mut parts.problems);
            self.seen += parts.seen;
            for (kind, set) in parts.namespaces {
                let k = self.kinds.id(&kind);
                let kind = self.kinds.name(k).clone();
                let known = self.namespaces.entry(kind).or_default();
                for ns in set {
                    if !known.contains(&*ns) {
                        let n = self.ns.id(&ns);
                        known.insert(self.ns.name(n).clone());
                    }
                }
            }
            let arena_base = u32::try_from(self.arenas.len()).unwrap_or(u32::MAX);
            self.arenas.append(&mut parts.arenas);
            (self.arena_files).extend(parts.arena_files.iter().map(|f| f + file_base));
            let kinds: Vec<u32> = parts.kinds.names.iter().map(|k| self.kinds.id(k)).collect();
            let apis: Vec<u32> = (parts.api_versions.names.iter())
                .map(|a| self.api_versions.id(a))
                .collect();
            let types: Vec<u32> = (parts.types.pairs.iter())
                .map(|&(k, a)| self.types.id(kinds[k as usize], apis[a as usize]))
                .collect();
            let nss: Vec<u32> = (parts.kept_namespaces.names.iter())
                .map(|n| self.ns.id(n))
                .collect();
            for e in &mut parts.kept {
                e.arena += arena_base;
                e.ty = types[e.ty as usize];
                if e.namespace != NO_NAMESPACE {
                    e.namespace = nss[e.namespace as usize];
                }
            }
            kept.push(parts.kept);
            visitors.push(parts.visitor);
        }
        self.arenas.shrink_to_fit();
        self.arena_files.shrink_to_fit();
        problems.sort_by_key(|(seq, _)| *seq);
        self.problems.extend(problems.into_iter().map(|(_, p)| p));
        let start = self.entries.len();
        self.entries
            .reserve_exact(kept.iter().map(Vec::len).sum::<usize>());
        for k in kept {
            self.entries.extend(k);
        }
        self.entries[start..].sort_unstable_by_key(|e| e.seq);
        for e in &self.entries[start..] {
            if e.namespace != NO_NAMESPACE {
                let kind = self.kinds.name(self.types.pairs[e.ty as usize].0);
                let ns = self.ns.name(e.namespace);
                let known = self.namespaces.entry(kind.clone()).or_default();
                if !known.contains(ns) {
                    known.insert(ns.clone());
                }
            }
        }
        self.index();
        visitors
    }

    /// Rebuilds the indices by kind and by (kind, namespace), exactly sized.
    fn index(&mut self) {
        let kind_of = |e: &Entry| self.types.pairs[e.ty as usize].0;
        let pos = |i: usize| u32::try_from(i).unwrap_or(u32::MAX);
        // By kind: a counting sort (entries are already in input order).
        let mut starts = vec![0u32; self.kinds.names.len() + 1];
        for e in &self.entries {
            starts[kind_of(e) as usize + 1] += 1;
        }
        for k in 1..starts.len() {
            starts[k] += starts[k - 1];
        }
        self.kind_ranges = starts.windows(2).map(|w| (w[0], w[0])).collect();
        let mut by_kind = vec![0u32; self.entries.len()];
        for (i, e) in self.entries.iter().enumerate() {
            let r = &mut self.kind_ranges[kind_of(e) as usize];
            by_kind[r.1 as usize] = pos(i);
            r.1 += 1;
        }
        self.by_kind = by_kind;
        // By kind and namespace.
        let mut by_ns: Vec<u32> = (0..self.entries.len())
            .filter(|&i| self.entries[i].namespace != NO_NAMESPACE)
            .map(pos)
            .collect();
        let key = |i: u32| {
            let e = &self.entries[i as usize];
            (kind_of(e), e.namespace)
        };
        by_ns.sort_by_key(|&i| key(i));
        self.kind_ns_ranges.clear();
        let mut at = 0;
        while at < by_ns.len() {
            let k = key(by_ns[at]);
            let end = at + by_ns[at..].partition_point(|&i| key(i) == k);
            self.kind_ns_ranges.push((k.0, k.1, pos(at), pos(end)));
            at = end;
        }
        self.kind_ns_ranges.shrink_to_fit();
        self.by_kind_ns = by_ns;
    }

    fn view(&self, e: &Entry) -> ObjectRef<'_> {
        let arena = &self.arenas[e.arena as usize];
        let (kind, api_version) = self.types.pairs[e.ty as usize];
        ObjectRef {
            kind: self.kinds.name(kind),
            api_version: self.api_versions.name(api_version),
            namespace: (e.namespace != NO_NAMESPACE).then(|| &**self.ns.name(e.namespace)),
            name: arena.node(e.name as usize).as_str().unwrap_or(""),
            doc: arena.node(e.root as usize),
            origin: OriginRef {
                file: &self.file_names[self.arena_files[e.arena as usize] as usize],
                line: e.line as usize,
            },
            seq: e.seq,
        }
    }

    /// The objects kept, in input order (by `seq`).
    pub fn objects(&self) -> impl ExactSizeIterator<Item = ObjectRef<'_>> + '_ {
        self.entries.iter().map(move |e| self.view(e))
    }

    /// The `i`th object kept (in input order).
    pub fn object(&self, i: usize) -> Option<ObjectRef<'_>> {
        self.entries.get(i).map(|e| self.view(e))
    }

    /// Bytes held by kept objects (arenas, entries, indices, tables), for tests and
    /// benchmarks. Allocator overhead is not counted.
    pub fn heap_size(&self) -> usize {
        let arenas: usize = self.arenas.iter().map(Doc::heap_size).sum::<usize>()
            + self.arenas.capacity() * std::mem::size_of::<Doc>();
        let entries = self.entries.capacity() * std::mem::size_of::<Entry>();
        let indices = (self.by_kind.capacity() + self.by_kind_ns.capacity()) * 4
            + self.kind_ranges.capacity() * 8
            + self.kind_ns_ranges.capacity() * 16;
        arenas
            + self.arena_files.capacity() * 4
            + entries
            + indices
            + self.types.heap_size()
            + self.kinds.heap_size()
            + self.api_versions.heap_size()
            + self.ns.heap_size()
    }

    /// Number of objects kept.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
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
    pub fn of_kind(&self, kind: &str) -> impl Iterator<Item = ObjectRef<'_>> + '_ {
        (self.indices_of_kind(kind).iter()).map(move |&i| self.view(&self.entries[i as usize]))
    }

    /// Objects of a kind in a namespace, in input order.
    pub fn of_kind_in(
        &self,
        kind: &str,
        namespace: &str,
    ) -> impl Iterator<Item = ObjectRef<'_>> + '_ {
        (self.indices_of_kind_in(kind, namespace).iter())
            .map(move |&i| self.view(&self.entries[i as usize]))
    }

    /// Positions (see [`Inventory::object`]) of the objects of a kind, in input order.
    pub fn indices_of_kind(&self, kind: &str) -> &[u32] {
        let range = self
            .kinds
            .get(kind)
            .and_then(|k| self.kind_ranges.get(k as usize));
        range.map_or(&[], |&(a, b)| &self.by_kind[a as usize..b as usize])
    }

    /// Positions (see [`Inventory::object`]) of the objects of a kind in a namespace.
    pub fn indices_of_kind_in(&self, kind: &str, namespace: &str) -> &[u32] {
        let (Some(k), Some(n)) = (self.kinds.get(kind), self.ns.get(namespace)) else {
            return &[];
        };
        match (self.kind_ns_ranges).binary_search_by_key(&(k, n), |&(k, n, _, _)| (k, n)) {
            Ok(i) => {
                let (_, _, a, b) = self.kind_ns_ranges[i];
                &self.by_kind_ns[a as usize..b as usize]
            }
            Err(_) => &[],
        }
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

    /// What the folder walker passed over, with why (see [`onus_yaml::walk`]): links back
    /// into the tree, files reached twice, pipes, sockets and devices.
    pub fn skipped(&self) -> &[onus_yaml::Skipped] {
        &self.skipped
    }

    /// The kinds kept, sorted.
    pub fn kinds(&self) -> Vec<&str> {
        let mut k: Vec<&str> = (self.kind_ranges.iter().enumerate())
            .filter(|(_, (a, b))| a < b)
            .map(|(i, _)| &**self.kinds.name(i as u32))
            .collect();
        k.sort_unstable();
        k
    }
}

fn collect(
    p: &std::path::Path,
    out: &mut Vec<PathBuf>,
    skipped: &mut Vec<onus_yaml::Skipped>,
) -> Result<(), InventoryError> {
    let found = onus_yaml::walk(p, &|name| {
        onus_yaml::is_yaml_or_json(name.strip_suffix(".gz").unwrap_or(name))
    })
    .map_err(|(path, source)| InventoryError::Io { path, source })?;
    out.extend(found.files);
    skipped.extend(found.skipped);
    Ok(())
}

#[cfg(test)]
mod tests;
