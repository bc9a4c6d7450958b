//! Triage: acknowledge, assign, comment, resolve with a verdict, reopen (undo);
//! verdict records for the engine; suppression rules; stored incidents. Every
//! triage action writes an audit-log line in the same transaction.

use crate::accounts::audit_tx;
use crate::alerts::{ALERT_COLS, Page, page_size, row_to_alert};
use crate::{Error, Result, Store};
use otwatch_analyst::{CorrelatorConfig, Incident, correlate};
use otwatch_core::{Severity, Verdict, VerdictKind};
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use serde::{Deserialize, Serialize};

/// Longest comment or audit detail stored, in characters.
const MAX_TEXT_CHARS: usize = 4000; // a long paragraph; bounds the audit log's rows

/// One triage comment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comment {
    /// When (epoch seconds).
    pub ts: f64,
    /// Who.
    pub author: String,
    /// Text.
    pub text: String,
}

/// Triage state of an alert or incident.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Triage {
    /// `open`, `acknowledged` or `resolved`.
    pub status: String,
    /// Assigned analyst, if any.
    pub assignee: Option<String>,
    /// Verdict in force, if resolved.
    pub verdict: Option<VerdictKind>,
    /// Comments, oldest first.
    pub comments: Vec<Comment>,
}

/// A triage action (the console's and the CLI's vocabulary).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum TriageAction {
    /// Mark as seen (`open` → `acknowledged`).
    Acknowledge,
    /// Assign to a user (`None` unassigns).
    Assign {
        /// The assignee.
        assignee: Option<String>,
    },
    /// Add a comment.
    Comment {
        /// The text.
        text: String,
    },
    /// Resolve with a verdict. "expected" and "new_normal" teach the model; a
    /// verdict given while another is in force supersedes it.
    Resolve {
        /// The verdict.
        verdict: VerdictKind,
        /// Optional comment.
        #[serde(default)]
        comment: String,
    },
    /// Undo the verdict in force and reopen.
    Reopen,
}

impl TriageAction {
    /// The stable snake_case name used in audit actions (`alert_<name>`).
    pub fn name(&self) -> &'static str {
        match self {
            TriageAction::Acknowledge => "acknowledge",
            TriageAction::Assign { .. } => "assign",
            TriageAction::Comment { .. } => "comment",
            TriageAction::Resolve { .. } => "resolve",
            TriageAction::Reopen => "reopen",
        }
    }
}

/// What a suppression rule matches.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuppressionScope {
    /// Alerts whose source or destination host is `device` (optionally of `kind`).
    Device,
    /// Alerts from `src` to `dst` (optionally of `kind`).
    Pair,
    /// Alerts of `kind`, anywhere.
    Kind,
}

impl SuppressionScope {
    /// Stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            SuppressionScope::Device => "device",
            SuppressionScope::Pair => "pair",
            SuppressionScope::Kind => "kind",
        }
    }
    fn parse(s: &str) -> Option<Self> {
        match s {
            "device" => Some(SuppressionScope::Device),
            "pair" => Some(SuppressionScope::Pair),
            "kind" => Some(SuppressionScope::Kind),
            _ => None,
        }
    }
}

/// A suppression rule: matching alerts are stored but marked `suppressed` and hidden
/// from lists, until the rule expires or is removed. Expiry is compared with the
/// alert's own time, so replays of old captures honour it the same way.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Suppression {
    /// Row id (0 before it is stored).
    #[serde(default)]
    pub id: i64,
    /// Scope.
    pub scope: SuppressionScope,
    /// Device host for [`SuppressionScope::Device`].
    #[serde(default)]
    pub device: Option<String>,
    /// Source host for [`SuppressionScope::Pair`].
    #[serde(default)]
    pub src: Option<String>,
    /// Destination host for [`SuppressionScope::Pair`].
    #[serde(default)]
    pub dst: Option<String>,
    /// Alert kind (required for [`SuppressionScope::Kind`], optional otherwise).
    #[serde(default)]
    pub kind: Option<String>,
    /// Creation time.
    pub created: f64,
    /// Expiry (epoch seconds), `None` = until removed.
    #[serde(default)]
    pub expires: Option<f64>,
    /// Who created it.
    pub actor: String,
    /// Why.
    #[serde(default)]
    pub reason: String,
}

