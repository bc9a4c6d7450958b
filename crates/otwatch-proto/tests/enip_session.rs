//! EtherNet/IP + CIP session tests on messages taken from public captures
//! (paths relative to the corpus, see /work/shared/pcaps/README.md).

use otwatch_core::session::testing::{assert_segmentation_equivalent, ctx, feed, whole};
use otwatch_core::{
    Direction, Event, EventKind, IdentitySubject, OpClass, Probe, TcpSession, Transport, UdpSession,
};
use otwatch_proto::TcpDispatch;
use otwatch_proto::enip::parser::probe;
use otwatch_proto::enip::session::{EnipIoSession, EnipSession, EnipUdpSession};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

const TS: Direction = Direction::ToServer;
const TC: Direction = Direction::ToClient;

/// iti-ics-security-tools/EthernetIP/enip_test.pcap frames 6-7: ListIdentity.
fn list_identity() -> Vec<(Direction, Vec<u8>)> {
    vec![
        (TS, hex("630000000000000000000000c1debed10000000000000000")),
        (
            TC,
            hex(
                "630033000000000000000000c1debed100000000000000000100 0c002d00 0100 0002af120a0101a40000000000000000 0100 0c00 3a00 0403 3000 8e4d5200 0b313735362d454e42542f41 03",
            ),
        ),
    ]
}

/// iti-ics-security-tools/EthernetIP/EthernetIP-CIP.pcap frames 29 and 31:
/// Unconnected Send wrapping Get Attributes All on class 0xac, and its reply.
fn unconnected_send() -> Vec<(Direction, Vec<u8>)> {
    vec![
        (
            TS,
            hex(
                "6f00260000050213000000006ac0be000000000000000000000000001400020000000000b200160052022006240107e90800010220ac2401010001000100",
            ),
        ),
        (
            TC,
            hex(
                "6f00340000050213000000006ac0be000000000000000000000000001400020000000000b200240081000000e8000100e302b2a4c1d1afa40000e803020000009453d33d01000100e2fc2030",
            ),
        ),
    ]
}

/// emreekin-ics-pcaps/CIP/CIPvalue.pcap: connected Read Tag `_IO_EM_DI_00` (seq
/// 0xa46f) and its reply (BOOL 0).
fn read_tag() -> Vec<(Direction, Vec<u8>)> {
    vec![
        (
            TS,
            hex(
                "700028002a1f2b09000000000000000000000000000000000000000000000200a1000400d8b10298b10014006fa44c07910c5f494f5f454d5f44495f30300100",
            ),
        ),
        (
            TC,
            hex(
                "70001d002a1f2b09000000000000000000000000000000000000000000000200a1000400d2408c19b10009006fa4cc000000c10000",
            ),
        ),
    ]
}

/// iti-ics-security-tools/EthernetIP/EthernetIP-CIP.pcap frames 42/46: Multiple
/// Service Packet of four Read Modify Write Tag (0x4e) requests and the replies.
fn multiple() -> Vec<(Direction, Vec<u8>)> {
    vec![
        (
            TS,
            hex(
                "7000aa0000050213000000006bc0be000000000000000000000000000a000200a100040003272e00b100960054490a022002240104000a00280046006a004e0c91164c4d535f44495341424c455f32445343414e4e455231010001ff4e0c91164c4d535f44495341424c455f32445343414e4e455232010001ff4e0f911b4c4d535f44495341424c455f424152434f44455f5343414e4e455200010000fe4e0f911b4c4d535f534554504f494e544348414e47455f524543454956454400010000fe",
            ),
        ),
        (
            TC,
            hex(
                "7000340000050213000000000000000000000000000000000000000000000200a10004008dc60080b100200054498a00000004000a000e0012001600ce000000ce000000ce000000ce000000",
            ),
        ),
    ]
}

/// iti-ics-security-tools/EthernetIP/cip_stop_plc.pcap: CIP Stop (0x07) to class 0x8e.
fn stop_plc() -> Vec<(Direction, Vec<u8>)> {
    vec![(
        TS,
        hex(
            "70001c0001002a00000000000000000000000000000000000000000001000200a1000400224095ffb100080006010702208e2401",
        ),
    )]
}

fn transactions(ev: &[Event]) -> Vec<&Event> {
    ev.iter()
        .filter(|e| e.kind == EventKind::Transaction)
        .collect()
}

