//! The statements of SPEC section 3 as typed values, their deterministic CBOR
//! payload encoding and the JSON authoring form of SPEC section 5.

use crate::wire::cbor::{self, CborError, Value, ValueRef};
use crate::wire::country::Country;
use crate::wire::digest::Sha256;
use crate::wire::time::Timestamp;
use std::fmt;

/// The only payload format version.
pub const FORMAT_VERSION: u64 = 1;

/// A supply-chain step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// Chip design.
    Design,
    /// Front-end wafer fabrication.
    Fab,
    /// Assembly, test and packaging.
    Atp,
    /// Board or system assembly.
    Integration,
    /// A firmware image built from source.
    Build,
}

impl Stage {
    /// All stages in supply-chain order.
    pub const ALL: [Stage; 5] = [
        Stage::Design,
        Stage::Fab,
        Stage::Atp,
        Stage::Integration,
        Stage::Build,
    ];

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The wire name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Stage::Design => "design",
            Stage::Fab => "fab",
            Stage::Atp => "atp",
            Stage::Integration => "integration",
            Stage::Build => "build",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a step happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// Site name.
    pub name: String,
    /// Site country.
    pub country: Country,
}

/// A `stage` statement: one step, signed by the party that performed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageBody {
    /// Which step.
    pub stage: Stage,
    /// Part number produced.
    pub part: String,
    /// Lot, batch or serial range.
    pub lot: String,
    /// Where it happened.
    pub site: Site,
    /// Stage statements consumed.
    pub inputs: Vec<Sha256>,
    /// Process node, informational.
    pub node: Option<String>,
}

/// Vendor, model and serial of a unit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Product {
    /// Vendor.
    pub vendor: String,
    /// Model.
    pub model: String,
    /// Serial number.
    pub serial: String,
}

/// A component of a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    /// Reference designator, unique in the device.
    pub reference: String,
    /// Part number.
    pub part: String,
    /// Lot.
    pub lot: String,
    /// Stage statements of the component's last step(s).
    pub provenance: Vec<Sha256>,
}

/// Firmware installed on a device component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    /// The component ref.
    pub component: String,
    /// Firmware name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Security version number.
    pub svn: u64,
    /// Image digest.
    pub image: Sha256,
}

/// A `device` statement, signed by its vendor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceBody {
    /// Vendor, model, serial.
    pub product: Product,
    /// The class (network segment) the vendor suggests; optional. Fleet
    /// shares use it only where the policy declares the class.
    pub class: Option<String>,
    /// Components.
    pub components: Vec<Component>,
    /// Installed firmware.
    pub firmware: Vec<Installed>,
}

/// The hardware a firmware release is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Vendor.
    pub vendor: String,
    /// Model.
    pub model: String,
    /// Component ref.
    pub component: String,
}

/// A `firmware` statement: a release, signed by the firmware publisher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirmwareBody {
    /// What it is for.
    pub target: Target,
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Security version number.
    pub svn: u64,
    /// Digest of the exact image bytes.
    pub image: Sha256,
    /// Image length in bytes.
    pub size: u64,
    /// The same image under SHA-384 and SHA-512 (optional, at most one
    /// each): what outside evidence naming images that way matches.
    pub digests: Vec<crate::wire::digest::AltDigest>,
    /// The `build` stage statements of this image (where and by whom it
    /// was built; optional, empty when absent).
    pub provenance: Vec<Sha256>,
}

/// Outcome of an evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvalResult {
    /// Passed.
    Pass,
    /// Failed.
    Fail,
}

/// An `evaluation` statement, signed by a lab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvaluationBody {
    /// Image or statement digest assessed.
    pub subject: Sha256,
    /// Scheme name.
    pub scheme: String,
    /// Pass or fail.
    pub result: EvalResult,
}

/// The type-specific part of a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// `stage`.
    Stage(StageBody),
    /// `device`.
    Device(DeviceBody),
    /// `firmware`.
    Firmware(FirmwareBody),
    /// `evaluation`.
    Evaluation(EvaluationBody),
}

/// A checked statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The issuing entity's id in the trust policy.
    pub issuer: String,
    /// When it was signed.
    pub issued: Timestamp,
    /// Optional expiry.
    pub expires: Option<Timestamp>,
    /// Optional extension map, signed and otherwise ignored.
    pub ext: Option<Value>,
    /// Type-specific fields.
    pub body: Body,
}

