//! The detection rules: how each event and flow updates the models and what
//! findings it yields. See the module docs of [`super`] for the list.

use super::{
    Detectors, Finding, GooseState, HostState, Window, host, novelty_evidence, novelty_p, show,
};
use crate::inventory::is_industrial;
use crate::models::score::{SLOT_SECS, poisson_tail};
use crate::models::timing::TimingAnomaly;
use crate::models::values::{MIN_VALUE_SAMPLES, PointModel};
use crate::models::{Host, evict_oldest, human_duration, is_public, key_hash, num};
use otwatch_core::{Event, EventKind, FlowRecord, OpClass, TcpState, Value};
use serde_json::json;
use std::net::IpAddr;

/// Entity key of a device's firmware history in the `ranges` family.
const FIRMWARE_KEY: u64 = 0x6669_726d_7761_7265; // "firmware"

/// Weight of operations that change what a controller does (program, control):
/// their novelty is ten times more surprising than a new read.
const IMPACT_WEIGHT: f64 = 0.1;
/// Stopped-stream checks run at most this often (packet seconds).
const STOP_CHECK_SECS: i64 = 60;
/// Register blocks: indices are grouped in blocks of this size for range novelty.
const RANGE_BLOCK: u32 = 100;
/// Function sweep: distinct functions per window from one client that count.
const SWEEP_FUNCTIONS: usize = 8;
/// Identification sweep: distinct targets asked for identity per window.
const IDENT_TARGETS: usize = 4;
/// Exceptions and weird events per window from one host that count as a storm.
const ERROR_STORM: usize = 20;
/// A binding's previous MAC seen within this many seconds makes a change a spoof.
const SPOOF_OVERLAP_SECS: i64 = 600;

/// Protocols (or well-known server ports) of remote administration and file
/// sharing: the way IT reaches into OT.
fn it_service(proto: Option<&str>, port: u16) -> Option<&'static str> {
    match proto {
        Some("smb") => return Some("smb"),
        Some("rdp") => return Some("rdp"),
        Some("vnc") => return Some("vnc"),
        Some("ssh") => return Some("ssh"),
        Some("remote") => return Some("remote"),
        _ => {}
    }
    Some(match port {
        445 | 139 => "smb",
        3389 => "rdp",
        5900 | 5901 => "vnc",
        22 => "ssh",
        23 => "telnet",
        5985 | 5986 => "winrm",
        5938 => "teamviewer",
        7070 => "anydesk",
        _ => return None,
    })
}

fn remote_tool(service: &str) -> bool {
    matches!(
        service,
        "rdp" | "vnc" | "teamviewer" | "anydesk" | "remote" | "telnet"
    )
}

/// The kind of a new program/control operation, from its function name.
fn impact_kind(function: &str, op: OpClass) -> &'static str {
    let f = function.to_ascii_lowercase();
    if f.contains("stop") {
        "plc_stop"
    } else if f.contains("restart") || f.contains("reset") || f.contains("reboot") {
        "device_restart"
    } else if f.contains("firmware") {
        "firmware_change"
    } else if op == OpClass::Program
        || f.contains("download")
        || f.contains("upload")
        || f.contains("program")
    {
        "program_download"
    } else {
        "device_control"
    }
}

impl Detectors {
    /// Registers a host that sent traffic; returns a finding for a new device.
    fn see_host(&mut self, h: Host, t: i64, mac: Option<String>, found: &mut Vec<Finding>) {
        if let Some(s) = self.hosts.get_mut(&h) {
            s.last = s.last.max(t);
            return;
        }
        if h.ip()
            .is_some_and(|ip| is_public(&ip) || ip.is_unspecified())
        {
            return; // external and unconfigured (0.0.0.0) addresses are not devices
        }
        let mature = self.network_mature(t);
        if evict_oldest(&mut self.hosts, self.cfg.caps.hosts, |s| s.last) {
            self.hosts_evicted += 1;
        }
        let known = self.hosts.len();
        let hours = self.first.map_or(0, |f| (t - f) / SLOT_SECS).max(1);
        self.hosts.insert(
            h,
            HostState {
                first: t,
                last: t,
                ..HostState::default()
            },
        );
        if mature {
            // New devices per hour of the network's history, with a half-count prior.
            let p = (0.5 / hours as f64).min(1.0);
            found.push(Finding {
                kind: "new_device",
                p,
                src: show(&h),
                dst: String::new(),
                proto: String::new(),
                summary: format!(
                    "New device {h}{} appeared after {} of learning {known} devices.",
                    mac.as_deref().map(|m| format!(" ({m})")).unwrap_or_default(),
                    human_duration((t - self.first.unwrap_or(t)) as f64),
                ),
                evidence: json!({
                    "observed": {"host": show(&h), "mac": mac},
                    "baseline": {"known_devices": known, "history_secs": t - self.first.unwrap_or(t)},
                }),
                key: String::new(),
            });
        } else {
            self.last_new_host = t;
        }
    }

