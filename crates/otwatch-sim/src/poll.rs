//! Polling relationships: an HMI, historian or OPC client reading a server on a
//! fixed cycle over one persistent TCP connection, with the odd reconnect and
//! retransmission. Attack windows can stop it, speed it up tenfold, or route it
//! through a man in the middle.

use crate::AttackKind;
use crate::engine::{Ctx, MS, S, Task};
use crate::plant::Model;
use crate::proto::{dnp3, enip, modbus, opcua, s7};
use crate::rng::Rng;
use crate::tcp::Conn;
use std::io::{self, Write};

/// What is polled.
#[derive(Clone, Debug)]
pub enum PollKind {
    /// Modbus FC 3 of `qty` registers from 0.
    Modbus {
        /// Register count.
        qty: u16,
    },
    /// S7 read var of DB1 bytes 0..16.
    S7,
    /// CIP Read Tag.
    Enip {
        /// Tag name.
        tag: &'static str,
    },
    /// DNP3 class 1 poll, with an integrity poll every `integrity_every` polls.
    Dnp3 {
        /// Polls between integrity (class 0) polls.
        integrity_every: u64,
    },
    /// OPC UA Read of four nodes.
    OpcUa,
}

/// The static description of a polling relationship (also used by tests).
#[derive(Clone, Debug)]
pub struct PollSpec {
    /// Client device index.
    pub client: usize,
    /// Server device index.
    pub server: usize,
    /// What is polled.
    pub kind: PollKind,
    /// Period (ns).
    pub period: i64,
}

/// Relative jitter bound of a poll cycle (uniform ±1.5 %).
pub const JITTER: f64 = 0.015;
/// Probability that a request is retransmitted after the RTO.
const P_RETRANSMIT: f64 = 0.000_3;
/// Probability that the client closes and reopens its connection after a poll.
const P_RECONNECT: f64 = 0.000_02;

/// A polling task.
pub struct Poll {
    spec: PollSpec,
    rng: Rng,
    conn: Option<Conn>,
    n: u64,
    tid: u16,
    session: u32,
    ctx_id: u64,
    dnp_seq: u8,
    tseq_m: u8,
    tseq_o: u8,
    ua_seq_c: u32,
    ua_seq_s: u32,
    ua_req: u32,
    ua_token: u32,
}

impl Poll {
    /// A polling task with its PRNG stream.
    pub fn new(spec: PollSpec, seed: u64, stream: u64) -> Poll {
        let mut rng = Rng::new(seed, 0x504f_4c4c_0000 + stream);
        let tid = rng.u32() as u16;
        Poll {
            spec,
            conn: None,
            n: 0,
            tid,
            session: 0,
            ctx_id: 0,
            dnp_seq: rng.range(0, 15) as u8,
            tseq_m: 0,
            tseq_o: 0,
            ua_seq_c: 1,
            ua_seq_s: 1,
            ua_req: 1,
            ua_token: 0,
            rng,
        }
    }

