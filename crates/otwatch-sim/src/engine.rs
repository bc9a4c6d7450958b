//! The event loop: tasks scheduled in packet time, each emitting frames through
//! the time-ordered output. Every task owns its own PRNG stream, so adding or
//! removing an attack does not change the benign traffic before it.

use crate::attacks::Plan;
use crate::plant::Plant;
use crate::rng::Rng;
use crate::tcp::{Conn, Side};
use crate::wire::Out;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{self, Write};

/// Nanoseconds per second.
pub const S: i64 = 1_000_000_000;
/// Nanoseconds per millisecond.
pub const MS: i64 = 1_000_000;

/// Slowly varying process values of one device.
#[derive(Clone, Debug)]
pub struct Process {
    rng: Rng,
    last: i64,
    phase: f64,
    temp: f64,
    /// Breaker / pump states.
    pub breakers: [bool; 4],
    /// Setpoint register (written by the engineering workstation).
    pub setpoint: u16,
    /// Second setpoint pair (FC 16 writes).
    pub limits: [u16; 2],
    /// Heartbeat counter.
    pub counter: u16,
}

impl Process {
    /// A process with its own PRNG stream.
    pub fn new(seed: u64, idx: u64) -> Process {
        let mut rng = Rng::new(seed, 0x5052_4f43_0000 + idx);
        let phase = rng.uniform(0.0, std::f64::consts::TAU);
        let temp = rng.uniform(65.0, 75.0);
        Process {
            rng,
            last: 0,
            phase,
            temp,
            breakers: [true, true, false, true],
            setpoint: 500,
            limits: [480, 520],
            counter: 0,
        }
    }
    /// Advances the random walk and the rare breaker changes to `t`.
    pub fn update(&mut self, t: i64) {
        let dt = if self.last == 0 {
            0.0
        } else {
            (t - self.last) as f64 / S as f64
        };
        self.last = t;
        if dt <= 0.0 {
            return;
        }
        self.temp += self.rng.normal() * 0.03 * dt.sqrt();
        if self.temp > 80.0 {
            self.temp = 160.0 - self.temp;
        }
        if self.temp < 60.0 {
            self.temp = 120.0 - self.temp;
        }
        for b in self.breakers.iter_mut().skip(2) {
            // A pump or breaker changes a few times a day.
            if self.rng.chance(dt / 21_600.0) {
                *b = !*b;
            }
        }
        self.counter = self.counter.wrapping_add(1);
    }
    /// Tank level in percent: a slow fill/drain cycle plus noise.
    pub fn level(&mut self, t: i64) -> f64 {
        let x = t as f64 / S as f64;
        50.0 + 25.0 * (std::f64::consts::TAU * x / 7200.0 + self.phase).sin()
            + self.rng.normal() * 0.15
    }
    /// Temperature in °C.
    pub fn temp(&self) -> f64 {
        self.temp
    }
    /// Pressure in bar.
    pub fn pressure(&mut self, t: i64) -> f64 {
        let x = t as f64 / S as f64;
        4.0 + 0.4 * (std::f64::consts::TAU * x / 900.0 + 2.0 * self.phase).sin()
            + self.rng.normal() * 0.01
    }
    /// Flow in m³/h.
    pub fn flow(&mut self, t: i64) -> f64 {
        let x = t as f64 / S as f64;
        120.0
            + 12.0 * (std::f64::consts::TAU * x / 3600.0 + self.phase).cos()
            + self.rng.normal() * 0.5
    }
    /// The first `n` holding registers of a Modbus PLC's map (n ≤ 20).
    pub fn registers(&mut self, t: i64, out: &mut [u16; 20]) {
        self.update(t);
        out[0] = (self.level(t) * 10.0) as u16;
        out[1] = (self.temp() * 10.0) as u16;
        out[2] = (self.pressure(t) * 100.0) as u16;
        out[3] = (self.flow(t) * 10.0) as u16;
        out[4] = u16::from(self.breakers[2]);
        out[5] = u16::from(self.breakers[3]) * 100;
        out[6] = 0;
        out[7] = self.setpoint;
        out[8] = self.limits[0];
        out[9] = self.counter;
        for (i, r) in out.iter_mut().enumerate().skip(10) {
            *r = 1000 + i as u16 + u16::from(self.breakers[i % 4]);
        }
    }
}

