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

/// The operator's deployment file: one row per unit.
fn rows(units: &[(&str, &str, &str, &str, &str)]) -> Option<String> {
    let mut csv = String::from("vendor,model,serial,class,zones\n");
    for (vendor, model, serial, class, zones) in units {
        csv.push_str(&format!("{vendor},{model},{serial},{class},{zones}\n"));
    }
    Some(csv)
}

/// The entity list the designated vendor is on, declared with the digest
/// of the published list it mirrors (illustrative).
const ENTITY_LIST: &str = "[[lists]]\n\
     # A designation list the operator mirrors; the digest names the exact\n\
     # published version (illustrative here).\n\
     id = \"example-entity-list\"\n\
     kind = \"deny\"\n\
     source = \"sha256:5d41402abc4b2a76b9719d911017c592ae1e6b3a1b2c3d4e5f60718293a4b5c6\"\n\n";

/// The packaging site penang-osat is acquired by a high-risk holding on
/// 2026-06-01 (a dated owner, SPEC 6.7).
fn acquired(policy: String) -> String {
    policy.replacen(
        "name = \"Penang Assembly Sdn Bhd\"\n",
        "name = \"Penang Assembly Sdn Bhd\"\n\
         # Acquired by a high-risk holding on 2026-06-01: from then on its\n\
         # statements are controlled from CN (control_at = both: a statement it\n\
         # signed before counts the owner at the evaluation time too).\n\
         parents = [ { entity = \"dragon-holdings\", since = 2026-06-01T00:00:00Z } ]\n",
        1,
    )
}

