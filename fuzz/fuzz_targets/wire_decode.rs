#![no_main]
//! L2–L4 decode of one frame, for every link type.
use libfuzzer_sys::fuzz_target;
use otwatch_wire::LinkType;

fuzz_target!(|data: &[u8]| {
    for l in [
        LinkType::Ethernet,
        LinkType::Raw,
        LinkType::Null,
        LinkType::LinuxSll,
        LinkType::LinuxSll2,
    ] {
        let _ = otwatch_wire::decode::decode(l, data);
    }
});
