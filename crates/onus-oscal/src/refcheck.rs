//! Referential checks of OSCAL documents: what the JSON schema cannot see.
//!
//! The schema checks shapes; it cannot check that a `role-id` names a declared role, that a
//! `party-uuid` names a declared party, that a responsibility's `provided-uuid` names something
//! its export provides, or that an id is used once. These checks work on any OSCAL document,
//! whoever wrote it.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;
use serde_json::Value;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; the document is fine.
    Note,
    /// Probably wrong.
    Warning,
    /// A broken reference or a structure OSCAL forbids.
    Error,
}

/// A problem found in an OSCAL document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Name of the rule (`unknown-role`).
    pub rule: &'static str,
    pub severity: Severity,
    /// JSON Pointer to the offending value.
    pub path: String,
    pub message: String,
}

/// The rules of [`check`], with a one-line summary each.
pub const RULES: &[(&str, &str)] = &[
    (
        "not-oscal",
        "the document has no OSCAL root (`system-security-plan`, `component-definition`, ...)",
    ),
    (
        "empty-array",
        "an array is empty (OSCAL arrays hold at least one item)",
    ),
    ("duplicate-uuid", "two elements share a UUID"),
    (
        "unknown-role",
        "a `role-id` names no role of `metadata.roles`",
    ),
    (
        "unknown-party",
        "a party UUID names no party of `metadata.parties`",
    ),
    (
        "unknown-component",
        "a `component-uuid` names no component of the document",
    ),
    (
        "unresolved-provided-uuid",
        "a responsibility's `provided-uuid` names nothing its export provides",
    ),
    (
        "unresolved-leveraged",
        "an `inherited` or `satisfied` entry names nothing the leveraged SSP provides or leaves",
    ),
    (
        "leveraged-unchecked",
        "`inherited` and `satisfied` refer to a leveraged SSP that was not given",
    ),
    (
        "unknown-observation",
        "a related observation names no observation of the document",
    ),
    (
        "unresolved-fragment",
        "an `#uuid` link names no resource or element of the document",
    ),
    (
        "unknown-leveraged-authorization",
        "a component's `leveraged-authorization-uuid` names no entry of `leveraged-authorizations`",
    ),
    (
        "unresolved-statement",
        "a finding's `implementation-statement-uuid` names nothing in the SSP the assessment imports",
    ),
    (
        "statement-unchecked",
        "(note) findings point into an SSP the document does not embed, so they were not checked",
    ),
    (
        "unknown-subject",
        "a `subject-uuid` names no party, inventory item, component, user or resource the document or its SSP declares",
    ),
    (
        "foreign-statement",
        "a `statement-id` is not a statement of its implemented requirement's control",
    ),
    (
        "embedded-unreadable",
        "a back-matter resource an import or link points to holds base64 that is not an OSCAL JSON document",
    ),
    (
        "duplicate-role",
        "a list of responsible roles names a role twice",
    ),
    (
        "duplicate-statement",
        "an implemented requirement holds a `statement-id` twice",
    ),
    (
        "duplicate-by-component",
        "an implemented requirement or statement holds a component twice",
    ),
];

/// The OSCAL models onus knows by their root key.
pub const ROOTS: &[&str] = &[
    "catalog",
    "profile",
    "mapping-collection",
    "component-definition",
    "system-security-plan",
    "assessment-plan",
    "assessment-results",
    "plan-of-action-and-milestones",
];

/// The root key of an OSCAL document (`system-security-plan`), if it has one.
pub fn oscal_root(doc: &Value) -> Option<&'static str> {
    let o = doc.as_object()?;
    ROOTS
        .iter()
        .copied()
        .find(|r| o.get(*r).is_some_and(Value::is_object))
}

/// Runs every referential check on a document on its own. References to a leveraged SSP
/// (`inherited`, `satisfied`) are not resolved; a note says so.
pub fn check(doc: &Value) -> Vec<Finding> {
    check_with(doc, &[])
}

