//! The workers' side of reading: a chunk of text (see `split.rs`) parsed straight into a
//! reused [`DocBuilder`], and each object handed to a [`Sink`] (visitor, namespaces, kept
//! objects, problems).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use saphyr_parser::{Event, Parser, ScalarStyle};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess};

use crate::doc::{Doc, DocBuilder, Kind, Need};
use crate::{
    Entry, InventoryError, Keep, Origin, Problem, Seen, Table, Table2, Visitor, NO_NAMESPACE,
};

/// Deepest nesting of sequences and mappings, counted from a document's root (the items of
/// a `List` are at depth 2).
pub(crate) const MAX_DEPTH: usize = onus_limits::Limits::DEFAULT.inventory_depth;
/// Most nodes YAML aliases may add to one object (or one document that is not split): a
/// "billion laughs" fails fast.
pub(crate) const MAX_ALIAS_NODES: usize = onus_limits::Limits::DEFAULT.inventory_alias_nodes;

/// A piece of one file, cut where YAML or JSON can be cut.
#[derive(Debug)]
pub(crate) struct Chunk {
    /// Index of the file in the read.
    pub file: usize,
    /// Lines of the file before the chunk's first byte.
    pub line: usize,
    /// Column (0-based, bytes) of the chunk's first byte in its line (JSON chunks may start
    /// mid-line; YAML chunks never do).
    pub col: usize,
    /// Position of the chunk's first byte in the whole input (the base of its objects' `seq`).
    pub pos: u64,
    pub text: Vec<u8>,
    pub form: Form,
}

#[derive(Debug)]
pub(crate) enum Form {
    /// Whole YAML documents.
    YamlDocs,
    /// Consecutive items of a `List`'s top `items` block sequence; the line (relative to the
    /// chunk) of each item's `-`.
    YamlItems { starts: Vec<u32> },
    /// Whole JSON values (byte spans of `text`).
    JsonDocs { spans: Vec<(usize, usize)> },
    /// Items of a JSON `List`'s `items` array (byte spans of `text`).
    JsonItems { spans: Vec<(usize, usize)> },
    /// What is left of a split `List` document, checked but not taken: `text` is everything
    /// before its items (up to and without the `items:` line in YAML, up to and with the `[`
    /// in JSON), `trailer` everything after them.
    Frame {
        trailer: Vec<u8>,
        trailer_line: usize,
        trailer_col: usize,
        json: bool,
    },
}

/// Turns places in a chunk's text into places in its file.
struct Place<'a> {
    file: &'a Arc<str>,
    line: usize,
    col: usize,
    pos: u64,
    /// For a frame: lines of the header, characters of its last line, and where the trailer
    /// starts in the file.
    frame: Option<(usize, usize, usize, usize)>,
}

impl Place<'_> {
    /// File line (1-based) and column (1-based) of a 1-based line and 0-based column of the text.
    fn at(&self, line: usize, col: usize) -> (usize, usize) {
        let line = line.max(1);
        if let Some((header_lines, last_cols, trailer_line, trailer_col)) = self.frame {
            if line > header_lines {
                let rel = line - 1 - header_lines;
                let col = if rel == 0 {
                    col.saturating_sub(last_cols) + trailer_col
                } else {
                    col
                };
                return (trailer_line + rel + 1, col + 1);
            }
        }
        let col = if line == 1 { col + self.col } else { col };
        (self.line + line, col + 1)
    }

    fn error(&self, line: usize, col: usize, message: String) -> InventoryError {
        let (line, column) = self.at(line, col);
        InventoryError::Parse {
            file: self.file.to_string(),
            line,
            column,
            message,
        }
    }
}

/// Errors found while building one document, attributed to the document or to one of its
/// `items` (when it turns out to be a `List`).
#[derive(Debug, Default)]
pub(crate) struct DocErrs {
    doc: Option<String>,
    items: Vec<(usize, String)>,
}

