//! Packet time.
//!
//! The pipeline's clock is the timestamp of the packet being processed. That makes a
//! replay of three days in five seconds produce the same alerts as living through them.

use serde::{Deserialize, Serialize};
use std::cell::Cell;
use std::fmt;

/// Nanoseconds since the Unix epoch, in packet time.
#[derive(
    Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// One second in nanoseconds.
    pub const SECOND: i64 = 1_000_000_000;
    /// The zero instant (1970-01-01T00:00:00Z).
    pub const ZERO: Timestamp = Timestamp(0);

    /// Builds a timestamp from whole seconds and nanoseconds.
    pub fn from_parts(secs: i64, nanos: i64) -> Self {
        Timestamp(secs.saturating_mul(Self::SECOND).saturating_add(nanos))
    }
    /// Builds a timestamp from floating-point epoch seconds.
    pub fn from_secs_f64(secs: f64) -> Self {
        // Whole seconds and fraction apart: `secs * 1e9` alone has a 256 ns
        // step at today's epoch, so 1767607200.25 would print as .249999.
        let whole = secs.floor();
        let nanos = ((secs - whole) * 1e9).round() as i64;
        Timestamp(
            (whole as i64)
                .saturating_mul(Self::SECOND)
                .saturating_add(nanos),
        )
    }
    /// Epoch seconds as a float (the `ts` of the NDJSON outputs).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }
    /// Whole epoch seconds.
    pub fn secs(self) -> i64 {
        self.0.div_euclid(Self::SECOND)
    }
    /// Nanoseconds elapsed since `earlier` (negative when `earlier` is later).
    pub fn since(self, earlier: Timestamp) -> i64 {
        self.0.saturating_sub(earlier.0)
    }
    /// This instant plus `nanos` nanoseconds.
    pub fn add_nanos(self, nanos: i64) -> Self {
        Timestamp(self.0.saturating_add(nanos))
    }
    /// Hour of the week (0 = Monday 00:00 UTC .. 167), used by hour-of-week profiles.
    pub fn hour_of_week(self) -> u32 {
        // 1970-01-01 was a Thursday: day index 3 when Monday is 0.
        let days = self.secs().div_euclid(86_400);
        let dow = (days + 3).rem_euclid(7) as u32;
        let hour = (self.secs().rem_euclid(86_400) / 3600) as u32;
        dow * 24 + hour
    }
    /// Hour of the day in UTC (0..24).
    pub fn hour_of_day(self) -> u32 {
        (self.secs().rem_euclid(86_400) / 3600) as u32
    }
    /// RFC 3339 rendering in UTC with microseconds, for humans and logs.
    pub fn to_rfc3339(self) -> String {
        let secs = self.secs();
        let micros = (self.0.rem_euclid(Self::SECOND)) / 1000;
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}Z",
            sod / 3600,
            (sod / 60) % 60,
            sod % 60
        )
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

/// Converts days since the epoch to a proleptic Gregorian (year, month, day).
/// Howard Hinnant's `civil_from_days` algorithm.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Days since the epoch for a Gregorian date (inverse of [`civil_from_days`]).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A source of the current time. The pipeline uses packet time; only the console
/// and the live source read the wall clock.
pub trait Clock {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// A clock advanced by hand: packet time in the pipeline, fake time in tests.
#[derive(Debug, Default)]
pub struct ManualClock(Cell<Timestamp>);

impl ManualClock {
    /// A clock starting at `t`.
    pub fn new(t: Timestamp) -> Self {
        ManualClock(Cell::new(t))
    }
    /// Moves the clock to `t` (never backwards).
    pub fn advance_to(&self, t: Timestamp) {
        if t > self.0.get() {
            self.0.set(t);
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        self.0.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_known_instant() {
        // 2014-08-20T09:59:59Z = 1408528799
        assert_eq!(
            Timestamp::from_parts(1_408_528_799, 5_000).to_rfc3339(),
            "2014-08-20T09:59:59.000005Z"
        );
    }

    #[test]
    fn civil_roundtrip() {
        for d in [-1000, 0, 1, 16_000, 20_000, 30_000] {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
    }

    #[test]
    fn hour_of_week_monday_midnight() {
        // 2026-11-30 is a Monday.
        let t = Timestamp::from_parts(days_from_civil(2026, 11, 30) * 86_400, 0);
        assert_eq!(t.hour_of_week(), 0);
        assert_eq!(
            t.add_nanos(25 * 3600 * Timestamp::SECOND).hour_of_week(),
            25
        );
    }
}
