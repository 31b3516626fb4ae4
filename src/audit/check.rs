//! Checking a whole log (`log verify`) and repairing a torn tail
//! (`log verify --repair`), streaming the entries file: memory does not
//! grow with the number of entries.

use crate::audit::log::{Log, LogError, MAX_ENTRY_BYTES, io};
use crate::fsutil;
use crate::report::entry::{Entry, EntryError, Input};
use crate::wire::cbor::{self};
use crate::wire::digest::Sha256;
use crate::wire::tlog::merkle::{self, Hash};
use crate::wire::tlog::note::Checkpoint;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::Path;

impl Log {
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
        self.verify_since(None)
    }

    /// [`Log::verify`], and with `since` (a checkpoint saved earlier,
    /// SPEC 10.1) also that the log is an append-only extension of it: the
    /// entries reach its size and hash to its root there, and an RFC 9162
    /// consistency proof links its root to the current checkpoint's.
    pub fn verify_since(&self, since: Option<&Checkpoint>) -> Result<(u64, Vec<String>), LogError> {
        let mut problems = Vec::new();
        let mut since_seen = since.is_some_and(|s| s.size == 0);
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
        let objects = self.path("objects");
        let mut entries = EntryChecks::new(&objects);
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
                    if let Some(s) = since
                        && s.size == frontier.size()
                    {
                        since_seen = true;
                        if frontier.root() != s.root {
                            problems.push(format!(
                                "the log is not an extension of the saved checkpoint: its first {} entries hash to another root than the one the saved checkpoint signs (a forked or rewritten log)",
                                s.size
                            ));
                        }
                    }
                    entries.add(frontier.size() - 1, bytes);
                }
                Item::End => break 0,
                Item::Torn(bytes) => break bytes,
            }
        };
        let n = frontier.size();
        if let Some(s) = since {
            if !since_seen {
                problems.push(format!(
                    "the log has {n} complete entries, fewer than the {} of the saved checkpoint: entries were removed since it was saved (a shorter or forked log)",
                    s.size
                ));
            } else if let Ok(c) = &cp
                && s.size > 0
                && s.size <= c.size
                && c.size <= n
            {
                let proved = merkle::consistency_proof(s.size, c.size, |i| self.stored(i))
                    .ok()
                    .is_some_and(|proof| {
                        merkle::verify_consistency(s.size, c.size, &proof, &s.root, &c.root).is_ok()
                    });
                if !proved {
                    problems.push(format!(
                        "no consistency proof links the saved checkpoint (size {}) to the current one (size {}) from the stored hashes",
                        s.size, c.size
                    ));
                }
            } else if let Ok(c) = &cp
                && s.size > c.size
            {
                problems.push(format!(
                    "the current checkpoint signs {} entries, fewer than the {} of the saved checkpoint: the log was rolled back",
                    c.size, s.size
                ));
            }
        }
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
pub(crate) enum Item {
    /// A complete entry's bytes.
    Entry(Vec<u8>),
    /// The end of the file, after a complete entry (or at 0).
    End,
    /// Bytes that do not form a complete entry up to the end: how many.
    Torn(u64),
}

/// The entries file read as a stream of CBOR byte strings, each at most
/// [`MAX_ENTRY_BYTES`], with shortest heads.
pub(crate) struct EntryReader {
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
        EntryReader::open_at(path, 0)
    }

    /// Reads from `offset` (where an entry starts) on.
    pub(crate) fn open_at(path: &Path, offset: u64) -> Result<EntryReader, LogError> {
        let (mut r, len) = open_sequential(path)?;
        if offset > len {
            return Err(LogError::Inconsistent {
                problem: format!("{}: shorter than its index says", path.display()),
            });
        }
        std::io::Seek::seek(&mut r, std::io::SeekFrom::Start(offset)).map_err(io(path))?;
        Ok(EntryReader {
            r,
            pos: offset,
            len,
        })
    }

    pub(crate) fn next(&mut self) -> Result<Item, LogError> {
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
pub(crate) struct EntryChecks<'a> {
    objects: &'a Path,
    batch: Vec<(u64, Vec<u8>)>,
    checked: std::collections::HashSet<Sha256>,
    problems: Vec<String>,
    not_listed: u64,
}

impl<'a> EntryChecks<'a> {
    /// Checks entries whose objects are under `objects`.
    pub(crate) fn new(objects: &'a Path) -> EntryChecks<'a> {
        EntryChecks {
            objects,
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

    pub(crate) fn add(&mut self, i: u64, bytes: Vec<u8>) {
        self.batch.push((i, bytes));
        if self.batch.len() == BATCH {
            self.flush();
        }
    }

    fn flush(&mut self) {
        use rayon::prelude::*;
        let batch = std::mem::take(&mut self.batch);
        let decoded: Vec<(u64, Result<Entry, EntryError>)> = batch
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
                        if *name == Input::Image || self.checked.contains(d) {
                            continue; // images are recorded by digest only
                        }
                        if self.checked.len() >= MAX_REMEMBERED_OBJECTS {
                            self.checked.clear();
                        }
                        self.checked.insert(*d);
                        if let Err(err) = crate::audit::log::object_at(self.objects, d) {
                            self.problem(format!("entry {i} input {name}: {err}"));
                        }
                    }
                }
            }
        }
        self.batch = batch;
        self.batch.clear();
    }

    pub(crate) fn finish(mut self) -> Vec<String> {
        self.flush();
        if self.not_listed > 0 {
            self.problems
                .push(format!("... and {} more entry problem(s)", self.not_listed));
        }
        self.problems
    }
}
