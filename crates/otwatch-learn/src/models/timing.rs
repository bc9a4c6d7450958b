//! Timing: the polling period and jitter of each request stream
//! `(src, dst, proto, function, unit, first point)`. OT traffic is strongly
//! periodic; a stopped stream (the HMI lost its PLC), a stream ten times faster
//! (a rogue master, a flood) or jitter far beyond normal are each flagged with the
//! learned period in the alert.
//!
//! Estimators: the slow period `mean` is the running average of the first
//! [`SLOW_WINDOW`] intervals, then an EWMA with weight 1/[`SLOW_WINDOW`]; the
//! jitter `mad` is the same average of |interval − mean|. Only intervals within
//! [1/[`RATE_FACTOR`], [`RATE_FACTOR`]] of the period feed them, so an attack cannot
//! move the baseline; a fast EWMA (weight [`FAST_ALPHA`], ~10 intervals) tracks the
//! present rate.

use serde::{Deserialize, Serialize};

/// Intervals averaged by the slow estimators.
pub const SLOW_WINDOW: f64 = 1000.0;
/// Weight of the fast estimators (about the last 10 intervals).
pub const FAST_ALPHA: f64 = 0.2;
/// A stream is periodic after this many intervals ...
pub const MIN_PERIODIC_INTERVALS: u32 = 30;
/// ... spanning at least this long (seconds) ...
pub const MIN_PERIODIC_SPAN: f64 = 1800.0;
/// ... with relative jitter (mad / mean) below this.
pub const MAX_PERIODIC_JITTER: f64 = 0.3;
/// Factor beyond which an interval is anomalous (and a rate change is flagged).
pub const RATE_FACTOR: f64 = 3.0;
/// A stream is stopped after this many periods of silence ...
pub const STOP_PERIODS: f64 = 10.0;
/// ... and at least this long (seconds), whichever is longer.
pub const MIN_STOP_SECS: f64 = 30.0;
/// Jitter is abnormal when the recent jitter exceeds the learned one by this factor.
pub const JITTER_FACTOR: f64 = 5.0;

/// One request stream.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PollStream {
    /// First request (epoch seconds, float).
    pub first: f64,
    /// Last request.
    pub last: f64,
    /// Intervals learned.
    pub n: u32,
    /// Learned period (seconds).
    pub mean: f64,
    /// Learned mean absolute deviation of the interval (seconds).
    pub mad: f64,
    /// Largest normal interval seen.
    pub max_gap: f64,
    /// Recent period (fast EWMA).
    pub fast_mean: f64,
    /// Recent jitter (fast EWMA).
    pub fast_mad: f64,
    /// Intervals in the fast estimators since the last reset.
    pub fast_n: u32,
    /// Requests.
    pub requests: u64,
    /// A stop was already reported for the current silence.
    pub stop_flagged: bool,
}

/// A timing anomaly with what was observed.
#[derive(Clone, Debug, PartialEq)]
pub enum TimingAnomaly {
    /// The recent period departs from the learned one by more than [`RATE_FACTOR`].
    RateChange {
        /// Recent period (seconds).
        observed: f64,
        /// Probability under the baseline.
        p: f64,
    },
    /// Jitter far beyond normal.
    Jitter {
        /// Recent mean absolute deviation (seconds).
        observed: f64,
        /// Probability under the baseline.
        p: f64,
    },
}

impl PollStream {
    /// Starts a stream at `ts`.
    pub fn start(ts: f64) -> Self {
        PollStream {
            first: ts,
            last: ts,
            requests: 1,
            ..PollStream::default()
        }
    }
    /// Relative jitter, floored at 1%.
    pub fn rel_jitter(&self) -> f64 {
        if self.mean > 0.0 {
            (self.mad / self.mean).max(0.01)
        } else {
            1.0
        }
    }
    /// True once the stream is established as periodic.
    pub fn periodic(&self) -> bool {
        self.n >= MIN_PERIODIC_INTERVALS
            && self.last - self.first >= MIN_PERIODIC_SPAN
            && self.mean > 0.0
            && self.mad / self.mean < MAX_PERIODIC_JITTER
    }

