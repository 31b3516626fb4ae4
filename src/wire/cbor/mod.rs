//! A small, strict CBOR data model on top of `cbor4ii`.
//!
//! Every CBOR byte hwprov reads or writes goes through `cbor4ii`; this module
//! adds what a verifier needs on top of it: a nesting-depth bound, refusal of
//! indefinite lengths, floats and unknown simple values, detection of
//! duplicate map keys, and the two canonical checks (`encode(decode(x)) == x`
//! for "well-formed with shortest heads", and the same with map keys sorted
//! for RFC 8949 §4.2.1 core deterministic encoding).

use cbor4ii::core::dec::{self, Decode};
use cbor4ii::core::enc::Encode;
use cbor4ii::core::utils::{BufWriter, SliceReader};
use cbor4ii::core::{major, marker, types};
use std::collections::HashSet;

mod tree;
use tree::Tree;
pub use tree::ValueRef;

/// A decoded CBOR data item. Floats, `undefined` and other simple values are
/// not part of hwprov's profile and are refused by the decoder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Major type 0.
    Uint(u64),
    /// Major type 1: the value is `-1 - n`.
    Nint(u64),
    /// Major type 2.
    Bytes(Vec<u8>),
    /// Major type 3.
    Text(String),
    /// Major type 4.
    Array(Vec<Value>),
    /// Major type 5, in the order read.
    Map(Vec<(Value, Value)>),
    /// Major type 6.
    Tag(u64, Box<Value>),
    /// `true` / `false`.
    Bool(bool),
    /// `null`.
    Null,
}

/// Why bytes are not acceptable CBOR.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CborError {
    /// The input ended inside a data item.
    Truncated,
    /// Bytes follow the single top-level item.
    TrailingBytes {
        /// How many bytes are left over.
        count: usize,
    },
    /// Indefinite-length strings, arrays and maps are not accepted.
    IndefiniteLength,
    /// Nesting deeper than the limit.
    TooDeep {
        /// The limit in force.
        limit: usize,
    },
    /// A declared length exceeds what is left of the input.
    LengthExceedsInput {
        /// The declared length.
        declared: u64,
    },
    /// A text string is not UTF-8.
    InvalidUtf8,
    /// A float, `undefined` or another simple value.
    Unsupported {
        /// The initial byte of the item.
        initial_byte: u8,
    },
    /// The same key appears twice in one map.
    DuplicateKey,
    /// A map declares more entries than [`MAX_MAP_ENTRIES`].
    TooManyEntries {
        /// The declared count.
        declared: u64,
    },
    /// An integer, length or tag is not written in its shortest form.
    NonMinimal,
    /// Any other malformation reported by the decoder.
    Malformed,
}

impl std::fmt::Display for CborError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CborError::Truncated => write!(f, "CBOR data ends in the middle of an item"),
            CborError::TrailingBytes { count } => {
                write!(f, "{count} unexpected byte(s) after the CBOR item")
            }
            CborError::IndefiniteLength => write!(f, "indefinite-length CBOR item"),
            CborError::TooDeep { limit } => write!(f, "CBOR nesting deeper than {limit}"),
            CborError::LengthExceedsInput { declared } => {
                write!(
                    f,
                    "CBOR item declares length {declared}, longer than the input"
                )
            }
            CborError::InvalidUtf8 => write!(f, "CBOR text string is not valid UTF-8"),
            CborError::Unsupported { initial_byte } => write!(
                f,
                "unsupported CBOR item (initial byte 0x{initial_byte:02x}: floats and simple values other than true/false/null are not accepted)"
            ),
            CborError::DuplicateKey => write!(f, "duplicate key in CBOR map"),
            CborError::TooManyEntries { declared } => write!(
                f,
                "CBOR map declares {declared} entries, over the limit of {MAX_MAP_ENTRIES}"
            ),
            CborError::NonMinimal => {
                write!(f, "CBOR integer, length or tag not in its shortest form")
            }
            CborError::Malformed => write!(f, "malformed CBOR"),
        }
    }
}

impl std::error::Error for CborError {}

