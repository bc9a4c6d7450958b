//! Zones: named sets of subnets with a Purdue level, read from `zones.toml` or
//! inferred from the inventory.
//!
//! The file format is documented in `docs/zones.md`:
//!
//! ```toml
//! [[zone]]
//! name = "ot-cell"
//! cidrs = ["10.10.1.0/24"]
//! level = "L1"            # L0..L5, DMZ, IT, external
//!
//! [[policy]]              # optional: allowed zone pairs (initiator -> responder)
//! from = "supervisory"
//! to = "ot-cell"
//! ```
//!
//! The raw file is parsed with serde, then validated into [`Zones`] (ripgrep's
//! "parse raw, validate into built objects"): unknown levels, bad CIDRs, overlapping
//! zones, duplicate names and policies naming unknown zones are errors with the
//! zone's name in the message.
//!
//! Without a file, [`Zones::infer`] groups addresses by /24 (IPv4) or /64 (IPv6)
//! and gives each group a level from the roles of its devices; the result says
//! `source: inferred` so that reports can state it.

use serde::{Deserialize, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::str::FromStr;

/// Most zones a file may define (a large site has tens; the cap bounds the linear
/// lookup).
pub const MAX_ZONES: usize = 1024;
/// Most CIDRs per zone.
pub const MAX_CIDRS_PER_ZONE: usize = 256;
/// Most policy entries.
pub const MAX_POLICIES: usize = 4096;
/// Most zones inference creates (one per /24 seen); further subnets stay unzoned.
pub const MAX_INFERRED_ZONES: usize = 1024;

/// An IP prefix (`10.10.1.0/24`, `fd00::/64`). Host bits are cleared on parse.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cidr {
    /// Network address (host bits zero).
    pub addr: IpAddr,
    /// Prefix length.
    pub prefix: u8,
}

impl Cidr {
    /// Builds a prefix, clearing host bits. `None` when `prefix` exceeds the family's width.
    pub fn new(addr: IpAddr, prefix: u8) -> Option<Cidr> {
        match addr {
            IpAddr::V4(a) if prefix <= 32 => Some(Cidr {
                addr: IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask32(prefix))),
                prefix,
            }),
            IpAddr::V6(a) if prefix <= 128 => Some(Cidr {
                addr: IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask128(prefix))),
                prefix,
            }),
            _ => None,
        }
    }
    /// True when `ip` lies in this prefix.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => u32::from(a) & mask32(self.prefix) == u32::from(n),
            (IpAddr::V6(n), IpAddr::V6(a)) => u128::from(a) & mask128(self.prefix) == u128::from(n),
            _ => false,
        }
    }
    /// True when the two prefixes share any address.
    pub fn overlaps(&self, other: &Cidr) -> bool {
        self.contains(other.addr) || other.contains(self.addr)
    }
    /// The /24 (IPv4) or /64 (IPv6) containing `ip`: the unit of zone inference.
    pub fn subnet_of(ip: IpAddr) -> Cidr {
        match ip {
            IpAddr::V4(_) => Cidr::new(ip, 24),
            IpAddr::V6(_) => Cidr::new(ip, 64),
        }
        .unwrap_or(Cidr {
            addr: ip,
            prefix: 0,
        })
    }
}

fn mask32(p: u8) -> u32 {
    if p == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(p.min(32)))
    }
}

fn mask128(p: u8) -> u128 {
    if p == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(p.min(128)))
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl FromStr for Cidr {
    type Err = String;
    fn from_str(s: &str) -> Result<Cidr, String> {
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a
            .trim()
            .parse()
            .map_err(|_| format!("{a:?} is not an IP address"))?;
        let width = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            None => width,
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|&n| n <= width)
                .ok_or_else(|| format!("prefix length {p:?} is not 0..={width}"))?,
        };
        Cidr::new(addr, prefix).ok_or_else(|| format!("bad prefix in {s:?}"))
    }
}

