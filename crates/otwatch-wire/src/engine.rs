//! The packet engine: decode → fragments → flows → reassembly → sessions.
//!
//! The engine runs on packet time. It owns the flow table and fragment table and
//! hands stream data to the sessions a [`SessionFactory`] creates. Results go to a
//! [`PipelineSink`]: events (from sessions and decode anomalies), flow records,
//! and a tick once per packet-second.

use crate::capture::Packet;
use crate::decode::{self, Decoded, L3, L4, ethertype, ipproto, tcpflag};
use crate::flow::{App, Flow, FlowKey, FlowTable, FxBuild, TcpApp};
use crate::frag::{FragResult, FragTable};
use crate::reasm::{Chunk, DirState, ReasmBudget};
use otwatch_core::{
    Direction, Endpoint, Event, EventKind, EventSink, FlowCtx, FlowEnd, FlowId, FlowRecord, L2Ctx,
    StreamBuffer, TcpSession, TcpState, Timestamp, Transport, UdpSession,
};
use std::borrow::Cow;
use std::collections::HashMap;
use std::net::IpAddr;

/// Creates the per-flow sessions and handles layer-2 frames.
pub trait SessionFactory {
    /// A session for a new TCP flow.
    fn tcp(&mut self, ctx: &FlowCtx) -> Box<dyn TcpSession>;
    /// A session for a new UDP flow.
    fn udp(&mut self, ctx: &FlowCtx) -> Box<dyn UdpSession>;
    /// Handles a non-IP frame (ARP, PROFINET, GOOSE, LLDP, LLC). Returns true when a
    /// dissector claimed it.
    fn l2(&mut self, ctx: &L2Ctx, payload: &[u8], sink: &mut dyn EventSink) -> bool;
}

/// Where the engine's results go.
pub trait PipelineSink: EventSink {
    /// A flow record (flow ended, or a long flow's periodic report).
    fn flow(&mut self, rec: &FlowRecord) {
        let _ = rec;
    }
    /// Called once per packet-second, before the first packet of that second.
    fn tick(&mut self, now: Timestamp) {
        let _ = now;
    }
}

impl PipelineSink for Vec<Event> {}

/// A factory with no dissectors: sessions discard data (benchmarks, tests).
#[derive(Debug, Default)]
pub struct NullFactory;

struct NullTcp;
impl TcpSession for NullTcp {
    fn on_data(
        &mut self,
        _: &FlowCtx,
        _: Direction,
        d: &[u8],
        _: &mut dyn EventSink,
    ) -> otwatch_core::Progress {
        otwatch_core::Progress::all(d.len())
    }
    fn on_gap(&mut self, _: &FlowCtx, _: Direction, _: u64, _: &mut dyn EventSink) {}
}
struct NullUdp;
impl UdpSession for NullUdp {
    fn on_datagram(&mut self, _: &FlowCtx, _: Direction, _: &[u8], _: &mut dyn EventSink) {}
}

impl SessionFactory for NullFactory {
    fn tcp(&mut self, _: &FlowCtx) -> Box<dyn TcpSession> {
        Box::new(NullTcp)
    }
    fn udp(&mut self, _: &FlowCtx) -> Box<dyn UdpSession> {
        Box::new(NullUdp)
    }
    fn l2(&mut self, _: &L2Ctx, _: &[u8], _: &mut dyn EventSink) -> bool {
        false
    }
}

/// Engine limits and timeouts (packet time).
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Flow table capacity; the oldest flow is evicted beyond it.
    pub max_flows: usize,
    /// Idle timeout for TCP flows, seconds.
    pub tcp_idle_s: i64,
    /// Idle timeout for UDP flows, seconds.
    pub udp_idle_s: i64,
    /// Idle timeout for other flows (ICMP...), seconds.
    pub other_idle_s: i64,
    /// How long a closed TCP flow absorbs trailing packets, seconds.
    pub closed_linger_s: i64,
    /// A long flow reports its counters every this many seconds.
    pub active_timeout_s: i64,
    /// Out-of-order bytes buffered across all flows.
    pub reasm_total_bytes: usize,
    /// Pending bytes per direction per flow for the dissector.
    pub stream_buffer_bytes: usize,
    /// Decode weird events emitted per weird name (all are counted).
    pub weird_events_per_name: u64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            max_flows: 262_144,
            tcp_idle_s: 600,
            udp_idle_s: 120,
            other_idle_s: 60,
            closed_linger_s: 5,
            active_timeout_s: 300,
            reasm_total_bytes: 256 << 20,
            stream_buffer_bytes: StreamBuffer::DEFAULT_CAP,
            weird_events_per_name: 100,
        }
    }
}

