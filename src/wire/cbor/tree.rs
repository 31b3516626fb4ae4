//! The borrowed data model ([`ValueRef`]) and what the decoder builds
//! either model through ([`Tree`]).

use super::Value;

/// A decoded CBOR data item whose strings borrow from the input
/// ([`decode_ref`](super::decode_ref)): what a reader that keeps only some of the strings
/// decodes into, so the rest are never copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueRef<'a> {
    /// Major type 0.
    Uint(u64),
    /// Major type 1: the value is `-1 - n`.
    Nint(u64),
    /// Major type 2.
    Bytes(&'a [u8]),
    /// Major type 3.
    Text(&'a str),
    /// Major type 4.
    Array(Vec<ValueRef<'a>>),
    /// Major type 5, in the order read.
    Map(Vec<(ValueRef<'a>, ValueRef<'a>)>),
    /// Major type 6.
    Tag(u64, Box<ValueRef<'a>>),
    /// `true` / `false`.
    Bool(bool),
    /// `null`.
    Null,
}

impl ValueRef<'_> {
    /// The same item owning its strings.
    pub fn to_value(&self) -> Value {
        match self {
            ValueRef::Uint(n) => Value::Uint(*n),
            ValueRef::Nint(n) => Value::Nint(*n),
            ValueRef::Bytes(b) => Value::Bytes(b.to_vec()),
            ValueRef::Text(t) => Value::Text((*t).to_owned()),
            ValueRef::Array(items) => Value::Array(items.iter().map(ValueRef::to_value).collect()),
            ValueRef::Map(entries) => Value::Map(
                entries
                    .iter()
                    .map(|(k, v)| (k.to_value(), v.to_value()))
                    .collect(),
            ),
            ValueRef::Tag(t, inner) => Value::Tag(*t, Box::new(inner.to_value())),
            ValueRef::Bool(b) => Value::Bool(*b),
            ValueRef::Null => Value::Null,
        }
    }

    /// The text, if this is a text string.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            ValueRef::Text(s) => Some(s),
            _ => None,
        }
    }

    /// Looks an integer label up in a map (COSE header labels).
    pub fn get_label(&self, label: i64) -> Option<&Self> {
        match self {
            ValueRef::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_label() == Some(label))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value as a signed integer label (see [`Value::as_label`]).
    pub fn as_label(&self) -> Option<i64> {
        match self {
            ValueRef::Uint(n) => i64::try_from(*n).ok(),
            ValueRef::Nint(n) => i64::try_from(*n).ok().map(|n| -1 - n),
            _ => None,
        }
    }

    /// A short name of the item's kind (see [`Value::kind`]).
    pub fn kind(&self) -> &'static str {
        match self {
            ValueRef::Uint(_) | ValueRef::Nint(_) => "integer",
            ValueRef::Bytes(_) => "byte string",
            ValueRef::Text(_) => "text string",
            ValueRef::Array(_) => "array",
            ValueRef::Map(_) => "map",
            ValueRef::Tag(..) => "tag",
            ValueRef::Bool(_) => "boolean",
            ValueRef::Null => "null",
        }
    }
}

impl Value {
    /// The same item, its strings borrowed from this one.
    pub fn borrow(&self) -> ValueRef<'_> {
        match self {
            Value::Uint(n) => ValueRef::Uint(*n),
            Value::Nint(n) => ValueRef::Nint(*n),
            Value::Bytes(b) => ValueRef::Bytes(b),
            Value::Text(t) => ValueRef::Text(t),
            Value::Array(items) => ValueRef::Array(items.iter().map(Value::borrow).collect()),
            Value::Map(entries) => ValueRef::Map(
                entries
                    .iter()
                    .map(|(k, v)| (k.borrow(), v.borrow()))
                    .collect(),
            ),
            Value::Tag(t, inner) => ValueRef::Tag(*t, Box::new(inner.borrow())),
            Value::Bool(b) => ValueRef::Bool(*b),
            Value::Null => ValueRef::Null,
        }
    }
}

