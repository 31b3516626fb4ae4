//! C2SP signed notes (`signed-note`) with Ed25519, and the tlog checkpoint
//! body (`tlog-checkpoint`) the verification log signs.
//!
//! - key hash: the first 4 bytes of SHA-256(name || "\n" || 0x01 || public key);
//! - verifier key: `<name>+<8 hex key hash>+<base64(0x01 || public key)>`;
//! - note: the text (ending in a newline), an empty line, then signature
//!   lines `— <name> <base64(key hash || signature)>` (U+2014, space);
//! - checkpoint text: origin line, decimal tree size, base64 root hash.

use crate::audit::merkle::Hash;
use crate::wire::keys::{PublicKey, SecretKey};
use base64::Engine as _;
use sha2::{Digest as _, Sha256};
use std::fmt;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const ED25519: u8 = 0x01;
const DASH: &str = "\u{2014} ";

/// Why a note, key or checkpoint was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NoteError {
    /// A key name is empty or holds whitespace or '+'.
    BadName,
    /// The verifier key string is malformed.
    BadVerifierKey {
        /// What is wrong.
        reason: &'static str,
    },
    /// The note's layout is wrong.
    Malformed {
        /// What is wrong.
        reason: &'static str,
    },
    /// No signature by the expected key verifies.
    NotSigned,
    /// The checkpoint body is malformed.
    BadCheckpoint {
        /// What is wrong.
        reason: &'static str,
    },
}

impl fmt::Display for NoteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoteError::BadName => write!(
                f,
                "key name must be 1 to {MAX_NAME_BYTES} bytes, without spaces, control characters or '+'"
            ),
            NoteError::BadVerifierKey { reason } => write!(f, "verifier key: {reason}"),
            NoteError::Malformed { reason } => write!(f, "signed note: {reason}"),
            NoteError::NotSigned => write!(f, "signed note: no valid signature by the log's key"),
            NoteError::BadCheckpoint { reason } => write!(f, "checkpoint: {reason}"),
        }
    }
}

impl std::error::Error for NoteError {}

/// Longest key name (a log's origin) hwprov accepts, in bytes. C2SP sets no
/// bound; a log whose origin made its checkpoint or verifier key larger
/// than the files hwprov reads could never be opened again.
pub const MAX_NAME_BYTES: usize = crate::limits::Limits::DEFAULT.max_log_origin_bytes;

fn check_name(name: &str) -> Result<(), NoteError> {
    if name.is_empty()
        || name.len() > MAX_NAME_BYTES
        || name
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '+')
    {
        return Err(NoteError::BadName);
    }
    Ok(())
}

/// The 4-byte key hash of an Ed25519 key under a name.
pub fn key_hash(name: &str, key: &PublicKey) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([ED25519]);
    h.update(key.to_bytes());
    let d: [u8; 32] = h.finalize().into();
    [d[0], d[1], d[2], d[3]]
}

/// A note verifier: a name and an Ed25519 key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verifier {
    /// Key name (for a log, its origin).
    pub name: String,
    /// The key.
    pub key: PublicKey,
}

impl Verifier {
    /// A verifier for `key` under `name`.
    pub fn new(name: &str, key: PublicKey) -> Result<Verifier, NoteError> {
        check_name(name)?;
        Ok(Verifier {
            name: name.to_owned(),
            key,
        })
    }

    /// `<name>+<hex key hash>+<base64(0x01 || key)>`.
    pub fn to_vkey(&self) -> String {
        let mut raw = vec![ED25519];
        raw.extend_from_slice(&self.key.to_bytes());
        format!(
            "{}+{}+{}",
            self.name,
            crate::wire::digest::hex(&key_hash(&self.name, &self.key)),
            B64.encode(raw)
        )
    }

    /// Parses a verifier key string, checking its key hash.
    pub fn parse(vkey: &str) -> Result<Verifier, NoteError> {
        let bad = |reason| NoteError::BadVerifierKey { reason };
        let mut parts = vkey.trim_end_matches('\n').splitn(3, '+');
        let (Some(name), Some(hash), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad("expected <name>+<hash>+<key>"));
        };
        check_name(name)?;
        let raw = B64.decode(key).map_err(|_| bad("key is not base64"))?;
        let [ED25519, rest @ ..] = raw.as_slice() else {
            return Err(bad("only Ed25519 (type 0x01) keys are supported"));
        };
        let pk: [u8; 32] = rest
            .try_into()
            .map_err(|_| bad("Ed25519 key must be 32 bytes"))?;
        let key = PublicKey::from_bytes(&pk).map_err(|_| bad("not a valid Ed25519 public key"))?;
        let v = Verifier {
            name: name.to_owned(),
            key,
        };
        if crate::wire::digest::hex(&key_hash(name, &v.key)) != hash {
            return Err(bad("key hash does not match the name and key"));
        }
        Ok(v)
    }
}

/// Signs `text` (which must end in a newline) as a note under `name`.
pub fn sign(text: &str, name: &str, key: &SecretKey) -> Result<String, NoteError> {
    check_name(name)?;
    if !text.ends_with('\n') || text.contains("\n\n") {
        return Err(NoteError::Malformed {
            reason: "text must end in a newline and hold no empty line",
        });
    }
    let sig = key.sign(text.as_bytes());
    let mut blob = key_hash(name, &key.public()).to_vec();
    blob.extend_from_slice(&sig);
    Ok(format!("{text}\n{DASH}{name} {}\n", B64.encode(blob)))
}

