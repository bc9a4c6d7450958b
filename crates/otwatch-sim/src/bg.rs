//! Background and non-polling tasks: ARP, DNS, NTP, DHCP, LLDP, GOOSE, IEC-104
//! spontaneous reporting, BACnet, CIP ListIdentity browsing, office web traffic and
//! the engineering workstation's office-hours sessions.

use crate::AttackKind;
use crate::engine::{Ctx, MS, S, Task};
use crate::plant::{Model, Plant, Role};
use crate::proto::{bacnet, enip, goose, iec104, it};
use crate::rng::Rng;
use crate::session::{self, S7Op};
use crate::tcp::{Conn, Dir};
use crate::wire::{ETH_ARP, ETH_GOOSE, ETH_LLDP, Ip4, L2};
use otwatch_core::Mac;
use std::io::{self, Write};

/// Seconds into the UTC day.
pub fn sod(t: i64) -> i64 {
    (t / S).rem_euclid(86_400)
}

/// Monday–Friday 08:00–17:00 UTC.
pub fn office_hours(t: i64) -> bool {
    let days = (t / S).div_euclid(86_400);
    let dow = (days + 3).rem_euclid(7); // 0 = Monday
    let h = sod(t) / 3600;
    dow < 5 && (8..17).contains(&h)
}

#[expect(
    clippy::too_many_arguments,
    reason = "packet builder takes every header field"
)]
fn udp<W: Write>(
    ctx: &mut Ctx<W>,
    t: i64,
    from: usize,
    dst_ip: [u8; 4],
    sport: u16,
    dport: u16,
    id: u16,
    payload_tmp: bool,
) {
    let (src, dst, ttl) = ctx.plant.path(from, dst_ip);
    let ip = Ip4 {
        src: ctx.plant.devices[from].ip,
        dst: dst_ip,
        id,
        ttl,
    };
    let l2 = L2 {
        src,
        dst,
        vlan: None,
    };
    let p = if payload_tmp { &ctx.tmp } else { &ctx.req };
    ctx.out.udp(t, &l2, &ip, sport, dport, p);
}

/// Sends a UDP datagram built in `ctx.tmp`.
pub fn send_udp<W: Write>(
    ctx: &mut Ctx<W>,
    t: i64,
    from: usize,
    dst_ip: [u8; 4],
    sport: u16,
    dport: u16,
    id: u16,
) {
    udp(ctx, t, from, dst_ip, sport, dport, id, true);
}

/// Sends a UDP broadcast built in `ctx.tmp` on the sender's segment.
pub fn send_bcast<W: Write>(
    ctx: &mut Ctx<W>,
    t: i64,
    from: usize,
    src_ip: [u8; 4],
    dst_ip: [u8; 4],
    sport: u16,
    dport: u16,
) {
    let d = &ctx.plant.devices[from];
    let ip = Ip4 {
        src: src_ip,
        dst: dst_ip,
        id: (t / 1000) as u16,
        ttl: d.ttl,
    };
    let l2 = L2 {
        src: d.mac,
        dst: Mac::BROADCAST,
        vlan: None,
    };
    ctx.out.udp(t, &l2, &ip, sport, dport, &ctx.tmp);
}

/// Sends an ARP packet.
#[allow(clippy::too_many_arguments, reason = "mirrors the ARP fields")]
pub fn send_arp<W: Write>(
    ctx: &mut Ctx<W>,
    t: i64,
    l2src: Mac,
    l2dst: Mac,
    op: u16,
    sha: Mac,
    spa: [u8; 4],
    tha: Mac,
    tpa: [u8; 4],
) {
    ctx.tmp.clear();
    it::arp(&mut ctx.tmp, op, sha, spa, tha, tpa);
    let l2 = L2 {
        src: l2src,
        dst: l2dst,
        vlan: None,
    };
    ctx.out.l2(t, &l2, ETH_ARP, &ctx.tmp);
}

/// A who-has from `asker` (MAC, IP) for `target` and the reply from its owner.
pub fn arp_pair<W: Write>(ctx: &mut Ctx<W>, t: i64, asker: (Mac, [u8; 4]), target: (Mac, [u8; 4])) {
    send_arp(
        ctx,
        t,
        asker.0,
        Mac::BROADCAST,
        1,
        asker.0,
        asker.1,
        Mac([0; 6]),
        target.1,
    );
    send_arp(
        ctx,
        t + 250_000,
        target.0,
        asker.0,
        2,
        target.0,
        target.1,
        asker.0,
        asker.1,
    );
}

/// ARP refreshes of one host: for its gateway and same-zone peers, and the
/// router's own refresh of the host.
pub struct ArpTask {
    dev: usize,
    peers: Vec<usize>,
    i: usize,
    rng: Rng,
}

