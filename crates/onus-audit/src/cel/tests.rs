//! Unit tests of the evaluator: operators, helpers, errors, the built-in checks, `reads`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, FixedOffset};
use onus_inventory::doc::{Doc, Ref};
use serde_json::json;

use super::*;

mod bench;
mod reads;

/// A world over documents, indexed as the engine will: lists per kind and per (kind,
/// namespace), borrowed for `'a`.
pub(super) struct Index<'a> {
    by_kind: BTreeMap<String, Vec<Ref<'a>>>,
    by_ns: BTreeMap<(String, String), Vec<Ref<'a>>>,
    /// Each listed object's name, as the engine knows it from the inventory (a projected
    /// document may not hold it).
    names: Vec<(Ref<'a>, String)>,
    /// Namespaces per kind, of every object (kept or not).
    namespaces: BTreeMap<String, BTreeSet<String>>,
    /// Kinds kept (all when `None`).
    kept: Option<BTreeSet<String>>,
}

fn str_at<'a>(r: Ref<'a>, path: &[&str]) -> Option<&'a str> {
    r.path(path)?.as_str()
}

impl<'a> Index<'a> {
    pub(super) fn new(docs: &'a [Doc]) -> Index<'a> {
        Index::with_ids(docs, docs)
    }

    /// `docs` as the world sees them (perhaps projected), identified by the same objects
    /// whole in `ids` (kind, namespace, name), as the engine identifies them by the inventory.
    pub(super) fn with_ids(docs: &'a [Doc], ids: &[Doc]) -> Index<'a> {
        let mut by_kind: BTreeMap<String, Vec<Ref<'a>>> = BTreeMap::new();
        let mut by_ns: BTreeMap<(String, String), Vec<Ref<'a>>> = BTreeMap::new();
        let mut names = Vec::new();
        let mut namespaces: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (d, id) in docs.iter().zip(ids) {
            let (r, who) = (d.root(), id.root());
            let kind = str_at(who, &["kind"]).unwrap_or("").to_string();
            by_kind.entry(kind.clone()).or_default().push(r);
            names.push((
                r,
                str_at(who, &["metadata", "name"]).unwrap_or("").to_string(),
            ));
            if let Some(ns) = str_at(who, &["metadata", "namespace"]) {
                namespaces
                    .entry(kind.clone())
                    .or_default()
                    .insert(ns.to_string());
                by_ns.entry((kind, ns.to_string())).or_default().push(r);
            }
        }
        Index {
            by_kind,
            by_ns,
            names,
            namespaces,
            kept: None,
        }
    }

    fn kept(&self, kind: &str) -> bool {
        self.kept.as_ref().is_none_or(|k| k.contains(kind))
    }
}

pub(super) struct W<'a>(pub(super) &'a Index<'a>);

impl<'a> World<'a> for W<'a> {
    fn objects(&self, kind: &str) -> Option<&'a [Ref<'a>]> {
        let ix = self.0;
        if !ix.kept(kind) {
            return None;
        }
        Some(ix.by_kind.get(kind).map_or(&[][..], |v| &v[..]))
    }

    fn objects_in(&self, kind: &str, namespace: &str) -> Option<&'a [Ref<'a>]> {
        let ix = self.0;
        if !ix.kept(kind) {
            return None;
        }
        Some(
            ix.by_ns
                .get(&(kind.to_string(), namespace.to_string()))
                .map_or(&[][..], |v| &v[..]),
        )
    }

    fn lookup(&self, kind: &str, namespace: &str, name: &str) -> Option<Option<Ref<'a>>> {
        let list = if namespace.is_empty() {
            self.objects(kind)?
        } else {
            self.objects_in(kind, namespace)?
        };
        let named = |r: &Ref<'a>| {
            self.0
                .names
                .iter()
                .any(|(x, n)| std::ptr::eq(x.doc(), r.doc()) && x.index() == r.index() && n == name)
        };
        Some(list.iter().copied().find(named))
    }

    fn namespaces_with(&self, kinds: &[&str]) -> Option<Vec<String>> {
        let mut out = BTreeSet::new();
        for k in kinds {
            if !self.0.kept(k) {
                return None;
            }
            out.extend(self.0.namespaces.get(*k).into_iter().flatten().cloned());
        }
        Some(out.into_iter().collect())
    }
}

pub(super) fn params() -> Params {
    Params {
        k8s_latest: "1.34".into(),
        k8s_latest_major: 1,
        k8s_latest_minor: 34,
    }
}

pub(super) fn at(t: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(t).unwrap()
}

/// Evaluates with `object` (and `item`, the same) bound to `obj`, over a world of `docs`.
fn eval_with(
    src: &str,
    obj: Option<&serde_json::Value>,
    docs: &[serde_json::Value],
) -> Result<String, String> {
    let p = Program::compile(src).map_err(|e| format!("compile: {e}"))?;
    let docs: Vec<Doc> = docs.iter().map(Doc::from_json).collect();
    let ix = Index::new(&docs);
    let obj_doc = obj.map(Doc::from_json);
    let object = obj_doc.as_ref().map_or(Val::Null, |d| Val::node(d.root()));
    let pr = params();
    let env = Env {
        object: object.clone(),
        item: object,
        now: at("2025-06-01T12:00:00Z"),
        params: &pr,
        world: &W(&ix),
    };
    p.eval(&env).map(|v| v.to_string()).map_err(|e| e.message)
}

/// The rendering of `src`'s value with no object.
fn ev(src: &str) -> String {
    match eval_with(src, None, &[]) {
        Ok(v) => v,
        Err(e) => panic!("{src}: {e}"),
    }
}

/// The error of `src`.
fn err(src: &str) -> String {
    match eval_with(src, None, &[]) {
        Ok(v) => panic!("{src}: expected an error, got {v}"),
        Err(e) => e,
    }
}