/// Per-protocol or per-port traffic totals.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct Volume {
    /// Flows.
    pub flows: u64,
    /// Packets.
    pub packets: u64,
    /// Bytes (IP length).
    pub bytes: u64,
}

impl Volume {
    fn add_record(&mut self, r: &FlowRecord, new_flow: bool) {
        self.flows += new_flow as u64;
        self.packets += r.pkts[0] + r.pkts[1];
        self.bytes += r.bytes[0] + r.bytes[1];
    }
}

/// Cap on distinct IPs tracked for top talkers.
pub const MAX_TALKERS: usize = 65_536;
/// Cap on distinct (transport, port) keys tracked.
pub const MAX_PORT_KEYS: usize = 4096;

/// What the engine counted.
#[derive(Debug, Default)]
pub struct Stats {
    /// Packets processed.
    pub packets: u64,
    /// Bytes on the wire (original lengths).
    pub bytes: u64,
    /// First packet time.
    pub first: Option<Timestamp>,
    /// Last packet time (the latest seen).
    pub last: Option<Timestamp>,
    /// Packets whose timestamp went backwards.
    pub ts_backwards: u64,
    /// Packets per EtherType (after VLAN tags; 0 = LLC).
    pub ethertypes: Vec<(u16, u64)>,
    /// Packets per IP protocol number.
    pub ip_protos: Vec<(u8, u64)>,
    /// Flows created.
    pub flows: u64,
    /// Flows evicted because the table was full.
    pub flows_evicted: u64,
    /// Weird counts by name (decode and dissector weirds).
    pub weirds: HashMap<Cow<'static, str>, u64>,
    /// Bytes sent+received per IP (bounded by [`MAX_TALKERS`]).
    pub talkers: HashMap<IpAddr, Volume, FxBuild>,
    /// Talkers not tracked because of the cap.
    pub talkers_overflow: u64,
    /// Volume per identified application protocol.
    pub app_protos: HashMap<&'static str, Volume>,
    /// Volume per server port of flows no dissector identified.
    pub ports: HashMap<(Transport, u16), Volume>,
    /// Non-IP frames no dissector claimed.
    pub l2_unclaimed: u64,
}

fn bump<K: PartialEq + Copy>(v: &mut Vec<(K, u64)>, k: K) {
    if let Some(e) = v.iter_mut().find(|(x, _)| *x == k) {
        e.1 += 1;
    } else {
        v.push((k, 1));
    }
}

/// Wraps the sink to count weird events by name.
struct Counting<'a, S: PipelineSink> {
    inner: &'a mut S,
    weirds: &'a mut HashMap<Cow<'static, str>, u64>,
}

impl<S: PipelineSink> EventSink for Counting<'_, S> {
    fn event(&mut self, ev: Event) {
        if ev.kind == EventKind::Weird {
            *self.weirds.entry(ev.function.clone()).or_insert(0) += 1;
        }
        self.inner.event(ev);
    }
}

/// Well-known and OT server ports used to guess the responder without a SYN.
const SERVER_PORTS: &[u16] = &[
    20, 21, 22, 23, 25, 53, 67, 68, 69, 80, 88, 102, 110, 123, 135, 137, 138, 139, 143, 161, 162,
    389, 443, 445, 502, 514, 636, 789, 1089, 1090, 1091, 1433, 1883, 1911, 1962, 2222, 2404, 3389,
    4000, 4840, 5007, 5094, 5353, 5355, 5900, 5938, 6568, 7070, 8080, 8443, 9600, 18245, 20000,
    34962, 34963, 34964, 44818, 47808, 48898,
];

fn is_server_port(p: u16) -> bool {
    p < 1024 || SERVER_PORTS.contains(&p)
}

/// Decides whether the packet's destination is the server, without a SYN.
fn dst_is_server(sport: u16, dport: u16) -> bool {
    match (is_server_port(sport), is_server_port(dport)) {
        (false, true) => true,
        (true, false) => false,
        _ => dport <= sport,
    }
}

/// The packet engine.
pub struct Engine<F: SessionFactory> {
    cfg: EngineConfig,
    factory: F,
    flows: FlowTable,
    frags: FragTable,
    budget: ReasmBudget,
    next_id: u64,
    last_tick: i64,
    /// Counters.
    pub stats: Stats,
}

