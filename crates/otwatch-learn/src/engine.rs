//! The learning engine: the asset inventory and the detectors behind one API.
//!
//! Events and flow records go in (in packet-time order, from one thread: the
//! runtime's single learner); alerts come out. The inventory names devices and
//! their roles, which the detectors use to explain and weigh what they see.
//!
//! - [`Engine::event`], [`Engine::flow`], [`Engine::tick`]: feed.
//! - [`Engine::drain_alerts`]: alerts raised since the last call (bounded queue:
//!   beyond [`MAX_PENDING_ALERTS`] the oldest are dropped and counted).
//! - [`Engine::snapshot`] / [`Engine::restore`]: the learned models, versioned, so
//!   `analyze --db` and `serve` resume from yesterday's baseline.

use crate::detect::{DetectConfig, Detectors};
use crate::inventory::Inventory;
use crate::zones::Zones;
use otwatch_core::{Alert, Event, FlowRecord, Timestamp};
use serde::{Deserialize, Serialize};

/// Alerts held between two [`Engine::drain_alerts`] calls.
pub const MAX_PENDING_ALERTS: usize = 100_000;
/// Format version of [`Engine::snapshot`]. Bump it when the model layout changes
/// and add a migration (or a refusal with a clear message) to [`Engine::restore`].
pub const SNAPSHOT_VERSION: u32 = 1;
/// Name under which the store keeps engine snapshots.
pub const SNAPSHOT_NAME: &str = "learn";

/// Why a snapshot could not be restored.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The bytes are not a snapshot.
    #[error("model snapshot is unreadable: {0}")]
    Corrupt(String),
    /// The snapshot is from another format version.
    #[error(
        "model snapshot has format version {found}, this otwatch reads version {SNAPSHOT_VERSION}; \
         start with a fresh database or an otwatch that matches it"
    )]
    Version {
        /// Version found in the snapshot.
        found: u32,
    },
}

#[derive(Serialize, Deserialize)]
struct SnapshotFile {
    version: u32,
    detectors: Detectors,
}

/// Learning progress, for the console and `/metrics`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LearningProgress {
    /// Entities (devices, pairs, streams, points) the models track.
    pub entities: u64,
    /// Of those, the ones past learning (alerting).
    pub mature: u64,
    /// Packet time covered by the models, in seconds.
    pub covered_secs: f64,
}

/// The inventory plus the detectors.
pub struct Engine {
    inventory: Inventory,
    detectors: Detectors,
    pending: Vec<Alert>,
    /// Alerts dropped because nobody drained the queue.
    pub dropped_alerts: u64,
}

impl Engine {
    /// A fresh engine; `zones` from a zones file, or inferred when `None`.
    pub fn new(zones: Option<Zones>, cfg: DetectConfig) -> Engine {
        let inventory = match zones {
            Some(z) => Inventory::with_zones(z),
            None => Inventory::new(),
        };
        Engine {
            inventory,
            detectors: Detectors::new(cfg),
            pending: Vec::new(),
            dropped_alerts: 0,
        }
    }

    /// An engine resuming from a snapshot made by [`Engine::snapshot`].
    pub fn restore(
        bytes: &[u8],
        zones: Option<Zones>,
        cfg: DetectConfig,
    ) -> Result<Engine, SnapshotError> {
        #[derive(Deserialize)]
        struct Head {
            version: u32,
        }
        let head: Head =
            serde_json::from_slice(bytes).map_err(|e| SnapshotError::Corrupt(e.to_string()))?;
        if head.version != SNAPSHOT_VERSION {
            return Err(SnapshotError::Version {
                found: head.version,
            });
        }
        let file: SnapshotFile =
            serde_json::from_slice(bytes).map_err(|e| SnapshotError::Corrupt(e.to_string()))?;
        let mut e = Engine::new(zones, cfg.clone());
        e.detectors = file.detectors;
        e.detectors.set_config(cfg);
        Ok(e)
    }

    /// The learned models as versioned bytes (JSON).
    pub fn snapshot(&self) -> Vec<u8> {
        #[derive(Serialize)]
        struct Out<'a> {
            version: u32,
            detectors: &'a Detectors,
        }
        serde_json::to_vec(&Out {
            version: SNAPSHOT_VERSION,
            detectors: &self.detectors,
        })
        .unwrap_or_default()
    }

    fn push(&mut self, out: Vec<Alert>) {
        for a in out {
            if self.pending.len() >= MAX_PENDING_ALERTS {
                self.pending.remove(0);
                self.dropped_alerts += 1;
            }
            self.pending.push(a);
        }
    }

    /// One dissector event.
    pub fn event(&mut self, ev: &Event) {
        self.inventory.observe_event(ev);
        let mut out = Vec::new();
        self.detectors.event(ev, &self.inventory, &mut out);
        self.push(out);
    }

    /// One flow record (flow ended, timed out, or a periodic report).
    pub fn flow(&mut self, rec: &FlowRecord) {
        self.inventory.observe_flow(rec);
        let mut out = Vec::new();
        self.detectors.flow(rec, &self.inventory, &mut out);
        self.push(out);
    }

    /// Packet time advanced to `now`: timers (stopped polling, volume windows).
    pub fn tick(&mut self, now: Timestamp) {
        let mut out = Vec::new();
        self.detectors.tick(now, &self.inventory, &mut out);
        self.push(out);
    }

    /// End of input: classify the inventory and flush every open aggregate.
    pub fn finish(&mut self) {
        self.inventory.finish();
        let mut out = Vec::new();
        self.detectors.finish(&self.inventory, &mut out);
        self.push(out);
    }

    /// Alerts raised since the last call, in the order they were raised.
    pub fn drain_alerts(&mut self) -> Vec<Alert> {
        std::mem::take(&mut self.pending)
    }

    /// The inventory.
    pub fn inventory(&self) -> &Inventory {
        &self.inventory
    }

    /// The inventory, mutable (classification, zone changes).
    pub fn inventory_mut(&mut self) -> &mut Inventory {
        &mut self.inventory
    }

    /// Replaces the detector settings (for example a forced learning window).
    pub fn set_config(&mut self, cfg: DetectConfig) {
        self.detectors.set_config(cfg);
    }

    /// The detectors (model inspection: the console's pattern-of-life view).
    pub fn detectors(&self) -> &Detectors {
        &self.detectors
    }

    /// How far learning has come.
    pub fn progress(&self) -> LearningProgress {
        self.detectors.progress()
    }
}
