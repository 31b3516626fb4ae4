//! The COSE envelope profile of SPEC section 2: tagged `COSE_Sign1` (tag 18)
//! or `COSE_Sign` (tag 98), EdDSA only, kid = key id, fixed content type.

use crate::wire::cbor::{self, CborError, Value, ValueRef};
use crate::wire::keys::{BadSignature, KeyId, PublicKey, SecretKey};
use cbor4ii::core::enc::Encode;
use cbor4ii::core::types;
use cbor4ii::core::utils::BufWriter;
use std::fmt;

/// CBOR tag of `COSE_Sign1`.
pub const TAG_SIGN1: u64 = 18;
/// CBOR tag of `COSE_Sign`.
pub const TAG_SIGN: u64 = 98;
/// COSE algorithm id of EdDSA.
pub const ALG_EDDSA: i64 = -8;
/// The content type every hwprov statement carries.
pub const CONTENT_TYPE: &str = "application/vnd.hwprov.statement+cbor";

/// Most signatures one `COSE_Sign` may carry (SPEC section 4).
pub const MAX_SIGNATURES: usize = crate::limits::Limits::DEFAULT.max_signatures;

const LABEL_ALG: i64 = 1;
const LABEL_CRIT: i64 = 2;
const LABEL_CTY: i64 = 3;
const LABEL_KID: i64 = 4;

/// Why an envelope was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// The bytes are not well-formed CBOR in hwprov's profile.
    Cbor(CborError),
    /// Well-formed CBOR that re-encodes differently (non-shortest heads).
    NonMinimal,
    /// Not a tagged COSE_Sign1 or COSE_Sign of the profile's shape.
    Shape {
        /// Which part is wrong.
        reason: &'static str,
    },
    /// A header violates the profile (crit present, unknown label,
    /// non-empty unprotected header, wrong content type, bad kid).
    Header {
        /// Which header rule is broken.
        reason: &'static str,
    },
    /// A `COSE_Sign` with more signatures than [`MAX_SIGNATURES`].
    TooManySignatures {
        /// How many it carries.
        count: usize,
    },
    /// The algorithm is not EdDSA (-8), or is missing.
    Algorithm {
        /// The algorithm found, if any.
        found: Option<i64>,
    },
}

impl fmt::Display for EnvelopeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EnvelopeError::Cbor(e) => write!(f, "envelope is not valid CBOR: {e}"),
            EnvelopeError::NonMinimal => {
                write!(f, "envelope uses non-shortest CBOR encodings")
            }
            EnvelopeError::Shape { reason } => write!(f, "envelope: {reason}"),
            EnvelopeError::Header { reason } => write!(f, "envelope header: {reason}"),
            EnvelopeError::TooManySignatures { count } => write!(
                f,
                "COSE_Sign carries {count} signatures, over the limit of {MAX_SIGNATURES}"
            ),
            EnvelopeError::Algorithm { found: Some(a) } => write!(
                f,
                "signature algorithm {a} is not accepted (only EdDSA, -8)"
            ),
            EnvelopeError::Algorithm { found: None } => {
                write!(
                    f,
                    "protected header has no algorithm (EdDSA, -8, is required)"
                )
            }
        }
    }
}

impl std::error::Error for EnvelopeError {}

/// Which COSE structure carried the statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Tag 18, one signer.
    Sign1,
    /// Tag 98, one or more signers.
    Sign,
}

/// One signature and the header it was made with.
#[derive(Debug, Clone)]
pub struct SignatureEntry {
    /// The `kid` of the signature's protected header.
    pub kid: KeyId,
    /// The signature bytes (length checked at verification).
    pub signature: Vec<u8>,
    /// The `COSE_Signature`'s own protected header bytes (`COSE_Sign`
    /// only; `None` for a `COSE_Sign1`, whose one header is the body's).
    pub sign_protected: Option<Vec<u8>>,
}

/// A decoded envelope whose structure and headers passed the profile checks.
/// Signatures are not yet verified.
///
/// The payload is held once: each signature's RFC 9052 §4.4
/// `Sig_structure` is a short prefix followed by the payload, and
/// [`Envelope::verify`] hashes the two in place (a `COSE_Sign` of 16
/// signatures over a 1 MiB payload costs 1 MiB, not 16).
#[derive(Debug, Clone)]
pub struct Envelope {
    /// Sign1 or Sign.
    pub kind: Kind,
    /// The body's protected header bytes.
    pub body_protected: Vec<u8>,
    /// The payload bytes (the statement).
    pub payload: Vec<u8>,
    /// One entry per signature, in message order.
    pub signatures: Vec<SignatureEntry>,
}

fn cbor_err(e: CborError) -> EnvelopeError {
    match e {
        CborError::NonMinimal => EnvelopeError::NonMinimal,
        other => EnvelopeError::Cbor(other),
    }
}

