//! The OCP S.A.F.E. example (`examples/ocp-safe/`): real, provider-signed
//! short-form reports gating fictional firmware releases.
//!
//! A S.A.F.E. report names the image it reviewed by SHA-384/512. Two of the
//! published reports review a *manifest* (a list of files and their
//! hashes), and their image hash is the hash of that manifest written as
//! compact JSON, so the reviewed bytes can be rebuilt exactly from the
//! report's own JSON twin:
//!
//! - the Axiado AX3000 boot ROM report, signed by Keysight Riscure (a real
//!   provider key): the fictional vendor Polaris BMC ships that ROM in its
//!   PB-9000 BMC, and its release names the rebuilt bytes by SHA-256 and
//!   SHA-384, so the real report gates the real bytes end to end;
//! - the OCP `samples/manifest` report, signed with the OCP sample key, which
//!   lists two open issues (CVSS 7.9 and 8.7): it matches the fictional
//!   ACME release of those bytes, and `max_cvss = 7.0` refuses it.
//!
//! The release keys come from public seeds (demo only); the providers'
//! keys are the published ones.

use super::{key, sign};
use hwprov::Sha256;
use hwprov::wire::bundle;
use hwprov::wire::digest::AltDigest;
use hwprov::wire::statement::{Body, Statement};
use sha2::Digest as _;
use std::path::{Path, PathBuf};

/// Where the published reports and keys are kept in the repository.
pub(crate) fn outside() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("test-vectors/outside/ocp-safe")
}

/// The real providers: policy entity, name, country, key file.
pub(crate) const PROVIDERS: &[(&str, &str, &str, &str)] = &[
    (
        "atredis",
        "Atredis Partners",
        "US",
        "atredis_ocp_safe_ecdsa_p521.pub",
    ),
    (
        "ioactive",
        "IOActive, Inc.",
        "US",
        "ioactive-ocp-safe-ecdsa-p521-pub.pem",
    ),
    (
        "keysight",
        "Keysight Technologies (Riscure)",
        "US",
        "keysight_ocp_safe_ecdsa_p521_e1.pub",
    ),
    (
        "kudelski",
        "Kudelski Security",
        "CH",
        "kudelski_ocp_safe_ecdsa_p521.pub",
    ),
    (
        "ncc-group",
        "NCC Group",
        "GB",
        "ocp_safe_ncc_group_ecdsa_p521.pub",
    ),
    (
        "sgs-brightsight",
        "SGS Brightsight",
        "NL",
        "OCP_SAFE_SFR_KEYS_SGS_BRS_2026_public.pem",
    ),
    (
        "tetrel",
        "Tetrel Security",
        "US",
        "tetrel-ocp-sfr-signing-key.pub",
    ),
    (
        "trail-of-bits",
        "Trail of Bits",
        "US",
        "trail_of_bits_ocp_safe_ecdsa_p384.pem",
    ),
];

/// The bytes a manifest report reviewed: its `device.manifest` as compact
/// JSON, as the OCP reference library hashes it.
pub(crate) fn manifest_bytes(report_json: &Path) -> std::io::Result<Vec<u8>> {
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(report_json)?)?;
    let m = v
        .get("device")
        .and_then(|d| d.get("manifest"))
        .ok_or_else(|| std::io::Error::other("no device.manifest"))?;
    Ok(serde_json::to_string(m)?.into_bytes())
}

/// A release of `img` (component `rom`) naming it by SHA-256 and by
/// SHA-384 and SHA-512.
pub(crate) fn release(
    vendor: &str,
    model: &str,
    name: &str,
    version: &str,
    svn: u64,
    img: &[u8],
) -> Statement {
    let mut st = super::release(vendor, vendor, model, "rom", name, version, svn, img);
    if let Body::Firmware(fw) = &mut st.body {
        fw.digests = vec![
            AltDigest::Sha384(sha2::Sha384::digest(img).into()),
            AltDigest::Sha512(sha2::Sha512::digest(img).into()),
        ];
    }
    st
}

