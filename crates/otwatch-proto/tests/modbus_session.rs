//! Modbus/TCP session tests: pairing, points, identity, segmentation equivalence,
//! mid-stream pickup, no port trust. Byte arrays follow the examples of the Modbus
//! Application Protocol Specification V1.1b3 (MAP), section numbers given per frame.

use otwatch_core::session::testing::{assert_segmentation_equivalent, ctx, feed, whole};
use otwatch_core::{Direction, EventKind, OpClass, Probe, TcpSession, Transport};
use otwatch_proto::TcpDispatch;
use otwatch_proto::modbus::parser::probe;
use otwatch_proto::modbus::session::ModbusSession;

fn adu(txid: u16, unit: u8, pdu: &[u8]) -> Vec<u8> {
    let mut v = txid.to_be_bytes().to_vec();
    v.extend_from_slice(&[0, 0]); // protocol id
    v.extend_from_slice(&((pdu.len() + 1) as u16).to_be_bytes()); // length
    v.push(unit);
    v.extend_from_slice(pdu);
    v
}

use Direction::{ToClient as C, ToServer as S};

/// A representative conversation: read, write, exception, FC 23, FC 43, UMAS, FC 8.
fn conversation() -> Vec<(Direction, Vec<u8>)> {
    vec![
        // MAP 6.3: read holding registers 107..=109.
        (S, adu(1, 1, &[0x03, 0x00, 0x6b, 0x00, 0x03])),
        (
            C,
            adu(1, 1, &[0x03, 0x06, 0x02, 0x2b, 0x00, 0x00, 0x00, 0x64]),
        ),
        // MAP 6.1: read coils 20..=38 (19 coils).
        (S, adu(2, 1, &[0x01, 0x00, 0x13, 0x00, 0x13])),
        (C, adu(2, 1, &[0x01, 0x03, 0xcd, 0x6b, 0x05])),
        // MAP 6.6: write single register 2 := 3.
        (S, adu(3, 1, &[0x06, 0x00, 0x01, 0x00, 0x03])),
        (C, adu(3, 1, &[0x06, 0x00, 0x01, 0x00, 0x03])),
        // MAP 6.11: write multiple coils 20..=29 := 0xCD 0x01.
        (
            S,
            adu(4, 1, &[0x0f, 0x00, 0x13, 0x00, 0x0a, 0x02, 0xcd, 0x01]),
        ),
        (C, adu(4, 1, &[0x0f, 0x00, 0x13, 0x00, 0x0a])),
        // MAP 7: read input register, exception 2 (illegal data address).
        (S, adu(5, 1, &[0x04, 0x00, 0x08, 0x00, 0x01])),
        (C, adu(5, 1, &[0x84, 0x02])),
        // MAP 6.17: read/write multiple registers.
        (
            S,
            adu(
                6,
                1,
                &[
                    0x17, 0x00, 0x03, 0x00, 0x02, 0x00, 0x0e, 0x00, 0x01, 0x02, 0x00, 0xff,
                ],
            ),
        ),
        (C, adu(6, 1, &[0x17, 0x04, 0x00, 0xfe, 0x0a, 0xcd])),
        // MAP 6.21: read device identification, basic.
        (S, adu(7, 1, &[0x2b, 0x0e, 0x01, 0x00])),
        (
            C,
            adu(
                7,
                1,
                &[
                    0x2b, 0x0e, 0x01, 0x01, 0x00, 0x00, 0x03, // header, 3 objects
                    0x00, 0x09, b'S', b'c', b'h', b'n', b'e', b'i', b'd', b'e',
                    b'r', // vendor
                    0x01, 0x05, b'M', b'5', b'8', b'0', b'0', // product code
                    0x02, 0x04, b'V', b'3', b'.', b'2', // revision
                ],
            ),
        ),
        // UMAS stop PLC (fc 90, session 0x12, function 0x41).
        (S, adu(8, 0, &[0x5a, 0x12, 0x41, 0xff, 0x00])),
        (C, adu(8, 0, &[0x5a, 0x12, 0xfe])),
        // MAP 6.8: diagnostics, restart communications.
        (S, adu(9, 1, &[0x08, 0x00, 0x01, 0x00, 0x00])),
        (C, adu(9, 1, &[0x08, 0x00, 0x01, 0x00, 0x00])),
        // Vendor function 0x41 is kept as unknown-65.
        (S, adu(10, 1, &[0x41, 0x01, 0x02])),
        (C, adu(10, 1, &[0x41, 0x00])),
    ]
}

