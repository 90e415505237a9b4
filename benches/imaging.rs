//! Fluoroscopy frames: a 512×512 shot with needle and contrast, a 256×256 live frame,
//! the first shot at a new C-arm pose, and allocations per frame.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

use criterion::{Criterion, criterion_group, criterion_main};
use fluorohip::sim::anatomy::{LandmarkName, Patient, PatientOverrides};
use fluorohip::sim::imaging::{CArmPose, Fluoroscope, ImagingSettings, Radiopaque};
use fluorohip::sim::injection::{ContrastField, Fluid};
use fluorohip::sim::needle::NeedlePath;
use fluorohip::sim::session::PointRef;
use fluorohip::sim::{Action, Position, Scenario, Session};

struct Counting;
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
}
#[global_allocator]
static GLOBAL: Counting = Counting;

/// A patient with a needle at the target and 2 mL of contrast spread in the joint.
fn scene(seed: u64) -> (Patient, NeedlePath, ContrastField) {
    let mut s = Session::new(Scenario::default(), seed).unwrap();
    s.apply(Action::PlaceNeedle {
        entry: PointRef::landmark(LandmarkName::AnteriorEntry),
        tip: PointRef::landmark(LandmarkName::Target),
    })
    .unwrap();
    s.apply(Action::Inject { fluid: Fluid::Contrast, volume_ml: 2.0, rate_ml_s: None }).unwrap();
    s.apply(Action::Wait { seconds: 3.0 }).unwrap();
    let needle = s.state().needle.unwrap().drawn_path();
    let field = s.state().injection.contrast_field(s.patient());
    let patient = Patient::generate(seed, &PatientOverrides::default()).unwrap();
    (patient, needle, field)
}

fn bench(c: &mut Criterion) {
    let (p, needle, field) = scene(42);
    let extra = Radiopaque { needle: Some(&needle), contrast: Some(&field) };
    let pose = CArmPose { isocentre: p.landmarks.target, ..Default::default() };
    for px in [512usize, 256] {
        let mut f = Fluoroscope::new(pose, ImagingSettings { pixels: px, ..Default::default() });
        f.shoot(&p, Position::Supine, extra, 0.5, 0).unwrap();
        let mut k = 1;
        c.bench_function(&format!("shot_{px}px_needle_contrast_same_pose"), |b| {
            b.iter(|| {
                k += 1;
                f.shoot(black_box(&p), Position::Supine, extra, 0.5, k).unwrap()
            })
        });
        // Allocations for one frame at an unchanged pose, after the first.
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        f.shoot(&p, Position::Supine, extra, 0.5, 999).unwrap();
        let after = ALLOCATIONS.load(Ordering::Relaxed);
        println!("allocations per {px}px frame after the first: {}", after - before);
    }
    let mut g = c.benchmark_group("new_pose");
    g.sample_size(10);
    for px in [512usize, 256] {
        let mut f = Fluoroscope::new(pose, ImagingSettings { pixels: px, ..Default::default() });
        let mut lao = 0.0;
        g.bench_function(format!("shot_{px}px_first_at_new_pose"), |b| {
            b.iter(|| {
                lao = if lao > 20.0 { 0.0 } else { lao + 1.0 };
                f.pose.lao_deg = lao;
                f.shoot(black_box(&p), Position::Supine, extra, 0.5, 1).unwrap()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
