//! Role inference from behaviour.
//!
//! Each device gets one role with a confidence (0..1) and human-readable reasons.
//! Rules, first match wins:
//! 1. `router`: the resolver found it forwarding for other subnets, or LLDP says so.
//! 2. Industrial servers (it answers industrial requests or publishes):
//!    `ied` for GOOSE/SV publishers and MMS/IEC 61850 servers; `opc_server` for
//!    OPC UA servers; `rtu` when most answers are DNP3 outstation or IEC 60870-5-104
//!    controlled-station traffic; `plc` otherwise (Modbus, S7, EtherNet/IP, BACnet,
//!    PROFINET ...).
//! 3. Industrial clients: `engineering_workstation` when it issues program or
//!    control operations, or works office hours only (captures of 20 h or more);
//!    `historian` when it only reads on long cycles (10 s or more) or only reads
//!    OPC UA; `hmi` otherwise (polls, reads mostly, short cycles).
//! 4. `switch`: announces LLDP/CDP with the bridge capability (or no capabilities)
//!    and does nothing industrial.
//! 5. `dns_server` / `ntp_server` / `dhcp_server`: answers that service (the one
//!    with most answers).
//! 6. `it_host`: speaks IT protocols only.
//! 7. `unknown`.
//!
//! The confidence grows with the amount of evidence: a rule's base confidence
//! scaled by `0.5 + 0.5 (1 - e^(-n/10))` for `n` supporting transactions or flows.

use super::is_industrial;
use super::resolve::{Connection, Device, DeviceKind, ProtoSummary};
use otwatch_core::OpClass;
use serde::{Serialize, Serializer};
use std::collections::HashSet;

/// A device role. The names are the simulator's ground-truth names.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Programmable logic controller.
    Plc,
    /// Remote terminal unit.
    Rtu,
    /// Intelligent electronic device (protection relay).
    Ied,
    /// Human-machine interface / SCADA server.
    Hmi,
    /// Process historian.
    Historian,
    /// Engineering workstation.
    EngineeringWorkstation,
    /// OPC (UA) server.
    OpcServer,
    /// IT host.
    ItHost,
    /// Router or firewall.
    Router,
    /// Switch.
    Switch,
    /// DNS server.
    DnsServer,
    /// NTP server.
    NtpServer,
    /// DHCP server.
    DhcpServer,
    /// Not enough evidence.
    Unknown,
}

impl Role {
    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Plc => "plc",
            Role::Rtu => "rtu",
            Role::Ied => "ied",
            Role::Hmi => "hmi",
            Role::Historian => "historian",
            Role::EngineeringWorkstation => "engineering_workstation",
            Role::OpcServer => "opc_server",
            Role::ItHost => "it_host",
            Role::Router => "router",
            Role::Switch => "switch",
            Role::DnsServer => "dns_server",
            Role::NtpServer => "ntp_server",
            Role::DhcpServer => "dhcp_server",
            Role::Unknown => "unknown",
        }
    }
    /// True for the OT roles (controllers and supervisory hosts).
    pub fn is_ot(self) -> bool {
        matches!(
            self,
            Role::Plc
                | Role::Rtu
                | Role::Ied
                | Role::Hmi
                | Role::Historian
                | Role::EngineeringWorkstation
                | Role::OpcServer
        )
    }
}

impl Serialize for Role {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A role with its confidence and reasons.
#[derive(Clone, Debug, PartialEq)]
pub struct RoleGuess {
    /// The role.
    pub role: Role,
    /// 0..1.
    pub confidence: f32,
    /// Human-readable reasons.
    pub reasons: Vec<String>,
}

fn conf(base: f32, n: u64) -> f32 {
    let f = 1.0 - (-(n as f32) / 10.0).exp();
    (base * (0.5 + 0.5 * f)).clamp(0.05, 0.99)
}

fn guess(role: Role, base: f32, n: u64, reasons: Vec<String>) -> RoleGuess {
    RoleGuess {
        role,
        confidence: conf(base, n),
        reasons,
    }
}

fn name_of(p: &ProtoSummary) -> Option<&'static str> {
    p.proto.named()
}

const IED_PROTOS: &[&str] = &["goose", "sv", "mms", "iec61850"];
const RTU_PROTOS: &[&str] = &["dnp3", "iec104"];

