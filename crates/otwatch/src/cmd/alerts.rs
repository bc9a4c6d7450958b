//! `otwatch alerts`: list alerts from a store.
//!
//! Also holds the helpers the store subcommands share (`incidents`, `verdict`,
//! `export`): opening an existing store, `--since` parsing, table cells.

use super::UsageError;
use otwatch_core::time::days_from_civil;
use otwatch_store::{AlertQuery, AlertRow, AlertSort, Store};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `otwatch alerts`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The store (created by `otwatch analyze --db` or `serve --db`).
    #[arg(long)]
    pub db: PathBuf,
    /// Only alerts since: a duration back from the newest alert in the store
    /// (`90s`, `30m`, `24h`, `7d`), epoch seconds, or RFC 3339 (`2026-01-05T10:00:00Z`).
    #[arg(long)]
    pub since: Option<String>,
    /// Minimum score (0–100).
    #[arg(long)]
    pub min_score: Option<u8>,
    /// Only this kind (`unauthorized_write`, ...).
    #[arg(long)]
    pub kind: Option<String>,
    /// Only this triage status (`open`, `acknowledged`, `resolved`).
    #[arg(long)]
    pub status: Option<String>,
    /// Sort by `time` (newest first), `score` or `kind`.
    #[arg(long, default_value = "time")]
    pub sort: String,
    /// Include alerts muted by suppression rules.
    #[arg(long)]
    pub include_suppressed: bool,
    /// At most this many alerts.
    #[arg(long, default_value_t = 1000)]
    pub limit: usize,
    /// `table` or `json` (one JSON array).
    #[arg(long, default_value = "table")]
    pub format: String,
}

/// Opens an existing store; a missing file is a usage error (no silent creation).
pub(crate) fn open_existing(db: &Path) -> anyhow::Result<Store> {
    if !db.exists() {
        return Err(UsageError(format!(
            "no store at {} (create one with `otwatch analyze --db`)",
            db.display()
        ))
        .into());
    }
    Store::open(db).map_err(|e| match e {
        otwatch_store::Error::NewerSchema { .. } => UsageError(e.to_string()).into(),
        e => anyhow::Error::from(e).context(format!("opening {}", db.display())),
    })
}

/// Parses a duration such as `90s`, `30m`, `24h`, `7d`, `2w` into seconds.
pub(crate) fn parse_duration(s: &str) -> Option<f64> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit() && c != '.')?);
    let n: f64 = num.parse().ok()?;
    let mult = match unit {
        "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        "w" => 7.0 * 86_400.0,
        _ => return None,
    };
    (n.is_finite() && n >= 0.0).then_some(n * mult)
}

