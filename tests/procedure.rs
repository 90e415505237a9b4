//! The procedure, scoring and reports: what an instructor relies on.

use std::path::Path;

use fluorohip::sim::assessment::export as report;
use fluorohip::sim::assessment::{self, Domain, Metrics};
use fluorohip::sim::procedure::{PainSource, Reading};
use fluorohip::sim::script;
use fluorohip::sim::session::UnsafeAct;
use fluorohip::sim::{Scenario, Session};

fn run_script(scenario: &Scenario, file: &str, seed: u64) -> Session {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scripts").join(file);
    let (actions, lines) = script::load_actions(&path).unwrap();
    script::play(scenario.clone(), seed, "test trainee", actions, &lines, &path).unwrap()
}

/// The expert reference, judged by facts that do not depend on comparing it with
/// itself: the drug is in the joint, the pattern was intra-articular, the block reads
/// positive from ≥ 80% relief, every step is done, and nothing unsafe happened.
#[test]
fn the_expert_reference_puts_the_drug_in_the_joint_on_every_hip_case() {
    for scenario in Scenario::shipped().into_iter().filter(|s| s.pain_source == PainSource::HipJoint) {
        let file = match scenario.position {
            fluorohip::sim::Position::Supine => "expert_anterior.ron",
            fluorohip::sim::Position::Prone => "expert_prone.ron",
        };
        for seed in [scenario.default_seed, 77] {
            let s = run_script(&scenario, file, seed);
            let m = Metrics::of(&s);
            assert!(m.joint_drug_ml >= 4.0, "{} seed {seed}: {} mL in the joint", scenario.name, m.joint_drug_ml);
            assert_eq!(m.contrast_pattern.as_str(), "intra_articular", "{}", scenario.name);
            assert!(m.contrast_confirmed_before_drug);
            assert!(m.relief_pct.unwrap() >= 80.0, "{}: relief {:?}", scenario.name, m.relief_pct);
            assert_eq!(m.reading, Some(Reading::Positive), "{}", scenario.name);
            assert!(m.steps_missing.is_empty(), "{}: {:?}", scenario.name, m.steps_missing);
            assert!(m.steps_wrong.is_empty(), "{}: {:?}", scenario.name, m.steps_wrong);
            assert!(m.unsafe_acts.is_empty(), "{}: {:?}", scenario.name, m.unsafe_acts);
            assert_eq!(m.hits, 0);
            assert!(m.target_error_mm.unwrap() <= 6.0, "{}: {:?} mm off target", scenario.name, m.target_error_mm);
        }
    }
}

#[test]
fn the_obese_case_needs_the_long_needle() {
    let scenario = Scenario::find("obese_long_needle").unwrap();
    let s = run_script(&scenario, "expert_anterior.ron", scenario.default_seed);
    let long = |s: &Session| {
        s.needles().any(|n| {
            matches!(
                n.kind,
                fluorohip::sim::needle::NeedleKind::Quincke22G127 | fluorohip::sim::needle::NeedleKind::Quincke22G178
            )
        })
    };
    assert!(long(&s));
    assert!(s.patient().skin_to_target_mm() > 89.0 - 10.0);
}

#[test]
fn entering_the_femoral_artery_and_injecting_fails_with_that_critical_error() {
    let scenario = Scenario::find("routine_anterior").unwrap();
    let s = run_script(&scenario, "novice_femoral_artery.ron", scenario.default_seed);
    let r = assessment::report(&s);
    assert!(!r.score.passed);
    assert!(r.score.critical_errors.contains(&UnsafeAct::InjectedIntravascular), "{:?}", r.score.critical_errors);
    assert!(r.metrics.hits >= 1);
    assert!(r.metrics.closest_mm["femoral_artery"] <= 0.0);
}

#[test]
fn skipping_contrast_loses_the_confirmation_item() {
    let scenario = Scenario::find("routine_anterior").unwrap();
    let s = run_script(&scenario, "novice_skips_contrast.ron", scenario.default_seed);
    let r = assessment::report(&s);
    let item = r.score.items.iter().find(|i| i.item.starts_with("contrast pattern read")).unwrap();
    assert_eq!(item.points, 0.0);
    assert!(!r.metrics.contrast_confirmed_before_drug);
    assert!(r.score.critical_errors.contains(&UnsafeAct::DrugBeforeContrastConfirmation));
    assert!(!r.score.passed);
}

