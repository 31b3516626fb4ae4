//! Recording a decision (SPEC section 10): its inputs' exact bytes stored
//! under `objects/`, then one entry naming them by digest.

use crate::audit::log::{Log, LogError};
use crate::fsutil;
use crate::policy::Policy;
use crate::policy::deployment::Deployment;
use crate::report::entry::{Command, Entry, Input};
use crate::report::{Finding, Verdict};
use crate::wire::digest::Sha256;
use crate::wire::time::Timestamp;
use std::path::{Path, PathBuf};

/// Recording failed: nothing was reported as recorded.
#[derive(Debug)]
#[non_exhaustive]
pub enum RecordError {
    /// The log refused or failed.
    Log(LogError),
    /// An input could not be read again to be stored.
    File(fsutil::FileError),
    /// An input's bytes changed between the decision and the recording.
    Changed {
        /// The file.
        path: PathBuf,
    },
}

impl std::fmt::Display for RecordError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RecordError::Log(e) => write!(f, "{e}"),
            RecordError::File(e) => write!(f, "{e}"),
            RecordError::Changed { path } => write!(
                f,
                "{}: the file changed while it was read; run again",
                path.display()
            ),
        }
    }
}

impl std::error::Error for RecordError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RecordError::Log(e) => Some(e),
            RecordError::File(e) => Some(e),
            RecordError::Changed { .. } => None,
        }
    }
}

impl From<LogError> for RecordError {
    fn from(e: LogError) -> Self {
        RecordError::Log(e)
    }
}

/// Stores the policy, the key files it names and the deployment file;
/// returns their inputs.
pub fn policy_inputs(
    log: &Log,
    policy: &Policy,
    deployment: Option<&Deployment>,
) -> Result<Vec<(Input, Sha256)>, LogError> {
    let mut v = vec![(Input::Policy, log.put_object(&policy.source)?)];
    for (name, bytes) in &policy.key_files {
        v.push((Input::KeyFile(name.clone()), log.put_object(bytes)?));
    }
    if let Some(d) = deployment {
        let bytes = d.source().ok_or_else(|| LogError::NotALog {
            problem: "the deployment file's bytes were not kept, so the decision cannot be recorded (load it without forget_source)".into(),
        })?;
        v.push((Input::Deployment, log.put_object(bytes)?));
    }
    Ok(v)
}

/// Re-reads a file to store it and checks it is the one decided on.
pub fn read_unchanged(path: &Path, digest: &Sha256, limit: usize) -> Result<Vec<u8>, RecordError> {
    let bytes = fsutil::read_bounded(path, limit).map_err(RecordError::File)?;
    if Sha256::of(&bytes) != *digest {
        return Err(RecordError::Changed {
            path: path.to_owned(),
        });
    }
    Ok(bytes)
}

/// Records one `verify` decision: the bundle and the policy, then the
/// entry. Durable when it returns; returns the entry's index.
pub fn record_verify(
    log: &Log,
    policy: &Policy,
    deployment: Option<&Deployment>,
    bundle: &[u8],
    at: Timestamp,
    verdict: Verdict,
    findings: &[Finding],
) -> Result<u64, RecordError> {
    let mut inputs = vec![(Input::Bundle, log.put_object(bundle)?)];
    inputs.extend(policy_inputs(log, policy, deployment)?);
    let mut entry = [Entry::new(Command::Verify, at, inputs, verdict, findings)];
    Ok(log.append(&mut entry)?.start)
}

/// Records each statement as published (SPEC 10.4): its bytes under
/// `objects/`, then one entry per statement ([`Entry::publication`]),
/// appended as one batch. Returns their indexes.
pub fn publish_statements(
    log: &Log,
    statements: &[Vec<u8>],
) -> Result<std::ops::Range<u64>, LogError> {
    let mut entries = Vec::with_capacity(statements.len());
    for s in statements {
        entries.push(Entry::publication(log.put_object(s)?));
    }
    log.append(&mut entries)
}
