//! RFC 9162 Merkle trees: hashing, inclusion and consistency proofs, and
//! their verification.
//!
//! Interior hashes are kept as "stored hashes" in the layout of Go's
//! `golang.org/x/mod/sumdb/tlog`: every leaf hash and every hash of a
//! complete, aligned subtree, in append order, so appending a leaf writes
//! about two hashes and any tree hash or proof reads O(log n) of them.

use sha2::{Digest as _, Sha256};
use std::fmt;

/// A SHA-256 tree hash.
pub type Hash = [u8; 32];

/// `SHA-256(0x00 || data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of the empty tree: `SHA-256("")`.
pub fn empty_root() -> Hash {
    Sha256::digest(b"").into()
}

/// Why a proof or request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProofError {
    /// The index or size is outside the tree.
    OutOfRange {
        /// What was asked.
        what: &'static str,
    },
    /// The proof has the wrong number of hashes.
    WrongLength {
        /// Hashes expected.
        expected: usize,
        /// Hashes given.
        got: usize,
    },
    /// The proof does not lead to the given root.
    RootMismatch,
}

impl fmt::Display for ProofError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProofError::OutOfRange { what } => write!(f, "{what} is outside the tree"),
            ProofError::WrongLength { expected, got } => {
                write!(f, "proof has {got} hashes, {expected} expected")
            }
            ProofError::RootMismatch => write!(f, "proof does not lead to the root hash"),
        }
    }
}

impl std::error::Error for ProofError {}

/// Position of the `n`th hash of `level` in the stored-hash sequence.
pub fn stored_hash_index(level: u32, mut n: u64) -> u64 {
    for _ in 0..level {
        n = 2 * n + 1;
    }
    let mut i = 0u64;
    while n > 0 {
        i += n;
        n >>= 1;
    }
    i + u64::from(level)
}

/// Number of stored hashes of a tree of `n` leaves.
pub fn stored_hash_count(n: u64) -> u64 {
    if n == 0 {
        return 0;
    }
    let mut count = stored_hash_index(0, n - 1) + 1;
    let mut i = n - 1;
    while i & 1 != 0 {
        count += 1;
        i >>= 1;
    }
    count
}

/// The hashes to append to the stored sequence when leaf `n` (0-based,
/// with hash `leaf`) is added: the leaf hash, then one hash per subtree it
/// completes. `read` returns a stored hash by index.
pub fn stored_hashes_for_leaf<E>(
    n: u64,
    leaf: Hash,
    mut read: impl FnMut(u64) -> Result<Hash, E>,
) -> Result<Vec<Hash>, E> {
    let mut out = vec![leaf];
    let mut h = leaf;
    let m = (n + 1).trailing_zeros();
    for i in 0..m {
        let left = read(stored_hash_index(i, (n >> i) - 1))?;
        h = node_hash(&left, &h);
        out.push(h);
    }
    Ok(out)
}

fn largest_pow2_below(n: u64) -> u64 {
    // n >= 2
    1u64 << (63 - (n - 1).leading_zeros())
}

/// Hash of leaves `[lo, hi)` (`lo` aligned as in RFC 9162's recursion);
/// `read(level, n)` returns the root of the complete subtree of 2^level
/// leaves starting at leaf `n * 2^level`.
fn range_hash<E>(
    lo: u64,
    hi: u64,
    read: &mut impl FnMut(u32, u64) -> Result<Hash, E>,
) -> Result<Hash, E> {
    let n = hi - lo;
    if n.is_power_of_two() && lo.is_multiple_of(n) {
        return read(n.trailing_zeros(), lo >> n.trailing_zeros());
    }
    let k = largest_pow2_below(n);
    let left = range_hash(lo, lo + k, read)?;
    let right = range_hash(lo + k, hi, read)?;
    Ok(node_hash(&left, &right))
}