#[test]
fn the_non_hip_case_scores_a_negative_reading_as_right() {
    let scenario = Scenario::find("lumbar_referred_pain").unwrap();
    let s = run_script(&scenario, "expert_anterior.ron", scenario.default_seed);
    let r = assessment::report(&s);
    assert_eq!(r.metrics.expected_reading, Reading::Negative);
    assert_eq!(r.metrics.reading, Some(Reading::Negative));
    assert_eq!(r.metrics.reading_correct, Some(true));
    assert!(r.metrics.relief_pct.unwrap() < 30.0, "no relief: the joint is not the source");
    assert!(r.score.passed);
}

#[test]
fn an_extra_articular_injection_gives_a_false_negative_that_is_scored_wrong() {
    let scenario = Scenario::find("routine_anterior").unwrap();
    let s = run_script(&scenario, "novice_short_of_bone.ron", scenario.default_seed);
    let r = assessment::report(&s);
    assert_eq!(r.metrics.contrast_pattern.as_str(), "extra_articular");
    assert!(r.metrics.relief_pct.unwrap() < 80.0, "the hip was the source but the drug missed it");
    assert_eq!(r.metrics.expected_reading, Reading::Indeterminate);
    assert_eq!(r.metrics.reading_correct, Some(false));
}

#[test]
fn a_replayed_log_writes_a_byte_identical_report() {
    let scenario = Scenario::find("artery_close").unwrap();
    let s = run_script(&scenario, "expert_anterior.ron", 12345);
    let base = std::env::temp_dir().join(format!("fluorohip-replay-{}", std::process::id()));
    let (_, first) = report::write_all(&s, &base.join("a"), None).unwrap();
    let replayed = script::replay_file(&first.log).unwrap();
    let (_, second) = report::write_all(&replayed, &base.join("b"), None).unwrap();
    assert_eq!(std::fs::read(&first.json).unwrap(), std::fs::read(&second.json).unwrap());
    assert_eq!(std::fs::read(&first.html).unwrap(), std::fs::read(&second.html).unwrap());
    let json = std::fs::read_to_string(&first.json).unwrap();
    assert!(json.contains("NOT FOR CLINICAL USE"));
    assert!(json.contains("\"schema_version\": 2"));
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
fn reports_carry_the_notice_escape_trainee_text_and_append_one_csv_row() {
    let scenario = Scenario::find("routine_anterior").unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scripts/expert_anterior.ron");
    let (actions, lines) = script::load_actions(&path).unwrap();
    let s = script::play(scenario, 3, "<img src=x onerror=alert(1)>, \"Bob\"", actions, &lines, &path).unwrap();
    let base = std::env::temp_dir().join(format!("fluorohip-report-{}", std::process::id()));
    let csv = base.join("class.csv");
    let (_, w) = report::write_all(&s, &base.join("one"), Some(&csv)).unwrap();
    report::write_all(&s, &base.join("two"), Some(&csv)).unwrap();
    let html = std::fs::read_to_string(&w.html).unwrap();
    assert!(html.contains("NOT FOR CLINICAL USE"));
    assert!(!html.contains("<img src=x"), "trainee text must be escaped");
    assert!(html.contains("&lt;img src=x"));
    // Localisation, needle before contrast, contrast pattern (also the last image).
    assert_eq!(html.matches("data:image/png;base64,").count(), 3, "key shots embedded");
    let rows: Vec<String> = std::fs::read_to_string(&csv).unwrap().lines().map(str::to_string).collect();
    assert_eq!(rows.len(), 3, "header and one row per session");
    assert!(rows[1].starts_with("\"<img src=x onerror=alert(1)>, \"\"Bob\"\"\""));
    let xapi = std::fs::read_to_string(&w.xapi).unwrap();
    for line in xapi.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["actor"].is_object() && v["verb"]["id"].is_string() && v["object"]["id"].is_string());
    }
    assert!(xapi.contains("\"result\""));
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
fn steps_out_of_order_are_logged_not_refused() {
    use fluorohip::sim::Action;
    let mut s = Session::new(Scenario::default(), 2).unwrap();
    s.apply(Action::SkinPrep).unwrap();
    s.apply(Action::Consent).unwrap();
    s.apply(Action::TimeOut).unwrap();
    let m = Metrics::of(&s);
    assert_eq!(m.steps_out_of_order, 2, "consent and time-out both after prep");
    assert_eq!(m.steps_done.len(), 3);
}

