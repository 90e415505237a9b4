//! The one entry point both front ends drive: a session on one synthetic patient.
//!
//! `Session::new(scenario, seed)`, then `apply(action)` for every thing the trainee
//! does; `state()` to draw it; `log()` to save it. The simulated clock advances
//! only by actions, never by wall time, so a log replays to the same state.

use glam::DVec3;
use serde::{Deserialize, Serialize};

use super::anatomy::{LandmarkName, ParamRangeError, Patient, Tissue};
use super::imaging::{CArmPose, Dose, Fluoroscope, ImagingSettings, Radiopaque, SettingError};
use super::injection::{ContrastPattern, Fluid, InjectionState, Site, VolumeSummary, site_at};
use super::needle::{Compartment, Needle, NeedleEvent, NeedleKind};
use super::procedure::{self, DrugDelivery, PainProfile, ProvocationTest, Reading, ReadingAnswer, Step};
use super::scenario::{Position, Scenario};

/// Version of the action-log format.
pub const LOG_VERSION: u32 = 1;

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
    pub const CONSENT_S: f64 = 120.0;
    pub const IV_ACCESS_S: f64 = 180.0;
    pub const TIME_OUT_S: f64 = 60.0;
    pub const POSITIONING_S: f64 = 120.0;
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

impl PointRef {
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

    fn validate(&self) -> Result<(), ActionError> {
        match self {
            Action::Wait { seconds } => check("seconds", *seconds, 0.0, 3600.0),
            Action::Advance { mm } | Action::Withdraw { mm } => check("mm", *mm, 0.0, 200.0),
            Action::AdvanceUntil { max_mm, image_every_mm, .. } => {
                check("max_mm", *max_mm, 0.0, 200.0)?;
                match image_every_mm {
                    Some(mm) => check("image_every_mm", *mm, 2.0, 200.0),
                    None => Ok(()),
                }
            }
            Action::Redirect { withdraw_mm: Some(mm), .. } => check("withdraw_mm", *mm, 0.0, 200.0),
            Action::RotateBevel { deg } => check("deg", *deg, -360.0, 360.0),
            Action::SetCArm { lao_deg, cranial_deg, .. } => {
                check(
                    "lao_deg",
                    *lao_deg,
                    -super::imaging::geometry::MAX_LAO_DEG,
                    super::imaging::geometry::MAX_LAO_DEG,
                )?;
                check(
                    "cranial_deg",
                    *cranial_deg,
                    -super::imaging::geometry::MAX_CRANIAL_DEG,
                    super::imaging::geometry::MAX_CRANIAL_DEG,
                )
            }
            Action::SetImaging { settings } => settings.validate().map_err(ActionError::Setting),
            Action::Fluoro { seconds } => check("seconds", *seconds, 0.05, 60.0),
            Action::Inject { volume_ml, rate_ml_s, .. } => {
                check("volume_ml", *volume_ml, 0.0, 30.0)?;
                check("rate_ml_s", rate_ml_s.unwrap_or(pace::INJECT_ML_PER_S), 0.05, 5.0)
            }
            Action::Rest { minutes } => check("minutes", *minutes, 0.0, 60.0),
            _ => Ok(()),
        }
    }
}

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

/// What happened, when, in simulated seconds since the session began.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub time_s: f64,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// The kinds of event a session records.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    /// Simulated time passed.
    TimePassed {
        seconds: f64,
    },
    NeedleSelected {
        needle: NeedleKind,
    },
    NeedleInserted {
        needle: NeedleKind,
        entry: [f64; 3],
    },
    NeedleMoved {
        depth_mm: f64,
        compartment: Compartment,
    },
    Redirected {
        count: u32,
    },
    NeedleRemoved,
    Needle(NeedleEvent),
    CArmMoved {
        lao_deg: f64,
        cranial_deg: f64,
    },
    ImagingChanged,
    /// A fluoroscopy exposure; `needle_beam_angle_deg` is 0 when the needle is seen down the barrel.
    Shot {
        index: u32,
        dose: Dose,
        needle_beam_angle_deg: Option<f64>,
        tip_in_view: bool,
    },
    Injected {
        fluid: Fluid,
        volume_ml: f64,
        site: Site,
        resistance: f64,
        /// Where the needle tip was (mm).
        tip_mm: [f64; 3],
    },
    /// Something the trainee should not have done; the session goes on.
    Unsafe {
        what: UnsafeAct,
    },
    /// A step of the procedure was done (first time only).
    StepDone {
        step: Step,
    },
    /// A step was attempted wrongly: it is not ticked, and `fault` says why.
    StepWrong {
        step: Step,
        fault: StepFault,
    },
    /// A step was done before one that should precede it.
    StepOutOfOrder {
        step: Step,
        before: Step,
    },
    /// The patient was placed other than the case needs.
    WrongPosition {
        placed: Position,
        expected: Position,
    },
    /// How far the marked femoral pulse lies from the artery's surface marking.
    PulseMarked {
        error_mm: f64,
    },
    /// The trainee read the contrast pattern.
    ContrastReadAs {
        read: ContrastPattern,
        actual: ContrastPattern,
        correct: bool,
    },
    /// The patient's report on provocation.
    ProvocationResult {
        test: ProvocationTest,
        pain_0_10: f64,
        relief_pct: f64,
    },
    /// The trainee's reading of the block, and the reading the case supports.
    ReadingGiven {
        reading: Reading,
        expected: Reading,
        correct: bool,
    },
    /// The case's time limit passed.
    TimeLimitPassed {
        limit_min: f64,
    },
}