impl Suppression {
    /// True when the rule mutes an alert of `kind` from host `src` to host `dst` at
    /// time `ts`.
    pub fn matches(&self, kind: &str, src: &str, dst: &str, ts: f64) -> bool {
        if self.expires.is_some_and(|e| ts >= e) {
            return false;
        }
        let kind_ok = self.kind.as_deref().is_none_or(|k| k == kind);
        match self.scope {
            SuppressionScope::Device => {
                kind_ok && self.device.as_deref().is_some_and(|d| d == src || d == dst)
            }
            SuppressionScope::Pair => {
                kind_ok && self.src.as_deref() == Some(src) && self.dst.as_deref() == Some(dst)
            }
            SuppressionScope::Kind => self.kind.as_deref() == Some(kind),
        }
    }

    fn validate(&self) -> Result<()> {
        let ok = match self.scope {
            SuppressionScope::Device => self.device.as_deref().is_some_and(|d| !d.is_empty()),
            SuppressionScope::Pair => self.src.is_some() && self.dst.is_some(),
            SuppressionScope::Kind => self.kind.as_deref().is_some_and(|k| !k.is_empty()),
        };
        if ok {
            Ok(())
        } else {
            Err(Error::Invalid(format!(
                "a {} suppression needs {}",
                self.scope.as_str(),
                match self.scope {
                    SuppressionScope::Device => "a device",
                    SuppressionScope::Pair => "src and dst",
                    SuppressionScope::Kind => "a kind",
                }
            )))
        }
    }
}

/// An incident with its triage state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IncidentRow {
    /// The incident as the correlator wrote it.
    pub incident: Incident,
    /// Triage. Lists leave `comments` empty; [`Store::incident`] fills them.
    pub triage: Triage,
}

/// Filter and paging for [`Store::incidents`] (newest activity first).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct IncidentQuery {
    /// Triage status.
    pub status: Option<String>,
    /// Exact severity.
    pub severity: Option<Severity>,
    /// Minimum score.
    pub min_score: Option<u8>,
    /// Page size (0 = 100).
    pub limit: usize,
    /// Rows skipped.
    pub offset: usize,
}

fn clip(s: &str) -> String {
    s.chars().take(MAX_TEXT_CHARS).collect()
}

pub(crate) fn load_comments(c: &Connection, target_type: &str, id: &str) -> Result<Vec<Comment>> {
    let mut st = c.prepare_cached(
        "SELECT ts, author, text FROM comments WHERE target_type = ?1 AND target_id = ?2 ORDER BY id",
    )?;
    let v = st
        .query_map([target_type, id], |r| {
            Ok(Comment {
                ts: r.get(0)?,
                author: r.get(1)?,
                text: r.get(2)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(v)
}

const SUPPRESSION_COLS: &str = "id, scope, device, src, dst, kind, created, expires, actor, reason";

fn row_to_suppression(r: &rusqlite::Row<'_>) -> rusqlite::Result<Suppression> {
    let scope: String = r.get(1)?;
    Ok(Suppression {
        id: r.get(0)?,
        scope: SuppressionScope::parse(&scope).unwrap_or(SuppressionScope::Kind),
        device: r.get(2)?,
        src: r.get(3)?,
        dst: r.get(4)?,
        kind: r.get(5)?,
        created: r.get(6)?,
        expires: r.get(7)?,
        actor: r.get(8)?,
        reason: r.get(9)?,
    })
}

/// Active (not removed) suppression rules; expiry is checked per alert.
pub(crate) fn load_suppressions(c: &Connection) -> Result<Vec<Suppression>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {SUPPRESSION_COLS} FROM suppressions WHERE active = 1 ORDER BY id"
    ))?;
    let v = st
        .query_map([], row_to_suppression)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(v)
}

fn row_to_verdict(r: &rusqlite::Row<'_>) -> rusqlite::Result<Verdict> {
    let v: String = r.get(2)?;
    let alert: String = r.get(7)?;
    let alert = serde_json::from_str(&alert).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(7, rusqlite::types::Type::Text, Box::new(e))
    })?;
    Ok(Verdict {
        id: r.get(0)?,
        alert_id: r.get(1)?,
        verdict: v.parse().map_err(|e: String| {
            rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, e.into())
        })?,
        ts: r.get(3)?,
        actor: r.get(4)?,
        comment: r.get(5)?,
        undone_ts: r.get(6)?,
        alert,
    })
}

const VERDICT_COLS: &str = "id, alert_id, verdict, ts, actor, comment, undone_ts, alert";