fn map_dec<E>(e: dec::Error<E>) -> CborError {
    match e {
        dec::Error::Eof { .. } | dec::Error::RequireLength { .. } => CborError::Truncated,
        dec::Error::RequireUtf8 { .. } => CborError::InvalidUtf8,
        dec::Error::DepthOverflow { .. } => CborError::TooDeep { limit: 0 },
        _ => CborError::Malformed,
    }
}

/// Most entries one CBOR map may hold (SPEC section 4). Together with the
/// linear duplicate-key check this bounds the work a map costs.
pub const MAX_MAP_ENTRIES: usize = crate::limits::Limits::DEFAULT.max_map_entries;

/// Maps up to this size find duplicate keys by comparing with the keys
/// before (at most 120 comparisons of short byte strings, no hashing).
const SMALL_MAP: usize = 16;

struct Decoder<'a> {
    input: &'a [u8],
    reader: SliceReader<'a>,
    max_depth: usize,
    /// Every map so far had its keys in core deterministic order.
    sorted: bool,
}

impl<'a> Decoder<'a> {
    fn peek(&mut self) -> Result<u8, CborError> {
        use dec::Read;
        let r = self.reader.fill(1).map_err(|_| CborError::Malformed)?;
        r.as_ref().first().copied().ok_or(CborError::Truncated)
    }

    /// Offset of the next unread byte in the input.
    fn pos(&mut self) -> usize {
        self.input.len() - self.left()
    }

    fn left(&mut self) -> usize {
        use dec::Read;
        // SliceReader returns everything that is left when asked for usize::MAX.
        match self.reader.fill(usize::MAX) {
            Ok(r) => r.as_ref().len(),
            Err(_) => 0,
        }
    }

    /// Checks a declared count against the bytes left: every element takes at
    /// least `min_item` bytes, so larger counts are refused before allocating.
    fn check_len(&mut self, len: usize, min_item: usize, head: usize) -> Result<(), CborError> {
        let left = self.left();
        let need = len.checked_mul(min_item).and_then(|n| n.checked_add(head));
        if need.is_none_or(|need| need > left) {
            return Err(CborError::LengthExceedsInput {
                declared: len as u64,
            });
        }
        Ok(())
    }

    /// Checks that the head just read (and `body` bytes after it) took the
    /// shortest encoding of `arg`.
    fn minimal(&mut self, start: usize, arg: u64, body: usize) -> Result<(), CborError> {
        if start - self.left() != head_len(arg) + body {
            return Err(CborError::NonMinimal);
        }
        Ok(())
    }

