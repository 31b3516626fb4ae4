//! Publishing a log as a C2SP `tlog-tiles` tree (SPEC 10.3), and auditing a
//! published tree from its files alone.
//!
//! `OUT` gets `checkpoint` (the log's signed note, with any witness
//! cosignatures), `log.vkey`, hash tiles `tile/<L>/<N>[.p/<W>]`, entry
//! bundles `tile/entries/<N>[.p/<W>]` (each entry prefixed by its
//! big-endian uint16 length) and `objects/<sha256 hex>`.
//!
//! A publish writes only the tiles the new entries touch (the partial tile
//! of each level is rewritten under its new width; the files the published
//! checkpoint needs are never rewritten), the new objects, then checks that
//! the tiles give the signed root, and only then replaces the checkpoint.
//! A crash leaves the old checkpoint, and every file it needs, as they were.
//! `OUT/.lock` serialises publish and cosign (a static server may skip
//! it: it holds nothing).

use crate::audit::check::{EntryChecks, EntryReader, Item};
use crate::audit::log::{Log, LogError, MAX_NOTE_BYTES, io, read_log_text};
use crate::fsutil;
use crate::wire::tlog::merkle::{self, Hash};
use crate::wire::tlog::note::{Checkpoint, Note, Verifier};
use crate::wire::tlog::policy::TlogPolicy;
use crate::wire::tlog::proof::TlogProof;
use crate::wire::tlog::tiles::{self, HASH_BYTES, WIDTH};
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

/// What a publish did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// The tree size OUT had before (0 if new).
    pub old_size: u64,
    /// The tree size OUT has now.
    pub size: u64,
    /// Files written (tiles, entry bundles, objects, checkpoint).
    pub files: u64,
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), LogError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    fsutil::write_atomic(path, bytes, 0o644).map_err(crate::audit::log::file_err)
}

/// Takes OUT's lock (created if absent) until the returned file is dropped.
pub(crate) fn lock(out: &Path) -> Result<File, LogError> {
    std::fs::create_dir_all(out).map_err(io(out))?;
    let p = out.join(".lock");
    let f = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&p)
        .map_err(io(&p))?;
    f.lock().map_err(io(&p))?;
    Ok(f)
}

/// What OUT's published checkpoint signs (by `verifier`), if OUT has one.
pub(crate) fn published_checkpoint(
    out: &Path,
    verifier: &Verifier,
) -> Result<Option<Checkpoint>, LogError> {
    let p = out.join("checkpoint");
    if !p.exists() {
        return Ok(None);
    }
    let note = read_log_text(&p, MAX_NOTE_BYTES)?;
    let cp = open_checkpoint(&note, verifier).map_err(|problem| LogError::Tampered {
        problem: format!("{}: {problem}", p.display()),
    })?;
    Ok(Some(cp))
}

/// The checkpoint a signed note holds, if `verifier` signed it (and no
/// line by it fails) and its origin is the verifier's name; else the
/// problem, readable.
pub fn open_checkpoint(note: &str, verifier: &Verifier) -> Result<Checkpoint, String> {
    open_note(note, verifier).map(|(_, cp)| cp)
}

/// [`open_checkpoint`], with the parsed note (its text and signature lines).
pub(crate) fn open_note<'a>(
    note: &'a str,
    verifier: &Verifier,
) -> Result<(Note<'a>, Checkpoint), String> {
    let n = Note::parse(note).map_err(|e| e.to_string())?;
    n.verify(verifier).map_err(|e| e.to_string())?;
    let cp = Checkpoint::parse(n.text).map_err(|e| e.to_string())?;
    if cp.origin != verifier.name {
        return Err(format!(
            "checkpoint of origin '{}', the key is for '{}'",
            crate::text::Escaped(&cp.origin),
            crate::text::Escaped(&verifier.name)
        ));
    }
    if cp.size == 0 && cp.root != merkle::empty_root() {
        return Err("a checkpoint of size 0 must have the empty tree's root".into());
    }
    Ok((n, cp))
}

