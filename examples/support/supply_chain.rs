//! The example supply chain written by `cargo run --example supply-chain`.

use super::*;
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

# The periphery (masts, antennas) is less sensitive: site findings warn there.
[classes.periphery.rules]
"jurisdiction.site" = "warn"
"jurisdiction.control" = "warn"
"#;

/// Writes the example data under `out`; returns the files written.
pub fn generate(out: &Path) -> std::io::Result<Vec<PathBuf>> {
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
    let (dev, _) = clean.parts();
    put(
        "statements/device-clean.json",
        format!(
            "{}\n",
            serde_json::to_string_pretty(&dev.to_json()).unwrap_or_default()
        )
        .as_bytes(),
    )?;
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
    let state = hwprov::state::State {
        device: hwprov::state::DeviceId {
            vendor: clean.vendor.into(),
            model: clean.model.into(),
            serial: clean.serial.into(),
        },
        installed: [(
            "U1".to_string(),
            hwprov::state::InstalledImage {
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
            &hwprov::bundle::encode(&[sign_by(&rel)]),
        )?;
    }
    Ok(written)
}