fn on(src: &str, obj: serde_json::Value) -> String {
    match eval_with(src, Some(&obj), &[]) {
        Ok(v) => v,
        Err(e) => panic!("{src}: {e}"),
    }
}

fn compile_err(src: &str) -> CompileError {
    match Program::compile(src) {
        Ok(_) => panic!("{src}: expected a compile error"),
        Err(e) => e,
    }
}

#[test]
fn programs_and_values_cross_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Program>();
    send_sync::<Val<'static>>();
    send_sync::<CompileError>();
    send_sync::<EvalError>();
}

#[test]
fn substrings_borrow_when_they_can() {
    let doc = Doc::from_json(&json!({"s": "  nginx:1.27  "}));
    let Some(Val::Str(s)) = Val::node(doc.root()).get("s") else {
        panic!()
    };
    assert!(matches!(s.sub(s.trim()), Str::Borrowed("nginx:1.27")));
    let shared = Str::Shared("abc".into());
    assert!(matches!(shared.sub(&shared[1..]), Str::Shared(x) if &*x == "bc"));
    // A string that is not a part of this one is copied.
    assert!(matches!(s.sub("elsewhere"), Str::Shared(x) if &*x == "elsewhere"));
}

#[test]
fn literals() {
    assert_eq!(ev("1"), "1");
    assert_eq!(ev("-7"), "-7");
    assert_eq!(ev("3u"), "3u");
    assert_eq!(ev("2.5"), "2.5");
    assert_eq!(ev("'a\\tb'"), "\"a\\tb\"");
    assert_eq!(ev("b'ab'"), "b\"ab\"");
    assert_eq!(ev("true"), "true");
    assert_eq!(ev("null"), "null");
    assert_eq!(ev("[1, 'a', [true]]"), "[1, \"a\", [true]]");
    assert_eq!(ev("{'a': 1, 2: 'b'}"), "{\"a\": 1, 2: \"b\"}");
    assert_eq!(ev("[]"), "[]");
    assert_eq!(ev("{}"), "{}");
}

#[test]
fn compile_error_positions() {
    let e = compile_err("1 +\n  nope(2)");
    assert_eq!((e.line, e.column), (2, 3), "{e}");
    assert!(e.message.contains("unknown function `nope`"), "{e}");
    assert_eq!(e.to_string(), format!("2:3: {}", e.message));
    let e = compile_err("'é' + missing");
    assert_eq!((e.line, e.column), (1, 7), "{e}");
    let e = compile_err("1 + + ");
    assert!(e.message.starts_with("syntax error"), "{e}");
    assert_eq!(e.line, 1);
}

#[test]
fn arithmetic() {
    assert_eq!(ev("1 + 2 * 3 - 4 / 2 % 3"), "5");
    assert_eq!(ev("7 / -2"), "-3");
    assert_eq!(ev("-7 % 3"), "-1");
    assert_eq!(ev("3u + 4u"), "7u");
    assert_eq!(ev("1.5 * 2.0"), "3.0");
    assert_eq!(ev("1.0 / 0.0"), "inf");
    assert_eq!(ev("-(2)"), "-2");
    assert_eq!(ev("'ab' + 'cd'"), "\"abcd\"");
    assert_eq!(ev("'' + 'cd'"), "\"cd\"");
    assert_eq!(ev("b'a' + b'b'"), "b\"ab\"");
    assert_eq!(ev("[1] + [2, 3]"), "[1, 2, 3]");
    assert_eq!(ev("[] + []"), "[]");
    assert!(err("9223372036854775807 + 1").contains("overflow"));
    assert!(err("-9223372036854775807 - 2").contains("overflow"));
    assert!(err("9223372036854775807 * 2").contains("overflow"));
    assert!(err("0u - 1u").contains("overflow"));
    assert!(err("1 / 0").contains("division by zero"));
    assert!(err("1 % 0").contains("modulus by zero"));
    assert!(err("1 + 1.0").contains("no such overload"));
    assert!(err("1 + 'a'").contains("no such overload: _+_(int, string)"));
    assert!(err("-'a'").contains("no such overload"));
}

#[test]
fn comparisons_and_equality() {
    assert_eq!(ev("1 < 2 && 2 <= 2 && 3 > 2 && 3 >= 3"), "true");
    assert_eq!(
        ev("1 == 1.0 && 1u == 1 && 2.5 > 2 && 3u < 3.5 && -1 < 0u"),
        "true"
    );
    assert_eq!(ev("9007199254740993 > 9007199254740992.0"), "true");
    assert_eq!(ev("'a' < 'b' && b'a' < b'b' && false < true"), "true");
    assert_eq!(ev("1 == 'a'"), "false");
    assert_eq!(ev("null == null && null != 1 && [] != null"), "true");
    assert_eq!(
        ev("[1, [2]] == [1.0, [2u]] && {'a': 1} == {'a': 1.0}"),
        "true"
    );
    assert_eq!(ev("{'a': 1, 'b': 2} == {'b': 2, 'a': 1}"), "true");
    assert_eq!(ev("[1, 2] != [2, 1]"), "true");
    assert_eq!(ev("0.0/0.0 == 0.0/0.0"), "false");
    assert_eq!(ev("0.0/0.0 < 1.0"), "false");
    assert!(err("1 < 'a'").contains("no such overload"));
    assert!(err("[1] < [2]").contains("no such overload"));
}

