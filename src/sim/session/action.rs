//! What a trainee can do: the action vocabulary of scripts, logs and both front ends
//! (docs/ACTIONS.md), with its validation and plain-words summaries.

use glam::DVec3;
use serde::{Deserialize, Serialize};

use crate::sim::anatomy::{LandmarkName, Patient, Position};
use crate::sim::imaging::{ImagingSettings, SettingError};
use crate::sim::injection::ContrastPattern;
use crate::sim::injection::Fluid;
use crate::sim::needle::NeedleKind;
use crate::sim::procedure::{ProvocationTest, ReadingAnswer};

/// Simulated time each kind of action takes (s). assumption: workshop-realistic pacing.
pub mod pace {
    /// Needle travel speed while advancing or withdrawing (mm/s).
    pub const NEEDLE_MM_PER_S: f64 = 5.0;
    pub const INSERT_S: f64 = 5.0;
    pub const REDIRECT_S: f64 = 4.0;
    pub const MOVE_C_ARM_S: f64 = 6.0;
    pub const SETTINGS_S: f64 = 1.0;
    pub const BEVEL_S: f64 = 1.0;
    /// Default injection rate (mL/s).
    pub const INJECT_ML_PER_S: f64 = 0.5;
    /// Injection is simulated in slices of this length (s).
    pub const INJECTION_STEP_S: f64 = 1.0 / 60.0;
    /// Frames during an injection under fluoroscopy, by default (s): 4 a second, a
    /// typical low pulse rate for watching contrast (assumption).
    pub const LIVE_FRAME_EVERY_S: f64 = 0.25;
    pub const CONSENT_S: f64 = 120.0;
    pub const IV_ACCESS_S: f64 = 180.0;
    pub const TIME_OUT_S: f64 = 60.0;
    pub const POSITIONING_S: f64 = 120.0;
    pub const ROTATE_LEG_S: f64 = 15.0;
    pub const MARK_PULSE_S: f64 = 20.0;
    pub const SKIN_PREP_S: f64 = 120.0;
    pub const READ_S: f64 = 10.0;
    pub const RECORD_DOSE_S: f64 = 20.0;
    pub const PROVOCATION_S: f64 = 60.0;
    pub const DISCHARGE_S: f64 = 60.0;
}

/// A point in the patient: coordinates, or a named landmark with an offset.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PointRef {
    /// Patient coordinates (mm).
    Xyz([f64; 3]),
    /// A landmark, moved by `offset_mm` (patient axes: +x medial, +y posterior, +z superior).
    Landmark {
        landmark: LandmarkName,
        #[serde(default)]
        offset_mm: [f64; 3],
    },
}

impl PointRef {
    pub fn landmark(name: LandmarkName) -> Self {
        PointRef::Landmark { landmark: name, offset_mm: [0.0; 3] }
    }
    pub fn resolve(&self, patient: &Patient) -> DVec3 {
        match *self {
            PointRef::Xyz(p) => DVec3::from_array(p),
            PointRef::Landmark { landmark, offset_mm } => {
                patient.landmarks.get(landmark) + DVec3::from_array(offset_mm)
            }
        }
    }
}

