//! hwprov: verify the provenance of network equipment and chips.
//!
//! Each party in a hardware supply chain signs a statement about its step
//! (COSE_Sign1/COSE_Sign with Ed25519 over deterministic CBOR); hwprov checks
//! the statements and firmware hashes of a bundle against a trust policy and
//! returns a verdict with findings a person can act on. The hwprov contract
//! (version 2, shared with independent implementations) defines the formats
//! and rules; the modules below follow its sections, and `schemas/` and
//! `docs/` in the repository describe them.
//!
//! ```
//! use hwprov::{Limits, Policy, Timestamp, Verdict};
//! use std::path::Path;
//!
//! let limits = Limits::DEFAULT;
//! let policy = Policy::load(Path::new("examples/data/policy.toml"), &limits)?;
//! let bundle = std::fs::read("examples/data/device-high-risk-atp.cbor")?;
//! let at = Timestamp::parse_rfc3339("2026-11-21T00:00:00Z")?;
//! let report = hwprov::verify_bundle(&policy, &bundle, at, &limits)?;
//! assert_eq!(report.verdict, Verdict::Fail);
//! assert!(report.findings.iter().any(|f| f.rule.as_str() == "jurisdiction.site"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod audit;
pub mod decide;
pub(crate) mod fsutil;
mod json;
pub mod limits;
pub mod policy;
pub mod report;
pub mod run;
pub mod serials;
pub mod text;
pub mod wire;

pub use decide::verify::verify_bundle;
pub use fsutil::{FileError, read_bounded, write_atomic};
pub use limits::Limits;
pub use policy::rules::Rule;
pub use policy::{Policy, PolicyError};
pub use report::{Finding, Report, Severity, Verdict};
pub use wire::bundle::BundleError;
pub use wire::digest::Sha256;
pub use wire::keys::{KeyId, PublicKey, SecretKey};
pub use wire::statement::Statement;
pub use wire::time::Timestamp;

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
