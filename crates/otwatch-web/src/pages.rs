//! Server-rendered pages. Writes use plain HTML forms (CSRF token in a hidden field)
//! and answer with a 303 redirect; live parts refresh with htmx (`hx-select` on the
//! page itself, so there is no second rendering path).

#![expect(
    clippy::result_large_err,
    reason = "PageError carries the rendered error page; pages are not a hot path"
)]

use crate::Shared;
use crate::api::{AlertParams, DeviceParams, IncidentParams, OVERVIEW_BUCKET_SECS};
use crate::data::*;
use crate::mw::{ApiError, Principal, session_cookie};
use crate::ops::{self, ClientIp, TriageTarget};
use crate::views::*;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

/// Page size of HTML lists.
pub const PAGE_SIZE: usize = 50;
/// Alerts shown on an incident's timeline at most.
pub const MAX_TIMELINE: usize = 200;

/// Every page route, as (method, path); `tests/api.rs` checks each one.
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/login"),
    ("post", "/login"),
    ("post", "/logout"),
    ("get", "/account/password"),
    ("post", "/account/password"),
    ("get", "/"),
    ("get", "/alerts"),
    ("get", "/alerts/{id}"),
    ("post", "/alerts/{id}/triage"),
    ("get", "/incidents"),
    ("get", "/incidents/{id}"),
    ("post", "/incidents/{id}/triage"),
    ("get", "/assets"),
    ("get", "/assets/{id}"),
    ("get", "/map"),
    ("get", "/airgap"),
    ("get", "/admin"),
    ("post", "/admin/users"),
    ("post", "/admin/users/{name}"),
    ("post", "/admin/users/{name}/delete"),
    ("post", "/admin/tokens"),
    ("post", "/admin/tokens/{id}/delete"),
    ("post", "/admin/settings"),
    ("get", "/admin/audit"),
];

/// The page routes.
pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/login", get(login_form).post(login_submit))
        .route("/logout", post(logout))
        .route(
            "/account/password",
            get(password_form).post(password_submit),
        )
        .route("/", get(overview))
        .route("/alerts", get(alerts))
        .route("/alerts/{id}", get(alert))
        .route("/alerts/{id}/triage", post(alert_triage))
        .route("/incidents", get(incidents))
        .route("/incidents/{id}", get(incident))
        .route("/incidents/{id}/triage", post(incident_triage))
        .route("/assets", get(assets))
        .route("/assets/{id}", get(device))
        .route("/map", get(map))
        .route("/airgap", get(airgap))
        .route("/admin", get(admin))
        .route("/admin/users", post(admin_user_add))
        .route("/admin/users/{name}", post(admin_user_update))
        .route("/admin/users/{name}/delete", post(admin_user_delete))
        .route("/admin/tokens", post(admin_token_add))
        .route("/admin/tokens/{id}/delete", post(admin_token_delete))
        .route("/admin/settings", post(admin_settings))
        .route("/admin/audit", get(audit))
}

/// An error rendered as an HTML page.
pub struct PageError(pub ApiError, pub Option<Ctx>);

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        PageError(e, None)
    }
}
impl From<crate::Error> for PageError {
    fn from(e: crate::Error) -> Self {
        PageError(ApiError::from(e), None)
    }
}
impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        PageError(ApiError::Internal(e.to_string()), None)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, _, message) = self.0.parts();
        let page = ErrorPage {
            ctx: self.1,
            title: format!(
                "{} {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("")
            ),
            message,
        };
        match page.render() {
            Ok(h) => (status, Html(h)).into_response(),
            Err(_) => (status, "error").into_response(),
        }
    }
}

type PageResult = Result<Response, PageError>;

fn html(t: impl Template) -> PageResult {
    Ok(Html(t.render()?).into_response())
}

/// The 401 answer to an unauthenticated page request: the sign-in form.
pub fn login_required(next: &str) -> Response {
    let page = LoginPage {
        error: String::new(),
        next: safe_next(next),
    };
    match page.render() {
        Ok(h) => (StatusCode::UNAUTHORIZED, Html(h)).into_response(),
        Err(_) => StatusCode::UNAUTHORIZED.into_response(),
    }
}

