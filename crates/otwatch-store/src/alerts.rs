//! Alerts: batched insert (with aggregation updates and suppression), filtered and
//! paginated lists, single lookups, and the overview counts.

use crate::triage::{Suppression, Triage, load_comments, load_suppressions};
use crate::{Result, Store};
use otwatch_analyst::host_of;
use otwatch_core::{Alert, Severity, VerdictKind};
use rusqlite::types::Value as SqlValue;
use rusqlite::{OptionalExtension, Row, params, params_from_iter};
use serde::{Deserialize, Serialize};

/// Default page size when a query asks for 0 rows.
const DEFAULT_PAGE: usize = 100;
/// Largest page a query may ask for.
pub const MAX_PAGE: usize = 10_000; // bounds one response's memory

/// Sort keys for alert lists.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertSort {
    /// Newest first (default).
    #[default]
    Time,
    /// Highest score first, then newest.
    Score,
    /// By kind (A→Z), then newest.
    Kind,
}

/// Filter, sort and paging for [`Store::alerts`]. All filters are optional and
/// combine with AND.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AlertQuery {
    /// Alerts whose first time is at or after this (epoch seconds).
    pub since: Option<f64>,
    /// Alerts whose first time is before this.
    pub until: Option<f64>,
    /// Minimum score.
    pub min_score: Option<u8>,
    /// Exact severity.
    pub severity: Option<Severity>,
    /// Exact kind.
    pub kind: Option<String>,
    /// Triage status (`open`, `acknowledged`, `resolved`).
    pub status: Option<String>,
    /// Alerts whose source or destination host is this address, or an address of the
    /// device with this id.
    pub device: Option<String>,
    /// Substring of summary, src, dst or kind (case-insensitive for ASCII).
    pub text: Option<String>,
    /// Include alerts muted by a suppression rule (hidden by default).
    pub include_suppressed: bool,
    /// Sort key.
    pub sort: AlertSort,
    /// Ascending instead of the key's natural order.
    pub ascending: bool,
    /// Page size (0 = 100, at most [`MAX_PAGE`]).
    pub limit: usize,
    /// Rows skipped.
    pub offset: usize,
}

/// One page of results with the total count of matching rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// Matching rows in total.
    pub total: u64,
    /// This page.
    pub items: Vec<T>,
}

/// An alert with its triage state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertRow {
    /// The alert as the engine raised it (count and last time as last updated).
    pub alert: Alert,
    /// Triage state. Lists leave `comments` empty; [`Store::alert`] fills them.
    pub triage: Triage,
    /// The incident it belongs to, if incidents were computed.
    pub incident_id: Option<String>,
    /// Muted by a suppression rule when it was stored.
    pub suppressed: bool,
}

/// Counts for an overview page.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    /// Devices in total.
    pub devices: u64,
    /// Devices per role, by count descending.
    pub devices_by_role: Vec<(String, u64)>,
    /// Devices per zone, by count descending.
    pub devices_by_zone: Vec<(String, u64)>,
    /// Alerts in total (suppressed excluded).
    pub alerts: u64,
    /// Open alerts (suppressed excluded).
    pub alerts_open: u64,
    /// Open incidents per severity.
    pub open_incidents_by_severity: Vec<(String, u64)>,
    /// Alerts per time bucket: (bucket start, count), oldest first.
    pub alerts_over_time: Vec<(f64, u64)>,
    /// Connections in total.
    pub connections: u64,
    /// First and last alert time in the store.
    pub alert_span: Option<(f64, f64)>,
}

/// Columns of an alert row, in the order [`row_to_alert`] reads them.
pub(crate) const ALERT_COLS: &str = "a.id, a.ts, a.last_ts, a.kind, a.score, a.severity, a.src, a.dst, \
     a.src_name, a.dst_name, a.proto, a.mitre, a.summary, a.evidence, a.count, \
     a.status, a.assignee, a.verdict, a.suppressed, \
     (SELECT incident_id FROM incident_alerts ia WHERE ia.alert_id=a.id LIMIT 1)";

