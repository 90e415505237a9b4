//! Construct validity: every shipped expert and novice script played over many seeds of
//! the cases it serves, scored as a trainee would be. Experts should pass, each novice
//! (one typical error each) should fail. `fluorohip validity` prints the table; its
//! output is the evidence docs/ASSESSMENT.md shows.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;
use serde::Serialize;

use super::assessment::{self, Domain, Metrics};
use super::scenario::Scenario;
use super::session::{Action, Session};

/// What a script is expected to do in the rubric.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    Pass,
    Fail,
}

/// A shipped script and the cases it is played on.
#[derive(Clone, Copy, Debug)]
pub struct ScriptSpec {
    pub name: &'static str,
    pub text: &'static str,
    pub cases: &'static [&'static str],
    pub expect: Expect,
}

macro_rules! script {
    ($name:literal, $cases:expr, $expect:expr) => {
        ScriptSpec {
            name: $name,
            text: include_str!(concat!("../../assets/scripts/", $name, ".ron")),
            cases: $cases,
            expect: $expect,
        }
    };
}

const SUPINE: &[&str] = &[
    "routine_anterior",
    "obese_long_needle",
    "osteoarthritis_narrow",
    "high_anteversion",
    "artery_close",
    "lumbar_referred_pain",
];
const ROUTINE: &[&str] = &["routine_anterior"];

/// Every shipped script with the cases it serves. A pass rate is a claim about the
/// rubric: experts ≥ [`EXPERT_MIN_PASS_RATE`], novices ≤ [`NOVICE_MAX_PASS_RATE`].
pub const SCRIPTS: &[ScriptSpec] = &[
    script!("expert_anterior", SUPINE, Expect::Pass),
    script!("expert_prone", &["prone_posterior"], Expect::Pass),
    script!("novice_no_time_out", ROUTINE, Expect::Fail),
    script!("novice_femoral_artery", ROUTINE, Expect::Fail),
    script!("novice_ignores_blood", ROUTINE, Expect::Fail),
    script!("novice_short_of_bone", ROUTINE, Expect::Fail),
    script!("novice_withdrawn_off_bone", ROUTINE, Expect::Fail),
    script!("novice_skips_contrast", ROUTINE, Expect::Fail),
    script!("novice_high_resistance", ROUTINE, Expect::Fail),
    script!("novice_misreads_block", ROUTINE, Expect::Fail),
    script!("novice_calls_lumbar_positive", &["lumbar_referred_pain"], Expect::Fail),
    script!("novice_too_many_shots", ROUTINE, Expect::Fail),
    script!("novice_not_coaxial", ROUTINE, Expect::Fail),
    script!("novice_wrong_position", ROUTINE, Expect::Fail),
    script!("novice_stops_early", ROUTINE, Expect::Fail),
    script!("novice_blind_advance", ROUTINE, Expect::Fail),
];

/// Experts must pass at least this fraction of runs.
pub const EXPERT_MIN_PASS_RATE: f64 = 0.95;
/// Novices must pass at most this fraction of runs.
pub const NOVICE_MAX_PASS_RATE: f64 = 0.05;

/// One script on one case over the seeds.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub script: String,
    pub case: String,
    pub expect: Expect,
    pub runs: usize,
    pub passed: usize,
    pub pass_rate: f64,
    pub mean_score: f64,
    /// Mean points of each domain, in [`Domain::ALL`] order.
    pub mean_domain_points: BTreeMap<String, f64>,
    /// How many runs each domain failed.
    pub domain_failures: BTreeMap<String, usize>,
    /// Runs whose script was refused by the session (a broken script), with the error.
    pub errors: Vec<String>,
    /// Whether the row meets its claim.
    pub ok: bool,
}

