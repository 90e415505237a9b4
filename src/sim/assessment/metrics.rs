//! What is measured about a session: pure functions of its events, steps and needles.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::sim::anatomy::Position;
use crate::sim::anatomy::Tissue;
use crate::sim::imaging::Dose;
use crate::sim::injection::{ContrastPattern, Fluid, Site};
use crate::sim::needle::{NeedleEvent, NeedleKind};
use crate::sim::procedure::safety::ADVANCE_BETWEEN_SHOTS_MM;
use crate::sim::procedure::{Reading, Step};
use crate::sim::procedure::{StepFault, UnsafeAct};
use crate::sim::scenario::Scenario;
use crate::sim::session::{EventKind, Session};

/// Everything measured about one session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub shots: u32,
    pub fluoro_s: f64,
    pub dap_gy_cm2: f64,
    pub air_kerma_mgy: f64,
    /// Skin punctures with a spinal (22G) needle.
    pub needle_passes: u32,
    pub redirections: u32,
    pub path_in_tissue_mm: f64,
    /// Closest approach of any needle to each structure at risk (mm, surface to surface).
    pub closest_mm: BTreeMap<String, f64>,
    pub near_misses: u32,
    pub hits: u32,
    /// A near-miss or hit came after more than [`ADVANCE_BETWEEN_SHOTS_MM`] of spinal-needle
    /// advance without an image: the needle went blind past a structure at risk.
    pub blind_past_structure: bool,
    /// Contrast or drug went in through a spinal needle.
    pub injected: bool,
    /// Some injection through a spinal needle went (at least partly) into the joint.
    pub joint_reached: bool,
    /// Distance from the needle tip to the target when the drug (or else the contrast) went in.
    pub target_error_mm: Option<f64>,
    /// Needle–beam angle at the last shot before the contrast (0 = down the barrel).
    pub needle_beam_angle_deg: Option<f64>,
    pub contrast_pattern: ContrastPattern,
    pub contrast_read_correct: Option<bool>,
    /// The contrast was read, correctly, as intra-articular before the first drug.
    pub contrast_confirmed_before_drug: bool,
    /// No drug was given after a correctly read extra-articular, vascular, bursal or mixed
    /// pattern, and the needle was then redirected or removed.
    pub drug_rightly_withheld: bool,
    pub steps_done: Vec<StepRecord>,
    pub steps_missing: Vec<Step>,
    /// Steps attempted wrongly (not ticked), with why.
    #[serde(default)]
    pub steps_wrong: Vec<WrongStep>,
    pub steps_out_of_order: u32,
    pub total_time_s: f64,
    pub pulse_mark_error_mm: Option<f64>,
    pub relief_pct: Option<f64>,
    pub reading: Option<Reading>,
    pub expected_reading: Reading,
    pub reading_correct: Option<bool>,
    pub unsafe_acts: Vec<UnsafeAct>,
    pub joint_drug_ml: f64,
}

/// One step done, when, and how long since the previous step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    pub step: Step,
    pub label: String,
    pub time_s: f64,
    pub since_previous_s: f64,
}

/// A step attempted wrongly.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WrongStep {
    pub step: Step,
    pub fault: StepFault,
    pub time_s: f64,
}