#[test]
fn documents_compare_with_built_values() {
    let o = json!({"spec": {"list": [1, "a", {"x": null}], "map": {"k": "v", "n": 2}}});
    assert_eq!(
        on("object.spec.list == [1, 'a', {'x': null}]", o.clone()),
        "true"
    );
    assert_eq!(
        on("[1, 'a', {'x': null}] == object.spec.list", o.clone()),
        "true"
    );
    assert_eq!(
        on("object.spec.map == {'n': 2.0, 'k': 'v'}", o.clone()),
        "true"
    );
    assert_eq!(
        on("object.spec.map == {'n': 2, 'k': 'w'}", o.clone()),
        "false"
    );
    assert_eq!(
        on("object.spec.list == object.spec.list", o.clone()),
        "true"
    );
    assert_eq!(on("object.spec.list != object.spec.map", o.clone()), "true");
    assert_eq!(on("object.spec.list[2].x == null", o.clone()), "true");
}

#[test]
fn logic_absorbs_errors() {
    assert_eq!(ev("false && 1/0 == 1"), "false");
    assert_eq!(ev("1/0 == 1 && false"), "false");
    assert_eq!(ev("true || 1/0 == 1"), "true");
    assert_eq!(ev("1/0 == 1 || true"), "true");
    assert_eq!(ev("'x' && false"), "false");
    assert_eq!(ev("true || 'x'"), "true");
    assert!(err("true && 1/0 == 1").contains("division by zero"));
    assert!(err("1/0 == 1 || false").contains("division by zero"));
    assert!(err("true && 'x'").contains("no such overload"));
    assert_eq!(ev("!false && !!true"), "true");
    assert!(err("!1").contains("no such overload"));
    assert_eq!(ev("true ? 1 : 1/0"), "1");
    assert_eq!(ev("false ? 1/0 : 2"), "2");
    assert!(err("1 ? 2 : 3").contains("no such overload"));
    // exists / all: an element that decides absorbs another's error.
    assert_eq!(ev("[0, 1].exists(x, 1/x == 1)"), "true");
    assert_eq!(ev("[1, 0].exists(x, 1/x == 1)"), "true");
    assert!(err("[0, 2].exists(x, 1/x == 1)").contains("division by zero"));
    assert_eq!(ev("[0, 1].all(x, 1/x == 2)"), "false");
    assert!(err("[0, 1].all(x, 1/x == 1)").contains("division by zero"));
    assert!(err("[0, 1].filter(x, 1/x == 1)").contains("division by zero"));
}

#[test]
fn membership_index_select() {
    assert_eq!(
        ev("2 in [1, 2] && !(3 in [1, 2]) && 'a' in {'a': 1} && !('b' in {'a': 1})"),
        "true"
    );
    assert_eq!(ev("2.0 in [1, 2]"), "true");
    assert!(err("1 in 1").contains("no such overload"));
    assert_eq!(ev("[1, 2][1] + {'a': 5}['a'] + {1: 2}[1]"), "9");
    assert_eq!(ev("[1, 2][1u]"), "2");
    assert!(err("[1][1]").contains("index out of bounds"));
    assert!(err("[1][-1]").contains("index out of bounds"));
    assert!(err("{'a': 1}['b']").contains("no such key"));
    assert!(err("'abc'[0]").contains("no such overload"));
    assert_eq!(ev("{'a': {'b': 3}}.a.b"), "3");
    assert_eq!(err("{'a': 1}.b"), "no such key: b");
    assert!(err("null.b").contains("cannot select field `b`"));
    assert_eq!(ev("has({'a': null}.a) && !has({'a': 1}.b)"), "true");
    assert!(err("has(1.a)").contains("cannot test field `a`"));
    let o = json!({"metadata": {"name": "w", "labels": {"app": "web"}}, "spec": {"containers": [{"name": "c"}], "n": null}});
    assert_eq!(on("object.metadata.name", o.clone()), "\"w\"");
    assert_eq!(
        on("object['metadata']['labels']['app']", o.clone()),
        "\"web\""
    );
    assert_eq!(on("object.spec.containers[0].name", o.clone()), "\"c\"");
    assert_eq!(
        on("has(object.spec.n) && !has(object.spec.missing)", o.clone()),
        "true"
    );
    assert_eq!(
        on(
            "'app' in object.metadata.labels && 'web' in ['x', object.metadata.labels.app]",
            o.clone()
        ),
        "true"
    );
    assert_eq!(
        on("{'name': 'c'} in object.spec.containers", o.clone()),
        "true"
    );
    assert_eq!(
        eval_with("object.spec.missing", Some(&o), &[]),
        Err("no such key: missing".into())
    );
    assert_eq!(
        eval_with("object.spec.containers[3]", Some(&o), &[]),
        Err("index out of bounds: 3".into())
    );
}

#[test]
fn size_and_strings() {
    assert_eq!(
        ev("size('héllo') + size(b'ab') + size([1, 2]) + size({'a': 1}) + 'abc'.size()"),
        "13"
    );
    assert!(err("size(1)").contains("no such overload"));
    assert_eq!(ev("'velero.io/v1'.startsWith('velero.io/') && 'abc'.endsWith('bc') && 'abc'.contains('b')"), "true");
    assert_eq!(ev("'abc'.startsWith('b')"), "false");
    assert_eq!(
        ev("'abc123'.matches('[0-9]+$') && !'abc'.matches('^b') && matches('x', 'x')"),
        "true"
    );
    let re = "'a'";
    assert_eq!(ev(&format!("'cat'.matches({re} + 't')")), "true");
    assert!(err("'a'.matches('(' + '')").contains("invalid regular expression"));
    assert_eq!(
        ev("'AbC'.lowerAscii() + 'aBc'.upperAscii() + '  t '.trim()"),
        "\"abcABCt\""
    );
    assert_eq!(ev("'a,b,,c'.split(',')"), "[\"a\", \"b\", \"\", \"c\"]");
    assert_eq!(ev("['a', 'b'].join('-') + ['c'].join()"), "\"a-bc\"");
    assert!(err("1.startsWith('a')").contains("no such overload"));
}

