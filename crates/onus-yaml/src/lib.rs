//! YAML (and therefore JSON) documents as [`serde_json::Value`]s that remember where every node
//! came from.
//!
//! onus reads files written by people: models, attestations, cluster exports. When something in
//! them is wrong, the error must point at the file, line and column. This crate parses with
//! `saphyr-parser`'s event stream and builds, beside each value, a [`SourceMap`] from the
//! node's JSON pointer (`/activities/3/roles/customer`) to its [`Span`].
//!
//! Hostile input is bounded: nesting depth, the number of nodes (alias expansion included, so a
//! "billion laughs" document fails fast), and the input size are limited by [`Limits`]. Parsing
//! never panics; it returns a [`YamlError`] with a location.
//!
//! Scalars follow the YAML 1.2 core schema (`true`, `null`, `12`, `1.5`), with one deliberate
//! exception: a plain scalar that reads as a number but would not print back the same (`3.10`,
//! `1e3`, `007`) stays a string, so that section numbers and versions survive.
//!
//! ```
//! let doc = onus_yaml::parse_one("a:\n  - x\n  - y\n", &onus_yaml::Limits::default()).unwrap();
//! assert_eq!(doc.value["a"][1], "y");
//! assert_eq!(doc.map.get("/a/1").unwrap().line, 3);
//! ```

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span as YSpan};
use serde_json::{Map, Number, Value};

/// A place in a source text. `line` and `column` are 1-based; `offset` and `len` are in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub offset: usize,
    pub len: usize,
    pub line: usize,
    pub column: usize,
}

/// Where each node of a document came from, by JSON pointer (RFC 6901).
///
/// For a mapping entry, the span of the value is stored under its pointer and the span of the
/// key under the pointer followed by `#key`.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    spans: HashMap<String, Span>,
}

impl SourceMap {
    /// The span of the node at `pointer`.
    pub fn get(&self, pointer: &str) -> Option<Span> {
        self.spans.get(pointer).copied()
    }

    /// The span of the key of the mapping entry at `pointer`, if it is one.
    pub fn key(&self, pointer: &str) -> Option<Span> {
        self.spans.get(&format!("{pointer}#key")).copied()
    }

    /// The span of the node at `pointer` or, failing that, of its nearest ancestor that has one.
    pub fn nearest(&self, pointer: &str) -> Option<Span> {
        let mut p = pointer;
        loop {
            if let Some(s) = self.spans.get(p) {
                return Some(*s);
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return None,
            }
        }
    }
}

/// One parsed document and its source map.
#[derive(Debug, Clone)]
pub struct Document {
    pub value: Value,
    pub map: SourceMap,
    /// The span of the whole document (its root node).
    pub span: Span,
}

/// Bounds on what a parse may consume (the YAML part of [`onus_limits::Limits`]), and what
/// it records.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest input accepted, in bytes.
    pub max_bytes: usize,
    /// Deepest nesting of sequences and mappings.
    pub max_depth: usize,
    /// Most nodes a document may hold once aliases are expanded.
    pub max_nodes: usize,
    /// Whether to record spans in the [`SourceMap`] (turn off for bulk data where only the
    /// document's own span is needed).
    pub record_spans: bool,
    /// Record spans only for nodes at most this deep (the root is at depth 0, its children at
    /// 1). Bulk data that needs the lines of `List` items only sets 2: no pointer string is
    /// built and no span is computed for deeper nodes.
    pub span_depth: usize,
}

impl Default for Limits {
    /// The bounds of [`onus_limits::Limits::DEFAULT`], every span recorded.
    fn default() -> Self {
        let l = onus_limits::Limits::DEFAULT;
        Limits {
            max_bytes: l.yaml_bytes,
            max_depth: l.yaml_depth,
            max_nodes: l.yaml_nodes,
            record_spans: true,
            span_depth: usize::MAX,
        }
    }
}