#[test]
fn conversation_events_are_correct_and_segmentation_equivalent() {
    let c = ctx(502, Transport::Tcp);
    let ev = assert_segmentation_equivalent(ModbusSession::default, &c, &conversation());
    let names: Vec<&str> = ev.iter().map(|e| &*e.function).collect();
    assert_eq!(
        names,
        [
            "read_holding_registers",
            "read_coils",
            "write_single_register",
            "write_multiple_coils",
            "read_input_registers",
            "read_write_multiple_registers",
            "read_device_identification",
            "umas_stop_plc",
            "diagnostics",
            "unknown-65",
        ]
    );
    assert!(
        ev.iter()
            .all(|e| e.kind == EventKind::Transaction && e.src == c.client)
    );
    // Reads pair request addresses with response values.
    let r = &ev[0];
    assert_eq!(r.op, OpClass::Read);
    assert_eq!(r.status.as_deref(), Some("ok"));
    let v: Vec<(u32, f64)> = r.points.iter().map(|p| (p.index, p.value)).collect();
    assert_eq!(v, [(107, 555.0), (108, 0.0), (109, 100.0)]);
    assert_eq!(r.points[0].space, "holding_register");
    // Coils: 0xCD = 1011_0011 LSB first → coil 19 = 1, 20 = 0, 21 = 1, 22 = 1.
    let coils: Vec<f64> = ev[1].points.iter().map(|p| p.value).collect();
    assert_eq!(coils.len(), 19);
    assert_eq!(&coils[..4], &[1.0, 0.0, 1.0, 1.0]);
    assert_eq!(ev[1].points[0].index, 19);
    // Writes carry the written value.
    assert_eq!(ev[2].op, OpClass::Write);
    assert_eq!((ev[2].points[0].index, ev[2].points[0].value), (1, 3.0));
    assert_eq!(ev[3].points.len(), 10);
    // Exception name in status.
    assert_eq!(ev[4].status.as_deref(), Some("illegal_data_address"));
    assert_eq!(ev[4].fields.get_u64("exception_code"), Some(2));
    // FC 23: one written register then two read.
    assert_eq!(ev[5].points.len(), 3);
    assert_eq!((ev[5].points[0].index, ev[5].points[0].value), (14, 255.0));
    assert_eq!((ev[5].points[2].index, ev[5].points[2].value), (4, 2765.0));
    // Identity of the server.
    let id = ev[6].identity.as_ref().expect("identity");
    assert_eq!(id.vendor.as_deref(), Some("Schneider"));
    assert_eq!(id.product.as_deref(), Some("M5800"));
    assert_eq!(id.firmware.as_deref(), Some("V3.2"));
    assert_eq!(id.subject, Some(otwatch_core::IdentitySubject::Dst));
    // UMAS stop is control; diagnostics restart is control.
    assert_eq!(ev[7].op, OpClass::Control);
    assert_eq!(ev[8].op, OpClass::Control);
    assert_eq!(
        ev[8].fields.get_str("subfunction_name"),
        Some("restart_communications_option")
    );
    assert_eq!(ev[9].op, OpClass::Other);
}

#[test]
fn mid_stream_pickup_gives_the_remaining_transactions() {
    let c = ctx(502, Transport::Tcp);
    let all = conversation();
    let full = feed(ModbusSession::default(), &c, &all, whole);
    for n in 1..all.len() {
        let ev = feed(ModbusSession::default(), &c, &all[n..], whole);
        let skip = n / 2;
        if n % 2 == 1 {
            // Started on a response: one transaction with request_seen false, then the rest.
            assert_eq!(
                ev[0].fields.get("request_seen"),
                Some(&false.into()),
                "n={n}"
            );
            assert_eq!(
                ev[0].function,
                full[skip]
                    .function
                    .clone()
                    .into_owned()
                    .replace("umas_stop_plc", "umas"),
                "n={n}"
            );
            assert_eq!(&ev[1..], &full[skip + 1..], "n={n}");
        } else {
            assert_eq!(&ev[..], &full[skip..], "n={n}");
        }
    }
}

