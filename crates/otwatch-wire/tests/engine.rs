//! Engine behaviour on hand-built frames: originator choice, flow records,
//! timeouts, eviction, fragments, reassembly delivery.

use otwatch_core::{
    Direction, Event, EventSink, FlowCtx, FlowEnd, FlowRecord, L2Ctx, Progress, TcpSession,
    TcpState, Timestamp, UdpSession,
};
use otwatch_wire::{Engine, EngineConfig, LinkType, Packet, PipelineSink, SessionFactory};
use std::sync::{Arc, Mutex};

fn csum_ip(h: &[u8]) -> u16 {
    let mut s = 0u32;
    for c in h.chunks(2) {
        s += u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]) as u32;
    }
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    !(s as u16)
}

fn ipv4(src: [u8; 4], dst: [u8; 4], proto: u8, id: u16, frag: u16, l4: &[u8]) -> Vec<u8> {
    let mut f = vec![
        0x00, 0x80, 0xf4, 0, 0, 2, 0x00, 0x1b, 0x1b, 0, 0, 1, 0x08, 0x00,
    ];
    let total = 20 + l4.len();
    let mut ip = vec![
        0x45,
        0,
        (total >> 8) as u8,
        total as u8,
        (id >> 8) as u8,
        id as u8,
        (frag >> 8) as u8,
        frag as u8,
        64,
        proto,
        0,
        0,
    ];
    ip.extend_from_slice(&src);
    ip.extend_from_slice(&dst);
    let c = csum_ip(&ip);
    ip[10] = (c >> 8) as u8;
    ip[11] = c as u8;
    f.extend_from_slice(&ip);
    f.extend_from_slice(l4);
    f
}

#[allow(
    clippy::too_many_arguments,
    reason = "a TCP header has this many fields"
)]
fn tcp(
    src: [u8; 4],
    sport: u16,
    dst: [u8; 4],
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    let mut t = Vec::new();
    t.extend_from_slice(&sport.to_be_bytes());
    t.extend_from_slice(&dport.to_be_bytes());
    t.extend_from_slice(&seq.to_be_bytes());
    t.extend_from_slice(&ack.to_be_bytes());
    t.extend_from_slice(&[0x50, flags, 0x10, 0x00, 0, 0, 0, 0]);
    t.extend_from_slice(payload);
    ipv4(src, dst, 6, 1, 0x4000, &t)
}

fn udp(src: [u8; 4], sport: u16, dst: [u8; 4], dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut u = Vec::new();
    u.extend_from_slice(&sport.to_be_bytes());
    u.extend_from_slice(&dport.to_be_bytes());
    u.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(payload);
    ipv4(src, dst, 17, 7, 0, &u)
}

const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const PSH: u8 = 0x08;
const FIN: u8 = 0x01;
const RST: u8 = 0x04;
const A: [u8; 4] = [10, 0, 0, 1];
const B: [u8; 4] = [10, 0, 0, 2];

#[derive(Default, Clone)]
struct Log(Arc<Mutex<Vec<String>>>);

struct Rec(Log);
impl TcpSession for Rec {
    fn on_data(
        &mut self,
        ctx: &FlowCtx,
        dir: Direction,
        d: &[u8],
        _: &mut dyn EventSink,
    ) -> Progress {
        self.0.0.lock().unwrap().push(format!(
            "{} {:?} {}",
            ctx.flow_id.0,
            dir,
            String::from_utf8_lossy(d)
        ));
        Progress::all(d.len())
    }
    fn on_gap(&mut self, ctx: &FlowCtx, dir: Direction, n: u64, _: &mut dyn EventSink) {
        self.0
            .0
            .lock()
            .unwrap()
            .push(format!("{} {:?} gap {n}", ctx.flow_id.0, dir));
    }
    fn on_close(&mut self, ctx: &FlowCtx, _: &mut dyn EventSink) {
        self.0
            .0
            .lock()
            .unwrap()
            .push(format!("{} close", ctx.flow_id.0));
    }
}
struct RecU(Log);
impl UdpSession for RecU {
    fn on_datagram(&mut self, ctx: &FlowCtx, dir: Direction, d: &[u8], _: &mut dyn EventSink) {
        self.0.0.lock().unwrap().push(format!(
            "{} {:?} {}",
            ctx.flow_id.0,
            dir,
            String::from_utf8_lossy(d)
        ));
    }
}
struct F(Log);
impl SessionFactory for F {
    fn tcp(&mut self, _: &FlowCtx) -> Box<dyn TcpSession> {
        Box::new(Rec(self.0.clone()))
    }
    fn udp(&mut self, _: &FlowCtx) -> Box<dyn UdpSession> {
        Box::new(RecU(self.0.clone()))
    }
    fn l2(&mut self, _: &L2Ctx, _: &[u8], _: &mut dyn EventSink) -> bool {
        false
    }
}

