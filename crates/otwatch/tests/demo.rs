//! The README's first command: `otwatch demo` runs end to end on a built-in default
//! (simulate a plant, learn, detect, correlate) and prints a report with findings.

use std::process::Command;

#[test]
fn demo_runs_end_to_end_and_reports_alerts_and_incidents() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = Command::new(env!("CARGO_BIN_EXE_otwatch"))
        .arg("demo")
        .current_dir(dir.path())
        .output()
        .expect("run otwatch demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "demo failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The injected attacks must surface: a PLC stop and remote access from IT.
    assert!(stdout.contains("plc_stop"), "no plc_stop alert:\n{stdout}");
    assert!(
        stdout.contains("remote_access"),
        "no remote_access alert:\n{stdout}"
    );
    assert!(stdout.contains("T0858"), "no ATT&CK mapping:\n{stdout}");
    for f in ["plant.pcap", "labels.csv", "assets.json", "zones.toml"] {
        let p = dir.path().join("otwatch-demo").join(f);
        assert!(
            p.metadata().map(|m| m.len() > 0).unwrap_or(false),
            "{f} missing"
        );
    }
}
