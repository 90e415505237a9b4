//! The procedure's own steps from the keyboard: consent, provocation, time-out,
//! positioning, pulse marking, prep, needle choice, reading the contrast, dose record,
//! rest, reading the block, discharge. Out-of-order steps are allowed and logged.

use bevy::prelude::*;

use super::live;
use super::needle::Aim;
use super::sim::Sim;
use crate::sim::injection::ContrastPattern;
use crate::sim::needle::NeedleKind;
use crate::sim::procedure::ReadingAnswer;
use crate::sim::session::{Action, PointRef};

/// The answers the trainee is about to give, cycled with G and H.
#[derive(Resource)]
pub struct Answers {
    pub pattern: ContrastPattern,
    pub reading: ReadingAnswer,
}

pub const PATTERNS: [ContrastPattern; 5] = [
    ContrastPattern::IntraArticular,
    ContrastPattern::ExtraArticular,
    ContrastPattern::Mixed,
    ContrastPattern::Intravascular,
    ContrastPattern::Bursal,
];

pub const STEP_HINTS: &str = "Steps (or click them in the checklist): F1 consent, I IV line, F2 provocation, F3 time-out, F4 position (choose), \
F5 mark pulse (clicked point), F6 prep, T needle, G/F7 choose/read contrast, F8 record dose, F9 rest, H/F10 choose/give reading, \
F11 discharge, F12 finish, Esc pause";

pub fn plugin(app: &mut App) {
    app.insert_resource(Answers { pattern: ContrastPattern::IntraArticular, reading: ReadingAnswer::Positive })
        .add_systems(Update, keys.run_if(live));
}

fn keys(keys: Res<ButtonInput<KeyCode>>, mut sim: ResMut<Sim>, mut answers: ResMut<Answers>, aim: Res<Aim>) {
    let Some(session) = sim.session() else { return };
    let scenario = session.scenario();
    let mut actions = Vec::new();
    let simple = [
        (KeyCode::F1, Action::Consent),
        (KeyCode::F2, Action::Provocation { test: Default::default() }),
        (KeyCode::F3, Action::TimeOut),
        (KeyCode::F6, Action::SkinPrep),
        (KeyCode::F8, Action::RecordDose),
        (KeyCode::KeyI, Action::IvAccess { sedation: false }),
        (KeyCode::F11, Action::DischargeAdvice),
    ];
    for (key, action) in simple {
        if keys.just_pressed(key) {
            actions.push(action);
        }
    }
    if keys.just_pressed(KeyCode::F5) {
        // The pulse is marked where the trainee last clicked the skin.
        if let Some(p) = aim.entry {
            actions.push(Action::MarkPulse { at: PointRef::Xyz(p.to_array()) });
        }
    }
    if keys.just_pressed(KeyCode::KeyT) && session.state().needle.is_none() {
        let tray = &scenario.needles;
        let i =
            tray.iter().position(|n| *n == session.state().selected_needle).map(|i| (i + 1) % tray.len()).unwrap_or(0);
        actions.push(Action::SelectNeedle { needle: *tray.get(i).unwrap_or(&NeedleKind::Quincke22G89) });
    }
    if keys.just_pressed(KeyCode::KeyG) {
        let i = PATTERNS.iter().position(|p| *p == answers.pattern).unwrap_or(0);
        answers.pattern = PATTERNS[(i + 1) % PATTERNS.len()];
    }
    if keys.just_pressed(KeyCode::F7) {
        actions.push(Action::ReadContrast { pattern: answers.pattern });
    }
    if keys.just_pressed(KeyCode::KeyH) {
        answers.reading = match answers.reading {
            ReadingAnswer::Positive => ReadingAnswer::Negative,
            ReadingAnswer::Negative => ReadingAnswer::Indeterminate,
            _ => ReadingAnswer::Positive,
        };
    }
    if keys.just_pressed(KeyCode::F10) {
        actions.push(Action::DiagnosticReading { reading: answers.reading });
    }
    for a in actions {
        sim.push(a);
    }
}
