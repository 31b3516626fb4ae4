//! Hostile file-system inputs through the real binary (the byte-level
//! hostile corpus is `test-vectors/hostile/`, walked by `tests/vectors.rs`):
//! a 100 MiB image gated in bounded memory, endless images from `/dev/zero`
//! and a pipe, unreadable files and directories (run as an unprivileged
//! user), symbolic links (to bundles, loops, devices, directories, install
//! destinations and state files) and pipes among a shipment's units.
#![cfg(target_os = "linux")]

mod common;
#[path = "../examples/support/mod.rs"]
mod support;

use common::*;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use support::*;

const OLD: &[u8] = b"the image installed before the update\n";

fn w(p: &Path, bytes: impl AsRef<[u8]>) {
    std::fs::write(p, bytes).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
}

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// A directory every user can read (tempdirs are 0700), holding a policy,
/// the example device state and an installed image.
struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        chmod(dir.path(), 0o755);
        let env = Env { dir };
        w(&env.p("policy.toml"), policy("hostile-test", "", ""));
        std::fs::copy(
            root().join("examples/data/device-state.json"),
            env.p("state.json"),
        )
        .unwrap();
        w(&env.p("dest.bin"), OLD);
        // Beside the rest, for tests run as `nobody`, who may not be able to
        // reach the checkout.
        std::fs::copy(release_250(), env.p("release-2.5.0.cbor")).unwrap();
        env
    }

    fn p(&self, n: &str) -> PathBuf {
        self.dir.path().join(n)
    }

    /// `gate` arguments; `image` and `bundle` as given, the rest from the env.
    fn gate_args(&self, image: &str, install: Option<&Path>, bundle: &Path) -> Vec<String> {
        let mut a = vec![
            "gate".to_string(),
            "--policy".into(),
            s(&self.p("policy.toml")),
            "--state".into(),
            s(&self.p("state.json")),
            "--image".into(),
            image.into(),
            "--at".into(),
            AT.into(),
            "--format".into(),
            "json".into(),
        ];
        if let Some(d) = install {
            a.extend(["--install".to_string(), s(d)]);
        }
        a.push(s(bundle));
        a
    }

    fn leftovers(&self) -> Vec<String> {
        std::fs::read_dir(self.dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".hwprov-"))
            .collect()
    }
}

/// The example release of bmc 2.5.0 for AX-5000 U1 (svn 8).
fn release_250() -> PathBuf {
    root().join("examples/data/release-bmc-2.5.0.cbor")
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", stdout(o), stderr(o)))
}

fn rules(v: &serde_json::Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

/// Runs `cmd` to completion, sampling the child's peak resident set
/// (`VmHWM`) from /proc while it runs. Returns its output and the largest
/// peak seen, in KiB. A child still running after `WATCHDOG` is killed and
/// the test fails: hostile input must not make hwprov hang or go
/// quadratic (what these cases cost is measured by `benches/hostile.sh`).
fn run_sampling_rss(cmd: Command) -> (Output, u64) {
    run_guarded(cmd, WATCHDOG)
}

/// Far above what any case here needs (each takes well under 2 s on 2
/// cores), far below what the quadratic behaviour they guard against took
/// (35 s to hours).
const WATCHDOG: std::time::Duration = std::time::Duration::from_secs(30);

fn run_guarded(mut cmd: Command, limit: std::time::Duration) -> (Output, u64) {
    let started = std::time::Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status_path = format!("/proc/{}/status", child.id());
    // Drain the pipes on threads so the child never blocks on a full pipe.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut out, &mut v).unwrap();
        v
    });
    let t_err = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut err, &mut v).unwrap();
        v
    });
    let mut peak = 0u64;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_path)
            && let Some(kb) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak = peak.max(kb);
        }
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running after {limit:?}: killed");
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    };
    let o = Output {
        status,
        stdout: t_out.join().unwrap(),
        stderr: t_err.join().unwrap(),
    };
    (o, peak)
}

