//! The shape of the source tree (docs/architecture.md): the library's
//! layers depend only downwards, no two modules depend on each other
//! (directly or round a longer cycle), no file grows past the size a reader
//! can hold, and the command line stays a thin layer over the library.
//!
//! How dependencies are found: every `crate::a::b` path (and `super::`, and
//! a parent's use of its own child modules) in a library file outside its
//! `#[cfg(test)]` module is resolved to the longest module path that exists.
//! A private child module (`mod x;`) is part of its parent (the parent's
//! implementation split across files), so it shares the parent's node.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, bottom first. A module may use modules of its own layer or
/// below, never above.
const LAYERS: &[&[&str]] = &[
    &["limits", "text", "fsutil", "json", "serials"],
    &["wire"],
    &["policy"],
    &["report"],
    &["decide"],
    &["audit"],
    &["run"],
];

/// Largest library or command-line file, in lines.
const MAX_LINES: usize = 800;

struct Module {
    /// `policy::parse`, `wire::statement`, ...
    path: String,
    file: PathBuf,
    text: String,
    /// Child modules declared in this file, and whether each is `pub`.
    children: Vec<(String, bool)>,
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn module_path(file: &Path) -> String {
    let rel = file.strip_prefix(src()).expect("under src/");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts.join("::")
}

fn library_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("src/ is readable") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            if p != src().join("cli") {
                library_files(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "rs") && p != src().join("main.rs") {
            out.push(p);
        }
    }
}

/// The file's text before its unit-test module.
fn without_tests(text: &str) -> &str {
    text.find("#[cfg(test)]\nmod tests")
        .map_or(text, |i| &text[..i])
}

fn ident_at(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// Each `prefix::a::b::...` path in `text`, as its segments after `prefix`.
fn paths_after<'a>(text: &'a str, prefix: &str) -> Vec<Vec<&'a str>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(prefix) {
        let before = rest[..i].chars().next_back();
        rest = &rest[i + prefix.len()..];
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue; // part of a longer identifier
        }
        let mut segs = Vec::new();
        let mut s = rest;
        loop {
            let id = ident_at(s);
            if id.is_empty() {
                break;
            }
            segs.push(id);
            s = &s[id.len()..];
            match s.strip_prefix("::") {
                Some(t) => s = t,
                None => break,
            }
        }
        out.push(segs);
    }
    out
}

fn load() -> BTreeMap<String, Module> {
    let mut files = Vec::new();
    library_files(&src(), &mut files);
    let mut modules = BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable");
        let mut children = Vec::new();
        for line in text.lines() {
            let l = line.trim();
            for (prefix, public) in [("pub mod ", true), ("mod ", false)] {
                if let Some(rest) = l.strip_prefix(prefix)
                    && let Some(name) = rest.strip_suffix(';')
                {
                    children.push((name.to_string(), public));
                }
            }
        }
        let path = module_path(&file);
        modules.insert(
            path.clone(),
            Module {
                path,
                file,
                text,
                children,
            },
        );
    }
    modules
}

/// The node a module belongs to: its own, or its parent's if it is a
/// private child module.
fn node_of(modules: &BTreeMap<String, Module>, path: &str) -> String {
    let mut p = path.to_string();
    while let Some((parent, name)) = p.rsplit_once("::") {
        let private_child = modules
            .get(parent)
            .is_some_and(|m| m.children.iter().any(|(c, public)| c == name && !public));
        if !private_child {
            break;
        }
        p = parent.to_string();
    }
    p
}

/// The longest existing module path that `segs` starts with.
fn resolve(modules: &BTreeMap<String, Module>, base: &[&str], segs: &[&str]) -> Option<String> {
    let mut best = None;
    let mut full: Vec<&str> = base.to_vec();
    for s in segs {
        full.push(s);
        let p = full.join("::");
        if modules.contains_key(&p) {
            best = Some(p);
        }
    }
    best
}

fn layer(path: &str) -> usize {
    let top = path.split("::").next().unwrap_or("");
    LAYERS
        .iter()
        .position(|l| l.contains(&top))
        .unwrap_or_else(|| {
            panic!("module {path} is in no layer: add it to LAYERS and docs/architecture.md")
        })
}

