//! Capture formats built byte by byte: pcap in both byte orders and both
//! resolutions; pcapng with several sections, interfaces, link types and
//! timestamp resolutions; format sniffed from content, not the extension.

use otwatch_wire::{CaptureReader, LinkType};

fn pcap(be: bool, ns: bool, link: u32, pkts: &[(u32, u32, &[u8])]) -> Vec<u8> {
    let magic: u32 = if ns { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
    let w32 = |v: u32| if be { v.to_be_bytes() } else { v.to_le_bytes() };
    let w16 = |v: u16| if be { v.to_be_bytes() } else { v.to_le_bytes() };
    let mut f = Vec::new();
    f.extend_from_slice(&w32(magic));
    f.extend_from_slice(&w16(2));
    f.extend_from_slice(&w16(4));
    f.extend_from_slice(&w32(0));
    f.extend_from_slice(&w32(0));
    f.extend_from_slice(&w32(65535));
    f.extend_from_slice(&w32(link));
    for (s, frac, d) in pkts {
        f.extend_from_slice(&w32(*s));
        f.extend_from_slice(&w32(*frac));
        f.extend_from_slice(&w32(d.len() as u32));
        f.extend_from_slice(&w32(d.len() as u32));
        f.extend_from_slice(d);
    }
    f
}

fn block(t: u32, body: &[u8]) -> Vec<u8> {
    let pad = (4 - body.len() % 4) % 4;
    let len = (12 + body.len() + pad) as u32;
    let mut b = Vec::new();
    b.extend_from_slice(&t.to_le_bytes());
    b.extend_from_slice(&len.to_le_bytes());
    b.extend_from_slice(body);
    b.extend(std::iter::repeat_n(0, pad));
    b.extend_from_slice(&len.to_le_bytes());
    b
}

fn shb() -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&0x1a2b_3c4du32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&0u16.to_le_bytes());
    b.extend_from_slice(&(-1i64).to_le_bytes());
    block(0x0a0d_0d0a, &b)
}

fn idb(link: u16, tsresol: Option<u8>) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&link.to_le_bytes());
    b.extend_from_slice(&0u16.to_le_bytes());
    b.extend_from_slice(&65535u32.to_le_bytes());
    if let Some(r) = tsresol {
        b.extend_from_slice(&9u16.to_le_bytes()); // if_tsresol
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&[r, 0, 0, 0]);
        b.extend_from_slice(&[0, 0, 0, 0]); // opt_endofopt
    }
    block(1, &b)
}

fn epb(ifid: u32, ts: u64, d: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&ifid.to_le_bytes());
    b.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
    b.extend_from_slice(&(ts as u32).to_le_bytes());
    b.extend_from_slice(&(d.len() as u32).to_le_bytes());
    b.extend_from_slice(&(d.len() as u32).to_le_bytes());
    b.extend_from_slice(d);
    b.extend(std::iter::repeat_n(0, (4 - d.len() % 4) % 4));
    block(6, &b)
}

fn read_all(name: &str, data: Vec<u8>) -> (Vec<(i64, LinkType, usize)>, Option<String>) {
    let mut r = CaptureReader::from_bytes(name, data).expect("open");
    let mut v = Vec::new();
    while r.advance(|p| v.push((p.ts.0, p.link, p.data.len()))) {}
    (v, r.damage().map(|d| d.to_string()))
}

#[test]
fn pcap_both_byte_orders_and_resolutions() {
    let frame = [0u8; 60];
    for be in [false, true] {
        for ns in [false, true] {
            let f = pcap(
                be,
                ns,
                1,
                &[
                    (1_400_000_000, 123_456, &frame),
                    (1_400_000_001, 7, &frame[..42]),
                ],
            );
            let (v, dmg) = read_all("x.pcapng", f);
            assert_eq!(dmg, None);
            let scale = if ns { 1 } else { 1000 };
            assert_eq!(
                v,
                vec![
                    (
                        1_400_000_000_000_000_000 + 123_456 * scale,
                        LinkType::Ethernet,
                        60
                    ),
                    (
                        1_400_000_001_000_000_000 + 7 * scale,
                        LinkType::Ethernet,
                        42
                    )
                ],
                "be={be} ns={ns}"
            );
        }
    }
}

#[test]
fn pcapng_sections_interfaces_and_resolutions() {
    let mut f = shb();
    f.extend(idb(1, Some(9))); // Ethernet, nanoseconds
    f.extend(idb(113, None)); // SLL, default microseconds
    f.extend(epb(0, 1_500_000_000_123_456_789, &[1; 20]));
    f.extend(epb(1, 1_500_000_001_000_001, &[2; 30]));
    // A second section resets interfaces.
    f.extend(shb());
    f.extend(idb(101, Some(3))); // raw IP, milliseconds
    f.extend(epb(0, 1_500_000_002_500, &[3; 24]));
    let (v, dmg) = read_all("x.pcap", f);
    assert_eq!(dmg, None);
    assert_eq!(
        v,
        vec![
            (1_500_000_000_123_456_789, LinkType::Ethernet, 20),
            (1_500_000_001_000_001_000, LinkType::LinuxSll, 30),
            (1_500_000_002_500_000_000, LinkType::Raw, 24),
        ]
    );
}

#[test]
fn packet_on_undeclared_interface_is_damage_with_offset() {
    let mut f = shb();
    f.extend(idb(1, None));
    f.extend(epb(0, 1, &[1; 20]));
    let good = f.len();
    f.extend(epb(5, 2, &[1; 20]));
    let (v, dmg) = read_all("bad.pcapng", f);
    assert_eq!(v.len(), 1);
    let d = dmg.expect("damage");
    assert!(d.contains(&format!("offset {good}")), "{d}");
    assert!(d.contains("undeclared interface 5"), "{d}");
}

#[test]
fn truncated_pcap_keeps_packets_before_the_cut() {
    let frame = [0u8; 100];
    let f = pcap(
        false,
        false,
        1,
        &[(1, 0, &frame), (2, 0, &frame), (3, 0, &frame)],
    );
    let cut = f.len() - 50;
    let (v, dmg) = read_all("cut.pcap", f[..cut].to_vec());
    assert_eq!(v.len(), 2);
    let d = dmg.expect("damage");
    assert!(
        d.contains("cut.pcap") && d.contains("offset 256") && d.contains("truncated"),
        "{d}"
    );
}

#[test]
fn not_a_capture_is_a_clean_error() {
    let e = CaptureReader::from_bytes("notes.pcap", b"hello world, not a capture".to_vec())
        .err()
        .expect("error");
    assert!(e.to_string().contains("not a pcap or pcapng file"), "{e}");
}
