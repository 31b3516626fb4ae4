//! C2SP signed notes (`signed-note`) with Ed25519, and the tlog checkpoint
//! body (`tlog-checkpoint`) the verification log signs.
//!
//! - key hash: the first 4 bytes of SHA-256(name || "\n" || 0x01 || public key);
//! - verifier key: `<name>+<8 hex key hash>+<base64(0x01 || public key)>`;
//! - note: the text (ending in a newline), an empty line, then signature
//!   lines `— <name> <base64(key hash || signature)>` (U+2014, space);
//! - checkpoint text: origin line, decimal tree size, base64 root hash;
//! - cosignature (C2SP `tlog-cosignature`, cosignature/v1): a signature
//!   line by a witness key (type 0x04) whose signature is
//!   `key hash || u64 big-endian time || Ed25519 signature` over
//!   `"cosignature/v1\ntime <t>\n" || checkpoint text`.

use crate::wire::keys::{PublicKey, SecretKey};
use crate::wire::tlog::merkle::Hash;
use base64::Engine as _;
use sha2::{Digest as _, Sha256};
use std::fmt;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const ED25519: u8 = 0x01;
const COSIGNATURE_V1: u8 = 0x04;
/// Most signature lines a note may carry. C2SP asks verifiers to accept at
/// least 16; a checkpoint with more than this many cosignatures is refused
/// rather than verified line by line without end.
pub const MAX_SIGNATURES: usize = 64;
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
    /// A signature line by the expected key does not verify.
    BadSignature,
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
            NoteError::BadSignature => write!(
                f,
                "signed note: a signature line by a trusted key does not verify"
            ),
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

/// The 4-byte key hash of an Ed25519 note key under a name.
pub fn key_hash(name: &str, key: &PublicKey) -> [u8; 4] {
    typed_key_hash(name, ED25519, key)
}

fn typed_key_hash(name: &str, kind: u8, key: &PublicKey) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([kind]);
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

fn vkey_string(name: &str, kind: u8, key: &PublicKey) -> String {
    let mut raw = vec![kind];
    raw.extend_from_slice(&key.to_bytes());
    format!(
        "{}+{}+{}",
        name,
        crate::wire::digest::hex(&typed_key_hash(name, kind, key)),
        B64.encode(raw)
    )
}

/// Parses `<name>+<hash>+<base64(kind || key)>` for an Ed25519 key of the
/// given signature type, checking its key hash.
fn parse_vkey(vkey: &str, kind: u8) -> Result<(String, PublicKey), NoteError> {
    let bad = |reason| NoteError::BadVerifierKey { reason };
    let mut parts = vkey.trim_end_matches('\n').splitn(3, '+');
    let (Some(name), Some(hash), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad("expected <name>+<hash>+<key>"));
    };
    check_name(name)?;
    let raw = B64.decode(key).map_err(|_| bad("key is not base64"))?;
    let Some((&k, rest)) = raw.split_first() else {
        return Err(bad("key is empty"));
    };
    if k != kind {
        return Err(bad(if kind == ED25519 {
            "a log key must be an Ed25519 note key (type 0x01)"
        } else {
            "a witness key must be an Ed25519 cosignature key (type 0x04)"
        }));
    }
    let pk: [u8; 32] = rest
        .try_into()
        .map_err(|_| bad("Ed25519 key must be 32 bytes"))?;
    let key = PublicKey::from_bytes(&pk).map_err(|_| bad("not a valid Ed25519 public key"))?;
    if crate::wire::digest::hex(&typed_key_hash(name, kind, &key)) != hash {
        return Err(bad("key hash does not match the name and key"));
    }
    Ok((name.to_owned(), key))
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
        vkey_string(&self.name, ED25519, &self.key)
    }

    /// Parses a verifier key string, checking its key hash.
    pub fn parse(vkey: &str) -> Result<Verifier, NoteError> {
        let (name, key) = parse_vkey(vkey, ED25519)?;
        Ok(Verifier { name, key })
    }
}

/// A witness (cosigner) key: a name and an Ed25519 key used for
/// cosignature/v1 (signature type 0x04).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Witness {
    /// The cosigner's name (a schema-less URL, by convention).
    pub name: String,
    /// The key.
    pub key: PublicKey,
}

impl Witness {
    /// A witness key for `key` under `name`.
    pub fn new(name: &str, key: PublicKey) -> Result<Witness, NoteError> {
        check_name(name)?;
        Ok(Witness {
            name: name.to_owned(),
            key,
        })
    }

    /// `<name>+<hex key id>+<base64(0x04 || key)>`.
    pub fn to_vkey(&self) -> String {
        vkey_string(&self.name, COSIGNATURE_V1, &self.key)
    }

