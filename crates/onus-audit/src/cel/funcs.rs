//! Functions whose result depends only on their arguments: the standard library's and onus's
//! helpers (`dig`, `podSpec`, `selects`...). The cross-object helpers, which ask the world,
//! are in the interpreter.

use chrono::{DateTime, Datelike, FixedOffset, TimeDelta, Timelike};

use std::sync::Arc;

use onus_inventory::doc::{Kind, Ref};

use super::compile::{Fun, ImagePart, Step, TimePart};
use super::value::{equal, list_elems, map_entries, map_get, Map, Val};
use super::EvalError;

type R<'a> = Result<Val<'a>, EvalError>;

pub(crate) fn no_overload(f: &str, args: &[&Val<'_>]) -> EvalError {
    let types: Vec<&str> = args.iter().map(|a| a.type_name()).collect();
    EvalError::new(format!("no such overload: {f}({})", types.join(", ")))
}

fn name(f: Fun) -> &'static str {
    match f {
        Fun::Size => "size",
        Fun::StartsWith => "startsWith",
        Fun::EndsWith => "endsWith",
        Fun::Contains => "contains",
        Fun::Matches => "matches",
        Fun::LowerAscii => "lowerAscii",
        Fun::UpperAscii => "upperAscii",
        Fun::Trim => "trim",
        Fun::Split => "split",
        Fun::Join => "join",
        Fun::Int => "int",
        Fun::UInt => "uint",
        Fun::Double => "double",
        Fun::String => "string",
        Fun::Bool => "bool",
        Fun::Bytes => "bytes",
        Fun::Timestamp => "timestamp",
        Fun::Duration => "duration",
        Fun::Dyn => "dyn",
        Fun::Type => "type",
        Fun::Get(p) => match p {
            TimePart::FullYear => "getFullYear",
            TimePart::Month => "getMonth",
            TimePart::Date => "getDate",
            TimePart::DayOfMonth => "getDayOfMonth",
            TimePart::DayOfWeek => "getDayOfWeek",
            TimePart::DayOfYear => "getDayOfYear",
            TimePart::Hours => "getHours",
            TimePart::Minutes => "getMinutes",
            TimePart::Seconds => "getSeconds",
            TimePart::Milliseconds => "getMilliseconds",
        },
        Fun::Objects => "objects",
        Fun::ObjectsIn => "objectsIn",
        Fun::Lookup => "lookup",
        Fun::NamespacesWith => "namespacesWith",
        Fun::Selects => "selects",
        Fun::Subset => "subset",
        Fun::PodSpec => "podSpec",
        Fun::Ref => "ref",
        Fun::NsOf => "nsOf",
        Fun::Cert => "cert",
        Fun::Minor => "minor",
        Fun::Image => "image",
    }
}

/// A string argument of an onus helper, or an error naming the helper.
pub(crate) fn str_arg<'v>(f: &str, v: &'v Val<'_>) -> Result<&'v str, EvalError> {
    v.as_str()
        .ok_or_else(|| EvalError::new(format!("{f}: expected a string, found {v}")))
}

