//! Per-flow state: encapsulation framing and resynchronisation over TCP, one
//! datagram per message over UDP, and request/response pairing (SendRRData and the
//! list/register commands by sender context, SendUnitData by the connected
//! sequence count).

use super::cip::{
    parse_cip, parse_forward_open, parse_multiple, parse_unconnected_send, tag_name, typed_values,
};
use super::events::{
    self, MAX_PENDING, MAX_POINTS, MAX_WEIRDS_PER_FLOW, attribute_point, class, command_field,
    command_name, encap_status_name, general_status_name, pccc_op, service_name, tag_points,
};
use super::parser::{Parsed, Rd, parse_cpf, parse_encap, parse_header, parse_identity_item};
use super::types::{
    CipMessage, CipRequest, CipResponse, Command, ENCAP_HEADER_LEN, EncapPdu, Service, item,
};
use otwatch_core::{
    Direction, Event, EventSink, Fields, FlowCtx, Identity, IdentitySubject, OpClass, Point,
    Progress, TcpSession, Timestamp, UdpSession, Value,
};
use std::borrow::Cow;
use std::collections::VecDeque;

const PROTO: &str = "enip";

/// How a response finds its request.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum PairKey {
    /// Encapsulation command + sender context (unconnected and list commands).
    Context(u16, [u8; 8]),
    /// Connected data sequence count (SendUnitData).
    Seq(u16),
}

/// One CIP service call within a request (an embedded service of a Multiple
/// Service Packet or an Unconnected Send is a call of its own).
#[derive(Clone, Debug, Default)]
pub struct CipCall {
    /// Service code (response bit clear).
    pub service: u8,
    /// Class from the path.
    pub class: Option<u32>,
    /// Instance from the path.
    pub instance: Option<u32>,
    /// Attribute from the path.
    pub attribute: Option<u32>,
    /// Member / element from the path.
    pub member: Option<u32>,
    /// Tag name of a symbolic path.
    pub tag: Option<String>,
    /// Tag name without element index (point key).
    pub tag_base: Option<String>,
    /// True when the request path had an unparsed segment.
    pub path_unparsed: bool,
    /// Carried in an Unconnected Send.
    pub via_unconnected: bool,
    /// Route (port, link address) of the Unconnected Send.
    pub route: Option<(u16, u8)>,
    /// (position, count) within a Multiple Service Packet.
    pub multiple: Option<(u16, u16)>,
    /// Name/op override (PCCC commands).
    pub name_override: Option<(&'static str, OpClass)>,
    /// Values written.
    pub points: Vec<Point>,
    /// Service-specific request fields (Forward Open, PCCC).
    pub fields: Fields,
}

/// A request remembered until its response arrives.
#[derive(Clone, Debug)]
pub struct EnipTransaction {
    /// Request time.
    pub ts: Timestamp,
    /// Direction the request travelled.
    pub dir: Direction,
    /// Encapsulation command.
    pub command: Command,
    /// Session handle.
    pub session: u32,
    /// Pairing key.
    pub key: PairKey,
    /// Connected address (connection id), for SendUnitData.
    pub connection_id: Option<u32>,
    /// CIP calls (empty for commands without CIP).
    pub calls: Vec<CipCall>,
}

/// Per-flow state shared by the TCP and UDP sessions.
#[derive(Debug, Default)]
pub struct EnipCore {
    pending: VecDeque<EnipTransaction>,
    weirds: u32,
    resyncing: [bool; 2],
}

/// TCP (44818) session.
#[derive(Debug, Default)]
pub struct EnipSession {
    core: EnipCore,
}

/// UDP (44818) session: one encapsulation message per datagram.
#[derive(Debug, Default)]
pub struct EnipUdpSession {
    core: EnipCore,
}

/// UDP (2222) implicit I/O: counted, not dissected per packet.
#[derive(Debug, Default)]
pub struct EnipIoSession {
    packets: [u64; 2],
    bytes: [u64; 2],
    first: [Option<(Timestamp, u32, u32)>; 2],
    malformed: u64,
}

/// The CIP body of a SendRRData/SendUnitData message: connection id, sequence
/// count (connected data only) and CIP bytes.
struct CipBody<'a> {
    connection_id: Option<u32>,
    seq: Option<u16>,
    cip: Option<&'a [u8]>,
    truncated: bool,
}

