//! The one entry point both front ends drive: a session on one synthetic patient.
//!
//! `Session::new(scenario, seed)`, then `apply(action)` for every thing the trainee
//! does; `state()` to draw it; `log()` to save it. The simulated clock advances
//! only by actions, never by wall time, so a log replays to the same state.

pub mod action;
mod acts;
pub mod event;
pub mod log;

use super::anatomy::{ParamRangeError, Patient, Position};
use super::imaging::{CArmPose, Dose, Fluoroscope, ImagingSettings};
use super::injection::{ContrastPattern, InjectionState, VolumeSummary};
use super::needle::{Compartment, Needle, NeedleKind};
use super::procedure::{self, DrugDelivery, PainProfile, Reading, Step, StepBook, StepFault};
use super::scenario::{Scenario, ScenarioProblem};
use super::wallclock::WallClock;

pub use action::{Action, ActionError, OnContact, PointRef, StopAt, pace};
pub use event::{Event, EventKind};
pub use log::{ActionLog, LOG_VERSION, ReplayError};
/// The safety and step rules' names, where the session's users look for them.
pub use procedure::safety::{HIGH_RESISTANCE, UnsafeAct};
pub use procedure::steps::LOCAL_ANAESTHETIC_MAX_DEPTH_MM;

/// A session that could not start.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SessionError {
    #[error("the case cannot be used: {0}")]
    Scenario(#[from] ScenarioProblem),
    #[error(transparent)]
    Patient(#[from] ParamRangeError),
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
    /// Steps done and attempted wrongly.
    book: StepBook,
    rest_min: f64,
    /// The needle went somewhere new since the last contrast push (the next push is read
    /// on its own).
    moved_since_contrast: bool,
    /// The rest taken when the last provocation after the drug was done (min).
    rest_at_test_min: Option<f64>,
    /// Where the drug had gone when the needle came out (or now).
    delivery: Option<DrugDelivery>,
    time_limit_reported: bool,
    shot_images: Vec<ShotImage>,
    /// How the trainee last placed the patient (None before positioning).
    placed: Option<Position>,
    /// Wall-clock start, for the record only (see [`crate::sim::wallclock`]).
    started_at: Option<WallClock>,
}

/// Displayed images a session keeps besides its key shots (the monitor shows the last).
pub const RECENT_SHOT_IMAGES: usize = 8;

/// The shots worth keeping, as (label, position in `shots`): the first (localisation),
/// the last before the first contrast (needle at bone), the first after it (the pattern)
/// and the last one; each shot once.
pub fn key_shot_picks(shots: &[ShotImage], events: &[Event]) -> Vec<(&'static str, usize)> {
    let contrast_time = events.iter().find_map(|e| match e.kind {
        EventKind::Injected { fluid: super::injection::Fluid::Contrast, .. } => Some(e.time_s),
        _ => None,
    });
    let mut picks: Vec<(&'static str, Option<usize>)> = vec![("localisation", (!shots.is_empty()).then_some(0))];
    if let Some(t) = contrast_time {
        picks.push(("needle before contrast", shots.iter().rposition(|s| s.time_s <= t)));
        picks.push(("contrast pattern", shots.iter().position(|s| s.time_s > t)));
    }
    picks.push(("last image", shots.len().checked_sub(1)));
    let mut out: Vec<(&'static str, usize)> = Vec::new();
    for (label, at) in picks {
        if let Some(at) = at
            && !out.iter().any(|(_, i)| *i == at)
        {
            out.push((label, at));
        }
    }
    out
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
    /// Start a session on the patient the scenario and seed describe. A case that does
    /// not pass validation is refused here too, however it was made.
    pub fn new(scenario: Scenario, seed: u64) -> Result<Session, SessionError> {
        scenario.problem()?;
        let patient = Patient::generate(seed, &scenario.patient)?;
        let pose = CArmPose { isocentre: patient.landmarks.target, ..Default::default() };
        let lying = scenario.position;
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
            injection: InjectionState::lying(lying),
            trainee: String::new(),
            pain: PainProfile::draw(seed),
            book: StepBook::default(),
            rest_min: 0.0,
            rest_at_test_min: None,
            moved_since_contrast: false,
            delivery: None,
            time_limit_reported: false,
            shot_images: Vec::new(),
            placed: None,
            started_at: None,
        })
    }

    /// Record who is doing the session (shown in reports; escaped in HTML).
    pub fn set_trainee(&mut self, name: &str) {
        self.trainee = name.trim().chars().take(120).collect();
    }

    pub fn trainee(&self) -> &str {
        &self.trainee
    }

    /// Record when the session started by the computer's clock (front ends call this
    /// with [`WallClock::now`] when a trainee starts). Kept in the log for learning
    /// records; the simulation never reads it.
    pub fn set_started_at(&mut self, at: Option<WallClock>) {
        self.started_at = at;
    }

    pub fn started_at(&self) -> Option<WallClock> {
        self.started_at
    }

    /// Do up to `max_rows` rows of the next shot's hardest part (the anatomy at the current
    /// C-arm pose), ahead of the action that takes it; true once none is left. It changes
    /// nothing the trainee can see: the shot, its image and its log are the same with or
    /// without it. A single-threaded host (the browser) calls it once per frame, so a shot
    /// at a new pose never stops the page.
    pub fn prepare_shot(&mut self, max_rows: usize) -> bool {
        let position = self.position();
        self.fluoroscope.prepare(&self.patient, position, max_rows)
    }

    /// Whether [`Session::apply`] would refuse `action`, and why: its values out of range
    /// ([`Action::validate`]), what only the patient tells ([`Action::check_on`]), or what the
    /// session's state forbids (turning the leg with a needle in or fluid injected: the
    /// anatomy they sit in would move under them).
    pub fn check(&self, action: &Action) -> Result<(), ActionError> {
        action.validate()?;
        action.check_on(&self.patient)?;
        if matches!(action, Action::RotateLeg { .. }) {
            if self.needle.is_some() {
                return Err(ActionError::LegFixed { why: "a needle is in; take it out first" });
            }
            if self.injection.injected().total_ml() > 0.0 {
                return Err(ActionError::LegFixed { why: "fluid has been injected into this hip" });
            }
        }
        Ok(())
    }

    /// Do one thing. A refused action changes nothing and is not logged. Each action is
    /// carried out by one method (session/acts.rs); this only dispatches.
    pub fn apply(&mut self, action: Action) -> Result<Vec<Event>, ActionError> {
        self.check(&action)?;
        let first_new = self.events.len();
        match &action {
            Action::Wait { seconds } => self.wait(*seconds),
            Action::SelectNeedle { needle } => self.select_needle(*needle),
            Action::SelectNeedleForDepth => self.select_needle_for_depth(),
            Action::InsertNeedle { entry, toward } => self.insert_needle(entry, toward),
            Action::PlaceNeedle { entry, tip } => self.place_needle(entry, tip),
            Action::Advance { mm } => self.move_needle(*mm, true),
            Action::AdvanceUntil { stop, max_mm, steer_toward, image_every_mm, on_contact } => {
                let steer = steer_toward.map(|p| p.resolve(&self.patient));
                self.advance_until(*stop, *max_mm, steer, *image_every_mm, *on_contact)
            }
            Action::Withdraw { mm } => self.move_needle(*mm, false),
            Action::Redirect { toward, withdraw_mm } => self.redirect(toward, *withdraw_mm),
            Action::RotateBevel { deg } => self.rotate_bevel(*deg),
            Action::RemoveNeedle => self.remove_needle(),
            Action::SetCArm { lao_deg, cranial_deg, isocentre } => {
                self.set_c_arm(*lao_deg, *cranial_deg, isocentre.as_ref())
            }
            Action::SetImaging { settings } => self.set_imaging(*settings),
            Action::Fluoro { seconds } => self.shoot(*seconds),
            Action::Inject { fluid, volume_ml, rate_ml_s } => {
                self.inject(*fluid, *volume_ml, rate_ml_s.unwrap_or(pace::INJECT_ML_PER_S), None)
            }
            Action::InjectUnderFluoro { fluid, volume_ml, rate_ml_s, frame_every_s } => self.inject(
                *fluid,
                *volume_ml,
                rate_ml_s.unwrap_or(pace::INJECT_ML_PER_S),
                Some(frame_every_s.unwrap_or(pace::LIVE_FRAME_EVERY_S)),
            ),
            Action::Consent => self.single_act(Step::IdentityConsent, pace::CONSENT_S),
            Action::IvAccess { .. } => self.single_act(Step::IvAccess, pace::IV_ACCESS_S),
            Action::TimeOut => self.single_act(Step::TimeOut, pace::TIME_OUT_S),
            Action::Position { position } => self.place_patient(*position),
            Action::RotateLeg { internal_deg } => self.rotate_leg(*internal_deg),
            Action::MarkPulse { at } => self.mark_pulse(at),
            Action::SkinPrep => self.single_act(Step::SkinPrep, pace::SKIN_PREP_S),
            Action::ReadContrast { pattern } => self.read_contrast(*pattern),
            Action::RecordDose => self.single_act(Step::DoseRecorded, pace::RECORD_DOSE_S),
            Action::Rest { minutes } => self.rest(*minutes),
            Action::Provocation { test } => self.provocation(*test),
            Action::DiagnosticReading { reading } => self.diagnostic_reading(*reading),
            Action::DischargeAdvice => self.single_act(Step::DischargeAdvice, pace::DISCHARGE_S),
        }
        if let Some(limit) = self.scenario.time_limit_min
            && !self.time_limit_reported
            && self.clock_s > limit * 60.0
        {
            self.time_limit_reported = true;
            self.emit(EventKind::TimeLimitPassed { limit_min: limit });
        }
        self.actions.push(action);
        self.forget_old_shot_images();
        Ok(self.events[first_new..].to_vec())
    }

    /// Keep the key shots and the [`RECENT_SHOT_IMAGES`] latest displayed images; drop the
    /// rest (64 KB each at 256 px), so a long session with live injections stays small. Run
    /// after each whole action: a key shot is always the newest of its kind when it appears,
    /// so nothing the debrief or the reports will pick is ever dropped.
    fn forget_old_shot_images(&mut self) {
        let n = self.shot_images.len();
        if n <= RECENT_SHOT_IMAGES + 3 {
            return;
        }
        let keys: Vec<u32> = key_shot_picks(&self.shot_images, &self.events)
            .into_iter()
            .map(|(_, i)| self.shot_images[i].index)
            .collect();
        let cut = n - RECENT_SHOT_IMAGES;
        let mut k = 0;
        self.shot_images.retain(|s| {
            k += 1;
            k > cut || keys.contains(&s.index)
        });
    }

    /// Steps attempted wrongly and not since done rightly: when, and why.
    pub fn wrong_steps(&self) -> &[(Step, f64, StepFault)] {
        self.book.wrong()
    }

    /// Steps done, with the simulated time each was first done.
    pub fn steps(&self) -> &[(Step, f64)] {
        self.book.done()
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
    /// The reading the case supports: from the relief at the last provocation after the
    /// drug, with the rest taken by then (indeterminate if none, or before full effect).
    pub fn expected_reading(&self) -> Reading {
        let rest = self.rest_at_test_min.unwrap_or(self.rest_min);
        let relief = procedure::relief_pct(self.scenario.pain_source, &self.delivery(), &self.pain, rest);
        procedure::correct_reading(&self.delivery(), relief, self.rest_at_test_min)
    }

    pub fn pain_profile(&self) -> PainProfile {
        self.pain
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

    /// How the patient lies now: as the trainee last placed them, else as the case
    /// expects. The images and the 3D view follow it; the needle's geometry is in the
    /// patient's own frame, so a wrongly placed patient is imaged as placed (an AP beam
    /// through a prone patient gives a mirrored PA view).
    pub fn position(&self) -> Position {
        self.placed.unwrap_or(self.scenario.position)
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Every needle used so far, the current one last.
    pub fn needles(&self) -> impl Iterator<Item = &Needle> {
        self.spent_needles.iter().chain(self.needle.iter())
    }

    /// The displayed images kept, in order: every key shot ([`key_shot_picks`]) and the
    /// [`RECENT_SHOT_IMAGES`] latest.
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
}

/// A push smaller than this (mL) is no push: nothing is injected and no step is done.
/// assumption: a tenth of the smallest syringe graduation (0.1 mL).
pub const MIN_PUSH_ML: f64 = 0.01;

/// Length of each shot of `advance_until`'s intermittent fluoroscopy (s). assumption:
/// the 1 s taps of the shipped expert scripts.
pub const INTERMITTENT_SHOT_S: f64 = 1.0;

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
