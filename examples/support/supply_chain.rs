//! The example supply chain written by `cargo run --example supply-chain`.

use super::*;
use hwprov::wire::statement::Statement;
use std::path::{Path, PathBuf};

fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, bytes)
}

const POLICY_RULES: &str = r#"required_stages = ["design", "fab", "atp"]
firmware_min_signers = 1
revocation = "all"

# The network segments this operator knows (the deployment file puts each
# unit in one). A class a device names that is not declared counts as
# "(unclassified)".
[classes.core]
[classes.transport]

# Outside the core (RAN, masts, antennas) site and ownership findings warn.
[classes.ran.rules]
"jurisdiction.site" = "warn"
"jurisdiction.control" = "warn"

[classes.periphery.rules]
"jurisdiction.site" = "warn"
"jurisdiction.control" = "warn"
"#;

/// The fleet caps and the phase-out plan of the example policy: last in the
/// file, so a benchmark can cut them off to measure what they cost.
const FLEET_RULES: &str = r#"
# Fleet caps and phase-out plans (vet; SPEC 6.4, 6.5)
# A multi-vendor strategy everywhere: no vendor group above half of a
# class, at least two groups; high-risk vendors at most 35% of a class.
[fleet]
max_vendor_share = 0.5
min_vendors = 2
max_high_risk_share = 0.35

# Excluded from the core.
[classes.core.fleet]
max_high_risk_share = 0.0

# Allowed in the RAN under the cap until the end of 2027, then not at all.
[classes.ran.fleet]
max_high_risk_share = 0.35
[[classes.ran.fleet.steps]]
from = 2028-01-01T00:00:00Z
max_high_risk_share = 0.0

# Legacy units of the designated vendor may stay until the deadline (their
# vendor findings are waived until then); units installed after the
# cut-off may not.
[[phaseouts]]
id = "hrv-5g-removal"
entity = "eastwind-telecom"
classes = ["ran", "periphery"]
installed_before = 2020-07-14T00:00:00Z
deadline = 2027-12-31T00:00:00Z
reason = "removal of high-risk vendors from 5G networks by the end of 2027"
"#;

/// The vendors of the example shipments and their models.
pub(crate) const VENDORS: [(&str, &str); 5] = [
    ("aurora-networks", "AX-5000"),
    ("boreal-radio", "BR-200"),
    ("eastwind-telecom", "EW-9"),
    ("polaris-radio", "PR-7"),
    ("polaris-optical", "PO-3"),
];

/// Device-signing keys per vendor for a shipment of `units` (its factories):
/// one for small shipments, up to 60 (300 in all) for a million units.
pub(crate) fn factory_keys(units: usize) -> u32 {
    (units / 2000).clamp(1, 60) as u32
}

/// The key a vendor's factory `n` signs device statements with (`n = 0`
/// is the vendor's own key).
fn factory_key(vendor: &str, n: u32) -> SecretKey {
    if n == 0 {
        key(vendor, 0)
    } else {
        key(vendor, 100 + n)
    }
}

/// The example policy for a shipment of `units`: the fictional parties, the
/// vendor group, the vendors' factory keys, the rules, then the fleet caps
/// and phase-out plan.
pub(crate) fn example_policy(units: usize) -> String {
    let mut factories = String::new();
    let n = factory_keys(units);
    if n > 1 {
        factories += "# The vendors' factories sign device statements with their own keys.\n";
        for (v, _) in VENDORS {
            for f in 1..n {
                factories += &format!(
                    "[[keys]]\nentity = \"{v}\"\npublic_key = \"{}\"\nroles = [\"device\"]\n\n",
                    factory_key(v, f).public().to_text()
                );
            }
        }
    }
    policy(
        "example-core-network",
        POLICY_RULES,
        &format!("{}{factories}{FLEET_RULES}", group_toml()),
    )
}

/// Writes the example data under `out`; returns the files written.
pub(crate) fn generate(out: &Path) -> std::io::Result<Vec<PathBuf>> {
    generate_with(out, 300)
}

/// How the units of a generated shipment share their evidence.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Sharing {
    /// As in a real supply chain: chip lots of 1,000 to 10,000 units share
    /// their stage statements, and a handful of firmware releases.
    Realistic,
    /// Every statement of every unit is its own (a lot and a release per
    /// unit, no clones): the worst case for `vet`'s sharing.
    Distinct,
}

/// [`generate`] with a shipment of `units` (and the factory keys its
/// device statements are signed with in the policy).
pub(crate) fn generate_with(out: &Path, units: usize) -> std::io::Result<Vec<PathBuf>> {
    generate_sharing(out, units, Sharing::Realistic)
}

