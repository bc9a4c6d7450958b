//! Actions shared by the pages and the JSON API: login, logout, password changes,
//! user and token management, triage, settings. Each one checks the role, validates
//! its input and writes the audit log, so both front ends behave the same.

use crate::Shared;
use crate::auth::{self, LoginError};
use crate::data::*;
use crate::mw::{ApiError, AuthVia, Principal};
use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;

/// The client address, as an extractor.
#[derive(Clone, Debug)]
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(crate::mw::client_ip(&parts.extensions)))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .ok_or(ApiError::Unauthorized)
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for Principal {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<Principal>().cloned())
    }
}

/// Settings the console edits, with their bounds: (key, label, min, max).
pub const EDITABLE_SETTINGS: [(&str, &str, u64, u64); 2] = [
    (
        "retention_max_age_days",
        "Keep alerts and connections for (days)",
        1,
        3650,
    ),
    (
        "retention_max_size_mb",
        "Maximum database size (MB)",
        10,
        10_000_000,
    ),
];

/// Appends an audit entry; a failing audit write fails the action.
pub fn audit(
    state: &Shared,
    actor: &str,
    action: &str,
    target: &str,
    detail: &str,
    ip: &str,
) -> Result<(), ApiError> {
    state.data.audit_append(&AuditEntry {
        id: 0,
        ts: state.now(),
        actor: actor.into(),
        action: action.into(),
        target: target.into(),
        detail: detail.into(),
        ip: ip.into(),
    })?;
    Ok(())
}

/// A successful login: the cookie token and the session.
pub struct LoggedIn {
    /// Cookie token.
    pub token: String,
    /// Session record (has the CSRF token).
    pub session: SessionRecord,
    /// The user.
    pub user: UserRecord,
}

/// Checks credentials (with throttling), creates a session, audits.
pub fn login(state: &Shared, name: &str, password: &str, ip: &str) -> Result<LoggedIn, ApiError> {
    let now = state.now();
    match auth::check_login(
        state.data.as_ref(),
        &state.throttle,
        name,
        password,
        ip,
        now,
    )? {
        Ok(mut user) => {
            let (token, session) = auth::create_session(state.data.as_ref(), &user.name, ip, now)?;
            user.last_login = Some(now);
            state.data.user_put(&user)?;
            audit(state, &user.name, "login", &user.name, "", ip)?;
            Ok(LoggedIn {
                token,
                session,
                user,
            })
        }
        Err(LoginError::BadCredentials) => {
            let shown: String = name.chars().take(auth::MAX_USERNAME_LEN).collect();
            audit(state, &shown, "login_failed", &shown, "bad credentials", ip)?;
            Err(ApiError::Unauthorized)
        }
        Err(LoginError::Locked(s)) => {
            let shown: String = name.chars().take(auth::MAX_USERNAME_LEN).collect();
            audit(
                state,
                &shown,
                "login_locked",
                &shown,
                &format!("{s} s left"),
                ip,
            )?;
            Err(ApiError::Locked(s))
        }
    }
}

/// Ends the caller's session (no-op for token auth), audits.
pub fn logout(state: &Shared, p: &Principal, ip: &str) -> Result<(), ApiError> {
    if let AuthVia::Session { token_hash, .. } = &p.via {
        state.data.session_delete(token_hash)?;
    }
    audit(state, &p.user, "logout", &p.user, "", ip)
}

/// Changes the caller's own password (needs the current one). Ends all the user's
/// sessions and returns a fresh session token when the caller used a session.
pub fn change_own_password(
    state: &Shared,
    p: &Principal,
    current: &str,
    new: &str,
    ip: &str,
) -> Result<Option<LoggedIn>, ApiError> {
    let Some(mut u) = state.data.user_get(&p.user)? else {
        return Err(ApiError::Unauthorized);
    };
    if !auth::verify_password(current, &u.password_hash) {
        audit(
            state,
            &p.user,
            "password_change_failed",
            &p.user,
            "wrong current password",
            ip,
        )?;
        return Err(ApiError::Forbidden("the current password is wrong".into()));
    }
    auth::check_password_policy(new, &u.name).map_err(ApiError::BadRequest)?;
    if new == current {
        return Err(ApiError::BadRequest(
            "the new password must differ from the current one".into(),
        ));
    }
    u.password_hash = auth::hash_password(new)?;
    u.must_change_password = false;
    state.data.user_put(&u)?;
    state.data.session_delete_user(&u.name)?;
    audit(state, &p.user, "password_change", &p.user, "", ip)?;
    if matches!(p.via, AuthVia::Session { .. }) {
        let (token, session) = auth::create_session(state.data.as_ref(), &u.name, ip, state.now())?;
        Ok(Some(LoggedIn {
            token,
            session,
            user: u,
        }))
    } else {
        Ok(None)
    }
}

