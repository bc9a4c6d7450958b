//! Per-flow S7comm / S7comm-plus state: TPKT framing, COTP connection and DT
//! reassembly, job ↔ ack_data pairing by PDU reference, user data pairing, S7comm-plus
//! pairing by sequence number.

use super::events::*;
use super::parser::*;
use super::s7plus;
use super::types::*;
use otwatch_core::{Direction, Event, EventSink, FlowCtx, OpClass, Progress, TcpSession, Value};
use std::borrow::Cow;
use std::collections::VecDeque;

const PROTO: &str = "s7comm";

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Key {
    Job(u16),
    Userdata(u16),
}

#[derive(Debug)]
struct Pending {
    key: Key,
    func: u8,
    items: Vec<VarItem>,
    event: Event,
}

/// Session state of one S7comm (or S7comm-plus) flow.
#[derive(Debug, Default)]
pub struct S7Session {
    pending: VecDeque<Pending>,
    connect: Option<Event>,
    reasm: [Vec<u8>; 2],
    in_garbage: [bool; 2],
    weirds: u32,
    /// Rack/slot byte of the called TSAP, once the connection request was seen.
    unit: Option<u32>,
    plus: s7plus::PlusState,
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at + 2).map(|s| u16::from_be_bytes([s[0], s[1]]))
}

/// The 6 bytes at the front look like TPKT + COTP (resynchronisation window).
fn plausible_frame(w: &[u8]) -> bool {
    plausible_tpkt(w)
        && w.get(4)
            .is_some_and(|&li| (li as usize) + 5 <= be16(w, 2).unwrap_or(0) as usize)
        && w.get(5).is_some_and(|&t| CotpType(t & 0xf0).is_known())
}

impl S7Session {
    pub(super) fn weird(
        &mut self,
        ctx: &FlowCtx,
        dir: Direction,
        proto: &'static str,
        name: &'static str,
        sink: &mut dyn EventSink,
    ) {
        self.weirds += 1;
        if self.weirds < MAX_WEIRDS_PER_FLOW {
            sink.event(ctx.weird(dir, proto, name));
        } else if self.weirds == MAX_WEIRDS_PER_FLOW {
            sink.event(ctx.weird(dir, PROTO, "s7comm_too_many_weirds"));
        }
    }

    fn event(
        &self,
        ctx: &FlowCtx,
        req_dir: Direction,
        name: Cow<'static, str>,
        op: OpClass,
    ) -> Event {
        let mut e = Event::new(
            ctx.ts,
            ctx.flow_id,
            ctx.src(req_dir),
            ctx.dst(req_dir),
            PROTO,
            op,
            name,
        );
        e.unit = self.unit;
        e
    }

    fn on_cotp_connect(
        &mut self,
        ctx: &FlowCtx,
        dir: Direction,
        c: &CotpConnect<'_>,
        request: bool,
        sink: &mut dyn EventSink,
    ) {
        if request {
            if let Some(old) = self.connect.take() {
                sink.event(old);
            }
            let mut e = self.event(ctx, dir, "cotp_connect".into(), OpClass::Session);
            push_tsaps(&mut e, c);
            if let Some(&[_, rs]) = c.dst_tsap {
                self.unit = Some(rs as u32);
                e.unit = self.unit;
            }
            self.connect = Some(e);
        } else {
            let mut e = match self.connect.take() {
                Some(e) => e,
                None => {
                    let mut e =
                        self.event(ctx, dir.reverse(), "cotp_connect".into(), OpClass::Session);
                    e.fields.push("request_seen", false);
                    push_tsaps(&mut e, c);
                    e
                }
            };
            e.fields.push_opt(
                "tpdu_size_confirmed",
                c.tpdu_size.map(|s| 1u32 << s.min(16)),
            );
            e.status = Some("ok".into());
            sink.event(e);
        }
    }

    fn push_pending(
        &mut self,
        ctx: &FlowCtx,
        dir: Direction,
        p: Pending,
        sink: &mut dyn EventSink,
    ) {
        if let Some(old) = self
            .pending
            .iter()
            .position(|q| q.key == p.key)
            .and_then(|i| self.pending.remove(i))
        {
            sink.event(old.event);
        }
        if self.pending.len() >= MAX_PENDING {
            self.weird(ctx, dir, PROTO, "s7comm_too_many_pending", sink);
            if let Some(old) = self.pending.pop_front() {
                sink.event(old.event);
            }
        }
        self.pending.push_back(p);
    }