mod authoring;
mod fields;

pub use authoring::cbor_to_json;
pub use fields::StatementError;
use fields::{Fields, Problem, as_text, as_time, bad, nonempty};

impl Statement {
    /// Decodes a payload: well-formed CBOR, then the deterministic-encoding
    /// check, then the schema.
    pub fn decode(payload: &[u8], max_depth: usize) -> Result<Statement, StatementError> {
        let d = match cbor::decode_ref(payload, max_depth) {
            Ok(d) => d,
            Err(CborError::DuplicateKey | CborError::NonMinimal) => {
                return Err(StatementError::NonCanonical);
            }
            Err(e) => return Err(StatementError::Cbor(e)),
        };
        // Deterministic = shortest heads and definite lengths (both enforced
        // by the decoder) and sorted keys.
        if !d.sorted {
            return Err(StatementError::NonCanonical);
        }
        Self::from_ref(d.value)
    }

    /// Checks a decoded payload against the schema of SPEC section 3.
    pub fn from_value(v: Value) -> Result<Statement, StatementError> {
        Self::from_ref(v.borrow())
    }

    fn from_ref(v: ValueRef<'_>) -> Result<Statement, StatementError> {
        let mut f = Fields::new("", v)?;
        let version = f.uint("v")?;
        if version != FORMAT_VERSION {
            return Err(bad(
                "v",
                format!("format version {version} is not supported (only 1)"),
            ));
        }
        let ty = f.text("type")?;
        let issuer = nonempty("issuer", f.text("issuer")?)?;
        let issued = f.conv("issued", as_time)?;
        let expires = f.opt_conv("expires", as_time)?;
        let ext = f.opt_conv("ext", |v| match v {
            ValueRef::Map(_) => Ok(v.to_value()),
            other => Err(Problem::Malformed(format!(
                "expected a map, found {}",
                other.kind()
            ))),
        })?;
        let body = match ty.as_str() {
            "stage" => {
                let st = f.text("stage")?;
                let stage = Stage::parse(&st).ok_or_else(|| {
                    bad(
                        "stage",
                        format!("'{st}' is not one of design, fab, atp, integration"),
                    )
                })?;
                let part = f.text("part")?;
                let lot = f.text("lot")?;
                let mut s = f.map("site")?;
                let name = s.text("name")?;
                let cc = s.text("country")?;
                let country = Country::new(&cc).map_err(|e| bad("site.country", e.to_string()))?;
                s.finish()?;
                let inputs = f.digests("inputs")?;
                let node = f.opt_conv("node", as_text)?;
                Body::Stage(StageBody {
                    stage,
                    part,
                    lot,
                    site: Site { name, country },
                    inputs,
                    node,
                })
            }
            "device" => {
                let mut p = f.map("product")?;
                let product = Product {
                    vendor: p.text("vendor")?,
                    model: p.text("model")?,
                    serial: p.text("serial")?,
                };
                p.finish()?;
                let class = f.opt_conv("class", as_text)?;
                let mut components: Vec<Component> = Vec::new();
                // Refs seen so far: duplicate and firmware checks must not
                // be quadratic in a 1 MiB statement's thousands of entries.
                let mut refs: std::collections::HashSet<String> = std::collections::HashSet::new();
                for (n, v) in f.array("components")?.into_iter().enumerate() {
                    let path = format!("components[{n}]");
                    let mut c = Fields::new(&path, v)?;
                    let comp = Component {
                        reference: nonempty(&c.sub("ref"), c.text("ref")?)?,
                        part: c.text("part")?,
                        lot: c.text("lot")?,
                        provenance: c.digests("provenance")?,
                    };
                    c.finish()?;
                    if !refs.insert(comp.reference.clone()) {
                        return Err(bad(
                            &path,
                            format!("component ref '{}' appears twice", comp.reference),
                        ));
                    }
                    components.push(comp);
                }
                let mut firmware = Vec::new();
                for (n, v) in f.array("firmware")?.into_iter().enumerate() {
                    let path = format!("firmware[{n}]");
                    let mut i = Fields::new(&path, v)?;
                    let inst = Installed {
                        component: i.text("component")?,
                        name: i.text("name")?,
                        version: i.text("version")?,
                        svn: i.uint("svn")?,
                        image: i.digest("image")?,
                    };
                    i.finish()?;
                    if !refs.contains(&inst.component) {
                        return Err(bad(
                            &format!("{path}.component"),
                            format!(
                                "'{}' is not the ref of a component of this device",
                                inst.component
                            ),
                        ));
                    }
                    firmware.push(inst);
                }
                Body::Device(DeviceBody {
                    product,
                    class,
                    components,
                    firmware,
                })
            }
            "firmware" => {
                let mut t = f.map("target")?;
                let target = Target {
                    vendor: t.text("vendor")?,
                    model: t.text("model")?,
                    component: t.text("component")?,
                };
                t.finish()?;
                Body::Firmware(FirmwareBody {
                    target,
                    name: f.text("name")?,
                    version: f.text("version")?,
                    svn: f.uint("svn")?,
                    image: f.digest("image")?,
                    size: f.uint("size")?,
                    digests: f.alt_digests("digests")?,
                    provenance: f.opt_digests("provenance")?,
                })
            }
            "evaluation" => {
                let subject = f.digest("subject")?;
                let scheme = nonempty("scheme", f.text("scheme")?)?;
                let result = match f.text("result")?.as_str() {
                    "pass" => EvalResult::Pass,
                    "fail" => EvalResult::Fail,
                    other => {
                        return Err(bad(
                            "result",
                            format!("'{other}' is neither 'pass' nor 'fail'"),
                        ));
                    }
                };
                Body::Evaluation(EvaluationBody {
                    subject,
                    scheme,
                    result,
                })
            }
            other => {
                return Err(bad(
                    "type",
                    format!("'{other}' is not one of stage, device, firmware, evaluation"),
                ));
            }
        };
        f.finish()?;
        if let Some(e) = expires
            && e <= issued
        {
            return Err(bad(
                "expires",
                format!("{e} is not later than issued ({issued})"),
            ));
        }
        Ok(Statement {
            issuer,
            issued,
            expires,
            ext,
            body,
        })
    }