    fn connect<W: Write>(&mut self, ctx: &mut Ctx<W>, t: i64) -> i64 {
        let (c, s) = (self.spec.client, self.spec.server);
        let port = match self.spec.kind {
            PollKind::Modbus { .. } => 502,
            PollKind::S7 => 102,
            PollKind::Enip { .. } => 44818,
            PollKind::Dnp3 { .. } => 20000,
            PollKind::OpcUa => 4840,
        };
        let mut conn = ctx.conn(&mut self.rng, c, s, port);
        let rtt = ctx.rtt(&mut self.rng, c, conn.s.ip);
        let mut t = conn.open(&mut ctx.out, t, rtt);
        let d = 2 * MS;
        match self.spec.kind {
            PollKind::S7 => {
                ctx.req.clear();
                ctx.resp.clear();
                s7::cotp_cr(&mut ctx.req);
                s7::cotp_cc(&mut ctx.resp);
                t = conn.exchange(&mut ctx.out, t + MS, &ctx.req, &ctx.resp, d, 0, false);
                ctx.req.clear();
                ctx.resp.clear();
                self.tid = self.tid.wrapping_add(1);
                s7::setup_req(&mut ctx.req, self.tid);
                s7::setup_resp(&mut ctx.resp, self.tid);
                t = conn.exchange(&mut ctx.out, t + MS, &ctx.req, &ctx.resp, d, 40 * MS, false);
            }
            PollKind::Enip { .. } => {
                ctx.req.clear();
                ctx.resp.clear();
                self.session = self.rng.u32() | 1;
                enip::register_session(&mut ctx.req, 0, 0);
                enip::register_session(&mut ctx.resp, self.session, 0);
                t = conn.exchange(&mut ctx.out, t + MS, &ctx.req, &ctx.resp, d, 40 * MS, false);
            }
            PollKind::OpcUa => {
                let url = format!("opc.tcp://{}:4840", crate::plant::ip_str(conn.s.ip));
                let now = opcua::datetime(t);
                ctx.req.clear();
                ctx.resp.clear();
                opcua::hello(&mut ctx.req, &url);
                opcua::ack(&mut ctx.resp);
                t = conn.exchange(&mut ctx.out, t + MS, &ctx.req, &ctx.resp, d, 0, false);
                ctx.req.clear();
                ctx.resp.clear();
                self.ua_seq_c = 1;
                self.ua_seq_s = 1;
                self.ua_req = 1;
                let channel = self.rng.range(1, 1 << 20) as u32;
                opcua::open_req(&mut ctx.req, self.ua_seq_c, self.ua_req, now);
                opcua::open_resp(&mut ctx.resp, channel, 1, self.ua_seq_s, self.ua_req, now);
                t = conn.exchange(&mut ctx.out, t + MS, &ctx.req, &ctx.resp, d, 0, false);
                self.session = channel;
                self.ua_token = self.rng.u32() | 1;
                let sess = self.rng.u32();
                self.ua_step();
                let ch = self.chan(false);
                ctx.req.clear();
                ctx.resp.clear();
                let name = ctx.plant.devices[self.spec.client].name;
                opcua::create_session_req(&mut ctx.req, ch, now, &url, name);
                opcua::create_session_resp(
                    &mut ctx.resp,
                    self.chan(true),
                    now,
                    sess,
                    self.ua_token,
                );
                t = conn.exchange(&mut ctx.out, t + MS, &ctx.req, &ctx.resp, d, 0, false);
                self.ua_step();
                ctx.req.clear();
                ctx.resp.clear();
                opcua::activate_session_req(&mut ctx.req, self.chan(false), now, self.ua_token);
                opcua::activate_session_resp(&mut ctx.resp, self.chan(true), now);
                t = conn.exchange(&mut ctx.out, t + MS, &ctx.req, &ctx.resp, d, 40 * MS, false);
            }
            _ => {}
        }
        self.conn = Some(conn);
        t
    }

    fn ua_step(&mut self) {
        self.ua_seq_c += 1;
        self.ua_seq_s += 1;
        self.ua_req += 1;
    }

    fn chan(&self, server: bool) -> opcua::Chan {
        opcua::Chan {
            channel: self.session,
            token: 1,
            seq: if server { self.ua_seq_s } else { self.ua_seq_c },
            req_id: self.ua_req,
        }
    }

    /// Builds request and response of one poll into the context's buffers.
    fn build<W: Write>(&mut self, ctx: &mut Ctx<W>, t: i64) {
        ctx.req.clear();
        ctx.resp.clear();
        let srv = self.spec.server;
        match self.spec.kind {
            PollKind::Modbus { qty } => {
                self.tid = self.tid.wrapping_add(1);
                let mut regs = [0u16; 20];
                ctx.procs[srv].registers(t, &mut regs);
                let q = qty.min(20) as usize;
                modbus::read_holding_req(&mut ctx.req, self.tid, 1, 0, q as u16);
                modbus::read_regs_resp(&mut ctx.resp, self.tid, 1, 3, &regs[..q]);
            }
            PollKind::S7 => {
                self.tid = self.tid.wrapping_add(1);
                let p = &mut ctx.procs[srv];
                p.update(t);
                let vals = [p.level(t), p.temp(), p.pressure(t), p.flow(t)];
                let mut data = [0u8; 16];
                for (i, v) in vals.iter().enumerate() {
                    data[i * 4..i * 4 + 4].copy_from_slice(&(*v as f32).to_be_bytes());
                }
                s7::read_var_req(&mut ctx.req, self.tid, 1, 0, 16);
                s7::read_var_resp(&mut ctx.resp, self.tid, &data);
            }
            PollKind::Enip { tag } => {
                self.ctx_id += 1;
                let p = &mut ctx.procs[srv];
                p.update(t);
                let v = if tag == "Tank_Level" {
                    p.level(t)
                } else {
                    p.flow(t)
                };
                enip::read_tag_req(&mut ctx.req, self.session, self.ctx_id, tag);
                enip::read_tag_resp(&mut ctx.resp, self.session, self.ctx_id, v as f32);
            }
            PollKind::Dnp3 { integrity_every } => {
                let (master, out) = (
                    1u16,
                    match ctx.plant.devices[srv].model {
                        Model::Dnp3 { addr } => addr,
                        _ => 10,
                    },
                );
                self.dnp_seq = (self.dnp_seq + 1) & 0x0f;
                let integrity = self.n.is_multiple_of(integrity_every.max(1));
                let p = &mut ctx.procs[srv];
                p.update(t);
                let vals = [
                    (p.level(t) * 100.0) as i32,
                    (p.temp() * 100.0) as i32,
                    (p.pressure(t) * 1000.0) as i32,
                    (p.flow(t) * 10.0) as i32,
                ];
                let states = p.breakers;
                let tmp = &mut ctx.tmp;
                tmp.clear();
                dnp3::app_req(tmp, self.dnp_seq, dnp3::fc::READ);
                if integrity {
                    dnp3::class_read(tmp, &[1, 2, 3, 0]);
                } else {
                    dnp3::class_read(tmp, &[1]);
                }
                dnp3::frame(&mut ctx.req, true, out, master, self.tseq_m, tmp);
                self.tseq_m = self.tseq_m.wrapping_add(1);
                tmp.clear();
                dnp3::app_resp(tmp, self.dnp_seq, 0x0000);
                if integrity {
                    dnp3::g1v2(tmp, &states);
                    dnp3::g30v1(tmp, &vals);
                } else if self.rng.chance(0.3) {
                    let i = self.rng.range(0, 3) as usize;
                    dnp3::g32v1(tmp, &[(i as u8, vals[i])]);
                }
                dnp3::frame(&mut ctx.resp, false, master, out, self.tseq_o, tmp);
                self.tseq_o = self.tseq_o.wrapping_add(1);
            }
            PollKind::OpcUa => {
                self.ua_step();
                let now = opcua::datetime(t);
                let p = &mut ctx.procs[srv];
                p.update(t);
                let vals = [p.level(t), p.temp(), p.pressure(t), p.flow(t)];
                opcua::read_req(
                    &mut ctx.req,
                    self.chan(false),
                    now,
                    self.ua_token,
                    &[1001, 1002, 1003, 1004],
                );
                opcua::read_resp(&mut ctx.resp, self.chan(true), now, &vals);
            }
        }
    }

