//! Learning-mode coaching: what to do next and why, read from the session as it
//! stands. Assessment mode shows none of this (the app decides; this module only
//! answers). Pure functions of the session, so a replay coaches the same way.

use super::anatomy::Tissue;
use super::assessment::{COAXIAL_FULL_MARKS_DEG, required_steps};
use super::injection::{ContrastPattern, Fluid};
use super::needle::{Compartment, NeedleKind};
use super::procedure::Step;
use super::session::{EventKind, Session};

/// Advancing the spinal needle further than this since the last image deserves a shot
/// (mm): the same rule the rubric uses for a blind advance.
pub use super::procedure::safety::ADVANCE_BETWEEN_SHOTS_MM;

/// Why each step matters, in a line.
pub fn why(step: Step) -> &'static str {
    match step {
        Step::IdentityConsent => "confirm who the patient is, which hip, and that they consent",
        Step::IvAccess => "optional: only if sedation is planned",
        Step::BaselineProvocation => "the pain score before the block is what relief is measured against",
        Step::TimeOut => "right patient, right side, right procedure, before any needle",
        Step::Positioning => "the approach depends on it (supine anterior, or prone)",
        Step::MarkFemoralPulse => "the artery lies medial to the target; knowing where it is keeps the needle lateral",
        Step::LocalisationShot => "a collimated image finds the head-neck junction before the skin is touched",
        Step::SkinPrep => "antiseptic and drape before the skin is broken",
        Step::LocalAnaesthetic => "numb the skin and the track with the small needle first",
        Step::NeedleToBone => "advance under intermittent imaging, down the beam, to the bony end-point",
        Step::ContrastInjected => "1-3 ml of contrast shows where the tip really is",
        Step::ContrastRead => "name the pattern before any drug goes in",
        Step::DrugInjected => "anaesthetic and steroid only once the joint is confirmed",
        Step::NeedleOut => "remove the needle and dress the site",
        Step::DoseRecorded => "fluoroscopy time and dose go in the record",
        Step::Rest => "the anaesthetic needs 15-30 minutes to act",
        Step::ProvocationAfterRest => "repeat the same test: the change in pain is the answer",
        Step::DiagnosticReading => "relief with drug in the joint is positive; no relief with drug in it, negative",
        Step::DischargeAdvice => "what to expect, what to watch for, whom to call",
    }
}

/// What a contrast pattern means and what to do about it.
pub fn pattern_meaning(p: ContrastPattern) -> Option<&'static str> {
    Some(match p {
        ContrastPattern::None => return None,
        ContrastPattern::IntraArticular => {
            "contrast flows away from the tip and outlines the femoral head and neck: intra-articular, proceed to the drug"
        }
        ContrastPattern::ExtraArticular => {
            "contrast pools in a blob at the tip: outside the capsule; advance to bone or redirect, then inject again"
        }
        ContrastPattern::Mixed => "part outlines the joint, part pools: the tip is at the capsule; adjust slightly",
        ContrastPattern::Intravascular => {
            "contrast streaks and washes out at once: the tip is in a vessel; never inject drug, withdraw and redirect"
        }
        ContrastPattern::Bursal => {
            "contrast fills the iliopsoas bursa or wraps its tendon, not the joint: redirect to the head-neck junction"
        }
    })
}

/// The first required step not yet done.
pub fn next_step(session: &Session) -> Option<Step> {
    required_steps(session.scenario()).into_iter().find(|s| !session.steps().iter().any(|(d, _)| d == s))
}

/// Needle travel since the last image (mm); `None` with no needle in.
pub fn advanced_since_last_shot_mm(session: &Session) -> Option<f64> {
    let state = session.state();
    let needle = state.needle?;
    let events = state.events;
    let last_shot = events.iter().rposition(|e| matches!(e.kind, EventKind::Shot { .. }));
    let last_insert = events.iter().rposition(|e| matches!(e.kind, EventKind::NeedleInserted { .. }));
    let depth_at_shot = match (last_shot, last_insert) {
        (Some(s), Some(i)) if s > i => events[..s]
            .iter()
            .rev()
            .take_while(|e| !matches!(e.kind, EventKind::NeedleInserted { .. }))
            .find_map(|e| match e.kind {
                EventKind::NeedleMoved { depth_mm, .. } => Some(depth_mm),
                _ => None,
            })
            .unwrap_or(0.0),
        _ => 0.0,
    };
    Some((needle.depth_mm() - depth_at_shot).max(0.0))
}

