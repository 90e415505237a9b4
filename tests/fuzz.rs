//! Fuzzing what a workshop passes between laptops and what a trainee can do: the scenario
//! parser, the action-script parser, the session-log loader, and `Session::apply` with
//! random valid and invalid actions. Whatever comes in: no panic, no hang, an error that
//! names the file; and for sessions: a refused action changes nothing, every millilitre
//! injected is accounted for, and the saved log loads and replays to the same session.
//!
//! `cargo test --test fuzz` tries a few cases per target, so the default test run stays
//! fast. `PROPTEST_CASES=N` sets the cases per target and `FLUOROHIP_FUZZ_SECONDS=S` caps
//! each target's time (whichever comes first); `scripts/fuzz.sh` runs them that way.
//! A case that runs longer than `FLUOROHIP_FUZZ_HANG_SECONDS` (default 120) is printed
//! and the run aborted: a hang.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fluorohip::sim::anatomy::{LandmarkName, Patient, PatientOverrides, Sex};
use fluorohip::sim::assessment::export;
use fluorohip::sim::files::is_file_safe;
use fluorohip::sim::imaging::{Collimation, DetectorKind, FieldSize, ImagingSettings, Polarity, PulseRate};
use fluorohip::sim::injection::{ContrastPattern, Fluid};
use fluorohip::sim::needle::NeedleKind;
use fluorohip::sim::procedure::{PainSource, ProvocationTest, ReadingAnswer};
use fluorohip::sim::scenario::SHIPPED;
use fluorohip::sim::script::{element_lines, parse_actions, parse_log};
use fluorohip::sim::session::{OnContact, PointRef, StopAt};
use fluorohip::sim::{Action, ActionLog, Mode, Position, Scenario, Session, assessment};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestCaseResult, TestRunner};

// ---------------------------------------------------------------------------------------
// The runner: a case count and a time cap from the environment, a watchdog for hangs.

/// How many cases and how long: `PROPTEST_CASES` (default `default_cases`) and
/// `FLUOROHIP_FUZZ_SECONDS` (no cap by default).
fn budget(default_cases: u64) -> (u64, Option<Duration>) {
    let var = |k: &str| std::env::var(k).ok().and_then(|v| v.trim().parse::<f64>().ok());
    let cases = var("PROPTEST_CASES").map(|c| c as u64).unwrap_or(default_cases);
    (cases, var("FLUOROHIP_FUZZ_SECONDS").map(Duration::from_secs_f64))
}

/// Aborts the process, printing the case, when one case runs past the limit.
struct Watchdog {
    current: Arc<Mutex<Option<(Instant, String)>>>,
    done: Arc<Mutex<bool>>,
}

impl Watchdog {
    fn start(target: &'static str) -> Watchdog {
        let limit = std::env::var("FLUOROHIP_FUZZ_HANG_SECONDS").ok().and_then(|v| v.parse().ok()).unwrap_or(120.0);
        let current: Arc<Mutex<Option<(Instant, String)>>> = Arc::default();
        let done: Arc<Mutex<bool>> = Arc::default();
        let (c, d) = (current.clone(), done.clone());
        std::thread::spawn(move || {
            while !*d.lock().unwrap_or_else(|e| e.into_inner()) {
                std::thread::sleep(Duration::from_millis(250));
                if let Some((since, case)) = &*c.lock().unwrap_or_else(|e| e.into_inner())
                    && since.elapsed().as_secs_f64() > limit
                {
                    eprintln!("fuzz {target}: one case ran over {limit} s (a hang); the case:\n{case}");
                    std::process::abort();
                }
            }
        });
        Watchdog { current, done }
    }

    fn watch(&self, case: String) {
        *self.current.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), case));
    }

    fn clear(&self) {
        *self.current.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        *self.done.lock().unwrap_or_else(|e| e.into_inner()) = true;
    }
}