/// Infers the role of `d`. `client_conns` are the connections it initiated;
/// `span_secs` is the capture's duration; `router` the resolver's reason when it
/// found `d` forwarding.
pub fn infer(
    d: &Device,
    client_conns: &[&Connection],
    span_secs: f64,
    router: Option<&String>,
) -> RoleGuess {
    if !d.confirmed {
        return guess(
            Role::Unknown,
            0.1,
            0,
            vec!["never answered: only seen as a target".into()],
        );
    }
    if d.kind == DeviceKind::Router
        && let Some(r) = router
    {
        let base = if r.contains("LLDP") { 0.95 } else { 0.8 };
        return guess(Role::Router, base, 10, vec![r.clone()]);
    }
    // Industrial server side.
    let srv: Vec<&ProtoSummary> = d
        .protocols_server
        .iter()
        .filter(|p| name_of(p).is_some_and(is_industrial) && p.answered > 0)
        .collect();
    let srv_n: u64 = srv.iter().map(|p| p.answered).sum();
    let family_n = |set: &[&str]| -> u64 {
        srv.iter()
            .filter(|p| name_of(p).is_some_and(|n| set.contains(&n)))
            .map(|p| p.answered)
            .sum()
    };
    // Industrial client side.
    let cli: Vec<&ProtoSummary> = d
        .protocols_client
        .iter()
        .filter(|p| name_of(p).is_some_and(is_industrial) && (p.events > 0 || p.flows > 0))
        .collect();
    let cli_n: u64 = cli.iter().map(|p| p.events.max(p.flows)).sum();
    if srv_n > 0 && srv_n.saturating_mul(10) >= cli_n {
        let names = proto_list(&srv);
        let ied = family_n(IED_PROTOS);
        let rtu = family_n(RTU_PROTOS);
        let opc = family_n(&["opcua"]);
        if ied > 0 {
            return guess(
                Role::Ied,
                0.9,
                ied,
                vec![format!(
                    "publishes or serves IEC 61850 ({names}): {ied} messages"
                )],
            );
        }
        if opc > 0 {
            return guess(
                Role::OpcServer,
                0.9,
                opc,
                vec![format!("answers OPC UA requests ({opc} answers)")],
            );
        }
        let mut reasons = vec![format!(
            "answers industrial requests ({names}): {srv_n} answers"
        )];
        let peers = d.protocols_server.len();
        if rtu * 2 > srv_n {
            reasons.push("mostly as a DNP3 outstation / IEC 104 controlled station".into());
            return guess(Role::Rtu, 0.85, rtu, reasons);
        }
        let _ = peers;
        return guess(Role::Plc, 0.85, srv_n, reasons);
    }
    if cli_n > 0 {
        return client_role(d, &cli, client_conns, span_secs);
    }
    // Switch.
    if let Some((n, router_cap, bridge, known)) = d.lldp {
        if router_cap {
            return guess(
                Role::Router,
                0.8,
                n,
                vec!["announces the router capability over LLDP/CDP".into()],
            );
        }
        if bridge || !known {
            let why = if bridge {
                "announces the bridge capability over LLDP/CDP"
            } else {
                "sends LLDP/CDP and does nothing industrial"
            };
            return guess(
                Role::Switch,
                if bridge { 0.85 } else { 0.5 },
                n,
                vec![why.into()],
            );
        }
    }
    // Network services.
    let svc = |name: &str| -> u64 {
        d.protocols_server
            .iter()
            .filter(|p| name_of(p) == Some(name))
            .map(|p| p.answered)
            .sum()
    };
    let services = [
        (Role::DnsServer, svc("dns"), "answers DNS queries"),
        (Role::NtpServer, svc("ntp"), "answers or broadcasts NTP"),
        (Role::DhcpServer, svc("dhcp"), "answers DHCP requests"),
    ];
    if let Some(&(role, n, why)) = services.iter().filter(|s| s.1 > 0).max_by_key(|s| s.1) {
        return guess(role, 0.85, n, vec![format!("{why} ({n} answers)")]);
    }
    // IT host.
    let it: Vec<&ProtoSummary> = d
        .protocols_client
        .iter()
        .chain(&d.protocols_server)
        .filter(|p| p.events > 0 || p.flows > 0)
        .collect();
    if !it.is_empty() {
        let n: u64 = it.iter().map(|p| p.events.max(p.flows)).sum();
        return guess(
            Role::ItHost,
            0.7,
            n,
            vec![format!("speaks only IT protocols ({})", proto_list(&it))],
        );
    }
    guess(
        Role::Unknown,
        0.2,
        0,
        vec!["no protocol behaviour observed".into()],
    )
}

