//! Runtime values: scalars by value, document parts borrowed, built lists and maps shared.

use std::cmp::Ordering;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, SecondsFormat, TimeDelta};
use onus_inventory::doc::{Kind, Ref};

/// A value during evaluation.
///
/// Parts of documents are never copied: a list or map inside a [`onus_inventory::doc::Doc`] is
/// a [`Val::Node`], a string of a document a [`Str::Borrowed`]. Lists and maps built by the
/// expression (`[..]`, `filter`, `+`) are shared behind an `Arc`, so cloning a value never
/// copies more than a pointer; `Arc` rather than `Rc` so that values (and the constants a
/// [`super::Program`] holds) are `Send + Sync`.
#[derive(Clone, Default)]
pub enum Val<'a> {
    #[default]
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Double(f64),
    Str(Str<'a>),
    Bytes(Arc<[u8]>),
    List(List<'a>),
    Map(Map<'a>),
    /// A list or map inside a document. Build it with [`Val::node`], which turns scalars into
    /// the other variants: code matching on `Node` expects a container.
    Node(Ref<'a>),
    Timestamp(DateTime<FixedOffset>),
    Duration(TimeDelta),
    /// A type, as `type(x)` returns and `int`, `string`... name.
    Type(&'static str),
}

/// A string: borrowed from a document, or built during evaluation (or a literal of the
/// program, shared).
#[derive(Clone)]
pub enum Str<'a> {
    Borrowed(&'a str),
    Shared(Arc<str>),
}

impl Deref for Str<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            Str::Borrowed(s) => s,
            Str::Shared(s) => s,
        }
    }
}

impl<'a> Str<'a> {
    /// A part of this string (borrowed when this one is, copied otherwise).
    pub(crate) fn sub(&self, part: &str) -> Str<'a> {
        match self {
            Str::Borrowed(s) => {
                // `part` is a slice of `s`: find it again by offset to keep the lifetime `'a`.
                let start = (part.as_ptr() as usize).wrapping_sub(s.as_ptr() as usize);
                let end = start.saturating_add(part.len());
                match s.get(start..end) {
                    Some(p) if p.as_ptr() == part.as_ptr() => Str::Borrowed(p),
                    _ => Str::Shared(part.into()),
                }
            }
            Str::Shared(_) if part.is_empty() => Str::Borrowed(""),
            Str::Shared(_) => Str::Shared(part.into()),
        }
    }
}

/// A list built during evaluation, or the objects a [`super::World`] lends.
#[derive(Clone, Default)]
pub enum List<'a> {
    /// `[]`, without allocating.
    #[default]
    Empty,
    Vals(Arc<[Val<'a>]>),
    /// Objects lent by the world (`objects`, `objectsIn`).
    Refs(&'a [Ref<'a>]),
}

