//! Detection on labeled real captures from the corpus (`$OTWATCH_CORPUS`).

use otwatch::cmd::analyze;
use otwatch_core::corpus::{corpus_file, skip_note};
use std::path::PathBuf;

fn run(p: PathBuf, learn_hours: f64) -> Vec<otwatch_core::Alert> {
    let a = analyze::Args {
        captures: vec![p],
        json: false,
        events: None,
        stats: false,
        strict: false,
        no_progress: true,
        zones: None,
        assets: None,
        assets_csv: None,
        airgap_report: false,
        max_flows: 262_144,
        alerts: None,
        db: None,
        learn_hours: Some(learn_hours),
    };
    analyze::execute(&a).unwrap().sink.alerts
}

/// Lemay & Fernandez: six RTUs polled over Modbus; RTU 192.168.1.104 moves files
/// to the master over NetBIOS/SMB (labeled frames 325–1699, from 10.9 s). With
/// the first 10 s as the baseline, the SMB session is the one alert.
#[test]
fn lemay_smb_lateral_movement_is_detected() {
    let Some(p) = corpus_file("lemay-modbus-covert/moving_two_files_modbus_6RTU.pcap") else {
        skip_note("lemay_smb_lateral_movement_is_detected");
        return;
    };
    let alerts = run(p, 10.0 / 3600.0);
    for a in &alerts {
        println!("{} {} {} {}", a.ts, a.kind, a.score, a.summary);
    }
    let smb: Vec<_> = alerts
        .iter()
        .filter(|a| {
            matches!(a.kind.as_str(), "remote_access" | "it_ot_crossing")
                && a.proto == "smb"
                && a.src.starts_with("192.168.1.104")
                && a.dst.starts_with("192.168.1.100")
        })
        .collect();
    assert_eq!(smb.len(), 1, "SMB lateral movement alert");
    assert!(
        alerts.len() <= 3,
        "few false alerts on a 3-minute capture: {}",
        alerts.len()
    );
}
