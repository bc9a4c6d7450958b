#![no_main]
//! Capture reader + the whole engine (decode, fragments, flows, reassembly, every
//! dissector) over an arbitrary file.
use libfuzzer_sys::fuzz_target;
use otwatch_wire::{CaptureReader, Engine, EngineConfig};

fuzz_target!(|data: &[u8]| {
    let Ok(mut r) = CaptureReader::from_bytes("fuzz", data.to_vec()) else {
        return;
    };
    let mut e = Engine::new(
        EngineConfig::default(),
        otwatch_proto::pipeline::Dissectors::default(),
    );
    let mut sink: Vec<otwatch_core::Event> = Vec::new();
    while r.advance(|p| e.process(&p, &mut sink)) {}
    e.finish(&mut sink);
});
