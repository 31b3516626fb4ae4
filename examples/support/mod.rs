//! Fixture support shared by `examples/` and `tests/`: a fictional supply
//! chain with keys derived from public seeds (never trust them outside
//! tests), statement builders, and low-level COSE builders for attack cases.
//!
//! Every byte produced here is deterministic: Ed25519 signatures are
//! deterministic and the keys come from fixed seeds.
#![allow(dead_code, clippy::too_many_arguments)]

use hwprov::wire::cbor::{self, Value};
use hwprov::wire::country::Country;
use hwprov::wire::envelope;
use hwprov::wire::statement::{
    Body, Component, DeviceBody, EvalResult, EvaluationBody, FirmwareBody, Installed, Product,
    Site, Stage, StageBody, Statement, Target,
};
use hwprov::{SecretKey, Sha256, Timestamp};

/// 2026-03-01T00:00:00Z: when the fixtures' statements are issued.
pub(crate) const ISSUED: u64 = 1_772_323_200;
/// 2026-11-21T00:00:00Z: the evaluation time used by tests and the README.
pub(crate) const AT: &str = "2026-11-21T00:00:00Z";

/// A party of the fictional supply chain.
pub(crate) struct Actor {
    pub id: &'static str,
    pub name: &'static str,
    pub country: &'static str,
    pub parent: Option<&'static str>,
    pub roles: &'static [&'static str],
    /// Extra TOML lines for the entity (designations).
    pub extra: &'static str,
}

/// The fictional parties (names are invented; countries follow DOMAIN.md's
/// picture of where each step of the chain is done).
pub(crate) const ACTORS: &[Actor] = &[
    Actor {
        id: "nordic-asic",
        name: "Nordic ASIC Oy",
        country: "FI",
        parent: None,
        roles: &["design"],
        extra: "",
    },
    Actor {
        id: "formosa-foundry",
        name: "Formosa Foundry Corp",
        country: "TW",
        parent: None,
        roles: &["fab"],
        extra: "",
    },
    Actor {
        id: "severn-wafer",
        name: "Severn Wafer Ltd",
        country: "GB",
        parent: Some("dragon-holdings"),
        roles: &["fab"],
        extra: "",
    },
    Actor {
        id: "dragon-holdings",
        name: "Dragon Semiconductor Holdings",
        country: "CN",
        parent: None,
        roles: &[],
        extra: "",
    },
    Actor {
        id: "penang-osat",
        name: "Penang Assembly Sdn Bhd",
        country: "MY",
        parent: None,
        roles: &["atp"],
        extra: "",
    },
    Actor {
        id: "pearl-river-osat",
        name: "Pearl River Packaging Co",
        country: "CN",
        parent: None,
        roles: &["atp"],
        extra: "",
    },
    Actor {
        id: "aurora-networks",
        name: "Aurora Networks AB",
        country: "SE",
        parent: None,
        roles: &["device", "firmware", "integration"],
        extra: "",
    },
    Actor {
        id: "boreal-radio",
        name: "Boreal Radio Oy",
        country: "FI",
        parent: None,
        roles: &["device", "firmware", "integration"],
        extra: "",
    },
    Actor {
        id: "eastwind-telecom",
        name: "Eastwind Telecom Equipment",
        country: "CN",
        parent: None,
        roles: &["device", "firmware", "integration"],
        extra: "designations = [ { list = \"example-entity-list\", since = 2019-05-16T00:00:00Z } ]\n",
    },
    Actor {
        id: "rhine-lab",
        name: "Rhine Evaluation Lab GmbH",
        country: "DE",
        parent: None,
        roles: &["evaluation"],
        extra: "",
    },
];

/// The key of an actor, from a public seed. `n` selects a second key.
pub(crate) fn key(id: &str, n: u32) -> SecretKey {
    SecretKey::from_seed(&Sha256::of(format!("hwprov example key {id} {n}").as_bytes()).0)
}

/// TOML for `[[entities]]` and `[[keys]]` of every actor (one key each, plus a
/// second firmware key for aurora-networks).
pub(crate) fn trust_toml() -> String {
    let mut s = String::new();
    for a in ACTORS {
        s += &format!(
            "[[entities]]\nid = \"{}\"\nname = \"{}\"\ncountry = \"{}\"\n",
            a.id, a.name, a.country
        );
        if let Some(p) = a.parent {
            s += &format!("parent = \"{p}\"\n");
        }
        s += a.extra;
        s += "\n";
    }
    for a in ACTORS.iter().filter(|a| !a.roles.is_empty()) {
        s += &key_toml(a.id, 0, a.roles, "");
    }
    for vendor in ["aurora-networks", "boreal-radio", "eastwind-telecom"] {
        s += &key_toml(vendor, 1, &["firmware"], "");
    }
    s
}

