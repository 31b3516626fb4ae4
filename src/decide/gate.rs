//! The firmware update gate of SPEC section 9: may this image be installed
//! on this device? The image is read once, streamed through SHA-256 (and,
//! with an install destination, into a temporary file beside it); the
//! decision is made on exactly the bytes that would be installed, and only
//! an accepted image is renamed into place.

use crate::decide::firmware::GateInput;
use crate::decide::image::ImageFacts;
use crate::limits::Limits;
use crate::policy::Policy;
use crate::report::{Report, Verdict};
use crate::wire::bundle::BundleError;
use crate::wire::state::State;
use crate::wire::statement::FirmwareBody;
use crate::wire::time::Timestamp;
use serde::Serialize;

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
    crate::decide::verify::evaluate(policy, bundle, at, limits, Some(&input), None, None)
}

/// Checks the operator's facts in a state file against the policy (SPEC
/// 6.2): its class and zones must be ones the policy declares.
pub fn check_state_scope(policy: &Policy, state: &State) -> Result<(), String> {
    if let Some(c) = &state.class
        && !policy.classes.contains_key(c)
    {
        return Err(format!(
            "class '{c}' is not declared by the policy ([classes.{c}])"
        ));
    }
    if let Some(z) = state.zones.iter().find(|z| !policy.zones.contains_key(*z)) {
        return Err(format!(
            "zone '{z}' is not declared by the policy ([zones.{z}])"
        ));
    }
    Ok(())
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
    let checked = crate::decide::check::check_statement(policy, root, at, limits);
    match (checked.entry.type_name, checked.verified) {
        (Some(t), _) if t != "firmware" => Err(RootError::NotFirmware { found: t }),
        (_, Some(v)) => match &v.statement.body {
            crate::wire::statement::Body::Firmware(f) => Ok(Some(f.clone())),
            _ => Ok(None),
        },
        _ => Ok(None),
    }
}
