#![no_main]
//! The template dissector's session, fed arbitrary bytes in both directions.
use libfuzzer_sys::fuzz_target;
use otwatch_core::session::testing::{ctx, feed, random_splits};
use otwatch_core::{Direction, Transport};

fuzz_target!(|data: &[u8]| {
    let c = ctx(7777, Transport::Tcp);
    let half = data.len() / 2;
    let msgs = vec![
        (Direction::ToServer, data[..half].to_vec()),
        (Direction::ToClient, data[half..].to_vec()),
    ];
    let seed = data.first().copied().unwrap_or(1) as u64;
    let _ = feed(
        otwatch_proto::template::session::TemplateSession::default(),
        &c,
        &msgs,
        random_splits(seed),
    );
});
