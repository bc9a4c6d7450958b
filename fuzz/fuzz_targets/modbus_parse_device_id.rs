#![no_main]
//! `otwatch_proto::modbus::parser::parse_device_id` on arbitrary bytes.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = otwatch_proto::modbus::parser::parse_device_id(data);
});