impl<'a> List<'a> {
    pub fn from_vec(v: Vec<Val<'a>>) -> List<'a> {
        if v.is_empty() {
            List::Empty
        } else {
            List::Vals(v.into())
        }
    }

    pub fn len(&self) -> usize {
        match self {
            List::Empty => 0,
            List::Vals(v) => v.len(),
            List::Refs(r) => r.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, i: usize) -> Option<Val<'a>> {
        match self {
            List::Empty => None,
            List::Vals(v) => v.get(i).cloned(),
            List::Refs(r) => r.get(i).map(|r| Val::node(*r)),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = Val<'a>> + '_ {
        let (vals, refs): (&[Val<'a>], &[Ref<'a>]) = match self {
            List::Empty => (&[], &[]),
            List::Vals(v) => (v, &[]),
            List::Refs(r) => (&[], r),
        };
        vals.iter()
            .cloned()
            .chain(refs.iter().map(|r| Val::node(*r)))
    }
}

/// A map built during evaluation (a map literal, `image()`, `cert()`, `params`): entries in
/// insertion order, searched linearly (they are small).
#[derive(Clone, Default)]
pub struct Map<'a>(Option<Arc<[(Val<'a>, Val<'a>)]>>);

impl<'a> Map<'a> {
    pub fn from_vec(v: Vec<(Val<'a>, Val<'a>)>) -> Map<'a> {
        if v.is_empty() {
            Map(None)
        } else {
            Map(Some(v.into()))
        }
    }

    pub fn entries(&self) -> &[(Val<'a>, Val<'a>)] {
        self.0.as_deref().unwrap_or(&[])
    }

    pub fn len(&self) -> usize {
        self.entries().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, key: &Val<'_>) -> Option<&Val<'a>> {
        self.entries()
            .iter()
            .find(|(k, _)| equal(k, key))
            .map(|(_, v)| v)
    }

    pub fn get_str(&self, key: &str) -> Option<&Val<'a>> {
        self.entries()
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }
}

impl<'a> Val<'a> {
    /// A document node as a value: scalars become `Str`/`Int`/..., containers `Node`.
    pub fn node(r: Ref<'a>) -> Val<'a> {
        match r.kind() {
            Kind::Null => Val::Null,
            Kind::Bool => Val::Bool(r.as_bool().unwrap_or(false)),
            Kind::Int => Val::Int(r.as_i64().unwrap_or(0)),
            Kind::Float => Val::Double(r.as_f64().unwrap_or(0.0)),
            Kind::Str => Val::Str(Str::Borrowed(r.as_str().unwrap_or(""))),
            Kind::List | Kind::Map => Val::Node(r),
        }
    }

    /// A string built at run time.
    pub fn string(s: impl Into<Arc<str>>) -> Val<'a> {
        Val::Str(Str::Shared(s.into()))
    }

    /// A string borrowed for `'a`.
    pub fn str(s: &'a str) -> Val<'a> {
        Val::Str(Str::Borrowed(s))
    }

    /// The same value with a `Node` holding a scalar (only possible when built by hand) made
    /// into its scalar variant.
    pub(crate) fn normal(self) -> Val<'a> {
        match self {
            Val::Node(r) if !matches!(r.kind(), Kind::List | Kind::Map) => Val::node(r),
            v => v,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Val::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Val::Int(i) => Some(*i),
            Val::UInt(u) => i64::try_from(*u).ok(),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Val::Null)
    }

    /// Whether a list (of a document or built).
    pub fn is_list(&self) -> bool {
        match self {
            Val::List(_) => true,
            Val::Node(r) => r.kind() == Kind::List,
            _ => false,
        }
    }

    /// Whether a map (of a document or built).
    pub fn is_map(&self) -> bool {
        match self {
            Val::Map(_) => true,
            Val::Node(r) => r.kind() == Kind::Map,
            _ => false,
        }
    }

    /// Elements when a list (of a document or built), `None` otherwise.
    pub fn list_items(&self) -> Option<Vec<Val<'a>>> {
        match self {
            Val::List(l) => Some(l.iter().collect()),
            Val::Node(r) if r.kind() == Kind::List => Some(r.items().map(Val::node).collect()),
            _ => None,
        }
    }

    /// Number of elements of a list or entries of a map.
    pub fn container_len(&self) -> Option<usize> {
        match self {
            Val::List(l) => Some(l.len()),
            Val::Map(m) => Some(m.len()),
            Val::Node(r) if matches!(r.kind(), Kind::List | Kind::Map) => Some(r.len()),
            _ => None,
        }
    }

    /// A map's value for a string key (of a document or built).
    pub fn get(&self, key: &str) -> Option<Val<'a>> {
        match self {
            Val::Map(m) => m.get_str(key).cloned(),
            Val::Node(r) if r.kind() == Kind::Map => r.get(key).map(Val::node),
            _ => None,
        }
    }

    /// A list's element (of a document or built).
    pub fn at(&self, i: usize) -> Option<Val<'a>> {
        match self {
            Val::List(l) => l.get(i),
            Val::Node(r) if r.kind() == Kind::List => r.at(i).map(Val::node),
            _ => None,
        }
    }

    /// The CEL name of the value's type (`map` for a document mapping).
    pub fn type_name(&self) -> &'static str {
        match self {
            Val::Null => "null_type",
            Val::Bool(_) => "bool",
            Val::Int(_) => "int",
            Val::UInt(_) => "uint",
            Val::Double(_) => "double",
            Val::Str(_) => "string",
            Val::Bytes(_) => "bytes",
            Val::List(_) => "list",
            Val::Map(_) => "map",
            Val::Node(r) => match r.kind() {
                Kind::List => "list",
                Kind::Map => "map",
                _ => Val::node(*r).type_name(),
            },
            Val::Timestamp(_) => "google.protobuf.Timestamp",
            Val::Duration(_) => "google.protobuf.Duration",
            Val::Type(_) => "type",
        }
    }
}

