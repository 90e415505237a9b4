//! The procedure: its steps in the source text's order, and the patient's
//! diagnostic response to the block.
//!
//! Steps are recognised from what the trainee does; out-of-order, skipped and
//! unsafe acts are recorded as events, never refused.

use serde::{Deserialize, Serialize};

use super::injection::Contents;
use super::rng::SimRng;

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

/// Where the case's pain really comes from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PainSource {
    #[default]
    HipJoint,
    LumbarSpine,
    IliopsoasBursa,
    TrochantericBursa,
}

/// Provocation manoeuvres (DOMAIN.md §8).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProvocationTest {
    /// Flexion, abduction, external rotation (sensitivity 0.82).
    #[default]
    Faber,
    /// Internal-rotation overpressure (sensitivity 0.91).
    InternalRotationOverpressure,
}

/// The trainee's reading of the diagnostic block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reading {
    /// Relief: the joint is the pain source.
    Positive,
    /// No relief with the drug in the joint: the joint is not the source.
    Negative,
    /// The drug did not reach the joint: the block cannot be read (a false negative risk).
    Indeterminate,
}

/// What the trainee answers when reading the block. `by_rule` applies the published
/// rule to what was seen (scripted reference runs use it: one script fits every case).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadingAnswer {
    Positive,
    Negative,
    Indeterminate,
    ByRule,
}

/// Relief that counts as a positive block: ≥80% (Maslowski 2010).
pub const POSITIVE_RELIEF_PCT: f64 = 80.0;
/// Anaesthetic in the joint (mL, lidocaine-equivalent) for a full block. assumption.
pub const FULL_BLOCK_ANAESTHETIC_ML: f64 = 2.0;
/// Below this the block is not interpretable (mL). assumption.
pub const MIN_READABLE_ANAESTHETIC_ML: f64 = 1.0;
/// Rest (min) the anaesthetic needs for its full effect (checklist: 15–30 min).
pub const FULL_EFFECT_REST_MIN: f64 = 15.0;
/// Relief the best block gives when the joint is the source (%). assumption.
pub const MAX_RELIEF_PCT: f64 = 95.0;

/// The simulated patient's pain: baseline and placebo response, drawn per case.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PainProfile {
    /// Pain on provocation before the block, 0–10.
    pub baseline_0_10: f64,
    /// Relief from the procedure alone, whatever the drug does (%).
    pub placebo_pct: f64,
}

impl PainProfile {
    /// Draw the profile from its own random stream of the session seed.
    pub fn draw(seed: u64) -> Self {
        let mut r = SimRng::for_stream(seed, 7);
        PainProfile {
            baseline_0_10: (6.0 + 2.0 * r.uniform()).round(),
            placebo_pct: (10.0 + 5.0 * r.standard_normal()).clamp(0.0, 25.0),
        }
    }
}

/// Where the drug went, as far as the diagnosis is concerned.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DrugDelivery {
    pub joint: Contents,
    pub bursa: Contents,
}

/// Relief (%) on provocation after `rest_min` of rest.
pub fn relief_pct(source: PainSource, delivery: &DrugDelivery, profile: &PainProfile, rest_min: f64) -> f64 {
    let onset = (rest_min / FULL_EFFECT_REST_MIN).clamp(0.0, 1.0);
    let block = |ml: f64| (ml / FULL_BLOCK_ANAESTHETIC_ML).clamp(0.0, 1.0);
    let specific = match source {
        PainSource::HipJoint => block(delivery.joint.anaesthetic_equivalent_ml()),
        // A bursal source is relieved by drug in the bursa (a communicating bursa also
        // takes some of a joint injection's drug).
        PainSource::IliopsoasBursa => block(delivery.bursa.anaesthetic_equivalent_ml()),
        PainSource::LumbarSpine | PainSource::TrochantericBursa => 0.0,
    };
    let relief = profile.placebo_pct + (MAX_RELIEF_PCT - profile.placebo_pct) * specific * onset;
    (relief * 10.0).round() / 10.0
}

/// The reading a careful clinician would make from the relief and where the drug went.
pub fn correct_reading(delivery: &DrugDelivery, relief_pct: f64) -> Reading {
    if delivery.joint.anaesthetic_equivalent_ml() < MIN_READABLE_ANAESTHETIC_ML {
        Reading::Indeterminate
    } else if relief_pct >= POSITIVE_RELIEF_PCT {
        Reading::Positive
    } else {
        Reading::Negative
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joint(ml: f64) -> DrugDelivery {
        DrugDelivery { joint: Contents { drug_mix_ml: ml, ..Default::default() }, ..Default::default() }
    }

    #[test]
    fn a_hip_case_with_drug_in_the_joint_is_relieved_after_rest() {
        let p = PainProfile { baseline_0_10: 7.0, placebo_pct: 10.0 };
        let r = relief_pct(PainSource::HipJoint, &joint(5.0), &p, 20.0);
        assert!(r >= POSITIVE_RELIEF_PCT);
        assert_eq!(correct_reading(&joint(5.0), r), Reading::Positive);
        // Tested too soon, the block is only partial.
        assert!(relief_pct(PainSource::HipJoint, &joint(5.0), &p, 5.0) < POSITIVE_RELIEF_PCT);
    }

    #[test]
    fn a_lumbar_case_is_not_relieved_and_reads_negative() {
        let p = PainProfile { baseline_0_10: 7.0, placebo_pct: 10.0 };
        let r = relief_pct(PainSource::LumbarSpine, &joint(5.0), &p, 30.0);
        assert_eq!(r, 10.0);
        assert_eq!(correct_reading(&joint(5.0), r), Reading::Negative);
    }

    #[test]
    fn a_missed_joint_cannot_be_read() {
        let p = PainProfile { baseline_0_10: 7.0, placebo_pct: 10.0 };
        let r = relief_pct(PainSource::HipJoint, &joint(0.0), &p, 30.0);
        assert!(r < POSITIVE_RELIEF_PCT, "a false negative");
        assert_eq!(correct_reading(&joint(0.0), r), Reading::Indeterminate);
    }
}
