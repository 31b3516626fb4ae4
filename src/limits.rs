//! Resource limits applied to every untrusted input before it is parsed.

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
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}
