//! File helpers: bounded reads and atomic writes.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// A file could not be read or written.
#[derive(Debug)]
#[non_exhaustive]
pub enum FileError {
    /// The operating system refused.
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: io::Error,
    },
    /// The file is larger than the limit for its kind.
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The limit in bytes.
        limit: usize,
    },
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            FileError::TooLarge { path, limit } => write!(
                f,
                "{}: file is larger than the limit of {limit} bytes",
                path.display()
            ),
        }
    }
}

impl std::error::Error for FileError {}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> FileError + '_ {
    move |source| FileError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Reads a whole file, refusing more than `limit` bytes without reading them
/// into memory. `-` reads standard input.
pub fn read_bounded(path: &Path, limit: usize) -> Result<Vec<u8>, FileError> {
    if path == Path::new("-") {
        let mut buf = Vec::new();
        io::stdin()
            .lock()
            .take(u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1))
            .read_to_end(&mut buf)
            .map_err(io_err(path))?;
        if buf.len() > limit {
            return Err(too_large(path, limit));
        }
        return Ok(buf);
    }
    let f = File::open(path).map_err(io_err(path))?;
    let meta = f.metadata().ok();
    if let Some(m) = meta.as_ref().filter(|m| m.is_dir()) {
        return Err(not_a_file(path, m));
    }
    read_open(f, meta.map(|m| m.len()), path, limit)
}

fn too_large(path: &Path, limit: usize) -> FileError {
    FileError::TooLarge {
        path: path.to_owned(),
        limit,
    }
}

/// Why `path`, a directory or a pipe, socket or device, is not read.
fn not_a_file(path: &Path, meta: &std::fs::Metadata) -> FileError {
    FileError::Io {
        path: path.to_owned(),
        source: io::Error::other(if meta.is_dir() {
            "is a directory, not a file"
        } else {
            "is not a regular file (a pipe, socket or device)"
        }),
    }
}