mod random_sessions {
    use fluorohip::sim::anatomy::LandmarkName;
    use fluorohip::sim::anatomy::Tissue;
    use fluorohip::sim::injection::{ContrastPattern, Fluid};
    use fluorohip::sim::needle::NeedleEvent;
    use fluorohip::sim::procedure::ReadingAnswer;
    use fluorohip::sim::session::{PointRef, StopAt};
    use fluorohip::sim::{Action, EventKind, Position, Scenario, Session, assessment};
    use proptest::prelude::*;

    fn landmark() -> impl Strategy<Value = PointRef> {
        (0..LandmarkName::ALL.len(), -20.0..20.0f64, -20.0..20.0f64, -20.0..20.0f64)
            .prop_map(|(i, x, y, z)| PointRef::Landmark { landmark: LandmarkName::ALL[i], offset_mm: [x, y, z] })
    }

    fn action() -> impl Strategy<Value = Action> {
        prop_oneof![
            Just(Action::Consent),
            Just(Action::TimeOut),
            Just(Action::SkinPrep),
            Just(Action::RemoveNeedle),
            Just(Action::RecordDose),
            Just(Action::DischargeAdvice),
            Just(Action::SelectNeedleForDepth),
            Just(Action::Provocation { test: Default::default() }),
            Just(Action::Position { position: Position::Prone }),
            (landmark(), landmark()).prop_map(|(entry, toward)| Action::InsertNeedle { entry, toward }),
            (0.0..60.0f64).prop_map(|mm| Action::Advance { mm }),
            (0.0..60.0f64).prop_map(|mm| Action::Withdraw { mm }),
            (0.0..130.0f64, prop::option::of(2.0..30.0f64)).prop_map(|(max_mm, image_every_mm)| {
                Action::AdvanceUntil {
                    stop: StopAt::Bone,
                    max_mm,
                    steer_toward: None,
                    image_every_mm,
                    on_contact: Default::default(),
                }
            }),
            landmark().prop_map(|toward| Action::Redirect { toward, withdraw_mm: None }),
            (-360.0..360.0f64).prop_map(|deg| Action::RotateBevel { deg }),
            (-90.0..90.0f64, -45.0..45.0f64).prop_map(|(lao_deg, cranial_deg)| Action::SetCArm {
                lao_deg,
                cranial_deg,
                isocentre: None
            }),
            (0.1..3.0f64).prop_map(|seconds| Action::Fluoro { seconds }),
            (0usize..3, 0.0..12.0f64).prop_map(|(f, volume_ml)| Action::Inject {
                fluid: [Fluid::Contrast, Fluid::LocalAnaesthetic, Fluid::DrugMix][f],
                volume_ml,
                rate_ml_s: None
            }),
            (0.0..40.0f64).prop_map(|minutes| Action::Rest { minutes }),
            Just(Action::ReadContrast { pattern: ContrastPattern::Mixed }),
            Just(Action::ReadContrast { pattern: ContrastPattern::IntraArticular }),
            Just(Action::Position { position: Position::Supine }),
            Just(Action::DiagnosticReading { reading: ReadingAnswer::ByRule }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        /// Whatever a trainee does: no panic; volume injected is accounted for; the log
        /// replays to the same report; and a session that did not put the drug in the
        /// joint (or rightly withhold it) never passes.
        #[test]
        fn random_action_sequences_always_give_a_valid_report(seed in 0u64..1000, actions in prop::collection::vec(action(), 0..25)) {
            let mut s = Session::new(Scenario::default(), seed).unwrap();
            for a in actions {
                let _ = s.apply(a);
            }
            let v = s.state().volumes;
            prop_assert!((v.injected_ml - v.accounted_ml()).abs() < 1e-6);
            let r = assessment::report(&s);
            let again = assessment::report(&Session::replay(&s.log()).unwrap());
            prop_assert_eq!(serde_json::to_string(&r).unwrap(), serde_json::to_string(&again).unwrap());
            // A pass is checked against the events themselves, not the rubric's metrics:
            // no nerve or artery entered, the drug only after a right intra-articular
            // reading, a full rest, and the last block reading right.
            if r.score.passed {
                let events = s.state().events;
                let entered = events.iter().any(|e| {
                    matches!(
                        e.kind,
                        EventKind::Needle(NeedleEvent::Hit { structure: Tissue::FemoralNerve | Tissue::FemoralArtery })
                    )
                });
                prop_assert!(!entered, "a pass with the femoral nerve or artery entered");
                let first_drug =
                    events.iter().position(|e| matches!(e.kind, EventKind::Injected { fluid: Fluid::DrugMix, .. }));
                if let Some(d) = first_drug {
                    let read_right = events[..d].iter().any(|e| {
                        matches!(
                            e.kind,
                            EventKind::ContrastReadAs { read: ContrastPattern::IntraArticular, correct: true, .. }
                        )
                    });
                    prop_assert!(read_right, "a pass with the drug given before a right reading");
                }
                prop_assert!(s.steps().iter().any(|(st, _)| *st == fluorohip::sim::procedure::Step::Rest));
                let last_reading = events.iter().rev().find_map(|e| match e.kind {
                    EventKind::ReadingGiven { correct, .. } => Some(correct),
                    _ => None,
                });
                prop_assert_eq!(last_reading, Some(true));
            }
        }
    }
}

/// Run on demand: `cargo test --release --no-default-features --test procedure -- --ignored --nocapture`.
/// Plays 1,000 scripted sessions in one process and prints resident memory at 10 and at 1,000.
#[test]
#[ignore]
fn thousand_sessions_keep_memory_flat() {
    fn rss_kb() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
    let scenario = Scenario::find("routine_anterior").unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scripts/expert_anterior.ron");
    let (actions, lines) = script::load_actions(&path).unwrap();
    let mut at_10 = 0;
    for i in 0..1000u64 {
        let s = script::play(scenario.clone(), i, "", actions.clone(), &lines, &path).unwrap();
        let _ = Metrics::of(&s);
        if i == 9 {
            at_10 = rss_kb();
        }
    }
    let at_1000 = rss_kb();
    println!("resident memory: {at_10} kB after 10 sessions, {at_1000} kB after 1000");
    assert!(at_1000 < at_10 + 50_000, "memory grew by {} kB", at_1000 - at_10);
}

fn domain(r: &assessment::Report, d: Domain) -> &assessment::DomainVerdict {
    r.score.domain(d).unwrap()
}

/// The instructor's example: every step done, but the needle drawn back 12 mm off the
/// bone; the pooled contrast read as intra-articular and the drug given. Before the
/// domains it passed with 75/100.
#[test]
fn drug_after_a_misread_blob_fails_outcome_interpretation_and_safety() {
    let scenario = Scenario::find("routine_anterior").unwrap();
    let s = run_script(&scenario, "novice_withdrawn_off_bone.ron", scenario.default_seed);
    let r = assessment::report(&s);
    assert!(r.metrics.joint_drug_ml < 1.0, "{} mL in the joint", r.metrics.joint_drug_ml);
    assert!(!r.score.passed);
    assert!(r.score.critical_errors.contains(&UnsafeAct::DrugAfterMisreadContrast), "{:?}", r.score.critical_errors);
    for d in [Domain::Safety, Domain::Outcome, Domain::Interpretation] {
        assert!(!domain(&r, d).passed, "{} should fail: {:#?}", d.as_str(), r.score.domains);
    }
    // Every step was done, but the drug step wrongly: the misread did not confirm the joint.
    let checklist = domain(&r, Domain::Checklist);
    assert_eq!(checklist.failed_because, ["anaesthetic and steroid injected: drug before the contrast was confirmed"]);
    assert!(domain(&r, Domain::Interpretation).failed_because.iter().any(|w| w.contains("misread")));
    assert!(
        r.practise_next[..2].iter().any(|a| a.contains("outline")),
        "advice starts with the critical errors: {:?}",
        r.practise_next
    );
}

/// The other example: a perfect injection on the case whose pain is not from the hip,
/// read "positive" after no relief. Before the domains it passed with 95/100.
#[test]
fn a_positive_reading_of_the_lumbar_case_fails_interpretation_only() {
    let scenario = Scenario::find("lumbar_referred_pain").unwrap();
    let s = run_script(&scenario, "novice_calls_lumbar_positive.ron", scenario.default_seed);
    let r = assessment::report(&s);
    assert!(r.metrics.relief_pct.unwrap() < 30.0);
    assert!(!r.score.passed);
    let failed: Vec<&str> = r.score.failed_domains();
    assert_eq!(failed, ["interpretation"], "{:#?}", r.score.domains);
    let why = &domain(&r, Domain::Interpretation).failed_because;
    assert!(why.iter().any(|w| w.contains("positive") && w.contains("negative")), "{why:?}");
}

/// Stopping after the preparation, nothing injected: technique and safety are not earned.
#[test]
fn a_session_with_no_injection_earns_no_technique_or_safety_points() {
    let scenario = Scenario::find("routine_anterior").unwrap();
    let s = run_script(&scenario, "novice_stops_early.ron", scenario.default_seed);
    let r = assessment::report(&s);
    assert_eq!(domain(&r, Domain::Technique).points, 0.0);
    assert_eq!(domain(&r, Domain::Safety).points, 0.0);
    assert!(r.score.total < 20.0, "score {}", r.score.total);
    assert!(domain(&r, Domain::Technique).failed_because.iter().any(|w| w.contains("nothing was injected")));
}

/// A step done wrongly is marked wrong with why, not ticked.
#[test]
fn reading_contrast_that_was_never_injected_and_the_wrong_position_are_marked_wrong() {
    use fluorohip::sim::Action;
    use fluorohip::sim::injection::ContrastPattern;
    use fluorohip::sim::procedure::Step;
    use fluorohip::sim::procedure::StepFault;
    let mut s = Session::new(Scenario::find("routine_anterior").unwrap(), 3).unwrap();
    s.apply(Action::Position { position: fluorohip::sim::Position::Prone }).unwrap();
    s.apply(Action::ReadContrast { pattern: ContrastPattern::IntraArticular }).unwrap();
    let m = Metrics::of(&s);
    assert!(!s.steps().iter().any(|(st, _)| matches!(st, Step::Positioning | Step::ContrastRead)));
    let faults: Vec<(Step, StepFault)> = m.steps_wrong.iter().map(|w| (w.step, w.fault)).collect();
    assert_eq!(
        faults,
        [(Step::Positioning, StepFault::WrongPosition), (Step::ContrastRead, StepFault::NoContrastToRead)]
    );
    assert!(!m.contrast_confirmed_before_drug);
    // Done rightly later, the step is ticked and no longer wrong.
    s.apply(Action::Position { position: fluorohip::sim::Position::Supine }).unwrap();
    assert!(s.steps().iter().any(|(st, _)| *st == Step::Positioning));
    assert_eq!(Metrics::of(&s).steps_wrong.len(), 1);
    let r = assessment::report(&s);
    assert!(domain(&r, Domain::Checklist).failed_because.iter().any(|w| w.contains("read with no contrast")));
}

/// Advancing 94 mm blind toward the femoral nerve: the hand stops in the nerve, the hit
/// is a critical error, and the few shots earn nothing.
#[test]
fn a_blind_advance_into_the_femoral_nerve_stops_there_and_earns_no_shot_credit() {
    let scenario = Scenario::find("routine_anterior").unwrap();
    let s = run_script(&scenario, "novice_blind_advance.ron", scenario.default_seed);
    let hit_at = s
        .state()
        .events
        .iter()
        .position(|e| matches!(e.kind, fluorohip::sim::EventKind::Unsafe { what: UnsafeAct::HitFemoralNerve }))
        .expect("the nerve was hit");
    let depth_after = s.state().events[hit_at..].iter().find_map(|e| match e.kind {
        fluorohip::sim::EventKind::NeedleMoved { depth_mm, .. } => Some(depth_mm),
        _ => None,
    });
    assert!(depth_after.unwrap() < 90.0, "the advance went on to {depth_after:?} mm");
    let r = assessment::report(&s);
    assert!(r.score.critical_errors.contains(&UnsafeAct::HitFemoralNerve));
    assert!(r.metrics.blind_past_structure);
    let shots = r.score.items.iter().find(|i| i.item == "fluoroscopy shots").unwrap();
    assert_eq!(shots.points, 0.0, "{}", shots.detail);
}

/// When the expert reference misses on a seed, the trainee is compared with the nominal
/// expert figures, never with the failed run.
#[test]
fn a_failed_reference_run_is_replaced_by_the_nominal_expert() {
    let scenario = Scenario::find("routine_anterior").unwrap();
    let trainee = Metrics::of(&run_script(&scenario, "expert_anterior.ron", 5));
    let failed_reference = Metrics::of(&run_script(&scenario, "novice_short_of_bone.ron", 5));
    let s = assessment::score(&scenario, &trainee, &failed_reference);
    assert!(!s.expert_reference_valid);
    let shots = s.items.iter().find(|i| i.item == "fluoroscopy shots").unwrap();
    assert!(shots.detail.contains("expert 8"), "{}", shots.detail);
    assert!(s.passed, "{:#?}", s.domains);
}

/// Advancing blind past a structure at risk costs the shot and fluoroscopy-time credit
/// even when everything else is the expert's.
#[test]
fn a_blind_pass_by_a_structure_earns_no_credit_for_few_images() {
    let scenario = Scenario::find("routine_anterior").unwrap();
    let expert = Metrics::of(&run_script(&scenario, "expert_anterior.ron", 3));
    let blind = Metrics { blind_past_structure: true, ..expert.clone() };
    let s = assessment::score(&scenario, &blind, &expert);
    let points = |name: &str| s.items.iter().find(|i| i.item == name).unwrap().points;
    assert_eq!(points("fluoroscopy shots"), 0.0);
    assert_eq!(points("fluoroscopy time"), 0.0);
    assert!(!domain_of(&s, Domain::Technique).passed);
    let seen = assessment::score(&scenario, &expert, &expert);
    assert_eq!(seen.items.iter().find(|i| i.item == "fluoroscopy shots").unwrap().points, 5.0);
}

fn domain_of(s: &assessment::Score, d: Domain) -> &assessment::DomainVerdict {
    s.domain(d).unwrap()
}

/// The block read too early: after a rest of 0 min the relief is the placebo's, and
/// the only right reading is indeterminate (a false negative passed before).
#[test]
fn a_block_read_without_the_rest_is_indeterminate_and_the_rest_step_is_wrong() {
    use fluorohip::sim::Action;
    use fluorohip::sim::procedure::{ReadingAnswer, Step};
    let scenario = Scenario::find("routine_anterior").unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scripts/expert_anterior.ron");
    let (mut actions, _) = script::load_actions(&path).unwrap();
    for a in &mut actions {
        if let Action::Rest { minutes } = a {
            *minutes = 0.0;
        }
        if let Action::DiagnosticReading { reading } = a {
            *reading = ReadingAnswer::Negative;
        }
    }
    let mut s = Session::new(scenario, 3).unwrap();
    for a in actions {
        s.apply(a).unwrap();
    }
    let r = assessment::report(&s);
    assert_eq!(r.metrics.expected_reading, Reading::Indeterminate);
    assert_eq!(r.metrics.reading_correct, Some(false));
    assert!(s.wrong_steps().iter().any(|(st, _, _)| *st == Step::Rest));
    assert!(!r.score.passed);
}

/// Recognise, redirect, re-confirm: a blob read rightly as extra-articular, the needle
/// redirected to bone, a second push read as intra-articular, then the drug. The second
/// reading is judged on the second push, so this is safe and passes its reading.
#[test]
fn a_redirect_after_a_recognised_blob_is_read_on_the_new_push() {
    use fluorohip::sim::Action;
    use fluorohip::sim::injection::{ContrastPattern, Fluid};
    use fluorohip::sim::session::{PointRef, StopAt};
    let scenario = Scenario::find("routine_anterior").unwrap();
    let mut s = Session::new(scenario, 3).unwrap();
    let target = PointRef::landmark(fluorohip::sim::anatomy::LandmarkName::Target);
    let entry = PointRef::landmark(fluorohip::sim::anatomy::LandmarkName::AnteriorEntry);
    for a in [
        Action::Consent,
        Action::TimeOut,
        Action::SkinPrep,
        Action::SelectNeedleForDepth,
        Action::InsertNeedle { entry, toward: target },
        Action::Advance { mm: 30.0 },
        Action::Fluoro { seconds: 1.0 },
        Action::Inject { fluid: Fluid::Contrast, volume_ml: 2.0, rate_ml_s: None },
        Action::Fluoro { seconds: 1.0 },
        Action::ReadContrast { pattern: ContrastPattern::ExtraArticular },
        Action::AdvanceUntil {
            stop: StopAt::Bone,
            max_mm: 170.0,
            steer_toward: Some(target),
            image_every_mm: Some(12.0),
            on_contact: Default::default(),
        },
        Action::Inject { fluid: Fluid::Contrast, volume_ml: 2.0, rate_ml_s: None },
        Action::Fluoro { seconds: 1.0 },
        Action::ReadContrast { pattern: ContrastPattern::IntraArticular },
        Action::Inject { fluid: Fluid::DrugMix, volume_ml: 5.0, rate_ml_s: Some(1.0) },
    ] {
        s.apply(a).unwrap();
    }
    let reads: Vec<bool> = s
        .state()
        .events
        .iter()
        .filter_map(|e| match e.kind {
            fluorohip::sim::EventKind::ContrastReadAs { correct, .. } => Some(correct),
            _ => None,
        })
        .collect();
    assert_eq!(reads, [true, true], "both readings right");
    let m = Metrics::of(&s);
    assert!(m.unsafe_acts.is_empty(), "{:?}", m.unsafe_acts);
    assert!(m.joint_drug_ml >= 4.0);
    assert!(m.contrast_confirmed_before_drug);
}

/// A patient placed prone for a supine case lies prone: the AP shot then passes PA and the
/// picture is the supine one mirrored left to right (what a radiographer would see), and
/// placing them back restores it.
#[test]
fn a_patient_placed_wrongly_is_imaged_as_placed() {
    use fluorohip::sim::Position;
    use fluorohip::sim::session::Action;
    let shot = |placed: Option<Position>| {
        let mut s = Session::new(Scenario::default(), 5).unwrap();
        if let Some(p) = placed {
            s.apply(Action::Position { position: p }).unwrap();
        }
        assert_eq!(s.position(), placed.unwrap_or(Position::Supine));
        s.apply(Action::Fluoro { seconds: 1.0 }).unwrap();
        s.shot_images().last().unwrap().clone()
    };
    let supine = shot(Some(Position::Supine));
    let prone = shot(Some(Position::Prone));
    assert_eq!(shot(None).gray, supine.gray, "before positioning the patient lies as the case expects");
    let n = supine.pixels;
    let mirrored: Vec<u8> = (0..n * n).map(|i| supine.gray[(i / n) * n + (n - 1 - i % n)]).collect();
    let diff =
        |a: &[u8], b: &[u8]| a.iter().zip(b).map(|(x, y)| (*x as f64 - *y as f64).abs()).sum::<f64>() / a.len() as f64;
    let to_mirror = diff(&prone.gray, &mirrored);
    let to_same = diff(&prone.gray, &supine.gray);
    assert!(to_mirror * 3.0 < to_same, "prone vs mirrored supine {to_mirror:.1}, vs supine {to_same:.1}");
}

/// A long session keeps only the key shots and the latest images (memory stays bounded
/// however many frames live injections take), and the key shots are the ones the shot
/// events name: the first, the last before the first contrast, the first after it, the last.
#[test]
fn a_long_session_keeps_its_key_shots_and_only_the_latest_other_images() {
    use fluorohip::sim::injection::Fluid;
    use fluorohip::sim::session::{Action, EventKind, RECENT_SHOT_IMAGES};
    let mut s = run_script(&Scenario::default(), "expert_anterior.ron", 4);
    for _ in 0..30 {
        s.apply(Action::Fluoro { seconds: 0.2 }).unwrap();
    }
    let events = s.state().events;
    let shots: Vec<(u32, f64)> = events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Shot { index, .. } => Some((index, e.time_s)),
            _ => None,
        })
        .collect();
    assert!(shots.len() > 35, "{} shots", shots.len());
    let t = events
        .iter()
        .find_map(|e| matches!(e.kind, EventKind::Injected { fluid: Fluid::Contrast, .. }).then_some(e.time_s))
        .expect("the expert injects contrast");
    let mut expected = vec![shots[0].0];
    for i in [
        shots.iter().rev().find(|(_, ts)| *ts <= t).unwrap().0,
        shots.iter().find(|(_, ts)| *ts > t).unwrap().0,
        shots.last().unwrap().0,
    ] {
        if !expected.contains(&i) {
            expected.push(i);
        }
    }
    let kept = s.shot_images();
    assert!(kept.len() <= RECENT_SHOT_IMAGES + 3, "{} images kept", kept.len());
    let keys: Vec<u32> = report::key_shots(&s).iter().map(|k| k.shot.index).collect();
    assert_eq!(keys, expected);
    // The latest images are all there, in order, for the monitor.
    let latest: Vec<u32> = kept.iter().rev().take(RECENT_SHOT_IMAGES).map(|i| i.index).collect();
    let want: Vec<u32> = shots.iter().rev().take(RECENT_SHOT_IMAGES).map(|(i, _)| *i).collect();
    assert_eq!(latest, want);
}

