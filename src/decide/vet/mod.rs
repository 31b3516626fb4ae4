//! Shipment vetting (SPEC section 9): verify every bundle under some paths in
//! parallel, then check the set (`fleet.duplicate-serial`,
//! `fleet.concentration`) and summarise where the shipment's supply chain
//! runs. Units are verified by a few threads a bounded window ahead and
//! reported in path order, so output does not depend on the number of
//! threads and memory holds a small summary per unit plus the window.

use crate::decide::cache::StatementCache;
pub use crate::decide::fleet::{Fleet, UNCLASSIFIED, Unit};
use crate::fsutil;
use crate::limits::Limits;
use crate::policy::Policy;
use crate::policy::deployment::Deployment;
pub use crate::report::shipment::{
    ClassSummary, FailingUnit, MAX_LISTED_FAILURES, MAX_LISTED_REASONS, MAX_LISTED_SKIPPED,
    PhaseoutSummary, Skipped, Summary,
};
use crate::wire::digest::Sha256;
use crate::wire::time::Timestamp;
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

mod paths;
pub use paths::{Collected, PathList, collect};

/// Units in flight (being verified or waiting to be reported in order) per
/// worker thread.
pub const WINDOW_PER_THREAD: usize = 8;

/// Why a vet cannot run at all (exit 2).
#[derive(Debug)]
#[non_exhaustive]
pub enum VetError {
    /// A path does not exist or cannot be listed.
    Path {
        /// The path.
        path: PathBuf,
        /// What went wrong.
        problem: String,
    },
    /// The paths hold no bundle.
    NoUnits {
        /// Entries passed over (hidden, or not `*.cbor`/`*.cose`).
        skipped: usize,
    },
    /// Verifying a unit failed in a way that is a bug in hwprov.
    Internal {
        /// Its position in path order.
        unit: usize,
    },
}

impl fmt::Display for VetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VetError::Path { path, problem } => write!(f, "{}: {problem}", path.display()),
            VetError::Internal { unit } => write!(
                f,
                "internal error while verifying unit {unit} (in path order); please report it with that unit (see SECURITY.md)"
            ),
            VetError::NoUnits { skipped } => write!(
                f,
                "no bundles found ({skipped} other or hidden file(s) passed over): give bundle files, or directories holding *.cbor or *.cose files"
            ),
        }
    }
}

impl std::error::Error for VetError {}

/// Units a worker takes at a time: their signatures' points are compared
/// with their `R`s together (one field inversion for the group; see
/// [`check_bundle`](crate::decide::verify::check_bundle)).
const GROUP: usize = 4;
/// A group is finished early once the bundles read for it hold this many
/// bytes, so a worker never holds more than this plus one bundle.
const GROUP_BYTES: usize = 1 << 20;

/// Verifies the units at positions `range`, in order; `digest`: also hash
/// their bytes (for the decision log).
#[allow(clippy::too_many_arguments)]
fn verify_group(
    policy: &Policy,
    deployment: Option<&Deployment>,
    units: &PathList,
    range: std::ops::Range<usize>,
    at: Timestamp,
    limits: &Limits,
    cache: Option<&StatementCache>,
    digest: bool,
) -> Vec<Unit> {
    use crate::decide::verify::{BundleChecks, check_bundle, evaluate_checked};
    use crate::wire::keys::SignaturePoint;
    type Read<'p> = (PathBuf, Option<Sha256>, Result<BundleChecks<'p>, String>);
    // The second phase of every unit read so far, their points compared
    // at once.
    let finish = |checked: &mut Vec<Read<'_>>, out: &mut Vec<Unit>| {
        let points: Vec<_> = checked
            .iter()
            .filter_map(|(_, _, c)| c.as_ref().ok())
            .flat_map(|c| c.points())
            .collect();
        let verdicts = SignaturePoint::match_all(&points);
        let mut verdicts = verdicts.as_slice();
        for (path, digest, c) in checked.drain(..) {
            let outcome = c.and_then(|c| {
                let mine = SignaturePoint::take_verdicts(&mut verdicts, c.points().count());
                evaluate_checked(policy, c, mine, at, limits, None, deployment)
                    .map_err(|e| format!("{}: {e}", path.display()))
            });
            out.push(Unit {
                path,
                digest,
                outcome,
            });
        }
    };
    let mut out = Vec::with_capacity(range.len());
    let mut checked: Vec<Read<'_>> = Vec::with_capacity(range.len());
    let mut held = 0usize;
    for i in range {
        let Some(path) = units.get(i) else {
            finish(&mut checked, &mut out);
            out.push(Unit {
                path: PathBuf::new(),
                digest: None,
                outcome: Err("internal: no such unit".into()),
            });
            continue;
        };
        let bytes = units
            .read(i, &path, limits.max_bundle_bytes)
            .map_err(|e| e.to_string());
        let digest = bytes
            .as_ref()
            .ok()
            .filter(|_| digest)
            .map(|b| Sha256::of(b));
        held += bytes.as_ref().map_or(0, Vec::len);
        let c = bytes.and_then(|b| {
            check_bundle(policy, &b, at, limits, cache)
                .map_err(|e| format!("{}: {e}", path.display()))
        });
        checked.push((path, digest, c));
        if held > GROUP_BYTES {
            finish(&mut checked, &mut out);
            held = 0;
        }
    }
    finish(&mut checked, &mut out);
    out
}

