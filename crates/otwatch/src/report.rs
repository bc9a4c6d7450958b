//! The `analyze` summary: built from the engine's counters, rendered as text or JSON.
//! The JSON field names are part of the output contract (docs/analyze.md).

use crate::cmd::analyze::AnalyzeSink;
use otwatch_wire::{RunReport, Stats};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;

/// One file's reading result.
#[derive(Serialize, Debug)]
pub struct FileSummary {
    /// Path as given.
    pub path: String,
    /// Packets read.
    pub packets: u64,
    /// Bytes of the file consumed.
    pub bytes: u64,
    /// Damage description, if the file is damaged.
    pub damage: Option<String>,
    /// Byte offset of the damage.
    pub damage_offset: Option<u64>,
}

/// Volume entry.
#[derive(Serialize, Debug)]
pub struct Vol {
    /// Name (protocol, port or address).
    pub name: String,
    /// Flows.
    pub flows: u64,
    /// Packets.
    pub packets: u64,
    /// Bytes.
    pub bytes: u64,
}

/// Inventory overview in the summary.
#[derive(Serialize, Debug)]
pub struct AssetsSummary {
    /// Devices.
    pub devices: usize,
    /// Connections (device pairs).
    pub connections: usize,
    /// Devices per role.
    pub by_role: BTreeMap<String, usize>,
    /// Devices per zone.
    pub by_zone: BTreeMap<String, usize>,
    /// One line per device: address, name, vendor, role.
    pub list: Vec<String>,
}

impl AssetsSummary {
    /// Builds the overview.
    pub fn of(inv: &otwatch_learn::inventory::Inventory) -> AssetsSummary {
        let mut by_role = BTreeMap::new();
        let mut by_zone = BTreeMap::new();
        let mut list = Vec::new();
        for d in inv.devices() {
            *by_role.entry(d.role.as_str().to_string()).or_insert(0) += 1;
            *by_zone
                .entry(d.zone.clone().unwrap_or_else(|| "-".into()))
                .or_insert(0) += 1;
            let addr =
                d.ip.map(|i| i.to_string())
                    .or_else(|| d.mac.map(|m| m.to_string()))
                    .unwrap_or_default();
            let ident = [
                &d.identity.vendor,
                &d.identity.product,
                &d.identity.firmware,
            ]
            .iter()
            .filter_map(|a| a.as_ref().map(|a| a.value.as_str()))
            .collect::<Vec<_>>()
            .join(" ");
            list.push(format!(
                "{addr:<16} {:<18} {:<26} {:<24} {ident}",
                d.name.as_deref().unwrap_or("-"),
                d.vendor.unwrap_or("-"),
                format!("{} ({:.0}%)", d.role.as_str(), d.role_confidence * 100.0)
            ));
        }
        AssetsSummary {
            devices: inv.devices().len(),
            connections: inv.connections().len(),
            by_role,
            by_zone,
            list,
        }
    }
}

/// Timing of the run (`--stats`).
#[derive(Serialize, Debug)]
pub struct Timing {
    /// Wall-clock seconds.
    pub elapsed_s: f64,
    /// Packets per second.
    pub packets_per_s: f64,
    /// Megabits of capture per second.
    pub mbit_per_s: f64,
}

/// The summary of one `analyze` run.
#[derive(Serialize, Debug)]
pub struct Summary {
    /// Packets read.
    pub packets: u64,
    /// Bytes on the wire.
    pub bytes: u64,
    /// First packet time (epoch seconds).
    pub first_ts: Option<f64>,
    /// Last packet time.
    pub last_ts: Option<f64>,
    /// Time span in seconds.
    pub duration_s: f64,
    /// Packets whose timestamp went backwards.
    pub ts_backwards: u64,
    /// Flows.
    pub flows: u64,
    /// Flows evicted because the table was full.
    pub flows_evicted: u64,
    /// Files read.
    pub files: Vec<FileSummary>,
    /// Packets per EtherType (`0x0800`, ...; `llc` for 802.3).
    pub ethertypes: BTreeMap<String, u64>,
    /// Packets per IP protocol.
    pub ip_protocols: BTreeMap<String, u64>,
    /// Identified application protocols.
    pub protocols: Vec<Vol>,
    /// Server ports of unidentified flows (`tcp/8080`).
    pub ports: Vec<Vol>,
    /// Top talkers by bytes.
    pub top_talkers: Vec<Vol>,
    /// Weird counts by name.
    pub weirds: BTreeMap<String, u64>,
    /// Events emitted.
    pub events: u64,
    /// Events per protocol.
    pub events_by_proto: BTreeMap<String, u64>,
    /// Inventory overview.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assets: Option<AssetsSummary>,
    /// The air-gap report, with `--airgap-report`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub airgap: Option<otwatch_learn::airgap::AirgapReport>,
    /// Alerts, incidents and learning progress.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detection: Option<DetectionSummary>,
    /// Timing, with `--stats`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timing: Option<Timing>,
}