/// How many cases took each road (to see that both the accepted and the refused are
/// reached), printed with the run's figures.
#[derive(Default)]
struct Tally(Mutex<Vec<(&'static str, AtomicU64)>>);

impl Tally {
    fn count(&self, what: &'static str) {
        let mut v = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match v.iter().find(|(w, _)| *w == what) {
            Some((_, n)) => {
                n.fetch_add(1, Relaxed);
            }
            None => v.push((what, AtomicU64::new(1))),
        }
    }

    fn show(&self) -> String {
        let v = self.0.lock().unwrap_or_else(|e| e.into_inner());
        v.iter().map(|(w, n)| format!("{} {w}", n.load(Relaxed))).collect::<Vec<_>>().join(", ")
    }
}

/// Run `test` on values of `strategy` until the budget is spent; a failing case is
/// shrunk and reported by proptest. Prints how many cases ran, how long, the slowest,
/// and the tally of roads taken.
fn fuzz<S: Strategy>(
    target: &'static str,
    default_cases: u64,
    strategy: S,
    tally: &Tally,
    test: impl Fn(S::Value) -> TestCaseResult,
) where
    S::Value: std::fmt::Debug,
{
    let (cases, cap) = budget(default_cases);
    let mut runner = TestRunner::new(Config { failure_persistence: None, max_shrink_iters: 2000, ..Config::default() });
    let dog = Watchdog::start(target);
    let slowest = Mutex::new(Duration::ZERO);
    let started = Instant::now();
    let mut ran = 0u64;
    while ran < cases && cap.is_none_or(|c| started.elapsed() < c) {
        let tree = strategy.new_tree(&mut runner).expect("strategies here never reject");
        let result = runner.run_one(tree, |value| {
            dog.watch(format!("{value:#?}"));
            let t = Instant::now();
            let r = test(value);
            let mut s = slowest.lock().unwrap_or_else(|e| e.into_inner());
            *s = (*s).max(t.elapsed());
            dog.clear();
            r
        });
        if let Err(e) = result {
            panic!("fuzz {target}: failed after {ran} cases: {e}");
        }
        ran += 1;
    }
    let slowest = *slowest.lock().unwrap_or_else(|e| e.into_inner());
    println!(
        "\nfuzz {target}: {ran} cases in {:.1} s, slowest case {:.3} s, no failure ({})",
        started.elapsed().as_secs_f64(),
        slowest.as_secs_f64(),
        tally.show()
    );
}

// ---------------------------------------------------------------------------------------
// Text mutations: what a hand edit, a truncated copy or a corrupted file does to a file.

/// Pieces a hand edit or a corruption might put in.
const TOKENS: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    "\"",
    "\\",
    "\n",
    "//",
    "/*",
    "*/",
    "Some(",
    "None",
    "null",
    "true",
    "0",
    "-1",
    "1e400",
    "-1e400",
    "NaN",
    "inf",
    "-inf",
    "1e300",
    "-0.0",
    "18446744073709551616",
    "4294967296",
    "0.0",
    "\"../../somewhere\"",
    "\"\"",
    "name",
    "\"name\"",
    "é",
    "\u{0}",
    "\u{feff}",
    "patient: (",
    "sex: female",
    "\"action\"",
    "action: \"fluoro\"",
    "seconds: 1.0",
    "\"version\": 1",
    "landmark: \"target\"",
    "1.0e-320",
];

/// One edit: a kind, a position and a length (fractions of the text), and a token.
type Edit = (u8, f64, f64, usize, char);

fn edits(max: usize) -> impl Strategy<Value = Vec<Edit>> {
    prop::collection::vec((0u8..6, 0.0..1.0f64, 0.0..0.2f64, 0..TOKENS.len(), any::<char>()), 0..=max)
}

fn boundary(text: &str, frac: f64) -> usize {
    let mut i = ((text.len() as f64) * frac) as usize;
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn mutate(text: &str, edits: &[Edit]) -> String {
    let mut t = text.to_string();
    for &(kind, at, len, token, ch) in edits {
        let a = boundary(&t, at);
        let b = boundary(&t, (at + len).min(1.0)).max(a);
        match kind {
            0 => t.truncate(a),
            1 => t.replace_range(a..b, ""),
            2 => t.insert_str(a, TOKENS[token]),
            3 => t.replace_range(a..b, TOKENS[token]),
            4 => {
                let end = t[a..].chars().next().map_or(a, |c| a + c.len_utf8());
                t.replace_range(a..end, &ch.to_string());
            }
            _ => {
                let chunk = t[a..b].to_string();
                t.insert_str(b, &chunk);
            }
        }
    }
    t
}

// ---------------------------------------------------------------------------------------
// Values: mostly sensible, sometimes at or past the edge, sometimes not numbers at all.

fn num(lo: f64, hi: f64) -> impl Strategy<Value = f64> {
    prop_oneof![
        12 => lo..=hi,
        1 => prop::num::f64::ANY,
        1 => prop::sample::select(vec![lo, hi, lo - 1e-9, hi + 1e-9, -0.0, f64::NAN, f64::INFINITY, -1e300, 1e300]),
    ]
}

fn landmark_name() -> impl Strategy<Value = LandmarkName> {
    prop::sample::select(LandmarkName::ALL.to_vec())
}

fn point() -> impl Strategy<Value = PointRef> {
    prop_oneof![
        4 => landmark_name().prop_map(PointRef::landmark),
        4 => (landmark_name(), num(-30.0, 30.0), num(-30.0, 30.0), num(-30.0, 30.0))
            .prop_map(|(landmark, x, y, z)| PointRef::Landmark { landmark, offset_mm: [x, y, z] }),
        1 => (num(-300.0, 300.0), num(-300.0, 300.0), num(-300.0, 300.0)).prop_map(|(x, y, z)| PointRef::Xyz([x, y, z])),
    ]
}

fn settings() -> impl Strategy<Value = ImagingSettings> {
    (
        prop::sample::select(vec![FieldSize::Cm23, FieldSize::Cm15, FieldSize::Cm11]),
        any::<bool>(),
        prop::sample::select(vec![PulseRate::Continuous, PulseRate::Pps15, PulseRate::Pps7_5, PulseRate::Pps3]),
        any::<bool>(),
        (num(0.0, 1.0), num(0.0, 1.0)),
        any::<bool>(),
        any::<bool>(),
        prop_oneof![6 => prop::sample::select(vec![64usize, 96, 128]), 1 => any::<usize>(), 1 => 0usize..2048],
    )
        .prop_map(|(field, flat, pulse_rate, low_dose, (iris, slot), white, edge_enhance, pixels)| {
            ImagingSettings {
                field,
                detector: if flat { DetectorKind::FlatPanel } else { DetectorKind::ImageIntensifier },
                pulse_rate,
                low_dose,
                collimation: Collimation { iris, slot },
                polarity: if white { Polarity::BoneWhite } else { Polarity::BoneBlack },
                edge_enhance,
                pixels,
            }
        })
}

fn needle_kind() -> impl Strategy<Value = NeedleKind> {
    prop::sample::select(vec![
        NeedleKind::Quincke22G89,
        NeedleKind::Quincke22G127,
        NeedleKind::Quincke22G178,
        NeedleKind::Anaesthetic25G,
        NeedleKind::PencilPoint22G89,
    ])
}

fn fluid() -> impl Strategy<Value = Fluid> {
    prop::sample::select(vec![Fluid::Contrast, Fluid::LocalAnaesthetic, Fluid::DrugMix])
}

/// Any action, its values mostly in range and sometimes not.
fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        1 => prop::sample::select(vec![
            Action::Consent,
            Action::TimeOut,
            Action::SkinPrep,
            Action::RemoveNeedle,
            Action::RecordDose,
            Action::DischargeAdvice,
            Action::SelectNeedleForDepth,
            Action::IvAccess { sedation: true },
            Action::IvAccess { sedation: false },
            Action::Provocation { test: ProvocationTest::Faber },
            Action::Provocation { test: ProvocationTest::InternalRotationOverpressure },
            Action::Position { position: Position::Supine },
            Action::Position { position: Position::Prone },
        ]),
        1 => num(0.0, 600.0).prop_map(|seconds| Action::Wait { seconds }),
        1 => num(-40.0, 40.0).prop_map(|internal_deg| Action::RotateLeg { internal_deg }),
        1 => needle_kind().prop_map(|needle| Action::SelectNeedle { needle }),
        4 => (point(), point()).prop_map(|(entry, toward)| Action::InsertNeedle { entry, toward }),
        1 => (point(), point()).prop_map(|(entry, tip)| Action::PlaceNeedle { entry, tip }),
        3 => num(0.0, 80.0).prop_map(|mm| Action::Advance { mm }),
        2 => num(0.0, 80.0).prop_map(|mm| Action::Withdraw { mm }),
        3 => (
            prop::sample::select(vec![StopAt::Bone, StopAt::Blood, StopAt::CapsulePop]),
            num(0.0, 150.0),
            prop::option::of(point()),
            prop::option::of(num(2.0, 60.0)),
            prop::sample::select(vec![OnContact::Stop, OnContact::Redirect]),
        )
            .prop_map(|(stop, max_mm, steer_toward, image_every_mm, on_contact)| Action::AdvanceUntil {
                stop,
                max_mm,
                steer_toward,
                image_every_mm,
                on_contact
            }),
        1 => (point(), prop::option::of(num(0.0, 80.0))).prop_map(|(toward, withdraw_mm)| Action::Redirect { toward, withdraw_mm }),
        1 => num(-360.0, 360.0).prop_map(|deg| Action::RotateBevel { deg }),
        1 => (num(-90.0, 90.0), num(-45.0, 45.0), prop::option::of(point()))
            .prop_map(|(lao_deg, cranial_deg, isocentre)| Action::SetCArm { lao_deg, cranial_deg, isocentre }),
        1 => settings().prop_map(|settings| Action::SetImaging { settings }),
        2 => num(0.05, 3.0).prop_map(|seconds| Action::Fluoro { seconds }),
        3 => (fluid(), num(0.0, 12.0), prop::option::of(num(0.05, 5.0)))
            .prop_map(|(fluid, volume_ml, rate_ml_s)| Action::Inject { fluid, volume_ml, rate_ml_s }),
        1 => (fluid(), num(0.0, 6.0), prop::option::of(num(0.05, 5.0)), prop::option::of(num(0.05, 2.0)))
            .prop_map(|(fluid, volume_ml, rate_ml_s, frame_every_s)| Action::InjectUnderFluoro {
                fluid,
                volume_ml,
                rate_ml_s,
                frame_every_s
            }),
        1 => point().prop_map(|at| Action::MarkPulse { at }),
        1 => prop::sample::select(vec![
            ContrastPattern::None,
            ContrastPattern::IntraArticular,
            ContrastPattern::ExtraArticular,
            ContrastPattern::Mixed,
            ContrastPattern::Intravascular,
            ContrastPattern::Bursal,
        ])
        .prop_map(|pattern| Action::ReadContrast { pattern }),
        1 => num(0.0, 60.0).prop_map(|minutes| Action::Rest { minutes }),
        1 => prop::sample::select(vec![
            ReadingAnswer::Positive,
            ReadingAnswer::Negative,
            ReadingAnswer::Indeterminate,
            ReadingAnswer::ByRule
        ])
        .prop_map(|reading| Action::DiagnosticReading { reading }),
    ]
}

