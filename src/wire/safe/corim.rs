//! A short-form report as a signed CoRIM (review framework 2.0): a tagged
//! `COSE_Sign` (98) with one signature or a `COSE_Sign1` (18), whose
//! payload is a CoRIM (tag 501) holding a CoMID (tag 506) whose endorsement
//! carries the S.A.F.E. map as measurement-values extension `-1`.
//!
//! Real reports carry no `alg` (the key's curve decides) and a free-text
//! `kid` in an unprotected header. A `crit` header anywhere, an `alg` in an
//! unprotected header, or an algorithm other than ES384/ES512 is refused.

use super::{Encoding, Issue, ReportError, SafeReport, Signed, err, parse_cvss};
use crate::limits::Limits;
use crate::wire::cbor::{self, Value};
use crate::wire::digest::AltDigest;
use crate::wire::eckey::Curve;
use crate::wire::time::Timestamp;

/// CBOR tag of a CoRIM.
pub const CORIM_TAG: u64 = 501;
/// CBOR tag of a CoMID inside a CoRIM.
pub const COMID_TAG: u64 = 506;

/// Most image digests one report may name: a review is of one image (or
/// manifest), named by SHA-384 and SHA-512; the bound keeps a report from
/// being filed under thousands of digests.
pub const MAX_IMAGE_DIGESTS: usize = 16;

fn map_of(v: &Value, what: &str) -> Result<(), ReportError> {
    match v {
        Value::Map(_) => Ok(()),
        other => err(format!("{what} is a {}, not a map", other.kind())),
    }
}

/// Decodes a protected header bstr (empty, or one map).
fn protected(bytes: &[u8], limits: &Limits, what: &str) -> Result<Value, ReportError> {
    if bytes.is_empty() {
        return Ok(Value::Map(Vec::new()));
    }
    let v = cbor::decode(bytes, limits.max_depth)
        .map_err(|e| ReportError(format!("{what} protected header: {e}")))?;
    map_of(&v, &format!("{what} protected header"))?;
    Ok(v)
}

fn header_json(h: &Value) -> serde_json::Value {
    crate::wire::statement::cbor_to_json(h)
}

/// Whether bytes are a tagged COSE message whose payload is a CoRIM:
/// how a bundle element is told apart from an hwprov statement once it
/// failed to decode as one.
pub fn is_corim(bytes: &[u8], limits: &Limits) -> bool {
    let Ok(Value::Tag(18 | 98, body)) = cbor::decode(bytes, limits.max_depth) else {
        return false;
    };
    matches!(body.as_ref(), Value::Array(items)
        if matches!(items.get(2), Some(Value::Bytes(p)) if p.starts_with(&[0xd9, 0x01, 0xf5])))
}

