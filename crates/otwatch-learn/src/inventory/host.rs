//! Per-observation records: what was seen of one (MAC, IP) pair, and of one
//! conversation between two such pairs.
//!
//! Observation keys on the pair as it appeared on the wire. Whether a MAC is a
//! router fronting many IPs, or an IP belongs to a station seen elsewhere, is
//! decided later by [`super::resolve`], when all the evidence is in. Keeping the
//! raw pairs makes that decision revisable (a router is only recognisable once
//! several remote IPs have appeared behind it).

use otwatch_core::{Identity, Mac, OpClass, Timestamp, Transport};
use serde::{Serialize, Serializer};
use std::fmt;
use std::net::IpAddr;

/// Most protocols recorded per host and side (client/server); more are counted in
/// the overflow statistics. Real devices speak a handful.
pub const MAX_PROTOCOLS_PER_HOST: usize = 32;
/// Most protocols recorded per connection.
pub const MAX_PROTOCOLS_PER_CONNECTION: usize = 16;
/// Most distinct names kept per host (DHCP, DNS, NBNS, LLDP, SNMP ...).
pub const MAX_NAMES_PER_HOST: usize = 8;
/// Most distinct public DNS names kept per resolving host (the rest are counted).
pub const MAX_PUBLIC_NAMES_PER_HOST: usize = 16;
/// Longest name or identity string kept (longer ones are cut; dissectors already
/// sanitise to 256 characters).
pub const MAX_STRING_LEN: usize = 128;

/// Index of a host record.
pub type HostId = u32;

/// A host as observed: MAC and/or IP as the frame carried them.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HostKey {
    /// Link-layer address (unicast only).
    pub mac: Option<Mac>,
    /// IP address (unicast, specified only).
    pub ip: Option<IpAddr>,
}

/// A protocol as the inventory names it: a dissector's name, or the transport and
/// server port of a flow no dissector identified (`tcp/3389`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProtoName {
    /// Identified by a dissector.
    Named(&'static str),
    /// Unidentified TCP flow to this port.
    Tcp(u16),
    /// Unidentified UDP flow to this port.
    Udp(u16),
    /// Another transport.
    Other(&'static str),
}

impl ProtoName {
    /// The protocol a flow record names, or its transport and server port.
    pub fn of_flow(proto: Option<&'static str>, transport: Transport, port: u16) -> ProtoName {
        match (proto, transport) {
            (Some(p), _) => ProtoName::Named(p),
            (None, Transport::Tcp) => ProtoName::Tcp(port),
            (None, Transport::Udp) => ProtoName::Udp(port),
            (None, Transport::Icmp) => ProtoName::Other("icmp"),
            (None, Transport::L2) => ProtoName::Other("l2"),
            (None, Transport::Other(_)) => ProtoName::Other("ip"),
        }
    }
    /// The dissector name, if identified.
    pub fn named(self) -> Option<&'static str> {
        match self {
            ProtoName::Named(n) => Some(n),
            _ => None,
        }
    }
}

impl fmt::Display for ProtoName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtoName::Named(n) | ProtoName::Other(n) => f.write_str(n),
            ProtoName::Tcp(p) => write!(f, "tcp/{p}"),
            ProtoName::Udp(p) => write!(f, "udp/{p}"),
        }
    }
}

impl Serialize for ProtoName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Counts per operation class, indexed like [`OpClass::ALL`].
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct OpCounts(pub [u32; 8]);

impl OpCounts {
    /// Adds one operation.
    pub fn add(&mut self, op: OpClass) {
        let i = OpClass::ALL.iter().position(|&o| o == op).unwrap_or(7);
        self.0[i] = self.0[i].saturating_add(1);
    }
    /// Count of one class.
    pub fn get(&self, op: OpClass) -> u32 {
        OpClass::ALL
            .iter()
            .position(|&o| o == op)
            .map_or(0, |i| self.0[i])
    }
    /// Adds another set of counts.
    pub fn merge(&mut self, o: &OpCounts) {
        for (a, b) in self.0.iter_mut().zip(o.0) {
            *a = a.saturating_add(b);
        }
    }
    /// Total operations.
    pub fn total(&self) -> u64 {
        self.0.iter().map(|&x| u64::from(x)).sum()
    }
}

