//! Assessment: the metrics of a session, the rubric that scores them against the
//! shipped expert reference run on the same case and seed, and the report.
//!
//! Everything here is a pure function of the session, so a replayed log gives the
//! byte-identical report.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::anatomy::Tissue;
use super::imaging::Dose;
use super::injection::{ContrastPattern, Fluid};
use super::needle::{NeedleEvent, NeedleKind};
use super::procedure::{Reading, Step};
use super::scenario::{Mode, Position, Scenario};
use super::session::{Action, EventKind, Session, UnsafeAct};

/// Version of the report's JSON schema.
pub const REPORT_SCHEMA_VERSION: u32 = 1;
/// A pass needs this fraction of the expert reference's score, and no critical error.
pub const PASS_FRACTION_OF_EXPERT: f64 = 0.75;
/// A needle within this angle of the beam counts as coaxial ("down the barrel"): full
/// marks in the rubric, and no coaching. assumption: DOMAIN.md §1 asks for "as coaxial
/// with the beam as the approach allows" without a number.
pub const COAXIAL_FULL_MARKS_DEG: f64 = 10.0;

/// The shipped expert reference scripts, one per approach.
pub const EXPERT_ANTERIOR: &str = include_str!("../../assets/scripts/expert_anterior.ron");
pub const EXPERT_PRONE: &str = include_str!("../../assets/scripts/expert_prone.ron");

/// The expert reference actions for a scenario's approach.
pub fn expert_actions(scenario: &Scenario) -> Vec<Action> {
    let text = match scenario.position {
        Position::Supine => EXPERT_ANTERIOR,
        Position::Prone => EXPERT_PRONE,
    };
    ron::from_str(text).expect("shipped expert scripts parse (tested)")
}

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
    /// Distance from the needle tip to the target when the drug (or else the contrast) went in.
    pub target_error_mm: Option<f64>,
    /// Needle–beam angle at the last shot before the contrast (0 = down the barrel).
    pub needle_beam_angle_deg: Option<f64>,
    pub contrast_pattern: ContrastPattern,
    pub contrast_read_correct: Option<bool>,
    pub contrast_confirmed_before_drug: bool,
    pub steps_done: Vec<StepRecord>,
    pub steps_missing: Vec<Step>,
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
            events[..d]
                .iter()
                .any(|e| matches!(e.kind, EventKind::ContrastReadAs { read: ContrastPattern::IntraArticular, .. }))
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
            target_error_mm,
            needle_beam_angle_deg,
            contrast_pattern: state.contrast_pattern,
            contrast_read_correct,
            contrast_confirmed_before_drug: confirmed_before_drug,
            steps_done,
            steps_missing,
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

/// Unsafe acts that fail the attempt whatever the score.
pub fn is_critical(a: UnsafeAct) -> bool {
    matches!(
        a,
        UnsafeAct::InjectedIntravascular
            | UnsafeAct::InjectedIntraneural
            | UnsafeAct::DrugBeforeContrastConfirmation
            | UnsafeAct::NeedleBeforeTimeOut
    )
}

/// One line of the rubric.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RubricItem {
    pub group: String,
    pub item: String,
    pub points: f64,
    pub max_points: f64,
    /// The trainee's value and the expert's, in words.
    pub detail: String,
}

/// The scored attempt.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Score {
    pub total: f64,
    pub max: f64,
    pub expert_total: f64,
    pub pass_threshold: f64,
    pub passed: bool,
    pub critical_errors: Vec<UnsafeAct>,
    pub items: Vec<RubricItem>,
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Score `m` against the expert's metrics `e` on the same case and seed.
pub fn rubric(scenario: &Scenario, m: &Metrics, e: &Metrics) -> Vec<RubricItem> {
    let mut items = Vec::new();
    let mut add = |group: &str, item: &str, points: f64, max: f64, detail: String| {
        items.push(RubricItem {
            group: group.into(),
            item: item.into(),
            points: round1(points.clamp(0.0, max)),
            max_points: max,
            detail,
        })
    };
    let required = required_steps(scenario);
    let done = required.len() - m.steps_missing.len();
    add(
        "checklist",
        "required steps done, in order",
        30.0 * done as f64 / required.len() as f64 - m.steps_out_of_order as f64,
        30.0,
        format!("{done} of {} steps; {} out of order", required.len(), m.steps_out_of_order),
    );
    let ratio_points = |mine: f64, expert: f64, allowance: f64, max: f64| {
        if mine <= expert * allowance { max } else { max * expert * allowance / mine.max(1e-9) }
    };
    add(
        "technique",
        "fluoroscopy time",
        ratio_points(m.fluoro_s, e.fluoro_s, 1.5, 8.0),
        8.0,
        format!("{:.1} s (expert {:.1} s; full marks up to 1.5×)", m.fluoro_s, e.fluoro_s),
    );
    let shots_points = if m.shots == 0 {
        0.0
    } else if m.shots < (e.shots / 2).max(1) {
        // Too few images is also a fault: novices sometimes fly blind.
        5.0 * m.shots as f64 / (e.shots / 2).max(1) as f64
    } else {
        ratio_points(m.shots as f64, e.shots as f64, 2.0, 5.0)
    };
    add("technique", "fluoroscopy shots", shots_points, 5.0, format!("{} shots (expert {})", m.shots, e.shots));
    let extra_redirections = m.redirections.saturating_sub(e.redirections + 1);
    add(
        "technique",
        "redirections",
        7.0 - 2.0 * extra_redirections as f64,
        7.0,
        format!("{} (expert {}; one more is free, then −2 each)", m.redirections, e.redirections),
    );
    let target_points = match m.target_error_mm {
        Some(err) => 10.0 * (1.0 - (err - 3.0).max(0.0) / 7.0),
        None => 0.0,
    };
    add(
        "technique",
        "tip to target",
        target_points,
        10.0,
        match m.target_error_mm {
            Some(err) => format!("{err:.1} mm (full marks ≤ 3 mm, none ≥ 10 mm)"),
            None => "no injection".into(),
        },
    );
    let coaxial = match m.needle_beam_angle_deg {
        Some(a) => 5.0 * (1.0 - (a - COAXIAL_FULL_MARKS_DEG).max(0.0) / 30.0),
        None => 0.0,
    };
    add(
        "technique",
        "needle coaxial with the beam",
        coaxial,
        5.0,
        match m.needle_beam_angle_deg {
            Some(a) => format!("{a:.0}° at the last shot before contrast (full marks ≤ {COAXIAL_FULL_MARKS_DEG:.0}°)"),
            None => "no shot with the needle in".into(),
        },
    );
    let non_critical = m.unsafe_acts.iter().filter(|a| !is_critical(**a)).count() as f64;
    add(
        "safety",
        "structures at risk and safe practice",
        20.0 - 5.0 * m.near_misses as f64 - 10.0 * m.hits as f64 - 3.0 * non_critical,
        20.0,
        format!("{} near-misses, {} hits, {} other unsafe acts", m.near_misses, m.hits, non_critical),
    );
    add(
        "outcome",
        "intra-articular injection",
        if m.joint_drug_ml >= 1.0 { 5.0 } else { 0.0 },
        5.0,
        format!("{:.1} mL of the drug mix in the joint", m.joint_drug_ml),
    );
    add(
        "outcome",
        "contrast pattern read correctly, before the drug",
        if m.contrast_read_correct == Some(true) && m.contrast_confirmed_before_drug { 5.0 } else { 0.0 },
        5.0,
        format!(
            "read {}; confirmed before the drug: {}",
            match m.contrast_read_correct {
                Some(true) => "correctly",
                Some(false) => "wrongly",
                None => "never",
            },
            if m.contrast_confirmed_before_drug { "yes" } else { "no" }
        ),
    );
    add(
        "outcome",
        "diagnostic reading",
        if m.reading_correct == Some(true) { 5.0 } else { 0.0 },
        5.0,
        format!(
            "{} (the case supports {})",
            m.reading.map(|r| format!("{r:?}").to_lowercase()).unwrap_or_else(|| "none".into()),
            format!("{:?}", m.expected_reading).to_lowercase()
        ),
    );
    items
}