    fn take_pending(&mut self, key: Key) -> Option<Pending> {
        let i = self.pending.iter().position(|q| q.key == key)?;
        self.pending.remove(i)
    }

    fn on_job(&mut self, ctx: &FlowCtx, dir: Direction, pdu: &S7Pdu<'_>, sink: &mut dyn EventSink) {
        let func = pdu.param.first().copied().unwrap_or(0);
        let (name, op) = job_function(S7Function(func));
        let mut e = self.event(ctx, dir, name, op);
        e.fields.push("rosctr", "job");
        e.fields.push("pdu_ref", pdu.header.pdu_ref);
        e.fields.push("function_code", func);
        let p = pdu.param;
        let mut items = Vec::new();
        match S7Function(func) {
            S7Function::READ_VAR | S7Function::WRITE_VAR => match parse_var_items(p) {
                Ok((its, cut)) => {
                    push_item_fields(&mut e, &its, cut);
                    if func == 0x05 {
                        match parse_data_items(pdu.data, its.len()) {
                            Ok(d) => {
                                for (it, di) in its.iter().zip(&d) {
                                    push_item_points(&mut e, it, di.data);
                                }
                            }
                            Err(w) => self.weird(ctx, dir, PROTO, w, sink),
                        }
                    }
                    items = its;
                }
                Err(w) => self.weird(ctx, dir, PROTO, w, sink),
            },
            S7Function::SETUP_COMMUNICATION => {
                e.fields.push_opt("max_amq_calling", be16(p, 2));
                e.fields.push_opt("max_amq_called", be16(p, 4));
                e.fields.push_opt("pdu_size", be16(p, 6));
            }
            S7Function(0x1a..=0x1d) => {
                if let Some(&n) = p.get(8)
                    && let Some(name) = p.get(9..9 + n as usize)
                {
                    push_block_name(&mut e, name);
                }
            }
            S7Function::PI_SERVICE => {
                let plen = be16(p, 8).unwrap_or(0) as usize;
                let params = p.get(10..10 + plen).unwrap_or(&[]);
                if let Some(&n) = p.get(10 + plen) {
                    let name = p.get(11 + plen..11 + plen + n as usize).unwrap_or(&[]);
                    let v = Value::text(name);
                    if let Some(s) = v.as_str() {
                        e.op = pi_service_op(s);
                    }
                    e.fields.push("pi_service", v);
                }
                if !params.is_empty() {
                    e.fields.push("pi_params", Value::text(params));
                }
            }
            S7Function::PLC_STOP => {
                if let Some(&n) = p.get(6) {
                    e.fields.push(
                        "pi_service",
                        Value::text(p.get(7..7 + n as usize).unwrap_or(&[])),
                    );
                }
            }
            _ => {}
        }
        self.push_pending(
            ctx,
            dir,
            Pending {
                key: Key::Job(pdu.header.pdu_ref),
                func,
                items,
                event: e,
            },
            sink,
        );
    }

    fn on_ack(&mut self, ctx: &FlowCtx, dir: Direction, pdu: &S7Pdu<'_>, sink: &mut dyn EventSink) {
        let func = pdu.param.first().copied();
        let (mut e, items) = match self.take_pending(Key::Job(pdu.header.pdu_ref)) {
            Some(p) => {
                if func.is_some_and(|f| f != p.func) {
                    self.weird(ctx, dir, PROTO, "s7comm_function_mismatch", sink);
                }
                (p.event, p.items)
            }
            None => {
                let (name, op) = match func {
                    Some(f) => job_function(S7Function(f)),
                    None => ("ack".into(), OpClass::Other),
                };
                let mut e = self.event(ctx, dir.reverse(), name, op);
                e.fields.push("rosctr", "job");
                e.fields.push("pdu_ref", pdu.header.pdu_ref);
                e.fields.push_opt("function_code", func);
                e.fields.push("request_seen", false);
                (e, Vec::new())
            }
        };
        let (class, code) = (
            pdu.header.error_class.unwrap_or(0),
            pdu.header.error_code.unwrap_or(0),
        );
        e.status = Some("ok".into());
        e.fields.push(
            "response_rosctr",
            if pdu.header.rosctr == Rosctr::ACK {
                "ack"
            } else {
                "ack_data"
            },
        );
        if class != 0 || code != 0 {
            e.fields.push("error_class", class);
            e.fields.push("error_code", code);
            e.status = Some(error_class_name(class));
        } else if pdu.header.rosctr == Rosctr::ACK_DATA {
            let count = pdu.param.get(1).copied().unwrap_or(0) as usize;
            match func.map(S7Function) {
                Some(S7Function::READ_VAR) => {
                    if let Err(w) = apply_read_data(&mut e, &items, pdu.data, count) {
                        self.weird(ctx, dir, PROTO, w, sink);
                    }
                }
                Some(S7Function::WRITE_VAR) => {
                    apply_return_codes(&mut e, pdu.data.iter().take(count).copied());
                }
                Some(S7Function::SETUP_COMMUNICATION) => {
                    e.fields.push_opt("pdu_size_negotiated", be16(pdu.param, 6));
                }
                _ => {}
            }
        }
        sink.event(e);
    }