    fn item<T: Tree<'a>>(&mut self, depth: usize) -> Result<T, CborError> {
        let start = self.left();
        let byte = self.peek()?;
        let maj = byte >> 5;
        let low = byte & 0x1f;
        if low == marker::START && (2..=5).contains(&maj) {
            return Err(CborError::IndefiniteLength);
        }
        if (28..=30).contains(&low) {
            return Err(CborError::Malformed);
        }
        match maj {
            major::UNSIGNED => {
                let n = u64::decode(&mut self.reader).map_err(map_dec)?;
                self.minimal(start, n, 0)?;
                Ok(T::uint(n))
            }
            major::NEGATIVE => {
                let n = <types::Negative<u64>>::decode(&mut self.reader)
                    .map_err(map_dec)?
                    .0;
                self.minimal(start, n, 0)?;
                Ok(T::nint(n))
            }
            major::BYTES => {
                let len = self.declared_len(byte)?;
                self.check_len(len, 1, head_len(len as u64))?;
                let b = <types::Bytes<&'a [u8]>>::decode(&mut self.reader).map_err(map_dec)?;
                self.minimal(start, len as u64, len)?;
                Ok(T::bytes(b.0))
            }
            major::STRING => {
                let len = self.declared_len(byte)?;
                self.check_len(len, 1, head_len(len as u64))?;
                let s = <&'a str>::decode(&mut self.reader).map_err(map_dec)?;
                self.minimal(start, len as u64, len)?;
                Ok(T::text(s))
            }
            major::ARRAY => {
                let depth = self.enter(depth)?;
                let len = types::Array::len(&mut self.reader)
                    .map_err(map_dec)?
                    .ok_or(CborError::IndefiniteLength)?;
                self.minimal(start, len as u64, 0)?;
                self.check_len(len, 1, 0)?;
                let mut items = Vec::with_capacity(len);
                for _ in 0..len {
                    items.push(self.item(depth)?);
                }
                Ok(T::array(items))
            }
            major::MAP => {
                let depth = self.enter(depth)?;
                let len = types::Map::len(&mut self.reader)
                    .map_err(map_dec)?
                    .ok_or(CborError::IndefiniteLength)?;
                self.minimal(start, len as u64, 0)?;
                if len > MAX_MAP_ENTRIES {
                    return Err(CborError::TooManyEntries {
                        declared: len as u64,
                    });
                }
                self.check_len(len, 2, 0)?;
                let mut entries: Vec<(T, T)> = Vec::with_capacity(len);
                // Every item is in its one shortest encoding (checked as it is
                // read), so two keys are equal exactly when their encoded bytes
                // are: a set of byte slices finds duplicates in linear time.
                // Small maps (every map of a real statement) compare with
                // the few keys before; larger ones use a hash set.
                let mut few: [&'a [u8]; SMALL_MAP] = [&[]; SMALL_MAP];
                let mut many: HashSet<&'a [u8]> = HashSet::new();
                if len > SMALL_MAP {
                    many.reserve(len);
                }
                let mut previous_key: &'a [u8] = &[];
                for n in 0..len {
                    let key_start = self.pos();
                    let k = self.item(depth)?;
                    let key_bytes = self.input.get(key_start..self.pos()).unwrap_or_default();
                    let new = if let Some(slot) = few.get_mut(n).filter(|_| len <= SMALL_MAP) {
                        *slot = key_bytes;
                        !few[..n].contains(&key_bytes)
                    } else {
                        many.insert(key_bytes)
                    };
                    if !new {
                        return Err(CborError::DuplicateKey);
                    }
                    // RFC 8949 4.2.1: keys sorted by their encoded bytes
                    // (every item here is in its shortest form, so these
                    // are the deterministic encodings).
                    if n > 0 && previous_key >= key_bytes {
                        self.sorted = false;
                    }
                    previous_key = key_bytes;
                    let v = self.item(depth)?;
                    entries.push((k, v));
                }
                Ok(T::map(entries))
            }
            major::TAG => {
                let depth = self.enter(depth)?;
                let tag = types::Tag::tag(&mut self.reader).map_err(map_dec)?;
                self.minimal(start, tag, 0)?;
                let inner = self.item(depth)?;
                Ok(T::tag(tag, inner))
            }
            _ => match byte {
                marker::FALSE | marker::TRUE => {
                    bool::decode(&mut self.reader).map(T::bool).map_err(map_dec)
                }
                marker::NULL => {
                    use dec::Read;
                    self.reader.advance(1);
                    Ok(T::null())
                }
                _ => Err(CborError::Unsupported { initial_byte: byte }),
            },
        }
    }

    /// Reads the length argument of a string head without consuming it.
    fn declared_len(&mut self, byte: u8) -> Result<usize, CborError> {
        use dec::Read;
        let low = byte & 0x1f;
        let extra = match low {
            0..=23 => return Ok(usize::from(low)),
            24 => 1,
            25 => 2,
            26 => 4,
            27 => 8,
            _ => return Err(CborError::Malformed),
        };
        let head = self
            .reader
            .fill(1 + extra)
            .map_err(|_| CborError::Malformed)?;
        let head = head.as_ref();
        if head.len() < 1 + extra {
            return Err(CborError::Truncated);
        }
        let mut n: u64 = 0;
        for b in &head[1..=extra] {
            n = (n << 8) | u64::from(*b);
        }
        usize::try_from(n).map_err(|_| CborError::LengthExceedsInput { declared: n })
    }

    fn enter(&self, depth: usize) -> Result<usize, CborError> {
        let depth = depth + 1;
        if depth > self.max_depth {
            return Err(CborError::TooDeep {
                limit: self.max_depth,
            });
        }
        Ok(depth)
    }
}