impl Serialize for Cidr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A zone's level: the Purdue model levels, plus DMZ, IT and external.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ZoneLevel {
    /// Level 0: the physical process (sensors, actuators).
    L0,
    /// Level 1: basic control (PLCs, RTUs, IEDs).
    L1,
    /// Level 2: area supervisory control (HMIs, engineering workstations).
    L2,
    /// Level 3: site operations (historians, OPC servers).
    L3,
    /// Level 4: site business network (IT).
    L4,
    /// Level 5: enterprise network (IT).
    L5,
    /// The industrial DMZ (Purdue level 3.5).
    Dmz,
    /// An IT network without a finer level.
    It,
    /// Outside the site (internet, vendor networks).
    External,
    /// Inferred zone whose devices say nothing of its level (not allowed in a file).
    Unknown,
}

impl ZoneLevel {
    /// The canonical spelling (`L1`, `DMZ`, `IT`, `external`, `unknown`).
    pub fn as_str(self) -> &'static str {
        match self {
            ZoneLevel::L0 => "L0",
            ZoneLevel::L1 => "L1",
            ZoneLevel::L2 => "L2",
            ZoneLevel::L3 => "L3",
            ZoneLevel::L4 => "L4",
            ZoneLevel::L5 => "L5",
            ZoneLevel::Dmz => "DMZ",
            ZoneLevel::It => "IT",
            ZoneLevel::External => "external",
            ZoneLevel::Unknown => "unknown",
        }
    }
    /// Parses a level as written in `zones.toml` (case-insensitive; `L3.5` means DMZ).
    pub fn parse(s: &str) -> Option<ZoneLevel> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "l0" => ZoneLevel::L0,
            "l1" => ZoneLevel::L1,
            "l2" => ZoneLevel::L2,
            "l3" => ZoneLevel::L3,
            "l4" => ZoneLevel::L4,
            "l5" => ZoneLevel::L5,
            "dmz" | "l3.5" => ZoneLevel::Dmz,
            "it" => ZoneLevel::It,
            "external" => ZoneLevel::External,
            _ => return None,
        })
    }
    /// Which side of the air gap the level is on: L0–L3 are OT, L4/L5/IT are IT.
    pub fn side(self) -> ZoneSide {
        match self {
            ZoneLevel::L0 | ZoneLevel::L1 | ZoneLevel::L2 | ZoneLevel::L3 => ZoneSide::Ot,
            ZoneLevel::L4 | ZoneLevel::L5 | ZoneLevel::It => ZoneSide::It,
            ZoneLevel::Dmz => ZoneSide::Dmz,
            ZoneLevel::External => ZoneSide::External,
            ZoneLevel::Unknown => ZoneSide::Unknown,
        }
    }
}

impl Serialize for ZoneLevel {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The side of the air gap a zone is on.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ZoneSide {
    /// Operational technology (Purdue L0–L3).
    Ot,
    /// The industrial DMZ.
    Dmz,
    /// Business IT (L4, L5, IT).
    It,
    /// Outside the site: public addresses and zones of level `external`.
    External,
    /// Not known (private address in no zone, or an inferred zone of unknown level).
    Unknown,
}

impl ZoneSide {
    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ZoneSide::Ot => "ot",
            ZoneSide::Dmz => "dmz",
            ZoneSide::It => "it",
            ZoneSide::External => "external",
            ZoneSide::Unknown => "unknown",
        }
    }
}

/// One validated zone.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Zone {
    /// Unique name.
    pub name: String,
    /// Its prefixes.
    pub cidrs: Vec<Cidr>,
    /// Its level.
    pub level: ZoneLevel,
}

/// Where a zone set came from.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ZonesSource {
    /// Read from a `zones.toml`.
    File,
    /// Inferred from subnets and device roles.
    Inferred,
}

/// Index of a zone in [`Zones::zones`].
pub type ZoneId = usize;

/// A validated zone set with its optional policy of allowed zone pairs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Zones {
    /// The zones.
    pub zones: Vec<Zone>,
    /// Allowed (initiator zone, responder zone) pairs. Empty = no policy.
    #[serde(serialize_with = "ser_policy")]
    pub policy: Vec<(ZoneId, ZoneId)>,
    /// File or inferred.
    pub source: ZonesSource,
}

