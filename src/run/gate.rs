//! `hwprov gate` as one transaction (SPEC section 9): lock the device's
//! state, read and stage the image, decide, record the decision, and only
//! on accept commit the image and then the new state. A refusal or any
//! error leaves the image destination and the state as they were.
//!
//! ```no_run
//! use hwprov::run::Gate;
//! use hwprov::{Limits, Policy, Timestamp};
//! use std::path::Path;
//!
//! let limits = Limits::DEFAULT;
//! let policy = Policy::load(Path::new("policy.toml"), &limits)?;
//! let outcome = Gate {
//!     policy: &policy,
//!     state: Path::new("bmc-state.json"),
//!     bundle: Path::new("release.cbor"),
//!     image: Path::new("bmc-2.4.1.bin"),
//!     install: Some(Path::new("/var/lib/bmc/active.bin")),
//!     at: Timestamp::now(),
//!     deny_warnings: false,
//!     log: None,
//! }
//! .run(&limits)?;
//! println!("{}", outcome.report.gate.decision);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::audit::log::{Log, LogError};
use crate::audit::record::policy_inputs;
use crate::decide::gate::{GateReport, GateSummary, RootError, accepts, verified_root_release};
use crate::decide::image::image_facts_bytes;
use crate::decide::image::{ImageError, open_image, read_bound, read_image_with};
use crate::fsutil::{self, FileError};
use crate::limits::Limits;
use crate::policy::Policy;
use crate::report::entry::{Command, Entry, Input};
use crate::wire::bundle::BundleError;
use crate::wire::state::{InstalledImage, State, StateError};
use crate::wire::statement::FirmwareBody;
use crate::wire::time::Timestamp;
use std::path::{Path, PathBuf};

/// One gate run: may `image` be installed on the device `state` describes?
#[derive(Debug, Clone, Copy)]
pub struct Gate<'a> {
    /// The trust policy.
    pub policy: &'a Policy,
    /// The device's state file (read, and rewritten on accept).
    pub state: &'a Path,
    /// The release bundle (root: the firmware release).
    pub bundle: &'a Path,
    /// The image; `-` reads standard input.
    pub image: &'a Path,
    /// Where to install the image on accept (renamed into place).
    pub install: Option<&'a Path>,
    /// Evaluation time.
    pub at: Timestamp,
    /// Refuse on a `warn` verdict too.
    pub deny_warnings: bool,
    /// Record the decision here before acting on it.
    pub log: Option<&'a Log>,
}

/// What the gate did.
#[derive(Debug, Clone)]
pub struct GateOutcome {
    /// The report and the decision.
    pub report: GateReport,
    /// Whether the image was accepted (installed and the state updated).
    pub accepted: bool,
    /// The release judged, when the bundle's root verified.
    pub release: Option<FirmwareBody>,
}

