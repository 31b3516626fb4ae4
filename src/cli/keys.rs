//! `hwprov key`, `sign`, `bundle` and `inspect`: making and reading signed
//! statements.

use super::{Fatal, outln, usage};
use clap::{Args, Subcommand};
use hwprov::text::Escaped;
use hwprov::wire::envelope::{self, Envelope, Kind};
use hwprov::wire::statement::{self, Body};
use hwprov::wire::{bundle, cbor, safe};
use hwprov::{Limits, PublicKey, SecretKey, Sha256, Statement};
use hwprov::{read_bounded, write_atomic};
use serde_json::json;
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub(crate) enum KeyCommand {
    /// Generate a new Ed25519 key: KEY.pem (PKCS#8, mode 0600) and KEY.pub.pem (SPKI).
    Generate {
        /// Private key file to create.
        #[arg(long, value_name = "KEY.pem")]
        out: PathBuf,
        /// Replace existing files.
        #[arg(long)]
        force: bool,
    },
    /// Show a key's id and `ed25519:` text form (private PEM, public PEM or text).
    Show {
        /// Key file.
        file: PathBuf,
    },
    /// Print a key's C2SP verifier key (vkey) under a name: a log's key
    /// (the name is the log's origin) or, with --witness, a witness's
    /// cosignature key, as tlog-policy files list them.
    Vkey {
        /// Key file (private PEM, public PEM or text).
        file: PathBuf,
        /// The key name: the log's origin, or the witness's name.
        #[arg(long, value_name = "NAME")]
        name: String,
        /// A witness's cosignature/v1 key (signature type 0x04) instead of
        /// a log's note key (0x01).
        #[arg(long)]
        witness: bool,
    },
}

#[derive(Args)]
pub(crate) struct SignArgs {
    /// Private key (PKCS#8 PEM); repeat for several signers.
    #[arg(long = "key", required = true, value_name = "KEY.pem")]
    keys: Vec<PathBuf>,
    /// The statement in the JSON authoring form (schemas/statement.schema.json).
    #[arg(value_name = "STATEMENT.json")]
    statement: PathBuf,
    /// Where to write the signed statement.
    #[arg(long, value_name = "STATEMENT.cose")]
    out: PathBuf,
}

#[derive(Args)]
pub(crate) struct BundleArgs {
    /// Where to write the bundle.
    #[arg(long, value_name = "BUNDLE.cbor")]
    out: PathBuf,
    /// The root statement.
    #[arg(value_name = "ROOT.cose")]
    root: PathBuf,
    /// Evidence: signed statements (stages, firmware releases,
    /// evaluations), OCP S.A.F.E. reports (.jws, or a signed CoRIM) and
    /// C2SP tlog-proofs (`hwprov log prove --format tlog-proof`).
    #[arg(value_name = "EVIDENCE.cose|.jws|.tlog-proof")]
    evidence: Vec<PathBuf>,
}

#[derive(Args)]
pub(crate) struct InspectArgs {
    /// A signed statement (.cose), a bundle, an OCP S.A.F.E. report (.jws,
    /// or a COSE-signed CoRIM), or a C2SP tlog-proof.
    file: PathBuf,
}

pub(crate) fn key(cmd: KeyCommand) -> Result<u8, Fatal> {
    match cmd {
        KeyCommand::Generate { out, force } => key_generate(&out, force),
        KeyCommand::Vkey {
            file,
            name,
            witness,
        } => {
            let key = PublicKey::load(&file)?;
            use hwprov::wire::tlog::note::{Verifier, Witness};
            let bad = |e: hwprov::wire::tlog::note::NoteError| usage(format!("--name: {e}"));
            let vkey = if witness {
                Witness::new(&name, key).map_err(bad)?.to_vkey()
            } else {
                Verifier::new(&name, key).map_err(bad)?.to_vkey()
            };
            outln!("{vkey}");
            Ok(0)
        }
        KeyCommand::Show { file } => {
            let public = PublicKey::load(&file)?;
            outln!("key id:     {}", public.id());
            outln!("public key: {}", public.to_text());
            Ok(0)
        }
    }
}

fn public_path(out: &Path) -> PathBuf {
    let s = out.to_string_lossy();
    match s.strip_suffix(".pem") {
        Some(stem) => PathBuf::from(format!("{stem}.pub.pem")),
        None => PathBuf::from(format!("{s}.pub.pem")),
    }
}

