//! The console's accounts: users, sessions, API tokens, and the audit log.
//!
//! The store keeps what the console computes: password hashes (argon2 PHC strings
//! made by the console), session and token hashes (never the secrets).

use crate::alerts::{Page, page_size};
use crate::{Result, Store};
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use serde::{Deserialize, Serialize};

/// A console account.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// Login name (unique).
    pub name: String,
    /// Role (`viewer`, `analyst`, `admin`: the console's vocabulary).
    pub role: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Must change the password at the next login.
    pub must_change_password: bool,
    /// Consecutive failed logins.
    #[serde(default)]
    pub failed_attempts: u32,
    /// Locked until this time after too many failures.
    #[serde(default)]
    pub locked_until: Option<f64>,
    /// Creation time.
    pub created: f64,
    /// Last successful login.
    #[serde(default)]
    pub last_login: Option<f64>,
}

/// A server-side session (the cookie holds the token, the store its hash).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// Hash of the session token.
    pub token_hash: String,
    /// User name.
    pub user: String,
    /// Per-session CSRF token.
    pub csrf: String,
    /// Creation time.
    pub created: f64,
    /// Last request.
    pub last_seen: f64,
    /// Client address at login.
    pub ip: String,
}

/// An API token (stored hashed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiToken {
    /// Public identifier.
    pub id: String,
    /// Label.
    pub name: String,
    /// Hash of the secret.
    pub token_hash: String,
    /// User it acts as.
    pub user: String,
    /// Role granted.
    pub role: String,
    /// Creation time.
    pub created: f64,
}

/// One audit-log line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Sequence number (0 before it is stored).
    #[serde(default)]
    pub id: i64,
    /// When.
    pub ts: f64,
    /// Who (user name, `cli`, `retention`, or the attempted name of a failed login).
    pub actor: String,
    /// Stable snake_case action (`alert_resolve`, `login_failed`, ...).
    pub action: String,
    /// What was acted on.
    pub target: String,
    /// Free-form detail.
    pub detail: String,
    /// Client address, empty when not from the network.
    #[serde(default)]
    pub ip: String,
}

/// Filter and paging for [`Store::audit_list`] (newest first).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditQuery {
    /// Exact actor.
    pub actor: Option<String>,
    /// Exact action.
    pub action: Option<String>,
    /// Exact target.
    pub target: Option<String>,
    /// Page size (0 = 100).
    pub limit: usize,
    /// Rows skipped.
    pub offset: usize,
}

/// Appends an audit line inside a transaction.
pub(crate) fn audit_tx(
    c: &Connection,
    ts: f64,
    actor: &str,
    action: &str,
    target: &str,
    detail: &str,
    ip: &str,
) -> Result<i64> {
    c.execute(
        "INSERT INTO audit_log(ts, actor, action, target, detail, ip) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
        params![ts, actor, action, target, detail, ip],
    )?;
    Ok(c.last_insert_rowid())
}

const USER_COLS: &str = "name, role, password_hash, must_change_password, failed_attempts, locked_until, created, last_login";

fn row_to_user(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        name: r.get(0)?,
        role: r.get(1)?,
        password_hash: r.get(2)?,
        must_change_password: r.get::<_, i64>(3)? != 0,
        failed_attempts: r.get::<_, i64>(4)?.clamp(0, u32::MAX as i64) as u32,
        locked_until: r.get(5)?,
        created: r.get(6)?,
        last_login: r.get(7)?,
    })
}

fn row_to_session(r: &rusqlite::Row<'_>) -> rusqlite::Result<Session> {
    Ok(Session {
        token_hash: r.get(0)?,
        user: r.get(1)?,
        csrf: r.get(2)?,
        created: r.get(3)?,
        last_seen: r.get(4)?,
        ip: r.get(5)?,
    })
}

fn row_to_token(r: &rusqlite::Row<'_>) -> rusqlite::Result<ApiToken> {
    Ok(ApiToken {
        id: r.get(0)?,
        name: r.get(1)?,
        token_hash: r.get(2)?,
        user: r.get(3)?,
        role: r.get(4)?,
        created: r.get(5)?,
    })
}