/// Reads an open file whole: refused unread when its size (`len`, if
/// known) is over `limit`, and never more than `limit` + 1 bytes read.
fn read_open(f: File, len: Option<u64>, path: &Path, limit: usize) -> Result<Vec<u8>, FileError> {
    let cap = u64::try_from(limit).unwrap_or(u64::MAX);
    if len.is_some_and(|l| l > cap) {
        return Err(too_large(path, limit));
    }
    let mut buf = Vec::with_capacity(len.and_then(|l| usize::try_from(l).ok()).unwrap_or(0));
    f.take(cap.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(io_err(path))?;
    if buf.len() > limit {
        return Err(too_large(path, limit));
    }
    Ok(buf)
}

/// Like [`read_bounded`], but only for a regular file (symbolic links are
/// followed): a pipe, socket or device is refused before it is opened, so a
/// hostile directory cannot block a reader on a FIFO or feed it endless data.
pub(crate) fn read_bounded_regular(path: &Path, limit: usize) -> Result<Vec<u8>, FileError> {
    let meta = std::fs::metadata(path).map_err(io_err(path))?;
    if !meta.is_file() {
        return Err(not_a_file(path, &meta));
    }
    read_bounded(path, limit)
}

/// [`read_bounded_regular`] for a file a directory walk just listed as a
/// regular file (not a symbolic link): one path lookup instead of two. It
/// is opened without following a symbolic link and without blocking, and
/// checked on the open file, so a FIFO put in its place is refused without
/// waiting for a writer; if a symbolic link was put in its place, the link
/// is treated as [`read_bounded_regular`] treats one. (A device node in its
/// place would be opened before being refused; creating one takes root.)
/// It reads as many bytes as the file held when opened, and no further
/// (one read instead of two: no read to find the end).
pub(crate) fn read_walked_regular(path: &Path, limit: usize) -> Result<Vec<u8>, FileError> {
    #[cfg(unix)]
    {
        let (fd, st) = match open_walked(path) {
            Ok(opened) => opened,
            // ELOOP (Linux, macOS), EMLINK (FreeBSD): a symbolic link.
            Err(rustix::io::Errno::LOOP | rustix::io::Errno::MLINK) => {
                return read_bounded_regular(path, limit);
            }
            Err(e) => return Err(io_err(path)(e.into())),
        };
        if !is_regular(&st) {
            let f = File::from(fd);
            let meta = f.metadata().map_err(io_err(path))?;
            return Err(not_a_file(path, &meta));
        }
        let size = u64::try_from(st.st_size).unwrap_or(0);
        if size == 0 {
            // Some file systems (procfs) give no size: read to the end.
            return read_open(File::from(fd), None, path, limit);
        }
        if size > u64::try_from(limit).unwrap_or(u64::MAX) {
            return Err(too_large(path, limit));
        }
        // The file as large as it was when opened: no further read to
        // find its end (a file still being written is read as it was).
        let mut buf = vec![0u8; usize::try_from(size).map_err(|_| too_large(path, limit))?];
        let got = read_from_start(&fd, &mut buf).map_err(|e| io_err(path)(e.into()))?;
        buf.truncate(got);
        Ok(buf)
    }
    #[cfg(not(unix))]
    read_bounded_regular(path, limit)
}

/// Opens a file a walk listed as regular the way its readers do: without
/// following a symbolic link and without blocking (a FIFO put in its place
/// opens at once), with its status from the open file.
#[cfg(unix)]
fn open_walked(path: &Path) -> rustix::io::Result<(rustix::fd::OwnedFd, rustix::fs::Stat)> {
    use rustix::fs::{Mode, OFlags};
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let fd = rustix::fs::open(path, flags, Mode::empty())?;
    let st = rustix::fs::fstat(&fd)?;
    Ok((fd, st))
}

#[cfg(unix)]
fn is_regular(st: &rustix::fs::Stat) -> bool {
    rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::RegularFile
}

/// Reads from the start of `fd` until `buf` is full or the file ends; how
/// many bytes it read.
#[cfg(unix)]
fn read_from_start(fd: &rustix::fd::OwnedFd, buf: &mut [u8]) -> rustix::io::Result<usize> {
    let mut at = 0;
    while at < buf.len() {
        match rustix::io::pread(fd, &mut buf[at..], at as u64) {
            Ok(0) => break,
            Ok(n) => at += n,
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(at)
}

/// What [`warm_up`] found: whether a file's bytes were already in the
/// page cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Warmth {
    /// They were: reading it cost no disk access.
    Cached,
    /// They were not (now they are, as far as the cache keeps them).
    Read,
    /// Not known (another system than Linux, a file system that cannot
    /// tell, or a file that is not a regular one of at most the limit).
    Unknown,
}

/// Bytes of a file [`warm_up`] looks at (and reads in when they are not
/// cached); a bundle is usually a few kilobytes.
const WARM_UP_BYTES: usize = 64 * 1024;

/// Reads ahead of a later reader of a file a directory walk listed as
/// regular: opened as [`read_walked_regular`] opens it (never following a
/// symbolic link, never blocking on a FIFO), then asked for its first
/// bytes without waiting for the disk (`preadv2` with `RWF_NOWAIT`, Linux
/// 4.14 and later). When they are all there, nothing more is done and the
/// answer is [`Warmth::Cached`]; else they are read (into `buf`, reused
/// between calls) so the later reader finds them cached. Errors are not
/// reported: the reader meets them itself.
pub(crate) fn warm_up(path: &Path, limit: usize, buf: &mut Vec<u8>) -> Warmth {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let Ok((fd, st)) = open_walked(path) else {
            return Warmth::Unknown;
        };
        let size = usize::try_from(st.st_size).unwrap_or(usize::MAX);
        if !is_regular(&st) || size == 0 || size > limit {
            return Warmth::Unknown;
        }
        let want = size.min(WARM_UP_BYTES);
        buf.resize(want, 0);
        let nowait = rustix::io::preadv2(
            &fd,
            &mut [io::IoSliceMut::new(&mut buf[..want])],
            0,
            rustix::io::ReadWriteFlags::NOWAIT,
        );
        let warmth = match nowait {
            Ok(n) if n == want => return Warmth::Cached,
            // Some or none of it cached.
            Ok(_) | Err(rustix::io::Errno::AGAIN) => Warmth::Read,
            // A kernel or file system that cannot tell.
            Err(_) => Warmth::Unknown,
        };
        // Errors are the later reader's to meet.
        let _ = read_from_start(&fd, &mut buf[..want]);
        warmth
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let _ = buf;
        let _ = read_walked_regular(path, limit);
        Warmth::Unknown
    }
}

/// Where a write to `path` lands: `path` itself, or, when it is a symbolic
/// link, the file it points to (so an atomic replace keeps the link, as `cp`
/// would). A dangling link is an error rather than a guess.
pub(crate) fn write_target(path: &Path) -> io::Result<PathBuf> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(path).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("is a symbolic link whose target cannot be resolved ({e})"),
            )
        }),
        _ => Ok(path.to_owned()),
    }
}