fn key_generate(out: &Path, force: bool) -> Result<u8, Fatal> {
    let pub_out = public_path(out);
    for p in [out, pub_out.as_path()] {
        if p.exists() && !force {
            return Err(usage(format!(
                "{} already exists; refusing to overwrite a key (use --force to replace it)",
                p.display()
            )));
        }
    }
    let key = SecretKey::generate()?;
    let public = key.public();
    write_atomic(out, key.to_pem()?.as_bytes(), 0o600)?;
    write_atomic(&pub_out, public.to_spki_pem().as_bytes(), 0o644)?;
    outln!(
        "wrote {} and {}",
        Escaped(out.display()),
        Escaped(pub_out.display())
    );
    outln!("key id:     {}", public.id());
    outln!("public key: {}", public.to_text());
    Ok(0)
}

pub(crate) fn sign(a: &SignArgs, limits: &Limits) -> Result<u8, Fatal> {
    let text = read_bounded(&a.statement, limits.max_json_bytes)?;
    let json = Statement::read_json(&text)
        .map_err(|e| usage(format!("{}: not valid JSON: {e}", a.statement.display())))?;
    let st = Statement::from_json(&json)
        .map_err(|e| usage(format!("{}: {e}", a.statement.display())))?;
    let mut secret = Vec::with_capacity(a.keys.len());
    for k in &a.keys {
        let key = SecretKey::load(k)?;
        if secret
            .iter()
            .any(|s: &SecretKey| s.public() == key.public())
        {
            return Err(usage(format!(
                "{}: the same key is given twice; thresholds count distinct keys, so a second signature by it adds nothing",
                k.display()
            )));
        }
        secret.push(key);
    }
    let refs: Vec<&SecretKey> = secret.iter().collect();
    let bytes = envelope::sign(&st.encode(), &refs);
    write_atomic(&a.out, &bytes, 0o644)?;
    outln!("{} {}", Sha256::of(&bytes), Escaped(a.out.display()));
    Ok(0)
}

pub(crate) fn bundle(a: &BundleArgs, limits: &Limits) -> Result<u8, Fatal> {
    let mut parts: Vec<Vec<u8>> = Vec::with_capacity(a.evidence.len() + 1);
    for (i, p) in std::iter::once(a.root.as_path())
        .chain(a.evidence.iter().map(PathBuf::as_path))
        .enumerate()
    {
        let mut bytes = read_bounded(p, limits.max_statement_bytes)?;
        if i > 0 && safe::is_jws(&bytes) {
            bytes = jws_bytes(&bytes).to_vec();
        }
        if i > 0 && hwprov::wire::tlog::proof::TlogProof::is_proof(&bytes) {
            hwprov::wire::tlog::proof::TlogProof::parse(&bytes)
                .map_err(|e| usage(format!("{}: {e}", Escaped(p.display()))))?;
            parts.push(bytes);
            continue;
        }
        let report = i > 0
            && (safe::is_jws(&bytes)
                || (Envelope::decode(&bytes, limits.max_depth).is_err()
                    && safe::is_corim(&bytes, limits)));
        if report {
            parse_report(&bytes, p, limits)?;
        } else {
            let env = Envelope::decode(&bytes, limits.max_depth).map_err(|e| {
                let hint = if i == 0 && (safe::is_jws(&bytes) || safe::is_corim(&bytes, limits)) {
                    " (it is an OCP S.A.F.E. report: reports are evidence, never the root)"
                } else {
                    ""
                };
                usage(format!(
                    "{}: not a signed statement: {e}{hint}",
                    p.display()
                ))
            })?;
            if i == 0 {
                let st = Statement::decode(&env.payload, limits.max_depth)
                    .map_err(|e| usage(format!("{}: {e}", p.display())))?;
                if !matches!(st.body, Body::Device(_) | Body::Firmware(_)) {
                    return Err(usage(format!(
                        "{}: the root must be a device or firmware statement, not {}",
                        p.display(),
                        st.type_name()
                    )));
                }
            }
        }
        if parts.contains(&bytes) {
            return Err(usage(format!(
                "{}: this statement is already in the bundle",
                p.display()
            )));
        }
        parts.push(bytes);
    }
    if parts.len() > limits.max_statements {
        return Err(usage(format!(
            "more than {} statements",
            limits.max_statements
        )));
    }
    let bytes = bundle::encode(&parts);
    write_atomic(&a.out, &bytes, 0o644)?;
    outln!("{} statements -> {}", parts.len(), Escaped(a.out.display()));
    Ok(0)
}

