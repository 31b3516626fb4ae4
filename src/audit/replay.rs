//! Replay (SPEC section 10): every logged decision re-run from its stored
//! inputs at its recorded time, its verdict and findings digest compared
//! with the entry; the tree checked against the signed checkpoint first.
//!
//! ```no_run
//! use hwprov::Limits;
//! use hwprov::audit::log::Log;
//! use hwprov::audit::replay::{self, Event, Range};
//!
//! let log = Log::open(std::path::Path::new("decisions"))?;
//! let summary = replay::replay(&log, Range::default(), &Limits::DEFAULT, |event| {
//!     if let Event::Entry { index, different: Some(why), .. } = event {
//!         eprintln!("entry {index} differs: {why}");
//!     }
//! })?;
//! assert!(summary.all_same());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::audit::log::{Log, LogError};
use crate::decide::vet::{Fleet, Summary, Unit, stored_unit};
use crate::limits::Limits;
use crate::policy::Policy;
use crate::policy::deployment::Deployment;
use crate::report::entry::{Command, Entry, EntryError, Input, findings_digest};
use crate::report::{Finding, Verdict};
use crate::wire::cbor::{self, Value};
use crate::wire::digest::Sha256;
use crate::wire::state::State;
use crate::wire::time::Timestamp;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// Which entries to replay: `from` to `to` inclusive (default: all).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Range {
    /// First entry.
    pub from: Option<u64>,
    /// Last entry (inclusive).
    pub to: Option<u64>,
}

/// Replay could not run (exit 2): the log is unusable, the range names no
/// entry of it, or an entry does not decode.
#[derive(Debug)]
#[non_exhaustive]
pub enum ReplayError {
    /// The log could not be read.
    Log(LogError),
    /// `to` is past the last entry.
    ToOutOfRange {
        /// The requested last entry.
        to: u64,
        /// Entries in the log.
        size: u64,
    },
    /// `from` is past the last entry.
    FromOutOfRange {
        /// The requested first entry.
        from: u64,
        /// Entries in the log.
        size: u64,
    },
    /// `from` is after `to`.
    Reversed {
        /// First entry.
        from: u64,
        /// Last entry.
        to: u64,
    },
    /// An entry does not decode.
    Entry {
        /// Its index.
        index: u64,
        /// Why.
        source: EntryError,
    },
}

impl std::fmt::Display for ReplayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReplayError::Log(e) => write!(f, "{e}"),
            ReplayError::ToOutOfRange { to, size } => write!(
                f,
                "--to {to}: the log has {size} entries (0 to {})",
                size.saturating_sub(1)
            ),
            ReplayError::FromOutOfRange { from, size } => write!(
                f,
                "--from {from}: the log has {size} entries (0 to {})",
                size.saturating_sub(1)
            ),
            ReplayError::Reversed { from, to } => write!(f, "--from {from} is after --to {to}"),
            ReplayError::Entry { index, source } => write!(f, "entry {index}: {source}"),
        }
    }
}

impl std::error::Error for ReplayError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReplayError::Log(e) => Some(e),
            ReplayError::Entry { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<LogError> for ReplayError {
    fn from(e: LogError) -> Self {
        ReplayError::Log(e)
    }
}

/// What replay reports as it goes.
#[derive(Debug)]
pub enum Event<'a> {
    /// A problem with the log itself (it does not verify).
    Problem(&'a str),
    /// One entry replayed.
    Entry {
        /// Its index.
        index: u64,
        /// The entry.
        entry: &'a Entry,
        /// `None`: the same verdict and findings; else how it differs.
        different: Option<&'a str>,
    },
}

/// The totals of a replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplaySummary {
    /// Entries replayed.
    pub replayed: u64,
    /// Entries whose decision is different now.
    pub different: u64,
    /// Problems with the log itself.
    pub problems: u64,
}

impl ReplaySummary {
    /// Every entry the same and the log sound.
    pub fn all_same(&self) -> bool {
        self.different == 0 && self.problems == 0
    }
}

