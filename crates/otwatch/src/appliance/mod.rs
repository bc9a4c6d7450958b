//! The appliance runtime: live capture or timed replay feeding a pipeline sharded
//! across worker threads, with one learner thread, sensor health and backpressure.
//!
//! ```text
//!  capture thread ──(batches by IP-pair hash)──► worker 0..N: Engine<Dissectors> ──(event batches)──► learner thread
//!  (AF_PACKET ring                                 decode, flows, reassembly,                          (one Analyzer: inventory,
//!   or replay)                                     dissectors                                           models, alerts, store)
//! ```
//!
//! Sharding by the unordered IP pair keeps every flow between two hosts on one
//! worker. All events meet in a single learner, so per-device models see every
//! shard's traffic and stay consistent whichever shard saw a packet.
//!
//! Backpressure (live capture only; replay blocks instead and loses nothing): a full
//! worker queue drops the batch (`internal_drops`); a full learner queue first sheds
//! `read`-class transactions — the periodic polls that carry the least information —
//! and keeps writes, program and control operations, weirds and flow records
//! (`shed_events`). Every drop is counted in [`health::Health`].

pub mod health;
pub mod runtime;

pub use health::{Health, HealthSnapshot};
pub use runtime::{Analyzer, RuntimeConfig, Source, run};
