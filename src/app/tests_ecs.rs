//! The window's rules that need no pixels, tested on the real systems in a headless
//! `App`: keyboard messages in, actions on the session out.

use bevy::input::ButtonState;
use bevy::input::keyboard::{Key, KeyboardInput};
use bevy::prelude::*;
use bevy::state::app::StatesPlugin;
use glam::DVec3;

use super::needle::{Aim, PushSettings};
use super::procedure_keys::Answers;
use super::sim::Sim;
use super::{AppState, Paused, alarm, checklist, keys, needle, procedure_keys, sim};
use crate::sim::anatomy::LandmarkName;
use crate::sim::injection::ContrastPattern;
use crate::sim::session::Action;
use crate::sim::{Mode, Scenario, Session};

fn app(mode: Mode) -> App {
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, StatesPlugin, bevy::input::InputPlugin))
        .init_state::<AppState>()
        .init_resource::<Paused>()
        .add_plugins((sim::plugin, keys::plugin, procedure_keys::plugin, alarm::plugin, checklist::plugin));
    needle::input(&mut app);
    let scenario = Scenario { mode, ..Scenario::default() };
    app.world_mut().resource_mut::<Sim>().start(Session::new(scenario, 3).unwrap(), None);
    app.world_mut().resource_mut::<NextState<AppState>>().set(AppState::Procedure);
    app.update();
    app.update();
    app
}

fn key(app: &mut App, code: KeyCode, down: bool, repeat: bool) {
    app.world_mut().write_message(KeyboardInput {
        key_code: code,
        logical_key: Key::Unidentified(bevy::input::keyboard::NativeKey::Unidentified),
        state: if down { ButtonState::Pressed } else { ButtonState::Released },
        text: None,
        repeat,
        window: Entity::PLACEHOLDER,
    });
}

/// Press and release, all before the next frame.
fn tap(app: &mut App, code: KeyCode) {
    key(app, code, true, false);
    key(app, code, false, false);
}

/// Two frames: the key systems queue actions, the next frame applies them.
fn frames(app: &mut App) {
    app.update();
    app.update();
}

fn session(app: &App) -> &Session {
    app.world().resource::<Sim>().session().unwrap()
}

fn depth(app: &App) -> f64 {
    session(app).state().needle.map(|n| n.depth_mm()).unwrap_or(0.0)
}

#[test]
fn a_quick_shift_up_between_two_frames_advances_5_mm() {
    let mut app = app(Mode::Assessment);
    tap(&mut app, KeyCode::KeyN);
    frames(&mut app);
    assert!(session(&app).state().needle.is_some(), "N inserts the needle");
    let d0 = depth(&app);
    // Shift down, Up down and up, Shift up: all between two frames, as at 1 frame a second.
    key(&mut app, KeyCode::ShiftLeft, true, false);
    tap(&mut app, KeyCode::ArrowUp);
    key(&mut app, KeyCode::ShiftLeft, false, false);
    frames(&mut app);
    let d1 = depth(&app);
    assert!((d1 - d0 - 5.0).abs() < 0.3, "Shift+Up should advance 5 mm, went {:.2}", d1 - d0);
    // Without Shift: 1 mm. Two quick presses in one frame: both count.
    tap(&mut app, KeyCode::ArrowUp);
    tap(&mut app, KeyCode::ArrowUp);
    frames(&mut app);
    assert!((depth(&app) - d1 - 2.0).abs() < 0.3, "two Up presses: 2 mm, went {:.2}", depth(&app) - d1);
}

#[test]
fn no_answer_is_submitted_that_the_trainee_did_not_choose() {
    let mut app = app(Mode::Assessment);
    assert_eq!(app.world().resource::<Answers>().pattern, None, "nothing is preselected");
    assert_eq!(app.world().resource::<Answers>().reading, None, "nothing is preselected");
    let n = session(&app).action_count();
    tap(&mut app, KeyCode::F7);
    tap(&mut app, KeyCode::F10);
    frames(&mut app);
    assert_eq!(session(&app).action_count(), n, "F7/F10 with nothing chosen must not answer");
    assert!(app.world().resource::<Answers>().note.is_some(), "and say why nothing happened");
    // G chooses the first pattern, G again the next; F7 submits the one shown.
    tap(&mut app, KeyCode::KeyG);
    tap(&mut app, KeyCode::KeyG);
    tap(&mut app, KeyCode::F7);
    frames(&mut app);
    let log = session(&app).log();
    assert_eq!(log.actions.last(), Some(&Action::ReadContrast { pattern: ContrastPattern::ExtraArticular }));
    assert_eq!(app.world().resource::<Answers>().pattern, None, "a submitted choice is cleared");
}

