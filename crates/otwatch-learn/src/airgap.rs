//! The air-gap report: every conversation that breaches the separation between
//! OT and the rest of the world, with a one-line verdict.
//!
//! Built from a classified [`Inventory`] ([`AirgapReport::build`]). An entry is one
//! (device pair, protocol) conversation, or one device for findings that are about
//! a device (public DNS names, new DHCP servers and gateways). Reasons, with their
//! stable names:
//!
//! | reason | when |
//! |---|---|
//! | `ot_it_crossing` | one side is in an OT zone (L0–L3), the other in an IT zone (L4, L5, IT) |
//! | `public_address` | an OT address talks with a public (globally routable) address |
//! | `public_dns_name` | an OT device resolved a name the DNS dissector marks public |
//! | `remote_access_into_ot` | RDP, VNC, SSH, TeamViewer or AnyDesk towards an OT server from outside OT |
//! | `zone_policy_violation` | a policy exists and this zone pair (initiator → responder) is not in it |
//! | `dual_homed_device` | a device (not a router) has addresses in two zones: every conversation of it |
//! | `new_dhcp_server` | a second (third ...) DHCP server answers in a zone |
//! | `new_default_gateway` | DHCP announces a second (third ...) default gateway in a zone |
//!
//! Pairs the policy allows are not crossings (except for dual-homing, which no
//! policy makes safe). Multicast and broadcast traffic never is: the inventory keeps
//! no device for group addresses. DMZ and unknown-zone traffic is reported only when
//! a policy forbids it.

use crate::inventory::{Connection, Device, DeviceId, Inventory, ProtoName};
use crate::zones::{ZoneSide, Zones, ZonesSource};
use otwatch_core::Timestamp;
use serde::{Serialize, Serializer};
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

/// Most entries in a report; the rest are counted in `truncated`.
pub const MAX_CROSSINGS: usize = 10_000;
/// Most convergence points named in the verdict line (all are in the list).
pub const MAX_VERDICT_POINTS: usize = 5;
/// Most public names listed per `public_dns_name` entry.
pub const MAX_NAMES_PER_ENTRY: usize = 10;

/// The schema name of the JSON rendering.
pub const AIRGAP_SCHEMA: &str = "otwatch.airgap.v1";

/// Why a conversation is a crossing.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reason {
    /// OT ↔ IT.
    OtItCrossing,
    /// OT ↔ public address.
    PublicAddress,
    /// OT device resolved a public name.
    PublicDnsName,
    /// Remote-access protocol into OT.
    RemoteAccessIntoOt,
    /// Zone pair not allowed by the policy.
    ZonePolicyViolation,
    /// Conversation of a dual-homed device.
    DualHomedDevice,
    /// Another DHCP server in a zone.
    NewDhcpServer,
    /// Another default gateway in a zone.
    NewDefaultGateway,
}

impl Reason {
    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::OtItCrossing => "ot_it_crossing",
            Reason::PublicAddress => "public_address",
            Reason::PublicDnsName => "public_dns_name",
            Reason::RemoteAccessIntoOt => "remote_access_into_ot",
            Reason::ZonePolicyViolation => "zone_policy_violation",
            Reason::DualHomedDevice => "dual_homed_device",
            Reason::NewDhcpServer => "new_dhcp_server",
            Reason::NewDefaultGateway => "new_default_gateway",
        }
    }
}

impl Serialize for Reason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

fn ser_ts<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(t.as_secs_f64())
}

