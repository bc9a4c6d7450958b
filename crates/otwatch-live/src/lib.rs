//! Live capture through Linux AF_PACKET with a TPACKET_V3 memory-mapped ring.
//!
//! No libpcap: the kernel fills a ring of blocks shared with us through `mmap`;
//! we walk each block's packets in place (zero-copy) and hand the block back.
//! This needs CAP_NET_RAW (and CAP_NET_ADMIN only for promiscuous mode on some
//! drivers; the membership request used here needs CAP_NET_RAW).
//!
//! `unsafe` is confined to this crate and to the calls that need it: socket
//! options, `mmap`/`munmap`, `poll`, and reading the ring the kernel writes. Each
//! block carries a SAFETY comment.

#![allow(
    unsafe_code,
    reason = "AF_PACKET ring: mmap and socket options are FFI calls"
)]

pub mod bpf;
#[cfg(target_os = "linux")]
pub mod ring;

pub use bpf::{BpfInsn, parse_bpf};
#[cfg(target_os = "linux")]
pub use ring::{AfPacket, KernelStats, LinkState, LiveConfig};
