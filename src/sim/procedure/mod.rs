//! The procedure: its steps in the source text's order, and its rules, each in one
//! module:
//!
//! - `steps`: which step an act completes, and when an act attempts a step wrongly;
//! - `safety`: which acts are unsafe, and which of them are critical;
//! - `diagnosis`: the patient's response to the block, and the right reading of it.
//!
//! Steps are recognised from what the trainee does; out-of-order, skipped, wrong and
//! unsafe acts are recorded as events, never refused.

pub mod diagnosis;
pub mod safety;
pub mod steps;

use serde::{Deserialize, Serialize};

pub use diagnosis::{
    DrugDelivery, FULL_BLOCK_ANAESTHETIC_ML, FULL_EFFECT_REST_MIN, MAX_RELIEF_PCT, MIN_READABLE_ANAESTHETIC_ML,
    POSITIVE_RELIEF_PCT, PainProfile, PainSource, ProvocationTest, Reading, ReadingAnswer, correct_reading,
    reading_by_rule, relief_pct,
};
pub use safety::{UnsafeAct, is_critical};
pub use steps::{StepBook, StepFault};

/// The steps, in the order of DOMAIN.md §1 and the project's source text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    IdentityConsent,
    IvAccess,
    BaselineProvocation,
    TimeOut,
    Positioning,
    MarkFemoralPulse,
    LocalisationShot,
    SkinPrep,
    LocalAnaesthetic,
    NeedleToBone,
    ContrastInjected,
    ContrastRead,
    DrugInjected,
    NeedleOut,
    DoseRecorded,
    Rest,
    ProvocationAfterRest,
    DiagnosticReading,
    DischargeAdvice,
}

impl Step {
    pub const ALL: [Step; 19] = [
        Step::IdentityConsent,
        Step::IvAccess,
        Step::BaselineProvocation,
        Step::TimeOut,
        Step::Positioning,
        Step::MarkFemoralPulse,
        Step::LocalisationShot,
        Step::SkinPrep,
        Step::LocalAnaesthetic,
        Step::NeedleToBone,
        Step::ContrastInjected,
        Step::ContrastRead,
        Step::DrugInjected,
        Step::NeedleOut,
        Step::DoseRecorded,
        Step::Rest,
        Step::ProvocationAfterRest,
        Step::DiagnosticReading,
        Step::DischargeAdvice,
    ];

    /// Whether skipping the step loses its checklist item (IV access and sedation are optional).
    pub fn required(self) -> bool {
        !matches!(self, Step::IvAccess)
    }

    pub fn label(self) -> &'static str {
        match self {
            Step::IdentityConsent => "identity and consent",
            Step::IvAccess => "IV access (optional sedation)",
            Step::BaselineProvocation => "baseline pain score and provocation test",
            Step::TimeOut => "time-out and site marking",
            Step::Positioning => "positioning",
            Step::MarkFemoralPulse => "femoral pulse marked",
            Step::LocalisationShot => "collimated localisation image",
            Step::SkinPrep => "antiseptic prep and drape",
            Step::LocalAnaesthetic => "skin local anaesthetic",
            Step::NeedleToBone => "needle to bone at the target under fluoroscopy",
            Step::ContrastInjected => "contrast injected under imaging",
            Step::ContrastRead => "contrast pattern read",
            Step::DrugInjected => "anaesthetic and steroid injected",
            Step::NeedleOut => "needle out, dressing",
            Step::DoseRecorded => "fluoroscopy time and dose recorded",
            Step::Rest => "rest (15–30 min)",
            Step::ProvocationAfterRest => "provocation test and pain score after rest",
            Step::DiagnosticReading => "diagnostic reading of the block",
            Step::DischargeAdvice => "discharge advice",
        }
    }
}
