//! ATT&CK for ICS tactics and the technique → tactic table the correlator uses.
//!
//! Tactic and technique identifiers and names are from MITRE ATT&CK® for ICS
//! (<https://attack.mitre.org/matrices/ics/>), © The MITRE Corporation, reproduced
//! under MITRE's terms of use. The table is curated by hand: a technique may belong
//! to several tactics, and all of them are listed in the matrix's order.

use serde::{Deserialize, Serialize};

/// ATT&CK for ICS tactics, in the left-to-right order of the ICS matrix. The order is
/// the progression the correlator and the narrative use: an attack usually moves from
/// initial access and discovery toward the process (inhibit response, impair process
/// control) and its impact.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tactic {
    /// TA0108 Initial Access.
    InitialAccess,
    /// TA0104 Execution.
    Execution,
    /// TA0110 Persistence.
    Persistence,
    /// TA0111 Privilege Escalation.
    PrivilegeEscalation,
    /// TA0103 Evasion.
    Evasion,
    /// TA0102 Discovery.
    Discovery,
    /// TA0109 Lateral Movement.
    LateralMovement,
    /// TA0100 Collection.
    Collection,
    /// TA0101 Command and Control.
    CommandAndControl,
    /// TA0107 Inhibit Response Function.
    InhibitResponseFunction,
    /// TA0106 Impair Process Control.
    ImpairProcessControl,
    /// TA0105 Impact.
    Impact,
}

impl Tactic {
    /// The ATT&CK tactic id (`TA0102`).
    pub fn id(self) -> &'static str {
        match self {
            Tactic::InitialAccess => "TA0108",
            Tactic::Execution => "TA0104",
            Tactic::Persistence => "TA0110",
            Tactic::PrivilegeEscalation => "TA0111",
            Tactic::Evasion => "TA0103",
            Tactic::Discovery => "TA0102",
            Tactic::LateralMovement => "TA0109",
            Tactic::Collection => "TA0100",
            Tactic::CommandAndControl => "TA0101",
            Tactic::InhibitResponseFunction => "TA0107",
            Tactic::ImpairProcessControl => "TA0106",
            Tactic::Impact => "TA0105",
        }
    }
    /// The tactic's name as MITRE writes it.
    pub fn name(self) -> &'static str {
        match self {
            Tactic::InitialAccess => "Initial Access",
            Tactic::Execution => "Execution",
            Tactic::Persistence => "Persistence",
            Tactic::PrivilegeEscalation => "Privilege Escalation",
            Tactic::Evasion => "Evasion",
            Tactic::Discovery => "Discovery",
            Tactic::LateralMovement => "Lateral Movement",
            Tactic::Collection => "Collection",
            Tactic::CommandAndControl => "Command and Control",
            Tactic::InhibitResponseFunction => "Inhibit Response Function",
            Tactic::ImpairProcessControl => "Impair Process Control",
            Tactic::Impact => "Impact",
        }
    }
    /// Progression stage used for ordering: the matrix position, except that Inhibit
    /// Response Function and Impair Process Control share one stage (both are the
    /// attack acting on the process; either may come first), before Impact.
    pub fn stage(self) -> u8 {
        match self {
            Tactic::ImpairProcessControl => Tactic::InhibitResponseFunction as u8,
            Tactic::Impact => Tactic::Impact as u8 - 1,
            t => t as u8,
        }
    }
    /// True for the tactics that act on the physical process or its controllers.
    pub fn touches_process(self) -> bool {
        matches!(
            self,
            Tactic::InhibitResponseFunction | Tactic::ImpairProcessControl | Tactic::Impact
        )
    }
}

use Tactic::*;

