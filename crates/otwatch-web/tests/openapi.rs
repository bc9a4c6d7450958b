//! The OpenAPI document (`assets/openapi.json`) against the code: the same routes
//! as `api::ROUTES` (both directions), every path parameter declared, every `$ref`
//! resolvable, security consistent with the middleware, and real responses of the
//! in-process console matching the documented status codes and schemas.
//!
//! Each structural check is a function returning its problems, so the tests below
//! can show that it reports a broken document (`*_catches_*`), not only that the
//! shipped one passes.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::*;
use otwatch_web::api::ROUTES;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn spec() -> Value {
    serde_json::from_str(include_str!("../assets/openapi.json"))
        .expect("assets/openapi.json is JSON")
}

/// An operation as (method, path).
type Op = (String, String);

/// (method, path) of every operation in `paths`.
fn operations(spec: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (path, item) in spec["paths"].as_object().into_iter().flatten() {
        for (k, _) in item.as_object().into_iter().flatten() {
            if METHODS.contains(&k.as_str()) {
                out.push((k.clone(), path.clone()));
            }
        }
    }
    out
}

/// Routes the spec lacks and operations the code lacks.
fn route_mismatches(spec: &Value, routes: &[(&str, &str)]) -> (Vec<Op>, Vec<Op>) {
    let in_spec: BTreeSet<(String, String)> = operations(spec).into_iter().collect();
    let in_code: BTreeSet<(String, String)> = routes
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    (
        in_code.difference(&in_spec).cloned().collect(),
        in_spec.difference(&in_code).cloned().collect(),
    )
}

/// The value at a local JSON pointer (`#/components/schemas/X`).
fn resolve<'a>(spec: &'a Value, r: &str) -> Option<&'a Value> {
    let ptr = r.strip_prefix('#')?;
    spec.pointer(ptr)
}

/// Follows `$ref`s (chains included) to the referenced value.
fn deref<'a>(spec: &'a Value, mut v: &'a Value) -> &'a Value {
    for _ in 0..16 {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => v = resolve(spec, r).unwrap_or(&Value::Null),
            None => return v,
        }
    }
    &Value::Null
}

