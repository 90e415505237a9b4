//! One injection step (1/60 s) and one needle advance with all contact checks.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use fluorohip::sim::anatomy::{LandmarkName, Patient, PatientOverrides};
use fluorohip::sim::injection::{Fluid, InjectionState};
use fluorohip::sim::needle::{Needle, NeedleKind};

fn bench(c: &mut Criterion) {
    let p = Patient::generate(42, &PatientOverrides::default()).unwrap();
    let l = &p.landmarks;
    let mut needle = Needle::insert(NeedleKind::Quincke22G89, l.anterior_entry, l.target - l.anterior_entry);
    let _ = needle.place_straight(&p, l.target, 0.0);
    let mut state = InjectionState::default();
    state.deposit(&p, &needle, Fluid::Contrast, 0.5);
    c.bench_function("injection_step_1_60_s_with_push", |b| {
        b.iter(|| {
            state.deposit(black_box(&p), &needle, Fluid::Contrast, 0.5 / 60.0);
            state.step(1.0 / 60.0)
        })
    });
    let _ = LandmarkName::Target;
    c.bench_function("needle_advance_1mm_with_contact_checks", |b| {
        b.iter_batched(
            || Needle::insert(NeedleKind::Quincke22G89, l.anterior_entry, l.target - l.anterior_entry),
            |mut n| n.advance(black_box(&p), 1.0, 0.0),
            criterion::BatchSize::SmallInput,
        )
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