#[test]
fn a_100_mib_image_is_gated_and_installed_in_bounded_memory() {
    let env = Env::new();
    let len = 100 << 20;
    let img = image("bmc", "3.0.0", len);
    w(&env.p("big.bin"), &img);
    let rel = release(
        "aurora-networks",
        "aurora-networks",
        "AX-5000",
        "U1",
        "bmc",
        "3.0.0",
        9,
        &img,
    );
    w(
        &env.p("big.cbor"),
        hwprov::wire::bundle::encode(&[sign_by(&rel)]),
    );
    let digest = hwprov::Sha256::of(&img);
    drop(img);

    let mut cmd = bin();
    cmd.args(env.gate_args(
        &s(&env.p("big.bin")),
        Some(&env.p("dest.bin")),
        &env.p("big.cbor"),
    ));
    let (o, peak_kib) = run_sampling_rss(cmd);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let v = json(&o);
    assert_eq!(v["gate"]["decision"], "accept");
    assert_eq!(v["gate"]["image"]["size"], len as u64);
    assert_eq!(
        hwprov::Sha256::of(&std::fs::read(env.p("dest.bin")).unwrap()),
        digest
    );
    // SECURITY.md and the README promise one 1 MiB buffer whatever the image
    // size; 32 MiB is the bound (the process itself takes ~4 MiB).
    assert!(peak_kib > 0, "no RSS sample was taken");
    assert!(
        peak_kib < 32 * 1024,
        "peak RSS {peak_kib} KiB for a 100 MiB image"
    );
    assert!(env.leftovers().is_empty(), "{:?}", env.leftovers());
}

#[test]
fn a_100_mib_image_for_a_small_release_is_refused_after_reading_one_byte_too_many() {
    let env = Env::new();
    // Sparse: 100 MiB of zeros costs no disk.
    let f = std::fs::File::create(env.p("big.bin")).unwrap();
    f.set_len(100 << 20).unwrap();
    drop(f);
    let before = std::fs::read(env.p("state.json")).unwrap();
    let o = bin()
        .args(env.gate_args(
            &s(&env.p("big.bin")),
            Some(&env.p("dest.bin")),
            &release_250(),
        ))
        .output()
        .unwrap();
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    let v = json(&o);
    assert_eq!(rules(&v), ["firmware.image"]);
    let declared = std::fs::metadata(root().join("examples/data/firmware/bmc-2.5.0.bin"))
        .unwrap()
        .len();
    assert_eq!(v["gate"]["image"]["size"], declared + 1);
    let msg = v["findings"][0]["message"].as_str().unwrap();
    assert!(
        msg.contains(&format!("longer than the release's {declared} bytes")),
        "{msg}"
    );
    assert_eq!(std::fs::read(env.p("dest.bin")).unwrap(), OLD);
    assert_eq!(std::fs::read(env.p("state.json")).unwrap(), before);
    assert!(env.leftovers().is_empty(), "{:?}", env.leftovers());
}

#[test]
fn an_endless_image_is_refused_not_read_forever() {
    let env = Env::new();
    let before = std::fs::read(env.p("state.json")).unwrap();
    // /dev/zero as the image file, with an install destination.
    let (o, peak_kib) = {
        let mut cmd = bin();
        cmd.args(env.gate_args("/dev/zero", Some(&env.p("dest.bin")), &release_250()));
        run_sampling_rss(cmd)
    };
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    assert_eq!(rules(&json(&o)), ["firmware.image"]);
    assert!(peak_kib < 32 * 1024, "peak RSS {peak_kib} KiB");
    // An endless pipe on standard input.
    let o = bin()
        .args(env.gate_args("-", Some(&env.p("dest.bin")), &release_250()))
        .stdin(std::fs::File::open("/dev/zero").unwrap())
        .output()
        .unwrap();
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    assert_eq!(rules(&json(&o)), ["firmware.image"]);
    assert_eq!(std::fs::read(env.p("dest.bin")).unwrap(), OLD);
    assert_eq!(std::fs::read(env.p("state.json")).unwrap(), before);
    assert!(env.leftovers().is_empty(), "{:?}", env.leftovers());
}

/// Whether this process runs as root (which ignores file permissions).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|v| v.split_whitespace().nth(1).map(|e| e == "0"))
        })
        .unwrap_or(false)
}

/// The binary as a user that file permissions apply to: `nobody` (via
/// util-linux `setpriv`) when the tests run as root, as CI does. The binary
/// is copied into the environment's world-readable directory first, since
/// the checkout may sit where `nobody` cannot reach (e.g. under /root).
fn unprivileged(env: &Env) -> Command {
    if is_root() {
        let copy = env.p("bin/hwprov");
        if !copy.exists() {
            std::fs::create_dir_all(env.p("bin")).unwrap();
            chmod(&env.p("bin"), 0o755);
            std::fs::copy(env!("CARGO_BIN_EXE_hwprov"), &copy).unwrap();
            chmod(&copy, 0o755);
        }
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"]);
        c.arg(copy);
        c
    } else {
        bin()
    }
}

