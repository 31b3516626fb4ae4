//! `hwprov gate` through the real binary: accept, re-install, rollback,
//! wrong target, tampered or resized images, wrong key role, thresholds,
//! evaluations, untouched destination and state on every refusal, corrupt
//! state files, standard input, and a process killed during install.

mod common;
#[path = "../examples/support/mod.rs"]
mod support;

use common::*;
use hwprov::Sha256;
use std::path::{Path, PathBuf};
use support::*;

const OLD: &[u8] = b"the image installed before the update\n";

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    /// A device AX-5000 with bmc 2.4.1 (svn 7) on U1, a policy, and `dest`
    /// holding the currently installed image.
    fn new(rules: &str, extra: &str) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let p = |n: &str| dir.path().join(n);
        std::fs::write(
            p("policy.toml"),
            policy(
                "gate-test",
                &format!("required_stages = [\"design\", \"fab\", \"atp\"]\n{rules}"),
                extra,
            ),
        )
        .unwrap();
        std::fs::copy(
            root().join("examples/data/device-state.json"),
            p("state.json"),
        )
        .unwrap();
        std::fs::write(p("dest.bin"), OLD).unwrap();
        Env { dir }
    }

    fn path(&self, n: &str) -> PathBuf {
        self.dir.path().join(n)
    }

    /// Writes an image and a release bundle for it; returns (image path, bundle path).
    fn release(
        &self,
        tag: &str,
        version: &str,
        svn: u64,
        model: &str,
        keys: &[&hwprov::SecretKey],
        evidence: Vec<Vec<u8>>,
    ) -> (PathBuf, PathBuf) {
        let img = image("bmc", version, 4096);
        let rel = release(
            "aurora-networks",
            "aurora-networks",
            model,
            "U1",
            "bmc",
            version,
            svn,
            &img,
        );
        let mut parts = vec![sign(&rel, keys)];
        parts.extend(evidence);
        let (ip, bp) = (
            self.path(&format!("{tag}.bin")),
            self.path(&format!("{tag}.cbor")),
        );
        std::fs::write(&ip, &img).unwrap();
        std::fs::write(&bp, hwprov::wire::bundle::encode(&parts)).unwrap();
        (ip, bp)
    }

    fn gate(&self, image: &Path, bundle: &Path, extra: &[&str]) -> std::process::Output {
        let mut args = vec![
            "gate".to_string(),
            "--policy".into(),
            self.path("policy.toml").display().to_string(),
            "--state".into(),
            self.path("state.json").display().to_string(),
            "--image".into(),
            image.display().to_string(),
            "--install".into(),
            self.path("dest.bin").display().to_string(),
            "--at".into(),
            AT.into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        args.push(bundle.display().to_string());
        bin().args(&args).output().unwrap()
    }

    fn snapshot(&self) -> (Vec<u8>, Vec<u8>) {
        (
            std::fs::read(self.path("state.json")).unwrap(),
            std::fs::read(self.path("dest.bin")).unwrap(),
        )
    }

    /// Runs a gate that must be refused for `rule`, and checks nothing changed.
    fn refused(&self, image: &Path, bundle: &Path, rule: &str) {
        let before = self.snapshot();
        let o = self.gate(image, bundle, &[]);
        assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
        let out = stdout(&o);
        assert!(
            out.contains(&format!("deny   {rule}")),
            "want {rule}: {out}"
        );
        assert!(out.contains("decision: REFUSE"), "{out}");
        assert_eq!(
            self.snapshot(),
            before,
            "state or destination changed on refusal"
        );
        let leftovers: Vec<_> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(".hwprov-"))
            .collect();
        assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    }
}

fn vendor_key(n: u32) -> hwprov::SecretKey {
    key("aurora-networks", n)
}

