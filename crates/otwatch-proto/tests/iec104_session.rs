//! IEC 60870-5-104 session tests on APDUs from emreekin-ics-pcaps
//! IEC60870-104/iec104.pcap (TCP/2404; client 46413 is the controlling station).

use otwatch_core::session::testing::{assert_segmentation_equivalent, ctx, feed, whole};
use otwatch_core::{Direction, Event, EventKind, OpClass, Probe, TcpSession, Transport};
use otwatch_proto::TcpDispatch;
use otwatch_proto::iec104::parser::probe;
use otwatch_proto::iec104::session::Iec104Session;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

const TS: Direction = Direction::ToServer;
const TC: Direction = Direction::ToClient;

fn conversation() -> Vec<(Direction, Vec<u8>)> {
    vec![
        (TS, hex("680443000000")), // TESTFR act
        (TC, hex("680483000000")), // TESTFR con
        (TS, hex("680407000000")), // STARTDT act
        (TC, hex("68040b000000")), // STARTDT con
        // I(0,0) C_IC_NA_1 act, CA 10, QOI 20
        (TS, hex("680e00000000640106000a0000000014")),
        // I(0,0) M_EI_NA_1 init, CA 10
        (TC, hex("680e00000000460104000a0000000000")),
        // I(1,1) C_IC_NA_1 act again
        (TS, hex("680e02000200640106000a0000000014")),
        // I(1,1) C_IC actcon, then I(2,1) M_SP_NA_1 x4 inrogen, I(3,1) M_DP_NA_1 x4
        (
            TC,
            hex(
                "680e02000200640107000a0000000014 681a04000200010414000a0001000000020000000300000004000000 681a06000200030414000a0001000000020000000300000004000000",
            ),
        ),
        (TS, hex("680401000800")), // S(4)
    ]
}

fn tx(ev: &[Event]) -> Vec<&Event> {
    ev.iter()
        .filter(|e| e.kind == EventKind::Transaction)
        .collect()
}

#[test]
fn conversation_events_and_segmentation() {
    let c = ctx(2404, Transport::Tcp);
    let ev = assert_segmentation_equivalent(Iec104Session::default, &c, &conversation());
    let names: Vec<&str> = ev.iter().map(|e| &*e.function).collect();
    assert_eq!(
        names,
        [
            "testfr",
            "startdt",
            "m_ei_na_1",
            "c_ic_na_1",
            "m_sp_na_1",
            "m_dp_na_1",
            "c_ic_na_1"
        ],
        "{ev:#?}"
    );
    assert_eq!(ev[0].op, OpClass::Session);
    assert_eq!(ev[0].status.as_deref(), Some("ok"));
    // The second interrogation was confirmed; the first (never confirmed) is
    // flushed at close without status.
    let ic = &ev[3];
    assert_eq!(ic.op, OpClass::Read);
    assert_eq!(ic.status.as_deref(), Some("ok"));
    assert_eq!(ic.unit, Some(10));
    assert_eq!(ic.src, c.client);
    assert_eq!(ic.fields.get_u64("qualifier"), Some(20));
    assert_eq!(ev[6].status, None);
    // Monitor data: one-way reads from the outstation, with points.
    let sp = &ev[4];
    assert_eq!(sp.src, c.server);
    assert_eq!(sp.op, OpClass::Read);
    assert_eq!(sp.fields.get_str("cot"), Some("interrogated_station"));
    assert_eq!(sp.points.len(), 4);
    assert_eq!(
        (sp.points[0].space, sp.points[0].group, sp.points[0].index),
        ("ioa", 1, 1)
    );
    assert_eq!(ev[5].points[1].value, 0.0);
    assert!(ev.iter().all(|e| e.kind == EventKind::Transaction));
}

