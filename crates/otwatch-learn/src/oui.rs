//! Vendor lookup from a MAC address's OUI.
//!
//! The registry is the IEEE MA-L / MA-M / MA-S / CID / IAB data compiled into the
//! `oui-data` crate, so the lookup is offline and needs no file at run time. The
//! longest assignment wins (a 36-bit MA-S block inside a 24-bit MA-L one names the
//! block's owner).
//!
//! Locally administered MACs (randomised phones, virtual machines, some
//! redundancy protocols) and group addresses have no vendor: looking them up would
//! name whoever holds the same bit pattern as a global OUI, which is wrong.

use otwatch_core::Mac;

/// The IEEE organisation name registered for `mac`'s prefix, as the registry spells
/// it (`"Siemens AG"`, `"Rockwell Automation"`). `None` for locally administered
/// or group addresses and for unassigned prefixes.
pub fn vendor(mac: Mac) -> Option<&'static str> {
    if mac.is_multicast() || mac.is_local() {
        return None;
    }
    let mut hex = [0u8; 12];
    for (i, b) in mac.0.iter().enumerate() {
        hex[2 * i] = HEX[(b >> 4) as usize];
        hex[2 * i + 1] = HEX[(b & 0xf) as usize];
    }
    // Upper-case hex digits only: always valid UTF-8.
    let s = std::str::from_utf8(&hex).ok()?;
    oui_data::lookup(s)
        .map(|r| r.organization())
        .filter(|o| !o.is_empty())
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// A vendor name reduced for comparison: lower case, punctuation dropped, legal
/// suffixes (`Inc`, `Corp`, `GmbH`, `AG`, `Co`, `Ltd` ...) removed. `"Siemens AG"`
/// and `"SIEMENS"` both become `"siemens"`; `"Rockwell Automation"` stays
/// `"rockwell automation"`.
pub fn normalize_vendor(name: &str) -> String {
    const SUFFIXES: &[&str] = &[
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "co",
        "company",
        "ltd",
        "limited",
        "llc",
        "gmbh",
        "ag",
        "kg",
        "se",
        "sa",
        "sas",
        "spa",
        "bv",
        "nv",
        "ab",
        "oy",
        "plc",
        "kk",
        "pty",
        "the",
        "mbh",
    ];
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                ' '
            }
        })
        .collect();
    let words: Vec<&str> = cleaned
        .split_whitespace()
        .filter(|w| !SUFFIXES.contains(w))
        .collect();
    words.join(" ")
}

/// True when two vendor names plausibly name the same company: equal after
/// [`normalize_vendor`], or one's first word is the other's first word
/// (`"Schneider Electric"` vs `"Schneider Automation"`).
pub fn same_vendor(a: &str, b: &str) -> bool {
    let (na, nb) = (normalize_vendor(a), normalize_vendor(b));
    if na.is_empty() || nb.is_empty() {
        return false;
    }
    if na == nb || na.contains(&nb) || nb.contains(&na) {
        return true;
    }
    match (na.split(' ').next(), nb.split(' ').next()) {
        (Some(x), Some(y)) => x == y && x.len() >= 3,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mac(s: &str) -> Mac {
        s.parse().expect("test MAC")
    }

    #[test]
    fn known_industrial_vendors() {
        // 00:1b:1b is registered to Siemens AG (IEEE MA-L).
        let v = vendor(mac("00:1b:1b:12:34:56")).expect("siemens oui");
        assert!(v.to_lowercase().contains("siemens"), "{v}");
        // 00:00:bc is Rockwell Automation (Allen-Bradley).
        let v = vendor(mac("00:00:bc:01:02:03")).expect("rockwell oui");
        assert!(v.to_lowercase().contains("rockwell"), "{v}");
        // 00:00:00 is Xerox, the first assignment.
        assert!(vendor(mac("00:00:00:00:00:01")).is_some());
    }

    #[test]
    fn local_and_group_have_no_vendor() {
        assert_eq!(vendor(mac("02:1b:1b:12:34:56")), None);
        assert_eq!(vendor(mac("01:80:c2:00:00:0e")), None);
        assert_eq!(vendor(Mac::BROADCAST), None);
    }

    #[test]
    fn normalisation() {
        assert_eq!(normalize_vendor("Siemens AG"), "siemens");
        assert_eq!(
            normalize_vendor("Schneider Electric, Inc."),
            "schneider electric"
        );
        assert!(same_vendor("SIEMENS", "Siemens AG"));
        assert!(same_vendor(
            "Rockwell Automation",
            "Rockwell Automation/Allen-Bradley"
        ));
        assert!(!same_vendor("Siemens AG", "Rockwell Automation"));
        assert!(!same_vendor("", "x"));
    }
}
