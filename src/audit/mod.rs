//! The verification log of SPEC section 10: Merkle trees, signed
//! checkpoints, the append-only store of decisions, and their replay.

pub mod check;
pub mod log;
pub mod publish;
pub mod receipt;
pub mod record;
pub mod replay;
pub mod report;
pub mod witness;
