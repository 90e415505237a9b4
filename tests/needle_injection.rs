//! Needle mechanics and injection: what the trainee's hands do, what the fluid does.

use fluorohip::sim::anatomy::{LandmarkName, Tissue};
use fluorohip::sim::injection::{ContrastPattern, Fluid};
use fluorohip::sim::needle::{NEAR_MISS_MM, NeedleEvent, NeedleKind};
use fluorohip::sim::session::PointRef;
use fluorohip::sim::{Action, EventKind, Scenario, Session};
use glam::DVec3;

fn session(seed: u64) -> Session {
    Session::new(Scenario::default(), seed).unwrap()
}

fn xyz(p: DVec3) -> PointRef {
    PointRef::Xyz(p.to_array())
}

/// Place a needle straight down (anterior approach) to `aim`, stopping `short` mm before it.
fn place_to(s: &mut Session, aim: DVec3, short: f64) {
    let p = s.patient();
    let entry = DVec3::new(aim.x, p.skin.front_y(aim.x), aim.z);
    let tip = aim + (entry - aim).normalize() * short;
    s.apply(Action::PlaceNeedle { entry: xyz(entry), tip: xyz(tip) }).unwrap();
}

fn inject_contrast(s: &mut Session, ml: f64) {
    s.apply(Action::Inject { fluid: Fluid::Contrast, volume_ml: ml, rate_ml_s: None }).unwrap();
}

fn assert_conserved(s: &Session) {
    let v = s.state().volumes;
    assert!((v.injected_ml - v.accounted_ml()).abs() < 1e-9, "volume not conserved: {v:?}");
}

/// Depth along the anterior approach at which the capsule begins, above the target.
fn capsule_surface_above_target(s: &Session) -> DVec3 {
    let p = s.patient();
    let (t, e) = (p.landmarks.target, p.landmarks.anterior_entry);
    let spans = p.tissue_spans(e, t);
    let wall = spans.iter().find(|sp| sp.tissue == Tissue::CapsuleWall).expect("the approach crosses the capsule");
    e + (t - e).normalize() * wall.from_mm
}

#[test]
fn a_tip_at_the_target_gives_the_intra_articular_pattern_and_volume_is_conserved() {
    for seed in [1, 2, 3, 10, 21] {
        let mut s = session(seed);
        let target = s.patient().landmarks.target;
        place_to(&mut s, target, 0.0);
        inject_contrast(&mut s, 2.0);
        assert_conserved(&s);
        s.apply(Action::Wait { seconds: 5.0 }).unwrap();
        assert_eq!(s.state().contrast_pattern, ContrastPattern::IntraArticular, "seed {seed}");
        assert!((s.state().volumes.joint_ml - 2.0).abs() < 1e-9);
        assert_conserved(&s);
    }
}

#[test]
fn five_mm_superficial_to_the_capsule_pools_extra_articular() {
    for seed in [1, 2, 3] {
        let mut s = session(seed);
        let surface = capsule_surface_above_target(&s);
        let entry = s.patient().landmarks.anterior_entry;
        let tip = surface + (entry - surface).normalize() * 5.0;
        s.apply(Action::PlaceNeedle { entry: xyz(entry), tip: xyz(tip) }).unwrap();
        inject_contrast(&mut s, 2.0);
        s.apply(Action::Wait { seconds: 5.0 }).unwrap();
        assert_eq!(s.state().contrast_pattern, ContrastPattern::ExtraArticular, "seed {seed}");
        assert_eq!(s.state().volumes.joint_ml, 0.0);
        // The pool stays at the tip: its iodine is within a few mm of it.
        let field = s.state().injection.contrast_field(s.patient());
        assert!(field.concentration_at(tip) > 100.0, "no contrast at the tip");
        assert_eq!(field.concentration_at(tip + DVec3::new(25.0, 0.0, 0.0)), 0.0);
        assert_conserved(&s);
    }
}

