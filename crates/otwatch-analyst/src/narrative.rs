//! Titles, narratives and recommended actions, built by deterministic code from the
//! alerts' own fields (kind, addresses, names, summaries, technique ids, scores,
//! evidence). Nothing here invents a fact: each sentence either quotes an alert
//! field or states what the alert's ATT&CK for ICS tactic means for the process, with
//! the devices named by the alerts.

use crate::incident::{DevicePart, Incident, TimelineEntry};
use crate::tactics::{Tactic, technique_name};
use otwatch_core::Timestamp;

/// Steps spelled out in the narrative; the rest are counted by kind.
const MAX_NARRATED_STEPS: usize = 20; // keeps the report to one screen
/// Evidence fields quoted in "what to check first".
const MAX_EVIDENCE_FIELDS: usize = 6;
/// Longest quoted evidence value, in characters.
const MAX_EVIDENCE_CHARS: usize = 80;

/// `2026-01-05T10:00:00Z`: second resolution is enough for a narrative.
fn fmt_ts(ts: f64) -> String {
    let s = Timestamp::from_secs_f64(ts).to_rfc3339();
    match s.split_once('.') {
        Some((head, _)) => format!("{head}Z"),
        None => s,
    }
}

fn fmt_duration(secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    if s < 120 {
        format!("{s} s")
    } else if s < 2 * 3600 {
        format!("{} min", s / 60)
    } else if s < 2 * 86_400 {
        format!("{:.1} h", s as f64 / 3600.0)
    } else {
        format!("{:.1} days", s as f64 / 86_400.0)
    }
}

fn humanize(kind: &str) -> String {
    let mut s = kind.replace('_', " ");
    if let Some(first) = s.get(..1) {
        let up = first.to_uppercase();
        s.replace_range(..1, &up);
    }
    s
}

fn dev_label(inc: &Incident, host: &str) -> String {
    inc.devices
        .iter()
        .find(|d| d.addr == host)
        .map(|d| d.label())
        .unwrap_or_else(|| host.to_string())
}

/// Labels of the distinct non-empty hosts produced by `f` over `entries`, in order.
fn hosts_of<'a>(
    inc: &Incident,
    entries: impl Iterator<Item = &'a TimelineEntry>,
    f: impl Fn(&TimelineEntry) -> &str,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for e in entries {
        let h = f(e);
        if h.is_empty() || !inc.devices.iter().any(|d| d.addr == h) {
            continue;
        }
        let l = dev_label(inc, h);
        if !out.contains(&l) {
            out.push(l);
        }
    }
    out
}

fn join_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [a] => a.clone(),
        [a, b] => format!("{a} and {b}"),
        [rest @ .., last] => format!("{}, and {last}", rest.join(", ")),
    }
}

/// The first source of the incident (the actor the first alert names).
fn actor(inc: &Incident) -> Option<String> {
    inc.timeline
        .iter()
        .map(|e| e.src.as_str())
        .find(|h| inc.devices.iter().any(|d| d.addr == *h))
        .map(|h| dev_label(inc, h))
}

/// The entry that went furthest: the latest tactic, then the highest score, then the
/// latest in the timeline.
fn furthest(inc: &Incident) -> Option<&TimelineEntry> {
    inc.timeline
        .iter()
        .enumerate()
        .max_by(|(i, a), (j, b)| {
            a.tactic
                .map(Tactic::stage)
                .cmp(&b.tactic.map(Tactic::stage))
                .then(a.score.cmp(&b.score))
                .then(i.cmp(j))
        })
        .map(|(_, e)| e)
}