/// Entries of a map (of a document or built), `None` for other values.
pub(crate) fn map_entries<'v, 'a>(
    v: &'v Val<'a>,
) -> Option<impl Iterator<Item = (Val<'a>, Val<'a>)> + 'v> {
    let (doc, built) = match v {
        Val::Map(m) => (None, m.entries()),
        Val::Node(r) if r.kind() == Kind::Map => (Some(*r), &[][..]),
        _ => return None,
    };
    let doc = doc
        .into_iter()
        .flat_map(|r| r.entries())
        .map(|(k, v)| (Val::str(k), Val::node(v)));
    Some(doc.chain(built.iter().cloned()))
}

/// Elements of a list (of a document or built), `None` for other values.
pub(crate) fn list_elems<'v, 'a>(v: &'v Val<'a>) -> Option<impl Iterator<Item = Val<'a>> + 'v> {
    let (doc, built) = match v {
        Val::List(l) => (None, Some(l)),
        Val::Node(r) if r.kind() == Kind::List => (Some(*r), None),
        _ => return None,
    };
    let doc = doc.into_iter().flat_map(|r| r.items()).map(Val::node);
    Some(doc.chain(built.into_iter().flat_map(|l| l.iter())))
}

/// A map's value for a key, for maps of documents (string keys) and built maps.
pub(crate) fn map_get<'a>(m: &Val<'a>, key: &Val<'_>) -> Option<Val<'a>> {
    match m {
        Val::Map(m) => m.get(key).cloned(),
        Val::Node(r) if r.kind() == Kind::Map => r.get(key.as_str()?).map(Val::node),
        _ => None,
    }
}

/// CEL equality: numbers compare across `int`, `uint` and `double`; lists element-wise and
/// maps entry-wise whether they live in a document or were built; different types are unequal.
pub fn equal(a: &Val<'_>, b: &Val<'_>) -> bool {
    match (a, b) {
        (Val::Null, Val::Null) => true,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Str(x), Val::Str(y)) => **x == **y,
        (Val::Bytes(x), Val::Bytes(y)) => x == y,
        (Val::Timestamp(x), Val::Timestamp(y)) => x == y,
        (Val::Duration(x), Val::Duration(y)) => x == y,
        (Val::Type(x), Val::Type(y)) => x == y,
        _ => match num_cmp(a, b) {
            Some(o) => o == Some(Ordering::Equal),
            None => seq_or_map_equal(a, b),
        },
    }
}

fn seq_or_map_equal(a: &Val<'_>, b: &Val<'_>) -> bool {
    if a.is_list() && b.is_list() {
        if a.container_len() != b.container_len() {
            return false;
        }
        return match (list_elems(a), list_elems(b)) {
            (Some(x), Some(y)) => x.zip(y).all(|(x, y)| equal(&x, &y)),
            _ => false,
        };
    }
    if a.is_map() && b.is_map() {
        if a.container_len() != b.container_len() {
            return false;
        }
        return match map_entries(a) {
            Some(mut es) => es.all(|(k, v)| map_get(b, &k).is_some_and(|w| equal(&v, &w))),
            None => false,
        };
    }
    false
}

/// Numeric comparison across `int`, `uint` and `double`: `None` when either is not a number,
/// `Some(None)` when unordered (NaN).
pub(crate) fn num_cmp(a: &Val<'_>, b: &Val<'_>) -> Option<Option<Ordering>> {
    Some(match (a, b) {
        (Val::Int(x), Val::Int(y)) => Some(x.cmp(y)),
        (Val::UInt(x), Val::UInt(y)) => Some(x.cmp(y)),
        (Val::Double(x), Val::Double(y)) => x.partial_cmp(y),
        (Val::Int(x), Val::UInt(y)) => Some(int_uint(*x, *y)),
        (Val::UInt(x), Val::Int(y)) => Some(int_uint(*y, *x).reverse()),
        (Val::Int(x), Val::Double(y)) => int_double(*x as i128, *y),
        (Val::UInt(x), Val::Double(y)) => int_double(*x as i128, *y),
        (Val::Double(x), Val::Int(y)) => int_double(*y as i128, *x).map(Ordering::reverse),
        (Val::Double(x), Val::UInt(y)) => int_double(*y as i128, *x).map(Ordering::reverse),
        _ => return None,
    })
}

fn int_uint(x: i64, y: u64) -> Ordering {
    if x < 0 {
        Ordering::Less
    } else {
        (x as u64).cmp(&y)
    }
}

