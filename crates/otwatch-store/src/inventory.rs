//! Devices (inventory JSON blobs with indexed columns), connections, named reports
//! (the air-gap report) and the bulky events table.

use crate::alerts::{Page, like_pattern, page_size};
use crate::{Error, Result, Store};
use rusqlite::types::Value as SqlValue;
use rusqlite::{OptionalExtension, params, params_from_iter};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Longest indexed text taken from a device or event JSON value.
const MAX_INDEXED_CHARS: usize = 256; // addresses and role names are far shorter

/// Filter and paging for [`Store::devices`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeviceQuery {
    /// Substring of id, IP, MAC, name, role or the whole JSON (vendor, identity ...).
    pub text: Option<String>,
    /// Exact role.
    pub role: Option<String>,
    /// Exact zone.
    pub zone: Option<String>,
    /// Page size (0 = 100).
    pub limit: usize,
    /// Rows skipped.
    pub offset: usize,
}

/// A device pair with what it speaks (the inventory's cumulative view; the store
/// replaces the row for the same `(src, dst, proto)`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ConnectionRow {
    /// Client device id or address.
    pub src: String,
    /// Server device id or address.
    pub dst: String,
    /// Protocol.
    pub proto: String,
    /// Operation classes seen (`read`, `write`, ...).
    #[serde(default)]
    pub ops: Vec<String>,
    /// Transactions or flows.
    pub count: u64,
    /// Bytes.
    pub bytes: u64,
    /// First seen.
    pub first_seen: f64,
    /// Last seen.
    pub last_seen: f64,
    /// Appeared after the learning period.
    #[serde(default)]
    pub new: bool,
}

/// One row of the bulky `events` table.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EventRow {
    /// Packet time (epoch seconds).
    pub ts: f64,
    /// Event kind or function (`write_single_register`, a weird name ...).
    pub kind: String,
    /// Source.
    pub src: String,
    /// Destination.
    pub dst: String,
    /// Protocol.
    pub proto: String,
    /// The full event as JSON text.
    pub json: String,
}

fn text_field(v: &Value, keys: &[&str]) -> Option<String> {
    for k in keys {
        match v.get(*k) {
            Some(Value::String(s)) if !s.is_empty() => {
                return Some(s.chars().take(MAX_INDEXED_CHARS).collect());
            }
            Some(Value::Array(a)) => {
                if let Some(Value::String(s)) = a.first() {
                    return Some(s.chars().take(MAX_INDEXED_CHARS).collect());
                }
            }
            Some(Value::Number(n)) => return Some(n.to_string()),
            _ => {}
        }
    }
    None
}

fn num_field(v: &Value, keys: &[&str]) -> Option<f64> {
    keys.iter().find_map(|k| v.get(*k).and_then(Value::as_f64))
}

impl EventRow {
    /// Builds a row from an NDJSON-style event object (`ts`, `src`, `dst`, `proto`,
    /// and `function` or `kind`).
    pub fn from_json(v: &Value) -> Result<EventRow> {
        Ok(EventRow {
            ts: num_field(v, &["ts"]).unwrap_or(0.0),
            kind: text_field(v, &["function", "kind"]).unwrap_or_default(),
            src: text_field(v, &["src"]).unwrap_or_default(),
            dst: text_field(v, &["dst"]).unwrap_or_default(),
            proto: text_field(v, &["proto"]).unwrap_or_default(),
            json: serde_json::to_string(v)?,
        })
    }
    /// Builds a row from a dissector event.
    pub fn from_event(e: &otwatch_core::Event) -> Result<EventRow> {
        let v = serde_json::to_value(e)?;
        let mut row = EventRow::from_json(&v)?;
        row.ts = e.ts.as_secs_f64();
        Ok(row)
    }
}

/// Device id: `id`, else `mac`, else the first IP.
fn device_id(v: &Value) -> Option<String> {
    text_field(v, &["id", "mac", "ip", "ips"])
}

pub(crate) fn upsert_devices_tx(tx: &rusqlite::Transaction<'_>, devs: &[Value]) -> Result<()> {
    let mut st = tx.prepare_cached(
        "INSERT INTO devices(id, ip, mac, role, zone, name, first_seen, last_seen, data)
         VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT(id) DO UPDATE SET ip=excluded.ip, mac=excluded.mac, role=excluded.role,
            zone=excluded.zone, name=excluded.name, first_seen=excluded.first_seen,
            last_seen=excluded.last_seen, data=excluded.data",
    )?;
    for v in devs {
        let Some(id) = device_id(v) else {
            return Err(Error::Invalid(
                "device JSON has none of id, mac, ip, ips".into(),
            ));
        };
        st.execute(params![
            id,
            text_field(v, &["ip", "ips"]),
            text_field(v, &["mac"]),
            text_field(v, &["role"]),
            text_field(v, &["zone"]),
            text_field(v, &["name"]),
            num_field(v, &["first_seen"]),
            num_field(v, &["last_seen"]),
            serde_json::to_string(v)?,
        ])?;
    }
    Ok(())
}