#[test]
fn conversions() {
    assert_eq!(ev("int('42') + int(2.9) + int(-2.9) + int(3u)"), "45");
    assert_eq!(ev("uint(3) + uint('4') + uint(1.5)"), "8u");
    assert_eq!(ev("double(1) + double('0.5') + double(2u)"), "3.5");
    assert_eq!(
        ev("string(12) + string(1.5) + string(true) + string(3u) + string('s') + string(b'b')"),
        "\"121.5true3sb\""
    );
    assert_eq!(ev("bool('true') && !bool('False') && bool(true)"), "true");
    assert_eq!(ev("bytes('ab')"), "b\"ab\"");
    assert_eq!(ev("dyn(1) == 1 && type(1) == int && type('a') == string && type([]) == list && type({}) == map && type(null) == null_type"), "true");
    assert_eq!(ev("type(type(1)) == type"), "true");
    assert!(err("int('x')").contains("cannot convert \"x\" to int"));
    assert!(err("int(1e19)").contains("cannot convert"));
    assert!(err("uint(-1)").contains("cannot convert"));
    assert!(err("int(true)").contains("no such overload"));
    assert!(err("string(null)").contains("no such overload"));
    assert!(err("bool('maybe')").contains("cannot convert"));
}

#[test]
fn time() {
    assert_eq!(ev("timestamp('2025-06-01T02:10:00Z') <= now"), "true");
    assert_eq!(
        ev("now - timestamp('2025-05-31T10:00:00Z') <= duration('26h')"),
        "true"
    );
    assert_eq!(
        ev("now - timestamp('2025-05-31T09:59:59Z') <= duration('26h')"),
        "false"
    );
    assert_eq!(
        ev("string(now - timestamp('2025-06-01T10:30:00+00:00'))"),
        "\"5400s\""
    );
    assert_eq!(
        ev("string(timestamp('2025-06-01T12:00:00+02:00'))"),
        "\"2025-06-01T10:00:00Z\""
    );
    assert_eq!(
        ev("timestamp('2025-06-01T12:00:00+02:00') == timestamp('2025-06-01T10:00:00Z')"),
        "true"
    );
    assert_eq!(
        ev("now + duration('1h30m') > now && now - duration('10s') < now"),
        "true"
    );
    assert_eq!(
        ev("string(duration('1.5h') + duration('300ms'))"),
        "\"5400.3s\""
    );
    assert_eq!(
        ev("duration('-2m') < duration('0') && -duration('1s') == duration('-1s')"),
        "true"
    );
    assert!(err("duration('1h') * 2").contains("no such overload"));
    assert_eq!(
        ev("now.getFullYear() * 10000 + (now.getMonth() + 1) * 100 + now.getDate()"),
        "20250601"
    );
    assert_eq!(
        ev("now.getHours() + duration('90m').getHours() + duration('90m').getMinutes()"),
        "103"
    );
    assert_eq!(ev("int(timestamp(1700000000)) + 0"), "1700000000");
    assert!(err("timestamp('yesterday' + '')").contains("invalid timestamp"));
    assert!(err("duration('1x' + '')").contains("invalid duration"));
    assert!(err("now + 1").contains("no such overload"));
    let e = compile_err("duration('26 hours')");
    assert!(e.message.contains("invalid duration"), "{e}");
    let e = compile_err("timestamp('yesterday')");
    assert!(e.message.contains("invalid timestamp"), "{e}");
}

#[test]
fn comprehensions() {
    assert_eq!(
        ev("[1, 2, 3].exists(x, x > 2) && ![1, 2].exists(x, x > 2) && ![].exists(x, x)"),
        "true"
    );
    assert_eq!(
        ev("[1, 2, 3].all(x, x > 0) && ![1, 2].all(x, x > 1) && [].all(x, x)"),
        "true"
    );
    assert_eq!(ev("[1, 2, 3].exists_one(x, x > 2) && ![1, 2, 3].exists_one(x, x > 1) && [1].existsOne(x, x == 1)"), "true");
    assert_eq!(ev("[1, 2, 3].filter(x, x % 2 == 1)"), "[1, 3]");
    assert_eq!(ev("[1, 2, 3].map(x, x * 10)"), "[10, 20, 30]");
    assert_eq!(ev("[1, 2, 3].map(x, x > 1, x * 10)"), "[20, 30]");
    assert_eq!(ev("{'a': 1, 'b': 2}.map(k, k)"), "[\"a\", \"b\"]");
    assert_eq!(ev("{'a': 1, 'b': 2}.exists(k, k == 'b')"), "true");
    assert_eq!(ev("[[1, 2], [3]].map(l, l.map(x, x + 1))"), "[[2, 3], [4]]");
    // Shadowing: the inner `x` hides the outer one, which comes back after.
    assert_eq!(ev("[1, 2].map(x, [10].map(x, x)[0] + x)"), "[11, 12]");
    assert_eq!(ev("[1, 2].all(x, [x].exists(y, y == x))"), "true");
    assert!(err("1.exists(x, x)").contains("cannot iterate over a int"));
    assert!(err("[1].exists(x, x)").contains("no such overload"));
    let o = json!({"spec": {"containers": [{"name": "a", "image": "x:1"}, {"name": "b"}], "labels": {"k1": "v1", "k2": "v2"}}});
    assert_eq!(
        on(
            "object.spec.containers.filter(c, has(c.image)).map(c, c.name)",
            o.clone()
        ),
        "[\"a\"]"
    );
    assert_eq!(
        on("object.spec.labels.filter(k, k != 'k1')", o.clone()),
        "[\"k2\"]"
    );
    assert_eq!(
        on(
            "object.spec.labels.all(k, object.spec.labels[k].startsWith('v'))",
            o.clone()
        ),
        "true"
    );
    assert_eq!(
        on("object.spec.containers.map(c, c)", o.clone()),
        "[{\"name\": \"a\", \"image\": \"x:1\"}, {\"name\": \"b\"}]"
    );
}

