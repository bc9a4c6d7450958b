//! The one event schema that every dissector emits.
//!
//! A dissector turns a request/response pair (a *transaction*) or a one-way message
//! into an [`Event`]; malformed or surprising input becomes an event of kind
//! [`EventKind::Weird`] with a stable snake_case name in `function`
//! (`modbus_length_mismatch`). The NDJSON rendering (`otwatch analyze --events`) is
//! documented field by field in `docs/events.md`.

use crate::addr::{Endpoint, Mac};
use crate::session::FlowId;
use crate::time::Timestamp;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Serialize, Serializer};
use std::borrow::Cow;

/// Operation class of an industrial (or IT) transaction. Detection reasons about
/// these classes across protocols: a new `write` or `program` from a host that only
/// ever `read` matters more than a new read.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpClass {
    /// Reads process data or configuration.
    Read,
    /// Writes process data (setpoints, coils, points).
    Write,
    /// Transfers or changes logic, firmware or configuration (download, upload, DCP set).
    Program,
    /// Changes the device's operating state: start, stop, restart, mode change, operate.
    Control,
    /// Diagnostics, status, identity queries.
    Diagnostic,
    /// Discovery and enumeration (Who-Is, ListIdentity, DCP identify, ARP).
    Discovery,
    /// Session management (connect, setup, register session, keep-alive, handshake).
    Session,
    /// Anything else (including weird events).
    Other,
}

impl OpClass {
    /// All classes, in a stable order.
    pub const ALL: [OpClass; 8] = [
        OpClass::Read,
        OpClass::Write,
        OpClass::Program,
        OpClass::Control,
        OpClass::Diagnostic,
        OpClass::Discovery,
        OpClass::Session,
        OpClass::Other,
    ];
    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            OpClass::Read => "read",
            OpClass::Write => "write",
            OpClass::Program => "program",
            OpClass::Control => "control",
            OpClass::Diagnostic => "diagnostic",
            OpClass::Discovery => "discovery",
            OpClass::Session => "session",
            OpClass::Other => "other",
        }
    }
    /// True for classes that change the process or the device (write, program, control).
    pub fn is_modifying(self) -> bool {
        matches!(self, OpClass::Write | OpClass::Program | OpClass::Control)
    }
}

/// What an event records.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A protocol transaction or message (request/response pair, or one-way message).
    Transaction,
    /// Malformed or surprising input; `function` holds the weird name.
    Weird,
}

/// A field value. Kept small and open: dissectors add protocol-specific fields
/// without changing the schema of the common ones.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A boolean.
    Bool(bool),
    /// An unsigned integer.
    U64(u64),
    /// A signed integer.
    I64(i64),
    /// A float.
    F64(f64),
    /// A string (already sanitised to valid UTF-8).
    Str(String),
    /// A static string (enumerated names).
    Name(&'static str),
    /// Raw bytes, rendered as lowercase hex.
    Bytes(Vec<u8>),
    /// A list.
    List(Vec<Value>),
}

impl Value {
    /// The value as an unsigned integer, if it is one.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::U64(v) => Some(v),
            Value::I64(v) if v >= 0 => Some(v as u64),
            _ => None,
        }
    }
    /// The value as a float, if it is numeric.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::U64(v) => Some(v as f64),
            Value::I64(v) => Some(v as f64),
            Value::F64(v) => Some(v),
            Value::Bool(b) => Some(b as u8 as f64),
            _ => None,
        }
    }
    /// The value as a string, if it is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            Value::Name(s) => Some(s),
            _ => None,
        }
    }
    /// Builds a string value from bytes, replacing invalid UTF-8 and control characters.
    pub fn text(b: &[u8]) -> Value {
        Value::Str(sanitize(b))
    }
}

/// Turns untrusted bytes into a printable string: invalid UTF-8 is replaced, control
/// characters become `\xNN`, trailing NULs and spaces are trimmed, and the result is
/// capped at 256 characters.
pub fn sanitize(b: &[u8]) -> String {
    const MAX_CHARS: usize = 256;
    let s = String::from_utf8_lossy(b);
    let s = s.trim_end_matches(['\0', ' ']);
    let mut out = String::with_capacity(s.len().min(MAX_CHARS));
    for (n, c) in s.chars().enumerate() {
        if n >= MAX_CHARS {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.push_str(&format!("\\x{:02x}", c as u32 & 0xff));
        } else {
            out.push(c);
        }
    }
    out
}