fn shape(reason: &'static str) -> EnvelopeError {
    EnvelopeError::Shape { reason }
}

fn header(reason: &'static str) -> EnvelopeError {
    EnvelopeError::Header { reason }
}

/// Decodes a protected header bstr into its map, refusing crit, unknown
/// labels and duplicate labels. `allowed` lists the labels this header may hold.
fn protected_map<'a>(
    bytes: &'a [u8],
    allowed: &[i64],
    max_depth: usize,
) -> Result<ValueRef<'a>, EnvelopeError> {
    let map = cbor::decode_ref(bytes, max_depth).map_err(cbor_err)?.value;
    let ValueRef::Map(entries) = &map else {
        return Err(header("protected header is not a map"));
    };
    for (k, _) in entries {
        match k.as_label() {
            Some(LABEL_CRIT) => return Err(header("crit (label 2) is not supported")),
            Some(l) if allowed.contains(&l) => {}
            _ => return Err(header("protected header holds a label outside the profile")),
        }
    }
    Ok(map)
}

fn check_alg(map: &ValueRef<'_>) -> Result<(), EnvelopeError> {
    match map.get_label(LABEL_ALG) {
        Some(v) => match v.as_label() {
            Some(ALG_EDDSA) => Ok(()),
            found => Err(EnvelopeError::Algorithm { found }),
        },
        None => Err(EnvelopeError::Algorithm { found: None }),
    }
}

fn check_kid(map: &ValueRef<'_>) -> Result<KeyId, EnvelopeError> {
    match map.get_label(LABEL_KID) {
        Some(ValueRef::Bytes(b)) => <[u8; 32]>::try_from(*b)
            .map(KeyId)
            .map_err(|_| header("kid must be the 32-byte key id")),
        _ => Err(header("kid (label 4) is missing or not a byte string")),
    }
}

fn check_cty(map: &ValueRef<'_>) -> Result<(), EnvelopeError> {
    match map.get_label(LABEL_CTY).and_then(ValueRef::as_text) {
        Some(CONTENT_TYPE) => Ok(()),
        _ => Err(header(
            "content type (label 3) must be \"application/vnd.hwprov.statement+cbor\"",
        )),
    }
}

fn check_unprotected(v: &ValueRef<'_>) -> Result<(), EnvelopeError> {
    match v {
        ValueRef::Map(m) if m.is_empty() => Ok(()),
        ValueRef::Map(_) => Err(header("unprotected header must be empty")),
        _ => Err(shape("unprotected header is not a map")),
    }
}

/// The bytes of an RFC 9052 §4.4 `Sig_structure` that come before the
/// payload's content: the array head, the context, the protected headers,
/// the empty external AAD and the payload's byte-string head.
fn sig_structure_prefix(
    body_protected: &[u8],
    sign_protected: Option<&[u8]>,
    payload_len: usize,
) -> Vec<u8> {
    let mut w = BufWriter::new(Vec::with_capacity(
        64 + body_protected.len() + sign_protected.map_or(0, <[u8]>::len),
    ));
    let (n, context) = match sign_protected {
        Some(_) => (5, "Signature"),
        None => (4, "Signature1"),
    };
    // Writing to a Vec cannot fail except on allocation failure (which aborts).
    let _ = types::Array::bounded(n, &mut w);
    let _ = context.encode(&mut w);
    let _ = types::Bytes(body_protected).encode(&mut w);
    if let Some(p) = sign_protected {
        let _ = types::Bytes(p).encode(&mut w);
    }
    let _ = types::Bytes(&[][..]).encode(&mut w);
    let mut out = w.into_inner();
    cbor::push_head(&mut out, 2, payload_len as u64);
    out
}

fn sig_structure(body_protected: &[u8], sign_protected: Option<&[u8]>, payload: &[u8]) -> Vec<u8> {
    let mut out = sig_structure_prefix(body_protected, sign_protected, payload.len());
    out.extend_from_slice(payload);
    out
}

impl Envelope {
    /// Strict Ed25519 verification of one of this envelope's signatures
    /// over its `Sig_structure`, hashing the prefix and the payload in place.
    pub fn verify(&self, s: &SignatureEntry, key: &PublicKey) -> Result<(), BadSignature> {
        let prefix = sig_structure_prefix(
            &self.body_protected,
            s.sign_protected.as_deref(),
            self.payload.len(),
        );
        key.verify_parts(&[&prefix, &self.payload], &s.signature)
    }

    /// [`Envelope::verify`] with a prepared key (the same accept set, faster
    /// when one key checks many signatures).
    pub fn verify_prepared(
        &self,
        s: &SignatureEntry,
        key: &crate::wire::keys::PreparedKey,
    ) -> Result<(), BadSignature> {
        let prefix = sig_structure_prefix(
            &self.body_protected,
            s.sign_protected.as_deref(),
            self.payload.len(),
        );
        key.verify_parts(&[&prefix, &self.payload], &s.signature)
    }