/// Adds a user (admin). The password is one-time when `must_change` is true.
pub fn user_add(
    state: &Shared,
    p: &Principal,
    name: &str,
    role: Role,
    password: &str,
    must_change: bool,
    ip: &str,
) -> Result<UserRecord, ApiError> {
    p.require(Role::Admin)?;
    auth::check_username(name).map_err(ApiError::BadRequest)?;
    auth::check_password_policy(password, name).map_err(ApiError::BadRequest)?;
    if state.data.user_get(name)?.is_some() {
        return Err(ApiError::Conflict(format!("user {name} exists")));
    }
    let u = UserRecord {
        name: name.into(),
        role,
        password_hash: auth::hash_password(password)?,
        must_change_password: must_change,
        created: state.now(),
        last_login: None,
    };
    state.data.user_put(&u)?;
    audit(
        state,
        &p.user,
        "user_add",
        name,
        &format!("role {role}"),
        ip,
    )?;
    Ok(u)
}

/// Changes a user's role and/or resets the password (admin).
pub fn user_update(
    state: &Shared,
    p: &Principal,
    name: &str,
    role: Option<Role>,
    password: Option<&str>,
    ip: &str,
) -> Result<UserRecord, ApiError> {
    p.require(Role::Admin)?;
    let Some(mut u) = state.data.user_get(name)? else {
        return Err(ApiError::NotFound);
    };
    if let Some(r) = role {
        if r != Role::Admin && u.role == Role::Admin && admins(state)? <= 1 {
            return Err(ApiError::Conflict(
                "the last admin cannot be demoted".into(),
            ));
        }
        audit(
            state,
            &p.user,
            "user_role",
            name,
            &format!("{} -> {r}", u.role),
            ip,
        )?;
        u.role = r;
    }
    if let Some(pw) = password {
        auth::check_password_policy(pw, name).map_err(ApiError::BadRequest)?;
        u.password_hash = auth::hash_password(pw)?;
        u.must_change_password = true;
        state.data.session_delete_user(name)?;
        audit(state, &p.user, "password_reset", name, "", ip)?;
    }
    state.data.user_put(&u)?;
    Ok(u)
}

fn admins(state: &Shared) -> Result<usize, ApiError> {
    Ok(state
        .data
        .user_list()?
        .iter()
        .filter(|u| u.role == Role::Admin)
        .count())
}

/// Deletes a user (admin; not oneself, not the last admin), with sessions and tokens.
pub fn user_delete(state: &Shared, p: &Principal, name: &str, ip: &str) -> Result<(), ApiError> {
    p.require(Role::Admin)?;
    if name == p.user {
        return Err(ApiError::Conflict(
            "you cannot delete your own account".into(),
        ));
    }
    let Some(u) = state.data.user_get(name)? else {
        return Err(ApiError::NotFound);
    };
    if u.role == Role::Admin && admins(state)? <= 1 {
        return Err(ApiError::Conflict(
            "the last admin cannot be deleted".into(),
        ));
    }
    state.data.user_delete(name)?;
    state.data.session_delete_user(name)?;
    for t in state.data.token_list()? {
        if t.user == name {
            state.data.token_delete(&t.id)?;
        }
    }
    audit(state, &p.user, "user_delete", name, "", ip)
}