/// Why a step attempted does not count as done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepFault {
    /// The patient was placed other than the case needs.
    WrongPosition,
    /// The contrast was read with no contrast in the field.
    NoContrastToRead,
    /// The drug went in before an image had confirmed the contrast in the joint.
    DrugBeforeContrastConfirmed,
}

impl StepFault {
    pub fn label(self) -> &'static str {
        match self {
            StepFault::WrongPosition => "wrong position for this case",
            StepFault::NoContrastToRead => "read with no contrast injected",
            StepFault::DrugBeforeContrastConfirmed => "drug before the contrast was confirmed",
        }
    }
}

/// Unsafe acts the session records (they count in the score, never block).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnsafeAct {
    InjectedAgainstHighResistance,
    InjectedIntravascular,
    InjectedIntraneural,
    ContinuedAfterBloodInHub,
    DrugBeforeContrastConfirmation,
    InjectedWithNoNeedle,
    MovedNeedleWithNoNeedle,
    /// The spinal needle went in before the time-out.
    NeedleBeforeTimeOut,
    /// The needle went in before antiseptic skin preparation.
    NeedleBeforeSkinPrep,
    /// A needle that is not on this case's tray.
    NeedleNotOnTray,
    /// The drug went in although the last reading of the contrast was wrong.
    DrugAfterMisreadContrast,
    /// The needle went into the femoral nerve.
    HitFemoralNerve,
    /// The needle went into the femoral artery.
    HitFemoralArtery,
    /// The needle went into the sciatic nerve (posterior approach).
    HitSciaticNerve,
}

impl UnsafeAct {
    /// In words, for timelines and the debrief.
    pub fn label(self) -> &'static str {
        match self {
            UnsafeAct::InjectedAgainstHighResistance => "injected against high resistance",
            UnsafeAct::InjectedIntravascular => "injected into a vessel",
            UnsafeAct::InjectedIntraneural => "injected into a nerve",
            UnsafeAct::ContinuedAfterBloodInHub => "went on after blood in the hub",
            UnsafeAct::DrugBeforeContrastConfirmation => "drug before the contrast confirmed the joint",
            UnsafeAct::InjectedWithNoNeedle => "injected with no needle in",
            UnsafeAct::MovedNeedleWithNoNeedle => "moved a needle that was not in",
            UnsafeAct::NeedleBeforeTimeOut => "needle in before the time-out",
            UnsafeAct::NeedleBeforeSkinPrep => "needle in before the skin prep",
            UnsafeAct::NeedleNotOnTray => "a needle not on this case's tray",
            UnsafeAct::DrugAfterMisreadContrast => "drug injected after misreading the contrast",
            UnsafeAct::HitFemoralNerve => "needle into the femoral nerve",
            UnsafeAct::HitFemoralArtery => "needle into the femoral artery",
            UnsafeAct::HitSciaticNerve => "needle into the sciatic nerve",
        }
    }
}

/// An action the session refused; nothing changed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ActionError {
    #[error("`{field}` = {value} is outside {min}..={max}")]
    OutOfRange { field: &'static str, value: f64, min: f64, max: f64 },
    #[error(transparent)]
    Setting(SettingError),
}

/// A session that could not start.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Patient(#[from] ParamRangeError),
}

/// Everything needed to replay a session: scenario, seed and actions in order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActionLog {
    pub version: u32,
    pub disclaimer: String,
    /// Trainee name or ID, as entered.
    #[serde(default)]
    pub trainee: String,
    pub scenario: Scenario,
    pub seed: u64,
    pub actions: Vec<Action>,
}

/// A read-only view of the session for drawing and reporting.
#[derive(Debug)]
pub struct SessionState<'a> {
    pub patient: &'a Patient,
    pub clock_s: f64,
    pub events: &'a [Event],
    pub needle: Option<&'a Needle>,
    pub selected_needle: NeedleKind,
    pub fluoroscope: &'a Fluoroscope,
    pub injection: &'a InjectionState,
    pub tip_compartment: Option<Compartment>,
    pub contrast_pattern: ContrastPattern,
    pub volumes: VolumeSummary,
}

