//! The procedure from the window: a checklist of every step that shows what is done
//! and what comes next, each step a button where the step is a single act (the
//! needle work is done with the needle keys); the contrast and block answers; the
//! rest with a simulated clock that can be skipped; learning-mode coaching; pause;
//! and Finish, which ends the session and opens the debrief.
//!
//! Out-of-order and unsafe steps are allowed: the session logs them, as it does
//! headless.

use bevy::prelude::*;

use super::banner::BANNER_HEIGHT_PX;
use super::keys::KeyPresses;
use super::needle::{PickMode, PushSettings, inject};
use super::procedure_keys::{Answers, submit_pattern, submit_reading};
use super::sim::Sim;
use super::ui::{self, BAD, DIM, GOOD, PANEL, SceneUi, WARN};
use super::{AppState, Paused, live};
use crate::sim::assessment::required_steps;
use crate::sim::coach;
use crate::sim::injection::{ContrastPattern, Fluid};
use crate::sim::procedure::{ReadingAnswer, Step};
use crate::sim::session::Action;
use crate::sim::{Mode, Position};

const COACH_BG: Color = Color::srgba(0.02, 0.1, 0.05, 0.75);
const COACH_TEXT: Color = Color::srgb(0.75, 1.0, 0.8);

/// Width of the left column (px).
pub const LEFT_PX: f32 = 330.0;
/// Simulated rest runs this many times faster than real time.
pub const REST_SPEEDUP: f64 = 30.0;
/// The rest the clock runs (minutes): the middle of the source text's 15–30 min.
pub const REST_MIN: f64 = 20.0;

#[derive(Component, Clone, Copy, PartialEq)]
pub(super) enum Do {
    Step(Step),
    Pattern(ContrastPattern),
    Reading(ReadingAnswer),
    Place(Position),
    /// Turn the foot in by this many degrees (0: straight up).
    TurnFoot(i8),
    SubmitPattern,
    SubmitReading,
    SkipRest,
    Pause,
    Finish,
}

#[derive(Component)]
struct StepLabel(Step);
#[derive(Component)]
struct ContrastChoices;
#[derive(Component)]
struct ReadingChoices;
#[derive(Component)]
struct RestPanel;
#[derive(Component)]
struct PositionChoices;

/// The positioning choice is open (the trainee clicked the step or pressed F4).
#[derive(Resource, Default)]
struct ChoosingPosition(bool);
#[derive(Component)]
struct Coach;
#[derive(Component)]
struct Status;
#[derive(Component)]
struct PauseOverlay;
#[derive(Component)]
struct FinishLabel;
/// Why a submit did nothing, beside the answer buttons.
#[derive(Component)]
struct AnswerNote;

/// Height of a checklist row (px): fixed, so nothing moves when a step is ticked.
pub const ROW_PX: f32 = 16.0;
/// Width of the Finish button (px): fixed, so confirming happens in place.
const FINISH_PX: f32 = 136.0;

/// The simulated rest in progress (real seconds elapsed).
#[derive(Resource, Default)]
pub struct RestClock(Option<f64>);

/// Finish was pressed once with steps missing: the next press confirms, until the
/// session changes (the version it was armed at).
#[derive(Resource, Default)]
struct FinishArmed(Option<u64>);

/// Ask for the debrief (from the Finish button, F12, or demo mode).
#[derive(Message)]
pub struct FinishSession;

pub fn plugin(app: &mut App) {
    app.init_resource::<RestClock>()
        .init_resource::<ChoosingPosition>()
        .init_resource::<FinishArmed>()
        .add_message::<FinishSession>()
        .add_systems(Startup, spawn)
        .add_systems(
            OnEnter(AppState::Procedure),
            |mut p: ResMut<Paused>,
             mut r: ResMut<RestClock>,
             mut c: ResMut<ChoosingPosition>,
             mut f: ResMut<FinishArmed>| {
                p.0 = false;
                r.0 = None;
                c.0 = false;
                f.0 = None;
            },
        )
        .add_systems(
            Update,
            (
                (clicks, rest_clock).run_if(live),
                pause_key.run_if(in_state(AppState::Procedure)),
                (show_choices, show_answers, show_pause).run_if(in_state(AppState::Procedure)),
                // The replay shows the checklist and coach of the moment replayed.
                (show_steps, show_coach).run_if(super::in_scene),
                finish.run_if(in_state(AppState::Procedure)),
            ),
        );
}

