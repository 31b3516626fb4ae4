//! The `test-vectors/` cases: one folder per attack or edge case, each with
//! `policy.toml`, `bundle.cbor` and `case.json` (the interop case format,
//! plus `description` and, for input errors, `stderr`).

use super::*;
use hwprov::wire::statement::Statement;
use serde_json::json;

pub(crate) struct Case {
    pub name: &'static str,
    pub description: &'static str,
    pub policy: String,
    pub bundle: Vec<u8>,
    pub at: &'static str,
    pub args: Vec<&'static str>,
    pub exit: i32,
    pub verdict: Option<&'static str>,
    /// Exactly the distinct (rule, severity) pairs the report must hold.
    pub rules: Vec<(&'static str, &'static str)>,
    /// For input errors: a substring of stderr.
    pub stderr: Option<&'static str>,
    /// The operator's deployment file (`deployment.csv`, passed with
    /// `--deployment`), if the case has one.
    pub deployment: Option<String>,
}

impl Case {
    pub(crate) fn json(&self) -> String {
        let mut v = json!({
            "description": self.description,
            "at": self.at,
            "args": self.args,
            "exit": self.exit,
            "verdict": self.verdict,
            "rules": self.rules.iter().map(|(r, s)| json!([r, s])).collect::<Vec<_>>(),
            "exact": true,
        });
        if let Some(s) = self.stderr {
            v["stderr"] = json!(s);
        }
        if self.deployment.is_some() {
            v["deployment"] = json!("deployment.csv");
        }
        format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default())
    }
}

const BASE_RULES: &str =
    "required_stages = [\"design\", \"fab\", \"atp\"]\nfirmware_min_signers = 1\n";

pub(crate) fn base_policy() -> String {
    policy("test-vectors", BASE_RULES, "")
}

fn with_rules(rules: &str, extra: &str) -> String {
    policy("test-vectors", &format!("{BASE_RULES}{rules}"), extra)
}

/// Replaces the `[[keys]]` block of `id` (key 0) with one that has `extra` lines.
fn key_variant(policy: String, id: &str, roles: &[&str], extra: &str) -> String {
    let old = key_toml(id, 0, roles, "");
    let new = key_toml(id, 0, roles, extra);
    policy.replace(&old, &new)
}

fn pass(name: &'static str, description: &'static str, policy: String, bundle: Vec<u8>) -> Case {
    Case {
        name,
        description,
        policy,
        bundle,
        at: AT,
        args: vec![],
        exit: 0,
        verdict: Some("pass"),
        rules: vec![],
        stderr: None,
        deployment: None,
    }
}

fn fail(
    name: &'static str,
    description: &'static str,
    policy: String,
    bundle: Vec<u8>,
    rules: Vec<(&'static str, &'static str)>,
) -> Case {
    Case {
        name,
        description,
        policy,
        bundle,
        at: AT,
        args: vec![],
        exit: 1,
        verdict: Some("fail"),
        rules,
        stderr: None,
        deployment: None,
    }
}

fn input_error(
    name: &'static str,
    description: &'static str,
    policy: String,
    bundle: Vec<u8>,
    stderr: &'static str,
) -> Case {
    Case {
        name,
        description,
        policy,
        bundle,
        at: AT,
        args: vec![],
        exit: 2,
        verdict: None,
        rules: vec![],
        stderr: Some(stderr),
        deployment: None,
    }
}

const D: &str = "deny";
const INCOMPLETE: (&str, &str) = ("provenance.incomplete", D);

/// Signs the atp statement after changing its CBOR map with `edit`;
/// `canonical` chooses deterministic or as-built key order.
fn atp_edited(
    edit: impl Fn(&mut Vec<(Value, Value)>) + 'static,
    canonical: bool,
) -> impl Fn(&Statement) -> Vec<u8> {
    move |st: &Statement| {
        let Value::Map(mut m) = st.to_value() else {
            unreachable!()
        };
        edit(&mut m);
        let v = Value::Map(m);
        let payload = if canonical {
            cbor::encode_deterministic(&v)
        } else {
            cbor::encode(&v)
        };
        envelope::sign(&payload, &[&key(&st.issuer, 0)])
    }
}

fn set(m: &mut Vec<(Value, Value)>, k: &str, v: Value) {
    m.retain(|(x, _)| x.as_text() != Some(k));
    m.push((Value::Text(k.into()), v));
}

fn split(bundle: &[u8]) -> Vec<Vec<u8>> {
    hwprov::wire::bundle::split(bundle, &hwprov::Limits::DEFAULT)
        .unwrap()
        .into_iter()
        .map(<[u8]>::to_vec)
        .collect()
}

fn firmware_release_alone(keys: &[&SecretKey]) -> Vec<u8> {
    let img = image("bmc", "2.4.1", 64 * 1024);
    let rel = release(
        "aurora-networks",
        "aurora-networks",
        "AX-5000",
        "U1",
        "bmc",
        "2.4.1",
        7,
        &img,
    );
    envelope::sign(&rel.encode(), keys)
}

/// A device bundle whose atp statement is signed by hand with `protected`
/// and `unprotected` headers (envelope attack cases).
fn atp_raw(protected: impl Fn(&SecretKey) -> Value + 'static, unprotected: Value) -> Vec<u8> {
    Unit::new("AX5-000200").bundle_with(
        &move |st| {
            raw_sign1(
                protected(&key(&st.issuer, 0)),
                unprotected.clone(),
                &st.encode(),
                &key(&st.issuer, 0),
            )
        },
        &|_| {},
    )
}

