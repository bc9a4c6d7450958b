//! Detector tests on synthetic events: each finding explains itself from the real
//! baseline, and slow poisoning is rate-limited.

use super::*;
use otwatch_core::{FlowId, OpClass, Point};
use std::net::{IpAddr, Ipv4Addr};

const T0: i64 = 1_790_000_000;
const HMI: [u8; 4] = [10, 0, 2, 10];
const EWS: [u8; 4] = [10, 0, 2, 30];
const PLC: [u8; 4] = [10, 0, 1, 10];

fn ep(ip: [u8; 4], port: u16) -> Endpoint {
    Endpoint::ip(IpAddr::V4(Ipv4Addr::from(ip)), port)
}

fn modbus(t: f64, src: [u8; 4], op: OpClass, func: &'static str, points: &[(u32, f64)]) -> Event {
    let mut e = Event::new(
        Timestamp::from_secs_f64(t),
        FlowId(1),
        ep(src, 40_000),
        ep(PLC, 502),
        "modbus",
        op,
        func,
    );
    e.status = Some("ok".into());
    e.unit = Some(1);
    e.points = points
        .iter()
        .map(|&(index, value)| Point {
            space: "holding_register",
            group: 0,
            index,
            value,
        })
        .collect();
    e
}

/// Two days: the HMI reads every 2 s, the EWS writes register 100 within
/// 450–550 once an hour during office hours. Forced learning over those days.
fn learned() -> (Detectors, Inventory, f64) {
    let mut cfg = DetectConfig::default();
    cfg.policy.learn_until = Some(T0 + 2 * 86_400);
    let mut d = Detectors::new(cfg);
    let inv = Inventory::new();
    let mut out = Vec::new();
    let mut t = T0 as f64;
    let end = (T0 + 2 * 86_400) as f64;
    let mut k = 0u64;
    while t < end {
        d.event(
            &modbus(
                t,
                HMI,
                OpClass::Read,
                "read_holding_registers",
                &[(100, 500.0)],
            ),
            &inv,
            &mut out,
        );
        let hour = ((t as i64).rem_euclid(86_400)) / 3600;
        if (t as i64) % 3600 < 2 && (8..17).contains(&hour) {
            k += 1;
            let v = 450.0 + (k * 37 % 101) as f64;
            d.event(
                &modbus(
                    t + 0.5,
                    EWS,
                    OpClass::Write,
                    "write_single_register",
                    &[(100, v)],
                ),
                &inv,
                &mut out,
            );
        }
        if (t as i64) % 60 == 0 {
            d.tick(Timestamp::from_secs_f64(t), &inv, &mut out);
        }
        t += 2.0;
    }
    assert!(
        out.is_empty(),
        "learning raised alerts: {:?}",
        out.iter().map(|a| &a.summary).collect::<Vec<_>>()
    );
    (d, inv, end)
}

fn point_key() -> (Host, u64, u32, u32) {
    (
        Host::Ip(IpAddr::V4(Ipv4Addr::from(PLC))),
        key_hash(&("modbus", "holding_register")),
        0,
        100,
    )
}

fn one(out: &[Alert], kind: &str) -> Alert {
    let v: Vec<&Alert> = out.iter().filter(|a| a.kind == kind).collect();
    assert_eq!(
        v.len(),
        1,
        "{kind}: {:?}",
        out.iter()
            .map(|a| (&a.kind, &a.summary))
            .collect::<Vec<_>>()
    );
    v[0].clone()
}

#[test]
fn out_of_range_write_explains_the_learned_range() {
    let (mut d, inv, t) = learned();
    let mut out = Vec::new();
    d.event(
        &modbus(
            t + 10.0 * 3600.0,
            EWS,
            OpClass::Write,
            "write_single_register",
            &[(100, 9999.0)],
        ),
        &inv,
        &mut out,
    );
    let a = one(&out, "out_of_range_value");
    assert!(a.score >= 90, "{}", a.score);
    let m = &d.points[&point_key()];
    let (lo, hi) = (m.lo, m.hi);
    assert!(
        (450.0..460.0).contains(&lo) && hi > 540.0 && hi <= 550.0,
        "{lo} {hi}"
    );
    let (los, his) = (crate::models::num(lo), crate::models::num(hi));
    assert!(
        a.summary.contains("9999") && a.summary.contains(&los) && a.summary.contains(&his),
        "{}",
        a.summary
    );
    let b = &a.evidence["baseline"];
    assert_eq!(b["min"], lo);
    assert_eq!(b["max"], hi);
    assert!(b["samples"].as_u64().unwrap() >= 18);
    assert_eq!(a.mitre, crate::mitre::techniques_of("out_of_range_value"));
}