/// [`generate_with`], the shipment's evidence shared as `sharing` says.
pub(crate) fn generate_sharing(
    out: &Path,
    units: usize,
    sharing: Sharing,
) -> std::io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    let mut put = |rel: &str, bytes: &[u8]| -> std::io::Result<()> {
        let p = out.join(rel);
        write(&p, bytes)?;
        written.push(p);
        Ok(())
    };
    put("policy.toml", example_policy(units).as_bytes())?;
    for a in ACTORS.iter().filter(|a| !a.roles.is_empty()) {
        let k = key(a.id, 0);
        put(
            &format!("keys/{}.pem", a.id),
            k.to_pem().map_err(std::io::Error::other)?.as_bytes(),
        )?;
        put(
            &format!("keys/{}.pub.pem", a.id),
            k.public().to_spki_pem().as_bytes(),
        )?;
    }

    let clean = Unit::new("AX5-000123");
    let (dev, evidence) = clean.parts();
    let json = |st: &Statement| {
        format!(
            "{}\n",
            serde_json::to_string_pretty(&st.to_json()).unwrap_or_default()
        )
    };
    put("statements/device-clean.json", json(&dev).as_bytes())?;
    // The evidence the device statement cites, in the authoring form, so the
    // README's sign/bundle/verify walk-through runs from these files:
    // signing them gives the very statements whose digests it cites.
    for (name, signed) in ["design", "fab", "atp", "release-bmc-2.4.1"]
        .iter()
        .zip(&evidence)
    {
        let env = envelope::Envelope::decode(signed, 16).map_err(std::io::Error::other)?;
        let st = Statement::decode(&env.payload, 16).map_err(std::io::Error::other)?;
        put(&format!("statements/{name}.json"), json(&st).as_bytes())?;
    }
    put("device-clean.cbor", &clean.bundle())?;
    put(
        "device-high-risk-atp.cbor",
        &Unit {
            route: HIGH_RISK_ATP,
            ..Unit::new("AX5-000124")
        }
        .bundle(),
    )?;
    put(
        "device-unsigned-firmware.cbor",
        &Unit {
            signed_firmware: false,
            ..Unit::new("AX5-000125")
        }
        .bundle(),
    )?;
    if let Some((name, version, _, img)) = &clean.firmware {
        put(&format!("firmware/{name}-{version}.bin"), img)?;
    }
    // Gating firmware updates: the device's state, an upgrade and an older release.
    let state = hwprov::wire::state::State {
        device: hwprov::wire::state::DeviceId {
            vendor: clean.vendor.into(),
            model: clean.model.into(),
            serial: clean.serial.into(),
        },
        class: None,
        zones: Vec::new(),
        installed_at: None,
        installed: [(
            "U1".to_string(),
            hwprov::wire::state::InstalledImage {
                name: "bmc".into(),
                version: "2.4.1".into(),
                svn: 7,
                image: Some(Sha256::of(&image("bmc", "2.4.1", 64 * 1024))),
            },
        )]
        .into_iter()
        .collect(),
    };
    put("device-state.json", &state.to_bytes())?;
    for (version, svn) in [("2.5.0", 8), ("2.3.0", 6)] {
        let img = image("bmc", version, 64 * 1024);
        put(&format!("firmware/bmc-{version}.bin"), &img)?;
        let rel = release(
            "aurora-networks",
            "aurora-networks",
            "AX-5000",
            "U1",
            "bmc",
            version,
            svn,
            &img,
        );
        put(
            &format!("release-bmc-{version}.cbor"),
            &hwprov::wire::bundle::encode(&[sign_by(&rel)]),
        )?;
    }
    // A small shipment for `vet` (the README's first command).
    shipment_sharing(&out.join("shipment"), units, sharing)?;
    for e in std::fs::read_dir(out.join("shipment/batch-0000"))? {
        written.push(e?.path());
    }
    written.push(out.join("deployment.csv"));
    Ok(written)
}

/// A deterministic number below `n` for item `i` (`n` at least 1).
fn pick_n(i: usize, salt: &str, n: usize) -> usize {
    let h = Sha256::of(format!("{salt} {i}").as_bytes()).0;
    u32::from_le_bytes([h[0], h[1], h[2], h[3]]) as usize % n.max(1)
}