/// Undoes the verdict in force on `alert_id`; returns it (with `undone_ts` set).
fn undo_tx(tx: &Connection, alert_id: &str, ts: f64) -> Result<Option<Verdict>> {
    let id: Option<i64> = tx
        .query_row(
            "SELECT MAX(id) FROM verdicts WHERE alert_id = ?1 AND undone_ts IS NULL",
            [alert_id],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    let Some(id) = id else { return Ok(None) };
    tx.execute(
        "UPDATE verdicts SET undone_ts = ?1 WHERE id = ?2",
        params![ts, id],
    )?;
    Ok(Some(tx.query_row(
        &format!("SELECT {VERDICT_COLS} FROM verdicts WHERE id = ?1"),
        [id],
        row_to_verdict,
    )?))
}

/// Applies one action to one alert inside a transaction. `via` names the incident
/// when the action came from incident triage. Returns false when the alert is absent.
fn alert_action_tx(
    tx: &Connection,
    id: &str,
    action: &TriageAction,
    actor: &str,
    ts: f64,
    via: Option<&str>,
) -> Result<bool> {
    let row = tx
        .query_row(
            &format!("SELECT {ALERT_COLS} FROM alerts a WHERE a.id = ?1"),
            [id],
            row_to_alert,
        )
        .optional()?;
    let Some(row) = row else { return Ok(false) };
    let mut detail = match action {
        TriageAction::Acknowledge => {
            tx.execute(
                "UPDATE alerts SET status = 'acknowledged' WHERE id = ?1 AND status = 'open'",
                [id],
            )?;
            String::new()
        }
        TriageAction::Assign { assignee } => {
            tx.execute(
                "UPDATE alerts SET assignee = ?1 WHERE id = ?2",
                params![assignee, id],
            )?;
            assignee.clone().unwrap_or_else(|| "(unassigned)".into())
        }
        TriageAction::Comment { text } => {
            tx.execute(
                "INSERT INTO comments(target_type, target_id, ts, author, text)
                 VALUES('alert', ?1, ?2, ?3, ?4)",
                params![id, ts, actor, clip(text)],
            )?;
            clip(text)
        }
        TriageAction::Resolve { verdict, comment } => {
            let superseded = undo_tx(tx, id, ts)?;
            tx.execute(
                "INSERT INTO verdicts(alert_id, verdict, ts, actor, comment, alert)
                 VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    id,
                    verdict.as_str(),
                    ts,
                    actor,
                    clip(comment),
                    serde_json::to_string(&row.alert)?
                ],
            )?;
            tx.execute(
                "UPDATE alerts SET status = 'resolved', verdict = ?1 WHERE id = ?2",
                params![verdict.as_str(), id],
            )?;
            if !comment.trim().is_empty() {
                tx.execute(
                    "INSERT INTO comments(target_type, target_id, ts, author, text)
                     VALUES('alert', ?1, ?2, ?3, ?4)",
                    params![id, ts, actor, clip(comment)],
                )?;
            }
            let mut d = verdict.as_str().to_string();
            if let Some(s) = superseded {
                d.push_str(&format!(" (supersedes {})", s.verdict));
            }
            if !comment.trim().is_empty() {
                d.push_str(": ");
                d.push_str(&clip(comment));
            }
            d
        }
        TriageAction::Reopen => {
            let undone = undo_tx(tx, id, ts)?;
            tx.execute(
                "UPDATE alerts SET status = 'open', verdict = NULL WHERE id = ?1",
                [id],
            )?;
            match undone {
                Some(v) => format!("verdict {} undone", v.verdict),
                None => "no verdict in force".into(),
            }
        }
    };
    if let Some(inc) = via {
        detail = format!("{detail} (via incident {inc})").trim().to_string();
    }
    audit_tx(
        tx,
        ts,
        actor,
        &format!("alert_{}", action.name()),
        id,
        &detail,
        "",
    )?;
    Ok(true)
}

