//! EtherNet/IP encapsulation and CIP (ODVA, The CIP Networks Library Vol. 1
//! "Common Industrial Protocol" and Vol. 2 "EtherNet/IP Adaptation of CIP").
//!
//! Transports: TCP/44818 (explicit messaging), UDP/44818 (ListIdentity and
//! friends, often broadcast) and UDP/2222 (implicit, cyclic I/O: counted only).
//!
//! What is decoded:
//! - the 24-byte encapsulation header (Vol. 2 2-3): command, length, session
//!   handle, status, sender context, options;
//! - ListIdentity (Vol. 2 2-4.3) replies as identity (vendor, device type, product
//!   code, revision, serial, product name), ListServices, ListInterfaces,
//!   RegisterSession / UnRegisterSession;
//! - SendRRData / SendUnitData with their Common Packet Format items (Vol. 2 2-6):
//!   null / connected address, unconnected / connected data;
//! - CIP message router requests and responses (Vol. 1 2-4): service code,
//!   padded EPATH (Vol. 1 C-1: 8/16/32-bit logical class/instance/attribute/member
//!   segments, port segments, ANSI extended symbolic segments as tag names),
//!   general and extended status;
//! - Unconnected Send (0x52) is unwrapped: the event describes the embedded
//!   request, with `via_unconnected_send` and the route;
//! - Multiple Service Packet (0x0A): **one event per embedded service**
//!   (`multiple_index` / `multiple_count`), each paired with its reply by position,
//!   so detection sees every read and write individually;
//! - Forward Open / Large Forward Open / Forward Close (Vol. 1 3-5.5) as session
//!   operations with connection ids and RPIs;
//! - Logix tag services (read/write tag, fragmented) with values as points, and
//!   PCCC (class 0x67) command/function classification.
//!
//! Pairing: SendRRData and list/register commands by sender context; SendUnitData
//! by the connected-data sequence count. Events: `docs/events/enip.md`.

pub mod cip;
pub mod events;
pub mod parser;
pub mod session;
pub mod types;

use crate::registry::{Registry, TcpProto, UdpProto};

/// Registry entries: TCP/44818, UDP/44818, UDP/2222.
pub fn register(r: &mut Registry) {
    r.tcp.push(TcpProto {
        name: "enip",
        ports: &[44818],
        probe: parser::probe,
        new: || Box::new(session::EnipSession::default()),
    });
    r.udp.push(UdpProto {
        name: "enip",
        ports: &[44818],
        probe: parser::probe,
        new: || Box::new(session::EnipUdpSession::default()),
    });
    r.udp.push(UdpProto {
        name: "enip_io",
        ports: &[2222],
        probe: parser::probe_io,
        new: || Box::new(session::EnipIoSession::default()),
    });
}
