//! Versioned schema migrations.
//!
//! `schema_version` holds one row: the version of the schema the database is at.
//! [`MIGRATIONS`]`[i]` takes the database from version `i` to `i + 1`; each runs in
//! its own transaction together with the version update, so a crash during a
//! migration leaves the database at the previous version. A database whose version
//! is above [`SCHEMA_VERSION`] was written by a newer otwatch and is refused.
//!
//! Rules for adding a migration: append, never edit a released one; only additive
//! changes where possible (new tables, new nullable columns, new indexes).

use crate::{Error, Result};
use rusqlite::{Connection, OptionalExtension};

/// Migration steps; index `i` upgrades version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: the initial schema.
    r#"
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    ip TEXT, mac TEXT, role TEXT, zone TEXT, name TEXT,
    first_seen REAL, last_seen REAL,
    data TEXT NOT NULL
);
CREATE INDEX devices_ip ON devices(ip);
CREATE INDEX devices_mac ON devices(mac);
CREATE INDEX devices_role ON devices(role);
CREATE INDEX devices_zone ON devices(zone);

CREATE TABLE connections (
    src TEXT NOT NULL, dst TEXT NOT NULL, proto TEXT NOT NULL,
    ops TEXT NOT NULL DEFAULT '[]',
    count INTEGER NOT NULL DEFAULT 0, bytes INTEGER NOT NULL DEFAULT 0,
    first_seen REAL, last_seen REAL, new INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (src, dst, proto)
);
CREATE INDEX connections_dst ON connections(dst);

CREATE TABLE alerts (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    ts REAL NOT NULL, last_ts REAL NOT NULL,
    kind TEXT NOT NULL, score INTEGER NOT NULL, severity TEXT NOT NULL,
    src TEXT NOT NULL, dst TEXT NOT NULL,
    src_host TEXT NOT NULL, dst_host TEXT NOT NULL,
    src_name TEXT NOT NULL, dst_name TEXT NOT NULL,
    proto TEXT NOT NULL, mitre TEXT NOT NULL, summary TEXT NOT NULL,
    evidence TEXT NOT NULL, count INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    assignee TEXT, verdict TEXT,
    suppressed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX alerts_ts ON alerts(ts);
CREATE INDEX alerts_kind ON alerts(kind);
CREATE INDEX alerts_score ON alerts(score);
CREATE INDEX alerts_src ON alerts(src_host);
CREATE INDEX alerts_dst ON alerts(dst_host);

CREATE TABLE incidents (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL, score INTEGER NOT NULL, severity TEXT NOT NULL,
    first_ts REAL NOT NULL, last_ts REAL NOT NULL,
    status TEXT NOT NULL DEFAULT 'open', assignee TEXT, verdict TEXT,
    data TEXT NOT NULL
);
CREATE INDEX incidents_last_ts ON incidents(last_ts);
CREATE TABLE incident_alerts (
    incident_id TEXT NOT NULL, alert_id TEXT NOT NULL, pos INTEGER NOT NULL,
    PRIMARY KEY (incident_id, alert_id)
);
CREATE INDEX incident_alerts_alert ON incident_alerts(alert_id);

CREATE TABLE verdicts (
    id INTEGER PRIMARY KEY,
    alert_id TEXT NOT NULL, verdict TEXT NOT NULL,
    ts REAL NOT NULL, actor TEXT NOT NULL, comment TEXT NOT NULL,
    undone_ts REAL,
    alert TEXT NOT NULL
);
CREATE INDEX verdicts_alert ON verdicts(alert_id);

CREATE TABLE comments (
    id INTEGER PRIMARY KEY,
    target_type TEXT NOT NULL, target_id TEXT NOT NULL,
    ts REAL NOT NULL, author TEXT NOT NULL, text TEXT NOT NULL
);
CREATE INDEX comments_target ON comments(target_type, target_id);

CREATE TABLE suppressions (
    id INTEGER PRIMARY KEY,
    scope TEXT NOT NULL, device TEXT, src TEXT, dst TEXT, kind TEXT,
    created REAL NOT NULL, expires REAL,
    actor TEXT NOT NULL, reason TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE users (
    name TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL, role TEXT NOT NULL,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until REAL,
    created REAL NOT NULL, last_login REAL
);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user TEXT NOT NULL, csrf TEXT NOT NULL,
    created REAL NOT NULL, last_seen REAL NOT NULL, ip TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user);
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY, name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE, user TEXT NOT NULL, role TEXT NOT NULL,
    created REAL NOT NULL
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    ts REAL NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
    target TEXT NOT NULL, detail TEXT NOT NULL, ip TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_ts ON audit_log(ts);

CREATE TABLE model_snapshots (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL, format_version INTEGER NOT NULL,
    created REAL NOT NULL, blob BLOB NOT NULL
);
CREATE INDEX model_snapshots_name ON model_snapshots(name, id);

CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    ts REAL NOT NULL, kind TEXT NOT NULL,
    src TEXT NOT NULL, dst TEXT NOT NULL, proto TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX events_ts ON events(ts);

CREATE TABLE reports (name TEXT PRIMARY KEY, updated REAL NOT NULL, data TEXT NOT NULL);
"#,
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The database's schema version (0 for an empty database).
pub fn current_version(conn: &Connection) -> Result<i64> {
    let has: Option<String> = conn
        .query_row(
            "SELECT name FROM sqlite_master WHERE type='table' AND name='schema_version'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if has.is_none() {
        return Ok(0);
    }
    Ok(conn
        .query_row("SELECT MAX(version) FROM schema_version", [], |r| {
            r.get::<_, Option<i64>>(0)
        })?
        .unwrap_or(0))
}

/// Brings the database to [`SCHEMA_VERSION`], or refuses a newer one.
pub fn migrate(conn: &mut Connection) -> Result<()> {
    migrate_with(conn, MIGRATIONS)
}

/// [`migrate`] with an explicit migration list (tests use a longer one).
pub(crate) fn migrate_with(conn: &mut Connection, migrations: &[&str]) -> Result<()> {
    conn.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")?;
    let found = current_version(conn)?;
    let supported = migrations.len() as i64;
    if found > supported {
        return Err(Error::NewerSchema { found, supported });
    }
    for (i, sql) in migrations.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.execute("DELETE FROM schema_version", [])?;
        tx.execute(
            "INSERT INTO schema_version(version) VALUES(?1)",
            [i as i64 + 1],
        )?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_to_latest_then_refuse_newer() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.db");
        let mut c = Connection::open(&p).unwrap();
        assert_eq!(current_version(&c).unwrap(), 0);
        migrate(&mut c).unwrap();
        assert_eq!(current_version(&c).unwrap(), SCHEMA_VERSION);
        // Idempotent.
        migrate(&mut c).unwrap();
        // A later build adds a migration: it upgrades in place.
        let mut longer: Vec<&str> = MIGRATIONS.to_vec();
        longer.push("ALTER TABLE alerts ADD COLUMN note TEXT;");
        migrate_with(&mut c, &longer).unwrap();
        assert_eq!(current_version(&c).unwrap(), SCHEMA_VERSION + 1);
        // This build then refuses the upgraded database with a clear message.
        let err = migrate(&mut c).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, Error::NewerSchema { .. }));
        assert!(msg.contains("newer than this otwatch supports"), "{msg}");
    }
}
