//! Detectors: the pattern-of-life models applied to the event stream.
//!
//! Every detector follows the same pattern: look the entity up, ask its model how
//! likely the observation is (`p`), learn from it, and raise an alert when the
//! entity is past learning ([`LearnPolicy::mature`]) and the calibrated score
//! ([`score_from_p`]) reaches [`DetectConfig::min_score`]. Each alert carries the
//! observation and the baseline it broke in `evidence`, and its ATT&CK for ICS
//! techniques from [`crate::mitre`].
//!
//! Families (entity → keys), all capped:
//! - hosts (the network → devices): `new_device`; IP → MAC: `new_mac_ip_binding`,
//!   `arp_spoofing`;
//! - client → servers and server → clients: `new_connection`;
//! - pair → protocols: `new_protocol`; pair+protocol → functions: `new_function`
//!   and the operation kinds (`program_download`, `plc_stop`, `device_control`,
//!   `device_restart`, `firmware_change`); pair+protocol → register blocks:
//!   `new_register_range`; target → writers: `unauthorized_write`;
//! - points: `out_of_range_value`; request streams: `polling_*`;
//! - hosts: activity hours (`off_hours_activity`), fan-out (`scan`), function and
//!   identification sweeps; DNS names (`public_dns`, `new_dns_name`); crossings
//!   (`it_ot_crossing`, `remote_access`, `internet_access`); GOOSE state numbers
//!   (`goose_replay`); exceptions and weird events (`exception_storm`,
//!   `malformed_traffic`).
//!
//! Repeats of one alert (same kind, source, target and key) within
//! [`DetectConfig::repeat_secs`] are folded into the first (its `count`), so an
//! attack yields a few explained alerts, not thousands.

mod rules;
#[cfg(test)]
mod tests;

use crate::inventory::Inventory;
use crate::mitre;
use crate::models::activity::HourActivity;
use crate::models::novelty::{Family, LearnPolicy, Observed};
use crate::models::score::{MIN_ALERT_SCORE, score_from_p};
use crate::models::timing::PollStream;
use crate::models::values::PointModel;
use crate::models::{FastMap, Host, evict_oldest, key_hash};
use otwatch_core::{Alert, Endpoint, Event, FlowRecord, Mac, Severity, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Caps of the detector maps (entities per family).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Caps {
    /// Hosts.
    pub hosts: usize,
    /// Pairs (and pair+protocol entities).
    pub pairs: usize,
    /// Points with value models.
    pub points: usize,
    /// Request streams with timing models.
    pub streams: usize,
    /// Open repeat-folding keys.
    pub repeats: usize,
}

impl Default for Caps {
    fn default() -> Self {
        Caps {
            hosts: 65_536,
            pairs: 262_144,
            points: 262_144,
            streams: 131_072,
            repeats: 65_536,
        }
    }
}

/// Detector settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DetectConfig {
    /// When entities stop learning.
    pub policy: LearnPolicy,
    /// Alerts below this score are not raised.
    pub min_score: u8,
    /// Repeats of one alert within this many seconds fold into it.
    pub repeat_secs: i64,
    /// Scan: distinct targets per window from one host that count as a sweep.
    pub scan_targets: usize,
    /// Window of the scan and sweep counters (seconds).
    pub window_secs: i64,
    /// Map caps.
    pub caps: Caps,
}

impl Default for DetectConfig {
    fn default() -> Self {
        DetectConfig {
            policy: LearnPolicy::default(),
            min_score: MIN_ALERT_SCORE,
            repeat_secs: 3600,
            scan_targets: 12,
            window_secs: 300,
            caps: Caps::default(),
        }
    }
}

/// What one host is, as far as the detectors know.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HostState {
    /// First and last seen (epoch seconds).
    pub first: i64,
    /// Last seen.
    pub last: i64,
    /// Spoke an industrial protocol (either side).
    pub ot: bool,
    /// Spoke an IT protocol (SMB, RDP, HTTP, SSH ...).
    pub it: bool,
    /// Interactive (human-driven) activity hours.
    pub hours: HourActivity,
    /// Ever wrote, programmed or controlled an industrial device.
    pub engineering: bool,
}

/// A per-window counter of distinct keys for one host (scan and sweep detection).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Window {
    /// Window start (epoch seconds).
    pub start: i64,
    /// Distinct key hashes in the window (capped at 4× the threshold).
    pub keys: Vec<u64>,
    /// Samples of labels, for the evidence.
    pub sample: Vec<String>,
    /// Largest distinct count of any finished window during learning.
    pub baseline_max: usize,
    /// Windows finished.
    pub windows: u64,
    /// Alert raised in this window.
    pub flagged: bool,
}

/// A polling stream's timing model and its label (`proto:function:unit`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stream {
    /// Timing model.
    pub model: PollStream,
    /// Label.
    pub label: Box<str>,
}

/// GOOSE publisher state.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GooseState {
    /// Last state number.
    pub st_num: u64,
    /// Last sequence number.
    pub sq_num: u64,
    /// Last seen (epoch seconds).
    pub last: i64,
    /// Publisher MAC.
    pub mac: String,
}

