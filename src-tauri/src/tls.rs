//! HTTPS for guests on the LAN. Browsers give camera and microphone only to secure contexts, and
//! `http://<lan-ip>` is not one, so each host makes itself a certificate on first start, keeps
//! it in its data folder, and shows its SHA-256 fingerprint wherever a guest can compare it
//! (the app panel, `moim serve` output, mDNS, join links and QR codes, the join page).
//! `--tls-cert/--tls-key` take a real certificate instead.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rcgen::PublicKeyData;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};

/// Certificate file name in the data folder.
pub const CERT_FILE: &str = "cert.pem";
/// Private key file name in the data folder.
pub const KEY_FILE: &str = "key.pem";
/// How long a generated certificate is valid.
const VALID_DAYS: i64 = 5 * 365;

/// Why a certificate could not be loaded or made.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// A PEM file held no usable certificate or key.
    #[error("{path}: {what}")]
    Pem {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        what: String,
    },
    /// The certificate could not be generated.
    #[error("cannot generate a certificate: {0}")]
    Generate(#[from] rcgen::Error),
    /// rustls refused the certificate and key.
    #[error("unusable certificate or key: {0}")]
    Rustls(#[from] rustls::Error),
}

/// A certificate's SHA-256 fingerprint.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    /// The fingerprint of a DER certificate.
    pub fn of(cert_der: &[u8]) -> Self {
        Self(Sha256::digest(cert_der).into())
    }

    /// 64 lowercase hex digits, the form used in TXT records and links.
    pub fn hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Parse the hex form, with or without colons, in either case.
    pub fn parse(text: &str) -> Option<Self> {
        let digits: String = text.chars().filter(|c| *c != ':').collect();
        if digits.len() != 64 || !digits.is_ascii() {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&digits[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(Self(out))
    }
}

/// The form browsers show: `AB:CD:...`.
impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({})", self.hex())
    }
}

/// A host's certificate, ready to serve.
#[derive(Clone)]
pub struct TlsIdentity {
    /// rustls server configuration.
    pub server_config: Arc<rustls::ServerConfig>,
    /// SHA-256 of the certificate.
    pub fingerprint: Fingerprint,
    /// base64 SHA-256 of the public key (what Chromium's `--ignore-certificate-errors-spki-list`
    /// takes), when known.
    pub spki_sha256: Option<String>,
    /// The certificate, DER.
    pub cert_der: CertificateDer<'static>,
}

impl fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsIdentity")
            .field("fingerprint", &self.fingerprint)
            .finish()
    }
}

impl TlsIdentity {
    /// The certificate in `dir`, made on first use for `names` (DNS names and IP addresses).
    pub fn load_or_create(dir: &Path, names: &[String]) -> Result<Self, TlsError> {
        let (cert, key) = (dir.join(CERT_FILE), dir.join(KEY_FILE));
        if cert.exists() && key.exists() {
            match Self::from_files(&cert, &key) {
                Ok(id) => return Ok(id),
                Err(err) => tracing::warn!(%err, "stored certificate unusable; making a new one"),
            }
        }
        std::fs::create_dir_all(dir).map_err(|source| TlsError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let (cert_pem, key_pem) = generate(names)?;
        std::fs::write(&cert, &cert_pem).map_err(|source| TlsError::Io {
            path: cert.clone(),
            source,
        })?;
        crate::token::write_private(&key, key_pem.as_bytes()).map_err(|source| TlsError::Io {
            path: key.clone(),
            source,
        })?;
        tracing::info!(path = %cert.display(), "made a new self-signed certificate");
        Self::from_pem(&cert_pem, &key_pem, &cert)
    }

    /// A certificate that lives only in memory (no data folder).
    pub fn ephemeral(names: &[String]) -> Result<Self, TlsError> {
        let (cert_pem, key_pem) = generate(names)?;
        Self::from_pem(&cert_pem, &key_pem, Path::new("(memory)"))
    }

    /// A certificate and key from PEM files (`--tls-cert`, `--tls-key`).
    pub fn from_files(cert: &Path, key: &Path) -> Result<Self, TlsError> {
        let read = |p: &Path| {
            std::fs::read_to_string(p).map_err(|source| TlsError::Io {
                path: p.to_path_buf(),
                source,
            })
        };
        let (cert_pem, key_pem) = (read(cert)?, read(key)?);
        Self::from_pem(&cert_pem, &key_pem, cert)
    }

    fn from_pem(cert_pem: &str, key_pem: &str, path: &Path) -> Result<Self, TlsError> {
        let pem_err = |what: &str| TlsError::Pem {
            path: path.to_path_buf(),
            what: what.to_string(),
        };
        let chain: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(cert_pem.as_bytes())
                .collect::<Result<_, _>>()
                .map_err(|e| pem_err(&format!("bad certificate PEM: {e}")))?;
        let leaf = chain
            .first()
            .cloned()
            .ok_or_else(|| pem_err("no certificate"))?;
        let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
            .map_err(|e| pem_err(&format!("bad key PEM: {e}")))?;
        let spki_sha256 = rcgen::KeyPair::from_pem(key_pem)
            .ok()
            .map(|kp| STANDARD.encode(Sha256::digest(kp.subject_public_key_info())));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            server_config: Arc::new(config),
            fingerprint: Fingerprint::of(&leaf),
            spki_sha256,
            cert_der: leaf,
        })
    }
}

