//! Asset inventory: devices, their identities and roles, and who talks to whom.
//!
//! Feed it every dissector [`Event`] ([`Inventory::observe_event`]) and every flow
//! record ([`Inventory::observe_flow`]), in packet-time order, then call
//! [`Inventory::classify`] (alias [`Inventory::finish`]) to resolve devices, infer
//! roles and zones, and build the connection list. Queries
//! ([`Inventory::devices`], [`Inventory::device_by_ip`], [`Inventory::connections`]
//! ...) answer from the last `classify`; calling it again after more traffic
//! refreshes them (live mode calls it periodically).
//!
//! How devices are resolved from what the wire shows (see [`resolve`]):
//! - observation keys on the (MAC, IP) pair of each endpoint;
//! - a device is a unicast MAC with the IPs bound to it (ARP sender, DHCP
//!   assignment, LLDP management address, or plain traffic in its own subnet);
//! - a MAC that carries IPs of foreign subnets, or IPs that other MACs own, is a
//!   router: its remote IPs become IP-only devices "behind" it, never its addresses;
//! - a DHCP address change keeps one device (same MAC) with both addresses, the
//!   newest being `ip`;
//! - traffic without link-layer addresses attaches to the station that owns the IP,
//!   or to an IP-only device.
//!
//! The JSON rendering (`otwatch analyze --assets`) is documented field by field in
//! `docs/assets.md`. Memory is bounded by the named caps below and in [`host`];
//! overflow is counted in [`Overflow`] and reported as weird events through
//! [`Inventory::drain_weirds`].

pub mod host;
mod output;
pub mod resolve;
pub mod roles;

pub use host::{Attr, Binding, HostKey, IdentityRec, NameRec, OpCounts, ProtoName, PublicName};
pub use output::{AssetsDoc, csv_header};
pub use resolve::{
    Connection, ConnectionProto, Device, DeviceId, DeviceIp, DeviceKind, ProtoSummary,
};
pub use roles::{Role, RoleGuess};

use crate::zones::{IpScope, Zones, ip_scope};
use host::{
    Conn, Host, HostId, LldpInfo, MAX_PROTOCOLS_PER_HOST, MAX_PUBLIC_NAMES_PER_HOST, proto_use,
};
use otwatch_core::{
    Endpoint, Event, EventKind, FlowRecord, IdentitySubject, Mac, Timestamp, Value,
};
use serde::Serialize;
use std::net::IpAddr;

/// Most (MAC, IP) host records. A plant has hundreds of devices; a scan of a /16
/// creates 65 536 target records, which still fit.
pub const MAX_HOSTS: usize = 200_000;
/// Most devices resolved (hosts beyond it are left out of the device list).
pub const MAX_DEVICES: usize = 100_000;
/// Most host-pair connections.
pub const MAX_CONNECTIONS: usize = 500_000;
/// Most IP addresses listed per device (a router's own interfaces, DHCP history).
pub const MAX_IPS_PER_DEVICE: usize = 64;
/// Most DHCP servers and default gateways remembered (beyond it: counted).
pub const MAX_SERVICE_SIGHTINGS: usize = 64;

/// Counts of observations the caps refused.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Overflow {
    /// Host records refused by [`MAX_HOSTS`].
    pub hosts: u64,
    /// Devices left out by [`MAX_DEVICES`].
    pub devices: u64,
    /// Connections refused by [`MAX_CONNECTIONS`].
    pub connections: u64,
    /// Protocols refused per host or connection.
    pub protocols: u64,
    /// Names refused per host.
    pub names: u64,
    /// IPs left out of device lists by [`MAX_IPS_PER_DEVICE`].
    pub ips: u64,
    /// Public DNS names refused per host.
    pub public_names: u64,
    /// DHCP servers or gateways refused by [`MAX_SERVICE_SIGHTINGS`].
    pub services: u64,
}

