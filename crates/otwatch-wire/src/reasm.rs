//! TCP stream reassembly, one [`DirState`] per direction.
//!
//! - In-order data is passed through without copying.
//! - Out-of-order segments are buffered (bounded per direction and globally) and
//!   delivered once the hole is filled.
//! - Retransmissions and overlaps: the first copy wins. A retransmission whose bytes
//!   differ from the copy already taken is the weird `tcp_overlap_conflict`.
//! - Gaps (lost segments, or a hole the receiver has already acknowledged) are
//!   reported to the consumer as [`Chunk::Gap`]; the stream never stalls.
//! - Mid-stream pickup: the first data segment longer than one byte starts the
//!   stream (a lone byte is a keep-alive probe, not the stream's start).

/// Out-of-order bytes buffered per direction before a gap is forced.
pub const MAX_OOO_BYTES: usize = 256 * 1024;
/// Out-of-order segments buffered per direction before a gap is forced.
pub const MAX_OOO_SEGMENTS: usize = 512;

/// What the reassembler hands to the consumer.
#[derive(Debug, PartialEq, Eq)]
pub enum Chunk<'a> {
    /// Contiguous stream bytes.
    Data(&'a [u8]),
    /// `n` bytes of the stream are missing.
    Gap(u64),
}

/// `a - b` in sequence space, as a signed distance.
#[inline]
fn seq_diff(a: u32, b: u32) -> i32 {
    a.wrapping_sub(b) as i32
}

