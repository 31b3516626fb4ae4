//! Ed25519 keys: key ids, loading and writing PEM and text forms, strict
//! verification.

use crate::fsutil::{self, FileError};
use crate::wire::digest::{Sha256, hex};
use base64::Engine as _;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use std::fmt;
use std::path::Path;

/// SHA-256 of the raw 32-byte public key (SPEC section 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId(pub [u8; 32]);

impl KeyId {
    /// The id of a raw public key.
    pub fn of(public_key: &[u8; 32]) -> KeyId {
        KeyId(Sha256::of(public_key).0)
    }
}

impl fmt::Display for KeyId {
    /// Lower-case hex.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex(&self.0))
    }
}

/// Why a key could not be used.
#[derive(Debug)]
#[non_exhaustive]
pub enum KeyError {
    /// Reading or writing the file failed.
    File(FileError),
    /// Not an Ed25519 key in a form hwprov reads.
    Format {
        /// What was wrong.
        detail: String,
    },
    /// The 32 bytes are not a valid point encoding.
    InvalidPoint,
    /// A small-order ("weak") public key, which would verify forged signatures.
    Weak,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::File(e) => write!(f, "{e}"),
            KeyError::Format { detail } => write!(f, "{detail}"),
            KeyError::InvalidPoint => write!(f, "public key is not a valid Ed25519 point"),
            KeyError::Weak => write!(
                f,
                "public key is a small-order (weak) Ed25519 point and is refused"
            ),
        }
    }
}

impl std::error::Error for KeyError {}

impl From<FileError> for KeyError {
    fn from(e: FileError) -> Self {
        KeyError::File(e)
    }
}

/// A signature did not verify under strict Ed25519 rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadSignature;

/// An Ed25519 public key accepted for verification: a valid, canonical,
/// non-small-order point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicKey {
    key: VerifyingKey,
    id: KeyId,
}

const TEXT_PREFIX: &str = "ed25519:";

impl PublicKey {
    /// Accepts 32 raw bytes if they decode to a point that is not of small order.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<PublicKey, KeyError> {
        let key = VerifyingKey::from_bytes(bytes).map_err(|_| KeyError::InvalidPoint)?;
        if key.is_weak() {
            return Err(KeyError::Weak);
        }
        Ok(PublicKey {
            key,
            id: KeyId::of(bytes),
        })
    }

    /// Parses `ed25519:<base64 of 32 bytes>` (standard alphabet, padded).
    pub fn from_text(s: &str) -> Result<PublicKey, KeyError> {
        let b64 = s
            .trim()
            .strip_prefix(TEXT_PREFIX)
            .ok_or_else(|| KeyError::Format {
                detail: "public key text must start with 'ed25519:'".into(),
            })?;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|e| KeyError::Format {
                detail: format!("public key text is not base64: {e}"),
            })?;
        let raw: [u8; 32] = raw.as_slice().try_into().map_err(|_| KeyError::Format {
            detail: format!("public key must be 32 bytes, found {}", raw.len()),
        })?;
        Self::from_bytes(&raw)
    }

    /// Parses an SPKI PEM (`-----BEGIN PUBLIC KEY-----`), as `openssl pkey -pubout` writes.
    pub fn from_spki_pem(pem: &str) -> Result<PublicKey, KeyError> {
        let key = VerifyingKey::from_public_key_pem(pem).map_err(|e| KeyError::Format {
            detail: format!("not an Ed25519 SPKI public key PEM: {e}"),
        })?;
        Self::from_bytes(key.as_bytes())
    }

    /// Reads any of: SPKI PEM, `ed25519:` text, or a PKCS#8 private key PEM
    /// (whose public half is taken).
    pub fn load(path: &Path) -> Result<PublicKey, KeyError> {
        let bytes = fsutil::read_bounded(path, 64 * 1024)?;
        Self::parse_file_bytes(&bytes).map_err(|e| match e {
            KeyError::Format { detail } => KeyError::Format {
                detail: format!("{}: {detail}", path.display()),
            },
            other => other,
        })
    }

    /// Parses a key file's bytes (any form [`PublicKey::load`] reads).
    pub fn parse_file_bytes(bytes: &[u8]) -> Result<PublicKey, KeyError> {
        const FORMS: &str = "hwprov reads an SPKI PEM (-----BEGIN PUBLIC KEY-----), a PKCS#8 PEM (-----BEGIN PRIVATE KEY-----) or the text form ed25519:<base64>";
        let text = std::str::from_utf8(bytes).map_err(|_| KeyError::Format {
            detail: format!("not a key file: it holds binary data, not text; {FORMS}"),
        })?;
        if text.contains("-----BEGIN PRIVATE KEY-----") {
            return SecretKey::from_pem(text).map(|k| k.public());
        }
        if text.trim_start().starts_with(TEXT_PREFIX) {
            return Self::from_text(text);
        }
        if !text.contains("-----BEGIN PUBLIC KEY-----") {
            let found = text
                .lines()
                .map(str::trim)
                .find(|l| l.starts_with("-----BEGIN "))
                .map_or("no PEM block".to_string(), |l| format!("a PEM block {l}"));
            return Err(KeyError::Format {
                detail: format!("not a key file: it is text with {found}; {FORMS}"),
            });
        }
        Self::from_spki_pem(text)
    }

    /// The key id.
    pub fn id(&self) -> KeyId {
        self.id
    }

    /// The raw 32 bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// `ed25519:<base64>`.
    pub fn to_text(&self) -> String {
        format!(
            "{TEXT_PREFIX}{}",
            base64::engine::general_purpose::STANDARD.encode(self.key.as_bytes())
        )
    }

    /// SPKI PEM.
    pub fn to_spki_pem(&self) -> String {
        self.key
            .to_public_key_pem(LineEnding::LF)
            .unwrap_or_default()
    }

    /// Strict Ed25519 verification (`verify_strict`: canonical S, no
    /// small-order R or A). `sig` must be exactly 64 bytes.
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> Result<(), BadSignature> {
        let sig: [u8; 64] = sig.try_into().map_err(|_| BadSignature)?;
        self.key
            .verify_strict(msg, &Signature::from_bytes(&sig))
            .map_err(|_| BadSignature)
    }
}

