//! `hwprov completions` and `hwprov man`.

use super::{Cli, Fatal, out, outln, usage};
use clap::{Args, CommandFactory as _};
use hwprov::text::Escaped;
use hwprov::write_atomic;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub(crate) struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

#[derive(Args)]
pub(crate) struct ManArgs {
    /// Directory to write the pages to (created if missing).
    #[arg(long, value_name = "DIR", default_value = ".")]
    out: PathBuf,
}

pub(crate) fn completions(a: &CompletionsArgs) -> Result<u8, Fatal> {
    let mut out = Vec::new();
    clap_complete::generate(a.shell, &mut Cli::command(), "hwprov", &mut out);
    out!("{}", String::from_utf8_lossy(&out));
    Ok(0)
}

/// Writes `hwprov.1` and a page per subcommand (`hwprov-log-verify.1`, ...)
/// into the directory, each atomically.
pub(crate) fn man_pages(a: &ManArgs) -> Result<u8, Fatal> {
    let dir = &a.out;
    std::fs::create_dir_all(dir).map_err(|e| usage(format!("--out {}: {e}", dir.display())))?;
    fn write(dir: &Path, cmd: clap::Command, name: &str, n: &mut usize) -> Result<(), Fatal> {
        let cmd = cmd.name(name.to_owned());
        let mut page = Vec::new();
        clap_mangen::Man::new(cmd.clone())
            .render(&mut page)
            .map_err(|e| usage(format!("rendering the man page of {name}: {e}")))?;
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
