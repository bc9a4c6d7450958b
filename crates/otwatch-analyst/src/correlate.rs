//! The correlator: groups alerts into incidents by shared devices, time proximity
//! and ATT&CK for ICS tactic progression.
//!
//! An alert joins an open incident when it falls within `window_secs` of the
//! incident's last alert and one of these links holds (strongest first):
//!
//! 1. **same actor**: its source host is a source of the incident;
//! 2. **pivot**: its source host was a target of the incident, or its destination
//!    was a source (the attacked device now acts, or the actor is contacted);
//! 3. **progression on a shared target**: its destination is a device of the
//!    incident and its tactic is at or beyond the furthest tactic reached so far.
//!
//! Among several candidates the strongest link wins, then the most recent incident,
//! then the oldest one: the result depends only on the alerts and their order.
//! Broadcast and multicast addresses never link. An alert with no link starts a new
//! incident, so unrelated alerts land in separate incidents.

use crate::incident::{DevicePart, Incident, IncidentDevice, entry_of, host_of, is_linkable};
use crate::narrative;
use crate::tactics::{Tactic, alert_tactic};
use otwatch_core::{Alert, Severity};
use serde::{Deserialize, Serialize};

/// Alerts listed in one incident's timeline; beyond it alerts are counted only.
pub const MAX_TIMELINE: usize = 1000; // an incident longer than this is unreadable anyway
/// Open (still growing) incidents; beyond it the least recent is closed.
pub const MAX_OPEN: usize = 4096; // bounds the per-alert candidate search
/// Devices tracked per incident for linking.
pub const MAX_DEVICES: usize = 512; // a sweep of a /23 still fits

/// Correlator settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CorrelatorConfig {
    /// Largest gap, in seconds of packet time, between an incident's last alert and a
    /// new alert that joins it. Default 4 hours: the simulator's and real staged
    /// attacks move from discovery to impact within hours.
    pub window_secs: f64,
}

impl Default for CorrelatorConfig {
    fn default() -> Self {
        CorrelatorConfig {
            window_secs: 4.0 * 3600.0,
        }
    }
}

/// An incident being built.
#[derive(Clone, Debug)]
struct Building {
    first_alert_id: String,
    first_ts: f64,
    last_ts: f64,
    max_score: u8,
    max_tactic: Option<Tactic>,
    tactics: Vec<Tactic>,
    timeline: Vec<crate::incident::TimelineEntry>,
    not_listed: u64,
    devices: Vec<IncidentDevice>,
    evidence: Vec<serde_json::Value>,
}

impl Building {
    fn new(a: &Alert) -> Self {
        Building {
            first_alert_id: a.id.clone(),
            first_ts: a.ts,
            last_ts: a.ts,
            max_score: 0,
            max_tactic: None,
            tactics: Vec::new(),
            timeline: Vec::new(),
            not_listed: 0,
            devices: Vec::new(),
            evidence: Vec::new(),
        }
    }

    fn has(&self, host: &str, part: DevicePart) -> bool {
        self.devices
            .iter()
            .any(|d| d.addr == host && (d.part == part || d.part == DevicePart::SourceAndTarget))
    }

    fn has_any(&self, host: &str) -> bool {
        self.devices.iter().any(|d| d.addr == host)
    }

    fn note_device(&mut self, host: &str, name: &str, part: DevicePart, ts: f64) {
        if !is_linkable(host) {
            return;
        }
        if let Some(d) = self.devices.iter_mut().find(|d| d.addr == host) {
            d.alerts = d.alerts.saturating_add(1);
            if d.part != part {
                d.part = DevicePart::SourceAndTarget;
            }
            if d.name.is_empty() {
                d.name = name.to_string();
            }
        } else if self.devices.len() < MAX_DEVICES {
            self.devices.push(IncidentDevice {
                addr: host.to_string(),
                name: name.to_string(),
                part,
                first_ts: ts,
                alerts: 1,
            });
        }
    }

    fn add(&mut self, a: &Alert, tactic: Option<Tactic>) {
        self.first_ts = self.first_ts.min(a.ts);
        self.last_ts = self.last_ts.max(a.ts).max(a.last_ts);
        self.max_score = self.max_score.max(a.score);
        if let Some(t) = tactic {
            if self.max_tactic.is_none_or(|m| t.stage() > m.stage()) {
                self.max_tactic = Some(t);
            }
            if !self.tactics.contains(&t) {
                self.tactics.push(t);
            }
        }
        let (src, dst) = (host_of(&a.src), host_of(&a.dst));
        self.note_device(src, &a.src_name, DevicePart::Source, a.ts);
        if dst != src {
            self.note_device(dst, &a.dst_name, DevicePart::Target, a.ts);
        }
        if self.timeline.len() < MAX_TIMELINE {
            self.timeline.push(entry_of(a, tactic));
            self.evidence.push(a.evidence.clone());
        } else {
            self.not_listed += 1;
        }
    }