/// Publishes `log` under `out` (created if absent).
pub fn publish(log: &Log, out: &Path) -> Result<Published, LogError> {
    let _lock = lock(out)?;
    let note = read_log_text(&log.path("checkpoint"), MAX_NOTE_BYTES)?;
    let cp = log.checkpoint()?;
    let size = cp.size;
    let verifier = log.verifier();
    let vkey = format!("{}\n", verifier.to_vkey());
    let vkey_path = out.join("log.vkey");
    let mut files = 0u64;
    let old_size = match published_checkpoint(out, verifier)? {
        None => 0,
        Some(old) => {
            if old.size > size {
                return Err(LogError::Tampered {
                    problem: format!(
                        "{} is at tree size {}, the log at {size}: the log lost entries, or OUT belongs to another copy of it",
                        out.join("checkpoint").display(),
                        old.size
                    ),
                });
            }
            if old.size > 0 && log.root(old.size)? != old.root {
                return Err(LogError::Tampered {
                    problem: format!(
                        "the log's tree of {} entries is not the one {} signs: the log was forked or rewritten",
                        old.size,
                        out.join("checkpoint").display()
                    ),
                });
            }
            if old.size == size {
                // Nothing new. The published note may carry cosignatures:
                // it stays as it is.
                return Ok(Published {
                    old_size: size,
                    size,
                    files: 0,
                });
            }
            old.size
        }
    };
    match std::fs::read(&vkey_path) {
        Ok(b) if b == vkey.as_bytes() => {}
        Ok(_) => {
            return Err(LogError::Tampered {
                problem: format!("{} names another key than the log's", vkey_path.display()),
            });
        }
        Err(_) => {
            write(&vkey_path, vkey.as_bytes())?;
            files += 1;
        }
    }
    files += write_tiles(log, out, old_size, size)?;
    // The tiles must give the signed root before the checkpoint says so.
    let mut reader = TileReader::new(out, size);
    let root = merkle::tree_hash_nodes(size, |l, n| {
        tiles::node_from_tiles(l, n, &mut |tl, i| reader.hash(tl, i))
    })
    .map_err(|p| LogError::Inconsistent { problem: p.0 })?;
    if root != cp.root {
        return Err(LogError::Inconsistent {
            problem: format!(
                "the tiles written from the log do not give the root its checkpoint signs: the log's files are damaged (run `hwprov log verify {}`); {} keeps its old checkpoint",
                log.dir.display(),
                out.join("checkpoint").display()
            ),
        });
    }
    write(&out.join("checkpoint"), note.as_bytes())?;
    files += 1;
    Ok(Published {
        old_size,
        size,
        files,
    })
}

/// Writes the tiles and entry bundles for entries `[old, new)` (and the
/// partial tiles they complete or extend), and the objects the new entries
/// name. Returns the number of files written.
fn write_tiles(log: &Log, out: &Path, old: u64, new: u64) -> Result<u64, LogError> {
    let mut files = 0u64;
    // Entries from the start of the level-0 tile holding entry `old`.
    let start = old - old % WIDTH;
    let offset = if start == 0 {
        0
    } else {
        log.end_offset(start - 1)?
    };
    let entries_path = log.path("entries");
    let mut r = EntryReader::open_at(&entries_path, offset)?;
    // Per level: the hashes of the tile being filled.
    let top = tiles::levels(new) as usize;
    let mut pending: Vec<Vec<Hash>> = vec![Vec::new(); top.max(1)];
    // Levels >= 1 start with the hashes before `old` in their tile, from
    // the log's stored hashes (at most 255 a level).
    for (l, p) in pending.iter_mut().enumerate().skip(1) {
        let count = tiles::level_count(old, l as u8);
        for i in count - count % WIDTH..count {
            p.push(log.stored(merkle::stored_hash_index(8 * l as u32, i))?);
        }
    }
    let mut bundle: Vec<u8> = Vec::new();
    let mut copied = std::collections::HashSet::new();
    for i in start..new {
        let Item::Entry(bytes) = r.next()? else {
            return Err(LogError::Inconsistent {
                problem: format!(
                    "{}: entry {i} is missing or torn (run `hwprov log verify {}`)",
                    entries_path.display(),
                    log.dir.display()
                ),
            });
        };
        if i >= old {
            files += copy_objects(log, out, i, &bytes, &mut copied)?;
        }
        let len = u16::try_from(bytes.len()).map_err(|_| LogError::Inconsistent {
            problem: format!("entry {i} is longer than a tile entry (65,535 bytes)"),
        })?;
        bundle.extend_from_slice(&len.to_be_bytes());
        bundle.extend_from_slice(&bytes);
        pending[0].push(merkle::leaf_hash(&bytes));
        if pending[0].len() as u64 == WIDTH {
            files += flush_full(out, &mut pending, &mut bundle, i / WIDTH)?;
        }
    }
    // The partial tiles of the new size.
    if !pending[0].is_empty() {
        let n = tiles::level_count(new, 0) / WIDTH;
        let w = pending[0].len() as u64;
        write(&out.join(tiles::path(None, n, w)), &bundle)?;
        files += 1;
    }
    for (l, p) in pending.iter().enumerate() {
        if p.is_empty() {
            continue;
        }
        let n = tiles::level_count(new, l as u8) / WIDTH;
        write(
            &out.join(tiles::path(Some(l as u8), n, p.len() as u64)),
            &p.concat(),
        )?;
        files += 1;
    }
    Ok(files)
}

