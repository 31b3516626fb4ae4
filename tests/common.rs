//! Helpers for running the real `hwprov` binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub(crate) fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hwprov"))
}

pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Known-answer data from outside the project (sources and licences in
/// `test-vectors/outside/README.md`).
pub(crate) fn outside() -> PathBuf {
    root().join("test-vectors/outside")
}

pub(crate) fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run hwprov")
}

pub(crate) fn run_in(dir: &Path, args: &[&str]) -> Output {
    bin()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run hwprov")
}

pub(crate) fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub(crate) fn sorted_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

/// Every case folder of `test-vectors/` and `test-vectors/hostile/`.
pub(crate) fn vector_dirs() -> Vec<PathBuf> {
    let tv = root().join("test-vectors");
    let mut v: Vec<PathBuf> = sorted_dirs(&tv)
        .into_iter()
        .filter(|d| d.join("case.json").exists())
        .collect();
    v.extend(sorted_dirs(&tv.join("hostile")));
    v
}

/// Runs `verify --format json` on a case folder (interop layout) and returns
/// (exit code, parsed report or None, stderr).
pub(crate) fn verify_case(
    dir: &Path,
) -> (i32, Option<serde_json::Value>, String, serde_json::Value) {
    let case: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("case.json")).unwrap()).unwrap();
    let at = case["at"].as_str().unwrap();
    let mut args: Vec<String> = vec![
        "verify".into(),
        "--policy".into(),
        dir.join("policy.toml").display().to_string(),
        "--at".into(),
        at.into(),
        "--format".into(),
        "json".into(),
    ];
    for a in case["args"].as_array().unwrap() {
        args.push(a.as_str().unwrap().into());
    }
    if let Some(d) = case["deployment"].as_str() {
        args.push("--deployment".into());
        args.push(dir.join(d).display().to_string());
    }
    args.push(dir.join("bundle.cbor").display().to_string());
    let o = bin().args(&args).output().unwrap();
    let report = if o.stdout.is_empty() {
        None
    } else {
        Some(
            serde_json::from_slice(&o.stdout)
                .unwrap_or_else(|e| panic!("{}: bad JSON {e}", dir.display())),
        )
    };
    (code(&o), report, stderr(&o), case)
}

/// The Python that runs the independent checkers: `HWPROV_PYTHON` (set by
/// `./test.sh` to the project's `.venv`), else `.venv/bin/python` if it
/// exists, else `python3`.
pub(crate) fn python() -> Command {
    let venv = root().join(".venv/bin/python");
    let exe = std::env::var_os("HWPROV_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            if venv.exists() {
                venv
            } else {
                PathBuf::from("python3")
            }
        });
    Command::new(exe)
}

/// Whether the Python of [`python`] imports `modules` (e.g. `"pycose, cbor2"`).
pub(crate) fn python_has(modules: &str) -> bool {
    python()
        .args(["-c", &format!("import {modules}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// An independent checker a test needs. Present: true. Missing: the test
/// fails with how to get it, unless `HWPROV_SKIP` (comma-separated names,
/// e.g. `HWPROV_SKIP=chromium`) names it, the one documented way to skip
/// knowingly, which `./test.sh` prints at the end of the run; then false
/// and the caller returns.
pub(crate) fn checker(name: &str, present: bool, how: &str) -> bool {
    if present {
        return true;
    }
    let skip = std::env::var("HWPROV_SKIP").unwrap_or_default();
    if skip.split(',').any(|s| s.trim() == name) {
        eprintln!("SKIPPED (HWPROV_SKIP={skip}): {name} is missing");
        return false;
    }
    panic!(
        "the independent checker '{name}' is missing: {how}. `./test.sh` installs it \
         (see README); to skip these checks knowingly, set HWPROV_SKIP={name}"
    );
}
