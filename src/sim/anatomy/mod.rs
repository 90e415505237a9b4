//! The synthetic patient: parameters drawn from published ranges, solid geometry,
//! and the three queries every other part uses (point, segment, display mesh).

mod build;
pub mod mesh;
pub mod params;
pub mod shapes;
pub mod tissue;
mod traced;

use glam::DVec3;
use serde::{Deserialize, Serialize};

pub use build::JointFrame;
pub use mesh::TissueMesh;
pub use params::{ParamRangeError, PatientOverrides, PatientParams, Sex};
pub use shapes::{Aabb, Primitive, Shape, Spans};
pub use tissue::{Material, Tissue};
use traced::Traced;

use crate::sim::rng::SimRng;

/// Random stream reserved for drawing the patient.
const PATIENT_STREAM: u64 = 1;

/// Which anatomy a seed builds. A session log records it: a log made on other anatomy is
/// refused rather than replayed on a different patient (its needle would cross other
/// tissue and its score would not be the session's). Bump it with any change to what a
/// seed builds; `tests/determinism.rs` pins the shapes it names. 1: every log written before
/// the version was recorded; 2: the anatomy then (2026-11-29); 3: the oval neck with its flare
/// into the head; 4: the pelvis of 2026-11-29: the iliac wing turned 45° from the coronal
/// plane, the ilium's body over the acetabulum narrowing into it, the roof's lateral margin cut
/// the body's whole height (the wing and ASIS uncut), and the brim running up the wing's inner
/// surface to meet the quadrilateral plate.
pub const ANATOMY_VERSION: u32 = 4;

/// Named points on the patient, in patient coordinates (mm; docs/COORDINATES.md).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Landmarks {
    /// Anterior femoral head–neck junction, on the bone surface (DOMAIN.md §4).
    pub target: DVec3,
    pub asis: DVec3,
    pub pubic_tubercle: DVec3,
    /// Skin point over the femoral artery just below the inguinal ligament.
    pub femoral_pulse: DVec3,
    pub greater_trochanter_tip: DVec3,
    pub joint_centre: DVec3,
    /// Skin point straight anterior to the target: the standard anterior entry.
    pub anterior_entry: DVec3,
    /// Centres of the femoral artery, vein and nerve at the level of the target,
    /// and of the iliopsoas bursa (teaching images, scripted errors).
    pub femoral_artery: DVec3,
    pub femoral_vein: DVec3,
    pub femoral_nerve: DVec3,
    pub iliopsoas_bursa: DVec3,
    /// A point on the lateral femoral cutaneous nerve a quarter of the way down from the ASIS.
    pub lfcn: DVec3,
    /// Posterior femoral neck near the junction, on the bone surface, inside the capsule (prone approach).
    pub posterior_target: DVec3,
    /// Skin point behind it, slightly lateral: the prone approach's entry.
    pub posterior_entry: DVec3,
    /// Centre of the sciatic nerve at the level of the target (prone approach's structure at risk).
    pub sciatic_nerve: DVec3,
}

/// Where the bony landmarks of FIDELITY.md §2-4 were built, for checks and teaching
/// labels (patient coordinates, mm). The shapes are the truth; these say where to look.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Morphometry {
    /// The lesser trochanter's most prominent point.
    pub lesser_trochanter: DVec3,
    /// A point on the shaft's (vertical) axis at the level of the head centre.
    pub shaft_axis: DVec3,
    pub shaft_radius_mm: f64,
    /// Top of the marrow canal (z, mm).
    pub canal_top_z: f64,
    /// Centre of the neck, 20% of the way from the head-neck junction to its base, and the
    /// unit direction from it toward the calcar.
    pub neck_mid: DVec3,
    pub calcar_dir: DVec3,
    /// Centre of Ward's triangle.
    pub wards_triangle: DVec3,
    /// The teardrop's lateral limb at its middle height.
    pub teardrop_lateral: DVec3,
    /// Lateral edge of the acetabular roof (sourcil) on the socket surface.
    pub roof_edge: DVec3,
    /// Radius of the bony socket (head radius plus joint space).
    pub socket_radius_mm: f64,
    /// The obturator foramen's centre.
    pub obturator_foramen: DVec3,
    /// The most medial point of the quadrilateral plate above the teardrop: where the
    /// ilioischial line runs in AP.
    pub ilioischial_line: DVec3,
    /// A point on the pelvic brim above the acetabulum, medial of the ilioischial line: where
    /// the iliopectineal line runs in AP.
    pub iliopectineal_line: DVec3,
}

