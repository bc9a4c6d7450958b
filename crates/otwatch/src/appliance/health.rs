//! Sensor health: what the operator needs to know to trust the sensor — is it
//! dropping packets, is the mirror port one-sided, is a link down, is the clock off.
//! Shared between the capture, worker and learner threads through atomics, rendered
//! for the console, the API and `/metrics` (Prometheus text format).

use serde::Serialize;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Per-interface state.
#[derive(Clone, Debug, Default, Serialize)]
pub struct IfaceHealth {
    /// Interface name (or `replay`).
    pub name: String,
    /// `operstate` from sysfs.
    pub operstate: String,
    /// Carrier present.
    pub carrier: bool,
    /// Times the link went down since start.
    pub link_down_events: u64,
    /// Kernel counters: packets seen by the socket.
    pub kernel_packets: u64,
    /// Kernel counters: packets dropped because the ring was full.
    pub kernel_drops: u64,
    /// Fraction of ring blocks held by user space (0..1).
    pub ring_usage: f64,
}

/// Counters shared by the pipeline threads.
#[derive(Debug, Default)]
pub struct Health {
    /// Packets captured (handed to the pipeline).
    pub packets: AtomicU64,
    /// Bytes captured.
    pub bytes: AtomicU64,
    /// Packets dropped inside otwatch because a worker queue was full.
    pub internal_drops: AtomicU64,
    /// Low-value events (periodic reads) shed because the learner queue was full.
    pub shed_events: AtomicU64,
    /// Events analysed.
    pub events: AtomicU64,
    /// Alerts raised.
    pub alerts: AtomicU64,
    /// TCP flows that ended with data in only one direction.
    pub tcp_one_sided: AtomicU64,
    /// TCP flows that ended with data in both directions.
    pub tcp_two_sided: AtomicU64,
    /// Latest packet time (epoch nanoseconds).
    pub last_packet_ns: AtomicU64,
    /// Largest absolute clock offset seen in NTP, microseconds.
    pub clock_skew_us: AtomicU64,
    /// Devices in the inventory.
    pub devices: AtomicU64,
    /// Devices still learning.
    pub devices_learning: AtomicU64,
    /// Store size in bytes.
    pub store_bytes: AtomicU64,
    /// Interfaces.
    pub ifaces: Mutex<Vec<IfaceHealth>>,
}

/// A point-in-time copy of [`Health`], for the console and the API.
#[derive(Clone, Debug, Serialize)]
pub struct HealthSnapshot {
    /// See [`Health`].
    pub packets: u64,
    /// See [`Health`].
    pub bytes: u64,
    /// Kernel drops summed over interfaces.
    pub kernel_drops: u64,
    /// See [`Health`].
    pub internal_drops: u64,
    /// See [`Health`].
    pub shed_events: u64,
    /// See [`Health`].
    pub events: u64,
    /// See [`Health`].
    pub alerts: u64,
    /// Fraction of TCP flows seen in one direction only.
    pub one_sided_ratio: f64,
    /// True when the mirror port looks one-sided (most TCP flows show one direction).
    pub one_sided: bool,
    /// Largest clock offset seen in NTP, seconds.
    pub clock_skew_s: f64,
    /// See [`Health`].
    pub devices: u64,
    /// See [`Health`].
    pub devices_learning: u64,
    /// See [`Health`].
    pub store_bytes: u64,
    /// Per interface.
    pub ifaces: Vec<IfaceHealth>,
    /// Human-readable problems ("kernel dropped 12 packets on eth1", ...).
    pub problems: Vec<String>,
}

/// A mirror port is called one-sided when at least this share of TCP flows (with
/// at least [`ONE_SIDED_MIN_FLOWS`] seen) carried data in one direction only.
pub const ONE_SIDED_THRESHOLD: f64 = 0.8;
/// Minimum TCP flows before the one-sided verdict is given.
pub const ONE_SIDED_MIN_FLOWS: u64 = 10;

impl Health {
    /// A snapshot.
    pub fn snapshot(&self) -> HealthSnapshot {
        let ifaces = self.ifaces.lock().map(|v| v.clone()).unwrap_or_default();
        let one = self.tcp_one_sided.load(Relaxed);
        let two = self.tcp_two_sided.load(Relaxed);
        let total = one + two;
        let ratio = if total == 0 {
            0.0
        } else {
            one as f64 / total as f64
        };
        let one_sided = total >= ONE_SIDED_MIN_FLOWS && ratio >= ONE_SIDED_THRESHOLD;
        let kernel_drops = ifaces.iter().map(|i| i.kernel_drops).sum();
        let mut problems = Vec::new();
        for i in &ifaces {
            if i.operstate != "up" && i.name != "replay" {
                problems.push(format!(
                    "link {} is {} (carrier {})",
                    i.name,
                    i.operstate,
                    if i.carrier { "present" } else { "lost" }
                ));
            }
            if i.kernel_drops > 0 {
                problems.push(format!(
                    "kernel dropped {} packets on {}",
                    i.kernel_drops, i.name
                ));
            }
        }
        let internal = self.internal_drops.load(Relaxed);
        if internal > 0 {
            problems.push(format!(
                "analysis fell behind: {internal} packets dropped inside otwatch"
            ));
        }
        if one_sided {
            problems.push(format!(
                "mirror port looks one-sided: {:.0}% of TCP flows show one direction only",
                ratio * 100.0
            ));
        }
        let skew = self.clock_skew_us.load(Relaxed) as f64 / 1e6;
        if skew > 5.0 {
            problems.push(format!("clock skew of {skew:.1} s seen in NTP traffic"));
        }
        HealthSnapshot {
            packets: self.packets.load(Relaxed),
            bytes: self.bytes.load(Relaxed),
            kernel_drops,
            internal_drops: internal,
            shed_events: self.shed_events.load(Relaxed),
            events: self.events.load(Relaxed),
            alerts: self.alerts.load(Relaxed),
            one_sided_ratio: ratio,
            one_sided,
            clock_skew_s: skew,
            devices: self.devices.load(Relaxed),
            devices_learning: self.devices_learning.load(Relaxed),
            store_bytes: self.store_bytes.load(Relaxed),
            ifaces,
            problems,
        }
    }

