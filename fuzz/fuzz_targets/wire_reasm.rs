#![no_main]
//! TCP reassembly of one direction: segments (seq offset, length) drawn from the input.
use libfuzzer_sys::fuzz_target;
use otwatch_wire::reasm::{Chunk, DirState, ReasmBudget};

fuzz_target!(|data: &[u8]| {
    let mut st = DirState::default();
    let mut budget = ReasmBudget::new(1 << 20);
    let mut rest = data;
    let mut delivered = 0u64;
    while rest.len() >= 4 {
        let seq = u16::from_be_bytes([rest[0], rest[1]]) as u32;
        let n = (rest[2] as usize).min(rest.len() - 4);
        let ack = (rest[3] & 1 == 1).then_some(seq.wrapping_add(rest[3] as u32 * 16));
        let payload = &rest[4..4 + n];
        st.segment(seq, payload, ack, &mut budget, &mut |c| {
            if let Chunk::Data(d) = c {
                delivered += d.len() as u64
            }
        });
        rest = &rest[4 + n..];
    }
    st.flush(&mut budget, &mut |_| {});
    assert_eq!(budget.bytes, 0);
});
