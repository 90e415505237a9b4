//! Headless training sessions: list the cases, run a script, replay a log, grade a class.

use std::io::Write;
use std::path::{Path, PathBuf};

use fluorohip::DISCLAIMER;
use fluorohip::sim::Scenario;
use fluorohip::sim::assessment::export::{self as report, CSV_HEADER, ReportError, ReportOptions};
use fluorohip::sim::assessment::{self, Report};
use fluorohip::sim::files::write_atomically;
use fluorohip::sim::script;
use fluorohip::sim::wallclock::WallClock;

use super::fail;

pub fn scenarios(json: bool) -> i32 {
    let all = Scenario::shipped();
    if json {
        let out = serde_json::json!({ "disclaimer": DISCLAIMER, "scenarios": all });
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        return 0;
    }
    println!("*** {DISCLAIMER} ***\n");
    println!("Teaching cases (use the name with `fluorohip run --scenario NAME`, or copy the file and edit it):\n");
    for s in all {
        println!("  {:<24} {} [{:?}, {:?}, seed {}]", s.name, s.title, s.position, s.mode, s.default_seed);
        for o in &s.learning_objectives {
            println!("  {:<24}   - {o}", "");
        }
    }
    0
}

fn print_summary(r: &Report, dir: Option<&Path>) {
    println!("*** {DISCLAIMER} ***\n");
    let t = if r.trainee.is_empty() { "(anonymous)" } else { &r.trainee };
    println!("{} on {} (seed {}): {}", t, r.scenario, r.seed, if r.score.passed { "PASS" } else { "FAIL" });
    println!(
        "  score {:.1} / {:.0} (expert {:.1}); a pass needs every domain passed",
        r.score.total, r.score.max, r.score.expert_total
    );
    for d in &r.score.domains {
        println!(
            "  {:<15} {:<4} {:>5.1} / {:<3.0} {}",
            d.domain.as_str(),
            if d.passed { "pass" } else { "FAIL" },
            d.points,
            d.max_points,
            d.failed_because.join("; ")
        );
    }
    for c in &r.score.critical_errors {
        println!("  critical error: {}", c.label());
    }
    let m = &r.metrics;
    println!(
        "  {} shots, {:.1} s fluoroscopy, {:.4} Gy·cm², {} redirections, tip to target {}",
        m.shots,
        m.fluoro_s,
        m.dap_gy_cm2,
        m.redirections,
        m.target_error_mm.map(|e| format!("{e:.1} mm")).unwrap_or_else(|| "–".into())
    );
    println!("  contrast pattern: {}; reading correct: {:?}", m.contrast_pattern.as_str(), m.reading_correct);
    for a in &r.practise_next {
        println!("  next: {a}");
    }
    if let Some(d) = dir {
        println!("  reports written to {}", d.display());
    }
}

#[allow(clippy::too_many_arguments)]
pub fn run(
    scenario: &str,
    actions: &Path,
    seed: Option<u64>,
    trainee: &str,
    dir: &Path,
    csv: Option<&Path>,
    options: &ReportOptions,
    json: bool,
) -> i32 {
    let started = WallClock::now();
    let scenario = match Scenario::find(scenario) {
        Ok(s) => s,
        Err(e) => return fail(e, 2),
    };
    let (list, lines) = match script::load_actions(actions) {
        Ok(x) => x,
        Err(e) => return fail(e, 2),
    };
    let seed = seed.unwrap_or(scenario.default_seed);
    let mut session = match script::play(scenario, seed, trainee, list, &lines, actions) {
        Ok(s) => s,
        Err(e) => return fail(e, 2),
    };
    session.set_started_at(Some(started));
    match report::write_all_with(&session, dir, csv, options) {
        Ok((r, written)) => {
            if json {
                let out = serde_json::json!({ "disclaimer": DISCLAIMER, "files": written, "score": r.score });
                println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
            } else {
                print_summary(&r, Some(dir));
            }
            0
        }
        Err(e) => report_failed(e),
    }
}

/// Exit 1 naming what could not be written; where a folder or file could not be written,
/// say that nothing already there was spoilt and what to do.
fn report_failed(e: ReportError) -> i32 {
    match e {
        ReportError::Write(_) | ReportError::Folder { .. } => fail(
            format!(
                "{e}\nNo file was left half-written (each is replaced only once its new version is whole). \
                 Give a folder that can be written: --report DIR (and --class-csv FILE)."
            ),
            1,
        ),
        e => fail(e, 1),
    }
}

