//! A whole scripted session (with its shots), its report, writing the report files, and
//! the autosave the window writes after every action.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use fluorohip::sim::assessment::export as report;
use fluorohip::sim::autosave::Autosave;
use fluorohip::sim::{Scenario, assessment, script};

fn bench(c: &mut Criterion) {
    let scenario = Scenario::find("routine_anterior").unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scripts/expert_anterior.ron");
    let (actions, lines) = script::load_actions(&path).unwrap();
    let mut g = c.benchmark_group("session");
    g.sample_size(10);
    g.bench_function("scripted_expert_session_with_shots", |b| {
        b.iter(|| script::play(scenario.clone(), black_box(1001), "", actions.clone(), &lines, &path).unwrap())
    });
    let session = script::play(scenario.clone(), 1001, "bench", actions.clone(), &lines, &path).unwrap();
    g.bench_function("report_with_expert_reference", |b| b.iter(|| assessment::report(black_box(&session))));
    let dir = std::env::temp_dir().join(format!("fluorohip-bench-{}", std::process::id()));
    let scored = assessment::report(&session);
    g.bench_function("write_report_files", |b| {
        b.iter(|| report::write_files(black_box(&session), &scored, &dir, Some(&dir.join("class.csv"))).unwrap())
    });
    // The whole log, written atomically with an fsync: the cost of every action in the window.
    let autosave = Autosave::in_dir(&dir);
    g.bench_function("autosave_after_an_action", |b| b.iter(|| autosave.save(black_box(&session)).unwrap()));
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