/// Replays the entries of `range`, reporting each through `on`.
pub fn replay(
    log: &Log,
    range: Range,
    limits: &Limits,
    mut on: impl FnMut(Event<'_>),
) -> Result<ReplaySummary, ReplayError> {
    let (n, problems) = log.verify()?;
    for p in &problems {
        on(Event::Problem(p));
    }
    // Ranges are checked, never clamped or wrapped: a range that names no
    // entry of this log is a usage error, not an empty success.
    let first = range.from.unwrap_or(0);
    if let Some(t) = range.to
        && t >= n
    {
        return Err(ReplayError::ToOutOfRange { to: t, size: n });
    }
    if range.from.is_some() && first >= n {
        return Err(ReplayError::FromOutOfRange {
            from: first,
            size: n,
        });
    }
    if let Some(t) = range.to
        && first > t
    {
        return Err(ReplayError::Reversed { from: first, to: t });
    }
    let last = range.to.map_or(n, |t| t + 1);
    let mut policies = HashMap::new();
    // Shipment decisions in range, rebuilt from the unit decisions replayed
    // before them rather than by verifying every unit a second time.
    let mut shipments = BTreeMap::new();
    for i in first..last {
        if let Ok(e) = Entry::decode(&log.entry_bytes(i)?)
            && e.command == Command::Vet
            && let Ok(sh) = Shipment::of(log, &e)
        {
            shipments.insert(i, sh);
        }
    }
    let mut different = 0u64;
    for i in first..last {
        let e = Entry::decode(&log.entry_bytes(i)?)
            .map_err(|source| ReplayError::Entry { index: i, source })?;
        let prepared = shipments.remove(&i);
        let outcome = match replay_entry(log, &e, limits, &mut policies, prepared) {
            Ok(Replayed::Unit(unit)) => {
                // Feed the next shipment decision of this log, if the unit is one of its.
                let r = compare_unit(&unit, &e);
                if let Some((_, sh)) = shipments.range_mut(i + 1..).next()
                    && let (Some(d), Ok(rec)) =
                        (unit.digest, replay_policy_of(log, &e, &mut policies))
                {
                    sh.feed(log, rec, &e, d, *unit, limits);
                }
                r
            }
            Ok(Replayed::Decision) => Ok(()),
            Err(why) => Err(why),
        };
        if outcome.is_err() {
            different += 1;
        }
        on(Event::Entry {
            index: i,
            entry: &e,
            different: outcome.as_ref().err().map(String::as_str),
        });
    }
    Ok(ReplaySummary {
        replayed: last.saturating_sub(first),
        different,
        problems: problems.len() as u64,
    })
}

/// What a decision was judged under, from the record: the policy (with the
/// key files it names) and the deployment file, if one was given.
pub(crate) struct Recorded {
    policy: Policy,
    deployment: Option<Deployment>,
}

/// The stored policy, with the key files it names read from the record, and
/// the stored deployment file checked against it.
fn replay_recorded(bytes: &[u8], log: &Log, e: &Entry) -> Result<Recorded, String> {
    let policy = replay_policy(bytes, log, e)?;
    let deployment = match e.input(&Input::Deployment) {
        None => None,
        Some(d) => {
            let b = log.object(&d).map_err(|err| err.to_string())?;
            Some(
                Deployment::parse(&b, Path::new("deployment.csv"), &policy)
                    .map_err(|err| format!("stored deployment file no longer loads: {err}"))?,
            )
        }
    };
    Ok(Recorded { policy, deployment })
}

/// The stored policy, with the key files it names read from the record.
fn replay_policy(bytes: &[u8], log: &Log, e: &Entry) -> Result<Policy, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "stored policy is not UTF-8".to_string())?;
    let read = |name: &str| -> Result<Vec<u8>, String> {
        let d = e
            .input(&Input::KeyFile(name.to_owned()))
            .ok_or(format!("key file {name} was not recorded"))?;
        log.object(&d).map_err(|err| err.to_string())
    };
    Policy::parse_with(text, Path::new("policy.toml"), &read)
        .map_err(|err| format!("stored policy no longer loads: {err}"))
}

/// Compares a re-run decision (verdict and findings) with its log entry.
fn compare(verdict: Verdict, findings: &[Finding], e: &Entry) -> Result<(), String> {
    if verdict.as_str() != e.verdict {
        return Err(format!(
            "verdict {} now, {} recorded",
            verdict.as_str(),
            e.verdict
        ));
    }
    let digest = findings_digest(findings);
    if digest != e.findings {
        return Err(format!(
            "findings digest {digest} now, {} recorded",
            e.findings
        ));
    }
    Ok(())
}

/// What replaying one entry gave.
enum Replayed {
    /// A unit decision of `vet`, re-verified (compared by the caller).
    Unit(Box<Unit>),
    /// Any other decision, already compared with its entry.
    Decision,
}

/// The digest an entry records for `input`.
fn recorded(e: &Entry, input: Input) -> Result<Sha256, String> {
    e.input(&input)
        .ok_or_else(|| format!("no '{input}' input recorded"))
}

