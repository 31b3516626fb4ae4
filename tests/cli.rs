//! The commands a user runs: keys (against the real openssl), sign, bundle,
//! inspect, verify output and errors.

mod common;

use common::*;
use std::path::Path;
use std::process::Command;

const AT: &str = "2026-11-21T00:00:00Z";

fn openssl(args: &[&str]) {
    let o = Command::new("openssl")
        .args(args)
        .output()
        .expect("the openssl binary is required for these tests (apt-get install openssl; ./test.sh installs it when run as root)");
    assert!(
        o.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn data(rel: &str) -> String {
    root().join("examples/data").join(rel).display().to_string()
}

#[test]
fn key_generate_writes_pkcs8_and_spki_that_openssl_reads() {
    let tmp = tempfile::tempdir().unwrap();
    let key = tmp.path().join("vendor.pem");
    let o = run(&["key", "generate", "--out", key.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("key id:") && out.contains("ed25519:"), "{out}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "private key must not be world-readable");
    }
    // openssl derives the same public key from our PKCS#8 file.
    let from_openssl = tmp.path().join("openssl.pub.pem");
    openssl(&[
        "pkey",
        "-in",
        key.to_str().unwrap(),
        "-pubout",
        "-out",
        from_openssl.to_str().unwrap(),
    ]);
    assert_eq!(
        std::fs::read_to_string(&from_openssl).unwrap(),
        std::fs::read_to_string(tmp.path().join("vendor.pub.pem")).unwrap()
    );
    // Refuses to overwrite.
    let again = run(&["key", "generate", "--out", key.to_str().unwrap()]);
    assert_eq!(code(&again), 2);
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn openssl_keys_sign_and_verify_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let p = |n: &str| d.join(n).display().to_string();
    openssl(&["genpkey", "-algorithm", "ed25519", "-out", &p("fw.pem")]);
    openssl(&[
        "pkey",
        "-in",
        &p("fw.pem"),
        "-pubout",
        "-out",
        &p("fw.pub.pem"),
    ]);
    // key show reads all three forms and agrees.
    let shown: Vec<String> = ["fw.pem", "fw.pub.pem"]
        .iter()
        .map(|f| stdout(&run(&["key", "show", &p(f)])))
        .collect();
    assert_eq!(shown[0], shown[1]);
    let text = shown[0]
        .lines()
        .find(|l| l.starts_with("public key:"))
        .unwrap()
        .split_whitespace()
        .last()
        .unwrap()
        .to_owned();
    std::fs::write(d.join("fw.txt"), format!("{text}\n")).unwrap();
    assert_eq!(stdout(&run(&["key", "show", &p("fw.txt")])), shown[0]);

    // A policy naming the openssl public key by file; a firmware release signed with the openssl private key.
    std::fs::write(
        d.join("policy.toml"),
        "[policy]\nname = \"openssl-interop\"\nversion = \"1\"\n\n[[entities]]\nid = \"acme\"\ncountry = \"DE\"\n\n\
         [[keys]]\nentity = \"acme\"\npublic_key_file = \"fw.pub.pem\"\nroles = [\"firmware\"]\n",
    )
    .unwrap();
    let release = serde_json::json!({
        "v": 1, "type": "firmware", "issuer": "acme", "issued": "2026-03-01T00:00:00Z",
        "target": {"vendor": "acme", "model": "R1", "component": "main"},
        "name": "os", "version": "1.0", "svn": 1,
        "image": format!("sha256:{}", "ab".repeat(32)), "size": 1024
    });
    std::fs::write(d.join("release.json"), release.to_string()).unwrap();
    let o = run(&[
        "sign",
        "--key",
        &p("fw.pem"),
        &p("release.json"),
        "--out",
        &p("release.cose"),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = run(&[
        "verify",
        "--policy",
        &p("policy.toml"),
        "--at",
        AT,
        &p("release.cose"),
    ]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("verdict: PASS"), "{}", stdout(&o));
    // inspect prints exactly the authoring form back.
    let o = run(&["inspect", &p("release.cose")]);
    let back: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(back, release);
}

#[test]
fn sign_bundle_inspect_verify_round_trip_with_two_signers() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let p = |n: &str| d.join(n).display().to_string();
    let json = std::fs::read_to_string(data("statements/device-clean.json")).unwrap();
    std::fs::write(d.join("dev.json"), &json).unwrap();
    // One key: COSE_Sign1, byte-identical to the committed example (deterministic signing).
    let o = run(&[
        "sign",
        "--key",
        &data("keys/aurora-networks.pem"),
        &p("dev.json"),
        "--out",
        &p("dev.cose"),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let committed = hwprov::wire::bundle::split(
        &std::fs::read(data("device-clean.cbor")).unwrap(),
        &hwprov::Limits::DEFAULT,
    )
    .unwrap()[0]
        .to_vec();
    assert_eq!(std::fs::read(d.join("dev.cose")).unwrap(), committed);
    // Two keys: a COSE_Sign.
    let o = run(&[
        "sign",
        "--key",
        &data("keys/aurora-networks.pem"),
        "--key",
        &data("keys/boreal-radio.pem"),
        &p("dev.json"),
        "--out",
        &p("dev2.cose"),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = run(&["bundle", "--out", &p("b.cbor"), &p("dev2.cose")]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = run(&["inspect", &p("b.cbor")]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["statements"][0]["envelope"], "COSE_Sign");
    assert_eq!(v["statements"][0]["signers"].as_array().unwrap().len(), 2);
    assert_eq!(
        v["statements"][0]["statement"],
        serde_json::from_str::<serde_json::Value>(&json).unwrap()
    );
    // The same key twice is refused.
    let o = run(&[
        "sign",
        "--key",
        &data("keys/aurora-networks.pem"),
        "--key",
        &data("keys/aurora-networks.pem"),
        &p("dev.json"),
        "--out",
        &p("dup.cose"),
    ]);
    assert_eq!(code(&o), 2);
    assert!(!d.join("dup.cose").exists());
    // A bundle root must be a device or firmware statement.
    let parts = hwprov::wire::bundle::split(
        &std::fs::read(data("device-clean.cbor")).unwrap(),
        &hwprov::Limits::DEFAULT,
    )
    .unwrap()
    .iter()
    .map(|s| s.to_vec())
    .collect::<Vec<_>>();
    std::fs::write(d.join("stage.cose"), &parts[1]).unwrap();
    let o = run(&["bundle", "--out", &p("bad.cbor"), &p("stage.cose")]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("root must be a device or firmware"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn sign_reports_the_field_that_is_wrong() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let p = |n: &str| d.join(n).display().to_string();
    let cases = [
        (
            r#"{"v":1,"type":"stage","issuer":"x","issued":"2026-03-01T00:00:00Z","stage":"atp","part":"P","lot":"L","site":{"name":"S","country":"ZZ"},"inputs":[]}"#,
            "site.country",
        ),
        (
            r#"{"v":1,"type":"stage","issuer":"x","issued":"2026-03-01","stage":"atp","part":"P","lot":"L","site":{"name":"S","country":"DE"},"inputs":[]}"#,
            "issued",
        ),
        (
            r#"{"v":1,"type":"stage","issuer":"x","issued":"2026-03-01T00:00:00Z","stage":"atp","part":"P","lot":"L","site":{"name":"S","country":"DE"},"inputs":["sha256:00"]}"#,
            "inputs[0]",
        ),
        (
            r#"{"v":1,"type":"stage","issuer":"x","issued":"2026-03-01T00:00:00Z","stage":"atp","part":"P","lot":"L","site":{"name":"S","country":"DE"},"inputs":[],"color":"red"}"#,
            "color: unknown field",
        ),
        (
            r#"{"v":1,"type":"stage","issuer":"x","issued":"2026-03-01T00:00:00Z","stage":"atp","part":"P","site":{"name":"S","country":"DE"},"inputs":[]}"#,
            "lot: required field is missing",
        ),
    ];
    for (json, want) in cases {
        std::fs::write(d.join("s.json"), json).unwrap();
        let o = run(&[
            "sign",
            "--key",
            &data("keys/penang-osat.pem"),
            &p("s.json"),
            "--out",
            &p("s.cose"),
        ]);
        assert_eq!(code(&o), 2, "{json}");
        assert!(stderr(&o).contains(want), "{want}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("s.json"),
            "error must name the file: {}",
            stderr(&o)
        );
        assert!(!d.join("s.cose").exists());
    }
}

#[test]
fn verify_text_and_json_on_the_example_data() {
    let o = run(&[
        "verify",
        "--policy",
        &data("policy.toml"),
        "--at",
        AT,
        &data("device-high-risk-atp.cbor"),
    ]);
    assert_eq!(code(&o), 1);
    let text = stdout(&o);
    assert!(
        text.contains("deny   jurisdiction.site: atp site 'Dongguan back-end plant' (CN)"),
        "{text}"
    );
    assert!(text.contains("jurisdiction.control"), "{text}");
    assert!(
        text.trim_end()
            .ends_with("verdict: FAIL (2 deny, 0 warn, 0 info, 0 waived)"),
        "{text}"
    );

    let o = run(&[
        "verify",
        "--policy",
        &data("policy.toml"),
        "--at",
        AT,
        "--format",
        "json",
        &data("device-clean.cbor"),
    ]);
    assert_eq!(code(&o), 0);
    let r: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(r["format"], "hwprov-report/1");
    assert_eq!(r["verdict"], "pass");
    assert_eq!(r["at"], AT);
    assert_eq!(r["policy"]["name"], "example-core-network");
    assert_eq!(r["policy"]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(r["root"]["type"], "device");
    assert_eq!(r["root"]["issuer"], "aurora-networks");
    assert_eq!(r["statements"].as_array().unwrap().len(), 5);
    for s in r["statements"].as_array().unwrap() {
        assert!(s["digest"].as_str().unwrap().starts_with("sha256:"));
        assert_eq!(s["verified"], true);
        assert_eq!(s["signers"][0].as_str().unwrap().len(), 64);
    }
    assert_eq!(r["findings"].as_array().unwrap().len(), 0);
}

#[test]
fn input_errors_exit_2_and_name_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nope.cbor");
    let o = run(&[
        "verify",
        "--policy",
        &data("policy.toml"),
        "--at",
        AT,
        missing.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).starts_with("hwprov: error: ") && stderr(&o).contains("nope.cbor"),
        "{}",
        stderr(&o)
    );
    let o = run(&[
        "verify",
        "--policy",
        missing.to_str().unwrap(),
        &data("device-clean.cbor"),
    ]);
    assert_eq!(code(&o), 2);
    let o = run(&[
        "verify",
        "--policy",
        &data("policy.toml"),
        "--at",
        "yesterday",
        &data("device-clean.cbor"),
    ]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("--at 'yesterday'"), "{}", stderr(&o));
    let o = run(&[
        "verify",
        "--policy",
        &data("policy.toml"),
        tmp.path().to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2, "a directory is not a bundle");
    // Usage errors are exit 2 too.
    assert_eq!(code(&run(&["verify"])), 2);
    assert_eq!(code(&run(&["frobnicate"])), 2);
}

#[test]
fn help_documents_every_command() {
    let o = run(&["--help"]);
    let h = stdout(&o);
    for c in [
        "key",
        "sign",
        "bundle",
        "inspect",
        "verify",
        "gate",
        "vet",
        "state",
        "log",
        "replay",
        "policy",
        "completions",
        "man",
        "Exit status",
    ] {
        assert!(h.contains(c), "--help lacks {c}: {h}");
    }
    let v = stdout(&run(&["verify", "--help"]));
    for c in ["--policy", "--at", "--format", "--deny-warnings", "--log"] {
        assert!(v.contains(c), "verify --help lacks {c}");
    }
    for (cmd, flags) in [
        (
            vec!["gate", "--help"],
            vec!["--state", "--image", "--install", "--log", "Exit status"],
        ),
        (
            vec!["vet", "--help"],
            vec!["--jobs", "--html", "--log", "Exit status"],
        ),
        (vec!["log", "verify", "--help"], vec!["--repair"]),
        (vec!["log", "prove", "--help"], vec!["--index", "--size"]),
        (vec!["log", "consistency", "--help"], vec!["--old-size"]),
        (vec!["replay", "--help"], vec!["--from", "--to"]),
        (vec!["policy", "test", "--help"], vec!["case.json"]),
    ] {
        let h = stdout(&run(&cmd));
        for f in flags {
            assert!(h.contains(f), "{cmd:?} lacks {f}: {h}");
        }
    }
}

#[test]
fn inspect_refuses_non_hwprov_files() {
    let p = root().join("Cargo.toml");
    let o = run(&["inspect", p.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("not a bundle"), "{}", stderr(&o));
    let _ = Path::new(".");
}

/// Review finding: JSON read last-wins let a statement carry two issuers
/// (the signer's tool and a reader could disagree on which counts).
#[test]
fn sign_refuses_duplicate_json_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let p = |n: &str| d.join(n).display().to_string();
    std::fs::write(
        d.join("s.json"),
        r#"{"v":1,"type":"stage","issuer":"pearl-river-osat","issuer":"penang-osat","issued":"2026-03-01T00:00:00Z","stage":"atp","part":"P","lot":"L","site":{"name":"S","country":"DE"},"inputs":[]}"#,
    )
    .unwrap();
    let o = run(&[
        "sign",
        "--key",
        &data("keys/penang-osat.pem"),
        &p("s.json"),
        "--out",
        &p("s.cose"),
    ]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("duplicate key `issuer`"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("s.json"), "{}", stderr(&o));
    assert!(!d.join("s.cose").exists());
}

/// Review findings: `--jobs 1000000` ran for minutes; an `--at` that an
/// offset carries past year 9999 printed as "10000-01-01".
#[test]
fn jobs_and_times_out_of_range_are_input_errors() {
    let policy = data("policy.toml");
    let o = run(&[
        "vet",
        "--policy",
        &policy,
        "--jobs",
        "1000000",
        &data("shipment"),
    ]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("1..=256"), "{}", stderr(&o));
    let o = run(&["vet", "--policy", &policy, "--jobs", "0", &data("shipment")]);
    assert_eq!(code(&o), 2);
    let o = run(&[
        "verify",
        "--policy",
        &policy,
        "--at",
        "9999-12-31T23:30:00-01:00",
        &data("device-clean.cbor"),
    ]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("after 9999-12-31T23:59:59Z"),
        "{}",
        stderr(&o)
    );
    assert!(!stdout(&o).contains("10000"));
}

#[test]
fn shell_completions_and_man_pages() {
    for (shell, marker) in [
        ("bash", "complete -F _hwprov"),
        ("zsh", "#compdef hwprov"),
        ("fish", "complete -c hwprov"),
        ("elvish", "edit:completion:arg-completer[hwprov]"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let o = run(&["completions", shell]);
        assert_eq!(code(&o), 0, "{shell}: {}", stderr(&o));
        let out = stdout(&o);
        assert!(
            out.contains(marker),
            "{shell}: {}",
            &out[..out.len().min(300)]
        );
        assert!(
            out.contains("gate") && out.contains("deny-warnings"),
            "{shell}"
        );
    }
    assert_eq!(code(&run(&["completions", "tcsh"])), 2);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("man1");
    let o = run(&["man", "--out", dir.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    for page in [
        "hwprov.1",
        "hwprov-gate.1",
        "hwprov-log-verify.1",
        "hwprov-vet.1",
    ] {
        let text = std::fs::read_to_string(dir.join(page)).unwrap();
        assert!(text.starts_with(".ie") || text.contains(".TH"), "{page}");
        assert!(text.contains("SYNOPSIS"), "{page}");
    }
    let gate = std::fs::read_to_string(dir.join("hwprov-gate.1")).unwrap();
    assert!(gate.contains("\\-\\-state"), "gate page documents --state");
    assert!(stdout(&o).contains("man pages"));
}

/// The error messages a new user's tester asked for: a misspelt field is
/// named with its likely meaning, `key show` says what the file is not, a
/// missing output directory is named (never a temporary file), and a
/// directory that is not a log is named once.
#[test]
fn error_messages_name_what_the_user_gave() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let p = |n: &str| d.join(n).display().to_string();
    let text = std::fs::read_to_string(root().join("examples/data/statements/device-clean.json"))
        .unwrap()
        .replace("\"issuer\"", "\"isuer\"");
    std::fs::write(d.join("s.json"), text).unwrap();
    let key = data("keys/aurora-networks.pem");
    let o = run(&["sign", "--key", &key, &p("s.json"), "--out", &p("s.cose")]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("unknown field `isuer`: a misspelling of `issuer`?"),
        "{}",
        stderr(&o)
    );
    let o = run(&["key", "show", &data("device-clean.cbor")]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("not a key file: it holds binary data"),
        "{}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains("NUL"), "{}", stderr(&o));
    let o = run(&[
        "key",
        "show",
        &root().join("Cargo.toml").display().to_string(),
    ]);
    assert!(
        stderr(&o).contains("it is text with no PEM block"),
        "{}",
        stderr(&o)
    );
    let missing = d.join("no-such-dir");
    for args in [
        vec![
            "key",
            "generate",
            "--out",
            &format!("{}/k.pem", missing.display()),
        ],
        vec![
            "sign",
            "--key",
            &key,
            &data("statements/device-clean.json"),
            "--out",
            &format!("{}/s.cose", missing.display()),
        ],
    ] {
        let o = run(&args);
        assert_eq!(code(&o), 2);
        let err = stderr(&o);
        assert!(
            err.contains(&format!("directory {} does not exist", missing.display())),
            "{err}"
        );
        assert!(!err.contains(".hwprov-"), "names a temporary file: {err}");
    }
    let o = run(&["log", "verify", &p("")]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert_eq!(
        err.matches(d.to_str().unwrap()).count(),
        1,
        "path once: {err}"
    );
    assert!(err.contains("is not a log"), "{err}");
}
