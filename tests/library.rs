//! Everything the tool does, done through the library alone (no binary):
//! a program embedding hwprov gates an update, records decisions in a log,
//! vets a shipment and replays the log with the same calls the command line
//! makes.

use hwprov::audit::log::Log;
use hwprov::audit::replay::{self, Event, Range};
use hwprov::report::entry::{Command, Entry, Input};
use hwprov::run::{Gate, GateError};
use hwprov::wire::state::State;
use hwprov::{Limits, Policy, SecretKey, Sha256, Timestamp, Verdict};
use std::path::{Path, PathBuf};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/data")
        .join(name)
}

fn at() -> Timestamp {
    Timestamp::parse_rfc3339("2026-11-21T00:00:00Z").expect("time")
}

#[test]
fn the_library_alone_gates_records_vets_and_replays() {
    let limits = Limits::DEFAULT;
    let tmp = tempfile::tempdir().expect("tempdir");
    let policy = Policy::load(&data("policy.toml"), &limits).expect("policy");
    let log = Log::init(
        &tmp.path().join("log"),
        &SecretKey::from_seed(&[3; 32]),
        "example.com/library-test",
    )
    .expect("log");
    let state = tmp.path().join("state.json");
    std::fs::copy(data("device-state.json"), &state).expect("state");
    let installed = tmp.path().join("bmc.bin");

    // An upgrade (svn 7 -> 8): accepted, installed, state updated, recorded.
    let upgrade = Gate {
        policy: &policy,
        state: &state,
        bundle: &data("release-bmc-2.5.0.cbor"),
        image: &data("firmware/bmc-2.5.0.bin"),
        install: Some(&installed),
        at: at(),
        deny_warnings: false,
        log: Some(&log),
    }
    .run(&limits)
    .expect("gate runs");
    assert!(upgrade.accepted, "{:?}", upgrade.report.report.findings);
    assert_eq!(upgrade.report.gate.decision, "accept");
    assert!(upgrade.report.gate.state_updated);
    let image = std::fs::read(data("firmware/bmc-2.5.0.bin")).expect("image");
    assert_eq!(std::fs::read(&installed).expect("installed"), image);
    let now = State::load(&state, &limits).expect("state");
    assert_eq!(now.installed["U1"].svn, 8);

    // A rollback to 2.3.0: refused, recorded, nothing touched.
    let rollback = Gate {
        bundle: &data("release-bmc-2.3.0.cbor"),
        image: &data("firmware/bmc-2.3.0.bin"),
        ..upgrade_request(&policy, &state, &installed, &log)
    }
    .run(&limits)
    .expect("gate runs");
    assert!(!rollback.accepted);
    assert!(
        rollback
            .report
            .report
            .findings
            .iter()
            .any(|f| f.rule.as_str() == "firmware.rollback")
    );
    assert_eq!(std::fs::read(&installed).expect("installed"), image);
    assert_eq!(State::load(&state, &limits).expect("state"), now);

    // A usage error is a typed error, and nothing is recorded for it.
    let err = Gate {
        state: Path::new("-"),
        ..upgrade_request(&policy, &state, &installed, &log)
    }
    .run(&limits)
    .expect_err("standard input is not a state file");
    assert!(matches!(err, GateError::StateIsStdin), "{err}");

    // verify and vet, recorded.
    let report = hwprov::run::verify_file(
        &policy,
        &data("device-high-risk-atp.cbor"),
        at(),
        Some(&log),
        &limits,
    )
    .expect("verify");
    assert_eq!(report.verdict, Verdict::Fail);
    let shipment = hwprov::decide::vet::collect(&[data("shipment")]).expect("shipment");
    let mut seen = 0;
    let vetted = hwprov::run::vet(&policy, &shipment, at(), 2, Some(&log), &limits, |_| {
        seen += 1
    })
    .expect("vet");
    assert_eq!(seen, shipment.units.len());
    let logged = vetted.logged.expect("recorded");
    // One entry per unit, then the shipment decision.
    assert_eq!(logged.end - logged.start, shipment.units.len() as u64 + 1);

    // The log holds every decision, typed.
    assert_eq!(log.size().expect("size"), logged.end);
    let first = Entry::decode(&log.entry_bytes(0).expect("entry")).expect("decodes");
    assert_eq!(first.command, Command::Gate);
    assert_eq!(first.verdict, "pass");
    assert_eq!(first.input(&Input::Image), Some(Sha256::of(&image)));
    assert_eq!(
        log.object(&first.input(&Input::Policy).expect("policy recorded"))
            .expect("stored"),
        std::fs::read(data("policy.toml")).expect("policy")
    );

    // Replay: every decision is the same again.
    let mut replayed = Vec::new();
    let summary = replay::replay(&log, Range::default(), &limits, |e| {
        if let Event::Entry {
            index, different, ..
        } = e
        {
            replayed.push((index, different.map(str::to_owned)));
        }
    })
    .expect("replay");
    assert!(summary.all_same(), "{replayed:?}");
    assert_eq!(summary.replayed, logged.end);
    assert!(replayed.iter().all(|(_, d)| d.is_none()));

    // The regulator's report of the logged inventory, through the library:
    // the shipment decision rebuilt from the log gives vet's summary.
    let mut rebuilt = Vec::new();
    let r = hwprov::audit::report::build(
        &log,
        hwprov::audit::report::Window::default(),
        &limits,
        |i, _| rebuilt.push(i),
    )
    .expect("report");
    assert_eq!(rebuilt, [logged.end - 1]);
    assert_eq!(r.inventories.len(), 1);
    let inv = &r.inventories[0];
    assert_eq!(inv.units, vetted.summary.units);
    assert_eq!(inv.verdict, vetted.summary.verdict);
    assert_eq!(
        serde_json::to_value(&inv.classes).expect("json"),
        serde_json::to_value(&vetted.summary.classes).expect("json")
    );

    // A range that names no entry is a typed error.
    let past = replay::replay(
        &log,
        Range {
            from: Some(logged.end),
            to: None,
        },
        &limits,
        |_| {},
    );
    assert!(matches!(
        past,
        Err(replay::ReplayError::FromOutOfRange { .. })
    ));
}

