//! The case chooser, after the startup notice: the shipped cases with their
//! learning objectives, learning or assessment mode, the seed (shown, editable,
//! or drawn anew), the trainee's name or ID, and an interrupted session to resume.

use bevy::input_focus::AutoFocus;
use bevy::input_focus::tab_navigation::{TabGroup, TabIndex};
use bevy::prelude::*;
use bevy::text::{EditableText, EditableTextFilter, TextCursorStyle};

use super::sim::Sim;
use super::ui::{self, BAD, DIM, Selected, WARN};
use super::{AppOptions, AppState};
use crate::sim::autosave::Autosave;
use crate::sim::scenario::Mode;
use crate::sim::session::ActionLog;
use crate::sim::{Position, Scenario, Session};

/// What the trainee has chosen so far.
#[derive(Resource)]
struct Choice {
    cases: Vec<Scenario>,
    index: usize,
    mode: Mode,
    /// An interrupted session found in the autosave, or why it could not be read.
    pending: Option<Result<ActionLog, String>>,
    problem: Option<String>,
}

#[derive(Component, Clone, Copy, PartialEq)]
enum Pick {
    Case(usize),
    Mode(Mode),
    NewSeed,
    Start,
    Resume,
    Discard,
    /// In a browser: open a case file or a session log with the browser's file picker.
    OpenFile,
}

#[derive(Component)]
struct SeedField;
#[derive(Component)]
struct TraineeField;
#[derive(Component)]
struct Details;
#[derive(Component)]
struct Problem;

/// Start the chosen case, as the Start button does (demo mode sends it).
#[derive(Message)]
pub struct PressStart;

pub fn plugin(app: &mut App) {
    app.add_message::<PressStart>()
        .add_systems(OnEnter(AppState::Chooser), (start_directly, spawn).chain())
        .add_systems(Update, (clicks, keys, show).chain().run_if(in_state(AppState::Chooser)));
    #[cfg(target_arch = "wasm32")]
    app.add_systems(Update, opened_file.before(show).run_if(in_state(AppState::Chooser)));
}

/// In a browser, a file picked with "Open a case or session file": a session log (.json)
/// resumes, a case (.ron) joins the list, chosen. Either is checked as on the desktop,
/// and what is wrong is said under the Start button, naming the file, line and field.
#[cfg(target_arch = "wasm32")]
fn opened_file(
    mut choice: ResMut<Choice>,
    mut options: ResMut<AppOptions>,
    mut sim: ResMut<Sim>,
    mut next: ResMut<NextState<AppState>>,
) {
    let Some(opened) = super::web::take_opened() else { return };
    let (name, text) = match opened {
        Ok(x) => x,
        Err(e) => {
            choice.problem = Some(e);
            return;
        }
    };
    let path = std::path::Path::new(&name);
    if name.ends_with(".json") {
        if choice.pending.is_some() {
            choice.problem = Some("An interrupted session is waiting: resume or discard it first.".into());
            return;
        }
        match crate::sim::script::parse_log(&text, path) {
            Ok(log) => match sim.resume(&log, Some(Autosave::in_dir(&options.data_dir))) {
                Ok(()) => next.set(AppState::Procedure),
                Err(e) => choice.problem = Some(format!("{name} cannot be resumed: {e}")),
            },
            Err(e) => choice.problem = Some(e.to_string()),
        }
    } else {
        match Scenario::from_ron(&text, path) {
            Ok(case) => {
                // The chooser again, with this case in the list and chosen.
                options.scenario = case;
                options.seed = None;
                next.set(AppState::Chooser);
            }
            Err(e) => choice.problem = Some(e.to_string()),
        }
    }
}

/// The row offering to resume or discard an interrupted session.
#[derive(Component)]
struct PendingBanner;

