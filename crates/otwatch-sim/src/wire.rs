//! Frame builders (Ethernet, 802.1Q, IPv4, TCP, UDP) and the time-ordered output.
//!
//! Checksums: RFC 791 (IPv4 header), RFC 793 / RFC 768 (TCP/UDP with the IPv4
//! pseudo-header). Frames shorter than the Ethernet minimum (60 bytes without FCS)
//! are zero-padded, as a switch SPAN port shows them.

use crate::pcap::PcapWriter;
use otwatch_core::{Mac, Timestamp};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{self, Write};

/// EtherType IPv4.
pub const ETH_IPV4: u16 = 0x0800;
/// EtherType ARP.
pub const ETH_ARP: u16 = 0x0806;
/// EtherType 802.1Q VLAN tag.
pub const ETH_VLAN: u16 = 0x8100;
/// EtherType IEC 61850 GOOSE.
pub const ETH_GOOSE: u16 = 0x88B8;
/// EtherType LLDP.
pub const ETH_LLDP: u16 = 0x88CC;
/// Minimum Ethernet frame length without the FCS (IEEE 802.3 clause 3.2.8).
const ETH_MIN: usize = 60;

/// TCP flag bits (RFC 793, 3.1).
pub mod flags {
    /// FIN.
    pub const FIN: u8 = 0x01;
    /// SYN.
    pub const SYN: u8 = 0x02;
    /// RST.
    pub const RST: u8 = 0x04;
    /// PSH.
    pub const PSH: u8 = 0x08;
    /// ACK.
    pub const ACK: u8 = 0x10;
}

/// Link-layer header of one frame.
#[derive(Copy, Clone, Debug)]
pub struct L2 {
    /// Source MAC.
    pub src: Mac,
    /// Destination MAC.
    pub dst: Mac,
    /// Optional 802.1Q tag: (VLAN id, priority code point).
    pub vlan: Option<(u16, u8)>,
}

/// IPv4 header fields that vary per packet.
#[derive(Copy, Clone, Debug)]
pub struct Ip4 {
    /// Source address.
    pub src: [u8; 4],
    /// Destination address.
    pub dst: [u8; 4],
    /// Identification.
    pub id: u16,
    /// Time to live.
    pub ttl: u8,
}

/// TCP header fields.
#[derive(Copy, Clone, Debug)]
pub struct Tcp {
    /// Source port.
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number.
    pub ack: u32,
    /// Flags.
    pub flags: u8,
    /// Receive window.
    pub win: u16,
    /// MSS option value (SYN segments only).
    pub mss: Option<u16>,
}

/// Writes an Ethernet header (with optional 802.1Q tag).
pub fn eth(buf: &mut Vec<u8>, l2: &L2, ethertype: u16) {
    buf.extend_from_slice(&l2.dst.0);
    buf.extend_from_slice(&l2.src.0);
    if let Some((vid, pcp)) = l2.vlan {
        buf.extend_from_slice(&ETH_VLAN.to_be_bytes());
        let tci = (u16::from(pcp & 7) << 13) | (vid & 0x0fff);
        buf.extend_from_slice(&tci.to_be_bytes());
    }
    buf.extend_from_slice(&ethertype.to_be_bytes());
}

/// Ones'-complement sum of `data` added to `acc` (RFC 1071).
pub fn csum_add(mut acc: u32, data: &[u8]) -> u32 {
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        acc += u32::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [b] = chunks.remainder() {
        acc += u32::from(*b) << 8;
    }
    acc
}

/// Folds a running sum into the final checksum.
pub fn csum_fold(mut acc: u32) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

