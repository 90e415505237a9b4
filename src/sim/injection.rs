//! Contrast and injectate inside the patient: where each push goes, how it spreads
//! over time, the iodine field the projector and 3D view sample, and how much drug
//! ended in the joint.
//!
//! Spread by compartment (DOMAIN.md §5): intra-articular fluid flows away from the
//! tip through the capsule's potential space and outlines head and neck; extra-
//! articular fluid pools at the tip; intravascular contrast streaks along the vessel
//! and washes out within about a second; bursal fluid fills the iliopsoas bursa and
//! reaches the joint only where the bursa communicates. Volume is conserved:
//! injected = in compartments + washed out.

use glam::DVec3;
use serde::{Deserialize, Serialize};

use crate::sim::anatomy::{Patient, Shape, Tissue};
use crate::sim::imaging::materials::IOHEXOL_300_MG_I_PER_ML;
/// The contrast as the X-ray sees it (defined by imaging, provided here).
pub use crate::sim::imaging::{ContrastBody, ContrastField};
use crate::sim::needle::{Compartment, Needle};

/// What is in the syringe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fluid {
    /// Iohexol 300 (300 mg iodine/mL), 1–3 mL to confirm the position.
    Contrast,
    /// Lidocaine 1%, for the skin and track.
    LocalAnaesthetic,
    /// Triamcinolone 40 mg with 4 mL lidocaine 1% (HIT trial, BMJ 2022): 5 mL.
    DrugMix,
}

/// Steroid in the drug mix (mg per mL): 40 mg in 5 mL.
pub const DRUG_MIX_STEROID_MG_PER_ML: f64 = 8.0;
/// Anaesthetic share of the drug mix by volume: 4 of 5 mL.
pub const DRUG_MIX_ANAESTHETIC_FRACTION: f64 = 0.8;

/// Intra-articular volume (mL) that outlines the whole capsule. assumption: ~1.5 mL
/// of contrast is enough for an arthrogram outline of head and neck.
pub const OUTLINE_VOLUME_ML: f64 = 1.5;
/// Time constant (s) of intra-articular flow away from the tip. assumption.
pub const JOINT_SPREAD_TAU_S: f64 = 0.6;
/// Capsule pressure–volume (Yen 2009): flat below ~10 mL, then exponential; fitted so
/// that 15–20 mL meets high resistance and leaks. The exponent is an assumption.
pub const CAPSULE_FLAT_ML: f64 = 10.0;
pub const CAPSULE_PRESSURE_SCALE_ML: f64 = 2.5;
/// Relative resistance above which the capsule leaks at a weak point.
pub const CAPSULE_LEAK_RESISTANCE: f64 = 20.0;
/// Washout time constant of intravascular contrast (s): clears within about a second
/// (femoral artery ≈7 cm/s, DOMAIN.md §5).
pub const VASCULAR_WASHOUT_TAU_S: f64 = 0.3;
/// Flow speeds (mm/s): femoral artery ≈70 (DOMAIN.md §5); vein and branch assumptions.
pub const ARTERY_FLOW_MM_S: f64 = 70.0;
pub const VEIN_FLOW_MM_S: f64 = 30.0;
pub const BRANCH_FLOW_MM_S: f64 = 40.0;
/// Share of each push into a communicating bursa that reaches the joint. assumption.
pub const BURSA_TO_JOINT_SHARE: f64 = 0.5;
/// Extra-articular pools spread along the tissue plane: in-plane radius / depth. assumption.
pub const POOL_ASPECT: f64 = 1.8;

/// Contents by fluid (mL).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Contents {
    pub contrast_ml: f64,
    pub anaesthetic_ml: f64,
    pub drug_mix_ml: f64,
}