#[test]
fn list_identity_pair_gives_identity() {
    let c = ctx(44818, Transport::Tcp);
    let ev = assert_segmentation_equivalent(EnipSession::default, &c, &list_identity());
    assert_eq!(ev.len(), 1, "{ev:?}");
    let e = &ev[0];
    assert_eq!(e.function, "list_identity");
    assert_eq!(e.op, OpClass::Discovery);
    assert_eq!(e.status.as_deref(), Some("ok"));
    assert_eq!(e.src, c.client);
    let id = e.identity.as_ref().expect("identity");
    assert_eq!(id.subject, Some(IdentitySubject::Dst));
    assert_eq!(
        id.vendor.as_deref(),
        Some("Rockwell Automation/Allen-Bradley")
    );
    assert_eq!(id.product.as_deref(), Some("1756-ENBT/A"));
    assert_eq!(id.firmware.as_deref(), Some("4.3"));
    assert_eq!(id.serial.as_deref(), Some("00524d8e"));
    assert_eq!(e.fields.get_str("serial"), Some("0x00524d8e"));
    assert_eq!(
        e.fields.get_str("device_type_name"),
        Some("communications_adapter")
    );
    assert_eq!(e.fields.get_u64("product_code"), Some(58));
}

#[test]
fn list_identity_over_udp_and_reply_only() {
    let c = ctx(44818, Transport::Udp);
    let msgs = list_identity();
    let mut s = EnipUdpSession::default();
    let mut out = Vec::new();
    // Only the reply (broadcast request seen on another flow).
    s.on_datagram(&c, TC, &msgs[1].1, &mut out);
    s.on_close(&c, &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].fields.get("request_seen"), Some(&false.into()));
    assert_eq!(out[0].src, c.client, "src is the requester");
    assert!(out[0].identity.is_some());
}

#[test]
fn unconnected_send_is_unwrapped_and_paired() {
    let c = ctx(44818, Transport::Tcp);
    let ev = assert_segmentation_equivalent(EnipSession::default, &c, &unconnected_send());
    assert_eq!(ev.len(), 1, "{ev:?}");
    let e = &ev[0];
    assert_eq!(e.function, "get_attributes_all");
    assert_eq!(e.op, OpClass::Read);
    assert_eq!(e.fields.get_u64("cip_class"), Some(0xac));
    assert_eq!(e.fields.get_u64("cip_instance"), Some(1));
    assert_eq!(e.fields.get("via_unconnected_send"), Some(&true.into()));
    assert_eq!(e.unit, Some(0), "backplane slot 0");
    assert_eq!(e.status.as_deref(), Some("ok"));
}

#[test]
fn connected_read_tag_pairs_by_sequence_with_value() {
    let c = ctx(44818, Transport::Tcp);
    let ev = assert_segmentation_equivalent(EnipSession::default, &c, &read_tag());
    assert_eq!(ev.len(), 1, "{ev:?}");
    let e = &ev[0];
    assert_eq!(e.function, "read_tag");
    assert_eq!(e.fields.get_str("tag"), Some("_IO_EM_DI_00"));
    assert_eq!(e.fields.get_u64("cip_sequence"), Some(0xa46f));
    assert_eq!(e.status.as_deref(), Some("ok"));
    assert_eq!(e.points.len(), 1);
    assert_eq!(e.points[0].space, "cip_tag");
    assert_eq!(e.points[0].value, 0.0);
}

#[test]
fn multiple_service_packet_gives_one_event_per_service() {
    let c = ctx(44818, Transport::Tcp);
    let ev = assert_segmentation_equivalent(EnipSession::default, &c, &multiple());
    assert_eq!(ev.len(), 4, "{ev:?}");
    for (i, e) in ev.iter().enumerate() {
        assert_eq!(e.function, "read_modify_write_tag");
        assert_eq!(e.op, OpClass::Write);
        assert_eq!(e.fields.get_u64("multiple_index"), Some(i as u64));
        assert_eq!(e.fields.get_u64("multiple_count"), Some(4));
        assert_eq!(e.status.as_deref(), Some("ok"));
    }
    assert_eq!(ev[0].fields.get_str("tag"), Some("LMS_DISABLE_2DSCANNER1"));
}

