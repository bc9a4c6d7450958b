//! Locating the real-capture corpus for tests and benches.
//!
//! Tests find the corpus through `$OTWATCH_CORPUS`. When the variable is unset the
//! corpus tests skip (with a note on stderr); when it is set but the folder is
//! missing they fail, so CI cannot pass by accident without the data.

use std::path::{Path, PathBuf};

/// The corpus folder, `None` when `OTWATCH_CORPUS` is unset.
///
/// # Panics
/// When the variable is set but does not name a directory: a corpus test must fail
/// rather than skip then.
pub fn corpus_dir() -> Option<PathBuf> {
    let v = std::env::var_os("OTWATCH_CORPUS")?;
    let p = PathBuf::from(v);
    assert!(
        p.is_dir(),
        "OTWATCH_CORPUS={} is set but is not a directory",
        p.display()
    );
    Some(p)
}

/// A file in the corpus, by path relative to it. `None` when the corpus is unset.
///
/// # Panics
/// When the corpus is set but the file is missing.
pub fn corpus_file(rel: &str) -> Option<PathBuf> {
    let d = corpus_dir()?;
    let p = d.join(rel);
    assert!(p.is_file(), "corpus file {} is missing", p.display());
    Some(p)
}

/// Every capture file under the corpus (by magic number: pcap or pcapng), sorted.
pub fn corpus_captures() -> Option<Vec<PathBuf>> {
    let d = corpus_dir()?;
    let mut out = Vec::new();
    walk(&d, &mut out);
    out.sort();
    Some(out)
}

fn walk(d: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(d) else { return };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if is_capture(&p) {
            out.push(p);
        }
    }
}

/// True when the file starts with a pcap or pcapng magic number.
pub fn is_capture(p: &Path) -> bool {
    use std::io::Read;
    let mut m = [0u8; 4];
    let Ok(mut f) = std::fs::File::open(p) else {
        return false;
    };
    if f.read_exact(&mut m).is_err() {
        return false;
    }
    matches!(
        u32::from_le_bytes(m),
        0xa1b2_c3d4 | 0xd4c3_b2a1 | 0xa1b2_3c4d | 0x4d3c_b2a1 | 0x0a0d_0d0a
    )
}

/// Prints the standard skip note for a corpus test.
pub fn skip_note(test: &str) {
    eprintln!("{test}: OTWATCH_CORPUS unset, corpus test skipped");
}
