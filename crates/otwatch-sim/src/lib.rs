//! Plant traffic simulator.
//!
//! [`simulate`] writes a deterministic pcap of a small industrial plant (Purdue
//! zones, PLCs, RTUs, relays, HMI, historian, engineering workstation, OPC UA
//! server, IT hosts, a router and a switch) that behaves like a real one: fixed
//! polling cycles with jitter, smoothly evolving process values, office-hours
//! engineering, background ARP/DNS/NTP/DHCP/LLDP, proper TCP. On the last day (the
//! detection day) it injects the attacks of [`AttackKind`] and labels their windows.
//!
//! ```no_run
//! use otwatch_sim::{SimConfig, simulate, write_labels_csv};
//! let cfg = SimConfig::default(); // 3 days, all attacks, profile small
//! let out = simulate(&cfg, std::fs::File::create("plant.pcap")?)?;
//! write_labels_csv(&out.labels, std::fs::File::create("labels.csv")?)?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! Same config → byte-identical pcap. Labels CSV: `attack_id,kind,start_ts,end_ts,
//! src_ip,dst_ip,description` with epoch seconds (microsecond decimals). The zones
//! file of [`zones_toml`] is the format the inventory reads.

pub mod attacks;
pub mod bg;
pub mod engine;
pub mod pcap;
pub mod plant;
pub mod poll;
pub mod proto;
pub mod rng;
pub mod session;
pub mod tcp;
pub mod truth;
pub mod wire;

mod build;

pub use attacks::{AttackKind, AttackSet};
pub use build::{PollingRelationship, ground_truth, labels, polling_relationships, simulate};
pub use truth::{
    GroundTruth, LABELS_HEADER, Label, TruthCrossing, TruthDevice, TruthZone, read_labels_csv,
    write_labels_csv, write_truth_json, zones_toml,
};

use otwatch_core::Timestamp;
use std::fmt;
use std::str::FromStr;

/// The plant layout.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum Profile {
    /// A process plant: Modbus, S7, EtherNet/IP, DNP3, IEC-104, BACnet, OPC UA,
    /// two GOOSE relays.
    #[default]
    Small,
    /// A substation-heavy plant: three DNP3 RTUs, two IEC-104 RTUs, six GOOSE
    /// relays, plus the PLCs the attacks need; no BACnet.
    Substation,
}

impl FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "small" => Ok(Profile::Small),
            "substation" => Ok(Profile::Substation),
            _ => Err(format!("unknown profile {s:?} (known: small, substation)")),
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Profile::Small => "small",
            Profile::Substation => "substation",
        })
    }
}

/// The default start: Monday 2026-11-02 00:00:00 UTC.
pub const DEFAULT_START: Timestamp = Timestamp(1_793_577_600 * Timestamp::SECOND);

/// Simulation parameters.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Simulated days (fractional allowed: 1/24 is one hour).
    pub days: f64,
    /// PRNG seed.
    pub seed: u64,
    /// Attacks to inject on the detection day.
    pub attacks: AttackSet,
    /// Plant layout.
    pub profile: Profile,
    /// First instant (UTC); the default is a Monday midnight.
    pub start: Timestamp,
    /// Clean days before the detection day (default `days - 1`, at least 0).
    pub learn_days: f64,
    /// Test knob: pack the attacks `n` seconds apart from the start of the
    /// detection day instead of spreading them over it.
    pub attack_spacing: Option<i64>,
}

impl SimConfig {
    /// `days` days with seed `seed`, all attacks on the last day, profile small.
    pub fn new(days: f64, seed: u64) -> Self {
        SimConfig {
            days,
            seed,
            attacks: AttackSet::all(),
            profile: Profile::Small,
            start: DEFAULT_START,
            learn_days: (days - 1.0).max(0.0),
            attack_spacing: None,
        }
    }
    /// End of the simulation.
    pub fn end(&self) -> Timestamp {
        self.start.add_nanos((self.days * 86_400.0 * 1e9) as i64)
    }
    /// Start of the detection day.
    pub fn detection_start(&self) -> Timestamp {
        self.start
            .add_nanos((self.learn_days * 86_400.0 * 1e9) as i64)
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig::new(3.0, 1)
    }
}

/// What a run produced.
#[derive(Clone, Debug)]
pub struct SimOutput {
    /// Packets written.
    pub packets: u64,
    /// Bytes written (pcap headers included).
    pub bytes: u64,
    /// Attack labels.
    pub labels: Vec<Label>,
    /// Ground truth.
    pub truth: GroundTruth,
}
