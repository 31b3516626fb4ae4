//! SHA-256 digests and their CBOR and text forms.

use crate::wire::cbor::{Value, ValueRef};
use sha2::{Digest as _, Sha256 as Hasher};
use std::fmt;

/// COSE algorithm id of SHA-256 (RFC 9054).
pub const COSE_SHA256: i64 = -16;

/// A SHA-256 digest: of a statement's complete tagged COSE bytes, or of a
/// firmware image. Text form `sha256:<64 lower-case hex>`; CBOR form
/// `[-16, bstr .size 32]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sha256(pub [u8; 32]);

/// Why a digest was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DigestError {
    /// A well-formed digest with another algorithm id than -16 (SHA-256).
    Unsupported {
        /// The algorithm id found.
        alg: i64,
    },
    /// Not `[-16, bstr .size 32]` or `sha256:<64 lower-case hex>`.
    Malformed,
}

impl fmt::Display for DigestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DigestError::Unsupported { alg } => write!(
                f,
                "digest algorithm {alg} is not supported (only -16, SHA-256)"
            ),
            DigestError::Malformed => write!(
                f,
                "digest must be [-16, 32-byte bstr] in CBOR, or sha256:<64 lower-case hex> in text"
            ),
        }
    }
}

impl std::error::Error for DigestError {}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(H[usize::from(b >> 4)]));
        s.push(char::from(H[usize::from(b & 15)]));
    }
    s
}

/// Parses exactly 32 bytes of lower-case hex.
pub fn parse_hex32(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 {
        return None;
    }
    parse_hex(s)?.try_into().ok()
}

/// The algorithm id and bytes of a digest's CBOR form `[alg, bstr]`.
/// A two-element array, borrowed (anything else is not a digest, and is
/// not copied to find that out).
fn pair(v: &Value) -> Result<ValueRef<'_>, DigestError> {
    match v {
        Value::Array(items) if items.len() == 2 => Ok(v.borrow()),
        _ => Err(DigestError::Malformed),
    }
}

fn cbor_parts<'a>(v: &ValueRef<'a>) -> Result<(i64, &'a [u8]), DigestError> {
    let ValueRef::Array(items) = v else {
        return Err(DigestError::Malformed);
    };
    let [alg, ValueRef::Bytes(bytes)] = items.as_slice() else {
        return Err(DigestError::Malformed);
    };
    let alg = alg.as_label().ok_or(DigestError::Malformed)?;
    Ok((alg, bytes))
}

impl Sha256 {
    /// Hashes `bytes`.
    pub fn of(bytes: &[u8]) -> Sha256 {
        Sha256(Hasher::digest(bytes).into())
    }

    /// Parses `sha256:<64 lower-case hex>`.
    pub fn parse_text(s: &str) -> Result<Sha256, DigestError> {
        s.strip_prefix("sha256:")
            .and_then(parse_hex32)
            .map(Sha256)
            .ok_or(DigestError::Malformed)
    }

    /// Reads the CBOR form `[-16, bstr .size 32]`.
    pub fn from_cbor(v: &Value) -> Result<Sha256, DigestError> {
        Sha256::from_cbor_ref(&pair(v)?)
    }

    /// [`Sha256::from_cbor`] of a borrowed item.
    pub fn from_cbor_ref(v: &ValueRef<'_>) -> Result<Sha256, DigestError> {
        let (alg, bytes) = cbor_parts(v)?;
        if alg != COSE_SHA256 {
            return Err(DigestError::Unsupported { alg });
        }
        <[u8; 32]>::try_from(bytes)
            .map(Sha256)
            .map_err(|_| DigestError::Malformed)
    }

    /// The CBOR form `[-16, bstr .size 32]`.
    pub fn to_cbor(&self) -> Value {
        Value::Array(vec![Value::Nint(15), Value::Bytes(self.0.to_vec())])
    }

    /// Lower-case hex without the prefix.
    pub fn hex(&self) -> String {
        hex(&self.0)
    }
}

impl fmt::Display for Sha256 {
    /// `sha256:<hex>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.hex())
    }
}

impl serde::Serialize for Sha256 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Sha256 {
    /// Goes through [`Sha256::parse_text`]: only `sha256:<64 lower-case hex>`.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Sha256::parse_text(&s).map_err(|_| {
            serde::de::Error::custom(format!(
                "'{s}' is not a digest of the form sha256:<64 lower-case hex>"
            ))
        })
    }
}

/// A release's digest of its image under another algorithm (SPEC 3,
/// `digests`): SHA-384 (`[-43, bstr .size 48]`, text `sha384:<96 hex>`) or
/// SHA-512 (`[-44, bstr .size 64]`, text `sha512:<128 hex>`). They let
/// outside evidence that names an image by SHA-384/512 match (SPEC 11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AltDigest {
    /// SHA-384 of the image.
    Sha384([u8; 48]),
    /// SHA-512 of the image.
    Sha512([u8; 64]),
}

/// COSE algorithm id of SHA-384 (RFC 9054).
pub const COSE_SHA384: i64 = -43;
/// COSE algorithm id of SHA-512 (RFC 9054).
pub const COSE_SHA512: i64 = -44;