#[test]
fn commands_are_classified_with_values() {
    let c = ctx(2404, Transport::Tcp);
    let msgs = vec![
        // C_SC_NA_1 act, CA 1, IOA 5000, SCO = 0x81 (select, on)
        (TS, hex("680e00000000 2d01 0600 0100 881300 81")),
        (TC, hex("680e00000200 2d01 0700 0100 881300 81")),
        // C_SE_NC_1 act, CA 1, IOA 7, 12.5, QOS 0
        (TS, hex("681202000200 3201 0600 0100 070000 00004841 00")),
        // negative con
        (TC, hex("681202000400 3201 4700 0100 070000 00004841 00")),
        // C_RP_NA_1 act
        (TS, hex("680e04000400 6901 0600 0100 000000 01")),
    ];
    let ev = assert_segmentation_equivalent(Iec104Session::default, &c, &msgs);
    assert_eq!(ev.len(), 3, "{ev:#?}");
    assert_eq!(ev[0].function, "c_sc_na_1");
    assert_eq!(ev[0].op, OpClass::Control);
    assert_eq!(ev[0].fields.get("select"), Some(&true.into()));
    assert_eq!(ev[0].points[0].index, 5000);
    assert_eq!(ev[0].points[0].value, 1.0);
    assert_eq!(ev[1].function, "c_se_nc_1");
    assert_eq!(ev[1].op, OpClass::Write);
    assert_eq!(ev[1].points[0].value, 12.5);
    assert_eq!(ev[1].status.as_deref(), Some("negative"));
    assert_eq!(ev[2].function, "c_rp_na_1");
    assert_eq!(ev[2].op, OpClass::Control);
}

#[test]
fn sequence_gap_is_a_weird() {
    let c = ctx(2404, Transport::Tcp);
    let msgs = vec![
        (TC, hex("680e00000000460104000a0000000000")), // N(S)=0
        (TC, hex("680e0a000000460104000a0000000000")), // N(S)=5: gap
    ];
    let ev = assert_segmentation_equivalent(Iec104Session::default, &c, &msgs);
    let w: Vec<_> = ev.iter().filter(|e| e.kind == EventKind::Weird).collect();
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].function, "iec104_sequence_gap");
    assert_eq!(w[0].fields.get_u64("expected"), Some(1));
    assert_eq!(w[0].fields.get_u64("received"), Some(5));
}

#[test]
fn mid_stream_pickup_for_several_n() {
    let c = ctx(2404, Transport::Tcp);
    let msgs = conversation();
    let full = feed(Iec104Session::default(), &c, &msgs, whole);
    for n in 1..msgs.len() {
        let ev = feed(Iec104Session::default(), &c, &msgs[n..], whole);
        assert!(
            ev.iter().all(|e| e.kind == EventKind::Transaction),
            "n={n}: {ev:#?}"
        );
        // Monitor reports after the cut are identical to the full run.
        for e in tx(&ev).iter().filter(|e| e.function.starts_with("m_")) {
            assert!(full.contains(e), "n={n}: {e:?}");
        }
        // The con of a missed act is still reported, marked request_seen=false.
        if n == 3 {
            assert_eq!(ev[0].function, "startdt");
            assert_eq!(ev[0].fields.get("request_seen"), Some(&false.into()));
        }
    }
}

#[test]
fn garbage_resynchronises() {
    let c = ctx(2404, Transport::Tcp);
    let mut m = b"\x00\x01garbage\x68\x02junk".to_vec();
    m.extend(hex("680e00000000460104000a0000000000"));
    let ev = assert_segmentation_equivalent(Iec104Session::default, &c, &[(TC, m)]);
    assert_eq!(ev.len(), 2, "{ev:#?}");
    assert_eq!(ev[0].function, "iec104_bad_start");
    assert_eq!(ev[1].function, "m_ei_na_1");
}

#[test]
fn random_bytes_on_2404_are_not_iec104() {
    let c = ctx(2404, Transport::Tcp);
    let mut s: u64 = 0x9e37_79b9;
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
            assert_ne!(probe(TS, &chunk), Probe::Match);
            d.on_data(&c, TS, &chunk, &mut out);
        }
        assert_ne!(d.protocol(), Some("iec104"));
    }
}

#[test]
fn recognised_on_odd_port() {
    let c = ctx(12404, Transport::Tcp);
    let mut d = TcpDispatch::default();
    let mut out = Vec::new();
    for (dir, m) in conversation() {
        d.on_data(&c, dir, &m, &mut out);
    }
    assert_eq!(d.protocol(), Some("iec104"));
    d.on_close(&c, &mut out);
    assert_eq!(out.len(), 7);
}