impl Contents {
    pub fn total_ml(&self) -> f64 {
        self.contrast_ml + self.anaesthetic_ml + self.drug_mix_ml
    }
    fn add(&mut self, fluid: Fluid, ml: f64) {
        match fluid {
            Fluid::Contrast => self.contrast_ml += ml,
            Fluid::LocalAnaesthetic => self.anaesthetic_ml += ml,
            Fluid::DrugMix => self.drug_mix_ml += ml,
        }
    }
    fn scaled(&self, k: f64) -> Contents {
        Contents {
            contrast_ml: self.contrast_ml * k,
            anaesthetic_ml: self.anaesthetic_ml * k,
            drug_mix_ml: self.drug_mix_ml * k,
        }
    }
    fn plus(&self, o: &Contents) -> Contents {
        Contents {
            contrast_ml: self.contrast_ml + o.contrast_ml,
            anaesthetic_ml: self.anaesthetic_ml + o.anaesthetic_ml,
            drug_mix_ml: self.drug_mix_ml + o.drug_mix_ml,
        }
    }
    /// Lidocaine-equivalent anaesthetic volume (mL): plain anaesthetic plus the mix's share.
    pub fn anaesthetic_equivalent_ml(&self) -> f64 {
        self.anaesthetic_ml + self.drug_mix_ml * DRUG_MIX_ANAESTHETIC_FRACTION
    }
    pub fn steroid_mg(&self) -> f64 {
        self.drug_mix_ml * DRUG_MIX_STEROID_MG_PER_ML
    }
    /// Iodine (mg).
    pub fn iodine_mg(&self) -> f64 {
        self.contrast_ml * IOHEXOL_300_MG_I_PER_ML
    }
}

/// Where an injection goes, from where the tip is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Site {
    IntraArticular,
    /// Tip in the capsule wall: part in the joint, part in the wall.
    PartlyIntraArticular,
    ExtraArticular,
    Intravascular,
    Bursal,
    Intraneural,
    /// Tip outside the patient: the fluid is lost.
    Outside,
}

/// The pattern a trainee should read from the image (DOMAIN.md §5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContrastPattern {
    None,
    IntraArticular,
    ExtraArticular,
    Mixed,
    Intravascular,
    Bursal,
}

impl ContrastPattern {
    pub fn as_str(self) -> &'static str {
        match self {
            ContrastPattern::None => "none",
            ContrastPattern::IntraArticular => "intra_articular",
            ContrastPattern::ExtraArticular => "extra_articular",
            ContrastPattern::Mixed => "mixed",
            ContrastPattern::Intravascular => "intravascular",
            ContrastPattern::Bursal => "bursal",
        }
    }
}

/// A pool of fluid outside the joint, at the tip where it was injected.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Pool {
    centre: DVec3,
    /// Unit vector across the tissue plane (the needle direction when injected).
    normal: DVec3,
    contents: Contents,
    /// In the capsule wall (part of a mixed pattern) rather than fat or muscle.
    in_wall: bool,
}

/// Contrast in a vessel: a streak from the injection point downstream.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Streak {
    vessel: Tissue,
    origin: DVec3,
    /// Downstream unit direction.
    downstream: DVec3,
    length_mm: f64,
    radius_mm: f64,
    speed_mm_s: f64,
    contents: Contents,
}

/// Volumes by compartment (mL), for reports and the `shoot` command.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VolumeSummary {
    pub injected_ml: f64,
    pub joint_ml: f64,
    pub capsule_wall_ml: f64,
    pub extra_articular_ml: f64,
    pub bursa_ml: f64,
    pub intravascular_ml: f64,
    pub washed_out_ml: f64,
    pub lost_outside_ml: f64,
}

impl VolumeSummary {
    /// Everything accounted for: in compartments, washed out or spilled.
    pub fn accounted_ml(&self) -> f64 {
        self.joint_ml
            + self.capsule_wall_ml
            + self.extra_articular_ml
            + self.bursa_ml
            + self.intravascular_ml
            + self.washed_out_ml
            + self.lost_outside_ml
    }
}

/// All fluid injected into one patient, over time.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InjectionState {
    injected: Contents,
    joint: Contents,
    /// Where intra-articular fluid entered, and how far it has spread (mm).
    joint_origin: Option<DVec3>,
    joint_front_mm: f64,
    bursa: Contents,
    pools: Vec<Pool>,
    streaks: Vec<Streak>,
    washed_out: Contents,
    lost_outside: Contents,
    /// Capsule leaks so far (mL moved from joint to an extra-articular pool).
    pub leaked_ml: f64,
    /// Contrast (mL) in each place (joint, capsule wall, pools, vessels, bursa) when the
    /// needle last moved to a new place: the pattern is read from what came since.
    #[serde(default)]
    pattern_baseline: [f64; 5],
    /// The joint space's voxels, sampled once per patient.
    #[serde(skip)]
    joint_voxels: Vec<JointVoxel>,
}

/// A voxel of joint space; `outer` when it lies in the layer against the capsule.
#[derive(Clone, Copy, Debug, PartialEq)]
struct JointVoxel {
    centre: DVec3,
    outer: bool,
}

