//! The interface between the stream layer (`otwatch-wire`) and dissectors
//! (`otwatch-proto`).
//!
//! The wire layer owns flows and TCP reassembly. For each flow it holds one
//! session object and feeds it contiguous bytes per direction
//! ([`TcpSession::on_data`]), datagrams ([`UdpSession::on_datagram`]) or, for
//! non-IP EtherTypes, frames ([`L2Dissector::on_frame`]). Sessions push events into
//! an [`EventSink`]. They never see packets, never allocate without a cap, and never
//! panic on input.

use crate::addr::{Endpoint, Mac, Transport};
use crate::event::Event;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A flow's identity, unique within one run (stable across shards).
#[derive(
    Copy, Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct FlowId(pub u64);

impl fmt::Display for FlowId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// Direction of data within a flow.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From the originator (client) to the responder (server).
    ToServer,
    /// From the responder back to the originator.
    ToClient,
}

impl Direction {
    /// The other direction.
    pub fn reverse(self) -> Direction {
        match self {
            Direction::ToServer => Direction::ToClient,
            Direction::ToClient => Direction::ToServer,
        }
    }
    /// Index 0 for to-server, 1 for to-client (for per-direction arrays).
    pub fn index(self) -> usize {
        match self {
            Direction::ToServer => 0,
            Direction::ToClient => 1,
        }
    }
}

/// What a session knows of its flow when it is called.
#[derive(Copy, Clone, Debug)]
pub struct FlowCtx {
    /// The flow's id.
    pub flow_id: FlowId,
    /// Packet time of the data being delivered.
    pub ts: Timestamp,
    /// The originator (client).
    pub client: Endpoint,
    /// The responder (server).
    pub server: Endpoint,
    /// Transport.
    pub transport: Transport,
    /// Outer VLAN id, if tagged.
    pub vlan: Option<u16>,
}

impl FlowCtx {
    /// Sender of data travelling in `dir`.
    pub fn src(&self, dir: Direction) -> Endpoint {
        match dir {
            Direction::ToServer => self.client,
            Direction::ToClient => self.server,
        }
    }
    /// Receiver of data travelling in `dir`.
    pub fn dst(&self, dir: Direction) -> Endpoint {
        match dir {
            Direction::ToServer => self.server,
            Direction::ToClient => self.client,
        }
    }
    /// A weird event on this flow, oriented by `dir`.
    pub fn weird(&self, dir: Direction, proto: &'static str, name: &'static str) -> Event {
        Event::weird(
            self.ts,
            self.flow_id,
            self.src(dir),
            self.dst(dir),
            proto,
            name,
        )
    }
}

/// Where sessions push events. Implemented by the pipeline (and by `Vec<Event>` for tests).
pub trait EventSink {
    /// Receives one event.
    fn event(&mut self, ev: Event);
}

impl EventSink for Vec<Event> {
    fn event(&mut self, ev: Event) {
        self.push(ev);
    }
}

/// A session's answer to a chunk of stream data: how much of it was consumed, and
/// how many more bytes it needs before it is worth calling again.
///
/// Unconsumed bytes stay in the reassembler's buffer (bounded per flow) and are
/// presented again, with newer data appended, on the next call.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Bytes consumed from the front of the data.
    pub consumed: usize,
    /// Minimum additional bytes needed beyond the unconsumed rest (0 = call on any new data).
    pub need: usize,
}

impl Progress {
    /// Everything consumed.
    pub fn all(n: usize) -> Progress {
        Progress {
            consumed: n,
            need: 0,
        }
    }
    /// Consumed `consumed` bytes and needs `need` more.
    pub fn partial(consumed: usize, need: usize) -> Progress {
        Progress { consumed, need }
    }
}

/// The outcome of a dissector's cheap probe over the first bytes of a direction.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Probe {
    /// This is the protocol.
    Match,
    /// This is not the protocol.
    NoMatch,
    /// Not enough bytes to tell.
    NeedMore,
}

/// A per-flow TCP dissector session, fed reassembled bytes per direction.
pub trait TcpSession: Send {
    /// Delivers contiguous bytes travelling in `dir`. The data starts with whatever
    /// the previous call left unconsumed.
    fn on_data(
        &mut self,
        ctx: &FlowCtx,
        dir: Direction,
        data: &[u8],
        sink: &mut dyn EventSink,
    ) -> Progress;
    /// Reports that `len` bytes in `dir` were lost (capture gap or buffer overflow).
    /// Any partial PDU is gone; the session must resynchronise on the next data.
    fn on_gap(&mut self, ctx: &FlowCtx, dir: Direction, len: u64, sink: &mut dyn EventSink);
    /// The flow ended (FIN/RST, timeout or end of input): flush pending transactions.
    fn on_close(&mut self, ctx: &FlowCtx, sink: &mut dyn EventSink) {
        let _ = (ctx, sink);
    }
    /// The protocol this session parses, once known (for flow records).
    fn protocol(&self) -> Option<&'static str> {
        None
    }
}