/// A DHCP server or a default gateway as seen in DHCP answers.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ServiceSighting {
    /// Its address.
    pub ip: IpAddr,
    /// MAC of the answering server, when seen (DHCP servers only).
    pub mac: Option<Mac>,
    /// First sighting.
    #[serde(serialize_with = "output::ser_ts")]
    pub first: Timestamp,
    /// Last sighting.
    #[serde(serialize_with = "output::ser_ts")]
    pub last: Timestamp,
    /// Sightings.
    pub count: u64,
}

/// The inventory: observations in, devices and connections out.
#[derive(Debug, Default)]
pub struct Inventory {
    hosts: Vec<Host>,
    host_index: crate::models::FastMap<HostKey, HostId>,
    conns: Vec<Conn>,
    conn_index: crate::models::FastMap<(HostId, HostId), u32>,
    first: Option<Timestamp>,
    last: Timestamp,
    dhcp_servers: Vec<ServiceSighting>,
    gateways: Vec<ServiceSighting>,
    overflow: Overflow,
    weirds: Vec<(Timestamp, &'static str)>,
    weirds_emitted: Vec<&'static str>,
    zones_given: Option<Zones>,
    view: resolve::View,
}

/// True for the industrial protocols whose server side makes a controller.
pub fn is_industrial(proto: &str) -> bool {
    matches!(
        proto,
        "modbus"
            | "dnp3"
            | "s7comm"
            | "s7comm_plus"
            | "enip"
            | "cip"
            | "iec104"
            | "bacnet"
            | "opcua"
            | "profinet"
            | "profinet_dcp"
            | "goose"
            | "sv"
            | "mms"
            | "iec61850"
            | "melsec"
            | "fins"
            | "umas"
    )
}

impl Inventory {
    /// An empty inventory; zones will be inferred at [`Inventory::classify`].
    pub fn new() -> Inventory {
        Inventory::default()
    }

    /// An empty inventory using the zones of a `zones.toml`.
    pub fn with_zones(zones: Zones) -> Inventory {
        Inventory {
            zones_given: Some(zones),
            ..Inventory::default()
        }
    }

    /// Sets (or replaces) the configured zones; takes effect at the next classify.
    pub fn set_zones(&mut self, zones: Zones) {
        self.zones_given = Some(zones);
    }

    fn note_time(&mut self, ts: Timestamp) {
        if self.first.is_none_or(|f| ts < f) {
            self.first = Some(ts);
        }
        if ts > self.last {
            self.last = ts;
        }
    }

    fn weird(&mut self, ts: Timestamp, name: &'static str) {
        if !self.weirds_emitted.contains(&name) {
            self.weirds_emitted.push(name);
            self.weirds.push((ts, name));
        }
    }

    /// The host record for an endpoint, created on first sight. `None` for group
    /// destinations (multicast, broadcast), unspecified addresses, or when
    /// [`MAX_HOSTS`] is reached.
    fn host(&mut self, ep: &Endpoint, ts: Timestamp) -> Option<HostId> {
        let key = host_key(ep)?;
        if let Some(&id) = self.host_index.get(&key) {
            if let Some(h) = self.hosts.get_mut(id as usize) {
                h.touch(ts);
            }
            return Some(id);
        }
        if self.hosts.len() >= MAX_HOSTS {
            self.overflow.hosts += 1;
            self.weird(ts, "inventory_host_cap");
            return None;
        }
        let id = self.hosts.len() as HostId;
        self.hosts.push(Host::new(key, ts));
        self.host_index.insert(key, id);
        Some(id)
    }

    fn host_mut(&mut self, id: HostId) -> Option<&mut Host> {
        self.hosts.get_mut(id as usize)
    }

    fn conn(&mut self, client: HostId, server: HostId, ts: Timestamp) -> Option<&mut Conn> {
        let i = match self.conn_index.get(&(client, server)) {
            Some(&i) => i,
            None if self.conns.len() < MAX_CONNECTIONS => {
                let i = self.conns.len() as u32;
                self.conns.push(Conn {
                    client,
                    server,
                    protos: Vec::new(),
                });
                self.conn_index.insert((client, server), i);
                i
            }
            None => {
                self.overflow.connections += 1;
                self.weird(ts, "inventory_connection_cap");
                return None;
            }
        };
        self.conns.get_mut(i as usize)
    }