#[test]
fn contrast_in_the_artery_washes_out_within_two_seconds() {
    let mut s = session(3);
    let artery = s.patient().landmarks.femoral_artery;
    place_to(&mut s, artery, 0.0);
    assert!(s.state().needle.unwrap().blood_in_hub, "entering the artery fills the hub with blood");
    inject_contrast(&mut s, 1.0);
    assert_eq!(s.state().contrast_pattern, ContrastPattern::Intravascular);
    assert!(s.state().volumes.intravascular_ml > 0.05, "a streak is visible at the end of the push");
    s.apply(Action::Wait { seconds: 2.0 }).unwrap();
    let v = s.state().volumes;
    assert!(v.intravascular_ml < 0.01 * v.injected_ml, "still {} mL in the vessel after 2 s", v.intravascular_ml);
    assert_conserved(&s);
    let intravascular = s.state().events.iter().any(|e| {
        matches!(e.kind, EventKind::Unsafe { what: fluorohip::sim::session::UnsafeAct::InjectedIntravascular })
    });
    assert!(intravascular, "an intravascular injection is recorded as one");
}

/// The profunda femoris is an artery of its own: entering it is a critical error, and contrast
/// pushed into it runs down the thigh, away from the bifurcation, and washes out.
#[test]
fn contrast_in_the_profunda_runs_down_the_thigh() {
    for seed in [1, 2, 3] {
        let mut s = session(seed);
        let z = s.patient().bundle.bifurcation.z - 60.0;
        // The profunda's cross-section at that level, by point queries.
        let (mut sum, mut n) = (DVec3::ZERO, 0.0);
        for i in -80..=60 {
            for j in -90..=60 {
                let q = DVec3::new(i as f64, j as f64, z);
                if s.patient().tissue_at(q) == Tissue::ProfundaFemoris {
                    sum += q;
                    n += 1.0;
                }
            }
        }
        assert!(n > 5.0, "seed {seed}: no profunda 60 mm below the bifurcation");
        let tip = sum / n;
        place_to(&mut s, tip, 0.0);
        let hit = s.state().events.iter().any(|e| {
            matches!(e.kind, EventKind::Unsafe { what: fluorohip::sim::session::UnsafeAct::HitFemoralArtery })
        });
        assert!(hit, "seed {seed}: entering the profunda is a critical arterial puncture");
        s.apply(Action::Inject { fluid: Fluid::Contrast, volume_ml: 0.5, rate_ml_s: Some(1.0) }).unwrap();
        assert_eq!(s.state().contrast_pattern, ContrastPattern::Intravascular, "seed {seed}");
        let field = s.state().injection.contrast_field(s.patient());
        // Iodine below the tip along the vessel, none the same distance above it.
        let along = |dz: f64| {
            (-40..=40)
                .flat_map(|i| (-40..=40).map(move |j| (i, j)))
                .map(|(i, j)| field.concentration_at(tip + DVec3::new(i as f64 * 0.5, j as f64 * 0.5, dz)))
                .fold(0.0, f64::max)
        };
        assert!(along(-15.0) > 0.0, "seed {seed}: no contrast down the profunda");
        assert_eq!(along(15.0), 0.0, "seed {seed}: contrast ran up the profunda, against the flow");
        s.apply(Action::Wait { seconds: 3.0 }).unwrap();
        let v = s.state().volumes;
        assert!(v.intravascular_ml < 0.01 * v.injected_ml, "seed {seed}: still {} mL in it", v.intravascular_ml);
        assert_conserved(&s);
    }
}

#[test]
fn the_bursa_fills_and_reaches_the_joint_only_when_it_communicates() {
    for communicates in [false, true] {
        let scenario = Scenario {
            patient: fluorohip::sim::anatomy::PatientOverrides {
                bursa_communicates: Some(communicates),
                ..Default::default()
            },
            ..Default::default()
        };
        let mut s = Session::new(scenario, 4).unwrap();
        let bursa = s.patient().landmarks.iliopsoas_bursa;
        place_to(&mut s, bursa, 0.0);
        inject_contrast(&mut s, 2.0);
        let v = s.state().volumes;
        assert!(v.bursa_ml > 0.5);
        assert_eq!(v.joint_ml > 0.0, communicates);
        assert_eq!(s.state().contrast_pattern, ContrastPattern::Bursal);
        assert_conserved(&s);
    }
}

