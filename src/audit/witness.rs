//! A witness over a published tree (SPEC 10.2, C2SP `tlog-witness`'s
//! checks without its HTTP): it cosigns a checkpoint only after checking it
//! is signed by the log and consistent with the last one it cosigned for
//! that origin, and it remembers that one in its state file.
//!
//! The state file (JSON, written atomically before the cosignature is
//! published): `{"format": "hwprov-witness-state/1", "logs": {origin:
//! {"size": n, "root": base64}}}`.

use crate::audit::log::{LogError, MAX_NOTE_BYTES, read_log_text};
use crate::audit::publish::{TileReader, lock, open_note};
use crate::fsutil;
use crate::wire::keys::SecretKey;
use crate::wire::tlog::merkle;
use crate::wire::tlog::note::{self, Verifier, Witness};
use crate::wire::tlog::tiles;
use base64::Engine as _;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
/// Largest state file read.
pub const MAX_STATE_BYTES: usize = 1 << 20;
const FORMAT: &str = "hwprov-witness-state/1";

#[derive(serde::Serialize, serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct State {
    format: String,
    logs: BTreeMap<String, Seen>,
}

#[derive(serde::Serialize, serde::Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct Seen {
    size: u64,
    root: String,
}

/// Why a witness did not cosign.
#[derive(Debug)]
#[non_exhaustive]
pub enum WitnessError {
    /// The checkpoint is refused (exit 1): unsigned, older, inconsistent.
    Refused(String),
    /// The state file is unusable (exit 2).
    State(String),
    /// A file could not be read or written.
    Log(LogError),
}

impl fmt::Display for WitnessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WitnessError::Refused(m) => write!(f, "refused to cosign: {m}"),
            WitnessError::State(m) => write!(f, "{m}"),
            WitnessError::Log(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for WitnessError {}

impl From<LogError> for WitnessError {
    fn from(e: LogError) -> Self {
        WitnessError::Log(e)
    }
}

/// What the witness did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cosigned {
    /// The log's origin.
    pub origin: String,
    /// The size it cosigned before (0: never).
    pub old_size: u64,
    /// The size it cosigned now.
    pub size: u64,
    /// The witness's verifier key (type 0x04), for tlog-policy files.
    pub vkey: String,
}

fn load_state(path: &Path) -> Result<State, WitnessError> {
    if !path.exists() {
        return Ok(State {
            format: FORMAT.into(),
            logs: BTreeMap::new(),
        });
    }
    let bad = |m: String| WitnessError::State(format!("{}: {m}", path.display()));
    let bytes = fsutil::read_bounded(path, MAX_STATE_BYTES).map_err(|e| bad(e.to_string()))?;
    crate::json::check_unique_keys(&bytes).map_err(|e| bad(e.to_string()))?;
    let s: State = serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
    if s.format != FORMAT {
        return Err(bad(format!("format must be {FORMAT}")));
    }
    Ok(s)
}

/// Cosigns the checkpoint published under `out` as witness `name` with
/// `key`, at POSIX time `time`, if it is signed by `log` and consistent
/// with the last checkpoint this witness cosigned for its origin (kept in
/// `state`). The cosignature line replaces any earlier one by this witness
/// in `out/checkpoint`.
pub fn cosign(
    out: &Path,
    log: &Verifier,
    name: &str,
    key: &SecretKey,
    state_path: &Path,
    time: u64,
) -> Result<Cosigned, WitnessError> {
    let witness = Witness::new(name, key.public())
        .map_err(|e| WitnessError::State(format!("--name: {e}")))?;
    let cp_path = out.join("checkpoint");
    if !cp_path.is_file() {
        return Err(WitnessError::Log(LogError::NotALog {
            problem: format!(
                "{} has no checkpoint: not a published tree (hwprov log publish writes one)",
                out.display()
            ),
        }));
    }
    let _lock = lock(out)?;
    let text = read_log_text(&cp_path, MAX_NOTE_BYTES)?;
    let (note, cp) = open_note(&text, log)
        .map_err(|m| WitnessError::Refused(format!("{}: {m}", cp_path.display())))?;
    let mut state = load_state(state_path)?;
    let old = state.logs.get(&cp.origin).cloned();
    let old_size = old.as_ref().map_or(0, |s| s.size);
    if let Some(seen) = &old {
        let old_root: merkle::Hash = B64
            .decode(&seen.root)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| {
                WitnessError::State(format!(
                    "{}: the root for '{}' is not base64 of 32 bytes",
                    state_path.display(),
                    crate::text::Escaped(&cp.origin)
                ))
            })?;
        if cp.size < seen.size {
            return Err(WitnessError::Refused(format!(
                "the checkpoint has {} entries, older than the {} this witness cosigned",
                cp.size, seen.size
            )));
        }
        if cp.size == seen.size {
            if cp.root != old_root {
                return Err(WitnessError::Refused(format!(
                    "the checkpoint of size {} has another root than the one this witness cosigned: the log forked",
                    cp.size
                )));
            }
        } else if seen.size > 0 {
            let mut reader = TileReader::new(out, cp.size);
            let proof = merkle::consistency_proof_nodes(seen.size, cp.size, |l, n| {
                tiles::node_from_tiles(l, n, &mut |tl, i| reader.hash(tl, i))
            })
            .map_err(|e| {
                WitnessError::Refused(format!(
                    "no consistency proof from the published tiles: {e}"
                ))
            })?;
            merkle::verify_consistency(seen.size, cp.size, &proof, &old_root, &cp.root).map_err(
                |e| {
                    WitnessError::Refused(format!(
                        "the checkpoint is not consistent with the one of size {} this witness cosigned ({e}): the log forked or was rewritten",
                        seen.size
                    ))
                },
            )?;
        }
    }
    // Remember before publishing: a crash after this leaves the state
    // ahead, and a re-run cosigns the same checkpoint again.
    state.logs.insert(
        cp.origin.clone(),
        Seen {
            size: cp.size,
            root: B64.encode(cp.root),
        },
    );
    let mut bytes =
        serde_json::to_vec_pretty(&state).map_err(|e| WitnessError::State(e.to_string()))?;
    bytes.push(b'\n');
    fsutil::write_atomic(state_path, &bytes, 0o644)
        .map_err(|e| WitnessError::State(e.to_string()))?;
    let line =
        note::cosign(note.text, name, key, time).map_err(|e| WitnessError::State(e.to_string()))?;
    let id = witness.key_id();
    let mut new = format!("{}\n", note.text);
    for s in &note.signatures {
        if s.name == name && s.blob[..4] == id {
            continue;
        }
        new.push_str(s.line);
        new.push('\n');
    }
    new.push_str(&line);
    if new.len() > MAX_NOTE_BYTES {
        return Err(WitnessError::Refused(format!(
            "{} would grow past {MAX_NOTE_BYTES} bytes",
            cp_path.display()
        )));
    }
    fsutil::write_atomic(&cp_path, new.as_bytes(), 0o644)
        .map_err(|e| WitnessError::Log(crate::audit::log::file_err(e)))?;
    Ok(Cosigned {
        origin: cp.origin,
        old_size,
        size: cp.size,
        vkey: witness.to_vkey(),
    })
}