/// Something the trainee does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// Let simulated time pass.
    Wait { seconds: f64 },
    /// Take a needle from the tray for the next insertion.
    SelectNeedle { needle: NeedleKind },
    /// Pierce the skin at `entry`, aimed at `toward`.
    InsertNeedle { entry: PointRef, toward: PointRef },
    /// Instructor placement: a straight needle from `entry` with its tip at `tip`
    /// (teaching images); contacts are checked along the way as for an advance.
    PlaceNeedle { entry: PointRef, tip: PointRef },
    /// Push the needle in by `mm`.
    Advance { mm: f64 },
    /// Push the needle in 1 mm at a time until `stop` (bone by default), at most `max_mm`;
    /// with `steer_toward`, turn the bevel as it goes so the curve bends toward that point;
    /// with `image_every_mm`, take a 1 s fluoroscopy shot after each such stretch of
    /// advance (intermittent fluoroscopy) and when it stops.
    AdvanceUntil {
        #[serde(default)]
        stop: StopAt,
        max_mm: f64,
        #[serde(default)]
        steer_toward: Option<PointRef>,
        #[serde(default)]
        image_every_mm: Option<f64>,
        /// What to do when the needle enters a nerve or vessel: stop (the default), or
        /// withdraw and redirect away from it as an expert does (at most twice).
        #[serde(default)]
        on_contact: OnContact,
    },
    /// Take the 22G spinal needle long enough for this patient's skin-to-target depth
    /// (89 mm, or 127 mm when the 89 mm needle would not reach with 10 mm to spare).
    SelectNeedleForDepth,
    /// Draw the needle back by `mm`.
    Withdraw { mm: f64 },
    /// Draw back (by `withdraw_mm`, or to the subcutaneous tissue) and re-aim at `toward`.
    Redirect {
        toward: PointRef,
        #[serde(default)]
        withdraw_mm: Option<f64>,
    },
    /// Turn the bevel about the needle's axis.
    RotateBevel { deg: f64 },
    /// Take the needle out.
    RemoveNeedle,
    /// Move the C-arm.
    SetCArm {
        lao_deg: f64,
        cranial_deg: f64,
        #[serde(default)]
        isocentre: Option<PointRef>,
    },
    /// Change field, collimation, pulse rate, display.
    SetImaging { settings: ImagingSettings },
    /// Step on the pedal for `seconds`; the last frame stays on the monitor.
    Fluoro { seconds: f64 },
    /// Inject `volume_ml` of `fluid` through the needle at `rate_ml_s`.
    Inject {
        fluid: Fluid,
        volume_ml: f64,
        #[serde(default)]
        rate_ml_s: Option<f64>,
    },
    /// Inject as `Inject` with the pedal held: a frame every `frame_every_s` during the
    /// push and one at its end, so the spread is seen developing (live injection). The
    /// fluoroscopy time is the push's duration.
    InjectUnderFluoro {
        fluid: Fluid,
        volume_ml: f64,
        #[serde(default)]
        rate_ml_s: Option<f64>,
        #[serde(default)]
        frame_every_s: Option<f64>,
    },
    /// Confirm identity and take consent (infection, bleeding, allergy, steroid flare, fainting).
    Consent,
    /// Place an IV line, with or without sedation (optional).
    IvAccess {
        #[serde(default)]
        sedation: bool,
    },
    /// Time-out: right patient, right side, right procedure; mark the site.
    TimeOut,
    /// Put the patient on the table.
    Position { position: Position },
    /// Turn the leg about its long axis (degrees, internal positive: the foot turned in);
    /// the supine set-up wants 10-15° internal. Only before a needle goes in.
    RotateLeg { internal_deg: f64 },
    /// Palpate and mark the femoral pulse at a point on the skin.
    MarkPulse { at: PointRef },
    /// Antiseptic skin preparation and drape.
    SkinPrep,
    /// Say which contrast pattern the image shows.
    ReadContrast { pattern: ContrastPattern },
    /// Write down fluoroscopy time and dose.
    RecordDose,
    /// Let the patient rest (simulated clock; skippable in one step).
    Rest { minutes: f64 },
    /// Move the hip to provoke the pain; the patient reports it 0–10.
    Provocation {
        #[serde(default)]
        test: ProvocationTest,
    },
    /// Read the diagnostic block.
    DiagnosticReading { reading: ReadingAnswer },
    /// Give discharge advice.
    DischargeAdvice,
}

fn check(field: &'static str, value: f64, min: f64, max: f64) -> Result<(), ActionError> {
    if value.is_finite() && value >= min && value <= max {
        Ok(())
    } else {
        Err(ActionError::OutOfRange { field, value, min, max })
    }
}

/// How far from the origin a point may lie (mm, each coordinate). assumption: a metre
/// around the hip holds the table, the C-arm and every sensible aim.
pub const MAX_POINT_MM: f64 = 1000.0;
/// How far a landmark may be moved (mm, each axis). assumption: beyond this it is no
/// longer "near" the landmark.
pub const MAX_OFFSET_MM: f64 = 200.0;

