//! Attack kinds, their plan on the detection day, labels, and the scripts that put
//! them on the wire.

use crate::bg::{arp_pair, dhcp_dora_probe, dns_lookup, http_once, list_identity, send_arp};
use crate::engine::{Ctx, MS, S, Task};
use crate::plant::{PUBLIC_EXFIL_IP, PUBLIC_UPDATE_IP, Plant, Role, ip_str};
use crate::proto::{modbus, smb};
use crate::rng::Rng;
use crate::session::{self, S7Op};
use crate::tcp::Dir;
use crate::truth::Label;
use crate::wire::flags;
use otwatch_core::{Mac, Timestamp};
use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;

/// The attack kinds the simulator can inject.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AttackKind {
    /// A new laptop joins (DHCP, ARP) and SYN-scans the OT hosts.
    NewDeviceScan,
    /// Modbus function-code sweep and FC 43/14 device-identification sweep.
    FunctionCodeSweep,
    /// A host that only ever read writes a register.
    UnauthorizedWrite,
    /// The EWS writes 9999 where the normal band is 450–550.
    OutOfRangeSetpoint,
    /// S7 PLC stop.
    PlcStop,
    /// S7 program download (request download, download blocks, download ended).
    ProgramDownload,
    /// CIP reset and a changed revision in ListIdentity.
    FirmwareChange,
    /// DNP3 cold restart.
    Dnp3ColdRestart,
    /// ARP spoofing of a PLC's address, man in the middle.
    ArpSpoof,
    /// A polling relationship stops for 30 minutes.
    PollingStopped,
    /// A polling relationship runs ten times faster.
    PollingFast,
    /// An IT host writes to the HMI's C$ over SMB.
    ItToOtSmb,
    /// An IT host opens RDP to the EWS.
    ItToOtRdp,
    /// An OT host resolves a public name and connects to a public address.
    OtInternet,
    /// Engineering activity at 03:00.
    OffHoursEngineering,
    /// Replayed GOOSE frames with an old stNum.
    GooseReplay,
    /// The historian sends data out in small chunks over hours.
    SlowExfiltration,
}

impl AttackKind {
    /// Every kind, in the order of the detection day.
    pub const ALL: [AttackKind; 17] = [
        AttackKind::NewDeviceScan,
        AttackKind::FunctionCodeSweep,
        AttackKind::OffHoursEngineering,
        AttackKind::Dnp3ColdRestart,
        AttackKind::ArpSpoof,
        AttackKind::GooseReplay,
        AttackKind::PollingStopped,
        AttackKind::UnauthorizedWrite,
        AttackKind::OutOfRangeSetpoint,
        AttackKind::PlcStop,
        AttackKind::ProgramDownload,
        AttackKind::FirmwareChange,
        AttackKind::ItToOtSmb,
        AttackKind::ItToOtRdp,
        AttackKind::OtInternet,
        AttackKind::PollingFast,
        AttackKind::SlowExfiltration,
    ];