/// A landmark by name, as scripts and the CLI refer to them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LandmarkName {
    Target,
    Asis,
    PubicTubercle,
    FemoralPulse,
    GreaterTrochanterTip,
    JointCentre,
    AnteriorEntry,
    FemoralArtery,
    FemoralVein,
    FemoralNerve,
    IliopsoasBursa,
    PosteriorTarget,
    PosteriorEntry,
    Lfcn,
    SciaticNerve,
}

impl LandmarkName {
    pub const ALL: [LandmarkName; 15] = [
        LandmarkName::Target,
        LandmarkName::Asis,
        LandmarkName::PubicTubercle,
        LandmarkName::FemoralPulse,
        LandmarkName::GreaterTrochanterTip,
        LandmarkName::JointCentre,
        LandmarkName::AnteriorEntry,
        LandmarkName::FemoralArtery,
        LandmarkName::FemoralVein,
        LandmarkName::FemoralNerve,
        LandmarkName::IliopsoasBursa,
        LandmarkName::PosteriorTarget,
        LandmarkName::PosteriorEntry,
        LandmarkName::Lfcn,
        LandmarkName::SciaticNerve,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            LandmarkName::Target => "target",
            LandmarkName::Asis => "asis",
            LandmarkName::PubicTubercle => "pubic_tubercle",
            LandmarkName::FemoralPulse => "femoral_pulse",
            LandmarkName::GreaterTrochanterTip => "greater_trochanter_tip",
            LandmarkName::JointCentre => "joint_centre",
            LandmarkName::AnteriorEntry => "anterior_entry",
            LandmarkName::FemoralArtery => "femoral_artery",
            LandmarkName::FemoralVein => "femoral_vein",
            LandmarkName::FemoralNerve => "femoral_nerve",
            LandmarkName::IliopsoasBursa => "iliopsoas_bursa",
            LandmarkName::PosteriorTarget => "posterior_target",
            LandmarkName::PosteriorEntry => "posterior_entry",
            LandmarkName::Lfcn => "lfcn",
            LandmarkName::SciaticNerve => "sciatic_nerve",
        }
    }
    pub fn parse(s: &str) -> Option<LandmarkName> {
        LandmarkName::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

impl Landmarks {
    pub fn get(&self, name: LandmarkName) -> DVec3 {
        match name {
            LandmarkName::Target => self.target,
            LandmarkName::Asis => self.asis,
            LandmarkName::PubicTubercle => self.pubic_tubercle,
            LandmarkName::FemoralPulse => self.femoral_pulse,
            LandmarkName::GreaterTrochanterTip => self.greater_trochanter_tip,
            LandmarkName::JointCentre => self.joint_centre,
            LandmarkName::AnteriorEntry => self.anterior_entry,
            LandmarkName::FemoralArtery => self.femoral_artery,
            LandmarkName::FemoralVein => self.femoral_vein,
            LandmarkName::FemoralNerve => self.femoral_nerve,
            LandmarkName::IliopsoasBursa => self.iliopsoas_bursa,
            LandmarkName::PosteriorTarget => self.posterior_target,
            LandmarkName::PosteriorEntry => self.posterior_entry,
            LandmarkName::Lfcn => self.lfcn,
            LandmarkName::SciaticNerve => self.sciatic_nerve,
        }
    }
}

/// Centre lines of the femoral neurovascular bundle, top to bottom, as chains of points
/// (docs/ANATOMY.md): the nerve; the external iliac artery, over the brim to the inguinal
/// ligament, the common femoral artery straight down over the femoral head, and the superficial
/// femoral artery on from the bifurcation; the vein beside it the same way. The profunda
/// femoris (a tissue of its own, not in the bundle) leaves the artery at `bifurcation`, gives
/// off the lateral circumflex branch and runs down the thigh beside the femur.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bundle {
    pub nerve: Vec<DVec3>,
    pub artery: Vec<DVec3>,
    pub vein: Vec<DVec3>,
    /// Where the inguinal ligament crosses the artery (the top of the common femoral artery).
    pub inguinal_ligament: DVec3,
    /// Where the common femoral artery divides into the superficial femoral and the profunda.
    pub bifurcation: DVec3,
}