/// Every `$ref` that is not a local reference into `components` or does not resolve.
fn dangling_refs(spec: &Value) -> Vec<String> {
    fn walk(spec: &Value, v: &Value, at: &str, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    let here = format!("{at}/{k}");
                    if k == "$ref" {
                        match x.as_str() {
                            Some(r) if r.starts_with("#/components/") => {
                                if resolve(spec, r).is_none() {
                                    out.push(format!("{here}: {r} does not resolve"));
                                }
                            }
                            _ => out.push(format!("{here}: {x} is not a #/components/ reference")),
                        }
                    } else {
                        walk(spec, x, &here, out);
                    }
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    walk(spec, x, &format!("{at}/{i}"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(spec, spec, "#", &mut out);
    // Discriminator mappings name schemas by reference too.
    for (name, s) in spec["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
    {
        for (k, r) in s["discriminator"]["mapping"]
            .as_object()
            .into_iter()
            .flatten()
        {
            let r = r.as_str().unwrap_or_default();
            if !r.starts_with("#/components/") || resolve(spec, r).is_none() {
                out.push(format!("{name} discriminator {k}: {r} does not resolve"));
            }
        }
    }
    out
}

/// The names in `{...}` of a path template.
fn template_params(path: &str) -> BTreeSet<String> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .map(str::to_owned)
        .collect()
}

/// Path parameters used but not declared (path item or operation, `in: path`,
/// `required: true`), and declared but not in the template.
fn path_param_problems(spec: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for (method, path) in operations(spec) {
        let item = &spec["paths"][&path];
        let mut declared = BTreeSet::new();
        for list in [&item["parameters"], &item[&method]["parameters"]] {
            for p in list.as_array().into_iter().flatten() {
                let p = deref(spec, p);
                if p["in"] != "path" {
                    continue;
                }
                let name = p["name"].as_str().unwrap_or_default().to_owned();
                if p["required"] != true {
                    out.push(format!(
                        "{method} {path}: path parameter {name} is not required"
                    ));
                }
                declared.insert(name);
            }
        }
        let used = template_params(&path);
        for n in used.difference(&declared) {
            out.push(format!("{method} {path}: {{{n}}} is not declared"));
        }
        for n in declared.difference(&used) {
            out.push(format!(
                "{method} {path}: path parameter {n} is not in the template"
            ));
        }
    }
    out
}

/// Validates `v` against a JSON Schema (the 2020-12 subset the document uses).
/// Unknown keywords are reported, so the document cannot outgrow the validator
/// without notice. `pattern` is not checked (no regex engine here).
fn validate(spec: &Value, schema: &Value, v: &Value, at: &str, errs: &mut Vec<String>) {
    const ANNOTATIONS: [&str; 6] = [
        "description",
        "default",
        "example",
        "examples",
        "discriminator",
        "pattern",
    ];
    let s = match schema {
        Value::Bool(true) => return,
        Value::Bool(false) => return errs.push(format!("{at}: nothing is allowed here")),
        Value::Object(m) => m,
        _ => return errs.push(format!("{at}: schema is not an object")),
    };
    for (k, x) in s {
        match k.as_str() {
            "$ref" => match resolve(spec, x.as_str().unwrap_or_default()) {
                Some(t) => validate(spec, t, v, at, errs),
                None => errs.push(format!("{at}: unresolved {x}")),
            },
            "type" => {
                let types: Vec<&str> = match x {
                    Value::String(t) => vec![t.as_str()],
                    Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                    _ => vec![],
                };
                let ok = types.iter().any(|t| match *t {
                    "null" => v.is_null(),
                    "boolean" => v.is_boolean(),
                    "string" => v.is_string(),
                    "number" => v.is_number(),
                    "integer" => v.is_i64() || v.is_u64(),
                    "array" => v.is_array(),
                    "object" => v.is_object(),
                    _ => false,
                });
                if !ok {
                    errs.push(format!("{at}: {v} is not {x}"));
                }
            }
            "const" if v != x => errs.push(format!("{at}: {v} is not {x}")),
            "enum" if !x.as_array().is_some_and(|a| a.contains(v)) => {
                errs.push(format!("{at}: {v} is not one of {x}"));
            }
            "minimum" if v.as_f64().zip(x.as_f64()).is_some_and(|(a, b)| a < b) => {
                errs.push(format!("{at}: {v} < {x}"));
            }
            "maximum" if v.as_f64().zip(x.as_f64()).is_some_and(|(a, b)| a > b) => {
                errs.push(format!("{at}: {v} > {x}"));
            }
            "minLength" | "maxLength" => {
                if let (Some(t), Some(n)) = (v.as_str(), x.as_u64()) {
                    let len = t.chars().count() as u64;
                    if (k == "minLength" && len < n) || (k == "maxLength" && len > n) {
                        errs.push(format!("{at}: length {len} violates {k} {n}"));
                    }
                }
            }
            "minItems" | "maxItems" => {
                if let (Some(a), Some(n)) = (v.as_array(), x.as_u64()) {
                    let len = a.len() as u64;
                    if (k == "minItems" && len < n) || (k == "maxItems" && len > n) {
                        errs.push(format!("{at}: {len} items violates {k} {n}"));
                    }
                }
            }
            "prefixItems" => {
                if let (Some(a), Some(ps)) = (v.as_array(), x.as_array()) {
                    for (i, (item, ps)) in a.iter().zip(ps).enumerate() {
                        validate(spec, ps, item, &format!("{at}/{i}"), errs);
                    }
                }
            }
            "items" => {
                if let Some(a) = v.as_array() {
                    let skip = s
                        .get("prefixItems")
                        .and_then(Value::as_array)
                        .map_or(0, Vec::len);
                    for (i, item) in a.iter().enumerate().skip(skip) {
                        validate(spec, x, item, &format!("{at}/{i}"), errs);
                    }
                }
            }
            "required" => {
                if let Some(o) = v.as_object() {
                    for r in x.as_array().into_iter().flatten().filter_map(Value::as_str) {
                        if !o.contains_key(r) {
                            errs.push(format!("{at}: missing required {r}"));
                        }
                    }
                }
            }
            "properties" => {
                if let Some(o) = v.as_object() {
                    for (name, ps) in x.as_object().into_iter().flatten() {
                        if let Some(pv) = o.get(name) {
                            validate(spec, ps, pv, &format!("{at}/{name}"), errs);
                        }
                    }
                }
            }
            "additionalProperties" => {
                if let Some(o) = v.as_object() {
                    let props = s.get("properties").and_then(Value::as_object);
                    for (name, pv) in o {
                        if !props.is_some_and(|p| p.contains_key(name)) {
                            let mut sub = Vec::new();
                            validate(spec, x, pv, &format!("{at}/{name}"), &mut sub);
                            if !sub.is_empty() {
                                errs.push(format!("{at}: undocumented property {name}"));
                            }
                        }
                    }
                }
            }
            "oneOf" | "anyOf" => {
                let alts = x.as_array().map(Vec::as_slice).unwrap_or_default();
                let mut failures = Vec::new();
                let matching = alts
                    .iter()
                    .filter(|a| {
                        let mut sub = Vec::new();
                        validate(spec, a, v, at, &mut sub);
                        let ok = sub.is_empty();
                        failures.extend(sub);
                        ok
                    })
                    .count();
                if matching == 0 || (k == "oneOf" && matching > 1) {
                    errs.push(format!(
                        "{at}: {matching} of {} {k} alternatives match ({failures:?})",
                        alts.len()
                    ));
                }
            }
            "const" | "enum" | "minimum" | "maximum" => {}
            a if ANNOTATIONS.contains(&a) => {}
            other => errs.push(format!("{at}: the test validator does not know {other}")),
        }
    }
}

fn check(spec: &Value, schema: &Value, v: &Value) -> Vec<String> {
    let mut errs = Vec::new();
    validate(spec, schema, v, "$", &mut errs);
    errs
}

fn operation<'a>(spec: &'a Value, method: &str, path: &str) -> &'a Value {
    &spec["paths"][path][method]
}

/// Problems with operation metadata: summary, unique operationId, a 2xx answer,
/// a known `x-otwatch-role`, security in line with `mw::is_public` and CSRF on
/// state-changing requests, request-body examples valid against their schema.
fn operation_problems(spec: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut ids = BTreeSet::new();
    let schemes = &spec["components"]["securitySchemes"];
    for (method, path) in operations(spec) {
        let op = operation(spec, &method, &path);
        let at = format!("{method} {path}");
        if op["summary"].as_str().is_none_or(|s| s.trim().is_empty()) {
            out.push(format!("{at}: no summary"));
        }
        match op["operationId"].as_str() {
            Some(id) if ids.insert(id.to_owned()) => {}
            other => out.push(format!("{at}: missing or duplicate operationId {other:?}")),
        }
        let responses = op["responses"].as_object();
        if !responses.is_some_and(|r| r.keys().any(|c| c.starts_with('2'))) {
            out.push(format!("{at}: no 2xx response"));
        }
        for (code, r) in responses.into_iter().flatten() {
            if deref(spec, r)["description"].as_str().is_none() {
                out.push(format!("{at}: response {code} has no description"));
            }
        }
        let role = op["x-otwatch-role"].as_str().unwrap_or_default();
        if !["public", "any", "viewer", "analyst", "admin"].contains(&role) {
            out.push(format!("{at}: x-otwatch-role {role:?}"));
        }
        let public = otwatch_web::mw::is_public(&path);
        if public != (role == "public") {
            out.push(format!(
                "{at}: x-otwatch-role {role} but is_public={public}"
            ));
        }
        let security = op.get("security").unwrap_or(&spec["security"]);
        let alts = security.as_array().map(Vec::as_slice).unwrap_or_default();
        let anonymous = alts.is_empty() || alts.iter().any(|a| a == &json!({}));
        if public != anonymous {
            out.push(format!(
                "{at}: anonymous access {anonymous} but is_public={public}"
            ));
        }
        for a in alts {
            for name in a.as_object().into_iter().flatten().map(|(k, _)| k) {
                if schemes.get(name).is_none() {
                    out.push(format!("{at}: unknown security scheme {name}"));
                }
            }
            let csrf_needed = !public && method != "get" && a.get("sessionCookie").is_some();
            if csrf_needed && a.get("csrfToken").is_none() {
                out.push(format!(
                    "{at}: session without csrfToken on a state-changing request"
                ));
            }
        }
        if !public && !op["responses"]["401"].is_object() {
            out.push(format!("{at}: no 401"));
        }
        if let Some(body) = op.get("requestBody") {
            let media = &deref(spec, body)["content"]["application/json"];
            match media.get("example") {
                Some(ex) => {
                    for e in check(spec, &media["schema"], ex) {
                        out.push(format!("{at}: request example: {e}"));
                    }
                }
                None => out.push(format!("{at}: request body without example")),
            }
        }
    }
    out
}

#[test]
fn spec_is_openapi_3_1_for_this_version() {
    let s = spec();
    assert!(
        s["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")),
        "openapi = {}",
        s["openapi"]
    );
    assert_eq!(s["info"]["version"], env!("CARGO_PKG_VERSION"));
    assert!(s["info"]["title"].is_string());
}

