//! The commands as library calls: each reads its files, decides (through
//! [`crate::decide`]), records the decision in a log when asked (through
//! [`crate::audit`]), and only then acts on it. The command line is a thin
//! layer over these functions; a program embedding hwprov (an update agent,
//! an auditor's service) calls them the same way.

pub mod gate;
pub mod verify;
pub mod vet;

pub use gate::{Gate, GateError, GateOutcome};
pub use verify::{Verify, VerifyError, verify_file};
pub use vet::{Vet, VetOutcome, VetRunError, vet};
