//! The wire engine with every registered dissector: capture files → events and
//! flow records. This is what `otwatch analyze` runs, and what tests use to replay
//! real captures through the dissectors.

use crate::dispatch::{L2Dispatch, TcpDispatch, UdpDispatch};
use otwatch_core::{Event, EventSink, FlowCtx, FlowRecord, L2Ctx, TcpSession, UdpSession};
use otwatch_wire::SessionFactory;
pub use otwatch_wire::{Engine, EngineConfig, PipelineSink, RunReport};
use std::path::{Path, PathBuf};

/// The session factory with every registered dissector.
#[derive(Default)]
pub struct Dissectors {
    l2: L2Dispatch,
}

impl SessionFactory for Dissectors {
    fn tcp(&mut self, _ctx: &FlowCtx) -> Box<dyn TcpSession> {
        Box::new(TcpDispatch::default())
    }
    fn udp(&mut self, _ctx: &FlowCtx) -> Box<dyn UdpSession> {
        Box::new(UdpDispatch::default())
    }
    fn l2(&mut self, ctx: &L2Ctx, payload: &[u8], sink: &mut dyn EventSink) -> bool {
        self.l2.on_frame(ctx, payload, sink)
    }
}

/// The full pipeline engine.
pub type Pipeline = Engine<Dissectors>;

/// A pipeline with default limits.
pub fn pipeline() -> Pipeline {
    Engine::new(EngineConfig::default(), Dissectors::default())
}

/// Runs capture files through the full pipeline into `sink`.
pub fn run_files<S: PipelineSink>(
    paths: &[PathBuf],
    sink: &mut S,
) -> Result<RunReport, otwatch_wire::Error> {
    let mut engine = pipeline();
    otwatch_wire::run_files(paths, &mut engine, sink, |_| {})
}

/// Collects events and flow records (tests).
#[derive(Debug, Default)]
pub struct Collect {
    /// Events in emission order.
    pub events: Vec<Event>,
    /// Flow records in emission order.
    pub flows: Vec<FlowRecord>,
}

impl EventSink for Collect {
    fn event(&mut self, ev: Event) {
        self.events.push(ev);
    }
}

impl PipelineSink for Collect {
    fn flow(&mut self, rec: &FlowRecord) {
        self.flows.push(rec.clone());
    }
}

/// Every event of one capture file (panics on an unreadable file: for tests).
pub fn pcap_events(path: &Path) -> Vec<Event> {
    let mut c = Collect::default();
    run_files(&[path.to_path_buf()], &mut c).unwrap_or_else(|e| panic!("{e}"));
    c.events
}
