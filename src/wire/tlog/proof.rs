//! C2SP `tlog-proof@v1`: an offline proof that an entry is in a log, with
//! the log's checkpoint and its cosignatures.
//!
//! ```text
//! c2sp.org/tlog-proof@v1
//! extra <base64>            (optional)
//! index <decimal>
//! <base64 hash>             (0 to 63 lines: the RFC 9162 inclusion path)
//!
//! <checkpoint, verbatim, with its signature lines>
//! ```
//!
//! hwprov reads it strictly: no leading zeros, standard padded base64,
//! each hash 32 bytes, at most 63 of them, the checkpoint a well-formed
//! signed note, the whole proof at most [`MAX_PROOF_BYTES`].

use crate::wire::tlog::merkle::{self, Hash};
use crate::wire::tlog::note::Note;
use crate::wire::tlog::policy::{Accepted, CheckpointError, TlogPolicy};
use base64::Engine as _;
use std::fmt;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The first line of every proof.
pub const HEADER: &str = "c2sp.org/tlog-proof@v1";
/// Largest proof accepted: a bundle element (SPEC 4 allows 1 MiB a
/// statement), far above an entry, 63 hashes and a checkpoint with
/// [`crate::wire::tlog::note::MAX_SIGNATURES`] signatures.
pub const MAX_PROOF_BYTES: usize = 1 << 20;
/// Longest inclusion path (a tree of 2^63 leaves).
pub const MAX_PATH: usize = 63;

/// A parsed tlog-proof (nothing verified yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlogProof {
    /// The `extra` data (hwprov: the log entry's bytes).
    pub extra: Option<Vec<u8>>,
    /// The entry's index.
    pub index: u64,
    /// The inclusion path, from the leaf's sibling up.
    pub path: Vec<Hash>,
    /// The signed checkpoint, verbatim.
    pub checkpoint: String,
}

/// Why a proof was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlogProofError {
    /// Not a well-formed proof.
    Malformed(&'static str),
    /// The checkpoint does not satisfy the policy.
    Checkpoint(CheckpointError),
    /// The inclusion path does not lead to the checkpoint's root.
    NotIncluded(merkle::ProofError),
}

impl fmt::Display for TlogProofError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlogProofError::Malformed(m) => write!(f, "tlog-proof: {m}"),
            TlogProofError::Checkpoint(e) => write!(f, "tlog-proof checkpoint: {e}"),
            TlogProofError::NotIncluded(e) => write!(f, "tlog-proof inclusion: {e}"),
        }
    }
}

impl std::error::Error for TlogProofError {}

fn decimal(s: &str) -> Option<u64> {
    if s.is_empty() || (s.len() > 1 && s.starts_with('0')) || !s.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    s.parse().ok()
}

impl TlogProof {
    /// Whether `bytes` starts like a tlog-proof (a bundle element).
    pub fn is_proof(bytes: &[u8]) -> bool {
        bytes.starts_with(HEADER.as_bytes())
    }

    /// The proof as text.
    pub fn encode(&self) -> String {
        let mut s = format!("{HEADER}\n");
        if let Some(x) = &self.extra {
            s.push_str(&format!("extra {}\n", B64.encode(x)));
        }
        s.push_str(&format!("index {}\n", self.index));
        for h in &self.path {
            s.push_str(&B64.encode(h));
            s.push('\n');
        }
        s.push('\n');
        s.push_str(&self.checkpoint);
        s
    }

    /// Parses a proof.
    pub fn parse(bytes: &[u8]) -> Result<TlogProof, TlogProofError> {
        let bad = TlogProofError::Malformed;
        if bytes.len() > MAX_PROOF_BYTES {
            return Err(bad("larger than 1 MiB"));
        }
        let text = std::str::from_utf8(bytes).map_err(|_| bad("not UTF-8 text"))?;
        let (head, checkpoint) = text
            .split_once("\n\n")
            .ok_or(bad("no empty line before the checkpoint"))?;
        let mut lines = head.split('\n');
        if lines.next() != Some(HEADER) {
            return Err(bad("first line is not c2sp.org/tlog-proof@v1"));
        }
        let mut line = lines.next().ok_or(bad("no index line"))?;
        let mut extra = None;
        if let Some(x) = line.strip_prefix("extra ") {
            let data = B64.decode(x).map_err(|_| bad("extra is not base64"))?;
            if data.is_empty() {
                return Err(bad("empty extra data (omit the line instead)"));
            }
            extra = Some(data);
            line = lines.next().ok_or(bad("no index line"))?;
        }
        let index = line
            .strip_prefix("index ")
            .and_then(decimal)
            .ok_or(bad("expected 'index <decimal>' without leading zeros"))?;
        let mut path = Vec::new();
        for l in lines {
            if path.len() == MAX_PATH {
                return Err(bad("more than 63 inclusion hashes"));
            }
            let h: Hash = B64
                .decode(l)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or(bad("an inclusion line is not base64 of 32 bytes"))?;
            path.push(h);
        }
        Note::parse(checkpoint).map_err(|_| bad("the checkpoint is not a signed note"))?;
        Ok(TlogProof {
            extra,
            index,
            path,
            checkpoint: checkpoint.to_owned(),
        })
    }