#[test]
fn accept_reinstall_then_refuse_rollback_target_and_image() {
    let env = Env::new("", "");
    let k = vendor_key(0);
    let (img, bundle) = env.release("v250", "2.5.0", 8, "AX-5000", &[&k], vec![]);
    let o = env.gate(&img, &bundle, &[]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("decision: ACCEPT bmc 2.5.0 (svn 8) on U1"),
        "{}",
        stdout(&o)
    );
    assert_eq!(
        std::fs::read(env.path("dest.bin")).unwrap(),
        std::fs::read(&img).unwrap()
    );
    let st: serde_json::Value =
        serde_json::from_slice(&std::fs::read(env.path("state.json")).unwrap()).unwrap();
    assert_eq!(st["installed"]["U1"]["svn"], 8);
    assert_eq!(st["installed"]["U1"]["version"], "2.5.0");
    assert_eq!(
        st["installed"]["U1"]["image"],
        Sha256::of(&std::fs::read(&img).unwrap()).to_string()
    );

    // The same release again: equal svn is a re-install, accepted.
    let o = env.gate(&img, &bundle, &[]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));

    // An older svn: rollback.
    let (old_img, old_bundle) = env.release("v230", "2.3.0", 6, "AX-5000", &[&k], vec![]);
    env.refused(&old_img, &old_bundle, "firmware.rollback");

    // A release for another model.
    let (other_img, other_bundle) = env.release("ax9", "2.6.0", 9, "AX-9000", &[&k], vec![]);
    env.refused(&other_img, &other_bundle, "firmware.target");

    // A tampered image, one byte longer, one byte shorter.
    let (img26, bundle26) = env.release("v260", "2.6.0", 9, "AX-5000", &[&k], vec![]);
    let good = std::fs::read(&img26).unwrap();
    let mut tampered = good.clone();
    tampered[100] ^= 0x20;
    let mut longer = good.clone();
    longer.push(0);
    let shorter = good[..good.len() - 1].to_vec();
    for (name, bytes) in [
        ("tampered.bin", tampered),
        ("longer.bin", longer),
        ("shorter.bin", shorter),
    ] {
        std::fs::write(env.path(name), bytes).unwrap();
        env.refused(&env.path(name), &bundle26, "firmware.image");
    }
    // Reading stops one byte past the declared size.
    let o = env.gate(&env.path("longer.bin"), &bundle26, &[]);
    assert!(
        stdout(&o).contains(&format!(
            "it is longer than the release's {} bytes (reading stopped after {})",
            good.len(),
            good.len() + 1
        )),
        "{}",
        stdout(&o)
    );
    let o = env.gate(&env.path("shorter.bin"), &bundle26, &[]);
    assert!(
        stdout(&o).contains(&format!(
            "it is {} bytes, the release says {}",
            good.len() - 1,
            good.len()
        )),
        "{}",
        stdout(&o)
    );

    // And the good 2.6.0 still goes in afterwards.
    let o = env.gate(&img26, &bundle26, &["--format", "json"]);
    assert_eq!(code(&o), 0);
    let r: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(r["format"], "hwprov-report/1");
    assert_eq!(r["gate"]["decision"], "accept");
    assert_eq!(r["gate"]["installed"]["svn"], 8);
    assert_eq!(r["gate"]["image"]["size"], 4096);
    assert_eq!(r["gate"]["state_updated"], true);
}

#[test]
fn release_signed_by_a_key_without_the_firmware_role() {
    // aurora-networks' key 5 may sign device statements only.
    let env = Env::new("", &key_toml("aurora-networks", 5, &["device"], ""));
    let (img, bundle) = env.release("v250", "2.5.0", 8, "AX-5000", &[&vendor_key(5)], vec![]);
    env.refused(&img, &bundle, "key.role");
    // A key the policy does not know at all.
    let (img, bundle) = env.release("v251", "2.5.1", 8, "AX-5000", &[&vendor_key(77)], vec![]);
    env.refused(&img, &bundle, "key.unknown");
}

#[test]
fn threshold_two_needs_two_distinct_firmware_keys() {
    let env = Env::new("firmware_min_signers = 2\n", "");
    let (k0, k1) = (vendor_key(0), vendor_key(1));
    let (img, one) = env.release("one", "2.5.0", 8, "AX-5000", &[&k0], vec![]);
    env.refused(&img, &one, "firmware.threshold");
    let (img, same_twice) = env.release("twice", "2.5.0", 8, "AX-5000", &[&k0, &k0], vec![]);
    env.refused(&img, &same_twice, "firmware.threshold");
    let (img, two) = env.release("two", "2.5.0", 8, "AX-5000", &[&k0, &k1], vec![]);
    assert_eq!(code(&env.gate(&img, &two, &[])), 0);
}

