//! `otwatch eval`: scores alerts against labeled attack windows.
//!
//! Two ways in:
//! - `otwatch eval --alerts alerts.ndjson --labels labels.csv [--learn-until TS]`
//!   scores alerts an earlier `analyze --alerts` wrote.
//! - `otwatch eval --simulate [--seeds 1,2,3] [--profiles small,substation]` makes
//!   the plants itself: for each seed and profile it simulates clean learning days
//!   and a day with every attack, analyzes it with a forced learning window, and
//!   scores the alerts; then it simulates the same plant with no attacks and counts
//!   every detection-day alert of that run as false.
//!
//! The rules (what "detected" and "false" mean) are in `otwatch_learn::eval`.

use super::{UsageError, analyze};
use anyhow::Context;
use otwatch_core::Alert;
use otwatch_learn::eval::{Attack, EvalReport, evaluate, merge_rows};
use serde::Serialize;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `otwatch eval`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Alerts (NDJSON, as `analyze --alerts` writes them).
    #[arg(long, required_unless_present = "simulate")]
    pub alerts: Option<PathBuf>,
    /// Labels CSV (the simulator's format: attack_id,kind,start_ts,end_ts,src_ip,dst_ip,description).
    #[arg(long, required_unless_present = "simulate")]
    pub labels: Option<PathBuf>,
    /// Ignore alerts before this time (epoch seconds or RFC 3339): the learning period.
    #[arg(long)]
    pub learn_until: Option<String>,
    /// Devices on the network, for false alerts per 100 devices.
    #[arg(long)]
    pub devices: Option<u64>,
    /// Simulate the plants, analyze them and score them.
    #[arg(long)]
    pub simulate: bool,
    /// Seeds for --simulate.
    #[arg(long, value_delimiter = ',', default_value = "1,2,3")]
    pub seeds: Vec<u64>,
    /// Profiles for --simulate.
    #[arg(long, value_delimiter = ',', default_value = "small,substation")]
    pub profiles: Vec<String>,
    /// Days per simulated plant (the last one carries the attacks).
    #[arg(long, default_value_t = 3.0)]
    pub days: f64,
    /// Folder for the simulated captures and alerts.
    #[arg(long, default_value = "otwatch-eval")]
    pub out: PathBuf,
    /// Print JSON instead of the table.
    #[arg(long)]
    pub json: bool,
}

fn parse_time(s: &str) -> anyhow::Result<f64> {
    if let Ok(v) = s.parse::<f64>() {
        return Ok(v);
    }
    super::alerts::parse_rfc3339(s).ok_or_else(|| {
        UsageError(format!(
            "--learn-until {s:?}: not epoch seconds or RFC 3339"
        ))
        .into()
    })
}

/// Reads alerts NDJSON; a bad line is an error naming the line.
pub fn read_alerts(p: &Path) -> anyhow::Result<Vec<Alert>> {
    let f = File::open(p).with_context(|| format!("opening {}", p.display()))?;
    let mut v = Vec::new();
    for (i, line) in BufReader::new(f).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        v.push(
            serde_json::from_str(&line)
                .map_err(|e| UsageError(format!("{}:{}: not an alert: {e}", p.display(), i + 1)))?,
        );
    }
    Ok(v)
}

/// Reads the labels CSV into attacks.
pub fn read_attacks(p: &Path) -> anyhow::Result<Vec<Attack>> {
    let f = File::open(p).with_context(|| format!("opening {}", p.display()))?;
    let labels = otwatch_sim::read_labels_csv(BufReader::new(f))
        .map_err(|e| UsageError(format!("{}: {e}", p.display())))?;
    Ok(merge_rows(labels.iter().map(|l| {
        (
            l.attack_id.as_str(),
            l.kind.as_str(),
            l.start_ts.as_secs_f64(),
            l.end_ts.as_secs_f64(),
            l.src_ip.as_str(),
            l.dst_ip.as_str(),
        )
    })))
}

/// One simulated plant's evaluation.
#[derive(Serialize)]
pub struct PlantEval {
    /// Profile.
    pub profile: String,
    /// Seed.
    pub seed: u64,
    /// Devices in the plant.
    pub devices: u64,
    /// The attacked run, scored.
    pub report: EvalReport,
    /// Alerts on the detection day of the same plant without attacks (all false).
    pub clean_day_alerts: u64,
    /// Their kinds and summaries.
    pub clean_day_list: Vec<(String, String)>,
}