impl Serialize for OpCounts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(
            OpClass::ALL
                .iter()
                .zip(self.0)
                .filter(|(_, n)| *n > 0)
                .map(|(o, n)| (o.as_str(), n)),
        )
    }
}

/// Use of one protocol by a host on one side (client or server).
#[derive(Clone, Debug, PartialEq)]
pub struct ProtoUse {
    /// The protocol.
    pub proto: ProtoName,
    /// Transactions or messages.
    pub events: u64,
    /// Transactions answered (server side: responses seen).
    pub answered: u64,
    /// Flow records.
    pub flows: u64,
    /// Operation classes.
    pub ops: OpCounts,
}

/// The entry for `proto`, created when fewer than `cap` exist;
/// `None` when the cap refused a new protocol.
pub fn proto_use(v: &mut Vec<ProtoUse>, proto: ProtoName, cap: usize) -> Option<&mut ProtoUse> {
    let i = match v.iter().position(|p| p.proto == proto) {
        Some(i) => i,
        None if v.len() < cap => {
            v.push(ProtoUse {
                proto,
                events: 0,
                answered: 0,
                flows: 0,
                ops: OpCounts::default(),
            });
            v.len() - 1
        }
        None => return None,
    };
    v.get_mut(i)
}

/// Where a name came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NameRec {
    /// The name.
    pub name: String,
    /// The protocol that revealed it (`dhcp`, `dns`, `nbns`, `lldp`, `snmp`, ...).
    pub source: &'static str,
}

/// How an IP became bound to a MAC (strongest evidence first).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Binding {
    /// Only seen together in traffic (may be a router's MAC fronting the IP).
    #[default]
    Traffic,
    /// Management address announced by LLDP/CDP.
    Lldp,
    /// Claimed in an ARP packet's sender fields.
    Arp,
    /// Assigned by DHCP to this MAC.
    Dhcp,
}

/// One identity attribute with the protocol it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Attr {
    /// The value.
    pub value: String,
    /// The protocol that revealed it.
    pub source: &'static str,
}

/// Identity merged from protocol answers: the latest value of each attribute wins
/// (a firmware update replaces the old revision), and its source is kept.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct IdentityRec {
    /// Vendor as the device reports it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor: Option<Attr>,
    /// Product name or code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<Attr>,
    /// Model or order number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<Attr>,
    /// Firmware or software revision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub firmware: Option<Attr>,
    /// Serial number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial: Option<Attr>,
    /// Device or station name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Attr>,
    /// Host name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<Attr>,
    /// Software banner or OS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub software: Option<Attr>,
}

fn set_attr(slot: &mut Option<Attr>, v: &Option<String>, source: &'static str) {
    if let Some(v) = v {
        let v = clip(v);
        if v.is_empty() {
            return;
        }
        match slot {
            Some(a) if a.value == v => {}
            _ => *slot = Some(Attr { value: v, source }),
        }
    }
}

/// Trims and cuts a string to [`MAX_STRING_LEN`] characters.
pub fn clip(s: &str) -> String {
    let s = s.trim();
    if s.chars().count() <= MAX_STRING_LEN {
        s.to_string()
    } else {
        s.chars().take(MAX_STRING_LEN).collect()
    }
}

