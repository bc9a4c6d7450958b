//! An in-memory [`ConsoleData`] for tests: the same semantics as the store, in maps.

use crate::Result;
use crate::data::*;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// In-memory console data. Cheap to build; every method locks one mutex.
#[derive(Default)]
pub struct MemoryData {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    users: BTreeMap<String, UserRecord>,
    sessions: BTreeMap<String, SessionRecord>,
    tokens: BTreeMap<String, ApiTokenRecord>,
    audit: Vec<AuditEntry>,
    settings: BTreeMap<String, String>,
    alerts: Vec<AlertRecord>,
    incidents: Vec<IncidentRecord>,
    devices: Vec<DeviceRecord>,
    connections: Vec<ConnectionRecord>,
    airgap: Option<AirgapReport>,
}

impl MemoryData {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A poisoned lock only means a test panicked while holding it; the data is
        // still consistent enough for the remaining assertions.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
    /// Adds an alert.
    pub fn add_alert(&self, a: AlertRecord) {
        self.lock().alerts.push(a);
    }
    /// Adds an incident.
    pub fn add_incident(&self, i: IncidentRecord) {
        self.lock().incidents.push(i);
    }
    /// Adds a device.
    pub fn add_device(&self, d: DeviceRecord) {
        self.lock().devices.push(d);
    }
    /// Adds a connection.
    pub fn add_connection(&self, c: ConnectionRecord) {
        self.lock().connections.push(c);
    }
    /// Sets the air-gap report.
    pub fn set_airgap(&self, r: AirgapReport) {
        self.lock().airgap = Some(r);
    }
    /// A copy of the audit log, oldest first.
    pub fn audit(&self) -> Vec<AuditEntry> {
        self.lock().audit.clone()
    }
}

fn page<T: Clone>(rows: Vec<&T>, limit: usize, offset: usize) -> Page<T> {
    let total = rows.len() as u64;
    let items = rows.into_iter().skip(offset).take(limit).cloned().collect();
    Page { total, items }
}

fn apply_triage(t: &mut TriageState, action: &TriageAction, actor: &str, ts: f64) {
    match action {
        TriageAction::Acknowledge => {
            if t.status != "resolved" {
                t.status = "acknowledged".into();
            }
        }
        TriageAction::Assign { assignee } => t.assignee = assignee.clone(),
        TriageAction::Comment { text } => t.comments.push(Comment {
            ts,
            author: actor.into(),
            text: text.clone(),
        }),
        TriageAction::Resolve { verdict, comment } => {
            t.status = "resolved".into();
            t.verdict = Some(*verdict);
            if !comment.is_empty() {
                t.comments.push(Comment {
                    ts,
                    author: actor.into(),
                    text: comment.clone(),
                });
            }
        }
        TriageAction::Reopen => {
            t.status = "open".into();
            t.verdict = None;
        }
    }
}

fn contains_ci(hay: &str, needle: &str) -> bool {
    hay.to_lowercase().contains(&needle.to_lowercase())
}

