//! Run an action script on a shipped scenario and print the events.
use fluorohip::sim::{Action, Scenario, Session};
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let text = std::fs::read_to_string(&a[1]).unwrap();
    let scenario = Scenario::find(a.get(2).map(|s| s.as_str()).unwrap_or("routine_anterior")).unwrap();
    let actions: Vec<Action> = ron::from_str(&text).unwrap();
    let seed = a.get(3).map(|s| s.parse().unwrap()).unwrap_or(scenario.default_seed);
    let mut s = Session::new(scenario, seed).unwrap();
    for act in actions {
        let ev = s.apply(act.clone()).unwrap();
        for e in ev {
            if !matches!(
                e.kind,
                fluorohip::sim::EventKind::TimePassed { .. } | fluorohip::sim::EventKind::NeedleMoved { .. }
            ) {
                println!("{:8.1} {:?}", e.time_s, e.kind);
            }
        }
    }
    let n = s.state().needle;
    println!("dose {:?}", s.dose());
    let _ = n;
}