/// The body outline: an elliptic cylinder along z.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SkinSurface {
    pub cx: f64,
    pub cy: f64,
    pub ax_mm: f64,
    pub ay_mm: f64,
    pub z_min: f64,
    pub z_max: f64,
}

impl SkinSurface {
    /// y of the anterior skin at `x` (mm).
    pub fn front_y(&self, x: f64) -> f64 {
        let q = ((x - self.cx) / self.ax_mm).clamp(-1.0, 1.0);
        self.cy - self.ay_mm * (1.0 - q * q).sqrt()
    }
    /// y of the posterior skin at `x` (mm).
    pub fn back_y(&self, x: f64) -> f64 {
        let q = ((x - self.cx) / self.ax_mm).clamp(-1.0, 1.0);
        self.cy + self.ay_mm * (1.0 - q * q).sqrt()
    }
    fn inset(&self, by_mm: f64) -> Shape {
        Shape::Prim(Primitive::EllipticCylinderZ {
            cx: self.cx,
            cy: self.cy,
            ax_mm: self.ax_mm - by_mm,
            ay_mm: self.ay_mm - by_mm,
            z_min: self.z_min + by_mm,
            z_max: self.z_max - by_mm,
        })
    }
}

/// One named structure: its solid, its bounding box, and which structures of
/// higher priority overlap it (they own the shared points).
#[derive(Clone, Debug)]
pub struct Structure {
    pub tissue: Tissue,
    pub shape: Shape,
    pub aabb: Aabb,
    /// Smallest feature (mm) its display mesh must resolve.
    pub detail_mm: f64,
    above: Vec<usize>,
    /// The same solid prepared for ray queries (X-ray, needle segment).
    traced: Traced,
}

/// A stretch of a segment inside one tissue, from `from_mm` to `to_mm` along it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TissueSpan {
    pub tissue: Tissue,
    pub from_mm: f64,
    pub to_mm: f64,
}

/// Path length through each material along a segment, indexed by [`Material::index`].
pub type MaterialPath = [f64; Material::COUNT];

/// A synthetic patient: parameters, geometry and landmarks.
#[derive(Clone, Debug)]
pub struct Patient {
    pub seed: u64,
    pub params: PatientParams,
    pub landmarks: Landmarks,
    pub bundle: Bundle,
    pub skin: SkinSurface,
    /// Unit vector along the femoral neck, from its base toward the head.
    pub neck_axis: DVec3,
    /// Unit vector out of the acetabular opening.
    pub acetabular_axis: DVec3,
    /// The joint's potential space, for layers of it.
    pub joint_frame: JointFrame,
    pub morphometry: Morphometry,
    structures: Vec<Structure>,
}

impl Patient {
    /// Draw a patient from `seed` (and `overrides`) and build its geometry.
    pub fn generate(seed: u64, overrides: &PatientOverrides) -> Result<Patient, ParamRangeError> {
        Ok(Patient::from_params(seed, Patient::draw_params(seed, overrides)?))
    }

    /// The parameters `generate` would build, without the geometry (cheap: for checking a case).
    pub fn draw_params(seed: u64, overrides: &PatientOverrides) -> Result<PatientParams, ParamRangeError> {
        PatientParams::generate(&mut SimRng::for_stream(seed, PATIENT_STREAM), overrides)
    }

