//! Zero-copy L2–L4 decode: Ethernet, 802.1Q/QinQ, Linux cooked (SLL, SLL2), BSD
//! loopback, raw IP, ARP, IPv4, IPv6 with extension headers, TCP, UDP, ICMP/ICMPv6.
//!
//! Decoding never fails: a malformed header yields [`Decoded::weird`] with a stable
//! name and whatever layers were decoded before it.

use crate::capture::LinkType;
use otwatch_core::Mac;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// EtherType values we name.
pub mod ethertype {
    /// IPv4.
    pub const IPV4: u16 = 0x0800;
    /// ARP.
    pub const ARP: u16 = 0x0806;
    /// 802.1Q VLAN tag.
    pub const VLAN: u16 = 0x8100;
    /// 802.1ad service tag (QinQ).
    pub const QINQ: u16 = 0x88a8;
    /// Legacy QinQ tag.
    pub const QINQ_OLD: u16 = 0x9100;
    /// IPv6.
    pub const IPV6: u16 = 0x86dd;
    /// PROFINET (RT and DCP).
    pub const PROFINET: u16 = 0x8892;
    /// IEC 61850 GOOSE.
    pub const GOOSE: u16 = 0x88b8;
    /// IEC 61850 Sampled Values.
    pub const SV: u16 = 0x88ba;
    /// LLDP.
    pub const LLDP: u16 = 0x88cc;
    /// EtherCAT.
    pub const ETHERCAT: u16 = 0x88a4;
    /// PTP (IEEE 1588).
    pub const PTP: u16 = 0x88f7;
    /// Pseudo-EtherType for 802.3 frames with an LLC header (CDP, STP).
    pub const LLC: u16 = 0;
}

/// IP protocol numbers we name.
pub mod ipproto {
    /// ICMP.
    pub const ICMP: u8 = 1;
    /// TCP.
    pub const TCP: u8 = 6;
    /// UDP.
    pub const UDP: u8 = 17;
    /// ICMPv6.
    pub const ICMPV6: u8 = 58;
}

/// TCP flags.
pub mod tcpflag {
    /// FIN.
    pub const FIN: u8 = 0x01;
    /// SYN.
    pub const SYN: u8 = 0x02;
    /// RST.
    pub const RST: u8 = 0x04;
    /// PSH.
    pub const PSH: u8 = 0x08;
    /// ACK.
    pub const ACK: u8 = 0x10;
}

/// An IPv4 fragment's identity and position.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Fragment {
    /// IP identification.
    pub id: u32,
    /// Offset of this fragment's payload, in bytes.
    pub offset: u32,
    /// More fragments follow.
    pub more: bool,
}

/// The IP layer of a packet.
#[derive(Copy, Clone, Debug)]
pub struct Ip<'a> {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// Upper-layer protocol (after IPv6 extension headers).
    pub proto: u8,
    /// TTL / hop limit.
    pub ttl: u8,
    /// Total IP length as declared (header + payload).
    pub len: u32,
    /// Upper-layer payload (after the IP header and extension headers).
    pub payload: &'a [u8],
    /// Set when this is a fragment (IPv4, or IPv6 fragment header).
    pub fragment: Option<Fragment>,
}

/// The transport layer.
#[derive(Copy, Clone, Debug)]
pub enum L4<'a> {
    /// TCP segment.
    Tcp(Tcp<'a>),
    /// UDP datagram.
    Udp {
        /// Source port.
        sport: u16,
        /// Destination port.
        dport: u16,
        /// Payload.
        payload: &'a [u8],
    },
    /// ICMP or ICMPv6 message.
    Icmp {
        /// Type.
        kind: u8,
        /// Code.
        code: u8,
    },
    /// Another protocol, or a non-first fragment.
    Other,
}

/// A TCP segment.
#[derive(Copy, Clone, Debug)]
pub struct Tcp<'a> {
    /// Source port.
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgement number.
    pub ack: u32,
    /// Flags (see [`tcpflag`]).
    pub flags: u8,
    /// Window.
    pub window: u16,
    /// Payload.
    pub payload: &'a [u8],
}