pub(crate) fn cases() -> Vec<Case> {
    let good = Unit::new("AX5-000100");
    let mut v = vec![
        pass(
            "good-device",
            "A clean device: design FI, fab TW, atp MY, signed firmware.",
            base_policy(),
            good.bundle(),
        ),
        pass(
            "single-statement-file",
            "A file holding one tagged COSE message is a one-statement bundle (a firmware release as root).",
            base_policy(),
            firmware_release_alone(&[&key("aurora-networks", 0)]),
        ),
    ];

    // Signature and key binding.
    v.push(fail(
        "tampered-signature",
        "The atp statement's signature has one bit flipped (the device cites the tampered statement's digest).",
        base_policy(),
        Unit::new("AX5-000099").bundle_with(
            &|st: &Statement| {
                let mut b = sign_by(st);
                if let Some(x) = b.last_mut() {
                    *x ^= 0x01;
                }
                b
            },
            &|_| {},
        ),
        vec![("signature.invalid", D), INCOMPLETE],
    ));
    v.push(fail(
        "substituted-statement",
        "The atp statement's lot was edited after signing, so its signature fails and the device's provenance digest no longer matches it.",
        base_policy(),
        {
            let mut parts = split(&good.bundle());
            let pos = parts[3].windows(6).position(|w| w == b"A-0001").unwrap();
            parts[3][pos + 5] = b'2';
            hwprov::wire::bundle::encode(&parts)
        },
        vec![("signature.invalid", D), ("reference.missing", D), INCOMPLETE],
    ));
    v.push(fail(
        "unknown-key",
        "The atp statement is signed by a key the policy does not list.",
        base_policy(),
        Unit::new("AX5-000101").bundle_with(&|st| sign(st, &[&key("penang-osat", 9)]), &|_| {}),
        vec![("key.unknown", D), INCOMPLETE],
    ));
    v.push(fail(
        "wrong-issuer",
        "An atp statement naming penang-osat as issuer is signed with pearl-river-osat's atp key.",
        base_policy(),
        Unit::new("AX5-000102")
            .bundle_with(&|st| sign(st, &[&key("pearl-river-osat", 0)]), &|_| {}),
        vec![("key.issuer", D), INCOMPLETE],
    ));
    v.push(fail(
        "wrong-role",
        "The vendor signs an evaluation of its own firmware with its device/firmware key (key misuse across roles).",
        with_rules("firmware_evaluations = [\"binary-equivalence\"]\n", ""),
        {
            let img = image("bmc", "2.4.1", 64 * 1024);
            let mut e = evaluation(Sha256::of(&img), "binary-equivalence", true);
            e.issuer = "aurora-networks".into();
            let mut parts = split(&Unit::new("AX5-000103").bundle());
            parts.push(sign_by(&e));
            hwprov::wire::bundle::encode(&parts)
        },
        vec![("key.role", D), ("firmware.unevaluated", D)],
    ));
    v.push(fail(
        "expired-key",
        "The atp key's validity ended before the statement was issued.",
        key_variant(
            base_policy(),
            "penang-osat",
            &["atp"],
            "not_after = 2026-01-01T00:00:00Z\n",
        ),
        Unit::new("AX5-000104").bundle(),
        vec![("key.expired", D), INCOMPLETE],
    ));
    v.push(fail(
        "key-not-yet-valid",
        "The atp key's validity starts after the statement was issued.",
        key_variant(
            base_policy(),
            "penang-osat",
            &["atp"],
            "not_before = 2026-06-01T00:00:00Z\n",
        ),
        Unit::new("AX5-000105").bundle(),
        vec![("key.expired", D), INCOMPLETE],
    ));
    v.push(fail(
        "revoked-key",
        "The atp key is revoked; with revocation = \"all\" it verifies nothing.",
        key_variant(
            base_policy(),
            "penang-osat",
            &["atp"],
            "revoked_at = 2026-06-01T00:00:00Z\n",
        ),
        Unit::new("AX5-000106").bundle(),
        vec![("key.revoked", D), INCOMPLETE],
    ));
    v.push(pass(
        "revoked-key-from-time-before",
        "With revocation = \"from-time\", a statement issued before revoked_at still verifies.",
        key_variant(
            with_rules("revocation = \"from-time\"\n", ""),
            "penang-osat",
            &["atp"],
            "revoked_at = 2026-06-01T00:00:00Z\n",
        ),
        Unit::new("AX5-000107").bundle(),
    ));
    v.push(fail(
        "revoked-key-from-time-after",
        "With revocation = \"from-time\", a statement issued after revoked_at is refused.",
        key_variant(
            with_rules("revocation = \"from-time\"\n", ""),
            "penang-osat",
            &["atp"],
            "revoked_at = 2026-02-01T00:00:00Z\n",
        ),
        Unit::new("AX5-000108").bundle(),
        vec![("key.revoked", D), INCOMPLETE],
    ));

    // Payload encoding and schema.
    v.push(fail(
        "non-canonical-payload",
        "The atp payload's map keys are not in deterministic order (validly signed).",
        base_policy(),
        Unit::new("AX5-000110").bundle_with(&atp_edited(|m| m.reverse(), false), &|_| {}),
        vec![("statement.noncanonical", D), INCOMPLETE],
    ));
    v.push(fail(
        "duplicate-map-key",
        "The atp payload holds the key \"lot\" twice (validly signed).",
        base_policy(),
        Unit::new("AX5-000111").bundle_with(
            &|st: &Statement| {
                let det = st.encode();
                // Re-encode with a second "lot" entry placed right after the first.
                let Value::Map(m) = cbor::decode(&det, 16).unwrap() else {
                    unreachable!()
                };
                let mut out = Vec::new();
                for (k, val) in m {
                    let dup = k.as_text() == Some("lot");
                    out.push((k.clone(), val));
                    if dup {
                        out.push((k, Value::Text("B-9999".into())));
                    }
                }
                let payload = cbor::encode(&Value::Map(out));
                envelope::sign(&payload, &[&key(&st.issuer, 0)])
            },
            &|_| {},
        ),
        vec![("statement.noncanonical", D), INCOMPLETE],
    ));
    v.push(fail(
        "non-minimal-integer",
        "The atp payload encodes `issued` in 8 bytes where 4 suffice (validly signed).",
        base_policy(),
        Unit::new("AX5-000112").bundle_with(
            &|st: &Statement| {
                let det = st.encode();
                let needle = [0x1a_u8, 0x69, 0xa3, 0x81, 0x80];
                let pos = det.windows(5).position(|w| w == needle).unwrap();
                let mut p = det[..pos].to_vec();
                p.extend_from_slice(&[0x1b, 0, 0, 0, 0, 0x69, 0xa3, 0x81, 0x80]);
                p.extend_from_slice(&det[pos + 5..]);
                envelope::sign(&p, &[&key(&st.issuer, 0)])
            },
            &|_| {},
        ),
        vec![("statement.noncanonical", D), INCOMPLETE],
    ));
    v.push(fail(
        "unknown-field",
        "The atp payload has a field the format does not define (outside ext).",
        base_policy(),
        Unit::new("AX5-000113").bundle_with(
            &atp_edited(|m| set(m, "colour", Value::Text("blue".into())), true),
            &|_| {},
        ),
        vec![("statement.malformed", D), INCOMPLETE],
    ));
    v.push(pass(
        "ext-field-allowed",
        "Unknown data inside the optional ext map is signed and ignored.",
        base_policy(),
        Unit::new("AX5-000114").bundle_with(
            &atp_edited(
                |m| {
                    set(
                        m,
                        "ext",
                        Value::Map(vec![(
                            Value::Text("erp-order".into()),
                            Value::Text("PO-4711".into()),
                        )]),
                    )
                },
                true,
            ),
            &|_| {},
        ),
    ));
    v.push(fail(
        "lowercase-country",
        "The atp site country is \"my\": countries are upper-case ISO 3166-1 alpha-2.",
        base_policy(),
        Unit::new("AX5-000115").bundle_with(
            &atp_edited(
                |m| {
                    set(
                        m,
                        "site",
                        Value::Map(vec![
                            (
                                Value::Text("name".into()),
                                Value::Text("Bayan Lepas plant 2".into()),
                            ),
                            (Value::Text("country".into()), Value::Text("my".into())),
                        ]),
                    )
                },
                true,
            ),
            &|_| {},
        ),
        vec![("statement.malformed", D), INCOMPLETE],
    ));
    v.push(fail(
        "unassigned-country",
        "The atp site country is \"UK\", which ISO 3166-1 reserves but does not assign (GB is assigned).",
        base_policy(),
        Unit::new("AX5-000116").bundle_with(
            &atp_edited(|m| set(m, "site", Value::Map(vec![
                (Value::Text("name".into()), Value::Text("Bayan Lepas plant 2".into())),
                (Value::Text("country".into()), Value::Text("UK".into())),
            ])), true),
            &|_| {},
        ),
        vec![("statement.malformed", D), INCOMPLETE],
    ));
    v.push(fail(
        "unsupported-version",
        "The atp payload says v = 2.",
        base_policy(),
        Unit::new("AX5-000117")
            .bundle_with(&atp_edited(|m| set(m, "v", Value::Uint(2)), true), &|_| {}),
        vec![("statement.malformed", D), INCOMPLETE],
    ));
    v.push(fail(
        "float-in-payload",
        "The atp payload holds a float where an integer belongs.",
        base_policy(),
        Unit::new("AX5-000118").bundle_with(
            &|st: &Statement| {
                // "issued": 1.5 as a half float (f9 3e00), signed.
                let det = st.encode();
                let needle = [0x1a_u8, 0x69, 0xa3, 0x81, 0x80];
                let pos = det.windows(5).position(|w| w == needle).unwrap();
                let mut p = det[..pos].to_vec();
                p.extend_from_slice(&[0xf9, 0x3e, 0x00]);
                p.extend_from_slice(&det[pos + 5..]);
                envelope::sign(&p, &[&key(&st.issuer, 0)])
            },
            &|_| {},
        ),
        vec![("statement.malformed", D), INCOMPLETE],
    ));
    v.push(fail(
        "statement-expired",
        "The atp statement expired before the evaluation time.",
        base_policy(),
        Unit::new("AX5-000119").bundle_with(
            &|st: &Statement| {
                let mut s = st.clone();
                s.expires = Some(t(ISSUED + 90 * 86_400));
                sign_by(&s)
            },
            &|_| {},
        ),
        vec![("statement.expired", D), INCOMPLETE],
    ));
    v.push(fail(
        "time-beyond-year-9999",
        "The atp statement's issued time is after 9999-12-31T23:59:59Z, which RFC 3339 cannot write (found by fuzzing).",
        base_policy(),
        Unit::new("AX5-000126").bundle_with(
            &|st: &Statement| {
                let mut s = st.clone();
                s.issued = t(18_693_690_592_000);
                sign_by(&s)
            },
            &|_| {},
        ),
        vec![("statement.malformed", D), INCOMPLETE],
    ));
    v.push(fail(
        "statement-future",
        "The atp statement is issued ten days after the evaluation time.",
        base_policy(),
        Unit::new("AX5-000120").bundle_with(
            &|st: &Statement| {
                let mut s = st.clone();
                s.issued = t(1_763_683_200 + 365 * 86_400 + 10 * 86_400);
                sign_by(&s)
            },
            &|_| {},
        ),
        vec![("statement.future", D), INCOMPLETE],
    ));
    v.push(fail(
        "unsupported-digest",
        "The atp statement cites its input with a SHA-384 digest [-43, 48 bytes].",
        base_policy(),
        Unit::new("AX5-000121").bundle_with(
            &atp_edited(
                |m| {
                    set(
                        m,
                        "inputs",
                        Value::Array(vec![Value::Array(vec![
                            Value::Nint(42),
                            Value::Bytes(vec![7; 48]),
                        ])]),
                    )
                },
                true,
            ),
            &|_| {},
        ),
        vec![("digest.unsupported", D), INCOMPLETE],
    ));
    v.push(fail(
        "missing-reference",
        "The fab statement the atp step consumed is left out of the bundle.",
        base_policy(),
        {
            let mut parts = split(&Unit::new("AX5-000122").bundle());
            parts.remove(2);
            hwprov::wire::bundle::encode(&parts)
        },
        vec![("reference.missing", D), INCOMPLETE],
    ));

    // Envelope profile.
    v.push(fail(
        "wrong-algorithm",
        "The atp statement's protected header says ES256 (-7).",
        base_policy(),
        atp_raw(|k| header(k, -7, vec![]), Value::Map(vec![])),
        vec![("envelope.algorithm", D), INCOMPLETE],
    ));
    v.push(fail(
        "crit-header",
        "The atp statement's protected header carries crit (label 2).",
        base_policy(),
        atp_raw(
            |k| {
                header(
                    k,
                    -8,
                    vec![(Value::Uint(2), Value::Array(vec![Value::Uint(99)]))],
                )
            },
            Value::Map(vec![]),
        ),
        vec![("envelope.malformed", D), INCOMPLETE],
    ));
    v.push(fail(
        "unprotected-header",
        "The atp statement's unprotected header is not empty.",
        base_policy(),
        atp_raw(
            |k| header(k, -8, vec![]),
            Value::Map(vec![(Value::Uint(5), Value::Bytes(vec![0; 12]))]),
        ),
        vec![("envelope.malformed", D), INCOMPLETE],
    ));
    v.push(fail(
        "wrong-content-type",
        "The atp statement's content type is application/cbor.",
        base_policy(),
        atp_raw(
            |k| {
                Value::Map(vec![
                    (Value::Uint(1), Value::Nint(7)),
                    (Value::Uint(3), Value::Text("application/cbor".into())),
                    (Value::Uint(4), Value::Bytes(k.public().id().0.to_vec())),
                ])
            },
            Value::Map(vec![]),
        ),
        vec![("envelope.malformed", D), INCOMPLETE],
    ));
    v.push(fail(
        "detached-payload",
        "The atp statement's payload is nil (detached).",
        base_policy(),
        Unit::new("AX5-000123").bundle_with(
            &|st: &Statement| {
                let full = sign_by(st);
                let Value::Tag(18, inner) = cbor::decode(&full, 16).unwrap() else {
                    unreachable!()
                };
                let Value::Array(mut items) = *inner else {
                    unreachable!()
                };
                items[2] = Value::Null;
                cbor::encode(&Value::Tag(18, Box::new(Value::Array(items))))
            },
            &|_| {},
        ),
        vec![("envelope.malformed", D), INCOMPLETE],
    ));
    v.push(fail(
        "untagged-sign1",
        "The atp statement is a COSE_Sign1 array without tag 18.",
        base_policy(),
        Unit::new("AX5-000124").bundle_with(&|st: &Statement| sign_by(st)[1..].to_vec(), &|_| {}),
        vec![("envelope.malformed", D), INCOMPLETE],
    ));
    v.push(fail(
        "non-minimal-envelope",
        "The atp statement's tag 18 is written in two bytes (d8 12) instead of one (d2).",
        base_policy(),
        Unit::new("AX5-000125").bundle_with(
            &|st: &Statement| {
                let mut b = vec![0xd8, 0x12];
                b.extend_from_slice(&sign_by(st)[1..]);
                b
            },
            &|_| {},
        ),
        vec![("envelope.malformed", D), INCOMPLETE],
    ));
    v.push(fail(
        "root-is-stage",
        "The bundle's first statement is a stage statement, not a device or firmware statement.",
        base_policy(),
        {
            let mut parts = split(&good.bundle());
            parts.swap(0, 3);
            hwprov::wire::bundle::encode(&parts)
        },
        vec![("statement.malformed", D)],
    ));

    // Thresholds.
    let two = "firmware_min_signers = 2\n";
    let policy2 = policy(
        "test-vectors",
        "required_stages = [\"design\", \"fab\", \"atp\"]\nfirmware_min_signers = 2\n",
        "",
    );
    let _ = two;
    v.push(fail(
        "duplicate-signer",
        "A COSE_Sign release carries two signatures by the same key; thresholds count distinct key ids.",
        policy2.clone(),
        firmware_release_alone(&[&key("aurora-networks", 0), &key("aurora-networks", 0)]),
        vec![("firmware.threshold", D)],
    ));
    v.push(pass(
        "threshold-two-signers",
        "A COSE_Sign release signed by two distinct authorised firmware keys meets a threshold of 2.",
        policy2.clone(),
        firmware_release_alone(&[&key("aurora-networks", 0), &key("aurora-networks", 1)]),
    ));
    v.push(fail(
        "threshold-one-signer",
        "A release signed by one key does not meet a threshold of 2.",
        policy2.clone(),
        firmware_release_alone(&[&key("aurora-networks", 0)]),
        vec![("firmware.threshold", D)],
    ));

    // Security review: thresholds on one statement, vendor binding.
    let img = image("bmc", "2.4.1", 64 * 1024);
    let genuine = |svn: u64, keys: &[&SecretKey]| {
        let rel = release(
            "aurora-networks",
            "aurora-networks",
            "AX-5000",
            "U1",
            "bmc",
            "2.4.1",
            svn,
            &img,
        );
        envelope::sign(&rel.encode(), keys)
    };
    v.push(fail(
        "threshold-summed-across-statements",
        "Attack: with one compromised firmware key (aurora-networks key 1), a release of an old image claiming svn 9 is the root and the genuine release of the same image (svn 7, key 0) rides along as evidence. The two statements' signers must not add up to the threshold of 2: the root's own signatures count.",
        policy2.clone(),
        hwprov::wire::bundle::encode(&[
            genuine(9, &[&key("aurora-networks", 1)]),
            genuine(7, &[&key("aurora-networks", 0)]),
        ]),
        vec![("firmware.threshold", D)],
    ));
    v.push(fail(
        "threshold-summed-device",
        "Attack: a device installs image 2.4.1 (svn 7); its genuine release is signed by key 0 and a second release of the same image claiming svn 9 by key 1. No single statement covering the installed entry carries two keys.",
        policy2.clone(),
        {
            let mut parts = split(&Unit::new("AX5-000400").bundle());
            parts.push(genuine(9, &[&key("aurora-networks", 1)]));
            hwprov::wire::bundle::encode(&parts)
        },
        vec![("firmware.threshold", D)],
    ));
    v.push(pass(
        "threshold-one-covering-release",
        "A device whose installed image has two releases, one meeting the threshold of 2 with its own signatures: one covering release that meets it suffices.",
        policy2.clone(),
        {
            let mut parts = split(&Unit::new("AX5-000401").bundle());
            parts.push(genuine(
                7,
                &[&key("aurora-networks", 0), &key("aurora-networks", 1)],
            ));
            hwprov::wire::bundle::encode(&parts)
        },
    ));
    v.push(fail(
        "release-svn-not-installed",
        "The only release of the installed image says svn 9 while the device declares svn 7: no release covers the installed firmware as declared.",
        base_policy(),
        {
            let mut parts = split(&Unit::new("AX5-000402").bundle());
            parts[4] = genuine(9, &[&key("aurora-networks", 0)]);
            hwprov::wire::bundle::encode(&parts)
        },
        vec![("firmware.unsigned", D)],
    ));
    let foreign_release = |signs_for: bool| {
        let rel = release(
            "boreal-radio",
            "aurora-networks",
            "AX-5000",
            "U1",
            "bmc",
            "2.4.1",
            7,
            &img,
        );
        let mut parts = split(
            &Unit::new(if signs_for {
                "AX5-000404"
            } else {
                "AX5-000403"
            })
            .bundle(),
        );
        parts[4] = envelope::sign(&rel.encode(), &[&key("boreal-radio", 0)]);
        hwprov::wire::bundle::encode(&parts)
    };
    v.push(fail(
        "vendor-unauthorised-release",
        "Attack: boreal-radio's firmware key publishes a release for aurora-networks hardware. Another vendor's key does not speak for aurora-networks, so the release is not evidence and the installed image is unsigned.",
        base_policy(),
        foreign_release(false),
        vec![("vendor.unauthorised", D), ("firmware.unsigned", D)],
    ));
    v.push(pass(
        "vendor-signs-for",
        "boreal-radio publishes aurora-networks firmware and the policy says it may (signs_for = [\"aurora-networks\"]).",
        base_policy().replace(
            "id = \"boreal-radio\"\nname = \"Boreal Radio Oy\"\ncountry = \"FI\"\n",
            "id = \"boreal-radio\"\nname = \"Boreal Radio Oy\"\ncountry = \"FI\"\nsigns_for = [\"aurora-networks\"]\n",
        ),
        foreign_release(true),
    ));
    v.push(fail(
        "vendor-unauthorised-device",
        "Attack: aurora-networks signs a device statement naming boreal-radio as the vendor (so the unit would count under another vendor's share).",
        base_policy(),
        Unit::new("AX5-000405").bundle_with_device(&|dev| dev.product.vendor = "boreal-radio".into()),
        vec![("vendor.unauthorised", D)],
    ));
    v.push(fail(
        "vendor-not-an-entity",
        "A device statement naming a vendor spelled differently from any policy entity (\"Aurora-Networks\"): vendors are policy entities, never free text.",
        base_policy(),
        Unit::new("AX5-000406").bundle_with_device(&|dev| dev.product.vendor = "Aurora-Networks".into()),
        vec![("vendor.unauthorised", D)],
    ));
    v.push(pass(
        "device-without-class",
        "A device statement without the optional class (the class that selects rules is the operator's): no class rules apply.",
        base_policy(),
        Unit::new("AX5-000409").bundle_with_device(&|dev| dev.class = None),
    ));
    v.push(fail(
        "many-signatures",
        "A COSE_Sign release with 17 signatures, one over the limit of 16 (each signature once cost a copy of the payload).",
        base_policy(),
        {
            let keys: Vec<SecretKey> = (0..17).map(|n| key("aurora-networks", 100 + n)).collect();
            let refs: Vec<&SecretKey> = keys.iter().collect();
            genuine(7, &refs)
        },
        vec![("envelope.malformed", D)],
    ));
    v.push(fail(
        "expires-not-after-issued",
        "The atp statement's expiry equals its issued time: a statement must expire after it is issued.",
        base_policy(),
        Unit::new("AX5-000407").bundle_with(
            &|st: &Statement| {
                let mut s = st.clone();
                s.expires = Some(s.issued);
                sign_by(&s)
            },
            &|_| {},
        ),
        vec![("statement.malformed", D), INCOMPLETE],
    ));
    v.push(fail(
        "provenance-cites-non-stage",
        "A component's provenance cites the firmware release statement besides its atp statement: provenance names stage statements only.",
        base_policy(),
        {
            let (mut dev, evidence) = Unit::new("AX5-000408").parts();
            let rel = Sha256::of(&evidence[3]);
            if let Body::Device(d) = &mut dev.body {
                d.components[0].provenance.push(rel);
            }
            let mut all = vec![sign_by(&dev)];
            all.extend(evidence);
            hwprov::wire::bundle::encode(&all)
        },
        vec![("provenance.mismatch", D)],
    ));

    // Input errors: the bundle.
    v.push(input_error(
        "not-a-bundle",
        "The file is text, not CBOR.",
        base_policy(),
        b"hello, world\n".to_vec(),
        "not a bundle",
    ));
    v.push(input_error(
        "empty-bundle",
        "An empty CBOR array: no root.",
        base_policy(),
        vec![0x80],
        "no root",
    ));
    v.push(input_error(
        "indefinite-bundle",
        "The bundle array has indefinite length.",
        base_policy(),
        {
            let b = good.bundle();
            let mut out = vec![0x9f];
            out.extend_from_slice(&b[1..]);
            out.push(0xff);
            out
        },
        "indefinite-length array",
    ));
    v.push(input_error(
        "truncated-bundle",
        "The bundle is cut off in its last statement.",
        base_policy(),
        {
            let b = good.bundle();
            b[..b.len() - 10].to_vec()
        },
        "truncated",
    ));
    v.push(input_error(
        "huge-declared-length",
        "A byte string in the bundle declares 4 GiB; it must be refused without allocating.",
        base_policy(),
        vec![0x81, 0x5a, 0xff, 0xff, 0xff, 0xff, 0x00],
        "not a bundle",
    ));

    // Input errors: the policy.
    let pe = |name, description, policy: String, stderr| {
        input_error(name, description, policy, good.bundle(), stderr)
    };
    v.push(pe(
        "policy-weak-key",
        "The policy lists a small-order (weak) public key.",
        format!("{}[[keys]]\nentity = \"rhine-lab\"\npublic_key = \"ed25519:AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"\nroles = [\"evaluation\"]\n", base_policy()),
        "weak",
    ));
    v.push(pe(
        "policy-unknown-field",
        "The policy has a field the format does not define.",
        base_policy().replace(
            "version = \"2026-11-01\"\n",
            "version = \"2026-11-01\"\nowner = \"ops\"\n",
        ),
        "policy.toml:5:1: unknown field `owner`",
    ));
    v.push(pe(
        "policy-parent-cycle",
        "The ownership chain loops.",
        base_policy().replace(
            "country = \"CN\"\n\n[[entities]]\nid = \"penang-osat\"",
            "country = \"CN\"\nparent = \"severn-wafer\"\n\n[[entities]]\nid = \"penang-osat\"",
        ),
        "ownership cycle",
    ));
    v.push(pe(
        "policy-duplicate-key",
        "The same public key is listed twice.",
        format!(
            "{}{}",
            base_policy(),
            key_toml("penang-osat", 0, &["atp"], "")
        ),
        "listed twice",
    ));
    v.push(pe(
        "policy-waiver-without-expiry",
        "A waiver has no expiry (open-ended waivers are refused).",
        with_rules("", "[[waivers]]\nrule = \"jurisdiction.site\"\nentity = \"pearl-river-osat\"\nreason = \"legacy\"\n"),
        "needs an expiry",
    ));
    v.push(pe(
        "policy-waiver-without-reason",
        "A waiver has no reason.",
        with_rules("", "[[waivers]]\nrule = \"jurisdiction.site\"\nentity = \"pearl-river-osat\"\nexpires = 2027-12-31T00:00:00Z\n"),
        "needs a non-empty reason",
    ));
    v.push(pe(
        "policy-waiver-serial-without-vendor",
        "Review finding: a waiver naming only a serial would waive every vendor's unit with that serial; serial needs vendor.",
        with_rules("", "[[waivers]]\nrule = \"jurisdiction.site\"\nserial = \"AX5-000302\"\nexpires = 2027-12-31T00:00:00Z\nreason = \"legacy unit\"\n"),
        "serial needs vendor",
    ));
    v.push(pe(
        "policy-signs-for-unknown",
        "An entity signs_for a vendor the policy does not declare.",
        base_policy().replace(
            "id = \"boreal-radio\"\nname = \"Boreal Radio Oy\"\ncountry = \"FI\"\n",
            "id = \"boreal-radio\"\nname = \"Boreal Radio Oy\"\ncountry = \"FI\"\nsigns_for = [\"aurora\"]\n",
        ),
        "signs_for 'aurora', which is not declared",
    ));
    v.push(pe(
        "policy-unknown-country",
        "The high-risk list names \"XX\".",
        base_policy().replace(
            "high_risk = [\"CN\", \"RU\"]",
            "high_risk = [\"CN\", \"XX\"]",
        ),
        "'XX' is not an officially assigned",
    ));
    v.push(pe(
        "policy-unknown-rule",
        "[rules] names a rule that does not exist.",
        with_rules("\"jurisdiction.sites\" = \"warn\"\n", ""),
        "unknown rule id or setting 'jurisdiction.sites'",
    ));
    v.push(pe(
        "policy-always-deny-rule",
        "[rules] tries to turn off signature.invalid, which is always deny.",
        with_rules("\"signature.invalid\" = \"off\"\n", ""),
        "always deny",
    ));
    v.push(pe(
        "policy-key-unknown-entity",
        "A key belongs to an entity that is not declared.",
        format!(
            "{}{}",
            base_policy(),
            key_toml("ghost-fab", 0, &["fab"], "")
        ),
        "not declared in [[entities]]",
    ));

    policy_cases(&mut v);
    scope_cases(&mut v);
    list_cases(&mut v);
    phaseout_cases(&mut v);
    ownership_cases(&mut v);
    evaluation_cases(&mut v);
    build_cases(&mut v);
    v
}

/// A release's provenance: the build stage statements of its image (SPEC 3).
fn build_cases(v: &mut Vec<Case>) {
    // aurora-networks' key may sign build statements too.
    let policy = base_policy().replacen(
        "roles = [\"device\", \"firmware\", \"integration\"]",
        "roles = [\"device\", \"firmware\", \"integration\", \"build\"]",
        1,
    );
    let img = image("bmc", "2.6.0", 4096);
    let built = |site: &str, country: &str| {
        sign_by(&stage(
            "aurora-networks",
            Stage::Build,
            "bmc-2.6.0",
            "build-2026-03",
            site,
            country,
            vec![],
        ))
    };
    let released = |provenance: Vec<Sha256>, evidence: Vec<Vec<u8>>| {
        let mut rel = release(
            "aurora-networks",
            "aurora-networks",
            "AX-5000",
            "U1",
            "bmc",
            "2.6.0",
            9,
            &img,
        );
        if let Body::Firmware(f) = &mut rel.body {
            f.provenance = provenance;
        }
        let mut parts = vec![sign_by(&rel)];
        parts.extend(evidence);
        hwprov::wire::bundle::encode(&parts)
    };
    let clean = built("Stockholm build farm", "SE");
    v.push(pass(
        "release-provenance-build",
        "A firmware release whose provenance cites the build stage statement of its image, built in SE.",
        policy.clone(),
        released(vec![Sha256::of(&clean)], vec![clean]),
    ));
    let risky = built("Shenzhen build farm", "CN");
    v.push(fail(
        "release-provenance-build-site-high-risk",
        "The image was built at a site in a high-risk jurisdiction: jurisdiction.site on the build statement.",
        policy.clone(),
        released(vec![Sha256::of(&risky)], vec![risky]),
        vec![("jurisdiction.site", D)],
    ));
    v.push(fail(
        "release-provenance-missing",
        "The release's provenance cites a build statement that is not in the bundle.",
        policy.clone(),
        released(
            vec![Sha256::of(b"a build statement nobody shipped")],
            vec![],
        ),
        vec![("reference.missing", D)],
    ));
    let atp = sign_by(&stage(
        "penang-osat",
        Stage::Atp,
        "AXC-100",
        "L-1",
        "Penang",
        "MY",
        vec![],
    ));
    v.push(fail(
        "release-provenance-not-build",
        "The release's provenance cites a packaging (atp) statement, not a build statement.",
        policy,
        released(vec![Sha256::of(&atp)], vec![atp]),
        vec![("provenance.mismatch", D)],
    ));
}

/// Which evaluations count: accepted labs and maximum age (SPEC 6.8).
fn evaluation_cases(v: &mut Vec<Case>) {
    let img = image("bmc", "2.4.1", 64 * 1024);
    let evaluated = |serial: &'static str| {
        let mut parts = split(&Unit::new(serial).bundle());
        parts.push(sign_by(&evaluation(
            Sha256::of(&img),
            "binary-equivalence",
            true,
        )));
        hwprov::wire::bundle::encode(&parts)
    };
    let scheme = |settings: &str| {
        with_rules(
            "firmware_evaluations = [\"binary-equivalence\"]\n",
            &format!("[evaluations.binary-equivalence]\n{settings}"),
        )
    };
    v.push(fail(
        "evaluation-lab-not-accepted",
        "The policy accepts binary-equivalence evaluations from another lab only: rhine-lab's passing evaluation does not count, and the finding says why.",
        scheme("labs = [\"nordic-asic\"]\n"),
        evaluated("AX5-000700"),
        vec![("firmware.unevaluated", D)],
    ));
    v.push(pass(
        "evaluation-lab-accepted",
        "rhine-lab is an accepted lab for the scheme.",
        scheme("labs = [\"rhine-lab\"]\nmax_age_days = 365\n"),
        evaluated("AX5-000701"),
    ));
    v.push(fail(
        "evaluation-too-old",
        "The evaluation was issued 265 days before the evaluation time; the policy accepts 30 days at most.",
        scheme("max_age_days = 30\n"),
        evaluated("AX5-000702"),
        vec![("firmware.unevaluated", D)],
    ));
    v.push(input_error(
        "policy-evaluation-unknown-lab",
        "A lab that is not a declared entity is an invalid policy.",
        scheme("labs = [\"nowhere-lab\"]\n"),
        evaluated("AX5-000703"),
        "lab 'nowhere-lab' of [evaluations.binary-equivalence] is not a declared entity",
    ));
}