/// Writes the full level-0 tile `n` (and its entry bundle), then every
/// tile above it that this completes.
fn flush_full(
    out: &Path,
    pending: &mut Vec<Vec<Hash>>,
    bundle: &mut Vec<u8>,
    n: u64,
) -> Result<u64, LogError> {
    write(&out.join(tiles::path(None, n, WIDTH)), bundle)?;
    bundle.clear();
    let mut files = 1;
    let mut l = 0usize;
    let mut index = n;
    while pending[l].len() as u64 == WIDTH {
        let hashes = std::mem::take(&mut pending[l]);
        write(
            &out.join(tiles::path(Some(l as u8), index, WIDTH)),
            &hashes.concat(),
        )?;
        files += 1;
        let up = tiles::fold(&hashes);
        if pending.len() == l + 1 {
            pending.push(Vec::new());
        }
        pending[l + 1].push(up);
        l += 1;
        index /= WIDTH;
    }
    Ok(files)
}

/// Copies the objects an entry names from the log into OUT (each once).
fn copy_objects(
    log: &Log,
    out: &Path,
    index: u64,
    entry: &[u8],
    copied: &mut std::collections::HashSet<crate::Sha256>,
) -> Result<u64, LogError> {
    let damaged = |what: String| LogError::Inconsistent {
        problem: format!(
            "entry {index}: {what} (run `hwprov log verify {}`)",
            log.dir.display()
        ),
    };
    let e = crate::report::entry::Entry::decode(entry).map_err(|e| damaged(e.to_string()))?;
    if e.index != index {
        return Err(damaged(format!("it says it is entry {}", e.index)));
    }
    let mut files = 0;
    for (name, d) in &e.inputs {
        if *name == crate::report::entry::Input::Image || !copied.insert(*d) {
            continue;
        }
        if copied.len() > 65_536 {
            copied.clear();
        }
        let p = out.join("objects").join(d.hex());
        if p.exists() {
            continue;
        }
        write(&p, &log.object(d)?)?;
        files += 1;
    }
    Ok(files)
}

/// A tile that is missing or malformed, or a proof that cannot be made
/// from the tiles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TileProblem(pub String);

impl From<merkle::ProofError> for TileProblem {
    fn from(e: merkle::ProofError) -> Self {
        TileProblem(e.to_string())
    }
}

impl std::fmt::Display for TileProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Reads tile hashes from OUT, a tile at a time, for a tree of `size`.
pub(crate) struct TileReader {
    out: PathBuf,
    size: u64,
    cache: HashMap<(u8, u64), Vec<u8>>,
}

impl TileReader {
    pub(crate) fn new(out: &Path, size: u64) -> TileReader {
        TileReader {
            out: out.to_owned(),
            size,
            cache: HashMap::new(),
        }
    }

    /// Hash `i` of tile level `l`; the tile's file must have exactly the
    /// width the tree's size gives it.
    pub(crate) fn hash(&mut self, l: u8, i: u64) -> Result<Hash, TileProblem> {
        let n = i / WIDTH;
        if !self.cache.contains_key(&(l, n)) {
            if self.cache.len() >= 64 {
                self.cache.clear();
            }
            let bytes = read_tile(&self.out, l, n, self.size).map_err(TileProblem)?;
            self.cache.insert((l, n), bytes);
        }
        let t = &self.cache[&(l, n)];
        let at = (i % WIDTH) as usize * HASH_BYTES;
        t.get(at..at + HASH_BYTES)
            .and_then(|h| h.try_into().ok())
            .ok_or_else(|| TileProblem(format!("tile {l}/{n} has no hash {}", i % WIDTH)))
    }
}

/// The width tile `n` of level `l` has in a tree of `size` (0: none).
fn width(size: u64, l: u8, n: u64) -> u64 {
    let count = tiles::level_count(size, l);
    if n < count / WIDTH {
        WIDTH
    } else if n == count / WIDTH {
        count % WIDTH
    } else {
        0
    }
}

