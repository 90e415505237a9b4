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

/// The module paths a file refers to: `use super::…`, `crate::sim::…` and `super::…` paths
/// outside its test module, resolved against the file's own module.
fn references(module: &[String], text: &str) -> BTreeSet<Vec<String>> {
    let body = text.split("#[cfg(test)]").next().unwrap_or(text);
    let mut out = BTreeSet::new();
    // The module whose `super` a path starts from: a mod.rs file is its directory's module.
    for (i, _) in body.match_indices("crate::sim::").chain(body.match_indices("super::")) {
        let rest = &body[i..];
        let path: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
        let mut parts: Vec<&str> = path.split("::").filter(|p| !p.is_empty()).collect();
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
    // The unit an edge is drawn at: the top-level module, and within one module its files.
    let mut top: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut inner: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (m, file) in &mods {
        let text = std::fs::read_to_string(file).unwrap();
        // `super` in a mod.rs names the parent of the directory's module.
        let here: Vec<String> = if file.file_name().unwrap() == "mod.rs" {
            let mut h = m.clone();
            h.push("mod".into());
            h
        } else {
            m.clone()
        };
        for r in references(&here, &text) {
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
    assert!(top.get("session").is_some_and(|e| e.contains("procedure")), "the scan sees session -> procedure: {top:?}");
    if let Some(c) = find_cycle(&top) {
        panic!("import cycle between sim modules: {}", c.join(" -> "));
    }
    for (dir, edges) in &inner {
        if let Some(c) = find_cycle(edges) {
            panic!("import cycle inside sim::{dir}: {}", c.join(" -> "));
        }
    }
}
