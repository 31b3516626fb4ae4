//! The verification log through the real binary: proofs that verify against
//! the signed checkpoint, replay, tampering, torn tails and repair, 200 runs
//! killed with SIGKILL at varying points, and concurrent appenders.

mod common;

use base64::Engine as _;
use common::*;
use hwprov::wire::tlog::merkle;
use std::path::{Path, PathBuf};

const AT: &str = "2026-11-21T00:00:00Z";

fn data(rel: &str) -> String {
    root().join("examples/data").join(rel).display().to_string()
}

fn new_log(tmp: &Path) -> PathBuf {
    let dir = tmp.join("log");
    log_with(&dir, &tmp.join("log.pem"), &[]);
    dir
}

fn verify_logged(dir: &Path, bundle: &str) -> std::process::Output {
    run(&[
        "verify",
        "--policy",
        &data("policy.toml"),
        "--at",
        AT,
        "--log",
        dir.to_str().unwrap(),
        &data(bundle),
    ])
}

fn b64(v: &serde_json::Value) -> merkle::Hash {
    base64::engine::general_purpose::STANDARD
        .decode(v.as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap()
}

fn checkpoint(dir: &Path) -> (u64, merkle::Hash) {
    let log = hwprov::audit::log::Log::open(dir).unwrap();
    let cp = log.checkpoint().unwrap();
    (cp.size, cp.root)
}

#[test]
fn decisions_proofs_and_replay() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = new_log(tmp.path());
    let d = dir.to_str().unwrap();
    for (b, want) in [
        ("device-clean.cbor", 0),
        ("device-high-risk-atp.cbor", 1),
        ("device-unsigned-firmware.cbor", 1),
        ("device-clean.cbor", 0),
        ("release-bmc-2.5.0.cbor", 0),
    ] {
        assert_eq!(code(&verify_logged(&dir, b)), want, "{b}");
    }
    let (size, root) = checkpoint(&dir);
    assert_eq!(size, 5);
    // The checkpoint is a C2SP signed note verifiable with log.vkey.
    let vkey = std::fs::read_to_string(dir.join("log.vkey")).unwrap();
    assert!(vkey.starts_with("example.com/hwprov-test-log+"));
    let note = std::fs::read_to_string(dir.join("checkpoint")).unwrap();
    assert!(note.contains("\n\n\u{2014} example.com/hwprov-test-log "));
    // Every inclusion proof verifies against the signed root.
    for i in 0..5u64 {
        let o = run(&["log", "prove", d, "--index", &i.to_string()]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let p: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        assert_eq!(b64(&p["root_hash"]), root);
        let proof: Vec<merkle::Hash> = p["proof"].as_array().unwrap().iter().map(b64).collect();
        merkle::verify_inclusion(i, 5, &b64(&p["leaf_hash"]), &proof, &root).unwrap();
    }
    // Consistency between every older size and now.
    for old in 1..5u64 {
        let o = run(&["log", "consistency", d, "--old-size", &old.to_string()]);
        let p: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        let proof: Vec<merkle::Hash> = p["proof"].as_array().unwrap().iter().map(b64).collect();
        merkle::verify_consistency(old, 5, &proof, &b64(&p["old_root_hash"]), &root).unwrap();
    }
    assert_eq!(code(&run(&["log", "consistency", d, "--old-size", "0"])), 2);
    assert_eq!(code(&run(&["log", "prove", d, "--index", "5"])), 2);
    // Entries as JSON lines.
    let shown = stdout(&run(&["log", "show", d]));
    let lines: Vec<serde_json::Value> = shown
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(lines[1]["verdict"], "fail");
    assert_eq!(lines[1]["command"], "verify");
    assert_eq!(lines[1]["at"], AT);
    assert!(
        lines[1]["inputs"]["bundle"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    // Replay gives the same verdicts and findings.
    let o = run(&["replay", d]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stdout(&o).contains("5 replayed, 0 different, 0 log problem(s)"));
    assert_eq!(code(&run(&["log", "verify", d])), 0);
}

#[test]
fn one_changed_byte_fails_replay_and_log_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = new_log(tmp.path());
    let d = dir.to_str().unwrap();
    verify_logged(&dir, "device-clean.cbor");
    verify_logged(&dir, "device-high-risk-atp.cbor");
    // An altered stored input.
    let obj = std::fs::read_dir(dir.join("objects"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&obj).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&obj, &bytes).unwrap();
    assert_eq!(code(&run(&["replay", d])), 1);
    let o = run(&["log", "verify", d]);
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).contains("altered object"), "{}", stdout(&o));
    bytes[last] ^= 1;
    std::fs::write(&obj, &bytes).unwrap();
    assert_eq!(code(&run(&["log", "verify", d])), 0);
    // An altered entry ("pass" -> "past"): the tree no longer matches the checkpoint.
    let entries = dir.join("entries");
    let mut e = std::fs::read(&entries).unwrap();
    let pos = e.windows(4).position(|w| w == b"pass").unwrap();
    e[pos + 3] = b't';
    std::fs::write(&entries, &e).unwrap();
    let o = run(&["log", "verify", d]);
    assert_eq!(code(&o), 1);
    assert!(
        stdout(&o).contains("an entry was altered"),
        "{}",
        stdout(&o)
    );
    assert_eq!(code(&run(&["replay", d])), 1);
}

