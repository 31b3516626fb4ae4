//! `hwprov verify` as a call: read a bundle file, verify it, record the
//! decision.
//!
//! ```
//! use hwprov::{Limits, Policy, Timestamp, Verdict};
//! use std::path::Path;
//!
//! let limits = Limits::DEFAULT;
//! let policy = Policy::load(Path::new("examples/data/policy.toml"), &limits)?;
//! let at = Timestamp::parse_rfc3339("2026-11-21T00:00:00Z")?;
//! let bundle = Path::new("examples/data/device-clean.cbor");
//! let report = hwprov::run::verify_file(&policy, bundle, at, None, &limits)?;
//! assert_eq!(report.verdict, Verdict::Pass);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::audit::log::Log;
use crate::audit::record::{RecordError, record_verify};
use crate::fsutil::{self, FileError};
use crate::limits::Limits;
use crate::policy::Policy;
use crate::policy::deployment::Deployment;
use crate::report::Report;
use crate::wire::bundle::BundleError;
use crate::wire::time::Timestamp;
use std::path::{Path, PathBuf};

/// `verify` could not decide (exit 2), or could not record its decision.
#[derive(Debug)]
#[non_exhaustive]
pub enum VerifyError {
    /// The bundle file could not be read.
    File(FileError),
    /// The file is not a bundle.
    Bundle {
        /// The file.
        path: PathBuf,
        /// Why.
        source: BundleError,
    },
    /// The decision could not be recorded (nothing is reported).
    Record(RecordError),
}

impl std::fmt::Display for VerifyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VerifyError::File(e) => write!(f, "{e}"),
            VerifyError::Bundle { path, source } => write!(f, "{}: {source}", path.display()),
            VerifyError::Record(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for VerifyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            VerifyError::File(e) => Some(e),
            VerifyError::Bundle { source, .. } => Some(source),
            VerifyError::Record(e) => Some(e),
        }
    }
}

/// Verifies the bundle at `path`; with `log`, records the decision (durable
/// before this returns, so before anyone acts on it). Without deployment
/// facts: see [`Verify`] for a unit the operator's deployment file places.
pub fn verify_file(
    policy: &Policy,
    path: &Path,
    at: Timestamp,
    log: Option<&Log>,
    limits: &Limits,
) -> Result<Report, VerifyError> {
    Verify {
        policy,
        deployment: None,
        bundle: path,
        at,
        log,
    }
    .run(limits)
}

/// One `verify` run.
#[derive(Debug, Clone, Copy)]
pub struct Verify<'a> {
    /// The trust policy.
    pub policy: &'a Policy,
    /// The operator's deployment facts (SPEC 6.3): a device's class and zones.
    pub deployment: Option<&'a Deployment>,
    /// The bundle file.
    pub bundle: &'a Path,
    /// Evaluation time.
    pub at: Timestamp,
    /// Record the decision here before returning it.
    pub log: Option<&'a Log>,
}

impl Verify<'_> {
    /// Reads, verifies and (with a log) records.
    pub fn run(&self, limits: &Limits) -> Result<Report, VerifyError> {
        let path = self.bundle;
        let bytes =
            fsutil::read_bounded(path, limits.max_bundle_bytes).map_err(VerifyError::File)?;
        let report = crate::decide::verify::verify_deployed(
            self.policy,
            self.deployment,
            &bytes,
            self.at,
            limits,
        )
        .map_err(|source| VerifyError::Bundle {
            path: path.to_owned(),
            source,
        })?;
        if let Some(log) = self.log {
            record_verify(
                log,
                self.policy,
                self.deployment,
                &bytes,
                self.at,
                report.verdict,
                &report.findings,
            )
            .map_err(VerifyError::Record)?;
        }
        Ok(report)
    }
}
