//! The firmware update gate of SPEC section 9: may this image be installed
//! on this device? The image is read once, streamed through SHA-256 (and,
//! with an install destination, into a temporary file beside it); the
//! decision is made on exactly the bytes that would be installed, and only
//! an accepted image is renamed into place.

use crate::decide::verify::{Rules, Verified};
use crate::limits::Limits;
use crate::policy::Policy;
use crate::policy::rules::Rule;
use crate::report::{Finding, Report, Verdict};
use crate::wire::bundle::BundleError;
use crate::wire::digest::Sha256;
use crate::wire::state::State;
use crate::wire::statement::FirmwareBody;
use crate::wire::time::Timestamp;
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
    /// The image as read; `None` when the root was not a verified release,
    /// so the image was never read (SPEC 9).
    pub image: Option<ImageFacts>,
}

/// An image being staged for installation: a temporary file in the
/// destination's directory that becomes the destination only on [`Staged::commit`].
pub struct Staged {
    tmp: tempfile::NamedTempFile,
    dest: PathBuf,
}

/// How many image bytes the gate reads at most: one more than the release
/// declares (enough to see that an image is longer, as TUF bounds downloads
/// by the trusted length against endless-data attacks), and never more than
/// one past `limits.max_image_bytes`.
pub fn read_bound(declared_size: Option<u64>, limits: &Limits) -> u64 {
    let cap = limits.max_image_bytes.saturating_add(1);
    declared_size.map_or(cap, |s| s.saturating_add(1).min(cap))
}

/// Reading or staging the image failed.
#[derive(Debug)]
pub enum ImageError {
    /// The image could not be read.
    Read(io::Error),
    /// The install destination could not be staged (its directory is not
    /// writable, the disk is full, a dangling symbolic link).
    Stage(io::Error),
}

impl std::fmt::Display for ImageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImageError::Read(e) => write!(f, "reading the image: {e}"),
            ImageError::Stage(e) => write!(f, "staging the image for install: {e}"),
        }
    }
}

impl std::error::Error for ImageError {}

impl Staged {
    /// A temporary file beside `dest` (beside the file it points to, when it
    /// is a symbolic link: the install replaces that file and keeps the link).
    pub fn beside(dest: &Path) -> io::Result<Staged> {
        let dest = crate::fsutil::write_target(dest)?;
        let dir = crate::fsutil::parent_dir(&dest);
        let tmp = crate::fsutil::tempfile_in(dir, ".hwprov-install-")?;
        Ok(Staged { tmp, dest })
    }
}

