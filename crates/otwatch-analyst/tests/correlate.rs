//! Correlation: an attack chain becomes one incident, unrelated alerts stay apart.

use otwatch_analyst::{Correlator, CorrelatorConfig, DevicePart, Tactic, correlate};
use otwatch_core::{Alert, Severity};

#[allow(clippy::too_many_arguments, reason = "test fixture builder")]
fn alert(
    id: &str,
    ts: f64,
    kind: &str,
    score: u8,
    src: &str,
    dst: &str,
    dst_name: &str,
    mitre: &[&str],
    summary: &str,
) -> Alert {
    Alert {
        ts,
        last_ts: ts,
        id: id.into(),
        kind: kind.into(),
        score,
        severity: Severity::from_score(score),
        src: src.into(),
        dst: dst.into(),
        src_name: String::new(),
        dst_name: dst_name.into(),
        proto: "modbus".into(),
        mitre: mitre.iter().map(|s| s.to_string()).collect(),
        summary: summary.into(),
        evidence: serde_json::json!({"observed": 9999, "baseline": "450-550"}),
        count: 1,
    }
}

const T0: f64 = 1_767_607_200.0; // 2026-01-05T10:00:00Z

/// new device → scan → unauthorized write → PLC stop, by 10.0.0.66, plus two
/// unrelated alerts elsewhere in the plant.
fn plant() -> Vec<Alert> {
    vec![
        alert(
            "new_device-1",
            T0,
            "new_device",
            60,
            "10.0.0.66",
            "",
            "",
            &["T0848"],
            "New device 10.0.0.66 (MAC 02:00:00:00:00:66) appeared on the control network",
        ),
        alert(
            "internet_access-9",
            T0 + 30.0,
            "internet_access",
            55,
            "10.0.1.20:50000",
            "8.8.8.8:443",
            "",
            &["T0883"],
            "10.0.1.20 (HMI) connected to public address 8.8.8.8",
        ),
        alert(
            "scan-2",
            T0 + 120.0,
            "scan",
            70,
            "10.0.0.66",
            "10.0.0.0/24",
            "",
            &["T0846"],
            "10.0.0.66 probed 42 hosts on 3 ports in 60 s",
        ),
        alert(
            "unauthorized_write-3",
            T0 + 600.0,
            "unauthorized_write",
            85,
            "10.0.0.66:40000",
            "10.0.0.11:502",
            "PLC, Schneider",
            &["T0855", "T0836"],
            "10.0.0.66 wrote 9999 to holding register 5 on 10.0.0.11 (PLC, Schneider); it never wrote before",
        ),
        alert(
            "timing-7",
            T0 + 700.0,
            "polling_stopped",
            40,
            "10.0.2.5:1000",
            "10.0.2.9:20000",
            "RTU",
            &[],
            "Polling of 10.0.2.9 by 10.0.2.5 stopped (period 2 s)",
        ),
        alert(
            "plc_stop-4",
            T0 + 900.0,
            "plc_stop",
            95,
            "10.0.0.66:40001",
            "10.0.0.11:102",
            "PLC, Schneider",
            &["T0858", "T0816"],
            "10.0.0.66 sent STOP to 10.0.0.11 (PLC, Schneider)",
        ),
    ]
}