fn eu() -> ExamplePolicy {
    let policy = format!(
        "{}{ENTITY_LIST}{}{}",
        header(
            "eu-5g-toolbox-core",
            "# EU 5G Toolbox style policy for a mobile operator.\n\
             #\n\
             # Models the EU \"Cybersecurity of 5G networks - EU Toolbox of risk mitigating\n\
             # measures\" (NIS Cooperation Group, January 2020) as Belgium implemented it:\n\
             # the measures target the equipment SUPPLIER per network segment.\n\
             # - SM03 (restrictions for high-risk suppliers on critical assets) and\n\
             #   Belgium's exclusion of high-risk suppliers from the core:\n\
             #   [classes.core.roles.device.rules] denies jurisdiction.control for the\n\
             #   vendor of a core unit.\n\
             # - Outside the core, high-risk suppliers are allowed under a cap (Belgium:\n\
             #   35% of the non-core network): the vendor's control warns in ran,\n\
             #   transport and periphery, and [fleet] caps the high-risk share.\n\
             # - Component sites are not suppliers: most chip packaging capacity is in a\n\
             #   few countries, so a chip's design, fab and packaging sites and their\n\
             #   owners warn in every class ([roles.*.rules]) rather than deny. This is\n\
             #   the policy's reading of the Toolbox, which names no component rule.\n\
             # - Sensitive sites (SM03's \"critical and sensitive assets\"): units\n\
             #   deployed in zone critical-site deny any high-risk control, whatever\n\
             #   their class (zones only tighten).\n\
             # - Designations on the entity list deny everywhere (a legal bar, not a risk\n\
             #   weighting).\n\
             # - Fleet caps per class (vet): high-risk vendors 0% of the core (a cap\n\
             #   breach there denies), at most 35% of each non-core class; at least two\n\
             #   vendor groups per class and none above half (multi-vendor strategy,\n\
             #   SM05 and SM06; the minimum of two is this policy's own choice). Shares\n\
             #   count vendor groups: two subsidiaries of one group are one supplier.\n\
             # Illustrative numbers: the 35% and 50% caps. The class of each unit comes\n\
             # from the operator's deployment.csv, never from the vendor's statement.\n",
        ),
        acquired(trust_toml()) + &group_toml(),
        "[rules]\n\
         # Every chip must show where it was designed, fabricated and packaged.\n\
         required_stages = [\"design\", \"fab\", \"atp\"]\n\
         firmware_min_signers = 1\n\
         revocation = \"all\"\n\
         control_at = \"both\"\n\
         \n\
         # Component suppliers (sites and their owners) warn in every class.\n\
         [roles.design.rules]\n\
         \"jurisdiction.site\" = \"warn\"\n\
         \"jurisdiction.control\" = \"warn\"\n\
         [roles.fab.rules]\n\
         \"jurisdiction.site\" = \"warn\"\n\
         \"jurisdiction.control\" = \"warn\"\n\
         [roles.atp.rules]\n\
         \"jurisdiction.site\" = \"warn\"\n\
         \"jurisdiction.control\" = \"warn\"\n\
         \n\
         # The network segments. The vendor of a core unit is denied; elsewhere\n\
         # the vendor's high-risk control warns (and counts towards the cap).\n\
         [classes.core]\n\
         [classes.core.roles.device.rules]\n\
         \"jurisdiction.control\" = \"deny\"\n\
         [classes.core.roles.firmware.rules]\n\
         \"jurisdiction.control\" = \"deny\"\n\
         \n\
         [classes.ran.rules]\n\
         \"jurisdiction.control\" = \"warn\"\n\
         [classes.transport.rules]\n\
         \"jurisdiction.control\" = \"warn\"\n\
         [classes.periphery.rules]\n\
         \"jurisdiction.control\" = \"warn\"\n\
         \n\
         # Sensitive locations: no high-risk control at all.\n\
         [zones.critical-site.rules]\n\
         \"jurisdiction.control\" = \"deny\"\n\
         \"jurisdiction.site\" = \"deny\"\n\
         \n\
         [fleet]\n\
         # Multi-vendor strategy (SM05, SM06): no vendor group above half of a\n\
         # class, and at least two of them (this policy's own choice).\n\
         max_vendor_share = 0.5\n\
         min_vendors = 2\n\
         # Belgium: high-risk suppliers at most 35% of the non-core network,\n\
         # counted by vendor (a Western router with a chip packaged in a\n\
         # high-risk country is not a high-risk supplier's).\n\
         max_high_risk_share = 0.35\n\
         high_risk_basis = \"vendor\"\n\
         \n\
         # ... and excluded from the core: any high-risk unit there is over the\n\
         # cap, and a cap breach in the core fails the inventory.\n\
         [classes.core.fleet]\n\
         max_high_risk_share = 0.0\n\
         [classes.core.rules]\n\
         \"fleet.concentration\" = \"deny\"\n",
    );
    let (d, w) = ("deny", "warn");
    let aurora = |serial| Unit::new(serial);
    let eastwind = |serial| Unit {
        vendor: "eastwind-telecom",
        model: "EW-9",
        ..Unit::new(serial)
    };
    ExamplePolicy {
        deployment: rows(&[
            ("aurora-networks", "AX-5000", "AX5-100001", "core", ""),
            ("aurora-networks", "AX-5000", "AX5-100002", "core", ""),
            ("eastwind-telecom", "EW-9", "EW9-100003", "core", ""),
            ("eastwind-telecom", "EW-9", "EW9-100004", "periphery", ""),
            (
                "aurora-networks",
                "AX-5000",
                "AX5-100005",
                "periphery",
                "critical-site",
            ),
            ("aurora-networks", "AX-5000", "AX5-100006", "core", ""),
            ("aurora-networks", "AX-5000", "AX5-100007", "core", ""),
        ]),
        name: "eu-5g-toolbox-core",
        policy,
        cases: vec![
            case(
                "core-clean",
                "Core router from a vendor outside the high-risk jurisdictions; chips designed FI, fabricated TW, packaged MY.",
                "2026-05-01T00:00:00Z",
                aurora("AX5-100001").bundle(),
                "pass",
                vec![],
            ),
            case(
                "core-western-vendor-chip-packaged-high-risk",
                "A Western vendor's core router with a chip packaged at a CN site: the component site warns, the vendor is not excluded.",
                AT,
                Unit {
                    route: HIGH_RISK_ATP,
                    ..aurora("AX5-100002")
                }
                .bundle(),
                "warn",
                vec![("jurisdiction.site", w), ("jurisdiction.control", w)],
            ),
            case(
                "core-high-risk-vendor",
                "A high-risk (and designated) vendor's unit in the core: excluded (its chip's packaging site, acquired in June, warns as well).",
                AT,
                eastwind("EW9-100003").bundle(),
                "fail",
                vec![
                    ("jurisdiction.control", d),
                    ("entity.designated", d),
                    ("jurisdiction.control", w),
                ],
            ),
            case(
                "periphery-high-risk-vendor",
                "The same vendor's unit at the periphery: its control only warns there, but its designation on the entity list still denies.",
                AT,
                Unit {
                    class: "periphery",
                    ..eastwind("EW9-100004")
                }
                .bundle(),
                "fail",
                vec![("jurisdiction.control", w), ("entity.designated", d)],
            ),
            case(
                "sensitive-zone",
                "A periphery unit deployed at a critical site, with a chip packaged at a CN site: the zone denies what the class would only warn.",
                AT,
                Unit {
                    route: HIGH_RISK_ATP,
                    class: "periphery",
                    ..aurora("AX5-100005")
                }
                .bundle(),
                "fail",
                vec![("jurisdiction.site", d), ("jurisdiction.control", d)],
            ),
            case(
                "acquisition-changes-control",
                "The chip's packaging site was acquired by a CN holding on 2026-06-01: a core router's clean chain warns after that date.",
                AT,
                aurora("AX5-100006").bundle(),
                "warn",
                vec![("jurisdiction.control", w)],
            ),
            case(
                "core-unsigned-firmware",
                "Core router running an image with no signed release.",
                "2026-05-01T00:00:00Z",
                Unit {
                    signed_firmware: false,
                    ..aurora("AX5-100007")
                }
                .bundle(),
                "fail",
                vec![("firmware.unsigned", d)],
            ),
        ],
    }
}

