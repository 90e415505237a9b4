//! The needle: insertion, advance and withdrawal, redirection, bevel deflection,
//! the tissues it crosses, bone contact and every approach to a structure at risk.
//!
//! The shaft follows the path the tip cut (a needle in tissue goes where its tip
//! went), so checking each tip position as it advances covers the whole shaft.

use glam::DVec3;
use serde::{Deserialize, Serialize};

use crate::sim::anatomy::{Patient, Tissue};
/// The needle as the X-ray sees it (defined by imaging, provided here).
pub use crate::sim::imaging::NeedlePath;

/// Distance (mm, needle surface to structure surface) under which an approach is a near-miss.
pub const NEAR_MISS_MM: f64 = 5.0;
/// Step (mm) at which the tip is moved and checked.
pub const STEP_MM: f64 = 0.5;
/// Depth (mm) left in the tissue when redirecting (tip back to the subcutaneous fat).
pub const REDIRECT_KEEP_MM: f64 = 8.0;

/// The needles on the tray (DOMAIN.md §4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NeedleKind {
    /// 22G Quincke spinal needle, 3.5 in (89 mm): the default.
    #[default]
    Quincke22G89,
    /// 22G Quincke, 5 in (127 mm), for large patients.
    Quincke22G127,
    /// 22G Quincke, 7 in (178 mm), for the largest patients.
    Quincke22G178,
    /// 25G for the skin wheal of local anaesthetic.
    Anaesthetic25G,
    /// 22G pencil-point (Whitacre), 89 mm: almost no deflection.
    PencilPoint22G89,
}

/// Published properties of a needle.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct NeedleSpec {
    pub label: &'static str,
    pub length_mm: f64,
    pub outer_diameter_mm: f64,
    /// Lateral deflection of the tip after 80 mm of travel in tissue (mm).
    pub deflection_at_80mm: f64,
}

impl NeedleKind {
    pub fn spec(self) -> NeedleSpec {
        match self {
            // 22G OD 0.718 mm; Quincke 8.9 mm at 80 mm in gel (Rand 2016), ≈1 mm/cm (Drummond & Scott 1980).
            NeedleKind::Quincke22G89 => NeedleSpec {
                label: "22G Quincke 89 mm",
                length_mm: 88.9,
                outer_diameter_mm: 0.718,
                deflection_at_80mm: 8.9,
            },
            NeedleKind::Quincke22G127 => NeedleSpec {
                label: "22G Quincke 127 mm",
                length_mm: 127.0,
                outer_diameter_mm: 0.718,
                deflection_at_80mm: 8.9,
            },
            // The 7-inch 22G spinal needle sold for deep blocks; same shaft and bevel.
            NeedleKind::Quincke22G178 => NeedleSpec {
                label: "22G Quincke 178 mm",
                length_mm: 177.8,
                outer_diameter_mm: 0.718,
                deflection_at_80mm: 8.9,
            },
            // 25G OD 0.515 mm; short (38 mm) skin needle. Deflection scaled as a Quincke bevel. assumption.
            NeedleKind::Anaesthetic25G => NeedleSpec {
                label: "25G 38 mm (local anaesthetic)",
                length_mm: 38.0,
                outer_diameter_mm: 0.515,
                deflection_at_80mm: 8.9,
            },
            // Pencil-point 0.7 mm at 80 mm (Rand 2016).
            NeedleKind::PencilPoint22G89 => NeedleSpec {
                label: "22G pencil-point 89 mm",
                length_mm: 88.9,
                outer_diameter_mm: 0.718,
                deflection_at_80mm: 0.7,
            },
        }
    }

    /// Path curvature (1/mm) giving the published deflection: δ = κ L² / 2.
    pub fn curvature_per_mm(self) -> f64 {
        2.0 * self.spec().deflection_at_80mm / (80.0 * 80.0)
    }
}

/// Where the tip is, as a trainee (and the injection) needs to know it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Compartment {
    OutsidePatient,
    Skin,
    Fat,
    Muscle,
    CapsuleWall,
    JointSpace,
    Cartilage,
    BoneSurface,
    Bursa,
    VesselLumen,
    Nerve,
}

/// Felt resistance to advancing, 0–1, by tissue: that of its compartment, but for the two
/// tissues that feel unlike their compartment. assumption: relative values for the gauge.
pub fn resistance(t: Tissue) -> f64 {
    match t {
        // Dense collagen, in the muscle's compartment.
        Tissue::IliopsoasTendon => 0.6,
        // Gritty plaque in the artery's wall, filed as perivascular soft tissue.
        Tissue::ArterialCalcification => 0.9,
        _ => match compartment_of(t) {
            Compartment::OutsidePatient => 0.0,
            Compartment::Skin => 0.7,
            Compartment::Fat => 0.15,
            Compartment::Muscle => 0.35,
            Compartment::CapsuleWall => 0.8,
            Compartment::JointSpace | Compartment::Bursa => 0.1,
            Compartment::Cartilage => 0.6,
            Compartment::BoneSurface => 1.0,
            Compartment::VesselLumen => 0.2,
            Compartment::Nerve => 0.5,
        },
    }
}

