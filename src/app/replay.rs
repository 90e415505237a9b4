//! The finished session replayed action by action in the 3D scene, with the expert
//! reference's needle path (same case, same patient) drawn beside the trainee's.
//! Right / Next steps on, Left / Back steps back, Space plays and pauses, Esc returns
//! to the debrief.

use bevy::prelude::*;

use super::debrief::Finished;
use super::sim::Sim;
use super::ui::{self, DIM};
use super::{AppState, to_world};
use crate::sim::Session;
use crate::sim::session::Action;

/// The expert's path in the replay.
pub const EXPERT_COLOR: Color = Color::srgba(0.2, 1.0, 0.35, 0.9);
/// The trainee's whole path in the replay (the needle at this moment is drawn as usual).
pub const TRAINEE_COLOR: Color = Color::srgba(1.0, 0.55, 0.1, 0.8);
/// Seconds between actions when playing.
const PLAY_INTERVAL_S: f32 = 0.6;

#[derive(Resource)]
struct Replaying {
    actions: Vec<Action>,
    /// Actions applied so far.
    done: usize,
    playing: bool,
    since_s: f32,
}

#[derive(Component, Clone, Copy, PartialEq)]
enum Ctl {
    Restart,
    Back,
    Next,
    Play,
    Debrief,
}

#[derive(Component)]
struct Caption;

/// The expert's and the trainee's whole-session paths. Their depth bias puts them just
/// behind the needle of the moment (bias −1), so where they coincide, as they do when the
/// trainee followed the expert's path, the needle is seen, then the expert's path.
#[derive(Default, Reflect, GizmoConfigGroup)]
struct ExpertPaths;
#[derive(Default, Reflect, GizmoConfigGroup)]
struct TraineePaths;

/// Jump the replay to just after this many actions (demo mode sends it).
#[derive(Message)]
pub struct ReplayTo(pub usize);

pub fn plugin(app: &mut App) {
    app.add_message::<ReplayTo>()
        .init_gizmo_group::<ExpertPaths>()
        .init_gizmo_group::<TraineePaths>()
        .add_systems(Startup, |mut store: ResMut<GizmoConfigStore>| {
            store.config_mut::<ExpertPaths>().0.depth_bias = -0.95;
            store.config_mut::<TraineePaths>().0.depth_bias = -0.9;
            store.config_mut::<ExpertPaths>().0.line.width = 3.0;
            store.config_mut::<TraineePaths>().0.line.width = 3.0;
        })
        .add_systems(OnEnter(AppState::Replay), enter)
        .add_systems(Update, (controls, draw_paths, caption).run_if(in_state(AppState::Replay)));
}

fn fresh(f: &Finished) -> Session {
    let mut s = Session::new(f.session.scenario().clone(), f.session.seed()).expect("it ran once");
    s.set_trainee(f.session.trainee());
    s
}

fn enter(mut commands: Commands, finished: Option<Res<Finished>>, mut sim: ResMut<Sim>) {
    let Some(f) = finished else { return };
    sim.restart(fresh(&f));
    commands.insert_resource(Replaying { actions: f.session.log().actions, done: 0, playing: false, since_s: 0.0 });
    commands
        .spawn((
            DespawnOnExit(AppState::Replay),
            Node {
                position_type: PositionType::Absolute,
                bottom: Val::Px(84.0),
                left: Val::Px(super::checklist::LEFT_PX + 20.0),
                width: Val::Px(super::checklist::ANSWERS_PX),
                flex_direction: FlexDirection::Column,
                padding: UiRect::all(Val::Px(6.0)),
                ..default()
            },
            BackgroundColor(Color::srgba(0.05, 0.08, 0.12, 0.92)),
            GlobalZIndex(50),
        ))
        .with_children(|p| {
            p.spawn((ui::text("", 14.0), Caption));
            p.spawn(ui::colored("Orange: your needle paths.  Green: the expert's, same patient.", 12.0, DIM));
            p.spawn(ui::row(4.0)).with_children(|r| {
                // Short labels: the bar stays between the checklist and the monitor's column.
                r.spawn(ui::button(Ctl::Restart, "|< Home", 13.0));
                r.spawn(ui::button(Ctl::Back, "< Left", 13.0));
                r.spawn(ui::button(Ctl::Next, "Right >", 13.0));
                r.spawn(ui::button(Ctl::Play, "Play (Space)", 13.0));
                r.spawn(ui::button(Ctl::Debrief, "Debrief (Esc)", 13.0));
            });
        });
}

