//! Render one shot and time it: `cargo run --release --no-default-features --example shot_probe -- SEED PIXELS OUT.png`
use fluorohip::sim::Position;
use fluorohip::sim::anatomy::{Patient, PatientOverrides};
use fluorohip::sim::imaging::*;
use fluorohip::sim::needle::NeedlePath;
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let seed: u64 = a.get(1).map(|s| s.parse().unwrap()).unwrap_or(1);
    let px: usize = a.get(2).map(|s| s.parse().unwrap()).unwrap_or(512);
    let out = a.get(3).cloned().unwrap_or("/tmp/shot.png".into());
    let p = Patient::generate(seed, &PatientOverrides::default()).unwrap();
    let mut f = Fluoroscope::new(
        CArmPose { isocentre: p.landmarks.target, ..Default::default() },
        ImagingSettings { pixels: px, ..Default::default() },
    );
    let l = &p.landmarks;
    let dir = (l.target - l.anterior_entry).normalize();
    let hub = l.anterior_entry + (l.target - l.anterior_entry) * 0.0 - dir * 20.0;
    let tip = l.target - dir * 1.0 + glam::DVec3::new(-15.0, 0.0, 10.0);
    let needle = NeedlePath::straight(hub + glam::DVec3::new(-40.0, 0.0, 30.0), tip, 0.359);
    let t = std::time::Instant::now();
    let d = f.shoot(&p, Position::Supine, Radiopaque { needle: Some(&needle), contrast: None }, 1.0, 1).unwrap();
    println!("first shot {:?} {:?}", t.elapsed(), d);
    let t = std::time::Instant::now();
    let d = f.shoot(&p, Position::Supine, Radiopaque { needle: Some(&needle), contrast: None }, 1.0, 2).unwrap();
    println!("second shot {:?} {:?}", t.elapsed(), d);
    export::write_png(std::path::Path::new(&out), f.last_image().unwrap(), "SEED 1 LAO 0 CRAN 0", &[]).unwrap();
}