#[test]
fn paths_match_routes_exactly() {
    let unique: BTreeSet<_> = ROUTES.iter().collect();
    assert_eq!(unique.len(), ROUTES.len(), "api::ROUTES has duplicates");
    let (missing, extra) = route_mismatches(&spec(), ROUTES);
    assert!(
        missing.is_empty(),
        "routes missing from the spec: {missing:?}"
    );
    assert!(extra.is_empty(), "spec operations with no route: {extra:?}");
    assert_eq!(operations(&spec()).len(), ROUTES.len());
}

#[test]
fn route_check_catches_missing_and_extra_operations() {
    let mut s = spec();
    s["paths"]["/api/v1/users/{name}"]
        .as_object_mut()
        .unwrap()
        .remove("patch");
    s["paths"]["/api/v1/alerts"]["delete"] = json!({"summary": "no such route"});
    s["paths"]["/api/v1/nope"] = json!({"get": {}});
    let (missing, extra) = route_mismatches(&s, ROUTES);
    assert_eq!(missing, [("patch".into(), "/api/v1/users/{name}".into())]);
    assert_eq!(
        extra,
        [
            ("delete".to_owned(), "/api/v1/alerts".to_owned()),
            ("get".to_owned(), "/api/v1/nope".to_owned())
        ]
    );
    // Path-item keys that are not methods are not operations.
    let mut s = spec();
    s["paths"]["/api/v1/alerts"]["summary"] = json!("Alerts");
    assert_eq!(route_mismatches(&s, ROUTES), (vec![], vec![]));
}

#[test]
fn path_parameters_are_declared() {
    let p = path_param_problems(&spec());
    assert!(p.is_empty(), "{p:#?}");
}

