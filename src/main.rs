//! The `hwprov` command line: argument parsing and printing only; the work is
//! done by the library.
#![forbid(unsafe_code)]

use clap::{Args, Parser, Subcommand, ValueEnum};
use hwprov::audit::log::{Entry, Log, findings_digest};
use hwprov::decide::gate::{self as gatelib, GateReport, GateSummary};
use hwprov::fsutil::{self, write_atomic};
use hwprov::text::Escaped;
use hwprov::wire::bundle;
use hwprov::wire::cbor;
use hwprov::wire::envelope::{self, Envelope, Kind};
use hwprov::wire::keys::{PublicKey, SecretKey};
use hwprov::wire::state::{DeviceId, InstalledImage, State};
use hwprov::wire::statement::{self, Body, Statement};
use hwprov::{Limits, Policy, Sha256, Timestamp, Verdict};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Verify the provenance of network equipment and chips.
///
/// Each party in a hardware supply chain signs a statement about its step;
/// hwprov checks the signed statements and firmware hashes of a bundle
/// against a trust policy and prints a verdict.
///
/// Exit status: 0 pass or warn, 1 fail, 2 usage or input error.
#[derive(Parser)]
#[command(name = "hwprov", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create or show Ed25519 keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Sign a statement written in the JSON authoring form.
    ///
    /// One --key makes a COSE_Sign1; two or more make a COSE_Sign with one
    /// signature per key. The payload is written in deterministic CBOR.
    Sign {
        /// Private key (PKCS#8 PEM); repeat for several signers.
        #[arg(long = "key", required = true, value_name = "KEY.pem")]
        keys: Vec<PathBuf>,
        /// The statement in the JSON authoring form (schemas/statement.schema.json).
        #[arg(value_name = "STATEMENT.json")]
        statement: PathBuf,
        /// Where to write the signed statement.
        #[arg(long, value_name = "STATEMENT.cose")]
        out: PathBuf,
    },
    /// Bundle signed statements: the root (device or firmware) first, then evidence.
    Bundle {
        /// Where to write the bundle.
        #[arg(long, value_name = "BUNDLE.cbor")]
        out: PathBuf,
        /// The root statement.
        #[arg(value_name = "ROOT.cose")]
        root: PathBuf,
        /// Evidence statements (stages, firmware releases, evaluations).
        #[arg(value_name = "EVIDENCE.cose")]
        evidence: Vec<PathBuf>,
    },
    /// Print a statement as its JSON authoring form, or a bundle as readable JSON.
    Inspect {
        /// A signed statement (.cose) or a bundle.
        file: PathBuf,
    },
    /// Decide whether one firmware image may be installed on one device.
    ///
    /// The bundle's root must be a firmware release. The image is read once,
    /// streamed through SHA-256 (bounded memory whatever its size), and never
    /// more than one byte past the size the release declares (an endless or
    /// longer image is refused as firmware.image); with --install it is
    /// written to a temporary file beside PATH at the same time and renamed
    /// over PATH only on accept. On accept the state file is rewritten
    /// atomically with the new version; on refusal neither is touched. A
    /// symbolic link at PATH or the state file is kept: the file it points
    /// to is replaced. Gates on one device run one at a time (each holds a
    /// lock on the state file's directory).
    ///
    /// Exit status: 0 accepted, 1 refused, 2 input error (unreadable or
    /// corrupt state, not a bundle, invalid policy).
    Gate {
        /// The trust policy (TOML; reference: docs/policy.md, rules: docs/rules.md).
        #[arg(long, value_name = "P.toml")]
        policy: PathBuf,
        /// The device's state file (see `hwprov state init`).
        #[arg(long, value_name = "STATE.json")]
        state: PathBuf,
        /// The firmware image; `-` reads standard input.
        #[arg(long, value_name = "IMAGE")]
        image: PathBuf,
        /// Install the image at PATH if accepted (atomic rename; untouched if refused).
        #[arg(long, value_name = "PATH")]
        install: Option<PathBuf>,
        /// Evaluation time, RFC 3339 (default: now).
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = GateFormat::Text)]
        format: GateFormat,
        /// Refuse on a `warn` verdict too.
        #[arg(long)]
        deny_warnings: bool,
        /// Record the decision in this log before acting on it (the image by digest and length only).
        #[arg(long, value_name = "DIR")]
        log: Option<PathBuf>,
        /// The release bundle (root: a firmware statement; evidence: evaluations).
        #[arg(value_name = "BUNDLE")]
        bundle: PathBuf,
    },
    /// Vet a shipment: verify every bundle under the paths in parallel, then
    /// check the set for clones and concentration and summarise where its
    /// supply chain runs.
    ///
    /// PATH is bundle files or directories (searched recursively for *.cbor
    /// and *.cose; hidden entries skipped). A unit that cannot be read, or is
    /// not a regular file (a pipe, a device, a link loop), is an error for
    /// that unit and the run goes on. A directory that cannot be listed, or
    /// a symbolic link to a directory (never followed), stops the run. A
    /// progress bar is drawn on a terminal only.
    /// Exit status: 0 no unit failed or errored and no fleet finding denies
    /// (warn too with --deny-warnings), 1 otherwise, 2 input error (no
    /// bundles found, invalid policy, a directory that cannot be walked).
    Vet {
        /// The trust policy (TOML; reference: docs/policy.md, rules: docs/rules.md).
        #[arg(long, value_name = "P.toml")]
        policy: PathBuf,
        /// Evaluation time, RFC 3339 (default: now).
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// Threads, 1 to 256 (default: all cores).
        #[arg(long, value_name = "N",
              value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=MAX_JOBS as u64))]
        jobs: Option<usize>,
        /// Output: text (units that did not pass, then the summary) or json
        /// (one object per unit, then one summary object).
        #[arg(long, value_enum, default_value_t = Format2::Text)]
        format: Format2,
        /// Also write a self-contained HTML report (charts and failing units).
        #[arg(long, value_name = "REPORT.html")]
        html: Option<PathBuf>,
        /// Exit 1 on a `warn` verdict too.
        #[arg(long)]
        deny_warnings: bool,
        /// Record one entry per unit in this log, as one batch.
        #[arg(long, value_name = "DIR")]
        log: Option<PathBuf>,
        /// Text output: list every unit that did not pass (by default the
        /// first 20, then a count).
        #[arg(long)]
        verbose: bool,
        /// Bundle files or directories.
        #[arg(value_name = "PATH", required = true)]
        paths: Vec<PathBuf>,
    },
    /// Create or show a device state file for `gate`.
    #[command(subcommand)]
    State(StateCommand),
    /// The verification log: init, verify, prove, consistency, show.
    #[command(subcommand)]
    Log(LogCommand),
    /// Re-run every logged decision from its stored inputs at its recorded
    /// time and compare verdict and findings; check the tree against the
    /// signed checkpoint. Exit status: 0 all the same, 1 any difference or a
    /// log that does not verify, 2 input error.
    Replay {
        /// The log directory.
        dir: PathBuf,
        /// First entry to replay.
        #[arg(long, value_name = "N")]
        from: Option<u64>,
        /// Last entry to replay (inclusive).
        #[arg(long, value_name = "M")]
        to: Option<u64>,
        /// List every entry replayed, not only those that differ.
        #[arg(long)]
        verbose: bool,
    },
    /// Check a policy file, or test it against case folders.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Print a shell completion script for hwprov.
    ///
    /// Install, e.g.: `hwprov completions bash > ~/.local/share/bash-completion/completions/hwprov`,
    /// `hwprov completions zsh > ~/.zfunc/_hwprov`, `hwprov completions fish > ~/.config/fish/completions/hwprov.fish`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write man pages: hwprov.1 and one page per subcommand (hwprov-verify.1, ...).
    ///
    /// Install, e.g.: `hwprov man --out ~/.local/share/man/man1`, then `man hwprov`.
    Man {
        /// Directory to write the pages to (created if missing).
        #[arg(long, value_name = "DIR", default_value = ".")]
        out: PathBuf,
    },
    /// Verify a bundle against a trust policy and print the verdict.
    ///
    /// Exit status: 0 pass or warn, 1 fail, 2 input error (unreadable file,
    /// not a bundle, invalid policy).
    Verify {
        #[command(flatten)]
        common: VerifyArgs,
        /// The bundle (or a single signed statement).
        #[arg(value_name = "BUNDLE")]
        bundle: PathBuf,
    },
}

