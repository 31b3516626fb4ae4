//! JWS compact serialisation (RFC 7515 section 7.1) of a short-form report,
//! read strictly: three base64url parts without padding or whitespace, a
//! JSON header naming ES384 or ES512 and no critical extension, the report
//! JSON as payload, and a raw `r || s` ECDSA signature (RFC 7518 section
//! 3.4) over `header.payload`.

use super::{Encoding, ReportError, Signed, err, sfr};
use crate::limits::Limits;
use crate::wire::eckey::Curve;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

fn part(name: &str, s: &str) -> Result<Vec<u8>, ReportError> {
    if s.is_empty() {
        return err(format!("the JWS {name} is empty"));
    }
    URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|e| ReportError(format!("the JWS {name} is not unpadded base64url: {e}")))
}

/// Parses a JWS report (not yet verified: see [`Signed::verified_by`]).
pub(super) fn parse(bytes: &[u8], limits: &Limits) -> Result<Signed, ReportError> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return err("a JWS report must be ASCII text");
    };
    if let Some(c) = text
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return err(format!(
            "a JWS compact serialisation holds only base64url characters and dots, found {:?}",
            c
        ));
    }
    let parts: Vec<&str> = text.split('.').collect();
    let [h, p, s] = parts.as_slice() else {
        return err(format!(
            "a JWS compact serialisation has 3 dot-separated parts, found {}",
            parts.len()
        ));
    };
    let header_bytes = part("header", h)?;
    let payload_bytes = part("payload", p)?;
    let signature = part("signature", s)?;

    crate::json::check_unique_keys(&header_bytes)
        .map_err(|e| ReportError(format!("the JWS header is not strict JSON: {e}")))?;
    let header: serde_json::Value = serde_json::from_slice(&header_bytes)
        .map_err(|e| ReportError(format!("the JWS header is not JSON: {e}")))?;
    let Some(hm) = header.as_object() else {
        return err("the JWS header is not a JSON object");
    };
    if hm.contains_key("crit") {
        return err(
            "the JWS header lists critical extensions (crit); hwprov supports none, so the report is refused",
        );
    }
    let alg = match hm.get("alg") {
        Some(serde_json::Value::String(a)) => Curve::from_jose(a).map_or_else(
            || {
                err(format!(
                    "the JWS header's alg '{}' is not accepted: S.A.F.E. evidence is signed ES384 or ES512",
                    a.escape_debug()
                ))
            },
            Ok,
        )?,
        Some(_) => return err("the JWS header's alg is not text"),
        None => return err("the JWS header has no alg"),
    };
    let kid = match hm.get("kid") {
        None => None,
        Some(serde_json::Value::String(k)) => Some(k.clone()),
        Some(_) => return err("the JWS header's kid is not text"),
    };
    if signature.len() != alg.signature_len() {
        return err(format!(
            "the signature is {} bytes; an {} signature is {} (raw r || s, RFC 7518 section 3.4)",
            signature.len(),
            alg.jose_alg(),
            alg.signature_len()
        ));
    }
    let (report, payload) = sfr::from_json(&payload_bytes, limits.max_map_entries)?;
    Ok(Signed {
        encoding: Encoding::Jws,
        alg: Some(alg),
        kid,
        header,
        payload_json: Some(payload),
        report,
        signing_input: bytes[..h.len() + 1 + p.len()].to_vec(),
        signature,
    })
}