/// Runs every referential check, resolving `inherited.provided-uuid` and
/// `satisfied.responsibility-uuid` against the given leveraged SSPs and against the SSP a
/// `leveraged-authorizations` link embeds in the back-matter. Documents embedded in the
/// back-matter that an import or a link points to (an assessment plan, an SSP) are checked
/// too, their findings' paths under the resource's `base64`; an assessment's findings are
/// resolved against the SSP its plan imports.
pub fn check_with(doc: &Value, leveraged: &[&Value]) -> Vec<Finding> {
    check_depth(doc, leveraged, 0)
}

/// How deep embedded documents are followed (an AR embeds a plan that embeds an SSP that
/// embeds the leveraged SSP).
const MAX_DEPTH: usize = 4;

/// The documents a back-matter embeds, by resource UUID, with the resource's index.
fn embedded_docs(body: &Value) -> Vec<(String, usize, Result<Value, String>)> {
    body["back-matter"]["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, r)| {
            let uuid = r["uuid"].as_str()?.to_string();
            let media = r["base64"]["media-type"].as_str().unwrap_or("");
            if !media.starts_with("application/oscal") {
                return None;
            }
            let doc = crate::common::embedded_json(r)?.and_then(|d| {
                oscal_root(&d)
                    .map(|_| d.clone())
                    .ok_or_else(|| "no OSCAL root".to_string())
            });
            Some((uuid, i, doc))
        })
        .collect()
}

/// Every `uuid` declared anywhere in a document.
fn all_uuids(v: &Value, out: &mut HashSet<String>) {
    match v {
        Value::Object(o) => {
            if let Some(u) = o.get("uuid").and_then(Value::as_str) {
                out.insert(u.to_string());
            }
            o.values().for_each(|x| all_uuids(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| all_uuids(x, out)),
        _ => {}
    }
}

/// The items of the array `key` of an object, with their indexes (none when it is absent).
fn items<'v>(
    o: &'v serde_json::Map<String, Value>,
    key: &str,
) -> impl Iterator<Item = (usize, &'v Value)> {
    o.get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
}

/// The string values of `field` in the objects of an array.
fn field_set(array: &Value, field: &str) -> HashSet<String> {
    array
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x[field].as_str())
        .map(str::to_string)
        .collect()
}

/// The `#uuid` an href names, if it is a fragment.
fn fragment(v: &Value) -> Option<&str> {
    v.as_str()?.strip_prefix('#')
}