impl Store {
    /// One user by name.
    pub fn user_get(&self, name: &str) -> Result<Option<User>> {
        self.read(|c| {
            Ok(c.query_row(
                &format!("SELECT {USER_COLS} FROM users WHERE name = ?1"),
                [name],
                row_to_user,
            )
            .optional()?)
        })
    }

    /// All users, by name.
    pub fn user_list(&self) -> Result<Vec<User>> {
        self.read(|c| {
            let mut st = c.prepare(&format!("SELECT {USER_COLS} FROM users ORDER BY name"))?;
            let v = st
                .query_map([], row_to_user)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(v)
        })
    }

    /// Inserts or replaces a user (all fields).
    pub fn user_put(&self, u: &User) -> Result<()> {
        let u = u.clone();
        self.write(move |tx| {
            tx.execute(
                &format!(
                    "INSERT OR REPLACE INTO users({USER_COLS}) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
                ),
                params![
                    u.name,
                    u.role,
                    u.password_hash,
                    u.must_change_password,
                    u.failed_attempts,
                    u.locked_until,
                    u.created,
                    u.last_login
                ],
            )?;
            Ok(())
        })
    }

    /// Deletes a user and their sessions and tokens; false when absent.
    pub fn user_delete(&self, name: &str) -> Result<bool> {
        let name = name.to_string();
        self.write(move |tx| {
            let n = tx.execute("DELETE FROM users WHERE name = ?1", [&name])?;
            tx.execute("DELETE FROM sessions WHERE user = ?1", [&name])?;
            tx.execute("DELETE FROM api_tokens WHERE user = ?1", [&name])?;
            Ok(n > 0)
        })
    }

    /// Records a failed login: increments the counter and, once it reaches
    /// `max_attempts`, locks the account until `ts + lock_secs`. Returns the updated
    /// user, `None` when the name does not exist.
    pub fn user_login_failed(
        &self,
        name: &str,
        ts: f64,
        max_attempts: u32,
        lock_secs: f64,
    ) -> Result<Option<User>> {
        let name = name.to_string();
        self.write(move |tx| {
            tx.execute(
                "UPDATE users SET failed_attempts = failed_attempts + 1,
                   locked_until = CASE WHEN failed_attempts + 1 >= ?2 THEN ?3 ELSE locked_until END
                 WHERE name = ?1",
                params![name, max_attempts, ts + lock_secs],
            )?;
            Ok(tx
                .query_row(
                    &format!("SELECT {USER_COLS} FROM users WHERE name = ?1"),
                    [&name],
                    row_to_user,
                )
                .optional()?)
        })
    }

    /// Records a successful login: resets the failure counter and lock, sets
    /// `last_login`. False when the name does not exist.
    pub fn user_login_ok(&self, name: &str, ts: f64) -> Result<bool> {
        let name = name.to_string();
        self.write(move |tx| {
            Ok(tx.execute(
                "UPDATE users SET failed_attempts = 0, locked_until = NULL, last_login = ?2 WHERE name = ?1",
                params![name, ts],
            )? > 0)
        })
    }

    /// Stores (inserts or replaces) a session.
    pub fn session_put(&self, s: &Session) -> Result<()> {
        let s = s.clone();
        self.write(move |tx| {
            tx.execute(
                "INSERT OR REPLACE INTO sessions(token_hash, user, csrf, created, last_seen, ip)
                 VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
                params![s.token_hash, s.user, s.csrf, s.created, s.last_seen, s.ip],
            )?;
            Ok(())
        })
    }