    /// The `type` field.
    pub fn type_name(&self) -> &'static str {
        match self.body {
            Body::Stage(_) => "stage",
            Body::Device(_) => "device",
            Body::Firmware(_) => "firmware",
            Body::Evaluation(_) => "evaluation",
        }
    }

    /// The role a key needs to sign this statement: the stage name for a
    /// `stage`, otherwise the type name (SPEC section 6).
    pub fn role(&self) -> &'static str {
        match &self.body {
            Body::Stage(s) => s.stage.as_str(),
            _ => self.type_name(),
        }
    }

    /// The payload as a CBOR map (not yet encoded).
    pub fn to_value(&self) -> Value {
        let t = |s: &str| Value::Text(s.to_owned());
        let mut m: Vec<(Value, Value)> = vec![
            (t("v"), Value::Uint(FORMAT_VERSION)),
            (t("type"), t(self.type_name())),
            (t("issuer"), t(&self.issuer)),
            (t("issued"), Value::Uint(self.issued.0)),
        ];
        if let Some(e) = self.expires {
            m.push((t("expires"), Value::Uint(e.0)));
        }
        if let Some(ext) = &self.ext {
            m.push((t("ext"), ext.clone()));
        }
        let digests = |d: &[Sha256]| Value::Array(d.iter().map(Sha256::to_cbor).collect());
        let map = |pairs: Vec<(&str, Value)>| {
            Value::Map(pairs.into_iter().map(|(k, v)| (t(k), v)).collect())
        };
        match &self.body {
            Body::Stage(s) => {
                m.push((t("stage"), t(s.stage.as_str())));
                m.push((t("part"), t(&s.part)));
                m.push((t("lot"), t(&s.lot)));
                m.push((
                    t("site"),
                    map(vec![
                        ("name", t(&s.site.name)),
                        ("country", t(s.site.country.as_str())),
                    ]),
                ));
                m.push((t("inputs"), digests(&s.inputs)));
                if let Some(n) = &s.node {
                    m.push((t("node"), t(n)));
                }
            }
            Body::Device(d) => {
                m.push((
                    t("product"),
                    map(vec![
                        ("vendor", t(&d.product.vendor)),
                        ("model", t(&d.product.model)),
                        ("serial", t(&d.product.serial)),
                    ]),
                ));
                if let Some(c) = &d.class {
                    m.push((t("class"), t(c)));
                }
                m.push((
                    t("components"),
                    Value::Array(
                        d.components
                            .iter()
                            .map(|c| {
                                map(vec![
                                    ("ref", t(&c.reference)),
                                    ("part", t(&c.part)),
                                    ("lot", t(&c.lot)),
                                    ("provenance", digests(&c.provenance)),
                                ])
                            })
                            .collect(),
                    ),
                ));
                m.push((
                    t("firmware"),
                    Value::Array(
                        d.firmware
                            .iter()
                            .map(|i| {
                                map(vec![
                                    ("component", t(&i.component)),
                                    ("name", t(&i.name)),
                                    ("version", t(&i.version)),
                                    ("svn", Value::Uint(i.svn)),
                                    ("image", i.image.to_cbor()),
                                ])
                            })
                            .collect(),
                    ),
                ));
            }
            Body::Firmware(fw) => {
                m.push((
                    t("target"),
                    map(vec![
                        ("vendor", t(&fw.target.vendor)),
                        ("model", t(&fw.target.model)),
                        ("component", t(&fw.target.component)),
                    ]),
                ));
                m.push((t("name"), t(&fw.name)));
                m.push((t("version"), t(&fw.version)));
                m.push((t("svn"), Value::Uint(fw.svn)));
                m.push((t("image"), fw.image.to_cbor()));
                m.push((t("size"), Value::Uint(fw.size)));
                if !fw.digests.is_empty() {
                    m.push((
                        t("digests"),
                        Value::Array(fw.digests.iter().map(|d| d.to_cbor()).collect()),
                    ));
                }
                if !fw.provenance.is_empty() {
                    m.push((t("provenance"), digests(&fw.provenance)));
                }
            }
            Body::Evaluation(e) => {
                m.push((t("subject"), e.subject.to_cbor()));
                m.push((t("scheme"), t(&e.scheme)));
                m.push((
                    t("result"),
                    t(match e.result {
                        EvalResult::Pass => "pass",
                        EvalResult::Fail => "fail",
                    }),
                ));
            }
        }
        Value::Map(m)
    }

    /// The payload bytes, in core deterministic encoding.
    pub fn encode(&self) -> Vec<u8> {
        cbor::encode_deterministic(&self.to_value())
    }
}

