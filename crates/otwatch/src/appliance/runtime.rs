//! Threads and queues of the appliance (see the module docs of `appliance`).

use super::health::{Health, IfaceHealth};
use otwatch_core::{Event, EventSink, FlowRecord, OpClass, Timestamp};
use otwatch_proto::pipeline::{Dissectors, PipelineSink};
use otwatch_wire::decode::{L3, decode};
use otwatch_wire::{CaptureReader, Engine, EngineConfig, LinkType, Packet};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread;
use std::time::Duration;

/// Where packets come from.
#[derive(Clone, Debug)]
pub enum Source {
    /// Capture files in timed order. `speed`: `Some(x)` plays x times real time,
    /// `None` as fast as possible.
    Replay {
        /// Files.
        files: Vec<PathBuf>,
        /// Speed factor.
        speed: Option<f64>,
    },
    /// Live capture from interfaces.
    #[cfg(target_os = "linux")]
    Live {
        /// One ring per interface.
        ifaces: Vec<otwatch_live::LiveConfig>,
    },
}

/// What consumes the merged event stream (the learning engine and store writer).
pub trait Analyzer: Send + 'static {
    /// One event.
    fn event(&mut self, ev: Event);
    /// One flow record.
    fn flow(&mut self, rec: &FlowRecord);
    /// Packet time advanced to `now` (called about once per packet-second).
    fn tick(&mut self, now: Timestamp);
    /// The source ended or the runtime is stopping: flush everything.
    fn finish(&mut self) {}
}

/// Runtime settings.
#[derive(Clone, Debug)]
pub struct RuntimeConfig {
    /// Worker threads (shards).
    pub workers: usize,
    /// Batches queued per worker before live capture drops.
    pub worker_queue: usize,
    /// Batches queued for the learner before workers shed low-value events.
    pub learner_queue: usize,
    /// Packets per batch.
    pub batch_packets: usize,
    /// Engine limits (per worker).
    pub engine: EngineConfig,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        let cores = thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        RuntimeConfig {
            workers: cores.saturating_sub(1).max(1),
            worker_queue: 256,
            learner_queue: 256,
            batch_packets: 256,
            engine: EngineConfig::default(),
        }
    }
}

/// Packets copied out of the capture buffer, for one worker.
#[derive(Default)]
struct Batch {
    data: Vec<u8>,
    pkts: Vec<(Timestamp, LinkType, u32, u32, u32)>,
}

impl Batch {
    fn push(&mut self, p: &Packet<'_>) {
        let off = self.data.len() as u32;
        self.data.extend_from_slice(p.data);
        self.pkts
            .push((p.ts, p.link, off, p.data.len() as u32, p.orig_len));
    }
}

enum Out {
    Event(Event),
    Flow(FlowRecord),
    Tick(Timestamp),
}

struct WorkerSink {
    out: Vec<Out>,
    health: Arc<Health>,
}

impl EventSink for WorkerSink {
    fn event(&mut self, ev: Event) {
        self.out.push(Out::Event(ev));
    }
}

impl PipelineSink for WorkerSink {
    fn flow(&mut self, rec: &FlowRecord) {
        self.health.note_flow(rec);
        self.out.push(Out::Flow(rec.clone()));
    }
    fn tick(&mut self, now: Timestamp) {
        self.out.push(Out::Tick(now));
    }
}

/// Shard of a packet: a symmetric hash of its IP pair; non-IP frames go to shard 0.
pub fn shard_of(p: &Packet<'_>, n: usize) -> usize {
    if n <= 1 {
        return 0;
    }
    let d = decode(p.link, p.data);
    match d.l3 {
        L3::Ip(ip) => {
            let h = |a: std::net::IpAddr| match a {
                std::net::IpAddr::V4(v) => u32::from(v) as u64,
                std::net::IpAddr::V6(v) => {
                    let x = u128::from(v);
                    (x as u64) ^ ((x >> 64) as u64)
                }
            };
            let x = h(ip.src) ^ h(ip.dst);
            (x.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 33) as usize % n
        }
        _ => 0,
    }
}

fn send_out(tx: &SyncSender<Vec<Out>>, mut out: Vec<Out>, live: bool, health: &Health) -> bool {
    if !live {
        return tx.send(out).is_ok();
    }
    match tx.try_send(out) {
        Ok(()) => true,
        Err(TrySendError::Disconnected(_)) => false,
        Err(TrySendError::Full(back)) => {
            out = back;
            let before = out.len();
            out.retain(|o| !matches!(o, Out::Event(e) if e.op == OpClass::Read && e.kind == otwatch_core::EventKind::Transaction));
            health
                .shed_events
                .fetch_add((before - out.len()) as u64, Relaxed);
            tx.send(out).is_ok()
        }
    }
}

