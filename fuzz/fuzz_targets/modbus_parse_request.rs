#![no_main]
//! `otwatch_proto::modbus::parser::parse_request` on arbitrary bytes.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some((&fc, rest)) = data.split_first() {
        let _ = otwatch_proto::modbus::parser::parse_request(
            otwatch_proto::modbus::types::FunctionCode(fc),
            rest,
        );
    }
});