macro_rules! value_from {
    ($t:ty, $v:ident, $e:expr) => {
        impl From<$t> for Value {
            fn from($v: $t) -> Value {
                $e
            }
        }
    };
}
value_from!(bool, v, Value::Bool(v));
value_from!(u8, v, Value::U64(v as u64));
value_from!(u16, v, Value::U64(v as u64));
value_from!(u32, v, Value::U64(v as u64));
value_from!(u64, v, Value::U64(v));
value_from!(usize, v, Value::U64(v as u64));
value_from!(i16, v, Value::I64(v as i64));
value_from!(i32, v, Value::I64(v as i64));
value_from!(i64, v, Value::I64(v));
value_from!(f32, v, Value::F64(v as f64));
value_from!(f64, v, Value::F64(v));
value_from!(String, v, Value::Str(v));
value_from!(&'static str, v, Value::Name(v));

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Bool(b) => s.serialize_bool(*b),
            Value::U64(v) => s.serialize_u64(*v),
            Value::I64(v) => s.serialize_i64(*v),
            Value::F64(v) if v.is_finite() => s.serialize_f64(*v),
            Value::F64(v) => s.collect_str(v),
            Value::Str(v) => s.serialize_str(v),
            Value::Name(v) => s.serialize_str(v),
            Value::Bytes(b) => {
                let mut hex = String::with_capacity(b.len() * 2);
                for x in b {
                    hex.push_str(&format!("{x:02x}"));
                }
                s.serialize_str(&hex)
            }
            Value::List(l) => {
                let mut seq = s.serialize_seq(Some(l.len()))?;
                for v in l {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
        }
    }
}

/// Protocol-specific fields of an event, in insertion order. Keys are static
/// snake_case names documented per protocol in `docs/events.md`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fields(pub Vec<(&'static str, Value)>);

impl Fields {
    /// Adds a field.
    pub fn push(&mut self, key: &'static str, v: impl Into<Value>) {
        self.0.push((key, v.into()));
    }
    /// Adds a field when `v` is `Some`.
    pub fn push_opt<V: Into<Value>>(&mut self, key: &'static str, v: Option<V>) {
        if let Some(v) = v {
            self.0.push((key, v.into()));
        }
    }
    /// The first value under `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }
    /// The first value under `key` as an unsigned integer.
    pub fn get_u64(&self, key: &str) -> Option<u64> {
        self.get(key).and_then(Value::as_u64)
    }
    /// The first value under `key` as a string.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Value::as_str)
    }
    /// True when there are no fields.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A value read or written at one process point: a Modbus register, an S7 DB word,
/// a DNP3 point, an IEC-104 IOA, a CIP attribute, a BACnet property.
///
/// `space` names the address space (`holding_register`, `coil`, `db`, `dnp3_g41`,
/// `ioa`, ...), `group` qualifies it where the protocol has a second level (S7 DB
/// number, DNP3 object group, IEC-104 type id; 0 otherwise), and `index` is the point's
/// address within it. The value-learning model keys on `(dst device, space, group,
/// index)`.
#[derive(Copy, Clone, Debug, PartialEq, Serialize)]
pub struct Point {
    /// Address space name.
    pub space: &'static str,
    /// Second-level qualifier (DB number, object group, type id), or 0.
    pub group: u32,
    /// Address within the space.
    pub index: u32,
    /// The value, as a float.
    pub value: f64,
}

/// Which side of the event an [`Identity`] describes.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentitySubject {
    /// The event's `src`.
    Src,
    /// The event's `dst`.
    Dst,
}

/// What a protocol revealed about a device: vendor, product, firmware, names.
/// The inventory merges these into the device record.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Identity {
    /// Which endpoint of the event this describes.
    pub subject: Option<IdentitySubject>,
    /// Vendor name as the device reports it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    /// Product name or code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// Model or order number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Firmware or software revision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub firmware: Option<String>,
    /// Serial number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    /// Device or station name (PROFINET NameOfStation, BACnet object name, sysName).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Host name (DHCP, NBNS, DNS, SMB).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Operating system or software banner (SSH, HTTP Server, SMB native OS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub software: Option<String>,
}

/// One event: a transaction or a weird.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Packet time of the first packet of the transaction (the request).
    pub ts: Timestamp,
    /// The flow the event belongs to (0 for flowless layer-2 frames).
    pub flow_id: FlowId,
    /// Requester (or sender of a one-way message).
    pub src: Endpoint,
    /// Responder (or receiver).
    pub dst: Endpoint,
    /// Protocol name (`modbus`, `dnp3`, `s7comm`, `tcp`, ...).
    pub proto: &'static str,
    /// Transaction or weird.
    pub kind: EventKind,
    /// Operation class.
    pub op: OpClass,
    /// Stable snake_case function name, `unknown-<n>` for unknown codes, or the weird name.
    pub function: Cow<'static, str>,
    /// The unit, station, common address or object addressed, when the protocol has one.
    pub unit: Option<u32>,
    /// Protocol status of the response (`ok`, an exception name, or absent when no response was seen).
    pub status: Option<Cow<'static, str>>,
    /// Process points read or written.
    pub points: Vec<Point>,
    /// Identity revealed by this transaction.
    pub identity: Option<Box<Identity>>,
    /// Protocol-specific fields.
    pub fields: Fields,
}