#[derive(Default)]
struct Sink {
    events: Vec<Event>,
    flows: Vec<FlowRecord>,
}
impl EventSink for Sink {
    fn event(&mut self, e: Event) {
        self.events.push(e);
    }
}
impl PipelineSink for Sink {
    fn flow(&mut self, r: &FlowRecord) {
        self.flows.push(r.clone());
    }
}

fn run(cfg: EngineConfig, frames: &[(i64, Vec<u8>)]) -> (Vec<String>, Sink) {
    let log = Log::default();
    let mut e = Engine::new(cfg, F(log.clone()));
    let mut s = Sink::default();
    for (t, f) in frames {
        e.process(
            &Packet {
                ts: Timestamp(*t * 1_000_000),
                link: LinkType::Ethernet,
                data: f,
                orig_len: f.len() as u32,
            },
            &mut s,
        );
    }
    e.finish(&mut s);
    let l = log.0.lock().unwrap().clone();
    (l, s)
}

#[test]
fn syn_sender_is_originator_and_stream_is_delivered_in_order() {
    let frames = vec![
        (0, tcp(A, 40000, B, 502, 100, 0, SYN, b"")),
        (1, tcp(B, 502, A, 40000, 900, 101, SYN | ACK, b"")),
        (2, tcp(A, 40000, B, 502, 101, 901, ACK, b"")),
        // Out of order: second segment first.
        (3, tcp(A, 40000, B, 502, 104, 901, ACK | PSH, b"def")),
        (4, tcp(A, 40000, B, 502, 101, 901, ACK | PSH, b"abc")),
        (5, tcp(B, 502, A, 40000, 901, 107, ACK | PSH, b"xyz")),
        (6, tcp(A, 40000, B, 502, 107, 904, ACK | FIN, b"")),
        (7, tcp(B, 502, A, 40000, 904, 108, ACK | FIN, b"")),
    ];
    let (log, s) = run(EngineConfig::default(), &frames);
    assert_eq!(
        log,
        vec![
            "1 ToServer abc",
            "1 ToServer def",
            "1 ToClient xyz",
            "1 close"
        ]
    );
    assert_eq!(s.flows.len(), 1);
    let r = &s.flows[0];
    assert_eq!(r.client.to_string(), "10.0.0.1:40000");
    assert_eq!(r.server.to_string(), "10.0.0.2:502");
    assert!(r.orig_certain);
    assert_eq!(r.end, FlowEnd::Closed);
    assert_eq!(r.tcp_state, TcpState::Closed);
    assert_eq!(r.pkts, [5, 3]);
}

#[test]
fn midstream_pickup_guesses_the_well_known_port_as_responder() {
    // The first packet seen is the server's response.
    let frames = vec![
        (0, tcp(B, 502, A, 51000, 5000, 77, ACK | PSH, b"rsp")),
        (1, tcp(A, 51000, B, 502, 77, 5003, ACK | PSH, b"req")),
    ];
    let (log, s) = run(EngineConfig::default(), &frames);
    assert_eq!(log[0], "1 ToClient rsp");
    assert_eq!(log[1], "1 ToServer req");
    assert_eq!(s.flows[0].server.port, 502);
    assert!(!s.flows[0].orig_certain);
}

