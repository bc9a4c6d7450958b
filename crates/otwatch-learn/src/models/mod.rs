//! Bounded, persisted per-entity statistics: the pattern of life.
//!
//! Each model is small and self-contained; the detectors in [`crate::detect`] own
//! maps of them keyed by entity (device, pair, pair+protocol, point, ...). Every map
//! has a named cap; entries beyond it are evicted (least recently seen first) and
//! counted, so memory stays bounded on hostile traffic.
//!
//! - [`score`]: the calibration from a probability to the 0–100 score.
//! - [`novelty`]: key sets with per-entity rates of new keys ([`novelty::KeySet`]).
//! - [`timing`]: polling period and jitter per request stream ([`timing::PollStream`]).
//! - [`values`]: per-point value envelopes with rate-limited widening ([`values::PointModel`]).
//! - [`activity`]: hour-of-day activity of human-operated hosts, and windowed rates
//!   with hour-of-day profiles ([`activity::HourActivity`], [`activity::RateProfile`]).

pub mod activity;
pub mod novelty;
pub mod score;
pub mod timing;
pub mod values;

use otwatch_core::{Endpoint, Mac};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::net::IpAddr;

/// A fast, non-cryptographic hasher (the FxHash mixing function used by rustc).
/// Keys here are addresses and small integers chosen by the traffic; HashDoS is
/// bounded by the caps on every map, not by the hash.
#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(FX_SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 56));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Builder for [`FxHasher`].
pub type FxBuild = BuildHasherDefault<FxHasher>;
/// A hash map with the fast hasher.
pub type FastMap<K, V> = HashMap<K, V, FxBuild>;

/// Hashes any value to a 64-bit key (used to key sets by strings without storing them twice).
pub fn key_hash<T: Hash + ?Sized>(v: &T) -> u64 {
    let mut h = FxHasher::default();
    v.hash(&mut h);
    h.finish()
}

/// Serde helper: a map serialised as a sequence of `[key, value]` pairs, so maps with
/// non-string keys survive JSON snapshots.
pub mod vecmap {
    use super::FastMap;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::hash::Hash;

    /// Serialises the map as a sequence of pairs.
    pub fn serialize<S: Serializer, K: Serialize, V: Serialize>(
        m: &FastMap<K, V>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(m.iter())
    }
    /// Reads a sequence of pairs back into a map.
    pub fn deserialize<'de, D, K, V>(d: D) -> Result<FastMap<K, V>, D::Error>
    where
        D: Deserializer<'de>,
        K: Deserialize<'de> + Eq + Hash,
        V: Deserialize<'de>,
    {
        let v: Vec<(K, V)> = Vec::deserialize(d)?;
        Ok(v.into_iter().collect())
    }
}

/// A device as the models key it: by IP when the traffic is IP, else by MAC.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Host {
    /// An IP host.
    Ip(IpAddr),
    /// A layer-2-only station.
    Mac(Mac),
}

impl Host {
    /// The host of an endpoint: its IP, else its MAC.
    pub fn of(e: &Endpoint) -> Option<Host> {
        match (e.ip, e.mac) {
            (Some(ip), _) => Some(Host::Ip(ip)),
            (None, Some(m)) => Some(Host::Mac(m)),
            (None, None) => None,
        }
    }
    /// The IP, if this is an IP host.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Host::Ip(ip) => Some(*ip),
            Host::Mac(_) => None,
        }
    }
    /// True for broadcast and multicast destinations (not a device).
    pub fn is_group(&self) -> bool {
        match self {
            Host::Ip(IpAddr::V4(a)) => a.is_multicast() || a.is_broadcast() || a.octets()[3] == 255,
            Host::Ip(IpAddr::V6(a)) => a.is_multicast(),
            Host::Mac(m) => m.is_multicast(),
        }
    }
    /// True when the address is local: private, link-local, loopback or a MAC.
    pub fn is_local(&self) -> bool {
        match self {
            Host::Ip(ip) => !is_public(ip),
            Host::Mac(_) => true,
        }
    }
}

/// True for globally routable (public) addresses.
pub fn is_public(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => {
            let o = a.octets();
            !(a.is_private()
                || a.is_loopback()
                || a.is_link_local()
                || a.is_broadcast()
                || a.is_multicast()
                || a.is_unspecified()
                || o[0] == 100 && (64..128).contains(&o[1]) // RFC 6598 shared
                || o[0] == 192 && o[1] == 0 && o[2] == 2 // TEST-NET-1
                || o[0] == 198 && (18..20).contains(&o[1])
                || o[0] >= 240)
        }
        IpAddr::V6(a) => {
            let s = a.segments();
            !(a.is_loopback()
                || a.is_multicast()
                || a.is_unspecified()
                || (s[0] & 0xfe00) == 0xfc00 // ULA
                || (s[0] & 0xffc0) == 0xfe80) // link-local
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Ip(ip) => write!(f, "{ip}"),
            Host::Mac(m) => write!(f, "{m}"),
        }
    }
}

/// Evicts the entry with the oldest `last` from `m` when it holds `cap` entries or
/// more; returns true when one was evicted. O(n), but only on overflow, which caps
/// make rare and bounded.
pub fn evict_oldest<K: Clone + Eq + Hash, V>(
    m: &mut FastMap<K, V>,
    cap: usize,
    last: impl Fn(&V) -> i64,
) -> bool {
    if m.len() < cap {
        return false;
    }
    let victim = m
        .iter()
        .min_by_key(|(_, v)| last(v))
        .map(|(k, _)| k.clone());
    match victim {
        Some(k) => {
            m.remove(&k);
            true
        }
        None => false,
    }
}

/// Formats a duration in seconds for summaries: "45 s", "12 min", "3.5 h", "2.0 days".
pub fn human_duration(secs: f64) -> String {
    let s = secs.max(0.0);
    if s < 120.0 {
        format!("{s:.0} s")
    } else if s < 2.0 * 3600.0 {
        format!("{:.0} min", s / 60.0)
    } else if s < 48.0 * 3600.0 {
        format!("{:.1} h", s / 3600.0)
    } else {
        format!("{:.1} days", s / 86_400.0)
    }
}

/// Formats a number compactly: integers without decimals, others with up to 3 significant decimals.
pub fn num(v: f64) -> String {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else if v.abs() >= 100.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_private() {
        assert!(!is_public(&"10.1.2.3".parse().unwrap()));
        assert!(!is_public(&"192.168.10.255".parse().unwrap()));
        assert!(is_public(&"8.8.8.8".parse().unwrap()));
        assert!(!is_public(&"fe80::1".parse().unwrap()));
    }

    #[test]
    fn eviction_removes_oldest() {
        let mut m: FastMap<u32, i64> = FastMap::default();
        for i in 0..4 {
            m.insert(i, 10 - i as i64);
        }
        assert!(evict_oldest(&mut m, 4, |v| *v));
        assert!(!m.contains_key(&3));
        assert!(!evict_oldest(&mut m, 4, |v| *v));
    }

    #[test]
    fn durations() {
        assert_eq!(human_duration(30.0), "30 s");
        assert_eq!(human_duration(172_800.0), "2.0 days");
        assert_eq!(num(550.0), "550");
        assert_eq!(num(0.25), "0.25");
    }
}
