//! The `otwatch` binary as a user runs it: `analyze --json` packet counts equal
//! `capinfos` for every corpus file, exit codes, damaged input.

use otwatch_core::corpus::{corpus_captures, skip_note};
use std::path::Path;
use std::process::{Command, Output};

fn otwatch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_otwatch"))
        .args(args)
        .output()
        .expect("run otwatch")
}

fn capinfos_count(p: &Path) -> u64 {
    let out = Command::new("capinfos")
        .args(["-c", "-M", "-T", "-r"])
        .arg(p)
        .output()
        .expect("capinfos is required when OTWATCH_CORPUS is set");
    let s = String::from_utf8_lossy(&out.stdout);
    s.lines()
        .next()
        .and_then(|l| l.rsplit('\t').next())
        .and_then(|c| c.trim().parse().ok())
        .unwrap_or_else(|| panic!("no capinfos count for {}", p.display()))
}

fn tiny_pcap(dir: &Path) -> std::path::PathBuf {
    // One Ethernet/IPv4/UDP frame, classic pcap.
    let mut f = vec![
        0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
    ];
    let frame: Vec<u8> = [
        &[0u8, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00][..],
        &[
            0x45, 0, 0, 29, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ],
        &[0x13, 0x88, 0x00, 0xa1, 0, 9, 0, 0, 0x42],
    ]
    .concat();
    for t in 0..3u32 {
        f.extend_from_slice(&(1_700_000_000 + t).to_le_bytes());
        f.extend_from_slice(&0u32.to_le_bytes());
        f.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        f.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        f.extend_from_slice(&frame);
    }
    let p = dir.join("tiny.pcap");
    std::fs::write(&p, f).unwrap();
    p
}

fn tmpdir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("otwatch-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn json_summary_counts_packets() {
    let d = tmpdir("json");
    let p = tiny_pcap(&d);
    let out = otwatch(&["analyze", "--json", p.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(v["packets"], 3);
    assert_eq!(v["flows"], 1);
    assert_eq!(v["duration_s"], 2.0);
}

#[test]
fn exit_codes_and_damage() {
    let d = tmpdir("codes");
    let p = tiny_pcap(&d);
    // Missing file: usage error, one line, no backtrace.
    let out = otwatch(&["analyze", "/nonexistent/x.pcap"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    // Not a capture.
    let txt = d.join("notes.pcap");
    std::fs::write(&txt, "hello").unwrap();
    assert_eq!(
        otwatch(&["analyze", txt.to_str().unwrap()]).status.code(),
        Some(2)
    );
    // Damaged: keeps what was read, warns with the offset; exit 3 only with --strict.
    let data = std::fs::read(&p).unwrap();
    let cut = d.join("cut.pcap");
    std::fs::write(&cut, &data[..data.len() - 10]).unwrap();
    let out = otwatch(&["analyze", "--json", cut.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["packets"], 2);
    assert_eq!(v["files"][0]["damage_offset"], 24 + 2 * (16 + 43));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cut.pcap: damaged at byte offset 142"));
    assert_eq!(
        otwatch(&["analyze", "--strict", cut.to_str().unwrap()])
            .status
            .code(),
        Some(3)
    );
}

#[test]
fn events_file_is_ndjson_with_contract_fields() {
    let d = tmpdir("events");
    let p = tiny_pcap(&d);
    let ev = d.join("events.ndjson");
    let out = otwatch(&[
        "analyze",
        p.to_str().unwrap(),
        "--events",
        ev.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    for line in std::fs::read_to_string(&ev).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        for k in ["ts", "src", "dst", "proto", "op", "function"] {
            assert!(v.get(k).is_some(), "missing {k} in {line}");
        }
    }
}

#[test]
fn every_corpus_file_matches_capinfos_through_the_cli() {
    let Some(files) = corpus_captures() else {
        skip_note("every_corpus_file_matches_capinfos_through_the_cli");
        return;
    };
    let mut bad = Vec::new();
    for f in &files {
        let out = otwatch(&["analyze", "--json", "--no-progress", f.to_str().unwrap()]);
        let code = out.status.code();
        if code != Some(0) {
            bad.push(format!(
                "{}: exit {code:?}: {}",
                f.display(),
                String::from_utf8_lossy(&out.stderr)
            ));
            continue;
        }
        let v: serde_json::Value = match serde_json::from_slice(&out.stdout) {
            Ok(v) => v,
            Err(e) => {
                bad.push(format!("{}: bad JSON: {e}", f.display()));
                continue;
            }
        };
        let ours = v["packets"].as_u64().unwrap_or(u64::MAX);
        let theirs = capinfos_count(f);
        if ours != theirs {
            bad.push(format!(
                "{}: otwatch {ours} vs capinfos {theirs}",
                f.display()
            ));
        }
    }
    assert!(
        bad.is_empty(),
        "{} of {} files:\n{}",
        bad.len(),
        files.len(),
        bad.join("\n")
    );
}
