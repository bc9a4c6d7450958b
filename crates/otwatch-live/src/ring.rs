//! The TPACKET_V3 receive ring (see the kernel's `Documentation/networking/packet_mmap.rst`).

use crate::bpf::BpfInsn;
use otwatch_core::Timestamp;
use otwatch_wire::{LinkType, Packet};
use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{Ordering, fence};

/// Ring and socket settings.
#[derive(Clone, Debug)]
pub struct LiveConfig {
    /// Interface name (`eth1`).
    pub iface: String,
    /// Bytes per ring block (a power of two, multiple of the page size).
    pub block_size: usize,
    /// Blocks in the ring (ring size = block_size × block_count).
    pub block_count: usize,
    /// A block is handed to us after this many milliseconds even when not full.
    pub block_timeout_ms: u32,
    /// Put the interface in promiscuous mode (a mirror port needs it).
    pub promisc: bool,
    /// Optional classic BPF filter.
    pub filter: Option<Vec<BpfInsn>>,
    /// Kernel socket receive buffer fanout is not used; one socket per interface.
    pub snaplen: u32,
}

impl LiveConfig {
    /// Defaults for `iface`: 64 blocks of 1 MiB (64 MiB ring), 50 ms block timeout.
    pub fn new(iface: &str) -> Self {
        LiveConfig {
            iface: iface.to_string(),
            block_size: 1 << 20,
            block_count: 64,
            block_timeout_ms: 50,
            promisc: true,
            filter: None,
            snaplen: 65_535,
        }
    }
}

/// Counters the kernel keeps for the socket (cumulative since open).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct KernelStats {
    /// Packets the kernel passed to the ring (including dropped ones).
    pub packets: u64,
    /// Packets dropped because the ring was full.
    pub drops: u64,
    /// Times the queue froze.
    pub freezes: u64,
}

/// Link state from sysfs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkState {
    /// `operstate` (up, down, dormant, unknown...).
    pub operstate: String,
    /// Carrier present.
    pub carrier: bool,
}

/// An open AF_PACKET socket with its mapped ring.
pub struct AfPacket {
    fd: OwnedFd,
    ring: *mut u8,
    ring_len: usize,
    block_size: usize,
    block_count: usize,
    cur: usize,
    iface: String,
    stats: KernelStats,
    /// Blocks handed back to the kernel.
    pub blocks: u64,
}

// SAFETY: the ring pointer is owned by this value alone (created by our mmap and
// unmapped in Drop); moving the value to another thread moves that ownership.
unsafe impl Send for AfPacket {}

fn cvt(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

fn setopt<T>(fd: libc::c_int, level: libc::c_int, name: libc::c_int, v: &T) -> io::Result<()> {
    // SAFETY: `v` points to a live, initialised `T` of the given size for the call.
    cvt(unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (v as *const T).cast(),
            std::mem::size_of::<T>() as libc::socklen_t,
        )
    })?;
    Ok(())
}

