//! The policy's side of outside evidence: OCP S.A.F.E. reports (SPEC
//! sections 1, 6.8 and 11: ECDSA evidence keys in `[[keys]]` and
//! `max_cvss` in `[evaluations.ocp-safe]`) and tlog-proofs (SPEC 6.9:
//! the tlog-policy `[transparency]` names).

use super::ctx::Ctx;
use super::{EvidenceKeyEntry, PolicyError};
use crate::wire::eckey::EvidenceKey;
use crate::wire::keys::KeyError;
use crate::wire::time::Timestamp;
use std::ops::Range;
use toml::Spanned;

/// A `[[keys]]` entry whose file is not an Ed25519 key: an ECDSA P-384 or
/// P-521 SPKI PEM of a S.A.F.E. provider, whose only role is `evaluation`.
/// `ed_error` is why it is not an Ed25519 key (the message when it is not
/// an evidence key either). `times` are `not_before`, `not_after` and
/// `revoked_at`.
#[allow(clippy::too_many_arguments)]
pub(super) fn key_entry(
    cx: &Ctx<'_>,
    span: Range<usize>,
    file: &Spanned<String>,
    bytes: &[u8],
    ed_error: &KeyError,
    entity: &str,
    roles: &[&str],
    times: [Option<Timestamp>; 3],
    known: &[EvidenceKeyEntry],
) -> Result<EvidenceKeyEntry, PolicyError> {
    let text = String::from_utf8_lossy(bytes);
    let Ok(key) = EvidenceKey::from_pem(&text) else {
        return Err(cx.err(
            file.span(),
            format!(
                "{}: {ed_error}; or an ECDSA P-384/P-521 SPKI PEM for an OCP S.A.F.E. provider",
                file.get_ref()
            ),
        ));
    };
    if roles != ["evaluation"] {
        return Err(cx.err(
            span,
            format!(
                "{} is an ECDSA {} key: it verifies OCP S.A.F.E. reports only, so its roles must be [\"evaluation\"]",
                file.get_ref(),
                key.curve()
            ),
        ));
    }
    if let Some(prev) = known.iter().find(|p| p.key.id() == key.id()) {
        return Err(cx.err(
            span,
            format!(
                "key {} is listed twice (already for entity '{}')",
                key.id().hex(),
                prev.entity
            ),
        ));
    }
    let [not_before, not_after, revoked_at] = times;
    if let (Some(a), Some(b)) = (not_before, not_after)
        && a > b
    {
        return Err(cx.err(span, "not_before is after not_after"));
    }
    Ok(EvidenceKeyEntry {
        entity: entity.to_owned(),
        key,
        not_before,
        not_after,
        revoked_at,
    })
}

/// `max_cvss` of `[evaluations.SCHEME]`: `ocp-safe` only, a CVSS score
/// from 0.1 to 10.0 with at most one decimal, kept in tenths.
pub(super) fn max_cvss(
    cx: &Ctx<'_>,
    scheme: &str,
    raw: Option<Spanned<f64>>,
) -> Result<Option<u16>, PolicyError> {
    let Some(m) = raw else { return Ok(None) };
    if scheme != "ocp-safe" {
        return Err(cx.err(
            m.span(),
            format!(
                "max_cvss applies to [evaluations.ocp-safe] only (S.A.F.E. reports list issues with CVSS scores); [evaluations.{scheme}] has none"
            ),
        ));
    }
    let v = *m.get_ref();
    let tenths = (v * 10.0).round();
    if !(0.1..=10.0).contains(&v) || (v * 10.0 - tenths).abs() > 1e-9 {
        return Err(cx.err(
            m.span(),
            format!("max_cvss {v} is not a CVSS score from 0.1 to 10.0 with at most one decimal"),
        ));
    }
    Ok(Some(tenths as u16))
}

/// `[transparency] firmware = FILE`: the C2SP tlog-policy firmware releases
/// must be published under, read like a key file (and kept with them, so a
/// logged decision replays under the same quorum).
pub(super) fn transparency(
    cx: &Ctx<'_>,
    file: Spanned<String>,
    read_file: &dyn Fn(&str) -> Result<Vec<u8>, String>,
    key_files: &mut Vec<(String, Vec<u8>)>,
) -> Result<super::Transparency, PolicyError> {
    let bytes = read_file(file.get_ref())
        .map_err(|e| cx.err(file.span(), format!("[transparency] firmware: {e}")))?;
    let firmware = crate::wire::tlog::policy::TlogPolicy::parse(&bytes).map_err(|e| {
        cx.err(
            file.span(),
            format!("[transparency] firmware: {}: {e}", file.get_ref()),
        )
    })?;
    if firmware.logs.is_empty() {
        return Err(cx.err(
            file.span(),
            format!(
                "[transparency] firmware: {} lists no log: no release could ever be proven published",
                file.get_ref()
            ),
        ));
    }
    key_files.push((file.get_ref().clone(), bytes));
    Ok(super::Transparency {
        file: file.into_inner(),
        firmware,
    })
}