fn spawn(mut commands: Commands) {
    commands
        .spawn((
            SceneUi,
            Node {
                position_type: PositionType::Absolute,
                top: Val::Px(BANNER_HEIGHT_PX + 8.0),
                left: Val::Px(8.0),
                width: Val::Px(LEFT_PX),
                flex_direction: FlexDirection::Column,
                padding: UiRect::all(Val::Px(5.0)),
                ..default()
            },
            BackgroundColor(PANEL),
        ))
        .with_children(|p| {
            p.spawn(Node { height: Val::Px(30.0), ..ui::row(4.0) }).with_children(|r| {
                r.spawn(ui::text("Checklist", 15.0));
                let fixed = |w: f32| Node {
                    width: Val::Px(w),
                    height: Val::Px(24.0),
                    margin: UiRect::all(Val::Px(2.0)),
                    justify_content: JustifyContent::Center,
                    align_items: AlignItems::Center,
                    border_radius: BorderRadius::all(Val::Px(4.0)),
                    ..default()
                };
                r.spawn(ui::button(Do::Pause, "Pause (Esc)", 12.0)).insert(fixed(96.0));
                // Confirming happens in place: the label changes, the button does not move.
                r.spawn((Do::Finish, Button, fixed(FINISH_PX), BackgroundColor(Color::NONE))).with_children(|b| {
                    b.spawn((FinishLabel, ui::text("Finish (F12)", 12.0)));
                });
            });
            for step in Step::ALL {
                p.spawn((
                    Do::Step(step),
                    Button,
                    ui::Flat,
                    Node {
                        padding: UiRect::axes(Val::Px(3.0), Val::Px(0.0)),
                        height: Val::Px(ROW_PX),
                        overflow: Overflow::clip(),
                        ..default()
                    },
                    BackgroundColor(Color::NONE),
                    children![(
                        ui::text("", 11.5),
                        TextLayout::linebreak(bevy::text::LineBreak::NoWrap),
                        StepLabel(step)
                    )],
                ));
            }
            p.spawn((Node { height: Val::Px(14.0), ..default() }, ui::colored("", 12.0, BAD), Status));
            // The needle in hand, under the checklist.
            // In a fixed box that clips (a text node does not clip its own text).
            p.spawn(Node {
                margin: UiRect::top(Val::Px(4.0)),
                height: Val::Px(236.0),
                overflow: Overflow::clip(),
                ..default()
            })
            .with_children(|b| {
                b.spawn((ui::text("", 12.0), super::hud::NeedleInfo));
            });
        });
    // Answers and the rest clock, centre bottom above the control hints.
    let answer_box =
        |marker: Node| (SceneUi, ui::ProcedureOnly, marker, BackgroundColor(Color::srgba(0.05, 0.08, 0.12, 0.9)));
    let bottom = |b: f32| Node {
        position_type: PositionType::Absolute,
        bottom: Val::Px(b),
        left: Val::Px(LEFT_PX + 20.0),
        flex_direction: FlexDirection::Row,
        align_items: AlignItems::Center,
        padding: UiRect::all(Val::Px(4.0)),
        column_gap: Val::Px(4.0),
        ..default()
    };
    // The answers: choose one (it lights up), then Submit. Nothing is chosen beforehand,
    // and the bar has a fixed size and place, so nothing moves under the pointer.
    let answers = |b: f32| Node {
        flex_direction: FlexDirection::Column,
        align_items: AlignItems::FlexStart,
        width: Val::Px(ANSWERS_PX),
        height: Val::Px(66.0),
        ..bottom(b)
    };
    commands.spawn((answer_box(answers(84.0)), ContrastChoices, Visibility::Hidden)).with_children(|c| {
        c.spawn(ui::row(6.0)).with_children(|r| {
            r.spawn(ui::text("The contrast is: choose one, then", 14.0));
            r.spawn(ui::button(Do::SubmitPattern, "Submit (F7)", 13.0));
            r.spawn((ui::colored("", 12.0, WARN), AnswerNote));
        });
        c.spawn(ui::row(0.0)).with_children(|r| {
            for p in super::procedure_keys::PATTERNS {
                r.spawn(ui::button(Do::Pattern(p), p.as_str().replace('_', "-"), 13.0));
            }
        });
    });
    commands.spawn((answer_box(answers(84.0)), ReadingChoices, Visibility::Hidden)).with_children(|c| {
        c.spawn(ui::row(6.0)).with_children(|r| {
            r.spawn(ui::text("The block is: choose one, then", 14.0));
            r.spawn(ui::button(Do::SubmitReading, "Submit (F10)", 13.0));
            r.spawn((ui::colored("", 12.0, WARN), AnswerNote));
        });
        c.spawn(ui::row(0.0)).with_children(|r| {
            for a in super::procedure_keys::READINGS {
                r.spawn(ui::button(Do::Reading(a), format!("{a:?}").to_lowercase(), 13.0));
            }
        });
    });
    commands.spawn((answer_box(bottom(84.0)), PositionChoices, Visibility::Hidden)).with_children(|r| {
        // The foot first: lying down closes the choice.
        r.spawn(ui::text("Foot:", 14.0));
        r.spawn(ui::button(Do::TurnFoot(15), "in 15 deg", 13.0));
        r.spawn(ui::button(Do::TurnFoot(0), "straight up", 13.0));
        r.spawn(ui::text("  Lay the patient:", 14.0));
        r.spawn(ui::button(Do::Place(Position::Supine), "supine", 13.0));
        r.spawn(ui::button(Do::Place(Position::Prone), "prone", 13.0));
    });
    commands.spawn((answer_box(bottom(120.0)), RestPanel, Visibility::Hidden)).with_children(|r| {
        r.spawn(ui::text("", 14.0));
        r.spawn(ui::button(Do::SkipRest, "Skip to the end", 13.0));
    });
    // Learning-mode coaching, top centre.
    commands.spawn((
        SceneUi,
        Node {
            position_type: PositionType::Absolute,
            top: Val::Px(BANNER_HEIGHT_PX + 8.0),
            left: Val::Px(LEFT_PX + 20.0),
            width: Val::Px(560.0),
            padding: UiRect::all(Val::Px(5.0)),
            ..default()
        },
        BackgroundColor(COACH_BG),
        children![(ui::colored("", 13.0, COACH_TEXT), Coach)],
    ));
    commands.spawn((
        PauseOverlay,
        Visibility::Hidden,
        ui::overlay(0.7, 800),
        children![ui::text(
            "PAUSED\n\nThe procedure is on hold: nothing changes until you resume.\n\
             The session is saved after every action.\n\nPress Esc to resume.",
            22.0
        )],
    ));
}

