//! TCP connections: handshake, data with advancing sequence/ack numbers, pure ACKs,
//! FIN close, RST, and the odd retransmission (RFC 793, RFC 6298 for the 200 ms
//! minimum RTO used by common stacks).

use crate::wire::{Ip4, L2, Out, Tcp, flags};
use otwatch_core::Mac;
use std::io::Write;

/// One end of a connection as seen at the capture point.
#[derive(Clone, Debug)]
pub struct Side {
    /// IPv4 address.
    pub ip: [u8; 4],
    /// TCP port.
    pub port: u16,
    /// L2 source of frames this side sends (its own MAC, or the router's).
    pub mac: Mac,
    /// L2 destination of frames this side sends (peer or router).
    pub dst_mac: Mac,
    /// Next sequence number to send.
    pub seq: u32,
    /// Next IP identification.
    pub ip_id: u16,
    /// TTL as observed at the capture point.
    pub ttl: u8,
    /// Advertised window.
    pub win: u16,
}

/// Who sends a segment.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Dir {
    /// Client to server.
    C2S,
    /// Server to client.
    S2C,
}

/// A TCP connection between a client and a server.
#[derive(Clone, Debug)]
pub struct Conn {
    /// Client side.
    pub c: Side,
    /// Server side.
    pub s: Side,
    /// Handshake done and not closed.
    pub open: bool,
    /// Last frame time of the connection: later frames must not precede it.
    pub busy_until: i64,
    /// A man-in-the-middle MAC: every segment is seen twice, to and from it.
    pub mitm: Option<Mac>,
}

/// Smallest gap between two frames of one connection (ns).
const MIN_GAP: i64 = 20_000;

impl Conn {
    /// A closed connection between two sides (sequence numbers already chosen).
    pub fn new(c: Side, s: Side) -> Conn {
        Conn {
            c,
            s,
            open: false,
            busy_until: 0,
            mitm: None,
        }
    }

    /// Sends one segment; returns the time it was stamped with.
    pub fn seg<W: Write>(
        &mut self,
        out: &mut Out<W>,
        ts: i64,
        dir: Dir,
        fl: u8,
        payload: &[u8],
    ) -> i64 {
        let ts = ts.max(self.busy_until + MIN_GAP);
        let (from, to) = match dir {
            Dir::C2S => (&mut self.c, &self.s),
            Dir::S2C => (&mut self.s, &self.c),
        };
        let syn = fl & flags::SYN != 0;
        let t = Tcp {
            sport: from.port,
            dport: to.port,
            seq: from.seq,
            ack: if fl & flags::ACK != 0 { to.seq } else { 0 },
            flags: fl,
            win: from.win,
            mss: syn.then_some(1460),
        };
        let ip = Ip4 {
            src: from.ip,
            dst: to.ip,
            id: from.ip_id,
            ttl: from.ttl,
        };
        from.ip_id = from.ip_id.wrapping_add(1);
        let mut adv = payload.len() as u32;
        if syn || fl & flags::FIN != 0 {
            adv += 1;
        }
        from.seq = from.seq.wrapping_add(adv);
        let mut last = ts;
        match self.mitm {
            None => {
                let l2 = L2 {
                    src: from.mac,
                    dst: from.dst_mac,
                    vlan: None,
                };
                out.tcp(ts, &l2, &ip, &t, payload);
            }
            Some(m) => {
                // Seen once on its way to the attacker, once forwarded by it (TTL - 1).
                let l2a = L2 {
                    src: from.mac,
                    dst: m,
                    vlan: None,
                };
                out.tcp(ts, &l2a, &ip, &t, payload);
                let l2b = L2 {
                    src: m,
                    dst: from.dst_mac,
                    vlan: None,
                };
                let ip2 = Ip4 {
                    ttl: ip.ttl.saturating_sub(1),
                    ..ip
                };
                last = ts + 180_000;
                out.tcp(last, &l2b, &ip2, &t, payload);
            }
        }
        self.busy_until = last;
        last
    }

    /// Re-sends exactly the bytes of the last data segment from `dir` (same seq).
    pub fn retransmit<W: Write>(&mut self, out: &mut Out<W>, ts: i64, dir: Dir, payload: &[u8]) {
        let side = match dir {
            Dir::C2S => &mut self.c,
            Dir::S2C => &mut self.s,
        };
        side.seq = side.seq.wrapping_sub(payload.len() as u32);
        side.ip_id = side.ip_id.wrapping_sub(1);
        self.seg(out, ts, dir, flags::PSH | flags::ACK, payload);
    }

    /// Three-way handshake starting at `ts`; returns the time of the final ACK.
    pub fn open<W: Write>(&mut self, out: &mut Out<W>, ts: i64, rtt: i64) -> i64 {
        self.seg(out, ts, Dir::C2S, flags::SYN, &[]);
        let t = self.seg(out, ts + rtt, Dir::S2C, flags::SYN | flags::ACK, &[]);
        self.open = true;
        self.seg(out, t + rtt / 4 + 30_000, Dir::C2S, flags::ACK, &[])
    }

    /// Request from the client, response from the server after `rtt`, and the
    /// client's ACK after `ack_delay`. Returns the time of the last frame.
    #[allow(
        clippy::too_many_arguments,
        reason = "one call per exchange keeps tasks short"
    )]
    pub fn exchange<W: Write>(
        &mut self,
        out: &mut Out<W>,
        ts: i64,
        req: &[u8],
        resp: &[u8],
        rtt: i64,
        ack_delay: i64,
        retransmit: bool,
    ) -> i64 {
        let mut t = self.seg(out, ts, Dir::C2S, flags::PSH | flags::ACK, req);
        if retransmit {
            // The request was lost beyond the capture point: resent after the RTO.
            t += 200_000_000;
            self.retransmit(out, t, Dir::C2S, req);
        }
        let t = self.seg(out, t + rtt, Dir::S2C, flags::PSH | flags::ACK, resp);
        if ack_delay > 0 {
            self.seg(out, t + ack_delay, Dir::C2S, flags::ACK, &[])
        } else {
            t
        }
    }

    /// Data from the server (unsolicited), ACKed by the client after `ack_delay`
    /// when `ack_delay > 0`.
    pub fn push<W: Write>(
        &mut self,
        out: &mut Out<W>,
        ts: i64,
        dir: Dir,
        data: &[u8],
        ack_delay: Option<i64>,
    ) -> i64 {
        let t = self.seg(out, ts, dir, flags::PSH | flags::ACK, data);
        match ack_delay {
            Some(d) => {
                let back = if dir == Dir::C2S { Dir::S2C } else { Dir::C2S };
                self.seg(out, t + d, back, flags::ACK, &[])
            }
            None => t,
        }
    }

    /// Orderly close initiated by the client.
    pub fn close<W: Write>(&mut self, out: &mut Out<W>, ts: i64, rtt: i64) -> i64 {
        self.seg(out, ts, Dir::C2S, flags::FIN | flags::ACK, &[]);
        let t = self.seg(out, ts + rtt, Dir::S2C, flags::FIN | flags::ACK, &[]);
        self.open = false;
        self.seg(out, t + rtt / 4 + 20_000, Dir::C2S, flags::ACK, &[])
    }
}