/// Writes a realistic shipment of `units` devices under `out` (files
/// `batch-NNNN/unit-NNNNNN.cbor`, 1,000 per batch) and returns how many
/// files it wrote. Deterministic. Four classes, each with its own mix of
/// vendors: aurora-networks (SE), boreal-radio (FI), eastwind-telecom (CN,
/// designated; RAN and periphery only) and two subsidiaries of one group,
/// polaris-radio (DE) and polaris-optical (JP), which count as one
/// supplier. Chips come from two fabs (TW; GB owned from CN) and two
/// packaging sites (MY, CN); every 500th unit is a clone of the one before
/// (same serial), every 200th runs an unsigned image. As in a real supply
/// chain, chip lots of 1,000 to 10,000 units share their stage statements
/// (smaller lots in small shipments), the units run one of a handful of
/// firmware releases (two per vendor), and each vendor's device statements
/// are signed at up to 60 factories with their own keys (listed in the
/// policy beside the shipment), so only the device statement is signed per
/// unit. Beside `out`,
/// `deployment.csv` is the operator's inventory: each serial's class and
/// when it entered service (eight in ten eastwind units before the
/// phase-out's cut-off of 2020-07-14, the rest after it).
pub(crate) fn shipment(out: &Path, units: usize) -> std::io::Result<usize> {
    shipment_sharing(out, units, Sharing::Realistic)
}

