//! Contrast and injectate inside the patient: where each push goes, how it spreads
//! over time, the iodine field the projector and 3D view sample, and how much drug
//! ended in the joint.
//!
//! Spread by compartment (DOMAIN.md §5, FIDELITY.md §7): intra-articular fluid flows
//! away from the tip through the capsule's potential space, pools in the recesses and
//! outlines head and neck; extra-articular fluid stays at the tip as a soft cloud, or
//! streaks along muscle fibres; intravascular contrast is diluted by the flow and carried
//! downstream out of the field; bursal fluid fills the iliopsoas bursa from the tip and
//! reaches the joint only where the bursa communicates; fluid at the iliopsoas tendon
//! wraps round it in a U and runs along it. This file keeps the volumes;
//! `sim::spread` turns them into iodine. Volume is conserved: injected = in
//! compartments + washed out.

use std::sync::Arc;

use glam::DVec3;
use serde::{Deserialize, Serialize};

use crate::sim::anatomy::{Patient, Tissue};
use crate::sim::imaging::materials::IOHEXOL_300_MG_I_PER_ML;
/// The contrast as the X-ray sees it (defined by imaging, provided here).
pub use crate::sim::imaging::{ContrastBody, ContrastField, IodinePuff};
use crate::sim::needle::{Compartment, Needle};
use crate::sim::spread::joint::JointMap;
use crate::sim::spread::soft::{self, BursaMap, TendonSleeve};
use crate::sim::spread::vessel::Bolus;
use crate::sim::spread::{self as spread_mod};

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

/// Time constant (s) of intra-articular flow away from the tip: the outline develops
/// over about a second during and after the push. assumption.
pub const JOINT_SPREAD_TAU_S: f64 = 0.6;
/// Capsule pressure–volume (Yen 2009): flat below ~10 mL, then exponential; fitted so
/// that 15–20 mL meets high resistance and leaks. The exponent is an assumption.
pub const CAPSULE_FLAT_ML: f64 = 10.0;
pub const CAPSULE_PRESSURE_SCALE_ML: f64 = 2.5;
/// Relative resistance above which the capsule leaks at a weak point.
pub const CAPSULE_LEAK_RESISTANCE: f64 = 20.0;
/// A push into the joint this far (mm) from every earlier entry is a new entry the joint
/// also fills from; nearer, it is the same place. assumption: about a needle redirection.
pub const NEW_JOINT_ENTRY_MM: f64 = 10.0;

/// Share of each push into a communicating bursa that reaches the joint. assumption.
pub const BURSA_TO_JOINT_SHARE: f64 = 0.5;

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
    pub(crate) fn scaled(&self, k: f64) -> Contents {
        Contents {
            contrast_ml: self.contrast_ml * k,
            anaesthetic_ml: self.anaesthetic_ml * k,
            drug_mix_ml: self.drug_mix_ml * k,
        }
    }
    pub(crate) fn plus(&self, o: &Contents) -> Contents {
        Contents {
            contrast_ml: self.contrast_ml + o.contrast_ml,
            anaesthetic_ml: self.anaesthetic_ml + o.anaesthetic_ml,
            drug_mix_ml: self.drug_mix_ml + o.drug_mix_ml,
        }
    }
    /// As plain volumes in `Fluid` order (contrast, anaesthetic, drug mix), for `sim::spread`.
    pub fn amounts(&self) -> [f64; 3] {
        [self.contrast_ml, self.anaesthetic_ml, self.drug_mix_ml]
    }
    pub fn from_amounts(a: [f64; 3]) -> Contents {
        Contents { contrast_ml: a[0], anaesthetic_ml: a[1], drug_mix_ml: a[2] }
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
    /// At or in the iliopsoas tendon: the fluid wraps round the tendon (read as bursal).
    Peritendinous,
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

/// A depot of fluid outside the joint, at the tip where it was injected.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Pool {
    centre: DVec3,
    /// Unit vector of the needle when injected.
    normal: DVec3,
    contents: Contents,
    /// In the capsule wall (part of a mixed pattern) rather than fat or muscle.
    in_wall: bool,
    /// In muscle or nerve: the fibres it streaks along.
    #[serde(default)]
    fibre: Option<DVec3>,
}