/// Runs a vet: verifies every unit (`jobs` threads), calls `on_unit` for each
/// in path order as results arrive, then applies the fleet checks. Each
/// distinct statement is checked once (see [`run_shared`]).
pub fn run(
    policy: &Policy,
    deployment: Option<&Deployment>,
    units: &PathList,
    at: Timestamp,
    limits: &Limits,
    jobs: usize,
    on_unit: impl FnMut(&Unit),
) -> Result<Summary, VetError> {
    let cache = StatementCache::new();
    run_shared(
        policy,
        deployment,
        units,
        at,
        limits,
        jobs,
        Some(&cache),
        false,
        on_unit,
    )
}

/// Threads that read units ahead of the workers.
const PREFETCH_THREADS: usize = 4;
/// How far ahead of the furthest unit a worker took they read.
const PREFETCH_AHEAD: usize = 1024;
/// Where the kernel cannot say whether a file is cached (see
/// [`fsutil::warm_up`]): a read that takes longer than this came from the
/// disk, not the page cache (a cached open and read of a small file takes a
/// few microseconds, unless the machine is busy).
const PREFETCH_COLD: std::time::Duration = std::time::Duration::from_micros(50);
/// Consecutive cached units after which a prefetch thread reads only every
/// other unit it takes (then every fourth, ... up to every
/// `PREFETCH_MAX_STRIDE`th), and one read from the disk makes it read
/// every unit again: a warm page cache costs a few reads in a thousand, a
/// cold one is read ahead in full.
const PREFETCH_WARM_RUN: u32 = 8;
const PREFETCH_MAX_STRIDE: usize = 256;

/// Reads units (regular files only, as `verify_file` does) into the page
/// cache ahead of the workers, discarding the bytes; stops at the end or
/// when the run is done. While the units it reads are already cached it
/// samples them ever more sparsely (see [`PREFETCH_WARM_RUN`]).
fn prefetch(
    units: &PathList,
    reached: &AtomicUsize,
    next: &AtomicUsize,
    done: &AtomicBool,
    limits: &Limits,
) {
    let (mut stride, mut warm) = (1usize, 0u32);
    let mut buf = Vec::new();
    loop {
        let i = next.fetch_add(stride, Ordering::Relaxed);
        let Some(path) = units.get(i) else { return };
        // Far enough ahead: wait, ever longer (1 to 16 ms) while the
        // workers do not catch up, so an idle read-ahead thread does not
        // wake a thousand times a second.
        let mut nap = 1;
        while i > reached.load(Ordering::Relaxed) + PREFETCH_AHEAD {
            if done.load(Ordering::Relaxed) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(nap));
            nap = (nap * 2).min(16);
        }
        if done.load(Ordering::Relaxed) {
            return;
        }
        let start = std::time::Instant::now();
        let cold = match units.warm_up(i, &path, limits.max_bundle_bytes, &mut buf) {
            fsutil::Warmth::Cached => false,
            fsutil::Warmth::Read => true,
            // Told by how long the read took (which a busy machine's
            // scheduler lengthens too).
            fsutil::Warmth::Unknown => start.elapsed() > PREFETCH_COLD,
        };
        if cold {
            (stride, warm) = (1, 0);
        } else {
            warm += 1;
            if warm >= PREFETCH_WARM_RUN {
                (stride, warm) = ((stride * 2).min(PREFETCH_MAX_STRIDE), 0);
            }
        }
    }
}

