//! Per-flow state: pairs queries with responses by id (unicast DNS, LLMNR, NBNS);
//! mDNS messages are one-way and become one event each.

use super::events::{DnsTransaction, MAX_PENDING, to_event};
use super::parser::{Parsed, parse_message, parse_tcp_message};
use super::types::{DnsMessage, Flavor};
use otwatch_core::{Direction, EventSink, FlowCtx, Progress, TcpSession, UdpSession};
use std::collections::VecDeque;

/// Weirds of one kind reported per flow before they are muted.
pub const MAX_WEIRDS_PER_FLOW: u32 = 8;

/// Query/response pairing shared by the UDP and TCP sessions.
#[derive(Debug)]
struct Pairer {
    flavor: Flavor,
    pending: VecDeque<DnsTransaction>,
    weirds: u32,
}

impl Pairer {
    fn new(flavor: Flavor) -> Self {
        Pairer {
            flavor,
            pending: VecDeque::new(),
            weirds: 0,
        }
    }

    fn weird(
        &mut self,
        ctx: &FlowCtx,
        dir: Direction,
        name: &'static str,
        sink: &mut dyn EventSink,
    ) {
        if self.weirds < MAX_WEIRDS_PER_FLOW {
            self.weirds += 1;
            sink.event(ctx.weird(dir, self.flavor.proto(), name));
        }
    }

    fn on_message(
        &mut self,
        ctx: &FlowCtx,
        dir: Direction,
        msg: DnsMessage,
        sink: &mut dyn EventSink,
    ) {
        let (src, dst) = (ctx.src(dir), ctx.dst(dir));
        let f = self.flavor;
        if f == Flavor::Mdns {
            let (q, r) = if msg.header.is_response() {
                (None, Some(&msg))
            } else {
                (Some(&msg), None)
            };
            if let Some(mut e) = to_event(f, ctx.flow_id, ctx.ts, src, dst, q, r) {
                // One-way: an unsolicited announcement is not a missing request.
                e.fields.0.retain(|(k, _)| *k != "request_seen");
                sink.event(e);
            }
            return;
        }
        if !msg.header.is_response() {
            if self.pending.len() >= MAX_PENDING {
                self.weird(ctx, dir, "dns_too_many_pending", sink);
                if let Some(old) = self.pending.pop_front() {
                    self.flush(ctx, old, sink);
                }
            }
            self.pending.push_back(DnsTransaction {
                ts: ctx.ts,
                src,
                dst,
                msg,
            });
            return;
        }
        let id = msg.header.id;
        if let Some(i) = self.pending.iter().position(|t| t.msg.header.id == id) {
            if let Some(t) = self.pending.remove(i)
                && let Some(e) =
                    to_event(f, ctx.flow_id, t.ts, t.src, t.dst, Some(&t.msg), Some(&msg))
            {
                sink.event(e);
            }
        } else if let Some(e) = to_event(f, ctx.flow_id, ctx.ts, dst, src, None, Some(&msg)) {
            // Requester is the receiver of the response.
            sink.event(e);
        }
    }

    fn flush(&self, ctx: &FlowCtx, t: DnsTransaction, sink: &mut dyn EventSink) {
        if let Some(e) = to_event(
            self.flavor,
            ctx.flow_id,
            t.ts,
            t.src,
            t.dst,
            Some(&t.msg),
            None,
        ) {
            sink.event(e);
        }
    }

    fn close(&mut self, ctx: &FlowCtx, sink: &mut dyn EventSink) {
        while let Some(t) = self.pending.pop_front() {
            self.flush(ctx, t, sink);
        }
    }
}

/// A DNS-family UDP flow.
#[derive(Debug)]
pub struct DnsUdpSession {
    pairer: Pairer,
}

impl DnsUdpSession {
    /// A session of the given flavour.
    pub fn new(flavor: Flavor) -> Self {
        DnsUdpSession {
            pairer: Pairer::new(flavor),
        }
    }
}

impl UdpSession for DnsUdpSession {
    fn on_datagram(
        &mut self,
        ctx: &FlowCtx,
        dir: Direction,
        data: &[u8],
        sink: &mut dyn EventSink,
    ) {
        let nbns = self.pairer.flavor == Flavor::Nbns;
        match parse_message(data, nbns) {
            Parsed::Ok(m, _) => self.pairer.on_message(ctx, dir, m, sink),
            Parsed::Incomplete(_) => self.pairer.weird(ctx, dir, "dns_truncated", sink),
            Parsed::Invalid(n) => self.pairer.weird(ctx, dir, n, sink),
        }
    }

    fn on_close(&mut self, ctx: &FlowCtx, sink: &mut dyn EventSink) {
        self.pairer.close(ctx, sink);
    }

    fn protocol(&self) -> Option<&'static str> {
        Some(self.pairer.flavor.proto())
    }
}

/// A DNS-over-TCP flow (2-byte length prefix per message).
#[derive(Debug)]
pub struct DnsTcpSession {
    pairer: Pairer,
    /// Per direction: true after a gap until a message parses again.
    lost: [bool; 2],
}

impl DnsTcpSession {
    /// A session of the given flavour.
    pub fn new(flavor: Flavor) -> Self {
        DnsTcpSession {
            pairer: Pairer::new(flavor),
            lost: [false; 2],
        }
    }
}

