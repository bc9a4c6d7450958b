//! `otwatch analyze CAPTURE...`: runs the pipeline over capture files and prints a
//! report (human text, or one JSON object with `--json`).

use super::{DamagedInput, UsageError};
use crate::report::{self, Summary};
use anyhow::Context;
use otwatch_core::{Event, EventSink, FlowRecord, Timestamp};
use otwatch_proto::pipeline::{Dissectors, PipelineSink};
use otwatch_wire::{Engine, EngineConfig};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `otwatch analyze`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Capture files (pcap or pcapng, detected by content); several form one timeline.
    #[arg(required = true)]
    pub captures: Vec<PathBuf>,
    /// Print the summary as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Write every event as NDJSON to this file (schema: docs/events.md).
    #[arg(long, value_name = "FILE")]
    pub events: Option<PathBuf>,
    /// Print timing: packets per second, elapsed time.
    #[arg(long)]
    pub stats: bool,
    /// Exit with code 3 when a capture file is damaged (default: warn and keep what was read).
    #[arg(long)]
    pub strict: bool,
    /// Never show a progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// Zones file (docs/zones.md); without it zones are inferred and the report says so.
    #[arg(long, value_name = "FILE")]
    pub zones: Option<PathBuf>,
    /// Write the asset inventory as JSON (docs/assets.md).
    #[arg(long, value_name = "FILE")]
    pub assets: Option<PathBuf>,
    /// Write the asset inventory as CSV.
    #[arg(long, value_name = "FILE")]
    pub assets_csv: Option<PathBuf>,
    /// Include the air-gap report in the summary.
    #[arg(long)]
    pub airgap_report: bool,
    /// Flow table capacity.
    #[arg(long, default_value_t = 262_144)]
    pub max_flows: usize,
    /// Write every alert as NDJSON to this file (schema: docs/alerts.md).
    #[arg(long, value_name = "FILE")]
    pub alerts: Option<PathBuf>,
    /// Store (SQLite): resume the learned models from it, and save alerts,
    /// incidents, devices and the models into it.
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// Forced learning window (`48h`, `2d`, `90m`, seconds): nothing that exists in
    /// the first DURATION of packet time alerts; after it every known entity is
    /// protected. Without it each entity learns until its behaviour is stable
    /// (docs/detection.md). Ignored when the models resume from `--db`.
    #[arg(long = "learn-for", value_name = "DURATION", value_parser = parse_hours)]
    pub learn_hours: Option<f64>,
}

/// Parses a duration (`90s`, `30m`, `48h`, `2d`, or plain seconds) into hours.
pub fn parse_hours(s: &str) -> Result<f64, String> {
    let s = s.trim();
    let (num, mul) = match s.char_indices().last() {
        Some((i, 's')) => (&s[..i], 1.0),
        Some((i, 'm')) => (&s[..i], 60.0),
        Some((i, 'h')) => (&s[..i], 3600.0),
        Some((i, 'd')) => (&s[..i], 86_400.0),
        _ => (s, 1.0),
    };
    match num.trim().parse::<f64>() {
        Ok(v) if v >= 0.0 && v.is_finite() => Ok(v * mul / 3600.0),
        _ => Err(format!("{s:?} is not a duration (examples: 90m, 48h, 2d)")),
    }
}

/// Counts events and writes them out.
pub struct AnalyzeSink {
    events_out: Option<BufWriter<File>>,
    write_error: Option<std::io::Error>,
    /// Events per (proto, kind/function).
    pub event_counts: BTreeMap<(String, String), u64>,
    /// Total events.
    pub events: u64,
    /// The learning engine (inventory and detectors).
    pub learn: otwatch_learn::engine::Engine,
    /// Alerts raised, in order.
    pub alerts: Vec<otwatch_core::Alert>,
    learn_hours: Option<f64>,
    last_tick: i64,
}

impl AnalyzeSink {
    fn new(
        events_out: Option<BufWriter<File>>,
        learn: otwatch_learn::engine::Engine,
        learn_hours: Option<f64>,
    ) -> Self {
        AnalyzeSink {
            events_out,
            write_error: None,
            event_counts: BTreeMap::new(),
            events: 0,
            learn,
            alerts: Vec::new(),
            learn_hours,
            last_tick: i64::MIN,
        }
    }

    /// The asset inventory.
    pub fn inventory(&self) -> &otwatch_learn::inventory::Inventory {
        self.learn.inventory()
    }

    fn start_clock(&mut self, ts: Timestamp) {
        if let Some(h) = self.learn_hours.take() {
            let mut cfg = self.learn.detectors().config().clone();
            cfg.policy.learn_until = Some(ts.secs() + (h * 3600.0) as i64);
            self.learn.set_config(cfg);
        }
    }

    fn collect(&mut self) {
        self.alerts.extend(self.learn.drain_alerts());
    }
}

impl EventSink for AnalyzeSink {
    fn event(&mut self, ev: Event) {
        self.events += 1;
        self.start_clock(ev.ts);
        self.learn.event(&ev);
        self.collect();
        *self
            .event_counts
            .entry((ev.proto.to_string(), ev.function.to_string()))
            .or_insert(0) += 1;
        if let Some(w) = &mut self.events_out
            && self.write_error.is_none()
        {
            let r = serde_json::to_writer(&mut *w, &ev)
                .map_err(std::io::Error::other)
                .and_then(|()| w.write_all(b"\n"));
            if let Err(e) = r {
                self.write_error = Some(e);
            }
        }
    }
}