/// Opens a signed note: returns its text if a signature line by `verifier`
/// verifies. Signatures by other keys are ignored.
pub fn open<'a>(note: &'a str, verifier: &Verifier) -> Result<&'a str, NoteError> {
    let bad = |reason| NoteError::Malformed { reason };
    let split = note
        .rfind("\n\n")
        .ok_or(bad("no empty line before the signatures"))?;
    let text = &note[..=split];
    let sigs = &note[split + 2..];
    if !sigs.ends_with('\n') || sigs.is_empty() {
        return Err(bad("signature block must end in a newline"));
    }
    let want = key_hash(&verifier.name, &verifier.key);
    for line in sigs.trim_end_matches('\n').split('\n') {
        let rest = line
            .strip_prefix(DASH)
            .ok_or(bad("signature line does not start with '— '"))?;
        let (name, b64) = rest
            .split_once(' ')
            .ok_or(bad("signature line needs a name and a signature"))?;
        let blob = B64
            .decode(b64)
            .map_err(|_| bad("signature is not base64"))?;
        if name != verifier.name || blob.len() != 68 || blob[..4] != want {
            continue;
        }
        if verifier.key.verify(text.as_bytes(), &blob[4..]).is_ok() {
            return Ok(text);
        }
    }
    Err(NoteError::NotSigned)
}

/// A tlog checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin line.
    pub origin: String,
    /// Tree size.
    pub size: u64,
    /// Root hash.
    pub root: Hash,
}

impl Checkpoint {
    /// The checkpoint text (three lines).
    pub fn text(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        )
    }

    /// Parses checkpoint text (extension lines after the third are refused:
    /// hwprov writes none).
    pub fn parse(text: &str) -> Result<Checkpoint, NoteError> {
        let bad = |reason| NoteError::BadCheckpoint { reason };
        let lines: Vec<&str> = text
            .strip_suffix('\n')
            .ok_or(bad("must end in a newline"))?
            .split('\n')
            .collect();
        let [origin, size, root] = lines.as_slice() else {
            return Err(bad("expected origin, size and root hash lines"));
        };
        if origin.is_empty() {
            return Err(bad("empty origin"));
        }
        if size.is_empty()
            || (size.len() > 1 && size.starts_with('0'))
            || !size.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad("size must be a decimal number without leading zeros"));
        }
        let size = size.parse().map_err(|_| bad("size out of range"))?;
        let root: Hash = B64
            .decode(root)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(bad("root hash must be base64 of 32 bytes"))?;
        Ok(Checkpoint {
            origin: (*origin).to_owned(),
            size,
            root,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc8032_test1() -> SecretKey {
        let seed = crate::wire::digest::parse_hex32(
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        )
        .unwrap();
        SecretKey::from_seed(&seed)
    }

    /// Expected bytes written by hand from the C2SP signed-note and
    /// tlog-checkpoint specs and computed with Python's `cryptography`
    /// (an independent implementation), for RFC 8032 TEST 1's key.
    const VKEY: &str =
        "example.com/hwprov-log+84376ddb+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea";
    const NOTE: &str = "example.com/hwprov-log\n5\np79i1UosWztxJq6FlTnHldnw2qVzDPMfGoVqx77IQuA=\n\n\u{2014} example.com/hwprov-log hDdt22q2NUJY0XMf6YFojoeqpNsa3MLArOqKSdnSY2+ZoKiZJWXnklpYdz3LYzakXs/8SSV00wAOp059KWBuMICmYQk=\n";

    #[test]
    fn matches_an_independent_implementation() {
        let k = rfc8032_test1();
        let v = Verifier::new("example.com/hwprov-log", k.public()).unwrap();
        assert_eq!(v.to_vkey(), VKEY);
        assert_eq!(Verifier::parse(VKEY).unwrap(), v);
        let cp = Checkpoint {
            origin: "example.com/hwprov-log".into(),
            size: 5,
            root: crate::Sha256::of(b"hwprov checkpoint test").0,
        };
        let note = sign(&cp.text(), "example.com/hwprov-log", &k).unwrap();
        assert_eq!(note, NOTE);
        let text = open(NOTE, &v).unwrap();
        assert_eq!(Checkpoint::parse(text).unwrap(), cp);
    }

    #[test]
    fn refuses_tampering_and_other_keys() {
        let v = Verifier::parse(VKEY).unwrap();
        assert_eq!(
            open(&NOTE.replace("\n5\n", "\n6\n"), &v),
            Err(NoteError::NotSigned)
        );
        let other = Verifier::new(
            "example.com/hwprov-log",
            SecretKey::from_seed(&[9; 32]).public(),
        )
        .unwrap();
        assert_eq!(open(NOTE, &other), Err(NoteError::NotSigned));
        assert!(Verifier::parse(&VKEY.replace("+84376ddb+", "+84376ddc+")).is_err());
        assert!(open("no blank line\n", &v).is_err());
        for bad in [
            "o\n05\nAAAA\n",
            "o\n5\nAAAA\n",
            "\n5\np79i1UosWztxJq6FlTnHldnw2qVzDPMfGoVqx77IQuA=\n",
            "o\n5\np79i1UosWztxJq6FlTnHldnw2qVzDPMfGoVqx77IQuA=\nextra\n",
        ] {
            assert!(Checkpoint::parse(bad).is_err(), "{bad:?}");
        }
    }
}