/// Technique id → (name, tactics). ATT&CK for ICS v15 (MITRE).
const TECHNIQUES: &[(&str, &str, &[Tactic])] = &[
    (
        "T0800",
        "Activate Firmware Update Mode",
        &[InhibitResponseFunction],
    ),
    ("T0801", "Monitor Process State", &[Collection]),
    ("T0802", "Automated Collection", &[Collection]),
    ("T0803", "Block Command Message", &[InhibitResponseFunction]),
    (
        "T0804",
        "Block Reporting Message",
        &[InhibitResponseFunction],
    ),
    ("T0805", "Block Serial COM", &[InhibitResponseFunction]),
    ("T0806", "Brute Force I/O", &[ImpairProcessControl]),
    ("T0807", "Command-Line Interface", &[Execution]),
    ("T0809", "Data Destruction", &[InhibitResponseFunction]),
    ("T0811", "Data from Information Repositories", &[Collection]),
    ("T0812", "Default Credentials", &[LateralMovement]),
    ("T0813", "Denial of Control", &[Impact]),
    ("T0814", "Denial of Service", &[InhibitResponseFunction]),
    ("T0815", "Denial of View", &[Impact]),
    (
        "T0816",
        "Device Restart/Shutdown",
        &[InhibitResponseFunction],
    ),
    ("T0817", "Drive-by Compromise", &[InitialAccess]),
    (
        "T0819",
        "Exploit Public-Facing Application",
        &[InitialAccess],
    ),
    ("T0820", "Exploitation for Evasion", &[Evasion]),
    ("T0821", "Modify Controller Tasking", &[Execution]),
    ("T0822", "External Remote Services", &[InitialAccess]),
    ("T0823", "Graphical User Interface", &[Execution]),
    ("T0826", "Loss of Availability", &[Impact]),
    ("T0827", "Loss of Control", &[Impact]),
    ("T0828", "Loss of Productivity and Revenue", &[Impact]),
    ("T0829", "Loss of View", &[Impact]),
    ("T0830", "Adversary-in-the-Middle", &[Collection]),
    ("T0831", "Manipulation of Control", &[Impact]),
    ("T0832", "Manipulation of View", &[Impact]),
    ("T0834", "Native API", &[Execution]),
    ("T0835", "Manipulate I/O Image", &[InhibitResponseFunction]),
    ("T0836", "Modify Parameter", &[ImpairProcessControl]),
    ("T0837", "Loss of Protection", &[Impact]),
    ("T0838", "Modify Alarm Settings", &[InhibitResponseFunction]),
    (
        "T0839",
        "Module Firmware",
        &[Persistence, ImpairProcessControl],
    ),
    ("T0840", "Network Connection Enumeration", &[Discovery]),
    ("T0842", "Network Sniffing", &[Discovery]),
    ("T0843", "Program Download", &[LateralMovement]),
    ("T0845", "Program Upload", &[Collection]),
    ("T0846", "Remote System Discovery", &[Discovery]),
    (
        "T0847",
        "Replication Through Removable Media",
        &[InitialAccess],
    ),
    ("T0848", "Rogue Master", &[InitialAccess]),
    ("T0849", "Masquerading", &[Evasion]),
    ("T0851", "Rootkit", &[Evasion, InhibitResponseFunction]),
    ("T0852", "Screen Capture", &[Collection]),
    ("T0853", "Scripting", &[Execution]),
    (
        "T0855",
        "Unauthorized Command Message",
        &[ImpairProcessControl],
    ),
    (
        "T0856",
        "Spoof Reporting Message",
        &[Evasion, ImpairProcessControl],
    ),
    (
        "T0857",
        "System Firmware",
        &[Persistence, InhibitResponseFunction],
    ),
    ("T0858", "Change Operating Mode", &[Execution, Evasion]),
    ("T0859", "Valid Accounts", &[Persistence, LateralMovement]),
    ("T0860", "Wireless Compromise", &[InitialAccess]),
    ("T0861", "Point & Tag Identification", &[Collection]),
    ("T0862", "Supply Chain Compromise", &[InitialAccess]),
    ("T0863", "User Execution", &[Execution]),
    ("T0864", "Transient Cyber Asset", &[InitialAccess]),
    ("T0865", "Spearphishing Attachment", &[InitialAccess]),
    (
        "T0866",
        "Exploitation of Remote Services",
        &[InitialAccess, LateralMovement],
    ),
    ("T0867", "Lateral Tool Transfer", &[LateralMovement]),
    ("T0868", "Detect Operating Mode", &[Collection]),
    (
        "T0869",
        "Standard Application Layer Protocol",
        &[CommandAndControl],
    ),
    ("T0871", "Execution through API", &[Execution]),
    ("T0872", "Indicator Removal on Host", &[Evasion]),
    ("T0873", "Project File Infection", &[Persistence]),
    ("T0874", "Hooking", &[Execution, PrivilegeEscalation]),
    ("T0877", "I/O Image", &[Collection]),
    ("T0878", "Alarm Suppression", &[InhibitResponseFunction]),
    ("T0879", "Damage to Property", &[Impact]),
    ("T0880", "Loss of Safety", &[Impact]),
    ("T0881", "Service Stop", &[InhibitResponseFunction]),
    ("T0882", "Theft of Operational Information", &[Impact]),
    ("T0883", "Internet Accessible Device", &[InitialAccess]),
    ("T0884", "Connection Proxy", &[CommandAndControl]),
    ("T0885", "Commonly Used Port", &[CommandAndControl]),
    (
        "T0886",
        "Remote Services",
        &[InitialAccess, LateralMovement],
    ),
    ("T0887", "Wireless Sniffing", &[Discovery]),
    ("T0888", "Remote System Information Discovery", &[Discovery]),
    ("T0889", "Modify Program", &[Persistence]),
    (
        "T0890",
        "Exploitation for Privilege Escalation",
        &[PrivilegeEscalation],
    ),
    (
        "T0891",
        "Hardcoded Credentials",
        &[LateralMovement, Persistence],
    ),
    ("T0892", "Change Credential", &[InhibitResponseFunction]),
    ("T0893", "Data from Local System", &[Collection]),
];

