//! Log entries of SPEC section 10: one decision, as recorded, in
//! deterministic CBOR; the findings digest.

use crate::wire::cbor::{self, Value};
use crate::wire::digest::Sha256;
use crate::wire::time::Timestamp;
use std::fmt;

/// The verdict of a publication entry (`command = "publish"`).
pub const PUBLISHED: &str = "published";

/// The command that made a decision (the entry's `command`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Command {
    /// `hwprov verify`: one bundle.
    Verify,
    /// `hwprov gate`: one image for one device.
    Gate,
    /// `hwprov vet`: one unit of a shipment, or (with a `units` input) the
    /// shipment decision.
    Vet,
    /// `hwprov log add`: a statement published to the log (SPEC 10.4).
    Publish,
    /// A command this version does not know (a newer hwprov wrote it): kept
    /// as written, never replayed.
    Other(String),
}

impl Command {
    /// The name as recorded.
    pub fn as_str(&self) -> &str {
        match self {
            Command::Verify => "verify",
            Command::Gate => "gate",
            Command::Vet => "vet",
            Command::Publish => "publish",
            Command::Other(s) => s,
        }
    }

    /// The command a recorded name stands for.
    pub fn parse(s: &str) -> Command {
        match s {
            "verify" => Command::Verify,
            "gate" => Command::Gate,
            "vet" => Command::Vet,
            "publish" => Command::Publish,
            other => Command::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a recorded input is (the names of an entry's `inputs` map); the
/// bytes of each are stored under `objects/` by digest.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Input {
    /// `bundle`: the bundle decided on.
    Bundle,
    /// `policy`: the policy file.
    Policy,
    /// `key-file:NAME`: a `public_key_file` the policy names, as written.
    KeyFile(String),
    /// `deployment`: the operator's deployment file (SPEC 6.3).
    Deployment,
    /// `state`: the device state file a gate read.
    State,
    /// `image`: the SHA-256 of the image a gate read (the image is not stored).
    Image,
    /// `image-facts`: the image's digest and length (as the decision
    /// layer's `image_facts_bytes` writes them).
    ImageFacts,
    /// `units`: a shipment's unit list (a CBOR array of bundle digests, or
    /// null for a unit that could not be read).
    Units,
    /// `statement`: a statement published with `hwprov log add`.
    Statement,
    /// A name this version does not know.
    Other(String),
}

impl Input {
    /// The name as recorded.
    pub fn name(&self) -> std::borrow::Cow<'_, str> {
        use std::borrow::Cow;
        match self {
            Input::Bundle => Cow::Borrowed("bundle"),
            Input::Policy => Cow::Borrowed("policy"),
            Input::KeyFile(k) => Cow::Owned(format!("key-file:{k}")),
            Input::Deployment => Cow::Borrowed("deployment"),
            Input::State => Cow::Borrowed("state"),
            Input::Image => Cow::Borrowed("image"),
            Input::ImageFacts => Cow::Borrowed("image-facts"),
            Input::Units => Cow::Borrowed("units"),
            Input::Statement => Cow::Borrowed("statement"),
            Input::Other(s) => Cow::Borrowed(s),
        }
    }

    /// The input a recorded name stands for.
    pub fn parse(s: &str) -> Input {
        match s {
            "bundle" => Input::Bundle,
            "policy" => Input::Policy,
            "deployment" => Input::Deployment,
            "state" => Input::State,
            "image" => Input::Image,
            "image-facts" => Input::ImageFacts,
            "units" => Input::Units,
            "statement" => Input::Statement,
            _ => match s.strip_prefix("key-file:") {
                Some(k) => Input::KeyFile(k.to_owned()),
                None => Input::Other(s.to_owned()),
            },
        }
    }

    /// Whether this input is part of the policy a decision used (the
    /// policy file, the key files it names, and the deployment file).
    pub fn is_policy(&self) -> bool {
        matches!(self, Input::Policy | Input::KeyFile(_) | Input::Deployment)
    }
}

impl fmt::Display for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// An entry that does not decode (SPEC section 10: deterministic CBOR, the
/// nine known fields, each of its type).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EntryError {
    /// Not CBOR within the entry's bounds.
    Cbor(cbor::CborError),
    /// Not deterministic CBOR.
    NotDeterministic,
    /// Not a map.
    NotAMap,
    /// Not exactly the nine fields.
    FieldCount {
        /// How many it has.
        found: usize,
    },
    /// A field is missing.
    Missing {
        /// The field.
        field: &'static str,
    },
    /// A field has the wrong type.
    WrongType {
        /// The field.
        field: &'static str,
        /// What it must be.
        expected: &'static str,
    },
    /// `v` is not 1.
    Version,
    /// An input name is not text.
    InputName,
    /// A digest is malformed.
    Digest(String),
}

impl fmt::Display for EntryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntryError::Cbor(e) => write!(f, "{e}"),
            EntryError::NotDeterministic => f.write_str("entry is not deterministic CBOR"),
            EntryError::NotAMap => f.write_str("entry is not a map"),
            EntryError::FieldCount { found } => {
                write!(f, "entry has {found} fields, 9 expected")
            }
            EntryError::Missing { field } => write!(f, "entry lacks '{field}'"),
            EntryError::WrongType { field, expected } => {
                write!(f, "entry '{field}' is not {expected}")
            }
            EntryError::Version => f.write_str("entry version is not 1"),
            EntryError::InputName => f.write_str("input names must be text"),
            EntryError::Digest(e) => f.write_str(e),
        }
    }
}

