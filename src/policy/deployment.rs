//! The operator's deployment file (SPEC 6.3): where each unit is deployed,
//! in which class and zones, and since when. It is the operator's
//! knowledge, not the vendor's: the class that selects a unit's rules comes
//! from here (or from a gate's state file), never from the device
//! statement, unless the policy says `class_from = "device"`.
//!
//! A CSV file (RFC 4180, UTF-8, header row required) with the columns
//! `vendor` (required), `model`, `serial`, `class` (required), `zones`
//! (`;`-separated) and `installed` (RFC 3339). The most specific row wins:
//! vendor + model + serial, then vendor + serial, then vendor + model, then
//! vendor alone. Every problem is an input error naming the file, the line
//! and the problem.

use crate::fsutil::{self, FileError};
use crate::limits::Limits;
use crate::policy::Policy;
use crate::wire::digest::Sha256;
use crate::wire::time::Timestamp;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// Rows by vendor, model and serial (empty strings for "any"), in a table
/// of a few dozen bytes a row ([`crate::serials`]).
type Rows = crate::serials::SerialTable<Row>;

/// One row, compactly: an inventory of millions of units has a handful of
/// distinct classes and zone lists, so each row names its (class, zones)
/// by number.
#[derive(Debug, Clone, Copy)]
struct Row {
    /// The row's line in the file.
    line: u32,
    /// Its class and zones, in `Deployment::scopes`.
    scope: u32,
    /// When the unit entered service, in `Deployment::dates` ([`NOT_GIVEN`]:
    /// not given): an inventory has far fewer distinct dates than rows.
    installed: u32,
}

/// Most rows the table is sized for before the rows are read.
const PRESIZED_ROWS: usize = 1 << 20;

/// `Row::installed` of a row without a date.
const NOT_GIVEN: u32 = u32::MAX;

/// A distinct class and zone list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Scope {
    class: String,
    zones: Vec<String>,
}

/// The operator's facts about one unit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Placement<'a> {
    /// The class (declared by the policy).
    pub class: Option<&'a str>,
    /// The zones (each declared by the policy), in file order, once each.
    pub zones: &'a [String],
    /// When the unit entered service.
    pub installed: Option<Timestamp>,
}

/// A deployment file that cannot be used (exit 2).
#[derive(Debug)]
#[non_exhaustive]
pub enum DeploymentError {
    /// The file could not be read.
    File(FileError),
    /// A problem at a line of the file.
    At {
        /// The file.
        path: PathBuf,
        /// The line (1-based; the header is line 1).
        line: u64,
        /// What is wrong.
        message: String,
    },
}

impl fmt::Display for DeploymentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeploymentError::File(e) => write!(f, "{e}"),
            DeploymentError::At {
                path,
                line,
                message,
            } => write!(f, "{}:{line}: {message}", path.display()),
        }
    }
}

impl std::error::Error for DeploymentError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DeploymentError::File(e) => Some(e),
            DeploymentError::At { .. } => None,
        }
    }
}

/// The columns a deployment file may have.
const COLUMNS: [&str; 6] = ["vendor", "model", "serial", "class", "zones", "installed"];
const VENDOR: usize = 0;
const MODEL: usize = 1;
const SERIAL: usize = 2;
const CLASS: usize = 3;
const ZONES: usize = 4;
const INSTALLED: usize = 5;

/// A loaded, checked deployment file.
#[derive(Debug, Clone)]
pub struct Deployment {
    /// Rows by vendor, then model, then serial (empty strings for "any"),
    /// with the line of each: a vendor's and a model's name are kept once,
    /// not once per row, and a lookup allocates nothing.
    rows: Rows,
    /// The distinct (class, zones) the rows name.
    scopes: Vec<Scope>,
    /// The distinct `installed` times the rows name.
    dates: Vec<Timestamp>,
    /// How many rows.
    count: usize,
    /// SHA-256 of the file's bytes.
    pub sha256: Sha256,
    /// The file's exact bytes (a log records them with the decision),
    /// unless [`Deployment::forget_source`] let them go.
    source: Option<Vec<u8>>,
}

impl Deployment {
    /// Reads and checks a deployment file against `policy` (vendors,
    /// classes and zones must be the policy's).
    pub fn load(path: &Path, policy: &Policy, limits: &Limits) -> Result<Self, DeploymentError> {
        let bytes = fsutil::read_bounded(path, limits.max_deployment_bytes)
            .map_err(DeploymentError::File)?;
        // The bytes read are the ones kept (not a copy: a million-row file
        // is tens of megabytes).
        let mut d = Self::parse_rows(&bytes, path, policy)?;
        d.source = Some(bytes);
        Ok(d)
    }