impl ConsoleData for MemoryData {
    fn user_get(&self, name: &str) -> Result<Option<UserRecord>> {
        Ok(self.lock().users.get(name).cloned())
    }
    fn user_list(&self) -> Result<Vec<UserRecord>> {
        Ok(self.lock().users.values().cloned().collect())
    }
    fn user_put(&self, user: &UserRecord) -> Result<()> {
        self.lock().users.insert(user.name.clone(), user.clone());
        Ok(())
    }
    fn user_delete(&self, name: &str) -> Result<bool> {
        Ok(self.lock().users.remove(name).is_some())
    }
    fn session_put(&self, s: &SessionRecord) -> Result<()> {
        self.lock().sessions.insert(s.token_hash.clone(), s.clone());
        Ok(())
    }
    fn session_get(&self, token_hash: &str) -> Result<Option<SessionRecord>> {
        Ok(self.lock().sessions.get(token_hash).cloned())
    }
    fn session_delete(&self, token_hash: &str) -> Result<()> {
        self.lock().sessions.remove(token_hash);
        Ok(())
    }
    fn session_delete_user(&self, user: &str) -> Result<()> {
        self.lock().sessions.retain(|_, s| s.user != user);
        Ok(())
    }
    fn token_put(&self, t: &ApiTokenRecord) -> Result<()> {
        self.lock().tokens.insert(t.id.clone(), t.clone());
        Ok(())
    }
    fn token_get(&self, token_hash: &str) -> Result<Option<ApiTokenRecord>> {
        Ok(self
            .lock()
            .tokens
            .values()
            .find(|t| t.token_hash == token_hash)
            .cloned())
    }
    fn token_list(&self) -> Result<Vec<ApiTokenRecord>> {
        Ok(self.lock().tokens.values().cloned().collect())
    }
    fn token_delete(&self, id: &str) -> Result<bool> {
        Ok(self.lock().tokens.remove(id).is_some())
    }
    fn audit_append(&self, e: &AuditEntry) -> Result<()> {
        let mut g = self.lock();
        let mut e = e.clone();
        e.id = g.audit.len() as i64 + 1;
        g.audit.push(e);
        Ok(())
    }
    fn audit_list(&self, limit: usize, offset: usize) -> Result<Page<AuditEntry>> {
        let g = self.lock();
        Ok(page(g.audit.iter().rev().collect(), limit, offset))
    }
    fn setting_get(&self, key: &str) -> Result<Option<String>> {
        Ok(self.lock().settings.get(key).cloned())
    }
    fn setting_put(&self, key: &str, value: &str) -> Result<()> {
        self.lock().settings.insert(key.into(), value.into());
        Ok(())
    }
    fn overview(&self, bucket_secs: f64) -> Result<Overview> {
        let g = self.lock();
        let mut o = Overview {
            devices: g.devices.len() as u64,
            alerts: g.alerts.len() as u64,
            connections: g.connections.len() as u64,
            ..Overview::default()
        };
        let mut by_role = BTreeMap::<String, u64>::new();
        let mut by_zone = BTreeMap::<String, u64>::new();
        for d in &g.devices {
            *by_role.entry(d.role.clone()).or_default() += 1;
            *by_zone.entry(d.zone.clone()).or_default() += 1;
            o.devices_learning += u64::from(d.learning);
        }
        o.devices_by_role = by_role.into_iter().collect();
        o.devices_by_zone = by_zone.into_iter().collect();
        let mut buckets = BTreeMap::<i64, u64>::new();
        let bucket = bucket_secs.max(1.0);
        let mut span: Option<(f64, f64)> = None;
        for a in &g.alerts {
            o.alerts_open += u64::from(a.triage.status != "resolved");
            *buckets
                .entry((a.alert.ts / bucket).floor() as i64)
                .or_default() += 1;
            span = Some(match span {
                None => (a.alert.ts, a.alert.ts),
                Some((lo, hi)) => (lo.min(a.alert.ts), hi.max(a.alert.ts)),
            });
        }
        o.data_span = span;
        o.alerts_over_time = buckets
            .into_iter()
            .map(|(b, n)| (b as f64 * bucket, n))
            .collect();
        for sev in ["critical", "high", "medium", "low"] {
            let n = g
                .incidents
                .iter()
                .filter(|i| i.triage.status != "resolved" && i.severity.as_str() == sev)
                .count() as u64;
            o.open_incidents_by_severity.push((sev.into(), n));
        }
        o.sensor
            .push(("source".into(), "in-memory test data".into()));
        Ok(o)
    }
    fn alerts(&self, q: &AlertQuery) -> Result<Page<AlertRecord>> {
        let g = self.lock();
        let mut rows: Vec<&AlertRecord> = g
            .alerts
            .iter()
            .filter(|r| {
                let a = &r.alert;
                q.min_score.is_none_or(|m| a.score >= m)
                    && q.severity.is_none_or(|s| a.severity == s)
                    && q.kind.as_deref().is_none_or(|k| a.kind == k)
                    && q.status.as_deref().is_none_or(|s| r.triage.status == s)
                    && q.device.as_deref().is_none_or(|d| {
                        a.src == d
                            || a.dst == d
                            || a.src.starts_with(&format!("{d}:"))
                            || a.dst.starts_with(&format!("{d}:"))
                    })
                    && q.text.as_deref().is_none_or(|t| {
                        contains_ci(&a.summary, t)
                            || contains_ci(&a.src, t)
                            || contains_ci(&a.dst, t)
                            || contains_ci(&a.kind, t)
                    })
            })
            .collect();
        match q.sort {
            AlertSort::Time => rows.sort_by(|a, b| b.alert.ts.total_cmp(&a.alert.ts)),
            AlertSort::Score => rows.sort_by_key(|r| std::cmp::Reverse(r.alert.score)),
            AlertSort::Kind => rows.sort_by(|a, b| a.alert.kind.cmp(&b.alert.kind)),
        }
        if q.ascending {
            rows.reverse();
        }
        Ok(page(rows, q.limit, q.offset))
    }
    fn alert(&self, id: &str) -> Result<Option<AlertRecord>> {
        Ok(self
            .lock()
            .alerts
            .iter()
            .find(|a| a.alert.id == id)
            .cloned())
    }
    fn alert_triage(&self, id: &str, action: &TriageAction, actor: &str, ts: f64) -> Result<bool> {
        let mut g = self.lock();
        let Some(a) = g.alerts.iter_mut().find(|a| a.alert.id == id) else {
            return Ok(false);
        };
        apply_triage(&mut a.triage, action, actor, ts);
        Ok(true)
    }
    fn incidents(&self, q: &IncidentQuery) -> Result<Page<IncidentRecord>> {
        let g = self.lock();
        let mut rows: Vec<&IncidentRecord> = g
            .incidents
            .iter()
            .filter(|i| {
                q.status.as_deref().is_none_or(|s| i.triage.status == s)
                    && q.severity.is_none_or(|s| i.severity == s)
            })
            .collect();
        rows.sort_by(|a, b| b.last_ts.total_cmp(&a.last_ts));
        Ok(page(rows, q.limit, q.offset))
    }
    fn incident(&self, id: &str) -> Result<Option<IncidentRecord>> {
        Ok(self.lock().incidents.iter().find(|i| i.id == id).cloned())
    }
    fn incident_triage(
        &self,
        id: &str,
        action: &TriageAction,
        actor: &str,
        ts: f64,
    ) -> Result<bool> {
        let mut g = self.lock();
        let Some(i) = g.incidents.iter_mut().find(|i| i.id == id) else {
            return Ok(false);
        };
        apply_triage(&mut i.triage, action, actor, ts);
        Ok(true)
    }
    fn devices(&self, q: &DeviceQuery) -> Result<Page<DeviceRecord>> {
        let g = self.lock();
        let rows: Vec<&DeviceRecord> = g
            .devices
            .iter()
            .filter(|d| {
                q.role.as_deref().is_none_or(|r| d.role == r)
                    && q.zone.as_deref().is_none_or(|z| d.zone == z)
                    && q.text.as_deref().is_none_or(|t| {
                        contains_ci(&d.name, t)
                            || contains_ci(&d.id, t)
                            || contains_ci(&d.vendor, t)
                            || contains_ci(&d.role, t)
                            || d.ips.iter().any(|ip| contains_ci(ip, t))
                    })
            })
            .collect();
        Ok(page(rows, q.limit, q.offset))
    }
    fn device(&self, id: &str) -> Result<Option<DeviceRecord>> {
        Ok(self.lock().devices.iter().find(|d| d.id == id).cloned())
    }
    fn connections(&self, device: Option<&str>, limit: usize) -> Result<Vec<ConnectionRecord>> {
        let g = self.lock();
        Ok(g.connections
            .iter()
            .filter(|c| device.is_none_or(|d| c.src == d || c.dst == d))
            .take(limit)
            .cloned()
            .collect())
    }
    fn airgap(&self) -> Result<Option<AirgapReport>> {
        Ok(self.lock().airgap.clone())
    }
}

impl MemoryData {
    /// Triage status of an alert ("" when absent), for tests.
    pub fn alert_status(&self, id: &str) -> String {
        self.lock()
            .alerts
            .iter()
            .find(|a| a.alert.id == id)
            .map(|a| a.triage.status.clone())
            .unwrap_or_default()
    }
    /// A user by name, for tests.
    pub fn user_get_pub(&self, name: &str) -> Option<UserRecord> {
        self.lock().users.get(name).cloned()
    }
}
