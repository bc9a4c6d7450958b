//! Pure ARP parser.

use super::types::{ARP_LEN, ArpOp, ArpPdu};
use otwatch_core::Mac;
use std::net::Ipv4Addr;

/// Outcome of parsing an ARP payload.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed<T> {
    /// A PDU.
    Ok(T),
    /// Not a decodable ARP packet; the static name is the weird to report.
    Invalid(&'static str),
}

fn ip4(b: &[u8]) -> Option<Ipv4Addr> {
    let s: [u8; 4] = b.get(..4)?.try_into().ok()?;
    Some(Ipv4Addr::from(s))
}

/// Parses an ARP payload (the bytes after the EtherType). Trailing Ethernet padding is ignored.
pub fn parse_arp(b: &[u8]) -> Parsed<ArpPdu> {
    if b.len() < 8 {
        return Parsed::Invalid("arp_truncated");
    }
    let htype = u16::from_be_bytes([b[0], b[1]]);
    let ptype = u16::from_be_bytes([b[2], b[3]]);
    if htype != 1 || ptype != 0x0800 || b[4] != 6 || b[5] != 4 {
        return Parsed::Invalid("arp_unsupported_type");
    }
    if b.len() < ARP_LEN {
        return Parsed::Invalid("arp_truncated");
    }
    let op = ArpOp(u16::from_be_bytes([b[6], b[7]]));
    match (
        Mac::from_slice(&b[8..14]),
        ip4(&b[14..18]),
        Mac::from_slice(&b[18..24]),
        ip4(&b[24..28]),
    ) {
        (Some(sender_mac), Some(sender_ip), Some(target_mac), Some(target_ip)) => {
            Parsed::Ok(ArpPdu {
                op,
                sender_mac,
                sender_ip,
                target_mac,
                target_ip,
            })
        }
        _ => Parsed::Invalid("arp_truncated"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Wireshark sample `arp.pcap` frame 1 (who-has 24.166.173.159 tell 24.166.172.1).
    pub(crate) const REQUEST: [u8; 28] = [
        0x00, 0x01, // htype Ethernet
        0x08, 0x00, // ptype IPv4
        0x06, 0x04, // hlen, plen
        0x00, 0x01, // op request
        0x00, 0x07, 0x0d, 0xaf, 0xf4, 0x54, // sender MAC
        0x18, 0xa6, 0xac, 0x01, // sender IP 24.166.172.1
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // target MAC unknown
        0x18, 0xa6, 0xad, 0x9f, // target IP 24.166.173.159
    ];

    #[test]
    fn parses_request() {
        let Parsed::Ok(p) = parse_arp(&REQUEST) else {
            panic!("not parsed")
        };
        assert_eq!(p.op, ArpOp::REQUEST);
        assert_eq!(p.sender_ip, Ipv4Addr::new(24, 166, 172, 1));
        assert_eq!(p.target_ip, Ipv4Addr::new(24, 166, 173, 159));
        assert_eq!(p.sender_mac.to_string(), "00:07:0d:af:f4:54");
    }

    #[test]
    fn rejects_short_and_foreign() {
        assert_eq!(parse_arp(&REQUEST[..20]), Parsed::Invalid("arp_truncated"));
        let mut v = REQUEST;
        v[1] = 6; // IEEE 802 hardware
        assert_eq!(parse_arp(&v), Parsed::Invalid("arp_unsupported_type"));
        assert_eq!(parse_arp(&[]), Parsed::Invalid("arp_truncated"));
    }
}
