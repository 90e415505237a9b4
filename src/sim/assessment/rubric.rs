//! The rubric: 100 points in five domains, each with its own pass rule; a session
//! passes only when every domain passes. The reasoning behind each weight and rule is
//! in docs/ASSESSMENT.md (assumptions marked there and here).

use serde::{Deserialize, Serialize};

use super::metrics::{Metrics, required_steps};
use crate::sim::procedure::safety::{UnsafeAct, is_critical};
use crate::sim::scenario::Scenario;

/// A needle within this angle of the beam counts as coaxial ("down the barrel"): full
/// marks in the rubric, and no coaching. assumption: DOMAIN.md §1 asks for "as coaxial
/// with the beam as the approach allows" without a number.
pub const COAXIAL_FULL_MARKS_DEG: f64 = 10.0;
/// The technique domain passes when every technique item earns at least this fraction
/// of its points. assumption: a single item at half marks or worse is a fault an
/// assessor would name (too many shots, a needle never coaxial, a tip far off target).
pub const TECHNIQUE_ITEM_PASS_FRACTION: f64 = 0.5;
/// The drug mix in the joint (mL) that counts as delivered: the least that makes the
/// block readable (procedure::MIN_READABLE_ANAESTHETIC_ML, 1 mL).
pub const DRUG_IN_JOINT_ML: f64 = 1.0;
/// Steps out of order the checklist forgives before its domain fails. assumption.
pub const OUT_OF_ORDER_ALLOWED: u32 = 1;

/// What a trainee is compared with when the expert reference on the same seed failed
/// (it should not: the shipped references reach the joint on ≥ 99% of seeds, tested), and
/// what the validity table scores the expert scripts themselves against (so they are
/// never compared with themselves). The medians of the anterior reference over seeds
/// 0..40 of the routine case (`cargo run --release --example expert_sweep -- 40`:
/// 8 shots, range 7-9; 9.0 s, range 8-10; 1 redirection).
pub const NOMINAL_EXPERT_SHOTS: u32 = 8;
pub const NOMINAL_EXPERT_FLUORO_S: f64 = 9.0;
pub const NOMINAL_EXPERT_REDIRECTIONS: u32 = 1;

/// The rubric's domains.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Domain {
    Checklist,
    Safety,
    Technique,
    Outcome,
    Interpretation,
}

impl Domain {
    pub const ALL: [Domain; 5] =
        [Domain::Checklist, Domain::Safety, Domain::Technique, Domain::Outcome, Domain::Interpretation];

    pub fn as_str(self) -> &'static str {
        match self {
            Domain::Checklist => "checklist",
            Domain::Safety => "safety",
            Domain::Technique => "technique",
            Domain::Outcome => "outcome",
            Domain::Interpretation => "interpretation",
        }
    }

    /// The pass rule, in words.
    pub fn rule(self) -> &'static str {
        match self {
            Domain::Checklist => "every required step done rightly, at most one out of order",
            Domain::Safety => "no critical error, and the needle was used (injected at the joint)",
            Domain::Technique => "the joint reached, and every technique item at half marks or better",
            Domain::Outcome => "the drug in the joint, or rightly withheld after a recognised wrong pattern",
            Domain::Interpretation => "the contrast read correctly before the drug, and the block read correctly",
        }
    }
}

/// One line of the rubric.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RubricItem {
    /// The domain's name (`checklist`, `safety`, `technique`, `outcome`, `interpretation`).
    pub group: String,
    pub item: String,
    pub points: f64,
    pub max_points: f64,
    /// The trainee's value and the expert's, in words.
    pub detail: String,
}

/// One domain's verdict.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DomainVerdict {
    pub domain: Domain,
    pub passed: bool,
    pub points: f64,
    pub max_points: f64,
    /// The pass rule.
    pub rule: String,
    /// Why it failed, in words (empty when passed).
    pub failed_because: Vec<String>,
}

/// The scored attempt.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Score {
    pub total: f64,
    pub max: f64,
    /// The expert reference's own score on the same case and seed.
    pub expert_total: f64,
    /// Whether the expert reference reached the joint on this seed; when not, the
    /// trainee was compared with the nominal expert figures instead.
    pub expert_reference_valid: bool,
    /// Passed: every domain passed.
    pub passed: bool,
    pub critical_errors: Vec<UnsafeAct>,
    pub domains: Vec<DomainVerdict>,
    pub items: Vec<RubricItem>,
}

