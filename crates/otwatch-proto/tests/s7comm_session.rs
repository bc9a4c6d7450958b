//! S7comm / S7comm-plus session tests: pairing, items and points, SZL identity, PI
//! services, COTP reassembly, segmentation equivalence, mid-stream pickup, no port trust.
//! Frame layouts follow the Wireshark s7comm dissector's field map (RFC 1006 TPKT,
//! ISO 8073 COTP, S7 header / parameter / data); values are from the icsnpp s7ident
//! capture (CPU 315-2 PN/DP, order number 6ES7 315-2EH14-0AB0, firmware V3.2.6).

use otwatch_core::session::testing::{assert_segmentation_equivalent, ctx, feed, whole};
use otwatch_core::{Direction, EventKind, OpClass, Probe, TcpSession, Transport};
use otwatch_proto::TcpDispatch;
use otwatch_proto::s7comm::parser::probe;
use otwatch_proto::s7comm::session::S7Session;

use Direction::{ToClient as C, ToServer as S};

fn tpkt(cotp: &[u8]) -> Vec<u8> {
    let mut v = vec![0x03, 0x00]; // TPKT version 3, reserved
    v.extend_from_slice(&((cotp.len() + 4) as u16).to_be_bytes()); // length
    v.extend_from_slice(cotp);
    v
}

fn dt(eot: bool, payload: &[u8]) -> Vec<u8> {
    let mut c = vec![0x02, 0xf0, if eot { 0x80 } else { 0x00 }]; // LI 2, DT, EOT/nr
    c.extend_from_slice(payload);
    tpkt(&c)
}

/// S7 header: 0x32, rosctr, reserved, pdu ref, param len, data len [, error class, code].
fn s7(rosctr: u8, pdu_ref: u16, param: &[u8], data: &[u8], err: Option<(u8, u8)>) -> Vec<u8> {
    let mut v = vec![0x32, rosctr, 0x00, 0x00];
    v.extend_from_slice(&pdu_ref.to_be_bytes());
    v.extend_from_slice(&(param.len() as u16).to_be_bytes());
    v.extend_from_slice(&(data.len() as u16).to_be_bytes());
    if let Some((c, e)) = err {
        v.extend_from_slice(&[c, e]);
    }
    v.extend_from_slice(param);
    v.extend_from_slice(data);
    v
}

fn job(r: u16, param: &[u8], data: &[u8]) -> Vec<u8> {
    dt(true, &s7(1, r, param, data, None))
}

fn ack_data(r: u16, param: &[u8], data: &[u8]) -> Vec<u8> {
    dt(true, &s7(3, r, param, data, Some((0, 0))))
}

fn szl_records(id: u16, rec_len: u16, recs: &[Vec<u8>]) -> Vec<u8> {
    let mut payload = id.to_be_bytes().to_vec(); // SZL id
    payload.extend_from_slice(&[0x00, 0x00]); // index
    payload.extend_from_slice(&rec_len.to_be_bytes()); // record length
    payload.extend_from_slice(&(recs.len() as u16).to_be_bytes()); // count
    for r in recs {
        payload.extend_from_slice(r);
    }
    let mut data = vec![0xff, 0x09]; // return code success, octet string
    data.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    data.extend_from_slice(&payload);
    data
}

fn padded(index: u16, text: &str, len: usize, tail: &[u8]) -> Vec<u8> {
    let mut r = index.to_be_bytes().to_vec();
    let mut t = text.as_bytes().to_vec();
    t.resize(len, b' ');
    r.extend_from_slice(&t);
    r.extend_from_slice(tail);
    r
}

const UD_REQ_SZL: [u8; 8] = [0x00, 0x01, 0x12, 0x04, 0x11, 0x44, 0x01, 0x00]; // head, len 4, req, CPU/read SZL
const UD_RSP_SZL: [u8; 12] = [
    0x00, 0x01, 0x12, 0x08, 0x12, 0x84, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
]; // head, len 8, rsp, CPU/read SZL, seq, dur, last, error 0