/// Ownership over time and undisclosed ownership (SPEC 6.7).
fn ownership_cases(v: &mut Vec<Case>) {
    let penang = |extra: &str, rules: &str| {
        with_rules(rules, "").replacen(
            "name = \"Penang Assembly Sdn Bhd\"\n",
            &format!("name = \"Penang Assembly Sdn Bhd\"\n{extra}"),
            1,
        )
    };
    // Statements are issued 2026-03-01; the evaluation is 2026-11-21.
    let acquired = "parents = [ { entity = \"dragon-holdings\", since = 2026-06-01T00:00:00Z } ]\n";
    v.push(fail(
        "ownership-acquired-after-issue",
        "The packaging site was acquired by a high-risk holding after it signed: with control_at = both (the default) the owners at the evaluation time count, and the finding shows both chains.",
        penang(acquired, ""),
        Unit::new("AX5-000600").bundle(),
        vec![("jurisdiction.control", D)],
    ));
    v.push(pass(
        "ownership-acquired-after-issue-control-at-issued",
        "With control_at = \"issued\", only the owners when the statement was signed count.",
        penang(acquired, "control_at = \"issued\"\n"),
        Unit::new("AX5-000601").bundle(),
    ));
    let divested = "parents = [ { entity = \"dragon-holdings\", until = 2026-06-01T00:00:00Z }, { entity = \"nordic-asic\", since = 2026-06-01T00:00:00Z } ]\n";
    v.push(fail(
        "ownership-divested-after-issue",
        "The site was owned from a high-risk country when it signed and sold since: with both, the issue-time owner still counts.",
        penang(divested, ""),
        Unit::new("AX5-000602").bundle(),
        vec![("jurisdiction.control", D)],
    ));
    v.push(pass(
        "ownership-divested-control-at-evaluation",
        "With control_at = \"evaluation\", only today's owners count: the divested site passes.",
        penang(divested, "control_at = \"evaluation\"\n"),
        Unit::new("AX5-000603").bundle(),
    ));
    v.push(Case {
        exit: 0,
        verdict: Some("warn"),
        rules: vec![("entity.opaque", "warn")],
        ..pass(
            "entity-opaque",
            "A packaging site that does not disclose its owners: entity.opaque warns by default.",
            penang("ownership = \"undisclosed\"\n", ""),
            Unit::new("AX5-000604").bundle(),
        )
    });
    v.push(input_error(
        "policy-ownership-overlap",
        "Two owners whose periods overlap are an invalid policy.",
        penang("parents = [ { entity = \"dragon-holdings\", until = 2026-07-01T00:00:00Z }, { entity = \"nordic-asic\", since = 2026-06-01T00:00:00Z } ]\n", ""),
        Unit::new("AX5-000605").bundle(),
        "ownership periods overlap",
    ));
    v.push(input_error(
        "policy-parent-and-parents",
        "parent and parents together are an invalid policy.",
        penang(
            "parent = \"dragon-holdings\"\nparents = [ { entity = \"nordic-asic\" } ]\n",
            "",
        ),
        Unit::new("AX5-000606").bundle(),
        "both parent and parents",
    ));
    v.push(input_error(
        "policy-control-at-in-class",
        "control_at applies to every statement: it is refused in a class.",
        with_rules("", "[classes.core.rules]\ncontrol_at = \"issued\"\n"),
        Unit::new("AX5-000607").bundle(),
        "control_at applies to every statement",
    ));
}