/// A per-flow UDP dissector session, fed one datagram at a time.
pub trait UdpSession: Send {
    /// Delivers one datagram payload travelling in `dir`.
    fn on_datagram(&mut self, ctx: &FlowCtx, dir: Direction, data: &[u8], sink: &mut dyn EventSink);
    /// The flow ended: flush pending transactions.
    fn on_close(&mut self, ctx: &FlowCtx, sink: &mut dyn EventSink) {
        let _ = (ctx, sink);
    }
    /// The protocol this session parses, once known (for flow records).
    fn protocol(&self) -> Option<&'static str> {
        None
    }
}

/// Context of a non-IP frame delivered to a layer-2 dissector.
#[derive(Copy, Clone, Debug)]
pub struct L2Ctx {
    /// Packet time.
    pub ts: Timestamp,
    /// Source MAC.
    pub src: Mac,
    /// Destination MAC.
    pub dst: Mac,
    /// Outer VLAN id, if tagged.
    pub vlan: Option<u16>,
    /// EtherType of the payload; 0 for 802.3 frames with an LLC header (CDP, STP),
    /// whose payload then starts at the LLC header.
    pub ethertype: u16,
}

impl L2Ctx {
    /// A weird event for this frame.
    pub fn weird(&self, proto: &'static str, name: &'static str) -> Event {
        Event::weird(
            self.ts,
            FlowId(0),
            Endpoint::mac(self.src),
            Endpoint::mac(self.dst),
            proto,
            name,
        )
    }
}

/// A stateful layer-2 dissector (ARP, LLDP, CDP, PROFINET DCP, GOOSE). One instance
/// serves all frames of its EtherType; it keeps its own bounded state.
pub trait L2Dissector: Send {
    /// Handles one frame's payload (after the EtherType / VLAN tags).
    fn on_frame(&mut self, ctx: &L2Ctx, payload: &[u8], sink: &mut dyn EventSink);
}

/// Per-direction buffer that drives a [`TcpSession`] with the "consumed N, need M
/// more" protocol. The TCP reassembler holds one per direction; tests use it to feed
/// a session whole, byte by byte, or in random splits and get the same events.
///
/// Data is passed straight through (zero-copy) when nothing is pending; only the
/// unconsumed tail of a chunk is copied. The buffer is capped: on overflow the
/// pending bytes are dropped, the session is told of a gap, and `overflows` counts it.
#[derive(Debug)]
pub struct StreamBuffer {
    buf: Vec<u8>,
    need: usize,
    cap: usize,
    /// Times the cap was hit and pending bytes were dropped.
    pub overflows: u64,
}

impl StreamBuffer {
    /// Default cap on pending bytes per direction (a PDU larger than this is dropped
    /// as a gap). 64 KiB covers every supported protocol's maximum PDU.
    pub const DEFAULT_CAP: usize = 64 * 1024;

    /// A buffer holding at most `cap` pending bytes.
    pub fn new(cap: usize) -> Self {
        StreamBuffer {
            buf: Vec::new(),
            need: 0,
            cap,
            overflows: 0,
        }
    }

