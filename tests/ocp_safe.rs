//! OCP S.A.F.E. reports as evaluation evidence (SPEC sections 1, 3, 9 and
//! 11): every published report hwprov keeps (test-vectors/outside/ocp-safe,
//! sources in SOURCES.txt) verifies with its provider's key and no other;
//! any altered byte or algorithm fails; hwprov reads every report as the
//! OCP's reference library does, and reports that library signs verify in
//! hwprov (Python checker, installed by ./test.sh); and the gate's
//! decisions through the real binary.

mod common;

use common::*;
use hwprov::Limits;
use hwprov::wire::eckey::EvidenceKey;
use hwprov::wire::safe;
use std::path::{Path, PathBuf};

fn vectors() -> PathBuf {
    outside().join("ocp-safe")
}

/// Each published report and the one key (of all the providers' and the
/// two sample keys) that verifies it.
const REPORTS: &[(&str, &str)] = &[
    (
        "reports/OCP_SAFE_-_NVIDIA_-_Hopper_-_2025-08-04_-_Confidential_Compute_Work_Launch_Key_Management.jws",
        "keys/tetrel-ocp-sfr-signing-key.pub",
    ),
    (
        "reports/OCP_SAFE_-_amd_mi300x_-_BL_-_Boot_Access_Module.jws",
        "keys/ocp_safe_ncc_group_ecdsa_p521.pub",
    ),
    (
        "reports/axiado-ax3000_series_bootrom-scope_1_signed.jws",
        "keys/keysight_ocp_safe_ecdsa_p521_e1.pub",
    ),
    (
        "reports/caliptra_fw_signed_report.jws",
        "keys/ioactive-ocp-safe-ecdsa-p521-pub.pem",
    ),
    (
        "reports/2026-04-21_Microsoft-Corporation_Microsoft-HSM-Cryptographic-Module-Layer-0-RoT_Final-Report_signed.cbor",
        "keys/tetrel-ocp-sfr-signing-key.pub",
    ),
    (
        "samples/manifest/manifest.jws",
        "samples/manifest/testkey_ecdsa_p521.pub",
    ),
    ("samples/helloworld.jws", "samples/testkey_ecdsa_p521.pub"),
];

fn key_files() -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(vectors().join("keys"))
        .unwrap()
        .map(|e| format!("keys/{}", e.unwrap().file_name().to_string_lossy()))
        .collect();
    out.push("samples/testkey_ecdsa_p521.pub".into());
    out.push("samples/manifest/testkey_ecdsa_p521.pub".into());
    out.sort();
    out
}

fn keys() -> Vec<(String, EvidenceKey)> {
    key_files()
        .into_iter()
        .map(|f| {
            let pem = std::fs::read_to_string(vectors().join(&f)).unwrap();
            let k = EvidenceKey::from_pem(&pem).unwrap_or_else(|e| panic!("{f}: {e}"));
            (f, k)
        })
        .collect()
}

/// A report's bytes as a bundle holds them (a published .jws file may end
/// with a newline).
fn report_bytes(rel: &str) -> Vec<u8> {
    let b = std::fs::read(vectors().join(rel)).unwrap();
    if rel.ends_with(".jws") {
        b.trim_ascii_end().to_vec()
    } else {
        b
    }
}

/// Which keys verify `bytes` (empty when it does not parse).
fn verifiers(bytes: &[u8], keys: &[(String, EvidenceKey)]) -> Vec<String> {
    match safe::parse(bytes, &Limits::DEFAULT) {
        Ok(s) => keys
            .iter()
            .filter(|(_, k)| s.verified_by(k))
            .map(|(n, _)| n.clone())
            .collect(),
        Err(_) => Vec::new(),
    }
}

#[test]
fn every_published_report_verifies_with_its_providers_key_and_no_other() {
    let keys = keys();
    assert_eq!(keys.len(), 10, "eight providers and two sample keys");
    for (report, key) in REPORTS {
        let got = verifiers(&report_bytes(report), &keys);
        assert_eq!(got, [key.to_string()], "{report}");
    }
}

