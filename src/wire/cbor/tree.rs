//! The borrowed data model ([`ValueRef`]), what the decoder builds either
//! model through ([`Tree`]), and what both answer alike ([`Node`]).

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

/// One level of an item of either model, its children left as they are:
/// the questions both models answer alike are answered here, once.
pub(super) enum View<'v, T> {
    Uint(u64),
    Nint(u64),
    Bytes(&'v [u8]),
    Text(&'v str),
    Array(&'v [T]),
    Map(&'v [(T, T)]),
    Tag(u64, &'v T),
    Bool(bool),
    Null,
}

/// An item of either model, seen one level at a time.
pub(super) trait Node: Sized {
    fn view(&self) -> View<'_, Self>;

    /// See [`Value::as_text`].
    fn text(&self) -> Option<&str> {
        match self.view() {
            View::Text(s) => Some(s),
            _ => None,
        }
    }

    /// See [`Value::as_label`].
    fn label(&self) -> Option<i64> {
        match self.view() {
            View::Uint(n) => i64::try_from(n).ok(),
            View::Nint(n) => i64::try_from(n).ok().map(|n| -1 - n),
            _ => None,
        }
    }

    /// The value of the first entry of a map whose key `is` the one asked.
    fn entry(&self, is: impl Fn(&Self) -> bool) -> Option<&Self> {
        match self.view() {
            View::Map(entries) => entries.iter().find(|(k, _)| is(k)).map(|(_, v)| v),
            _ => None,
        }
    }

    /// See [`Value::kind`].
    fn kind_name(&self) -> &'static str {
        match self.view() {
            View::Uint(_) | View::Nint(_) => "integer",
            View::Bytes(_) => "byte string",
            View::Text(_) => "text string",
            View::Array(_) => "array",
            View::Map(_) => "map",
            View::Tag(..) => "tag",
            View::Bool(_) => "boolean",
            View::Null => "null",
        }
    }
}

impl Node for Value {
    fn view(&self) -> View<'_, Self> {
        match self {
            Value::Uint(n) => View::Uint(*n),
            Value::Nint(n) => View::Nint(*n),
            Value::Bytes(b) => View::Bytes(b),
            Value::Text(t) => View::Text(t),
            Value::Array(items) => View::Array(items),
            Value::Map(entries) => View::Map(entries),
            Value::Tag(t, inner) => View::Tag(*t, inner),
            Value::Bool(b) => View::Bool(*b),
            Value::Null => View::Null,
        }
    }
}

impl Node for ValueRef<'_> {
    fn view(&self) -> View<'_, Self> {
        match self {
            ValueRef::Uint(n) => View::Uint(*n),
            ValueRef::Nint(n) => View::Nint(*n),
            ValueRef::Bytes(b) => View::Bytes(b),
            ValueRef::Text(t) => View::Text(t),
            ValueRef::Array(items) => View::Array(items),
            ValueRef::Map(entries) => View::Map(entries),
            ValueRef::Tag(t, inner) => View::Tag(*t, inner),
            ValueRef::Bool(b) => View::Bool(*b),
            ValueRef::Null => View::Null,
        }
    }
}

/// An item of one model rebuilt in the other (or the same).
fn rebuild<'v, S: Node, T: Tree<'v>>(v: &'v S) -> T {
    match v.view() {
        View::Uint(n) => T::uint(n),
        View::Nint(n) => T::nint(n),
        View::Bytes(b) => T::bytes(b),
        View::Text(t) => T::text(t),
        View::Array(items) => T::array(items.iter().map(rebuild).collect()),
        View::Map(entries) => T::map(
            entries
                .iter()
                .map(|(k, v)| (rebuild(k), rebuild(v)))
                .collect(),
        ),
        View::Tag(t, inner) => T::tag(t, rebuild(inner)),
        View::Bool(b) => T::bool(b),
        View::Null => T::null(),
    }
}

impl ValueRef<'_> {
    /// The same item owning its strings.
    pub fn to_value(&self) -> Value {
        rebuild(self)
    }

    /// The text, if this is a text string.
    pub fn as_text(&self) -> Option<&str> {
        self.text()
    }

    /// Looks an integer label up in a map (COSE header labels).
    pub fn get_label(&self, label: i64) -> Option<&Self> {
        self.entry(|k| k.label() == Some(label))
    }

    /// The value as a signed integer label (see [`Value::as_label`]).
    pub fn as_label(&self) -> Option<i64> {
        self.label()
    }

    /// A short name of the item's kind (see [`Value::kind`]).
    pub fn kind(&self) -> &'static str {
        self.kind_name()
    }
}

impl Value {
    /// The same item, its strings borrowed from this one.
    pub fn borrow(&self) -> ValueRef<'_> {
        rebuild(self)
    }

    /// The text, if this is a text string.
    pub fn as_text(&self) -> Option<&str> {
        self.text()
    }

    /// Looks a text key up in a map.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entry(|k| k.text() == Some(key))
    }

    /// Looks an integer label up in a map (COSE header labels).
    pub fn get_label(&self, label: i64) -> Option<&Value> {
        self.entry(|k| k.label() == Some(label))
    }

    /// The value as a signed integer label, if it is an integer in `i64` range.
    pub fn as_label(&self) -> Option<i64> {
        self.label()
    }

    /// A short name of the item's kind, for error messages.
    pub fn kind(&self) -> &'static str {
        self.kind_name()
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
