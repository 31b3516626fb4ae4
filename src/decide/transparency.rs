//! Firmware transparency (SPEC 6.9, 10.4): a bundle element that is a C2SP
//! tlog-proof counts for a release statement when its checkpoint is signed
//! by a log the policy's tlog-policy lists and cosigned by its witness
//! quorum, its inclusion path leads from the leaf of its `extra` data to
//! that checkpoint's root, and that data is a log entry publishing exactly
//! that statement (`hwprov log add`).
//!
//! A proof is judged once per bundle element (and shared through the
//! statement cache like any element): what it proves depends on the policy
//! only, never on the release asking.

use crate::limits::Budget;
use crate::policy::Policy;
use crate::report::entry::Entry;
use crate::wire::digest::Sha256;
use crate::wire::tlog::proof::TlogProof;
use std::collections::HashMap;
use std::sync::Arc;

/// The type name a tlog-proof element has in a report's statement list.
pub const PROOF_TYPE: &str = "tlog-proof";

/// What one proof element showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProofOutcome {
    /// The statement `statement` was published in log `origin` at `index`,
    /// under a checkpoint of `size` cosigned by `cosigned`.
    Published {
        /// The published statement's digest.
        statement: Sha256,
        /// The log's origin.
        origin: String,
        /// The entry's index.
        index: u64,
        /// The checkpoint's size.
        size: u64,
        /// The witnesses (tlog-policy names) whose cosignatures verified.
        cosigned: Vec<String>,
    },
    /// Why the proof counts for nothing.
    NotCounted(String),
}

/// What a parsed proof shows under the policy (its signatures paid for
/// from `budget`).
pub(crate) fn judge(policy: &Policy, proof: &TlogProof, budget: &mut Budget) -> ProofOutcome {
    let Some(t) = &policy.transparency else {
        return ProofOutcome::NotCounted(
            "the policy has no [transparency] section to check it against".into(),
        );
    };
    // One log signature and each cosignature line: paid for like any
    // signature check.
    let lines = proof.checkpoint.matches("\n\u{2014} ").count() as u64 + 1;
    if !budget.spend_n(lines) {
        return ProofOutcome::NotCounted("out of signature checks".into());
    }
    let Some(extra) = &proof.extra else {
        return ProofOutcome::NotCounted(
            "it carries no extra data: hwprov proofs carry the log entry there".into(),
        );
    };
    let accepted = match proof.verify(&t.firmware, extra) {
        Ok(a) => a,
        Err(e) => return ProofOutcome::NotCounted(format!("{e} (tlog-policy {})", t.file)),
    };
    let e = match Entry::decode(extra) {
        Ok(e) => e,
        Err(e) => {
            return ProofOutcome::NotCounted(format!("its extra data is not a log entry: {e}"));
        }
    };
    let published = match e.published_statement() {
        Some(d) if e.index == proof.index => d,
        _ => {
            return ProofOutcome::NotCounted(format!(
                "entry {} of {} is a '{}' entry, not the publication of a statement",
                proof.index, accepted.checkpoint.origin, e.command
            ));
        }
    };
    ProofOutcome::Published {
        statement: published,
        origin: accepted.checkpoint.origin,
        index: proof.index,
        size: accepted.checkpoint.size,
        cosigned: accepted.cosigned,
    }
}

/// The proofs of one bundle: which statements they show published, and
/// why the others count for nothing.
#[derive(Debug, Clone, Default)]
pub struct ProofIndex {
    published: HashMap<Sha256, Arc<ProofOutcome>>,
    not_counted: Vec<String>,
    any: bool,
}

/// Most reasons kept for proofs that count for nothing.
const MAX_REASONS: usize = 8;

impl ProofIndex {
    /// Files a proof element's outcome.
    pub(crate) fn add(&mut self, element: Sha256, outcome: Arc<ProofOutcome>) {
        self.any = true;
        match &*outcome {
            ProofOutcome::Published { statement, .. } => {
                self.published.entry(*statement).or_insert(outcome.clone());
            }
            ProofOutcome::NotCounted(why) => {
                if self.not_counted.len() < MAX_REASONS {
                    self.not_counted
                        .push(format!("the tlog-proof {element}: {why}"));
                }
            }
        }
    }

    /// The finding message for a release the policy wants published, or
    /// `None` if a proof shows it published.
    pub(crate) fn untransparent(&self, policy: &Policy, release: &Sha256) -> Option<String> {
        let t = policy.transparency.as_ref()?;
        if self.published.contains_key(release) {
            return None;
        }
        let mut m = format!(
            "no tlog-proof in the bundle shows release statement {release} published to a log that {} accepts with its witness quorum",
            t.file
        );
        if !self.any {
            m.push_str("; the bundle holds no tlog-proof");
        } else if !self.published.is_empty() {
            m.push_str(&format!(
                "; the bundle's proofs publish {} other statement(s)",
                self.published.len()
            ));
        }
        for why in &self.not_counted {
            m.push_str("; ");
            m.push_str(why);
        }
        Some(m)
    }

    /// The proof that shows `release` published, if any.
    pub fn proof_of(&self, release: &Sha256) -> Option<&ProofOutcome> {
        self.published.get(release).map(|a| &**a)
    }
}