#[test]
fn one_altered_byte_or_algorithm_fails() {
    let keys = keys();
    for (report, key) in REPORTS {
        let good = report_bytes(report);
        let mut positions: Vec<usize> = Vec::new();
        if report.ends_with(".jws") {
            // Some characters of the header, the payload and the signature,
            // each swapped for another base64url character.
            let dots: Vec<usize> = good
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'.')
                .map(|(i, _)| i)
                .collect();
            let parts = [
                (0, dots[0]),
                (dots[0] + 1, dots[1]),
                (dots[1] + 1, good.len()),
            ];
            for (a, b) in parts {
                for k in 0..12 {
                    positions.push(a + (b - a) * k / 12);
                }
            }
        } else {
            // Every byte but the signature's unprotected header `{4: kid}`
            // (map head, label, bstr head, text): COSE does not sign it,
            // and hwprov never uses it.
            let kid = b"tetrel-ocp-sfr-signing-key";
            let at = good.windows(kid.len()).position(|w| w == kid).unwrap();
            positions.extend((0..good.len()).filter(|p| !(at - 3..at + kid.len()).contains(p)));
        }
        for p in positions {
            let mut bad = good.clone();
            bad[p] = match bad[p] {
                b'A' => b'B',
                b'.' => b'A',
                c if c.is_ascii_alphanumeric() => b'A',
                c => c ^ 0x01,
            };
            assert!(
                verifiers(&bad, &keys).is_empty(),
                "{report}: byte {p} changed and the report still verifies"
            );
        }
        // The right key still verifies the original (the loop above did
        // not pass for want of a key).
        assert_eq!(verifiers(&good, &keys), [key.to_string()]);
    }

    // The algorithm changed in a JWS header: refused or unverifiable.
    let jws = String::from_utf8(report_bytes(REPORTS[0].0)).unwrap();
    let (header, rest) = jws.split_once('.').unwrap();
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let h = String::from_utf8(b64.decode(header).unwrap()).unwrap();
    for (from, to) in [
        ("ES512", "ES384"),
        ("ES512", "HS512"),
        ("ES512", "none"),
        ("ES512", "PS512"),
    ] {
        let changed = format!("{}.{rest}", b64.encode(h.replace(from, to)));
        assert!(
            verifiers(changed.as_bytes(), &keys).is_empty(),
            "alg {to} accepted"
        );
    }
    // A critical extension is refused even with the signature intact.
    let crit = h.replacen('{', r#"{"crit":["exp"],"#, 1);
    let e = safe::parse(
        format!("{}.{rest}", b64.encode(crit)).as_bytes(),
        &Limits::DEFAULT,
    )
    .unwrap_err();
    assert!(e.0.contains("crit"), "{e}");
    // Padding and whitespace are not base64url of a compact serialisation.
    assert!(safe::parse(format!("{jws}=").as_bytes(), &Limits::DEFAULT).is_err());
    assert!(safe::parse(format!("{jws}\n").as_bytes(), &Limits::DEFAULT).is_err());

    // A CoRIM report given an algorithm: a P-384 one does not fit its
    // signature; the right one changes the signed headers.
    use hwprov::wire::cbor::{self, Value};
    let corim = report_bytes(REPORTS[4].0);
    let Value::Tag(98, body) = cbor::decode(&corim, 16).unwrap() else {
        panic!("COSE_Sign")
    };
    let Value::Array(items) = *body else { panic!() };
    for (alg, parses) in [(35u64, false), (36, true)] {
        let mut items = items.clone();
        let Value::Array(sigs) = &mut items[3] else {
            panic!()
        };
        let Value::Array(sig) = &mut sigs[0] else {
            panic!()
        };
        sig[0] = Value::Bytes(cbor::encode(&Value::Map(vec![(
            Value::Uint(1),
            Value::Nint(alg - 1),
        )])));
        let changed = cbor::encode(&Value::Tag(98, Box::new(Value::Array(items))));
        assert_eq!(safe::parse(&changed, &Limits::DEFAULT).is_ok(), parses);
        assert!(verifiers(&changed, &keys).is_empty());
    }
}

fn ocp_checker() -> bool {
    checker(
        "ocp-safe-lib",
        python_has("cbor2, jwt, cwt, cryptography, prettyprinter, azure.identity"),
        "pip install -r tests/requirements.txt (PyJWT, cwt, the Azure SDK and the rest the OCP reference library imports)",
    )
}

