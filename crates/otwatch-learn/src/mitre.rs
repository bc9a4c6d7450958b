//! MITRE ATT&CK for ICS: a curated, embedded table of the techniques otwatch's
//! alerts map to, and the table of alert kinds (stable names, techniques, meaning).
//!
//! © The MITRE Corporation, ATT&CK for ICS, used under the ATT&CK Terms of Use
//! (<https://attack.mitre.org/resources/legal-and-branding/terms-of-use/>).
//! Technique ids, names and tactics are from ATT&CK for ICS v15
//! (<https://attack.mitre.org/matrices/ics/>); no package ships them, so they are
//! curated here and checked by a test for consistency with [`KINDS`].

use serde::Serialize;

/// The attribution MITRE's terms of use ask for, shown wherever techniques are.
pub const ATTRIBUTION: &str =
    "© The MITRE Corporation, ATT&CK for ICS, used under the ATT&CK Terms of Use";

/// One ATT&CK for ICS technique.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Technique {
    /// Technique id (`T0855`).
    pub id: &'static str,
    /// Technique name.
    pub name: &'static str,
    /// Tactic (the primary one when a technique serves several).
    pub tactic: &'static str,
}

const fn t(id: &'static str, name: &'static str, tactic: &'static str) -> Technique {
    Technique { id, name, tactic }
}

/// The curated techniques, by id.
pub const TECHNIQUES: &[Technique] = &[
    t(
        "T0800",
        "Activate Firmware Update Mode",
        "Inhibit Response Function",
    ),
    t("T0802", "Automated Collection", "Collection"),
    t("T0806", "Brute Force I/O", "Impair Process Control"),
    t("T0812", "Default Credentials", "Lateral Movement"),
    t("T0814", "Denial of Service", "Inhibit Response Function"),
    t(
        "T0816",
        "Device Restart/Shutdown",
        "Inhibit Response Function",
    ),
    t("T0822", "External Remote Services", "Initial Access"),
    t("T0830", "Adversary-in-the-Middle", "Collection"),
    t("T0831", "Manipulation of Control", "Impact"),
    t("T0836", "Modify Parameter", "Impair Process Control"),
    t("T0839", "Module Firmware", "Persistence"),
    t("T0840", "Network Connection Enumeration", "Discovery"),
    t("T0842", "Network Sniffing", "Discovery"),
    t("T0843", "Program Download", "Lateral Movement"),
    t("T0846", "Remote System Discovery", "Discovery"),
    t("T0848", "Rogue Master", "Initial Access"),
    t(
        "T0855",
        "Unauthorized Command Message",
        "Impair Process Control",
    ),
    t("T0856", "Spoof Reporting Message", "Evasion"),
    t("T0858", "Change Operating Mode", "Execution"),
    t("T0859", "Valid Accounts", "Persistence"),
    t("T0866", "Exploitation of Remote Services", "Initial Access"),
    t("T0867", "Lateral Tool Transfer", "Lateral Movement"),
    t(
        "T0869",
        "Standard Application Layer Protocol",
        "Command and Control",
    ),
    t("T0882", "Theft of Operational Information", "Impact"),
    t("T0883", "Internet Accessible Device", "Initial Access"),
    t("T0885", "Commonly Used Port", "Command and Control"),
    t("T0886", "Remote Services", "Lateral Movement"),
    t("T0888", "Remote System Information Discovery", "Discovery"),
];

/// Looks a technique up by id.
pub fn technique(id: &str) -> Option<&'static Technique> {
    TECHNIQUES.iter().find(|t| t.id == id)
}

/// One alert kind.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KindInfo {
    /// Stable snake_case name (the alert's `kind`).
    pub kind: &'static str,
    /// Techniques, most specific first.
    pub mitre: &'static [&'static str],
    /// What the alert means, in one sentence (docs/alerts.md repeats it).
    pub meaning: &'static str,
}

