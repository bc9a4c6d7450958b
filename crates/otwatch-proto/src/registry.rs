//! The list of dissectors the dispatchers choose from.
//!
//! To add a protocol: write its module and fill in its `register` function, which
//! pushes `TcpProto` / `UdpProto` / `L2Proto` entries. Each module owns its own entry,
//! so adding a protocol never touches another's code.

use otwatch_core::{Direction, L2Dissector, Probe, TcpSession, UdpSession};
use std::sync::OnceLock;

/// A TCP dissector's registry entry.
pub struct TcpProto {
    /// Protocol name, as in events' `proto`.
    pub name: &'static str,
    /// Well-known server ports: a hint that orders the probes, never a verdict.
    pub ports: &'static [u16],
    /// Cheap content probe over the first bytes seen in `dir` (which may be the
    /// server's, when the capture starts mid-session). Must be strict: random bytes
    /// must give `NoMatch` with overwhelming probability.
    pub probe: fn(Direction, &[u8]) -> Probe,
    /// Creates a session for a flow that matched.
    pub new: fn() -> Box<dyn TcpSession>,
}

/// A UDP dissector's registry entry.
pub struct UdpProto {
    /// Protocol name.
    pub name: &'static str,
    /// Well-known ports (hint only).
    pub ports: &'static [u16],
    /// Probe over one datagram payload travelling in `dir`.
    pub probe: fn(Direction, &[u8]) -> Probe,
    /// Creates a session.
    pub new: fn() -> Box<dyn UdpSession>,
}

/// A layer-2 dissector's registry entry.
pub struct L2Proto {
    /// Protocol name.
    pub name: &'static str,
    /// EtherTypes it claims (0 = 802.3/LLC frames).
    pub ethertypes: &'static [u16],
    /// Creates the (single, stateful) dissector instance.
    pub new: fn() -> Box<dyn L2Dissector>,
}

/// All dissectors, in probe order.
#[derive(Default)]
pub struct Registry {
    /// TCP dissectors.
    pub tcp: Vec<TcpProto>,
    /// UDP dissectors.
    pub udp: Vec<UdpProto>,
    /// Layer-2 dissectors.
    pub l2: Vec<L2Proto>,
}

/// The process-wide registry.
pub fn registry() -> &'static Registry {
    static R: OnceLock<Registry> = OnceLock::new();
    R.get_or_init(|| {
        let mut r = Registry::default();
        r.tcp.push(crate::template::TCP);
        crate::modbus::register(&mut r);
        crate::dnp3::register(&mut r);
        crate::s7comm::register(&mut r);
        crate::enip::register(&mut r);
        crate::iec104::register(&mut r);
        crate::bacnet::register(&mut r);
        crate::opcua::register(&mut r);
        crate::profinet::register(&mut r);
        crate::goose::register(&mut r);
        crate::arp::register(&mut r);
        crate::lldp::register(&mut r);
        crate::dhcp::register(&mut r);
        crate::dns::register(&mut r);
        crate::ntp::register(&mut r);
        crate::http::register(&mut r);
        crate::tls::register(&mut r);
        crate::ssh::register(&mut r);
        crate::smb::register(&mut r);
        crate::rdp::register(&mut r);
        crate::vnc::register(&mut r);
        crate::remote::register(&mut r);
        crate::snmp::register(&mut r);
        r
    })
}

/// Every TCP dissector.
pub fn tcp_protocols() -> &'static [TcpProto] {
    &registry().tcp
}

/// Every UDP dissector.
pub fn udp_protocols() -> &'static [UdpProto] {
    &registry().udp
}

/// Every layer-2 dissector.
pub fn l2_protocols() -> &'static [L2Proto] {
    &registry().l2
}