/// Thickness (mm) of the layer used to measure the capsule's inner area.
const AREA_LAYER_MM: f64 = 1.5;
/// The thickest a contrast layer gets before it fills the whole space (mm). assumption.
const MAX_LAYER_MM: f64 = 3.0;

/// Edge (mm) of the voxels that measure the filled joint volume.
const JOINT_VOXEL_MM: f64 = 1.5;

/// Where the fluid leaving the bevel goes, from the tissues at and just behind the tip.
pub fn site_at(patient: &Patient, needle: &Needle) -> Site {
    let tip = needle.tip();
    let back = -needle.tip_direction();
    let here = patient.tissue_at(tip);
    // The bevel opening spans about 1.5 mm behind the tip of a 22G Quincke.
    let behind = patient.tissue_at(tip + back * 1.0);
    let open_joint = |t: Tissue| matches!(t, Tissue::JointSpace);
    let wall = |t: Tissue| matches!(t, Tissue::CapsuleWall | Tissue::ZonaOrbicularis);
    match needle.compartment(patient) {
        Compartment::OutsidePatient => Site::Outside,
        Compartment::VesselLumen => Site::Intravascular,
        Compartment::Nerve => Site::Intraneural,
        Compartment::Bursa => Site::Bursal,
        Compartment::JointSpace => {
            if wall(behind) {
                Site::PartlyIntraArticular
            } else {
                Site::IntraArticular
            }
        }
        Compartment::CapsuleWall => {
            // In the deeper half of the wall the bevel opening (~1.5 mm) reaches the joint.
            if open_joint(behind) || patient.signed_distance(Tissue::JointSpace, tip) < 1.6 {
                Site::PartlyIntraArticular
            } else {
                Site::ExtraArticular
            }
        }
        Compartment::BoneSurface | Compartment::Cartilage => {
            // On bone inside the capsule, the fluid has the joint to flow into.
            if open_joint(here) || open_joint(behind) || patient.signed_distance(Tissue::JointSpace, tip) < 1.0 {
                Site::IntraArticular
            } else {
                Site::ExtraArticular
            }
        }
        Compartment::Skin | Compartment::Fat | Compartment::Muscle => Site::ExtraArticular,
    }
}

impl InjectionState {
    /// Capsule pressure as a relative resistance: 1 when flat, rising steeply past ~10 mL.
    pub fn joint_resistance(&self) -> f64 {
        let v = self.joint.total_ml();
        if v <= CAPSULE_FLAT_ML { 1.0 } else { ((v - CAPSULE_FLAT_ML) / CAPSULE_PRESSURE_SCALE_ML).exp() }
    }

    /// Resistance the trainee feels injecting at `site` now (relative, 1 = easy).
    pub fn resistance_at(&self, site: Site) -> f64 {
        match site {
            Site::IntraArticular | Site::PartlyIntraArticular => self.joint_resistance(),
            Site::Intraneural => 8.0,
            Site::ExtraArticular => 1.5,
            Site::Intravascular | Site::Bursal | Site::Outside => 1.0,
        }
    }

    /// Deposit `ml` of `fluid` at the needle tip (one 1/60 s slice or a whole push).
    pub fn deposit(&mut self, patient: &Patient, needle: &Needle, fluid: Fluid, ml: f64) {
        if ml <= 0.0 {
            return;
        }
        self.injected.add(fluid, ml);
        let tip = needle.tip();
        let mut c = Contents::default();
        c.add(fluid, ml);
        match site_at(patient, needle) {
            Site::Outside => self.lost_outside = self.lost_outside.plus(&c),
            Site::IntraArticular => self.add_to_joint(patient, tip, &c),
            Site::PartlyIntraArticular => {
                self.add_to_joint(patient, tip, &c.scaled(0.5));
                self.add_to_pool(tip, needle.tip_direction(), &c.scaled(0.5), true);
            }
            Site::ExtraArticular | Site::Intraneural => self.add_to_pool(tip, needle.tip_direction(), &c, false),
            Site::Bursal => {
                if patient.params.bursa_communicates {
                    self.bursa = self.bursa.plus(&c.scaled(1.0 - BURSA_TO_JOINT_SHARE));
                    let joint_entry = DVec3::new(tip.x, tip.y * 0.8, tip.z);
                    self.add_to_joint(patient, joint_entry, &c.scaled(BURSA_TO_JOINT_SHARE));
                } else {
                    self.bursa = self.bursa.plus(&c);
                }
            }
            Site::Intravascular => {
                let vessel = patient.tissue_at(tip);
                let (axis, radius, speed) = vessel_flow(patient, vessel);
                match self.streaks.iter_mut().find(|s| s.vessel == vessel && (s.origin - tip).length() < 5.0) {
                    Some(s) => s.contents = s.contents.plus(&c),
                    None => self.streaks.push(Streak {
                        vessel,
                        origin: tip,
                        downstream: axis,
                        length_mm: 1.0,
                        radius_mm: radius,
                        speed_mm_s: speed,
                        contents: c,
                    }),
                }
            }
        }
        self.leak_if_overfull(patient);
    }

