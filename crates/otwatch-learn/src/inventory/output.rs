//! Renderings of the inventory: the JSON document of `otwatch analyze --assets`
//! (schema in `docs/assets.md`) and the flat CSV of `--assets-csv`.

use super::resolve::{Connection, Device, ProtoSummary};
use super::{Inventory, Overflow, ServiceSighting};
use crate::zones::{Zone, ZonesSource};
use otwatch_core::Timestamp;
use serde::{Serialize, Serializer};

/// The schema name and version at the top of the JSON document.
pub const ASSETS_SCHEMA: &str = "otwatch.assets.v1";

/// Serialises a timestamp as epoch seconds (float), like every otwatch output.
pub fn ser_ts<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(t.as_secs_f64())
}

fn ser_opt_ts<S: Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_f64(t.as_secs_f64()),
        None => s.serialize_none(),
    }
}

/// The `--assets` JSON document.
#[derive(Serialize)]
pub struct AssetsDoc<'a> {
    /// Always [`ASSETS_SCHEMA`].
    pub schema: &'static str,
    /// First packet time observed.
    #[serde(serialize_with = "ser_opt_ts")]
    pub first_seen: Option<Timestamp>,
    /// Last packet time observed.
    #[serde(serialize_with = "ser_opt_ts")]
    pub last_seen: Option<Timestamp>,
    /// `file` or `inferred`.
    pub zones_source: ZonesSource,
    /// Zones in force.
    pub zones: &'a [Zone],
    /// Devices.
    pub devices: &'a [Device],
    /// Device-pair connections.
    pub connections: &'a [Connection],
    /// DHCP servers seen answering.
    pub dhcp_servers: &'a [ServiceSighting],
    /// Default gateways announced by DHCP.
    pub gateways: &'a [ServiceSighting],
    /// Observations refused by the caps.
    pub overflow: Overflow,
}

impl Inventory {
    /// The JSON document (as of the last classify).
    pub fn assets_doc(&self) -> AssetsDoc<'_> {
        let span = self.time_span();
        AssetsDoc {
            schema: ASSETS_SCHEMA,
            first_seen: span.map(|s| s.0),
            last_seen: span.map(|s| s.1),
            zones_source: self.zones().source,
            zones: &self.zones().zones,
            devices: self.devices(),
            connections: self.connections(),
            dhcp_servers: self.dhcp_servers(),
            gateways: self.gateways(),
            overflow: self.overflow(),
        }
    }

    /// The inventory as pretty-printed JSON (`otwatch analyze --assets FILE`).
    pub fn to_json(&self) -> String {
        // Serialising plain data into a String cannot fail; fall back to an error
        // object rather than panic if it ever does.
        serde_json::to_string_pretty(&self.assets_doc())
            .unwrap_or_else(|e| format!("{{\"error\":{:?}}}", e.to_string()))
    }

    /// The device list as CSV, one row per device (`--assets-csv FILE`); columns
    /// as in [`csv_header`].
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        out.push_str(&csv_header().join(","));
        out.push('\n');
        for d in self.devices() {
            let id = &d.identity;
            let attr =
                |a: &Option<super::Attr>| a.as_ref().map(|a| a.value.clone()).unwrap_or_default();
            let row = [
                d.id.to_string(),
                ser_name(&d.kind),
                d.confirmed.to_string(),
                d.mac.map(|m| m.to_string()).unwrap_or_default(),
                d.vendor.unwrap_or_default().to_string(),
                d.ip.map(|i| i.to_string()).unwrap_or_default(),
                d.ips
                    .iter()
                    .map(|i| i.ip.to_string())
                    .collect::<Vec<_>>()
                    .join(" "),
                d.name.clone().unwrap_or_default(),
                d.role.as_str().to_string(),
                format!("{:.2}", d.role_confidence),
                d.role_reasons.join("; "),
                d.zone.clone().unwrap_or_default(),
                d.dual_homed.to_string(),
                attr(&id.vendor),
                attr(&id.product),
                attr(&id.model),
                attr(&id.firmware),
                attr(&id.serial),
                attr(&id.software),
                protos(&d.protocols_client),
                protos(&d.protocols_server),
                d.first_seen.to_rfc3339(),
                d.last_seen.to_rfc3339(),
                d.pkts_sent.to_string(),
                d.pkts_received.to_string(),
                d.bytes_sent.to_string(),
                d.bytes_received.to_string(),
            ];
            let cells: Vec<String> = row.iter().map(|c| csv_cell(c)).collect();
            out.push_str(&cells.join(","));
            out.push('\n');
        }
        out
    }
}

/// Column names of [`Inventory::to_csv`].
pub fn csv_header() -> [&'static str; 27] {
    [
        "id",
        "kind",
        "confirmed",
        "mac",
        "vendor",
        "ip",
        "ips",
        "name",
        "role",
        "role_confidence",
        "role_reasons",
        "zone",
        "dual_homed",
        "identity_vendor",
        "product",
        "model",
        "firmware",
        "serial",
        "software",
        "protocols_client",
        "protocols_server",
        "first_seen",
        "last_seen",
        "pkts_sent",
        "pkts_received",
        "bytes_sent",
        "bytes_received",
    ]
}

fn ser_name<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn protos(ps: &[ProtoSummary]) -> String {
    ps.iter()
        .map(|p| p.proto.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// One CSV cell (RFC 4180 quoting). Cells that a spreadsheet would run as a
/// formula (leading `=`, `+`, `-`, `@`, tab, CR) get a leading `'`: names come
/// from the network and are hostile.
pub fn csv_cell(s: &str) -> String {
    let guarded = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}