    /// Records one dissector event.
    pub fn observe_event(&mut self, ev: &Event) {
        self.note_time(ev.ts);
        if ev.kind == EventKind::Weird {
            // Weirds say nothing reliable about roles; they still show the sender.
            if let Some(s) = self.host(&ev.src, ev.ts)
                && let Some(h) = self.host_mut(s)
            {
                h.confirmed = true;
            }
            return;
        }
        let src = self.host(&ev.src, ev.ts);
        let dst = self.host(&ev.dst, ev.ts);
        let proto = ProtoName::Named(ev.proto);
        let one_way = is_announcement(ev);
        let answered =
            ev.status.is_some() || ev.fields.get("request_seen") == Some(&Value::Bool(false));
        let mut refused = 0u64;
        if let Some(s) = src
            && let Some(h) = self.host_mut(s)
        {
            h.confirmed = true;
            h.events += 1;
            let side = if one_way {
                &mut h.server
            } else {
                &mut h.client
            };
            match proto_use(side, proto, MAX_PROTOCOLS_PER_HOST) {
                Some(p) => {
                    p.events += 1;
                    if one_way {
                        p.answered += 1;
                    }
                    p.ops.add(ev.op);
                }
                None => refused += 1,
            }
            if !one_way {
                let hr = ev.ts.hour_of_day() as usize;
                if let Some(c) = h.hours.get_mut(hr) {
                    *c = c.saturating_add(1);
                }
            }
        }
        if !one_way
            && let Some(d) = dst
            && let Some(h) = self.host_mut(d)
        {
            if answered {
                h.confirmed = true;
            }
            match proto_use(&mut h.server, proto, MAX_PROTOCOLS_PER_HOST) {
                Some(p) => {
                    p.events += 1;
                    if answered {
                        p.answered += 1;
                    }
                    p.ops.add(ev.op);
                }
                None => refused += 1,
            }
        }
        if let (Some(s), Some(d)) = (src, dst)
            && s != d
        {
            match self.conn(s, d, ev.ts).map(|c| c.proto(proto, ev.ts)) {
                Some(Some(p)) => {
                    p.events += 1;
                    p.ops.add(ev.op);
                    if p.bursts == 0 || ev.ts.since(p.last_event) > host::BURST_GAP_NS {
                        p.bursts += 1;
                    }
                    if ev.ts > p.last_event {
                        p.last_event = ev.ts;
                    }
                }
                Some(None) => refused += 1,
                None => {}
            }
        }
        if refused > 0 {
            self.overflow.protocols += refused;
            self.weird(ev.ts, "inventory_protocol_cap");
        }
        self.identity_facts(ev, src, dst);
        self.protocol_facts(ev, src, dst);
    }

    fn identity_facts(&mut self, ev: &Event, src: Option<HostId>, dst: Option<HostId>) {
        let Some(id) = &ev.identity else { return };
        let subject = match id.subject {
            Some(IdentitySubject::Src) => src,
            Some(IdentitySubject::Dst) => dst,
            // Convention: a transaction's identity describes the responder.
            None => dst,
        };
        let Some(h) = subject.and_then(|s| self.hosts.get_mut(s as usize)) else {
            return;
        };
        h.identity.merge_identity(id, ev.proto);
        h.identity_ts = ev.ts;
        let mut ok = true;
        if let Some(n) = &id.hostname {
            ok &= h.add_name(n, ev.proto);
        }
        if let Some(n) = &id.name {
            ok &= h.add_name(n, ev.proto);
        }
        if !ok {
            self.overflow.names += 1;
            self.weird(ev.ts, "inventory_name_cap");
        }
    }

