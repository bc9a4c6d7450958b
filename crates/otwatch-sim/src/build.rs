//! Assembling a run: the plant of a profile, its tasks, the attack plan, and the
//! ground truth.

use crate::attacks::{AttackKind, AttackTask, Plan};
use crate::bg::{
    ArpTask, BacnetTask, DhcpTask, DnsTask, EwsTask, GooseTask, Iec104Task, ItWebTask,
    ListIdentityTask, LldpTask, NtpTask, same_zone_peers,
};
use crate::engine::{Ctx, Engine, Process, S};
use crate::pcap::PcapWriter;
use crate::plant::{Plant, Role, Z_OT, ip_str, vendor_of};
use crate::poll::{Poll, PollKind, PollSpec};
use crate::rng::Rng;
use crate::truth::{GroundTruth, Label, TruthCrossing, TruthDevice, TruthZone};
use crate::wire::Out;
use crate::{Profile, SimConfig, SimOutput};
use std::io::{self, Write};

/// A polling relationship as the tests and users see it.
#[derive(Clone, Debug, PartialEq)]
pub struct PollingRelationship {
    /// Client address.
    pub client_ip: String,
    /// Server address.
    pub server_ip: String,
    /// Server port.
    pub port: u16,
    /// Transport (`tcp` or `udp`).
    pub transport: &'static str,
    /// Protocol.
    pub proto: &'static str,
    /// Nominal period in seconds.
    pub period_s: f64,
}

