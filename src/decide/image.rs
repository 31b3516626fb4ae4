//! Reading a firmware image for the gate (SPEC section 9): once, streamed
//! through SHA-256 (and SHA-384/512 when the release lists them, in the same
//! pass) in bounded memory, never more than one byte past the
//! size its release declares, and (with an install destination) staged in
//! a temporary file beside it that only an accepted decision renames into
//! place.

use crate::limits::Limits;
use crate::wire::cbor::{self, Value};
use crate::wire::digest::{AltDigest, COSE_SHA384, COSE_SHA512, Sha256};
use serde::Serialize;
use sha2::Digest as _;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// Size of the streaming buffer: memory stays bounded whatever the image
/// size (128 KiB: the bytes a `read` copies in are still in the core's
/// cache when they are hashed).
pub const CHUNK: usize = 128 << 10;

/// The buffer starts on a page boundary. The kernel copies file pages into
/// it, and that copy is about four times slower into a destination that is
/// not 64-byte aligned (measured on AMD EPYC: a heap buffer sits 16 bytes
/// past a page); unaligned, it made the gate take 1.3x `openssl dgst
/// -sha256`'s time on a warm 512 MiB image (`benches/gate.sh`).
const PAGE: usize = 4096;

/// Length and digests of the image bytes as read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ImageFacts {
    /// SHA-256 of the bytes.
    pub sha256: Sha256,
    /// Number of bytes.
    pub size: u64,
    /// SHA-384 and SHA-512 of the bytes, when the release lists them
    /// (SPEC 3 `digests`).
    #[serde(skip)]
    pub others: [Option<AltDigest>; 2],
}

impl ImageFacts {
    /// The image's digest under the algorithm of `d`, if it was computed.
    pub fn other(&self, d: &AltDigest) -> Option<AltDigest> {
        self.others
            .iter()
            .flatten()
            .find(|o| o.alg() == d.alg())
            .copied()
    }
}

/// An image being staged for installation: a temporary file in the
/// destination's directory that becomes the destination only on [`Staged::commit`].
pub struct Staged {
    tmp: tempfile::NamedTempFile,
    dest: PathBuf,
}

/// How many image bytes the gate reads at most: one more than the release
/// declares (enough to see that an image is longer, as TUF bounds downloads
/// by the trusted length against endless-data attacks), and never more than
/// one past `limits.max_image_bytes`.
pub fn read_bound(declared_size: Option<u64>, limits: &Limits) -> u64 {
    let cap = limits.max_image_bytes.saturating_add(1);
    declared_size.map_or(cap, |s| s.saturating_add(1).min(cap))
}

/// Reading or staging the image failed.
#[derive(Debug)]
pub enum ImageError {
    /// The image could not be read.
    Read(io::Error),
    /// The install destination could not be staged (its directory is not
    /// writable, the disk is full, a dangling symbolic link).
    Stage(io::Error),
}

impl std::fmt::Display for ImageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImageError::Read(e) => write!(f, "reading the image: {e}"),
            ImageError::Stage(e) => write!(f, "staging the image for install: {e}"),
        }
    }
}

impl std::error::Error for ImageError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ImageError::Read(e) | ImageError::Stage(e) => Some(e),
        }
    }
}

impl Staged {
    /// A temporary file beside `dest` (beside the file it points to, when it
    /// is a symbolic link: the install replaces that file and keeps the link).
    pub fn beside(dest: &Path) -> io::Result<Staged> {
        let dest = crate::fsutil::write_target(dest)?;
        let dir = crate::fsutil::parent_dir(&dest);
        let tmp = crate::fsutil::tempfile_in(dir, ".hwprov-install-")?;
        Ok(Staged { tmp, dest })
    }
}

/// Reads `input` once, to its end or until `stop_after` bytes have been
/// read, hashing it and, when `stage_to` is given, writing it to a temporary
/// file beside that destination. The facts are those of the bytes read.
pub fn read_image(
    input: impl Read,
    stage_to: Option<&Path>,
    stop_after: u64,
) -> Result<(ImageFacts, Option<Staged>), ImageError> {
    read_image_with(input, stage_to, stop_after, &[])
}

/// [`read_image`], also hashing with the algorithm of each of `also`
/// (a release's `digests`), in the same single pass.
pub fn read_image_with(
    mut input: impl Read,
    stage_to: Option<&Path>,
    stop_after: u64,
    also: &[AltDigest],
) -> Result<(ImageFacts, Option<Staged>), ImageError> {
    let want = |alg| also.iter().any(|d| d.alg() == alg);
    let mut h384 = want(COSE_SHA384).then(sha2::Sha384::new);
    let mut h512 = want(COSE_SHA512).then(sha2::Sha512::new);
    let mut staged = stage_to
        .map(Staged::beside)
        .transpose()
        .map_err(ImageError::Stage)?;
    let mut hasher = sha2::Sha256::new();
    let mut raw = vec![0u8; CHUNK + PAGE];
    let start = raw.as_ptr().align_offset(PAGE).min(PAGE);
    let buf = &mut raw[start..start + CHUNK];
    let mut size: u64 = 0;
    while size < stop_after {
        let want = usize::try_from(stop_after - size).map_or(CHUNK, |w| w.min(CHUNK));
        let n = match input.read(&mut buf[..want]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(ImageError::Read(e)),
        };
        hasher.update(&buf[..n]);
        if let Some(h) = h384.as_mut() {
            h.update(&buf[..n]);
        }
        if let Some(h) = h512.as_mut() {
            h.update(&buf[..n]);
        }
        if let Some(s) = staged.as_mut() {
            s.tmp
                .as_file_mut()
                .write_all(&buf[..n])
                .map_err(ImageError::Stage)?;
        }
        size += n as u64;
    }
    Ok((
        ImageFacts {
            sha256: Sha256(hasher.finalize().into()),
            size,
            others: [
                h384.map(|h| AltDigest::Sha384(h.finalize().into())),
                h512.map(|h| AltDigest::Sha512(h.finalize().into())),
            ],
        },
        staged,
    ))
}

