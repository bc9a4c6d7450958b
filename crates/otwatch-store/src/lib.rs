//! The embedded store: SQLite (bundled) in WAL mode, one writer thread, versioned
//! migrations, retention, model snapshots, triage and the console's accounts.
//!
//! # Model
//!
//! * [`Store::open`] opens (or creates) the database, runs pending schema migrations
//!   (refusing a database written by a newer otwatch) and starts the **writer
//!   thread**, which owns the only writing connection.
//! * Bulk data (alerts, events, devices, connections, reports, snapshots) goes
//!   through a [`Writer`] ([`Store::writer`]): [`Writer::send`] queues a [`Batch`] on a
//!   bounded channel (it blocks when the writer is behind: back-pressure, not
//!   unbounded memory) and the thread commits queued batches together in one
//!   transaction. [`Writer::flush`] returns once everything sent before it is
//!   committed, with the first error since the previous flush.
//! * Small synchronous writes (triage, users, settings) are closures run on the same
//!   writer thread in their own transaction ([`Store::write`]), so there is exactly
//!   one writer and no `SQLITE_BUSY` between our own writes.
//! * Reads use a small pool of read-only connections, one per calling thread at a
//!   time; WAL lets them run while the writer commits.
//!
//! Every method is synchronous. The console wraps calls in `spawn_blocking`; a
//! `Store` is `Send + Sync` and meant to be shared in an `Arc`.
//!
//! # Durability
//!
//! The database runs with `journal_mode=WAL` and `synchronous=NORMAL`. A transaction
//! is committed when its commit record is written to the WAL file; with `NORMAL`,
//! SQLite does not `fsync` the WAL at every commit, only at checkpoints. So:
//!
//! * a **process crash** (panic, `SIGKILL`, OOM kill) loses nothing that was
//!   committed: the WAL write reached the operating system before `COMMIT` returned,
//!   and the next open replays the WAL. The crash-safety test kills a writer with
//!   `SIGKILL` and checks exactly this;
//! * a **power loss or kernel crash** can lose the last transactions committed
//!   since the last checkpoint, but never corrupts the database (the WAL is
//!   checksummed and replayed up to the last valid commit).
//!
//! [`StoreConfig::synchronous_full`] switches to `synchronous=FULL` (an `fsync` per
//! commit) for sites that need power-loss durability of each commit.
//!
//! See `docs/store.md` for the schema, migrations and retention.

mod accounts;
mod alerts;
mod inventory;
mod retention;
mod schema;
mod snapshots;
mod triage;
mod writer;

pub use accounts::{ApiToken, AuditEntry, AuditQuery, Session, User};
pub use alerts::{AlertQuery, AlertRow, AlertSort, MAX_PAGE, Overview, Page};
pub use inventory::{ConnectionRow, DeviceQuery, EventRow};
pub use retention::{PruneReport, RetentionPolicy};
pub use schema::SCHEMA_VERSION;
pub use snapshots::Snapshot;
pub use triage::{
    Comment, IncidentQuery, IncidentRow, Suppression, SuppressionScope, Triage, TriageAction,
};
pub use writer::{Batch, Writer};

use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// SQLite failed.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A JSON column could not be encoded or decoded.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// File system error.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The database was written by a newer otwatch.
    #[error(
        "database schema version {found} is newer than this otwatch supports ({supported}); upgrade otwatch or use another --db"
    )]
    NewerSchema {
        /// Version found in the database.
        found: i64,
        /// Latest version this build knows.
        supported: i64,
    },
    /// A model snapshot has a format version the caller cannot read.
    #[error(
        "model snapshot {id} has format version {found}, which this otwatch cannot read (supported: {supported:?}); it was written by another otwatch version: delete it with `otwatch` of that version or start learning afresh"
    )]
    UnsupportedSnapshot {
        /// Snapshot row id.
        id: i64,
        /// Its format version.
        found: u32,
        /// Versions the caller reads.
        supported: Vec<u32>,
    },
    /// The writer thread has stopped (the store is shutting down or it panicked).
    #[error("store writer thread is not running")]
    WriterGone,
    /// Something named does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// A caller-supplied value is not acceptable.
    #[error("invalid: {0}")]
    Invalid(String),
}

/// Result of store operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Store settings.
#[derive(Clone, Debug)]
pub struct StoreConfig {
    /// Batches queued to the writer before [`Writer::send`] blocks.
    pub channel_capacity: usize,
    /// `synchronous=FULL` instead of `NORMAL` (see "Durability").
    pub synchronous_full: bool,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            channel_capacity: 64,
            synchronous_full: false,
        }
    }
}

