//! Scoring alerts against labeled attack windows (`otwatch eval`).
//!
//! - An attack (all label rows with one id) is **detected** when an alert whose
//!   kind fits the attack ([`fitting_kinds`]) starts inside its window (widened by
//!   [`GRACE_BEFORE`] and [`GRACE_AFTER`]) and names one of its hosts as source or
//!   target. Time to detect is from the window start to that first alert.
//! - An alert is **true** when it falls in some attack's widened window and names
//!   one of its hosts (whatever its kind: a scan also makes new connections);
//!   otherwise it is a **false alert**. Alerts before `learn_until` are not counted.
//! - Precision = true alerts / all alerts; recall = detected attacks / attacks.

use otwatch_core::Alert;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Seconds before a window's start that still count (clock skew, set-up traffic).
pub const GRACE_BEFORE: f64 = 60.0;
/// Seconds after a window's end that still count (flow records arrive when flows end).
pub const GRACE_AFTER: f64 = 900.0;

/// One labeled attack (its rows merged).
#[derive(Clone, Debug, PartialEq)]
pub struct Attack {
    /// Attack id (`A03`).
    pub id: String,
    /// Attack kind (the simulator's names, e.g. `plc_stop`).
    pub kind: String,
    /// Window start (epoch seconds).
    pub start: f64,
    /// Window end.
    pub end: f64,
    /// Hosts involved (IPs or MACs, lowercase).
    pub hosts: BTreeSet<String>,
}

/// Alert kinds that fit an attack kind. Unknown attack kinds fit any alert.
pub fn fitting_kinds(attack_kind: &str) -> &'static [&'static str] {
    match attack_kind {
        "new_device_scan" => &["new_device", "scan"],
        "function_code_sweep" => &["function_code_sweep", "identification_sweep"],
        "off_hours_engineering" => &["off_hours_activity"],
        "dnp3_cold_restart" => &["device_restart"],
        "arp_spoof" => &["arp_spoofing"],
        "goose_replay" => &["goose_replay"],
        "polling_stopped" => &["polling_stopped"],
        "polling_fast" => &["polling_rate_change"],
        "unauthorized_write" => &["unauthorized_write"],
        "out_of_range_setpoint" => &["out_of_range_value"],
        "plc_stop" => &["plc_stop"],
        "program_download" => &["program_download"],
        "firmware_change" => &["firmware_change"],
        "it_to_ot_smb" => &["it_ot_crossing"],
        "it_to_ot_rdp" => &["remote_access", "it_ot_crossing"],
        "ot_internet" => &["internet_access", "public_dns"],
        "slow_exfiltration" => &["data_exfiltration", "internet_access"],
        _ => &[],
    }
}

/// Merges label rows `(id, kind, start, end, src, dst)` into attacks. `dst` may
/// hold several hosts separated by `;` or spaces.
pub fn merge_rows<'a>(
    rows: impl IntoIterator<Item = (&'a str, &'a str, f64, f64, &'a str, &'a str)>,
) -> Vec<Attack> {
    let mut by_id: BTreeMap<String, Attack> = BTreeMap::new();
    for (id, kind, start, end, src, dst) in rows {
        let a = by_id.entry(id.to_string()).or_insert_with(|| Attack {
            id: id.to_string(),
            kind: kind.to_string(),
            start,
            end,
            hosts: BTreeSet::new(),
        });
        a.start = a.start.min(start);
        a.end = a.end.max(end);
        for h in std::iter::once(src).chain(dst.split([';', ' '])) {
            let h = h.trim().to_ascii_lowercase();
            if !h.is_empty() {
                a.hosts.insert(h);
            }
        }
    }
    let mut v: Vec<Attack> = by_id.into_values().collect();
    v.sort_by(|a, b| a.start.total_cmp(&b.start));
    v
}

/// The host part of an alert address (`10.0.0.5:502` → `10.0.0.5`, `[fe80::1]:80`
/// → `fe80::1`; MACs and bare IPs unchanged).
pub fn host_part(addr: &str) -> String {
    let a = addr.trim();
    if let Some(rest) = a.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("").to_ascii_lowercase();
    }
    if a.matches(':').count() == 1 {
        return a.split(':').next().unwrap_or("").to_ascii_lowercase();
    }
    a.to_ascii_lowercase()
}

fn involves(alert: &Alert, at: &Attack) -> bool {
    let (s, d) = (host_part(&alert.src), host_part(&alert.dst));
    let inside = alert.ts >= at.start - GRACE_BEFORE && alert.ts <= at.end + GRACE_AFTER;
    inside && (at.hosts.contains(&s) || at.hosts.contains(&d))
}

