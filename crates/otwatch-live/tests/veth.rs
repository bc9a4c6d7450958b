//! Live capture on a veth pair inside a network namespace this test creates:
//! tcpreplay sends a capture into one end, the ring on the other end must see
//! every frame with zero kernel drops. Needs root (CI runs as root); elsewhere it
//! skips with a note, except under CI where it fails.

use otwatch_live::{AfPacket, LiveConfig};
use std::process::Command;
use std::time::Duration;

fn sh(args: &[&str]) -> bool {
    Command::new(args[0])
        .args(&args[1..])
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A pcap of `n` Ethernet/IPv4/UDP frames to port 47999 with a sequence number.
fn write_pcap(path: &std::path::Path, n: u32) {
    let mut f = vec![
        0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
    ];
    for i in 0..n {
        let mut fr = vec![0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00];
        fr.extend_from_slice(&[
            0x45, 0, 0, 32, 0, 1, 0, 0, 64, 17, 0, 0, 10, 99, 0, 1, 10, 99, 0, 2,
        ]);
        fr.extend_from_slice(&[0x13, 0x88, 0xbb, 0x7f, 0, 12, 0, 0]);
        fr.extend_from_slice(&i.to_be_bytes());
        f.extend_from_slice(&1_700_000_000u32.to_le_bytes());
        f.extend_from_slice(&i.to_le_bytes());
        f.extend_from_slice(&(fr.len() as u32).to_le_bytes());
        f.extend_from_slice(&(fr.len() as u32).to_le_bytes());
        f.extend_from_slice(&fr);
    }
    std::fs::write(path, f).unwrap();
}

fn is_ours(d: &[u8]) -> bool {
    d.len() >= 38 && d[12..14] == [0x08, 0x00] && d[23] == 17 && d[36..38] == [0xbb, 0x7f]
}

#[test]
fn captures_every_replayed_frame_from_a_veth() {
    if !is_root() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the live capture test as root"
        );
        eprintln!("not root: live capture test skipped");
        return;
    }
    assert!(
        sh(&["sh", "-c", "command -v tcpreplay >/dev/null"]),
        "tcpreplay is required (scripts/setup-test-deps.sh installs it)"
    );
    let ns = format!("otwlive{}", std::process::id());
    assert!(sh(&["ip", "netns", "add", &ns]), "ip netns add");
    let ok = sh(&[
        "ip", "-n", &ns, "link", "add", "name", "owa", "type", "veth", "peer", "name", "owb",
    ]) && sh(&["ip", "-n", &ns, "link", "set", "owa", "up"])
        && sh(&["ip", "-n", &ns, "link", "set", "owb", "up"]);
    let pcap = std::env::temp_dir().join(format!("otwlive-{}.pcap", std::process::id()));
    write_pcap(&pcap, 20_000);
    let out = ok.then(|| {
        Command::new("ip")
            .args(["netns", "exec", &ns])
            .arg(std::env::current_exe().unwrap())
            .args(["--exact", "inner_capture", "--ignored", "--nocapture"])
            .env("OTW_PCAP", &pcap)
            .env("OTW_EXPECT", "20000")
            .output()
            .unwrap()
    });
    sh(&["ip", "netns", "del", &ns]);
    let _ = std::fs::remove_file(&pcap);
    assert!(ok, "veth setup failed");
    let out = out.unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success() && text.contains("1 passed"), "{text}");
}

/// Runs inside the namespace (spawned by the test above).
#[test]
#[ignore = "runs inside a network namespace; spawned by captures_every_replayed_frame_from_a_veth"]
fn inner_capture() {
    let Some(pcap) = std::env::var_os("OTW_PCAP") else {
        return;
    };
    let expect: u64 = std::env::var("OTW_EXPECT").unwrap().parse().unwrap();
    let mut ring = AfPacket::open(&LiveConfig {
        block_timeout_ms: 10,
        ..LiveConfig::new("owa")
    })
    .expect("open ring");
    let replay = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        Command::new("tcpreplay")
            .args(["-q", "-i", "owb", "--topspeed"])
            .arg(&pcap)
            .output()
            .expect("tcpreplay")
    });
    let mut seen = 0u64;
    let mut seq_ok = true;
    let mut last: Option<u32> = None;
    // Bounded wait: 15 s of packet-less polling at most.
    let mut idle = 0;
    while seen < expect && idle < 1500 {
        let n = ring
            .next_block(10, |p| {
                if is_ours(p.data) {
                    let s = u32::from_be_bytes([p.data[42], p.data[43], p.data[44], p.data[45]]);
                    if last.is_some_and(|l| s != l + 1) {
                        seq_ok = false;
                    }
                    last = Some(s);
                    seen += 1;
                }
            })
            .expect("ring");
        if n == 0 {
            idle += 1;
        }
    }
    let r = replay.join().unwrap();
    assert!(
        r.status.success(),
        "tcpreplay: {}",
        String::from_utf8_lossy(&r.stderr)
    );
    let st = ring.stats().unwrap();
    println!(
        "seen {seen} of {expect}, kernel {st:?}, link {:?}",
        ring.link_state()
    );
    assert_eq!(seen, expect);
    assert!(seq_ok, "frames out of order");
    assert_eq!(st.drops, 0);
    assert_eq!(ring.link_state().operstate, "up");
}
