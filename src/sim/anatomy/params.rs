//! Patient parameters and the published distributions they are drawn from.
//!
//! Every number here cites its source (see also `../shared/design/DOMAIN.md` §2–3).
//! Figures marked `assumption` were not found in the literature; they are
//! parameters a scenario can override, never buried literals.

use serde::{Deserialize, Serialize};

use crate::sim::rng::SimRng;

/// A normal distribution truncated to a published range.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Published {
    pub mean: f64,
    pub sd: f64,
    pub min: f64,
    pub max: f64,
    pub source: &'static str,
}

impl Published {
    const fn new(mean: f64, sd: f64, min: f64, max: f64, source: &'static str) -> Self {
        Published { mean, sd, min, max, source }
    }
    /// Draw by rejection, so the values keep the published shape inside the range.
    pub fn sample(&self, rng: &mut SimRng) -> f64 {
        for _ in 0..64 {
            let x = self.mean + self.sd * rng.standard_normal();
            if (self.min..=self.max).contains(&x) {
                return x;
            }
        }
        self.mean
    }
    pub fn contains(&self, x: f64) -> bool {
        (self.min..=self.max).contains(&x)
    }
}

/// The published (or marked assumed) population figures, in one place.
pub mod table {
    use super::Published;

    pub const HEAD_DIAMETER_MALE_MM: Published =
        Published::new(49.2, 3.8, 38.0, 60.0, "radiograph study n=200, NeuroQuantology 2023 (range ±3 SD)");
    pub const HEAD_DIAMETER_FEMALE_MM: Published =
        Published::new(45.3, 3.5, 35.0, 56.0, "radiograph study n=200, NeuroQuantology 2023 (range ±3 SD)");
    pub const NECK_LENGTH_MM: Published =
        Published::new(34.9, 1.7, 29.8, 40.0, "dry bone, zenodo 17642179 (range ±3 SD)");
    pub const NECK_DIAMETER_MM: Published =
        Published::new(34.3, 2.8, 25.9, 42.7, "dry bone, zenodo 17642179 (range ±3 SD)");
    pub const NECK_SHAFT_ANGLE_DEG: Published =
        Published::new(124.7, 6.2, 100.0, 146.0, "3D CT 628 hips, Carmona; PMC4775021; range Toogood 2009");
    /// Overall 14.5±8.1; women about 16°, men about 12° (same source).
    pub const ANTEVERSION_MALE_DEG: Published =
        Published::new(13.0, 8.1, -23.6, 48.7, "Carmona; PMC4775021 (sex split: women ≈16°, men ≈12°)");
    pub const ANTEVERSION_FEMALE_DEG: Published =
        Published::new(16.0, 8.1, -23.6, 48.7, "Carmona; PMC4775021 (sex split: women ≈16°, men ≈12°)");
    pub const ACETABULAR_INCLINATION_DEG: Published =
        Published::new(39.0, 4.0, 27.0, 51.0, "Stem (Mayo CT); Fowkes 2011");
    pub const ACETABULAR_ANTEVERSION_MALE_DEG: Published =
        Published::new(19.0, 5.0, 4.0, 34.0, "Stem; Mechlenburg 2019 (18–23±5, women ~3° more; range ±3 SD)");
    pub const ACETABULAR_ANTEVERSION_FEMALE_DEG: Published =
        Published::new(22.0, 5.0, 7.0, 37.0, "Stem; Mechlenburg 2019 (18–23±5, women ~3° more; range ±3 SD)");
    pub const JOINT_SPACE_WIDTH_MM: Published = Published::new(4.2, 0.9, 2.0, 7.0, "radiograph, apex; Lequesne 2004");
    pub const ANTERIOR_RECESS_DEPTH_MM: Published =
        Published::new(6.4, 1.1, 3.1, 9.0, "ultrasound, Skeletal Radiol 1994;23:111 (>9 mm suggests effusion)");
    pub const FEMORAL_NERVE_TO_JOINT_MM: Published =
        Published::new(23.6, 5.4, 8.0, 39.8, "MRI n=115, Mehta 2018 J Orthop Surg Res 13:135 (range ±3 SD)");
    pub const FEMORAL_ARTERY_TO_JOINT_MM: Published =
        Published::new(19.6, 4.2, 7.0, 32.2, "MRI n=115, Mehta 2018 J Orthop Surg Res 13:135 (range ±3 SD)");
    pub const FEMORAL_VEIN_TO_JOINT_MM: Published =
        Published::new(17.5, 4.4, 5.0, 30.7, "MRI n=115, Mehta 2018 J Orthop Surg Res 13:135 (range ±3 SD)");
    /// 20 mm (range 3–46); the SD is an assumption that spans the published range.
    pub const LFCN_MEDIAL_TO_ASIS_MM: Published =
        Published::new(20.0, 9.0, 3.0, 46.0, "Hospodar 1999; Aszmann 1997 (SD assumption)");
    /// assumption: adult workshop population; not in the design sources.
    pub const BMI_KG_M2: Published = Published::new(27.0, 5.0, 17.0, 45.0, "assumption");