/// The stored policy of an entry, parsed once per replay (with the key files
/// it names).
fn replay_policy_of<'p>(
    log: &Log,
    e: &Entry,
    policies: &'p mut HashMap<Sha256, Result<Recorded, String>>,
) -> Result<&'p Recorded, String> {
    let mut key_material = recorded(e, Input::Policy)?.0.to_vec();
    for (k, d) in e
        .inputs
        .iter()
        .filter(|(k, _)| matches!(k, Input::KeyFile(_) | Input::Deployment))
    {
        key_material.extend_from_slice(k.name().as_bytes());
        key_material.extend_from_slice(&d.0);
    }
    let pd = Sha256::of(&key_material);
    match policies.entry(pd).or_insert_with(|| {
        log.object(&recorded(e, Input::Policy)?)
            .map_err(|err| err.to_string())
            .and_then(|b| replay_recorded(&b, log, e))
    }) {
        Ok(p) => Ok(&*p),
        Err(err) => Err(err.clone()),
    }
}

/// A unit decision compared with its entry.
fn compare_unit(u: &Unit, e: &Entry) -> Result<(), String> {
    match &u.outcome {
        Ok(report) => compare(report.verdict, &report.findings, e),
        Err(err) => Err(err.clone()),
    }
}

/// A logged shipment decision being rebuilt while its units' entries are
/// replayed: each stored unit in path order, from a replayed entry with the
/// same bytes, policy and time where there is one, else verified here from
/// its stored bytes (as `vet` verified it).
struct Shipment {
    units: Vec<Option<Sha256>>,
    policy_inputs: Vec<(Input, Sha256)>,
    at: Timestamp,
    next: usize,
    fleet: Fleet,
    /// The first stored unit that could not be loaded: the decision cannot
    /// be rebuilt.
    error: Option<String>,
}

impl Shipment {
    /// The shipment decision `e` (a `vet` entry with a `units` input).
    fn of(log: &Log, e: &Entry) -> Result<Shipment, String> {
        let stored = log
            .object(&recorded(e, Input::Units)?)
            .map_err(|err| err.to_string())?;
        let list = cbor::decode(&stored, UNIT_LIST_DEPTH)
            .map_err(|err| format!("stored unit list: {err}"))?;
        let Value::Array(items) = list else {
            return Err("stored unit list is not an array".into());
        };
        let units = items
            .iter()
            .map(|v| match v {
                Value::Null => Ok(None),
                d => Sha256::from_cbor(d)
                    .map(Some)
                    .map_err(|err| format!("stored unit list: {err}")),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Shipment {
            units,
            policy_inputs: e.policy_inputs(),
            at: e.at,
            next: 0,
            fleet: Fleet::new(),
            error: None,
        })
    }

    /// Verifies slot `n` from its stored bytes (`null`: unreadable when vetted).
    fn fill(&mut self, log: &Log, rec: &Recorded, n: usize, limits: &Limits) {
        let bytes = match self.units[n].map(|d| log.object(&d)).transpose() {
            Ok(b) => b,
            Err(err) => {
                self.error.get_or_insert(err.to_string());
                return;
            }
        };
        self.fleet.add(&stored_unit(
            &rec.policy,
            rec.deployment.as_ref(),
            n,
            bytes.as_deref(),
            self.at,
            limits,
        ));
    }

    /// Takes a replayed unit if it is one of this shipment's, under the same
    /// policy and time: slots before it are filled from stored bytes.
    fn feed(
        &mut self,
        log: &Log,
        rec: &Recorded,
        e: &Entry,
        digest: Sha256,
        mut unit: Unit,
        limits: &Limits,
    ) {
        if e.command != Command::Vet || e.at != self.at || e.policy_inputs() != self.policy_inputs {
            return;
        }
        let Some(k) = (self.next..self.units.len()).find(|&k| self.units[k] == Some(digest)) else {
            return;
        };
        for n in self.next..k {
            self.fill(log, rec, n, limits);
        }
        unit.path = PathBuf::from(format!("unit-{k}"));
        self.fleet.add(&unit);
        self.next = k + 1;
    }

    /// The summary, after filling the slots no replayed entry covered.
    fn finish(mut self, log: &Log, rec: &Recorded, limits: &Limits) -> Result<Summary, String> {
        for n in self.next..self.units.len() {
            self.fill(log, rec, n, limits);
        }
        match self.error {
            Some(err) => Err(err),
            None => Ok(self
                .fleet
                .finish(&rec.policy, self.at, &|i| format!("unit-{i}"))),
        }
    }
}

/// A logged shipment decision (a `vet` entry with a `units` input) rebuilt
/// from its stored units, policy and deployment file, and compared with the
/// entry: its summary if it reproduces the recorded verdict and fleet
/// findings, else why not. `policies` caches parsed policies by their
/// recorded inputs.
pub(crate) fn shipment_summary(
    log: &Log,
    e: &Entry,
    limits: &Limits,
    policies: &mut PolicyCache,
) -> Result<Summary, String> {
    let rec = replay_policy_of(log, e, policies)?;
    let summary = Shipment::of(log, e)?.finish(log, rec, limits)?;
    compare(summary.verdict, &summary.fleet_findings, e)?;
    Ok(summary)
}

/// Parsed policies (with their deployment files) by recorded inputs.
pub(crate) type PolicyCache = HashMap<Sha256, Result<Recorded, String>>;

/// The policy a decision was recorded under, from the cache or the log.
pub(crate) fn recorded_policy<'p>(
    log: &Log,
    e: &Entry,
    policies: &'p mut PolicyCache,
) -> Result<&'p Policy, String> {
    replay_policy_of(log, e, policies).map(|r| &r.policy)
}