/// One trainee, one synthetic patient, one procedure.
#[derive(Debug)]
pub struct Session {
    scenario: Scenario,
    seed: u64,
    patient: Patient,
    clock_s: f64,
    events: Vec<Event>,
    actions: Vec<Action>,
    selected: NeedleKind,
    needle: Option<Needle>,
    /// Needles used over the session (removed ones), for the metrics.
    spent_needles: Vec<Needle>,
    fluoroscope: Fluoroscope,
    injection: InjectionState,
    trainee: String,
    pain: PainProfile,
    steps: Vec<(Step, f64)>,
    /// Steps attempted wrongly (and not since done rightly), with when and why.
    wrong_steps: Vec<(Step, f64, StepFault)>,
    rest_min: f64,
    /// Where the drug had gone when the needle came out (or now).
    delivery: Option<DrugDelivery>,
    time_limit_reported: bool,
    shot_images: Vec<ShotImage>,
}

/// A shot as it was displayed, kept for the report's key images.
#[derive(Clone, Debug, PartialEq)]
pub struct ShotImage {
    pub index: u32,
    pub time_s: f64,
    pub pixels: usize,
    pub gray: Vec<u8>,
    pub lao_deg: f64,
    pub cranial_deg: f64,
}

impl Session {
    /// Start a session on the patient the scenario and seed describe.
    pub fn new(scenario: Scenario, seed: u64) -> Result<Session, SessionError> {
        let patient = Patient::generate(seed, &scenario.patient)?;
        let pose = CArmPose { isocentre: patient.landmarks.target, ..Default::default() };
        Ok(Session {
            fluoroscope: Fluoroscope::new(pose, ImagingSettings::default()),
            scenario,
            seed,
            patient,
            clock_s: 0.0,
            events: Vec::new(),
            actions: Vec::new(),
            selected: NeedleKind::default(),
            needle: None,
            spent_needles: Vec::new(),
            injection: InjectionState::default(),
            trainee: String::new(),
            pain: PainProfile::draw(seed),
            steps: Vec::new(),
            wrong_steps: Vec::new(),
            rest_min: 0.0,
            delivery: None,
            time_limit_reported: false,
            shot_images: Vec::new(),
        })
    }

    /// Record who is doing the session (shown in reports; escaped in HTML).
    pub fn set_trainee(&mut self, name: &str) {
        self.trainee = name.trim().chars().take(120).collect();
    }

    pub fn trainee(&self) -> &str {
        &self.trainee
    }

