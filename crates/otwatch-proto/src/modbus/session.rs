//! Per-flow Modbus/TCP state: pairs requests and responses by transaction id,
//! resynchronises after garbage or gaps, and emits one event per transaction.

use super::events::*;
use super::parser::{Parsed, parse_adu, parse_request, parse_response, plausible_header};
use super::types::*;
use otwatch_core::{Direction, Event, EventSink, FlowCtx, Progress, TcpSession, Value};
use std::collections::VecDeque;

/// The standard server port, used only to orient a flow whose handshake was missed.
const PORT: u16 = 502;

#[derive(Debug)]
struct Pending {
    txid: u16,
    unit: u8,
    fc: FunctionCode,
    read: Option<ReadContext>,
    event: Event,
}

/// Session state of one Modbus/TCP flow.
#[derive(Debug, Default)]
pub struct ModbusSession {
    pending: VecDeque<Pending>,
    /// Direction in which requests travel, fixed on the first PDU.
    req_dir: Option<Direction>,
    /// Per direction: inside a run of garbage (one weird per run).
    in_garbage: [bool; 2],
    weirds: u32,
}

impl ModbusSession {
    fn weird(
        &mut self,
        ctx: &FlowCtx,
        dir: Direction,
        name: &'static str,
        sink: &mut dyn EventSink,
    ) {
        self.weirds += 1;
        if self.weirds < MAX_WEIRDS_PER_FLOW {
            sink.event(ctx.weird(dir, "modbus", name));
        } else if self.weirds == MAX_WEIRDS_PER_FLOW {
            sink.event(ctx.weird(dir, "modbus", "modbus_too_many_weirds"));
        }
    }

    /// Requests travel towards port 502 when one side uses it; otherwise client → server.
    fn request_dir(&mut self, ctx: &FlowCtx) -> Direction {
        *self
            .req_dir
            .get_or_insert(if ctx.client.port == PORT && ctx.server.port != PORT {
                Direction::ToClient
            } else {
                Direction::ToServer
            })
    }

    fn new_event(ctx: &FlowCtx, req_dir: Direction, pdu: &ModbusPdu<'_>) -> Event {
        let (name, op) = function_name(pdu.fc);
        let mut e = Event::new(
            ctx.ts,
            ctx.flow_id,
            ctx.src(req_dir),
            ctx.dst(req_dir),
            "modbus",
            op,
            name,
        );
        e.unit = Some(pdu.unit as u32);
        e.fields.push("txid", pdu.txid);
        e.fields.push("fc", pdu.fc.base().0);
        e
    }

    fn flush_expired(&mut self, ctx: &FlowCtx, sink: &mut dyn EventSink) {
        while self
            .pending
            .front()
            .is_some_and(|p| ctx.ts.since(p.event.ts) > REQUEST_TIMEOUT_NS)
        {
            if let Some(p) = self.pending.pop_front() {
                sink.event(p.event);
            }
        }
    }

    fn on_request(
        &mut self,
        ctx: &FlowCtx,
        dir: Direction,
        pdu: &ModbusPdu<'_>,
        sink: &mut dyn EventSink,
    ) {
        let mut e = Self::new_event(ctx, dir, pdu);
        let read = match parse_request(pdu.fc, pdu.data) {
            Ok(req) => apply_request(&mut e, pdu.fc, &req),
            Err(w) => {
                self.weird(ctx, dir, w, sink);
                e.fields.push("malformed", true);
                None
            }
        };
        // A reused transaction id supersedes the older request (it got no answer).
        if let Some(old) = self
            .pending
            .iter()
            .position(|p| p.txid == pdu.txid && p.unit == pdu.unit)
            .and_then(|i| self.pending.remove(i))
        {
            sink.event(old.event);
        }
        if self.pending.len() >= MAX_PENDING {
            self.weird(ctx, dir, "modbus_too_many_pending", sink);
            if let Some(old) = self.pending.pop_front() {
                sink.event(old.event);
            }
        }
        self.pending.push_back(Pending {
            txid: pdu.txid,
            unit: pdu.unit,
            fc: pdu.fc,
            read,
            event: e,
        });
    }