/// Declared deny and allow lists, their scope, and dated entries (SPEC 6.6).
fn list_cases(v: &mut Vec<Case>) {
    let entity = |name: &str, extra: &str| {
        (
            format!("name = \"{name}\"\n"),
            format!("name = \"{name}\"\n{extra}"),
        )
    };
    // `lists` is appended after the entities' tables, `on` adds lines to an entity.
    let listed = |lists: &str, on: &[(&str, &str)]| {
        let mut p = with_rules("", &format!("[classes.core]\n[classes.periphery]\n{lists}"));
        for (name, extra) in on {
            let (a, b) = entity(name, extra);
            p = p.replacen(&a, &b, 1);
        }
        p
    };
    let aurora = "Aurora Networks AB";
    let unit = |serial: &'static str| Unit::new(serial).bundle();
    let periphery_row = |serial: &str| {
        Some(format!(
            "vendor,model,serial,class\naurora-networks,AX-5000,{serial},periphery\n"
        ))
    };
    let entity_list = "[[lists]]\nid = \"entity-list\"\nkind = \"deny\"\nsource = \"sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"\nclasses = [\"core\"]\n";
    let designated =
        "designations = [ { list = \"entity-list\", since = 2026-01-01T00:00:00Z } ]\n";
    v.push(fail(
        "list-deny-unclassified-in-scope",
        "A deny list scoped to core judges a unit without a class too (an unknown segment is judged as strictly as any); the finding names the list's source digest.",
        listed(entity_list, &[(aurora, designated)]),
        unit("AX5-000500"),
        vec![("entity.designated", D)],
    ));
    v.push(Case {
        deployment: periphery_row("AX5-000501"),
        ..pass(
            "list-deny-out-of-scope",
            "The same core-scoped deny list does not judge a unit the operator deploys in the periphery.",
            listed(entity_list, &[(aurora, designated)]),
            Unit {
                class: "periphery",
                ..Unit::new("AX5-000501")
            }
            .bundle(),
        )
    });
    v.push(pass(
        "designation-until-ended",
        "A designation with `until` before the evaluation time is no longer in force.",
        listed("", &[(aurora, "designations = [ { list = \"old-list\", since = 2020-01-01T00:00:00Z, until = 2025-01-01T00:00:00Z } ]\n")]),
        unit("AX5-000502"),
    ));
    let trusted = "[[lists]]\nid = \"trusted-5g\"\nkind = \"allow\"\nroles = [\"device\"]\n";
    v.push(fail(
        "allow-list-unapproved",
        "An allow list for device statements: the vendor holds no approval, so its device statement gets entity.unapproved (the chip suppliers are out of the list's role scope).",
        listed(trusted, &[]),
        unit("AX5-000503"),
        vec![("entity.unapproved", D)],
    ));
    v.push(pass(
        "allow-list-approved",
        "The vendor holds a live approval on the allow list.",
        listed(
            trusted,
            &[(
                aurora,
                "approvals = [ { list = \"trusted-5g\", since = 2024-01-01T00:00:00Z } ]\n",
            )],
        ),
        unit("AX5-000504"),
    ));
    v.push(fail(
        "allow-list-approval-ended",
        "An approval whose `until` has passed no longer counts.",
        listed(trusted, &[(aurora, "approvals = [ { list = \"trusted-5g\", since = 2024-01-01T00:00:00Z, until = 2026-06-01T00:00:00Z } ]\n")]),
        unit("AX5-000505"),
        vec![("entity.unapproved", D)],
    ));
    v.push(fail(
        "allow-list-approval-of-parent-does-not-count",
        "Attack: only the issuer's own approval counts, not its owner's: a subsidiary does not inherit its parent's approval.",
        listed(trusted, &[("Dragon Semiconductor Holdings", "approvals = [ { list = \"trusted-5g\", since = 2024-01-01T00:00:00Z } ]\n")])
            .replacen("name = \"Aurora Networks AB\"\n", "name = \"Aurora Networks AB\"\nparent = \"dragon-holdings\"\n", 1),
        unit("AX5-000506"),
        vec![("entity.unapproved", D), ("jurisdiction.control", D)],
    ));
    v.push(input_error(
        "policy-approval-undeclared-list",
        "An approval on a list the policy does not declare is an invalid policy.",
        listed(
            "",
            &[(
                aurora,
                "approvals = [ { list = \"nowhere\", since = 2024-01-01T00:00:00Z } ]\n",
            )],
        ),
        unit("AX5-000507"),
        "approval on list 'nowhere'",
    ));
    v.push(input_error(
        "policy-designation-on-allow-list",
        "A designation on an allow list is an invalid policy.",
        listed(
            trusted,
            &[(
                aurora,
                "designations = [ { list = \"trusted-5g\", since = 2024-01-01T00:00:00Z } ]\n",
            )],
        ),
        unit("AX5-000508"),
        "is an allow list",
    ));
    v.push(input_error(
        "policy-list-undeclared-class",
        "A list scoped to a class the policy does not declare is an invalid policy.",
        listed(
            "[[lists]]\nid = \"l\"\nkind = \"deny\"\nclasses = [\"edge\"]\n",
            &[],
        ),
        unit("AX5-000509"),
        "names class 'edge', which is not declared",
    ));
}

/// Roles, classes, zones and the operator's deployment file (SPEC 6.2, 6.3).
fn scope_cases(v: &mut Vec<Case>) {
    let w = "warn";
    let periphery = "[classes.core]\n[classes.periphery.rules]\n\"jurisdiction.site\" = \"warn\"\n\"jurisdiction.control\" = \"warn\"\n";
    let scoped = |extra: &str| with_rules("", &format!("{periphery}{extra}"));
    let row = |serial: &str, class: &str, zones: &str| {
        Some(format!(
            "vendor,model,serial,class,zones\naurora-networks,AX-5000,{serial},{class},{zones}\n"
        ))
    };
    let risky = |serial: &'static str, class: &'static str| {
        Unit {
            route: HIGH_RISK_ATP,
            class,
            ..Unit::new(serial)
        }
        .bundle()
    };
    v.push(fail(
        "class-claimed-by-vendor-ignored",
        "Attack: the vendor's device statement claims class 'periphery' to get relaxed levels; with no operator row the unit has no class and the default levels apply.",
        scoped(""),
        risky("AX5-000400", "periphery"),
        vec![("jurisdiction.site", D), ("jurisdiction.control", D)],
    ));
    v.push(Case {
        deployment: row("AX5-000401", "core", ""),
        ..fail(
            "class-mismatch",
            "The vendor suggests 'periphery', the operator deploys the unit in 'core': class.mismatch warns and the core levels apply.",
            scoped(""),
            risky("AX5-000401", "periphery"),
            vec![("class.mismatch", w), ("jurisdiction.site", D), ("jurisdiction.control", D)],
        )
    });
    v.push(Case {
        exit: 0,
        verdict: Some("warn"),
        rules: vec![("jurisdiction.site", w), ("jurisdiction.control", w)],
        ..pass(
            "class-from-device",
            "With class_from = \"device\" the policy trusts the device statement's class when it declares it.",
            scoped("").replace("version = \"2026-11-01\"\n", "version = \"2026-11-01\"\nclass_from = \"device\"\n"),
            risky("AX5-000402", "periphery"),
        )
    });
    v.push(Case {
        exit: 0,
        verdict: Some("warn"),
        rules: vec![("jurisdiction.site", w), ("jurisdiction.control", w)],
        ..pass(
            "role-atp-warns",
            "[roles.atp.rules] sets the packaging site's findings (site and its owner's control) to warn for every class: a Western vendor's unit with a chip packaged at a high-risk site warns.",
            scoped("[roles.atp.rules]\n\"jurisdiction.site\" = \"warn\"\n\"jurisdiction.control\" = \"warn\"\n"),
            risky("AX5-000403", "core"),
        )
    });
    v.push(Case {
        deployment: row("AX5-000404", "core", ""),
        ..fail(
            "class-role-overrides-role",
            "[classes.core.roles.atp.rules] is more specific than [roles.atp.rules]: the core unit's packaging site denies again.",
            scoped("[roles.atp.rules]\n\"jurisdiction.site\" = \"warn\"\n\"jurisdiction.control\" = \"warn\"\n[classes.core.roles.atp.rules]\n\"jurisdiction.site\" = \"deny\"\n"),
            risky("AX5-000404", "core"),
            vec![("jurisdiction.site", D), ("jurisdiction.control", w)],
        )
    });
    v.push(Case {
        deployment: row("AX5-000405", "periphery", "military-vicinity"),
        ..fail(
            "zone-tightens",
            "A periphery unit in a zone that denies jurisdiction.control: the zone's deny wins over the class's warn (zones only tighten).",
            scoped("[zones.military-vicinity.rules]\n\"jurisdiction.control\" = \"deny\"\n"),
            risky("AX5-000405", "periphery"),
            vec![("jurisdiction.site", w), ("jurisdiction.control", D)],
        )
    });
    v.push(Case {
        exit: 0,
        verdict: Some("warn"),
        rules: vec![("jurisdiction.site", w), ("jurisdiction.control", w)],
        deployment: row("AX5-000406", "periphery", "office"),
        ..pass(
            "zone-never-relaxes",
            "A zone that sets a rule to off does not relax the class's warn.",
            scoped("[zones.office.rules]\n\"jurisdiction.site\" = \"off\"\n"),
            risky("AX5-000406", "periphery"),
        )
    });
    v.push(Case {
        deployment: row("AX5-000407", "edge", ""),
        ..input_error(
            "deployment-undeclared-class",
            "A deployment row names a class the policy does not declare: input error naming the file and line.",
            scoped(""),
            risky("AX5-000407", "core"),
            "deployment.csv:2: class 'edge' is not declared",
        )
    });
    v.push(Case {
        deployment: Some("vendor,class\naurora-networks,core\naurora-networks,periphery\n".into()),
        ..input_error(
            "deployment-duplicate-row",
            "Two rows with the same vendor, model and serial: input error naming the second line and the first.",
            scoped(""),
            risky("AX5-000408", "core"),
            "deployment.csv:3: a second row",
        )
    });
    v.push(input_error(
        "policy-unknown-role",
        "A [roles.R] table for a role that does not exist is an invalid policy.",
        scoped("[roles.packaging.rules]\n\"jurisdiction.site\" = \"warn\"\n"),
        risky("AX5-000409", "core"),
        "unknown role 'packaging'",
    ));
    v.push(input_error(
        "policy-bad-class-name",
        "Class names are lower-case letters, digits and '-'.",
        scoped("[classes.Core-Net]\n"),
        risky("AX5-000410", "core"),
        "class name 'Core-Net'",
    ));
    v.push(input_error(
        "policy-setting-in-role",
        "Role and zone tables set rule levels only; required_stages there is an invalid policy.",
        scoped("[roles.device.rules]\nrequired_stages = [\"design\"]\n"),
        risky("AX5-000411", "core"),
        "sets rule levels only",
    ));
}

/// The policy rules of SPEC section 7, each in both directions, and the
/// combinations that matter.
fn policy_cases(v: &mut Vec<Case>) {
    let w = "warn";
    v.push(fail(
        "clean-fab-high-risk-atp",
        "Design FI and fab TW are clean, but packaging is at a CN site by a CN company: a clean front-end fab never clears a high-risk packaging site.",
        base_policy(),
        Unit { route: HIGH_RISK_ATP, ..Unit::new("AX5-000300") }.bundle(),
        vec![("jurisdiction.site", D), ("jurisdiction.control", D)],
    ));
    v.push(fail(
        "allied-site-owned-from-high-risk",
        "The wafer fab is in GB (not high-risk) but its owner is a CN holding: control jurisdiction fires, site does not.",
        base_policy(),
        Unit { route: OWNED_FAB, ..Unit::new("AX5-000301") }.bundle(),
        vec![("jurisdiction.control", D)],
    ));
    let designated = |since: &str| {
        base_policy().replace(
            "name = \"Boreal Radio Oy\"\ncountry = \"FI\"\n",
            &format!("name = \"Boreal Radio Oy\"\ncountry = \"FI\"\ndesignations = [ {{ list = \"example-entity-list\", since = {since} }} ]\n"),
        )
    };
    let boreal = || Unit {
        vendor: "boreal-radio",
        model: "BR-200",
        ..Unit::new("BR2-000001")
    };
    v.push(fail(
        "designation-in-force",
        "The vendor was added to an entity list before the evaluation time.",
        designated("2026-06-01T00:00:00Z"),
        boreal().bundle(),
        vec![("entity.designated", D)],
    ));
    v.push(pass(
        "designation-not-yet-in-force",
        "The vendor's designation starts after the evaluation time.",
        designated("2027-01-01T00:00:00Z"),
        boreal().bundle(),
    ));
    v.push(fail(
        "designated-high-risk-vendor",
        "A CN vendor on an entity list since 2019: control jurisdiction and designation both fire.",
        base_policy(),
        Unit {
            vendor: "eastwind-telecom",
            model: "EW-9",
            ..Unit::new("EW9-000001")
        }
        .bundle(),
        vec![("jurisdiction.control", D), ("entity.designated", D)],
    ));
    let waiver = |expires: &str| {
        with_rules(
            "",
            &format!(
                "[[waivers]]\nrule = \"jurisdiction.site\"\nentity = \"pearl-river-osat\"\nexpires = {expires}\nreason = \"phase-out of legacy RAN by the end of 2027\"\n\n\
                 [[waivers]]\nrule = \"jurisdiction.control\"\nentity = \"pearl-river-osat\"\nexpires = {expires}\nreason = \"phase-out of legacy RAN by the end of 2027\"\n"
            ),
        )
    };
    let risky = || {
        Unit {
            route: HIGH_RISK_ATP,
            ..Unit::new("AX5-000302")
        }
        .bundle()
    };
    v.push(Case {
        rules: vec![
            ("jurisdiction.site", "waived"),
            ("jurisdiction.control", "waived"),
        ],
        ..pass(
            "waiver-live",
            "A live waiver with a dated reason covers the high-risk packaging site.",
            waiver("2027-12-31T00:00:00Z"),
            risky(),
        )
    });
    v.push(Case {
        rules: vec![("jurisdiction.site", "waived"), ("waiver.expiring", "info"), ("jurisdiction.control", "waived")],
        ..pass(
            "waiver-expiring",
            "A live waiver that expires within 90 days is mentioned as info, so the deadline is no surprise.",
            waiver("2027-01-15T00:00:00Z"),
            risky(),
        )
    });
    let serial_waiver = |vendor: &str| {
        with_rules(
            "",
            &format!(
                "[[waivers]]\nrule = \"jurisdiction.site\"\nvendor = \"{vendor}\"\nserial = \"AX5-000302\"\nexpires = 2027-12-31T00:00:00Z\nreason = \"legacy unit, removal by the end of 2027\"\n\n\
                 [[waivers]]\nrule = \"jurisdiction.control\"\nvendor = \"{vendor}\"\nserial = \"AX5-000302\"\nexpires = 2027-12-31T00:00:00Z\nreason = \"legacy unit, removal by the end of 2027\"\n"
            ),
        )
    };
    v.push(Case {
        rules: vec![
            ("jurisdiction.site", "waived"),
            ("jurisdiction.control", "waived"),
        ],
        ..pass(
            "waiver-vendor-serial",
            "A waiver for one unit names its vendor and serial, and covers that unit.",
            serial_waiver("aurora-networks"),
            risky(),
        )
    });
    v.push(fail(
        "waiver-serial-other-vendor",
        "Attack: a waiver for boreal-radio's unit AX5-000302 does not cover aurora-networks' unit with the same serial.",
        serial_waiver("boreal-radio"),
        risky(),
        vec![("jurisdiction.site", D), ("jurisdiction.control", D)],
    ));
    v.push(fail(
        "waiver-expired",
        "An expired waiver no longer covers the finding, which stands, and is itself reported.",
        waiver("2026-06-01T00:00:00Z"),
        risky(),
        vec![
            ("jurisdiction.site", D),
            ("waiver.expired", w),
            ("jurisdiction.control", D),
        ],
    ));
    let class_policy = with_rules(
        "",
        "[classes.periphery.rules]\n\"jurisdiction.site\" = \"warn\"\n\"jurisdiction.control\" = \"warn\"\n",
    );
    v.push(Case {
        exit: 0,
        verdict: Some("warn"),
        rules: vec![("jurisdiction.site", w), ("jurisdiction.control", w)],
        deployment: Some(
            "vendor,model,serial,class\naurora-networks,AX-5000,AX5-000303,periphery\n".into(),
        ),
        ..pass(
            "class-override-periphery",
            "A unit the operator deploys in the periphery (deployment.csv) with high-risk packaging only warns under the periphery class's levels.",
            class_policy.clone(),
            Unit {
                route: HIGH_RISK_ATP,
                class: "periphery",
                ..Unit::new("AX5-000303")
            }
            .bundle(),
        )
    });
    v.push(fail(
        "class-override-not-core",
        "The same override does not apply to a unit the operator has not placed in the periphery (no deployment row: no class).",
        class_policy,
        Unit {
            route: HIGH_RISK_ATP,
            ..Unit::new("AX5-000304")
        }
        .bundle(),
        vec![("jurisdiction.site", D), ("jurisdiction.control", D)],
    ));
    v.push(Case {
        args: vec!["--deny-warnings"],
        exit: 1,
        verdict: Some("warn"),
        rules: vec![("jurisdiction.site", w), ("jurisdiction.control", w)],
        ..pass(
            "deny-warnings",
            "--deny-warnings makes a warn verdict exit 1.",
            with_rules(
                "\"jurisdiction.site\" = \"warn\"\n\"jurisdiction.control\" = \"warn\"\n",
                "",
            ),
            Unit {
                route: HIGH_RISK_ATP,
                ..Unit::new("AX5-000305")
            }
            .bundle(),
        )
    });
    v.push(pass(
        "rules-off",
        "Rules set to \"off\" are not evaluated.",
        with_rules(
            "\"jurisdiction.site\" = \"off\"\n\"jurisdiction.control\" = \"off\"\n",
            "",
        ),
        Unit {
            route: HIGH_RISK_ATP,
            ..Unit::new("AX5-000306")
        }
        .bundle(),
    ));
    v.push(fail(
        "unsigned-firmware",
        "The installed image has no signed release in the bundle.",
        base_policy(),
        Unit {
            signed_firmware: false,
            ..Unit::new("AX5-000307")
        }
        .bundle(),
        vec![("firmware.unsigned", D)],
    ));
    v.push(fail(
        "firmware-wrong-target",
        "The release covering the installed image is for another model.",
        base_policy(),
        {
            let u = Unit {
                signed_firmware: false,
                ..Unit::new("AX5-000308")
            };
            let mut parts = split(&u.bundle());
            let img = image("bmc", "2.4.1", 64 * 1024);
            parts.push(sign_by(&release(
                "aurora-networks",
                "aurora-networks",
                "AX-9000",
                "U1",
                "bmc",
                "2.4.1",
                7,
                &img,
            )));
            hwprov::wire::bundle::encode(&parts)
        },
        vec![("firmware.target", D)],
    ));
    let eval_policy = with_rules("firmware_evaluations = [\"binary-equivalence\"]\n", "");
    let img = image("bmc", "2.4.1", 64 * 1024);
    let with_eval = |serial: &'static str, e: Option<Statement>| {
        let mut parts = split(&Unit::new(serial).bundle());
        if let Some(e) = e {
            parts.push(sign_by(&e));
        }
        hwprov::wire::bundle::encode(&parts)
    };
    v.push(fail(
        "firmware-evaluation-missing",
        "The policy requires a binary-equivalence evaluation of each image; there is none.",
        eval_policy.clone(),
        with_eval("AX5-000309", None),
        vec![("firmware.unevaluated", D)],
    ));
    v.push(fail(
        "firmware-evaluation-failed",
        "The lab evaluated the image and it failed.",
        eval_policy.clone(),
        with_eval(
            "AX5-000310",
            Some(evaluation(Sha256::of(&img), "binary-equivalence", false)),
        ),
        vec![("firmware.unevaluated", D)],
    ));
    v.push(pass(
        "firmware-evaluation-passed",
        "The lab evaluated the image and it passed.",
        eval_policy.clone(),
        with_eval(
            "AX5-000311",
            Some(evaluation(Sha256::of(&img), "binary-equivalence", true)),
        ),
    ));
    v.push(fail(
        "firmware-evaluation-other-image",
        "A passing evaluation of a different image does not count.",
        eval_policy,
        with_eval(
            "AX5-000312",
            Some(evaluation(
                Sha256::of(b"another image"),
                "binary-equivalence",
                true,
            )),
        ),
        vec![("firmware.unevaluated", D)],
    ));
    v.push(fail(
        "provenance-mismatch",
        "The device's component lot differs from the lot its atp statement names.",
        base_policy(),
        Unit::new("AX5-000313").bundle_with(&sign_by, &|dev| {
            if let Body::Device(d) = &mut dev.body {
                d.components[0].lot = "A-0002".into();
            }
        }),
        vec![("provenance.mismatch", D)],
    ));
    v.push(fail(
        "provenance-incomplete",
        "The atp statement cites no inputs, so design and fab cannot be reached.",
        base_policy(),
        Unit::new("AX5-000314").bundle_with(
            &|st: &Statement| {
                let mut s = st.clone();
                if let Body::Stage(b) = &mut s.body {
                    b.inputs.clear();
                }
                sign_by(&s)
            },
            &|_| {},
        ),
        vec![INCOMPLETE],
    ));
    v.push(pass(
        "provenance-fewer-required",
        "A policy that requires only atp accepts a component whose atp cites no inputs.",
        policy("test-vectors", "required_stages = [\"atp\"]\n", ""),
        Unit::new("AX5-000315").bundle_with(
            &|st: &Statement| {
                let mut s = st.clone();
                if let Body::Stage(b) = &mut s.body {
                    b.inputs.clear();
                }
                sign_by(&s)
            },
            &|_| {},
        ),
    ));
}