/// Appends the shortest CBOR head of major type `major` with argument `n`.
pub(crate) fn push_head(out: &mut Vec<u8>, major: u8, n: u64) {
    let m = major << 5;
    match n {
        0..=23 => out.push(m | n as u8),
        24..=0xff => out.extend_from_slice(&[m | 24, n as u8]),
        0x100..=0xffff => {
            out.push(m | 25);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(m | 26);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        }
        _ => {
            out.push(m | 27);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
}

/// Bytes of the shortest CBOR head for argument `n` (an integer, length or tag).
pub(crate) fn head_len(n: u64) -> usize {
    match n {
        0..=23 => 1,
        24..=0xff => 2,
        0x100..=0xffff => 3,
        0x1_0000..=0xffff_ffff => 5,
        _ => 9,
    }
}

/// Decodes exactly one CBOR item from `bytes`, with nesting bounded by
/// `max_depth`. Trailing bytes, indefinite lengths and non-shortest heads are
/// errors, so whatever decodes re-encodes (with [`encode`]) to the same bytes.
pub fn decode(bytes: &[u8], max_depth: usize) -> Result<Value, CborError> {
    decode_into(bytes, max_depth).map(|(v, _)| v)
}

/// One item of `bytes` built as `T`, and whether its maps' keys are sorted.
fn decode_into<'a, T: Tree<'a>>(bytes: &'a [u8], max_depth: usize) -> Result<(T, bool), CborError> {
    let mut d = Decoder {
        input: bytes,
        reader: SliceReader::new(bytes),
        max_depth,
        sorted: true,
    };
    let v = d.item(0)?;
    let left = d.left();
    if left != 0 {
        return Err(CborError::TrailingBytes { count: left });
    }
    Ok((v, d.sorted))
}

/// What [`decode_ref`] read.
#[derive(Debug)]
pub struct Decoded<'a> {
    /// The item, its strings borrowed from the input.
    pub value: ValueRef<'a>,
    /// Whether every map's keys are in RFC 8949 §4.2.1 core deterministic
    /// order (sorted by their encoded bytes), which with the shortest heads
    /// and definite lengths the decoder enforces makes the input core
    /// deterministic CBOR (what [`keys_sorted`] says of a [`Value`]).
    pub sorted: bool,
}

/// [`decode`] without copying strings or byte strings.
pub fn decode_ref(bytes: &[u8], max_depth: usize) -> Result<Decoded<'_>, CborError> {
    decode_into(bytes, max_depth).map(|(value, sorted)| Decoded { value, sorted })
}

/// Reads one definite-length byte string with a shortest head at the start
/// of `bytes`, without copying: its content and the bytes the item took.
/// `None` if the bytes do not start with a complete one of at most
/// `max_len` content bytes (e.g. a torn tail).
pub fn bstr_prefix(bytes: &[u8], max_len: usize) -> Option<(&[u8], usize)> {
    let first = *bytes.first()?;
    if first >> 5 != major::BYTES || first & 0x1f == marker::START {
        return None;
    }
    let mut r = SliceReader::new(bytes);
    let b = <types::Bytes<&[u8]>>::decode(&mut r).ok()?.0;
    let used = head_len(b.len() as u64) + b.len();
    // A non-shortest head would make `used` disagree with what was read.
    let read = bytes.len() - {
        use dec::Read;
        r.fill(usize::MAX).map(|x| x.as_ref().len()).unwrap_or(0)
    };
    (used == read && b.len() <= max_len).then_some((b, used))
}

fn encode_into(v: &Value, w: &mut BufWriter, sort: bool) {
    // Writing into a Vec only fails on allocation failure, which aborts anyway.
    let _ = encode_item(v, w, sort);
}

fn encode_item(
    v: &Value,
    w: &mut BufWriter,
    sort: bool,
) -> Result<(), cbor4ii::core::enc::Error<std::collections::TryReserveError>> {
    match v {
        Value::Uint(n) => n.encode(w),
        Value::Nint(n) => types::Negative(*n).encode(w),
        Value::Bytes(b) => types::Bytes(b.as_slice()).encode(w),
        Value::Text(s) => s.as_str().encode(w),
        Value::Array(items) => {
            types::Array::bounded(items.len(), w)?;
            for i in items {
                encode_item(i, w, sort)?;
            }
            Ok(())
        }
        Value::Map(entries) => {
            types::Map::bounded(entries.len(), w)?;
            if sort {
                let mut enc: Vec<(Vec<u8>, &Value)> = entries
                    .iter()
                    .map(|(k, v)| (encode_with(k, true), v))
                    .collect();
                enc.sort_by(|a, b| a.0.cmp(&b.0));
                for (k, v) in enc {
                    w.push_raw(&k);
                    encode_item(v, w, sort)?;
                }
            } else {
                for (k, v) in entries {
                    encode_item(k, w, sort)?;
                    encode_item(v, w, sort)?;
                }
            }
            Ok(())
        }
        Value::Tag(t, inner) => {
            types::Tag(*t, types::Nothing).encode(w)?;
            encode_item(inner, w, sort)
        }
        Value::Bool(b) => b.encode(w),
        Value::Null => types::Null.encode(w),
    }
}