/// One end of a crossing.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Party {
    /// Device id in the inventory.
    pub device: DeviceId,
    /// Address used.
    pub ip: Option<IpAddr>,
    /// Device name.
    pub name: Option<String>,
    /// Device role.
    pub role: &'static str,
    /// Zone name.
    pub zone: Option<String>,
    /// Side of the gap.
    pub side: ZoneSide,
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Crossing {
    /// The main reason (the first of `reasons`).
    pub reason: Reason,
    /// A sentence saying what was seen.
    pub reason_text: String,
    /// Every reason that applies, most serious first.
    pub reasons: Vec<Reason>,
    /// Requester (or the device concerned).
    pub client: Party,
    /// Responder (absent for device findings without a peer).
    pub server: Option<Party>,
    /// Protocol.
    pub protocol: ProtoName,
    /// First seen.
    #[serde(serialize_with = "ser_ts")]
    pub first_seen: Timestamp,
    /// Last seen.
    #[serde(serialize_with = "ser_ts")]
    pub last_seen: Timestamp,
    /// Flow records.
    pub flows: u64,
    /// Transactions (or DNS queries / DHCP answers for device findings).
    pub events: u64,
    /// Packets both ways.
    pub pkts: u64,
    /// Bytes both ways.
    pub bytes: u64,
    /// Public names resolved, for `public_dns_name`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
}

/// A device where the gap is breached, with its number of findings.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConvergencePoint {
    /// Device id.
    pub device: DeviceId,
    /// Its address.
    pub ip: Option<IpAddr>,
    /// Its name.
    pub name: Option<String>,
    /// Findings involving it.
    pub crossings: usize,
}

/// The air-gap report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AirgapReport {
    /// Always [`AIRGAP_SCHEMA`].
    pub schema: &'static str,
    /// True when there is no finding.
    pub holds: bool,
    /// One line: `air gap holds: ...` or `air gap breached: ...`.
    pub verdict: String,
    /// Where the zones came from.
    pub zones_source: ZonesSource,
    /// A note on the zones (says when they were inferred).
    pub zones_note: String,
    /// Observed traffic span in seconds.
    pub span_secs: f64,
    /// Findings.
    pub crossings: Vec<Crossing>,
    /// Findings beyond [`MAX_CROSSINGS`].
    pub truncated: u64,
    /// Devices where the gap is breached, most findings first.
    pub convergence_points: Vec<ConvergencePoint>,
}

/// True for remote-access protocols, by dissector name or well-known port.
pub fn is_remote_access(p: ProtoName) -> bool {
    match p {
        ProtoName::Named(n) => matches!(
            n,
            "rdp" | "vnc" | "ssh" | "teamviewer" | "anydesk" | "telnet"
        ),
        // RDP 3389, VNC 5900-5903, SSH 22, telnet 23, TeamViewer 5938, AnyDesk 7070/6568.
        ProtoName::Tcp(port) => matches!(port, 22 | 23 | 3389 | 5900..=5903 | 5938 | 6568 | 7070),
        ProtoName::Udp(port) => matches!(port, 3389 | 5938),
        ProtoName::Other(_) => false,
    }
}

struct Ctx<'a> {
    inv: &'a Inventory,
    zones: &'a Zones,
}

impl Ctx<'_> {
    fn party(&self, d: DeviceId, ip: Option<IpAddr>) -> Party {
        let dev = self.inv.device(d);
        let ip = ip.or(dev.and_then(|x| x.ip));
        let zone_id = ip.and_then(|ip| self.zones.zone_of(ip));
        Party {
            device: d,
            ip,
            name: dev.and_then(|x| x.name.clone()),
            role: dev.map_or("unknown", |x| x.role.as_str()),
            zone: zone_id.and_then(|z| self.zones.name(z)).map(str::to_string),
            side: ip.map_or(ZoneSide::Unknown, |ip| self.zones.side_of(ip)),
        }
    }
}

fn label(p: &Party) -> String {
    let ip =
        p.ip.map_or_else(|| format!("device {}", p.device), |ip| ip.to_string());
    match &p.name {
        Some(n) => format!("{ip} ({n})"),
        None => ip,
    }
}

