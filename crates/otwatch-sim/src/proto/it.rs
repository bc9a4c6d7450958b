//! IT and background protocols: ARP (RFC 826), DNS (RFC 1035), NTP v4 (RFC 5905),
//! DHCP (RFC 2131/2132), LLDP (IEEE 802.1AB) and HTTP/1.1 (RFC 9112).

use super::Put;
use otwatch_core::Mac;

/// ARP request (op 1) or reply (op 2) for Ethernet/IPv4.
pub fn arp(b: &mut Vec<u8>, op: u16, sha: Mac, spa: [u8; 4], tha: Mac, tpa: [u8; 4]) {
    b.bytes(&[0, 1, 8, 0, 6, 4]);
    b.be16(op);
    b.bytes(&sha.0);
    b.bytes(&spa);
    b.bytes(&tha.0);
    b.bytes(&tpa);
}

fn qname(b: &mut Vec<u8>, name: &str) {
    for label in name.split('.') {
        b.u8(label.len() as u8);
        b.bytes(label.as_bytes());
    }
    b.u8(0);
}

/// DNS A query; with `answer` the response carrying it (TTL 300), `None` for a
/// query, `Some(None)` for NXDOMAIN.
pub fn dns(b: &mut Vec<u8>, id: u16, name: &str, answer: Option<Option<[u8; 4]>>) {
    b.be16(id);
    match answer {
        None => b.be16(0x0100),
        Some(None) => b.be16(0x8183),
        Some(Some(_)) => b.be16(0x8180),
    }
    b.be16(1);
    b.be16(u16::from(matches!(answer, Some(Some(_)))));
    b.be16(0);
    b.be16(0);
    qname(b, name);
    b.be16(1); // A
    b.be16(1); // IN
    if let Some(Some(ip)) = answer {
        b.be16(0xc00c);
        b.be16(1);
        b.be16(1);
        b.be32(300);
        b.be16(4);
        b.bytes(&ip);
    }
}

/// Seconds between 1900-01-01 and 1970-01-01 (RFC 5905, 6).
const NTP_EPOCH: u64 = 2_208_988_800;

fn ntp_ts(b: &mut Vec<u8>, unix_ns: i64) {
    let secs = (unix_ns / 1_000_000_000) as u64 + NTP_EPOCH;
    let frac = (((unix_ns % 1_000_000_000) as u64) << 32) / 1_000_000_000;
    b.be32(secs as u32);
    b.be32(frac as u32);
}

/// NTP client request (mode 3) with transmit time `t`.
pub fn ntp_client(b: &mut Vec<u8>, t: i64) {
    b.bytes(&[0x23, 0, 6, 0xec]);
    b.be32(0);
    b.be32(0);
    b.be32(0);
    b.bytes(&[0; 24]);
    ntp_ts(b, t);
}

/// NTP server reply (mode 4, stratum 2) to a request sent at `orig`.
pub fn ntp_server(b: &mut Vec<u8>, orig: i64, recv: i64, xmit: i64, refid: [u8; 4]) {
    b.bytes(&[0x24, 2, 6, 0xec]);
    b.be32(0x0000_0200); // root delay
    b.be32(0x0000_0400); // root dispersion
    b.bytes(&refid);
    ntp_ts(b, recv - 30_000_000_000);
    ntp_ts(b, orig);
    ntp_ts(b, recv);
    ntp_ts(b, xmit);
}

/// DHCP message types (RFC 2132, 9.6).
pub mod dhcp_type {
    /// DHCPDISCOVER.
    pub const DISCOVER: u8 = 1;
    /// DHCPOFFER.
    pub const OFFER: u8 = 2;
    /// DHCPREQUEST.
    pub const REQUEST: u8 = 3;
    /// DHCPACK.
    pub const ACK: u8 = 5;
}

/// One DHCP message.
#[derive(Clone, Debug)]
pub struct Dhcp<'a> {
    /// Message type.
    pub kind: u8,
    /// Transaction id.
    pub xid: u32,
    /// Client MAC.
    pub chaddr: Mac,
    /// Offered/assigned address (server messages) or requested (REQUEST).
    pub yiaddr: [u8; 4],
    /// Server identifier.
    pub server: [u8; 4],
    /// Router/DNS handed out.
    pub router: [u8; 4],
    /// Client host name (client messages).
    pub hostname: &'a str,
    /// Vendor class (client messages).
    pub vendor_class: &'a str,
}