    /// Do one thing. A refused action changes nothing and is not logged.
    pub fn apply(&mut self, action: Action) -> Result<Vec<Event>, ActionError> {
        action.validate()?;
        let first_new = self.events.len();
        match &action {
            Action::Wait { seconds } => {
                self.pass_time(*seconds);
                self.emit(EventKind::TimePassed { seconds: *seconds });
            }
            Action::SelectNeedle { needle } => {
                self.selected = *needle;
                self.emit(EventKind::NeedleSelected { needle: *needle });
            }
            Action::InsertNeedle { entry, toward } => {
                let (e, t) = (entry.resolve(&self.patient), toward.resolve(&self.patient));
                self.put_needle(Needle::insert(self.selected, e, t - e));
                self.pass_time(pace::INSERT_S);
            }
            Action::PlaceNeedle { entry, tip } => {
                let (e, t) = (entry.resolve(&self.patient), tip.resolve(&self.patient));
                self.put_needle(Needle::insert(self.selected, e, t - e));
                let events = self.needle.as_mut().map(|n| n.place_straight(&self.patient, t, 0.0)).unwrap_or_default();
                self.needle_events(events);
                self.pass_time(pace::INSERT_S);
            }
            Action::Advance { mm } => self.move_needle(*mm, true),
            Action::AdvanceUntil { stop, max_mm, steer_toward, image_every_mm } => {
                let steer = steer_toward.map(|p| p.resolve(&self.patient));
                let mut moved = 0.0;
                let mut since_image = 0.0;
                let mut imaged_here = false;
                while moved < *max_mm {
                    let Some(n) = self.needle.as_mut() else {
                        self.emit(EventKind::Unsafe { what: UnsafeAct::MovedNeedleWithNoNeedle });
                        break;
                    };
                    if n.in_bone_contact() {
                        break;
                    }
                    if let Some(t) = steer {
                        n.steer_toward(t);
                    }
                    let depth = n.depth_mm();
                    let step = (max_mm - moved).min(1.0);
                    let first_new = self.events.len();
                    self.move_needle(step, true);
                    moved += step;
                    let reached = self.events[first_new..].iter().any(|e| {
                        matches!(
                            (stop, &e.kind),
                            (StopAt::Bone, EventKind::Needle(NeedleEvent::BonyEndpoint { .. }))
                                | (StopAt::Blood, EventKind::Needle(NeedleEvent::BloodInHub { .. }))
                                | (StopAt::CapsulePop, EventKind::Needle(NeedleEvent::CapsulePop { .. }))
                        )
                    });
                    let stuck = self.needle.as_ref().is_some_and(|n| n.depth_mm() == depth);
                    since_image += step;
                    imaged_here = false;
                    if let Some(every) = image_every_mm
                        && (since_image >= *every - 1e-9 || reached || stuck)
                    {
                        self.shoot(INTERMITTENT_SHOT_S);
                        since_image = 0.0;
                        imaged_here = true;
                    }
                    if reached || stuck {
                        break;
                    }
                }
                if image_every_mm.is_some() && !imaged_here && moved > 0.0 {
                    self.shoot(INTERMITTENT_SHOT_S);
                }
            }
            Action::SelectNeedleForDepth => {
                let (target, entry) = self.scenario.approach();
                let depth = (self.patient.landmarks.get(target) - self.patient.landmarks.get(entry)).length();
                let needle = needle_for_depth(&self.scenario.needles, depth);
                self.selected = needle;
                self.emit(EventKind::NeedleSelected { needle });
            }
            Action::Withdraw { mm } => self.move_needle(*mm, false),
            Action::Redirect { toward, withdraw_mm } => {
                let target = toward.resolve(&self.patient);
                match self.needle.as_mut() {
                    Some(n) => {
                        n.redirect(target, *withdraw_mm);
                        let count = n.redirections;
                        self.emit(EventKind::Redirected { count });
                        self.emit_position();
                    }
                    None => self.emit(EventKind::Unsafe { what: UnsafeAct::MovedNeedleWithNoNeedle }),
                }
                self.pass_time(pace::REDIRECT_S);
            }
            Action::RotateBevel { deg } => {
                if let Some(n) = self.needle.as_mut() {
                    n.rotate_bevel(*deg);
                }
                self.pass_time(pace::BEVEL_S);
            }
            Action::RemoveNeedle => {
                if let Some(n) = self.needle.take() {
                    self.spent_needles.push(n);
                    self.emit(EventKind::NeedleRemoved);
                    if self.drug_given() {
                        if self.delivery.is_none() {
                            self.delivery = Some(DrugDelivery {
                                joint: self.injection.in_joint(),
                                bursa: self.injection.in_bursa(),
                            });
                        }
                        self.step(Step::NeedleOut);
                    }
                }
                self.pass_time(pace::BEVEL_S);
            }
            Action::SetCArm { lao_deg, cranial_deg, isocentre } => {
                self.fluoroscope.pose.lao_deg = *lao_deg;
                self.fluoroscope.pose.cranial_deg = *cranial_deg;
                if let Some(iso) = isocentre {
                    self.fluoroscope.pose.isocentre = iso.resolve(&self.patient);
                }
                self.emit(EventKind::CArmMoved { lao_deg: *lao_deg, cranial_deg: *cranial_deg });
                self.pass_time(pace::MOVE_C_ARM_S);
            }
            Action::SetImaging { settings } => {
                self.fluoroscope.settings = *settings;
                self.emit(EventKind::ImagingChanged);
                self.pass_time(pace::SETTINGS_S);
            }
            Action::Fluoro { seconds } => self.shoot(*seconds),
            Action::Inject { fluid, volume_ml, rate_ml_s } => {
                self.inject(*fluid, *volume_ml, rate_ml_s.unwrap_or(pace::INJECT_ML_PER_S))
            }
            Action::Consent => {
                self.step(Step::IdentityConsent);
                self.pass_time(pace::CONSENT_S);
            }
            Action::IvAccess { .. } => {
                self.step(Step::IvAccess);
                self.pass_time(pace::IV_ACCESS_S);
            }
            Action::TimeOut => {
                self.step(Step::TimeOut);
                self.pass_time(pace::TIME_OUT_S);
            }
            Action::Position { position } => {
                if *position != self.scenario.position {
                    self.emit(EventKind::WrongPosition { placed: *position, expected: self.scenario.position });
                    self.step_wrong(Step::Positioning, StepFault::WrongPosition);
                } else {
                    self.step(Step::Positioning);
                }
                self.pass_time(pace::POSITIONING_S);
            }
            Action::MarkPulse { at } => {
                let p = at.resolve(&self.patient);
                let error_mm = (p - self.patient.landmarks.femoral_pulse).length();
                self.emit(EventKind::PulseMarked { error_mm });
                self.step(Step::MarkFemoralPulse);
                self.pass_time(pace::MARK_PULSE_S);
            }
            Action::SkinPrep => {
                self.step(Step::SkinPrep);
                self.pass_time(pace::SKIN_PREP_S);
            }
            Action::ReadContrast { pattern } => {
                let actual = self.injection.contrast_pattern();
                self.emit(EventKind::ContrastReadAs { read: *pattern, actual, correct: *pattern == actual });
                if self.contrast_injected() && actual != ContrastPattern::None {
                    self.step(Step::ContrastRead);
                } else {
                    self.step_wrong(Step::ContrastRead, StepFault::NoContrastToRead);
                }
                self.pass_time(pace::READ_S);
            }
            Action::RecordDose => {
                self.step(Step::DoseRecorded);
                self.pass_time(pace::RECORD_DOSE_S);
            }
            Action::Rest { minutes } => {
                self.rest_min += minutes;
                self.step(Step::Rest);
                self.pass_time(minutes * 60.0);
            }
            Action::Provocation { test } => {
                let after = self.drug_given();
                let relief_pct = if after {
                    procedure::relief_pct(self.scenario.pain_source, &self.delivery(), &self.pain, self.rest_min)
                } else {
                    0.0
                };
                let pain_0_10 = (self.pain.baseline_0_10 * (1.0 - relief_pct / 100.0) * 10.0).round() / 10.0;
                self.emit(EventKind::ProvocationResult { test: *test, pain_0_10, relief_pct });
                self.step(if after && self.done(Step::Rest) {
                    Step::ProvocationAfterRest
                } else {
                    Step::BaselineProvocation
                });
                self.pass_time(pace::PROVOCATION_S);
            }
            Action::DiagnosticReading { reading } => {
                let expected = self.expected_reading();
                let reading = match reading {
                    ReadingAnswer::Positive => Reading::Positive,
                    ReadingAnswer::Negative => Reading::Negative,
                    ReadingAnswer::Indeterminate => Reading::Indeterminate,
                    ReadingAnswer::ByRule => self.reading_by_rule(),
                };
                self.emit(EventKind::ReadingGiven { reading, expected, correct: reading == expected });
                self.step(Step::DiagnosticReading);
                self.pass_time(pace::READ_S);
            }
            Action::DischargeAdvice => {
                self.step(Step::DischargeAdvice);
                self.pass_time(pace::DISCHARGE_S);
            }
        }
        if let Some(limit) = self.scenario.time_limit_min
            && !self.time_limit_reported
            && self.clock_s > limit * 60.0
        {
            self.time_limit_reported = true;
            self.emit(EventKind::TimeLimitPassed { limit_min: limit });
        }
        self.actions.push(action);
        Ok(self.events[first_new..].to_vec())
    }