/// The imaging is cheapest at 64 pixels: seven sequences in eight start there, so more
/// cases fit in the time (the others image at the default 256).
fn actions(max: usize) -> impl Strategy<Value = Vec<Action>> {
    (0u8..8, prop::collection::vec(action(), 0..=max)).prop_map(|(k, mut list)| {
        if k > 0 {
            let settings = ImagingSettings { pixels: 64, ..ImagingSettings::default() };
            list.insert(0, Action::SetImaging { settings });
        }
        list
    })
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[a-z][a-z0-9_-]{0,20}",
        1 => prop::sample::select(vec![
            "../../somewhere".to_string(),
            "..".into(),
            "a/b".into(),
            "a\\b".into(),
            "".into(),
            ".hidden".into(),
            "x".repeat(41),
            "con".into(),
            "é".into(),
        ]),
        1 => any::<String>(),
    ]
}

/// A case: its fields mostly sensible, its patient overrides taken from a real drawn
/// patient (in range) or wild, each left to the seed half the time.
fn scenario() -> impl Strategy<Value = Scenario> {
    let opt = |lo: f64, hi: f64| prop::option::weighted(0.3, num(lo, hi));
    (
        (name(), any::<u64>(), any::<bool>(), any::<bool>(), 0usize..4),
        prop::collection::vec(needle_kind(), 0..4),
        prop::option::of(num(0.0, 300.0)),
        (any::<u64>(), prop::collection::vec(0.0..1.0f64, 23), prop::option::of(any::<bool>())),
        (opt(0.0, 200.0), opt(0.0, 200.0), prop::option::weighted(0.2, 0u8..8)),
    )
        .prop_map(
            |((name, default_seed, prone, exam, pain), needles, time_limit_min, (drawn, pick, male), wild)| {
                // Overrides: a value from one real drawn patient, kept with probability 0.3 each.
                let p = Patient::draw_params(drawn, &PatientOverrides::default()).expect("no overrides, no error");
                let keep = |i: usize, v: f64| (pick[i] < 0.3).then_some(v);
                let patient = PatientOverrides {
                    sex: male.map(|m| if m { Sex::Male } else { Sex::Female }),
                    bmi_kg_m2: keep(0, p.bmi_kg_m2).or(wild.0),
                    skin_to_capsule_mm: keep(1, p.skin_to_capsule_mm),
                    femoral_head_diameter_mm: keep(2, p.femoral_head_diameter_mm).or(wild.1),
                    neck_length_mm: keep(3, p.neck_length_mm),
                    neck_diameter_mm: keep(4, p.neck_diameter_mm),
                    neck_shaft_angle_deg: keep(5, p.neck_shaft_angle_deg),
                    femoral_anteversion_deg: keep(6, p.femoral_anteversion_deg),
                    acetabular_inclination_deg: keep(7, p.acetabular_inclination_deg),
                    acetabular_anteversion_deg: keep(8, p.acetabular_anteversion_deg),
                    joint_space_width_mm: keep(9, p.joint_space_width_mm),
                    anterior_recess_depth_mm: keep(10, p.anterior_recess_depth_mm),
                    oa_grade: keep(11, p.oa_grade as f64).map(|g| g as u8).or(wild.2),
                    femoral_nerve_to_joint_mm: keep(12, p.femoral_nerve_to_joint_mm),
                    femoral_artery_to_joint_mm: keep(13, p.femoral_artery_to_joint_mm),
                    femoral_vein_to_joint_mm: keep(14, p.femoral_vein_to_joint_mm),
                    lfcn_medial_to_asis_mm: keep(15, p.lfcn_medial_to_asis_mm),
                    bursa_communicates: keep(16, 0.0).map(|_| p.bursa_communicates),
                    nerve_medial_to_target_mm: keep(17, p.nerve_medial_to_target_mm),
                    nerve_lateral_to_artery_mm: keep(18, p.nerve_lateral_to_artery_mm),
                    // Within the range a case may set (−30..30°).
                    leg_rotation_deg: keep(19, 0.0).map(|_| pick[19] / 0.3 * 60.0 - 30.0),
                    // Fixed on about one case in seven, either way.
                    femoral_artery_calcified: (pick[20] > 0.85).then_some(pick[21] < 0.5),
                    anterior_offset_ratio: keep(22, p.anterior_offset_ratio),
                };
                Scenario {
                    name,
                    title: "fuzzed".into(),
                    default_seed,
                    position: if prone { Position::Prone } else { Position::Supine },
                    mode: if exam { Mode::Assessment } else { Mode::Learning },
                    pain_source: [
                        PainSource::HipJoint,
                        PainSource::LumbarSpine,
                        PainSource::IliopsoasBursa,
                        PainSource::TrochantericBursa,
                    ][pain],
                    needles,
                    time_limit_min,
                    patient,
                    ..Scenario::default()
                }
            },
        )
}