/// A vendor group with two subsidiaries (SPEC 6.4 counts them as one
/// supplier): `[[entities]]` and `[[keys]]` to add to a policy whose
/// inventory has their units. Their keys come from public seeds like the
/// other actors'.
pub(crate) fn group_toml() -> String {
    let mut s = String::from(
        "# A vendor group with two subsidiaries: shares count them as one supplier.\n\
         [[entities]]\nid = \"polaris-group\"\nname = \"Polaris Group Holdings\"\ncountry = \"KR\"\n\n\
         [[entities]]\nid = \"polaris-radio\"\nname = \"Polaris Radio GmbH\"\ncountry = \"DE\"\nparent = \"polaris-group\"\n\n\
         [[entities]]\nid = \"polaris-optical\"\nname = \"Polaris Optical KK\"\ncountry = \"JP\"\nparent = \"polaris-group\"\n\n",
    );
    for v in ["polaris-radio", "polaris-optical"] {
        s += &key_toml(v, 0, &["device", "firmware", "integration"], "");
    }
    s
}

/// One `[[keys]]` entry.
pub(crate) fn key_toml(id: &str, n: u32, roles: &[&str], extra: &str) -> String {
    let roles: Vec<String> = roles.iter().map(|r| format!("\"{r}\"")).collect();
    format!(
        "[[keys]]\nentity = \"{id}\"\npublic_key = \"{}\"\nroles = [{}]\n{extra}\n",
        key(id, n).public().to_text(),
        roles.join(", ")
    )
}

/// A complete policy with the given `[rules]` body and extra sections.
pub(crate) fn policy(name: &str, rules: &str, extra: &str) -> String {
    format!(
        "# Generated by examples/support: fictional parties, keys from public seeds.\n\
         [policy]\nname = \"{name}\"\nversion = \"2026-11-01\"\n\n\
         [jurisdictions]\nhigh_risk = [\"CN\", \"RU\"]\n\n{}\
         [rules]\n{rules}\n{extra}",
        trust_toml()
    )
}

pub(crate) fn t(secs: u64) -> Timestamp {
    Timestamp(secs)
}

pub(crate) fn stage(
    issuer: &str,
    stage: Stage,
    part: &str,
    lot: &str,
    site: &str,
    country: &str,
    inputs: Vec<Sha256>,
) -> Statement {
    Statement {
        issuer: issuer.into(),
        issued: t(ISSUED),
        expires: None,
        ext: None,
        body: Body::Stage(StageBody {
            stage,
            part: part.into(),
            lot: lot.into(),
            site: Site {
                name: site.into(),
                country: Country::new(country).unwrap(),
            },
            inputs,
            node: if stage == Stage::Fab {
                Some("16nm".into())
            } else {
                None
            },
        }),
    }
}

pub(crate) fn sign(st: &Statement, keys: &[&SecretKey]) -> Vec<u8> {
    envelope::sign(&st.encode(), keys)
}

pub(crate) fn sign_by(st: &Statement) -> Vec<u8> {
    sign(st, &[&key(&st.issuer, 0)])
}

/// A chip's signed stage statements along `route`, each citing the one
/// before: the design (`revision`), the fab (`wafer`) and the atp step
/// (`lot`, signed by `atp_signer`).
pub(crate) fn chip_chain(
    route: &Route,
    part: &str,
    revision: &str,
    wafer: &str,
    lot: &str,
    atp_signer: &dyn Fn(&Statement) -> Vec<u8>,
) -> [Vec<u8>; 3] {
    let (design, fab, atp) = (route.design, route.fab, route.atp);
    let d = sign_by(&stage(
        design.0,
        Stage::Design,
        part,
        revision,
        design.1,
        design.2,
        vec![],
    ));
    let f = sign_by(&stage(
        fab.0,
        Stage::Fab,
        part,
        wafer,
        fab.1,
        fab.2,
        vec![Sha256::of(&d)],
    ));
    let a = atp_signer(&stage(
        atp.0,
        Stage::Atp,
        part,
        lot,
        atp.1,
        atp.2,
        vec![Sha256::of(&f)],
    ));
    [d, f, a]
}