    /// Mark `step` done (first time), noting any step done before one that should precede it.
    fn step(&mut self, step: Step) {
        if self.done(step) {
            return;
        }
        if let Some(&(later, _)) = self.steps.iter().find(|(s, _)| *s > step && s.required()) {
            self.emit(EventKind::StepOutOfOrder { step, before: later });
        }
        self.steps.push((step, self.clock_s));
        self.wrong_steps.retain(|(s, _, _)| *s != step);
        self.emit(EventKind::StepDone { step });
    }

    /// `step` was attempted wrongly: not ticked; recorded with why, unless it is already done.
    fn step_wrong(&mut self, step: Step, fault: StepFault) {
        if self.done(step) {
            return;
        }
        self.wrong_steps.retain(|(s, _, _)| *s != step);
        self.wrong_steps.push((step, self.clock_s, fault));
        self.emit(EventKind::StepWrong { step, fault });
    }

    fn done(&self, step: Step) -> bool {
        self.steps.iter().any(|(s, _)| *s == step)
    }

    /// Steps attempted wrongly and not since done rightly: when, and why.
    pub fn wrong_steps(&self) -> &[(Step, f64, StepFault)] {
        &self.wrong_steps
    }

    /// Some of the drug mix has been injected (rightly or not).
    fn drug_given(&self) -> bool {
        self.events.iter().any(|e| matches!(e.kind, EventKind::Injected { fluid: Fluid::DrugMix, .. }))
    }

    /// Some contrast has been injected through a needle.
    fn contrast_injected(&self) -> bool {
        self.events.iter().any(|e| matches!(e.kind, EventKind::Injected { fluid: Fluid::Contrast, .. }))
    }

    /// Steps done, with the simulated time each was first done.
    pub fn steps(&self) -> &[(Step, f64)] {
        &self.steps
    }

    /// Where the drug went: frozen when the needle comes out after the drug, else now.
    pub fn delivery(&self) -> DrugDelivery {
        self.delivery.unwrap_or(DrugDelivery { joint: self.injection.in_joint(), bursa: self.injection.in_bursa() })
    }

