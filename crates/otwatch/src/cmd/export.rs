//! `otwatch export`: alerts for a SIEM, oldest first, as CEF, JSON lines or RFC 5424
//! syslog lines.
//!
//! * **CEF** (ArcSight Common Event Format, rev. 25):
//!   `CEF:0|otwatch|otwatch|0.1|<kind>|<summary>|<severity 0-10>|<extension>`. In the
//!   header `\` and `|` are escaped with `\`; in the extension `\`, `=` and line
//!   breaks (`\n`, `\r`) are. Severity is the score divided by 10, rounded.
//! * **jsonl**: one alert per line, the `--alerts` NDJSON schema (`docs/alerts.md`).
//! * **syslog** (RFC 5424): `<PRI>1 TIMESTAMP HOST otwatch - <kind> [otwatch@32473 ...] summary`.
//!   32473 is the private enterprise number RFC 5612 reserves for documentation;
//!   sites with their own number replace it in the receiver's parser. PRI is
//!   `facility * 8 + severity` with critical → 2, high → 3, medium → 4, low → 5.

use super::UsageError;
use super::alerts::{check_format, open_existing, parse_since};
use otwatch_analyst::host_of;
use otwatch_core::{Alert, Severity, Timestamp};
use otwatch_store::{AlertQuery, AlertSort};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `otwatch export`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The store.
    #[arg(long)]
    pub db: PathBuf,
    /// Only alerts since (as for `otwatch alerts --since`); default: all.
    #[arg(long)]
    pub since: Option<String>,
    /// Minimum score.
    #[arg(long)]
    pub min_score: Option<u8>,
    /// `cef`, `jsonl` or `syslog`.
    #[arg(long)]
    pub format: String,
    /// Write to this file instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Syslog HOSTNAME field (default: this host's name, else `-`).
    #[arg(long)]
    pub hostname: Option<String>,
    /// Syslog facility number (default 16, local0).
    #[arg(long, default_value_t = 16)]
    pub facility: u8,
}

/// Escapes a CEF header field.
pub(crate) fn cef_header(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            '|' => o.push_str("\\|"),
            '\r' | '\n' => o.push(' '),
            c => o.push(c),
        }
    }
    o
}

/// Escapes a CEF extension value.
pub(crate) fn cef_ext(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            '=' => o.push_str("\\="),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            c => o.push(c),
        }
    }
    o
}

/// Splits an alert address into (IP, port) or a MAC.
enum Addr {
    Ip(String, Option<u16>),
    Mac(String),
    Other,
}

fn split_addr(a: &str) -> Addr {
    let host = host_of(a);
    if host.parse::<std::net::IpAddr>().is_ok() {
        let port = a
            .rsplit_once(':')
            .and_then(|(h, p)| (h.trim_end_matches(']') != h || !h.contains(':')).then_some(p))
            .and_then(|p| p.parse().ok());
        let port = if host == a { None } else { port };
        Addr::Ip(host.to_string(), port)
    } else if host.parse::<otwatch_core::Mac>().is_ok() {
        Addr::Mac(host.to_string())
    } else {
        Addr::Other
    }
}

/// One CEF line.
pub(crate) fn cef_line(a: &Alert) -> String {
    let sev = ((a.score as u32 + 5) / 10).min(10);
    let mut ext: Vec<String> = vec![format!("rt={}", (a.ts * 1000.0).round() as i64)];
    if a.last_ts > a.ts {
        ext.push(format!("end={}", (a.last_ts * 1000.0).round() as i64));
    }
    for (addr, ip_key, port_key, mac_key) in [
        (&a.src, "src", "spt", "smac"),
        (&a.dst, "dst", "dpt", "dmac"),
    ] {
        match split_addr(addr) {
            Addr::Ip(ip, port) => {
                ext.push(format!("{ip_key}={ip}"));
                if let Some(p) = port {
                    ext.push(format!("{port_key}={p}"));
                }
            }
            Addr::Mac(m) => ext.push(format!("{mac_key}={m}")),
            Addr::Other => {}
        }
    }
    if !a.proto.is_empty() {
        ext.push(format!("app={}", cef_ext(&a.proto)));
    }
    ext.push(format!("cnt={}", a.count));
    ext.push(format!("externalId={}", cef_ext(&a.id)));
    ext.push(format!("cat={}", a.severity.as_str()));
    ext.push(format!("cn1Label=score cn1={}", a.score));
    if !a.mitre.is_empty() {
        ext.push(format!(
            "cs1Label=mitre cs1={}",
            cef_ext(&a.mitre.join(","))
        ));
    }
    if !a.src_name.is_empty() {
        ext.push(format!("cs2Label=srcName cs2={}", cef_ext(&a.src_name)));
    }
    if !a.dst_name.is_empty() {
        ext.push(format!("cs3Label=dstName cs3={}", cef_ext(&a.dst_name)));
    }
    ext.push(format!("msg={}", cef_ext(&a.summary)));
    format!(
        "CEF:0|otwatch|otwatch|0.1|{}|{}|{sev}|{}",
        cef_header(&a.kind),
        cef_header(&a.summary),
        ext.join(" ")
    )
}

/// Escapes an RFC 5424 SD-PARAM value (`"`, `\`, `]`).
pub(crate) fn sd_value(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '"' | '\\' | ']') {
            o.push('\\');
        }
        o.push(if c == '\n' || c == '\r' { ' ' } else { c });
    }
    o
}

/// PRINTUSASCII (33..=126), at most `n` characters, `-` when empty.
fn printable(s: &str, n: usize) -> String {
    let t: String = s
        .chars()
        .filter(|c| ('!'..='~').contains(c))
        .take(n)
        .collect();
    if t.is_empty() { "-".into() } else { t }
}