/// The result for one attack.
#[derive(Clone, Debug, Serialize)]
pub struct AttackResult {
    /// Attack id.
    pub id: String,
    /// Attack kind.
    pub kind: String,
    /// Detected by an alert of a fitting kind.
    pub detected: bool,
    /// Seconds from the window start to the first fitting alert.
    pub time_to_detect_s: Option<f64>,
    /// Alerts of any kind attributed to the attack.
    pub alerts: u64,
    /// Kinds of those alerts.
    pub alert_kinds: Vec<String>,
    /// Highest score among them.
    pub max_score: u8,
}

/// One row of the per-kind table.
#[derive(Clone, Debug, Default, Serialize)]
pub struct KindRow {
    /// Attacks of this kind.
    pub attacks: u64,
    /// Of them detected.
    pub detected: u64,
    /// Median time to detect (seconds).
    pub median_ttd_s: Option<f64>,
}

/// The evaluation.
#[derive(Clone, Debug, Serialize)]
pub struct EvalReport {
    /// Per attack.
    pub attacks: Vec<AttackResult>,
    /// Per attack kind.
    pub by_kind: BTreeMap<String, KindRow>,
    /// Attacks detected.
    pub detected: u64,
    /// Recall over attacks.
    pub recall: f64,
    /// Alerts counted (after learning).
    pub alerts: u64,
    /// Alerts attributed to an attack.
    pub true_alerts: u64,
    /// Alerts outside every attack.
    pub false_alerts: u64,
    /// Precision of alerts.
    pub precision: f64,
    /// Days of scored time (from learn_until, or the first alert, to the last alert
    /// or window end), at least 1.
    pub days: f64,
    /// False alerts per day.
    pub false_per_day: f64,
    /// False alerts per day per 100 devices, when the device count is known.
    pub false_per_day_per_100_devices: Option<f64>,
    /// The false alerts, for review (kind, time, summary).
    pub false_list: Vec<(String, f64, String)>,
}

/// Scores `alerts` against `attacks`; alerts before `learn_until` are ignored.
/// `span` is the scored time range (epoch seconds) if known.
pub fn evaluate(
    alerts: &[Alert],
    attacks: &[Attack],
    learn_until: Option<f64>,
    span: Option<(f64, f64)>,
    devices: Option<u64>,
) -> EvalReport {
    let counted: Vec<&Alert> = alerts
        .iter()
        .filter(|a| learn_until.is_none_or(|u| a.ts >= u))
        .collect();
    let mut results = Vec::new();
    for at in attacks {
        let fit = fitting_kinds(&at.kind);
        let mine: Vec<&&Alert> = counted.iter().filter(|a| involves(a, at)).collect();
        let first_fit = mine
            .iter()
            .filter(|a| fit.is_empty() || fit.contains(&a.kind.as_str()))
            .map(|a| a.ts)
            .min_by(f64::total_cmp);
        let kinds: BTreeSet<String> = mine.iter().map(|a| a.kind.clone()).collect();
        results.push(AttackResult {
            id: at.id.clone(),
            kind: at.kind.clone(),
            detected: first_fit.is_some(),
            time_to_detect_s: first_fit.map(|t| (t - at.start).max(0.0)),
            alerts: mine.len() as u64,
            alert_kinds: kinds.into_iter().collect(),
            max_score: mine.iter().map(|a| a.score).max().unwrap_or(0),
        });
    }
    let false_list: Vec<(String, f64, String)> = counted
        .iter()
        .filter(|a| !attacks.iter().any(|at| involves(a, at)))
        .map(|a| (a.kind.clone(), a.ts, a.summary.clone()))
        .collect();
    let n = counted.len() as u64;
    let f = false_list.len() as u64;
    let (lo, hi) = span.unwrap_or_else(|| {
        let lo = learn_until
            .or_else(|| counted.iter().map(|a| a.ts).min_by(f64::total_cmp))
            .unwrap_or(0.0);
        let hi = counted
            .iter()
            .map(|a| a.ts)
            .chain(attacks.iter().map(|a| a.end))
            .max_by(f64::total_cmp)
            .unwrap_or(lo);
        (lo, hi)
    });
    let days = ((hi - lo) / 86_400.0).max(1.0);
    let mut by_kind: BTreeMap<String, (KindRow, Vec<f64>)> = BTreeMap::new();
    for r in &results {
        let e = by_kind.entry(r.kind.clone()).or_default();
        e.0.attacks += 1;
        if r.detected {
            e.0.detected += 1;
        }
        if let Some(t) = r.time_to_detect_s {
            e.1.push(t);
        }
    }
    let by_kind = by_kind
        .into_iter()
        .map(|(k, (mut row, mut t))| {
            t.sort_by(f64::total_cmp);
            row.median_ttd_s = t.get(t.len() / 2).copied();
            (k, row)
        })
        .collect();
    let detected = results.iter().filter(|r| r.detected).count() as u64;
    EvalReport {
        recall: if results.is_empty() {
            1.0
        } else {
            detected as f64 / results.len() as f64
        },
        detected,
        attacks: results,
        by_kind,
        alerts: n,
        true_alerts: n - f,
        false_alerts: f,
        precision: if n == 0 {
            1.0
        } else {
            (n - f) as f64 / n as f64
        },
        days,
        false_per_day: f as f64 / days,
        false_per_day_per_100_devices: devices
            .filter(|d| *d > 0)
            .map(|d| f as f64 / days * 100.0 / d as f64),
        false_list,
    }
}