    /// Stable snake_case name (the `kind` column of the labels).
    pub fn name(self) -> &'static str {
        match self {
            AttackKind::NewDeviceScan => "new_device_scan",
            AttackKind::FunctionCodeSweep => "function_code_sweep",
            AttackKind::UnauthorizedWrite => "unauthorized_write",
            AttackKind::OutOfRangeSetpoint => "out_of_range_setpoint",
            AttackKind::PlcStop => "plc_stop",
            AttackKind::ProgramDownload => "program_download",
            AttackKind::FirmwareChange => "firmware_change",
            AttackKind::Dnp3ColdRestart => "dnp3_cold_restart",
            AttackKind::ArpSpoof => "arp_spoof",
            AttackKind::PollingStopped => "polling_stopped",
            AttackKind::PollingFast => "polling_fast",
            AttackKind::ItToOtSmb => "it_to_ot_smb",
            AttackKind::ItToOtRdp => "it_to_ot_rdp",
            AttackKind::OtInternet => "ot_internet",
            AttackKind::OffHoursEngineering => "off_hours_engineering",
            AttackKind::GooseReplay => "goose_replay",
            AttackKind::SlowExfiltration => "slow_exfiltration",
        }
    }

    /// (UTC start hour on the detection day, planned duration in seconds).
    fn slot(self) -> (i64, i64) {
        match self {
            AttackKind::NewDeviceScan => (1, 900),
            AttackKind::FunctionCodeSweep => (2, 600),
            AttackKind::OffHoursEngineering => (3, 1200),
            AttackKind::Dnp3ColdRestart => (4, 120),
            AttackKind::ArpSpoof => (5, 1800),
            AttackKind::GooseReplay => (6, 300),
            AttackKind::PollingStopped => (7, 1800),
            AttackKind::UnauthorizedWrite => (9, 120),
            AttackKind::OutOfRangeSetpoint => (10, 120),
            AttackKind::PlcStop => (11, 120),
            AttackKind::ProgramDownload => (12, 300),
            AttackKind::FirmwareChange => (13, 300),
            AttackKind::ItToOtSmb => (14, 300),
            AttackKind::ItToOtRdp => (15, 300),
            AttackKind::OtInternet => (16, 300),
            AttackKind::PollingFast => (17, 1200),
            AttackKind::SlowExfiltration => (19, 4 * 3600),
        }
    }
}

impl fmt::Display for AttackKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for AttackKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AttackKind::ALL
            .iter()
            .copied()
            .find(|k| k.name() == s.trim())
            .ok_or_else(|| {
                let names: Vec<&str> = AttackKind::ALL.iter().map(|k| k.name()).collect();
                format!("unknown attack kind {s:?} (known: {})", names.join(", "))
            })
    }
}

/// A set of attack kinds (`all`, `none`, or a comma-separated list).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AttackSet(pub Vec<AttackKind>);

impl AttackSet {
    /// Every kind.
    pub fn all() -> Self {
        AttackSet(AttackKind::ALL.to_vec())
    }
    /// No attack.
    pub fn none() -> Self {
        AttackSet(Vec::new())
    }
    /// Whether `k` is in the set.
    pub fn contains(&self, k: AttackKind) -> bool {
        self.0.contains(&k)
    }
}

impl FromStr for AttackSet {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "all" => Ok(AttackSet::all()),
            "none" | "" => Ok(AttackSet::none()),
            list => {
                let mut v = Vec::new();
                for part in list.split(',') {
                    let k: AttackKind = part.parse()?;
                    if !v.contains(&k) {
                        v.push(k);
                    }
                }
                Ok(AttackSet(v))
            }
        }
    }
}

/// One planned attack.
#[derive(Clone, Debug)]
pub struct Window {
    /// Kind.
    pub kind: AttackKind,
    /// Id (`A01`...).
    pub id: String,
    /// Start (ns).
    pub start: i64,
    /// End (ns).
    pub end: i64,
    /// Source device.
    pub src: usize,
    /// Target devices.
    pub dst: Vec<usize>,
}

/// The attack plan of a run.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// Planned windows.
    pub windows: Vec<Window>,
    /// The attacker laptop's device index.
    pub attacker: usize,
}