fn read_tile(out: &Path, l: u8, n: u64, size: u64) -> Result<Vec<u8>, String> {
    let w = width(size, l, n);
    if w == 0 {
        return Err(format!("tile {l}/{n} is outside the tree of {size}"));
    }
    let p = out.join(tiles::path(Some(l), n, w));
    let bytes = fsutil::read_bounded(&p, w as usize * HASH_BYTES).map_err(|e| e.to_string())?;
    if bytes.len() != w as usize * HASH_BYTES {
        return Err(format!(
            "{}: {} bytes, {} expected",
            p.display(),
            bytes.len(),
            w as usize * HASH_BYTES
        ));
    }
    Ok(bytes)
}

/// What an audit of a published tree found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audited {
    /// The published checkpoint.
    pub checkpoint: Checkpoint,
    /// Witnesses (tlog-policy names) whose cosignatures verified, when a
    /// policy was given.
    pub cosigned: Vec<String>,
    /// Every problem found (empty: the tree verifies).
    pub problems: Vec<String>,
}

/// Audits a published tree from its files alone: the checkpoint is signed
/// by `verifier` (and, with `witnesses`, meets its quorum); every entry
/// bundle hashes to its level-0 tile, every full tile to its hash a level
/// up, the tiles to the signed root; every entry decodes, has its index
/// and names objects present in OUT/objects with their digest; and with
/// `since`, the tree extends that checkpoint. Streams: memory holds one
/// tile per level and one batch of entries.
pub fn audit(
    out: &Path,
    verifier: &Verifier,
    since: Option<&Checkpoint>,
    witnesses: Option<&TlogPolicy>,
    mut progress: impl FnMut(u64, u64),
) -> Result<Audited, LogError> {
    let p = out.join("checkpoint");
    let note = read_log_text(&p, MAX_NOTE_BYTES)?;
    let checkpoint = open_checkpoint(&note, verifier).map_err(|problem| LogError::Tampered {
        problem: format!("{}: {problem}", p.display()),
    })?;
    let size = checkpoint.size;
    let mut problems = Vec::new();
    let mut cosigned = Vec::new();
    if let Some(policy) = witnesses {
        match policy.verify_checkpoint(&note) {
            Ok(a) => cosigned = a.cosigned,
            Err(e) => problems.push(format!("{}: {e}", p.display())),
        }
    }
    let objects = out.join("objects");
    let mut checks = EntryChecks::new(&objects);
    // Per level >= 1: the tile being compared (index, bytes).
    let mut above: Vec<Option<(u64, Vec<u8>)>> = vec![None; 8];
    let tile_problem = |problems: &mut Vec<String>, s: String| {
        if problems.len() < 1_000 {
            problems.push(s);
        }
    };
    for (n, w) in tiles::tiles(size, 0) {
        progress(n * WIDTH, size);
        let bundle_path = out.join(tiles::path(None, n, w));
        let bundle = match fsutil::read_bounded(&bundle_path, w as usize * (2 + 65_535)) {
            Ok(b) => b,
            Err(e) => {
                tile_problem(&mut problems, e.to_string());
                continue;
            }
        };
        let hashes = match read_tile(out, 0, n, size) {
            Ok(h) => h,
            Err(e) => {
                tile_problem(&mut problems, e);
                continue;
            }
        };
        let mut rest = bundle.as_slice();
        let mut leaves = Vec::with_capacity(w as usize);
        for k in 0..w {
            let index = n * WIDTH + k;
            let Some((len, tail)) = rest.split_first_chunk::<2>() else {
                tile_problem(
                    &mut problems,
                    format!("{}: ends before entry {index}", bundle_path.display()),
                );
                break;
            };
            let len = u16::from_be_bytes(*len) as usize;
            let Some((entry, tail)) = (tail.len() >= len).then(|| tail.split_at(len)) else {
                tile_problem(
                    &mut problems,
                    format!("{}: entry {index} is cut short", bundle_path.display()),
                );
                break;
            };
            rest = tail;
            let leaf = merkle::leaf_hash(entry);
            if hashes[k as usize * HASH_BYTES..(k as usize + 1) * HASH_BYTES] != leaf {
                tile_problem(
                    &mut problems,
                    format!("entry {index} does not hash to its leaf in tile 0/{n}"),
                );
            }
            leaves.push(leaf);
            checks.add(index, entry.to_vec());
        }
        if !rest.is_empty() {
            tile_problem(
                &mut problems,
                format!("{}: bytes after its {w} entries", bundle_path.display()),
            );
        }
        if w < WIDTH {
            continue;
        }
        // A full tile: its root is hash n of level 1, and so on upwards.
        let mut h = fold_bytes(&hashes);
        let mut l = 1u8;
        let mut i = n;
        loop {
            let t = i / WIDTH;
            let slot = &mut above[l as usize];
            if slot.as_ref().is_none_or(|(at, _)| *at != t) {
                *slot = match read_tile(out, l, t, size) {
                    Ok(b) => Some((t, b)),
                    Err(e) => {
                        tile_problem(&mut problems, e);
                        None
                    }
                };
            }
            let Some((_, tile)) = slot.as_ref() else {
                break;
            };
            let at = (i % WIDTH) as usize * HASH_BYTES;
            if tile[at..at + HASH_BYTES] != h {
                tile_problem(
                    &mut problems,
                    format!(
                        "tile {}/{t} hash {} is not the root of the tile below it",
                        l,
                        i % WIDTH
                    ),
                );
            }
            if i % WIDTH != WIDTH - 1 || tile.len() != WIDTH as usize * HASH_BYTES {
                break;
            }
            h = fold_bytes(tile);
            l += 1;
            i = t;
        }
    }
    progress(size, size);
    problems.extend(checks.finish());
    let mut reader = TileReader::new(out, size);
    let mut root_of = |s: u64| {
        merkle::tree_hash_nodes(s, |l, n| {
            tiles::node_from_tiles(l, n, &mut |tl, i| reader.hash(tl, i))
        })
    };
    match root_of(size) {
        Ok(r) if r == checkpoint.root => {}
        Ok(_) => problems.push(format!(
            "the tiles do not give the root {} signs",
            p.display()
        )),
        Err(e) => problems.push(e.0),
    }
    if let Some(old) = since {
        if old.origin != checkpoint.origin {
            problems.push(format!(
                "the saved checkpoint is of origin '{}', this tree of '{}'",
                crate::text::Escaped(&old.origin),
                crate::text::Escaped(&checkpoint.origin)
            ));
        } else if old.size > size {
            problems.push(format!(
                "the saved checkpoint has {} entries, the published tree only {size}: entries were removed",
                old.size
            ));
        } else {
            match root_of(old.size) {
                Ok(r) if r == old.root => {}
                Ok(_) => problems.push(format!(
                    "the first {} entries are not those of the saved checkpoint: the log was rewritten or forked",
                    old.size
                )),
                Err(e) => problems.push(e.0),
            }
        }
    }
    Ok(Audited {
        checkpoint,
        cosigned,
        problems,
    })
}