/// What the decoder builds: an owned [`Value`] or a borrowed [`ValueRef`].
pub(super) trait Tree<'a>: Sized {
    fn uint(n: u64) -> Self;
    fn nint(n: u64) -> Self;
    fn bytes(b: &'a [u8]) -> Self;
    fn text(s: &'a str) -> Self;
    fn array(items: Vec<Self>) -> Self;
    fn map(entries: Vec<(Self, Self)>) -> Self;
    fn tag(tag: u64, inner: Self) -> Self;
    fn bool(b: bool) -> Self;
    fn null() -> Self;
}

impl<'a> Tree<'a> for Value {
    fn uint(n: u64) -> Self {
        Value::Uint(n)
    }
    fn nint(n: u64) -> Self {
        Value::Nint(n)
    }
    fn bytes(b: &'a [u8]) -> Self {
        Value::Bytes(b.to_vec())
    }
    fn text(s: &'a str) -> Self {
        Value::Text(s.to_owned())
    }
    fn array(items: Vec<Self>) -> Self {
        Value::Array(items)
    }
    fn map(entries: Vec<(Self, Self)>) -> Self {
        Value::Map(entries)
    }
    fn tag(tag: u64, inner: Self) -> Self {
        Value::Tag(tag, Box::new(inner))
    }
    fn bool(b: bool) -> Self {
        Value::Bool(b)
    }
    fn null() -> Self {
        Value::Null
    }
}

impl<'a> Tree<'a> for ValueRef<'a> {
    fn uint(n: u64) -> Self {
        ValueRef::Uint(n)
    }
    fn nint(n: u64) -> Self {
        ValueRef::Nint(n)
    }
    fn bytes(b: &'a [u8]) -> Self {
        ValueRef::Bytes(b)
    }
    fn text(s: &'a str) -> Self {
        ValueRef::Text(s)
    }
    fn array(items: Vec<Self>) -> Self {
        ValueRef::Array(items)
    }
    fn map(entries: Vec<(Self, Self)>) -> Self {
        ValueRef::Map(entries)
    }
    fn tag(tag: u64, inner: Self) -> Self {
        ValueRef::Tag(tag, Box::new(inner))
    }
    fn bool(b: bool) -> Self {
        ValueRef::Bool(b)
    }
    fn null() -> Self {
        ValueRef::Null
    }
}

#[cfg(test)]
mod tests {
    use super::super::{decode, decode_ref, encode, keys_sorted};
    use super::*;

    #[test]
    fn the_decoders_sorted_flag_agrees_with_keys_sorted() {
        let keys = [
            Value::Text("a".into()),
            Value::Text("b".into()),
            Value::Text("aa".into()),
            Value::Text("".into()),
            Value::Text("x".repeat(30)),
            Value::Text("y".repeat(24)),
            Value::Uint(10),
            Value::Uint(300),
            Value::Nint(0),
            Value::Bytes(vec![1]),
        ];
        for x in &keys {
            for y in &keys {
                if x == y {
                    continue;
                }
                for nested in [false, true] {
                    let m = Value::Map(vec![(x.clone(), Value::Null), (y.clone(), Value::Uint(1))]);
                    let v = if nested {
                        Value::Array(vec![Value::Uint(1), Value::Map(vec![(Value::Uint(0), m)])])
                    } else {
                        m
                    };
                    let bytes = encode(&v);
                    let d = decode_ref(&bytes, 8).expect("decodes");
                    assert_eq!(d.sorted, keys_sorted(&v), "{x:?} {y:?} nested {nested}");
                    assert_eq!(d.value.to_value(), v);
                    assert_eq!(decode(&bytes, 8).as_ref(), Ok(&v));
                    assert_eq!(v.borrow(), d.value);
                }
            }
        }
    }
}