fn ipv4_header(buf: &mut Vec<u8>, ip: &Ip4, proto: u8, payload_len: usize) {
    let start = buf.len();
    let total = (20 + payload_len) as u16;
    buf.extend_from_slice(&[0x45, 0x00]);
    buf.extend_from_slice(&total.to_be_bytes());
    buf.extend_from_slice(&ip.id.to_be_bytes());
    buf.extend_from_slice(&[0x40, 0x00]); // DF
    buf.extend_from_slice(&[ip.ttl, proto, 0, 0]);
    buf.extend_from_slice(&ip.src);
    buf.extend_from_slice(&ip.dst);
    let c = csum_fold(csum_add(0, &buf[start..start + 20]));
    buf[start + 10..start + 12].copy_from_slice(&c.to_be_bytes());
}

fn pseudo(ip: &Ip4, proto: u8, len: usize) -> u32 {
    let mut acc = csum_add(0, &ip.src);
    acc = csum_add(acc, &ip.dst);
    acc + u32::from(proto) + len as u32
}

fn pad(buf: &mut Vec<u8>) {
    if buf.len() < ETH_MIN {
        buf.resize(ETH_MIN, 0);
    }
}

/// Builds Ethernet + IPv4 + TCP + payload into `buf`.
pub fn tcp_frame(buf: &mut Vec<u8>, l2: &L2, ip: &Ip4, t: &Tcp, payload: &[u8]) {
    eth(buf, l2, ETH_IPV4);
    let hlen = if t.mss.is_some() { 24 } else { 20 };
    ipv4_header(buf, ip, 6, hlen + payload.len());
    let start = buf.len();
    buf.extend_from_slice(&t.sport.to_be_bytes());
    buf.extend_from_slice(&t.dport.to_be_bytes());
    buf.extend_from_slice(&t.seq.to_be_bytes());
    buf.extend_from_slice(&t.ack.to_be_bytes());
    buf.push(((hlen / 4) as u8) << 4);
    buf.push(t.flags);
    buf.extend_from_slice(&t.win.to_be_bytes());
    buf.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent pointer
    if let Some(mss) = t.mss {
        buf.extend_from_slice(&[2, 4]);
        buf.extend_from_slice(&mss.to_be_bytes());
    }
    buf.extend_from_slice(payload);
    let seg = &buf[start..];
    let c = csum_fold(csum_add(pseudo(ip, 6, seg.len()), seg));
    buf[start + 16..start + 18].copy_from_slice(&c.to_be_bytes());
    pad(buf);
}

/// Builds Ethernet + IPv4 + UDP + payload into `buf`.
pub fn udp_frame(buf: &mut Vec<u8>, l2: &L2, ip: &Ip4, sport: u16, dport: u16, payload: &[u8]) {
    eth(buf, l2, ETH_IPV4);
    let len = 8 + payload.len();
    ipv4_header(buf, ip, 17, len);
    let start = buf.len();
    buf.extend_from_slice(&sport.to_be_bytes());
    buf.extend_from_slice(&dport.to_be_bytes());
    buf.extend_from_slice(&(len as u16).to_be_bytes());
    buf.extend_from_slice(&[0, 0]);
    buf.extend_from_slice(payload);
    let seg = &buf[start..];
    let mut c = csum_fold(csum_add(pseudo(ip, 17, len), seg));
    if c == 0 {
        c = 0xffff; // RFC 768: a computed zero is sent as all ones
    }
    buf[start + 6..start + 8].copy_from_slice(&c.to_be_bytes());
    pad(buf);
}

/// Builds a raw layer-2 frame (ARP, GOOSE, LLDP).
pub fn l2_frame(buf: &mut Vec<u8>, l2: &L2, ethertype: u16, payload: &[u8]) {
    eth(buf, l2, ethertype);
    buf.extend_from_slice(payload);
    pad(buf);
}

struct Pending {
    ts: i64,
    seq: u64,
    buf: Vec<u8>,
}

impl PartialEq for Pending {
    fn eq(&self, o: &Self) -> bool {
        (self.ts, self.seq) == (o.ts, o.seq)
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Pending {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.ts, self.seq).cmp(&(o.ts, o.seq))
    }
}