/// Width of the answer bars (px): between the left column and the monitor's column.
pub const ANSWERS_PX: f32 = 560.0;

/// The action a checklist step's button does, if the step is a single act.
fn step_action(step: Step, sim: &Sim, push: &PushSettings) -> Option<Action> {
    // During a shot the session is away; the action queues behind the shot.
    if !sim.has_session() {
        return None;
    }
    Some(match step {
        Step::IdentityConsent => Action::Consent,
        Step::IvAccess => Action::IvAccess { sedation: false },
        Step::BaselineProvocation | Step::ProvocationAfterRest => Action::Provocation { test: Default::default() },
        Step::TimeOut => Action::TimeOut,
        Step::LocalisationShot => Action::Fluoro { seconds: 0.5 },
        Step::SkinPrep => Action::SkinPrep,
        Step::ContrastInjected => inject(Fluid::Contrast, push),
        Step::DrugInjected => inject(Fluid::DrugMix, push),
        Step::NeedleOut => Action::RemoveNeedle,
        Step::DoseRecorded => Action::RecordDose,
        Step::DischargeAdvice => Action::DischargeAdvice,
        Step::Positioning
        | Step::MarkFemoralPulse
        | Step::LocalAnaesthetic
        | Step::NeedleToBone
        | Step::ContrastRead
        | Step::Rest
        | Step::DiagnosticReading => {
            return None;
        }
    })
}

