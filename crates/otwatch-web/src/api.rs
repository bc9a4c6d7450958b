//! The JSON API under `/api/v1/`. Described by `assets/openapi.json` (served at
//! `/api/v1/openapi.json`); `tests/openapi.rs` checks that the two list the same
//! routes.

use crate::Shared;
use crate::data::*;
use crate::mw::{ApiError, Principal, session_cookie};
use crate::ops::{self, ClientIp, TriageTarget};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use otwatch_core::Severity;
use serde::Deserialize;
use serde_json::{Value, json};

/// Largest page size of list endpoints.
pub const MAX_LIMIT: usize = 500;
/// Devices drawn on the network map at most (beyond, the map says it is cut).
pub const MAX_MAP_DEVICES: usize = 2000;
/// Edges drawn on the network map at most.
pub const MAX_MAP_EDGES: usize = 10_000;

type ApiResult = Result<Response, ApiError>;

/// Every API route, as (method, path) in OpenAPI template syntax.
pub const ROUTES: &[(&str, &str)] = &[
    ("post", "/api/v1/session/login"),
    ("post", "/api/v1/session/logout"),
    ("get", "/api/v1/me"),
    ("post", "/api/v1/me/password"),
    ("get", "/api/v1/overview"),
    ("get", "/api/v1/health"),
    ("get", "/api/v1/alerts"),
    ("get", "/api/v1/alerts/{id}"),
    ("post", "/api/v1/alerts/{id}/triage"),
    ("get", "/api/v1/incidents"),
    ("get", "/api/v1/incidents/{id}"),
    ("post", "/api/v1/incidents/{id}/triage"),
    ("get", "/api/v1/devices"),
    ("get", "/api/v1/devices/{id}"),
    ("get", "/api/v1/connections"),
    ("get", "/api/v1/map"),
    ("get", "/api/v1/airgap"),
    ("get", "/api/v1/users"),
    ("post", "/api/v1/users"),
    ("patch", "/api/v1/users/{name}"),
    ("delete", "/api/v1/users/{name}"),
    ("get", "/api/v1/tokens"),
    ("post", "/api/v1/tokens"),
    ("delete", "/api/v1/tokens/{id}"),
    ("get", "/api/v1/audit"),
    ("get", "/api/v1/settings"),
    ("put", "/api/v1/settings"),
    ("get", "/api/v1/openapi.json"),
];

/// The API routes.
pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/api/v1/session/login", post(login))
        .route("/api/v1/session/logout", post(logout))
        .route("/api/v1/me", get(me))
        .route("/api/v1/me/password", post(change_password))
        .route("/api/v1/overview", get(overview))
        .route("/api/v1/health", get(health))
        .route("/api/v1/alerts", get(alerts))
        .route("/api/v1/alerts/{id}", get(alert))
        .route("/api/v1/alerts/{id}/triage", post(alert_triage))
        .route("/api/v1/incidents", get(incidents))
        .route("/api/v1/incidents/{id}", get(incident))
        .route("/api/v1/incidents/{id}/triage", post(incident_triage))
        .route("/api/v1/devices", get(devices))
        .route("/api/v1/devices/{id}", get(device))
        .route("/api/v1/connections", get(connections))
        .route("/api/v1/map", get(map))
        .route("/api/v1/airgap", get(airgap))
        .route("/api/v1/users", get(users).post(user_add))
        .route(
            "/api/v1/users/{name}",
            delete(user_delete).patch(user_update),
        )
        .route("/api/v1/tokens", get(tokens).post(token_create))
        .route("/api/v1/tokens/{id}", delete(token_delete))
        .route("/api/v1/audit", get(audit))
        .route("/api/v1/settings", get(settings).put(settings_put))
        .route("/api/v1/openapi.json", get(openapi))
}

fn ok(v: impl serde::Serialize) -> ApiResult {
    Ok(Json(v).into_response())
}

/// Body of `POST /api/v1/session/login`.
#[derive(Deserialize)]
pub struct LoginBody {
    /// User name.
    pub username: String,
    /// Password.
    pub password: String,
}