impl AltDigest {
    /// The COSE algorithm id.
    pub fn alg(&self) -> i64 {
        match self {
            AltDigest::Sha384(_) => COSE_SHA384,
            AltDigest::Sha512(_) => COSE_SHA512,
        }
    }

    /// The text prefix: `sha384` or `sha512`.
    pub fn name(&self) -> &'static str {
        match self {
            AltDigest::Sha384(_) => "sha384",
            AltDigest::Sha512(_) => "sha512",
        }
    }

    /// The digest bytes.
    pub fn bytes(&self) -> &[u8] {
        match self {
            AltDigest::Sha384(b) => b,
            AltDigest::Sha512(b) => b,
        }
    }

    /// The digest of `alg` (-43 or -44) with these bytes, if the length fits.
    pub fn from_parts(alg: i64, bytes: &[u8]) -> Result<AltDigest, DigestError> {
        match alg {
            COSE_SHA384 => <[u8; 48]>::try_from(bytes)
                .map(AltDigest::Sha384)
                .map_err(|_| DigestError::Malformed),
            COSE_SHA512 => <[u8; 64]>::try_from(bytes)
                .map(AltDigest::Sha512)
                .map_err(|_| DigestError::Malformed),
            other => Err(DigestError::Unsupported { alg: other }),
        }
    }

    /// Reads the CBOR form `[-43, bstr .size 48]` or `[-44, bstr .size 64]`.
    pub fn from_cbor(v: &Value) -> Result<AltDigest, DigestError> {
        AltDigest::from_cbor_ref(&pair(v)?)
    }

    /// [`AltDigest::from_cbor`] of a borrowed item.
    pub fn from_cbor_ref(v: &ValueRef<'_>) -> Result<AltDigest, DigestError> {
        let (alg, bytes) = cbor_parts(v)?;
        AltDigest::from_parts(alg, bytes)
    }

    /// The CBOR form.
    pub fn to_cbor(&self) -> Value {
        let nint = u64::try_from(-1 - self.alg()).unwrap_or(0);
        Value::Array(vec![Value::Nint(nint), Value::Bytes(self.bytes().to_vec())])
    }

    /// Parses `sha384:<96 lower-case hex>` or `sha512:<128 lower-case hex>`.
    pub fn parse_text(s: &str) -> Result<AltDigest, DigestError> {
        let (alg, h) = if let Some(h) = s.strip_prefix("sha384:") {
            (COSE_SHA384, h)
        } else if let Some(h) = s.strip_prefix("sha512:") {
            (COSE_SHA512, h)
        } else {
            return Err(DigestError::Malformed);
        };
        let bytes = parse_hex(h).ok_or(DigestError::Malformed)?;
        AltDigest::from_parts(alg, &bytes)
    }
}

impl fmt::Display for AltDigest {
    /// `sha384:<hex>` or `sha512:<hex>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.name(), hex(self.bytes()))
    }
}

impl serde::Serialize for AltDigest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Parses lower-case hex of any even length.
pub fn parse_hex(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    if !b.len().is_multiple_of(2) {
        return None;
    }
    let nib = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    b.chunks(2)
        .map(|p| Some((nib(p[0])? << 4) | nib(p[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_cbor_forms() {
        let d = Sha256::of(b"abc");
        assert_eq!(
            d.to_string(),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(Sha256::parse_text(&d.to_string()), Ok(d));
        assert_eq!(Sha256::from_cbor(&d.to_cbor()), Ok(d));
        assert!(Sha256::parse_text(&d.to_string().to_uppercase()).is_err());
        assert!(Sha256::parse_text(&d.hex()).is_err());
        let sha384 = Value::Array(vec![Value::Nint(42), Value::Bytes(vec![0; 48])]);
        assert_eq!(
            Sha256::from_cbor(&sha384),
            Err(DigestError::Unsupported { alg: -43 })
        );
        let short = Value::Array(vec![Value::Nint(15), Value::Bytes(vec![0; 31])]);
        assert_eq!(Sha256::from_cbor(&short), Err(DigestError::Malformed));
    }

    #[test]
    fn other_algorithms() {
        let d = AltDigest::Sha384([7; 48]);
        assert_eq!(AltDigest::from_cbor(&d.to_cbor()), Ok(d));
        assert_eq!(AltDigest::parse_text(&d.to_string()), Ok(d));
        assert_eq!(
            d.to_cbor(),
            Value::Array(vec![Value::Nint(42), Value::Bytes(vec![7; 48])])
        );
        let e = AltDigest::Sha512([9; 64]);
        assert_eq!(AltDigest::parse_text(&e.to_string()), Ok(e));
        assert!(AltDigest::parse_text(&format!("sha384:{}", hex(&[7; 64]))).is_err());
        assert!(AltDigest::parse_text(&d.to_string().to_uppercase()).is_err());
        assert_eq!(
            AltDigest::from_cbor(&Sha256([0; 32]).to_cbor()),
            Err(DigestError::Unsupported { alg: -16 })
        );
    }
}