fn worker(
    rx: Receiver<Batch>,
    tx: SyncSender<Vec<Out>>,
    cfg: EngineConfig,
    health: Arc<Health>,
    live: bool,
) {
    let mut engine = Engine::new(cfg, Dissectors::default());
    let mut sink = WorkerSink {
        out: Vec::new(),
        health: health.clone(),
    };
    while let Ok(b) = rx.recv() {
        for &(ts, link, off, len, orig_len) in &b.pkts {
            let data = b
                .data
                .get(off as usize..(off + len) as usize)
                .unwrap_or(&[]);
            engine.process(
                &Packet {
                    ts,
                    link,
                    data,
                    orig_len,
                },
                &mut sink,
            );
        }
        if !sink.out.is_empty() && !send_out(&tx, std::mem::take(&mut sink.out), live, &health) {
            return;
        }
    }
    engine.finish(&mut sink);
    let _ = tx.send(std::mem::take(&mut sink.out));
}

struct Dispatcher {
    txs: Vec<SyncSender<Batch>>,
    batches: Vec<Batch>,
    batch_packets: usize,
    live: bool,
    health: Arc<Health>,
}

impl Dispatcher {
    fn push(&mut self, p: &Packet<'_>) {
        self.health.packets.fetch_add(1, Relaxed);
        self.health.bytes.fetch_add(p.orig_len as u64, Relaxed);
        self.health
            .last_packet_ns
            .store(p.ts.0.max(0) as u64, Relaxed);
        let s = shard_of(p, self.txs.len());
        self.batches[s].push(p);
        if self.batches[s].pkts.len() >= self.batch_packets {
            self.flush(s);
        }
    }

    fn flush(&mut self, s: usize) {
        if self.batches[s].pkts.is_empty() {
            return;
        }
        let b = std::mem::take(&mut self.batches[s]);
        if self.live {
            match self.txs[s].try_send(b) {
                Ok(()) => {}
                Err(TrySendError::Full(b)) | Err(TrySendError::Disconnected(b)) => {
                    self.health
                        .internal_drops
                        .fetch_add(b.pkts.len() as u64, Relaxed);
                }
            }
        } else {
            let _ = self.txs[s].send(b);
        }
    }

    fn flush_all(&mut self) {
        for s in 0..self.batches.len() {
            self.flush(s);
        }
    }
}