fn cip_body(data: &[u8]) -> CipBody<'_> {
    let mut body = CipBody {
        connection_id: None,
        seq: None,
        cip: None,
        truncated: false,
    };
    let Some(mut items) = super::parser::parse_rr_body(data) else {
        body.truncated = true;
        return body;
    };
    for it in items.by_ref() {
        match it.type_id {
            item::CONNECTED_ADDRESS => {
                body.connection_id = Rd::new(it.data).u32();
            }
            item::CONNECTED_DATA => {
                let mut r = Rd::new(it.data);
                body.seq = r.u16();
                body.cip = Some(r.rest());
            }
            item::UNCONNECTED_DATA => body.cip = Some(it.data),
            _ => {}
        }
    }
    body.truncated = items.truncated();
    body
}

fn u16le(b: &[u8], off: usize) -> Option<u16> {
    b.get(off..off + 2)
        .map(|s| u16::from_le_bytes([s[0], s[1]]))
}

/// Builds the calls of a CIP request (unwrapping Unconnected Send and Multiple
/// Service Packet). Returns false in the flag when something was truncated.
fn calls_of(req: &CipRequest<'_>, depth: u8, out: &mut Vec<CipCall>) -> bool {
    let svc = req.service.base();
    if svc == Service::UNCONNECTED_SEND
        && req.path.class == Some(class::CONNECTION_MANAGER)
        && depth == 0
    {
        let Some((msg, route)) = parse_unconnected_send(req.data) else {
            out.push(call_of(req));
            return false;
        };
        let start = out.len();
        let ok = match parse_cip(msg) {
            Some(CipMessage::Request(inner)) => calls_of(&inner, depth + 1, out),
            _ => {
                out.push(call_of(req));
                false
            }
        };
        for c in out.iter_mut().skip(start) {
            c.via_unconnected = true;
            c.route = route.port;
        }
        return ok;
    }
    if svc == Service::MULTIPLE && depth < 2 {
        let (parts, mut ok) = parse_multiple(req.data);
        let n = parts.len() as u16;
        for (i, part) in parts.iter().enumerate() {
            match parse_cip(part) {
                Some(CipMessage::Request(inner)) => {
                    let mut c = call_of(&inner);
                    c.multiple = Some((i as u16, n));
                    out.push(c);
                }
                _ => ok = false,
            }
        }
        if parts.is_empty() {
            out.push(call_of(req));
        }
        return ok;
    }
    out.push(call_of(req));
    true
}

