//! The units of a shipment: the walk that finds them and the compact list
//! of their paths.

use super::VetError;
use crate::fsutil;
use std::path::{Path, PathBuf};

/// Paths in two buffers: each directory once, and each file name with the
/// directory it is in. A million units' paths cost their names' bytes and
/// 12 bytes each, not an allocation each (nor their directory's bytes
/// each).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PathList {
    /// Directory prefixes (up to and including the last `/`), each once
    /// per run of paths in it.
    #[cfg(unix)]
    dirs: Vec<u8>,
    #[cfg(unix)]
    dir_ends: Vec<usize>,
    /// File names (what follows the last `/`).
    #[cfg(unix)]
    names: Vec<u8>,
    /// Per path: the end of its name in `names`.
    #[cfg(unix)]
    name_ends: Vec<u64>,
    /// Per path: its directory (a position in `dir_ends`).
    #[cfg(unix)]
    dir_of: Vec<u32>,
    #[cfg(not(unix))]
    paths: Vec<PathBuf>,
    /// One bit per path: whether the walk listed it as a regular file (not
    /// a symbolic link), so it can be read with one path lookup.
    walked_files: Vec<u64>,
}

impl PathList {
    /// Adds a path at the end, listed by a directory walk as a regular file
    /// (not a symbolic link).
    pub fn push_walked_file(&mut self, p: &Path) {
        let i = self.len();
        self.push(p);
        if let Some(w) = self.walked_files.get_mut(i / 64) {
            *w |= 1 << (i % 64);
        }
    }

    /// Whether the path at position `i` was listed by a directory walk as
    /// a regular file.
    fn walked_file(&self, i: usize) -> bool {
        self.walked_files
            .get(i / 64)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    /// Reads the unit at position `i` (its `path`), a regular file only:
    /// with one path lookup if the walk listed it as one.
    /// Reads unit `i` ahead of a worker (see [`fsutil::warm_up`]).
    pub(super) fn warm_up(
        &self,
        i: usize,
        path: &Path,
        limit: usize,
        buf: &mut Vec<u8>,
    ) -> fsutil::Warmth {
        if self.walked_file(i) {
            fsutil::warm_up(path, limit, buf)
        } else {
            let _ = fsutil::read_bounded_regular(path, limit);
            fsutil::Warmth::Unknown
        }
    }

    pub(super) fn read(
        &self,
        i: usize,
        path: &Path,
        limit: usize,
    ) -> Result<Vec<u8>, fsutil::FileError> {
        if self.walked_file(i) {
            fsutil::read_walked_regular(path, limit)
        } else {
            fsutil::read_bounded_regular(path, limit)
        }
    }

    #[cfg(unix)]
    fn dir(&self, d: usize) -> Option<&[u8]> {
        let end = *self.dir_ends.get(d)?;
        let start = if d == 0 {
            0
        } else {
            *self.dir_ends.get(d - 1)?
        };
        self.dirs.get(start..end)
    }

    /// Adds a path at the end.
    pub fn push(&mut self, p: &Path) {
        if self.len().is_multiple_of(64) {
            self.walked_files.push(0);
        }
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt as _;
            let bytes = p.as_os_str().as_bytes();
            let cut = bytes.iter().rposition(|b| *b == b'/').map_or(0, |i| i + 1);
            let (dir, name) = bytes.split_at(cut);
            let last = self.dir_ends.len().checked_sub(1);
            let d = match last {
                Some(d) if self.dir(d) == Some(dir) => d,
                _ => {
                    self.dirs.extend_from_slice(dir);
                    self.dir_ends.push(self.dirs.len());
                    self.dir_ends.len() - 1
                }
            };
            self.names.extend_from_slice(name);
            self.name_ends.push(self.names.len() as u64);
            // Fewer directories than paths, and far fewer than 2^32 fit in
            // memory.
            self.dir_of.push(u32::try_from(d).unwrap_or(u32::MAX));
        }
        #[cfg(not(unix))]
        self.paths.push(p.to_owned());
    }

    /// The path at position `i`.
    pub fn get(&self, i: usize) -> Option<PathBuf> {
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt as _;
            let (end, d) = (*self.name_ends.get(i)?, *self.dir_of.get(i)?);
            let start = if i == 0 {
                0
            } else {
                *self.name_ends.get(i - 1)?
            };
            let name = self
                .names
                .get(usize::try_from(start).ok()?..usize::try_from(end).ok()?)?;
            let dir = self.dir(d as usize)?;
            let mut joined = Vec::with_capacity(dir.len() + name.len());
            joined.extend_from_slice(dir);
            joined.extend_from_slice(name);
            Some(PathBuf::from(std::ffi::OsStr::from_bytes(&joined)))
        }
        #[cfg(not(unix))]
        self.paths.get(i).cloned()
    }

    /// How many paths.
    pub fn len(&self) -> usize {
        #[cfg(unix)]
        return self.name_ends.len();
        #[cfg(not(unix))]
        self.paths.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The paths in order.
    pub fn iter(&self) -> impl Iterator<Item = PathBuf> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }
}