/// What the frame carried above layer 2.
#[derive(Copy, Clone, Debug)]
pub enum L3<'a> {
    /// IPv4 or IPv6.
    Ip(Ip<'a>),
    /// ARP (payload after the EtherType).
    Arp(&'a [u8]),
    /// Another EtherType (PROFINET, GOOSE, LLDP, ...) or LLC (ethertype 0).
    Other {
        /// EtherType.
        ethertype: u16,
        /// Payload after the EtherType (or the LLC header start).
        payload: &'a [u8],
    },
    /// Nothing decodable.
    None,
}

/// A decoded packet.
#[derive(Copy, Clone, Debug)]
pub struct Decoded<'a> {
    /// Source MAC (Ethernet and SLL with 6-byte addresses).
    pub src_mac: Option<Mac>,
    /// Destination MAC (Ethernet only).
    pub dst_mac: Option<Mac>,
    /// Outer VLAN id.
    pub vlan: Option<u16>,
    /// Inner VLAN id (QinQ).
    pub inner_vlan: Option<u16>,
    /// EtherType after VLAN tags (0 for LLC frames; synthesised for raw IP).
    pub ethertype: u16,
    /// Layer 3.
    pub l3: L3<'a>,
    /// Layer 4 (only for unfragmented IP or the first fragment's header).
    pub l4: L4<'a>,
    /// First decode anomaly, if any.
    pub weird: Option<&'static str>,
}

impl<'a> Decoded<'a> {
    fn empty() -> Self {
        Decoded {
            src_mac: None,
            dst_mac: None,
            vlan: None,
            inner_vlan: None,
            ethertype: 0,
            l3: L3::None,
            l4: L4::Other,
            weird: None,
        }
    }
}

#[inline]
fn be16(b: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?]))
}

#[inline]
fn be32(b: &[u8], i: usize) -> Option<u32> {
    let s = b.get(i..i + 4)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// Maximum VLAN tags we unwrap (QinQ plus one more for hostile stacks).
pub const MAX_VLAN_TAGS: usize = 3;
/// Maximum IPv6 extension headers we walk.
pub const MAX_IPV6_EXT: usize = 8;

/// Decodes one captured frame of the given link type.
pub fn decode(link: LinkType, data: &[u8]) -> Decoded<'_> {
    let mut d = Decoded::empty();
    match link {
        LinkType::Ethernet => ethernet(data, &mut d),
        LinkType::Raw | LinkType::Ipv4 | LinkType::Ipv6 => match data.first().map(|b| b >> 4) {
            Some(4) => l3(ethertype::IPV4, data, &mut d),
            Some(6) => l3(ethertype::IPV6, data, &mut d),
            _ => d.weird = Some("raw_ip_bad_version"),
        },
        LinkType::Null | LinkType::Loop => {
            let Some(fam) = data.get(..4) else {
                d.weird = Some("loopback_truncated");
                return d;
            };
            // Host byte order for NULL; either order is accepted (the value is small).
            let le = u32::from_le_bytes([fam[0], fam[1], fam[2], fam[3]]);
            let be = u32::from_be_bytes([fam[0], fam[1], fam[2], fam[3]]);
            let fam = if le < 256 { le } else { be };
            match fam {
                2 => l3(ethertype::IPV4, &data[4..], &mut d),
                24 | 28 | 30 => l3(ethertype::IPV6, &data[4..], &mut d),
                _ => d.weird = Some("loopback_unknown_family"),
            }
        }
        LinkType::LinuxSll => {
            // SLL: packet type(2) arphrd(2) addr len(2) addr(8) protocol(2).
            let (Some(alen), Some(proto)) = (be16(data, 4), be16(data, 14)) else {
                d.weird = Some("sll_truncated");
                return d;
            };
            if alen == 6 {
                d.src_mac = data.get(6..12).and_then(Mac::from_slice);
            }
            l2_payload(proto, &data[16..], &mut d);
        }
        LinkType::LinuxSll2 => {
            // SLL2: protocol(2) reserved(2) ifindex(4) arphrd(2) pkttype(1) addr len(1) addr(8).
            let (Some(proto), Some(&alen)) = (be16(data, 0), data.get(11)) else {
                d.weird = Some("sll2_truncated");
                return d;
            };
            if data.len() < 20 {
                d.weird = Some("sll2_truncated");
                return d;
            }
            if alen == 6 {
                d.src_mac = data.get(12..18).and_then(Mac::from_slice);
            }
            l2_payload(proto, &data[20..], &mut d);
        }
        LinkType::Unsupported(_) => d.weird = Some("unsupported_link_type"),
    }
    d
}