    /// One session by token hash.
    pub fn session_get(&self, token_hash: &str) -> Result<Option<Session>> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT token_hash, user, csrf, created, last_seen, ip FROM sessions WHERE token_hash = ?1",
                [token_hash],
                row_to_session,
            )
            .optional()?)
        })
    }

    /// Updates a session's last request time; false when absent.
    pub fn session_touch(&self, token_hash: &str, ts: f64) -> Result<bool> {
        let t = token_hash.to_string();
        self.write(move |tx| {
            Ok(tx.execute(
                "UPDATE sessions SET last_seen = ?2 WHERE token_hash = ?1",
                params![t, ts],
            )? > 0)
        })
    }

    /// Deletes a session.
    pub fn session_delete(&self, token_hash: &str) -> Result<()> {
        let t = token_hash.to_string();
        self.write(move |tx| {
            tx.execute("DELETE FROM sessions WHERE token_hash = ?1", [&t])?;
            Ok(())
        })
    }

    /// Deletes every session of a user.
    pub fn session_delete_user(&self, user: &str) -> Result<()> {
        let u = user.to_string();
        self.write(move |tx| {
            tx.execute("DELETE FROM sessions WHERE user = ?1", [&u])?;
            Ok(())
        })
    }

    /// Deletes sessions idle since before `idle_before` or created before
    /// `created_before`; returns how many.
    pub fn session_purge(&self, idle_before: f64, created_before: f64) -> Result<u64> {
        self.write(move |tx| {
            Ok(tx.execute(
                "DELETE FROM sessions WHERE last_seen < ?1 OR created < ?2",
                params![idle_before, created_before],
            )? as u64)
        })
    }

    /// Stores an API token.
    pub fn token_put(&self, t: &ApiToken) -> Result<()> {
        let t = t.clone();
        self.write(move |tx| {
            tx.execute(
                "INSERT OR REPLACE INTO api_tokens(id, name, token_hash, user, role, created)
                 VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
                params![t.id, t.name, t.token_hash, t.user, t.role, t.created],
            )?;
            Ok(())
        })
    }

    /// One API token by secret hash.
    pub fn token_get(&self, token_hash: &str) -> Result<Option<ApiToken>> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT id, name, token_hash, user, role, created FROM api_tokens WHERE token_hash = ?1",
                [token_hash],
                row_to_token,
            )
            .optional()?)
        })
    }

    /// All API tokens, by creation time.
    pub fn token_list(&self) -> Result<Vec<ApiToken>> {
        self.read(|c| {
            let mut st = c.prepare(
                "SELECT id, name, token_hash, user, role, created FROM api_tokens ORDER BY created, id",
            )?;
            let v = st.query_map([], row_to_token)?.collect::<Result<Vec<_>, _>>()?;
            Ok(v)
        })
    }

    /// Revokes a token by id; false when absent.
    pub fn token_delete(&self, id: &str) -> Result<bool> {
        let id = id.to_string();
        self.write(move |tx| Ok(tx.execute("DELETE FROM api_tokens WHERE id = ?1", [&id])? > 0))
    }

    /// Appends to the audit log; returns the entry's id.
    pub fn audit_append(&self, e: &AuditEntry) -> Result<i64> {
        let e = e.clone();
        self.write(move |tx| audit_tx(tx, e.ts, &e.actor, &e.action, &e.target, &e.detail, &e.ip))
    }

    /// Audit entries matching `q`, newest first, with the total count.
    pub fn audit_list(&self, q: &AuditQuery) -> Result<Page<AuditEntry>> {
        let mut wh = Vec::new();
        let mut p: Vec<SqlValue> = Vec::new();
        for (col, v) in [
            ("actor", &q.actor),
            ("action", &q.action),
            ("target", &q.target),
        ] {
            if let Some(v) = v {
                p.push(SqlValue::Text(v.clone()));
                wh.push(format!("{col} = ?{}", p.len()));
            }
        }
        let w = if wh.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", wh.join(" AND "))
        };
        let (limit, offset) = (page_size(q.limit), q.offset.min(i64::MAX as usize));
        self.read(|c| {
            let total: i64 = c.query_row(
                &format!("SELECT COUNT(*) FROM audit_log {w}"),
                params_from_iter(p.iter()),
                |r| r.get(0),
            )?;
            let mut st = c.prepare(&format!(
                "SELECT id, ts, actor, action, target, detail, ip FROM audit_log {w}
                 ORDER BY id DESC LIMIT {limit} OFFSET {offset}"
            ))?;
            let items = st
                .query_map(params_from_iter(p.iter()), |r| {
                    Ok(AuditEntry {
                        id: r.get(0)?,
                        ts: r.get(1)?,
                        actor: r.get(2)?,
                        action: r.get(3)?,
                        target: r.get(4)?,
                        detail: r.get(5)?,
                        ip: r.get(6)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Page {
                total: total.max(0) as u64,
                items,
            })
        })
    }
}