    fn period_at<W: Write>(&self, ctx: &Ctx<W>, t: i64) -> i64 {
        let (c, s) = (self.spec.client, self.spec.server);
        if ctx.plan.active(AttackKind::PollingFast, t, c, s).is_some() {
            self.spec.period / 10
        } else {
            self.spec.period
        }
    }
}

impl<W: Write> Task<W> for Poll {
    fn run(&mut self, ctx: &mut Ctx<W>, t: i64) -> io::Result<Option<i64>> {
        let (c, s) = (self.spec.client, self.spec.server);
        if let Some(w) = ctx.plan.active(AttackKind::PollingStopped, t, c, s) {
            // The poller hangs; its connection is reset when it comes back.
            let resume = w.end + self.spec.period;
            if let Some(mut conn) = self.conn.take() {
                conn.seg(
                    &mut ctx.out,
                    t,
                    crate::tcp::Dir::C2S,
                    crate::wire::flags::RST | crate::wire::flags::ACK,
                    &[],
                );
            }
            return Ok(Some(resume));
        }
        let mut start = t;
        if self.conn.is_none() {
            start = self.connect(ctx, t) + 50 * MS;
        }
        let mitm = ctx
            .plan
            .active_target(AttackKind::ArpSpoof, t, s)
            .filter(|_| ctx.plant.devices[c].zone != ctx.plant.devices[s].zone)
            .map(|_| ctx.plant.devices[ctx.plan.attacker].mac);
        self.build(ctx, start);
        let retrans = self.rng.chance(P_RETRANSMIT);
        let rtt = ctx.rtt(&mut self.rng, c, ctx.plant.devices[s].ip);
        let proc_delay = self.rng.range(1_500_000, 6_000_000) as i64;
        let ack = 35 * MS + self.rng.range(0, 10 * MS as u64) as i64;
        let Some(conn) = self.conn.as_mut() else {
            return Ok(Some(t + self.spec.period));
        };
        conn.mitm = mitm;
        conn.exchange(
            &mut ctx.out,
            start,
            &ctx.req,
            &ctx.resp,
            rtt + proc_delay,
            ack,
            retrans,
        );
        self.n += 1;
        if self.rng.chance(P_RECONNECT) {
            let end = conn.busy_until + 100 * MS;
            conn.close(&mut ctx.out, end, rtt);
            self.conn = None;
        }
        let period = self.period_at(ctx, t) as f64;
        let j = self.rng.uniform(-JITTER, JITTER);
        Ok(Some(t + (period * (1.0 + j)) as i64))
    }
}

/// Default seconds of a cycle in whole seconds (for docs/tests).
pub fn secs(p: i64) -> f64 {
    p as f64 / S as f64
}
