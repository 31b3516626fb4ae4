//! Bundles (SPEC section 4): a CBOR array of bstr, each one tagged COSE
//! message, root first. A file holding one tagged COSE message is a
//! one-statement bundle.

use crate::limits::Limits;
use crate::wire::cbor::{self, Value, head_len};
use cbor4ii::core::dec::{Decode, Read as _};
use cbor4ii::core::types;
use cbor4ii::core::utils::SliceReader;
use std::fmt;

/// Why bytes are not a bundle (an input error, exit 2).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BundleError {
    /// Empty input.
    Empty,
    /// Larger than the bundle limit.
    TooLarge {
        /// Size in bytes.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Not a definite-length CBOR array of byte strings, nor a tagged COSE message.
    NotABundle {
        /// What was found instead.
        detail: &'static str,
    },
    /// The array holds no statement.
    NoRoot,
    /// More statements than the limit.
    TooManyStatements {
        /// Declared count.
        count: u64,
        /// The limit.
        limit: usize,
    },
    /// Bytes follow the bundle array.
    TrailingBytes,
    /// Checking the bundle would take more signature checks than
    /// [`Limits::max_signature_checks`](crate::Limits::max_signature_checks).
    WorkBudget {
        /// The budget.
        signature_checks: u64,
    },
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BundleError::Empty => write!(f, "file is empty, not a bundle"),
            BundleError::TooLarge { size, limit } => {
                write!(f, "bundle is {size} bytes, over the limit of {limit}")
            }
            BundleError::NotABundle { detail } => write!(
                f,
                "not a bundle ({detail}): expected a CBOR array of byte strings, each a tagged COSE message, or one tagged COSE message"
            ),
            BundleError::NoRoot => write!(f, "bundle is an empty array: it has no root statement"),
            BundleError::TooManyStatements { count, limit } => {
                write!(
                    f,
                    "bundle declares {count} statements, over the limit of {limit}"
                )
            }
            BundleError::TrailingBytes => write!(f, "bytes follow the bundle array"),
            BundleError::WorkBudget { signature_checks } => write!(
                f,
                "checking this bundle takes more than {signature_checks} signature checks, the work budget"
            ),
        }
    }
}

impl std::error::Error for BundleError {}

fn not(detail: &'static str) -> BundleError {
    BundleError::NotABundle { detail }
}

/// Splits a bundle into its statements' exact bytes, root first, without
/// copying them. Statements larger than `max_statement_bytes` are returned
/// too: refusing them is a finding, not an input error.
pub fn split<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Vec<&'a [u8]>, BundleError> {
    if bytes.is_empty() {
        return Err(BundleError::Empty);
    }
    if bytes.len() > limits.max_bundle_bytes {
        return Err(BundleError::TooLarge {
            size: bytes.len(),
            limit: limits.max_bundle_bytes,
        });
    }
    match bytes[0] {
        // Tag 18 (0xd2) or tag 98 (0xd8 0x62): a single COSE message.
        0xd2 => return Ok(vec![bytes]),
        0xd8 if bytes.get(1) == Some(&0x62) => return Ok(vec![bytes]),
        b if b >> 5 == 4 => {}
        _ => return Err(not("it is neither an array nor a tagged COSE message")),
    }
    let mut r = SliceReader::new(bytes);
    let left = |r: &mut SliceReader| r.fill(usize::MAX).map(|x| x.as_ref().len()).unwrap_or(0);
    let before = left(&mut r);
    let count = types::Array::len(&mut r)
        .map_err(|_| not("truncated array head"))?
        .ok_or(not("indefinite-length array"))?;
    if before - left(&mut r) != head_len(count as u64) {
        return Err(not("non-shortest array length"));
    }
    if count > limits.max_statements {
        return Err(BundleError::TooManyStatements {
            count: count as u64,
            limit: limits.max_statements,
        });
    }
    if count == 0 {
        return Err(BundleError::NoRoot);
    }
    if count > left(&mut r) {
        return Err(not("array declares more elements than the file holds"));
    }
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let first = r
            .fill(1)
            .ok()
            .and_then(|x| x.as_ref().first().copied())
            .ok_or(not("truncated"))?;
        if first >> 5 != 2 {
            return Err(not("an array element is not a byte string"));
        }
        if first & 0x1f == 0x1f {
            return Err(not("indefinite-length byte string"));
        }
        let before = left(&mut r);
        let b = <types::Bytes<&[u8]>>::decode(&mut r).map_err(|_| not("truncated byte string"))?;
        if before - left(&mut r) != head_len(b.0.len() as u64) + b.0.len() {
            return Err(not("non-shortest byte string length"));
        }
        out.push(b.0);
    }
    if left(&mut r) != 0 {
        return Err(BundleError::TrailingBytes);
    }
    Ok(out)
}

/// Encodes statements (root first) as a bundle.
pub fn encode(statements: &[Vec<u8>]) -> Vec<u8> {
    cbor::encode(&Value::Array(
        statements.iter().map(|s| Value::Bytes(s.clone())).collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let l = Limits::DEFAULT;
        assert_eq!(split(&[], &l), Err(BundleError::Empty));
        assert_eq!(split(&[0x80], &l), Err(BundleError::NoRoot));
        assert!(matches!(
            split(&[0x9f, 0xff], &l),
            Err(BundleError::NotABundle { .. })
        ));
        assert!(matches!(
            split(&[0x81, 0x01], &l),
            Err(BundleError::NotABundle { .. })
        ));
        assert!(matches!(
            split(&[0x98, 0x01, 0x41, 0x00], &l),
            Err(BundleError::NotABundle { .. })
        ));
        assert!(matches!(
            split(&[0x81, 0x58, 0x01, 0x00], &l),
            Err(BundleError::NotABundle { .. })
        ));
        assert_eq!(split(&[0x81, 0x41, 0x00], &l), Ok(vec![&[0u8][..]]));
        assert_eq!(
            split(&[0x81, 0x41, 0x00, 0x00], &l),
            Err(BundleError::TrailingBytes)
        );
        assert!(matches!(
            split(&[0x9a, 0xff, 0xff, 0xff, 0xff], &l),
            Err(BundleError::TooManyStatements { .. })
        ));
        assert!(matches!(
            split(&[0x81, 0x5a, 0xff, 0xff, 0xff, 0xff], &l),
            Err(BundleError::NotABundle { .. })
        ));
        assert_eq!(split(&[0xd2, 0x80], &l), Ok(vec![&[0xd2u8, 0x80][..]]));
    }
}
