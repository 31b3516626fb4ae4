//! The example policies under `policies/`, each modelling a public measure
//! (EU 5G Toolbox, UK 2020 decisions, government networks), with a
//! `policy test` folder of cases.
//! The parties and keys are the fictional ones of this module's parent.

use super::vectors::Case;
use super::*;

pub(crate) struct ExamplePolicy {
    pub name: &'static str,
    pub policy: String,
    pub cases: Vec<Case>,
    /// `deployment.csv` beside the policy: the operator's class for each
    /// case's unit (SPEC 6.3).
    pub deployment: Option<String>,
}

/// The operator's deployment file for some cases: each device unit whose
/// statement suggests a class the policy declares is deployed in that class
/// (the cases model an operator who agrees with the vendor, except where a
/// case says otherwise).
pub(crate) fn deployment_of(policy: &str, cases: &[Case]) -> Option<String> {
    let mut rows = Vec::new();
    for c in cases {
        if let Some((vendor, model, serial, class)) = device_class(&c.bundle)
            && policy.contains(&format!("[classes.{class}"))
        {
            let row = format!("{vendor},{model},{serial},{class}\n");
            if !rows.contains(&row) {
                rows.push(row);
            }
        }
    }
    (!rows.is_empty()).then(|| format!("vendor,model,serial,class\n{}", rows.concat()))
}

/// Vendor, model, serial and suggested class of a bundle's device root.
pub(crate) fn device_class(bundle: &[u8]) -> Option<(String, String, String, String)> {
    use hwprov::wire::envelope::Envelope as Env;
    use hwprov::wire::statement::{Body as B, Statement as St};
    let parts = hwprov::wire::bundle::split(bundle, &hwprov::Limits::DEFAULT).ok()?;
    let env = Env::decode(parts.first()?, 16).ok()?;
    let st = St::decode(&env.payload, 16).ok()?;
    match st.body {
        B::Device(d) => Some((
            d.product.vendor,
            d.product.model,
            d.product.serial,
            d.class?,
        )),
        _ => None,
    }
}

fn case(
    name: &'static str,
    description: &'static str,
    at: &'static str,
    bundle: Vec<u8>,
    verdict: &'static str,
    rules: Vec<(&'static str, &'static str)>,
) -> Case {
    Case {
        name,
        description,
        policy: String::new(),
        bundle,
        at,
        args: vec![],
        exit: if verdict == "fail" { 1 } else { 0 },
        verdict: Some(verdict),
        rules,
        stderr: None,
        deployment: None,
    }
}

fn with_deployment(mut p: ExamplePolicy) -> ExamplePolicy {
    p.deployment = deployment_of(&p.policy, &p.cases);
    p
}

fn header(name: &str, comment: &str) -> String {
    format!(
        "{comment}\
         #\n\
         # The [[entities]] and [[keys]] below are the fictional parties of hwprov's\n\
         # examples (keys derived from public seeds): replace them with your suppliers.\n\
         \n\
         [policy]\n\
         name = \"{name}\"\n\
         version = \"2026-11-01\"\n\
         \n\
         [jurisdictions]\n\
         # China's National Intelligence Law (2017), Article 7, obliges organisations\n\
         # and citizens to support state intelligence work; Russia is treated alike in\n\
         # the same debates. Both apply to sites (jurisdiction.site) and to ownership\n\
         # chains (jurisdiction.control).\n\
         high_risk = [\"CN\", \"RU\"]\n\n"
    )
}

const AT: &str = super::AT;