fn with_cookie(mut r: Response, token: &str) -> Response {
    if let Ok(v) = session_cookie(token).parse() {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

fn me_json(user: &str, role: Role, must_change: bool, csrf: &str) -> Value {
    json!({"username": user, "role": role, "must_change_password": must_change, "csrf_token": csrf})
}

async fn login(
    State(s): State<Shared>,
    ClientIp(ip): ClientIp,
    Json(b): Json<LoginBody>,
) -> ApiResult {
    let l = ops::login(&s, &b.username, &b.password, &ip)?;
    let body = me_json(
        &l.user.name,
        l.user.role,
        l.user.must_change_password,
        &l.session.csrf,
    );
    Ok(with_cookie(Json(body).into_response(), &l.token))
}

async fn logout(State(s): State<Shared>, p: Principal, ClientIp(ip): ClientIp) -> ApiResult {
    ops::logout(&s, &p, &ip)?;
    Ok(with_cookie(StatusCode::NO_CONTENT.into_response(), ""))
}

async fn me(p: Principal) -> ApiResult {
    ok(me_json(&p.user, p.role, p.must_change_password, p.csrf()))
}

/// Body of `POST /api/v1/me/password`.
#[derive(Deserialize)]
pub struct PasswordBody {
    /// Current password.
    pub current_password: String,
    /// New password.
    pub new_password: String,
}

async fn change_password(
    State(s): State<Shared>,
    p: Principal,
    ClientIp(ip): ClientIp,
    Json(b): Json<PasswordBody>,
) -> ApiResult {
    match ops::change_own_password(&s, &p, &b.current_password, &b.new_password, &ip)? {
        Some(l) => {
            let body = me_json(&l.user.name, l.user.role, false, &l.session.csrf);
            Ok(with_cookie(Json(body).into_response(), &l.token))
        }
        None => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

/// Bucket size of the alerts-over-time series: one hour.
pub const OVERVIEW_BUCKET_SECS: f64 = 3600.0;

async fn overview(State(s): State<Shared>, _p: Principal) -> ApiResult {
    ok(s.data.overview(OVERVIEW_BUCKET_SECS)?)
}

async fn health(State(s): State<Shared>, _p: Principal) -> ApiResult {
    let o = s.data.overview(OVERVIEW_BUCKET_SECS)?;
    ok(
        json!({"status": "ok", "version": env!("CARGO_PKG_VERSION"), "sensor": o.sensor,
              "data_span": o.data_span}),
    )
}

/// Query of `GET /api/v1/alerts`.
#[derive(Deserialize, Default)]
pub struct AlertParams {
    /// Minimum score.
    pub min_score: Option<u8>,
    /// Severity.
    pub severity: Option<Severity>,
    /// Kind.
    pub kind: Option<String>,
    /// Status.
    pub status: Option<String>,
    /// Device id or address.
    pub device: Option<String>,
    /// Free text.
    pub q: Option<String>,
    /// Sort key.
    pub sort: Option<AlertSort>,
    /// `asc` or `desc`.
    pub order: Option<String>,
    /// Page size.
    pub limit: Option<usize>,
    /// Offset.
    pub offset: Option<usize>,
}

fn nonempty(s: &Option<String>) -> Option<String> {
    s.as_ref()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

impl AlertParams {
    /// The store query (limits clamped).
    pub fn query(&self) -> AlertQuery {
        AlertQuery {
            min_score: self.min_score,
            severity: self.severity,
            kind: nonempty(&self.kind),
            status: nonempty(&self.status),
            device: nonempty(&self.device),
            text: nonempty(&self.q),
            sort: self.sort.unwrap_or_default(),
            ascending: self.order.as_deref() == Some("asc"),
            limit: self.limit.unwrap_or(100).clamp(1, MAX_LIMIT),
            offset: self.offset.unwrap_or(0),
        }
    }
}

async fn alerts(State(s): State<Shared>, _p: Principal, Query(q): Query<AlertParams>) -> ApiResult {
    ok(s.data.alerts(&q.query())?)
}

async fn alert(State(s): State<Shared>, _p: Principal, Path(id): Path<String>) -> ApiResult {
    ok(s.data.alert(&id)?.ok_or(ApiError::NotFound)?)
}

async fn alert_triage(
    State(s): State<Shared>,
    p: Principal,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Json(a): Json<TriageAction>,
) -> ApiResult {
    ops::triage(&s, &p, TriageTarget::Alert, &id, &a, &ip)?;
    ok(s.data.alert(&id)?.ok_or(ApiError::NotFound)?)
}

/// Query of `GET /api/v1/incidents`.
#[derive(Deserialize, Default)]
pub struct IncidentParams {
    /// Status.
    pub status: Option<String>,
    /// Severity.
    pub severity: Option<Severity>,
    /// Page size.
    pub limit: Option<usize>,
    /// Offset.
    pub offset: Option<usize>,
}

impl IncidentParams {
    /// The store query.
    pub fn query(&self) -> IncidentQuery {
        IncidentQuery {
            status: nonempty(&self.status),
            severity: self.severity,
            limit: self.limit.unwrap_or(100).clamp(1, MAX_LIMIT),
            offset: self.offset.unwrap_or(0),
        }
    }
}

async fn incidents(
    State(s): State<Shared>,
    _p: Principal,
    Query(q): Query<IncidentParams>,
) -> ApiResult {
    ok(s.data.incidents(&q.query())?)
}

async fn incident(State(s): State<Shared>, _p: Principal, Path(id): Path<String>) -> ApiResult {
    ok(s.data.incident(&id)?.ok_or(ApiError::NotFound)?)
}

async fn incident_triage(
    State(s): State<Shared>,
    p: Principal,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Json(a): Json<TriageAction>,
) -> ApiResult {
    ops::triage(&s, &p, TriageTarget::Incident, &id, &a, &ip)?;
    ok(s.data.incident(&id)?.ok_or(ApiError::NotFound)?)
}

/// Query of `GET /api/v1/devices`.
#[derive(Deserialize, Default)]
pub struct DeviceParams {
    /// Free text.
    pub q: Option<String>,
    /// Role.
    pub role: Option<String>,
    /// Zone.
    pub zone: Option<String>,
    /// Page size.
    pub limit: Option<usize>,
    /// Offset.
    pub offset: Option<usize>,
}

impl DeviceParams {
    /// The store query.
    pub fn query(&self) -> DeviceQuery {
        DeviceQuery {
            text: nonempty(&self.q),
            role: nonempty(&self.role),
            zone: nonempty(&self.zone),
            limit: self.limit.unwrap_or(100).clamp(1, MAX_LIMIT),
            offset: self.offset.unwrap_or(0),
        }
    }
}

async fn devices(
    State(s): State<Shared>,
    _p: Principal,
    Query(q): Query<DeviceParams>,
) -> ApiResult {
    ok(s.data.devices(&q.query())?)
}

async fn device(State(s): State<Shared>, _p: Principal, Path(id): Path<String>) -> ApiResult {
    ok(s.data.device(&id)?.ok_or(ApiError::NotFound)?)
}

/// Query of `GET /api/v1/connections`.
#[derive(Deserialize, Default)]
pub struct ConnParams {
    /// Only connections touching this device id.
    pub device: Option<String>,
    /// At most this many (default 1000, max 10000).
    pub limit: Option<usize>,
}

async fn connections(
    State(s): State<Shared>,
    _p: Principal,
    Query(q): Query<ConnParams>,
) -> ApiResult {
    let limit = q.limit.unwrap_or(1000).clamp(1, MAX_MAP_EDGES);
    ok(s.data.connections(nonempty(&q.device).as_deref(), limit)?)
}

/// The network map in cytoscape.js element form: zones as compound parent nodes,
/// devices inside them, one edge per (src, dst, protocol); `crossing` marks edges
/// between zones and `new` edges first seen after learning.
pub fn map_elements(s: &Shared) -> Result<Value, ApiError> {
    let devs = s.data.devices(&DeviceQuery {
        limit: MAX_MAP_DEVICES,
        ..DeviceQuery::default()
    })?;
    let conns = s.data.connections(None, MAX_MAP_EDGES)?;
    let mut zone_of = std::collections::HashMap::new();
    let mut zones = std::collections::BTreeSet::new();
    let mut nodes = Vec::with_capacity(devs.items.len() + 16);
    for d in &devs.items {
        let zone = if d.zone.is_empty() {
            "unzoned"
        } else {
            d.zone.as_str()
        };
        zones.insert(zone.to_owned());
        zone_of.insert(d.id.clone(), zone.to_owned());
        nodes.push(
            json!({"data": {"id": format!("d:{}", d.id), "device": d.id, "label": d.name,
            "role": d.role, "parent": format!("z:{zone}"), "ip": d.ips.first()}}),
        );
    }
    for z in &zones {
        nodes.push(json!({"data": {"id": format!("z:{z}"), "label": z, "zone": true}}));
    }
    let mut edges = Vec::with_capacity(conns.len());
    for (i, c) in conns.iter().enumerate() {
        let (Some(zs), Some(zd)) = (zone_of.get(&c.src), zone_of.get(&c.dst)) else {
            continue;
        };
        edges.push(
            json!({"data": {"id": format!("e{i}"), "source": format!("d:{}", c.src),
            "target": format!("d:{}", c.dst), "proto": c.proto, "crossing": zs != zd,
            "new": c.new, "count": c.count}}),
        );
    }
    Ok(
        json!({"nodes": nodes, "edges": edges, "devices_total": devs.total,
              "truncated": devs.total as usize > devs.items.len()}),
    )
}

async fn map(State(s): State<Shared>, _p: Principal) -> ApiResult {
    ok(map_elements(&s)?)
}

async fn airgap(State(s): State<Shared>, _p: Principal) -> ApiResult {
    ok(s.data.airgap()?)
}

fn user_json(u: &UserRecord) -> Value {
    json!({"username": u.name, "role": u.role, "must_change_password": u.must_change_password,
           "created": u.created, "last_login": u.last_login})
}

async fn users(State(s): State<Shared>, p: Principal) -> ApiResult {
    p.require(Role::Admin)?;
    ok(s.data
        .user_list()?
        .iter()
        .map(user_json)
        .collect::<Vec<_>>())
}

/// Body of `POST /api/v1/users`.
#[derive(Deserialize)]
pub struct UserAddBody {
    /// Name.
    pub username: String,
    /// Role.
    pub role: Role,
    /// Initial (one-time) password.
    pub password: String,
}

async fn user_add(
    State(s): State<Shared>,
    p: Principal,
    ClientIp(ip): ClientIp,
    Json(b): Json<UserAddBody>,
) -> ApiResult {
    let u = ops::user_add(&s, &p, &b.username, b.role, &b.password, true, &ip)?;
    Ok((StatusCode::CREATED, Json(user_json(&u))).into_response())
}

/// Body of `PATCH /api/v1/users/{name}`.
#[derive(Deserialize)]
pub struct UserUpdateBody {
    /// New role.
    pub role: Option<Role>,
    /// New one-time password.
    pub password: Option<String>,
}

async fn user_update(
    State(s): State<Shared>,
    p: Principal,
    ClientIp(ip): ClientIp,
    Path(name): Path<String>,
    Json(b): Json<UserUpdateBody>,
) -> ApiResult {
    let u = ops::user_update(&s, &p, &name, b.role, b.password.as_deref(), &ip)?;
    ok(user_json(&u))
}

async fn user_delete(
    State(s): State<Shared>,
    p: Principal,
    ClientIp(ip): ClientIp,
    Path(name): Path<String>,
) -> ApiResult {
    ops::user_delete(&s, &p, &name, &ip)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn token_json(t: &ApiTokenRecord) -> Value {
    json!({"id": t.id, "name": t.name, "username": t.user, "role": t.role, "created": t.created})
}

async fn tokens(State(s): State<Shared>, p: Principal) -> ApiResult {
    p.require(Role::Admin)?;
    ok(s.data
        .token_list()?
        .iter()
        .map(token_json)
        .collect::<Vec<_>>())
}

/// Body of `POST /api/v1/tokens`.
#[derive(Deserialize)]
pub struct TokenBody {
    /// Label.
    pub name: String,
    /// Role (capped at the caller's).
    pub role: Role,
}

async fn token_create(
    State(s): State<Shared>,
    p: Principal,
    ClientIp(ip): ClientIp,
    Json(b): Json<TokenBody>,
) -> ApiResult {
    let (t, secret) = ops::token_create(&s, &p, &b.name, b.role, &ip)?;
    let mut v = token_json(&t);
    v["token"] = json!(secret);
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

async fn token_delete(
    State(s): State<Shared>,
    p: Principal,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
) -> ApiResult {
    ops::token_delete(&s, &p, &id, &ip)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Query of `GET /api/v1/audit`.
#[derive(Deserialize)]
pub struct PageParams {
    /// Page size.
    pub limit: Option<usize>,
    /// Offset.
    pub offset: Option<usize>,
}

async fn audit(State(s): State<Shared>, p: Principal, Query(q): Query<PageParams>) -> ApiResult {
    p.require(Role::Admin)?;
    ok(s.data.audit_list(
        q.limit.unwrap_or(100).clamp(1, MAX_LIMIT),
        q.offset.unwrap_or(0),
    )?)
}

async fn settings(State(s): State<Shared>, p: Principal) -> ApiResult {
    p.require(Role::Admin)?;
    let m: serde_json::Map<String, Value> = ops::settings(&s)?
        .into_iter()
        .map(|(k, _, v)| (k, v.map_or(Value::Null, Value::String)))
        .collect();
    ok(m)
}

async fn settings_put(
    State(s): State<Shared>,
    p: Principal,
    ClientIp(ip): ClientIp,
    Json(b): Json<serde_json::Map<String, Value>>,
) -> ApiResult {
    p.require(Role::Admin)?;
    for (k, v) in &b {
        let v = match v {
            Value::String(x) => x.clone(),
            Value::Number(n) => n.to_string(),
            _ => return Err(ApiError::BadRequest(format!("{k}: expected a number"))),
        };
        ops::setting_set(&s, &p, k, &v, &ip)?;
    }
    settings(State(s), p).await
}

async fn openapi(headers: HeaderMap) -> Response {
    crate::assets::file_response("openapi.json", &headers)
}