pub(crate) fn upsert_connections_tx(
    tx: &rusqlite::Transaction<'_>,
    rows: &[ConnectionRow],
) -> Result<()> {
    let mut st = tx.prepare_cached(
        "INSERT INTO connections(src, dst, proto, ops, count, bytes, first_seen, last_seen, new)
         VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT(src, dst, proto) DO UPDATE SET ops=excluded.ops, count=excluded.count,
            bytes=excluded.bytes, first_seen=excluded.first_seen,
            last_seen=excluded.last_seen, new=excluded.new",
    )?;
    for c in rows {
        st.execute(params![
            c.src,
            c.dst,
            c.proto,
            serde_json::to_string(&c.ops)?,
            c.count.min(i64::MAX as u64) as i64,
            c.bytes.min(i64::MAX as u64) as i64,
            c.first_seen,
            c.last_seen,
            c.new,
        ])?;
    }
    Ok(())
}

pub(crate) fn insert_events_tx(tx: &rusqlite::Transaction<'_>, rows: &[EventRow]) -> Result<()> {
    let mut st = tx.prepare_cached(
        "INSERT INTO events(ts, kind, src, dst, proto, data) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for e in rows {
        st.execute(params![e.ts, e.kind, e.src, e.dst, e.proto, e.json])?;
    }
    Ok(())
}

pub(crate) fn put_report_tx(
    tx: &rusqlite::Transaction<'_>,
    name: &str,
    ts: f64,
    v: &Value,
) -> Result<()> {
    tx.execute(
        "INSERT INTO reports(name, updated, data) VALUES(?1, ?2, ?3)
         ON CONFLICT(name) DO UPDATE SET updated=excluded.updated, data=excluded.data",
        params![name, ts, serde_json::to_string(v)?],
    )?;
    Ok(())
}

