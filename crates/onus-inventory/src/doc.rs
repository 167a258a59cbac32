//! [`Doc`]: one YAML/JSON value tree stored flat, the inventory's representation of an object.
//!
//! Why not `serde_json::Value`: an audit reads hundreds of thousands of small objects, and a
//! `Value` tree costs an allocation per node and per string (about 9 KB per object with
//! `preserve_order`), which made memory 40× the input. A `Doc` is two buffers: nodes in
//! document order (8 bytes each, containers record where their subtree ends) and one string
//! holding every scalar and key (plus a few words for floats). A `Doc` may hold several
//! values one after another ([`Doc::node`]): the inventory keeps objects in such arenas, built
//! by an interning [`DocBuilder`] that stores repeated keys and short strings once. Building one costs no allocation per node; a reader reuses
//! the buffers from object to object; reading it is a walk over a slice. Mappings keep their
//! keys in document order and are searched linearly: Kubernetes objects have small mappings.
//!
//! ```
//! use onus_inventory::doc::{Doc, DocBuilder};
//! let mut b = DocBuilder::default();
//! b.begin_map();
//! b.key("kind"); b.str("Pod");
//! b.key("spec"); b.begin_map(); b.key("replicas"); b.int(3); b.end();
//! b.end();
//! let doc = b.finish().unwrap();
//! let root = doc.root();
//! assert_eq!(root.get("kind").and_then(|k| k.as_str()), Some("Pod"));
//! assert_eq!(root.path(&["spec", "replicas"]).and_then(|r| r.as_i64()), Some(3));
//! ```

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

/// A node of a [`Doc`], decoded. Containers are followed by their children (for a mapping:
/// key, value, key, value…); `end` is the index just after the container's last descendant.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Node {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str { at: u32, len: u32 },
    List { len: u32, end: u32 },
    Map { len: u32, end: u32 },
}

/// A node as stored: 8 bytes. The low 3 bits are the tag; the rest is the payload: a small
/// integer, a boolean, an index into `Doc::wide` (floats, integers beyond 61 bits), a string's
/// offset (32 bits) and length (29 bits), or a container's end (32 bits) and length (29 bits).
/// Half the size of the `Node` enum: kept objects are mostly nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Packed(u64);

const T_NULL: u64 = 0;
const T_BOOL: u64 = 1;
const T_INT: u64 = 2;
const T_WIDE_INT: u64 = 3;
const T_FLOAT: u64 = 4;
const T_STR: u64 = 5;
const T_LIST: u64 = 6;
const T_MAP: u64 = 7;
/// Largest length a string or container can record (29 bits).
const MAX_LEN: u32 = (1 << 29) - 1;

impl Packed {
    fn tag(self) -> u64 {
        self.0 & 7
    }

    fn payload(self) -> u64 {
        self.0 >> 3
    }

    fn new(tag: u64, payload: u64) -> Packed {
        Packed(tag | (payload << 3))
    }

    /// `None` when a length or offset does not fit.
    fn encode(n: Node, wide: &mut Vec<u64>) -> Option<Packed> {
        let pair =
            |lo: u32, hi: u32| (hi <= MAX_LEN).then(|| u64::from(lo) | (u64::from(hi) << 32));
        Some(match n {
            Node::Null => Packed::new(T_NULL, 0),
            Node::Bool(b) => Packed::new(T_BOOL, u64::from(b)),
            Node::Int(i) if (-(1i64 << 60)..(1i64 << 60)).contains(&i) => {
                Packed(T_INT | ((i << 3) as u64))
            }
            Node::Int(i) => {
                wide.push(i as u64);
                Packed::new(T_WIDE_INT, (wide.len() - 1) as u64)
            }
            Node::Float(f) => {
                wide.push(f.to_bits());
                Packed::new(T_FLOAT, (wide.len() - 1) as u64)
            }
            Node::Str { at, len } => Packed::new(T_STR, pair(at, len)?),
            Node::List { len, end } => Packed::new(T_LIST, pair(end, len)?),
            Node::Map { len, end } => Packed::new(T_MAP, pair(end, len)?),
        })
    }