impl EvalReport {
    /// The human table.
    pub fn table(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{:<5} {:<24} {:<9} {:>9} {:>6}  alert kinds",
            "id", "attack", "detected", "ttd", "alerts"
        );
        for r in &self.attacks {
            let _ = writeln!(
                s,
                "{:<5} {:<24} {:<9} {:>9} {:>6}  {}",
                r.id,
                r.kind,
                if r.detected { "yes" } else { "NO" },
                r.time_to_detect_s
                    .map(crate::models::human_duration)
                    .unwrap_or_else(|| "-".into()),
                r.alerts,
                r.alert_kinds.join(",")
            );
        }
        let _ = writeln!(
            s,
            "\ndetected {}/{} attacks (recall {:.2}); {} alerts, {} true, {} false (precision {:.2}); {:.2} false alerts/day over {:.1} days{}",
            self.detected,
            self.attacks.len(),
            self.recall,
            self.alerts,
            self.true_alerts,
            self.false_alerts,
            self.precision,
            self.false_per_day,
            self.days,
            self.false_per_day_per_100_devices
                .map(|x| format!(", {x:.2} per 100 devices"))
                .unwrap_or_default()
        );
        for (k, t, sum) in self.false_list.iter().take(20) {
            let _ = writeln!(
                s,
                "  false: {} {} {}",
                otwatch_core::Timestamp::from_secs_f64(*t).to_rfc3339(),
                k,
                sum
            );
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(kind: &str, ts: f64, src: &str, dst: &str) -> Alert {
        Alert {
            ts,
            last_ts: ts,
            id: format!("{kind}-{ts}"),
            kind: kind.into(),
            score: 80,
            severity: otwatch_core::Severity::from_score(80),
            src: src.into(),
            dst: dst.into(),
            src_name: String::new(),
            dst_name: String::new(),
            proto: String::new(),
            mitre: vec![],
            summary: String::new(),
            evidence: serde_json::Value::Null,
            count: 1,
        }
    }

    #[test]
    fn detection_needs_fitting_kind_window_and_host() {
        let at = merge_rows([
            ("A1", "plc_stop", 1000.0, 1100.0, "10.0.0.9", "10.0.0.1"),
            ("A1", "plc_stop", 1000.0, 1200.0, "10.0.0.9", "10.0.0.2"),
        ]);
        assert_eq!(at.len(), 1);
        assert_eq!(at[0].end, 1200.0);
        let alerts = vec![
            alert("new_connection", 1001.0, "10.0.0.9:5000", "10.0.0.2:102"), // true, not fitting
            alert("plc_stop", 1050.0, "10.0.0.9:5000", "10.0.0.2:102"),       // detection
            alert("plc_stop", 1050.0, "10.0.0.7", "10.0.0.3"),                // false: other hosts
            alert("scan", 90_000.0, "10.0.0.9", ""), // false: outside window
        ];
        let r = evaluate(&alerts, &at, None, None, Some(50));
        assert!(r.attacks[0].detected);
        assert_eq!(r.attacks[0].time_to_detect_s, Some(50.0));
        assert_eq!((r.true_alerts, r.false_alerts), (2, 2));
        assert_eq!(r.precision, 0.5);
        let only_conn = evaluate(&alerts[..1], &at, None, None, None);
        assert!(!only_conn.attacks[0].detected, "kind must fit");
        // Learning period excluded.
        let r2 = evaluate(&alerts, &at, Some(2000.0), None, None);
        assert_eq!(r2.alerts, 1);
        assert!(!r2.attacks[0].detected);
    }

    #[test]
    fn host_part_forms() {
        assert_eq!(host_part("10.0.0.5:502"), "10.0.0.5");
        assert_eq!(host_part("[fe80::1]:80"), "fe80::1");
        assert_eq!(host_part("00:30:A7:0D:20:00"), "00:30:a7:0d:20:00");
        assert_eq!(host_part("10.0.0.5"), "10.0.0.5");
    }
}