fn eu() -> ExamplePolicy {
    let policy = format!(
        "{}{}{}",
        header(
            "eu-5g-toolbox-core",
            "# EU 5G Toolbox style policy for a mobile operator.\n\
             #\n\
             # Models the EU \"Cybersecurity of 5G networks - EU Toolbox of risk mitigating\n\
             # measures\" (NIS Cooperation Group, January 2020): restrictions on high-risk\n\
             # suppliers for critical and sensitive assets, the core first (SM03), and a\n\
             # multi-vendor strategy against single-supplier dependency (SM05, SM06).\n\
             # Belgium's implementation excluded high-risk suppliers from the core and\n\
             # capped them at 35% of the non-core network: here they are denied in the\n\
             # core, warned in the RAN and at the periphery, and capped by [fleet].\n",
        ),
        trust_toml(),
        "[rules]\n\
         # Every chip must show where it was designed, fabricated and packaged:\n\
         # packaging is where extra function is most easily added (DOMAIN.md).\n\
         required_stages = [\"design\", \"fab\", \"atp\"]\n\
         firmware_min_signers = 1\n\
         revocation = \"all\"\n\
         \n\
         # Non-core segments: high-risk jurisdictions are visible, not blocking.\n\
         # Designations (entity lists) stay deny everywhere.\n\
         [classes.ran.rules]\n\
         \"jurisdiction.site\" = \"warn\"\n\
         \"jurisdiction.control\" = \"warn\"\n\
         \n\
         [classes.periphery.rules]\n\
         \"jurisdiction.site\" = \"warn\"\n\
         \"jurisdiction.control\" = \"warn\"\n\
         \n\
         [fleet]\n\
         # Multi-vendor strategy: no vendor above half of a class.\n\
         max_vendor_share = 0.5\n\
         # Belgium: high-risk suppliers at most 35% of the non-core network.\n\
         max_high_risk_share = 0.35\n",
    );
    let d = "deny";
    let w = "warn";
    with_deployment(ExamplePolicy {
        deployment: None,
        name: "eu-5g-toolbox-core",
        policy,
        cases: vec![
            case(
                "core-clean",
                "Core router, chips designed FI, fabricated TW, packaged MY.",
                AT,
                Unit::new("AX5-100001").bundle(),
                "pass",
                vec![],
            ),
            case(
                "core-high-risk-packaging",
                "Core router whose chip is packaged at a CN site: denied.",
                AT,
                Unit {
                    route: HIGH_RISK_ATP,
                    ..Unit::new("AX5-100002")
                }
                .bundle(),
                "fail",
                vec![("jurisdiction.site", d), ("jurisdiction.control", d)],
            ),
            case(
                "ran-high-risk-packaging",
                "The same chip in a RAN unit: warned, not blocked.",
                AT,
                Unit {
                    route: HIGH_RISK_ATP,
                    class: "ran",
                    ..Unit::new("AX5-100003")
                }
                .bundle(),
                "warn",
                vec![("jurisdiction.site", w), ("jurisdiction.control", w)],
            ),
            case(
                "core-fab-owned-from-high-risk",
                "Core router whose wafers come from a GB fab owned from CN: control denied.",
                AT,
                Unit {
                    route: OWNED_FAB,
                    ..Unit::new("AX5-100004")
                }
                .bundle(),
                "fail",
                vec![("jurisdiction.control", d)],
            ),
            case(
                "periphery-designated-vendor",
                "A designated vendor's unit at the periphery: the designation still denies.",
                AT,
                Unit {
                    vendor: "eastwind-telecom",
                    model: "EW-9",
                    class: "periphery",
                    ..Unit::new("EW9-100005")
                }
                .bundle(),
                "fail",
                vec![("jurisdiction.control", w), ("entity.designated", d)],
            ),
            case(
                "core-unsigned-firmware",
                "Core router running an image with no signed release.",
                AT,
                Unit {
                    signed_firmware: false,
                    ..Unit::new("AX5-100006")
                }
                .bundle(),
                "fail",
                vec![("firmware.unsigned", d)],
            ),
        ],
    })
}

fn uk() -> ExamplePolicy {
    let legacy = ["EW9-200001", "EW9-200002"];
    let mut waivers = String::from(
        "# Each remaining legacy unit is waived by serial, with the statutory deadline.\n\
         # New units from the designated vendor are never waived.\n",
    );
    for serial in legacy {
        for rule in ["jurisdiction.control", "entity.designated"] {
            waivers += &format!(
                "[[waivers]]\nrule = \"{rule}\"\nentity = \"eastwind-telecom\"\nvendor = \"eastwind-telecom\"\nserial = \"{serial}\"\n\
                 expires = 2027-12-31T00:00:00Z\n\
                 reason = \"Designated vendor direction: remove legacy RAN equipment from 5G networks by 31 December 2027\"\n\n"
            );
        }
    }
    let policy = format!(
        "{}{}{}{}",
        header(
            "uk-2020-phase-out",
            "# UK-2020-style policy for a mobile operator.\n\
             #\n\
             # Models the UK's January 2020 decision on high-risk vendors (excluded from\n\
             # the core, allowed at the periphery and in the RAN under a 35% cap) and the\n\
             # July 2020 decision, later made binding under the Telecommunications\n\
             # (Security) Act 2021, to remove them from 5G networks by the end of 2027.\n\
             # The phase-out is expressed as dated waivers with a written reason, so it is\n\
             # neither silent nor open-ended: from 90 days before the deadline every\n\
             # verdict mentions it, and after it the findings deny again.\n",
        ),
        trust_toml(),
        "[rules]\n\
         required_stages = [\"design\", \"fab\", \"atp\"]\n\
         firmware_min_signers = 1\n\
         \n\
         [classes.ran.rules]\n\
         \"jurisdiction.site\" = \"warn\"\n\
         \n\
         [classes.periphery.rules]\n\
         \"jurisdiction.site\" = \"warn\"\n\
         \n\
         [fleet]\n\
         max_high_risk_share = 0.35\n\n",
        waivers,
    );
    let d = "deny";
    let legacy_unit = |serial| {
        Unit {
            vendor: "eastwind-telecom",
            model: "EW-9",
            class: "ran",
            ..Unit::new(serial)
        }
        .bundle()
    };
    with_deployment(ExamplePolicy {
        deployment: None,
        name: "uk-2020-phase-out",
        policy,
        cases: vec![
            case(
                "legacy-ran-unit-waived",
                "A listed legacy RAN unit of the designated vendor, before the deadline: waived.",
                AT,
                legacy_unit(legacy[0]),
                "pass",
                vec![
                    ("jurisdiction.control", "waived"),
                    ("entity.designated", "waived"),
                ],
            ),
            case(
                "legacy-ran-unit-deadline-near",
                "The same unit 61 days before the deadline: still waived, and the deadline is reported.",
                "2027-11-01T00:00:00Z",
                legacy_unit(legacy[0]),
                "pass",
                vec![
                    ("jurisdiction.control", "waived"),
                    ("entity.designated", "waived"),
                    ("waiver.expiring", "info"),
                ],
            ),
            case(
                "legacy-ran-unit-after-deadline",
                "After 31 December 2027 the waiver has expired: the findings deny again.",
                "2028-01-15T00:00:00Z",
                legacy_unit(legacy[1]),
                "fail",
                vec![
                    ("jurisdiction.control", d),
                    ("entity.designated", d),
                    ("waiver.expired", "warn"),
                ],
            ),
            case(
                "new-unit-of-designated-vendor",
                "A unit of the designated vendor that is not on the legacy list: denied.",
                AT,
                legacy_unit("EW9-299999"),
                "fail",
                vec![("jurisdiction.control", d), ("entity.designated", d)],
            ),
            case(
                "core-clean",
                "A core router from a vendor outside the high-risk jurisdictions.",
                AT,
                Unit::new("AX5-200010").bundle(),
                "pass",
                vec![],
            ),
        ],
    })
}

