//! Transparency (SPEC 6.9, 10.2 to 10.4) through the real binary: a log
//! published as C2SP tiles (incremental, idempotent, crash-safe), audited
//! from the published files alone, witnessed, and a firmware release gated
//! on a tlog-proof; checked independently by the Go checksum database's
//! tlog package and by a Python reading of the C2SP texts.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

const AT: &str = "2026-11-21T00:00:00Z";
const ORIGIN: &str = "aurora-networks.example/firmware-log";

fn data(rel: &str) -> String {
    root().join("examples/data").join(rel).display().to_string()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn ok(o: &Output) -> String {
    assert_eq!(code(o), 0, "{}\n{}", stdout(o), stderr(o));
    stdout(o)
}

/// A log at `dir` with origin `origin`, signed with `key` (generated if
/// it does not exist).
fn init_log(dir: &Path, key: &Path, origin: &str) {
    if !key.exists() {
        ok(&run(&["key", "generate", "--out", s(key)]));
    }
    ok(&run(&[
        "log",
        "init",
        s(dir),
        "--key",
        s(key),
        "--origin",
        origin,
    ]));
}

/// A vendor's firmware log with the signed 2.4.1 release published in it.
struct Vendor {
    tmp: tempfile::TempDir,
    log: PathBuf,
    site: PathBuf,
    release: PathBuf,
}

impl Vendor {
    fn new() -> Vendor {
        let tmp = tempfile::tempdir().unwrap();
        let t = tmp.path();
        let log = t.join("log");
        init_log(&log, &t.join("log.pem"), ORIGIN);
        let release = t.join("release.cose");
        ok(&run(&[
            "sign",
            "--key",
            &data("keys/aurora-networks.pem"),
            "--out",
            s(&release),
            &data("statements/release-bmc-2.4.1.json"),
        ]));
        ok(&run(&["log", "add", s(&log), s(&release)]));
        let site = t.join("site");
        ok(&run(&["log", "publish", s(&log), s(&site)]));
        Vendor {
            tmp,
            log,
            site,
            release,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    fn witness(&self, n: u8) -> (PathBuf, String) {
        let key = self.path(&format!("w{n}.pem"));
        if !key.exists() {
            ok(&run(&["key", "generate", "--out", s(&key)]));
        }
        (key, format!("witness{n}.example"))
    }

    fn cosign(&self, n: u8) -> Output {
        self.cosign_to(n, &self.site, &self.log.join("log.vkey"))
    }

    /// Witness `n` cosigns the tree at `site`, trusting the log key `vkey`.
    fn cosign_to(&self, n: u8, site: &Path, vkey: &Path) -> Output {
        let (key, name) = self.witness(n);
        run(&[
            "log",
            "cosign",
            s(site),
            "--key",
            s(&key),
            "--name",
            &name,
            "--log-vkey",
            s(vkey),
            "--state",
            s(&self.path(&format!("w{n}.json"))),
            "--at",
            AT,
        ])
    }

    /// The vendor's 2.4.1 release statement with another version, signed.
    fn release_version(&self, version: &str) -> PathBuf {
        let json = std::fs::read_to_string(data("statements/release-bmc-2.4.1.json"))
            .unwrap()
            .replace("\"2.4.1\"", &format!("\"{version}\""));
        let source = self.path(&format!("release-{version}.json"));
        std::fs::write(&source, json).unwrap();
        let out = self.path(&format!("release-{version}.cose"));
        ok(&run(&[
            "sign",
            "--key",
            &data("keys/aurora-networks.pem"),
            "--out",
            s(&out),
            s(&source),
        ]));
        out
    }

    fn witness_vkey(&self, n: u8) -> String {
        let (key, name) = self.witness(n);
        ok(&run(&[
            "key",
            "vkey",
            "--witness",
            "--name",
            &name,
            s(&key),
        ]))
        .trim()
        .to_owned()
    }

    /// The operator's policy: the example policy plus [transparency] over
    /// a tlog-policy listing this log and witnesses 1 and 2, quorum both.
    fn policy(&self) -> PathBuf {
        let vkey = std::fs::read_to_string(self.log.join("log.vkey")).unwrap();
        let tlog = format!(
            "log {}\nwitness one {}\nwitness two {}\ngroup both all one two\nquorum both\n",
            vkey.trim(),
            self.witness_vkey(1),
            self.witness_vkey(2)
        );
        std::fs::write(self.path("firmware-logs.tlog-policy"), tlog).unwrap();
        let mut p = std::fs::read_to_string(data("policy.toml")).unwrap();
        p.push_str("\n[transparency]\nfirmware = \"firmware-logs.tlog-policy\"\n");
        let f = self.path("policy.toml");
        std::fs::write(&f, p).unwrap();
        f
    }

    fn prove(&self, name: &str, checkpoint: Option<&Path>) -> PathBuf {
        let out = self.path(name);
        let mut args = vec![
            "log",
            "prove",
            s(&self.log),
            "--index",
            "0",
            "--format",
            "tlog-proof",
            "--out",
            s(&out),
        ];
        if let Some(c) = checkpoint {
            args.extend(["--checkpoint", s(c)]);
        }
        ok(&run(&args));
        out
    }

    fn bundle(&self, name: &str, evidence: &[&Path]) -> PathBuf {
        let out = self.path(name);
        let mut args = vec!["bundle", "--out", s(&out), s(&self.release)];
        args.extend(evidence.iter().map(|p| s(p)));
        ok(&run(&args));
        out
    }

    fn gate(&self, policy: &Path, bundle: &Path) -> (i32, serde_json::Value) {
        let state = self.path("state.json");
        std::fs::copy(data("device-state.json"), &state).unwrap();
        let o = run(&[
            "gate",
            "--policy",
            s(policy),
            "--state",
            s(&state),
            "--image",
            &data("firmware/bmc-2.4.1.bin"),
            "--at",
            AT,
            "--format",
            "json",
            s(bundle),
        ]);
        let v = serde_json::from_str(&stdout(&o)).unwrap_or_else(|e| {
            panic!("{e}: {}\n{}", stdout(&o), stderr(&o));
        });
        (code(&o), v)
    }
}

fn rules(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_owned())
        .collect()
}

/// The gate refused (exit 1) with `firmware.untransparent` as its only
/// finding, whose message says `says`.
fn assert_untransparent((code, report): (i32, serde_json::Value), says: &str) {
    assert_eq!(
        (code, rules(&report)),
        (1, vec!["firmware.untransparent".to_owned()]),
        "{report:#}"
    );
    let message = report["findings"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains(says), "{report:#}");
}

#[test]
fn a_gate_accepts_only_a_release_proven_published_with_its_witness_quorum() {
    let v = Vendor::new();
    let policy = v.policy();
    assert!(ok(&v.cosign(1)).contains("cosigned"));
    assert!(ok(&v.cosign(2)).contains("cosigned"));
    let proof = v.prove("release.tlog-proof", Some(&v.site.join("checkpoint")));
    // An auditor keeps the cosigned checkpoint: the log extends it, and it
    // met the quorum; the log's own (uncosigned) checkpoint does not.
    let tlog_policy = v.path("firmware-logs.tlog-policy");
    let o = ok(&run(&[
        "log",
        "verify",
        s(&v.log),
        "--since",
        s(&v.site.join("checkpoint")),
        "--witnesses",
        s(&tlog_policy),
    ]));
    assert!(o.contains("cosigned by one, two"), "{o}");
    let o = run(&["log", "verify", s(&v.log), "--witnesses", s(&tlog_policy)]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(stdout(&o).contains("quorum is not met"), "{}", stdout(&o));
    let shown = ok(&run(&["inspect", s(&proof)]));
    assert!(
        shown.contains("\"command\": \"publish\"") && shown.contains("witness2.example"),
        "{shown}"
    );

    // Published, cosigned by both witnesses: accepted.
    let (c, r) = v.gate(&policy, &v.bundle("update.cbor", &[&proof]));
    assert_eq!(c, 0, "{r:#}");
    assert_eq!(r["gate"]["decision"], "accept", "{r:#}");

    // No proof.
    assert_untransparent(
        v.gate(&policy, &v.bundle("bare.cbor", &[])),
        "holds no tlog-proof",
    );

    // The log's own checkpoint, without cosignatures: too few.
    let bare = v.prove("uncosigned.tlog-proof", None);
    assert_untransparent(
        v.gate(&policy, &v.bundle("few.cbor", &[&bare])),
        "quorum is not met",
    );

    // One witness only.
    let gated = {
        let one = v.path("one.tlog-proof");
        let text = std::fs::read_to_string(&proof).unwrap();
        let kept: Vec<&str> = text
            .lines()
            .filter(|l| !l.starts_with("\u{2014} witness2.example"))
            .collect();
        std::fs::write(&one, format!("{}\n", kept.join("\n"))).unwrap();
        v.gate(&policy, &v.bundle("one.cbor", &[&one]))
    };
    assert_untransparent(gated, "cosigned only by one");

    // A log the tlog-policy does not list (same release, same entry shape).
    let other = v.path("other");
    init_log(&other, &v.path("other.pem"), "mirror.example/firmware-log");
    ok(&run(&["log", "add", s(&other), s(&v.release)]));
    let out = v.path("unknown.tlog-proof");
    ok(&run(&[
        "log",
        "prove",
        s(&other),
        "--index",
        "0",
        "--format",
        "tlog-proof",
        "--out",
        s(&out),
    ]));
    assert_untransparent(
        v.gate(&policy, &v.bundle("unknown.cbor", &[&out])),
        "which the tlog-policy does not list",
    );

    // A proof of another statement: the 2.4.2 release published, 2.4.1 gated.
    let other_release = v.release_version("2.4.2");
    ok(&run(&["log", "add", s(&v.log), s(&other_release)]));
    ok(&run(&["log", "publish", s(&v.log), s(&v.site)]));
    ok(&v.cosign(1));
    ok(&v.cosign(2));
    let out = v.path("other-statement.tlog-proof");
    ok(&run(&[
        "log",
        "prove",
        s(&v.log),
        "--index",
        "1",
        "--format",
        "tlog-proof",
        "--checkpoint",
        s(&v.site.join("checkpoint")),
        "--out",
        s(&out),
    ]));
    assert_untransparent(
        v.gate(&policy, &v.bundle("other-statement.cbor", &[&out])),
        "publish 1 other statement",
    );

    // A proof whose extra data was changed does not verify.
    let text = std::fs::read_to_string(&proof).unwrap();
    let extra = text.lines().nth(1).unwrap().to_owned();
    let mut chars: Vec<char> = extra.chars().collect();
    let k = 20;
    chars[k] = if chars[k] == 'A' { 'B' } else { 'A' };
    let forged = v.path("forged.tlog-proof");
    std::fs::write(
        &forged,
        text.replace(&extra, &chars.iter().collect::<String>()),
    )
    .unwrap();
    assert_untransparent(
        v.gate(&policy, &v.bundle("forged.cbor", &[&forged])),
        "proof does not lead to the root hash",
    );

    // Without [transparency], the proofs change nothing.
    let (c, r) = v.gate(
        Path::new(&data("policy.toml")),
        &v.bundle("plain.cbor", &[&proof]),
    );
    assert_eq!(c, 0, "{r:#}");

    // A malformed proof is refused when bundled.
    std::fs::write(
        v.path("bad.tlog-proof"),
        "c2sp.org/tlog-proof@v1\nindex 01\n\nx\n",
    )
    .unwrap();
    let o = run(&[
        "bundle",
        "--out",
        s(&v.path("bad.cbor")),
        s(&v.release),
        s(&v.path("bad.tlog-proof")),
    ]);
    assert_eq!(code(&o), 2, "{}", stdout(&o));
    assert!(stderr(&o).contains("tlog-proof"), "{}", stderr(&o));
}

/// Every file under `dir` (but the lock) with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().unwrap() != ".lock" {
                out.insert(
                    p.strip_prefix(dir).unwrap().to_owned(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    out
}

/// Publishes `statement` `n` times more in `log`.
fn add_n(log: &Path, statement: &Path, n: usize) {
    let mut args = vec!["log".to_owned(), "add".to_owned(), s(log).to_owned()];
    args.extend(std::iter::repeat_n(s(statement).to_owned(), n));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    ok(&run(&refs));
}

fn audit(site: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["log", "audit", s(site)];
    args.extend(extra);
    run(&args)
}

#[test]
fn publishing_is_incremental_idempotent_and_survives_a_crash() {
    let v = Vendor::new();
    add_n(&v.log, &v.release, 599); // 600 entries: two full level-0 tiles and a partial one
    let o = ok(&run(&["log", "publish", s(&v.log), s(&v.site)]));
    assert!(o.contains("published 600 entries"), "{o}");
    let first = snapshot(&v.site);
    for f in [
        "tile/0/000",
        "tile/0/001",
        "tile/0/002.p/88",
        "tile/entries/000",
        "tile/entries/001",
        "tile/entries/002.p/88",
        "tile/1/000.p/2",
        "checkpoint",
        "log.vkey",
    ] {
        assert!(
            first.contains_key(Path::new(f)),
            "{f} missing: {:?}",
            first.keys()
        );
    }
    assert_eq!(first[Path::new("tile/0/000")].len(), 8192);
    ok(&audit(&v.site, &["--vkey", s(&v.log.join("log.vkey"))]));
    let saved = v.path("checkpoint-600");
    std::fs::copy(v.site.join("checkpoint"), &saved).unwrap();

    // Nothing new: nothing written.
    let o = ok(&run(&["log", "publish", s(&v.log), s(&v.site)]));
    assert!(o.contains("nothing written"), "{o}");
    assert_eq!(snapshot(&v.site), first);

    // 300 more, then a crash before the checkpoint: simulated by putting
    // the old checkpoint back after the publish.
    add_n(&v.log, &v.release, 300);
    ok(&run(&["log", "publish", s(&v.log), s(&v.site)]));
    let second = snapshot(&v.site);
    for (f, bytes) in &first {
        if f != Path::new("checkpoint") {
            assert_eq!(second.get(f), Some(bytes), "{} was rewritten", f.display());
        }
    }
    std::fs::copy(&saved, v.site.join("checkpoint")).unwrap();
    let o = ok(&audit(&v.site, &[]));
    assert!(o.contains("verifies: 600 entries"), "{o}");
    // The next publish finishes the job.
    let o = ok(&run(&["log", "publish", s(&v.log), s(&v.site)]));
    assert!(o.contains("published 900 entries"), "{o}");
    assert_eq!(snapshot(&v.site), second);
    let o = ok(&audit(&v.site, &["--since", s(&saved)]));
    assert!(
        o.contains("verifies: 900 entries") && o.contains("extends the saved checkpoint"),
        "{o}"
    );
    // The log with publish entries replays.
    let o = ok(&run(&["replay", s(&v.log)]));
    assert!(
        o.contains("900 replayed, 0 different, 0 log problem(s)"),
        "{o}"
    );
}

fn problems(o: &Output) -> String {
    assert_eq!(code(o), 1, "{}\n{}", stdout(o), stderr(o));
    stdout(o)
}

#[test]
fn an_audit_finds_every_change_to_a_published_tree() {
    let v = Vendor::new();
    add_n(&v.log, &v.release, 599);
    ok(&run(&["log", "publish", s(&v.log), s(&v.site)]));
    let pristine = v.path("pristine");
    copy_dir(&v.site, &pristine);
    let reset = || {
        std::fs::remove_dir_all(&v.site).unwrap();
        copy_dir(&pristine, &v.site);
    };
    let flip = |rel: &str, at: usize| {
        let p = v.site.join(rel);
        let mut b = std::fs::read(&p).unwrap();
        b[at] ^= 1;
        std::fs::write(&p, b).unwrap();
    };
    flip("tile/entries/001", 100);
    assert!(problems(&audit(&v.site, &[])).contains("does not hash to its leaf"));
    reset();
    flip("tile/0/000", 40);
    assert!(problems(&audit(&v.site, &[])).contains("problem"));
    reset();
    flip("tile/1/000.p/2", 0);
    assert!(problems(&audit(&v.site, &[])).contains("tile 1/0 hash 0"));
    reset();
    std::fs::remove_file(v.site.join("tile/0/002.p/88")).unwrap();
    assert!(problems(&audit(&v.site, &[])).contains("002.p/88"));
    reset();
    let obj = std::fs::read_dir(v.site.join("objects"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::write(&obj, b"another release").unwrap();
    assert!(problems(&audit(&v.site, &[])).contains("altered object"));
    reset();
    // A checkpoint and key replaced together pass only without a pin.
    let evil = v.path("evil");
    init_log(&evil, &v.path("evil.pem"), ORIGIN);
    add_n(&evil, &v.release, 599);
    ok(&run(&["log", "publish", s(&evil), s(&v.path("evil-site"))]));
    let vkey = v.log.join("log.vkey");
    let pinned = ["--vkey", s(&vkey)];
    let o = problems(&audit(&v.path("evil-site"), &pinned));
    assert!(o.contains("no valid signature by the log's key"), "{o}");
    // A fork: same key and origin, other entries, against a saved checkpoint.
    let saved = v.path("saved");
    std::fs::copy(v.site.join("checkpoint"), &saved).unwrap();
    // (A log started again with the log's own key, by whoever holds it.)
    let forked = v.path("forked");
    init_log(&forked, &v.log.join("log.key"), ORIGIN);
    add_n(&forked, &v.release_version("9.9.9"), 700);
    ok(&run(&[
        "log",
        "publish",
        s(&forked),
        s(&v.path("forked-site")),
    ]));
    let o = problems(&audit(
        &v.path("forked-site"),
        &["--vkey", s(&v.log.join("log.vkey")), "--since", s(&saved)],
    ));
    assert!(o.contains("not those of the saved checkpoint"), "{o}");
    // A witness quorum the checkpoint does not meet.
    v.policy();
    let o = problems(&audit(
        &v.site,
        &["--witnesses", s(&v.path("firmware-logs.tlog-policy"))],
    ));
    assert!(o.contains("quorum is not met"), "{o}");
    ok(&v.cosign(1));
    ok(&v.cosign(2));
    let o = ok(&audit(
        &v.site,
        &["--witnesses", s(&v.path("firmware-logs.tlog-policy"))],
    ));
    assert!(o.contains("cosigned by one, two"), "{o}");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

#[test]
fn witnesses_refuse_unsigned_older_and_forked_checkpoints() {
    let v = Vendor::new();
    add_n(&v.log, &v.release, 4);
    ok(&run(&["log", "publish", s(&v.log), s(&v.site)]));
    let o = ok(&v.cosign(1));
    assert!(o.contains("at size 5 (previously 0)"), "{o}");
    // Cosigning again replaces the witness's own line.
    ok(&v.cosign(1));
    let cp = std::fs::read_to_string(v.site.join("checkpoint")).unwrap();
    assert_eq!(cp.matches("\u{2014} witness1.example ").count(), 1, "{cp}");
    let state = std::fs::read(v.path("w1.json")).unwrap();

    // Older: a tree of 3 entries under the same key (a log started again
    // by whoever holds the key), published elsewhere.
    let old_site = v.path("old-site");
    let three = v.path("three");
    init_log(&three, &v.log.join("log.key"), ORIGIN);
    // Other statements than the vendor's log holds, so the trees differ.
    let r3_cose = v.release_version("3.0.0");
    add_n(&three, &r3_cose, 3);
    ok(&run(&["log", "publish", s(&three), s(&old_site)]));
    let pinned = v.log.join("log.vkey");
    let cosign_at = |site: &Path| v.cosign_to(1, site, &pinned);
    let o = cosign_at(&old_site);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(stdout(&o).contains("older than the 5"), "{}", stdout(&o));
    // Forked: same key, other entries, a larger tree.
    add_n(&three, &r3_cose, 5);
    ok(&run(&["log", "publish", s(&three), s(&old_site)]));
    let o = cosign_at(&old_site);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(stdout(&o).contains("not consistent"), "{}", stdout(&o));
    // Unsigned: a checkpoint by another key.
    let other_key = v.path("other-key.vkey");
    let o = v.cosign_to(1, &v.site, &other_key);
    assert_eq!(code(&o), 2, "{}", stdout(&o)); // no such vkey file
    ok(&run(&["key", "generate", "--out", s(&v.path("k2.pem"))]));
    let vk = ok(&run(&[
        "key",
        "vkey",
        "--name",
        ORIGIN,
        s(&v.path("k2.pem")),
    ]));
    std::fs::write(&other_key, vk).unwrap();
    let o = v.cosign_to(1, &v.site, &other_key);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(stdout(&o).contains("refused to cosign"), "{}", stdout(&o));
    // A path that is not a published tree: an input error, nothing created.
    let nowhere = v.path("no-such-site");
    let o = cosign_at(&nowhere);
    assert_eq!(code(&o), 2, "{}", stdout(&o));
    assert!(
        stderr(&o).contains("not a published tree"),
        "{}",
        stderr(&o)
    );
    assert!(!nowhere.exists());
    // No refusal moved the witness's state.
    assert_eq!(std::fs::read(v.path("w1.json")).unwrap(), state);
}

#[test]
fn published_tiles_check_with_go_sumdb_tlog_and_cosignatures_with_python() {
    let go_src = Path::new("/usr/share/gocode/src/golang.org/x/mod/sumdb/tlog");
    let go = std::process::Command::new("go")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    let have_go = checker(
        "go-tlog",
        go && go_src.exists(),
        "install Go and golang.org/x/mod (apt-get install golang-go golang-golang-x-mod-dev)",
    );
    let have_py = checker(
        "python-crypto",
        python_has("cryptography"),
        "pip install cryptography (tests/requirements.txt)",
    );
    // A log of 70,000 entries spans three tile levels (C2SP's example).
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("log");
    let key = hwprov::SecretKey::from_seed(&[42; 32]);
    let log = hwprov::audit::log::Log::init(&dir, &key, ORIGIN).unwrap();
    let statement = log.put_object(b"a statement").unwrap();
    let mut done = 0u64;
    while done < 70_000 {
        let mut batch: Vec<hwprov::report::entry::Entry> = (0..10_000)
            .map(|i| hwprov::report::entry::Entry {
                index: 0,
                time: hwprov::Timestamp(1_795_219_200 + done + i),
                at: hwprov::Timestamp(1_795_219_200),
                tool: "hwprov/test".into(),
                command: hwprov::report::entry::Command::Publish,
                inputs: vec![(hwprov::report::entry::Input::Statement, statement)],
                verdict: "published".into(),
                findings: hwprov::report::entry::findings_digest(&[]),
            })
            .collect();
        log.append(&mut batch).unwrap();
        done += 10_000;
    }
    let site = tmp.path().join("site");
    ok(&run(&["log", "publish", s(&dir), s(&site)]));
    for f in [
        "tile/0/273",
        "tile/0/273.p/112",
        "tile/1/000",
        "tile/1/001.p/17",
        "tile/2/000.p/1",
    ] {
        if f != "tile/0/273" {
            assert!(site.join(f).exists(), "{f}");
        }
    }
    let o = ok(&audit(&site, &["--vkey", s(&dir.join("log.vkey"))]));
    assert!(o.contains("verifies: 70000 entries"), "{o}");
    if have_go {
        let gocache = tmp.path().join("gocache");
        let o = std::process::Command::new("go")
            .args([
                "run",
                s(&root().join("tests/interop/tiles_check.go")),
                s(&site),
                s(&dir.join("log.vkey")),
            ])
            .env("GO111MODULE", "off")
            .env("GOPATH", "/usr/share/gocode")
            .env("GOCACHE", &gocache)
            .env("GOFLAGS", "")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
        assert_eq!(stdout(&o).trim(), "ok 70000");
        // And Go refuses a changed tile.
        let p = site.join("tile/1/000");
        let mut b = std::fs::read(&p).unwrap();
        b[5] ^= 1;
        std::fs::write(&p, &b).unwrap();
        let o = std::process::Command::new("go")
            .args([
                "run",
                s(&root().join("tests/interop/tiles_check.go")),
                s(&site),
                s(&dir.join("log.vkey")),
            ])
            .env("GO111MODULE", "off")
            .env("GOPATH", "/usr/share/gocode")
            .env("GOCACHE", &gocache)
            .output()
            .unwrap();
        assert!(!o.status.success(), "Go accepted a changed tile");
        b[5] ^= 1;
        std::fs::write(&p, &b).unwrap();
    }
    if have_py {
        // Two witnesses cosign; Python checks their lines and a tlog-proof.
        let mut vkeys = Vec::new();
        for n in 1..=2 {
            let k = tmp.path().join(format!("w{n}.pem"));
            ok(&run(&["key", "generate", "--out", s(&k)]));
            let name = format!("witness{n}.example");
            ok(&run(&[
                "log",
                "cosign",
                s(&site),
                "--key",
                s(&k),
                "--name",
                &name,
                "--log-vkey",
                s(&dir.join("log.vkey")),
                "--state",
                s(&tmp.path().join(format!("w{n}.json"))),
                "--at",
                AT,
            ]));
            let vk = tmp.path().join(format!("w{n}.vkey"));
            std::fs::write(
                &vk,
                ok(&run(&["key", "vkey", "--witness", "--name", &name, s(&k)])),
            )
            .unwrap();
            vkeys.push(vk);
        }
        let proof = tmp.path().join("p.tlog-proof");
        ok(&run(&[
            "log",
            "prove",
            s(&dir),
            "--index",
            "65537",
            "--format",
            "tlog-proof",
            "--checkpoint",
            s(&site.join("checkpoint")),
            "--out",
            s(&proof),
        ]));
        let o = python()
            .arg(root().join("tests/interop/witness_check.py"))
            .args([
                s(&site.join("checkpoint")),
                s(&dir.join("log.vkey")),
                s(&vkeys[0]),
                s(&vkeys[1]),
            ])
            .args(["--proof", s(&proof)])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
        let out = stdout(&o);
        assert!(
            out.contains("cosigned by witness1.example at 1795219200"),
            "{out}"
        );
        assert!(
            out.contains("entry 65537 included in the tree of 70000"),
            "{out}"
        );
    }
}
