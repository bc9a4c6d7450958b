//! Per-flow state: APDU framing with resynchronisation, I-frame sequence checks,
//! U-frame act/con pairing, and command act → con pairing by (type id, common
//! address, IOA).

use super::events::{
    MAX_PENDING, MAX_POINTS, MAX_WEIRDS_PER_FLOW, cot_name, element_value, point, qualifier,
    type_name, type_op,
};
use super::parser::{Parsed, parse_apdu, parse_asdu};
use super::types::{Apci, TypeId, UFunction};
use otwatch_core::{
    Direction, Event, EventSink, FlowCtx, OpClass, Point, Progress, TcpSession, Timestamp,
};
use std::borrow::Cow;
use std::collections::VecDeque;

const PROTO: &str = "iec104";
/// Unconfirmed U-frame activations kept (one per function is the protocol's rule).
const MAX_U_PENDING: usize = 8;

/// A command (activation or deactivation) awaiting its confirmation, or a one-way
/// ASDU about to become an event.
#[derive(Clone, Debug)]
pub struct Iec104Transaction {
    /// Time of the ASDU.
    pub ts: Timestamp,
    /// Direction the ASDU travelled.
    pub dir: Direction,
    /// Type id.
    pub type_id: TypeId,
    /// Raw cause-of-transmission byte.
    pub cot: u8,
    /// Originator address.
    pub originator: u8,
    /// Common address.
    pub common_address: u16,
    /// First IOA.
    pub ioa: Option<u32>,
    /// Number of objects.
    pub num: u8,
    /// SQ bit.
    pub sq: bool,
    /// N(S), N(R) of the carrying I-frame.
    pub seq: (u16, u16),
    /// Select (true) / execute (false) for commands.
    pub select: Option<bool>,
    /// Qualifier (QU, QOI, QCC, QRP, QL).
    pub qualifier: Option<u8>,
    /// Values.
    pub points: Vec<Point>,
    /// Objects did not fill the ASDU exactly.
    pub malformed: bool,
}

impl Iec104Transaction {
    fn key(&self) -> (u8, u16, Option<u32>) {
        (self.type_id.0, self.common_address, self.ioa)
    }

    /// Renders the event (`src` = sender of this ASDU, or of the request).
    pub fn to_event(&self, ctx: &FlowCtx) -> Event {
        let name: Cow<'static, str> = match type_name(self.type_id) {
            Some(n) => Cow::Borrowed(n),
            None => Event::unknown_code(self.type_id.0),
        };
        let mut e = Event::new(
            self.ts,
            ctx.flow_id,
            ctx.src(self.dir),
            ctx.dst(self.dir),
            PROTO,
            type_op(self.type_id),
            name,
        );
        e.unit = Some(self.common_address as u32);
        let cause = self.cot & 0x3f;
        e.fields.push("type_id", self.type_id.0);
        match cot_name(cause) {
            Some(n) => e.fields.push("cot", n),
            None => e.fields.push("cot", format!("cot-{cause}")),
        }
        if self.cot & 0x40 != 0 {
            e.fields.push("negative", true);
        }
        if self.cot & 0x80 != 0 {
            e.fields.push("test", true);
        }
        e.fields.push("originator", self.originator);
        e.fields.push("common_address", self.common_address);
        e.fields.push_opt("ioa", self.ioa);
        e.fields.push("num_objects", self.num);
        if self.sq {
            e.fields.push("sq", true);
        }
        e.fields.push("send_seq", self.seq.0);
        e.fields.push("recv_seq", self.seq.1);
        e.fields.push_opt("select", self.select);
        e.fields.push_opt("qualifier", self.qualifier);
        if self.malformed {
            e.fields.push("malformed", true);
        }
        e.points = self.points.clone();
        e
    }
}

/// Session state of one flow.
#[derive(Debug, Default)]
pub struct Iec104Session {
    pending: VecDeque<Iec104Transaction>,
    u_pending: VecDeque<(UFunction, Timestamp, Direction)>,
    next_send: [Option<u16>; 2],
    resyncing: [bool; 2],
    weirds: u32,
}

impl Iec104Session {
    fn weird(&mut self, sink: &mut dyn EventSink, e: Event) {
        self.weirds += 1;
        if self.weirds <= MAX_WEIRDS_PER_FLOW {
            sink.event(e);
        } else if self.weirds == MAX_WEIRDS_PER_FLOW + 1 {
            let mut w = e;
            w.function = Cow::Borrowed("iec104_weird_limit");
            w.fields = Default::default();
            sink.event(w);
        }
    }

    fn on_u(&mut self, ctx: &FlowCtx, dir: Direction, f: UFunction, sink: &mut dyn EventSink) {
        if f.is_act() {
            if self.u_pending.len() >= MAX_U_PENDING
                && let Some((g, ts, d)) = self.u_pending.pop_front()
            {
                sink.event(u_event(ctx, g, ts, d, None));
            }
            self.u_pending.push_back((f, ctx.ts, dir));
            return;
        }
        let i = self
            .u_pending
            .iter()
            .position(|(g, _, d)| g.name() == f.name() && *d != dir);
        match i.and_then(|i| self.u_pending.remove(i)) {
            Some((g, ts, d)) => sink.event(u_event(ctx, g, ts, d, Some(true))),
            None => {
                let mut e = u_event(ctx, f, ctx.ts, dir.reverse(), Some(true));
                e.fields.push("request_seen", false);
                sink.event(e);
            }
        }
    }

