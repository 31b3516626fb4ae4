//! COSE receipts of inclusion (SPEC 10.5, RFC 9942): a `COSE_Sign1` by the
//! log's key that an entry is in the tree, carried without the log. The
//! protected header holds `alg` (-8, EdDSA), `kid` (the log key's id) and
//! `vds` (395) = 1 (RFC 9162 SHA-256); the unprotected header holds `vdp`
//! (396) = `{-1: [bstr .cbor [tree size, leaf index, [hashes]]]}`; the
//! payload is detached: it is the tree's root, which a verifier computes
//! from the entry and the inclusion path, then checks the signature over.

use crate::audit::log::{Log, LogError};
use crate::wire::cbor::{self, Value};
use crate::wire::keys::PublicKey;
use crate::wire::tlog::merkle::{self, Hash};
use std::fmt;

/// COSE header label `vds` (verifiable data structure).
pub const VDS: u64 = 395;
/// COSE header label `vdp` (verifiable data structure proofs).
pub const VDP: u64 = 396;
/// `vds` value of RFC 9162 Merkle trees with SHA-256.
pub const RFC9162_SHA256: u64 = 1;
/// Deepest nesting a receipt has (tag, array, map, map, array, ...).
const DEPTH: usize = 8;
/// Largest receipt: 64 levels of 32-byte hashes and headers.
const MAX_BYTES: usize = 8 * 1024;

/// Why a receipt was not made or does not verify.
#[derive(Debug)]
#[non_exhaustive]
pub enum ReceiptError {
    /// The log could not give the proof or the key.
    Log(LogError),
    /// The receipt is not one hwprov makes (the reason).
    Malformed(String),
    /// The inclusion path does not lead from the entry to a root.
    Proof(String),
    /// The signature does not verify with the key over the computed root.
    Signature,
}

impl fmt::Display for ReceiptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReceiptError::Log(e) => write!(f, "{e}"),
            ReceiptError::Malformed(m) => write!(f, "not a receipt of inclusion: {m}"),
            ReceiptError::Proof(m) => write!(f, "the inclusion path does not hold: {m}"),
            ReceiptError::Signature => write!(
                f,
                "the receipt's signature does not verify with the log's key over the root its inclusion path gives (another entry, another log, or an altered receipt)"
            ),
        }
    }
}

impl std::error::Error for ReceiptError {}

impl From<LogError> for ReceiptError {
    fn from(e: LogError) -> Self {
        ReceiptError::Log(e)
    }
}

fn protected(key: &PublicKey) -> Vec<u8> {
    cbor::encode_deterministic(&Value::Map(vec![
        (Value::Uint(1), Value::Nint(7)),
        (Value::Uint(4), Value::Bytes(key.id().0.to_vec())),
        (Value::Uint(VDS), Value::Uint(RFC9162_SHA256)),
    ]))
}

fn to_be_signed(protected: &[u8], root: &Hash) -> Vec<u8> {
    cbor::encode(&Value::Array(vec![
        Value::Text("Signature1".into()),
        Value::Bytes(protected.to_vec()),
        Value::Bytes(Vec::new()),
        Value::Bytes(root.to_vec()),
    ]))
}

/// A receipt that entry `index` is in the log's tree of `size` entries,
/// signed with the log's key (`DIR/log.key`). RFC 9942's inclusion path is
/// never empty, so the tree must hold at least two entries.
pub fn make(log: &Log, index: u64, size: u64) -> Result<Vec<u8>, ReceiptError> {
    if size < 2 {
        return Err(ReceiptError::Malformed(format!(
            "a tree of {size} entr{} has an empty inclusion path, which an RFC 9942 receipt cannot carry; make the receipt once the log holds two entries",
            if size == 1 { "y" } else { "ies" }
        )));
    }
    let key = log.signing_key()?;
    let (_, root, proof) = log.prove(index, size)?;
    let prot = protected(&key.public());
    let path = Value::Array(proof.iter().map(|h| Value::Bytes(h.to_vec())).collect());
    let inclusion = cbor::encode(&Value::Array(vec![
        Value::Uint(size),
        Value::Uint(index),
        path,
    ]));
    let signature = key.sign(&to_be_signed(&prot, &root));
    Ok(cbor::encode(&Value::Tag(
        18,
        Box::new(Value::Array(vec![
            Value::Bytes(prot),
            Value::Map(vec![(
                Value::Uint(VDP),
                Value::Map(vec![(
                    Value::Nint(0),
                    Value::Array(vec![Value::Bytes(inclusion)]),
                )]),
            )]),
            Value::Null,
            Value::Bytes(signature.to_vec()),
        ])),
    )))
}

