//! The short-form report's JSON payload (the JWS encoding) as a typed
//! [`SafeReport`]. Fields the format defines are typed; a field outside it
//! is noted, not trusted.

use super::{Issue, ReportError, SafeReport, err, hash_field, parse_cvss};
use crate::wire::digest::{COSE_SHA384, COSE_SHA512};
use crate::wire::time::Timestamp;
use serde_json::{Map, Value};

const TOP: [&str; 4] = ["review_framework_version", "device", "audit", "iat"];
const DEVICE: [&str; 9] = [
    "vendor",
    "product",
    "category",
    "repo_tag",
    "fw_version",
    "fw_hash_sha2_384",
    "fw_hash_sha2_512",
    "manifest",
    "class_id",
];
const AUDIT: [&str; 8] = [
    "srp",
    "methodology",
    "completion_date",
    "report_version",
    "scope_number",
    "solid_ver",
    "cvss_version",
    "issues",
];
const ISSUE: [&str; 6] = [
    "title",
    "cvss_score",
    "cvss_vector",
    "cwe",
    "description",
    "cve",
];

fn object<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>, ReportError> {
    v.as_object()
        .map_or_else(|| err(format!("{path} is not a JSON object")), Ok)
}

fn note_unknown(m: &Map<String, Value>, known: &[&str], path: &str, notes: &mut Vec<String>) {
    for k in m.keys() {
        if !known.contains(&k.as_str()) {
            notes.push(format!(
                "{path}{k} is not a field of the S.A.F.E. format; ignored"
            ));
        }
    }
}

/// A text field: absent or null is `None`; a number is its JSON text
/// (`scope_number` is written both ways); anything else is an error.
fn text(m: &Map<String, Value>, key: &str, path: &str) -> Result<Option<String>, ReportError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => err(format!("{path}{key} must be text, found {}", kind(other))),
    }
}

fn required(m: &Map<String, Value>, key: &str, path: &str) -> Result<String, ReportError> {
    text(m, key, path)?.map_or_else(|| err(format!("{path}{key} is missing")), Ok)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `YYYY-MM-DD` as that day's 00:00:00Z.
pub(super) fn date(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    Timestamp::parse_utc(&format!("{s}T00:00:00Z")).ok()
}

/// Reads the payload bytes: one JSON object, no key twice at any depth.
pub(super) fn from_json(
    bytes: &[u8],
    max_issues: usize,
) -> Result<(SafeReport, Value), ReportError> {
    crate::json::check_unique_keys(bytes)
        .map_err(|e| ReportError(format!("payload is not strict JSON: {e}")))?;
    let v: Value = serde_json::from_slice(bytes)
        .map_err(|e| ReportError(format!("payload is not JSON: {e}")))?;
    let top = object(&v, "payload")?;
    let mut notes = Vec::new();
    note_unknown(top, &TOP, "", &mut notes);
    let device = object(top.get("device").unwrap_or(&Value::Null), "device")?;
    let audit = object(top.get("audit").unwrap_or(&Value::Null), "audit")?;
    note_unknown(device, &DEVICE, "device.", &mut notes);
    note_unknown(audit, &AUDIT, "audit.", &mut notes);

    let mut image_digests = Vec::new();
    for (field, alg) in [
        ("fw_hash_sha2_384", COSE_SHA384),
        ("fw_hash_sha2_512", COSE_SHA512),
    ] {
        if let Some(raw) = text(device, field, "device.")? {
            image_digests.extend(hash_field(
                &format!("device.{field}"),
                &raw,
                alg,
                &mut notes,
            ));
        }
    }
    if device.contains_key("manifest") {
        notes.push(
            "the report reviews a manifest of files: its hashes are of the manifest, not of one image".into(),
        );
    }
    let when = required(audit, "completion_date", "audit.")?;
    let completion = date(&when);
    if completion.is_none() {
        notes.push(format!(
            "audit.completion_date '{}' is not a YYYY-MM-DD date: the report counts for nothing",
            when.escape_debug()
        ));
    }
    let Some(Value::Array(raw_issues)) = audit.get("issues") else {
        return err("audit.issues is missing or not an array");
    };
    if raw_issues.len() > max_issues {
        return err(format!(
            "audit.issues lists {} issues, over the limit of {max_issues}",
            raw_issues.len()
        ));
    }
    let mut issues = Vec::with_capacity(raw_issues.len());
    for (n, raw) in raw_issues.iter().enumerate() {
        let path = format!("audit.issues[{n}].");
        let m = object(raw, &format!("audit.issues[{n}]"))?;
        note_unknown(m, &ISSUE, &path, &mut notes);
        let cvss_score = required(m, "cvss_score", &path)?;
        issues.push(Issue {
            title: text(m, "title", &path)?.unwrap_or_default(),
            cvss: parse_cvss(&cvss_score),
            cvss_score,
            cvss_vector: text(m, "cvss_vector", &path)?.unwrap_or_default(),
            cwe: text(m, "cwe", &path)?.unwrap_or_default(),
            cve: text(m, "cve", &path)?,
            description: text(m, "description", &path)?.unwrap_or_default(),
        });
    }
    let report = SafeReport {
        framework_version: text(top, "review_framework_version", "")?.unwrap_or_default(),
        vendor: required(device, "vendor", "device.")?,
        product: required(device, "product", "device.")?,
        fw_version: text(device, "fw_version", "device.")?.unwrap_or_default(),
        repo_tag: text(device, "repo_tag", "device.")?,
        image_digests,
        provider: required(audit, "srp", "audit.")?,
        methodology: text(audit, "methodology", "audit.")?,
        completion,
        report_version: text(audit, "report_version", "audit.")?,
        scope_number: text(audit, "scope_number", "audit.")?,
        cvss_version: text(audit, "cvss_version", "audit.")?,
        issues,
        notes,
    };
    Ok((report, v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(
            date("2025-02-05").map(|t| t.to_string()),
            Some("2025-02-05T00:00:00Z".into())
        );
        assert_eq!(date("None"), None);
        assert_eq!(date("2025-2-05"), None);
        assert_eq!(date("2025-02-30"), None);
    }

    #[test]
    fn typed_fields_and_notes() {
        let j = br#"{"review_framework_version":"1.1","device":{"vendor":"V","product":"P","fw_version":"1","fw_hash_sha2_384":"","fw_hash_sha2_512":"","colour":"red"},"audit":{"srp":"S","completion_date":"2025-01-02","scope_number":1.0,"issues":[{"title":"t","cvss_score":"7.0","cve":null}]}}"#;
        let (r, _) = from_json(j, 10).unwrap();
        assert_eq!(r.scope_number.as_deref(), Some("1.0"));
        assert_eq!(r.issues[0].cvss, Some(70));
        assert_eq!(r.issue_reaching(70).map(|i| i.title.as_str()), Some("t"));
        assert!(r.issue_reaching(71).is_none());
        assert!(r.image_digests.is_empty());
        assert_eq!(
            r.notes,
            ["device.colour is not a field of the S.A.F.E. format; ignored"]
        );
        let dup = br#"{"device":{},"device":{}}"#;
        assert!(from_json(dup, 10).unwrap_err().0.contains("duplicate key"));
        let many = br#"{"device":{"vendor":"V","product":"P"},"audit":{"srp":"S","completion_date":"2025-01-02","issues":[{"cvss_score":"1"},{"cvss_score":"1"}]}}"#;
        assert!(from_json(many, 1).unwrap_err().0.contains("over the limit"));
    }
}