    fn decode(self, wide: &[u64]) -> Node {
        let p = self.payload();
        let (lo, hi) = (p as u32, (p >> 32) as u32);
        let wide_at = |i: u64| wide.get(i as usize).copied().unwrap_or(0);
        match self.tag() {
            T_BOOL => Node::Bool(p != 0),
            T_INT => Node::Int((self.0 as i64) >> 3),
            T_WIDE_INT => Node::Int(wide_at(p) as i64),
            T_FLOAT => Node::Float(f64::from_bits(wide_at(p))),
            T_STR => Node::Str { at: lo, len: hi },
            T_LIST => Node::List { len: hi, end: lo },
            T_MAP => Node::Map { len: hi, end: lo },
            _ => Node::Null,
        }
    }
}

/// One value tree (usually one Kubernetes object), stored flat. See the module documentation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Doc {
    nodes: Vec<Packed>,
    /// Floats and integers too wide for a node.
    wide: Vec<u64>,
    text: String,
}

/// The kind of a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Null,
    Bool,
    Int,
    Float,
    Str,
    List,
    Map,
}

/// A node of a [`Doc`]: a cheap, copyable reference.
#[derive(Clone, Copy)]
pub struct Ref<'a> {
    doc: &'a Doc,
    i: u32,
}

impl std::fmt::Debug for Ref<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.to_json())
    }
}

impl PartialEq for Ref<'_> {
    /// Structural equality (mappings compare as unordered).
    fn eq(&self, other: &Self) -> bool {
        match (self.kind(), other.kind()) {
            (Kind::Map, Kind::Map) => {
                self.len() == other.len()
                    && self
                        .entries()
                        .all(|(k, v)| other.get(k).is_some_and(|w| v == w))
            }
            (Kind::List, Kind::List) => {
                self.len() == other.len() && self.items().zip(other.items()).all(|(a, b)| a == b)
            }
            (Kind::Str, Kind::Str) => self.as_str() == other.as_str(),
            (a, b) if a == b => self.node() == other.node(),
            _ => false,
        }
    }
}

impl Doc {
    /// The root node (the first one). An empty `Doc` (never built) reads as `null`.
    pub fn root(&self) -> Ref<'_> {
        Ref { doc: self, i: 0 }
    }

    /// The node at index `i`: a `Doc` may hold several values one after another (an arena
    /// of kept objects), each a root found by its index ([`DocBuilder::len`] before it was
    /// added). Out of range reads as `null`.
    pub fn node(&self, i: usize) -> Ref<'_> {
        Ref {
            doc: self,
            i: u32::try_from(i).unwrap_or(u32::MAX),
        }
    }

    /// Bytes of text (scalars and keys).
    pub fn text_len(&self) -> usize {
        self.text.len()
    }

    /// Bytes held (nodes and text), for memory accounting.
    pub fn heap_size(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Packed>()
            + self.wide.capacity() * 8
            + self.text.capacity()
    }

    /// Number of nodes (scalars, keys and containers).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Converts a JSON value (as the live path receives it).
    pub fn from_json(v: &Value) -> Doc {
        let mut b = DocBuilder::default();
        b.json(v);
        // A JSON value always closes every container it opens.
        b.finish().unwrap_or_default()
    }

    pub fn to_json(&self) -> Value {
        self.root().to_json()
    }

    /// A copy of `at` keeping only what `need` asks for (see [`Need`]), without spare
    /// capacity: it is meant to be kept.
    pub fn project(at: Ref<'_>, need: &Need) -> Doc {
        let mut b = DocBuilder::default();
        b.copy_projected(at, need);
        let mut d = b.finish().unwrap_or_default();
        d.shrink_to_fit();
        d
    }

    /// Gives back spare capacity (for documents that are kept).
    pub fn shrink_to_fit(&mut self) {
        self.nodes.shrink_to_fit();
        self.wide.shrink_to_fit();
        self.text.shrink_to_fit();
    }

    /// A copy of the subtree at `at`.
    pub fn copy_of(at: Ref<'_>) -> Doc {
        let mut b = DocBuilder::default();
        b.copy(at);
        b.finish().unwrap_or_default()
    }
}

