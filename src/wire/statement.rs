//! The statements of SPEC section 3 as typed values, their deterministic CBOR
//! payload encoding and the JSON authoring form of SPEC section 5.

use crate::wire::cbor::{self, CborError, Value};
use crate::wire::country::Country;
use crate::wire::digest::{DigestError, Sha256};
use crate::wire::time::Timestamp;
use serde_json::{Map as JsonMap, Value as Json, json};
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
}

impl Stage {
    /// All stages in supply-chain order.
    pub const ALL: [Stage; 4] = [Stage::Design, Stage::Fab, Stage::Atp, Stage::Integration];

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

/// Why a payload was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StatementError {
    /// Not well-formed CBOR in hwprov's profile (rule `statement.malformed`).
    Cbor(CborError),
    /// Differs from its deterministic re-encoding (rule `statement.noncanonical`).
    NonCanonical,
    /// A field is missing, unknown, or has the wrong type or value
    /// (rule `statement.malformed`).
    Malformed {
        /// Path of the field, e.g. `components[0].part`.
        field: String,
        /// What is wrong.
        problem: String,
    },
    /// A digest uses another algorithm than SHA-256 (rule `digest.unsupported`).
    DigestUnsupported {
        /// Path of the field.
        field: String,
        /// The algorithm id.
        alg: i64,
    },
}

impl fmt::Display for StatementError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatementError::Cbor(e) => write!(f, "payload: {e}"),
            StatementError::NonCanonical => write!(
                f,
                "payload is not in core deterministic CBOR encoding (RFC 8949 §4.2.1)"
            ),
            StatementError::Malformed { field, problem } => write!(f, "{field}: {problem}"),
            StatementError::DigestUnsupported { field, alg } => write!(
                f,
                "{field}: digest algorithm {alg} is not supported (only -16, SHA-256)"
            ),
        }
    }
}

impl std::error::Error for StatementError {}

fn bad(field: &str, problem: impl Into<String>) -> StatementError {
    StatementError::Malformed {
        field: field.to_owned(),
        problem: problem.into(),
    }
}

/// Takes named fields out of a CBOR map and refuses whatever is left.
struct Fields {
    path: String,
    entries: Vec<(String, Value)>,
    /// The field names asked for so far, for "did you mean" hints.
    asked: Vec<String>,
}

/// Edit distance of two short names (insertions, deletions, substitutions);
/// `None` for long ones, which are not worth a hint.
fn distance(a: &str, b: &str) -> Option<usize> {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len() > 32 || b.len() > 32 {
        return None;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev.last().copied()
}

/// Every field name of the statement schema (at any level): a key that is
/// one of them is never offered as a misspelling of another.
const FIELD_NAMES: &[&str] = &[
    "v",
    "type",
    "issuer",
    "issued",
    "expires",
    "ext",
    "stage",
    "part",
    "lot",
    "site",
    "name",
    "country",
    "inputs",
    "node",
    "product",
    "vendor",
    "model",
    "serial",
    "class",
    "components",
    "ref",
    "provenance",
    "firmware",
    "component",
    "version",
    "svn",
    "image",
    "target",
    "size",
    "subject",
    "scheme",
    "result",
];

/// The candidate closest to `name` within two edits, if any.
fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .filter_map(|c| distance(name, c).filter(|d| *d <= 2).map(|d| (d, c)))
        .min()
        .map(|(_, c)| c)
}

impl Fields {
    fn new(path: &str, v: Value) -> Result<Fields, StatementError> {
        let Value::Map(m) = v else {
            return Err(bad(
                path_or_root(path),
                format!("expected a map, found {}", v.kind()),
            ));
        };
        let mut entries = Vec::with_capacity(m.len());
        for (k, v) in m {
            let Value::Text(k) = k else {
                return Err(bad(path_or_root(path), "map keys must be text"));
            };
            entries.push((k, v));
        }
        Ok(Fields {
            path: path.to_owned(),
            entries,
            asked: Vec::new(),
        })
    }

