//! The synthetic patient: determinism, published distributions, anatomical relations.

use fluorohip::sim::anatomy::params::table;
use fluorohip::sim::anatomy::{Material, Patient, PatientOverrides, PatientParams, Sex, Tissue};
use glam::DVec3;

fn patient(seed: u64) -> Patient {
    Patient::generate(seed, &PatientOverrides::default()).unwrap()
}

#[test]
fn same_seed_gives_the_bitwise_same_patient_and_other_seeds_differ() {
    let a = patient(2024);
    let b = patient(2024);
    assert_eq!(a.params, b.params);
    assert_eq!(a.landmarks, b.landmarks);
    assert_eq!(serde_json::to_string(&a.summary()).unwrap(), serde_json::to_string(&b.summary()).unwrap());
    let c = patient(2025);
    assert_ne!(a.params, c.params);
}

/// The first values of seed 1, pinned so that a change of generator, of the order of
/// draws or of platform maths shows up as a failure here and not as a silent new patient.
#[test]
fn seed_one_is_pinned() {
    let p = patient(1).params;
    assert_eq!(p.sex, Sex::Male);
    assert_eq!(p.bmi_kg_m2.to_bits(), 23.88162697442962f64.to_bits(), "bmi {}", p.bmi_kg_m2);
    assert_eq!(p.femoral_head_diameter_mm.to_bits(), 48.02833347579445f64.to_bits());
    assert_eq!(p.neck_shaft_angle_deg.to_bits(), 129.95208246462914f64.to_bits());
}

