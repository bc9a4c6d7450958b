//! Capture files: pcap (micro- and nanosecond, either byte order) and pcapng
//! (several sections and interfaces, per-interface link types and timestamp
//! resolution), read with `pcap-parser`.
//!
//! The format is detected from the magic number, never from the extension. A
//! damaged file is not an error for the packets before the damage: the reader
//! delivers them, then reports the damage with the byte offset ([`Damage`]).

use crate::Error;
use otwatch_core::Timestamp;
use pcap_parser::pcapng::Block;
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{PcapBlockOwned, PcapError};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Read buffer size: large enough for any legal pcapng block we accept, and big
/// enough to amortise read syscalls.
pub const READ_BUFFER: usize = 4 << 20;
/// Largest block we grow the buffer for (a jumbo frame or a big pcapng block).
pub const MAX_BLOCK: usize = 16 << 20;

/// Link types we decode (values from tcpdump.org's LINKTYPE_ registry).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum LinkType {
    /// LINKTYPE_NULL (0): BSD loopback, 4-byte host-order address family.
    Null,
    /// LINKTYPE_ETHERNET (1).
    Ethernet,
    /// LINKTYPE_RAW (101), and the platform aliases 12/14: raw IPv4/IPv6.
    Raw,
    /// LINKTYPE_LOOP (108): OpenBSD loopback, network-order family.
    Loop,
    /// LINKTYPE_LINUX_SLL (113).
    LinuxSll,
    /// LINKTYPE_IPV4 (228).
    Ipv4,
    /// LINKTYPE_IPV6 (229).
    Ipv6,
    /// LINKTYPE_LINUX_SLL2 (276).
    LinuxSll2,
    /// Anything else: counted, not decoded.
    Unsupported(i32),
}

impl LinkType {
    /// Maps a LINKTYPE_ value.
    pub fn from_raw(v: i32) -> LinkType {
        match v {
            0 => LinkType::Null,
            1 => LinkType::Ethernet,
            12 | 14 | 101 => LinkType::Raw,
            108 => LinkType::Loop,
            113 => LinkType::LinuxSll,
            228 => LinkType::Ipv4,
            229 => LinkType::Ipv6,
            276 => LinkType::LinuxSll2,
            other => LinkType::Unsupported(other),
        }
    }
}

/// Capture file format, from the magic number.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Format {
    /// Classic pcap, microsecond timestamps.
    Pcap,
    /// Classic pcap, nanosecond timestamps.
    PcapNs,
    /// pcapng.
    PcapNg,
}

/// Sniffs the format from the first four bytes.
pub fn sniff(magic: [u8; 4]) -> Option<Format> {
    match u32::from_le_bytes(magic) {
        0xa1b2_c3d4 | 0xd4c3_b2a1 => Some(Format::Pcap),
        0xa1b2_3c4d | 0x4d3c_b2a1 => Some(Format::PcapNs),
        0x0a0d_0d0a => Some(Format::PcapNg),
        _ => None,
    }
}

/// One packet as read from a file. `data` borrows the reader's buffer.
#[derive(Debug)]
pub struct Packet<'a> {
    /// Capture timestamp.
    pub ts: Timestamp,
    /// Link type of the interface it was captured on.
    pub link: LinkType,
    /// Captured bytes.
    pub data: &'a [u8],
    /// Original length on the wire.
    pub orig_len: u32,
}

/// Where and why a file stopped being readable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Damage {
    /// File.
    pub path: PathBuf,
    /// Byte offset of the first unreadable block.
    pub offset: u64,
    /// What was wrong.
    pub reason: String,
}

impl std::fmt::Display for Damage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: damaged at byte offset {}: {}",
            self.path.display(),
            self.offset,
            self.reason
        )
    }
}

#[derive(Copy, Clone, Debug)]
struct Iface {
    link: LinkType,
    /// Units per second.
    resolution: u64,
    /// Seconds added to every timestamp.
    offset: i64,
}

/// A capture file reader. Call [`CaptureReader::next_packet`] until it returns `None`,
/// then check [`CaptureReader::damage`].
pub struct CaptureReader {
    path: PathBuf,
    inner: Box<dyn PcapReaderIterator + Send>,
    format: Format,
    /// Bytes of the file consumed so far (offset of the next block).
    offset: u64,
    legacy: Option<(LinkType, bool)>,
    ifaces: Vec<Iface>,
    /// Packets delivered.
    pub packets: u64,
    damage: Option<Damage>,
    done: bool,
    /// Unsupported link types seen (for a one-line warning).
    pub unsupported_links: Vec<i32>,
}

/// Upper bound on interfaces per pcapng section (hostile files can declare millions).
pub const MAX_INTERFACES: usize = 4096;