#[test]
fn lost_segment_acked_by_receiver_becomes_a_gap() {
    let frames = vec![
        (0, tcp(A, 40000, B, 502, 100, 0, SYN, b"")),
        (1, tcp(B, 502, A, 40000, 900, 101, SYN | ACK, b"")),
        (2, tcp(A, 40000, B, 502, 101, 901, ACK | PSH, b"abc")),
        // Segment 104..107 is never captured; the server acknowledges it.
        (3, tcp(B, 502, A, 40000, 901, 107, ACK, b"")),
        (4, tcp(A, 40000, B, 502, 107, 901, ACK | PSH, b"ghi")),
    ];
    let (log, _) = run(EngineConfig::default(), &frames);
    assert_eq!(
        log,
        vec![
            "1 ToServer abc",
            "1 ToServer gap 3",
            "1 ToServer ghi",
            "1 close"
        ]
    );
}

#[test]
fn rst_to_syn_is_rejected_and_idle_timeout_expires_udp() {
    let frames = vec![
        (0, tcp(A, 40000, B, 23, 1, 0, SYN, b"")),
        (1, tcp(B, 23, A, 40000, 0, 2, RST | ACK, b"")),
        (10, udp(A, 5000, B, 161, b"get")),
        // 200 s later: the UDP flow (idle 120 s) expires on the next tick.
        (200_000, udp(A, 5001, B, 161, b"get2")),
    ];
    let (_, s) = run(EngineConfig::default(), &frames);
    assert_eq!(s.flows[0].tcp_state, TcpState::Rejected);
    assert_eq!(s.flows[1].end, FlowEnd::Idle);
    assert_eq!(s.flows[1].server.port, 161);
    assert_eq!(s.flows[2].end, FlowEnd::Eof);
}

#[test]
fn full_table_evicts_the_oldest_and_counts_a_weird() {
    let cfg = EngineConfig {
        max_flows: 4,
        ..EngineConfig::default()
    };
    let frames: Vec<(i64, Vec<u8>)> = (0..10)
        .map(|i| (i, udp(A, 6000 + i as u16, B, 53, b"q")))
        .collect();
    let log = Log::default();
    let mut e = Engine::new(cfg, F(log));
    let mut s = Sink::default();
    for (t, f) in &frames {
        e.process(
            &Packet {
                ts: Timestamp(*t * 1_000_000),
                link: LinkType::Ethernet,
                data: f,
                orig_len: 0,
            },
            &mut s,
        );
    }
    assert!(e.flow_count() <= 4);
    assert_eq!(e.stats.flows_evicted, 6);
    assert_eq!(
        s.flows.iter().filter(|r| r.end == FlowEnd::Evicted).count(),
        6
    );
    // The oldest went first.
    assert_eq!(s.flows[0].client.port, 6000);
    assert!(s.events.iter().any(|e| e.function == "flow_table_full"));
}

#[test]
fn ipv4_fragments_are_reassembled_before_the_transport() {
    let mut u = Vec::new();
    u.extend_from_slice(&5000u16.to_be_bytes());
    u.extend_from_slice(&161u16.to_be_bytes());
    let payload = b"0123456789abcdefFRAGMENTED-PAYLOAD";
    u.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(payload);
    // Offsets in 8-byte units: first 16 bytes (MF), then the rest.
    let f1 = ipv4(A, B, 17, 42, 0x2000, &u[..16]);
    let f2 = ipv4(A, B, 17, 42, 2, &u[16..]);
    let (log, _) = run(EngineConfig::default(), &[(0, f2), (1, f1)]);
    assert_eq!(
        log,
        vec![format!("1 ToServer {}", String::from_utf8_lossy(payload))]
    );
}

#[test]
fn active_timeout_reports_long_flows_with_delta_counters() {
    let mut frames = Vec::new();
    for i in 0..700 {
        frames.push((i * 1000, udp(A, 5000, B, 161, b"poll")));
    }
    let (_, s) = run(EngineConfig::default(), &frames);
    let active: Vec<_> = s
        .flows
        .iter()
        .filter(|r| r.end == FlowEnd::Active)
        .collect();
    assert_eq!(active.len(), 2);
    let total: u64 = s.flows.iter().map(|r| r.pkts[0]).sum();
    assert_eq!(total, 700);
}