/// All detector state. Serialisable: it is the learned model that persists.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Detectors {
    #[serde(skip, default)]
    cfg: DetectConfig,
    /// Packet time of the first observation (epoch seconds).
    pub first: Option<i64>,
    /// Packet time now.
    pub now: i64,
    /// Hosts.
    #[serde(with = "crate::models::vecmap")]
    pub hosts: FastMap<Host, HostState>,
    /// When the host population last grew.
    pub last_new_host: i64,
    /// Hosts evicted by the cap.
    pub hosts_evicted: u64,
    /// IP → MAC bindings.
    pub bindings: Family<Host>,
    /// Client → servers.
    pub peers_out: Family<Host>,
    /// Server → clients.
    pub peers_in: Family<Host>,
    /// Pair → protocols.
    pub protos: Family<(Host, Host)>,
    /// Pair+protocol → functions (the protocol as [`key_hash`] of its name; entity
    /// keys are hashes so the hot path allocates nothing).
    pub functions: Family<(Host, Host, u64)>,
    /// Pair+protocol → register blocks.
    pub ranges: Family<(Host, Host, u64)>,
    /// Target → hosts that wrote, programmed or controlled it.
    pub writers: Family<Host>,
    /// Host → DNS names it resolved.
    pub names: Family<Host>,
    /// Host → external (public) /24 networks it reached.
    pub external: Family<Host>,
    /// Point values.
    #[serde(with = "crate::models::vecmap")]
    pub points: FastMap<(Host, u64, u32, u32), PointModel>,
    /// Request streams.
    #[serde(with = "crate::models::vecmap")]
    pub streams: FastMap<(Host, Host, u64), Stream>,
    /// Fan-out windows (distinct server endpoints per client).
    #[serde(with = "crate::models::vecmap")]
    pub fanout: FastMap<Host, Window>,
    /// Function sweep windows (distinct functions per client+protocol).
    #[serde(with = "crate::models::vecmap")]
    pub sweeps: FastMap<(Host, u64), Window>,
    /// Identification sweep windows (distinct targets queried for identity).
    #[serde(with = "crate::models::vecmap")]
    pub ident: FastMap<Host, Window>,
    /// Exceptions and weird events per host.
    #[serde(with = "crate::models::vecmap")]
    pub errors: FastMap<Host, Window>,
    /// GOOSE publishers by control block.
    #[serde(with = "crate::models::vecmap")]
    pub goose: FastMap<String, GooseState>,
    /// Repeat folding: alert key → (alert index in the run, first ts).
    #[serde(skip, default)]
    repeats: FastMap<u64, i64>,
    /// Last stopped-stream check (epoch seconds).
    pub last_stop_check: i64,
    /// Alerts folded into an earlier one.
    pub folded: u64,
    /// Alerts raised.
    pub raised: u64,
}

impl Default for Detectors {
    fn default() -> Self {
        Detectors::new(DetectConfig::default())
    }
}

/// A candidate alert before scoring and folding.
pub(crate) struct Finding {
    pub kind: &'static str,
    pub p: f64,
    pub src: String,
    pub dst: String,
    pub proto: String,
    pub summary: String,
    pub evidence: Value,
    /// What makes two findings the same alert (besides kind, src, dst).
    pub key: String,
}

impl Detectors {
    /// Empty models.
    pub fn new(cfg: DetectConfig) -> Self {
        let c = cfg.caps.clone();
        Detectors {
            cfg,
            first: None,
            now: 0,
            hosts: FastMap::default(),
            last_new_host: 0,
            hosts_evicted: 0,
            bindings: Family::new(c.hosts),
            peers_out: Family::new(c.hosts),
            peers_in: Family::new(c.hosts),
            protos: Family::new(c.pairs),
            functions: Family::new(c.pairs),
            ranges: Family::new(c.pairs),
            writers: Family::new(c.hosts),
            names: Family::new(c.hosts),
            external: Family::new(c.hosts),
            points: FastMap::default(),
            streams: FastMap::default(),
            fanout: FastMap::default(),
            sweeps: FastMap::default(),
            ident: FastMap::default(),
            errors: FastMap::default(),
            goose: FastMap::default(),
            repeats: FastMap::default(),
            last_stop_check: 0,
            folded: 0,
            raised: 0,
        }
    }

    /// Replaces the settings (after a restore).
    pub fn set_config(&mut self, cfg: DetectConfig) {
        self.cfg = cfg;
    }

    /// The settings.
    pub fn config(&self) -> &DetectConfig {
        &self.cfg
    }

    fn clock(&mut self, ts: Timestamp) -> i64 {
        let t = ts.secs();
        if self.first.is_none() {
            self.first = Some(t);
            self.last_new_host = t;
        }
        self.now = self.now.max(t);
        t
    }

    /// True when the network as a whole is past learning (new devices alert).
    pub fn network_mature(&self, now: i64) -> bool {
        self.first
            .is_some_and(|f| self.cfg.policy.mature(f, self.last_new_host, now))
    }

