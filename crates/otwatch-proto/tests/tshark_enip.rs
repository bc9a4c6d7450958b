//! Wireshark agreement for EtherNet/IP + CIP: per-service-code counts of CIP
//! requests, and ListIdentity identity strings, against `tshark -T fields` on every
//! corpus file holding ENIP (see the protocol column of the corpus README).
//!
//! Counting rules (ours ↔ tshark):
//! - tshark: every `cip.sc` of frames whose first `cip.rr` is 0 (request frames);
//!   embedded services of Unconnected Send / Multiple Service Packet are separate
//!   `cip.sc` entries there, as are the wrappers themselves.
//! - ours: the `cip_service` of every event whose request was seen, plus one 0x52
//!   per unwrapped Unconnected Send and one 0x0A per Multiple Service Packet.
//!
//! Known disagreements (measured: 74,686 of 74,697 CIP requests agree, 99.99%):
//! - `CIP/CIPvalue.pcap`: 9 more Read Tag requests here. Their first copy was not
//!   captured; the copy that was (e.g. frame 549) is labelled "spurious
//!   retransmission" by Wireshark, which then does not dissect it. It is new data
//!   to the stream, so otwatch parses it. Wireshark's choice, not ours.
//! - `CIP/specialCIP.pcap`: 2 fewer here (frames 208, 220). Each request follows a
//!   capture hole and is held by the reassembler until the hole is declared, after
//!   its reply was delivered: the transaction is still reported, from the reply,
//!   with `request_seen: false` (so it is not counted as a request here).
//!
//! The test prints the per-file table so that any drift is visible.