fn structure_key(t: Tissue) -> String {
    serde_json::to_value(t).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

/// Steps this case requires (the femoral pulse cannot be marked on a prone patient).
pub fn required_steps(scenario: &Scenario) -> Vec<Step> {
    Step::ALL
        .into_iter()
        .filter(|s| s.required())
        .filter(|s| !(scenario.position == Position::Prone && *s == Step::MarkFemoralPulse))
        .collect()
}

/// Whether a near-miss or hit came after more than [`ADVANCE_BETWEEN_SHOTS_MM`] of
/// spinal-needle advance since the last image (or since the puncture).
fn blind_past_structure(events: &[crate::sim::Event]) -> bool {
    let mut spinal = false;
    let mut depth_at_image = 0.0;
    let mut depth = 0.0;
    let mut danger_pending = false;
    for e in events {
        match &e.kind {
            EventKind::NeedleInserted { needle, .. } => {
                spinal = *needle != NeedleKind::Anaesthetic25G;
                depth_at_image = 0.0;
                depth = 0.0;
            }
            EventKind::Shot { .. } => depth_at_image = depth,
            EventKind::Needle(NeedleEvent::NearMiss { .. } | NeedleEvent::Hit { .. }) if spinal => {
                danger_pending = true
            }
            EventKind::NeedleMoved { depth_mm, .. } => {
                depth = *depth_mm;
                if depth < depth_at_image {
                    depth_at_image = depth;
                }
                if danger_pending && depth - depth_at_image > ADVANCE_BETWEEN_SHOTS_MM {
                    return true;
                }
                danger_pending = false;
            }
            _ => {}
        }
    }
    false
}

impl Metrics {
    pub fn of(session: &Session) -> Metrics {
        let state = session.state();
        let events = state.events;
        let dose: Dose = session.dose();
        let spinal = |k: NeedleKind| k != NeedleKind::Anaesthetic25G;
        let needles: Vec<_> = session.needles().filter(|n| spinal(n.kind)).collect();
        let mut closest: BTreeMap<String, f64> = BTreeMap::new();
        for n in session.needles() {
            for a in n.closest_approaches() {
                let e = closest.entry(structure_key(a.structure)).or_insert(f64::INFINITY);
                *e = e.min((a.closest_mm * 100.0).round() / 100.0);
            }
        }
        let count = |f: &dyn Fn(&EventKind) -> bool| events.iter().filter(|e| f(&e.kind)).count() as u32;
        let (target_name, _) = session.scenario().approach();
        let target = session.patient().landmarks.get(target_name);
        // Which needle was in at each injection: the last one inserted before it.
        let mut current_spinal = false;
        let mut injected = false;
        let mut joint_reached = false;
        for e in events {
            match &e.kind {
                EventKind::NeedleInserted { needle, .. } => current_spinal = spinal(*needle),
                EventKind::Injected { fluid: Fluid::Contrast | Fluid::DrugMix, site, .. } if current_spinal => {
                    injected = true;
                    joint_reached |= matches!(site, Site::IntraArticular | Site::PartlyIntraArticular);
                }
                _ => {}
            }
        }
        let tip_at = |fluid: Fluid| {
            events.iter().find_map(|e| match e.kind {
                EventKind::Injected { fluid: f, tip_mm, .. } if f == fluid => Some(tip_mm),
                _ => None,
            })
        };
        let target_error_mm = tip_at(Fluid::DrugMix)
            .or_else(|| tip_at(Fluid::Contrast))
            .map(|t| ((glam::DVec3::from_array(t) - target).length() * 100.0).round() / 100.0);
        let first_contrast = events
            .iter()
            .position(|e| matches!(e.kind, EventKind::Injected { fluid: Fluid::Contrast, .. }))
            .unwrap_or(events.len());
        let needle_beam_angle_deg = events[..first_contrast].iter().rev().find_map(|e| match e.kind {
            EventKind::Shot { needle_beam_angle_deg: Some(a), .. } => Some((a * 10.0).round() / 10.0),
            _ => None,
        });
        let contrast_read_correct = events.iter().rev().find_map(|e| match e.kind {
            EventKind::ContrastReadAs { correct, .. } => Some(correct),
            _ => None,
        });
        let first_drug =
            events.iter().position(|e| matches!(e.kind, EventKind::Injected { fluid: Fluid::DrugMix, .. }));
        let confirmed_before_drug = first_drug.is_some_and(|d| {
            events[..d].iter().any(|e| {
                matches!(e.kind, EventKind::ContrastReadAs { read: ContrastPattern::IntraArticular, correct: true, .. })
            })
        });
        let drug_rightly_withheld = first_drug.is_none()
            && events
                .iter()
                .position(|e| {
                    matches!(
                        e.kind,
                        EventKind::ContrastReadAs { read, correct: true, .. }
                            if read != ContrastPattern::IntraArticular && read != ContrastPattern::None
                    )
                })
                .is_some_and(|i| {
                    events[i..]
                        .iter()
                        .any(|e| matches!(e.kind, EventKind::Redirected { .. } | EventKind::NeedleRemoved))
                });
        let mut previous = 0.0;
        let steps_done = session
            .steps()
            .iter()
            .map(|&(step, t)| {
                let r = StepRecord { step, label: step.label().into(), time_s: t, since_previous_s: t - previous };
                previous = t;
                r
            })
            .collect();
        let steps_missing = required_steps(session.scenario())
            .into_iter()
            .filter(|s| !session.steps().iter().any(|(d, _)| d == s))
            .collect();
        let steps_wrong =
            session.wrong_steps().iter().map(|&(step, time_s, fault)| WrongStep { step, fault, time_s }).collect();
        let (reading, reading_correct) = events
            .iter()
            .rev()
            .find_map(|e| match e.kind {
                EventKind::ReadingGiven { reading, correct, .. } => Some((Some(reading), Some(correct))),
                _ => None,
            })
            .unwrap_or((None, None));
        Metrics {
            shots: state.fluoroscope.shots,
            fluoro_s: dose.fluoro_s,
            dap_gy_cm2: dose.dap_gy_cm2,
            air_kerma_mgy: dose.air_kerma_mgy,
            needle_passes: needles.len() as u32,
            redirections: needles.iter().map(|n| n.redirections).sum(),
            path_in_tissue_mm: needles.iter().map(|n| n.path_in_tissue_mm).sum(),
            closest_mm: closest,
            near_misses: count(&|k| matches!(k, EventKind::Needle(NeedleEvent::NearMiss { .. }))),
            hits: count(&|k| matches!(k, EventKind::Needle(NeedleEvent::Hit { .. }))),
            blind_past_structure: blind_past_structure(events),
            injected,
            joint_reached,
            target_error_mm,
            needle_beam_angle_deg,
            contrast_pattern: state.contrast_pattern,
            contrast_read_correct,
            contrast_confirmed_before_drug: confirmed_before_drug,
            drug_rightly_withheld,
            steps_done,
            steps_missing,
            steps_wrong,
            steps_out_of_order: count(&|k| matches!(k, EventKind::StepOutOfOrder { .. })),
            total_time_s: state.clock_s,
            pulse_mark_error_mm: events.iter().rev().find_map(|e| match e.kind {
                EventKind::PulseMarked { error_mm } => Some((error_mm * 10.0).round() / 10.0),
                _ => None,
            }),
            relief_pct: session.last_relief_pct(),
            reading,
            expected_reading: session.expected_reading(),
            reading_correct,
            unsafe_acts: events
                .iter()
                .filter_map(|e| match e.kind {
                    EventKind::Unsafe { what } => Some(what),
                    _ => None,
                })
                .collect(),
            joint_drug_ml: session.delivery().joint.drug_mix_ml,
        }
    }
}