/// Creates an API token (admin) acting as the caller with at most the caller's
/// role. Returns the record and the secret, shown once.
pub fn token_create(
    state: &Shared,
    p: &Principal,
    name: &str,
    role: Role,
    ip: &str,
) -> Result<(ApiTokenRecord, String), ApiError> {
    p.require(Role::Admin)?;
    let name = name.trim();
    if name.is_empty() || name.len() > 64 {
        return Err(ApiError::BadRequest(
            "a token name has 1 to 64 characters".into(),
        ));
    }
    let secret = format!("otw_{}", auth::new_token());
    let rec = ApiTokenRecord {
        id: auth::random_hex(8),
        name: name.into(),
        token_hash: auth::token_hash(&secret),
        user: p.user.clone(),
        role: role.min(p.role),
        created: state.now(),
    };
    state.data.token_put(&rec)?;
    audit(
        state,
        &p.user,
        "token_create",
        &rec.id,
        &format!("{} ({})", rec.name, rec.role),
        ip,
    )?;
    Ok((rec, secret))
}

/// Revokes an API token (admin).
pub fn token_delete(state: &Shared, p: &Principal, id: &str, ip: &str) -> Result<(), ApiError> {
    p.require(Role::Admin)?;
    if !state.data.token_delete(id)? {
        return Err(ApiError::NotFound);
    }
    audit(state, &p.user, "token_delete", id, "", ip)
}

fn check_triage(action: &TriageAction) -> Result<(), ApiError> {
    const MAX_COMMENT: usize = 4000;
    let text = match action {
        TriageAction::Comment { text } => text.as_str(),
        TriageAction::Resolve { comment, .. } => comment.as_str(),
        TriageAction::Assign { assignee: Some(a) } => a.as_str(),
        _ => "",
    };
    if text.len() > MAX_COMMENT {
        return Err(ApiError::BadRequest(format!(
            "at most {MAX_COMMENT} characters"
        )));
    }
    if let TriageAction::Comment { text } = action
        && text.trim().is_empty()
    {
        return Err(ApiError::BadRequest("the comment is empty".into()));
    }
    Ok(())
}

/// Which object a triage action is for.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TriageTarget {
    /// An alert.
    Alert,
    /// An incident.
    Incident,
}

/// Applies a triage action (analyst+), audits.
pub fn triage(
    state: &Shared,
    p: &Principal,
    target: TriageTarget,
    id: &str,
    action: &TriageAction,
    ip: &str,
) -> Result<(), ApiError> {
    p.require(Role::Analyst)?;
    check_triage(action)?;
    if let TriageAction::Assign { assignee: Some(a) } = action
        && state.data.user_get(a)?.is_none()
    {
        return Err(ApiError::BadRequest(format!("no user {a}")));
    }
    let now = state.now();
    let found = match target {
        TriageTarget::Alert => state.data.alert_triage(id, action, &p.user, now)?,
        TriageTarget::Incident => state.data.incident_triage(id, action, &p.user, now)?,
    };
    if !found {
        return Err(ApiError::NotFound);
    }
    let detail = serde_json::to_string(action).unwrap_or_default();
    let what = match target {
        TriageTarget::Alert => "alert_triage",
        TriageTarget::Incident => "incident_triage",
    };
    audit(state, &p.user, what, id, &detail, ip)
}

/// Sets an editable setting (admin), bounds-checked.
pub fn setting_set(
    state: &Shared,
    p: &Principal,
    key: &str,
    value: &str,
    ip: &str,
) -> Result<(), ApiError> {
    p.require(Role::Admin)?;
    let Some((_, _, lo, hi)) = EDITABLE_SETTINGS.iter().find(|(k, ..)| *k == key) else {
        return Err(ApiError::BadRequest(format!("unknown setting {key}")));
    };
    let v: u64 = value
        .trim()
        .parse()
        .map_err(|_| ApiError::BadRequest(format!("{key} must be a whole number")))?;
    if v < *lo || v > *hi {
        return Err(ApiError::BadRequest(format!(
            "{key} must be within {lo}..={hi}"
        )));
    }
    state.data.setting_put(key, &v.to_string())?;
    audit(state, &p.user, "setting_change", key, &v.to_string(), ip)
}

/// The editable settings with their current values.
pub fn settings(state: &Shared) -> Result<Vec<(String, String, Option<String>)>, ApiError> {
    EDITABLE_SETTINGS
        .iter()
        .map(|(k, label, ..)| {
            Ok((
                (*k).to_owned(),
                (*label).to_owned(),
                state.data.setting_get(k)?,
            ))
        })
        .collect()
}