use otwatch_core::corpus::corpus_file;
use otwatch_core::{Event, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

const FILES: &[&str] = &[
    "emreekin-ics-pcaps/CIP/CIPvalue.pcap",
    "emreekin-ics-pcaps/CIP/ENIP_CIP-CM.pcap",
    "emreekin-ics-pcaps/CIP/specialCIP.pcap",
    "emreekin-ics-pcaps/COTP/cip_cotp_proces.pcap",
    "emreekin-ics-pcaps/Ethernet_IP/ControlLogix_FactoryTalk_HMI.pcap",
    "emreekin-ics-pcaps/Ethernet_IP/ControlLogix_Logix5000_download_upload_run.pcap",
    "iti-ics-security-tools/CIP/cip_only.pcap",
    "iti-ics-security-tools/EthernetIP/EthernetIP-CIP.pcap",
    "iti-ics-security-tools/EthernetIP/cip-eth-set-2.pcap",
    "iti-ics-security-tools/EthernetIP/cip-multiple-1.pcap",
    "iti-ics-security-tools/EthernetIP/cip-multiple-2.pcap",
    "iti-ics-security-tools/EthernetIP/cip_start_plc.pcap",
    "iti-ics-security-tools/EthernetIP/cip_stop_plc.pcap",
    "iti-ics-security-tools/EthernetIP/cip_unlock_cpu.pcap",
    "iti-ics-security-tools/EthernetIP/enip_test.pcap",
    "iti-ics-security-tools/ModbusTCP/mb2.pcap",
];

fn tshark(path: &Path, filter: &str, fields: &[&str]) -> Vec<Vec<String>> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-r")
        .arg(path)
        .args(["-Y", filter, "-T", "fields", "-E", "occurrence=a"]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd
        .output()
        .expect("OTWATCH_CORPUS is set but tshark is not installed (apt-get install -y tshark)");
    assert!(out.status.success(), "tshark failed on {}", path.display());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

fn parse_num(s: &str) -> Option<u64> {
    let s = s.trim();
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

fn ours(events: &[Event]) -> BTreeMap<u64, u64> {
    let mut m = BTreeMap::new();
    for e in events.iter().filter(|e| e.proto == "enip") {
        let Some(svc) = e.fields.get_u64("cip_service") else {
            continue;
        };
        if e.fields.get("request_seen") == Some(&Value::Bool(false)) {
            continue;
        }
        *m.entry(svc).or_default() += 1;
        let first_of_group = e.fields.get_u64("multiple_index").unwrap_or(0) == 0;
        if e.fields.get_u64("multiple_index") == Some(0) {
            *m.entry(0x0a).or_default() += 1;
        }
        if first_of_group && e.fields.get("via_unconnected_send") == Some(&Value::Bool(true)) {
            *m.entry(0x52).or_default() += 1;
        }
    }
    m
}

fn theirs(path: &Path) -> BTreeMap<u64, u64> {
    let mut m = BTreeMap::new();
    for row in tshark(path, "cip", &["cip.sc", "cip.rr"]) {
        let (Some(sc), Some(rr)) = (row.first(), row.get(1)) else {
            continue;
        };
        if rr.split(',').next().and_then(parse_num) != Some(0) {
            continue;
        }
        for s in sc.split(',').filter_map(parse_num) {
            *m.entry(s).or_default() += 1;
        }
    }
    m
}

fn agreement(a: &BTreeMap<u64, u64>, b: &BTreeMap<u64, u64>) -> (u64, u64) {
    let keys: std::collections::BTreeSet<_> = a.keys().chain(b.keys()).collect();
    let mut matched = 0;
    for k in &keys {
        matched += a
            .get(k)
            .copied()
            .unwrap_or(0)
            .min(b.get(k).copied().unwrap_or(0));
    }
    let total = a.values().sum::<u64>().max(b.values().sum::<u64>());
    (matched, total)
}

#[test]
fn cip_service_counts_agree_with_tshark() {
    let mut sum = (0u64, 0u64);
    let mut files = 0;
    for rel in FILES {
        let Some(p) = corpus_file(rel) else {
            otwatch_core::corpus::skip_note("cip_service_counts_agree_with_tshark");
            return;
        };
        let ev = otwatch_proto::pipeline::pcap_events(&p);
        let (a, b) = (ours(&ev), theirs(&p));
        let (m, t) = agreement(&a, &b);
        eprintln!("{rel}: {m}/{t}\n  ours   {a:x?}\n  tshark {b:x?}");
        sum.0 += m;
        sum.1 += t;
        files += 1;
    }
    let pct = 100.0 * sum.0 as f64 / sum.1.max(1) as f64;
    eprintln!(
        "enip: {files} files, {}/{} CIP requests agree ({pct:.2}%)",
        sum.0, sum.1
    );
    assert!(pct >= 99.0, "agreement {pct:.2}% < 99%");
}

#[test]
fn list_identity_matches_tshark() {
    for rel in FILES {
        let Some(p) = corpus_file(rel) else {
            otwatch_core::corpus::skip_note("list_identity_matches_tshark");
            return;
        };
        let rows = tshark(
            &p,
            "enip.lir.name",
            &["enip.lir.name", "enip.lir.serial", "enip.lir.revision"],
        );
        let ev = otwatch_proto::pipeline::pcap_events(&p);
        let ids: Vec<&Event> = ev
            .iter()
            .filter(|e| e.proto == "enip" && e.function == "list_identity" && e.identity.is_some())
            .collect();
        assert_eq!(ids.len(), rows.len(), "{rel}: ListIdentity replies");
        for (e, row) in ids.iter().zip(&rows) {
            assert_eq!(
                e.fields.get_str("product_name"),
                row.first().map(String::as_str),
                "{rel}"
            );
            assert_eq!(
                e.fields.get_str("serial"),
                row.get(1).map(String::as_str),
                "{rel}"
            );
            let rev = row.get(2).and_then(|r| parse_num(r)).unwrap_or(0);
            let ours = e.fields.get_str("revision").unwrap_or("");
            let want = format!("{}.{:03}", rev >> 8, rev & 0xff); // tshark shows major << 8 | minor
            assert_eq!(ours, want, "{rel}");
        }
    }
}
