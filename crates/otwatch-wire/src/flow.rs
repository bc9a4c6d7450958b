//! The bounded bidirectional flow table.
//!
//! Flows are keyed by the normalised 5-tuple plus VLAN, stored in a slab, and kept
//! on an LRU list ordered by last packet time, so expiry and eviction of the oldest
//! are O(1) per packet.

use crate::reasm::DirState;
use otwatch_core::{
    Endpoint, FlowEnd, FlowId, FlowRecord, StreamBuffer, TcpSession, TcpState, Timestamp,
    Transport, UdpSession,
};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::net::IpAddr;

/// FxHash-style hasher: flow keys are not attacker-chosen in a way that helps an
/// attacker beyond what the table cap already bounds, and speed matters here.
#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(b));
        }
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(SEED);
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.write_u64(i as u64);
    }
    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.write_u64(i as u64);
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.write_u64(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Hash builder for the flow table.
pub type FxBuild = BuildHasherDefault<FxHasher>;

/// Normalised flow key: the lower (address, port) first.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct FlowKey {
    lo: (u128, u16),
    hi: (u128, u16),
    proto: u8,
    vlan: u16,
}

fn ip_bits(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(a) => u32::from(a) as u128 | (0xffff << 32),
        IpAddr::V6(a) => u128::from(a),
    }
}

impl FlowKey {
    /// The key of a packet, and whether the packet's source is the `lo` side.
    pub fn new(
        src: IpAddr,
        sport: u16,
        dst: IpAddr,
        dport: u16,
        proto: u8,
        vlan: Option<u16>,
    ) -> (FlowKey, bool) {
        let a = (ip_bits(src), sport);
        let b = (ip_bits(dst), dport);
        let vlan = vlan.unwrap_or(0);
        if a <= b {
            (
                FlowKey {
                    lo: a,
                    hi: b,
                    proto,
                    vlan,
                },
                true,
            )
        } else {
            (
                FlowKey {
                    lo: b,
                    hi: a,
                    proto,
                    vlan,
                },
                false,
            )
        }
    }
}

/// TCP consumer state (boxed: it is much larger than the other variants).
pub struct TcpApp {
    /// Dissector session.
    pub sess: Box<dyn TcpSession>,
    /// Reassembly per direction (index by `Direction::index`).
    pub reasm: [DirState; 2],
    /// Consumer buffers per direction.
    pub bufs: [StreamBuffer; 2],
    /// Highest ACK sent per direction.
    pub acks: [Option<u32>; 2],
}

/// The application-layer consumer attached to a flow.
pub enum App {
    /// TCP: the session, reassembly state and stream buffers per direction.
    Tcp(Box<TcpApp>),
    /// UDP: the session.
    Udp(Box<dyn UdpSession>),
    /// No consumer (ICMP, other protocols, closed flows).
    None,
}

/// One flow.
pub struct Flow {
    /// Key.
    pub key: FlowKey,
    /// True when the client is the key's `lo` side.
    pub client_is_lo: bool,
    /// Id.
    pub id: FlowId,
    /// Originator.
    pub client: Endpoint,
    /// Responder.
    pub server: Endpoint,
    /// Transport.
    pub transport: Transport,
    /// VLAN.
    pub vlan: Option<u16>,
    /// First packet.
    pub first: Timestamp,
    /// Last packet.
    pub last: Timestamp,
    /// Packets per direction since the last record.
    pub pkts: [u64; 2],
    /// Bytes per direction since the last record.
    pub bytes: [u64; 2],
    /// When the last record was emitted (active timeout).
    pub last_report: Timestamp,
    /// TCP state.
    pub tcp_state: TcpState,
    /// FIN seen per direction.
    pub fin: [bool; 2],
    /// Originator known from a SYN.
    pub orig_certain: bool,
    /// Record already emitted at close: the entry only absorbs trailing packets.
    pub closed: bool,
    /// Consumer.
    pub app: App,
    prev: u32,
    next: u32,
}

impl Flow {
    /// The flow record for the counters since the last record.
    pub fn record(&self, end: FlowEnd, proto: Option<&'static str>) -> FlowRecord {
        FlowRecord {
            flow_id: self.id,
            client: self.client,
            server: self.server,
            transport: self.transport,
            vlan: self.vlan,
            proto,
            first: self.first,
            last: self.last,
            pkts: self.pkts,
            bytes: self.bytes,
            tcp_state: self.tcp_state,
            orig_certain: self.orig_certain,
            end,
        }
    }

