//! ARP packets → events. Weird names: `arp_truncated`, `arp_unsupported_type`,
//! `arp_sender_mac_mismatch` (the Ethernet source differs from the ARP sender MAC:
//! proxy ARP, or spoofing).

use super::types::{ArpOp, ArpPdu};
use otwatch_core::{Endpoint, Event, FlowId, L2Ctx, Mac, OpClass};
use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr};

/// Stable function name of an ARP operation.
pub fn function_name(op: ArpOp) -> Cow<'static, str> {
    match op {
        ArpOp::REQUEST => Cow::Borrowed("request"),
        ArpOp::REPLY => Cow::Borrowed("reply"),
        ArpOp::RARP_REQUEST => Cow::Borrowed("rarp_request"),
        ArpOp::RARP_REPLY => Cow::Borrowed("rarp_reply"),
        other => Event::unknown_code(other.0),
    }
}

/// True for a gratuitous ARP: sender IP equals target IP (RFC 5227 announcement),
/// or a reply nobody asked for (sent to the Ethernet broadcast, or with a zero or
/// broadcast target MAC).
pub fn is_gratuitous(p: &ArpPdu, eth_dst: Mac) -> bool {
    if p.sender_ip == p.target_ip && !p.sender_ip.is_unspecified() {
        return true;
    }
    p.op == ArpOp::REPLY
        && (eth_dst == Mac::BROADCAST
            || p.target_mac == Mac::BROADCAST
            || p.target_mac == Mac::default())
}

/// Renders one ARP packet as an event: `src` is the sender (IP and MAC as claimed),
/// `dst` the target (its MAC from the packet, or the frame's destination when the
/// packet leaves it zero).
pub fn to_event(ctx: &L2Ctx, p: &ArpPdu) -> Event {
    let src = Endpoint {
        ip: Some(IpAddr::V4(p.sender_ip)),
        port: 0,
        mac: Some(p.sender_mac),
    };
    let dst_mac = if p.target_mac == Mac::default() {
        ctx.dst
    } else {
        p.target_mac
    };
    let dst = Endpoint {
        ip: Some(IpAddr::V4(p.target_ip)),
        port: 0,
        mac: Some(dst_mac),
    };
    let mut e = Event::new(
        ctx.ts,
        FlowId(0),
        src,
        dst,
        "arp",
        OpClass::Discovery,
        function_name(p.op),
    );
    e.fields.push("sender_mac", p.sender_mac.to_string());
    e.fields.push("sender_ip", p.sender_ip.to_string());
    e.fields.push("target_mac", p.target_mac.to_string());
    e.fields.push("target_ip", p.target_ip.to_string());
    e.fields.push("gratuitous", is_gratuitous(p, ctx.dst));
    // RFC 5227 ARP probe: sender IP 0.0.0.0 asks whether an address is in use.
    e.fields.push("probe", p.sender_ip == Ipv4Addr::UNSPECIFIED);
    e
}