fn connection_reasons(
    ctx: &Ctx<'_>,
    c: &Connection,
    p: ProtoName,
    cl: &Party,
    sv: &Party,
) -> Vec<Reason> {
    let mut r = Vec::new();
    let zones = ctx.zones;
    let zid = |ip: Option<IpAddr>| ip.and_then(|ip| zones.zone_of(ip));
    let (cz, sz) = (zid(c.client_ip), zid(c.server_ip));
    let allowed = match (cz, sz) {
        (Some(a), Some(b)) => a == b || zones.allowed(a, b),
        _ => false,
    };
    let sides = (cl.side, sv.side);
    if !allowed {
        if matches!(
            sides,
            (ZoneSide::Ot, ZoneSide::It) | (ZoneSide::It, ZoneSide::Ot)
        ) {
            r.push(Reason::OtItCrossing);
        }
        if matches!(
            sides,
            (ZoneSide::Ot, ZoneSide::External) | (ZoneSide::External, ZoneSide::Ot)
        ) {
            r.push(Reason::PublicAddress);
        }
        if sv.side == ZoneSide::Ot && cl.side != ZoneSide::Ot && is_remote_access(p) {
            r.push(Reason::RemoteAccessIntoOt);
        }
        if zones.has_policy() && cz != sz {
            r.push(Reason::ZonePolicyViolation);
        }
    }
    let dual = |d: DeviceId| ctx.inv.device(d).is_some_and(|x| x.dual_homed);
    if dual(c.client) || dual(c.server) {
        r.push(Reason::DualHomedDevice);
    }
    r
}

fn text_for(
    reason: Reason,
    cl: &Party,
    sv: Option<&Party>,
    p: ProtoName,
    names: &[String],
) -> String {
    let sv_label = sv.map(label).unwrap_or_default();
    let side = |x: &Party| match x.zone.as_deref() {
        Some(z) => format!("{} zone {z}", x.side.as_str().to_uppercase()),
        None => x.side.as_str().to_string(),
    };
    match reason {
        Reason::OtItCrossing => format!(
            "{} in {} talks {p} with {} in {}",
            label(cl),
            side(cl),
            sv_label,
            sv.map(side).unwrap_or_default()
        ),
        Reason::PublicAddress => format!("{} talks {p} with public address {sv_label}", label(cl)),
        Reason::PublicDnsName => format!(
            "OT device {} resolved public name(s): {}",
            label(cl),
            names.join(", ")
        ),
        Reason::RemoteAccessIntoOt => format!(
            "remote access ({p}) from {} into OT device {sv_label}",
            label(cl)
        ),
        Reason::ZonePolicyViolation => format!(
            "zone pair {} -> {} is not allowed by the policy ({p})",
            cl.zone.as_deref().unwrap_or("none"),
            sv.and_then(|s| s.zone.as_deref()).unwrap_or("none")
        ),
        Reason::DualHomedDevice => format!(
            "conversation ({p}) of a device with addresses in two zones: {} -> {sv_label}",
            label(cl)
        ),
        Reason::NewDhcpServer => format!(
            "a further DHCP server {} answers in zone {}",
            label(cl),
            cl.zone.as_deref().unwrap_or("none")
        ),
        Reason::NewDefaultGateway => format!(
            "DHCP announces a further default gateway {} in zone {}",
            label(cl),
            cl.zone.as_deref().unwrap_or("none")
        ),
    }
}

