//! Interop with an independent COSE implementation, in the direction
//! `test-vectors/interop` does not cover: statements signed by hwprov (Sign1 and
//! multi-signer Sign, from the binary and the fixtures) verify with pycose,
//! and a statement hwprov finds tampered fails there too. `./test.sh` installs
//! pycose and the rest of `tests/requirements.txt` in the project's `.venv`;
//! without them these tests fail with a message (skip knowingly with
//! `HWPROV_SKIP=pycose` or `HWPROV_SKIP=python-crypto`).

mod common;

use common::*;

fn pycose_available() -> bool {
    python()
        .args(["-c", "import pycose, cbor2; from importlib.metadata import version; assert int(version('cbor2').split('.')[0]) < 6"])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn pycose_check(policy: &str, bundles: &[String]) -> std::process::Output {
    python()
        .arg(root().join("tests/interop/pycose_check.py"))
        .arg(policy)
        .args(bundles)
        .output()
        .unwrap()
}

#[test]
fn statements_signed_by_hwprov_verify_with_pycose() {
    if !checker(
        "pycose",
        pycose_available(),
        "pip install -r tests/requirements.txt (pycose 1.1 with cbor2 < 6)",
    ) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let d = |rel: &str| root().join("examples/data").join(rel).display().to_string();
    // A fresh two-signer statement from the binary.
    let o = run(&[
        "sign",
        "--key",
        &d("keys/aurora-networks.pem"),
        "--key",
        &d("keys/boreal-radio.pem"),
        &d("statements/device-clean.json"),
        "--out",
        tmp.path().join("two.cose").to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let mut bundles: Vec<String> = [
        "device-clean.cbor",
        "device-high-risk-atp.cbor",
        "device-unsigned-firmware.cbor",
        "release-bmc-2.5.0.cbor",
        "release-bmc-2.3.0.cbor",
    ]
    .iter()
    .map(|b| d(b))
    .collect();
    bundles.push(tmp.path().join("two.cose").display().to_string());
    let o = pycose_check(&d("policy.toml"), &bundles);
    let out = stdout(&o);
    assert!(
        o.status.success(),
        "pycose rejected a statement hwprov made:\n{out}{}",
        stderr(&o)
    );
    assert!(
        out.lines().filter(|l| l.starts_with("ok")).count() == 17,
        "{out}"
    );
    assert!(out.contains("SignMessage 2 signature(s)"), "{out}");
    // Multi-signer fixtures too.
    let tv = |c: &str, f: &str| {
        root()
            .join("test-vectors")
            .join(c)
            .join(f)
            .display()
            .to_string()
    };
    let o = pycose_check(
        &tv("threshold-two-signers", "policy.toml"),
        &[tv("threshold-two-signers", "bundle.cbor")],
    );
    assert!(o.status.success(), "{}", stdout(&o));
    // What hwprov calls a tampered signature, pycose rejects too.
    let o = pycose_check(
        &tv("tampered-signature", "policy.toml"),
        &[tv("tampered-signature", "bundle.cbor")],
    );
    assert!(!o.status.success());
    assert_eq!(
        stdout(&o).lines().filter(|l| l.starts_with("FAIL")).count(),
        1,
        "{}",
        stdout(&o)
    );
}

#[test]
fn log_checkpoints_and_proofs_check_with_an_independent_rfc9162_implementation() {
    if !checker(
        "python-crypto",
        python_has("cbor2, cryptography"),
        "pip install -r tests/requirements.txt (cbor2 and cryptography)",
    ) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let key = tmp.path().join("log.pem");
    assert_eq!(
        code(&run(&["key", "generate", "--out", key.to_str().unwrap()])),
        0
    );
    let dir = tmp.path().join("log");
    let d = dir.to_str().unwrap();
    assert_eq!(
        code(&run(&[
            "log",
            "init",
            d,
            "--key",
            key.to_str().unwrap(),
            "--origin",
            "interop.example/log"
        ])),
        0
    );
    let data = |rel: &str| root().join("examples/data").join(rel).display().to_string();
    // 11 entries: sizes that are not powers of two exercise every proof shape.
    for b in [
        "device-clean.cbor",
        "device-high-risk-atp.cbor",
        "device-unsigned-firmware.cbor",
    ]
    .iter()
    .cycle()
    .take(11)
    {
        let o = run(&[
            "verify",
            "--policy",
            &data("policy.toml"),
            "--at",
            "2026-11-21T00:00:00Z",
            "--log",
            d,
            &data(b),
        ]);
        assert_ne!(code(&o), 2, "{}", stderr(&o));
    }
    let check = || {
        python()
            .arg(root().join("tests/interop/tlog_check.py"))
            .arg(env!("CARGO_BIN_EXE_hwprov"))
            .arg(d)
            .output()
            .unwrap()
    };
    let o = check();
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("ok: 11 entries, 11 inclusion and 11 consistency proofs"),
        "{}",
        stdout(&o)
    );
    // An altered entry: the independent check fails too.
    let entries = dir.join("entries");
    let mut e = std::fs::read(&entries).unwrap();
    let pos = e.windows(4).position(|w| w == b"pass").unwrap();
    e[pos] = b'P';
    std::fs::write(&entries, e).unwrap();
    let o = check();
    assert!(!o.status.success(), "{}", stdout(&o));
}