impl Plan {
    /// Plans the enabled attacks on the detection day starting at `day` (ns);
    /// only windows that end before `end` are kept.
    /// With `spacing` (seconds), the attacks are packed back to back from the start
    /// of the day instead (a test knob: every kind within a short simulation).
    pub fn new(
        plant: &Plant,
        set: &AttackSet,
        seed: u64,
        day: i64,
        end: i64,
        spacing: Option<i64>,
    ) -> Plan {
        let mut rng = Rng::new(seed, 0x4154_4b00);
        let d = |n: &str| plant.dev(n);
        let attacker = d("laptop-x");
        let mut windows = Vec::new();
        for (i, kind) in AttackKind::ALL.iter().copied().enumerate() {
            let offset = rng.range(60, 900) as i64 * S;
            if !set.contains(kind) {
                continue;
            }
            let (hour, dur) = kind.slot();
            let (start, stop) = match spacing {
                Some(sp) => {
                    let start = day + 60 * S + i as i64 * sp * S;
                    (start, start + dur.min(sp - 20).max(20) * S)
                }
                None => {
                    let start = day + hour * 3600 * S + offset;
                    (start, start + dur * S)
                }
            };
            if stop > end {
                continue;
            }
            let ot: Vec<usize> = plant
                .devices
                .iter()
                .enumerate()
                .filter(|(_, x)| {
                    x.zone == crate::plant::Z_OT
                        && matches!(x.role, Role::Plc | Role::Rtu | Role::Ied | Role::Bms)
                })
                .map(|(i, _)| i)
                .collect();
            let (src, dst) = match kind {
                AttackKind::NewDeviceScan => (attacker, ot),
                AttackKind::FunctionCodeSweep => (attacker, vec![d("plc-mb01"), d("plc-mb02")]),
                AttackKind::UnauthorizedWrite => (d("hist01"), vec![d("plc-mb01")]),
                AttackKind::OutOfRangeSetpoint => (d("ews01"), vec![d("plc-mb01")]),
                AttackKind::PlcStop => (attacker, vec![d("plc-s7-01")]),
                AttackKind::ProgramDownload => (d("ews01"), vec![d("plc-s7-02")]),
                AttackKind::FirmwareChange => (d("ews01"), vec![d("plc-ab01")]),
                AttackKind::Dnp3ColdRestart => (attacker, vec![d("rtu-dnp01")]),
                AttackKind::ArpSpoof => (attacker, vec![d("plc-mb01")]),
                AttackKind::PollingStopped => (d("hmi01"), vec![d("plc-s7-02")]),
                AttackKind::PollingFast => (d("hmi01"), vec![d("plc-mb02")]),
                AttackKind::ItToOtSmb => (d("it-ws12"), vec![d("hmi01")]),
                AttackKind::ItToOtRdp => (d("it-ws12"), vec![d("ews01")]),
                AttackKind::OtInternet => (d("hmi01"), vec![d("infra01"), d("fw01")]),
                AttackKind::OffHoursEngineering => {
                    (d("ews01"), vec![d("plc-s7-01"), d("plc-mb01")])
                }
                AttackKind::GooseReplay => (d("ied-rel01"), vec![d("ied-rel01")]),
                AttackKind::SlowExfiltration => (d("hist01"), vec![d("fw01")]),
            };
            windows.push(Window {
                kind,
                id: format!("A{:02}", i + 1),
                start,
                end: stop,
                src,
                dst,
            });
        }
        Plan { windows, attacker }
    }

    /// The window of `kind` active at `t` from `src` to `dst`.
    pub fn active(&self, kind: AttackKind, t: i64, src: usize, dst: usize) -> Option<&Window> {
        self.windows.iter().find(|w| {
            w.kind == kind && t >= w.start && t <= w.end && w.src == src && w.dst.contains(&dst)
        })
    }

    /// The window of `kind` active at `t` targeting `dst`.
    pub fn active_target(&self, kind: AttackKind, t: i64, dst: usize) -> Option<&Window> {
        self.windows
            .iter()
            .find(|w| w.kind == kind && t >= w.start && t <= w.end && w.dst.contains(&dst))
    }

    /// Whether any planned attack uses the attacker laptop.
    pub fn uses_attacker(&self) -> bool {
        self.windows.iter().any(|w| w.src == self.attacker)
    }

    /// The labels of the plan.
    pub fn labels(&self, plant: &Plant) -> Vec<Label> {
        let mut out = Vec::new();
        for w in &self.windows {
            let src = &plant.devices[w.src];
            let dsts: Vec<String> = match w.kind {
                AttackKind::OtInternet => vec![ip_str(PUBLIC_UPDATE_IP)],
                AttackKind::SlowExfiltration => vec![ip_str(PUBLIC_EXFIL_IP)],
                AttackKind::GooseReplay => vec![String::new()],
                // The spoofer claims the PLC's address and the gateway's.
                AttackKind::ArpSpoof => w
                    .dst
                    .iter()
                    .map(|&d| ip_str(plant.devices[d].ip))
                    .chain(
                        w.dst
                            .first()
                            .map(|&d| ip_str(plant.zones[plant.devices[d].zone].gw)),
                    )
                    .collect(),
                _ => w.dst.iter().map(|&d| ip_str(plant.devices[d].ip)).collect(),
            };
            let names: Vec<&str> = w.dst.iter().map(|&d| plant.devices[d].name).collect();
            let description = describe(w.kind, src.name, &names);
            for dst in dsts {
                out.push(Label {
                    attack_id: w.id.clone(),
                    kind: w.kind.name().to_string(),
                    start_ts: Timestamp(w.start),
                    end_ts: Timestamp(w.end),
                    src_ip: if w.kind == AttackKind::GooseReplay {
                        src.mac.to_string()
                    } else {
                        ip_str(src.ip)
                    },
                    dst_ip: dst,
                    description: description.clone(),
                });
            }
        }
        out
    }
}