#[derive(Args)]
struct VerifyArgs {
    /// The trust policy (TOML; reference: docs/policy.md, rules: docs/rules.md).
    #[arg(long, value_name = "P.toml")]
    policy: PathBuf,
    /// Evaluation time, RFC 3339 (default: now). Use a fixed time to reproduce a decision.
    #[arg(long, value_name = "TIME")]
    at: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Exit 1 on a `warn` verdict too.
    #[arg(long)]
    deny_warnings: bool,
    /// Record the decision in this log (see `hwprov log init`) before printing it.
    #[arg(long, value_name = "DIR")]
    log: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// Readable text, grouped by statement.
    Text,
    /// The JSON report (schemas/report.schema.json).
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format2 {
    /// Readable text.
    Text,
    /// JSON lines.
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum GateFormat {
    /// Readable text with the decision.
    Text,
    /// The JSON report (schemas/report.schema.json) plus a "gate" object with the decision.
    Json,
}

#[derive(Subcommand)]
enum StateCommand {
    /// Create a state file for a device (components start with nothing known installed: svn 0).
    Init {
        /// Vendor, as firmware releases name it in their target.
        #[arg(long)]
        vendor: String,
        /// Model.
        #[arg(long)]
        model: String,
        /// Serial number.
        #[arg(long)]
        serial: String,
        /// A component ref (repeat for several).
        #[arg(long = "component", value_name = "C")]
        components: Vec<String>,
        /// Where to write the state.
        #[arg(long, value_name = "STATE.json")]
        out: PathBuf,
        /// Replace an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Print a state file after checking it.
    Show {
        /// The state file.
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum LogCommand {
    /// Create a log: DIR gets the signing key (mode 0600), the verifier key
    /// (log.vkey), an empty tree and a signed checkpoint.
    Init {
        /// The log directory (created; must not hold a log).
        dir: PathBuf,
        /// The log's Ed25519 signing key (PKCS#8 PEM); a copy is kept in DIR/log.key.
        #[arg(long, value_name = "KEY.pem")]
        key: PathBuf,
        /// The log's origin (checkpoint first line and key name), e.g. example.com/hwprov-log.
        #[arg(long, value_name = "NAME")]
        origin: String,
    },
    /// Check the whole log: entries, tree, signed checkpoint, stored objects.
    /// Exit 1 if anything is wrong (each problem is listed).
    Verify {
        /// The log directory.
        dir: PathBuf,
        /// Truncate a torn tail and rebuild the derived files and checkpoint
        /// (never removes a complete entry).
        #[arg(long)]
        repair: bool,
    },
    /// Print an RFC 9162 inclusion proof of entry N as JSON.
    Prove {
        /// The log directory.
        dir: PathBuf,
        /// Entry index.
        #[arg(long, value_name = "N")]
        index: u64,
        /// Tree size (default: the checkpoint's).
        #[arg(long, value_name = "M")]
        size: Option<u64>,
    },
    /// Print an RFC 9162 consistency proof between two tree sizes as JSON.
    Consistency {
        /// The log directory.
        dir: PathBuf,
        /// The older tree size.
        #[arg(long, value_name = "M")]
        old_size: u64,
        /// The newer tree size (default: the checkpoint's).
        #[arg(long, value_name = "N")]
        size: Option<u64>,
    },
    /// Print entries as JSON lines.
    Show {
        /// The log directory.
        dir: PathBuf,
        /// Only this entry.
        #[arg(long, value_name = "N")]
        index: Option<u64>,
    },
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Validate a policy and summarise it: entities, keys per role, the
    /// high-risk list, waivers and the rules in force per class.
    ///
    /// Exit status: 0 valid, 2 invalid (with file:line:column and the problem).
    Check {
        /// The policy file.
        #[arg(value_name = "P.toml")]
        policy: PathBuf,
        /// Time for waiver and designation status (default: now).
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
    },
    /// Run every case folder in DIR and report pass/fail per case.
    ///
    /// Each case folder holds bundle.cbor, case.json (at, verdict, rules that
    /// must appear; see README) and optionally policy.toml; otherwise
    /// DIR/policy.toml is used. Exit status: 0 all pass, 1 any fail, 2 input error.
    Test {
        /// Directory of case folders.
        dir: PathBuf,
    },
}

#[derive(Subcommand)]
enum KeyCommand {
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
}

/// Prints to stdout; a closed pipe (e.g. `| head`) is not an error worth a
/// panic, and the exit status still tells the verdict.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($arg)*);
    }};
}

macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// An error for the user: one line, then exit status 2.
struct Fatal(String);

impl<E: std::fmt::Display> From<E> for Fatal {
    fn from(e: E) -> Self {
        Fatal(e.to_string())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(Fatal(msg)) => {
            eprintln!("hwprov: error: {}", Escaped(&msg));
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<u8, Fatal> {
    let limits = Limits::DEFAULT;
    match cli.command {
        Command::Key(KeyCommand::Generate { out, force }) => key_generate(&out, force),
        Command::Key(KeyCommand::Show { file }) => {
            let public = PublicKey::load(&file)?;
            outln!("key id:     {}", public.id());
            outln!("public key: {}", public.to_text());
            Ok(0)
        }
        Command::Sign {
            keys,
            statement,
            out,
        } => sign(&keys, &statement, &out, &limits),
        Command::Bundle {
            out,
            root,
            evidence,
        } => make_bundle(&out, &root, &evidence, &limits),
        Command::Inspect { file } => inspect(&file, &limits),
        Command::Verify { common, bundle } => verify(&common, &bundle, &limits),
        Command::Gate {
            policy,
            state,
            image,
            install,
            at,
            format,
            deny_warnings,
            log,
            bundle,
        } => gate(
            &GateArgs {
                policy,
                state,
                image,
                install,
                at,
                format,
                deny_warnings,
                log,
                bundle,
            },
            &limits,
        ),
        Command::Vet {
            policy,
            at,
            jobs,
            format,
            html,
            deny_warnings,
            log,
            verbose,
            paths,
        } => vet(
            &VetArgs {
                policy,
                at,
                jobs,
                format,
                html,
                deny_warnings,
                log,
                verbose,
                paths,
            },
            &limits,
        ),
        Command::State(StateCommand::Init {
            vendor,
            model,
            serial,
            components,
            out,
            force,
        }) => {
            if out.exists() && !force {
                return Err(Fatal(format!(
                    "{} already exists; refusing to overwrite a device state (use --force)",
                    out.display()
                )));
            }
            if vendor.is_empty()
                || model.is_empty()
                || serial.is_empty()
                || components.iter().any(String::is_empty)
            {
                return Err(Fatal(
                    "vendor, model, serial and component refs must not be empty".into(),
                ));
            }
            let st = State {
                device: DeviceId {
                    vendor,
                    model,
                    serial,
                },
                installed: components
                    .into_iter()
                    .map(|c| {
                        (
                            c,
                            InstalledImage {
                                name: String::new(),
                                version: String::new(),
                                svn: 0,
                                image: None,
                            },
                        )
                    })
                    .collect(),
            };
            st.save(&out)?;
            outln!("wrote {}", Escaped(out.display()));
            Ok(0)
        }
        Command::State(StateCommand::Show { file }) => {
            let st = State::load(&file, &limits)?;
            out!("{}", String::from_utf8_lossy(&st.to_bytes()));
            Ok(0)
        }
        Command::Log(cmd) => log_command(cmd, &limits),
        Command::Replay {
            dir,
            from,
            to,
            verbose,
        } => replay(&dir, from, to, verbose, &limits),
        Command::Policy(PolicyCommand::Check { policy, at }) => {
            let at = parse_at(&at)?;
            let p = Policy::load(&policy, &limits)?;
            out!("{}", hwprov::text::escape_lines(&p.summary(at)));
            outln!("{}: valid", Escaped(policy.display()));
            Ok(0)
        }
        Command::Completions { shell } => {
            use clap::CommandFactory as _;
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "hwprov", &mut out);
            out!("{}", String::from_utf8_lossy(&out));
            Ok(0)
        }
        Command::Man { out } => man_pages(&out),
        Command::Policy(PolicyCommand::Test { dir }) => {
            let results = hwprov::decide::cases::run_dir(&dir, &limits)?;
            let failed = results.iter().filter(|r| !r.passed()).count();
            for r in &results {
                if r.passed() {
                    outln!("ok    {}: {}", Escaped(&r.name), Escaped(&r.outcome));
                } else {
                    outln!(
                        "FAIL  {}: {}\n        {}",
                        Escaped(&r.name),
                        Escaped(&r.outcome),
                        r.problems
                            .iter()
                            .map(|p| hwprov::text::escape(p))
                            .collect::<Vec<_>>()
                            .join("\n        ")
                    );
                }
            }
            outln!("{} passed, {failed} failed", results.len() - failed);
            Ok(if failed == 0 { 0 } else { 1 })
        }
    }
}

/// Writes `hwprov.1` and a page per subcommand (`hwprov-log-verify.1`, ...)
/// into `dir`, each atomically.
fn man_pages(dir: &Path) -> Result<u8, Fatal> {
    use clap::CommandFactory as _;
    std::fs::create_dir_all(dir).map_err(|e| Fatal(format!("--out {}: {e}", dir.display())))?;
    fn write(dir: &Path, cmd: clap::Command, name: &str, n: &mut usize) -> Result<(), Fatal> {
        let cmd = cmd.name(name.to_owned());
        let mut page = Vec::new();
        clap_mangen::Man::new(cmd.clone())
            .render(&mut page)
            .map_err(|e| Fatal(format!("rendering the man page of {name}: {e}")))?;
        write_atomic(&dir.join(format!("{name}.1")), &page, 0o644)?;
        *n += 1;
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            write(dir, sub.clone(), &format!("{name}-{}", sub.get_name()), n)?;
        }
        Ok(())
    }
    let mut n = 0;
    let mut cmd = Cli::command();
    cmd.build();
    write(dir, cmd, "hwprov", &mut n)?;
    outln!("wrote {n} man pages to {}", Escaped(dir.display()));
    Ok(0)
}

fn parse_at(at: &Option<String>) -> Result<Timestamp, Fatal> {
    match at {
        Some(s) => Timestamp::parse_rfc3339(s).map_err(|e| Fatal(format!("--at '{s}': {e}"))),
        None => Ok(Timestamp::now()),
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
            return Err(Fatal(format!(
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

fn sign(keys: &[PathBuf], statement: &Path, out: &Path, limits: &Limits) -> Result<u8, Fatal> {
    let text = fsutil::read_bounded(statement, limits.max_json_bytes)?;
    let json = Statement::read_json(&text)
        .map_err(|e| Fatal(format!("{}: not valid JSON: {e}", statement.display())))?;
    let st =
        Statement::from_json(&json).map_err(|e| Fatal(format!("{}: {e}", statement.display())))?;
    let mut secret = Vec::with_capacity(keys.len());
    for k in keys {
        let key = SecretKey::load(k)?;
        if secret
            .iter()
            .any(|s: &SecretKey| s.public() == key.public())
        {
            return Err(Fatal(format!(
                "{}: the same key is given twice; thresholds count distinct keys, so a second signature by it adds nothing",
                k.display()
            )));
        }
        secret.push(key);
    }
    let refs: Vec<&SecretKey> = secret.iter().collect();
    let bytes = envelope::sign(&st.encode(), &refs);
    write_atomic(out, &bytes, 0o644)?;
    outln!("{} {}", Sha256::of(&bytes), Escaped(out.display()));
    Ok(0)
}

fn make_bundle(
    out: &Path,
    root: &Path,
    evidence: &[PathBuf],
    limits: &Limits,
) -> Result<u8, Fatal> {
    let mut parts: Vec<Vec<u8>> = Vec::with_capacity(evidence.len() + 1);
    for (i, p) in std::iter::once(root)
        .chain(evidence.iter().map(PathBuf::as_path))
        .enumerate()
    {
        let bytes = fsutil::read_bounded(p, limits.max_statement_bytes)?;
        let env = Envelope::decode(&bytes, limits.max_depth)
            .map_err(|e| Fatal(format!("{}: not a signed statement: {e}", p.display())))?;
        if i == 0 {
            let st = Statement::decode(&env.payload, limits.max_depth)
                .map_err(|e| Fatal(format!("{}: {e}", p.display())))?;
            if !matches!(st.body, Body::Device(_) | Body::Firmware(_)) {
                return Err(Fatal(format!(
                    "{}: the root must be a device or firmware statement, not {}",
                    p.display(),
                    st.type_name()
                )));
            }
        }
        if parts.contains(&bytes) {
            return Err(Fatal(format!(
                "{}: this statement is already in the bundle",
                p.display()
            )));
        }
        parts.push(bytes);
    }
    if parts.len() > limits.max_statements {
        return Err(Fatal(format!(
            "more than {} statements",
            limits.max_statements
        )));
    }
    let bytes = bundle::encode(&parts);
    write_atomic(out, &bytes, 0o644)?;
    outln!("{} statements -> {}", parts.len(), Escaped(out.display()));
    Ok(0)
}

fn inspect_statement(bytes: &[u8], limits: &Limits) -> serde_json::Value {
    let digest = Sha256::of(bytes);
    let env = match Envelope::decode(bytes, limits.max_depth) {
        Ok(e) => e,
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

fn inspect(file: &Path, limits: &Limits) -> Result<u8, Fatal> {
    let bytes = fsutil::read_bounded(file, limits.max_bundle_bytes)?;
    let parts =
        bundle::split(&bytes, limits).map_err(|e| Fatal(format!("{}: {e}", file.display())))?;
    let single = parts.len() == 1 && parts[0].len() == bytes.len();
    let out = if single {
        let env = Envelope::decode(&bytes, limits.max_depth)
            .map_err(|e| Fatal(format!("{}: {e}", file.display())))?;
        let st = Statement::decode(&env.payload, limits.max_depth)
            .map_err(|e| Fatal(format!("{}: {e}", file.display())))?;
        st.to_json()
    } else {
        let statements: Vec<serde_json::Value> =
            parts.iter().map(|p| inspect_statement(p, limits)).collect();
        json!({"bundle": Sha256::of(&bytes).to_string(), "statements": statements})
    };
    outln!("{}", serde_json::to_string_pretty(&out)?);
    Ok(0)
}

fn verify(args: &VerifyArgs, path: &Path, limits: &Limits) -> Result<u8, Fatal> {
    let at = parse_at(&args.at)?;
    let policy = Policy::load(&args.policy, limits)?;
    let bytes = fsutil::read_bounded(path, limits.max_bundle_bytes)?;
    let report = hwprov::verify_bundle(&policy, &bytes, at, limits)
        .map_err(|e| Fatal(format!("{}: {e}", path.display())))?;
    if let Some(dir) = &args.log {
        // Durable before the decision is reported.
        let log = Log::open(dir)?;
        let policy_bytes = fsutil::read_bounded(&args.policy, limits.max_policy_bytes)?;
        if Sha256::of(&policy_bytes) != policy.sha256 {
            return Err(Fatal(format!(
                "{}: the policy changed while it was read; run again",
                args.policy.display()
            )));
        }
        let mut inputs = vec![("bundle".to_string(), log.put_object(&bytes)?)];
        inputs.extend(policy_inputs(&log, &policy, &policy_bytes)?);
        let mut entry = [new_entry(
            "verify",
            at,
            inputs,
            report.verdict,
            &report.findings,
        )];
        log.append(&mut entry)?;
    }
    match args.format {
        Format::Text => out!("{}", report.to_text(&path.display().to_string())),
        Format::Json => outln!("{}", report.to_json()),
        Format::Sarif => outln!("{}", report.to_sarif(&path.display().to_string())),
    }
    Ok(report.verdict.exit_code(args.deny_warnings))
}

struct GateArgs {
    policy: PathBuf,
    state: PathBuf,
    image: PathBuf,
    install: Option<PathBuf>,
    at: Option<String>,
    format: GateFormat,
    deny_warnings: bool,
    log: Option<PathBuf>,
    bundle: PathBuf,
}

fn gate(a: &GateArgs, limits: &Limits) -> Result<u8, Fatal> {
    // Inputs first: any problem here is exit 2 and touches nothing.
    let at = parse_at(&a.at)?;
    gate_paths(a)?;
    let policy = Policy::load(&a.policy, limits)?;
    // One gate at a time per device: the state is read, decided on and
    // replaced (with the image) under a lock on its directory, so two
    // concurrent updates cannot interleave their renames or both pass the
    // rollback check against the same old svn.
    let _lock = fsutil::lock_dir_of(&a.state).map_err(|e| {
        Fatal(format!(
            "{}: cannot lock the state's directory: {e}",
            a.state.display()
        ))
    })?;
    let state = State::load(&a.state, limits)?;
    let bundle_bytes = fsutil::read_bounded(&a.bundle, limits.max_bundle_bytes)?;
    // SPEC 9: the root must be a firmware release (else exit 2), and the
    // image is read only if it verifies, at most its declared size + 1
    // bytes: an unverifiable bundle never makes the gate read or stage
    // gigabytes.
    let release = gatelib::verified_root_release(&policy, &bundle_bytes, at, limits)
        .map_err(|e| Fatal(format!("{}: {e}", a.bundle.display())))?;
    if let Some(dest) = &a.install
        && dest.is_dir()
    {
        return Err(Fatal(format!(
            "--install {}: is a directory; give the file path to install to",
            dest.display()
        )));
    }

    // The image, read once: hashed, and staged beside the destination.
    let (facts, staged) = match &release {
        None => (None, None),
        Some(r) => {
            let input = hwprov::decide::image::open_image(&a.image)
                .map_err(|e| Fatal(format!("{}: {e}", a.image.display())))?;
            let (facts, staged) = hwprov::decide::image::read_image(
                input,
                a.install.as_deref(),
                hwprov::decide::image::read_bound(Some(r.size), limits),
            )
            .map_err(|e| match (&e, &a.install) {
                (hwprov::decide::image::ImageError::Stage(_), Some(dest)) => Fatal(format!(
                    "--install {}: {e}; nothing was installed",
                    dest.display()
                )),
                _ => Fatal(format!("{}: {e}", a.image.display())),
            })?;
            if facts.size > limits.max_image_bytes {
                return Err(Fatal(format!(
                    "{}: the image is larger than the limit of {} bytes; nothing was installed",
                    a.image.display(),
                    limits.max_image_bytes
                )));
            }
            (Some(facts), staged)
        }
    };

    let report = gatelib::decide(&policy, &bundle_bytes, &state, facts, at, limits)
        .map_err(|e| Fatal(format!("{}: {e}", a.bundle.display())))?;
    if let Some(dir) = &a.log {
        // Recorded before anything is installed or reported.
        let log = Log::open(dir)?;
        let policy_bytes = read_unchanged(&a.policy, &policy.sha256, limits.max_policy_bytes)?;
        let state_bytes = fsutil::read_bounded(&a.state, limits.max_json_bytes)?;
        if State::parse(&state_bytes, &a.state).ok().as_ref() != Some(&state) {
            return Err(Fatal(format!(
                "{}: the state changed while it was read; run again",
                a.state.display()
            )));
        }
        let mut inputs = vec![
            ("bundle".to_string(), log.put_object(&bundle_bytes)?),
            ("state".into(), log.put_object(&state_bytes)?),
        ];
        if let Some(facts) = &facts {
            let facts_bytes = hwprov::audit::log::image_facts_bytes(facts);
            inputs.push(("image".into(), facts.sha256));
            inputs.push(("image-facts".into(), log.put_object(&facts_bytes)?));
        }
        let mut entry = [new_entry(
            "gate",
            at,
            [inputs, policy_inputs(&log, &policy, &policy_bytes)?].concat(),
            report.verdict,
            &report.findings,
        )];
        log.append(&mut entry)?;
    }
    // Only a verified release is ever accepted (its always-deny findings
    // fail the verdict otherwise); `release` is that statement.
    let accept = gatelib::accepts(report.verdict, a.deny_warnings) && release.is_some();
    let component = release.as_ref().map(|r| r.target.component.clone());
    let mut summary = GateSummary {
        decision: if accept { "accept" } else { "refuse" },
        device: state.device.clone(),
        installed: component
            .as_ref()
            .and_then(|c| state.installed.get(c).cloned()),
        component,
        image: facts,
        installed_to: None,
        state_updated: false,
    };
    if accept {
        // Everything that can fail is done first: the new state is written
        // beside the old one, then the image is renamed into place, then the
        // state. A failure before the image's rename changes nothing.
        let pending_state = match &release {
            Some(r) => {
                let mut new_state = state.clone();
                new_state.installed.insert(
                    r.target.component.clone(),
                    InstalledImage {
                        name: r.name.clone(),
                        version: r.version.clone(),
                        svn: r.svn,
                        image: Some(r.image),
                    },
                );
                Some(new_state.prepare(&a.state)?)
            }
            None => None,
        };
        if let Some(staged) = staged {
            staged.commit().map_err(|e| {
                Fatal(format!(
                    "installing to {}: {e}",
                    a.install
                        .as_ref()
                        .map_or(String::new(), |p| p.display().to_string())
                ))
            })?;
            summary.installed_to = a.install.as_ref().map(|p| p.display().to_string());
        }
        if let Some(pending) = pending_state {
            pending.commit()?;
            summary.state_updated = true;
        }
    }
    // A refused image's temporary file is removed when `staged` drops.
    let out = GateReport {
        report,
        gate: summary,
    };
    match a.format {
        GateFormat::Json => outln!("{}", serde_json::to_string(&out)?),
        GateFormat::Text => {
            out!("{}", out.report.to_text(&a.bundle.display().to_string()));
            let g = &out.gate;
            if accept {
                let what = release.as_ref().map_or(String::new(), |r| {
                    format!(
                        "{} {} (svn {}) on {}",
                        Escaped(&r.name),
                        Escaped(&r.version),
                        r.svn,
                        Escaped(&r.target.component)
                    )
                });
                outln!(
                    "decision: ACCEPT {what} for {} {} serial {}{}; state {} updated",
                    Escaped(&g.device.vendor),
                    Escaped(&g.device.model),
                    Escaped(&g.device.serial),
                    g.installed_to
                        .as_ref()
                        .map_or(String::new(), |p| format!(", installed to {}", Escaped(p))),
                    Escaped(a.state.display())
                );
            } else {
                outln!(
                    "decision: REFUSE for {} {} serial {}: {}; nothing was installed and {} is unchanged",
                    Escaped(&g.device.vendor),
                    Escaped(&g.device.model),
                    Escaped(&g.device.serial),
                    out.report
                        .findings
                        .iter()
                        .filter(|f| f.severity == hwprov::Severity::Deny
                            || (a.deny_warnings && f.severity == hwprov::Severity::Warn))
                        .map(|f| f.rule.as_str())
                        .collect::<std::collections::BTreeSet<_>>()
                        .into_iter()
                        .collect::<Vec<_>>()
                        .join(", "),
                    Escaped(a.state.display())
                );
            }
        }
    }
    Ok(if accept { 0 } else { 1 })
}

struct VetArgs {
    policy: PathBuf,
    at: Option<String>,
    jobs: Option<usize>,
    format: Format2,
    html: Option<PathBuf>,
    deny_warnings: bool,
    log: Option<PathBuf>,
    verbose: bool,
    paths: Vec<PathBuf>,
}

/// Units that did not pass listed in text output without `--verbose`.
const LISTED_UNITS: usize = 20;

/// A unit's findings for one line: each rule once, in order of first
/// appearance, with its worst severity, how often it fired, and the subject
/// of its worst finding.
fn rule_digest(findings: &[hwprov::Finding]) -> String {
    use hwprov::Severity;
    let mut rules: Vec<(hwprov::Rule, Severity, usize, &str)> = Vec::new();
    for f in findings
        .iter()
        .filter(|f| matches!(f.severity, Severity::Deny | Severity::Warn))
    {
        match rules.iter_mut().find(|r| r.0 == f.rule) {
            Some(r) => {
                r.2 += 1;
                if f.severity == Severity::Deny && r.1 != Severity::Deny {
                    r.1 = Severity::Deny;
                    r.3 = &f.subject;
                }
            }
            None => rules.push((f.rule, f.severity, 1, &f.subject)),
        }
    }
    // Denials first, each group in order of first appearance.
    rules.sort_by_key(|r| r.1 != Severity::Deny);
    rules
        .iter()
        .map(|(rule, sev, n, subject)| {
            let times = if *n > 1 {
                format!(" x{n}")
            } else {
                String::new()
            };
            format!("{} {rule}{times} ({})", sev.as_str(), Escaped(subject))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn vet_unit_line(u: &hwprov::decide::vet::Unit, format: Format2) -> Option<String> {
    match format {
        Format2::Json => Some(
            match &u.outcome {
                Ok(r) => json!({
                    "unit": u.path.display().to_string(),
                    "verdict": r.verdict,
                    "product": r.unit.as_ref().map(|f| json!({"vendor": f.product.vendor, "model": f.product.model, "serial": f.product.serial})),
                    "class": r.unit.as_ref().map(|f| f.class.clone()),
                    "root": r.root,
                    "findings": r.findings,
                }),
                Err(e) => json!({"unit": u.path.display().to_string(), "verdict": "error", "error": e}),
            }
            .to_string(),
        ),
        Format2::Text => match &u.outcome {
            Ok(r) if r.verdict == Verdict::Pass => None,
            Ok(r) => Some(format!(
                "{:<5} {}{}: {}",
                r.verdict.as_str().to_uppercase(),
                Escaped(u.path.display()),
                r.unit.as_ref().map_or(String::new(), |f| format!(" (serial {})", Escaped(&f.product.serial))),
                rule_digest(&r.findings)
            )),
            Err(e) => Some(format!("ERROR {}", Escaped(e))),
        },
    }
}

/// Most `vet` threads: far more than the cores of any machine vet runs on,
/// far fewer than the million a typo asks for (each thread has a stack and
/// a window of units in flight).
const MAX_JOBS: usize = 256;

fn vet(a: &VetArgs, limits: &Limits) -> Result<u8, Fatal> {
    use std::io::IsTerminal as _;
    let at = parse_at(&a.at)?;
    let policy = Policy::load(&a.policy, limits)?;
    let hwprov::decide::vet::Collected { units, skipped } = hwprov::decide::vet::collect(&a.paths)?;
    let jobs = a.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_JOBS))
    });
    let bar = if std::io::stderr().is_terminal() {
        let b = indicatif::ProgressBar::new(units.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} units  {per_sec}  ETA {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let log = match &a.log {
        Some(dir) => Some((
            Log::open(dir)?,
            read_unchanged(&a.policy, &policy.sha256, limits.max_policy_bytes)?,
        )),
        None => None,
    };
    let mut pending: Vec<(std::path::PathBuf, Sha256, Entry)> = Vec::new();
    let mut all_units: Vec<(std::path::PathBuf, Option<Sha256>)> = Vec::new();
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let mut listed = 0usize;
    let mut summary = hwprov::decide::vet::run(&policy, &units, at, limits, jobs, |u| {
        bar.inc(1);
        if log.is_some() {
            all_units.push((u.path.clone(), u.digest));
            if let (Ok(r), Some(d)) = (&u.outcome, u.digest) {
                pending.push((
                    u.path.clone(),
                    d,
                    new_entry("vet", at, Vec::new(), r.verdict, &r.findings),
                ));
            }
        }
        if let Some(line) = vet_unit_line(u, a.format) {
            use std::io::Write as _;
            listed += 1;
            if a.verbose || a.format == Format2::Json || listed <= LISTED_UNITS {
                bar.suspend(|| {
                    let _ = writeln!(stdout, "{line}");
                });
            }
        }
    })?;
    bar.finish_and_clear();
    drop(stdout);
    if a.format == Format2::Text && !a.verbose && listed > LISTED_UNITS {
        outln!(
            "... and {} more units did not pass (--verbose lists every one; --format json gives each unit's findings)",
            listed - LISTED_UNITS
        );
    }
    summary.skipped = hwprov::decide::vet::Skipped::of(&skipped);
    if let Some((log, policy_bytes)) = &log {
        // Objects first (in parallel), then every unit's entry in one batch.
        let policy_in = policy_inputs(log, &policy, policy_bytes)?;
        use rayon::prelude::*;
        let stored: Vec<Result<(), Fatal>> = all_units
            .par_iter()
            .filter_map(|(path, d)| d.as_ref().map(|d| (path, d)))
            .map(|(path, d)| {
                let bytes = read_unchanged(path, d, limits.max_bundle_bytes)?;
                log.put_object(&bytes)?;
                Ok(())
            })
            .collect();
        for r in stored {
            r?;
        }
        let mut entries: Vec<Entry> = pending
            .into_iter()
            .map(|(_, d, mut e)| {
                e.inputs = [vec![("bundle".to_string(), d)], policy_in.clone()].concat();
                e
            })
            .collect();
        // The shipment decision: fleet checks over every unit, in order.
        let list = hwprov::wire::cbor::Value::Array(
            all_units
                .iter()
                .map(|(_, d)| d.map_or(hwprov::wire::cbor::Value::Null, |d| d.to_cbor()))
                .collect(),
        );
        let units_digest = log.put_object(&hwprov::wire::cbor::encode_deterministic(&list))?;
        entries.push(new_entry(
            "vet",
            at,
            [vec![("units".to_string(), units_digest)], policy_in].concat(),
            summary.verdict,
            &summary.fleet_findings,
        ));
        let range = log.append(&mut entries)?;
        eprintln!(
            "logged entries {}..{} in {}",
            range.start,
            range.end,
            Escaped(
                a.log
                    .as_ref()
                    .map_or(String::new(), |p| p.display().to_string())
            )
        );
    }
    if let Some(h) = &a.html {
        let hr: Vec<String> = policy
            .high_risk
            .iter()
            .map(|c| c.as_str().to_owned())
            .collect();
        write_atomic(
            h,
            hwprov::report::html::render(&summary, &hr).as_bytes(),
            0o644,
        )?;
    }
    match a.format {
        Format2::Json => outln!("{}", serde_json::to_string(&summary)?),
        Format2::Text => {
            outln!(
                "\nvetted {} units against policy '{}' version '{}' at {}",
                summary.units,
                Escaped(&summary.policy.name),
                Escaped(&summary.policy.version),
                summary.at
            );
            outln!(
                "  pass {}, warn {}, fail {}, error {}",
                summary.counts["pass"],
                summary.counts["warn"],
                summary.counts["fail"],
                summary.counts["error"]
            );
            for f in &summary.fleet_findings {
                outln!(
                    "  {:<6} {}: {}\n         {}",
                    f.severity.as_str(),
                    f.rule,
                    Escaped(&f.subject),
                    Escaped(&f.message)
                );
            }
            outln!(
                "  high-risk jurisdiction findings: {:.1}% of device units",
                summary.high_risk_share * 100.0
            );
            for (class, c) in &summary.classes {
                let shares: Vec<String> = c
                    .vendors
                    .iter()
                    .map(|(v, s)| format!("{} {:.1}%", Escaped(v), s * 100.0))
                    .collect();
                outln!(
                    "  class {}: {} units, HHI {:.0}: {}",
                    Escaped(class),
                    c.units,
                    c.hhi,
                    shares.join(", ")
                );
            }
            for (stage, countries) in &summary.stages {
                let mut v: Vec<(&String, &f64)> = countries.iter().collect();
                v.sort_by(|a, b| b.1.total_cmp(a.1));
                let shares: Vec<String> = v
                    .iter()
                    .map(|(c, s)| format!("{c} {:.1}%", *s * 100.0))
                    .collect();
                outln!("  {stage} sites: {}", shares.join(", "));
            }
            if summary.skipped.count > 0 {
                let more = summary.skipped.count - summary.skipped.files.len() as u64;
                outln!(
                    "  passed over {} file(s) that are hidden or not *.cbor/*.cose bundles: {}{}",
                    summary.skipped.count,
                    summary
                        .skipped
                        .files
                        .iter()
                        .map(|f| hwprov::text::escape(f))
                        .collect::<Vec<_>>()
                        .join(", "),
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    }
                );
            }
            if let Some(h) = &a.html {
                outln!("  HTML report: {}", Escaped(h.display()));
            }
            outln!("verdict: {}", summary.verdict.as_str().to_uppercase());
        }
    }
    Ok(summary.verdict.exit_code(a.deny_warnings))
}
/// `--state` and `--install` (SPEC 9): neither is standard input, and they
/// name different files (installing the image over the state would destroy
/// the record of what is installed).
fn gate_paths(a: &GateArgs) -> Result<(), Fatal> {
    if a.state == Path::new("-") {
        return Err(Fatal(
            "--state -: the state must be a file (it is read and rewritten), not standard input"
                .into(),
        ));
    }
    if let Some(dest) = &a.install {
        if dest == Path::new("-") {
            return Err(Fatal(
                "--install -: give the file path to install to; the image is never written to standard output".into(),
            ));
        }
        if fsutil::same_file(dest, &a.state) {
            return Err(Fatal(format!(
                "--install {} and --state {} name the same file; the image would overwrite the device state",
                dest.display(),
                a.state.display()
            )));
        }
    }
    Ok(())
}

/// Re-reads a file for the log and checks it is the one that was used.
fn read_unchanged(path: &Path, digest: &Sha256, limit: usize) -> Result<Vec<u8>, Fatal> {
    let bytes = fsutil::read_bounded(path, limit)?;
    if Sha256::of(&bytes) != *digest {
        return Err(Fatal(format!(
            "{}: the file changed while it was read; run again",
            path.display()
        )));
    }
    Ok(bytes)
}

/// The policy and the key files it names, stored in the log.
fn policy_inputs(
    log: &Log,
    policy: &Policy,
    policy_bytes: &[u8],
) -> Result<Vec<(String, Sha256)>, Fatal> {
    let mut v = vec![("policy".to_string(), log.put_object(policy_bytes)?)];
    for (name, bytes) in &policy.key_files {
        v.push((format!("key-file:{name}"), log.put_object(bytes)?));
    }
    Ok(v)
}

/// A log entry for a decision (its index is set on append).
fn new_entry(
    command: &str,
    at: Timestamp,
    inputs: Vec<(String, Sha256)>,
    verdict: Verdict,
    findings: &[hwprov::Finding],
) -> Entry {
    Entry {
        index: 0,
        time: Timestamp::now(),
        at,
        tool: format!("hwprov/{}", env!("CARGO_PKG_VERSION")),
        command: command.into(),
        inputs,
        verdict: verdict.as_str().into(),
        findings: findings_digest(findings),
    }
}

fn b64(h: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(h)
}

fn entry_json(e: &Entry) -> serde_json::Value {
    let inputs: serde_json::Map<String, serde_json::Value> = e
        .inputs
        .iter()
        .map(|(k, d)| (k.clone(), json!(d.to_string())))
        .collect();
    json!({
        "v": 1, "index": e.index, "time": e.time.to_string(), "at": e.at.to_string(), "tool": e.tool,
        "command": e.command, "inputs": inputs, "verdict": e.verdict, "findings": e.findings.to_string(),
    })
}

fn log_command(cmd: LogCommand, _limits: &Limits) -> Result<u8, Fatal> {
    match cmd {
        LogCommand::Init { dir, key, origin } => {
            let key = SecretKey::load(&key)?;
            let log = Log::init(&dir, &key, &origin)?;
            outln!(
                "created log {} with origin {}",
                Escaped(dir.display()),
                log.origin()
            );
            outln!(
                "verifier key: {}",
                std::fs::read_to_string(dir.join("log.vkey"))
                    .unwrap_or_default()
                    .trim_end()
            );
            Ok(0)
        }
        LogCommand::Verify { dir, repair } => {
            let log = Log::open(&dir)?;
            if repair {
                match log.repair() {
                    Ok(r) => outln!(
                        "repaired {}: kept the {} entries the checkpoint signs, removed {} unsigned entr{} and {} byte(s) after them, rebuilt index and hashes (nothing was signed)",
                        Escaped(dir.display()),
                        r.kept,
                        r.unsigned_entries,
                        if r.unsigned_entries == 1 { "y" } else { "ies" },
                        r.removed_bytes
                    ),
                    Err(e @ hwprov::audit::log::LogError::Tampered { .. }) => {
                        outln!(
                            "log {} is TAMPERED: {}",
                            Escaped(dir.display()),
                            Escaped(&e)
                        );
                        outln!("repair refused: nothing was changed");
                        return Ok(1);
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            let (n, problems) = log.verify()?;
            for p in &problems {
                outln!("problem: {}", Escaped(p));
            }
            if problems.is_empty() {
                let cp = log.checkpoint()?;
                outln!(
                    "log {} verifies: {n} entries, checkpoint size {} root {}",
                    Escaped(dir.display()),
                    cp.size,
                    b64(&cp.root)
                );
                Ok(0)
            } else {
                outln!(
                    "log {} does NOT verify: {} problem(s)",
                    Escaped(dir.display()),
                    problems.len()
                );
                Ok(1)
            }
        }
        LogCommand::Prove { dir, index, size } => {
            let log = Log::open(&dir)?;
            let size = match size {
                Some(s) => s,
                None => log.checkpoint()?.size,
            };
            let (leaf, root, proof) = log.prove(index, size)?;
            let proof: Vec<String> = proof.iter().map(|h| b64(h)).collect();
            outln!(
                "{}",
                json!({"index": index, "size": size, "leaf_hash": b64(&leaf), "root_hash": b64(&root), "proof": proof})
            );
            Ok(0)
        }
        LogCommand::Consistency {
            dir,
            old_size,
            size,
        } => {
            let log = Log::open(&dir)?;
            let size = match size {
                Some(s) => s,
                None => log.checkpoint()?.size,
            };
            let (old_root, root, proof) = log.consistency(old_size, size)?;
            let proof: Vec<String> = proof.iter().map(|h| b64(h)).collect();
            outln!(
                "{}",
                json!({"old_size": old_size, "size": size, "old_root_hash": b64(&old_root), "root_hash": b64(&root), "proof": proof})
            );
            Ok(0)
        }
        LogCommand::Show { dir, index } => {
            let log = Log::open(&dir)?;
            let n = log.size()?;
            let range = match index {
                Some(i) if i < n => i..i + 1,
                Some(i) => {
                    return Err(Fatal(format!(
                        "entry {i} does not exist: the log has {n} entries"
                    )));
                }
                None => 0..n,
            };
            for i in range {
                let e = Entry::decode(&log.entry_bytes(i)?)
                    .map_err(|e| Fatal(format!("entry {i}: {e}")))?;
                outln!("{}", entry_json(&e));
            }
            Ok(0)
        }
    }
}

fn replay(
    dir: &Path,
    from: Option<u64>,
    to: Option<u64>,
    verbose: bool,
    limits: &Limits,
) -> Result<u8, Fatal> {
    let log = Log::open(dir)?;
    let (n, problems) = log.verify()?;
    let mut differ = 0usize;
    for p in &problems {
        outln!("problem: {}", Escaped(p));
    }
    // Ranges are checked, never clamped or wrapped: a range that names no
    // entry of this log is a usage error, not an empty success.
    let first = from.unwrap_or(0);
    if let Some(t) = to
        && t >= n
    {
        return Err(Fatal(format!(
            "--to {t}: the log has {n} entries (0 to {})",
            n.saturating_sub(1)
        )));
    }
    if from.is_some() && first >= n {
        return Err(Fatal(format!(
            "--from {first}: the log has {n} entries (0 to {})",
            n.saturating_sub(1)
        )));
    }
    if let Some(t) = to
        && first > t
    {
        return Err(Fatal(format!("--from {first} is after --to {t}")));
    }
    let last = to.map_or(n, |t| t + 1);
    let mut policies = std::collections::HashMap::new();
    // Shipment decisions in range, rebuilt from the unit decisions replayed
    // before them rather than by verifying every unit a second time.
    let mut shipments = std::collections::BTreeMap::new();
    for i in first..last {
        if let Ok(e) = Entry::decode(&log.entry_bytes(i)?)
            && e.command == "vet"
            && let Ok(sh) = Shipment::of(&log, &e)
        {
            shipments.insert(i, sh);
        }
    }
    for i in first..last {
        let e =
            Entry::decode(&log.entry_bytes(i)?).map_err(|e| Fatal(format!("entry {i}: {e}")))?;
        let prepared = shipments.remove(&i);
        let outcome = replay_entry(&log, &e, limits, &mut policies, prepared);
        let outcome = match outcome {
            Ok(Replayed::Unit(unit)) => {
                // Feed the next shipment decision of this log, if the unit is one of its.
                let r = compare_unit(&unit, &e);
                if let Some((_, sh)) = shipments.range_mut(i + 1..).next()
                    && let (Some(d), Ok(policy)) =
                        (unit.digest, replay_policy_of(&log, &e, &mut policies))
                {
                    sh.feed(&log, policy, &e, d, *unit, limits);
                }
                r
            }
            Ok(Replayed::Decision) => Ok(()),
            Err(why) => Err(why),
        };
        match outcome {
            Ok(()) if !verbose => {}
            Ok(()) => outln!(
                "entry {i}: same ({} {} at {})",
                Escaped(&e.command),
                Escaped(&e.verdict),
                e.at
            ),
            Err(why) => {
                differ += 1;
                outln!("entry {i}: DIFFERENT: {}", Escaped(&why));
            }
        }
    }
    outln!(
        "{} replayed, {differ} different, {} log problem(s)",
        last.saturating_sub(first),
        problems.len()
    );
    Ok(if differ == 0 && problems.is_empty() {
        0
    } else {
        1
    })
}

/// The stored policy. Key files it names (`public_key_file`) are not part
/// of the record, so such policies cannot be replayed.
fn replay_policy(bytes: &[u8], log: &Log, e: &Entry) -> Result<Policy, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "stored policy is not UTF-8".to_string())?;
    // Key files the policy names come from the record, not the disk.
    let read = |name: &str| -> Result<Vec<u8>, String> {
        let want = format!("key-file:{name}");
        let d = e
            .inputs
            .iter()
            .find(|(k, _)| *k == want)
            .map(|(_, d)| *d)
            .ok_or(format!("key file {name} was not recorded"))?;
        log.object(&d).map_err(|err| err.to_string())
    };
    let mut policy = Policy::parse_with(text, Path::new("policy.toml"), &read)
        .map_err(|err| format!("stored policy no longer loads: {err}"))?;
    policy.sha256 = Sha256::of(bytes);
    Ok(policy)
}

/// Compares a re-run decision (verdict and findings) with its log entry.
fn compare(verdict: Verdict, findings: &[hwprov::Finding], e: &Entry) -> Result<(), String> {
    if verdict.as_str() != e.verdict {
        return Err(format!(
            "verdict {} now, {} recorded",
            verdict.as_str(),
            e.verdict
        ));
    }
    let digest = findings_digest(findings);
    if digest != e.findings {
        return Err(format!(
            "findings digest {digest} now, {} recorded",
            e.findings
        ));
    }
    Ok(())
}

/// What replaying one entry gave.
enum Replayed {
    /// A unit decision of `vet`, re-verified (compared by the caller).
    Unit(Box<hwprov::decide::vet::Unit>),
    /// Any other decision, already compared with its entry.
    Decision,
}

/// The digest an entry records for input `name`.
fn recorded(e: &Entry, name: &str) -> Result<Sha256, String> {
    e.inputs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, d)| *d)
        .ok_or(format!("no '{name}' input recorded"))
}

/// The stored policy of an entry, parsed once per replay (with the key files
/// it names).
fn replay_policy_of<'p>(
    log: &Log,
    e: &Entry,
    policies: &'p mut std::collections::HashMap<Sha256, Result<Policy, String>>,
) -> Result<&'p Policy, String> {
    let digest = |name: &str| recorded(e, name);
    let mut key_material = digest("policy")?.0.to_vec();
    for (k, d) in e.inputs.iter().filter(|(k, _)| k.starts_with("key-file:")) {
        key_material.extend_from_slice(k.as_bytes());
        key_material.extend_from_slice(&d.0);
    }
    let pd = Sha256::of(&key_material);
    match policies.entry(pd).or_insert_with(|| {
        log.object(&digest("policy")?)
            .map_err(|err| err.to_string())
            .and_then(|b| replay_policy(&b, log, e))
    }) {
        Ok(p) => Ok(&*p),
        Err(err) => Err(err.clone()),
    }
}

/// A unit decision compared with its entry.
fn compare_unit(u: &hwprov::decide::vet::Unit, e: &Entry) -> Result<(), String> {
    match &u.outcome {
        Ok(report) => compare(report.verdict, &report.findings, e),
        Err(err) => Err(err.clone()),
    }
}

/// A logged shipment decision being rebuilt while its units' entries are
/// replayed: each stored unit in path order, from a replayed entry with the
/// same bytes, policy and time where there is one, else verified here from
/// its stored bytes (as `vet` verified it).
struct Shipment {
    units: Vec<Option<Sha256>>,
    policy_inputs: Vec<(String, Sha256)>,
    at: Timestamp,
    next: usize,
    fleet: hwprov::decide::vet::Fleet,
    /// The first stored unit that could not be loaded: the decision cannot
    /// be rebuilt.
    error: Option<String>,
}

impl Shipment {
    /// The shipment decision `e` (a `vet` entry with a `units` input).
    fn of(log: &Log, e: &Entry) -> Result<Shipment, String> {
        let stored = log
            .object(&recorded(e, "units")?)
            .map_err(|err| err.to_string())?;
        let list = hwprov::wire::cbor::decode(&stored, 2)
            .map_err(|err| format!("stored unit list: {err}"))?;
        let hwprov::wire::cbor::Value::Array(items) = list else {
            return Err("stored unit list is not an array".into());
        };
        let units = items
            .iter()
            .map(|v| match v {
                hwprov::wire::cbor::Value::Null => Ok(None),
                d => Sha256::from_cbor(d)
                    .map(Some)
                    .map_err(|err| format!("stored unit list: {err}")),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Shipment {
            units,
            policy_inputs: policy_inputs_of(e),
            at: e.at,
            next: 0,
            fleet: hwprov::decide::vet::Fleet::new(),
            error: None,
        })
    }

    /// Verifies slot `n` from its stored bytes (`null`: unreadable when vetted).
    fn fill(&mut self, log: &Log, policy: &Policy, n: usize, limits: &Limits) {
        let bytes = match self.units[n].map(|d| log.object(&d)).transpose() {
            Ok(b) => b,
            Err(err) => {
                self.error.get_or_insert(err.to_string());
                return;
            }
        };
        self.fleet.add(&hwprov::decide::vet::stored_unit(
            policy,
            n,
            bytes.as_deref(),
            self.at,
            limits,
        ));
    }

    /// Takes a replayed unit if it is one of this shipment's, under the same
    /// policy and time: slots before it are filled from stored bytes.
    fn feed(
        &mut self,
        log: &Log,
        policy: &Policy,
        e: &Entry,
        digest: Sha256,
        mut unit: hwprov::decide::vet::Unit,
        limits: &Limits,
    ) {
        if e.command != "vet" || e.at != self.at || policy_inputs_of(e) != self.policy_inputs {
            return;
        }
        let Some(k) = (self.next..self.units.len()).find(|&k| self.units[k] == Some(digest)) else {
            return;
        };
        for n in self.next..k {
            self.fill(log, policy, n, limits);
        }
        unit.path = PathBuf::from(format!("unit-{k}"));
        self.fleet.add(&unit);
        self.next = k + 1;
    }

    /// The summary, after filling the slots no replayed entry covered.
    fn finish(
        mut self,
        log: &Log,
        policy: &Policy,
        limits: &Limits,
    ) -> Result<hwprov::decide::vet::Summary, String> {
        for n in self.next..self.units.len() {
            self.fill(log, policy, n, limits);
        }
        match self.error {
            Some(err) => Err(err),
            None => Ok(self.fleet.finish(policy, self.at)),
        }
    }
}

/// An entry's policy and key-file inputs.
fn policy_inputs_of(e: &Entry) -> Vec<(String, Sha256)> {
    e.inputs
        .iter()
        .filter(|(k, _)| k == "policy" || k.starts_with("key-file:"))
        .cloned()
        .collect()
}

fn replay_entry(
    log: &Log,
    e: &Entry,
    limits: &Limits,
    policies: &mut std::collections::HashMap<Sha256, Result<Policy, String>>,
    prepared: Option<Shipment>,
) -> Result<Replayed, String> {
    let digest = |name: &str| recorded(e, name);
    let input = |name: &str| -> Result<Vec<u8>, String> {
        log.object(&digest(name)?).map_err(|err| err.to_string())
    };
    // Each stored policy (with the key files it names) is parsed once per replay.
    let policy = replay_policy_of(log, e, policies)?;
    match e.command.as_str() {
        "vet" if digest("units").is_ok() => {
            // A shipment decision: the fleet checks over the stored units.
            let shipment = match prepared {
                Some(sh) => sh,
                None => Shipment::of(log, e)?,
            };
            let summary = shipment.finish(log, policy, limits)?;
            compare(summary.verdict, &summary.fleet_findings, e)?;
            Ok(Replayed::Decision)
        }
        "vet" => {
            let bytes = input("bundle")?;
            Ok(Replayed::Unit(Box::new(hwprov::decide::vet::Unit {
                path: PathBuf::from("unit"),
                digest: Some(Sha256::of(&bytes)),
                outcome: hwprov::verify_bundle(policy, &bytes, e.at, limits)
                    .map_err(|err| err.to_string()),
            })))
        }
        "verify" => {
            let report = hwprov::verify_bundle(policy, &input("bundle")?, e.at, limits)
                .map_err(|err| err.to_string())?;
            compare(report.verdict, &report.findings, e)?;
            Ok(Replayed::Decision)
        }
        "gate" => {
            let state = State::parse(&input("state")?, Path::new("stored state"))
                .map_err(|err| err.to_string())?;
            // A gate that refused before reading the image recorded none.
            let facts = match digest("image-facts") {
                Err(_) if digest("image").is_err() => None,
                _ => {
                    let facts = hwprov::audit::log::parse_image_facts(&input("image-facts")?)
                        .ok_or("stored image facts are malformed")?;
                    if digest("image").ok() != Some(facts.sha256) {
                        return Err("the recorded image digest and image facts disagree".into());
                    }
                    Some(facts)
                }
            };
            let report = gatelib::decide(policy, &input("bundle")?, &state, facts, e.at, limits)
                .map_err(|err| err.to_string())?;
            compare(report.verdict, &report.findings, e)?;
            Ok(Replayed::Decision)
        }
        other => Err(format!(
            "'{other}' entries cannot be replayed by this version"
        )),
    }
}