/// `test-vectors/hostile/`: inputs built to break parsers and limits. Each
/// must end in the stated outcome without a panic or an allocation beyond
/// the limits.
/// Phase-out plans (SPEC 6.5): a legacy unit's vendor findings waived until
/// the deadline, the notice before it, overdue after it, new units, units
/// with no installed date, the class scope, a subsidiary of the plan's
/// entity, and the findings a plan does not waive.
fn phaseout_cases(v: &mut Vec<Case>) {
    const PLAN: &str = "[classes.ran.rules]\n\"jurisdiction.control\" = \"warn\"\n\
        [classes.core]\n\n\
        [[phaseouts]]\nid = \"hrv-removal\"\nentity = \"eastwind-telecom\"\nclasses = [\"ran\"]\n\
        installed_before = 2020-07-14T00:00:00Z\ndeadline = 2027-12-31T00:00:00Z\n\
        reason = \"removal of high-risk vendors from 5G by the end of 2027\"\n";
    let plan = || with_rules("", PLAN);
    let eastwind = |serial: &'static str, route: Route| {
        Unit {
            vendor: "eastwind-telecom",
            model: "EW-9",
            class: "ran",
            route,
            ..Unit::new(serial)
        }
        .bundle()
    };
    let row = |serial: &str, class: &str, installed: &str| {
        Some(format!(
            "vendor,model,serial,class,installed\neastwind-telecom,EW-9,{serial},{class},{installed}\n"
        ))
    };
    let w = "warn";
    let legacy = vec![
        ("jurisdiction.control", "waived"),
        ("entity.designated", "waived"),
    ];
    v.push(Case {
        rules: legacy.clone(),
        deployment: row("EW9-500001", "ran", "2019-03-01T00:00:00Z"),
        ..pass(
            "phaseout-legacy-waived",
            "A unit of the plan's vendor installed before installed_before, before the deadline: its vendor findings (device and firmware statements) are waived by the plan.",
            plan(),
            eastwind("EW9-500001", CLEAN),
        )
    });
    v.push(Case {
        at: "2027-10-02T00:00:00Z",
        rules: [legacy.clone(), vec![("phaseout.expiring", "info")]].concat(),
        deployment: row("EW9-500001", "ran", "2019-03-01T00:00:00Z"),
        ..pass(
            "phaseout-legacy-expiring",
            "The same unit 90 days before the deadline: still waived, and phaseout.expiring (info).",
            plan(),
            eastwind("EW9-500001", CLEAN),
        )
    });
    v.push(Case {
        at: "2027-10-01T00:00:00Z",
        rules: legacy.clone(),
        deployment: row("EW9-500001", "ran", "2019-03-01T00:00:00Z"),
        ..pass(
            "phaseout-legacy-before-notice",
            "91 days before the deadline: waived, no notice yet.",
            plan(),
            eastwind("EW9-500001", CLEAN),
        )
    });
    v.push(Case {
        at: "2027-12-31T00:00:00Z",
        deployment: row("EW9-500001", "ran", "2019-03-01T00:00:00Z"),
        ..fail(
            "phaseout-legacy-overdue",
            "At the deadline the legacy unit is overdue (deny) and its findings stand.",
            plan(),
            eastwind("EW9-500001", CLEAN),
            vec![
                ("jurisdiction.control", w),
                ("entity.designated", D),
                ("phaseout.overdue", D),
            ],
        )
    });
    v.push(Case {
        deployment: row("EW9-500002", "ran", "2020-07-14T00:00:00Z"),
        ..fail(
            "phaseout-new-unit",
            "Installed exactly at installed_before (not before it): a new unit, denied, nothing waived.",
            plan(),
            eastwind("EW9-500002", CLEAN),
            vec![
                ("jurisdiction.control", w),
                ("entity.designated", D),
                ("phaseout.new-unit", D),
            ],
        )
    });
    v.push(Case {
        deployment: row("EW9-500003", "ran", ""),
        ..fail(
            "phaseout-no-installed-date",
            "A covered unit whose deployment row gives no installed date is a new unit.",
            plan(),
            eastwind("EW9-500003", CLEAN),
            vec![
                ("jurisdiction.control", w),
                ("entity.designated", D),
                ("phaseout.new-unit", D),
            ],
        )
    });
    v.push(Case {
        deployment: row("EW9-500004", "core", "2019-03-01T00:00:00Z"),
        ..fail(
            "phaseout-other-class",
            "A legacy unit the operator deploys in a class the plan does not cover (the vendor suggests ran): no phase-out finding and nothing waived.",
            plan(),
            eastwind("EW9-500004", CLEAN),
            vec![
                ("jurisdiction.control", D),
                ("entity.designated", D),
                ("class.mismatch", w),
            ],
        )
    });
    v.push(Case {
        deployment: row("EW9-500005", "ran", "2019-03-01T00:00:00Z"),
        ..fail(
            "phaseout-site-findings-stand",
            "A legacy unit whose chip was packaged at a high-risk site: the plan waives the vendor's findings, not the packaging site's (role atp).",
            plan(),
            eastwind("EW9-500005", HIGH_RISK_ATP),
            [
                vec![("jurisdiction.site", D), ("jurisdiction.control", w)],
                legacy.clone(),
            ]
            .concat(),
        )
    });
    // A plan on a holding covers its subsidiary's units.
    let holding = plan()
        .replace(
            "name = \"Eastwind Telecom Equipment\"\n",
            "name = \"Eastwind Telecom Equipment\"\nparent = \"dragon-holdings\"\n",
        )
        .replace(
            "entity = \"eastwind-telecom\"\nclasses",
            "entity = \"dragon-holdings\"\nclasses",
        );
    v.push(Case {
        rules: legacy,
        deployment: row("EW9-500006", "ran", "2019-03-01T00:00:00Z"),
        ..pass(
            "phaseout-subsidiary",
            "A plan naming the vendor's owner covers the vendor's units (descendants, ownership in force).",
            holding,
            eastwind("EW9-500006", CLEAN),
        )
    });
    v.push(input_error(
        "phaseout-undeclared-class",
        "A plan scoped to a class the policy does not declare is an invalid policy.",
        with_rules(
            "",
            "[[phaseouts]]\nid = \"p\"\nentity = \"eastwind-telecom\"\nclasses = [\"ran\"]\n\
             installed_before = 2020-07-14T00:00:00Z\ndeadline = 2027-12-31T00:00:00Z\nreason = \"r\"\n",
        ),
        Unit::new("AX5-500007").bundle(),
        "which the policy does not declare",
    ));
}

