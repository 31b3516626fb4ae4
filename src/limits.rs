//! Resource limits applied to every untrusted input before it is parsed,
//! and the work budgets counted down while it is checked: every bound in
//! one place.

/// Bounds for parsing untrusted bytes. Every parser in hwprov takes one and
/// refuses input over a bound before allocating for it.
///
/// The defaults are the minimums of SPEC section 4: a verifier must accept at
/// least this much, and hwprov accepts exactly this much.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest single statement (tagged COSE message), in bytes. Default 1 MiB.
    pub max_statement_bytes: usize,
    /// Largest bundle file, in bytes. Default 64 MiB.
    pub max_bundle_bytes: usize,
    /// Most statements in one bundle. Default 10,000.
    pub max_statements: usize,
    /// Deepest CBOR nesting (arrays, maps and tags each count one). Default 16.
    pub max_depth: usize,
    /// Largest policy file, in bytes. Default 4 MiB.
    pub max_policy_bytes: usize,
    /// Largest JSON authoring file or state file, in bytes. Default 1 MiB.
    pub max_json_bytes: usize,
    /// Most firmware image bytes `gate` reads. It reads at most one byte
    /// past the release's declared size in any case; this bounds images with
    /// no readable release, or a release declaring more. Default 16 GiB.
    pub max_image_bytes: u64,
    /// Most signatures in one `COSE_Sign`. Default 16 (SPEC 4, work bounds).
    pub max_signatures: usize,
    /// Most entries in one CBOR map. Default 10,000 (SPEC 4, work bounds).
    pub max_map_entries: usize,
    /// Most signature checks one bundle may cost, counted down as each
    /// signature by a policy key is verified. Default 160,000: every
    /// signature of the largest bundle SPEC 4 allows (10,000 statements of
    /// 16 signatures), so no conforming bundle is refused; an embedder with
    /// a smaller budget (an update agent on a BMC) lowers it. Past it, the
    /// bundle is an input error.
    pub max_signature_checks: u64,
    /// Deepest `parent` chain of a policy entity. Default 32.
    pub max_ownership_depth: usize,
    /// Largest `public_key_file` a policy names, in bytes. Default 64 KiB.
    pub max_key_file_bytes: usize,
    /// Largest log entry, in bytes. Default 65,535: a C2SP tile entry
    /// bundle prefixes each entry with a big-endian uint16 length.
    pub max_log_entry_bytes: usize,
    /// Largest log `checkpoint` or `log.vkey` file, in bytes. Default 64 KiB.
    pub max_log_note_bytes: usize,
    /// Longest log origin or signed-note key name, in bytes. Default 256.
    pub max_log_origin_bytes: usize,
    /// Largest deployment file (SPEC 6.3), in bytes. Default 128 MiB: an
    /// inventory of two million units at 60 bytes a row.
    pub max_deployment_bytes: usize,
}

impl Limits {
    /// The limits of SPEC section 4.
    pub const DEFAULT: Limits = Limits {
        max_statement_bytes: 1 << 20,
        max_bundle_bytes: 64 << 20,
        max_statements: 10_000,
        max_depth: 16,
        max_policy_bytes: 4 << 20,
        max_json_bytes: 1 << 20,
        max_image_bytes: 16 << 30,
        max_signatures: 16,
        max_map_entries: 10_000,
        max_signature_checks: 160_000,
        max_ownership_depth: 32,
        max_key_file_bytes: 64 << 10,
        max_log_entry_bytes: 65_535,
        max_log_note_bytes: 64 << 10,
        max_log_origin_bytes: 256,
        max_deployment_bytes: 128 << 20,
    };
}

/// A count of work left, spent with `checked_sub` (as webpki's `Budget`):
/// the caller learns exactly when a bound is reached and nothing overflows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Budget {
    left: u64,
    exhausted: bool,
}

impl Budget {
    /// A budget of `n` units.
    pub(crate) fn new(n: u64) -> Budget {
        Budget {
            left: n,
            exhausted: false,
        }
    }

    /// Spends one unit; `false` (and exhausted from now on) if none is left.
    pub(crate) fn spend(&mut self) -> bool {
        self.spend_n(1)
    }

    /// Spends `n` units at once (a costlier check); `false` (and exhausted
    /// from now on) if fewer are left.
    pub(crate) fn spend_n(&mut self, n: u64) -> bool {
        match self.left.checked_sub(n) {
            Some(l) if !self.exhausted => {
                self.left = l;
                true
            }
            _ => {
                self.exhausted = true;
                false
            }
        }
    }

    /// Units left.
    pub(crate) fn left(&self) -> u64 {
        self.left
    }

    /// Whether a spend has been refused.
    pub(crate) fn exhausted(&self) -> bool {
        self.exhausted
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}