fn call_of(req: &CipRequest<'_>) -> CipCall {
    let p = &req.path;
    let tag = tag_name(p);
    let tag_base = if p.n_symbols > 0 {
        let mut q = *p;
        q.member = None;
        tag_name(&q)
    } else {
        None
    };
    let mut c = CipCall {
        service: req.service.base(),
        class: p.class,
        instance: p.instance,
        attribute: p.attribute,
        member: p.member,
        tag,
        tag_base,
        path_unparsed: p.unparsed,
        ..CipCall::default()
    };
    let d = req.data;
    match (c.service, c.class) {
        (0x4d, _) | (0x53, _) if c.tag_base.is_some() => {
            // Write Tag: type u16, element count u16, [offset u32 when fragmented], data.
            if let (Some(t), Some(base)) = (u16le(d, 0), c.tag_base.as_deref()) {
                let skip = if c.service == 0x53 { 8 } else { 4 };
                let vals = typed_values(t, d.get(skip..).unwrap_or(&[]), MAX_POINTS);
                c.points = tag_points(base, c.member.unwrap_or(0), &vals);
                c.fields.push("cip_data_type", t);
            }
        }
        (0x10, Some(cls)) => {
            if let (Some(i), Some(a)) = (c.instance, c.attribute) {
                c.points.extend(attribute_point(cls, i, a, d));
            }
        }
        (Service::FORWARD_OPEN | Service::LARGE_FORWARD_OPEN, Some(class::CONNECTION_MANAGER)) => {
            if let Some(fo) = parse_forward_open(d, c.service == Service::LARGE_FORWARD_OPEN) {
                c.fields.push("t_o_connection_id", fo.t_o_connection_id);
                c.fields.push("connection_serial", fo.connection_serial);
                c.fields.push("originator_vendor", fo.originator_vendor);
                c.fields.push("originator_serial", fo.originator_serial);
                c.fields.push("o_t_rpi_us", fo.o_t_rpi);
                c.fields.push("t_o_rpi_us", fo.t_o_rpi);
                c.fields.push("transport_class", fo.transport & 0x0f);
                c.fields.push_opt("target_class", fo.path.class);
                c.fields.push_opt("target_instance", fo.path.instance);
                c.fields
                    .push_opt("target_connection_point", fo.path.connection_point);
            }
        }
        (0x4b, Some(class::PCCC)) => {
            // Requestor id (length byte counts itself), then CMD, STS, TNS u16, FNC.
            if let Some(&n) = d.first() {
                let n = n as usize;
                if let (Some(&cmd), Some(&fnc)) = (d.get(n), d.get(n + 4)) {
                    c.name_override = Some(pccc_op(cmd, fnc));
                    c.fields.push("pccc_command", cmd);
                    c.fields.push("pccc_function", fnc);
                }
            }
        }
        _ => {}
    }
    c
}