impl DocErrs {
    fn first(&self) -> Option<&str> {
        self.doc
            .as_deref()
            .or_else(|| self.items.first().map(|(_, m)| m.as_str()))
    }

    fn clear(&mut self) {
        self.doc = None;
        self.items.clear();
    }
}

/// Whether arenas intern short string values too, not only mapping keys (measured: 155
/// bytes per identity-projected object against 187 with keys only and 222 with neither).
const INTERN_STRINGS: bool = true;
/// An arena never grows past this many bytes of text or nodes before an object is added
/// (so that one object that was parsed fits in it: offsets are 32 bits).
const ARENA_MAX: usize = 1 << 31;

/// What a worker found: handed back to the inventory at the end of a read.
pub(crate) struct Parts<V> {
    pub visitor: V,
    /// Kept objects, one after another (roots), shrunk to fit.
    pub arenas: Vec<Doc>,
    pub arena_files: Vec<u32>,
    pub types: Table2,
    /// One per kept object, in the order kept; indices local to this worker (its arenas,
    /// tables, and the read's files).
    pub kept: Vec<Entry>,
    pub kinds: Table,
    pub api_versions: Table,
    pub kept_namespaces: Table,
    pub problems: Vec<(u64, Problem)>,
    pub namespaces: HashMap<Box<str>, HashSet<Box<str>>>,
    pub seen: usize,
}

/// Where the objects of one worker go.
pub(crate) struct Sink<'k, V> {
    visitor: V,
    keep: &'k Keep,
    keep_cache: HashMap<Box<str>, Option<Arc<Need>>>,
    /// The arena being filled (keys interned).
    arena: DocBuilder,
    arenas: Vec<Doc>,
    /// The file of each arena.
    arena_files: Vec<u32>,
    kept: Vec<Entry>,
    /// (kind, apiVersion) pairs, as indices into `kinds` and `api_versions`.
    types: Table2,
    kinds: Table,
    api_versions: Table,
    kept_namespaces: Table,
    /// Index (in the read) of the file being read.
    pub(crate) file: u32,
    problems: Vec<(u64, Problem)>,
    namespaces: HashMap<Box<str>, HashSet<Box<str>>>,
    seen: usize,
    /// For the items of a `List` read as one document.
    item: DocBuilder,
}

impl<V> Sink<'_, V> {
    /// Closes the arena being filled, if it holds anything. Called after every chunk: an
    /// arena holds objects of one file (measured: one arena per worker instead costs more,
    /// the interning table filling up and the arena growing by doubling).
    pub(crate) fn flush(&mut self) {
        if self.arena.is_empty() {
            return;
        }
        let index = u32::try_from(self.arenas.len()).unwrap_or(u32::MAX);
        match self.arena.take_compact() {
            Ok(d) => {
                self.arenas.push(d);
                self.arena_files.push(self.file);
            }
            // Copies of complete objects always balance; should it ever fail, the objects
            // of this arena are not kept rather than kept wrong.
            Err(_) => {
                self.arena.clear();
                self.kept.retain(|e| e.arena != index);
            }
        }
    }

    pub(crate) fn into_parts(mut self) -> Parts<V> {
        self.flush();
        self.arenas.shrink_to_fit();
        self.kept.shrink_to_fit();
        Parts {
            visitor: self.visitor,
            arenas: self.arenas,
            arena_files: self.arena_files,
            types: self.types,
            kept: self.kept,
            kinds: self.kinds,
            api_versions: self.api_versions,
            kept_namespaces: self.kept_namespaces,
            problems: self.problems,
            namespaces: self.namespaces,
            seen: self.seen,
        }
    }
}

impl<'k, V: Visitor> Sink<'k, V> {
    pub(crate) fn new(visitor: V, keep: &'k Keep) -> Self {
        Sink {
            visitor,
            keep,
            keep_cache: HashMap::new(),
            arena: DocBuilder::interning(INTERN_STRINGS),
            arena_files: Vec::new(),
            arenas: Vec::new(),
            kept: Vec::new(),
            types: Table2::default(),
            kinds: Table::default(),
            api_versions: Table::default(),
            kept_namespaces: Table::default(),
            file: 0,
            problems: Vec::new(),
            namespaces: HashMap::new(),
            seen: 0,
            item: DocBuilder::default(),
        }
    }