/// Where each step of a chip's supply chain happened.
#[derive(Clone, Copy)]
pub(crate) struct Route {
    pub design: (&'static str, &'static str, &'static str),
    pub fab: (&'static str, &'static str, &'static str),
    pub atp: (&'static str, &'static str, &'static str),
}

pub(crate) const CLEAN: Route = Route {
    design: ("nordic-asic", "Oulu design centre", "FI"),
    fab: ("formosa-foundry", "Hsinchu Fab 12", "TW"),
    atp: ("penang-osat", "Bayan Lepas plant 2", "MY"),
};

pub(crate) const HIGH_RISK_ATP: Route = Route {
    atp: ("pearl-river-osat", "Dongguan back-end plant", "CN"),
    ..CLEAN
};

pub(crate) const OWNED_FAB: Route = Route {
    fab: ("severn-wafer", "Newport wafer fab", "GB"),
    ..CLEAN
};

/// A deterministic firmware image of `len` bytes.
pub(crate) fn image(name: &str, version: &str, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 32);
    let mut block = Sha256::of(format!("{name} {version}").as_bytes()).0;
    while out.len() < len {
        out.extend_from_slice(&block);
        block = Sha256::of(&block).0;
    }
    out.truncate(len);
    out
}

pub(crate) fn release(
    issuer: &str,
    vendor: &str,
    model: &str,
    component: &str,
    name: &str,
    version: &str,
    svn: u64,
    img: &[u8],
) -> Statement {
    Statement {
        issuer: issuer.into(),
        issued: t(ISSUED),
        expires: None,
        ext: None,
        body: Body::Firmware(FirmwareBody {
            target: Target {
                vendor: vendor.into(),
                model: model.into(),
                component: component.into(),
            },
            name: name.into(),
            version: version.into(),
            svn,
            image: Sha256::of(img),
            size: img.len() as u64,
            digests: Vec::new(),
            provenance: Vec::new(),
        }),
    }
}

pub(crate) fn evaluation(subject: Sha256, scheme: &str, pass: bool) -> Statement {
    Statement {
        issuer: "rhine-lab".into(),
        issued: t(ISSUED),
        expires: None,
        ext: None,
        body: Body::Evaluation(EvaluationBody {
            subject,
            scheme: scheme.into(),
            result: if pass {
                EvalResult::Pass
            } else {
                EvalResult::Fail
            },
        }),
    }
}

/// One device: vendor, model, serial, class, a chip per route and installed firmware.
pub(crate) struct Unit<'a> {
    pub vendor: &'a str,
    pub model: &'a str,
    pub serial: &'a str,
    pub class: &'a str,
    pub route: Route,
    pub firmware: Option<(&'a str, &'a str, u64, Vec<u8>)>,
    /// Include the signed release of the installed firmware.
    pub signed_firmware: bool,
    /// Which of the vendor's keys sign the release (key numbers).
    pub release_keys: &'a [u32],
    /// Add a binary-equivalence evaluation of the image by rhine-lab (pass or fail).
    pub evaluation: Option<bool>,
}

impl Unit<'_> {
    pub(crate) fn new(serial: &str) -> Unit<'_> {
        Unit {
            vendor: "aurora-networks",
            model: "AX-5000",
            serial,
            class: "core",
            route: CLEAN,
            firmware: Some(("bmc", "2.4.1", 7, image("bmc", "2.4.1", 64 * 1024))),
            signed_firmware: true,
            release_keys: &[0],
            evaluation: None,
        }
    }

    /// The device statement (unsigned) and the evidence, signed.
    pub(crate) fn parts(&self) -> (Statement, Vec<Vec<u8>>) {
        self.parts_with(&sign_by)
    }

    /// Like [`Unit::parts`], with the atp statement signed by `atp_signer`
    /// (attack cases alter or re-sign it).
    pub(crate) fn parts_with(
        &self,
        atp_signer: &dyn Fn(&Statement) -> Vec<u8>,
    ) -> (Statement, Vec<Vec<u8>>) {
        let part = "AXC-100";
        let lot = "A-0001";
        let r = self.route;
        let [d, f, a] = chip_chain(&r, part, "D-1", &format!("W-{lot}"), lot, atp_signer);
        let atp = Sha256::of(&a);
        let mut evidence = vec![d, f, a];
        let mut firmware = Vec::new();
        if let Some((name, version, svn, img)) = &self.firmware {
            firmware.push(Installed {
                component: "U1".into(),
                name: (*name).into(),
                version: (*version).into(),
                svn: *svn,
                image: Sha256::of(img),
            });
            if self.signed_firmware {
                let keys: Vec<SecretKey> = self
                    .release_keys
                    .iter()
                    .map(|n| key(self.vendor, *n))
                    .collect();
                let refs: Vec<&SecretKey> = keys.iter().collect();
                let rel = release(
                    self.vendor,
                    self.vendor,
                    self.model,
                    "U1",
                    name,
                    version,
                    *svn,
                    img,
                );
                evidence.push(sign(&rel, &refs));
            }
            if let Some(pass) = self.evaluation {
                evidence.push(sign_by(&evaluation(
                    Sha256::of(img),
                    "binary-equivalence",
                    pass,
                )));
            }
        }
        let dev = Statement {
            issuer: self.vendor.into(),
            issued: t(ISSUED),
            expires: None,
            ext: None,
            body: Body::Device(DeviceBody {
                product: Product {
                    vendor: self.vendor.into(),
                    model: self.model.into(),
                    serial: self.serial.into(),
                },
                class: Some(self.class.into()),
                components: vec![Component {
                    reference: "U1".into(),
                    part: part.into(),
                    lot: lot.into(),
                    provenance: vec![atp],
                }],
                firmware,
            }),
        };
        (dev, evidence)
    }

    /// The signed bundle.
    pub(crate) fn bundle(&self) -> Vec<u8> {
        self.bundle_with(&sign_by, &|_| {})
    }

    /// The signed bundle, with the device statement's body changed by `edit`
    /// before it is signed.
    pub(crate) fn bundle_with_device(&self, edit: &dyn Fn(&mut DeviceBody)) -> Vec<u8> {
        self.bundle_with(&sign_by, &|d: &mut Statement| {
            if let Body::Device(dev) = &mut d.body {
                edit(dev);
            }
        })
    }

    /// The signed bundle, with the atp statement signed by `atp_signer` and
    /// the device statement changed by `edit` before signing.
    pub(crate) fn bundle_with(
        &self,
        atp_signer: &dyn Fn(&Statement) -> Vec<u8>,
        edit: &dyn Fn(&mut Statement),
    ) -> Vec<u8> {
        let (mut dev, evidence) = self.parts_with(atp_signer);
        edit(&mut dev);
        let mut all = vec![sign_by(&dev)];
        all.extend(evidence);
        hwprov::wire::bundle::encode(&all)
    }
}