impl TcpSession for DnsTcpSession {
    fn on_data(
        &mut self,
        ctx: &FlowCtx,
        dir: Direction,
        data: &[u8],
        sink: &mut dyn EventSink,
    ) -> Progress {
        let mut off = 0;
        while off < data.len() {
            let rest = &data[off..];
            match parse_tcp_message(rest) {
                Parsed::Ok(m, n) => {
                    off += n;
                    self.lost[dir.index()] = false;
                    self.pairer.on_message(ctx, dir, m, sink);
                }
                Parsed::Incomplete(need) => return Progress::partial(off, need),
                Parsed::Invalid(name) => {
                    // The length prefix is the only framing: a bad message loses the
                    // direction's framing until the flow resumes on a boundary.
                    if !self.lost[dir.index()] {
                        self.pairer.weird(ctx, dir, name, sink);
                    }
                    self.lost[dir.index()] = true;
                    let len = rest
                        .get(..2)
                        .map_or(0, |b| u16::from_be_bytes([b[0], b[1]]) as usize);
                    if len >= 12 && rest.len() >= 2 + len {
                        off += 2 + len;
                    } else {
                        off = data.len();
                    }
                }
            }
        }
        Progress::all(off)
    }

    fn on_gap(&mut self, _ctx: &FlowCtx, dir: Direction, _len: u64, _sink: &mut dyn EventSink) {
        self.lost[dir.index()] = true;
    }

    fn on_close(&mut self, ctx: &FlowCtx, sink: &mut dyn EventSink) {
        self.pairer.close(ctx, sink);
    }

    fn protocol(&self) -> Option<&'static str> {
        Some("dns")
    }
}

#[cfg(test)]
mod tests {
    use super::super::parser::tests::{QUERY, RESPONSE};
    use super::*;
    use otwatch_core::Transport;
    use otwatch_core::session::testing::{assert_segmentation_equivalent, ctx};

    fn framed(m: &[u8]) -> Vec<u8> {
        let mut v = (m.len() as u16).to_be_bytes().to_vec();
        v.extend_from_slice(m);
        v
    }

    #[test]
    fn udp_pairs_by_id() {
        let c = ctx(53, Transport::Udp);
        let mut s = DnsUdpSession::new(Flavor::Dns);
        let mut out = Vec::new();
        s.on_datagram(&c, Direction::ToServer, QUERY, &mut out);
        s.on_datagram(&c, Direction::ToClient, RESPONSE, &mut out);
        s.on_close(&c, &mut out);
        assert_eq!(out.len(), 1);
        let e = &out[0];
        assert_eq!(e.function, "query");
        assert_eq!(e.status.as_deref(), Some("ok"));
        assert_eq!(e.fields.get_str("qname"), Some("www.example.com"));
        assert_eq!(e.fields.get("public_name"), Some(&true.into()));
        assert_eq!(e.src, c.client);
    }

    #[test]
    fn orphan_response_and_unanswered_query() {
        let c = ctx(53, Transport::Udp);
        let mut s = DnsUdpSession::new(Flavor::Dns);
        let mut out = Vec::new();
        s.on_datagram(&c, Direction::ToClient, RESPONSE, &mut out);
        let mut q2 = QUERY.to_vec();
        q2[1] = 0x99;
        s.on_datagram(&c, Direction::ToServer, &q2, &mut out);
        s.on_close(&c, &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].fields.get("request_seen"), Some(&false.into()));
        assert_eq!(out[0].src, c.client);
        assert_eq!(out[1].status, None);
    }

    #[test]
    fn tcp_segmentation_and_midstream() {
        let c = ctx(53, Transport::Tcp);
        let mut q2 = QUERY.to_vec();
        q2[1] = 0x35;
        let mut r2 = RESPONSE.to_vec();
        r2[1] = 0x35;
        let msgs = vec![
            (Direction::ToServer, framed(QUERY)),
            (Direction::ToClient, framed(RESPONSE)),
            (Direction::ToServer, framed(&q2)),
            (Direction::ToClient, framed(&r2)),
        ];
        let ev = assert_segmentation_equivalent(|| DnsTcpSession::new(Flavor::Dns), &c, &msgs);
        assert_eq!(ev.len(), 2);
        assert!(ev.iter().all(|e| e.status.as_deref() == Some("ok")));
        for skip in 1..4 {
            let ev = assert_segmentation_equivalent(
                || DnsTcpSession::new(Flavor::Dns),
                &c,
                &msgs[skip..],
            );
            assert!(!ev.is_empty(), "skip {skip}");
            assert_eq!(ev.last().and_then(|e| e.fields.get_u64("id")), Some(0x1235));
        }
    }

    #[test]
    fn nbns_registration_names_host() {
        // NBNS registration of "HMI01<00>" (RFC 1002 4.2.2), NB record 10.0.0.7, unique.
        let mut m = vec![
            0x80, 0x01, // id
            0x29, 0x10, // opcode 5 registration, RD, B
            0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, // qd=1 ar=1
            32,
        ];
        let mut raw = *b"HMI01          \x00";
        raw[15] = 0;
        for c in raw {
            m.push(b'A' + (c >> 4));
            m.push(b'A' + (c & 0x0f));
        }
        m.extend_from_slice(&[0, 0x00, 0x20, 0x00, 0x01]); // end, NB, IN
        m.extend_from_slice(&[
            0xc0, 0x0c, 0x00, 0x20, 0x00, 0x01, 0, 0x04, 0x93, 0xe0, 0, 6,
        ]);
        m.extend_from_slice(&[0x00, 0x00, 10, 0, 0, 7]);
        let c = ctx(137, Transport::Udp);
        assert_eq!(
            super::super::parser::probe_nbns(Direction::ToServer, &m),
            otwatch_core::Probe::Match
        );
        let mut s = DnsUdpSession::new(Flavor::Nbns);
        let mut out = Vec::new();
        s.on_datagram(&c, Direction::ToServer, &m, &mut out);
        s.on_close(&c, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].function, "registration");
        assert_eq!(out[0].fields.get_str("qname"), Some("HMI01<00>"));
        let id = out[0].identity.as_ref().expect("identity");
        assert_eq!(id.hostname.as_deref(), Some("HMI01"));
    }
}
