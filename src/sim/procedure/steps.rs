//! Step recognition: which step of the procedure an act completes, which act attempts a
//! step wrongly (and why), and the book that keeps both with their times.

use serde::{Deserialize, Serialize};

use super::Step;
use crate::sim::anatomy::Position;
use crate::sim::injection::Fluid;
use crate::sim::needle::NeedleKind;

/// Local anaesthetic counts as the skin/track step up to this needle depth (mm).
pub const LOCAL_ANAESTHETIC_MAX_DEPTH_MM: f64 = 40.0;

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
    /// The rest so far is shorter than the anaesthetic needs to act.
    RestTooShort,
}

impl StepFault {
    pub fn label(self) -> &'static str {
        match self {
            StepFault::WrongPosition => "wrong position for this case",
            StepFault::NoContrastToRead => "read with no contrast injected",
            StepFault::DrugBeforeContrastConfirmed => "drug before the contrast was confirmed",
            StepFault::RestTooShort => "rest shorter than 15 min",
        }
    }
}

/// What an act means for the checklist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recognised {
    /// The step is done.
    Done(Step),
    /// The step was attempted wrongly.
    Wrong(Step, StepFault),
}

/// Positioning: done when the patient lies as the case needs.
pub fn positioning(placed: Position, expected: Position) -> Recognised {
    if placed == expected {
        Recognised::Done(Step::Positioning)
    } else {
        Recognised::Wrong(Step::Positioning, StepFault::WrongPosition)
    }
}

/// Reading the contrast: done only with contrast injected and in the field.
pub fn contrast_read(contrast_in_field: bool) -> Recognised {
    if contrast_in_field {
        Recognised::Done(Step::ContrastRead)
    } else {
        Recognised::Wrong(Step::ContrastRead, StepFault::NoContrastToRead)
    }
}

/// A push: the skin local anaesthetic (shallow), the contrast, or the drug (done rightly
/// only once the contrast was confirmed on an image).
pub fn injection(fluid: Fluid, needle_depth_mm: f64, contrast_confirmed: bool) -> Option<Recognised> {
    match fluid {
        Fluid::LocalAnaesthetic if needle_depth_mm <= LOCAL_ANAESTHETIC_MAX_DEPTH_MM => {
            Some(Recognised::Done(Step::LocalAnaesthetic))
        }
        Fluid::LocalAnaesthetic => None,
        Fluid::Contrast => Some(Recognised::Done(Step::ContrastInjected)),
        Fluid::DrugMix if contrast_confirmed => Some(Recognised::Done(Step::DrugInjected)),
        Fluid::DrugMix => Some(Recognised::Wrong(Step::DrugInjected, StepFault::DrugBeforeContrastConfirmed)),
    }
}

/// Rest: done once the rest so far reaches the anaesthetic's full effect (15 min).
pub fn rest(total_rest_min: f64) -> Recognised {
    if total_rest_min >= super::diagnosis::FULL_EFFECT_REST_MIN {
        Recognised::Done(Step::Rest)
    } else {
        Recognised::Wrong(Step::Rest, StepFault::RestTooShort)
    }
}

/// A provocation test is the one after rest once the drug is in and the rest taken;
/// otherwise it is the baseline.
pub fn provocation(drug_given: bool, rested: bool) -> Step {
    if drug_given && rested { Step::ProvocationAfterRest } else { Step::BaselineProvocation }
}

/// A shot before any spinal needle went in is the localisation image.
pub fn shot(spinal_needle_used: bool) -> Option<Step> {
    (!spinal_needle_used).then_some(Step::LocalisationShot)
}

/// The bony end-point with the spinal needle (not the skin needle) is "needle to bone".
pub fn bony_endpoint(kind: NeedleKind) -> Option<Step> {
    (kind != NeedleKind::Anaesthetic25G).then_some(Step::NeedleToBone)
}

/// Taking the needle out counts once the drug is in.
pub fn needle_out(drug_given: bool) -> Option<Step> {
    drug_given.then_some(Step::NeedleOut)
}

/// Steps done (first time) and attempted wrongly (not since done rightly), with times.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepBook {
    done: Vec<(Step, f64)>,
    wrong: Vec<(Step, f64, StepFault)>,
}

impl StepBook {
    /// Mark `step` done at `time_s`. `None` if it was already done; else the first later
    /// required step already done, if any (the step came out of order).
    pub fn mark_done(&mut self, step: Step, time_s: f64) -> Option<Option<Step>> {
        if self.is_done(step) {
            return None;
        }
        let later = self.done.iter().find(|(s, _)| *s > step && s.required()).map(|(s, _)| *s);
        self.done.push((step, time_s));
        self.wrong.retain(|(s, _, _)| *s != step);
        Some(later)
    }

    /// Record `step` attempted wrongly; false (nothing recorded) if it is already done.
    pub fn mark_wrong(&mut self, step: Step, time_s: f64, fault: StepFault) -> bool {
        if self.is_done(step) {
            return false;
        }
        self.wrong.retain(|(s, _, _)| *s != step);
        self.wrong.push((step, time_s, fault));
        true
    }

    pub fn is_done(&self, step: Step) -> bool {
        self.done.iter().any(|(s, _)| *s == step)
    }

    /// Steps done, with the simulated time each was first done.
    pub fn done(&self) -> &[(Step, f64)] {
        &self.done
    }

    /// Steps attempted wrongly and not since done rightly.
    pub fn wrong(&self) -> &[(Step, f64, StepFault)] {
        &self.wrong
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrong_attempt_is_replaced_by_doing_the_step_rightly() {
        let mut b = StepBook::default();
        assert!(b.mark_wrong(Step::Positioning, 1.0, StepFault::WrongPosition));
        assert!(!b.is_done(Step::Positioning));
        assert_eq!(b.mark_done(Step::Positioning, 2.0), Some(None));
        assert!(b.wrong().is_empty());
        assert!(!b.mark_wrong(Step::Positioning, 3.0, StepFault::WrongPosition), "done stays done");
        assert_eq!(b.mark_done(Step::TimeOut, 4.0), Some(Some(Step::Positioning)), "time-out after positioning");
    }

    #[test]
    fn the_drug_counts_only_after_confirmation_and_deep_local_is_not_the_skin_step() {
        assert_eq!(injection(Fluid::DrugMix, 70.0, true), Some(Recognised::Done(Step::DrugInjected)));
        assert_eq!(
            injection(Fluid::DrugMix, 70.0, false),
            Some(Recognised::Wrong(Step::DrugInjected, StepFault::DrugBeforeContrastConfirmed))
        );
        assert_eq!(injection(Fluid::LocalAnaesthetic, 60.0, false), None);
    }
}