#[test]
fn path_parameter_check_catches_undeclared_and_stray_parameters() {
    let mut s = spec();
    s["paths"]["/api/v1/alerts/{id}"]
        .as_object_mut()
        .unwrap()
        .remove("parameters");
    s["paths"]["/api/v1/overview"]["get"]["parameters"] =
        json!([{"name": "x", "in": "path", "required": true, "schema": {"type": "string"}}]);
    s["components"]["parameters"]["UserName"]["required"] = json!(false);
    let p = path_param_problems(&s);
    assert!(
        p.iter()
            .any(|e| e == "get /api/v1/alerts/{id}: {id} is not declared"),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|e| e == "get /api/v1/overview: path parameter x is not in the template"),
        "{p:?}"
    );
    assert!(
        p.iter().any(|e| e.contains("name is not required")),
        "{p:?}"
    );
}

#[test]
fn every_ref_resolves() {
    let d = dangling_refs(&spec());
    assert!(d.is_empty(), "{d:#?}");
}

#[test]
fn ref_check_catches_dangling_references() {
    let mut s = spec();
    s["components"]["schemas"]
        .as_object_mut()
        .unwrap()
        .remove("Triage");
    s["paths"]["/api/v1/map"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] =
        json!({"$ref": "https://example.com/map.json"});
    let d = dangling_refs(&s);
    assert!(
        d.iter()
            .any(|e| e.contains("#/components/schemas/Triage does not resolve")),
        "{d:?}"
    );
    assert!(d.iter().any(|e| e.contains("map.json")), "{d:?}");
}

#[test]
fn operations_are_complete_and_secured_like_the_middleware() {
    let p = operation_problems(&spec());
    assert!(p.is_empty(), "{p:#?}");
    let mut s = spec();
    s["paths"]["/api/v1/tokens"]["post"]["security"] = json!([{"sessionCookie": []}]);
    s["paths"]["/api/v1/alerts"]["get"]["security"] = json!([]);
    s["paths"]["/api/v1/users"]["post"]["requestBody"]["content"]["application/json"]["example"] =
        json!({"username": "x", "role": "root", "password": "long-password-1"});
    let p = operation_problems(&s);
    assert_eq!(p.len(), 3, "{p:#?}");
}

#[test]
fn validator_rejects_wrong_shapes() {
    let s = spec();
    let alert = json!({"$ref": "#/components/schemas/Alert"});
    let mut a = json!({
        "ts": 1.0, "last_ts": 2.0, "id": "a", "kind": "k", "score": 50, "severity": "medium",
        "src": "s", "dst": "", "src_name": "", "dst_name": "", "proto": "", "mitre": [],
        "summary": "x", "evidence": {"any": ["thing"]}, "count": 1,
        "triage": {"status": "open", "assignee": null, "verdict": null, "comments": []},
        "incident_id": null,
    });
    assert_eq!(check(&s, &alert, &a), Vec::<String>::new());
    a["severity"] = json!("severe");
    a["extra"] = json!(1);
    a["triage"]["verdict"] = json!("maybe");
    a.as_object_mut().unwrap().remove("summary");
    assert_eq!(
        check(&s, &alert, &a).len(),
        4,
        "{:#?}",
        check(&s, &alert, &a)
    );
    let ov = json!({"$ref": "#/components/schemas/Overview"});
    let mut o = json!({"devices": 1, "devices_by_role": [["plc", 1]], "devices_by_zone": [],
        "devices_learning": 0, "alerts": 0, "alerts_open": 0, "open_incidents_by_severity": [],
        "alerts_over_time": [[0.0, 1]], "connections": 0, "data_span": null, "sensor": []});
    assert_eq!(check(&s, &ov, &o), Vec::<String>::new());
    o["devices_by_role"] = json!([["plc", 1, 2]]);
    o["data_span"] = json!([1.0]);
    // A triple is two violations (maxItems, the extra item), a 1-tuple one.
    assert_eq!(check(&s, &ov, &o).len(), 3, "{:#?}", check(&s, &ov, &o));
    let t = json!({"$ref": "#/components/schemas/TriageAction"});
    assert!(check(&s, &t, &json!({"action": "resolve", "verdict": "expected"})).is_empty());
    assert!(!check(&s, &t, &json!({"action": "resolve"})).is_empty());
    assert!(!check(&s, &t, &json!({"action": "delete"})).is_empty());
}

/// A concrete path for a template, with ids that exist in the fixture.
fn concrete(path: &str, name: &str, token: &str) -> String {
    let id = if path.starts_with("/api/v1/alerts/") {
        "a-1"
    } else if path.starts_with("/api/v1/incidents/") {
        "inc-1"
    } else if path.starts_with("/api/v1/devices/") {
        "00%3A80%3Af4%3A00%3A00%3A01"
    } else {
        token
    };
    path.replace("{id}", id).replace("{name}", name)
}

/// Sends requests and checks each answer against the document.
struct Checker {
    app: App,
    spec: Value,
    seen: BTreeSet<(String, String)>,
    problems: Vec<String>,
}