impl ArpTask {
    /// ARP for `dev` towards `peers` (device indices in its zone).
    pub fn new(dev: usize, peers: Vec<usize>, seed: u64) -> Self {
        ArpTask {
            dev,
            peers,
            i: 0,
            rng: Rng::new(seed, 0x4152_5000 + dev as u64),
        }
    }
}

impl<W: Write> Task<W> for ArpTask {
    fn run(&mut self, ctx: &mut Ctx<W>, t: i64) -> io::Result<Option<i64>> {
        let d = &ctx.plant.devices[self.dev];
        let me = (d.mac, d.ip);
        let z = &ctx.plant.zones[d.zone];
        let gw = (z.router_mac, z.gw);
        if self.i.is_multiple_of(self.peers.len() + 1) {
            arp_pair(ctx, t, me, gw);
            arp_pair(ctx, t + 3 * S + self.rng.range(0, S as u64) as i64, gw, me);
        } else {
            let p = &ctx.plant.devices[self.peers[self.i % (self.peers.len() + 1) - 1]];
            let peer = (p.mac, p.ip);
            arp_pair(ctx, t, me, peer);
        }
        self.i += 1;
        Ok(Some(
            t + (self.rng.uniform(0.9, 1.1) * 1200.0 * S as f64) as i64,
        ))
    }
}

