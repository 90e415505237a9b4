//! The synthetic hip measured as a radiologist or anatomist would, over 200 seeds, against
//! the published figures of FIDELITY.md §2-4 (design notes). Each figure is measured on the
//! built shapes through the point and segment queries (rays through the bone), not read
//! back from the parameters that built them; means and spreads, not one lucky seed.

use fluorohip::sim::anatomy::{Material, Patient, PatientOverrides, Tissue};
use glam::DVec3;

const SEEDS: u64 = 200;

fn patients() -> Vec<Patient> {
    (0..SEEDS).map(|s| Patient::generate(s, &PatientOverrides::default()).unwrap()).collect()
}

fn mean_sd(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    (m, (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt())
}

fn is_femur(t: Tissue) -> bool {
    matches!(
        t,
        Tissue::FemurCortical
            | Tissue::FemurCancellous
            | Tissue::FemoralHeadCancellous
            | Tissue::Trabeculae
            | Tissue::NeckTrabeculae
            | Tissue::FemoralMarrow
    )
}

fn is_pelvis(t: Tissue) -> bool {
    matches!(t, Tissue::PelvisCortical | Tissue::PelvisCancellous)
}

/// Spans of one kind of tissue along a ray from `a` to `b` (mm from `a`), merged.
fn spans(p: &Patient, a: DVec3, b: DVec3, want: impl Fn(Tissue) -> bool) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::new();
    for s in p.tissue_spans(a, b).into_iter().filter(|s| want(s.tissue)) {
        match out.last_mut() {
            Some(last) if s.from_mm - last.1 < 0.05 => last.1 = s.to_mm,
            _ => out.push((s.from_mm, s.to_mm)),
        }
    }
    out
}

fn report(name: &str, xs: &[f64]) -> (f64, f64) {
    let (m, sd) = mean_sd(xs);
    let lo = xs.iter().cloned().fold(f64::INFINITY, f64::min);
    let hi = xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    println!("{name}: mean {m:.2} sd {sd:.2} range {lo:.2}..{hi:.2} (n = {})", xs.len());
    (m, sd)
}

/// Femur, FIDELITY.md §2: the trochanters and the offset where the CT and cadaver series put
/// them.
#[test]
fn the_femur_has_its_published_trochanters_and_offset() {
    let ps = patients();
    let mut lt_ratio = Vec::new();
    let mut gt_above = Vec::new();
    let mut gt_ratio = Vec::new();
    let mut offset = Vec::new();
    let mut lt_buried = 0;
    for p in &ps {
        let d = p.params.femoral_head_diameter_mm;
        let m = &p.morphometry;
        // The lesser trochanter's point is on the bone and is its most prominent: bone just
        // inside, none just beyond.
        let out = (m.lesser_trochanter - m.shaft_axis).with_z(0.0).normalize();
        assert!(is_femur(p.tissue_at(m.lesser_trochanter - out * 1.0)), "seed {}: LT point not on bone", p.seed);
        if is_femur(p.tissue_at(m.lesser_trochanter + out * 2.0)) {
            lt_buried += 1;
        }
        lt_ratio.push(m.lesser_trochanter.length() / d);
        // The greater trochanter's tip: the femur's highest point lateral of the head, found by
        // a vertical ray down through it.
        let tip = p.landmarks.greater_trochanter_tip;
        let top = spans(p, tip + DVec3::Z * 40.0, tip - DVec3::Z * 10.0, is_femur);
        let z_top = tip.z + 40.0 - top.first().expect("a ray down the GT meets bone").0;
        gt_above.push(z_top);
        gt_ratio.push(tip.with_z(z_top).length() / d);
        // Offset: a horizontal ray from the head centre's vertical line out through the shaft
        // 100 mm below the lesser trochanter; the shaft's centre is midway between its outer
        // cortices.
        let z = m.lesser_trochanter.z - 100.0;
        let dir = m.shaft_axis.with_z(0.0).normalize();
        let from = DVec3::new(0.0, 0.0, z);
        let s = spans(p, from, from + dir * 120.0, is_femur);
        let (a, b) = (s.first().unwrap().0, s.last().unwrap().1);
        offset.push(0.5 * (a + b));
    }
    println!("lesser trochanter not the most prominent bone there: {lt_buried} of {SEEDS}");
    // A ridge of the published height stands clear of the neck's base (none of 200 here);
    // the bound leaves room for a rare large offset with a high trochanter.
    assert!(lt_buried * 50 <= SEEDS, "the lesser trochanter stands out in at least 98%");
    let (m, _) = report("lesser trochanter to head centre / head diameter", &lt_ratio);
    assert!((0.84..=1.02).contains(&m), "published 0.84-1.02");
    let (m, sd) = report("greater trochanter tip above the head centre (mm)", &gt_above);
    assert!((4.5..=10.0).contains(&m) && (3.0..=7.0).contains(&sd), "published 7.3 ± 5.1");
    let above = gt_above.iter().filter(|h| **h > 0.0).count() as f64 / gt_above.len() as f64;
    println!("tip above the head centre in {:.0}%", 100.0 * above);
    assert!((0.6..=0.95).contains(&above), "published: above in 75%");
    let (m, _) = report("greater trochanter tip to head centre / head diameter", &gt_ratio);
    assert!((0.86..=0.98).contains(&m), "published 0.92 ± 0.07");
    let (m, sd) = report("femoral offset (mm)", &offset);
    assert!((38.0..=44.0).contains(&m) && (3.0..=7.0).contains(&sd), "published 41 ± 5");
}

