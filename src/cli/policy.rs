//! `hwprov policy check|test` and `hwprov state init|show`.

use super::{Fatal, out, outln, parse_at, usage};
use clap::Subcommand;
use hwprov::text::{Escaped, escape, escape_lines};
use hwprov::wire::state::{DeviceId, InstalledImage, State};
use hwprov::{Limits, Policy};
use std::path::PathBuf;

#[derive(Subcommand)]
pub(crate) enum PolicyCommand {
    /// Validate a policy and summarise it: entities, keys per role, the
    /// high-risk list, waivers and the rules in force per class.
    ///
    /// Exit status: 0 valid, 2 invalid (with file:line:column and the problem).
    Check {
        /// The policy file.
        #[arg(value_name = "P.toml")]
        policy: PathBuf,
        /// Time for waiver and designation status (default: now).
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
    },
    /// Run every case folder in DIR and report pass/fail per case.
    ///
    /// Each case folder holds bundle.cbor, case.json (at, verdict, rules that
    /// must appear; see README) and optionally policy.toml; otherwise
    /// DIR/policy.toml is used. Exit status: 0 all pass, 1 any fail, 2 input error.
    Test {
        /// Directory of case folders.
        dir: PathBuf,
    },
}

#[derive(Subcommand)]
pub(crate) enum StateCommand {
    /// Create a state file for a device (components start with nothing known installed: svn 0).
    Init {
        /// Vendor, as firmware releases name it in their target.
        #[arg(long)]
        vendor: String,
        /// Model.
        #[arg(long)]
        model: String,
        /// Serial number.
        #[arg(long)]
        serial: String,
        /// A component ref (repeat for several).
        #[arg(long = "component", value_name = "C")]
        components: Vec<String>,
        /// The class the operator deploys the device in (a class the policy
        /// declares; it selects the gate's rule levels, signer threshold and
        /// required evaluations).
        #[arg(long, value_name = "CLASS")]
        class: Option<String>,
        /// A zone the device is deployed in (repeat for several; each
        /// declared by the policy; zones only tighten rule levels).
        #[arg(long = "zone", value_name = "ZONE")]
        zones: Vec<String>,
        /// When the device entered service, RFC 3339.
        #[arg(long, value_name = "TIME")]
        installed_at: Option<String>,
        /// Where to write the state.
        #[arg(long, value_name = "STATE.json")]
        out: PathBuf,
        /// Replace an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Print a state file after checking it.
    Show {
        /// The state file.
        file: PathBuf,
    },
}

pub(crate) fn policy(cmd: PolicyCommand, limits: &Limits) -> Result<u8, Fatal> {
    match cmd {
        PolicyCommand::Check { policy, at } => {
            let at = parse_at(&at)?;
            let p = Policy::load(&policy, limits)?;
            out!("{}", escape_lines(&p.summary(at)));
            outln!("{}: valid", Escaped(policy.display()));
            Ok(0)
        }
        PolicyCommand::Test { dir } => {
            let results = hwprov::decide::cases::run_dir(&dir, limits)?;
            let failed = results.iter().filter(|r| !r.passed()).count();
            for r in &results {
                if r.passed() {
                    outln!("ok    {}: {}", Escaped(&r.name), Escaped(&r.outcome));
                } else {
                    outln!(
                        "FAIL  {}: {}\n        {}",
                        Escaped(&r.name),
                        Escaped(&r.outcome),
                        r.problems
                            .iter()
                            .map(|p| escape(p))
                            .collect::<Vec<_>>()
                            .join("\n        ")
                    );
                }
            }
            outln!("{} passed, {failed} failed", results.len() - failed);
            Ok(if failed == 0 { 0 } else { 1 })
        }
    }
}

pub(crate) fn state(cmd: StateCommand, limits: &Limits) -> Result<u8, Fatal> {
    match cmd {
        StateCommand::Init {
            vendor,
            model,
            serial,
            components,
            class,
            zones,
            installed_at,
            out,
            force,
        } => {
            if out.exists() && !force {
                return Err(usage(format!(
                    "{} already exists; refusing to overwrite a device state (use --force)",
                    out.display()
                )));
            }
            if vendor.is_empty()
                || model.is_empty()
                || serial.is_empty()
                || components.iter().any(String::is_empty)
                || class.as_deref() == Some("")
                || zones.iter().any(String::is_empty)
            {
                return Err(usage(
                    "vendor, model, serial, class, zone and component refs must not be empty",
                ));
            }
            let installed_at = installed_at
                .map(|t| {
                    hwprov::Timestamp::parse_rfc3339(&t)
                        .map_err(|e| usage(format!("--installed-at '{t}': {e}")))
                })
                .transpose()?;
            let st = State {
                device: DeviceId {
                    vendor,
                    model,
                    serial,
                },
                class,
                zones,
                installed_at,
                installed: components
                    .into_iter()
                    .map(|c| {
                        (
                            c,
                            InstalledImage {
                                name: String::new(),
                                version: String::new(),
                                svn: 0,
                                image: None,
                            },
                        )
                    })
                    .collect(),
            };
            st.save(&out)?;
            outln!("wrote {}", Escaped(out.display()));
            Ok(0)
        }
        StateCommand::Show { file } => {
            let st = State::load(&file, limits)?;
            out!("{}", String::from_utf8_lossy(&st.to_bytes()));
            Ok(0)
        }
    }
}