pub(crate) fn save_incidents_tx(tx: &rusqlite::Transaction<'_>, incs: &[Incident]) -> Result<()> {
    let mut up = tx.prepare_cached(
        "INSERT INTO incidents(id, title, score, severity, first_ts, last_ts, data)
         VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT(id) DO UPDATE SET title=excluded.title, score=excluded.score,
            severity=excluded.severity, first_ts=excluded.first_ts,
            last_ts=excluded.last_ts, data=excluded.data",
    )?;
    let mut del = tx.prepare_cached("DELETE FROM incident_alerts WHERE incident_id = ?1")?;
    let mut link = tx.prepare_cached(
        "INSERT OR REPLACE INTO incident_alerts(incident_id, alert_id, pos) VALUES(?1, ?2, ?3)",
    )?;
    for inc in incs {
        up.execute(params![
            inc.id,
            inc.title,
            inc.score,
            inc.severity.as_str(),
            inc.first_ts,
            inc.last_ts,
            serde_json::to_string(inc)?
        ])?;
        del.execute([&inc.id])?;
        for (i, a) in inc.alert_ids().enumerate() {
            link.execute(params![inc.id, a, i as i64])?;
        }
    }
    Ok(())
}

fn incident_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(String, Triage)> {
    let verdict: Option<String> = r.get(3)?;
    Ok((
        r.get(0)?,
        Triage {
            status: r.get(1)?,
            assignee: r.get(2)?,
            verdict: verdict.and_then(|v| v.parse().ok()),
            comments: Vec::new(),
        },
    ))
}

impl Store {
    /// Stores incidents (insert or update by id). Triage state of existing incidents
    /// is kept; their alert membership is replaced.
    pub fn save_incidents(&self, incs: &[Incident]) -> Result<()> {
        let v = incs.to_vec();
        self.write(move |tx| save_incidents_tx(tx, &v))
    }