/// The head-neck junction, FIDELITY.md §2, as measured on a radial view through the neck's
/// axis and its front: the alpha angle (where the bone's outline, followed from the head toward
/// the neck, leaves the head's circle) and the anterior offset ratio (how far the front of the
/// head stands out beyond the front of the neck, over the head's diameter). Both from rays out
/// of the head centre and off the neck's axis through the bone.
#[test]
fn the_head_neck_junction_has_its_published_alpha_angle_and_offset() {
    let ps = patients();
    let (mut alpha, mut ratio) = (Vec::new(), Vec::new());
    for p in &ps {
        let u = p.neck_axis;
        let front = (-DVec3::Y + u * u.y).normalize();
        // Where a ray from `from` along `dir` first leaves the femur.
        let exit = |from: DVec3, dir: DVec3| spans(p, from, from + dir * 90.0, is_femur)[0].1;
        let head_r = exit(DVec3::ZERO, front);
        // From straight in front (90° off the neck's axis) toward the neck, in 0.25° steps.
        let leaves = (0..360)
            .map(|k| 90.0 - 0.25 * k as f64)
            .find(|deg: &f64| {
                let t = deg.to_radians();
                exit(DVec3::ZERO, -u * t.cos() + front * t.sin()) > head_r * 1.02
            })
            .expect("the outline leaves the head's circle at the neck");
        alpha.push(leaves);
        // The front of the neck: its least distance from the axis along the neck's outer two
        // thirds, measured from the axis straight forward.
        let neck_front = (0..40)
            .map(|k| {
                let along = head_r + 0.6 * p.params.neck_length_mm * k as f64 / 39.0;
                exit(-u * along, front)
            })
            .fold(f64::INFINITY, f64::min);
        let measured = (head_r - neck_front) / (2.0 * head_r);
        // The neck as specified: its half-height the published diameter's half (at most 0.85 of
        // the head's radius), its front-to-back half-width set by the drawn ratio within 0.6-1
        // of the half-height (docs/ANATOMY.md).
        let r_h = p.params.femoral_head_diameter_mm / 2.0;
        let r_n = (p.params.neck_diameter_mm / 2.0).min(0.85 * r_h);
        let r_ap = (r_h * (1.0 - 2.0 * p.params.anterior_offset_ratio)).clamp(0.6 * r_n, r_n);
        // The oval's front-to-back axis is horizontal, turned with the neck by the anteversion
        // (less the leg's turn); the patient's front, seen across an anteverted neck, meets the
        // oval obliquely, where it is wider.
        let turn = (p.params.leg_rotation_deg - p.params.femoral_anteversion_deg).to_radians();
        let e_ap = glam::DMat3::from_rotation_z(turn) * DVec3::Y;
        let e_si = e_ap.cross(u);
        let r_front = 1.0 / ((front.dot(e_ap) / r_ap).powi(2) + (front.dot(e_si) / r_n).powi(2)).sqrt();
        let specified = (r_h - r_front) / (2.0 * r_h);
        assert!(
            (measured - specified).abs() < 0.01,
            "seed {}: offset ratio {measured:.3}, specified {specified:.3}",
            p.seed
        );
        ratio.push(measured);
    }
    let (m, sd) = report("alpha angle (deg)", &alpha);
    assert!((40.0..=54.0).contains(&m) && sd <= 10.0, "published 47 ± 7 (32-62)");
    let (m, sd) = report("anterior head-neck offset ratio", &ratio);
    assert!((0.16..=0.22).contains(&m) && (0.01..=0.05).contains(&sd), "published 0.19 (0.14-0.24)");
}