    /// Facts specific to a few protocols: ARP and DHCP bindings, DHCP servers and
    /// gateways, DNS names, LLDP capabilities. Field names follow
    /// `docs/events/<proto>.md`.
    fn protocol_facts(&mut self, ev: &Event, src: Option<HostId>, dst: Option<HostId>) {
        match ev.proto {
            "arp" => self.arp_facts(ev),
            "dhcp" => self.dhcp_facts(ev, src, dst),
            "dns" | "mdns" | "llmnr" | "nbns" => self.dns_facts(ev, src, dst),
            "lldp" | "cdp" => self.lldp_facts(ev, src),
            _ => {}
        }
    }

    /// Binds `ip` to `mac` with evidence `b` (creating the host record).
    fn bind(&mut self, mac: Mac, ip: IpAddr, b: Binding, ts: Timestamp) -> Option<HostId> {
        let ep = Endpoint {
            ip: Some(ip),
            port: 0,
            mac: Some(mac),
        };
        let id = self.host(&ep, ts)?;
        let h = self.host_mut(id)?;
        if h.key.mac.is_some() && h.key.ip.is_some() && b > h.binding {
            h.binding = b;
        }
        Some(id)
    }

    fn arp_facts(&mut self, ev: &Event) {
        let mac = field_mac(ev, &["sender_mac", "sha"]).or(ev.src.mac);
        let ip = field_ip(ev, &["sender_ip", "spa"]);
        if let (Some(mac), Some(ip)) = (mac, ip)
            && let Some(id) = self.bind(mac, ip, Binding::Arp, ev.ts)
            && let Some(h) = self.host_mut(id)
        {
            h.confirmed = true;
        }
    }

    fn dhcp_facts(&mut self, ev: &Event, src: Option<HostId>, dst: Option<HostId>) {
        let client_mac = field_mac(ev, &["client_mac", "chaddr"]);
        let assigned = field_ip(ev, &["assigned_ip", "yiaddr", "your_ip"]);
        let server = field_ip(ev, &["server_id", "server_ip", "server_identifier"]);
        let is_answer = matches!(
            ev.fields
                .get_str("message_type")
                .or(ev.fields.get_str("msg_type")),
            Some("ack" | "offer")
        ) || matches!(&*ev.function, "ack" | "offer" | "dhcp_ack" | "dhcp_offer");
        if let (Some(mac), Some(ip)) = (client_mac, assigned)
            && ip_scope(ip) != IpScope::Unspecified
            && is_answer
        {
            self.bind(mac, ip, Binding::Dhcp, ev.ts);
        }
        if let Some(n) = ev.fields.get_str("hostname")
            && let Some(mac) = client_mac
        {
            let ep = Endpoint::mac(mac);
            if let Some(id) = self.host(&ep, ev.ts)
                && let Some(h) = self.host_mut(id)
                && !h.add_name(n, "dhcp")
            {
                self.overflow.names += 1;
            }
        }
        if is_answer {
            // The server is whoever sent the offer/ack: its identifier, else the
            // endpoint that is not the client.
            let server_mac = [&ev.src, &ev.dst]
                .into_iter()
                .find(|e| e.mac.is_some() && e.mac != client_mac && e.port == 67)
                .and_then(|e| e.mac);
            let server_ip = server.or_else(|| {
                [&ev.src, &ev.dst]
                    .into_iter()
                    .find(|e| e.port == 67)
                    .and_then(|e| e.ip)
                    .filter(|&ip| ip_scope(ip) != IpScope::Unspecified)
            });
            if let Some(ip) = server_ip {
                sight(
                    &mut self.dhcp_servers,
                    ip,
                    server_mac,
                    ev.ts,
                    &mut self.overflow,
                );
                // The server answered DHCP: count that on its host record.
                for id in [src, dst].into_iter().flatten() {
                    if let Some(h) = self.hosts.get_mut(id as usize)
                        && h.key.ip == Some(ip)
                        && let Some(p) = proto_use(
                            &mut h.server,
                            ProtoName::Named("dhcp"),
                            MAX_PROTOCOLS_PER_HOST,
                        )
                    {
                        p.answered += 1;
                    }
                }
            }
            for gw in field_ips(ev, &["router", "routers", "gateway"]) {
                sight(&mut self.gateways, gw, None, ev.ts, &mut self.overflow);
            }
        }
    }

