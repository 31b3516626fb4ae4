//! The firmware update gate of SPEC section 9: may this image be installed
//! on this device? The image is read once, streamed through SHA-256 (and,
//! with an install destination, into a temporary file beside it); the
//! decision is made on exactly the bytes that would be installed, and only
//! an accepted image is renamed into place.

use crate::bundle::BundleError;
use crate::digest::Sha256;
use crate::limits::Limits;
use crate::policy::Policy;
use crate::report::{Finding, Report, Verdict};
use crate::rules::Rule;
use crate::state::State;
use crate::statement::FirmwareBody;
use crate::time::Timestamp;
use crate::verify::{Rules, Verified};
use serde::Serialize;
use sha2::Digest as _;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// Size of the streaming buffer: memory stays bounded whatever the image size.
pub const CHUNK: usize = 1 << 20;

/// Length and SHA-256 of the image bytes as read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ImageFacts {
    /// SHA-256 of the bytes.
    pub sha256: Sha256,
    /// Number of bytes.
    pub size: u64,
}

/// What the gate decides on besides the bundle.
pub struct GateInput<'a> {
    /// The device's state.
    pub state: &'a State,
    /// The image as read.
    pub image: ImageFacts,
}

/// An image being staged for installation: a temporary file in the
/// destination's directory that becomes the destination only on [`Staged::commit`].
pub struct Staged {
    tmp: tempfile::NamedTempFile,
    dest: PathBuf,
}

/// Reads `input` to the end once, hashing it and, when `stage_to` is given,
/// writing it to a temporary file beside that destination.
pub fn read_image(
    mut input: impl Read,
    stage_to: Option<&Path>,
) -> io::Result<(ImageFacts, Option<Staged>)> {
    let mut staged = match stage_to {
        Some(dest) => {
            let dir = match dest.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            let tmp = tempfile::Builder::new()
                .prefix(".hwprov-install-")
                .tempfile_in(dir)?;
            Some(Staged {
                tmp,
                dest: dest.to_owned(),
            })
        }
        None => None,
    };
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    let mut size: u64 = 0;
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        if let Some(s) = staged.as_mut() {
            s.tmp.as_file_mut().write_all(&buf[..n])?;
        }
        size += n as u64;
    }
    Ok((
        ImageFacts {
            sha256: Sha256(hasher.finalize().into()),
            size,
        },
        staged,
    ))
}

/// Opens the image (`-` is standard input).
pub fn open_image(path: &Path) -> io::Result<Box<dyn Read>> {
    if path == Path::new("-") {
        Ok(Box::new(io::stdin().lock()))
    } else {
        let f = File::open(path)?;
        if f.metadata()?.is_dir() {
            return Err(io::Error::other("is a directory, not an image"));
        }
        Ok(Box::new(f))
    }
}

impl Staged {
    /// Makes the staged bytes the destination: fsync, keep the destination's
    /// permissions (0644 for a new file), rename, fsync the directory.
    pub fn commit(self) -> io::Result<()> {
        let mode = std::fs::metadata(&self.dest).map(|m| m.permissions());
        let file = self.tmp.as_file();
        match mode {
            Ok(p) => file.set_permissions(p)?,
            #[cfg(unix)]
            Err(_) => {
                use std::os::unix::fs::PermissionsExt;
                file.set_permissions(std::fs::Permissions::from_mode(0o644))?
            }
            #[cfg(not(unix))]
            Err(_) => {}
        }
        file.sync_all()?;
        self.tmp.persist(&self.dest).map_err(|e| e.error)?;
        crate::fsutil::sync_parent(&self.dest)
    }
}