/// The gate could not decide or act (exit 2); nothing was installed and the
/// state is unchanged.
#[derive(Debug)]
#[non_exhaustive]
pub enum GateError {
    /// `--state -`: the state must be a file.
    StateIsStdin,
    /// `--install -`: the image is never written to standard output.
    InstallIsStdout,
    /// The install destination is the state file.
    InstallIsState {
        /// The destination.
        install: PathBuf,
        /// The state file.
        state: PathBuf,
    },
    /// The install destination is a directory.
    InstallIsDirectory {
        /// The destination.
        install: PathBuf,
    },
    /// The state's directory could not be locked.
    Lock {
        /// The state file.
        state: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The state file is unreadable or invalid, or could not be written.
    State(StateError),
    /// The state names a class or zone the policy does not declare.
    StateScope {
        /// The state file.
        state: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// The state changed between the decision and the recording.
    StateChanged {
        /// The state file.
        state: PathBuf,
    },
    /// A file could not be read.
    File(FileError),
    /// The bundle's root is not a firmware release, or not a bundle.
    Root {
        /// The bundle file.
        bundle: PathBuf,
        /// Why.
        source: RootError,
    },
    /// The bundle is not a bundle.
    Bundle {
        /// The bundle file.
        bundle: PathBuf,
        /// Why.
        source: BundleError,
    },
    /// The image could not be opened.
    OpenImage {
        /// The image.
        image: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The image could not be read.
    Image {
        /// The image.
        image: PathBuf,
        /// Why.
        source: ImageError,
    },
    /// The image could not be staged beside the destination.
    Stage {
        /// The destination.
        install: PathBuf,
        /// Why.
        source: ImageError,
    },
    /// The image is larger than `Limits::max_image_bytes`.
    ImageTooLarge {
        /// The image.
        image: PathBuf,
        /// The limit.
        limit: u64,
    },
    /// The decision could not be recorded.
    Log(LogError),
    /// Renaming the accepted image into place failed.
    Install {
        /// The destination.
        install: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl std::fmt::Display for GateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GateError::StateIsStdin => f.write_str(
                "--state -: the state must be a file (it is read and rewritten), not standard input",
            ),
            GateError::InstallIsStdout => f.write_str(
                "--install -: give the file path to install to; the image is never written to standard output",
            ),
            GateError::InstallIsState { install, state } => write!(
                f,
                "--install {} and --state {} name the same file; the image would overwrite the device state",
                install.display(),
                state.display()
            ),
            GateError::InstallIsDirectory { install } => write!(
                f,
                "--install {}: is a directory; give the file path to install to",
                install.display()
            ),
            GateError::Lock { state, source } => write!(
                f,
                "{}: cannot lock the state's directory: {source}",
                state.display()
            ),
            GateError::State(e) => write!(f, "{e}"),
            GateError::StateScope { state, problem } => {
                write!(f, "{}: {problem}", state.display())
            }
            GateError::StateChanged { state } => write!(
                f,
                "{}: the state changed while it was read; run again",
                state.display()
            ),
            GateError::File(e) => write!(f, "{e}"),
            GateError::Root { bundle, source } => write!(f, "{}: {source}", bundle.display()),
            GateError::Bundle { bundle, source } => write!(f, "{}: {source}", bundle.display()),
            GateError::OpenImage { image, source } => write!(f, "{}: {source}", image.display()),
            GateError::Image { image, source } => write!(f, "{}: {source}", image.display()),
            GateError::Stage { install, source } => write!(
                f,
                "--install {}: {source}; nothing was installed",
                install.display()
            ),
            GateError::ImageTooLarge { image, limit } => write!(
                f,
                "{}: the image is larger than the limit of {limit} bytes; nothing was installed",
                image.display()
            ),
            GateError::Log(e) => write!(f, "{e}"),
            GateError::Install { install, source } => {
                write!(f, "installing to {}: {source}", install.display())
            }
        }
    }
}

impl std::error::Error for GateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            GateError::Lock { source, .. }
            | GateError::Install { source, .. }
            | GateError::OpenImage { source, .. } => Some(source),
            GateError::State(e) => Some(e),
            GateError::File(e) => Some(e),
            GateError::Root { source, .. } => Some(source),
            GateError::Bundle { source, .. } => Some(source),
            GateError::Image { source, .. } | GateError::Stage { source, .. } => Some(source),
            GateError::Log(e) => Some(e),
            _ => None,
        }
    }
}

impl From<LogError> for GateError {
    fn from(e: LogError) -> Self {
        GateError::Log(e)
    }
}

/// `state` and `install` (SPEC 9): neither is standard input, and they name
/// different files (installing the image over the state would destroy the
/// record of what is installed). [`Gate::run`] checks this first; a caller
/// may check it before loading the policy.
pub fn check_paths(state: &Path, install: Option<&Path>) -> Result<(), GateError> {
    if state == Path::new("-") {
        return Err(GateError::StateIsStdin);
    }
    if let Some(dest) = install {
        if dest == Path::new("-") {
            return Err(GateError::InstallIsStdout);
        }
        if fsutil::same_file(dest, state) {
            return Err(GateError::InstallIsState {
                install: dest.to_owned(),
                state: state.to_owned(),
            });
        }
    }
    Ok(())
}