fn describe(kind: AttackKind, src: &str, dst: &[&str]) -> String {
    let d = dst.join(" ");
    match kind {
        AttackKind::NewDeviceScan => {
            format!("new laptop {src} joins the OT cell and SYN-scans {d}")
        }
        AttackKind::FunctionCodeSweep => format!(
            "{src} sweeps Modbus function codes 1-127 and FC43/14 device identification on {d}"
        ),
        AttackKind::UnauthorizedWrite => {
            format!("{src}, which only ever read, writes holding register 100 on {d}")
        }
        AttackKind::OutOfRangeSetpoint => {
            format!("{src} writes setpoint 9999 (normal 450-550) to holding register 100 on {d}")
        }
        AttackKind::PlcStop => format!("{src} sends S7 PLC STOP to {d}"),
        AttackKind::ProgramDownload => {
            format!("{src} downloads OB1 to {d} (request download, download block, download ended)")
        }
        AttackKind::FirmwareChange => {
            format!("{src} resets {d} via CIP; ListIdentity then reports a new revision")
        }
        AttackKind::Dnp3ColdRestart => format!("{src} sends DNP3 cold restart to {d}"),
        AttackKind::ArpSpoof => format!(
            "{src} claims the address of {d} and the gateway with gratuitous ARP, man in the middle"
        ),
        AttackKind::PollingStopped => format!("polling {src} -> {d} stops for 30 minutes"),
        AttackKind::PollingFast => format!("polling {src} -> {d} runs 10x faster"),
        AttackKind::ItToOtSmb => {
            format!("IT host {src} writes a file to \\\\HMI01\\C$ on {d} over SMB2")
        }
        AttackKind::ItToOtRdp => format!("IT host {src} opens RDP sessions to {d}"),
        AttackKind::OtInternet => format!(
            "{src} resolves updates.vendor-example.com and connects to {}",
            ip_str(PUBLIC_UPDATE_IP)
        ),
        AttackKind::OffHoursEngineering => format!("{src} writes to {d} at 03:00"),
        AttackKind::GooseReplay => format!("replayed GOOSE frames with an old stNum for {src}"),
        AttackKind::SlowExfiltration => format!(
            "{src} posts small chunks to {} over four hours",
            ip_str(PUBLIC_EXFIL_IP)
        ),
    }
}

/// Runs the script of one planned attack (scripts emit their whole sequence).
pub struct AttackTask {
    w: Window,
    rng: Rng,
    step: u32,
}

impl AttackTask {
    /// The task of window `w`.
    pub fn new(w: Window, seed: u64, i: u64) -> Self {
        AttackTask {
            w,
            rng: Rng::new(seed, 0x5343_5200 + i),
            step: 0,
        }
    }
}

/// Well-known OT and IT ports probed by the scan.
const SCAN_PORTS: [u16; 16] = [
    21, 22, 23, 80, 102, 135, 443, 445, 502, 2404, 3389, 4840, 8080, 20000, 44818, 47808,
];

fn service_port(plant: &Plant, d: usize) -> u16 {
    use crate::plant::Model;
    match plant.devices[d].model {
        Model::Modbus { .. } => 502,
        Model::S7 { .. } => 102,
        Model::Enip { .. } => 44818,
        Model::Dnp3 { .. } => 20000,
        Model::Iec104 { .. } => 2404,
        Model::Bacnet { .. } => 47808,
        _ => 80,
    }
}

