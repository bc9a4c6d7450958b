//! Per-flow state: pairs requests with responses by txid, resynchronises after
//! garbage or gaps, and emits one event per transaction.

use super::events::{MAX_PENDING, TemplateTransaction};
use super::parser::{Parsed, parse_frame};
use super::types::FunctionCode;
use otwatch_core::{Direction, EventSink, FlowCtx, Progress, TcpSession};
use std::collections::VecDeque;

/// Session state of one flow.
#[derive(Debug, Default)]
pub struct TemplateSession {
    pending: VecDeque<TemplateTransaction>,
}

impl TcpSession for TemplateSession {
    fn on_data(
        &mut self,
        ctx: &FlowCtx,
        dir: Direction,
        data: &[u8],
        sink: &mut dyn EventSink,
    ) -> Progress {
        let mut off = 0;
        while off < data.len() {
            match parse_frame(&data[off..]) {
                Parsed::Ok(pdu, n) => {
                    off += n;
                    let addr = pdu.body.get(..2).map(|b| u16::from_be_bytes([b[0], b[1]]));
                    if !pdu.fc.is_response() && dir == Direction::ToServer {
                        if self.pending.len() >= MAX_PENDING {
                            sink.event(ctx.weird(dir, "template", "template_too_many_pending"));
                            if let Some(old) = self.pending.pop_front() {
                                sink.event(old.to_event(ctx, None));
                            }
                        }
                        let value = if pdu.fc.base() == FunctionCode::WRITE {
                            pdu.body.get(2..4).map(|b| u16::from_be_bytes([b[0], b[1]]))
                        } else {
                            None
                        };
                        self.pending.push_back(TemplateTransaction {
                            ts: ctx.ts,
                            txid: pdu.txid,
                            fc: pdu.fc,
                            address: addr,
                            value,
                        });
                    } else if let Some(i) = self.pending.iter().position(|t| t.txid == pdu.txid) {
                        // Requests before the matched one got no response.
                        for t in self.pending.drain(..i) {
                            sink.event(t.to_event(ctx, None));
                        }
                        if let Some(t) = self.pending.pop_front() {
                            sink.event(t.to_event(ctx, Some("ok")));
                        }
                    } else {
                        // Mid-stream pickup: a response whose request we never saw.
                        sink.event(ctx.weird(dir, "template", "template_unmatched_response"));
                    }
                }
                Parsed::Incomplete(need) => return Progress::partial(off, need),
                Parsed::Invalid(name) => {
                    sink.event(ctx.weird(dir, "template", name));
                    // Resynchronise: skip to the next magic.
                    let skip = data[off + 1..]
                        .windows(2)
                        .position(|w| w == b"OW")
                        .map_or(data.len() - off, |p| p + 1);
                    off += skip;
                }
            }
        }
        Progress::all(off)
    }

    fn on_gap(&mut self, ctx: &FlowCtx, dir: Direction, _len: u64, sink: &mut dyn EventSink) {
        sink.event(ctx.weird(dir, "template", "template_gap"));
    }

    fn on_close(&mut self, ctx: &FlowCtx, sink: &mut dyn EventSink) {
        for t in self.pending.drain(..) {
            sink.event(t.to_event(ctx, None));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use otwatch_core::Transport;
    use otwatch_core::session::testing::{assert_segmentation_equivalent, ctx};

    fn frame(txid: u16, fc: u8, body: &[u8]) -> Vec<u8> {
        let mut v = b"OW".to_vec();
        v.extend_from_slice(&txid.to_be_bytes());
        v.extend_from_slice(&((body.len() + 1) as u16).to_be_bytes());
        v.push(fc);
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn pairs_and_is_segmentation_equivalent() {
        let c = ctx(7777, Transport::Tcp);
        let mut req = frame(1, 0x01, &[0, 5]);
        req.extend(frame(2, 0x02, &[0, 6, 0x01, 0xf4]));
        let mut rsp = frame(1, 0x81, &[0, 42]);
        rsp.extend(frame(2, 0x82, &[]));
        let msgs = vec![(Direction::ToServer, req), (Direction::ToClient, rsp)];
        let ev = assert_segmentation_equivalent(TemplateSession::default, &c, &msgs);
        assert_eq!(ev.len(), 2);
        assert_eq!(ev[0].function, "read");
        assert_eq!(ev[1].function, "write");
        assert_eq!(ev[1].points[0].value, 500.0);
        assert_eq!(ev[1].status.as_deref(), Some("ok"));
    }
}
