//! Patient generation, display meshes, point and segment queries.

use criterion::{Criterion, criterion_group, criterion_main};
use fluorohip::sim::anatomy::{Patient, PatientOverrides};
use glam::DVec3;
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let none = PatientOverrides::default();
    c.bench_function("patient_generate", |b| b.iter(|| Patient::generate(black_box(42), &none).unwrap()));
    c.bench_function("patient_generate_with_meshes", |b| {
        b.iter(|| {
            let p = Patient::generate(black_box(42), &none).unwrap();
            p.meshes()
        })
    });
    let p = Patient::generate(42, &none).unwrap();
    // Turning the leg 15° in: the new patient's meshes from scratch, and keeping the meshes of
    // what the turn did not move (as the window does).
    let before = p.meshes();
    let turned = p.with_leg_rotation(15.0);
    c.bench_function("leg_turned_meshes_from_scratch", |b| b.iter(|| black_box(&turned).meshes()));
    c.bench_function("leg_turned_meshes_reusing", |b| b.iter(|| black_box(&turned).meshes_reusing(&p, &before)));
    let t = p.landmarks.target;
    c.bench_function("point_query_tissue_at", |b| b.iter(|| p.tissue_at(black_box(t + DVec3::new(0.3, -2.0, 0.1)))));
    c.bench_function("point_query_distance_to_artery", |b| {
        b.iter(|| p.signed_distance(fluorohip::sim::anatomy::Tissue::FemoralArtery, black_box(t)))
    });
    let a = DVec3::new(-10.0, -300.0, 5.0);
    let z = DVec3::new(-10.0, 300.0, -5.0);
    c.bench_function("segment_query_through_hip", |b| b.iter(|| p.path_lengths(black_box(a), black_box(z))));
}

criterion_group!(benches, bench);
criterion_main!(benches);