#[test]
fn a_tip_in_the_capsule_wall_gives_a_mixed_pattern() {
    let mut s = session(2);
    let surface = capsule_surface_above_target(&s);
    let entry = s.patient().landmarks.anterior_entry;
    let dir = (surface - entry).normalize();
    // 1.5 mm into the 3 mm wall.
    s.apply(Action::PlaceNeedle { entry: xyz(entry), tip: xyz(surface + dir * 2.0) }).unwrap();
    assert_eq!(s.state().tip_compartment.unwrap(), fluorohip::sim::needle::Compartment::CapsuleWall);
    inject_contrast(&mut s, 2.0);
    assert_eq!(s.state().contrast_pattern, ContrastPattern::Mixed);
    assert_conserved(&s);
}

#[test]
fn overfilling_the_joint_meets_high_resistance_and_leaks() {
    let mut s = session(1);
    let target = s.patient().landmarks.target;
    place_to(&mut s, target, 0.0);
    s.apply(Action::Inject { fluid: Fluid::DrugMix, volume_ml: 8.0, rate_ml_s: Some(1.0) }).unwrap();
    assert!(s.state().injection.joint_resistance() < 1.5, "below 10 mL the capsule is compliant");
    let events =
        s.apply(Action::Inject { fluid: Fluid::LocalAnaesthetic, volume_ml: 14.0, rate_ml_s: Some(1.0) }).unwrap();
    assert!(events.iter().any(|e| matches!(e.kind, EventKind::Unsafe { .. })), "high resistance is flagged");
    assert!(s.state().injection.leaked_ml > 0.0);
    assert!(s.state().volumes.extra_articular_ml > 0.0);
    assert_conserved(&s);
}

#[test]
fn bone_stops_the_tip_with_a_bony_end_point() {
    let mut s = session(5);
    s.apply(Action::InsertNeedle {
        entry: PointRef::landmark(LandmarkName::AnteriorEntry),
        toward: PointRef::landmark(LandmarkName::Target),
    })
    .unwrap();
    let events = s.apply(Action::Advance { mm: 85.0 }).unwrap();
    assert!(
        events.iter().any(|e| matches!(e.kind, EventKind::Needle(NeedleEvent::BonyEndpoint { .. }))),
        "no bony end-point"
    );
    let tip = s.state().needle.unwrap().tip();
    assert!(!s.patient().tissue_at(tip).is_bone());
    let depth = s.state().needle.unwrap().depth_mm();
    s.apply(Action::Advance { mm: 10.0 }).unwrap();
    assert_eq!(s.state().needle.unwrap().depth_mm(), depth, "bone does not yield");
    assert_eq!(s.state().tip_compartment.unwrap(), fluorohip::sim::needle::Compartment::BoneSurface);
}

/// Insert along a soft-tissue path down the front of the thigh and measure how far
/// the tip strays from the straight line after 80 mm.
fn deflection_after_80mm(kind: NeedleKind, bevel_deg: f64) -> DVec3 {
    let mut s = session(7);
    let p = s.patient();
    let x = 40.0;
    let entry = DVec3::new(x, p.skin.front_y(x), -100.0);
    // Aim down the thigh, slightly inward, through muscle.
    let dir = DVec3::new(0.0, 0.35, -1.0).normalize();
    s.apply(Action::SelectNeedle { needle: kind }).unwrap();
    s.apply(Action::InsertNeedle { entry: xyz(entry), toward: xyz(entry + dir * 100.0) }).unwrap();
    s.apply(Action::RotateBevel { deg: bevel_deg }).unwrap();
    s.apply(Action::Advance { mm: 80.0 }).unwrap();
    let n = s.state().needle.unwrap();
    let tip = n.tip();
    let along = (tip - entry).dot(dir);
    tip - (entry + dir * along)
}