fn controls(
    q: Query<(&Interaction, &Ctl), Changed<Interaction>>,
    keys: Res<ButtonInput<KeyCode>>,
    time: Res<Time<Real>>,
    finished: Option<Res<Finished>>,
    mut r: ResMut<Replaying>,
    mut sim: ResMut<Sim>,
    mut next: ResMut<NextState<AppState>>,
    mut jump: MessageReader<ReplayTo>,
) {
    let Some(f) = finished else { return };
    if let Some(ReplayTo(n)) = jump.read().last() {
        let n = (*n).min(r.actions.len());
        sim.restart(fresh(&f));
        for a in &r.actions[..n] {
            sim.push(a.clone());
        }
        r.done = n;
        r.playing = false;
    }
    let mut ctl: Vec<Ctl> = q.iter().filter(|(i, _)| **i == Interaction::Pressed).map(|(_, c)| *c).collect();
    for (k, c) in [
        (KeyCode::ArrowRight, Ctl::Next),
        (KeyCode::ArrowLeft, Ctl::Back),
        (KeyCode::Space, Ctl::Play),
        (KeyCode::Escape, Ctl::Debrief),
        (KeyCode::Home, Ctl::Restart),
    ] {
        if keys.just_pressed(k) {
            ctl.push(c);
        }
    }
    if r.playing {
        r.since_s += time.delta_secs();
        if r.since_s >= PLAY_INTERVAL_S && sim.idle() {
            r.since_s = 0.0;
            ctl.push(Ctl::Next);
        }
    }
    for c in ctl {
        match c {
            Ctl::Next => {
                if r.done < r.actions.len() && sim.idle() {
                    sim.push(r.actions[r.done].clone());
                    r.done += 1;
                } else if r.done >= r.actions.len() {
                    r.playing = false;
                }
            }
            Ctl::Back | Ctl::Restart => {
                // Rebuild from the start: the session only runs forward.
                let target = if c == Ctl::Back { r.done.saturating_sub(1) } else { 0 };
                sim.restart(fresh(&f));
                for a in &r.actions[..target] {
                    sim.push(a.clone());
                }
                r.done = target;
                r.playing = false;
            }
            Ctl::Play => r.playing = !r.playing,
            Ctl::Debrief => next.set(AppState::Debrief),
        }
    }
}

fn caption(r: Res<Replaying>, sim: Res<Sim>, mut q: Query<&mut Text, With<Caption>>) {
    let what = match r.done.checked_sub(1).and_then(|i| r.actions.get(i)) {
        Some(a) => a.summary(),
        None => "the start, before any action".into(),
    };
    let s = format!(
        "Replay: action {} of {}: {what}{}{}",
        r.done,
        r.actions.len(),
        if r.playing { "   (playing)" } else { "" },
        if sim.busy() { "   [exposing...]" } else { "" }
    );
    for mut t in &mut q {
        ui::set(&mut t, s.clone());
    }
}

fn draw_paths(mut expert: Gizmos<ExpertPaths>, mut trainee: Gizmos<TraineePaths>, finished: Option<Res<Finished>>) {
    let Some(f) = finished else { return };
    let pos = f.session.position();
    for p in &f.expert_paths {
        expert.linestrip(p.iter().map(|p| to_world(*p, pos)), EXPERT_COLOR);
        if let Some(t) = p.last() {
            expert.sphere(Isometry3d::from_translation(to_world(*t, pos)), 0.003, EXPERT_COLOR);
        }
    }
    for p in &f.trainee_paths {
        trainee.linestrip(p.iter().map(|p| to_world(*p, pos)), TRAINEE_COLOR);
        if let Some(t) = p.last() {
            trainee.sphere(Isometry3d::from_translation(to_world(*t, pos)), 0.003, TRAINEE_COLOR);
        }
    }
}
