//! Assessment: the metrics of a session (`metrics`), the rubric that scores them by
//! domain against the shipped expert reference run on the same case and seed
//! (`rubric`), the report, and the files it is written to (`export`).
//!
//! Everything here is a pure function of the session, so a replayed log gives the
//! byte-identical report.

pub mod export;
pub mod lrs;
pub mod metrics;
pub mod rubric;
pub mod xapi;

use serde::{Deserialize, Serialize};

use super::needle::NeedleEvent;
use super::procedure::UnsafeAct;
use super::scenario::{Mode, Position, Scenario};
use super::session::{Action, EventKind, Session};

pub use super::procedure::safety::is_critical;
pub use metrics::{Metrics, StepRecord, WrongStep, required_steps};
pub use rubric::{COAXIAL_FULL_MARKS_DEG, Domain, DomainVerdict, RubricItem, Score, score};

/// Version of the report's JSON schema (2: domains and their verdicts).
pub const REPORT_SCHEMA_VERSION: u32 = 2;

/// The shipped expert reference scripts, one per approach.
pub const EXPERT_ANTERIOR: &str = include_str!("../../../assets/scripts/expert_anterior.ron");
pub const EXPERT_PRONE: &str = include_str!("../../../assets/scripts/expert_prone.ron");

/// The expert reference actions for a scenario's approach.
pub fn expert_actions(scenario: &Scenario) -> Vec<Action> {
    let text = match scenario.position {
        Position::Supine => EXPERT_ANTERIOR,
        Position::Prone => EXPERT_PRONE,
    };
    ron::from_str(text).expect("shipped expert scripts parse (tested)")
}

/// Run the shipped expert script on the same case and seed. Called with the case and seed
/// of a session that already started, so starting again cannot fail.
pub fn expert_reference(scenario: &Scenario, seed: u64) -> Session {
    play_expert(scenario, seed, expert_actions(scenario))
}

fn play_expert(scenario: &Scenario, seed: u64, actions: Vec<Action>) -> Session {
    let mut s = Session::new(scenario.clone(), seed).expect("a session on this case and seed already started");
    for a in actions {
        s.apply(a).expect("shipped expert scripts are valid (tested), and a leg turn comes before any needle");
    }
    s
}

/// The expert's actions for `session`'s patient: the shipped script with the leg turned as
/// the trainee left it, right after positioning, when that differs from how the case laid it,
/// so that the expert works on the same femur (its target turns with it) and the replay's
/// expert path ends where the trainee's target is.
pub fn expert_actions_for(session: &Session) -> Vec<Action> {
    let mut actions = expert_actions(session.scenario());
    let turn = session.patient().params.leg_rotation_deg + 0.0;
    let laid = session.scenario().patient.leg_rotation_deg.unwrap_or(0.0) + 0.0;
    if turn != laid
        && let Some(i) = actions.iter().position(|a| matches!(a, Action::Position { .. }))
    {
        actions.insert(i + 1, Action::RotateLeg { internal_deg: turn });
    }
    actions
}

/// The expert reference for `session`: [`expert_actions_for`] played on the same case and seed.
pub fn expert_reference_for(session: &Session) -> Session {
    play_expert(session.scenario(), session.seed(), expert_actions_for(session))
}

/// A timeline entry for reports.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub time_s: f64,
    pub what: String,
    /// `info`, `warning` or `critical`.
    pub level: String,
}

/// The report an instructor keeps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub disclaimer: String,
    pub software: String,
    pub trainee: String,
    pub scenario: String,
    pub scenario_title: String,
    pub mode: Mode,
    pub seed: u64,
    pub metrics: Metrics,
    pub expert: Metrics,
    pub score: Score,
    pub timeline: Vec<TimelineEntry>,
    pub practise_next: Vec<String>,
}