    fn mark(&mut self, h: &Host, f: impl FnOnce(&mut HostState)) {
        if let Some(s) = self.hosts.get_mut(h) {
            f(s);
        }
    }

    /// Connection novelty for client → server (either side's first time).
    fn see_pair(&mut self, c: Host, s: Host, proto: &str, t: i64, found: &mut Vec<Finding>) {
        let pol = self.cfg.policy.clone();
        let o_out = self
            .peers_out
            .observe(&c, key_hash(&s), t, &pol, || show(&s));
        let o_in = self
            .peers_in
            .observe(&s, key_hash(&c), t, &pol, || show(&c));
        let p = novelty_p(&o_out).min(novelty_p(&o_in));
        if p < 1.0 {
            let (fam, e, o, side) = if novelty_p(&o_in) <= novelty_p(&o_out) {
                (&self.peers_in, &s, &o_in, "server")
            } else {
                (&self.peers_out, &c, &o_out, "client")
            };
            found.push(Finding {
                kind: "new_connection",
                p,
                src: show(&c),
                dst: show(&s),
                proto: proto.to_string(),
                summary: format!(
                    "{c} connected to {s} ({proto}) for the first time; the {side} had a stable set of {} peers.",
                    fam.get(e).map_or(0, |k| k.len().saturating_sub(1))
                ),
                evidence: novelty_evidence(fam, e, json!({"client": show(&c), "server": show(&s), "proto": proto}), o),
                key: String::new(),
            });
        }
        if !proto.is_empty() {
            let o = self
                .protos
                .observe(&(c, s), key_hash(proto), t, &pol, || proto.to_string());
            let p = novelty_p(&o);
            if p < 1.0 {
                found.push(Finding {
                    kind: "new_protocol",
                    p,
                    src: show(&c),
                    dst: show(&s),
                    proto: proto.to_string(),
                    summary: format!(
                        "{c} used {proto} toward {s}, a protocol this pair never used."
                    ),
                    evidence: novelty_evidence(&self.protos, &(c, s), json!({"proto": proto}), &o),
                    key: proto.to_string(),
                });
            }
        }
    }

    /// Adds `key` to a window counter; returns (count, sample, baseline) the first
    /// time the count reaches `threshold` in the window and exceeds twice the
    /// learned maximum.
    #[expect(
        clippy::too_many_arguments,
        reason = "one call shape shared by four counters"
    )]
    fn window<K: Eq + std::hash::Hash + Clone>(
        map_sel: &mut crate::models::FastMap<K, Window>,
        cap: usize,
        k: &K,
        key: u64,
        label: impl FnOnce() -> String,
        t: i64,
        win: i64,
        threshold: usize,
    ) -> Option<(usize, Vec<String>, usize)> {
        if !map_sel.contains_key(k) {
            evict_oldest(map_sel, cap, |w| w.start);
        }
        let w = map_sel.entry(k.clone()).or_insert_with(|| Window {
            start: t,
            ..Window::default()
        });
        if t - w.start >= win {
            if !w.flagged {
                w.baseline_max = w.baseline_max.max(w.keys.len());
            }
            w.windows += 1;
            w.start = t;
            w.keys.clear();
            w.sample.clear();
            w.flagged = false;
        }
        if w.keys.contains(&key) || w.keys.len() >= 4 * threshold {
            return None;
        }
        w.keys.push(key);
        if w.sample.len() < 12 {
            w.sample.push(label());
        }
        let n = w.keys.len();
        if !w.flagged && n >= threshold && n > 2 * w.baseline_max {
            w.flagged = true;
            return Some((n, w.sample.clone(), w.baseline_max));
        }
        None
    }
}