    fn on_userdata(
        &mut self,
        ctx: &FlowCtx,
        dir: Direction,
        pdu: &S7Pdu<'_>,
        sink: &mut dyn EventSink,
    ) {
        let up = match parse_userdata_param(pdu.param) {
            Ok(u) => u,
            Err(w) => return self.weird(ctx, dir, PROTO, w, sink),
        };
        let ud = parse_userdata_data(pdu.data);
        let key = Key::Userdata(pdu.header.pdu_ref);
        let szl = up.group == 4 && up.subfunction == 1;
        let new = |s: &Self, req_dir: Direction| {
            let (name, op) = userdata_function(up.group, up.subfunction);
            let mut e = s.event(ctx, req_dir, name, op);
            e.fields.push("rosctr", "userdata");
            e.fields.push("pdu_ref", pdu.header.pdu_ref);
            e.fields.push("function_group", up.group);
            e.fields.push("subfunction", up.subfunction);
            e.fields.push("sequence", up.seq);
            e
        };
        match up.kind {
            4 => {
                let mut e = new(self, dir);
                e.fields.push("userdata_type", "request");
                if let (true, Some(d)) = (szl, ud) {
                    e.fields.push_opt("szl_id", be16(d.data, 0));
                    e.fields.push_opt("szl_index", be16(d.data, 2));
                }
                self.push_pending(
                    ctx,
                    dir,
                    Pending {
                        key,
                        func: 0,
                        items: Vec::new(),
                        event: e,
                    },
                    sink,
                );
            }
            8 => {
                let mut e = match self.take_pending(key) {
                    Some(p) => p.event,
                    None => {
                        let mut e = new(self, dir.reverse());
                        e.fields.push("userdata_type", "request");
                        e.fields.push("request_seen", false);
                        e
                    }
                };
                e.status = Some("ok".into());
                if let Some(ec) = up.error_code.filter(|&c| c != 0) {
                    e.fields.push("error_code", ec);
                    e.status = Some("userdata_error".into());
                }
                if up.last_data_unit.is_some_and(|l| l != 0) {
                    e.fields.push("more_data_units", true);
                }
                if let Some(d) = ud {
                    if d.return_code != 0xff {
                        e.fields.push("return_code", d.return_code);
                        if up.error_code.unwrap_or(0) == 0 {
                            e.status = Some(return_code_name(d.return_code));
                        }
                    } else if szl {
                        apply_szl(&mut e, d.data);
                    }
                }
                sink.event(e);
            }
            _ => {
                // Push (type 0): cyclic data, alarms, mode transitions — one-way.
                let mut e = new(self, dir);
                e.fields.push("userdata_type", "push");
                sink.event(e);
            }
        }
    }

    fn on_pdu(&mut self, ctx: &FlowCtx, dir: Direction, payload: &[u8], sink: &mut dyn EventSink) {
        match payload.first() {
            Some(&S7_PROTOCOL_ID) => match parse_s7(payload) {
                Ok(pdu) => match pdu.header.rosctr {
                    Rosctr::JOB => self.on_job(ctx, dir, &pdu, sink),
                    Rosctr::USERDATA => self.on_userdata(ctx, dir, &pdu, sink),
                    _ => self.on_ack(ctx, dir, &pdu, sink),
                },
                Err(w) => self.weird(ctx, dir, PROTO, w, sink),
            },
            Some(&S7PLUS_PROTOCOL_ID) => {
                let unit = self.unit;
                let mut weird = None;
                self.plus.on_pdu(ctx, dir, payload, unit, sink, &mut weird);
                if let Some(w) = weird {
                    self.weird(ctx, dir, s7plus::PROTO, w, sink);
                }
            }
            _ => self.weird(ctx, dir, PROTO, "s7comm_unknown_payload", sink),
        }
    }

