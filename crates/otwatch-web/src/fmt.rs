//! Formatting helpers for pages: times, byte counts, durations.

use otwatch_core::Timestamp;

/// `2024-05-01 12:34:56` (UTC) for epoch seconds; `-` for 0 or non-finite.
pub fn ts(secs: f64) -> String {
    if !secs.is_finite() || secs <= 0.0 {
        return "-".into();
    }
    let s = Timestamp::from_secs_f64(secs).to_rfc3339();
    // "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" → "YYYY-MM-DD HH:MM:SS"
    s.get(..19).unwrap_or(&s).replacen('T', " ", 1)
}

/// `1.2 MB`-style byte count (decimal units).
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < UNITS.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// `3d 4h`, `5m 2s`-style duration.
pub fn duration(secs: f64) -> String {
    if !secs.is_finite() || secs < 0.0 {
        return "-".into();
    }
    let s = secs as u64;
    match s {
        0..60 => format!("{secs:.1}s"),
        60..3600 => format!("{}m {}s", s / 60, s % 60),
        3600..86_400 => format!("{}h {}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d {}h", s / 86_400, (s % 86_400) / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(ts(0.0), "-");
        assert_eq!(ts(1_700_000_000.5), "2023-11-14 22:13:20");
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(1_500_000), "1.5 MB");
        assert_eq!(duration(90.0), "1m 30s");
        assert_eq!(duration(2.0 * 86_400.0 + 3600.0), "2d 1h");
    }
}