/// Fails clearly when the unprivileged user cannot run the binary at all.
fn check_unprivileged_runs(env: &Env) {
    let o = unprivileged(env)
        .arg("--version")
        .output()
        .expect("setpriv (util-linux) is needed to run as an unprivileged user");
    assert!(
        o.status.success(),
        "cannot run hwprov as an unprivileged user: {}",
        stderr(&o)
    );
}

#[test]
fn unreadable_inputs_are_input_errors_naming_the_file() {
    let env = Env::new();
    check_unprivileged_runs(&env);
    let bundle = env.p("device.cbor");
    std::fs::copy(root().join("examples/data/device-clean.cbor"), &bundle).unwrap();
    let verify = |bundle: &Path, policy: &Path| {
        unprivileged(&env)
            .args(["verify", "--policy", &s(policy), "--at", AT, &s(bundle)])
            .output()
            .unwrap()
    };
    // Readable: the unprivileged user gets the normal verdict.
    let o = verify(&bundle, &env.p("policy.toml"));
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    // An unreadable bundle.
    chmod(&bundle, 0o000);
    let o = verify(&bundle, &env.p("policy.toml"));
    assert_eq!(code(&o), 2, "{}", stdout(&o));
    assert!(
        stderr(&o).contains(&s(&bundle)) && stderr(&o).contains("Permission denied"),
        "{}",
        stderr(&o)
    );
    chmod(&bundle, 0o644);
    // An unreadable policy.
    chmod(&env.p("policy.toml"), 0o000);
    let o = verify(&bundle, &env.p("policy.toml"));
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains(&s(&env.p("policy.toml"))) && stderr(&o).contains("Permission denied"),
        "{}",
        stderr(&o)
    );
    chmod(&env.p("policy.toml"), 0o644);

    // gate: an unreadable image, and an unreadable state, change nothing.
    let img = env.p("new.bin");
    std::fs::copy(root().join("examples/data/firmware/bmc-2.5.0.bin"), &img).unwrap();
    chmod(&env.p("dest.bin"), 0o666);
    chmod(&env.p("state.json"), 0o666);
    let before = std::fs::read(env.p("state.json")).unwrap();
    let gate = || {
        unprivileged(&env)
            .args(env.gate_args(
                &s(&img),
                Some(&env.p("dest.bin")),
                &env.p("release-2.5.0.cbor"),
            ))
            .output()
            .unwrap()
    };
    chmod(&img, 0o000);
    let o = gate();
    assert_eq!(code(&o), 2, "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains(&s(&img)), "{}", stderr(&o));
    chmod(&img, 0o644);
    chmod(&env.p("state.json"), 0o000);
    let o = gate();
    assert_eq!(code(&o), 2, "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("state.json"), "{}", stderr(&o));
    chmod(&env.p("state.json"), 0o666);
    assert_eq!(std::fs::read(env.p("dest.bin")).unwrap(), OLD);
    assert_eq!(std::fs::read(env.p("state.json")).unwrap(), before);
}

#[test]
fn unwritable_destinations_change_nothing() {
    let env = Env::new();
    check_unprivileged_runs(&env);
    let img = env.p("new.bin");
    std::fs::copy(root().join("examples/data/firmware/bmc-2.5.0.bin"), &img).unwrap();
    // The install directory is not writable by the user: staging fails
    // before anything is read into place, and the error names --install.
    let ro = env.p("ro");
    std::fs::create_dir(&ro).unwrap();
    w(&ro.join("dest.bin"), OLD);
    chmod(&ro.join("dest.bin"), 0o666);
    chmod(&ro, 0o555);
    chmod(&env.p("state.json"), 0o666);
    let before = std::fs::read(env.p("state.json")).unwrap();
    let o = unprivileged(&env)
        .args(env.gate_args(
            &s(&img),
            Some(&ro.join("dest.bin")),
            &env.p("release-2.5.0.cbor"),
        ))
        .output()
        .unwrap();
    assert_eq!(code(&o), 2, "{}{}", stdout(&o), stderr(&o));
    assert!(
        stderr(&o).contains("--install") && stderr(&o).contains("Permission denied"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read(ro.join("dest.bin")).unwrap(), OLD);
    assert_eq!(std::fs::read(env.p("state.json")).unwrap(), before);

    // An accepted image whose state file cannot be replaced (its directory
    // is read-only): the new state is prepared before the image is renamed
    // into place, so neither changes.
    let sdir = env.p("statedir");
    std::fs::create_dir(&sdir).unwrap();
    std::fs::copy(env.p("state.json"), sdir.join("state.json")).unwrap();
    chmod(&sdir.join("state.json"), 0o666);
    chmod(&sdir, 0o555);
    chmod(&env.p("dest.bin"), 0o666);
    chmod(env.dir.path(), 0o777); // the install directory is writable
    let mut args = env.gate_args(
        &s(&img),
        Some(&env.p("dest.bin")),
        &env.p("release-2.5.0.cbor"),
    );
    let i = args.iter().position(|a| a == "--state").unwrap();
    args[i + 1] = s(&sdir.join("state.json"));
    let o = unprivileged(&env).args(&args).output().unwrap();
    chmod(env.dir.path(), 0o755);
    assert_eq!(code(&o), 2, "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("state.json"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(env.p("dest.bin")).unwrap(),
        OLD,
        "the image was installed though the state could not be updated"
    );
    assert_eq!(std::fs::read(sdir.join("state.json")).unwrap(), before);
    assert!(env.leftovers().is_empty(), "{:?}", env.leftovers());
    // So that the temporary directory can be removed by a non-root user.
    chmod(&ro, 0o755);
    chmod(&sdir, 0o755);
}

#[test]
fn unreadable_units_and_directories_in_a_shipment() {
    let env = Env::new();
    check_unprivileged_runs(&env);
    let ship = env.p("ship");
    std::fs::create_dir(&ship).unwrap();
    chmod(&ship, 0o755);
    for (n, serial) in [("a.cbor", "AX5-810001"), ("c.cbor", "AX5-810003")] {
        w(&ship.join(n), Unit::new(serial).bundle());
    }
    w(&ship.join("b.cbor"), Unit::new("AX5-810002").bundle());
    chmod(&ship.join("b.cbor"), 0o000);
    let vet = || {
        unprivileged(&env)
            .args([
                "vet",
                "--policy",
                &s(&env.p("policy.toml")),
                "--at",
                AT,
                "--format",
                "json",
                &s(&ship),
            ])
            .output()
            .unwrap()
    };
    let o = vet();
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary = lines.last().unwrap();
    assert_eq!(summary["counts"]["pass"], 2, "{summary}");
    assert_eq!(summary["counts"]["error"], 1, "{summary}");
    let err = lines.iter().find(|l| l["verdict"] == "error").unwrap();
    assert!(err["unit"].as_str().unwrap().ends_with("b.cbor"));
    assert!(
        err["error"].as_str().unwrap().contains("Permission denied"),
        "{err}"
    );
    // A subdirectory that cannot be listed would silently drop its units,
    // so the whole run is an input error naming it.
    let sub = ship.join("batch2");
    std::fs::create_dir(&sub).unwrap();
    w(&sub.join("d.cbor"), Unit::new("AX5-810004").bundle());
    chmod(&sub, 0o000);
    let o = vet();
    chmod(&sub, 0o755);
    assert_eq!(code(&o), 2, "{}{}", stdout(&o), stderr(&o));
    assert!(
        stderr(&o).contains(&s(&sub)) && stderr(&o).contains("Permission denied"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn symbolic_links_pipes_and_devices_among_a_shipment() {
    let env = Env::new();
    let ship = env.p("ship");
    std::fs::create_dir(&ship).unwrap();
    w(&ship.join("a.cbor"), Unit::new("AX5-820001").bundle());
    // A unit that is a link to a bundle elsewhere is verified like a file.
    w(&env.p("elsewhere.cbor"), Unit::new("AX5-820002").bundle());
    symlink(env.p("elsewhere.cbor"), ship.join("b.cbor")).unwrap();
    // A link to itself, a link to an endless device, and a named pipe with
    // no writer: each an error for that unit, none hangs or reads forever.
    symlink(ship.join("loop.cbor"), ship.join("loop.cbor")).unwrap();
    symlink("/dev/zero", ship.join("zero.cbor")).unwrap();
    let st = Command::new("mkfifo")
        .arg(ship.join("fifo.cbor"))
        .status()
        .unwrap();
    assert!(st.success());
    let vet = |paths: &[&Path]| {
        let mut c = bin();
        c.args([
            "vet",
            "--policy",
            &s(&env.p("policy.toml")),
            "--at",
            AT,
            "--format",
            "json",
        ]);
        c.args(paths);
        c.output().unwrap()
    };
    let o = vet(&[&ship]);
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary = lines.last().unwrap();
    assert_eq!(summary["counts"]["pass"], 2, "{summary}");
    assert_eq!(summary["counts"]["error"], 3, "{summary}");
    let error_of = |name: &str| {
        lines
            .iter()
            .find(|l| l["unit"].as_str().is_some_and(|u| u.ends_with(name)))
            .and_then(|l| l["error"].as_str())
            .unwrap_or_else(|| panic!("no error line for {name}"))
            .to_string()
    };
    assert!(
        error_of("loop.cbor").contains("symbolic links"),
        "{}",
        error_of("loop.cbor")
    );
    assert!(error_of("zero.cbor").contains("not a regular file"));
    assert!(error_of("fifo.cbor").contains("not a regular file"));

    // A link to a directory is neither followed nor silently skipped.
    std::fs::create_dir(env.p("more")).unwrap();
    w(&env.p("more/c.cbor"), Unit::new("AX5-820003").bundle());
    std::fs::remove_file(ship.join("zero.cbor")).unwrap();
    std::fs::remove_file(ship.join("fifo.cbor")).unwrap();
    std::fs::remove_file(ship.join("loop.cbor")).unwrap();
    symlink(env.p("more"), ship.join("more")).unwrap();
    let o = vet(&[&ship]);
    assert_eq!(code(&o), 2, "{}{}", stdout(&o), stderr(&o));
    assert!(
        stderr(&o).contains(&s(&ship.join("more"))) && stderr(&o).contains("does not follow"),
        "{}",
        stderr(&o)
    );
    // Given as a path of its own, it is vetted.
    std::fs::remove_file(ship.join("more")).unwrap();
    let o = vet(&[&ship, &env.p("more")]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));

    // verify through a link gives the same report as the file.
    let direct = run(&[
        "verify",
        "--policy",
        &s(&env.p("policy.toml")),
        "--at",
        AT,
        "--format",
        "json",
        &s(&env.p("elsewhere.cbor")),
    ]);
    let linked = run(&[
        "verify",
        "--policy",
        &s(&env.p("policy.toml")),
        "--at",
        AT,
        "--format",
        "json",
        &s(&ship.join("b.cbor")),
    ]);
    assert_eq!(code(&direct), 0);
    assert_eq!(direct.stdout, linked.stdout);
}

#[test]
fn install_and_state_through_symbolic_links_keep_the_links() {
    let env = Env::new();
    let img = env.p("new.bin");
    std::fs::copy(root().join("examples/data/firmware/bmc-2.5.0.bin"), &img).unwrap();
    // The install destination and the state file are links (as on a device
    // whose current image and state live in versioned places).
    std::fs::rename(env.p("dest.bin"), env.p("slot-a.bin")).unwrap();
    symlink("slot-a.bin", env.p("dest.bin")).unwrap();
    std::fs::rename(env.p("state.json"), env.p("state-real.json")).unwrap();
    symlink("state-real.json", env.p("state.json")).unwrap();
    // A dangling install link is an error that changes nothing.
    symlink("missing.bin", env.p("dangling.bin")).unwrap();
    let before = std::fs::read(env.p("state-real.json")).unwrap();
    let o = bin()
        .args(env.gate_args(&s(&img), Some(&env.p("dangling.bin")), &release_250()))
        .output()
        .unwrap();
    assert_eq!(code(&o), 2, "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("dangling.bin"), "{}", stderr(&o));
    assert_eq!(std::fs::read(env.p("state-real.json")).unwrap(), before);

    let o = bin()
        .args(env.gate_args(&s(&img), Some(&env.p("dest.bin")), &release_250()))
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    for (link, target) in [
        ("dest.bin", "slot-a.bin"),
        ("state.json", "state-real.json"),
    ] {
        let m = std::fs::symlink_metadata(env.p(link)).unwrap();
        assert!(m.file_type().is_symlink(), "{link} is no longer a link");
        assert_eq!(std::fs::read_link(env.p(link)).unwrap(), Path::new(target));
    }
    assert_eq!(
        std::fs::read(env.p("slot-a.bin")).unwrap(),
        std::fs::read(&img).unwrap()
    );
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(env.p("state-real.json")).unwrap()).unwrap();
    assert_eq!(state["installed"]["U1"]["version"], "2.5.0");
    assert!(env.leftovers().is_empty(), "{:?}", env.leftovers());
}

#[test]
fn thousands_of_components_citing_one_long_chain_stay_linear() {
    let env = Env::new();
    // 12,000 components (a 0.9 MiB device statement) each citing the head
    // of a 9,995-statement chain (the bundle holds the 10,000 maximum): 120
    // million steps for a per-component walk (36 s here before
    // the walk was made linear), one pass now.
    let (components, chain) = (12_000, 9_995);
    w(
        &env.p("dag.cbor"),
        hostile::provenance_dag(components, chain),
    );
    let mut cmd = bin();
    cmd.args([
        "verify",
        "--policy",
        &s(&env.p("policy.toml")),
        "--at",
        AT,
        "--format",
        "json",
        &s(&env.p("dag.cbor")),
    ]);
    let (o, peak_kib) = run_sampling_rss(cmd);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let v = json(&o);
    let r = rules(&v);
    assert_eq!(
        r.len(),
        2 * components,
        "design and fab missing per component"
    );
    assert!(r.iter().all(|x| x == "provenance.incomplete"));
    assert_eq!(
        v["statements"].as_array().unwrap().len(),
        chain + 5,
        "device, design, fab, atp, release and the chain"
    );
    assert!(peak_kib < 256 * 1024, "peak RSS {peak_kib} KiB");
}

#[test]
fn four_mib_policies_load_in_bounded_time_and_memory() {
    let env = Env::new();
    let check = |name: &str, text: &str| {
        let path = env.p(name);
        w(&path, text);
        let mut cmd = bin();
        cmd.args(["policy", "check", &s(&path), "--at", AT]);
        let (o, peak_kib) = run_sampling_rss(cmd);
        assert!(peak_kib < 512 * 1024, "{name}: peak RSS {peak_kib} KiB");
        o
    };
    // 32,000 waivers (each needing its line number: 21 s for 40,000 here
    // when that rescanned the file from the start, 0.15 s now).
    let text = hostile::policy_of_waivers();
    let n = text.matches("[[waivers]]").count();
    assert!(n > 30_000, "{n}");
    let o = check("waivers.toml", &text);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stdout(&o).contains(&format!("waivers: {n}\n")),
        "{}",
        &stdout(&o)[..500]
    );
    // 60,000 entities in one ownership chain: refused at the 33rd parent
    // (an unbounded walk stored a chain per entity: quadratic memory).
    let o = check("chain.toml", &hostile::policy_of_one_long_chain());
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("more than 32 parents"),
        "{}",
        stderr(&o)
    );
    // Entities 32 deep, chain after chain, all the way to 4 MiB: valid.
    let o = check("deep.toml", &hostile::policy_of_deep_chains());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

/// A log in the environment holding one verify decision.
fn log_of_one_decision(env: &Env) -> PathBuf {
    let log = env.p("log");
    let key = env.p("log.pem");
    assert_eq!(code(&run(&["key", "generate", "--out", &s(&key)])), 0);
    let o = run(&[
        "log",
        "init",
        &s(&log),
        "--key",
        &s(&key),
        "--origin",
        "hostile.example/log",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = run(&[
        "verify",
        "--policy",
        &s(&env.p("policy.toml")),
        "--at",
        AT,
        "--log",
        &s(&log),
        &s(&root().join("examples/data/device-clean.cbor")),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    log
}

#[test]
fn log_files_replaced_by_huge_ones_are_reported_without_being_read() {
    let env = Env::new();
    let log = log_of_one_decision(&env);
    assert_eq!(code(&run(&["log", "verify", &s(&log)])), 0);
    // Sparse 1 GiB files: reading any of them whole would show in the RSS.
    let grow = |p: &Path| {
        let f = std::fs::OpenOptions::new().write(true).open(p).unwrap();
        f.set_len(1 << 30).unwrap();
    };
    let check = |want: &str| {
        for cmd in [&["log", "verify"][..], &["replay"][..]] {
            let mut c = bin();
            c.args(cmd).arg(&log);
            let (o, peak_kib) = run_sampling_rss(c);
            assert_eq!(code(&o), 1, "{cmd:?}: {}{}", stdout(&o), stderr(&o));
            assert!(stdout(&o).contains(want), "{cmd:?}: {}", stdout(&o));
            assert!(peak_kib < 32 * 1024, "{cmd:?}: peak RSS {peak_kib} KiB");
        }
    };
    let obj = std::fs::read_dir(log.join("objects"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let saved = std::fs::read(&obj).unwrap();
    grow(&obj);
    check("damaged or replaced");
    std::fs::write(&obj, &saved).unwrap();
    for name in ["index", "hashes"] {
        let p = log.join(name);
        let saved = std::fs::read(&p).unwrap();
        grow(&p);
        check(&format!(
            "the {}",
            if name == "index" {
                "index"
            } else {
                "stored hashes"
            }
        ));
        std::fs::write(&p, &saved).unwrap();
    }
    let cp = log.join("checkpoint");
    let saved = std::fs::read(&cp).unwrap();
    grow(&cp);
    check("damaged or replaced");
    std::fs::write(&cp, &saved).unwrap();
    assert_eq!(code(&run(&["log", "verify", &s(&log)])), 0, "restored");
}

/// Review finding: `log verify`, `replay` and `--repair` read `entries`
/// whole (a sparse 6 GiB file took 6.3 GB of memory). They stream it.
#[test]
fn attack_a_6_gib_entries_file_is_streamed_not_loaded() {
    let env = Env::new();
    let log = log_of_one_decision(&env);
    let entries = log.join("entries");
    let len = std::fs::metadata(&entries).unwrap().len();
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&entries)
        .unwrap();
    f.set_len(6 << 30).unwrap();
    for cmd in [&["log", "verify"][..], &["replay"][..]] {
        let mut c = bin();
        c.args(cmd).arg(&log);
        let (o, peak_kib) = run_sampling_rss(c);
        assert_eq!(code(&o), 1, "{cmd:?}: {}{}", stdout(&o), stderr(&o));
        assert!(stdout(&o).contains("torn tail"), "{cmd:?}: {}", stdout(&o));
        assert!(peak_kib < 32 * 1024, "{cmd:?}: peak RSS {peak_kib} KiB");
    }
    let mut c = bin();
    c.args(["log", "verify", "--repair"]).arg(&log);
    let (o, peak_kib) = run_sampling_rss(c);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(peak_kib < 32 * 1024, "repair: peak RSS {peak_kib} KiB");
    assert_eq!(std::fs::metadata(&entries).unwrap().len(), len);
}

#[test]
fn deeply_nested_toml_and_json_are_input_errors_not_stack_overflows() {
    let env = Env::new();
    let n = 500_000;
    let deep_toml = format!(
        "[policy]\nname = \"x\"\nversion = \"1\"\nx = {}{}\n",
        "[".repeat(n),
        "]".repeat(n)
    );
    w(&env.p("deep.toml"), deep_toml);
    let o = run(&["policy", "check", &s(&env.p("deep.toml"))]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("deep.toml:4:"), "{}", stderr(&o));
    // A state file and a statement to sign, each nested 400,000 deep.
    w(
        &env.p("deep-state.json"),
        format!("{}{}", "[".repeat(400_000), "]".repeat(400_000)),
    );
    let o = run(&["state", "show", &s(&env.p("deep-state.json"))]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    w(
        &env.p("deep-statement.json"),
        format!(
            "{{\"v\": 1, \"ext\": {}1{}}}",
            "{\"a\": ".repeat(100_000),
            "}".repeat(100_000)
        ),
    );
    let o = run(&[
        "sign",
        "--key",
        &s(&root().join("examples/data/keys/aurora-networks.pem")),
        &s(&env.p("deep-statement.json")),
        "--out",
        &s(&env.p("deep.cose")),
    ]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("recursion limit"), "{}", stderr(&o));
    assert!(!env.p("deep.cose").exists());
}

#[test]
fn a_shipment_of_units_with_24000_findings_each_stays_within_the_vet_window() {
    let env = Env::new();
    // One unit of 12,000 components with nothing but atp provenance: 24,000
    // findings (its report is about 10 MiB), linked 32 times. vet keeps
    // only a window of 8 units per thread in memory (190 MiB; it kept a 512-unit
    // chunk, all 32 here: 430 MiB), and lists 20 reasons per failing unit.
    w(&env.p("wide.cbor"), hostile::provenance_dag(12_000, 50));
    let ship = env.p("ship");
    std::fs::create_dir(&ship).unwrap();
    for i in 0..32 {
        std::fs::hard_link(env.p("wide.cbor"), ship.join(format!("u{i:02}.cbor"))).unwrap();
    }
    let mut cmd = bin();
    cmd.args([
        "vet",
        "--jobs",
        "2",
        "--policy",
        &s(&env.p("policy.toml")),
        "--at",
        AT,
        "--html",
        &s(&env.p("report.html")),
        &s(&ship),
    ]);
    let (o, peak_kib) = run_sampling_rss(cmd);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(
        peak_kib < 320 * 1024,
        "peak RSS {peak_kib} KiB for 32 units of 24,000 findings"
    );
    let html = std::fs::read_to_string(env.p("report.html")).unwrap();
    assert!(
        html.contains("… and 11980 more"),
        "reasons are capped per unit"
    );
}

/// Review finding: the text report printed an unverified statement's
/// issuer raw, so newlines and escape sequences could print a fake
/// "verified ... verdict: PASS" block and hide the real result; vet printed
/// file names raw. Every text output escapes control characters.
#[test]
fn attack_terminal_injection_through_issuer_and_file_names() {
    let env = Env::new();
    let fake = "penang-osat: verified\n\u{1b}[2K\u{1b}[1A\nverdict: PASS (0 deny, 0 warn, 0 info, 0 waived)\n\u{202e}";
    // An atp statement by an unknown key, whose issuer is the payload.
    let bundle = Unit::new("AX5-990001").bundle_with(
        &|st: &hwprov::Statement| {
            let mut s = st.clone();
            s.issuer = fake.into();
            sign(&s, &[&key("penang-osat", 9)])
        },
        &|_| {},
    );
    let evil_name = env.p("unit\u{1b}]0;owned\u{7}\nverdict: PASS.cbor");
    w(&evil_name, &bundle);
    w(&env.p("garbage\u{1b}[31m.cbor"), b"not a bundle");
    let o = run(&[
        "verify",
        "--policy",
        &s(&env.p("policy.toml")),
        "--at",
        AT,
        &s(&evil_name),
    ]);
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    assert!(
        !out.contains('\u{1b}') && !out.contains('\u{202e}'),
        "{out:?}"
    );
    assert!(out.contains("\\u{1b}[2K"), "{out}");
    assert_eq!(
        out.lines().filter(|l| l.starts_with("verdict:")).count(),
        1,
        "exactly one verdict line: {out}"
    );
    assert!(out.lines().any(|l| l.starts_with("verdict: FAIL")), "{out}");
    let mut c = bin();
    c.args(["vet", "--policy", &s(&env.p("policy.toml")), "--at", AT])
        .arg(env.p(""));
    let (o, _) = run_sampling_rss(c);
    let out = stdout(&o);
    assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out:?}");
    assert!(out.contains("garbage\\u{1b}[31m.cbor"), "{out}");
    assert_eq!(
        out.lines().filter(|l| l.starts_with("verdict:")).count(),
        1,
        "{out}"
    );
    // Errors on stderr too.
    let o = run(&[
        "verify",
        "--policy",
        &s(&env.p("policy.toml")),
        "--at",
        AT,
        &s(&env.p("garbage\u{1b}[31m.cbor")),
    ]);
    assert_eq!(code(&o), 2);
    assert!(!stderr(&o).contains('\u{1b}'), "{:?}", stderr(&o));
}

/// The signature-check budget (`Limits::max_signature_checks`) is counted
/// down over the whole bundle: a bundle that needs more checks than the
/// budget is refused before the next check, and one within it is decided.
#[test]
fn attack_signature_checks_are_counted_against_a_budget() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data");
    let policy =
        hwprov::Policy::load(&dir.join("policy.toml"), &hwprov::Limits::DEFAULT).expect("policy");
    let bundle = std::fs::read(dir.join("device-clean.cbor")).expect("bundle");
    let at = hwprov::Timestamp::parse_rfc3339("2026-11-21T00:00:00Z").expect("time");
    // The bundle's statements carry this many signatures by policy keys.
    let needed: u64 = hwprov::wire::bundle::split(&bundle, &hwprov::Limits::DEFAULT)
        .expect("bundle")
        .iter()
        .filter_map(|p| hwprov::wire::envelope::Envelope::decode(p, 16).ok())
        .map(|env| {
            env.signatures
                .iter()
                .filter(|s| policy.keys.contains_key(&s.kid))
                .count() as u64
        })
        .sum();
    assert!(
        needed >= 2,
        "every statement is signed by a policy key: {needed}"
    );
    let with = |n: u64| hwprov::Limits {
        max_signature_checks: n,
        ..hwprov::Limits::DEFAULT
    };
    let enough = hwprov::verify_bundle(&policy, &bundle, at, &with(needed));
    assert!(enough.is_ok(), "{enough:?}");
    let short = hwprov::verify_bundle(&policy, &bundle, at, &with(needed - 1));
    assert_eq!(
        short.err(),
        Some(hwprov::BundleError::WorkBudget {
            signature_checks: needed - 1
        })
    );
    // The default covers the largest bundle SPEC 4 allows.
    assert_eq!(
        hwprov::Limits::DEFAULT.max_signature_checks,
        (hwprov::Limits::DEFAULT.max_statements * hwprov::Limits::DEFAULT.max_signatures) as u64
    );
}
