//! Flow records: what the flow table reports about each conversation, for the
//! inventory (connections, volumes) and the volume/timing models.

use crate::addr::{Endpoint, Transport};
use crate::session::FlowId;
use crate::time::Timestamp;
use serde::Serialize;

/// Why a flow record was emitted.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowEnd {
    /// TCP FIN or RST seen in both directions (or RST).
    Closed,
    /// No packet for the idle timeout.
    Idle,
    /// Active timeout: long-lived flow reported periodically (the flow continues).
    Active,
    /// Evicted because the flow table was full.
    Evicted,
    /// End of input.
    Eof,
}

/// TCP connection state as the flow table saw it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TcpState {
    /// Not TCP.
    None,
    /// SYN seen, no SYN-ACK.
    SynSent,
    /// SYN-ACK seen.
    SynReceived,
    /// Handshake complete, or picked up mid-stream with data.
    Established,
    /// FIN seen in one direction.
    HalfClosed,
    /// FIN in both directions or RST.
    Closed,
    /// SYN answered by RST (closed port: scans).
    Rejected,
}

/// A flow as reported by the flow table (on end, or periodically for long flows).
#[derive(Clone, Debug, Serialize)]
pub struct FlowRecord {
    /// Flow id.
    pub flow_id: FlowId,
    /// Originator.
    pub client: Endpoint,
    /// Responder.
    pub server: Endpoint,
    /// Transport.
    pub transport: Transport,
    /// Outer VLAN.
    pub vlan: Option<u16>,
    /// Protocol the dispatcher identified, if any.
    pub proto: Option<&'static str>,
    /// First packet time.
    pub first: Timestamp,
    /// Last packet time.
    pub last: Timestamp,
    /// Packets client→server and server→client (since the previous record of this flow).
    pub pkts: [u64; 2],
    /// IP payload bytes (L3 length) client→server and server→client (since the previous record).
    pub bytes: [u64; 2],
    /// TCP state.
    pub tcp_state: TcpState,
    /// True when the originator was known from a SYN (not guessed).
    pub orig_certain: bool,
    /// Why the record was emitted.
    pub end: FlowEnd,
}
