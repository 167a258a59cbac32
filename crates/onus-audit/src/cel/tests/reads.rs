//! `reads`: what checks read of objects, and that projecting objects to it changes no result.

use onus_inventory::doc::Need;

use super::check;
use crate::catalog;
use crate::cel::{reads, Program, Reads};

/// A need as text: `{a, b{c?}, l[{x}]}`: `a` whole, `c` only there, the elements of `l` by
/// their `x`.
pub(crate) fn show(n: &Need) -> String {
    if n.whole {
        return String::new();
    }
    let mut parts: Vec<String> = n
        .fields
        .iter()
        .map(|(k, v)| {
            if v.is_nothing() {
                format!("{k}?")
            } else {
                format!("{k}{}", show(v))
            }
        })
        .collect();
    if let Some(e) = &n.each {
        parts.push(if e.is_nothing() {
            "[?]".to_string()
        } else {
            format!("[{}]", show(e))
        });
    }
    format!("{{{}}}", parts.join(", "))
}

pub(crate) fn reads_of(id: &str) -> Reads {
    let c = check(id);
    let p = |s: &Option<String>| s.as_deref().map(|s| Program::compile(s).unwrap());
    let (when, items, item_id) = (p(&c.when), p(&c.items), p(&c.item_id));
    let rule = Program::compile(&c.rule).unwrap();
    reads(when.as_ref(), items.as_ref(), item_id.as_ref(), &rule)
}

#[test]
#[ignore]
fn print_builtin() {
    for c in catalog::builtin().unwrap() {
        let r = reads_of(&c.id);
        eprintln!("{}:\n  object {}", c.id, show(&r.object));
        for (k, n) in &r.kinds {
            eprintln!("  {k} {}", show(n));
        }
        eprintln!(
            "  namespaces_of {:?} cross {} dynamic {}",
            r.namespaces_of, r.cross, r.dynamic_kinds
        );
    }
}

/// `n` without what is always read (kind, apiVersion, metadata.name, metadata.namespace).
fn strip_base(n: &Need) -> Need {
    let mut n = n.clone();
    for k in ["kind", "apiVersion"] {
        if n.fields.get(k).is_some_and(|f| f.whole) {
            n.fields.remove(k);
        }
    }
    if let Some(md) = n.fields.get_mut("metadata") {
        for k in ["name", "namespace"] {
            if md.fields.get(k).is_some_and(|f| f.whole) {
                md.fields.remove(k);
            }
        }
        if md.is_nothing() {
            n.fields.remove("metadata");
        }
    }
    n
}

/// The object's need and each kind's beyond what is always read, as text.
fn shown(r: &Reads) -> (String, Vec<(String, String)>) {
    (
        show(&strip_base(&r.object)),
        r.kinds
            .iter()
            .map(|(k, n)| (k.clone(), show(&strip_base(n))))
            .collect(),
    )
}

fn rule(src: &str) -> Reads {
    reads(None, None, None, &Program::compile(src).unwrap())
}

/// The object's need of `src` beyond what is always read, as text.
fn of_object(src: &str) -> String {
    shown(&rule(src)).0
}