impl IdentityRec {
    /// Merges what one event revealed.
    pub fn merge_identity(&mut self, id: &Identity, source: &'static str) {
        set_attr(&mut self.vendor, &id.vendor, source);
        set_attr(&mut self.product, &id.product, source);
        set_attr(&mut self.model, &id.model, source);
        set_attr(&mut self.firmware, &id.firmware, source);
        set_attr(&mut self.serial, &id.serial, source);
        set_attr(&mut self.name, &id.name, source);
        set_attr(&mut self.hostname, &id.hostname, source);
        set_attr(&mut self.software, &id.software, source);
    }
    /// Merges another record; attributes of `o` win when `o_newer`.
    pub fn merge(&mut self, o: &IdentityRec, o_newer: bool) {
        let pairs: [(&mut Option<Attr>, &Option<Attr>); 8] = [
            (&mut self.vendor, &o.vendor),
            (&mut self.product, &o.product),
            (&mut self.model, &o.model),
            (&mut self.firmware, &o.firmware),
            (&mut self.serial, &o.serial),
            (&mut self.name, &o.name),
            (&mut self.hostname, &o.hostname),
            (&mut self.software, &o.software),
        ];
        for (a, b) in pairs {
            if b.is_some() && (a.is_none() || o_newer) {
                a.clone_from(b);
            }
        }
    }
    /// True when nothing is known.
    pub fn is_empty(&self) -> bool {
        *self == IdentityRec::default()
    }
}

/// A public DNS name a host resolved.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PublicName {
    /// The query name.
    pub name: String,
    /// The resolver asked (IP), when known.
    pub server: Option<IpAddr>,
    /// First query.
    pub first: Timestamp,
    /// Last query.
    pub last: Timestamp,
    /// Queries.
    pub count: u64,
}

/// LLDP/CDP facts a station announced about itself.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LldpInfo {
    /// Announcements seen.
    pub count: u64,
    /// The router capability is enabled.
    pub router: bool,
    /// The bridge (switch) capability is enabled.
    pub bridge: bool,
    /// Capabilities were announced at all.
    pub caps_known: bool,
    /// The announcing protocol (`lldp` or `cdp`).
    pub proto: &'static str,
}

/// Everything observed for one [`HostKey`].
#[derive(Clone, Debug)]
pub struct Host {
    /// The key.
    pub key: HostKey,
    /// Sent a packet (as opposed to being only a target).
    pub confirmed: bool,
    /// First observation.
    pub first: Timestamp,
    /// Last observation.
    pub last: Timestamp,
    /// Packets sent, received.
    pub pkts: [u64; 2],
    /// IP bytes sent, received.
    pub bytes: [u64; 2],
    /// Events in which it was the requester (or sender).
    pub events: u64,
    /// Protocols used as client (requester).
    pub client: Vec<ProtoUse>,
    /// Protocols used as server (responder, publisher, announcer).
    pub server: Vec<ProtoUse>,
    /// Activity as requester per UTC hour of day (events and flows it initiated).
    pub hours: [u32; 24],
    /// Names.
    pub names: Vec<NameRec>,
    /// Identity from protocol answers.
    pub identity: IdentityRec,
    /// Timestamp of the latest identity update (merges prefer the newest).
    pub identity_ts: Timestamp,
    /// Strongest evidence binding `key.ip` to `key.mac`.
    pub binding: Binding,
    /// LLDP/CDP announcements.
    pub lldp: Option<Box<LldpInfo>>,
    /// Public DNS names resolved.
    pub public_names: Vec<PublicName>,
    /// Public DNS queries beyond [`MAX_PUBLIC_NAMES_PER_HOST`] distinct names.
    pub public_names_dropped: u64,
}