    /// The protocol its session identified.
    pub fn proto(&self) -> Option<&'static str> {
        match &self.app {
            App::Tcp(t) => t.sess.protocol(),
            App::Udp(s) => s.protocol(),
            App::None => None,
        }
    }
}

const NIL: u32 = u32::MAX;

/// The flow table: slab + hash index + LRU list (head = most recent).
pub struct FlowTable {
    index: HashMap<FlowKey, u32, FxBuild>,
    slab: Vec<Option<Flow>>,
    free: Vec<u32>,
    head: u32,
    tail: u32,
    /// Capacity.
    pub cap: usize,
}

impl FlowTable {
    /// A table holding at most `cap` flows.
    pub fn new(cap: usize) -> Self {
        FlowTable {
            index: HashMap::with_capacity_and_hasher(cap.min(1 << 16), FxBuild::default()),
            slab: Vec::new(),
            free: Vec::new(),
            head: NIL,
            tail: NIL,
            cap: cap.max(1),
        }
    }

    /// Number of flows.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Looks a flow up.
    #[inline]
    pub fn find(&self, key: &FlowKey) -> Option<u32> {
        self.index.get(key).copied()
    }

    /// The flow in a slot.
    #[inline]
    pub fn get(&self, i: u32) -> Option<&Flow> {
        self.slab.get(i as usize).and_then(Option::as_ref)
    }

    /// The flow in a slot, mutably.
    #[inline]
    pub fn get_mut(&mut self, i: u32) -> Option<&mut Flow> {
        self.slab.get_mut(i as usize).and_then(Option::as_mut)
    }

    fn unlink(&mut self, i: u32) {
        let (p, n) = match self.slab.get(i as usize).and_then(Option::as_ref) {
            Some(f) => (f.prev, f.next),
            None => return,
        };
        if p != NIL {
            if let Some(f) = self.get_mut(p) {
                f.next = n;
            }
        } else {
            self.head = n;
        }
        if n != NIL {
            if let Some(f) = self.get_mut(n) {
                f.prev = p;
            }
        } else {
            self.tail = p;
        }
    }

    fn push_front(&mut self, i: u32) {
        let old = self.head;
        if let Some(f) = self.get_mut(i) {
            f.prev = NIL;
            f.next = old;
        }
        if old != NIL {
            if let Some(f) = self.get_mut(old) {
                f.prev = i;
            }
        } else {
            self.tail = i;
        }
        self.head = i;
    }

    /// Marks a flow as most recently used.
    #[inline]
    pub fn touch(&mut self, i: u32) {
        if self.head != i {
            self.unlink(i);
            self.push_front(i);
        }
    }

    /// Inserts a new flow (the caller evicts first when full).
    pub fn insert(&mut self, mut flow: Flow) -> u32 {
        flow.prev = NIL;
        flow.next = NIL;
        let key = flow.key;
        let i = match self.free.pop() {
            Some(i) => {
                self.slab[i as usize] = Some(flow);
                i
            }
            None => {
                self.slab.push(Some(flow));
                (self.slab.len() - 1) as u32
            }
        };
        self.index.insert(key, i);
        self.push_front(i);
        i
    }

    /// The least recently used flow.
    pub fn oldest(&self) -> Option<u32> {
        (self.tail != NIL).then_some(self.tail)
    }

    /// Last packet time of a slot.
    pub fn last_seen(&self, i: u32) -> Option<Timestamp> {
        self.slab
            .get(i as usize)
            .and_then(Option::as_ref)
            .map(|f| f.last)
    }

    /// Removes a flow.
    pub fn remove(&mut self, i: u32) -> Option<Flow> {
        self.unlink(i);
        let f = self.slab.get_mut(i as usize)?.take()?;
        self.index.remove(&f.key);
        self.free.push(i);
        Some(f)
    }

    /// Builds a flow value (not inserted).
    #[allow(
        clippy::too_many_arguments,
        reason = "plain constructor of a record type"
    )]
    pub fn new_flow(
        key: FlowKey,
        client_is_lo: bool,
        id: FlowId,
        client: Endpoint,
        server: Endpoint,
        transport: Transport,
        vlan: Option<u16>,
        ts: Timestamp,
        orig_certain: bool,
        app: App,
    ) -> Flow {
        Flow {
            key,
            client_is_lo,
            id,
            client,
            server,
            transport,
            vlan,
            first: ts,
            last: ts,
            pkts: [0; 2],
            bytes: [0; 2],
            last_report: ts,
            tcp_state: if transport == Transport::Tcp {
                TcpState::Established
            } else {
                TcpState::None
            },
            fin: [false; 2],
            orig_certain,
            closed: false,
            app,
            prev: NIL,
            next: NIL,
        }
    }
}
