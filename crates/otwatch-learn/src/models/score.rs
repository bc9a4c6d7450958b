//! Calibration: from a probability under the learned baseline to the 0–100 score.
//!
//! Every detector computes `p`, its estimate of how likely the observation is
//! under the entity's baseline (per observation or per hour, as its docs say), and
//! the score is the surprise `-log10 p` scaled by [`SCORE_PER_DECADE`]:
//!
//! ```text
//! score = clamp(round(25 · -log10 p), 0, 100)
//!   p = 0.1  → 25      p = 0.01 → 50      p = 1e-3 → 75      p ≤ 1e-4 → 100
//! ```
//!
//! So the same score means the same rarity whatever the kind. Alerts are raised
//! from [`MIN_ALERT_SCORE`] (p ≤ 0.025). See docs/detection.md, "Scoring".

use serde::{Deserialize, Serialize};

/// Score points per decade of improbability.
pub const SCORE_PER_DECADE: f64 = 25.0;
/// Default alerting threshold (p ≤ 10^-1.6 ≈ 0.025).
pub const MIN_ALERT_SCORE: u8 = 40;
/// Weight of the population prior in the per-entity novelty rate, in slots (hours):
/// an entity's own history dominates once it has more than a day of it.
pub const PRIOR_SLOTS: f64 = 24.0;
/// Slot length of novelty rates: one hour of packet time.
pub const SLOT_SECS: i64 = 3600;
/// Counts of a novelty rate are halved when this many slots (30 days) accumulate,
/// so old discovery bursts fade: the decay of the novelty model.
pub const RATE_HALF_AFTER_SLOTS: u32 = 24 * 30;

/// The 0–100 score of a probability (see the module docs for the formula).
pub fn score_from_p(p: f64) -> u8 {
    let p = if p.is_nan() { 1.0 } else { p.clamp(1e-12, 1.0) };
    (-p.log10() * SCORE_PER_DECADE).round().clamp(0.0, 100.0) as u8
}

/// The probability a score stands for (inverse of [`score_from_p`]).
pub fn p_from_score(score: u8) -> f64 {
    10f64.powf(-(score as f64) / SCORE_PER_DECADE)
}

/// `P(X ≥ k)` for `X ~ Poisson(lambda)`, computed in log space (no overflow for large k).
pub fn poisson_tail(k: u64, lambda: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    let lambda = lambda.max(1e-9);
    if (k as f64) <= lambda {
        return 1.0;
    }
    // log P(X = k) = k ln λ − λ − ln k!, then sum the next terms (they decrease
    // geometrically once k > λ); 200 terms is far past double precision.
    let ln_fact = ln_factorial(k);
    let mut ln_term = k as f64 * lambda.ln() - lambda - ln_fact;
    let mut sum = 0.0;
    let mut term_rel = 1.0f64;
    for i in 0..200u64 {
        sum += term_rel;
        let next = lambda / (k + i + 1) as f64;
        term_rel *= next;
        if term_rel < 1e-12 {
            break;
        }
    }
    ln_term += sum.ln();
    ln_term.exp().min(1.0)
}

fn ln_factorial(n: u64) -> f64 {
    if n < 20 {
        (1..=n).map(|i| (i as f64).ln()).sum()
    } else {
        // Stirling with the 1/12n correction.
        let x = n as f64;
        x * x.ln() - x + 0.5 * (2.0 * std::f64::consts::PI * x).ln() + 1.0 / (12.0 * x)
    }
}

/// Per-entity rate of hours in which a new key appeared ("how often it saw new keys").
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SlotRate {
    /// Active hours observed.
    pub slots: u32,
    /// Active hours in which at least one new key appeared (after the first hour).
    pub new_slots: u32,
    /// Index of the last active hour.
    pub last_slot: i64,
    /// Index of the last hour with a new key.
    pub last_new_slot: i64,
    /// Index of the first active hour.
    pub first_slot: i64,
}

impl SlotRate {
    /// Records activity in `slot`; returns true when this is a new active hour.
    pub fn observe(&mut self, slot: i64) -> bool {
        if self.slots == 0 {
            self.first_slot = slot;
            self.last_new_slot = i64::MIN;
        }
        if self.slots > 0 && slot == self.last_slot {
            return false;
        }
        self.slots += 1;
        self.last_slot = slot;
        if self.slots >= RATE_HALF_AFTER_SLOTS {
            self.slots /= 2;
            self.new_slots /= 2;
        }
        true
    }
    /// Records a new key in `slot`; returns true when it is the first of that hour
    /// (warm-up discoveries in the entity's first hour are not counted).
    pub fn mark_new(&mut self, slot: i64) -> bool {
        if slot == self.first_slot || slot == self.last_new_slot {
            return false;
        }
        self.last_new_slot = slot;
        self.new_slots += 1;
        true
    }
    /// Probability that an active hour brings a new key, shrunk toward the
    /// population rate `prior` with weight [`PRIOR_SLOTS`].
    pub fn p_new(&self, prior: f64) -> f64 {
        (self.new_slots as f64 + PRIOR_SLOTS * prior) / (self.slots as f64 + PRIOR_SLOTS)
    }
}

/// Population rate of a novelty family: all entities' slots pooled. The prior for
/// entities with little history of their own.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Population {
    /// Active entity-hours pooled.
    pub slots: u64,
    /// Entity-hours with a new key pooled.
    pub new_slots: u64,
}

impl Population {
    /// The pooled rate with a Jeffreys-style half-count (never 0 or 1).
    pub fn rate(&self) -> f64 {
        (self.new_slots as f64 + 0.5) / (self.slots as f64 + 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_formula() {
        assert_eq!(score_from_p(1.0), 0);
        assert_eq!(score_from_p(0.01), 50);
        assert_eq!(score_from_p(1e-3), 75);
        assert_eq!(score_from_p(1e-9), 100);
        assert_eq!(score_from_p(f64::NAN), 0);
        assert!((p_from_score(50) - 0.01).abs() < 1e-12);
        assert!(score_from_p(p_from_score(MIN_ALERT_SCORE)) == MIN_ALERT_SCORE);
    }

    #[test]
    fn poisson_tail_matches_direct_sum() {
        // P(X ≥ 3 | λ = 1) = 1 − e^-1 (1 + 1 + 1/2) = 0.0803
        assert!((poisson_tail(3, 1.0) - 0.080_301).abs() < 1e-5);
        assert!(poisson_tail(100, 1.0) < 1e-100);
        assert_eq!(poisson_tail(0, 5.0), 1.0);
        assert_eq!(poisson_tail(2, 5.0), 1.0);
    }

    #[test]
    fn slot_rate_shrinks_to_prior() {
        let mut r = SlotRate::default();
        for s in 0..48 {
            r.observe(s);
        }
        assert!(!r.mark_new(0), "warm-up hour not counted");
        let p = r.p_new(0.001);
        assert!(p < 0.001, "{p}");
        // An entity that meets a new key every hour is not surprising.
        let mut busy = SlotRate::default();
        for s in 0..48 {
            busy.observe(s);
            busy.mark_new(s);
        }
        assert!(busy.p_new(0.001) > 0.6);
    }
}