/// A function of [`Fun::pure`] on evaluated arguments (a method's receiver first).
pub(crate) fn pure<'a>(f: Fun, a: &[&Val<'a>]) -> R<'a> {
    let bad = || no_overload(name(f), a);
    let strs = || match a {
        [Val::Str(x), Val::Str(y)] => Ok((&**x, &**y)),
        _ => Err(bad()),
    };
    Ok(match (f, a) {
        (Fun::Size, [x]) => Val::Int(size(x).ok_or_else(bad)?),
        (Fun::StartsWith, _) => strs().map(|(s, p)| Val::Bool(s.starts_with(p)))?,
        (Fun::EndsWith, _) => strs().map(|(s, p)| Val::Bool(s.ends_with(p)))?,
        (Fun::Contains, _) => strs().map(|(s, p)| Val::Bool(s.contains(p)))?,
        (Fun::Matches, _) => {
            let (s, re) = strs()?;
            let re = regex::Regex::new(re)
                .map_err(|e| EvalError::new(format!("invalid regular expression: {e}")))?;
            Val::Bool(re.is_match(s))
        }
        (Fun::LowerAscii, [Val::Str(s)]) => {
            if s.bytes().any(|b| b.is_ascii_uppercase()) {
                Val::string(s.to_ascii_lowercase())
            } else {
                Val::Str(s.clone())
            }
        }
        (Fun::UpperAscii, [Val::Str(s)]) => {
            if s.bytes().any(|b| b.is_ascii_lowercase()) {
                Val::string(s.to_ascii_uppercase())
            } else {
                Val::Str(s.clone())
            }
        }
        (Fun::Trim, [Val::Str(s)]) => Val::Str(s.sub(s.trim())),
        (Fun::Split, [Val::Str(s), Val::Str(sep)]) => Val::List(super::List::from_vec(
            s.split(&**sep).map(|p| Val::Str(s.sub(p))).collect(),
        )),
        (Fun::Join, [l] | [l, Val::Str(_)]) => {
            let sep = a.get(1).and_then(|s| s.as_str()).unwrap_or("");
            let mut out = String::new();
            for (i, x) in list_elems(l).ok_or_else(bad)?.enumerate() {
                if i > 0 {
                    out.push_str(sep);
                }
                out.push_str(x.as_str().ok_or_else(bad)?);
            }
            Val::string(out)
        }
        (
            Fun::Int,
            [x @ (Val::Int(_) | Val::UInt(_) | Val::Double(_) | Val::Str(_) | Val::Timestamp(_))],
        ) => to_int(x).ok_or_else(|| convert_error(x, "int"))?,
        (Fun::UInt, [x @ (Val::Int(_) | Val::UInt(_) | Val::Double(_) | Val::Str(_))]) => {
            to_uint(x).ok_or_else(|| convert_error(x, "uint"))?
        }
        (Fun::Double, [x]) => Val::Double(match x {
            Val::Int(i) => *i as f64,
            Val::UInt(u) => *u as f64,
            Val::Double(d) => *d,
            Val::Str(s) => s.trim().parse().map_err(|_| convert_error(x, "double"))?,
            _ => return Err(bad()),
        }),
        (Fun::String, [x]) => to_string(x).ok_or_else(bad)??,
        (Fun::Bool, [x]) => Val::Bool(match x {
            Val::Bool(b) => *b,
            Val::Str(s) => match &**s {
                "1" | "t" | "T" | "true" | "TRUE" | "True" => true,
                "0" | "f" | "F" | "false" | "FALSE" | "False" => false,
                _ => return Err(convert_error(x, "bool")),
            },
            _ => return Err(bad()),
        }),
        (Fun::Bytes, [x]) => match x {
            Val::Bytes(_) => (*x).clone(),
            Val::Str(s) => Val::Bytes(s.as_bytes().into()),
            _ => return Err(bad()),
        },
        (Fun::Timestamp, [x]) => match x {
            Val::Timestamp(_) => (*x).clone(),
            Val::Str(s) => Val::Timestamp(
                DateTime::parse_from_rfc3339(s)
                    .map_err(|e| EvalError::new(format!("invalid timestamp {x}: {e}")))?,
            ),
            Val::Int(i) => Val::Timestamp(
                DateTime::from_timestamp(*i, 0)
                    .ok_or_else(|| EvalError::new(format!("timestamp {i} out of range")))?
                    .fixed_offset(),
            ),
            _ => return Err(bad()),
        },
        (Fun::Duration, [x]) => match x {
            Val::Duration(_) => (*x).clone(),
            Val::Str(s) => Val::Duration(parse_duration(s).ok_or_else(|| {
                EvalError::new(format!(
                    "invalid duration {x} (write e.g. \"26h\", \"1h30m\", \"90s\")"
                ))
            })?),
            _ => return Err(bad()),
        },
        (Fun::Dyn, [x]) => (*x).clone(),
        (Fun::Type, [x]) => Val::Type(x.type_name()),
        (Fun::Get(p), [x]) => time_part(p, x).ok_or_else(bad)?,
        (Fun::Selects, [s, l]) => Val::Bool(selects(s, l)),
        (Fun::Subset, [x, y]) => Val::Bool(subset(x, y)),
        (Fun::PodSpec, [o]) => pod_spec(o),
        (Fun::Ref, [o]) => Val::Str(super::Str::Shared(object_ref(o))),
        (Fun::NsOf, [o]) => ns_of(o),
        (Fun::Cert, [s]) => cert(s),
        (Fun::Minor, [s]) => Val::Int(
            s.as_str()
                .and_then(super::parse_version)
                .map_or(-1, |(_, m)| m),
        ),
        (Fun::Image, [s]) => {
            let Val::Str(s) = s else {
                return Err(EvalError::new(format!(
                    "image: expected a string, found {s}"
                )));
            };
            let part = |p| Val::Str(s.sub(image_part(s, p)));
            Val::Map(Map::from_vec(vec![
                (Val::str("name"), part(ImagePart::Name)),
                (Val::str("tag"), part(ImagePart::Tag)),
                (Val::str("digest"), part(ImagePart::Digest)),
            ]))
        }
        _ => return Err(bad()),
    })
}

