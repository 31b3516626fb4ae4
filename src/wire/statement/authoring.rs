//! The JSON authoring form of SPEC section 5: a statement as readable JSON,
//! converted to and from the payload's CBOR value by field context
//! (digests, times and byte strings each have their text form).

use super::Statement;
use super::fields::{StatementError, bad};
use crate::wire::cbor::Value;
use crate::wire::digest::{AltDigest, Sha256};
use crate::wire::time::Timestamp;
use serde_json::{Map as JsonMap, Value as Json, json};

impl Statement {
    /// The JSON authoring form (SPEC section 5).
    pub fn to_json(&self) -> Json {
        value_to_json(&self.to_value(), Ctx::Top)
    }

    /// Parses the JSON authoring form. Every check of [`Statement::from_value`] applies.
    pub fn from_json(j: &Json) -> Result<Statement, StatementError> {
        Self::from_json_value(j)
    }

    /// Reads an authoring-form file's bytes as JSON, strictly: one value,
    /// and no object holding a key twice (which JSON parsers would read
    /// last-wins, so two readers could see two statements).
    pub fn read_json(bytes: &[u8]) -> Result<Json, serde_json::Error> {
        crate::json::check_unique_keys(bytes)?;
        serde_json::from_slice(bytes)
    }

    fn from_json_value(j: &Json) -> Result<Statement, StatementError> {
        Self::from_value(json_to_value(j, Ctx::Top, "")?)
    }
}

/// Where a JSON value sits, which decides how strings map to CBOR.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    /// The top-level map.
    Top,
    /// A nested value outside `ext`.
    Inner,
    /// A string that is a digest.
    Digest,
    /// An array of digests.
    DigestList,
    /// A release's `digests`: `sha384:` / `sha512:` strings.
    AltDigestList,
    /// A string that is a time.
    Time,
    /// Inside `ext`: plain mapping.
    Ext,
}

fn child_ctx(parent: Ctx, key: &str) -> Ctx {
    match (parent, key) {
        (Ctx::Ext, _) => Ctx::Ext,
        (Ctx::Top, "ext") => Ctx::Ext,
        (Ctx::Top, "issued" | "expires") => Ctx::Time,
        (Ctx::Top | Ctx::Inner, "image" | "subject") => Ctx::Digest,
        (Ctx::Top | Ctx::Inner, "inputs" | "provenance") => Ctx::DigestList,
        (Ctx::Top, "digests") => Ctx::AltDigestList,
        _ => Ctx::Inner,
    }
}

fn json_to_value(j: &Json, ctx: Ctx, path: &str) -> Result<Value, StatementError> {
    let p = if path.is_empty() { "statement" } else { path };
    match (ctx, j) {
        (Ctx::Digest, Json::String(s)) => {
            Sha256::parse_text(s).map(|d| d.to_cbor()).map_err(|_| {
                bad(
                    p,
                    format!("'{s}' is not a digest of the form sha256:<64 lower-case hex>"),
                )
            })
        }
        (Ctx::Digest, _) => Err(bad(p, "expected a digest string sha256:<hex>")),
        (Ctx::Time, Json::String(s)) => Timestamp::parse_utc(s)
            .map(|t| Value::Uint(t.0))
            .map_err(|e| bad(p, format!("'{s}': {e}"))),
        (Ctx::Time, _) => Err(bad(
            p,
            "expected an RFC 3339 UTC time string such as \"2026-01-01T00:00:00Z\"",
        )),
        (Ctx::DigestList, Json::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, x)| json_to_value(x, Ctx::Digest, &format!("{path}[{i}]")))
            .collect::<Result<_, _>>()
            .map(Value::Array),
        (Ctx::DigestList, _) => Err(bad(p, "expected an array of digest strings")),
        (Ctx::AltDigestList, Json::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, x)| match x {
                Json::String(s) => AltDigest::parse_text(s).map(|d| d.to_cbor()).map_err(|_| {
                    bad(
                        &format!("{path}[{i}]"),
                        format!(
                            "'{s}' is not sha384:<96 lower-case hex> or sha512:<128 lower-case hex>"
                        ),
                    )
                }),
                _ => Err(bad(
                    &format!("{path}[{i}]"),
                    "expected a digest string sha384:<hex> or sha512:<hex>",
                )),
            })
            .collect::<Result<_, _>>()
            .map(Value::Array),
        (Ctx::AltDigestList, _) => Err(bad(
            p,
            "expected an array of digest strings (sha384:<hex>, sha512:<hex>)",
        )),
        (_, Json::Object(m)) => {
            let mut out = Vec::with_capacity(m.len());
            for (k, v) in m {
                let sub = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                out.push((
                    Value::Text(k.clone()),
                    json_to_value(v, child_ctx(ctx, k), &sub)?,
                ));
            }
            Ok(Value::Map(out))
        }
        (_, Json::Array(items)) => {
            let inner = if ctx == Ctx::Ext {
                Ctx::Ext
            } else {
                Ctx::Inner
            };
            items
                .iter()
                .enumerate()
                .map(|(i, x)| json_to_value(x, inner, &format!("{path}[{i}]")))
                .collect::<Result<_, _>>()
                .map(Value::Array)
        }
        (_, Json::String(s)) => Ok(Value::Text(s.clone())),
        (_, Json::Number(n)) => n.as_u64().map(Value::Uint).ok_or_else(|| {
            bad(
                p,
                format!("{n} is not an unsigned integer (the only numbers statements hold)"),
            )
        }),
        (_, Json::Bool(_) | Json::Null) => Err(bad(
            p,
            "booleans and null have no place in the authoring form (maps, arrays, text, unsigned integers only)",
        )),
    }
}