impl PublicKey {
    /// Strict Ed25519 verification of a message given in pieces (their
    /// concatenation is the message), without joining them: a COSE
    /// `Sig_structure` is checked from its small prefix and the payload in
    /// place, so no copy of the payload is made per signature.
    ///
    /// It accepts exactly what [`PublicKey::verify`] (`verify_strict`)
    /// accepts: the same canonical-`S` check and hash, and the same
    /// small-order checks, done here because the streaming verifier leaves
    /// them out. `A` was checked when the key was made (a `PublicKey` is
    /// never weak). `R` is judged by its encoding, without decompressing it
    /// (a square root per signature): `verify_strict` refuses an `R` that
    /// does not decompress or is of small order, then accepts only if the
    /// recomputed `[s]B - [k]A`, canonically encoded, equals `R`'s bytes.
    /// An encoding that is not a point's canonical one can never equal
    /// that, so refusing the eight canonical encodings of the small-order
    /// points accepts exactly the same set. Tests compare the two on every
    /// RFC 8032, Wycheproof and CCTV vector and on mutated signatures.
    pub fn verify_parts(&self, parts: &[&[u8]], sig: &[u8]) -> Result<(), BadSignature> {
        let sig: [u8; 64] = sig.try_into().map_err(|_| BadSignature)?;
        if small_order_encodings().iter().any(|e| sig[..32] == e[..]) || self.key.is_weak() {
            return Err(BadSignature);
        }
        let mut v = self
            .key
            .verify_stream(&Signature::from_bytes(&sig))
            .map_err(|_| BadSignature)?;
        for p in parts {
            v.update(p);
        }
        v.finalize_and_verify().map_err(|_| BadSignature)
    }
}

/// The canonical encodings of the eight points of small order (the
/// 8-torsion subgroup), computed once.
fn small_order_encodings() -> &'static [[u8; 32]; 8] {
    static ENCODINGS: std::sync::OnceLock<[[u8; 32]; 8]> = std::sync::OnceLock::new();
    ENCODINGS
        .get_or_init(|| curve25519_dalek::constants::EIGHT_TORSION.map(|t| t.compress().to_bytes()))
}

/// Signatures a [`PreparedKey`] checks before it builds its table of
/// multiples of its point. The table takes as long to build as about 30
/// checks (1.2 ms) and saves about a ninth of each later one, so it pays
/// for a key that signs about 300 more statements; waiting for 1,024 keeps
/// the cost for a key that signs a few hundred (and so its whole run)
/// within a few percent, while a key that signs thousands (a lot's stage
/// statements, a factory's device statements across a large inventory)
/// gets it early.
pub const TABLE_AFTER: usize = 1024;