/// Why a text could not be read as YAML.
#[derive(Debug, Clone, thiserror::Error)]
pub enum YamlError {
    #[error("input is {size} bytes, larger than the limit of {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    #[error("input is not valid UTF-8 (invalid byte at line {}, column {})", .span.line, .span.column)]
    InvalidUtf8 { span: Span },
    #[error("invalid YAML: {message}")]
    Syntax { message: String, span: Span },
    #[error("nesting deeper than {limit} levels")]
    TooDeep { limit: usize, span: Span },
    #[error("document expands to more than {limit} nodes (an alias bomb?)")]
    TooManyNodes { limit: usize, span: Span },
    #[error("alias refers to an unknown anchor")]
    UnknownAnchor { span: Span },
    #[error("duplicate key `{key}` (first at line {first_line})")]
    DuplicateKey {
        key: String,
        first_line: usize,
        span: Span,
    },
    #[error("a mapping key must be a scalar")]
    ComplexKey { span: Span },
    #[error("expected exactly one document, found {found}")]
    DocumentCount { found: usize, span: Span },
}

impl YamlError {
    /// Where the error is, when it has a place.
    pub fn span(&self) -> Option<Span> {
        match self {
            YamlError::TooLarge { .. } => None,
            YamlError::InvalidUtf8 { span }
            | YamlError::Syntax { span, .. }
            | YamlError::TooDeep { span, .. }
            | YamlError::TooManyNodes { span, .. }
            | YamlError::UnknownAnchor { span }
            | YamlError::DuplicateKey { span, .. }
            | YamlError::ComplexKey { span }
            | YamlError::DocumentCount { span, .. } => Some(*span),
        }
    }
}

/// Checks size and UTF-8 validity of raw bytes, with the place of the first invalid byte.
pub fn decode<'a>(bytes: &'a [u8], limits: &Limits) -> Result<&'a str, YamlError> {
    if bytes.len() > limits.max_bytes {
        return Err(YamlError::TooLarge {
            size: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    std::str::from_utf8(bytes).map_err(|e| {
        let good = e.valid_up_to();
        // Everything before `good` is valid UTF-8, so this cannot fail.
        let prefix = std::str::from_utf8(&bytes[..good]).unwrap_or("");
        let line = prefix.matches('\n').count() + 1;
        let column = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        YamlError::InvalidUtf8 {
            span: Span {
                offset: good,
                len: 1,
                line,
                column,
            },
        }
    })
}

/// Parses a text that must hold exactly one document (an empty text is one `null` document).
pub fn parse_one(text: &str, limits: &Limits) -> Result<Document, YamlError> {
    let mut docs = parse_all(text, limits)?;
    match docs.len() {
        0 => Ok(Document {
            value: Value::Null,
            map: SourceMap::default(),
            span: Span {
                line: 1,
                column: 1,
                ..Span::default()
            },
        }),
        1 => Ok(docs.remove(0)),
        n => Err(YamlError::DocumentCount {
            found: n,
            span: docs[1].span,
        }),
    }
}

/// Parses every document of a YAML stream (`---` separated). JSON texts are one document.
pub fn parse_all(text: &str, limits: &Limits) -> Result<Vec<Document>, YamlError> {
    if text.len() > limits.max_bytes {
        return Err(YamlError::TooLarge {
            size: text.len(),
            limit: limits.max_bytes,
        });
    }
    let mut b = Builder::new(text, *limits);
    let mut parser = Parser::new_from_str(text);
    let mut docs = Vec::new();
    while let Some(ev) = parser.next_event() {
        let (ev, span) = ev.map_err(|e| {
            let m = e.marker();
            YamlError::Syntax {
                message: e.info().to_string(),
                span: b.span_from(*m, m.index()),
            }
        })?;
        if let Some(doc) = b.event(ev, span)? {
            docs.push(doc);
        }
    }
    Ok(docs)
}

/// A container being built: its value so far, its pointer (only when its children's spans are
/// recorded), its anchor and, for a mapping, the key waiting for its value.
struct Frame {
    value: Value,
    pointer: Option<String>,
    anchor: usize,
    pending_key: Option<(String, YSpan)>,
    /// Line of each key of a mapping, in insertion order (the order of `value`'s keys), to name
    /// the first of a duplicate key without a per-mapping hash map of cloned keys.
    key_lines: Vec<u32>,
    start: YSpan,
    nodes: usize,
}

struct Builder<'t> {
    /// Character index to byte offset, walked from the last place asked (see [`Cursor`]).
    cursor: Cursor<'t>,
    limits: Limits,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Value, usize)>,
    nodes: usize,
    map: SourceMap,
    root: Option<(Value, YSpan)>,
}