/// What a step's row says about how to do it.
fn how(step: Step) -> &'static str {
    match step {
        Step::MarkFemoralPulse => "F5/here, then click skin",
        Step::Positioning => "choose",
        Step::LocalAnaesthetic => "T 25G, N, L",
        Step::NeedleToBone => "needle keys + Space",
        Step::ContrastInjected => "or K",
        Step::DrugInjected => "or J",
        Step::NeedleOut => "or X",
        _ => "",
    }
}

fn clicks(
    q: Query<(&Interaction, &Do), Changed<Interaction>>,
    keys: Res<KeyPresses>,
    mut sim: ResMut<Sim>,
    push: Res<PushSettings>,
    mut rest: ResMut<RestClock>,
    mut finish: MessageWriter<FinishSession>,
    mut paused: ResMut<Paused>,
    mut choosing: ResMut<ChoosingPosition>,
    mut answers: ResMut<Answers>,
    mut pick: ResMut<PickMode>,
) {
    let mut pressed: Vec<Do> = q.iter().filter(|(i, _)| **i == Interaction::Pressed).map(|(_, d)| *d).collect();
    for _ in 0..keys.count(KeyCode::F12) {
        pressed.push(Do::Finish);
    }
    if keys.just(KeyCode::F9) {
        pressed.push(Do::Step(Step::Rest));
    }
    if keys.just(KeyCode::F4) {
        pressed.push(Do::Step(Step::Positioning));
    }
    for d in pressed {
        match d {
            Do::Step(Step::Rest) => {
                if rest.0.is_none() {
                    rest.0 = Some(0.0);
                }
            }
            Do::Step(Step::Positioning) => choosing.0 = !choosing.0,
            Do::Place(position) => {
                choosing.0 = false;
                sim.push(Action::Position { position });
            }
            Do::TurnFoot(deg) => sim.push(Action::RotateLeg { internal_deg: deg as f64 }),
            // The next click on the skin marks the pulse (again: back to choosing the entry).
            Do::Step(Step::MarkFemoralPulse) => {
                *pick = if *pick == PickMode::Pulse { PickMode::Entry } else { PickMode::Pulse };
            }
            Do::Step(step) => {
                if let Some(a) = step_action(step, &sim, &push) {
                    sim.push(a);
                }
            }
            Do::Pattern(p) => {
                answers.pattern = Some(p);
                answers.note = None;
            }
            Do::Reading(r) => {
                answers.reading = Some(r);
                answers.note = None;
            }
            Do::SubmitPattern => submit_pattern(&mut answers, &mut sim),
            Do::SubmitReading => submit_reading(&mut answers, &mut sim),
            Do::SkipRest => {
                if rest.0.is_some() {
                    rest.0 = Some(f64::INFINITY);
                }
            }
            Do::Pause => paused.0 = true,
            Do::Finish => {
                finish.write(FinishSession);
            }
        }
    }
}

/// The rest runs on a simulated clock; when it ends (or is skipped) the rest is one action.
fn rest_clock(time: Res<Time<Real>>, mut rest: ResMut<RestClock>, mut sim: ResMut<Sim>) {
    let Some(elapsed) = rest.0.as_mut() else { return };
    *elapsed += time.delta_secs_f64();
    if *elapsed * REST_SPEEDUP >= REST_MIN * 60.0 {
        rest.0 = None;
        sim.push(Action::Rest { minutes: REST_MIN });
    }
}

fn pause_key(keys: Res<KeyPresses>, mut paused: ResMut<Paused>) {
    if keys.count(KeyCode::Escape) % 2 == 1 {
        paused.0 = !paused.0;
    }
}