/// DNS lookups of local names by one host.
pub struct DnsTask {
    dev: usize,
    server: usize,
    names: Vec<(&'static str, [u8; 4])>,
    rng: Rng,
    mean: f64,
}

impl DnsTask {
    /// Lookups of `names` by `dev` at mean interval `mean_s` seconds.
    pub fn new(
        dev: usize,
        server: usize,
        names: Vec<(&'static str, [u8; 4])>,
        mean_s: f64,
        seed: u64,
    ) -> Self {
        DnsTask {
            dev,
            server,
            names,
            mean: mean_s,
            rng: Rng::new(seed, 0x444e_5300 + dev as u64),
        }
    }
}

/// A DNS query and its answer between `dev` and `server`.
pub fn dns_lookup<W: Write>(
    ctx: &mut Ctx<W>,
    rng: &mut Rng,
    t: i64,
    dev: usize,
    server: usize,
    name: &str,
    ans: [u8; 4],
) -> i64 {
    let id = rng.u32() as u16;
    let sport = ctx.port(dev);
    let sip = ctx.plant.devices[server].ip;
    let cip = ctx.plant.devices[dev].ip;
    ctx.tmp.clear();
    it::dns(&mut ctx.tmp, id, name, None);
    send_udp(ctx, t, dev, sip, sport, 53, rng.u32() as u16);
    ctx.tmp.clear();
    it::dns(&mut ctx.tmp, id, name, Some(Some(ans)));
    let rt = t + 2 * ctx.rtt(rng, dev, sip);
    send_udp(ctx, rt, server, cip, 53, sport, rng.u32() as u16);
    rt
}

impl<W: Write> Task<W> for DnsTask {
    fn run(&mut self, ctx: &mut Ctx<W>, t: i64) -> io::Result<Option<i64>> {
        let (name, ip) = self.names[self.rng.range(0, self.names.len() as u64 - 1) as usize];
        dns_lookup(ctx, &mut self.rng, t, self.dev, self.server, name, ip);
        Ok(Some(
            t + (self.rng.uniform(0.7, 1.3) * self.mean * S as f64) as i64,
        ))
    }
}

/// NTP client polls (mode 3/4) every 1024 s.
pub struct NtpTask {
    dev: usize,
    server: usize,
    rng: Rng,
}

impl NtpTask {
    /// NTP from `dev` to `server`.
    pub fn new(dev: usize, server: usize, seed: u64) -> Self {
        NtpTask {
            dev,
            server,
            rng: Rng::new(seed, 0x4e54_5000 + dev as u64),
        }
    }
}

impl<W: Write> Task<W> for NtpTask {
    fn run(&mut self, ctx: &mut Ctx<W>, t: i64) -> io::Result<Option<i64>> {
        let sip = ctx.plant.devices[self.server].ip;
        let cip = ctx.plant.devices[self.dev].ip;
        ctx.tmp.clear();
        it::ntp_client(&mut ctx.tmp, t);
        send_udp(ctx, t, self.dev, sip, 123, 123, self.rng.u32() as u16);
        let recv = t + ctx.rtt(&mut self.rng, self.dev, sip);
        let xmit = recv + 40_000;
        ctx.tmp.clear();
        it::ntp_server(&mut ctx.tmp, t, recv, xmit, [10, 20, 0, 5]);
        send_udp(ctx, xmit, self.server, cip, 123, 123, self.rng.u32() as u16);
        Ok(Some(t + 1024 * S + self.rng.range(0, 2 * S as u64) as i64))
    }
}

/// Daily DHCP lease of an office workstation (DISCOVER/OFFER/REQUEST/ACK) at 07:30.
pub struct DhcpTask {
    dev: usize,
    server: usize,
    rng: Rng,
}

impl DhcpTask {
    /// DHCP for `dev` served by `server`.
    pub fn new(dev: usize, server: usize, seed: u64) -> Self {
        DhcpTask {
            dev,
            server,
            rng: Rng::new(seed, 0x4448_4300 + dev as u64),
        }
    }
}

/// The four DHCP messages of a lease.
pub fn dhcp_dora<W: Write>(ctx: &mut Ctx<W>, rng: &mut Rng, t: i64, dev: usize, server: usize) {
    let d = &ctx.plant.devices[dev];
    let (mac, yi, name) = (d.mac, d.ip, d.name);
    let srv = &ctx.plant.devices[server];
    let (smac, sip) = (srv.mac, srv.ip);
    let router = ctx.plant.zones[d.zone].gw;
    let xid = rng.u32();
    let mut msg = it::Dhcp {
        kind: it::dhcp_type::DISCOVER,
        xid,
        chaddr: mac,
        yiaddr: yi,
        server: sip,
        router,
        hostname: name,
        vendor_class: "MSFT 5.0",
    };
    let mut tt = t;
    for kind in [
        it::dhcp_type::DISCOVER,
        it::dhcp_type::OFFER,
        it::dhcp_type::REQUEST,
        it::dhcp_type::ACK,
    ] {
        msg.kind = kind;
        ctx.tmp.clear();
        it::dhcp(&mut ctx.tmp, &msg);
        let from_server = matches!(kind, it::dhcp_type::OFFER | it::dhcp_type::ACK);
        if from_server {
            let ip = Ip4 {
                src: sip,
                dst: [255; 4],
                id: rng.u32() as u16,
                ttl: 128,
            };
            let l2 = L2 {
                src: smac,
                dst: Mac::BROADCAST,
                vlan: None,
            };
            ctx.out.udp(tt, &l2, &ip, 67, 68, &ctx.tmp);
        } else {
            send_bcast(ctx, tt, dev, [0; 4], [255; 4], 68, 67);
        }
        tt += rng.range(2, 40) as i64 * MS;
    }
}

impl<W: Write> Task<W> for DhcpTask {
    fn run(&mut self, ctx: &mut Ctx<W>, t: i64) -> io::Result<Option<i64>> {
        dhcp_dora(ctx, &mut self.rng, t, self.dev, self.server);
        let next_day = (t / S).div_euclid(86_400) + 1;
        Ok(Some(
            (next_day * 86_400 + 7 * 3600 + 1800) * S + self.rng.range(0, 1200 * S as u64) as i64,
        ))
    }
}

/// LLDP from the OT switch every 30 s.
pub struct LldpTask {
    dev: usize,
}

impl LldpTask {
    /// LLDP from switch `dev`.
    pub fn new(dev: usize) -> Self {
        LldpTask { dev }
    }
}

impl<W: Write> Task<W> for LldpTask {
    fn run(&mut self, ctx: &mut Ctx<W>, t: i64) -> io::Result<Option<i64>> {
        let m = ctx.plant.devices[self.dev].mac;
        let name = ctx.plant.devices[self.dev].name;
        ctx.tmp.clear();
        it::lldp(
            &mut ctx.tmp,
            m,
            "Gi1/24",
            name,
            "Cisco IOS Software, IE-4000 Software (IE4000-UNIVERSALK9-M), Version 15.2(7)E4",
        );
        let mut src = m;
        src.0[5] = src.0[5].wrapping_add(24);
        let l2 = L2 {
            src,
            dst: Mac([0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e]),
            vlan: None,
        };
        ctx.out.l2(t, &l2, ETH_LLDP, &ctx.tmp);
        Ok(Some(t + 30 * S))
    }
}

/// Heartbeat of a GOOSE publisher (IEC 61850-8-1, 15.2: T0 between messages when
/// nothing changes, a doubling burst after a change).
const GOOSE_T0: i64 = 2 * S;

/// A GOOSE publisher.
pub struct GooseTask {
    dev: usize,
    rng: Rng,
    st: u32,
    sq: u32,
    state: [bool; 4],
    t_change: i64,
    next_change: i64,
    burst: i64,
    old: Option<(u32, i64, [bool; 4])>,
    next_replay: i64,
}

impl GooseTask {
    /// A publisher for relay `dev`.
    pub fn new(dev: usize, seed: u64, start: i64) -> Self {
        let mut rng = Rng::new(seed, 0x474f_4f00 + dev as u64);
        let st = rng.range(1, 40) as u32;
        let next_change = start + (rng.uniform(0.2, 1.8) * 43_200.0) as i64 * S;
        GooseTask {
            dev,
            st,
            sq: 0,
            state: [true, false, true, false],
            t_change: start - rng.range(3600, 86_400) as i64 * S,
            next_change,
            burst: 0,
            old: None,
            next_replay: 0,
            rng,
        }
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "packet builder takes every header field"
    )]
    fn send<W: Write>(
        &self,
        ctx: &mut Ctx<W>,
        t: i64,
        st: u32,
        sq: u32,
        tc: i64,
        data: &[bool; 4],
        ttl_ms: u32,
    ) {
        let d = &ctx.plant.devices[self.dev];
        let (appid, ied) = match d.model {
            Model::Goose { appid, ied } => (appid, ied),
            _ => (1, "IED"),
        };
        let gocb = format!("{ied}LD0/LLN0$GO$gcbTrip");
        let ds = format!("{ied}LD0/LLN0$dsTrip");
        let g = goose::Goose {
            appid,
            gocb_ref: &gocb,
            dat_set: &ds,
            go_id: ied,
            ttl_ms,
            t_ns: tc,
            st_num: st,
            sq_num: sq,
            conf_rev: 1,
            data,
        };
        ctx.tmp.clear();
        let mut scratch = std::mem::take(&mut ctx.resp);
        goose::encode(&mut ctx.tmp, &g, &mut scratch);
        ctx.resp = scratch;
        let l2 = L2 {
            src: d.mac,
            dst: Mac([0x01, 0x0c, 0xcd, 0x01, 0x00, appid as u8]),
            vlan: Some((100, 4)),
        };
        ctx.out.l2(t, &l2, ETH_GOOSE, &ctx.tmp);
    }
}

impl<W: Write> Task<W> for GooseTask {
    fn run(&mut self, ctx: &mut Ctx<W>, t: i64) -> io::Result<Option<i64>> {
        if t >= self.next_change {
            self.old = Some((self.st, self.t_change, self.state));
            self.st = self.st.wrapping_add(1);
            self.sq = 0;
            let i = self.rng.range(0, 3) as usize;
            self.state[i] = !self.state[i];
            self.t_change = t;
            self.burst = 2 * MS;
            self.next_change = t + (self.rng.uniform(0.2, 1.8) * 43_200.0) as i64 * S;
        }
        let interval = if self.burst > 0 && self.burst < GOOSE_T0 {
            self.burst
        } else {
            GOOSE_T0
        };
        let (st, sq, tc, data) = (self.st, self.sq, self.t_change, self.state);
        self.send(
            ctx,
            t,
            st,
            sq,
            tc,
            &data,
            (2 * interval / MS).max(20) as u32,
        );
        self.sq = self.sq.wrapping_add(1);
        if self.burst > 0 {
            self.burst *= 2;
            if self.burst >= GOOSE_T0 {
                self.burst = 0;
            }
        }
        let next = t + interval + self.rng.range(0, 200_000) as i64;
        if let Some(w) = ctx.plan.active_target(AttackKind::GooseReplay, t, self.dev) {
            // Replayed frames of an earlier state, injected between the real ones.
            let (start, end) = (w.start, w.end);
            let (st, tc, data) = self.old.unwrap_or_else(|| {
                let mut d = self.state;
                d[0] = !d[0];
                (self.st.wrapping_sub(1), self.t_change - 3600 * S, d)
            });
            self.next_replay = self.next_replay.max(start).max(t);
            while self.next_replay < next.min(end) {
                let at = self.next_replay;
                let sq = self.rng.range(0, 5000) as u32;
                self.send(ctx, at, st, sq, tc, &data, 4000);
                self.next_replay = at + 500 * MS;
            }
        }
        Ok(Some(next))
    }
}

/// An IEC-104 link from the SCADA client to an RTU.
pub struct Iec104Task {
    client: usize,
    server: usize,
    rng: Rng,
    conn: Option<Conn>,
    tx_s: u16,
    tx_c: u16,
    unacked: u16,
    last: i64,
    next_gi: i64,
    next_spont: i64,
    testfr_due: bool,
}

/// IEC 60870-5-104 default t3 (idle time before TESTFR, clause 9.6).
const T3: i64 = 20 * S;
/// Default w (I-frames before an S-frame acknowledgement).
const W: u16 = 8;

impl Iec104Task {
    /// An IEC-104 link `client` → `server`.
    pub fn new(client: usize, server: usize, seed: u64) -> Self {
        Iec104Task {
            client,
            server,
            rng: Rng::new(seed, 0x3130_3400 + server as u64),
            conn: None,
            tx_s: 0,
            tx_c: 0,
            unacked: 0,
            last: 0,
            next_gi: 0,
            next_spont: 0,
            testfr_due: false,
        }
    }