/// How urgent a piece of advice is. Danger always comes first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Urgency {
    /// Harm is happening or about to: a vessel, a nerve.
    Danger,
    /// Technique: image now, aim down the beam.
    Caution,
    /// What the images mean, what comes next.
    Routine,
}

/// One line of advice and how urgent it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Advice {
    pub urgency: Urgency,
    pub text: String,
}

/// Closer than this to a structure at risk, the coach says so before anything else (mm):
/// the needle's own near-miss distance.
pub const DANGER_NEAR_MM: f64 = crate::sim::needle::NEAR_MISS_MM;

/// The structure at risk nearest the needle's tip now, and its distance (mm, 0 inside).
pub fn nearest_at_risk(session: &Session) -> Option<(Tissue, f64)> {
    let tip = session.state().needle?.tip();
    Tissue::ALL
        .into_iter()
        .filter(|t| t.is_at_risk())
        .map(|t| (t, session.patient().signed_distance(t, tip).max(0.0)))
        .filter(|(_, d)| d.is_finite())
        .min_by(|a, b| a.1.total_cmp(&b.1))
}

/// The pattern the trainee last read and the pattern it really was, if no contrast has
/// gone in since: only then may the coach say what the image meant.
pub fn read_pattern(session: &Session) -> Option<(ContrastPattern, ContrastPattern)> {
    let events = session.state().events;
    let read = events.iter().rposition(|e| matches!(e.kind, EventKind::ContrastReadAs { .. }))?;
    let contrast_since =
        events[read..].iter().any(|e| matches!(e.kind, EventKind::Injected { fluid: Fluid::Contrast, .. }));
    if contrast_since {
        return None;
    }
    match events[read].kind {
        EventKind::ContrastReadAs { read, actual, .. } => Some((read, actual)),
        _ => None,
    }
}

/// Up to three pieces of advice, most urgent first: danger (blood, a nerve, the tip
/// within a few millimetres of a structure at risk) before technique before routine.
/// What a contrast pattern means is said only once the trainee has read it.
pub fn advice(session: &Session) -> Vec<Advice> {
    let state = session.state();
    let mut out = Vec::new();
    let mut say = |urgency, text: String| out.push(Advice { urgency, text });
    if let Some(n) = state.needle {
        let spinal = n.kind != NeedleKind::Anaesthetic25G;
        if n.blood_in_hub {
            say(
                Urgency::Danger,
                "Blood in the hub: the tip is in a vessel. Do not inject; withdraw and redirect.".into(),
            );
        }
        match state.tip_compartment {
            Some(Compartment::Nerve) => {
                say(Urgency::Danger, "Shooting pain down the thigh: the tip is on the nerve. Withdraw now.".into());
            }
            Some(Compartment::BoneSurface) if spinal && state.contrast_pattern == ContrastPattern::None => {
                say(
                    Urgency::Routine,
                    "Bony end-point: inject 1-3 ml of contrast under imaging to see where the tip is.".into(),
                );
            }
            _ => {}
        }
        if let Some((t, d)) = nearest_at_risk(session).filter(|(_, d)| *d > 0.0 && *d < DANGER_NEAR_MM) {
            say(
                Urgency::Danger,
                format!(
                    "The tip is {d:.1} mm from the {}: stop advancing, withdraw a little and redirect away from it.",
                    t.label()
                ),
            );
        }
        if spinal && let Some(mm) = advanced_since_last_shot_mm(session).filter(|mm| *mm > ADVANCE_BETWEEN_SHOTS_MM) {
            say(
                Urgency::Caution,
                format!(
                    "Take a shot: the needle has gone {mm:.0} mm since the last image, and the tip could be anywhere."
                ),
            );
        }
        if spinal
            && let Some(angle) = state.events.iter().rev().find_map(|e| match e.kind {
                EventKind::Shot { needle_beam_angle_deg, .. } => Some(needle_beam_angle_deg),
                _ => None,
            })
            && let Some(a) = angle.filter(|a| *a > COAXIAL_FULL_MARKS_DEG)
        {
            say(
                Urgency::Caution,
                format!(
                    "The needle is {a:.0} deg off the beam: aim along the beam so it is seen end-on, down the barrel."
                ),
            );
        }
    }
    let done = |step: Step| session.steps().iter().any(|(d, _)| *d == step);
    // What the contrast meant, once the trainee has read it, until the drug has gone in.
    if !done(Step::DrugInjected)
        && let Some((read, actual)) = read_pattern(session)
        && let Some(meaning) = pattern_meaning(actual)
    {
        let verdict = if read == actual {
            "You read it right".to_string()
        } else {
            format!("You read {}; it is {}", read.as_str().replace('_', "-"), actual.as_str().replace('_', "-"))
        };
        say(Urgency::Routine, format!("{verdict}: {meaning}."));
    }
    // The supine set-up turns the foot in, before any needle goes in (FIDELITY.md §2).
    let (lo, hi) = crate::sim::anatomy::params::table::SUPINE_SETUP_INTERNAL_ROTATION_DEG;
    let turned = session.patient().params.leg_rotation_deg;
    if done(Step::Positioning)
        && session.position() == crate::sim::Position::Supine
        && state.needle.is_none()
        && state.injection.injected().total_ml() == 0.0
        && !(lo..=hi).contains(&turned)
    {
        say(
            Urgency::Routine,
            format!(
                "Turn the foot in {hi:.0} deg (F4, then 'in {hi:.0} deg'): in most hips the anteverted neck then lies parallel to the detector and shows its full length."
            ),
        );
    }
    match next_step(session) {
        Some(step) => say(Urgency::Routine, format!("Next: {} - {}.", step.label(), why(step))),
        None => say(Urgency::Routine, "Every step is done: press Finish for the debrief.".into()),
    }
    // Stable: within one urgency the order above stands.
    out.sort_by_key(|a| a.urgency);
    out.truncate(3);
    out
}

