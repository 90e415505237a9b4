//! The module map of docs/ARCHITECTURE.md holds: the simulation has no import cycles,
//! between its modules or between the files of one module, and no GUI code.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `src/sim`, as (module path, file).
fn modules() -> Vec<(Vec<String>, PathBuf)> {
    fn walk(dir: &Path, prefix: &[String], out: &mut Vec<(Vec<String>, PathBuf)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for p in entries {
            let name = p.file_stem().unwrap().to_string_lossy().to_string();
            if p.is_dir() {
                let mut m = prefix.to_vec();
                m.push(name);
                walk(&p, &m, out);
            } else if p.extension().is_some_and(|e| e == "rs") {
                let mut m = prefix.to_vec();
                if name != "mod" {
                    m.push(name);
                }
                out.push((m, p));
            }
        }
    }
    let mut out = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src/sim"), &[], &mut out);
    out
}

/// `a::b::{c, d::e}` written out as `a::b::c` and `a::b::d::e` (one level of braces).
fn expand(path: &str) -> Vec<String> {
    match (path.find('{'), path.rfind('}')) {
        (Some(open), Some(close)) if close > open => path[open + 1..close]
            .split(',')
            .map(|item| format!("{}{}", &path[..open], item.trim()))
            .filter(|p| !p.ends_with("::"))
            .collect(),
        _ => vec![path.to_string()],
    }
}

/// The module paths a file refers to: `crate::sim::…` and `super::…` paths (grouped
/// imports expanded) outside its test module, resolved against the file's own module.
/// Names re-exported at the root of `sim` are followed to the module they come from.
fn references(module: &[String], text: &str, root_exports: &BTreeMap<String, String>) -> BTreeSet<Vec<String>> {
    let body = text.split("#[cfg(test)]").next().unwrap_or(text);
    let mut out = BTreeSet::new();
    let mut paths = Vec::new();
    for (i, _) in body.match_indices("crate::sim::").chain(body.match_indices("super::")) {
        // A `super::` that is the tail of a longer path (`super::super::x`) is read with it.
        if body[..i].ends_with("super::") || body[..i].ends_with("::") {
            continue;
        }
        let rest = &body[i..];
        let mut depth = 0;
        let path: String = rest
            .chars()
            .take_while(|c| {
                match c {
                    '{' => depth += 1,
                    '}' if depth > 0 => {
                        depth -= 1;
                        return true;
                    }
                    _ => {}
                }
                depth > 0 || c.is_alphanumeric() || *c == '_' || *c == ':'
            })
            .collect();
        paths.extend(expand(&path));
    }
    for path in paths {
        let mut parts: Vec<&str> = path.split("::").map(str::trim).filter(|p| !p.is_empty()).collect();
        let mut base: Vec<String> = if parts.first() == Some(&"crate") {
            parts.drain(..2);
            Vec::new()
        } else {
            module.to_vec()
        };
        while parts.first() == Some(&"super") {
            parts.remove(0);
            base.pop();
        }
        for p in parts {
            if p.chars().next().is_some_and(|c| c.is_lowercase()) && p != "self" {
                base.push(p.to_string());
            } else {
                if base.is_empty()
                    && let Some(m) = root_exports.get(p)
                {
                    base.push(m.clone());
                }
                break;
            }
        }
        out.insert(base);
    }
    out
}

/// Cycles among `units` where an edge `a -> b` means a file of unit `a` refers into unit `b`.
fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for m in edges.get(n).into_iter().flatten() {
            match state.get(m.as_str()) {
                Some(1) => {
                    let at = stack.iter().position(|s| s == m).unwrap();
                    let mut c = stack[at..].to_vec();
                    c.push(m.clone());
                    return Some(c);
                }
                Some(_) => {}
                None => {
                    if let Some(c) = visit(m, edges, state, stack) {
                        return Some(c);
                    }
                }
            }
        }
        stack.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in edges.keys() {
        if !state.contains_key(n.as_str())
            && let Some(c) = visit(n, edges, &mut state, &mut Vec::new())
        {
            return Some(c);
        }
    }
    None
}

#[test]
fn the_simulation_has_no_import_cycles() {
    let mods = modules();
    assert!(mods.len() > 30, "found only {} files", mods.len());
    let known: BTreeSet<Vec<String>> = mods.iter().map(|(m, _)| m.clone()).collect();
    // `pub use scenario::{Mode, Position, Scenario};` at the root: Scenario -> scenario.
    let root = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/sim/mod.rs")).unwrap();
    let mut root_exports = BTreeMap::new();
    for line in root.lines().filter_map(|l| l.trim().strip_prefix("pub use ")) {
        let line = line.trim_end_matches(';');
        for full in expand(line) {
            let parts: Vec<&str> = full.split("::").map(str::trim).collect();
            if let (Some(first), Some(last)) = (parts.first(), parts.last()) {
                root_exports.insert(last.to_string(), first.to_string());
            }
        }
    }
    assert!(root_exports.get("Session").is_some_and(|m| m == "session"), "{root_exports:?}");
    // The unit an edge is drawn at: the top-level module, and within one module its files.
    let mut top: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut inner: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (m, file) in &mods {
        let text = std::fs::read_to_string(file).unwrap();
        // A mod.rs file is its directory's module: `super` there names the parent.
        let here = m.clone();
        for r in references(&here, &text, &root_exports) {
            // The longest known module the reference lies in.
            let target = (0..=r.len()).rev().map(|k| r[..k].to_vec()).find(|p| known.contains(p));
            let Some(target) = target else { continue };
            let (Some(a), Some(b)) = (m.first(), target.first()) else { continue };
            if a != b {
                top.entry(a.clone()).or_default().insert(b.clone());
            } else if m.len() >= 2
                && target.len() >= 2
                && m[..m.len() - 1] == target[..target.len() - 1]
                && m != &target
            {
                let dir = m[..m.len() - 1].join("::");
                inner
                    .entry(dir)
                    .or_default()
                    .entry(m.last().unwrap().clone())
                    .or_default()
                    .insert(target.last().unwrap().clone());
            }
        }
        assert!(!text.contains("bevy"), "{} mentions bevy: the simulation has no GUI code", file.display());
    }
    // The scan sees edges written every way: `use super::x` in a mod.rs, grouped imports,
    // and names re-exported at the root.
    assert!(top.get("session").is_some_and(|e| e.contains("procedure")), "session -> procedure: {top:?}");
    assert!(top.get("assessment").is_some_and(|e| e.contains("session")), "assessment -> session: {top:?}");
    assert!(top.get("validity").is_some_and(|e| e.contains("scenario")), "validity -> scenario: {top:?}");
    if let Some(c) = find_cycle(&top) {
        panic!("import cycle between sim modules: {}", c.join(" -> "));
    }
    for (dir, edges) in &inner {
        if let Some(c) = find_cycle(edges) {
            panic!("import cycle inside sim::{dir}: {}", c.join(" -> "));
        }
    }
}