/// The incident's title.
pub fn title(inc: &Incident) -> String {
    let n = inc.alert_count();
    let Some(first) = inc.timeline.first() else {
        return "Empty incident".to_string();
    };
    let who = actor(inc).unwrap_or_else(|| first.src.clone());
    if n == 1 {
        let target = if first.dst.is_empty() {
            String::new()
        } else {
            format!(" on {}", dev_label(inc, &first.dst))
        };
        return format!("{} by {who}{target}", humanize(&first.kind));
    }
    if inc.tactics.len() >= 2 {
        let top = furthest(inc);
        let reach = top.and_then(|e| e.tactic).map(|t| t.name()).unwrap_or("");
        let on = top
            .map(|e| if e.dst.is_empty() { &e.src } else { &e.dst })
            .map(|h| dev_label(inc, h))
            .unwrap_or_default();
        return format!("Chain of {n} alerts from {who} reaching {reach} on {on}");
    }
    let mut kinds: Vec<&str> = inc.timeline.iter().map(|e| e.kind.as_str()).collect();
    kinds.dedup();
    kinds.sort_unstable();
    kinds.dedup();
    let kinds: Vec<String> = kinds.into_iter().map(|k| k.replace('_', " ")).collect();
    format!("{n} alerts ({}) involving {who}", kinds.join(", "))
}

fn step_sentence(i: usize, e: &TimelineEntry) -> String {
    let mut s = format!("Step {} ({}): {}", i + 1, fmt_ts(e.ts), e.summary.trim());
    if !s.ends_with('.') {
        s.push('.');
    }
    let mut tags = vec![format!("{}, score {}", e.kind, e.score)];
    if e.count > 1 {
        tags.push(format!("{} observations", e.count));
    }
    if let Some(t) = e.tactic {
        let techs: Vec<String> = e
            .techniques
            .iter()
            .map(|id| match technique_name(id) {
                Some(n) => format!("{id} {n}"),
                None => id.clone(),
            })
            .collect();
        if techs.is_empty() {
            tags.push(format!("ATT&CK for ICS tactic {}", t.name()));
        } else {
            tags.push(format!("{}: {}", t.name(), techs.join(", ")));
        }
    }
    format!("{s} [{}]", tags.join("; "))
}

/// What one tactic means for the process, naming the devices of its alerts.
fn meaning(inc: &Incident, t: Tactic) -> String {
    let es = || inc.timeline.iter().filter(move |e| e.tactic == Some(t));
    let srcs = join_list(&hosts_of(inc, es(), |e| &e.src));
    let mut dsts_v = hosts_of(inc, es(), |e| &e.dst);
    if dsts_v.is_empty() {
        dsts_v = hosts_of(inc, es(), |e| &e.src);
    }
    let dsts = join_list(&dsts_v);
    match t {
        Tactic::InitialAccess => format!(
            "{srcs} appeared or was reached outside the learned baseline: it may be a foothold on the control network."
        ),
        Tactic::Execution | Tactic::Persistence | Tactic::PrivilegeEscalation | Tactic::Evasion => {
            format!(
                "{dsts} received commands that change what or how it executes ({}).",
                t.name()
            )
        }
        Tactic::Discovery => format!(
            "{srcs} enumerated devices or functions: this maps the control network but does not by itself change the process."
        ),
        Tactic::LateralMovement => {
            format!("Activity moved from {srcs} toward {dsts}, from one system to another.")
        }
        Tactic::Collection => {
            format!("Process or network data of {dsts} may have been read or intercepted.")
        }
        Tactic::CommandAndControl => {
            format!("{srcs} has a communication channel outside its learned peers.")
        }
        Tactic::InhibitResponseFunction => format!(
            "{dsts} received commands that can stop, restart or block it: its control and protective functions may be unavailable."
        ),
        Tactic::ImpairProcessControl => format!(
            "{dsts} received commands that change process values or parameters: the process it controls may no longer follow its setpoints."
        ),
        Tactic::Impact => {
            format!("The alerts report a direct effect on the process or its data at {dsts}.")
        }
    }
}

fn evidence_pairs(ev: &serde_json::Value) -> Vec<String> {
    let Some(map) = ev.as_object() else {
        return Vec::new();
    };
    map.iter()
        .filter_map(|(k, v)| {
            let s = match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Bool(b) => b.to_string(),
                _ => return None,
            };
            let s: String = s.chars().take(MAX_EVIDENCE_CHARS).collect();
            Some(format!("{k} = {s}"))
        })
        .take(MAX_EVIDENCE_FIELDS)
        .collect()
}

