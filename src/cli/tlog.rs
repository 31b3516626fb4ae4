//! `hwprov log add | publish | audit | cosign` and `log prove --format
//! tlog-proof`: the log as a transparency log others can read, witness
//! and prove against (SPEC 10.2 to 10.4).

use super::{Fatal, outln, usage};
use clap::Args;
use hwprov::audit::log::{Log, LogError};
use hwprov::audit::publish;
use hwprov::audit::witness::{self, WitnessError};
use hwprov::text::Escaped;
use hwprov::wire::tlog::note::Verifier;
use hwprov::wire::tlog::policy::TlogPolicy;
use hwprov::{Limits, SecretKey, Timestamp};
use std::path::{Path, PathBuf};

#[derive(Args)]
pub(crate) struct AddArgs {
    /// The log directory.
    dir: PathBuf,
    /// Signed statements to publish (e.g. firmware releases), each
    /// recorded as one entry.
    #[arg(required = true, value_name = "STATEMENT.cose")]
    statements: Vec<PathBuf>,
}

#[derive(Args)]
pub(crate) struct PublishArgs {
    /// The log directory.
    dir: PathBuf,
    /// Where to publish (created if absent): serve it with any static file
    /// server or object store.
    out: PathBuf,
}

#[derive(Args)]
pub(crate) struct AuditArgs {
    /// A published tree (what `hwprov log publish` wrote, or a copy).
    out: PathBuf,
    /// The log's verifier key to trust, instead of OUT/log.vkey.
    #[arg(long, value_name = "VKEY")]
    vkey: Option<PathBuf>,
    /// A checkpoint saved earlier: the tree must extend it.
    #[arg(long, value_name = "CHECKPOINT")]
    since: Option<PathBuf>,
    /// A C2SP tlog-policy file: the checkpoint's cosignatures must meet its
    /// quorum (and the policy must list the log).
    #[arg(long, value_name = "POLICY")]
    witnesses: Option<PathBuf>,
}

#[derive(Args)]
pub(crate) struct CosignArgs {
    /// A published tree whose checkpoint to cosign.
    out: PathBuf,
    /// The witness's Ed25519 signing key (PKCS#8 PEM, `hwprov key generate`).
    #[arg(long, value_name = "KEY.pem")]
    key: PathBuf,
    /// The witness's name (its key name, e.g. witness.example.org/w1).
    #[arg(long, value_name = "NAME")]
    name: String,
    /// The log's verifier key: the checkpoint must be signed by it.
    #[arg(long, value_name = "VKEY")]
    log_vkey: PathBuf,
    /// The witness's state: the last checkpoint it cosigned per log
    /// (created if absent, rewritten atomically).
    #[arg(long, value_name = "STATE.json")]
    state: PathBuf,
    /// The cosignature's time (RFC 3339; default: now).
    #[arg(long, value_name = "TIME")]
    at: Option<String>,
}

pub(crate) fn read_text(path: &Path, what: &str) -> Result<String, Fatal> {
    let b = hwprov::read_bounded(path, 64 << 10)?;
    String::from_utf8(b).map_err(|_| usage(format!("{}: {what} is not UTF-8 text", path.display())))
}

/// A verifier key file (`log.vkey` or a copy).
pub(crate) fn load_vkey(path: &Path) -> Result<Verifier, Fatal> {
    let text = read_text(path, "the verifier key")?;
    Verifier::parse(text.trim_end_matches('\n'))
        .map_err(|e| usage(format!("{}: {e}", Escaped(path.display()))))
}

pub(crate) fn load_policy(path: &Path) -> Result<TlogPolicy, Fatal> {
    let b = hwprov::read_bounded(path, hwprov::wire::tlog::policy::MAX_POLICY_BYTES)?;
    TlogPolicy::parse(&b).map_err(|e| usage(format!("{}: {e}", Escaped(path.display()))))
}