fn check_depth(doc: &Value, leveraged: &[&Value], depth: usize) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(root) = oscal_root(doc) else {
        out.push(Finding {
            rule: "not-oscal",
            severity: Severity::Error,
            path: String::new(),
            message: format!("no OSCAL root key; expected one of {}", ROOTS.join(", ")),
        });
        return out;
    };
    let body = &doc[root];
    let mut ctx = Ctx::default();
    let md = &body["metadata"];
    ctx.roles = field_set(&md["roles"], "id");
    ctx.parties = field_set(&md["parties"], "uuid");
    ctx.resources = field_set(&body["back-matter"]["resources"], "uuid");
    collect(body, None, &mut ctx);
    ctx.leveraged_authorizations = field_set(
        &body["system-implementation"]["leveraged-authorizations"],
        "uuid",
    );
    // Documents the back-matter embeds, and which of them links and imports point to.
    let embedded = if depth < MAX_DEPTH {
        embedded_docs(body)
    } else {
        vec![]
    };
    let linked_ssps: Vec<&str> = body["system-implementation"]["leveraged-authorizations"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|l| l["links"].as_array().into_iter().flatten())
        .filter(|l| l["rel"].as_str() == Some("system-security-plan"))
        .filter_map(|l| fragment(&l["href"]))
        .collect();
    let imported: Vec<&str> = ["import-ap", "import-ssp"]
        .iter()
        .filter_map(|k| fragment(&body[*k]["href"]))
        .collect();
    let mut own_leveraged: Vec<Value> = Vec::new();
    let mut imported_ssp: Option<Value> = None;
    for (uuid, i, d) in &embedded {
        let used = linked_ssps.contains(&uuid.as_str()) || imported.contains(&uuid.as_str());
        if !used {
            continue;
        }
        let at = format!("/{root}/back-matter/resources/{i}/base64");
        match d {
            Err(e) => out.push(Finding {
                rule: "embedded-unreadable",
                severity: Severity::Error,
                path: at,
                message: format!("resource {uuid} does not hold an OSCAL JSON document: {e}"),
            }),
            Ok(d) => {
                for mut f in check_depth(d, &[], depth + 1) {
                    f.path = format!("{at}{}", f.path);
                    out.push(f);
                }
                if linked_ssps.contains(&uuid.as_str()) {
                    own_leveraged.push(d.clone());
                }
                if !imported.contains(&uuid.as_str()) {
                    // A leveraged SSP: `inherited` and `satisfied` resolve against it.
                } else if oscal_root(d) == Some("system-security-plan") {
                    imported_ssp = Some(d.clone());
                } else if let Some(r) = oscal_root(d) {
                    // An assessment plan: the SSP it imports, embedded in it.
                    let inner = &d[r];
                    if let Some(h) = fragment(&inner["import-ssp"]["href"]) {
                        imported_ssp = embedded_docs(inner)
                            .into_iter()
                            .find(|(u, _, _)| u == h)
                            .and_then(|(_, _, d)| d.ok());
                    }
                }
            }
        }
    }
    if let Some(ssp) = &imported_ssp {
        all_uuids(ssp, &mut ctx.ssp_uuids);
        ctx.have_ssp = true;
    }
    let mut lev_provided = HashSet::new();
    let mut lev_resp = HashSet::new();
    let leveraged: Vec<&Value> = leveraged
        .iter()
        .copied()
        .chain(own_leveraged.iter())
        .collect();
    for l in &leveraged {
        collect_exports(l, &mut lev_provided, &mut lev_resp);
    }
    let mut w = Walk {
        ctx: &ctx,
        out: &mut out,
        have_leveraged: !leveraged.is_empty(),
        lev_provided,
        lev_resp,
        external: 0,
        unchecked_statements: 0,
    };
    w.walk(body, &format!("/{root}"), "");
    let external = w.external;
    let unchecked_statements = w.unchecked_statements;
    if unchecked_statements > 0 {
        out.push(Finding {
            rule: "statement-unchecked",
            severity: Severity::Note,
            path: format!("/{root}"),
            message: format!("{unchecked_statements} `implementation-statement-uuid` references point into an SSP this document does not embed: they were not checked"),
        });
    }
    for (uuid, n) in &ctx.uuid_count {
        if *n > 1 {
            out.push(Finding {
                rule: "duplicate-uuid",
                severity: Severity::Error,
                path: format!("/{root}"),
                message: format!("UUID {uuid} is given to {n} elements"),
            });
        }
    }
    if external > 0 && leveraged.is_empty() {
        out.push(Finding {
            rule: "leveraged-unchecked",
            severity: Severity::Note,
            path: format!("/{root}/control-implementation"),
            message: format!("{external} references to a leveraged SSP (`inherited.provided-uuid`, `satisfied.responsibility-uuid`) were not checked: give the leveraged SSP to resolve them"),
        });
    }
    out.sort_by(|a, b| a.path.cmp(&b.path).then(a.rule.cmp(b.rule)));
    out
}

#[derive(Default)]
struct Ctx {
    roles: HashSet<String>,
    parties: HashSet<String>,
    resources: HashSet<String>,
    components: HashSet<String>,
    observations: HashSet<String>,
    uuids: HashSet<String>,
    uuid_count: BTreeMap<String, usize>,
    leveraged_authorizations: HashSet<String>,
    /// Every UUID of the SSP an assessment imports (through its plan), when embedded.
    ssp_uuids: HashSet<String>,
    have_ssp: bool,
}