/// Demo mode and `--resume` skip the chooser.
fn start_directly(
    options: Res<AppOptions>,
    mut sim: ResMut<Sim>,
    mut next: ResMut<NextState<AppState>>,
    mut commands: Commands,
) {
    let autosave = Autosave::in_dir(&options.data_dir);
    let started = if let Some(path) = &options.resume {
        match crate::sim::script::load_log(path)
            .map_err(|e| e.to_string())
            .and_then(|log| sim.resume(&log, Some(autosave)).map_err(|e| e.to_string()))
        {
            Ok(()) => true,
            Err(e) => {
                commands.insert_resource(StartupProblem(format!("cannot resume: {e}")));
                false
            }
        }
    } else if options.demo.as_ref().is_some_and(|d| d.chooser_screenshot.is_none()) {
        // The case was checked for every seed, but say so rather than panic if this one fails.
        let seed = options.seed.unwrap_or(options.scenario.default_seed);
        match Session::new(options.scenario.clone(), seed) {
            Ok(mut session) => {
                session.set_trainee(&options.trainee);
                // Metadata for the learning records; the simulation never reads it.
                session.set_started_at(Some(crate::sim::wallclock::WallClock::now()));
                sim.start(session, Some(autosave));
                true
            }
            Err(e) => {
                commands.insert_resource(StartupProblem(format!("this patient cannot be made (seed {seed}): {e}")));
                false
            }
        }
    } else {
        false
    };
    if started {
        next.set(AppState::Procedure);
    }
}

#[derive(Resource)]
struct StartupProblem(String);

fn spawn(mut commands: Commands, options: Res<AppOptions>, problem: Option<Res<StartupProblem>>) {
    let mut cases = Scenario::shipped();
    let index = match cases.iter().position(|c| c.name == options.scenario.name) {
        Some(i) => {
            cases[i] = options.scenario.clone();
            i
        }
        None => {
            cases.insert(0, options.scenario.clone());
            0
        }
    };
    let pending = Autosave::in_dir(&options.data_dir).pending().map(|r| r.map_err(|e| e.to_string()));
    let seed = options.seed.unwrap_or(cases[index].default_seed);
    let mode = cases[index].mode;

    let page = commands.spawn((DespawnOnExit(AppState::Chooser), ui::page(), TabGroup::new(0))).id();
    commands.entity(page).with_children(|p| {
        p.spawn(ui::text("Choose a case", 24.0));
        p.spawn(ui::colored(
            "Synthetic patients for teaching only. NOT FOR CLINICAL USE.  Up/Down choose a case, Enter starts.",
            14.0,
            DIM,
        ));
        if let Some(pending) = &pending {
            p.spawn((PendingBanner, ui::row(8.0), BackgroundColor(Color::srgb(0.25, 0.2, 0.08)))).with_children(|r| {
                match pending {
                    Ok(log) => {
                        r.spawn(ui::colored(
                            format!(
                                "An interrupted session was found: {} (seed {}, {}), {} action{}.",
                                log.scenario.title,
                                log.seed,
                                if log.trainee.is_empty() { "no name" } else { &log.trainee },
                                log.actions.len(),
                                if log.actions.len() == 1 { "" } else { "s" }
                            ),
                            15.0,
                            WARN,
                        ));
                        r.spawn(ui::button(Pick::Resume, "Resume it", 15.0));
                        r.spawn(ui::button(Pick::Discard, "Discard it", 15.0));
                    }
                    Err(e) => {
                        r.spawn(ui::colored(format!("The autosave cannot be resumed: {e}"), 14.0, BAD));
                        r.spawn(ui::button(Pick::Discard, "Discard it", 15.0));
                    }
                }
            });
        }
        // Fixed height: choosing another case (a longer description) moves nothing below.
        p.spawn(Node { height: Val::Px(340.0), align_items: AlignItems::FlexStart, ..ui::row(24.0) }).with_children(
            |r| {
                r.spawn(ui::column(Val::Px(430.0), 2.0)).with_children(|c| {
                    for (i, case) in cases.iter().enumerate() {
                        let mut b = c.spawn(ui::button(Pick::Case(i), case.title.clone(), 15.0));
                        b.insert(Node {
                            justify_content: JustifyContent::FlexStart,
                            padding: UiRect::axes(Val::Px(10.0), Val::Px(6.0)),
                            ..default()
                        });
                        if i == index {
                            b.insert(Selected);
                        }
                    }
                });
                r.spawn(Node {
                    align_self: AlignSelf::FlexStart,
                    height: Val::Px(340.0),
                    overflow: Overflow::clip(),
                    ..ui::column(Val::Px(760.0), 8.0)
                })
                .with_children(|c| {
                    c.spawn((ui::text("", 15.0), Details));
                });
            },
        );
        p.spawn(ui::row(10.0)).with_children(|r| {
            r.spawn(ui::text("Mode:", 16.0));
            for m in [Mode::Learning, Mode::Assessment] {
                let label = match m {
                    Mode::Learning => "Learning (ghost path, tissue at the tip, hints)",
                    Mode::Assessment => "Assessment (no help)",
                };
                let mut b = r.spawn(ui::button(Pick::Mode(m), label, 15.0));
                if m == mode {
                    b.insert(Selected);
                }
            }
        });
        p.spawn(ui::row(10.0)).with_children(|r| {
            r.spawn(ui::text("Seed:", 16.0));
            r.spawn((
                SeedField,
                field(&seed.to_string(), 14.0),
                EditableTextFilter::new(|c| c.is_ascii_digit()),
                TabIndex(1),
            ));
            r.spawn(ui::button(Pick::NewSeed, "New patient (random seed)", 15.0));
            r.spawn(ui::colored("the same case and seed is the same patient, for everyone", 13.0, DIM));
        });
        p.spawn(ui::row(10.0)).with_children(|r| {
            r.spawn(ui::text("Trainee name or ID:", 16.0));
            r.spawn((TraineeField, field(&options.trainee, 24.0), TabIndex(0), AutoFocus));
            r.spawn(ui::colored("shown on the reports", 13.0, DIM));
        });
        p.spawn(ui::row(10.0)).with_children(|r| {
            r.spawn(ui::button(Pick::Start, "Start the procedure", 18.0));
            if cfg!(target_arch = "wasm32") {
                r.spawn(ui::button(Pick::OpenFile, "Open a case or session file...", 15.0));
            }
            r.spawn((ui::colored("", 14.0, BAD), Problem));
        });
    });
    commands.insert_resource(Choice { cases, index, mode, pending, problem: problem.map(|p| p.0.clone()) });
    commands.remove_resource::<StartupProblem>();
}

