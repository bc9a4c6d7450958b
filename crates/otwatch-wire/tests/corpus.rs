//! Corpus tests: every capture in `$OTWATCH_CORPUS` reads with the same packet
//! count as Wireshark's `capinfos`, through the whole engine, without a panic; and
//! random cuts of real files give a clean error or a partial result.

use otwatch_core::Event;
use otwatch_core::corpus::{corpus_captures, skip_note};
use otwatch_wire::{Engine, EngineConfig, NullFactory, RunReport, run_files};
use std::path::{Path, PathBuf};
use std::process::Command;

fn capinfos_count(p: &Path) -> u64 {
    let out = Command::new("capinfos")
        .args(["-c", "-M", "-T", "-r"])
        .arg(p)
        .output()
        .expect(
            "capinfos (Wireshark) is required when OTWATCH_CORPUS is set: apt-get install tshark",
        );
    let s = String::from_utf8_lossy(&out.stdout);
    let line = s.lines().next().unwrap_or_default();
    line.rsplit('\t')
        .next()
        .and_then(|c| c.trim().parse().ok())
        .unwrap_or_else(|| panic!("capinfos gave no count for {}: {s:?}", p.display()))
}

fn run(p: &Path) -> RunReport {
    let mut e = Engine::new(EngineConfig::default(), NullFactory);
    let mut sink: Vec<Event> = Vec::new();
    run_files(&[p.to_path_buf()], &mut e, &mut sink, |_| {}).unwrap_or_else(|err| panic!("{err}"))
}

#[test]
fn packet_counts_match_capinfos_for_every_corpus_file() {
    let Some(files) = corpus_captures() else {
        skip_note("packet_counts_match_capinfos_for_every_corpus_file");
        return;
    };
    assert!(
        files.len() > 100,
        "corpus looks incomplete: {} captures",
        files.len()
    );
    let mut bad = Vec::new();
    for f in &files {
        let ours = run(f);
        let theirs = capinfos_count(f);
        if ours.packets() != theirs {
            bad.push(format!(
                "{}: otwatch {} vs capinfos {} ({:?})",
                f.display(),
                ours.packets(),
                theirs,
                ours.files[0].damage
            ));
        }
    }
    assert!(
        bad.is_empty(),
        "{} of {} files disagree:\n{}",
        bad.len(),
        files.len(),
        bad.join("\n")
    );
}

#[test]
fn random_cuts_give_clean_errors_or_partial_results() {
    let Some(files) = corpus_captures() else {
        skip_note("random_cuts_give_clean_errors_or_partial_results");
        return;
    };
    // A mix of pcap and pcapng files of modest size.
    let picks: Vec<&PathBuf> = files
        .iter()
        .filter(|f| {
            std::fs::metadata(f)
                .map(|m| m.len() > 2_000 && m.len() < 400_000)
                .unwrap_or(false)
        })
        .step_by(7)
        .take(12)
        .collect();
    assert!(picks.len() >= 5);
    let dir = std::env::temp_dir().join(format!("otwatch-cuts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut s: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut cuts = 0;
    for f in picks {
        let data = std::fs::read(f).unwrap();
        let full = run(f).packets();
        for _ in 0..10 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let at = (s as usize) % data.len();
            let p = dir.join("cut.pcap");
            std::fs::write(&p, &data[..at]).unwrap();
            let mut e = Engine::new(EngineConfig::default(), NullFactory);
            let mut sink: Vec<Event> = Vec::new();
            match run_files(std::slice::from_ref(&p), &mut e, &mut sink, |_| {}) {
                Ok(rep) => {
                    assert!(
                        rep.packets() <= full,
                        "{}: cut at {at} read more packets than the whole file",
                        f.display()
                    );
                    if let Some(d) = &rep.files[0].damage {
                        assert!(d.offset <= at as u64);
                    }
                }
                Err(err) => {
                    // Only a cut inside the file header may fail to open.
                    assert!(
                        at < 64 * 1024,
                        "{}: cut at {at} failed to open: {err}",
                        f.display()
                    );
                }
            }
            cuts += 1;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(cuts >= 100);
}