const fn k(kind: &'static str, mitre: &'static [&'static str], meaning: &'static str) -> KindInfo {
    KindInfo {
        kind,
        mitre,
        meaning,
    }
}

/// Every alert kind otwatch raises.
pub const KINDS: &[KindInfo] = &[
    k(
        "new_device",
        &["T0846"],
        "A device never seen on the network sent traffic after the plant's learning period.",
    ),
    k(
        "new_mac_ip_binding",
        &["T0830"],
        "An IP address moved to a different MAC address (NIC swap, DHCP change, or spoofing).",
    ),
    k(
        "new_connection",
        &["T0840", "T0886"],
        "Two devices that never talked started a conversation.",
    ),
    k(
        "new_protocol",
        &["T0869", "T0885"],
        "A device pair that talked before used a protocol it never used.",
    ),
    k(
        "new_function",
        &["T0855"],
        "A device used a protocol function or operation class it never used toward this peer.",
    ),
    k(
        "new_register_range",
        &["T0888", "T0836"],
        "A device accessed a register or object range of a peer it never touched.",
    ),
    k(
        "unauthorized_write",
        &["T0855", "T0836"],
        "A host wrote to a device it never wrote to before.",
    ),
    k(
        "out_of_range_value",
        &["T0836", "T0831"],
        "A written (or read) value fell far outside the range learned for that point.",
    ),
    k(
        "program_download",
        &["T0843"],
        "A program, logic or configuration transfer to a controller, never seen for this pair.",
    ),
    k(
        "plc_stop",
        &["T0858", "T0816"],
        "A command that stops a controller or changes its operating mode.",
    ),
    k(
        "device_control",
        &["T0858", "T0855"],
        "A device-control command (start, operate, mode change) never seen for this pair.",
    ),
    k(
        "device_restart",
        &["T0816"],
        "A restart or reset command to a device (cold/warm restart, CIP reset).",
    ),
    k(
        "firmware_change",
        &["T0839", "T0800"],
        "A device reported a different firmware revision, or received a firmware operation.",
    ),
    k(
        "polling_stopped",
        &["T0814"],
        "A periodic polling stream stopped for many periods.",
    ),
    k(
        "polling_rate_change",
        &["T0848", "T0814"],
        "A periodic polling stream ran much faster or slower than its learned period.",
    ),
    k(
        "polling_jitter",
        &["T0814"],
        "A periodic polling stream's timing jitter grew far beyond normal.",
    ),
    k(
        "scan",
        &["T0846", "T0840"],
        "A host contacted many hosts or ports in a short time (host or port scan).",
    ),
    k(
        "function_code_sweep",
        &["T0888", "T0855"],
        "A host tried many different or unsupported protocol functions on a device.",
    ),
    k(
        "identification_sweep",
        &["T0888"],
        "A host queried device identification on several devices or many times.",
    ),
    k(
        "arp_spoofing",
        &["T0830"],
        "Two MAC addresses claimed the same IP address at the same time.",
    ),
    k(
        "goose_replay",
        &["T0856", "T0830"],
        "GOOSE messages with old state/sequence numbers were published (replay).",
    ),
    k(
        "off_hours_activity",
        &["T0859", "T0886"],
        "A human-operated host was active at an hour it never is.",
    ),
    k(
        "it_ot_crossing",
        &["T0886", "T0822"],
        "Traffic crossed between the IT and OT sides where it never had.",
    ),
    k(
        "new_zone_crossing",
        &["T0886"],
        "Traffic between two zones that never talked.",
    ),
    k(
        "remote_access",
        &["T0886", "T0822"],
        "A remote-access or file-sharing protocol (RDP, VNC, SSH, SMB) reached an OT host.",
    ),
    k(
        "internet_access",
        &["T0883", "T0885"],
        "An OT host contacted a public (internet) address.",
    ),
    k(
        "public_dns",
        &["T0883", "T0869"],
        "An OT host resolved a public DNS name it never resolved.",
    ),
    k(
        "new_dns_name",
        &["T0869"],
        "A host resolved a DNS name it never resolved.",
    ),
    k(
        "data_exfiltration",
        &["T0882"],
        "A host sent an unusually large cumulative volume to a new or external destination.",
    ),
    k(
        "traffic_flood",
        &["T0814"],
        "A device received far more requests per minute than its hour-of-day profile.",
    ),
    k(
        "exception_storm",
        &["T0814", "T0888"],
        "A device answered with protocol exceptions far more often than normal.",
    ),
    k(
        "malformed_traffic",
        &["T0866", "T0814"],
        "Malformed protocol data units were sent toward a device.",
    ),
    k(
        "exploit_attempt",
        &["T0866"],
        "Traffic matching exploitation of a remote service (e.g. SMB exploit weirds).",
    ),
];

/// The kind's record.
pub fn kind(kind: &str) -> Option<&'static KindInfo> {
    KINDS.iter().find(|k| k.kind == kind)
}

/// The technique ids of a kind (empty for an unknown kind).
pub fn techniques_of(kind_name: &str) -> Vec<String> {
    kind(kind_name)
        .map(|k| k.mitre.iter().map(|s| s.to_string()).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_maps_to_known_techniques_and_names_are_snake_case() {
        for k in KINDS {
            assert!(!k.mitre.is_empty(), "{}", k.kind);
            for id in k.mitre {
                assert!(technique(id).is_some(), "{} → {id}", k.kind);
            }
            assert!(
                k.kind.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{}",
                k.kind
            );
        }
        let mut names: Vec<&str> = KINDS.iter().map(|k| k.kind).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), KINDS.len(), "duplicate kind");
        let mut ids: Vec<&str> = TECHNIQUES.iter().map(|t| t.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), TECHNIQUES.len());
    }

    #[test]
    fn docs_list_every_kind() {
        let doc = include_str!("../../../docs/alerts.md");
        for k in KINDS {
            assert!(
                doc.contains(&format!("| `{}` |", k.kind)),
                "docs/alerts.md lacks {}",
                k.kind
            );
        }
    }

    #[test]
    fn brief_techniques_present() {
        for (id, name) in [
            ("T0846", "Remote System Discovery"),
            ("T0855", "Unauthorized Command Message"),
            ("T0843", "Program Download"),
            ("T0830", "Adversary-in-the-Middle"),
        ] {
            assert_eq!(technique(id).map(|t| t.name), Some(name));
        }
    }
}