fn severity_of(s: &str, score: u8) -> Severity {
    match s {
        "low" => Severity::Low,
        "medium" => Severity::Medium,
        "high" => Severity::High,
        "critical" => Severity::Critical,
        _ => Severity::from_score(score),
    }
}

/// Reads an alert row selected with [`ALERT_COLS`].
pub(crate) fn row_to_alert(r: &Row<'_>) -> rusqlite::Result<AlertRow> {
    let score: i64 = r.get(4)?;
    let score = score.clamp(0, 100) as u8;
    let sev: String = r.get(5)?;
    let mitre: String = r.get(11)?;
    let evidence: String = r.get(13)?;
    let verdict: Option<String> = r.get(17)?;
    let count: i64 = r.get(14)?;
    Ok(AlertRow {
        alert: Alert {
            id: r.get(0)?,
            ts: r.get(1)?,
            last_ts: r.get(2)?,
            kind: r.get(3)?,
            score,
            severity: severity_of(&sev, score),
            src: r.get(6)?,
            dst: r.get(7)?,
            src_name: r.get(8)?,
            dst_name: r.get(9)?,
            proto: r.get(10)?,
            mitre: serde_json::from_str(&mitre).unwrap_or_default(),
            summary: r.get(12)?,
            evidence: serde_json::from_str(&evidence).unwrap_or(serde_json::Value::Null),
            count: count.max(0) as u64,
        },
        triage: Triage {
            status: r.get(15)?,
            assignee: r.get(16)?,
            verdict: verdict.and_then(|v| v.parse::<VerdictKind>().ok()),
            comments: Vec::new(),
        },
        incident_id: r.get(19)?,
        suppressed: r.get::<_, i64>(18)? != 0,
    })
}

/// True when a suppression rule mutes `a` (at the alert's own time).
fn suppressed_by(rules: &[Suppression], a: &Alert) -> bool {
    let (src, dst) = (host_of(&a.src), host_of(&a.dst));
    rules.iter().any(|r| r.matches(&a.kind, src, dst, a.ts))
}

