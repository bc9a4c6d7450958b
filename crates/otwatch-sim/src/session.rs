//! Short-lived sessions: an engineering workstation (or an attacker) connecting,
//! doing a few operations, and closing. Each returns the time of its last frame.

use crate::engine::{Ctx, MS};
use crate::plant::Model;
use crate::proto::{dnp3, enip, modbus, s7};
use crate::rng::Rng;
use crate::tcp::{Conn, Dir};
use crate::wire::flags;
use std::io::Write;

fn ex<W: Write>(ctx: &mut Ctx<W>, conn: &mut Conn, rng: &mut Rng, t: i64, ack: bool) -> i64 {
    let d = ctx.rtt(rng, 0, conn.s.ip) + rng.range(1_000_000, 5_000_000) as i64;
    let a = if ack { 40 * MS } else { 0 };
    conn.exchange(&mut ctx.out, t, &ctx.req, &ctx.resp, d, a, false)
}

fn open<W: Write>(
    ctx: &mut Ctx<W>,
    rng: &mut Rng,
    c: usize,
    s: usize,
    port: u16,
    t: i64,
) -> (Conn, i64) {
    let mut conn = ctx.conn(rng, c, s, port);
    let rtt = ctx.rtt(rng, c, conn.s.ip);
    let t = conn.open(&mut ctx.out, t, rtt);
    (conn, t)
}

fn think(rng: &mut Rng, lo_ms: u64, hi_ms: u64) -> i64 {
    rng.range(lo_ms, hi_ms) as i64 * MS
}

/// A Modbus engineering session: read the setpoint, write `values` at `addr`
/// (FC 6 for one value, FC 16 for several), read back, close.
#[allow(
    clippy::too_many_arguments,
    reason = "a session is described by its parameters"
)]
pub fn modbus_write<W: Write>(
    ctx: &mut Ctx<W>,
    rng: &mut Rng,
    c: usize,
    s: usize,
    t: i64,
    addr: u16,
    values: &[u16],
) -> i64 {
    let (mut conn, mut t) = open(ctx, rng, c, s, 502, t);
    let mut tid = rng.range(1, 200) as u16;
    for step in 0..3 {
        ctx.req.clear();
        ctx.resp.clear();
        if step == 1 {
            if let [v] = values {
                modbus::write_single(&mut ctx.req, tid, 1, addr, *v);
                modbus::write_single(&mut ctx.resp, tid, 1, addr, *v);
            } else {
                modbus::write_multiple_req(&mut ctx.req, tid, 1, addr, values);
                modbus::write_multiple_resp(&mut ctx.resp, tid, 1, addr, values.len() as u16);
            }
            let p = &mut ctx.procs[s];
            if addr == 100 {
                p.setpoint = values.first().copied().unwrap_or(p.setpoint);
            } else if addr == 101 {
                for (d, v) in p.limits.iter_mut().zip(values) {
                    *d = *v;
                }
            }
        } else {
            let p = &ctx.procs[s];
            let cur: Vec<u16> = if addr == 100 {
                vec![p.setpoint]
            } else {
                p.limits.iter().copied().take(values.len()).collect()
            };
            modbus::read_holding_req(&mut ctx.req, tid, 1, addr, cur.len() as u16);
            modbus::read_regs_resp(&mut ctx.resp, tid, 1, 3, &cur);
        }
        t = {
            let th = think(rng, 300, 4000);
            ex(ctx, &mut conn, rng, t + th, true)
        };
        tid = tid.wrapping_add(1);
    }
    let rtt = ctx.rtt(rng, c, conn.s.ip);
    conn.close(&mut ctx.out, t + think(rng, 500, 2000), rtt)
}

/// One step of an S7 session.
#[derive(Copy, Clone, Debug)]
pub enum S7Op {
    /// Read SZL 0x0011 (module identification).
    Szl,
    /// Read DB1 bytes 0..16.
    Read,
    /// Write the setpoint (DB1.DBW20).
    Write(u16),
    /// PLC stop.
    Stop,
    /// Download OB `n` (request download, PLC-driven download blocks, download ended).
    Download(u16),
}