/// A self-signed certificate for `names`: IP addresses become IP SANs, the rest DNS SANs.
fn generate(names: &[String]) -> Result<(String, String), TlsError> {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new())?;
    for name in names {
        let san = match name.parse::<std::net::IpAddr>() {
            Ok(ip) => rcgen::SanType::IpAddress(ip),
            Err(_) => rcgen::SanType::DnsName(name.clone().try_into()?),
        };
        if !params.subject_alt_names.contains(&san) {
            params.subject_alt_names.push(san);
        }
    }
    let mut dn = rcgen::DistinguishedName::new();
    dn.push(rcgen::DnType::CommonName, "moim host");
    dn.push(rcgen::DnType::OrganizationName, "moim (self-signed)");
    params.distinguished_name = dn;
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(VALID_DAYS);
    let key = rcgen::KeyPair::generate()?;
    let cert = params.self_signed(&key)?;
    Ok((cert.pem(), key.serialize_pem()))
}

/// The names a host's certificate should cover: loopback, this machine's names, its LAN
/// addresses.
pub fn default_names(host_name: &str) -> Vec<String> {
    let mut names = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    let label: String = host_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    if !label.is_empty() {
        names.push(format!("{label}.local"));
        names.push(label);
    }
    names.extend(crate::net::lan_addrs().iter().map(|ip| ip.to_string()));
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_print_and_parse_both_ways() {
        let fp = Fingerprint::of(b"certificate");
        let shown = fp.to_string();
        assert_eq!(shown.len(), 32 * 3 - 1);
        assert_eq!(Fingerprint::parse(&shown), Some(fp));
        assert_eq!(Fingerprint::parse(&fp.hex()), Some(fp));
        assert_eq!(Fingerprint::parse("abc"), None);
    }

    #[test]
    fn a_stored_certificate_is_reused() {
        let dir = std::env::temp_dir().join(format!("moim-tls-{}", uuid::Uuid::new_v4()));
        let names = default_names("test-box");
        let a = TlsIdentity::load_or_create(&dir, &names).unwrap();
        let b = TlsIdentity::load_or_create(&dir, &names).unwrap();
        assert_eq!(a.fingerprint, b.fingerprint);
        assert!(a.spki_sha256.is_some());
        let c = TlsIdentity::ephemeral(&names).unwrap();
        assert_ne!(a.fingerprint, c.fingerprint);
        std::fs::remove_dir_all(dir).unwrap();
    }
}

/// A TLS client configuration that trusts exactly one certificate: the one whose SHA-256
/// fingerprint is `expected` (learned from mDNS or a join link). This is how one moim host talks
/// to another: no certificate authority is involved, and a different certificate — even a
/// valid one — is refused.
pub fn pinned_client_config(expected: Fingerprint) -> Arc<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(PinnedVerifier {
        expected,
        algorithms: provider.signature_verification_algorithms,
    });
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

#[derive(Debug)]
struct PinnedVerifier {
    expected: Fingerprint,
    algorithms: rustls::crypto::WebPkiSupportedAlgorithms,
}

impl rustls::client::danger::ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        if Fingerprint::of(end_entity) == self.expected {
            Ok(rustls::client::danger::ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