fn conversation() -> Vec<(Direction, Vec<u8>)> {
    let cr = tpkt(&[
        0x11, 0xe0, 0x00, 0x00, 0x00, 0x01, 0x00, // LI 17, CR, dst ref, src ref 1, class 0
        0xc0, 0x01, 0x0a, // TPDU size 1024
        0xc1, 0x02, 0x01, 0x00, // calling TSAP 0x0100
        0xc2, 0x02, 0x01, 0x02, // called TSAP 0x0102: PG, rack 0, slot 2
    ]);
    let cc = tpkt(&[
        0x11, 0xd0, 0x00, 0x01, 0x00, 0x02, 0x00, 0xc0, 0x01, 0x0a, 0xc1, 0x02, 0x01, 0x00, 0xc2,
        0x02, 0x01, 0x02,
    ]);
    let setup = [0xf0, 0x00, 0x00, 0x01, 0x00, 0x01, 0x01, 0xe0]; // setup, AmQ 1/1, PDU 480
    // read_var: 1 item S7ANY, REAL, 1 element, DB 1, area DB, bit address 0.
    let rv = [
        0x04, 0x01, 0x12, 0x0a, 0x10, 0x08, 0x00, 0x01, 0x00, 0x01, 0x84, 0x00, 0x00, 0x00,
    ];
    let rv_data = [0xff, 0x07, 0x00, 0x04, 0x3f, 0xc0, 0x00, 0x00]; // ok, REAL, 4 bytes, 1.5
    // write_var: M10 BYTE*2 = 0x12 0x34 (bit address 80).
    let wv = [
        0x05, 0x01, 0x12, 0x0a, 0x10, 0x02, 0x00, 0x02, 0x00, 0x00, 0x83, 0x00, 0x00, 0x50,
    ];
    let wv_data = [0x00, 0x04, 0x00, 0x10, 0x12, 0x34]; // rc 0, BYTE, 16 bits
    let szl11 = szl_records(
        0x0011,
        28,
        &[
            padded(
                1,
                "6ES7 315-2EH14-0AB0",
                20,
                &[0x00, 0xc0, 0x00, 0x04, 0x00, 0x01],
            ),
            padded(7, "", 20, &[0x00, 0xc0, 0x56, 0x03, 0x02, 0x06]),
        ],
    );
    let szl1c = szl_records(
        0x001c,
        34,
        &[
            padded(1, "SNAP7-SERVER", 32, &[]),
            padded(2, "CPU 315-2 PN/DP", 32, &[]),
            padded(4, "Original Siemens Equipment", 32, &[]),
            padded(5, "S C-C2UR28922012", 32, &[]),
        ],
    );
    // PI service: 7 unknown bytes, param block length 0, name length 9, "P_PROGRAM".
    let mut pi = vec![0x28, 0, 0, 0, 0, 0, 0, 0xfd, 0x00, 0x00, 0x09];
    pi.extend_from_slice(b"P_PROGRAM");
    let mut stop = vec![0x29, 0, 0, 0, 0, 0, 0x09];
    stop.extend_from_slice(b"P_PROGRAM");
    // request download: fc, status, 2 unknown, 4 unknown, name length 9, name.
    let mut dl = vec![0x1a, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09];
    dl.extend_from_slice(b"_0A00001P");
    // A read_var whose item fails (rc 0x05 invalid address), job split in two COTP DTs.
    let split = s7(1, 9, &rv, &[], None);
    let (a, b) = split.split_at(8);
    let mut frag = dt(false, a);
    frag.extend(dt(true, b));
    // S7comm-plus: V1, request create_object seq 1 session 0x120; response seq 1.
    let plus_req = dt(
        true,
        &[
            0x72, 0x01, 0x00, 0x0d, 0x31, 0x00, 0x00, 0x04, 0xca, 0x00, 0x00, 0x00, 0x01, 0x00,
            0x00, 0x01, 0x20, 0x72, 0x01, 0x00, 0x00,
        ],
    );
    let plus_rsp = dt(
        true,
        &[
            0x72, 0x01, 0x00, 0x0a, 0x32, 0x00, 0x00, 0x04, 0xca, 0x00, 0x00, 0x00, 0x01, 0x00,
            0x72, 0x01, 0x00, 0x00,
        ],
    );
    vec![
        (S, cr),
        (C, cc),
        (S, job(1, &setup, &[])),
        (C, ack_data(1, &setup, &[])),
        (S, job(2, &rv, &[])),
        (C, ack_data(2, &[0x04, 0x01], &rv_data)),
        (S, job(3, &wv, &wv_data)),
        (C, ack_data(3, &[0x05, 0x01], &[0xff])),
        (
            S,
            dt(
                true,
                &s7(
                    7,
                    4,
                    &UD_REQ_SZL,
                    &[0xff, 0x09, 0x00, 0x04, 0x00, 0x11, 0x00, 0x00],
                    None,
                ),
            ),
        ),
        (C, dt(true, &s7(7, 4, &UD_RSP_SZL, &szl11, None))),
        (
            S,
            dt(
                true,
                &s7(
                    7,
                    5,
                    &UD_REQ_SZL,
                    &[0xff, 0x09, 0x00, 0x04, 0x00, 0x1c, 0x00, 0x00],
                    None,
                ),
            ),
        ),
        (C, dt(true, &s7(7, 5, &UD_RSP_SZL, &szl1c, None))),
        (S, job(6, &pi, &[])),
        (C, ack_data(6, &[0x28], &[])),
        (S, job(7, &stop, &[])),
        (C, dt(true, &s7(2, 7, &[], &[], Some((0, 0))))),
        (S, job(8, &dl, &[])),
        (C, ack_data(8, &[0x1a], &[])),
        (S, frag),
        (C, ack_data(9, &[0x04, 0x01], &[0x05, 0x00, 0x00, 0x00])),
        (S, plus_req),
        (C, plus_rsp),
    ]
}

