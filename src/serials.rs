//! A table keyed by vendor, model and serial, sized for inventories of
//! millions of units: each vendor and model is kept once, every serial's
//! bytes once in one buffer, and a row costs a few dozen bytes instead of
//! three allocations. Hashing is the standard library's keyed SipHash, so
//! serials chosen to collide cannot make lookups slow.

use hashbrown::HashTable;
use std::collections::HashMap;
use std::hash::BuildHasher;

/// One row: its vendor and model by number, where its serial's bytes are
/// (start in the low 40 bits, length in the high 24), and its value.
#[derive(Debug, Clone)]
struct Slot<V> {
    pair: u32,
    at: u64,
    value: V,
}

/// Longest serial a table keeps (16 MiB: far above any statement's or
/// deployment row's).
pub const MAX_SERIAL_BYTES: usize = (1 << 24) - 1;
/// Most serial bytes one table keeps (1 TiB).
const MAX_TEXT_BYTES: usize = 1 << 40;

/// Values by (vendor, model, serial).
#[derive(Debug, Clone)]
pub struct SerialTable<V> {
    /// Vendor, then model, to the pair's number.
    pairs: HashMap<String, HashMap<String, u32>>,
    /// Each pair by number.
    names: Vec<(String, String)>,
    /// Every serial's bytes, once.
    text: String,
    table: HashTable<Slot<V>>,
    hasher: std::collections::hash_map::RandomState,
}

impl<V> Default for SerialTable<V> {
    fn default() -> Self {
        SerialTable {
            pairs: HashMap::new(),
            names: Vec::new(),
            text: String::new(),
            table: HashTable::new(),
            hasher: Default::default(),
        }
    }
}

/// What [`SerialTable::insert`] found.
pub enum Inserted<'a, V> {
    /// The key was new; the value is stored.
    New,
    /// The key was there already, with this value (the new one is dropped).
    Existing(&'a mut V),
}

impl<V> SerialTable<V> {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty table with room for `rows` rows (no regrowth on the way).
    pub fn with_capacity(rows: usize) -> Self {
        SerialTable {
            table: HashTable::with_capacity(rows),
            ..Self::default()
        }
    }

    /// Rows in the table.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    fn pair(&self, vendor: &str, model: &str) -> Option<u32> {
        self.pairs.get(vendor)?.get(model).copied()
    }

    fn serial_of<'a>(text: &'a str, s: &Slot<V>) -> &'a str {
        let start = (s.at & ((1 << 40) - 1)) as usize;
        let len = (s.at >> 40) as usize;
        text.get(start..start + len).unwrap_or_default()
    }

    /// The value for a key.
    pub fn get(&self, vendor: &str, model: &str, serial: &str) -> Option<&V> {
        let pair = self.pair(vendor, model)?;
        let hash = self.hasher.hash_one((pair, serial));
        let text = &self.text;
        self.table
            .find(hash, |s| {
                s.pair == pair && Self::serial_of(text, s) == serial
            })
            .map(|s| &s.value)
    }

    /// Stores `value` under the key unless the key is there already. A
    /// serial longer than [`MAX_SERIAL_BYTES`] is refused (`None`).
    pub fn insert(
        &mut self,
        vendor: &str,
        model: &str,
        serial: &str,
        value: V,
    ) -> Option<Inserted<'_, V>> {
        if serial.len() > MAX_SERIAL_BYTES || self.text.len() + serial.len() > MAX_TEXT_BYTES {
            return None;
        }
        let pair = match self.pair(vendor, model) {
            Some(p) => p,
            None => {
                let p = self.names.len() as u32;
                self.pairs
                    .entry(vendor.to_owned())
                    .or_default()
                    .insert(model.to_owned(), p);
                self.names.push((vendor.to_owned(), model.to_owned()));
                p
            }
        };
        let hash = self.hasher.hash_one((pair, serial));
        let (text, hasher) = (&mut self.text, &self.hasher);
        let entry = self.table.entry(
            hash,
            |s| s.pair == pair && Self::serial_of(text, s) == serial,
            |s| hasher.hash_one((s.pair, Self::serial_of(text, s))),
        );
        Some(match entry {
            hashbrown::hash_table::Entry::Occupied(o) => {
                Inserted::Existing(&mut o.into_mut().value)
            }
            hashbrown::hash_table::Entry::Vacant(v) => {
                let at = text.len() as u64 | ((serial.len() as u64) << 40);
                text.push_str(serial);
                v.insert(Slot { pair, at, value });
                Inserted::New
            }
        })
    }

    /// Every row: vendor, model, serial and value, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str, &str, &V)> {
        self.table.iter().filter_map(|s| {
            let (vendor, model) = self.names.get(s.pair as usize)?;
            Some((
                vendor.as_str(),
                model.as_str(),
                Self::serial_of(&self.text, s),
                &s.value,
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_vendor_model_and_serial() {
        let mut t = SerialTable::new();
        assert!(matches!(t.insert("a", "m", "1", 10), Some(Inserted::New)));
        assert!(matches!(t.insert("a", "m2", "1", 11), Some(Inserted::New)));
        assert!(matches!(t.insert("b", "m", "1", 12), Some(Inserted::New)));
        assert!(matches!(t.insert("a", "m", "12", 13), Some(Inserted::New)));
        match t.insert("a", "m", "1", 99) {
            Some(Inserted::Existing(v)) => assert_eq!(*v, 10),
            _ => panic!("a second row for a key"),
        }
        assert!(
            t.insert("a", "m", &"x".repeat(MAX_SERIAL_BYTES + 1), 1)
                .is_none()
        );
        assert_eq!(size_of::<Slot<u32>>(), 16);
        assert_eq!(t.get("a", "m", "1"), Some(&10));
        assert_eq!(t.get("a", "m2", "1"), Some(&11));
        assert_eq!(t.get("b", "m", "1"), Some(&12));
        assert_eq!(t.get("a", "m", "12"), Some(&13));
        assert_eq!(t.get("a", "m", "2"), None);
        assert_eq!(t.get("c", "m", "1"), None);
        assert_eq!(t.len(), 4);
        let mut all: Vec<_> = t.iter().map(|(v, m, s, x)| (v, m, s, *x)).collect();
        all.sort();
        assert_eq!(all[0], ("a", "m", "1", 10));
        // Survives growth.
        for i in 0..10_000 {
            t.insert("v", "m", &i.to_string(), i);
        }
        assert!((0..10_000).all(|i| t.get("v", "m", &i.to_string()) == Some(&i)));
    }
}