fn ser_policy<S: Serializer>(p: &[(ZoneId, ZoneId)], s: S) -> Result<S::Ok, S::Error> {
    // Indices are meaningless outside the process: emit them as pairs of indices
    // under the zone list's order, documented in docs/zones.md.
    s.collect_seq(p.iter().map(|&(a, b)| [a, b]))
}

/// An error in a `zones.toml`.
#[derive(Debug, Clone, PartialEq)]
pub enum ZonesError {
    /// The file could not be read.
    Io(String),
    /// The file is not valid TOML or has the wrong shape.
    Syntax(String),
    /// A zone without a name, or a name used twice.
    BadName(String),
    /// A level outside L0..L5, DMZ, IT, external.
    UnknownLevel {
        /// Zone name.
        zone: String,
        /// The level as written.
        level: String,
    },
    /// A CIDR that does not parse.
    BadCidr {
        /// Zone name.
        zone: String,
        /// The CIDR as written.
        cidr: String,
        /// Why.
        reason: String,
    },
    /// Two zones (or two CIDRs of one zone) share addresses.
    Overlap {
        /// First zone.
        a: String,
        /// Its CIDR.
        a_cidr: Cidr,
        /// Second zone.
        b: String,
        /// Its CIDR.
        b_cidr: Cidr,
    },
    /// A policy entry naming a zone that is not defined.
    UnknownPolicyZone(String),
    /// More zones, CIDRs or policies than the caps allow.
    TooMany(String),
}

impl fmt::Display for ZonesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ZonesError::Io(e) => write!(f, "cannot read zones file: {e}"),
            ZonesError::Syntax(e) => write!(f, "zones file syntax: {e}"),
            ZonesError::BadName(e) => write!(f, "zone name: {e}"),
            ZonesError::UnknownLevel { zone, level } => write!(
                f,
                "zone {zone:?}: unknown level {level:?} (expected L0..L5, DMZ, IT or external)"
            ),
            ZonesError::BadCidr { zone, cidr, reason } => {
                write!(f, "zone {zone:?}: bad CIDR {cidr:?}: {reason}")
            }
            ZonesError::Overlap {
                a,
                a_cidr,
                b,
                b_cidr,
            } => write!(f, "zones {a:?} ({a_cidr}) and {b:?} ({b_cidr}) overlap"),
            ZonesError::UnknownPolicyZone(z) => write!(f, "policy names unknown zone {z:?}"),
            ZonesError::TooMany(e) => write!(f, "too many {e}"),
        }
    }
}

impl std::error::Error for ZonesError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    zone: Vec<RawZone>,
    #[serde(default)]
    policy: Vec<RawPolicy>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawZone {
    name: String,
    cidrs: Vec<String>,
    level: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    from: String,
    to: String,
}

impl Zones {
    /// An empty file-less zone set (every address unzoned).
    pub fn empty() -> Zones {
        Zones {
            zones: Vec::new(),
            policy: Vec::new(),
            source: ZonesSource::Inferred,
        }
    }

