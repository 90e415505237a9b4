//! The procedure's own steps from the keyboard: consent, provocation, time-out,
//! positioning, pulse marking, prep, needle choice, reading the contrast, dose record,
//! rest, reading the block, discharge. Out-of-order steps are allowed and logged.
//!
//! Nothing is answered for the trainee: G and H choose a contrast pattern and a block
//! reading (as clicking the answer buttons does), F7 and F10 submit the choice, and
//! with nothing chosen they only say so.

use bevy::prelude::*;

use super::keys::KeyPresses;
use super::live;
use super::needle::PickMode;
use super::sim::Sim;
use crate::sim::injection::ContrastPattern;
use crate::sim::needle::NeedleKind;
use crate::sim::procedure::ReadingAnswer;
use crate::sim::session::Action;

/// The answers the trainee has chosen and not yet submitted; none until they choose.
#[derive(Resource, Default, Debug)]
pub struct Answers {
    pub pattern: Option<ContrastPattern>,
    pub reading: Option<ReadingAnswer>,
    /// Why the last submit did nothing (nothing chosen).
    pub note: Option<&'static str>,
}

pub const PATTERNS: [ContrastPattern; 5] = [
    ContrastPattern::IntraArticular,
    ContrastPattern::ExtraArticular,
    ContrastPattern::Mixed,
    ContrastPattern::Intravascular,
    ContrastPattern::Bursal,
];

pub const READINGS: [ReadingAnswer; 3] =
    [ReadingAnswer::Positive, ReadingAnswer::Negative, ReadingAnswer::Indeterminate];

pub const STEP_HINTS: &str = "Steps (or click them in the checklist): F1 consent, I IV line, F2 provocation, F3 time-out, F4 position (choose), \
F5 then click the skin: mark pulse, F6 prep, T needle, G choose + F7 submit contrast reading, F8 record dose, F9 rest, \
H choose + F10 submit block reading, F11 discharge, F12 finish, Esc pause";

pub fn plugin(app: &mut App) {
    // After the needle's keys: keys pressed in one frame (Space then F6; J, X then F8) reach
    // the session in a fixed order, the needle's first, whatever order systems happen to run.
    app.init_resource::<Answers>()
        .add_systems(Update, (reset, keys.run_if(live)).chain().after(super::needle::controls));
}

/// A new session starts with nothing chosen.
fn reset(sim: Res<Sim>, mut answers: ResMut<Answers>, mut seen: Local<u64>) {
    if *seen != sim.generation {
        *seen = sim.generation;
        *answers = Answers::default();
    }
}

/// The next choice after `current` in `options` (the first if none yet).
pub fn cycle<T: Copy + PartialEq>(options: &[T], current: Option<T>) -> T {
    match current.and_then(|c| options.iter().position(|o| *o == c)) {
        Some(i) => options[(i + 1) % options.len()],
        None => options[0],
    }
}

/// Submit the chosen contrast pattern, if one was chosen; the choice is then cleared.
pub fn submit_pattern(answers: &mut Answers, sim: &mut Sim) {
    match answers.pattern.take() {
        Some(pattern) => {
            answers.note = None;
            sim.push(Action::ReadContrast { pattern });
        }
        None => answers.note = Some("choose a contrast pattern first (click one, or G)"),
    }
}

/// Submit the chosen block reading, if one was chosen; the choice is then cleared.
pub fn submit_reading(answers: &mut Answers, sim: &mut Sim) {
    match answers.reading.take() {
        Some(reading) => {
            answers.note = None;
            sim.push(Action::DiagnosticReading { reading });
        }
        None => answers.note = Some("choose a block reading first (click one, or H)"),
    }
}

fn keys(keys: Res<KeyPresses>, mut sim: ResMut<Sim>, mut answers: ResMut<Answers>, mut mode: ResMut<PickMode>) {
    if !sim.has_session() {
        return;
    }
    // During a shot the session is away: the steps still queue behind it; only the needle
    // tray (T) needs the session and waits for the next press.
    let tray_state =
        sim.session().map(|s| (s.state().needle.is_some(), s.state().selected_needle, s.scenario().needles.clone()));
    for p in keys.presses.iter().filter(|p| !p.repeat) {
        let action = match p.key {
            KeyCode::F1 => Some(Action::Consent),
            KeyCode::F2 => Some(Action::Provocation { test: Default::default() }),
            KeyCode::F3 => Some(Action::TimeOut),
            KeyCode::F6 => Some(Action::SkinPrep),
            KeyCode::F8 => Some(Action::RecordDose),
            KeyCode::KeyI => Some(Action::IvAccess { sedation: false }),
            KeyCode::F11 => Some(Action::DischargeAdvice),
            KeyCode::F5 => {
                // The next click on the skin marks the pulse (F5 again: choose the entry).
                *mode = if *mode == PickMode::Pulse { PickMode::Entry } else { PickMode::Pulse };
                None
            }
            KeyCode::KeyT => match &tray_state {
                Some((false, selected, tray)) => {
                    let i = tray.iter().position(|n| n == selected).map(|i| (i + 1) % tray.len()).unwrap_or(0);
                    Some(Action::SelectNeedle { needle: *tray.get(i).unwrap_or(&NeedleKind::Quincke22G89) })
                }
                _ => None,
            },
            KeyCode::KeyG => {
                answers.pattern = Some(cycle(&PATTERNS, answers.pattern));
                answers.note = None;
                None
            }
            KeyCode::KeyH => {
                answers.reading = Some(cycle(&READINGS, answers.reading));
                answers.note = None;
                None
            }
            KeyCode::F7 => {
                submit_pattern(&mut answers, &mut sim);
                None
            }
            KeyCode::F10 => {
                submit_reading(&mut answers, &mut sim);
                None
            }
            _ => None,
        };
        if let Some(a) = action {
            sim.push(a);
        }
    }
}
