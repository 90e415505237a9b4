//! Why a script fails: `validity_probe SCRIPT CASE SEEDS` prints each failing run's domains.
use fluorohip::sim::Scenario;
use fluorohip::sim::assessment::{self, Metrics};
use fluorohip::sim::validity::{SCRIPTS, play};
fn main() {
    let a: Vec<String> = std::env::args().collect();
    // A shipped script's name, or a path to a script file to try.
    let spec = match SCRIPTS.iter().find(|s| s.name == a[1]) {
        Some(s) => *s,
        None => fluorohip::sim::validity::ScriptSpec {
            name: "file",
            text: Box::leak(std::fs::read_to_string(&a[1]).unwrap().into_boxed_str()),
            cases: &[],
            expect: fluorohip::sim::validity::Expect::Pass,
        },
    };
    let scenario = Scenario::find(&a[2]).unwrap();
    let n: u64 = a.get(3).map(|s| s.parse().unwrap()).unwrap_or(20);
    for seed in 0..n {
        let s = play(&spec, &scenario, seed).unwrap();
        let e = Metrics::of(&assessment::expert_reference(&scenario, seed));
        let sc = assessment::score(&scenario, &Metrics::of(&s), &e);
        for d in sc.domains.iter().filter(|d| !d.passed) {
            println!("seed {seed}: {} {:?}", d.domain.as_str(), d.failed_because);
        }
    }
}