    fn sub(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.path)
        }
    }

    fn opt(&mut self, name: &str) -> Option<Value> {
        self.asked.push(name.to_owned());
        let i = self.entries.iter().position(|(k, _)| k == name)?;
        Some(self.entries.swap_remove(i).1)
    }

    fn req(&mut self, name: &str) -> Result<Value, StatementError> {
        self.opt(name).ok_or_else(|| {
            let hint = closest(
                name,
                self.entries
                    .iter()
                    .map(|(k, _)| k.as_str())
                    .filter(|k| !FIELD_NAMES.contains(k)),
            )
            .map_or(String::new(), |k| {
                format!(" (there is an unknown field `{k}`: a misspelling of `{name}`?)")
            });
            bad(&self.sub(name), format!("required field is missing{hint}"))
        })
    }

    /// Converts a field, building its path only if there is an error.
    fn conv<T>(
        &mut self,
        name: &str,
        f: impl FnOnce(Value) -> Result<T, Problem>,
    ) -> Result<T, StatementError> {
        let v = self.req(name)?;
        f(v).map_err(|p| p.at(self.sub(name)))
    }

    fn opt_conv<T>(
        &mut self,
        name: &str,
        f: impl FnOnce(Value) -> Result<T, Problem>,
    ) -> Result<Option<T>, StatementError> {
        match self.opt(name) {
            Some(v) => f(v).map(Some).map_err(|p| p.at(self.sub(name))),
            None => Ok(None),
        }
    }

    fn text(&mut self, name: &str) -> Result<String, StatementError> {
        self.conv(name, as_text)
    }

    fn uint(&mut self, name: &str) -> Result<u64, StatementError> {
        self.conv(name, as_uint)
    }

    fn digest(&mut self, name: &str) -> Result<Sha256, StatementError> {
        self.conv(name, |v| as_digest(&v))
    }

    fn map(&mut self, name: &str) -> Result<Fields, StatementError> {
        let v = self.req(name)?;
        Fields::new(&self.sub(name), v)
    }

    fn array(&mut self, name: &str) -> Result<Vec<Value>, StatementError> {
        self.conv(name, |v| match v {
            Value::Array(items) => Ok(items),
            other => Err(Problem::Malformed(format!(
                "expected an array, found {}",
                other.kind()
            ))),
        })
    }

    fn digests(&mut self, name: &str) -> Result<Vec<Sha256>, StatementError> {
        let items = self.array(name)?;
        let mut out = Vec::with_capacity(items.len());
        for (i, v) in items.iter().enumerate() {
            out.push(as_digest(v).map_err(|p| p.at(format!("{}[{i}]", self.sub(name))))?);
        }
        Ok(out)
    }

    fn finish(self) -> Result<(), StatementError> {
        match self.entries.first() {
            None => Ok(()),
            Some((k, _)) => {
                let hint = closest(k, self.asked.iter().map(String::as_str))
                    .map_or(String::new(), |n| format!("; did you mean `{n}`?"));
                Err(bad(&self.sub(k), format!("unknown field{hint}")))
            }
        }
    }
}

/// What is wrong with a value, before its path is known.
enum Problem {
    Malformed(String),
    DigestUnsupported(i64),
}

impl Problem {
    fn at(self, field: String) -> StatementError {
        match self {
            Problem::Malformed(problem) => StatementError::Malformed { field, problem },
            Problem::DigestUnsupported(alg) => StatementError::DigestUnsupported { field, alg },
        }
    }
}

fn path_or_root(p: &str) -> &str {
    if p.is_empty() { "payload" } else { p }
}

fn as_text(v: Value) -> Result<String, Problem> {
    match v {
        Value::Text(s) => Ok(s),
        other => Err(Problem::Malformed(format!(
            "expected text, found {}",
            other.kind()
        ))),
    }
}

fn as_uint(v: Value) -> Result<u64, Problem> {
    match v {
        Value::Uint(n) => Ok(n),
        other => Err(Problem::Malformed(format!(
            "expected an unsigned integer, found {}",
            other.kind()
        ))),
    }
}

fn as_time(v: Value) -> Result<Timestamp, Problem> {
    let t = Timestamp(as_uint(v)?);
    if t > Timestamp::MAX {
        return Err(Problem::Malformed(format!(
            "time {} is after {}, the last time RFC 3339 can write",
            t.0,
            Timestamp::MAX
        )));
    }
    Ok(t)
}