impl<'a> Ref<'a> {
    fn node(&self) -> Node {
        self.doc
            .nodes
            .get(self.i as usize)
            .map_or(Node::Null, |p| p.decode(&self.doc.wide))
    }

    /// The index after this node's subtree.
    fn end(&self) -> u32 {
        match self.node() {
            Node::List { end, .. } | Node::Map { end, .. } => end,
            _ => self.i + 1,
        }
    }

    pub fn doc(&self) -> &'a Doc {
        self.doc
    }

    /// This node's index in its [`Doc`] (see [`Doc::node`]).
    pub fn index(&self) -> usize {
        self.i as usize
    }

    pub fn kind(&self) -> Kind {
        match self.node() {
            Node::Null => Kind::Null,
            Node::Bool(_) => Kind::Bool,
            Node::Int(_) => Kind::Int,
            Node::Float(_) => Kind::Float,
            Node::Str { .. } => Kind::Str,
            Node::List { .. } => Kind::List,
            Node::Map { .. } => Kind::Map,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.node(), Node::Null)
    }

    pub fn as_str(&self) -> Option<&'a str> {
        match self.node() {
            Node::Str { at, len } => self.doc.text.get(at as usize..(at + len) as usize),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.node() {
            Node::Bool(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self.node() {
            Node::Int(i) => Some(i),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self.node() {
            Node::Float(f) => Some(f),
            Node::Int(i) => Some(i as f64),
            _ => None,
        }
    }

    /// Number of elements of a list or entries of a mapping; 0 for scalars.
    pub fn len(&self) -> usize {
        match self.node() {
            Node::List { len, .. } | Node::Map { len, .. } => len as usize,
            _ => 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Children in order: a list's elements, or a mapping's keys and values alternately.
    fn children(&self) -> Children<'a> {
        let (next, left) = match self.node() {
            Node::List { len, .. } => (self.i + 1, len as usize),
            Node::Map { len, .. } => (self.i + 1, 2 * len as usize),
            _ => (self.i, 0),
        };
        Children {
            doc: self.doc,
            next,
            left,
        }
    }

    /// A list's elements (nothing for other kinds).
    pub fn items(&self) -> impl Iterator<Item = Ref<'a>> + 'a {
        let list = matches!(self.node(), Node::List { .. });
        self.children().filter(move |_| list)
    }

    /// A mapping's entries in document order (nothing for other kinds).
    pub fn entries(&self) -> impl Iterator<Item = (&'a str, Ref<'a>)> + 'a {
        let map = matches!(self.node(), Node::Map { .. });
        let mut c = self.children();
        std::iter::from_fn(move || {
            if !map {
                return None;
            }
            let k = c.next()?;
            let v = c.next()?;
            Some((k.as_str().unwrap_or(""), v))
        })
    }

    /// A mapping's value for `key`.
    pub fn get(&self, key: &str) -> Option<Ref<'a>> {
        // The hottest read of an audit: walks the packed nodes directly, comparing a key's
        // length before its bytes and skipping each value's subtree by its recorded end.
        let nodes = &self.doc.nodes;
        let p = *nodes.get(self.i as usize)?;
        if p.tag() != T_MAP {
            return None;
        }
        let (len, end) = {
            let pl = p.payload();
            ((pl >> 32) as u32, pl as u32)
        };
        let want = key.as_bytes();
        let text = self.doc.text.as_bytes();
        let mut i = self.i + 1;
        for _ in 0..len {
            if i >= end {
                return None;
            }
            let k = *nodes.get(i as usize)?;
            let v = i + 1;
            if k.tag() == T_STR {
                let pl = k.payload();
                let (at, n) = (pl as u32 as usize, (pl >> 32) as usize);
                if n == want.len() && text.get(at..at + n) == Some(want) {
                    return Some(Ref {
                        doc: self.doc,
                        i: v,
                    });
                }
            }
            let vp = *nodes.get(v as usize)?;
            i = match vp.tag() {
                T_LIST | T_MAP => vp.payload() as u32,
                _ => v + 1,
            };
        }
        None
    }

    /// A list's element.
    pub fn at(&self, index: usize) -> Option<Ref<'a>> {
        self.items().nth(index)
    }

    /// Follows mapping keys (and list indices written as numbers) from this node.
    pub fn path<S: AsRef<str>>(&self, keys: &[S]) -> Option<Ref<'a>> {
        let mut at = *self;
        for k in keys {
            let k = k.as_ref();
            at = match at.kind() {
                Kind::Map => at.get(k)?,
                Kind::List => at.at(k.parse().ok()?)?,
                _ => return None,
            };
        }
        Some(at)
    }

    pub fn to_json(&self) -> Value {
        match self.node() {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(b),
            Node::Int(i) => Value::from(i),
            Node::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
            Node::Str { .. } => Value::String(self.as_str().unwrap_or("").to_string()),
            Node::List { .. } => Value::Array(self.items().map(|r| r.to_json()).collect()),
            Node::Map { .. } => Value::Object(
                self.entries()
                    .map(|(k, v)| (k.to_string(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

struct Children<'a> {
    doc: &'a Doc,
    next: u32,
    left: usize,
}

impl<'a> Iterator for Children<'a> {
    type Item = Ref<'a>;
    fn next(&mut self) -> Option<Ref<'a>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let r = Ref {
            doc: self.doc,
            i: self.next,
        };
        self.next = r.end();
        Some(r)
    }
}

/// What a reader of an object needs of it: the whole subtree, or some of a mapping's keys
/// and/or every element (or value) with a need of its own. Built by the audit from its checks'
/// expressions, so that objects kept for cross-object checks keep only the fields read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Need {
    /// Keep everything below.
    pub whole: bool,
    /// Keys of a mapping, each with what is needed of its value.
    pub fields: BTreeMap<String, Need>,
    /// What is needed of every element of a list (or value of a mapping).
    pub each: Option<Box<Need>>,
}

impl Need {
    pub fn whole() -> Need {
        Need {
            whole: true,
            ..Need::default()
        }
    }

    /// Whether nothing at all is needed.
    pub fn is_nothing(&self) -> bool {
        !self.whole && self.fields.is_empty() && self.each.is_none()
    }

    /// The need at a path of keys below this one, created empty if absent.
    pub fn at_path<S: AsRef<str>>(&mut self, keys: &[S]) -> &mut Need {
        let mut n = self;
        for k in keys {
            n = n.fields.entry(k.as_ref().to_string()).or_default();
        }
        n
    }

    /// Adds everything `other` needs.
    pub fn merge(&mut self, other: &Need) {
        if self.whole {
            return;
        }
        if other.whole {
            *self = Need::whole();
            return;
        }
        for (k, n) in &other.fields {
            self.fields.entry(k.clone()).or_default().merge(n);
        }
        if let Some(e) = &other.each {
            self.each.get_or_insert_with(Box::default).merge(e);
        }
    }
}

/// Why a [`DocBuilder`] could not finish.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    #[error("duplicate key `{0}`")]
    DuplicateKey(String),
    #[error("unbalanced document: a container was not closed, or closed twice")]
    Unbalanced,
    #[error("document too large for one object (over 4 GiB of text or nodes)")]
    TooLarge,
}

/// Builds a [`Doc`] node by node, in document order. Inside a mapping, call [`DocBuilder::key`]
/// before each value. `clear` reuses the buffers for the next document. Several values may
/// be built one after another (an arena): each starts at [`DocBuilder::len`].
#[derive(Debug, Default)]
pub struct DocBuilder {
    doc: Doc,
    /// Open containers: node index and number of children so far.
    open: Vec<(u32, u32)>,
    error: Option<BuildError>,
    /// When interning (see [`DocBuilder::interning`]): where each short key or string
    /// already is in the text.
    interned: Option<HashMap<Box<str>, (u32, u32)>>,
    /// Whether short string values are interned too, not only keys.
    intern_strings: bool,
}

/// Strings longer than this are never interned.
const INTERN_MAX_LEN: usize = 32;
/// Distinct strings interned per document at most (bounds the builder's table).
const INTERN_MAX_COUNT: usize = 4096;

impl DocBuilder {
    /// A builder that stores each mapping key, and with `strings` each string value, once
    /// (up to 32 bytes and 4,096 distinct strings per document): later occurrences point at
    /// the first one's text. Readers see no difference. Meant for arenas of kept objects,
    /// where keys (and kinds, apiVersions, namespaces) repeat from object to object.
    pub fn interning(strings: bool) -> DocBuilder {
        DocBuilder {
            interned: Some(HashMap::new()),
            intern_strings: strings,
            ..DocBuilder::default()
        }
    }

    pub fn clear(&mut self) {
        self.doc.nodes.clear();
        self.doc.wide.clear();
        self.doc.text.clear();
        self.open.clear();
        self.error = None;
        if let Some(m) = &mut self.interned {
            m.clear();
        }
    }

    /// The node at `i` of what is built so far (see [`Doc::node`]); a container still open
    /// reads as empty.
    pub fn node(&self, i: usize) -> Ref<'_> {
        self.doc.node(i)
    }

    /// Bytes of text so far.
    pub fn text_len(&self) -> usize {
        self.doc.text.len()
    }

    /// The document built so far, copied without spare capacity, and the builder cleared
    /// (keeping its buffers for the next one).
    pub fn take_compact(&mut self) -> Result<Doc, BuildError> {
        let doc = self.peek()?.clone();
        self.clear();
        Ok(doc)
    }

    /// Number of nodes so far.
    pub fn len(&self) -> usize {
        self.doc.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.doc.nodes.is_empty()
    }

    /// Depth of open containers.
    pub fn depth(&self) -> usize {
        self.open.len()
    }

    fn push(&mut self, n: Node) {
        if let Some(top) = self.open.last_mut() {
            top.1 += 1;
        }
        let p = Packed::encode(n, &mut self.doc.wide).unwrap_or_else(|| {
            self.error = Some(BuildError::TooLarge);
            Packed::new(T_NULL, 0)
        });
        self.doc.nodes.push(p);
    }

    fn text(&mut self, s: &str) -> Node {
        let at = self.doc.text.len();
        self.doc.text.push_str(s);
        match (u32::try_from(at), u32::try_from(s.len())) {
            (Ok(at), Ok(len)) if at.checked_add(len).is_some() => Node::Str { at, len },
            _ => {
                self.error = Some(BuildError::TooLarge);
                Node::Null
            }
        }
    }

    pub fn null(&mut self) {
        self.push(Node::Null);
    }
    pub fn bool(&mut self, b: bool) {
        self.push(Node::Bool(b));
    }
    pub fn int(&mut self, i: i64) {
        self.push(Node::Int(i));
    }
    pub fn float(&mut self, f: f64) {
        self.push(Node::Float(f));
    }
    pub fn str(&mut self, s: &str) {
        let n = match self.intern_strings {
            true => self.interned_text(s),
            false => self.text(s),
        };
        self.push(n);
    }
    /// A mapping key (a string node that the next value belongs to).
    pub fn key(&mut self, k: &str) {
        let n = self.interned_text(k);
        self.push(n);
    }

    fn interned_text(&mut self, s: &str) -> Node {
        if s.len() > INTERN_MAX_LEN || self.interned.is_none() {
            return self.text(s);
        }
        if let Some(&(at, len)) = self.interned.as_ref().and_then(|m| m.get(s)) {
            return Node::Str { at, len };
        }
        let n = self.text(s);
        if let (Node::Str { at, len }, Some(m)) = (n, &mut self.interned) {
            if m.len() < INTERN_MAX_COUNT {
                m.insert(s.into(), (at, len));
            }
        }
        n
    }
    /// A plain YAML scalar, resolved as onus-yaml resolves it (`3.10` stays a string).
    pub fn plain(&mut self, s: &str) {
        match onus_yaml::resolve_plain_scalar(s) {
            onus_yaml::Plain::Null => self.null(),
            onus_yaml::Plain::Bool(b) => self.bool(b),
            onus_yaml::Plain::Int(i) => self.int(i),
            onus_yaml::Plain::Float(f) => self.float(f),
            onus_yaml::Plain::Str => self.str(s),
        }
    }
    pub fn begin_list(&mut self) {
        self.begin(Node::List { len: 0, end: 0 });
    }
    pub fn begin_map(&mut self) {
        self.begin(Node::Map { len: 0, end: 0 });
    }
    fn begin(&mut self, n: Node) {
        self.push(n);
        let i = self.doc.nodes.len() - 1;
        match u32::try_from(i) {
            Ok(i) => self.open.push((i, 0)),
            Err(_) => self.error = Some(BuildError::TooLarge),
        }
    }

    /// Closes the innermost container.
    pub fn end(&mut self) {
        let Some((i, children)) = self.open.pop() else {
            self.error.get_or_insert(BuildError::Unbalanced);
            return;
        };
        let Ok(end) = u32::try_from(self.doc.nodes.len()) else {
            self.error = Some(BuildError::TooLarge);
            return;
        };
        let at = i as usize;
        let set = |b: &mut DocBuilder, n: Node| match Packed::encode(n, &mut b.doc.wide) {
            Some(p) => b.doc.nodes[at] = p,
            None => b.error = Some(BuildError::TooLarge),
        };
        match self.doc.nodes[at].tag() {
            T_LIST => set(self, Node::List { len: children, end }),
            T_MAP => {
                let len = children / 2;
                set(self, Node::Map { len, end });
                if self.error.is_none() {
                    if let Some(k) = duplicate_key(Ref { doc: &self.doc, i }) {
                        self.error = Some(BuildError::DuplicateKey(k.to_string()));
                    }
                }
            }
            _ => self.error = Some(BuildError::Unbalanced),
        }
    }

    /// The first error so far (a duplicate key, say), without finishing.
    pub fn error(&self) -> Option<&BuildError> {
        self.error.as_ref()
    }

    /// Takes the error so far, so that building goes on (a reader that attributes a
    /// duplicate key to one item of a larger document and keeps the others).
    pub fn take_error(&mut self) -> Option<BuildError> {
        self.error.take()
    }

    /// A copy of the node at `index` (see [`DocBuilder::len`] before it was added), once it
    /// is complete: a scalar, or a container already closed. For YAML anchors.
    pub fn subtree(&self, index: usize) -> Option<Doc> {
        let i = u32::try_from(index).ok()?;
        if index >= self.doc.nodes.len() || self.open.iter().any(|(o, _)| *o == i) {
            return None;
        }
        Some(Doc::copy_of(Ref { doc: &self.doc, i }))
    }

    /// The document built so far, when every container is closed (without taking it).
    pub fn peek(&self) -> Result<&Doc, BuildError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        if !self.open.is_empty() {
            return Err(BuildError::Unbalanced);
        }
        Ok(&self.doc)
    }

    /// Takes the document (leaving the builder empty).
    pub fn finish(&mut self) -> Result<Doc, BuildError> {
        self.peek()?;
        let doc = std::mem::take(&mut self.doc);
        self.clear();
        Ok(doc)
    }

    /// Appends a JSON value.
    pub fn json(&mut self, v: &Value) {
        match v {
            Value::Null => self.null(),
            Value::Bool(b) => self.bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => self.int(i),
                None => self.float(n.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(s) => self.str(s),
            Value::Array(a) => {
                self.begin_list();
                for x in a {
                    self.json(x);
                }
                self.end();
            }
            Value::Object(m) => {
                self.begin_map();
                for (k, x) in m {
                    self.key(k);
                    self.json(x);
                }
                self.end();
            }
        }
    }

    /// Appends a copy of a node of another document.
    pub fn copy(&mut self, r: Ref<'_>) {
        match r.node() {
            Node::Str { .. } => self.str(r.as_str().unwrap_or("")),
            Node::List { .. } => {
                self.begin_list();
                for x in r.items() {
                    self.copy(x);
                }
                self.end();
            }
            Node::Map { .. } => {
                self.begin_map();
                for (k, x) in r.entries() {
                    self.key(k);
                    self.copy(x);
                }
                self.end();
            }
            n => self.push(n),
        }
    }

    /// Appends the part of a node that `need` asks for.
    pub fn copy_projected(&mut self, r: Ref<'_>, need: &Need) {
        if need.whole {
            return self.copy(r);
        }
        match r.kind() {
            Kind::Map => {
                self.begin_map();
                for (k, x) in r.entries() {
                    match (need.fields.get(k), &need.each) {
                        (Some(f), Some(e)) => {
                            let mut both = (**e).clone();
                            both.merge(f);
                            self.key(k);
                            self.copy_projected(x, &both);
                        }
                        (Some(f), None) => {
                            self.key(k);
                            self.copy_projected(x, f);
                        }
                        (None, Some(e)) => {
                            self.key(k);
                            self.copy_projected(x, e);
                        }
                        (None, None) => {}
                    }
                }
                self.end();
            }
            Kind::List => match &need.each {
                Some(e) => {
                    self.begin_list();
                    for x in r.items() {
                        self.copy_projected(x, e);
                    }
                    self.end();
                }
                // Fields asked of a list: the reader indexes it in a way not foreseen; keep it.
                None if !need.fields.is_empty() => self.copy(r),
                None => {
                    self.begin_list();
                    self.end();
                }
            },
            _ => self.copy(r),
        }
    }
}