#[test]
fn conversation_events_are_correct_and_segmentation_equivalent() {
    let c = ctx(102, Transport::Tcp);
    let ev = assert_segmentation_equivalent(S7Session::default, &c, &conversation());
    assert!(
        ev.iter().all(|e| e.kind == EventKind::Transaction),
        "{ev:#?}"
    );
    let names: Vec<&str> = ev.iter().map(|e| &*e.function).collect();
    assert_eq!(
        names,
        [
            "cotp_connect",
            "setup_communication",
            "read_var",
            "write_var",
            "read_szl",
            "read_szl",
            "pi_service",
            "plc_stop",
            "request_download",
            "read_var",
            "create_object",
        ]
    );
    assert!(ev.iter().all(|e| e.src == c.client && e.status.is_some()));
    let cr = &ev[0];
    assert_eq!(
        (cr.fields.get_u64("rack"), cr.fields.get_u64("slot")),
        (Some(0), Some(2))
    );
    assert_eq!(ev[1].op, OpClass::Session);
    assert_eq!(ev[1].fields.get_u64("pdu_size"), Some(480));
    assert_eq!(ev[1].unit, Some(2));
    // read_var: DB1.DBD0 as REAL = 1.5.
    let p = &ev[2].points[0];
    assert_eq!((p.space, p.group, p.index, p.value), ("db", 1, 0, 1.5));
    assert_eq!(ev[2].op, OpClass::Read);
    // write_var: MB10 = 0x12, MB11 = 0x34.
    let w: Vec<_> = ev[3]
        .points
        .iter()
        .map(|p| (p.space, p.index, p.value))
        .collect();
    assert_eq!(w, [("m", 10, 18.0), ("m", 11, 52.0)]);
    assert_eq!(ev[3].op, OpClass::Write);
    // SZL identity.
    assert_eq!(ev[4].op, OpClass::Diagnostic);
    let id = ev[4].identity.as_ref().expect("szl 0x11 identity");
    assert_eq!(id.model.as_deref(), Some("6ES7 315-2EH14-0AB0"));
    assert_eq!(id.firmware.as_deref(), Some("V3.2.6"));
    let id = ev[5].identity.as_ref().expect("szl 0x1c identity");
    assert_eq!(id.name.as_deref(), Some("SNAP7-SERVER"));
    assert_eq!(id.product.as_deref(), Some("CPU 315-2 PN/DP"));
    assert_eq!(id.serial.as_deref(), Some("S C-C2UR28922012"));
    assert_eq!(id.vendor.as_deref(), Some("Siemens"));
    assert_eq!(ev[5].fields.get_u64("szl_id"), Some(0x1c));
    // Control and program operations.
    assert_eq!(ev[6].op, OpClass::Control);
    assert_eq!(ev[6].fields.get_str("pi_service"), Some("P_PROGRAM"));
    assert_eq!(ev[7].op, OpClass::Control);
    assert_eq!(ev[7].fields.get_str("response_rosctr"), Some("ack"));
    assert_eq!(ev[8].op, OpClass::Program);
    assert_eq!(ev[8].fields.get_str("block_type"), Some("db"));
    assert_eq!(ev[8].fields.get_u64("block_number"), Some(1));
    // Reassembled job, failing item.
    assert_eq!(ev[9].status.as_deref(), Some("invalid_address"));
    assert!(ev[9].points.is_empty());
    // S7comm-plus.
    assert_eq!(ev[10].proto, "s7comm_plus");
    assert_eq!(ev[10].op, OpClass::Session);
    assert_eq!(ev[10].fields.get_u64("session_id"), Some(0x120));
}

