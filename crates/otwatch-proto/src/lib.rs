//! Protocol dissectors.
//!
//! Each protocol lives in its own folder with the same file roles (see STYLE.md and
//! `template/`): `mod.rs` (docs, spec references, the registry entry), `types.rs`
//! (PDUs and open code newtypes), `parser.rs` (pure `&[u8]` → PDU), `session.rs`
//! (per-flow state, request/response pairing) and `events.rs` (PDUs → events, weird
//! names, limits).
//!
//! Protocols are identified by content: every dissector has a cheap probe, and the
//! port only orders the candidates. [`dispatch`] holds the per-flow dispatchers that
//! the wire layer creates for every TCP and UDP flow.

pub mod dispatch;
pub mod pipeline;
pub mod registry;
pub mod template;

pub mod arp;
pub mod bacnet;
pub mod dhcp;
pub mod dnp3;
pub mod dns;
pub mod enip;
pub mod goose;
pub mod http;
pub mod iec104;
pub mod lldp;
pub mod modbus;
pub mod ntp;
pub mod opcua;
pub mod profinet;
pub mod rdp;
pub mod remote;
pub mod s7comm;
pub mod smb;
pub mod snmp;
pub mod ssh;
pub mod tls;
pub mod vnc;

pub use dispatch::{L2Dispatch, TcpDispatch, UdpDispatch};
pub use registry::{L2Proto, Registry, TcpProto, UdpProto, registry};
