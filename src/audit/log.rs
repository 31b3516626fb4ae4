//! The verification log of SPEC section 10.
//!
//! `DIR/entries` (the record: a CBOR sequence of bstr, one per decision) is
//! the source of truth. Beside it, derived files that make appends and
//! proofs O(log n): `DIR/index` (the end offset of each entry, 8 bytes
//! big-endian) and `DIR/hashes` (the RFC 9162 tree's stored hashes, see
//! [`crate::wire::tlog::merkle`]). `DIR/checkpoint` is a C2SP checkpoint signed with
//! `DIR/log.key`; `DIR/log.vkey` is its verifier key; `DIR/objects/<hex>`
//! holds each input's exact bytes.
//!
//! An append takes an exclusive lock on `DIR/lock`, checks that the files
//! agree (no torn tail), writes the entry, index and hashes with fsync, then
//! replaces the checkpoint atomically. A crash leaves at most a torn tail,
//! which `verify` reports and `repair` truncates (rebuilding the derived
//! files from the complete entries).

pub use crate::decide::image::{image_facts_bytes, parse_image_facts};
use crate::fsutil;
pub use crate::report::entry::{Entry, findings_digest};
use crate::wire::cbor::{self, Value};
use crate::wire::digest::Sha256;
use crate::wire::keys::SecretKey;
use crate::wire::tlog::merkle::{self, Hash};
use crate::wire::tlog::note::{self, Checkpoint, Verifier};
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Largest entry accepted (entries are small maps of digests).
pub const MAX_ENTRY_BYTES: usize = crate::limits::Limits::DEFAULT.max_log_entry_bytes;

/// A log problem (exit 2 for unusable input, 1 for a log that does not verify).
#[derive(Debug)]
#[non_exhaustive]
pub enum LogError {
    /// A file could not be read or written.
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The directory is not a log, or is already one.
    NotALog {
        /// What is wrong.
        problem: String,
    },
    /// The files disagree: a torn tail or damage to derived files.
    Inconsistent {
        /// What is wrong.
        problem: String,
    },
    /// The log no longer matches what its checkpoint signs (entries
    /// removed or altered, the checkpoint or key replaced): it is refused,
    /// never repaired or extended.
    Tampered {
        /// What is wrong.
        problem: String,
    },
    /// A request outside the log (index or size).
    OutOfRange {
        /// What was asked.
        problem: String,
    },
}

impl fmt::Display for LogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            LogError::NotALog { problem } | LogError::OutOfRange { problem } => {
                write!(f, "{problem}")
            }
            LogError::Inconsistent { problem } => write!(f, "{problem}"),
            LogError::Tampered { problem } => write!(f, "the log was tampered with: {problem}"),
        }
    }
}

impl std::error::Error for LogError {}

impl From<merkle::ProofError> for LogError {
    fn from(e: merkle::ProofError) -> Self {
        LogError::OutOfRange {
            problem: e.to_string(),
        }
    }
}

pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> LogError + '_ {
    move |source| LogError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Largest stored object: the largest input hwprov records (a bundle).
pub const MAX_OBJECT_BYTES: usize = crate::limits::Limits::DEFAULT.max_bundle_bytes;
/// Largest `log.vkey` or `checkpoint` file.
pub(crate) const MAX_NOTE_BYTES: usize = crate::limits::Limits::DEFAULT.max_log_note_bytes;

/// Reads a log file of at most `limit` bytes; a larger one is damage (or a
/// replacement) and is refused without being read into memory.
pub(crate) fn read_log_file(path: &Path, limit: usize) -> Result<Vec<u8>, LogError> {
    fsutil::read_bounded(path, limit).map_err(file_err)
}

pub(crate) fn file_err(e: fsutil::FileError) -> LogError {
    match e {
        fsutil::FileError::Io { path, source } => LogError::Io { path, source },
        other => LogError::Inconsistent {
            problem: format!("{other}: damaged or replaced"),
        },
    }
}

pub(crate) fn read_log_text(path: &Path, limit: usize) -> Result<String, LogError> {
    String::from_utf8(read_log_file(path, limit)?).map_err(|_| LogError::Inconsistent {
        problem: format!("{}: not UTF-8 text", path.display()),
    })
}

