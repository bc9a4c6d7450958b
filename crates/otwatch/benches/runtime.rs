//! Throughput of the sharded appliance runtime (replay at maximum speed through
//! decode, flows, reassembly and every dissector) with 1, 2 and 3 workers, on a
//! simulated plant (6 simulated hours, generated once into the temp dir).
//!
//! Run: `cargo bench -p otwatch --bench runtime`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use otwatch::appliance::{Analyzer, Health, RuntimeConfig, Source, run};
use otwatch_core::{Event, FlowRecord, Timestamp};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

struct Count(u64);
impl Analyzer for Count {
    fn event(&mut self, _: Event) {
        self.0 += 1;
    }
    fn flow(&mut self, _: &FlowRecord) {}
    fn tick(&mut self, _: Timestamp) {}
}

fn bench(c: &mut Criterion) {
    let p = std::env::temp_dir().join("otwatch-bench-plant.pcap");
    let cfg = otwatch_sim::SimConfig::new(0.25, 3);
    let out = otwatch_sim::simulate(
        &cfg,
        std::io::BufWriter::new(std::fs::File::create(&p).unwrap()),
    )
    .unwrap();
    let mut g = c.benchmark_group("runtime_replay_max");
    g.sample_size(10);
    g.throughput(Throughput::Elements(out.packets));
    for w in [1usize, 2, 3] {
        g.bench_function(format!("{w}_workers"), |b| {
            b.iter(|| {
                let h = Arc::new(Health::default());
                let rc = RuntimeConfig {
                    workers: w,
                    ..RuntimeConfig::default()
                };
                let r = run(
                    Source::Replay {
                        files: vec![p.clone()],
                        speed: None,
                    },
                    rc,
                    Count(0),
                    h.clone(),
                    Arc::new(AtomicBool::new(false)),
                )
                .unwrap();
                assert!(r.0 > 0);
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