    fn problem(&mut self, seq: u64, file: &Arc<str>, line: usize, message: String) {
        self.problems.push((
            seq,
            Problem {
                origin: Origin {
                    file: file.clone(),
                    line,
                },
                message,
            },
        ));
    }

    fn need(&mut self, kind: &str) -> Option<Arc<Need>> {
        if let Some(n) = self.keep_cache.get(kind) {
            return n.clone();
        }
        let n = (self.keep)(kind);
        self.keep_cache.insert(kind.into(), n.clone());
        n
    }

    /// One document (the builder holds it): a `*List` with `items` (each item an object,
    /// `items[i]` at `items_at[i]` when known), one object, or nothing (`null`).
    pub(crate) fn document(
        &mut self,
        b: &mut DocBuilder,
        errs: Option<&DocErrs>,
        line: usize,
        seq: u64,
        file: &Arc<str>,
        items_at: &[(usize, u64)],
    ) {
        let doc = match b.peek() {
            Ok(d) => d,
            Err(e) => return self.problem(seq, file, line, format!("malformed object: {e}")),
        };
        let root = doc.root();
        if root.is_null() {
            return;
        }
        let is_list = root.kind() == Kind::Map
            && root
                .get("kind")
                .and_then(|k| k.as_str())
                .is_some_and(|k| k.ends_with("List"))
            && root.get("items").is_some();
        let first_err = errs.and_then(DocErrs::first);
        if !is_list {
            return self.object(b, first_err, line, seq, file);
        }
        if let Some(m) = errs.and_then(|e| e.doc.as_deref()) {
            return self.problem(seq, file, line, format!("malformed object: {m}"));
        }
        let Some(items) = root.get("items") else {
            return;
        };
        match items.kind() {
            Kind::List => {
                let mut ib = std::mem::take(&mut self.item);
                for (i, item) in items.items().enumerate() {
                    let (l, s) = items_at.get(i).copied().unwrap_or((line, seq + i as u64));
                    let err = errs.and_then(|e| e.items.iter().find(|(j, _)| *j == i));
                    if let Some((_, m)) = err {
                        self.problem(s, file, l, format!("malformed object: {m}"));
                        continue;
                    }
                    ib.clear();
                    ib.copy(item);
                    self.object(&mut ib, None, l, s, file);
                }
                self.item = ib;
            }
            Kind::Null => {}
            _ => self.problem(seq, file, line, "`items` of a List must be a list".into()),
        }
    }