/// An open log directory.
#[derive(Debug)]
pub struct Log {
    pub(crate) dir: PathBuf,
    verifier: Verifier,
}

pub(crate) fn len_of(path: &Path) -> Result<u64, LogError> {
    std::fs::metadata(path).map(|m| m.len()).map_err(io(path))
}

pub(crate) fn append_sync(path: &Path, bytes: &[u8]) -> Result<(), LogError> {
    let mut f = OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(io(path))?;
    f.write_all(bytes).map_err(io(path))?;
    f.sync_all().map_err(io(path))
}

pub(crate) fn read_at(path: &Path, offset: u64, len: usize) -> Result<Vec<u8>, LogError> {
    let mut f = File::open(path).map_err(io(path))?;
    f.seek(SeekFrom::Start(offset)).map_err(io(path))?;
    let mut buf = vec![0u8; len];
    f.read_exact(&mut buf).map_err(io(path))?;
    Ok(buf)
}

/// The state of the files, checked for agreement.
pub(crate) struct Files {
    size: u64,
    entries_len: u64,
    /// The root the checkpoint signs.
    root: Hash,
}

impl Log {
    /// Creates a log in `dir` (which must be empty or absent).
    pub fn init(dir: &Path, key: &SecretKey, origin: &str) -> Result<Log, LogError> {
        let verifier = Verifier::new(origin, key.public()).map_err(|e| LogError::NotALog {
            problem: format!("--origin: {e}"),
        })?;
        std::fs::create_dir_all(dir.join("objects")).map_err(io(dir))?;
        if dir.join("checkpoint").exists() || dir.join("entries").exists() {
            return Err(LogError::NotALog {
                problem: format!("{} already holds a log", dir.display()),
            });
        }
        let pem = key.to_pem().map_err(|e| LogError::NotALog {
            problem: e.to_string(),
        })?;
        fsutil::write_atomic(&dir.join("log.key"), pem.as_bytes(), 0o600).map_err(|e| {
            LogError::NotALog {
                problem: e.to_string(),
            }
        })?;
        fsutil::write_atomic(
            &dir.join("log.vkey"),
            format!("{}\n", verifier.to_vkey()).as_bytes(),
            0o644,
        )
        .map_err(|e| LogError::NotALog {
            problem: e.to_string(),
        })?;
        for f in ["entries", "index", "hashes", "lock"] {
            File::create(dir.join(f))
                .map_err(io(dir))?
                .sync_all()
                .map_err(io(dir))?;
        }
        fsutil::sync_parent(&dir.join("entries")).map_err(io(dir))?;
        let log = Log {
            dir: dir.to_owned(),
            verifier,
        };
        log.write_checkpoint(key, 0, &merkle::empty_root())?;
        Ok(log)
    }

    /// Opens an existing log (reading its verifier key).
    pub fn open(dir: &Path) -> Result<Log, LogError> {
        let vkey_path = dir.join("log.vkey");
        let text = read_log_text(&vkey_path, MAX_NOTE_BYTES).map_err(|e| {
            let why = match e {
                LogError::Io { source, .. } => format!("its log.vkey: {source}"),
                other => other.to_string(),
            };
            LogError::NotALog {
                problem: format!(
                    "{} is not a log ({why}); create one with `hwprov log init`",
                    dir.display()
                ),
            }
        })?;
        let verifier = Verifier::parse(&text).map_err(|e| LogError::NotALog {
            problem: format!("{}: {e}", vkey_path.display()),
        })?;
        Ok(Log {
            dir: dir.to_owned(),
            verifier,
        })
    }

    /// Opens an existing log trusting only the verifier key in `vkey_file`
    /// (SPEC 10.1): checkpoints are verified with it, whatever
    /// `DIR/log.vkey` says. Returns the log and whether `DIR/log.vkey`
    /// names another key (a replaced key pair, or a pin for another log).
    pub fn open_pinned(dir: &Path, vkey_file: &Path) -> Result<(Log, bool), LogError> {
        let mut log = Log::open(dir)?;
        let text = read_log_text(vkey_file, MAX_NOTE_BYTES)?;
        let pinned = Verifier::parse(&text).map_err(|e| LogError::NotALog {
            problem: format!("{}: not a verifier key: {e}", vkey_file.display()),
        })?;
        let differs = pinned != log.verifier;
        log.verifier = pinned;
        Ok((log, differs))
    }

