//! The strict reader of a payload's CBOR maps: every field known, each
//! of its type, and a misspelt field named with the closest known one.

use crate::wire::cbor::{CborError, ValueRef};
use crate::wire::digest::{AltDigest, COSE_SHA256, DigestError, Sha256};
use crate::wire::time::Timestamp;
use std::fmt;

/// Why a payload was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StatementError {
    /// Not well-formed CBOR in hwprov's profile (rule `statement.malformed`).
    Cbor(CborError),
    /// Differs from its deterministic re-encoding (rule `statement.noncanonical`).
    NonCanonical,
    /// A field is missing, unknown, or has the wrong type or value
    /// (rule `statement.malformed`).
    Malformed {
        /// Path of the field, e.g. `components[0].part`.
        field: String,
        /// What is wrong.
        problem: String,
    },
    /// A digest uses another algorithm than SHA-256 (rule `digest.unsupported`).
    DigestUnsupported {
        /// Path of the field.
        field: String,
        /// The algorithm id.
        alg: i64,
    },
}

impl fmt::Display for StatementError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatementError::Cbor(e) => write!(f, "payload: {e}"),
            StatementError::NonCanonical => write!(
                f,
                "payload is not in core deterministic CBOR encoding (RFC 8949 §4.2.1)"
            ),
            StatementError::Malformed { field, problem } => write!(f, "{field}: {problem}"),
            StatementError::DigestUnsupported { field, alg } => write!(
                f,
                "{field}: digest algorithm {alg} is not supported (only -16, SHA-256; a release's `digests` also take -43, SHA-384, and -44, SHA-512)"
            ),
        }
    }
}

impl std::error::Error for StatementError {}

pub(super) fn bad(field: &str, problem: impl Into<String>) -> StatementError {
    StatementError::Malformed {
        field: field.to_owned(),
        problem: problem.into(),
    }
}

/// Takes named fields out of a CBOR map and refuses whatever is left.
pub(super) struct Fields<'a> {
    path: String,
    entries: Vec<(&'a str, ValueRef<'a>)>,
    /// The field names asked for so far, for "did you mean" hints.
    asked: Vec<&'static str>,
}

/// Edit distance of two short names (insertions, deletions, substitutions);
/// `None` for long ones, which are not worth a hint.
pub(super) fn distance(a: &str, b: &str) -> Option<usize> {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len() > 32 || b.len() > 32 {
        return None;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev.last().copied()
}

/// Every field name of the statement schema (at any level): a key that is
/// one of them is never offered as a misspelling of another.
const FIELD_NAMES: &[&str] = &[
    "v",
    "type",
    "issuer",
    "issued",
    "expires",
    "ext",
    "stage",
    "part",
    "lot",
    "site",
    "name",
    "country",
    "inputs",
    "node",
    "product",
    "vendor",
    "model",
    "serial",
    "class",
    "components",
    "ref",
    "provenance",
    "firmware",
    "component",
    "version",
    "svn",
    "image",
    "target",
    "size",
    "subject",
    "scheme",
    "result",
];

/// The candidate closest to `name` within two edits, if any.
pub(super) fn closest<'a>(
    name: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .filter_map(|c| distance(name, c).filter(|d| *d <= 2).map(|d| (d, c)))
        .min()
        .map(|(_, c)| c)
}