fn scan<W: Write>(ctx: &mut Ctx<W>, rng: &mut Rng, w: &Window, mut t: i64) {
    let a = w.src;
    let (amac, aip) = (ctx.plant.devices[a].mac, ctx.plant.devices[a].ip);
    dhcp_dora_probe(ctx, rng, t, a);
    t += 12 * S;
    // ARP probes (RFC 5227), then an announcement.
    for _ in 0..3 {
        send_arp(
            ctx,
            t,
            amac,
            Mac::BROADCAST,
            1,
            amac,
            [0; 4],
            Mac([0; 6]),
            aip,
        );
        t += S + rng.range(0, 500) as i64 * MS;
    }
    send_arp(ctx, t, amac, Mac::BROADCAST, 1, amac, aip, Mac([0; 6]), aip);
    t += 5 * S;
    // ARP sweep of the subnet; the live hosts answer.
    for host in 2..=90u8 {
        let ip = [10, 10, 1, host];
        match ctx.plant.by_ip(ip).filter(|&d| d != a) {
            Some(d) => {
                let m = ctx.plant.devices[d].mac;
                arp_pair(ctx, t, (amac, aip), (m, ip));
            }
            None => send_arp(ctx, t, amac, Mac::BROADCAST, 1, amac, aip, Mac([0; 6]), ip),
        }
        t += 3 * MS;
    }
    t += 2 * S;
    for &d in &w.dst {
        let open = service_port(&ctx.plant, d);
        for &p in &SCAN_PORTS {
            let mut conn = ctx.conn(rng, a, d, p);
            conn.seg(&mut ctx.out, t, Dir::C2S, flags::SYN, &[]);
            let rt = t + rng.range(200, 900) as i64 * 1000;
            if p == open {
                conn.seg(&mut ctx.out, rt, Dir::S2C, flags::SYN | flags::ACK, &[]);
                conn.seg(&mut ctx.out, rt + 60_000, Dir::C2S, flags::RST, &[]);
            } else {
                conn.seg(&mut ctx.out, rt, Dir::S2C, flags::RST | flags::ACK, &[]);
            }
            t += rng.range(1, 4) as i64 * MS;
        }
    }
}

fn fc_sweep<W: Write>(ctx: &mut Ctx<W>, rng: &mut Rng, w: &Window, mut t: i64) {
    for &d in &w.dst {
        let mut conn = ctx.conn(rng, w.src, d, 502);
        let rtt = ctx.rtt(rng, w.src, conn.s.ip);
        t = conn.open(&mut ctx.out, t, rtt);
        let mut tid = 1u16;
        for fc in 1..=127u8 {
            ctx.req.clear();
            ctx.resp.clear();
            match fc {
                1..=4 => {
                    modbus::read_req(&mut ctx.req, tid, 1, fc, 0, 1);
                    if fc <= 2 {
                        // one coil / discrete input: byte count 1, data 1 byte
                        modbus::read_regs_resp(&mut ctx.resp, tid, 1, fc, &[]);
                        let n = ctx.resp.len();
                        ctx.resp[n - 1] = 1;
                        ctx.resp.push(0x01);
                        let len = (ctx.resp.len() - 6) as u16;
                        ctx.resp[4..6].copy_from_slice(&len.to_be_bytes());
                    } else {
                        modbus::read_regs_resp(&mut ctx.resp, tid, 1, fc, &[0x01f4]);
                    }
                }
                43 => {
                    modbus::read_device_id_req(&mut ctx.req, tid, 1);
                    device_id_resp(ctx, d, tid);
                }
                _ => {
                    modbus::raw_req(&mut ctx.req, tid, 1, fc);
                    modbus::exception(&mut ctx.resp, tid, 1, fc, modbus::EX_ILLEGAL_FUNCTION);
                }
            }
            t = conn.exchange(
                &mut ctx.out,
                t + rng.range(5, 30) as i64 * MS,
                &ctx.req,
                &ctx.resp,
                rtt + 2 * MS,
                0,
                false,
            );
            tid = tid.wrapping_add(1);
        }
        let rtt2 = rtt;
        t = conn.close(&mut ctx.out, t + 10 * MS, rtt2) + S;
    }
    // Device identification sweep of every Modbus PLC in a second pass.
    for &d in &w.dst {
        let mut conn = ctx.conn(rng, w.src, d, 502);
        let rtt = ctx.rtt(rng, w.src, conn.s.ip);
        t = conn.open(&mut ctx.out, t, rtt);
        ctx.req.clear();
        ctx.resp.clear();
        modbus::read_device_id_req(&mut ctx.req, 500, 1);
        device_id_resp(ctx, d, 500);
        t = conn.exchange(
            &mut ctx.out,
            t + MS,
            &ctx.req,
            &ctx.resp,
            rtt + 2 * MS,
            0,
            false,
        );
        t = conn.close(&mut ctx.out, t + 10 * MS, rtt) + 500 * MS;
    }
}