#[test]
fn builtin_checks() {
    let r = reads_of("continuity.replicas-pdb");
    assert_eq!(
        shown(&r),
        (
            "{spec{replicas, template{metadata{labels}}}}".to_string(),
            vec![(
                "PodDisruptionBudget".into(),
                "{spec{selector{matchLabels}}}".to_string()
            )]
        )
    );
    assert!(r.cross && !r.dynamic_kinds);
    let r = reads_of("tls.ingress-cert");
    assert_eq!(
        shown(&r).1,
        vec![(
            "Secret".into(),
            "{data{tls.crt}, stringData{tls.crt}, type}".into()
        )]
    );
    // `metadata.name` goes into `item_id` through `+`, which may be a list concatenation:
    // the analysis keeps "each element" of it, which for a string is the string.
    assert_eq!(
        shown(&r).0,
        "{metadata{name{[]}}, spec{rules{[{host}]}, tls{[{hosts, secretName}]}}}"
    );
    let r = reads_of("network.default-deny");
    assert_eq!(
        r.namespaces_of,
        [
            "CronJob",
            "DaemonSet",
            "Deployment",
            "Job",
            "Pod",
            "ReplicaSet",
            "StatefulSet"
        ]
        .map(String::from)
        .into()
    );
    assert_eq!(
        shown(&r).1,
        vec![(
            "NetworkPolicy".into(),
            "{spec{podSelector{matchExpressions{[?]}, matchLabels{[?]}}, policyTypes}}".into()
        )]
    );
    let r = reads_of("workload.resources");
    assert!(!r.cross && r.kinds.is_empty());
    let containers =
        "containers{[{name{[]}, resources{limits{memory?}, requests{cpu?, memory?}}}]}";
    let expected = "{metadata{ownerReferences{[?]}}, \
        spec{C, jobTemplate{spec{template{spec{C}}}}, template{spec{C}}}}";
    assert_eq!(shown(&r).0, expected.replace('C', containers));
    let r = reads_of("backup.recent");
    assert_eq!(
        shown(&r).1,
        vec![(
            "Backup".into(),
            "{metadata{labels{velero.io/schedule-name}}, status{completionTimestamp, phase}}"
                .into()
        )]
    );
    assert_eq!(
        shown(&reads_of("provider.autoscaling-api")).1,
        vec![
            (
                "APIService".into(),
                "{status{conditions{[{status, type}]}}}".into()
            ),
            ("HorizontalPodAutoscaler".into(), "{}".into()),
        ]
    );
    assert_eq!(
        shown(&reads_of("access.cluster-admin")).0,
        "{roleRef{kind, name}, subjects{[{kind, name, namespace}]}}"
    );
    for c in catalog::builtin().unwrap() {
        let r = reads_of(&c.id);
        assert!(!r.dynamic_kinds, "{}", c.id);
        for k in r.kinds.keys().chain(&r.namespaces_of) {
            assert!(c.kinds.contains(k), "{}: {k} read but not declared", c.id);
        }
    }
}

#[test]
fn uses_of_paths() {
    assert_eq!(of_object("object.spec.x == null"), "{spec{x?}}");
    assert_eq!(
        of_object("null != dig(object, 'spec.x', null)"),
        "{spec{x?}}"
    );
    assert_eq!(of_object("has(object.spec.x.y)"), "{spec{x{y?}}}");
    assert_eq!(of_object("object.spec.x == 1"), "{spec{x}}");
    assert_eq!(of_object("object.spec"), "{spec}");
    assert_eq!(of_object("size(object.spec.m) > 0"), "{spec{m{[?]}}}");
    assert_eq!(of_object("type(object.spec) == map"), "{spec?}");
    assert_eq!(
        of_object("object.spec.l.exists(x, x.n == 1)"),
        "{spec{l{[{n}]}}}"
    );
    assert_eq!(of_object("object.spec.l.map(x, x.n)"), "{spec{l{[{n}]}}}");
    assert_eq!(
        of_object("object.spec.l.filter(x, x.n == 1).map(x, x.m)"),
        "{spec{l{[{m, n}]}}}"
    );
    assert_eq!(
        of_object("size(object.spec.l.filter(x, has(x.n)))"),
        "{spec{l{[{n?}]}}}"
    );
    assert_eq!(of_object("object.spec.l.filter(x, true)"), "{spec{l{[]}}}");
    assert_eq!(of_object("object.spec.l[0].n"), "{spec{l{[{n}]}}}");
    assert_eq!(of_object("object['spec']['x']"), "{spec{x}}");
    assert_eq!(of_object("object.spec[object.kind]"), "{spec{[]}}");
    assert_eq!(of_object("[object.a, 1][0].b"), "{a{b}}");
    assert_eq!(of_object("{'k': object.a, 'j': 2}.k.b"), "{a{b}}");
    assert_eq!(of_object("{object.kind: object.a}.k"), "{a}");
    assert_eq!(
        of_object("(1 == 1 ? object.a : object.b).c"),
        "{a{c}, b{c}}"
    );
    assert_eq!(
        of_object("dig(object, 'spec.l.0.n', 1)"),
        "{spec{l{0{n}, [{n}]}}}"
    );
    assert_eq!(of_object("dig(object, ['spec', 'a.b'], 1)"), "{spec{a.b}}");
    assert_eq!(
        of_object("dig(dig(object, 'spec', {}), 'x', 1)"),
        "{spec{x}}"
    );
    assert_eq!(
        show(&rule("dig(object, 'sp' + 'ec', 1)").object),
        "",
        "whole"
    );
    assert_eq!(
        of_object("podSpec(object).volumes == null"),
        "{spec{jobTemplate{spec{template{spec{volumes?}}}}, template{spec{volumes?}}, volumes?}}"
    );
    assert_eq!(of_object("ref(object)"), "{}");
    assert_eq!(of_object("object.kind"), "{}");
    assert_eq!(of_object("nsOf(object)"), "{}");
    assert_eq!(
        of_object("size(object.spec.a + object.spec.b)"),
        "{spec{a{[?]}, b{[?]}}}"
    );
    assert_eq!(
        of_object("object.spec.a + object.spec.b"),
        "{spec{a{[]}, b{[]}}}"
    );
    assert_eq!(of_object("object.spec.a.startsWith('x')"), "{spec{a}}");
    assert_eq!(
        of_object("selects(object.spec.s, object.metadata.labels)"),
        "{metadata{labels}, spec{s}}"
    );
    assert_eq!(
        of_object("object.spec.m.exists(k, object.spec.m[k] == 1)"),
        "{spec{m{[]}}}"
    );
    assert_eq!(of_object("dyn(object.spec).x"), "{spec{x}}");
}