/// The gate's own checks of a verified release against the device state and
/// the image: `firmware.target`, `firmware.rollback`, `firmware.image`.
pub(crate) fn gate_rules(
    policy: &Policy,
    root: &Verified,
    fw: &FirmwareBody,
    g: &GateInput<'_>,
    at: Timestamp,
) -> Vec<Finding> {
    let mut r = Rules::new(policy, at, Some(g.state.device.serial.clone()));
    let d = &g.state.device;
    let subject = format!(
        "firmware {} {} for {} {} component {}",
        fw.name, fw.version, fw.target.vendor, fw.target.model, fw.target.component
    );
    let installed = g.state.installed.get(&fw.target.component);
    if fw.target.vendor != d.vendor || fw.target.model != d.model {
        r.add(
            Rule::FirmwareTarget,
            Some(root),
            None,
            subject.clone(),
            format!(
                "the release is for {} {}, but this device is {} {} (serial {})",
                fw.target.vendor, fw.target.model, d.vendor, d.model, d.serial
            ),
        );
    } else if installed.is_none() {
        let known: Vec<&str> = g.state.installed.keys().map(String::as_str).collect();
        r.add(
            Rule::FirmwareTarget,
            Some(root),
            None,
            subject.clone(),
            format!(
                "the device has no component '{}' (it has: {})",
                fw.target.component,
                if known.is_empty() {
                    "none".into()
                } else {
                    known.join(", ")
                }
            ),
        );
    }
    if let Some(inst) = installed
        && fw.svn < inst.svn
    {
        r.add(
            Rule::FirmwareRollback,
            Some(root),
            None,
            subject.clone(),
            format!(
                "release svn {} ({}) is below the installed svn {} ({} {}): a rollback to a lower security version",
                fw.svn, fw.version, inst.svn, inst.name, inst.version
            ),
        );
    }
    if g.image.sha256 != fw.image || g.image.size != fw.size {
        let mut what = Vec::new();
        if g.image.sha256 != fw.image {
            what.push(format!(
                "its SHA-256 is {}, the release says {}",
                g.image.sha256, fw.image
            ));
        }
        if g.image.size != fw.size {
            what.push(format!(
                "it is {} bytes, the release says {}",
                g.image.size, fw.size
            ));
        }
        r.add(
            Rule::FirmwareImage,
            Some(root),
            None,
            subject,
            format!("the image is not the one released: {}", what.join("; ")),
        );
    }
    r.into_findings()
}

/// What the gate decided, for the report.
#[derive(Debug, Clone, Serialize)]
pub struct GateSummary {
    /// `accept` or `refuse`.
    pub decision: &'static str,
    /// The device.
    pub device: crate::state::DeviceId,
    /// The target component, if the root was a verified release.
    pub component: Option<String>,
    /// What the state said was installed on it.
    pub installed: Option<crate::state::InstalledImage>,
    /// The image as read.
    pub image: ImageFacts,
    /// Where the image was installed (accept with `--install` only).
    pub installed_to: Option<String>,
    /// Whether the state file was rewritten.
    pub state_updated: bool,
}

/// The gate's report: the verification report plus the decision.
#[derive(Debug, Clone, Serialize)]
pub struct GateReport {
    /// The report of SPEC section 8.
    #[serde(flatten)]
    pub report: Report,
    /// The decision.
    pub gate: GateSummary,
}

/// Decides on a release bundle for the device in `state` and the image
/// facts. Does not touch any file.
pub fn decide(
    policy: &Policy,
    bundle: &[u8],
    state: &State,
    image: ImageFacts,
    at: Timestamp,
    limits: &Limits,
) -> Result<Report, BundleError> {
    let input = GateInput { state, image };
    crate::verify::evaluate(policy, bundle, at, limits, Some(&input))
}

/// Whether a verdict lets the image in.
pub fn accepts(verdict: Verdict, deny_warnings: bool) -> bool {
    verdict.exit_code(deny_warnings) == 0
}

/// The release the bundle's root names, if it verified (for updating the state).
pub fn root_release(bundle: &[u8], limits: &Limits) -> Option<FirmwareBody> {
    let parts = crate::bundle::split(bundle, limits).ok()?;
    let env = crate::envelope::Envelope::decode(parts.first()?, limits.max_depth).ok()?;
    match crate::statement::Statement::decode(&env.payload, limits.max_depth)
        .ok()?
        .body
    {
        crate::statement::Body::Firmware(f) => Some(f),
        _ => None,
    }
}