fn uk() -> ExamplePolicy {
    let policy = format!(
        "{}{ENTITY_LIST}{}{}",
        header(
            "uk-2020-phase-out",
            "# UK-2020-style policy for a mobile operator.\n\
             #\n\
             # - January 2020 (NCSC advice, Government decision): high-risk vendors are\n\
             #   excluded from the core and from sensitive locations, allowed at the\n\
             #   periphery (RAN) under a 35% market-share cap: the vendor's control\n\
             #   denies in class core and in zone sensitive-site, warns in ran and\n\
             #   periphery; the fleet caps allow 0% of high-risk vendors' units in the\n\
             #   core and 35% in the RAN and periphery.\n\
             # - July 2020, binding under the Telecommunications (Security) Act 2021 and\n\
             #   the Designated Vendor Direction: remove them from 5G networks by the end\n\
             #   of 2027. Written as a phase-out plan: units installed before the\n\
             #   cut-off are legacy and keep working until the deadline (their vendor\n\
             #   findings waived, with the plan named; from 90 days before it every\n\
             #   verdict says so), units installed later are refused, and after the\n\
             #   deadline the findings deny again. The caps step down to 0% on\n\
             #   2028-01-01.\n\
             # - The measures target suppliers: a chip's packaging site or owner in a\n\
             #   high-risk country warns ([roles.atp.rules]), never excludes the vendor.\n\
             # Illustrative: the 35% cap as a share of units rather than of the market,\n\
             # and the cut-off date for new units.\n",
        ),
        trust_toml() + &group_toml(),
        "[rules]\n\
         required_stages = [\"design\", \"fab\", \"atp\"]\n\
         firmware_min_signers = 1\n\
         \n\
         [roles.atp.rules]\n\
         \"jurisdiction.site\" = \"warn\"\n\
         \"jurisdiction.control\" = \"warn\"\n\
         \n\
         [classes.core]\n\
         [classes.transport]\n\
         [classes.ran.rules]\n\
         \"jurisdiction.control\" = \"warn\"\n\
         [classes.periphery.rules]\n\
         \"jurisdiction.control\" = \"warn\"\n\
         \n\
         [zones.sensitive-site.rules]\n\
         \"jurisdiction.control\" = \"deny\"\n\
         \n\
         # The 35% cap at the periphery, nothing in the core, zero everywhere\n\
         # from 2028.\n\
         [fleet]\n\
         max_high_risk_share = 0.35\n\
         [[fleet.steps]]\n\
         from = 2028-01-01T00:00:00Z\n\
         max_high_risk_share = 0.0\n\
         [classes.core.fleet]\n\
         max_high_risk_share = 0.0\n\
         \n\
         [[phaseouts]]\n\
         id = \"dvd-5g-removal\"\n\
         entity = \"eastwind-telecom\"\n\
         classes = [\"ran\", \"periphery\"]\n\
         installed_before = 2021-01-01T00:00:00Z\n\
         deadline = 2027-12-31T00:00:00Z\n\
         reason = \"Designated Vendor Direction: remove legacy equipment of the designated vendor from 5G networks by 31 December 2027\"\n",
    );
    let d = "deny";
    let eastwind = |serial, class| {
        Unit {
            vendor: "eastwind-telecom",
            model: "EW-9",
            class,
            ..Unit::new(serial)
        }
        .bundle()
    };
    let legacy = ["EW9-200001", "EW9-200002"];
    let mut csv = String::from("vendor,model,serial,class,zones,installed\n");
    for (vendor, model, serial, class, zones, installed) in [
        (
            "eastwind-telecom",
            "EW-9",
            legacy[0],
            "ran",
            "",
            "2019-06-01T00:00:00Z",
        ),
        (
            "eastwind-telecom",
            "EW-9",
            legacy[1],
            "ran",
            "",
            "2019-06-01T00:00:00Z",
        ),
        (
            "eastwind-telecom",
            "EW-9",
            "EW9-299999",
            "ran",
            "",
            "2022-03-01T00:00:00Z",
        ),
        (
            "eastwind-telecom",
            "EW-9",
            "EW9-200003",
            "core",
            "",
            "2019-06-01T00:00:00Z",
        ),
        (
            "eastwind-telecom",
            "EW-9",
            "EW9-200004",
            "ran",
            "sensitive-site",
            "",
        ),
        ("aurora-networks", "AX-5000", "AX5-200010", "core", "", ""),
        ("aurora-networks", "AX-5000", "AX5-200011", "core", "", ""),
    ] {
        csv.push_str(&format!(
            "{vendor},{model},{serial},{class},{zones},{installed}\n"
        ));
    }
    ExamplePolicy {
        deployment: Some(csv),
        name: "uk-2020-phase-out",
        policy,
        cases: vec![
            case(
                "legacy-ran-unit-waived",
                "A legacy RAN unit of the designated vendor (installed 2019), before the deadline: its vendor findings are waived by the phase-out plan.",
                AT,
                eastwind(legacy[0], "ran"),
                "pass",
                vec![
                    ("jurisdiction.control", "waived"),
                    ("entity.designated", "waived"),
                ],
            ),
            case(
                "legacy-ran-unit-deadline-near",
                "The same unit 61 days before the deadline: still waived, and phaseout.expiring says the deadline is near.",
                "2027-11-01T00:00:00Z",
                eastwind(legacy[0], "ran"),
                "pass",
                vec![
                    ("jurisdiction.control", "waived"),
                    ("entity.designated", "waived"),
                    ("phaseout.expiring", "info"),
                ],
            ),
            case(
                "legacy-ran-unit-after-deadline",
                "After 31 December 2027 the legacy unit is overdue: phaseout.overdue, and its findings count again (the designation denies).",
                "2028-01-15T00:00:00Z",
                eastwind(legacy[1], "ran"),
                "fail",
                vec![
                    ("jurisdiction.control", "warn"),
                    ("entity.designated", d),
                    ("phaseout.overdue", d),
                ],
            ),
            case(
                "new-unit-of-designated-vendor",
                "A unit of the designated vendor installed in 2022, after the cut-off: phaseout.new-unit, and nothing is waived.",
                AT,
                eastwind("EW9-299999", "ran"),
                "fail",
                vec![
                    ("jurisdiction.control", "warn"),
                    ("entity.designated", d),
                    ("phaseout.new-unit", d),
                ],
            ),
            case(
                "high-risk-vendor-in-core",
                "A high-risk vendor's unit in the core: excluded since January 2020 (the plan covers the RAN and periphery only).",
                AT,
                eastwind("EW9-200003", "core"),
                "fail",
                vec![("jurisdiction.control", d), ("entity.designated", d)],
            ),
            case(
                "high-risk-vendor-at-sensitive-site",
                "A RAN unit of a high-risk vendor at a sensitive location, with no installed date: the zone denies its control, and without a date it is not legacy.",
                AT,
                eastwind("EW9-200004", "ran"),
                "fail",
                vec![
                    ("jurisdiction.control", d),
                    ("entity.designated", d),
                    ("phaseout.new-unit", d),
                ],
            ),
            case(
                "core-clean",
                "A core router from a vendor outside the high-risk jurisdictions.",
                AT,
                Unit::new("AX5-200010").bundle(),
                "pass",
                vec![],
            ),
            case(
                "core-western-vendor-chip-packaged-high-risk",
                "A Western vendor's core router with a chip packaged at a CN site: warned, not excluded.",
                AT,
                Unit {
                    route: HIGH_RISK_ATP,
                    ..Unit::new("AX5-200011")
                }
                .bundle(),
                "warn",
                vec![
                    ("jurisdiction.site", "warn"),
                    ("jurisdiction.control", "warn"),
                ],
            ),
        ],
    }
}

