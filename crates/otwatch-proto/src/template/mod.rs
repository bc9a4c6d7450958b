//! Template dissector: the whole shape of an otwatch dissector on a toy protocol.
//!
//! Copy this folder to start a new protocol. The toy protocol ("OTW echo", TCP/7777)
//! is a stream of frames:
//!
//! ```text
//! +---------+---------+--------+-------+----------------+
//! | "OW"    | txid u16| len u16| fc u8 | body (len - 1) |
//! +---------+---------+--------+-------+----------------+
//! ```
//! `fc` 0x01 = read (request body: u16 address), 0x02 = write (u16 address, u16
//! value), high bit set = response. `len` counts fc + body and is at most
//! [`types::MAX_LEN`].
//!
//! File roles, the same in every protocol:
//! - `types.rs`: PDUs and open code newtypes (unknown codes survive),
//! - `parser.rs`: pure `&[u8]` → PDU functions, panic-free, with a [`parser::Parsed`] outcome,
//! - `session.rs`: per-flow state, request/response pairing, resynchronisation,
//! - `events.rs`: transactions → [`otwatch_core::Event`], weird names, limits.

pub mod events;
pub mod parser;
pub mod session;
pub mod types;

use crate::registry::TcpProto;

/// Registry entry.
pub const TCP: TcpProto = TcpProto {
    name: "template",
    ports: &[7777],
    probe: parser::probe,
    new: || Box::new(session::TemplateSession::default()),
};