    fn add_to_joint(&mut self, patient: &Patient, at: DVec3, c: &Contents) {
        if self.joint_voxels.is_empty() {
            self.joint_voxels = joint_voxels(patient);
        }
        if self.joint_origin.is_none() {
            self.joint_origin = Some(at);
            self.joint_front_mm = 2.0;
        }
        self.joint = self.joint.plus(c);
    }

    fn add_to_pool(&mut self, at: DVec3, normal: DVec3, c: &Contents, in_wall: bool) {
        match self.pools.iter_mut().find(|p| (p.centre - at).length() < 3.0 && p.in_wall == in_wall) {
            Some(p) => p.contents = p.contents.plus(c),
            None => self.pools.push(Pool { centre: at, normal, contents: *c, in_wall }),
        }
    }

    /// Past the capsule's limit the excess leaks out at a weak point (anteroinferior
    /// capsule, toward the bursa) and pools outside the joint.
    fn leak_if_overfull(&mut self, patient: &Patient) {
        if self.joint_resistance() <= CAPSULE_LEAK_RESISTANCE {
            return;
        }
        let limit = CAPSULE_FLAT_ML + CAPSULE_PRESSURE_SCALE_ML * CAPSULE_LEAK_RESISTANCE.ln();
        let total = self.joint.total_ml();
        let excess = total - limit;
        if excess <= 0.0 {
            return;
        }
        let moved = self.joint.scaled(excess / total);
        self.joint = self.joint.scaled(limit / total);
        self.leaked_ml += excess;
        let r = patient.params.femoral_head_diameter_mm / 2.0 + patient.params.joint_space_width_mm + 6.0;
        let weak_point = DVec3::new(r * 0.3, -r * 0.95, -r * 0.3);
        self.add_to_pool(weak_point, DVec3::Y, &moved, false);
    }

    /// Let `dt` seconds pass: the joint fill spreads, vascular contrast flows and washes out.
    pub fn step(&mut self, dt: f64) {
        if self.joint_origin.is_some() {
            let target = joint_reach_mm(self.joint.total_ml());
            self.joint_front_mm += (target - self.joint_front_mm) * (1.0 - (-dt / JOINT_SPREAD_TAU_S).exp());
        }
        let keep = (-dt / VASCULAR_WASHOUT_TAU_S).exp();
        for s in &mut self.streaks {
            // The bolus front runs ahead; what is still visible lies within ~1.5 washout
            // times of travel from the needle.
            s.length_mm = (s.length_mm + s.speed_mm_s * dt).min(1.5 * VASCULAR_WASHOUT_TAU_S * s.speed_mm_s);
            let gone = s.contents.scaled(1.0 - keep);
            s.contents = s.contents.scaled(keep);
            self.washed_out = self.washed_out.plus(&gone);
        }
        // A streak whose contrast is all but gone is folded into the washed-out total.
        let mut tiny = Contents::default();
        self.streaks.retain(|s| {
            let alive = s.contents.total_ml() > 1e-6;
            if !alive {
                tiny = tiny.plus(&s.contents);
            }
            alive
        });
        self.washed_out = self.washed_out.plus(&tiny);
    }

    /// Volumes by compartment (all fluids).
    pub fn volumes(&self) -> VolumeSummary {
        VolumeSummary {
            injected_ml: self.injected.total_ml(),
            joint_ml: self.joint.total_ml(),
            capsule_wall_ml: self.pools.iter().filter(|p| p.in_wall).map(|p| p.contents.total_ml()).sum(),
            extra_articular_ml: self.pools.iter().filter(|p| !p.in_wall).map(|p| p.contents.total_ml()).sum(),
            bursa_ml: self.bursa.total_ml(),
            intravascular_ml: self.streaks.iter().map(|s| s.contents.total_ml()).sum(),
            washed_out_ml: self.washed_out.total_ml(),
            lost_outside_ml: self.lost_outside.total_ml(),
        }
    }