#[test]
fn torn_tail_is_reported_refused_and_repaired() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = new_log(tmp.path());
    let d = dir.to_str().unwrap();
    verify_logged(&dir, "device-clean.cbor");
    verify_logged(&dir, "device-clean.cbor");
    let before = std::fs::read(dir.join("entries")).unwrap();
    let mut torn = before.clone();
    torn.extend_from_slice(&[0x58, 0x60, 1, 2, 3]);
    std::fs::write(dir.join("entries"), &torn).unwrap();
    let o = run(&["log", "verify", d]);
    assert_eq!(code(&o), 1);
    assert!(
        stdout(&o).contains("torn tail: 5 byte(s) after entry 2"),
        "{}",
        stdout(&o)
    );
    let o = verify_logged(&dir, "device-clean.cbor");
    assert_eq!(code(&o), 2, "an append must not build on a torn tail");
    assert!(stderr(&o).contains("--repair"), "{}", stderr(&o));
    assert!(
        stdout(&o).is_empty(),
        "no decision is reported without its entry"
    );
    let o = run(&["log", "verify", d, "--repair"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert_eq!(
        std::fs::read(dir.join("entries")).unwrap(),
        before,
        "repair removes only the torn bytes"
    );
    assert_eq!(code(&verify_logged(&dir, "device-clean.cbor")), 0);
    assert_eq!(checkpoint(&dir).0, 3);
}

#[test]
fn killed_appends_never_lose_a_returned_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = new_log(tmp.path());
    let d = dir.to_str().unwrap();
    let (mut returned, mut repairs) = (0u64, 0u64);
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..200 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut child = bin()
            .args([
                "verify",
                "--policy",
                &data("policy.toml"),
                "--at",
                AT,
                "--log",
                d,
                &data("device-clean.cbor"),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_micros(seed % 12_000));
        let _ = child.kill();
        let status = child.wait().unwrap();
        if status.code() == Some(0) {
            returned += 1;
        }
        let entries_now = hwprov::audit::log::Log::open(&dir)
            .unwrap()
            .verify()
            .unwrap();
        if !entries_now.1.is_empty() {
            let o = run(&["log", "verify", d]);
            assert_eq!(code(&o), 1);
            let o = run(&["log", "verify", d, "--repair"]);
            assert_eq!(code(&o), 0, "{}", stdout(&o));
            repairs += 1;
        }
        let (n, problems) = hwprov::audit::log::Log::open(&dir)
            .unwrap()
            .verify()
            .unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        assert!(
            n >= returned,
            "{n} entries but {returned} commands returned a decision"
        );
    }
    assert!(
        returned > 0 && returned < 200,
        "kills landed everywhere or nowhere: {returned} returned"
    );
    eprintln!("200 kills: {returned} runs returned, {repairs} repairs");
    assert_eq!(code(&run(&["replay", d])), 0);
}