/// Turning the foot in (the supine set-up, FIDELITY.md §2) turns the femur, its capsule and
/// the circumflex branch across its neck, and so moves the target, while every other structure
/// keeps its exact shape; it is refused once a needle is in or fluid has
/// gone in, as the anatomy would move under them; and the expert's approach, with the foot
/// turned in 15° after positioning, still puts the drug in the joint.
#[test]
fn the_leg_turns_before_the_needle_and_the_expert_still_reaches_the_joint() {
    use fluorohip::sim::Action;
    let scenario = Scenario::shipped().into_iter().find(|s| s.name == "routine_anterior").unwrap();
    let expert: Vec<Action> = ron::from_str(assessment::EXPERT_ANTERIOR).unwrap();
    let at = expert.iter().position(|a| matches!(a, Action::Position { .. })).unwrap() + 1;
    let mut turned = expert.clone();
    turned.insert(at, Action::RotateLeg { internal_deg: 15.0 });
    let mut moved = Vec::new();
    let mut lfcn_hits = 0;
    for seed in 1..=20 {
        let mut s = Session::new(scenario.clone(), seed).unwrap();
        let neutral = s.patient().clone();
        s.apply(Action::RotateLeg { internal_deg: 15.0 }).unwrap();
        moved.push((s.patient().landmarks.target - neutral.landmarks.target).length());
        // The turn is on the record, and the debrief's timeline says which way.
        let told: Vec<String> =
            s.state().events.iter().filter_map(|e| assessment::describe(&e.kind)).map(|d| d.0).collect();
        assert!(told.iter().any(|t| t == "leg turned 15° in (foot in)"), "seed {seed}: {told:?}");
        // Every structure not fixed to the femur keeps its exact shape; the femur's turn.
        use fluorohip::sim::anatomy::Tissue;
        let femoral = |t: Tissue| {
            matches!(
                t,
                Tissue::FemurCortical
                    | Tissue::FemurCancellous
                    | Tissue::FemoralHeadCancellous
                    | Tissue::FemoralMarrow
                    | Tissue::Trabeculae
                    | Tissue::NeckTrabeculae
                    | Tissue::FemoralCartilage
                    | Tissue::ZonaOrbicularis
                    | Tissue::JointSpace
                    | Tissue::CapsuleWall
                    | Tissue::LateralCircumflexBranch
            )
        };
        assert_eq!(neutral.structures().len(), s.patient().structures().len());
        for (before, after) in neutral.structures().iter().zip(s.patient().structures()) {
            assert_eq!(before.tissue, after.tissue);
            if femoral(before.tissue) {
                if before.tissue != Tissue::FemoralHeadCancellous {
                    assert_ne!(before.shape, after.shape, "seed {seed}: the {} did not turn", before.tissue.label());
                }
            } else {
                assert_eq!(before.shape, after.shape, "seed {seed}: the {} moved with the leg", before.tissue.label());
            }
        }

        let mut s = Session::new(scenario.clone(), seed).unwrap();
        for a in &turned {
            s.apply(a.clone()).unwrap();
        }
        let m = Metrics::of(&s);
        assert!(m.joint_drug_ml >= 4.0, "seed {seed}: {} mL in the joint with the foot turned in", m.joint_drug_ml);
        // The femoral nerve, artery and vein stay clear; the lateral femoral cutaneous nerve,
        // in the fat near the entry, is met on some hips whichever way the leg lies.
        let bundle_hit = s.state().events.iter().any(|e| {
            let t = format!("{:?}", e.kind);
            t.contains("Hit") && ["FemoralNerve", "FemoralArtery", "FemoralVein"].iter().any(|n| t.contains(n))
        });
        assert!(!bundle_hit, "seed {seed}: the femoral bundle was hit with the foot turned in");
        lfcn_hits += m.hits;
        assert!(
            s.apply(Action::RotateLeg { internal_deg: 0.0 }).unwrap_err().to_string().contains("fluid"),
            "seed {seed}: turned after the injections"
        );
    }
    assert!(moved.iter().all(|d| *d > 0.5), "the target moves with the femur: {moved:?}");
    println!("foot turned in 15°: other structures met on {lfcn_hits} of 20 hips");
    assert!(lfcn_hits <= 2, "{lfcn_hits} of 20 hips");
    let mut s = Session::new(scenario, 1).unwrap();
    for a in expert.iter().take_while(|a| !matches!(a, Action::Inject { .. })) {
        s.apply(a.clone()).unwrap();
    }
    let refused = s.apply(Action::RotateLeg { internal_deg: 15.0 }).unwrap_err().to_string();
    assert!(refused.contains("a needle is in"), "{refused}");
}