/// Idle read connections kept for reuse.
const MAX_IDLE_READERS: usize = 8; // the console's blocking pool rarely runs more at once
/// How long a connection waits for a lock before failing (milliseconds).
const BUSY_TIMEOUT_MS: u64 = 10_000;

/// The store. Cheap to share (`Arc<Store>`); dropping the last handle stops the
/// writer thread after it has committed what was queued.
pub struct Store {
    path: PathBuf,
    tx: SyncSender<writer::Msg>,
    shared: Arc<writer::Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
    readers: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens or creates the store at `path` with default settings.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        Store::open_with(path, StoreConfig::default())
    }

    /// Opens or creates the store at `path`: sets WAL mode, runs migrations (an
    /// error for a database from a newer version) and starts the writer thread.
    pub fn open_with(path: impl AsRef<Path>, cfg: StoreConfig) -> Result<Store> {
        let path = path.as_ref().to_path_buf();
        let mut conn = Connection::open(&path)?;
        conn.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS))?;
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::Invalid(format!(
                "{} cannot use WAL mode (got {mode}); is it on a network file system?",
                path.display()
            )));
        }
        let sync = if cfg.synchronous_full {
            "FULL"
        } else {
            "NORMAL"
        };
        conn.execute_batch(&format!(
            "PRAGMA synchronous={sync}; PRAGMA foreign_keys=OFF; PRAGMA temp_store=MEMORY;"
        ))?;
        schema::migrate(&mut conn)?;
        let shared = Arc::new(writer::Shared::default());
        let (tx, rx) = sync_channel(cfg.channel_capacity.max(1));
        let sh = shared.clone();
        let thread = std::thread::Builder::new()
            .name("otwatch-store-writer".into())
            .spawn(move || writer::run(conn, rx, sh))?;
        Ok(Store {
            path,
            tx,
            shared,
            thread: Mutex::new(Some(thread)),
            readers: Mutex::new(Vec::new()),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A handle for batched writes. Clone it freely; it may outlive nothing: once the
    /// store is dropped, sends fail with [`Error::WriterGone`].
    pub fn writer(&self) -> Writer {
        Writer::new(self.tx.clone(), self.shared.clone())
    }

    /// Runs `f` on the writer thread inside one transaction and returns its result.
    /// The transaction commits when `f` returns `Ok`, and rolls back otherwise.
    pub fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> Result<T> + Send + 'static,
    {
        let (rtx, rrx) = sync_channel(1);
        let job: writer::Job = Box::new(move |conn: &mut Connection| {
            let res = (|| {
                let tx = conn.transaction()?;
                let v = f(&tx)?;
                tx.commit()?;
                Ok(v)
            })();
            let _ = rtx.send(res);
        });
        self.tx
            .send(writer::Msg::Exec(job))
            .map_err(|_| Error::WriterGone)?;
        rrx.recv().map_err(|_| Error::WriterGone)?
    }

    /// Runs `f` with a read-only connection from the pool.
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = self.readers.lock().ok().and_then(|mut p| p.pop());
        let conn = match conn {
            Some(c) => c,
            None => {
                let c = Connection::open_with_flags(
                    &self.path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                c.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS))?;
                c
            }
        };
        let res = f(&conn);
        if let Ok(mut p) = self.readers.lock()
            && p.len() < MAX_IDLE_READERS
        {
            p.push(conn);
        }
        res
    }

    /// `PRAGMA integrity_check`: `"ok"` for a sound database.
    pub fn integrity_check(&self) -> Result<String> {
        self.read(|c| {
            let mut st = c.prepare("PRAGMA integrity_check")?;
            let rows: Vec<String> = st
                .query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<_, _>>()?;
            Ok(rows.join("; "))
        })
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64> {
        self.read(schema::current_version)
    }

    /// A setting, or `None`.
    pub fn setting_get(&self, key: &str) -> Result<Option<String>> {
        use rusqlite::OptionalExtension;
        self.read(|c| {
            Ok(
                c.query_row("SELECT value FROM settings WHERE key=?1", [key], |r| {
                    r.get(0)
                })
                .optional()?,
            )
        })
    }

    /// Sets a setting.
    pub fn setting_put(&self, key: &str, value: &str) -> Result<()> {
        let (k, v) = (key.to_string(), value.to_string());
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO settings(key, value) VALUES(?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                [&k, &v],
            )?;
            Ok(())
        })
    }

    /// Waits until the writer has committed everything queued so far.
    pub fn flush(&self) -> Result<()> {
        self.writer().flush()
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        let _ = self.tx.send(writer::Msg::Shutdown);
        if let Ok(mut t) = self.thread.lock()
            && let Some(h) = t.take()
        {
            let _ = h.join();
        }
    }
}