#[test]
fn required_evaluation_missing_failed_passed() {
    let env = Env::new("firmware_evaluations = [\"binary-equivalence\"]\n", "");
    let k = vendor_key(0);
    let digest = Sha256::of(&image("bmc", "2.5.0", 4096));
    let (img, missing) = env.release("missing", "2.5.0", 8, "AX-5000", &[&k], vec![]);
    env.refused(&img, &missing, "firmware.unevaluated");
    let failed = sign_by(&evaluation(digest, "binary-equivalence", false));
    let (img, bundle) = env.release("failed", "2.5.0", 8, "AX-5000", &[&k], vec![failed]);
    env.refused(&img, &bundle, "firmware.unevaluated");
    let passed = sign_by(&evaluation(digest, "binary-equivalence", true));
    let (img, bundle) = env.release("passed", "2.5.0", 8, "AX-5000", &[&k], vec![passed]);
    let o = env.gate(&img, &bundle, &[]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
}

#[test]
fn corrupt_or_missing_state_is_an_input_error_and_left_untouched() {
    let env = Env::new("", "");
    let (img, bundle) = env.release("v250", "2.5.0", 8, "AX-5000", &[&vendor_key(0)], vec![]);
    let full = std::fs::read(env.path("state.json")).unwrap();
    let truncated = &full[..full.len() / 2];
    std::fs::write(env.path("state.json"), truncated).unwrap();
    let o = env.gate(&img, &bundle, &[]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("state.json") && stderr(&o).contains("not a valid state file"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read(env.path("state.json")).unwrap(),
        truncated,
        "a corrupt state must never be reset"
    );
    assert_eq!(std::fs::read(env.path("dest.bin")).unwrap(), OLD);
    // Unknown fields, a bad digest, a missing file.
    for bad in [
        r#"{"device": {"vendor": "v", "model": "m", "serial": "s"}, "installed": {}, "extra": 1}"#,
        r#"{"device": {"vendor": "v", "model": "m", "serial": "s"}, "installed": {"U1": {"name": "n", "version": "1", "svn": 1, "image": "md5:00"}}}"#,
        r#"{"device": {"vendor": "v", "model": "m", "serial": "s"}, "installed": {"U1": {"name": "n", "version": "1", "svn": -1, "image": null}}}"#,
    ] {
        std::fs::write(env.path("state.json"), bad).unwrap();
        let o = env.gate(&img, &bundle, &[]);
        assert_eq!(code(&o), 2, "{bad}");
        assert_eq!(
            std::fs::read_to_string(env.path("state.json")).unwrap(),
            bad
        );
    }
    std::fs::remove_file(env.path("state.json")).unwrap();
    let o = env.gate(&img, &bundle, &[]);
    assert_eq!(code(&o), 2);
    assert!(!env.path("state.json").exists());
}

#[test]
fn state_init_then_gate_from_standard_input() {
    let env = Env::new("", "");
    let st = env.path("fresh.json");
    let o = run(&[
        "state",
        "init",
        "--vendor",
        "aurora-networks",
        "--model",
        "AX-5000",
        "--serial",
        "AX5-9",
        "--component",
        "U1",
        "--out",
        st.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        code(&run(&[
            "state",
            "init",
            "--vendor",
            "a",
            "--model",
            "b",
            "--serial",
            "c",
            "--out",
            st.to_str().unwrap()
        ])),
        2,
        "refuses to overwrite"
    );
    let shown = stdout(&run(&["state", "show", st.to_str().unwrap()]));
    assert!(
        shown.contains("\"svn\": 0") && shown.contains("\"image\": null"),
        "{shown}"
    );
    let (img, bundle) = env.release("v250", "2.5.0", 8, "AX-5000", &[&vendor_key(0)], vec![]);
    let o = bin()
        .args([
            "gate",
            "--policy",
            env.path("policy.toml").to_str().unwrap(),
            "--state",
            st.to_str().unwrap(),
            "--image",
            "-",
            "--at",
            AT,
            bundle.to_str().unwrap(),
        ])
        .stdin(std::fs::File::open(&img).unwrap())
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&st).unwrap()).unwrap();
    assert_eq!(v["installed"]["U1"]["svn"], 8);
    // A device bundle is not a release: an input error naming the file.
    let o = bin()
        .args([
            "gate",
            "--policy",
            env.path("policy.toml").to_str().unwrap(),
            "--state",
            st.to_str().unwrap(),
            "--image",
            img.to_str().unwrap(),
            "--at",
            AT,
            root()
                .join("examples/data/device-clean.cbor")
                .to_str()
                .unwrap(),
        ])
        .output()
        .unwrap();
    // SPEC 8 (version 2): an input error, exit 2, naming the bundle.
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("device-clean.cbor: the bundle's root is a device statement"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn killed_during_install_leaves_the_old_or_the_new_image() {
    let env = Env::new("", "");
    let big = image("bmc", "3.0.0", 48 << 20);
    let new_digest = Sha256::of(&big);
    let old_digest = Sha256::of(OLD);
    let rel = release(
        "aurora-networks",
        "aurora-networks",
        "AX-5000",
        "U1",
        "bmc",
        "3.0.0",
        9,
        &big,
    );
    std::fs::write(env.path("big.bin"), &big).unwrap();
    std::fs::write(
        env.path("big.cbor"),
        hwprov::wire::bundle::encode(&[sign_by(&rel)]),
    )
    .unwrap();
    drop(big);
    let state_before = std::fs::read(env.path("state.json")).unwrap();
    let mut outcomes = std::collections::BTreeMap::new();
    for i in 0..16u64 {
        let mut child = bin()
            .args([
                "gate",
                "--policy",
                env.path("policy.toml").to_str().unwrap(),
                "--state",
                env.path("state.json").to_str().unwrap(),
                "--image",
                env.path("big.bin").to_str().unwrap(),
                "--install",
                env.path("dest.bin").to_str().unwrap(),
                "--at",
                AT,
                env.path("big.cbor").to_str().unwrap(),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(5 + i * i * 3));
        let _ = child.kill(); // SIGKILL
        let status = child.wait().unwrap();
        let dest = Sha256::of(&std::fs::read(env.path("dest.bin")).unwrap());
        assert!(
            dest == old_digest || dest == new_digest,
            "run {i}: destination holds a mix"
        );
        let state = std::fs::read(env.path("state.json")).unwrap();
        let parsed: serde_json::Value =
            serde_json::from_slice(&state).expect("state is always whole JSON");
        if dest == old_digest {
            assert_eq!(
                state, state_before,
                "run {i}: state changed though the image was not installed"
            );
        }
        let svn = parsed["installed"]["U1"]["svn"].as_u64().unwrap();
        assert!(svn == 7 || svn == 9);
        *outcomes
            .entry(if dest == new_digest { "new" } else { "old" })
            .or_insert(0) += 1;
        if dest == new_digest && status.success() {
            break;
        }
        // Put the old image back for the next run (a killed run may have installed the new one).
        std::fs::write(env.path("dest.bin"), OLD).unwrap();
        std::fs::write(env.path("state.json"), &state_before).unwrap();
    }
    assert!(
        outcomes.contains_key("old"),
        "no run was killed before the rename: {outcomes:?}"
    );
}

#[test]
fn readme_walkthrough_on_the_example_data() {
    let tmp = tempfile::tempdir().unwrap();
    let st = tmp.path().join("state.json");
    let dest = tmp.path().join("bmc.bin");
    std::fs::copy(root().join("examples/data/device-state.json"), &st).unwrap();
    let d = |n: &str| root().join("examples/data").join(n).display().to_string();
    let gate = |img: &str, rel: &str| {
        run(&[
            "gate",
            "--policy",
            &d("policy.toml"),
            "--state",
            st.to_str().unwrap(),
            "--image",
            &d(img),
            "--install",
            dest.to_str().unwrap(),
            "--at",
            AT,
            &d(rel),
        ])
    };
    let o = gate("firmware/bmc-2.5.0.bin", "release-bmc-2.5.0.cbor");
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert_eq!(
        std::fs::read(&dest).unwrap(),
        std::fs::read(d("firmware/bmc-2.5.0.bin")).unwrap()
    );
    let o = gate("firmware/bmc-2.3.0.bin", "release-bmc-2.3.0.cbor");
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).contains("decision: REFUSE") && stdout(&o).contains("firmware.rollback"));
    let o = gate("firmware/bmc-2.4.1.bin", "release-bmc-2.5.0.cbor");
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).contains("firmware.image"));
    assert_eq!(
        std::fs::read(&dest).unwrap(),
        std::fs::read(d("firmware/bmc-2.5.0.bin")).unwrap()
    );
}