impl<'a> Fields<'a> {
    pub(super) fn new(path: &str, v: ValueRef<'a>) -> Result<Fields<'a>, StatementError> {
        let ValueRef::Map(m) = v else {
            return Err(bad(
                path_or_root(path),
                format!("expected a map, found {}", v.kind()),
            ));
        };
        let mut entries = Vec::with_capacity(m.len());
        for (k, v) in m {
            let ValueRef::Text(k) = k else {
                return Err(bad(path_or_root(path), "map keys must be text"));
            };
            entries.push((k, v));
        }
        Ok(Fields {
            path: path.to_owned(),
            entries,
            asked: Vec::new(),
        })
    }

    pub(super) fn sub(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.path)
        }
    }

    pub(super) fn opt(&mut self, name: &'static str) -> Option<ValueRef<'a>> {
        self.asked.push(name);
        let i = self.entries.iter().position(|(k, _)| *k == name)?;
        Some(self.entries.swap_remove(i).1)
    }

    pub(super) fn req(&mut self, name: &'static str) -> Result<ValueRef<'a>, StatementError> {
        self.opt(name).ok_or_else(|| {
            let hint = closest(
                name,
                self.entries
                    .iter()
                    .map(|(k, _)| *k)
                    .filter(|k| !FIELD_NAMES.contains(k)),
            )
            .map_or(String::new(), |k| {
                format!(" (there is an unknown field `{k}`: a misspelling of `{name}`?)")
            });
            bad(&self.sub(name), format!("required field is missing{hint}"))
        })
    }

    /// Converts a field, building its path only if there is an error.
    pub(super) fn conv<T>(
        &mut self,
        name: &'static str,
        f: impl FnOnce(ValueRef<'a>) -> Result<T, Problem>,
    ) -> Result<T, StatementError> {
        let v = self.req(name)?;
        f(v).map_err(|p| p.at(self.sub(name)))
    }

    pub(super) fn opt_conv<T>(
        &mut self,
        name: &'static str,
        f: impl FnOnce(ValueRef<'a>) -> Result<T, Problem>,
    ) -> Result<Option<T>, StatementError> {
        match self.opt(name) {
            Some(v) => f(v).map(Some).map_err(|p| p.at(self.sub(name))),
            None => Ok(None),
        }
    }

    pub(super) fn text(&mut self, name: &'static str) -> Result<String, StatementError> {
        self.conv(name, as_text)
    }

    pub(super) fn uint(&mut self, name: &'static str) -> Result<u64, StatementError> {
        self.conv(name, as_uint)
    }

    pub(super) fn digest(&mut self, name: &'static str) -> Result<Sha256, StatementError> {
        self.conv(name, |v| as_digest(&v))
    }

    pub(super) fn map(&mut self, name: &'static str) -> Result<Fields<'a>, StatementError> {
        let v = self.req(name)?;
        Fields::new(&self.sub(name), v)
    }

    pub(super) fn array(
        &mut self,
        name: &'static str,
    ) -> Result<Vec<ValueRef<'a>>, StatementError> {
        self.conv(name, |v| match v {
            ValueRef::Array(items) => Ok(items),
            other => Err(Problem::Malformed(format!(
                "expected an array, found {}",
                other.kind()
            ))),
        })
    }

    pub(super) fn digests(&mut self, name: &'static str) -> Result<Vec<Sha256>, StatementError> {
        let items = self.array(name)?;
        let mut out = Vec::with_capacity(items.len());
        for (i, v) in items.iter().enumerate() {
            out.push(as_digest(v).map_err(|p| p.at(format!("{}[{i}]", self.sub(name))))?);
        }
        Ok(out)
    }

    /// An optional array of digests: empty when the field is absent.
    pub(super) fn opt_digests(
        &mut self,
        name: &'static str,
    ) -> Result<Vec<Sha256>, StatementError> {
        if self.entries.iter().any(|(k, _)| *k == name) {
            self.digests(name)
        } else {
            self.asked.push(name);
            Ok(Vec::new())
        }
    }

    /// The optional `digests` of a release (SPEC 3): SHA-384 and SHA-512
    /// of the image, at most one each, never empty (omit the field).
    pub(super) fn alt_digests(
        &mut self,
        name: &'static str,
    ) -> Result<Vec<AltDigest>, StatementError> {
        if !self.entries.iter().any(|(k, _)| *k == name) {
            self.asked.push(name);
            return Ok(Vec::new());
        }
        let items = self.array(name)?;
        let path = self.sub(name);
        if items.is_empty() {
            return Err(bad(&path, "must not be empty; omit the field instead"));
        }
        let mut out: Vec<AltDigest> = Vec::with_capacity(items.len());
        for (i, v) in items.iter().enumerate() {
            let d = AltDigest::from_cbor_ref(v).map_err(|e| match e {
                DigestError::Unsupported { alg } if alg != COSE_SHA256 => {
                    StatementError::DigestUnsupported {
                        field: format!("{path}[{i}]"),
                        alg,
                    }
                }
                _ => bad(
                    &format!("{path}[{i}]"),
                    "expected [-43, 48-byte bstr] (SHA-384) or [-44, 64-byte bstr] (SHA-512); the SHA-256 is the release's `image`",
                ),
            })?;
            if out.iter().any(|o| o.alg() == d.alg()) {
                return Err(bad(
                    &format!("{path}[{i}]"),
                    format!(
                        "a second {} digest; at most one of each algorithm",
                        d.name()
                    ),
                ));
            }
            out.push(d);
        }
        Ok(out)
    }

    pub(super) fn finish(self) -> Result<(), StatementError> {
        match self.entries.first() {
            None => Ok(()),
            Some((k, _)) => {
                let hint = closest(k, self.asked.iter().copied())
                    .map_or(String::new(), |n| format!("; did you mean `{n}`?"));
                Err(bad(&self.sub(k), format!("unknown field{hint}")))
            }
        }
    }
}

/// What is wrong with a value, before its path is known.
pub(super) enum Problem {
    Malformed(String),
    DigestUnsupported(i64),
}

impl Problem {
    pub(super) fn at(self, field: String) -> StatementError {
        match self {
            Problem::Malformed(problem) => StatementError::Malformed { field, problem },
            Problem::DigestUnsupported(alg) => StatementError::DigestUnsupported { field, alg },
        }
    }
}

pub(super) fn path_or_root(p: &str) -> &str {
    if p.is_empty() { "payload" } else { p }
}

pub(super) fn as_text(v: ValueRef<'_>) -> Result<String, Problem> {
    match v {
        ValueRef::Text(s) => Ok(s.to_owned()),
        other => Err(Problem::Malformed(format!(
            "expected text, found {}",
            other.kind()
        ))),
    }
}

pub(super) fn as_uint(v: ValueRef<'_>) -> Result<u64, Problem> {
    match v {
        ValueRef::Uint(n) => Ok(n),
        other => Err(Problem::Malformed(format!(
            "expected an unsigned integer, found {}",
            other.kind()
        ))),
    }
}

pub(super) fn as_time(v: ValueRef<'_>) -> Result<Timestamp, Problem> {
    let t = Timestamp(as_uint(v)?);
    if t > Timestamp::MAX {
        return Err(Problem::Malformed(format!(
            "time {} is after {}, the last time RFC 3339 can write",
            t.0,
            Timestamp::MAX
        )));
    }
    Ok(t)
}

pub(super) fn as_digest(v: &ValueRef<'_>) -> Result<Sha256, Problem> {
    Sha256::from_cbor_ref(v).map_err(|e| match e {
        DigestError::Unsupported { alg } => Problem::DigestUnsupported(alg),
        _ => Problem::Malformed("expected a digest [-16, 32-byte bstr]".into()),
    })
}

pub(super) fn nonempty(p: &str, s: String) -> Result<String, StatementError> {
    if s.is_empty() {
        Err(bad(p, "must not be empty"))
    } else {
        Ok(s)
    }
}