/// Something the needle did that the trainee should know about.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "needle_event", rename_all = "snake_case")]
pub enum NeedleEvent {
    /// The tip met bone and stopped: the bony end-point.
    BonyEndpoint { tissue: Tissue, depth_mm: f64 },
    /// Felt loss of resistance through the capsule into the joint.
    CapsulePop { depth_mm: f64 },
    /// The needle passed within [`NEAR_MISS_MM`] of a structure at risk.
    NearMiss { structure: Tissue, distance_mm: f64 },
    /// The needle touched or entered a structure at risk.
    Hit { structure: Tissue },
    /// Arterial or venous puncture: blood in the hub.
    BloodInHub { structure: Tissue },
    /// Nerve contact: the patient feels a shooting pain.
    Paraesthesia { structure: Tissue },
    /// The needle is in as far as it goes.
    FullyInserted,
}

/// Closest approach ever made to one structure at risk.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Approach {
    pub structure: Tissue,
    pub closest_mm: f64,
}

/// The needle in the patient.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Needle {
    pub kind: NeedleKind,
    /// Skin entry point.
    pub entry: DVec3,
    /// Path from the entry to the tip, at [`STEP_MM`] spacing.
    path: Vec<DVec3>,
    /// Unit direction of the tip.
    tip_dir: DVec3,
    /// Bevel orientation (deg) about the needle axis; 0 puts the curve toward patient +z.
    pub bevel_deg: f64,
    /// Number of times the needle was drawn back and re-aimed.
    pub redirections: u32,
    /// Passes through the skin.
    pub passes: u32,
    /// Length of new tissue the tip has cut (mm), over all passes.
    pub path_in_tissue_mm: f64,
    pub blood_in_hub: bool,
    in_near: Vec<Tissue>,
    hit: Vec<Tissue>,
    bone_contact: bool,
    closest: Vec<Approach>,
}

impl Needle {
    /// Put the needle tip on the skin at `entry`, aimed along `direction`.
    pub fn insert(kind: NeedleKind, entry: DVec3, direction: DVec3) -> Needle {
        Needle {
            kind,
            entry,
            path: vec![entry],
            tip_dir: direction.normalize(),
            bevel_deg: 0.0,
            redirections: 0,
            passes: 1,
            path_in_tissue_mm: 0.0,
            blood_in_hub: false,
            in_near: Vec::new(),
            hit: Vec::new(),
            bone_contact: false,
            closest: Vec::new(),
        }
    }

    pub fn tip(&self) -> DVec3 {
        *self.path.last().expect("a needle path always has its entry point")
    }

    pub fn tip_direction(&self) -> DVec3 {
        self.tip_dir
    }

    /// Inserted length (mm).
    pub fn depth_mm(&self) -> f64 {
        (self.path.len() - 1) as f64 * STEP_MM
    }

    pub fn in_bone_contact(&self) -> bool {
        self.bone_contact
    }

    /// Closest approach to each structure at risk so far.
    pub fn closest_approaches(&self) -> &[Approach] {
        &self.closest
    }

    /// The whole needle as drawn: the part outside the skin (straight, along the
    /// first segment) then the path in tissue to the tip.
    pub fn drawn_path(&self) -> NeedlePath {
        let spec = self.kind.spec();
        let outside = (spec.length_mm - self.depth_mm()).max(0.0);
        let first_dir = if self.path.len() > 1 { (self.path[1] - self.path[0]).normalize() } else { self.tip_dir };
        let hub = self.entry - first_dir * outside;
        let mut points = vec![hub];
        // Thin the path for drawing: every 4th point (2 mm) and the tip.
        points.extend(self.path.iter().step_by(4).copied());
        if self.path.len() % 4 != 1 {
            points.push(self.tip());
        }
        NeedlePath { points, radius_mm: spec.outer_diameter_mm / 2.0 }
    }

    fn bend_direction(&self) -> DVec3 {
        // A perpendicular to the tip direction, turned by the bevel angle about it.
        let reference = if self.tip_dir.z.abs() < 0.9 { DVec3::Z } else { DVec3::X };
        let u = (reference - self.tip_dir * reference.dot(self.tip_dir)).normalize();
        let v = self.tip_dir.cross(u);
        let a = self.bevel_deg.to_radians();
        u * libm::cos(a) + v * libm::sin(a)
    }