/// An integer against a double, exactly (no rounding of large integers).
fn int_double(x: i128, y: f64) -> Option<Ordering> {
    if y.is_nan() {
        return None;
    }
    if y >= 1.8e19 {
        return Some(Ordering::Less);
    }
    if y <= -9.3e18 {
        return Some(Ordering::Greater);
    }
    let t = y.trunc();
    match x.cmp(&(t as i128)) {
        Ordering::Equal if y > t => Some(Ordering::Less),
        Ordering::Equal if y < t => Some(Ordering::Greater),
        o => Some(o),
    }
}

/// CEL ordering: numbers across types, strings, bytes, booleans, timestamps, durations.
/// `Err(())` when the two cannot be ordered; `Ok(None)` for NaN.
pub(crate) fn compare(a: &Val<'_>, b: &Val<'_>) -> Result<Option<Ordering>, ()> {
    if let Some(o) = num_cmp(a, b) {
        return Ok(o);
    }
    Ok(Some(match (a, b) {
        (Val::Str(x), Val::Str(y)) => (**x).cmp(&**y),
        (Val::Bytes(x), Val::Bytes(y)) => x.cmp(y),
        (Val::Bool(x), Val::Bool(y)) => x.cmp(y),
        (Val::Timestamp(x), Val::Timestamp(y)) => x.cmp(y),
        (Val::Duration(x), Val::Duration(y)) => x.cmp(y),
        _ => return Err(()),
    }))
}

impl PartialEq for Val<'_> {
    /// CEL equality (see [`equal`]).
    fn eq(&self, other: &Self) -> bool {
        equal(self, other)
    }
}

impl fmt::Debug for Val<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Val<'_> {
    /// A readable rendering for messages: strings quoted, lists `[..]`, maps `{..}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Val::Null => f.write_str("null"),
            Val::Bool(b) => write!(f, "{b}"),
            Val::Int(i) => write!(f, "{i}"),
            Val::UInt(u) => write!(f, "{u}u"),
            Val::Double(d) => write!(f, "{d:?}"),
            Val::Str(s) => write!(f, "{:?}", &**s),
            Val::Bytes(b) => write!(f, "b{:?}", String::from_utf8_lossy(b)),
            Val::Timestamp(t) => write!(f, "timestamp({:?})", timestamp_string(t)),
            Val::Duration(d) => write!(f, "duration({:?})", duration_string(*d)),
            Val::Type(t) => f.write_str(t),
            Val::List(_) | Val::Node(_) | Val::Map(_) => {
                if let Some(es) = list_elems(self) {
                    f.write_str("[")?;
                    for (i, e) in es.enumerate() {
                        if i > 0 {
                            f.write_str(", ")?;
                        }
                        write!(f, "{e}")?;
                    }
                    return f.write_str("]");
                }
                if let Some(es) = map_entries(self) {
                    f.write_str("{")?;
                    for (i, (k, v)) in es.enumerate() {
                        if i > 0 {
                            f.write_str(", ")?;
                        }
                        write!(f, "{k}: {v}")?;
                    }
                    return f.write_str("}");
                }
                // A `Node` holding a scalar (built by hand).
                match self {
                    Val::Node(r) => write!(f, "{}", Val::node(*r)),
                    _ => Ok(()),
                }
            }
        }
    }
}

/// A timestamp as CEL's `string()` writes it: RFC 3339 in UTC.
pub(crate) fn timestamp_string(t: &DateTime<FixedOffset>) -> String {
    t.with_timezone(&chrono::Utc)
        .to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// A duration as CEL's `string()` writes it: seconds with a fraction, `93600s`, `1.5s`.
pub(crate) fn duration_string(d: TimeDelta) -> String {
    let nanos = d.num_nanoseconds().map(i128::from).unwrap_or_else(|| {
        i128::from(d.num_seconds()) * 1_000_000_000 + i128::from(d.subsec_nanos())
    });
    let (sign, n) = if nanos < 0 {
        ("-", -nanos)
    } else {
        ("", nanos)
    };
    let (secs, frac) = (n / 1_000_000_000, n % 1_000_000_000);
    if frac == 0 {
        format!("{sign}{secs}s")
    } else {
        let f = format!("{frac:09}");
        format!("{sign}{secs}.{}s", f.trim_end_matches('0'))
    }
}
