//! The rules of `onus validate` on a model's `audit` section: evidence links, reviewed
//! checks, managed scopes and conditional roles.
//!
//! This crate knows no checks and no CEL: which check ids exist, which reasons each gives and
//! whether a condition is valid CEL come from the caller ([`Options::known_checks`],
//! [`Options::condition_syntax`]), filled by the CLI from the audit catalog. Without them those
//! rules are skipped; everything else is checked against the model alone.

use std::collections::HashSet;

use crate::diag::Diagnostic;
use crate::types::{Duty, Model, PartyKind};
use crate::validate::Options;

/// A check of the audit catalog, as the validator needs to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownCheck {
    pub id: String,
    /// The reasons (prefixes) the check declares it gives; empty when it declares none.
    pub reasons: Vec<String>,
}

/// Whether a link's reason can match one the check declares: one is a prefix of the other
/// (`latest tag` and `latest tag`; `expir` and `expired`).
fn reason_known(declared: &[String], reason: &str) -> bool {
    declared.is_empty()
        || declared
            .iter()
            .any(|d| d.starts_with(reason) || reason.starts_with(d.as_str()))
}

/// Whether two reason filters can match a common reason (an empty filter matches every one).
fn reasons_overlap(a: &[String], b: &[String]) -> bool {
    a.is_empty()
        || b.is_empty()
        || a.iter().any(|x| {
            b.iter()
                .any(|y| x.starts_with(y.as_str()) || y.starts_with(x.as_str()))
        })
}