impl<F: SessionFactory> Engine<F> {
    /// An engine with the given limits and session factory.
    pub fn new(cfg: EngineConfig, factory: F) -> Self {
        Engine {
            flows: FlowTable::new(cfg.max_flows),
            budget: ReasmBudget::new(cfg.reasm_total_bytes),
            cfg,
            factory,
            frags: FragTable::default(),
            next_id: 1,
            last_tick: i64::MIN,
            stats: Stats::default(),
        }
    }

    /// The session factory.
    pub fn factory(&mut self) -> &mut F {
        &mut self.factory
    }

    /// Flows currently in the table.
    pub fn flow_count(&self) -> usize {
        self.flows.len()
    }

    /// Out-of-order bytes buffered now.
    pub fn buffered_bytes(&self) -> usize {
        self.budget.bytes
    }

    fn decode_weird<S: PipelineSink>(
        &mut self,
        ts: Timestamp,
        d: &Decoded<'_>,
        name: &'static str,
        sink: &mut S,
    ) {
        let n = self.stats.weirds.entry(Cow::Borrowed(name)).or_insert(0);
        *n += 1;
        if *n > self.cfg.weird_events_per_name {
            return;
        }
        let (mut src, mut dst) = (Endpoint::default(), Endpoint::default());
        src.mac = d.src_mac;
        dst.mac = d.dst_mac;
        if let L3::Ip(ip) = d.l3 {
            src.ip = Some(ip.src);
            dst.ip = Some(ip.dst);
        }
        let proto = name.split('_').next().unwrap_or("wire");
        let proto = match proto {
            "ipv4" => "ipv4",
            "ipv6" => "ipv6",
            "tcp" => "tcp",
            "udp" => "udp",
            "icmp" => "icmp",
            "ethernet" | "vlan" => "ethernet",
            _ => "wire",
        };
        sink.event(Event::weird(ts, FlowId(0), src, dst, proto, name));
    }

    /// Processes one packet.
    pub fn process<S: PipelineSink>(&mut self, pkt: &Packet<'_>, sink: &mut S) {
        let ts = pkt.ts;
        self.stats.packets += 1;
        self.stats.bytes += pkt.orig_len as u64;
        match self.stats.last {
            Some(l) if ts < l => self.stats.ts_backwards += 1,
            _ => self.stats.last = Some(ts),
        }
        if self.stats.first.is_none() {
            self.stats.first = Some(ts);
        }
        let sec = ts.secs();
        if sec > self.last_tick {
            self.last_tick = sec;
            sink.tick(ts);
            self.expire(ts, sink);
        }
        let d = decode::decode(pkt.link, pkt.data);
        bump(&mut self.stats.ethertypes, d.ethertype);
        if let Some(w) = d.weird {
            self.decode_weird(ts, &d, w, sink);
        }
        match d.l3 {
            L3::Ip(ip) => {
                bump(&mut self.stats.ip_protos, ip.proto);
                if let Some(fr) = ip.fragment {
                    let (res, w) = self.frags.add(ts, ip.src, ip.dst, ip.proto, fr, ip.payload);
                    if let Some(w) = w {
                        self.decode_weird(ts, &d, w, sink);
                    }
                    match res {
                        FragResult::Complete(buf) => {
                            let mut weird = None;
                            let l4 = decode::parse_l4(ip.proto, &buf, &mut weird);
                            if let Some(w) = weird {
                                self.decode_weird(ts, &d, w, sink);
                            }
                            self.transport(ts, &d, ip.src, ip.dst, ip.len, l4, sink);
                        }
                        FragResult::Dropped(w) => self.decode_weird(ts, &d, w, sink),
                        FragResult::Pending => {}
                    }
                } else {
                    self.transport(ts, &d, ip.src, ip.dst, ip.len, d.l4, sink);
                }
            }
            L3::Arp(p) => self.l2(ts, &d, ethertype::ARP, p, sink),
            L3::Other { ethertype, payload } => self.l2(ts, &d, ethertype, payload, sink),
            L3::None => {}
        }
    }

