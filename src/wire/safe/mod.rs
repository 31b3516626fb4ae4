//! OCP S.A.F.E. short-form reports (SPEC section 11): outside evidence that
//! an accredited Security Review Provider reviewed a firmware image, named
//! by its SHA-384 or SHA-512 digest. Two encodings: a JWS compact
//! serialisation over the report's JSON (review framework 1.x, the `jws` module) and
//! a COSE-signed CoRIM carrying the report as a CoMID extension (framework
//! 2.0, the `corim` module). Both parse to one [`SafeReport`]; which key verifies the
//! signature is the policy's business, not the report's (its `kid` is free
//! text).

mod corim;
mod jws;
mod sfr;

pub use corim::{COMID_TAG, CORIM_TAG, MAX_IMAGE_DIGESTS, is_corim};

use crate::limits::Limits;
use crate::wire::digest::AltDigest;
use crate::wire::eckey::{Curve, EvidenceKey};
use crate::wire::time::Timestamp;
use std::fmt;

/// Why bytes are not a S.A.F.E. report hwprov accepts (`evidence.malformed`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportError(pub String);

impl fmt::Display for ReportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ReportError {}

pub(crate) fn err<T>(msg: impl Into<String>) -> Result<T, ReportError> {
    Err(ReportError(msg.into()))
}

/// The two encodings of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// JWS compact serialisation over the report's JSON (framework 1.x).
    Jws,
    /// A COSE_Sign or COSE_Sign1 over a CoRIM (framework 2.0).
    Corim,
}

impl Encoding {
    /// `jws` or `corim`.
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Jws => "jws",
            Encoding::Corim => "corim",
        }
    }
}

/// One open issue the provider lists (fixed issues are not listed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// Short title.
    pub title: String,
    /// The CVSS base score as written (`"7.9"`).
    pub cvss_score: String,
    /// The score in tenths (79 for 7.9), when it reads as a score from 0.0
    /// to 10.0 with at most one decimal.
    pub cvss: Option<u16>,
    /// The CVSS base vector.
    pub cvss_vector: String,
    /// The CWE id.
    pub cwe: String,
    /// A CVE id, if one was assigned.
    pub cve: Option<String>,
    /// One or two sentences.
    pub description: String,
}

/// A short-form report, as typed values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafeReport {
    /// `review_framework_version`.
    pub framework_version: String,
    /// The vendor of the reviewed device or firmware (free text).
    pub vendor: String,
    /// The product (free text).
    pub product: String,
    /// The firmware version reviewed (may be empty, e.g. a ROM).
    pub fw_version: String,
    /// The source repository tag, if given.
    pub repo_tag: Option<String>,
    /// The image digests the report names, each a well-formed SHA-384 or
    /// SHA-512 (empty or malformed hash fields name nothing; see `notes`).
    pub image_digests: Vec<AltDigest>,
    /// The Security Review Provider as the report names it (free text; the
    /// provider that counts is the owner of the key that verifies it).
    pub provider: String,
    /// Test methodology, if given.
    pub methodology: Option<String>,
    /// When the review completed: the date at 00:00:00Z (JWS) or the
    /// CoRIM's epoch time. `None` when the JWS field is not a date (the
    /// published sample says `"None"`): such a report counts for nothing.
    pub completion: Option<Timestamp>,
    /// The provider's report version, if given.
    pub report_version: Option<String>,
    /// The OCP scope number as written, if given.
    pub scope_number: Option<String>,
    /// CVSS version of the scores, if given.
    pub cvss_version: Option<String>,
    /// Open issues.
    pub issues: Vec<Issue>,
    /// What was read but not used (an empty hash, a hash of the wrong
    /// length, a field outside the format), for `inspect`.
    pub notes: Vec<String>,
}

impl SafeReport {
    /// Whether the report names an image by this digest.
    pub fn names(&self, d: &AltDigest) -> bool {
        self.image_digests.contains(d)
    }

    /// The first issue at or above `max` tenths, or whose score does not
    /// read as a CVSS score (counted as reaching any maximum: strict).
    pub fn issue_reaching(&self, max: u16) -> Option<&Issue> {
        self.issues.iter().find(|i| i.cvss.is_none_or(|s| s >= max))
    }

    /// `vendor product fw_version`, for messages.
    pub fn describe(&self) -> String {
        let mut s = format!("{} {}", self.vendor, self.product);
        if !self.fw_version.is_empty() {
            s.push(' ');
            s.push_str(&self.fw_version);
        }
        s
    }
}

/// A parsed, not yet verified, report with what its signature covers.
#[derive(Debug, Clone)]
pub struct Signed {
    /// JWS or CoRIM.
    pub encoding: Encoding,
    /// The algorithm the report names, if any (CoRIM reports may name
    /// none; the key's curve then decides).
    pub alg: Option<Curve>,
    /// The `kid` as written (free text naming the provider; never used to
    /// choose a key).
    pub kid: Option<String>,
    /// The JWS header or the COSE headers, for `inspect`.
    pub header: serde_json::Value,
    /// The JWS payload JSON exactly as signed (JWS only), for `inspect`.
    pub payload_json: Option<serde_json::Value>,
    /// The report.
    pub report: SafeReport,
    signing_input: Vec<u8>,
    signature: Vec<u8>,
}

impl Signed {
    /// The curve whose keys may verify this report: the named algorithm's,
    /// or the one whose raw signatures have this signature's length.
    pub fn curve(&self) -> Option<Curve> {
        self.alg
            .or_else(|| Curve::of_signature_len(self.signature.len()))
    }

