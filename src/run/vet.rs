//! `hwprov vet` as a call: verify every unit of a shipment in parallel,
//! run the fleet checks, and record one entry per unit plus the shipment
//! decision as one batch.
//!
//! ```
//! use hwprov::{Limits, Policy, Timestamp};
//! use std::path::{Path, PathBuf};
//!
//! let limits = Limits::DEFAULT;
//! let policy = Policy::load(Path::new("examples/data/policy.toml"), &limits)?;
//! let at = Timestamp::parse_rfc3339("2026-11-21T00:00:00Z")?;
//! let shipment = hwprov::decide::vet::collect(&[PathBuf::from("examples/data/shipment")])?;
//! let outcome = hwprov::run::vet(&policy, &shipment, at, 2, None, &limits, |_unit| {})?;
//! assert_eq!(outcome.summary.units, shipment.units.len() as u64);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::audit::log::{Log, LogError};
use crate::audit::record::{RecordError, policy_inputs, read_unchanged};
use crate::decide::vet::{Collected, Skipped, Summary, Unit, VetError};
use crate::limits::Limits;
use crate::policy::Policy;
use crate::policy::deployment::Deployment;
use crate::report::entry::{Command, Entry, Input};
use crate::wire::cbor::{self, Value};
use crate::wire::digest::Sha256;
use crate::wire::time::Timestamp;
use std::ops::Range;

/// Most `vet` threads: far more than the cores of any machine vet runs on,
/// far fewer than the million a typo asks for (each thread has a stack and
/// a window of units in flight).
pub const MAX_JOBS: usize = 256;

/// `vet` could not run or record (exit 2).
#[derive(Debug)]
#[non_exhaustive]
pub enum VetRunError {
    /// The shipment could not be walked or verified.
    Vet(VetError),
    /// The decisions could not be recorded.
    Record(RecordError),
}

impl std::fmt::Display for VetRunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VetRunError::Vet(e) => write!(f, "{e}"),
            VetRunError::Record(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for VetRunError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            VetRunError::Vet(e) => Some(e),
            VetRunError::Record(e) => Some(e),
        }
    }
}

impl From<LogError> for VetRunError {
    fn from(e: LogError) -> Self {
        VetRunError::Record(RecordError::Log(e))
    }
}

impl From<RecordError> for VetRunError {
    fn from(e: RecordError) -> Self {
        VetRunError::Record(e)
    }
}

/// What `vet` decided.
#[derive(Debug, Clone)]
pub struct VetOutcome {
    /// The shipment summary (with what the walk passed over).
    pub summary: Summary,
    /// The entries recorded, with `log`.
    pub logged: Option<Range<u64>>,
    /// How many statement checks were shared across bundles.
    pub sharing: crate::decide::cache::CacheStats,
}

/// Vets the units of `shipment` on `jobs` threads; `on_unit` sees each unit
/// in walk order as soon as it and those before it are verified. With
/// `log`, every unit's bytes are stored and one entry per readable unit,
/// then the shipment decision, are appended as one batch. Without
/// deployment facts: see [`Vet`].
pub fn vet(
    policy: &Policy,
    shipment: &Collected,
    at: Timestamp,
    jobs: usize,
    log: Option<&Log>,
    limits: &Limits,
    on_unit: impl FnMut(&Unit),
) -> Result<VetOutcome, VetRunError> {
    Vet {
        policy,
        deployment: None,
        shipment,
        at,
        jobs,
        log,
    }
    .run(limits, on_unit)
}

/// One `vet` run.
#[derive(Debug, Clone, Copy)]
pub struct Vet<'a> {
    /// The trust policy.
    pub policy: &'a Policy,
    /// The operator's deployment facts (SPEC 6.3): each unit's class and zones.
    pub deployment: Option<&'a Deployment>,
    /// The units (see [`crate::decide::vet::collect`]).
    pub shipment: &'a Collected,
    /// Evaluation time.
    pub at: Timestamp,
    /// Threads.
    pub jobs: usize,
    /// Record the decisions here.
    pub log: Option<&'a Log>,
}

impl Vet<'_> {
    /// Runs the vet; `on_unit` sees each unit in walk order.
    pub fn run(
        &self,
        limits: &Limits,
        mut on_unit: impl FnMut(&Unit),
    ) -> Result<VetOutcome, VetRunError> {
        let Vet {
            policy,
            deployment,
            shipment,
            at,
            jobs,
            log,
        } = *self;
        let mut pending: Vec<(Sha256, Entry)> = Vec::new();
        // Each unit's digest in walk order (its path is the shipment's).
        let mut all_units: Vec<Option<Sha256>> = Vec::new();
        let units = &shipment.units;
        let cache = crate::decide::cache::StatementCache::new();
        let mut summary = crate::decide::vet::run_shared(
            policy,
            deployment,
            units,
            at,
            limits,
            jobs,
            Some(&cache),
            log.is_some(),
            |u| {
                if log.is_some() {
                    all_units.push(u.digest);
                    if let (Ok(r), Some(d)) = (&u.outcome, u.digest) {
                        pending.push((
                            d,
                            Entry::new(Command::Vet, at, Vec::new(), r.verdict, &r.findings),
                        ));
                    }
                }
                on_unit(u);
            },
        )
        .map_err(VetRunError::Vet)?;
        summary.skipped = Skipped::of(&shipment.skipped);
        let logged = match log {
            Some(log) => {
                let policy_in = policy_inputs(log, policy, deployment)?;
                Some(record(
                    log,
                    policy_in,
                    at,
                    &summary,
                    pending,
                    &shipment.units,
                    &all_units,
                    limits,
                )?)
            }
            None => None,
        };
        Ok(VetOutcome {
            summary,
            logged,
            sharing: cache.stats(),
        })
    }
}

/// Stores every unit's bytes (in parallel, each checked to be the bytes
/// verified), then appends the unit entries and the shipment decision.
#[allow(clippy::too_many_arguments)]
fn record(
    log: &Log,
    policy_in: Vec<(Input, Sha256)>,
    at: Timestamp,
    summary: &Summary,
    pending: Vec<(Sha256, Entry)>,
    paths: &crate::decide::vet::PathList,
    all_units: &[Option<Sha256>],
    limits: &Limits,
) -> Result<Range<u64>, VetRunError> {
    use rayon::prelude::*;
    let stored: Vec<Result<(), RecordError>> = all_units
        .par_iter()
        .enumerate()
        .filter_map(|(i, d)| Some((paths.get(i)?, d.as_ref()?)))
        .map(|(path, d)| {
            let bytes = read_unchanged(&path, d, limits.max_bundle_bytes)?;
            log.put_object(&bytes)?;
            Ok(())
        })
        .collect();
    for r in stored {
        r?;
    }
    let mut entries: Vec<Entry> = pending
        .into_iter()
        .map(|(d, mut e)| {
            e.inputs = [vec![(Input::Bundle, d)], policy_in.clone()].concat();
            e
        })
        .collect();
    // The shipment decision: fleet checks over every unit, in order.
    let list = Value::Array(
        all_units
            .iter()
            .map(|d| d.map_or(Value::Null, |d| d.to_cbor()))
            .collect(),
    );
    let units_digest = log.put_object(&cbor::encode_deterministic(&list))?;
    entries.push(Entry::new(
        Command::Vet,
        at,
        [vec![(Input::Units, units_digest)], policy_in].concat(),
        summary.verdict,
        &summary.fleet_findings,
    ));
    Ok(log.append(&mut entries)?)
}