/// Whether two paths name the same file: the same device and inode when
/// both exist (hard links, symbolic links, `./x` and `x`), else the same
/// canonical directory and file name (a destination not yet created).
pub(crate) fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) {
            return x.dev() == y.dev() && x.ino() == y.ino();
        }
    }
    let resolved = |p: &Path| -> Option<PathBuf> {
        let target = write_target(p).ok()?;
        let dir = std::fs::canonicalize(parent_dir(&target)).ok()?;
        Some(dir.join(target.file_name()?))
    };
    match (resolved(a), resolved(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// The directory holding `path` (`.` for a bare file name).
pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Takes an exclusive lock (`flock`) on the directory holding the file
/// `path` (its target, for a symbolic link), waiting for any other holder;
/// released when the returned handle drops. Serialises read-decide-replace
/// cycles on one file without leaving a lock file behind.
pub(crate) fn lock_dir_of(path: &Path) -> io::Result<File> {
    let target = write_target(path)?;
    let dir = parent_dir(&target);
    let f = File::open(dir)?;
    f.lock()?;
    Ok(f)
}

/// Fsyncs the directory holding `path`, so a rename into it is durable.
pub(crate) fn sync_parent(path: &Path) -> io::Result<()> {
    File::open(parent_dir(path))?.sync_all()
}

/// A write prepared in full beside its target, made visible by
/// [`Pending::commit`] (a rename) or discarded when dropped. Two pendings
/// let a caller get everything that can fail out of the way before either
/// file changes.
pub(crate) struct Pending {
    tmp: tempfile::NamedTempFile,
    target: PathBuf,
    shown: PathBuf,
}

/// A new temporary file in `dir` (for a write that is renamed into place).
/// Errors name the directory the user gave, never the temporary file's
/// random name: "directory /x does not exist".
pub(crate) fn tempfile_in(dir: &Path, prefix: &str) -> io::Result<tempfile::NamedTempFile> {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempfile_in(dir)
        .map_err(|e| {
            let shown = if dir == Path::new(".") {
                "the current directory".to_string()
            } else {
                format!("directory {}", dir.display())
            };
            let why = match e.kind() {
                io::ErrorKind::NotFound => format!("{shown} does not exist"),
                io::ErrorKind::PermissionDenied => {
                    format!("{shown} is not writable: Permission denied")
                }
                io::ErrorKind::NotADirectory => format!("{shown} is not a directory"),
                kind => format!("cannot create a file in {shown}: {kind}"),
            };
            io::Error::new(e.kind(), why)
        })
}

impl Pending {
    /// Writes `bytes` to a temporary file beside `path` (beside the file it
    /// points to, for a symbolic link; see [`write_target`]) with Unix mode
    /// `mode`, and fsyncs it.
    pub(crate) fn new(path: &Path, bytes: &[u8], mode: u32) -> Result<Pending, FileError> {
        let target = write_target(path).map_err(io_err(path))?;
        let dir = parent_dir(&target);
        let mut tmp = tempfile_in(dir, ".hwprov-tmp-").map_err(io_err(path))?;
        tmp.write_all(bytes).map_err(io_err(path))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            tmp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(mode))
                .map_err(io_err(path))?;
        }
        #[cfg(not(unix))]
        let _ = mode;
        tmp.as_file().sync_all().map_err(io_err(path))?;
        Ok(Pending {
            tmp,
            target,
            shown: path.to_owned(),
        })
    }

    /// Renames the prepared file over the target and fsyncs the directory.
    pub(crate) fn commit(self) -> Result<(), FileError> {
        let Pending { tmp, target, shown } = self;
        tmp.persist(&target).map_err(|e| FileError::Io {
            path: shown.clone(),
            source: e.error,
        })?;
        sync_parent(&target).map_err(io_err(&shown))
    }
}