    /// Link strength of `a` to this incident (0 = none).
    fn link(&self, a: &Alert, tactic: Option<Tactic>, window: f64) -> u8 {
        if a.ts - self.last_ts > window || self.first_ts - a.ts > window {
            return 0;
        }
        if self.timeline.len() >= MAX_TIMELINE {
            return 0;
        }
        let (src, dst) = (host_of(&a.src), host_of(&a.dst));
        let (src_ok, dst_ok) = (is_linkable(src), is_linkable(dst));
        if src_ok && self.has(src, DevicePart::Source) {
            return 3;
        }
        if (src_ok && self.has(src, DevicePart::Target))
            || (dst_ok && self.has(dst, DevicePart::Source))
        {
            return 2;
        }
        if dst_ok
            && self.has_any(dst)
            && let (Some(t), Some(m)) = (tactic, self.max_tactic)
            && t.stage() >= m.stage()
        {
            return 1;
        }
        0
    }

    fn finish(&self) -> Incident {
        let extra = self.tactics.len().saturating_sub(1) as u32 * 5;
        let score = (self.max_score as u32 + extra).min(100) as u8;
        let mut inc = Incident {
            id: incident_id(&self.first_alert_id),
            title: String::new(),
            score,
            severity: Severity::from_score(score),
            first_ts: self.first_ts,
            last_ts: self.last_ts,
            tactics: self.tactics.clone(),
            timeline: self.timeline.clone(),
            alerts_not_listed: self.not_listed,
            devices: self.devices.clone(),
            narrative: Vec::new(),
            actions: Vec::new(),
        };
        inc.title = narrative::title(&inc);
        inc.narrative = narrative::narrative(&inc, &self.evidence);
        inc.actions = narrative::actions(&inc);
        inc
    }
}

/// A stable incident id from the first alert's id (FNV-1a 64).
pub fn incident_id(first_alert_id: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in first_alert_id.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("inc-{h:016x}")
}

/// Groups alerts into incidents. Feed alerts in time order with [`Correlator::add`];
/// read the result with [`Correlator::incidents`].
#[derive(Debug)]
pub struct Correlator {
    cfg: CorrelatorConfig,
    /// Every incident, in order of creation.
    all: Vec<Building>,
    /// Indices into `all` of the incidents still open.
    open: Vec<usize>,
}

impl Correlator {
    /// A correlator with the given settings.
    pub fn new(cfg: CorrelatorConfig) -> Self {
        Correlator {
            cfg,
            all: Vec::new(),
            open: Vec::new(),
        }
    }

    /// Adds one alert; returns the index (creation order) of the incident it joined.
    pub fn add(&mut self, a: &Alert) -> usize {
        let tactic = alert_tactic(&a.kind, &a.mitre);
        let window = self.cfg.window_secs.max(0.0);
        // Close incidents that the window has left behind (input in time order).
        let all = &self.all;
        self.open.retain(|&i| a.ts - all[i].last_ts <= window);
        let mut best: Option<(u8, f64, usize)> = None;
        for &i in &self.open {
            let l = self.all[i].link(a, tactic, window);
            if l == 0 {
                continue;
            }
            let cand = (l, self.all[i].last_ts, i);
            best = match best {
                None => Some(cand),
                Some(b) if (cand.0, cand.1) > (b.0, b.1) => Some(cand),
                Some(b) => Some(b),
            };
        }
        let idx = match best {
            Some((_, _, i)) => i,
            None => {
                if self.open.len() >= MAX_OPEN {
                    // Close the least recent open incident (ties: the oldest).
                    let all = &self.all;
                    if let Some(pos) = (0..self.open.len()).min_by(|&x, &y| {
                        all[self.open[x]]
                            .last_ts
                            .total_cmp(&all[self.open[y]].last_ts)
                    }) {
                        self.open.remove(pos);
                    }
                }
                self.all.push(Building::new(a));
                self.open.push(self.all.len() - 1);
                self.all.len() - 1
            }
        };
        self.all[idx].add(a, tactic);
        idx
    }

    /// Number of incidents so far.
    pub fn len(&self) -> usize {
        self.all.len()
    }

    /// True before the first alert.
    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }

    /// All incidents, in order of creation, with titles, narratives and actions.
    pub fn incidents(&self) -> Vec<Incident> {
        self.all.iter().map(Building::finish).collect()
    }
}

/// Correlates a slice of alerts (sorted by `ts`, then `id`, first) in one call.
pub fn correlate(alerts: &[Alert], cfg: &CorrelatorConfig) -> Vec<Incident> {
    let mut sorted: Vec<&Alert> = alerts.iter().collect();
    sorted.sort_by(|a, b| a.ts.total_cmp(&b.ts).then_with(|| a.id.cmp(&b.id)));
    let mut c = Correlator::new(cfg.clone());
    for a in sorted {
        c.add(a);
    }
    c.incidents()
}
