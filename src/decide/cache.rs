//! Statements checked once per run (SPEC 9: "a statement met in many
//! bundles is checked once"). The check of one statement (envelope,
//! signatures, payload, key binding, times) is a pure function of its
//! bytes, the policy and the evaluation time, so within one `vet` run its
//! outcome is shared across bundles and workers by the statement's digest:
//! a lot's stage statements and a firmware release, carried by thousands of
//! units, are verified once. Reports are byte-identical with and without
//! the sharing (tests compare them).
//!
//! Bounds: at most [`MAX_ENTRIES`] statements and [`MAX_BYTES`] of statement
//! bytes are kept; when either is reached, nothing more is added (lookups
//! go on). Only evidence is kept, never a bundle's root, which is the one
//! statement of a unit that no other unit carries, and only evidence met
//! in a second bundle: the first check of a statement records its digest
//! (at most [`MAX_SEEN`] digests, then the record starts again), the
//! second keeps its outcome. A shipment whose every statement is its own
//! keeps nothing, and a shared statement is checked twice instead of once.
//! An outcome is kept only if its check finished within the bundle's
//! signature budget; a hit spends the same number of signature checks from
//! the bundle's budget as the check did, so a bundle over its budget is
//! refused exactly as without sharing.

use crate::decide::check::Checked;
use crate::limits::Budget;
use crate::wire::digest::Sha256;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Most statements kept.
pub const MAX_ENTRIES: usize = 65_536;
/// Most statement bytes kept (the outcome kept per statement is about its
/// size again, so the table stays near twice this).
pub const MAX_BYTES: usize = 32 * 1024 * 1024;

/// Most digests of statements checked once remembered, waiting for a
/// second bundle (32 bytes each).
pub const MAX_SEEN: usize = 1 << 18;

/// A kept outcome and the signature checks it took.
struct Kept {
    checked: Checked,
    spent: u64,
}

#[derive(Default)]
struct Table {
    map: HashMap<Sha256, Arc<Kept>>,
    bytes: usize,
    /// Statements checked once, not kept.
    seen: HashSet<Sha256>,
}

/// Outcomes of statement checks shared by the bundles of one run (one
/// policy, one evaluation time).
#[derive(Default)]
pub struct StatementCache {
    table: Mutex<Table>,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// How much the sharing saved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Statements whose outcome was found.
    pub hits: u64,
    /// Statements checked (not found, or a root).
    pub misses: u64,
    /// Outcomes kept.
    pub entries: u64,
}

impl StatementCache {
    /// An empty table.
    pub fn new() -> StatementCache {
        StatementCache::default()
    }

    /// The counts so far.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            entries: self.table.lock().map_or(0, |t| t.map.len() as u64),
        }
    }

    /// The kept outcome of `digest`, with its signature checks spent from
    /// `budget` (`None`: not kept; check it).
    pub(crate) fn get(&self, digest: &Sha256, budget: &mut Budget) -> Option<Checked> {
        let kept = self.table.lock().ok()?.map.get(digest).cloned();
        let Some(kept) = kept else {
            self.misses.fetch_add(1, Ordering::Relaxed);
            return None;
        };
        self.hits.fetch_add(1, Ordering::Relaxed);
        for _ in 0..kept.spent {
            if !budget.spend() {
                break;
            }
        }
        Some(kept.checked.clone())
    }

    /// Counts a statement checked without a lookup (a root).
    pub(crate) fn miss(&self) {
        self.misses.fetch_add(1, Ordering::Relaxed);
    }

    /// Keeps the outcome of a statement of `len` bytes that took `spent`
    /// signature checks, within the bounds.
    pub(crate) fn put(&self, digest: Sha256, len: usize, checked: &Checked, spent: u64) {
        let Ok(mut t) = self.table.lock() else {
            return;
        };
        if t.map.len() >= MAX_ENTRIES
            || t.bytes.saturating_add(len) > MAX_BYTES
            || t.map.contains_key(&digest)
        {
            return;
        }
        if !t.seen.remove(&digest) {
            if t.seen.len() >= MAX_SEEN {
                t.seen.clear();
            }
            t.seen.insert(digest);
            return;
        }
        t.bytes += len;
        t.map.insert(
            digest,
            Arc::new(Kept {
                checked: checked.clone(),
                spent,
            }),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::StatementEntry;

    fn outcome(digest: Sha256) -> Checked {
        Checked::failed(
            StatementEntry {
                digest,
                type_name: None,
                issuer: None,
                signers: Vec::new(),
                verified: false,
            },
            Vec::new(),
        )
    }

    #[test]
    fn a_statement_is_kept_when_a_second_bundle_checks_it_and_spends_its_cost() {
        let cache = StatementCache::new();
        let d = Sha256([1; 32]);
        let mut budget = Budget::new(10);
        cache.put(d, 100, &outcome(d), 3);
        assert!(
            cache.get(&d, &mut budget).is_none(),
            "kept after one bundle"
        );
        cache.put(d, 100, &outcome(d), 3);
        let hit = cache.get(&d, &mut budget).expect("kept after the second");
        assert_eq!(hit.entry.digest, d);
        assert_eq!(budget.left(), 7, "a hit spends what the check spent");
        assert_eq!(cache.stats().entries, 1);
        // Statements met once each (a shipment of distinct statements)
        // are never kept, however many, and the record of them is bounded.
        for i in 0..(MAX_SEEN as u32 + 10) {
            let mut b = [0u8; 32];
            b[..4].copy_from_slice(&i.to_le_bytes());
            b[31] = 2;
            cache.put(Sha256(b), 100, &outcome(Sha256(b)), 1);
        }
        assert_eq!(cache.stats().entries, 1);
        let seen = cache
            .table
            .lock()
            .map(|t| t.seen.len())
            .unwrap_or(usize::MAX);
        assert!(seen <= MAX_SEEN, "{seen}");
    }
}
