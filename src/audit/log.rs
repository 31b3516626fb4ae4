//! The verification log of SPEC section 10.
//!
//! `DIR/entries` (the record: a CBOR sequence of bstr, one per decision) is
//! the source of truth. Beside it, derived files that make appends and
//! proofs O(log n): `DIR/index` (the end offset of each entry, 8 bytes
//! big-endian) and `DIR/hashes` (the RFC 9162 tree's stored hashes, see
//! [`crate::audit::merkle`]). `DIR/checkpoint` is a C2SP checkpoint signed with
//! `DIR/log.key`; `DIR/log.vkey` is its verifier key; `DIR/objects/<hex>`
//! holds each input's exact bytes.
//!
//! An append takes an exclusive lock on `DIR/lock`, checks that the files
//! agree (no torn tail), writes the entry, index and hashes with fsync, then
//! replaces the checkpoint atomically. A crash leaves at most a torn tail,
//! which `verify` reports and `repair` truncates (rebuilding the derived
//! files from the complete entries).

use crate::audit::merkle::{self, Hash};
use crate::audit::note::{self, Checkpoint, Verifier};
use crate::fsutil;
use crate::wire::cbor::{self, Value};
use crate::wire::digest::Sha256;
use crate::wire::keys::SecretKey;
use crate::wire::time::Timestamp;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Largest entry accepted (entries are small maps of digests).
pub const MAX_ENTRY_BYTES: usize = 64 * 1024;

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

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> LogError + '_ {
    move |source| LogError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Largest stored object: the largest input hwprov records (a bundle).
pub const MAX_OBJECT_BYTES: usize = crate::limits::Limits::DEFAULT.max_bundle_bytes;
/// Largest `log.vkey` or `checkpoint` file.
const MAX_NOTE_BYTES: usize = 64 * 1024;

/// Reads a log file of at most `limit` bytes; a larger one is damage (or a
/// replacement) and is refused without being read into memory.
fn read_log_file(path: &Path, limit: usize) -> Result<Vec<u8>, LogError> {
    fsutil::read_bounded(path, limit).map_err(file_err)
}

fn file_err(e: fsutil::FileError) -> LogError {
    match e {
        fsutil::FileError::Io { path, source } => LogError::Io { path, source },
        other => LogError::Inconsistent {
            problem: format!("{other}: damaged or replaced"),
        },
    }
}

fn read_log_text(path: &Path, limit: usize) -> Result<String, LogError> {
    String::from_utf8(read_log_file(path, limit)?).map_err(|_| LogError::Inconsistent {
        problem: format!("{}: not UTF-8 text", path.display()),
    })
}

/// One decision, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Position in the log.
    pub index: u64,
    /// Wall-clock time of the decision.
    pub time: Timestamp,
    /// Evaluation time (`--at`).
    pub at: Timestamp,
    /// `hwprov/<version>`.
    pub tool: String,
    /// `verify`, `gate` or `vet`.
    pub command: String,
    /// Input name to digest (bundle, policy, state, image).
    pub inputs: Vec<(String, Sha256)>,
    /// Verdict or decision.
    pub verdict: String,
    /// SHA-256 of the deterministic CBOR array of findings.
    pub findings: Sha256,
}

impl Entry {
    /// Deterministic CBOR map of SPEC section 10.
    pub fn encode(&self) -> Vec<u8> {
        let t = |s: &str| Value::Text(s.to_owned());
        let inputs = Value::Map(
            self.inputs
                .iter()
                .map(|(k, d)| (t(k), d.to_cbor()))
                .collect(),
        );
        cbor::encode_deterministic(&Value::Map(vec![
            (t("v"), Value::Uint(1)),
            (t("index"), Value::Uint(self.index)),
            (t("time"), Value::Uint(self.time.0)),
            (t("at"), Value::Uint(self.at.0)),
            (t("tool"), t(&self.tool)),
            (t("command"), t(&self.command)),
            (t("inputs"), inputs),
            (t("verdict"), t(&self.verdict)),
            (t("findings"), self.findings.to_cbor()),
        ]))
    }

