//! C2SP `tlog-policy` files: which logs are trusted, which witnesses, and
//! the quorum of cosignatures a checkpoint needs.
//!
//! ```text
//! log <vkey> [<url>]
//! witness <name> <vkey> [<url>]
//! group <name> all|any|<k> <name>...
//! quorum <name>|none
//! ```
//!
//! hwprov reads the format strictly: the file is UTF-8 (C2SP leaves
//! non-ASCII octets opaque; hwprov's names come from signed notes, which
//! are UTF-8), with tab and newline the only control characters; a group or
//! the quorum names only what earlier lines defined; names are unique
//! (witnesses and groups share one namespace, `none` is reserved); no two
//! logs or witnesses wrap the same public key; exactly one quorum line. Log
//! keys are Ed25519 note keys (type 0x01), witness keys Ed25519
//! cosignature keys (type 0x04). Limits: [`MAX_POLICY_BYTES`], and
//! [`MAX_MEMBERS`] logs, witnesses and groups each.

use crate::wire::tlog::note::{Checkpoint, Note, NoteError, Verifier, Witness};
use std::collections::HashMap;
use std::fmt;

/// Largest policy file read.
pub const MAX_POLICY_BYTES: usize = 64 << 10;
/// Most logs, witnesses or groups one policy defines (C2SP recommends
/// supporting at least 32).
pub const MAX_MEMBERS: usize = 256;

/// A line of a policy file that is not valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    /// 1-based line number (0: the file as a whole).
    pub line: usize,
    /// What is wrong.
    pub problem: String,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.problem)
        } else {
            write!(f, "line {}: {}", self.line, self.problem)
        }
    }
}

impl std::error::Error for PolicyError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Member {
    Witness(usize),
    Group(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Group {
    name: String,
    k: usize,
    members: Vec<Member>,
}

/// A parsed tlog-policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlogPolicy {
    /// Trusted logs (their key name is their origin).
    pub logs: Vec<Verifier>,
    /// Witnesses by policy name.
    pub witnesses: Vec<(String, Witness)>,
    groups: Vec<Group>,
    /// `None` for `quorum none`.
    quorum: Option<Member>,
}

/// Why a checkpoint does not satisfy a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckpointError {
    /// The note or its checkpoint body is malformed.
    Note(NoteError),
    /// The origin names no log of the policy.
    UnknownLog {
        /// The checkpoint's origin.
        origin: String,
    },
    /// The log's signature does not verify.
    LogSignature(NoteError),
    /// A witness's cosignature line does not verify.
    BadCosignature {
        /// The witness's policy name.
        witness: String,
    },
    /// Too few valid cosignatures.
    NoQuorum {
        /// The witnesses (policy names) whose cosignatures verified.
        cosigned: Vec<String>,
    },
}

impl fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckpointError::Note(e) => write!(f, "{e}"),
            CheckpointError::UnknownLog { origin } => write!(
                f,
                "checkpoint of log '{}', which the tlog-policy does not list",
                crate::text::Escaped(origin)
            ),
            CheckpointError::LogSignature(e) => write!(f, "{e}"),
            CheckpointError::BadCosignature { witness } => write!(
                f,
                "the cosignature of witness '{}' does not verify",
                crate::text::Escaped(witness)
            ),
            CheckpointError::NoQuorum { cosigned } => {
                if cosigned.is_empty() {
                    write!(
                        f,
                        "no witness the tlog-policy lists cosigned the checkpoint: the quorum is not met"
                    )
                } else {
                    write!(
                        f,
                        "cosigned only by {}: the tlog-policy's quorum is not met",
                        crate::text::Escaped(cosigned.join(", "))
                    )
                }
            }
        }
    }
}

impl std::error::Error for CheckpointError {}

/// A checkpoint that satisfies a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The checkpoint.
    pub checkpoint: Checkpoint,
    /// The witnesses (policy names) whose cosignatures verified.
    pub cosigned: Vec<String>,
}

fn err(line: usize, problem: impl Into<String>) -> PolicyError {
    PolicyError {
        line,
        problem: problem.into(),
    }
}