trait PushRaw {
    fn push_raw(&mut self, b: &[u8]);
}

impl PushRaw for BufWriter {
    fn push_raw(&mut self, b: &[u8]) {
        use cbor4ii::core::enc::Write;
        let _ = self.push(b);
    }
}

fn encode_with(v: &Value, sort: bool) -> Vec<u8> {
    let mut w = BufWriter::new(Vec::new());
    encode_into(v, &mut w, sort);
    w.into_inner()
}

/// Whether every map's keys are in RFC 8949 §4.2.1 order (bytewise order of
/// their encodings, strictly increasing). Text keys, the common case, are
/// compared without encoding them: for one major type, shorter heads and
/// lengths sort first, then the bytes.
pub fn keys_sorted(v: &Value) -> bool {
    match v {
        Value::Array(items) => items.iter().all(keys_sorted),
        Value::Tag(_, inner) => keys_sorted(inner),
        Value::Map(entries) => {
            entries.windows(2).all(|w| match (&w[0].0, &w[1].0) {
                (Value::Text(a), Value::Text(b)) => {
                    (a.len(), a.as_bytes()) < (b.len(), b.as_bytes())
                }
                (a, b) => encode(a) < encode(b),
            }) && entries
                .iter()
                .all(|(k, v)| keys_sorted(k) && keys_sorted(v))
        }
        _ => true,
    }
}

/// Encodes with shortest heads and definite lengths, keeping map order.
pub fn encode(v: &Value) -> Vec<u8> {
    encode_with(v, false)
}

