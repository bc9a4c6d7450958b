//! Middleware: security headers, authentication, CSRF, and the error type.
//!
//! Order, outermost first: security headers (on every response, errors included) →
//! authentication (cookie session or bearer token; 401 unless the path is public) →
//! CSRF and origin checks on state-changing methods.

use crate::Shared;
use crate::auth;
use crate::data::Role;
use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Redirect, Response};
use std::net::SocketAddr;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "otwatch_session";
/// Header carrying the CSRF token (htmx and API clients).
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Form field carrying the CSRF token (plain HTML forms).
pub const CSRF_FIELD: &str = "csrf";
/// Largest form body read for the CSRF check (the console's forms are small).
pub const MAX_FORM_BODY: usize = 64 * 1024;

/// The Content-Security-Policy of every response: only 'self', no inline code.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// How the caller authenticated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthVia {
    /// Session cookie (CSRF token required on writes).
    Session {
        /// Hash of the session token.
        token_hash: String,
        /// The session's CSRF token.
        csrf: String,
    },
    /// `Authorization: Bearer` API token (no CSRF: not sent by browsers on their own).
    Token {
        /// Token id.
        id: String,
    },
}

/// The authenticated caller, in request extensions.
#[derive(Clone, Debug)]
pub struct Principal {
    /// User name.
    pub user: String,
    /// Effective role.
    pub role: Role,
    /// Must change the password before anything else.
    pub must_change_password: bool,
    /// How.
    pub via: AuthVia,
}

impl Principal {
    /// Ok when the caller has at least `role`, else 403.
    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.role >= role {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!("requires the {role} role")))
        }
    }
    /// The CSRF token to embed in pages (empty for token auth).
    pub fn csrf(&self) -> &str {
        match &self.via {
            AuthVia::Session { csrf, .. } => csrf,
            AuthVia::Token { .. } => "",
        }
    }
}

/// Client address of a request ("local" when unknown, as in in-process tests).
pub fn client_ip(req_ext: &axum::http::Extensions) -> String {
    req_ext
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "local".into())
}

/// Errors of handlers, rendered as JSON (`{"error": ..., "message": ...}`).
#[derive(Debug)]
pub enum ApiError {
    /// 400.
    BadRequest(String),
    /// 401.
    Unauthorized,
    /// 403.
    Forbidden(String),
    /// 404.
    NotFound,
    /// 409.
    Conflict(String),
    /// 429 with seconds to wait.
    Locked(u64),
    /// 500.
    Internal(String),
}

impl ApiError {
    /// HTTP status, stable code and message.
    pub fn parts(&self) -> (StatusCode, &'static str, String) {
        match self {
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, "bad_request", m.clone()),
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "sign in first".into(),
            ),
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", m.clone()),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "not_found", "no such object".into()),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, "conflict", m.clone()),
            ApiError::Locked(s) => (
                StatusCode::TOO_MANY_REQUESTS,
                "locked",
                format!(
                    "too many failed logins; try again in {} minutes",
                    s.div_ceil(60)
                ),
            ),
            ApiError::Internal(m) => (StatusCode::INTERNAL_SERVER_ERROR, "internal", m.clone()),
        }
    }
}

impl From<crate::Error> for ApiError {
    fn from(e: crate::Error) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = self.parts();
        let mut r = (
            status,
            axum::Json(serde_json::json!({"error": code, "message": message})),
        )
            .into_response();
        if let ApiError::Locked(s) = self
            && let Ok(v) = HeaderValue::from_str(&s.to_string())
        {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        r
    }
}

/// Paths reachable without authentication.
pub fn is_public(path: &str) -> bool {
    path == "/login"
        || path.starts_with("/static/")
        || path == "/api/v1/session/login"
        || path == "/api/v1/openapi.json"
}

/// Paths allowed while the password must still be changed.
fn allowed_before_password_change(path: &str) -> bool {
    matches!(
        path,
        "/account/password"
            | "/logout"
            | "/api/v1/me"
            | "/api/v1/me/password"
            | "/api/v1/session/logout"
    )
}

/// The value of a cookie in the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The `Set-Cookie` value for a session token (empty token: deletes the cookie).
pub fn session_cookie(token: &str) -> String {
    if token.is_empty() {
        format!("{SESSION_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0")
    } else {
        format!("{SESSION_COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=Strict")
    }
}