#[test]
fn concurrent_gates_on_one_device_leave_state_and_image_in_agreement() {
    // Releases svn 8..=13 gated at once, several rounds: whatever order they
    // run in, the installed image must be the one the state names, and it
    // must be the highest svn (a lower one after a higher one is a
    // rollback). Without serialising gates per state file, one run's image
    // rename and another's state rename interleave.
    let env = Env::new("", "");
    let k = vendor_key(0);
    let releases: Vec<(PathBuf, PathBuf, u64)> = (8..=13u64)
        .map(|svn| {
            let v = format!("3.{svn}.0");
            let (i, b) = env.release(&format!("r{svn}"), &v, svn, "AX-5000", &[&k], vec![]);
            (i, b, svn)
        })
        .collect();
    let state0 = std::fs::read(env.path("state.json")).unwrap();
    for round in 0..6 {
        std::fs::write(env.path("state.json"), &state0).unwrap();
        std::fs::write(env.path("dest.bin"), OLD).unwrap();
        let children: Vec<std::process::Child> = releases
            .iter()
            .map(|(img, bundle, _)| {
                bin()
                    .args([
                        "gate",
                        "--policy",
                        env.path("policy.toml").to_str().unwrap(),
                        "--state",
                        env.path("state.json").to_str().unwrap(),
                        "--image",
                        img.to_str().unwrap(),
                        "--install",
                        env.path("dest.bin").to_str().unwrap(),
                        "--at",
                        AT,
                        bundle.to_str().unwrap(),
                    ])
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in children {
            let o = c.wait_with_output().unwrap();
            assert!(
                matches!(o.status.code(), Some(0 | 1)),
                "round {round}: {}",
                stderr(&o)
            );
        }
        let state: serde_json::Value =
            serde_json::from_slice(&std::fs::read(env.path("state.json")).unwrap()).unwrap();
        let installed = Sha256::of(&std::fs::read(env.path("dest.bin")).unwrap());
        assert_eq!(
            state["installed"]["U1"]["image"].as_str().unwrap(),
            installed.to_string(),
            "round {round}: the state names another image than the one installed"
        );
        assert_eq!(state["installed"]["U1"]["svn"], 13, "round {round}");
    }
}

// Security review findings, each named after the attack.

/// With one compromised firmware key (key 1), the attacker signs "svn 9"
/// for an old image and adds the genuine release of that image (key 0).
/// The threshold of 2 was once met by the two statements together, the old
/// image installed (a rollback) and svn 9 written to the state (freezing
/// later genuine updates). Only the root's own signatures count.
#[test]
fn attack_threshold_summed_across_statements_is_refused() {
    let env = Env::new("firmware_min_signers = 2\n", "");
    let img = image("bmc", "2.3.0", 4096);
    let rel = |svn: u64| {
        release(
            "aurora-networks",
            "aurora-networks",
            "AX-5000",
            "U1",
            "bmc",
            "2.3.0",
            svn,
            &img,
        )
    };
    let forged = sign(&rel(9), &[&vendor_key(1)]);
    let genuine = sign(&rel(6), &[&vendor_key(0)]);
    std::fs::write(env.path("old.bin"), &img).unwrap();
    std::fs::write(
        env.path("attack.cbor"),
        hwprov::wire::bundle::encode(&[forged, genuine]),
    )
    .unwrap();
    env.refused(
        &env.path("old.bin"),
        &env.path("attack.cbor"),
        "firmware.threshold",
    );
    let st = std::fs::read_to_string(env.path("state.json")).unwrap();
    assert!(st.contains("\"svn\": 7"), "{st}");
}

/// Another vendor's firmware key publishes nothing for aurora-networks.
#[test]
fn attack_other_vendors_key_publishes_for_this_vendor_is_refused() {
    let env = Env::new("", "");
    let img = image("bmc", "2.5.0", 4096);
    let rel = release(
        "boreal-radio",
        "aurora-networks",
        "AX-5000",
        "U1",
        "bmc",
        "2.5.0",
        8,
        &img,
    );
    std::fs::write(env.path("img.bin"), &img).unwrap();
    std::fs::write(
        env.path("foreign.cbor"),
        hwprov::wire::bundle::encode(&[sign(&rel, &[&key("boreal-radio", 0)])]),
    )
    .unwrap();
    env.refused(
        &env.path("img.bin"),
        &env.path("foreign.cbor"),
        "vendor.unauthorised",
    );
}

/// A bundle whose root does not verify made the gate stream and stage up
/// to 16 GiB before refusing. Now it refuses before opening the image: a
/// path that does not exist is never even looked at.
#[test]
fn attack_unverified_root_is_refused_before_the_image_is_read() {
    let env = Env::new("", "");
    let (_, bundle) = env.release("unk", "2.5.0", 8, "AX-5000", &[&vendor_key(77)], vec![]);
    env.refused(&env.path("no-such-image.bin"), &bundle, "key.unknown");
    let o = env.gate(
        &env.path("no-such-image.bin"),
        &bundle,
        &["--format", "json"],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(r["gate"]["decision"], "refuse");
    assert!(r["gate"]["image"].is_null(), "{}", r["gate"]);
    // /dev/zero as the image: refused at once, nothing staged.
    let o = env.gate(Path::new("/dev/zero"), &bundle, &[]);
    assert_eq!(code(&o), 1);
}

/// A root that is not a firmware statement is an input error (SPEC 8).
#[test]
fn a_device_root_is_an_input_error() {
    let env = Env::new("", "");
    std::fs::write(env.path("device.cbor"), Unit::new("AX5-000123").bundle()).unwrap();
    let before = env.snapshot();
    let o = env.gate(Path::new("/dev/zero"), &env.path("device.cbor"), &[]);
    assert_eq!(code(&o), 2, "{}{}", stdout(&o), stderr(&o));
    assert!(
        stderr(&o).contains("root is a device statement"),
        "{}",
        stderr(&o)
    );
    assert_eq!(env.snapshot(), before);
}

/// `--state -` wrote a file named "-"; `--install` naming the state file
/// overwrote the state with the image and reported success.
#[test]
fn state_and_install_must_be_distinct_files() {
    let env = Env::new("", "");
    let (img, bundle) = env.release("v250", "2.5.0", 8, "AX-5000", &[&vendor_key(0)], vec![]);
    let before = env.snapshot();
    let run_gate = |state: &str, install: &str| {
        bin()
            .current_dir(env.path(""))
            .args([
                "gate",
                "--policy",
                "policy.toml",
                "--state",
                state,
                "--image",
                &img.display().to_string(),
                "--install",
                install,
                "--at",
                AT,
                &bundle.display().to_string(),
            ])
            .output()
            .unwrap()
    };
    for (state, install, want) in [
        ("-", "dest.bin", "--state -"),
        ("state.json", "-", "--install -"),
        ("state.json", "state.json", "name the same file"),
        ("state.json", "./state.json", "name the same file"),
    ] {
        let o = run_gate(state, install);
        assert_eq!(code(&o), 2, "{state} {install}: {}", stdout(&o));
        assert!(stderr(&o).contains(want), "{}", stderr(&o));
        assert_eq!(env.snapshot(), before);
        assert!(!env.path("-").exists());
    }
    // A hard link to the state is the same file too.
    std::fs::hard_link(env.path("state.json"), env.path("link.json")).unwrap();
    let o = run_gate("state.json", "link.json");
    assert_eq!(code(&o), 2, "{}", stdout(&o));
    assert_eq!(env.snapshot(), before);
}

/// A state file listing a component twice was read last-wins, so a second
/// entry with a low svn let a rollback through. Any duplicate key is an
/// input error and the file is left as it is.
#[test]
fn attack_duplicate_component_in_state_is_an_input_error() {
    let env = Env::new("", "");
    let dup = r#"{"device": {"vendor": "aurora-networks", "model": "AX-5000", "serial": "AX5-000123"},
 "installed": {
  "U1": {"name": "bmc", "version": "2.4.1", "svn": 7, "image": null},
  "U1": {"name": "bmc", "version": "1.0.0", "svn": 0, "image": null}}}"#;
    std::fs::write(env.path("state.json"), dup).unwrap();
    let (img, bundle) = env.release("v230", "2.3.0", 6, "AX-5000", &[&vendor_key(0)], vec![]);
    let before = env.snapshot();
    let o = env.gate(&img, &bundle, &[]);
    assert_eq!(code(&o), 2, "{}", stdout(&o));
    assert!(stderr(&o).contains("duplicate key `U1`"), "{}", stderr(&o));
    assert!(stderr(&o).contains("state.json:4:"), "{}", stderr(&o));
    assert_eq!(env.snapshot(), before);
}

/// SPEC 9 and 6.3: the state's `class` and `zones` are the operator's facts;
/// the gate applies that class's levels, signer threshold and required
/// evaluations. An undeclared class or zone is an input error.
#[test]
fn the_states_class_selects_the_threshold_and_levels() {
    let env = Env::new(
        "",
        "[classes.core.rules]\nfirmware_min_signers = 2\n[classes.lab]\n[zones.dmz.rules]\n\"firmware.rollback\" = \"deny\"\n",
    );
    let k0 = vendor_key(0);
    let (img, one) = env.release("one", "2.5.0", 8, "AX-5000", &[&k0], vec![]);
    let set_scope = |class: Option<&str>, zones: &[&str]| {
        let mut st: serde_json::Value =
            serde_json::from_slice(&std::fs::read(env.path("state.json")).unwrap()).unwrap();
        let o = st.as_object_mut().unwrap();
        o.remove("class");
        o.remove("zones");
        if let Some(c) = class {
            o.insert("class".into(), c.into());
        }
        if !zones.is_empty() {
            o.insert("zones".into(), zones.to_vec().into());
        }
        std::fs::write(env.path("state.json"), serde_json::to_vec(&st).unwrap()).unwrap();
    };
    // A core device needs two firmware keys on the release: refused.
    set_scope(Some("core"), &["dmz"]);
    env.refused(&img, &one, "firmware.threshold");
    // The same release for a device of another class: accepted.
    set_scope(Some("lab"), &[]);
    let before = std::fs::read(env.path("state.json")).unwrap();
    let o = env.gate(&img, &one, &[]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let after: serde_json::Value =
        serde_json::from_slice(&std::fs::read(env.path("state.json")).unwrap()).unwrap();
    assert_eq!(
        after["class"], "lab",
        "the rewritten state keeps the operator's facts"
    );
    assert_ne!(before, std::fs::read(env.path("state.json")).unwrap());
    // A class or zone the policy does not declare: input error, nothing touched.
    for (class, zones, want) in [
        (Some("edge"), &[][..], "class 'edge' is not declared"),
        (Some("lab"), &["moon"][..], "zone 'moon' is not declared"),
    ] {
        set_scope(class, zones);
        let snap = env.snapshot();
        let o = env.gate(&img, &one, &[]);
        assert_eq!(code(&o), 2, "{}", stdout(&o));
        assert!(stderr(&o).contains(want), "{}", stderr(&o));
        assert_eq!(env.snapshot(), snap);
    }
}

#[test]
fn state_init_records_the_operators_facts() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("s.json");
    let o = bin()
        .args([
            "state",
            "init",
            "--vendor",
            "v",
            "--model",
            "m",
            "--serial",
            "s",
            "--component",
            "U1",
            "--class",
            "core",
            "--zone",
            "dmz",
            "--zone",
            "lab-b",
            "--installed-at",
            "2025-03-01T00:00:00Z",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let st: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(st["class"], "core");
    assert_eq!(st["zones"], serde_json::json!(["dmz", "lab-b"]));
    assert_eq!(st["installed_at"], "2025-03-01T00:00:00Z");
    let bad = bin()
        .args([
            "state",
            "init",
            "--vendor",
            "v",
            "--model",
            "m",
            "--serial",
            "s2",
            "--installed-at",
            "yesterday",
            "--out",
        ])
        .arg(tmp.path().join("t.json"))
        .output()
        .unwrap();
    assert_eq!(code(&bad), 2);
    assert!(
        stderr(&bad).contains("--installed-at 'yesterday'"),
        "{}",
        stderr(&bad)
    );
}
