//! Retention: prune the bulky tables (events, alerts) by age and size, oldest
//! first.
//!
//! Never pruned: incidents that anyone triaged or that correlate two or more alerts,
//! verdicts, and every alert that has a verdict, a triage state (acknowledged,
//! assigned, commented) or belongs to such an incident. What is pruned is the
//! untriaged noise: events, and alerts that stand alone in their single-alert,
//! untriaged incident (that incident goes with its alert). Every pruning run that
//! deletes something writes a `retention_prune` line to the audit log with the
//! counts, so nothing disappears silently.

use crate::accounts::audit_tx;
use crate::{Result, Store};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

/// Retention settings. `None` disables a limit.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RetentionPolicy {
    /// Delete events older than this many seconds before `now`.
    pub events_max_age_secs: Option<f64>,
    /// Keep at most this many events (the newest).
    pub events_max_rows: Option<u64>,
    /// Delete prunable alerts whose last observation is older than this.
    pub alerts_max_age_secs: Option<f64>,
    /// Keep at most this many alerts, deleting prunable ones oldest first.
    pub alerts_max_rows: Option<u64>,
    /// Prune events, then prunable alerts, oldest first, until the pages in use
    /// take at most this many bytes. The file does not shrink (freed pages are
    /// reused); run `VACUUM` offline to shrink it.
    pub max_db_bytes: Option<u64>,
}

/// What a pruning run deleted.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PruneReport {
    /// Events deleted.
    pub events: u64,
    /// Alerts deleted.
    pub alerts: u64,
    /// Single-alert, untriaged incidents deleted with their alert.
    pub incidents: u64,
    /// Bytes of pages in use after the run.
    pub used_bytes: u64,
}

/// SQL condition on alias `a`: the alert may be pruned.
const PRUNABLE: &str = "a.status = 'open' AND a.assignee IS NULL AND a.verdict IS NULL
  AND NOT EXISTS (SELECT 1 FROM verdicts v WHERE v.alert_id = a.id)
  AND NOT EXISTS (SELECT 1 FROM comments c WHERE c.target_type = 'alert' AND c.target_id = a.id)
  AND NOT EXISTS (SELECT 1 FROM incident_alerts ia JOIN incidents i ON i.id = ia.incident_id
      WHERE ia.alert_id = a.id AND (i.status != 'open' OR i.assignee IS NOT NULL
        OR (SELECT COUNT(*) FROM incident_alerts x WHERE x.incident_id = i.id) >= 2
        OR EXISTS (SELECT 1 FROM comments c2 WHERE c2.target_type = 'incident' AND c2.target_id = i.id)))";

/// Rows deleted per step when pruning by size.
const SIZE_STEP_MIN: i64 = 1000; // small enough to stop close to the limit

fn used_bytes(c: &Connection) -> Result<u64> {
    let pages: i64 = c.query_row("PRAGMA page_count", [], |r| r.get(0))?;
    let free: i64 = c.query_row("PRAGMA freelist_count", [], |r| r.get(0))?;
    let size: i64 = c.query_row("PRAGMA page_size", [], |r| r.get(0))?;
    Ok(((pages - free).max(0) * size.max(0)) as u64)
}

fn count(c: &Connection, sql: &str) -> Result<i64> {
    Ok(c.query_row(sql, [], |r| r.get(0))?)
}

fn delete_oldest_events(c: &Connection, n: i64) -> Result<u64> {
    if n <= 0 {
        return Ok(0);
    }
    Ok(c.execute(
        "DELETE FROM events WHERE id IN (SELECT id FROM events ORDER BY ts, id LIMIT ?1)",
        [n],
    )? as u64)
}

fn delete_oldest_alerts(c: &Connection, n: i64) -> Result<u64> {
    if n <= 0 {
        return Ok(0);
    }
    Ok(c.execute(
        &format!(
            "DELETE FROM alerts WHERE seq IN (SELECT a.seq FROM alerts a WHERE {PRUNABLE}
             ORDER BY a.last_ts, a.seq LIMIT ?1)"
        ),
        [n],
    )? as u64)
}

/// Deletes incidents whose alerts are all gone, and dangling links.
fn drop_orphans(c: &Connection) -> Result<u64> {
    let n = c.execute(
        "DELETE FROM incidents WHERE id IN (SELECT ia.incident_id FROM incident_alerts ia
           GROUP BY ia.incident_id
           HAVING SUM(ia.alert_id IN (SELECT id FROM alerts)) = 0)",
        [],
    )? as u64;
    c.execute(
        "DELETE FROM incident_alerts WHERE alert_id NOT IN (SELECT id FROM alerts)",
        [],
    )?;
    Ok(n)
}

pub(crate) fn prune_tx(c: &Connection, p: &RetentionPolicy, now: f64) -> Result<PruneReport> {
    let mut rep = PruneReport::default();
    if let Some(age) = p.events_max_age_secs {
        rep.events += c.execute("DELETE FROM events WHERE ts < ?1", [now - age])? as u64;
    }
    if let Some(max) = p.events_max_rows {
        let n = count(c, "SELECT COUNT(*) FROM events")?;
        rep.events += delete_oldest_events(c, n - max.min(i64::MAX as u64) as i64)?;
    }
    if let Some(age) = p.alerts_max_age_secs {
        rep.alerts += c.execute(
            &format!(
                "DELETE FROM alerts WHERE seq IN (SELECT a.seq FROM alerts a WHERE a.last_ts < ?1 AND {PRUNABLE})"
            ),
            [now - age],
        )? as u64;
    }
    if let Some(max) = p.alerts_max_rows {
        let n = count(c, "SELECT COUNT(*) FROM alerts")?;
        rep.alerts += delete_oldest_alerts(c, n - max.min(i64::MAX as u64) as i64)?;
    }
    if let Some(max) = p.max_db_bytes {
        while used_bytes(c)? > max {
            let ev = count(c, "SELECT COUNT(*) FROM events")?;
            if ev > 0 {
                rep.events += delete_oldest_events(c, (ev / 10).max(SIZE_STEP_MIN))?;
                continue;
            }
            let al = count(c, "SELECT COUNT(*) FROM alerts")?;
            let d = delete_oldest_alerts(c, (al / 10).max(SIZE_STEP_MIN))?;
            rep.alerts += d;
            if d == 0 {
                break; // only protected rows are left
            }
        }
    }
    if rep.alerts > 0 {
        rep.incidents = drop_orphans(c)?;
    }
    rep.used_bytes = used_bytes(c)?;
    if rep.events + rep.alerts + rep.incidents > 0 {
        audit_tx(
            c,
            now,
            "retention",
            "retention_prune",
            "events,alerts",
            &format!(
                "events={} alerts={} single_alert_incidents={}",
                rep.events, rep.alerts, rep.incidents
            ),
            "",
        )?;
    }
    Ok(rep)
}

impl Store {
    /// Applies a retention policy at time `now` (packet or wall time, the same
    /// clock as the stored data) in one transaction on the writer thread.
    pub fn prune(&self, policy: &RetentionPolicy, now: f64) -> Result<PruneReport> {
        let p = policy.clone();
        self.write(move |tx| prune_tx(tx, &p, now))
    }

    /// Bytes of database pages in use.
    pub fn used_bytes(&self) -> Result<u64> {
        self.read(used_bytes)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn prunable_sql_parses() {
        let mut c = rusqlite::Connection::open_in_memory().unwrap();
        crate::schema::migrate(&mut c).unwrap();
        let n: i64 = c
            .query_row(
                &format!("SELECT COUNT(*) FROM alerts a WHERE {}", super::PRUNABLE),
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 0);
    }
}