fn upgrade_request<'a>(
    policy: &'a Policy,
    state: &'a Path,
    installed: &'a Path,
    log: &'a Log,
) -> Gate<'a> {
    Gate {
        policy,
        state,
        bundle: Path::new("unused"),
        image: Path::new("unused"),
        install: Some(installed),
        at: at(),
        deny_warnings: false,
        log: Some(log),
    }
}

/// A replay notices a decision that no longer holds: here the stored
/// policy object is replaced, so the re-run sees another policy.
#[test]
fn replay_through_the_library_reports_a_changed_decision() {
    let limits = Limits::DEFAULT;
    let tmp = tempfile::tempdir().expect("tempdir");
    let policy = Policy::load(&data("policy.toml"), &limits).expect("policy");
    let dir = tmp.path().join("log");
    let log = Log::init(&dir, &SecretKey::from_seed(&[4; 32]), "example.com/t").expect("log");
    hwprov::run::verify_file(
        &policy,
        &data("device-clean.cbor"),
        at(),
        Some(&log),
        &limits,
    )
    .expect("verify");
    let entry = Entry::decode(&log.entry_bytes(0).expect("entry")).expect("entry");
    let bundle = entry.input(&Input::Bundle).expect("bundle recorded");
    // Damage the stored bundle: the replay cannot reproduce the decision.
    std::fs::write(dir.join("objects").join(bundle.hex()), b"not the bundle").expect("write");
    let mut why = None;
    let summary = replay::replay(&log, Range::default(), &limits, |e| {
        if let Event::Entry {
            different: Some(d), ..
        } = e
        {
            why = Some(d.to_owned());
        }
    })
    .expect("replay");
    assert!(!summary.all_same());
    assert_eq!(summary.different, 1);
    assert!(why.is_some());
}

/// The deployment file is an input of the decision (SPEC 6.3): it is stored
/// with the entry, the replay judges the unit under the stored file, and a
/// different stored file changes the replayed decision.
#[test]
fn the_deployment_file_is_logged_and_replayed() {
    use hwprov::policy::deployment::Deployment;
    let limits = Limits::DEFAULT;
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("test-vectors/class-override-periphery");
    let policy = Policy::load(&case.join("policy.toml"), &limits).expect("policy");
    let deployment =
        Deployment::load(&case.join("deployment.csv"), &policy, &limits).expect("deployment");
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("log");
    let log = Log::init(&dir, &SecretKey::from_seed(&[5; 32]), "example.com/d").expect("log");
    let report = hwprov::run::Verify {
        policy: &policy,
        deployment: Some(&deployment),
        bundle: &case.join("bundle.cbor"),
        at: at(),
        log: Some(&log),
    }
    .run(&limits)
    .expect("verify");
    // The periphery class's levels: warn, not fail.
    assert_eq!(report.verdict, Verdict::Warn);
    let entry = Entry::decode(&log.entry_bytes(0).expect("entry")).expect("entry");
    let stored = entry
        .input(&Input::Deployment)
        .expect("the deployment file is recorded");
    assert_eq!(
        log.object(&stored).expect("stored"),
        std::fs::read(case.join("deployment.csv")).expect("file")
    );
    let same = replay::replay(&log, Range::default(), &limits, |_| {}).expect("replay");
    assert!(same.all_same());
    // Another deployment file put in place of the stored one: the replay
    // refuses it (objects are content-addressed), so the decision cannot be
    // replayed under facts other than those it was made under.
    std::fs::write(
        dir.join("objects").join(stored.hex()),
        "vendor,model,serial,class\n",
    )
    .expect("write");
    let mut why = String::new();
    let changed = replay::replay(&log, Range::default(), &limits, |e| {
        if let Event::Entry {
            different: Some(d), ..
        } = e
        {
            why = d.to_owned();
        }
    })
    .expect("replay");
    assert_eq!(changed.different, 1);
    assert!(why.contains("altered object"), "{why}");
}