/// Module-to-module dependencies (by node), with one example path each.
fn dependencies(modules: &BTreeMap<String, Module>) -> BTreeMap<(String, String), String> {
    let mut edges = BTreeMap::new();
    for m in modules.values() {
        if m.path.is_empty() {
            continue; // lib.rs: declarations and the curated re-exports
        }
        let from = node_of(modules, &m.path);
        let text = without_tests(&m.text);
        let own: Vec<&str> = m.path.split("::").collect();
        let parent = &own[..own.len() - 1];
        let mut targets = Vec::new();
        for segs in paths_after(text, "crate::") {
            targets.extend(resolve(modules, &[], &segs));
        }
        for segs in paths_after(text, "super::") {
            targets.push(resolve(modules, parent, &segs).unwrap_or_else(|| parent.join("::")));
        }
        for (child, _) in &m.children {
            for segs in paths_after(text, &format!("{child}::")) {
                let mut s = vec![child.as_str()];
                s.extend(segs);
                targets.extend(resolve(modules, &own, &s));
            }
        }
        for t in targets {
            let to = node_of(modules, &t);
            if to != from && !to.is_empty() {
                edges
                    .entry((from.clone(), to.clone()))
                    .or_insert_with(|| format!("{} uses {t}", m.file.display()));
            }
        }
    }
    edges
}

#[test]
fn layers_depend_only_downwards() {
    let modules = load();
    let mut wrong = Vec::new();
    for ((from, to), why) in dependencies(&modules) {
        if layer(&to) > layer(&from) {
            wrong.push(format!(
                "{from} (layer {}) -> {to} (layer {}): {why}",
                layer(&from),
                layer(&to)
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "upward dependencies:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_module_depends_on_itself_through_others() {
    let modules = load();
    let edges = dependencies(&modules);
    let mut graph: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (from, to) in edges.keys() {
        graph.entry(from).or_default().insert(to);
    }
    // Depth-first search with colours; a grey node reached again closes a cycle.
    fn visit<'a>(
        n: &'a str,
        graph: &BTreeMap<&'a str, BTreeSet<&'a str>>,
        colour: &mut BTreeMap<&'a str, u8>,
        stack: &mut Vec<&'a str>,
        cycles: &mut Vec<String>,
    ) {
        colour.insert(n, 1);
        stack.push(n);
        for &m in graph.get(n).into_iter().flatten() {
            match colour.get(m).copied().unwrap_or(0) {
                0 => visit(m, graph, colour, stack, cycles),
                1 => {
                    let start = stack.iter().position(|&s| s == m).unwrap_or(0);
                    let mut c: Vec<&str> = stack[start..].to_vec();
                    c.push(m);
                    cycles.push(c.join(" -> "));
                }
                _ => {}
            }
        }
        stack.pop();
        colour.insert(n, 2);
    }
    let mut colour = BTreeMap::new();
    let mut cycles = Vec::new();
    let nodes: Vec<&str> = graph.keys().copied().collect();
    for n in nodes {
        if !colour.contains_key(n) {
            visit(n, &graph, &mut colour, &mut Vec::new(), &mut cycles);
        }
    }
    let explain: Vec<String> = cycles
        .iter()
        .map(|c| {
            let hops: Vec<&str> = c.split(" -> ").collect();
            let why: Vec<String> = hops
                .windows(2)
                .map(|w| edges[&(w[0].to_string(), w[1].to_string())].clone())
                .collect();
            format!("{c}\n  {}", why.join("\n  "))
        })
        .collect();
    assert!(cycles.is_empty(), "import cycles:\n{}", explain.join("\n"));
    // The check sees the real graph: the layers above use the ones below.
    assert!(edges.contains_key(&("decide::verify".into(), "policy".into())));
    assert!(edges.contains_key(&("audit::replay".into(), "decide::gate".into())));
}

#[test]
fn no_file_is_longer_than_a_reader_can_hold() {
    let mut files = Vec::new();
    library_files(&src(), &mut files);
    for e in std::fs::read_dir(src().join("cli")).expect("src/cli") {
        files.push(e.expect("entry").path());
    }
    files.push(src().join("main.rs"));
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let n = std::fs::read_to_string(f)
                .expect("readable")
                .lines()
                .count();
            (n > MAX_LINES).then(|| format!("{}: {n} lines", f.display()))
        })
        .collect();
    assert!(
        long.is_empty(),
        "files over {MAX_LINES} lines:\n{}",
        long.join("\n")
    );
}

#[test]
fn the_command_line_is_thin() {
    let main = std::fs::read_to_string(src().join("main.rs")).expect("main.rs");
    assert!(
        main.lines().count() < 150,
        "src/main.rs has grown past 150 lines"
    );
    // The command line reaches the library through its public API only, and
    // decides nothing itself: no verification, rules or log writing in cli/.
    for e in std::fs::read_dir(src().join("cli")).expect("src/cli") {
        let f = e.expect("entry").path();
        let text = std::fs::read_to_string(&f).expect("readable");
        for forbidden in [
            "crate::decide",
            "log.append(",
            "put_object(",
            "verify_bundle(",
            "apply_policy_levels",
            "Entry::new(",
        ] {
            assert!(
                !text.contains(forbidden),
                "{} contains `{forbidden}`: that work belongs in the library",
                f.display()
            );
        }
    }
}