/// Volumes by compartment (mL), for reports and the `shoot` command.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VolumeSummary {
    pub injected_ml: f64,
    pub joint_ml: f64,
    pub capsule_wall_ml: f64,
    pub extra_articular_ml: f64,
    pub bursa_ml: f64,
    /// Round the iliopsoas tendon.
    #[serde(default)]
    pub peritendinous_ml: f64,
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
            + self.peritendinous_ml
            + self.intravascular_ml
            + self.washed_out_ml
            + self.lost_outside_ml
    }
}

/// Per-patient maps the spread is drawn on, rebuilt on demand (never saved or compared).
#[derive(Clone, Debug, Default)]
struct Maps {
    joint: Option<Arc<JointMap>>,
    bursa: Option<Arc<BursaMap>>,
    tendon: Option<Arc<TendonSleeve>>,
}

impl PartialEq for Maps {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

fn supine_down() -> DVec3 {
    DVec3::Y
}

/// All fluid injected into one patient, over time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InjectionState {
    injected: Contents,
    joint: Contents,
    /// Where intra-articular fluid first entered.
    joint_origin: Option<DVec3>,
    /// Where it entered since, at least `NEW_JOINT_ENTRY_MM` from every earlier entry: the
    /// joint then fills from each (the needle redirected into another part of the joint).
    #[serde(default)]
    joint_entries_after: Vec<DVec3>,
    /// Joint fluid (mL) that has flowed away from the tip; the rest deepens the joint
    /// nearest the entries ([`JointMap::layer_reaching`]).
    #[serde(default)]
    joint_spread_ml: f64,
    bursa: Contents,
    /// Where fluid entered the bursa.
    #[serde(default)]
    bursa_entry: Option<DVec3>,
    /// Round the iliopsoas tendon, and where it went in.
    #[serde(default)]
    tendon: Contents,
    #[serde(default)]
    tendon_entry: Option<DVec3>,
    pools: Vec<Pool>,
    #[serde(default)]
    boluses: Vec<Bolus>,
    washed_out: Contents,
    lost_outside: Contents,
    /// Capsule leaks so far (mL moved from joint to an extra-articular pool).
    pub leaked_ml: f64,
    /// Time since the first injection step (s): the vascular column's clock.
    #[serde(default)]
    clock_s: f64,
    /// Which way is down in the patient (the dependent side): posterior when supine.
    #[serde(default = "supine_down")]
    down: DVec3,
    /// Contrast (mL) in each place (joint, capsule wall, pools, vessels, bursa) when the
    /// needle last moved to a new place: the pattern is read from what came since.
    #[serde(default)]
    pattern_baseline: [f64; 5],
    #[serde(skip)]
    maps: Maps,
}

impl Default for InjectionState {
    fn default() -> Self {
        InjectionState {
            injected: Contents::default(),
            joint: Contents::default(),
            joint_origin: None,
            joint_entries_after: Vec::new(),
            joint_spread_ml: 0.0,
            bursa: Contents::default(),
            bursa_entry: None,
            tendon: Contents::default(),
            tendon_entry: None,
            pools: Vec::new(),
            boluses: Vec::new(),
            washed_out: Contents::default(),
            lost_outside: Contents::default(),
            leaked_ml: 0.0,
            clock_s: 0.0,
            down: supine_down(),
            pattern_baseline: [0.0; 5],
            maps: Maps::default(),
        }
    }
}