impl AfPacket {
    /// Opens the ring on an interface.
    pub fn open(cfg: &LiveConfig) -> io::Result<AfPacket> {
        let name = CString::new(cfg.iface.as_str()).map_err(|_| {
            io::Error::new(io::ErrorKind::InvalidInput, "interface name contains NUL")
        })?;
        // SAFETY: `name` is a valid NUL-terminated string.
        let ifindex = unsafe { libc::if_nametoindex(name.as_ptr()) };
        if ifindex == 0 {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("no such interface: {}", cfg.iface),
            ));
        }
        let proto = (libc::ETH_P_ALL as u16).to_be() as libc::c_int;
        // SAFETY: plain socket(2) call; the result is checked.
        let raw = cvt(unsafe {
            libc::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, proto)
        })
        .map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("AF_PACKET socket: {e} (needs CAP_NET_RAW)"),
            )
        })?;
        // SAFETY: `raw` is a fresh descriptor we own.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        // enum tpacket_versions { TPACKET_V1, TPACKET_V2, TPACKET_V3 } (linux/if_packet.h).
        const TPACKET_V3: libc::c_int = 2;
        let version: libc::c_int = TPACKET_V3;
        setopt(raw, libc::SOL_PACKET, libc::PACKET_VERSION, &version)?;
        if let Some(prog) = &cfg.filter {
            let mut insns: Vec<libc::sock_filter> = prog
                .iter()
                .map(|i| libc::sock_filter {
                    code: i.code,
                    jt: i.jt,
                    jf: i.jf,
                    k: i.k,
                })
                .collect();
            let fprog = libc::sock_fprog {
                len: insns.len() as u16,
                filter: insns.as_mut_ptr(),
            };
            setopt(raw, libc::SOL_SOCKET, libc::SO_ATTACH_FILTER, &fprog).map_err(|e| {
                io::Error::new(e.kind(), format!("BPF filter rejected by the kernel: {e}"))
            })?;
        }
        let page = 4096usize;
        let block_size = cfg.block_size.max(page).next_power_of_two();
        let frame_size = 2048usize;
        let req = libc::tpacket_req3 {
            tp_block_size: block_size as u32,
            tp_block_nr: cfg.block_count as u32,
            tp_frame_size: frame_size as u32,
            tp_frame_nr: ((block_size / frame_size) * cfg.block_count) as u32,
            tp_retire_blk_tov: cfg.block_timeout_ms,
            tp_sizeof_priv: 0,
            tp_feature_req_word: libc::TP_FT_REQ_FILL_RXHASH,
        };
        setopt(raw, libc::SOL_PACKET, libc::PACKET_RX_RING, &req)
            .map_err(|e| io::Error::new(e.kind(), format!("PACKET_RX_RING: {e}")))?;
        let ring_len = block_size * cfg.block_count;
        // SAFETY: mapping the ring the kernel just allocated for this socket; checked below.
        let ring = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                ring_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_POPULATE,
                raw,
                0,
            )
        };
        if ring == libc::MAP_FAILED {
            return Err(io::Error::new(
                io::Error::last_os_error().kind(),
                format!("mmap of the packet ring: {}", io::Error::last_os_error()),
            ));
        }
        let me = AfPacket {
            fd,
            ring: ring.cast(),
            ring_len,
            block_size,
            block_count: cfg.block_count,
            cur: 0,
            iface: cfg.iface.clone(),
            stats: KernelStats::default(),
            blocks: 0,
        };
        // SAFETY: zeroed sockaddr_ll is a valid value; we then set the fields bind needs.
        let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        sll.sll_family = libc::AF_PACKET as u16;
        sll.sll_protocol = (libc::ETH_P_ALL as u16).to_be();
        sll.sll_ifindex = ifindex as i32;
        // SAFETY: `sll` is a valid sockaddr_ll of the size passed.
        cvt(unsafe {
            libc::bind(
                raw,
                (&sll as *const libc::sockaddr_ll).cast(),
                std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        })?;
        if cfg.promisc {
            let mreq = libc::packet_mreq {
                mr_ifindex: ifindex as i32,
                mr_type: libc::PACKET_MR_PROMISC as u16,
                mr_alen: 0,
                mr_address: [0; 8],
            };
            setopt(raw, libc::SOL_PACKET, libc::PACKET_ADD_MEMBERSHIP, &mreq)?;
        }
        Ok(me)
    }

    /// The interface name.
    pub fn iface(&self) -> &str {
        &self.iface
    }

    /// Ring size in bytes.
    pub fn ring_bytes(&self) -> usize {
        self.ring_len
    }

    fn block(&self, i: usize) -> *mut libc::tpacket_block_desc {
        // SAFETY: i < block_count, so the offset stays inside the mapping.
        unsafe { self.ring.add(i * self.block_size).cast() }
    }

    fn block_ready(&self, i: usize) -> bool {
        let b = self.block(i);
        // SAFETY: `b` points to a block descriptor inside our mapping; the status word is
        // written by the kernel, so read it volatile, then fence before reading packets.
        let status =
            unsafe { std::ptr::read_volatile(std::ptr::addr_of!((*b).hdr.bh1.block_status)) };
        fence(Ordering::Acquire);
        status & libc::TP_STATUS_USER != 0
    }

    /// Blocks (in the ring) currently held by user space, a measure of ring usage.
    pub fn ring_usage(&self) -> f64 {
        let used = (0..self.block_count)
            .filter(|&i| self.block_ready(i))
            .count();
        used as f64 / self.block_count as f64
    }

    /// Waits up to `timeout_ms` for a block, hands each of its packets to `f`,
    /// returns the block to the kernel, and returns the number of packets (0 on timeout).
    pub fn next_block(
        &mut self,
        timeout_ms: i32,
        mut f: impl FnMut(Packet<'_>),
    ) -> io::Result<usize> {
        if !self.block_ready(self.cur) {
            let mut pfd = libc::pollfd {
                fd: self.fd.as_raw_fd(),
                events: libc::POLLIN | libc::POLLERR,
                revents: 0,
            };
            // SAFETY: one valid pollfd.
            let r = unsafe { libc::poll(&mut pfd, 1, timeout_ms) };
            if r < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    return Ok(0);
                }
                return Err(e);
            }
            if !self.block_ready(self.cur) {
                return Ok(0);
            }
        }
        let b = self.block(self.cur);
        let base = b.cast::<u8>();
        // SAFETY: the block is ours (TP_STATUS_USER) until we write TP_STATUS_KERNEL back.
        let (num, first) = unsafe { ((*b).hdr.bh1.num_pkts, (*b).hdr.bh1.offset_to_first_pkt) };
        let mut off = first as usize;
        let mut n = 0;
        for _ in 0..num {
            if off + std::mem::size_of::<libc::tpacket3_hdr>() > self.block_size {
                break;
            }
            // SAFETY: `off` was checked to leave room for a header inside the block.
            let h = unsafe { &*base.add(off).cast::<libc::tpacket3_hdr>() };
            let start = off + h.tp_mac as usize;
            let len = h.tp_snaplen as usize;
            if start + len <= self.block_size {
                // SAFETY: the packet bytes lie inside the block (checked above) and the kernel
                // does not touch the block until we hand it back.
                let data = unsafe { std::slice::from_raw_parts(base.add(start), len) };
                f(Packet {
                    ts: Timestamp::from_parts(h.tp_sec as i64, h.tp_nsec as i64),
                    link: LinkType::Ethernet,
                    data,
                    orig_len: h.tp_len,
                });
                n += 1;
            }
            if h.tp_next_offset == 0 {
                break;
            }
            off += h.tp_next_offset as usize;
        }
        fence(Ordering::Release);
        // SAFETY: handing the block back: write the status word the kernel polls.
        unsafe {
            std::ptr::write_volatile(
                std::ptr::addr_of_mut!((*b).hdr.bh1.block_status),
                libc::TP_STATUS_KERNEL,
            )
        };
        self.cur = (self.cur + 1) % self.block_count;
        self.blocks += 1;
        Ok(n)
    }

    /// Kernel counters, cumulative since open (the kernel resets them on each read,
    /// so we accumulate).
    pub fn stats(&mut self) -> io::Result<KernelStats> {
        // SAFETY: zeroed tpacket_stats_v3 is a valid value to be filled by getsockopt.
        let mut st: libc::tpacket_stats_v3 = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::tpacket_stats_v3>() as libc::socklen_t;
        // SAFETY: `st` and `len` are valid for writing.
        cvt(unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_PACKET,
                libc::PACKET_STATISTICS,
                (&mut st as *mut libc::tpacket_stats_v3).cast(),
                &mut len,
            )
        })?;
        self.stats.packets += st.tp_packets as u64;
        self.stats.drops += st.tp_drops as u64;
        self.stats.freezes += st.tp_freeze_q_cnt as u64;
        Ok(self.stats)
    }

    /// Link state of the interface from sysfs.
    pub fn link_state(&self) -> LinkState {
        link_state(&self.iface)
    }
}

/// Link state of an interface from `/sys/class/net/<iface>/`.
pub fn link_state(iface: &str) -> LinkState {
    let base = format!("/sys/class/net/{iface}");
    let operstate = std::fs::read_to_string(format!("{base}/operstate"))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "missing".into());
    let carrier = std::fs::read_to_string(format!("{base}/carrier"))
        .map(|s| s.trim() == "1")
        .unwrap_or(false);
    LinkState { operstate, carrier }
}

impl Drop for AfPacket {
    fn drop(&mut self) {
        // SAFETY: unmapping exactly the mapping created in `open`.
        unsafe {
            libc::munmap(self.ring.cast(), self.ring_len);
        }
    }
}
