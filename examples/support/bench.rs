//! Inputs for the benchmarks.

use super::*;
use hwprov::wire::statement::{Body, Component, DeviceBody, Installed, Product, Stage, Statement};

/// A device with 16 components (design, fab, atp each) and one signed
/// firmware release: 1 + 48 + 1 = 50 statements.
pub(crate) fn fifty_statement_bundle() -> Vec<u8> {
    let mut evidence = Vec::new();
    let mut components = Vec::new();
    for i in 0..16 {
        let part = format!("AXC-{i:03}");
        let d = sign_by(&stage(
            "nordic-asic",
            Stage::Design,
            &part,
            "D-1",
            "Oulu",
            "FI",
            vec![],
        ));
        let f = sign_by(&stage(
            "formosa-foundry",
            Stage::Fab,
            &part,
            "W-1",
            "Hsinchu",
            "TW",
            vec![Sha256::of(&d)],
        ));
        let a = sign_by(&stage(
            "penang-osat",
            Stage::Atp,
            &part,
            "A-1",
            "Penang",
            "MY",
            vec![Sha256::of(&f)],
        ));
        components.push(Component {
            reference: format!("U{i}"),
            part,
            lot: "A-1".into(),
            provenance: vec![Sha256::of(&a)],
        });
        evidence.extend([d, f, a]);
    }
    let img = image("bmc", "2.4.1", 1024);
    evidence.push(sign_by(&release(
        "aurora-networks",
        "aurora-networks",
        "AX-5000",
        "U0",
        "bmc",
        "2.4.1",
        7,
        &img,
    )));
    let dev = Statement {
        issuer: "aurora-networks".into(),
        issued: t(ISSUED),
        expires: None,
        ext: None,
        body: Body::Device(DeviceBody {
            product: Product {
                vendor: "aurora-networks".into(),
                model: "AX-5000".into(),
                serial: "B-1".into(),
            },
            class: Some("core".into()),
            components,
            firmware: vec![Installed {
                component: "U0".into(),
                name: "bmc".into(),
                version: "2.4.1".into(),
                svn: 7,
                image: Sha256::of(&img),
            }],
        }),
    };
    let mut all = vec![sign_by(&dev)];
    all.extend(evidence);
    hwprov::wire::bundle::encode(&all)
}

