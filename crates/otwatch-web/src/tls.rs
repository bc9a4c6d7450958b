//! TLS: the console's certificate and the rustls server configuration.
//!
//! Only TLS 1.2 and 1.3 are offered, with rustls's ring cipher suites, all of them
//! ECDHE + AEAD (AES-GCM, ChaCha20-Poly1305). rustls implements neither TLS 1.0/1.1
//! nor CBC or RSA key exchange, so there is nothing older to switch off.
//!
//! On first start a self-signed certificate is generated with rcgen (SAN 127.0.0.1,
//! ::1, localhost and the host name) and kept in the store's settings
//! ([`SETTING_CERT`], [`SETTING_KEY`]), so it survives restarts and its fingerprint
//! stays the same. A user certificate and key (PEM files) take precedence.

use crate::data::ConsoleData;
use crate::{Error, Result};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::Arc;

/// Settings key of the generated certificate (PEM).
pub const SETTING_CERT: &str = "tls_cert_pem";
/// Settings key of the generated private key (PEM).
pub const SETTING_KEY: &str = "tls_key_pem";

/// Certificate material in PEM, and where it came from.
#[derive(Clone, Debug)]
pub struct CertMaterial {
    /// Certificate chain, PEM.
    pub cert_pem: String,
    /// Private key, PEM.
    pub key_pem: String,
    /// `generated` (self-signed, kept in the store) or the certificate file path.
    pub source: String,
    /// True when generated on this start.
    pub new: bool,
}

impl CertMaterial {
    /// SHA-256 fingerprint of the leaf certificate, `AB:CD:...`.
    pub fn fingerprint(&self) -> Result<String> {
        let der = first_cert(&self.cert_pem)?;
        Ok(Sha256::digest(der.as_ref())
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":"))
    }
}

fn first_cert(pem: &str) -> Result<CertificateDer<'static>> {
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .next()
        .ok_or_else(|| Error::Tls("no certificate in PEM".into()))?
        .map_err(|e| Error::Tls(format!("bad certificate PEM: {e}")))
}

fn host_name() -> Option<String> {
    let h = std::fs::read_to_string("/proc/sys/kernel/hostname").ok()?;
    let h = h.trim();
    (!h.is_empty() && h != "localhost").then(|| h.to_owned())
}

/// Generates a self-signed certificate for the console.
pub fn generate_self_signed(now_secs: i64) -> Result<CertMaterial> {
    let mut sans = vec![
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
        "localhost".to_owned(),
    ];
    sans.extend(host_name());
    let mut params = rcgen::CertificateParams::new(sans).map_err(|e| Error::Tls(e.to_string()))?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "otwatch console");
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "otwatch (self-signed)");
    let (y, m, d) = otwatch_core::time::civil_from_days(now_secs.div_euclid(86_400) - 1);
    let year = i32::try_from(y).unwrap_or(2025);
    params.not_before = rcgen::date_time_ymd(year, m as u8, d as u8);
    // Ten years: an appliance certificate that expires in a year breaks the console
    // with no one to renew it; the fingerprint is what operators pin.
    params.not_after = rcgen::date_time_ymd(year + 10, m as u8, d.min(28) as u8);
    let key = rcgen::KeyPair::generate().map_err(|e| Error::Tls(e.to_string()))?;
    let cert = params
        .self_signed(&key)
        .map_err(|e| Error::Tls(e.to_string()))?;
    Ok(CertMaterial {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        source: "generated".into(),
        new: true,
    })
}

/// Loads the user's certificate and key, or the stored generated one, or generates
/// and stores a new one.
pub fn load_or_create(
    data: &dyn ConsoleData,
    cert: Option<&Path>,
    key: Option<&Path>,
    now_secs: i64,
) -> Result<CertMaterial> {
    match (cert, key) {
        (Some(c), Some(k)) => {
            let read = |p: &Path| {
                std::fs::read_to_string(p)
                    .map_err(|e| Error::Tls(format!("cannot read {}: {e}", p.display())))
            };
            let m = CertMaterial {
                cert_pem: read(c)?,
                key_pem: read(k)?,
                source: c.display().to_string(),
                new: false,
            };
            // Validate now, with a clear message, rather than at the first handshake.
            server_config(&m)?;
            Ok(m)
        }
        (None, None) => {
            if let (Some(c), Some(k)) = (
                data.setting_get(SETTING_CERT)?,
                data.setting_get(SETTING_KEY)?,
            ) {
                return Ok(CertMaterial {
                    cert_pem: c,
                    key_pem: k,
                    source: "generated".into(),
                    new: false,
                });
            }
            let m = generate_self_signed(now_secs)?;
            data.setting_put(SETTING_CERT, &m.cert_pem)?;
            data.setting_put(SETTING_KEY, &m.key_pem)?;
            Ok(m)
        }
        _ => Err(Error::Tls(
            "--tls-cert and --tls-key must be given together".into(),
        )),
    }
}

/// The rustls server configuration: ring provider, TLS 1.2 and 1.3, HTTP/1.1.
pub fn server_config(m: &CertMaterial) -> Result<rustls::ServerConfig> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(m.cert_pem.as_bytes())
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| Error::Tls(format!("bad certificate PEM: {e}")))?;
    if chain.is_empty() {
        return Err(Error::Tls("no certificate in PEM".into()));
    }
    let key = PrivateKeyDer::from_pem_slice(m.key_pem.as_bytes())
        .map_err(|e| Error::Tls(format!("bad private key PEM: {e}")))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| Error::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| Error::Tls(format!("certificate and key do not fit: {e}")))?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryData;

    #[test]
    fn generated_cert_is_kept() {
        let d = MemoryData::new();
        let a = load_or_create(&d, None, None, 1_750_000_000).unwrap();
        assert!(a.new);
        let b = load_or_create(&d, None, None, 1_750_000_000).unwrap();
        assert!(!b.new);
        assert_eq!(a.fingerprint().unwrap(), b.fingerprint().unwrap());
        assert_eq!(a.fingerprint().unwrap().len(), 32 * 3 - 1);
        server_config(&a).unwrap();
    }

    #[test]
    fn half_config_refused() {
        let d = MemoryData::new();
        assert!(load_or_create(&d, Some(Path::new("/x")), None, 0).is_err());
    }
}