    /// Build the geometry for given parameters.
    pub fn from_params(seed: u64, params: PatientParams) -> Patient {
        let built = build::build(&params);
        let mut structures: Vec<Structure> = built
            .structures
            .into_iter()
            .map(|(tissue, shape, detail_mm)| {
                let aabb = shape.aabb();
                let traced = Traced::new(&shape);
                Structure { tissue, shape, aabb, detail_mm, above: Vec::new(), traced }
            })
            .collect();
        for i in 0..structures.len() {
            let above = (0..i).filter(|&j| structures[j].aabb.overlaps(&structures[i].aabb)).collect::<Vec<_>>();
            structures[i].above = above;
        }
        Patient {
            seed,
            params,
            landmarks: built.landmarks,
            bundle: built.bundle,
            skin: built.skin,
            neck_axis: built.neck_axis,
            acetabular_axis: built.acetabular_axis,
            joint_frame: built.joint_frame,
            morphometry: built.morphometry,
            structures,
        }
    }

    /// Tells this patient's shapes from those of the same seed with the leg turned (caches
    /// of a projection are kept by it); the seed itself in neutral rotation.
    pub fn key(&self) -> u64 {
        // (+ 0.0 makes −0.0 the same turn as 0.0.)
        self.seed ^ (self.params.leg_rotation_deg + 0.0).to_bits().wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }

    /// The same patient with the leg turned to `internal_deg` (internal positive): the femur
    /// and its capsule turn about the vertical through the head centre; the rest stays.
    pub fn with_leg_rotation(&self, internal_deg: f64) -> Patient {
        let params = PatientParams { leg_rotation_deg: internal_deg, ..self.params.clone() };
        Patient::from_params(self.seed, params)
    }

    pub fn structures(&self) -> &[Structure] {
        &self.structures
    }

    fn structure(&self, tissue: Tissue) -> Option<&Structure> {
        self.structures.iter().find(|s| s.tissue == tissue)
    }

    /// Box around the whole patient.
    pub fn aabb(&self) -> Aabb {
        self.structure(Tissue::Skin).map(|s| s.aabb).unwrap_or(Aabb::EVERYTHING)
    }

    /// Point query: the tissue that owns `p`.
    pub fn tissue_at(&self, p: DVec3) -> Tissue {
        self.structures
            .iter()
            .find(|s| s.aabb.contains(p) && s.shape.contains(p))
            .map(|s| s.tissue)
            .unwrap_or(Tissue::Air)
    }

    /// Signed distance (mm, negative inside) from `p` to the part of `tissue` it owns.
    pub fn signed_distance(&self, tissue: Tissue, p: DVec3) -> f64 {
        let Some(s) = self.structure(tissue) else { return f64::INFINITY };
        let mut d = s.shape.signed_distance(p);
        for &j in &s.above {
            d = d.max(-self.structures[j].shape.signed_distance(p));
        }
        d
    }

    /// Signed distance from `p` to every tissue, in priority order.
    pub fn distances(&self, p: DVec3) -> Vec<(Tissue, f64)> {
        self.structures.iter().map(|s| (s.tissue, self.signed_distance(s.tissue, p))).collect()
    }

    /// Segment query: the tissues crossed from `a` to `b`, in order along the segment.
    pub fn tissue_spans(&self, a: DVec3, b: DVec3) -> Vec<TissueSpan> {
        let len = (b - a).length();
        let mut out = Vec::new();
        if len <= 0.0 {
            return out;
        }
        let d = (b - a) / len;
        self.paint(a, d, len, |tissue, spans| {
            for &(t0, t1) in spans.as_slice() {
                out.push(TissueSpan { tissue, from_mm: t0, to_mm: t1 });
            }
        });
        out.sort_by(|x, y| x.from_mm.total_cmp(&y.from_mm));
        out
    }

    /// Segment query: path length (mm) through each material from `a` to `b`.
    pub fn path_lengths(&self, a: DVec3, b: DVec3) -> MaterialPath {
        let mut out = [0.0; Material::COUNT];
        let len = (b - a).length();
        if len > 0.0 {
            self.path_lengths_dir(a, (b - a) / len, len, &mut out);
        }
        out
    }

