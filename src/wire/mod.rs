//! What hwprov reads and writes, byte for byte: the formats of SPEC
//! sections 1 to 5 and 9 (the state file). Nothing here knows about a
//! policy or a verdict; every parser takes [`Limits`](crate::Limits).

pub mod bundle;
pub mod cbor;
pub mod country;
pub mod digest;
pub mod eckey;
pub mod envelope;
pub mod keys;
pub mod safe;
pub mod state;
pub mod statement;
pub mod time;
pub mod tlog;