    /// What is in the joint now (drug response depends on it).
    pub fn in_joint(&self) -> Contents {
        self.joint
    }

    /// What is in the iliopsoas bursa now.
    pub fn in_bursa(&self) -> Contents {
        self.bursa
    }

    /// Everything injected.
    pub fn injected(&self) -> Contents {
        self.injected
    }

    /// The contrast pattern, from where the contrast went (injected contrast only).
    /// Contrast (mL) in the joint, the capsule wall, extra-articular pools, vessels (with
    /// what washed out) and the bursa.
    fn contrast_by_place(&self) -> [f64; 5] {
        let wall: f64 = self.pools.iter().filter(|p| p.in_wall).map(|p| p.contents.contrast_ml).sum();
        let pool: f64 = self.pools.iter().filter(|p| !p.in_wall).map(|p| p.contents.contrast_ml).sum();
        let vascular: f64 =
            self.streaks.iter().map(|s| s.contents.contrast_ml).sum::<f64>() + self.washed_out.contrast_ml;
        [self.joint.contrast_ml, wall, pool, vascular, self.bursa.contrast_ml]
    }

    /// The needle has moved to a new place: from now on the pattern is read from the
    /// contrast injected there, as a radiologist reads the new push against the old
    /// stain (a redirected needle's outline is not "mixed" because of the first blob).
    pub fn rebase_pattern(&mut self) {
        self.pattern_baseline = self.contrast_by_place();
    }

    /// The pattern of the contrast injected since the needle last moved to a new place.
    pub fn contrast_pattern(&self) -> ContrastPattern {
        let now = self.contrast_by_place();
        let [joint, wall, pool, vascular, bursa]: [f64; 5] =
            std::array::from_fn(|i| (now[i] - self.pattern_baseline[i]).max(0.0));
        let total = joint + wall + pool + vascular + bursa;
        if total < 0.05 {
            return ContrastPattern::None;
        }
        let share = |x: f64| x / total;
        if share(vascular) >= 0.5 {
            ContrastPattern::Intravascular
        } else if share(bursa) >= 0.5 || (bursa > 0.0 && share(bursa + joint) >= 0.8 && share(bursa) >= 0.3) {
            ContrastPattern::Bursal
        } else if share(joint) >= 0.8 {
            ContrastPattern::IntraArticular
        } else if share(joint) >= 0.2 {
            ContrastPattern::Mixed
        } else {
            ContrastPattern::ExtraArticular
        }
    }

    /// The iodine in the patient now, as bodies the projector and 3D view sample.
    pub fn contrast_field(&self, patient: &Patient) -> ContrastField {
        self.contrast_field_min_layer(patient, 0.05)
    }

    /// As [`InjectionState::contrast_field`], with the joint's contrast layer drawn at
    /// least `min_layer_mm` thick: a display mesh cannot resolve a 0.1 mm film.
    pub fn contrast_field_min_layer(&self, patient: &Patient, min_layer_mm: f64) -> ContrastField {
        let mut bodies = Vec::new();
        if let Some(origin) = self.joint_origin
            && self.joint.contrast_ml > 0.0
        {
            // Fluid in the joint distends the potential space as a thin layer against the
            // capsule, over the area the front has reached: crisp outlines, as on an arthrogram.
            // The layer lies outside the femur and its cartilage; only the acetabular cup
            // crosses the envelope, so only the cup is cut away.
            let r2 = self.joint_front_mm * self.joint_front_mm;
            let reached =
                self.joint_voxels.iter().filter(|v| v.outer && (v.centre - origin).length_squared() <= r2).count();
            let area_mm2 = (reached as f64 * JOINT_VOXEL_MM.powi(3) / AREA_LAYER_MM).max(50.0);
            let layer_mm =
                (self.joint.total_ml() * 1000.0 / area_mm2).clamp(min_layer_mm, MAX_LAYER_MM.max(min_layer_mm));
            let frame = &patient.joint_frame;
            let filled = Shape::Intersection(vec![
                Shape::sphere(origin, self.joint_front_mm),
                frame.envelope(0.0).minus(frame.envelope(layer_mm)),
            ])
            .minus(frame.cup.clone());
            let conc = self.joint.iodine_mg() / self.joint.total_ml().max(1e-9);
            bodies.push(ContrastBody::new(filled, conc));
        }
        if self.bursa.contrast_ml > 0.0
            && let Some(b) = patient.structures().iter().find(|s| s.tissue == Tissue::IliopsoasBursa)
        {
            let bursa_ml = ellipsoid_volume_ml(&b.shape).unwrap_or(3.0);
            // A filling bursa distends: never thinner than undiluted contrast would allow.
            let conc = (self.bursa.iodine_mg() / bursa_ml).min(IOHEXOL_300_MG_I_PER_ML);
            bodies.push(ContrastBody::new(b.shape.clone(), conc));
        }
        for p in self.pools.iter().filter(|p| p.contents.contrast_ml > 0.0) {
            let v_mm3 = p.contents.total_ml() * 1000.0;
            // Oblate ellipsoid: depth c along the normal, radius a = POOL_ASPECT c in the plane.
            let c = (3.0 * v_mm3 / (4.0 * std::f64::consts::PI * POOL_ASPECT * POOL_ASPECT)).cbrt();
            let a = POOL_ASPECT * c;
            let helper = if p.normal.z.abs() < 0.9 { DVec3::Z } else { DVec3::X };
            let u = p.normal.cross(helper).normalize();
            let shape = Shape::ellipsoid(p.centre, u, p.normal.cross(u), DVec3::new(a, a, c));
            let conc = p.contents.iodine_mg() / p.contents.total_ml();
            bodies.push(ContrastBody::new(shape, conc));
        }
        for s in self.streaks.iter().filter(|s| s.contents.contrast_ml > 0.0) {
            let end = s.origin + s.downstream * s.length_mm;
            let v_ml = std::f64::consts::PI * s.radius_mm * s.radius_mm * s.length_mm / 1000.0;
            let conc = (s.contents.iodine_mg() / v_ml).min(IOHEXOL_300_MG_I_PER_ML);
            bodies.push(ContrastBody::new(Shape::capsule(s.origin, end, s.radius_mm * 0.9), conc));
        }
        ContrastField::new(bodies)
    }
}