/// Parses RFC 3339 `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)` into epoch seconds.
pub(crate) fn parse_rfc3339(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    if b.len() < 20
        || b.get(4) != Some(&b'-')
        || b.get(7) != Some(&b'-')
        || !matches!(b.get(10), Some(b'T' | b't' | b' '))
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> { s.get(r)?.parse().ok() };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut rest = s.get(19..)?;
    let mut frac = 0.0;
    if let Some(r) = rest.strip_prefix('.') {
        let end = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
        frac = format!("0.{}", r.get(..end)?).parse().ok()?;
        rest = r.get(end..)?;
    }
    let offset = match rest {
        "Z" | "z" => 0,
        o if o.len() == 6 && (o.starts_with('+') || o.starts_with('-')) => {
            let oh: i64 = o.get(1..3)?.parse().ok()?;
            let om: i64 = o.get(4..6)?.parse().ok()?;
            let v = oh * 3600 + om * 60;
            if o.starts_with('-') { -v } else { v }
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo as u32, d as u32);
    Some((days * 86_400 + h * 3600 + mi * 60 + sec - offset) as f64 + frac)
}

/// Resolves `--since`: a duration counts back from `latest` (the newest alert time,
/// packet time, so offline analyses of old captures work), else an absolute time.
pub(crate) fn parse_since(s: &str, latest: Option<f64>) -> anyhow::Result<f64> {
    if let Some(d) = parse_duration(s) {
        return Ok(latest.unwrap_or(0.0) - d);
    }
    if let Ok(t) = s.trim().parse::<f64>()
        && t.is_finite()
    {
        return Ok(t);
    }
    parse_rfc3339(s.trim()).ok_or_else(|| {
        UsageError(format!(
            "--since {s:?}: expected a duration (24h, 30m, 7d), epoch seconds or RFC 3339"
        ))
        .into()
    })
}

/// Checks `--format` against the allowed values.
pub(crate) fn check_format(f: &str, allowed: &[&str]) -> anyhow::Result<()> {
    if allowed.contains(&f) {
        Ok(())
    } else {
        Err(UsageError(format!(
            "--format {f:?}: expected one of {}",
            allowed.join(", ")
        ))
        .into())
    }
}

/// `2026-01-05 10:00:00` (UTC, second resolution) for tables.
pub(crate) fn short_ts(ts: f64) -> String {
    let s = otwatch_core::Timestamp::from_secs_f64(ts).to_rfc3339();
    s.get(..19).unwrap_or(&s).replace('T', " ")
}

/// Truncates a cell to `n` characters with an ellipsis.
pub(crate) fn cell(s: &str, n: usize) -> String {
    let one_line = s.replace(['\n', '\r', '\t'], " ");
    if one_line.chars().count() <= n {
        one_line
    } else {
        let mut t: String = one_line.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// An alert row as the JSON output shows it: the alert's fields plus triage.
pub(crate) fn row_json(r: &AlertRow) -> serde_json::Value {
    let mut v = serde_json::to_value(&r.alert).unwrap_or(serde_json::Value::Null);
    if let Some(o) = v.as_object_mut() {
        o.insert("status".into(), r.triage.status.clone().into());
        o.insert("assignee".into(), r.triage.assignee.clone().into());
        o.insert(
            "verdict".into(),
            r.triage.verdict.map(|v| v.as_str()).into(),
        );
        o.insert("incident_id".into(), r.incident_id.clone().into());
        o.insert("suppressed".into(), r.suppressed.into());
    }
    v
}

/// Runs `otwatch alerts`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    check_format(&args.format, &["table", "json"])?;
    let sort = match args.sort.as_str() {
        "time" => AlertSort::Time,
        "score" => AlertSort::Score,
        "kind" => AlertSort::Kind,
        s => return Err(UsageError(format!("--sort {s:?}: expected time, score or kind")).into()),
    };
    let store = open_existing(&args.db)?;
    let since = match &args.since {
        Some(s) => Some(parse_since(s, store.latest_alert_ts()?)?),
        None => None,
    };
    let q = AlertQuery {
        since,
        min_score: args.min_score,
        kind: args.kind.clone(),
        status: args.status.clone(),
        include_suppressed: args.include_suppressed,
        sort,
        limit: args.limit.clamp(1, otwatch_store::MAX_PAGE),
        ..Default::default()
    };
    let page = store.alerts(&q)?;
    let mut out = std::io::stdout().lock();
    if args.format == "json" {
        let v: Vec<serde_json::Value> = page.items.iter().map(row_json).collect();
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "{:<19}  {:>5}  {:<22}  {:<21}  {:<21}  {:<12}  {:<28}  SUMMARY",
        "TIME", "SCORE", "KIND", "SRC", "DST", "STATUS", "ID"
    )?;
    for r in &page.items {
        let a = &r.alert;
        let status = match r.triage.verdict {
            Some(v) => v.as_str().to_string(),
            None => r.triage.status.clone(),
        };
        writeln!(
            out,
            "{:<19}  {:>5}  {:<22}  {:<21}  {:<21}  {:<12}  {:<28}  {}",
            short_ts(a.ts),
            a.score,
            cell(&a.kind, 22),
            cell(&a.src, 21),
            cell(&a.dst, 21),
            cell(&status, 12),
            cell(&a.id, 28),
            cell(&a.summary, 100)
        )?;
    }
    writeln!(out, "{} of {} alerts", page.items.len(), page.total)?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_forms() {
        assert_eq!(parse_duration("24h"), Some(86_400.0));
        assert_eq!(parse_duration("90s"), Some(90.0));
        assert_eq!(parse_duration("1.5d"), Some(129_600.0));
        assert_eq!(parse_duration("24"), None);
        assert_eq!(parse_duration("h"), None);
        assert_eq!(parse_rfc3339("2026-01-05T10:00:00Z"), Some(1_767_607_200.0));
        assert_eq!(
            parse_rfc3339("2026-01-05T12:00:00+02:00"),
            Some(1_767_607_200.0)
        );
        assert_eq!(
            parse_rfc3339("2026-01-05T10:00:00.5Z"),
            Some(1_767_607_200.5)
        );
        assert_eq!(parse_rfc3339("2026-13-05T10:00:00Z"), None);
        assert_eq!(parse_since("1h", Some(10_000.0)).unwrap(), 6400.0);
        assert_eq!(parse_since("1700000000", None).unwrap(), 1_700_000_000.0);
        assert!(parse_since("yesterday", None).is_err());
    }
}