fn client_role(
    d: &Device,
    cli: &[&ProtoSummary],
    client_conns: &[&Connection],
    span_secs: f64,
) -> RoleGuess {
    let mut ops = super::host::OpCounts::default();
    for p in cli {
        ops.merge(&p.ops);
    }
    let total = ops.total().max(1);
    let prog = u64::from(ops.get(OpClass::Program)) + u64::from(ops.get(OpClass::Control));
    let writes = u64::from(ops.get(OpClass::Write));
    let reads = u64::from(ops.get(OpClass::Read));
    let n = cli.iter().map(|p| p.events.max(p.flows)).sum::<u64>();
    // Industrial peers polled and their cycles.
    let mut peers = HashSet::new();
    let mut cycles: Vec<f64> = Vec::new();
    for c in client_conns {
        for p in &c.protocols {
            if p.proto.named().is_some_and(is_industrial) {
                peers.insert(c.server);
                if let Some(cy) = p.cycle_secs {
                    cycles.push(cy);
                }
            }
        }
    }
    cycles.sort_by(f64::total_cmp);
    let median_cycle = cycles.get(cycles.len() / 2).copied();
    let names = proto_list(cli);
    let polls = format!("polls {} controller(s) over {names}", peers.len());
    // Office hours: only meaningful when the capture spans most of a day.
    let hours_total: u64 = d.hours.iter().map(|&x| u64::from(x)).sum();
    let active_hours = d.hours.iter().filter(|&&x| x > 0).count();
    let daytime: u64 = d.hours[6..20].iter().map(|&x| u64::from(x)).sum();
    let office = span_secs >= 20.0 * 3600.0
        && hours_total > 0
        && active_hours <= 14
        && daytime * 100 >= hours_total * 85;
    if prog > 0 {
        let mut r = vec![format!(
            "issued {prog} program/control operation(s) over {names}"
        )];
        if office {
            r.push(format!(
                "active only during office hours ({active_hours} of 24 hours)"
            ));
        }
        return guess(
            Role::EngineeringWorkstation,
            if office { 0.9 } else { 0.8 },
            prog * 5,
            r,
        );
    }
    if office {
        return guess(
            Role::EngineeringWorkstation,
            0.75,
            n,
            vec![
                format!(
                    "active only during office hours ({active_hours} of 24 hours active, {}% between 06 and 20 UTC)",
                    daytime * 100 / hours_total.max(1)
                ),
                polls,
            ],
        );
    }
    let diag = u64::from(ops.get(OpClass::Diagnostic)) + u64::from(ops.get(OpClass::Discovery));
    if diag * 2 > total && writes == 0 {
        return guess(
            Role::EngineeringWorkstation,
            0.6,
            diag,
            vec![format!(
                "mostly diagnostic/discovery operations ({diag} of {total})"
            )],
        );
    }
    let opc_only = cli.iter().all(|p| p.proto.named() == Some("opcua"));
    if writes == 0 && (median_cycle.is_some_and(|c| c >= 10.0) || opc_only) {
        let mut r = vec![polls, "reads only, never writes".into()];
        if let Some(c) = median_cycle {
            r.push(format!("long polling cycle (median {c:.1} s)"));
        }
        return guess(Role::Historian, 0.8, n, r);
    }
    let mut r = vec![
        polls,
        format!("reads {}% of operations", reads * 100 / total),
    ];
    if let Some(c) = median_cycle {
        r.push(format!("polling cycle median {c:.1} s"));
    }
    let base = if reads * 2 >= total { 0.8 } else { 0.55 };
    guess(Role::Hmi, base, n, r)
}

fn proto_list(ps: &[&ProtoSummary]) -> String {
    let mut names: Vec<String> = ps.iter().map(|p| p.proto.to_string()).collect();
    names.sort();
    names.dedup();
    if names.len() > 6 {
        names.truncate(6);
        names.push("…".into());
    }
    names.join(", ")
}
