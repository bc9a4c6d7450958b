//! Writes a simulated plant: `simgen OUT.pcap DAYS SEED [spacing]`.

fn main() -> std::io::Result<()> {
    let a: Vec<String> = std::env::args().collect();
    let days: f64 = a.get(2).and_then(|s| s.parse().ok()).unwrap_or(1.0 / 24.0);
    let seed: u64 = a.get(3).and_then(|s| s.parse().ok()).unwrap_or(1);
    let mut cfg = otwatch_sim::SimConfig::new(days, seed);
    if let Some(sp) = a.get(4).and_then(|s| s.parse().ok()) {
        cfg.learn_days = 0.0;
        cfg.attack_spacing = Some(sp);
    }
    #[expect(
        clippy::disallowed_methods,
        reason = "wall-clock timing of the generator itself"
    )]
    let t = std::time::Instant::now();
    let f = std::fs::File::create(a.get(1).map(String::as_str).unwrap_or("/tmp/plant.pcap"))?;
    let out = otwatch_sim::simulate(&cfg, f)?;
    otwatch_sim::write_labels_csv(&out.labels, std::fs::File::create("/tmp/labels.csv")?)?;
    eprintln!(
        "{} packets {} bytes in {:?}",
        out.packets,
        out.bytes,
        t.elapsed()
    );
    Ok(())
}