/// The narrative paragraphs. `evidence` is parallel to `inc.timeline`.
pub fn narrative(inc: &Incident, evidence: &[serde_json::Value]) -> Vec<String> {
    let mut out = Vec::new();
    let n = inc.alert_count();
    if inc.timeline.is_empty() {
        return out;
    }
    // 1. What happened, in order.
    let devs: Vec<String> = inc.devices.iter().map(|d| d.label()).collect();
    let mut p = if n == 1 {
        format!(
            "One alert at {} involves {}.",
            fmt_ts(inc.first_ts),
            join_list(&devs)
        )
    } else {
        format!(
            "{n} alerts between {} and {} ({}) involve {} device{}, in order of appearance: {}.",
            fmt_ts(inc.first_ts),
            fmt_ts(inc.last_ts),
            fmt_duration(inc.last_ts - inc.first_ts),
            devs.len(),
            if devs.len() == 1 { "" } else { "s" },
            devs.join(" → ")
        )
    };
    for (i, e) in inc.timeline.iter().take(MAX_NARRATED_STEPS).enumerate() {
        p.push('\n');
        p.push_str(&step_sentence(i, e));
    }
    let rest = inc.timeline.len().saturating_sub(MAX_NARRATED_STEPS) as u64 + inc.alerts_not_listed;
    if rest > 0 {
        p.push_str(&format!("\n… and {rest} more alerts."));
    }
    out.push(p);
    // 2. Progression.
    if inc.tactics.len() >= 2 {
        let names: Vec<&str> = inc.tactics.iter().map(|t| t.name()).collect();
        let ordered = inc.tactics.windows(2).all(|w| w[0].stage() <= w[1].stage());
        let tail = if ordered {
            "They appear in the order of the ATT&CK for ICS matrix, the usual progression of an attack on a control system toward the process."
        } else {
            "They do not appear in the matrix order, so the steps may be separate activities that share devices."
        };
        out.push(format!(
            "The alerts move through the ATT&CK for ICS tactics {}. {tail}",
            names.join(" → ")
        ));
    }
    // 3. What it means for the process.
    let mut m: Vec<String> = inc.tactics.iter().map(|&t| meaning(inc, t)).collect();
    if !inc.tactics.iter().any(|t| t.touches_process()) {
        m.push("None of these alerts reports a command that stops a device or changes a process value.".to_string());
    }
    if inc.timeline.iter().all(|e| e.tactic.is_none()) {
        m.push("The alert kinds carry no ATT&CK for ICS technique otwatch knows, so their meaning for the process is not classified.".to_string());
    }
    out.push(m.join(" "));
    // 4. What to check first.
    if let Some((idx, top)) = furthest(inc).and_then(|t| {
        inc.timeline
            .iter()
            .position(|e| std::ptr::eq(e, t))
            .map(|i| (i, t))
    }) {
        let host = if top.dst.is_empty() {
            &top.src
        } else {
            &top.dst
        };
        let mut s = format!(
            "Check {} first: alert {} ({}, score {}) at {} is the furthest step.",
            dev_label(inc, host),
            top.alert_id,
            top.kind,
            top.score,
            fmt_ts(top.ts)
        );
        let ev = evidence.get(idx).map(evidence_pairs).unwrap_or_default();
        if !ev.is_empty() {
            s.push_str(&format!(" Its evidence: {}.", ev.join("; ")));
        }
        if let Some(a) = actor(inc)
            && a != dev_label(inc, host)
        {
            s.push_str(&format!(
                " Then establish whether {a} is authorised to do what the alerts show."
            ));
        }
        out.push(s);
    }
    out
}