impl Checker {
    async fn send(&mut self, template: &str, req: Request<Body>) -> (StatusCode, Value) {
        let method = req.method().as_str().to_lowercase();
        let uri = req.uri().to_string();
        let at = format!("{method} {uri}");
        let r = self.app.send(req).await;
        let status = r.status();
        let ctype = r
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or_default().trim().to_owned());
        let bytes = body_bytes(r).await;
        self.seen.insert((method.clone(), template.to_owned()));
        let op = operation(&self.spec, &method, template);
        let Some(doc) = op["responses"].get(status.as_str()) else {
            self.problems
                .push(format!("{at}: status {status} is not documented"));
            return (status, Value::Null);
        };
        let doc = deref(&self.spec, doc).clone();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        match (doc.get("content"), ctype) {
            (None, _) if bytes.is_empty() => {}
            (None, c) => self.problems.push(format!(
                "{at}: {status} documents no body but got {c:?} {}",
                String::from_utf8_lossy(&bytes)
            )),
            (Some(content), Some(c)) => match content.get(&c) {
                None => self
                    .problems
                    .push(format!("{at}: {status} with undocumented content type {c}")),
                Some(media) if c == "application/json" => {
                    if serde_json::from_slice::<Value>(&bytes).is_err() {
                        self.problems.push(format!("{at}: body is not JSON"));
                    }
                    for e in check(&self.spec, &media["schema"], &body) {
                        self.problems.push(format!("{at}: {status}: {e}"));
                    }
                }
                Some(_) => {}
            },
            (Some(_), None) => self
                .problems
                .push(format!("{at}: {status} without a content type")),
        }
        (status, body)
    }

    /// Sends a JSON request and expects `want`.
    async fn json(
        &mut self,
        m: &str,
        template: &str,
        uri: &str,
        body: &Value,
        s: Option<&Session>,
        want: StatusCode,
    ) -> Value {
        let (st, v) = self.send(template, json_req(m, uri, body, s)).await;
        if st != want {
            self.problems
                .push(format!("{m} {uri}: got {st}, expected {want}: {v}"));
        }
        v
    }

    async fn get(
        &mut self,
        template: &str,
        uri: &str,
        s: Option<&Session>,
        want: StatusCode,
    ) -> Value {
        let (st, v) = self.send(template, get(uri, s)).await;
        if st != want {
            self.problems
                .push(format!("GET {uri}: got {st}, expected {want}: {v}"));
        }
        v
    }
}

fn bearer(method: &str, uri: &str, token: &str, body: Option<&Value>) -> Request<Body> {
    let b = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    match body {
        Some(v) => b
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(v.to_string())),
        None => b.body(Body::empty()),
    }
    .unwrap()
}

