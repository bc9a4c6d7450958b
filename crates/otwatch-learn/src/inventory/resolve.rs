//! From raw (MAC, IP) observations to devices and device-pair connections.
//!
//! Rules, in order:
//! 1. Every unicast MAC is a station. Its IPs are those bound to it by ARP, DHCP or
//!    LLDP, plus IPs seen with it in traffic.
//! 2. A MAC is a router when LLDP says so, or when it carries *forwarded* IPs:
//!    traffic IPs outside the subnets (/24, /64) of its bound IPs, IPs that another
//!    MAC has bound, or a public IP next to private ones. Without any binding
//!    evidence, a MAC carrying three or more IPs from two or more subnets is a
//!    router. A router keeps only its bound IPs (and unbound ones in their subnets).
//! 3. A forwarded IP, or an IP seen without a MAC, belongs to the station that holds
//!    it (most recently seen), else to an IP-only device behind the router.
//! 4. Devices whose records never sent a packet (scan targets that never answered)
//!    are kept with `confirmed: false`.

use super::host::{
    Binding, Host, HostId, HostKey, IdentityRec, NameRec, OpCounts, ProtoName, PublicName,
};
use super::roles::{self, Role};
use super::{Inventory, MAX_DEVICES, MAX_IPS_PER_DEVICE};
use crate::oui;
use crate::zones::{Cidr, IpScope, Zones, ip_scope};
use otwatch_core::{Mac, Timestamp};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;

/// Index of a device in [`Inventory::devices`].
pub type DeviceId = u32;

/// What kind of device record this is.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    /// A station identified by its MAC.
    Station,
    /// A MAC fronting IPs of other subnets.
    Router,
    /// Known only by IP: behind a router, or from captures without link layer.
    IpOnly,
}

/// One address of a device.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DeviceIp {
    /// The address.
    pub ip: IpAddr,
    /// Strongest evidence binding it to the device's MAC.
    pub binding: Binding,
    /// First seen.
    #[serde(serialize_with = "super::output::ser_ts")]
    pub first_seen: Timestamp,
    /// Last seen.
    #[serde(serialize_with = "super::output::ser_ts")]
    pub last_seen: Timestamp,
}

/// One protocol a device speaks on one side.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProtoSummary {
    /// Protocol.
    pub proto: ProtoName,
    /// Transactions.
    pub events: u64,
    /// Transactions answered (server side) or announcements.
    pub answered: u64,
    /// Flow records.
    pub flows: u64,
    /// Operation classes.
    pub ops: OpCounts,
}

/// A device: a station, a router, or an IP-only host.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Device {
    /// Id (index in the device list).
    pub id: DeviceId,
    /// Station, router or IP-only.
    pub kind: DeviceKind,
    /// False when the device was only ever a target that never answered.
    pub confirmed: bool,
    /// MAC (absent for IP-only devices).
    pub mac: Option<Mac>,
    /// Vendor from the MAC's OUI (IEEE registry spelling).
    pub vendor: Option<&'static str>,
    /// The most recently seen address.
    pub ip: Option<IpAddr>,
    /// All addresses, oldest first.
    pub ips: Vec<DeviceIp>,
    /// The router an IP-only device sits behind.
    pub behind: Option<DeviceId>,
    /// Best name (identity hostname, then name, then the first name seen).
    pub name: Option<String>,
    /// Every name with its source.
    pub names: Vec<NameRec>,
    /// Identity from protocol answers.
    pub identity: IdentityRec,
    /// Inferred role.
    pub role: Role,
    /// Confidence in the role, 0..1.
    pub role_confidence: f32,
    /// Why.
    pub role_reasons: Vec<String>,
    /// Zone of `ip`.
    pub zone: Option<String>,
    /// Zones of all addresses (more than one = dual-homed, unless a router).
    pub zones: Vec<String>,
    /// A non-router device with addresses in two or more zones.
    pub dual_homed: bool,
    /// Protocols as client.
    pub protocols_client: Vec<ProtoSummary>,
    /// Protocols as server (responder, publisher, announcer).
    pub protocols_server: Vec<ProtoSummary>,
    /// Public DNS names resolved.
    pub public_names: Vec<PublicName>,
    /// First seen.
    #[serde(serialize_with = "super::output::ser_ts")]
    pub first_seen: Timestamp,
    /// Last seen.
    #[serde(serialize_with = "super::output::ser_ts")]
    pub last_seen: Timestamp,
    /// Packets sent (flow records).
    pub pkts_sent: u64,
    /// Packets received.
    pub pkts_received: u64,
    /// IP bytes sent.
    pub bytes_sent: u64,
    /// IP bytes received.
    pub bytes_received: u64,
    /// Events it requested or sent.
    pub events: u64,
    /// Activity as requester per UTC hour (not serialised).
    #[serde(skip)]
    pub hours: [u32; 24],
    /// LLDP/CDP: (announcements, router cap, bridge cap, caps known). Not serialised.
    #[serde(skip)]
    pub lldp: Option<(u64, bool, bool, bool)>,
}

