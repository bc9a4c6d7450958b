//! Model snapshots: opaque, versioned blobs (the engine's serialized state).
//!
//! The store keeps the bytes and the producer's format version. It never interprets
//! the blob; the reader states which versions it can read and an unknown version is
//! refused with [`Error::UnsupportedSnapshot`] rather than misread.

use crate::{Error, Result, Store};
use rusqlite::{OptionalExtension, params};

/// Snapshots kept per name; older ones are deleted when a new one is saved.
pub const SNAPSHOTS_KEPT: i64 = 3; // the latest plus two to fall back on

/// A stored snapshot.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    /// Row id (increasing).
    pub id: i64,
    /// Model name (`engine`, `inventory`, ...).
    pub name: String,
    /// The producer's format version.
    pub format_version: u32,
    /// When it was made (epoch seconds; packet or wall time, as the producer chose).
    pub created: f64,
    /// The bytes.
    pub blob: Vec<u8>,
}

pub(crate) fn save_snapshot_tx(
    tx: &rusqlite::Transaction<'_>,
    name: &str,
    version: u32,
    created: f64,
    blob: &[u8],
) -> Result<i64> {
    tx.execute(
        "INSERT INTO model_snapshots(name, format_version, created, blob) VALUES(?1, ?2, ?3, ?4)",
        params![name, version, created, blob],
    )?;
    let id = tx.last_insert_rowid();
    tx.execute(
        "DELETE FROM model_snapshots WHERE name = ?1 AND id NOT IN
           (SELECT id FROM model_snapshots WHERE name = ?1 ORDER BY id DESC LIMIT ?2)",
        params![name, SNAPSHOTS_KEPT],
    )?;
    Ok(id)
}

impl Store {
    /// Saves a snapshot synchronously and returns its id. Keeps the newest
    /// [`SNAPSHOTS_KEPT`] of the same name.
    pub fn save_snapshot(
        &self,
        name: &str,
        format_version: u32,
        created: f64,
        blob: &[u8],
    ) -> Result<i64> {
        let (n, b) = (name.to_string(), blob.to_vec());
        self.write(move |tx| save_snapshot_tx(tx, &n, format_version, created, &b))
    }

    /// The newest snapshot of `name`, whatever its version.
    pub fn load_latest_snapshot(&self, name: &str) -> Result<Option<Snapshot>> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT id, name, format_version, created, blob FROM model_snapshots
                 WHERE name = ?1 ORDER BY id DESC LIMIT 1",
                [name],
                |r| {
                    Ok(Snapshot {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        format_version: r.get(2)?,
                        created: r.get(3)?,
                        blob: r.get(4)?,
                    })
                },
            )
            .optional()?)
        })
    }

    /// The newest snapshot of `name`, refused with [`Error::UnsupportedSnapshot`] when
    /// its format version is not in `supported`. `Ok(None)` when there is none.
    pub fn load_latest_snapshot_checked(
        &self,
        name: &str,
        supported: &[u32],
    ) -> Result<Option<Snapshot>> {
        match self.load_latest_snapshot(name)? {
            Some(s) if !supported.contains(&s.format_version) => Err(Error::UnsupportedSnapshot {
                id: s.id,
                found: s.format_version,
                supported: supported.to_vec(),
            }),
            other => Ok(other),
        }
    }
}
