//! Novelty: the set of keys each entity has used (peers, protocols, functions,
//! register ranges, DNS names, bindings), with counts, and the entity's rate of new
//! keys per active hour. A key never seen is scored by how surprising newness is
//! *for that entity*: a PLC that has had 3 peers for a month is not a laptop that
//! meets a new peer every hour.
//!
//! The learning life cycle lives here too ([`LearnPolicy`]): an entity learns until
//! its key set is stable, so a new device learns while the rest stays protected.

use super::score::{Population, SLOT_SECS, SlotRate};
use super::{FastMap, evict_oldest};
use serde::{Deserialize, Serialize};
use std::hash::Hash;

/// Keys remembered per entity. A PLC has a handful of peers and functions; 256
/// covers a busy server. Oldest-seen keys are evicted beyond it (counted).
pub const MAX_KEYS_PER_ENTITY: usize = 256;
/// Keys not seen for this long (30 days) are forgotten when the set is full first.
pub const KEY_FORGET_SECS: i64 = 30 * 86_400;

/// When an entity stops learning and starts alerting.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LearnPolicy {
    /// Forced global learning: nothing that exists before this instant (epoch seconds)
    /// alerts before it; everything that exists then is mature from then on.
    pub learn_until: Option<i64>,
    /// Minimum learning time of an entity (seconds).
    pub min_learn: i64,
    /// The entity is stable when no new key appeared for this long (seconds).
    pub stable_for: i64,
    /// Learning ends after this long even if keys keep appearing (seconds).
    pub max_learn: i64,
}

impl Default for LearnPolicy {
    fn default() -> Self {
        LearnPolicy {
            learn_until: None,
            min_learn: 2 * 3600,
            stable_for: 4 * 3600,
            max_learn: 3 * 86_400,
        }
    }
}

impl LearnPolicy {
    /// True when an entity first seen at `first`, whose last new key was at
    /// `last_new`, has finished learning at `now` (all epoch seconds).
    pub fn mature(&self, first: i64, last_new: i64, now: i64) -> bool {
        if let Some(until) = self.learn_until {
            if now < until {
                return false;
            }
            if first < until {
                return true;
            }
        }
        let age = now - first;
        age >= self.max_learn || (age >= self.min_learn && now - last_new >= self.stable_for)
    }
    /// True while the forced global window is running.
    pub fn in_global_learning(&self, now: i64) -> bool {
        self.learn_until.is_some_and(|u| now < u)
    }
}

/// One remembered key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeyStat {
    /// Human label (`read_holding_registers`, `10.0.0.5`, `modbus`).
    pub label: Box<str>,
    /// First seen (epoch seconds).
    pub first: i64,
    /// Last seen (epoch seconds).
    pub last: i64,
    /// Observations.
    pub count: u64,
}

/// The keys of one entity.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct KeySet {
    #[serde(with = "super::vecmap")]
    keys: FastMap<u64, KeyStat>,
    /// New-key rate per active hour.
    pub rate: SlotRate,
    /// First observation (epoch seconds).
    pub first: i64,
    /// Last observation.
    pub last: i64,
    /// Last time a new key appeared.
    pub last_new: i64,
    /// Observations.
    pub total: u64,
    /// Keys evicted by the cap.
    pub evicted: u64,
}

impl KeySet {
    /// True when `key` is known.
    pub fn contains(&self, key: u64) -> bool {
        self.keys.contains_key(&key)
    }
    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }
    /// True when no key is known.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
    /// The key's record.
    pub fn get(&self, key: u64) -> Option<&KeyStat> {
        self.keys.get(&key)
    }
    /// Removes a key (analyst undo of a learned key).
    pub fn forget(&mut self, key: u64) -> bool {
        self.keys.remove(&key).is_some()
    }
    /// The `n` most used keys' labels with their counts, most used first.
    pub fn top(&self, n: usize) -> Vec<(&str, u64)> {
        let mut v: Vec<(&str, u64)> = self.keys.values().map(|k| (&*k.label, k.count)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        v.truncate(n);
        v
    }
    /// Observation span in seconds.
    pub fn span(&self) -> i64 {
        self.last - self.first
    }
    /// A JSON summary of the baseline for evidence.
    pub fn baseline_json(&self) -> serde_json::Value {
        let top: Vec<serde_json::Value> = self
            .top(8)
            .into_iter()
            .map(|(l, c)| serde_json::json!({"key": l, "count": c}))
            .collect();
        serde_json::json!({
            "known_keys": self.keys.len(),
            "top": top,
            "observations": self.total,
            "history_secs": self.span(),
            "active_hours": self.rate.slots,
            "hours_with_new_keys": self.rate.new_slots,
        })
    }
}

/// What [`Family::observe`] found.
#[derive(Clone, Debug, PartialEq)]
pub struct Observed {
    /// The entity was never seen before.
    pub new_entity: bool,
    /// The key was never seen for this entity.
    pub new_key: bool,
    /// Probability of a new key in an active hour of this entity (shrunk to the
    /// population), computed before this observation.
    pub p_new: f64,
    /// The entity was mature (past learning) before this observation.
    pub mature: bool,
}

