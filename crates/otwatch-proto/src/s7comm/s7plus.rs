//! S7comm-plus (protocol id 0x72, S7-1200/1500): header fields only — opcode,
//! function, sequence number, session id, integrity part presence. Requests pair with
//! responses by sequence number. No public specification exists; codes follow the
//! community Wireshark plugin's naming (s7commwireshark, T. Wiens).

use super::parser::parse_s7plus;
use otwatch_core::{Direction, Event, EventSink, FlowCtx, OpClass};
use std::borrow::Cow;
use std::collections::VecDeque;

/// Protocol name of S7comm-plus events.
pub const PROTO: &str = "s7comm_plus";
/// Cap on S7comm-plus requests awaiting a response per flow.
pub const MAX_PENDING: usize = 32;

/// Stable name and class of an S7comm-plus function code.
pub fn function_name(f: u16) -> (Cow<'static, str>, OpClass) {
    use OpClass::*;
    let (n, op) = match f {
        0x04b1 => ("error", Other),
        0x04bb => ("explore", Read),
        0x04ca => ("create_object", Session),
        0x04d4 => ("delete_object", Session),
        0x04f2 => ("set_variable", Write),
        0x04fc => ("get_variable", Read),
        0x0506 => ("add_link", Session),
        0x051a => ("remove_link", Session),
        0x0524 => ("get_link", Read),
        0x0542 => ("set_multi_variables", Write),
        0x054c => ("get_multi_variables", Read),
        0x0556 => ("begin_sequence", Program),
        0x0560 => ("end_sequence", Program),
        0x056b => ("invoke", Control),
        0x057c => ("set_var_sub_streamed", Program),
        0x0586 => ("get_var_sub_streamed", Read),
        0x0590 => ("get_variables_address", Read),
        0x059a => ("abort", Session),
        0x05a9 => ("error2", Other),
        0x05b3 => ("init_ssl", Session),
        n => return (Event::unknown_code(n), Other),
    };
    (Cow::Borrowed(n), op)
}

/// Per-flow S7comm-plus pairing state.
#[derive(Debug, Default)]
pub struct PlusState {
    pending: VecDeque<(u16, Event)>,
}

impl PlusState {
    /// Handles one reassembled S7comm-plus telegram; a weird name is returned via `weird`.
    pub fn on_pdu(
        &mut self,
        ctx: &FlowCtx,
        dir: Direction,
        b: &[u8],
        unit: Option<u32>,
        sink: &mut dyn EventSink,
        weird: &mut Option<&'static str>,
    ) {
        let p = match parse_s7plus(b) {
            Ok(p) => p,
            Err(w) => {
                *weird = Some(w);
                return;
            }
        };
        // Keep-alive telegrams (version 0xFE/0xFF) and empty ones carry no operation.
        let (Some(op), Some(func)) = (p.opcode, p.function) else {
            return;
        };
        if p.version > 3 {
            return;
        }
        let new = |req_dir: Direction| {
            let (name, class) = function_name(func);
            let mut e = Event::new(
                ctx.ts,
                ctx.flow_id,
                ctx.src(req_dir),
                ctx.dst(req_dir),
                PROTO,
                class,
                name,
            );
            e.unit = unit;
            e.fields.push("version", p.version);
            e.fields.push("function_code", func);
            e.fields.push_opt("sequence", p.seq);
            e.fields.push("integrity", p.integrity);
            e
        };
        match op {
            0x31 => {
                let mut e = new(dir);
                e.fields.push("opcode", "request");
                e.fields.push_opt("session_id", p.session_id);
                let seq = p.seq.unwrap_or(0);
                if let Some(i) = self.pending.iter().position(|(s, _)| *s == seq)
                    && let Some((_, old)) = self.pending.remove(i)
                {
                    sink.event(old);
                }
                if self.pending.len() >= MAX_PENDING {
                    *weird = Some("s7comm_plus_too_many_pending");
                    if let Some((_, old)) = self.pending.pop_front() {
                        sink.event(old);
                    }
                }
                self.pending.push_back((seq, e));
            }
            0x32 | 0x02 => {
                let seq = p.seq.unwrap_or(0);
                let found = self
                    .pending
                    .iter()
                    .position(|(s, _)| *s == seq)
                    .and_then(|i| self.pending.remove(i));
                let mut e = match found {
                    Some((_, e)) => e,
                    None => {
                        let mut e = new(dir.reverse());
                        e.fields.push("opcode", "request");
                        e.fields.push("request_seen", false);
                        e
                    }
                };
                e.status = Some("ok".into());
                sink.event(e);
            }
            0x33 => {
                let mut e = new(dir);
                e.fields.push("opcode", "notification");
                e.op = OpClass::Read;
                e.function = Cow::Borrowed("notification");
                sink.event(e);
            }
            _ => {
                let mut e = new(dir);
                e.fields.push("opcode_code", op);
                sink.event(e);
            }
        }
    }

    /// Flushes requests that got no response.
    pub fn flush(&mut self, sink: &mut dyn EventSink) {
        for (_, e) in self.pending.drain(..) {
            sink.event(e);
        }
    }
}