impl PointRef {
    fn validate(&self, field: &'static str) -> Result<(), ActionError> {
        let (values, limit) = match self {
            PointRef::Xyz(p) => (p, MAX_POINT_MM),
            PointRef::Landmark { offset_mm, .. } => (offset_mm, MAX_OFFSET_MM),
        };
        values.iter().try_for_each(|v| check(field, *v, -limit, limit))
    }

    /// In words: the landmark's name, or "a chosen point".
    pub fn describe(&self) -> String {
        match self {
            PointRef::Xyz(_) => "a chosen point".into(),
            PointRef::Landmark { landmark, offset_mm } => {
                let name = landmark.as_str().replace('_', " ");
                if offset_mm.iter().all(|v| *v == 0.0) { name } else { format!("near the {name}") }
            }
        }
    }
}

impl Action {
    /// What the action does, in a few words (the replay's caption).
    pub fn summary(&self) -> String {
        let fluid = |f: &Fluid| match f {
            Fluid::Contrast => "contrast",
            Fluid::LocalAnaesthetic => "local anaesthetic",
            Fluid::DrugMix => "anaesthetic and steroid",
        };
        match self {
            Action::Wait { seconds } => format!("wait {seconds:.0} s"),
            Action::SelectNeedle { needle } => format!("take the {}", needle.spec().label),
            Action::InsertNeedle { entry, toward } => {
                format!("needle through the skin at {}, aimed at {}", entry.describe(), toward.describe())
            }
            Action::PlaceNeedle { entry, tip } => {
                format!("needle placed from {} to {}", entry.describe(), tip.describe())
            }
            Action::Advance { mm } => format!("advance {mm:.0} mm"),
            Action::AdvanceUntil { stop, max_mm, image_every_mm, .. } => format!(
                "advance until {} (at most {max_mm:.0} mm{})",
                match stop {
                    StopAt::Bone => "bone",
                    StopAt::Blood => "blood",
                    StopAt::CapsulePop => "the capsule pops",
                },
                image_every_mm.map(|mm| format!(", a shot every {mm:.0} mm")).unwrap_or_default()
            ),
            Action::SelectNeedleForDepth => "take the spinal needle long enough for this patient".into(),
            Action::Withdraw { mm } => format!("withdraw {mm:.0} mm"),
            Action::Redirect { toward, .. } => format!("redirect toward {}", toward.describe()),
            Action::RotateBevel { deg } => format!("turn the bevel {deg:.0} deg"),
            Action::RemoveNeedle => "needle out".into(),
            Action::SetCArm { lao_deg, cranial_deg, .. } => format!(
                "C-arm to {} {:.0} deg, {} {:.0} deg",
                if *lao_deg >= 0.0 { "LAO" } else { "RAO" },
                lao_deg.abs(),
                if *cranial_deg >= 0.0 { "cranial" } else { "caudal" },
                cranial_deg.abs()
            ),
            Action::SetImaging { .. } => "change the imaging settings".into(),
            Action::Fluoro { seconds } => format!("fluoroscopy {seconds:.1} s"),
            Action::Inject { fluid: f, volume_ml, .. } => format!("inject {volume_ml:.1} ml {}", fluid(f)),
            Action::InjectUnderFluoro { fluid: f, volume_ml, .. } => {
                format!("inject {volume_ml:.1} ml {} under fluoroscopy", fluid(f))
            }
            Action::Consent => "identity and consent".into(),
            Action::IvAccess { sedation } => {
                if *sedation {
                    "IV line, with sedation".into()
                } else {
                    "IV line".into()
                }
            }
            Action::TimeOut => "time-out".into(),
            Action::Position { position } => match position {
                Position::Supine => "patient supine".into(),
                Position::Prone => "patient prone".into(),
            },
            Action::RotateLeg { internal_deg } => match *internal_deg {
                d if d >= 0.5 => format!("foot turned in {d:.0} deg"),
                d if d <= -0.5 => format!("foot turned out {:.0} deg", -d),
                _ => "foot straight up (neutral rotation)".into(),
            },
            Action::MarkPulse { at } => format!("femoral pulse marked at {}", at.describe()),
            Action::SkinPrep => "antiseptic prep and drape".into(),
            Action::ReadContrast { pattern } => format!("contrast read as {}", pattern.as_str().replace('_', "-")),
            Action::RecordDose => "dose recorded".into(),
            Action::Rest { minutes } => format!("rest {minutes:.0} min"),
            Action::Provocation { test } => format!(
                "provocation test ({})",
                match test {
                    ProvocationTest::Faber => "FABER",
                    ProvocationTest::InternalRotationOverpressure => "internal rotation overpressure",
                }
            ),
            Action::DiagnosticReading { reading } => format!("block read as {reading:?}").to_lowercase(),
            Action::DischargeAdvice => "discharge advice".into(),
        }
    }