/// FNV-1a over a segment: cheap fingerprint of the last delivered segment, to spot
/// conflicting retransmissions without keeping delivered bytes.
fn fingerprint(b: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &x in b {
        h ^= x as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Reassembly state of one direction.
#[derive(Debug, Default)]
pub struct DirState {
    next: Option<u32>,
    ooo: Vec<(u32, Vec<u8>)>,
    ooo_bytes: usize,
    last_seg: Option<(u32, u32, u64)>,
    /// Bytes delivered.
    pub delivered: u64,
    /// Bytes reported as gaps.
    pub gap_bytes: u64,
    /// Conflicting overlaps seen.
    pub conflicts: u64,
}

/// Counters shared by all flows (the global bound).
#[derive(Debug, Default)]
pub struct ReasmBudget {
    /// Out-of-order bytes buffered across all flows.
    pub bytes: usize,
    /// Global cap.
    pub cap: usize,
}

impl ReasmBudget {
    /// A budget of `cap` bytes.
    pub fn new(cap: usize) -> Self {
        ReasmBudget { bytes: 0, cap }
    }
}

impl DirState {
    /// Heap bytes held by buffered segments.
    pub fn buffered(&self) -> usize {
        self.ooo_bytes
    }

    /// Notes a SYN: the stream starts at `seq + 1`.
    pub fn syn(&mut self, seq: u32) {
        if self.next.is_none() {
            self.next = Some(seq.wrapping_add(1));
        }
    }

    /// Adds a segment's payload starting at `seq`. `peer_ack` is the highest
    /// acknowledgement the other side has sent, if any: a hole it has acknowledged
    /// is lost for good and is reported as a gap at once. Returns a weird name when
    /// the segment conflicts with data already taken.
    pub fn segment(
        &mut self,
        seq: u32,
        payload: &[u8],
        peer_ack: Option<u32>,
        budget: &mut ReasmBudget,
        out: &mut dyn FnMut(Chunk<'_>),
    ) -> Option<&'static str> {
        if payload.is_empty() {
            return None;
        }
        if self.next.is_none() && payload.len() == 1 {
            // Mid-stream pickup never anchors on a one-byte segment: that is almost
            // always a TCP keep-alive (one old byte at `next - 1`), and anchoring on
            // it would prefix the real stream with a garbage byte.
            return None;
        }
        let next = *self.next.get_or_insert(seq);
        let rel = seq_diff(seq, next);
        let mut weird = None;
        if rel <= 0 {
            let overlap = rel.unsigned_abs() as usize;
            if overlap >= payload.len() {
                // Entirely old data: a retransmission.
                if let Some((s, l, h)) = self.last_seg
                    && s == seq
                    && l as usize == payload.len()
                    && h != fingerprint(payload)
                {
                    self.conflicts += 1;
                    weird = Some("tcp_overlap_conflict");
                }
                return weird;
            }
            let fresh = &payload[overlap..];
            self.take(next, fresh, out);
            self.drain(budget, out);
            return None;
        }
        // Ahead of the stream: a hole precedes it.
        if let Some(ack) = peer_ack
            && seq_diff(ack, seq) >= 0
        {
            // The receiver acknowledged past the hole: the bytes are lost.
            self.gap_to(seq, out);
            self.take(seq, payload, out);
            self.drain(budget, out);
            return None;
        }
        weird = self.buffer(seq, payload, budget);
        if self.ooo_bytes > MAX_OOO_BYTES
            || self.ooo.len() > MAX_OOO_SEGMENTS
            || budget.bytes > budget.cap
        {
            self.force_gap(budget, out);
        }
        weird
    }

    fn take(&mut self, seq: u32, data: &[u8], out: &mut dyn FnMut(Chunk<'_>)) {
        self.last_seg = Some((seq, data.len() as u32, fingerprint(data)));
        self.delivered += data.len() as u64;
        self.next = Some(seq.wrapping_add(data.len() as u32));
        out(Chunk::Data(data));
    }

    fn gap_to(&mut self, seq: u32, out: &mut dyn FnMut(Chunk<'_>)) {
        if let Some(next) = self.next {
            let n = seq_diff(seq, next);
            if n > 0 {
                self.gap_bytes += n as u64;
                out(Chunk::Gap(n as u64));
                self.next = Some(seq);
            }
        }
    }

    fn buffer(
        &mut self,
        seq: u32,
        payload: &[u8],
        budget: &mut ReasmBudget,
    ) -> Option<&'static str> {
        let next = self.next.unwrap_or(seq);
        let key = seq_diff(seq, next);
        let mut weird = None;
        // Compare with overlapping buffered copies (first copy wins).
        let end = seq.wrapping_add(payload.len() as u32);
        for (s, d) in &self.ooo {
            let e = s.wrapping_add(d.len() as u32);
            if seq_diff(*s, end) >= 0 || seq_diff(seq, e) >= 0 {
                continue;
            }
            let lo = if seq_diff(*s, seq) > 0 { *s } else { seq };
            let hi = if seq_diff(e, end) < 0 { e } else { end };
            let n = seq_diff(hi, lo) as usize;
            let a = seq_diff(lo, *s) as usize;
            let b = seq_diff(lo, seq) as usize;
            if d.get(a..a + n) != payload.get(b..b + n) {
                weird = Some("tcp_overlap_conflict");
                self.conflicts += 1;
            }
        }
        let pos = self
            .ooo
            .iter()
            .position(|(s, _)| seq_diff(*s, next) > key)
            .unwrap_or(self.ooo.len());
        self.ooo.insert(pos, (seq, payload.to_vec()));
        self.ooo_bytes += payload.len();
        budget.bytes += payload.len();
        weird
    }

    fn drain(&mut self, budget: &mut ReasmBudget, out: &mut dyn FnMut(Chunk<'_>)) {
        while let Some((s, _)) = self.ooo.first() {
            let next = self.next.unwrap_or(*s);
            let rel = seq_diff(*s, next);
            if rel > 0 {
                break;
            }
            let (s, d) = self.ooo.remove(0);
            self.ooo_bytes -= d.len();
            budget.bytes = budget.bytes.saturating_sub(d.len());
            let overlap = rel.unsigned_abs() as usize;
            if overlap < d.len() {
                self.take(s.wrapping_add(overlap as u32), &d[overlap..], out);
            }
        }
    }

    fn force_gap(&mut self, budget: &mut ReasmBudget, out: &mut dyn FnMut(Chunk<'_>)) {
        if let Some((s, _)) = self.ooo.first() {
            let s = *s;
            self.gap_to(s, out);
            self.drain(budget, out);
        }
    }

    /// End of stream: delivers everything buffered, reporting the holes as gaps.
    pub fn flush(&mut self, budget: &mut ReasmBudget, out: &mut dyn FnMut(Chunk<'_>)) {
        while !self.ooo.is_empty() {
            self.force_gap(budget, out);
        }
    }

    /// Releases buffered bytes from the budget (flow dropped without flush).
    pub fn release(&mut self, budget: &mut ReasmBudget) {
        budget.bytes = budget.bytes.saturating_sub(self.ooo_bytes);
        self.ooo.clear();
        self.ooo_bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn collect(segs: &[(u32, Vec<u8>)], peer_ack: Option<u32>) -> (Vec<u8>, u64) {
        let mut st = DirState::default();
        st.syn(999);
        let mut budget = ReasmBudget::new(1 << 30);
        let mut out = Vec::new();
        let mut gaps = 0;
        for (s, d) in segs {
            st.segment(*s, d, peer_ack, &mut budget, &mut |c| match c {
                Chunk::Data(b) => out.extend_from_slice(b),
                Chunk::Gap(n) => gaps += n,
            });
        }
        st.flush(&mut budget, &mut |c| match c {
            Chunk::Data(b) => out.extend_from_slice(b),
            Chunk::Gap(n) => gaps += n,
        });
        assert_eq!(budget.bytes, 0);
        (out, gaps)
    }

    fn split(data: &[u8], cuts: &[usize]) -> Vec<(u32, Vec<u8>)> {
        let mut v = Vec::new();
        let mut pos = 0;
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (data.len() + 1)).collect();
        cuts.sort_unstable();
        cuts.push(data.len());
        for c in cuts {
            if c > pos {
                v.push((1000 + pos as u32, data[pos..c].to_vec()));
                pos = c;
            }
        }
        v
    }

    #[test]
    fn mid_stream_keepalive_byte_does_not_anchor_the_stream() {
        // Keep-alive (one old byte at next - 1), then the real stream: pickup must
        // start at the real data, not prefix it with the probe's byte.
        let mut st = DirState::default();
        let mut budget = ReasmBudget::new(1 << 20);
        let mut out = Vec::new();
        let mut sink = |c: Chunk<'_>| match c {
            Chunk::Data(b) => out.extend_from_slice(b),
            Chunk::Gap(_) => panic!("no gap expected"),
        };
        st.segment(460, b"\x00", None, &mut budget, &mut sink);
        st.segment(461, b"\x68\x04\x01\x00", None, &mut budget, &mut sink);
        st.segment(460, b"\x00", None, &mut budget, &mut sink);
        st.segment(465, b"\x02\x00", None, &mut budget, &mut sink);
        assert_eq!(out, b"\x68\x04\x01\x00\x02\x00");
    }

    #[test]
    fn conflicting_retransmission_is_weird_first_copy_wins() {
        let mut st = DirState::default();
        let mut b = ReasmBudget::new(1 << 20);
        let mut out = Vec::new();
        st.segment(1, b"abcd", None, &mut b, &mut |c| {
            if let Chunk::Data(d) = c {
                out.extend_from_slice(d)
            }
        });
        let w = st.segment(1, b"abXd", None, &mut b, &mut |c| {
            if let Chunk::Data(d) = c {
                out.extend_from_slice(d)
            }
        });
        assert_eq!(w, Some("tcp_overlap_conflict"));
        assert_eq!(out, b"abcd");
    }

    #[test]
    fn acked_hole_is_a_gap_not_a_stall() {
        let mut st = DirState::default();
        let mut b = ReasmBudget::new(1 << 20);
        let mut ev = Vec::new();
        st.segment(1, b"abcd", None, &mut b, &mut |c| ev.push(format!("{c:?}")));
        st.segment(9, b"ijkl", Some(13), &mut b, &mut |c| {
            ev.push(format!("{c:?}"))
        });
        assert_eq!(ev.len(), 3);
        assert_eq!(ev[1], "Gap(4)");
    }

    proptest! {
        #[test]
        fn shuffled_duplicated_bytewise_same_stream(
            data in proptest::collection::vec(any::<u8>(), 1..3000),
            cuts in proptest::collection::vec(any::<usize>(), 0..40),
            shuffle_seed in any::<u64>(),
            dups in proptest::collection::vec(any::<usize>(), 0..10),
        ) {
            let segs = split(&data, &cuts);
            let (inorder, g0) = collect(&segs, None);
            prop_assert_eq!(&inorder, &data);
            prop_assert_eq!(g0, 0);
            // Shuffle within a window of 8 segments, and duplicate some.
            let mut shuffled = segs.clone();
            let mut s = shuffle_seed | 1;
            for i in 0..shuffled.len() {
                s ^= s << 13; s ^= s >> 7; s ^= s << 17;
                let j = (i + (s as usize % 8)).min(shuffled.len() - 1);
                shuffled.swap(i, j);
            }
            for d in dups {
                let i = d % segs.len();
                shuffled.insert(d % (shuffled.len() + 1), segs[i].clone());
            }
            let (out, g1) = collect(&shuffled, None);
            prop_assert_eq!(&out, &data);
            prop_assert_eq!(g1, 0);
            // One byte at a time.
            let bytes: Vec<(u32, Vec<u8>)> = data.iter().enumerate().map(|(i, b)| (1000 + i as u32, vec![*b])).collect();
            let (out, _) = collect(&bytes, None);
            prop_assert_eq!(&out, &data);
        }
    }
}