    /// Whether `key` verifies the report: its curve is the report's, and
    /// the ECDSA signature over the signing input verifies.
    pub fn verified_by(&self, key: &EvidenceKey) -> bool {
        self.curve() == Some(key.curve()) && key.verify(&self.signing_input, &self.signature)
    }

    /// The report as JSON for `hwprov inspect`.
    pub fn to_json(&self) -> serde_json::Value {
        let r = &self.report;
        let issues: Vec<serde_json::Value> = r
            .issues
            .iter()
            .map(|i| {
                serde_json::json!({
                    "title": i.title,
                    "cvss_score": i.cvss_score,
                    "cvss_vector": i.cvss_vector,
                    "cwe": i.cwe,
                    "cve": i.cve,
                    "description": i.description,
                })
            })
            .collect();
        let mut out = serde_json::json!({
            "format": "ocp-safe-report",
            "encoding": self.encoding.as_str(),
            "algorithm": self.curve().map(Curve::jose_alg),
            "kid": self.kid,
            "header": self.header,
            "report": {
                "review_framework_version": r.framework_version,
                "vendor": r.vendor,
                "product": r.product,
                "fw_version": r.fw_version,
                "repo_tag": r.repo_tag,
                "image_digests": r.image_digests.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "srp": r.provider,
                "methodology": r.methodology,
                "completion_date": r.completion.map(Timestamp::date),
                "completion_time": r.completion.map(|t| t.to_string()),
                "report_version": r.report_version,
                "scope_number": r.scope_number,
                "cvss_version": r.cvss_version,
                "issues": issues,
            },
            "notes": r.notes,
        });
        if let Some(p) = &self.payload_json {
            out["payload"] = p.clone();
        }
        out
    }
}

/// Whether bytes are a JWS compact serialisation (ASCII, starting with a
/// base64url JSON object: `eyJ`), the way SPEC 4 recognises one.
pub fn is_jws(bytes: &[u8]) -> bool {
    bytes.starts_with(b"eyJ")
}

/// Parses a report in either encoding: JWS by its first bytes, else a
/// tagged COSE message whose payload is a CoRIM. Bounded by `limits`
/// (the statement size, CBOR depth and map sizes; JSON nesting is bounded
/// by the JSON reader).
pub fn parse(bytes: &[u8], limits: &Limits) -> Result<Signed, ReportError> {
    if bytes.len() > limits.max_statement_bytes {
        return err(format!(
            "report is {} bytes, over the limit of {}",
            bytes.len(),
            limits.max_statement_bytes
        ));
    }
    if is_jws(bytes) {
        jws::parse(bytes, limits)
    } else {
        corim::parse(bytes, limits)
    }
}

/// Parses a CVSS base score as tenths: `0` to `10` with at most one
/// decimal (`"7.9"` is 79).
pub fn parse_cvss(s: &str) -> Option<u16> {
    let s = s.trim();
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    if int.is_empty() || int.len() > 2 || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let tenth = match frac {
        None => 0,
        Some(f) if f.len() == 1 && f.as_bytes()[0].is_ascii_digit() => {
            u16::from(f.as_bytes()[0] - b'0')
        }
        Some(_) => return None,
    };
    let v = int.parse::<u16>().ok()? * 10 + tenth;
    (v <= 100).then_some(v)
}

/// Tenths as a score (`79` as `7.9`).
pub fn cvss_text(tenths: u16) -> String {
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// Reads a hash field of the JSON report (`fw_hash_sha2_384` /
/// `fw_hash_sha2_512`): hex, optionally `0x`-prefixed, either case; empty
/// means absent. A value of the wrong length or not hex names no image
/// and is noted.
pub(crate) fn hash_field(
    field: &str,
    raw: &str,
    alg: i64,
    notes: &mut Vec<String>,
) -> Option<AltDigest> {
    let t = raw.trim();
    let t = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t);
    if t.is_empty() {
        return None;
    }
    let want = if alg == crate::wire::digest::COSE_SHA384 {
        96
    } else {
        128
    };
    let lower = t.to_ascii_lowercase();
    match crate::wire::digest::parse_hex(&lower) {
        Some(b) if b.len() * 2 == want => AltDigest::from_parts(alg, &b).ok(),
        Some(b) => {
            notes.push(format!(
                "{field} holds {} hex digits, not {want}: it names no image",
                b.len() * 2
            ));
            None
        }
        None => {
            notes.push(format!("{field} is not hex: it names no image"));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cvss_scores() {
        assert_eq!(parse_cvss("7.9"), Some(79));
        assert_eq!(parse_cvss("10.0"), Some(100));
        assert_eq!(parse_cvss("10"), Some(100));
        assert_eq!(parse_cvss(" 0.0 "), Some(0));
        assert_eq!(parse_cvss("10.1"), None);
        assert_eq!(parse_cvss("7.95"), None);
        assert_eq!(parse_cvss("N/A"), None);
        assert_eq!(parse_cvss(""), None);
        assert_eq!(parse_cvss("-1"), None);
        assert_eq!(parse_cvss("007"), None);
        assert_eq!(cvss_text(79), "7.9");
    }

    #[test]
    fn hash_fields() {
        let mut notes = Vec::new();
        let h = "ab".repeat(48);
        assert!(hash_field("f", &format!("0x{h}"), -43, &mut notes).is_some());
        assert!(hash_field("f", &h.to_uppercase(), -43, &mut notes).is_some());
        assert!(hash_field("f", "", -43, &mut notes).is_none());
        assert!(notes.is_empty());
        assert!(hash_field("f", &"ab".repeat(32), -44, &mut notes).is_none());
        assert_eq!(notes, ["f holds 64 hex digits, not 128: it names no image"]);
    }
}