    /// Reads and validates a `zones.toml`.
    pub fn load(path: &Path) -> Result<Zones, ZonesError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ZonesError::Io(format!("{}: {e}", path.display())))?;
        Zones::from_toml_str(&text)
    }

    /// Parses and validates the text of a `zones.toml`.
    pub fn from_toml_str(text: &str) -> Result<Zones, ZonesError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| ZonesError::Syntax(e.to_string()))?;
        if raw.zone.len() > MAX_ZONES {
            return Err(ZonesError::TooMany(format!("zones (cap {MAX_ZONES})")));
        }
        if raw.policy.len() > MAX_POLICIES {
            return Err(ZonesError::TooMany(format!(
                "policies (cap {MAX_POLICIES})"
            )));
        }
        let mut zones: Vec<Zone> = Vec::with_capacity(raw.zone.len());
        for rz in raw.zone {
            let name = rz.name.trim().to_string();
            if name.is_empty() {
                return Err(ZonesError::BadName("a zone has an empty name".into()));
            }
            if zones.iter().any(|z| z.name == name) {
                return Err(ZonesError::BadName(format!("{name:?} is defined twice")));
            }
            let level = ZoneLevel::parse(&rz.level).ok_or_else(|| ZonesError::UnknownLevel {
                zone: name.clone(),
                level: rz.level.clone(),
            })?;
            if rz.cidrs.is_empty() {
                return Err(ZonesError::BadCidr {
                    zone: name,
                    cidr: String::new(),
                    reason: "a zone needs at least one CIDR".into(),
                });
            }
            if rz.cidrs.len() > MAX_CIDRS_PER_ZONE {
                return Err(ZonesError::TooMany(format!(
                    "CIDRs in zone {name:?} (cap {MAX_CIDRS_PER_ZONE})"
                )));
            }
            let mut cidrs = Vec::with_capacity(rz.cidrs.len());
            for c in &rz.cidrs {
                let cidr: Cidr = c.parse().map_err(|reason| ZonesError::BadCidr {
                    zone: name.clone(),
                    cidr: c.clone(),
                    reason,
                })?;
                cidrs.push(cidr);
            }
            zones.push(Zone { name, cidrs, level });
        }
        // Overlaps: every pair of CIDRs across (and within) zones.
        for (i, a) in zones.iter().enumerate() {
            for (ci, ca) in a.cidrs.iter().enumerate() {
                for (j, b) in zones.iter().enumerate().skip(i) {
                    for (cj, cb) in b.cidrs.iter().enumerate() {
                        if i == j && cj <= ci {
                            continue;
                        }
                        if ca.overlaps(cb) {
                            return Err(ZonesError::Overlap {
                                a: a.name.clone(),
                                a_cidr: *ca,
                                b: b.name.clone(),
                                b_cidr: *cb,
                            });
                        }
                    }
                }
            }
        }
        let find = |n: &str| -> Result<ZoneId, ZonesError> {
            zones
                .iter()
                .position(|z| z.name == n.trim())
                .ok_or_else(|| ZonesError::UnknownPolicyZone(n.to_string()))
        };
        let mut policy = Vec::with_capacity(raw.policy.len());
        for p in &raw.policy {
            policy.push((find(&p.from)?, find(&p.to)?));
        }
        Ok(Zones {
            zones,
            policy,
            source: ZonesSource::File,
        })
    }

    /// Infers zones from device addresses and roles: one zone per /24 (IPv4) or /64
    /// (IPv6) of non-public addresses. A subnet holding a controller
    /// (`plc`/`rtu`/`ied`) is `L1`; one holding supervisory roles (`hmi`,
    /// `historian`, `engineering_workstation`, `opc_server`) is `L2`; one holding
    /// only `it_host`s (besides infrastructure) is `IT`; any other is `unknown`.
    pub fn infer<'a>(devices: impl IntoIterator<Item = (IpAddr, &'a str)>) -> Zones {
        // Rank: 3 = controller, 2 = supervisory, 1 = IT, 0 = infrastructure/unknown.
        let mut subnets: BTreeMap<Cidr, u8> = BTreeMap::new();
        for (ip, role) in devices {
            if ip_scope(ip) != IpScope::Private {
                continue;
            }
            let rank = match role {
                "plc" | "rtu" | "ied" => 3,
                "hmi" | "historian" | "engineering_workstation" | "opc_server" => 2,
                "it_host" => 1,
                _ => 0,
            };
            let net = Cidr::subnet_of(ip);
            if !subnets.contains_key(&net) && subnets.len() >= MAX_INFERRED_ZONES {
                continue;
            }
            let r = subnets.entry(net).or_insert(0);
            *r = (*r).max(rank);
        }
        let zones = subnets
            .into_iter()
            .map(|(net, rank)| Zone {
                name: net.to_string(),
                cidrs: vec![net],
                level: match rank {
                    3 => ZoneLevel::L1,
                    2 => ZoneLevel::L2,
                    1 => ZoneLevel::It,
                    _ => ZoneLevel::Unknown,
                },
            })
            .collect();
        Zones {
            zones,
            policy: Vec::new(),
            source: ZonesSource::Inferred,
        }
    }

    /// The zone holding `ip` (longest prefix wins, though validated files never overlap).
    pub fn zone_of(&self, ip: IpAddr) -> Option<ZoneId> {
        let mut best: Option<(ZoneId, u8)> = None;
        for (i, z) in self.zones.iter().enumerate() {
            for c in &z.cidrs {
                if c.contains(ip) && best.is_none_or(|(_, p)| c.prefix > p) {
                    best = Some((i, c.prefix));
                }
            }
        }
        best.map(|(i, _)| i)
    }

    /// The zone's name.
    pub fn name(&self, id: ZoneId) -> Option<&str> {
        self.zones.get(id).map(|z| z.name.as_str())
    }

    /// The side of the air gap `ip` is on: its zone's side; `external` for a public
    /// address in no zone; `unknown` for any other address in no zone.
    pub fn side_of(&self, ip: IpAddr) -> ZoneSide {
        match self.zone_of(ip).and_then(|z| self.zones.get(z)) {
            Some(z) => z.level.side(),
            None if ip_scope(ip) == IpScope::Public => ZoneSide::External,
            None => ZoneSide::Unknown,
        }
    }

    /// True when a policy exists.
    pub fn has_policy(&self) -> bool {
        !self.policy.is_empty()
    }

    /// True when the policy allows connections initiated in `from` towards `to`.
    pub fn allowed(&self, from: ZoneId, to: ZoneId) -> bool {
        self.policy.contains(&(from, to))
    }
}