    fn on_response(
        &mut self,
        ctx: &FlowCtx,
        dir: Direction,
        pdu: &ModbusPdu<'_>,
        sink: &mut dyn EventSink,
    ) {
        let idx = self
            .pending
            .iter()
            .position(|p| p.txid == pdu.txid && p.unit == pdu.unit)
            .or_else(|| self.pending.iter().position(|p| p.txid == pdu.txid));
        let (mut e, rc, seen, req_fc) = match idx.and_then(|i| self.pending.remove(i)) {
            Some(p) => (p.event, p.read, true, Some(p.fc)),
            None => {
                let mut e = Self::new_event(ctx, dir.reverse(), pdu);
                e.fields.push("request_seen", false);
                (e, None, false, None)
            }
        };
        if req_fc.is_some_and(|f| f.base() != pdu.fc.base()) {
            self.weird(ctx, dir, "modbus_function_mismatch", sink);
        }
        match parse_response(pdu.fc, pdu.data) {
            Ok(rsp) => {
                apply_response(&mut e, &rsp, rc, seen);
            }
            Err(w) => {
                self.weird(ctx, dir, w, sink);
                e.status = Some("malformed_response".into());
            }
        }
        sink.event(e);
    }
}

impl TcpSession for ModbusSession {
    fn on_data(
        &mut self,
        ctx: &FlowCtx,
        dir: Direction,
        data: &[u8],
        sink: &mut dyn EventSink,
    ) -> Progress {
        let req_dir = self.request_dir(ctx);
        let mut off = 0;
        while off < data.len() {
            let rest = &data[off..];
            match parse_adu(rest) {
                Parsed::Ok(pdu, n) => {
                    off += n;
                    self.in_garbage[dir.index()] = false;
                    self.flush_expired(ctx, sink);
                    if n > MAX_ADU_LEN {
                        self.weird(ctx, dir, "modbus_oversized_adu", sink);
                    }
                    if !pdu.fc.is_plausible() {
                        self.weird(ctx, dir, "modbus_bad_function_code", sink);
                    }
                    if dir == req_dir {
                        self.on_request(ctx, dir, &pdu, sink);
                    } else {
                        self.on_response(ctx, dir, &pdu, sink);
                    }
                }
                Parsed::Incomplete(need) => return Progress::partial(off, need),
                Parsed::Invalid(name) => {
                    if !self.in_garbage[dir.index()] {
                        self.in_garbage[dir.index()] = true;
                        self.weird(ctx, dir, name, sink);
                    }
                    // Resynchronise: skip to the next position whose 8 bytes look like a
                    // header. Positions whose window is not yet complete are kept, so the
                    // outcome does not depend on how the stream was segmented.
                    let mut skip = 1;
                    loop {
                        match rest.get(skip..skip + MBAP_LEN + 1) {
                            Some(w) if plausible_header(w) => break,
                            Some(_) => skip += 1,
                            None => {
                                off += skip;
                                return Progress::partial(off, MBAP_LEN + 1 - (data.len() - off));
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
        self.weird(ctx, dir, "modbus_gap", sink);
        self.in_garbage[dir.index()] = false;
    }

    fn on_close(&mut self, _ctx: &FlowCtx, sink: &mut dyn EventSink) {
        for p in self.pending.drain(..) {
            sink.event(p.event);
        }
    }

    fn protocol(&self) -> Option<&'static str> {
        Some("modbus")
    }
}

/// Marks an event as coming from a response whose request was not seen (helper for tests).
pub fn request_seen(e: &Event) -> bool {
    !matches!(e.fields.get("request_seen"), Some(Value::Bool(false)))
}