/// How far (mm) intra-articular fluid reaches from its entry for a joint volume (mL).
fn joint_reach_mm(ml: f64) -> f64 {
    // Full reach covers the whole head and neck from anywhere in the joint.
    const FULL_REACH_MM: f64 = 110.0;
    FULL_REACH_MM * (ml / OUTLINE_VOLUME_ML).clamp(0.0, 1.0).cbrt().max(0.05)
}

/// The joint-space voxels of a patient, marking those in the layer against the capsule.
fn joint_voxels(patient: &Patient) -> Vec<JointVoxel> {
    let Some(js) = patient.structures().iter().find(|s| s.tissue == Tissue::JointSpace) else { return Vec::new() };
    let inner = patient.joint_frame.envelope(AREA_LAYER_MM);
    let h = JOINT_VOXEL_MM;
    let bb = js.aabb;
    let n = (bb.size() / h).ceil().as_uvec3();
    let mut out = Vec::new();
    for k in 0..n.z {
        for j in 0..n.y {
            for i in 0..n.x {
                let p = bb.min + (DVec3::new(i as f64, j as f64, k as f64) + 0.5) * h;
                if js.shape.contains(p) && patient.tissue_at(p) == Tissue::JointSpace {
                    out.push(JointVoxel { centre: p, outer: !inner.contains(p) });
                }
            }
        }
    }
    out
}

fn ellipsoid_volume_ml(shape: &Shape) -> Option<f64> {
    match shape {
        Shape::Prim(crate::sim::anatomy::Primitive::Ellipsoid { radii_mm, .. }) => {
            Some(4.0 / 3.0 * std::f64::consts::PI * radii_mm.x * radii_mm.y * radii_mm.z / 1000.0)
        }
        _ => None,
    }
}

/// Downstream direction, radius and flow speed of a vessel.
fn vessel_flow(patient: &Patient, vessel: Tissue) -> (DVec3, f64, f64) {
    use crate::sim::anatomy::params::table;
    let b = &patient.bundle;
    match vessel {
        // The femoral artery flows down the thigh, the vein up toward the heart.
        Tissue::FemoralArtery => {
            ((b.artery.1 - b.artery.0).normalize(), table::FEMORAL_ARTERY_RADIUS_MM, ARTERY_FLOW_MM_S)
        }
        Tissue::FemoralVein => ((b.vein.0 - b.vein.1).normalize(), table::FEMORAL_VEIN_RADIUS_MM, VEIN_FLOW_MM_S),
        // The lateral circumflex branch runs laterally from the artery.
        _ => (DVec3::new(-1.0, 0.0, 0.0), table::CIRCUMFLEX_RADIUS_MM, BRANCH_FLOW_MM_S),
    }
}