    /// Femoral nerve closer in arthritic hips by 1.6–5.8 mm (BMC Musculoskelet Disord 2021).
    pub const OA_NERVE_SHIFT_MM: f64 = 3.7;
    /// Iliopsoas bursa communicates with the joint in about 15% of adults (DOMAIN.md §2).
    pub const BURSA_COMMUNICATES_P: f64 = 0.15;
    /// assumption: Kellgren–Lawrence grade 0..=4 frequencies in a hip-pain workshop population.
    pub const OA_GRADE_P: [f64; 5] = [0.40, 0.20, 0.20, 0.12, 0.08];
    /// assumption: joint space lost per KL grade above 1 (mm), floor 0.5 mm.
    pub const OA_NARROWING_PER_GRADE_MM: f64 = 0.8;
    /// Skin-to-capsule depth rises with BMI; ≈40 mm at BMI 20 to ≈100 mm at BMI 40.
    /// assumption (DOMAIN.md §2: the MRI study's numbers were not retrieved).
    pub const SKIN_TO_CAPSULE_AT_BMI20_MM: f64 = 40.0;
    pub const SKIN_TO_CAPSULE_PER_BMI_MM: f64 = 3.0;
    /// assumption: person-to-person scatter of that depth at a given BMI (fraction).
    pub const SKIN_TO_CAPSULE_SCATTER: f64 = 0.10;
    /// assumption: subcutaneous fat over the hip, mm, at BMI 20 and per BMI unit.
    pub const FAT_AT_BMI20_MM: f64 = 10.0;
    pub const FAT_PER_BMI_MM: f64 = 2.0;
    /// assumption: skin thickness over the groin, mm.
    pub const SKIN_THICKNESS_MM: f64 = 2.0;
    /// assumption (FIDELITY.md §3: 1.5-2 mm): the head's subchondral plate, mm.
    pub const SUBCHONDRAL_PLATE_MM: f64 = 1.75;
    /// assumption (FIDELITY.md §3): trochanteric and proximal metaphyseal cortex, mm.
    pub const TROCHANTER_CORTEX_MM: f64 = 1.2;
    /// The quadrilateral plate: thin cortical bone 3-5 mm thick (FIDELITY.md §4, assumption),
    /// each cortex this thick (assumption); and the pelvic brim's ridge as a rod this thick
    /// (assumption). Seen edge-on in AP they are the ilioischial and iliopectineal lines.
    pub const QUADRILATERAL_PLATE_MM: f64 = 3.5;
    pub const QUADRILATERAL_CORTEX_MM: f64 = 1.0;
    pub const PELVIC_BRIM_RADIUS_MM: f64 = 2.0;
    /// The iliac wing's plane turned this far from the coronal plane about the body's long
    /// axis, its front edge (the anterior superior iliac spine) lateral and its back (the
    /// sacroiliac joint) medial, so that in AP the wing is seen obliquely as a broad fan:
    /// the wing and the obturator foramen lie about 45° either side of the coronal plane,
    /// which is why the Judet views are 45° obliques (Judet, Judet & Letournel, J Bone Joint
    /// Surg Am 1964;46:1615). The single value is an assumption.
    pub const ILIAC_WING_TO_CORONAL_DEG: f64 = 45.0;
    /// The cortex round the ilium's body over the acetabulum, its lateral margin's cut face
    /// included (mm, for a 47 mm head, scaled): thicker than the socket's 1.5 mm lining, as
    /// the supra-acetabular bone's outer table is. assumption.
    pub const ILIUM_BODY_CORTEX_MM: f64 = 4.0;
    /// The principal trabecular groups as plates (FIDELITY.md §3, assumption): each plate this
    /// thick (mm), this far apart centre to centre (mm); their bone fraction is
    /// `imaging::materials::TRABECULAR_PLATE_FRACTION`.
    pub const TRABECULAR_PLATE_MM: f64 = 1.2;
    pub const TRABECULAR_SPACING_MM: f64 = 3.2;
    /// assumption: the plates stand in this many layers front to back through the head.
    pub const TRABECULAR_LAYERS: usize = 2;
    /// Neck cortex by age: inferomedial (calcar) 3.9 mm at 25 y to 3.3 mm at 85 y,
    /// superolateral 1.6 mm to 0.3 mm (Poole 2010 J Bone Miner Res 25:482); linear between.
    pub const CALCAR_CORTEX_MM_AT_25_85: (f64, f64) = (3.9, 3.3);
    pub const SUPEROLATERAL_NECK_CORTEX_MM_AT_25_85: (f64, f64) = (1.6, 0.3);
    /// assumption: age of a hip-injection workshop case, years.
    pub const AGE_YEARS: Published = Published::new(58.0, 13.0, 25.0, 85.0, "assumption");
    /// Femoral offset, head centre to shaft axis (3D): CT 44.7 mm (Merle 2012), cadaver 38.2 mm.
    pub const FEMORAL_OFFSET_MM: Published =
        Published::new(41.0, 5.0, 30.0, 55.0, "Merle 2012 Bone Joint J 94-B:477; cadaver, Arthroplasty 2022");
    /// Greater trochanter tip above the head centre (CT, 519 femurs; PubMed 23451435).
    pub const GT_TIP_ABOVE_HEAD_MM: Published =
        Published::new(7.3, 5.1, -8.0, 22.0, "CT of 519 femurs; PubMed 23451435 (range ±3 SD)");
    /// Greater trochanter tip to head centre over head diameter (Ann Palliat Med 2021;10:11524).
    pub const GT_TIP_TO_HEAD_RATIO: Published = Published::new(0.92, 0.07, 0.75, 1.10, "Ann Palliat Med 2021;10:11524");
    /// Lesser trochanter's most prominent point to head centre over head diameter: published
    /// 0.84-1.02 (cadaver 1.01 ± 0.12); mean and SD an assumption within both, toward the
    /// cadaver figure so the trochanter stays below the capsule.
    pub const LT_TO_HEAD_RATIO: Published =
        Published::new(0.98, 0.05, 0.84, 1.12, "Ann Palliat Med 2021;10:11524; cadaver (mean, SD assumption)");
    /// Anterior head-neck offset ratio: how far the front of the head stands beyond the front of
    /// the neck, over the head's diameter (Oxford population study, FIDELITY.md §2: 0.19,
    /// 0.14-0.24). It sets the neck's front-to-back width; the SD is an assumption (the range
    /// as ±2 SD).
    pub const ANTERIOR_OFFSET_RATIO: Published =
        Published::new(0.19, 0.025, 0.14, 0.24, "Oxford population study (FIDELITY.md §2); SD assumption");
    /// assumption: the oval neck reaches its narrowest front to back (its waist) this fraction of
    /// the neck's length below the head-neck junction.
    pub const NECK_WAIST_BELOW_JUNCTION: f64 = 0.3;
    /// Marrow canal at the isthmus (CT of 204 femora).
    pub const CANAL_DIAMETER_MM: Published = Published::new(10.5, 1.5, 7.0, 15.0, "CT of 204 femora (FIDELITY.md §3)");
    /// assumption: shaft outer diameter for a 47 mm head, mm (scaled with the head); with the
    /// canal above it gives a cortical thickness index 0.55-0.65 (Nguyen 2018 Clin Orthop Surg).
    pub const SHAFT_DIAMETER_MM: f64 = 28.0;
    /// The lesser trochanter's axis lies this far behind the femoral neck's axis, seen from
    /// above (degrees): Schröder 2015 J Hip Preserv Surg 2:410, MRI of 250 asymptomatic hips,
    /// 38.4 ± 9.6° (lesser trochanteric version −24 ± 11.5° against neck version 14 ± 10.8°).
    pub const LT_BEHIND_NECK_DEG: f64 = 38.4;
    /// assumption: how far the lesser trochanter stands out of the shaft, mm, for a 47 mm head.
    /// A study of 100 dry adult femurs gives its height as 14.2 ± 3.2 mm and its width as
    /// 21.5 ± 3.9 mm (Lesser Trochanter Morphometry, asn-ng.com/journal/article/1759587522; the
    /// abstract does not say how height was taken). At 14.2 the trochanter reached the soft tissue
    /// under the neck's middle in the AP view in one hip of ten (tests/radiograph.rs); at 12 none.
    pub const LT_HEIGHT_MM: f64 = 12.0;
    /// Its width, top to bottom, mm: the same study's 21.5 (read as top to bottom).
    pub const LT_WIDTH_MM: f64 = 21.5;
    /// assumption: the process's half-thickness across (front to back of its axis) and half-depth
    /// along its axis, mm: a ridge narrower than it is tall.
    pub const LT_HALF_THICKNESS_MM: f64 = 6.0;
    pub const LT_HALF_DEPTH_MM: f64 = 10.0;
    /// assumption: the marrow canal starts this far below the lesser trochanter, mm (FIDELITY.md §3).
    pub const CANAL_BELOW_LT_MM: f64 = 20.0;
    /// Lateral centre-edge angle (Jacobsen n = 4151, in Tannast 2015).
    pub const CENTRE_EDGE_ANGLE_DEG: Published =
        Published::new(35.0, 7.0, 12.0, 58.0, "Jacobsen n=4151, in Tannast 2015 (range 10-60)");
    /// Bony acetabular depth, dry bones (M 26.9, F 25.3 mm; overall 24 ± 2.5).
    pub const ACETABULAR_DEPTH_MM: Published = Published::new(24.0, 2.5, 17.0, 31.0, "dry bones (FIDELITY.md §4)");
    /// assumption (FIDELITY.md §4: 1-2 mm): acetabular wall cortex, mm; the sourcil (dome)
    /// is twice as thick (2-4 mm).
    pub const ACETABULAR_CORTEX_MM: f64 = 1.5;
    /// assumption: lateral teardrop to the medial head surface, mm; normally ≤ 11 mm
    /// (Goodman 1988 Clin Orthop 236:199).
    pub const TEARDROP_TO_HEAD_MM: Published =
        Published::new(7.5, 1.5, 4.0, 11.0, "Goodman 1988 (≤ 11 mm normal); mean assumption");
    /// assumption: joint capsule wall thickness, mm (thickest anterosuperiorly).
    pub const CAPSULE_WALL_MM: f64 = 3.0;
    /// assumption: the capsule attaches 5–6 mm beyond the labrum (DOMAIN.md §2).
    pub const CAPSULE_BEYOND_RIM_MM: f64 = 5.5;
    /// assumption: vessel and nerve radii, mm.
    pub const FEMORAL_ARTERY_RADIUS_MM: f64 = 4.0;
    pub const FEMORAL_VEIN_RADIUS_MM: f64 = 5.5;
    pub const FEMORAL_NERVE_RADIUS_MM: f64 = 3.0;
    pub const LFCN_RADIUS_MM: f64 = 1.2;
    pub const CIRCUMFLEX_RADIUS_MM: f64 = 1.8;
    /// The profunda femoris. assumption: radius, mm.
    pub const PROFUNDA_RADIUS_MM: f64 = 2.8;
    /// The common femoral artery from the inguinal ligament to its bifurcation: 43.3 ± 16.2 mm
    /// (Schnyder 2001, 100 angiograms); the mean is used, not drawn.
    pub const COMMON_FEMORAL_LENGTH_MM: f64 = 43.3;
    /// assumption: the bifurcation lies at least this far below the anterior target, so that
    /// the anterior approach passes the common femoral artery, not its branches (published: at
    /// or below the femoral head's centre in 98.5%, Schnyder 2001).
    pub const BIFURCATION_BELOW_TARGET_MM: f64 = 12.0;
    pub const SCIATIC_RADIUS_MM: f64 = 6.0;
    /// Iliopsoas tendon at the level of the femoral head, as a round cord (radius, mm) of its
    /// published circumference at the labrum, 28.4 ± 2.8 mm (Alpert 2009 Am J Sports Med
    /// 37:1594, 8 cadaver hips); round rather than flattened (about 12 × 5 mm) is an assumption.
    pub const ILIOPSOAS_TENDON_RADIUS_MM: f64 = 28.4 / std::f64::consts::TAU;
    /// Share of the tendon's circumference a peritendinous injection wraps: a U round 50-100%
    /// of the tendon (Dauffenbach 2014 J Ultrasound Med 33:405); uniform over the range is an
    /// assumption.
    pub const PERITENDINOUS_ARC_SHARE: (f64, f64) = (0.5, 1.0);
    /// A femoral artery whose wall is calcified enough to show on fluoroscopy (tram lines),
    /// a danger landmark (FIDELITY.md §1): none below 50 years, then a chance rising linearly
    /// to 0.4 at 80 (assumption: femoral plaque is found by ultrasound in 64% at 56-77 years,
    /// Leng 2000 Atherosclerosis 152:167, but no radiographic prevalence was found, and only
    /// some plaque is calcified enough to see).
    pub const CALCIFIED_ARTERY_FROM_AGE: f64 = 50.0;
    pub const CALCIFIED_ARTERY_P_AT_80: f64 = 0.4;
    /// assumption: the calcified plaques: a wall this thick (mm), in patches this long (mm).
    pub const ARTERIAL_CALCIFICATION_MM: f64 = 1.5;
    pub const ARTERIAL_PLAQUE_LENGTH_MM: f64 = 20.0;
    /// Leg rotation a case or the trainee may set (degrees, internal positive): −30..+30
    /// (FIDELITY.md §2). Not drawn: a patient lies as laid, neutral (patella up), until the
    /// trainee turns the foot in.
    pub const LEG_ROTATION_DEG: Published = Published::new(0.0, 0.0, -30.0, 30.0, "FIDELITY.md §2 (range)");
    /// The supine set-up turns the foot in 15° so the anteverted neck lies parallel to the
    /// detector (AP hip positioning; FIDELITY.md §2 asks 10-15°).
    pub const SUPINE_SETUP_INTERNAL_ROTATION_DEG: (f64, f64) = (10.0, 15.0);
    /// assumption: nerve centre lateral to the artery's (mm); the nerve lies ~1 cm lateral.
    pub const NERVE_LATERAL_TO_ARTERY_MM: Published = Published::new(11.0, 2.0, 7.0, 15.0, "assumption");
    /// assumption: femoral nerve centre medial to the target (mm), so the teaching
    /// approach to the lateral/middle head–neck junction is clear of the bundle.
    pub const NERVE_MEDIAL_TO_TARGET_MM: Published = Published::new(15.0, 3.0, 9.0, 24.0, "assumption");
    /// assumption: distance from the hip centre to the midline, mm, for a 47 mm head.
    pub const HIP_CENTRE_TO_MIDLINE_MM: f64 = 88.0;
}

