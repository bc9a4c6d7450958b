//! `otwatch simulate`: writes a simulated plant (pcap), its attack labels (CSV),
//! and optionally its ground truth (JSON) and zones file (TOML).

use anyhow::Context;
use otwatch_sim::{AttackSet, Profile, SimConfig};
use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `otwatch simulate`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Output pcap.
    #[arg(long, default_value = "plant.pcap")]
    pub out: PathBuf,
    /// Labels CSV (attack_id,kind,start_ts,end_ts,src_ip,dst_ip,description).
    #[arg(long, default_value = "labels.csv")]
    pub labels: PathBuf,
    /// Ground-truth JSON (devices, zones, zone crossings).
    #[arg(long)]
    pub truth: Option<PathBuf>,
    /// Zones file for `--zones` of analyze/serve.
    #[arg(long)]
    pub zones_out: Option<PathBuf>,
    /// Days to simulate (fractional allowed); attacks happen on the last day.
    #[arg(long, default_value_t = 3.0)]
    pub days: f64,
    /// PRNG seed: the same seed gives the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Attacks: all, none, or a comma-separated list of kinds.
    #[arg(long, default_value = "all")]
    pub attacks: String,
    /// Plant profile: small or substation.
    #[arg(long, default_value = "small")]
    pub profile: String,
}

/// Runs `otwatch simulate`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let attacks: AttackSet = args.attacks.parse().map_err(super::UsageError)?;
    let profile: Profile = args.profile.parse().map_err(super::UsageError)?;
    if !(args.days > 0.0 && args.days <= 366.0) {
        return Err(
            super::UsageError(format!("--days must be in (0, 366], got {}", args.days)).into(),
        );
    }
    let mut cfg = SimConfig::new(args.days, args.seed);
    cfg.attacks = attacks;
    cfg.profile = profile;
    let f = File::create(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    let out = otwatch_sim::simulate(&cfg, f)
        .with_context(|| format!("writing {}", args.out.display()))?;
    let lf = File::create(&args.labels)
        .with_context(|| format!("creating {}", args.labels.display()))?;
    otwatch_sim::write_labels_csv(&out.labels, BufWriter::new(lf))
        .with_context(|| format!("writing {}", args.labels.display()))?;
    if let Some(p) = &args.truth {
        let f = File::create(p).with_context(|| format!("creating {}", p.display()))?;
        otwatch_sim::write_truth_json(&out.truth, BufWriter::new(f))
            .with_context(|| format!("writing {}", p.display()))?;
    }
    if let Some(p) = &args.zones_out {
        std::fs::write(p, otwatch_sim::zones_toml(&out.truth))
            .with_context(|| format!("writing {}", p.display()))?;
    }
    let kinds: std::collections::BTreeSet<&str> =
        out.labels.iter().map(|l| l.kind.as_str()).collect();
    println!(
        "wrote {} packets ({} bytes) to {}; {} attacks ({} label rows) to {}",
        out.packets,
        out.bytes,
        args.out.display(),
        kinds.len(),
        out.labels.len(),
        args.labels.display()
    );
    Ok(ExitCode::SUCCESS)
}