#[test]
fn objects_of_other_kinds() {
    let r = rule("objects('A').map(a, a.spec.x) + [lookup('B', nsOf(object), 'n').data]");
    assert_eq!(
        shown(&r).1,
        vec![
            ("A".into(), "{spec{x}}".into()),
            ("B".into(), "{data}".into())
        ]
    );
    assert!(r.cross && !r.dynamic_kinds);
    let r = rule("size(objectsIn('A', 'ns')) > 0 && lookup('B', '', 'x') != null");
    assert_eq!(
        shown(&r).1,
        vec![("A".into(), "{}".into()), ("B".into(), "{}".into())]
    );
    let r = rule("objects('A') == []");
    assert_eq!(
        shown(&r).1,
        vec![("A".into(), String::new())],
        "compared whole"
    );
    let r = rule("objects('A')[0].x");
    assert_eq!(shown(&r).1, vec![("A".into(), "{x}".into())]);
    let r = rule("objects(object.kind).size() > 0");
    assert!(r.cross && r.dynamic_kinds && r.kinds.is_empty());
    let r = rule("namespacesWith(['A'] + ['B']).size() > 0");
    assert!(r.cross && r.dynamic_kinds);
    let r = rule("namespacesWith(['A', 'B']).size() > 0");
    assert_eq!(r.namespaces_of, ["A".to_string(), "B".to_string()].into());
    assert!(r.cross && !r.dynamic_kinds && r.kinds.is_empty());
    assert!(!rule("object.spec.x").cross);
}

#[test]
fn items_bind_item() {
    let p = |s: &str| Program::compile(s).unwrap();
    let items = p("object.spec.l.map(e, {'name': e.n, 'other': lookup('S', '', e.s)})");
    let r = reads(
        None,
        Some(&items),
        Some(&p("item.name")),
        &p("item.other.data.x == 1"),
    );
    assert_eq!(shown(&r).0, "{spec{l{[{n, s}]}}}");
    assert_eq!(shown(&r).1, vec![("S".into(), "{data{x}}".into())]);
    // Without `items`, `item` is the object.
    let r = reads(
        Some(&p("item.a == 1")),
        None,
        Some(&p("item.b")),
        &p("item.c.d != null"),
    );
    assert_eq!(shown(&r).0, "{a, b, c{d?}}");
}