fn json_rows(st: &mut rusqlite::Statement<'_>, p: &[SqlValue]) -> Result<Vec<Value>> {
    let rows = st
        .query_map(params_from_iter(p.iter()), |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    rows.iter()
        .map(|s| serde_json::from_str(s).map_err(Error::from))
        .collect()
}

impl Store {
    /// Inserts or replaces devices, given as the inventory's JSON objects. Indexed
    /// columns come from these keys: `id` (else `mac`, else `ip`/first of `ips`),
    /// `ip` or `ips`, `mac`, `role`, `zone`, `name`, `first_seen`, `last_seen`. The
    /// whole object is kept and returned as is.
    pub fn upsert_devices(&self, devices: &[Value]) -> Result<()> {
        let d = devices.to_vec();
        self.write(move |tx| upsert_devices_tx(tx, &d))
    }

    /// Devices matching `q`, by id, with the total count.
    pub fn devices(&self, q: &DeviceQuery) -> Result<Page<Value>> {
        let mut wh = Vec::new();
        let mut p: Vec<SqlValue> = Vec::new();
        if let Some(r) = &q.role {
            p.push(SqlValue::Text(r.clone()));
            wh.push(format!("role = ?{}", p.len()));
        }
        if let Some(z) = &q.zone {
            p.push(SqlValue::Text(z.clone()));
            wh.push(format!("zone = ?{}", p.len()));
        }
        if let Some(t) = &q.text {
            p.push(SqlValue::Text(like_pattern(t)));
            let n = p.len();
            wh.push(format!(
                "(id LIKE ?{n} ESCAPE '\\' OR ip LIKE ?{n} ESCAPE '\\' OR mac LIKE ?{n} ESCAPE '\\'
                  OR name LIKE ?{n} ESCAPE '\\' OR role LIKE ?{n} ESCAPE '\\' OR data LIKE ?{n} ESCAPE '\\')"
            ));
        }
        let w = if wh.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", wh.join(" AND "))
        };
        let (limit, offset) = (page_size(q.limit), q.offset.min(i64::MAX as usize));
        self.read(|c| {
            let total: i64 = c.query_row(
                &format!("SELECT COUNT(*) FROM devices {w}"),
                params_from_iter(p.iter()),
                |r| r.get(0),
            )?;
            let mut st = c.prepare(&format!(
                "SELECT data FROM devices {w} ORDER BY id LIMIT {limit} OFFSET {offset}"
            ))?;
            Ok(Page {
                total: total.max(0) as u64,
                items: json_rows(&mut st, &p)?,
            })
        })
    }

    /// One device by id, or by one of its addresses (IP or MAC).
    pub fn device(&self, id: &str) -> Result<Option<Value>> {
        self.read(|c| {
            let s: Option<String> = c
                .query_row(
                    "SELECT data FROM devices WHERE id = ?1 OR ip = ?1 OR mac = ?1
                     ORDER BY (id = ?1) DESC LIMIT 1",
                    [id],
                    |r| r.get(0),
                )
                .optional()?;
            s.map(|s| serde_json::from_str(&s).map_err(Error::from))
                .transpose()
        })
    }

    /// Inserts or replaces connections.
    pub fn upsert_connections(&self, rows: &[ConnectionRow]) -> Result<()> {
        let r = rows.to_vec();
        self.write(move |tx| upsert_connections_tx(tx, &r))
    }

    /// Connections, all or those whose `src` or `dst` is `device`, most recent
    /// first, at most `limit` (0 = 100).
    pub fn connections(&self, device: Option<&str>, limit: usize) -> Result<Vec<ConnectionRow>> {
        let limit = page_size(limit);
        self.read(|c| {
            let mut st = c.prepare(&format!(
                "SELECT src, dst, proto, ops, count, bytes, first_seen, last_seen, new
                 FROM connections WHERE ?1 IS NULL OR src = ?1 OR dst = ?1
                 ORDER BY last_seen DESC, src, dst, proto LIMIT {limit}"
            ))?;
            let v = st
                .query_map([device], |r| {
                    let ops: String = r.get(3)?;
                    Ok(ConnectionRow {
                        src: r.get(0)?,
                        dst: r.get(1)?,
                        proto: r.get(2)?,
                        ops: serde_json::from_str(&ops).unwrap_or_default(),
                        count: r.get::<_, i64>(4)?.max(0) as u64,
                        bytes: r.get::<_, i64>(5)?.max(0) as u64,
                        first_seen: r.get::<_, Option<f64>>(6)?.unwrap_or(0.0),
                        last_seen: r.get::<_, Option<f64>>(7)?.unwrap_or(0.0),
                        new: r.get::<_, i64>(8)? != 0,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(v)
        })
    }

    /// Stores a named JSON report (replacing the previous one of that name).
    pub fn put_report(&self, name: &str, updated: f64, report: &Value) -> Result<()> {
        let (n, r) = (name.to_string(), report.clone());
        self.write(move |tx| put_report_tx(tx, &n, updated, &r))
    }

    /// A named report and when it was stored.
    pub fn report(&self, name: &str) -> Result<Option<(f64, Value)>> {
        self.read(|c| {
            let row: Option<(f64, String)> = c
                .query_row(
                    "SELECT updated, data FROM reports WHERE name = ?1",
                    [name],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            row.map(|(t, s)| Ok((t, serde_json::from_str(&s)?)))
                .transpose()
        })
    }

    /// Stores the air-gap report (the report named `airgap`).
    pub fn put_airgap_report(&self, updated: f64, report: &Value) -> Result<()> {
        self.put_report("airgap", updated, report)
    }

    /// The latest air-gap report.
    pub fn airgap_report(&self) -> Result<Option<Value>> {
        Ok(self.report("airgap")?.map(|(_, v)| v))
    }

    /// Inserts events synchronously (prefer the [`crate::Writer`]).
    pub fn insert_events(&self, rows: &[EventRow]) -> Result<()> {
        let r = rows.to_vec();
        self.write(move |tx| insert_events_tx(tx, &r))
    }

    /// Events with `since <= ts < until`, oldest first, at most `limit` (0 = 100).
    pub fn events(&self, since: f64, until: f64, limit: usize) -> Result<Vec<EventRow>> {
        let limit = page_size(limit);
        self.read(|c| {
            let mut st = c.prepare(&format!(
                "SELECT ts, kind, src, dst, proto, data FROM events WHERE ts >= ?1 AND ts < ?2
                 ORDER BY ts, id LIMIT {limit}"
            ))?;
            let v = st
                .query_map(params![since, until], |r| {
                    Ok(EventRow {
                        ts: r.get(0)?,
                        kind: r.get(1)?,
                        src: r.get(2)?,
                        dst: r.get(3)?,
                        proto: r.get(4)?,
                        json: r.get(5)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(v)
        })
    }

    /// Number of rows in the events table.
    pub fn event_count(&self) -> Result<u64> {
        self.read(|c| {
            let n: i64 = c.query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))?;
            Ok(n.max(0) as u64)
        })
    }
}