/// A one-line text field.
pub(super) fn field(initial: &str, width_glyphs: f32) -> impl Bundle {
    (
        Node { border: UiRect::all(Val::Px(2.0)), padding: UiRect::axes(Val::Px(6.0), Val::Px(3.0)), ..default() },
        EditableText { visible_width: Some(width_glyphs), max_characters: Some(60), ..EditableText::new(initial) },
        TextFont { font_size: FontSize::Px(16.0), ..default() },
        TextCursorStyle::default(),
        BackgroundColor(Color::srgb(0.05, 0.05, 0.07)),
        BorderColor::all(Color::srgb(0.45, 0.5, 0.6)),
    )
}

fn value(q: &Query<&EditableText, impl bevy::ecs::query::QueryFilter>) -> String {
    q.iter().next().map(|t| t.value().to_string()).unwrap_or_default()
}

fn clicks(
    q: Query<(&Interaction, &Pick), Changed<Interaction>>,
    mut choice: ResMut<Choice>,
    mut seed: Query<&mut EditableText, (With<SeedField>, Without<TraineeField>)>,
    trainee: Query<&EditableText, (With<TraineeField>, Without<SeedField>)>,
    banner: Query<Entity, With<PendingBanner>>,
    mut commands: Commands,
    options: Res<AppOptions>,
    mut sim: ResMut<Sim>,
    mut next: ResMut<NextState<AppState>>,
    time: Res<Time<Real>>,
    keys: Res<ButtonInput<KeyCode>>,
    mut start: MessageReader<PressStart>,
) {
    let mut picks: Vec<Pick> = q.iter().filter(|(i, _)| **i == Interaction::Pressed).map(|(_, p)| *p).collect();
    // Enter and the button go the same way.
    if keys.any_just_pressed([KeyCode::Enter, KeyCode::NumpadEnter]) || start.read().count() > 0 {
        picks.push(Pick::Start);
    }
    for pick in picks {
        match pick {
            Pick::Case(k) => {
                choice.index = k;
                choice.mode = choice.cases[k].mode;
                if let Ok(mut s) = seed.single_mut() {
                    s.clear();
                    s.editor.set_text(&choice.cases[k].default_seed.to_string());
                }
            }
            Pick::Mode(m) => choice.mode = m,
            Pick::NewSeed => {
                // A fresh patient: the seed is shown, so the run can be repeated.
                let t = time.elapsed().as_nanos() as u64 ^ crate::sim::wallclock::WallClock::now().unix_ms() as u64;
                let s = t.wrapping_mul(0x9E37_79B9_7F4A_7C15) % 1_000_000;
                if let Ok(mut f) = seed.single_mut() {
                    f.clear();
                    f.editor.set_text(&s.to_string());
                }
            }
            // An interrupted session is never overwritten without an explicit choice.
            Pick::Start if choice.pending.is_some() => {
                choice.problem = Some(
                    "An interrupted session is waiting: choose Resume it or Discard it (kept among the old \
                     sessions) before starting a new one."
                        .into(),
                );
            }
            Pick::Start => {
                let seed_text = seed.iter().next().map(|t| t.value().to_string()).unwrap_or_default();
                match seed_text.trim().parse::<u64>() {
                    Ok(s) => {
                        let mut case = choice.cases[choice.index].clone();
                        case.mode = choice.mode;
                        match Session::new(case, s) {
                            Ok(mut session) => {
                                session.set_trainee(&value(&trainee));
                                session.set_started_at(Some(crate::sim::wallclock::WallClock::now()));
                                let autosave = Autosave::in_dir(&options.data_dir);
                                sim.start(session, Some(autosave));
                                next.set(AppState::Procedure);
                            }
                            Err(e) => choice.problem = Some(format!("this patient cannot be made: {e}")),
                        }
                    }
                    Err(_) => choice.problem = Some(format!("the seed must be a whole number, not {seed_text:?}")),
                }
            }
            Pick::Resume => {
                if let Some(Ok(log)) = &choice.pending {
                    match sim.resume(log, Some(Autosave::in_dir(&options.data_dir))) {
                        Ok(()) => {
                            next.set(AppState::Procedure);
                        }
                        Err(e) => choice.problem = Some(format!("the interrupted session cannot start: {e}")),
                    }
                }
            }
            Pick::OpenFile =>
            {
                #[cfg(target_arch = "wasm32")]
                if let Err(e) = super::web::pick_file() {
                    choice.problem = Some(format!("the browser's file picker did not open: {e}"));
                }
            }
            Pick::Discard => {
                match Autosave::in_dir(&options.data_dir).set_aside() {
                    Ok(kept) => {
                        choice.problem = Some(format!("The interrupted session was kept as {}.", kept.display()))
                    }
                    Err(e) => {
                        choice.problem = Some(format!("the interrupted session could not be set aside: {e}"));
                        continue;
                    }
                }
                choice.pending = None;
                // The banner and its buttons go: nothing is waiting any more.
                for e in &banner {
                    commands.entity(e).despawn();
                }
            }
        }
    }
}