impl Default for Zones {
    fn default() -> Zones {
        Zones::empty()
    }
}

/// What kind of address an IP is, for the "reaches a public address" test.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IpScope {
    /// Globally routable.
    Public,
    /// RFC 1918 or IPv6 unique-local (fc00::/7).
    Private,
    /// RFC 6598 carrier-grade NAT 100.64.0.0/10.
    Cgnat,
    /// 127.0.0.0/8, ::1.
    Loopback,
    /// 169.254.0.0/16, fe80::/10.
    LinkLocal,
    /// 224.0.0.0/4, ff00::/8.
    Multicast,
    /// 255.255.255.255.
    Broadcast,
    /// 0.0.0.0/8, ::.
    Unspecified,
    /// Documentation, benchmarking, reserved and other special-purpose blocks
    /// (RFC 5737, RFC 2544, 240.0.0.0/4, 192.0.0.0/24, 2001:db8::/32).
    Reserved,
}

/// Classifies an address (IANA special-purpose registries, RFC 6890).
pub fn ip_scope(ip: IpAddr) -> IpScope {
    match ip {
        IpAddr::V4(a) => {
            let o = a.octets();
            if a.is_broadcast() {
                IpScope::Broadcast
            } else if o[0] == 0 {
                IpScope::Unspecified
            } else if a.is_loopback() {
                IpScope::Loopback
            } else if a.is_private() {
                IpScope::Private
            } else if a.is_link_local() {
                IpScope::LinkLocal
            } else if a.is_multicast() {
                IpScope::Multicast
            } else if o[0] == 100 && (o[1] & 0xc0) == 64 {
                IpScope::Cgnat
            } else if (o[0] == 192 && o[1] == 0 && (o[2] == 0 || o[2] == 2))
                || (o[0] == 198 && (o[1] & 0xfe) == 18)
                || (o[0] == 198 && o[1] == 51 && o[2] == 100)
                || (o[0] == 203 && o[1] == 0 && o[2] == 113)
                || o[0] >= 240
            {
                IpScope::Reserved
            } else {
                IpScope::Public
            }
        }
        IpAddr::V6(a) => {
            if let Some(v4) = a.to_ipv4_mapped() {
                return ip_scope(IpAddr::V4(v4));
            }
            let s = a.segments();
            if a.is_unspecified() {
                IpScope::Unspecified
            } else if a.is_loopback() {
                IpScope::Loopback
            } else if a.is_multicast() {
                IpScope::Multicast
            } else if (s[0] & 0xffc0) == 0xfe80 {
                IpScope::LinkLocal
            } else if (s[0] & 0xfe00) == 0xfc00 {
                IpScope::Private
            } else if s[0] == 0x2001 && s[1] == 0x0db8 {
                IpScope::Reserved
            } else if (s[0] & 0xe000) == 0x2000 {
                IpScope::Public
            } else {
                IpScope::Reserved
            }
        }
    }
}