impl std::error::Error for EntryError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            EntryError::Cbor(e) => Some(e),
            _ => None,
        }
    }
}

/// One decision, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Position in the log.
    pub index: u64,
    /// Wall-clock time of the decision.
    pub time: Timestamp,
    /// Evaluation time (`--at`).
    pub at: Timestamp,
    /// `hwprov/<version>`.
    pub tool: String,
    /// The command that decided.
    pub command: Command,
    /// Each input and the digest of its stored bytes.
    pub inputs: Vec<(Input, Sha256)>,
    /// The verdict (`pass`, `warn`, `fail`) as recorded; text, because the
    /// record keeps what the deciding version wrote.
    pub verdict: String,
    /// SHA-256 of the deterministic CBOR array of findings.
    pub findings: Sha256,
}

impl Entry {
    /// A new entry for a decision made now (its index is set on append).
    pub fn new(
        command: Command,
        at: Timestamp,
        inputs: Vec<(Input, Sha256)>,
        verdict: crate::report::Verdict,
        findings: &[crate::report::Finding],
    ) -> Entry {
        Entry {
            index: 0,
            time: Timestamp::now(),
            at,
            tool: format!("hwprov/{}", env!("CARGO_PKG_VERSION")),
            command,
            inputs,
            verdict: verdict.as_str().into(),
            findings: findings_digest(findings),
        }
    }

    /// The digest recorded for `input`, if any.
    pub fn input(&self, input: &Input) -> Option<Sha256> {
        self.inputs
            .iter()
            .find(|(k, _)| k == input)
            .map(|(_, d)| *d)
    }

    /// A publication entry made now (`hwprov log add`, SPEC 10.4) of the
    /// statement with digest `statement`; its index is set on append.
    pub fn publication(statement: Sha256) -> Entry {
        let now = Timestamp::now();
        Entry {
            index: 0,
            time: now,
            at: now,
            tool: format!("hwprov/{}", env!("CARGO_PKG_VERSION")),
            command: Command::Publish,
            inputs: vec![(Input::Statement, statement)],
            verdict: PUBLISHED.into(),
            findings: findings_digest(&[]),
        }
    }

    /// The statement this entry publishes, if it is a well-formed
    /// publication: `command = "publish"`, exactly the input `statement`,
    /// `verdict = "published"` and the findings digest of an empty list.
    pub fn published_statement(&self) -> Option<Sha256> {
        match self.inputs.as_slice() {
            [(Input::Statement, d)]
                if self.command == Command::Publish
                    && self.verdict == PUBLISHED
                    && self.findings == findings_digest(&[]) =>
            {
                Some(*d)
            }
            _ => None,
        }
    }

    /// The entry's policy inputs (the policy and its key files), in order.
    pub fn policy_inputs(&self) -> Vec<(Input, Sha256)> {
        self.inputs
            .iter()
            .filter(|(k, _)| k.is_policy())
            .cloned()
            .collect()
    }

    /// Deterministic CBOR map of SPEC section 10.
    pub fn encode(&self) -> Vec<u8> {
        let t = |s: &str| Value::Text(s.to_owned());
        let inputs = Value::Map(
            self.inputs
                .iter()
                .map(|(k, d)| (t(&k.name()), d.to_cbor()))
                .collect(),
        );
        cbor::encode_deterministic(&Value::Map(vec![
            (t("v"), Value::Uint(1)),
            (t("index"), Value::Uint(self.index)),
            (t("time"), Value::Uint(self.time.0)),
            (t("at"), Value::Uint(self.at.0)),
            (t("tool"), t(&self.tool)),
            (t("command"), t(self.command.as_str())),
            (t("inputs"), inputs),
            (t("verdict"), t(&self.verdict)),
            (t("findings"), self.findings.to_cbor()),
        ]))
    }

