#![no_main]
//! The engine over a sequence of frames: the input is split into frames by a 2-byte
//! length prefix, so the fuzzer explores flows, fragments and reassembly state.
use libfuzzer_sys::fuzz_target;
use otwatch_core::Timestamp;
use otwatch_wire::{Engine, EngineConfig, LinkType, Packet};

fuzz_target!(|data: &[u8]| {
    let mut e = Engine::new(
        EngineConfig {
            max_flows: 64,
            ..EngineConfig::default()
        },
        otwatch_proto::pipeline::Dissectors::default(),
    );
    let mut sink: Vec<otwatch_core::Event> = Vec::new();
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
});