/// An event in words for timelines, with its level (`info`, `warning`, `critical`);
/// `None` for bookkeeping events.
pub fn describe(kind: &EventKind) -> Option<(String, &'static str)> {
    use EventKind as K;
    Some(match kind {
        K::StepDone { step } => (format!("step: {}", step.label()), "info"),
        K::StepWrong { step, fault } => (format!("step done wrongly: {} ({})", step.label(), fault.label()), "warning"),
        K::StepOutOfOrder { step, before } => {
            (format!("out of order: {} after {}", step.label(), before.label()), "warning")
        }
        K::WrongPosition { placed, expected } => {
            (format!("patient placed {placed:?}, case needs {expected:?}").to_lowercase(), "warning")
        }
        K::PulseMarked { error_mm } => (format!("femoral pulse marked {error_mm:.0} mm from the artery"), "info"),
        K::NeedleSelected { needle } => (format!("needle: {}", needle.spec().label), "info"),
        K::NeedleInserted { needle, .. } => (format!("{} through the skin", needle.spec().label), "info"),
        K::Redirected { count } => (format!("redirection {count}"), "info"),
        K::NeedleRemoved => ("needle out".into(), "info"),
        K::Needle(e) => match e {
            NeedleEvent::BonyEndpoint { depth_mm, .. } => (format!("bony end-point at {depth_mm:.0} mm"), "info"),
            NeedleEvent::CapsulePop { depth_mm } => (format!("capsule pop at {depth_mm:.0} mm"), "info"),
            NeedleEvent::NearMiss { structure, distance_mm } => {
                (format!("near-miss: {} at {distance_mm:.1} mm", structure.label()), "warning")
            }
            NeedleEvent::Hit { structure } => (format!("needle hit the {}", structure.label()), "critical"),
            NeedleEvent::BloodInHub { structure } => (format!("blood in the hub ({})", structure.label()), "critical"),
            NeedleEvent::Paraesthesia { structure } => {
                (format!("paraesthesia: {} touched", structure.label()), "critical")
            }
            NeedleEvent::FullyInserted => ("needle fully inserted: too short for this patient?".into(), "warning"),
        },
        K::CArmMoved { lao_deg, cranial_deg } => (
            format!("C-arm to {lao_deg:.0}° {} {cranial_deg:.0}° cranial", if *lao_deg >= 0.0 { "LAO" } else { "RAO" }),
            "info",
        ),
        K::LegRotated { internal_deg } => (
            match *internal_deg {
                d if d > 0.0 => format!("leg turned {d:.0}° in (foot in)"),
                d if d < 0.0 => format!("leg turned {:.0}° out (foot out)", -d),
                _ => "leg straight (foot up)".into(),
            },
            "info",
        ),
        K::Shot { index, dose, needle_beam_angle_deg, .. } => (
            format!(
                "shot {index}: {:.1} s, {:.4} Gy.cm2{}",
                dose.fluoro_s,
                dose.dap_gy_cm2,
                needle_beam_angle_deg.map(|a| format!(", needle {a:.0} deg to the beam")).unwrap_or_default()
            ),
            "info",
        ),
        K::Injected { fluid, volume_ml, site, resistance, .. } => (
            format!("injected {volume_ml:.1} mL {fluid:?} ({site:?}, resistance {resistance:.1})").to_lowercase(),
            if *resistance > super::procedure::safety::HIGH_RESISTANCE { "warning" } else { "info" },
        ),
        K::Unsafe { what } => {
            (format!("unsafe: {}", what.label()), if is_critical(*what) { "critical" } else { "warning" })
        }
        K::ContrastReadAs { read, actual, correct } => (
            format!("contrast read as {} (it was {})", read.as_str(), actual.as_str()),
            if *correct { "info" } else { "warning" },
        ),
        K::ProvocationResult { pain_0_10, relief_pct, .. } => {
            (format!("provocation: pain {pain_0_10:.1}/10, relief {relief_pct:.0}%"), "info")
        }
        K::ReadingGiven { reading, expected, correct } => (
            format!("block read as {reading:?}; the case supports {expected:?}").to_lowercase(),
            if *correct { "info" } else { "warning" },
        ),
        K::TimeLimitPassed { limit_min } => (format!("time limit of {limit_min:.0} min passed"), "warning"),
        K::TimePassed { .. } | K::NeedleMoved { .. } | K::ImagingChanged => return None,
    })
}