    /// Records a request at `ts` (epoch seconds); returns an anomaly when the
    /// stream is periodic and the recent behaviour departs from it.
    pub fn observe(&mut self, ts: f64) -> Option<TimingAnomaly> {
        let dt = ts - self.last;
        self.requests += 1;
        if dt < 0.0 {
            return None; // out-of-order timestamps: ignore
        }
        self.last = ts;
        if self.stop_flagged {
            // Resumed after a reported stop: the gap is not an interval.
            self.stop_flagged = false;
            self.fast_n = 0;
            return None;
        }
        let periodic = self.periodic();
        let normal = !periodic || (dt >= self.mean / RATE_FACTOR && dt <= self.mean * RATE_FACTOR);
        if self.fast_n == 0 {
            self.fast_mean = dt;
            self.fast_mad = (dt - self.mean).abs();
        } else {
            self.fast_mean += FAST_ALPHA * (dt - self.fast_mean);
            self.fast_mad += FAST_ALPHA * ((dt - self.mean).abs() - self.fast_mad);
        }
        self.fast_n = self.fast_n.saturating_add(1);
        if normal {
            self.n = self.n.saturating_add(1);
            let a = 1.0 / (self.n as f64).min(SLOW_WINDOW);
            self.mean += a * (dt - self.mean);
            self.mad += a * ((dt - self.mean).abs() - self.mad);
            self.max_gap = self.max_gap.max(dt);
        }
        if !periodic || self.fast_n < 10 {
            return None;
        }
        let f = self.fast_mean / self.mean;
        if !(1.0 / RATE_FACTOR..=RATE_FACTOR).contains(&f) {
            let p = (-(f.ln().abs()) / (self.rel_jitter() + 0.05)).exp();
            return Some(TimingAnomaly::RateChange {
                observed: self.fast_mean,
                p,
            });
        }
        let base = self.mad.max(0.01 * self.mean);
        let ratio = self.fast_mad / base;
        if ratio > JITTER_FACTOR && self.fast_mad > 0.2 * self.mean {
            let p = (-(ratio - 1.0) / 2.0).exp();
            return Some(TimingAnomaly::Jitter {
                observed: self.fast_mad,
                p,
            });
        }
        None
    }

    /// Checks for a stop at `now`; returns the probability of such a silence under
    /// the baseline when the stream is periodic and silent for too long (once per
    /// silence).
    pub fn check_stopped(&mut self, now: f64) -> Option<f64> {
        if self.stop_flagged || !self.periodic() {
            return None;
        }
        let gap = now - self.last;
        let limit = (STOP_PERIODS * self.mean)
            .max(MIN_STOP_SECS)
            .max(2.0 * self.max_gap);
        if gap < limit {
            return None;
        }
        self.stop_flagged = true;
        let scale = self.mean.max(3.0 * self.mad);
        let k = 10.0;
        Some(k / (self.n as f64 + k) * (-(gap - self.max_gap) / scale).exp())
    }

    /// Moves the stream's clock past a capture gap (no packets at all were seen), so
    /// the gap does not read as a stop.
    pub fn skip_gap(&mut self, gap: f64) {
        self.last += gap;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn learned(period: f64) -> (PollStream, f64) {
        let mut s = PollStream::start(0.0);
        let mut t = 0.0;
        for i in 0..(2000.0 / period) as u64 + 10 {
            t += period * (1.0 + 0.02 * ((i % 5) as f64 - 2.0) / 2.0);
            assert!(s.observe(t).is_none());
        }
        (s, t)
    }

    #[test]
    fn learns_period_and_flags_ten_times_faster() {
        let (mut s, mut t) = learned(5.0);
        assert!(s.periodic());
        assert!((s.mean - 5.0).abs() < 0.05, "{}", s.mean);
        let mut hit = None;
        for _ in 0..20 {
            t += 0.5;
            if let Some(a) = s.observe(t) {
                hit = Some(a);
            }
        }
        match hit {
            Some(TimingAnomaly::RateChange { observed, p }) => {
                assert!(observed < 1.0);
                assert!(p < 1e-6);
            }
            other => panic!("{other:?}"),
        }
        assert!((s.mean - 5.0).abs() < 0.05, "baseline not poisoned");
    }

    #[test]
    fn stop_flagged_once_and_resume_is_quiet() {
        let (mut s, t) = learned(2.0);
        assert!(s.check_stopped(t + 10.0).is_none());
        let p = s.check_stopped(t + 60.0).expect("stopped");
        assert!(p < 1e-6);
        assert!(s.check_stopped(t + 120.0).is_none());
        assert!(s.observe(t + 130.0).is_none());
        assert!(s.observe(t + 132.0).is_none());
    }

    #[test]
    fn irregular_stream_never_periodic() {
        let mut s = PollStream::start(0.0);
        let mut t = 0.0;
        for i in 0..500u64 {
            t += 1.0 + (i * 7919 % 97) as f64;
            s.observe(t);
        }
        assert!(!s.periodic());
        assert!(s.check_stopped(t + 1e6).is_none());
    }
}
