//! Any bytes as log material: an entry, a signed note, a checkpoint body, a
//! verifier key. Never panics; accepted entries re-encode to the same bytes.
#![no_main]

use hwprov::audit::log::Entry;
use hwprov::wire::tlog::note::{self, Checkpoint, Verifier};
use libfuzzer_sys::fuzz_target;

const VKEY: &str = "example.com/hwprov-log+84376ddb+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea";

fuzz_target!(|data: &[u8]| {
    if let Ok(e) = Entry::decode(data) {
        assert_eq!(e.encode(), data, "accepted entry is not canonical");
    }
    let _ = hwprov::wire::cbor::bstr_prefix(data, 1 << 16);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Verifier::parse(text);
        if let Ok(cp) = Checkpoint::parse(text) {
            assert_eq!(Checkpoint::parse(&cp.text()), Ok(cp));
        }
        if let Ok(v) = Verifier::parse(VKEY) {
            let _ = note::open(text, &v);
        }
    }
});