fn device_id_resp<W: Write>(ctx: &mut Ctx<W>, d: usize, tid: u16) {
    if let crate::plant::Model::Modbus {
        vendor,
        product,
        rev,
    } = ctx.plant.devices[d].model
    {
        modbus::read_device_id_resp(&mut ctx.resp, tid, 1, vendor, product, rev);
    } else {
        modbus::exception(&mut ctx.resp, tid, 1, 43, modbus::EX_ILLEGAL_FUNCTION);
    }
}

fn arp_spoof<W: Write>(ctx: &mut Ctx<W>, w: &Window, t: i64) -> Option<i64> {
    let a = &ctx.plant.devices[w.src];
    let amac = a.mac;
    let plc = w.dst[0];
    let (pmac, pip) = (ctx.plant.devices[plc].mac, ctx.plant.devices[plc].ip);
    let z = &ctx.plant.zones[ctx.plant.devices[plc].zone];
    let (gmac, gip) = (z.router_mac, z.gw);
    if t + 2 * S < w.end {
        // Tell the router the PLC is at the attacker, and the PLC the router is.
        send_arp(ctx, t, amac, gmac, 2, amac, pip, gmac, gip);
        send_arp(ctx, t + 100_000, amac, pmac, 2, amac, gip, pmac, pip);
        Some(t + 2 * S)
    } else {
        // Restore the true bindings when leaving.
        for i in 0..3 {
            let at = t + i * S;
            send_arp(ctx, at, amac, gmac, 2, pmac, pip, gmac, gip);
            send_arp(ctx, at + 100_000, amac, pmac, 2, gmac, gip, pmac, pip);
        }
        None
    }
}