/// Up to three lines of advice for the trainee, most urgent first (see [`advice`]).
pub fn hints(session: &Session) -> Vec<String> {
    advice(session).into_iter().map(|a| a.text).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::anatomy::LandmarkName;
    use crate::sim::session::{Action, PointRef};
    use crate::sim::{Scenario, Session};

    fn session() -> Session {
        Session::new(Scenario::default(), 3).unwrap()
    }

    #[test]
    fn a_fresh_session_is_told_to_start_with_consent_and_why() {
        let s = session();
        assert_eq!(next_step(&s), Some(Step::IdentityConsent));
        let h = hints(&s);
        assert!(h.iter().any(|l| l.contains("identity and consent") && l.contains("consent")), "{h:?}");
    }

    #[test]
    fn a_supine_patient_with_the_foot_straight_up_is_told_to_turn_it_in() {
        let mut s = session();
        s.apply(Action::Position { position: crate::sim::Position::Supine }).unwrap();
        assert!(hints(&s).iter().any(|l| l.starts_with("Turn the foot in 15 deg")), "{:?}", hints(&s));
        s.apply(Action::RotateLeg { internal_deg: 15.0 }).unwrap();
        assert!(!hints(&s).iter().any(|l| l.starts_with("Turn the foot")), "{:?}", hints(&s));
    }

    #[test]
    fn the_next_step_moves_on_when_a_step_is_done() {
        let mut s = session();
        s.apply(Action::Consent).unwrap();
        assert_ne!(next_step(&s), Some(Step::IdentityConsent));
    }

    #[test]
    fn advancing_blind_asks_for_a_shot_and_a_shot_clears_it() {
        let mut s = session();
        s.apply(Action::InsertNeedle {
            entry: PointRef::landmark(LandmarkName::AnteriorEntry),
            toward: PointRef::landmark(LandmarkName::Target),
        })
        .unwrap();
        s.apply(Action::Advance { mm: 30.0 }).unwrap();
        assert!(advanced_since_last_shot_mm(&s).unwrap() > 25.0);
        assert!(hints(&s).iter().any(|l| l.starts_with("Take a shot")), "{:?}", hints(&s));
        s.apply(Action::Fluoro { seconds: 0.5 }).unwrap();
        assert!(advanced_since_last_shot_mm(&s).unwrap() < 1.0);
        assert!(!hints(&s).iter().any(|l| l.starts_with("Take a shot")), "{:?}", hints(&s));
        s.apply(Action::Advance { mm: 5.0 }).unwrap();
        let mm = advanced_since_last_shot_mm(&s).unwrap();
        assert!((4.0..6.0).contains(&mm), "{mm}");
    }

    #[test]
    fn after_the_whole_procedure_the_coach_points_to_the_debrief_only() {
        let scenario = Scenario::default();
        let mut s = Session::new(scenario.clone(), 3).unwrap();
        for a in crate::sim::assessment::expert_actions(&scenario) {
            s.apply(a).unwrap();
        }
        assert_eq!(next_step(&s), None);
        assert_eq!(hints(&s), vec!["Every step is done: press Finish for the debrief.".to_string()]);
    }

    #[test]
    fn every_pattern_but_none_is_explained() {
        use ContrastPattern as P;
        for p in [P::IntraArticular, P::ExtraArticular, P::Mixed, P::Intravascular, P::Bursal] {
            assert!(pattern_meaning(p).is_some_and(|m| m.len() > 30));
        }
        assert!(pattern_meaning(P::None).is_none());
        // Intravascular advice never says to proceed.
        assert!(pattern_meaning(P::Intravascular).unwrap().contains("never inject"));
    }

    fn needle_toward(s: &mut Session, toward: LandmarkName) {
        s.apply(Action::InsertNeedle {
            entry: PointRef::landmark(LandmarkName::AnteriorEntry),
            toward: PointRef::landmark(toward),
        })
        .unwrap();
    }

    #[test]
    fn a_nerve_close_to_the_tip_outranks_taking_a_shot() {
        let mut s = session();
        needle_toward(&mut s, LandmarkName::FemoralNerve);
        // Advance 1 mm at a time until the tip is within the danger distance of a
        // structure at risk, then far enough since the last image to want a shot too.
        let mut near = None;
        for _ in 0..150 {
            s.apply(Action::Advance { mm: 1.0 }).unwrap();
            if let Some((t, d)) = nearest_at_risk(&s).filter(|(_, d)| *d > 0.0 && *d < DANGER_NEAR_MM)
                && advanced_since_last_shot_mm(&s).unwrap() > ADVANCE_BETWEEN_SHOTS_MM
            {
                near = Some((t, d));
                break;
            }
        }
        let (t, _) = near.expect("the tip comes within a few mm of a structure at risk on the way to the nerve");
        let a = advice(&s);
        assert_eq!(a[0].urgency, Urgency::Danger, "{a:?}");
        assert!(a[0].text.contains(t.label()) && a[0].text.contains("mm from"), "{a:?}");
        let shot = a.iter().position(|x| x.text.starts_with("Take a shot"));
        assert!(shot.is_none_or(|i| i > 0), "{a:?}");
    }

    #[test]
    fn the_pattern_is_explained_only_after_the_trainee_has_read_it() {
        let scenario = Scenario::default();
        let mut s = Session::new(scenario.clone(), 3).unwrap();
        let actions = crate::sim::assessment::expert_actions(&scenario);
        let read = actions.iter().position(|a| matches!(a, Action::ReadContrast { .. })).unwrap();
        for a in actions[..read].iter().cloned() {
            s.apply(a).unwrap();
        }
        assert_ne!(s.state().contrast_pattern, ContrastPattern::None);
        let before = hints(&s).join(" ");
        for word in ["intra-articular", "outlines", "pools", "You read"] {
            assert!(!before.contains(word), "the coach gives the pattern away before the read: {before}");
        }
        // A wrong read: the coach then says what it was and what that means.
        s.apply(Action::ReadContrast { pattern: ContrastPattern::Bursal }).unwrap();
        let after = hints(&s).join(" ");
        assert!(after.contains("You read bursal; it is intra-articular"), "{after}");
        // More contrast makes a new image to read: the explanation goes until it is read.
        s.apply(Action::Inject { fluid: Fluid::Contrast, volume_ml: 0.5, rate_ml_s: None }).unwrap();
        assert!(!hints(&s).join(" ").contains("You read"), "{:?}", hints(&s));
    }
}