/// [`run`] with the statement checks shared across bundles and workers
/// through `cache` (`None`: every statement of every bundle is checked).
/// The summary and every unit's report are the same either way. `digests`:
/// each [`Unit`] carries the SHA-256 of its bytes (for the decision log).
#[allow(clippy::too_many_arguments)]
pub fn run_shared(
    policy: &Policy,
    deployment: Option<&Deployment>,
    units: &PathList,
    at: Timestamp,
    limits: &Limits,
    jobs: usize,
    cache: Option<&StatementCache>,
    digests: bool,
    on_unit: impl FnMut(&Unit),
) -> Result<Summary, VetError> {
    // Reading many small files from a cold page cache is latency, not
    // work: a few threads read ahead of the workers (at most
    // `PREFETCH_AHEAD` units) so the workers find the bytes in the cache.
    let reached = AtomicUsize::new(0);
    let next = AtomicUsize::new(0);
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        for _ in 0..PREFETCH_THREADS {
            let (reached, next, done) = (&reached, &next, &done);
            let _ = std::thread::Builder::new()
                .name("hwprov-prefetch".into())
                .spawn_scoped(scope, move || prefetch(units, reached, next, done, limits));
        }
        let r = run_with(
            policy,
            units.len(),
            at,
            jobs,
            |range| {
                reached.fetch_max(range.end, Ordering::Relaxed);
                verify_group(policy, deployment, units, range, at, limits, cache, digests)
            },
            |i| units.get(i).map(|p| p.display().to_string()).unwrap_or_default(),
            on_unit,
        );
        done.store(true, Ordering::Relaxed);
        r
    })
    .map_err(|e| match e {
        VetError::Internal { unit } => VetError::Path {
            path: units.get(unit).unwrap_or_default(),
            problem: "internal error while verifying this unit; please report it with the unit (see SECURITY.md)".into(),
        },
        e => e,
    })
}

/// What the vet workers and the reporting thread share.
#[derive(Default)]
struct Pipeline {
    /// The next unit (in path order) a worker will take.
    next: usize,
    /// Units reported so far.
    reported: usize,
    /// Finished units not yet reported, by position.
    done: BTreeMap<usize, Unit>,
    workers_waiting: usize,
    reporter_waiting: bool,
    /// A worker panicked: take nothing more.
    stop: bool,
    /// The first unit a worker panicked on.
    failed: Option<usize>,
}

impl Pipeline {
    /// Finished units in order from the next one to report.
    fn ready(&self) -> usize {
        (self.reported..)
            .take_while(|i| self.done.contains_key(i))
            .count()
    }
}

/// The pipeline over units `0..count`: `check` verifies one, `name` names
/// one (for the duplicate-serial finding's list of files).
fn run_with(
    policy: &Policy,
    count: usize,
    at: Timestamp,
    jobs: usize,
    check: impl Fn(std::ops::Range<usize>) -> Vec<Unit> + Sync,
    name: impl Fn(usize) -> String,
    mut on_unit: impl FnMut(&Unit),
) -> Result<Summary, VetError> {
    let jobs = jobs.max(1);
    let window = WINDOW_PER_THREAD * jobs;
    // The reporting thread takes finished units in batches of half the
    // window, so it and the workers wake each other about once per batch
    // rather than once per unit.
    let batch = (window / 2).max(1);
    let mut acc = Fleet::with_capacity(count);
    // `jobs` workers take units in path order, but never more than `window`
    // ahead of the last one reported; this thread reports them in order.
    // Memory holds at most `window` reports, however large each one is (a
    // hostile unit's can run to tens of megabytes), and no worker waits for
    // a slow unit unless it is `window` units behind.
    let shared = std::sync::Mutex::new(Pipeline::default());
    let (for_workers, for_reporter) = (std::sync::Condvar::new(), std::sync::Condvar::new());
    std::thread::scope(|scope| -> Result<(), VetError> {
        for _ in 0..jobs {
            let (shared, for_workers, for_reporter, check) =
                (&shared, &for_workers, &for_reporter, &check);
            std::thread::Builder::new()
                .name("hwprov-vet".into())
                .spawn_scoped(scope, move || {
                    loop {
                        let i = {
                            let Ok(mut p) = shared.lock() else { return };
                            while !p.stop && p.next < count && p.next >= p.reported + window {
                                p.workers_waiting += 1;
                                p = match for_workers.wait(p) {
                                    Ok(p) => p,
                                    Err(_) => return,
                                };
                                p.workers_waiting -= 1;
                            }
                            if p.stop || p.next >= count {
                                return;
                            }
                            let end = (p.next + GROUP).min(count).min(p.reported + window);
                            let range = p.next..end;
                            p.next = end;
                            range
                        };
                        // A bug that panics on one unit must not leave the
                        // others waiting forever: stop, and let the reporter
                        // name the unit (found by taking the group's units
                        // one at a time).
                        let run = |r: std::ops::Range<usize>| {
                            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(r)))
                        };
                        let units = run(i.clone()).map(|u| vec![(i.start, u)]).or_else(|_| {
                            let mut each = Vec::new();
                            for j in i.clone() {
                                match run(j..j + 1) {
                                    Ok(u) => each.push((j, u)),
                                    Err(_) => return Err(j),
                                }
                            }
                            Ok(each)
                        });
                        let Ok(mut p) = shared.lock() else { return };
                        match units {
                            Ok(groups) => {
                                for (start, group) in groups {
                                    for (j, u) in (start..).zip(group) {
                                        p.done.insert(j, u);
                                    }
                                }
                            }
                            Err(j) => {
                                p.stop = true;
                                p.failed.get_or_insert(j);
                                for_workers.notify_all();
                            }
                        }
                        if p.reporter_waiting
                            && (p.stop || p.ready() >= batch.min(count - p.reported))
                        {
                            for_reporter.notify_one();
                        }
                    }
                })
                .map_err(|e| VetError::Path {
                    path: PathBuf::from("--jobs"),
                    problem: format!("cannot start a worker thread: {e}"),
                })?;
        }
        let mut reported = 0usize;
        while reported < count {
            let taken: Vec<Unit> = {
                let mut p = shared
                    .lock()
                    .map_err(|_| VetError::Internal { unit: reported })?;
                let want = batch.min(count - reported);
                while !p.stop && p.ready() < want {
                    p.reporter_waiting = true;
                    p = for_reporter
                        .wait(p)
                        .map_err(|_| VetError::Internal { unit: reported })?;
                    p.reporter_waiting = false;
                }
                let n = p.ready();
                if n == 0 {
                    // Stopped, and the next unit in order will never come.
                    let unit = p.failed.unwrap_or(reported);
                    p.stop = true;
                    for_workers.notify_all();
                    return Err(VetError::Internal { unit });
                }
                (reported..reported + n)
                    .filter_map(|i| p.done.remove(&i))
                    .collect()
            };
            for u in &taken {
                on_unit(u);
                acc.add(u);
            }
            reported += taken.len();
            drop(taken);
            if let Ok(mut p) = shared.lock() {
                p.reported = reported;
                if p.workers_waiting > 0 {
                    for_workers.notify_all();
                }
            }
        }
        Ok(())
    })?;
    Ok(acc.finish(policy, at, &|i| name(i as usize)))
}