    /// Prometheus text exposition format (version 0.0.4).
    pub fn prometheus(&self) -> String {
        let s = self.snapshot();
        let mut o = String::new();
        let mut g = |name: &str, kind: &str, help: &str, v: f64| {
            o.push_str(&format!(
                "# HELP otwatch_{name} {help}\n# TYPE otwatch_{name} {kind}\notwatch_{name} {v}\n"
            ));
        };
        g(
            "packets_captured_total",
            "counter",
            "Packets handed to the pipeline.",
            s.packets as f64,
        );
        g(
            "bytes_captured_total",
            "counter",
            "Bytes handed to the pipeline.",
            s.bytes as f64,
        );
        g(
            "packets_dropped_kernel_total",
            "counter",
            "Packets the kernel dropped (ring full).",
            s.kernel_drops as f64,
        );
        g(
            "packets_dropped_internal_total",
            "counter",
            "Packets dropped inside otwatch (worker queue full).",
            s.internal_drops as f64,
        );
        g(
            "events_shed_total",
            "counter",
            "Low-value events shed under load.",
            s.shed_events as f64,
        );
        g(
            "events_total",
            "counter",
            "Events analysed.",
            s.events as f64,
        );
        g("alerts_total", "counter", "Alerts raised.", s.alerts as f64);
        g(
            "tcp_one_sided_ratio",
            "gauge",
            "Share of TCP flows seen in one direction only.",
            s.one_sided_ratio,
        );
        g(
            "mirror_one_sided",
            "gauge",
            "1 when the mirror port looks one-sided.",
            s.one_sided as u8 as f64,
        );
        g(
            "clock_skew_seconds",
            "gauge",
            "Largest clock offset seen in NTP.",
            s.clock_skew_s,
        );
        g(
            "devices",
            "gauge",
            "Devices in the inventory.",
            s.devices as f64,
        );
        g(
            "devices_learning",
            "gauge",
            "Devices still in their learning period.",
            s.devices_learning as f64,
        );
        g(
            "store_bytes",
            "gauge",
            "Size of the store on disk.",
            s.store_bytes as f64,
        );
        for i in &s.ifaces {
            let l = format!("{{interface=\"{}\"}}", i.name.replace('"', ""));
            o.push_str(&format!(
                "otwatch_link_up{l} {}\n",
                (i.operstate == "up") as u8
            ));
            o.push_str(&format!(
                "otwatch_link_down_events_total{l} {}\n",
                i.link_down_events
            ));
            o.push_str(&format!("otwatch_ring_usage_ratio{l} {}\n", i.ring_usage));
            o.push_str(&format!(
                "otwatch_kernel_packets_total{l} {}\n",
                i.kernel_packets
            ));
            o.push_str(&format!(
                "otwatch_kernel_drops_total{l} {}\n",
                i.kernel_drops
            ));
        }
        o
    }

    /// Notes a finished flow record for one-sidedness.
    pub fn note_flow(&self, rec: &otwatch_core::FlowRecord) {
        if rec.transport != otwatch_core::Transport::Tcp || rec.end == otwatch_core::FlowEnd::Active
        {
            return;
        }
        let (a, b) = (rec.pkts[0], rec.pkts[1]);
        if a + b < 4 {
            return; // too small to judge (scans, single probes)
        }
        if a == 0 || b == 0 {
            self.tcp_one_sided.fetch_add(1, Relaxed);
        } else {
            self.tcp_two_sided.fetch_add(1, Relaxed);
        }
    }

    /// Notes an event: NTP clock offsets feed the skew gauge.
    pub fn note_event(&self, ev: &otwatch_core::Event) {
        self.events.fetch_add(1, Relaxed);
        if ev.proto == "ntp"
            && let Some(off) = ev.fields.get("clock_offset_s").and_then(|v| v.as_f64())
        {
            let us = (off.abs() * 1e6).min(u64::MAX as f64) as u64;
            self.clock_skew_us.fetch_max(us, Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use otwatch_core::{Endpoint, FlowEnd, FlowId, FlowRecord, TcpState, Timestamp, Transport};

    fn rec(a: u64, b: u64) -> FlowRecord {
        FlowRecord {
            flow_id: FlowId(1),
            client: Endpoint::default(),
            server: Endpoint::default(),
            transport: Transport::Tcp,
            vlan: None,
            proto: None,
            first: Timestamp::ZERO,
            last: Timestamp::ZERO,
            pkts: [a, b],
            bytes: [a * 60, b * 60],
            tcp_state: TcpState::Established,
            orig_certain: false,
            end: FlowEnd::Idle,
        }
    }

    #[test]
    fn one_sided_mirror_is_reported() {
        let h = Health::default();
        for _ in 0..20 {
            h.note_flow(&rec(10, 0));
        }
        let s = h.snapshot();
        assert!(s.one_sided);
        assert!(s.problems.iter().any(|p| p.contains("one-sided")));
        assert!(h.prometheus().contains("otwatch_mirror_one_sided 1"));
        let h2 = Health::default();
        for _ in 0..20 {
            h2.note_flow(&rec(10, 9));
        }
        assert!(!h2.snapshot().one_sided);
    }
}