fn value_to_json(v: &Value, ctx: Ctx) -> Json {
    match (ctx, v) {
        (Ctx::Digest, _) => match Sha256::from_cbor(v) {
            Ok(d) => Json::String(d.to_string()),
            Err(_) => value_to_json(v, Ctx::Ext),
        },
        (Ctx::Time, Value::Uint(n)) => Json::String(Timestamp(*n).to_string()),
        (Ctx::AltDigestList, Value::Array(items)) => Json::Array(
            items
                .iter()
                .map(|x| match AltDigest::from_cbor(x) {
                    Ok(d) => Json::String(d.to_string()),
                    Err(_) => value_to_json(x, Ctx::Ext),
                })
                .collect(),
        ),
        (Ctx::DigestList, Value::Array(items)) => Json::Array(
            items
                .iter()
                .map(|x| value_to_json(x, Ctx::Digest))
                .collect(),
        ),
        (_, Value::Map(entries)) => {
            let mut m = JsonMap::new();
            for (k, x) in entries {
                let key = match k {
                    Value::Text(s) => s.clone(),
                    other => format!("{other:?}"),
                };
                let c = child_ctx(if ctx == Ctx::Ext { Ctx::Ext } else { ctx }, &key);
                m.insert(key, value_to_json(x, c));
            }
            Json::Object(m)
        }
        (_, Value::Array(items)) => {
            let inner = if ctx == Ctx::Ext {
                Ctx::Ext
            } else {
                Ctx::Inner
            };
            Json::Array(items.iter().map(|x| value_to_json(x, inner)).collect())
        }
        (_, Value::Uint(n)) => json!(n),
        (_, Value::Text(s)) => Json::String(s.clone()),
        // Only reachable inside `ext`, which the authoring form cannot write;
        // shown losslessly for inspection.
        // Below i64::MIN, JSON numbers (as serde_json holds them) end: such a
        // value is shown as its decimal text instead (found by fuzzing).
        (_, Value::Nint(n)) => {
            let v = -1i128 - i128::from(*n);
            i64::try_from(v).map_or_else(|_| json!({ "nint": v.to_string() }), Json::from)
        }
        (_, Value::Bytes(b)) => json!({ "bstr": crate::wire::digest::hex(b) }),
        (_, Value::Tag(t, x)) => json!({ "tag": t, "value": value_to_json(x, Ctx::Ext) }),
        (_, Value::Bool(b)) => json!(b),
        (_, Value::Null) => Json::Null,
    }
}

/// Renders any CBOR value as readable JSON (used by `inspect` for
/// payloads that did not pass the schema).
pub fn cbor_to_json(v: &Value) -> Json {
    value_to_json(v, Ctx::Top)
}