    /// Parses a witness verifier key (type 0x04), checking its key id.
    pub fn parse(vkey: &str) -> Result<Witness, NoteError> {
        let (name, key) = parse_vkey(vkey, COSIGNATURE_V1)?;
        Ok(Witness { name, key })
    }

    /// The key id its cosignature lines carry.
    pub fn key_id(&self) -> [u8; 4] {
        typed_key_hash(&self.name, COSIGNATURE_V1, &self.key)
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

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature<'a> {
    /// The key name.
    pub name: &'a str,
    /// The line as written (for copying it into another note).
    pub line: &'a str,
    /// The decoded signature: key id, then the algorithm's bytes.
    pub blob: Vec<u8>,
}

/// A signed note split into its text and its signature lines (none of them
/// verified yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note<'a> {
    /// The text, ending in its newline.
    pub text: &'a str,
    /// The signature lines, in order.
    pub signatures: Vec<Signature<'a>>,
}

impl<'a> Note<'a> {
    /// Splits a note (C2SP signed-note): UTF-8 without control characters
    /// but newline, the text, the last empty line, then 1 to
    /// [`MAX_SIGNATURES`] lines `— <name> <base64>`, each ending in a newline.
    pub fn parse(note: &'a str) -> Result<Note<'a>, NoteError> {
        let bad = |reason| NoteError::Malformed { reason };
        if note.chars().any(|c| c.is_control() && c != '\n') {
            return Err(bad("control characters other than newline"));
        }
        let split = note
            .rfind("\n\n")
            .ok_or(bad("no empty line before the signatures"))?;
        let text = &note[..=split];
        let sigs = &note[split + 2..];
        if !sigs.ends_with('\n') || sigs.is_empty() {
            return Err(bad("signature block must end in a newline"));
        }
        let mut signatures = Vec::new();
        for line in sigs[..sigs.len() - 1].split('\n') {
            if signatures.len() == MAX_SIGNATURES {
                return Err(bad("more signature lines than hwprov accepts (64)"));
            }
            let rest = line
                .strip_prefix(DASH)
                .ok_or(bad("signature line does not start with '— '"))?;
            let (name, b64) = rest
                .split_once(' ')
                .ok_or(bad("signature line needs a name and a signature"))?;
            check_name(name).map_err(|_| bad("signature line has a malformed key name"))?;
            let blob = B64
                .decode(b64)
                .map_err(|_| bad("signature is not base64"))?;
            if blob.len() < 4 {
                return Err(bad("signature shorter than its key id"));
            }
            signatures.push(Signature { name, line, blob });
        }
        Ok(Note { text, signatures })
    }

    /// Checks the log's signature: at least one line by `verifier` must
    /// verify, and every line with its name and key id must (C2SP lets a
    /// verifier reject a note with a bad signature by a known key; hwprov
    /// does).
    pub fn verify(&self, verifier: &Verifier) -> Result<(), NoteError> {
        let want = key_hash(&verifier.name, &verifier.key);
        let mut ok = false;
        for s in &self.signatures {
            if s.name != verifier.name || s.blob[..4] != want {
                continue;
            }
            if s.blob.len() != 68
                || verifier
                    .key
                    .verify(self.text.as_bytes(), &s.blob[4..])
                    .is_err()
            {
                return Err(NoteError::BadSignature);
            }
            ok = true;
        }
        if ok {
            Ok(())
        } else {
            Err(NoteError::NotSigned)
        }
    }

    /// The time of `witness`'s valid cosignature, `None` if the note holds
    /// no line by it; an error if a line by it does not verify.
    pub fn cosigned_by(&self, witness: &Witness) -> Result<Option<u64>, NoteError> {
        let id = witness.key_id();
        let mut time = None;
        for s in &self.signatures {
            if s.name != witness.name || s.blob[..4] != id {
                continue;
            }
            let Some((t, sig)) = cosignature_parts(&s.blob) else {
                return Err(NoteError::BadSignature);
            };
            if t > i64::MAX as u64
                || witness
                    .key
                    .verify(cosigned_message(self.text, t).as_bytes(), sig)
                    .is_err()
            {
                return Err(NoteError::BadSignature);
            }
            time = Some(time.map_or(t, |old: u64| old.max(t)));
        }
        Ok(time)
    }
}

/// A cosignature/v1 signature's `timestamped_signature`: key id (4 bytes),
/// then the time (u64, big-endian) and the Ed25519 signature (64 bytes).
pub fn cosignature_parts(blob: &[u8]) -> Option<(u64, &[u8])> {
    if blob.len() != 4 + 8 + 64 {
        return None;
    }
    let (t, sig) = blob[4..].split_at(8);
    let mut tb = [0u8; 8];
    tb.copy_from_slice(t);
    Some((u64::from_be_bytes(tb), sig))
}

fn cosigned_message(text: &str, time: u64) -> String {
    format!("cosignature/v1\ntime {time}\n{text}")
}

/// A cosignature/v1 line (with its newline) by `name`'s `key` over the
/// checkpoint `text` at POSIX time `time`.
pub fn cosign(text: &str, name: &str, key: &SecretKey, time: u64) -> Result<String, NoteError> {
    let w = Witness::new(name, key.public())?;
    if time > i64::MAX as u64 {
        return Err(NoteError::Malformed {
            reason: "cosignature time above 2^63 - 1",
        });
    }
    let sig = key.sign(cosigned_message(text, time).as_bytes());
    let mut blob = w.key_id().to_vec();
    blob.extend_from_slice(&time.to_be_bytes());
    blob.extend_from_slice(&sig);
    Ok(format!("{DASH}{name} {}\n", B64.encode(blob)))
}

/// Opens a signed note: returns its text if a signature line by `verifier`
/// verifies (and none by it fails). Signatures by other keys are ignored.
pub fn open<'a>(note: &'a str, verifier: &Verifier) -> Result<&'a str, NoteError> {
    let n = Note::parse(note)?;
    n.verify(verifier)?;
    Ok(n.text)
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
            Err(NoteError::BadSignature)
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

    /// The cosignature example of C2SP tlog-cosignature ("Format"): the
    /// signature is the key id, the time of the signed-message example
    /// (`time 1679315147`) as a big-endian u64, then 64 bytes.
    #[test]
    fn reads_the_c2sp_cosignature_example() {
        let note = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n\u{2014} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n\u{2014} witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n";
        let n = Note::parse(note).unwrap();
        assert_eq!(n.signatures.len(), 2);
        assert_eq!(n.signatures[1].name, "witness.example.com/w1");
        let (t, sig) = cosignature_parts(&n.signatures[1].blob).unwrap();
        assert_eq!(t, 1_679_315_147);
        assert_eq!(sig.len(), 64);
        assert_eq!(
            cosigned_message(n.text, t),
            "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
        );
        let cp = Checkpoint::parse(n.text).unwrap();
        assert_eq!(cp.size, 20_852_163);
    }

    #[test]
    fn cosignatures_verify_and_tampering_fails() {
        let k = rfc8032_test1();
        let w = SecretKey::from_seed(&[3; 32]);
        let line = cosign(
            &NOTE[..NOTE.find("\n\n").unwrap() + 1],
            "w.example/1",
            &w,
            1_700_000_000,
        )
        .unwrap();
        let witness = Witness::new("w.example/1", w.public()).unwrap();
        assert_eq!(Witness::parse(&witness.to_vkey()).unwrap(), witness);
        // A witness vkey is not a log vkey, and the other way round.
        assert!(Verifier::parse(&witness.to_vkey()).is_err());
        assert!(Witness::parse(VKEY).is_err());
        let both = format!("{NOTE}{line}");
        let n = Note::parse(&both).unwrap();
        n.verify(&Verifier::parse(VKEY).unwrap()).unwrap();
        assert_eq!(n.cosigned_by(&witness), Ok(Some(1_700_000_000)));
        // Another witness: no line by it.
        let other = Witness::new("w.example/2", k.public()).unwrap();
        assert_eq!(n.cosigned_by(&other), Ok(None));
        // A changed time breaks the signature.
        let blob = B64
            .decode(line.trim_end().rsplit(' ').next().unwrap())
            .unwrap();
        let mut bad = blob.clone();
        bad[11] ^= 1;
        let forged = format!("{NOTE}{DASH}w.example/1 {}\n", B64.encode(bad));
        assert_eq!(
            Note::parse(&forged).unwrap().cosigned_by(&witness),
            Err(NoteError::BadSignature)
        );
        // A bad line by the log's own key rejects the note.
        let mut sig = B64
            .decode(NOTE.trim_end().rsplit(' ').next().unwrap())
            .unwrap();
        sig[10] ^= 1;
        let twice = format!("{NOTE}{DASH}example.com/hwprov-log {}\n", B64.encode(sig));
        assert_eq!(
            open(&twice, &Verifier::parse(VKEY).unwrap()),
            Err(NoteError::BadSignature)
        );
    }

    #[test]
    fn notes_are_bounded_and_strict() {
        let many = format!(
            "{NOTE}{}",
            format!("{DASH}x AAAAAAAA\n").repeat(MAX_SIGNATURES)
        );
        assert!(Note::parse(&many).is_err());
        assert!(Note::parse(&NOTE.replace("\n5\n", "\n5\r\n")).is_err());
        assert!(Note::parse(&format!("{NOTE}{DASH}x AA==\n")).is_err());
    }
}