/// Turns saphyr's character indices into byte offsets in time linear in the input: spans are
/// asked for nearly in order, so the cursor walks from the last index asked (forward, or back
/// by at most a container's length), never from the start of the line. (Walking each line
/// from its start made a long one-line document quadratic: 30 s for 400 KB of JSON.)
struct Cursor<'t> {
    text: &'t str,
    /// An ASCII text's characters are its bytes.
    ascii: bool,
    /// A character index and its byte offset.
    at: std::cell::Cell<(usize, usize)>,
}

impl<'t> Cursor<'t> {
    fn new(text: &'t str) -> Self {
        Cursor {
            text,
            ascii: text.is_ascii(),
            at: std::cell::Cell::new((0, 0)),
        }
    }

    /// The byte offset of character `index` (the text's length past its end).
    fn byte(&self, index: usize) -> usize {
        if self.ascii {
            return index.min(self.text.len());
        }
        let (mut ci, mut bi) = self.at.get();
        let bytes = self.text.as_bytes();
        while ci < index && bi < bytes.len() {
            bi += 1;
            while bi < bytes.len() && !self.text.is_char_boundary(bi) {
                bi += 1;
            }
            ci += 1;
        }
        while ci > index && bi > 0 {
            bi -= 1;
            while bi > 0 && !self.text.is_char_boundary(bi) {
                bi -= 1;
            }
            ci -= 1;
        }
        self.at.set((ci, bi));
        bi
    }
}

impl<'t> Builder<'t> {
    fn new(text: &'t str, limits: Limits) -> Self {
        Builder {
            cursor: Cursor::new(text),
            limits,
            stack: Vec::new(),
            anchors: HashMap::new(),
            nodes: 0,
            map: SourceMap::default(),
            root: None,
        }
    }

    /// A span from a saphyr marker to the character index `end`.
    fn span_from(&self, m: saphyr_parser::Marker, end: usize) -> Span {
        let offset = self.cursor.byte(m.index());
        let stop = self.cursor.byte(end.max(m.index()));
        Span {
            offset,
            len: stop - offset,
            line: m.line().max(1),
            column: m.col() + 1,
        }
    }

    /// Converts a saphyr span (character based) to a [`Span`]; done only for spans that are
    /// kept or reported.
    fn span(&self, s: YSpan) -> Span {
        self.span_from(s.start, s.end.index())
    }

    /// Whether the spans of the innermost container's children are recorded.
    fn recording(&self) -> bool {
        self.limits.record_spans && self.stack.len() <= self.limits.span_depth
    }

    fn count(&mut self, n: usize, ys: YSpan) -> Result<(), YamlError> {
        self.nodes += n;
        if self.nodes > self.limits.max_nodes {
            return Err(YamlError::TooManyNodes {
                limit: self.limits.max_nodes,
                span: self.span(ys),
            });
        }
        Ok(())
    }

    /// The pointer of the next child of the innermost container (only called when recording).
    fn child_pointer(&self) -> String {
        let Some(f) = self.stack.last() else {
            return String::new();
        };
        let parent = f.pointer.as_deref().unwrap_or("");
        match &f.value {
            Value::Array(a) => format!("{parent}/{}", a.len()),
            _ => match &f.pending_key {
                Some((k, _)) => format!("{parent}/{}", escape(k)),
                None => parent.to_string(),
            },
        }
    }

    /// Whether the innermost container is a mapping waiting for a key.
    fn expects_key(&self) -> bool {
        self.stack
            .last()
            .is_some_and(|f| matches!(f.value, Value::Object(_)) && f.pending_key.is_none())
    }