fn as_digest(v: &Value) -> Result<Sha256, Problem> {
    Sha256::from_cbor(v).map_err(|e| match e {
        DigestError::Unsupported { alg } => Problem::DigestUnsupported(alg),
        _ => Problem::Malformed("expected a digest [-16, 32-byte bstr]".into()),
    })
}

fn nonempty(p: &str, s: String) -> Result<String, StatementError> {
    if s.is_empty() {
        Err(bad(p, "must not be empty"))
    } else {
        Ok(s)
    }
}

impl Statement {
    /// Decodes a payload: well-formed CBOR, then the deterministic-encoding
    /// check, then the schema.
    pub fn decode(payload: &[u8], max_depth: usize) -> Result<Statement, StatementError> {
        let v = match cbor::decode(payload, max_depth) {
            Ok(v) => v,
            Err(CborError::DuplicateKey | CborError::NonMinimal) => {
                return Err(StatementError::NonCanonical);
            }
            Err(e) => return Err(StatementError::Cbor(e)),
        };
        // Deterministic = shortest heads and definite lengths (both enforced
        // by the decoder) and sorted keys.
        if !cbor::keys_sorted(&v) {
            return Err(StatementError::NonCanonical);
        }
        Self::from_value(v)
    }

    /// Checks a decoded payload against the schema of SPEC section 3.
    pub fn from_value(v: Value) -> Result<Statement, StatementError> {
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
            Value::Map(_) => Ok(v),
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

    /// The JSON authoring form (SPEC section 5).
    pub fn to_json(&self) -> Json {
        value_to_json(&self.to_value(), Ctx::Top)
    }

    /// Parses the JSON authoring form. Every check of [`Statement::from_value`] applies.
    pub fn from_json(j: &Json) -> Result<Statement, StatementError> {
        Self::from_json_value(j)
    }

    /// Reads an authoring-form file's bytes as JSON, strictly: one value,
    /// and no object holding a key twice (which JSON parsers would read
    /// last-wins, so two readers could see two statements).
    pub fn read_json(bytes: &[u8]) -> Result<Json, serde_json::Error> {
        crate::json::check_unique_keys(bytes)?;
        serde_json::from_slice(bytes)
    }

    fn from_json_value(j: &Json) -> Result<Statement, StatementError> {
        Self::from_value(json_to_value(j, Ctx::Top, "")?)
    }
}

/// Where a JSON value sits, which decides how strings map to CBOR.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    /// The top-level map.
    Top,
    /// A nested value outside `ext`.
    Inner,
    /// A string that is a digest.
    Digest,
    /// An array of digests.
    DigestList,
    /// A string that is a time.
    Time,
    /// Inside `ext`: plain mapping.
    Ext,
}

fn child_ctx(parent: Ctx, key: &str) -> Ctx {
    match (parent, key) {
        (Ctx::Ext, _) => Ctx::Ext,
        (Ctx::Top, "ext") => Ctx::Ext,
        (Ctx::Top, "issued" | "expires") => Ctx::Time,
        (Ctx::Top | Ctx::Inner, "image" | "subject") => Ctx::Digest,
        (Ctx::Top | Ctx::Inner, "inputs" | "provenance") => Ctx::DigestList,
        _ => Ctx::Inner,
    }
}