/// Opens the image (`-` is standard input).
pub fn open_image(path: &Path) -> io::Result<Box<dyn Read>> {
    if path == Path::new("-") {
        Ok(Box::new(io::stdin().lock()))
    } else {
        let f = File::open(path)?;
        if f.metadata()?.is_dir() {
            return Err(io::Error::other("is a directory, not an image"));
        }
        Ok(Box::new(f))
    }
}

impl Staged {
    /// Makes the staged bytes the destination: fsync, keep the destination's
    /// permissions (0644 for a new file), rename, fsync the directory.
    pub fn commit(self) -> io::Result<()> {
        let mode = std::fs::metadata(&self.dest).map(|m| m.permissions());
        let file = self.tmp.as_file();
        match mode {
            Ok(p) => file.set_permissions(p)?,
            #[cfg(unix)]
            Err(_) => {
                use std::os::unix::fs::PermissionsExt;
                file.set_permissions(std::fs::Permissions::from_mode(0o644))?
            }
            #[cfg(not(unix))]
            Err(_) => {}
        }
        file.sync_all()?;
        self.tmp.persist(&self.dest).map_err(|e| e.error)?;
        crate::fsutil::sync_parent(&self.dest)
    }
}

/// Deepest nesting of stored image facts: the map and a digest in it, and
/// one more for a tag.
const IMAGE_FACTS_DEPTH: usize = 3;

/// The stored record of an image: `{"sha256": digest, "size": uint}`, plus
/// `"sha384"`/`"sha512"` when the release listed those digests, in
/// deterministic CBOR (images themselves are not stored).
pub fn image_facts_bytes(f: &ImageFacts) -> Vec<u8> {
    let mut m = vec![
        (Value::Text("sha256".into()), f.sha256.to_cbor()),
        (Value::Text("size".into()), Value::Uint(f.size)),
    ];
    for d in f.others.iter().flatten() {
        m.push((Value::Text(d.name().into()), d.to_cbor()));
    }
    cbor::encode_deterministic(&Value::Map(m))
}

/// Parses [`image_facts_bytes`].
pub fn parse_image_facts(bytes: &[u8]) -> Option<ImageFacts> {
    let v = cbor::decode(bytes, IMAGE_FACTS_DEPTH).ok()?;
    let sha256 = Sha256::from_cbor(v.get("sha256")?).ok()?;
    let Value::Uint(size) = v.get("size")? else {
        return None;
    };
    let other = |k: &str| match v.get(k) {
        None => Some(None),
        Some(d) => AltDigest::from_cbor(d)
            .ok()
            .filter(|d| d.name() == k)
            .map(Some),
    };
    let facts = ImageFacts {
        sha256,
        size: *size,
        others: [other("sha384")?, other("sha512")?],
    };
    (image_facts_bytes(&facts) == bytes).then_some(facts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_stops_one_byte_past_the_declared_size_or_the_limit() {
        let limits = Limits {
            max_image_bytes: 100,
            ..Limits::DEFAULT
        };
        assert_eq!(read_bound(Some(10), &limits), 11);
        assert_eq!(read_bound(Some(100), &limits), 101);
        assert_eq!(read_bound(Some(u64::MAX), &limits), 101);
        assert_eq!(read_bound(None, &limits), 101);
        // An endless reader stops at the bound; the facts are of what was read.
        let (facts, staged) = read_image(io::repeat(7), None, read_bound(Some(10), &limits))
            .expect("reading from memory");
        assert!(staged.is_none());
        assert_eq!(facts.size, 11);
        assert_eq!(facts.sha256, Sha256::of(&[7u8; 11]));
        let (facts, _) = read_image(io::repeat(7), None, read_bound(None, &limits))
            .expect("reading from memory");
        assert_eq!(facts.size, 101);
        // A short image is read to its end.
        let (facts, _) =
            read_image(&b"abc"[..], None, read_bound(Some(10), &limits)).expect("reading");
        assert_eq!(facts.size, 3);
        assert_eq!(facts.sha256, Sha256::of(b"abc"));
        assert_eq!(facts.others, [None, None]);
        // The release's other digests are computed in the same pass.
        let listed = [AltDigest::Sha512([0; 64])];
        let (facts, _) = read_image_with(&b"abc"[..], None, 10, &listed).expect("reading");
        assert_eq!(facts.others[0], None);
        assert_eq!(
            facts.other(&listed[0]).map(|d| d.to_string()),
            Some("sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f".to_owned())
        );
    }

    #[test]
    fn a_read_error_and_a_staging_error_are_told_apart() {
        struct Broken;
        impl Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("device went away"))
            }
        }
        assert!(matches!(
            read_image(Broken, None, 10),
            Err(ImageError::Read(_))
        ));
        let missing = Path::new("/nonexistent-hwprov-dir/dest.bin");
        assert!(matches!(
            read_image(&b"abc"[..], Some(missing), 10),
            Err(ImageError::Stage(_))
        ));
    }
}