    /// Verifies the proof for the leaf `entry` (its bytes, hashed as an
    /// RFC 9162 leaf): the checkpoint satisfies `policy` (a listed log's
    /// signature and the witness quorum) and the path leads from the leaf
    /// at `index` to its root.
    pub fn verify(&self, policy: &TlogPolicy, entry: &[u8]) -> Result<Accepted, TlogProofError> {
        let accepted = policy
            .verify_checkpoint(&self.checkpoint)
            .map_err(TlogProofError::Checkpoint)?;
        let cp = &accepted.checkpoint;
        merkle::verify_inclusion(
            self.index,
            cp.size,
            &merkle::leaf_hash(entry),
            &self.path,
            &cp.root,
        )
        .map_err(TlogProofError::NotIncluded)?;
        Ok(accepted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::keys::SecretKey;
    use crate::wire::tlog::note::{self, Checkpoint, Verifier};

    fn proof_of(leaves: &[&[u8]], index: usize) -> (TlogProof, TlogPolicy) {
        let mut tree = merkle::MemoryTree::default();
        for l in leaves {
            tree.push(l);
        }
        let size = leaves.len() as u64;
        let root = merkle::tree_hash(size, |i| tree.get(i)).unwrap();
        let path: Vec<Hash> =
            merkle::inclusion_proof::<merkle::ProofError>(index as u64, size, |i| tree.get(i))
                .unwrap();
        let key = SecretKey::from_seed(&[5; 32]);
        let cp = Checkpoint {
            origin: "log.example".into(),
            size,
            root,
        };
        let checkpoint = note::sign(&cp.text(), "log.example", &key).unwrap();
        let v = Verifier::new("log.example", key.public()).unwrap();
        let policy =
            TlogPolicy::parse(format!("log {}\nquorum none\n", v.to_vkey()).as_bytes()).unwrap();
        (
            TlogProof {
                extra: Some(leaves[index].to_vec()),
                index: index as u64,
                path,
                checkpoint,
            },
            policy,
        )
    }

    #[test]
    fn round_trips_and_verifies() {
        let leaves: Vec<&[u8]> = vec![b"a", b"b", b"c", b"d", b"e"];
        for i in 0..leaves.len() {
            let (p, policy) = proof_of(&leaves, i);
            let text = p.encode();
            assert!(TlogProof::is_proof(text.as_bytes()));
            let back = TlogProof::parse(text.as_bytes()).unwrap();
            assert_eq!(back, p);
            assert!(back.verify(&policy, leaves[i]).is_ok());
            // Another leaf at this index is not included.
            assert!(matches!(
                back.verify(&policy, b"z"),
                Err(TlogProofError::NotIncluded(_))
            ));
        }
    }

    #[test]
    fn refuses_malformed_proofs() {
        let (p, _) = proof_of(&[b"a", b"b", b"c"], 1);
        let good = p.encode();
        for bad in [
            good.replacen("c2sp.org/tlog-proof@v1", "c2sp.org/tlog-proof@v2", 1),
            good.replacen("index 1", "index 01", 1),
            good.replacen("index 1", "index  1", 1),
            good.replacen("\nindex 1\n", "\n", 1),
            good.replacen("extra Yg==", "extra Yg", 1),
            good.replacen("extra Yg==", "extra ", 1),
            good.replacen("\n\n", "\n", 1),
            format!("{}\n", good.replacen("index 1\n", "index 1\nAAAA\n", 1)),
            good.replacen("\u{2014}", "-", 1),
        ] {
            assert!(TlogProof::parse(bad.as_bytes()).is_err(), "{bad}");
        }
        let long = good.replacen(
            "index 1\n",
            &format!(
                "index 1\n{}",
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n".repeat(64)
            ),
            1,
        );
        assert!(TlogProof::parse(long.as_bytes()).is_err());
        assert!(TlogProof::parse(&vec![b'a'; MAX_PROOF_BYTES + 1]).is_err());
    }
}
