//! Shared vocabulary of otwatch.
//!
//! Every other crate depends on this one. It holds the types that cross layer
//! boundaries: packet time ([`Timestamp`], [`Clock`]), addresses ([`Mac`],
//! [`Endpoint`]), flow identity ([`FlowId`], [`FlowCtx`], [`Direction`]), the one
//! event schema every dissector emits ([`Event`]), alerts ([`Alert`]), and the
//! traits through which the stream layer feeds dissectors ([`TcpSession`],
//! [`UdpSession`], [`EventSink`]).
//!
//! Nothing here reads the wall clock: the pipeline runs on packet time.

pub mod addr;
pub mod alert;
pub mod corpus;
pub mod event;
pub mod flow;
pub mod session;
pub mod time;
pub mod verdict;

pub use addr::{Endpoint, Mac, Transport};
pub use alert::{Alert, Severity};
pub use event::{Event, EventKind, Fields, Identity, IdentitySubject, OpClass, Point, Value};
pub use flow::{FlowEnd, FlowRecord, TcpState};
pub use session::{
    Direction, EventSink, FlowCtx, FlowId, L2Ctx, L2Dissector, Probe, Progress, StreamBuffer,
    TcpSession, UdpSession,
};
pub use time::{Clock, ManualClock, Timestamp};
pub use verdict::{Verdict, VerdictKind};