#[test]
fn the_volume_the_trainee_sets_is_the_volume_pushed() {
    let mut app = app(Mode::Learning);
    tap(&mut app, KeyCode::KeyN);
    frames(&mut app);
    // 1 ml -> 2 -> 3 ml; rate 0.5 -> 1 ml/s.
    tap(&mut app, KeyCode::Equal);
    tap(&mut app, KeyCode::Equal);
    tap(&mut app, KeyCode::Period);
    tap(&mut app, KeyCode::KeyK);
    frames(&mut app);
    assert_eq!(*app.world().resource::<PushSettings>(), PushSettings { volume_ml: 3.0, rate_ml_s: 1.0 });
    let log = session(&app).log();
    assert!(
        matches!(log.actions.last(), Some(Action::Inject { volume_ml, rate_ml_s: Some(r), .. }) if *volume_ml == 3.0 && *r == 1.0),
        "{:?}",
        log.actions.last()
    );
    let given = super::hud::injected_by_fluid(session(&app));
    assert_eq!(given[1].1, 3.0, "{given:?}");
}

/// Run frames until every queued action (and any shot traced off the main thread) is done.
fn settle(app: &mut App) {
    for _ in 0..2000 {
        app.update();
        if app.world().resource::<Sim>().idle() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    panic!("the queue never drained");
}

/// Keys pressed while a shot is being traced are queued behind it, in order, not lost
/// (the session is away on the compute pool meanwhile).
#[test]
fn a_needle_key_pressed_during_a_shot_happens_after_it() {
    let mut app = app(Mode::Learning);
    tap(&mut app, KeyCode::KeyN);
    frames(&mut app);
    tap(&mut app, KeyCode::Space);
    frames(&mut app);
    assert!(app.world().resource::<Sim>().session().is_none(), "the shot has the session");
    key(&mut app, KeyCode::ShiftLeft, true, false);
    tap(&mut app, KeyCode::ArrowUp);
    key(&mut app, KeyCode::ShiftLeft, false, false);
    tap(&mut app, KeyCode::KeyB);
    settle(&mut app);
    let log = session(&app).log();
    let last: Vec<&Action> = log.actions.iter().rev().take(3).collect();
    assert!(matches!(last[2], Action::Fluoro { .. }), "{last:?}");
    assert_eq!(last[1], &Action::Advance { mm: 5.0 });
    assert_eq!(last[0], &Action::RotateBevel { deg: 90.0 });
}

/// With the pedal held, a contrast push goes in under live fluoroscopy: half-second chunks,
/// each with its frame, adding up to the volume set; the session holds a frame per chunk.
#[test]
fn a_push_with_the_pedal_held_is_seen_frame_by_frame() {
    let mut app = app(Mode::Learning);
    tap(&mut app, KeyCode::KeyN);
    frames(&mut app);
    // 1 ml at 1 ml/s: two chunks of 0.5 ml.
    tap(&mut app, KeyCode::Period);
    let shots = |app: &App| {
        let events = session(app).state().events;
        events.iter().filter(|e| matches!(e.kind, crate::sim::session::EventKind::Shot { .. })).count()
    };
    let shots_before = shots(&app);
    key(&mut app, KeyCode::Space, true, false);
    app.update();
    tap(&mut app, KeyCode::KeyK);
    app.update();
    key(&mut app, KeyCode::Space, false, false);
    // The frames are traced off the main thread.
    settle(&mut app);
    let log = session(&app).log();
    let live: Vec<f64> = log
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::InjectUnderFluoro { volume_ml, .. } => Some(*volume_ml),
            _ => None,
        })
        .collect();
    assert_eq!(live, vec![0.5, 0.5], "{:?}", log.actions);
    assert!(!log.actions.iter().any(|a| matches!(a, Action::Inject { .. })), "no plain push");
    let frames_taken = shots(&app) - shots_before;
    assert!(frames_taken >= 2, "{frames_taken} frames during the push");
    assert_eq!(super::hud::injected_by_fluid(session(&app))[1].1, 1.0);
}