fn smb_attack<W: Write>(ctx: &mut Ctx<W>, rng: &mut Rng, w: &Window, t: i64) -> i64 {
    let (c, s) = (w.src, w.dst[0]);
    let mut conn = ctx.conn(rng, c, s, 445);
    let rtt = ctx.rtt(rng, c, conn.s.ip);
    let mut t = conn.open(&mut ctx.out, t, rtt);
    let now = crate::proto::opcua::datetime(t);
    let cname = ctx.plant.devices[c].name.to_uppercase();
    let mut guid = [0u8; 16];
    rng.fill(&mut guid);
    let mut sguid = [0u8; 16];
    rng.fill(&mut sguid);
    let session = rng.u64() | 1;
    let mut fid = [0u8; 16];
    rng.fill(&mut fid);
    let mut mid = 0u64;
    let mut step =
        |ctx: &mut Ctx<W>, cmd: u16, status: u32, tree: u32, sess: u64| -> (smb::Hdr, smb::Hdr) {
            let q = smb::Hdr {
                cmd,
                mid,
                response: false,
                status: 0,
                tree,
                session: sess,
            };
            mid += 1;
            ctx.req.clear();
            ctx.resp.clear();
            (
                q,
                smb::Hdr {
                    response: true,
                    status,
                    ..q
                },
            )
        };
    let (q, r) = step(ctx, smb::cmd::NEGOTIATE, 0, 0, 0);
    smb::negotiate_req(&mut ctx.req, &q, guid);
    smb::negotiate_resp(&mut ctx.resp, &r, sguid, now);
    t = conn.exchange(
        &mut ctx.out,
        t + MS,
        &ctx.req,
        &ctx.resp,
        rtt + MS,
        0,
        false,
    );
    let (q, r) = step(
        ctx,
        smb::cmd::SESSION_SETUP,
        smb::STATUS_MORE_PROCESSING,
        0,
        0,
    );
    let mut blob = Vec::new();
    smb::ntlm_negotiate(&mut blob);
    smb::session_setup_req(&mut ctx.req, &q, &blob);
    blob.clear();
    let mut chal = [0u8; 8];
    rng.fill(&mut chal);
    smb::ntlm_challenge(&mut blob, "PLANT", "HMI01", chal);
    smb::session_setup_resp(&mut ctx.resp, &smb::Hdr { session, ..r }, &blob);
    t = conn.exchange(
        &mut ctx.out,
        t + MS,
        &ctx.req,
        &ctx.resp,
        rtt + MS,
        0,
        false,
    );
    let (q, r) = step(ctx, smb::cmd::SESSION_SETUP, 0, 0, session);
    blob.clear();
    let mut nt = [0u8; 24];
    rng.fill(&mut nt);
    smb::ntlm_authenticate(&mut blob, "PLANT", "svc_backup", &cname, nt);
    smb::session_setup_req(&mut ctx.req, &q, &blob);
    smb::session_setup_resp(&mut ctx.resp, &r, &[]);
    t = conn.exchange(
        &mut ctx.out,
        t + MS,
        &ctx.req,
        &ctx.resp,
        rtt + 3 * MS,
        0,
        false,
    );
    let (q, r) = step(ctx, smb::cmd::TREE_CONNECT, 0, 0, session);
    smb::tree_connect_req(&mut ctx.req, &q, "\\\\HMI01\\C$");
    smb::tree_connect_resp(&mut ctx.resp, &smb::Hdr { tree: 5, ..r });
    t = conn.exchange(
        &mut ctx.out,
        t + MS,
        &ctx.req,
        &ctx.resp,
        rtt + MS,
        0,
        false,
    );
    let (q, r) = step(ctx, smb::cmd::CREATE, 0, 5, session);
    smb::create_req(&mut ctx.req, &q, "Windows\\Temp\\hmiupd.exe");
    smb::create_resp(&mut ctx.resp, &r, fid, now);
    t = conn.exchange(
        &mut ctx.out,
        t + MS,
        &ctx.req,
        &ctx.resp,
        rtt + MS,
        0,
        false,
    );
    let mut data = [0u8; 1024];
    rng.fill(&mut data);
    data[0] = b'M';
    data[1] = b'Z';
    let (q, r) = step(ctx, smb::cmd::WRITE, 0, 5, session);
    smb::write_req(&mut ctx.req, &q, fid, &data);
    smb::write_resp(&mut ctx.resp, &r, data.len() as u32);
    t = conn.exchange(
        &mut ctx.out,
        t + MS,
        &ctx.req,
        &ctx.resp,
        rtt + MS,
        0,
        false,
    );
    let (q, r) = step(ctx, smb::cmd::CLOSE, 0, 5, session);
    smb::close_req(&mut ctx.req, &q, fid);
    smb::close_resp(&mut ctx.resp, &r);
    t = conn.exchange(
        &mut ctx.out,
        t + MS,
        &ctx.req,
        &ctx.resp,
        rtt + MS,
        40 * MS,
        false,
    );
    conn.close(&mut ctx.out, t + 500 * MS, rtt)
}

fn rdp_attempt<W: Write>(ctx: &mut Ctx<W>, rng: &mut Rng, w: &Window, t: i64) -> i64 {
    let (c, s) = (w.src, w.dst[0]);
    let mut conn = ctx.conn(rng, c, s, 3389);
    let rtt = ctx.rtt(rng, c, conn.s.ip);
    let t = conn.open(&mut ctx.out, t, rtt);
    ctx.req.clear();
    ctx.resp.clear();
    smb::rdp_cr(&mut ctx.req, "svc_backup");
    smb::rdp_cc(&mut ctx.resp);
    let t = conn.exchange(
        &mut ctx.out,
        t + MS,
        &ctx.req,
        &ctx.resp,
        rtt + 2 * MS,
        0,
        false,
    );
    conn.close(&mut ctx.out, t + 300 * MS, rtt)
}