#[test]
fn stop_is_control_and_flushed_unanswered() {
    let c = ctx(44818, Transport::Tcp);
    let ev = assert_segmentation_equivalent(EnipSession::default, &c, &stop_plc());
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].function, "stop");
    assert_eq!(ev[0].op, OpClass::Control);
    assert_eq!(ev[0].status, None);
    assert_eq!(ev[0].fields.get_u64("cip_class"), Some(0x8e));
}

#[test]
fn mid_stream_pickup_for_several_n() {
    let c = ctx(44818, Transport::Tcp);
    let mut msgs = Vec::new();
    for part in [list_identity(), unconnected_send(), read_tag(), multiple()] {
        msgs.extend(part);
    }
    let full = transactions(&feed(EnipSession::default(), &c, &msgs, whole))
        .into_iter()
        .cloned()
        .collect::<Vec<_>>();
    assert_eq!(full.len(), 7);
    for n in 1..msgs.len() {
        let ev = feed(EnipSession::default(), &c, &msgs[n..], whole);
        let tx = transactions(&ev);
        // Pairs whose request survived are identical to the full run.
        let surviving: Vec<_> = full.iter().filter(|e| tx.contains(e)).collect();
        let expected_pairs = (msgs.len() - n) / 2;
        assert!(surviving.len() >= expected_pairs, "n={n}: {tx:?}");
        // A leading orphan response is still reported, marked request_seen=false.
        if n % 2 == 1 {
            assert_eq!(
                tx[0].fields.get("request_seen"),
                Some(&false.into()),
                "n={n}"
            );
        }
        assert!(
            ev.iter().all(|e| e.kind == EventKind::Transaction),
            "n={n}: {ev:?}"
        );
    }
}

#[test]
fn garbage_then_valid_resynchronises() {
    let c = ctx(44818, Transport::Tcp);
    let mut junk = b"\x99\x99 this is not enip at all, just junk bytes...".to_vec();
    junk.extend(&stop_plc()[0].1);
    let ev = assert_segmentation_equivalent(EnipSession::default, &c, &[(TS, junk)]);
    assert_eq!(ev.len(), 2, "{ev:?}");
    assert_eq!(ev[0].kind, EventKind::Weird);
    assert_eq!(ev[0].function, "enip_unknown_command");
    assert_eq!(ev[1].function, "stop");
}

#[test]
fn random_bytes_on_44818_are_not_enip() {
    let c = ctx(44818, Transport::Tcp);
    let mut s: u64 = 0x1234_5678;
    for _ in 0..2000 {
        let mut d = TcpDispatch::default();
        let mut out = Vec::new();
        for _ in 0..6 {
            let chunk: Vec<u8> = (0..64)
                .map(|_| {
                    s ^= s << 13;
                    s ^= s >> 7;
                    s ^= s << 17;
                    s as u8
                })
                .collect();
            assert_eq!(probe(TS, &chunk), Probe::NoMatch);
            d.on_data(&c, TS, &chunk, &mut out);
        }
        assert_ne!(d.protocol(), Some("enip"));
    }
}

#[test]
fn recognised_on_odd_port() {
    let c = ctx(5555, Transport::Tcp);
    let mut d = TcpDispatch::default();
    let mut out = Vec::new();
    for (dir, m) in unconnected_send() {
        d.on_data(&c, dir, &m, &mut out);
    }
    assert_eq!(d.protocol(), Some("enip"));
    d.on_close(&c, &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].function, "get_attributes_all");
}

#[test]
fn implicit_io_is_counted_not_evented_per_packet() {
    let c = ctx(2222, Transport::Udp);
    let mut s = EnipIoSession::default();
    let mut out = Vec::new();
    for seq in 0..1000u32 {
        let mut d = vec![0x02, 0x00, 0x02, 0x80, 0x08, 0x00, 0x10, 0, 0, 0];
        d.extend(seq.to_le_bytes());
        d.extend([0xb1, 0x00, 0x04, 0x00, 0x01, 0x00, 0xaa, 0xbb]);
        s.on_datagram(&c, TS, &d, &mut out);
    }
    assert!(out.is_empty());
    s.on_close(&c, &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].function, "implicit_io");
    assert_eq!(out[0].fields.get_u64("io_packets"), Some(1000));
}