/// Biological sex of the synthetic patient (drives the sex-specific distributions).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Female,
    Male,
}

/// Everything that makes one synthetic patient's hip differ from another's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PatientParams {
    pub sex: Sex,
    pub bmi_kg_m2: f64,
    /// Anterior soft tissue from skin to the joint capsule on the anterior approach.
    pub skin_to_capsule_mm: f64,
    pub subcutaneous_fat_mm: f64,
    pub femoral_head_diameter_mm: f64,
    pub neck_length_mm: f64,
    pub neck_diameter_mm: f64,
    pub neck_shaft_angle_deg: f64,
    pub femoral_anteversion_deg: f64,
    pub acetabular_inclination_deg: f64,
    pub acetabular_anteversion_deg: f64,
    /// Radiographic joint space at the apex, after any osteoarthritic narrowing.
    pub joint_space_width_mm: f64,
    pub anterior_recess_depth_mm: f64,
    /// Kellgren–Lawrence grade 0–4.
    pub oa_grade: u8,
    /// Osteophytes at the head–neck junction and acetabular rim (grade ≥ 2).
    pub osteophytes: bool,
    /// Shortest distances from the capsule to each structure (Mehta 2018).
    pub femoral_nerve_to_joint_mm: f64,
    pub femoral_artery_to_joint_mm: f64,
    pub femoral_vein_to_joint_mm: f64,
    pub nerve_lateral_to_artery_mm: f64,
    pub nerve_medial_to_target_mm: f64,
    pub lfcn_medial_to_asis_mm: f64,
    pub bursa_communicates: bool,
    /// Age (years): thins the neck's cortex (FIDELITY.md §3).
    pub age_years: f64,
    pub femoral_offset_mm: f64,
    pub gt_tip_above_head_mm: f64,
    pub gt_tip_to_head_ratio: f64,
    pub lt_to_head_ratio: f64,
    pub canal_diameter_mm: f64,
    pub centre_edge_angle_deg: f64,
    pub acetabular_depth_mm: f64,
    pub teardrop_to_head_mm: f64,
    /// Share of the iliopsoas tendon's circumference a peritendinous injection wraps.
    #[serde(default = "default_arc_share")]
    pub peritendinous_arc_share: f64,
    /// The leg's rotation about the vertical through the head centre (degrees, internal
    /// positive): neutral unless the case or the trainee's positioning sets it.
    #[serde(default)]
    pub leg_rotation_deg: f64,
    /// Calcified plaques in the femoral artery's wall (older patients only).
    #[serde(default)]
    pub femoral_artery_calcified: bool,
    /// The front of the head beyond the front of the neck, over the head's diameter: the neck is
    /// oval, narrower front to back than its (published) height. As drawn: the neck's front-to-back
    /// half-width is kept between 0.6 and 1 times its half-height, so a large head on a slender
    /// neck stands further out than this says.
    #[serde(default = "default_offset_ratio")]
    pub anterior_offset_ratio: f64,
}