/// Tactic of an alert kind when the alert carries no known technique id. Used only as
/// a fallback: the alert's own `mitre` ids win.
const KIND_FALLBACK: &[(&str, Tactic)] = &[
    ("new_device", InitialAccess),
    ("new_mac_ip_binding", InitialAccess),
    ("remote_access", InitialAccess),
    ("internet_access", CommandAndControl),
    ("it_ot_crossing", LateralMovement),
    ("new_zone_crossing", LateralMovement),
    ("dual_homed_host", LateralMovement),
    ("scan", Discovery),
    ("port_scan", Discovery),
    ("function_code_sweep", Discovery),
    ("discovery_sweep", Discovery),
    ("new_peer", LateralMovement),
    ("arp_spoofing", Collection),
    ("program_download", LateralMovement),
    ("program_upload", Collection),
    ("unauthorized_write", ImpairProcessControl),
    ("new_writer", ImpairProcessControl),
    ("out_of_range_value", ImpairProcessControl),
    ("plc_stop", InhibitResponseFunction),
    ("device_control", InhibitResponseFunction),
    ("device_restart", InhibitResponseFunction),
    ("polling_stopped", InhibitResponseFunction),
    ("flood", InhibitResponseFunction),
    ("data_exfiltration", Impact),
];

/// The name of a technique id (`T0855` → "Unauthorized Command Message").
pub fn technique_name(id: &str) -> Option<&'static str> {
    TECHNIQUES.iter().find(|t| t.0 == id).map(|t| t.1)
}

/// The tactics of a technique id, in matrix order (empty when unknown).
pub fn technique_tactics(id: &str) -> &'static [Tactic] {
    TECHNIQUES
        .iter()
        .find(|t| t.0 == id)
        .map(|t| t.2)
        .unwrap_or(&[])
}

/// The tactic an alert stands for: the latest (by [`Tactic::stage`]) tactic of its
/// technique ids, else the fallback of its kind, else `None`.
///
/// The latest tactic is used because an alert that both changes an operating mode
/// (Execution) and stops a device (Inhibit Response Function) is best described by
/// the furthest step it reached.
pub fn alert_tactic(kind: &str, mitre: &[String]) -> Option<Tactic> {
    let from_ids = mitre
        .iter()
        .flat_map(|id| technique_tactics(id).iter().copied())
        .max_by_key(|t| t.stage());
    from_ids.or_else(|| KIND_FALLBACK.iter().find(|k| k.0 == kind).map(|k| k.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        for w in TECHNIQUES.windows(2) {
            assert!(w[0].0 < w[1].0, "{} before {}", w[0].0, w[1].0);
        }
    }

    #[test]
    fn alert_tactic_prefers_ids_then_kind() {
        assert_eq!(
            alert_tactic("plc_stop", &["T0858".into(), "T0816".into()]),
            Some(InhibitResponseFunction)
        );
        assert_eq!(alert_tactic("scan", &[]), Some(Discovery));
        assert_eq!(alert_tactic("scan", &["T9999".into()]), Some(Discovery));
        assert_eq!(alert_tactic("mystery", &[]), None);
        assert_eq!(
            technique_name("T0855"),
            Some("Unauthorized Command Message")
        );
    }
}