/// One alert line of the summary.
#[derive(Clone, Debug, Serialize)]
pub struct AlertLine {
    /// Packet time (RFC 3339).
    pub time: String,
    /// Kind.
    pub kind: String,
    /// Score.
    pub score: u8,
    /// Summary sentence.
    pub summary: String,
    /// ATT&CK for ICS techniques.
    pub mitre: Vec<String>,
}

/// One incident line of the summary.
#[derive(Clone, Debug, Serialize)]
pub struct IncidentLine {
    /// Title.
    pub title: String,
    /// Severity.
    pub severity: String,
    /// Alerts in it.
    pub alerts: u64,
    /// Narrative.
    pub narrative: String,
}

/// What the detectors found.
#[derive(Clone, Debug, Serialize)]
pub struct DetectionSummary {
    /// Alerts raised.
    pub alerts: u64,
    /// Alerts per kind.
    pub by_kind: BTreeMap<String, u64>,
    /// Alerts per severity.
    pub by_severity: BTreeMap<String, u64>,
    /// The highest-scoring alerts (at most 15), time order.
    pub top: Vec<AlertLine>,
    /// Incidents, most severe first.
    pub incidents: Vec<IncidentLine>,
    /// Learning progress.
    pub learning: otwatch_learn::engine::LearningProgress,
    /// Repeats folded into earlier alerts.
    pub folded: u64,
}

impl DetectionSummary {
    /// The summary of a run's alerts and incidents.
    pub fn of(
        alerts: &[otwatch_core::Alert],
        incidents: &[otwatch_analyst::Incident],
        engine: &otwatch_learn::engine::Engine,
    ) -> DetectionSummary {
        let mut by_kind = BTreeMap::new();
        let mut by_severity = BTreeMap::new();
        for a in alerts {
            *by_kind.entry(a.kind.clone()).or_insert(0) += 1;
            *by_severity
                .entry(a.severity.as_str().to_string())
                .or_insert(0) += 1;
        }
        let mut top: Vec<&otwatch_core::Alert> = alerts.iter().collect();
        top.sort_by(|a, b| b.score.cmp(&a.score).then(a.ts.total_cmp(&b.ts)));
        top.truncate(15);
        top.sort_by(|a, b| a.ts.total_cmp(&b.ts));
        let mut incs: Vec<&otwatch_analyst::Incident> = incidents.iter().collect();
        incs.sort_by_key(|i| std::cmp::Reverse(i.score));
        DetectionSummary {
            alerts: alerts.len() as u64,
            by_kind,
            by_severity,
            top: top
                .into_iter()
                .map(|a| AlertLine {
                    time: a.timestamp().to_rfc3339(),
                    kind: a.kind.clone(),
                    score: a.score,
                    summary: a.summary.clone(),
                    mitre: a.mitre.clone(),
                })
                .collect(),
            incidents: incs
                .into_iter()
                .take(10)
                .map(|i| IncidentLine {
                    title: i.title.clone(),
                    severity: i.severity.as_str().to_string(),
                    alerts: i.alert_count(),
                    narrative: i.narrative_text(),
                })
                .collect(),
            learning: engine.progress(),
            folded: engine.detectors().folded,
        }
    }
}

fn ethertype_name(e: u16) -> String {
    match e {
        0 => "llc".into(),
        0x0800 => "ipv4".into(),
        0x0806 => "arp".into(),
        0x86dd => "ipv6".into(),
        0x8892 => "profinet".into(),
        0x88b8 => "goose".into(),
        0x88ba => "sv".into(),
        0x88cc => "lldp".into(),
        0x88a4 => "ethercat".into(),
        0x88f7 => "ptp".into(),
        other => format!("0x{other:04x}"),
    }
}

fn ipproto_name(p: u8) -> String {
    match p {
        1 => "icmp".into(),
        2 => "igmp".into(),
        6 => "tcp".into(),
        17 => "udp".into(),
        47 => "gre".into(),
        50 => "esp".into(),
        58 => "icmpv6".into(),
        89 => "ospf".into(),
        112 => "vrrp".into(),
        other => format!("ip-{other}"),
    }
}

