//! Replays every input the fuzzers ever crashed on (tests/fuzz-regressions/<target>/)
//! through the same code as the fuzz target, so plain `cargo test` keeps them fixed.

use otwatch_core::{Event, Timestamp};
use otwatch_wire::reasm::{Chunk, DirState, ReasmBudget};
use otwatch_wire::{CaptureReader, Engine, EngineConfig, LinkType, NullFactory, Packet};

fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-regressions")
        .join(target);
    let mut v: Vec<_> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| {
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        std::fs::read(e.path()).unwrap(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Same as fuzz/fuzz_targets/wire_engine.rs (with the null factory; the proto crate
/// replays its own targets).
fn engine_frames(data: &[u8]) {
    let mut e = Engine::new(
        EngineConfig {
            max_flows: 64,
            ..EngineConfig::default()
        },
        NullFactory,
    );
    let mut sink: Vec<Event> = Vec::new();
    let mut rest = data;
    let mut t = 1_000_000_000i64;
    while rest.len() >= 3 {
        let n = (u16::from_be_bytes([rest[0], rest[1]]) as usize).min(rest.len() - 2);
        t += (rest[2] as i64) * 50_000_000;
        let frame = &rest[2..2 + n];
        e.process(
            &Packet {
                ts: Timestamp(t),
                link: LinkType::Ethernet,
                data: frame,
                orig_len: n as u32,
            },
            &mut sink,
        );
        rest = &rest[2 + n..];
    }
    e.finish(&mut sink);
}

#[test]
fn wire_engine_regressions() {
    let v = inputs("wire_engine");
    assert!(!v.is_empty(), "the frag overlap crash input must be kept");
    for (_, d) in v {
        engine_frames(&d);
    }
}

#[test]
fn wire_capture_regressions() {
    for (_, d) in inputs("wire_capture") {
        if let Ok(mut r) = CaptureReader::from_bytes("fuzz", d) {
            let mut e = Engine::new(EngineConfig::default(), NullFactory);
            let mut sink: Vec<Event> = Vec::new();
            while r.advance(|p| e.process(&p, &mut sink)) {}
            e.finish(&mut sink);
        }
    }
}

#[test]
fn wire_decode_regressions() {
    for (_, d) in inputs("wire_decode") {
        for l in [
            LinkType::Ethernet,
            LinkType::Raw,
            LinkType::Null,
            LinkType::LinuxSll,
            LinkType::LinuxSll2,
        ] {
            let _ = otwatch_wire::decode::decode(l, &d);
        }
    }
}

#[test]
fn wire_reasm_regressions() {
    for (_, d) in inputs("wire_reasm") {
        let mut st = DirState::default();
        let mut budget = ReasmBudget::new(1 << 20);
        let mut rest = &d[..];
        while rest.len() >= 4 {
            let seq = u16::from_be_bytes([rest[0], rest[1]]) as u32;
            let n = (rest[2] as usize).min(rest.len() - 4);
            let ack = (rest[3] & 1 == 1).then_some(seq.wrapping_add(rest[3] as u32 * 16));
            st.segment(seq, &rest[4..4 + n], ack, &mut budget, &mut |_: Chunk<
                '_,
            >| {});
            rest = &rest[4 + n..];
        }
        st.flush(&mut budget, &mut |_| {});
        assert_eq!(budget.bytes, 0);
    }
}