impl Host {
    /// A fresh record.
    pub fn new(key: HostKey, ts: Timestamp) -> Host {
        Host {
            key,
            confirmed: false,
            first: ts,
            last: ts,
            pkts: [0; 2],
            bytes: [0; 2],
            events: 0,
            client: Vec::new(),
            server: Vec::new(),
            hours: [0; 24],
            names: Vec::new(),
            identity: IdentityRec::default(),
            identity_ts: Timestamp::ZERO,
            binding: Binding::Traffic,
            lldp: None,
            public_names: Vec::new(),
            public_names_dropped: 0,
        }
    }
    /// Extends first/last seen.
    pub fn touch(&mut self, ts: Timestamp) {
        if ts < self.first {
            self.first = ts;
        }
        if ts > self.last {
            self.last = ts;
        }
    }
    /// Records a name; returns false when the cap refused it.
    pub fn add_name(&mut self, name: &str, source: &'static str) -> bool {
        let name = clip(name).trim_end_matches('.').to_string();
        if name.is_empty()
            || self
                .names
                .iter()
                .any(|n| n.name.eq_ignore_ascii_case(&name))
        {
            return true;
        }
        if self.names.len() >= MAX_NAMES_PER_HOST {
            return false;
        }
        self.names.push(NameRec { name, source });
        true
    }
    /// Approximate heap bytes held (for the memory estimate).
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        let strings: usize = self.names.iter().map(|n| n.name.capacity()).sum::<usize>()
            + self
                .public_names
                .iter()
                .map(|n| n.name.capacity())
                .sum::<usize>();
        let id = &self.identity;
        let attrs: usize = [
            &id.vendor,
            &id.product,
            &id.model,
            &id.firmware,
            &id.serial,
            &id.name,
            &id.hostname,
            &id.software,
        ]
        .iter()
        .filter_map(|a| a.as_ref().map(|a| a.value.capacity()))
        .sum();
        (self.client.capacity() + self.server.capacity()) * size_of::<ProtoUse>()
            + self.names.capacity() * size_of::<NameRec>()
            + self.public_names.capacity() * size_of::<PublicName>()
            + self.lldp.as_ref().map_or(0, |_| size_of::<LldpInfo>())
            + strings
            + attrs
    }
}

/// Use of one protocol within a connection.
#[derive(Clone, Debug, PartialEq)]
pub struct ConnProto {
    /// The protocol.
    pub proto: ProtoName,
    /// Transactions.
    pub events: u64,
    /// Flow records.
    pub flows: u64,
    /// Packets client→server, server→client (from flow records).
    pub pkts: [u64; 2],
    /// Bytes client→server, server→client.
    pub bytes: [u64; 2],
    /// Operation classes of the transactions.
    pub ops: OpCounts,
    /// First observation.
    pub first: Timestamp,
    /// Last observation.
    pub last: Timestamp,
    /// Time of the last transaction (for cycle estimation).
    pub last_event: Timestamp,
    /// Polling cycles: runs of transactions separated by more than [`BURST_GAP_NS`].
    pub bursts: u64,
}

/// Transactions closer together than this belong to one polling cycle (an HMI reads
/// several register blocks per cycle).
pub const BURST_GAP_NS: i64 = 500_000_000;

impl ConnProto {
    /// A fresh entry.
    pub fn new(proto: ProtoName, ts: Timestamp) -> ConnProto {
        ConnProto {
            proto,
            events: 0,
            flows: 0,
            pkts: [0; 2],
            bytes: [0; 2],
            ops: OpCounts::default(),
            first: ts,
            last: ts,
            last_event: Timestamp::ZERO,
            bursts: 0,
        }
    }
    /// Estimated polling cycle in seconds: the span of transactions divided by the
    /// number of cycles, when at least three cycles were seen.
    pub fn cycle_secs(&self) -> Option<f64> {
        (self.bursts >= 3).then(|| {
            self.last_event.since(self.first).max(0) as f64 / 1e9 / (self.bursts - 1) as f64
        })
    }
}

/// One conversation between two hosts (client = requester / flow originator).
#[derive(Clone, Debug)]
pub struct Conn {
    /// Requester.
    pub client: HostId,
    /// Responder.
    pub server: HostId,
    /// Protocols used.
    pub protos: Vec<ConnProto>,
}

impl Conn {
    /// The entry for `proto`, created within [`MAX_PROTOCOLS_PER_CONNECTION`].
    pub fn proto(&mut self, proto: ProtoName, ts: Timestamp) -> Option<&mut ConnProto> {
        let i = match self.protos.iter().position(|p| p.proto == proto) {
            Some(i) => i,
            None if self.protos.len() < MAX_PROTOCOLS_PER_CONNECTION => {
                self.protos.push(ConnProto::new(proto, ts));
                self.protos.len() - 1
            }
            None => return None,
        };
        let p = self.protos.get_mut(i)?;
        if ts < p.first {
            p.first = ts;
        }
        if ts > p.last {
            p.last = ts;
        }
        Some(p)
    }
}