    fn dns_facts(&mut self, ev: &Event, src: Option<HostId>, _dst: Option<HostId>) {
        // Answers name addresses: A/AAAA (qname -> address) and PTR.
        let qname = ev.fields.get_str("qname").or(ev.fields.get_str("query"));
        if let Some(name) = qname {
            for ip in field_ips(ev, &["answers", "answer_ips", "a", "aaaa"]) {
                self.name_ip(ip, name, ev.proto, ev.ts);
            }
            if let Some(ip) = ptr_ip(name)
                && let Some(target) = ev
                    .fields
                    .get_str("ptr")
                    .or(ev.fields.get_str("answer_name"))
            {
                self.name_ip(ip, target, ev.proto, ev.ts);
            }
        }
        // Public names: the requester resolved a name outside the site.
        if ev.fields.get("public_name") == Some(&Value::Bool(true))
            && let Some(name) = qname
            && let Some(s) = src
        {
            let server = ev.dst.ip;
            let ts = ev.ts;
            let mut refused = false;
            if let Some(h) = self.host_mut(s) {
                let lname = name.trim_end_matches('.').to_ascii_lowercase();
                let n = h.public_names.len();
                match h.public_names.iter_mut().find(|p| p.name == lname) {
                    Some(p) => {
                        p.count += 1;
                        p.last = p.last.max(ts);
                    }
                    None if n < MAX_PUBLIC_NAMES_PER_HOST => {
                        h.public_names.push(PublicName {
                            name: host::clip(&lname),
                            server,
                            first: ts,
                            last: ts,
                            count: 1,
                        });
                    }
                    None => {
                        h.public_names_dropped += 1;
                        refused = true;
                    }
                }
            }
            if refused {
                self.overflow.public_names += 1;
                self.weird(ts, "inventory_public_name_cap");
            }
        }
    }

    /// Names the station(s) holding `ip`.
    fn name_ip(&mut self, ip: IpAddr, name: &str, source: &'static str, ts: Timestamp) {
        if matches!(
            ip_scope(ip),
            IpScope::Multicast | IpScope::Broadcast | IpScope::Unspecified
        ) {
            return;
        }
        // Every host record with this IP (it may have been seen with several MACs).
        let ids: Vec<HostId> = self
            .host_index
            .iter()
            .filter(|(k, _)| k.ip == Some(ip))
            .map(|(_, &id)| id)
            .take(8)
            .collect();
        let ids = if ids.is_empty() {
            self.host(&Endpoint::ip(ip, 0), ts).into_iter().collect()
        } else {
            ids
        };
        let mut refused = false;
        for id in ids {
            if let Some(h) = self.host_mut(id) {
                refused |= !h.add_name(name, source);
            }
        }
        if refused {
            self.overflow.names += 1;
        }
    }

    fn lldp_facts(&mut self, ev: &Event, src: Option<HostId>) {
        let caps = ev
            .fields
            .get_str("enabled_capabilities")
            .or(ev.fields.get_str("capabilities"))
            .map(str::to_ascii_lowercase);
        let mgmt = field_ip(ev, &["mgmt_addr", "management_address", "mgmt_ip"]);
        let mac = ev.src.mac;
        let Some(s) = src else { return };
        if let Some(h) = self.host_mut(s) {
            h.confirmed = true;
            let l = h.lldp.get_or_insert_with(|| Box::new(LldpInfo::default()));
            l.count += 1;
            l.proto = ev.proto;
            if let Some(c) = &caps {
                l.caps_known = true;
                l.router |= c.contains("router");
                l.bridge |= c.contains("bridge") || c.contains("switch");
            }
        }
        if let (Some(mac), Some(ip)) = (mac, mgmt)
            && !matches!(ip_scope(ip), IpScope::Unspecified | IpScope::Multicast)
        {
            self.bind(mac, ip, Binding::Lldp, ev.ts);
        }
    }