/// The first key that appears twice in a mapping. Small mappings (the usual case) are
/// compared pairwise; large ones through a sorted copy of their keys.
fn duplicate_key(map: Ref<'_>) -> Option<&str> {
    let n = map.len();
    if n < 2 {
        return None;
    }
    if n <= 16 {
        let keys: Vec<&str> = map.entries().map(|(k, _)| k).collect();
        for (i, k) in keys.iter().enumerate() {
            if keys[i + 1..].contains(k) {
                return Some(k);
            }
        }
        return None;
    }
    let mut keys: Vec<&str> = map.entries().map(|(k, _)| k).collect();
    keys.sort_unstable();
    keys.windows(2).find(|w| w[0] == w[1]).map(|w| w[0])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_round_trip_and_navigation() {
        let v = json!({"kind": "Deployment", "metadata": {"name": "w", "labels": {"a": "b"}},
            "spec": {"replicas": 2, "ratio": 0.5, "on": true, "none": null,
                     "containers": [{"name": "c1"}, {"name": "c2", "ports": [1, 2]}]}});
        let d = Doc::from_json(&v);
        assert_eq!(d.to_json(), v);
        let r = d.root();
        assert_eq!(r.kind(), Kind::Map);
        assert_eq!(r.len(), 3);
        let cs = r.path(&["spec", "containers"]).unwrap();
        assert_eq!(cs.len(), 2);
        let names: Vec<&str> = cs.items().filter_map(|c| c.get("name")?.as_str()).collect();
        assert_eq!(names, ["c1", "c2"]);
        assert_eq!(
            r.path(&["spec", "containers", "1", "ports", "1"])
                .unwrap()
                .as_i64(),
            Some(2)
        );
        assert!(r.path(&["spec", "none"]).unwrap().is_null());
        assert!(r.path(&["spec", "missing"]).is_none());
        assert_eq!(r.path(&["spec", "ratio"]).unwrap().as_f64(), Some(0.5));
        assert_eq!(Doc::default().root().kind(), Kind::Null);
    }

    #[test]
    fn numbers_of_every_width_survive() {
        let v = json!([
            0,
            -1,
            7,
            1_152_921_504_606_846_975i64,
            -1_152_921_504_606_846_976i64,
            1_152_921_504_606_846_976i64,
            i64::MIN,
            i64::MAX,
            0.25,
            -1.5e300
        ]);
        let d = Doc::from_json(&v);
        assert_eq!(d.to_json(), v);
        assert_eq!(d.root().at(6).unwrap().as_i64(), Some(i64::MIN));
        assert_eq!(std::mem::size_of::<Packed>(), 8);
    }

    #[test]
    fn duplicate_keys_and_unbalanced_are_errors() {
        let mut b = DocBuilder::default();
        b.begin_map();
        b.key("a");
        b.int(1);
        b.key("a");
        b.int(2);
        b.end();
        assert_eq!(b.finish(), Err(BuildError::DuplicateKey("a".into())));
        let mut b = DocBuilder::default();
        b.begin_map();
        for i in 0..40 {
            b.key(&format!("k{}", i % 39));
            b.null();
        }
        b.end();
        assert_eq!(b.finish(), Err(BuildError::DuplicateKey("k0".into())));
        let mut b = DocBuilder::default();
        b.begin_list();
        assert_eq!(b.finish(), Err(BuildError::Unbalanced));
    }

    #[test]
    fn projection_keeps_only_what_is_needed() {
        let v = json!({"kind": "Deployment", "metadata": {"name": "w", "namespace": "n", "labels": {"a": "b"}},
            "spec": {"replicas": 2, "template": {"metadata": {"labels": {"app": "w"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}});
        let d = Doc::from_json(&v);
        let mut need = Need::default();
        need.at_path(&["metadata", "name"]).whole = true;
        need.at_path(&["spec", "template", "metadata", "labels"])
            .whole = true;
        need.at_path(&["spec", "template", "spec", "containers"])
            .each = Some(Box::new(Need {
            fields: [("name".to_string(), Need::whole())].into(),
            ..Need::default()
        }));
        let p = Doc::project(d.root(), &need);
        assert_eq!(
            p.to_json(),
            json!({"metadata": {"name": "w"}, "spec": {"template": {"metadata": {"labels": {"app": "w"}}, "spec": {"containers": [{"name": "c"}]}}}})
        );
        assert!(p.heap_size() < d.heap_size());
        assert_eq!(Doc::copy_of(d.root()).to_json(), v);
    }

    #[test]
    fn equality_is_structural() {
        let a = Doc::from_json(&json!({"x": [1, {"y": "z"}], "w": 1}));
        let b = Doc::from_json(&json!({"w": 1, "x": [1, {"y": "z"}]}));
        let c = Doc::from_json(&json!({"w": 1, "x": [1, {"y": "q"}]}));
        assert_eq!(a.root(), b.root());
        assert_ne!(a.root(), c.root());
    }

    #[test]
    fn arenas_hold_several_roots_and_interning_is_invisible() {
        let long = "k".repeat(40);
        let values = [
            json!({"kind": "Pod", "metadata": {"name": "a", "namespace": "n"}}),
            json!({"kind": "Pod", "metadata": {"name": "b", "namespace": "n"}, "x": [1.5, null, true]}),
            json!({long.clone(): long.clone(), "kind": "Pod"}),
            json!("Pod"),
            json!({"many": (0..5000).map(|i| (format!("k{i}"), json!(i))).collect::<serde_json::Map<_, _>>()}),
            json!({"k4999": "after the table is full", "kind": "Pod"}),
        ];
        let mut plain = DocBuilder::default();
        let mut keys = DocBuilder::interning(false);
        let mut strings = DocBuilder::interning(true);
        let mut roots = Vec::new();
        for v in &values {
            roots.push(plain.len());
            assert_eq!(keys.len(), plain.len());
            assert_eq!(strings.len(), plain.len());
            plain.json(v);
            keys.json(v);
            strings.json(v);
        }
        let (plain, keys, strings) = (
            plain.take_compact().unwrap(),
            keys.take_compact().unwrap(),
            strings.take_compact().unwrap(),
        );
        for (v, &at) in values.iter().zip(&roots) {
            for d in [&plain, &keys, &strings] {
                let r = d.node(at);
                assert_eq!(r.index(), at);
                assert_eq!(&r.to_json(), v);
                assert_eq!(r, plain.node(at));
            }
        }
        assert_eq!(plain.root().to_json(), values[0]);
        assert!(plain.node(1 << 40).is_null());
        assert!(keys.text_len() < plain.text_len());
        assert!(strings.text_len() < keys.text_len());
        assert_eq!(
            plain.heap_size(),
            plain.node_count() * 8 + plain.text_len() + 8
        );
    }
}