/// A public key prepared for many verifications: its point decompressed
/// and negated (`-A`) once and, once it has checked [`TABLE_AFTER`]
/// signatures, a table of multiples of `-A` (30 KiB).
///
/// [`PreparedKey::verify_parts`] accepts exactly what `verify_strict`
/// accepts. It is the same equation, `R == [s]B - [k]A` compared on `R`'s
/// bytes, with `k = SHA-512(R || A || M) mod l` over `A`'s bytes as given,
/// `s` refused unless canonical (`s < l`), and `A` never of small order (a
/// [`PublicKey`] is never weak). `verify_strict` decompresses `R` to refuse
/// a small-order point; this refuses the eight canonical small-order
/// encodings instead, which is the same set, since any other encoding that
/// is not a point's canonical one can never equal the recomputed `R`.
/// Before the table exists, `[s]B - [k]A` is computed as `verify_strict`
/// computes it (`vartime_double_scalar_mul_basepoint`); after, as
/// `[k](-A)` from the key's radix-16 table plus `[s]B` from the
/// basepoint's (fixed-base multiplications of 64 additions each, where the
/// double-scalar one doubles up to 256 times). The group element is the
/// same, so its encoding is too. It is not batch verification: each
/// signature is checked on its own, cofactorless, as `verify_strict` does.
/// Tests compare both ways with `verify_strict` on every RFC 8032,
/// Wycheproof and CCTV vector, on constructed small-order and mixed-order
/// `R` and `A`, non-canonical encodings and flipped bits, and a fuzz target
/// does the same.
pub struct PreparedKey {
    key: PublicKey,
    minus_a: curve25519_dalek::edwards::EdwardsPoint,
    uses: std::sync::atomic::AtomicUsize,
    table: std::sync::OnceLock<Box<curve25519_dalek::edwards::EdwardsBasepointTable>>,
}

impl fmt::Debug for PreparedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreparedKey")
            .field("key", &self.key.id())
            .field("table", &self.table.get().is_some())
            .finish_non_exhaustive()
    }
}

impl PreparedKey {
    /// Prepares `key`.
    pub fn new(key: PublicKey) -> PreparedKey {
        PreparedKey {
            minus_a: -key.key.to_edwards(),
            key,
            uses: std::sync::atomic::AtomicUsize::new(0),
            table: std::sync::OnceLock::new(),
        }
    }

    /// Prepares `key` with its table built now (for tests, fuzzing and
    /// benchmarks of the table's way).
    pub fn with_table(key: PublicKey) -> PreparedKey {
        let k = PreparedKey::new(key);
        k.build_table();
        k
    }

    fn build_table(&self) -> &curve25519_dalek::edwards::EdwardsBasepointTable {
        use curve25519_dalek::traits::BasepointTable as _;
        self.table.get_or_init(|| {
            Box::new(curve25519_dalek::edwards::EdwardsBasepointTable::create(
                &self.minus_a,
            ))
        })
    }

    /// The key.
    pub fn key(&self) -> &PublicKey {
        &self.key
    }

    /// Strict verification of a message given in pieces (see the type's
    /// documentation for why it accepts exactly what `verify_strict` does).
    pub fn verify_parts(&self, parts: &[&[u8]], sig: &[u8]) -> Result<(), BadSignature> {
        if self.signature_point(parts, sig)?.matches() {
            Ok(())
        } else {
            Err(BadSignature)
        }
    }

    /// [`PreparedKey::verify_parts`] up to its last step: everything but
    /// encoding the recomputed point and comparing it with `R`, which
    /// [`SignaturePoint::matches`] does for one signature and
    /// [`SignaturePoint::match_all`] for several at once (one field
    /// inversion for all of them instead of one each).
    pub fn signature_point(
        &self,
        parts: &[&[u8]],
        sig: &[u8],
    ) -> Result<SignaturePoint, BadSignature> {
        use curve25519_dalek::edwards::EdwardsPoint;
        use curve25519_dalek::scalar::Scalar;
        use sha2::Digest as _;
        let sig: &[u8; 64] = sig.try_into().map_err(|_| BadSignature)?;
        let (r, s) = sig.split_at(32);
        if small_order_encodings().iter().any(|e| r == &e[..]) {
            return Err(BadSignature);
        }
        let r: [u8; 32] = r.try_into().map_err(|_| BadSignature)?;
        let s: [u8; 32] = s.try_into().map_err(|_| BadSignature)?;
        let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s)).ok_or(BadSignature)?;
        let mut h = sha2::Sha512::new();
        h.update(r);
        h.update(self.key.key.as_bytes());
        for p in parts {
            h.update(p);
        }
        let wide: [u8; 64] = h.finalize().into();
        let k = Scalar::from_bytes_mod_order_wide(&wide);
        let table = match self.table.get() {
            Some(t) => Some(&**t),
            // The check that reaches the count builds the table; checks
            // running meanwhile on other threads go on without it.
            None if self.uses.fetch_add(1, std::sync::atomic::Ordering::Relaxed) == TABLE_AFTER => {
                Some(self.build_table())
            }
            None => None,
        };
        let point = match table {
            Some(t) => t * &k + EdwardsPoint::mul_base(&s),
            None => EdwardsPoint::vartime_double_scalar_mul_basepoint(&k, &self.minus_a, &s),
        };
        Ok(SignaturePoint { point, r })
    }
}

