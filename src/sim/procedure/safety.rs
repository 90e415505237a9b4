//! Safety rules: which acts are unsafe, and which of those fail the attempt whatever
//! the score (critical). Pure functions of what the session knows at the moment of
//! the act, so "where is needle-before-prep detected" has one answer: here.

use serde::{Deserialize, Serialize};

use crate::sim::anatomy::Tissue;
use crate::sim::injection::{Fluid, Site};
use crate::sim::needle::NeedleKind;

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

/// Unsafe acts that fail the attempt whatever the score: harm to the patient (a vessel
/// or nerve entered or injected, a push against high resistance, going on after blood
/// in the hub), the drug where it was not confirmed to belong, and no time-out.
pub fn is_critical(a: UnsafeAct) -> bool {
    matches!(
        a,
        UnsafeAct::InjectedIntravascular
            | UnsafeAct::InjectedIntraneural
            | UnsafeAct::DrugBeforeContrastConfirmation
            | UnsafeAct::DrugAfterMisreadContrast
            | UnsafeAct::NeedleBeforeTimeOut
            | UnsafeAct::HitFemoralNerve
            | UnsafeAct::HitFemoralArtery
            | UnsafeAct::HitSciaticNerve
            | UnsafeAct::InjectedAgainstHighResistance
            | UnsafeAct::ContinuedAfterBloodInHub
    )
}

/// Advancing the spinal needle further than this since the last image is advancing
/// blind (mm). assumption: intermittent imaging every 1–2 cm of advance, as DOMAIN.md §1
/// describes "advanced under intermittent fluoroscopy".
pub const ADVANCE_BETWEEN_SHOTS_MM: f64 = 15.0;

/// Relative resistance above which an injection is "against high resistance".
pub const HIGH_RESISTANCE: f64 = 5.0;

/// What the session knows when a needle goes through the skin.
#[derive(Clone, Copy, Debug)]
pub struct NeedleIn {
    pub kind: NeedleKind,
    pub time_out_done: bool,
    pub skin_prep_done: bool,
    pub on_tray: bool,
}

/// Unsafe acts of putting a needle in: the spinal needle before the time-out, any
/// needle before the skin prep, a needle not on the case's tray.
pub fn on_needle_in(n: NeedleIn) -> Vec<UnsafeAct> {
    let mut out = Vec::new();
    if n.kind != NeedleKind::Anaesthetic25G && !n.time_out_done {
        out.push(UnsafeAct::NeedleBeforeTimeOut);
    }
    if !n.skin_prep_done {
        out.push(UnsafeAct::NeedleBeforeSkinPrep);
    }
    if !n.on_tray {
        out.push(UnsafeAct::NeedleNotOnTray);
    }
    out
}

/// The needle entered `structure`: a critical error for the femoral nerve, the femoral artery
/// and its deep branch (the profunda femoris, a main trunk) and the sciatic nerve (the vein
/// and small branches are near-misses of consequence, recorded as hits in the metrics).
pub fn on_hit(structure: Tissue) -> Option<UnsafeAct> {
    match structure {
        Tissue::FemoralNerve => Some(UnsafeAct::HitFemoralNerve),
        Tissue::FemoralArtery | Tissue::ProfundaFemoris => Some(UnsafeAct::HitFemoralArtery),
        Tissue::SciaticNerve => Some(UnsafeAct::HitSciaticNerve),
        _ => None,
    }
}

/// Advancing with blood already in the hub.
pub fn on_advance(blood_in_hub: bool) -> Option<UnsafeAct> {
    blood_in_hub.then_some(UnsafeAct::ContinuedAfterBloodInHub)
}

/// What the session knows as a push begins.
#[derive(Clone, Copy, Debug)]
pub struct Push {
    pub fluid: Fluid,
    pub site: Site,
    pub blood_in_hub: bool,
    /// Contrast was injected and imaged before now.
    pub contrast_confirmed: bool,
    /// The last reading of the contrast was wrong (`None`: never read).
    pub last_read_wrong: Option<bool>,
}

/// Unsafe acts of starting a push: through blood in the hub, into a vessel or a nerve,
/// the drug before the contrast was confirmed or after it was misread.
pub fn on_push(p: Push) -> Vec<UnsafeAct> {
    let mut out = Vec::new();
    if p.blood_in_hub {
        out.push(UnsafeAct::ContinuedAfterBloodInHub);
    }
    match p.site {
        Site::Intravascular => out.push(UnsafeAct::InjectedIntravascular),
        Site::Intraneural => out.push(UnsafeAct::InjectedIntraneural),
        _ => {}
    }
    if p.fluid == Fluid::DrugMix && !p.contrast_confirmed {
        out.push(UnsafeAct::DrugBeforeContrastConfirmation);
    }
    if p.fluid == Fluid::DrugMix && p.last_read_wrong == Some(true) {
        out.push(UnsafeAct::DrugAfterMisreadContrast);
    }
    out
}

/// After a push: was the resistance felt at any moment above [`HIGH_RESISTANCE`]?
pub fn after_push(highest_resistance: f64) -> Option<UnsafeAct> {
    (highest_resistance > HIGH_RESISTANCE).then_some(UnsafeAct::InjectedAgainstHighResistance)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_drug_is_unsafe_unless_the_contrast_was_confirmed_and_read_right() {
        let push = |confirmed, wrong| Push {
            fluid: Fluid::DrugMix,
            site: Site::IntraArticular,
            blood_in_hub: false,
            contrast_confirmed: confirmed,
            last_read_wrong: wrong,
        };
        assert_eq!(on_push(push(true, Some(false))), []);
        assert_eq!(on_push(push(false, None)), [UnsafeAct::DrugBeforeContrastConfirmation]);
        assert_eq!(on_push(push(true, Some(true))), [UnsafeAct::DrugAfterMisreadContrast]);
        // Contrast itself may always be pushed to find out where the tip is.
        assert_eq!(on_push(Push { fluid: Fluid::Contrast, ..push(false, None) }), []);
    }

    #[test]
    fn only_the_small_skin_needle_may_go_in_before_the_time_out() {
        let n = |kind| NeedleIn { kind, time_out_done: false, skin_prep_done: true, on_tray: true };
        assert_eq!(on_needle_in(n(NeedleKind::Anaesthetic25G)), []);
        assert_eq!(on_needle_in(n(NeedleKind::Quincke22G89)), [UnsafeAct::NeedleBeforeTimeOut]);
        assert!(is_critical(UnsafeAct::NeedleBeforeTimeOut));
        assert!(!is_critical(UnsafeAct::NeedleBeforeSkinPrep));
    }
}
