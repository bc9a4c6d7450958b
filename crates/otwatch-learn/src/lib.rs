//! Asset inventory, zones, the air-gap report, pattern-of-life models and detectors.
//!
//! Input: the [`otwatch_core::Event`]s dissectors emit and the
//! [`otwatch_core::FlowRecord`]s the flow table reports. Output: an inventory of
//! devices and connections, an air-gap report, and scored, explained
//! [`otwatch_core::Alert`]s.

pub mod airgap;
pub mod inventory;
pub mod oui;
pub mod zones;

pub mod detect;
pub mod engine;
pub mod eval;
pub mod mitre;
pub mod models;