/// A signature checked up to its last step by
/// [`PreparedKey::signature_point`]: the recomputed `[s]B - [k]A` and the
/// signature's `R`. The signature verifies exactly when the point's
/// canonical encoding is `R`'s bytes.
#[derive(Debug, Clone, Copy)]
pub struct SignaturePoint {
    point: curve25519_dalek::edwards::EdwardsPoint,
    r: [u8; 32],
}

impl SignaturePoint {
    /// Whether the signature verifies.
    pub fn matches(&self) -> bool {
        self.point.compress().to_bytes() == self.r
    }

    /// The next `n` of `verdicts` (fewer if fewer are left), taken off
    /// the front: how each of several checks takes its own answers from one
    /// [`SignaturePoint::match_all`] over all their points, in order.
    pub fn take_verdicts<'v>(verdicts: &mut &'v [bool], n: usize) -> &'v [bool] {
        let (mine, rest) = verdicts.split_at(n.min(verdicts.len()));
        *verdicts = rest;
        mine
    }

    /// [`SignaturePoint::matches`] of each, in order, with the points
    /// encoded together (`compress_batch_alloc`: the same canonical
    /// encoding of the same points, through one field inversion).
    pub fn match_all(points: &[SignaturePoint]) -> Vec<bool> {
        match points {
            [] => Vec::new(),
            [one] => vec![one.matches()],
            _ => {
                let all: Vec<_> = points.iter().map(|p| p.point).collect();
                curve25519_dalek::edwards::EdwardsPoint::compress_batch_alloc(&all)
                    .iter()
                    .zip(points)
                    .map(|(c, p)| c.to_bytes() == p.r)
                    .collect()
            }
        }
    }
}

/// [`PreparedKey::verify_parts`] from raw public key bytes (for tests and
/// fuzzing against `verify_strict`), every way: `[before the key's table
/// exists, with it, its point encoded in a batch with others (in the
/// middle, last)]`. Weak keys and points that do not decode are rejected
/// like bad signatures.
pub fn verify_raw_prepared(public_key: &[u8; 32], parts: &[&[u8]], sig: &[u8]) -> [bool; 4] {
    let Ok(k) = PublicKey::from_bytes(public_key) else {
        return [false; 4];
    };
    let (before, with) = (PreparedKey::new(k), PreparedKey::with_table(k));
    // Batched between two other signatures' points (one that verifies, one
    // that does not), in the middle and last, so its verdict cannot lean on
    // its place in the batch or its neighbours.
    let other = SecretKey::from_seed(&[7; 32]);
    let other_key = PreparedKey::new(other.public());
    let batched = match (
        before.signature_point(parts, sig),
        other_key.signature_point(&[b"other"], &other.sign(b"other")),
        other_key.signature_point(&[b"other"], &other.sign(b"another")),
    ) {
        (Ok(p), Ok(good), Ok(bad)) => {
            let middle = SignaturePoint::match_all(&[good, p, bad]);
            let last = SignaturePoint::match_all(&[bad, good, p]);
            let neighbours_right = middle[0] && !middle[2] && !last[0] && last[1];
            [middle[1] && neighbours_right, last[2] && neighbours_right]
        }
        _ => [false; 2],
    };
    [
        before.verify_parts(parts, sig).is_ok(),
        with.verify_parts(parts, sig).is_ok(),
        batched[0],
        batched[1],
    ]
}

/// [`verify_raw`] for a message in pieces (see [`PublicKey::verify_parts`]).
pub fn verify_raw_parts(public_key: &[u8; 32], parts: &[&[u8]], sig: &[u8]) -> bool {
    PublicKey::from_bytes(public_key).is_ok_and(|k| k.verify_parts(parts, sig).is_ok())
}

/// The single entry point used for every signature check: raw public key
/// bytes, message and signature in; accept or reject out. Weak keys and
/// non-canonical points are rejected like bad signatures.
pub fn verify_raw(public_key: &[u8; 32], msg: &[u8], sig: &[u8]) -> bool {
    PublicKey::from_bytes(public_key).is_ok_and(|k| k.verify(msg, sig).is_ok())
}

/// An Ed25519 private key.
pub struct SecretKey(SigningKey);