/// Writes `bytes` to `path` atomically: a temporary file beside it, fsync,
/// rename over `path`, fsync of the directory. A crash leaves the old file or
/// the new one, never a torn one. `mode` sets Unix permissions (e.g. 0o600).
/// A symbolic link is written through: the file it points to is replaced
/// and the link kept.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<(), FileError> {
    Pending::new(path, bytes, mode)?.commit()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_walked_file_is_read_with_one_lookup_and_anything_else_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("unit.cbor");
        std::fs::write(&file, b"bytes").expect("write");
        assert_eq!(read_walked_regular(&file, 5).expect("read"), b"bytes");
        assert!(matches!(
            read_walked_regular(&file, 4),
            Err(FileError::TooLarge { limit: 4, .. })
        ));
        // A symbolic link put in its place is followed, as for any unit.
        let link = dir.path().join("link.cbor");
        std::os::unix::fs::symlink(&file, &link).expect("symlink");
        assert_eq!(read_walked_regular(&link, 5).expect("read"), b"bytes");
        // A directory, and a FIFO (refused without waiting for a writer).
        let err = read_walked_regular(dir.path(), 5).expect_err("a directory");
        assert!(err.to_string().contains("is a directory"), "{err}");
        let fifo = dir.path().join("fifo.cbor");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo runs");
        assert!(made.success());
        let err = read_walked_regular(&fifo, 5).expect_err("a FIFO");
        assert!(err.to_string().contains("not a regular file"), "{err}");
        let fifo_link = dir.path().join("fifo-link.cbor");
        std::os::unix::fs::symlink(&fifo, &fifo_link).expect("symlink");
        let err = read_walked_regular(&fifo_link, 5).expect_err("a link to a FIFO");
        assert!(err.to_string().contains("not a regular file"), "{err}");
        let missing = dir.path().join("missing.cbor");
        assert!(matches!(
            read_walked_regular(&missing, 5),
            Err(FileError::Io { .. })
        ));
        // An empty file is read to its end, as a file with no size given.
        let empty = dir.path().join("empty.cbor");
        std::fs::write(&empty, b"").expect("write");
        assert_eq!(read_walked_regular(&empty, 5).expect("read"), b"");

        // Reading ahead: a file just read is in the cache (where the
        // kernel can tell); anything but a regular file within the limit
        // is left alone, a FIFO without waiting for a writer.
        let mut buf = Vec::new();
        let w = warm_up(&file, 5, &mut buf);
        if cfg!(target_os = "linux") {
            assert_ne!(w, Warmth::Read, "a file just read and written is cached");
        }
        for other in [
            &fifo,
            &fifo_link,
            &missing,
            &empty,
            &dir.path().to_path_buf(),
        ] {
            assert_eq!(
                warm_up(other, 5, &mut buf),
                Warmth::Unknown,
                "{}",
                other.display()
            );
        }
        assert_eq!(
            warm_up(&file, 4, &mut buf),
            Warmth::Unknown,
            "over the limit"
        );
    }
}