#[test]
fn a_nerve_or_vessel_alarm_stops_the_advance_and_holds_the_needle_until_acknowledged() {
    let mut app = app(Mode::Assessment);
    // Straight down over the femoral nerve.
    let entry = {
        let p = session(&app).patient();
        let nerve = p.landmarks.get(LandmarkName::FemoralNerve);
        DVec3::new(nerve.x, p.skin.front_y(nerve.x), nerve.z)
    };
    app.world_mut().resource_mut::<Aim>().entry = Some(entry);
    tap(&mut app, KeyCode::KeyN);
    frames(&mut app);
    // Up held: the press, then 79 key repeats, all waiting in one frame.
    key(&mut app, KeyCode::ArrowUp, true, false);
    for _ in 0..79 {
        key(&mut app, KeyCode::ArrowUp, true, true);
    }
    frames(&mut app);
    let alarm = app.world().resource::<Sim>().alarm.clone().expect("an alarm on the way down to the nerve");
    let advances =
        |app: &App| session(app).log().actions.iter().filter(|a| matches!(a, Action::Advance { .. })).count();
    let done = advances(&app);
    assert!(done < 80 && alarm.dropped == 80 - done, "the rest of the held key is dropped: {done} done, {alarm:?}");
    // Nothing moves the needle until the alarm is acknowledged.
    let n = session(&app).action_count();
    tap(&mut app, KeyCode::ArrowUp);
    tap(&mut app, KeyCode::KeyK);
    frames(&mut app);
    assert_eq!(session(&app).action_count(), n, "keys reach the needle during the alarm");
    tap(&mut app, KeyCode::Enter);
    frames(&mut app);
    assert!(app.world().resource::<Sim>().alarm.is_none(), "Enter acknowledges");
    tap(&mut app, KeyCode::ArrowDown);
    frames(&mut app);
    assert_eq!(session(&app).action_count(), n + 1, "after it, the needle can be withdrawn");
}

fn shows(app: &mut App, part: &str) -> bool {
    let mut q = app.world_mut().query::<&Text>();
    q.iter(app.world()).any(|t| t.0.contains(part))
}

fn screen(app: &App) -> AppState {
    *app.world().resource::<State<AppState>>().get()
}

#[test]
fn finish_with_steps_missing_is_confirmed_in_place_and_anything_else_disarms_it() {
    let mut app = app(Mode::Assessment);
    assert!(shows(&mut app, "Finish (F12)"));
    tap(&mut app, KeyCode::F12);
    frames(&mut app);
    assert_eq!(screen(&app), AppState::Procedure, "steps are missing: the first press only asks");
    assert!(shows(&mut app, "left: confirm?"), "the Finish button's own label asks");
    // Something else happens: the question is withdrawn, and F12 asks again.
    tap(&mut app, KeyCode::F1);
    frames(&mut app);
    assert!(shows(&mut app, "Finish (F12)") && !shows(&mut app, "confirm?"));
    tap(&mut app, KeyCode::F12);
    frames(&mut app);
    assert_eq!(screen(&app), AppState::Procedure);
    tap(&mut app, KeyCode::F12);
    frames(&mut app);
    // The state changes at the next frame's transition.
    app.update();
    assert_eq!(screen(&app), AppState::Debrief, "the second press in a row finishes");
}

/// A checklist row clicked and Finish asked (F12 twice: confirm with steps missing) while a
/// shot is traced are not lost: the step is done after the shot, then the debrief opens.
#[test]
fn a_step_clicked_and_finish_asked_during_a_shot_happen_after_it() {
    let mut app = app(Mode::Learning);
    tap(&mut app, KeyCode::Space);
    frames(&mut app);
    assert!(app.world().resource::<Sim>().session().is_none(), "the shot has the session");
    let row = app
        .world_mut()
        .query::<(Entity, &checklist::Do)>()
        .iter(app.world())
        .find(|(_, d)| **d == checklist::Do::Step(crate::sim::procedure::Step::TimeOut))
        .map(|(e, _)| e)
        .expect("the time-out row is a button");
    app.world_mut().entity_mut(row).insert(Interaction::Pressed);
    tap(&mut app, KeyCode::F12);
    tap(&mut app, KeyCode::F12);
    app.update();
    assert!(app.world().resource::<Sim>().session().is_none(), "still tracing: both wait for it");
    settle(&mut app);
    frames(&mut app);
    let log = session(&app).log();
    let last: Vec<&Action> = log.actions.iter().rev().take(2).collect();
    assert!(matches!(last[1], Action::Fluoro { .. }), "{last:?}");
    assert_eq!(last[0], &Action::TimeOut);
    assert_eq!(*app.world().resource::<State<AppState>>().get(), AppState::Debrief, "Finish was not swallowed");
}