fn convert_error(x: &Val<'_>, to: &str) -> EvalError {
    EvalError::new(format!("cannot convert {x} to {to}"))
}

/// `size()`: code points of a string, bytes, elements, entries.
pub(crate) fn size(x: &Val<'_>) -> Option<i64> {
    let n = match x {
        Val::Str(s) => s.chars().count(),
        Val::Bytes(b) => b.len(),
        _ => x.container_len()?,
    };
    i64::try_from(n).ok()
}

fn to_int<'a>(x: &Val<'a>) -> Option<Val<'a>> {
    Some(Val::Int(match x {
        Val::Int(i) => *i,
        Val::UInt(u) => i64::try_from(*u).ok()?,
        // CEL truncates toward zero and fails outside the range.
        Val::Double(d)
            if d.is_finite() && *d > -9.223_372_036_854_776e18 && *d < 9.223_372_036_854_776e18 =>
        {
            d.trunc() as i64
        }
        Val::Str(s) => s.parse().ok()?,
        Val::Timestamp(t) => t.timestamp(),
        _ => return None,
    }))
}

fn to_uint<'a>(x: &Val<'a>) -> Option<Val<'a>> {
    Some(Val::UInt(match x {
        Val::Int(i) => u64::try_from(*i).ok()?,
        Val::UInt(u) => *u,
        Val::Double(d) if d.is_finite() && *d > -1.0 && *d < 1.844_674_407_370_955_2e19 => {
            d.trunc() as u64
        }
        Val::Str(s) => s.parse().ok()?,
        _ => return None,
    }))
}

fn to_string<'a>(x: &Val<'a>) -> Option<Result<Val<'a>, EvalError>> {
    Some(Ok(match x {
        Val::Str(_) => x.clone(),
        Val::Int(i) => Val::string(i.to_string()),
        Val::UInt(u) => Val::string(u.to_string()),
        Val::Double(d) => Val::string(d.to_string()),
        Val::Bool(b) => Val::str(if *b { "true" } else { "false" }),
        Val::Bytes(b) => match std::str::from_utf8(b) {
            Ok(s) => Val::string(s),
            Err(_) => return Some(Err(EvalError::new("bytes are not valid UTF-8"))),
        },
        Val::Timestamp(t) => Val::string(super::value::timestamp_string(t)),
        Val::Duration(d) => Val::string(super::value::duration_string(*d)),
        Val::Type(t) => Val::str(t),
        _ => return None,
    }))
}

fn time_part<'a>(p: TimePart, x: &Val<'a>) -> Option<Val<'a>> {
    let i = match x {
        Val::Timestamp(t) => {
            let t = t.naive_utc();
            match p {
                TimePart::FullYear => i64::from(t.year()),
                TimePart::Month => i64::from(t.month0()),
                TimePart::Date => i64::from(t.day()),
                TimePart::DayOfMonth => i64::from(t.day0()),
                TimePart::DayOfWeek => i64::from(t.weekday().num_days_from_sunday()),
                TimePart::DayOfYear => i64::from(t.ordinal0()),
                TimePart::Hours => i64::from(t.hour()),
                TimePart::Minutes => i64::from(t.minute()),
                TimePart::Seconds => i64::from(t.second()),
                TimePart::Milliseconds => i64::from(t.nanosecond() / 1_000_000),
            }
        }
        Val::Duration(d) => match p {
            TimePart::Hours => d.num_hours(),
            TimePart::Minutes => d.num_minutes(),
            TimePart::Seconds => d.num_seconds(),
            TimePart::Milliseconds => d.num_milliseconds(),
            _ => return None,
        },
        _ => return None,
    };
    Some(Val::Int(i))
}