pub(crate) fn add(a: &AddArgs, limits: &Limits) -> Result<u8, Fatal> {
    let log = Log::open(&a.dir)?;
    let mut statements = Vec::with_capacity(a.statements.len());
    for p in &a.statements {
        let bytes = hwprov::read_bounded(p, limits.max_statement_bytes)?;
        let env =
            hwprov::wire::envelope::Envelope::decode(&bytes, limits.max_depth).map_err(|e| {
                usage(format!(
                    "{}: not a signed statement: {e}",
                    Escaped(p.display())
                ))
            })?;
        hwprov::Statement::decode(&env.payload, limits.max_depth)
            .map_err(|e| usage(format!("{}: not a statement: {e}", Escaped(p.display()))))?;
        statements.push(bytes);
    }
    let range = hwprov::audit::record::publish_statements(&log, &statements)?;
    for (p, (i, b)) in a.statements.iter().zip(range.zip(&statements)) {
        outln!(
            "published {} ({}) as entry {i}",
            Escaped(p.display()),
            hwprov::Sha256::of(b)
        );
    }
    Ok(0)
}

pub(crate) fn publish(a: &PublishArgs) -> Result<u8, Fatal> {
    let log = Log::open(&a.dir)?;
    let p = match publish::publish(&log, &a.out) {
        Ok(p) => p,
        Err(e @ LogError::Tampered { .. }) => {
            eprintln!(
                "hwprov: error: {}: {}",
                Escaped(a.out.display()),
                Escaped(&e)
            );
            return Ok(1);
        }
        Err(e) => return Err(e.into()),
    };
    if p.files == 0 {
        outln!(
            "{} is up to date: {} entries (nothing written)",
            Escaped(a.out.display()),
            p.size
        );
    } else {
        outln!(
            "published {} entries to {} ({} new since size {}; {} file(s) written, checkpoint last)",
            p.size,
            Escaped(a.out.display()),
            p.size - p.old_size,
            p.old_size,
            p.files
        );
    }
    Ok(0)
}

pub(crate) fn audit(a: &AuditArgs) -> Result<u8, Fatal> {
    let own_vkey = a.out.join("log.vkey");
    let vkey_path = a.vkey.clone().unwrap_or_else(|| own_vkey.clone());
    let verifier = load_vkey(&vkey_path)?;
    if a.vkey.is_some()
        && let Ok(other) = load_vkey(&own_vkey)
        && other != verifier
    {
        note_pinned(&own_vkey, &vkey_path);
    }
    let what = format!("published tree {}", Escaped(a.out.display()));
    let since = match &a.since {
        None => None,
        Some(f) => {
            let note = read_text(f, "the checkpoint")?;
            match publish::open_checkpoint(&note, &verifier) {
                Ok(c) => Some(c),
                Err(problem) => {
                    let p = format!("{}: {problem}", f.display());
                    return Ok(not_verified(&what, &[p]));
                }
            }
        }
    };
    let policy = a.witnesses.as_deref().map(load_policy).transpose()?;
    let bar = progress_bar();
    let audited = match publish::audit(
        &a.out,
        &verifier,
        since.as_ref(),
        policy.as_ref(),
        |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        },
    ) {
        Ok(x) => x,
        Err(e @ LogError::Tampered { .. }) => return Ok(not_verified(&what, &[e.to_string()])),
        Err(e) => return Err(e.into()),
    };
    bar.finish_and_clear();
    if !audited.problems.is_empty() {
        return Ok(not_verified(&what, &audited.problems));
    }
    let cp = &audited.checkpoint;
    outln!(
        "{what} verifies: {} entries, tiles and objects, checkpoint root {}",
        cp.size,
        b64(&cp.root)
    );
    if let Some(s) = &since {
        say_extends(s);
    }
    if let Some(p) = &policy {
        outln!(
            "cosigned by {} ({}): the quorum is met",
            Escaped(audited.cosigned.join(", ")),
            p.describe()
        );
    }
    Ok(0)
}

/// A hash in standard base64, as checkpoints write it.
pub(crate) fn b64(h: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(h)
}

/// Says that the directory's own verifier key is not the pinned one.
pub(crate) fn note_pinned(own: &Path, pinned: &Path) {
    outln!(
        "note: {} names another key than the pinned {}; only the pinned key is trusted",
        Escaped(own.display()),
        Escaped(pinned.display())
    );
}

/// Prints each problem and that `what` does not verify; exit status 1.
pub(crate) fn not_verified(what: &str, problems: &[String]) -> u8 {
    for p in problems {
        outln!("problem: {}", Escaped(p));
    }
    outln!("{what} does NOT verify: {} problem(s)", problems.len());
    1
}