    /// Reads a checkpoint an auditor saved (SPEC 10.1), verified with the
    /// key this log is checked with. A file that is not a signed note is
    /// an error naming it; a note this key did not sign is `Inconsistent`.
    pub fn saved_checkpoint(&self, file: &Path) -> Result<Checkpoint, LogError> {
        let text = read_log_text(file, MAX_NOTE_BYTES)?;
        let body = note::open(&text, &self.verifier).map_err(|e| LogError::Inconsistent {
            problem: format!(
                "{}: the saved checkpoint does not verify with the log's key {}: {e} (the key was replaced, or this is another log's checkpoint)",
                file.display(),
                self.verifier.name
            ),
        })?;
        let cp = Checkpoint::parse(body).map_err(|e| LogError::Inconsistent {
            problem: format!("{}: {e}", file.display()),
        })?;
        if cp.origin != self.verifier.name {
            return Err(LogError::Inconsistent {
                problem: format!(
                    "{}: origin '{}' is not the log's '{}'",
                    file.display(),
                    cp.origin,
                    self.verifier.name
                ),
            });
        }
        Ok(cp)
    }

    pub(crate) fn path(&self, f: &str) -> PathBuf {
        self.dir.join(f)
    }

    /// The log's origin.
    pub fn origin(&self) -> &str {
        &self.verifier.name
    }

    /// The log's signing key; it must match the verifier key.
    pub(crate) fn signing_key(&self) -> Result<SecretKey, LogError> {
        let key = SecretKey::load(&self.path("log.key")).map_err(|e| LogError::NotALog {
            problem: e.to_string(),
        })?;
        if key.public() != self.verifier.key {
            return Err(LogError::NotALog {
                problem: format!(
                    "{}: not the key of log.vkey",
                    self.path("log.key").display()
                ),
            });
        }
        Ok(key)
    }

    pub(crate) fn write_checkpoint(
        &self,
        key: &SecretKey,
        size: u64,
        root: &Hash,
    ) -> Result<(), LogError> {
        let cp = Checkpoint {
            origin: self.verifier.name.clone(),
            size,
            root: *root,
        };
        let signed =
            note::sign(&cp.text(), &self.verifier.name, key).map_err(|e| LogError::NotALog {
                problem: e.to_string(),
            })?;
        fsutil::write_atomic(&self.path("checkpoint"), signed.as_bytes(), 0o644).map_err(|e| {
            LogError::NotALog {
                problem: e.to_string(),
            }
        })
    }

    /// The signed checkpoint, verified with the log's key.
    pub fn checkpoint(&self) -> Result<Checkpoint, LogError> {
        let p = self.path("checkpoint");
        let text = read_log_text(&p, MAX_NOTE_BYTES)?;
        let body = note::open(&text, &self.verifier).map_err(|e| LogError::Inconsistent {
            problem: format!("{}: {e}", p.display()),
        })?;
        let cp = Checkpoint::parse(body).map_err(|e| LogError::Inconsistent {
            problem: format!("{}: {e}", p.display()),
        })?;
        if cp.origin != self.verifier.name {
            return Err(LogError::Inconsistent {
                problem: format!(
                    "{}: origin '{}' is not the log's '{}'",
                    p.display(),
                    cp.origin,
                    self.verifier.name
                ),
            });
        }
        Ok(cp)
    }

    pub(crate) fn stored(&self, i: u64) -> Result<Hash, LogError> {
        let b = read_at(&self.path("hashes"), i * 32, 32)?;
        let mut h = [0u8; 32];
        h.copy_from_slice(&b);
        Ok(h)
    }

    pub(crate) fn end_offset(&self, index: u64) -> Result<u64, LogError> {
        let b = read_at(&self.path("index"), index * 8, 8)?;
        Ok(u64::from_be_bytes([
            b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
        ]))
    }