impl Summary {
    /// Builds the summary.
    pub fn build(
        stats: &Stats,
        report: &RunReport,
        sink: &AnalyzeSink,
        elapsed: Option<std::time::Duration>,
    ) -> Summary {
        let first = stats.first.map(|t| t.as_secs_f64());
        let last = stats.last.map(|t| t.as_secs_f64());
        let mut protocols: Vec<Vol> = stats
            .app_protos
            .iter()
            .map(|(k, v)| Vol {
                name: k.to_string(),
                flows: v.flows,
                packets: v.packets,
                bytes: v.bytes,
            })
            .collect();
        protocols.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.name.cmp(&b.name)));
        let mut ports: Vec<Vol> = stats
            .ports
            .iter()
            .map(|((t, p), v)| {
                let t = match t {
                    otwatch_core::Transport::Tcp => "tcp".to_string(),
                    otwatch_core::Transport::Udp => "udp".to_string(),
                    otwatch_core::Transport::Icmp => "icmp".to_string(),
                    otwatch_core::Transport::L2 => "l2".to_string(),
                    otwatch_core::Transport::Other(n) => ipproto_name(*n),
                };
                Vol {
                    name: if *p == 0 { t } else { format!("{t}/{p}") },
                    flows: v.flows,
                    packets: v.packets,
                    bytes: v.bytes,
                }
            })
            .collect();
        ports.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.name.cmp(&b.name)));
        ports.truncate(20);
        let mut top: Vec<Vol> = stats
            .talkers
            .iter()
            .map(|(ip, v)| Vol {
                name: ip.to_string(),
                flows: v.flows,
                packets: v.packets,
                bytes: v.bytes,
            })
            .collect();
        top.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.name.cmp(&b.name)));
        top.truncate(10);
        let mut events_by_proto = BTreeMap::new();
        for ((p, _), n) in &sink.event_counts {
            *events_by_proto.entry(p.clone()).or_insert(0) += n;
        }
        let timing = elapsed.map(|e| {
            let s = e.as_secs_f64().max(1e-9);
            let file_bytes: u64 = report.files.iter().map(|f| f.bytes).sum();
            Timing {
                elapsed_s: s,
                packets_per_s: stats.packets as f64 / s,
                mbit_per_s: file_bytes as f64 * 8.0 / s / 1e6,
            }
        });
        Summary {
            packets: report.packets(),
            bytes: stats.bytes,
            first_ts: first,
            last_ts: last,
            duration_s: match (first, last) {
                (Some(a), Some(b)) => (b - a).max(0.0),
                _ => 0.0,
            },
            ts_backwards: stats.ts_backwards,
            flows: stats.flows,
            flows_evicted: stats.flows_evicted,
            files: report
                .files
                .iter()
                .map(|f| FileSummary {
                    path: f.path.display().to_string(),
                    packets: f.packets,
                    bytes: f.bytes,
                    damage: f.damage.as_ref().map(|d| d.reason.clone()),
                    damage_offset: f.damage.as_ref().map(|d| d.offset),
                })
                .collect(),
            ethertypes: stats
                .ethertypes
                .iter()
                .map(|(e, n)| (ethertype_name(*e), *n))
                .collect(),
            ip_protocols: stats
                .ip_protos
                .iter()
                .map(|(p, n)| (ipproto_name(*p), *n))
                .collect(),
            protocols,
            ports,
            top_talkers: top,
            weirds: stats
                .weirds
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect(),
            events: sink.events,
            events_by_proto,
            assets: None,
            airgap: None,
            detection: None,
            timing,
        }
    }
}

fn human_bytes(b: u64) -> String {
    let b = b as f64;
    if b >= 1e9 {
        format!("{:.2} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.2} MB", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.1} kB", b / 1e3)
    } else {
        format!("{b} B")
    }
}

fn human_duration(s: f64) -> String {
    if s >= 86_400.0 {
        format!("{:.1} days", s / 86_400.0)
    } else if s >= 3600.0 {
        format!("{:.1} h", s / 3600.0)
    } else if s >= 60.0 {
        format!("{:.1} min", s / 60.0)
    } else {
        format!("{s:.1} s")
    }
}