/// Says that the tree extends the saved checkpoint `s`.
pub(crate) fn say_extends(s: &hwprov::wire::tlog::note::Checkpoint) {
    outln!(
        "it extends the saved checkpoint (size {} root {}): nothing signed then was removed or changed",
        s.size,
        b64(&s.root)
    );
}

pub(crate) fn cosign(a: &CosignArgs) -> Result<u8, Fatal> {
    let log = load_vkey(&a.log_vkey)?;
    let key = SecretKey::load(&a.key)?;
    let time = match &a.at {
        Some(s) => Timestamp::parse_rfc3339(s).map_err(|e| usage(format!("--at '{s}': {e}")))?,
        None => Timestamp::now(),
    };
    match witness::cosign(&a.out, &log, &a.name, &key, &a.state, time.0) {
        Ok(c) => {
            outln!(
                "cosigned {} at size {} (previously {}) as {}",
                Escaped(&c.origin),
                c.size,
                c.old_size,
                Escaped(&a.name)
            );
            outln!("witness key: {}", c.vkey);
            Ok(0)
        }
        Err(WitnessError::Refused(m)) => {
            outln!(
                "{}: refused to cosign: {}",
                Escaped(a.out.display()),
                Escaped(&m)
            );
            Ok(1)
        }
        Err(WitnessError::State(m)) => Err(usage(m)),
        Err(WitnessError::Log(e)) => Err(e.into()),
        Err(e) => Err(usage(e.to_string())),
    }
}

/// `log prove --format tlog-proof`.
pub(crate) fn prove_tlog(
    dir: &Path,
    index: u64,
    checkpoint: Option<&Path>,
    out: Option<&Path>,
) -> Result<u8, Fatal> {
    let log = Log::open(dir)?;
    let note = checkpoint
        .map(|c| read_text(c, "the checkpoint"))
        .transpose()?;
    let proof = publish::tlog_proof(&log, index, note.as_deref()).map_err(|e| match e {
        LogError::OutOfRange { problem } => usage(problem),
        e => e.into(),
    })?;
    let text = proof.encode();
    match out {
        Some(p) => {
            hwprov::write_atomic(p, text.as_bytes(), 0o644)?;
            outln!("tlog-proof: entry {index} -> {}", Escaped(p.display()));
        }
        None => super::out!("{text}"),
    }
    Ok(0)
}

fn progress_bar() -> indicatif::ProgressBar {
    use std::io::IsTerminal as _;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let b = indicatif::ProgressBar::new(0);
    b.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} entries  {per_sec}  ETA {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    b
}

/// A tlog-proof as `inspect` shows it: its entry, index, path length and
/// checkpoint with the names of its signers (nothing verified: that needs
/// a tlog-policy).
pub(crate) fn inspect_proof(bytes: &[u8]) -> serde_json::Value {
    use hwprov::wire::tlog::note::{Checkpoint, Note};
    use hwprov::wire::tlog::proof::TlogProof;
    let digest = hwprov::Sha256::of(bytes).to_string();
    let p = match TlogProof::parse(bytes) {
        Ok(p) => p,
        Err(e) => {
            return serde_json::json!({"digest": digest, "format": "tlog-proof", "error": e.to_string()});
        }
    };
    let entry = p
        .extra
        .as_deref()
        .map(|x| match hwprov::report::entry::Entry::decode(x) {
            Ok(e) => serde_json::to_value(&e).unwrap_or_default(),
            Err(e) => serde_json::json!({"error": e.to_string()}),
        });
    let note = Note::parse(&p.checkpoint).ok();
    let checkpoint = note
        .as_ref()
        .and_then(|n| Checkpoint::parse(n.text).ok())
        .map(
            |c| serde_json::json!({"origin": c.origin, "size": c.size, "root_hash": b64(&c.root)}),
        );
    let signers: Vec<&str> = note
        .as_ref()
        .map(|n| n.signatures.iter().map(|s| s.name).collect())
        .unwrap_or_default();
    serde_json::json!({
        "digest": digest,
        "format": "tlog-proof",
        "index": p.index,
        "path_hashes": p.path.len(),
        "entry": entry,
        "checkpoint": checkpoint,
        "signed_by": signers,
    })
}
