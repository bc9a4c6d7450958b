//! Per-flow dispatch by content.
//!
//! A [`TcpDispatch`] is created for every TCP flow. Until a protocol is chosen it
//! probes the data of either direction (so a capture that starts mid-session, with a
//! response first, is still identified). Candidates whose well-known port matches the
//! flow are probed first; the port never decides alone. Traffic on a well-known port
//! that fails that protocol's probe is reported once as the weird
//! `<proto>_port_mismatch` and is not parsed as the protocol.

use crate::registry::{self, L2Proto, TcpProto, UdpProto};
use otwatch_core::{
    Direction, Event, EventKind, EventSink, FlowCtx, L2Ctx, L2Dissector, Probe, Progress,
    TcpSession, UdpSession,
};
use std::borrow::Cow;

/// Bytes a TCP direction may hold while protocols are probed.
pub const MAX_PROBE_BYTES: usize = 4096;
/// Data chunks (or datagrams) that may fail every probe before a flow is given up as unknown.
pub const MAX_PROBE_ATTEMPTS: u32 = 6;

fn port_mismatch(ctx: &FlowCtx, dir: Direction, proto: &'static str) -> Event {
    let mut e = ctx.weird(dir, proto, "port_mismatch");
    e.kind = EventKind::Weird;
    e.function = Cow::Owned(format!("{proto}_port_mismatch"));
    e
}

fn port_hint(ports: &[u16], ctx: &FlowCtx) -> bool {
    ports.contains(&ctx.server.port) || ports.contains(&ctx.client.port)
}

/// Probes `list` over `data`: port-hinted candidates first. Returns the match, or
/// whether any candidate still wants more bytes.
fn choose<T>(
    list: &'static [T],
    ports: impl Fn(&T) -> &'static [u16],
    probe: impl Fn(&T, Direction, &[u8]) -> Probe,
    ctx: &FlowCtx,
    dir: Direction,
    data: &[u8],
) -> (Option<&'static T>, bool) {
    let mut need_more = false;
    for pass in [true, false] {
        for p in list.iter().filter(|p| port_hint(ports(p), ctx) == pass) {
            match probe(p, dir, data) {
                Probe::Match => return (Some(p), false),
                Probe::NeedMore => need_more = true,
                Probe::NoMatch => {}
            }
        }
    }
    (None, need_more)
}

enum TcpState {
    Probing { attempts: u32 },
    Active(&'static str, Box<dyn TcpSession>),
    Unknown,
}

/// The session the wire layer holds for every TCP flow.
pub struct TcpDispatch {
    state: TcpState,
    protos: &'static [TcpProto],
}

impl Default for TcpDispatch {
    fn default() -> Self {
        TcpDispatch::new(registry::tcp_protocols())
    }
}

impl TcpDispatch {
    /// A dispatcher over a custom protocol list (tests).
    pub fn new(protos: &'static [TcpProto]) -> Self {
        TcpDispatch {
            state: TcpState::Probing { attempts: 0 },
            protos,
        }
    }
    /// True once the flow is given up as unknown: the wire layer may stop delivering data.
    pub fn is_unknown(&self) -> bool {
        matches!(self.state, TcpState::Unknown)
    }

    fn give_up(&mut self, ctx: &FlowCtx, dir: Direction, sink: &mut dyn EventSink) {
        if let Some(p) = self.protos.iter().find(|p| port_hint(p.ports, ctx)) {
            sink.event(port_mismatch(ctx, dir, p.name));
        }
        self.state = TcpState::Unknown;
    }
}

impl TcpSession for TcpDispatch {
    fn on_data(
        &mut self,
        ctx: &FlowCtx,
        dir: Direction,
        data: &[u8],
        sink: &mut dyn EventSink,
    ) -> Progress {
        match &mut self.state {
            TcpState::Active(_, s) => s.on_data(ctx, dir, data, sink),
            TcpState::Unknown => Progress::all(data.len()),
            TcpState::Probing { attempts } => {
                let (hit, need_more) = choose(
                    self.protos,
                    |p| p.ports,
                    |p, d, b| (p.probe)(d, b),
                    ctx,
                    dir,
                    data,
                );
                if let Some(p) = hit {
                    let mut s = (p.new)();
                    let prog = s.on_data(ctx, dir, data, sink);
                    self.state = TcpState::Active(p.name, s);
                    return prog;
                }
                if need_more && data.len() < MAX_PROBE_BYTES {
                    return Progress::partial(0, 1);
                }
                *attempts += 1;
                if *attempts >= MAX_PROBE_ATTEMPTS {
                    self.give_up(ctx, dir, sink);
                }
                // Drop this chunk: the next one may start on a PDU boundary (mid-stream pickup).
                Progress::all(data.len())
            }
        }
    }

