#![no_main]
//! `otwatch_proto::modbus::parser::parse_response` on arbitrary bytes.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some((&fc, rest)) = data.split_first() {
        let _ = otwatch_proto::modbus::parser::parse_response(
            otwatch_proto::modbus::types::FunctionCode(fc),
            rest,
        );
    }
});