    /// Relief on the last provocation test, if any.
    pub fn last_relief_pct(&self) -> Option<f64> {
        self.events.iter().rev().find_map(|e| match e.kind {
            EventKind::ProvocationResult { relief_pct, .. } => Some(relief_pct),
            _ => None,
        })
    }

    /// The reading the case supports, given the drug's delivery and the relief so far.
    pub fn expected_reading(&self) -> Reading {
        let relief = procedure::relief_pct(self.scenario.pain_source, &self.delivery(), &self.pain, self.rest_min);
        procedure::correct_reading(&self.delivery(), relief)
    }

    /// The published rule applied to what the trainee saw: contrast confirmed in the
    /// joint and ≥80% relief on the last provocation.
    fn reading_by_rule(&self) -> Reading {
        let confirmed = self
            .events
            .iter()
            .any(|e| matches!(e.kind, EventKind::ContrastReadAs { read: ContrastPattern::IntraArticular, .. }));
        if !confirmed {
            Reading::Indeterminate
        } else if self.last_relief_pct().unwrap_or(0.0) >= procedure::POSITIVE_RELIEF_PCT {
            Reading::Positive
        } else {
            Reading::Negative
        }
    }

    pub fn pain_profile(&self) -> PainProfile {
        self.pain
    }

    fn put_needle(&mut self, n: Needle) {
        if n.kind != NeedleKind::Anaesthetic25G && !self.done(Step::TimeOut) {
            self.emit(EventKind::Unsafe { what: UnsafeAct::NeedleBeforeTimeOut });
        }
        if !self.done(Step::SkinPrep) {
            self.emit(EventKind::Unsafe { what: UnsafeAct::NeedleBeforeSkinPrep });
        }
        if !self.scenario.needles.contains(&n.kind) {
            self.emit(EventKind::Unsafe { what: UnsafeAct::NeedleNotOnTray });
        }
        if let Some(old) = self.needle.take() {
            self.spent_needles.push(old);
        }
        let (kind, entry) = (n.kind, n.entry.to_array());
        self.needle = Some(n);
        self.emit(EventKind::NeedleInserted { needle: kind, entry });
    }

    fn move_needle(&mut self, mm: f64, forward: bool) {
        let Some(n) = self.needle.as_mut() else {
            self.emit(EventKind::Unsafe { what: UnsafeAct::MovedNeedleWithNoNeedle });
            return;
        };
        let blood_before = n.blood_in_hub;
        let events = if forward {
            n.advance(&self.patient, mm, self.clock_s)
        } else {
            n.withdraw(mm);
            Vec::new()
        };
        if forward && blood_before {
            self.emit(EventKind::Unsafe { what: UnsafeAct::ContinuedAfterBloodInHub });
        }
        let events = events.into_iter().map(|(_, e)| e).collect();
        self.needle_events(events);
        self.emit_position();
        self.pass_time(mm / pace::NEEDLE_MM_PER_S);
    }

    fn needle_events(&mut self, events: Vec<NeedleEvent>) {
        for e in events {
            let bony = matches!(e, NeedleEvent::BonyEndpoint { .. });
            let hit = match e {
                NeedleEvent::Hit { structure: Tissue::FemoralNerve } => Some(UnsafeAct::HitFemoralNerve),
                NeedleEvent::Hit { structure: Tissue::FemoralArtery } => Some(UnsafeAct::HitFemoralArtery),
                NeedleEvent::Hit { structure: Tissue::SciaticNerve } => Some(UnsafeAct::HitSciaticNerve),
                _ => None,
            };
            self.emit(EventKind::Needle(e));
            if let Some(what) = hit {
                self.emit(EventKind::Unsafe { what });
            }
            if bony && self.needle.as_ref().is_some_and(|n| n.kind != NeedleKind::Anaesthetic25G) {
                self.step(Step::NeedleToBone);
            }
        }
    }

    fn emit_position(&mut self) {
        if let Some(n) = &self.needle {
            let (depth_mm, compartment) = (n.depth_mm(), n.compartment(&self.patient));
            self.emit(EventKind::NeedleMoved { depth_mm, compartment });
        }
    }

