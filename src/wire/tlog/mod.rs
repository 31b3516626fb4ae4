//! Transparency-log formats: RFC 9162 Merkle trees, C2SP signed notes,
//! checkpoints and cosignatures, tlog-policy files, tlog-proofs and the
//! tlog-tiles layout. They sit below the policy layer because a decision
//! (a firmware release's proof of publication, SPEC 6.9) checks them too.

pub mod merkle;
pub mod note;
pub mod policy;
pub mod proof;
pub mod tiles;