pub fn replay(log: &Path, dir: Option<&Path>, csv: Option<&Path>, options: &ReportOptions) -> i32 {
    let session = match script::replay_file(log) {
        Ok(s) => s,
        Err(e) => return fail(e, 2),
    };
    match dir {
        Some(dir) => match report::write_all_with(&session, dir, csv, options) {
            Ok((r, _)) => {
                print_summary(&r, Some(dir));
                0
            }
            Err(e) => report_failed(e),
        },
        None => {
            print_summary(&assessment::report(&session), None);
            0
        }
    }
}

/// Session logs under `dir`: `*.json` files in it and `session-log.json` one level down.
fn find_logs(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let p = entry?.path();
        if p.is_dir() {
            let log = p.join("session-log.json");
            if log.is_file() {
                out.push(log);
            }
        } else if p.extension().is_some_and(|e| e == "json") {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

/// A one-line progress bar on standard error.
pub(crate) fn progress(done: usize, total: usize, name: &str) {
    let width = 30;
    let filled = (done * width).checked_div(total).unwrap_or(width);
    let mut err = std::io::stderr();
    let _ = write!(err, "\r[{}{}] {done}/{total} {:<40}", "#".repeat(filled), ".".repeat(width - filled), name);
    let _ = err.flush();
}

pub fn grade(dir: &Path, csv: &Path) -> i32 {
    let logs = match find_logs(dir) {
        Ok(l) => l,
        Err(e) => return fail(format!("cannot read {}: {e}", dir.display()), 2),
    };
    println!("*** {DISCLAIMER} ***\n");
    let mut rows = vec![CSV_HEADER.to_string()];
    let mut skipped: Vec<String> = Vec::new();
    let mut scores = Vec::new();
    let mut passed = 0;
    for (i, log) in logs.iter().enumerate() {
        let name = log.strip_prefix(dir).unwrap_or(log).display().to_string();
        progress(i, logs.len(), &name);
        match script::replay_file(log) {
            Ok(session) => {
                let r = assessment::report(&session);
                scores.push(r.score.total);
                passed += r.score.passed as usize;
                rows.push(report::csv_row(&r));
            }
            Err(e) => skipped.push(format!("{name}: {e}")),
        }
    }
    progress(logs.len(), logs.len(), "");
    eprintln!();
    let mut text = rows.join("\n");
    text.push('\n');
    if let Err(e) = write_atomically(csv, text.as_bytes()) {
        return fail(e, 1);
    }
    let n = scores.len();
    let mean = if n > 0 { scores.iter().sum::<f64>() / n as f64 } else { 0.0 };
    println!("graded {n} sessions into {}: {passed} passed, mean score {mean:.1}", csv.display());
    if !skipped.is_empty() {
        println!("skipped {} logs that cannot be read or replayed here:", skipped.len());
        for s in &skipped {
            println!("  {s}");
        }
    }
    0
}

/// `fluorohip validity`: the table of pass rates by script and case.
pub fn validity(seeds: u64, json: bool) -> i32 {
    use std::io::IsTerminal;
    let bar = std::io::stderr().is_terminal();
    let last = std::sync::Mutex::new(std::time::Instant::now());
    let rows = fluorohip::sim::validity::sweep(seeds, &|done, total| {
        if !bar {
            return;
        }
        // At most ten redraws a second, and always the last.
        let mut t = last.lock().unwrap_or_else(|e| e.into_inner());
        if done == total || t.elapsed().as_millis() >= 100 {
            *t = std::time::Instant::now();
            progress(done, total, "runs");
        }
    });
    if bar {
        eprintln!();
    }
    if json {
        let out = serde_json::json!({ "disclaimer": DISCLAIMER, "seeds": seeds, "rows": rows });
        match serde_json::to_string_pretty(&out) {
            Ok(s) => println!("{s}"),
            Err(e) => return fail(e, 1),
        }
    } else {
        println!("*** {DISCLAIMER} ***\n");
        print!("{}", fluorohip::sim::validity::table(&rows, seeds));
    }
    if rows.iter().all(|r| r.ok) { 0 } else { 1 }
}