impl TlogPolicy {
    /// Parses a policy file.
    pub fn parse(bytes: &[u8]) -> Result<TlogPolicy, PolicyError> {
        if bytes.len() > MAX_POLICY_BYTES {
            return Err(err(0, format!("larger than {MAX_POLICY_BYTES} bytes")));
        }
        let text = std::str::from_utf8(bytes).map_err(|_| err(0, "not UTF-8 text"))?;
        let mut logs: Vec<Verifier> = Vec::new();
        let mut witnesses: Vec<(String, Witness)> = Vec::new();
        let mut groups: Vec<Group> = Vec::new();
        let mut names: HashMap<String, Member> = HashMap::new();
        let mut keys: HashMap<[u8; 32], usize> = HashMap::new();
        let mut quorum: Option<Option<Member>> = None;
        for (i, line) in text.split('\n').enumerate() {
            let n = i + 1;
            if line.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
                return Err(err(
                    n,
                    "control character (only tab and newline are allowed)",
                ));
            }
            let words: Vec<&str> = line.split([' ', '\t']).filter(|w| !w.is_empty()).collect();
            let Some(&keyword) = words.first() else {
                continue;
            };
            if keyword.starts_with('#') {
                continue;
            }
            let mut new_key = |key: &crate::wire::keys::PublicKey| {
                let k = key.to_bytes();
                if keys.insert(k, n).is_some() {
                    return Err(err(n, "this public key is listed twice"));
                }
                Ok(())
            };
            match keyword {
                "log" => {
                    let [_, vkey, rest @ ..] = words.as_slice() else {
                        return Err(err(n, "expected: log <vkey> [<url>]"));
                    };
                    if rest.len() > 1 {
                        return Err(err(n, "expected: log <vkey> [<url>]"));
                    }
                    let v = Verifier::parse(vkey).map_err(|e| err(n, e.to_string()))?;
                    new_key(&v.key)?;
                    if logs.len() == MAX_MEMBERS {
                        return Err(err(n, format!("more than {MAX_MEMBERS} logs")));
                    }
                    logs.push(v);
                }
                "witness" => {
                    let [_, name, vkey, rest @ ..] = words.as_slice() else {
                        return Err(err(n, "expected: witness <name> <vkey> [<url>]"));
                    };
                    if rest.len() > 1 {
                        return Err(err(n, "expected: witness <name> <vkey> [<url>]"));
                    }
                    let w = Witness::parse(vkey).map_err(|e| err(n, e.to_string()))?;
                    new_key(&w.key)?;
                    define(&mut names, name, Member::Witness(witnesses.len()), n)?;
                    if witnesses.len() == MAX_MEMBERS {
                        return Err(err(n, format!("more than {MAX_MEMBERS} witnesses")));
                    }
                    witnesses.push(((*name).to_owned(), w));
                }
                "group" => {
                    let [_, name, k, members @ ..] = words.as_slice() else {
                        return Err(err(n, "expected: group <name> all|any|<k> <name>..."));
                    };
                    if members.is_empty() {
                        return Err(err(n, "a group needs at least one member"));
                    }
                    let mut list = Vec::with_capacity(members.len());
                    // Each member once, checked in time linear in the line.
                    let mut seen = std::collections::HashSet::with_capacity(members.len());
                    for m in members {
                        let Some(&member) = names.get(*m) else {
                            return Err(err(
                                n,
                                format!("'{m}' is not a witness or group defined above"),
                            ));
                        };
                        if !seen.insert(member) {
                            return Err(err(n, format!("'{m}' is listed twice in the group")));
                        }
                        list.push(member);
                    }
                    let k = match *k {
                        "all" => list.len(),
                        "any" => 1,
                        k => match k.parse::<usize>() {
                            Ok(v)
                                if v >= 1
                                    && v <= list.len()
                                    && k.bytes().all(|b| b.is_ascii_digit())
                                    && !k.starts_with('0') =>
                            {
                                v
                            }
                            _ => {
                                return Err(err(
                                    n,
                                    format!(
                                        "threshold must be all, any or a decimal from 1 to {}",
                                        list.len()
                                    ),
                                ));
                            }
                        },
                    };
                    if groups.len() == MAX_MEMBERS {
                        return Err(err(n, format!("more than {MAX_MEMBERS} groups")));
                    }
                    define(&mut names, name, Member::Group(groups.len()), n)?;
                    groups.push(Group {
                        name: (*name).to_owned(),
                        k,
                        members: list,
                    });
                }
                "quorum" => {
                    let [_, name] = words.as_slice() else {
                        return Err(err(n, "expected: quorum <name>"));
                    };
                    if quorum.is_some() {
                        return Err(err(n, "a second quorum line"));
                    }
                    quorum = Some(if *name == "none" {
                        None
                    } else {
                        Some(*names.get(*name).ok_or_else(|| {
                            err(
                                n,
                                format!("'{name}' is not a witness or group defined above"),
                            )
                        })?)
                    });
                }
                other => {
                    return Err(err(
                        n,
                        format!(
                            "unknown keyword '{}' (log, witness, group, quorum)",
                            crate::text::Escaped(other)
                        ),
                    ));
                }
            }
        }
        let Some(quorum) = quorum else {
            return Err(err(
                0,
                "no quorum line (write 'quorum none' to require no witness)",
            ));
        };
        Ok(TlogPolicy {
            logs,
            witnesses,
            groups,
            quorum,
        })
    }

    /// The log whose origin is `origin`.
    pub fn log(&self, origin: &str) -> Option<&Verifier> {
        self.logs.iter().find(|v| v.name == origin)
    }

    /// Whether the witnesses in `cosigned` (by index) meet the quorum.
    fn quorum_met(&self, cosigned: &[bool]) -> bool {
        let Some(q) = self.quorum else {
            return true;
        };
        // Groups only name earlier groups: one pass in order decides each.
        let mut met = Vec::with_capacity(self.groups.len());
        for g in &self.groups {
            let count = g
                .members
                .iter()
                .filter(|m| match m {
                    Member::Witness(w) => cosigned[*w],
                    Member::Group(i) => met.get(*i).copied().unwrap_or(false),
                })
                .count();
            met.push(count >= g.k);
        }
        match q {
            Member::Witness(w) => cosigned[w],
            Member::Group(g) => met.get(g).copied().unwrap_or(false),
        }
    }

    /// Checks a signed checkpoint: a log of the policy signed it (its key
    /// name is the origin) and the valid cosignatures meet the quorum. A
    /// cosignature line by a listed witness that does not verify rejects
    /// the checkpoint.
    pub fn verify_checkpoint(&self, note: &str) -> Result<Accepted, CheckpointError> {
        let parsed = Note::parse(note).map_err(CheckpointError::Note)?;
        let checkpoint = Checkpoint::parse(parsed.text).map_err(CheckpointError::Note)?;
        let log = self
            .log(&checkpoint.origin)
            .ok_or_else(|| CheckpointError::UnknownLog {
                origin: checkpoint.origin.clone(),
            })?;
        parsed.verify(log).map_err(CheckpointError::LogSignature)?;
        let mut cosigned = vec![false; self.witnesses.len()];
        for (i, (name, w)) in self.witnesses.iter().enumerate() {
            match parsed.cosigned_by(w) {
                Ok(t) => cosigned[i] = t.is_some(),
                Err(_) => {
                    return Err(CheckpointError::BadCosignature {
                        witness: name.clone(),
                    });
                }
            }
        }
        let names: Vec<String> = self
            .witnesses
            .iter()
            .zip(&cosigned)
            .filter(|(_, c)| **c)
            .map(|((n, _), _)| n.clone())
            .collect();
        if !self.quorum_met(&cosigned) {
            return Err(CheckpointError::NoQuorum { cosigned: names });
        }
        Ok(Accepted {
            checkpoint,
            cosigned: names,
        })
    }

    /// A one-line summary: logs, witnesses and the quorum rule.
    pub fn describe(&self) -> String {
        let quorum = match self.quorum {
            None => "none".to_owned(),
            Some(Member::Witness(w)) => self.witnesses[w].0.clone(),
            Some(Member::Group(g)) => {
                let g = &self.groups[g];
                format!("{} ({} of {})", g.name, g.k, g.members.len())
            }
        };
        format!(
            "{} log(s), {} witness(es), quorum {}",
            self.logs.len(),
            self.witnesses.len(),
            crate::text::Escaped(quorum)
        )
    }
}