/// The chosen answer lit, the others not; why a submit did nothing.
fn show_answers(
    answers: Res<Answers>,
    buttons: Query<(Entity, &Do, Has<ui::Selected>)>,
    mut notes: Query<&mut Text, With<AnswerNote>>,
    mut commands: Commands,
) {
    if !answers.is_changed() {
        return;
    }
    for (e, d, on) in &buttons {
        let want = match d {
            Do::Pattern(p) => answers.pattern == Some(*p),
            Do::Reading(r) => answers.reading == Some(*r),
            _ => continue,
        };
        if want && !on {
            commands.entity(e).insert(ui::Selected);
        } else if !want && on {
            commands.entity(e).remove::<ui::Selected>();
        }
    }
    for mut t in &mut notes {
        ui::set(&mut t, answers.note.unwrap_or("").to_string());
    }
}

fn show_pause(paused: Res<Paused>, mut q: Query<&mut Visibility, With<PauseOverlay>>) {
    if paused.is_changed() {
        for mut v in &mut q {
            v.set_if_neq(if paused.0 { Visibility::Visible } else { Visibility::Hidden });
        }
    }
}

fn show_steps(
    sim: Res<Sim>,
    mut labels: Query<(&StepLabel, &mut Text, &mut TextColor)>,
    mut status: Query<&mut Text, (With<Status>, Without<StepLabel>)>,
    mut shown: Local<u64>,
) {
    let Some(s) = sim.session() else { return };
    if *shown == sim.version {
        return;
    }
    *shown = sim.version;
    let next = coach::next_step(s);
    let required = required_steps(s.scenario());
    for (StepLabel(step), mut text, mut color) in &mut labels {
        let done = s.steps().iter().find(|(d, _)| d == step).map(|(_, t)| *t);
        // A step attempted wrongly is not ticked; learning mode says why (assessment
        // mode keeps it unticked, and the debrief says why).
        let wrong = s
            .wrong_steps()
            .iter()
            .find(|(d, _, _)| d == step)
            .map(|(_, _, f)| *f)
            .filter(|_| s.scenario().mode == Mode::Learning);
        let (mark, c) = match done {
            Some(_) => ("[x]", GOOD),
            None if wrong.is_some() => ("[!]", BAD),
            None if Some(*step) == next => (" > ", WARN),
            None if !required.contains(step) => ("[-]", DIM),
            None => ("[ ]", ui::TEXT_COLOR),
        };
        let mut line = format!("{mark} {}", step.label());
        if let Some(t) = done {
            line += &format!("  {t:.0} s");
        } else if let Some(f) = wrong {
            line += &format!("  (wrong: {})", f.label());
        } else if !how(*step).is_empty() {
            line += &format!("  ({})", how(*step));
        }
        ui::set(&mut text, line);
        color.0 = c;
    }
    let mut st = String::new();
    if let Some(e) = &sim.autosave_error {
        st += &format!("AUTOSAVE FAILED: {e}\n");
    }
    for mut t in &mut status {
        ui::set(&mut t, st.clone());
    }
}

fn show_choices(
    sim: Res<Sim>,
    rest: Res<RestClock>,
    choosing: Res<ChoosingPosition>,
    mut position: Query<
        &mut Visibility,
        (With<PositionChoices>, Without<ContrastChoices>, Without<ReadingChoices>, Without<RestPanel>),
    >,
    mut contrast: Query<&mut Visibility, (With<ContrastChoices>, Without<ReadingChoices>, Without<RestPanel>)>,
    mut reading: Query<&mut Visibility, (With<ReadingChoices>, Without<ContrastChoices>, Without<RestPanel>)>,
    mut rest_panel: Query<
        (&mut Visibility, &Children),
        (With<RestPanel>, Without<ContrastChoices>, Without<ReadingChoices>),
    >,
    mut texts: Query<&mut Text>,
) {
    let Some(s) = sim.session() else { return };
    let done = |step: Step| s.steps().iter().any(|(d, _)| *d == step);
    let vis = |on: bool| if on { Visibility::Inherited } else { Visibility::Hidden };
    for mut v in &mut position {
        v.set_if_neq(vis(choosing.0));
    }
    for mut v in &mut contrast {
        // Open again when more contrast goes in after a reading: a new image to read.
        v.set_if_neq(vis(super::hud::contrast_question_open(s)));
    }
    for mut v in &mut reading {
        v.set_if_neq(vis(done(Step::ProvocationAfterRest) && !done(Step::DiagnosticReading)));
    }
    for (mut v, children) in &mut rest_panel {
        v.set_if_neq(vis(rest.0.is_some()));
        if let Some(elapsed) = rest.0
            && let Some(mut t) = children.first().and_then(|c| texts.get_mut(*c).ok())
        {
            let sim_s = (elapsed * REST_SPEEDUP).min(REST_MIN * 60.0);
            ui::set(
                &mut t,
                format!(
                    "Resting: {:02}:{:02} of {:02}:00 (simulated, {REST_SPEEDUP:.0}x)",
                    (sim_s / 60.0) as u32,
                    (sim_s % 60.0) as u32,
                    REST_MIN as u32
                ),
            );
        }
    }
}