    fn event(&mut self, ev: Event<'_>, ys: YSpan) -> Result<Option<Document>, YamlError> {
        match ev {
            Event::DocumentStart(_) => {
                self.anchors.clear();
                self.nodes = 0;
                self.map = SourceMap::default();
                self.root = None;
            }
            Event::DocumentEnd => {
                let (value, ys) = self.root.take().unwrap_or((Value::Null, ys));
                return Ok(Some(Document {
                    value,
                    map: std::mem::take(&mut self.map),
                    span: self.span(ys),
                }));
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if self.expects_key() {
                    return Err(YamlError::ComplexKey {
                        span: self.span(ys),
                    });
                }
                if self.stack.len() >= self.limits.max_depth {
                    return Err(YamlError::TooDeep {
                        limit: self.limits.max_depth,
                        span: self.span(ys),
                    });
                }
                self.count(1, ys)?;
                // The pointer is needed when this node's span or its children's are recorded.
                let pointer = self.recording().then(|| self.child_pointer());
                let value = if matches!(ev, Event::SequenceStart(..)) {
                    Value::Array(Vec::new())
                } else {
                    Value::Object(Map::new())
                };
                self.stack.push(Frame {
                    value,
                    pointer,
                    anchor,
                    pending_key: None,
                    key_lines: Vec::new(),
                    start: ys,
                    nodes: self.nodes,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(f) = self.stack.pop() {
                    let subtree = self.nodes - f.nodes + 1;
                    if f.anchor != 0 {
                        self.anchors.insert(f.anchor, (f.value.clone(), subtree));
                    }
                    let mut whole = f.start;
                    if ys.end.index() > whole.start.index() {
                        whole.end = ys.end;
                    }
                    self.place(f.value, whole, f.pointer)?;
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.count(1, ys)?;
                if self.expects_key() {
                    let key = text.into_owned();
                    let f = self.stack.last().expect("checked above");
                    if let Value::Object(m) = &f.value {
                        if m.contains_key(&key) {
                            let first_line = m
                                .keys()
                                .position(|k| *k == key)
                                .map_or(0, |i| f.key_lines.get(i).map_or(0, |l| *l as usize));
                            return Err(YamlError::DuplicateKey {
                                key,
                                first_line,
                                span: self.span(ys),
                            });
                        }
                    }
                    let f = self.stack.last_mut().expect("checked above");
                    f.pending_key = Some((key, ys));
                    return Ok(None);
                }
                let explicit_str = tag.as_ref().is_some_and(|t| t.suffix == "str");
                let value = if style == ScalarStyle::Plain && !explicit_str {
                    resolve_plain(&text)
                } else {
                    Value::String(text.into_owned())
                };
                if anchor != 0 {
                    self.anchors.insert(anchor, (value.clone(), 1));
                }
                self.place(value, ys, None)?;
            }
            Event::Alias(id) => {
                let Some((value, n)) = self.anchors.get(&id).cloned() else {
                    return Err(YamlError::UnknownAnchor {
                        span: self.span(ys),
                    });
                };
                self.count(n, ys)?;
                if self.expects_key() {
                    match value {
                        Value::String(s) => {
                            let f = self.stack.last_mut().expect("checked above");
                            f.pending_key = Some((s, ys));
                            return Ok(None);
                        }
                        _ => {
                            return Err(YamlError::ComplexKey {
                                span: self.span(ys),
                            })
                        }
                    }
                }
                self.place(value, ys, None)?;
            }
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
        Ok(None)
    }

    /// Puts a finished node into its parent (or makes it the root) and, when spans are recorded
    /// at this depth, records its span (and its key's).
    fn place(&mut self, value: Value, ys: YSpan, pointer: Option<String>) -> Result<(), YamlError> {
        if self.recording() {
            let pointer = pointer.unwrap_or_else(|| self.child_pointer());
            let span = self.span(ys);
            if let Some((_, kys)) = self.stack.last().and_then(|f| f.pending_key.as_ref()) {
                let kspan = self.span(*kys);
                self.map.spans.insert(format!("{pointer}#key"), kspan);
            }
            self.map.spans.insert(pointer, span);
        }
        let Some(f) = self.stack.last_mut() else {
            self.root = Some((value, ys));
            return Ok(());
        };
        match &mut f.value {
            Value::Array(a) => a.push(value),
            Value::Object(m) => {
                if let Some((k, kys)) = f.pending_key.take() {
                    if m.insert(k, value).is_none() {
                        f.key_lines.push(kys.start.line() as u32);
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// What [`walk`] found under a root: the files to read, in a stable (sorted) order, and what
/// it passed over, each with why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Walk {
    pub files: Vec<std::path::PathBuf>,
    pub skipped: Vec<Skipped>,
}

/// Something under a folder that [`walk`] did not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub path: std::path::PathBuf,
    pub why: SkipReason,
}

/// Why [`walk`] passed over a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// A folder already walked (a symbolic link to it, or to one of its ancestors: a cycle).
    SeenFolder,
    /// A file already listed through another path (a symbolic or hard link).
    SeenFile,
    /// A named pipe, a socket or a device: reading it could block forever or never end.
    NotRegular,
    /// A symbolic link to nothing.
    Dangling,
}

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let why = match self.why {
            SkipReason::SeenFolder => "a folder already read (a link back into the tree)",
            SkipReason::SeenFile => "a file already read through another path",
            SkipReason::NotRegular => "not a regular file (a pipe, socket or device)",
            SkipReason::Dangling => "a symbolic link to nothing",
        };
        write!(f, "skipped `{}`: {why}", self.path.display())
    }
}

/// The files to read under `root`: `root` itself when it is a file (whatever its name), else
/// every regular file below it, recursively, whose name `accept`s, in a stable (sorted) order.
/// Models, check catalogs and cluster exports are all "a file or a folder of YAML/JSON files",
/// and this is the one walker for them.
///
/// Hostile trees are bounded: symbolic links are followed, but no folder is entered twice
/// and no file is listed twice (by device and inode), so a link to `.` or to an ancestor is
/// passed over instead of looping; named pipes, sockets and devices are never opened (one
/// would block forever). What was passed over is in [`Walk::skipped`], for the caller to
/// say. On an I/O failure, returns the path that failed with the error.
pub fn walk(
    root: &std::path::Path,
    accept: &dyn Fn(&str) -> bool,
) -> Result<Walk, (std::path::PathBuf, std::io::Error)> {
    use std::collections::HashSet;
    use std::path::{Path, PathBuf};

    struct Walker<'a> {
        accept: &'a dyn Fn(&str) -> bool,
        dirs: HashSet<FileId>,
        seen_files: HashSet<FileId>,
        out: Walk,
    }
    impl Walker<'_> {
        fn dir(
            &mut self,
            p: &Path,
            meta: &std::fs::Metadata,
        ) -> Result<(), (PathBuf, std::io::Error)> {
            if !self.dirs.insert(FileId::of(p, meta)) {
                self.out.skipped.push(Skipped {
                    path: p.to_path_buf(),
                    why: SkipReason::SeenFolder,
                });
                return Ok(());
            }
            let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| (p.to_path_buf(), e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
            entries.sort();
            for e in entries {
                // `metadata` follows links: a link is what it points to.
                let meta = match std::fs::metadata(&e) {
                    Ok(m) => m,
                    Err(err) => {
                        let dangling =
                            std::fs::symlink_metadata(&e).is_ok_and(|m| m.file_type().is_symlink());
                        if dangling {
                            self.out.skipped.push(Skipped {
                                path: e,
                                why: SkipReason::Dangling,
                            });
                            continue;
                        }
                        return Err((e, err));
                    }
                };
                if meta.is_dir() {
                    self.dir(&e, &meta)?;
                    continue;
                }
                let named = e
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(self.accept);
                if !named {
                    continue;
                }
                if !meta.is_file() {
                    self.out.skipped.push(Skipped {
                        path: e,
                        why: SkipReason::NotRegular,
                    });
                } else if !self.seen_files.insert(FileId::of(&e, &meta)) {
                    self.out.skipped.push(Skipped {
                        path: e,
                        why: SkipReason::SeenFile,
                    });
                } else {
                    self.out.files.push(e);
                }
            }
            Ok(())
        }
    }

    let meta = std::fs::metadata(root).map_err(|e| (root.to_path_buf(), e))?;
    if !meta.is_dir() {
        // A file named on purpose is read whatever it is (`<(kubectl get ...)` is a pipe).
        return Ok(Walk {
            files: vec![root.to_path_buf()],
            skipped: Vec::new(),
        });
    }
    let mut w = Walker {
        accept,
        dirs: HashSet::new(),
        seen_files: HashSet::new(),
        out: Walk::default(),
    };
    w.dir(root, &meta)?;
    Ok(w.out)
}

/// [`walk`]'s files alone, for callers with nowhere to report what was passed over.
pub fn files(
    root: &std::path::Path,
    accept: &dyn Fn(&str) -> bool,
) -> Result<Vec<std::path::PathBuf>, (std::path::PathBuf, std::io::Error)> {
    walk(root, accept).map(|w| w.files)
}

/// What makes two paths the same file or folder: device and inode on Unix, the canonical
/// path elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum FileId {
    #[cfg(unix)]
    Inode(u64, u64),
    #[allow(dead_code)]
    Path(std::path::PathBuf),
}

impl FileId {
    #[cfg(unix)]
    fn of(_: &std::path::Path, meta: &std::fs::Metadata) -> FileId {
        use std::os::unix::fs::MetadataExt;
        FileId::Inode(meta.dev(), meta.ino())
    }

    #[cfg(not(unix))]
    fn of(p: &std::path::Path, _: &std::fs::Metadata) -> FileId {
        FileId::Path(std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf()))
    }
}

/// Whether a file name ends in `.yaml`, `.yml` or `.json`.
pub fn is_yaml_or_json(name: &str) -> bool {
    name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".json")
}

/// Escapes a key for use in a JSON pointer (RFC 6901).
pub fn escape(key: &str) -> String {
    if key.contains(['~', '/']) {
        key.replace('~', "~0").replace('/', "~1")
    } else {
        key.to_string()
    }
}

/// What a plain (unquoted, untagged) scalar means under the YAML 1.2 core schema, as onus
/// reads it: numbers that would not print back as written (`3.10`, `007`) stay strings, so
/// section numbers and versions survive. Shared by every reader of YAML in onus.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Plain {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str,
}