#[test]
fn mid_stream_pickup_gives_the_remaining_transactions() {
    let c = ctx(102, Transport::Tcp);
    let all = conversation();
    let full = feed(S7Session::default(), &c, &all, whole);
    for n in 2..all.len() {
        let ev = feed(S7Session::default(), &c, &all[n..], whole);
        let skip = n / 2;
        let (first, rest) = if n % 2 == 1 {
            // Started on a response: a transaction with request_seen false, then the rest.
            assert_eq!(
                ev[0].fields.get("request_seen"),
                Some(&false.into()),
                "n={n}"
            );
            // A bare ACK (ROSCTR 2) has no parameter block, so nothing in it names the
            // function it answers; every other response repeats its function code.
            let want = if full[skip].fields.get_str("response_rosctr") == Some("ack") {
                "ack"
            } else {
                full[skip].function.as_ref()
            };
            assert_eq!(ev[0].function, want, "n={n}");
            (1, skip + 1)
        } else {
            (0, skip)
        };
        // Without the connection request the events carry no unit (rack/slot).
        let strip = |e: &otwatch_core::Event| {
            let mut e = e.clone();
            e.unit = None;
            e
        };
        let got: Vec<_> = ev[first..].iter().map(strip).collect();
        let want: Vec<_> = full[rest..].iter().map(strip).collect();
        assert_eq!(got, want, "n={n}");
    }
}

#[test]
fn garbage_and_gaps_resynchronise() {
    let c = ctx(102, Transport::Tcp);
    let mut msgs = conversation();
    msgs[4].1.splice(0..0, b"\x01\x02garbage".iter().copied());
    let ev = feed(S7Session::default(), &c, &msgs, whole);
    let weirds: Vec<_> = ev.iter().filter(|e| e.kind == EventKind::Weird).collect();
    assert_eq!(weirds.len(), 1);
    assert_eq!(weirds[0].function, "s7comm_bad_tpkt");
    assert_eq!(
        ev.iter()
            .filter(|e| e.kind == EventKind::Transaction)
            .count(),
        11
    );
}

#[test]
fn random_bytes_on_102_are_not_s7() {
    let mut s: u64 = 0x1234_5678_9abc_def1;
    for _ in 0..20_000 {
        let mut b = [0u8; 64];
        for x in b.iter_mut() {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            *x = s as u8;
        }
        assert_ne!(probe(S, &b), Probe::Match, "{b:?}");
    }
    // ISO transport carrying MMS (ISO session CN SPDU 0x0d) is not S7.
    assert_eq!(
        probe(S, &dt(true, &[0x0d, 0xb2, 0x05, 0x06])),
        Probe::NoMatch
    );
    let c = ctx(102, Transport::Tcp);
    let mut d = TcpDispatch::default();
    let mut out = Vec::new();
    for _ in 0..otwatch_proto::dispatch::MAX_PROBE_ATTEMPTS {
        d.on_data(&c, S, b"\xde\xad\xbe\xef\x00\x07 not s7 at all", &mut out);
    }
    assert!(d.protocol().is_none());
    assert!(
        out.iter().any(|e| e.function == "s7comm_port_mismatch"),
        "{out:?}"
    );
}

#[test]
fn recognised_on_a_non_standard_port_after_cr() {
    let c = ctx(10102, Transport::Tcp);
    let mut d = TcpDispatch::default();
    let mut out = Vec::new();
    for (dir, m) in conversation().iter().take(4) {
        d.on_data(&c, *dir, m, &mut out);
    }
    assert_eq!(d.protocol(), Some("s7comm"));
}
