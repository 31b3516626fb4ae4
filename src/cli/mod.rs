//! Arguments, dispatch and the one error type of the command line.

mod docs;
mod gate;
mod keys;
mod log;
mod policy;
mod tlog;
mod verify;
mod vet;

use clap::{Parser, Subcommand};
use hwprov::Timestamp;
use hwprov::text::Escaped;
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
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create or show Ed25519 keys (and their C2SP verifier keys).
    #[command(subcommand)]
    Key(keys::KeyCommand),
    /// Sign a statement written in the JSON authoring form.
    ///
    /// One --key makes a COSE_Sign1; two or more make a COSE_Sign with one
    /// signature per key. The payload is written in deterministic CBOR.
    Sign(keys::SignArgs),
    /// Bundle signed statements: the root (device or firmware) first, then
    /// evidence (statements, and OCP S.A.F.E. reports as published).
    Bundle(keys::BundleArgs),
    /// Print a statement as its JSON authoring form, a bundle as readable
    /// JSON, or an OCP S.A.F.E. report (vendor, product, version, image
    /// hashes, provider, completion date, issues).
    Inspect(keys::InspectArgs),
    /// Decide whether one firmware image may be installed on one device.
    ///
    /// The bundle's root must be a firmware release; its evidence may hold
    /// evaluations and OCP S.A.F.E. reports (.jws or CoRIM, bundled as
    /// published). The image is read once, streamed through SHA-256 and the
    /// SHA-384/512 the release lists (bounded memory whatever its size), and never
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
    Gate(gate::GateArgs),
    /// Vet a shipment: verify every bundle under the paths in parallel, then
    /// check the set for clones and concentration and summarise where its
    /// supply chain runs.
    ///
    /// With --deployment over a whole inventory, it measures the installed
    /// base: per class, each vendor group's share, the HHI, the high-risk
    /// share on the policy's basis and the fleet caps in force at --at (with
    /// the date of the next step), and per phase-out plan the legacy units
    /// remaining, the new units and the days to the deadline. With --log,
    /// `hwprov log report` later shows these over time.
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
    Vet(vet::VetArgs),
    /// Create or show a device state file for `gate`.
    #[command(subcommand)]
    State(policy::StateCommand),
    /// The verification log: init, verify, prove, receipt, publish, audit, cosign, show.
    #[command(subcommand)]
    Log(log::LogCommand),
    /// Re-run every logged decision from its stored inputs at its recorded
    /// time and compare verdict and findings; check the tree against the
    /// signed checkpoint. Exit status: 0 all the same, 1 any difference or a
    /// log that does not verify, 2 input error.
    Replay(log::ReplayArgs),
    /// Check a policy file, or test it against case folders.
    #[command(subcommand)]
    Policy(policy::PolicyCommand),
    /// Print a shell completion script for hwprov.
    ///
    /// Install, e.g.: `hwprov completions bash > ~/.local/share/bash-completion/completions/hwprov`,
    /// `hwprov completions zsh > ~/.zfunc/_hwprov`, `hwprov completions fish > ~/.config/fish/completions/hwprov.fish`.
    Completions(docs::CompletionsArgs),
    /// Write man pages: hwprov.1 and one page per subcommand (hwprov-verify.1, ...).
    ///
    /// Install, e.g.: `hwprov man --out ~/.local/share/man/man1`, then `man hwprov`.
    Man(docs::ManArgs),
    /// Verify a bundle against a trust policy and print the verdict.
    ///
    /// Exit status: 0 pass or warn, 1 fail, 2 input error (unreadable file,
    /// not a bundle, invalid policy).
    Verify(verify::VerifyArgs),
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
pub(crate) use {out, outln};

/// An error for the user (one line, then exit status 2): a library error,
/// kept with its type and sources, or a usage problem found here.
pub(crate) enum Fatal {
    /// An error from the library or the OS.
    Error(Box<dyn std::error::Error>),
    /// A problem with the arguments.
    Usage(String),
}

impl<E: std::error::Error + 'static> From<E> for Fatal {
    fn from(e: E) -> Self {
        Fatal::Error(Box::new(e))
    }
}

impl std::fmt::Display for Fatal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fatal::Error(e) => write!(f, "{e}"),
            Fatal::Usage(m) => f.write_str(m),
        }
    }
}

/// A usage error with this message.
pub(crate) fn usage(message: impl Into<String>) -> Fatal {
    Fatal::Usage(message.into())
}

/// `--at TIME`, or now.
pub(crate) fn parse_at(at: &Option<String>) -> Result<Timestamp, Fatal> {
    match at {
        Some(s) => Timestamp::parse_rfc3339(s).map_err(|e| usage(format!("--at '{s}': {e}"))),
        None => Ok(Timestamp::now()),
    }
}

pub(crate) fn main() -> ExitCode {
    let cli = Cli::parse();
    let limits = hwprov::Limits::DEFAULT;
    let result = match cli.command {
        Command::Key(cmd) => keys::key(cmd),
        Command::Sign(a) => keys::sign(&a, &limits),
        Command::Bundle(a) => keys::bundle(&a, &limits),
        Command::Inspect(a) => keys::inspect(&a, &limits),
        Command::Verify(a) => verify::verify(&a, &limits),
        Command::Gate(a) => gate::gate(&a, &limits),
        Command::Vet(a) => vet::vet(&a, &limits),
        Command::State(cmd) => policy::state(cmd, &limits),
        Command::Log(cmd) => log::log(cmd, &limits),
        Command::Replay(a) => log::replay(&a, &limits),
        Command::Policy(cmd) => policy::policy(cmd, &limits),
        Command::Completions(a) => docs::completions(&a),
        Command::Man(a) => docs::man_pages(&a),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("hwprov: error: {}", Escaped(&e));
            ExitCode::from(2)
        }
    }
}