    /// One object (the builder holds it, or an error found while building it).
    pub(crate) fn object(
        &mut self,
        b: &mut DocBuilder,
        err: Option<&str>,
        line: usize,
        seq: u64,
        file: &Arc<str>,
    ) {
        if let Some(m) = err {
            return self.problem(seq, file, line, format!("malformed object: {m}"));
        }
        let doc = match b.peek() {
            Ok(d) => d,
            Err(e) => return self.problem(seq, file, line, format!("malformed object: {e}")),
        };
        let root = doc.root();
        if root.kind() != Kind::Map {
            return self.problem(
                seq,
                file,
                line,
                "an item is not a mapping: not a Kubernetes object".into(),
            );
        }
        let kind = root
            .get("kind")
            .and_then(|k| k.as_str())
            .filter(|k| !k.is_empty());
        let meta = root.get("metadata").filter(|m| m.kind() == Kind::Map);
        let name = meta
            .and_then(|m| m.get("name"))
            .and_then(|n| n.as_str())
            .filter(|n| !n.is_empty());
        let (Some(kind), Some(name)) = (kind, name) else {
            let what = if kind.is_none() {
                "has no `kind`"
            } else {
                "has no `metadata.name`"
            };
            return self.problem(seq, file, line, format!("malformed object: it {what}"));
        };
        let namespace = meta
            .and_then(|m| m.get("namespace"))
            .and_then(|n| n.as_str());
        let api_version = root
            .get("apiVersion")
            .and_then(|a| a.as_str())
            .unwrap_or("");
        let origin = Origin {
            file: file.clone(),
            line,
        };
        self.visitor.object(&Seen {
            kind,
            api_version,
            namespace,
            name,
            doc,
            origin: &origin,
            seq,
        });
        self.seen += 1;
        if let Some(ns) = namespace {
            match self.namespaces.get_mut(kind) {
                Some(set) => {
                    if !set.contains(ns) {
                        set.insert(ns.into());
                    }
                }
                None => {
                    self.namespaces
                        .insert(kind.into(), HashSet::from([Box::from(ns)]));
                }
            }
        }
        let Some(need) = self.need(kind) else {
            return;
        };
        // Offsets are 32 bits: an object that was parsed fits in an arena of its own.
        if self.arena.text_len() + doc.text_len() >= ARENA_MAX
            || (self.arena.len() + doc.node_count()) * 8 >= ARENA_MAX
        {
            self.flush();
        }
        let at = self.arena.len();
        self.arena.copy_projected(root, &need);
        let in_doc = self
            .arena
            .node(at)
            .path(&["metadata", "name"])
            .filter(|n| n.as_str() == Some(name))
            .map(|n| n.index());
        let name_at = match in_doc {
            Some(i) => i,
            None => {
                // Not kept in the object: a string of its own after it.
                let i = self.arena.len();
                self.arena.str(name);
                i
            }
        };
        let u = |i: usize| u32::try_from(i).unwrap_or(u32::MAX);
        self.kept.push(Entry {
            seq,
            arena: u(self.arenas.len()),
            root: u(at),
            name: u(name_at),
            ty: self
                .types
                .id(self.kinds.id(kind), self.api_versions.id(api_version)),
            namespace: namespace.map_or(NO_NAMESPACE, |ns| self.kept_namespaces.id(ns)),
            line: u(line),
        });
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum YMode {
    /// Whole documents, each a `List` or an object.
    Docs,
    /// A block sequence whose elements are objects.
    Items,
    /// The frame of a split `List`: checked, not taken.
    Frame,
    /// One object per document (a JSON item that only YAML could read).
    Single,
}

#[derive(Clone, Copy)]
enum Piece {
    Docs,
    Items,
    Frame,
}

/// A container being built.
struct Open {
    map: bool,
    expect_key: bool,
    anchor: usize,
    /// Index of its node in the builder.
    node: usize,
    /// Line of its start (1-based, in the chunk's text).
    line: usize,
    /// Whether it is the `items` sequence of the document's root mapping.
    items: bool,
}

/// One worker: its sink and the buffers it reuses from chunk to chunk.
pub(crate) struct Worker<'k, V> {
    pub sink: Sink<'k, V>,
    b: DocBuilder,
    anchors: HashMap<usize, Doc>,
    stack: Vec<Open>,
    items_at: Vec<(usize, u64)>,
    errs: DocErrs,
}

/// Checks a chunk's bytes are UTF-8, locating the first bad byte.
fn utf8(bytes: Vec<u8>, place: &Place<'_>) -> Result<String, InventoryError> {
    String::from_utf8(bytes).map_err(|e| {
        let good = e.utf8_error().valid_up_to();
        let prefix = String::from_utf8_lossy(&e.as_bytes()[..good]);
        let line = prefix.matches('\n').count() + 1;
        let col = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count());
        place.error(line, col, "not valid UTF-8".into())
    })
}

fn yaml_error(e: onus_yaml::YamlError) -> String {
    e.to_string()
}