/// Up/Down move through the cases (the text fields take one line, so the arrows are free).
/// Every press counts, held keys repeat, however slowly the frames come.
fn keys(
    keys: Res<super::keys::KeyPresses>,
    mut choice: ResMut<Choice>,
    mut seed: Query<&mut EditableText, With<SeedField>>,
) {
    let n = choice.cases.len();
    let mut index = choice.index;
    for p in &keys.presses {
        match p.key {
            KeyCode::ArrowDown => index = (index + 1) % n,
            KeyCode::ArrowUp => index = (index + n - 1) % n,
            _ => {}
        }
    }
    let moved = (index != choice.index).then_some(index);
    if let Some(k) = moved {
        choice.index = k;
        choice.mode = choice.cases[k].mode;
        if let Ok(mut s) = seed.single_mut() {
            s.clear();
            s.editor.set_text(&choice.cases[k].default_seed.to_string());
        }
    }
}

fn show(
    choice: Res<Choice>,
    mut details: Query<&mut Text, (With<Details>, Without<Problem>)>,
    mut problem: Query<&mut Text, (With<Problem>, Without<Details>)>,
    buttons: Query<(Entity, &Pick, Has<Selected>)>,
    mut commands: Commands,
) {
    if !choice.is_changed() {
        return;
    }
    let c = &choice.cases[choice.index];
    let mut s = format!(
        "{}\n\n{}\n\nPosition: {}.   Needles on the tray: {}.{}\n\nLearning objectives:\n",
        c.title,
        c.description.trim(),
        match c.position {
            Position::Supine => "supine, anterior approach",
            Position::Prone => "prone, posterior approach",
        },
        c.needles.iter().map(|n| n.spec().label).collect::<Vec<_>>().join(", "),
        c.time_limit_min.map(|m| format!("   Time limit: {m:.0} min.")).unwrap_or_default()
    );
    for o in &c.learning_objectives {
        s += &format!("  - {o}\n");
    }
    for mut t in &mut details {
        ui::set(&mut t, s.clone());
    }
    for mut t in &mut problem {
        ui::set(&mut t, choice.problem.clone().unwrap_or_default());
    }
    for (e, p, on) in &buttons {
        let want = match p {
            Pick::Case(k) => *k == choice.index,
            Pick::Mode(m) => *m == choice.mode,
            _ => continue,
        };
        if want != on {
            if want {
                commands.entity(e).insert(Selected);
            } else {
                commands.entity(e).remove::<Selected>();
            }
        }
    }
}
