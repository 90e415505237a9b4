//! The diagnostic rule: the patient's pain, how much the block relieves it after rest,
//! and the reading a careful clinician would make (DOMAIN.md §8).

use serde::{Deserialize, Serialize};

use crate::sim::injection::Contents;
use crate::sim::rng::SimRng;

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

/// The reading a careful clinician would make from the relief and where the drug went,
/// given how long the patient had rested when provoked (`None`: never provoked after the
/// drug). Provoked before the anaesthetic's full effect, the block cannot be read yet.
pub fn correct_reading(delivery: &DrugDelivery, relief_pct: f64, rest_at_test_min: Option<f64>) -> Reading {
    if delivery.joint.anaesthetic_equivalent_ml() < MIN_READABLE_ANAESTHETIC_ML
        || rest_at_test_min.is_none_or(|r| r < FULL_EFFECT_REST_MIN)
    {
        Reading::Indeterminate
    } else if relief_pct >= POSITIVE_RELIEF_PCT {
        Reading::Positive
    } else {
        Reading::Negative
    }
}

/// The published rule applied to what the trainee saw: contrast confirmed in the joint
/// on an image, then ≥ 80% relief on provocation after rest is positive, less is
/// negative; without that confirmation the block cannot be read.
pub fn reading_by_rule(
    contrast_confirmed_in_joint: bool,
    last_relief_pct: Option<f64>,
    rest_at_test_min: Option<f64>,
) -> Reading {
    if !contrast_confirmed_in_joint || rest_at_test_min.is_none_or(|r| r < FULL_EFFECT_REST_MIN) {
        Reading::Indeterminate
    } else if last_relief_pct.unwrap_or(0.0) >= POSITIVE_RELIEF_PCT {
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
        assert_eq!(correct_reading(&joint(5.0), r, Some(20.0)), Reading::Positive);
        // Tested too soon, the block is only partial.
        assert!(relief_pct(PainSource::HipJoint, &joint(5.0), &p, 5.0) < POSITIVE_RELIEF_PCT);
    }

    #[test]
    fn a_lumbar_case_is_not_relieved_and_reads_negative() {
        let p = PainProfile { baseline_0_10: 7.0, placebo_pct: 10.0 };
        let r = relief_pct(PainSource::LumbarSpine, &joint(5.0), &p, 30.0);
        assert_eq!(r, 10.0);
        assert_eq!(correct_reading(&joint(5.0), r, Some(20.0)), Reading::Negative);
    }

    #[test]
    fn a_block_tested_before_the_anaesthetic_acts_cannot_be_read() {
        let p = PainProfile { baseline_0_10: 7.0, placebo_pct: 10.0 };
        let early = relief_pct(PainSource::HipJoint, &joint(5.0), &p, 0.0);
        assert!(early < POSITIVE_RELIEF_PCT, "no effect yet: {early}%");
        assert_eq!(correct_reading(&joint(5.0), early, Some(0.0)), Reading::Indeterminate);
        assert_eq!(correct_reading(&joint(5.0), early, None), Reading::Indeterminate);
        assert_eq!(reading_by_rule(true, Some(early), Some(0.0)), Reading::Indeterminate);
        assert_eq!(reading_by_rule(true, Some(90.0), Some(20.0)), Reading::Positive);
    }

    #[test]
    fn a_missed_joint_cannot_be_read() {
        let p = PainProfile { baseline_0_10: 7.0, placebo_pct: 10.0 };
        let r = relief_pct(PainSource::HipJoint, &joint(0.0), &p, 30.0);
        assert!(r < POSITIVE_RELIEF_PCT, "a false negative");
        assert_eq!(correct_reading(&joint(0.0), r, Some(30.0)), Reading::Indeterminate);
    }
}