impl<'k, V: Visitor> Worker<'k, V> {
    pub(crate) fn new(sink: Sink<'k, V>) -> Self {
        Worker {
            sink,
            b: DocBuilder::default(),
            anchors: HashMap::new(),
            stack: Vec::new(),
            items_at: Vec::new(),
            errs: DocErrs::default(),
        }
    }

    pub(crate) fn chunk(&mut self, c: Chunk, files: &[Arc<str>]) -> Result<(), InventoryError> {
        self.sink.file = u32::try_from(c.file).unwrap_or(u32::MAX);
        let r = self.parse_chunk(c, files);
        self.sink.flush();
        r
    }

    fn parse_chunk(&mut self, c: Chunk, files: &[Arc<str>]) -> Result<(), InventoryError> {
        let Some(file) = files.get(c.file) else {
            return Err(InventoryError::Internal(
                "a chunk of an unknown file".into(),
            ));
        };
        let mut place = Place {
            file,
            line: c.line,
            col: c.col,
            pos: c.pos,
            frame: None,
        };
        match c.form {
            Form::Frame {
                trailer,
                trailer_line,
                trailer_col,
                json,
            } => {
                let mut text = utf8(c.text, &place)?;
                let tplace = Place {
                    file,
                    line: trailer_line,
                    col: trailer_col,
                    pos: c.pos,
                    frame: None,
                };
                let trailer = utf8(trailer, &tplace)?;
                let header_lines = text.matches('\n').count();
                let last_cols = text.rsplit('\n').next().map_or(0, |l| l.chars().count());
                let last_cols = if header_lines == 0 {
                    last_cols + c.col
                } else {
                    last_cols
                };
                place.frame = Some((header_lines, last_cols, trailer_line, trailer_col));
                text.push_str(&trailer);
                drop(trailer);
                if json {
                    self.json(&text, &[(0, text.len())], Piece::Frame, &place)
                } else {
                    self.yaml(&text, YMode::Frame, &place, &[])
                }
            }
            Form::YamlDocs => {
                let text = utf8(c.text, &place)?;
                self.yaml(&text, YMode::Docs, &place, &[])
            }
            Form::YamlItems { starts } => {
                let text = utf8(c.text, &place)?;
                self.yaml(&text, YMode::Items, &place, &starts)
            }
            Form::JsonDocs { spans } => {
                let text = utf8(c.text, &place)?;
                self.json(&text, &spans, Piece::Docs, &place)
            }
            Form::JsonItems { spans } => {
                let text = utf8(c.text, &place)?;
                self.json(&text, &spans, Piece::Items, &place)
            }
        }
    }