/// Bone quality, FIDELITY.md §3: a thick calcar and a thin superolateral neck cortex; a
/// shaft with a marrow canal and the cortical thickness index of a normal femur; cancellous
/// bone densest in the head, sparser in the neck, none in Ward's triangle.
#[test]
fn the_femur_has_its_published_cortices_canal_and_cancellous_regions() {
    let ps = patients();
    let mut calcar = Vec::new();
    let mut superolateral = Vec::new();
    let mut cti = Vec::new();
    for p in &ps {
        let m = &p.morphometry;
        // Cortex thickness: the last cortical span on a ray from the neck's centre outward.
        let cortex = |dir: DVec3| {
            let s = spans(p, m.neck_mid, m.neck_mid + dir * 40.0, |t| t == Tissue::FemurCortical);
            let (a, b) = *s.last().expect("the neck has a cortex");
            b - a
        };
        // Osteophytes (grade ≥ 2) add bone at the junction: measured on the others.
        if !p.params.osteophytes {
            calcar.push(cortex(m.calcar_dir));
            superolateral.push(cortex(-m.calcar_dir));
        }
        // Across the shaft 100 mm below the lesser trochanter: cortex, canal, cortex.
        let centre = m.shaft_axis.with_z(m.lesser_trochanter.z - 100.0);
        let across = DVec3::X;
        let (a, b) = (centre - across * 40.0, centre + across * 40.0);
        let outer = spans(p, a, b, is_femur);
        assert_eq!(outer.len(), 1, "seed {}: one shaft", p.seed);
        let canal = spans(p, a, b, |t| t == Tissue::FemoralMarrow);
        assert_eq!(canal.len(), 1, "seed {}: the canal is marrow, not cancellous bone", p.seed);
        let cortical = spans(p, a, b, |t| t == Tissue::FemurCortical);
        assert_eq!(cortical.len(), 2, "seed {}: two cortices (tram lines)", p.seed);
        let width = outer[0].1 - outer[0].0;
        cti.push((width - (canal[0].1 - canal[0].0)) / width);
        // Regional cancellous bone: head, then neck, then Ward's triangle.
        assert_eq!(p.tissue_at(DVec3::ZERO).material(), Material::CancellousBone, "seed {}: head", p.seed);
        assert_eq!(p.tissue_at(m.wards_triangle).material(), Material::Marrow, "seed {}: Ward's", p.seed);
        // The neck: sparse cancellous bone between the plates of the principal trabeculae,
        // beside Ward's triangle.
        let neck = m.neck_mid - p.neck_axis * 8.0 - m.calcar_dir * 5.0;
        let across: Vec<Tissue> = (-4..=4).map(|k| p.tissue_at(neck + m.calcar_dir * (0.5 * k as f64))).collect();
        assert!(
            across
                .iter()
                .all(|t| matches!(t, Tissue::FemurCancellous | Tissue::NeckTrabeculae | Tissue::FemoralMarrow))
                && across.contains(&Tissue::FemurCancellous),
            "seed {}: neck {across:?}",
            p.seed
        );
        assert_eq!(Tissue::FemurCancellous.material(), Material::SparseCancellousBone);
    }
    let (m, _) = report("calcar (inferomedial neck) cortex (mm)", &calcar);
    assert!(calcar.iter().all(|c| *c >= 3.0) && (3.2..=3.9).contains(&m), "published 3.3-3.9");
    let (m, _) = report("superolateral neck cortex (mm)", &superolateral);
    let thin = superolateral.iter().filter(|c| **c <= 2.0).count() as f64 / superolateral.len() as f64;
    println!("superolateral cortex ≤ 2 mm in {:.0}%", 100.0 * thin);
    assert!(thin >= 0.9 && (0.3..=1.6).contains(&m), "published 0.3-1.6");
    let (m, _) = report("shaft cortical thickness index", &cti);
    assert!((0.55..=0.65).contains(&m), "published 0.55-0.65 in normal femora");
    // What the X-ray sees of them, in order (FIDELITY.md §3): head > neck > Ward's triangle.
    use fluorohip::sim::imaging::materials::mu_per_mm;
    for bin in 0..fluorohip::sim::imaging::materials::BINS {
        let mu = |m: Material| mu_per_mm(m)[bin];
        assert!(mu(Material::CancellousBone) > mu(Material::SparseCancellousBone));
        assert!(mu(Material::SparseCancellousBone) > mu(Material::Marrow));
    }
}