    /// Checks that entries, index, hashes and checkpoint agree; returns the
    /// size. Any disagreement is a torn tail or damage.
    pub(crate) fn files(&self) -> Result<Files, LogError> {
        let index_len = len_of(&self.path("index"))?;
        let entries_len = len_of(&self.path("entries"))?;
        let hashes_len = len_of(&self.path("hashes"))?;
        let torn = |what: String| LogError::Inconsistent {
            problem: format!(
                "{what}: the log has a torn tail (a crash during an append); run `hwprov log verify {} --repair`",
                self.dir.display()
            ),
        };
        if index_len % 8 != 0 {
            return Err(torn(format!(
                "index holds {index_len} bytes, not a multiple of 8"
            )));
        }
        let size = index_len / 8;
        let end = if size == 0 {
            0
        } else {
            self.end_offset(size - 1)?
        };
        if entries_len != end {
            return Err(torn(format!(
                "entries holds {entries_len} bytes but the index ends at {end}"
            )));
        }
        if hashes_len != merkle::stored_hash_count(size) * 32 {
            return Err(torn(format!(
                "hashes holds {hashes_len} bytes, {} expected for {size} entries",
                merkle::stored_hash_count(size) * 32
            )));
        }
        let cp = self.checkpoint()?;
        if cp.size > size {
            return Err(LogError::Tampered {
                problem: format!(
                    "the checkpoint signs {} entries but only {size} are indexed: entries were removed after they were signed; nothing was appended (run `hwprov log verify {}` and restore the log from a copy)",
                    cp.size,
                    self.dir.display()
                ),
            });
        }
        if cp.size < size {
            return Err(LogError::Inconsistent {
                problem: format!(
                    "{} entries after the checkpoint's size {} are covered by no signature (a crash before the checkpoint was written, or entries added without the log key); `hwprov log verify {} --repair` removes them",
                    size - cp.size,
                    cp.size,
                    self.dir.display()
                ),
            });
        }
        Ok(Files {
            size,
            entries_len,
            root: cp.root,
        })
    }

    /// Stores an input's bytes under `objects/<sha256 hex>` (once).
    pub fn put_object(&self, bytes: &[u8]) -> Result<Sha256, LogError> {
        let d = Sha256::of(bytes);
        let p = self.path("objects").join(d.hex());
        if !p.exists() {
            fsutil::write_atomic(&p, bytes, 0o644).map_err(|e| LogError::NotALog {
                problem: e.to_string(),
            })?;
        }
        Ok(d)
    }

    /// An input's stored bytes, checked against their name.
    pub fn object(&self, d: &Sha256) -> Result<Vec<u8>, LogError> {
        object_at(&self.path("objects"), d)
    }

    /// The log's verifier (its origin and public key).
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }
}

/// The object `d` under the directory `objects`, checked against its name.
pub(crate) fn object_at(objects: &Path, d: &Sha256) -> Result<Vec<u8>, LogError> {
    let p = objects.join(d.hex());
    let b = read_log_file(&p, MAX_OBJECT_BYTES)?;
    if Sha256::of(&b) != *d {
        return Err(LogError::Inconsistent {
            problem: format!(
                "{}: content does not match its name (altered object)",
                p.display()
            ),
        });
    }
    Ok(b)
}