impl AirgapReport {
    /// Builds the report from a classified inventory (call
    /// [`Inventory::classify`] first).
    pub fn build(inv: &Inventory) -> AirgapReport {
        let zones = inv.zones();
        let ctx = Ctx { inv, zones };
        let mut out: Vec<Crossing> = Vec::new();
        let mut truncated = 0u64;
        let mut push = |c: Crossing, out: &mut Vec<Crossing>| {
            if out.len() < MAX_CROSSINGS {
                out.push(c);
            } else {
                truncated += 1;
            }
        };
        for c in inv.connections() {
            let cl = ctx.party(c.client, c.client_ip);
            let sv = ctx.party(c.server, c.server_ip);
            for p in &c.protocols {
                let reasons = connection_reasons(&ctx, c, p.proto, &cl, &sv);
                let Some(&main) = reasons.first() else {
                    continue;
                };
                push(
                    Crossing {
                        reason: main,
                        reason_text: text_for(main, &cl, Some(&sv), p.proto, &[]),
                        reasons,
                        client: cl.clone(),
                        server: Some(sv.clone()),
                        protocol: p.proto,
                        first_seen: p.first_seen,
                        last_seen: p.last_seen,
                        flows: p.flows,
                        events: p.events,
                        pkts: p.pkts[0] + p.pkts[1],
                        bytes: p.bytes[0] + p.bytes[1],
                        names: Vec::new(),
                    },
                    &mut out,
                );
            }
        }
        // Public DNS names resolved by OT devices, one entry per (device, resolver).
        for d in inv.devices() {
            if d.public_names.is_empty() {
                continue;
            }
            let cl = ctx.party(d.id, d.ip);
            if cl.side != ZoneSide::Ot {
                continue;
            }
            let mut by_server: BTreeMap<Option<IpAddr>, Vec<&crate::inventory::PublicName>> =
                BTreeMap::new();
            for n in &d.public_names {
                by_server.entry(n.server).or_default().push(n);
            }
            for (server, names) in by_server {
                let sv = server
                    .and_then(|ip| inv.device_by_ip(ip))
                    .map(|s| ctx.party(s.id, server));
                let list: Vec<String> = names
                    .iter()
                    .take(MAX_NAMES_PER_ENTRY)
                    .map(|n| n.name.clone())
                    .collect();
                let proto = ProtoName::Named("dns");
                push(
                    Crossing {
                        reason: Reason::PublicDnsName,
                        reason_text: text_for(
                            Reason::PublicDnsName,
                            &cl,
                            sv.as_ref(),
                            proto,
                            &list,
                        ),
                        reasons: vec![Reason::PublicDnsName],
                        client: cl.clone(),
                        server: sv,
                        protocol: proto,
                        first_seen: names.iter().map(|n| n.first).min().unwrap_or_default(),
                        last_seen: names.iter().map(|n| n.last).max().unwrap_or_default(),
                        flows: 0,
                        events: names.iter().map(|n| n.count).sum(),
                        pkts: 0,
                        bytes: 0,
                        names: list,
                    },
                    &mut out,
                );
            }
        }
        // Further DHCP servers and gateways per zone (the first seen is the incumbent).
        for (sightings, reason) in [
            (inv.dhcp_servers(), Reason::NewDhcpServer),
            (inv.gateways(), Reason::NewDefaultGateway),
        ] {
            let mut seen_zone: HashMap<Option<usize>, ()> = HashMap::new();
            for s in sightings {
                let z = zones.zone_of(s.ip);
                if seen_zone.insert(z, ()).is_none() {
                    continue;
                }
                let Some(dev) = inv
                    .device_by_ip(s.ip)
                    .or_else(|| s.mac.and_then(|m| inv.device_by_mac(m)))
                else {
                    continue;
                };
                let cl = ctx.party(dev.id, Some(s.ip));
                let proto = ProtoName::Named("dhcp");
                push(
                    Crossing {
                        reason,
                        reason_text: text_for(reason, &cl, None, proto, &[]),
                        reasons: vec![reason],
                        client: cl,
                        server: None,
                        protocol: proto,
                        first_seen: s.first,
                        last_seen: s.last,
                        flows: 0,
                        events: s.count,
                        pkts: 0,
                        bytes: 0,
                        names: Vec::new(),
                    },
                    &mut out,
                );
            }
        }
        out.sort_by_key(|a| (a.reason, a.first_seen));
        let points = convergence_points(inv, &out);
        let span_secs = inv
            .time_span()
            .map_or(0.0, |(f, l)| l.since(f).max(0) as f64 / 1e9);
        let holds = out.is_empty() && truncated == 0;
        let verdict = verdict(holds, out.len() as u64 + truncated, span_secs, &points);
        let zones_note = match zones.source {
            ZonesSource::File => format!("{} zone(s) from zones.toml", zones.zones.len()),
            ZonesSource::Inferred => format!(
                "zones inferred from subnets and device roles (no zones.toml): {}",
                zones
                    .zones
                    .iter()
                    .map(|z| format!("{} {}", z.name, z.level.as_str()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        AirgapReport {
            schema: AIRGAP_SCHEMA,
            holds,
            verdict,
            zones_source: zones.source,
            zones_note,
            span_secs,
            crossings: out,
            truncated,
            convergence_points: points,
        }
    }

    /// The JSON rendering (pretty-printed).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| format!("{{\"error\":{:?}}}", e.to_string()))
    }

    /// The human rendering: verdict line, zones note, then one block per finding.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        s.push_str(&self.verdict);
        s.push('\n');
        s.push_str(&self.zones_note);
        s.push('\n');
        for (i, c) in self.crossings.iter().enumerate() {
            let reasons: Vec<&str> = c.reasons.iter().map(|r| r.as_str()).collect();
            s.push_str(&format!(
                "{:>4}. [{}] {}\n      {} .. {}  flows {}  events {}  pkts {}  bytes {}\n",
                i + 1,
                reasons.join(","),
                c.reason_text,
                c.first_seen.to_rfc3339(),
                c.last_seen.to_rfc3339(),
                c.flows,
                c.events,
                c.pkts,
                c.bytes
            ));
        }
        if self.truncated > 0 {
            s.push_str(&format!(
                "  ... and {} more (cap {MAX_CROSSINGS})\n",
                self.truncated
            ));
        }
        s
    }
}

/// The OT-side device of each finding (or both parties when neither is OT).
fn convergence_points(inv: &Inventory, out: &[Crossing]) -> Vec<ConvergencePoint> {
    let mut count: BTreeMap<DeviceId, usize> = BTreeMap::new();
    for c in out {
        let dual = |d: DeviceId| inv.device(d).is_some_and(|x: &Device| x.dual_homed);
        let mut pts: Vec<DeviceId> = Vec::new();
        let parties = std::iter::once(&c.client).chain(c.server.as_ref());
        for p in parties {
            if p.side == ZoneSide::Ot || dual(p.device) {
                pts.push(p.device);
            }
        }
        if pts.is_empty() {
            pts.push(c.client.device);
        }
        pts.dedup();
        for d in pts {
            *count.entry(d).or_default() += 1;
        }
    }
    let mut v: Vec<ConvergencePoint> = count
        .into_iter()
        .map(|(d, n)| {
            let dev = inv.device(d);
            ConvergencePoint {
                device: d,
                ip: dev.and_then(|x| x.ip),
                name: dev.and_then(|x| x.name.clone()),
                crossings: n,
            }
        })
        .collect();
    v.sort_by(|a, b| b.crossings.cmp(&a.crossings).then(a.device.cmp(&b.device)));
    v
}

fn duration(secs: f64) -> String {
    if secs >= 86_400.0 {
        format!("{:.1} days", secs / 86_400.0)
    } else if secs >= 3600.0 {
        format!("{:.1} hours", secs / 3600.0)
    } else {
        format!("{secs:.0} seconds")
    }
}

fn verdict(holds: bool, n: u64, span: f64, points: &[ConvergencePoint]) -> String {
    if holds {
        return format!(
            "air gap holds: no crossings in {} of traffic",
            duration(span)
        );
    }
    let names: Vec<String> = points
        .iter()
        .take(MAX_VERDICT_POINTS)
        .map(|p| {
            let ip =
                p.ip.map_or_else(|| format!("device {}", p.device), |i| i.to_string());
            match &p.name {
                Some(n) => format!("{ip} ({n})"),
                None => ip,
            }
        })
        .collect();
    let more = points.len().saturating_sub(MAX_VERDICT_POINTS);
    let tail = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    format!(
        "air gap breached: {n} crossing{} in {} of traffic; convergence points: {}{tail}",
        if n == 1 { "" } else { "s" },
        duration(span),
        names.join(", ")
    )
}

#[cfg(test)]
#[path = "airgap_tests.rs"]
mod tests;
