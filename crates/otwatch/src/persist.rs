//! Persistence shared by `analyze --db` and `serve`: the learned models resume
//! from the newest snapshot in the store, and a run's alerts, incidents, devices
//! and models are written back.

use anyhow::Context;
use otwatch_core::Alert;
use otwatch_learn::detect::DetectConfig;
use otwatch_learn::engine::{Engine, SNAPSHOT_NAME, SNAPSHOT_VERSION};
use otwatch_learn::zones::Zones;
use otwatch_store::Store;

/// An engine resumed from the store's newest model snapshot, or a fresh one.
/// A snapshot of another format version is refused with a clear message (exit 2).
pub fn load_engine(store: Option<&Store>, zones: Option<Zones>) -> anyhow::Result<Engine> {
    let cfg = DetectConfig::default();
    let Some(st) = store else {
        return Ok(Engine::new(zones, cfg));
    };
    let snap = st
        .load_latest_snapshot_checked(SNAPSHOT_NAME, &[SNAPSHOT_VERSION])
        .map_err(|e| super::cmd::UsageError(format!("{}: {e}", st.path().display())))?;
    match snap {
        Some(s) => Engine::restore(&s.blob, zones, cfg)
            .map_err(|e| super::cmd::UsageError(format!("{}: {e}", st.path().display())).into()),
        None => Ok(Engine::new(zones, cfg)),
    }
}

/// Saves the models, the alerts, the incidents (re-correlated over every alert in
/// the store, so a second run continues the first's incidents) and the devices.
pub fn save_run(
    st: &Store,
    engine: &Engine,
    alerts: &[Alert],
    _incidents: &[otwatch_analyst::Incident],
) -> anyhow::Result<()> {
    st.insert_alerts(alerts).context("alerts")?;
    st.rebuild_incidents(&otwatch_analyst::CorrelatorConfig::default())
        .context("incidents")?;
    let doc: serde_json::Value = serde_json::from_str(&engine.inventory().to_json())?;
    if let Some(devs) = doc.get("devices").and_then(|d| d.as_array()) {
        st.upsert_devices(devs).context("devices")?;
    }
    let now = engine.detectors().now as f64;
    st.save_snapshot(SNAPSHOT_NAME, SNAPSHOT_VERSION, now, &engine.snapshot())
        .context("model snapshot")?;
    st.flush().context("flush")?;
    Ok(())
}