fn resolve(state: &Shared, headers: &HeaderMap) -> Result<Option<Principal>, crate::Error> {
    let now = state.now();
    let data = state.data.as_ref();
    if let Some(bearer) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        let Some(t) = data.token_get(&auth::token_hash(bearer.trim()))? else {
            return Ok(None);
        };
        let Some(u) = data.user_get(&t.user)? else {
            return Ok(None);
        };
        return Ok(Some(Principal {
            user: u.name,
            role: t.role.min(u.role),
            must_change_password: false,
            via: AuthVia::Token { id: t.id },
        }));
    }
    let Some(tok) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let Some(s) = auth::resolve_session(data, tok, now)? else {
        return Ok(None);
    };
    let Some(u) = data.user_get(&s.user)? else {
        data.session_delete(&s.token_hash)?;
        return Ok(None);
    };
    Ok(Some(Principal {
        user: u.name,
        role: u.role,
        must_change_password: u.must_change_password,
        via: AuthVia::Session {
            token_hash: s.token_hash,
            csrf: s.csrf,
        },
    }))
}

async fn authenticate(State(state): State<Shared>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let is_api = path.starts_with("/api/");
    let p = match resolve(&state, req.headers()) {
        Ok(p) => p,
        Err(e) => return ApiError::from(e).into_response(),
    };
    match p {
        Some(p) => {
            if p.must_change_password && !allowed_before_password_change(&path) && !is_public(&path)
            {
                return if is_api {
                    ApiError::Forbidden(
                        "password_change_required: change the one-time password first".into(),
                    )
                    .into_response()
                } else {
                    Redirect::to("/account/password").into_response()
                };
            }
            req.extensions_mut().insert(p);
            next.run(req).await
        }
        None if is_public(&path) => next.run(req).await,
        None if is_api => ApiError::Unauthorized.into_response(),
        None => {
            let next_path = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default();
            crate::pages::login_required(&next_path)
        }
    }
}

fn host_of_origin(origin: &str) -> Option<&str> {
    let rest = origin.split_once("://")?.1;
    Some(rest.split('/').next().unwrap_or(rest))
}

async fn csrf(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    // Cross-site form posts (login CSRF included): the Origin must be this host.
    let headers = req.headers();
    if let (Some(origin), Some(host)) = (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) && host_of_origin(origin) != Some(host)
    {
        return ApiError::Forbidden("cross-origin request refused".into()).into_response();
    }
    let expected = match req.extensions().get::<Principal>().map(|p| &p.via) {
        Some(AuthVia::Session { csrf, .. }) => csrf.clone(),
        _ => return next.run(req).await,
    };
    if let Some(v) = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return if auth::ct_eq(v, &expected) {
            next.run(req).await
        } else {
            csrf_refused()
        };
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return csrf_refused();
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_BODY).await else {
        return ApiError::BadRequest("form too large".into()).into_response();
    };
    let ok = form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == CSRF_FIELD)
        .is_some_and(|(_, v)| auth::ct_eq(&v, &expected));
    if !ok {
        return csrf_refused();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn csrf_refused() -> Response {
    ApiError::Forbidden("missing or wrong CSRF token".into()).into_response()
}

async fn security_headers(req: Request, next: Next) -> Response {
    let is_static = req.uri().path().starts_with("/static/");
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    let set = |h: &mut HeaderMap, k: header::HeaderName, v: &'static str| {
        h.insert(k, HeaderValue::from_static(v));
    };
    set(h, header::CONTENT_SECURITY_POLICY, CSP);
    set(
        h,
        header::STRICT_TRANSPORT_SECURITY,
        "max-age=31536000; includeSubDomains",
    );
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::REFERRER_POLICY, "no-referrer");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(
        h,
        header::HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(
        h,
        header::HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=()",
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        set(
            h,
            header::CACHE_CONTROL,
            if is_static {
                "private, max-age=3600"
            } else {
                "no-store"
            },
        );
    }
    r
}

/// Wraps routes with the middleware stack and the state.
pub fn wrap(routes: Router<Shared>, state: Shared) -> Router {
    routes
        .layer(from_fn(csrf))
        .layer(from_fn_with_state(state.clone(), authenticate))
        .layer(from_fn(security_headers))
        .with_state(state)
}