/// A JWS file's compact serialisation: a `.jws` file as published may end
/// with a newline, which is not part of the JWS.
fn jws_bytes(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii_end()
}

/// Parses a S.A.F.E. report the user named; an error names the file.
fn parse_report(bytes: &[u8], file: &Path, limits: &Limits) -> Result<safe::Signed, Fatal> {
    safe::parse(bytes, limits).map_err(|e| {
        usage(format!(
            "{}: not an OCP S.A.F.E. report hwprov accepts: {e}",
            file.display()
        ))
    })
}

/// `inspect` of a report file: the report as JSON.
fn print_report(bytes: &[u8], file: &Path, limits: &Limits) -> Result<u8, Fatal> {
    let s = parse_report(bytes, file, limits)?;
    outln!("{}", serde_json::to_string_pretty(&s.to_json())?);
    Ok(0)
}

/// A S.A.F.E. report as `inspect` shows it, with its digest.
fn inspect_report(bytes: &[u8], limits: &Limits) -> serde_json::Value {
    let digest = Sha256::of(bytes).to_string();
    match safe::parse(bytes, limits) {
        Ok(s) => {
            let mut j = s.to_json();
            j["digest"] = json!(digest);
            j
        }
        Err(e) => json!({"digest": digest, "format": "ocp-safe-report", "error": e.to_string()}),
    }
}

fn inspect_statement(bytes: &[u8], limits: &Limits) -> serde_json::Value {
    let digest = Sha256::of(bytes);
    if hwprov::wire::tlog::proof::TlogProof::is_proof(bytes) {
        return super::tlog::inspect_proof(bytes);
    }
    if safe::is_jws(bytes) {
        return inspect_report(bytes, limits);
    }
    let env = match Envelope::decode(bytes, limits.max_depth) {
        Ok(e) => e,
        Err(_) if safe::is_corim(bytes, limits) => return inspect_report(bytes, limits),
        Err(e) => return json!({"digest": digest.to_string(), "error": e.to_string()}),
    };
    let signers: Vec<String> = env.signatures.iter().map(|s| s.kid.to_string()).collect();
    let kind = match env.kind {
        Kind::Sign1 => "COSE_Sign1",
        Kind::Sign => "COSE_Sign",
    };
    let statement = match Statement::decode(&env.payload, limits.max_depth) {
        Ok(s) => s.to_json(),
        Err(e) => {
            let raw = cbor::decode(&env.payload, limits.max_depth)
                .map(|v| statement::cbor_to_json(&v))
                .unwrap_or(serde_json::Value::Null);
            json!({"error": e.to_string(), "decoded": raw})
        }
    };
    json!({"digest": digest.to_string(), "envelope": kind, "signers": signers, "statement": statement})
}

pub(crate) fn inspect(a: &InspectArgs, limits: &Limits) -> Result<u8, Fatal> {
    let file = &a.file;
    let bytes = read_bounded(file, limits.max_bundle_bytes)?;
    if safe::is_jws(&bytes) {
        return print_report(jws_bytes(&bytes), file, limits);
    }
    if hwprov::wire::tlog::proof::TlogProof::is_proof(&bytes) {
        let j = super::tlog::inspect_proof(&bytes);
        if let Some(e) = j["error"].as_str() {
            return Err(usage(format!("{}: {e}", Escaped(file.display()))));
        }
        outln!("{}", serde_json::to_string_pretty(&j)?);
        return Ok(0);
    }
    let parts =
        bundle::split(&bytes, limits).map_err(|e| usage(format!("{}: {e}", file.display())))?;
    let single = parts.len() == 1 && parts[0].len() == bytes.len();
    let out = if single {
        let env = match Envelope::decode(&bytes, limits.max_depth) {
            Ok(env) => env,
            Err(_) if safe::is_corim(&bytes, limits) => return print_report(&bytes, file, limits),
            Err(e) => return Err(usage(format!("{}: {e}", file.display()))),
        };
        let st = Statement::decode(&env.payload, limits.max_depth)
            .map_err(|e| usage(format!("{}: {e}", file.display())))?;
        st.to_json()
    } else {
        let statements: Vec<serde_json::Value> =
            parts.iter().map(|p| inspect_statement(p, limits)).collect();
        json!({"bundle": Sha256::of(&bytes).to_string(), "statements": statements})
    };
    outln!("{}", serde_json::to_string_pretty(&out)?);
    Ok(0)
}