/// Runs the source through the sharded pipeline into `analyzer` until the source
/// ends (replay) or `stop` is set (live). Returns the analyzer.
pub fn run<A: Analyzer>(
    source: Source,
    cfg: RuntimeConfig,
    analyzer: A,
    health: Arc<Health>,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<A> {
    let live = !matches!(source, Source::Replay { .. });
    let (out_tx, out_rx) = sync_channel::<Vec<Out>>(cfg.learner_queue);
    let learner = thread::Builder::new()
        .name("otwatch-learner".into())
        .spawn({
            let health = health.clone();
            move || {
                let mut a = analyzer;
                let mut last_tick = i64::MIN;
                while let Ok(batch) = out_rx.recv() {
                    for o in batch {
                        match o {
                            Out::Event(e) => {
                                health.note_event(&e);
                                a.event(e);
                            }
                            Out::Flow(r) => a.flow(&r),
                            Out::Tick(t) => {
                                if t.secs() > last_tick {
                                    last_tick = t.secs();
                                    a.tick(t);
                                }
                            }
                        }
                    }
                }
                a.finish();
                a
            }
        })?;
    let mut txs = Vec::new();
    let mut workers = Vec::new();
    for i in 0..cfg.workers.max(1) {
        let (tx, rx) = sync_channel::<Batch>(cfg.worker_queue);
        txs.push(tx);
        let (otx, ecfg, h) = (out_tx.clone(), cfg.engine.clone(), health.clone());
        workers.push(
            thread::Builder::new()
                .name(format!("otwatch-worker-{i}"))
                .spawn(move || worker(rx, otx, ecfg, h, live))?,
        );
    }
    drop(out_tx);
    let n = txs.len();
    let mut disp = Dispatcher {
        txs,
        batches: (0..n).map(|_| Batch::default()).collect(),
        batch_packets: cfg.batch_packets,
        live,
        health: health.clone(),
    };
    let res = match source {
        Source::Replay { files, speed } => replay(&files, speed, &mut disp, &health, &stop),
        #[cfg(target_os = "linux")]
        Source::Live { ifaces } => live_capture(&ifaces, &mut disp, &health, &stop),
    };
    disp.flush_all();
    drop(disp);
    for w in workers {
        let _ = w.join();
    }
    let a = learner
        .join()
        .map_err(|_| anyhow::anyhow!("learner thread panicked"))?;
    res.map(|()| a)
}

#[expect(
    clippy::disallowed_methods,
    reason = "replay paces packets against the wall clock (--speed)"
)]
fn replay(
    files: &[PathBuf],
    speed: Option<f64>,
    disp: &mut Dispatcher,
    health: &Health,
    stop: &AtomicBool,
) -> anyhow::Result<()> {
    if let Ok(mut v) = health.ifaces.lock() {
        v.push(IfaceHealth {
            name: "replay".into(),
            operstate: "up".into(),
            carrier: true,
            ..IfaceHealth::default()
        });
    }
    // Merge files in timed order through the same reader the offline path uses.
    let mut readers = files
        .iter()
        .map(|p| CaptureReader::open(p))
        .collect::<Result<Vec<_>, _>>()?;
    let start_wall = std::time::Instant::now();
    let mut first_ts: Option<Timestamp> = None;
    for r in &mut readers {
        while !stop.load(Relaxed)
            && r.advance(|p| {
                if let Some(s) = speed.filter(|s| *s > 0.0) {
                    let t0 = *first_ts.get_or_insert(p.ts);
                    let due = Duration::from_secs_f64((p.ts.since(t0).max(0) as f64 / 1e9) / s);
                    let el = start_wall.elapsed();
                    if due > el {
                        // Flush queued packets before sleeping so the console stays live.
                        disp.flush_all();
                        thread::sleep(due - el);
                    }
                }
                disp.push(&p);
            })
        {}
        if let Some(d) = r.damage() {
            eprintln!("otwatch: warning: {d}; the packets before it were analyzed");
        }
    }
    Ok(())
}

#[cfg(target_os = "linux")]
fn live_capture(
    ifaces: &[otwatch_live::LiveConfig],
    disp: &mut Dispatcher,
    health: &Health,
    stop: &AtomicBool,
) -> anyhow::Result<()> {
    use anyhow::Context;
    let mut rings = Vec::new();
    for c in ifaces {
        rings.push(
            otwatch_live::AfPacket::open(c).with_context(|| format!("capture on {}", c.iface))?,
        );
    }
    if let Ok(mut v) = health.ifaces.lock() {
        *v = rings
            .iter()
            .map(|r| IfaceHealth {
                name: r.iface().to_string(),
                ..IfaceHealth::default()
            })
            .collect();
    }
    // The starting link state, so a link that goes down before the first idle poll
    // is still counted as a transition from up.
    update_iface_health(&mut rings, health);
    let mut blocks = 0u64;
    while !stop.load(Relaxed) {
        let mut got = 0;
        for r in &mut rings {
            got += r.next_block(if rings_len_one(ifaces) { 100 } else { 10 }, |p| {
                disp.push(&p)
            })?;
        }
        blocks += 1;
        if got == 0 || blocks.is_multiple_of(64) {
            disp.flush_all();
            update_iface_health(&mut rings, health);
        }
    }
    update_iface_health(&mut rings, health);
    Ok(())
}

#[cfg(target_os = "linux")]
fn rings_len_one(ifaces: &[otwatch_live::LiveConfig]) -> bool {
    ifaces.len() == 1
}