impl Score {
    pub fn domain(&self, d: Domain) -> Option<&DomainVerdict> {
        self.domains.iter().find(|v| v.domain == d)
    }

    /// The domains that failed, by name.
    pub fn failed_domains(&self) -> Vec<&'static str> {
        self.domains.iter().filter(|d| !d.passed).map(|d| d.domain.as_str()).collect()
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The expert's figures the technique items compare with.
struct Reference {
    shots: u32,
    fluoro_s: f64,
    redirections: u32,
}

/// Whether an expert run is a fair reference: the drug reached the joint after a correct
/// reading, with no critical error.
pub fn reference_valid(e: &Metrics) -> bool {
    e.joint_drug_ml >= DRUG_IN_JOINT_ML
        && e.contrast_confirmed_before_drug
        && !e.unsafe_acts.iter().any(|a| is_critical(*a))
}

/// The nominal expert figures as a reference.
const NOMINAL: Reference = Reference {
    shots: NOMINAL_EXPERT_SHOTS,
    fluoro_s: NOMINAL_EXPERT_FLUORO_S,
    redirections: NOMINAL_EXPERT_REDIRECTIONS,
};

/// Score `m` against the expert's metrics `e` on the same case and seed.
pub fn score(scenario: &Scenario, m: &Metrics, e: &Metrics) -> Score {
    let valid = reference_valid(e);
    let reference =
        if valid { Reference { shots: e.shots, fluoro_s: e.fluoro_s, redirections: e.redirections } } else { NOMINAL };
    let expert_total = round1(rubric(scenario, e, &reference).0.iter().map(|i| i.points).sum());
    score_with(scenario, m, &reference, expert_total, valid)
}

/// Score `m` against the nominal expert figures alone, not against any run: how the
/// validity table scores the expert scripts (`expert_total` is 0: there is no run).
pub fn score_against_nominal(scenario: &Scenario, m: &Metrics) -> Score {
    score_with(scenario, m, &NOMINAL, 0.0, false)
}

fn score_with(scenario: &Scenario, m: &Metrics, reference: &Reference, expert_total: f64, valid: bool) -> Score {
    let (items, domains) = rubric(scenario, m, reference);
    Score {
        total: round1(items.iter().map(|i| i.points).sum()),
        max: items.iter().map(|i| i.max_points).sum(),
        expert_total,
        expert_reference_valid: valid,
        passed: domains.iter().all(|d| d.passed),
        critical_errors: critical_errors(m),
        domains,
        items,
    }
}

/// The critical errors of a session, each once, in the order they happened.
fn critical_errors(m: &Metrics) -> Vec<UnsafeAct> {
    let mut critical: Vec<UnsafeAct> = Vec::new();
    for a in m.unsafe_acts.iter().copied().filter(|a| is_critical(*a)) {
        if !critical.contains(&a) {
            critical.push(a);
        }
    }
    critical
}

fn rubric(scenario: &Scenario, m: &Metrics, e: &Reference) -> (Vec<RubricItem>, Vec<DomainVerdict>) {
    let mut items = Vec::new();
    let mut add = |domain: Domain, item: &str, points: f64, max: f64, detail: String| {
        items.push(RubricItem {
            group: domain.as_str().into(),
            item: item.into(),
            points: round1(points.clamp(0.0, max)),
            max_points: max,
            detail,
        })
    };
    let mut failed: Vec<(Domain, String)> = Vec::new();

    // Checklist (20): the steps of the source text, done rightly.
    let required = required_steps(scenario);
    let wrong: Vec<_> = m.steps_wrong.iter().filter(|w| required.contains(&w.step)).collect();
    let done = required.len() - m.steps_missing.len();
    add(
        Domain::Checklist,
        "required steps done rightly, in order",
        20.0 * done as f64 / required.len() as f64 - m.steps_out_of_order as f64,
        20.0,
        format!(
            "{done} of {} steps; {} done wrongly; {} out of order",
            required.len(),
            wrong.len(),
            m.steps_out_of_order
        ),
    );
    for w in &wrong {
        failed.push((Domain::Checklist, format!("{}: {}", w.step.label(), w.fault.label())));
    }
    for s in m.steps_missing.iter().filter(|s| !wrong.iter().any(|w| w.step == **s)) {
        failed.push((Domain::Checklist, format!("{}: not done", s.label())));
    }
    if m.steps_out_of_order > OUT_OF_ORDER_ALLOWED {
        failed.push((Domain::Checklist, format!("{} steps out of order", m.steps_out_of_order)));
    }

    // Technique (30) and safety (20) are earned by doing the procedure: an injection at
    // the joint (or a wrong pattern recognised and the drug withheld).
    let earned = m.injected && (m.joint_reached || m.drug_rightly_withheld);
    let not_earned = if !m.injected {
        "not earned: nothing was injected through a spinal needle"
    } else {
        "not earned: no injection reached the joint"
    };
    let earn = |points: f64| if earned { points } else { 0.0 };
    let ratio_points = |mine: f64, expert: f64, allowance: f64, max: f64| {
        if mine <= expert * allowance { max } else { max * expert * allowance / mine.max(1e-9) }
    };
    let blind = if m.blind_past_structure { "; advanced blind past a structure at risk: no credit" } else { "" };
    let fluoro = if m.blind_past_structure { 0.0 } else { earn(ratio_points(m.fluoro_s, e.fluoro_s, 1.5, 6.0)) };
    let mut technique: Vec<(&str, f64, f64, String)> = vec![(
        "fluoroscopy time",
        fluoro,
        6.0,
        format!("{:.1} s (expert {:.1} s; full marks up to 1.5×){blind}", m.fluoro_s, e.fluoro_s),
    )];
    let half_expert = (e.shots / 2).max(1);
    let shots = if m.blind_past_structure || m.shots == 0 {
        0.0
    } else if m.shots < half_expert {
        // Too few images is also a fault: novices sometimes fly blind.
        5.0 * m.shots as f64 / half_expert as f64
    } else {
        ratio_points(m.shots as f64, e.shots as f64, 2.0, 5.0)
    };
    technique.push((
        "fluoroscopy shots",
        earn(shots),
        5.0,
        format!("{} shots (expert {}; full marks from half to twice){blind}", m.shots, e.shots),
    ));
    let extra_redirections = m.redirections.saturating_sub(e.redirections + 1);
    technique.push((
        "redirections",
        earn(5.0 - extra_redirections as f64),
        5.0,
        format!("{} (expert {}; one more is free, then −1 each)", m.redirections, e.redirections),
    ));
    let target_points = match m.target_error_mm {
        Some(err) => 8.0 * (1.0 - (err - 3.0).max(0.0) / 7.0),
        None => 0.0,
    };
    technique.push((
        "tip to target",
        earn(target_points),
        8.0,
        match m.target_error_mm {
            Some(err) => format!("{err:.1} mm (full marks ≤ 3 mm, none ≥ 10 mm)"),
            None => "no injection".into(),
        },
    ));
    let coaxial = match m.needle_beam_angle_deg {
        Some(a) => 6.0 * (1.0 - (a - COAXIAL_FULL_MARKS_DEG).max(0.0) / 30.0),
        None => 0.0,
    };
    technique.push((
        "needle coaxial with the beam",
        earn(coaxial),
        6.0,
        match m.needle_beam_angle_deg {
            Some(a) => format!("{a:.0}° at the last shot before contrast (full marks ≤ {COAXIAL_FULL_MARKS_DEG:.0}°)"),
            None => "no shot with the needle in before contrast".into(),
        },
    ));
    if !earned {
        failed.push((Domain::Technique, not_earned.trim_start_matches("not earned: ").into()));
    }
    for (item, points, max, detail) in technique {
        let points = points.clamp(0.0, max);
        if earned && points < TECHNIQUE_ITEM_PASS_FRACTION * max {
            failed.push((Domain::Technique, format!("{item}: {points:.1} of {max:.0}")));
        }
        let detail = if earned { detail } else { format!("{detail}; {not_earned}") };
        add(Domain::Technique, item, points, max, detail);
    }

    // Safety (20).
    let non_critical = m.unsafe_acts.iter().filter(|a| !is_critical(**a)).count() as f64;
    let critical = critical_errors(m);
    let safety = 20.0 - 5.0 * m.near_misses as f64 - 10.0 * m.hits as f64 - 3.0 * non_critical;
    add(
        Domain::Safety,
        "structures at risk and safe practice",
        if critical.is_empty() { earn(safety) } else { 0.0 },
        20.0,
        format!(
            "{} near-misses, {} hits, {} critical errors, {} other unsafe acts{}",
            m.near_misses,
            m.hits,
            critical.len(),
            non_critical,
            if earned { String::new() } else { format!("; {not_earned}") }
        ),
    );
    for c in critical {
        failed.push((Domain::Safety, format!("critical: {}", c.label())));
    }
    if !earned {
        failed.push((Domain::Safety, not_earned.trim_start_matches("not earned: ").into()));
    }

    // Outcome (15): the point of the procedure.
    let delivered = m.joint_drug_ml >= DRUG_IN_JOINT_ML;
    add(
        Domain::Outcome,
        "drug in the joint (or rightly withheld)",
        if delivered || m.drug_rightly_withheld { 15.0 } else { 0.0 },
        15.0,
        if m.drug_rightly_withheld {
            "drug withheld after a correctly recognised wrong pattern, needle moved".into()
        } else {
            format!("{:.1} mL of the drug mix in the joint (≥ {DRUG_IN_JOINT_ML:.0} mL needed)", m.joint_drug_ml)
        },
    );
    if !delivered && !m.drug_rightly_withheld {
        failed.push((
            Domain::Outcome,
            format!("{:.1} mL of the drug reached the joint and it was not rightly withheld", m.joint_drug_ml),
        ));
    }

    // Interpretation (15): what the images and the patient say.
    let read_ok =
        m.contrast_read_correct == Some(true) && (m.contrast_confirmed_before_drug || m.drug_rightly_withheld);
    add(
        Domain::Interpretation,
        "contrast pattern read correctly, before the drug",
        if read_ok { 8.0 } else { 0.0 },
        8.0,
        format!(
            "read {}; confirmed in the joint before the drug: {}",
            match m.contrast_read_correct {
                Some(true) => "correctly",
                Some(false) => "wrongly",
                None => "never",
            },
            if m.contrast_confirmed_before_drug { "yes" } else { "no" }
        ),
    );
    if !read_ok {
        failed.push((
            Domain::Interpretation,
            match m.contrast_read_correct {
                Some(false) => "the contrast was misread".into(),
                None => "the contrast was never read".into(),
                Some(true) => "the drug went in before the contrast was confirmed".into(),
            },
        ));
    }
    add(
        Domain::Interpretation,
        "diagnostic reading",
        if m.reading_correct == Some(true) { 7.0 } else { 0.0 },
        7.0,
        format!(
            "{} (the case supports {})",
            m.reading.map(|r| format!("{r:?}").to_lowercase()).unwrap_or_else(|| "none".into()),
            format!("{:?}", m.expected_reading).to_lowercase()
        ),
    );
    if m.reading_correct != Some(true) {
        failed.push((
            Domain::Interpretation,
            format!(
                "block read {}; the case supports {}",
                m.reading.map(|r| format!("{r:?}").to_lowercase()).unwrap_or_else(|| "never".into()),
                format!("{:?}", m.expected_reading).to_lowercase()
            ),
        ));
    }

    let domains = Domain::ALL
        .into_iter()
        .map(|d| {
            let of: Vec<&RubricItem> = items.iter().filter(|i| i.group == d.as_str()).collect();
            let failed_because: Vec<String> =
                failed.iter().filter(|(fd, _)| *fd == d).map(|(_, why)| why.clone()).collect();
            DomainVerdict {
                domain: d,
                passed: failed_because.is_empty(),
                points: round1(of.iter().map(|i| i.points).sum()),
                max_points: of.iter().map(|i| i.max_points).sum(),
                rule: d.rule().into(),
                failed_because,
            }
        })
        .collect();
    (items, domains)
}