/// Builds a COSE_Sign1 by hand from a protected-header map, so attack cases
/// can put anything in it. Signs with `key` over the RFC 9052 Sig_structure.
pub(crate) fn raw_sign1(
    protected: Value,
    unprotected: Value,
    payload: &[u8],
    key: &SecretKey,
) -> Vec<u8> {
    let p = cbor::encode(&protected);
    let tbs = cbor::encode(&Value::Array(vec![
        Value::Text("Signature1".into()),
        Value::Bytes(p.clone()),
        Value::Bytes(vec![]),
        Value::Bytes(payload.to_vec()),
    ]));
    let sig = key.sign(&tbs);
    cbor::encode(&Value::Tag(
        18,
        Box::new(Value::Array(vec![
            Value::Bytes(p),
            unprotected,
            Value::Bytes(payload.to_vec()),
            Value::Bytes(sig.to_vec()),
        ])),
    ))
}

/// The standard protected header for `key`, with optional extra entries.
pub(crate) fn header(key: &SecretKey, alg: i64, extra: Vec<(Value, Value)>) -> Value {
    let alg = if alg < 0 {
        Value::Nint((-1 - alg) as u64)
    } else {
        Value::Uint(alg as u64)
    };
    let mut m = vec![
        (Value::Uint(1), alg),
        (Value::Uint(3), Value::Text(envelope::CONTENT_TYPE.into())),
        (Value::Uint(4), Value::Bytes(key.public().id().0.to_vec())),
    ];
    m.extend(extra);
    Value::Map(m)
}

pub(crate) mod bench;
pub(crate) mod hostile;
pub(crate) mod ocp_safe;
pub(crate) mod policies;
pub(crate) mod supply_chain;
pub(crate) mod vectors;