fn show_coach(
    sim: Res<Sim>,
    mut q: Query<(&mut Text, &mut TextColor, &ChildOf), With<Coach>>,
    mut panels: Query<(&mut Visibility, &mut BackgroundColor)>,
    mut shown: Local<u64>,
) {
    let Some(s) = sim.session() else { return };
    let learning = s.scenario().mode == Mode::Learning;
    // Advice changes only with the session; visibility is reasserted every frame because
    // entering the scene shows every scene panel.
    let advice = (*shown != sim.version && learning).then(|| coach::advice(s));
    *shown = sim.version;
    for (mut t, mut color, parent) in &mut q {
        if let Ok((mut v, mut bg)) = panels.get_mut(parent.parent()) {
            v.set_if_neq(if learning { Visibility::Inherited } else { Visibility::Hidden });
            if let Some(a) = &advice {
                // Danger first, and in red: it outranks the routine advice.
                let danger = a.first().is_some_and(|a| a.urgency == coach::Urgency::Danger);
                bg.0 = if danger { Color::srgba(0.35, 0.02, 0.02, 0.9) } else { COACH_BG };
            }
        }
        if let Some(a) = &advice {
            let danger = a.first().is_some_and(|a| a.urgency == coach::Urgency::Danger);
            ui::set(&mut t, a.iter().map(|a| a.text.clone()).collect::<Vec<_>>().join("\n"));
            color.0 = if danger { Color::srgb(1.0, 0.85, 0.8) } else { COACH_TEXT };
        }
    }
}

fn finish(
    mut asked: MessageReader<FinishSession>,
    sim: Res<Sim>,
    mut armed: ResMut<FinishArmed>,
    mut label: Query<(&mut Text, &mut TextColor), With<FinishLabel>>,
    mut next: ResMut<NextState<AppState>>,
    mut waiting: Local<usize>,
) {
    // Asked while a shot was being traced (the session away): answered when it is back.
    let asked = asked.read().count() + std::mem::take(&mut *waiting);
    // Anything else happening disarms the confirmation: the label goes back.
    if armed.0.is_some_and(|v| v != sim.version) {
        armed.0 = None;
    }
    if armed.0.is_none() {
        for (mut t, mut c) in &mut label {
            ui::set(&mut t, "Finish (F12)".into());
            c.0 = ui::TEXT_COLOR;
        }
    }
    if asked == 0 {
        return;
    }
    let Some(s) = sim.session() else {
        *waiting = asked;
        return;
    };
    let missing = coach::next_step(s)
        .map(|_| required_steps(s.scenario()).iter().filter(|r| !s.steps().iter().any(|(d, _)| d == *r)).count());
    match missing {
        Some(n) if armed.0 != Some(sim.version) && asked < 2 => {
            armed.0 = Some(sim.version);
            for (mut t, mut c) in &mut label {
                ui::set(&mut t, format!("{n} left: confirm?"));
                c.0 = WARN;
            }
        }
        _ => {
            armed.0 = None;
            next.set(AppState::Debrief);
        }
    }
}