fn default_offset_ratio() -> f64 {
    table::ANTERIOR_OFFSET_RATIO.mean
}

fn default_arc_share() -> f64 {
    0.75
}

/// Values a scenario may fix; the rest are drawn. Drawing always consumes the same
/// random numbers, so fixing one parameter never changes the others.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PatientOverrides {
    pub sex: Option<Sex>,
    pub bmi_kg_m2: Option<f64>,
    pub skin_to_capsule_mm: Option<f64>,
    pub femoral_head_diameter_mm: Option<f64>,
    pub neck_length_mm: Option<f64>,
    pub neck_diameter_mm: Option<f64>,
    pub neck_shaft_angle_deg: Option<f64>,
    pub femoral_anteversion_deg: Option<f64>,
    pub acetabular_inclination_deg: Option<f64>,
    pub acetabular_anteversion_deg: Option<f64>,
    pub joint_space_width_mm: Option<f64>,
    pub anterior_recess_depth_mm: Option<f64>,
    pub oa_grade: Option<u8>,
    pub femoral_nerve_to_joint_mm: Option<f64>,
    pub femoral_artery_to_joint_mm: Option<f64>,
    pub femoral_vein_to_joint_mm: Option<f64>,
    pub lfcn_medial_to_asis_mm: Option<f64>,
    pub bursa_communicates: Option<bool>,
    pub nerve_medial_to_target_mm: Option<f64>,
    pub nerve_lateral_to_artery_mm: Option<f64>,
    pub leg_rotation_deg: Option<f64>,
    pub femoral_artery_calcified: Option<bool>,
    pub anterior_offset_ratio: Option<f64>,
}