    /// Decodes and checks an entry's bytes (deterministic, known keys only).
    pub fn decode(bytes: &[u8]) -> Result<Entry, String> {
        let v = cbor::decode(bytes, 4).map_err(|e| e.to_string())?;
        if !cbor::keys_sorted(&v) {
            return Err("entry is not deterministic CBOR".into());
        }
        let Value::Map(m) = v else {
            return Err("entry is not a map".into());
        };
        if m.len() != 9 {
            return Err(format!("entry has {} fields, 9 expected", m.len()));
        }
        let get = |k: &str| {
            m.iter()
                .find(|(key, _)| key.as_text() == Some(k))
                .map(|(_, v)| v)
                .ok_or(format!("entry lacks '{k}'"))
        };
        let uint = |k: &str| match get(k)? {
            Value::Uint(n) => Ok(*n),
            _ => Err(format!("entry '{k}' is not an unsigned integer")),
        };
        let text = |k: &str| {
            get(k)?
                .as_text()
                .map(str::to_owned)
                .ok_or(format!("entry '{k}' is not text"))
        };
        if uint("v")? != 1 {
            return Err("entry version is not 1".into());
        }
        let Value::Map(inp) = get("inputs")? else {
            return Err("entry 'inputs' is not a map".into());
        };
        let mut inputs = Vec::new();
        for (k, d) in inp {
            let name = k.as_text().ok_or("input names must be text")?;
            inputs.push((
                name.to_owned(),
                Sha256::from_cbor(d).map_err(|e| e.to_string())?,
            ));
        }
        Ok(Entry {
            index: uint("index")?,
            time: Timestamp(uint("time")?),
            at: Timestamp(uint("at")?),
            tool: text("tool")?,
            command: text("command")?,
            inputs,
            verdict: text("verdict")?,
            findings: Sha256::from_cbor(get("findings")?).map_err(|e| e.to_string())?,
        })
    }
}

/// SHA-256 of the deterministic CBOR array of `[rule, severity,
/// statement-digest-or-null, subject]`, in report order.
pub fn findings_digest(findings: &[crate::report::Finding]) -> Sha256 {
    let arr = Value::Array(
        findings
            .iter()
            .map(|f| {
                Value::Array(vec![
                    Value::Text(f.rule.as_str().into()),
                    Value::Text(f.severity.as_str().into()),
                    f.statement.map_or(Value::Null, |d| d.to_cbor()),
                    Value::Text(f.subject.clone()),
                ])
            })
            .collect(),
    );
    Sha256::of(&cbor::encode_deterministic(&arr))
}

/// The stored record of an image: `{"sha256": digest, "size": uint}` in
/// deterministic CBOR (images themselves are not stored).
pub fn image_facts_bytes(f: &crate::decide::image::ImageFacts) -> Vec<u8> {
    cbor::encode_deterministic(&Value::Map(vec![
        (Value::Text("sha256".into()), f.sha256.to_cbor()),
        (Value::Text("size".into()), Value::Uint(f.size)),
    ]))
}

/// Parses [`image_facts_bytes`].
pub fn parse_image_facts(bytes: &[u8]) -> Option<crate::decide::image::ImageFacts> {
    let v = cbor::decode(bytes, 3).ok()?;
    let sha256 = Sha256::from_cbor(v.get("sha256")?).ok()?;
    let Value::Uint(size) = v.get("size")? else {
        return None;
    };
    (image_facts_bytes(&crate::decide::image::ImageFacts {
        sha256,
        size: *size,
    }) == bytes)
        .then_some(crate::decide::image::ImageFacts {
            sha256,
            size: *size,
        })
}