impl PipelineSink for AnalyzeSink {
    fn flow(&mut self, rec: &FlowRecord) {
        self.start_clock(rec.first);
        self.learn.flow(rec);
        self.collect();
    }
    fn tick(&mut self, now: Timestamp) {
        if now.secs() != self.last_tick {
            self.last_tick = now.secs();
            self.learn.tick(now);
            self.collect();
        }
    }
}

/// What one analysis produced.
pub struct Outcome {
    /// The summary (what `--json` prints).
    pub summary: Summary,
    /// What was read from each file.
    pub report: otwatch_wire::RunReport,
    /// The sink, with the inventory.
    pub sink: AnalyzeSink,
}

/// Runs `otwatch analyze`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let o = execute(&args)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &o.summary)?;
        writeln!(out)?;
    } else {
        report::print_human(&mut out, &o.summary)?;
    }
    let damages: Vec<String> = o.report.damages().map(|d| d.to_string()).collect();
    for d in &damages {
        eprintln!("otwatch: warning: {d}; the packets before it were analyzed");
    }
    for f in &o.report.files {
        for l in &f.unsupported_links {
            eprintln!(
                "otwatch: warning: {}: unsupported link type {l}; its packets were counted but not decoded",
                f.path.display()
            );
        }
    }
    if args.strict && !damages.is_empty() {
        return Err(DamagedInput(format!(
            "{} damaged capture file(s) (--strict)",
            damages.len()
        ))
        .into());
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs the analysis without printing.
pub fn execute(args: &Args) -> anyhow::Result<Outcome> {
    for p in &args.captures {
        if !p.exists() {
            return Err(UsageError(format!("{}: no such file", p.display())).into());
        }
    }
    let events_out = match &args.events {
        Some(p) => Some(BufWriter::new(
            File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        None => None,
    };
    let zones = match &args.zones {
        Some(z) => Some(
            otwatch_learn::zones::Zones::load(z)
                .map_err(|e| UsageError(format!("{}: {e}", z.display())))?,
        ),
        None => None,
    };
    let store = match &args.db {
        Some(p) => Some(
            otwatch_store::Store::open(p).with_context(|| format!("opening {}", p.display()))?,
        ),
        None => None,
    };
    let learn = crate::persist::load_engine(store.as_ref(), zones)?;
    let resumed = learn.detectors().first.is_some();
    let mut sink = AnalyzeSink::new(
        events_out,
        learn,
        if resumed { None } else { args.learn_hours },
    );
    let cfg = EngineConfig {
        max_flows: args.max_flows,
        ..EngineConfig::default()
    };
    let mut engine = Engine::new(cfg, Dissectors::default());
    let total: u64 = args
        .captures
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let bar =
        (!args.no_progress && std::io::stderr().is_terminal() && total > 32 << 20).then(|| {
            let b = indicatif::ProgressBar::new(total);
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {bytes}/{total_bytes} {wide_bar} {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            b
        });
    #[expect(
        clippy::disallowed_methods,
        reason = "CLI timing of the whole run (--stats), not pipeline time"
    )]
    let started = std::time::Instant::now();
    let report = otwatch_wire::run_files(&args.captures, &mut engine, &mut sink, |done| {
        if let Some(b) = &bar {
            b.set_position(done);
        }
    })
    .map_err(|e| match e {
        otwatch_wire::Error::NotCapture { .. } => anyhow::Error::new(UsageError(e.to_string())),
        other => anyhow::Error::new(other),
    })?;
    let elapsed = started.elapsed();
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if let Some(w) = &mut sink.events_out {
        w.flush().context("writing events")?;
    }
    if let Some(e) = sink.write_error.take() {
        return Err(anyhow::Error::new(e).context("writing events"));
    }
    sink.learn.finish();
    sink.collect();
    if let Some(p) = &args.assets {
        std::fs::write(p, sink.inventory().to_json())
            .with_context(|| format!("writing {}", p.display()))?;
    }
    if let Some(p) = &args.assets_csv {
        std::fs::write(p, sink.inventory().to_csv())
            .with_context(|| format!("writing {}", p.display()))?;
    }
    if let Some(p) = &args.alerts {
        let mut w = BufWriter::new(
            File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        );
        for a in &sink.alerts {
            serde_json::to_writer(&mut w, a)?;
            w.write_all(b"\n")?;
        }
        w.flush()
            .with_context(|| format!("writing {}", p.display()))?;
    }
    let incidents =
        otwatch_analyst::correlate(&sink.alerts, &otwatch_analyst::CorrelatorConfig::default());
    if let Some(st) = &store {
        crate::persist::save_run(st, &sink.learn, &sink.alerts, &incidents)
            .context("saving to the store")?;
    }
    let mut summary = Summary::build(&engine.stats, &report, &sink, args.stats.then_some(elapsed));
    summary.assets = Some(report::AssetsSummary::of(sink.inventory()));
    if args.airgap_report {
        summary.airgap = Some(otwatch_learn::airgap::AirgapReport::build(sink.inventory()));
    }
    summary.detection = Some(report::DetectionSummary::of(
        &sink.alerts,
        &incidents,
        &sink.learn,
    ));
    Ok(Outcome {
        summary,
        report,
        sink,
    })
}