/// Inserts or updates alerts inside a transaction.
pub(crate) fn insert_alerts_tx(tx: &rusqlite::Transaction<'_>, alerts: &[Alert]) -> Result<()> {
    let rules = load_suppressions(tx)?;
    let mut st = tx.prepare_cached(
        "INSERT INTO alerts(id, ts, last_ts, kind, score, severity, src, dst, src_host, dst_host,
                            src_name, dst_name, proto, mitre, summary, evidence, count, suppressed)
         VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)
         ON CONFLICT(id) DO UPDATE SET
            last_ts=MAX(last_ts, excluded.last_ts), count=excluded.count,
            score=MAX(score, excluded.score), severity=excluded.severity,
            summary=excluded.summary, evidence=excluded.evidence",
    )?;
    for a in alerts {
        let mitre = serde_json::to_string(&a.mitre)?;
        let evidence = serde_json::to_string(&a.evidence)?;
        st.execute(params![
            a.id,
            a.ts,
            a.last_ts.max(a.ts),
            a.kind,
            a.score,
            a.severity.as_str(),
            a.src,
            a.dst,
            host_of(&a.src),
            host_of(&a.dst),
            a.src_name,
            a.dst_name,
            a.proto,
            mitre,
            a.summary,
            evidence,
            a.count.min(i64::MAX as u64) as i64,
            suppressed_by(&rules, a),
        ])?;
    }
    Ok(())
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`.
pub(crate) fn like_pattern(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('%');
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Clamps a requested page size.
pub(crate) fn page_size(limit: usize) -> usize {
    match limit {
        0 => DEFAULT_PAGE,
        n => n.min(MAX_PAGE),
    }
}

impl Store {
    /// Inserts alerts synchronously (one transaction). For the pipeline prefer the
    /// [`crate::Writer`]. An alert whose id exists updates its count, last time,
    /// score (the maximum), severity, summary and evidence; triage is kept.
    pub fn insert_alerts(&self, alerts: &[Alert]) -> Result<()> {
        let alerts = alerts.to_vec();
        self.write(move |tx| insert_alerts_tx(tx, &alerts))
    }

    /// Alerts matching `q`, sorted and paginated, with the total count.
    pub fn alerts(&self, q: &AlertQuery) -> Result<Page<AlertRow>> {
        let mut wh: Vec<String> = Vec::new();
        let mut p: Vec<SqlValue> = Vec::new();
        if let Some(s) = q.since {
            p.push(SqlValue::Real(s));
            wh.push(format!("a.ts >= ?{}", p.len()));
        }
        if let Some(u) = q.until {
            p.push(SqlValue::Real(u));
            wh.push(format!("a.ts < ?{}", p.len()));
        }
        if let Some(m) = q.min_score {
            p.push(SqlValue::Integer(m as i64));
            wh.push(format!("a.score >= ?{}", p.len()));
        }
        if let Some(s) = q.severity {
            p.push(SqlValue::Text(s.as_str().into()));
            wh.push(format!("a.severity = ?{}", p.len()));
        }
        if let Some(k) = &q.kind {
            p.push(SqlValue::Text(k.clone()));
            wh.push(format!("a.kind = ?{}", p.len()));
        }
        if let Some(s) = &q.status {
            p.push(SqlValue::Text(s.clone()));
            wh.push(format!("a.status = ?{}", p.len()));
        }
        if let Some(d) = &q.device {
            p.push(SqlValue::Text(d.clone()));
            let n = p.len();
            wh.push(format!(
                "(a.src_host = ?{n} OR a.dst_host = ?{n} OR a.src_host IN
                   (SELECT ip FROM devices WHERE id = ?{n} UNION SELECT mac FROM devices WHERE id = ?{n})
                  OR a.dst_host IN
                   (SELECT ip FROM devices WHERE id = ?{n} UNION SELECT mac FROM devices WHERE id = ?{n}))"
            ));
        }
        if let Some(t) = &q.text {
            p.push(SqlValue::Text(like_pattern(t)));
            let n = p.len();
            wh.push(format!(
                "(a.summary LIKE ?{n} ESCAPE '\\' OR a.src LIKE ?{n} ESCAPE '\\'
                  OR a.dst LIKE ?{n} ESCAPE '\\' OR a.kind LIKE ?{n} ESCAPE '\\')"
            ));
        }
        if !q.include_suppressed {
            wh.push("a.suppressed = 0".into());
        }
        let where_sql = if wh.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", wh.join(" AND "))
        };
        let (asc, desc) = ("ASC", "DESC");
        let order = match (q.sort, q.ascending) {
            (AlertSort::Time, false) => format!("a.ts {desc}, a.seq {desc}"),
            (AlertSort::Time, true) => format!("a.ts {asc}, a.seq {asc}"),
            (AlertSort::Score, false) => format!("a.score {desc}, a.ts {desc}, a.seq {desc}"),
            (AlertSort::Score, true) => format!("a.score {asc}, a.ts {desc}, a.seq {desc}"),
            (AlertSort::Kind, false) => format!("a.kind {asc}, a.ts {desc}, a.seq {desc}"),
            (AlertSort::Kind, true) => format!("a.kind {desc}, a.ts {desc}, a.seq {desc}"),
        };
        let limit = page_size(q.limit);
        let offset = q.offset.min(i64::MAX as usize);
        self.read(|c| {
            let total: i64 = c.query_row(
                &format!("SELECT COUNT(*) FROM alerts a {where_sql}"),
                params_from_iter(p.iter()),
                |r| r.get(0),
            )?;
            let sql = format!(
                "SELECT {ALERT_COLS} FROM alerts a {where_sql} ORDER BY {order} LIMIT {limit} OFFSET {offset}"
            );
            let mut st = c.prepare(&sql)?;
            let items = st
                .query_map(params_from_iter(p.iter()), row_to_alert)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Page {
                total: total.max(0) as u64,
                items,
            })
        })
    }

    /// Every alert (suppressed included when `include_suppressed`), in time order
    /// (`ts`, then id): the correlator's input.
    pub fn all_alerts(&self, include_suppressed: bool) -> Result<Vec<Alert>> {
        self.read(|c| {
            let sql = format!(
                "SELECT {ALERT_COLS} FROM alerts a {} ORDER BY a.ts, a.id",
                if include_suppressed {
                    ""
                } else {
                    "WHERE a.suppressed = 0"
                }
            );
            let mut st = c.prepare(&sql)?;
            let v = st
                .query_map([], row_to_alert)?
                .map(|r| r.map(|a| a.alert))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(v)
        })
    }

    /// One alert with its triage state and comments.
    pub fn alert(&self, id: &str) -> Result<Option<AlertRow>> {
        self.read(|c| {
            let row = c
                .query_row(
                    &format!("SELECT {ALERT_COLS} FROM alerts a WHERE a.id = ?1"),
                    [id],
                    row_to_alert,
                )
                .optional()?;
            match row {
                Some(mut r) => {
                    r.triage.comments = load_comments(c, "alert", id)?;
                    Ok(Some(r))
                }
                None => Ok(None),
            }
        })
    }

    /// Number of stored alerts (suppressed included).
    pub fn alert_count(&self) -> Result<u64> {
        self.read(|c| {
            let n: i64 = c.query_row("SELECT COUNT(*) FROM alerts", [], |r| r.get(0))?;
            Ok(n.max(0) as u64)
        })
    }

    /// The latest alert time in the store (`last_ts`), if any: the reference for
    /// relative `--since` in the CLI (packet time, so offline analyses work).
    pub fn latest_alert_ts(&self) -> Result<Option<f64>> {
        self.read(|c| Ok(c.query_row("SELECT MAX(last_ts) FROM alerts", [], |r| r.get(0))?))
    }

    /// Overview counts; `bucket_secs` sizes the alerts-over-time buckets (at most
    /// 500 buckets are returned: the newest).
    pub fn overview(&self, bucket_secs: f64) -> Result<Overview> {
        let bucket = if bucket_secs.is_finite() && bucket_secs > 0.0 {
            bucket_secs
        } else {
            3600.0
        };
        self.read(|c| {
            let one = |sql: &str| -> Result<u64> {
                let n: i64 = c.query_row(sql, [], |r| r.get(0))?;
                Ok(n.max(0) as u64)
            };
            let groups = |sql: &str| -> Result<Vec<(String, u64)>> {
                let mut st = c.prepare(sql)?;
                let v = st
                    .query_map([], |r| {
                        Ok((
                            r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                            r.get::<_, i64>(1)?.max(0) as u64,
                        ))
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(v)
            };
            let mut st = c.prepare(
                "SELECT CAST(ts / ?1 AS INTEGER) AS b, COUNT(*) FROM alerts
                 WHERE suppressed = 0 GROUP BY b ORDER BY b DESC LIMIT 500",
            )?;
            let mut over: Vec<(f64, u64)> = st
                .query_map([bucket], |r| {
                    Ok((
                        r.get::<_, i64>(0)? as f64 * bucket,
                        r.get::<_, i64>(1)?.max(0) as u64,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            over.reverse();
            let span: (Option<f64>, Option<f64>) =
                c.query_row("SELECT MIN(ts), MAX(last_ts) FROM alerts", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?;
            Ok(Overview {
                devices: one("SELECT COUNT(*) FROM devices")?,
                devices_by_role: groups(
                    "SELECT role, COUNT(*) n FROM devices GROUP BY role ORDER BY n DESC, role",
                )?,
                devices_by_zone: groups(
                    "SELECT zone, COUNT(*) n FROM devices GROUP BY zone ORDER BY n DESC, zone",
                )?,
                alerts: one("SELECT COUNT(*) FROM alerts WHERE suppressed = 0")?,
                alerts_open: one(
                    "SELECT COUNT(*) FROM alerts WHERE suppressed = 0 AND status = 'open'",
                )?,
                open_incidents_by_severity: groups(
                    "SELECT severity, COUNT(*) n FROM incidents WHERE status != 'resolved'
                     GROUP BY severity ORDER BY n DESC, severity",
                )?,
                alerts_over_time: over,
                connections: one("SELECT COUNT(*) FROM connections")?,
                alert_span: match span {
                    (Some(a), Some(b)) => Some((a, b)),
                    _ => None,
                },
            })
        })
    }
}