/// Everything derived from the config before the run.
struct Setup {
    plant: Plant,
    polls: Vec<PollSpec>,
    bacnet: Vec<(usize, usize, i64)>,
    iec104: Vec<(usize, usize)>,
    talks: Vec<(usize, usize, &'static str)>,
    plan: Plan,
}

fn setup(cfg: &SimConfig) -> Setup {
    let mut plant = Plant::build(cfg.profile);
    let fw = plant.dev("fw01");
    plant.devices[fw].mac = plant.zones[Z_OT].router_mac;
    let d = |p: &Plant, n: &str| p.dev(n);
    let hmi = d(&plant, "hmi01");
    let hist = d(&plant, "hist01");
    let opc = d(&plant, "opcua01");
    let dmz = d(&plant, "hist-dmz01");
    let mut polls = Vec::new();
    let mut sp = |client, server, kind, secs: f64| {
        polls.push(PollSpec {
            client,
            server,
            kind,
            period: (secs * S as f64) as i64,
        })
    };
    let mb1 = d(&plant, "plc-mb01");
    let mb2 = d(&plant, "plc-mb02");
    let s71 = d(&plant, "plc-s7-01");
    let s72 = d(&plant, "plc-s7-02");
    let ab = d(&plant, "plc-ab01");
    let sub = cfg.profile == Profile::Substation;
    sp(hmi, mb1, PollKind::Modbus { qty: 10 }, 1.0);
    sp(hmi, s71, PollKind::S7, 1.0);
    sp(hmi, ab, PollKind::Enip { tag: "Tank_Level" }, 1.0);
    sp(hmi, mb2, PollKind::Modbus { qty: 10 }, 2.0);
    sp(hmi, s72, PollKind::S7, 2.0);
    sp(hist, mb1, PollKind::Modbus { qty: 20 }, 10.0);
    sp(hist, s71, PollKind::S7, 10.0);
    sp(hist, ab, PollKind::Enip { tag: "Flow_Rate" }, 10.0);
    sp(hist, opc, PollKind::OpcUa, 5.0);
    sp(dmz, opc, PollKind::OpcUa, 10.0);
    for r in plant.with_role(Role::Rtu) {
        if matches!(plant.devices[r].model, crate::plant::Model::Dnp3 { .. }) {
            sp(
                hmi,
                r,
                PollKind::Dnp3 {
                    integrity_every: 150,
                },
                if sub { 1.0 } else { 2.0 },
            );
        }
    }
    let iec104: Vec<(usize, usize)> = plant
        .with_role(Role::Rtu)
        .into_iter()
        .filter(|&r| matches!(plant.devices[r].model, crate::plant::Model::Iec104 { .. }))
        .map(|r| (hmi, r))
        .collect();
    let bacnet: Vec<(usize, usize, i64)> = plant
        .with_role(Role::Bms)
        .into_iter()
        .map(|b| (hmi, b, 5 * S))
        .collect();
    let mut talks: Vec<(usize, usize, &'static str)> = Vec::new();
    for p in &polls {
        let proto = match p.kind {
            PollKind::Modbus { .. } => "modbus",
            PollKind::S7 => "s7comm",
            PollKind::Enip { .. } => "enip",
            PollKind::Dnp3 { .. } => "dnp3",
            PollKind::OpcUa => "opcua",
        };
        talks.push((p.client, p.server, proto));
    }
    for &(c, s) in &iec104 {
        talks.push((c, s, "iec104"));
    }
    for &(c, s, _) in &bacnet {
        talks.push((c, s, "bacnet"));
    }
    let ews = d(&plant, "ews01");
    let infra = d(&plant, "infra01");
    let dc = d(&plant, "dc-it01");
    talks.push((ews, mb1, "modbus"));
    talks.push((ews, s71, "s7comm"));
    talks.push((ews, ab, "enip"));
    for c in [hmi, hist, ews] {
        talks.push((c, infra, "dns"));
    }
    for c in ntp_clients(&plant) {
        let server = if plant.devices[c].zone == crate::plant::Z_IT {
            dc
        } else {
            infra
        };
        talks.push((c, server, "ntp"));
    }
    for c in plant.with_role(Role::ItHost) {
        talks.push((c, dc, "dns"));
        talks.push((c, dc, "dhcp"));
        talks.push((c, dmz, "http"));
    }
    for &(c, s, p) in &talks {
        plant.uses(c, p);
        plant.uses(s, p);
    }
    for r in plant.with_role(Role::Ied) {
        plant.uses(r, "goose");
    }
    let sw = d(&plant, "sw-ot01");
    plant.uses(sw, "lldp");
    for i in 0..plant.devices.len() {
        if plant.devices[i].ip != [0; 4] && plant.devices[i].role != Role::Attacker {
            plant.uses(i, "arp");
        }
    }
    let end = cfg.end().0;
    let plan = Plan::new(
        &plant,
        &cfg.attacks,
        cfg.seed,
        cfg.detection_start().0,
        end,
        cfg.attack_spacing,
    );
    let attacker = plan.attacker;
    for w in &plan.windows {
        let protos: &[&'static str] = match w.kind {
            AttackKind::NewDeviceScan => &["arp", "dhcp", "tcp_scan"],
            AttackKind::FunctionCodeSweep => &["modbus"],
            AttackKind::PlcStop => &["s7comm"],
            AttackKind::Dnp3ColdRestart => &["dnp3"],
            AttackKind::ArpSpoof => &["arp"],
            _ => &[],
        };
        for p in protos {
            plant.uses(attacker, p);
        }
    }
    Setup {
        plant,
        polls,
        bacnet,
        iec104,
        talks,
        plan,
    }
}

fn ntp_clients(plant: &Plant) -> Vec<usize> {
    let names = [
        "hmi01",
        "hist01",
        "ews01",
        "opcua01",
        "plc-s7-02",
        "it-ws07",
        "it-ws12",
    ];
    let mut v: Vec<usize> = names.iter().map(|n| plant.dev(n)).collect();
    v.extend(plant.with_role(Role::Rtu));
    v
}

/// The polling relationships of a config (nominal periods; a test hook).
pub fn polling_relationships(cfg: &SimConfig) -> Vec<PollingRelationship> {
    let s = setup(cfg);
    let ip = |d: usize| ip_str(s.plant.devices[d].ip);
    let mut v: Vec<PollingRelationship> = s
        .polls
        .iter()
        .map(|p| {
            let (port, proto) = match p.kind {
                PollKind::Modbus { .. } => (502, "modbus"),
                PollKind::S7 => (102, "s7comm"),
                PollKind::Enip { .. } => (44818, "enip"),
                PollKind::Dnp3 { .. } => (20000, "dnp3"),
                PollKind::OpcUa => (4840, "opcua"),
            };
            PollingRelationship {
                client_ip: ip(p.client),
                server_ip: ip(p.server),
                port,
                transport: "tcp",
                proto,
                period_s: p.period as f64 / S as f64,
            }
        })
        .collect();
    for &(c, sv, period) in &s.bacnet {
        v.push(PollingRelationship {
            client_ip: ip(c),
            server_ip: ip(sv),
            port: 47808,
            transport: "udp",
            proto: "bacnet",
            period_s: period as f64 / S as f64,
        });
    }
    v
}

/// The labels a config will produce (without simulating).
pub fn labels(cfg: &SimConfig) -> Vec<Label> {
    let s = setup(cfg);
    s.plan.labels(&s.plant)
}

/// The ground truth of a config (without simulating).
pub fn ground_truth(cfg: &SimConfig) -> GroundTruth {
    let s = setup(cfg);
    truth_of(&s)
}

fn truth_of(s: &Setup) -> GroundTruth {
    let plant = &s.plant;
    let attacker_used = s.plan.uses_attacker();
    let devices = plant
        .devices
        .iter()
        .filter(|d| d.role != Role::Attacker || attacker_used)
        .map(|d| {
            let mut protocols: Vec<String> = d.protocols.iter().map(|p| p.to_string()).collect();
            protocols.sort();
            TruthDevice {
                name: d.name.to_string(),
                ip: (d.ip != [0; 4]).then(|| ip_str(d.ip)),
                mac: d.mac,
                vendor: vendor_of(d.mac),
                role: d.role.name().to_string(),
                zone: plant.zones[d.zone].name.to_string(),
                protocols,
                extra_macs: if d.role == Role::Router {
                    plant.zones.iter().skip(1).map(|z| z.router_mac).collect()
                } else {
                    Vec::new()
                },
            }
        })
        .collect();
    let zones = plant
        .zones
        .iter()
        .map(|z| TruthZone {
            name: z.name.to_string(),
            cidr: format!("{}/{}", ip_str(z.net), z.prefix),
            level: z.level.to_string(),
        })
        .collect();
    let mut crossings = Vec::new();
    for &(c, sv, proto) in &s.talks {
        let (a, b) = (&plant.devices[c], &plant.devices[sv]);
        if a.zone != b.zone {
            let cross = TruthCrossing {
                src_ip: ip_str(a.ip),
                dst_ip: ip_str(b.ip),
                proto: proto.to_string(),
                reason: format!(
                    "{} {} -> {} {} ({proto}, normal operation)",
                    plant.zones[a.zone].name, a.name, plant.zones[b.zone].name, b.name
                ),
                attack_id: None,
            };
            if !crossings.contains(&cross) {
                crossings.push(cross);
            }
        }
    }
    for l in s.plan.labels(plant) {
        let crossing = matches!(
            l.kind.as_str(),
            "it_to_ot_smb" | "it_to_ot_rdp" | "ot_internet" | "slow_exfiltration"
        );
        if crossing {
            let proto = match l.kind.as_str() {
                "it_to_ot_smb" => "smb",
                "it_to_ot_rdp" => "rdp",
                _ => "http",
            };
            crossings.push(TruthCrossing {
                src_ip: l.src_ip.clone(),
                dst_ip: l.dst_ip.clone(),
                proto: proto.to_string(),
                reason: l.description.clone(),
                attack_id: Some(l.attack_id.clone()),
            });
        }
    }
    GroundTruth {
        devices,
        zones,
        crossings,
    }
}

/// Simulates the plant of `cfg`, writing a pcap to `out`.
pub fn simulate<W: Write>(cfg: &SimConfig, out: W) -> io::Result<SimOutput> {
    let s = setup(cfg);
    let truth = truth_of(&s);
    let labels = s.plan.labels(&s.plant);
    let start = cfg.start.0;
    let end = cfg.end().0;
    let seed = cfg.seed;
    let n = s.plant.devices.len();
    let mut prng = Rng::new(seed, 0x504f_5254);
    let ctx = Ctx {
        out: Out::new(PcapWriter::new(out)?, cfg.end()),
        procs: (0..n).map(|i| Process::new(seed, i as u64)).collect(),
        plan: s.plan.clone(),
        req: Vec::with_capacity(2048),
        resp: Vec::with_capacity(2048),
        tmp: Vec::with_capacity(2048),
        start,
        end,
        ports: (0..n).map(|_| prng.u32() as u16).collect(),
        fw_changed_at: None,
        plant: s.plant.clone(),
    };
    let mut eng = Engine::new(ctx);
    let mut trng = Rng::new(seed, 0x5354_4152);
    let mut at = |lo: f64, hi: f64| start + (trng.uniform(lo, hi) * S as f64) as i64;
    for (i, p) in s.polls.iter().enumerate() {
        eng.add(at(0.0, 2.0), Box::new(Poll::new(p.clone(), seed, i as u64)));
    }
    for &(c, sv) in &s.iec104 {
        eng.add(at(0.0, 3.0), Box::new(Iec104Task::new(c, sv, seed)));
    }
    for &(c, sv, period) in &s.bacnet {
        eng.add(at(0.0, 5.0), Box::new(BacnetTask::new(c, sv, period, seed)));
    }
    let plant = &s.plant;
    for r in plant.with_role(Role::Ied) {
        eng.add(at(0.0, 2.0), Box::new(GooseTask::new(r, seed, start)));
    }
    let ews = plant.dev("ews01");
    let ab = plant.dev("plc-ab01");
    let infra = plant.dev("infra01");
    let dc = plant.dev("dc-it01");
    let dmz = plant.dev("hist-dmz01");
    eng.add(
        at(10.0, 900.0),
        Box::new(ListIdentityTask::new(ews, ab, seed)),
    );
    eng.add(at(60.0, 1800.0), Box::new(EwsTask::new(ews, seed)));
    let sw = plant.dev("sw-ot01");
    eng.add(at(0.0, 30.0), Box::new(LldpTask::new(sw)));
    let local = |names: &[&'static str]| -> Vec<(&'static str, [u8; 4])> {
        names
            .iter()
            .map(|n| {
                let host = n.trim_end_matches(".plant.local");
                (*n, plant.devices[plant.dev(host)].ip)
            })
            .collect()
    };
    for (c, names) in [
        (
            "hmi01",
            local(&[
                "hist01.plant.local",
                "opcua01.plant.local",
                "infra01.plant.local",
            ]),
        ),
        (
            "hist01",
            local(&["opcua01.plant.local", "hmi01.plant.local"]),
        ),
        (
            "ews01",
            local(&[
                "plc-s7-01.plant.local",
                "plc-mb01.plant.local",
                "hmi01.plant.local",
            ]),
        ),
    ] {
        let dev = plant.dev(c);
        eng.add(
            at(0.0, 1800.0),
            Box::new(DnsTask::new(dev, infra, names, 1800.0, seed)),
        );
    }
    for c in plant.with_role(Role::ItHost) {
        let names = local(&["hist-dmz01.plant.local", "dc-it01.plant.local"]);
        eng.add(
            at(0.0, 900.0),
            Box::new(DnsTask::new(c, dc, names, 900.0, seed)),
        );
        eng.add(
            at(7.5 * 3600.0, 7.8 * 3600.0),
            Box::new(DhcpTask::new(c, dc, seed)),
        );
        eng.add(at(0.0, 900.0), Box::new(ItWebTask::new(c, dmz, seed)));
    }
    for c in ntp_clients(plant) {
        let server = if plant.devices[c].zone == crate::plant::Z_IT {
            dc
        } else {
            infra
        };
        eng.add(at(0.0, 1024.0), Box::new(NtpTask::new(c, server, seed)));
    }
    let pairs: Vec<(usize, usize)> = s.talks.iter().map(|&(a, b, _)| (a, b)).collect();
    for i in 0..plant.devices.len() {
        let d = &plant.devices[i];
        if d.ip == [0; 4] || matches!(d.role, Role::Router | Role::Attacker) {
            continue;
        }
        let peers = same_zone_peers(plant, i, &pairs);
        eng.add(at(0.0, 1200.0), Box::new(ArpTask::new(i, peers, seed)));
    }
    for (i, w) in s.plan.windows.iter().enumerate() {
        eng.add(
            w.start,
            Box::new(AttackTask::new(w.clone(), seed, i as u64)),
        );
    }
    let ctx = eng.run()?;
    let pcap = ctx.out.finish()?;
    let packets = pcap.packets();
    let bytes = pcap.bytes();
    pcap.finish()?;
    Ok(SimOutput {
        packets,
        bytes,
        labels,
        truth,
    })
}
