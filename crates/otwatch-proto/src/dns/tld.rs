//! Is a name public? Used by the air-gap logic: an OT host resolving a public name
//! is a finding, resolving `plc1.plant.local` is not.
//!
//! A name is public when its last label is a public top-level domain: one of the
//! common generic TLDs in [`PUBLIC_GTLDS`] or any two-letter alphabetic label
//! (country-code TLDs, ISO 3166-1). It is not public when it is a single label, ends
//! in a reserved or customary private suffix ([`PRIVATE_SUFFIXES`]: `local`, `lan`,
//! `home`, `corp`, `internal`, `localdomain`, `arpa`, ...), or ends in a suffix
//! configured with [`set_local_suffixes`].

use std::sync::OnceLock;

/// Common public generic TLDs (IANA root zone), lower case.
pub const PUBLIC_GTLDS: &[&str] = &[
    "com",
    "net",
    "org",
    "edu",
    "gov",
    "mil",
    "int",
    "info",
    "biz",
    "name",
    "pro",
    "aero",
    "asia",
    "cat",
    "coop",
    "jobs",
    "mobi",
    "museum",
    "tel",
    "travel",
    "xxx",
    "io",
    "app",
    "dev",
    "cloud",
    "online",
    "site",
    "top",
    "xyz",
    "club",
    "shop",
    "store",
    "tech",
    "live",
    "news",
    "blog",
    "link",
    "click",
    "space",
    "website",
    "digital",
    "email",
    "services",
    "solutions",
    "support",
    "systems",
    "network",
    "software",
    "energy",
    "industries",
    "engineering",
    "company",
    "group",
    "global",
    "world",
    "today",
    "life",
    "media",
    "agency",
    "center",
    "works",
    "zone",
    "tools",
    "page",
    "google",
    "amazon",
    "microsoft",
    "windows",
    "azure",
    "apple",
    "icu",
    "vip",
    "work",
    "one",
    "ltd",
    "inc",
    "llc",
    "gmbh",
    "solar",
    "security",
    "download",
    "win",
    "bid",
    "loan",
    "men",
    "party",
    "review",
    "stream",
    "trade",
    "date",
    "racing",
    "science",
    "webcam",
    "cricket",
    "fun",
    "host",
    "press",
    "rocks",
    "run",
    "wiki",
    "chat",
    "ai",
    "data",
    "codes",
    "plus",
    "market",
    "team",
];

/// Suffixes that are never public (RFC 6762 `local`, RFC 8375 `home.arpa`, RFC 6761,
/// and customary private ones).
pub const PRIVATE_SUFFIXES: &[&str] = &[
    "local",
    "lan",
    "home",
    "corp",
    "internal",
    "localdomain",
    "arpa",
    "localhost",
    "intranet",
    "private",
    "workgroup",
    "domain",
    "test",
    "example",
    "invalid",
    "onion",
];

/// Cap on configured local suffixes.
pub const MAX_LOCAL_SUFFIXES: usize = 64;

static LOCAL_SUFFIXES: OnceLock<Vec<String>> = OnceLock::new();

/// Configures the site's own internal suffixes (e.g. `plant.example.com`), at most
/// [`MAX_LOCAL_SUFFIXES`]. Can be set once per process; returns false when it was
/// already set.
pub fn set_local_suffixes(v: Vec<String>) -> bool {
    let v = v
        .into_iter()
        .take(MAX_LOCAL_SUFFIXES)
        .map(|s| s.trim_matches('.').to_ascii_lowercase())
        .collect();
    LOCAL_SUFFIXES.set(v).is_ok()
}

fn ends_with_label(name: &str, suffix: &str) -> bool {
    name == suffix
        || (name.len() > suffix.len()
            && name.ends_with(suffix)
            && name.as_bytes()[name.len() - suffix.len() - 1] == b'.')
}

/// True when `name` lies under a public TLD (see the module docs).
pub fn is_public_name(name: &str) -> bool {
    is_public_name_with(name, LOCAL_SUFFIXES.get().map_or(&[][..], |v| v.as_slice()))
}

/// [`is_public_name`] with an explicit list of local suffixes.
pub fn is_public_name_with(name: &str, local: &[String]) -> bool {
    let n = name.trim_end_matches('.').to_ascii_lowercase();
    let Some((_, tld)) = n.rsplit_once('.') else {
        return false; // single label
    };
    if PRIVATE_SUFFIXES.contains(&tld) || local.iter().any(|s| ends_with_label(&n, s)) {
        return false;
    }
    (tld.len() == 2 && tld.bytes().all(|c| c.is_ascii_lowercase())) || PUBLIC_GTLDS.contains(&tld)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_and_private() {
        assert!(is_public_name("update.vendor.com"));
        assert!(is_public_name("www.siemens.de."));
        assert!(is_public_name("api.openai.io"));
        assert!(!is_public_name("plc1.plant.local"));
        assert!(!is_public_name("hmi"));
        assert!(!is_public_name("1.0.168.192.in-addr.arpa"));
        assert!(!is_public_name("nas.lan"));
        assert!(!is_public_name("x.weird-tld-zzz"));
        let local = vec!["plant.example.com".to_string()];
        assert!(!is_public_name_with("hmi.plant.example.com", &local));
        assert!(is_public_name_with("example.com", &local));
        assert!(is_public_name_with("xplant.example.com", &local));
    }
}