impl Gate<'_> {
    /// Runs the gate: decides, records (with `log`), and on accept installs
    /// the image (with `install`) and rewrites the state, in that order.
    pub fn run(&self, limits: &Limits) -> Result<GateOutcome, GateError> {
        check_paths(self.state, self.install)?;
        // One gate at a time per device: the state is read, decided on and
        // replaced (with the image) under a lock on its directory, so two
        // concurrent updates cannot interleave their renames or both pass
        // the rollback check against the same old svn.
        let _lock = fsutil::lock_dir_of(self.state).map_err(|source| GateError::Lock {
            state: self.state.to_owned(),
            source,
        })?;
        let state = State::load(self.state, limits).map_err(GateError::State)?;
        crate::decide::gate::check_state_scope(self.policy, &state).map_err(|problem| {
            GateError::StateScope {
                state: self.state.to_owned(),
                problem,
            }
        })?;
        let bundle_bytes =
            fsutil::read_bounded(self.bundle, limits.max_bundle_bytes).map_err(GateError::File)?;
        // SPEC 9: the root must be a firmware release (else an input
        // error), and the image is read only if it verifies, at most its
        // declared size + 1 bytes: an unverifiable bundle never makes the
        // gate read or stage gigabytes.
        let release = verified_root_release(self.policy, &bundle_bytes, self.at, limits).map_err(
            |source| GateError::Root {
                bundle: self.bundle.to_owned(),
                source,
            },
        )?;
        if let Some(dest) = self.install
            && dest.is_dir()
        {
            return Err(GateError::InstallIsDirectory {
                install: dest.to_owned(),
            });
        }

        // The image, read once: hashed, and staged beside the destination.
        let (facts, staged) = match &release {
            None => (None, None),
            Some(r) => {
                let image_err = |source| GateError::Image {
                    image: self.image.to_owned(),
                    source,
                };
                let input = open_image(self.image).map_err(|source| GateError::OpenImage {
                    image: self.image.to_owned(),
                    source,
                })?;
                let (facts, staged) = read_image_with(
                    input,
                    self.install,
                    read_bound(Some(r.size), limits),
                    &r.digests,
                )
                .map_err(|e| match (&e, self.install) {
                    (ImageError::Stage(_), Some(dest)) => GateError::Stage {
                        install: dest.to_owned(),
                        source: e,
                    },
                    _ => image_err(e),
                })?;
                if facts.size > limits.max_image_bytes {
                    return Err(GateError::ImageTooLarge {
                        image: self.image.to_owned(),
                        limit: limits.max_image_bytes,
                    });
                }
                (Some(facts), staged)
            }
        };

        let report =
            crate::decide::gate::decide(self.policy, &bundle_bytes, &state, facts, self.at, limits)
                .map_err(|source| GateError::Bundle {
                    bundle: self.bundle.to_owned(),
                    source,
                })?;
        if let Some(log) = self.log {
            // Recorded before anything is installed or reported.
            let state_bytes =
                fsutil::read_bounded(self.state, limits.max_json_bytes).map_err(GateError::File)?;
            if State::parse(&state_bytes, self.state).ok().as_ref() != Some(&state) {
                return Err(GateError::StateChanged {
                    state: self.state.to_owned(),
                });
            }
            let mut inputs = vec![
                (Input::Bundle, log.put_object(&bundle_bytes)?),
                (Input::State, log.put_object(&state_bytes)?),
            ];
            if let Some(facts) = &facts {
                inputs.push((Input::Image, facts.sha256));
                inputs.push((
                    Input::ImageFacts,
                    log.put_object(&image_facts_bytes(facts))?,
                ));
            }
            inputs.extend(policy_inputs(log, self.policy, None)?);
            let mut entry = [Entry::new(
                Command::Gate,
                self.at,
                inputs,
                report.verdict,
                &report.findings,
            )];
            log.append(&mut entry)?;
        }
        // Only a verified release is ever accepted (its always-deny findings
        // fail the verdict otherwise); `release` is that statement.
        let accepted = accepts(report.verdict, self.deny_warnings) && release.is_some();
        let component = release.as_ref().map(|r| r.target.component.clone());
        let mut summary = GateSummary {
            decision: if accepted { "accept" } else { "refuse" },
            device: state.device.clone(),
            installed: component
                .as_ref()
                .and_then(|c| state.installed.get(c).cloned()),
            component,
            image: facts,
            installed_to: None,
            state_updated: false,
        };
        if accepted {
            // Everything that can fail is done first: the new state is
            // written beside the old one, then the image is renamed into
            // place, then the state. A failure before the image's rename
            // changes nothing.
            let pending_state = match &release {
                Some(r) => {
                    let mut new_state = state.clone();
                    new_state.installed.insert(
                        r.target.component.clone(),
                        InstalledImage {
                            name: r.name.clone(),
                            version: r.version.clone(),
                            svn: r.svn,
                            image: Some(r.image),
                        },
                    );
                    Some(new_state.prepare(self.state).map_err(GateError::State)?)
                }
                None => None,
            };
            if let Some(staged) = staged {
                let install = self.install.unwrap_or(Path::new(""));
                staged.commit().map_err(|source| GateError::Install {
                    install: install.to_owned(),
                    source,
                })?;
                summary.installed_to = self.install.map(|p| p.display().to_string());
            }
            if let Some(pending) = pending_state {
                pending
                    .commit()
                    .map_err(|e| GateError::State(StateError::File(e)))?;
                summary.state_updated = true;
            }
        }
        // A refused image's temporary file is removed when `staged` drops.
        Ok(GateOutcome {
            report: GateReport {
                report,
                gate: summary,
            },
            accepted,
            release,
        })
    }
}
