//! Construct validity: the rubric separates the expert references from the novice
//! scripts over many seeds, and the references themselves reach the joint.

use fluorohip::sim::Scenario;
use fluorohip::sim::assessment::{self, Domain, Metrics};
use fluorohip::sim::injection::ContrastPattern;
use fluorohip::sim::validity::{self, Expect, SCRIPTS};

/// Every shipped expert reference puts the drug in the joint after reading an
/// intra-articular pattern, without a critical error, on ≥ 99% of 50 seeds of every case
/// it serves (the issue asks ≥ 99% of 200; `fluorohip validity --seeds 200` shows it).
#[test]
fn expert_references_reach_the_joint_on_fifty_seeds_of_every_case() {
    use rayon::prelude::*;
    let seeds = 50u64;
    for scenario in Scenario::shipped() {
        let misses: Vec<(u64, ContrastPattern, f64)> = (0..seeds)
            .into_par_iter()
            .filter_map(|seed| {
                let m = Metrics::of(&assessment::expert_reference(&scenario, seed));
                let ok = m.joint_drug_ml >= 1.0
                    && m.contrast_pattern == ContrastPattern::IntraArticular
                    && m.contrast_confirmed_before_drug
                    && !m.unsafe_acts.iter().any(|a| assessment::is_critical(*a));
                (!ok).then_some((seed, m.contrast_pattern, m.joint_drug_ml))
            })
            .collect();
        let rate = 1.0 - misses.len() as f64 / seeds as f64;
        assert!(
            rate >= 0.99,
            "{}: reached the joint on {:.0}% of seeds; misses {misses:?}",
            scenario.name,
            100.0 * rate
        );
    }
}

/// The validity table over 20 seeds: experts pass ≥ 95%, every novice ≤ 5%, and each
/// novice fails in the domain its error belongs to.
#[test]
fn the_rubric_passes_experts_and_fails_every_novice_script() {
    let rows = validity::sweep(20, &|_, _| {});
    let table = validity::table(&rows, 20);
    println!("{table}");
    assert!(SCRIPTS.iter().filter(|s| s.expect == Expect::Fail).count() >= 10, "at least ten novice scripts");
    for r in &rows {
        assert!(r.errors.is_empty(), "{} on {}: {:?}", r.script, r.case, r.errors);
        assert_eq!(r.runs, 20);
        match r.expect {
            Expect::Pass => {
                assert!(r.pass_rate >= 0.95, "{} on {} passed {:.0}%\n{table}", r.script, r.case, 100.0 * r.pass_rate)
            }
            Expect::Fail => {
                assert!(r.pass_rate <= 0.05, "{} on {} passed {:.0}%\n{table}", r.script, r.case, 100.0 * r.pass_rate)
            }
        }
    }
    // The error each novice shows is caught where it belongs, on every run.
    let fails = |script: &str, domain: Domain| {
        rows.iter().filter(|r| r.script == script).map(|r| r.domain_failures[domain.as_str()]).sum::<usize>()
    };
    for (script, domain) in [
        ("novice_no_time_out", Domain::Safety),
        ("novice_femoral_artery", Domain::Safety),
        ("novice_ignores_blood", Domain::Safety),
        ("novice_short_of_bone", Domain::Outcome),
        ("novice_withdrawn_off_bone", Domain::Interpretation),
        ("novice_skips_contrast", Domain::Safety),
        ("novice_high_resistance", Domain::Safety),
        ("novice_misreads_block", Domain::Interpretation),
        ("novice_calls_lumbar_positive", Domain::Interpretation),
        ("novice_too_many_shots", Domain::Technique),
        ("novice_not_coaxial", Domain::Technique),
        ("novice_wrong_position", Domain::Checklist),
        ("novice_stops_early", Domain::Outcome),
        ("novice_blind_advance", Domain::Safety),
    ] {
        assert_eq!(fails(script, domain), 20, "{script} should fail {} on every run\n{table}", domain.as_str());
    }
}