/// Pelvis, FIDELITY.md §4: the centre-edge angle, thin acetabular cortices with a thicker
/// sourcil, the teardrop beside the head, an obturator foramen framed by bone.
#[test]
fn the_pelvis_has_its_published_coverage_walls_teardrop_and_foramen() {
    let ps = patients();
    let mut ce = Vec::new();
    let mut teardrop = Vec::new();
    let mut dome = Vec::new();
    let mut wall = Vec::new();
    for p in &ps {
        let m = &p.morphometry;
        let r = m.socket_radius_mm;
        // Centre-edge angle: sweep a ray from the head centre laterally from the vertical in
        // the coronal plane; the last angle whose ray meets pelvic bone just outside the
        // socket is the lateral edge of the roof.
        let mut edge = 0.0;
        let mut angle: f64 = 0.0;
        while angle < 80.0 {
            let d = DVec3::new(-angle.to_radians().sin(), 0.0, angle.to_radians().cos());
            if !spans(p, d * (r - 0.5), d * (r + 8.0), is_pelvis).is_empty() {
                edge = angle;
            }
            angle += 0.25;
        }
        ce.push(edge);
        // Cortex of the socket: at the dome (straight up) and at the medial wall's equator.
        let lining = |d: DVec3| {
            let s = spans(p, d * (r - 0.5), d * (r + 12.0), |t| t == Tissue::PelvisCortical);
            s.first().map(|(a, b)| b - a).unwrap_or(0.0)
        };
        dome.push(lining(DVec3::Z));
        wall.push(lining(DVec3::X));
        // The teardrop's lateral limb: cortex just medial of its edge, and its distance from
        // the head's most medial point.
        let t = m.teardrop_lateral;
        assert_eq!(p.tissue_at(t + DVec3::X * 0.6), Tissue::PelvisCortical, "seed {}: teardrop limb", p.seed);
        teardrop.push(t.x - p.params.femoral_head_diameter_mm / 2.0);
        // The obturator foramen, as an AP view sees it: no bone on the front-to-back ray
        // through its centre; bone on the rays 25 mm above (superior ramus), below (inferior
        // ramus) and lateral (ischium), and 32 mm medial (pubis).
        let o = m.obturator_foramen;
        let ap = |c: DVec3| spans(p, c - DVec3::Y * 120.0, c + DVec3::Y * 120.0, is_pelvis);
        assert!(ap(o).is_empty(), "seed {}: bone across the obturator foramen", p.seed);
        for d in [DVec3::Z * 25.0, -DVec3::Z * 25.0, -DVec3::X * 25.0, DVec3::X * 32.0] {
            assert!(!ap(o + d).is_empty(), "seed {}: no bone framing the foramen at {d}", p.seed);
        }
    }
    let (m, sd) = report("lateral centre-edge angle (deg)", &ce);
    assert!((30.0..=40.0).contains(&m) && (4.0..=10.0).contains(&sd), "published 35 ± 7");
    let (m, _) = report("acetabular cortex at the dome (sourcil, mm)", &dome);
    assert!((2.0..=4.0).contains(&m), "sourcil 2-4 mm");
    let (m, _) = report("acetabular cortex at the medial wall (mm)", &wall);
    assert!((1.0..=2.0).contains(&m), "walls 1-2 mm, not a 12 mm solid band");
    let (m, _) = report("lateral teardrop to medial head (mm)", &teardrop);
    assert!(teardrop.iter().all(|d| *d <= 11.5) && m < 11.0, "Goodman 1988: ≤ 11 mm");
}