/// Pattern classification: the shares of the contrast injected since the needle last
/// moved that decide what the image shows. One place for the reading key, the coach and
/// the assessment. All are assumptions: a radiologist's reading put as fractions.
pub mod reading {
    /// Less contrast than this (mL) shows no pattern.
    pub const MIN_CONTRAST_ML: f64 = 0.05;
    /// At least this share in vessels (or washed out of them) reads as intravascular: a
    /// streak that clears dominates what the eye follows.
    pub const VASCULAR_SHARE: f64 = 0.5;
    /// At least this share in the bursa (or round the iliopsoas tendon) reads as bursal ...
    pub const BURSA_SHARE: f64 = 0.5;
    /// ... as does a bursa holding at least `BURSA_WITH_JOINT_SHARE` when bursa and joint
    /// (a communicating bursa) together hold `BURSA_AND_JOINT_SHARE`.
    pub const BURSA_WITH_JOINT_SHARE: f64 = 0.3;
    pub const BURSA_AND_JOINT_SHARE: f64 = 0.8;
    /// At least this share in the joint reads as intra-articular (a small leak along the
    /// track does not change the reading) ...
    pub const JOINT_SHARE: f64 = 0.8;
    /// ... and at least this share, short of that, as mixed (partly intra-articular).
    pub const MIXED_JOINT_SHARE: f64 = 0.2;
}

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
        Compartment::Muscle
            if here == Tissue::IliopsoasTendon
                || (here == Tissue::Iliopsoas
                    && patient.signed_distance(Tissue::IliopsoasTendon, tip) <= soft::PERITENDINOUS_REACH_MM) =>
        {
            Site::Peritendinous
        }
        Compartment::Skin | Compartment::Fat | Compartment::Muscle => Site::ExtraArticular,
    }
}

impl InjectionState {
    /// Capsule pressure as a relative resistance: 1 when flat, rising steeply past ~10 mL.
    pub fn joint_resistance(&self) -> f64 {
        let v = self.joint.total_ml();
        if v <= CAPSULE_FLAT_ML { 1.0 } else { libm::exp((v - CAPSULE_FLAT_ML) / CAPSULE_PRESSURE_SCALE_ML) }
    }

    /// Resistance the trainee feels injecting at `site` now (relative, 1 = easy).
    pub fn resistance_at(&self, site: Site) -> f64 {
        match site {
            Site::IntraArticular | Site::PartlyIntraArticular => self.joint_resistance(),
            Site::Intraneural => 8.0,
            Site::ExtraArticular | Site::Peritendinous => 1.5,
            Site::Intravascular | Site::Bursal | Site::Outside => 1.0,
        }
    }