impl Log {
    /// Appends entries (their `index` fields are set here) as one batch:
    /// one lock, one fsync per file, one checkpoint. Returns their indexes.
    pub fn append(&self, entries: &mut [Entry]) -> Result<std::ops::Range<u64>, LogError> {
        let lock_path = self.path("lock");
        let lock = OpenOptions::new()
            .write(true)
            .open(&lock_path)
            .map_err(io(&lock_path))?;
        lock.lock().map_err(io(&lock_path))?;
        // The key first: nothing is written unless the checkpoint can be signed.
        let key = self.signing_key()?;
        let files = self.files()?;
        // SPEC 10: never build on anything but what the checkpoint signs.
        // The stored hashes must give the signed root (a logarithmic
        // number of reads), and the last entry must still give its stored
        // leaf hash; else an attacker who rewrote entries, index and hashes
        // from public data would have the next checkpoint sign over them.
        if merkle::tree_hash(files.size, |i| self.stored(i))? != files.root {
            return Err(LogError::Tampered {
                problem: format!(
                    "the stored tree of {} entries does not hash to the root the checkpoint signs: the log was altered after it was signed; nothing was appended (run `hwprov log verify {}` and restore the log from a copy)",
                    files.size,
                    self.dir.display()
                ),
            });
        }
        if files.size > 0 {
            let last = files.size - 1;
            let stored_leaf = self.stored(merkle::stored_hash_index(0, last))?;
            if merkle::leaf_hash(&self.entry_bytes(last)?) != stored_leaf {
                return Err(LogError::Tampered {
                    problem: format!(
                        "entry {last} no longer hashes to its signed leaf: the log was altered after it was signed; nothing was appended (run `hwprov log verify {}` and restore the log from a copy)",
                        self.dir.display()
                    ),
                });
            }
        }
        let mut size = files.size;
        let start = size;
        let (mut ebytes, mut ibytes, mut hbytes) = (Vec::new(), Vec::new(), Vec::new());
        let mut offset = files.entries_len;
        let mut pending: Vec<Hash> = Vec::new();
        let base = merkle::stored_hash_count(size);
        for e in entries.iter_mut() {
            e.index = size;
            let bytes = e.encode();
            let item = cbor::encode(&Value::Bytes(bytes.clone()));
            offset += item.len() as u64;
            ebytes.extend_from_slice(&item);
            ibytes.extend_from_slice(&offset.to_be_bytes());
            let new = merkle::stored_hashes_for_leaf(size, merkle::leaf_hash(&bytes), |i| {
                if i >= base {
                    Ok(pending[(i - base) as usize])
                } else {
                    self.stored(i)
                }
            })?;
            pending.extend_from_slice(&new);
            size += 1;
        }
        for h in &pending {
            hbytes.extend_from_slice(h);
        }
        append_sync(&self.path("entries"), &ebytes)?;
        append_sync(&self.path("index"), &ibytes)?;
        append_sync(&self.path("hashes"), &hbytes)?;
        let root = merkle::tree_hash(size, |i| self.stored(i))?;
        self.write_checkpoint(&key, size, &root)?;
        drop(lock);
        Ok(start..size)
    }

    /// The bytes of entry `index`.
    pub fn entry_bytes(&self, index: u64) -> Result<Vec<u8>, LogError> {
        let start = if index == 0 {
            0
        } else {
            self.end_offset(index - 1)?
        };
        let end = self.end_offset(index)?;
        // The index is derived data: never trust it for an allocation.
        let len = end
            .checked_sub(start)
            .and_then(|l| usize::try_from(l).ok())
            .filter(|l| *l <= MAX_ENTRY_BYTES + 9)
            .ok_or_else(|| LogError::Inconsistent {
                problem: format!(
                    "the index gives entry {index} the byte range {start}..{end}; run `hwprov log verify {} --repair`",
                    self.dir.display()
                ),
            })?;
        let item = read_at(&self.path("entries"), start, len)?;
        match cbor::decode(&item, 1) {
            Ok(Value::Bytes(b)) => Ok(b),
            _ => Err(LogError::Inconsistent {
                problem: format!("entry {index} is not a CBOR byte string"),
            }),
        }
    }

    /// Current size (after checking the files agree).
    pub fn size(&self) -> Result<u64, LogError> {
        Ok(self.files()?.size)
    }

    /// Root hash of the first `size` entries.
    pub fn root(&self, size: u64) -> Result<Hash, LogError> {
        merkle::tree_hash(size, |i| self.stored(i))
    }

    /// Inclusion proof of entry `index` in the tree of `size`.
    pub fn prove(&self, index: u64, size: u64) -> Result<(Hash, Hash, Vec<Hash>), LogError> {
        let n = self.size()?;
        if size > n || index >= size {
            return Err(LogError::OutOfRange {
                problem: format!("index {index} in size {size}: the log has {n} entries"),
            });
        }
        let leaf = merkle::leaf_hash(&self.entry_bytes(index)?);
        let proof = merkle::inclusion_proof(index, size, |i| self.stored(i))?;
        Ok((leaf, self.root(size)?, proof))
    }

    /// Consistency proof between `old` and `size`.
    pub fn consistency(&self, old: u64, size: u64) -> Result<(Hash, Hash, Vec<Hash>), LogError> {
        let n = self.size()?;
        if size > n || old == 0 || old > size {
            return Err(LogError::OutOfRange {
                problem: format!("old size {old}, size {size}: need 1 <= old size <= size <= {n}"),
            });
        }
        let proof = merkle::consistency_proof(old, size, |i| self.stored(i))?;
        Ok((self.root(old)?, self.root(size)?, proof))
    }
}