/// One RFC 5424 line.
pub(crate) fn syslog_line(a: &Alert, hostname: &str, facility: u8) -> String {
    let sev = match a.severity {
        Severity::Critical => 2,
        Severity::High => 3,
        Severity::Medium => 4,
        Severity::Low => 5,
    };
    let pri = (facility.min(23) as u32) * 8 + sev;
    let ts = Timestamp::from_secs_f64(a.ts).to_rfc3339();
    let mut sd = format!(
        "[otwatch@32473 id=\"{}\" kind=\"{}\" score=\"{}\" src=\"{}\" dst=\"{}\" count=\"{}\"",
        sd_value(&a.id),
        sd_value(&a.kind),
        a.score,
        sd_value(&a.src),
        sd_value(&a.dst),
        a.count
    );
    if !a.proto.is_empty() {
        sd.push_str(&format!(" proto=\"{}\"", sd_value(&a.proto)));
    }
    if !a.mitre.is_empty() {
        sd.push_str(&format!(" mitre=\"{}\"", sd_value(&a.mitre.join(","))));
    }
    sd.push(']');
    let msg = a.summary.replace(['\n', '\r'], " ");
    format!(
        "<{pri}>1 {ts} {} otwatch - {} {sd} {msg}",
        printable(hostname, 255),
        printable(&a.kind, 32)
    )
}

fn default_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// Runs `otwatch export`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    check_format(&args.format, &["cef", "jsonl", "syslog"])?;
    if args.facility > 23 {
        return Err(UsageError(format!("--facility {}: expected 0..23", args.facility)).into());
    }
    let store = open_existing(&args.db)?;
    let since = match &args.since {
        Some(s) => Some(parse_since(s, store.latest_alert_ts()?)?),
        None => None,
    };
    let host = args.hostname.clone().unwrap_or_else(default_hostname);
    let mut out: Box<dyn Write> = match &args.out {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p)
                .map_err(|e| anyhow::anyhow!("creating {}: {e}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let mut offset = 0;
    let mut n = 0u64;
    loop {
        let page = store.alerts(&AlertQuery {
            since,
            min_score: args.min_score,
            sort: AlertSort::Time,
            ascending: true,
            limit: otwatch_store::MAX_PAGE,
            offset,
            ..Default::default()
        })?;
        if page.items.is_empty() {
            break;
        }
        offset += page.items.len();
        for r in &page.items {
            let line = match args.format.as_str() {
                "cef" => cef_line(&r.alert),
                "syslog" => syslog_line(&r.alert, &host, args.facility),
                _ => serde_json::to_string(&r.alert)?,
            };
            writeln!(out, "{line}")?;
            n += 1;
        }
    }
    out.flush()?;
    if let Some(p) = &args.out {
        eprintln!("otwatch: exported {n} alerts to {}", p.display());
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert() -> Alert {
        Alert {
            ts: 1_767_607_200.25,
            last_ts: 1_767_607_260.0,
            id: "unauthorized_write-1".into(),
            kind: "unauthorized_write".into(),
            score: 87,
            severity: Severity::High,
            src: "10.0.0.31:40000".into(),
            dst: "10.0.0.11:502".into(),
            src_name: "EWS".into(),
            dst_name: "PLC, Schneider".into(),
            proto: "modbus".into(),
            mitre: vec!["T0855".into(), "T0836".into()],
            summary: "wrote 9999 | to reg=5 \\ on\nPLC [x] \"q\"".into(),
            evidence: serde_json::Value::Null,
            count: 3,
        }
    }

    #[test]
    fn cef_escapes_header_and_extension() {
        let l = cef_line(&alert());
        assert!(l.starts_with("CEF:0|otwatch|otwatch|0.1|unauthorized_write|wrote 9999 \\| to reg=5 \\\\ on PLC [x] \"q\"|9|"), "{l}");
        assert!(l.contains("rt=1767607200250 end=1767607260000 src=10.0.0.31 spt=40000 dst=10.0.0.11 dpt=502 app=modbus cnt=3"), "{l}");
        assert!(
            l.contains("msg=wrote 9999 | to reg\\=5 \\\\ on\\nPLC [x] \"q\""),
            "{l}"
        );
        assert!(l.contains("cs1Label=mitre cs1=T0855,T0836"));
        assert!(!l.contains('\n'));
        let mut m = alert();
        m.src = "00:11:22:33:44:55".into();
        m.dst = String::new();
        m.score = 0;
        let l = cef_line(&m);
        assert!(l.contains("|0|rt="), "{l}");
        assert!(
            l.contains("smac=00:11:22:33:44:55") && !l.contains(" dst="),
            "{l}"
        );
        let mut v6 = alert();
        v6.src = "[fe80::1]:502".into();
        assert!(cef_line(&v6).contains("src=fe80::1 spt=502"));
    }

    #[test]
    fn syslog_rfc5424_shape() {
        let l = syslog_line(&alert(), "sensor 1", 16);
        assert!(l.starts_with("<131>1 2026-01-05T10:00:00.250000Z sensor1 otwatch - unauthorized_write [otwatch@32473 id=\"unauthorized_write-1\""), "{l}");
        assert!(l.contains("mitre=\"T0855,T0836\"]"), "{l}");
        assert!(
            l.ends_with("wrote 9999 | to reg=5 \\ on PLC [x] \"q\""),
            "{l}"
        );
        assert_eq!(sd_value("a\"b]c\\"), "a\\\"b\\]c\\\\");
        assert!(syslog_line(&alert(), "", 16).contains("Z - otwatch"));
    }
}
