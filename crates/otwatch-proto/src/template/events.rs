//! Transactions → events. Weird names used by this protocol:
//! `template_bad_magic`, `template_bad_length`, `template_unmatched_response`,
//! `template_too_many_pending`.

use super::types::FunctionCode;
use otwatch_core::{Event, FlowCtx, OpClass, Point};
use std::borrow::Cow;

/// Cap on requests awaiting a response per flow.
pub const MAX_PENDING: usize = 64;

/// Name and operation class of a function code.
pub fn function_name(fc: FunctionCode) -> (Cow<'static, str>, OpClass) {
    match fc.base() {
        FunctionCode::READ => (Cow::Borrowed("read"), OpClass::Read),
        FunctionCode::WRITE => (Cow::Borrowed("write"), OpClass::Write),
        other => (Event::unknown_code(other.0), OpClass::Other),
    }
}

/// A request as remembered until its response arrives.
#[derive(Clone, Debug)]
pub struct TemplateTransaction {
    /// Request time.
    pub ts: otwatch_core::Timestamp,
    /// Transaction id.
    pub txid: u16,
    /// Function code.
    pub fc: FunctionCode,
    /// Address from the request body.
    pub address: Option<u16>,
    /// Value written, for writes.
    pub value: Option<u16>,
}

impl TemplateTransaction {
    /// Renders the transaction as an event (`status` is `None` when no response came).
    pub fn to_event(&self, ctx: &FlowCtx, status: Option<&'static str>) -> Event {
        let (name, op) = function_name(self.fc);
        let mut e = Event::new(
            self.ts,
            ctx.flow_id,
            ctx.client,
            ctx.server,
            "template",
            op,
            name,
        );
        e.status = status.map(Cow::Borrowed);
        e.fields.push_opt("address", self.address);
        if let (Some(a), Some(v)) = (self.address, self.value) {
            e.points.push(Point {
                space: "register",
                group: 0,
                index: a as u32,
                value: v as f64,
            });
        }
        e.fields.push("txid", self.txid);
        e
    }
}
