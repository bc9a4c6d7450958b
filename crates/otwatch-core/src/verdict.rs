//! Analysts' verdicts on alerts: the record that triage (otwatch-store) writes and
//! the engine (otwatch-learn, `Engine::apply_verdict`) reads at start or restore so
//! that "expected" and "new normal" behaviour stops alerting.
//!
//! The record carries a copy of the alert it judges, so the engine can derive the
//! model key (kind, src, dst, proto, evidence) without reading the alert table.

use crate::alert::Alert;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What the analyst concluded about an alert.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictKind {
    /// Legitimate, planned activity (maintenance, a known change): learn it.
    Expected,
    /// A lasting change of normal behaviour: learn it as the new baseline.
    NewNormal,
    /// An attack or misuse: keep the behaviour flagged.
    Malicious,
    /// The detector was wrong; nothing to learn about the behaviour itself.
    FalsePositive,
}

impl VerdictKind {
    /// All verdicts, in display order.
    pub const ALL: [VerdictKind; 4] = [
        VerdictKind::Expected,
        VerdictKind::NewNormal,
        VerdictKind::Malicious,
        VerdictKind::FalsePositive,
    ];
    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            VerdictKind::Expected => "expected",
            VerdictKind::NewNormal => "new_normal",
            VerdictKind::Malicious => "malicious",
            VerdictKind::FalsePositive => "false_positive",
        }
    }
    /// True when the verdict teaches the model that the behaviour is normal
    /// ("expected" and "new_normal"), so the same behaviour no longer alerts.
    pub fn feeds_model(self) -> bool {
        matches!(self, VerdictKind::Expected | VerdictKind::NewNormal)
    }
}

impl fmt::Display for VerdictKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for VerdictKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        VerdictKind::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| {
                format!("unknown verdict {s:?} (expected, new_normal, malicious, false_positive)")
            })
    }
}

/// One verdict as stored. Undone verdicts stay in the store with `undone_ts` set, so
/// the history is auditable; the engine applies only those with `undone_ts == None`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// Store-assigned sequence number (increasing; 0 before it is stored).
    pub id: i64,
    /// Id of the judged alert.
    pub alert_id: String,
    /// The verdict.
    pub verdict: VerdictKind,
    /// When the verdict was given (epoch seconds).
    pub ts: f64,
    /// Who gave it (console user name, or `cli`).
    pub actor: String,
    /// Free-text comment.
    #[serde(default)]
    pub comment: String,
    /// When it was undone, if it was.
    #[serde(default)]
    pub undone_ts: Option<f64>,
    /// The alert as it was when judged.
    pub alert: Alert,
}

impl Verdict {
    /// True when the verdict is in force and teaches the model.
    pub fn teaches_model(&self) -> bool {
        self.undone_ts.is_none() && self.verdict.feeds_model()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for v in VerdictKind::ALL {
            assert_eq!(v.as_str().parse::<VerdictKind>(), Ok(v));
        }
        assert!("benign".parse::<VerdictKind>().is_err());
        assert!(VerdictKind::NewNormal.feeds_model());
        assert!(!VerdictKind::Malicious.feeds_model());
    }
}