#[tokio::test]
async fn responses_match_the_documented_statuses_and_schemas() {
    use StatusCode as S;
    let mut c = Checker {
        app: fixture(),
        spec: spec(),
        seen: BTreeSet::new(),
        problems: Vec::new(),
    };
    const LOGIN: &str = "/api/v1/session/login";
    let login = json!({"username": "admin", "password": PW});
    let (st, _) = c.send(LOGIN, json_req("POST", LOGIN, &login, None)).await;
    assert_eq!(st, S::OK);
    let s = c.app.login("admin").await;
    let bad = json!({"username": "admin", "password": "wrong-password"});
    c.json("POST", LOGIN, LOGIN, &bad, None, S::UNAUTHORIZED)
        .await;
    c.json(
        "POST",
        LOGIN,
        LOGIN,
        &json!({"username": "admin"}),
        None,
        S::UNPROCESSABLE_ENTITY,
    )
    .await;

    c.get("/api/v1/me", "/api/v1/me", Some(&s), S::OK).await;
    c.get("/api/v1/me", "/api/v1/me", None, S::UNAUTHORIZED)
        .await;
    c.get("/api/v1/overview", "/api/v1/overview", Some(&s), S::OK)
        .await;
    c.get("/api/v1/health", "/api/v1/health", Some(&s), S::OK)
        .await;

    const ALERTS: &str = "/api/v1/alerts";
    let q = "/api/v1/alerts?min_score=10&severity=critical&kind=plc_stop&status=open\
             &device=10.0.2.1&q=plc&sort=score&order=asc&limit=5&offset=0";
    let v = c.get(ALERTS, q, Some(&s), S::OK).await;
    assert_eq!(v["total"], 1, "{v}");
    c.get(ALERTS, "/api/v1/alerts", Some(&s), S::OK).await;
    c.get(
        ALERTS,
        "/api/v1/alerts?min_score=many",
        Some(&s),
        S::BAD_REQUEST,
    )
    .await;
    c.get(
        ALERTS,
        "/api/v1/alerts?sort=random",
        Some(&s),
        S::BAD_REQUEST,
    )
    .await;
    const ALERT: &str = "/api/v1/alerts/{id}";
    c.get(ALERT, "/api/v1/alerts/a-1", Some(&s), S::OK).await;
    c.get(ALERT, "/api/v1/alerts/zzz", Some(&s), S::NOT_FOUND)
        .await;
    const AT: &str = "/api/v1/alerts/{id}/triage";
    const AT1: &str = "/api/v1/alerts/a-1/triage";
    for (a, want) in [
        (json!({"action": "acknowledge"}), S::OK),
        (json!({"action": "assign", "assignee": "ana"}), S::OK),
        (json!({"action": "assign", "assignee": null}), S::OK),
        (json!({"action": "assign"}), S::OK),
        (json!({"action": "comment", "text": "looking"}), S::OK),
        (json!({"action": "resolve", "verdict": "malicious"}), S::OK),
        (json!({"action": "reopen"}), S::OK),
        (
            json!({"action": "assign", "assignee": "nobody"}),
            S::BAD_REQUEST,
        ),
        (json!({"action": "comment", "text": " "}), S::BAD_REQUEST),
        (json!({"action": "shrug"}), S::UNPROCESSABLE_ENTITY),
    ] {
        c.json("POST", AT, AT1, &a, Some(&s), want).await;
    }
    let ack = json!({"action": "acknowledge"});
    c.json(
        "POST",
        AT,
        "/api/v1/alerts/zzz/triage",
        &ack,
        Some(&s),
        S::NOT_FOUND,
    )
    .await;
    let no_csrf = Session {
        cookie: s.cookie.clone(),
        csrf: "wrong".into(),
    };
    c.json("POST", AT, AT1, &ack, Some(&no_csrf), S::FORBIDDEN)
        .await;
    let no_ctype = Request::builder()
        .method("POST")
        .uri(AT1)
        .header(header::COOKIE, &s.cookie)
        .header("x-csrf-token", &s.csrf)
        .body(Body::from(ack.to_string()))
        .unwrap();
    let (st, _) = c.send(AT, no_ctype).await;
    assert_eq!(st, S::UNSUPPORTED_MEDIA_TYPE);
    let broken = Request::builder()
        .method("POST")
        .uri(AT1)
        .header(header::COOKIE, &s.cookie)
        .header("x-csrf-token", &s.csrf)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{"))
        .unwrap();
    let (st, _) = c.send(AT, broken).await;
    assert_eq!(st, S::BAD_REQUEST);

    const INCS: &str = "/api/v1/incidents";
    let v = c
        .get(
            INCS,
            "/api/v1/incidents?status=open&severity=critical&limit=1",
            Some(&s),
            S::OK,
        )
        .await;
    assert_eq!(v["total"], 1, "{v}");
    c.get(
        INCS,
        "/api/v1/incidents?severity=huge",
        Some(&s),
        S::BAD_REQUEST,
    )
    .await;
    const INC: &str = "/api/v1/incidents/{id}";
    c.get(INC, "/api/v1/incidents/inc-1", Some(&s), S::OK).await;
    c.get(INC, "/api/v1/incidents/nope", Some(&s), S::NOT_FOUND)
        .await;
    const IT: &str = "/api/v1/incidents/{id}/triage";
    let resolve = json!({"action": "resolve", "verdict": "expected", "comment": "planned"});
    c.json(
        "POST",
        IT,
        "/api/v1/incidents/inc-1/triage",
        &resolve,
        Some(&s),
        S::OK,
    )
    .await;
    c.json(
        "POST",
        IT,
        "/api/v1/incidents/nope/triage",
        &resolve,
        Some(&s),
        S::NOT_FOUND,
    )
    .await;

    const DEVS: &str = "/api/v1/devices";
    let v = c
        .get(
            DEVS,
            "/api/v1/devices?q=plc&role=plc&zone=control&limit=10&offset=0",
            Some(&s),
            S::OK,
        )
        .await;
    assert_eq!(v["total"], 1, "{v}");
    c.get(DEVS, "/api/v1/devices?limit=-1", Some(&s), S::BAD_REQUEST)
        .await;
    const DEV: &str = "/api/v1/devices/{id}";
    c.get(
        DEV,
        "/api/v1/devices/00%3A80%3Af4%3A00%3A00%3A01",
        Some(&s),
        S::OK,
    )
    .await;
    c.get(DEV, "/api/v1/devices/nope", Some(&s), S::NOT_FOUND)
        .await;
    const CONNS: &str = "/api/v1/connections";
    let v = c
        .get(
            CONNS,
            "/api/v1/connections?device=00:80:f4:00:00:01&limit=1",
            Some(&s),
            S::OK,
        )
        .await;
    assert_eq!(v.as_array().map(Vec::len), Some(1), "{v}");
    c.get(CONNS, "/api/v1/connections", Some(&s), S::OK).await;
    c.get("/api/v1/map", "/api/v1/map", Some(&s), S::OK).await;
    c.get("/api/v1/airgap", "/api/v1/airgap", Some(&s), S::OK)
        .await;

    const USERS: &str = "/api/v1/users";
    const USER: &str = "/api/v1/users/{name}";
    c.get(USERS, USERS, Some(&s), S::OK).await;
    let newbie = json!({"username": "newbie", "role": "viewer", "password": "one-time-pw-1"});
    c.json("POST", USERS, USERS, &newbie, Some(&s), S::CREATED)
        .await;
    c.json("POST", USERS, USERS, &newbie, Some(&s), S::CONFLICT)
        .await;
    let short = json!({"username": "shorty", "role": "viewer", "password": "short"});
    c.json("POST", USERS, USERS, &short, Some(&s), S::BAD_REQUEST)
        .await;
    let up = json!({"role": "analyst", "password": "another-one-time-pw"});
    let v = c
        .json("PATCH", USER, "/api/v1/users/newbie", &up, Some(&s), S::OK)
        .await;
    assert_eq!(v["must_change_password"], true, "{v}");
    c.json(
        "PATCH",
        USER,
        "/api/v1/users/newbie",
        &json!({}),
        Some(&s),
        S::OK,
    )
    .await;
    c.json(
        "PATCH",
        USER,
        "/api/v1/users/ghost",
        &json!({"role": "viewer"}),
        Some(&s),
        S::NOT_FOUND,
    )
    .await;
    c.json(
        "PATCH",
        USER,
        "/api/v1/users/admin",
        &json!({"role": "viewer"}),
        Some(&s),
        S::CONFLICT,
    )
    .await;
    c.json(
        "DELETE",
        USER,
        "/api/v1/users/newbie",
        &json!({}),
        Some(&s),
        S::NO_CONTENT,
    )
    .await;
    c.json(
        "DELETE",
        USER,
        "/api/v1/users/newbie",
        &json!({}),
        Some(&s),
        S::NOT_FOUND,
    )
    .await;
    c.json(
        "DELETE",
        USER,
        "/api/v1/users/admin",
        &json!({}),
        Some(&s),
        S::CONFLICT,
    )
    .await;

    const TOKENS: &str = "/api/v1/tokens";
    const TOKEN: &str = "/api/v1/tokens/{id}";
    let t = c
        .json(
            "POST",
            TOKENS,
            TOKENS,
            &json!({"name": "siem", "role": "admin"}),
            Some(&s),
            S::CREATED,
        )
        .await;
    let secret = t["token"].as_str().unwrap_or_default().to_owned();
    let id = t["id"].as_str().unwrap_or_default().to_owned();
    assert!(secret.starts_with("otw_") && secret.len() == 68, "{t}");
    c.json(
        "POST",
        TOKENS,
        TOKENS,
        &json!({"name": " ", "role": "viewer"}),
        Some(&s),
        S::BAD_REQUEST,
    )
    .await;
    c.get(TOKENS, TOKENS, Some(&s), S::OK).await;
    // Bearer: no CSRF, an empty csrf_token, and writes work.
    let (st, me) = c
        .send("/api/v1/me", bearer("GET", "/api/v1/me", &secret, None))
        .await;
    assert_eq!((st, &me["csrf_token"]), (S::OK, &json!("")), "{me}");
    let (st, _) = c.send(AT, bearer("POST", AT1, &secret, Some(&ack))).await;
    assert_eq!(st, S::OK);
    let (st, _) = c
        .send("/api/v1/me", bearer("GET", "/api/v1/me", "otw_wrong", None))
        .await;
    assert_eq!(st, S::UNAUTHORIZED);

    c.get(
        "/api/v1/audit",
        "/api/v1/audit?limit=3&offset=1",
        Some(&s),
        S::OK,
    )
    .await;
    const SET: &str = "/api/v1/settings";
    c.get(SET, SET, Some(&s), S::OK).await;
    let v = c
        .json(
            "PUT",
            SET,
            SET,
            &json!({"retention_max_age_days": 30, "retention_max_size_mb": "2048"}),
            Some(&s),
            S::OK,
        )
        .await;
    assert_eq!(v["retention_max_size_mb"], "2048", "{v}");
    for bad in [
        json!({"retention_max_age_days": 0}),
        json!({"retention_max_age_days": true}),
        json!({"colour": 3}),
    ] {
        c.json("PUT", SET, SET, &bad, Some(&s), S::BAD_REQUEST)
            .await;
    }

    const SPEC: &str = "/api/v1/openapi.json";
    let r = c.app.send(get(SPEC, None)).await;
    let etag = r
        .headers()
        .get(header::ETAG)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        serde_json::from_slice::<Value>(&body_bytes(r).await).unwrap(),
        spec(),
        "the served document is the asset"
    );
    c.get(SPEC, SPEC, None, S::OK).await;
    let cond = Request::builder()
        .uri(SPEC)
        .header(header::IF_NONE_MATCH, &etag)
        .body(Body::empty())
        .unwrap();
    let (st, _) = c.send(SPEC, cond).await;
    assert_eq!(st, S::NOT_MODIFIED);

    // Own password and logout, as ana: with a session (200, a fresh session), then
    // through an API token (204).
    const PWD: &str = "/api/v1/me/password";
    let ana = c.app.login("ana").await;
    let wrong = json!({"current_password": "not-it-at-all", "new_password": "a-new-password-1"});
    c.json("POST", PWD, PWD, &wrong, Some(&ana), S::FORBIDDEN)
        .await;
    let weak = json!({"current_password": PW, "new_password": "short"});
    c.json("POST", PWD, PWD, &weak, Some(&ana), S::BAD_REQUEST)
        .await;
    let change = json!({"current_password": PW, "new_password": "a-new-password-1"});
    let (st, me) = c
        .send(PWD, json_req("POST", PWD, &change, Some(&ana)))
        .await;
    assert_eq!(st, S::OK, "{me}");
    c.get("/api/v1/me", "/api/v1/me", Some(&ana), S::UNAUTHORIZED)
        .await;
    let admin_change = json!({"current_password": PW, "new_password": "yet-another-password"});
    let (st, _) = c
        .send(PWD, bearer("POST", PWD, &secret, Some(&admin_change)))
        .await;
    assert_eq!(st, S::NO_CONTENT, "token caller (acts as admin)");
    // That ended the admin's sessions; the token stays valid.
    const LOGOUT: &str = "/api/v1/session/logout";
    c.json(
        "POST",
        LOGOUT,
        LOGOUT,
        &json!({}),
        Some(&s),
        S::UNAUTHORIZED,
    )
    .await;
    let vic = c.app.login("vic").await;
    c.json(
        "POST",
        LOGOUT,
        LOGOUT,
        &json!({}),
        Some(&vic),
        S::NO_CONTENT,
    )
    .await;
    c.get("/api/v1/me", "/api/v1/me", Some(&vic), S::UNAUTHORIZED)
        .await;
    let uri = format!("/api/v1/tokens/{id}");
    let (st, _) = c.send(TOKEN, bearer("DELETE", &uri, &secret, None)).await;
    assert_eq!(st, S::NO_CONTENT);
    let (st, _) = c.send(TOKEN, bearer("DELETE", &uri, &secret, None)).await;
    assert_eq!(
        st,
        S::UNAUTHORIZED,
        "a revoked token no longer authenticates"
    );

    // Lockout: five failures, then 429 with Retry-After.
    let mut st = S::OK;
    for _ in 0..=otwatch_web::auth::MAX_FAILURES {
        (st, _) = c.send(LOGIN, json_req("POST", LOGIN, &bad, None)).await;
        if st != S::UNAUTHORIZED {
            break;
        }
    }
    assert_eq!(st, S::TOO_MANY_REQUESTS);

    let all: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    let unexercised: Vec<_> = all.difference(&c.seen).collect();
    assert!(unexercised.is_empty(), "not exercised: {unexercised:?}");
    assert!(c.problems.is_empty(), "{:#?}", c.problems);
}

