//! Packet sources, L2–L4 decode, the flow table and TCP reassembly.
//!
//! The packet's path through this crate:
//! [`capture::CaptureReader`] (pcap/pcapng) → [`decode::decode`] (zero-copy
//! headers) → [`frag::FragTable`] (IP fragments) → [`flow::FlowTable`] (bidirectional
//! flows) → [`reasm::DirState`] (TCP streams) → the sessions a
//! [`engine::SessionFactory`] creates. [`run_files`] drives it over several files
//! merged into one timeline.

pub mod capture;
pub mod decode;
pub mod engine;
pub mod flow;
pub mod frag;
pub mod reasm;
pub mod source;

pub use capture::{CaptureReader, Damage, LinkType, Packet};
pub use engine::{Engine, EngineConfig, NullFactory, PipelineSink, SessionFactory, Stats};
pub use source::{FileReport, RunReport, run_files};

use std::path::PathBuf;

/// Errors of this crate: our own failures, never hostile traffic (that is data).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be opened.
    #[error("{}: cannot open: {err}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        err: std::io::Error,
    },
    /// A file is not a capture we can read.
    #[error("{}: not a pcap or pcapng file: {why}", path.display())]
    NotCapture {
        /// The file.
        path: PathBuf,
        /// Why.
        why: String,
    },
}
