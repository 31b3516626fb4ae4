//! RFC 9162 inclusion and consistency proofs against the transparency-dev
//! Merkle vectors in test-vectors/outside/merkle (sources and licences in
//! test-vectors/outside/README.md): every
//! happy path verifies and every tampered vector fails; proofs hwprov
//! generates for the RFC 6962 test tree equal the published ones.

mod common;

use base64::Engine as _;
use hwprov::wire::tlog::merkle::{self, Hash, MemoryTree};
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (the Merkle vectors ship in the repository)",
            dir.display()
        )
    });
    for e in entries {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}

fn b64(v: &serde_json::Value) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(v.as_str().unwrap_or(""))
        .ok()
}

/// A hash field: anything that is not 32 bytes makes verification fail.
fn hash(v: &serde_json::Value) -> Option<Hash> {
    b64(v).and_then(|b| b.try_into().ok())
}

fn proof(v: &serde_json::Value) -> Option<Vec<Hash>> {
    match v.as_array() {
        None => Some(vec![]),
        Some(items) => items.iter().map(hash).collect(),
    }
}

/// The RFC 6962 test tree the vectors are made from.
fn test_tree() -> MemoryTree {
    let leaves: [&[u8]; 8] = [
        b"",
        b"\x00",
        b"\x10",
        b"\x20\x21",
        b"\x30\x31",
        b"\x40\x41\x42\x43",
        b"\x50\x51\x52\x53\x54\x55\x56\x57",
        b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
    ];
    let mut t = MemoryTree::default();
    for l in leaves {
        t.push(l);
    }
    t
}

#[test]
fn inclusion_vectors() {
    let mut all = Vec::new();
    files(&common::outside().join("merkle/inclusion"), &mut all);
    assert_eq!(all.len(), 98);
    let tree = test_tree();
    let (mut ok, mut rejected, mut generated) = (0, 0, 0);
    for f in all {
        let v: serde_json::Value = serde_json::from_slice(
            &std::fs::read(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display())),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let want_err = v["wantErr"].as_bool().unwrap();
        let idx = v["leafIdx"].as_u64().unwrap();
        let size = v["treeSize"].as_u64().unwrap();
        let result = match (hash(&v["leafHash"]), hash(&v["root"]), proof(&v["proof"])) {
            (Some(leaf), Some(root), Some(p)) => {
                merkle::verify_inclusion(idx, size, &leaf, &p, &root).is_ok()
            }
            _ => false,
        };
        assert_eq!(result, !want_err, "{}: {}", f.display(), v["desc"]);
        if want_err {
            rejected += 1
        } else {
            ok += 1
        }
        // Our own proof for the same leaf equals the published one.
        if !want_err && size <= 8 && size > 0 {
            let mine =
                merkle::inclusion_proof::<merkle::ProofError>(idx, size, |i| tree.get(i)).unwrap();
            if merkle::tree_hash(size, |i| tree.get(i)).unwrap() == hash(&v["root"]).unwrap() {
                assert_eq!(Some(mine), proof(&v["proof"]), "{}", f.display());
                generated += 1;
            }
        }
    }
    assert_eq!((ok, rejected), (6, 92));
    assert!(generated >= 4, "only {generated} generated proofs compared");
}

#[test]
fn consistency_vectors() {
    let mut all = Vec::new();
    files(&common::outside().join("merkle/consistency"), &mut all);
    assert_eq!(all.len(), 98);
    let tree = test_tree();
    let (mut ok, mut rejected, mut generated) = (0, 0, 0);
    for f in all {
        let v: serde_json::Value = serde_json::from_slice(
            &std::fs::read(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display())),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let want_err = v["wantErr"].as_bool().unwrap();
        let (s1, s2) = (v["size1"].as_u64().unwrap(), v["size2"].as_u64().unwrap());
        // The "additional" vectors use placeholder roots that are not 32-byte
        // hashes; they are mapped to 32 bytes (their SHA-256), which keeps
        // equal roots equal and different ones different, and the library decides.
        let root =
            |x: &serde_json::Value| hash(x).or_else(|| b64(x).map(|b| hwprov::Sha256::of(&b).0));
        let result = match (root(&v["root1"]), root(&v["root2"]), proof(&v["proof"])) {
            (Some(r1), Some(r2), Some(p)) => {
                merkle::verify_consistency(s1, s2, &p, &r1, &r2).is_ok()
            }
            _ => false,
        };
        assert_eq!(result, !want_err, "{}: {}", f.display(), v["desc"]);
        if want_err {
            rejected += 1
        } else {
            ok += 1
        }
        if !want_err
            && s2 <= 8
            && s1 > 0
            && Some(merkle::tree_hash(s2, |i| tree.get(i)).unwrap()) == hash(&v["root2"])
        {
            let mine =
                merkle::consistency_proof::<merkle::ProofError>(s1, s2, |i| tree.get(i)).unwrap();
            assert_eq!(Some(mine), proof(&v["proof"]), "{}", f.display());
            generated += 1;
        }
    }
    assert_eq!((ok, rejected), (6, 92));
    assert!(generated >= 3, "only {generated} generated proofs compared");
}
