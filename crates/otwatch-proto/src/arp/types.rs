//! ARP packet (RFC 826, "Packet format").

use otwatch_core::Mac;
use std::net::Ipv4Addr;

/// Bytes of an Ethernet/IPv4 ARP packet: 8 fixed + 2 × (6 + 4).
pub const ARP_LEN: usize = 28;

/// ARP operation code, open.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ArpOp(pub u16);

impl ArpOp {
    /// Request (RFC 826).
    pub const REQUEST: ArpOp = ArpOp(1);
    /// Reply (RFC 826).
    pub const REPLY: ArpOp = ArpOp(2);
    /// RARP request (RFC 903).
    pub const RARP_REQUEST: ArpOp = ArpOp(3);
    /// RARP reply (RFC 903).
    pub const RARP_REPLY: ArpOp = ArpOp(4);
}

/// One Ethernet/IPv4 ARP packet.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ArpPdu {
    /// Operation.
    pub op: ArpOp,
    /// Sender hardware address.
    pub sender_mac: Mac,
    /// Sender protocol address.
    pub sender_ip: Ipv4Addr,
    /// Target hardware address.
    pub target_mac: Mac,
    /// Target protocol address.
    pub target_ip: Ipv4Addr,
}
