//! The writer thread: receives batches over a bounded channel and commits them in
//! batched transactions; also runs the store's synchronous write jobs.

use crate::inventory::{ConnectionRow, EventRow};
use crate::{Error, Result};
use otwatch_analyst::Incident;
use otwatch_core::Alert;
use rusqlite::Connection;
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};
use std::sync::{Arc, Mutex};

/// Rows coalesced into one transaction at most; beyond it the writer commits and
/// starts another, so one commit never holds the write lock for long.
const MAX_ROWS_PER_TX: usize = 100_000; // about 0.5 s of inserts at the measured rate

/// A job run on the writer thread with the write connection.
pub(crate) type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// Messages to the writer thread.
pub(crate) enum Msg {
    /// Data to commit.
    Batch(Batch),
    /// Reply once everything before has been committed, with the first error since
    /// the previous flush.
    Flush(SyncSender<Result<()>>),
    /// A synchronous write job.
    Exec(Job),
    /// Commit what is queued and stop.
    Shutdown,
}

/// State shared between the writer thread and its handles.
#[derive(Default)]
pub(crate) struct Shared {
    /// First error of an asynchronous batch since the last flush.
    pub(crate) error: Mutex<Option<String>>,
}

/// One unit of bulk data for the writer. Every field may be empty.
#[derive(Clone, Debug, Default)]
pub struct Batch {
    /// Alerts: inserted, or (same id) updated with the new count, last time, score,
    /// summary and evidence. Triage state is kept. Active suppressions mark matching
    /// new alerts `suppressed`.
    pub alerts: Vec<Alert>,
    /// Events for the bulky `events` table (subject to retention).
    pub events: Vec<EventRow>,
    /// Devices as inventory JSON objects (see [`crate::Store::upsert_devices`]).
    pub devices: Vec<serde_json::Value>,
    /// Connections (replaced by `(src, dst, proto)`).
    pub connections: Vec<ConnectionRow>,
    /// Named JSON reports to store (`("airgap", report)`), replacing earlier ones.
    pub reports: Vec<(String, f64, serde_json::Value)>,
    /// Incidents to store (see [`crate::Store::save_incidents`]).
    pub incidents: Vec<Incident>,
    /// A model snapshot: `(name, format_version, created, blob)`.
    pub snapshot: Option<(String, u32, f64, Vec<u8>)>,
}

impl Batch {
    /// Number of rows the batch writes.
    pub fn rows(&self) -> usize {
        self.alerts.len()
            + self.events.len()
            + self.devices.len()
            + self.connections.len()
            + self.reports.len()
            + self.incidents.len()
            + usize::from(self.snapshot.is_some())
    }
    /// True when the batch writes nothing.
    pub fn is_empty(&self) -> bool {
        self.rows() == 0
    }
}

/// A handle for batched writes (see the crate docs). Cloneable and `Send`.
#[derive(Clone)]
pub struct Writer {
    tx: SyncSender<Msg>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Writer")
    }
}

impl Writer {
    pub(crate) fn new(tx: SyncSender<Msg>, shared: Arc<Shared>) -> Self {
        Writer { tx, shared }
    }

    /// Queues a batch; blocks while the channel is full. Errors of the commit itself
    /// are reported by the next [`Writer::flush`].
    pub fn send(&self, batch: Batch) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        self.tx
            .send(Msg::Batch(batch))
            .map_err(|_| Error::WriterGone)
    }

    /// Waits until every batch sent before is committed. Returns the first error of
    /// those commits, if any (a failed batch is rolled back as a whole).
    pub fn flush(&self) -> Result<()> {
        let (rtx, rrx) = sync_channel(1);
        self.tx
            .send(Msg::Flush(rtx))
            .map_err(|_| Error::WriterGone)?;
        let res = rrx.recv().map_err(|_| Error::WriterGone)?;
        res?;
        match self.shared.error.lock().ok().and_then(|mut e| e.take()) {
            Some(e) => Err(Error::Invalid(format!("batch commit failed: {e}"))),
            None => Ok(()),
        }
    }
}

/// The writer thread's loop.
pub(crate) fn run(mut conn: Connection, rx: Receiver<Msg>, shared: Arc<Shared>) {
    let mut pending: Vec<Batch> = Vec::new();
    let mut rows = 0usize;
    while let Ok(first) = rx.recv() {
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            match msg {
                Msg::Batch(b) => {
                    rows += b.rows();
                    pending.push(b);
                    if rows >= MAX_ROWS_PER_TX {
                        commit(&mut conn, &mut pending, &shared);
                        rows = 0;
                    }
                    // Coalesce whatever else is already queued.
                    match rx.try_recv() {
                        Ok(m) => next = Some(m),
                        Err(TryRecvError::Empty) | Err(TryRecvError::Disconnected) => {}
                    }
                }
                Msg::Flush(reply) => {
                    commit(&mut conn, &mut pending, &shared);
                    rows = 0;
                    let _ = reply.send(Ok(()));
                }
                Msg::Exec(job) => {
                    commit(&mut conn, &mut pending, &shared);
                    rows = 0;
                    job(&mut conn);
                }
                Msg::Shutdown => {
                    commit(&mut conn, &mut pending, &shared);
                    let _ = conn.execute_batch("PRAGMA wal_checkpoint(PASSIVE)");
                    return;
                }
            }
        }
        commit(&mut conn, &mut pending, &shared);
        rows = 0;
    }
    commit(&mut conn, &mut pending, &shared);
}

fn commit(conn: &mut Connection, pending: &mut Vec<Batch>, shared: &Shared) {
    if pending.is_empty() {
        return;
    }
    let res = (|| -> Result<()> {
        let tx = conn.transaction()?;
        for b in pending.iter() {
            write_batch(&tx, b)?;
        }
        tx.commit()?;
        Ok(())
    })();
    pending.clear();
    if let Err(e) = res
        && let Ok(mut slot) = shared.error.lock()
        && slot.is_none()
    {
        *slot = Some(e.to_string());
    }
}

/// Writes one batch inside an open transaction.
pub(crate) fn write_batch(tx: &rusqlite::Transaction<'_>, b: &Batch) -> Result<()> {
    if !b.alerts.is_empty() {
        crate::alerts::insert_alerts_tx(tx, &b.alerts)?;
    }
    if !b.events.is_empty() {
        crate::inventory::insert_events_tx(tx, &b.events)?;
    }
    if !b.devices.is_empty() {
        crate::inventory::upsert_devices_tx(tx, &b.devices)?;
    }
    if !b.connections.is_empty() {
        crate::inventory::upsert_connections_tx(tx, &b.connections)?;
    }
    for (name, ts, v) in &b.reports {
        crate::inventory::put_report_tx(tx, name, *ts, v)?;
    }
    if !b.incidents.is_empty() {
        crate::triage::save_incidents_tx(tx, &b.incidents)?;
    }
    if let Some((name, ver, created, blob)) = &b.snapshot {
        crate::snapshots::save_snapshot_tx(tx, name, *ver, *created, blob)?;
    }
    Ok(())
}