    /// Records one flow record (every flow, identified or not).
    pub fn observe_flow(&mut self, rec: &FlowRecord) {
        self.note_time(rec.first);
        self.note_time(rec.last);
        let c = self.host(&rec.client, rec.first);
        let s = self.host(&rec.server, rec.first);
        if let Some(c) = c {
            self.touch(c, rec.last);
        }
        if let Some(s) = s {
            self.touch(s, rec.last);
        }
        let proto = ProtoName::of_flow(rec.proto, rec.transport, rec.server.port);
        let mut refused = 0u64;
        if let Some(h) = c.and_then(|c| self.hosts.get_mut(c as usize)) {
            h.confirmed |= rec.pkts[0] > 0;
            h.pkts[0] += rec.pkts[0];
            h.bytes[0] += rec.bytes[0];
            h.pkts[1] += rec.pkts[1];
            h.bytes[1] += rec.bytes[1];
            let hr = rec.first.hour_of_day() as usize;
            if let Some(x) = h.hours.get_mut(hr) {
                *x = x.saturating_add(1);
            }
            match proto_use(&mut h.client, proto, MAX_PROTOCOLS_PER_HOST) {
                Some(p) => p.flows += 1,
                None => refused += 1,
            }
        }
        if let Some(h) = s.and_then(|s| self.hosts.get_mut(s as usize)) {
            let replied = rec.pkts[1] > 0;
            h.confirmed |= replied;
            h.pkts[0] += rec.pkts[1];
            h.bytes[0] += rec.bytes[1];
            h.pkts[1] += rec.pkts[0];
            h.bytes[1] += rec.bytes[0];
            match proto_use(&mut h.server, proto, MAX_PROTOCOLS_PER_HOST) {
                Some(p) => {
                    p.flows += 1;
                    if replied {
                        p.answered += 1;
                    }
                }
                None => refused += 1,
            }
        }
        if let (Some(c), Some(s)) = (c, s)
            && c != s
        {
            match self
                .conn(c, s, rec.first)
                .map(|x| x.proto(proto, rec.first))
            {
                Some(Some(p)) => {
                    p.flows += 1;
                    p.last = p.last.max(rec.last);
                    for i in 0..2 {
                        p.pkts[i] += rec.pkts[i];
                        p.bytes[i] += rec.bytes[i];
                    }
                }
                Some(None) => refused += 1,
                None => {}
            }
        }
        if refused > 0 {
            self.overflow.protocols += refused;
            self.weird(rec.first, "inventory_protocol_cap");
        }
    }

    fn touch(&mut self, id: HostId, ts: Timestamp) {
        if let Some(h) = self.host_mut(id) {
            h.touch(ts);
        }
    }

    /// Resolves devices, infers roles (and zones, when none were configured) and
    /// builds the connection list. Idempotent; call again after more observations.
    pub fn classify(&mut self) {
        let view = resolve::build(self);
        self.view = view;
    }

    /// Same as [`Inventory::classify`]: the end-of-input call.
    pub fn finish(&mut self) {
        self.classify();
    }

    /// Devices as of the last classify, ordered by id.
    pub fn devices(&self) -> &[Device] {
        &self.view.devices
    }

    /// A device by id.
    pub fn device(&self, id: DeviceId) -> Option<&Device> {
        self.view.devices.get(id as usize)
    }

    /// The device currently holding `ip` (a station, a router's own interface, or an
    /// IP-only device behind a router).
    pub fn device_by_ip(&self, ip: IpAddr) -> Option<&Device> {
        self.view.by_ip.get(&ip).and_then(|&d| self.device(d))
    }

    /// The device with this MAC.
    pub fn device_by_mac(&self, mac: Mac) -> Option<&Device> {
        self.view.by_mac.get(&mac).and_then(|&d| self.device(d))
    }

    /// The device an event endpoint belongs to (IP first, then MAC, honouring
    /// routers: a router's MAC with a remote IP names the remote device).
    pub fn device_of(&self, ep: &Endpoint) -> Option<&Device> {
        ep.ip
            .and_then(|ip| self.device_by_ip(ip))
            .or_else(|| ep.mac.and_then(|m| self.device_by_mac(m)))
    }