    fn l2<S: PipelineSink>(
        &mut self,
        ts: Timestamp,
        d: &Decoded<'_>,
        et: u16,
        payload: &[u8],
        sink: &mut S,
    ) {
        let ctx = L2Ctx {
            ts,
            src: d.src_mac.unwrap_or_default(),
            dst: d.dst_mac.unwrap_or_default(),
            vlan: d.vlan,
            ethertype: et,
        };
        let mut c = Counting {
            inner: sink,
            weirds: &mut self.stats.weirds,
        };
        if !self.factory.l2(&ctx, payload, &mut c) {
            self.stats.l2_unclaimed += 1;
        }
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "hot path: passing decoded parts avoids re-decoding"
    )]
    fn transport<S: PipelineSink>(
        &mut self,
        ts: Timestamp,
        d: &Decoded<'_>,
        src: IpAddr,
        dst: IpAddr,
        ip_len: u32,
        l4: L4<'_>,
        sink: &mut S,
    ) {
        let (proto, sport, dport, transport) = match l4 {
            L4::Tcp(t) => (ipproto::TCP, t.sport, t.dport, Transport::Tcp),
            L4::Udp { sport, dport, .. } => (ipproto::UDP, sport, dport, Transport::Udp),
            L4::Icmp { .. } => (ipproto::ICMP, 0, 0, Transport::Icmp),
            L4::Other => match d.l3 {
                L3::Ip(ip) if ip.proto != ipproto::TCP && ip.proto != ipproto::UDP => {
                    (ip.proto, 0, 0, Transport::Other(ip.proto))
                }
                // A TCP/UDP packet whose header did not decode: counted, no flow.
                _ => return,
            },
        };
        let (key, src_is_lo) = FlowKey::new(src, sport, dst, dport, proto, d.vlan);
        let syn_only =
            matches!(l4, L4::Tcp(t) if t.flags & (tcpflag::SYN | tcpflag::ACK) == tcpflag::SYN);
        let mut slot = self.flows.find(&key);
        // A new SYN on a closed flow starts a new connection (port reuse).
        if let (Some(i), true) = (slot, syn_only)
            && self.flows.get_mut(i).is_some_and(|f| f.closed)
        {
            self.flows.remove(i);
            slot = None;
        }
        let i = match slot {
            Some(i) => i,
            None => self.create(
                ts, d, key, src_is_lo, src, sport, dst, dport, transport, l4, sink,
            ),
        };
        self.flows.touch(i);
        let active = self.cfg.active_timeout_s * Timestamp::SECOND;
        let budget = &mut self.budget;
        let Some(flow) = self.flows.get_mut(i) else {
            return;
        };
        let dir = if flow.client_is_lo == src_is_lo {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        let di = dir.index();
        if ts > flow.last {
            flow.last = ts;
        }
        flow.pkts[di] += 1;
        flow.bytes[di] += ip_len as u64;
        // Learn MACs (first seen) for each side.
        let (s_ep, d_ep) = match dir {
            Direction::ToServer => (&mut flow.client, &mut flow.server),
            Direction::ToClient => (&mut flow.server, &mut flow.client),
        };
        if s_ep.mac.is_none() {
            s_ep.mac = d.src_mac;
        }
        if d_ep.mac.is_none() {
            d_ep.mac = d.dst_mac;
        }
        let ctx = FlowCtx {
            flow_id: flow.id,
            ts,
            client: flow.client,
            server: flow.server,
            transport: flow.transport,
            vlan: flow.vlan,
        };
        let mut closed_now = false;
        let mut c = Counting {
            inner: sink,
            weirds: &mut self.stats.weirds,
        };
        match (l4, &mut flow.app) {
            (L4::Tcp(t), App::Tcp(app)) => {
                let TcpApp {
                    sess,
                    reasm,
                    bufs,
                    acks,
                } = &mut **app;
                let f = t.flags;
                if f & tcpflag::SYN != 0 {
                    flow.tcp_state = if f & tcpflag::ACK != 0 {
                        TcpState::SynReceived
                    } else {
                        TcpState::SynSent
                    };
                    reasm[di].syn(t.seq);
                } else if matches!(flow.tcp_state, TcpState::SynSent | TcpState::SynReceived)
                    && f & tcpflag::ACK != 0
                    && (!t.payload.is_empty() || dir == Direction::ToServer)
                {
                    flow.tcp_state = TcpState::Established;
                }
                if f & tcpflag::ACK != 0 {
                    let a = &mut acks[di];
                    if a.is_none_or(|old| (t.ack.wrapping_sub(old) as i32) > 0) {
                        *a = Some(t.ack);
                    }
                }
                if !t.payload.is_empty() {
                    let peer_ack = acks[1 - di];
                    let buf = &mut bufs[di];
                    let w = reasm[di].segment(t.seq, t.payload, peer_ack, budget, &mut |chunk| {
                        match chunk {
                            Chunk::Data(b) => buf.deliver(sess.as_mut(), &ctx, dir, b, &mut c),
                            Chunk::Gap(n) => buf.gap(sess.as_mut(), &ctx, dir, n, &mut c),
                        }
                    });
                    if let Some(w) = w {
                        c.event(ctx.weird(dir, "tcp", w));
                    }
                }
                if f & tcpflag::RST != 0 {
                    flow.tcp_state = if flow.tcp_state == TcpState::SynSent {
                        TcpState::Rejected
                    } else {
                        TcpState::Closed
                    };
                    closed_now = true;
                } else if f & tcpflag::FIN != 0 {
                    flow.fin[di] = true;
                    flow.tcp_state = if flow.fin[1 - di] {
                        TcpState::Closed
                    } else {
                        TcpState::HalfClosed
                    };
                    closed_now = flow.fin[1 - di];
                }
            }
            (L4::Udp { payload, .. }, App::Udp(sess)) => {
                sess.on_datagram(&ctx, dir, payload, &mut c)
            }
            _ => {}
        }
        if closed_now && !flow.closed {
            Self::finish_flow(flow, budget, FlowEnd::Closed, &mut self.stats, sink);
        } else if !flow.closed && ts.since(flow.last_report) >= active {
            let rec = flow.record(FlowEnd::Active, flow.proto());
            Self::account(&mut self.stats, &rec, false);
            sink.flow(&rec);
            flow.pkts = [0; 2];
            flow.bytes = [0; 2];
            flow.last_report = ts;
        }
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "hot path: passing decoded parts avoids re-decoding"
    )]
    fn create<S: PipelineSink>(
        &mut self,
        ts: Timestamp,
        d: &Decoded<'_>,
        key: FlowKey,
        src_is_lo: bool,
        src: IpAddr,
        sport: u16,
        dst: IpAddr,
        dport: u16,
        transport: Transport,
        l4: L4<'_>,
        sink: &mut S,
    ) -> u32 {
        if self.flows.len() >= self.flows.cap
            && let Some(old) = self.flows.oldest()
        {
            self.stats.flows_evicted += 1;
            let n = self
                .stats
                .weirds
                .entry(Cow::Borrowed("flow_table_full"))
                .or_insert(0);
            *n += 1;
            if *n <= self.cfg.weird_events_per_name {
                sink.event(Event::weird(
                    ts,
                    FlowId(0),
                    Endpoint::ip(src, sport),
                    Endpoint::ip(dst, dport),
                    "wire",
                    "flow_table_full",
                ));
            }
            self.expire_slot(old, FlowEnd::Evicted, sink);
        }
        let (client_is_src, certain) = match l4 {
            L4::Tcp(t) if t.flags & tcpflag::SYN != 0 => (t.flags & tcpflag::ACK == 0, true),
            L4::Icmp { .. } | L4::Other => (true, false),
            _ => (dst_is_server(sport, dport), false),
        };
        let mut se = Endpoint::ip(src, sport);
        se.mac = d.src_mac;
        let mut de = Endpoint::ip(dst, dport);
        de.mac = d.dst_mac;
        let (client, server) = if client_is_src { (se, de) } else { (de, se) };
        let client_is_lo = if client_is_src { src_is_lo } else { !src_is_lo };
        let id = FlowId(self.next_id);
        self.next_id += 1;
        self.stats.flows += 1;
        let ctx = FlowCtx {
            flow_id: id,
            ts,
            client,
            server,
            transport,
            vlan: d.vlan,
        };
        let app = match transport {
            Transport::Tcp => App::Tcp(Box::new(TcpApp {
                sess: self.factory.tcp(&ctx),
                reasm: [DirState::default(), DirState::default()],
                bufs: [
                    StreamBuffer::new(self.cfg.stream_buffer_bytes),
                    StreamBuffer::new(self.cfg.stream_buffer_bytes),
                ],
                acks: [None, None],
            })),
            Transport::Udp => App::Udp(self.factory.udp(&ctx)),
            _ => App::None,
        };
        self.flows.insert(FlowTable::new_flow(
            key,
            client_is_lo,
            id,
            client,
            server,
            transport,
            d.vlan,
            ts,
            certain,
            app,
        ))
    }

    fn account(stats: &mut Stats, rec: &FlowRecord, new_flow: bool) {
        match rec.proto {
            Some(p) => stats
                .app_protos
                .entry(p)
                .or_default()
                .add_record(rec, new_flow),
            None => {
                let k = (rec.transport, rec.server.port);
                if stats.ports.len() < MAX_PORT_KEYS || stats.ports.contains_key(&k) {
                    stats.ports.entry(k).or_default().add_record(rec, new_flow);
                }
            }
        }
        for (ep, out, inn) in [(rec.client, 0, 1), (rec.server, 1, 0)] {
            let Some(ip) = ep.ip else { continue };
            let full = stats.talkers.len() >= MAX_TALKERS;
            match stats.talkers.get_mut(&ip) {
                Some(v) => {
                    v.flows += new_flow as u64;
                    v.packets += rec.pkts[out] + rec.pkts[inn];
                    v.bytes += rec.bytes[out] + rec.bytes[inn];
                }
                None if !full => {
                    stats.talkers.insert(
                        ip,
                        Volume {
                            flows: 1,
                            packets: rec.pkts[0] + rec.pkts[1],
                            bytes: rec.bytes[0] + rec.bytes[1],
                        },
                    );
                }
                None => stats.talkers_overflow += 1,
            }
        }
    }

    fn finish_flow<S: PipelineSink>(
        flow: &mut Flow,
        budget: &mut ReasmBudget,
        end: FlowEnd,
        stats: &mut Stats,
        sink: &mut S,
    ) {
        let ctx = FlowCtx {
            flow_id: flow.id,
            ts: flow.last,
            client: flow.client,
            server: flow.server,
            transport: flow.transport,
            vlan: flow.vlan,
        };
        let mut c = Counting {
            inner: sink,
            weirds: &mut stats.weirds,
        };
        match &mut flow.app {
            App::Tcp(app) => {
                let TcpApp {
                    sess, reasm, bufs, ..
                } = &mut **app;
                for dir in [Direction::ToServer, Direction::ToClient] {
                    let buf = &mut bufs[dir.index()];
                    reasm[dir.index()].flush(budget, &mut |chunk| match chunk {
                        Chunk::Data(b) => buf.deliver(sess.as_mut(), &ctx, dir, b, &mut c),
                        Chunk::Gap(n) => buf.gap(sess.as_mut(), &ctx, dir, n, &mut c),
                    });
                }
                sess.on_close(&ctx, &mut c);
            }
            App::Udp(sess) => sess.on_close(&ctx, &mut c),
            App::None => {}
        }
        let first_record = flow.last_report == flow.first;
        let rec = flow.record(end, flow.proto());
        Self::account(stats, &rec, first_record);
        sink.flow(&rec);
        flow.closed = true;
        flow.app = App::None;
    }

    fn expire_slot<S: PipelineSink>(&mut self, i: u32, end: FlowEnd, sink: &mut S) {
        if let Some(mut f) = self.flows.remove(i)
            && !f.closed
        {
            Self::finish_flow(&mut f, &mut self.budget, end, &mut self.stats, sink);
        }
    }

    fn timeout_of(&self, f: &Flow) -> i64 {
        let s = if f.closed {
            self.cfg.closed_linger_s
        } else {
            match f.transport {
                Transport::Tcp => self.cfg.tcp_idle_s,
                Transport::Udp => self.cfg.udp_idle_s,
                _ => self.cfg.other_idle_s,
            }
        };
        s * Timestamp::SECOND
    }

    /// Expires idle flows (oldest first) and stale fragments.
    pub fn expire<S: PipelineSink>(&mut self, now: Timestamp, sink: &mut S) {
        while let Some(i) = self.flows.oldest() {
            let Some(f) = self.flows.get(i) else { break };
            let (last, t) = (f.last, self.timeout_of(f));
            if now.since(last) <= t {
                break;
            }
            self.expire_slot(i, FlowEnd::Idle, sink);
        }
        if !self.frags.is_empty() {
            self.frags.expire(now);
        }
    }

    /// End of input: closes every flow (records with [`FlowEnd::Eof`]).
    pub fn finish<S: PipelineSink>(&mut self, sink: &mut S) {
        while let Some(i) = self.flows.oldest() {
            self.expire_slot(i, FlowEnd::Eof, sink);
        }
    }
}
