//! Sweep an action script (default: each case's expert reference) over many seeds and
//! print how often it reaches the joint (pattern and drug), with the failing seeds.
//! `expert_sweep N [SCRIPT CASE]`
use fluorohip::sim::{Action, Scenario, Session, assessment};
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let n: u64 = a.get(1).map(|s| s.parse().unwrap()).unwrap_or(50);
    let script: Option<Vec<Action>> = a.get(2).map(|p| ron::from_str(&std::fs::read_to_string(p).unwrap()).unwrap());
    for sc in Scenario::shipped() {
        if a.get(3).is_some_and(|c| *c != sc.name) {
            continue;
        }
        let mut fails = Vec::new();
        let mut shots = Vec::new();
        let mut fluoro = Vec::new();
        let mut redirections = Vec::new();
        for seed in 0..n {
            let s = match &script {
                None => assessment::expert_reference(&sc, seed),
                Some(actions) => {
                    let mut s = Session::new(sc.clone(), seed).unwrap();
                    for act in actions {
                        s.apply(act.clone()).unwrap();
                    }
                    s
                }
            };
            let m = assessment::Metrics::of(&s);
            shots.push(m.shots);
            fluoro.push(m.fluoro_s);
            redirections.push(m.redirections);
            if m.joint_drug_ml < 1.0 || m.contrast_read_correct != Some(true) {
                let bone = s.state().events.iter().find_map(|e| match &e.kind {
                    fluorohip::sim::EventKind::Needle(fluorohip::sim::needle::NeedleEvent::BonyEndpoint {
                        tissue,
                        ..
                    }) => Some(format!("{tissue:?}")),
                    _ => None,
                });
                fails.push((
                    seed,
                    format!("{:?}", m.contrast_pattern),
                    (m.joint_drug_ml * 10.0).round() / 10.0,
                    m.target_error_mm,
                    bone,
                ));
            }
        }
        shots.sort();
        fluoro.sort_by(f64::total_cmp);
        redirections.sort();
        let mid = shots.len() / 2;
        println!("{:24} {}/{} ok; fails: {:?}", sc.name, n - fails.len() as u64, n, &fails[..fails.len().min(6)]);
        println!(
            "{:24} shots median {} (range {}-{}), fluoroscopy median {:.1} s ({:.1}-{:.1}), redirections median {}",
            "",
            shots[mid],
            shots[0],
            shots[shots.len() - 1],
            fluoro[mid],
            fluoro[0],
            fluoro[fluoro.len() - 1],
            redirections[mid]
        );
    }
}