/// An S7 session: COTP, setup communication, the operations, close.
pub fn s7_session<W: Write>(
    ctx: &mut Ctx<W>,
    rng: &mut Rng,
    c: usize,
    s: usize,
    t: i64,
    ops: &[S7Op],
) -> i64 {
    let (mut conn, mut t) = open(ctx, rng, c, s, 102, t);
    ctx.req.clear();
    ctx.resp.clear();
    s7::cotp_cr(&mut ctx.req);
    s7::cotp_cc(&mut ctx.resp);
    t = ex(ctx, &mut conn, rng, t + MS, false);
    let mut r = rng.range(1, 1000) as u16;
    ctx.req.clear();
    ctx.resp.clear();
    s7::setup_req(&mut ctx.req, r);
    s7::setup_resp(&mut ctx.resp, r);
    t = ex(ctx, &mut conn, rng, t + MS, true);
    let (order, fw) = match ctx.plant.devices[s].model {
        Model::S7 { order, fw } => (order, fw),
        _ => ("6ES7 000-0AA00-0AA0", (1, 0, 0)),
    };
    for op in ops {
        r = r.wrapping_add(1);
        ctx.req.clear();
        ctx.resp.clear();
        t += think(rng, 400, 3000);
        match *op {
            S7Op::Szl => {
                s7::szl_req(&mut ctx.req, r, 0x0011, 0x0000);
                s7::szl_0011_resp(&mut ctx.resp, r, order, fw);
            }
            S7Op::Read => {
                let p = &mut ctx.procs[s];
                p.update(t);
                let mut data = [0u8; 16];
                let vals = [p.level(t), p.temp(), p.pressure(t), p.flow(t)];
                for (i, v) in vals.iter().enumerate() {
                    data[i * 4..i * 4 + 4].copy_from_slice(&(*v as f32).to_be_bytes());
                }
                s7::read_var_req(&mut ctx.req, r, 1, 0, 16);
                s7::read_var_resp(&mut ctx.resp, r, &data);
            }
            S7Op::Write(v) => {
                s7::write_var_req(&mut ctx.req, r, 1, 20, &v.to_be_bytes());
                s7::write_var_resp(&mut ctx.resp, r);
                ctx.procs[s].setpoint = v;
            }
            S7Op::Stop => {
                s7::plc_stop_req(&mut ctx.req, r);
                s7::func_ack(&mut ctx.resp, r, s7::F_PLC_STOP);
            }
            S7Op::Download(block) => {
                s7::request_download_req(&mut ctx.req, r, block, 256, 128);
                s7::func_ack(&mut ctx.resp, r, s7::F_REQUEST_DOWNLOAD);
                t = ex(ctx, &mut conn, rng, t, false);
                // The PLC pulls the block in parts, then ends the download.
                let mut part = [0u8; 120];
                for i in 0..3 {
                    r = r.wrapping_add(1);
                    ctx.req.clear();
                    ctx.resp.clear();
                    rng.fill(&mut part);
                    s7::download_block_req(&mut ctx.req, r, block);
                    s7::download_block_resp(&mut ctx.resp, r, &part, i < 2);
                    t = server_job(ctx, &mut conn, rng, t + 5 * MS);
                }
                r = r.wrapping_add(1);
                ctx.req.clear();
                ctx.resp.clear();
                s7::download_ended_req(&mut ctx.req, r, block);
                s7::func_ack(&mut ctx.resp, r, s7::F_DOWNLOAD_ENDED);
                t = server_job(ctx, &mut conn, rng, t + 5 * MS);
                continue;
            }
        }
        t = ex(ctx, &mut conn, rng, t, true);
    }
    let rtt = ctx.rtt(rng, c, conn.s.ip);
    conn.close(&mut ctx.out, t + think(rng, 300, 1500), rtt)
}

/// The server sends `ctx.req` as a job and the client answers with `ctx.resp`.
fn server_job<W: Write>(ctx: &mut Ctx<W>, conn: &mut Conn, rng: &mut Rng, t: i64) -> i64 {
    let t = conn.seg(&mut ctx.out, t, Dir::S2C, flags::PSH | flags::ACK, &ctx.req);
    let d = rng.range(300_000, 2_000_000) as i64;
    conn.seg(
        &mut ctx.out,
        t + d,
        Dir::C2S,
        flags::PSH | flags::ACK,
        &ctx.resp,
    )
}