    /// Connections (device pairs) as of the last classify.
    pub fn connections(&self) -> &[Connection] {
        &self.view.connections
    }

    /// The zones in force at the last classify (configured, or inferred).
    pub fn zones(&self) -> &Zones {
        &self.view.zones
    }

    /// DHCP servers seen answering, in order of first sighting.
    pub fn dhcp_servers(&self) -> &[ServiceSighting] {
        &self.dhcp_servers
    }

    /// Default gateways announced by DHCP, in order of first sighting.
    pub fn gateways(&self) -> &[ServiceSighting] {
        &self.gateways
    }

    /// First and last packet time observed.
    pub fn time_span(&self) -> Option<(Timestamp, Timestamp)> {
        self.first.map(|f| (f, self.last))
    }

    /// Observations refused by the caps (device and IP counts as of the last classify).
    pub fn overflow(&self) -> Overflow {
        Overflow {
            devices: self.view.devices_dropped,
            ips: self.view.ips_dropped,
            ..self.overflow.clone()
        }
    }

    /// Weird events for cap overflows since the last call (each name once per run):
    /// `inventory_host_cap`, `inventory_connection_cap`, `inventory_protocol_cap`,
    /// `inventory_name_cap`, `inventory_public_name_cap`, `inventory_service_cap`,
    /// `inventory_device_cap`.
    pub fn drain_weirds(&mut self) -> Vec<Event> {
        if self.view.devices_dropped > 0 {
            let ts = self.last;
            self.weird(ts, "inventory_device_cap");
        }
        if self.overflow.services > 0 {
            let ts = self.last;
            self.weird(ts, "inventory_service_cap");
        }
        self.weirds
            .drain(..)
            .map(|(ts, name)| {
                Event::weird(
                    ts,
                    otwatch_core::FlowId(0),
                    Endpoint::default(),
                    Endpoint::default(),
                    "inventory",
                    name,
                )
            })
            .collect()
    }

    /// Raw host records (for the resolver and memory estimates).
    pub(crate) fn hosts(&self) -> &[Host] {
        &self.hosts
    }

    /// Raw host-pair conversations.
    pub(crate) fn raw_conns(&self) -> &[Conn] {
        &self.conns
    }

    /// Configured zones, if any.
    pub(crate) fn zones_given(&self) -> Option<&Zones> {
        self.zones_given.as_ref()
    }

    /// Approximate memory held by observation state.
    pub fn memory(&self) -> MemoryEstimate {
        use std::mem::size_of;
        let host_heap: usize = self.hosts.iter().map(Host::heap_bytes).sum();
        let hosts = self.hosts.capacity() * size_of::<Host>()
            + host_heap
            + self.host_index.capacity() * (size_of::<HostKey>() + size_of::<HostId>() + 8);
        let conn_heap: usize = self
            .conns
            .iter()
            .map(|c| c.protos.capacity() * size_of::<host::ConnProto>())
            .sum();
        let conns = self.conns.capacity() * size_of::<Conn>()
            + conn_heap
            + self.conn_index.capacity() * (size_of::<(HostId, HostId)>() + 4 + 8);
        MemoryEstimate {
            hosts: self.hosts.len(),
            host_bytes: hosts,
            connections: self.conns.len(),
            connection_bytes: conns,
            bytes_per_host: hosts.checked_div(self.hosts.len()).unwrap_or(0),
            bytes_per_connection: conns.checked_div(self.conns.len()).unwrap_or(0),
        }
    }
}

/// Memory held by the inventory's observation state (estimate: struct sizes plus
/// heap capacities plus hash-table slots).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MemoryEstimate {
    /// Host records.
    pub hosts: usize,
    /// Bytes for host records and their index.
    pub host_bytes: usize,
    /// Host-pair conversations.
    pub connections: usize,
    /// Bytes for conversations and their index.
    pub connection_bytes: usize,
    /// Average bytes per host record.
    pub bytes_per_host: usize,
    /// Average bytes per conversation.
    pub bytes_per_connection: usize,
}

