//! The `hwprov` command line: argument parsing and printing only; every
//! decision, record and replay is a call into the library (`src/cli/` holds
//! one file per group of subcommands).
#![forbid(unsafe_code)]

mod cli;

/// mimalloc rather than the system allocator: a unit's report is built on a
/// worker thread and freed on the reporting one, a pattern where glibc's
/// allocator spent about a tenth of `vet`'s time (`benches/vet.sh`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