/// Renders the summary for a human.
pub fn print_human(w: &mut dyn Write, s: &Summary) -> std::io::Result<()> {
    writeln!(w, "otwatch analyze")?;
    for f in &s.files {
        match &f.damage {
            Some(d) => writeln!(
                w,
                "  file  {}  {} packets  DAMAGED at byte {}: {d}",
                f.path,
                f.packets,
                f.damage_offset.unwrap_or(0)
            )?,
            None => writeln!(w, "  file  {}  {} packets", f.path, f.packets)?,
        }
    }
    writeln!(w)?;
    writeln!(w, "packets   {}", s.packets)?;
    writeln!(w, "bytes     {}", human_bytes(s.bytes))?;
    if let (Some(a), Some(b)) = (s.first_ts, s.last_ts) {
        writeln!(
            w,
            "span      {} → {} ({})",
            otwatch_core::Timestamp::from_secs_f64(a),
            otwatch_core::Timestamp::from_secs_f64(b),
            human_duration(s.duration_s)
        )?;
    }
    writeln!(
        w,
        "flows     {}{}",
        s.flows,
        if s.flows_evicted > 0 {
            format!(" ({} evicted: table full)", s.flows_evicted)
        } else {
            String::new()
        }
    )?;
    writeln!(w, "events    {}", s.events)?;
    writeln!(w)?;
    writeln!(
        w,
        "link layer: {}",
        s.ethertypes
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    writeln!(
        w,
        "ip:         {}",
        s.ip_protocols
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    if !s.protocols.is_empty() {
        writeln!(w, "\nprotocols (identified by content)")?;
        for p in &s.protocols {
            writeln!(
                w,
                "  {:<12} {:>8} flows {:>10} packets {:>10}",
                p.name,
                p.flows,
                p.packets,
                human_bytes(p.bytes)
            )?;
        }
    }
    if !s.ports.is_empty() {
        writeln!(w, "\nunidentified traffic by server port")?;
        for p in s.ports.iter().take(10) {
            writeln!(
                w,
                "  {:<12} {:>8} flows {:>10} packets {:>10}",
                p.name,
                p.flows,
                p.packets,
                human_bytes(p.bytes)
            )?;
        }
    }
    if !s.top_talkers.is_empty() {
        writeln!(w, "\ntop talkers")?;
        for t in &s.top_talkers {
            writeln!(
                w,
                "  {:<40} {:>10} packets {:>10}",
                t.name,
                t.packets,
                human_bytes(t.bytes)
            )?;
        }
    }
    if !s.weirds.is_empty() {
        writeln!(w, "\nweird (malformed or surprising traffic)")?;
        let mut v: Vec<_> = s.weirds.iter().collect();
        v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (k, n) in v.iter().take(20) {
            writeln!(w, "  {k:<40} {n}")?;
        }
    }
    if let Some(a) = &s.assets {
        writeln!(
            w,
            "\nassets    {} devices, {} connections",
            a.devices, a.connections
        )?;
        writeln!(
            w,
            "  by role: {}",
            a.by_role
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        )?;
        for l in a.list.iter().take(40) {
            writeln!(w, "  {l}")?;
        }
        if a.list.len() > 40 {
            writeln!(
                w,
                "  ... {} more (--assets FILE writes them all)",
                a.list.len() - 40
            )?;
        }
    }
    if let Some(g) = &s.airgap {
        writeln!(w, "\nair gap")?;
        write!(w, "{}", g.to_text())?;
    }
    if let Some(d) = &s.detection {
        writeln!(
            w,
            "\nalerts    {} ({}); {} repeats folded",
            d.alerts,
            d.by_severity
                .iter()
                .rev()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", "),
            d.folded
        )?;
        writeln!(
            w,
            "learning  {} of {} model entities past learning, {} of traffic",
            d.learning.mature,
            d.learning.entities,
            otwatch_learn::models::human_duration(d.learning.covered_secs)
        )?;
        if !d.by_kind.is_empty() {
            writeln!(
                w,
                "  by kind: {}",
                d.by_kind
                    .iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )?;
        }
        for a in &d.top {
            writeln!(
                w,
                "  {} {:>3} {:<22} {} [{}]",
                a.time,
                a.score,
                a.kind,
                a.summary,
                a.mitre.join(",")
            )?;
        }
        if !d.incidents.is_empty() {
            writeln!(w, "\nincidents")?;
            for i in &d.incidents {
                writeln!(w, "  [{}] {} ({} alerts)", i.severity, i.title, i.alerts)?;
                for line in i.narrative.lines().take(6) {
                    writeln!(w, "      {line}")?;
                }
            }
        }
    }
    if let Some(t) = &s.timing {
        writeln!(
            w,
            "\ntiming    {:.3} s, {:.0} packets/s, {:.0} Mbit/s",
            t.elapsed_s, t.packets_per_s, t.mbit_per_s
        )?;
    }
    Ok(())
}