    /// One event.
    pub fn event(&mut self, ev: &Event, inv: &Inventory, out: &mut Vec<Alert>) {
        let t = self.clock(ev.ts);
        let mut found = Vec::new();
        rules::on_event(self, ev, t, &mut found);
        self.emit(found, ev.ts, inv, out);
    }

    /// One flow record.
    pub fn flow(&mut self, rec: &FlowRecord, inv: &Inventory, out: &mut Vec<Alert>) {
        let t = self.clock(rec.first);
        let mut found = Vec::new();
        rules::on_flow(self, rec, t, &mut found);
        self.emit(found, rec.first, inv, out);
    }

    /// Packet time advanced: stopped streams.
    pub fn tick(&mut self, now: Timestamp, inv: &Inventory, out: &mut Vec<Alert>) {
        let t = self.clock(now);
        let mut found = Vec::new();
        rules::on_tick(self, t, &mut found);
        self.emit(found, now, inv, out);
    }

    /// End of input.
    pub fn finish(&mut self, _inv: &Inventory, _out: &mut Vec<Alert>) {}

    /// Learning progress.
    pub fn progress(&self) -> crate::engine::LearningProgress {
        let pol = &self.cfg.policy;
        let now = self.now;
        let mut entities = 0u64;
        let mut mature = 0u64;
        for f in [&self.peers_out, &self.peers_in, &self.writers] {
            for (_, s) in f.iter() {
                entities += 1;
                mature += pol.mature(s.first, s.last_new, now) as u64;
            }
        }
        for f in [&self.functions, &self.ranges] {
            for (_, s) in f.iter() {
                entities += 1;
                mature += pol.mature(s.first, s.last_new, now) as u64;
            }
        }
        crate::engine::LearningProgress {
            entities,
            mature,
            covered_secs: self.first.map_or(0.0, |f| (now - f) as f64),
        }
    }

    fn emit(&mut self, found: Vec<Finding>, ts: Timestamp, inv: &Inventory, out: &mut Vec<Alert>) {
        for f in found {
            let score = score_from_p(f.p);
            if score < self.cfg.min_score {
                continue;
            }
            let now = ts.secs();
            let rk = key_hash(&(f.kind, &f.src, &f.dst, &f.key));
            if let Some(first) = self.repeats.get(&rk)
                && now - *first < self.cfg.repeat_secs
            {
                self.folded += 1;
                continue;
            }
            evict_oldest(&mut self.repeats, self.cfg.caps.repeats, |v| *v);
            self.repeats.insert(rk, now);
            self.raised += 1;
            let tsf = ts.as_secs_f64();
            out.push(Alert {
                ts: tsf,
                last_ts: tsf,
                id: format!("{}-{:016x}", f.kind, key_hash(&(rk, ts.0))),
                kind: f.kind.to_string(),
                score,
                severity: Severity::from_score(score),
                src_name: name_of(inv, &f.src),
                dst_name: name_of(inv, &f.dst),
                src: f.src,
                dst: f.dst,
                proto: f.proto,
                mitre: mitre::techniques_of(f.kind),
                summary: f.summary,
                evidence: f.evidence,
                count: 1,
            });
        }
    }
}

fn name_of(inv: &Inventory, addr: &str) -> String {
    let host = addr.rsplit_once(':').map_or(addr, |(h, p)| {
        if p.chars().all(|c| c.is_ascii_digit()) && !h.is_empty() && !h.ends_with(':') {
            h
        } else {
            addr
        }
    });
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let dev = if let Ok(ip) = host.parse() {
        inv.device_by_ip(ip)
    } else if let Ok(m) = host.parse::<Mac>() {
        inv.device_by_mac(m)
    } else {
        None
    };
    match dev {
        Some(d) => {
            let role = d.role.as_str();
            match &d.name {
                Some(n) => format!("{n} ({role})"),
                None => role.to_string(),
            }
        }
        None => String::new(),
    }
}

/// The display string of a host.
pub(crate) fn show(h: &Host) -> String {
    h.to_string()
}

/// The host of an endpoint, skipping group addresses.
pub(crate) fn host(e: &Endpoint) -> Option<Host> {
    Host::of(e).filter(|h| !h.is_group())
}

/// Novelty p for an observation: the entity's rate of new keys per active hour,
/// or 1 (no alert) while it learns or when nothing is new.
pub(crate) fn novelty_p(o: &Observed) -> f64 {
    if o.new_key && o.mature { o.p_new } else { 1.0 }
}

/// Evidence of a novelty finding: the key and the entity's baseline.
pub(crate) fn novelty_evidence<E: Eq + std::hash::Hash + Clone>(
    fam: &Family<E>,
    e: &E,
    observed: Value,
    o: &Observed,
) -> Value {
    let baseline = fam.get(e).map(|s| s.baseline_json()).unwrap_or(Value::Null);
    json!({
        "observed": observed,
        "baseline": baseline,
        "p_new_per_hour": o.p_new,
    })
}
