//! `hwprov log ...` and `hwprov replay`.

use super::{Fatal, outln, usage};
use clap::{Args, Subcommand};
use hwprov::audit::log::{Log, LogError};
use hwprov::audit::replay::{self, Event, Range};
use hwprov::audit::report::{self, ReportError, Window};
use hwprov::report::entry::Entry;
use hwprov::text::Escaped;
use hwprov::{Limits, SecretKey};
use serde_json::json;
use std::path::PathBuf;

#[derive(Subcommand)]
pub(crate) enum LogCommand {
    /// Create a log: DIR gets the signing key (mode 0600), the verifier key
    /// (log.vkey), an empty tree and a signed checkpoint.
    Init {
        /// The log directory (created; must not hold a log).
        dir: PathBuf,
        /// The log's Ed25519 signing key (PKCS#8 PEM); a copy is kept in DIR/log.key.
        #[arg(long, value_name = "KEY.pem")]
        key: PathBuf,
        /// The log's origin (checkpoint first line and key name), e.g. example.com/hwprov-log.
        #[arg(long, value_name = "NAME")]
        origin: String,
    },
    /// Check the whole log: entries, tree, signed checkpoint, stored objects.
    /// Exit 1 if anything is wrong (each problem is listed).
    ///
    /// An auditor pins what they trust: --vkey accepts only checkpoints
    /// signed by that verifier key (whatever DIR/log.vkey says), and
    /// --since proves the log is an append-only extension of a checkpoint
    /// saved earlier (a shorter, forked or rewritten log fails).
    Verify {
        /// The log directory.
        dir: PathBuf,
        /// The verifier key to trust (a copy of log.vkey kept elsewhere),
        /// instead of DIR/log.vkey.
        #[arg(long, value_name = "VKEY")]
        vkey: Option<PathBuf>,
        /// A checkpoint saved earlier (a copy of DIR/checkpoint): the log
        /// must extend it.
        #[arg(long, value_name = "CHECKPOINT")]
        since: Option<PathBuf>,
        /// A C2SP tlog-policy: the checkpoint given with --since (a copy of
        /// a published, cosigned one), or else DIR/checkpoint, must meet its
        /// witness quorum (and the policy must list the log).
        #[arg(long, value_name = "POLICY")]
        witnesses: Option<PathBuf>,
        /// Truncate a torn tail and rebuild the derived files and checkpoint
        /// (never removes a complete entry).
        #[arg(long)]
        repair: bool,
    },
    /// Print an RFC 9162 inclusion proof of entry N (JSON or C2SP tlog-proof).
    ///
    /// With --format tlog-proof it writes a C2SP tlog-proof: the entry's bytes, its
    /// inclusion path and the signed checkpoint, which anyone holding a
    /// tlog-policy verifies offline (and `verify`/`gate` read in a bundle).
    Prove {
        /// The log directory.
        dir: PathBuf,
        /// Entry index.
        #[arg(long, value_name = "N")]
        index: u64,
        /// Tree size (default: the checkpoint's; JSON only).
        #[arg(long, value_name = "M")]
        size: Option<u64>,
        /// Output format.
        #[arg(long, value_enum, default_value = "json")]
        format: ProveFormat,
        /// The signed checkpoint to prove against (tlog-proof only; default
        /// DIR/checkpoint): give the published one (OUT/checkpoint) to carry
        /// the witnesses' cosignatures.
        #[arg(long, value_name = "CHECKPOINT")]
        checkpoint: Option<PathBuf>,
        /// Write the tlog-proof to this file (atomically) instead of stdout.
        #[arg(long, value_name = "PROOF.tlog-proof")]
        out: Option<PathBuf>,
    },
    /// Publish signed statements (firmware releases, say) in the log.
    ///
    /// One entry each, `command = "publish"`, the statement's bytes stored
    /// in objects/.
    /// `log prove --format tlog-proof` then proves each was published.
    Add(super::tlog::AddArgs),
    /// Write the log as a C2SP tlog-tiles tree for any static file server.
    ///
    /// OUT gets the checkpoint, hash tiles, entry bundles and objects.
    /// Incremental: only what is new is written, the checkpoint last; a run
    /// with nothing new writes nothing, and a crash leaves the old
    /// checkpoint and every file it needs.
    Publish(super::tlog::PublishArgs),
    /// Verify a published tree (tiles) from its files alone.
    ///
    /// It checks the signed checkpoint
    /// (pinned with --vkey), every entry bundle against its tile, every
    /// tile against the one above, the tiles against the root, every
    /// entry and the objects it names; with --since, that it extends a
    /// saved checkpoint; with --witnesses, that its cosignatures meet a
    /// tlog-policy's quorum. Streams, in memory bounded by one tile per
    /// level. Exit 1 if anything is wrong (each problem listed).
    Audit(super::tlog::AuditArgs),
    /// Witness a published tree: cosign its checkpoint (C2SP cosignature/v1).
    ///
    /// It checks the checkpoint is signed by the log
    /// and consistent with the last one this witness cosigned (--state),
    /// then adds its line to OUT/checkpoint. Refuses
    /// (exit 1) an unsigned, older or inconsistent checkpoint.
    Cosign(super::tlog::CosignArgs),
    /// Write an RFC 9942 COSE receipt that entry N is in the log.
    ///
    /// The receipt is a COSE_Sign1 by the log key over the tree's root (detached), with the
    /// inclusion path in its unprotected header. Anyone with the entry and
    /// the log's public key verifies it offline.
    Receipt {
        /// The log directory.
        dir: PathBuf,
        /// Entry index.
        #[arg(long, value_name = "N")]
        index: u64,
        /// Tree size (default: the checkpoint's).
        #[arg(long, value_name = "M")]
        size: Option<u64>,
        /// Where to write the receipt.
        #[arg(long, value_name = "R.cose")]
        out: PathBuf,
    },
    /// Print an RFC 9162 consistency proof between two tree sizes as JSON.
    Consistency {
        /// The log directory.
        dir: PathBuf,
        /// The older tree size.
        #[arg(long, value_name = "M")]
        old_size: u64,
        /// The newer tree size (default: the checkpoint's).
        #[arg(long, value_name = "N")]
        size: Option<u64>,
    },
    /// A report for a regulator: the logged inventory decisions (vet runs
    /// with --log) whose evaluation time is in a window, each rebuilt from
    /// its stored inputs and checked against its entry, with every class's
    /// vendor-group and high-risk shares against the caps in force, phase-out
    /// progress between inventories, and the waivers in force and expiring.
    ///
    /// The log is verified first (exit 1 if it does not verify, or if a
    /// decision does not reproduce). The report holds only what the log
    /// holds, so anyone with a copy of the log makes the same bytes.
    Report {
        /// The log directory.
        dir: PathBuf,
        /// Only decisions evaluated at or after this time (RFC 3339).
        #[arg(long, value_name = "TIME")]
        from: Option<String>,
        /// Only decisions evaluated at or before this time (RFC 3339).
        #[arg(long, value_name = "TIME")]
        to: Option<String>,
        /// Output format on stdout.
        #[arg(long, value_enum, default_value = "text")]
        format: ReportFormat,
        /// Also write the report as one self-contained HTML file (charts of
        /// the shares and legacy units over time), written atomically.
        #[arg(long, value_name = "REPORT.html")]
        html: Option<PathBuf>,
    },
    /// Print entries as JSON lines.
    Show {
        /// The log directory.
        dir: PathBuf,
        /// Only this entry.
        #[arg(long, value_name = "N")]
        index: Option<u64>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ProveFormat {
    /// `{"index", "size", "leaf_hash", "root_hash", "proof"}`.
    Json,
    /// A C2SP tlog-proof@v1 with the entry as its extra data.
    TlogProof,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ReportFormat {
    /// Readable text.
    Text,
    /// One JSON object (format hwprov-log-report/1).
    Json,
}

#[derive(Args)]
pub(crate) struct ReplayArgs {
    /// The log directory.
    dir: PathBuf,
    /// The verifier key to trust (a copy of log.vkey kept elsewhere),
    /// instead of DIR/log.vkey.
    #[arg(long, value_name = "VKEY")]
    vkey: Option<PathBuf>,
    /// First entry to replay.
    #[arg(long, value_name = "N")]
    from: Option<u64>,
    /// Last entry to replay (inclusive).
    #[arg(long, value_name = "M")]
    to: Option<u64>,
    /// List every entry replayed, not only those that differ.
    #[arg(long)]
    verbose: bool,
}

use super::tlog::b64;

pub(crate) fn log(cmd: LogCommand, limits: &Limits) -> Result<u8, Fatal> {
    match cmd {
        LogCommand::Init { dir, key, origin } => {
            let key = SecretKey::load(&key)?;
            let log = Log::init(&dir, &key, &origin)?;
            outln!(
                "created log {} with origin {}",
                Escaped(dir.display()),
                log.origin()
            );
            outln!(
                "verifier key: {}",
                std::fs::read_to_string(dir.join("log.vkey"))
                    .unwrap_or_default()
                    .trim_end()
            );
            Ok(0)
        }
        LogCommand::Verify {
            dir,
            vkey,
            since: since_file,
            witnesses,
            repair,
        } => {
            let log = open(&dir, vkey.as_deref())?;
            let what = format!("log {}", Escaped(dir.display()));
            let since = match &since_file {
                None => None,
                Some(f) => match log.saved_checkpoint(f) {
                    Ok(c) => Some(c),
                    Err(e @ LogError::Inconsistent { .. }) => {
                        return Ok(super::tlog::not_verified(&what, &[e.to_string()]));
                    }
                    Err(e) => return Err(e.into()),
                },
            };
            if repair {
                match log.repair() {
                    Ok(r) => outln!(
                        "repaired {}: kept the {} entries the checkpoint signs, removed {} unsigned entr{} and {} byte(s) after them, rebuilt index and hashes (nothing was signed)",
                        Escaped(dir.display()),
                        r.kept,
                        r.unsigned_entries,
                        if r.unsigned_entries == 1 { "y" } else { "ies" },
                        r.removed_bytes
                    ),
                    Err(e @ LogError::Tampered { .. }) => {
                        outln!(
                            "log {} is TAMPERED: {}",
                            Escaped(dir.display()),
                            Escaped(&e)
                        );
                        outln!("repair refused: nothing was changed");
                        return Ok(1);
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            let (n, mut problems) = log.verify_since(since.as_ref())?;
            let mut cosigned = None;
            if let Some(w) = &witnesses {
                let policy = super::tlog::load_policy(w)?;
                let file = since_file.clone().unwrap_or_else(|| dir.join("checkpoint"));
                let bytes = hwprov::read_bounded(&file, 64 << 10)?;
                match String::from_utf8(bytes).map(|n| policy.verify_checkpoint(&n)) {
                    Ok(Ok(a)) => cosigned = Some((a.cosigned, policy.describe())),
                    Ok(Err(e)) => problems.push(format!("{}: {e}", file.display())),
                    Err(_) => problems.push(format!("{}: not UTF-8 text", file.display())),
                }
            }
            if !problems.is_empty() {
                return Ok(super::tlog::not_verified(&what, &problems));
            }
            let cp = log.checkpoint()?;
            outln!(
                "{what} verifies: {n} entries, checkpoint size {} root {}",
                cp.size,
                b64(&cp.root)
            );
            if let Some(s) = &since {
                super::tlog::say_extends(s);
            }
            if let Some((names, rule)) = &cosigned {
                outln!(
                    "that checkpoint is cosigned by {} ({rule}): the quorum is met",
                    Escaped(names.join(", "))
                );
            }
            Ok(0)
        }
        LogCommand::Prove {
            dir,
            index,
            size,
            format: ProveFormat::TlogProof,
            checkpoint,
            out,
        } => {
            if size.is_some() {
                return Err(usage(
                    "--size applies to the JSON proof; a tlog-proof is for the checkpoint's size (--checkpoint)",
                ));
            }
            super::tlog::prove_tlog(&dir, index, checkpoint.as_deref(), out.as_deref())
        }
        LogCommand::Prove {
            dir,
            index,
            size,
            checkpoint,
            out,
            ..
        } => {
            if checkpoint.is_some() || out.is_some() {
                return Err(usage("--checkpoint and --out apply to --format tlog-proof"));
            }
            let log = Log::open(&dir)?;
            let size = match size {
                Some(s) => s,
                None => log.checkpoint()?.size,
            };
            let (leaf, root, proof) = log.prove(index, size)?;
            let proof: Vec<String> = proof.iter().map(|h| b64(h)).collect();
            outln!(
                "{}",
                json!({"index": index, "size": size, "leaf_hash": b64(&leaf), "root_hash": b64(&root), "proof": proof})
            );
            Ok(0)
        }
        LogCommand::Receipt {
            dir,
            index,
            size,
            out,
        } => {
            let log = Log::open(&dir)?;
            let size = match size {
                Some(s) => s,
                None => log.checkpoint()?.size,
            };
            let receipt = hwprov::audit::receipt::make(&log, index, size).map_err(|e| match e {
                hwprov::audit::receipt::ReceiptError::Malformed(m) => usage(m),
                other => Fatal::from(other),
            })?;
            hwprov::write_atomic(&out, &receipt, 0o644)?;
            outln!(
                "receipt: entry {index} in the tree of {size} entries -> {}",
                Escaped(out.display())
            );
            Ok(0)
        }
        LogCommand::Consistency {
            dir,
            old_size,
            size,
        } => {
            let log = Log::open(&dir)?;
            let size = match size {
                Some(s) => s,
                None => log.checkpoint()?.size,
            };
            let (old_root, root, proof) = log.consistency(old_size, size)?;
            let proof: Vec<String> = proof.iter().map(|h| b64(h)).collect();
            outln!(
                "{}",
                json!({"old_size": old_size, "size": size, "old_root_hash": b64(&old_root), "root_hash": b64(&root), "proof": proof})
            );
            Ok(0)
        }
        LogCommand::Report {
            dir,
            from,
            to,
            format,
            html,
        } => {
            let time = |flag: &str, t: &Option<String>| {
                t.as_deref()
                    .map(|s| {
                        hwprov::Timestamp::parse_rfc3339(s)
                            .map_err(|e| usage(format!("{flag} '{s}': {e}")))
                    })
                    .transpose()
            };
            let window = Window {
                from: time("--from", &from)?,
                to: time("--to", &to)?,
            };
            let log = Log::open(&dir)?;
            let built = report::build(&log, window, limits, |i, e| {
                eprintln!("rebuilding inventory of entry {i} (at {})", e.at);
            });
            let r = match built {
                Ok(r) => r,
                Err(e @ (ReportError::Unsound { .. } | ReportError::Different { .. })) => {
                    eprintln!("hwprov: error: {}: {}", Escaped(dir.display()), Escaped(&e));
                    return Ok(1);
                }
                Err(ReportError::Reversed { from, to }) => {
                    return Err(usage(format!("--from {from} is after --to {to}")));
                }
                Err(e) => return Err(e.into()),
            };
            if let Some(h) = &html {
                hwprov::write_atomic(h, r.to_html().as_bytes(), 0o644)?;
                eprintln!("wrote {}", Escaped(h.display()));
            }
            match format {
                ReportFormat::Json => outln!("{}", r.to_json()),
                ReportFormat::Text => super::out!("{}", r.to_text()),
            }
            Ok(0)
        }
        LogCommand::Add(a) => super::tlog::add(&a, limits),
        LogCommand::Publish(a) => super::tlog::publish(&a),
        LogCommand::Audit(a) => super::tlog::audit(&a),
        LogCommand::Cosign(a) => super::tlog::cosign(&a),
        LogCommand::Show { dir, index } => {
            let log = Log::open(&dir)?;
            let n = log.size()?;
            let range = match index {
                Some(i) if i < n => i..i + 1,
                Some(i) => {
                    return Err(usage(format!(
                        "entry {i} does not exist: the log has {n} entries"
                    )));
                }
                None => 0..n,
            };
            for i in range {
                let e = Entry::decode(&log.entry_bytes(i)?)
                    .map_err(|e| usage(format!("entry {i}: {e}")))?;
                outln!("{}", serde_json::to_string(&e)?);
            }
            Ok(0)
        }
    }
}

/// Opens the log, pinned to `vkey` when given (SPEC 10.1); says so when
/// DIR/log.vkey names another key.
fn open(dir: &std::path::Path, vkey: Option<&std::path::Path>) -> Result<Log, Fatal> {
    let Some(v) = vkey else {
        return Ok(Log::open(dir)?);
    };
    let (log, differs) = Log::open_pinned(dir, v)?;
    if differs {
        super::tlog::note_pinned(&dir.join("log.vkey"), v);
    }
    Ok(log)
}

pub(crate) fn replay(a: &ReplayArgs, limits: &Limits) -> Result<u8, Fatal> {
    let log = open(&a.dir, a.vkey.as_deref())?;
    let range = Range {
        from: a.from,
        to: a.to,
    };
    let summary = replay::replay(&log, range, limits, |event| match event {
        Event::Problem(p) => outln!("problem: {}", Escaped(p)),
        Event::Entry {
            index,
            entry,
            different: None,
        } => {
            if a.verbose {
                outln!(
                    "entry {index}: same ({} {} at {})",
                    Escaped(entry.command.as_str()),
                    Escaped(&entry.verdict),
                    entry.at
                );
            }
        }
        Event::Entry {
            index,
            different: Some(why),
            ..
        } => outln!("entry {index}: DIFFERENT: {}", Escaped(why)),
    })?;
    outln!(
        "{} replayed, {} different, {} log problem(s)",
        summary.replayed,
        summary.different,
        summary.problems
    );
    Ok(if summary.all_same() { 0 } else { 1 })
}