/// Values a response returns for a call.
fn response_points(call: &CipCall, rsp: &CipResponse<'_>) -> Vec<Point> {
    if rsp.general_status != 0 && rsp.general_status != 6 {
        return Vec::new();
    }
    match call.service {
        0x4c | 0x52 => match (u16le(rsp.data, 0), call.tag_base.as_deref()) {
            (Some(t), Some(base)) => {
                let vals = typed_values(t, rsp.data.get(2..).unwrap_or(&[]), MAX_POINTS);
                tag_points(base, call.member.unwrap_or(0), &vals)
            }
            _ => Vec::new(),
        },
        0x0e => match (call.class, call.instance, call.attribute) {
            (Some(c), Some(i), Some(a)) => attribute_point(c, i, a, rsp.data).into_iter().collect(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

impl EnipCore {
    fn weird(
        &mut self,
        ctx: &FlowCtx,
        dir: Direction,
        name: &'static str,
        sink: &mut dyn EventSink,
    ) {
        self.weirds += 1;
        if self.weirds <= MAX_WEIRDS_PER_FLOW {
            sink.event(ctx.weird(dir, PROTO, name));
        } else if self.weirds == MAX_WEIRDS_PER_FLOW + 1 {
            sink.event(ctx.weird(dir, PROTO, "enip_weird_limit"));
        }
    }

    fn push_pending(&mut self, ctx: &FlowCtx, t: EnipTransaction, sink: &mut dyn EventSink) {
        if self.pending.len() >= MAX_PENDING {
            self.weird(ctx, t.dir, "enip_too_many_pending", sink);
            if let Some(old) = self.pending.pop_front() {
                emit(ctx, &old, None, sink);
            }
        }
        self.pending.push_back(t);
    }

    fn take_pending(&mut self, key: PairKey, rsp_dir: Direction) -> Option<EnipTransaction> {
        let i = self
            .pending
            .iter()
            .position(|t| t.key == key && t.dir != rsp_dir)?;
        self.pending.remove(i)
    }

    /// Handles one complete encapsulation message.
    fn on_message(
        &mut self,
        ctx: &FlowCtx,
        dir: Direction,
        pdu: &EncapPdu<'_>,
        sink: &mut dyn EventSink,
    ) {
        let h = &pdu.header;
        match h.command {
            Command::SEND_RR_DATA | Command::SEND_UNIT_DATA => {
                self.on_data_message(ctx, dir, pdu, sink)
            }
            Command::NOP => {} // keep-alive without reply: not an event (documented)
            Command::UNREGISTER_SESSION => {
                let t = self.base_transaction(ctx, dir, pdu);
                emit(ctx, &t, None, sink);
            }
            Command::LIST_IDENTITY
            | Command::LIST_SERVICES
            | Command::LIST_INTERFACES
            | Command::REGISTER_SESSION
            | Command::INDICATE_STATUS
            | Command::CANCEL => {
                let is_request = match h.command {
                    Command::REGISTER_SESSION => h.session == 0 && h.status == 0,
                    _ => pdu.data.is_empty() && h.status == 0,
                };
                if is_request {
                    let t = self.base_transaction(ctx, dir, pdu);
                    self.push_pending(ctx, t, sink);
                } else {
                    let key = PairKey::Context(h.command.0, h.context);
                    let (t, seen) = match self.take_pending(key, dir) {
                        Some(t) => (t, true),
                        None => (self.base_transaction(ctx, dir.reverse(), pdu), false),
                    };
                    let mut e = base_event(ctx, &t);
                    e.status = Some(encap_status_name(h.status));
                    e.fields.push("session_handle", h.session);
                    if !seen {
                        e.fields.push("request_seen", false);
                    }
                    reply_details(h.command, pdu.data, &mut e);
                    sink.event(e);
                }
            }
            _ => {
                let t = self.base_transaction(ctx, dir, pdu);
                emit(ctx, &t, None, sink);
            }
        }
    }

    fn base_transaction(
        &self,
        ctx: &FlowCtx,
        dir: Direction,
        pdu: &EncapPdu<'_>,
    ) -> EnipTransaction {
        EnipTransaction {
            ts: ctx.ts,
            dir,
            command: pdu.header.command,
            session: pdu.header.session,
            key: PairKey::Context(pdu.header.command.0, pdu.header.context),
            connection_id: None,
            calls: Vec::new(),
        }
    }

    fn on_data_message(
        &mut self,
        ctx: &FlowCtx,
        dir: Direction,
        pdu: &EncapPdu<'_>,
        sink: &mut dyn EventSink,
    ) {
        let h = &pdu.header;
        let body = cip_body(pdu.data);
        if body.truncated {
            self.weird(ctx, dir, "enip_cpf_truncated", sink);
        }
        let key = match (h.command, body.seq) {
            (Command::SEND_UNIT_DATA, Some(s)) => PairKey::Seq(s),
            _ => PairKey::Context(h.command.0, h.context),
        };
        let msg = body.cip.and_then(parse_cip);
        match msg {
            Some(CipMessage::Request(req)) => {
                let mut calls = Vec::new();
                if !calls_of(&req, 0, &mut calls) {
                    self.weird(ctx, dir, "enip_multiple_truncated", sink);
                }
                let t = EnipTransaction {
                    ts: ctx.ts,
                    dir,
                    command: h.command,
                    session: h.session,
                    key,
                    connection_id: body.connection_id,
                    calls,
                };
                self.push_pending(ctx, t, sink);
            }
            Some(CipMessage::Response(rsp)) => {
                let (t, seen) = match self.take_pending(key, dir) {
                    Some(t) => (t, true),
                    None => {
                        let base = rsp.service.base();
                        let guess_logix = matches!(base, 0x4c | 0x4d | 0x53 | 0x55);
                        let mut c = CipCall {
                            service: base,
                            ..CipCall::default()
                        };
                        if guess_logix {
                            c.name_override = Some(match service_name(base, None, true) {
                                (Cow::Borrowed(n), op) => (n, op),
                                (Cow::Owned(_), op) => ("unknown", op),
                            });
                        }
                        let t = EnipTransaction {
                            ts: ctx.ts,
                            dir: dir.reverse(),
                            command: h.command,
                            session: h.session,
                            key,
                            connection_id: body.connection_id,
                            calls: vec![c],
                        };
                        (t, false)
                    }
                };
                emit_with_response(ctx, &t, &rsp, seen, sink);
            }
            None => {
                if body.cip.is_some() {
                    self.weird(ctx, dir, "enip_cip_truncated", sink);
                }
                // An encapsulation-level error reply carries no CIP: close the request.
                if h.status != 0
                    && let Some(t) = self.take_pending(key, dir)
                {
                    let mut e = base_event(ctx, &t);
                    e.status = Some(encap_status_name(h.status));
                    sink.event(e);
                }
            }
        }
    }

    fn flush(&mut self, ctx: &FlowCtx, sink: &mut dyn EventSink) {
        for t in self.pending.drain(..) {
            emit(ctx, &t, None, sink);
        }
    }
}

/// Event skeleton for a transaction without CIP calls.
fn base_event(ctx: &FlowCtx, t: &EnipTransaction) -> Event {
    let (name, op) = command_name(t.command);
    let mut e = Event::new(
        t.ts,
        ctx.flow_id,
        ctx.src(t.dir),
        ctx.dst(t.dir),
        PROTO,
        op,
        name,
    );
    e.fields.push("enip_command", command_field(t.command));
    e
}

/// Details of a list/register reply.
fn reply_details(cmd: Command, data: &[u8], e: &mut Event) {
    let items = parse_cpf(data);
    for it in items {
        match (cmd, it.type_id) {
            (Command::LIST_IDENTITY, item::LIST_IDENTITY) => {
                let Some(id) = parse_identity_item(it.data) else {
                    e.fields.push("identity_truncated", true);
                    continue;
                };
                let vendor = events::vendor_name(id.vendor_id);
                let product = otwatch_core::event::sanitize(id.product_name);
                e.fields.push("vendor_id", id.vendor_id);
                e.fields.push("vendor", Value::Str(vendor.to_string()));
                e.fields.push("device_type", id.device_type);
                e.fields
                    .push_opt("device_type_name", events::device_type_name(id.device_type));
                e.fields.push("product_code", id.product_code);
                e.fields.push(
                    "revision",
                    format!("{}.{:03}", id.revision_major, id.revision_minor),
                );
                e.fields.push("serial", format!("0x{:08x}", id.serial));
                e.fields.push("product_name", product.clone());
                e.fields.push(
                    "device_ip",
                    format!("{}.{}.{}.{}", id.ip[0], id.ip[1], id.ip[2], id.ip[3]),
                );
                e.fields.push_opt("device_state", id.state);
                e.identity = Some(Box::new(Identity {
                    subject: Some(IdentitySubject::Dst),
                    vendor: Some(vendor.into_owned()),
                    product: Some(product),
                    model: Some(format!("{}", id.product_code)),
                    firmware: Some(format!("{}.{}", id.revision_major, id.revision_minor)),
                    serial: Some(format!("{:08x}", id.serial)),
                    ..Identity::default()
                }));
                return; // one identity per reply
            }
            (Command::LIST_SERVICES, item::LIST_SERVICES) => {
                let mut r = Rd::new(it.data);
                let _version = r.u16();
                e.fields.push_opt("capability_flags", r.u16());
                if let Some(n) = r.take(16) {
                    e.fields
                        .push("service_name", otwatch_core::event::sanitize(n));
                }
            }
            (Command::REGISTER_SESSION, _) => {}
            _ => {}
        }
    }
}

/// Common CIP fields of a call.
fn call_event(ctx: &FlowCtx, t: &EnipTransaction, c: &CipCall) -> Event {
    let (name, op) = match c.name_override {
        Some((n, op)) => (Cow::Borrowed(n), op),
        None => service_name(c.service, c.class, c.tag.is_some()),
    };
    let mut e = Event::new(
        t.ts,
        ctx.flow_id,
        ctx.src(t.dir),
        ctx.dst(t.dir),
        PROTO,
        op,
        name,
    );
    e.fields.push("enip_command", command_field(t.command));
    e.fields.push("session_handle", t.session);
    e.fields.push("cip_service", c.service);
    e.fields.push_opt("cip_class", c.class);
    e.fields.push_opt("cip_instance", c.instance);
    e.fields.push_opt("cip_attribute", c.attribute);
    e.fields.push_opt("cip_member", c.member);
    e.fields.push_opt("tag", c.tag.clone());
    e.fields.push_opt("connection_id", t.connection_id);
    if let PairKey::Seq(s) = t.key {
        e.fields.push("cip_sequence", s);
    }
    if c.via_unconnected {
        e.fields.push("via_unconnected_send", true);
    }
    if let Some((port, link)) = c.route {
        e.fields.push("route_port", port);
        e.fields.push("route_link", link);
        e.unit = Some(link as u32);
    }
    if let Some((i, n)) = c.multiple {
        e.fields.push("multiple_index", i);
        e.fields.push("multiple_count", n);
    }
    if c.path_unparsed {
        e.fields.push("path_unparsed", true);
    }
    e.fields.0.extend(c.fields.0.iter().cloned());
    e.points = c.points.clone();
    e
}

/// Emits a transaction without (or before) its response.
fn emit(
    ctx: &FlowCtx,
    t: &EnipTransaction,
    status: Option<&'static str>,
    sink: &mut dyn EventSink,
) {
    if t.calls.is_empty() {
        let mut e = base_event(ctx, t);
        e.fields.push("session_handle", t.session);
        e.status = status.map(Cow::Borrowed);
        sink.event(e);
        return;
    }
    for c in &t.calls {
        let mut e = call_event(ctx, t, c);
        e.status = status.map(Cow::Borrowed);
        sink.event(e);
    }
}

fn apply_response(e: &mut Event, call: &CipCall, rsp: &CipResponse<'_>) {
    e.status = Some(general_status_name(rsp.general_status));
    e.fields.push("general_status", rsp.general_status);
    e.fields.push_opt("ext_status", rsp.ext_status);
    if matches!(
        call.service,
        Service::FORWARD_OPEN | Service::LARGE_FORWARD_OPEN
    ) && rsp.general_status == 0
    {
        let mut r = Rd::new(rsp.data);
        e.fields.push_opt("o_t_connection_id", r.u32());
    }
    let pts = response_points(call, rsp);
    if !pts.is_empty() {
        e.points = pts;
    }
    if e.points.len() >= MAX_POINTS {
        e.fields.push("points_truncated", true);
    }
}

fn emit_with_response(
    ctx: &FlowCtx,
    t: &EnipTransaction,
    rsp: &CipResponse<'_>,
    seen: bool,
    sink: &mut dyn EventSink,
) {
    let multi = t.calls.len() > 1 || t.calls.first().is_some_and(|c| c.multiple.is_some());
    let parts: Vec<Option<CipResponse<'_>>> = if multi
        && rsp.service.base() == Service::MULTIPLE
        && matches!(rsp.general_status, 0 | 0x1e)
    {
        parse_multiple(rsp.data)
            .0
            .iter()
            .map(|p| match parse_cip(p) {
                Some(CipMessage::Response(r)) => Some(r),
                _ => None,
            })
            .collect()
    } else {
        Vec::new()
    };
    for (i, c) in t.calls.iter().enumerate() {
        let mut e = call_event(ctx, t, c);
        if !seen {
            e.fields.push("request_seen", false);
        }
        let r = if multi && !parts.is_empty() {
            parts.get(i).copied().flatten()
        } else {
            Some(*rsp)
        };
        match r {
            Some(r) => apply_response(&mut e, c, &r),
            None => e.status = Some(Cow::Borrowed("missing_response")),
        }
        sink.event(e);
    }
}

/// Skips to the next offset where a plausible encapsulation header starts.
fn resync_skip(data: &[u8]) -> usize {
    for i in 1..data.len() {
        let rest = &data[i..];
        if rest.len() < ENCAP_HEADER_LEN {
            return i;
        }
        if let Some(h) = parse_header(rest)
            && matches!(parse_encap(rest), Parsed::Ok(..) | Parsed::Incomplete(_))
            && h.command.is_known()
        {
            return i;
        }
    }
    data.len()
}

impl TcpSession for EnipSession {
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
            match parse_encap(rest) {
                Parsed::Ok(pdu, n) => {
                    self.core.resyncing[dir.index()] = false;
                    self.core.on_message(ctx, dir, &pdu, sink);
                    off += n;
                }
                Parsed::Incomplete(need) => return Progress::partial(off, need),
                Parsed::Invalid(name) => {
                    if !self.core.resyncing[dir.index()] {
                        self.core.resyncing[dir.index()] = true;
                        self.core.weird(ctx, dir, name, sink);
                    }
                    let skip = resync_skip(rest);
                    if skip >= rest.len() || rest.len() - skip < ENCAP_HEADER_LEN {
                        // Keep a possible header prefix for the next call.
                        let keep = (rest.len() - skip.min(rest.len())).min(ENCAP_HEADER_LEN - 1);
                        return Progress::partial(data.len() - keep, 1);
                    }
                    off += skip;
                }
            }
        }
        Progress::all(off)
    }

    fn on_gap(&mut self, ctx: &FlowCtx, dir: Direction, _len: u64, sink: &mut dyn EventSink) {
        self.core.weird(ctx, dir, "enip_gap", sink);
    }

    fn on_close(&mut self, ctx: &FlowCtx, sink: &mut dyn EventSink) {
        self.core.flush(ctx, sink);
    }

    fn protocol(&self) -> Option<&'static str> {
        Some(PROTO)
    }
}

impl UdpSession for EnipUdpSession {
    fn on_datagram(
        &mut self,
        ctx: &FlowCtx,
        dir: Direction,
        data: &[u8],
        sink: &mut dyn EventSink,
    ) {
        match parse_encap(data) {
            Parsed::Ok(pdu, n) => {
                if n != data.len() {
                    self.core.weird(ctx, dir, "enip_length_mismatch", sink);
                }
                self.core.on_message(ctx, dir, &pdu, sink);
            }
            Parsed::Incomplete(_) => self.core.weird(ctx, dir, "enip_length_mismatch", sink),
            Parsed::Invalid(name) => self.core.weird(ctx, dir, name, sink),
        }
    }

    fn on_close(&mut self, ctx: &FlowCtx, sink: &mut dyn EventSink) {
        self.core.flush(ctx, sink);
    }

    fn protocol(&self) -> Option<&'static str> {
        Some(PROTO)
    }
}