/// Encodes in RFC 8949 §4.2.1 core deterministic encoding (map keys sorted by
/// their encoded bytes).
pub fn encode_deterministic(v: &Value) -> Vec<u8> {
    encode_with(v, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn round_trips_shortest_forms() {
        for h in [
            "00",
            "17",
            "1818",
            "190100",
            "20",
            "3818",
            "4100",
            "6161",
            "80",
            "a0",
            "c0a0",
            "f4",
            "f5",
            "f6",
            "1bffffffffffffffff",
        ] {
            let b = hex(h);
            let v = decode(&b, 16).unwrap();
            assert_eq!(encode(&v), b, "{h}");
        }
    }

    #[test]
    fn non_minimal_heads_are_refused() {
        for h in [
            "1817",
            "190017",
            "1a00000017",
            "1b0000000000000017",
            "3817",
            "5801aa",
            "780161",
            "9800",
            "b800",
            "d81200",
            "d9001200",
        ] {
            assert_eq!(decode(&hex(h), 16), Err(CborError::NonMinimal), "{h}");
        }
    }

    #[test]
    fn refuses_indefinite_floats_duplicates_depth_and_lies() {
        assert_eq!(decode(&hex("9fff"), 16), Err(CborError::IndefiniteLength));
        assert_eq!(
            decode(&hex("5f41004100ff"), 16),
            Err(CborError::IndefiniteLength)
        );
        assert!(matches!(
            decode(&hex("f93c00"), 16),
            Err(CborError::Unsupported { .. })
        ));
        assert!(matches!(
            decode(&hex("f7"), 16),
            Err(CborError::Unsupported { .. })
        ));
        assert_eq!(decode(&hex("a201020102"), 16), Err(CborError::DuplicateKey));
        assert_eq!(
            decode(&hex("818181818100"), 4),
            Err(CborError::TooDeep { limit: 4 })
        );
        assert!(decode(&hex("818181818100"), 5).is_ok());
        // A 4 GiB byte string declared in five bytes is refused before allocation.
        assert_eq!(
            decode(&hex("5affffffff00"), 16),
            Err(CborError::LengthExceedsInput {
                declared: 0xffff_ffff
            })
        );
        assert_eq!(
            decode(&hex("9bffffffffffffffff"), 16).map(|_| ()),
            Err(CborError::LengthExceedsInput { declared: u64::MAX })
        );
        assert_eq!(
            decode(&hex("0000"), 16),
            Err(CborError::TrailingBytes { count: 1 })
        );
        assert_eq!(decode(&hex("62c328"), 16), Err(CborError::InvalidUtf8));
        assert_eq!(
            decode(&hex("430102"), 16).map(|_| ()),
            Err(CborError::LengthExceedsInput { declared: 3 })
        );
    }

    #[test]
    fn keys_sorted_agrees_with_deterministic_encoding() {
        let keys = [
            "a", "b", "aa", "ab", "z", "zz", "aaa", "", "b\u{e9}", "\u{e9}",
        ];
        for x in keys {
            for y in keys {
                let m = Value::Map(vec![
                    (Value::Text(x.into()), Value::Uint(1)),
                    (Value::Text(y.into()), Value::Uint(2)),
                ]);
                let det = encode_deterministic(&m) == encode(&m) && x != y;
                assert_eq!(keys_sorted(&m), det, "{x:?} {y:?}");
            }
        }
        let mixed = Value::Map(vec![
            (Value::Uint(10), Value::Null),
            (Value::Text("a".into()), Value::Null),
        ]);
        assert!(keys_sorted(&mixed));
        let nested = Value::Array(vec![Value::Map(vec![
            (Value::Text("b".into()), Value::Null),
            (Value::Text("a".into()), Value::Null),
        ])]);
        assert!(!keys_sorted(&nested));
    }

    #[test]
    fn push_head_writes_the_shortest_head() {
        for n in [
            0u64,
            23,
            24,
            255,
            256,
            65_535,
            65_536,
            u32::MAX as u64,
            1 << 32,
            u64::MAX,
        ] {
            let mut out = Vec::new();
            push_head(&mut out, 0, n);
            assert_eq!(out, encode(&Value::Uint(n)), "{n}");
            assert_eq!(out.len(), head_len(n));
        }
    }

    /// Review finding: duplicate keys were found by comparing each key with
    /// every earlier one, so a 1 MiB map of ~200,000 keys cost minutes.
    #[test]
    fn map_entries_are_bounded_and_duplicates_found_in_one_pass() {
        let map = |n: u64, dup: Option<u64>| {
            let mut entries: Vec<(Value, Value)> =
                (0..n).map(|i| (Value::Uint(i), Value::Null)).collect();
            if let Some(d) = dup {
                entries.push((Value::Uint(d), Value::Null));
            }
            encode(&Value::Map(entries))
        };
        assert!(decode(&map(MAX_MAP_ENTRIES as u64, None), 4).is_ok());
        assert_eq!(
            decode(&map(MAX_MAP_ENTRIES as u64 - 1, Some(17)), 4),
            Err(CborError::DuplicateKey)
        );
        assert_eq!(
            decode(&map(MAX_MAP_ENTRIES as u64 + 1, None), 4),
            Err(CborError::TooManyEntries {
                declared: MAX_MAP_ENTRIES as u64 + 1
            })
        );
        // Keys of other types, far apart, and text keys that differ only in
        // length are told apart by their encodings.
        let texts = Value::Map(vec![
            (Value::Text("a".into()), Value::Null),
            (Value::Bytes(b"a".to_vec()), Value::Null),
            (Value::Text("aa".into()), Value::Null),
            (Value::Array(vec![Value::Uint(1)]), Value::Null),
            (Value::Text("a".into()), Value::Null),
        ]);
        assert_eq!(decode(&encode(&texts), 4), Err(CborError::DuplicateKey));
    }

    #[test]
    fn deterministic_sorts_keys_by_encoded_bytes() {
        let v = Value::Map(vec![
            (Value::Text("bb".into()), Value::Uint(1)),
            (Value::Text("a".into()), Value::Uint(2)),
            (Value::Uint(10), Value::Uint(3)),
        ]);
        assert_eq!(encode_deterministic(&v), hex("a30a0361610262626201"));
    }
}