/// How far the femur reaches medially in the AP projection at the height `z` (mm), from the
/// shaft's lateral cortex (the shaft's axis less its radius) to the most medial bone, found by
/// rays along the beam (y) every 0.25 mm: at the lesser trochanter's level, Turgut's measure.
fn femur_reach_ap(p: &Patient, z: f64) -> f64 {
    let m = &p.morphometry;
    let medial = (0..=320)
        .map(|i| m.shaft_axis.x - 30.0 + 0.25 * i as f64)
        .filter(|&x| !spans(p, DVec3::new(x, -150.0, z), DVec3::new(x, 150.0, z), is_femur).is_empty())
        .fold(f64::NEG_INFINITY, f64::max);
    medial - (m.shaft_axis.x - m.shaft_radius_mm)
}

/// Leg rotation, FIDELITY.md §2: turning the foot in brings the anteverted neck parallel to
/// the detector, so its AP projection is longest when the leg is turned in by the anteversion
/// and turning in 15° lengthens it in every hip anteverted more than 7.5°. How far the femur
/// reaches medially of the shaft's lateral cortex at the lesser trochanter's level is
/// held to the direction of Turgut 2020 (Acta Orthop Traumatol Turc 54:149, 3D CT of 860
/// femurs: 90% of neutral at 15° internal, 106% at 15° external), turning in hiding the lesser
/// trochanter and turning out showing it; the model's figures fall short of those
/// (docs/ANATOMY.md), so the bounds are the direction with a margin, not the published values.
#[test]
fn turning_the_leg_in_brings_the_neck_parallel_to_the_detector() {
    let ps = patients();
    let projected_neck = |p: &Patient| {
        let u = p.neck_axis.normalize();
        (u.x * u.x + u.z * u.z).sqrt()
    };
    let mut lengthening = Vec::new();
    let (mut lt_in, mut lt_out) = (Vec::new(), Vec::new());
    for p in &ps {
        let av = p.params.femoral_anteversion_deg;
        let neutral = projected_neck(p);
        let turned_in = projected_neck(&p.with_leg_rotation(15.0));
        let gain = turned_in / neutral - 1.0;
        if (av - 7.5).abs() > 0.5 {
            assert_eq!(
                gain > 0.0,
                av > 7.5,
                "seed {}: anteversion {av:.1}°, 15° in changes the neck by {gain:.3}",
                p.seed
            );
        }
        lengthening.push(100.0 * gain);
        // Longest where the turn cancels the anteversion.
        if av.abs() <= 29.0 {
            let best = (-30..=30)
                .map(|deg| (deg, projected_neck(&p.with_leg_rotation(deg as f64))))
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .unwrap()
                .0;
            assert!((best as f64 - av).abs() <= 1.0, "seed {}: longest at {best}° in, anteversion {av:.1}°", p.seed);
        }
        let z = p.morphometry.lesser_trochanter.z;
        let w0 = femur_reach_ap(p, z);
        lt_in.push(femur_reach_ap(&p.with_leg_rotation(15.0), z) / w0);
        lt_out.push(femur_reach_ap(&p.with_leg_rotation(-15.0), z) / w0);
    }
    let (gain, _) = report("projected neck, 15° in against neutral (%)", &lengthening);
    assert!(gain > 0.0, "turning the foot in shortens the mean neck ({gain:.2}%)");
    let (m_in, _) = report("femur's reach at the lesser trochanter, 15° in / neutral (published 0.90)", &lt_in);
    let (m_out, _) = report("femur's reach at the lesser trochanter, 15° out / neutral (published 1.06)", &lt_out);
    assert!(m_in <= 0.97, "turning the leg in hides the lesser trochanter (mean {m_in:.3})");
    assert!(m_out >= 1.01, "turning the leg out shows it (mean {m_out:.3})");
}

/// Centre of `tissue`'s cross-section at height `z`, found by point queries on a 1 mm grid
/// within 45 mm of `near` (front to back and side to side).
fn section_centre(p: &Patient, tissue: Tissue, near: DVec3, z: f64) -> Option<DVec3> {
    let (mut sum, mut n) = (DVec3::ZERO, 0.0);
    for i in -45..=45 {
        for j in -45..=45 {
            let q = DVec3::new(near.x + i as f64, near.y + j as f64, z);
            if p.tissue_at(q) == tissue {
                sum += q;
                n += 1.0;
            }
        }
    }
    (n > 0.0).then(|| sum / n)
}