#[test]
fn chain_becomes_one_incident_naming_devices_in_order() {
    let incs = correlate(&plant(), &CorrelatorConfig::default());
    assert_eq!(
        incs.len(),
        3,
        "{:#?}",
        incs.iter().map(|i| &i.title).collect::<Vec<_>>()
    );
    let chain = incs
        .iter()
        .find(|i| i.alert_ids().any(|a| a == "plc_stop-4"))
        .expect("chain incident");
    let ids: Vec<&str> = chain.alert_ids().collect();
    assert_eq!(
        ids,
        [
            "new_device-1",
            "scan-2",
            "unauthorized_write-3",
            "plc_stop-4"
        ]
    );
    assert_eq!(
        chain.tactics,
        [
            Tactic::InitialAccess,
            Tactic::Discovery,
            Tactic::ImpairProcessControl,
            Tactic::InhibitResponseFunction
        ]
    );
    // Score: max 95 + 5 per further tactic, capped.
    assert_eq!(chain.score, 100);
    assert_eq!(chain.severity, Severity::Critical);
    let text = chain.narrative_text();
    let attacker = text.find("10.0.0.66").expect("attacker named");
    let plc = text.find("10.0.0.11 (PLC, Schneider)").expect("PLC named");
    assert!(attacker < plc, "devices in order:\n{text}");
    // Steps in time order, each quoting its alert's summary.
    let s1 = text.find("Step 1").unwrap();
    let s4 = text.find("Step 4").unwrap();
    assert!(s1 < s4);
    assert!(text.contains("sent STOP to 10.0.0.11"));
    assert!(text.contains("T0816 Device Restart/Shutdown"));
    assert!(
        text.contains("Check 10.0.0.11 (PLC, Schneider) first"),
        "{text}"
    );
    assert!(text.contains("observed = 9999"), "{text}");
    assert!(chain.title.contains("10.0.0.66"), "{}", chain.title);
    let plc_dev = chain
        .devices
        .iter()
        .find(|d| d.addr == "10.0.0.11")
        .unwrap();
    assert_eq!(plc_dev.part, DevicePart::Target);
    assert_eq!(chain.devices[0].addr, "10.0.0.66");
    assert!(
        chain
            .actions
            .iter()
            .any(|a| a.contains("known-good project"))
    );
    assert!(
        chain
            .actions
            .iter()
            .any(|a| a.contains("isolating 10.0.0.66"))
    );
    // The unrelated alerts are each alone.
    for id in ["internet_access-9", "timing-7"] {
        let inc = incs
            .iter()
            .find(|i| i.alert_ids().any(|a| a == id))
            .unwrap();
        assert_eq!(inc.alert_count(), 1, "{id}");
    }
}

#[test]
fn deterministic_for_a_given_order() {
    let a = correlate(&plant(), &CorrelatorConfig::default());
    let b = correlate(&plant(), &CorrelatorConfig::default());
    assert_eq!(a, b);
    assert_eq!(a[0].id, otwatch_analyst::incident_id("new_device-1"));
}

#[test]
fn window_splits_distant_alerts() {
    let mut alerts = plant();
    // Move the PLC stop 10 hours later: beyond the 4 h window.
    alerts[5].ts += 36_000.0;
    alerts[5].last_ts = alerts[5].ts;
    let incs = correlate(&alerts, &CorrelatorConfig::default());
    assert_eq!(incs.len(), 4);
    let cfg = CorrelatorConfig {
        window_secs: 48.0 * 3600.0,
    };
    assert_eq!(correlate(&alerts, &cfg).len(), 3);
}

#[test]
fn shared_target_without_progression_stays_apart() {
    // Another host's low-stage alert toward the PLC after the chain reached it does not
    // join: its tactic (Discovery) is before the chain's furthest (Inhibit Response).
    let mut alerts = plant();
    alerts.push(alert(
        "scan-8",
        T0 + 1000.0,
        "function_code_sweep",
        50,
        "10.0.3.3",
        "10.0.0.11:502",
        "PLC, Schneider",
        &["T0888"],
        "10.0.3.3 tried 12 function codes on 10.0.0.11",
    ));
    let incs = correlate(&alerts, &CorrelatorConfig::default());
    assert_eq!(incs.len(), 4);
    // A pivot joins: the PLC itself then acts.
    let mut c = Correlator::new(CorrelatorConfig::default());
    for a in plant() {
        c.add(&a);
    }
    let n = c.len();
    let idx = c.add(&alert(
        "new_peer-5",
        T0 + 1200.0,
        "new_peer",
        50,
        "10.0.0.11",
        "10.0.0.12:502",
        "PLC",
        &["T0867"],
        "10.0.0.11 opened a connection to 10.0.0.12 for the first time",
    ));
    assert_eq!(c.len(), n);
    let incs = c.incidents();
    assert!(incs[idx].alert_ids().any(|a| a == "plc_stop-4"));
    assert!(
        incs[idx]
            .devices
            .iter()
            .any(|d| d.addr == "10.0.0.11" && d.part == DevicePart::SourceAndTarget)
    );
}
