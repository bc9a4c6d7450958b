//! ARP (RFC 826; gratuitous ARP and ARP probes per RFC 5227).
//!
//! A layer-2 dissector on EtherType 0x0806. Every ARP packet becomes one event
//! (`op` = `discovery`): ARP is low-volume, and each packet claims a MAC↔IP binding
//! that the detector tracks (this dissector keeps no per-binding state). Only
//! Ethernet/IPv4 ARP (htype 1, ptype 0x0800, hlen 6, plen 4) is decoded; other
//! hardware or protocol types become the weird `arp_unsupported_type`.
//!
//! Event fields are documented in `docs/events/arp.md`.

pub mod events;
pub mod parser;
pub mod session;
pub mod types;

use crate::registry::{L2Proto, Registry};

/// EtherType of ARP.
pub const ETHERTYPE_ARP: u16 = 0x0806;

/// Adds this protocol's dissectors to the registry.
pub fn register(r: &mut Registry) {
    r.l2.push(L2Proto {
        name: "arp",
        ethertypes: &[ETHERTYPE_ARP],
        new: || Box::new(session::ArpDissector),
    });
}