/// A Go duration: `26h`, `1h30m`, `1.5s`, `300ms`, `-2m`, `0`.
pub(crate) fn parse_duration(s: &str) -> Option<TimeDelta> {
    let (neg, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if rest == "0" {
        return Some(TimeDelta::zero());
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: i128 = 0;
    while !rest.is_empty() {
        let int_len = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let (int, r) = rest.split_at(int_len);
        let (frac, r) = match r.strip_prefix('.') {
            Some(r) => {
                let n = r.len() - r.trim_start_matches(|c: char| c.is_ascii_digit()).len();
                r.split_at(n)
            }
            None => ("", r),
        };
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        let unit_len = r.len()
            - r.trim_start_matches(|c: char| !c.is_ascii_digit() && c != '.')
                .len();
        let (unit, r) = r.split_at(unit_len);
        let nanos: i128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None,
        };
        let whole: i128 = if int.is_empty() { 0 } else { int.parse().ok()? };
        total = total.checked_add(whole.checked_mul(nanos)?)?;
        if !frac.is_empty() {
            let digits = frac.len().min(18);
            let f: i128 = frac[..digits].parse().ok()?;
            total = total.checked_add(f * nanos / 10i128.pow(digits as u32))?;
        }
        rest = r;
    }
    let total = if neg { -total } else { total };
    Some(TimeDelta::nanoseconds(i64::try_from(total).ok()?))
}

/// A `dig` path as steps: a string split at dots, or a list of keys (numbers as written).
/// `None` when the path is neither (then `dig` returns its default).
pub(crate) fn dig_steps(path: &Val<'_>) -> Option<Vec<String>> {
    if let Some(s) = path.as_str() {
        return Some(s.split('.').map(str::to_string).collect());
    }
    let steps = list_elems(path)?
        .map(|k| match k {
            Val::Str(s) => s.to_string(),
            Val::Int(i) => i.to_string(),
            other => other.to_string(),
        })
        .collect();
    Some(steps)
}

/// One `dig` step into a map (by key) or a list (by index).
pub(crate) fn child<'a>(v: &Val<'a>, step: &Step) -> Option<Val<'a>> {
    match v {
        Val::Map(_) | Val::Node(_) if v.is_map() => v.get(&step.key),
        Val::List(_) | Val::Node(_) => v.at(step.index?),
        _ => None,
    }
}

/// `dig(v, path, default)` once the path is known: the value at the path when every step
/// exists and it is not null.
pub(crate) fn dig_walk<'a>(v: &Val<'a>, steps: &[Step]) -> Option<Val<'a>> {
    // Within a document, step from node to node (the usual case: no conversion per step).
    if let Val::Node(r) = v {
        let mut cur = *r;
        for s in steps {
            cur = match cur.kind() {
                Kind::Map => cur.get(&s.key)?,
                Kind::List => cur.at(s.index?)?,
                _ => return None,
            };
        }
        return Some(Val::node(cur)).filter(|v| !v.is_null());
    }
    let mut cur = v.clone();
    for s in steps {
        cur = child(&cur, s)?;
    }
    (!cur.is_null()).then_some(cur)
}

/// `podSpec(o)`: a Pod's `spec`, a CronJob's `spec.jobTemplate.spec.template.spec`, any other
/// workload's `spec.template.spec`; `{}` when absent.
pub(crate) fn pod_spec<'a>(o: &Val<'a>) -> Val<'a> {
    if let Val::Node(r) = o {
        let found = (|| {
            let kind = r.get("kind")?;
            let spec = r.get("spec")?;
            match kind.as_str()? {
                "Pod" => Some(spec),
                "CronJob" => spec.path(&["jobTemplate", "spec", "template", "spec"]),
                _ => spec.path(&["template", "spec"]),
            }
        })();
        return found.map_or(Val::Map(Map::default()), Val::node);
    }
    let found = (|| {
        let kind = o.get("kind")?;
        let spec = o.get("spec")?;
        match kind.as_str()? {
            "Pod" => Some(spec),
            "CronJob" => spec
                .get("jobTemplate")?
                .get("spec")?
                .get("template")?
                .get("spec"),
            _ => spec.get("template")?.get("spec"),
        }
    })();
    found.unwrap_or(Val::Map(Map::default()))
}

fn str_at<'v>(o: &'v Val<'_>, path: &[&str]) -> Option<Val<'v>> {
    let mut cur = o.get(path.first()?)?;
    for k in &path[1..] {
        cur = cur.get(k)?;
    }
    matches!(cur, Val::Str(_)).then_some(cur)
}

/// `ref(o)`: `namespace/Kind/name`, or `Kind/name` without a namespace.
pub(crate) fn object_ref(o: &Val<'_>) -> Arc<str> {
    if let Val::Node(r) = o {
        // Within a document: `metadata` looked up once, one allocation.
        fn s(r: Option<Ref<'_>>) -> Option<&str> {
            r.and_then(|r| r.as_str())
        }
        let kind = s(r.get("kind")).unwrap_or("");
        let md = r.get("metadata");
        let name = s(md.and_then(|m| m.get("name"))).unwrap_or("");
        return match s(md.and_then(|m| m.get("namespace"))) {
            Some(ns) => concat_strs(&[ns, "/", kind, "/", name]),
            None => concat_strs(&[kind, "/", name]),
        };
    }
    let kind = str_at(o, &["kind"]);
    let name = str_at(o, &["metadata", "name"]);
    let kind = kind.as_ref().and_then(|k| k.as_str()).unwrap_or("");
    let name = name.as_ref().and_then(|k| k.as_str()).unwrap_or("");
    match str_at(o, &["metadata", "namespace"]) {
        Some(ns) => concat_strs(&[ns.as_str().unwrap_or(""), "/", kind, "/", name]),
        None => concat_strs(&[kind, "/", name]),
    }
}