#[test]
fn a_22g_quincke_deflects_by_the_published_amount_and_the_bevel_steers_it() {
    let q = deflection_after_80mm(NeedleKind::Quincke22G89, 0.0);
    // Rand 2016: 8.9 mm at 80 mm in gel; Drummond & Scott 1980: about 1 mm per cm.
    assert!((7.0..=10.0).contains(&q.length()), "Quincke deflection {} mm", q.length());
    let pencil = deflection_after_80mm(NeedleKind::PencilPoint22G89, 0.0);
    assert!(pencil.length() < 1.5, "pencil-point deflection {} mm (published 0.7)", pencil.length());
    let turned = deflection_after_80mm(NeedleKind::Quincke22G89, 180.0);
    assert!(turned.dot(q) < -0.8 * q.length_squared(), "turning the bevel 180° turns the curve");
}

#[test]
fn a_path_through_the_artery_is_a_hit_and_one_3mm_away_is_a_near_miss() {
    let mut hit = session(3);
    let artery = hit.patient().landmarks.femoral_artery;
    place_to(&mut hit, artery, 0.0);
    let evs: Vec<_> = hit.state().events.iter().map(|e| e.kind.clone()).collect();
    assert!(evs.contains(&EventKind::Needle(NeedleEvent::Hit { structure: Tissue::FemoralArtery })));
    assert!(evs.contains(&EventKind::Needle(NeedleEvent::BloodInHub { structure: Tissue::FemoralArtery })));

    let mut near = session(3);
    let r = fluorohip::sim::anatomy::params::table::FEMORAL_ARTERY_RADIUS_MM;
    let needle_r = NeedleKind::Quincke22G89.spec().outer_diameter_mm / 2.0;
    // Beside the artery on its lateral side, 3 mm from its wall to the needle's surface.
    let aim = artery + DVec3::new(-(r + 3.0 + needle_r), 0.0, 0.0);
    place_to(&mut near, aim, 0.0);
    let events = &near.state().events;
    let miss = events
        .iter()
        .find_map(|e| match e.kind {
            EventKind::Needle(NeedleEvent::NearMiss { structure: Tissue::FemoralArtery, distance_mm }) => {
                Some(distance_mm)
            }
            _ => None,
        })
        .expect("no near-miss of the artery");
    assert!(miss < NEAR_MISS_MM);
    assert!(!events.iter().any(|e| matches!(e.kind, EventKind::Needle(NeedleEvent::Hit { .. }))));
    let closest = near
        .state()
        .needle
        .unwrap()
        .closest_approaches()
        .iter()
        .find(|a| a.structure == Tissue::FemoralArtery)
        .unwrap()
        .closest_mm;
    assert!((closest - 3.0).abs() < 0.3, "closest approach {closest} mm");
}

#[test]
fn the_same_seed_and_actions_give_the_same_session() {
    let script = |s: &mut Session| {
        s.apply(Action::InsertNeedle {
            entry: PointRef::landmark(LandmarkName::AnteriorEntry),
            toward: PointRef::landmark(LandmarkName::Target),
        })
        .unwrap();
        s.apply(Action::Advance { mm: 40.0 }).unwrap();
        s.apply(Action::Fluoro { seconds: 1.0 }).unwrap();
        s.apply(Action::Redirect { toward: PointRef::landmark(LandmarkName::Target), withdraw_mm: Some(5.0) }).unwrap();
        s.apply(Action::Advance { mm: 40.0 }).unwrap();
        s.apply(Action::Inject { fluid: Fluid::Contrast, volume_ml: 2.0, rate_ml_s: None }).unwrap();
        s.apply(Action::Fluoro { seconds: 1.0 }).unwrap();
    };
    let mut a = session(11);
    let mut b = session(11);
    script(&mut a);
    script(&mut b);
    assert_eq!(a.state().events, b.state().events);
    assert_eq!(a.state().needle, b.state().needle);
    assert_eq!(a.state().fluoroscope.last_image().unwrap().gray, b.state().fluoroscope.last_image().unwrap().gray);
    // The log replays to the same state.
    let c = Session::replay(&a.log()).unwrap();
    assert_eq!(c.state().events, a.state().events);
}