    /// Check every value against its range (points included); `apply` refuses what fails,
    /// and scripts and logs are checked with it when they are loaded.
    pub fn validate(&self) -> Result<(), ActionError> {
        match self {
            Action::InsertNeedle { entry, toward } => {
                entry.validate("entry")?;
                toward.validate("toward")
            }
            Action::PlaceNeedle { entry, tip } => {
                entry.validate("entry")?;
                tip.validate("tip")
            }
            Action::MarkPulse { at } => at.validate("at"),
            Action::Redirect { toward, withdraw_mm } => {
                toward.validate("toward")?;
                match withdraw_mm {
                    Some(mm) => check("withdraw_mm", *mm, 0.0, 200.0),
                    None => Ok(()),
                }
            }
            Action::Wait { seconds } => check("seconds", *seconds, 0.0, 3600.0),
            Action::Advance { mm } | Action::Withdraw { mm } => check("mm", *mm, 0.0, 200.0),
            Action::AdvanceUntil { max_mm, image_every_mm, steer_toward, .. } => {
                check("max_mm", *max_mm, 0.0, 200.0)?;
                if let Some(p) = steer_toward {
                    p.validate("steer_toward")?;
                }
                match image_every_mm {
                    Some(mm) => check("image_every_mm", *mm, 2.0, 200.0),
                    None => Ok(()),
                }
            }
            Action::RotateBevel { deg } => check("deg", *deg, -360.0, 360.0),
            Action::SetCArm { lao_deg, cranial_deg, isocentre } => {
                if let Some(p) = isocentre {
                    p.validate("isocentre")?;
                }
                check(
                    "lao_deg",
                    *lao_deg,
                    -crate::sim::imaging::geometry::MAX_LAO_DEG,
                    crate::sim::imaging::geometry::MAX_LAO_DEG,
                )?;
                check(
                    "cranial_deg",
                    *cranial_deg,
                    -crate::sim::imaging::geometry::MAX_CRANIAL_DEG,
                    crate::sim::imaging::geometry::MAX_CRANIAL_DEG,
                )
            }
            Action::SetImaging { settings } => settings.validate().map_err(ActionError::Setting),
            Action::Fluoro { seconds } => check("seconds", *seconds, 0.05, 60.0),
            Action::Inject { volume_ml, rate_ml_s, .. } => {
                check("volume_ml", *volume_ml, 0.0, 30.0)?;
                check("rate_ml_s", rate_ml_s.unwrap_or(pace::INJECT_ML_PER_S), 0.05, 5.0)
            }
            Action::InjectUnderFluoro { volume_ml, rate_ml_s, frame_every_s, .. } => {
                check("volume_ml", *volume_ml, 0.0, 30.0)?;
                check("rate_ml_s", rate_ml_s.unwrap_or(pace::INJECT_ML_PER_S), 0.05, 5.0)?;
                check("frame_every_s", frame_every_s.unwrap_or(pace::LIVE_FRAME_EVERY_S), 1.0 / 30.0, 10.0)
            }
            Action::Rest { minutes } => check("minutes", *minutes, 0.0, 60.0),
            Action::RotateLeg { internal_deg } => {
                let r = crate::sim::anatomy::params::table::LEG_ROTATION_DEG;
                check("internal_deg", *internal_deg, r.min, r.max)
            }
            _ => Ok(()),
        }
    }
}