/// The femoral vessels follow their course (FIDELITY.md §5): the external iliac artery and
/// vein come down over the brim, back and medial, to the inguinal ligament; the common femoral
/// artery runs straight down over the head, under the marked pulse, and divides at or below the
/// head's centre (published: 98.5%, Schnyder 2001) into the superficial femoral artery, on down
/// and medial, and the profunda, back and lateral, which gives off the lateral circumflex
/// branch and runs down the thigh behind the superficial femoral artery. Courses are found by point queries, not read back from the builder.
#[test]
fn the_femoral_vessels_follow_their_course_from_the_brim_to_the_thigh() {
    let ps = patients();
    let (mut cfa, mut back, mut medial) = (Vec::new(), Vec::new(), Vec::new());
    let (mut behind, mut femur_gap) = (Vec::new(), Vec::new());
    for p in &ps {
        let b = &p.bundle;
        let (lig, bif) = (b.inguinal_ligament, b.bifurcation);
        cfa.push(lig.z - bif.z);
        assert!(bif.z <= 0.0, "seed {}: the bifurcation is above the head's centre", p.seed);
        // Straight in from the marked pulse, the needle of a palpating finger meets the artery.
        let pulse = p.landmarks.femoral_pulse;
        let hits = p.tissue_spans(pulse, pulse + DVec3::Y * 120.0);
        assert!(hits.iter().any(|s| s.tissue == Tissue::FemoralArtery), "seed {}: no artery under the pulse", p.seed);
        // Where the artery lies, level by level: straight over the head below the ligament,
        // back and medial above it, medial again in the thigh.
        let at = |z: f64| section_centre(p, Tissue::FemoralArtery, lig, z);
        let (cfa_mid, above, thigh) = (at(0.5 * (lig.z + bif.z)), at(lig.z + 50.0), at(bif.z - 100.0));
        let cfa_mid = cfa_mid.expect("a common femoral artery");
        let above = above.expect("an external iliac artery");
        assert!((cfa_mid.x - lig.x).abs() < 1.0 && (cfa_mid.y - lig.y).abs() < 1.0, "seed {}: a straight CFA", p.seed);
        back.push(above.y - cfa_mid.y);
        medial.push(above.x - cfa_mid.x);
        let thigh = thigh.expect("a superficial femoral artery");
        assert!(thigh.x > cfa_mid.x + 2.0, "seed {}: the superficial femoral artery runs medially", p.seed);
        // The profunda leaves the bifurcation back and laterally and runs down the thigh behind
        // the superficial femoral artery, clear of the femur.
        let start = section_centre(p, Tissue::ProfundaFemoris, bif, bif.z - 8.0).expect("a profunda at its start");
        assert!(start.y > bif.y + 2.0 && start.x < bif.x, "seed {}: the profunda leaves back and laterally", p.seed);
        let deep = section_centre(p, Tissue::ProfundaFemoris, p.morphometry.shaft_axis, bif.z - 100.0)
            .expect("a profunda in the thigh");
        behind.push(deep.y - thigh.y);
        assert!(deep.y > thigh.y + 8.0, "seed {}: the profunda runs behind the superficial femoral", p.seed);
        let bone = p.signed_distance(Tissue::FemurCortical, deep);
        assert!(bone > 5.0, "seed {}: the profunda {bone:.1} mm from the femur", p.seed);
        femur_gap.push(bone);
        // The vein too goes back over the brim.
        let v = p.landmarks.femoral_vein;
        let vein_above = section_centre(p, Tissue::FemoralVein, v, lig.z + 50.0).expect("an external iliac vein");
        assert!(vein_above.y > v.y + 10.0, "seed {}: the external iliac vein goes back over the brim", p.seed);
    }
    let (m, _) = report("common femoral artery, ligament to bifurcation (mm)", &cfa);
    assert!((35.0..=60.0).contains(&m), "published 43.3 ± 16.2 mm");
    report("external iliac 50 mm above the ligament: back of the CFA (mm)", &back);
    report("external iliac 50 mm above the ligament: medial of the CFA (mm)", &medial);
    assert!(back.iter().all(|d| *d > 10.0) && medial.iter().all(|d| *d > 4.0), "over the brim, back and medial");
    report("profunda 100 mm below the bifurcation: behind the superficial femoral (mm)", &behind);
    report("profunda 100 mm below the bifurcation: from the femur's cortex (mm)", &femur_gap);
}
