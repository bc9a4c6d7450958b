//! DNS (RFC 1035, TCP framing RFC 1035 4.2.2 / RFC 7766), multicast DNS (RFC 6762),
//! LLMNR (RFC 4795) and NetBIOS Name Service (RFC 1002 4.2, first-level name
//! encoding RFC 1001 14.1).
//!
//! One parser serves all four: they share the RFC 1035 message format. Each has its
//! own registry entry (and `proto` name) so the port hint picks the right flavour:
//! `dns` (UDP/TCP 53), `mdns` (UDP 5353), `llmnr` (UDP/TCP 5355), `nbns` (UDP 137).
//!
//! Operation classes: unicast DNS queries are `other` (name resolution is neither a
//! read nor a write of the device), DNS UPDATE is `write`; mDNS, LLMNR and NBNS are
//! `discovery`. The field `public_name` marks names under a public TLD (see
//! [`tld::is_public_name`]) for the air-gap logic.
//!
//! Event fields are documented in `docs/events/dns.md`.

pub mod events;
pub mod parser;
pub mod session;
pub mod tld;
pub mod types;

use crate::registry::{Registry, TcpProto, UdpProto};
use types::Flavor;

/// Adds this protocol's dissectors to the registry.
pub fn register(r: &mut Registry) {
    r.udp.push(UdpProto {
        name: "dns",
        ports: &[53],
        probe: parser::probe_udp,
        new: || Box::new(session::DnsUdpSession::new(Flavor::Dns)),
    });
    r.udp.push(UdpProto {
        name: "mdns",
        ports: &[5353],
        probe: parser::probe_udp,
        new: || Box::new(session::DnsUdpSession::new(Flavor::Mdns)),
    });
    r.udp.push(UdpProto {
        name: "llmnr",
        ports: &[5355],
        probe: parser::probe_udp,
        new: || Box::new(session::DnsUdpSession::new(Flavor::Llmnr)),
    });
    r.udp.push(UdpProto {
        name: "nbns",
        ports: &[137],
        probe: parser::probe_nbns,
        new: || Box::new(session::DnsUdpSession::new(Flavor::Nbns)),
    });
    r.tcp.push(TcpProto {
        name: "dns",
        ports: &[53, 5355],
        probe: parser::probe_tcp,
        new: || Box::new(session::DnsTcpSession::new(Flavor::Dns)),
    });
}