fn sight(
    v: &mut Vec<ServiceSighting>,
    ip: IpAddr,
    mac: Option<Mac>,
    ts: Timestamp,
    of: &mut Overflow,
) {
    let n = v.len();
    match v.iter_mut().find(|s| s.ip == ip) {
        Some(s) => {
            s.count += 1;
            s.last = s.last.max(ts);
            if s.mac.is_none() {
                s.mac = mac;
            }
        }
        None if n < MAX_SERVICE_SIGHTINGS => v.push(ServiceSighting {
            ip,
            mac,
            first: ts,
            last: ts,
            count: 1,
        }),
        None => of.services += 1,
    }
}

/// The observation key of an endpoint: unicast MAC and unicast, specified IP.
/// `None` for group destinations and for endpoints with neither.
pub fn host_key(ep: &Endpoint) -> Option<HostKey> {
    let ip = match ep.ip {
        Some(ip) => match ip_scope(ip) {
            IpScope::Multicast | IpScope::Broadcast => return None,
            IpScope::Unspecified => None,
            _ => Some(ip),
        },
        None => None,
    };
    let mac = ep.mac.filter(|m| !m.is_multicast() && m.0 != [0; 6]);
    if ep.mac.is_some_and(|m| m.is_multicast()) && ip.is_none() {
        return None;
    }
    if mac.is_none() && ip.is_none() {
        return None;
    }
    Some(HostKey { mac, ip })
}

/// One-way announcements: the sender describes or publishes itself (BACnet I-Am,
/// PROFINET DCP Hello, GOOSE/SV publications, LLDP/CDP, NTP broadcasts), so it
/// counts as the protocol's server side.
fn is_announcement(ev: &Event) -> bool {
    matches!(ev.proto, "goose" | "sv" | "lldp" | "cdp")
        || ev
            .identity
            .as_ref()
            .is_some_and(|i| i.subject == Some(IdentitySubject::Src))
            && !matches!(ev.proto, "dhcp" | "smb" | "http" | "ssh" | "rdp" | "tls")
        || matches!(&*ev.function, "i_am" | "broadcast" | "dcp_hello" | "hello")
}

fn value_ips(v: &Value, out: &mut Vec<IpAddr>) {
    match v {
        Value::Str(_) | Value::Name(_) => {
            if let Some(s) = v.as_str() {
                for part in s.split([',', ' ']) {
                    if let Ok(ip) = part.trim().parse() {
                        out.push(ip);
                    }
                }
            }
        }
        Value::Bytes(b) if b.len() == 4 => {
            out.push(IpAddr::from([b[0], b[1], b[2], b[3]]));
        }
        Value::List(l) => {
            for x in l.iter().take(32) {
                value_ips(x, out);
            }
        }
        _ => {}
    }
}

fn field_ips(ev: &Event, keys: &[&str]) -> Vec<IpAddr> {
    let mut out = Vec::new();
    for (k, v) in &ev.fields.0 {
        if keys.contains(k) {
            value_ips(v, &mut out);
        }
    }
    out
}

fn field_ip(ev: &Event, keys: &[&str]) -> Option<IpAddr> {
    field_ips(ev, keys).into_iter().next()
}

fn field_mac(ev: &Event, keys: &[&str]) -> Option<Mac> {
    keys.iter().find_map(|k| match ev.fields.get(k)? {
        Value::Bytes(b) => Mac::from_slice(b),
        v => v.as_str()?.parse().ok(),
    })
}

/// The address a reverse-lookup name stands for (`4.3.2.1.in-addr.arpa`).
fn ptr_ip(name: &str) -> Option<IpAddr> {
    let n = name.trim_end_matches('.').to_ascii_lowercase();
    let rest = n.strip_suffix(".in-addr.arpa")?;
    let parts: Vec<u8> = rest
        .split('.')
        .map(|p| p.parse::<u8>().ok())
        .collect::<Option<_>>()?;
    match parts.as_slice() {
        [d, c, b, a] => Some(IpAddr::from([*a, *b, *c, *d])),
        _ => None,
    }
}

#[cfg(test)]
pub(crate) mod tests;