pub(crate) fn hostile() -> Vec<Case> {
    let mut v = Vec::new();
    // A payload signed by a trusted key, so only the payload is under test.
    let signed_payload = |payload: Vec<u8>| {
        let dev_key = key("aurora-networks", 0);
        hwprov::wire::bundle::encode(&[envelope::sign(&payload, &[&dev_key])])
    };
    let device = Unit::new("AX5-900001").parts().0.to_value();
    let Value::Map(base) = device else {
        unreachable!()
    };
    let with = |k: &str, val: Value| {
        let mut m = base.clone();
        set(&mut m, k, val);
        cbor::encode_deterministic(&Value::Map(m))
    };
    let mut deep = Value::Text("bottom".into());
    for _ in 0..40 {
        deep = Value::Map(vec![(Value::Text("x".into()), deep)]);
    }
    v.push(fail(
        "deep-nesting",
        "A signed device payload whose ext nests 40 maps deep (the limit is 16).",
        base_policy(),
        signed_payload(with("ext", deep)),
        vec![("statement.malformed", D)],
    ));
    // "issuer": text declaring 4 GiB (0x7a ffffffff), signed.
    let huge = {
        let p = with("issuer", Value::Text("aurora-networks".into()));
        let pos = p
            .windows(16)
            .position(|w| w == b"oaurora-networks")
            .unwrap();
        let mut out = p[..pos].to_vec();
        out.extend_from_slice(&[0x7a, 0xff, 0xff, 0xff, 0xff]);
        out.extend_from_slice(&p[pos + 1..]);
        out
    };
    v.push(fail(
        "huge-declared-text",
        "A signed payload whose issuer declares a 4 GiB string; refused before allocating.",
        base_policy(),
        signed_payload(huge),
        vec![("statement.malformed", D)],
    ));
    let indefinite = {
        let p = with("class", Value::Text("core".into()));
        let mut out = vec![0xbf];
        out.extend_from_slice(&p[1..]);
        out.push(0xff);
        out
    };
    v.push(fail(
        "indefinite-map",
        "A signed payload encoded as an indefinite-length map.",
        base_policy(),
        signed_payload(indefinite),
        vec![("statement.malformed", D)],
    ));
    v.push(fail(
        "tag-in-field",
        "A signed payload whose issuer is wrapped in a CBOR tag (tag 1).",
        base_policy(),
        signed_payload(with(
            "issuer",
            Value::Tag(1, Box::new(Value::Text("aurora-networks".into()))),
        )),
        vec![("statement.malformed", D)],
    ));
    let nan = {
        let p = with("issued", Value::Uint(ISSUED));
        let needle = [0x1a_u8, 0x69, 0xa3, 0x81, 0x80];
        let pos = p.windows(5).position(|w| w == needle).unwrap();
        let mut out = p[..pos].to_vec();
        out.extend_from_slice(&[0xf9, 0x7e, 0x00]);
        out.extend_from_slice(&p[pos + 5..]);
        out
    };
    v.push(fail(
        "nan-time",
        "A signed payload whose issued time is NaN.",
        base_policy(),
        signed_payload(nan),
        vec![("statement.malformed", D)],
    ));
    v.push(fail(
        "self-describe-tag",
        "The root statement wrapped in the self-describe tag 55799 before tag 18.",
        base_policy(),
        {
            let mut parts = split(&Unit::new("AX5-900002").bundle());
            let mut wrapped = vec![0xd9, 0xd9, 0xf7];
            wrapped.extend_from_slice(&parts[0]);
            parts[0] = wrapped;
            hwprov::wire::bundle::encode(&parts)
        },
        vec![("envelope.malformed", D)],
    ));
    v.push(Case {
        rules: vec![("envelope.malformed", D)],
        ..fail(
            "ten-thousand-statements",
            "A bundle of exactly 10,000 statements (the limit), each a one-byte non-statement: accepted as a bundle, every statement refused.",
            base_policy(),
            hwprov::wire::bundle::encode(&vec![vec![0x00]; 10_000]),
            vec![],
        )
    });
    v.push(input_error(
        "ten-thousand-and-one-statements",
        "A bundle declaring 10,001 statements, one over the limit.",
        base_policy(),
        hwprov::wire::bundle::encode(&vec![vec![0x00]; 10_001]),
        "10001 statements, over the limit of 10000",
    ));
    v.push(input_error(
        "nested-arrays-bundle",
        "A bundle whose element is an array nested 10,000 deep instead of a byte string.",
        base_policy(),
        {
            let mut b = vec![0x81];
            b.extend(std::iter::repeat_n(0x81, 10_000));
            b.push(0x00);
            b
        },
        "not a byte string",
    ));
    v.push(fail(
        "oversized-statement",
        "A statement of 1 MiB + 1 byte inside a bundle: refused unparsed (the per-statement limit).",
        base_policy(),
        {
            let mut parts = split(&Unit::new("AX5-900003").bundle());
            parts.push(vec![0xd2; (1 << 20) + 1]);
            hwprov::wire::bundle::encode(&parts)
        },
        vec![("envelope.malformed", D)],
    ));
    v
}