/// An open log directory.
pub struct Log {
    dir: PathBuf,
    verifier: Verifier,
}

fn len_of(path: &Path) -> Result<u64, LogError> {
    std::fs::metadata(path).map(|m| m.len()).map_err(io(path))
}

fn append_sync(path: &Path, bytes: &[u8]) -> Result<(), LogError> {
    let mut f = OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(io(path))?;
    f.write_all(bytes).map_err(io(path))?;
    f.sync_all().map_err(io(path))
}

fn read_at(path: &Path, offset: u64, len: usize) -> Result<Vec<u8>, LogError> {
    let mut f = File::open(path).map_err(io(path))?;
    f.seek(SeekFrom::Start(offset)).map_err(io(path))?;
    let mut buf = vec![0u8; len];
    f.read_exact(&mut buf).map_err(io(path))?;
    Ok(buf)
}

/// The state of the files, checked for agreement.
struct Files {
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

    fn path(&self, f: &str) -> PathBuf {
        self.dir.join(f)
    }

    /// The log's origin.
    pub fn origin(&self) -> &str {
        &self.verifier.name
    }

    /// The log's signing key; it must match the verifier key.
    fn signing_key(&self) -> Result<SecretKey, LogError> {
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

    fn write_checkpoint(&self, key: &SecretKey, size: u64, root: &Hash) -> Result<(), LogError> {
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

    fn stored(&self, i: u64) -> Result<Hash, LogError> {
        let b = read_at(&self.path("hashes"), i * 32, 32)?;
        let mut h = [0u8; 32];
        h.copy_from_slice(&b);
        Ok(h)
    }

    fn end_offset(&self, index: u64) -> Result<u64, LogError> {
        let b = read_at(&self.path("index"), index * 8, 8)?;
        Ok(u64::from_be_bytes([
            b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
        ]))
    }

    /// Checks that entries, index, hashes and checkpoint agree; returns the
    /// size. Any disagreement is a torn tail or damage.
    fn files(&self) -> Result<Files, LogError> {
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
        let p = self.path("objects").join(d.hex());
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

    /// Recomputes the tree from the entries file alone, streaming (the
    /// hashing part of [`Log::verify`]): the number of complete entries
    /// and their root.
    pub fn recompute_root(&self) -> Result<(u64, Hash), LogError> {
        let mut reader = EntryReader::open(&self.path("entries"))?;
        let mut frontier = merkle::Frontier::default();
        while let Item::Entry(bytes) = reader.next()? {
            frontier.push(merkle::leaf_hash(&bytes));
        }
        Ok((frontier.size(), frontier.root()))
    }

    /// Checks the whole log in one streaming pass over each file (memory
    /// does not grow with the log): every entry decodes with its own
    /// index, the tree built from the entries matches the stored hashes
    /// and the signed checkpoint, the index matches, and every object is
    /// intact. Returns (complete entries, problems).
    pub fn verify(&self) -> Result<(u64, Vec<String>), LogError> {
        let mut problems = Vec::new();
        let cp = self.checkpoint();
        let mut reader = EntryReader::open(&self.path("entries"))?;
        let mut index = DerivedReader::open(&self.path("index"))?;
        let mut hashes = DerivedReader::open(&self.path("hashes"))?;
        let mut frontier = merkle::Frontier::default();
        let mut root_problem = None;
        let check_root = |frontier: &merkle::Frontier, want: &Hash| {
            (frontier.root() != *want).then(|| format!(
                "the entries do not hash to the root the checkpoint signs for size {}: an entry was altered after it was signed (tampering: restore the log from a copy and investigate)",
                frontier.size()
            ))
        };
        if let Ok(c) = &cp
            && c.size == 0
        {
            root_problem = check_root(&frontier, &c.root);
        }
        let mut entries = EntryChecks::new(self);
        let torn = loop {
            match reader.next()? {
                Item::Entry(bytes) => {
                    index.expect(&reader.pos.to_be_bytes())?;
                    for h in frontier.push(merkle::leaf_hash(&bytes)) {
                        hashes.expect(&h)?;
                    }
                    if let Ok(c) = &cp
                        && c.size == frontier.size()
                    {
                        root_problem = check_root(&frontier, &c.root);
                    }
                    entries.add(frontier.size() - 1, bytes);
                }
                Item::End => break 0,
                Item::Torn(bytes) => break bytes,
            }
        };
        let n = frontier.size();
        if torn > 0 {
            problems.push(format!("torn tail: {torn} byte(s) after entry {n} do not form a complete entry (a crash during an append; --repair truncates them)"));
        }
        match cp {
            Err(e) => problems.push(e.to_string()),
            Ok(c) => {
                if c.size > n {
                    problems.push(format!("the checkpoint signs {} entries but only {n} complete entries exist: entries were removed after they were signed (tampering: restore the log from a copy and investigate)", c.size));
                }
                problems.extend(root_problem);
                if c.size < n {
                    problems.push(format!("{} complete entries after the checkpoint's size {} are covered by no signature (a crash before the checkpoint was written, or entries added without the log key; --repair removes them)", n - c.size, c.size));
                }
            }
        }
        if !index.matched_exactly() {
            problems.push(
                "the index does not match the entries (derived data: --repair rebuilds it)".into(),
            );
        }
        if !hashes.matched_exactly() {
            problems.push(
                "the stored hashes do not match the entries (derived data: --repair rebuilds them)"
                    .into(),
            );
        }
        problems.extend(entries.finish());
        Ok((n, problems))
    }

    /// Repairs what a crash can leave: truncates everything after the
    /// entries the checkpoint signs (a torn tail, and complete entries no
    /// signature covers) and rebuilds the index and stored hashes from
    /// the signed entries. It signs nothing. A log whose checkpoint does
    /// not verify with `log.vkey`, that has fewer complete entries than
    /// the checkpoint signs, or whose entries do not hash to its root is
    /// tampered: [`LogError::Tampered`], and nothing is changed.
    pub fn repair(&self) -> Result<Repaired, LogError> {
        let lock_path = self.path("lock");
        let lock = OpenOptions::new()
            .write(true)
            .open(&lock_path)
            .map_err(io(&lock_path))?;
        lock.lock().map_err(io(&lock_path))?;
        let cp = self.checkpoint().map_err(|e| LogError::Tampered {
            problem: format!(
                "{e}; without a checkpoint that verifies with log.vkey nothing in the log can be trusted, so it is left as it is"
            ),
        })?;
        let dir_err = |e: std::io::Error| LogError::Io {
            path: self.dir.clone(),
            source: e,
        };
        let mut index = std::io::BufWriter::new(
            fsutil::tempfile_in(&self.dir, ".hwprov-index-").map_err(dir_err)?,
        );
        let mut hashes = std::io::BufWriter::new(
            fsutil::tempfile_in(&self.dir, ".hwprov-hashes-").map_err(dir_err)?,
        );
        let mut reader = EntryReader::open(&self.path("entries"))?;
        let mut frontier = merkle::Frontier::default();
        let mut keep = 0u64;
        while frontier.size() < cp.size {
            let Item::Entry(bytes) = reader.next()? else {
                return Err(LogError::Tampered {
                    problem: format!(
                        "the checkpoint signs {} entries but only {} complete entries exist: entries were removed after they were signed; the log is left as it is (restore it from a copy and investigate)",
                        cp.size,
                        frontier.size()
                    ),
                });
            };
            keep = reader.pos;
            index.write_all(&keep.to_be_bytes()).map_err(dir_err)?;
            for h in frontier.push(merkle::leaf_hash(&bytes)) {
                hashes.write_all(&h).map_err(dir_err)?;
            }
        }
        if frontier.root() != cp.root {
            return Err(LogError::Tampered {
                problem: format!(
                    "the first {} entries do not hash to the root the checkpoint signs: an entry was altered after it was signed; the log is left as it is (restore it from a copy and investigate)",
                    cp.size
                ),
            });
        }
        // What follows the signed entries: complete entries no signature
        // covers, then torn bytes. Counted for the report, then removed.
        let mut unsigned = 0u64;
        while let Item::Entry(_) = reader.next()? {
            unsigned += 1;
        }
        let removed_bytes = reader.len - keep;
        for (w, name) in [(index, "index"), (hashes, "hashes")] {
            let tmp = w.into_inner().map_err(|e| dir_err(e.into_error()))?;
            tmp.as_file().sync_all().map_err(dir_err)?;
            tmp.persist(self.path(name)).map_err(|e| dir_err(e.error))?;
        }
        let p = self.path("entries");
        let f = OpenOptions::new().write(true).open(&p).map_err(io(&p))?;
        f.set_len(keep).map_err(io(&p))?;
        f.sync_all().map_err(io(&p))?;
        fsutil::sync_parent(&p).map_err(io(&p))?;
        drop(lock);
        Ok(Repaired {
            kept: cp.size,
            unsigned_entries: unsigned,
            removed_bytes,
        })
    }
}

/// What [`Log::repair`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repaired {
    /// Entries kept: exactly those the checkpoint signs.
    pub kept: u64,
    /// Complete entries after them that no signature covered, removed.
    pub unsigned_entries: u64,
    /// Bytes removed from the entries file (those entries and a torn tail).
    pub removed_bytes: u64,
}

/// One step of reading the entries file.
enum Item {
    /// A complete entry's bytes.
    Entry(Vec<u8>),
    /// The end of the file, after a complete entry (or at 0).
    End,
    /// Bytes that do not form a complete entry up to the end: how many.
    Torn(u64),
}

/// The entries file read as a stream of CBOR byte strings, each at most
/// [`MAX_ENTRY_BYTES`], with shortest heads.
struct EntryReader {
    r: std::io::BufReader<File>,
    /// Offset of the next item.
    pos: u64,
    /// The file's length when opened.
    len: u64,
}

/// A log file opened for one sequential pass: a buffered reader and the
/// file's length when opened.
fn open_sequential(path: &Path) -> Result<(std::io::BufReader<File>, u64), LogError> {
    let f = File::open(path).map_err(io(path))?;
    let len = f.metadata().map_err(io(path))?.len();
    Ok((std::io::BufReader::with_capacity(1 << 16, f), len))
}

impl EntryReader {
    fn open(path: &Path) -> Result<EntryReader, LogError> {
        let (r, len) = open_sequential(path)?;
        Ok(EntryReader { r, pos: 0, len })
    }

    fn next(&mut self) -> Result<Item, LogError> {
        let left = self.len - self.pos;
        if left == 0 {
            return Ok(Item::End);
        }
        let torn = Ok(Item::Torn(left));
        let mut first = [0u8; 1];
        if self.r.read_exact(&mut first).is_err() {
            return torn;
        }
        let (major, low) = (first[0] >> 5, first[0] & 0x1f);
        let extra = match low {
            0..=23 => 0,
            24 => 1,
            25 => 2,
            26 => 4,
            27 => 8,
            _ => return torn,
        };
        if major != 2 {
            return torn;
        }
        let mut arg = [0u8; 8];
        if self.r.read_exact(&mut arg[8 - extra..]).is_err() {
            return torn;
        }
        let len = if extra == 0 {
            u64::from(low)
        } else {
            u64::from_be_bytes(arg)
        };
        let head = 1 + extra as u64;
        if cbor::head_len(len) as u64 != head || len > MAX_ENTRY_BYTES as u64 || head + len > left {
            return torn;
        }
        let mut bytes = vec![0u8; len as usize];
        if self.r.read_exact(&mut bytes).is_err() {
            return torn;
        }
        self.pos += head + len;
        Ok(Item::Entry(bytes))
    }
}

/// A derived file (index or stored hashes) compared, as it is read, with
/// what the entries say it must hold.
struct DerivedReader {
    r: std::io::BufReader<File>,
    len: u64,
    read: u64,
    ok: bool,
}

impl DerivedReader {
    fn open(path: &Path) -> Result<DerivedReader, LogError> {
        let (r, len) = open_sequential(path)?;
        Ok(DerivedReader {
            r,
            len,
            read: 0,
            ok: true,
        })
    }

    /// The next bytes must be `want`.
    fn expect(&mut self, want: &[u8]) -> Result<(), LogError> {
        if !self.ok {
            return Ok(());
        }
        let mut buf = [0u8; 32];
        let buf = &mut buf[..want.len()];
        if self.r.read_exact(buf).is_err() || buf != want {
            self.ok = false;
        }
        self.read += want.len() as u64;
        Ok(())
    }

    /// Whether everything read matched and nothing follows.
    fn matched_exactly(&self) -> bool {
        self.ok && self.read == self.len
    }
}

/// Most problems listed one by one; the rest are counted.
const MAX_LISTED_PROBLEMS: usize = 1_000;
/// Entries decoded together (in parallel) by [`EntryChecks`].
const BATCH: usize = 4_096;
/// Object digests remembered as already checked; the set is emptied when
/// full, so memory stays bounded (an object is then at worst read again).
const MAX_REMEMBERED_OBJECTS: usize = 65_536;

/// Decodes entries in parallel batches and checks each one's index and
/// the objects it names, in bounded memory.
struct EntryChecks<'a> {
    log: &'a Log,
    batch: Vec<(u64, Vec<u8>)>,
    checked: std::collections::HashSet<Sha256>,
    problems: Vec<String>,
    not_listed: u64,
}

impl<'a> EntryChecks<'a> {
    fn new(log: &'a Log) -> EntryChecks<'a> {
        EntryChecks {
            log,
            batch: Vec::with_capacity(BATCH),
            checked: std::collections::HashSet::new(),
            problems: Vec::new(),
            not_listed: 0,
        }
    }

    fn problem(&mut self, p: String) {
        if self.problems.len() < MAX_LISTED_PROBLEMS {
            self.problems.push(p);
        } else {
            self.not_listed += 1;
        }
    }

    fn add(&mut self, i: u64, bytes: Vec<u8>) {
        self.batch.push((i, bytes));
        if self.batch.len() == BATCH {
            self.flush();
        }
    }

    fn flush(&mut self) {
        use rayon::prelude::*;
        let batch = std::mem::take(&mut self.batch);
        let decoded: Vec<(u64, Result<Entry, String>)> = batch
            .par_iter()
            .map(|(i, b)| (*i, Entry::decode(b)))
            .collect();
        for (i, d) in decoded {
            match d {
                Err(e) => self.problem(format!("entry {i}: {e}")),
                Ok(e) => {
                    if e.index != i {
                        self.problem(format!("entry {i} says it is entry {}", e.index));
                    }
                    for (name, d) in &e.inputs {
                        if name == "image" || self.checked.contains(d) {
                            continue; // images are recorded by digest only
                        }
                        if self.checked.len() >= MAX_REMEMBERED_OBJECTS {
                            self.checked.clear();
                        }
                        self.checked.insert(*d);
                        if let Err(err) = self.log.object(d) {
                            self.problem(format!("entry {i} input {name}: {err}"));
                        }
                    }
                }
            }
        }
        self.batch = batch;
        self.batch.clear();
    }

    fn finish(mut self) -> Vec<String> {
        self.flush();
        if self.not_listed > 0 {
            self.problems
                .push(format!("... and {} more entry problem(s)", self.not_listed));
        }
        self.problems
    }
}