/// One protocol within a device pair.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConnectionProto {
    /// Protocol.
    pub proto: ProtoName,
    /// Transactions.
    pub events: u64,
    /// Flow records.
    pub flows: u64,
    /// Packets client→server, server→client.
    pub pkts: [u64; 2],
    /// Bytes client→server, server→client.
    pub bytes: [u64; 2],
    /// Operation classes.
    pub ops: OpCounts,
    /// First seen.
    #[serde(serialize_with = "super::output::ser_ts")]
    pub first_seen: Timestamp,
    /// Last seen.
    #[serde(serialize_with = "super::output::ser_ts")]
    pub last_seen: Timestamp,
    /// Estimated polling cycle in seconds.
    pub cycle_secs: Option<f64>,
}

/// A device pair (client = requester/originator): the network map's edge.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Connection {
    /// Requester device.
    pub client: DeviceId,
    /// Responder device.
    pub server: DeviceId,
    /// Client address used (first seen).
    pub client_ip: Option<IpAddr>,
    /// Server address used (first seen).
    pub server_ip: Option<IpAddr>,
    /// Protocols.
    pub protocols: Vec<ConnectionProto>,
    /// Transactions.
    pub events: u64,
    /// Flow records.
    pub flows: u64,
    /// Packets both ways.
    pub pkts: u64,
    /// Bytes both ways.
    pub bytes: u64,
    /// First seen.
    #[serde(serialize_with = "super::output::ser_ts")]
    pub first_seen: Timestamp,
    /// Last seen.
    #[serde(serialize_with = "super::output::ser_ts")]
    pub last_seen: Timestamp,
    /// Zone of the client address.
    pub client_zone: Option<String>,
    /// Zone of the server address.
    pub server_zone: Option<String>,
    /// The two addresses lie in different zones (or one in none).
    pub cross_zone: bool,
}

/// The resolved view the queries answer from.
#[derive(Debug, Default)]
pub struct View {
    /// Devices.
    pub devices: Vec<Device>,
    /// Connections.
    pub connections: Vec<Connection>,
    /// IP → device.
    pub by_ip: HashMap<IpAddr, DeviceId>,
    /// MAC → device.
    pub by_mac: HashMap<Mac, DeviceId>,
    /// Zones in force.
    pub zones: Zones,
    /// Devices left out by the cap.
    pub devices_dropped: u64,
    /// IPs left out of device lists by the cap.
    pub ips_dropped: u64,
}

fn subnet(ip: IpAddr) -> Cidr {
    Cidr::subnet_of(ip)
}

struct Builder<'a> {
    hosts: &'a [Host],
    devices: Vec<Device>,
    members: Vec<Vec<HostId>>,
    host_dev: Vec<Option<DeviceId>>,
    dropped: u64,
}