    fn on_tpdu(&mut self, ctx: &FlowCtx, dir: Direction, tpdu: &[u8], sink: &mut dyn EventSink) {
        match parse_cotp(tpdu) {
            Ok(CotpPdu::ConnectRequest(c)) => self.on_cotp_connect(ctx, dir, &c, true, sink),
            Ok(CotpPdu::ConnectConfirm(c)) => self.on_cotp_connect(ctx, dir, &c, false, sink),
            Ok(CotpPdu::Data { eot, payload, .. }) => {
                let buf = &mut self.reasm[dir.index()];
                if eot && buf.is_empty() {
                    return self.on_pdu(ctx, dir, payload, sink);
                }
                if buf.len() + payload.len() > MAX_S7_PDU {
                    buf.clear();
                    return self.weird(ctx, dir, PROTO, "s7comm_reassembly_overflow", sink);
                }
                buf.extend_from_slice(payload);
                if eot {
                    let whole = std::mem::take(&mut self.reasm[dir.index()]);
                    self.on_pdu(ctx, dir, &whole, sink);
                }
            }
            Ok(CotpPdu::Other(_)) => {}
            Err(w) => self.weird(ctx, dir, PROTO, w, sink),
        }
    }
}

fn push_tsaps(e: &mut Event, c: &CotpConnect<'_>) {
    for (key, t) in [("src_tsap", c.src_tsap), ("dst_tsap", c.dst_tsap)] {
        match t {
            Some(&[a, b]) => e.fields.push(key, u16::from_be_bytes([a, b])),
            Some(t) => e.fields.push(key, Value::text(t)),
            None => {}
        }
    }
    if let Some(&[ct, rs]) = c.dst_tsap {
        e.fields.push("connection_type", ct);
        e.fields.push("rack", rs >> 5);
        e.fields.push("slot", rs & 0x1f);
    }
    e.fields
        .push_opt("tpdu_size", c.tpdu_size.map(|s| 1u32 << s.min(16)));
}

impl TcpSession for S7Session {
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
            match parse_tpkt(rest) {
                Parsed::Ok(tpdu, n) => {
                    off += n;
                    self.in_garbage[dir.index()] = false;
                    self.on_tpdu(ctx, dir, tpdu, sink);
                }
                Parsed::Incomplete(need) => return Progress::partial(off, need),
                Parsed::Invalid(name) => {
                    if !self.in_garbage[dir.index()] {
                        self.in_garbage[dir.index()] = true;
                        self.reasm[dir.index()].clear();
                        self.weird(ctx, dir, PROTO, name, sink);
                    }
                    // Skip to the next 6-byte window that looks like TPKT + COTP; keep
                    // incomplete windows so the result does not depend on segmentation.
                    let mut skip = 1;
                    loop {
                        match rest.get(skip..skip + 6) {
                            Some(w) if plausible_frame(w) => break,
                            Some(_) => skip += 1,
                            None => {
                                off += skip;
                                return Progress::partial(off, 6 - (data.len() - off));
                            }
                        }
                    }
                    off += skip;
                }
            }
        }
        Progress::all(off)
    }

    fn on_gap(&mut self, ctx: &FlowCtx, dir: Direction, _len: u64, sink: &mut dyn EventSink) {
        self.reasm[dir.index()].clear();
        self.in_garbage[dir.index()] = false;
        self.weird(ctx, dir, PROTO, "s7comm_gap", sink);
    }

    fn on_close(&mut self, _ctx: &FlowCtx, sink: &mut dyn EventSink) {
        if let Some(e) = self.connect.take() {
            sink.event(e);
        }
        for p in self.pending.drain(..) {
            sink.event(p.event);
        }
        self.plus.flush(sink);
    }

    fn protocol(&self) -> Option<&'static str> {
        Some(PROTO)
    }
}