/// Collects declared UUIDs: every `uuid`, the components, the observations.
fn collect(v: &Value, key: Option<&str>, ctx: &mut Ctx) {
    match v {
        Value::Object(o) => {
            if let Some(u) = o.get("uuid").and_then(Value::as_str) {
                ctx.uuids.insert(u.to_string());
                *ctx.uuid_count.entry(u.to_string()).or_default() += 1;
                match key {
                    Some("components") => {
                        ctx.components.insert(u.to_string());
                    }
                    Some("observations") => {
                        ctx.observations.insert(u.to_string());
                    }
                    _ => {}
                }
            }
            for (k, v) in o {
                collect(v, Some(k), ctx);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect(x, key, ctx)),
        _ => {}
    }
}

/// The UUIDs of every `export.provided` and `export.responsibilities` entry of a document.
fn collect_exports(v: &Value, provided: &mut HashSet<String>, resp: &mut HashSet<String>) {
    match v {
        Value::Object(o) => {
            if let Some(e) = o.get("export") {
                for p in e["provided"].as_array().into_iter().flatten() {
                    provided.extend(p["uuid"].as_str().map(str::to_string));
                }
                for r in e["responsibilities"].as_array().into_iter().flatten() {
                    resp.extend(r["uuid"].as_str().map(str::to_string));
                }
            }
            o.values().for_each(|x| collect_exports(x, provided, resp));
        }
        Value::Array(a) => a.iter().for_each(|x| collect_exports(x, provided, resp)),
        _ => {}
    }
}

struct Walk<'a> {
    ctx: &'a Ctx,
    out: &'a mut Vec<Finding>,
    have_leveraged: bool,
    lev_provided: HashSet<String>,
    lev_resp: HashSet<String>,
    external: usize,
    unchecked_statements: usize,
}