fn gov() -> ExamplePolicy {
    let policy = format!(
        "{}{ENTITY_LIST}{}{}",
        header(
            "government-no-high-risk",
            "# Government and defence network policy: no high-risk stage anywhere, and only\n\
             # approved suppliers.\n\
             #\n\
             # - Government and defence networks must not rely on high-risk suppliers at\n\
             #   all: every jurisdiction rule is deny in every class and role, no waivers.\n\
             # - Only trusted suppliers (Poland's model of admitting trusted suppliers\n\
             #   only): the allow list trusted-suppliers judges the equipment vendor and\n\
             #   the firmware publisher; an issuer without an approval in force gets\n\
             #   entity.unapproved (deny).\n\
             # - Two distinct firmware keys per release, and an independent\n\
             #   binary-equivalence evaluation of every image by an accepted lab within a\n\
             #   year, as the UK's oversight of vendor software (HCSEC, from 2010) asks\n\
             #   of the exact binaries shipped.\n\
             # - Suppliers that hide their owners are refused (entity.opaque = deny).\n\
             # Illustrative: the list of approved suppliers and the 365-day window.\n",
        ),
        approved(trust_toml()),
        "[[lists]]\n\
         id = \"trusted-suppliers\"\n\
         kind = \"allow\"\n\
         roles = [\"device\", \"firmware\"]\n\
         \n\
         [rules]\n\
         required_stages = [\"design\", \"fab\", \"atp\"]\n\
         firmware_min_signers = 2\n\
         firmware_evaluations = [\"binary-equivalence\"]\n\
         revocation = \"all\"\n\
         \"jurisdiction.site\" = \"deny\"\n\
         \"jurisdiction.control\" = \"deny\"\n\
         \"entity.designated\" = \"deny\"\n\
         \"entity.unapproved\" = \"deny\"\n\
         \"entity.opaque\" = \"deny\"\n\
         \"provenance.incomplete\" = \"deny\"\n\
         \n\
         [evaluations.binary-equivalence]\n\
         labs = [\"rhine-lab\"]\n\
         max_age_days = 365\n",
    );
    let d = "deny";
    let assured = |serial| Unit {
        release_keys: &[0, 1],
        evaluation: Some(true),
        ..Unit::new(serial)
    };
    ExamplePolicy {
        deployment: None,
        name: "government-no-high-risk",
        policy,
        cases: vec![
            case(
                "assured-device",
                "Clean chain, approved vendor, release signed by two firmware keys, image evaluated by an accepted lab.",
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
                "high-risk-packaging",
                "High-risk packaging is denied wherever the unit is deployed.",
                AT,
                Unit {
                    route: HIGH_RISK_ATP,
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
            case(
                "unapproved-vendor",
                "A clean vendor that holds no approval on trusted-suppliers: its device and firmware statements are unapproved.",
                AT,
                Unit {
                    vendor: "boreal-radio",
                    model: "BR-200",
                    release_keys: &[0, 1],
                    evaluation: Some(true),
                    ..Unit::new("BR2-300007")
                }
                .bundle(),
                "fail",
                vec![("entity.unapproved", d)],
            ),
        ],
    }
}

/// aurora-networks holds an approval on the trusted-suppliers list.
fn approved(policy: String) -> String {
    policy.replacen(
        "name = \"Aurora Networks AB\"\n",
        "name = \"Aurora Networks AB\"\n\
         approvals = [ { list = \"trusted-suppliers\", since = 2024-01-01T00:00:00Z } ]\n",
        1,
    )
}

pub(crate) fn all() -> Vec<ExamplePolicy> {
    vec![eu(), uk(), gov()]
}