/// The root of a full tile's 256 hashes, as stored.
fn fold_bytes(tile: &[u8]) -> Hash {
    let hashes: Vec<Hash> = tile
        .chunks_exact(HASH_BYTES)
        .map(|c| {
            let mut h = [0u8; 32];
            h.copy_from_slice(c);
            h
        })
        .collect();
    tiles::fold(&hashes)
}

/// A C2SP tlog-proof (SPEC 10.4) that entry `index` is in the log: the
/// entry's bytes as `extra`, the inclusion path, and the signed checkpoint
/// `note` (default: the log's own; give the published one to carry its
/// witnesses' cosignatures). The checkpoint must be signed by the log and
/// sign the log's own tree of its size.
pub fn tlog_proof(log: &Log, index: u64, note: Option<&str>) -> Result<TlogProof, LogError> {
    let own;
    let note = match note {
        Some(n) => n,
        None => {
            own = read_log_text(&log.path("checkpoint"), MAX_NOTE_BYTES)?;
            &own
        }
    };
    let cp = open_checkpoint(note, log.verifier()).map_err(|problem| LogError::OutOfRange {
        problem: format!("--checkpoint: {problem}"),
    })?;
    let size = log.size()?;
    if cp.size > size {
        return Err(LogError::OutOfRange {
            problem: format!(
                "--checkpoint is of a tree of {} entries, the log has {size}",
                cp.size
            ),
        });
    }
    let (_, root, path) = log.prove(index, cp.size)?;
    if root != cp.root {
        return Err(LogError::Tampered {
            problem: format!(
                "the log's tree of {} entries is not the one the checkpoint signs",
                cp.size
            ),
        });
    }
    Ok(TlogProof {
        extra: Some(log.entry_bytes(index)?),
        index,
        path,
        checkpoint: note.to_owned(),
    })
}
