//! Bounded IP fragment reassembly (IPv4 and IPv6 fragment headers).
//!
//! Fragments are keyed by (src, dst, protocol, id). A datagram is complete when the
//! last fragment has arrived and the byte ranges are contiguous from 0. Overlapping
//! fragments keep the first copy; a conflicting overlap is a weird. Incomplete
//! datagrams expire after [`FRAG_TIMEOUT_NS`] of packet time; the table holds at most
//! [`MAX_DATAGRAMS`] datagrams and [`MAX_TOTAL_BYTES`] bytes.

use crate::decode::Fragment;
use otwatch_core::Timestamp;
use std::collections::HashMap;
use std::net::IpAddr;

/// Incomplete datagrams expire after 30 s (RFC 791 suggests 15 s minimum; Linux uses 30 s).
pub const FRAG_TIMEOUT_NS: i64 = 30 * Timestamp::SECOND;
/// Datagrams under reassembly at once.
pub const MAX_DATAGRAMS: usize = 4096;
/// Bytes buffered across all datagrams.
pub const MAX_TOTAL_BYTES: usize = 32 << 20;
/// Largest reassembled datagram (IPv4 maximum).
pub const MAX_DATAGRAM: usize = 65_535;
/// Fragments per datagram (a hostile sender can send tiny ones).
pub const MAX_FRAGMENTS: usize = 256;

type Key = (IpAddr, IpAddr, u8, u32);

#[derive(Debug)]
struct Datagram {
    first: Timestamp,
    data: Vec<u8>,
    /// Received byte ranges [start, end), unsorted, non-overlapping.
    ranges: Vec<(u32, u32)>,
    total: Option<u32>,
}

/// Outcome of adding a fragment.
#[derive(Debug, PartialEq, Eq)]
pub enum FragResult {
    /// Not complete yet.
    Pending,
    /// Complete: the reassembled upper-layer payload.
    Complete(Vec<u8>),
    /// Dropped, with the weird name.
    Dropped(&'static str),
}

/// The fragment table.
#[derive(Debug, Default)]
pub struct FragTable {
    map: HashMap<Key, Datagram>,
    bytes: usize,
    /// Weird names raised by overlaps that did not drop the datagram.
    pub overlap_conflicts: u64,
    /// Datagrams expired incomplete.
    pub expired: u64,
}

impl FragTable {
    /// Adds one fragment.
    pub fn add(
        &mut self,
        ts: Timestamp,
        src: IpAddr,
        dst: IpAddr,
        proto: u8,
        frag: Fragment,
        payload: &[u8],
    ) -> (FragResult, Option<&'static str>) {
        let Fragment { id, offset, more } = frag;
        let end = offset as usize + payload.len();
        if end > MAX_DATAGRAM {
            return (FragResult::Dropped("ip_fragment_too_large"), None);
        }
        let key = (src, dst, proto, id);
        if !self.map.contains_key(&key) {
            if self.map.len() >= MAX_DATAGRAMS || self.bytes + payload.len() > MAX_TOTAL_BYTES {
                self.expire(ts);
                if self.map.len() >= MAX_DATAGRAMS || self.bytes + payload.len() > MAX_TOTAL_BYTES {
                    return (FragResult::Dropped("ip_fragment_table_full"), None);
                }
            }
            self.map.insert(
                key,
                Datagram {
                    first: ts,
                    data: Vec::new(),
                    ranges: Vec::new(),
                    total: None,
                },
            );
        }
        let Some(dg) = self.map.get_mut(&key) else {
            return (FragResult::Pending, None);
        };
        if dg.ranges.len() >= MAX_FRAGMENTS {
            self.bytes -= dg.data.len();
            self.map.remove(&key);
            return (FragResult::Dropped("ip_fragment_too_many"), None);
        }
        let mut weird = None;
        let (s, e) = (offset, end as u32);
        if dg.data.len() < end {
            self.bytes += end - dg.data.len();
            dg.data.resize(end, 0);
        }
        // Copy only the bytes not yet received (first copy wins); note conflicts.
        let mut pos = s;
        let mut sorted = dg.ranges.clone();
        sorted.sort_unstable();
        for &(rs, re) in &sorted {
            if pos >= e {
                break;
            }
            if re <= pos || rs >= e {
                continue;
            }
            if rs > pos {
                let (a, b) = (pos as usize, rs as usize);
                dg.data[a..b].copy_from_slice(&payload[a - s as usize..b - s as usize]);
            }
            // Overlap [max(rs,pos), min(re,e)): compare.
            let (a, b) = (rs.max(pos) as usize, re.min(e) as usize);
            if dg.data[a..b] != payload[a - s as usize..b - s as usize] {
                weird = Some("ip_fragment_overlap_conflict");
                self.overlap_conflicts += 1;
            }
            pos = re.max(pos);
        }
        if pos < e {
            let (a, b) = (pos as usize, e as usize);
            dg.data[a..b].copy_from_slice(&payload[a - s as usize..b - s as usize]);
        }
        dg.ranges.push((s, e));
        if !more {
            dg.total = Some(e);
        }
        if let Some(total) = dg.total {
            sorted.push((s, e));
            sorted.sort_unstable();
            let mut covered = 0u32;
            for (rs, re) in sorted {
                if rs > covered {
                    return (FragResult::Pending, weird);
                }
                covered = covered.max(re);
            }
            if covered >= total {
                let mut dg = self.map.remove(&key).map(|d| d.data).unwrap_or_default();
                self.bytes = self.bytes.saturating_sub(dg.len());
                dg.truncate(total as usize);
                return (FragResult::Complete(dg), weird);
            }
        }
        (FragResult::Pending, weird)
    }