    /// Parses JSON values (byte spans of `text`); a value serde_json refuses is tried as
    /// YAML (flow style looks like JSON) before its JSON error is reported.
    fn json(
        &mut self,
        text: &str,
        spans: &[(usize, usize)],
        piece: Piece,
        place: &Place<'_>,
    ) -> Result<(), InventoryError> {
        let depth = match piece {
            Piece::Items => 2,
            Piece::Docs | Piece::Frame => 0,
        };
        let mut lines = 0;
        let mut counted = 0;
        for &(a, z) in spans {
            let (Some(before), Some(piece_text)) = (text.get(counted..a), text.get(a..z)) else {
                return Err(InventoryError::Internal(
                    "a JSON span out of its chunk".into(),
                ));
            };
            lines += before.matches('\n').count();
            counted = a;
            let line_start = text[..a].rfind('\n').map_or(0, |i| i + 1);
            let col = text[line_start..a].chars().count() + if lines == 0 { place.col } else { 0 };
            let line = place.line + lines + 1;
            let seq = place.pos + a as u64;
            self.b.clear();
            match json_into(&mut self.b, piece_text, depth) {
                Ok(()) => match piece {
                    Piece::Docs => {
                        self.sink
                            .document(&mut self.b, None, line, seq, place.file, &[])
                    }
                    Piece::Items => self.sink.object(&mut self.b, None, line, seq, place.file),
                    Piece::Frame => {
                        if let Err(e) = self.b.peek() {
                            let (line, _) = place.at(1, 0);
                            self.sink.problem(
                                seq,
                                place.file,
                                line,
                                format!("malformed List: {e}"),
                            );
                        }
                    }
                },
                Err(e) => {
                    let sub = Place {
                        file: place.file,
                        line: place.line + lines,
                        col,
                        pos: seq,
                        frame: place.frame,
                    };
                    let mode = match piece {
                        Piece::Docs => YMode::Docs,
                        Piece::Items => YMode::Single,
                        Piece::Frame => YMode::Frame,
                    };
                    if self.yaml(piece_text, mode, &sub, &[]).is_err() {
                        let msg = e.to_string();
                        let msg = msg
                            .rfind(" at line ")
                            .map_or(msg.as_str(), |i| &msg[..i])
                            .to_string();
                        return Err(sub.error(
                            e.line(),
                            e.column().saturating_sub(1),
                            format!("invalid JSON: {msg}"),
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// Parses YAML text with saphyr-parser's events straight into the builder.
    fn yaml(
        &mut self,
        text: &str,
        mode: YMode,
        place: &Place<'_>,
        starts: &[u32],
    ) -> Result<(), InventoryError> {
        let Worker {
            sink,
            b,
            anchors,
            stack,
            items_at,
            errs,
        } = self;
        let file = place.file;
        // The items of a split `List` are at depth 2 of their document.
        let depth_base = if mode == YMode::Items { 2 } else { 0 };
        let mut parser = Parser::new_from_str(text);
        let mut in_items = false;
        let mut item_index = 0usize;
        let mut obj_line = 0usize;
        let mut obj_seq = place.pos;
        let mut alias_nodes = 0usize;
        let mut root_key_items = false;
        stack.clear();
        b.clear();
        anchors.clear();
        errs.clear();
        items_at.clear();
        while let Some(ev) = parser.next_event() {
            let (ev, span) = ev.map_err(|e| {
                let m = e.marker();
                place.error(m.line(), m.col(), format!("invalid YAML: {}", e.info()))
            })?;
            let line1 = span.start.line();
            let here = || place.at(line1, span.start.col());
            let fail = |e: onus_yaml::YamlError| {
                let (l, c) = here();
                InventoryError::Parse {
                    file: file.to_string(),
                    line: l,
                    column: c,
                    message: yaml_error(e),
                }
            };
            let expects_key = stack.last().is_some_and(|o| o.map && o.expect_key);
            // The start of a value node: the root of an object or of a document, or an item
            // of the root's `items`.
            let is_value = matches!(
                ev,
                Event::Scalar(..)
                    | Event::Alias(_)
                    | Event::SequenceStart(..)
                    | Event::MappingStart(..)
            ) && !expects_key;
            if is_value && stack.is_empty() {
                if mode == YMode::Items {
                    if in_items {
                        b.clear();
                        anchors.clear();
                        errs.clear();
                        alias_nodes = 0;
                        obj_line = match starts.get(item_index) {
                            Some(&l) => place.line + l as usize + 1,
                            None => here().0,
                        };
                        obj_seq = place.pos + span.start.index() as u64;
                    } else if !matches!(ev, Event::SequenceStart(..)) {
                        return Err(InventoryError::Internal(
                            "a chunk of List items that is not a sequence".into(),
                        ));
                    }
                } else {
                    obj_line = here().0;
                    obj_seq = place.pos + span.start.index() as u64;
                }
            } else if is_value && mode == YMode::Docs && stack.len() == 2 && stack[1].items {
                items_at.push((here().0, place.pos + span.start.index() as u64));
            }
            match ev {
                Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
                Event::DocumentStart(_) => {
                    stack.clear();
                    b.clear();
                    anchors.clear();
                    errs.clear();
                    items_at.clear();
                    alias_nodes = 0;
                    root_key_items = false;
                }
                Event::DocumentEnd => match mode {
                    YMode::Docs => {
                        if !b.is_empty() {
                            sink.document(b, Some(&*errs), obj_line, obj_seq, file, items_at);
                        }
                    }
                    YMode::Single => {
                        if b.is_empty() {
                            b.null();
                        }
                        sink.object(b, errs.first(), obj_line, obj_seq, file);
                    }
                    YMode::Frame => {
                        let e = errs.first().map(str::to_string);
                        if let Some(m) = e {
                            sink.problem(obj_seq, file, obj_line, format!("malformed List: {m}"));
                        }
                    }
                    YMode::Items => {}
                },
                Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                    let map = matches!(ev, Event::MappingStart(..));
                    if mode == YMode::Items && stack.is_empty() && !in_items {
                        in_items = true;
                        continue;
                    }
                    if expects_key {
                        return Err(fail(onus_yaml::YamlError::ComplexKey {
                            span: Default::default(),
                        }));
                    }
                    if stack.len() + depth_base >= MAX_DEPTH {
                        return Err(fail(onus_yaml::YamlError::TooDeep {
                            limit: MAX_DEPTH,
                            span: Default::default(),
                        }));
                    }
                    let items = mode == YMode::Docs
                        && !map
                        && stack.len() == 1
                        && stack[0].map
                        && root_key_items;
                    let node = b.len();
                    if map {
                        b.begin_map();
                    } else {
                        b.begin_list();
                    }
                    stack.push(Open {
                        map,
                        expect_key: map,
                        anchor,
                        node,
                        line: line1,
                        items,
                    });
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    let Some(open) = stack.pop() else {
                        // The end of a split List's item sequence.
                        in_items = false;
                        continue;
                    };
                    b.end();
                    if let Some(e) = b.take_error() {
                        let (l, _) = place.at(open.line, 0);
                        let msg = format!("{e} (in the mapping at line {l})");
                        if mode == YMode::Docs && stack.len() >= 2 && stack[1].items {
                            let i = items_at.len().saturating_sub(1);
                            if !errs.items.iter().any(|(j, _)| *j == i) {
                                errs.items.push((i, msg));
                            }
                        } else if errs.doc.is_none() {
                            errs.doc = Some(msg);
                        }
                    }
                    if open.anchor != 0 {
                        if let Some(d) = b.subtree(open.node) {
                            anchors.insert(open.anchor, d);
                        }
                    }
                    value_done(
                        stack,
                        mode,
                        sink,
                        b,
                        errs,
                        obj_line,
                        obj_seq,
                        file,
                        &mut item_index,
                    );
                }
                Event::Scalar(value, style, anchor, tag) => {
                    let node = b.len();
                    if expects_key {
                        b.key(&value);
                        if let Some(top) = stack.last_mut() {
                            top.expect_key = false;
                        }
                        if stack.len() == 1 {
                            root_key_items = value == "items";
                        }
                    } else {
                        let explicit_str = tag.as_ref().is_some_and(|t| t.suffix == "str");
                        if style == ScalarStyle::Plain && !explicit_str {
                            b.plain(&value);
                        } else {
                            b.str(&value);
                        }
                    }
                    if anchor != 0 {
                        if let Some(d) = b.subtree(node) {
                            anchors.insert(anchor, d);
                        }
                    }
                    if !expects_key {
                        value_done(
                            stack,
                            mode,
                            sink,
                            b,
                            errs,
                            obj_line,
                            obj_seq,
                            file,
                            &mut item_index,
                        );
                    }
                }
                Event::Alias(id) => {
                    let Some(d) = anchors.get(&id) else {
                        return Err(fail(onus_yaml::YamlError::UnknownAnchor {
                            span: Default::default(),
                        }));
                    };
                    alias_nodes += d.node_count();
                    if alias_nodes > MAX_ALIAS_NODES {
                        return Err(fail(onus_yaml::YamlError::TooManyNodes {
                            limit: MAX_ALIAS_NODES,
                            span: Default::default(),
                        }));
                    }
                    if expects_key {
                        let Some(k) = d.root().as_str() else {
                            return Err(fail(onus_yaml::YamlError::ComplexKey {
                                span: Default::default(),
                            }));
                        };
                        if stack.len() == 1 {
                            root_key_items = k == "items";
                        }
                        b.key(k);
                        if let Some(top) = stack.last_mut() {
                            top.expect_key = false;
                        }
                    } else {
                        if stack.len() + depth_base + alias_depth(d) > MAX_DEPTH {
                            return Err(fail(onus_yaml::YamlError::TooDeep {
                                limit: MAX_DEPTH,
                                span: Default::default(),
                            }));
                        }
                        b.copy(d.root());
                        value_done(
                            stack,
                            mode,
                            sink,
                            b,
                            errs,
                            obj_line,
                            obj_seq,
                            file,
                            &mut item_index,
                        );
                    }
                }
            }
        }
        Ok(())
    }
}

/// Nesting depth of a document (0 for a scalar).
fn alias_depth(d: &Doc) -> usize {
    fn depth(r: crate::doc::Ref<'_>) -> usize {
        match r.kind() {
            Kind::List => 1 + r.items().map(depth).max().unwrap_or(0),
            Kind::Map => 1 + r.entries().map(|(_, v)| depth(v)).max().unwrap_or(0),
            _ => 0,
        }
    }
    depth(d.root())
}

/// A value is complete: its mapping waits for the next key, or, at the top of a chunk of
/// `List` items, it is an object.
#[allow(clippy::too_many_arguments)]
fn value_done<V: Visitor>(
    stack: &mut [Open],
    mode: YMode,
    sink: &mut Sink<'_, V>,
    b: &mut DocBuilder,
    errs: &DocErrs,
    line: usize,
    seq: u64,
    file: &Arc<str>,
    item_index: &mut usize,
) {
    match stack.last_mut() {
        Some(top) => {
            if top.map {
                top.expect_key = true;
            }
        }
        None => {
            if mode == YMode::Items {
                sink.object(b, errs.first(), line, seq, file);
                *item_index += 1;
            }
        }
    }
}

/// Parses one JSON value into the builder (no intermediate `serde_json::Value`).
fn json_into(b: &mut DocBuilder, text: &str, depth: usize) -> Result<(), serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    Build { b, depth }.deserialize(&mut de)?;
    de.end()
}

struct Build<'b> {
    b: &'b mut DocBuilder,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for Build<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> de::Visitor<'de> for Build<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.b.bool(v);
        Ok(())
    }
    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.b.int(v);
        Ok(())
    }
    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        match i64::try_from(v) {
            Ok(i) => self.b.int(i),
            Err(_) => self.b.float(v as f64),
        }
        Ok(())
    }
    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        self.b.float(v);
        Ok(())
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.b.str(v);
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        self.b.null();
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        self.b.null();
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<(), A::Error> {
        let Build { b, depth } = self;
        if depth >= MAX_DEPTH {
            return Err(de::Error::custom(format!(
                "nesting deeper than {MAX_DEPTH} levels"
            )));
        }
        b.begin_list();
        while a
            .next_element_seed(Build {
                b: &mut *b,
                depth: depth + 1,
            })?
            .is_some()
        {}
        b.end();
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<(), A::Error> {
        let Build { b, depth } = self;
        if depth >= MAX_DEPTH {
            return Err(de::Error::custom(format!(
                "nesting deeper than {MAX_DEPTH} levels"
            )));
        }
        b.begin_map();
        while a.next_key_seed(Key(&mut *b))?.is_some() {
            a.next_value_seed(Build {
                b: &mut *b,
                depth: depth + 1,
            })?;
        }
        b.end();
        Ok(())
    }
}

struct Key<'b>(&'b mut DocBuilder);

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> de::Visitor<'de> for Key<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.0.key(v);
        Ok(())
    }
}