    fn on_gap(&mut self, ctx: &FlowCtx, dir: Direction, len: u64, sink: &mut dyn EventSink) {
        if let TcpState::Active(_, s) = &mut self.state {
            s.on_gap(ctx, dir, len, sink);
        }
    }

    fn on_close(&mut self, ctx: &FlowCtx, sink: &mut dyn EventSink) {
        if let TcpState::Active(_, s) = &mut self.state {
            s.on_close(ctx, sink);
        }
    }

    fn protocol(&self) -> Option<&'static str> {
        match &self.state {
            TcpState::Active(n, _) => Some(n),
            _ => None,
        }
    }
}

enum UdpState {
    Probing { attempts: u32 },
    Active(&'static str, Box<dyn UdpSession>),
    Unknown,
}

/// The session the wire layer holds for every UDP flow.
pub struct UdpDispatch {
    state: UdpState,
    protos: &'static [UdpProto],
}

impl Default for UdpDispatch {
    fn default() -> Self {
        UdpDispatch::new(registry::udp_protocols())
    }
}

impl UdpDispatch {
    /// A dispatcher over a custom protocol list (tests).
    pub fn new(protos: &'static [UdpProto]) -> Self {
        UdpDispatch {
            state: UdpState::Probing { attempts: 0 },
            protos,
        }
    }
}

impl UdpSession for UdpDispatch {
    fn on_datagram(
        &mut self,
        ctx: &FlowCtx,
        dir: Direction,
        data: &[u8],
        sink: &mut dyn EventSink,
    ) {
        match &mut self.state {
            UdpState::Active(_, s) => s.on_datagram(ctx, dir, data, sink),
            UdpState::Unknown => {}
            UdpState::Probing { attempts } => {
                let (hit, _) = choose(
                    self.protos,
                    |p| p.ports,
                    |p, d, b| (p.probe)(d, b),
                    ctx,
                    dir,
                    data,
                );
                if let Some(p) = hit {
                    let mut s = (p.new)();
                    s.on_datagram(ctx, dir, data, sink);
                    self.state = UdpState::Active(p.name, s);
                    return;
                }
                *attempts += 1;
                if *attempts >= MAX_PROBE_ATTEMPTS {
                    if let Some(p) = self.protos.iter().find(|p| port_hint(p.ports, ctx)) {
                        sink.event(port_mismatch(ctx, dir, p.name));
                    }
                    self.state = UdpState::Unknown;
                }
            }
        }
    }

    fn on_close(&mut self, ctx: &FlowCtx, sink: &mut dyn EventSink) {
        if let UdpState::Active(_, s) = &mut self.state {
            s.on_close(ctx, sink);
        }
    }

    fn protocol(&self) -> Option<&'static str> {
        match &self.state {
            UdpState::Active(n, _) => Some(n),
            _ => None,
        }
    }
}

/// Routes non-IP frames to the layer-2 dissector claiming their EtherType.
pub struct L2Dispatch {
    table: Vec<(&'static [u16], Box<dyn L2Dissector>)>,
}

impl Default for L2Dispatch {
    fn default() -> Self {
        L2Dispatch::new(registry::l2_protocols())
    }
}

impl L2Dispatch {
    /// A dispatcher over a protocol list.
    pub fn new(protos: &'static [L2Proto]) -> Self {
        L2Dispatch {
            table: protos.iter().map(|p| (p.ethertypes, (p.new)())).collect(),
        }
    }
    /// Delivers one frame; returns false when no dissector claims its EtherType.
    pub fn on_frame(&mut self, ctx: &L2Ctx, payload: &[u8], sink: &mut dyn EventSink) -> bool {
        let mut claimed = false;
        for (types, d) in &mut self.table {
            if types.contains(&ctx.ethertype) {
                d.on_frame(ctx, payload, sink);
                claimed = true;
            }
        }
        claimed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use otwatch_core::Transport;
    use otwatch_core::session::testing::ctx;

    #[test]
    fn junk_on_known_port_is_a_weird_not_the_protocol() {
        let c = ctx(7777, Transport::Tcp);
        let mut d = TcpDispatch::default();
        let mut out = Vec::new();
        for _ in 0..MAX_PROBE_ATTEMPTS {
            let junk = b"\x16\x03\x01 random junk bytes here";
            let p = d.on_data(&c, Direction::ToServer, junk, &mut out);
            assert_eq!(p.consumed, junk.len());
        }
        assert!(d.is_unknown());
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].function, "template_port_mismatch");
    }

    #[test]
    fn protocol_found_on_odd_port() {
        let c = ctx(5555, Transport::Tcp);
        let mut d = TcpDispatch::default();
        let mut out = Vec::new();
        d.on_data(
            &c,
            Direction::ToServer,
            b"OW\x00\x01\x00\x03\x01\x00\x05",
            &mut out,
        );
        assert_eq!(d.protocol(), Some("template"));
        d.on_close(&c, &mut out);
        assert_eq!(out[0].function, "read");
    }
}