impl<P: AsRef<Path>> FromIterator<P> for PathList {
    fn from_iter<I: IntoIterator<Item = P>>(it: I) -> Self {
        let mut l = PathList::default();
        for p in it {
            l.push(p.as_ref());
        }
        l
    }
}

/// The bundle files of a shipment, and what was passed over.
#[derive(Debug, Default)]
pub struct Collected {
    /// Bundle files, in walk order.
    pub units: PathList,
    /// Files and directories passed over (not `*.cbor`/`*.cose`, or
    /// hidden), each once; a hidden directory counts as one.
    pub skipped: Vec<PathBuf>,
}

fn walk(dir: &Path, out: &mut Collected) -> Result<(), VetError> {
    let err = |e: std::io::Error| VetError::Path {
        path: dir.to_owned(),
        problem: e.to_string(),
    };
    let mut entries: Vec<std::fs::DirEntry> = std::fs::read_dir(dir)
        .map_err(err)?
        .collect::<Result<_, _>>()
        .map_err(err)?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name();
        let p = e.path();
        if name.to_string_lossy().starts_with('.') {
            out.skipped.push(p);
            continue;
        }
        let ft = e.file_type().map_err(err)?;
        if ft.is_dir() {
            walk(&p, out)?;
        } else if matches!(
            p.extension().and_then(|x| x.to_str()),
            Some("cbor" | "cose")
        ) {
            // Whatever it is (a file, a symlink, a pipe), it is a unit;
            // `verify_file` refuses anything but a regular file.
            if ft.is_file() {
                out.units.push_walked_file(&p);
            } else {
                out.units.push(&p);
            }
        } else if ft.is_symlink() && std::fs::metadata(&p).is_ok_and(|m| m.is_dir()) {
            // Not followed (no cycles, no walking out of the shipment), and
            // not silently skipped either: the units behind it would be lost.
            return Err(VetError::Path {
                path: p,
                problem: "is a symbolic link to a directory, which vet does not follow; \
                          give its target as a path instead"
                    .into(),
            });
        } else {
            out.skipped.push(p);
        }
    }
    Ok(())
}

/// The bundle files under `paths`: files as given, directories recursively
/// (`*.cbor` and `*.cose`, each directory in name order), and the entries
/// passed over (hidden, or another extension), which callers report: none
/// is skipped in silence (SPEC 9). A symbolic link to a directory found
/// while walking is an error rather than followed or skipped.
pub fn collect(paths: &[PathBuf]) -> Result<Collected, VetError> {
    let mut out = Collected::default();
    for p in paths {
        let meta = std::fs::symlink_metadata(p).map_err(|e| VetError::Path {
            path: p.clone(),
            problem: e.to_string(),
        })?;
        if meta.is_dir() {
            walk(p, &mut out)?;
        } else {
            out.units.push(p);
        }
    }
    if out.units.is_empty() {
        return Err(VetError::NoUnits {
            skipped: out.skipped.len(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_list_gives_back_every_path_byte_for_byte() {
        let mut paths: Vec<PathBuf> = [
            "a.cbor",
            "/s/batch-0000/unit-1.cbor",
            "/s/batch-0000/unit-2.cbor",
            "/s/batch-0001/unit-3.cbor",
            "/s/batch-0000/unit-4.cbor",
            "dir/",
            "/",
            "",
            "../x.cbor",
            "./x.cbor",
            "//double//slash.cbor",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt as _;
            paths.push(PathBuf::from(std::ffi::OsStr::from_bytes(
                b"/s/\xff\xfe.cbor",
            )));
        }
        let mut list = PathList::default();
        for (i, p) in paths.iter().enumerate() {
            if i % 2 == 0 {
                list.push_walked_file(p);
            } else {
                list.push(p);
            }
        }
        assert_eq!(list.len(), paths.len());
        assert_eq!(list.iter().collect::<Vec<_>>(), paths);
        for i in 0..paths.len() {
            assert_eq!(list.walked_file(i), i % 2 == 0, "{i}");
        }
        assert_eq!(list.get(paths.len()), None);
        assert!(!list.walked_file(paths.len()));
        // Consecutive paths in one directory keep it once.
        #[cfg(unix)]
        assert_eq!(list.dir_ends.len(), paths.len() - 1);
    }
}
