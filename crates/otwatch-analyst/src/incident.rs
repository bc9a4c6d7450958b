//! The incident record: what the correlator produces and the store persists.

use crate::tactics::Tactic;
use otwatch_core::{Alert, Severity};
use serde::{Deserialize, Serialize};

/// One alert as it appears in an incident's timeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// Alert id.
    pub alert_id: String,
    /// First observation (epoch seconds).
    pub ts: f64,
    /// Last aggregated observation.
    pub last_ts: f64,
    /// Alert kind.
    pub kind: String,
    /// Alert score.
    pub score: u8,
    /// Source host (port stripped).
    pub src: String,
    /// Destination host (port stripped), empty when none.
    pub dst: String,
    /// The alert's one-sentence summary.
    pub summary: String,
    /// The ATT&CK for ICS tactic the alert stands for, if known.
    pub tactic: Option<Tactic>,
    /// The alert's technique ids.
    pub techniques: Vec<String>,
    /// Observations aggregated in the alert.
    pub count: u64,
}

/// The part a device plays in an incident.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DevicePart {
    /// Only ever the source of the incident's alerts.
    Source,
    /// Only ever the destination.
    Target,
    /// Both (for example a pivot: attacked, then attacking).
    SourceAndTarget,
}

impl DevicePart {
    /// Stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            DevicePart::Source => "source",
            DevicePart::Target => "target",
            DevicePart::SourceAndTarget => "source_and_target",
        }
    }
}

/// A device involved in an incident.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IncidentDevice {
    /// Host address (IP or MAC).
    pub addr: String,
    /// Name and role as the alerts gave them (`src_name`/`dst_name`), may be empty.
    pub name: String,
    /// Source, target, or both.
    pub part: DevicePart,
    /// When it first appears in the incident.
    pub first_ts: f64,
    /// Number of the incident's alerts that involve it.
    pub alerts: u32,
}

impl IncidentDevice {
    /// `addr (name)` or `addr` when the name is unknown.
    pub fn label(&self) -> String {
        label(&self.addr, &self.name)
    }
}

/// `addr (name)` or `addr`.
pub(crate) fn label(addr: &str, name: &str) -> String {
    if name.is_empty() || name == addr {
        addr.to_string()
    } else {
        format!("{addr} ({name})")
    }
}

/// A correlated incident.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// Stable id: `inc-` and a hash of the first alert's id.
    pub id: String,
    /// One-line title.
    pub title: String,
    /// Incident score: the highest alert score plus 5 per further tactic in the chain,
    /// at most 100.
    pub score: u8,
    /// Severity band of `score`.
    pub severity: Severity,
    /// First alert time.
    pub first_ts: f64,
    /// Last alert time (including aggregated observations).
    pub last_ts: f64,
    /// Distinct tactics, in order of first appearance.
    pub tactics: Vec<Tactic>,
    /// The alerts, in the order they were added (time order for a time-ordered input).
    pub timeline: Vec<TimelineEntry>,
    /// Alerts beyond the timeline cap, counted but not listed.
    pub alerts_not_listed: u64,
    /// Devices in order of first appearance.
    pub devices: Vec<IncidentDevice>,
    /// Narrative paragraphs: what happened in order, the tactic progression, what it
    /// means for the process, what to check first.
    pub narrative: Vec<String>,
    /// Recommended next actions, most urgent first.
    pub actions: Vec<String>,
}

impl Incident {
    /// The narrative as one text, paragraphs separated by blank lines.
    pub fn narrative_text(&self) -> String {
        self.narrative.join("\n\n")
    }
    /// Ids of the alerts in the timeline.
    pub fn alert_ids(&self) -> impl Iterator<Item = &str> {
        self.timeline.iter().map(|t| t.alert_id.as_str())
    }
    /// Total number of alerts (listed and not listed).
    pub fn alert_count(&self) -> u64 {
        self.timeline.len() as u64 + self.alerts_not_listed
    }
}

/// The host part of an alert address: `10.0.0.1:502` → `10.0.0.1`,
/// `[fe80::1]:502` → `fe80::1`; MACs, bare IPv6 and other text stay as they are.
pub fn host_of(addr: &str) -> &str {
    let a = addr.trim();
    if let Some(rest) = a.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match a.matches(':').count() {
        1 => a.split(':').next().unwrap_or(a),
        _ => a,
    }
}

/// True for addresses that identify no single device (empty, broadcast, multicast):
/// they never link alerts.
pub fn is_linkable(host: &str) -> bool {
    // A subnet (`10.0.0.0/24`, a scan's target) is no single device.
    if host.is_empty() || host == "-" || host.contains('/') {
        return false;
    }
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return match ip {
            std::net::IpAddr::V4(v4) => {
                !(v4.is_broadcast() || v4.is_multicast() || v4.is_unspecified())
            }
            std::net::IpAddr::V6(v6) => !(v6.is_multicast() || v6.is_unspecified()),
        };
    }
    if let Ok(mac) = host.parse::<otwatch_core::Mac>() {
        return !mac.is_multicast();
    }
    true
}

/// Builds the timeline entry of an alert.
pub(crate) fn entry_of(a: &Alert, tactic: Option<Tactic>) -> TimelineEntry {
    TimelineEntry {
        alert_id: a.id.clone(),
        ts: a.ts,
        last_ts: a.last_ts.max(a.ts),
        kind: a.kind.clone(),
        score: a.score,
        src: host_of(&a.src).to_string(),
        dst: host_of(&a.dst).to_string(),
        summary: a.summary.clone(),
        tactic,
        techniques: a.mitre.clone(),
        count: a.count,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert_eq!(host_of("10.0.0.1:502"), "10.0.0.1");
        assert_eq!(host_of("10.0.0.1"), "10.0.0.1");
        assert_eq!(host_of("[fe80::1]:502"), "fe80::1");
        assert_eq!(host_of("fe80::1"), "fe80::1");
        assert_eq!(host_of("00:11:22:33:44:55"), "00:11:22:33:44:55");
        assert!(!is_linkable("255.255.255.255"));
        assert!(!is_linkable("ff:ff:ff:ff:ff:ff"));
        assert!(!is_linkable("224.0.0.1"));
        assert!(!is_linkable(""));
        assert!(is_linkable("10.0.0.1"));
    }
}