fn gov() -> ExamplePolicy {
    let policy = format!(
        "{}{}{}",
        header(
            "government-no-high-risk",
            "# Government and defence network policy: no high-risk stage anywhere.\n\
             #\n\
             # DOMAIN.md: \"Government and defence networks must not rely on them at all.\"\n\
             # Every jurisdiction rule is deny in every class (no class relaxes it), no\n\
             # waivers, two distinct firmware keys per release, and an independent\n\
             # binary-equivalence evaluation of every image, as the UK's oversight of\n\
             # vendor software (HCSEC, from 2010) asks of the exact binaries shipped.\n",
        ),
        trust_toml(),
        "[rules]\n\
         required_stages = [\"design\", \"fab\", \"atp\"]\n\
         firmware_min_signers = 2\n\
         firmware_evaluations = [\"binary-equivalence\"]\n\
         revocation = \"all\"\n\
         \"jurisdiction.site\" = \"deny\"\n\
         \"jurisdiction.control\" = \"deny\"\n\
         \"entity.designated\" = \"deny\"\n\
         \"provenance.incomplete\" = \"deny\"\n",
    );
    let d = "deny";
    let assured = |serial| Unit {
        release_keys: &[0, 1],
        evaluation: Some(true),
        ..Unit::new(serial)
    };
    with_deployment(ExamplePolicy {
        deployment: None,
        name: "government-no-high-risk",
        policy,
        cases: vec![
            case(
                "assured-device",
                "Clean chain, release signed by two firmware keys, image evaluated.",
                AT,
                assured("AX5-300001").bundle(),
                "pass",
                vec![],
            ),
            case(
                "single-firmware-signature",
                "Only one firmware key signed the release.",
                AT,
                Unit {
                    release_keys: &[0],
                    ..assured("AX5-300002")
                }
                .bundle(),
                "fail",
                vec![("firmware.threshold", d)],
            ),
            case(
                "no-evaluation",
                "No independent evaluation of the image.",
                AT,
                Unit {
                    evaluation: None,
                    ..assured("AX5-300003")
                }
                .bundle(),
                "fail",
                vec![("firmware.unevaluated", d)],
            ),
            case(
                "failed-evaluation",
                "The lab's evaluation of the image failed.",
                AT,
                Unit {
                    evaluation: Some(false),
                    ..assured("AX5-300004")
                }
                .bundle(),
                "fail",
                vec![("firmware.unevaluated", d)],
            ),
            case(
                "periphery-high-risk-packaging",
                "Even at the periphery, high-risk packaging is denied.",
                AT,
                Unit {
                    route: HIGH_RISK_ATP,
                    class: "periphery",
                    ..assured("AX5-300005")
                }
                .bundle(),
                "fail",
                vec![("jurisdiction.site", d), ("jurisdiction.control", d)],
            ),
            case(
                "fab-owned-from-high-risk",
                "An allied-country fab owned from a high-risk country is denied.",
                AT,
                Unit {
                    route: OWNED_FAB,
                    ..assured("AX5-300006")
                }
                .bundle(),
                "fail",
                vec![("jurisdiction.control", d)],
            ),
        ],
    })
}

pub(crate) fn all() -> Vec<ExamplePolicy> {
    vec![eu(), uk(), gov()]
}
