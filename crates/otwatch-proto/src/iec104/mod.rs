//! IEC 60870-5-104 (TCP/2404): telecontrol over TCP.
//!
//! Specifications: IEC 60870-5-104:2006 (APCI, 5; ASDU profile, 9) and
//! IEC 60870-5-101:2003 (type identifications 7.2.1, cause of transmission 7.2.3,
//! information elements 7.2.6 and 7.3).
//!
//! What is decoded: the APCI (start 0x68, length 4..=253, I/S/U control fields
//! with N(S)/N(R), U functions STARTDT/STOPDT/TESTFR act/con), and for I-frames the
//! ASDU: type id, SQ + number of objects, cause of transmission (with P/N and test
//! bits), originator address, common address (→ `unit`) and the information
//! objects, with values for single/double points, step positions, bitstrings,
//! measured normalized/scaled/short float values, integrated totals, and the
//! matching commands, set-points and parameters (points in space `ioa`, group =
//! type id, index = IOA).
//!
//! Events: commands (activation/deactivation) are paired with their confirmation
//! by (type id, common address, first IOA); monitor-direction ASDUs (spontaneous,
//! periodic, interrogated) are one-way `read` events; U-frame act/con pairs are
//! `session` events. A jump in a direction's N(S) is the weird
//! `iec104_sequence_gap`. Event schema: `docs/events/iec104.md`.

pub mod events;
pub mod parser;
pub mod session;
pub mod types;

use crate::registry::{Registry, TcpProto};

/// Registry entry: TCP/2404.
pub fn register(r: &mut Registry) {
    r.tcp.push(TcpProto {
        name: "iec104",
        ports: &[2404],
        probe: parser::probe,
        new: || Box::new(session::Iec104Session::default()),
    });
}