impl Builder<'_> {
    fn new_device(&mut self, kind: DeviceKind, mac: Option<Mac>) -> Option<DeviceId> {
        if self.devices.len() >= MAX_DEVICES {
            self.dropped += 1;
            return None;
        }
        let id = self.devices.len() as DeviceId;
        self.devices.push(Device {
            id,
            kind,
            confirmed: false,
            mac,
            vendor: mac.and_then(oui::vendor),
            ip: None,
            ips: Vec::new(),
            behind: None,
            name: None,
            names: Vec::new(),
            identity: IdentityRec::default(),
            role: Role::Unknown,
            role_confidence: 0.0,
            role_reasons: Vec::new(),
            zone: None,
            zones: Vec::new(),
            dual_homed: false,
            protocols_client: Vec::new(),
            protocols_server: Vec::new(),
            public_names: Vec::new(),
            first_seen: Timestamp(i64::MAX),
            last_seen: Timestamp::ZERO,
            pkts_sent: 0,
            pkts_received: 0,
            bytes_sent: 0,
            bytes_received: 0,
            events: 0,
            hours: [0; 24],
            lldp: None,
        });
        self.members.push(Vec::new());
        Some(id)
    }

    fn assign(&mut self, h: HostId, d: DeviceId) {
        if let Some(slot) = self.host_dev.get_mut(h as usize) {
            *slot = Some(d);
        }
        if let Some(m) = self.members.get_mut(d as usize) {
            m.push(h);
        }
    }
}

/// Decides which IPs a MAC owns and whether it forwards for others.
fn is_router(
    mac: Mac,
    hosts: &[&Host],
    bound_by: &HashMap<IpAddr, HashSet<Mac>>,
) -> (bool, Vec<IpAddr>, String) {
    let lldp_router = hosts
        .iter()
        .any(|h| h.lldp.as_ref().is_some_and(|l| l.router));
    let own: Vec<IpAddr> = hosts
        .iter()
        .filter(|h| h.binding > Binding::Traffic)
        .filter_map(|h| h.key.ip)
        .collect();
    let traffic: Vec<IpAddr> = hosts
        .iter()
        .filter(|h| h.binding == Binding::Traffic)
        .filter_map(|h| h.key.ip)
        .collect();
    let own_nets: HashSet<Cidr> = own.iter().map(|&ip| subnet(ip)).collect();
    let any_private = own
        .iter()
        .chain(&traffic)
        .any(|&ip| ip_scope(ip) != IpScope::Public);
    let forwarded: Vec<IpAddr> = traffic
        .iter()
        .copied()
        .filter(|&ip| {
            let other_owner = bound_by
                .get(&ip)
                .is_some_and(|m| m.iter().any(|&x| x != mac));
            let foreign = !own.is_empty() && !own_nets.contains(&subnet(ip));
            let public = any_private && ip_scope(ip) == IpScope::Public;
            other_owner || foreign || public
        })
        .collect();
    let nets: HashSet<Cidr> = traffic.iter().map(|&ip| subnet(ip)).collect();
    let count_rule = own.is_empty() && traffic.len() >= 3 && nets.len() >= 2;
    let router = lldp_router || !forwarded.is_empty() || count_rule;
    if !router {
        return (false, Vec::new(), String::new());
    }
    let reason = if lldp_router {
        "announces the router capability over LLDP/CDP".to_string()
    } else if count_rule {
        format!(
            "one MAC carries {} addresses in {} subnets",
            traffic.len(),
            nets.len()
        )
    } else {
        format!(
            "forwards traffic of {} address(es) outside its own subnets",
            forwarded.len()
        )
    };
    // Forwarded addresses are the router's remote side; with the count rule all
    // traffic IPs are.
    let remote: Vec<IpAddr> = if count_rule { traffic } else { forwarded };
    (true, remote, reason)
}