#[test]
fn general_comprehensions() {
    use ::cel::common::ast::{ComprehensionExpr, Expr, IdedExpr};
    // A two-variable comprehension, as no standard macro writes: compiled from the AST.
    let parse = |s: &str| ::cel::parser::Parser::new().parse(s).unwrap();
    let e = |expr: Expr| IdedExpr { id: 0, expr };
    let fold = |range: &str, step: &str, init: &str| {
        let ast = e(Expr::Comprehension(Box::new(ComprehensionExpr {
            iter_range: parse(range),
            iter_var: "i".into(),
            iter_var2: Some("v".into()),
            accu_var: "acc".into(),
            accu_init: parse(init),
            loop_cond: parse("true"),
            loop_step: parse(step),
            result: parse("acc"),
        })));
        let mut c = compile::Compiler::for_tests();
        let root = c.expr(&ast).unwrap();
        let p = Program {
            memos: c.memos,
            uses: compile::Uses::of(&root),
            root,
            slots: c.max_slots,
        };
        let pr = params();
        let env = Env {
            object: Val::Null,
            item: Val::Null,
            now: at("2025-01-01T00:00:00Z"),
            params: &pr,
            world: &NoWorld,
        };
        p.eval(&env).map(|v| v.to_string())
    };
    assert_eq!(
        fold("[10, 20]", "acc + [i, v]", "[]"),
        Ok("[0, 10, 1, 20]".into())
    );
    assert_eq!(fold("{'a': 1, 'b': 2}", "acc + v", "0"), Ok("3".into()));
    assert_eq!(fold("{'a': 1}", "acc + i", "''"), Ok("\"a\"".into()));
}

#[test]
fn variables_and_params() {
    assert_eq!(ev("params.k8sLatest + '/' + string(params.k8sLatestMajor) + '.' + string(params.k8sLatestMinor - 2)"), "\"1.34/1.32\"");
    assert_eq!(
        ev("params['k8sLatestMinor'] == 34 && 'k8sLatest' in params"),
        "true"
    );
    assert_eq!(ev("object == null && item == null"), "true");
    let e = compile_err("params.nope");
    assert!(e.message.contains("no such parameter `nope`"), "{e}");
    let e = compile_err("objekt.kind");
    assert!(
        e.message.contains("undeclared reference to `objekt`"),
        "{e}"
    );
    assert_eq!((e.line, e.column), (1, 1));
}

#[test]
fn compile_errors() {
    for (src, msg) in [
        ("dig(object, 'a')", "`dig` takes 3 arguments, found 2"),
        ("object.dig('a', 1)", "`dig` is a function"),
        ("object.nsOf()", "`nsOf` is a function, not a method"),
        ("startsWith('a', 'b')", "`startsWith` is a method"),
        ("objects()", "`objects` takes 1 argument(s), found 0"),
        ("'a'.matches('(')", "invalid regular expression"),
        ("{'a': 1, 'a': 2}", "repeated map key"),
        ("{[1]: 2}", "invalid map key type list"),
        ("has(object)", "invalid argument to has() macro"),
        ("[1].exists(1, true)", "argument must be a simple name"),
        ("Foo{a: 1}", "not supported"),
    ] {
        let e = compile_err(src);
        assert!(e.message.contains(msg), "{src}: {e}");
        assert!(e.line >= 1, "{src}: {e}");
    }
}

#[test]
fn dig_helper() {
    let o = json!({"kind": "Deployment", "metadata": {"name": "w", "labels": {"a.b/c": "x"}},
                   "spec": {"replicas": 3, "none": null, "list": [{"n": 1}, {"n": 2}], "zero": 0}});
    assert_eq!(on("dig(object, 'spec.replicas', 1)", o.clone()), "3");
    assert_eq!(on("dig(object, 'spec.missing.deeper', 1)", o.clone()), "1");
    assert_eq!(on("dig(object, 'spec.none', 'd')", o.clone()), "\"d\"");
    assert_eq!(on("dig(object, 'spec.zero', 7)", o.clone()), "0");
    assert_eq!(on("dig(object, 'spec.list.1.n', 0)", o.clone()), "2");
    assert_eq!(on("dig(object, 'spec.list.5.n', 0)", o.clone()), "0");
    assert_eq!(on("dig(object, 'spec.replicas.x', 0)", o.clone()), "0");
    assert_eq!(
        on(
            "dig(object, ['metadata', 'labels', 'a.b/c'], '')",
            o.clone()
        ),
        "\"x\""
    );
    assert_eq!(
        on("dig(object, ['spec', 'list', 0, 'n'], '')", o.clone()),
        "1"
    );
    assert_eq!(on("dig(object, [], '') == object", o.clone()), "true");
    assert_eq!(on("dig(object, 42, 'never')", o.clone()), "\"never\"");
    // A path computed at run time.
    assert_eq!(on("dig(object, 'spec.' + 'replicas', 1)", o.clone()), "3");
    assert_eq!(
        on("dig(object, ['spec'] + ['list', '0', 'n'], 1)", o.clone()),
        "1"
    );
    assert_eq!(
        on("dig(object, 1 == 1 ? 7 : 'x', 'never')", o.clone()),
        "\"never\""
    );
    // On built values too.
    assert_eq!(
        ev("dig({'a': [{'b': 2}]}, 'a.0.b', 0) + dig(null, 'a', 5) + dig(3, 'a', 5)"),
        "12"
    );
    // The default is evaluated as an argument: its error is the call's error.
    assert!(
        eval_with("dig(object, 'spec.replicas', 1/0)", Some(&o), &[])
            .unwrap_err()
            .contains("division by zero")
    );
    assert_eq!(
        on("dig(object, 'spec.replicas', dig(object, 'x', 0))", o),
        "3"
    );
}

