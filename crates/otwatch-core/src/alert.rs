//! Alerts: scored, explained deviations, mapped to MITRE ATT&CK for ICS.

use crate::addr::Endpoint;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Severity bands derived from the 0–100 score.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Score below 40.
    Low,
    /// 40–69.
    Medium,
    /// 70–89.
    High,
    /// 90 and above.
    Critical,
}

impl Severity {
    /// The band of a score.
    pub fn from_score(score: u8) -> Severity {
        match score {
            0..=39 => Severity::Low,
            40..=69 => Severity::Medium,
            70..=89 => Severity::High,
            _ => Severity::Critical,
        }
    }
    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// One alert. The NDJSON rendering (`--alerts`) is documented in `docs/alerts.md`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Packet time of the first observation.
    pub ts: f64,
    /// Packet time of the last aggregated observation.
    #[serde(default)]
    pub last_ts: f64,
    /// Stable id, unique within a store (`<kind>-<hash>`).
    pub id: String,
    /// Stable snake_case kind (`new_device`, `unauthorized_write`, ...).
    pub kind: String,
    /// Calibrated score 0–100.
    pub score: u8,
    /// Severity band of the score.
    pub severity: Severity,
    /// Source address (`ip:port`, `ip`, or MAC).
    pub src: String,
    /// Destination address, if any.
    #[serde(default)]
    pub dst: String,
    /// Human names and roles of src and dst when known.
    #[serde(default)]
    pub src_name: String,
    /// See `src_name`.
    #[serde(default)]
    pub dst_name: String,
    /// Protocol involved, if any.
    #[serde(default)]
    pub proto: String,
    /// MITRE ATT&CK for ICS technique ids (`T0855`).
    #[serde(default)]
    pub mitre: Vec<String>,
    /// One plain-language sentence.
    pub summary: String,
    /// Observed values, baseline, history and references.
    #[serde(default)]
    pub evidence: serde_json::Value,
    /// How many observations this alert aggregates.
    #[serde(default = "one")]
    pub count: u64,
}

fn one() -> u64 {
    1
}

impl Alert {
    /// Packet time of the first observation as a [`Timestamp`].
    pub fn timestamp(&self) -> Timestamp {
        Timestamp::from_secs_f64(self.ts)
    }
    /// Renders an endpoint for `src`/`dst`: IP without port when `port` is false.
    pub fn addr(e: &Endpoint, port: bool) -> String {
        match (e.ip, port) {
            (Some(ip), false) => ip.to_string(),
            _ => e.to_string(),
        }
    }
}
