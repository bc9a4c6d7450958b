#![no_main]
//! The Modbus/TCP session, fed arbitrary bytes in both directions with random splits.
use libfuzzer_sys::fuzz_target;
use otwatch_core::session::testing::{ctx, feed, random_splits};
use otwatch_core::{Direction, Transport};

fuzz_target!(|data: &[u8]| {
    let c = ctx(502, Transport::Tcp);
    let third = data.len() / 3;
    let msgs = vec![
        (Direction::ToServer, data[..third].to_vec()),
        (Direction::ToClient, data[third..2 * third].to_vec()),
        (Direction::ToServer, data[2 * third..].to_vec()),
    ];
    let seed = data.first().copied().unwrap_or(1) as u64;
    let _ = feed(
        otwatch_proto::modbus::session::ModbusSession::default(),
        &c,
        &msgs,
        random_splits(seed),
    );
});