    fn shoot(&mut self, seconds: f64) {
        let path = self.needle.as_ref().map(|n| n.drawn_path());
        let contrast = self.injection.contrast_field(&self.patient);
        let noise_seed = self.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (self.fluoroscope.shots as u64 + 1);
        let extra = Radiopaque { needle: path.as_ref(), contrast: Some(&contrast) };
        let position = self.scenario.position;
        let dose = self
            .fluoroscope
            .shoot(&self.patient, position, extra, seconds, noise_seed)
            .expect("imaging settings are validated when set");
        let g = self.fluoroscope.geometry(position);
        let (angle, tip_in_view) = match &self.needle {
            Some(n) => {
                let tip = n.tip();
                let in_view = g.project_px(tip).is_some_and(|(i, j)| {
                    let (i, j) = (i.round() as i64, j.round() as i64);
                    let px = g.pixels as i64;
                    i >= 0
                        && j >= 0
                        && i < px
                        && j < px
                        && super::imaging::detector::exposed(&self.fluoroscope.settings, i as usize, j as usize)
                });
                (Some(g.angle_to_beam_deg(n.tip_direction())), in_view)
            }
            None => (None, false),
        };
        let index = self.fluoroscope.shots;
        if let Some(frame) = self.fluoroscope.last_image() {
            self.shot_images.push(ShotImage {
                index,
                time_s: self.clock_s,
                pixels: frame.pixels,
                gray: frame.gray.clone(),
                lao_deg: self.fluoroscope.pose.lao_deg,
                cranial_deg: self.fluoroscope.pose.cranial_deg,
            });
        }
        self.emit(EventKind::Shot { index, dose, needle_beam_angle_deg: angle, tip_in_view });
        if !self.spent_needles.iter().chain(self.needle.iter()).any(|n| n.kind != NeedleKind::Anaesthetic25G) {
            self.step(Step::LocalisationShot);
        }
        self.pass_time(seconds);
    }

    fn inject(&mut self, fluid: Fluid, volume_ml: f64, rate: f64) {
        let Some(needle) = self.needle.as_ref() else {
            self.emit(EventKind::Unsafe { what: UnsafeAct::InjectedWithNoNeedle });
            return;
        };
        let site = site_at(&self.patient, needle);
        let resistance = self.injection.resistance_at(site);
        if needle.blood_in_hub {
            self.emit(EventKind::Unsafe { what: UnsafeAct::ContinuedAfterBloodInHub });
        }
        match site {
            Site::Intravascular => self.emit(EventKind::Unsafe { what: UnsafeAct::InjectedIntravascular }),
            Site::Intraneural => self.emit(EventKind::Unsafe { what: UnsafeAct::InjectedIntraneural }),
            _ => {}
        }
        let drug_unconfirmed = fluid == Fluid::DrugMix && !self.contrast_confirmed();
        if drug_unconfirmed {
            self.emit(EventKind::Unsafe { what: UnsafeAct::DrugBeforeContrastConfirmation });
        }
        let last_read_wrong = self.events.iter().rev().find_map(|e| match e.kind {
            EventKind::ContrastReadAs { correct, .. } => Some(!correct),
            _ => None,
        });
        if fluid == Fluid::DrugMix && last_read_wrong == Some(true) {
            self.emit(EventKind::Unsafe { what: UnsafeAct::DrugAfterMisreadContrast });
        }
        // Deliver in slices so the spread, washout and pressure evolve during the push.
        let duration = volume_ml / rate;
        let slices = ((duration / pace::INJECTION_STEP_S).ceil() as usize).max(1);
        let per_slice = volume_ml / slices as f64;
        let dt = duration / slices as f64;
        let mut high_resistance = resistance > HIGH_RESISTANCE;
        for _ in 0..slices {
            let needle = self.needle.as_ref().expect("checked above");
            self.injection.deposit(&self.patient, needle, fluid, per_slice);
            self.injection.step(dt);
            high_resistance |= self.injection.resistance_at(site) > HIGH_RESISTANCE;
        }
        self.clock_s += duration;
        if high_resistance {
            self.emit(EventKind::Unsafe { what: UnsafeAct::InjectedAgainstHighResistance });
        }
        let resistance = self.injection.resistance_at(site);
        let tip_mm = self.needle.as_ref().map(|n| n.tip().to_array()).unwrap_or_default();
        self.emit(EventKind::Injected { fluid, volume_ml, site, resistance, tip_mm });
        let depth = self.needle.as_ref().map(|n| n.depth_mm()).unwrap_or(0.0);
        match fluid {
            Fluid::LocalAnaesthetic if depth <= LOCAL_ANAESTHETIC_MAX_DEPTH_MM => self.step(Step::LocalAnaesthetic),
            Fluid::Contrast => self.step(Step::ContrastInjected),
            Fluid::DrugMix if drug_unconfirmed => {
                self.step_wrong(Step::DrugInjected, StepFault::DrugBeforeContrastConfirmed)
            }
            Fluid::DrugMix => self.step(Step::DrugInjected),
            _ => {}
        }
    }

    /// Contrast was injected and a shot taken after it, before now.
    fn contrast_confirmed(&self) -> bool {
        let injected_at = self.events.iter().find_map(|e| match e.kind {
            EventKind::Injected { fluid: Fluid::Contrast, .. } => Some(e.time_s),
            _ => None,
        });
        injected_at
            .is_some_and(|t| self.events.iter().any(|e| e.time_s >= t && matches!(e.kind, EventKind::Shot { .. })))
    }