/// True for globally routable addresses.
pub fn is_public(ip: IpAddr) -> bool {
    ip_scope(ip) == IpScope::Public
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("test ip")
    }

    const GOOD: &str = r#"
[[zone]]
name = "ot-cell"
cidrs = ["10.10.1.0/24"]
level = "L1"

[[zone]]
name = "supervisory"
cidrs = ["10.10.2.0/24", "10.10.3.7"]
level = "l2"

[[zone]]
name = "corp"
cidrs = ["192.168.0.0/16"]
level = "IT"

[[policy]]
from = "supervisory"
to = "ot-cell"
"#;

    #[test]
    fn parses_good_file() {
        let z = Zones::from_toml_str(GOOD).expect("valid");
        assert_eq!(z.zones.len(), 3);
        assert_eq!(z.source, ZonesSource::File);
        assert_eq!(z.zone_of(ip("10.10.1.9")), Some(0));
        assert_eq!(z.zone_of(ip("10.10.3.7")), Some(1));
        assert_eq!(z.zone_of(ip("10.10.3.8")), None);
        assert_eq!(z.side_of(ip("192.168.4.4")), ZoneSide::It);
        assert_eq!(z.side_of(ip("10.10.1.4")), ZoneSide::Ot);
        assert_eq!(z.side_of(ip("8.8.8.8")), ZoneSide::External);
        assert_eq!(z.side_of(ip("10.99.0.1")), ZoneSide::Unknown);
        assert!(z.allowed(1, 0));
        assert!(!z.allowed(0, 1));
    }

    #[test]
    fn unknown_level_is_error() {
        let e = Zones::from_toml_str("[[zone]]\nname='a'\ncidrs=['10.0.0.0/8']\nlevel='L9'\n")
            .expect_err("bad level");
        assert!(matches!(e, ZonesError::UnknownLevel { ref level, .. } if level == "L9"));
        assert!(e.to_string().contains("\"a\""), "{e}");
    }

    #[test]
    fn bad_cidr_is_error() {
        for c in [
            "10.0.0.0/33",
            "10.0.0/8",
            "hello",
            "fd00::/129",
            "10.0.0.0/x",
        ] {
            let t = format!("[[zone]]\nname='a'\ncidrs=['{c}']\nlevel='L1'\n");
            let e = Zones::from_toml_str(&t).expect_err(c);
            assert!(matches!(e, ZonesError::BadCidr { .. }), "{c}: {e}");
        }
    }

    #[test]
    fn overlap_is_error() {
        let t = "[[zone]]\nname='a'\ncidrs=['10.0.0.0/8']\nlevel='L1'\n\
                 [[zone]]\nname='b'\ncidrs=['10.1.0.0/16']\nlevel='IT'\n";
        let e = Zones::from_toml_str(t).expect_err("overlap");
        assert!(matches!(e, ZonesError::Overlap { .. }), "{e}");
        assert!(e.to_string().contains("10.1.0.0/16"), "{e}");
        let t = "[[zone]]\nname='a'\ncidrs=['10.0.0.0/24','10.0.0.128/25']\nlevel='L1'\n";
        assert!(matches!(
            Zones::from_toml_str(t),
            Err(ZonesError::Overlap { .. })
        ));
    }

    #[test]
    fn other_errors() {
        let dup = "[[zone]]\nname='a'\ncidrs=['10.0.0.0/24']\nlevel='L1'\n\
                   [[zone]]\nname='a'\ncidrs=['10.0.1.0/24']\nlevel='L1'\n";
        assert!(matches!(
            Zones::from_toml_str(dup),
            Err(ZonesError::BadName(_))
        ));
        let pol = "[[zone]]\nname='a'\ncidrs=['10.0.0.0/24']\nlevel='L1'\n\
                   [[policy]]\nfrom='a'\nto='nowhere'\n";
        assert!(matches!(
            Zones::from_toml_str(pol),
            Err(ZonesError::UnknownPolicyZone(_))
        ));
        assert!(matches!(
            Zones::from_toml_str("[[zone]]\nname='a'\n"),
            Err(ZonesError::Syntax(_))
        ));
        assert!(matches!(
            Zones::from_toml_str("[[zone]]\nname='a'\ncidrs=[]\nlevel='L1'\n"),
            Err(ZonesError::BadCidr { .. })
        ));
        assert!(matches!(
            Zones::from_toml_str(
                "[[zone]]\nname='a'\ncidrs=['10.0.0.0/24']\nlevel='L1'\ncolour='red'\n"
            ),
            Err(ZonesError::Syntax(_))
        ));
    }

    #[test]
    fn inference_by_subnet_and_role() {
        let z = Zones::infer([
            (ip("10.10.1.10"), "plc"),
            (ip("10.10.1.1"), "router"),
            (ip("10.10.2.20"), "hmi"),
            (ip("10.20.0.5"), "it_host"),
            (ip("10.20.0.6"), "dns_server"),
            (ip("10.30.0.5"), "unknown"),
            (ip("8.8.8.8"), "unknown"),
        ]);
        assert_eq!(z.source, ZonesSource::Inferred);
        assert_eq!(z.zones.len(), 4);
        assert_eq!(z.side_of(ip("10.10.1.99")), ZoneSide::Ot);
        assert_eq!(z.side_of(ip("10.10.2.99")), ZoneSide::Ot);
        assert_eq!(z.side_of(ip("10.20.0.99")), ZoneSide::It);
        assert_eq!(z.side_of(ip("10.30.0.1")), ZoneSide::Unknown);
        assert_eq!(z.side_of(ip("8.8.8.8")), ZoneSide::External);
        let l1 = z.zone_of(ip("10.10.1.3")).expect("zone");
        assert_eq!(z.zones[l1].level, ZoneLevel::L1);
        assert_eq!(z.zones[l1].name, "10.10.1.0/24");
    }

    #[test]
    fn scopes() {
        assert_eq!(ip_scope(ip("10.1.2.3")), IpScope::Private);
        assert_eq!(ip_scope(ip("172.31.0.1")), IpScope::Private);
        assert_eq!(ip_scope(ip("172.32.0.1")), IpScope::Public);
        assert_eq!(ip_scope(ip("100.64.0.1")), IpScope::Cgnat);
        assert_eq!(ip_scope(ip("100.128.0.1")), IpScope::Public);
        assert_eq!(ip_scope(ip("169.254.1.1")), IpScope::LinkLocal);
        assert_eq!(ip_scope(ip("224.0.1.1")), IpScope::Multicast);
        assert_eq!(ip_scope(ip("255.255.255.255")), IpScope::Broadcast);
        assert_eq!(ip_scope(ip("0.0.0.0")), IpScope::Unspecified);
        assert_eq!(ip_scope(ip("192.0.2.1")), IpScope::Reserved);
        assert_eq!(ip_scope(ip("8.8.8.8")), IpScope::Public);
        assert_eq!(ip_scope(ip("fe80::1")), IpScope::LinkLocal);
        assert_eq!(ip_scope(ip("fd12::1")), IpScope::Private);
        assert_eq!(ip_scope(ip("ff02::fb")), IpScope::Multicast);
        assert_eq!(ip_scope(ip("2606:4700::1111")), IpScope::Public);
        assert_eq!(ip_scope(ip("::ffff:10.0.0.1")), IpScope::Private);
        assert!(is_public(ip("1.1.1.1")));
    }

    #[test]
    fn cidr_basics() {
        let c: Cidr = "10.10.1.77/24".parse().expect("cidr");
        assert_eq!(c.to_string(), "10.10.1.0/24");
        assert!(c.contains(ip("10.10.1.200")));
        assert!(!c.contains(ip("10.10.2.1")));
        assert!(!c.contains(ip("fd00::1")));
        let all: Cidr = "0.0.0.0/0".parse().expect("cidr");
        assert!(all.contains(ip("8.8.8.8")));
        assert!(all.overlaps(&c));
    }
}