    fn ca<W: Write>(&self, ctx: &Ctx<W>) -> u16 {
        match ctx.plant.devices[self.server].model {
            Model::Iec104 { ca } => ca,
            _ => 1,
        }
    }

    fn server_i<W: Write>(&mut self, ctx: &mut Ctx<W>, t: i64, ack: bool) -> i64 {
        let Some(conn) = self.conn.as_mut() else {
            return t;
        };
        self.tx_s = (self.tx_s + 1) & 0x7fff;
        self.unacked += 1;
        let ad = ack.then_some(40 * MS);
        conn.push(&mut ctx.out, t, Dir::S2C, &ctx.req, ad)
    }

    fn values<W: Write>(&mut self, ctx: &mut Ctx<W>, t: i64, cot: u8, all: bool) {
        let ca = self.ca(ctx);
        let p = &mut ctx.procs[self.server];
        p.update(t);
        let vals = [
            p.level(t) as f32,
            p.temp() as f32,
            p.pressure(t) as f32,
            p.flow(t) as f32,
        ];
        ctx.req.clear();
        if all {
            let at = iec104::i_start(&mut ctx.req, self.tx_s, self.tx_c, 13, 4, cot, ca);
            for (i, v) in vals.iter().enumerate() {
                iec104::me_nc(&mut ctx.req, 4001 + i as u32, *v);
            }
            iec104::i_fix(&mut ctx.req, at);
        } else {
            let i = self.rng.range(0, 3) as usize;
            let at = iec104::i_start(&mut ctx.req, self.tx_s, self.tx_c, 13, 1, cot, ca);
            iec104::me_nc(&mut ctx.req, 4001 + i as u32, vals[i]);
            iec104::i_fix(&mut ctx.req, at);
        }
    }

