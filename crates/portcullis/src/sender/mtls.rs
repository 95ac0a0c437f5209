//! RFC 8705 certificate-bound tokens: `cnf.x5t#S256` against the client certificate the
//! platform terminated TLS with. Cloudflare reports it in `request.cf.tlsClientAuth`; the
//! gate trusts those facts as it trusts the platform, and checks nothing of the certificate
//! itself (the zone's mTLS settings decide which CAs verify).

use crate::codec::b64;
use crate::sender::BindingError;

/// The client certificate facts the platform reports (`request.cf.tlsClientAuth`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientCert {
    /// `certPresented`: `"1"` when the client sent a certificate.
    pub presented: String,
    /// `certVerified`: `"SUCCESS"` when it chained to a trusted CA and is valid now.
    pub verified: String,
    /// `certFingerprintSHA256`: the SHA-256 of the DER certificate, hex.
    pub fingerprint_sha256: String,
}

impl ClientCert {
    /// The certificate thumbprint as RFC 8705 3.1 writes it: base64url of the SHA-256 digest,
    /// from the platform's hex.
    pub fn x5t_s256(&self) -> Result<String, BindingError> {
        let hex = self.fingerprint_sha256.as_bytes();
        if hex.len() != 64 {
            return Err(BindingError::CertificateFingerprintMalformed);
        }
        let mut digest = [0u8; 32];
        for (byte, pair) in digest.iter_mut().zip(hex.chunks(2)) {
            let text = std::str::from_utf8(pair)
                .map_err(|_| BindingError::CertificateFingerprintMalformed)?;
            *byte = u8::from_str_radix(text, 16)
                .map_err(|_| BindingError::CertificateFingerprintMalformed)?;
        }
        Ok(b64::encode(digest))
    }
}

/// Checks a token bound to `x5t` (base64url SHA-256) against the certificate presented.
pub fn check(x5t: &str, cert: Option<&ClientCert>) -> Result<(), BindingError> {
    let cert = match cert {
        Some(c) if c.presented == "1" => c,
        _ => return Err(BindingError::CertificateMissing),
    };
    if cert.verified != "SUCCESS" {
        return Err(BindingError::CertificateNotVerified {
            status: cert.verified.chars().take(64).collect(),
        });
    }
    if cert.x5t_s256()? == x5t {
        Ok(())
    } else {
        Err(BindingError::CertificateMismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "8d5f2e1c0b3a49586d7e6f5a4b3c2d1e0f1a2b3c4d5e6f708192a3b4c5d6e7f8";

    fn cert(presented: &str, verified: &str, hex: &str) -> ClientCert {
        ClientCert {
            presented: presented.into(),
            verified: verified.into(),
            fingerprint_sha256: hex.into(),
        }
    }

    #[test]
    fn hex_fingerprints_become_base64url_thumbprints() {
        let x5t = cert("1", "SUCCESS", HEX).x5t_s256().unwrap();
        assert_eq!(
            b64::decode(&x5t).unwrap(),
            (0..32)
                .map(|i| u8::from_str_radix(&HEX[2 * i..2 * i + 2], 16).unwrap())
                .collect::<Vec<_>>()
        );
        // Upper-case hex names the same certificate.
        assert_eq!(
            cert("1", "SUCCESS", &HEX.to_uppercase())
                .x5t_s256()
                .unwrap(),
            x5t
        );
        for bad in [
            "",
            "abc",
            &HEX[..62],
            &format!("{}zz", &HEX[..62]),
            &format!("{HEX}00"),
        ] {
            assert_eq!(
                cert("1", "SUCCESS", bad).x5t_s256(),
                Err(BindingError::CertificateFingerprintMalformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_certificate_bound_token_needs_that_verified_certificate() {
        let x5t = cert("1", "SUCCESS", HEX).x5t_s256().unwrap();
        assert_eq!(check(&x5t, Some(&cert("1", "SUCCESS", HEX))), Ok(()));
        assert_eq!(check(&x5t, None), Err(BindingError::CertificateMissing));
        assert_eq!(
            check(&x5t, Some(&cert("0", "NONE", ""))),
            Err(BindingError::CertificateMissing)
        );
        assert_eq!(
            check(
                &x5t,
                Some(&cert("1", "FAILED:certificate has expired", HEX))
            ),
            Err(BindingError::CertificateNotVerified {
                status: "FAILED:certificate has expired".into()
            })
        );
        let other = HEX.replace('8', "9");
        assert_eq!(
            check(&x5t, Some(&cert("1", "SUCCESS", &other))),
            Err(BindingError::CertificateMismatch)
        );
    }
}