    /// Bytes pending (delivered but not consumed).
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.buf.capacity()
    }

    /// Delivers `data` to `sess`, together with whatever was left pending.
    pub fn deliver(
        &mut self,
        sess: &mut dyn TcpSession,
        ctx: &FlowCtx,
        dir: Direction,
        data: &[u8],
        sink: &mut dyn EventSink,
    ) {
        if self.buf.is_empty() {
            let p = sess.on_data(ctx, dir, data, sink);
            let rest = data.get(p.consumed.min(data.len())..).unwrap_or(&[]);
            self.keep(sess, ctx, dir, rest, p.need, sink);
            return;
        }
        if self.buf.len() + data.len() > self.cap {
            self.overflow(sess, ctx, dir, data.len(), sink);
            return;
        }
        self.buf.extend_from_slice(data);
        if data.len() < self.need {
            self.need -= data.len();
            return;
        }
        let mut pending = std::mem::take(&mut self.buf);
        let p = sess.on_data(ctx, dir, &pending, sink);
        pending.drain(..p.consumed.min(pending.len()));
        self.need = if pending.is_empty() { 0 } else { p.need };
        self.buf = pending;
    }

    fn keep(
        &mut self,
        sess: &mut dyn TcpSession,
        ctx: &FlowCtx,
        dir: Direction,
        rest: &[u8],
        need: usize,
        sink: &mut dyn EventSink,
    ) {
        self.buf.clear();
        if rest.is_empty() {
            self.need = 0;
            return;
        }
        if rest.len() > self.cap {
            self.overflow(sess, ctx, dir, 0, sink);
            sess.on_gap(ctx, dir, rest.len() as u64, sink);
            return;
        }
        self.buf.extend_from_slice(rest);
        self.need = need;
    }

    fn overflow(
        &mut self,
        sess: &mut dyn TcpSession,
        ctx: &FlowCtx,
        dir: Direction,
        extra: usize,
        sink: &mut dyn EventSink,
    ) {
        let lost = self.buf.len() + extra;
        self.buf.clear();
        self.need = 0;
        self.overflows += 1;
        sink.event(ctx.weird(dir, "tcp", "tcp_stream_buffer_overflow"));
        if lost > 0 {
            sess.on_gap(ctx, dir, lost as u64, sink);
        }
    }

    /// Reports a capture gap of `len` bytes: pending bytes are dropped with it.
    pub fn gap(
        &mut self,
        sess: &mut dyn TcpSession,
        ctx: &FlowCtx,
        dir: Direction,
        len: u64,
        sink: &mut dyn EventSink,
    ) {
        let pending = self.buf.len() as u64;
        self.buf.clear();
        self.need = 0;
        sess.on_gap(ctx, dir, len + pending, sink);
    }
}

/// Test helpers shared by every dissector's segmentation-equivalence tests.
pub mod testing {
    use super::*;
    use crate::addr::Endpoint;
    use std::net::{IpAddr, Ipv4Addr};

    /// A flow context between 10.0.0.1:40000 (client) and 10.0.0.2:`port` (server).
    pub fn ctx(port: u16, transport: Transport) -> FlowCtx {
        FlowCtx {
            flow_id: FlowId(1),
            ts: Timestamp::from_parts(1_700_000_000, 0),
            client: Endpoint::ip(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 40000),
            server: Endpoint::ip(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), port),
            transport,
            vlan: None,
        }
    }

    /// Feeds a sequence of (direction, bytes) messages to a fresh session, splitting
    /// each message into chunks by `split(len) -> chunk sizes`, and returns the events.
    pub fn feed<S: TcpSession>(
        mut sess: S,
        ctx: &FlowCtx,
        msgs: &[(Direction, Vec<u8>)],
        mut split: impl FnMut(usize) -> Vec<usize>,
    ) -> Vec<Event> {
        let mut out = Vec::new();
        let mut bufs = [
            StreamBuffer::new(StreamBuffer::DEFAULT_CAP),
            StreamBuffer::new(StreamBuffer::DEFAULT_CAP),
        ];
        for (dir, m) in msgs {
            let mut off = 0;
            for n in split(m.len()) {
                let end = (off + n).min(m.len());
                bufs[dir.index()].deliver(&mut sess, ctx, *dir, &m[off..end], &mut out);
                off = end;
            }
            if off < m.len() {
                bufs[dir.index()].deliver(&mut sess, ctx, *dir, &m[off..], &mut out);
            }
        }
        sess.on_close(ctx, &mut out);
        out
    }

    /// Whole messages.
    pub fn whole(len: usize) -> Vec<usize> {
        vec![len]
    }

    /// One byte at a time.
    pub fn bytewise(len: usize) -> Vec<usize> {
        vec![1; len]
    }

    /// Pseudo-random splits from a seed (xorshift; no dependency).
    pub fn random_splits(seed: u64) -> impl FnMut(usize) -> Vec<usize> {
        let mut s = seed | 1;
        move |len| {
            let mut v = Vec::new();
            let mut left = len;
            while left > 0 {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                let n = 1 + (s as usize % 17).min(left - 1);
                v.push(n);
                left -= n;
            }
            v
        }
    }

    /// Asserts that whole, bytewise and several random splits give identical events.
    pub fn assert_segmentation_equivalent<S: TcpSession>(
        new: impl Fn() -> S,
        ctx: &FlowCtx,
        msgs: &[(Direction, Vec<u8>)],
    ) -> Vec<Event> {
        let a = feed(new(), ctx, msgs, whole);
        let b = feed(new(), ctx, msgs, bytewise);
        assert_eq!(a, b, "whole vs bytewise differ");
        for seed in 1..=8u64 {
            let c = feed(new(), ctx, msgs, random_splits(seed));
            assert_eq!(a, c, "whole vs random splits (seed {seed}) differ");
        }
        a
    }
}