impl Action {
    /// What only the patient can tell: a needle aimed at its own entry point has no
    /// direction to go (the points are checked for range by [`Action::validate`]).
    pub fn check_on(&self, patient: &Patient) -> Result<(), ActionError> {
        let (entry, aim, field) = match self {
            Action::InsertNeedle { entry, toward } => (entry, toward, "toward"),
            Action::PlaceNeedle { entry, tip } => (entry, tip, "tip"),
            _ => return Ok(()),
        };
        match (aim.resolve(patient) - entry.resolve(patient)).try_normalize() {
            Some(_) => Ok(()),
            None => Err(ActionError::NoDirection { field }),
        }
    }
}

/// What an [`Action::AdvanceUntil`] does when the needle enters a nerve or a vessel
/// (blood in the hub, paraesthesia).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnContact {
    /// The hand stops there.
    #[default]
    Stop,
    /// Withdraw [`CONTACT_WITHDRAW_MM`], re-aim [`CONTACT_SIDESTEP_MM`] away from the
    /// structure, and go on (at most [`CONTACT_REDIRECTS`] times; then stop).
    Redirect,
}

/// How far an `on_contact: redirect` withdraws (mm). assumption.
pub const CONTACT_WITHDRAW_MM: f64 = 5.0;
/// How far from the structure it re-aims (mm). assumption.
pub const CONTACT_SIDESTEP_MM: f64 = 5.0;
/// How many times it redirects before stopping.
pub const CONTACT_REDIRECTS: u32 = 2;

/// What ends an [`Action::AdvanceUntil`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopAt {
    /// The bony end-point.
    #[default]
    Bone,
    /// Blood in the hub.
    Blood,
    /// The felt pop through the capsule.
    CapsulePop,
}

/// An action the session refused; nothing changed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ActionError {
    #[error("`{field}` = {value} is outside {min}..={max}")]
    OutOfRange { field: &'static str, value: f64, min: f64, max: f64 },
    #[error(transparent)]
    Setting(SettingError),
    #[error("`{field}` is the entry point itself: the needle has no direction to go")]
    NoDirection { field: &'static str },
    #[error("the leg cannot be turned now: {why}")]
    LegFixed { why: &'static str },
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by tests/fuzz.rs: entry and aim at one point gave the needle a NaN direction.
    #[test]
    fn a_needle_aimed_at_its_own_entry_is_refused_and_changes_nothing() {
        let mut s = crate::sim::Session::new(crate::sim::Scenario::default(), 1).unwrap();
        let p = PointRef::landmark(LandmarkName::Target);
        let e = s.apply(Action::InsertNeedle { entry: p, toward: p }).unwrap_err().to_string();
        assert!(e.contains("`toward` is the entry point"), "{e}");
        let e = s.apply(Action::PlaceNeedle { entry: p, tip: p }).unwrap_err().to_string();
        assert!(e.contains("`tip` is the entry point"), "{e}");
        assert_eq!(s.action_count(), 0);
        assert!(s.state().needle.is_none() && s.state().events.is_empty());
    }

    /// The replay captions each action in words, never as a data structure.
    #[test]
    fn every_scripted_action_has_a_plain_summary() {
        let scripts = [
            crate::sim::assessment::EXPERT_ANTERIOR,
            crate::sim::assessment::EXPERT_PRONE,
            include_str!("../../../assets/scripts/novice_femoral_artery.ron"),
            include_str!("../../../assets/scripts/demo_scene.ron"),
        ];
        let mut seen = std::collections::BTreeSet::new();
        for text in scripts {
            let actions: Vec<Action> = ron::from_str(text).unwrap();
            for a in actions {
                let s = a.summary();
                assert!(!s.is_empty() && s.is_ascii() && !s.contains('{'), "{a:?} -> {s:?}");
                seen.insert(s);
            }
        }
        assert!(seen.len() > 20, "summaries should tell actions apart: {seen:?}");
        assert_eq!(Action::Advance { mm: 5.0 }.summary(), "advance 5 mm");
        assert_eq!(
            Action::Inject { fluid: Fluid::Contrast, volume_ml: 2.0, rate_ml_s: None }.summary(),
            "inject 2.0 ml contrast"
        );
    }
}