#[test]
fn reader_that_writes_is_unauthorized_with_the_known_writers() {
    let (mut d, inv, t) = learned();
    let mut out = Vec::new();
    d.event(
        &modbus(
            t + 3600.0,
            HMI,
            OpClass::Write,
            "write_single_register",
            &[(100, 500.0)],
        ),
        &inv,
        &mut out,
    );
    let a = one(&out, "unauthorized_write");
    assert_eq!(a.src, "10.0.2.10");
    assert!(a.summary.contains("never wrote"), "{}", a.summary);
    let top = a.evidence["baseline"]["top"].as_array().unwrap();
    assert_eq!(top[0]["key"], "10.0.2.30", "the EWS is the known writer");
    assert!(a.evidence["p_new_per_hour"].as_f64().unwrap() < 0.05);
}

#[test]
fn stopped_polling_reports_the_learned_period() {
    let (mut d, inv, t) = learned();
    let mut out = Vec::new();
    for s in (0..600).step_by(10) {
        d.tick(Timestamp::from_secs_f64(t + s as f64), &inv, &mut out);
    }
    let a = one(&out, "polling_stopped");
    assert!(a.summary.contains("every 2 s"), "{}", a.summary);
    assert!((a.evidence["baseline"]["period_s"].as_f64().unwrap() - 2.0).abs() < 0.1);
}

#[test]
fn new_peer_names_the_stable_peer_set() {
    let (mut d, inv, t) = learned();
    let mut out = Vec::new();
    d.event(
        &modbus(
            t + 60.0,
            [10, 0, 2, 99],
            OpClass::Read,
            "read_holding_registers",
            &[(100, 500.0)],
        ),
        &inv,
        &mut out,
    );
    let a = one(&out, "new_connection");
    assert_eq!(
        a.evidence["baseline"]["known_keys"], 3,
        "hmi, ews and the newcomer"
    );
    assert!(a.evidence["baseline"]["history_secs"].as_i64().unwrap() >= 2 * 86_400 - 10);
    // The newcomer is a device too, and the network is mature.
    assert_eq!(out.iter().filter(|a| a.kind == "new_device").count(), 1);
}

/// Slow poisoning: after learning about 450–550, the EWS raises the setpoint by 0.5 per
/// hourly write. The envelope widens by at most 5% of its width (about 4.5) per hour, so a
/// ramp at or below that rate is accepted without alerts, and the model's range
/// follows it; the same rise done at once (a jump of the accumulated amount) alerts.
/// This is the documented trade-off (docs/detection.md): lasting, slow change
/// becomes normal; a change faster than the allowance does not.
#[test]
fn slow_poisoning_is_rate_limited() {
    let (mut d, inv, t) = learned();
    let mut out = Vec::new();
    let hi0 = d.points[&point_key()].hi;
    let mut v = hi0;
    for h in 1..=200 {
        v += 0.5;
        d.event(
            &modbus(
                t + h as f64 * 3600.0,
                EWS,
                OpClass::Write,
                "write_single_register",
                &[(100, v)],
            ),
            &inv,
            &mut out,
        );
    }
    assert!(
        out.iter().all(|a| a.kind != "out_of_range_value"),
        "slow ramp alerted: {:?}",
        out.iter().map(|a| &a.summary).collect::<Vec<_>>()
    );
    let hi = d.points[&point_key()].hi;
    assert!(
        (hi - (hi0 + 100.0)).abs() < 1.0,
        "envelope followed the slow ramp to {hi} from {hi0}"
    );
    // A fast ramp: +40 per write every minute outruns the allowance and alerts.
    let (mut d2, inv2, t2) = learned();
    let mut out2 = Vec::new();
    let mut v2 = 550.0;
    for m in 1..=10 {
        v2 += 40.0;
        d2.event(
            &modbus(
                t2 + 3600.0 + m as f64 * 60.0,
                EWS,
                OpClass::Write,
                "write_single_register",
                &[(100, v2)],
            ),
            &inv2,
            &mut out2,
        );
    }
    assert!(
        out2.iter().any(|a| a.kind == "out_of_range_value"),
        "fast ramp did not alert"
    );
}

#[test]
fn snapshot_round_trip_keeps_the_baseline() {
    let (d, inv, t) = learned();
    let bytes = serde_json::to_vec(&d).unwrap();
    let mut r: Detectors = serde_json::from_slice(&bytes).unwrap();
    r.set_config(d.config().clone());
    let mut out = Vec::new();
    r.event(
        &modbus(
            t + 10.0 * 3600.0,
            EWS,
            OpClass::Write,
            "write_single_register",
            &[(100, 9999.0)],
        ),
        &inv,
        &mut out,
    );
    assert_eq!(
        one(&out, "out_of_range_value").evidence["baseline"]["max"],
        r.points[&point_key()].hi
    );
}
