//! Values: per process point (register, DB word, DNP3 point, IOA, CIP attribute,
//! BACnet property), the envelope `[lo, hi]` of written (or read) values, their
//! mean and spread, and the largest step between consecutive values.
//!
//! **Probability of a value.** Inside the envelope `p = 1`. Outside it, by `e`:
//!
//! ```text
//! p = exp(−e / b)
//! b = max(σ, hi − lo, 1% of max(|lo|, |hi|), MIN_VALUE_SCALE)
//! ```
//!
//! A Laplace tail in units of the learned width: one width outside gives e^-1,
//! alerting (p ≤ 0.025) starts near 3.7 widths. The envelope is trusted only after
//! [`MIN_VALUE_SAMPLES`] samples and the point's learning period. (An earlier
//! `k/(n+k)` factor made any excess rare once a point had many samples, which
//! alerted on every step of a legitimate slow drift; it was removed.)
//!
//! **Adaptation and poisoning.** While learning, the envelope follows every value.
//! After it, the envelope may widen by at most [`WIDEN_PER_HOUR`] of its learned width
//! per hour of packet time, whatever the values are (an allowance that accrues up to
//! one learned width). A lasting change therefore becomes normal in hours to days,
//! but an attacker stepping a setpoint up cannot drag the envelope faster than that:
//! each step beyond the allowance is outside and scored. See docs/detection.md,
//! "Poisoning".

use serde::{Deserialize, Serialize};

/// Widening allowance per hour, as a fraction of the width learned at maturity.
pub const WIDEN_PER_HOUR: f64 = 0.05;
/// Samples a point needs before its envelope is trusted.
pub const MIN_VALUE_SAMPLES: u64 = 20;
/// Smallest scale of the tail (so a constant point still has a finite tail).
pub const MIN_VALUE_SCALE: f64 = 1e-6;

/// What one observation of a point gave.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ValueCheck {
    /// Probability under the baseline (1 inside the envelope).
    pub p: f64,
    /// Distance outside the envelope (0 inside).
    pub excess: f64,
}

/// The model of one point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointModel {
    /// Samples.
    pub n: u64,
    /// Mean (running average, then EWMA over ~1000 samples).
    pub mean: f64,
    /// Variance estimate (same weights).
    pub var: f64,
    /// Envelope low end.
    pub lo: f64,
    /// Envelope high end.
    pub hi: f64,
    /// Width frozen at maturity (0 while learning).
    pub base_width: f64,
    /// Widening allowance left.
    pub allowance: f64,
    /// Last time the allowance accrued (epoch seconds).
    pub accrued_at: f64,
    /// First sample.
    pub first: f64,
    /// Last sample.
    pub last: f64,
    /// Last value.
    pub last_value: f64,
    /// Largest step between consecutive samples.
    pub max_step: f64,
    /// Only 0 and 1 seen (coils, binary points): the envelope test does not apply.
    pub binary: bool,
}

impl PointModel {
    /// A model seeded with one sample.
    pub fn new(v: f64, ts: f64) -> Self {
        PointModel {
            n: 1,
            mean: v,
            var: 0.0,
            lo: v,
            hi: v,
            base_width: 0.0,
            allowance: 0.0,
            accrued_at: ts,
            first: ts,
            last: ts,
            last_value: v,
            max_step: 0.0,
            binary: v == 0.0 || v == 1.0,
        }
    }
    /// True once the envelope is frozen (learning over).
    pub fn frozen(&self) -> bool {
        self.base_width > 0.0
    }
    /// Ends learning: freezes the learned width.
    pub fn freeze(&mut self, ts: f64) {
        if !self.frozen() {
            let mag = self.lo.abs().max(self.hi.abs());
            self.base_width = (self.hi - self.lo).max(0.01 * mag).max(MIN_VALUE_SCALE);
            self.accrued_at = ts;
        }
    }
    /// Tail scale `b` (see the module docs).
    pub fn scale(&self) -> f64 {
        let mag = self.lo.abs().max(self.hi.abs());
        self.var
            .sqrt()
            .max(self.hi - self.lo)
            .max(0.01 * mag)
            .max(MIN_VALUE_SCALE)
    }
    /// Probability of `v` under the current envelope.
    pub fn check(&self, v: f64) -> ValueCheck {
        let excess = if v > self.hi {
            v - self.hi
        } else if v < self.lo {
            self.lo - v
        } else {
            0.0
        };
        if excess <= 0.0 || !v.is_finite() || self.binary && (v == 0.0 || v == 1.0) {
            return ValueCheck {
                p: 1.0,
                excess: 0.0,
            };
        }
        // Exponential tail beyond the envelope, in units of the learned width: one
        // width outside is e^-1, alerting (p ≤ 0.025) starts near 3.7 widths. No
        // 1/(n+1) factor: process values drift, so "just above the maximum of many
        // samples" is not rare by itself, however many samples there are.
        let p = (-excess / self.scale()).exp();
        ValueCheck { p, excess }
    }

