//! The `hwprov` command line: argument parsing and printing only; every
//! decision, record and replay is a call into the library (`src/cli/` holds
//! one file per group of subcommands).
#![forbid(unsafe_code)]

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