/// Score a session's metrics against the expert reference.
pub fn score(scenario: &Scenario, m: &Metrics, expert: &Metrics) -> Score {
    let items = rubric(scenario, m, expert);
    let total = round1(items.iter().map(|i| i.points).sum());
    let expert_total = round1(rubric(scenario, expert, expert).iter().map(|i| i.points).sum());
    let pass_threshold = round1(PASS_FRACTION_OF_EXPERT * expert_total);
    let mut critical: Vec<UnsafeAct> = m.unsafe_acts.iter().copied().filter(|a| is_critical(*a)).collect();
    critical.dedup();
    Score {
        passed: critical.is_empty() && total >= pass_threshold,
        total,
        max: items.iter().map(|i| i.max_points).sum(),
        expert_total,
        pass_threshold,
        critical_errors: critical,
        items,
    }
}

/// Run the shipped expert script on the same case and seed.
pub fn expert_reference(scenario: &Scenario, seed: u64) -> Session {
    let mut s = Session::new(scenario.clone(), seed).expect("the scenario was validated");
    for a in expert_actions(scenario) {
        s.apply(a).expect("shipped expert scripts are valid (tested)");
    }
    s
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
            if *resistance > super::session::HIGH_RESISTANCE { "warning" } else { "info" },
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

/// What to practise next, from the weakest items.
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
            UnsafeAct::NeedleBeforeTimeOut => "Always complete the time-out before the needle goes in.".into(),
            _ => format!("Avoid: {c:?}"),
        });
    }
    if !m.steps_missing.is_empty() {
        let names: Vec<&str> = m.steps_missing.iter().map(|s| s.label()).collect();
        out.push(format!("Complete the checklist: {}.", names.join("; ")));
    }
    for item in s.items.iter().filter(|i| i.points < 0.6 * i.max_points) {
        let tip = match item.item.as_str() {
            "fluoroscopy time" => "Use short taps and last-image hold; collimate and pulse to cut fluoroscopy time.",
            "fluoroscopy shots" => "Image at each decision point: entry, mid-course, bone contact, contrast.",
            "redirections" => {
                "Plan the entry over the target on the localisation image; line up down the barrel before advancing."
            }
            "tip to target" => "Aim at the middle or lateral head-neck junction and advance to bone there.",
            "needle coaxial with the beam" => "Keep the needle parallel to the beam: it should project as a dot.",
            "structures at risk and safe practice" => {
                "Mark the femoral pulse and stay lateral to the neurovascular bundle."
            }
            "intra-articular injection" => "Reach bone at the head-neck junction inside the capsule before injecting.",
            "contrast pattern read correctly, before the drug" => {
                "Practise reading contrast: outline (in the joint), blob (outside), fleeting streak (vessel), sac (bursa)."
            }
            "diagnostic reading" => {
                "A block is only readable if the drug reached the joint; read relief ≥80% as positive."
            }
            _ => continue,
        };
        out.push(tip.into());
    }
    if out.is_empty() {
        out.push("Well done. Try an assessment-mode case or a harder patient (obese, osteoarthritis, prone).".into());
    }
    out
}

/// The full report of a session, scored against the expert reference.
pub fn report(session: &Session) -> Report {
    let metrics = Metrics::of(session);
    let expert = Metrics::of(&expert_reference(session.scenario(), session.seed()));
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