impl CaptureReader {
    /// Opens a capture file, sniffing its format from the magic number.
    pub fn open(path: &Path) -> Result<CaptureReader, Error> {
        let mut f = File::open(path).map_err(|e| Error::Open {
            path: path.to_path_buf(),
            err: e,
        })?;
        let mut magic = [0u8; 4];
        f.read_exact(&mut magic).map_err(|_| Error::NotCapture {
            path: path.to_path_buf(),
            why: "file is shorter than a capture header".into(),
        })?;
        let format = sniff(magic).ok_or_else(|| Error::NotCapture {
            path: path.to_path_buf(),
            why: format!(
                "unknown magic number {:02x}{:02x}{:02x}{:02x}",
                magic[0], magic[1], magic[2], magic[3]
            ),
        })?;
        let f = File::open(path).map_err(|e| Error::Open {
            path: path.to_path_buf(),
            err: e,
        })?;
        let inner = pcap_parser::create_reader(READ_BUFFER, f).map_err(|e| Error::NotCapture {
            path: path.to_path_buf(),
            why: format!("unreadable {format:?} header: {}", describe(&e)),
        })?;
        Ok(CaptureReader {
            path: path.to_path_buf(),
            inner,
            format,
            offset: 0,
            legacy: None,
            ifaces: Vec::new(),
            packets: 0,
            damage: None,
            done: false,
            unsupported_links: Vec::new(),
        })
    }

    /// A reader over bytes in memory (fuzzing, tests). `name` labels errors.
    pub fn from_bytes(name: &str, data: Vec<u8>) -> Result<CaptureReader, Error> {
        let path = PathBuf::from(name);
        let magic: [u8; 4] = data
            .get(..4)
            .and_then(|m| m.try_into().ok())
            .ok_or_else(|| Error::NotCapture {
                path: path.clone(),
                why: "shorter than a capture header".into(),
            })?;
        let format = sniff(magic).ok_or_else(|| Error::NotCapture {
            path: path.clone(),
            why: "unknown magic number".into(),
        })?;
        let inner =
            pcap_parser::create_reader(64 * 1024, std::io::Cursor::new(data)).map_err(|e| {
                Error::NotCapture {
                    path: path.clone(),
                    why: format!("unreadable {format:?} header: {}", describe(&e)),
                }
            })?;
        Ok(CaptureReader {
            path,
            inner,
            format,
            offset: 0,
            legacy: None,
            ifaces: Vec::new(),
            packets: 0,
            damage: None,
            done: false,
            unsupported_links: Vec::new(),
        })
    }

    /// The detected format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The damage that stopped reading, if any.
    pub fn damage(&self) -> Option<&Damage> {
        self.damage.as_ref()
    }

    fn fail(&mut self, reason: String) {
        self.damage = Some(Damage {
            path: self.path.clone(),
            offset: self.offset,
            reason,
        });
        self.done = true;
    }