/// Builds the view: devices, connections, zones, roles.
pub fn build(inv: &Inventory) -> View {
    let hosts = inv.hosts();
    let mut b = Builder {
        hosts,
        devices: Vec::new(),
        members: Vec::new(),
        host_dev: vec![None; hosts.len()],
        dropped: 0,
    };
    // Group by MAC, in order of first appearance (host ids are creation order).
    let mut by_mac: BTreeMap<Mac, Vec<HostId>> = BTreeMap::new();
    let mut mac_order: Vec<Mac> = Vec::new();
    let mut bound_by: HashMap<IpAddr, HashSet<Mac>> = HashMap::new();
    for (i, h) in hosts.iter().enumerate() {
        if let Some(m) = h.key.mac {
            let e = by_mac.entry(m).or_default();
            if e.is_empty() {
                mac_order.push(m);
            }
            e.push(i as HostId);
            if let Some(ip) = h.key.ip
                && h.binding > Binding::Traffic
            {
                bound_by.entry(ip).or_default().insert(m);
            }
        }
    }
    let mut router_reason: HashMap<DeviceId, String> = HashMap::new();
    let mut remote_hosts: Vec<(HostId, DeviceId)> = Vec::new();
    // Stations and routers.
    for m in &mac_order {
        let Some(ids) = by_mac.get(m) else { continue };
        let hs: Vec<&Host> = ids.iter().filter_map(|&i| hosts.get(i as usize)).collect();
        let (router, remote, reason) = is_router(*m, &hs, &bound_by);
        let kind = if router {
            DeviceKind::Router
        } else {
            DeviceKind::Station
        };
        let Some(d) = b.new_device(kind, Some(*m)) else {
            continue;
        };
        if router {
            router_reason.insert(d, reason);
        }
        for &i in ids {
            let ip = hosts.get(i as usize).and_then(|h| h.key.ip);
            if router && ip.is_some_and(|ip| remote.contains(&ip)) {
                remote_hosts.push((i, d));
            } else {
                b.assign(i, d);
            }
        }
    }
    // Who holds each IP: the non-router station that saw it most recently.
    let mut holder: HashMap<IpAddr, (DeviceId, Timestamp)> = HashMap::new();
    for (d, mem) in b.members.iter().enumerate() {
        for &h in mem {
            let Some(host) = hosts.get(h as usize) else {
                continue;
            };
            if let Some(ip) = host.key.ip
                && holder.get(&ip).is_none_or(|&(_, t)| host.last > t)
            {
                holder.insert(ip, (d as DeviceId, host.last));
            }
        }
    }
    // Forwarded and MAC-less records.
    let mut ip_only: HashMap<IpAddr, DeviceId> = HashMap::new();
    let macless = hosts
        .iter()
        .enumerate()
        .filter(|(_, h)| h.key.mac.is_none())
        .map(|(i, _)| (i as HostId, None));
    let pending: Vec<(HostId, Option<DeviceId>)> = remote_hosts
        .iter()
        .map(|&(h, r)| (h, Some(r)))
        .chain(macless)
        .collect();
    for (h, router) in pending {
        let Some(ip) = hosts.get(h as usize).and_then(|x| x.key.ip) else {
            continue;
        };
        let d = match holder.get(&ip) {
            Some(&(d, _)) => Some(d),
            None => match ip_only.get(&ip) {
                Some(&d) => Some(d),
                None => {
                    let d = b.new_device(DeviceKind::IpOnly, None);
                    if let Some(d) = d {
                        ip_only.insert(ip, d);
                    }
                    d
                }
            },
        };
        if let Some(d) = d {
            if let Some(dev) = b.devices.get_mut(d as usize)
                && dev.kind == DeviceKind::IpOnly
                && dev.behind.is_none()
            {
                dev.behind = router;
            }
            b.assign(h, d);
        }
    }
    let mut ips_dropped = 0u64;
    for d in 0..b.devices.len() {
        ips_dropped += aggregate(&mut b, d);
    }
    let mut view = View {
        devices: std::mem::take(&mut b.devices),
        devices_dropped: b.dropped,
        ips_dropped,
        ..View::default()
    };
    for dev in &view.devices {
        if let Some(m) = dev.mac {
            view.by_mac.insert(m, dev.id);
        }
    }
    for (ip, (d, _)) in &holder {
        view.by_ip.insert(*ip, *d);
    }
    for (ip, d) in &ip_only {
        view.by_ip.entry(*ip).or_insert(*d);
    }
    view.connections = connections(inv, &b.host_dev, &view.devices);
    // Roles.
    let span = inv
        .time_span()
        .map_or(0.0, |(f, l)| l.since(f).max(0) as f64 / 1e9);
    let mut client_conns: Vec<Vec<&Connection>> = vec![Vec::new(); view.devices.len()];
    for c in &view.connections {
        if let Some(v) = client_conns.get_mut(c.client as usize) {
            v.push(c);
        }
    }
    let guesses: Vec<_> = view
        .devices
        .iter()
        .zip(&client_conns)
        .map(|(d, cc)| roles::infer(d, cc, span, router_reason.get(&d.id)))
        .collect();
    for (d, g) in view.devices.iter_mut().zip(guesses) {
        d.role = g.role;
        d.role_confidence = g.confidence;
        d.role_reasons = g.reasons;
    }
    // Zones.
    view.zones = match inv.zones_given() {
        Some(z) => z.clone(),
        None => Zones::infer(
            view.devices
                .iter()
                .filter(|d| d.confirmed)
                .flat_map(|d| d.ips.iter().map(move |ip| (ip.ip, d.role.as_str()))),
        ),
    };
    let zones = &view.zones;
    let zname = |ip: Option<IpAddr>| {
        ip.and_then(|ip| zones.zone_of(ip))
            .and_then(|z| zones.name(z))
            .map(str::to_string)
    };
    for d in &mut view.devices {
        d.zone = zname(d.ip);
        let mut zs: Vec<String> = d.ips.iter().filter_map(|ip| zname(Some(ip.ip))).collect();
        zs.sort();
        zs.dedup();
        d.dual_homed = d.kind == DeviceKind::Station && zs.len() >= 2;
        d.zones = zs;
    }
    for c in &mut view.connections {
        c.client_zone = zname(c.client_ip);
        c.server_zone = zname(c.server_ip);
        c.cross_zone = c.client_zone != c.server_zone;
    }
    view
}