/// What a verified receipt proves: `entry` is leaf `index` of the tree of
/// `size` entries whose root is `root`, signed by the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Proven {
    /// Tree size.
    pub size: u64,
    /// Leaf index.
    pub index: u64,
    /// The root the path gives and the signature covers.
    pub root: Hash,
}

fn bad<T>(m: &str) -> Result<T, ReceiptError> {
    Err(ReceiptError::Malformed(m.to_owned()))
}

/// Verifies a receipt for `entry` (the entry's exact bytes) under the
/// log's key: the path from the entry's leaf hash gives a root, and the
/// signature covers that root. Strict: the profile [`make`] writes, one
/// inclusion proof, `alg` EdDSA, `vds` 1, the key's id as `kid`.
pub fn verify(receipt: &[u8], entry: &[u8], key: &PublicKey) -> Result<Proven, ReceiptError> {
    if receipt.len() > MAX_BYTES {
        return bad("larger than 8 KiB");
    }
    let v = cbor::decode(receipt, DEPTH).map_err(|e| ReceiptError::Malformed(e.to_string()))?;
    let Value::Tag(18, body) = v else {
        return bad("not a tagged COSE_Sign1");
    };
    let Value::Array(items) = *body else {
        return bad("not a COSE_Sign1 array");
    };
    let [
        Value::Bytes(prot),
        Value::Map(unprot),
        Value::Null,
        Value::Bytes(sig),
    ] = items.as_slice()
    else {
        return bad("not [protected, unprotected, nil (detached root), signature]");
    };
    if *prot != protected(key) {
        return bad("the protected header is not {alg: EdDSA, kid: the log key's id, vds: 1}");
    }
    let [(Value::Uint(VDP), Value::Map(vdp))] = unprot.as_slice() else {
        return bad("the unprotected header is not {396: proofs}");
    };
    let [(Value::Nint(0), Value::Array(proofs))] = vdp.as_slice() else {
        return bad("the proofs are not {-1: [inclusion proof]}");
    };
    let [Value::Bytes(inclusion)] = proofs.as_slice() else {
        return bad("not exactly one inclusion proof");
    };
    let p = cbor::decode(inclusion, 3).map_err(|e| ReceiptError::Malformed(e.to_string()))?;
    let Value::Array(parts) = p else {
        return bad("the inclusion proof is not [size, index, path]");
    };
    let [Value::Uint(size), Value::Uint(index), Value::Array(path)] = parts.as_slice() else {
        return bad("the inclusion proof is not [size, index, path]");
    };
    if path.is_empty() || path.len() > 64 {
        return bad("the inclusion path is empty or longer than 64 hashes");
    }
    let mut hashes = Vec::with_capacity(path.len());
    for h in path {
        match h {
            Value::Bytes(b) => match <Hash>::try_from(b.as_slice()) {
                Ok(h) => hashes.push(h),
                Err(_) => return bad("a path hash is not 32 bytes"),
            },
            _ => return bad("a path hash is not a byte string"),
        }
    }
    let root = merkle::root_from_inclusion(*index, *size, &merkle::leaf_hash(entry), &hashes)
        .map_err(|e| ReceiptError::Proof(e.to_string()))?;
    key.verify(&to_be_signed(prot, &root), sig)
        .map_err(|_| ReceiptError::Signature)?;
    Ok(Proven {
        size: *size,
        index: *index,
        root,
    })
}