/// Parses a signed CoRIM report (not yet verified).
pub(super) fn parse(bytes: &[u8], limits: &Limits) -> Result<Signed, ReportError> {
    let v = cbor::decode(bytes, limits.max_depth)
        .map_err(|e| ReportError(format!("not a CoRIM report: {e}")))?;
    let (tag, items) = match v {
        Value::Tag(t @ (18 | 98), body) => match *body {
            Value::Array(items) => (t, items),
            other => {
                return err(format!(
                    "the COSE message is a {}, not an array",
                    other.kind()
                ));
            }
        },
        _ => {
            return err(
                "not a S.A.F.E. report: neither JWS (eyJ...) nor a tagged COSE_Sign/COSE_Sign1",
            );
        }
    };
    let [Value::Bytes(body_prot), unprot, Value::Bytes(payload), last] = items.as_slice() else {
        return err(
            "the COSE message is not [protected bstr, unprotected map, payload bstr, ...] (a detached payload is refused)",
        );
    };
    map_of(unprot, "the unprotected header")?;
    let body_prot_v = protected(body_prot, limits, "the")?;
    let (sig_prot, sig_prot_v, sig_unprot, signature, context) = if tag == 98 {
        let Value::Array(sigs) = last else {
            return err("the COSE_Sign signatures are not an array");
        };
        let [sig] = sigs.as_slice() else {
            return err(format!(
                "the COSE_Sign carries {} signatures; a S.A.F.E. report carries one",
                sigs.len()
            ));
        };
        let Value::Array(parts) = sig else {
            return err("the COSE_Signature is not an array");
        };
        let [Value::Bytes(sp), su, Value::Bytes(s)] = parts.as_slice() else {
            return err(
                "the COSE_Signature is not [protected bstr, unprotected map, signature bstr]",
            );
        };
        map_of(su, "the signature's unprotected header")?;
        let spv = protected(sp, limits, "the signature's")?;
        (Some(sp.clone()), spv, su.clone(), s.clone(), "Signature")
    } else {
        let Value::Bytes(s) = last else {
            return err("the COSE_Sign1 signature is not a byte string");
        };
        (
            None,
            Value::Map(Vec::new()),
            Value::Map(Vec::new()),
            s.clone(),
            "Signature1",
        )
    };
    for (h, name) in [
        (&body_prot_v, "protected"),
        (unprot, "unprotected"),
        (&sig_prot_v, "signature's protected"),
        (&sig_unprot, "signature's unprotected"),
    ] {
        if h.get_label(2).is_some() {
            return err(format!(
                "the {name} header lists critical extensions (crit); hwprov supports none"
            ));
        }
    }
    for (h, name) in [
        (unprot, "unprotected"),
        (&sig_unprot, "signature's unprotected"),
    ] {
        if h.get_label(1).is_some() {
            return err(format!(
                "the {name} header names the algorithm; an algorithm must be protected"
            ));
        }
    }
    let alg_v = sig_prot_v.get_label(1).or_else(|| body_prot_v.get_label(1));
    let alg = match alg_v {
        None => None,
        Some(a) => match a.as_label().and_then(Curve::from_cose) {
            Some(c) => Some(c),
            None => {
                return err(format!(
                    "the COSE algorithm {} is not accepted: S.A.F.E. evidence is ES384 (-35) or ES512 (-36)",
                    a.as_label()
                        .map_or_else(|| a.kind().to_owned(), |l| l.to_string())
                ));
            }
        },
    };
    match alg {
        Some(c) if c.signature_len() != signature.len() => {
            return err(format!(
                "the signature is {} bytes; an {} signature is {}",
                signature.len(),
                c.jose_alg(),
                c.signature_len()
            ));
        }
        None if Curve::of_signature_len(signature.len()).is_none() => {
            return err(format!(
                "the signature is {} bytes: neither a P-384 (96) nor a P-521 (132) raw signature",
                signature.len()
            ));
        }
        _ => {}
    }
    let kid = [&sig_unprot, &sig_prot_v, unprot, &body_prot_v]
        .iter()
        .find_map(|h| h.get_label(4))
        .map(|k| match k {
            Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
            Value::Text(t) => t.clone(),
            other => format!("({})", other.kind()),
        });
    let mut sig_structure = vec![Value::Text(context.into()), Value::Bytes(body_prot.clone())];
    if let Some(sp) = sig_prot {
        sig_structure.push(Value::Bytes(sp));
    }
    sig_structure.push(Value::Bytes(Vec::new()));
    sig_structure.push(Value::Bytes(payload.clone()));
    let report = corim_report(payload, limits)?;
    let header = serde_json::json!({
        "cose": if tag == 98 { "COSE_Sign" } else { "COSE_Sign1" },
        "protected": header_json(&body_prot_v),
        "unprotected": header_json(unprot),
        "signature_protected": header_json(&sig_prot_v),
        "signature_unprotected": header_json(&sig_unprot),
    });
    Ok(Signed {
        encoding: Encoding::Corim,
        alg,
        kid,
        header,
        payload_json: None,
        report,
        signing_input: cbor::encode(&Value::Array(sig_structure)),
        signature,
    })
}

fn text_of(v: Option<&Value>, what: &str) -> Result<Option<String>, ReportError> {
    match v {
        None => Ok(None),
        Some(Value::Text(t)) => Ok(Some(t.clone())),
        Some(Value::Uint(n)) => Ok(Some(n.to_string())),
        Some(other) => err(format!("{what} is a {}, not text", other.kind())),
    }
}

fn array_of<'a>(v: Option<&'a Value>, what: &str) -> Result<&'a [Value], ReportError> {
    match v {
        None => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(other) => err(format!("{what} is a {}, not an array", other.kind())),
    }
}

/// One S.A.F.E. map found in a CoMID, with the environment it is about.
struct Found<'a> {
    class: Option<&'a Value>,
    sfr: &'a Value,
}

/// Collects the SFR maps of endorsed-triple records `[environment,
/// [measurement-map]]`.
fn endorsements<'a>(triples: &'a [Value], out: &mut Vec<Found<'a>>) {
    for t in triples {
        let Value::Array(rec) = t else { continue };
        let [env, Value::Array(measurements)] = rec.as_slice() else {
            continue;
        };
        for m in measurements {
            if let Some(sfr) = m.get_label(1).and_then(|mval| mval.get_label(-1)) {
                out.push(Found {
                    class: env.get_label(0),
                    sfr,
                });
            }
        }
    }
}