/// An override outside the range the simulator can build.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("patient parameter `{field}` = {value} is outside {min}..={max} ({source_note})")]
pub struct ParamRangeError {
    pub field: &'static str,
    pub value: f64,
    pub min: f64,
    pub max: f64,
    pub source_note: &'static str,
}

fn check(field: &'static str, value: f64, p: &Published) -> Result<f64, ParamRangeError> {
    if p.contains(value) {
        Ok(value)
    } else {
        Err(ParamRangeError { field, value, min: p.min, max: p.max, source_note: p.source })
    }
}

impl PatientParams {
    /// Draw a patient from the published distributions, then apply `ov`.
    pub fn generate(rng: &mut SimRng, ov: &PatientOverrides) -> Result<PatientParams, ParamRangeError> {
        use table::*;
        // Draw everything first, in a fixed order.
        let sex_drawn = if rng.uniform() < 0.5 { Sex::Female } else { Sex::Male };
        let sex = ov.sex.unwrap_or(sex_drawn);
        let female = sex == Sex::Female;
        let bmi = BMI_KG_M2.sample(rng);
        let depth_scatter = 1.0 + SKIN_TO_CAPSULE_SCATTER * rng.standard_normal().clamp(-2.5, 2.5);
        let head = if female { HEAD_DIAMETER_FEMALE_MM } else { HEAD_DIAMETER_MALE_MM }.sample(rng);
        let neck_len = NECK_LENGTH_MM.sample(rng);
        let neck_d = NECK_DIAMETER_MM.sample(rng);
        let nsa = NECK_SHAFT_ANGLE_DEG.sample(rng);
        let av = if female { ANTEVERSION_FEMALE_DEG } else { ANTEVERSION_MALE_DEG }.sample(rng);
        let incl = ACETABULAR_INCLINATION_DEG.sample(rng);
        let acet_av =
            if female { ACETABULAR_ANTEVERSION_FEMALE_DEG } else { ACETABULAR_ANTEVERSION_MALE_DEG }.sample(rng);
        let jsw_healthy = JOINT_SPACE_WIDTH_MM.sample(rng);
        let recess = ANTERIOR_RECESS_DEPTH_MM.sample(rng);
        let grade_draw = rng.uniform();
        let nerve = FEMORAL_NERVE_TO_JOINT_MM.sample(rng);
        let artery = FEMORAL_ARTERY_TO_JOINT_MM.sample(rng);
        let vein = FEMORAL_VEIN_TO_JOINT_MM.sample(rng);
        let nerve_lat = NERVE_LATERAL_TO_ARTERY_MM.sample(rng);
        let nerve_med = NERVE_MEDIAL_TO_TARGET_MM.sample(rng);
        let lfcn = LFCN_MEDIAL_TO_ASIS_MM.sample(rng);
        let bursa_draw = rng.uniform();
        // Drawn after the rest, so that adding them left every earlier draw as it was.
        let age = AGE_YEARS.sample(rng);
        let offset = FEMORAL_OFFSET_MM.sample(rng);
        let gt_above = GT_TIP_ABOVE_HEAD_MM.sample(rng);
        let gt_ratio = GT_TIP_TO_HEAD_RATIO.sample(rng);
        let lt_ratio = LT_TO_HEAD_RATIO.sample(rng);
        let canal = CANAL_DIAMETER_MM.sample(rng);
        let ce = CENTRE_EDGE_ANGLE_DEG.sample(rng);
        let depth = ACETABULAR_DEPTH_MM.sample(rng);
        let teardrop = TEARDROP_TO_HEAD_MM.sample(rng);
        let arc_share =
            PERITENDINOUS_ARC_SHARE.0 + (PERITENDINOUS_ARC_SHARE.1 - PERITENDINOUS_ARC_SHARE.0) * rng.uniform();
        let calcified_p = ((age - CALCIFIED_ARTERY_FROM_AGE) / (80.0 - CALCIFIED_ARTERY_FROM_AGE)).clamp(0.0, 1.0)
            * CALCIFIED_ARTERY_P_AT_80;
        let calcified = rng.uniform() < calcified_p;
        let offset_ratio = ANTERIOR_OFFSET_RATIO.sample(rng);

        let mut cumulative = 0.0;
        let mut grade_drawn = 4u8;
        for (g, p) in OA_GRADE_P.iter().enumerate() {
            cumulative += p;
            if grade_draw < cumulative {
                grade_drawn = g as u8;
                break;
            }
        }

        let bmi = check("bmi_kg_m2", ov.bmi_kg_m2.unwrap_or(bmi), &BMI_KG_M2)?;
        let depth_range = Published::new(0.0, 0.0, 25.0, 160.0, "simulator build range");
        let depth_default =
            (SKIN_TO_CAPSULE_AT_BMI20_MM + SKIN_TO_CAPSULE_PER_BMI_MM * (bmi - 20.0)).max(25.0) * depth_scatter;
        let skin_to_capsule = check(
            "skin_to_capsule_mm",
            ov.skin_to_capsule_mm.unwrap_or(depth_default.clamp(25.0, 160.0)),
            &depth_range,
        )?;
        let head_range = if female { HEAD_DIAMETER_FEMALE_MM } else { HEAD_DIAMETER_MALE_MM };
        let head = check("femoral_head_diameter_mm", ov.femoral_head_diameter_mm.unwrap_or(head), &head_range)?;
        let oa_grade = ov.oa_grade.unwrap_or(grade_drawn);
        if oa_grade > 4 {
            return Err(ParamRangeError {
                field: "oa_grade",
                value: oa_grade as f64,
                min: 0.0,
                max: 4.0,
                source_note: "Kellgren–Lawrence grade",
            });
        }
        let narrowing = OA_NARROWING_PER_GRADE_MM * (oa_grade.saturating_sub(1)) as f64;
        let jsw_default = (jsw_healthy - narrowing).max(0.5);
        let jsw_range = Published::new(0.0, 0.0, 0.5, 7.0, "Lequesne 2004, 0.5 mm floor for end-stage OA");
        let jsw = check("joint_space_width_mm", ov.joint_space_width_mm.unwrap_or(jsw_default), &jsw_range)?;
        let nerve_default = if oa_grade >= 2 { (nerve - OA_NERVE_SHIFT_MM).max(5.0) } else { nerve };
        let fat = (FAT_AT_BMI20_MM + FAT_PER_BMI_MM * (bmi - 20.0))
            .clamp(4.0, (skin_to_capsule - SKIN_THICKNESS_MM - 10.0).max(4.0));

        Ok(PatientParams {
            sex,
            bmi_kg_m2: bmi,
            skin_to_capsule_mm: skin_to_capsule,
            subcutaneous_fat_mm: fat,
            femoral_head_diameter_mm: head,
            neck_length_mm: check("neck_length_mm", ov.neck_length_mm.unwrap_or(neck_len), &NECK_LENGTH_MM)?,
            neck_diameter_mm: check("neck_diameter_mm", ov.neck_diameter_mm.unwrap_or(neck_d), &NECK_DIAMETER_MM)?,
            neck_shaft_angle_deg: check(
                "neck_shaft_angle_deg",
                ov.neck_shaft_angle_deg.unwrap_or(nsa),
                &NECK_SHAFT_ANGLE_DEG,
            )?,
            femoral_anteversion_deg: check(
                "femoral_anteversion_deg",
                ov.femoral_anteversion_deg.unwrap_or(av),
                &ANTEVERSION_MALE_DEG,
            )?,
            acetabular_inclination_deg: check(
                "acetabular_inclination_deg",
                ov.acetabular_inclination_deg.unwrap_or(incl),
                &ACETABULAR_INCLINATION_DEG,
            )?,
            acetabular_anteversion_deg: check(
                "acetabular_anteversion_deg",
                ov.acetabular_anteversion_deg.unwrap_or(acet_av),
                &Published::new(0.0, 0.0, 4.0, 37.0, "Stem; Mechlenburg 2019"),
            )?,
            joint_space_width_mm: jsw,
            anterior_recess_depth_mm: check(
                "anterior_recess_depth_mm",
                ov.anterior_recess_depth_mm.unwrap_or(recess),
                &Published::new(0.0, 0.0, 3.0, 20.0, "Skeletal Radiol 1994 (effusion allowed up to 20 mm)"),
            )?,
            oa_grade,
            osteophytes: oa_grade >= 2,
            femoral_nerve_to_joint_mm: check(
                "femoral_nerve_to_joint_mm",
                ov.femoral_nerve_to_joint_mm.unwrap_or(nerve_default),
                &Published::new(0.0, 0.0, 3.0, 45.0, "Mehta 2018"),
            )?,
            femoral_artery_to_joint_mm: check(
                "femoral_artery_to_joint_mm",
                ov.femoral_artery_to_joint_mm.unwrap_or(artery),
                &Published::new(0.0, 0.0, 3.0, 45.0, "Mehta 2018"),
            )?,
            femoral_vein_to_joint_mm: check(
                "femoral_vein_to_joint_mm",
                ov.femoral_vein_to_joint_mm.unwrap_or(vein),
                &Published::new(0.0, 0.0, 3.0, 45.0, "Mehta 2018"),
            )?,
            nerve_lateral_to_artery_mm: check(
                "nerve_lateral_to_artery_mm",
                ov.nerve_lateral_to_artery_mm.unwrap_or(nerve_lat),
                &NERVE_LATERAL_TO_ARTERY_MM,
            )?,
            nerve_medial_to_target_mm: check(
                "nerve_medial_to_target_mm",
                ov.nerve_medial_to_target_mm.unwrap_or(nerve_med),
                &NERVE_MEDIAL_TO_TARGET_MM,
            )?,
            lfcn_medial_to_asis_mm: check(
                "lfcn_medial_to_asis_mm",
                ov.lfcn_medial_to_asis_mm.unwrap_or(lfcn),
                &LFCN_MEDIAL_TO_ASIS_MM,
            )?,
            bursa_communicates: ov.bursa_communicates.unwrap_or(bursa_draw < BURSA_COMMUNICATES_P),
            age_years: age,
            femoral_offset_mm: offset,
            gt_tip_above_head_mm: gt_above,
            gt_tip_to_head_ratio: gt_ratio,
            lt_to_head_ratio: lt_ratio,
            canal_diameter_mm: canal,
            centre_edge_angle_deg: ce,
            acetabular_depth_mm: depth,
            teardrop_to_head_mm: teardrop,
            peritendinous_arc_share: arc_share,
            leg_rotation_deg: check("leg_rotation_deg", ov.leg_rotation_deg.unwrap_or(0.0), &LEG_ROTATION_DEG)?,
            femoral_artery_calcified: ov.femoral_artery_calcified.unwrap_or(calcified),
            anterior_offset_ratio: check(
                "anterior_offset_ratio",
                ov.anterior_offset_ratio.unwrap_or(offset_ratio),
                &ANTERIOR_OFFSET_RATIO,
            )?,
        })
    }
}