pub(crate) fn check(m: &Model, opts: &Options, langs: &[&str], out: &mut Vec<Diagnostic>) {
    let au = &m.audit;
    let parties: HashSet<&str> = m.parties.iter().map(|p| p.id.as_str()).collect();
    let party_list = || {
        m.parties
            .iter()
            .map(|p| p.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let duty_letters = m.roles.letters_of(&[Duty::Responsible, Duty::Accountable]);
    let known = opts.known_checks.as_deref();
    let check_id = |id: &str, ptr: String, out: &mut Vec<Diagnostic>| -> Option<Vec<String>> {
        let known = known?;
        match known.iter().find(|k| k.id == id) {
            Some(k) => Some(k.reasons.clone()),
            None => {
                let near = crate::validate::nearest(id, known.iter().map(|k| k.id.as_str()));
                out.push(
                    Diagnostic::new(
                        "unknown-check",
                        format!("`{id}` is not a check of the audit catalog"),
                    )
                    .at(ptr)
                    .hint(match near {
                        Some(n) => format!("did you mean `{n}`? `checks/` lists the built-in checks; `--checks DIR` adds yours"),
                        None => "`checks/` lists the built-in checks; `--checks DIR` adds yours".to_string(),
                    }),
                );
                None
            }
        }
    };
    let reasons = |declared: &Option<Vec<String>>,
                   reasons: &[String],
                   check: &str,
                   base: &str,
                   out: &mut Vec<Diagnostic>| {
        let Some(declared) = declared else { return };
        for (j, r) in reasons.iter().enumerate() {
            if !reason_known(declared, r) {
                out.push(
                    Diagnostic::new(
                        "unknown-reason",
                        format!("check `{check}` gives no reason starting with `{r}`"),
                    )
                    .at(format!("{base}/reasons/{j}"))
                    .hint(format!("its reasons: {}", declared.join(", "))),
                );
            }
        }
    };

    let mut seen_links: Vec<(&str, &str, &[String])> = Vec::new();
    for (i, l) in au.evidence.iter().enumerate() {
        let base = format!("/audit/evidence/{i}");
        text_of(&l.why, &format!("{base}/why"), langs, out);
        let declared = check_id(&l.check, format!("{base}/check"), out);
        reasons(&declared, &l.reasons, &l.check, &base, out);
        match m.activity(&l.activity) {
            None => out.push(
                Diagnostic::new(
                    "unknown-activity",
                    format!(
                        "a link names activity `{}`, which the model does not have",
                        l.activity
                    ),
                )
                .at(format!("{base}/activity")),
            ),
            Some(a) => {
                let holds = |roles: &crate::types::Roles| {
                    roles
                        .values()
                        .any(|cell| cell.chars().any(|c| duty_letters.contains(&c)))
                };
                let conditional = au
                    .conditions
                    .iter()
                    .any(|c| c.activity == a.id && holds(&c.roles));
                if !holds(&a.roles) && !conditional {
                    out.push(
                        Diagnostic::new(
                            "link-without-duty",
                            format!(
                                "activity `{}` is linked to `{}` but no party holds R or A in it: no item can land on it",
                                a.id, l.check
                            ),
                        )
                        .at(format!("{base}/activity")),
                    );
                }
            }
        }
        if let Some((_, _, first)) = seen_links
            .iter()
            .find(|(a, c, _)| *a == l.activity && *c == l.check)
        {
            if reasons_overlap(first, &l.reasons) {
                out.push(
                    Diagnostic::new(
                        "conflicting-link",
                        format!(
                            "`{}` is linked to activity `{}` twice for the same reasons",
                            l.check, l.activity
                        ),
                    )
                    .at(base.clone())
                    .hint("merge the two links"),
                );
            }
        }
        seen_links.push((&l.activity, &l.check, &l.reasons));
    }
    for (i, n) in au.no_duty.iter().enumerate() {
        let base = format!("/audit/no_duty/{i}");
        text_of(&n.why, &format!("{base}/why"), langs, out);
        let declared = check_id(&n.check, format!("{base}/check"), out);
        reasons(&declared, &n.reasons, &n.check, &base, out);
        if let Some(l) = au
            .evidence
            .iter()
            .find(|l| l.check == n.check && reasons_overlap(&l.reasons, &n.reasons))
        {
            out.push(
                Diagnostic::new(
                    "conflicting-link",
                    format!(
                        "`{}` is said to concern no duty, but it is linked to activity `{}` for the same reasons",
                        n.check, l.activity
                    ),
                )
                .at(base.clone())
                .hint("remove one, or split the reasons between them"),
            );
        }
    }
    for (i, s) in au.managed.iter().enumerate() {
        let base = format!("/audit/managed/{i}");
        text_of(&s.why, &format!("{base}/why"), langs, out);
        if !parties.contains(s.party.as_str()) {
            out.push(
                Diagnostic::new(
                    "unknown-party",
                    format!("a managed scope names `{}`, which is not a party", s.party),
                )
                .at(format!("{base}/party"))
                .hint(format!("parties are: {}", party_list())),
            );
        }
        if s.namespaces.is_empty()
            && s.kinds.is_empty()
            && s.labels.is_empty()
            && s.annotations.is_empty()
        {
            out.push(
                Diagnostic::new(
                    "empty-scope",
                    format!("the managed scope of `{}` matches no object", s.party),
                )
                .at(base)
                .hint("give namespaces, kinds, labels or annotations"),
            );
        }
    }
    reliances(m, langs, &duty_letters, out);
    let letters: HashSet<char> = m.roles.letters.iter().map(|l| l.letter).collect();
    for (i, c) in au.conditions.iter().enumerate() {
        let base = format!("/audit/conditions/{i}");
        text_of(&c.why, &format!("{base}/why"), langs, out);
        if m.activity(&c.activity).is_none() {
            out.push(
                Diagnostic::new(
                    "unknown-activity",
                    format!(
                        "a condition names activity `{}`, which the model does not have",
                        c.activity
                    ),
                )
                .at(format!("{base}/activity")),
            );
        }
        if let Some(syntax) = opts.condition_syntax {
            if let Err(e) = syntax(&c.when) {
                out.push(
                    Diagnostic::new("invalid-condition", format!("`when` is not valid CEL: {e}"))
                        .at(format!("{base}/when"))
                        .hint("docs/audit.md lists the CEL onus evaluates and its helpers"),
                );
            }
        }
        for (party, cell) in &c.roles {
            let ptr = format!("{base}/roles/{}", onus_yaml::escape(party));
            if !parties.contains(party.as_str()) {
                out.push(
                    Diagnostic::new(
                        "unknown-party",
                        format!("a condition gives roles to `{party}`, which is not a party"),
                    )
                    .at(ptr.clone())
                    .hint(format!("parties are: {}", party_list())),
                );
            }
            for ch in cell.chars().filter(|c| !c.is_whitespace()) {
                if !letters.contains(&ch) {
                    out.push(
                        Diagnostic::new(
                            "unknown-letter",
                            format!(
                                "a condition of `{}`: `{ch}` in `{cell}` is not a letter of the `{}` scheme",
                                c.activity, m.roles.id
                            ),
                        )
                        .at(ptr.clone()),
                    );
                }
            }
        }
    }
}

/// Which sides hold a duty (R or A, or a binding statement's party) in an activity or a
/// statement: (a customer does, the provider side does); `None` when the id names neither.
fn sides(m: &Model, id: &str, duty_letters: &[char]) -> Option<(bool, bool)> {
    let kind = |p: &str| m.party(p).map(|p| p.kind);
    if let Some(a) = m.activity(id) {
        let holders = a
            .roles
            .iter()
            .filter(|(_, cell)| cell.chars().any(|c| duty_letters.contains(&c)))
            .filter_map(|(p, _)| kind(p));
        let (mut customer, mut provider) = (false, false);
        for k in holders {
            if k == PartyKind::Customer {
                customer = true;
            } else {
                provider = true;
            }
        }
        return Some((customer, provider));
    }
    let s = m.statements.iter().find(|s| s.id == id)?;
    let k = s.party.as_deref().filter(|_| s.kind.binds()).and_then(kind);
    Some((
        k == Some(PartyKind::Customer),
        k.is_some_and(|k| k != PartyKind::Customer),
    ))
}

/// `audit.relies_on`: both ends name duties of the model, the first a customer's, the second
/// the provider side's.
fn reliances(m: &Model, langs: &[&str], duty_letters: &[char], out: &mut Vec<Diagnostic>) {
    for (i, r) in m.audit.relies_on.iter().enumerate() {
        let base = format!("/audit/relies_on/{i}");
        text_of(&r.why, &format!("{base}/why"), langs, out);
        for (field, id, customer_end) in [
            ("activity", &r.activity, true),
            ("capability", &r.capability, false),
        ] {
            let ptr = format!("{base}/{field}");
            match sides(m, id, duty_letters) {
                None => out.push(
                    Diagnostic::new(
                        "unknown-activity",
                        format!("a reliance names `{id}`, which is no activity or statement of the model"),
                    )
                    .at(ptr)
                    .hint(match crate::validate::nearest(id, m.activities.iter().map(|a| a.id.as_str())) {
                        Some(n) => format!("did you mean `{n}`?"),
                        None => "`onus show MODEL` lists the activities' ids".to_string(),
                    }),
                ),
                Some((customer, provider)) => {
                    let ok = if customer_end { customer } else { provider };
                    if !ok {
                        out.push(
                            Diagnostic::new(
                                "reliance-sides",
                                if customer_end {
                                    format!("`{id}` relies on `{}`, but no customer holds R or A in `{id}`", r.capability)
                                } else {
                                    format!("`{}` relies on `{id}`, but no provider or third party holds R or A in `{id}`", r.activity)
                                },
                            )
                            .at(ptr)
                            .hint("`activity` is the customer's duty, `capability` the provider side's"),
                        );
                    }
                }
            }
        }
    }
}

fn text_of(t: &crate::Text, ptr: &str, langs: &[&str], out: &mut Vec<Diagnostic>) {
    crate::validate::text_langs(t, ptr, langs, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Audit, Condition, EvidenceLink, LinkKind, ManagedScope, NoDuty};
    use crate::{load_str, Text, Vocabulary, BUILTIN};

    fn model(id: &str) -> Model {
        let (_, text) = BUILTIN.iter().find(|(i, _)| *i == id).unwrap();
        let mut m = load_str(id, text, Vocabulary::builtin(), &Options::default())
            .model
            .unwrap();
        m.audit = Audit::default();
        m
    }

    fn text(s: &str) -> Text {
        serde_json::from_value(serde_json::json!({"fr": s, "en": s})).unwrap()
    }

    fn link(activity: &str, check: &str, reasons: &[&str], kind: LinkKind) -> EvidenceLink {
        EvidenceLink {
            activity: activity.into(),
            check: check.into(),
            reasons: reasons.iter().map(|r| r.to_string()).collect(),
            kind,
            why: text("why"),
        }
    }

    /// (rule, JSON pointer) of every finding.
    fn found(m: &Model, opts: &Options) -> Vec<(&'static str, String)> {
        crate::validate::validate(m, Vocabulary::builtin(), opts)
            .into_iter()
            .map(|d| (d.rule, d.pointer.unwrap_or_default()))
            .collect()
    }

    fn has(found: &[(&'static str, String)], rule: &str, ptr: &str) -> bool {
        found.iter().any(|(r, p)| *r == rule && p == ptr)
    }

    fn opts() -> Options {
        Options {
            known_checks: Some(vec![
                KnownCheck {
                    id: "tls.ingress-cert".into(),
                    reasons: vec![
                        "expired".into(),
                        "expiring".into(),
                        "host-without-tls".into(),
                    ],
                },
                KnownCheck {
                    id: "images.pinned".into(),
                    reasons: vec![],
                },
            ]),
            condition_syntax: Some(|s| {
                if s.contains("((") {
                    Err("unbalanced".into())
                } else {
                    Ok(())
                }
            }),
            ..Options::default()
        }
    }

    #[test]
    fn reliances_name_a_customer_duty_and_a_provider_capability() {
        let mut m = model("h8lio");
        let r = |activity: &str, capability: &str| crate::types::Reliance {
            activity: activity.into(),
            capability: capability.into(),
            why: text("why"),
        };
        m.audit.relies_on = vec![
            r("data.volumes.backup", "data.provider.snapshots"),
            r("data.volumes.bakup", "data.provider.snapshots"),
            r("data.volumes.backup", "nowhere"),
            // Turned around: the provider's capability relies on the user's duty.
            r("data.provider.snapshots", "data.volumes.backup"),
        ];
        let f = found(&m, &Options::default());
        let at = |i: usize, field: &str| format!("/audit/relies_on/{i}/{field}");
        assert!(
            !f.iter().any(|(_, p)| p.starts_with("/audit/relies_on/0")),
            "{f:?}"
        );
        assert!(has(&f, "unknown-activity", &at(1, "activity")), "{f:?}");
        assert!(has(&f, "unknown-activity", &at(2, "capability")), "{f:?}");
        assert!(has(&f, "reliance-sides", &at(3, "activity")), "{f:?}");
        assert!(has(&f, "reliance-sides", &at(3, "capability")), "{f:?}");
    }

    #[test]
    fn links_name_known_checks_reasons_and_activities() {
        let mut m = model("h8lio");
        let tls = "networking.network.tls";
        m.audit.evidence = vec![
            link(tls, "tls.ingress-cert", &["expir"], LinkKind::Provide),
            link(tls, "tls.ingres-cert", &[], LinkKind::Provide),
            link(tls, "tls.ingress-cert", &["revoked"], LinkKind::Provide),
            link("nowhere", "images.pinned", &[], LinkKind::Use),
            link(tls, "tls.ingress-cert", &["expired"], LinkKind::Use),
        ];
        m.audit.evidence[4].why = serde_json::from_value(serde_json::json!({"fr": "a"})).unwrap();
        m.audit.no_duty = vec![NoDuty {
            check: "images.pinned".into(),
            reasons: vec![],
            why: text("none"),
        }];
        let f = found(&m, &opts());
        assert!(
            has(&f, "unknown-check", "/audit/evidence/1/check"),
            "{f:#?}"
        );
        assert!(
            has(&f, "unknown-reason", "/audit/evidence/2/reasons/0"),
            "{f:#?}"
        );
        assert!(
            !has(&f, "unknown-reason", "/audit/evidence/0/reasons/0"),
            "a prefix of a declared reason is known"
        );
        assert!(has(&f, "unknown-activity", "/audit/evidence/3/activity"));
        assert!(has(&f, "conflicting-link", "/audit/evidence/4"), "{f:#?}");
        assert!(has(&f, "missing-translation", "/audit/evidence/4/why"));
        assert!(has(&f, "conflicting-link", "/audit/no_duty/0"), "{f:#?}");
        // Without a catalog, check ids and reasons are not judged.
        let f = found(&m, &Options::default());
        assert!(!f
            .iter()
            .any(|(r, _)| *r == "unknown-check" || *r == "unknown-reason"));
    }

    #[test]
    fn scopes_and_conditions_are_checked() {
        let mut m = model("h8lio");
        let scope = |party: &str, ns: &[&str]| ManagedScope {
            party: party.into(),
            namespaces: ns.iter().map(|s| s.to_string()).collect(),
            kinds: vec![],
            labels: Default::default(),
            annotations: Default::default(),
            why: text("runs it"),
        };
        m.audit.managed = vec![
            scope("byzaneo", &["kube-system"]),
            scope("ovh", &["x"]),
            scope("byzaneo", &[]),
        ];
        let cond = |when: &str, roles: &[(&str, &str)]| Condition {
            activity: "networking.network.tls".into(),
            when: when.into(),
            roles: roles
                .iter()
                .map(|(p, l)| (p.to_string(), l.to_string()))
                .collect(),
            why: text("shift"),
        };
        m.audit.conditions = vec![
            cond(
                "size(objects(\"X\")) > 0",
                &[("user", "RA"), ("byzaneo", "I")],
            ),
            cond("size((", &[("user", "RZ"), ("nobody", "R")]),
        ];
        let f = found(&m, &opts());
        assert!(has(&f, "unknown-party", "/audit/managed/1/party"), "{f:#?}");
        assert!(has(&f, "empty-scope", "/audit/managed/2"));
        assert!(has(&f, "invalid-condition", "/audit/conditions/1/when"));
        assert!(!has(&f, "invalid-condition", "/audit/conditions/0/when"));
        assert!(has(&f, "unknown-letter", "/audit/conditions/1/roles/user"));
        assert!(has(&f, "unknown-party", "/audit/conditions/1/roles/nobody"));
        assert!(
            f.iter()
                .all(|(r, p)| p.starts_with("/audit/") || *r == "missing-responsible"),
            "{f:#?}"
        );
    }

    #[test]
    fn a_link_to_a_row_nobody_holds_can_never_land() {
        let mut m = model("h8lio");
        let tls = "networking.network.tls";
        m.audit.evidence = vec![link(tls, "tls.ingress-cert", &[], LinkKind::Provide)];
        assert!(found(&m, &opts()).is_empty());
        for cell in m
            .activities
            .iter_mut()
            .find(|a| a.id == tls)
            .unwrap()
            .roles
            .values_mut()
        {
            *cell = "I".into();
        }
        let f = found(&m, &opts());
        assert!(
            has(&f, "link-without-duty", "/audit/evidence/0/activity"),
            "{f:#?}"
        );
        // A condition that gives someone R or A makes the link useful again.
        m.audit.conditions = vec![Condition {
            activity: tls.into(),
            when: "true".into(),
            roles: [("user".to_string(), "RA".to_string())]
                .into_iter()
                .collect(),
            why: text("shift"),
        }];
        assert!(!has(
            &found(&m, &opts()),
            "link-without-duty",
            "/audit/evidence/0/activity"
        ));
    }
}