/// Sums a device's member records; returns the IPs left out by the cap.
fn aggregate(b: &mut Builder<'_>, d: usize) -> u64 {
    let Some(mem) = b.members.get(d) else {
        return 0;
    };
    let hosts = b.hosts;
    let Some(dev) = b.devices.get_mut(d) else {
        return 0;
    };
    let mut dropped = 0;
    let mut id_ts = Timestamp(i64::MIN);
    let mut lldp: Option<(u64, bool, bool, bool)> = None;
    for &h in mem {
        let Some(h) = hosts.get(h as usize) else {
            continue;
        };
        dev.confirmed |= h.confirmed;
        dev.first_seen = dev.first_seen.min(h.first);
        dev.last_seen = dev.last_seen.max(h.last);
        dev.pkts_sent += h.pkts[0];
        dev.pkts_received += h.pkts[1];
        dev.bytes_sent += h.bytes[0];
        dev.bytes_received += h.bytes[1];
        dev.events += h.events;
        for (a, x) in dev.hours.iter_mut().zip(h.hours) {
            *a = a.saturating_add(x);
        }
        if let Some(ip) = h.key.ip {
            let n_ips = dev.ips.len();
            match dev.ips.iter_mut().find(|x| x.ip == ip) {
                Some(x) => {
                    x.first_seen = x.first_seen.min(h.first);
                    x.last_seen = x.last_seen.max(h.last);
                    x.binding = x.binding.max(h.binding);
                }
                None if n_ips < MAX_IPS_PER_DEVICE => dev.ips.push(DeviceIp {
                    ip,
                    binding: if dev.kind == DeviceKind::IpOnly {
                        Binding::Traffic
                    } else {
                        h.binding
                    },
                    first_seen: h.first,
                    last_seen: h.last,
                }),
                None => dropped += 1,
            }
        }
        merge_protos(&mut dev.protocols_client, &h.client);
        merge_protos(&mut dev.protocols_server, &h.server);
        if !h.identity.is_empty() {
            dev.identity.merge(&h.identity, h.identity_ts >= id_ts);
            id_ts = id_ts.max(h.identity_ts);
        }
        for n in &h.names {
            if dev.names.len() < super::host::MAX_NAMES_PER_HOST * 2
                && !dev
                    .names
                    .iter()
                    .any(|x| x.name.eq_ignore_ascii_case(&n.name))
            {
                dev.names.push(n.clone());
            }
        }
        for p in &h.public_names {
            match dev.public_names.iter_mut().find(|x| x.name == p.name) {
                Some(x) => {
                    x.count += p.count;
                    x.first = x.first.min(p.first);
                    x.last = x.last.max(p.last);
                }
                None => dev.public_names.push(p.clone()),
            }
        }
        if let Some(l) = &h.lldp {
            let e = lldp.get_or_insert((0, false, false, false));
            e.0 += l.count;
            e.1 |= l.router;
            e.2 |= l.bridge;
            e.3 |= l.caps_known;
        }
    }
    dev.lldp = lldp;
    if dev.first_seen.0 == i64::MAX {
        dev.first_seen = Timestamp::ZERO;
    }
    dev.ips.sort_by_key(|x| (x.first_seen, x.ip));
    dev.ip = dev
        .ips
        .iter()
        .max_by_key(|x| (x.last_seen, x.binding))
        .map(|x| x.ip);
    dev.protocols_client
        .sort_by(|a, b| b.events.cmp(&a.events).then(b.flows.cmp(&a.flows)));
    dev.protocols_server
        .sort_by(|a, b| b.events.cmp(&a.events).then(b.flows.cmp(&a.flows)));
    dev.name = dev
        .identity
        .hostname
        .as_ref()
        .or(dev.identity.name.as_ref())
        .map(|a| a.value.clone())
        .or_else(|| dev.names.first().map(|n| n.name.clone()));
    dropped
}

