//! Classic pcap writer (microsecond timestamps, LINKTYPE_ETHERNET).
//!
//! Format: <https://www.tcpdump.org/manpages/pcap-savefile.5.html>. Little-endian
//! magic `0xa1b2c3d4`, version 2.4, snaplen 65535, link type 1.

use otwatch_core::Timestamp;
use std::io::{self, BufWriter, Write};

/// LINKTYPE_ETHERNET (tcpdump.org link-layer header types).
pub const LINKTYPE_ETHERNET: u32 = 1;
/// Snapshot length written in the global header.
pub const SNAPLEN: u32 = 65_535;
/// Size of the write buffer: large writes keep syscalls rare.
const BUF_SIZE: usize = 1 << 20;

/// A buffered pcap writer.
pub struct PcapWriter<W: Write> {
    w: BufWriter<W>,
    packets: u64,
    bytes: u64,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the global header and returns the writer.
    pub fn new(out: W) -> io::Result<Self> {
        let mut w = BufWriter::with_capacity(BUF_SIZE, out);
        let mut h = [0u8; 24];
        h[0..4].copy_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        h[4..6].copy_from_slice(&2u16.to_le_bytes());
        h[6..8].copy_from_slice(&4u16.to_le_bytes());
        // thiszone = 0, sigfigs = 0
        h[16..20].copy_from_slice(&SNAPLEN.to_le_bytes());
        h[20..24].copy_from_slice(&LINKTYPE_ETHERNET.to_le_bytes());
        w.write_all(&h)?;
        Ok(PcapWriter {
            w,
            packets: 0,
            bytes: 24,
        })
    }

    /// Writes one frame captured at `ts` (truncated to microseconds).
    pub fn write_packet(&mut self, ts: Timestamp, frame: &[u8]) -> io::Result<()> {
        let secs = ts.secs();
        let micros = (ts.0.rem_euclid(Timestamp::SECOND) / 1000) as u32;
        let len = frame.len().min(SNAPLEN as usize) as u32;
        let mut h = [0u8; 16];
        h[0..4].copy_from_slice(&(secs as u32).to_le_bytes());
        h[4..8].copy_from_slice(&micros.to_le_bytes());
        h[8..12].copy_from_slice(&len.to_le_bytes());
        h[12..16].copy_from_slice(&(frame.len() as u32).to_le_bytes());
        self.w.write_all(&h)?;
        self.w.write_all(&frame[..len as usize])?;
        self.packets += 1;
        self.bytes += 16 + u64::from(len);
        Ok(())
    }

    /// Packets written so far.
    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// Bytes written so far (headers included).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Flushes and returns the inner writer.
    pub fn finish(self) -> io::Result<W> {
        self.w.into_inner().map_err(|e| e.into_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_record_layout() {
        let mut p = PcapWriter::new(Vec::new()).unwrap();
        p.write_packet(Timestamp::from_parts(10, 5_000), &[1, 2, 3])
            .unwrap();
        let v = p.finish().unwrap();
        assert_eq!(&v[0..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
        assert_eq!(&v[20..24], &[1, 0, 0, 0]);
        assert_eq!(&v[24..28], &10u32.to_le_bytes());
        assert_eq!(&v[28..32], &5u32.to_le_bytes());
        assert_eq!(&v[32..36], &3u32.to_le_bytes());
        assert_eq!(&v[40..43], &[1, 2, 3]);
    }
}