impl<W: Write> Task<W> for AttackTask {
    fn run(&mut self, ctx: &mut Ctx<W>, t: i64) -> io::Result<Option<i64>> {
        let w = self.w.clone();
        let rng = &mut self.rng;
        self.step += 1;
        let d0 = w.dst.first().copied().unwrap_or(0);
        let next = match w.kind {
            AttackKind::NewDeviceScan => {
                scan(ctx, rng, &w, t);
                None
            }
            AttackKind::FunctionCodeSweep => {
                fc_sweep(ctx, rng, &w, t);
                None
            }
            AttackKind::UnauthorizedWrite => {
                session::modbus_write(ctx, rng, w.src, d0, t, 100, &[505]);
                None
            }
            AttackKind::OutOfRangeSetpoint => {
                session::modbus_write(ctx, rng, w.src, d0, t, 100, &[9999]);
                None
            }
            AttackKind::PlcStop => {
                session::s7_session(ctx, rng, w.src, d0, t, &[S7Op::Szl, S7Op::Stop]);
                None
            }
            AttackKind::ProgramDownload => {
                session::s7_session(ctx, rng, w.src, d0, t, &[S7Op::Szl, S7Op::Download(1)]);
                None
            }
            AttackKind::FirmwareChange => {
                let e = session::enip_session(ctx, rng, w.src, d0, t, true);
                list_identity(ctx, rng, e + 45 * S, w.src, d0);
                None
            }
            AttackKind::Dnp3ColdRestart => {
                session::dnp3_session(ctx, rng, w.src, d0, t, true);
                None
            }
            AttackKind::ArpSpoof => arp_spoof(ctx, &w, t),
            AttackKind::PollingStopped | AttackKind::PollingFast | AttackKind::GooseReplay => None,
            AttackKind::ItToOtSmb => {
                smb_attack(ctx, rng, &w, t);
                None
            }
            AttackKind::ItToOtRdp => {
                let e = rdp_attempt(ctx, rng, &w, t);
                (self.step < 5).then_some(e + 20 * S)
            }
            AttackKind::OtInternet => {
                let infra = ctx.plant.dev("infra01");
                let fw = ctx.plant.dev("fw01");
                let e = dns_lookup(
                    ctx,
                    rng,
                    t,
                    w.src,
                    infra,
                    "updates.vendor-example.com",
                    PUBLIC_UPDATE_IP,
                );
                http_once(
                    ctx,
                    rng,
                    e + 20 * MS,
                    w.src,
                    PUBLIC_UPDATE_IP,
                    fw,
                    80,
                    "updates.vendor-example.com",
                    "GET",
                    "/hmi/v4/check?build=4.2.1",
                    &[],
                    "{\"update\":false}",
                );
                None
            }
            AttackKind::OffHoursEngineering => {
                let e = session::s7_session(
                    ctx,
                    rng,
                    w.src,
                    d0,
                    t,
                    &[S7Op::Szl, S7Op::Read, S7Op::Write(505), S7Op::Read],
                );
                let mb = w.dst.get(1).copied().unwrap_or(d0);
                session::modbus_write(ctx, rng, w.src, mb, e + 90 * S, 100, &[495]);
                None
            }
            AttackKind::SlowExfiltration => {
                let fw = ctx.plant.dev("fw01");
                let mut chunk = [0u8; 1200];
                rng.fill(&mut chunk);
                for b in chunk.iter_mut() {
                    *b = b'A' + (*b % 26);
                }
                let path = format!("/u/{}", self.step);
                let e = http_once(
                    ctx,
                    rng,
                    t,
                    w.src,
                    PUBLIC_EXFIL_IP,
                    fw,
                    8080,
                    "93.184.215.14",
                    "POST",
                    &path,
                    &chunk,
                    "ok",
                );
                let next = e + rng.range(540, 780) as i64 * S;
                (next + 30 * S < w.end).then_some(next)
            }
        };
        Ok(next)
    }
}