    fn s_ack<W: Write>(&mut self, ctx: &mut Ctx<W>, t: i64) -> i64 {
        let Some(conn) = self.conn.as_mut() else {
            return t;
        };
        ctx.req.clear();
        iec104::s_frame(&mut ctx.req, self.tx_s);
        self.unacked = 0;
        conn.push(&mut ctx.out, t, Dir::C2S, &ctx.req, None)
    }

    fn gi<W: Write>(&mut self, ctx: &mut Ctx<W>, t: i64) -> i64 {
        let ca = self.ca(ctx);
        let Some(conn) = self.conn.as_mut() else {
            return t;
        };
        ctx.req.clear();
        let at = iec104::i_start(
            &mut ctx.req,
            self.tx_c,
            self.tx_s,
            100,
            1,
            iec104::COT_ACT,
            ca,
        );
        iec104::ic_na(&mut ctx.req);
        iec104::i_fix(&mut ctx.req, at);
        self.tx_c = (self.tx_c + 1) & 0x7fff;
        let mut t = conn.push(&mut ctx.out, t, Dir::C2S, &ctx.req, None);
        for cot in [
            iec104::COT_ACTCON,
            iec104::COT_INROGEN,
            iec104::COT_INROGEN,
            iec104::COT_ACTTERM,
        ] {
            t += 3 * MS;
            if cot == iec104::COT_INROGEN && self.unacked % 2 == 1 {
                let p = &ctx.procs[self.server];
                let states = p.breakers;
                ctx.req.clear();
                let at = iec104::i_start(&mut ctx.req, self.tx_s, self.tx_c, 1, 4, cot, ca);
                for (i, s) in states.iter().enumerate() {
                    iec104::sp_na(&mut ctx.req, 1001 + i as u32, *s);
                }
                iec104::i_fix(&mut ctx.req, at);
            } else if cot == iec104::COT_INROGEN {
                self.values(ctx, t, cot, true);
            } else {
                ctx.req.clear();
                let at = iec104::i_start(&mut ctx.req, self.tx_s, self.tx_c, 100, 1, cot, ca);
                iec104::ic_na(&mut ctx.req);
                iec104::i_fix(&mut ctx.req, at);
            }
            t = self.server_i(ctx, t, false);
        }
        self.s_ack(ctx, t + 5 * MS)
    }
}

impl<W: Write> Task<W> for Iec104Task {
    fn run(&mut self, ctx: &mut Ctx<W>, t: i64) -> io::Result<Option<i64>> {
        let mut t0 = t;
        if self.conn.is_none() {
            let mut conn = ctx.conn(&mut self.rng, self.client, self.server, 2404);
            let rtt = ctx.rtt(&mut self.rng, self.client, conn.s.ip);
            t0 = conn.open(&mut ctx.out, t, rtt);
            ctx.req.clear();
            ctx.resp.clear();
            iec104::u_frame(&mut ctx.req, iec104::STARTDT_ACT);
            iec104::u_frame(&mut ctx.resp, iec104::STARTDT_CON);
            t0 = conn.exchange(&mut ctx.out, t0 + MS, &ctx.req, &ctx.resp, 3 * MS, 0, false);
            self.conn = Some(conn);
            self.tx_s = 0;
            self.tx_c = 0;
            self.unacked = 0;
            self.next_gi = t0 + 10 * MS;
            self.next_spont = t0 + 10 * S;
        }
        if self.testfr_due {
            self.testfr_due = false;
            if let Some(conn) = self.conn.as_mut() {
                ctx.req.clear();
                ctx.resp.clear();
                iec104::u_frame(&mut ctx.req, iec104::TESTFR_ACT);
                iec104::u_frame(&mut ctx.resp, iec104::TESTFR_CON);
                self.last = conn.exchange(
                    &mut ctx.out,
                    t0,
                    &ctx.req,
                    &ctx.resp,
                    2 * MS,
                    40 * MS,
                    false,
                );
            }
        } else if t0 >= self.next_gi {
            t0 = self.gi(ctx, t0);
            self.next_gi = t0 + 900 * S;
            self.last = t0;
        } else {
            self.values(ctx, t0, iec104::COT_SPONT, false);
            t0 = self.server_i(ctx, t0, self.unacked + 1 < W);
            if self.unacked >= W {
                t0 = self.s_ack(ctx, t0 + 2 * MS);
            }
            self.last = t0;
            let gap = (-(self.rng.f64().max(1e-9)).ln() * 6.0 * S as f64) as i64 + 200 * MS;
            self.next_spont = t0 + gap;
            if self.unacked > 0 && gap > 10 * S {
                // t2: acknowledge outstanding I-frames within 10 s.
                self.last = self.s_ack(ctx, t0 + 10 * S);
            }
        }
        let next = self.next_spont.min(self.next_gi).max(self.last + MS);
        if next - self.last > T3 {
            self.testfr_due = true;
            return Ok(Some(self.last + T3));
        }
        Ok(Some(next))
    }
}

/// BACnet/IP polling of a building controller (ReadProperty every 5 s), hourly
/// Who-Is/I-Am, and rare operator writes of a setpoint in office hours.
pub struct BacnetTask {
    client: usize,
    server: usize,
    rng: Rng,
    invoke: u8,
    n: u64,
    /// Period (ns).
    pub period: i64,
}

impl BacnetTask {
    /// BACnet polling `client` → `server`.
    pub fn new(client: usize, server: usize, period: i64, seed: u64) -> Self {
        BacnetTask {
            client,
            server,
            rng: Rng::new(seed, 0x4241_4300 + server as u64),
            invoke: 0,
            n: 0,
            period,
        }
    }
}

impl<W: Write> Task<W> for BacnetTask {
    fn run(&mut self, ctx: &mut Ctx<W>, t: i64) -> io::Result<Option<i64>> {
        let (instance, vendor) = match ctx.plant.devices[self.server].model {
            Model::Bacnet { instance, vendor } => (instance, vendor),
            _ => (1, 7),
        };
        let cip = ctx.plant.devices[self.client].ip;
        let sip = ctx.plant.devices[self.server].ip;
        let bcast = {
            let z = &ctx.plant.zones[ctx.plant.devices[self.server].zone];
            [z.net[0], z.net[1], z.net[2], 255]
        };
        if self.n.is_multiple_of(720) {
            // Who-Is is local to the controller's segment (sent by a BBMD-less
            // operator station would not cross the router): the controller's
            // answer is what the sensor sees on the OT cell.
            ctx.tmp.clear();
            bacnet::i_am(&mut ctx.tmp, instance, vendor);
            let ip = Ip4 {
                src: sip,
                dst: bcast,
                id: self.rng.u32() as u16,
                ttl: 64,
            };
            let l2 = L2 {
                src: ctx.plant.devices[self.server].mac,
                dst: Mac::BROADCAST,
                vlan: None,
            };
            ctx.out.udp(t, &l2, &ip, 47808, 47808, &ctx.tmp);
        }
        self.invoke = self.invoke.wrapping_add(1);
        let p = &mut ctx.procs[self.server];
        p.update(t);
        let obj = (self.n % 3) as u32;
        let (ty, inst, v) = match obj {
            0 => (bacnet::ANALOG_INPUT, 1, p.temp() as f32 / 3.2),
            1 => (bacnet::ANALOG_INPUT, 2, p.flow(t) as f32 / 3.0),
            _ => (bacnet::ANALOG_VALUE, 1, 21.0 + f32::from(p.setpoint % 3)),
        };
        let write = office_hours(t) && obj == 2 && self.rng.chance(0.004);
        ctx.tmp.clear();
        let wv = 21.0 + self.rng.range(0, 4) as f32 * 0.5;
        if write {
            bacnet::write_property_req(
                &mut ctx.tmp,
                self.invoke,
                ty,
                inst,
                bacnet::PRESENT_VALUE,
                wv,
            );
        } else {
            bacnet::read_property_req(&mut ctx.tmp, self.invoke, ty, inst, bacnet::PRESENT_VALUE);
        }
        send_udp(
            ctx,
            t,
            self.client,
            sip,
            47808,
            47808,
            self.rng.u32() as u16,
        );
        ctx.tmp.clear();
        if write {
            bacnet::simple_ack(&mut ctx.tmp, self.invoke, 15);
        } else {
            bacnet::read_property_ack(
                &mut ctx.tmp,
                self.invoke,
                ty,
                inst,
                bacnet::PRESENT_VALUE,
                v,
            );
        }
        let rt =
            t + 2 * ctx.rtt(&mut self.rng, self.client, sip) + self.rng.range(2, 15) as i64 * MS;
        send_udp(
            ctx,
            rt,
            self.server,
            cip,
            47808,
            47808,
            self.rng.u32() as u16,
        );
        self.n += 1;
        let j = self.rng.uniform(-crate::poll::JITTER, crate::poll::JITTER);
        Ok(Some(t + (self.period as f64 * (1.0 + j)) as i64))
    }
}

/// RSLinx-style browsing: ListIdentity from the EWS to the CIP PLC every 15 min.
pub struct ListIdentityTask {
    client: usize,
    server: usize,
    rng: Rng,
}

impl ListIdentityTask {
    /// Browsing `client` → `server`.
    pub fn new(client: usize, server: usize, seed: u64) -> Self {
        ListIdentityTask {
            client,
            server,
            rng: Rng::new(seed, 0x4c49_4400 + server as u64),
        }
    }
}

/// One ListIdentity request/reply (UDP 44818).
pub fn list_identity<W: Write>(
    ctx: &mut Ctx<W>,
    rng: &mut Rng,
    t: i64,
    client: usize,
    server: usize,
) {
    let sip = ctx.plant.devices[server].ip;
    let cip = ctx.plant.devices[client].ip;
    let c = rng.u64();
    let sport = ctx.port(client);
    ctx.tmp.clear();
    enip::list_identity_req(&mut ctx.tmp, c);
    send_udp(ctx, t, client, sip, sport, 44818, rng.u32() as u16);
    let rev = session::enip_revision(ctx, server, t);
    let id = match ctx.plant.devices[server].model {
        Model::Enip {
            name,
            product_code,
            serial,
            ..
        } => enip::Identity {
            vendor: 1,
            device_type: 0x0e,
            product_code,
            revision: rev,
            serial,
            name: name.to_string(),
        },
        _ => return,
    };
    ctx.tmp.clear();
    enip::list_identity_resp(&mut ctx.tmp, c, sip, &id);
    let rt = t + 2 * ctx.rtt(rng, client, sip) + 3 * MS;
    send_udp(ctx, rt, server, cip, 44818, sport, rng.u32() as u16);
}

impl<W: Write> Task<W> for ListIdentityTask {
    fn run(&mut self, ctx: &mut Ctx<W>, t: i64) -> io::Result<Option<i64>> {
        list_identity(ctx, &mut self.rng, t, self.client, self.server);
        Ok(Some(t + 900 * S + self.rng.range(0, 5 * S as u64) as i64))
    }
}

/// Office workstations opening the DMZ historian's web reports in office hours.
pub struct ItWebTask {
    client: usize,
    server: usize,
    rng: Rng,
}

impl ItWebTask {
    /// Web browsing `client` → `server`.
    pub fn new(client: usize, server: usize, seed: u64) -> Self {
        ItWebTask {
            client,
            server,
            rng: Rng::new(seed, 0x5745_4200 + client as u64),
        }
    }
}

/// One HTTP request/response on a fresh connection, then close.
#[allow(clippy::too_many_arguments, reason = "HTTP exchange parameters")]
pub fn http_once<W: Write>(
    ctx: &mut Ctx<W>,
    rng: &mut Rng,
    t: i64,
    client: usize,
    sip: [u8; 4],
    sdev: usize,
    port: u16,
    host: &str,
    method: &str,
    path: &str,
    body: &[u8],
    reply: &str,
) -> i64 {
    let mut conn = ctx.conn_to(rng, client, sip, sdev, port);
    let rtt = if Plant::zone_of(sip) == crate::plant::Z_EXT {
        rng.range(18, 40) as i64 * MS
    } else {
        ctx.rtt(rng, client, sip)
    };
    let t = conn.open(&mut ctx.out, t, rtt);
    ctx.req.clear();
    ctx.resp.clear();
    it::http_req(
        &mut ctx.req,
        method,
        host,
        path,
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
        body,
    );
    it::http_resp(&mut ctx.resp, "200 OK", reply);
    let t = conn.exchange(
        &mut ctx.out,
        t + MS,
        &ctx.req,
        &ctx.resp,
        rtt + 4 * MS,
        40 * MS,
        false,
    );
    conn.close(&mut ctx.out, t + 5 * MS, rtt)
}

impl<W: Write> Task<W> for ItWebTask {
    fn run(&mut self, ctx: &mut Ctx<W>, t: i64) -> io::Result<Option<i64>> {
        if office_hours(t) {
            let sip = ctx.plant.devices[self.server].ip;
            http_once(
                ctx,
                &mut self.rng,
                t,
                self.client,
                sip,
                self.server,
                80,
                "hist-dmz01.plant.local",
                "GET",
                "/reports/daily",
                &[],
                "line1 ok\nline2 ok\n",
            );
        }
        Ok(Some(
            t + (self.rng.uniform(0.6, 1.4) * 900.0 * S as f64) as i64,
        ))
    }
}

/// The engineering workstation's office-hours work: setpoint changes within the
/// normal band over Modbus (FC 6 / FC 16), S7 sessions, CIP identity checks.
pub struct EwsTask {
    ews: usize,
    rng: Rng,
}

impl EwsTask {
    /// The EWS task.
    pub fn new(ews: usize, seed: u64) -> Self {
        EwsTask {
            ews,
            rng: Rng::new(seed, 0x4557_5300),
        }
    }
}

impl<W: Write> Task<W> for EwsTask {
    fn run(&mut self, ctx: &mut Ctx<W>, t: i64) -> io::Result<Option<i64>> {
        let mut end = t;
        if office_hours(t) {
            let r = self.rng.f64();
            let mb = ctx.plant.dev("plc-mb01");
            let s7a = ctx.plant.dev("plc-s7-01");
            let ab = ctx.plant.dev("plc-ab01");
            let infra = ctx.plant.dev("infra01");
            let rng = &mut self.rng;
            if r < 0.45 {
                let ip = ctx.plant.devices[mb].ip;
                end = dns_lookup(ctx, rng, t, self.ews, infra, "plc-mb01.plant.local", ip);
                let v = rng.range(450, 550) as u16;
                end = session::modbus_write(ctx, rng, self.ews, mb, end + 5 * MS, 100, &[v]);
            } else if r < 0.6 {
                let lo = rng.range(460, 490) as u16;
                let hi = rng.range(510, 540) as u16;
                end = session::modbus_write(ctx, rng, self.ews, mb, t, 101, &[lo, hi]);
            } else if r < 0.85 {
                let ip = ctx.plant.devices[s7a].ip;
                end = dns_lookup(ctx, rng, t, self.ews, infra, "plc-s7-01.plant.local", ip);
                let v = rng.range(450, 550) as u16;
                end = session::s7_session(
                    ctx,
                    rng,
                    self.ews,
                    s7a,
                    end + 5 * MS,
                    &[S7Op::Szl, S7Op::Read, S7Op::Write(v), S7Op::Read],
                );
            } else {
                end = session::enip_session(ctx, rng, self.ews, ab, t, false);
            }
        }
        let gap = (-(self.rng.f64().max(1e-9)).ln() * 2400.0) as i64 * S + 60 * S;
        Ok(Some(end.max(t) + gap))
    }
}

/// Devices of the zone of `d` that `d` talks to at layer 2 (for ARP).
pub fn same_zone_peers(plant: &Plant, d: usize, talks: &[(usize, usize)]) -> Vec<usize> {
    let z = plant.devices[d].zone;
    let mut v: Vec<usize> = talks
        .iter()
        .filter_map(|&(a, b)| {
            if a == d {
                Some(b)
            } else if b == d {
                Some(a)
            } else {
                None
            }
        })
        .filter(|&p| plant.devices[p].zone == z && plant.devices[p].role != Role::Router)
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// DHCP DISCOVERs from a new device that no server answers (the OT cell has none).
pub fn dhcp_dora_probe<W: Write>(ctx: &mut Ctx<W>, rng: &mut Rng, t: i64, dev: usize) {
    let d = &ctx.plant.devices[dev];
    let msg = it::Dhcp {
        kind: it::dhcp_type::DISCOVER,
        xid: rng.u32(),
        chaddr: d.mac,
        yiaddr: [0; 4],
        server: [0; 4],
        router: [0; 4],
        hostname: "DESKTOP-7Q2M1KD",
        vendor_class: "MSFT 5.0",
    };
    for i in 0..3 {
        ctx.tmp.clear();
        it::dhcp(&mut ctx.tmp, &msg);
        send_bcast(ctx, t + i * 4 * S, dev, [0; 4], [255; 4], 68, 67);
    }
}