#[cfg(test)]
mod tests {
    use super::fields::{closest, distance};
    use super::*;
    use serde_json::json;

    #[test]
    fn misspelt_fields_get_a_hint() {
        assert_eq!(distance("isuer", "issuer"), Some(1));
        assert_eq!(distance("", "ab"), Some(2));
        assert_eq!(
            closest("isuer", ["issued", "issuer", "type"].into_iter()),
            Some("issuer")
        );
        assert_eq!(closest("colour", ["issuer", "type"].into_iter()), None);
        let mut m = Statement::from_json(&json!({"v": 1}))
            .unwrap_err()
            .to_string();
        assert!(m.contains("type: required field is missing"), "{m}");
        m = Statement::from_json(&json!({"v": 1, "tpye": "stage"}))
            .unwrap_err()
            .to_string();
        assert!(
            m.contains("unknown field `tpye`: a misspelling of `type`?"),
            "{m}"
        );
        // A valid field that is one edit away is not a misspelling.
        m = Statement::from_json(
            &json!({"v": 1, "type": "stage", "issued": "2026-01-01T00:00:00Z", "isuer": "x"}),
        )
        .unwrap_err()
        .to_string();
        assert!(
            m.contains("unknown field `isuer`: a misspelling of `issuer`?"),
            "{m}"
        );
    }

    #[test]
    fn ext_with_a_negative_integer_below_i64_min_renders_without_panic() {
        // Regression (cargo fuzz, statement target): -2^64 inside ext.
        let mut st = Statement {
            issuer: "x".into(),
            issued: Timestamp(1),
            expires: None,
            ext: Some(Value::Map(vec![
                (Value::Text("big".into()), Value::Nint(u64::MAX)),
                (Value::Text("small".into()), Value::Nint(0)),
            ])),
            body: Body::Evaluation(EvaluationBody {
                subject: Sha256([0; 32]),
                scheme: "s".into(),
                result: EvalResult::Pass,
            }),
        };
        let j = st.to_json();
        assert_eq!(j["ext"]["big"]["nint"], "-18446744073709551616");
        assert_eq!(j["ext"]["small"], -1);
        let bytes = st.encode();
        assert_eq!(Statement::decode(&bytes, 16).unwrap(), st);
        st.ext = None;
        assert_eq!(Statement::from_json(&st.to_json()).unwrap(), st);
    }
}