    /// Reads up to the next packet and hands it to `f`. Returns `false` at the end of
    /// the file or at the damage (see [`CaptureReader::damage`]).
    pub fn advance(&mut self, f: impl FnOnce(Packet<'_>)) -> bool {
        loop {
            if self.done {
                return false;
            }
            let step = match self.inner.next() {
                Ok((n, block)) => match classify(&block, &self.legacy, &self.ifaces) {
                    Kind::Packet => {
                        if let Some(p) = packet_of(block, &self.legacy, &self.ifaces) {
                            f(p);
                        }
                        self.offset += n as u64;
                        self.packets += 1;
                        self.inner.consume(n);
                        return true;
                    }
                    other => Step::Block(n, other),
                },
                Err(PcapError::Eof) => Step::Eof,
                Err(PcapError::Incomplete(_)) => Step::Refill,
                Err(PcapError::UnexpectedEof) => Step::Truncated,
                Err(e) => Step::Fail(describe(&e)),
            };
            match step {
                Step::Eof => {
                    self.done = true;
                    return false;
                }
                Step::Truncated => {
                    self.fail("truncated: the file ends in the middle of a block".into());
                    return false;
                }
                Step::Refill => {
                    if !self.refill() {
                        return false;
                    }
                }
                Step::Fail(r) => {
                    self.fail(format!("corrupt block: {r}"));
                    return false;
                }
                Step::Block(n, kind) => {
                    match kind {
                        Kind::Packet => {}
                        Kind::LegacyHeader(link, ns) => {
                            if let LinkType::Unsupported(v) = link {
                                self.unsupported_links.push(v);
                            }
                            self.legacy = Some((link, ns));
                        }
                        Kind::Section => self.ifaces.clear(),
                        Kind::Interface(iface) => {
                            if let LinkType::Unsupported(v) = iface.link
                                && !self.unsupported_links.contains(&v)
                            {
                                self.unsupported_links.push(v);
                            }
                            if self.ifaces.len() >= MAX_INTERFACES {
                                self.fail(format!(
                                    "more than {MAX_INTERFACES} interfaces in one section"
                                ));
                                return false;
                            }
                            self.ifaces.push(iface);
                        }
                        Kind::BadInterface(id) => {
                            self.fail(format!("packet refers to undeclared interface {id}"));
                            return false;
                        }
                        Kind::Other => {}
                    }
                    self.offset += n as u64;
                    self.inner.consume(n);
                }
            }
        }
    }

    fn refill(&mut self) -> bool {
        if self.inner.reader_exhausted() {
            let left = self.inner.data().len();
            if left == 0 {
                self.done = true;
            } else {
                self.fail(format!(
                    "truncated: last block incomplete ({left} bytes left over)"
                ));
            }
            return false;
        }
        let before = self.inner.data().len();
        if let Err(e) = self.inner.refill() {
            let r = describe(&e);
            self.fail(format!("read error: {r}"));
            return false;
        }
        if self.inner.data().len() == before && !self.inner.reader_exhausted() {
            // Buffer full and the block still incomplete: grow, within bounds.
            if before >= MAX_BLOCK || !self.inner.grow(before.saturating_mul(2).min(MAX_BLOCK)) {
                self.fail(format!("block larger than {MAX_BLOCK} bytes"));
                return false;
            }
            if self.inner.refill().is_err() {
                self.fail("read error".into());
                return false;
            }
        }
        true
    }
}

enum Step {
    Block(usize, Kind),
    Eof,
    Truncated,
    Refill,
    Fail(String),
}

enum Kind {
    Packet,
    LegacyHeader(LinkType, bool),
    Section,
    Interface(Iface),
    BadInterface(u32),
    Other,
}

fn classify(
    block: &PcapBlockOwned<'_>,
    legacy: &Option<(LinkType, bool)>,
    ifaces: &[Iface],
) -> Kind {
    match block {
        PcapBlockOwned::LegacyHeader(h) => LinkType::from_raw(h.network.0)
            .pipe(|l| Kind::LegacyHeader(l, h.is_nanosecond_precision())),
        PcapBlockOwned::Legacy(_) => {
            if legacy.is_some() {
                Kind::Packet
            } else {
                Kind::BadInterface(0)
            }
        }
        PcapBlockOwned::NG(Block::SectionHeader(_)) => Kind::Section,
        PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
            let resolution = idb.ts_resolution().unwrap_or(1_000_000).max(1);
            Kind::Interface(Iface {
                link: LinkType::from_raw(idb.linktype.0),
                resolution,
                offset: idb.if_tsoffset,
            })
        }
        PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
            if (epb.if_id as usize) < ifaces.len() {
                Kind::Packet
            } else {
                Kind::BadInterface(epb.if_id)
            }
        }
        PcapBlockOwned::NG(Block::SimplePacket(_)) => {
            if ifaces.is_empty() {
                Kind::BadInterface(0)
            } else {
                Kind::Packet
            }
        }
        PcapBlockOwned::NG(_) => Kind::Other,
    }
}

trait Pipe: Sized {
    fn pipe<R>(self, f: impl FnOnce(Self) -> R) -> R {
        f(self)
    }
}
impl<T> Pipe for T {}

fn packet_of<'a>(
    block: PcapBlockOwned<'a>,
    legacy: &Option<(LinkType, bool)>,
    ifaces: &[Iface],
) -> Option<Packet<'a>> {
    match block {
        PcapBlockOwned::Legacy(b) => {
            let (link, ns) = (*legacy)?;
            let nanos = if ns {
                b.ts_usec as i64
            } else {
                b.ts_usec as i64 * 1000
            };
            let n = (b.caplen as usize).min(b.data.len());
            Some(Packet {
                ts: Timestamp::from_parts(b.ts_sec as i64, nanos),
                link,
                data: &b.data[..n],
                orig_len: b.origlen,
            })
        }
        PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
            let iface = ifaces.get(epb.if_id as usize)?;
            let raw = ((epb.ts_high as u64) << 32) | epb.ts_low as u64;
            let secs = (raw / iface.resolution) as i64 + iface.offset;
            let frac = raw % iface.resolution;
            let nanos = (frac as u128 * 1_000_000_000 / iface.resolution as u128) as i64;
            let n = (epb.caplen as usize).min(epb.data.len());
            Some(Packet {
                ts: Timestamp::from_parts(secs, nanos),
                link: iface.link,
                data: &epb.data[..n],
                orig_len: epb.origlen,
            })
        }
        PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
            let iface = ifaces.first()?;
            // SPBs carry no timestamp; they inherit none (0).
            Some(Packet {
                ts: Timestamp::ZERO,
                link: iface.link,
                data: spb.data,
                orig_len: spb.origlen,
            })
        }
        _ => None,
    }
}

fn describe<I>(e: &PcapError<I>) -> String {
    match e {
        PcapError::Eof => "end of file".into(),
        PcapError::BufferTooSmall => "block larger than the read buffer".into(),
        PcapError::UnexpectedEof => "unexpected end of file".into(),
        PcapError::ReadError => "read error".into(),
        PcapError::Incomplete(n) => format!("incomplete block (needs {n} more bytes)"),
        PcapError::HeaderNotRecognized => "header not recognized".into(),
        PcapError::NomError(_, k) | PcapError::OwnedNomError(_, k) => {
            format!("parse error ({k:?})")
        }
    }
}