/// In the browser (one thread) a shot at a new pose is prepared a slice per frame: the
/// window keeps its session and keeps drawing, keys pressed meanwhile wait behind the shot,
/// and the image is the one the shot gives when traced at once.
#[test]
fn a_shot_in_slices_spans_frames_keeps_the_session_and_gives_the_same_image() {
    let mut app = app(Mode::Learning);
    {
        let mut sim = app.world_mut().resource_mut::<Sim>();
        sim.shots_in_slices = true;
        sim.slice_ms = (0.0, 0.0); // one slice of rows per frame, whatever this machine's speed
    }
    tap(&mut app, KeyCode::KeyN);
    frames(&mut app);
    tap(&mut app, KeyCode::Space);
    frames(&mut app);
    let sim = app.world().resource::<Sim>();
    assert!(sim.busy() && sim.session().is_some(), "preparing, with the session still at hand");
    key(&mut app, KeyCode::ShiftLeft, true, false);
    tap(&mut app, KeyCode::ArrowUp);
    key(&mut app, KeyCode::ShiftLeft, false, false);
    let mut updates = 2;
    while !app.world().resource::<Sim>().idle() {
        app.update();
        updates += 1;
        assert!(updates < 1000, "the shot never finished");
    }
    let slices = app.world().resource::<Sim>().slices_of_last_shot();
    assert!(slices >= 16, "a 256-row image in 4-row slices took {slices} frames");
    let log = session(&app).log();
    let last: Vec<&Action> = log.actions.iter().rev().take(2).collect();
    assert!(matches!(last[1], Action::Fluoro { .. }), "{last:?}");
    assert_eq!(last[0], &Action::Advance { mm: 5.0 }, "the key waited for the shot");
    // The same actions on a session that traces the shot at once.
    let mut direct = Session::new(log.scenario.clone(), log.seed).unwrap();
    for a in &log.actions {
        direct.apply(a.clone()).unwrap();
    }
    let (a, b) = (session(&app).shot_images(), direct.shot_images());
    assert_eq!(a.len(), 1);
    assert!(a[0].gray == b[0].gray, "the image traced in slices differs from the one traced at once");
}

/// Esc during a shot pauses at once: the shot in flight still lands in the log, keys pressed
/// while paused do nothing (no needle move, no step), and Esc again lets them act.
#[test]
fn pause_during_a_shot_holds_every_key_until_resumed() {
    let mut app = app(Mode::Learning);
    tap(&mut app, KeyCode::KeyN);
    frames(&mut app);
    tap(&mut app, KeyCode::Space);
    frames(&mut app);
    assert!(app.world().resource::<Sim>().busy(), "the shot is being traced");
    tap(&mut app, KeyCode::Escape);
    app.update();
    assert!(app.world().resource::<Paused>().0, "Esc pauses during a shot");
    tap(&mut app, KeyCode::ArrowUp);
    tap(&mut app, KeyCode::F1);
    settle(&mut app);
    frames(&mut app);
    let before = session(&app).log().actions.len();
    let last = session(&app).log().actions.last().cloned();
    assert!(matches!(last, Some(Action::Fluoro { .. })), "the shot landed, nothing after it: {last:?}");
    let depth_paused = depth(&app);
    tap(&mut app, KeyCode::Escape);
    app.update();
    assert!(!app.world().resource::<Paused>().0, "Esc again resumes");
    tap(&mut app, KeyCode::ArrowUp);
    settle(&mut app);
    frames(&mut app);
    assert_eq!(session(&app).log().actions.len(), before + 1, "one key after the pause, one action");
    assert!(depth(&app) > depth_paused, "the needle moves again");
}
