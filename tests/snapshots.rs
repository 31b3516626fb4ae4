//! Whole-output snapshots: every test-vector case's text, JSON and SARIF
//! report (`test-vectors/<case>/expected.{txt,json,sarif}`), and every
//! subcommand's `--help` (`tests/snapshots/help/`), compared byte for byte
//! with what the binary prints now.
//!
//! A deliberate change to an output is made by regenerating the snapshots
//! and reviewing the diff:
//!
//! ```sh
//! HWPROV_BLESS=1 cargo test --release --test snapshots
//! git diff test-vectors tests/snapshots
//! ```

mod common;

use common::*;
use std::path::Path;

fn bless() -> bool {
    std::env::var_os("HWPROV_BLESS").is_some_and(|v| v == "1")
}

/// Compares `got` with the snapshot at `path` (or writes it when blessing);
/// returns a description of the first difference.
fn check(path: &Path, got: &[u8]) -> Option<String> {
    if bless() {
        std::fs::write(path, got).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        return None;
    }
    let Ok(want) = std::fs::read(path) else {
        return Some(format!(
            "{}: no snapshot; run HWPROV_BLESS=1 cargo test --release --test snapshots and review it",
            path.display()
        ));
    };
    if want == got {
        return None;
    }
    let (w, g) = (String::from_utf8_lossy(&want), String::from_utf8_lossy(got));
    let line = w
        .lines()
        .zip(g.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| w.lines().count().min(g.lines().count()));
    Some(format!(
        "{} differs at line {}:\n  snapshot: {:?}\n  now:      {:?}",
        path.display(),
        line + 1,
        w.lines().nth(line).unwrap_or("(end)"),
        g.lines().nth(line).unwrap_or("(end)")
    ))
}

#[test]
fn every_test_vector_report_matches_its_snapshot() {
    let mut problems = Vec::new();
    let mut compared = 0;
    for dir in sorted_dirs(&root().join("test-vectors")) {
        let Ok(case) = std::fs::read(dir.join("case.json")) else {
            continue;
        };
        let case: serde_json::Value = serde_json::from_slice(&case).unwrap();
        let mut args: Vec<String> = vec![
            "verify".into(),
            "--policy".into(),
            "policy.toml".into(),
            "--at".into(),
            case["at"].as_str().unwrap().into(),
        ];
        for a in case["args"].as_array().unwrap() {
            args.push(a.as_str().unwrap().into());
        }
        if let Some(d) = case["deployment"].as_str() {
            args.push("--deployment".into());
            args.push(d.into());
        }
        for (format, file) in [
            ("text", "expected.txt"),
            ("json", "expected.json"),
            ("sarif", "expected.sarif"),
        ] {
            // Relative paths from the case folder: the output names
            // `bundle.cbor`, wherever the repository is.
            let o = bin()
                .current_dir(&dir)
                .args(&args)
                .args(["--format", format, "bundle.cbor"])
                .output()
                .unwrap();
            // An input error prints no report: its snapshot is the message
            // and the exit status (the same for every format).
            let got = if code(&o) == 2 {
                if format != "text" {
                    continue;
                }
                format!("exit 2\n{}", stderr(&o)).into_bytes()
            } else {
                o.stdout
            };
            compared += 1;
            problems.extend(check(&dir.join(file), &got));
        }
    }
    assert!(compared >= 200, "only {compared} snapshots compared");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every subcommand path, for the `--help` snapshots.
fn commands() -> Vec<Vec<&'static str>> {
    let mut v = vec![vec![]];
    for top in [
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
    ] {
        v.push(vec![top]);
    }
    for (top, subs) in [
        ("key", &["generate", "show", "vkey"][..]),
        ("state", &["init", "show"]),
        (
            "log",
            &[
                "init",
                "verify",
                "prove",
                "consistency",
                "receipt",
                "add",
                "publish",
                "audit",
                "cosign",
                "report",
                "show",
            ],
        ),
        ("policy", &["check", "test"]),
    ] {
        for s in subs {
            v.push(vec![top, s]);
        }
    }
    v
}

#[test]
fn every_help_text_matches_its_snapshot() {
    let dir = root().join("tests/snapshots/help");
    if bless() {
        std::fs::create_dir_all(&dir).unwrap();
    }
    let mut problems = Vec::new();
    let mut names = Vec::new();
    for cmd in commands() {
        let o = bin().args(&cmd).arg("--help").output().unwrap();
        assert_eq!(code(&o), 0, "{cmd:?} --help");
        let name = std::iter::once("hwprov")
            .chain(cmd.iter().copied())
            .collect::<Vec<_>>()
            .join("-");
        problems.extend(check(&dir.join(format!("{name}.txt")), &o.stdout));
        names.push(format!("{name}.txt"));
    }
    // No stale snapshot of a subcommand that no longer exists.
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    names.sort();
    assert_eq!(on_disk, names, "snapshots in {}", dir.display());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