    /// Parses deployment bytes; `path` names the file in messages.
    pub fn parse(bytes: &[u8], path: &Path, policy: &Policy) -> Result<Self, DeploymentError> {
        let mut d = Self::parse_rows(bytes, path, policy)?;
        d.source = Some(bytes.to_vec());
        Ok(d)
    }

    /// [`Deployment::parse`] without keeping the bytes.
    fn parse_rows(bytes: &[u8], path: &Path, policy: &Policy) -> Result<Self, DeploymentError> {
        let err = |line: u64, message: String| DeploymentError::At {
            path: path.to_owned(),
            line,
            message,
        };
        if std::str::from_utf8(bytes).is_err() {
            return Err(err(1, "not UTF-8 text".into()));
        }
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_reader(bytes);
        let header = reader
            .headers()
            .map_err(|e| err(csv_line(&e).unwrap_or(1), e.to_string()))?
            .clone();
        // Each known column's position in the header, resolved once.
        let mut col: [Option<usize>; COLUMNS.len()] = [None; COLUMNS.len()];
        for (i, name) in header.iter().enumerate() {
            let Some(c) = COLUMNS.iter().position(|k| *k == name) else {
                return Err(err(
                    1,
                    format!(
                        "unknown column '{name}'; the columns are {}",
                        COLUMNS.join(", ")
                    ),
                ));
            };
            if col[c].replace(i).is_some() {
                return Err(err(1, format!("column '{name}' appears twice")));
            }
        }
        for (c, required) in [(VENDOR, "vendor"), (CLASS, "class")] {
            if col[c].is_none() {
                return Err(err(1, format!("the header has no '{required}' column")));
            }
        }
        // One row a line at most: the table is sized once for inventories
        // up to `PRESIZED_ROWS` rows (larger ones grow). The hint is capped
        // because the lines are the file's claim, not rows yet: 128 MiB of
        // newlines must not reserve a table for 134 million rows.
        let lines = bytes.iter().filter(|b| **b == b'\n').count();
        let mut rows: Rows = Rows::with_capacity(lines.min(PRESIZED_ROWS));
        let mut scopes: Vec<Scope> = Vec::new();
        let mut scope_ids: HashMap<Scope, u32> = HashMap::new();
        let mut dates: Vec<Timestamp> = Vec::new();
        let mut date_ids: HashMap<Timestamp, u32> = HashMap::new();
        let mut count = 0usize;
        let mut record = csv::StringRecord::new();
        loop {
            match reader.read_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Err(err(csv_line(&e).unwrap_or(0), e.to_string())),
            }
            let line = record.position().map_or(0, |p| p.line());
            let field =
                |c: usize| -> &str { col[c].and_then(|i| record.get(i)).unwrap_or_default() };
            let vendor = field(VENDOR);
            if vendor.is_empty() {
                return Err(err(line, "the vendor is empty".into()));
            }
            if !policy.entities.contains_key(vendor) {
                return Err(err(
                    line,
                    format!("vendor '{vendor}' is not an entity of the policy"),
                ));
            }
            let class = field(CLASS);
            if !policy.classes.contains_key(class) {
                return Err(err(
                    line,
                    if class.is_empty() {
                        "the class is empty; every row needs a class the policy declares".into()
                    } else {
                        format!("class '{class}' is not declared by the policy ([classes.{class}])")
                    },
                ));
            }
            let mut zones: Vec<String> = Vec::new();
            // Each zone once, in file order, in time linear in the field.
            let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
            for z in field(ZONES).split(';').filter(|z| !z.is_empty()) {
                if !policy.zones.contains_key(z) {
                    return Err(err(
                        line,
                        format!("zone '{z}' is not declared by the policy ([zones.{z}])"),
                    ));
                }
                if seen.insert(z) {
                    zones.push(z.to_owned());
                }
            }
            let installed = match field(INSTALLED) {
                "" => None,
                t => Some(Timestamp::parse_rfc3339(t).map_err(|e| {
                    err(
                        line,
                        format!("installed '{t}' is not an RFC 3339 time: {e}"),
                    )
                })?),
            };
            let (model, serial) = (field(MODEL), field(SERIAL));
            let key = Scope {
                class: class.to_owned(),
                zones,
            };
            let scope = match scope_ids.get(&key) {
                Some(id) => *id,
                None => {
                    let id = u32::try_from(scopes.len())
                        .map_err(|_| err(line, "too many distinct class and zone lists".into()))?;
                    scopes.push(key.clone());
                    scope_ids.insert(key, id);
                    id
                }
            };
            let row = Row {
                line: u32::try_from(line)
                    .map_err(|_| err(line, "the file has too many lines".into()))?,
                scope,
                installed: match installed {
                    None => NOT_GIVEN,
                    Some(t) => match date_ids.get(&t) {
                        Some(id) => *id,
                        None => {
                            let id = u32::try_from(dates.len())
                                .ok()
                                .filter(|id| *id != NOT_GIVEN)
                                .ok_or_else(|| err(line, "too many distinct dates".into()))?;
                            dates.push(t);
                            date_ids.insert(t, id);
                            id
                        }
                    },
                },
            };
            let Some(inserted) = rows.insert(vendor, model, serial, row) else {
                return Err(err(
                    line,
                    format!(
                        "the serial is longer than {} bytes",
                        crate::serials::MAX_SERIAL_BYTES
                    ),
                ));
            };
            if let crate::serials::Inserted::Existing(first) = inserted {
                return Err(err(
                    line,
                    format!(
                        "a second row for vendor '{vendor}', model '{model}', serial '{serial}' (the first is line {})",
                        first.line
                    ),
                ));
            }
            count += 1;
        }
        Ok(Deployment {
            rows,
            scopes,
            dates,
            count,
            sha256: Sha256::of(bytes),
            source: None,
        })
    }

    /// The most specific row for a unit: vendor + model + serial, then
    /// vendor + serial, then vendor + model, then vendor alone.
    pub fn placement(&self, vendor: &str, model: &str, serial: &str) -> Option<Placement<'_>> {
        let row = [(model, serial), ("", serial), (model, ""), ("", "")]
            .into_iter()
            .find_map(|(m, s)| self.rows.get(vendor, m, s))?;
        let scope = self.scopes.get(row.scope as usize)?;
        Some(Placement {
            class: Some(scope.class.as_str()),
            zones: &scope.zones,
            installed: self.dates.get(row.installed as usize).copied(),
        })
    }

    /// The file's exact bytes, if kept.
    pub fn source(&self) -> Option<&[u8]> {
        self.source.as_deref()
    }

    /// Lets the file's bytes go (they are only needed to record a decision
    /// in a log): an inventory of a million rows is 60 MB of text.
    pub fn forget_source(&mut self) {
        self.source = None;
    }

    /// How many rows the file has.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the file has no rows.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