    /// [`Envelope::verify_prepared`] up to its last step (see
    /// [`PreparedKey::signature_point`](crate::wire::keys::PreparedKey::signature_point)).
    pub fn signature_point(
        &self,
        s: &SignatureEntry,
        key: &crate::wire::keys::PreparedKey,
    ) -> Result<crate::wire::keys::SignaturePoint, BadSignature> {
        let prefix = sig_structure_prefix(
            &self.body_protected,
            s.sign_protected.as_deref(),
            self.payload.len(),
        );
        key.signature_point(&[&prefix, &self.payload], &s.signature)
    }

    /// The complete `Sig_structure` of a signature (a copy of the payload:
    /// for tools and benchmarks; verification does not build it).
    pub fn to_be_signed(&self, s: &SignatureEntry) -> Vec<u8> {
        sig_structure(
            &self.body_protected,
            s.sign_protected.as_deref(),
            &self.payload,
        )
    }

    /// Decodes and checks a complete tagged COSE message.
    pub fn decode(bytes: &[u8], max_depth: usize) -> Result<Envelope, EnvelopeError> {
        let v = cbor::decode_ref(bytes, max_depth).map_err(cbor_err)?.value;
        let ValueRef::Tag(tag, inner) = v else {
            return Err(shape("not a tagged COSE message (tag 18 or 98)"));
        };
        let kind = match tag {
            TAG_SIGN1 => Kind::Sign1,
            TAG_SIGN => Kind::Sign,
            _ => {
                return Err(shape(
                    "CBOR tag is neither 18 (COSE_Sign1) nor 98 (COSE_Sign)",
                ));
            }
        };
        let ValueRef::Array(items) = *inner else {
            return Err(shape("COSE message is not an array"));
        };
        let [ValueRef::Bytes(protected), unprotected, payload, last] =
            <[ValueRef<'_>; 4]>::try_from(items)
                .map_err(|_| shape("COSE message must have 4 elements"))?
        else {
            return Err(shape("protected header is not a byte string"));
        };
        check_unprotected(&unprotected)?;
        let payload = match payload {
            ValueRef::Bytes(p) => p.to_vec(),
            ValueRef::Null => return Err(shape("detached payload (nil) is not accepted")),
            _ => return Err(shape("payload is not a byte string")),
        };
        match kind {
            Kind::Sign1 => {
                let map = protected_map(protected, &[LABEL_ALG, LABEL_CTY, LABEL_KID], max_depth)?;
                check_alg(&map)?;
                let kid = check_kid(&map)?;
                check_cty(&map)?;
                let ValueRef::Bytes(signature) = last else {
                    return Err(shape("signature is not a byte string"));
                };
                Ok(Envelope {
                    kind,
                    body_protected: protected.to_vec(),
                    payload,
                    signatures: vec![SignatureEntry {
                        kid,
                        signature: signature.to_vec(),
                        sign_protected: None,
                    }],
                })
            }
            Kind::Sign => {
                let map = protected_map(protected, &[LABEL_CTY], max_depth)?;
                check_cty(&map)?;
                let ValueRef::Array(sigs) = last else {
                    return Err(shape("COSE_Sign signatures is not an array"));
                };
                if sigs.is_empty() {
                    return Err(shape("COSE_Sign has no signatures"));
                }
                if sigs.len() > MAX_SIGNATURES {
                    return Err(EnvelopeError::TooManySignatures { count: sigs.len() });
                }
                let mut signatures = Vec::with_capacity(sigs.len());
                for s in sigs {
                    let ValueRef::Array(parts) = s else {
                        return Err(shape("COSE_Signature is not an array"));
                    };
                    let [ValueRef::Bytes(sp), su, ValueRef::Bytes(signature)] =
                        <[ValueRef<'_>; 3]>::try_from(parts)
                            .map_err(|_| shape("COSE_Signature must have 3 elements"))?
                    else {
                        return Err(shape("COSE_Signature elements have the wrong types"));
                    };
                    check_unprotected(&su)?;
                    let smap = protected_map(sp, &[LABEL_ALG, LABEL_KID], max_depth)?;
                    check_alg(&smap)?;
                    let kid = check_kid(&smap)?;
                    signatures.push(SignatureEntry {
                        kid,
                        signature: signature.to_vec(),
                        sign_protected: Some(sp.to_vec()),
                    });
                }
                Ok(Envelope {
                    kind,
                    body_protected: protected.to_vec(),
                    payload,
                    signatures,
                })
            }
        }
    }
}

fn header_bytes(entries: Vec<(i64, Value)>) -> Vec<u8> {
    let map = Value::Map(
        entries
            .into_iter()
            .map(|(l, v)| {
                let k = if l < 0 {
                    Value::Nint((-1 - l) as u64)
                } else {
                    Value::Uint(l as u64)
                };
                (k, v)
            })
            .collect(),
    );
    cbor::encode_deterministic(&map)
}

fn alg_value() -> Value {
    Value::Nint((-1 - ALG_EDDSA) as u64)
}

/// Signs `payload`: one key gives a `COSE_Sign1`, several a `COSE_Sign`.
/// Headers are written in deterministic encoding. Returns the tagged bytes.
pub fn sign(payload: &[u8], keys: &[&SecretKey]) -> Vec<u8> {
    let msg = if let [key] = keys {
        let protected = header_bytes(vec![
            (LABEL_ALG, alg_value()),
            (LABEL_CTY, Value::Text(CONTENT_TYPE.into())),
            (LABEL_KID, Value::Bytes(key.public().id().0.to_vec())),
        ]);
        let sig = key.sign(&sig_structure(&protected, None, payload));
        Value::Tag(
            TAG_SIGN1,
            Box::new(Value::Array(vec![
                Value::Bytes(protected),
                Value::Map(vec![]),
                Value::Bytes(payload.to_vec()),
                Value::Bytes(sig.to_vec()),
            ])),
        )
    } else {
        let body = header_bytes(vec![(LABEL_CTY, Value::Text(CONTENT_TYPE.into()))]);
        let sigs = keys
            .iter()
            .map(|key| {
                let sp = header_bytes(vec![
                    (LABEL_ALG, alg_value()),
                    (LABEL_KID, Value::Bytes(key.public().id().0.to_vec())),
                ]);
                let sig = key.sign(&sig_structure(&body, Some(&sp), payload));
                Value::Array(vec![
                    Value::Bytes(sp),
                    Value::Map(vec![]),
                    Value::Bytes(sig.to_vec()),
                ])
            })
            .collect();
        Value::Tag(
            TAG_SIGN,
            Box::new(Value::Array(vec![
                Value::Bytes(body),
                Value::Map(vec![]),
                Value::Bytes(payload.to_vec()),
                Value::Array(sigs),
            ])),
        )
    };
    cbor::encode(&msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign1_and_sign_round_trip() {
        let k1 = SecretKey::from_seed(&[1; 32]);
        let k2 = SecretKey::from_seed(&[2; 32]);
        let one = sign(b"\xa0", &[&k1]);
        let e = Envelope::decode(&one, 16).unwrap();
        assert_eq!(e.kind, Kind::Sign1);
        assert_eq!(e.signatures[0].kid, k1.public().id());
        assert!(e.verify(&e.signatures[0], &k1.public()).is_ok());
        assert!(
            k1.public()
                .verify(
                    &e.to_be_signed(&e.signatures[0]),
                    &e.signatures[0].signature
                )
                .is_ok()
        );
        assert!(e.verify(&e.signatures[0], &k2.public()).is_err());
        let two = sign(b"\xa0", &[&k1, &k2]);
        let e = Envelope::decode(&two, 16).unwrap();
        assert_eq!(e.kind, Kind::Sign);
        assert_eq!(e.signatures.len(), 2);
        for (s, k) in e.signatures.iter().zip([&k1, &k2]) {
            assert!(e.verify(s, &k.public()).is_ok());
            assert!(k.public().verify(&e.to_be_signed(s), &s.signature).is_ok());
        }
    }

    /// Review finding: one payload copy per signature let a 1 MiB
    /// COSE_Sign of ~4,800 signatures take gigabytes. At most 16 signatures
    /// are accepted, and verifying them copies no payload.
    #[test]
    fn many_signatures_over_one_payload() {
        let keys: Vec<SecretKey> = (0..17u8).map(|i| SecretKey::from_seed(&[i; 32])).collect();
        let refs: Vec<&SecretKey> = keys.iter().collect();
        let sixteen = sign(b"\xa0", &refs[..16]);
        let e = Envelope::decode(&sixteen, 16).unwrap();
        assert_eq!(e.signatures.len(), 16);
        for (s, k) in e.signatures.iter().zip(&keys) {
            assert!(e.verify(s, &k.public()).is_ok());
        }
        let seventeen = sign(b"\xa0", &refs);
        assert_eq!(
            Envelope::decode(&seventeen, 16).map(|_| ()),
            Err(EnvelopeError::TooManySignatures { count: 17 })
        );
    }

    #[test]
    fn refuses_untagged_and_wrong_tags() {
        assert!(matches!(
            Envelope::decode(&[0x80], 16),
            Err(EnvelopeError::Shape { .. })
        ));
        assert!(matches!(
            Envelope::decode(&[0xd8, 0x63, 0x80], 16),
            Err(EnvelopeError::Shape { .. })
        ));
    }
}