    /// Advance the tip by `mm`, stopping at bone, at the needle's length, or where it enters
    /// a structure at risk (blood in the hub, paraesthesia: the hand stops).
    pub fn advance(&mut self, patient: &Patient, mm: f64, time_s: f64) -> Vec<(f64, NeedleEvent)> {
        self.advance_with(patient, mm, time_s, self.kind.curvature_per_mm(), true)
    }

    /// Instructor placement: straight (no deflection) from the current tip to `tip`.
    pub fn place_straight(&mut self, patient: &Patient, tip: DVec3, time_s: f64) -> Vec<NeedleEvent> {
        self.reaim(tip);
        let mm = (tip - self.tip()).length();
        self.advance_with(patient, mm, time_s, 0.0, false).into_iter().map(|(_, e)| e).collect()
    }

    /// Aim the tip at `target` without moving it.
    pub fn reaim(&mut self, target: DVec3) {
        let dir = target - self.tip();
        if dir.length_squared() > 1e-9 {
            self.tip_dir = dir.normalize();
        }
    }

    /// `stop_at_hit`: a trainee's hand stops when the needle enters a structure at risk;
    /// an instructor's placement goes where it was told.
    fn advance_with(
        &mut self,
        patient: &Patient,
        mm: f64,
        time_s: f64,
        kappa: f64,
        stop_at_hit: bool,
    ) -> Vec<(f64, NeedleEvent)> {
        let mut events = Vec::new();
        let steps = (mm / STEP_MM).round() as usize;
        let radius = self.kind.spec().outer_diameter_mm / 2.0;
        let mut stopping = false;
        for _ in 0..steps {
            if self.depth_mm() + STEP_MM > self.kind.spec().length_mm + 1e-9 {
                events.push((time_s, NeedleEvent::FullyInserted));
                break;
            }
            let here = self.tip();
            let in_tissue = patient.tissue_at(here) != Tissue::Air;
            let mut dir = self.tip_dir;
            if in_tissue {
                dir = (dir + self.bend_direction() * (kappa * STEP_MM)).normalize();
            }
            let next = here + dir * STEP_MM;
            let next_tissue = patient.tissue_at(next);
            if next_tissue.is_bone() {
                if !self.bone_contact {
                    self.bone_contact = true;
                    events.push((time_s, NeedleEvent::BonyEndpoint { tissue: next_tissue, depth_mm: self.depth_mm() }));
                }
                break;
            }
            let here_tissue = patient.tissue_at(here);
            self.tip_dir = dir;
            self.path.push(next);
            if next_tissue != Tissue::Air {
                self.path_in_tissue_mm += STEP_MM;
            }
            if matches!(here_tissue, Tissue::CapsuleWall | Tissue::ZonaOrbicularis) && next_tissue == Tissue::JointSpace
            {
                events.push((time_s, NeedleEvent::CapsulePop { depth_mm: self.depth_mm() }));
            }
            let before = events.len();
            self.check_structures(patient, next, radius, time_s, &mut events);
            // A hit (blood in the hub, paraesthesia) stops the hand one step later, the tip
            // just inside the structure: the advance ends there.
            if stop_at_hit {
                if stopping {
                    break;
                }
                stopping = events[before..].iter().any(|(_, e)| matches!(e, NeedleEvent::Hit { .. }));
            }
        }
        events
    }

    fn check_structures(
        &mut self,
        patient: &Patient,
        p: DVec3,
        radius: f64,
        time_s: f64,
        events: &mut Vec<(f64, NeedleEvent)>,
    ) {
        for s in Tissue::ALL.into_iter().filter(|t| t.is_at_risk()) {
            let d = patient.signed_distance(s, p) - radius;
            match self.closest.iter_mut().find(|a| a.structure == s) {
                Some(a) => a.closest_mm = a.closest_mm.min(d),
                None => self.closest.push(Approach { structure: s, closest_mm: d }),
            }
            if d <= 0.0 {
                if !self.hit.contains(&s) {
                    self.hit.push(s);
                    events.push((time_s, NeedleEvent::Hit { structure: s }));
                    if s.is_vessel() {
                        self.blood_in_hub = true;
                        events.push((time_s, NeedleEvent::BloodInHub { structure: s }));
                    } else if s.is_nerve() {
                        events.push((time_s, NeedleEvent::Paraesthesia { structure: s }));
                    }
                }
            } else if d < NEAR_MISS_MM {
                if !self.in_near.contains(&s) {
                    self.in_near.push(s);
                    events.push((time_s, NeedleEvent::NearMiss { structure: s, distance_mm: d }));
                } else if let Some((_, NeedleEvent::NearMiss { distance_mm, .. })) = events
                    .iter_mut()
                    .rev()
                    .find(|(_, e)| matches!(e, NeedleEvent::NearMiss { structure, .. } if *structure == s))
                {
                    // Report the closest distance of this approach.
                    *distance_mm = distance_mm.min(d);
                }
            } else if d > NEAR_MISS_MM + 1.0 {
                // Far again: a later approach is a new near-miss.
                self.in_near.retain(|&t| t != s);
            }
        }
    }