/// Run every script over `seeds` (0..seeds) of each case it serves. `progress(done, total)`
/// is called as runs finish (from worker threads).
pub fn sweep(seeds: u64, progress: &(dyn Fn(usize, usize) + Sync)) -> Vec<Row> {
    let shipped: BTreeMap<String, Scenario> = Scenario::shipped().into_iter().map(|s| (s.name.clone(), s)).collect();
    // Expert reference metrics, once per case and seed.
    let cases: Vec<&str> = {
        let mut c: Vec<&str> = SCRIPTS.iter().flat_map(|s| s.cases.iter().copied()).collect();
        c.sort();
        c.dedup();
        c
    };
    let jobs: Vec<(usize, &str, u64)> = SCRIPTS
        .iter()
        .enumerate()
        .flat_map(|(i, s)| s.cases.iter().flat_map(move |c| (0..seeds).map(move |seed| (i, *c, seed))))
        .collect();
    let total = jobs.len() + cases.len() * seeds as usize;
    let done = AtomicUsize::new(0);
    let tick = || progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
    let reference: BTreeMap<(&str, u64), Metrics> = cases
        .par_iter()
        .flat_map(|c| (0..seeds).into_par_iter().map(move |seed| (*c, seed)))
        .map(|(c, seed)| {
            let m = Metrics::of(&assessment::expert_reference(&shipped[c], seed));
            tick();
            ((c, seed), m)
        })
        .collect();
    let results: Vec<(usize, &str, Result<assessment::Score, String>)> = jobs
        .par_iter()
        .map(|&(i, c, seed)| {
            let spec = &SCRIPTS[i];
            let scenario = &shipped[c];
            // Novices are scored as trainees are, against the expert reference on the same
            // seed; the experts against the nominal expert figures, never against themselves.
            let result = play(spec, scenario, seed).map(|s| {
                let m = Metrics::of(&s);
                match spec.expect {
                    Expect::Fail => assessment::score(scenario, &m, &reference[&(c, seed)]),
                    Expect::Pass => assessment::rubric::score_against_nominal(scenario, &m),
                }
            });
            tick();
            (i, c, result)
        })
        .collect();
    let mut rows = Vec::new();
    for (i, spec) in SCRIPTS.iter().enumerate() {
        for c in spec.cases {
            let mine: Vec<&Result<assessment::Score, String>> =
                results.iter().filter(|(j, cc, _)| *j == i && cc == c).map(|(_, _, r)| r).collect();
            let scores: Vec<&assessment::Score> = mine.iter().filter_map(|r| r.as_ref().ok()).collect();
            let errors: Vec<String> = mine.iter().filter_map(|r| r.as_ref().err().cloned()).collect();
            let n = scores.len().max(1) as f64;
            let passed = scores.iter().filter(|s| s.passed).count();
            let mut mean_domain_points = BTreeMap::new();
            let mut domain_failures = BTreeMap::new();
            for d in Domain::ALL {
                let pts: f64 = scores.iter().filter_map(|s| s.domain(d)).map(|v| v.points).sum();
                mean_domain_points.insert(d.as_str().to_string(), round1(pts / n));
                let fails = scores.iter().filter(|s| s.domain(d).is_some_and(|v| !v.passed)).count();
                domain_failures.insert(d.as_str().to_string(), fails);
            }
            let pass_rate = passed as f64 / n;
            let ok = errors.is_empty()
                && match spec.expect {
                    Expect::Pass => pass_rate >= EXPERT_MIN_PASS_RATE,
                    Expect::Fail => pass_rate <= NOVICE_MAX_PASS_RATE,
                };
            rows.push(Row {
                script: spec.name.into(),
                case: (*c).into(),
                expect: spec.expect,
                runs: scores.len(),
                passed,
                pass_rate,
                mean_score: round1(scores.iter().map(|s| s.total).sum::<f64>() / n),
                mean_domain_points,
                domain_failures,
                errors,
                ok,
            });
        }
    }
    rows
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Play one script on one seed of a case.
pub fn play(spec: &ScriptSpec, scenario: &Scenario, seed: u64) -> Result<Session, String> {
    let actions: Vec<Action> = ron::from_str(spec.text).map_err(|e| format!("{}: {e}", spec.name))?;
    let mut s = Session::new(scenario.clone(), seed).map_err(|e| format!("{} seed {seed}: {e}", spec.name))?;
    s.set_trainee(spec.name);
    for (k, a) in actions.into_iter().enumerate() {
        s.apply(a).map_err(|e| format!("{} seed {seed}: action {k}: {e}", spec.name))?;
    }
    Ok(s)
}

/// The table as text, one row per script and case.
pub fn table(rows: &[Row], seeds: u64) -> String {
    use std::fmt::Write as _;
    let mut t = String::new();
    let _ = writeln!(t, "Construct validity over seeds 0..{seeds} (NOT FOR CLINICAL USE: synthetic patients)");
    let _ = writeln!(
        t,
        "{:<26} {:<22} {:>4} {:>6} {:>6}  {:>5} {:>5} {:>5} {:>5} {:>5}  {:<6} failed domains (runs)",
        "script", "case", "runs", "pass%", "score", "check", "safe", "tech", "outc", "intp", "claim"
    );
    for r in rows {
        let d = |k: &str| r.mean_domain_points.get(k).copied().unwrap_or(0.0);
        let failed: Vec<String> =
            r.domain_failures.iter().filter(|(_, n)| **n > 0).map(|(k, n)| format!("{k} {n}")).collect();
        let claim = match (r.expect, r.ok) {
            (Expect::Pass, true) => "pass",
            (Expect::Fail, true) => "fail",
            (_, false) => "WRONG",
        };
        let _ = writeln!(
            t,
            "{:<26} {:<22} {:>4} {:>5.0}% {:>6.1}  {:>5.1} {:>5.1} {:>5.1} {:>5.1} {:>5.1}  {:<6} {}",
            r.script,
            r.case,
            r.runs,
            100.0 * r.pass_rate,
            r.mean_score,
            d("checklist"),
            d("safety"),
            d("technique"),
            d("outcome"),
            d("interpretation"),
            claim,
            if failed.is_empty() { "-".into() } else { failed.join(", ") }
        );
        for e in r.errors.iter().take(3) {
            let _ = writeln!(t, "    error: {e}");
        }
    }
    let _ = writeln!(
        t,
        "Domain columns are mean points (checklist /20, safety /20, technique /30, outcome /15, interpretation /15).\n\
         Claim: experts pass on >= {:.0}% of runs, each novice on <= {:.0}%; WRONG marks a row that breaks it.",
        100.0 * EXPERT_MIN_PASS_RATE,
        100.0 * NOVICE_MAX_PASS_RATE
    );
    t
}