/// Simulates and analyzes one plant; returns (alerts, learn_until, devices, labels path).
fn run_plant(
    dir: &Path,
    profile: &str,
    seed: u64,
    days: f64,
    attacks: bool,
) -> anyhow::Result<(Vec<Alert>, f64, u64, PathBuf)> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut cfg = otwatch_sim::SimConfig::new(days, seed);
    cfg.profile = profile.parse().map_err(UsageError)?;
    if !attacks {
        cfg.attacks = otwatch_sim::AttackSet::none();
    }
    let pcap = dir.join("plant.pcap");
    let labels = dir.join("labels.csv");
    let sim = otwatch_sim::simulate(&cfg, BufWriter::new(File::create(&pcap)?))
        .with_context(|| format!("writing {}", pcap.display()))?;
    otwatch_sim::write_labels_csv(&sim.labels, BufWriter::new(File::create(&labels)?))?;
    let learn_until = cfg.detection_start().as_secs_f64();
    let alerts_path = dir.join("alerts.ndjson");
    let a = analyze::Args {
        captures: vec![pcap],
        json: false,
        events: None,
        stats: false,
        strict: false,
        no_progress: true,
        zones: None,
        assets: None,
        assets_csv: None,
        airgap_report: false,
        max_flows: 262_144,
        alerts: Some(alerts_path),
        db: None,
        learn_hours: Some(cfg.learn_days * 24.0),
    };
    let o = analyze::execute(&a)?;
    Ok((
        o.sink.alerts,
        learn_until,
        sim.truth.devices.len() as u64,
        labels,
    ))
}

fn simulate_all(args: &Args) -> anyhow::Result<Vec<PlantEval>> {
    let mut out = Vec::new();
    for profile in &args.profiles {
        for &seed in &args.seeds {
            let dir = args.out.join(format!("{profile}-{seed}"));
            eprintln!("otwatch eval: {profile} plant, seed {seed} …");
            let (alerts, learn_until, devices, labels) =
                run_plant(&dir, profile, seed, args.days, true)?;
            let attacks = read_attacks(&labels)?;
            let report = evaluate(&alerts, &attacks, Some(learn_until), None, Some(devices));
            let (clean, lu, _, _) = run_plant(&dir.join("clean"), profile, seed, args.days, false)?;
            let clean_list: Vec<(String, String)> = clean
                .iter()
                .filter(|a| a.ts >= lu)
                .map(|a| (a.kind.clone(), a.summary.clone()))
                .collect();
            out.push(PlantEval {
                profile: profile.clone(),
                seed,
                devices,
                report,
                clean_day_alerts: clean_list.len() as u64,
                clean_day_list: clean_list,
            });
        }
    }
    Ok(out)
}

/// Runs `otwatch eval`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut stdout = std::io::stdout().lock();
    if args.simulate {
        let plants = simulate_all(&args)?;
        if args.json {
            serde_json::to_writer_pretty(&mut stdout, &plants)?;
            writeln!(stdout)?;
            return Ok(ExitCode::SUCCESS);
        }
        for p in &plants {
            writeln!(
                stdout,
                "== {} plant, seed {} ({} devices)\n{}clean detection day: {} alerts",
                p.profile,
                p.seed,
                p.devices,
                p.report.table(),
                p.clean_day_alerts
            )?;
            for (k, s) in p.clean_day_list.iter().take(10) {
                writeln!(stdout, "  clean-day alert: {k}: {s}")?;
            }
            writeln!(stdout)?;
        }
        let attacks: usize = plants.iter().map(|p| p.report.attacks.len()).sum();
        let detected: u64 = plants.iter().map(|p| p.report.detected).sum();
        let clean: u64 = plants.iter().map(|p| p.clean_day_alerts).sum();
        writeln!(
            stdout,
            "overall: {detected}/{attacks} attacks detected with a fitting alert kind; {clean} alerts on {} clean detection days",
            plants.len()
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let (Some(ap), Some(lp)) = (&args.alerts, &args.labels) else {
        return Err(UsageError("--alerts and --labels are required (or --simulate)".into()).into());
    };
    let alerts = read_alerts(ap)?;
    let attacks = read_attacks(lp)?;
    let lu = args.learn_until.as_deref().map(parse_time).transpose()?;
    let r = evaluate(&alerts, &attacks, lu, None, args.devices);
    if args.json {
        serde_json::to_writer_pretty(&mut stdout, &r)?;
        writeln!(stdout)?;
    } else {
        write!(stdout, "{}", r.table())?;
    }
    Ok(ExitCode::SUCCESS)
}