    /// Re-correlates every unsuppressed alert in the store (time order) and stores
    /// the result. Incidents from an earlier correlation that no longer exist are
    /// deleted only when nobody triaged them (status open, no assignee, no comment);
    /// triaged ones are kept. Returns the incidents.
    pub fn rebuild_incidents(&self, cfg: &CorrelatorConfig) -> Result<Vec<Incident>> {
        let alerts = self.all_alerts(false)?;
        let incs = correlate(&alerts, cfg);
        let v = incs.clone();
        self.write(move |tx| {
            tx.execute_batch("CREATE TEMP TABLE IF NOT EXISTS keep_inc(id TEXT PRIMARY KEY); DELETE FROM keep_inc;")?;
            {
                let mut ins = tx.prepare_cached("INSERT OR IGNORE INTO keep_inc(id) VALUES(?1)")?;
                for i in &v {
                    ins.execute([&i.id])?;
                }
            }
            tx.execute_batch(
                "DELETE FROM incident_alerts WHERE incident_id IN (SELECT id FROM incidents i
                   WHERE i.id NOT IN (SELECT id FROM keep_inc) AND i.status = 'open'
                     AND i.assignee IS NULL
                     AND NOT EXISTS (SELECT 1 FROM comments c WHERE c.target_type = 'incident' AND c.target_id = i.id));
                 DELETE FROM incidents WHERE id NOT IN (SELECT id FROM keep_inc) AND status = 'open'
                   AND assignee IS NULL
                   AND NOT EXISTS (SELECT 1 FROM comments c WHERE c.target_type = 'incident' AND c.target_id = incidents.id);
                 DELETE FROM keep_inc;",
            )?;
            save_incidents_tx(tx, &v)
        })?;
        Ok(incs)
    }

    /// Incidents matching `q`, most recent activity first, with the total count.
    pub fn incidents(&self, q: &IncidentQuery) -> Result<Page<IncidentRow>> {
        let mut wh = Vec::new();
        let mut p: Vec<SqlValue> = Vec::new();
        if let Some(s) = &q.status {
            p.push(SqlValue::Text(s.clone()));
            wh.push(format!("status = ?{}", p.len()));
        }
        if let Some(s) = q.severity {
            p.push(SqlValue::Text(s.as_str().into()));
            wh.push(format!("severity = ?{}", p.len()));
        }
        if let Some(m) = q.min_score {
            p.push(SqlValue::Integer(m as i64));
            wh.push(format!("score >= ?{}", p.len()));
        }
        let w = if wh.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", wh.join(" AND "))
        };
        let (limit, offset) = (page_size(q.limit), q.offset.min(i64::MAX as usize));
        self.read(|c| {
            let total: i64 = c.query_row(
                &format!("SELECT COUNT(*) FROM incidents {w}"),
                params_from_iter(p.iter()),
                |r| r.get(0),
            )?;
            let mut st = c.prepare(&format!(
                "SELECT data, status, assignee, verdict FROM incidents {w}
                 ORDER BY last_ts DESC, id LIMIT {limit} OFFSET {offset}"
            ))?;
            let rows = st
                .query_map(params_from_iter(p.iter()), incident_row)?
                .collect::<Result<Vec<_>, _>>()?;
            let items = rows
                .into_iter()
                .map(|(d, triage)| {
                    Ok(IncidentRow {
                        incident: serde_json::from_str(&d)?,
                        triage,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(Page {
                total: total.max(0) as u64,
                items,
            })
        })
    }

    /// One incident with its timeline (in the record) and triage comments.
    pub fn incident(&self, id: &str) -> Result<Option<IncidentRow>> {
        self.read(|c| {
            let row = c
                .query_row(
                    "SELECT data, status, assignee, verdict FROM incidents WHERE id = ?1",
                    [id],
                    incident_row,
                )
                .optional()?;
            let Some((d, mut triage)) = row else {
                return Ok(None);
            };
            triage.comments = load_comments(c, "incident", id)?;
            Ok(Some(IncidentRow {
                incident: serde_json::from_str(&d)?,
                triage,
            }))
        })
    }

    /// Applies a triage action to an alert (audited). False when it does not exist.
    pub fn triage_alert(
        &self,
        id: &str,
        action: &TriageAction,
        actor: &str,
        ts: f64,
    ) -> Result<bool> {
        let (id, action, actor) = (id.to_string(), action.clone(), actor.to_string());
        self.write(move |tx| alert_action_tx(tx, &id, &action, &actor, ts, None))
    }

    /// Applies a triage action to an incident (audited). Resolve and reopen apply to
    /// each of its alerts too, so their verdicts reach the engine. False when absent.
    pub fn triage_incident(
        &self,
        id: &str,
        action: &TriageAction,
        actor: &str,
        ts: f64,
    ) -> Result<bool> {
        let (id, action, actor) = (id.to_string(), action.clone(), actor.to_string());
        self.write(move |tx| {
            let exists: Option<i64> = tx
                .query_row("SELECT 1 FROM incidents WHERE id = ?1", [&id], |r| r.get(0))
                .optional()?;
            if exists.is_none() {
                return Ok(false);
            }
            let detail = match &action {
                TriageAction::Acknowledge => {
                    tx.execute("UPDATE incidents SET status = 'acknowledged' WHERE id = ?1 AND status = 'open'", [&id])?;
                    String::new()
                }
                TriageAction::Assign { assignee } => {
                    tx.execute("UPDATE incidents SET assignee = ?1 WHERE id = ?2", params![assignee, id])?;
                    assignee.clone().unwrap_or_else(|| "(unassigned)".into())
                }
                TriageAction::Comment { text } => {
                    tx.execute(
                        "INSERT INTO comments(target_type, target_id, ts, author, text) VALUES('incident', ?1, ?2, ?3, ?4)",
                        params![id, ts, actor, clip(text)],
                    )?;
                    clip(text)
                }
                TriageAction::Resolve { verdict, comment } => {
                    tx.execute("UPDATE incidents SET status = 'resolved', verdict = ?1 WHERE id = ?2", params![verdict.as_str(), id])?;
                    format!("{verdict} {}", clip(comment)).trim().to_string()
                }
                TriageAction::Reopen => {
                    tx.execute("UPDATE incidents SET status = 'open', verdict = NULL WHERE id = ?1", [&id])?;
                    String::new()
                }
            };
            audit_tx(tx, ts, &actor, &format!("incident_{}", action.name()), &id, &detail, "")?;
            if matches!(action, TriageAction::Resolve { .. } | TriageAction::Reopen) {
                let ids: Vec<String> = {
                    let mut st = tx.prepare("SELECT alert_id FROM incident_alerts WHERE incident_id = ?1 ORDER BY pos")?;
                    st.query_map([&id], |r| r.get(0))?.collect::<Result<_, _>>()?
                };
                let per_alert = match &action {
                    TriageAction::Resolve { verdict, .. } => TriageAction::Resolve { verdict: *verdict, comment: String::new() },
                    a => a.clone(),
                };
                for a in ids {
                    alert_action_tx(tx, &a, &per_alert, &actor, ts, Some(&id))?;
                }
            }
            Ok(true)
        })
    }

    /// Resolves an alert with a verdict and returns the stored record.
    /// [`Error::NotFound`] when the alert does not exist.
    pub fn verdict(
        &self,
        alert_id: &str,
        verdict: VerdictKind,
        comment: &str,
        actor: &str,
        ts: f64,
    ) -> Result<Verdict> {
        let action = TriageAction::Resolve {
            verdict,
            comment: comment.to_string(),
        };
        if !self.triage_alert(alert_id, &action, actor, ts)? {
            return Err(Error::NotFound(format!("alert {alert_id}")));
        }
        self.verdict_history(alert_id)?
            .into_iter()
            .rev()
            .find(|v| v.undone_ts.is_none())
            .ok_or_else(|| Error::NotFound(format!("verdict on {alert_id}")))
    }

    /// Undoes the verdict in force on an alert and reopens it. Returns the undone
    /// verdict, `None` when none was in force; [`Error::NotFound`] for no alert.
    pub fn undo_verdict(&self, alert_id: &str, actor: &str, ts: f64) -> Result<Option<Verdict>> {
        let before = self
            .verdict_history(alert_id)?
            .into_iter()
            .rev()
            .find(|v| v.undone_ts.is_none());
        if !self.triage_alert(alert_id, &TriageAction::Reopen, actor, ts)? {
            return Err(Error::NotFound(format!("alert {alert_id}")));
        }
        Ok(before.map(|mut v| {
            v.undone_ts = Some(ts);
            v
        }))
    }

    /// Every verdict on an alert, oldest first (undone ones included).
    pub fn verdict_history(&self, alert_id: &str) -> Result<Vec<Verdict>> {
        self.read(|c| {
            let mut st = c.prepare(&format!(
                "SELECT {VERDICT_COLS} FROM verdicts WHERE alert_id = ?1 ORDER BY id"
            ))?;
            let v = st
                .query_map([alert_id], row_to_verdict)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(v)
        })
    }

    /// The verdicts in force (not undone), oldest first: what the engine applies at
    /// start or restore (`Engine::apply_verdict` for each [`Verdict::teaches_model`]).
    pub fn active_verdicts(&self) -> Result<Vec<Verdict>> {
        self.read(|c| {
            let mut st = c.prepare(&format!(
                "SELECT {VERDICT_COLS} FROM verdicts WHERE undone_ts IS NULL ORDER BY id"
            ))?;
            let v = st
                .query_map([], row_to_verdict)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(v)
        })
    }

    /// Adds a suppression rule (audited) and returns its id.
    pub fn add_suppression(&self, s: &Suppression) -> Result<i64> {
        s.validate()?;
        let s = s.clone();
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO suppressions(scope, device, src, dst, kind, created, expires, actor, reason)
                 VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![s.scope.as_str(), s.device, s.src, s.dst, s.kind, s.created, s.expires, s.actor, clip(&s.reason)],
            )?;
            let id = tx.last_insert_rowid();
            let target = match s.scope {
                SuppressionScope::Device => s.device.clone().unwrap_or_default(),
                SuppressionScope::Pair => format!("{} -> {}", s.src.as_deref().unwrap_or(""), s.dst.as_deref().unwrap_or("")),
                SuppressionScope::Kind => s.kind.clone().unwrap_or_default(),
            };
            let detail = format!(
                "#{id} {} kind={} expires={} {}",
                s.scope.as_str(),
                s.kind.as_deref().unwrap_or("*"),
                s.expires.map(|e| e.to_string()).unwrap_or_else(|| "never".into()),
                clip(&s.reason)
            );
            audit_tx(tx, s.created, &s.actor, "suppression_add", &target, detail.trim(), "")?;
            Ok(id)
        })
    }

    /// Removes (deactivates) a suppression rule (audited). False when absent.
    pub fn remove_suppression(&self, id: i64, actor: &str, ts: f64) -> Result<bool> {
        let actor = actor.to_string();
        self.write(move |tx| {
            let n = tx.execute(
                "UPDATE suppressions SET active = 0 WHERE id = ?1 AND active = 1",
                [id],
            )?;
            if n > 0 {
                audit_tx(
                    tx,
                    ts,
                    &actor,
                    "suppression_remove",
                    &format!("#{id}"),
                    "",
                    "",
                )?;
            }
            Ok(n > 0)
        })
    }

    /// Suppression rules not removed; with `now`, only those not expired at `now`.
    pub fn suppressions(&self, now: Option<f64>) -> Result<Vec<Suppression>> {
        let all = self.read(load_suppressions)?;
        Ok(all
            .into_iter()
            .filter(|s| match (now, s.expires) {
                (Some(n), Some(e)) => n < e,
                _ => true,
            })
            .collect())
    }
}