/// One event.
pub(super) fn on_event(d: &mut Detectors, ev: &Event, t: i64, found: &mut Vec<Finding>) {
    let (Some(src), dst) = (host(&ev.src), host(&ev.dst)) else {
        return;
    };
    let pol = d.cfg.policy.clone();
    let proto = ev.proto;
    if proto != "arp" {
        // ARP registers the IP it claims (below), not the bare MAC of the frame.
        d.see_host(src, t, ev.src.mac.map(|m| m.to_string()), found);
    }
    let answered =
        ev.status.is_some() || ev.fields.get("request_seen") == Some(&Value::Bool(false));
    if let Some(dh) = dst
        && answered
    {
        d.see_host(dh, t, ev.dst.mac.map(|m| m.to_string()), found);
    }
    if ev.kind == EventKind::Weird {
        let name = ev.function.to_string();
        let cap = d.cfg.caps.hosts;
        if let Some((n, sample, base)) = Detectors::window(
            &mut d.errors,
            cap,
            &src,
            key_hash(&(proto, &name, d.raised)),
            || name.clone(),
            t,
            d.cfg.window_secs,
            ERROR_STORM,
        ) && d.network_mature(t)
        {
            found.push(Finding {
                kind: "malformed_traffic",
                p: poisson_tail(n as u64, base.max(1) as f64),
                src: show(&src),
                dst: dst.map(|h| show(&h)).unwrap_or_default(),
                proto: proto.to_string(),
                summary: format!("{src} sent {n} malformed {proto} messages within {}.", human_duration(d.cfg.window_secs as f64)),
                evidence: json!({"observed": {"count": n, "weird": sample}, "baseline": {"max_per_window": base}}),
                key: proto.to_string(),
            });
        }
        return;
    }
    match proto {
        "arp" => return arp(d, ev, t, found),
        "dns" => return dns(d, ev, src, t, found),
        "goose" => return goose(d, ev, t, found),
        _ => {}
    }
    let Some(dh) = dst else { return };
    if is_industrial(proto) {
        d.mark(&src, |s| s.ot = true);
        d.mark(&dh, |s| s.ot = true);
    }
    d.see_pair(src, dh, proto, t, found);

    // Writers: who writes to, programs or commands this device.
    let func = ev.function.as_ref();
    let impact = matches!(ev.op, OpClass::Program | OpClass::Control);
    let mut writer_finding = false;
    if matches!(ev.op, OpClass::Write | OpClass::Program | OpClass::Control) && is_industrial(proto)
    {
        let wrote_before = d.hosts.get(&src).is_some_and(|s| s.engineering);
        let o = d
            .writers
            .observe(&dh, key_hash(&src), t, &pol, || show(&src));
        let mut p = novelty_p(&o);
        // Nobody ever wrote to or commanded this device, and it has been watched
        // for its learning period: the first writer is as surprising as a new one.
        let target_age = d.hosts.get(&dh).map_or(0, |h| t - h.first);
        if o.new_entity && d.network_mature(t) && target_age >= pol.min_learn {
            p = o.p_new;
        }
        if p < 1.0 {
            if !wrote_before || impact {
                p *= IMPACT_WEIGHT;
            }
            writer_finding = true;
            let kind = if impact {
                impact_kind(func, ev.op)
            } else {
                "unauthorized_write"
            };
            found.push(Finding {
                kind,
                p,
                src: show(&src),
                dst: show(&dh),
                proto: proto.to_string(),
                summary: format!(
                    "{src} sent {proto} {func} ({}) to {dh}; it never wrote to or commanded this device{}.",
                    ev.op.as_str(),
                    if wrote_before { "" } else { " (or any device) before" }
                ),
                evidence: novelty_evidence(&d.writers, &dh, json!({"writer": show(&src), "function": func, "op": ev.op.as_str()}), &o),
                key: if impact { func.to_string() } else { String::new() },
            });
        }
        d.mark(&src, |s| s.engineering = true);
    }

    // Functions and operation kinds.
    let proto_key = key_hash(proto);
    let ent = (src, dh, proto_key);
    let o = d
        .functions
        .observe(&ent, key_hash(func), t, &pol, || func.to_string());
    let mut p = novelty_p(&o);
    if p < 1.0 && !(writer_finding && impact) {
        let kind = if impact {
            impact_kind(func, ev.op)
        } else {
            "new_function"
        };
        if impact {
            p *= IMPACT_WEIGHT;
        }
        found.push(Finding {
            kind,
            p,
            src: show(&src),
            dst: show(&dh),
            proto: proto.to_string(),
            summary: format!(
                "{src} sent {proto} {func} ({}) to {dh}, which this pair never used.",
                ev.op.as_str()
            ),
            evidence: novelty_evidence(
                &d.functions,
                &ent,
                json!({"function": func, "op": ev.op.as_str(), "status": ev.status}),
                &o,
            ),
            key: func.to_string(),
        });
    }

    // Human activity hours: engineering and interactive IT sessions.
    let interactive = matches!(ev.op, OpClass::Program | OpClass::Control | OpClass::Write)
        || matches!(proto, "rdp" | "smb" | "ssh" | "vnc");
    if interactive && let Some(hs) = d.hosts.get_mut(&src) {
        let human_before = hs.hours.human_operated();
        let usual = hs.hours.usual_hours();
        let p_act = hs.hours.observe(t);
        if human_before && p_act < 0.1 {
            found.push(Finding {
                kind: "off_hours_activity",
                p: p_act,
                src: show(&src),
                dst: show(&dh),
                proto: proto.to_string(),
                summary: format!(
                    "{src} did {proto} {func} at {:02}:00 UTC; it is usually active {usual}.",
                    ev.ts.hour_of_day()
                ),
                evidence: json!({"observed": {"hour_utc": ev.ts.hour_of_day(), "function": func},
                    "baseline": {"usual_hours_utc": usual, "days": hs.hours.days, "p_active_this_hour": p_act}}),
                key: String::new(),
            });
        }
    }

    // Sweeps.
    if ev.op != OpClass::Other || func.starts_with("unknown") {
        let cap = d.cfg.caps.hosts;
        let win = d.cfg.window_secs;
        if let Some((n, sample, base)) = Detectors::window(
            &mut d.sweeps,
            cap,
            &(src, proto_key),
            key_hash(func),
            || func.to_string(),
            t,
            win,
            SWEEP_FUNCTIONS,
        ) {
            found.push(Finding {
                kind: "function_code_sweep",
                p: poisson_tail(n as u64, base.max(1) as f64),
                src: show(&src),
                dst: show(&dh),
                proto: proto.to_string(),
                summary: format!("{src} used {n} different {proto} functions within {}; its most in any window before was {base}.", human_duration(win as f64)),
                evidence: json!({"observed": {"distinct_functions": n, "functions": sample}, "baseline": {"max_per_window": base}}),
                key: String::new(),
            });
        }
        let ident = ev.identity.is_some()
            || func.contains("ident")
            || func.contains("szl")
            || func.contains("list_identity");
        if ident
            && let Some((n, sample, base)) = Detectors::window(
                &mut d.ident,
                cap,
                &src,
                key_hash(&dh),
                || show(&dh),
                t,
                win,
                IDENT_TARGETS,
            )
        {
            found.push(Finding {
                kind: "identification_sweep",
                p: poisson_tail(n as u64, base.max(1) as f64),
                src: show(&src),
                dst: String::new(),
                proto: proto.to_string(),
                summary: format!("{src} asked {n} devices for their identity ({proto}) within {}.", human_duration(win as f64)),
                evidence: json!({"observed": {"targets": sample, "count": n}, "baseline": {"max_per_window": base}}),
                key: String::new(),
            });
        }
    }

    // Exceptions.
    if let Some(st) = ev.status.as_deref()
        && st != "ok"
    {
        let cap = d.cfg.caps.hosts;
        if let Some((n, sample, base)) = Detectors::window(
            &mut d.errors,
            cap,
            &src,
            key_hash(&(func, st, t, d.raised)),
            || format!("{func}: {st}"),
            t,
            d.cfg.window_secs,
            ERROR_STORM,
        ) && d.network_mature(t)
        {
            found.push(Finding {
                kind: "exception_storm",
                p: poisson_tail(n as u64, base.max(1) as f64),
                src: show(&src),
                dst: show(&dh),
                proto: proto.to_string(),
                summary: format!("{src} received {n} error responses within {}.", human_duration(d.cfg.window_secs as f64)),
                evidence: json!({"observed": {"count": n, "sample": sample}, "baseline": {"max_per_window": base}}),
                key: String::new(),
            });
        }
    }

    // Firmware / identity changes.
    if let Some(id) = ev.identity.as_deref()
        && let Some(fw) = id.firmware.as_deref()
    {
        let subject = match id.subject {
            Some(otwatch_core::IdentitySubject::Src) => src,
            _ => dh,
        };
        let o = d.ranges.observe(
            &(subject, subject, FIRMWARE_KEY),
            key_hash(fw),
            t,
            &pol,
            || fw.to_string(),
        );
        if o.new_key && !o.new_entity {
            let prev = d
                .ranges
                .get(&(subject, subject, FIRMWARE_KEY))
                .map(|s| {
                    s.top(4)
                        .into_iter()
                        .map(|(l, _)| l.to_string())
                        .filter(|l| l != fw)
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default();
            if !prev.is_empty() {
                found.push(Finding {
                    kind: "firmware_change",
                    p: 1e-3,
                    src: show(&subject),
                    dst: String::new(),
                    proto: proto.to_string(),
                    summary: format!(
                        "{subject} now reports firmware {fw}; before it reported {}.",
                        prev.join(", ")
                    ),
                    evidence: json!({"observed": {"firmware": fw}, "baseline": {"firmware": prev}}),
                    key: fw.to_string(),
                });
            }
        }
    }

    // Register ranges and values.
    if ev.points.is_empty() {
        return timing(d, ev, src, dh, t, found);
    }
    let rent = (src, dh, proto_key);
    let mut range_found = false;
    for pt in ev.points.iter().take(64) {
        let block = pt.index / RANGE_BLOCK;
        if !range_found {
            let o = d.ranges.observe(
                &rent,
                key_hash(&(pt.space, pt.group, block)),
                t,
                &pol,
                || {
                    format!(
                        "{}:{}:{}-{}",
                        pt.space,
                        pt.group,
                        block * RANGE_BLOCK,
                        block * RANGE_BLOCK + RANGE_BLOCK - 1
                    )
                },
            );
            let p = novelty_p(&o);
            if p < 1.0 {
                range_found = true;
                found.push(Finding {
                    kind: "new_register_range",
                    p,
                    src: show(&src),
                    dst: show(&dh),
                    proto: proto.to_string(),
                    summary: format!(
                        "{src} accessed {} {} {} (block {}-{}) on {dh}, a range this pair never touched.",
                        proto, pt.space, pt.index, block * RANGE_BLOCK, block * RANGE_BLOCK + RANGE_BLOCK - 1
                    ),
                    evidence: novelty_evidence(&d.ranges, &rent, json!({"space": pt.space, "group": pt.group, "index": pt.index, "op": ev.op.as_str()}), &o),
                    key: format!("{}:{}:{block}", pt.space, pt.group),
                });
            }
        }
        if !matches!(ev.op, OpClass::Write | OpClass::Read) || !pt.value.is_finite() {
            continue;
        }
        // The point's owner is the server side (the device holding the register).
        let key = (dh, key_hash(&(proto, pt.space)), pt.group, pt.index);
        let Some(m) = d.points.get_mut(&key) else {
            evict_oldest(&mut d.points, d.cfg.caps.points, |m| m.last as i64);
            d.points.insert(key, PointModel::new(pt.value, t as f64));
            continue;
        };
        if !m.frozen() && m.n >= MIN_VALUE_SAMPLES && pol.mature(m.first as i64, m.first as i64, t)
        {
            m.freeze(t as f64);
        }
        let frozen = m.frozen();
        let (lo, hi, n, mean) = (m.lo, m.hi, m.n, m.mean);
        let c = m.observe(pt.value, t as f64);
        if frozen && c.p < 1.0 && ev.op == OpClass::Write {
            found.push(Finding {
                kind: "out_of_range_value",
                p: c.p,
                src: show(&src),
                dst: show(&dh),
                proto: proto.to_string(),
                summary: format!(
                    "{src} wrote {} to {proto} {} {} on {dh}; the learned range is {} to {}.",
                    num(pt.value), pt.space, pt.index, num(lo), num(hi)
                ),
                evidence: json!({"observed": {"value": pt.value, "space": pt.space, "group": pt.group, "index": pt.index, "function": func},
                    "baseline": {"min": lo, "max": hi, "mean": mean, "samples": n}}),
                key: format!("{}:{}:{}", pt.space, pt.group, pt.index),
            });
        }
    }
    timing(d, ev, src, dh, t, found);
}

/// Polling streams: requests that read, per pair, protocol, function and unit.
fn timing(d: &mut Detectors, ev: &Event, src: Host, dh: Host, _t: i64, found: &mut Vec<Finding>) {
    if ev.op != OpClass::Read || ev.fields.get("request_seen") == Some(&Value::Bool(false)) {
        return;
    }
    let key = (
        src,
        dh,
        key_hash(&(ev.proto, ev.function.as_ref(), ev.unit)),
    );
    let ts = ev.ts.as_secs_f64();
    if !d.streams.contains_key(&key) {
        evict_oldest(&mut d.streams, d.cfg.caps.streams, |s| s.model.last as i64);
        let label = format!("{}:{}:{}", ev.proto, ev.function, ev.unit.unwrap_or(0));
        d.streams.insert(
            key,
            super::Stream {
                model: crate::models::timing::PollStream::start(ts),
                label: label.into_boxed_str(),
            },
        );
        return;
    }
    let Some(st) = d.streams.get_mut(&key) else {
        return;
    };
    let s = &mut st.model;
    let (mean, mad) = (s.mean, s.mad);
    let Some(a) = s.observe(ts) else { return };
    let (kind, observed, p, what) = match a {
        TimingAnomaly::RateChange { observed, p } => ("polling_rate_change", observed, p, "period"),
        TimingAnomaly::Jitter { observed, p } => ("polling_jitter", observed, p, "jitter"),
    };
    found.push(Finding {
        kind,
        p,
        src: show(&src),
        dst: show(&dh),
        proto: ev.proto.to_string(),
        summary: format!(
            "{src} polls {dh} ({} {}) with a {what} of {}; the learned period is {} ± {}.",
            ev.proto, ev.function, human_duration(observed), human_duration(mean), human_duration(mad)
        ),
        evidence: json!({"observed": {what: observed}, "baseline": {"period_s": mean, "jitter_s": mad}}),
        key: st.label.to_string(),
    });
}

fn arp(d: &mut Detectors, ev: &Event, t: i64, found: &mut Vec<Finding>) {
    let (Some(ip), Some(mac)) = (
        ev.fields.get_str("sender_ip"),
        ev.fields.get_str("sender_mac"),
    ) else {
        return;
    };
    let Ok(ip) = ip.parse::<IpAddr>() else { return };
    if ip.is_unspecified() {
        return;
    }
    let pol = d.cfg.policy.clone();
    let h = Host::Ip(ip);
    if ev.fields.get("probe") != Some(&Value::Bool(true)) {
        d.see_host(h, t, Some(mac.to_string()), found);
    }
    let prev: Vec<(String, i64)> = d
        .bindings
        .get(&h)
        .map(|s| {
            s.top(4)
                .into_iter()
                .map(|(l, _)| l.to_string())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
        .into_iter()
        .filter(|l| l != mac)
        .filter_map(|l| {
            let k = key_hash(l.as_str());
            d.bindings
                .get(&h)
                .and_then(|s| s.get(k))
                .map(|st| (l, st.last))
        })
        .collect();
    let o = d
        .bindings
        .observe(&h, key_hash(mac), t, &pol, || mac.to_string());
    if !o.new_key || o.new_entity || prev.is_empty() {
        return;
    }
    let recent = prev.iter().any(|(_, last)| t - last <= SPOOF_OVERLAP_SECS);
    let old: Vec<&str> = prev.iter().map(|(m, _)| m.as_str()).collect();
    let (kind, p) = if recent {
        ("arp_spoofing", 1e-4)
    } else {
        ("new_mac_ip_binding", novelty_p(&o).min(0.01))
    };
    found.push(Finding {
        kind,
        p,
        src: mac.to_string(),
        dst: ip.to_string(),
        proto: "arp".into(),
        summary: if recent {
            format!("{mac} claims {ip}, which {} held within the last {}: ARP spoofing (man in the middle).", old.join(", "), human_duration(SPOOF_OVERLAP_SECS as f64))
        } else {
            format!("{ip} moved from {} to {mac}.", old.join(", "))
        },
        evidence: json!({"observed": {"ip": ip.to_string(), "mac": mac, "gratuitous": ev.fields.get("gratuitous")},
            "baseline": {"macs": old}}),
        key: mac.to_string(),
    });
}

fn dns(d: &mut Detectors, ev: &Event, src: Host, t: i64, found: &mut Vec<Finding>) {
    if ev.fields.get("request_seen") == Some(&Value::Bool(false)) {
        return;
    }
    let Some(name) = ev.fields.get_str("qname") else {
        return;
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let public = ev.fields.get("public_name") == Some(&Value::Bool(true));
    let pol = d.cfg.policy.clone();
    let o = d
        .names
        .observe(&src, key_hash(&name), t, &pol, || name.clone());
    let ot = d.hosts.get(&src).is_some_and(|s| s.ot);
    if public && o.new_key && (ot || o.mature) {
        found.push(Finding {
            kind: "public_dns",
            p: if ot { 1e-3 } else { novelty_p(&o).min(0.01) },
            src: show(&src),
            dst: String::new(),
            proto: "dns".into(),
            summary: format!(
                "{src}{} resolved the public name {name}.",
                if ot { ", an OT host," } else { "" }
            ),
            evidence: novelty_evidence(&d.names, &src, json!({"name": name, "public": true}), &o),
            key: name,
        });
    } else if o.new_key && o.mature {
        found.push(Finding {
            kind: "new_dns_name",
            p: novelty_p(&o),
            src: show(&src),
            dst: String::new(),
            proto: "dns".into(),
            summary: format!("{src} resolved {name}, a name it never asked for."),
            evidence: novelty_evidence(&d.names, &src, json!({"name": name}), &o),
            key: name,
        });
    }
}

fn goose(d: &mut Detectors, ev: &Event, t: i64, found: &mut Vec<Finding>) {
    let Some(gocb) = ev.fields.get_str("gocb_ref").map(str::to_string) else {
        return;
    };
    let (Some(st), Some(sq)) = (ev.fields.get_u64("st_num"), ev.fields.get_u64("sq_num")) else {
        return;
    };
    let mac = ev.src.mac.map(|m| m.to_string()).unwrap_or_default();
    if !d.goose.contains_key(&gocb) {
        evict_oldest(&mut d.goose, d.cfg.caps.hosts, |g| g.last);
    }
    let g = d.goose.entry(gocb.clone()).or_insert_with(|| GooseState {
        st_num: st,
        sq_num: sq,
        last: t,
        mac: mac.clone(),
    });
    let back = st < g.st_num || (st == g.st_num && sq + 1 < g.sq_num && g.sq_num - sq > 2);
    if back && t - g.last < 3600 {
        found.push(Finding {
            kind: "goose_replay",
            p: 1e-4,
            src: mac.clone(),
            dst: String::new(),
            proto: "goose".into(),
            summary: format!(
                "GOOSE {gocb} went back to stNum {st} sqNum {sq} after stNum {} sqNum {}: replayed or injected frames.",
                g.st_num, g.sq_num
            ),
            evidence: json!({"observed": {"st_num": st, "sq_num": sq, "src_mac": mac},
                "baseline": {"st_num": g.st_num, "sq_num": g.sq_num, "publisher_mac": g.mac}}),
            key: gocb,
        });
        return;
    }
    g.st_num = st;
    g.sq_num = sq;
    g.last = t;
}

/// One flow record.
pub(super) fn on_flow(d: &mut Detectors, rec: &FlowRecord, t: i64, found: &mut Vec<Finding>) {
    let (Some(c), Some(s)) = (host(&rec.client), host(&rec.server)) else {
        return;
    };
    d.see_host(c, t, rec.client.mac.map(|m| m.to_string()), found);
    let answered = rec.pkts[1] > 0;
    if answered {
        d.see_host(s, t, rec.server.mac.map(|m| m.to_string()), found);
    }
    // A connection that was refused or never answered is a probe, not a session.
    let connected = answered
        && !matches!(
            rec.tcp_state,
            TcpState::Rejected | TcpState::SynSent | TcpState::SynReceived
        );
    let label = match rec.proto {
        Some(p) => p.to_string(),
        None => match rec.transport {
            otwatch_core::Transport::Tcp => format!("tcp/{}", rec.server.port),
            otwatch_core::Transport::Udp => format!("udp/{}", rec.server.port),
            otwatch_core::Transport::Icmp => "icmp".to_string(),
            otwatch_core::Transport::L2 => "l2".to_string(),
            otwatch_core::Transport::Other(n) => format!("ip/{n}"),
        },
    };
    let proto = label.as_str();
    let cap = d.cfg.caps.hosts;
    let win = d.cfg.window_secs;
    let target = key_hash(&(s, rec.server.port));
    if let Some((n, sample, base)) = Detectors::window(
        &mut d.fanout,
        cap,
        &c,
        target,
        || format!("{}:{}", s, rec.server.port),
        t,
        win,
        d.cfg.scan_targets,
    ) {
        found.push(Finding {
            kind: "scan",
            p: poisson_tail(n as u64, base.max(1) as f64),
            src: show(&c),
            dst: String::new(),
            proto: proto.to_string(),
            summary: format!("{c} contacted {n} different host:port targets within {}; its most in any window before was {base}.", human_duration(win as f64)),
            evidence: json!({"observed": {"targets": n, "sample": sample}, "baseline": {"max_per_window": base}}),
            key: String::new(),
        });
    }
    // External destinations.
    if let Some(ip) = s.ip()
        && is_public(&ip)
        && c.is_local()
    {
        let net = match ip {
            IpAddr::V4(a) => {
                let o = a.octets();
                format!("{}.{}.{}.0/24", o[0], o[1], o[2])
            }
            IpAddr::V6(a) => {
                let g = a.segments();
                format!("{:x}:{:x}:{:x}::/48", g[0], g[1], g[2])
            }
        };
        let pol = d.cfg.policy.clone();
        let o = d
            .external
            .observe(&c, key_hash(&net), t, &pol, || net.clone());
        let ot = d.hosts.get(&c).is_some_and(|h| h.ot);
        if o.new_key && (ot || o.mature) {
            found.push(Finding {
                kind: "internet_access",
                p: if ot { 1e-3 } else { novelty_p(&o).min(0.01) },
                src: show(&c),
                dst: format!("{}:{}", ip, rec.server.port),
                proto: proto.to_string(),
                summary: format!(
                    "{c}{} connected to the public address {ip} port {} ({} bytes out).",
                    if ot { ", an OT host," } else { "" },
                    rec.server.port,
                    rec.bytes[0]
                ),
                evidence: novelty_evidence(&d.external, &c, json!({"dst": ip.to_string(), "port": rec.server.port, "bytes_out": rec.bytes[0], "bytes_in": rec.bytes[1]}), &o),
                key: net,
            });
        }
        return;
    }
    if !connected {
        return;
    }
    // Crossings into OT over IT services.
    if let Some(service) = it_service(rec.proto, rec.server.port) {
        let server_ot = d.hosts.get(&s).is_some_and(|h| h.ot);
        let client_ot = d.hosts.get(&c).is_some_and(|h| h.ot);
        d.mark(&c, |h| h.it = true);
        let pol = d.cfg.policy.clone();
        let ent = (c, s);
        let o = d
            .protos
            .observe(&ent, key_hash(service), t, &pol, || service.to_string());
        if o.new_key && server_ot && (o.mature || d.network_mature(t)) {
            let kind = if remote_tool(service) {
                "remote_access"
            } else if !client_ot {
                "it_ot_crossing"
            } else {
                "remote_access"
            };
            found.push(Finding {
                kind,
                p: novelty_p(&o).min(if client_ot { 0.01 } else { 1e-3 }),
                src: show(&c),
                dst: show(&s),
                proto: service.to_string(),
                summary: format!(
                    "{c}{} opened {service} to the OT host {s} for the first time.",
                    if client_ot {
                        ""
                    } else {
                        ", a host outside OT,"
                    }
                ),
                evidence: novelty_evidence(
                    &d.protos,
                    &ent,
                    json!({"service": service, "port": rec.server.port, "bytes": rec.bytes}),
                    &o,
                ),
                key: service.to_string(),
            });
        }
        return;
    }
    d.see_pair(c, s, proto, t, found);
}

/// Timers: stopped polling streams.
pub(super) fn on_tick(d: &mut Detectors, t: i64, found: &mut Vec<Finding>) {
    if t - d.last_stop_check < STOP_CHECK_SECS {
        return;
    }
    d.last_stop_check = t;
    for ((c, s, _), stream) in d.streams.iter_mut() {
        let what = &stream.label;
        let st = &mut stream.model;
        let (mean, last) = (st.mean, st.last);
        if let Some(p) = st.check_stopped(t as f64) {
            found.push(Finding {
                kind: "polling_stopped",
                p,
                src: show(c),
                dst: show(s),
                proto: what.split(':').next().unwrap_or("").to_string(),
                summary: format!(
                    "{c} stopped polling {s} ({what}) {} ago; it polled every {}.",
                    human_duration(t as f64 - last),
                    human_duration(mean)
                ),
                evidence: json!({"observed": {"silent_s": t as f64 - last}, "baseline": {"period_s": mean, "requests": st.requests}}),
                key: what.to_string(),
            });
        }
    }
}