/// The line of a CSV error, when it has one.
fn csv_line(e: &csv::Error) -> Option<u64> {
    e.position().map(csv::Position::line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy::parse_with(
            r#"
[policy]
name = "t"
version = "1"
[[entities]]
id = "acme"
name = "Acme"
country = "FI"
[classes.core]
[classes.periphery]
[zones.sensitive.rules]
"jurisdiction.site" = "deny"
"#,
            Path::new("p.toml"),
            &|_| Err("no key files".into()),
        )
        .expect("policy")
    }

    fn parse(csv: &str) -> Result<Deployment, DeploymentError> {
        Deployment::parse(csv.as_bytes(), Path::new("d.csv"), &policy())
    }

    #[test]
    fn the_most_specific_row_wins() {
        let d = parse(
            "vendor,model,serial,class,zones\r\nacme,,,periphery,\r\nacme,R1,,core,\r\nacme,,S9,periphery,sensitive\r\nacme,R1,S1,core,sensitive;sensitive\r\n",
        )
        .expect("valid");
        let class = |m: &str, s: &str| d.placement("acme", m, s).and_then(|p| p.class);
        assert_eq!(class("R1", "S1"), Some("core"));
        assert_eq!(
            d.placement("acme", "R1", "S1").expect("row").zones,
            ["sensitive"]
        );
        assert_eq!(class("R1", "S2"), Some("core"));
        assert_eq!(class("R2", "S9"), Some("periphery"));
        assert_eq!(class("R1", "S9"), Some("periphery"));
        assert_eq!(class("R2", "S2"), Some("periphery"));
        assert!(d.placement("other", "R1", "S1").is_none());
    }

    #[test]
    fn every_problem_names_the_line() {
        for (csv, line, want) in [
            ("vendor,class\nacme,core\nacme,core\n", 3, "a second row"),
            ("vendor,class\nnobody,core\n", 2, "not an entity"),
            ("vendor,class\nacme,edge\n", 2, "not declared"),
            ("vendor,class,zones\nacme,core,moon\n", 2, "zone 'moon'"),
            (
                "vendor,class,installed\nacme,core,yesterday\n",
                2,
                "RFC 3339",
            ),
            ("vendor,class,colour\nacme,core,red\n", 1, "unknown column"),
            ("vendor,model\nacme,R1\n", 1, "no 'class' column"),
            ("vendor,class\nacme,core,extra\n", 2, "field"),
            ("vendor,class\n,core\n", 2, "vendor is empty"),
        ] {
            match parse(csv) {
                Err(DeploymentError::At {
                    line: l, message, ..
                }) => {
                    assert_eq!(l, line, "{csv:?}: {message}");
                    assert!(message.contains(want), "{csv:?}: {message}");
                }
                other => panic!("{csv:?}: {other:?}"),
            }
        }
    }
}