    /// Draw the tip back by `mm` along its path (never out of the skin).
    pub fn withdraw(&mut self, mm: f64) {
        let steps = (mm / STEP_MM).round() as usize;
        let keep = self.path.len().saturating_sub(steps).max(1);
        if keep < self.path.len() {
            self.bone_contact = false;
        }
        self.path.truncate(keep);
        if self.path.len() >= 2 {
            let n = self.path.len();
            self.tip_dir = (self.path[n - 1] - self.path[n - 2]).normalize();
        }
    }

    /// Withdraw by `withdraw_mm` (default: back to the subcutaneous tissue) and re-aim
    /// toward `toward`: one redirection.
    pub fn redirect(&mut self, toward: DVec3, withdraw_mm: Option<f64>) {
        let back = withdraw_mm.unwrap_or((self.depth_mm() - REDIRECT_KEEP_MM).max(0.0));
        self.withdraw(back);
        self.reaim(toward);
        self.redirections += 1;
    }

    /// Bevel steering: turn the bevel so the tip's curve bends toward `target`
    /// (nothing changes when the tip already points at it).
    pub fn steer_toward(&mut self, target: DVec3) {
        let to = target - self.tip();
        let off = to - self.tip_dir * to.dot(self.tip_dir);
        if off.length() < 0.2 {
            return;
        }
        let reference = if self.tip_dir.z.abs() < 0.9 { DVec3::Z } else { DVec3::X };
        let u = (reference - self.tip_dir * reference.dot(self.tip_dir)).normalize();
        let v = self.tip_dir.cross(u);
        self.bevel_deg = libm::atan2(off.dot(v), off.dot(u)).to_degrees().rem_euclid(360.0);
    }

    /// Turn the bevel by `deg` (the curve of later advances turns with it).
    pub fn rotate_bevel(&mut self, deg: f64) {
        self.bevel_deg = (self.bevel_deg + deg).rem_euclid(360.0);
    }

    /// Where the tip is, for the trainee and the injection.
    pub fn compartment(&self, patient: &Patient) -> Compartment {
        let tip = self.tip();
        let t = patient.tissue_at(tip);
        if self.bone_contact || t.is_bone() {
            return Compartment::BoneSurface;
        }
        compartment_of(t)
    }
}

/// The compartment a tissue belongs to.
pub fn compartment_of(t: Tissue) -> Compartment {
    match t {
        Tissue::Air => Compartment::OutsidePatient,
        Tissue::Skin => Compartment::Skin,
        Tissue::Fat => Compartment::Fat,
        Tissue::Muscle | Tissue::Iliopsoas | Tissue::IliopsoasTendon | Tissue::GlutealMuscles => Compartment::Muscle,
        Tissue::CapsuleWall | Tissue::ZonaOrbicularis => Compartment::CapsuleWall,
        Tissue::JointSpace => Compartment::JointSpace,
        Tissue::FemoralCartilage | Tissue::AcetabularCartilage => Compartment::Cartilage,
        Tissue::IliopsoasBursa => Compartment::Bursa,
        // The artery's calcified wall, outside its lumen: perivascular soft tissue.
        Tissue::ArterialCalcification => Compartment::Fat,
        Tissue::FemoralMarrow
        | Tissue::Trabeculae
        | Tissue::NeckTrabeculae
        | Tissue::FemoralHeadCancellous
        | Tissue::FemurCancellous
        | Tissue::PelvisCancellous
        | Tissue::FemurCortical
        | Tissue::PelvisCortical => Compartment::BoneSurface,
        Tissue::FemoralArtery | Tissue::FemoralVein | Tissue::LateralCircumflexBranch | Tissue::ProfundaFemoris => {
            Compartment::VesselLumen
        }
        Tissue::FemoralNerve | Tissue::LateralFemoralCutaneousNerve | Tissue::SciaticNerve => Compartment::Nerve,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every tissue is filed where its kind says: only nerves are intraneural, only bone stops
    /// the needle, only vessels are a lumen; the calcified arterial wall is none of these (a
    /// tip there is perivascular, not in a nerve, as a catch-all once filed it).
    #[test]
    fn each_tissue_has_the_compartment_and_feel_of_its_kind() {
        for t in Tissue::ALL {
            let c = compartment_of(t);
            assert_eq!(c == Compartment::Nerve, t.is_nerve(), "{t:?}");
            assert_eq!(c == Compartment::BoneSurface, t.is_bone(), "{t:?}");
            assert_eq!(c == Compartment::VesselLumen, t.is_vessel(), "{t:?}");
            assert!(resistance(t) > 0.0, "{t:?} feels like air");
        }
        assert_eq!(compartment_of(Tissue::ArterialCalcification), Compartment::Fat);
    }
}