/// The output: frames are queued with their timestamp and written in time order.
///
/// Tasks run in time order and only emit frames at or after their own start, so a
/// frame queued before time `t` is final once the scheduler reaches `t`. Buffers are
/// pooled: no allocation per packet in steady state.
pub struct Out<W: Write> {
    pcap: PcapWriter<W>,
    heap: BinaryHeap<Reverse<Pending>>,
    pool: Vec<Vec<u8>>,
    seq: u64,
    /// Frames at or after this instant are dropped (end of the simulated period).
    pub end: i64,
}

impl<W: Write> Out<W> {
    /// An output over a pcap writer.
    pub fn new(pcap: PcapWriter<W>, end: Timestamp) -> Self {
        Out {
            pcap,
            heap: BinaryHeap::new(),
            pool: Vec::new(),
            seq: 0,
            end: end.0,
        }
    }
    fn take(&mut self) -> Vec<u8> {
        let mut b = self.pool.pop().unwrap_or_else(|| Vec::with_capacity(1600));
        b.clear();
        b
    }
    fn push(&mut self, ts: i64, buf: Vec<u8>) {
        if ts >= self.end {
            self.pool.push(buf);
            return;
        }
        self.seq += 1;
        self.heap.push(Reverse(Pending {
            ts,
            seq: self.seq,
            buf,
        }));
    }
    /// Queues a TCP frame.
    pub fn tcp(&mut self, ts: i64, l2: &L2, ip: &Ip4, t: &Tcp, payload: &[u8]) {
        let mut b = self.take();
        tcp_frame(&mut b, l2, ip, t, payload);
        self.push(ts, b);
    }
    /// Queues a UDP frame.
    pub fn udp(&mut self, ts: i64, l2: &L2, ip: &Ip4, sport: u16, dport: u16, payload: &[u8]) {
        let mut b = self.take();
        udp_frame(&mut b, l2, ip, sport, dport, payload);
        self.push(ts, b);
    }
    /// Queues a raw layer-2 frame.
    pub fn l2(&mut self, ts: i64, l2: &L2, ethertype: u16, payload: &[u8]) {
        let mut b = self.take();
        l2_frame(&mut b, l2, ethertype, payload);
        self.push(ts, b);
    }
    /// Writes every queued frame stamped at or before `ts`.
    pub fn flush_until(&mut self, ts: i64) -> io::Result<()> {
        while let Some(Reverse(p)) = self.heap.peek() {
            if p.ts > ts {
                break;
            }
            let Some(Reverse(p)) = self.heap.pop() else {
                break;
            };
            self.pcap.write_packet(Timestamp(p.ts), &p.buf)?;
            self.pool.push(p.buf);
        }
        Ok(())
    }
    /// Writes everything and returns the pcap writer.
    pub fn finish(mut self) -> io::Result<PcapWriter<W>> {
        self.flush_until(i64::MAX)?;
        Ok(self.pcap)
    }
    /// Packets written so far.
    pub fn packets(&self) -> u64 {
        self.pcap.packets()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_checksum_verifies() {
        let mut b = Vec::new();
        let l2 = L2 {
            src: Mac([0, 1, 2, 3, 4, 5]),
            dst: Mac([6, 7, 8, 9, 10, 11]),
            vlan: None,
        };
        let ip = Ip4 {
            src: [10, 0, 0, 1],
            dst: [10, 0, 0, 2],
            id: 0x1234,
            ttl: 64,
        };
        udp_frame(&mut b, &l2, &ip, 1000, 53, b"hello");
        // A correct header sums to 0xffff (RFC 1071).
        assert_eq!(csum_fold(csum_add(0, &b[14..34])), 0);
        // UDP checksum over pseudo-header + segment verifies to zero too.
        let seg = &b[34..34 + 13];
        assert_eq!(csum_fold(csum_add(pseudo(&ip, 17, 13), seg)), 0);
        assert_eq!(b.len(), 60);
    }
}