impl UdpSession for EnipIoSession {
    fn on_datagram(
        &mut self,
        ctx: &FlowCtx,
        dir: Direction,
        data: &[u8],
        sink: &mut dyn EventSink,
    ) {
        let d = dir.index();
        match super::parser::parse_io(data) {
            Some((conn, seq, _len)) => {
                self.packets[d] += 1;
                self.bytes[d] += data.len() as u64;
                if self.first[d].is_none() {
                    self.first[d] = Some((ctx.ts, conn, seq));
                }
            }
            None => {
                self.malformed += 1;
                if self.malformed == 1 {
                    sink.event(ctx.weird(dir, PROTO, "enip_io_malformed"));
                }
            }
        }
    }

    fn on_close(&mut self, ctx: &FlowCtx, sink: &mut dyn EventSink) {
        for dir in [Direction::ToServer, Direction::ToClient] {
            let d = dir.index();
            let Some((ts, conn, seq)) = self.first[d] else {
                continue;
            };
            let mut e = Event::new(
                ts,
                ctx.flow_id,
                ctx.src(dir),
                ctx.dst(dir),
                PROTO,
                OpClass::Read,
                "implicit_io",
            );
            e.fields.push("connection_id", conn);
            e.fields.push("first_sequence", seq);
            e.fields.push("io_packets", self.packets[d]);
            e.fields.push("io_bytes", self.bytes[d]);
            if self.malformed > 0 {
                e.fields.push("io_malformed", self.malformed);
            }
            sink.event(e);
        }
    }

    fn protocol(&self) -> Option<&'static str> {
        Some(PROTO)
    }
}