fn policy() -> String {
    let mut s = String::from(
        "# The OCP S.A.F.E. example: no firmware is installed without a S.A.F.E.\n\
         # review of exactly its bytes, by an accredited provider, no older than\n\
         # two years, with no open issue at CVSS 7.0 or above.\n\
         # The providers' keys are the published ones (keys/); the vendors are\n\
         # fictional, their keys come from public seeds (demo only).\n\
         [policy]\nname = \"example-bmc-firmware-reviews\"\nversion = \"2026-11-22\"\n\n\
         [jurisdictions]\nhigh_risk = [\"CN\", \"RU\"]\n\n\
         [[entities]]\nid = \"polaris-bmc\"\nname = \"Polaris BMC Systems\"\ncountry = \"US\"\n\n\
         [[entities]]\nid = \"acme-inc\"\nname = \"ACME Inc\"\ncountry = \"US\"\n\n",
    );
    for (id, name, country, _) in PROVIDERS {
        s +=
            &format!("[[entities]]\nid = \"{id}\"\nname = \"{name}\"\ncountry = \"{country}\"\n\n");
    }
    s += "# The key the OCP publishes with its samples: trusted here only to show a\n\
          # report that verifies and still fails the policy. Never trust it in production.\n\
          [[entities]]\nid = \"ocp-sample-lab\"\nname = \"OCP sample key (My Pentest Corporation)\"\ncountry = \"US\"\n\n";
    for v in ["polaris-bmc", "acme-inc"] {
        s += &format!(
            "[[keys]]\nentity = \"{v}\"\npublic_key = \"{}\"\nroles = [\"firmware\"]\n\n",
            key(v, 0).public().to_text()
        );
    }
    for (id, _, _, file) in PROVIDERS {
        s += &format!(
            "[[keys]]\nentity = \"{id}\"\npublic_key_file = \"keys/{file}\"\nroles = [\"evaluation\"]\n\n"
        );
    }
    s += "[[keys]]\nentity = \"ocp-sample-lab\"\npublic_key_file = \"keys/ocp-sample-testkey_ecdsa_p521.pub\"\nroles = [\"evaluation\"]\n\n";
    s += "[rules]\nfirmware_evaluations = [\"ocp-safe\"]\n\n[evaluations.ocp-safe]\nlabs = [";
    let labs: Vec<String> = PROVIDERS
        .iter()
        .map(|p| format!("\"{}\"", p.0))
        .chain(std::iter::once("\"ocp-sample-lab\"".to_owned()))
        .collect();
    s += &labs.join(", ");
    s += "]\nmax_age_days = 1460\nmax_cvss = 7.0\n";
    s
}

fn state(vendor: &str, model: &str, serial: &str, name: &str) -> String {
    format!(
        "{{\n  \"device\": {{\"vendor\": \"{vendor}\", \"model\": \"{model}\", \"serial\": \"{serial}\"}},\n  \"installed\": {{\n    \"rom\": {{\"name\": \"{name}\", \"version\": \"0.9\", \"svn\": 1, \"image\": \"{}\"}}\n  }}\n}}\n",
        Sha256::of(format!("{name} 0.9").as_bytes())
    )
}

/// Writes the example into `out`; returns the files written.
pub(crate) fn generate(out: &Path) -> std::io::Result<Vec<PathBuf>> {
    let src = outside();
    let mut written = Vec::new();
    let mut put = |rel: &str, bytes: &[u8]| -> std::io::Result<()> {
        let p = out.join(rel);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d)?;
        }
        std::fs::write(&p, bytes)?;
        written.push(p);
        Ok(())
    };
    put("policy.toml", policy().as_bytes())?;
    for (_, _, _, file) in PROVIDERS {
        put(
            &format!("keys/{file}"),
            &std::fs::read(src.join("keys").join(file))?,
        )?;
    }
    put(
        "keys/ocp-sample-testkey_ecdsa_p521.pub",
        &std::fs::read(src.join("samples/manifest/testkey_ecdsa_p521.pub"))?,
    )?;

    // Polaris BMC: the AX3000 boot ROM, reviewed by Keysight Riscure.
    let axiado = "axiado-ax3000_series_bootrom-scope_1";
    let rom = manifest_bytes(&src.join(format!("reports/{axiado}.json")))?;
    let report = std::fs::read(src.join(format!("reports/{axiado}_signed.jws")))?;
    let rel = release("polaris-bmc", "PB-9000", "ax3000-bootrom", "B0", 2, &rom);
    let rel = sign(&rel, &[&key("polaris-bmc", 0)]);
    put("images/pb9000-bootrom-b0.bin", &rom)?;
    put(&format!("reports/{axiado}_signed.jws"), &report)?;
    put("release-pb9000-bootrom-b0.cose", &rel)?;
    put(
        "bundle-pb9000-bootrom-b0.cbor",
        &bundle::encode(&[rel.clone(), report.trim_ascii_end().to_vec()]),
    )?;
    put("bundle-pb9000-no-report.cbor", &bundle::encode(&[rel]))?;
    put(
        "state-pb9000.json",
        state("polaris-bmc", "PB-9000", "PB9-000417", "ax3000-bootrom").as_bytes(),
    )?;

    // ACME: the OCP sample manifest, reviewed with two open issues.
    let img = manifest_bytes(&src.join("samples/manifest/manifest.json"))?;
    let report = std::fs::read(src.join("samples/manifest/manifest.jws"))?;
    let rel = release(
        "acme-inc",
        "roadrunner-trap",
        "roadrunner-fw",
        "1.2.3",
        3,
        &img,
    );
    let rel = sign(&rel, &[&key("acme-inc", 0)]);
    put("images/roadrunner-1.2.3.bin", &img)?;
    put("release-roadrunner-1.2.3.cose", &rel)?;
    put("reports/ocp-sample-manifest.jws", &report)?;
    put(
        "bundle-roadrunner-1.2.3.cbor",
        &bundle::encode(&[rel.clone(), report.trim_ascii_end().to_vec()]),
    )?;
    put(
        "state-roadrunner.json",
        state("acme-inc", "roadrunner-trap", "RR-0042", "roadrunner-fw").as_bytes(),
    )?;
    Ok(written)
}