    /// As [`Patient::path_lengths`] for a unit direction `d` and length `len`; adds into `out`.
    pub fn path_lengths_dir(&self, o: DVec3, d: DVec3, len: f64, out: &mut MaterialPath) {
        let mut covered = 0.0;
        self.paint(o, d, len, |tissue, spans| {
            let t = spans.total();
            covered += t;
            out[tissue.material().index()] += t;
        });
        out[Material::Air.index()] += (len - covered).max(0.0);
    }

    /// Give each stretch of the segment to the highest-priority tissue that holds it.
    fn paint(&self, o: DVec3, d: DVec3, len: f64, mut each: impl FnMut(Tissue, &Spans)) {
        let inv = DVec3::ONE / d;
        let mut free = Spans::single(0.0, len);
        let (mut spans, mut owned, mut rest) = (Spans::default(), Spans::default(), Spans::default());
        for s in &self.structures {
            if free.is_empty() {
                break;
            }
            let Some((b0, b1)) = s.aabb.ray_range(o, inv) else { continue };
            // Nothing to win where higher-priority tissue already owns the whole stretch.
            if b1 < 0.0 || b0 > len || !free.as_slice().iter().any(|&(f0, f1)| f0 < b1 && f1 > b0) {
                continue;
            }
            s.traced.spans_into(o, d, inv, b0.max(0.0), b1.min(len), &mut spans);
            if spans.is_empty() {
                continue;
            }
            spans.intersection_into(&free, &mut owned);
            if !owned.is_empty() {
                each(s.tissue, &owned);
                free.difference_into(&spans, &mut rest);
                free.assign(&rest);
            }
        }
    }

    /// Closest approach (mm, surface to surface minus nothing: signed distance) of the
    /// segment `a`–`b` to `tissue`, and where along the segment (mm from `a`) it occurs.
    pub fn closest_approach(&self, tissue: Tissue, a: DVec3, b: DVec3) -> (f64, f64) {
        let len = (b - a).length();
        let steps = ((len / 0.5).ceil() as usize).max(1);
        let mut best = (f64::INFINITY, 0.0);
        for i in 0..=steps {
            let t = len * i as f64 / steps as f64;
            let p = if len > 0.0 { a + (b - a) * (t / len) } else { a };
            let d = self.signed_distance(tissue, p);
            if d < best.0 {
                best = (d, t);
            }
        }
        best
    }

    /// Display meshes, one closed, outward-facing triangle mesh per displayed tissue
    /// ([`Tissue::is_displayed`]).
    pub fn meshes(&self) -> Vec<TissueMesh> {
        let shown: Vec<Structure> = self.structures.iter().filter(|s| s.tissue.is_displayed()).cloned().collect();
        mesh::meshes_for(&shown)
    }

    /// How many meshes [`Patient::meshes`] gives.
    pub fn mesh_count(&self) -> usize {
        self.structures.iter().filter(|s| s.tissue.is_displayed()).count()
    }

    /// The `i`-th of [`Patient::meshes`] alone, the same mesh, for a host that builds them a
    /// few per frame (the browser, on one thread). None past the last.
    pub fn mesh(&self, i: usize) -> Option<TissueMesh> {
        let s = self.displayed(i)?;
        Some(mesh::mesh_structure(s))
    }

    /// The structure of the `i`-th display mesh.
    fn displayed(&self, i: usize) -> Option<&Structure> {
        self.structures.iter().filter(|s| s.tissue.is_displayed()).nth(i)
    }

    /// Whether the `i`-th of [`Patient::meshes`] is the same as `before`'s: the same tissue
    /// built from the same shape at the same detail, so its mesh can be kept (turning the leg
    /// moves the femur and its capsule; the skin, muscles and vessels stay).
    pub fn mesh_unchanged_from(&self, i: usize, before: &Patient) -> bool {
        match (self.displayed(i), before.displayed(i)) {
            (Some(a), Some(b)) => a.tissue == b.tissue && a.detail_mm == b.detail_mm && a.shape == b.shape,
            _ => false,
        }
    }