/// Strings joined into one shared string, with a single allocation when short.
pub(crate) fn concat_strs(parts: &[&str]) -> Arc<str> {
    let total: usize = parts.iter().map(|p| p.len()).sum();
    let mut buf = [0u8; 256];
    if total <= buf.len() {
        let mut n = 0;
        for p in parts {
            buf[n..n + p.len()].copy_from_slice(p.as_bytes());
            n += p.len();
        }
        // Concatenated UTF-8 is UTF-8; the fallback below is never taken.
        if let Ok(s) = std::str::from_utf8(&buf[..n]) {
            return s.into();
        }
    }
    parts.concat().into()
}

/// `nsOf(o)`: the namespace, or `""`.
pub(crate) fn ns_of<'a>(o: &Val<'a>) -> Val<'a> {
    o.get("metadata")
        .and_then(|m| m.get("namespace"))
        .filter(|ns| matches!(ns, Val::Str(_)))
        .unwrap_or(Val::str(""))
}

/// `subset(a, b)`: every entry of map `a` is in map `b`; a null `a` is a subset of anything,
/// a null `b` a superset of the empty map only.
pub(crate) fn subset(a: &Val<'_>, b: &Val<'_>) -> bool {
    if a.is_map() && b.is_map() {
        return map_entries(a)
            .is_some_and(|mut es| es.all(|(k, v)| map_get(b, &k).is_some_and(|w| equal(&v, &w))));
    }
    if a.is_map() && b.is_null() {
        return a.container_len() == Some(0);
    }
    a.is_null()
}

/// Kubernetes label-selector semantics: every `matchLabels` entry and every
/// `matchExpressions` requirement holds; an empty or null selector selects everything.
pub(crate) fn selects(selector: &Val<'_>, labels: &Val<'_>) -> bool {
    if selector.is_null() {
        return true;
    }
    let labels = if labels.is_null() {
        Val::Map(Map::default())
    } else {
        labels.clone()
    };
    if let Some(ml) = selector.get("matchLabels") {
        if !subset(&ml, &labels) {
            return false;
        }
    }
    let Some(exprs) = selector.get("matchExpressions").filter(|e| e.is_list()) else {
        return true;
    };
    let Some(mut exprs) = list_elems(&exprs) else {
        return true;
    };
    exprs.all(|e| {
        let key = e.get("key");
        let key = key.as_ref().and_then(|k| k.as_str()).unwrap_or("");
        let op = e.get("operator");
        let op = op.as_ref().and_then(|k| k.as_str()).unwrap_or("");
        let values = e.get("values").filter(|v| v.is_list());
        let values: Vec<Val<'_>> = values
            .as_ref()
            .and_then(list_elems)
            .map(|vs| vs.filter(|v| matches!(v, Val::Str(_))).collect())
            .unwrap_or_default();
        let has = |h: &Val<'_>| values.iter().any(|v| equal(v, h));
        let have = labels.get(key).filter(|h| matches!(h, Val::Str(_)));
        match op {
            "In" => have.is_some_and(|h| has(&h)),
            "NotIn" => have.is_none_or(|h| !has(&h)),
            "Exists" => have.is_some(),
            "DoesNotExist" => have.is_none(),
            _ => false,
        }
    })
}

/// One of `image(s)`'s parts, borrowed from `s`.
pub(crate) fn image_part(s: &str, part: ImagePart) -> &str {
    let r = crate::helpers::ImageRef::parse(s);
    match part {
        ImagePart::Name => r.name,
        ImagePart::Tag => r.tag,
        ImagePart::Digest => r.digest,
    }
}

/// `cert(s)`: `{notBefore, notAfter, subject, dnsNames}` or null.
pub(crate) fn cert<'a>(s: &Val<'_>) -> Val<'a> {
    let Some(info) = s.as_str().and_then(crate::helpers::parse_cert) else {
        return Val::Null;
    };
    let ts = |t: DateTime<FixedOffset>| Val::Timestamp(t);
    Val::Map(Map::from_vec(vec![
        (Val::str("notBefore"), ts(info.not_before)),
        (Val::str("notAfter"), ts(info.not_after)),
        (Val::str("subject"), Val::string(info.subject)),
        (
            Val::str("dnsNames"),
            Val::List(super::List::from_vec(
                info.dns_names.into_iter().map(Val::string).collect(),
            )),
        ),
    ]))
}