/// Deepest nesting of a stored unit list: the array and a digest in it.
const UNIT_LIST_DEPTH: usize = 2;

fn replay_entry(
    log: &Log,
    e: &Entry,
    limits: &Limits,
    policies: &mut HashMap<Sha256, Result<Recorded, String>>,
    prepared: Option<Shipment>,
) -> Result<Replayed, String> {
    let input = |which: Input| -> Result<Vec<u8>, String> {
        log.object(&recorded(e, which)?)
            .map_err(|err| err.to_string())
    };
    if e.command == Command::Publish {
        // A publication decides nothing: the statement must be stored, and
        // the entry must say exactly what `log add` writes.
        let d = recorded(e, Input::Statement)?;
        input(Input::Statement)?;
        if e.published_statement() != Some(d) {
            return Err(
                "a publish entry must name one statement, say 'published' and have no findings"
                    .into(),
            );
        }
        return Ok(Replayed::Decision);
    }
    // Each stored policy (with the key files it names) is parsed once per replay.
    let rec = replay_policy_of(log, e, policies)?;
    let (policy, deployment) = (&rec.policy, rec.deployment.as_ref());
    match &e.command {
        Command::Vet if e.input(&Input::Units).is_some() => {
            // A shipment decision: the fleet checks over the stored units.
            let shipment = match prepared {
                Some(sh) => sh,
                None => Shipment::of(log, e)?,
            };
            let summary = shipment.finish(log, rec, limits)?;
            compare(summary.verdict, &summary.fleet_findings, e)?;
            Ok(Replayed::Decision)
        }
        Command::Vet => {
            let bytes = input(Input::Bundle)?;
            Ok(Replayed::Unit(Box::new(Unit {
                path: PathBuf::from("unit"),
                digest: Some(Sha256::of(&bytes)),
                outcome: crate::decide::verify::verify_deployed(
                    policy, deployment, &bytes, e.at, limits,
                )
                .map_err(|err| err.to_string()),
            })))
        }
        Command::Verify => {
            let bundle = input(Input::Bundle)?;
            let report =
                crate::decide::verify::verify_deployed(policy, deployment, &bundle, e.at, limits)
                    .map_err(|err| err.to_string())?;
            compare(report.verdict, &report.findings, e)?;
            Ok(Replayed::Decision)
        }
        Command::Gate => {
            let state = State::parse(&input(Input::State)?, Path::new("stored state"))
                .map_err(|err| err.to_string())?;
            // A gate that refused before reading the image recorded none.
            let facts = match e.input(&Input::ImageFacts) {
                None if e.input(&Input::Image).is_none() => None,
                _ => {
                    let facts = crate::decide::image::parse_image_facts(&input(Input::ImageFacts)?)
                        .ok_or("stored image facts are malformed")?;
                    if e.input(&Input::Image) != Some(facts.sha256) {
                        return Err("the recorded image digest and image facts disagree".into());
                    }
                    Some(facts)
                }
            };
            let report = crate::decide::gate::decide(
                policy,
                &input(Input::Bundle)?,
                &state,
                facts,
                e.at,
                limits,
            )
            .map_err(|err| err.to_string())?;
            compare(report.verdict, &report.findings, e)?;
            Ok(Replayed::Decision)
        }
        Command::Publish => Err("unreachable: publish entries are checked above".into()),
        Command::Other(other) => Err(format!(
            "'{other}' entries cannot be replayed by this version"
        )),
    }
}
