//! Ground truth and attack labels: what the simulator put on the wire, in a form
//! the inventory, air-gap and evaluation code can score themselves against.

use otwatch_core::{Mac, Timestamp};
use serde::{Deserialize, Serialize};
use std::io::{self, BufRead, Write};

/// One labeled attack window (an attack may have several rows with one id).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Label {
    /// Attack id, e.g. `A03`; shared by the rows of one attack.
    pub attack_id: String,
    /// Attack kind, e.g. `plc_stop` (see [`crate::AttackKind::name`]).
    pub kind: String,
    /// Start of the window (packet time).
    pub start_ts: Timestamp,
    /// End of the window (packet time, inclusive).
    pub end_ts: Timestamp,
    /// Attacking host.
    pub src_ip: String,
    /// Target host.
    pub dst_ip: String,
    /// Human description.
    pub description: String,
}

/// A device the simulator placed on the network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TruthDevice {
    /// Host name.
    pub name: String,
    /// IPv4 address (`None` for pure layer-2 devices such as the switch).
    pub ip: Option<String>,
    /// MAC address.
    pub mac: Mac,
    /// Vendor of the MAC's OUI, exactly as the `oui-data` crate names it.
    pub vendor: String,
    /// Role: plc, rtu, ied, hmi, historian, engineering_workstation, opc_server,
    /// it_host, router, switch, dns_server, ntp_server, dhcp_server, bms_controller,
    /// attacker.
    pub role: String,
    /// Zone name.
    pub zone: String,
    /// Protocols it speaks (names as the dissectors use them).
    pub protocols: Vec<String>,
    /// Extra addresses (the router has one per zone).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_macs: Vec<Mac>,
}

/// A zone of the plant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TruthZone {
    /// Zone name.
    pub name: String,
    /// CIDR.
    pub cidr: String,
    /// Level: L0..L5, DMZ, IT, external.
    pub level: String,
}

/// A flow between zones that the air-gap report should list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TruthCrossing {
    /// Source address.
    pub src_ip: String,
    /// Destination address.
    pub dst_ip: String,
    /// Protocol.
    pub proto: String,
    /// Why it exists.
    pub reason: String,
    /// The attack it belongs to, if any (otherwise normal operation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attack_id: Option<String>,
}

/// Everything the simulator knows about the plant.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GroundTruth {
    /// Devices.
    pub devices: Vec<TruthDevice>,
    /// Zones.
    pub zones: Vec<TruthZone>,
    /// Zone crossings.
    pub crossings: Vec<TruthCrossing>,
}

/// The header of the labels CSV.
pub const LABELS_HEADER: &str = "attack_id,kind,start_ts,end_ts,src_ip,dst_ip,description";

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Writes labels as CSV; timestamps are epoch seconds with microseconds.
pub fn write_labels_csv<W: Write>(labels: &[Label], mut w: W) -> io::Result<()> {
    writeln!(w, "{LABELS_HEADER}")?;
    for l in labels {
        writeln!(
            w,
            "{},{},{:.6},{:.6},{},{},{}",
            csv_field(&l.attack_id),
            csv_field(&l.kind),
            l.start_ts.as_secs_f64(),
            l.end_ts.as_secs_f64(),
            csv_field(&l.src_ip),
            csv_field(&l.dst_ip),
            csv_field(&l.description)
        )?;
    }
    Ok(())
}

fn split_csv(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn parse_ts(s: &str) -> io::Result<Timestamp> {
    s.trim()
        .parse::<f64>()
        .map(|f| Timestamp((f * 1e6).round() as i64 * 1000))
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("bad ts {s:?}: {e}")))
}

/// Reads a labels CSV written by [`write_labels_csv`].
pub fn read_labels_csv<R: BufRead>(r: R) -> io::Result<Vec<Label>> {
    let mut out = Vec::new();
    for (i, line) in r.lines().enumerate() {
        let line = line?;
        if i == 0 {
            if line.trim() != LABELS_HEADER {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("unexpected labels header {line:?}"),
                ));
            }
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        let f = split_csv(&line);
        let [id, kind, s, e, src, dst, descr] = f.as_slice() else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("line {}: expected 7 fields", i + 1),
            ));
        };
        out.push(Label {
            attack_id: id.clone(),
            kind: kind.clone(),
            start_ts: parse_ts(s)?,
            end_ts: parse_ts(e)?,
            src_ip: src.clone(),
            dst_ip: dst.clone(),
            description: descr.clone(),
        });
    }
    Ok(out)
}

/// Writes the ground truth as pretty JSON.
pub fn write_truth_json<W: Write>(truth: &GroundTruth, w: W) -> io::Result<()> {
    serde_json::to_writer_pretty(w, truth).map_err(io::Error::other)
}

/// Renders the zones as a `zones.toml` (format shared with the inventory):
///
/// ```toml
/// [[zone]]
/// name = "ot-cell"
/// cidrs = ["10.10.1.0/24"]
/// level = "L1"      # one of L0..L5, DMZ, IT, external
/// ```
pub fn zones_toml(truth: &GroundTruth) -> String {
    let mut s = String::from("# Zones of the simulated plant (otwatch simulate --zones-out).\n");
    for z in &truth.zones {
        s.push_str(&format!(
            "\n[[zone]]\nname = \"{}\"\ncidrs = [\"{}\"]\nlevel = \"{}\"\n",
            z.name, z.cidr, z.level
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_roundtrip_with_quotes() {
        let l = Label {
            attack_id: "A01".into(),
            kind: "plc_stop".into(),
            start_ts: Timestamp::from_parts(1_700_000_000, 123_000),
            end_ts: Timestamp::from_parts(1_700_000_060, 0),
            src_ip: "10.10.1.66".into(),
            dst_ip: "10.10.1.20".into(),
            description: "stop, \"quoted\"".into(),
        };
        let mut v = Vec::new();
        write_labels_csv(std::slice::from_ref(&l), &mut v).unwrap();
        let back = read_labels_csv(&v[..]).unwrap();
        assert_eq!(back, vec![l]);
    }
}