/// What to practise next: the critical errors first, then the missing steps, then the
/// rubric items in the order of the points they lost.
fn advice(m: &Metrics, s: &Score) -> Vec<String> {
    let mut out = Vec::new();
    for c in &s.critical_errors {
        out.push(match c {
            UnsafeAct::InjectedIntravascular => {
                "Never inject with blood in the hub: withdraw, compress, re-check the position under fluoroscopy."
                    .into()
            }
            UnsafeAct::InjectedIntraneural => "Stop at paraesthesia; withdraw and redirect laterally.".into(),
            UnsafeAct::DrugBeforeContrastConfirmation => {
                "Confirm an intra-articular contrast pattern on an image before injecting the drug.".into()
            }
            UnsafeAct::DrugAfterMisreadContrast => {
                "Only an outline of the joint means intra-articular: a blob at the tip, a streak or a sac means redirect before any drug.".into()
            }
            UnsafeAct::NeedleBeforeTimeOut => "Always complete the time-out before the needle goes in.".into(),
            UnsafeAct::HitFemoralNerve | UnsafeAct::HitFemoralArtery => {
                "Mark the femoral pulse and keep the entry and the whole path lateral to it; image every 1-2 cm.".into()
            }
            UnsafeAct::HitSciaticNerve => "Stay on the posterior neck, lateral to the sciatic nerve; image as you go.".into(),
            UnsafeAct::InjectedAgainstHighResistance => {
                "Never push against high resistance: stop, image, and reposition the tip.".into()
            }
            UnsafeAct::ContinuedAfterBloodInHub => {
                "Blood in the hub means stop: withdraw, compress, redirect under fluoroscopy.".into()
            }
            other => format!("Avoid: {}.", other.label()),
        });
    }
    if !m.steps_missing.is_empty() {
        let names: Vec<&str> = m.steps_missing.iter().map(|s| s.label()).collect();
        out.push(format!("Complete the checklist: {}.", names.join("; ")));
    }
    let mut lost: Vec<&RubricItem> = s.items.iter().filter(|i| i.points < i.max_points - 0.05).collect();
    lost.sort_by(|a, b| (b.max_points - b.points).total_cmp(&(a.max_points - a.points)));
    for item in lost {
        let tip = match item.item.as_str() {
            "required steps done rightly, in order" => {
                "Follow the checklist in order; a step done wrongly (wrong position, a reading with no contrast) does not count."
            }
            "fluoroscopy time" => "Use short taps and last-image hold; collimate and pulse to cut fluoroscopy time.",
            "fluoroscopy shots" => {
                "Image at each decision point: entry, every 1-2 cm of advance, bone contact, contrast."
            }
            "redirections" => {
                "Plan the entry over the target on the localisation image; line up down the barrel before advancing."
            }
            "tip to target" => "Aim at the middle or lateral head-neck junction and advance to bone there.",
            "needle coaxial with the beam" => "Keep the needle parallel to the beam: it should project as a dot.",
            "structures at risk and safe practice" => {
                "Mark the femoral pulse and stay lateral to the neurovascular bundle."
            }
            "drug in the joint (or rightly withheld)" => {
                "Reach bone at the head-neck junction inside the capsule, confirm with contrast, then inject the drug."
            }
            "contrast pattern read correctly, before the drug" => {
                "Practise reading contrast: outline (in the joint), blob (outside), fleeting streak (vessel), sac (bursa)."
            }
            "diagnostic reading" => {
                "A block is only readable if the drug reached the joint; read relief ≥80% as positive."
            }
            _ => continue,
        };
        if !out.iter().any(|o| o == tip) {
            out.push(tip.into());
        }
    }
    if out.is_empty() {
        out.push("Well done. Try an assessment-mode case or a harder patient (obese, osteoarthritis, prone).".into());
    }
    out
}

/// The full report of a session, scored against the expert reference.
pub fn report(session: &Session) -> Report {
    report_against(session, &expert_reference_for(session))
}

/// The full report of a session, scored against `expert`: the expert reference on the same
/// case and seed (see [`expert_reference`]), for a caller that has it already or builds it
/// a step at a time (the browser, on one thread).
pub fn report_against(session: &Session, expert: &Session) -> Report {
    let metrics = Metrics::of(session);
    let expert = Metrics::of(expert);
    let score = score(session.scenario(), &metrics, &expert);
    let timeline = session
        .state()
        .events
        .iter()
        .filter_map(|e| {
            describe(&e.kind).map(|(what, level)| TimelineEntry { time_s: e.time_s, what, level: level.into() })
        })
        .collect();
    Report {
        schema_version: REPORT_SCHEMA_VERSION,
        disclaimer: crate::DISCLAIMER.into(),
        software: format!("fluorohip {}", env!("CARGO_PKG_VERSION")),
        trainee: session.trainee().into(),
        scenario: session.scenario().name.clone(),
        scenario_title: session.scenario().title.clone(),
        mode: session.scenario().mode,
        seed: session.seed(),
        practise_next: advice(&metrics, &score),
        metrics,
        expert,
        score,
        timeline,
    }
}