/// [`shipment`], its evidence shared as `sharing` says.
pub(crate) fn shipment_sharing(
    out: &Path,
    units: usize,
    sharing: Sharing,
) -> std::io::Result<usize> {
    use rayon::prelude::*;
    let distinct = sharing == Sharing::Distinct;
    use std::collections::HashMap;
    // Chip lots of `base` to ten times `base` units (1,000 to 10,000 from
    // 20,000 units up; smaller shipments have smaller lots, so that even
    // the 300-unit example spans several).
    // A distinct shipment has a lot per unit.
    let base = (units / 20).clamp(25, 1000);
    let mut lot_of = Vec::with_capacity(units);
    let mut lot_start = vec![0usize];
    while lot_of.len() < units {
        let lot = lot_start.len() - 1;
        let size = if distinct {
            1
        } else {
            base + pick_n(lot, "lot size", 9 * base + 1)
        };
        for _ in 0..size.min(units - lot_of.len()) {
            lot_of.push(lot);
        }
        lot_start.push(lot_of.len());
    }
    let factories = factory_keys(units);
    let pick = |i: usize, salt: &str| -> u32 { pick_n(i, salt, 100) as u32 };
    // Per unit: vendor, class, lot, route. Each class has its own vendors
    // (percent): the core is dual-sourced, the RAN has the high-risk vendor
    // under its cap, transport comes mostly from the one group's two
    // subsidiaries, the periphery mostly from the high-risk vendor.
    let plan = |i: usize| {
        let (class, mix): (&str, &[(usize, u32)]) = match pick(i, "class") {
            0..=24 => ("core", &[(0, 48), (1, 40), (4, 12)]),
            25..=59 => ("ran", &[(0, 25), (1, 12), (2, 30), (3, 18), (4, 15)]),
            60..=79 => ("transport", &[(0, 30), (3, 35), (4, 35)]),
            _ => ("periphery", &[(2, 70), (1, 30)]),
        };
        let r = pick(i, "vendor");
        let mut acc = 0;
        let v = mix
            .iter()
            .find(|(_, p)| {
                acc += p;
                r < acc
            })
            .map_or(0, |(v, _)| *v);
        let lot = lot_of.get(i).copied().unwrap_or(0);
        let route = match pick(lot, "route") {
            0..=79 => CLEAN,
            80..=91 => HIGH_RISK_ATP,
            _ => OWNED_FAB,
        };
        (v, class, lot, route)
    };
    // When a unit entered service: eastwind's mostly before the cut-off.
    let installed = |i: usize, v: usize| -> String {
        let day = |from: u64, span: u64| {
            let h = Sha256::of(format!("installed {i}").as_bytes()).0;
            let d = u64::from(u32::from_le_bytes([h[4], h[5], h[6], h[7]])) % span;
            Timestamp(from + d * 86_400).to_string()
        };
        const Y2016: u64 = 1_451_606_400; // 2016-01-01
        const CUTOFF: u64 = 1_594_684_800; // 2020-07-14
        const LATE: u64 = 1_609_459_200; // 2021-01-01
        if v == 2 {
            if pick(i, "legacy") < 80 {
                day(Y2016, (CUTOFF - Y2016) / 86_400)
            } else {
                day(LATE, 5 * 365)
            }
        } else {
            day(Y2016, 10 * 365)
        }
    };
    // Shared evidence: one chip chain per lot (made as each unit is written
    // when every unit has its own), two releases per vendor.
    let lots = lot_start.len() - 1;
    let chain = |lot: usize| {
        let (_, _, _, route) = plan(lot_start[lot]);
        let part = "AXC-100";
        let lot_id = format!("L-{lot:05}");
        // One design revision for every lot, unless every unit's
        // statements are its own.
        let revision = if distinct {
            format!("D-{lot:07}")
        } else {
            "D-1".into()
        };
        let [d, f, a] = chip_chain(
            &route,
            part,
            &revision,
            &format!("W-{lot:05}"),
            &lot_id,
            &sign_by,
        );
        let atp = Sha256::of(&a);
        (vec![d, f, a], atp)
    };
    let chains: Vec<(Vec<Vec<u8>>, Sha256)> = if distinct {
        Vec::new()
    } else {
        (0..lots).into_par_iter().map(chain).collect()
    };
    // A handful of firmware releases: 2.4.1 (svn 7) and 2.5.0 (svn 8) per vendor.
    const FIRMWARE: [(&str, u64); 2] = [("2.4.1", 7), ("2.5.0", 8)];
    let images: Vec<Vec<u8>> = FIRMWARE
        .iter()
        .map(|(v, _)| image("bmc", v, 64 * 1024))
        .collect();
    let releases: HashMap<(&str, usize), Vec<u8>> = VENDORS
        .iter()
        .flat_map(|(v, m)| {
            FIRMWARE
                .iter()
                .zip(&images)
                .enumerate()
                .map(|(k, ((ver, svn), img))| {
                    (
                        (*v, k),
                        sign_by(&release(v, v, m, "U1", "bmc", ver, *svn, img)),
                    )
                })
        })
        .collect();
    (0..units.div_ceil(1000))
        .try_for_each(|b| std::fs::create_dir_all(out.join(format!("batch-{b:04}"))))?;
    (0..units)
        .into_par_iter()
        .try_for_each(|i| -> std::io::Result<()> {
            let (v, class, lot, _) = plan(i);
            let (vendor, model) = VENDORS[v];
            // A clone repeats the previous unit's serial (and bundle).
            let source = if !distinct && i > 0 && i % 500 == 0 {
                i - 1
            } else {
                i
            };
            let (sv, sclass, slot, _) = plan(source);
            let (svendor, smodel) = VENDORS[sv];
            let _ = (vendor, model, class, lot);
            let own;
            let (chain, atp) = match chains.get(slot) {
                Some(c) => c,
                None => {
                    own = chain(slot);
                    &own
                }
            };
            let unsigned = source % 200 == 199;
            // Three in ten units run the newer release (in a distinct
            // shipment, a release of its own: its version and image).
            let fw = usize::from(pick(source, "firmware") >= 70);
            let (fw_version, fw_svn) = FIRMWARE[fw];
            let own_release = distinct.then(|| {
                let version = format!("{fw_version}-u{source:07}");
                let img = image("bmc", &version, 64);
                let rel = sign_by(&release(
                    svendor, svendor, smodel, "U1", "bmc", &version, fw_svn, &img,
                ));
                (version, Sha256::of(&img), rel)
            });
            let dev = hwprov::wire::statement::Statement {
                issuer: svendor.into(),
                issued: t(ISSUED),
                expires: None,
                ext: None,
                body: Body::Device(DeviceBody {
                    product: Product {
                        vendor: svendor.into(),
                        model: smodel.into(),
                        serial: format!("{}-{source:07}", &smodel[..2]),
                    },
                    class: Some(sclass.into()),
                    components: vec![Component {
                        reference: "U1".into(),
                        part: "AXC-100".into(),
                        lot: format!("L-{slot:05}"),
                        provenance: vec![*atp],
                    }],
                    firmware: vec![Installed {
                        component: "U1".into(),
                        name: "bmc".into(),
                        version: match &own_release {
                            _ if unsigned => format!("{fw_version}-hotfix"),
                            Some((v, _, _)) => v.clone(),
                            None => fw_version.into(),
                        },
                        svn: fw_svn,
                        image: match &own_release {
                            _ if unsigned => Sha256::of(b"unreleased hotfix image"),
                            Some((_, d, _)) => *d,
                            None => Sha256::of(&images[fw]),
                        },
                    }],
                }),
            };
            // Signed at one of the vendor's factories.
            let factory = pick_n(source, "factory", factories as usize) as u32;
            let mut parts = vec![sign(&dev, &[&factory_key(svendor, factory)])];
            parts.extend(chain.iter().cloned());
            match own_release {
                Some((_, _, r)) => parts.push(r),
                None => {
                    if let Some(r) = releases.get(&(svendor, fw)) {
                        parts.push(r.clone());
                    }
                }
            }
            std::fs::write(
                out.join(format!("batch-{:04}/unit-{i:07}.cbor", i / 1000)),
                hwprov::wire::bundle::encode(&parts),
            )
        })?;
    let mut csv = String::from("vendor,model,serial,class,installed\n");
    for i in 0..units {
        if i > 0 && i % 500 == 0 {
            continue; // a clone: its serial already has its row
        }
        let (v, class, _, _) = plan(i);
        let (vendor, model) = VENDORS[v];
        csv.push_str(&format!(
            "{vendor},{model},{}-{i:07},{class},{}\n",
            &model[..2],
            installed(i, v)
        ));
    }
    std::fs::write(out.with_file_name("deployment.csv"), csv)?;
    Ok(units)
}
