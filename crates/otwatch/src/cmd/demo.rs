//! `otwatch demo`: the built-in default. Simulates a small plant (clean learning
//! days, then a day with labeled attacks), analyzes it with zones, and prints what
//! an operator would look at first: assets, air-gap findings, alerts, incidents.
//! Everything it writes goes into one folder (`--out`, default `./otwatch-demo`).

use super::analyze;
use anyhow::Context;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `otwatch demo`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Folder for the simulated capture, labels, zones, outputs and the store.
    #[arg(long, default_value = "otwatch-demo")]
    pub out: PathBuf,
    /// Days to simulate: all but the last are clean learning days.
    #[arg(long, default_value_t = 3.0)]
    pub days: f64,
    /// Simulator seed.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Plant profile: small or substation.
    #[arg(long, default_value = "small")]
    pub profile: String,
}

/// Runs `otwatch demo`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let pcap = args.out.join("plant.pcap");
    let labels = args.out.join("labels.csv");
    let zones = args.out.join("zones.toml");
    let mut cfg = otwatch_sim::SimConfig::new(args.days, args.seed);
    cfg.profile = args.profile.parse().map_err(super::UsageError)?;
    println!(
        "otwatch demo: simulating {} days of a {} plant (seed {}) …",
        args.days, args.profile, args.seed
    );
    let f = File::create(&pcap).with_context(|| format!("creating {}", pcap.display()))?;
    let sim = otwatch_sim::simulate(&cfg, BufWriter::new(f))
        .with_context(|| format!("writing {}", pcap.display()))?;
    otwatch_sim::write_labels_csv(&sim.labels, BufWriter::new(File::create(&labels)?))?;
    otwatch_sim::write_truth_json(
        &sim.truth,
        BufWriter::new(File::create(args.out.join("truth.json"))?),
    )?;
    std::fs::write(&zones, otwatch_sim::zones_toml(&sim.truth))?;
    println!("  {} packets → {}", sim.packets, pcap.display());
    println!(
        "  attacks injected on the last day: {} (ground truth in {})",
        sim.labels.len(),
        labels.display()
    );
    println!("otwatch demo: analyzing …\n");
    let a = analyze::Args {
        captures: vec![pcap.clone()],
        json: false,
        events: None,
        stats: true,
        strict: false,
        no_progress: false,
        zones: Some(zones.clone()),
        assets: Some(args.out.join("assets.json")),
        assets_csv: Some(args.out.join("assets.csv")),
        airgap_report: true,
        max_flows: 262_144,
        alerts: Some(args.out.join("alerts.ndjson")),
        db: None,
        learn_hours: Some((args.days - 1.0).max(0.0) * 24.0),
    };
    let o = analyze::execute(&a)?;
    let mut out = std::io::stdout().lock();
    crate::report::print_human(&mut out, &o.summary)?;
    writeln!(
        out,
        "\nfiles in {}: plant.pcap, labels.csv, truth.json, zones.toml, assets.json, assets.csv",
        args.out.display()
    )?;
    writeln!(
        out,
        "re-run the analysis yourself: otwatch analyze {} --zones {} --airgap-report",
        pcap.display(),
        zones.display()
    )?;
    Ok(ExitCode::SUCCESS)
}