/// An error must name the file it came from, and a line when it has one.
fn names_the_file(err: &str, file: &str) -> Result<(), TestCaseError> {
    prop_assert!(err.starts_with(file), "the error does not name {file}: {err}");
    prop_assert!(!err.contains("panicked"), "{err}");
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The targets.

/// The scenario parser: generated cases (written as RON, then edited), shipped cases
/// edited, and text from nowhere. A case that loads builds a patient on any seed, and
/// its name can name files.
#[test]
fn fuzz_scenario_parser() {
    let text = prop_oneof![
        3 => (scenario(), edits(2)).prop_map(|(s, e)| {
            let ron = ron::ser::to_string_pretty(&s, ron::ser::PrettyConfig::default()).unwrap_or_default();
            mutate(&ron, &e)
        }),
        2 => (0..SHIPPED.len(), edits(4)).prop_map(|(i, e)| mutate(SHIPPED[i].1, &e)),
        1 => any::<String>(),
    ];
    let tally = Tally::default();
    fuzz("scenario parser", 256, (text, any::<u64>()), &tally, |(text, seed)| {
        match Scenario::from_ron(&text, Path::new("case.ron")) {
            Ok(case) => {
                tally.count("loaded");
                prop_assert!(is_file_safe(&case.name), "a case named {:?} loaded", case.name);
                for s in (0..8u64).map(|k| seed.wrapping_add(k.wrapping_mul(0x9E37_79B9_7F4A_7C15))) {
                    if let Err(e) = Session::new(case.clone(), s) {
                        prop_assert!(false, "the case loaded but seed {s} cannot start: {e}");
                    }
                }
            }
            Err(e) => {
                tally.count("refused");
                names_the_file(&e.to_string(), "case.ron:")?
            }
        }
        Ok(())
    });
}

const SCRIPTS: &[&str] = &[
    include_str!("../assets/scripts/expert_anterior.ron"),
    include_str!("../assets/scripts/expert_prone.ron"),
    include_str!("../assets/scripts/novice_femoral_artery.ron"),
    include_str!("../assets/scripts/novice_high_resistance.ron"),
    include_str!("../assets/scripts/demo_scene.ron"),
];

/// The action-script parser, RON and JSON: shipped scripts edited, generated scripts
/// edited, text from nowhere. What loads is in range; a refusal names the file and line.
#[test]
fn fuzz_action_script_parser() {
    let text = prop_oneof![
        2 => (0..SCRIPTS.len(), edits(4)).prop_map(|(i, e)| (mutate(SCRIPTS[i], &e), false)),
        2 => (0..SCRIPTS.len(), edits(3)).prop_map(|(i, e)| {
            let list: Vec<Action> = ron::from_str(SCRIPTS[i]).unwrap_or_default();
            (mutate(&serde_json::to_string_pretty(&list).unwrap_or_default(), &e), true)
        }),
        2 => (actions(12), edits(2), any::<bool>()).prop_map(|(list, e, json)| {
            let text = if json {
                serde_json::to_string_pretty(&list).unwrap_or_default()
            } else {
                ron::ser::to_string_pretty(&list, ron::ser::PrettyConfig::default()).unwrap_or_default()
            };
            (mutate(&text, &e), json)
        }),
        1 => (any::<String>(), any::<bool>()),
    ];
    let tally = Tally::default();
    fuzz("action-script parser", 256, text, &tally, |(text, json)| {
        let file = if json { "script.json" } else { "script.ron" };
        let lines = element_lines(&text);
        prop_assert!(lines.windows(2).all(|w| w[0] <= w[1]), "element lines go down the file: {lines:?}");
        match parse_actions(&text, Path::new(file)) {
            Ok(list) => {
                tally.count("loaded");
                for a in &list {
                    prop_assert!(a.validate().is_ok(), "{a:?} loaded out of range");
                }
            }
            Err(e) => {
                tally.count("refused");
                names_the_file(&e.to_string(), &format!("{file}:"))?
            }
        }
        Ok(())
    });
}

/// Real session logs to edit: the expert's run, and two short random ones.
fn base_logs() -> Vec<String> {
    let mut logs = Vec::new();
    let mut expert = Session::new(Scenario::default(), 7).unwrap();
    expert.set_trainee("Dr Ada");
    let small = ImagingSettings { pixels: 64, ..ImagingSettings::default() };
    for a in
        std::iter::once(Action::SetImaging { settings: small }).chain(assessment::expert_actions(expert.scenario()))
    {
        expert.apply(a).unwrap();
    }
    logs.push(serde_json::to_string_pretty(&expert.log()).unwrap());
    let prone = Scenario::shipped().into_iter().find(|s| s.position == Position::Prone).unwrap();
    let mut short = Session::new(prone, 3).unwrap();
    for a in [Action::Consent, Action::Position { position: Position::Prone }, Action::TimeOut] {
        short.apply(a).unwrap();
    }
    logs.push(serde_json::to_string_pretty(&short.log()).unwrap());
    logs.push(serde_json::to_string(&short.log()).unwrap());
    logs
}

/// The session-log loader: real logs edited (a digit, a name, a cut), logs with other
/// cases and actions, text from nowhere. What loads has a file-safe case name, and
/// replays without a panic; a log that replays saves the same log again.
#[test]
fn fuzz_session_log_loader() {
    let bases = base_logs();
    let n = bases.len();
    // Half the cases edit a real log; the rest are logs of generated cases and actions,
    // and text from nowhere.
    let text = (0..2 * n, edits(3), scenario(), actions(6), any::<u64>(), any::<String>()).prop_map(
        move |(i, e, case, list, seed, junk)| {
            if i < n {
                mutate(&bases[i], &e)
            } else if seed % 4 == 0 {
                junk
            } else {
                let log = ActionLog {
                    version: 1,
                    disclaimer: String::new(),
                    trainee: "x".into(),
                    scenario: case,
                    seed,
                    anatomy_version: fluorohip::sim::anatomy::ANATOMY_VERSION,
                    program_version: String::new(),
                    actions: list,
                    started_at: None,
                };
                serde_json::to_string_pretty(&log).unwrap_or_default()
            }
        },
    );
    let tally = Tally::default();
    fuzz("session-log loader", 128, text, &tally, |text| {
        match parse_log(&text, Path::new("session-log.json")) {
            Ok(log) => {
                prop_assert!(is_file_safe(&log.scenario.name), "a log of case {:?} loaded", log.scenario.name);
                match Session::replay(&log) {
                    Ok(s) => {
                        tally.count("loaded and replayed");
                        prop_assert_eq!(s.log().actions, log.actions);
                        prop_assert_eq!(s.seed(), log.seed);
                        // What `replay --report` writes from it (the report runs the expert
                        // script too, so on one replayed log in eight).
                        if text.len() % 8 == 0 {
                            tally.count("reports written");
                            let r = assessment::report(&s);
                            let row = export::csv_row(&r);
                            prop_assert!(row.ends_with("NOT FOR CLINICAL USE"), "{row}");
                            prop_assert!(export::html(&r, &[]).contains("NOT FOR CLINICAL USE"));
                            let xapi = fluorohip::sim::assessment::xapi::statements(&r, &s.log(), &Default::default());
                            prop_assert!(!xapi.is_empty());
                        }
                    }
                    Err(_) => tally.count("loaded, replay refused"),
                }
            }
            Err(e) => {
                tally.count("refused");
                names_the_file(&e.to_string(), "session-log.json")?
            }
        }
        Ok(())
    });
}

/// `Session::apply` with random sequences of valid and invalid actions on every shipped
/// case and on generated ones: no panic; a refused action changes nothing; the volume injected is all
/// accounted for; the clock never runs back; and the saved log loads and replays to the
/// same state (the same report, on the cases where it is compared).
#[test]
fn fuzz_session_apply() {
    let cases = Scenario::shipped();
    let n = cases.len();
    // A shipped case, or (one time in three) a generated one that passes validation, so
    // patients with fixed extremes are met too.
    let shipped = cases.clone();
    let case = prop_oneof![
        2 => (0..n).prop_map(move |c| shipped[c].clone()),
        1 => scenario().prop_map(|s| Scenario { name: "fuzzed".into(), ..s }),
    ];
    let tally = Tally::default();
    fuzz(
        "Session::apply",
        32,
        (case, 0u64..1_000_000, actions(30), any::<u8>()),
        &tally,
        |(case, seed, list, pick)| {
            let case = match (case.name == "fuzzed", case.problem()) {
                (true, Ok(())) => {
                    tally.count("generated cases played");
                    case
                }
                (true, Err(_)) => cases[seed as usize % n].clone(),
                (false, _) => case,
            };
            let mut s = Session::new(case, seed).unwrap();
            for a in list {
                let (count, clock, events, dose) =
                    (s.action_count(), s.state().clock_s, s.state().events.len(), s.dose());
                // What the checks say beforehand is what apply does.
                let allowed = s.check(&a).is_ok();
                let result = s.apply(a.clone());
                prop_assert_eq!(allowed, result.is_ok(), "{:?}: Session::check and apply disagree", a);
                match result {
                    Ok(_) => {
                        tally.count("actions applied");
                        prop_assert_eq!(s.action_count(), count + 1)
                    }
                    Err(_) => {
                        tally.count("actions refused");
                        prop_assert_eq!(s.action_count(), count);
                        prop_assert_eq!(s.state().events.len(), events);
                        prop_assert_eq!(s.dose(), dose);
                        prop_assert!(s.state().clock_s == clock);
                    }
                }
                let now = s.state().clock_s;
                prop_assert!(now.is_finite() && now >= clock, "the clock went from {clock} to {now} on {a:?}");
                let v = s.state().volumes;
                let fields = [
                    v.injected_ml,
                    v.joint_ml,
                    v.capsule_wall_ml,
                    v.extra_articular_ml,
                    v.bursa_ml,
                    v.peritendinous_ml,
                ];
                prop_assert!(fields.iter().all(|x| x.is_finite() && *x >= -1e-9), "{v:?}");
                prop_assert!(
                    (v.injected_ml - v.accounted_ml()).abs() <= 1e-6 * v.injected_ml.max(1.0),
                    "volume not conserved after {a:?}: {v:?}"
                );
            }
            // What is saved loads back and replays to the same session.
            let text = serde_json::to_string_pretty(&s.log()).unwrap();
            let log = match parse_log(&text, Path::new("session-log.json")) {
                Ok(log) => log,
                Err(e) => return Err(TestCaseError::fail(format!("the saved log does not load: {e}"))),
            };
            prop_assert_eq!(&log, &s.log());
            let again = match Session::replay(&log) {
                Ok(again) => again,
                Err(e) => return Err(TestCaseError::fail(format!("the saved log does not replay: {e}"))),
            };
            prop_assert_eq!(again.state().events, s.state().events);
            prop_assert_eq!(again.state().volumes, s.state().volumes);
            prop_assert_eq!(again.dose(), s.dose());
            prop_assert_eq!(again.shot_images(), s.shot_images());
            // The report runs the expert script too: compared on one case in 32.
            if pick % 32 == 0 {
                tally.count("reports compared");
                let (a, b) = (assessment::report(&s), assessment::report(&again));
                prop_assert_eq!(serde_json::to_string(&a).unwrap(), serde_json::to_string(&b).unwrap());
            }
            Ok(())
        },
    );
}