    /// Drops datagrams older than the timeout; returns how many expired.
    pub fn expire(&mut self, now: Timestamp) -> usize {
        let before = self.map.len();
        let mut freed = 0;
        self.map.retain(|_, d| {
            let keep = now.since(d.first) < FRAG_TIMEOUT_NS;
            if !keep {
                freed += d.data.len();
            }
            keep
        });
        self.bytes -= freed;
        let n = before - self.map.len();
        self.expired += n as u64;
        n
    }

    /// Datagrams pending.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn ip(n: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, n))
    }

    #[test]
    fn reassembles_out_of_order() {
        let mut t = FragTable::default();
        let data: Vec<u8> = (0..40).collect();
        let ts = Timestamp::from_parts(1, 0);
        assert_eq!(
            t.add(
                ts,
                ip(1),
                ip(2),
                17,
                Fragment {
                    id: 9,
                    offset: 16,
                    more: true
                },
                &data[16..32]
            )
            .0,
            FragResult::Pending
        );
        assert_eq!(
            t.add(
                ts,
                ip(1),
                ip(2),
                17,
                Fragment {
                    id: 9,
                    offset: 32,
                    more: false
                },
                &data[32..]
            )
            .0,
            FragResult::Pending
        );
        assert_eq!(
            t.add(
                ts,
                ip(1),
                ip(2),
                17,
                Fragment {
                    id: 9,
                    offset: 0,
                    more: true
                },
                &data[..16]
            )
            .0,
            FragResult::Complete(data.clone())
        );
        assert!(t.is_empty());
    }

    #[test]
    fn conflicting_overlap_first_copy_wins() {
        let mut t = FragTable::default();
        let ts = Timestamp::from_parts(1, 0);
        t.add(
            ts,
            ip(1),
            ip(2),
            17,
            Fragment {
                id: 9,
                offset: 0,
                more: true,
            },
            &[1; 16],
        );
        let (r, w) = t.add(
            ts,
            ip(1),
            ip(2),
            17,
            Fragment {
                id: 9,
                offset: 8,
                more: false,
            },
            &[2; 16],
        );
        assert_eq!(w, Some("ip_fragment_overlap_conflict"));
        let mut want = vec![1u8; 16];
        want.extend_from_slice(&[2; 8]);
        assert_eq!(r, FragResult::Complete(want));
    }

    #[test]
    fn expires() {
        let mut t = FragTable::default();
        t.add(
            Timestamp::from_parts(1, 0),
            ip(1),
            ip(2),
            17,
            Fragment {
                id: 9,
                offset: 0,
                more: true,
            },
            &[1; 16],
        );
        assert_eq!(t.expire(Timestamp::from_parts(100, 0)), 1);
        assert!(t.is_empty());
    }
}