impl Event {
    /// A transaction event with the common fields set and the rest empty.
    pub fn new(
        ts: Timestamp,
        flow_id: FlowId,
        src: Endpoint,
        dst: Endpoint,
        proto: &'static str,
        op: OpClass,
        function: impl Into<Cow<'static, str>>,
    ) -> Self {
        Event {
            ts,
            flow_id,
            src,
            dst,
            proto,
            kind: EventKind::Transaction,
            op,
            function: function.into(),
            unit: None,
            status: None,
            points: Vec::new(),
            identity: None,
            fields: Fields::default(),
        }
    }

    /// A weird event named `name` (`<proto>_<condition>`).
    pub fn weird(
        ts: Timestamp,
        flow_id: FlowId,
        src: Endpoint,
        dst: Endpoint,
        proto: &'static str,
        name: &'static str,
    ) -> Self {
        let mut e = Event::new(ts, flow_id, src, dst, proto, OpClass::Other, name);
        e.kind = EventKind::Weird;
        e
    }

    /// Adds a protocol field (builder style).
    pub fn with(mut self, key: &'static str, v: impl Into<Value>) -> Self {
        self.fields.push(key, v);
        self
    }

    /// Renders `unknown-<n>` for an unknown code.
    pub fn unknown_code(n: impl std::fmt::Display) -> Cow<'static, str> {
        Cow::Owned(format!("unknown-{n}"))
    }
}

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("ts", &self.ts.as_secs_f64())?;
        m.serialize_entry("flow_id", &self.flow_id)?;
        m.serialize_entry("src", &self.src)?;
        m.serialize_entry("dst", &self.dst)?;
        if let Some(mac) = self.src.mac {
            m.serialize_entry("src_mac", &mac)?;
        }
        if let Some(mac) = self.dst.mac {
            m.serialize_entry("dst_mac", &mac)?;
        }
        m.serialize_entry("proto", self.proto)?;
        m.serialize_entry("kind", &self.kind)?;
        m.serialize_entry("op", &self.op)?;
        m.serialize_entry("function", &*self.function)?;
        if let Some(u) = self.unit {
            m.serialize_entry("unit", &u)?;
        }
        if let Some(st) = &self.status {
            m.serialize_entry("status", &**st)?;
        }
        if !self.points.is_empty() {
            m.serialize_entry("points", &self.points)?;
        }
        if let Some(id) = &self.identity {
            m.serialize_entry("identity", id)?;
        }
        if !self.fields.is_empty() {
            m.serialize_entry("fields", &FieldsMap(&self.fields))?;
        }
        m.end()
    }
}

struct FieldsMap<'a>(&'a Fields);
impl Serialize for FieldsMap<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.0.len()))?;
        for (k, v) in &self.0.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// MAC of an endpoint, if known (helper for consumers).
pub fn mac_of(e: &Endpoint) -> Option<Mac> {
    e.mac
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    #[test]
    fn event_json_has_contract_fields() {
        let src = Endpoint::ip(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 40000);
        let dst = Endpoint::ip(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 502);
        let mut e = Event::new(
            Timestamp::from_parts(100, 500_000_000),
            FlowId(7),
            src,
            dst,
            "modbus",
            OpClass::Write,
            "write_single_register",
        )
        .with("address", 5u16);
        e.unit = Some(1);
        e.points.push(Point {
            space: "holding_register",
            group: 0,
            index: 5,
            value: 9999.0,
        });
        let j: serde_json::Value = serde_json::to_value(&e).unwrap();
        assert_eq!(j["ts"], 100.5);
        assert_eq!(j["src"], "10.0.0.1:40000");
        assert_eq!(j["dst"], "10.0.0.2:502");
        assert_eq!(j["proto"], "modbus");
        assert_eq!(j["op"], "write");
        assert_eq!(j["function"], "write_single_register");
        assert_eq!(j["fields"]["address"], 5);
        assert_eq!(j["points"][0]["value"], 9999.0);
    }

    #[test]
    fn sanitize_controls_and_caps() {
        assert_eq!(sanitize(b"ab\x01c\0\0"), "ab\\x01c");
        assert_eq!(sanitize(&[b'x'; 300]).chars().count(), 257);
    }
}