/// Shared state handed to every task.
pub struct Ctx<W: Write> {
    /// Time-ordered output.
    pub out: Out<W>,
    /// The plant.
    pub plant: Plant,
    /// Process values per device index.
    pub procs: Vec<Process>,
    /// Attack plan.
    pub plan: Plan,
    /// Request scratch buffer.
    pub req: Vec<u8>,
    /// Response scratch buffer.
    pub resp: Vec<u8>,
    /// Extra scratch buffer.
    pub tmp: Vec<u8>,
    /// Start of the simulation.
    pub start: i64,
    /// End of the simulation.
    pub end: i64,
    /// Next ephemeral port per device.
    pub ports: Vec<u16>,
    /// Time from which the ENIP PLC reports its new firmware (firmware_change).
    pub fw_changed_at: Option<i64>,
}

impl<W: Write> Ctx<W> {
    /// A fresh ephemeral port of device `d`.
    pub fn port(&mut self, d: usize) -> u16 {
        let windows = self.plant.devices[d].ttl == 128;
        let (lo, hi) = if windows {
            (49_152, 65_535)
        } else {
            (32_768, 60_999)
        };
        let mut p = self.ports[d];
        if p < lo || p > hi {
            p = lo + p % 1000;
        }
        self.ports[d] = if p >= hi { lo } else { p + 1 };
        p
    }

    /// A closed TCP connection from device `c` to device `s` on `dport`.
    pub fn conn(&mut self, rng: &mut Rng, c: usize, s: usize, dport: u16) -> Conn {
        let sip = self.plant.devices[s].ip;
        self.conn_to(rng, c, sip, s, dport)
    }

    /// A closed TCP connection from device `c` to address `sip` (whose device, for
    /// the reverse path, is `s`; for public addresses pass the router's index).
    pub fn conn_to(&mut self, rng: &mut Rng, c: usize, sip: [u8; 4], s: usize, dport: u16) -> Conn {
        let cip = self.plant.devices[c].ip;
        let (cm, cdm, cttl) = self.plant.path(c, sip);
        let (sm, sdm, sttl) = if crate::plant::Plant::zone_of(sip) == crate::plant::Z_EXT {
            // A public server, seen arriving from the router on the client's segment.
            (cdm, cm, 52)
        } else {
            self.plant.path(s, cip)
        };
        let cwin = if self.plant.devices[c].ttl == 128 {
            64_240
        } else {
            29_200
        };
        let swin = match self.plant.devices[s].ttl {
            128 => 65_535,
            30 => 4_096,
            _ => 8_192,
        };
        let sport = self.port(c);
        Conn::new(
            Side {
                ip: cip,
                port: sport,
                mac: cm,
                dst_mac: cdm,
                seq: rng.u32(),
                ip_id: rng.u32() as u16,
                ttl: cttl,
                win: cwin,
            },
            Side {
                ip: sip,
                port: dport,
                mac: sm,
                dst_mac: sdm,
                seq: rng.u32(),
                ip_id: rng.u32() as u16,
                ttl: sttl,
                win: swin,
            },
        )
    }

    /// One-way propagation-plus-stack delay between two devices (ns).
    pub fn rtt(&self, rng: &mut Rng, a: usize, b_ip: [u8; 4]) -> i64 {
        let same = self.plant.devices[a].zone == Plant::zone_of(b_ip);
        let base = if same { 180_000 } else { 450_000 };
        base + rng.range(0, 250_000) as i64
    }
}

/// Something that runs at scheduled instants.
pub trait Task<W: Write> {
    /// Runs at `t`; returns the next instant, or `None` when done.
    fn run(&mut self, ctx: &mut Ctx<W>, t: i64) -> io::Result<Option<i64>>;
}

/// The scheduler.
pub struct Engine<W: Write> {
    /// Shared context.
    pub ctx: Ctx<W>,
    tasks: Vec<Box<dyn Task<W>>>,
    queue: BinaryHeap<Reverse<(i64, usize)>>,
}

impl<W: Write> Engine<W> {
    /// An engine over a context.
    pub fn new(ctx: Ctx<W>) -> Self {
        Engine {
            ctx,
            tasks: Vec::new(),
            queue: BinaryHeap::new(),
        }
    }
    /// Adds a task first run at `t`.
    pub fn add(&mut self, t: i64, task: Box<dyn Task<W>>) {
        let id = self.tasks.len();
        self.tasks.push(task);
        self.queue.push(Reverse((t, id)));
    }
    /// Runs every task until the end of the simulation.
    pub fn run(mut self) -> io::Result<Ctx<W>> {
        while let Some(Reverse((t, id))) = self.queue.pop() {
            if t >= self.ctx.end {
                break;
            }
            self.ctx.out.flush_until(t)?;
            if let Some(next) = self.tasks[id].run(&mut self.ctx, t)? {
                self.queue.push(Reverse((next.max(t + 1), id)));
            }
        }
        Ok(self.ctx)
    }
}