    /// Advance the clock, stepping the injected fluid finely while it still moves.
    fn pass_time(&mut self, seconds: f64) {
        let fine = seconds.min(3.0);
        let steps = (fine / pace::INJECTION_STEP_S).ceil() as usize;
        for _ in 0..steps {
            self.injection.step(fine / steps as f64);
        }
        if seconds > fine {
            self.injection.step(seconds - fine);
        }
        self.clock_s += seconds;
    }

    fn emit(&mut self, kind: EventKind) {
        self.events.push(Event { time_s: self.clock_s, kind });
    }

    pub fn state(&self) -> SessionState<'_> {
        SessionState {
            patient: &self.patient,
            clock_s: self.clock_s,
            events: &self.events,
            needle: self.needle.as_ref(),
            selected_needle: self.selected,
            fluoroscope: &self.fluoroscope,
            injection: &self.injection,
            tip_compartment: self.needle.as_ref().map(|n| n.compartment(&self.patient)),
            contrast_pattern: self.injection.contrast_pattern(),
            volumes: self.injection.volumes(),
        }
    }

    pub fn patient(&self) -> &Patient {
        &self.patient
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Every needle used so far, the current one last.
    pub fn needles(&self) -> impl Iterator<Item = &Needle> {
        self.spent_needles.iter().chain(self.needle.iter())
    }

    /// Every shot's displayed image, in order.
    pub fn shot_images(&self) -> &[ShotImage] {
        &self.shot_images
    }

    /// Total exposure so far.
    pub fn dose(&self) -> Dose {
        self.fluoroscope.total
    }

    /// How many actions the session has taken (refused ones are not counted).
    pub fn action_count(&self) -> usize {
        self.actions.len()
    }

    /// The log that replays this session.
    pub fn log(&self) -> ActionLog {
        ActionLog {
            version: LOG_VERSION,
            disclaimer: crate::DISCLAIMER.to_string(),
            trainee: self.trainee.clone(),
            scenario: self.scenario.clone(),
            seed: self.seed,
            actions: self.actions.clone(),
        }
    }

    /// Rebuild a session from its log. Fails on the first action the session refuses,
    /// naming its index.
    pub fn replay(log: &ActionLog) -> Result<Session, ReplayError> {
        let mut s = Session::new(log.scenario.clone(), log.seed).map_err(ReplayError::Start)?;
        s.set_trainee(&log.trainee);
        for (index, a) in log.actions.iter().enumerate() {
            s.apply(a.clone()).map_err(|error| ReplayError::Action { index, error })?;
        }
        Ok(s)
    }
}

/// Length of each shot of `advance_until`'s intermittent fluoroscopy (s). assumption:
/// the 1 s taps of the shipped expert scripts.
pub const INTERMITTENT_SHOT_S: f64 = 1.0;

/// Local anaesthetic counts as the skin/track step up to this needle depth (mm).
pub const LOCAL_ANAESTHETIC_MAX_DEPTH_MM: f64 = 40.0;

/// Relative resistance above which an injection is "against high resistance".
pub const HIGH_RESISTANCE: f64 = 5.0;

/// A log that does not replay.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReplayError {
    #[error("cannot start the session: {0}")]
    Start(SessionError),
    #[error("action {index} refused: {error}")]
    Action { index: usize, error: ActionError },
}

/// Needle length to keep outside the skin when choosing by depth (mm). assumption.
pub const NEEDLE_MARGIN_MM: f64 = 10.0;

/// The shortest 22G Quincke spinal needle on the tray that reaches `depth_mm` with
/// [`NEEDLE_MARGIN_MM`] to spare; the longest one on the tray if none does.
pub fn needle_for_depth(tray: &[NeedleKind], depth_mm: f64) -> NeedleKind {
    let mut spinal: Vec<NeedleKind> = [NeedleKind::Quincke22G89, NeedleKind::Quincke22G127, NeedleKind::Quincke22G178]
        .into_iter()
        .filter(|k| tray.contains(k))
        .collect();
    if spinal.is_empty() {
        spinal.push(NeedleKind::Quincke22G89);
    }
    spinal
        .iter()
        .copied()
        .find(|k| depth_mm + NEEDLE_MARGIN_MM <= k.spec().length_mm)
        .unwrap_or(spinal[spinal.len() - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The replay captions each action in words, never as a data structure.
    #[test]
    fn every_scripted_action_has_a_plain_summary() {
        let scripts = [
            super::super::assessment::EXPERT_ANTERIOR,
            super::super::assessment::EXPERT_PRONE,
            include_str!("../../assets/scripts/novice_femoral_artery.ron"),
            include_str!("../../assets/scripts/demo_scene.ron"),
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
