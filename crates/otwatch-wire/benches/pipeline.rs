//! Throughput of read + decode + flows + reassembly (no dissectors), in packets per
//! second, over corpus files read from the page cache.
//!
//! Run: `OTWATCH_CORPUS=../shared/pcaps cargo bench -p otwatch-wire --bench pipeline`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use otwatch_core::Event;
use otwatch_wire::{Engine, EngineConfig, NullFactory, run_files};
use std::path::PathBuf;

const FILES: &[&str] = &[
    "iti-ics-security-tools/s7/s7comm_varservice_libnodavedemo_bench.pcap",
    "malcolm-pcap/protocols/Synchrophasor.pcap",
    "qut-dnp3-2017/Injection/training/frequent/attacker.pcap",
    "emreekin-ics-pcaps/CIP/CIPvalue.pcap",
];

fn bench(c: &mut Criterion) {
    let Some(dir) = otwatch_core::corpus::corpus_dir() else {
        eprintln!("OTWATCH_CORPUS unset: no corpus benchmark");
        return;
    };
    let mut g = c.benchmark_group("read_decode_flows_reassembly");
    g.sample_size(20);
    for f in FILES {
        let p: PathBuf = dir.join(f);
        if !p.is_file() {
            continue;
        }
        let (n, _) = otwatch_wire::source::count_packets(&p).expect("readable");
        g.throughput(Throughput::Elements(n));
        g.bench_function(f.rsplit('/').next().unwrap_or(f), |b| {
            b.iter(|| {
                let mut e = Engine::new(EngineConfig::default(), NullFactory);
                let mut sink: Vec<Event> = Vec::new();
                let r =
                    run_files(std::slice::from_ref(&p), &mut e, &mut sink, |_| {}).expect("run");
                assert_eq!(r.packets(), n);
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