fn merge_protos(into: &mut Vec<ProtoSummary>, from: &[super::host::ProtoUse]) {
    for p in from {
        match into.iter_mut().find(|x| x.proto == p.proto) {
            Some(x) => {
                x.events += p.events;
                x.answered += p.answered;
                x.flows += p.flows;
                x.ops.merge(&p.ops);
            }
            None => into.push(ProtoSummary {
                proto: p.proto,
                events: p.events,
                answered: p.answered,
                flows: p.flows,
                ops: p.ops,
            }),
        }
    }
}

fn connections(
    inv: &Inventory,
    host_dev: &[Option<DeviceId>],
    devices: &[Device],
) -> Vec<Connection> {
    let hosts = inv.hosts();
    let key_ip = |h: HostId| hosts.get(h as usize).and_then(|x: &Host| x.key.ip);
    let mut agg: BTreeMap<(DeviceId, DeviceId), Connection> = BTreeMap::new();
    for c in inv.raw_conns() {
        let (Some(Some(cd)), Some(Some(sd))) = (
            host_dev.get(c.client as usize),
            host_dev.get(c.server as usize),
        ) else {
            continue;
        };
        if cd == sd || devices.get(*cd as usize).is_none() {
            continue;
        }
        let e = agg.entry((*cd, *sd)).or_insert_with(|| Connection {
            client: *cd,
            server: *sd,
            client_ip: key_ip(c.client),
            server_ip: key_ip(c.server),
            protocols: Vec::new(),
            events: 0,
            flows: 0,
            pkts: 0,
            bytes: 0,
            first_seen: Timestamp(i64::MAX),
            last_seen: Timestamp::ZERO,
            client_zone: None,
            server_zone: None,
            cross_zone: false,
        });
        if e.client_ip.is_none() {
            e.client_ip = key_ip(c.client);
        }
        if e.server_ip.is_none() {
            e.server_ip = key_ip(c.server);
        }
        for p in &c.protos {
            e.events += p.events;
            e.flows += p.flows;
            e.pkts += p.pkts[0] + p.pkts[1];
            e.bytes += p.bytes[0] + p.bytes[1];
            e.first_seen = e.first_seen.min(p.first);
            e.last_seen = e.last_seen.max(p.last);
            match e.protocols.iter_mut().find(|x| x.proto == p.proto) {
                Some(x) => {
                    x.events += p.events;
                    x.flows += p.flows;
                    for i in 0..2 {
                        x.pkts[i] += p.pkts[i];
                        x.bytes[i] += p.bytes[i];
                    }
                    x.ops.merge(&p.ops);
                    x.first_seen = x.first_seen.min(p.first);
                    x.last_seen = x.last_seen.max(p.last);
                    x.cycle_secs = match (x.cycle_secs, p.cycle_secs()) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                }
                None => e.protocols.push(ConnectionProto {
                    proto: p.proto,
                    events: p.events,
                    flows: p.flows,
                    pkts: p.pkts,
                    bytes: p.bytes,
                    ops: p.ops,
                    first_seen: p.first,
                    last_seen: p.last,
                    cycle_secs: p.cycle_secs(),
                }),
            }
        }
    }
    agg.into_values()
        .filter(|c| c.first_seen.0 != i64::MAX)
        .collect()
}

/// The key of a host record (for tests and diagnostics).
pub fn key_of(inv: &Inventory, h: HostId) -> Option<HostKey> {
    inv.hosts().get(h as usize).map(|x| x.key)
}