impl Walk<'_> {
    fn err(&mut self, rule: &'static str, path: String, message: String) {
        self.out.push(Finding {
            rule,
            severity: Severity::Error,
            path,
            message,
        });
    }

    /// Checks that the reference in `one` (a string) and those in `many` (an array of strings)
    /// are declared in the set `set` picks; `message` has one `{}` for the reference.
    #[allow(clippy::too_many_arguments)]
    fn declared(
        &mut self,
        o: &serde_json::Map<String, Value>,
        path: &str,
        one: &str,
        many: &str,
        set: fn(&Ctx) -> &HashSet<String>,
        rule: &'static str,
        message: &str,
    ) {
        let mut refs: Vec<(String, &str)> = Vec::new();
        if let Some(r) = o.get(one).and_then(Value::as_str) {
            refs.push((format!("{path}/{one}"), r));
        }
        for (i, r) in o
            .get(many)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if let Some(r) = r.as_str() {
                refs.push((format!("{path}/{many}/{i}"), r));
            }
        }
        for (at, r) in refs {
            if !set(self.ctx).contains(r) {
                self.err(rule, at, message.replacen("{}", r, 1));
            }
        }
    }

    fn walk(&mut self, v: &Value, path: &str, key: &str) {
        match v {
            Value::Array(a) => {
                if a.is_empty() {
                    self.err(
                        "empty-array",
                        path.to_string(),
                        format!("`{key}` is empty; leave it out instead"),
                    );
                }
                for (i, x) in a.iter().enumerate() {
                    self.walk(x, &format!("{path}/{i}"), key);
                }
            }
            Value::Object(o) => {
                self.object(o, path, key);
                for (k, x) in o {
                    self.walk(
                        x,
                        &format!("{path}/{}", k.replace('~', "~0").replace('/', "~1")),
                        k,
                    );
                }
            }
            _ => {}
        }
    }

    fn object(&mut self, o: &serde_json::Map<String, Value>, path: &str, key: &str) {
        self.declared(
            o,
            path,
            "role-id",
            "role-ids",
            |c| &c.roles,
            "unknown-role",
            "role `{}` is not declared in `metadata.roles`",
        );
        self.declared(
            o,
            path,
            "party-uuid",
            "party-uuids",
            |c| &c.parties,
            "unknown-party",
            "party {} is not declared in `metadata.parties`",
        );
        if matches!(key, "by-components" | "incorporates-components") {
            if let Some(c) = o.get("component-uuid").and_then(Value::as_str) {
                if !self.ctx.components.contains(c) {
                    self.err(
                        "unknown-component",
                        format!("{path}/component-uuid"),
                        format!("component {c} is not declared"),
                    );
                }
            }
        }
        if let Some(e) = o.get("export").and_then(Value::as_object) {
            let provided: HashSet<&str> = e
                .get("provided")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|p| p["uuid"].as_str())
                .collect();
            for (i, r) in items(e, "responsibilities") {
                if let Some(p) = r["provided-uuid"]
                    .as_str()
                    .filter(|p| !provided.contains(*p))
                {
                    self.err("unresolved-provided-uuid", format!("{path}/export/responsibilities/{i}/provided-uuid"), format!("{p} is not the UUID of an `export.provided` entry of this by-component"));
                }
            }
        }
        if key == "components" {
            for (i, p) in items(o, "props") {
                if p["name"].as_str() != Some("leveraged-authorization-uuid")
                    || p.get("ns").is_some()
                {
                    continue;
                }
                if let Some(v) = p["value"].as_str() {
                    if !self.ctx.leveraged_authorizations.contains(v) {
                        self.err("unknown-leveraged-authorization", format!("{path}/props/{i}/value"), format!("{v} is not the UUID of an entry of `system-implementation.leveraged-authorizations`"));
                    }
                }
            }
        }
        if let Some(u) = o
            .get("implementation-statement-uuid")
            .and_then(Value::as_str)
        {
            if !self.ctx.have_ssp {
                self.unchecked_statements += 1;
            } else if !self.ctx.ssp_uuids.contains(u) {
                self.err(
                    "unresolved-statement",
                    format!("{path}/implementation-statement-uuid"),
                    format!("{u} names nothing in the SSP the assessment imports"),
                );
            }
        }
        if key == "subjects" {
            if let Some(u) = o.get("subject-uuid").and_then(Value::as_str) {
                let known = self.ctx.uuids.contains(u)
                    || self.ctx.parties.contains(u)
                    || self.ctx.ssp_uuids.contains(u);
                if !known
                    && (self.ctx.have_ssp || o.get("type").and_then(Value::as_str) == Some("party"))
                {
                    self.err("unknown-subject", format!("{path}/subject-uuid"), format!("subject {u} is declared neither in this document nor in the SSP it imports"));
                }
            }
        }
        if key == "implemented-requirements" {
            if let Some(control) = o.get("control-id").and_then(Value::as_str) {
                for (i, st) in items(o, "statements") {
                    if let Some(id) = st["statement-id"].as_str() {
                        if !id.starts_with(&format!("{control}_")) {
                            self.err(
                                "foreign-statement",
                                format!("{path}/statements/{i}/statement-id"),
                                format!("`{id}` is not a statement of `{control}`"),
                            );
                        }
                    }
                }
            }
        }
        self.leveraged(o, path, "inherited", "provided-uuid");
        self.leveraged(o, path, "satisfied", "responsibility-uuid");
        if key == "related-observations" {
            if let Some(u) = o.get("observation-uuid").and_then(Value::as_str) {
                if !self.ctx.observations.contains(u) {
                    self.err(
                        "unknown-observation",
                        format!("{path}/observation-uuid"),
                        format!("observation {u} is not in the document"),
                    );
                }
            }
        }
        if let Some(h) = o
            .get("href")
            .and_then(Value::as_str)
            .and_then(|h| h.strip_prefix('#'))
        {
            let ok = if matches!(key, "import-profile" | "import-ap" | "import-ssp") {
                self.ctx.resources.contains(h)
            } else {
                self.ctx.uuids.contains(h)
            };
            if !ok {
                self.err(
                    "unresolved-fragment",
                    format!("{path}/href"),
                    format!(
                        "`#{h}` names no {} of this document",
                        if key.starts_with("import") {
                            "back-matter resource"
                        } else {
                            "element"
                        }
                    ),
                );
            }
        }
        self.unique(o, path, "responsible-roles", "role-id", "duplicate-role");
        self.unique(o, path, "responsible-parties", "role-id", "duplicate-role");
        self.unique(o, path, "statements", "statement-id", "duplicate-statement");
        self.unique(
            o,
            path,
            "by-components",
            "component-uuid",
            "duplicate-by-component",
        );
    }

    fn leveraged(
        &mut self,
        o: &serde_json::Map<String, Value>,
        path: &str,
        list: &str,
        field: &str,
    ) {
        for (i, e) in o
            .get(list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let Some(u) = e[field].as_str() else { continue };
            if !self.have_leveraged {
                self.external += 1;
                continue;
            }
            let known = if list == "inherited" {
                &self.lev_provided
            } else {
                &self.lev_resp
            };
            if !known.contains(u) {
                self.err(
                    "unresolved-leveraged",
                    format!("{path}/{list}/{i}/{field}"),
                    format!(
                        "{u} is not {} of the leveraged SSP",
                        if list == "inherited" {
                            "provided"
                        } else {
                            "a responsibility"
                        }
                    ),
                );
            }
        }
    }

    fn unique(
        &mut self,
        o: &serde_json::Map<String, Value>,
        path: &str,
        list: &str,
        field: &str,
        rule: &'static str,
    ) {
        let mut seen = HashMap::new();
        for (i, e) in o
            .get(list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if let Some(k) = e[field].as_str() {
                if let Some(first) = seen.insert(k, i) {
                    self.err(
                        rule,
                        format!("{path}/{list}/{i}/{field}"),
                        format!("`{k}` already at {path}/{list}/{first}"),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_broken_references() {
        let doc = json!({"system-security-plan": {
            "uuid": "11111111-1111-4111-8111-111111111111",
            "metadata": {"roles": [{"id": "provider"}], "parties": [{"uuid": "22222222-2222-4222-8222-222222222222"}], "props": []},
            "system-implementation": {"components": [{"uuid": "33333333-3333-4333-8333-333333333333"}]},
            "control-implementation": {"implemented-requirements": [{
                "uuid": "44444444-4444-4444-8444-444444444444",
                "by-components": [{
                    "component-uuid": "55555555-5555-4555-8555-555555555555",
                    "uuid": "44444444-4444-4444-8444-444444444444",
                    "export": {"provided": [{"uuid": "66666666-6666-4666-8666-666666666666", "responsible-roles": [{"role-id": "provider", "party-uuids": ["77777777-7777-4777-8777-777777777777"]}, {"role-id": "provider"}]}],
                               "responsibilities": [{"uuid": "88888888-8888-4888-8888-888888888888", "provided-uuid": "99999999-9999-4999-8999-999999999999", "responsible-roles": [{"role-id": "customer"}]}]},
                }],
            }]},
        }});
        let rules: Vec<&str> = check(&doc).iter().map(|f| f.rule).collect();
        for r in [
            "empty-array",
            "duplicate-uuid",
            "unknown-component",
            "unknown-party",
            "duplicate-role",
            "unresolved-provided-uuid",
            "unknown-role",
        ] {
            assert!(rules.contains(&r), "{r} not in {rules:?}");
        }
        assert_eq!(check(&json!({"x": 1}))[0].rule, "not-oscal");
    }
}