/// Recommended next actions, most urgent first, from the tactics and kinds present.
pub fn actions(inc: &Incident) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: String| {
        if !out.contains(&s) {
            out.push(s);
        }
    };
    let with = |t: Tactic| inc.timeline.iter().filter(move |e| e.tactic == Some(t));
    let targets = |t: Tactic| {
        let v = hosts_of(inc, with(t), |e| &e.dst);
        if v.is_empty() {
            join_list(&hosts_of(inc, with(t), |e| &e.src))
        } else {
            join_list(&v)
        }
    };
    let sources = |t: Tactic| join_list(&hosts_of(inc, with(t), |e| &e.src));
    let process: Vec<Tactic> = inc
        .tactics
        .iter()
        .copied()
        .filter(|t| t.touches_process())
        .collect();
    if !process.is_empty() {
        let mut all: Vec<String> = Vec::new();
        for e in inc
            .timeline
            .iter()
            .filter(|e| e.tactic.is_some_and(|t| t.touches_process()))
        {
            let h = if e.dst.is_empty() { &e.src } else { &e.dst };
            let l = dev_label(inc, h);
            if inc.devices.iter().any(|d| &d.addr == h) && !all.contains(&l) {
                all.push(l);
            }
        }
        let verb = if all.len() == 1 { "is" } else { "are" };
        push(format!(
            "Confirm with operations that {} {verb} in the intended operating mode and the process is in a safe state.",
            join_list(&all)
        ));
    }
    if inc.tactics.contains(&Tactic::InhibitResponseFunction) {
        push(format!(
            "Check that {} is running and that its program matches the known-good project.",
            targets(Tactic::InhibitResponseFunction)
        ));
    }
    if inc.tactics.contains(&Tactic::ImpairProcessControl) {
        push(format!(
            "Compare the current setpoints and values on {} with the engineering baseline and restore any changed value.",
            targets(Tactic::ImpairProcessControl)
        ));
    }
    if inc.timeline.iter().any(|e| e.kind == "program_download") {
        let v = hosts_of(
            inc,
            inc.timeline.iter().filter(|e| e.kind == "program_download"),
            |e| &e.dst,
        );
        push(format!(
            "Compare the program on {} with the known-good version before the next restart.",
            join_list(&v)
        ));
    }
    if inc.tactics.len() >= 2
        && inc.score >= 70
        && let Some(a) = actor(inc)
    {
        push(format!(
            "Consider isolating {a} from the control network while the incident is investigated."
        ));
    }
    if inc.tactics.contains(&Tactic::InitialAccess) {
        push(format!(
            "Identify the owner of {} and whether it is authorised on this network; if not, disconnect it at its switch port.",
            sources(Tactic::InitialAccess)
        ));
    }
    if inc.tactics.contains(&Tactic::Discovery) {
        push(format!(
            "Review {} for scanning tools and who used it at the time of the alerts.",
            sources(Tactic::Discovery)
        ));
    }
    if inc.tactics.contains(&Tactic::LateralMovement) {
        push(format!(
            "Review the remote sessions and credentials used from {}.",
            sources(Tactic::LateralMovement)
        ));
    }
    if inc.tactics.contains(&Tactic::CommandAndControl) || inc.tactics.contains(&Tactic::Impact) {
        let mut v = hosts_of(inc, inc.timeline.iter(), |e| &e.src);
        v.truncate(4);
        push(format!(
            "Review the outbound connections of {} at the boundary firewall and block those not required.",
            join_list(&v)
        ));
    }
    if inc.tactics.contains(&Tactic::Collection) {
        push(format!(
            "Check the ARP tables and switch port security for {}, and whether its traffic was intercepted.",
            targets(Tactic::Collection)
        ));
    }
    if inc
        .devices
        .iter()
        .any(|d| d.part == DevicePart::SourceAndTarget)
    {
        let p: Vec<String> = inc
            .devices
            .iter()
            .filter(|d| d.part == DevicePart::SourceAndTarget)
            .map(|d| d.label())
            .collect();
        push(format!(
            "Examine {} for compromise: it was both a target and a source in this incident.",
            join_list(&p)
        ));
    }
    push("Record a verdict on each alert (malicious, expected, new_normal, false_positive) so otwatch keeps flagging or learns the behaviour.".to_string());
    out
}