#[cfg(target_os = "linux")]
fn update_iface_health(rings: &mut [otwatch_live::AfPacket], health: &Health) {
    let Ok(mut v) = health.ifaces.lock() else {
        return;
    };
    for (r, h) in rings.iter_mut().zip(v.iter_mut()) {
        let ls = r.link_state();
        if h.operstate == "up" && ls.operstate != "up" {
            h.link_down_events += 1;
        }
        h.operstate = ls.operstate;
        h.carrier = ls.carrier;
        if let Ok(st) = r.stats() {
            h.kernel_packets = st.packets;
            h.kernel_drops = st.drops;
        }
        h.ring_usage = r.ring_usage();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Default, Clone)]
    struct Collect(Arc<Mutex<(Vec<String>, u64, u64)>>);
    impl Analyzer for Collect {
        fn event(&mut self, ev: Event) {
            self.0.lock().unwrap().0.push(format!(
                "{} {} {} {}",
                ev.proto, ev.function, ev.src, ev.dst
            ));
        }
        fn flow(&mut self, r: &FlowRecord) {
            let mut g = self.0.lock().unwrap();
            g.1 += 1;
            g.2 += r.pkts[0] + r.pkts[1];
        }
        fn tick(&mut self, _: Timestamp) {}
    }

    /// Many IP pairs of UDP and TCP traffic, so every shard gets some.
    fn write_pcap(path: &std::path::Path) -> u64 {
        let mut f = vec![
            0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0,
            0,
        ];
        let mut n = 0;
        for i in 0..2000u32 {
            let host = (i % 50) as u8 + 1;
            let mut fr = vec![0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, host, 0x08, 0x00];
            fr.extend_from_slice(&[
                0x45, 0, 0, 32, 0, 1, 0, 0, 64, 17, 0, 0, 10, 1, 0, host, 10, 2, 0, 1,
            ]);
            fr.extend_from_slice(&[0x13, 0x88, 0x13, 0x89, 0, 12, 0, 0]);
            fr.extend_from_slice(&i.to_be_bytes());
            f.extend_from_slice(&(1_700_000_000 + i / 10).to_le_bytes());
            f.extend_from_slice(&0u32.to_le_bytes());
            f.extend_from_slice(&(fr.len() as u32).to_le_bytes());
            f.extend_from_slice(&(fr.len() as u32).to_le_bytes());
            f.extend_from_slice(&fr);
            n += 1;
        }
        std::fs::write(path, f).unwrap();
        n
    }

    fn offline(files: &[PathBuf]) -> (Vec<String>, u64, u64) {
        let mut e = Engine::new(EngineConfig::default(), Dissectors::default());
        let mut c = otwatch_proto::pipeline::Collect::default();
        otwatch_wire::run_files(files, &mut e, &mut c, |_| {}).unwrap();
        let mut ev: Vec<String> = c
            .events
            .iter()
            .map(|ev| format!("{} {} {} {}", ev.proto, ev.function, ev.src, ev.dst))
            .collect();
        ev.sort();
        (
            ev,
            c.flows.len() as u64,
            c.flows.iter().map(|r| r.pkts[0] + r.pkts[1]).sum(),
        )
    }

    fn sharded(files: &[PathBuf], workers: usize) -> (Vec<String>, u64, u64, Arc<Health>) {
        let c = Collect::default();
        let h = Arc::new(Health::default());
        let cfg = RuntimeConfig {
            workers,
            ..RuntimeConfig::default()
        };
        let out = run(
            Source::Replay {
                files: files.to_vec(),
                speed: None,
            },
            cfg,
            c,
            h.clone(),
            Arc::new(AtomicBool::new(false)),
        )
        .unwrap();
        let g = out.0.lock().unwrap();
        let mut ev = g.0.clone();
        ev.sort();
        (ev, g.1, g.2, h)
    }

    #[test]
    fn sharded_replay_loses_nothing_and_matches_offline() {
        let p = std::env::temp_dir().join(format!("otwatch-shard-{}.pcap", std::process::id()));
        let n = write_pcap(&p);
        let files = vec![p.clone()];
        let (ev1, flows1, pk1) = offline(&files);
        for w in [1, 2, 3] {
            let (ev, flows, pk, h) = sharded(&files, w);
            assert_eq!(h.snapshot().packets, n);
            assert_eq!((flows, pk), (flows1, pk1), "workers={w}");
            assert_eq!(ev, ev1, "workers={w}");
            assert_eq!(h.snapshot().internal_drops, 0);
        }
        let _ = std::fs::remove_file(&p);
    }

    #[test]
    fn sharded_replay_matches_offline_on_a_corpus_file() {
        let Some(p) = otwatch_core::corpus::corpus_file(
            "lemay-modbus-covert/moving_two_files_modbus_6RTU.pcap",
        ) else {
            otwatch_core::corpus::skip_note("sharded_replay_matches_offline_on_a_corpus_file");
            return;
        };
        let files = vec![p];
        let (ev1, flows1, pk1) = offline(&files);
        let (ev, flows, pk, _) = sharded(&files, 2);
        assert!(!ev1.is_empty());
        assert_eq!((ev, flows, pk), (ev1, flows1, pk1));
    }
}