/// Reads `input` once, to its end or until `stop_after` bytes have been
/// read, hashing it and, when `stage_to` is given, writing it to a temporary
/// file beside that destination. The facts are those of the bytes read.
pub fn read_image(
    mut input: impl Read,
    stage_to: Option<&Path>,
    stop_after: u64,
) -> Result<(ImageFacts, Option<Staged>), ImageError> {
    let mut staged = stage_to
        .map(Staged::beside)
        .transpose()
        .map_err(ImageError::Stage)?;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    let mut size: u64 = 0;
    while size < stop_after {
        let want = usize::try_from(stop_after - size).map_or(CHUNK, |w| w.min(CHUNK));
        let n = match input.read(&mut buf[..want]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(ImageError::Read(e)),
        };
        hasher.update(&buf[..n]);
        if let Some(s) = staged.as_mut() {
            s.tmp
                .as_file_mut()
                .write_all(&buf[..n])
                .map_err(ImageError::Stage)?;
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
    let mut r = Rules::new(policy, at, Some((&g.state.device).into()));
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
    let Some(image) = g.image else {
        return r.into_findings();
    };
    if image.size > fw.size {
        // The gate stops reading one byte past the declared size, so the
        // digest is of a prefix and not worth showing.
        r.add(
            Rule::FirmwareImage,
            Some(root),
            None,
            subject,
            format!(
                "the image is not the one released: it is longer than the release's {} bytes (reading stopped after {})",
                fw.size, image.size
            ),
        );
    } else if image.sha256 != fw.image || image.size != fw.size {
        let mut what = Vec::new();
        if image.sha256 != fw.image {
            what.push(format!(
                "its SHA-256 is {}, the release says {}",
                image.sha256, fw.image
            ));
        }
        if image.size != fw.size {
            what.push(format!(
                "it is {} bytes, the release says {}",
                image.size, fw.size
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
    pub device: crate::wire::state::DeviceId,
    /// The target component, if the root was a verified release.
    pub component: Option<String>,
    /// What the state said was installed on it.
    pub installed: Option<crate::wire::state::InstalledImage>,
    /// The image as read (`null`: not read, because the bundle's root is
    /// not a verified release).
    pub image: Option<ImageFacts>,
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
/// facts (`None`: the image was not read because the root is not a
/// verified release; see [`verified_root_release`]). Does not touch any file.
pub fn decide(
    policy: &Policy,
    bundle: &[u8],
    state: &State,
    image: Option<ImageFacts>,
    at: Timestamp,
    limits: &Limits,
) -> Result<Report, BundleError> {
    let input = GateInput { state, image };
    crate::decide::verify::evaluate(policy, bundle, at, limits, Some(&input))
}

/// Whether a verdict lets the image in.
pub fn accepts(verdict: Verdict, deny_warnings: bool) -> bool {
    verdict.exit_code(deny_warnings) == 0
}

/// A gate bundle whose root is not a firmware statement (an input error,
/// exit 2: SPEC 8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootError {
    /// Not a bundle at all.
    Bundle(BundleError),
    /// The root decodes as another type of statement.
    NotFirmware {
        /// The root's type.
        found: &'static str,
    },
}

impl std::fmt::Display for RootError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RootError::Bundle(e) => write!(f, "{e}"),
            RootError::NotFirmware { found } => write!(
                f,
                "the bundle's root is a {found} statement; gate needs a bundle whose root is the firmware release to install"
            ),
        }
    }
}

impl std::error::Error for RootError {}

/// The release the bundle's root states, if the root verifies on its own
/// (envelope, signatures, key binding, vendor binding, times): the gate
/// reads the image only then, and at most that release's `size` + 1 bytes.
/// `Ok(None)`: the root does not verify (the gate refuses without reading
/// the image). A root of another statement type is an input error.
pub fn verified_root_release(
    policy: &Policy,
    bundle: &[u8],
    at: Timestamp,
    limits: &Limits,
) -> Result<Option<FirmwareBody>, RootError> {
    let parts = crate::wire::bundle::split(bundle, limits).map_err(RootError::Bundle)?;
    let Some(root) = parts.first() else {
        return Err(RootError::Bundle(BundleError::NoRoot));
    };
    let checked = crate::decide::verify::check_statement(policy, root, at, limits);
    match (checked.entry.type_name, checked.verified) {
        (Some(t), _) if t != "firmware" => Err(RootError::NotFirmware { found: t }),
        (_, Some(v)) => match v.statement.body {
            crate::wire::statement::Body::Firmware(f) => Ok(Some(f)),
            _ => Ok(None),
        },
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_stops_one_byte_past_the_declared_size_or_the_limit() {
        let limits = Limits {
            max_image_bytes: 100,
            ..Limits::DEFAULT
        };
        assert_eq!(read_bound(Some(10), &limits), 11);
        assert_eq!(read_bound(Some(100), &limits), 101);
        assert_eq!(read_bound(Some(u64::MAX), &limits), 101);
        assert_eq!(read_bound(None, &limits), 101);
        // An endless reader stops at the bound; the facts are of what was read.
        let (facts, staged) = read_image(io::repeat(7), None, read_bound(Some(10), &limits))
            .expect("reading from memory");
        assert!(staged.is_none());
        assert_eq!(facts.size, 11);
        assert_eq!(facts.sha256, Sha256::of(&[7u8; 11]));
        let (facts, _) = read_image(io::repeat(7), None, read_bound(None, &limits))
            .expect("reading from memory");
        assert_eq!(facts.size, 101);
        // A short image is read to its end.
        let (facts, _) =
            read_image(&b"abc"[..], None, read_bound(Some(10), &limits)).expect("reading");
        assert_eq!(facts.size, 3);
        assert_eq!(facts.sha256, Sha256::of(b"abc"));
    }

    #[test]
    fn a_read_error_and_a_staging_error_are_told_apart() {
        struct Broken;
        impl Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("device went away"))
            }
        }
        assert!(matches!(
            read_image(Broken, None, 10),
            Err(ImageError::Read(_))
        ));
        let missing = Path::new("/nonexistent-hwprov-dir/dest.bin");
        assert!(matches!(
            read_image(&b"abc"[..], Some(missing), 10),
            Err(ImageError::Stage(_))
        ));
    }
}