fn ethernet<'a>(data: &'a [u8], d: &mut Decoded<'a>) {
    if data.len() < 14 {
        d.weird = Some("ethernet_truncated");
        return;
    }
    d.dst_mac = Mac::from_slice(&data[0..6]);
    d.src_mac = Mac::from_slice(&data[6..12]);
    let mut et = u16::from_be_bytes([data[12], data[13]]);
    let mut off = 14;
    let mut tags = 0;
    while matches!(et, ethertype::VLAN | ethertype::QINQ | ethertype::QINQ_OLD) {
        let (Some(tci), Some(next)) = (be16(data, off), be16(data, off + 2)) else {
            d.weird = Some("vlan_truncated");
            return;
        };
        if tags == 0 {
            d.vlan = Some(tci & 0x0fff);
        } else if tags == 1 {
            d.inner_vlan = Some(tci & 0x0fff);
        }
        tags += 1;
        if tags > MAX_VLAN_TAGS {
            d.weird = Some("vlan_too_many_tags");
            return;
        }
        et = next;
        off += 4;
    }
    l2_payload(et, &data[off..], d);
}

fn l2_payload<'a>(et: u16, payload: &'a [u8], d: &mut Decoded<'a>) {
    if et <= 1500 {
        // 802.3 length field: LLC follows. Trim to the declared length.
        d.ethertype = ethertype::LLC;
        let n = (et as usize).min(payload.len());
        d.l3 = L3::Other {
            ethertype: ethertype::LLC,
            payload: &payload[..n],
        };
        return;
    }
    l3(et, payload, d);
}

fn l3<'a>(et: u16, p: &'a [u8], d: &mut Decoded<'a>) {
    d.ethertype = et;
    match et {
        ethertype::IPV4 => ipv4(p, d),
        ethertype::IPV6 => ipv6(p, d),
        ethertype::ARP => d.l3 = L3::Arp(p),
        _ => {
            d.l3 = L3::Other {
                ethertype: et,
                payload: p,
            }
        }
    }
}

fn ipv4<'a>(p: &'a [u8], d: &mut Decoded<'a>) {
    if p.len() < 20 {
        d.weird = Some("ipv4_truncated");
        return;
    }
    if p[0] >> 4 != 4 {
        d.weird = Some("ipv4_bad_version");
        return;
    }
    let ihl = ((p[0] & 0x0f) as usize) * 4;
    let total = u16::from_be_bytes([p[2], p[3]]) as usize;
    if ihl < 20 || ihl > p.len() {
        d.weird = Some("ipv4_bad_header_length");
        return;
    }
    let end = if total < ihl {
        d.weird = Some("ipv4_bad_total_length");
        // Windows TSO captures carry total length 0: use what was captured.
        p.len()
    } else if total > p.len() {
        // Snap length or truncation: decode what is there.
        p.len()
    } else {
        total
    };
    let flags_frag = u16::from_be_bytes([p[6], p[7]]);
    let more = flags_frag & 0x2000 != 0;
    let offset = ((flags_frag & 0x1fff) as u32) * 8;
    let src = IpAddr::V4(Ipv4Addr::new(p[12], p[13], p[14], p[15]));
    let dst = IpAddr::V4(Ipv4Addr::new(p[16], p[17], p[18], p[19]));
    let fragment = (more || offset > 0).then_some(Fragment {
        id: u16::from_be_bytes([p[4], p[5]]) as u32,
        offset,
        more,
    });
    let ip = Ip {
        src,
        dst,
        proto: p[9],
        ttl: p[8],
        len: total.max(end) as u32,
        payload: &p[ihl..end],
        fragment,
    };
    d.l3 = L3::Ip(ip);
    if fragment.is_none() {
        l4(ip.proto, ip.payload, d);
    }
}

