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

# The network segments this operator knows. Fleet shares count units per
# declared class; a class a device names that is not declared counts as
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

# For `vet`: multi-vendor strategy and a cap on high-risk equipment.
[fleet]
max_vendor_share = 0.5
max_high_risk_share = 0.35
"#;

/// Writes the example data under `out`; returns the files written.
pub(crate) fn generate(out: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    let mut put = |rel: &str, bytes: &[u8]| -> std::io::Result<()> {
        let p = out.join(rel);
        write(&p, bytes)?;
        written.push(p);
        Ok(())
    };
    put(
        "policy.toml",
        policy("example-core-network", POLICY_RULES, "").as_bytes(),
    )?;
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
/// files it wrote. Deterministic. Three vendors (SE, FI, CN), four classes,
/// chips from two fabs (TW; GB owned from CN) and two packaging sites (MY,
/// CN); every 500th unit is a clone of the one before (same serial), every
/// 200th runs an unsigned image. Chip-lot statements and firmware releases
/// are shared by many units, as in a real supply chain, so only the device
/// statement is signed per unit. Beside `out`, `deployment.csv` is the
/// operator's record of where each unit is deployed (its class), one row per
/// serial: the operator agrees with the class each vendor suggests.
pub(crate) fn shipment(out: &Path, units: usize) -> std::io::Result<usize> {
    use rayon::prelude::*;
    use std::collections::HashMap;
    const VENDORS: [(&str, &str); 3] = [
        ("aurora-networks", "AX-5000"),
        ("boreal-radio", "BR-200"),
        ("eastwind-telecom", "EW-9"),
    ];
    const CLASSES: [&str; 4] = ["core", "ran", "transport", "periphery"];
    const LOT: usize = 250;
    let pick = |i: usize, salt: &str| -> u32 {
        let h = Sha256::of(format!("{salt} {i}").as_bytes()).0;
        u32::from_le_bytes([h[0], h[1], h[2], h[3]]) % 100
    };
    // Per unit: vendor, class, route, flags.
    let plan = |i: usize| {
        let v = match pick(i, "vendor") {
            0..=44 => 0,
            45..=84 => 1,
            _ => 2,
        };
        let class = if v == 2 {
            if pick(i, "class") < 70 {
                "ran"
            } else {
                "periphery"
            }
        } else {
            CLASSES[(pick(i, "class") % 4) as usize]
        };
        let lot = i / LOT;
        let route = match pick(lot, "route") {
            0..=79 => CLEAN,
            80..=91 => HIGH_RISK_ATP,
            _ => OWNED_FAB,
        };
        (v, class, lot, route)
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
    let mut csv = String::from("vendor,model,serial,class\n");
    for i in 0..units {
        if i > 0 && i % 500 == 0 {
            continue; // a clone: its serial already has its row
        }
        let (v, class, _, _) = plan(i);
        let (vendor, model) = VENDORS[v];
        csv.push_str(&format!(
            "{vendor},{model},{}-{i:07},{class}\n",
            &model[..2]
        ));
    }
    std::fs::write(out.with_file_name("deployment.csv"), csv)?;
    Ok(units)
}