/// A novelty family: one [`KeySet`] per entity of a kind (peers per device,
/// functions per pair+protocol ...), with their pooled population rate.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(bound(serialize = "E: Serialize", deserialize = "E: Deserialize<'de>"))]
pub struct Family<E: Eq + Hash> {
    #[serde(with = "super::vecmap")]
    sets: FastMap<E, KeySet>,
    /// Pooled rate over all entities of the family.
    pub pop: Population,
    /// Cap on entities.
    pub max_entities: usize,
    /// Entities evicted by the cap.
    pub evicted: u64,
}

impl<E: Eq + Hash + Clone> Family<E> {
    /// An empty family holding at most `max_entities` entities.
    pub fn new(max_entities: usize) -> Self {
        Family {
            sets: FastMap::default(),
            pop: Population::default(),
            max_entities,
            evicted: 0,
        }
    }
    /// The key set of an entity.
    pub fn get(&self, e: &E) -> Option<&KeySet> {
        self.sets.get(e)
    }
    /// The key set of an entity, mutable.
    pub fn get_mut(&mut self, e: &E) -> Option<&mut KeySet> {
        self.sets.get_mut(e)
    }
    /// Number of entities.
    pub fn len(&self) -> usize {
        self.sets.len()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.sets.is_empty()
    }
    /// Iterates over entities and their sets.
    pub fn iter(&self) -> impl Iterator<Item = (&E, &KeySet)> {
        self.sets.iter()
    }

    /// Records `key` (labelled lazily by `label`) for entity `e` at `now` (epoch
    /// seconds), under `policy`.
    pub fn observe(
        &mut self,
        e: &E,
        key: u64,
        now: i64,
        policy: &LearnPolicy,
        label: impl FnOnce() -> String,
    ) -> Observed {
        let prior = self.pop.rate();
        let new_entity = !self.sets.contains_key(e);
        if new_entity && evict_oldest(&mut self.sets, self.max_entities, |s| s.last) {
            self.evicted += 1;
        }
        let set = self.sets.entry(e.clone()).or_insert_with(|| KeySet {
            first: now,
            last: now,
            last_new: now,
            ..KeySet::default()
        });
        let mature = !new_entity && policy.mature(set.first, set.last_new, now);
        let p_new = set.rate.p_new(prior);
        let slot = now.div_euclid(SLOT_SECS);
        if set.rate.observe(slot) {
            self.pop.slots += 1;
        }
        set.total += 1;
        set.last = set.last.max(now);
        let new_key = match set.keys.get_mut(&key) {
            Some(k) => {
                k.count += 1;
                k.last = now;
                false
            }
            None => {
                if set.keys.len() >= MAX_KEYS_PER_ENTITY {
                    evict_oldest(&mut set.keys, MAX_KEYS_PER_ENTITY, |k| k.last);
                    set.evicted += 1;
                }
                set.keys.insert(
                    key,
                    KeyStat {
                        label: label().into_boxed_str(),
                        first: now,
                        last: now,
                        count: 1,
                    },
                );
                if set.rate.mark_new(slot) {
                    self.pop.new_slots += 1;
                }
                set.last_new = now;
                true
            }
        };
        Observed {
            new_entity,
            new_key,
            p_new,
            mature,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_entity_becomes_mature_and_new_key_is_surprising() {
        let pol = LearnPolicy::default();
        let mut f: Family<u32> = Family::new(16);
        for t in (0..2 * 86_400).step_by(60) {
            let o = f.observe(&1, 7, t, &pol, || "seven".into());
            assert!(!o.new_key || t == 0);
        }
        let o = f.observe(&1, 8, 2 * 86_400, &pol, || "eight".into());
        assert!(o.new_key && o.mature);
        assert!(o.p_new < 0.02, "{}", o.p_new);
        assert_eq!(f.get(&1).unwrap().top(1), vec![("seven", 2880)]);
    }

    #[test]
    fn forced_window_governs_maturity() {
        let pol = LearnPolicy {
            learn_until: Some(1000),
            ..LearnPolicy::default()
        };
        assert!(!pol.mature(0, 0, 999));
        assert!(pol.mature(0, 999, 1000));
        // Born after the window: learns on its own.
        assert!(!pol.mature(1500, 1500, 1600));
    }

    #[test]
    fn caps_hold() {
        let pol = LearnPolicy::default();
        let mut f: Family<u32> = Family::new(4);
        for e in 0..10 {
            for k in 0..(MAX_KEYS_PER_ENTITY as u64 + 10) {
                f.observe(&e, k, e as i64, &pol, String::new);
            }
        }
        assert_eq!(f.len(), 4);
        assert_eq!(f.evicted, 6);
        assert!(f.get(&9).unwrap().len() <= MAX_KEYS_PER_ENTITY);
    }
}