    /// No fluid yet, in a patient lying `position`: the dependent side is posterior when
    /// supine, anterior when prone.
    pub fn lying(position: crate::sim::anatomy::Position) -> Self {
        let down = match position {
            crate::sim::anatomy::Position::Supine => DVec3::Y,
            crate::sim::anatomy::Position::Prone => DVec3::NEG_Y,
        };
        InjectionState { down, ..Default::default() }
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
                self.add_to_pool(tip, needle.tip_direction(), &c.scaled(0.5), true, None);
            }
            Site::ExtraArticular | Site::Intraneural => {
                let here = patient.tissue_at(tip);
                let fibre = match here {
                    Tissue::Iliopsoas | Tissue::GlutealMuscles | Tissue::Muscle => {
                        Some(soft::fibre_direction(patient, tip))
                    }
                    // Fluid in a nerve runs along it.
                    t if t.is_nerve() => Some(DVec3::Z),
                    _ => None,
                };
                self.add_to_pool(tip, needle.tip_direction(), &c, false, fibre)
            }
            Site::Bursal => {
                if self.bursa_entry.is_none() {
                    self.bursa_entry = Some(tip);
                    self.maps.bursa = Some(Arc::new(BursaMap::build(patient, tip)));
                }
                if patient.params.bursa_communicates {
                    self.bursa = self.bursa.plus(&c.scaled(1.0 - BURSA_TO_JOINT_SHARE));
                    // Through the communication: the joint fills from its nearest point.
                    self.add_to_joint(patient, tip, &c.scaled(BURSA_TO_JOINT_SHARE));
                } else {
                    self.bursa = self.bursa.plus(&c);
                }
            }
            Site::Peritendinous => {
                if self.tendon_entry.is_none() {
                    self.tendon_entry = Some(tip);
                    self.maps.tendon = Some(Arc::new(TendonSleeve::build(patient, tip)));
                }
                self.tendon = self.tendon.plus(&c);
            }
            Site::Intravascular => {
                let vessel = patient.tissue_at(tip);
                let amounts = c.amounts();
                match self.boluses.iter_mut().find(|b| b.is_at(vessel, tip)) {
                    Some(b) => b.add(&amounts),
                    None => {
                        let mut b = Bolus::new(patient, vessel, tip);
                        b.add(&amounts);
                        self.boluses.push(b);
                    }
                }
            }
        }
        self.leak_if_overfull(patient);
    }

    fn add_to_joint(&mut self, patient: &Patient, at: DVec3, c: &Contents) {
        if self.joint_origin.is_none() {
            self.joint_origin = Some(at);
        } else if self.joint_entries().all(|e| (e - at).length() >= NEW_JOINT_ENTRY_MM) {
            self.joint_entries_after.push(at);
            self.maps.joint = None;
        }
        if self.maps.joint.is_none() {
            self.maps.joint = Some(Arc::new(self.build_joint_map(patient)));
        }
        self.joint = self.joint.plus(c);
    }

    /// Every point where fluid entered the joint, the first first.
    fn joint_entries(&self) -> impl Iterator<Item = DVec3> + '_ {
        self.joint_origin.iter().chain(&self.joint_entries_after).copied()
    }

    fn build_joint_map(&self, patient: &Patient) -> JointMap {
        JointMap::build_from(patient, &self.joint_entries().collect::<Vec<_>>(), self.down)
    }

    fn add_to_pool(&mut self, at: DVec3, normal: DVec3, c: &Contents, in_wall: bool, fibre: Option<DVec3>) {
        match self.pools.iter_mut().find(|p| (p.centre - at).length() < 3.0 && p.in_wall == in_wall) {
            Some(p) => p.contents = p.contents.plus(c),
            None => self.pools.push(Pool { centre: at, normal, contents: *c, in_wall, fibre }),
        }
    }

    /// Past the capsule's limit the excess leaks out at a weak point (anteroinferior
    /// capsule, toward the bursa) and pools outside the joint.
    fn leak_if_overfull(&mut self, patient: &Patient) {
        if self.joint_resistance() <= CAPSULE_LEAK_RESISTANCE {
            return;
        }
        let limit = CAPSULE_FLAT_ML + CAPSULE_PRESSURE_SCALE_ML * libm::log(CAPSULE_LEAK_RESISTANCE);
        let total = self.joint.total_ml();
        let excess = total - limit;
        if excess <= 0.0 {
            return;
        }
        let moved = self.joint.scaled(excess / total);
        self.joint = self.joint.scaled(limit / total);
        self.joint_spread_ml = self.joint_spread_ml.min(self.joint.total_ml());
        self.leaked_ml += excess;
        let r = patient.params.femoral_head_diameter_mm / 2.0 + patient.params.joint_space_width_mm + 6.0;
        let weak_point = DVec3::new(r * 0.3, -r * 0.95, -r * 0.3);
        self.add_to_pool(weak_point, DVec3::Y, &moved, false, None);
    }

    /// Let `dt` seconds pass: the joint fill spreads, vascular contrast flows downstream
    /// and out of the vessel's course.
    pub fn step(&mut self, dt: f64) {
        if dt <= 0.0 {
            return;
        }
        let total = self.joint.total_ml();
        self.joint_spread_ml += (total - self.joint_spread_ml) * (1.0 - libm::exp(-dt / JOINT_SPREAD_TAU_S));
        self.joint_spread_ml = self.joint_spread_ml.min(total);
        let now = self.clock_s;
        for b in &mut self.boluses {
            let gone = Contents::from_amounts(b.step(now, dt));
            self.washed_out = self.washed_out.plus(&gone);
        }
        self.clock_s += dt;
        let t = self.clock_s;
        self.boluses.retain(|b| !b.is_empty(t));
    }

    /// Volumes by compartment (all fluids).
    pub fn volumes(&self) -> VolumeSummary {
        VolumeSummary {
            injected_ml: self.injected.total_ml(),
            joint_ml: self.joint.total_ml(),
            capsule_wall_ml: self.pools.iter().filter(|p| p.in_wall).map(|p| p.contents.total_ml()).sum(),
            extra_articular_ml: self.pools.iter().filter(|p| !p.in_wall).map(|p| p.contents.total_ml()).sum(),
            bursa_ml: self.bursa.total_ml(),
            peritendinous_ml: self.tendon.total_ml(),
            intravascular_ml: self.in_vessels().total_ml(),
            washed_out_ml: self.washed_out.total_ml(),
            lost_outside_ml: self.lost_outside.total_ml(),
        }
    }

    fn in_vessels(&self) -> Contents {
        self.boluses.iter().fold(Contents::default(), |c, b| c.plus(&Contents::from_amounts(b.in_course(self.clock_s))))
    }

    /// What is in the joint now (drug response depends on it).
    pub fn in_joint(&self) -> Contents {
        self.joint
    }

    /// What is in the iliopsoas bursa or round its tendon now: one space for the drug's
    /// effect, since the bursa lies on the tendon and a peritendinous injection treats the
    /// same pain (Dauffenbach 2014).
    pub fn in_bursa(&self) -> Contents {
        self.bursa.plus(&self.tendon)
    }

    /// Everything injected.
    pub fn injected(&self) -> Contents {
        self.injected
    }

    /// Contrast (mL) in the joint, the capsule wall, extra-articular pools, vessels (with
    /// what washed out) and the bursa or round the tendon (both read as bursal).
    fn contrast_by_place(&self) -> [f64; 5] {
        let wall: f64 = self.pools.iter().filter(|p| p.in_wall).map(|p| p.contents.contrast_ml).sum();
        let pool: f64 = self.pools.iter().filter(|p| !p.in_wall).map(|p| p.contents.contrast_ml).sum();
        let vascular = self.in_vessels().contrast_ml + self.washed_out.contrast_ml;
        [self.joint.contrast_ml, wall, pool, vascular, self.bursa.contrast_ml + self.tendon.contrast_ml]
    }

    /// The needle has moved to a new place: from now on the pattern is read from the
    /// contrast injected there, as a radiologist reads the new push against the old
    /// stain (a redirected needle's outline is not "mixed" because of the first blob).
    pub fn rebase_pattern(&mut self) {
        self.pattern_baseline = self.contrast_by_place();
    }

    /// The pattern of the contrast injected since the needle last moved to a new place,
    /// by the shares in [`reading`].
    pub fn contrast_pattern(&self) -> ContrastPattern {
        use reading::*;
        let now = self.contrast_by_place();
        let [joint, wall, pool, vascular, bursa]: [f64; 5] =
            std::array::from_fn(|i| (now[i] - self.pattern_baseline[i]).max(0.0));
        let total = joint + wall + pool + vascular + bursa;
        if total < MIN_CONTRAST_ML {
            return ContrastPattern::None;
        }
        let share = |x: f64| x / total;
        if share(vascular) >= VASCULAR_SHARE {
            ContrastPattern::Intravascular
        } else if share(bursa) >= BURSA_SHARE
            || (bursa > 0.0 && share(bursa + joint) >= BURSA_AND_JOINT_SHARE && share(bursa) >= BURSA_WITH_JOINT_SHARE)
        {
            ContrastPattern::Bursal
        } else if share(joint) >= JOINT_SHARE {
            ContrastPattern::IntraArticular
        } else if share(joint) >= MIXED_JOINT_SHARE {
            ContrastPattern::Mixed
        } else {
            ContrastPattern::ExtraArticular
        }
    }

    /// The iodine in the patient now, as puffs the projector splats and hulls the 3D view
    /// meshes.
    pub fn contrast_field(&self, patient: &Patient) -> ContrastField {
        self.contrast_field_min_layer(patient, 1.5)
    }

    /// As [`InjectionState::contrast_field`], with display hulls at least `min_layer_mm`
    /// round: a display mesh cannot resolve a 0.3 mm film.
    pub fn contrast_field_min_layer(&self, patient: &Patient, min_layer_mm: f64) -> ContrastField {
        let mut puffs = Vec::new();
        let mut hulls = Vec::new();
        let close_group = |puffs: &Vec<IodinePuff>, from: usize, hulls: &mut Vec<ContrastBody>| {
            if let Some(h) = spread_mod::hull(&puffs[from..], min_layer_mm) {
                hulls.push(h);
            }
        };
        if let Some(origin) = self.joint_origin
            && self.joint.contrast_ml > 0.0
        {
            let from = puffs.len();
            let built;
            let map = match &self.maps.joint {
                Some(m) => m.as_ref(),
                None => {
                    built = self.build_joint_map(patient);
                    &built
                }
            };
            let total = self.joint.total_ml();
            let mg_per_ml = self.joint.iodine_mg() / total;
            // What has not yet flowed away deepens the joint nearest the entries.
            map.puffs(self.joint_spread_ml.clamp(0.0, total), total, mg_per_ml, &mut puffs);
            if puffs.len() == from {
                // A joint with no space to sample (never on the built patients): the iodine
                // stays at the tip rather than vanish from the image.
                let r = libm::cbrt(3.0 * total * 1000.0 / (4.0 * std::f64::consts::PI));
                puffs.push(IodinePuff::round(origin, (r / 1.6).max(1.0), total * mg_per_ml));
            }
            close_group(&puffs, from, &mut hulls);
        }
        if let Some(entry) = self.bursa_entry
            && self.bursa.contrast_ml > 0.0
        {
            let from = puffs.len();
            let built;
            let map = match &self.maps.bursa {
                Some(m) => m.as_ref(),
                None => {
                    built = BursaMap::build(patient, entry);
                    &built
                }
            };
            map.puffs(self.bursa.total_ml(), self.bursa.iodine_mg() / self.bursa.total_ml(), &mut puffs);
            close_group(&puffs, from, &mut hulls);
        }
        if let Some(entry) = self.tendon_entry
            && self.tendon.contrast_ml > 0.0
        {
            let from = puffs.len();
            let built;
            let map = match &self.maps.tendon {
                Some(m) => m.as_ref(),
                None => {
                    built = TendonSleeve::build(patient, entry);
                    &built
                }
            };
            map.puffs(self.tendon.total_ml(), self.tendon.iodine_mg() / self.tendon.total_ml(), &mut puffs);
            close_group(&puffs, from, &mut hulls);
        }
        for p in self.pools.iter().filter(|p| p.contents.contrast_ml > 0.0) {
            let from = puffs.len();
            let (ml, mg) = (p.contents.total_ml(), p.contents.iodine_mg());
            match (p.in_wall, p.fibre) {
                (true, _) => soft::wall_streak(patient, p.centre, ml, mg, &mut puffs),
                (false, Some(f)) => soft::muscle_streaks(p.centre, f, p.normal, ml, mg, &mut puffs),
                (false, None) => soft::cloud(p.centre, p.normal, ml, mg, &mut puffs),
            }
            close_group(&puffs, from, &mut hulls);
        }
        for b in &self.boluses {
            let from = puffs.len();
            b.puffs(self.clock_s, &mut puffs);
            close_group(&puffs, from, &mut hulls);
        }
        ContrastField::from_puffs(puffs, hulls)
    }

    /// The bursa map is built when first needed by `contrast_field`; keep it.
    pub fn prepare_maps(&mut self, patient: &Patient) {
        if let Some(entry) = self.bursa_entry
            && self.maps.bursa.is_none()
        {
            self.maps.bursa = Some(Arc::new(BursaMap::build(patient, entry)));
        }
        if let Some(entry) = self.tendon_entry
            && self.maps.tendon.is_none()
        {
            self.maps.tendon = Some(Arc::new(TendonSleeve::build(patient, entry)));
        }
        if self.joint_origin.is_some() && self.maps.joint.is_none() {
            self.maps.joint = Some(Arc::new(self.build_joint_map(patient)));
        }
    }
}