fn inspect(path: &Path) -> serde_json::Value {
    let o = run(&["inspect", path.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// The fields both readings give, from hwprov's `inspect` JSON.
fn fields(inspected: &serde_json::Value) -> serde_json::Value {
    let r = &inspected["report"];
    let issues: Vec<serde_json::Value> = r["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| serde_json::json!([i["title"], i["cvss_score"]]))
        .collect();
    serde_json::json!({
        "vendor": r["vendor"],
        "product": r["product"],
        "fw_version": r["fw_version"],
        "image_digests": r["image_digests"],
        "srp": r["srp"],
        "completion_date": r["completion_date"],
        "issues": issues,
    })
}

#[test]
fn hwprov_reads_every_report_as_the_reference_library_does() {
    if !ocp_checker() {
        return;
    }
    let key_paths: Vec<PathBuf> = key_files().iter().map(|k| vectors().join(k)).collect();
    for (report, key) in REPORTS {
        let o = python()
            .arg(root().join("tests/interop/ocp_safe_check.py"))
            .arg("read")
            .arg(vectors().join(report))
            .args(&key_paths)
            .output()
            .unwrap();
        assert!(o.status.success(), "{report}: {}", stderr(&o));
        let theirs: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let name = Path::new(key).file_name().unwrap().to_str().unwrap();
        assert_eq!(theirs["verified_by"], serde_json::json!([name]), "{report}");
        let ours = fields(&inspect(&vectors().join(report)));
        assert_eq!(ours, theirs["report"], "{report}");
    }
}

/// A policy for one lab key and one vendor key, in `dir`.
fn interop_policy(dir: &Path, lab_key: &Path, vendor_pub: &str, max_cvss: &str) -> PathBuf {
    std::fs::copy(lab_key, dir.join("lab.pub.pem")).unwrap();
    let p = dir.join("policy.toml");
    std::fs::write(
        &p,
        format!(
            "[policy]\nname = \"interop\"\nversion = \"1\"\n\n[jurisdictions]\nhigh_risk = [\"RU\"]\n\n\
             [[entities]]\nid = \"interop-vendor\"\nname = \"Interop Vendor\"\ncountry = \"FI\"\n\n\
             [[entities]]\nid = \"interop-lab\"\nname = \"Interop Review Provider\"\ncountry = \"GB\"\n\n\
             [[keys]]\nentity = \"interop-vendor\"\npublic_key_file = \"{vendor_pub}\"\nroles = [\"firmware\"]\n\n\
             [[keys]]\nentity = \"interop-lab\"\npublic_key_file = \"lab.pub.pem\"\nroles = [\"evaluation\"]\n\n\
             [rules]\nfirmware_evaluations = [\"ocp-safe\"]\n\n\
             [evaluations.ocp-safe]\nlabs = [\"interop-lab\"]\nmax_cvss = {max_cvss}\n"
        ),
    )
    .unwrap();
    p
}

/// Signs `statement` (the JSON authoring form) with `key` into `out`,
/// through the binary; the JSON is written beside it.
fn sign_json(key: &Path, statement: &serde_json::Value, out: &Path) -> std::process::Output {
    let json = out.with_extension("json");
    std::fs::write(&json, statement.to_string()).unwrap();
    run(&[
        "sign",
        "--key",
        key.to_str().unwrap(),
        json.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ])
}

#[test]
fn reports_the_reference_library_signs_verify_in_hwprov() {
    if !ocp_checker() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let made = tmp.path().join("made");
    let o = python()
        .env("TZ", "UTC")
        .arg(root().join("tests/interop/ocp_safe_check.py"))
        .arg("sign")
        .arg(&made)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let image = std::fs::read(made.join("image.bin")).unwrap();

    // A release of the image, naming it by all three digests.
    let d = tmp.path();
    let o = run(&[
        "key",
        "generate",
        "--out",
        d.join("vendor.pem").to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    use sha2::Digest as _;
    let release = serde_json::json!({
        "v": 1, "type": "firmware", "issuer": "interop-vendor", "issued": "2026-07-01T00:00:00Z",
        "target": {"vendor": "interop-vendor", "model": "Interop BMC", "component": "bmc"},
        "name": "interop-bmc", "version": "1.0.0", "svn": 1,
        "image": format!("sha256:{}", hwprov::Sha256::of(&image).hex()),
        "size": image.len(),
        "digests": [
            format!("sha384:{}", hwprov::wire::digest::hex(&sha2::Sha384::digest(&image))),
            format!("sha512:{}", hwprov::wire::digest::hex(&sha2::Sha512::digest(&image))),
        ],
    });
    let s = |p: &Path| p.to_str().unwrap().to_owned();
    let o = sign_json(&d.join("vendor.pem"), &release, &d.join("release.cose"));
    assert_eq!(code(&o), 0, "{}", stderr(&o));

    for curve in ["p521", "p384"] {
        let jws = inspect(&made.join(format!("{curve}.jws")));
        let corim = inspect(&made.join(format!("{curve}.cbor")));
        assert_eq!(jws["encoding"], "jws");
        assert_eq!(corim["encoding"], "corim");
        assert_eq!(
            jws["algorithm"],
            if curve == "p521" { "ES512" } else { "ES384" }
        );
        assert_eq!(corim["algorithm"], jws["algorithm"]);
        // The CoRIM extension decodes to the values of its JSON twin.
        let twin: serde_json::Value =
            serde_json::from_slice(&std::fs::read(made.join(format!("{curve}.json"))).unwrap())
                .unwrap();
        for r in [&jws["report"], &corim["report"]] {
            assert_eq!(r["vendor"], twin["device"]["vendor"]);
            assert_eq!(r["product"], twin["device"]["product"]);
            assert_eq!(r["fw_version"], twin["device"]["fw_version"]);
            assert_eq!(r["repo_tag"], twin["device"]["repo_tag"]);
            assert_eq!(r["srp"], twin["audit"]["srp"]);
            assert_eq!(r["completion_date"], twin["audit"]["completion_date"]);
            assert_eq!(r["report_version"], twin["audit"]["report_version"]);
            assert_eq!(
                r["review_framework_version"],
                twin["review_framework_version"]
            );
            assert_eq!(
                r["image_digests"][0],
                format!(
                    "sha384:{}",
                    twin["device"]["fw_hash_sha2_384"].as_str().unwrap()
                )
            );
            assert_eq!(
                r["image_digests"][1],
                format!(
                    "sha512:{}",
                    twin["device"]["fw_hash_sha2_512"].as_str().unwrap()
                )
            );
            for (i, t) in r["issues"]
                .as_array()
                .unwrap()
                .iter()
                .zip(twin["audit"]["issues"].as_array().unwrap())
            {
                for f in [
                    "title",
                    "cvss_score",
                    "cvss_vector",
                    "cwe",
                    "cve",
                    "description",
                ] {
                    assert_eq!(i[f], t[f], "{curve} {f}");
                }
            }
            assert_eq!(r["issues"].as_array().unwrap().len(), 2);
        }
        for encoding in ["jws", "cbor"] {
            let cd = d.join(format!("{curve}-{encoding}"));
            std::fs::create_dir_all(&cd).unwrap();
            std::fs::copy(d.join("vendor.pub.pem"), cd.join("vendor.pub.pem")).unwrap();
            let bundle = cd.join("bundle.cbor");
            let report = made.join(format!("{curve}.{encoding}"));
            let o = run(&[
                "bundle",
                "--out",
                &s(&bundle),
                &s(&d.join("release.cose")),
                &s(&report),
            ]);
            assert_eq!(code(&o), 0, "{}", stderr(&o));
            // The open issues' worst is 7.2: a 7.3 ceiling passes, 7.0 fails.
            for (max, want) in [("7.3", 0), ("7.0", 1)] {
                let policy = interop_policy(
                    &cd,
                    &made.join(format!("{curve}.pub.pem")),
                    "vendor.pub.pem",
                    max,
                );
                let o = run(&[
                    "verify",
                    "--policy",
                    &s(&policy),
                    "--at",
                    "2026-11-21T00:00:00Z",
                    "--format",
                    "json",
                    &s(&bundle),
                ]);
                assert_eq!(
                    code(&o),
                    want,
                    "{curve} {encoding} max {max}: {}{}",
                    stdout(&o),
                    stderr(&o)
                );
                let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
                let e = &r["evaluations"][0];
                assert_eq!(e["lab"], "interop-lab");
                assert_eq!(e["counted"], true);
                assert_eq!(e["result"], if want == 0 { "pass" } else { "fail" });
                if want == 1 {
                    assert!(
                        e["reason"]
                            .as_str()
                            .unwrap()
                            .contains("'Debug console left enabled' at CVSS 7.2"),
                        "{e}"
                    );
                }
            }
        }
    }
}

/// The example of examples/ocp-safe, copied so policies can be edited.
fn example() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let src = root().join("examples/ocp-safe");
    for e in walk(&src) {
        let rel = e.strip_prefix(&src).unwrap();
        let to = tmp.path().join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&e, &to).unwrap();
    }
    tmp
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn gate(dir: &Path, state: &str, image: &str, bundle: &str, at: &str) -> (i32, serde_json::Value) {
    let st = dir.join("work-state.json");
    std::fs::copy(dir.join(state), &st).unwrap();
    let o = run(&[
        "gate",
        "--policy",
        dir.join("policy.toml").to_str().unwrap(),
        "--state",
        st.to_str().unwrap(),
        "--image",
        dir.join(image).to_str().unwrap(),
        "--at",
        at,
        "--format",
        "json",
        dir.join(bundle).to_str().unwrap(),
    ]);
    let j = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&o), stderr(&o)));
    (code(&o), j)
}

fn rules(r: &serde_json::Value) -> Vec<String> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "deny")
        .map(|f| f["rule"].as_str().unwrap().to_owned())
        .collect()
}

