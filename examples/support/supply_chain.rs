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

/// The example policy: the fictional parties, the vendor group, the rules,
/// then the fleet caps and phase-out plan.
pub(crate) fn example_policy() -> String {
    policy(
        "example-core-network",
        POLICY_RULES,
        &format!("{}{FLEET_RULES}", group_toml()),
    )
}

/// Writes the example data under `out`; returns the files written.
pub(crate) fn generate(out: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    let mut put = |rel: &str, bytes: &[u8]| -> std::io::Result<()> {
        let p = out.join(rel);
        write(&p, bytes)?;
        written.push(p);
        Ok(())
    };
    put("policy.toml", example_policy().as_bytes())?;
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
    shipment(&out.join("shipment"), 300)?;
    for e in std::fs::read_dir(out.join("shipment/batch-0000"))? {
        written.push(e?.path());
    }
    written.push(out.join("deployment.csv"));
    Ok(written)
}

/// Writes a realistic shipment of `units` devices under `out` (files
/// `batch-NNNN/unit-NNNNNN.cbor`, 1,000 per batch) and returns how many
/// files it wrote. Deterministic. Four classes, each with its own mix of
/// vendors: aurora-networks (SE), boreal-radio (FI), eastwind-telecom (CN,
/// designated; RAN and periphery only) and two subsidiaries of one group,
/// polaris-radio (DE) and polaris-optical (JP), which count as one
/// supplier. Chips come from two fabs (TW; GB owned from CN) and two
/// packaging sites (MY, CN); every 500th unit is a clone of the one before
/// (same serial), every 200th runs an unsigned image. Chip-lot statements
/// and firmware releases are shared by many units, as in a real supply
/// chain, so only the device statement is signed per unit. Beside `out`,
/// `deployment.csv` is the operator's inventory: each serial's class and
/// when it entered service (eight in ten eastwind units before the
/// phase-out's cut-off of 2020-07-14, the rest after it).
pub(crate) fn shipment(out: &Path, units: usize) -> std::io::Result<usize> {
    use rayon::prelude::*;
    use std::collections::HashMap;
    const VENDORS: [(&str, &str); 5] = [
        ("aurora-networks", "AX-5000"),
        ("boreal-radio", "BR-200"),
        ("eastwind-telecom", "EW-9"),
        ("polaris-radio", "PR-7"),
        ("polaris-optical", "PO-3"),
    ];
    const LOT: usize = 250;
    let pick = |i: usize, salt: &str| -> u32 {
        let h = Sha256::of(format!("{salt} {i}").as_bytes()).0;
        u32::from_le_bytes([h[0], h[1], h[2], h[3]]) % 100
    };
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
        let lot = i / LOT;
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
    // Shared evidence: one chip chain per lot, one release per vendor.
    let lots = units.div_ceil(LOT);
    let chains: Vec<(Vec<Vec<u8>>, Sha256)> = (0..lots)
        .into_par_iter()
        .map(|lot| {
            let (_, _, _, route) = plan(lot * LOT);
            let part = "AXC-100";
            let lot_id = format!("L-{lot:05}");
            let d = sign_by(&stage(
                route.design.0,
                Stage::Design,
                part,
                "D-1",
                route.design.1,
                route.design.2,
                vec![],
            ));
            let f = sign_by(&stage(
                route.fab.0,
                Stage::Fab,
                part,
                &format!("W-{lot:05}"),
                route.fab.1,
                route.fab.2,
                vec![Sha256::of(&d)],
            ));
            let a = sign_by(&stage(
                route.atp.0,
                Stage::Atp,
                part,
                &lot_id,
                route.atp.1,
                route.atp.2,
                vec![Sha256::of(&f)],
            ));
            let atp = Sha256::of(&a);
            (vec![d, f, a], atp)
        })
        .collect();
    let img = image("bmc", "2.4.1", 64 * 1024);
    let releases: HashMap<&str, Vec<u8>> = VENDORS
        .iter()
        .map(|(v, m)| {
            (
                *v,
                sign_by(&release(v, v, m, "U1", "bmc", "2.4.1", 7, &img)),
            )
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
            let source = if i > 0 && i % 500 == 0 { i - 1 } else { i };
            let (sv, sclass, slot, _) = plan(source);
            let (svendor, smodel) = VENDORS[sv];
            let _ = (vendor, model, class, lot);
            let (chain, atp) = &chains[slot];
            let unsigned = source % 200 == 199;
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
                        version: if unsigned {
                            "2.4.1-hotfix".into()
                        } else {
                            "2.4.1".into()
                        },
                        svn: 7,
                        image: if unsigned {
                            Sha256::of(b"unreleased hotfix image")
                        } else {
                            Sha256::of(&img)
                        },
                    }],
                }),
            };
            let mut parts = vec![sign_by(&dev)];
            parts.extend(chain.iter().cloned());
            parts.push(releases[svendor].clone());
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