/// Only local paths are followed after login (no open redirect).
fn safe_next(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next.into()
    } else {
        "/".into()
    }
}

/// Query of `GET /login`.
#[derive(Deserialize, Default)]
pub struct NextParam {
    /// Where to go after login.
    pub next: Option<String>,
}

async fn login_form(p: Option<Principal>, Query(q): Query<NextParam>) -> PageResult {
    if p.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    html(LoginPage {
        error: String::new(),
        next: safe_next(q.next.as_deref().unwrap_or("/")),
    })
}

/// Form of `POST /login`.
#[derive(Deserialize)]
pub struct LoginForm {
    /// User name.
    pub username: String,
    /// Password.
    pub password: String,
    /// Where to go.
    #[serde(default)]
    pub next: String,
}

async fn login_submit(
    State(s): State<Shared>,
    ClientIp(ip): ClientIp,
    Form(f): Form<LoginForm>,
) -> PageResult {
    match ops::login(&s, &f.username, &f.password, &ip) {
        Ok(l) => {
            let to = if l.user.must_change_password {
                "/account/password".to_owned()
            } else {
                safe_next(&f.next)
            };
            let mut r = Redirect::to(&to).into_response();
            if let Ok(v) = session_cookie(&l.token).parse() {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            Ok(r)
        }
        Err(e) => {
            let (status, _, msg) = e.parts();
            let error = if status == StatusCode::UNAUTHORIZED {
                "Wrong user name or password.".to_owned()
            } else {
                msg
            };
            let page = LoginPage {
                error,
                next: safe_next(&f.next),
            };
            Ok((status, Html(page.render()?)).into_response())
        }
    }
}

async fn logout(State(s): State<Shared>, p: Principal, ClientIp(ip): ClientIp) -> PageResult {
    ops::logout(&s, &p, &ip)?;
    let mut r = Redirect::to("/login").into_response();
    if let Ok(v) = session_cookie("").parse() {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(r)
}

async fn password_form(p: Principal) -> PageResult {
    html(PasswordPage {
        forced: p.must_change_password,
        ctx: Ctx::new(&p, "account"),
        error: String::new(),
    })
}

/// Form of `POST /account/password`.
#[derive(Deserialize)]
pub struct PasswordForm {
    /// Current password.
    pub current_password: String,
    /// New password.
    pub new_password: String,
    /// Repeated.
    pub confirm_password: String,
}

async fn password_submit(
    State(s): State<Shared>,
    p: Principal,
    ClientIp(ip): ClientIp,
    Form(f): Form<PasswordForm>,
) -> PageResult {
    let res = if f.new_password != f.confirm_password {
        Err(ApiError::BadRequest("the two new passwords differ".into()))
    } else {
        ops::change_own_password(&s, &p, &f.current_password, &f.new_password, &ip)
    };
    match res {
        Ok(l) => {
            let mut r = Redirect::to("/").into_response();
            if let Some(l) = l
                && let Ok(v) = session_cookie(&l.token).parse()
            {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            Ok(r)
        }
        Err(e) => {
            let (status, _, error) = e.parts();
            let page = PasswordPage {
                forced: p.must_change_password,
                ctx: Ctx::new(&p, "account"),
                error,
            };
            Ok((status, Html(page.render()?)).into_response())
        }
    }
}

async fn overview(State(s): State<Shared>, p: Principal) -> PageResult {
    let o = s.data.overview(OVERVIEW_BUCKET_SECS)?;
    let open = s.data.incidents(&IncidentQuery {
        status: Some("open".into()),
        limit: 5,
        ..IncidentQuery::default()
    })?;
    let top = s.data.alerts(&AlertQuery {
        status: Some("open".into()),
        sort: AlertSort::Score,
        limit: 8,
        ..AlertQuery::default()
    })?;
    let chart = serde_json::json!([
        o.alerts_over_time
            .iter()
            .map(|(t, _)| *t)
            .collect::<Vec<_>>(),
        o.alerts_over_time
            .iter()
            .map(|(_, n)| *n)
            .collect::<Vec<_>>(),
    ])
    .to_string();
    html(OverviewPage {
        ctx: Ctx::new(&p, "overview"),
        airgap: s.data.airgap()?,
        open_incidents: open.total,
        incidents: open.items,
        top_alerts: top.items,
        chart,
        o,
    })
}

fn qs(pairs: &[(&str, String)]) -> String {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        if !v.is_empty() {
            ser.append_pair(k, v);
        }
    }
    ser.finish()
}

fn pager(total: u64, offset: usize, size: usize) -> (Option<usize>, Option<usize>) {
    let prev = (offset > 0).then(|| offset.saturating_sub(size));
    let next = ((offset + size) < total as usize).then_some(offset + size);
    (prev, next)
}

async fn alerts(State(s): State<Shared>, p: Principal, Query(f): Query<AlertParams>) -> PageResult {
    let mut q = f.query();
    q.limit = PAGE_SIZE;
    let page = s.data.alerts(&q)?;
    let sort = match q.sort {
        AlertSort::Time => "time",
        AlertSort::Score => "score",
        AlertSort::Kind => "kind",
    };
    let base_qs = qs(&[
        ("q", f.q.clone().unwrap_or_default()),
        (
            "severity",
            f.severity
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
        ),
        ("status", f.status.clone().unwrap_or_default()),
        ("kind", f.kind.clone().unwrap_or_default()),
        ("device", f.device.clone().unwrap_or_default()),
        (
            "min_score",
            f.min_score.map(|m| m.to_string()).unwrap_or_default(),
        ),
    ]);
    let (prev, next) = pager(page.total, q.offset, PAGE_SIZE);
    html(AlertsPage {
        ctx: Ctx::new(&p, "alerts"),
        page,
        base_qs,
        prev,
        next,
        sort: sort.into(),
        order: if q.ascending {
            "asc".into()
        } else {
            "desc".into()
        },
        f,
    })
}

/// Renders an evidence value for humans: strings bare, the rest as compact JSON.
fn render_value(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "-".into(),
        other => serde_json::to_string_pretty(other).unwrap_or_default(),
    }
}

fn evidence_rows(v: &serde_json::Value) -> Vec<(String, String)> {
    match v {
        serde_json::Value::Object(m) => {
            let mut rows: Vec<(String, String)> = m
                .iter()
                .map(|(k, v)| (k.clone(), render_value(v)))
                .collect();
            // Baseline and observation first: that is what the analyst compares.
            rows.sort_by_key(|(k, _)| match k.as_str() {
                "observed" => 0,
                "baseline" => 1,
                "history" => 2,
                "why" | "reason" => 3,
                _ => 4,
            });
            rows
        }
        serde_json::Value::Null => Vec::new(),
        other => vec![("evidence".into(), render_value(other))],
    }
}

fn user_names(s: &Shared) -> Result<Vec<String>, PageError> {
    Ok(s.data.user_list()?.into_iter().map(|u| u.name).collect())
}

/// The inventory id of an alert endpoint (`ip:port`, `ip` or a MAC), if known.
fn device_for(s: &Shared, addr: &str) -> Result<Option<String>, PageError> {
    if addr.is_empty() {
        return Ok(None);
    }
    if s.data.device(addr)?.is_some() {
        return Ok(Some(addr.into()));
    }
    let ip = match addr.rsplit_once(':') {
        Some((ip, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !ip.contains(':') => ip,
        _ => addr,
    };
    let hits = s.data.devices(&DeviceQuery {
        text: Some(ip.into()),
        limit: 5,
        ..DeviceQuery::default()
    })?;
    Ok(hits
        .items
        .into_iter()
        .find(|d| d.ips.iter().any(|i| i == ip))
        .map(|d| d.id))
}

async fn alert(State(s): State<Shared>, p: Principal, Path(id): Path<String>) -> PageResult {
    let ctx = Ctx::new(&p, "alerts");
    let Some(a) = s.data.alert(&id)? else {
        return Err(PageError(ApiError::NotFound, Some(ctx)));
    };
    let techniques = a
        .alert
        .mitre
        .iter()
        .map(|t| (t.clone(), crate::mitre_name(t).to_owned()))
        .collect();
    html(AlertDetailPage {
        action_url: format!("/alerts/{}/triage", enc(&a.alert.id)),
        triage: a.triage.clone(),
        evidence: evidence_rows(&a.alert.evidence),
        techniques,
        users: user_names(&s)?,
        src_dev: device_for(&s, &a.alert.src)?,
        dst_dev: device_for(&s, &a.alert.dst)?,
        ctx,
        a,
    })
}

/// Form of the triage buttons.
#[derive(Deserialize)]
pub struct TriageForm {
    /// `acknowledge`, `assign`, `comment`, `resolve` or `reopen`.
    pub action: String,
    /// For assign (empty: unassign).
    #[serde(default)]
    pub assignee: String,
    /// Comment text.
    #[serde(default)]
    pub text: String,
    /// Verdict for resolve.
    #[serde(default)]
    pub verdict: String,
}

impl TriageForm {
    fn action(&self) -> Result<TriageAction, ApiError> {
        Ok(match self.action.as_str() {
            "acknowledge" => TriageAction::Acknowledge,
            "assign" => TriageAction::Assign {
                assignee: Some(self.assignee.trim().to_owned()).filter(|a| !a.is_empty()),
            },
            "comment" => TriageAction::Comment {
                text: self.text.clone(),
            },
            "resolve" => TriageAction::Resolve {
                verdict: self.verdict.parse().map_err(ApiError::BadRequest)?,
                comment: self.text.clone(),
            },
            "reopen" => TriageAction::Reopen,
            other => return Err(ApiError::BadRequest(format!("unknown action {other:?}"))),
        })
    }
}

async fn alert_triage(
    State(s): State<Shared>,
    p: Principal,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Form(f): Form<TriageForm>,
) -> PageResult {
    let ctx = Ctx::new(&p, "alerts");
    let action = f.action().map_err(|e| PageError(e, None))?;
    ops::triage(&s, &p, TriageTarget::Alert, &id, &action, &ip)
        .map_err(|e| PageError(e, Some(ctx)))?;
    Ok(Redirect::to(&format!("/alerts/{}", enc(&id))).into_response())
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn incidents(
    State(s): State<Shared>,
    p: Principal,
    Query(f): Query<IncidentParams>,
) -> PageResult {
    let mut q = f.query();
    q.limit = 200;
    html(IncidentsPage {
        ctx: Ctx::new(&p, "incidents"),
        page: s.data.incidents(&q)?,
        status: f.status.unwrap_or_default(),
    })
}

async fn incident(State(s): State<Shared>, p: Principal, Path(id): Path<String>) -> PageResult {
    let ctx = Ctx::new(&p, "incidents");
    let Some(i) = s.data.incident(&id)? else {
        return Err(PageError(ApiError::NotFound, Some(ctx)));
    };
    let mut timeline = Vec::new();
    for aid in i.alert_ids.iter().take(MAX_TIMELINE) {
        timeline.extend(s.data.alert(aid)?);
    }
    timeline.sort_by(|a, b| a.alert.ts.total_cmp(&b.alert.ts));
    html(IncidentDetailPage {
        action_url: format!("/incidents/{}/triage", enc(&i.id)),
        triage: i.triage.clone(),
        ctx,
        i,
        timeline,
        users: user_names(&s)?,
    })
}

async fn incident_triage(
    State(s): State<Shared>,
    p: Principal,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Form(f): Form<TriageForm>,
) -> PageResult {
    let ctx = Ctx::new(&p, "incidents");
    let action = f.action().map_err(|e| PageError(e, None))?;
    ops::triage(&s, &p, TriageTarget::Incident, &id, &action, &ip)
        .map_err(|e| PageError(e, Some(ctx)))?;
    Ok(Redirect::to(&format!("/incidents/{}", enc(&id))).into_response())
}

async fn assets(
    State(s): State<Shared>,
    p: Principal,
    Query(f): Query<DeviceParams>,
) -> PageResult {
    let mut q = f.query();
    q.limit = PAGE_SIZE;
    let page = s.data.devices(&q)?;
    let o = s.data.overview(OVERVIEW_BUCKET_SECS)?;
    let (prev, next) = pager(page.total, q.offset, PAGE_SIZE);
    let base_qs = qs(&[
        ("q", f.q.clone().unwrap_or_default()),
        ("role", f.role.clone().unwrap_or_default()),
        ("zone", f.zone.clone().unwrap_or_default()),
    ]);
    html(AssetsPage {
        ctx: Ctx::new(&p, "assets"),
        page,
        q: f.q.unwrap_or_default(),
        role: f.role.unwrap_or_default(),
        zone: f.zone.unwrap_or_default(),
        roles: o.devices_by_role.into_iter().map(|(r, _)| r).collect(),
        zones: o.devices_by_zone.into_iter().map(|(z, _)| z).collect(),
        prev,
        next,
        base_qs,
    })
}

/// Peers shown on a device page at most.
pub const MAX_PEERS: usize = 500;

async fn device(State(s): State<Shared>, p: Principal, Path(id): Path<String>) -> PageResult {
    let ctx = Ctx::new(&p, "assets");
    let Some(d) = s.data.device(&id)? else {
        return Err(PageError(ApiError::NotFound, Some(ctx)));
    };
    let mut peers = Vec::new();
    for c in s.data.connections(Some(&d.id), MAX_PEERS)? {
        let (other, dir) = if c.src == d.id {
            (c.dst.clone(), "to")
        } else {
            (c.src.clone(), "from")
        };
        let name = s
            .data
            .device(&other)?
            .map_or_else(|| other.clone(), |o| o.name);
        peers.push((other, name, dir, c));
    }
    let mut alerts = AlertQuery {
        device: d.ips.first().cloned().or_else(|| Some(d.id.clone())),
        limit: 10,
        ..AlertQuery::default()
    };
    if d.ips.is_empty() {
        alerts.device = Some(d.id.clone());
    }
    let alerts = s.data.alerts(&alerts)?;
    let hours_chart = match &d.pattern {
        Some(pl) if pl.activity_by_hour.len() == 24 => {
            serde_json::json!([(0..24).collect::<Vec<u32>>(), pl.activity_by_hour]).to_string()
        }
        _ => String::new(),
    };
    html(DevicePage {
        ctx,
        d,
        peers,
        alerts_total: alerts.total,
        alerts: alerts.items,
        hours_chart,
    })
}

async fn map(p: Principal) -> PageResult {
    html(MapPage {
        ctx: Ctx::new(&p, "map"),
    })
}

async fn airgap(State(s): State<Shared>, p: Principal) -> PageResult {
    html(AirgapPage {
        ctx: Ctx::new(&p, "airgap"),
        r: s.data.airgap()?,
    })
}

fn admin_page(s: &Shared, p: &Principal, new_token: String) -> PageResult {
    let ctx = Ctx::new(p, "admin");
    p.require(Role::Admin)
        .map_err(|e| PageError(e, Some(Ctx::new(p, "admin"))))?;
    let settings = ops::settings(s)?
        .into_iter()
        .map(|(k, l, v)| (k, l, v.unwrap_or_default()))
        .collect();
    html(AdminPage {
        ctx,
        users: s.data.user_list()?,
        tokens: s.data.token_list()?,
        new_token,
        settings,
        zones: s.info.zones.clone(),
        fingerprint: s.info.cert_fingerprint.clone(),
        cert_source: s.info.cert_source.clone(),
        db_path: s.info.db_path.clone(),
        audit: s.data.audit_list(10, 0)?.items,
    })
}

async fn admin(State(s): State<Shared>, p: Principal) -> PageResult {
    admin_page(&s, &p, String::new())
}

fn admin_err(p: &Principal) -> impl Fn(ApiError) -> PageError + '_ {
    move |e| PageError(e, Some(Ctx::new(p, "admin")))
}

/// Form of `POST /admin/users`.
#[derive(Deserialize)]
pub struct UserAddForm {
    /// Name.
    pub username: String,
    /// Role.
    pub role: String,
    /// One-time password.
    pub password: String,
}

async fn admin_user_add(
    State(s): State<Shared>,
    p: Principal,
    ClientIp(ip): ClientIp,
    Form(f): Form<UserAddForm>,
) -> PageResult {
    let role: Role = f
        .role
        .parse()
        .map_err(ApiError::BadRequest)
        .map_err(admin_err(&p))?;
    ops::user_add(&s, &p, f.username.trim(), role, &f.password, true, &ip)
        .map_err(admin_err(&p))?;
    Ok(Redirect::to("/admin").into_response())
}

/// Form of `POST /admin/users/{name}`.
#[derive(Deserialize)]
pub struct UserUpdateForm {
    /// New role (empty: unchanged).
    #[serde(default)]
    pub role: String,
    /// New one-time password (empty: unchanged).
    #[serde(default)]
    pub password: String,
}

async fn admin_user_update(
    State(s): State<Shared>,
    p: Principal,
    ClientIp(ip): ClientIp,
    Path(name): Path<String>,
    Form(f): Form<UserUpdateForm>,
) -> PageResult {
    let role = if f.role.is_empty() {
        None
    } else {
        Some(
            f.role
                .parse()
                .map_err(ApiError::BadRequest)
                .map_err(admin_err(&p))?,
        )
    };
    let pw = Some(f.password.as_str()).filter(|p| !p.is_empty());
    ops::user_update(&s, &p, &name, role, pw, &ip).map_err(admin_err(&p))?;
    Ok(Redirect::to("/admin").into_response())
}

async fn admin_user_delete(
    State(s): State<Shared>,
    p: Principal,
    ClientIp(ip): ClientIp,
    Path(name): Path<String>,
) -> PageResult {
    ops::user_delete(&s, &p, &name, &ip).map_err(admin_err(&p))?;
    Ok(Redirect::to("/admin").into_response())
}

/// Form of `POST /admin/tokens`.
#[derive(Deserialize)]
pub struct TokenForm {
    /// Label.
    pub name: String,
    /// Role.
    pub role: String,
}

async fn admin_token_add(
    State(s): State<Shared>,
    p: Principal,
    ClientIp(ip): ClientIp,
    Form(f): Form<TokenForm>,
) -> PageResult {
    let role: Role = f
        .role
        .parse()
        .map_err(ApiError::BadRequest)
        .map_err(admin_err(&p))?;
    let (_, secret) = ops::token_create(&s, &p, &f.name, role, &ip).map_err(admin_err(&p))?;
    // Shown once, on this response; never stored in clear.
    admin_page(&s, &p, secret)
}

async fn admin_token_delete(
    State(s): State<Shared>,
    p: Principal,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
) -> PageResult {
    ops::token_delete(&s, &p, &id, &ip).map_err(admin_err(&p))?;
    Ok(Redirect::to("/admin").into_response())
}

async fn admin_settings(
    State(s): State<Shared>,
    p: Principal,
    ClientIp(ip): ClientIp,
    Form(f): Form<Vec<(String, String)>>,
) -> PageResult {
    p.require(Role::Admin).map_err(admin_err(&p))?;
    for (k, v) in f.iter().filter(|(k, _)| k != crate::mw::CSRF_FIELD) {
        if v.trim().is_empty() {
            continue;
        }
        ops::setting_set(&s, &p, k, v, &ip).map_err(admin_err(&p))?;
    }
    Ok(Redirect::to("/admin").into_response())
}

/// Query of the audit page.
#[derive(Deserialize)]
pub struct OffsetParam {
    /// Offset.
    pub offset: Option<usize>,
}

async fn audit(State(s): State<Shared>, p: Principal, Query(q): Query<OffsetParam>) -> PageResult {
    p.require(Role::Admin).map_err(admin_err(&p))?;
    let off = q.offset.unwrap_or(0);
    let page = s.data.audit_list(100, off)?;
    let (prev, next) = pager(page.total, off, 100);
    html(AuditPage {
        ctx: Ctx::new(&p, "admin"),
        page,
        prev,
        next,
    })
}
