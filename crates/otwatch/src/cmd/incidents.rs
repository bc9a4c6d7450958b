//! `otwatch incidents`: correlate the store's alerts into incidents and list them.

use super::UsageError;
use super::alerts::{cell, check_format, open_existing, parse_duration, short_ts};
use otwatch_analyst::CorrelatorConfig;
use otwatch_store::{IncidentQuery, IncidentRow};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `otwatch incidents`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The store.
    #[arg(long)]
    pub db: PathBuf,
    /// `table` (with each incident's narrative and actions under `--verbose`) or
    /// `json` (one JSON array of incidents with their triage state).
    #[arg(long, default_value = "table")]
    pub format: String,
    /// Correlation window: the largest gap between an incident's alerts (`4h`).
    #[arg(long, default_value = "4h")]
    pub window: String,
    /// List what is stored without correlating the alerts again.
    #[arg(long)]
    pub no_rebuild: bool,
    /// Show one incident in full (narrative, timeline, actions).
    #[arg(long)]
    pub id: Option<String>,
    /// Print the narrative and actions of every incident in the table.
    #[arg(long, short)]
    pub verbose: bool,
    /// At most this many incidents (most recent first).
    #[arg(long, default_value_t = 1000)]
    pub limit: usize,
}

fn print_full(out: &mut impl Write, r: &IncidentRow) -> std::io::Result<()> {
    let i = &r.incident;
    writeln!(
        out,
        "{}  [{} {}]  {}",
        i.id,
        i.severity.as_str(),
        i.score,
        i.title
    )?;
    writeln!(
        out,
        "status: {}{}",
        r.triage.status,
        r.triage
            .verdict
            .map(|v| format!(" ({v})"))
            .unwrap_or_default()
    )?;
    let devs: Vec<String> = i
        .devices
        .iter()
        .map(|d| format!("{} [{}]", d.label(), d.part.as_str()))
        .collect();
    writeln!(out, "devices: {}", devs.join(", "))?;
    let tactics: Vec<&str> = i.tactics.iter().map(|t| t.name()).collect();
    writeln!(out, "tactics: {}", tactics.join(" → "))?;
    writeln!(out)?;
    for p in &i.narrative {
        writeln!(out, "{p}\n")?;
    }
    writeln!(out, "Recommended actions:")?;
    for (n, a) in i.actions.iter().enumerate() {
        writeln!(out, "  {}. {a}", n + 1)?;
    }
    writeln!(out)
}

/// Runs `otwatch incidents`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    check_format(&args.format, &["table", "json"])?;
    let window = parse_duration(&args.window).ok_or_else(|| {
        UsageError(format!(
            "--window {:?}: expected a duration such as 4h",
            args.window
        ))
    })?;
    let store = open_existing(&args.db)?;
    if !args.no_rebuild {
        store.rebuild_incidents(&CorrelatorConfig {
            window_secs: window,
        })?;
    }
    let mut out = std::io::stdout().lock();
    if let Some(id) = &args.id {
        let Some(r) = store.incident(id)? else {
            return Err(UsageError(format!("no incident {id} in {}", args.db.display())).into());
        };
        if args.format == "json" {
            serde_json::to_writer_pretty(&mut out, &r)?;
            writeln!(out)?;
        } else {
            print_full(&mut out, &r)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let page = store.incidents(&IncidentQuery {
        limit: args.limit.clamp(1, otwatch_store::MAX_PAGE),
        ..Default::default()
    })?;
    if args.format == "json" {
        serde_json::to_writer_pretty(&mut out, &page.items)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let alerts = store.alert_count()?;
    writeln!(
        out,
        "{:<20}  {:<8}  {:>5}  {:>6}  {:<19}  {:<12}  TITLE",
        "ID", "SEVERITY", "SCORE", "ALERTS", "FIRST", "STATUS"
    )?;
    for r in &page.items {
        let i = &r.incident;
        writeln!(
            out,
            "{:<20}  {:<8}  {:>5}  {:>6}  {:<19}  {:<12}  {}",
            i.id,
            i.severity.as_str(),
            i.score,
            i.alert_count(),
            short_ts(i.first_ts),
            cell(&r.triage.status, 12),
            cell(&i.title, 120)
        )?;
        if args.verbose {
            writeln!(out)?;
            print_full(&mut out, r)?;
        }
    }
    writeln!(out, "{} incidents from {alerts} alerts", page.total)?;
    Ok(ExitCode::SUCCESS)
}