/// Resolves a plain scalar (see [`Plain`]).
pub fn resolve_plain_scalar(s: &str) -> Plain {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Plain::Null,
        "true" | "True" | "TRUE" => return Plain::Bool(true),
        "false" | "False" | "FALSE" => return Plain::Bool(false),
        _ => {}
    }
    let first = s.as_bytes()[0];
    if first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.' {
        if let Ok(i) = s.parse::<i64>() {
            if i.to_string() == s {
                return Plain::Int(i);
            }
        } else if let Ok(f) = s.parse::<f64>() {
            if let Some(n) = Number::from_f64(f) {
                if n.to_string() == s {
                    return Plain::Float(f);
                }
            }
        }
    }
    Plain::Str
}

fn resolve_plain(s: &str) -> Value {
    match resolve_plain_scalar(s) {
        Plain::Null => Value::Null,
        Plain::Bool(b) => Value::Bool(b),
        Plain::Int(i) => Value::Number(i.into()),
        Plain::Float(f) => {
            Number::from_f64(f).map_or_else(|| Value::String(s.to_string()), Value::Number)
        }
        Plain::Str => Value::String(s.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &str) -> Result<Document, YamlError> {
        parse_one(s, &Limits::default())
    }

    #[test]
    fn spans_point_at_values_and_keys() {
        let d = one("id: x\nlist:\n  - a: 1\n    b: 'two'\n").unwrap();
        assert_eq!(d.value["list"][0]["b"], "two");
        let s = d.map.get("/list/0/b").unwrap();
        assert_eq!((s.line, s.column), (4, 8));
        let k = d.map.key("/list/0/b").unwrap();
        assert_eq!((k.line, k.column), (4, 5));
        assert_eq!(
            &"id: x\nlist:\n  - a: 1\n    b: 'two'\n"[s.offset..s.offset + s.len],
            "'two'"
        );
    }

    #[test]
    fn scalars_follow_core_schema_but_keep_section_numbers() {
        let d =
            one("a: 1\nb: 1.5\nc: 3.10\nd: true\ne: ~\nf: '1'\ng: 007\nh: 2023-07-06\n").unwrap();
        assert_eq!(d.value["a"], 1);
        assert_eq!(d.value["b"], 1.5);
        assert_eq!(d.value["c"], "3.10");
        assert_eq!(d.value["d"], true);
        assert!(d.value["e"].is_null());
        assert_eq!(d.value["f"], "1");
        assert_eq!(d.value["g"], "007");
        assert_eq!(d.value["h"], "2023-07-06");
    }

    #[test]
    fn json_is_accepted() {
        let d = one("{\"a\": [1, 2, {\"b\": null}]}").unwrap();
        assert_eq!(d.value["a"][2]["b"], Value::Null);
    }

    #[test]
    fn non_ascii_columns_are_counted_in_characters_and_offsets_in_bytes() {
        let t = "é: 'à'\nclé: [x, y]\n";
        let d = one(t).unwrap();
        let s = d.map.get("/clé/1").unwrap();
        assert_eq!((s.line, s.column), (2, 10));
        assert_eq!(&t[s.offset..s.offset + s.len], "y");
    }

    #[test]
    fn syntax_error_is_located() {
        let e = one("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(matches!(e, YamlError::Syntax { .. }), "{e:?}");
        assert!(e.span().unwrap().line >= 1);
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let e = one("a: 1\nb: 2\na: 3\n").unwrap_err();
        match e {
            YamlError::DuplicateKey {
                key,
                first_line,
                span,
            } => {
                assert_eq!((key.as_str(), first_line, span.line), ("a", 1, 3));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn alias_bomb_is_bounded() {
        let mut s = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            s.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"));
        }
        let e = one(&s).unwrap_err();
        assert!(matches!(e, YamlError::TooManyNodes { .. }), "{e:?}");
    }

    #[test]
    fn aliases_expand_within_budget() {
        let d = one("base: &b {x: 1}\nother: *b\n").unwrap();
        assert_eq!(d.value["other"]["x"], 1);
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let s = "[".repeat(10_000) + &"]".repeat(10_000);
        // saphyr's scanner stops deep flow collections itself; either refusal is fine.
        let e = one(&s).unwrap_err();
        assert!(
            matches!(&e, YamlError::TooDeep { .. })
                || matches!(&e, YamlError::Syntax { message, .. } if message.contains("recursion")),
            "{e:?}"
        );
        let s = "[".repeat(100) + &"]".repeat(100);
        assert!(matches!(
            one(&s).unwrap_err(),
            YamlError::TooDeep { limit: 64, .. }
        ));
        let s = (0..200)
            .map(|i| format!("{}k:\n", "  ".repeat(i)))
            .collect::<String>();
        assert!(matches!(one(&s).unwrap_err(), YamlError::TooDeep { .. }));
    }

    #[test]
    fn size_and_utf8_are_checked_before_parsing() {
        let limits = Limits {
            max_bytes: 10,
            ..Limits::default()
        };
        assert!(matches!(
            decode(&[b'a'; 11], &limits),
            Err(YamlError::TooLarge {
                size: 11,
                limit: 10
            })
        ));
        let e = decode(b"a: 1\nb: \xff\n", &Limits::default()).unwrap_err();
        assert_eq!(e.span().map(|s| (s.line, s.column)), Some((2, 4)));
    }

    #[test]
    fn streams_hold_several_documents() {
        let docs = parse_all("a: 1\n---\nb: 2\n", &Limits::default()).unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].value["b"], 2);
        assert_eq!(docs[1].map.get("/b").unwrap().line, 3);
        assert!(matches!(
            one("a: 1\n---\nb: 2\n"),
            Err(YamlError::DocumentCount { found: 2, .. })
        ));
    }

    #[test]
    fn files_walks_folders_sorted_and_filtered() {
        let d = std::env::temp_dir().join(format!("onus-yaml-files-{}", std::process::id()));
        std::fs::create_dir_all(d.join("sub")).unwrap();
        for f in ["b.yaml", "a.json", "notes.txt", "sub/c.yml"] {
            std::fs::write(d.join(f), "x: 1").unwrap();
        }
        let names: Vec<String> = files(&d, &is_yaml_or_json)
            .unwrap()
            .iter()
            .map(|p| p.strip_prefix(&d).unwrap().display().to_string())
            .collect();
        assert_eq!(names, ["a.json", "b.yaml", "sub/c.yml"]);
        // A file named directly is taken whatever its name.
        assert_eq!(
            files(&d.join("notes.txt"), &is_yaml_or_json).unwrap().len(),
            1
        );
        let missing = files(&d.join("nope"), &is_yaml_or_json).unwrap_err();
        assert!(missing.0.ends_with("nope"));
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn spans_stay_exact_when_the_cursor_walks_back() {
        // Containers' spans are computed after their children's, from an earlier index.
        let t = "clé: {é: [à, 'ü'], b: {c: ñ}}\nz: [ö, {y: é}]\n";
        let d = one(t).unwrap();
        for (p, want) in [
            ("/clé", "{é: [à, 'ü'], b: {c: ñ}}"),
            ("/clé/é", "[à, 'ü']"),
            ("/clé/é/1", "'ü'"),
            ("/clé/b/c", "ñ"),
            ("/z", "[ö, {y: é}]"),
            ("/z/1/y", "é"),
        ] {
            let s = d.map.get(p).unwrap();
            assert_eq!(&t[s.offset..s.offset + s.len], want, "{p}");
        }
        assert_eq!(d.map.key("/z").map(|s| (s.line, s.column)), Some((2, 1)));
    }

    #[test]
    fn a_long_one_line_document_is_parsed_in_linear_time() {
        // 200,000 nodes on one line of 400 KB: each span used to walk its line from the start.
        let t = format!("{{\"x\": [{}1], \"é\": 1}}", "1,".repeat(200_000));
        let d = one(&t).unwrap();
        let s = d.map.get("/x/200000").unwrap();
        assert_eq!(
            (s.line, s.column, &t[s.offset..s.offset + s.len]),
            (1, 400_008, "1")
        );
    }

    #[cfg(unix)]
    #[test]
    fn walk_never_loops_through_links_and_never_opens_pipes() {
        use std::os::unix::fs::symlink;
        let d = tempdir("walk-links");
        std::fs::create_dir_all(d.join("sub")).unwrap();
        std::fs::write(d.join("a.yaml"), "x: 1").unwrap();
        std::fs::write(d.join("sub/b.yaml"), "x: 2").unwrap();
        symlink(".", d.join("self")).unwrap(); // a cycle
        symlink("..", d.join("sub/up")).unwrap(); // another, from below
        symlink("a.yaml", d.join("again.yaml")).unwrap(); // the same file twice
        symlink("nowhere.yaml", d.join("dangling.yaml")).unwrap();
        let fifo = std::process::Command::new("mkfifo")
            .arg(d.join("pipe.yaml"))
            .status()
            .unwrap();
        assert!(fifo.success());
        let w = walk(&d, &is_yaml_or_json).unwrap();
        let rel = |p: &std::path::Path| p.strip_prefix(&d).unwrap().display().to_string();
        let files: Vec<String> = w.files.iter().map(|p| rel(p)).collect();
        assert_eq!(files, ["a.yaml", "sub/b.yaml"]);
        let mut skipped: Vec<(String, SkipReason)> =
            w.skipped.iter().map(|s| (rel(&s.path), s.why)).collect();
        skipped.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            skipped,
            [
                ("again.yaml".to_string(), SkipReason::SeenFile),
                ("dangling.yaml".to_string(), SkipReason::Dangling),
                ("pipe.yaml".to_string(), SkipReason::NotRegular),
                ("self".to_string(), SkipReason::SeenFolder),
                ("sub/up".to_string(), SkipReason::SeenFolder),
            ]
        );
        assert!(w.skipped[0].to_string().starts_with("skipped `"));
        std::fs::remove_dir_all(&d).unwrap();
    }

    fn tempdir(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("onus-yaml-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn complex_keys_are_refused() {
        assert!(matches!(
            one("? [a, b]\n: 1\n"),
            Err(YamlError::ComplexKey { .. })
        ));
    }
}