    /// [`Patient::meshes`], keeping those of `before` (built as `before_meshes`) that did not
    /// change and building only the rest (on every core): the same meshes, sooner.
    pub fn meshes_reusing(&self, before: &Patient, before_meshes: &[TissueMesh]) -> Vec<TissueMesh> {
        use rayon::prelude::*;
        (0..self.mesh_count())
            .into_par_iter()
            .map(|i| match before_meshes.get(i) {
                Some(m) if self.mesh_unchanged_from(i, before) => m.clone(),
                _ => self.mesh(i).expect("below the count"),
            })
            .collect()
    }

    /// Depth (mm) from the skin to the target along the standard anterior approach.
    pub fn skin_to_target_mm(&self) -> f64 {
        (self.landmarks.target - self.landmarks.anterior_entry).length()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_lies_on_bone_surface_inside_capsule() {
        let p = Patient::generate(1, &PatientOverrides::default()).unwrap();
        let t = p.landmarks.target;
        assert!(p.signed_distance(Tissue::FemurCortical, t).abs() < 0.5);
        let outward = (p.landmarks.anterior_entry - t).normalize();
        assert_eq!(p.tissue_at(t + outward * 1.0), Tissue::JointSpace);
    }
}

/// What an instructor wants to know about a patient at a glance (CLI `patient`, app info panel).
#[derive(Clone, Debug, Serialize)]
pub struct PatientSummary {
    pub seed: u64,
    pub coordinates: &'static str,
    pub params: PatientParams,
    pub landmarks: std::collections::BTreeMap<&'static str, [f64; 3]>,
    /// Surface distance from the target to each structure at risk.
    pub distances_mm: std::collections::BTreeMap<&'static str, f64>,
    /// Closest approach of the standard anterior path (skin entry to target) to each structure at risk.
    pub anterior_path_clearance_mm: std::collections::BTreeMap<&'static str, f64>,
    pub skin_to_target_mm: f64,
    pub disclaimer: &'static str,
}

/// How the coordinates are defined, in one sentence for outputs.
pub const COORDINATES: &str = "patient coordinates in mm, LPS: origin at the right femoral head centre, \
+x patient's left (medial), +y posterior, +z superior";

fn snake(t: Tissue) -> &'static str {
    match t {
        Tissue::FemoralNerve => "femoral_nerve",
        Tissue::FemoralArtery => "femoral_artery",
        Tissue::FemoralVein => "femoral_vein",
        Tissue::LateralFemoralCutaneousNerve => "lateral_femoral_cutaneous_nerve",
        Tissue::LateralCircumflexBranch => "lateral_circumflex_branch",
        Tissue::ProfundaFemoris => "profunda_femoris",
        Tissue::SciaticNerve => "sciatic_nerve",
        _ => "other",
    }
}

impl Patient {
    pub fn summary(&self) -> PatientSummary {
        let round = |x: f64| (x * 100.0).round() / 100.0;
        let l = &self.landmarks;
        let at_risk = Tissue::ALL.into_iter().filter(|t| t.is_at_risk());
        PatientSummary {
            seed: self.seed,
            coordinates: COORDINATES,
            params: self.params.clone(),
            landmarks: LandmarkName::ALL.into_iter().map(|n| (n.as_str(), l.get(n).to_array().map(round))).collect(),
            distances_mm: at_risk.clone().map(|t| (snake(t), round(self.signed_distance(t, l.target)))).collect(),
            anterior_path_clearance_mm: at_risk
                .map(|t| (snake(t), round(self.closest_approach(t, l.anterior_entry, l.target).0)))
                .collect(),
            skin_to_target_mm: round(self.skin_to_target_mm()),
            disclaimer: crate::DISCLAIMER,
        }
    }
}

/// How the patient lies on the table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Position {
    /// Supine, for the anterior approach (the common one).
    #[default]
    Supine,
    /// Prone, as the project's source text describes (posterior approach).
    Prone,
}

impl Position {
    /// The target and skin entry of the standard approach in this position.
    pub fn approach(self) -> (LandmarkName, LandmarkName) {
        match self {
            Position::Supine => (LandmarkName::Target, LandmarkName::AnteriorEntry),
            Position::Prone => (LandmarkName::PosteriorTarget, LandmarkName::PosteriorEntry),
        }
    }
}