/// A stored unit re-verified as `vet` verified it (`None`: unreadable when
/// vetted), named `unit-<n>` after its position; `replay` feeds these to a
/// [`Fleet`] to rebuild a logged shipment decision.
pub fn stored_unit(
    policy: &Policy,
    deployment: Option<&Deployment>,
    n: usize,
    bytes: Option<&[u8]>,
    at: Timestamp,
    limits: &Limits,
) -> Unit {
    let path = PathBuf::from(format!("unit-{n}"));
    match bytes {
        Some(b) => Unit {
            path,
            digest: Some(Sha256::of(b)),
            outcome: crate::decide::verify::verify_deployed(policy, deployment, b, at, limits)
                .map_err(|e| e.to_string()),
        },
        None => Unit {
            path,
            digest: None,
            outcome: Err("unreadable when vetted".into()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn unit(i: usize) -> Unit {
        Unit {
            path: PathBuf::from(format!("u{i}")),
            digest: None,
            outcome: Err(format!("unit {i}")),
        }
    }

    fn minimal_policy() -> Policy {
        Policy::parse(
            "[policy]\nname = \"t\"\nversion = \"1\"\n",
            Path::new("p.toml"),
            Path::new("."),
        )
        .expect("a minimal policy")
    }

    #[test]
    fn units_are_reported_in_order_whatever_order_they_finish_in() {
        let policy = minimal_policy();
        let units = 200;
        for jobs in [1, 2, 3, 7] {
            let mut seen = Vec::new();
            let summary = run_with(
                &policy,
                units,
                Timestamp(0),
                jobs,
                |r| {
                    r.map(|i| {
                        // Later units often finish first.
                        std::thread::sleep(std::time::Duration::from_micros(
                            ((i * 7919) % 13) as u64 * 50,
                        ));
                        unit(i)
                    })
                    .collect()
                },
                |i| format!("u{i}"),
                |u| seen.push(u.path.clone()),
            )
            .expect("no unit panics");
            assert_eq!(summary.units, 200);
            let want: Vec<PathBuf> = (0..200).map(|i| PathBuf::from(format!("u{i}"))).collect();
            assert_eq!(seen, want, "jobs {jobs}");
        }
    }

    #[test]
    fn a_panic_on_one_unit_is_an_error_naming_it_not_a_hang() {
        let policy = minimal_policy();
        let units = 100;
        for jobs in [1, 2, 4] {
            let mut seen = 0;
            let r = run_with(
                &policy,
                units,
                Timestamp(0),
                jobs,
                |r| {
                    r.map(|i| {
                        assert!(i != 37, "a bug on unit 37");
                        unit(i)
                    })
                    .collect()
                },
                |i| format!("u{i}"),
                |_| seen += 1,
            );
            assert!(
                matches!(r, Err(VetError::Internal { unit: 37 })),
                "jobs {jobs}: {:?}",
                r.err()
            );
            assert!(seen <= 37, "jobs {jobs}: {seen} units reported");
        }
    }
}