/// The root hash of the first `size` leaves; `read` returns a stored hash
/// by index.
pub fn tree_hash<E>(size: u64, mut read: impl FnMut(u64) -> Result<Hash, E>) -> Result<Hash, E> {
    tree_hash_nodes(size, |l, n| read(stored_hash_index(l, n)))
}

/// The root hash of the first `size` leaves; `read(level, n)` returns the
/// root of the complete subtree of 2^level leaves at leaf `n * 2^level`.
pub fn tree_hash_nodes<E>(
    size: u64,
    mut read: impl FnMut(u32, u64) -> Result<Hash, E>,
) -> Result<Hash, E> {
    if size == 0 {
        return Ok(empty_root());
    }
    range_hash(0, size, &mut read)
}

fn path<E>(
    m: u64,
    lo: u64,
    hi: u64,
    read: &mut impl FnMut(u32, u64) -> Result<Hash, E>,
    out: &mut Vec<Hash>,
) -> Result<(), E> {
    let n = hi - lo;
    if n == 1 {
        return Ok(());
    }
    let k = largest_pow2_below(n);
    if m < k {
        path(m, lo, lo + k, read, out)?;
        out.push(range_hash(lo + k, hi, read)?);
    } else {
        path(m - k, lo + k, hi, read, out)?;
        out.push(range_hash(lo, lo + k, read)?);
    }
    Ok(())
}

/// RFC 9162 §2.1.3.1 inclusion proof of leaf `index` in the tree of `size`.
pub fn inclusion_proof<E: From<ProofError>>(
    index: u64,
    size: u64,
    mut read: impl FnMut(u64) -> Result<Hash, E>,
) -> Result<Vec<Hash>, E> {
    if index >= size {
        return Err(ProofError::OutOfRange { what: "leaf index" }.into());
    }
    let mut out = Vec::new();
    path(
        index,
        0,
        size,
        &mut |l, n| read(stored_hash_index(l, n)),
        &mut out,
    )?;
    Ok(out)
}

fn subproof<E>(
    m: u64,
    lo: u64,
    hi: u64,
    complete: bool,
    read: &mut impl FnMut(u32, u64) -> Result<Hash, E>,
    out: &mut Vec<Hash>,
) -> Result<(), E> {
    let n = hi - lo;
    if m == n {
        if !complete {
            out.push(range_hash(lo, hi, read)?);
        }
        return Ok(());
    }
    let k = largest_pow2_below(n);
    if m <= k {
        subproof(m, lo, lo + k, complete, read, out)?;
        out.push(range_hash(lo + k, hi, read)?);
    } else {
        subproof(m - k, lo + k, hi, false, read, out)?;
        out.push(range_hash(lo, lo + k, read)?);
    }
    Ok(())
}

/// RFC 9162 §2.1.4.1 consistency proof between sizes `old` and `new`.
pub fn consistency_proof<E: From<ProofError>>(
    old: u64,
    new: u64,
    mut read: impl FnMut(u64) -> Result<Hash, E>,
) -> Result<Vec<Hash>, E> {
    consistency_proof_nodes(old, new, |l, n| read(stored_hash_index(l, n)))
}

/// [`consistency_proof`] with `read(level, n)` returning Merkle nodes as
/// [`tree_hash_nodes`] does.
pub fn consistency_proof_nodes<E: From<ProofError>>(
    old: u64,
    new: u64,
    mut read: impl FnMut(u32, u64) -> Result<Hash, E>,
) -> Result<Vec<Hash>, E> {
    if old > new {
        return Err(ProofError::OutOfRange { what: "old size" }.into());
    }
    if old == 0 {
        return Err(ProofError::OutOfRange { what: "old size 0" }.into());
    }
    let mut out = Vec::new();
    if old == new {
        return Ok(out);
    }
    subproof(old, 0, new, true, &mut read, &mut out)?;
    Ok(out)
}