    /// Records `v` at `ts`; returns its check against the envelope as it was.
    pub fn observe(&mut self, v: f64, ts: f64) -> ValueCheck {
        if !v.is_finite() {
            return ValueCheck {
                p: 1.0,
                excess: 0.0,
            };
        }
        let c = self.check(v);
        self.n += 1;
        let a = 1.0 / (self.n as f64).min(1000.0);
        let d = v - self.mean;
        self.mean += a * d;
        self.var += a * (d * (v - self.mean) - self.var);
        self.max_step = self.max_step.max((v - self.last_value).abs());
        self.last_value = v;
        self.last = self.last.max(ts);
        self.binary &= v == 0.0 || v == 1.0;
        if !self.frozen() {
            self.lo = self.lo.min(v);
            self.hi = self.hi.max(v);
            return c;
        }
        // Rate-limited widening.
        let hours = ((ts - self.accrued_at) / 3600.0).max(0.0);
        self.allowance =
            (self.allowance + hours * WIDEN_PER_HOUR * self.base_width).min(self.base_width);
        self.accrued_at = self.accrued_at.max(ts);
        if v > self.hi {
            let w = (v - self.hi).min(self.allowance);
            self.hi += w;
            self.allowance -= w;
        } else if v < self.lo {
            let w = (self.lo - v).min(self.allowance);
            self.lo -= w;
            self.allowance -= w;
        }
        c
    }
    /// Accepts `v` into the envelope at once (analyst verdict "new normal").
    pub fn accept(&mut self, v: f64) {
        if v.is_finite() {
            self.lo = self.lo.min(v);
            self.hi = self.hi.max(v);
            if self.frozen() {
                let mag = self.lo.abs().max(self.hi.abs());
                self.base_width = (self.hi - self.lo).max(0.01 * mag).max(MIN_VALUE_SCALE);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setpoint() -> PointModel {
        let mut m = PointModel::new(500.0, 0.0);
        for i in 0..212u64 {
            m.observe(450.0 + (i * 37 % 101) as f64, i as f64 * 800.0);
        }
        m.freeze(212.0 * 800.0);
        m
    }

    #[test]
    fn far_outside_is_improbable_near_is_not() {
        let m = setpoint();
        assert_eq!((m.lo, m.hi), (450.0, 550.0));
        assert!(m.check(9999.0).p < 1e-12);
        assert!(m.check(560.0).p > 0.025, "{:?}", m.check(560.0));
        assert_eq!(m.check(500.0).p, 1.0);
    }

    #[test]
    fn widening_is_rate_limited() {
        let mut m = setpoint();
        let t0 = m.accrued_at;
        // Ten minutes of 9999 writes: the envelope moves by at most 5%/h of 100.
        for i in 0..60 {
            m.observe(9999.0, t0 + i as f64 * 10.0);
        }
        assert!(m.hi < 551.0, "{}", m.hi);
    }

    #[test]
    fn binary_points_have_no_envelope_alarm() {
        let mut m = PointModel::new(0.0, 0.0);
        for i in 0..50 {
            m.observe(0.0, i as f64);
        }
        m.freeze(50.0);
        assert_eq!(m.check(1.0).p, 1.0);
    }
}