fn define(
    names: &mut HashMap<String, Member>,
    name: &str,
    m: Member,
    line: usize,
) -> Result<(), PolicyError> {
    if name == "none" {
        return Err(err(line, "'none' is reserved for 'quorum none'"));
    }
    if names.insert(name.to_owned(), m).is_some() {
        return Err(err(line, format!("'{name}' is defined twice")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::keys::SecretKey;
    use crate::wire::tlog::note;

    fn log_key() -> SecretKey {
        SecretKey::from_seed(&[1; 32])
    }

    fn witness(n: u8) -> (SecretKey, Witness) {
        let k = SecretKey::from_seed(&[10 + n; 32]);
        let w = Witness::new(&format!("w{n}.example"), k.public()).unwrap();
        (k, w)
    }

    fn policy(quorum: &str) -> String {
        let log = Verifier::new("log.example/fw", log_key().public()).unwrap();
        let mut s = format!(
            "# firmware logs\nlog {} https://log.example/fw\n\n",
            log.to_vkey()
        );
        for n in 1..=3 {
            s.push_str(&format!("witness W{n} {}\n", witness(n).1.to_vkey()));
        }
        s.push_str(
            "group two 2 W1 W2 W3\ngroup any-w any W1 W2\t W3\ngroup all-of all two any-w\n",
        );
        s.push_str(&format!("quorum {quorum}\n"));
        s
    }

    fn checkpoint(cosigners: &[u8]) -> String {
        let cp = Checkpoint {
            origin: "log.example/fw".into(),
            size: 3,
            root: [7; 32],
        };
        let text = cp.text();
        let mut n = note::sign(&text, "log.example/fw", &log_key()).unwrap();
        for c in cosigners {
            let (k, w) = witness(*c);
            n.push_str(&note::cosign(&text, &w.name, &k, 1_700_000_000).unwrap());
        }
        n
    }

    #[test]
    fn quorums_count_valid_cosignatures() {
        let p = TlogPolicy::parse(policy("two").as_bytes()).unwrap();
        assert!(p.verify_checkpoint(&checkpoint(&[1, 3])).is_ok());
        assert_eq!(
            p.verify_checkpoint(&checkpoint(&[2])),
            Err(CheckpointError::NoQuorum {
                cosigned: vec!["W2".into()]
            })
        );
        let all = TlogPolicy::parse(policy("all-of").as_bytes()).unwrap();
        assert!(all.verify_checkpoint(&checkpoint(&[1, 2])).is_ok());
        assert!(all.verify_checkpoint(&checkpoint(&[1])).is_err());
        let none = TlogPolicy::parse(policy("none").as_bytes()).unwrap();
        assert!(none.verify_checkpoint(&checkpoint(&[])).is_ok());
        let one = TlogPolicy::parse(policy("W3").as_bytes()).unwrap();
        assert!(one.verify_checkpoint(&checkpoint(&[1, 2])).is_err());
        assert!(one.verify_checkpoint(&checkpoint(&[3])).is_ok());
    }

    #[test]
    fn checkpoints_of_other_logs_or_bad_lines_fail() {
        let p = TlogPolicy::parse(policy("none").as_bytes()).unwrap();
        let other = note::sign(
            &Checkpoint {
                origin: "other.example".into(),
                size: 1,
                root: [0; 32],
            }
            .text(),
            "other.example",
            &log_key(),
        )
        .unwrap();
        assert!(matches!(
            p.verify_checkpoint(&other),
            Err(CheckpointError::UnknownLog { .. })
        ));
        // A listed witness's line that does not verify rejects the note.
        let mut cp = checkpoint(&[1]);
        let last = cp.trim_end().rsplit(' ').next().unwrap().to_owned();
        // Keep the key id (the first 6 base64 characters), change the signature.
        let mut flipped = last.clone().into_bytes();
        flipped[30] = if flipped[30] == b'A' { b'B' } else { b'A' };
        cp = cp.replace(&last, std::str::from_utf8(&flipped).unwrap());
        assert!(p.verify_checkpoint(&cp).is_err());
    }

    #[test]
    fn refuses_malformed_policies_with_the_line() {
        let good = policy("two");
        let (_, w1) = witness(1);
        for (bad, line) in [
            (good.replace("quorum two\n", ""), 0),
            (format!("{good}quorum two\n"), 11),
            (good.replace("group two 2", "group two 4"), 7),
            (good.replace("group two 2", "group two 0"), 7),
            (good.replace("group two 2", "group two 02"), 7),
            (good.replace("group two 2 W1 W2 W3", "group two 2 W1 W1"), 7),
            (good.replace("group two 2 W1 W2 W3", "group two 2 W9"), 7),
            (good.replace("quorum two", "quorum later"), 10),
            (good.replace("witness W3", "witness none"), 6),
            (good.replace("witness W3", "witness W1"), 6),
            (format!("{good}witness W9 {}\n", w1.to_vkey()), 11),
            (good.replace("# firmware logs", "logs are here"), 1),
            (good.replace("# firmware logs", "#\u{7}"), 1),
            (good.replacen("log ", "log broken+00000000+AAAA ", 1), 2),
        ] {
            let e = TlogPolicy::parse(bad.as_bytes()).unwrap_err();
            assert_eq!(e.line, line, "{bad}\n{e}");
        }
        // A witness key where a log key belongs.
        let wrong = format!("log {}\nquorum none\n", w1.to_vkey());
        assert!(TlogPolicy::parse(wrong.as_bytes()).is_err());
        assert!(TlogPolicy::parse(&vec![b'#'; MAX_POLICY_BYTES + 1]).is_err());
    }
}
