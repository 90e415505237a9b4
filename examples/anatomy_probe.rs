//! Print one patient: parameters, landmarks, tissues along the anterior path, mesh sizes.
//! `cargo run --release --no-default-features --example anatomy_probe -- SEED`
use fluorohip::sim::anatomy::*;
use glam::DVec3;
fn main() {
    let seed: u64 = std::env::args().nth(1).map(|s| s.parse().unwrap()).unwrap_or(1);
    let p = Patient::generate(seed, &PatientOverrides::default()).unwrap();
    println!("{:#?}", p.params);
    println!("{:#?}", p.landmarks);
    println!("{:#?}", p.bundle);
    println!("skin {:?}", p.skin);
    let l = &p.landmarks;
    for s in p.tissue_spans(l.anterior_entry - DVec3::Y * 5.0, l.target + DVec3::Y * 30.0) {
        println!("  {:>30} {:7.1} {:7.1}", s.tissue.label(), s.from_mm, s.to_mm);
    }
    for t in [
        Tissue::FemoralNerve,
        Tissue::FemoralArtery,
        Tissue::FemoralVein,
        Tissue::LateralFemoralCutaneousNerve,
        Tissue::LateralCircumflexBranch,
    ] {
        println!(
            "{:?} target dist {:.1} path closest {:?}",
            t,
            p.signed_distance(t, l.target),
            p.closest_approach(t, l.anterior_entry, l.target)
        );
    }
    println!("up from head centre:");
    for s in p.tissue_spans(DVec3::ZERO, DVec3::Z * 80.0) {
        println!("  {:>30} {:7.1} {:7.1}", s.tissue.label(), s.from_mm, s.to_mm);
    }
    let t0 = std::time::Instant::now();
    let m = p.meshes();
    println!("meshes {:?}", t0.elapsed());
    for mm in &m {
        println!(
            "{:?} tris {} closed {} vol {:.0}",
            mm.tissue,
            mm.triangle_count(),
            mm.is_closed_and_oriented(),
            mm.signed_volume_mm3()
        );
    }
}
