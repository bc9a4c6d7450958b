//! Several capture files as one timeline.
//!
//! Files are merged by packet timestamp (a k-way merge), so captures split by time
//! may be given in any order. Within one file, packets keep their file order even
//! when timestamps go backwards. A damaged file contributes the packets before the
//! damage and is reported in [`RunReport`].

use crate::Error;
use crate::capture::{CaptureReader, Damage, LinkType, Packet};
use crate::engine::{Engine, PipelineSink, SessionFactory};
use otwatch_core::Timestamp;
use std::path::{Path, PathBuf};

/// What was read from one file.
#[derive(Clone, Debug)]
pub struct FileReport {
    /// File.
    pub path: PathBuf,
    /// Packets read.
    pub packets: u64,
    /// Bytes of the file consumed.
    pub bytes: u64,
    /// Damage that stopped reading, if any.
    pub damage: Option<Damage>,
    /// Unsupported link types found.
    pub unsupported_links: Vec<i32>,
}

/// What a run read.
#[derive(Clone, Debug, Default)]
pub struct RunReport {
    /// Per file, in the order given.
    pub files: Vec<FileReport>,
}

impl RunReport {
    /// Total packets read.
    pub fn packets(&self) -> u64 {
        self.files.iter().map(|f| f.packets).sum()
    }
    /// Damages, in file order.
    pub fn damages(&self) -> impl Iterator<Item = &Damage> {
        self.files.iter().filter_map(|f| f.damage.as_ref())
    }
}

struct Peeked {
    ts: Timestamp,
    link: LinkType,
    orig_len: u32,
    data: Vec<u8>,
    valid: bool,
}

fn peek(r: &mut CaptureReader, p: &mut Peeked) {
    p.valid = r.advance(|pkt| {
        p.ts = pkt.ts;
        p.link = pkt.link;
        p.orig_len = pkt.orig_len;
        p.data.clear();
        p.data.extend_from_slice(pkt.data);
    });
}

/// Opens every file first (so a missing file fails before any work), then runs the
/// engine over their merged packets. `progress` is called with the bytes consumed so
/// far, about every 64k packets.
pub fn run_files<F: SessionFactory, S: PipelineSink>(
    paths: &[PathBuf],
    engine: &mut Engine<F>,
    sink: &mut S,
    mut progress: impl FnMut(u64),
) -> Result<RunReport, Error> {
    let mut readers = paths
        .iter()
        .map(|p| CaptureReader::open(p))
        .collect::<Result<Vec<_>, _>>()?;
    if readers.len() == 1 {
        let r = &mut readers[0];
        let mut n = 0u64;
        while r.advance(|pkt| engine.process(&pkt, sink)) {
            n += 1;
            if n & 0xffff == 0 {
                progress(r.offset());
            }
        }
    } else {
        let mut peeked: Vec<Peeked> = readers
            .iter()
            .map(|_| Peeked {
                ts: Timestamp::ZERO,
                link: LinkType::Ethernet,
                orig_len: 0,
                data: Vec::new(),
                valid: false,
            })
            .collect();
        for (r, p) in readers.iter_mut().zip(peeked.iter_mut()) {
            peek(r, p);
        }
        let mut n = 0u64;
        loop {
            let best = peeked
                .iter()
                .enumerate()
                .filter(|(_, p)| p.valid)
                .min_by_key(|(i, p)| (p.ts, *i))
                .map(|(i, _)| i);
            let Some(i) = best else { break };
            {
                let p = &peeked[i];
                engine.process(
                    &Packet {
                        ts: p.ts,
                        link: p.link,
                        data: &p.data,
                        orig_len: p.orig_len,
                    },
                    sink,
                );
            }
            peek(&mut readers[i], &mut peeked[i]);
            n += 1;
            if n & 0xffff == 0 {
                progress(readers.iter().map(|r| r.offset()).sum());
            }
        }
    }
    engine.finish(sink);
    Ok(RunReport {
        files: readers
            .iter()
            .map(|r| FileReport {
                path: r.path().to_path_buf(),
                packets: r.packets,
                bytes: r.offset(),
                damage: r.damage().cloned(),
                unsupported_links: r.unsupported_links.clone(),
            })
            .collect(),
    })
}

/// Counts the packets of one file without decoding them (tests, `capinfos` parity).
pub fn count_packets(path: &Path) -> Result<(u64, Option<Damage>), Error> {
    let mut r = CaptureReader::open(path)?;
    while r.advance(|_| {}) {}
    Ok((r.packets, r.damage().cloned()))
}
