//! What happened in a session: events with their simulated time.

use serde::{Deserialize, Serialize};

use crate::sim::anatomy::Position;
use crate::sim::imaging::Dose;
use crate::sim::injection::{ContrastPattern, Fluid, Site};
use crate::sim::needle::{Compartment, NeedleEvent, NeedleKind};
use crate::sim::procedure::{ProvocationTest, Reading, Step, StepFault, UnsafeAct};

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
    /// The leg was turned (internal positive: the foot in; 0 straight up).
    LegRotated {
        internal_deg: f64,
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
