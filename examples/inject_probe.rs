//! Print the contrast bodies after an injection at a landmark.
use fluorohip::sim::anatomy::LandmarkName;
use fluorohip::sim::injection::Fluid;
use fluorohip::sim::session::PointRef;
use fluorohip::sim::{Action, Scenario, Session};
fn main() {
    let mut s = Session::new(Scenario::default(), 3).unwrap();
    let a = s.patient().landmarks.femoral_artery;
    let entry = [a.x, s.patient().skin.front_y(a.x), a.z];
    s.apply(Action::PlaceNeedle { entry: PointRef::Xyz(entry), tip: PointRef::landmark(LandmarkName::FemoralArtery) })
        .unwrap();
    let ev = s.apply(Action::Inject { fluid: Fluid::Contrast, volume_ml: 1.0, rate_ml_s: None }).unwrap();
    println!("{ev:?}");
    let f = s.state().injection.contrast_field(s.patient());
    for b in f.bodies() {
        println!("{:?} {:?}", b.iodine_mg_per_ml, b.aabb);
    }
    println!("{:?}", s.state().volumes);
    s.apply(Action::Fluoro { seconds: 0.1 }).unwrap();
    let fr = s.state().fluoroscope.last_image().unwrap();
    let g = s.state().fluoroscope.geometry(fluorohip::sim::Position::Supine);
    for dz in [0.0, -10.0, -20.0, -30.0, -45.0] {
        let p = a + glam::DVec3::new(0.0, 0.0, dz);
        let (i, j) = g.project_px(p).unwrap();
        let q = p + glam::DVec3::new(15.0, 0.0, 0.0);
        let (i2, j2) = g.project_px(q).unwrap();
        println!(
            "dz {dz}: streak {:.0} beside {:.0}",
            fr.mean_gray(i as usize, j as usize, 2),
            fr.mean_gray(i2 as usize, j2 as usize, 2)
        );
    }
}
#[allow(dead_code)]
fn unused() {}
