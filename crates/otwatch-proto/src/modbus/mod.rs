//! Modbus/TCP dissector.
//!
//! Specifications: *Modbus Application Protocol Specification V1.1b3* (MAP) and
//! *Modbus Messaging on TCP/IP Implementation Guide V1.0b*.
//!
//! - MBAP header (guide 3.1.3): transaction id, protocol id 0, length 2..=254 (ADU
//!   ≤ 260 bytes), unit id. Anything else is a weird and the stream is resynchronised.
//! - Every public function code (MAP 6.1-6.21) is named; exceptions (MAP 7) become the
//!   transaction's `status`; requests and responses pair by transaction id.
//! - Points: FC 1-6, 15, 16, 23 (writes from the request, reads from the response with
//!   the request's addresses). FC 8 sub-functions, FC 43/14 device identification
//!   (identity of the server), FC 90 Schneider UMAS function codes (reverse-engineered,
//!   no public specification). Vendor and unknown codes are kept as `unknown-<n>`.
//!
//! Events and weird names are documented in `docs/events/modbus.md`.

pub mod events;
pub mod parser;
pub mod session;
pub mod types;

use crate::registry::{Registry, TcpProto};

/// Registry entry for Modbus/TCP.
pub const TCP: TcpProto = TcpProto {
    name: "modbus",
    ports: &[502],
    probe: parser::probe,
    new: || Box::new(session::ModbusSession::default()),
};

/// Adds this protocol's dissectors to the registry.
pub fn register(r: &mut Registry) {
    r.tcp.push(TCP);
}