/// Writes a BOOTP/DHCP message.
pub fn dhcp(b: &mut Vec<u8>, d: &Dhcp<'_>) {
    let server = matches!(d.kind, dhcp_type::OFFER | dhcp_type::ACK);
    b.bytes(&[if server { 2 } else { 1 }, 1, 6, 0]);
    b.be32(d.xid);
    b.be16(0);
    b.be16(0x8000); // broadcast flag
    b.bytes(&[0; 4]); // ciaddr
    b.bytes(if server { &d.yiaddr } else { &[0; 4] });
    b.bytes(&[0; 4]); // siaddr
    b.bytes(&[0; 4]); // giaddr
    b.bytes(&d.chaddr.0);
    b.bytes(&[0; 10]);
    b.bytes(&[0; 192]); // sname + file
    b.be32(0x6382_5363);
    b.bytes(&[53, 1, d.kind]);
    if server {
        b.bytes(&[54, 4]);
        b.bytes(&d.server);
        b.bytes(&[51, 4]);
        b.be32(86_400);
        b.bytes(&[1, 4, 255, 255, 0, 0, 3, 4]);
        b.bytes(&d.router);
        b.bytes(&[6, 4]);
        b.bytes(&d.server);
    } else {
        b.bytes(&[61, 7, 1]);
        b.bytes(&d.chaddr.0);
        if d.kind == dhcp_type::REQUEST {
            b.bytes(&[50, 4]);
            b.bytes(&d.yiaddr);
            b.bytes(&[54, 4]);
            b.bytes(&d.server);
        }
        b.bytes(&[12, d.hostname.len() as u8]);
        b.bytes(d.hostname.as_bytes());
        b.bytes(&[60, d.vendor_class.len() as u8]);
        b.bytes(d.vendor_class.as_bytes());
        b.bytes(&[55, 4, 1, 3, 6, 15]);
    }
    b.u8(255);
}

fn lldp_tlv(b: &mut Vec<u8>, ty: u8, v: &[u8]) {
    b.be16((u16::from(ty) << 9) | v.len() as u16);
    b.bytes(v);
}

/// LLDPDU from a switch port.
pub fn lldp(b: &mut Vec<u8>, chassis: Mac, port: &str, name: &str, descr: &str) {
    let mut c = [0u8; 7];
    c[0] = 4; // MAC address subtype
    c[1..].copy_from_slice(&chassis.0);
    lldp_tlv(b, 1, &c);
    let mut p = Vec::with_capacity(1 + port.len());
    p.push(5); // interface name
    p.extend_from_slice(port.as_bytes());
    lldp_tlv(b, 2, &p);
    lldp_tlv(b, 3, &120u16.to_be_bytes());
    lldp_tlv(b, 5, name.as_bytes());
    lldp_tlv(b, 6, descr.as_bytes());
    lldp_tlv(b, 7, &[0x00, 0x14, 0x00, 0x14]); // bridge + router, both enabled
    lldp_tlv(b, 0, &[]);
}

/// HTTP/1.1 request with an optional body.
pub fn http_req(b: &mut Vec<u8>, method: &str, host: &str, path: &str, ua: &str, body: &[u8]) {
    b.bytes(method.as_bytes());
    b.u8(b' ');
    b.bytes(path.as_bytes());
    b.bytes(b" HTTP/1.1\r\nHost: ");
    b.bytes(host.as_bytes());
    b.bytes(b"\r\nUser-Agent: ");
    b.bytes(ua.as_bytes());
    b.bytes(b"\r\nAccept: */*\r\n");
    if !body.is_empty() || method == "POST" {
        b.bytes(b"Content-Type: application/octet-stream\r\nContent-Length: ");
        b.bytes(body.len().to_string().as_bytes());
        b.bytes(b"\r\n");
    }
    b.bytes(b"Connection: close\r\n\r\n");
    b.bytes(body);
}

/// HTTP/1.1 response with a text body.
pub fn http_resp(b: &mut Vec<u8>, status: &str, body: &str) {
    b.bytes(b"HTTP/1.1 ");
    b.bytes(status.as_bytes());
    b.bytes(b"\r\nServer: nginx\r\nContent-Type: text/plain\r\nContent-Length: ");
    b.bytes(body.len().to_string().as_bytes());
    b.bytes(b"\r\nConnection: close\r\n\r\n");
    b.bytes(body.as_bytes());
}