/// An EtherNet/IP engineering session: register, read the identity revision, and
/// optionally reset the device (the final step of a firmware update).
pub fn enip_session<W: Write>(
    ctx: &mut Ctx<W>,
    rng: &mut Rng,
    c: usize,
    s: usize,
    t: i64,
    reset: bool,
) -> i64 {
    let (mut conn, mut t) = open(ctx, rng, c, s, 44818, t);
    let session = rng.u32() | 1;
    ctx.req.clear();
    ctx.resp.clear();
    enip::register_session(&mut ctx.req, 0, 1);
    enip::register_session(&mut ctx.resp, session, 1);
    t = ex(ctx, &mut conn, rng, t + MS, false);
    let rev = enip_revision(ctx, s, t);
    ctx.req.clear();
    ctx.resp.clear();
    enip::get_attr_single_req(&mut ctx.req, session, 2, 0x01, 0x01, 0x04);
    enip::cip_reply(&mut ctx.resp, session, 2, 0x0e, &[rev.0, rev.1]);
    t = {
        let th = think(rng, 200, 1500);
        ex(ctx, &mut conn, rng, t + th, true)
    };
    if reset {
        ctx.req.clear();
        ctx.resp.clear();
        enip::reset_req(&mut ctx.req, session, 3);
        enip::cip_reply(&mut ctx.resp, session, 3, 0x05, &[]);
        t = {
            let th = think(rng, 2000, 5000);
            ex(ctx, &mut conn, rng, t + th, true)
        };
        ctx.fw_changed_at = Some(t);
    }
    let rtt = ctx.rtt(rng, c, conn.s.ip);
    conn.close(&mut ctx.out, t + think(rng, 300, 1500), rtt)
}

/// The CIP revision a device reports at `t` (changes after a firmware update).
pub fn enip_revision<W: Write>(ctx: &Ctx<W>, s: usize, t: i64) -> (u8, u8) {
    let rev = match ctx.plant.devices[s].model {
        Model::Enip { rev, .. } => rev,
        _ => (1, 1),
    };
    match ctx.fw_changed_at {
        Some(at) if t >= at => (rev.0 + 1, 2),
        _ => rev,
    }
}

/// A DNP3 session from a foreign master: one request (cold restart or CROB).
pub fn dnp3_session<W: Write>(
    ctx: &mut Ctx<W>,
    rng: &mut Rng,
    c: usize,
    s: usize,
    t: i64,
    cold_restart: bool,
) -> i64 {
    let (mut conn, t) = open(ctx, rng, c, s, 20000, t);
    let out = match ctx.plant.devices[s].model {
        Model::Dnp3 { addr } => addr,
        _ => 10,
    };
    let seq = rng.range(0, 15) as u8;
    ctx.req.clear();
    ctx.resp.clear();
    ctx.tmp.clear();
    if cold_restart {
        dnp3::app_req(&mut ctx.tmp, seq, dnp3::fc::COLD_RESTART);
    } else {
        dnp3::app_req(&mut ctx.tmp, seq, dnp3::fc::DIRECT_OPERATE);
        dnp3::g12v1(&mut ctx.tmp, 0, 0x41, 0);
    }
    dnp3::frame(&mut ctx.req, true, out, 1, 0, &ctx.tmp);
    ctx.tmp.clear();
    dnp3::app_resp(&mut ctx.tmp, seq, 0x0000);
    if cold_restart {
        dnp3::g52v2(&mut ctx.tmp, 5000);
    } else {
        dnp3::g12v1(&mut ctx.tmp, 0, 0x41, 0);
    }
    dnp3::frame(&mut ctx.resp, false, 1, out, 0, &ctx.tmp);
    let t = ex(ctx, &mut conn, rng, t + 2 * MS, true);
    let rtt = ctx.rtt(rng, c, conn.s.ip);
    conn.close(&mut ctx.out, t + think(rng, 200, 800), rtt)
}
