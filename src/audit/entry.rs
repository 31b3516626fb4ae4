//! Log entries of SPEC section 10: one decision, as recorded, in
//! deterministic CBOR; the findings digest; the stored facts of an image.

use crate::wire::cbor::{self, Value};
use crate::wire::digest::Sha256;
use crate::wire::time::Timestamp;

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
    /// `verify`, `gate` or `vet`.
    pub command: String,
    /// Input name to digest (bundle, policy, state, image).
    pub inputs: Vec<(String, Sha256)>,
    /// Verdict or decision.
    pub verdict: String,
    /// SHA-256 of the deterministic CBOR array of findings.
    pub findings: Sha256,
}

impl Entry {
    /// Deterministic CBOR map of SPEC section 10.
    pub fn encode(&self) -> Vec<u8> {
        let t = |s: &str| Value::Text(s.to_owned());
        let inputs = Value::Map(
            self.inputs
                .iter()
                .map(|(k, d)| (t(k), d.to_cbor()))
                .collect(),
        );
        cbor::encode_deterministic(&Value::Map(vec![
            (t("v"), Value::Uint(1)),
            (t("index"), Value::Uint(self.index)),
            (t("time"), Value::Uint(self.time.0)),
            (t("at"), Value::Uint(self.at.0)),
            (t("tool"), t(&self.tool)),
            (t("command"), t(&self.command)),
            (t("inputs"), inputs),
            (t("verdict"), t(&self.verdict)),
            (t("findings"), self.findings.to_cbor()),
        ]))
    }

    /// Decodes and checks an entry's bytes (deterministic, known keys only).
    pub fn decode(bytes: &[u8]) -> Result<Entry, String> {
        let v = cbor::decode(bytes, 4).map_err(|e| e.to_string())?;
        if !cbor::keys_sorted(&v) {
            return Err("entry is not deterministic CBOR".into());
        }
        let Value::Map(m) = v else {
            return Err("entry is not a map".into());
        };
        if m.len() != 9 {
            return Err(format!("entry has {} fields, 9 expected", m.len()));
        }
        let get = |k: &str| {
            m.iter()
                .find(|(key, _)| key.as_text() == Some(k))
                .map(|(_, v)| v)
                .ok_or(format!("entry lacks '{k}'"))
        };
        let uint = |k: &str| match get(k)? {
            Value::Uint(n) => Ok(*n),
            _ => Err(format!("entry '{k}' is not an unsigned integer")),
        };
        let text = |k: &str| {
            get(k)?
                .as_text()
                .map(str::to_owned)
                .ok_or(format!("entry '{k}' is not text"))
        };
        if uint("v")? != 1 {
            return Err("entry version is not 1".into());
        }
        let Value::Map(inp) = get("inputs")? else {
            return Err("entry 'inputs' is not a map".into());
        };
        let mut inputs = Vec::new();
        for (k, d) in inp {
            let name = k.as_text().ok_or("input names must be text")?;
            inputs.push((
                name.to_owned(),
                Sha256::from_cbor(d).map_err(|e| e.to_string())?,
            ));
        }
        Ok(Entry {
            index: uint("index")?,
            time: Timestamp(uint("time")?),
            at: Timestamp(uint("at")?),
            tool: text("tool")?,
            command: text("command")?,
            inputs,
            verdict: text("verdict")?,
            findings: Sha256::from_cbor(get("findings")?).map_err(|e| e.to_string())?,
        })
    }
}

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

/// The stored record of an image: `{"sha256": digest, "size": uint}` in
/// deterministic CBOR (images themselves are not stored).
pub fn image_facts_bytes(f: &crate::decide::image::ImageFacts) -> Vec<u8> {
    cbor::encode_deterministic(&Value::Map(vec![
        (Value::Text("sha256".into()), f.sha256.to_cbor()),
        (Value::Text("size".into()), Value::Uint(f.size)),
    ]))
}

/// Parses [`image_facts_bytes`].
pub fn parse_image_facts(bytes: &[u8]) -> Option<crate::decide::image::ImageFacts> {
    let v = cbor::decode(bytes, 3).ok()?;
    let sha256 = Sha256::from_cbor(v.get("sha256")?).ok()?;
    let Value::Uint(size) = v.get("size")? else {
        return None;
    };
    (image_facts_bytes(&crate::decide::image::ImageFacts {
        sha256,
        size: *size,
    }) == bytes)
        .then_some(crate::decide::image::ImageFacts {
            sha256,
            size: *size,
        })
}