/// A policy with `entities` entities and `keys` keys: the fictional parties
/// plus generated ones (owners, designations, several keys each), a few
/// waivers and class overrides. `rules_off` turns every policy rule off.
pub(crate) fn large_policy(entities: usize, keys: usize, rules_off: bool) -> String {
    let mut extra = String::new();
    let generated = entities.saturating_sub(ACTORS.len());
    let countries = [
        "DE", "FR", "NL", "SE", "FI", "JP", "KR", "US", "GB", "IT", "ES", "PL", "TW", "MY", "CN",
        "RU",
    ];
    for i in 0..generated {
        extra += &format!(
            "[[entities]]\nid = \"gen-{i:03}\"\nname = \"Generated Supplier {i}\"\ncountry = \"{}\"\n",
            countries[i % countries.len()]
        );
        if i % 10 == 4 {
            extra += &format!("parent = \"gen-{:03}\"\n", i - 1);
        } else if i % 10 == 9 {
            // Ownership that changed on a date (SPEC 6.7).
            extra += &format!(
                "parents = [ {{ entity = \"gen-{:03}\", until = 2025-01-01T00:00:00Z }}, {{ entity = \"gen-{:03}\", since = 2025-01-01T00:00:00Z }} ]\n",
                i - 1,
                i - 2
            );
        }
        if i % 17 == 0 {
            extra += &format!(
                "designations = [ {{ list = \"bench-list\", since = 2020-01-01T00:00:00Z }}, {{ list = \"deny-{}\", since = 2021-01-01T00:00:00Z, until = 2030-01-01T00:00:00Z }} ]\n",
                i % 10
            );
        }
        extra += "\n";
    }
    let base_keys = ACTORS.iter().filter(|a| !a.roles.is_empty()).count() + 3;
    for k in 0..keys.saturating_sub(base_keys) {
        let owner = if generated > 0 {
            format!("gen-{:03}", k % generated)
        } else {
            "rhine-lab".into()
        };
        let roles = [
            "[\"design\"]",
            "[\"fab\"]",
            "[\"atp\"]",
            "[\"firmware\", \"device\"]",
        ][k % 4];
        extra += &format!(
            "[[keys]]\nentity = \"{owner}\"\npublic_key = \"{}\"\nroles = {roles}\nnot_before = 2024-01-01T00:00:00Z\n\n",
            key(&owner, 1000 + k as u32).public().to_text()
        );
    }
    for i in 0..10 {
        extra += &format!(
            "[[waivers]]\nrule = \"jurisdiction.control\"\nentity = \"gen-{:03}\"\nexpires = 2027-12-31T00:00:00Z\nreason = \"bench waiver {i}\"\n\n",
            i * 3 % generated.max(1)
        );
    }
    let mut rules = String::from(
        "required_stages = [\"design\", \"fab\", \"atp\"]\nfirmware_min_signers = 1\n",
    );
    if rules_off {
        for r in hwprov::Rule::ALL.iter().filter(|r| r.is_configurable()) {
            rules += &format!("\"{r}\" = \"off\"\n");
        }
    }
    // 20 declared lists: 10 deny lists scoped by class, 10 allow lists
    // every issuer of the bench bundle holds an approval on.
    for i in 0..10 {
        extra += &format!(
            "[[lists]]\nid = \"deny-{i}\"\nkind = \"deny\"\nsource = \"sha256:{}\"\nclasses = [\"core\", \"ran\"]\n\n",
            Sha256::of(format!("list {i}").as_bytes()).hex()
        );
        extra += &format!(
            "[[lists]]\nid = \"allow-{i}\"\nkind = \"allow\"\nroles = [\"{}\"]\n\n",
            ["design", "fab", "atp", "device", "firmware"][i % 5]
        );
    }
    rules += "\n[classes.core]\n[classes.ran]\n[classes.periphery.rules]\n\"jurisdiction.site\" = \"warn\"\n\n";
    if rules_off {
        rules += "[zones.sensitive]\n[zones.coastal]\n";
    } else {
        rules += concat!(
            "[roles.atp.rules]\n\"jurisdiction.site\" = \"warn\"\n\"jurisdiction.control\" = \"warn\"\n\n",
            "[classes.core.rules]\nfirmware_min_signers = 1\n\"jurisdiction.site\" = \"deny\"\n\n",
            "[classes.core.roles.device.rules]\n\"jurisdiction.control\" = \"deny\"\n\n",
            "[zones.sensitive.rules]\n\"jurisdiction.control\" = \"deny\"\n\n",
            "[zones.coastal.rules]\n\"entity.opaque\" = \"deny\"\n\n",
        );
    }
    let approvals: String = (0..10)
        .map(|i| format!("{{ list = \"allow-{i}\", since = 2024-01-01T00:00:00Z }}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut p = policy("bench-large", &rules, &extra);
    for a in ACTORS {
        p = p.replacen(
            &format!("name = \"{}\"\n", a.name),
            &format!("name = \"{}\"\napprovals = [ {approvals} ]\n", a.name),
            1,
        );
    }
    p
}

/// An operator's deployment file of `rows` units across the bench
/// policy's classes and zones (SPEC 6.3).
pub(crate) fn deployment_csv(rows: usize) -> String {
    let mut csv = String::from("vendor,model,serial,class,zones,installed\n");
    for i in 0..rows {
        let class = ["core", "ran", "periphery"][i % 3];
        let zones = ["", "sensitive", "sensitive;coastal"][i % 3];
        csv.push_str(&format!(
            "aurora-networks,AX-5000,AX5-{i:07},{class},{zones},2025-03-01T00:00:00Z\n"
        ));
    }
    csv
}