#[test]
fn mid_stream_pickup_inside_a_pdu_resynchronises() {
    let c = ctx(502, Transport::Tcp);
    let all = conversation();
    let full = feed(ModbusSession::default(), &c, &all, whole);
    // Start 3 bytes into the first request: garbage, one weird, then the rest.
    let mut msgs = all.clone();
    msgs[0].1.drain(..3);
    let ev = feed(ModbusSession::default(), &c, &msgs, whole);
    let weirds = ev.iter().filter(|e| e.kind == EventKind::Weird).count();
    assert!(weirds <= 2, "{ev:#?}");
    let tx: Vec<_> = ev
        .iter()
        .filter(|e| e.kind == EventKind::Transaction)
        .collect();
    assert_eq!(
        tx.last().map(|e| &*e.function),
        full.last().map(|e| &*e.function)
    );
    assert!(tx.len() >= full.len() - 1);
}

#[test]
fn orientation_follows_port_502_when_the_flow_is_reversed() {
    // The capture saw the server's packet first: client/server swapped in the flow.
    let mut c = ctx(40000, Transport::Tcp);
    std::mem::swap(&mut c.client, &mut c.server);
    c.server.port = 40000;
    c.client.port = 502;
    let msgs = vec![
        (C, adu(1, 1, &[0x03, 0x00, 0x6b, 0x00, 0x01])),
        (S, adu(1, 1, &[0x03, 0x02, 0x00, 0x07])),
    ];
    let ev = feed(ModbusSession::default(), &c, &msgs, whole);
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].dst.port, 502);
    assert_eq!(ev[0].points[0].value, 7.0);
}

#[test]
fn pending_cap_flushes_oldest_with_a_weird() {
    let c = ctx(502, Transport::Tcp);
    let msgs: Vec<_> = (0..100u16)
        .map(|i| (S, adu(i, 1, &[0x03, 0x00, 0x00, 0x00, 0x01])))
        .collect();
    let ev = feed(ModbusSession::default(), &c, &msgs, whole);
    let w = ev
        .iter()
        .filter(|e| e.function == "modbus_too_many_pending")
        .count();
    assert_eq!(w, 36);
    assert_eq!(
        ev.iter()
            .filter(|e| e.kind == EventKind::Transaction)
            .count(),
        100
    );
    assert!(
        ev.iter()
            .filter(|e| e.kind == EventKind::Transaction)
            .all(|e| e.status.is_none())
    );
}

#[test]
fn random_bytes_on_502_are_not_modbus() {
    let mut s: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut matched = 0;
    for _ in 0..20_000 {
        let mut b = [0u8; 64];
        for x in b.iter_mut() {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            *x = s as u8;
        }
        if probe(S, &b) == Probe::Match {
            matched += 1;
        }
    }
    assert_eq!(matched, 0);
    // Also through the dispatcher: junk on 502 is a port-mismatch weird, not Modbus.
    let c = ctx(502, Transport::Tcp);
    let mut d = TcpDispatch::default();
    let mut out = Vec::new();
    for _ in 0..otwatch_proto::dispatch::MAX_PROBE_ATTEMPTS {
        d.on_data(
            &c,
            S,
            b"\xde\xad\xbe\xef\x00\x07 not modbus at all",
            &mut out,
        );
    }
    assert!(d.protocol().is_none());
    assert!(
        out.iter().any(|e| e.function == "modbus_port_mismatch"),
        "{out:?}"
    );
}

#[test]
fn recognised_on_a_non_standard_port() {
    let c = ctx(5020, Transport::Tcp);
    let mut d = TcpDispatch::default();
    let mut out = Vec::new();
    for (dir, m) in conversation().iter().take(2) {
        d.on_data(&c, *dir, m, &mut out);
    }
    assert_eq!(d.protocol(), Some("modbus"));
    d.on_close(&c, &mut out);
    assert_eq!(out[0].function, "read_holding_registers");
    // Picked up on the server's response first.
    let mut d = TcpDispatch::default();
    let mut out = Vec::new();
    d.on_data(&c, C, &conversation()[1].1, &mut out);
    assert_eq!(d.protocol(), Some("modbus"));
}