const AT: &str = "2026-11-21T00:00:00Z";
const ROM: &str = "images/pb9000-bootrom-b0.bin";
const PB: &str = "state-pb9000.json";

#[test]
fn gate_decisions_on_safe_reports() {
    let ex = example();
    let d = ex.path();

    // A real, accepted provider's report of exactly these bytes: accepted.
    let (c, r) = gate(d, PB, ROM, "bundle-pb9000-bootrom-b0.cbor", AT);
    assert_eq!(c, 0, "{r}");
    assert_eq!(r["evaluations"][0]["lab"], "keysight");
    assert_eq!(r["evaluations"][0]["result"], "pass");
    assert_eq!(r["statements"][1]["type"], "ocp-safe-report");
    assert_eq!(r["statements"][1]["issuer"], "keysight");

    // No report.
    let (c, r) = gate(d, PB, ROM, "bundle-pb9000-no-report.cbor", AT);
    assert_eq!((c, rules(&r)), (1, vec!["firmware.unevaluated".to_owned()]));
    assert!(
        r["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("no verified OCP S.A.F.E. report reviews image")
    );

    // A report of other bytes (Keysight's ROM report beside the Roadrunner release).
    let o = run(&[
        "bundle",
        "--out",
        d.join("other.cbor").to_str().unwrap(),
        d.join("release-roadrunner-1.2.3.cose").to_str().unwrap(),
        d.join("reports/axiado-ax3000_series_bootrom-scope_1_signed.jws")
            .to_str()
            .unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let (c, r) = gate(
        d,
        "state-roadrunner.json",
        "images/roadrunner-1.2.3.bin",
        "other.cbor",
        AT,
    );
    assert_eq!((c, rules(&r)), (1, vec!["firmware.unevaluated".to_owned()]));
    assert_eq!(r["evaluations"][0]["counted"], false);
    assert!(
        r["evaluations"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("about other bytes"),
        "{r}"
    );

    // An open issue at or above max_cvss.
    let (c, r) = gate(
        d,
        "state-roadrunner.json",
        "images/roadrunner-1.2.3.bin",
        "bundle-roadrunner-1.2.3.cbor",
        AT,
    );
    assert_eq!(c, 1);
    assert_eq!(r["evaluations"][0]["result"], "fail");
    assert!(
        r["evaluations"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("CVSS 7.9, at or above max_cvss 7.0")
    );

    // Too old: four years after the review.
    let (c, r) = gate(
        d,
        PB,
        ROM,
        "bundle-pb9000-bootrom-b0.cbor",
        "2029-12-01T00:00:00Z",
    );
    assert_eq!(c, 1);
    assert!(
        r["evaluations"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("older than max_age_days 1460"),
        "{r}"
    );

    // An altered report: evidence.malformed, whatever else passes.
    let mut b = std::fs::read(d.join("bundle-pb9000-bootrom-b0.cbor")).unwrap();
    let n = b.len();
    b[n - 5] = if b[n - 5] == b'A' { b'B' } else { b'A' };
    std::fs::write(d.join("tampered.cbor"), &b).unwrap();
    let (c, r) = gate(d, PB, ROM, "tampered.cbor", AT);
    assert_eq!(c, 1);
    assert!(rules(&r).contains(&"evidence.malformed".to_owned()), "{r}");

    // The provider not among the labs the policy accepts.
    let policy = std::fs::read_to_string(d.join("policy.toml")).unwrap();
    std::fs::write(
        d.join("policy.toml"),
        policy.replace(
            "labs = [\"atredis\", \"ioactive\", \"keysight\", ",
            "labs = [\"atredis\", \"ioactive\", ",
        ),
    )
    .unwrap();
    let (c, r) = gate(d, PB, ROM, "bundle-pb9000-bootrom-b0.cbor", AT);
    assert_eq!(c, 1);
    assert!(
        r["evaluations"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("provider 'keysight' is not a lab the policy accepts"),
        "{r}"
    );

    // The provider's key not in the policy: nothing verifies the report.
    std::fs::write(
        d.join("policy.toml"),
        policy.replace("[[keys]]\nentity = \"keysight\"\npublic_key_file = \"keys/keysight_ocp_safe_ecdsa_p521_e1.pub\"\nroles = [\"evaluation\"]\n", ""),
    )
    .unwrap();
    let (c, r) = gate(d, PB, ROM, "bundle-pb9000-bootrom-b0.cbor", AT);
    assert_eq!(c, 1);
    let f = &r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "evidence.malformed")
        .unwrap()["message"];
    assert!(
        f.as_str()
            .unwrap()
            .contains("no evaluation key of the policy verifies the report (7 P-521 key(s) tried)"),
        "{f}"
    );
}

#[test]
fn the_gate_checks_every_digest_the_release_lists() {
    // A release whose SHA-256 and size are the image's but whose SHA-384
    // is of other bytes: refused as firmware.image, naming the SHA-384.
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let s = |p: &Path| p.to_str().unwrap().to_owned();
    let o = run(&["key", "generate", "--out", &s(&d.join("vendor.pem"))]);
    assert_eq!(code(&o), 0);
    let image = b"firmware image bytes".repeat(50);
    std::fs::write(d.join("image.bin"), &image).unwrap();
    use sha2::Digest as _;
    let release = |sha384: &[u8]| {
        serde_json::json!({
            "v": 1, "type": "firmware", "issuer": "v", "issued": "2026-07-01T00:00:00Z",
            "target": {"vendor": "v", "model": "m", "component": "c"},
            "name": "fw", "version": "2", "svn": 2,
            "image": format!("sha256:{}", hwprov::Sha256::of(&image).hex()), "size": image.len(),
            "digests": [format!("sha384:{}", hwprov::wire::digest::hex(&sha2::Sha384::digest(sha384)))],
        })
    };
    std::fs::write(
        d.join("policy.toml"),
        "[policy]\nname = \"p\"\nversion = \"1\"\n\n[jurisdictions]\nhigh_risk = []\n\n\
         [[entities]]\nid = \"v\"\nname = \"V\"\ncountry = \"FI\"\n\n\
         [[keys]]\nentity = \"v\"\npublic_key_file = \"vendor.pub.pem\"\nroles = [\"firmware\"]\n",
    )
    .unwrap();
    std::fs::write(
        d.join("state.json"),
        r#"{"device": {"vendor": "v", "model": "m", "serial": "1"}, "installed": {"c": {"name": "fw", "version": "1", "svn": 1, "image": null}}}"#,
    )
    .unwrap();
    for (bytes, want) in [(&image[..], 0), (&b"other bytes"[..], 1)] {
        let o = sign_json(
            &d.join("vendor.pem"),
            &release(bytes),
            &d.join("release.cose"),
        );
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let o = run(&[
            "gate",
            "--policy",
            &s(&d.join("policy.toml")),
            "--state",
            &s(&d.join("state.json")),
            "--image",
            &s(&d.join("image.bin")),
            "--at",
            AT,
            &s(&d.join("release.cose")),
        ]);
        assert_eq!(code(&o), want, "{}{}", stdout(&o), stderr(&o));
        if want == 1 {
            assert!(stdout(&o).contains("firmware.image"), "{}", stdout(&o));
            assert!(
                stdout(&o).contains("its SHA384 is sha384:"),
                "{}",
                stdout(&o)
            );
        }
    }
}

#[test]
fn a_gate_on_sha384_digests_logs_and_replays() {
    let ex = example();
    let d = ex.path();
    let log = d.join("log");
    let s = |p: &Path| p.to_str().unwrap().to_owned();
    let o = run(&["key", "generate", "--out", &s(&d.join("log.pem"))]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = run(&[
        "log",
        "init",
        &s(&log),
        "--key",
        &s(&d.join("log.pem")),
        "--origin",
        "example.org/ocp-safe",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let st = d.join("work-state.json");
    std::fs::copy(d.join(PB), &st).unwrap();
    let o = run(&[
        "gate",
        "--policy",
        &s(&d.join("policy.toml")),
        "--state",
        &s(&st),
        "--image",
        &s(&d.join(ROM)),
        "--at",
        AT,
        "--log",
        &s(&log),
        &s(&d.join("bundle-pb9000-bootrom-b0.cbor")),
    ]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let o = run(&["replay", &s(&log)]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn policies_use_evidence_keys_for_reports_only() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let key = vectors().join("keys/keysight_ocp_safe_ecdsa_p521_e1.pub");
    std::fs::copy(&key, d.join("lab.pem")).unwrap();
    let check = |body: &str| {
        let p = d.join("policy.toml");
        std::fs::write(
            &p,
            format!("[policy]\nname = \"p\"\nversion = \"1\"\n\n[jurisdictions]\nhigh_risk = []\n\n[[entities]]\nid = \"lab\"\nname = \"Lab\"\ncountry = \"GB\"\n\n{body}"),
        )
        .unwrap();
        let o = run(&["policy", "check", p.to_str().unwrap()]);
        (code(&o), stderr(&o))
    };
    let key = |roles: &str| {
        format!("[[keys]]\nentity = \"lab\"\npublic_key_file = \"lab.pem\"\nroles = {roles}\n\n")
    };
    assert_eq!(check(&key("[\"evaluation\"]")).0, 0);
    let (c, e) = check(&key("[\"evaluation\", \"firmware\"]"));
    assert_eq!(c, 2);
    assert!(
        e.contains("is an ECDSA P-521 key: it verifies OCP S.A.F.E. reports only"),
        "{e}"
    );
    let (c, e) = check(&format!(
        "{}[evaluations.binary-equivalence]\nmax_cvss = 7.0\n",
        key("[\"evaluation\"]")
    ));
    assert_eq!(c, 2);
    assert!(
        e.contains("max_cvss applies to [evaluations.ocp-safe] only"),
        "{e}"
    );
    for bad in ["11.0", "0.0", "7.25"] {
        let (c, e) = check(&format!(
            "{}[evaluations.ocp-safe]\nmax_cvss = {bad}\n",
            key("[\"evaluation\"]")
        ));
        assert_eq!(c, 2, "{bad}");
        assert!(e.contains("is not a CVSS score"), "{e}");
    }
    assert_eq!(
        check(&format!(
            "{}[evaluations.ocp-safe]\nmax_cvss = 7\n",
            key("[\"evaluation\"]")
        ))
        .0,
        0
    );
    // A P-256 key is no evidence key.
    std::fs::write(
        d.join("lab.pem"),
        "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEVs/o5+uQbTjL3chynL4wXgUg2R9\nq9UU8I5mEovUf86QZ7kOBIjJwqnzD1omageEHWwHdBO6B+dFabmdT9POxg==\n-----END PUBLIC KEY-----\n",
    )
    .unwrap();
    let (c, e) = check(&key("[\"evaluation\"]"));
    assert_eq!(c, 2);
    assert!(e.contains("or an ECDSA P-384/P-521 SPKI PEM"), "{e}");
}

#[test]
fn release_digests_in_the_authoring_form() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let s = |p: &Path| p.to_str().unwrap().to_owned();
    let o = run(&["key", "generate", "--out", &s(&d.join("k.pem"))]);
    assert_eq!(code(&o), 0);
    let sign = |digests: serde_json::Value| {
        let st = serde_json::json!({
            "v": 1, "type": "firmware", "issuer": "v", "issued": "2026-07-01T00:00:00Z",
            "target": {"vendor": "v", "model": "m", "component": "c"},
            "name": "n", "version": "1", "svn": 1,
            "image": format!("sha256:{}", "ab".repeat(32)), "size": 10, "digests": digests,
        });
        sign_json(&d.join("k.pem"), &st, &d.join("st.cose"))
    };
    let good = serde_json::json!([
        format!("sha384:{}", "cd".repeat(48)),
        format!("sha512:{}", "ef".repeat(64))
    ]);
    let o = sign(good.clone());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(inspect(&d.join("st.cose"))["digests"], good);
    for (bad, why) in [
        (serde_json::json!([]), "must not be empty"),
        (
            serde_json::json!([
                format!("sha384:{}", "cd".repeat(48)),
                format!("sha384:{}", "ab".repeat(48))
            ]),
            "a second sha384 digest",
        ),
        (
            serde_json::json!([format!("sha256:{}", "cd".repeat(32))]),
            "is not sha384:",
        ),
        (
            serde_json::json!([format!("sha384:{}", "cd".repeat(47))]),
            "is not sha384:",
        ),
    ] {
        let o = sign(bad);
        assert_eq!(code(&o), 2);
        assert!(stderr(&o).contains(why), "{why}: {}", stderr(&o));
    }
}

/// A JWS report signed with a P-521 key made from `seed`, in the shape the
/// OCP library writes.
fn jws_report(seed: u8, image: &[u8], srp: &str, title: &str) -> (String, String) {
    use base64::Engine as _;
    use p521::ecdsa::signature::Signer as _;
    use p521::pkcs8::EncodePublicKey as _;
    use sha2::Digest as _;
    let mut secret = [0u8; 66];
    secret[65] = seed;
    secret[64] = 7;
    let key = p521::ecdsa::SigningKey::from_slice(&secret).unwrap();
    let pem = key
        .verifying_key()
        .to_public_key_pem(p521::pkcs8::LineEnding::LF)
        .unwrap();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = b64.encode(r#"{"alg":"ES512","kid":"test","typ":"JWT"}"#);
    let payload = serde_json::json!({
        "review_framework_version": "1.1",
        "device": {"vendor": "V", "product": "P", "fw_version": "1", "repo_tag": "",
                   "fw_hash_sha2_384": hwprov::wire::digest::hex(&sha2::Sha384::digest(image)), "fw_hash_sha2_512": ""},
        "audit": {"srp": srp, "methodology": "whitebox", "completion_date": "2026-05-01",
                  "report_version": "1", "scope_number": 1, "cvss_version": "3.1",
                  "issues": [{"title": title, "cvss_score": "2.0", "cvss_vector": "", "cwe": "", "description": "", "cve": null}]},
    });
    let payload = b64.encode(payload.to_string());
    let input = format!("{header}.{payload}");
    let sig: p521::ecdsa::Signature = key.sign(input.as_bytes());
    (format!("{input}.{}", b64.encode(sig.to_bytes())), pem)
}

#[test]
fn many_reports_are_judged_once_and_named_within_bounds() {
    // Twenty reports of this image by a provider the policy does not accept
    // as a lab, and one by another image: the finding names eight and counts
    // the rest; the report lists those eight.
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let s = |p: &Path| p.to_str().unwrap().to_owned();
    let image = b"an image reviewed twenty times".repeat(10);
    let o = run(&["key", "generate", "--out", &s(&d.join("v.pem"))]);
    assert_eq!(code(&o), 0);
    use sha2::Digest as _;
    let release = serde_json::json!({
        "v": 1, "type": "firmware", "issuer": "v", "issued": "2026-07-01T00:00:00Z",
        "target": {"vendor": "v", "model": "m", "component": "c"},
        "name": "fw", "version": "1", "svn": 1,
        "image": format!("sha256:{}", hwprov::Sha256::of(&image).hex()), "size": image.len(),
        "digests": [format!("sha384:{}", hwprov::wire::digest::hex(&sha2::Sha384::digest(&image)))],
    });
    let o = sign_json(&d.join("v.pem"), &release, &d.join("release.cose"));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let mut files = vec![s(&d.join("release.cose"))];
    let mut pem = String::new();
    for n in 0..20 {
        let (jws, p) = jws_report(1, &image, "Other Lab", &format!("issue {n}"));
        pem = p;
        let f = d.join(format!("r{n}.jws"));
        std::fs::write(&f, jws).unwrap();
        files.push(s(&f));
    }
    let (other, _) = jws_report(1, b"other bytes", "Other Lab", "x");
    std::fs::write(d.join("other.jws"), other).unwrap();
    files.push(s(&d.join("other.jws")));
    std::fs::write(d.join("lab-b.pem"), pem).unwrap();
    let (_, pem_a) = jws_report(2, &image, "Lab A", "x");
    std::fs::write(d.join("lab-a.pem"), pem_a).unwrap();
    std::fs::write(
        d.join("policy.toml"),
        "[policy]\nname = \"p\"\nversion = \"1\"\n\n[jurisdictions]\nhigh_risk = []\n\n\
         [[entities]]\nid = \"v\"\nname = \"V\"\ncountry = \"FI\"\n\n\
         [[entities]]\nid = \"lab-a\"\nname = \"A\"\ncountry = \"FI\"\n\n\
         [[entities]]\nid = \"lab-b\"\nname = \"B\"\ncountry = \"FI\"\n\n\
         [[keys]]\nentity = \"v\"\npublic_key_file = \"v.pub.pem\"\nroles = [\"firmware\"]\n\n\
         [[keys]]\nentity = \"lab-a\"\npublic_key_file = \"lab-a.pem\"\nroles = [\"evaluation\"]\n\n\
         [[keys]]\nentity = \"lab-b\"\npublic_key_file = \"lab-b.pem\"\nroles = [\"evaluation\"]\n\n\
         [rules]\nfirmware_evaluations = [\"ocp-safe\"]\n\n[evaluations.ocp-safe]\nlabs = [\"lab-a\"]\n",
    )
    .unwrap();
    let mut args = vec![
        "bundle".to_owned(),
        "--out".to_owned(),
        s(&d.join("b.cbor")),
    ];
    args.extend(files);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = run(&args);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = run(&[
        "verify",
        "--policy",
        &s(&d.join("policy.toml")),
        "--at",
        AT,
        "--format",
        "json",
        &s(&d.join("b.cbor")),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["statements"].as_array().unwrap().len(), 22);
    assert!(
        r["statements"]
            .as_array()
            .unwrap()
            .iter()
            .skip(1)
            .all(|s| s["issuer"] == "lab-b" && s["verified"] == true)
    );
    let uses = r["evaluations"].as_array().unwrap();
    assert_eq!(uses.len(), 8, "{uses:?}");
    assert!(uses.iter().all(|u| {
        u["counted"] == false
            && u["reason"]
                .as_str()
                .unwrap()
                .contains("'lab-b' is not a lab")
    }));
    let m = r["findings"][0]["message"].as_str().unwrap();
    assert!(m.contains("; 12 more that do not count"), "{m}");
    assert_eq!(
        m.matches("is not a lab the policy accepts").count(),
        8,
        "{m}"
    );
}

#[test]
fn each_key_tried_on_a_report_is_paid_from_the_signature_budget() {
    // The release costs one check; Keysight's key is the third P-521 key of
    // the example policy, so its report costs three tries of 20.
    let e = root().join("examples/ocp-safe");
    let policy = hwprov::Policy::load(&e.join("policy.toml"), &Limits::DEFAULT).unwrap();
    let bundle = std::fs::read(e.join("bundle-pb9000-bootrom-b0.cbor")).unwrap();
    let at = hwprov::Timestamp::parse_rfc3339(AT).unwrap();
    assert_eq!(hwprov::decide::safe::ECDSA_CHECK_WEIGHT, 20);
    let with = |n: u64| {
        let limits = Limits {
            max_signature_checks: n,
            ..Limits::DEFAULT
        };
        hwprov::verify_bundle(&policy, &bundle, at, &limits)
    };
    assert!(matches!(
        with(60),
        Err(hwprov::wire::bundle::BundleError::WorkBudget { .. })
    ));
    let r = with(61).unwrap();
    assert_eq!(r.verdict, hwprov::Verdict::Pass);
}

#[test]
fn a_report_is_never_the_root() {
    let e = root().join("examples/ocp-safe");
    let tmp = tempfile::tempdir().unwrap();
    let report = e.join("reports/axiado-ax3000_series_bootrom-scope_1_signed.jws");
    let release = e.join("release-pb9000-bootrom-b0.cose");
    let out = tmp.path().join("b.cbor");
    let o = run(&[
        "bundle",
        "--out",
        out.to_str().unwrap(),
        report.to_str().unwrap(),
        release.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("reports are evidence, never the root"),
        "{}",
        stderr(&o)
    );
    // Made by hand, such a bundle fails verification.
    let parts = vec![
        report_bytes("reports/axiado-ax3000_series_bootrom-scope_1_signed.jws"),
        std::fs::read(&release).unwrap(),
    ];
    std::fs::write(&out, hwprov::wire::bundle::encode(&parts)).unwrap();
    let o = run(&[
        "verify",
        "--policy",
        e.join("policy.toml").to_str().unwrap(),
        "--at",
        AT,
        "--format",
        "json",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["root"]["type"], "ocp-safe-report");
    assert_eq!(r["findings"][0]["rule"], "statement.malformed");
    assert!(
        r["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("outside evidence is never the root")
    );
}