fn json_to_value(j: &Json, ctx: Ctx, path: &str) -> Result<Value, StatementError> {
    let p = if path.is_empty() { "statement" } else { path };
    match (ctx, j) {
        (Ctx::Digest, Json::String(s)) => {
            Sha256::parse_text(s).map(|d| d.to_cbor()).map_err(|_| {
                bad(
                    p,
                    format!("'{s}' is not a digest of the form sha256:<64 lower-case hex>"),
                )
            })
        }
        (Ctx::Digest, _) => Err(bad(p, "expected a digest string sha256:<hex>")),
        (Ctx::Time, Json::String(s)) => Timestamp::parse_utc(s)
            .map(|t| Value::Uint(t.0))
            .map_err(|e| bad(p, format!("'{s}': {e}"))),
        (Ctx::Time, _) => Err(bad(
            p,
            "expected an RFC 3339 UTC time string such as \"2026-01-01T00:00:00Z\"",
        )),
        (Ctx::DigestList, Json::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, x)| json_to_value(x, Ctx::Digest, &format!("{path}[{i}]")))
            .collect::<Result<_, _>>()
            .map(Value::Array),
        (Ctx::DigestList, _) => Err(bad(p, "expected an array of digest strings")),
        (_, Json::Object(m)) => {
            let mut out = Vec::with_capacity(m.len());
            for (k, v) in m {
                let sub = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                out.push((
                    Value::Text(k.clone()),
                    json_to_value(v, child_ctx(ctx, k), &sub)?,
                ));
            }
            Ok(Value::Map(out))
        }
        (_, Json::Array(items)) => {
            let inner = if ctx == Ctx::Ext {
                Ctx::Ext
            } else {
                Ctx::Inner
            };
            items
                .iter()
                .enumerate()
                .map(|(i, x)| json_to_value(x, inner, &format!("{path}[{i}]")))
                .collect::<Result<_, _>>()
                .map(Value::Array)
        }
        (_, Json::String(s)) => Ok(Value::Text(s.clone())),
        (_, Json::Number(n)) => n.as_u64().map(Value::Uint).ok_or_else(|| {
            bad(
                p,
                format!("{n} is not an unsigned integer (the only numbers statements hold)"),
            )
        }),
        (_, Json::Bool(_) | Json::Null) => Err(bad(
            p,
            "booleans and null have no place in the authoring form (maps, arrays, text, unsigned integers only)",
        )),
    }
}

fn value_to_json(v: &Value, ctx: Ctx) -> Json {
    match (ctx, v) {
        (Ctx::Digest, _) => match Sha256::from_cbor(v) {
            Ok(d) => Json::String(d.to_string()),
            Err(_) => value_to_json(v, Ctx::Ext),
        },
        (Ctx::Time, Value::Uint(n)) => Json::String(Timestamp(*n).to_string()),
        (Ctx::DigestList, Value::Array(items)) => Json::Array(
            items
                .iter()
                .map(|x| value_to_json(x, Ctx::Digest))
                .collect(),
        ),
        (_, Value::Map(entries)) => {
            let mut m = JsonMap::new();
            for (k, x) in entries {
                let key = match k {
                    Value::Text(s) => s.clone(),
                    other => format!("{other:?}"),
                };
                let c = child_ctx(if ctx == Ctx::Ext { Ctx::Ext } else { ctx }, &key);
                m.insert(key, value_to_json(x, c));
            }
            Json::Object(m)
        }
        (_, Value::Array(items)) => {
            let inner = if ctx == Ctx::Ext {
                Ctx::Ext
            } else {
                Ctx::Inner
            };
            Json::Array(items.iter().map(|x| value_to_json(x, inner)).collect())
        }
        (_, Value::Uint(n)) => json!(n),
        (_, Value::Text(s)) => Json::String(s.clone()),
        // Only reachable inside `ext`, which the authoring form cannot write;
        // shown losslessly for inspection.
        // Below i64::MIN, JSON numbers (as serde_json holds them) end: such a
        // value is shown as its decimal text instead (found by fuzzing).
        (_, Value::Nint(n)) => {
            let v = -1i128 - i128::from(*n);
            i64::try_from(v).map_or_else(|_| json!({ "nint": v.to_string() }), Json::from)
        }
        (_, Value::Bytes(b)) => json!({ "bstr": crate::wire::digest::hex(b) }),
        (_, Value::Tag(t, x)) => json!({ "tag": t, "value": value_to_json(x, Ctx::Ext) }),
        (_, Value::Bool(b)) => json!(b),
        (_, Value::Null) => Json::Null,
    }
}

/// Renders any CBOR value as readable JSON (used by `inspect` for
/// payloads that did not pass the schema).
pub fn cbor_to_json(v: &Value) -> Json {
    value_to_json(v, Ctx::Top)
}

#[cfg(test)]
mod tests {
    use super::*;

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