#[test]
fn concurrent_appenders_do_not_corrupt_the_log() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = new_log(tmp.path());
    let d = dir.to_str().unwrap().to_owned();
    let children: Vec<_> = (0..12)
        .map(|_| {
            bin()
                .args([
                    "verify",
                    "--policy",
                    &data("policy.toml"),
                    "--at",
                    AT,
                    "--log",
                    &d,
                    &data("device-clean.cbor"),
                ])
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    assert_eq!(checkpoint(&dir).0, 12);
    assert_eq!(code(&run(&["log", "verify", &d])), 0);
}

#[test]
fn replay_of_verify_gate_and_vet_entries() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = new_log(tmp.path());
    let d = dir.to_str().unwrap();
    let st = tmp.path().join("state.json");
    std::fs::copy(data("device-state.json"), &st).unwrap();
    let gate = |img: &str, rel: &str| {
        run(&[
            "gate",
            "--policy",
            &data("policy.toml"),
            "--state",
            st.to_str().unwrap(),
            "--image",
            &data(img),
            "--at",
            AT,
            "--log",
            d,
            &data(rel),
        ])
    };
    assert_eq!(
        code(&gate("firmware/bmc-2.5.0.bin", "release-bmc-2.5.0.cbor")),
        0
    );
    assert_eq!(
        code(&gate("firmware/bmc-2.3.0.bin", "release-bmc-2.3.0.cbor")),
        1
    );
    let o = run(&[
        "vet",
        "--policy",
        &data("policy.toml"),
        "--at",
        AT,
        "--log",
        d,
        &data("shipment/batch-0000"),
    ]);
    assert_eq!(code(&o), 1);
    assert_eq!(code(&verify_logged(&dir, "device-clean.cbor")), 0);
    assert_eq!(
        checkpoint(&dir).0,
        2 + 300 + 1 + 1,
        "one entry per gate, per vetted unit, the shipment and the verify"
    );
    let shipment: serde_json::Value =
        serde_json::from_str(stdout(&run(&["log", "show", d, "--index", "302"])).trim()).unwrap();
    assert_eq!(shipment["command"], "vet");
    assert_eq!(shipment["verdict"], "fail");
    assert!(shipment["inputs"]["units"].is_string(), "{shipment}");
    let shown = stdout(&run(&["log", "show", d, "--index", "0"]));
    let e: serde_json::Value = serde_json::from_str(shown.trim()).unwrap();
    assert_eq!(e["command"], "gate");
    for input in ["bundle", "policy", "state", "image", "image-facts"] {
        assert!(
            e["inputs"][input].is_string(),
            "gate entry lacks {input}: {e}"
        );
    }
    // The image itself is not stored: only its digest and length.
    let image = e["inputs"]["image"]
        .as_str()
        .unwrap()
        .strip_prefix("sha256:")
        .unwrap()
        .to_owned();
    assert!(!dir.join("objects").join(&image).exists());
    let o = run(&["replay", d, "--verbose"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(
        stdout(&o).contains("304 replayed, 0 different, 0 log problem(s)"),
        "{}",
        stdout(&o)
    );
    assert!(
        stdout(&o).contains("entry 302: same (vet fail"),
        "{}",
        stdout(&o)
    );
    let o = run(&["replay", d, "--from", "1", "--to", "1", "--verbose"]);
    assert!(
        stdout(&o).contains("entry 1: same (gate fail"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn key_files_are_recorded_and_replayed_from_the_record() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = new_log(tmp.path());
    let d = dir.to_str().unwrap();
    // A policy naming the vendor's key by file.
    let pdir = tmp.path().join("pol");
    std::fs::create_dir_all(pdir.join("keys")).unwrap();
    std::fs::copy(
        data("keys/aurora-networks.pub.pem"),
        pdir.join("keys/aurora.pub.pem"),
    )
    .unwrap();
    let policy = std::fs::read_to_string(data("policy.toml")).unwrap();
    let inline = hwprov::PublicKey::load(Path::new(&data("keys/aurora-networks.pub.pem")))
        .unwrap()
        .to_text();
    let policy = policy.replacen(
        &format!("public_key = \"{inline}\""),
        "public_key_file = \"keys/aurora.pub.pem\"",
        1,
    );
    assert!(policy.contains("public_key_file"));
    std::fs::write(pdir.join("policy.toml"), &policy).unwrap();
    let o = run(&[
        "verify",
        "--policy",
        pdir.join("policy.toml").to_str().unwrap(),
        "--at",
        AT,
        "--log",
        d,
        &data("device-clean.cbor"),
    ]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let e: serde_json::Value =
        serde_json::from_str(stdout(&run(&["log", "show", d])).trim()).unwrap();
    assert!(
        e["inputs"]["key-file:keys/aurora.pub.pem"].is_string(),
        "{e}"
    );
    // The key file changes on disk afterwards; replay uses the recorded one.
    std::fs::write(
        pdir.join("keys/aurora.pub.pem"),
        "ed25519:AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
    )
    .unwrap();
    let o = run(&["replay", d]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    // A private key named as a policy key file is refused.
    std::fs::copy(
        data("keys/aurora-networks.pem"),
        pdir.join("keys/aurora.pub.pem"),
    )
    .unwrap();
    let o = run(&[
        "policy",
        "check",
        pdir.join("policy.toml").to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("is a private key"), "{}", stderr(&o));
}

#[test]
fn a_corrupted_index_is_an_error_not_a_crash() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = new_log(tmp.path());
    let d = dir.to_str().unwrap();
    verify_logged(&dir, "device-clean.cbor");
    verify_logged(&dir, "device-clean.cbor");
    // Entry 1 claims to end before it starts, then to be 2^62 bytes long.
    for end in [1u64, 1 << 62] {
        let mut index = std::fs::read(dir.join("index")).unwrap();
        index[8..16].copy_from_slice(&end.to_be_bytes());
        std::fs::write(dir.join("index"), &index).unwrap();
        let o = run(&["log", "show", d, "--index", "1"]);
        assert_eq!(code(&o), 2, "{}", stderr(&o));
        assert!(stderr(&o).starts_with("hwprov: error: "), "{}", stderr(&o));
        let o = run(&["log", "verify", d]);
        assert_eq!(code(&o), 1, "{}", stdout(&o));
    }
    assert_eq!(code(&run(&["log", "verify", d, "--repair"])), 0);
    assert_eq!(code(&run(&["log", "show", d, "--index", "1"])), 0);
    assert_eq!(code(&run(&["replay", d])), 0);
}

#[test]
fn nothing_is_appended_without_a_usable_signing_key() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = new_log(tmp.path());
    verify_logged(&dir, "device-clean.cbor");
    let entries = std::fs::read(dir.join("entries")).unwrap();
    let good = std::fs::read(dir.join("log.key")).unwrap();
    // Missing, then replaced by another key.
    std::fs::remove_file(dir.join("log.key")).unwrap();
    let o = verify_logged(&dir, "device-clean.cbor");
    assert_eq!(code(&o), 2);
    assert!(stdout(&o).is_empty(), "no decision without its entry");
    let other = tmp.path().join("other.pem");
    assert_eq!(
        code(&run(&["key", "generate", "--out", other.to_str().unwrap()])),
        0
    );
    std::fs::copy(&other, dir.join("log.key")).unwrap();
    let o = verify_logged(&dir, "device-clean.cbor");
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("not the key of log.vkey"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read(dir.join("entries")).unwrap(),
        entries,
        "entries untouched"
    );
    std::fs::write(dir.join("log.key"), good).unwrap();
    assert_eq!(code(&verify_logged(&dir, "device-clean.cbor")), 0);
    assert_eq!(code(&run(&["log", "verify", dir.to_str().unwrap()])), 0);
}

#[test]
fn a_shipment_decision_replays_from_its_units_whatever_they_were() {
    // A shipment with a unit that is not a bundle (stored, no unit entry),
    // one that cannot be read (not stored), and a clone (the same bytes
    // twice, so two unit entries with one digest): replay rebuilds the
    // shipment decision from the replayed unit entries and the stored bytes
    // and must agree, over the whole log and over ranges that start among
    // the units.
    let tmp = tempfile::tempdir().unwrap();
    let dir = new_log(tmp.path());
    let d = dir.to_str().unwrap();
    let ship = tmp.path().join("ship");
    std::fs::create_dir(&ship).unwrap();
    let batch = root().join("examples/data/shipment/batch-0000");
    let mut names: Vec<_> = std::fs::read_dir(&batch)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    for (i, p) in names.iter().take(12).enumerate() {
        std::fs::copy(p, ship.join(format!("u{i:02}.cbor"))).unwrap();
    }
    std::fs::copy(&names[3], ship.join("u03b-clone.cbor")).unwrap();
    std::fs::write(ship.join("u05b-garbage.cbor"), b"not a bundle").unwrap();
    std::os::unix::fs::symlink(tmp.path().join("missing"), ship.join("u07b-gone.cbor")).unwrap();
    let o = run(&[
        "vet",
        "--policy",
        &data("policy.toml"),
        "--at",
        AT,
        "--log",
        d,
        ship.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let (size, _) = checkpoint(&dir);
    assert_eq!(size, 13 + 1, "13 readable bundles and the shipment");
    let shipment: serde_json::Value =
        serde_json::from_str(stdout(&run(&["log", "show", d, "--index", "13"])).trim()).unwrap();
    assert!(shipment["inputs"]["units"].is_string());
    for (from, replayed) in [("0", 14), ("5", 9), ("13", 1)] {
        let o = run(&["replay", d, "--from", from, "--verbose"]);
        assert_eq!(code(&o), 0, "--from {from}: {}", stdout(&o));
        assert!(
            stdout(&o).contains(&format!("{replayed} replayed, 0 different")),
            "--from {from}: {}",
            stdout(&o)
        );
        assert!(
            stdout(&o).contains("entry 13: same (vet fail"),
            "{}",
            stdout(&o)
        );
    }
    // A stored unit with no entry of its own (the non-bundle) goes missing:
    // the shipment decision can no longer be rebuilt, whichever way replay
    // gets to it (never treated as a unit that was unreadable when vetted).
    let garbage = dir
        .join("objects")
        .join(hwprov::Sha256::of(b"not a bundle").hex());
    let kept = std::fs::read(&garbage).unwrap();
    std::fs::remove_file(&garbage).unwrap();
    for from in ["0", "13"] {
        let o = run(&["replay", d, "--from", from]);
        assert_eq!(code(&o), 1, "--from {from}: {}", stdout(&o));
        assert!(
            stdout(&o).contains("entry 13: DIFFERENT"),
            "--from {from}: {}",
            stdout(&o)
        );
    }
    std::fs::write(&garbage, kept).unwrap();
    assert_eq!(code(&run(&["replay", d])), 0);
    // A stored unit replaced by another valid bundle of the same shipment
    // (its object renamed): the unit entry and the shipment decision both
    // differ, whichever way the shipment is rebuilt.
    let units_obj = dir.join("objects").join(
        shipment["inputs"]["units"]
            .as_str()
            .unwrap()
            .trim_start_matches("sha256:"),
    );
    let list = std::fs::read(&units_obj).unwrap();
    assert!(!list.is_empty());
    let first: serde_json::Value =
        serde_json::from_str(stdout(&run(&["log", "show", d, "--index", "0"])).trim()).unwrap();
    let obj = dir.join("objects").join(
        first["inputs"]["bundle"]
            .as_str()
            .unwrap()
            .trim_start_matches("sha256:"),
    );
    std::fs::write(&obj, b"changed").unwrap();
    let o = run(&["replay", d]);
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).contains("entry 0: DIFFERENT"), "{}", stdout(&o));
}

// Security review findings: the log must not launder tampering.

/// Splits an entries file into its items' entry bytes.
fn entry_items(dir: &Path) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(dir.join("entries")).unwrap();
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let (b, used) = hwprov::wire::cbor::bstr_prefix(&bytes[pos..], 1 << 20).unwrap();
        out.push(b.to_vec());
        pos += used;
    }
    out
}

/// What an attacker without the log key can do: write the entries and
/// recompute the index and stored hashes from them (all public data).
fn rewrite_entries(dir: &Path, entries: &[Vec<u8>]) {
    let mut file = Vec::new();
    let mut index = Vec::new();
    let mut tree = merkle::MemoryTree::default();
    for e in entries {
        file.extend(hwprov::wire::cbor::encode(
            &hwprov::wire::cbor::Value::Bytes(e.clone()),
        ));
        index.extend_from_slice(&(file.len() as u64).to_be_bytes());
        tree.push(e);
    }
    let mut hashes = Vec::new();
    for i in 0..tree.stored() as u64 {
        hashes.extend_from_slice(&tree.get(i).unwrap());
    }
    std::fs::write(dir.join("entries"), file).unwrap();
    std::fs::write(dir.join("index"), index).unwrap();
    std::fs::write(dir.join("hashes"), hashes).unwrap();
}

fn log_files(dir: &Path) -> Vec<Vec<u8>> {
    [
        "entries",
        "index",
        "hashes",
        "checkpoint",
        "log.key",
        "log.vkey",
    ]
    .iter()
    .map(|f| std::fs::read(dir.join(f)).unwrap())
    .collect()
}

/// A log of a PASS entry then a FAIL entry.
fn pass_then_fail(tmp: &Path) -> PathBuf {
    let dir = new_log(tmp);
    assert_eq!(code(&verify_logged(&dir, "device-clean.cbor")), 0);
    assert_eq!(code(&verify_logged(&dir, "device-high-risk-atp.cbor")), 1);
    dir
}

/// (a) The FAIL entry overwritten with a copy of the PASS entry (index
/// field adjusted), derived files recomputed. `log verify` flags it; the
/// next ordinary append once signed a checkpoint over it, after which
/// everything verified. Now the append refuses and the tampering stays
/// visible.
#[test]
fn attack_log_overwrite_then_append_does_not_launder() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = pass_then_fail(tmp.path());
    let d = dir.to_str().unwrap();
    let mut items = entry_items(&dir);
    let mut forged = hwprov::audit::log::Entry::decode(&items[0]).unwrap();
    assert_eq!(forged.verdict, "pass");
    forged.index = 1;
    items[1] = forged.encode();
    rewrite_entries(&dir, &items);
    let o = run(&["log", "verify", d]);
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    let line = out
        .lines()
        .find(|l| l.contains("tampering"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        !line.contains("--repair"),
        "tampering must not suggest --repair: {line}"
    );
    let before = log_files(&dir);
    let o = verify_logged(&dir, "device-clean.cbor");
    assert_eq!(code(&o), 2, "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("tampered"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("--repair"), "{}", stderr(&o));
    assert_eq!(log_files(&dir), before, "nothing appended or signed");
    assert_eq!(code(&run(&["log", "verify", d])), 1);
    assert_eq!(code(&run(&["replay", d])), 1);
    // --repair refuses too and changes nothing.
    let o = run(&["log", "verify", d, "--repair"]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(stdout(&o).contains("TAMPERED"), "{}", stdout(&o));
    assert_eq!(log_files(&dir), before);
}

/// (b) `--repair` once re-signed a log with a dropped or altered complete
/// entry, a back-dated entry time, or a swapped key pair.
#[test]
fn attack_log_repair_never_signs_fewer_or_different_entries() {
    let tmp = tempfile::tempdir().unwrap();
    type Tamper = fn(&Path, &Path);
    let cases: [(&str, Tamper); 4] = [
        ("dropped last entry", |dir, _| {
            let items = entry_items(dir);
            rewrite_entries(dir, &items[..1]);
        }),
        ("dropped last entry, torn bytes left", |dir, _| {
            let items = entry_items(dir);
            rewrite_entries(dir, &items[..1]);
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(dir.join("entries"))
                .unwrap();
            std::io::Write::write_all(&mut f, &[0x59, 0x01]).unwrap();
        }),
        ("back-dated entry time", |dir, _| {
            let mut items = entry_items(dir);
            let mut e = hwprov::audit::log::Entry::decode(&items[1]).unwrap();
            e.time = hwprov::Timestamp(e.time.0 - 86_400 * 365);
            items[1] = e.encode();
            rewrite_entries(dir, &items);
        }),
        ("swapped key pair", |dir, tmp| {
            let k = tmp.join("attacker.pem");
            assert_eq!(
                code(&run(&[
                    "key",
                    "generate",
                    "--out",
                    k.to_str().unwrap(),
                    "--force"
                ])),
                0
            );
            let other = tmp.join("other-log");
            let o = run(&[
                "log",
                "init",
                other.to_str().unwrap(),
                "--key",
                k.to_str().unwrap(),
                "--origin",
                "example.com/hwprov-test-log",
            ]);
            assert_eq!(code(&o), 0, "{}", stderr(&o));
            for f in ["log.key", "log.vkey"] {
                std::fs::copy(other.join(f), dir.join(f)).unwrap();
            }
            std::fs::remove_dir_all(other).unwrap();
        }),
    ];
    for (what, tamper) in cases {
        let case = tmp.path().join(what.replace(' ', "-"));
        std::fs::create_dir_all(&case).unwrap();
        let dir = pass_then_fail(&case);
        tamper(&dir, &case);
        let before = log_files(&dir);
        let o = run(&["log", "verify", dir.to_str().unwrap(), "--repair"]);
        assert_eq!(code(&o), 1, "{what}: {}{}", stdout(&o), stderr(&o));
        assert!(stdout(&o).contains("TAMPERED"), "{what}: {}", stdout(&o));
        assert_eq!(log_files(&dir), before, "{what}: repair changed the log");
        let o = verify_logged(&dir, "device-clean.cbor");
        assert_ne!(code(&o), 0, "{what}: an append built on it");
        assert_eq!(log_files(&dir), before, "{what}: an append changed the log");
    }
}

/// An entry appended without the key (with consistent derived files) is
/// covered by no signature: `log verify` says so, appends refuse to build
/// on it, and `--repair` removes it instead of signing it.
#[test]
fn attack_log_unsigned_appended_entry_is_removed_not_signed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = pass_then_fail(tmp.path());
    let d = dir.to_str().unwrap();
    let cp_before = std::fs::read(dir.join("checkpoint")).unwrap();
    let mut items = entry_items(&dir);
    let mut forged = hwprov::audit::log::Entry::decode(&items[0]).unwrap();
    forged.index = 2;
    items.push(forged.encode());
    rewrite_entries(&dir, &items);
    let o = run(&["log", "verify", d]);
    assert_eq!(code(&o), 1);
    assert!(
        stdout(&o).contains("covered by no signature"),
        "{}",
        stdout(&o)
    );
    assert_eq!(code(&verify_logged(&dir, "device-clean.cbor")), 2);
    let o = run(&["log", "verify", d, "--repair"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("removed 1 unsigned entry"),
        "{}",
        stdout(&o)
    );
    assert_eq!(entry_items(&dir).len(), 2);
    assert_eq!(
        std::fs::read(dir.join("checkpoint")).unwrap(),
        cp_before,
        "nothing re-signed"
    );
    assert_eq!(code(&verify_logged(&dir, "device-clean.cbor")), 0);
    assert_eq!(code(&run(&["log", "verify", d])), 0);
}

/// Review finding: `replay --to 18446744073709551615` wrapped and replayed
/// nothing with exit 0, even on a log where a plain replay reports a
/// difference; `--from` after `--to` also exited 0. Ranges are checked.
#[test]
fn replay_ranges_are_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = pass_then_fail(tmp.path());
    let d = dir.to_str().unwrap();
    for (args, want) in [
        (
            &["--to", "18446744073709551615"][..],
            "--to 18446744073709551615: the log has 2 entries",
        ),
        (&["--to", "2"][..], "--to 2: the log has 2 entries (0 to 1)"),
        (&["--from", "2"][..], "--from 2: the log has 2 entries"),
        (
            &["--from", "1", "--to", "0"][..],
            "--from 1 is after --to 0",
        ),
    ] {
        let o = run(&[&["replay", d][..], args].concat());
        assert_eq!(code(&o), 2, "{args:?}: {}", stdout(&o));
        assert!(stderr(&o).contains(want), "{args:?}: {}", stderr(&o));
    }
    let o = run(&["replay", d, "--from", "1", "--to", "1"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(
        stdout(&o).contains("1 replayed, 0 different"),
        "{}",
        stdout(&o)
    );
}

/// Review finding: a 70,000-character origin created a log that could never
/// be opened (its checkpoint outgrew the note limit). Bounded at init.
#[test]
fn a_log_origin_is_bounded_at_init() {
    let tmp = tempfile::tempdir().unwrap();
    let key = tmp.path().join("k.pem");
    assert_eq!(
        code(&run(&["key", "generate", "--out", key.to_str().unwrap()])),
        0
    );
    let dir = tmp.path().join("log");
    let long = "a".repeat(70_000);
    let o = run(&[
        "log",
        "init",
        dir.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
        "--origin",
        &long,
    ]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("1 to 256 bytes"), "{}", stderr(&o));
    assert!(!dir.exists(), "nothing created");
    let o = run(&[
        "log",
        "init",
        dir.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
        "--origin",
        &"a".repeat(256),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(code(&run(&["log", "verify", dir.to_str().unwrap()])), 0);
}

/// A log at `dir` signed with `key` (made if missing), with `bundles` logged.
fn log_with(dir: &Path, key: &Path, bundles: &[&str]) {
    if !key.exists() {
        assert_eq!(
            code(&run(&["key", "generate", "--out", key.to_str().unwrap()])),
            0
        );
    }
    let _ = std::fs::remove_dir_all(dir);
    let o = run(&[
        "log",
        "init",
        dir.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
        "--origin",
        "example.com/hwprov-test-log",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    for b in bundles {
        verify_logged(dir, b);
    }
}

#[test]
fn auditors_pin_the_key_and_a_saved_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (dir, key) = (t.join("log"), t.join("log.pem"));
    let s = |p: &Path| p.to_str().unwrap().to_owned();
    log_with(
        &dir,
        &key,
        &["device-clean.cbor", "device-high-risk-atp.cbor"],
    );
    // What the auditor keeps elsewhere.
    std::fs::copy(dir.join("checkpoint"), t.join("saved")).unwrap();
    std::fs::copy(dir.join("log.vkey"), t.join("pinned.vkey")).unwrap();
    verify_logged(&dir, "device-unsigned-firmware.cbor");
    let pinned = ["--vkey", &s(&t.join("pinned.vkey"))];
    let since = ["--since", &s(&t.join("saved"))];
    let verify = |extra: &[&str]| {
        let mut a = vec!["log", "verify", dir.to_str().unwrap()];
        a.extend_from_slice(extra);
        run(&a)
    };
    let o = verify(&[&pinned[..], &since[..]].concat());
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(
        stdout(&o).contains("it extends the saved checkpoint (size 2"),
        "{}",
        stdout(&o)
    );
    let o = run(&[
        "replay",
        dir.to_str().unwrap(),
        "--vkey",
        &s(&t.join("pinned.vkey")),
    ]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));

    // The key pair replaced and every decision logged again: it verifies
    // against its own log.vkey, never against the pinned key.
    log_with(
        &dir,
        &t.join("other.pem"),
        &[
            "device-clean.cbor",
            "device-high-risk-atp.cbor",
            "device-unsigned-firmware.cbor",
        ],
    );
    assert_eq!(code(&verify(&[])), 0);
    let o = verify(&pinned);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(
        stdout(&o).contains("names another key than the pinned"),
        "{}",
        stdout(&o)
    );
    let o = verify(&since);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(
        stdout(&o).contains("the saved checkpoint does not verify with the log's key"),
        "{}",
        stdout(&o)
    );
    let o = run(&[
        "replay",
        dir.to_str().unwrap(),
        "--vkey",
        &s(&t.join("pinned.vkey")),
    ]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(stdout(&o).contains("1 log problem(s)"), "{}", stdout(&o));

    // The same key, history rewritten (another second entry): a fork.
    log_with(
        &dir,
        &key,
        &[
            "device-clean.cbor",
            "device-unsigned-firmware.cbor",
            "device-high-risk-atp.cbor",
        ],
    );
    let o = verify(&[&pinned[..], &since[..]].concat());
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(
        stdout(&o).contains("not an extension of the saved checkpoint"),
        "{}",
        stdout(&o)
    );

    // The same key, a shorter log.
    log_with(&dir, &key, &["device-clean.cbor"]);
    let o = verify(&[&pinned[..], &since[..]].concat());
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(
        stdout(&o).contains("fewer than the 2 of the saved checkpoint"),
        "{}",
        stdout(&o)
    );

    // A pinned key file that is no verifier key is an input error naming it.
    std::fs::write(t.join("bad.vkey"), "not a key\n").unwrap();
    let o = verify(&["--vkey", &s(&t.join("bad.vkey"))]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("bad.vkey: not a verifier key"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn receipts_of_inclusion_verify_in_hwprov_and_independently() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (dir, key) = (t.join("log"), t.join("log.pem"));
    let s = |p: &Path| p.to_str().unwrap().to_owned();
    log_with(&dir, &key, &["device-clean.cbor"]);
    // One entry: an RFC 9942 inclusion path cannot be empty.
    let o = run(&[
        "log",
        "receipt",
        &s(&dir),
        "--index",
        "0",
        "--out",
        &s(&t.join("r.cose")),
    ]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("empty inclusion path"),
        "{}",
        stderr(&o)
    );
    verify_logged(&dir, "device-high-risk-atp.cbor");
    verify_logged(&dir, "device-unsigned-firmware.cbor");
    let o = run(&[
        "log",
        "receipt",
        &s(&dir),
        "--index",
        "1",
        "--out",
        &s(&t.join("r.cose")),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let receipt = std::fs::read(t.join("r.cose")).unwrap();

    // hwprov's own check, with the entry's bytes and the log's public key.
    let log = hwprov::audit::log::Log::open(&dir).unwrap();
    let public = hwprov::PublicKey::load(&t.join("log.pub.pem")).unwrap();
    let (size, cp_root) = checkpoint(&dir);
    let proven =
        hwprov::audit::receipt::verify(&receipt, &log.entry_bytes(1).unwrap(), &public).unwrap();
    assert_eq!((proven.size, proven.index, proven.root), (size, 1, cp_root));
    // Another entry, another key, a changed byte: refused.
    assert!(
        hwprov::audit::receipt::verify(&receipt, &log.entry_bytes(2).unwrap(), &public).is_err()
    );
    let other = hwprov::SecretKey::from_seed(&[9; 32]).public();
    assert!(
        hwprov::audit::receipt::verify(&receipt, &log.entry_bytes(1).unwrap(), &other).is_err()
    );
    for i in (0..receipt.len()).step_by(7) {
        let mut bad = receipt.clone();
        bad[i] ^= 0x01;
        assert!(
            hwprov::audit::receipt::verify(&bad, &log.entry_bytes(1).unwrap(), &public).is_err(),
            "byte {i} changed and the receipt still verifies"
        );
    }

    // pycose checks the signature over the root that an independent
    // RFC 9162 walk of the entry's path gives.
    if !checker(
        "pycose",
        python_has("pycose, cbor2"),
        "pip install -r tests/requirements.txt",
    ) {
        return;
    }
    let check = |index: &str| {
        let o = python()
            .arg(root().join("tests/interop/receipt_check.py"))
            .args([
                &s(&t.join("r.cose")),
                &s(&dir.join("entries")),
                index,
                &s(&dir.join("log.vkey")),
            ])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    let ok = check("1");
    assert_eq!(ok["ok"], true, "{ok}");
    assert_eq!(b64(&ok["root"]), cp_root);
    assert_eq!(ok["size"], size);
    assert_eq!(check("2")["ok"], false);
}