    /// Decodes and checks an entry's bytes (deterministic, known keys only).
    pub fn decode(bytes: &[u8]) -> Result<Entry, EntryError> {
        let v = cbor::decode(bytes, ENTRY_DEPTH).map_err(EntryError::Cbor)?;
        if !cbor::keys_sorted(&v) {
            return Err(EntryError::NotDeterministic);
        }
        let Value::Map(m) = v else {
            return Err(EntryError::NotAMap);
        };
        if m.len() != 9 {
            return Err(EntryError::FieldCount { found: m.len() });
        }
        let get = |field: &'static str| {
            m.iter()
                .find(|(key, _)| key.as_text() == Some(field))
                .map(|(_, v)| v)
                .ok_or(EntryError::Missing { field })
        };
        let uint = |field: &'static str| match get(field)? {
            Value::Uint(n) => Ok(*n),
            _ => Err(EntryError::WrongType {
                field,
                expected: "an unsigned integer",
            }),
        };
        let text = |field: &'static str| {
            get(field)?
                .as_text()
                .map(str::to_owned)
                .ok_or(EntryError::WrongType {
                    field,
                    expected: "text",
                })
        };
        if uint("v")? != 1 {
            return Err(EntryError::Version);
        }
        let Value::Map(inp) = get("inputs")? else {
            return Err(EntryError::WrongType {
                field: "inputs",
                expected: "a map",
            });
        };
        let mut inputs = Vec::new();
        for (k, d) in inp {
            let name = k.as_text().ok_or(EntryError::InputName)?;
            inputs.push((
                Input::parse(name),
                Sha256::from_cbor(d).map_err(|e| EntryError::Digest(e.to_string()))?,
            ));
        }
        Ok(Entry {
            index: uint("index")?,
            time: Timestamp(uint("time")?),
            at: Timestamp(uint("at")?),
            tool: text("tool")?,
            command: Command::parse(&text("command")?),
            inputs,
            verdict: text("verdict")?,
            findings: Sha256::from_cbor(get("findings")?)
                .map_err(|e| EntryError::Digest(e.to_string()))?,
        })
    }
}

impl serde::Serialize for Entry {
    /// The JSON form `log show` prints: the entry's fields, times in RFC
    /// 3339, digests in `sha256:<hex>` form.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        struct Inputs<'a>(&'a [(Input, Sha256)]);
        impl serde::Serialize for Inputs<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(self.0.len()))?;
                for (k, d) in self.0 {
                    m.serialize_entry(&k.name(), &d.to_string())?;
                }
                m.end()
            }
        }
        let mut m = s.serialize_map(Some(9))?;
        m.serialize_entry("v", &1)?;
        m.serialize_entry("index", &self.index)?;
        m.serialize_entry("time", &self.time.to_string())?;
        m.serialize_entry("at", &self.at.to_string())?;
        m.serialize_entry("tool", &self.tool)?;
        m.serialize_entry("command", self.command.as_str())?;
        m.serialize_entry("inputs", &Inputs(&self.inputs))?;
        m.serialize_entry("verdict", &self.verdict)?;
        m.serialize_entry("findings", &self.findings.to_string())?;
        m.end()
    }
}

/// Deepest nesting of an entry: the map, its `inputs` map, a digest's
/// byte string inside it, and one more for a tag a hostile entry might add.
const ENTRY_DEPTH: usize = 4;

/// SHA-256 of the deterministic CBOR array of `[rule, severity,
/// statement-digest-or-null, subject]`, in report order.
pub fn findings_digest(findings: &[crate::report::Finding]) -> Sha256 {
    let arr = Value::Array(
        findings
            .iter()
            .map(|f| {
                Value::Array(vec![
                    Value::Text(f.rule.as_str().into()),
                    Value::Text(f.severity.as_str().into()),
                    f.statement.map_or(Value::Null, |d| d.to_cbor()),
                    Value::Text(f.subject.clone()),
                ])
            })
            .collect(),
    );
    Sha256::of(&cbor::encode_deterministic(&arr))
}
