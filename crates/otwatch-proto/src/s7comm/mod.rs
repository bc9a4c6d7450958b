//! S7comm and S7comm-plus over TPKT/COTP (RFC 1006, ISO 8073), TCP/102.
//!
//! - TPKT (RFC 1006, 6): version 3, length. COTP (ISO 8073, 13): CR/CC with TSAP
//!   parameters (the called TSAP's second byte is rack × 32 + slot), DT with EOT;
//!   DT fragments are reassembled up to [`types::MAX_S7_PDU`].
//! - S7comm (Siemens, not publicly specified; field layout as documented by the
//!   Wireshark `s7comm` dissector): header with ROSCTR (job, ack, ack_data,
//!   userdata), PDU reference pairing a job with its ack_data, error class/code; job
//!   functions read/write var (items with area, DB, address, transport size; values as
//!   points), setup communication, download/upload, PI service, PLC stop; user data
//!   (SZL reads with identity from SZL 0x0011 / 0x001C, block, time, CPU, security
//!   functions).
//! - S7comm-plus (0x72): opcode, function, sequence, session id and integrity-part
//!   presence only ([`s7plus`]).
//!
//! Events and weird names are documented in `docs/events/s7comm.md`.

pub mod events;
pub mod parser;
pub mod s7plus;
pub mod session;
pub mod types;

use crate::registry::{Registry, TcpProto};

/// Registry entry for S7comm / S7comm-plus.
pub const TCP: TcpProto = TcpProto {
    name: "s7comm",
    ports: &[102],
    probe: parser::probe,
    new: || Box::new(session::S7Session::default()),
};

/// Adds this protocol's dissectors to the registry.
pub fn register(r: &mut Registry) {
    r.tcp.push(TCP);
}
