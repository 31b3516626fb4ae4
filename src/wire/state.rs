//! The device state file of SPEC section 9: what is installed on one device.
//!
//! `{"device": {"vendor", "model", "serial"}, "class": "core", "zones":
//! ["..."], "installed_at": TIME, "installed": {"<component>": {"name",
//! "version", "svn", "image": "sha256:..."}}}`; `class`, `zones` and
//! `installed_at` are optional: the operator's facts about where the device
//! is deployed (SPEC 6.3), which select the gate's rule levels. hwprov also accepts
//! `"image": null` for a component whose installed image is not yet known
//! (as `hwprov state init --component C` writes it); its svn is then 0.

use crate::fsutil::{self, FileError};
use crate::limits::Limits;
use crate::wire::digest::Sha256;
use crate::wire::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// The device a state file describes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceId {
    /// Vendor, as in the firmware release's target.
    pub vendor: String,
    /// Model.
    pub model: String,
    /// Serial number.
    pub serial: String,
}

/// What is installed on one component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstalledImage {
    /// Firmware name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Security version number.
    pub svn: u64,
    /// Image digest; `null` when not yet known.
    pub image: Option<Sha256>,
}

/// A device state file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    /// The device.
    pub device: DeviceId,
    /// The class the operator deploys the device in (declared by the policy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// The zones the device is deployed in (each declared by the policy).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub zones: Vec<String>,
    /// When the device entered service (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "rfc3339_opt")]
    pub installed_at: Option<Timestamp>,
    /// Installed firmware by component ref.
    pub installed: BTreeMap<String, InstalledImage>,
}

/// A state file that cannot be used (exit 2). hwprov never resets a state
/// it cannot read.
#[derive(Debug)]
#[non_exhaustive]
pub enum StateError {
    /// Reading or writing failed.
    File(FileError),
    /// Not a valid state file.
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line (0 if unknown).
        line: usize,
        /// 1-based column (0 if unknown).
        column: usize,
        /// What is wrong.
        problem: String,
    },
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateError::File(e) => write!(f, "{e}"),
            StateError::Invalid {
                path,
                line,
                column,
                problem,
            } if *line > 0 => write!(
                f,
                "{}:{line}:{column}: not a valid state file: {problem} (the file was left untouched)",
                path.display()
            ),
            StateError::Invalid { path, problem, .. } => write!(
                f,
                "{}: not a valid state file: {problem} (the file was left untouched)",
                path.display()
            ),
        }
    }
}

impl std::error::Error for StateError {}

impl State {
    /// Reads and checks a state file.
    pub fn load(path: &Path, limits: &Limits) -> Result<State, StateError> {
        let bytes = fsutil::read_bounded(path, limits.max_json_bytes).map_err(StateError::File)?;
        Self::parse(&bytes, path)
    }

    /// Checks a state file's bytes (`path` names it in errors): one JSON
    /// object of the documented shape, no key twice anywhere (a component
    /// listed twice must not be read last-wins), non-empty names.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<State, StateError> {
        let invalid = |e: serde_json::Error| StateError::Invalid {
            path: path.to_owned(),
            line: e.line(),
            column: e.column(),
            problem: e.to_string(),
        };
        crate::json::check_unique_keys(bytes).map_err(invalid)?;
        let state: State = serde_json::from_slice(bytes).map_err(invalid)?;
        let d = &state.device;
        if d.vendor.is_empty() || d.model.is_empty() || d.serial.is_empty() {
            return Err(StateError::Invalid {
                path: path.to_owned(),
                line: 0,
                column: 0,
                problem: "device vendor, model and serial must not be empty".into(),
            });
        }
        if state.class.as_deref() == Some("") || state.zones.iter().any(String::is_empty) {
            return Err(StateError::Invalid {
                path: path.to_owned(),
                line: 0,
                column: 0,
                problem: "class and zone names must not be empty".into(),
            });
        }
        if state.installed.keys().any(String::is_empty) {
            return Err(StateError::Invalid {
                path: path.to_owned(),
                line: 0,
                column: 0,
                problem: "a component ref must not be empty".into(),
            });
        }
        Ok(state)
    }

    /// The file's bytes: pretty JSON with a final newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).unwrap_or_default();
        v.push(b'\n');
        v
    }

    /// Writes the state atomically (temporary file, fsync, rename, directory fsync).
    pub fn save(&self, path: &Path) -> Result<(), StateError> {
        self.prepare(path)?.commit().map_err(StateError::File)
    }

    /// Writes the state beside `path` without replacing it yet (the gate
    /// commits it only after the image is in place).
    pub(crate) fn prepare(&self, path: &Path) -> Result<fsutil::Pending, StateError> {
        fsutil::Pending::new(path, &self.to_bytes(), 0o644).map_err(StateError::File)
    }
}

/// `installed_at` as an RFC 3339 string.
mod rfc3339_opt {
    use crate::wire::time::Timestamp;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.collect_str(t),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Timestamp>, D::Error> {
        let s = String::deserialize(d)?;
        Timestamp::parse_rfc3339(&s)
            .map(Some)
            .map_err(|e| serde::de::Error::custom(format!("installed_at '{s}': {e}")))
    }
}
