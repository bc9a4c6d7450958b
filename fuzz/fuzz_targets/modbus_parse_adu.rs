#![no_main]
//! `otwatch_proto::modbus::parser::parse_adu` on arbitrary bytes.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = otwatch_proto::modbus::parser::parse_adu(data);
    let _ = otwatch_proto::modbus::parser::probe(otwatch_core::Direction::ToServer, data);
});
