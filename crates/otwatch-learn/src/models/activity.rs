//! Activity hours of human-operated hosts, and windowed rates with hour-of-day
//! profiles (the volume and fan-out baselines).

use serde::{Deserialize, Serialize};

/// On how many distinct days each hour of the day saw the host active.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HourActivity {
    /// Distinct days with activity.
    pub days: u32,
    /// Day index (days since the epoch) of the last activity.
    pub last_day: i64,
    /// Per hour of day (UTC): days on which the host was active in that hour.
    pub hours: [u16; 24],
    last_mark: [i64; 24],
    /// First activity (epoch seconds).
    pub first: i64,
}

impl HourActivity {
    /// Records interactive activity at `secs`; returns the probability that the host
    /// is active at this hour of the day, estimated before this observation from the
    /// hour and its two neighbours over the days observed (with a 0.1 pseudo-count).
    pub fn observe(&mut self, secs: i64) -> f64 {
        let day = secs.div_euclid(86_400);
        let h = (secs.rem_euclid(86_400) / 3600) as usize;
        if self.days == 0 {
            self.first = secs;
            self.last_mark = [i64::MIN; 24];
        }
        let p = self.p_active(h);
        if self.days == 0 || day != self.last_day {
            self.days += 1;
            self.last_day = day;
        }
        if self.last_mark[h] != day {
            self.last_mark[h] = day;
            self.hours[h] = self.hours[h].saturating_add(1);
        }
        p
    }
    /// Probability of activity in hour `h` (see [`HourActivity::observe`]).
    pub fn p_active(&self, h: usize) -> f64 {
        let n = |i: usize| self.hours[i % 24] as f64;
        let around = n(h + 23) + n(h) + n(h + 1);
        (around + 0.1) / (3.0 * self.days as f64 + 1.0)
    }
    /// True when the host behaves like a human-operated one: at least two days of
    /// history, and at least 6 hours of the day in which it was never active.
    pub fn human_operated(&self) -> bool {
        self.days >= 2 && self.hours.iter().filter(|&&c| c == 0).count() >= 6
    }
    /// The hours of day the host was usually active, as "08–17" style ranges.
    pub fn usual_hours(&self) -> String {
        let mut out = Vec::new();
        let mut h = 0;
        while h < 24 {
            if self.hours[h] > 0 {
                let start = h;
                while h < 24 && self.hours[h] > 0 {
                    h += 1;
                }
                out.push(format!("{start:02}–{:02}", h));
            } else {
                h += 1;
            }
        }
        if out.is_empty() {
            "never".into()
        } else {
            out.join(", ")
        }
    }
}

/// Welford statistics of window values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Welford {
    /// Windows.
    pub n: u32,
    /// Mean.
    pub mean: f64,
    /// Sum of squared deviations.
    pub m2: f64,
    /// Largest value.
    pub max: f64,
}

impl Welford {
    /// Adds a value.
    pub fn add(&mut self, x: f64) {
        self.n = self.n.saturating_add(1);
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
        self.max = self.max.max(x);
    }
    /// Standard deviation.
    pub fn sd(&self) -> f64 {
        if self.n > 1 {
            (self.m2 / (self.n - 1) as f64).sqrt()
        } else {
            0.0
        }
    }
}

/// Window values of an entity per hour of day, plus overall.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RateProfile {
    /// Per hour of day.
    pub by_hour: Vec<Welford>,
    /// Over all hours.
    pub all: Welford,
}

impl RateProfile {
    /// Records a closed window's value at hour of day `h`.
    pub fn add(&mut self, h: u32, x: f64) {
        if self.by_hour.len() != 24 {
            self.by_hour = vec![Welford::default(); 24];
        }
        if let Some(w) = self.by_hour.get_mut(h as usize) {
            w.add(x);
        }
        self.all.add(x);
    }
    /// The expected window value at hour `h`: the hour's own statistics when it has
    /// 3 windows or more, else the overall ones. Returns (mean, sd, max, windows).
    pub fn expected(&self, h: u32) -> (f64, f64, f64, u32) {
        match self.by_hour.get(h as usize) {
            Some(w) if w.n >= 3 => (w.mean, w.sd(), w.max.max(self.all.mean), w.n),
            _ => (self.all.mean, self.all.sd(), self.all.max, self.all.n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn office_hours_host_is_human_and_night_is_improbable() {
        let mut a = HourActivity::default();
        for day in 0..3i64 {
            for h in 8..17i64 {
                a.observe(day * 86_400 + h * 3600 + 100);
            }
        }
        assert!(a.human_operated());
        assert!(a.p_active(3) < 0.02);
        assert!(a.p_active(9) > 0.9);
        assert_eq!(a.usual_hours(), "08–17");
    }

    #[test]
    fn profile_falls_back_to_overall() {
        let mut r = RateProfile::default();
        for i in 0..10 {
            r.add(5, i as f64);
        }
        assert_eq!(r.expected(5).3, 10);
        assert_eq!(r.expected(6).3, 10);
        assert!((r.expected(6).0 - 4.5).abs() < 1e-9);
    }
}