fn ipv6<'a>(p: &'a [u8], d: &mut Decoded<'a>) {
    if p.len() < 40 {
        d.weird = Some("ipv6_truncated");
        return;
    }
    let plen = u16::from_be_bytes([p[4], p[5]]) as usize;
    let mut next = p[6];
    let mut src = [0u8; 16];
    let mut dst = [0u8; 16];
    src.copy_from_slice(&p[8..24]);
    dst.copy_from_slice(&p[24..40]);
    let end = if plen == 0 || 40 + plen > p.len() {
        p.len()
    } else {
        40 + plen
    };
    let mut off = 40;
    let mut fragment = None;
    for _ in 0..MAX_IPV6_EXT {
        match next {
            // Hop-by-hop, routing, destination options, mobility.
            0 | 43 | 60 | 135 => {
                let (Some(&nh), Some(&len)) = (p.get(off), p.get(off + 1)) else {
                    d.weird = Some("ipv6_ext_truncated");
                    return;
                };
                next = nh;
                off += (len as usize + 1) * 8;
            }
            44 => {
                let (Some(&nh), Some(fo), Some(id)) =
                    (p.get(off), be16(p, off + 2), be32(p, off + 4))
                else {
                    d.weird = Some("ipv6_ext_truncated");
                    return;
                };
                next = nh;
                off += 8;
                let offset = ((fo >> 3) as u32) * 8;
                let more = fo & 1 == 1;
                if more || offset > 0 {
                    fragment = Some(Fragment { id, offset, more });
                }
            }
            51 => {
                // AH: length in 4-byte units minus 2.
                let (Some(&nh), Some(&len)) = (p.get(off), p.get(off + 1)) else {
                    d.weird = Some("ipv6_ext_truncated");
                    return;
                };
                next = nh;
                off += (len as usize + 2) * 4;
            }
            _ => break,
        }
        if off > end {
            d.weird = Some("ipv6_ext_truncated");
            return;
        }
    }
    let ip = Ip {
        src: IpAddr::V6(Ipv6Addr::from(src)),
        dst: IpAddr::V6(Ipv6Addr::from(dst)),
        proto: next,
        ttl: p[7],
        len: end as u32,
        payload: &p[off.min(end)..end],
        fragment,
    };
    d.l3 = L3::Ip(ip);
    if fragment.is_none() {
        l4(next, ip.payload, d);
    }
}

/// Decodes the transport header of an (unfragmented or reassembled) IP payload.
pub fn l4<'a>(proto: u8, p: &'a [u8], d: &mut Decoded<'a>) {
    d.l4 = parse_l4(proto, p, &mut d.weird);
}