fn mean_sd(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    (m, (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt())
}

/// Over 1,000 seeds every parameter stays in its published range, and the sample mean
/// and SD match the published ones: mean within 0.15 SD (the standard error of a mean of
/// ~500–1000 draws is 0.03–0.05 SD, truncation shifts it by < 0.02 SD) and SD within 12%.
#[test]
fn thousand_patients_follow_the_published_distributions() {
    let ps: Vec<PatientParams> = (0..1000)
        .map(|s| {
            PatientParams::generate(&mut fluorohip::sim::rng::SimRng::for_stream(s, 1), &PatientOverrides::default())
                .unwrap()
        })
        .collect();
    let check = |name: &str, xs: Vec<f64>, pubd: &table_ref::P| {
        for &x in &xs {
            assert!(x >= pubd.min && x <= pubd.max, "{name} = {x} outside {}..{}", pubd.min, pubd.max);
        }
        let (m, sd) = mean_sd(&xs);
        assert!((m - pubd.mean).abs() < 0.15 * pubd.sd, "{name}: mean {m:.2} vs published {}", pubd.mean);
        assert!((sd / pubd.sd - 1.0).abs() < 0.12, "{name}: SD {sd:.2} vs published {}", pubd.sd);
    };
    let f = |sex: Sex, get: fn(&PatientParams) -> f64| -> Vec<f64> {
        ps.iter().filter(|p| p.sex == sex).map(get).collect()
    };
    let all = |get: fn(&PatientParams) -> f64| -> Vec<f64> { ps.iter().map(get).collect() };
    use table_ref::P;
    check("head (male)", f(Sex::Male, |p| p.femoral_head_diameter_mm), &P::from(table::HEAD_DIAMETER_MALE_MM));
    check("head (female)", f(Sex::Female, |p| p.femoral_head_diameter_mm), &P::from(table::HEAD_DIAMETER_FEMALE_MM));
    check("neck length", all(|p| p.neck_length_mm), &P::from(table::NECK_LENGTH_MM));
    check("neck diameter", all(|p| p.neck_diameter_mm), &P::from(table::NECK_DIAMETER_MM));
    check("neck-shaft angle", all(|p| p.neck_shaft_angle_deg), &P::from(table::NECK_SHAFT_ANGLE_DEG));
    // Pooled anteversion: published 14.5 ± 8.1 over both sexes.
    check("anteversion", all(|p| p.femoral_anteversion_deg), &P { mean: 14.5, sd: 8.1, min: -23.6, max: 48.7 });
    check("acetabular inclination", all(|p| p.acetabular_inclination_deg), &P::from(table::ACETABULAR_INCLINATION_DEG));
    check(
        "acetabular anteversion (female)",
        f(Sex::Female, |p| p.acetabular_anteversion_deg),
        &P::from(table::ACETABULAR_ANTEVERSION_FEMALE_DEG),
    );
    check("anterior recess", all(|p| p.anterior_recess_depth_mm), &P::from(table::ANTERIOR_RECESS_DEPTH_MM));
    check("artery to joint", all(|p| p.femoral_artery_to_joint_mm), &P::from(table::FEMORAL_ARTERY_TO_JOINT_MM));
    check("vein to joint", all(|p| p.femoral_vein_to_joint_mm), &P::from(table::FEMORAL_VEIN_TO_JOINT_MM));
    check("LFCN medial to ASIS", all(|p| p.lfcn_medial_to_asis_mm), &P::from(table::LFCN_MEDIAL_TO_ASIS_MM));
    // Joint space and nerve distance: the published figures describe hips without
    // osteoarthritis; grades 2+ are narrowed and have the nerve closer by design.
    let healthy: Vec<&PatientParams> = ps.iter().filter(|p| p.oa_grade <= 1).collect();
    check(
        "joint space (KL 0-1)",
        healthy.iter().map(|p| p.joint_space_width_mm).collect(),
        &P::from(table::JOINT_SPACE_WIDTH_MM),
    );
    check(
        "nerve to joint (KL 0-1)",
        healthy.iter().map(|p| p.femoral_nerve_to_joint_mm).collect(),
        &P::from(table::FEMORAL_NERVE_TO_JOINT_MM),
    );
    let females = ps.iter().filter(|p| p.sex == Sex::Female).count();
    assert!((430..=570).contains(&females), "{females} women of 1000");
    let communicating = ps.iter().filter(|p| p.bursa_communicates).count();
    assert!((110..=190).contains(&communicating), "bursa communicates in {communicating} of 1000 (published ≈15%)");
    let arthritic: Vec<&PatientParams> = ps.iter().filter(|p| p.oa_grade >= 3).collect();
    let (narrow, _) = mean_sd(&arthritic.iter().map(|p| p.joint_space_width_mm).collect::<Vec<_>>());
    assert!(narrow < 3.0, "grade 3-4 joints should be narrowed, mean {narrow}");
}

mod table_ref {
    pub struct P {
        pub mean: f64,
        pub sd: f64,
        pub min: f64,
        pub max: f64,
    }
    impl From<fluorohip::sim::anatomy::params::Published> for P {
        fn from(p: fluorohip::sim::anatomy::params::Published) -> Self {
            P { mean: p.mean, sd: p.sd, min: p.min, max: p.max }
        }
    }
}

#[test]
fn anatomical_relations_hold_for_many_seeds() {
    // As laid (neutral), and with the foot turned in 15° as the supine set-up wants: the
    // femur turns, the soft tissues stay.
    for (seed, turn) in (0..150).flat_map(|s| [(s, 0.0), (s, 15.0)]) {
        let p = patient(seed).with_leg_rotation(turn);
        let l = &p.landmarks;
        // Lateral to medial: nerve, artery, vein (+x is medial for this right hip).
        // (Below the inguinal ligament, at the target's level: above it the iliac vessels cross
        // the nerve's line on their way over the brim.)
        assert!(
            l.femoral_vein.x > l.femoral_artery.x && l.femoral_artery.x > l.femoral_nerve.x,
            "seed {seed}: bundle order"
        );
        // The target is on the anterior head–neck junction, on bone, inside the capsule.
        assert!(p.signed_distance(Tissue::FemurCortical, l.target).abs() < 0.6, "seed {seed}: target off bone");
        let out = (l.anterior_entry - l.target).normalize();
        assert_eq!(p.tissue_at(l.target + out * 0.8), Tissue::JointSpace, "seed {seed}: target not in the joint");
        assert!(l.target.y < 0.0, "seed {seed}: target not anterior");
        let along_neck = l.target.dot(p.neck_axis);
        let r_h = p.params.femoral_head_diameter_mm / 2.0;
        assert!(along_neck < 0.0 && along_neck > -r_h, "seed {seed}: target not at the head–neck junction");
        // The straight anterior path from skin to target crosses no femoral vessel or nerve.
        for span in p.tissue_spans(l.anterior_entry, l.target) {
            assert!(
                !matches!(span.tissue, Tissue::FemoralArtery | Tissue::FemoralVein | Tissue::FemoralNerve),
                "seed {seed}: anterior path crosses the {}",
                span.tissue.label()
            );
        }
        for t in [Tissue::FemoralArtery, Tissue::FemoralVein, Tissue::FemoralNerve] {
            assert!(p.closest_approach(t, l.anterior_entry, l.target).0 > 0.0, "seed {seed}: path touches {t:?}");
        }
        // The femoral head sits in the acetabulum: straight up from its centre, head,
        // cartilage, then the acetabular roof one joint space above the head.
        let up = p.tissue_spans(DVec3::ZERO, DVec3::Z * (r_h + 20.0));
        let roof = up.iter().find(|s| s.tissue == Tissue::PelvisCortical).expect("no acetabular roof");
        assert!((roof.from_mm - (r_h + p.params.joint_space_width_mm)).abs() < 0.01, "seed {seed}: head not seated");
        assert!(up.iter().any(|s| s.tissue == Tissue::AcetabularCartilage));
        // Skin entry is on the skin.
        assert_eq!(p.tissue_at(l.anterior_entry + out * -1.0), Tissue::Skin, "seed {seed}: entry not on skin");
        assert!(p.skin_to_target_mm() > 30.0);
    }
}

#[test]
fn heavier_patients_are_deeper() {
    let thin = Patient::generate(5, &PatientOverrides { bmi_kg_m2: Some(19.0), ..Default::default() }).unwrap();
    let heavy = Patient::generate(5, &PatientOverrides { bmi_kg_m2: Some(40.0), ..Default::default() }).unwrap();
    assert!(heavy.skin_to_target_mm() > thin.skin_to_target_mm() + 40.0);
    // Fixing the BMI changes nothing else that was drawn.
    assert_eq!(thin.params.femoral_head_diameter_mm, heavy.params.femoral_head_diameter_mm);
}

#[test]
fn out_of_range_override_is_refused_with_its_field() {
    let err = Patient::generate(1, &PatientOverrides { neck_shaft_angle_deg: Some(170.0), ..Default::default() })
        .unwrap_err();
    assert_eq!(err.field, "neck_shaft_angle_deg");
    assert!(err.to_string().contains("100..=146"), "{err}");
}

#[test]
fn a_ray_through_the_head_centre_has_bone_chord_equal_to_the_head_diameter() {
    for seed in [3, 7, 11] {
        let p = Patient::generate(seed, &PatientOverrides { oa_grade: Some(0), ..Default::default() }).unwrap();
        let r_h = p.params.femoral_head_diameter_mm / 2.0;
        let path = p.path_lengths(DVec3::new(0.0, -(r_h + 0.5), 0.0), DVec3::new(0.0, r_h + 0.5, 0.0));
        let bone = path[Material::CorticalBone.index()]
            + path[Material::CancellousBone.index()]
            + path[Material::TrabecularBone.index()];
        assert!((bone - 2.0 * r_h).abs() < 0.5, "seed {seed}: bone chord {bone} vs {}", 2.0 * r_h);
        let total: f64 = path.iter().sum();
        assert!((total - (2.0 * r_h + 1.0)).abs() < 1e-6, "path lengths add up to the segment");
    }
}

#[test]
fn every_display_mesh_is_closed_and_faces_out() {
    // Seed 3's neck is as deep as it is high (no flare into the head), the others' oval.
    for seed in [1, 3, 99] {
        let p = patient(seed);
        let meshes = p.meshes();
        assert_eq!(meshes.len(), Tissue::ALL.iter().filter(|t| t.is_displayed()).count());
        assert!(!meshes.iter().any(|m| m.tissue == Some(Tissue::FemurCancellous)), "bone's inside is not meshed");
        let triangles: usize = meshes.iter().map(|m| m.triangle_count()).sum();
        assert!(triangles <= 300_000, "seed {seed}: {triangles} triangles, over the window's budget");
        for m in &meshes {
            assert!(m.triangle_count() > 50, "{:?} mesh nearly empty", m.tissue);
            assert!(m.is_closed_and_oriented(), "seed {seed}: {:?} mesh not closed", m.tissue);
            assert!(m.signed_volume_mm3() > 0.0, "{:?} mesh faces inward", m.tissue);
        }
    }
}

#[test]
fn point_query_names_the_tissue_at_landmarks() {
    let p = patient(4);
    assert_eq!(p.tissue_at(DVec3::ZERO), Tissue::FemoralHeadCancellous);
    let a = p.bundle.inguinal_ligament;
    assert_eq!(p.tissue_at(DVec3::new(a.x, a.y, 0.0)), Tissue::FemoralArtery);
    assert_eq!(p.tissue_at(DVec3::new(0.0, -1000.0, 0.0)), Tissue::Air);
    assert_eq!(p.tissue_at(p.landmarks.lfcn), Tissue::LateralFemoralCutaneousNerve);
    assert_eq!(p.tissue_at(p.landmarks.femoral_vein), Tissue::FemoralVein);
    // The sciatic nerve's landmark is in the nerve, behind the hip, on every seed.
    for seed in 0..50 {
        let q = patient(seed);
        let at = q.landmarks.sciatic_nerve;
        assert!(q.signed_distance(Tissue::SciaticNerve, at) < 0.0, "seed {seed}: {at:?} outside the nerve");
        assert!(at.y > q.landmarks.posterior_target.y, "seed {seed}: the nerve lies behind the posterior neck");
    }
    let d = p.signed_distance(Tissue::FemoralArtery, DVec3::new(a.x, a.y - 10.0, 0.0));
    assert!((d - (10.0 - table::FEMORAL_ARTERY_RADIUS_MM)).abs() < 1e-9);
}

/// The trabecular plates cut a ray into many pieces; on rays through the head and neck from
/// several sides, the segment query (what the X-ray uses) gives each material the length the
/// point query (what the needle uses) finds by stepping along the ray every 0.05 mm: nothing
/// merged or lost when the pieces are many.
#[test]
fn the_segment_query_agrees_with_the_point_query_through_the_trabeculae() {
    let step = 0.05;
    let mut most = 0;
    for seed in [1, 2] {
        let p = patient(seed);
        for lao in [0.0f64, 45.0, 90.0] {
            for cranial in [0.0f64, 30.0] {
                let (a, c) = (lao.to_radians(), cranial.to_radians());
                let dir = DVec3::new(a.sin() * c.cos(), -a.cos() * c.cos(), c.sin());
                for k in 0..12 {
                    let f = k as f64 / 11.0;
                    let through = p.morphometry.neck_mid * f + DVec3::new(3.0, -2.0, 5.0) * (1.0 - f);
                    let (from, to) = (through - dir * 60.0, through + dir * 60.0);
                    let path = p.path_lengths(from, to);
                    let mut sampled = [0.0; Material::COUNT];
                    let n = (120.0 / step) as usize;
                    for i in 0..n {
                        let q = from + dir * ((i as f64 + 0.5) * step);
                        sampled[p.tissue_at(q).material().index()] += step;
                    }
                    let pieces = p.tissue_spans(from, to).len();
                    most = most.max(pieces);
                    for m in Material::ALL {
                        let (exact, stepped) = (path[m.index()], sampled[m.index()]);
                        assert!(
                            (exact - stepped).abs() <= step * (pieces as f64 + 2.0),
                            "seed {seed} LAO {lao} cranial {cranial} {m:?}: {exact:.3} vs {stepped:.3} mm"
                        );
                    }
                }
            }
        }
    }
    println!("at most {most} stretches of tissue on one ray");
    assert!(most > 24, "the rays crossed many plates");
}

/// Turning the leg keeps the meshes of what it does not move: the meshes built by reusing the
/// neutral leg's are exactly those built from scratch, only the femur, its cartilage and
/// capsule and the circumflex branch across its neck are built again, and the skin, the
/// muscles and the femoral vessels are kept.
#[test]
fn turning_the_leg_rebuilds_only_the_meshes_it_moves() {
    for seed in [2, 7] {
        let neutral = patient(seed);
        let turned = neutral.with_leg_rotation(15.0);
        let before = neutral.meshes();
        let reused = turned.meshes_reusing(&neutral, &before);
        let fresh = turned.meshes();
        assert_eq!(reused.len(), fresh.len());
        for (a, b) in reused.iter().zip(&fresh) {
            assert!(a.positions == b.positions && a.indices == b.indices, "seed {seed}: {:?} differs", a.tissue);
        }
        let rebuilt: Vec<Tissue> = (0..turned.mesh_count())
            .filter(|&i| !turned.mesh_unchanged_from(i, &neutral))
            .filter_map(|i| fresh[i].tissue)
            .collect();
        for t in [Tissue::FemurCortical, Tissue::FemoralCartilage, Tissue::CapsuleWall, Tissue::LateralCircumflexBranch]
        {
            assert!(rebuilt.contains(&t), "seed {seed}: {t:?} was kept though the leg moved it");
        }
        for t in [
            Tissue::Skin,
            Tissue::Fat,
            Tissue::Muscle,
            Tissue::FemoralArtery,
            Tissue::FemoralNerve,
            Tissue::PelvisCortical,
        ] {
            assert!(!rebuilt.contains(&t), "seed {seed}: {t:?} was built again though the leg does not move it");
        }
        println!("seed {seed}: built again {rebuilt:?} of {}", turned.mesh_count());
    }
}
