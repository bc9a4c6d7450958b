//! Incidents: correlation of alerts, ATT&CK for ICS tactics, narratives.
//!
//! A plant's security team cannot read a thousand alerts. The [`Correlator`] groups
//! [`otwatch_core::Alert`]s into [`Incident`]s by shared devices, time proximity and
//! ATT&CK for ICS tactic progression, and writes each one up: a title, a severity,
//! the timeline, the devices with their part, a plain-language narrative built only
//! from the alerts' fields (see [`narrative`]) and recommended next actions.
//!
//! Everything is deterministic: the same alerts in the same order give the same
//! incidents, ids and text. See `docs/incidents.md`.

pub mod correlate;
pub mod incident;
pub mod narrative;
pub mod tactics;

pub use correlate::{Correlator, CorrelatorConfig, correlate, incident_id};
pub use incident::{DevicePart, Incident, IncidentDevice, TimelineEntry, host_of};
pub use tactics::{Tactic, alert_tactic, technique_name};