#[tokio::test]
async fn checker_reports_undocumented_answers() {
    let mut s = spec();
    s["components"]["schemas"]["Me"]["properties"]
        .as_object_mut()
        .unwrap()
        .remove("csrf_token");
    s["paths"]["/api/v1/overview"]["get"]["responses"]
        .as_object_mut()
        .unwrap()
        .remove("401");
    s["components"]["schemas"]["Health"]["properties"]["version"]["type"] = json!("integer");
    let mut c = Checker {
        app: fixture(),
        spec: s,
        seen: BTreeSet::new(),
        problems: Vec::new(),
    };
    let sess = c.app.login("vic").await;
    c.get("/api/v1/me", "/api/v1/me", Some(&sess), StatusCode::OK)
        .await;
    c.get(
        "/api/v1/overview",
        "/api/v1/overview",
        None,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    c.get(
        "/api/v1/health",
        "/api/v1/health",
        Some(&sess),
        StatusCode::OK,
    )
    .await;
    c.get(
        "/api/v1/map",
        "/api/v1/map",
        Some(&sess),
        StatusCode::NOT_FOUND,
    )
    .await;
    let p = &c.problems;
    assert_eq!(p.len(), 4, "{p:#?}");
    assert!(p[0].contains("undocumented property csrf_token"), "{p:?}");
    assert!(
        p[1].contains("status 401 Unauthorized is not documented"),
        "{p:?}"
    );
    assert!(
        p[2].contains("/version") && p[2].contains("is not \"integer\""),
        "{p:?}"
    );
    assert!(p[3].contains("expected 404"), "{p:?}");
}

#[tokio::test]
async fn documented_roles_are_enforced() {
    let app = fixture();
    let s = spec();
    let users: BTreeMap<&str, Session> = [
        ("viewer", app.login("vic").await),
        ("analyst", app.login("ana").await),
    ]
    .into_iter()
    .collect();
    let rank = |r: &str| ["viewer", "analyst", "admin"].iter().position(|x| *x == r);
    let mut checked = 0;
    for (m, p) in ROUTES {
        let op = operation(&s, m, p);
        let Some(need) = op["x-otwatch-role"].as_str().and_then(rank) else {
            continue; // public or any signed-in user
        };
        let example = &op["requestBody"]["content"]["application/json"]["example"];
        let body = if example.is_null() {
            json!({})
        } else {
            example.clone()
        };
        for (role, sess) in &users {
            let have = rank(role).unwrap();
            let req = if *m == "get" {
                get(&concrete(p, "vic", "x"), Some(sess))
            } else {
                json_req(
                    &m.to_uppercase(),
                    &concrete(p, "vic", "x"),
                    &body,
                    Some(sess),
                )
            };
            let st = app.send(req).await.status();
            if have < need {
                assert_eq!(st, StatusCode::FORBIDDEN, "{role} {m} {p}");
            } else if *m == "get" {
                assert_eq!(st, StatusCode::OK, "{role} {m} {p}");
            } else {
                assert_ne!(st, StatusCode::FORBIDDEN, "{role} {m} {p}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 2 * 20, "{checked}");
}