/// Transport decode, recording the first anomaly in `weird`.
pub fn parse_l4<'a>(proto: u8, p: &'a [u8], weird: &mut Option<&'static str>) -> L4<'a> {
    match proto {
        ipproto::TCP => {
            if p.len() < 20 {
                weird.get_or_insert("tcp_truncated");
                return L4::Other;
            }
            let hlen = ((p[12] >> 4) as usize) * 4;
            if hlen < 20 || hlen > p.len() {
                weird.get_or_insert("tcp_bad_header_length");
                return L4::Other;
            }
            L4::Tcp(Tcp {
                sport: u16::from_be_bytes([p[0], p[1]]),
                dport: u16::from_be_bytes([p[2], p[3]]),
                seq: u32::from_be_bytes([p[4], p[5], p[6], p[7]]),
                ack: u32::from_be_bytes([p[8], p[9], p[10], p[11]]),
                flags: p[13],
                window: u16::from_be_bytes([p[14], p[15]]),
                payload: &p[hlen..],
            })
        }
        ipproto::UDP => {
            if p.len() < 8 {
                weird.get_or_insert("udp_truncated");
                return L4::Other;
            }
            let ulen = u16::from_be_bytes([p[4], p[5]]) as usize;
            let end = if ulen < 8 {
                weird.get_or_insert("udp_bad_length");
                p.len()
            } else if ulen > p.len() {
                // Truncated capture: use what we have.
                p.len()
            } else {
                ulen
            };
            L4::Udp {
                sport: u16::from_be_bytes([p[0], p[1]]),
                dport: u16::from_be_bytes([p[2], p[3]]),
                payload: &p[8..end],
            }
        }
        ipproto::ICMP | ipproto::ICMPV6 => match (p.first(), p.get(1)) {
            (Some(&kind), Some(&code)) => L4::Icmp { kind, code },
            _ => {
                weird.get_or_insert("icmp_truncated");
                L4::Other
            }
        },
        _ => L4::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eth_ipv4_tcp() -> Vec<u8> {
        let mut f = vec![
            0x00, 0x80, 0xf4, 0x01, 0x02, 0x03, // dst MAC (Schneider)
            0x00, 0x1b, 0x1b, 0x04, 0x05, 0x06, // src MAC (Siemens)
            0x81, 0x00, 0x00, 0x0a, // 802.1Q VLAN 10
            0x08, 0x00, // IPv4
            0x45, 0x00, 0x00, 0x2c, // v4, ihl 5, total 44
            0x00, 0x01, 0x40, 0x00, // id 1, DF
            0x40, 0x06, 0x00, 0x00, // ttl 64, TCP, checksum (unchecked)
            10, 0, 0, 1, // src
            10, 0, 0, 2, // dst
            0x9c, 0x40, 0x01, 0xf6, // sport 40000, dport 502
            0x00, 0x00, 0x00, 0x01, // seq 1
            0x00, 0x00, 0x00, 0x00, // ack 0
            0x50, 0x18, 0x10, 0x00, // hlen 20, PSH|ACK, window
            0x00, 0x00, 0x00, 0x00, // checksum, urgent
        ];
        f.extend_from_slice(&[1, 2, 3, 4]); // payload
        f
    }

    #[test]
    fn decodes_vlan_ipv4_tcp() {
        let f = eth_ipv4_tcp();
        let d = decode(LinkType::Ethernet, &f);
        assert_eq!(d.vlan, Some(10));
        assert_eq!(d.weird, None);
        let L3::Ip(ip) = d.l3 else { panic!("not ip") };
        assert_eq!(ip.src.to_string(), "10.0.0.1");
        let L4::Tcp(t) = d.l4 else { panic!("not tcp") };
        assert_eq!((t.sport, t.dport, t.seq), (40000, 502, 1));
        assert_eq!(t.payload, &[1, 2, 3, 4]);
    }

    #[test]
    fn every_truncation_is_safe() {
        let f = eth_ipv4_tcp();
        for n in 0..f.len() {
            let _ = decode(LinkType::Ethernet, &f[..n]);
            let _ = decode(LinkType::LinuxSll, &f[..n]);
            let _ = decode(LinkType::LinuxSll2, &f[..n]);
            let _ = decode(LinkType::Null, &f[..n]);
            let _ = decode(LinkType::Raw, &f[18..n.max(18)]);
        }
    }

    #[test]
    fn llc_frames_surface_with_ethertype_zero() {
        let mut f = vec![
            0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcc, 0, 1, 2, 3, 4, 5, 0x00, 0x08,
        ];
        f.extend_from_slice(&[0xaa, 0xaa, 0x03, 0x00, 0x00, 0x0c, 0x20, 0x00, 0xff, 0xff]);
        let d = decode(LinkType::Ethernet, &f);
        match d.l3 {
            L3::Other {
                ethertype: 0,
                payload,
            } => assert_eq!(payload.len(), 8),
            other => panic!("{other:?}"),
        }
    }
}