#[test]
fn object_helpers() {
    let cj = json!({"kind": "CronJob", "metadata": {"name": "c", "namespace": "n"},
                    "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "k"}]}}}}}});
    assert_eq!(
        on("podSpec(object).containers[0].name", cj.clone()),
        "\"k\""
    );
    assert_eq!(
        on("ref(object) + ' ' + nsOf(object)", cj.clone()),
        "\"n/CronJob/c n\""
    );
    let d = Doc::from_json(&cj);
    assert_eq!(object_ref(&Val::node(d.root())), "n/CronJob/c");
    assert_eq!(object_ref(&Val::Null), "/");
    let pod = json!({"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": []}});
    assert_eq!(on("podSpec(object)", pod.clone()), "{\"containers\": []}");
    assert_eq!(
        on("ref(object) + '|' + nsOf(object) + '|'", pod),
        "\"Pod/p||\""
    );
    let dep =
        json!({"kind": "Deployment", "spec": {"template": {"spec": {"volumes": [{"name": "v"}]}}}});
    assert_eq!(
        on("dig(podSpec(object), 'volumes', []).map(v, v.name)", dep),
        "[\"v\"]"
    );
    assert_eq!(on("podSpec(object)", json!({"kind": "Deployment"})), "{}");
    assert_eq!(
        on("podSpec(object)", json!({"kind": "Pod", "spec": null})),
        "null"
    );
    assert_eq!(on("podSpec(object)", json!({"spec": {}})), "{}");
    assert_eq!(
        ev("ref({'kind': 'K', 'metadata': {'name': 'n', 'namespace': 's'}}) + ref(1)"),
        "\"s/K/n/\""
    );
    assert_eq!(ev("nsOf({'metadata': {'namespace': 3}})"), "\"\"");
    assert_eq!(
        ev("podSpec({'kind': 'Pod', 'spec': {'a': 1}})"),
        "{\"a\": 1}"
    );
}

#[test]
fn selector_helpers() {
    let labels = "{'app': 'web', 'tier': 'front'}";
    let sel = |s: &str| ev(&format!("selects({s}, {labels})"));
    assert_eq!(sel("{}"), "true");
    assert_eq!(sel("null"), "true");
    assert_eq!(sel("{'matchLabels': {'app': 'web'}}"), "true");
    assert_eq!(sel("{'matchLabels': {'app': 'db'}}"), "false");
    assert_eq!(sel("{'matchLabels': null}"), "true");
    assert_eq!(
        sel("{'matchExpressions': [{'key': 'tier', 'operator': 'In', 'values': ['front', 'x']}]}"),
        "true"
    );
    assert_eq!(
        sel("{'matchExpressions': [{'key': 'tier', 'operator': 'NotIn', 'values': ['front']}]}"),
        "false"
    );
    assert_eq!(
        sel("{'matchExpressions': [{'key': 'zone', 'operator': 'NotIn', 'values': ['a']}]}"),
        "true"
    );
    assert_eq!(
        sel("{'matchExpressions': [{'key': 'zone', 'operator': 'DoesNotExist'}]}"),
        "true"
    );
    assert_eq!(
        sel("{'matchExpressions': [{'key': 'zone', 'operator': 'Exists'}]}"),
        "false"
    );
    assert_eq!(
        sel("{'matchExpressions': [{'key': 'app', 'operator': 'Exists'}]}"),
        "true"
    );
    assert_eq!(
        sel("{'matchExpressions': [{'key': 'app', 'operator': 'Bogus'}]}"),
        "false"
    );
    assert_eq!(sel("{'matchExpressions': 'nonsense'}"), "true");
    assert_eq!(ev("selects({'matchLabels': {'a': 'b'}}, null)"), "false");
    assert_eq!(ev("selects({'matchLabels': {}}, null)"), "true");
    // Over documents.
    let o = json!({"spec": {"selector": {"matchLabels": {"app": "web"}}, "labels": {"app": "web", "x": "y"}}});
    assert_eq!(on("selects(object.spec.selector, object.spec.labels) && subset(object.spec.selector.matchLabels, object.spec.labels)", o.clone()), "true");
    assert_eq!(
        on(
            "subset(object.spec.labels, object.spec.selector.matchLabels)",
            o
        ),
        "false"
    );
    assert_eq!(
        ev("subset(null, 1) && subset({}, null) && !subset({'a': 1}, null) && !subset(1, {})"),
        "true"
    );
    assert_eq!(ev("subset({'a': 1}, {'a': 1.0, 'b': 2})"), "true");
}

#[test]
fn value_helpers() {
    assert_eq!(
        ev("image('registry.example:5000/shop/web')"),
        "{\"name\": \"registry.example:5000/shop/web\", \"tag\": \"\", \"digest\": \"\"}"
    );
    assert_eq!(ev("image('nginx:1.27@sha256:abc').tag + ' ' + image('nginx:1.27@sha256:abc').digest + ' ' + image('nginx:1.27').name"), "\"1.27 sha256:abc nginx\"");
    let img = "'redis:latest' + ''";
    assert_eq!(
        ev(&format!("image({img}).tag + '/' + image({img})['name']")),
        "\"latest/redis\""
    );
    assert!(err("image(1)").contains("image: expected a string, found 1"));
    assert!(err("image(1 + 0).tag").contains("image: expected a string"));
    // A registry's port is not a tag; the digest follows `@`.
    assert_eq!(
        ev("image('registry.example:5000/shop/web') == {'name': 'registry.example:5000/shop/web', 'tag': '', 'digest': ''}"),
        "true"
    );
    assert_eq!(
        ev("[image('nginx:1.27@sha256:abc').name, image('nginx:1.27@sha256:abc').tag, image('nginx:1.27@sha256:abc').digest, image('a/b:c/d').tag]"),
        r#"["nginx", "1.27", "sha256:abc", ""]"#
    );
    assert_eq!(
        ev("minor('v1.31.4-eks') + minor('1.30') * 0 + minor('garbage') * 100 + minor(3) * 1000"),
        "-1069"
    );
    assert_eq!(
        ev("cert('bm90IGEgY2VydA==') == null && cert(1) == null"),
        "true"
    );
    let c = format!("cert('{CERT}')");
    assert_eq!(
        ev(&format!("{c}.notAfter")),
        "timestamp(\"2036-11-18T20:16:23Z\")"
    );
    assert_eq!(
        ev(&format!("{c}.dnsNames")),
        "[\"shop.example.com\", \"www.shop.example.com\"]"
    );
    assert_eq!(ev(&format!("{c}.subject")), "\"CN=shop.example.com\"");
    assert_eq!(ev(&format!("{c}.notBefore < {c}.notAfter")), "true");
}

/// A self-signed certificate for shop.example.com, valid until 2036-11-18T20:16:23Z (the
/// same as `tests/checks.rs`).
pub(super) const CERT: &str = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJ2ekNDQVdhZ0F3SUJBZ0lVZXVIY0d1VERFempDNUhYVmdvaFpWSlZCU0Jnd0NnWUlLb1pJemowRUF3SXcKR3pFWk1CY0dBMVVFQXd3UWMyaHZjQzVsZUdGdGNHeGxMbU52YlRBZUZ3MHlOakV4TWpFeU1ERTJNak5hRncwegpOakV4TVRneU1ERTJNak5hTUJzeEdUQVhCZ05WQkFNTUVITm9iM0F1WlhoaGJYQnNaUzVqYjIwd1dUQVRCZ2NxCmhrak9QUUlCQmdncWhrak9QUU1CQndOQ0FBUjN3a3d6QVVTVk15WHR0eFg5enRjVFVNbXN0UjZCVzFELzdHNW8KZmRRYWJBQXhoSzRWQ3lURW4raGNBRW82d1B4WkFhNzcvR3U2QWUrdm9kVndHclQ2bzRHSE1JR0VNQjBHQTFVZApEZ1FXQkJRMjhoZEtFdDZsUXlXRkJDd1RmOGFBMDNoZUtEQWZCZ05WSFNNRUdEQVdnQlEyOGhkS0V0NmxReVdGCkJDd1RmOGFBMDNoZUtEQVBCZ05WSFJNQkFmOEVCVEFEQVFIL01ERUdBMVVkRVFRcU1DaUNFSE5vYjNBdVpYaGgKYlhCc1pTNWpiMjJDRkhkM2R5NXphRzl3TG1WNFlXMXdiR1V1WTI5dE1Bb0dDQ3FHU000OUJBTUNBMGNBTUVRQwpJQWZKeGxRakQxSGZLTG5UTy9xVURab0NYdGI5UGxMc205S0pITktVVWRJYUFpQWdhQ00ycTJLbS9aclpqd2Y2CmJLRldiUUd0RlVIMWtHcDc5Vm5iUk5VQkhRPT0KLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=";

#[test]
fn world_helpers() {
    let docs = [
        json!({"kind": "Secret", "metadata": {"name": "s1", "namespace": "a"}, "type": "t"}),
        json!({"kind": "Secret", "metadata": {"name": "s2", "namespace": "b"}}),
        json!({"kind": "Pod", "metadata": {"name": "p", "namespace": "c"}}),
        json!({"kind": "Node", "metadata": {"name": "n"}}),
    ];
    let run = |s: &str| eval_with(s, None, &docs);
    assert_eq!(
        run("objects('Secret').map(s, s.metadata.name)"),
        Ok("[\"s1\", \"s2\"]".into())
    );
    assert_eq!(
        run("size(objects('Secret')) + size(objects('Nothing'))"),
        Ok("2".into())
    );
    assert_eq!(
        run("objectsIn('Secret', 'b').map(s, ref(s))"),
        Ok("[\"b/Secret/s2\"]".into())
    );
    assert_eq!(run("objectsIn('Secret', 'zz')"), Ok("[]".into()));
    assert_eq!(run("lookup('Secret', 'a', 's1').type"), Ok("\"t\"".into()));
    assert_eq!(
        run("lookup('Secret', '', 's2') != null && lookup('Secret', 'a', 's2') == null"),
        Ok("true".into())
    );
    assert_eq!(
        run("namespacesWith(['Secret', 'Pod', 'Node'])"),
        Ok("[\"a\", \"b\", \"c\"]".into())
    );
    assert_eq!(
        run("objects('Sec' + 'ret')[1].metadata.name"),
        Ok("\"s2\"".into())
    );
    assert_eq!(
        run("objects('Secret') == objects('Secret') && objects('Secret')[0] in objects('Secret')"),
        Ok("true".into())
    );
    assert!(run("namespacesWith('Pod')")
        .unwrap_err()
        .contains("expected a list of kinds"));
    assert!(run("namespacesWith([1])")
        .unwrap_err()
        .contains("expected a string"));
    assert!(run("objects(1)")
        .unwrap_err()
        .contains("objects: expected a string, found 1"));
    // Kinds the engine did not keep.
    let docs: Vec<Doc> = docs.iter().map(Doc::from_json).collect();
    let mut ix = Index::new(&docs);
    ix.kept = Some(["Pod".to_string()].into());
    let pr = params();
    let env = Env {
        object: Val::Null,
        item: Val::Null,
        now: at("2025-01-01T00:00:00Z"),
        params: &pr,
        world: &W(&ix),
    };
    let run = |s: &str| {
        Program::compile(s)
            .unwrap()
            .eval(&env)
            .map(|v| v.to_string())
            .map_err(|e| e.message)
    };
    assert_eq!(run("size(objects('Pod'))"), Ok("1".into()));
    assert_eq!(
        run("objects('Secret')"),
        Err("kind `Secret` is not kept: declare it in the check's `kinds`".into())
    );
    assert_eq!(
        run("objectsIn('Secret', 'a')").unwrap_err(),
        "kind `Secret` is not kept: declare it in the check's `kinds`"
    );
    assert_eq!(
        run("lookup('Secret', 'a', 'b')").unwrap_err(),
        "kind `Secret` is not kept: declare it in the check's `kinds`"
    );
    assert_eq!(
        run("namespacesWith(['Pod', 'Node'])").unwrap_err(),
        "kinds `Pod`, `Node` are not all kept: declare them in the check's `kinds`"
    );
}

#[test]
fn chains_of_additions() {
    assert_eq!(ev("1 + 2 + 3 + 4"), "10");
    assert_eq!(ev("'a' + 'b' + 'c'"), "\"abc\"");
    assert_eq!(ev("'' + '' + 'x' + ''"), "\"x\"");
    assert_eq!(ev("[1] + [] + [2, 3] + [[4]]"), "[1, 2, 3, [4]]");
    assert_eq!(ev("[] + [] + []"), "[]");
    assert_eq!(
        ev("duration('1h') + duration('1m') + duration('1s') == duration('3661s')"),
        "true"
    );
    let long = "x".repeat(300);
    assert_eq!(ev(&format!("size('{long}' + '-' + '{long}')")), "601");
    assert_eq!(
        on(
            "object.a + '/' + object.b + '/' + object.c",
            json!({"a": "é", "b": "", "c": "z"})
        ),
        "\"é//z\""
    );
    assert_eq!(
        on("object.l + [3] + object.l", json!({"l": [1, 2]})),
        "[1, 2, 3, 1, 2]"
    );
    assert!(err("'a' + 'b' + 1").contains("no such overload: _+_(string, int)"));
    assert!(err("'a' + 1 + 'b'").contains("no such overload: _+_(string, int)"));
    assert!(err("[1] + [2] + 'c' + 1/0").contains("no such overload: _+_(list, string)"));
    // Left to right, as written: the overflow happens before the subtraction.
    assert!(err("9223372036854775807 + 1 + -1").contains("overflow"));
    assert_eq!(ev("9223372036854775807 + (1 + -1)"), "9223372036854775807");
}

#[test]
fn invariant_parts_of_loops() {
    let o = json!({"spec": {"list": [1, 2, 3]}, "kind": "K"});
    // Parts reading an outer loop's variable are not computed once.
    assert_eq!(
        ev("[1, 2].map(x, [10, 20].map(y, x + y))"),
        "[[11, 21], [12, 22]]"
    );
    assert_eq!(ev("[1, 2].map(x, [3].map(y, x))"), "[[1], [2]]");
    assert_eq!(ev("[1, 2].map(x, [1, 2].filter(y, y > 1))"), "[[2], [2]]");
    assert_eq!(
        ev("[[1], [2]].map(l, l.exists(y, y == 2))"),
        "[false, true]"
    );
    assert_eq!(
        on("[1, 2].map(x, size(object.spec.list) + x)", o.clone()),
        "[4, 5]"
    );
    assert_eq!(
        on(
            "object.spec.list.map(x, object.spec.list.filter(y, y > x))",
            o.clone()
        ),
        "[[2, 3], [3], []]"
    );
    assert_eq!(
        on("[1, 2].exists(x, object.kind == 'K' && x == 2)", o.clone()),
        "true"
    );
    // An invariant part that fails fails at every iteration.
    assert_eq!(
        eval_with("[1, 2].map(x, object.missing)", Some(&o), &[]),
        Err("no such key: missing".into())
    );
    assert_eq!(
        on("[1, 2].exists(x, x == 2 || object.missing)", o.clone()),
        "true"
    );
    let p = Program::compile("[1, 2].map(x, [3].map(y, object.kind + string(y)))").unwrap();
    assert!(p.memos >= 1, "{p:?}");
    assert_eq!(
        on(
            "[1, 2].map(x, [3].map(y, object.kind + string(y)))",
            o.clone()
        ),
        "[[\"K3\"], [\"K3\"]]"
    );
    // Selections in a row, on documents and built maps, with the failing step named.
    assert_eq!(ev("{'a': {'b': {'c': 1}}}.a.b.c"), "1");
    assert_eq!(
        eval_with("object.spec.nope.deeper", Some(&o), &[]),
        Err("no such key: nope".into())
    );
    assert!(eval_with("object.spec.list.x", Some(&o), &[])
        .unwrap_err()
        .contains("cannot select field `x` of a list"));
}

/// A built-in check by id.
pub(super) fn check(id: &str) -> crate::catalog::Check {
    crate::catalog::builtin()
        .unwrap()
        .into_iter()
        .find(|c| c.id == id)
        .unwrap()
}

#[test]
fn runaway_evaluations_stop_with_an_error() {
    // A list doubled in each of 40 nested maps would hold 2^40 elements.
    let doubling = format!("[[1]]{}.size() > 0", ".map(l, l + l)".repeat(40));
    assert!(
        err(&doubling).contains("stopped after 20000000 steps"),
        "{}",
        err(&doubling)
    );
    // Nested comprehensions over a literal list: 100^5 iterations.
    let list = format!("[{}]", vec!["1"; 100].join(","));
    let nested = format!(
        "{list}.exists(a, {list}.exists(b, {list}.exists(c, {list}.exists(d, {list}.exists(e, a + b + c + d + e < 0)))))"
    );
    assert!(err(&nested).contains("stopped after"), "{}", err(&nested));
}
