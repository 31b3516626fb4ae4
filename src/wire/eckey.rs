//! Evidence keys (SPEC section 1): ECDSA P-384 and P-521 public keys, in
//! SPKI PEM, of the providers who sign OCP S.A.F.E. reports. They verify
//! those reports and nothing else; hwprov's own statements stay Ed25519.

use crate::wire::digest::Sha256;
use p384::ecdsa::signature::Verifier as _;
use p384::pkcs8::{DecodePublicKey as _, EncodePublicKey as _};
use std::fmt;

/// The two curves an evidence key may be on, each with its one algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Curve {
    /// NIST P-384: verifies ES384 (ECDSA with SHA-384) only.
    P384,
    /// NIST P-521: verifies ES512 (ECDSA with SHA-512) only.
    P521,
}

impl Curve {
    /// The JOSE algorithm name (RFC 7518 section 3.4).
    pub fn jose_alg(self) -> &'static str {
        match self {
            Curve::P384 => "ES384",
            Curve::P521 => "ES512",
        }
    }

    /// The COSE algorithm id (RFC 9053: ES384 = -35, ES512 = -36).
    pub fn cose_alg(self) -> i64 {
        match self {
            Curve::P384 => -35,
            Curve::P521 => -36,
        }
    }

    /// The curve of a JOSE algorithm name, if it is one hwprov accepts.
    pub fn from_jose(alg: &str) -> Option<Curve> {
        match alg {
            "ES384" => Some(Curve::P384),
            "ES512" => Some(Curve::P521),
            _ => None,
        }
    }

    /// The curve of a COSE algorithm id, if it is one hwprov accepts.
    pub fn from_cose(alg: i64) -> Option<Curve> {
        match alg {
            -35 => Some(Curve::P384),
            -36 => Some(Curve::P521),
            _ => None,
        }
    }

    /// Length of a raw `r || s` signature (RFC 7518 section 3.4).
    pub fn signature_len(self) -> usize {
        match self {
            Curve::P384 => 96,
            Curve::P521 => 132,
        }
    }

    /// The curve whose raw signatures have this length.
    pub fn of_signature_len(len: usize) -> Option<Curve> {
        [Curve::P384, Curve::P521]
            .into_iter()
            .find(|c| c.signature_len() == len)
    }
}

impl fmt::Display for Curve {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Curve::P384 => "P-384",
            Curve::P521 => "P-521",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Inner {
    P384(p384::ecdsa::VerifyingKey),
    P521(p521::ecdsa::VerifyingKey),
}

/// An ECDSA public key accepted as an evidence key: a valid point on P-384
/// or P-521 (the parsers refuse the identity and points off the curve).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceKey {
    inner: Inner,
    id: Sha256,
}

impl EvidenceKey {
    /// Parses an SPKI PEM (`-----BEGIN PUBLIC KEY-----`) holding a P-384
    /// or P-521 key.
    pub fn from_pem(pem: &str) -> Result<EvidenceKey, String> {
        let (inner, der) = if let Ok(k) = p384::ecdsa::VerifyingKey::from_public_key_pem(pem) {
            let der = k.to_public_key_der().map_err(|e| e.to_string())?;
            (Inner::P384(k), der)
        } else if let Ok(k) = p521::ecdsa::VerifyingKey::from_public_key_pem(pem) {
            let der = k.to_public_key_der().map_err(|e| e.to_string())?;
            (Inner::P521(k), der)
        } else {
            return Err(
                "not an ECDSA P-384 or P-521 public key in SPKI PEM (evidence keys are those two curves only)"
                    .into(),
            );
        };
        Ok(EvidenceKey {
            inner,
            id: Sha256::of(der.as_bytes()),
        })
    }

    /// The key's curve.
    pub fn curve(&self) -> Curve {
        match self.inner {
            Inner::P384(_) => Curve::P384,
            Inner::P521(_) => Curve::P521,
        }
    }

    /// SHA-256 of the DER SubjectPublicKeyInfo (SPEC section 1).
    pub fn id(&self) -> Sha256 {
        self.id
    }

    /// Whether `signature` (raw `r || s`) is this key's ECDSA signature of
    /// `message`, hashed with the curve's one hash (SHA-384 or SHA-512).
    /// Any length other than the curve's refuses.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match &self.inner {
            Inner::P384(k) => p384::ecdsa::Signature::from_slice(signature)
                .is_ok_and(|s| k.verify(message, &s).is_ok()),
            Inner::P521(k) => p521::ecdsa::Signature::from_slice(signature)
                .is_ok_and(|s| k.verify(message, &s).is_ok()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curves_and_lengths() {
        assert_eq!(Curve::of_signature_len(96), Some(Curve::P384));
        assert_eq!(Curve::of_signature_len(132), Some(Curve::P521));
        assert_eq!(Curve::of_signature_len(64), None);
        assert_eq!(Curve::from_jose("ES256"), None);
        assert_eq!(Curve::from_jose("none"), None);
        assert_eq!(Curve::from_cose(-36), Some(Curve::P521));
        assert!(
            EvidenceKey::from_pem("-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n")
                .is_err()
        );
    }
}