    fn on_i(
        &mut self,
        ctx: &FlowCtx,
        dir: Direction,
        seq: (u16, u16),
        asdu: &[u8],
        sink: &mut dyn EventSink,
    ) {
        let d = dir.index();
        if let Some(exp) = self.next_send[d]
            && exp != seq.0
        {
            let w = ctx
                .weird(dir, PROTO, "iec104_sequence_gap")
                .with("expected", exp)
                .with("received", seq.0);
            self.weird(sink, w);
        }
        self.next_send[d] = Some((seq.0 + 1) & 0x7fff);
        let Some(a) = parse_asdu(asdu) else {
            self.weird(sink, ctx.weird(dir, PROTO, "iec104_asdu_truncated"));
            return;
        };
        let h = a.header;
        let mut t = Iec104Transaction {
            ts: ctx.ts,
            dir,
            type_id: h.type_id,
            cot: h.cot.0,
            originator: h.originator,
            common_address: h.common_address,
            ioa: None,
            num: h.num,
            sq: h.sq,
            seq,
            select: None,
            qualifier: None,
            points: Vec::new(),
            malformed: false,
        };
        if let Some(objs) = a.objects {
            let mut n = 0;
            for o in objs {
                n += 1;
                if t.ioa.is_none() {
                    t.ioa = Some(o.ioa);
                    let (s, q) = qualifier(h.type_id, o.element);
                    t.select = s;
                    t.qualifier = q;
                }
                if t.points.len() < MAX_POINTS
                    && let Some(v) = element_value(h.type_id, o.element)
                {
                    t.points.push(point(h.type_id, o.ioa, v));
                }
            }
            if !a.exact {
                t.malformed = true;
                let name = if n < h.num as usize || h.num == 0 {
                    "iec104_asdu_truncated"
                } else {
                    "iec104_asdu_length_mismatch"
                };
                self.weird(sink, ctx.weird(dir, PROTO, name));
            }
        } else if let Some(b) = asdu.get(6..9) {
            t.ioa = Some(u32::from_le_bytes([b[0], b[1], b[2], 0]));
        }
        match h.cot.cause() {
            6 | 8 => {
                if self.pending.len() >= MAX_PENDING {
                    self.weird(sink, ctx.weird(dir, PROTO, "iec104_too_many_pending"));
                    if let Some(old) = self.pending.pop_front() {
                        sink.event(old.to_event(ctx));
                    }
                }
                self.pending.push_back(t);
            }
            c @ (7 | 9 | 44..=47) => {
                let want_deact = c == 9;
                let i = self.pending.iter().position(|p| {
                    p.key() == t.key()
                        && p.dir != dir
                        && (c >= 44 || ((p.cot & 0x3f) == 8) == want_deact)
                });
                let status: Cow<'static, str> = if c >= 44 {
                    Cow::Borrowed(cot_name(c).unwrap_or("negative"))
                } else if h.cot.negative() {
                    Cow::Borrowed("negative")
                } else {
                    Cow::Borrowed("ok")
                };
                match i.and_then(|i| self.pending.remove(i)) {
                    Some(p) => {
                        let mut e = p.to_event(ctx);
                        e.status = Some(status);
                        sink.event(e);
                    }
                    None => {
                        // Confirmation of a command we never saw (mid-stream pickup).
                        t.dir = dir.reverse();
                        let mut e = t.to_event(ctx);
                        e.status = Some(status);
                        e.fields.push("request_seen", false);
                        sink.event(e);
                    }
                }
            }
            // Activation termination closes a procedure already reported at its con.
            10 => {}
            _ => sink.event(t.to_event(ctx)),
        }
    }
}

fn u_event(ctx: &FlowCtx, f: UFunction, ts: Timestamp, dir: Direction, con: Option<bool>) -> Event {
    let mut e = Event::new(
        ts,
        ctx.flow_id,
        ctx.src(dir),
        ctx.dst(dir),
        PROTO,
        OpClass::Session,
        f.name(),
    );
    e.fields.push("apci", "u");
    if con.is_some() {
        e.status = Some(Cow::Borrowed("ok"));
    }
    e
}

fn resync_skip(data: &[u8]) -> usize {
    for i in 1..data.len() {
        if data[i] == super::types::START
            && matches!(
                parse_apdu(&data[i..]),
                Parsed::Ok(..) | Parsed::Incomplete(_)
            )
        {
            return i;
        }
    }
    data.len()
}

impl TcpSession for Iec104Session {
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
            match parse_apdu(rest) {
                Parsed::Ok(apdu, n) => {
                    self.resyncing[dir.index()] = false;
                    match apdu.apci {
                        Apci::I { send_seq, recv_seq } => {
                            self.on_i(ctx, dir, (send_seq, recv_seq), apdu.asdu, sink)
                        }
                        Apci::S { .. } => {}
                        Apci::U(f) => self.on_u(ctx, dir, f, sink),
                    }
                    off += n;
                }
                Parsed::Incomplete(need) => return Progress::partial(off, need),
                Parsed::Invalid(name) => {
                    if !self.resyncing[dir.index()] {
                        self.resyncing[dir.index()] = true;
                        self.weird(sink, ctx.weird(dir, PROTO, name));
                    }
                    off += resync_skip(rest);
                }
            }
        }
        Progress::all(off)
    }

    fn on_gap(&mut self, ctx: &FlowCtx, dir: Direction, _len: u64, sink: &mut dyn EventSink) {
        self.next_send[dir.index()] = None;
        self.weird(sink, ctx.weird(dir, PROTO, "iec104_gap"));
    }

    fn on_close(&mut self, ctx: &FlowCtx, sink: &mut dyn EventSink) {
        for t in self.pending.drain(..) {
            sink.event(t.to_event(ctx));
        }
        for (f, ts, d) in self.u_pending.drain(..) {
            sink.event(u_event(ctx, f, ts, d, None));
        }
    }

    fn protocol(&self) -> Option<&'static str> {
        Some(PROTO)
    }
}