/// RFC 9162 §2.1.3.2: checks that `leaf` is leaf `index` of the tree of
/// `size` with `root`.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if root_from_inclusion(index, size, leaf, proof)? != *root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// RFC 9162 §2.1.3.2 up to its last step: the root that `proof` gives
/// for `leaf` at `index` in a tree of `size` (a COSE receipt carries no
/// root; its signature covers the root this computes).
pub fn root_from_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
) -> Result<Hash, ProofError> {
    if index >= size {
        return Err(ProofError::OutOfRange { what: "leaf index" });
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if sn == 0 {
            return Err(ProofError::WrongLength {
                expected: proof.len() - 1,
                got: proof.len(),
            });
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(ProofError::WrongLength {
            expected: proof.len() + 1,
            got: proof.len(),
        });
    }
    Ok(r)
}

/// RFC 9162 §2.1.4.2: checks that the tree of `size2` with `root2` extends
/// the tree of `size1` with `root1`.
pub fn verify_consistency(
    size1: u64,
    size2: u64,
    proof: &[Hash],
    root1: &Hash,
    root2: &Hash,
) -> Result<(), ProofError> {
    if size1 > size2 {
        return Err(ProofError::OutOfRange { what: "old size" });
    }
    if size1 == 0 {
        // Consistency with the empty tree proves nothing; refused, as by
        // transparency-dev/merkle.
        return Err(ProofError::OutOfRange { what: "old size 0" });
    }
    if size1 == size2 {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength {
                expected: 0,
                got: proof.len(),
            });
        }
        return if root1 == root2 {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
    }
    if proof.is_empty() {
        return Err(ProofError::WrongLength {
            expected: 1,
            got: 0,
        });
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if size1.is_power_of_two() {
        path.push(*root1);
    }
    path.extend_from_slice(proof);
    let (mut fn_, mut sn) = (size1 - 1, size2 - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if sn == 0 {
            return Err(ProofError::WrongLength {
                expected: path.len() - 1,
                got: proof.len(),
            });
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(ProofError::WrongLength {
            expected: path.len() + 1,
            got: proof.len(),
        });
    }
    if fr != *root1 || sr != *root2 {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// The right edge of a growing tree: the roots of its complete subtrees,
/// largest first (at most 64). Fed leaves in order, it yields exactly the
/// hashes [`stored_hashes_for_leaf`] stores for each, and the root of the
/// tree so far, in memory that does not grow with the number of leaves:
/// what streaming verification of a log needs.
#[derive(Debug, Clone, Default)]
pub struct Frontier {
    /// (level, hash) of each complete subtree on the right edge.
    stack: Vec<(u32, Hash)>,
    size: u64,
}

impl Frontier {
    /// Adds the next leaf; returns the hashes it adds to the stored
    /// sequence (the leaf hash, then one per subtree it completes).
    pub fn push(&mut self, leaf: Hash) -> Vec<Hash> {
        let mut out = vec![leaf];
        let mut h = leaf;
        let mut level = 0;
        while let Some(&(l, left)) = self.stack.last() {
            if l != level {
                break;
            }
            self.stack.pop();
            h = node_hash(&left, &h);
            level += 1;
            out.push(h);
        }
        self.stack.push((level, h));
        self.size += 1;
        out
    }

    /// Leaves so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// RFC 9162 root of the leaves so far (the complete subtrees folded
    /// from the right).
    pub fn root(&self) -> Hash {
        let mut it = self.stack.iter().rev();
        let Some(&(_, mut h)) = it.next() else {
            return empty_root();
        };
        for (_, left) in it {
            h = node_hash(left, &h);
        }
        h
    }
}

/// Stored hashes in memory (tests, and small logs).
#[derive(Debug, Clone, Default)]
pub struct MemoryTree {
    hashes: Vec<Hash>,
    size: u64,
}

impl MemoryTree {
    /// Appends a leaf's data.
    pub fn push(&mut self, data: &[u8]) {
        self.push_leaf_hash(leaf_hash(data));
    }

    /// Appends a leaf by its hash.
    pub fn push_leaf_hash(&mut self, leaf: Hash) {
        let new = stored_hashes_for_leaf(self.size, leaf, |i| self.get(i));
        if let Ok(new) = new {
            self.hashes.extend(new);
            self.size += 1;
        }
    }

    /// Leaves so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// A stored hash by index.
    pub fn get(&self, i: u64) -> Result<Hash, ProofError> {
        usize::try_from(i)
            .ok()
            .and_then(|i| self.hashes.get(i).copied())
            .ok_or(ProofError::OutOfRange {
                what: "stored hash",
            })
    }

    /// Number of stored hashes.
    pub fn stored(&self) -> usize {
        self.hashes.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference: RFC 9162's recursive definition over all leaves.
    fn mth(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                let k = largest_pow2_below(n as u64) as usize;
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    #[test]
    fn the_frontier_yields_the_stored_hashes_and_every_root() {
        let mut t = MemoryTree::default();
        let mut f = Frontier::default();
        let mut leaves = Vec::new();
        assert_eq!(f.root(), empty_root());
        for i in 0..300u32 {
            let l = leaf_hash(&i.to_be_bytes());
            leaves.push(l);
            let before = t.stored();
            t.push_leaf_hash(l);
            let new: Vec<Hash> = (before..t.stored())
                .map(|j| t.get(j as u64).unwrap())
                .collect();
            assert_eq!(f.push(l), new, "leaf {i}");
            assert_eq!(f.root(), mth(&leaves), "size {}", i + 1);
        }
    }

    #[test]
    fn stored_hashes_agree_with_the_recursive_definition() {
        let mut t = MemoryTree::default();
        let mut leaves = Vec::new();
        for i in 0..70u32 {
            let data = i.to_be_bytes();
            t.push(&data);
            leaves.push(leaf_hash(&data));
            assert_eq!(t.stored() as u64, stored_hash_count(t.size()));
            for size in 1..=t.size() {
                assert_eq!(
                    tree_hash(size, |i| t.get(i)).unwrap(),
                    mth(&leaves[..size as usize]),
                    "size {size}"
                );
            }
        }
        for size in 1..=70u64 {
            let root = mth(&leaves[..size as usize]);
            for idx in 0..size {
                let p = inclusion_proof::<ProofError>(idx, size, |i| t.get(i)).unwrap();
                verify_inclusion(idx, size, &leaves[idx as usize], &p, &root).unwrap();
                if idx + 1 < size {
                    assert!(
                        verify_inclusion(idx + 1, size, &leaves[idx as usize], &p, &root).is_err()
                    );
                }
            }
            assert!(consistency_proof::<ProofError>(0, size, |i| t.get(i)).is_err());
            for old in 1..=size {
                let p = consistency_proof::<ProofError>(old, size, |i| t.get(i)).unwrap();
                let old_root = mth(&leaves[..old as usize]);
                verify_consistency(old, size, &p, &old_root, &root).unwrap();
                if old < size {
                    let mut bad = p.clone();
                    bad[0][0] ^= 1;
                    assert!(verify_consistency(old, size, &bad, &old_root, &root).is_err());
                }
            }
        }
    }

    #[test]
    fn stored_hash_layout_matches_go_tlog() {
        // Values from golang.org/x/mod/sumdb/tlog's StoredHashIndex.
        assert_eq!(stored_hash_index(0, 0), 0);
        assert_eq!(stored_hash_index(0, 1), 1);
        assert_eq!(stored_hash_index(1, 0), 2);
        assert_eq!(stored_hash_index(0, 2), 3);
        assert_eq!(stored_hash_index(0, 3), 4);
        assert_eq!(stored_hash_index(1, 1), 5);
        assert_eq!(stored_hash_index(2, 0), 6);
        assert_eq!(stored_hash_count(4), 7);
    }
}