impl SecretKey {
    /// A new key from the operating system's random source.
    pub fn generate() -> Result<SecretKey, KeyError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| KeyError::Format {
            detail: format!("no randomness from the operating system: {e}"),
        })?;
        Ok(SecretKey(SigningKey::from_bytes(&seed)))
    }

    /// A key from a 32-byte seed (for reproducible test fixtures only).
    pub fn from_seed(seed: &[u8; 32]) -> SecretKey {
        SecretKey(SigningKey::from_bytes(seed))
    }

    /// Parses a PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), as `openssl genpkey -algorithm ed25519` writes.
    pub fn from_pem(pem: &str) -> Result<SecretKey, KeyError> {
        SigningKey::from_pkcs8_pem(pem)
            .map(SecretKey)
            .map_err(|e| KeyError::Format {
                detail: format!("not an Ed25519 PKCS#8 private key PEM: {e}"),
            })
    }

    /// Reads a PKCS#8 PEM file.
    pub fn load(path: &Path) -> Result<SecretKey, KeyError> {
        let bytes = fsutil::read_bounded(path, 64 * 1024)?;
        let text = String::from_utf8(bytes).map_err(|_| KeyError::Format {
            detail: format!("{}: not a PEM file", path.display()),
        })?;
        Self::from_pem(&text).map_err(|e| match e {
            KeyError::Format { detail } => KeyError::Format {
                detail: format!("{}: {detail}", path.display()),
            },
            other => other,
        })
    }

    /// PKCS#8 v1 PEM, the form `openssl genpkey -algorithm ed25519` writes
    /// (without the optional public key, which OpenSSL 3.0 cannot read).
    pub fn to_pem(&self) -> Result<String, KeyError> {
        ed25519_dalek::pkcs8::KeypairBytes {
            secret_key: self.0.to_bytes(),
            public_key: None,
        }
        .to_pkcs8_pem(LineEnding::LF)
        .map(|s| s.to_string())
        .map_err(|e| KeyError::Format {
            detail: format!("cannot encode key: {e}"),
        })
    }

    /// The public half.
    pub fn public(&self) -> PublicKey {
        let key = self.0.verifying_key();
        PublicKey {
            key,
            id: KeyId::of(key.as_bytes()),
        }
    }

    /// Signs `msg`.
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        self.0.sign(msg).to_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_and_text_round_trip() {
        let k = SecretKey::from_seed(&[7; 32]);
        let pem = k.to_pem().unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        let k2 = SecretKey::from_pem(&pem).unwrap();
        assert_eq!(k2.public(), k.public());
        let p = k.public();
        assert_eq!(PublicKey::from_text(&p.to_text()).unwrap(), p);
        assert_eq!(PublicKey::from_spki_pem(&p.to_spki_pem()).unwrap(), p);
        let sig = k.sign(b"m");
        assert!(p.verify(b"m", &sig).is_ok());
        assert!(p.verify(b"n", &sig).is_err());
        assert!(p.verify(b"m", &sig[..63]).is_err());
        assert!(p.verify_parts(&[b"", b"m", b""], &sig).is_ok());
        assert!(p.verify_parts(&[b"n"], &sig).is_err());
        assert!(p.verify_parts(&[b"m"], &sig[..63]).is_err());
    }

    #[test]
    fn a_prepared_key_builds_its_table_after_enough_checks_and_still_agrees() {
        let k = SecretKey::from_seed(&[9; 32]);
        let p = PreparedKey::new(k.public());
        let good = k.sign(b"m");
        let mut bad = good;
        bad[40] ^= 1;
        for i in 0..=TABLE_AFTER {
            assert!(p.table.get().is_none(), "check {i}");
            let (msg, sig): (&[u8], _) = match i % 3 {
                0 => (b"m", &good),
                1 => (b"n", &good),
                _ => (b"m", &bad),
            };
            assert_eq!(p.verify_parts(&[msg], sig).is_ok(), i % 3 == 0, "check {i}");
        }
        assert!(format!("{p:?}").contains("table: true"));
        assert!(p.verify_parts(&[b"m"], &good).is_ok());
        assert!(p.verify_parts(&[b"n"], &good).is_err());
        assert!(p.verify_parts(&[b"m"], &bad).is_err());
    }

    #[test]
    fn weak_and_invalid_keys_refused() {
        // The identity point (small order).
        let mut id = [0u8; 32];
        id[0] = 1;
        assert!(matches!(PublicKey::from_bytes(&id), Err(KeyError::Weak)));
        assert!(PublicKey::from_text("ed25519:AAAA").is_err());
        assert!(PublicKey::from_text("rsa:AAAA").is_err());
    }
}