/// Reads the CoRIM payload down to its one S.A.F.E. map.
fn corim_report(payload: &[u8], limits: &Limits) -> Result<SafeReport, ReportError> {
    let v = cbor::decode(payload, limits.max_depth)
        .map_err(|e| ReportError(format!("the payload is not CBOR: {e}")))?;
    let Value::Tag(CORIM_TAG, corim) = v else {
        return err("the payload is not a CoRIM (tag 501)");
    };
    map_of(&corim, "the CoRIM")?;
    let mut comids = Vec::new();
    for t in array_of(corim.get_label(1), "the CoRIM's tags")? {
        if let Value::Tag(COMID_TAG, b) = t {
            let Value::Bytes(b) = b.as_ref() else {
                return err("a CoMID tag does not wrap a byte string");
            };
            comids.push(
                cbor::decode(b, limits.max_depth)
                    .map_err(|e| ReportError(format!("a CoMID is not CBOR: {e}")))?,
            );
        }
    }
    let mut found = Vec::new();
    for comid in &comids {
        let Some(triples) = comid.get_label(4) else {
            continue;
        };
        // Conditional-endorsement triples (10): [conditions, endorsements].
        for cet in array_of(triples.get_label(10), "conditional-endorsement triples")? {
            if let Value::Array(rec) = cet
                && let [_, Value::Array(endorsed)] = rec.as_slice()
            {
                endorsements(endorsed, &mut found);
            }
        }
        // Plain endorsed triples (1).
        endorsements(
            array_of(triples.get_label(1), "endorsed triples")?,
            &mut found,
        );
    }
    let [Found { class, sfr }] = found.as_slice() else {
        return err(format!(
            "the CoRIM carries {} S.A.F.E. maps (measurement extension -1); a report carries one",
            found.len()
        ));
    };
    map_of(sfr, "the S.A.F.E. map")?;
    let mut notes = Vec::new();
    let class = *class;
    let vendor =
        text_of(class.and_then(|c| c.get_label(1)), "the class vendor")?.unwrap_or_default();
    let product =
        text_of(class.and_then(|c| c.get_label(2)), "the class model")?.unwrap_or_default();
    // The provider: the CoRIM's entity with role manifest-creator (1), or its first entity.
    let entities = array_of(corim.get_label(5), "the CoRIM's entities")?;
    let creator = entities
        .iter()
        .find(|e| {
            matches!(e.get_label(2), Some(Value::Array(r)) if r.iter().any(|x| x.as_label() == Some(1)))
        })
        .or(entities.first());
    let provider =
        text_of(creator.and_then(|e| e.get_label(0)), "the entity name")?.unwrap_or_default();

    let completion = match sfr.get_label(2) {
        Some(Value::Tag(1, t)) => match t.as_ref() {
            Value::Uint(n) if Timestamp(*n) <= Timestamp::MAX => Some(Timestamp(*n)),
            _ => return err("the completion date is not a tag-1 epoch time in range"),
        },
        _ => return err("the S.A.F.E. map has no completion date (key 2, a tag-1 epoch time)"),
    };
    let mut fw_version = String::new();
    let mut repo_tag = None;
    let mut image_digests: Vec<AltDigest> = Vec::new();
    for (n, id) in array_of(sfr.get_label(4), "the firmware identifiers")?
        .iter()
        .enumerate()
    {
        map_of(id, "a firmware identifier")?;
        if let Some(ver) = id.get_label(0)
            && fw_version.is_empty()
        {
            fw_version = text_of(ver.get_label(0), "the firmware version")?.unwrap_or_default();
        }
        for d in array_of(id.get_label(1), "the firmware digests")? {
            match AltDigest::from_cbor(d) {
                Ok(_) if image_digests.len() >= MAX_IMAGE_DIGESTS => {
                    return err(format!(
                        "the report names more than {MAX_IMAGE_DIGESTS} image digests"
                    ));
                }
                Ok(d) if !image_digests.contains(&d) => image_digests.push(d),
                Ok(_) => {}
                Err(_) => notes.push(format!(
                    "a digest of firmware identifier {n} is not a SHA-384 or SHA-512: it names no image"
                )),
            }
        }
        if repo_tag.is_none() {
            repo_tag = text_of(id.get_label(2), "the repository tag")?;
        }
        if id.get_label(3).is_some() {
            notes.push(
                "the report reviews a manifest of files: its hashes are of the manifest, not of one image".into(),
            );
        }
    }
    let raw_issues = array_of(sfr.get_label(5), "the issues")?;
    let mut issues = Vec::with_capacity(raw_issues.len());
    for i in raw_issues {
        map_of(i, "an issue")?;
        let cvss = i.get_label(2);
        let cvss_score = text_of(cvss.and_then(|c| c.get_label(0)), "a CVSS score")?
            .map_or_else(|| err("an issue has no CVSS score"), Ok)?;
        issues.push(Issue {
            title: text_of(i.get_label(0), "an issue title")?.unwrap_or_default(),
            cvss: parse_cvss(&cvss_score),
            cvss_score,
            cvss_vector: text_of(cvss.and_then(|c| c.get_label(1)), "a CVSS vector")?
                .unwrap_or_default(),
            cwe: text_of(i.get_label(3), "a CWE")?.unwrap_or_default(),
            cve: text_of(i.get_label(4), "a CVE")?,
            description: text_of(i.get_label(1), "an issue description")?.unwrap_or_default(),
        });
    }
    let cvss_version = raw_issues
        .iter()
        .find_map(|i| i.get_label(2).and_then(|c| c.get_label(2)))
        .and_then(|v| v.as_text().map(str::to_owned));
    Ok(SafeReport {
        framework_version: text_of(sfr.get_label(0), "the framework version")?.unwrap_or_default(),
        vendor,
        product,
        fw_version,
        repo_tag,
        image_digests,
        provider,
        methodology: None,
        completion,
        report_version: text_of(sfr.get_label(1), "the report version")?,
        scope_number: text_of(sfr.get_label(3), "the scope number")?,
        cvss_version,
        issues,
        notes,
    })
}
