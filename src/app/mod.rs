//! The 3D training window: thin Bevy plugins over the same `sim::Session` the
//! command line drives. No simulation logic lives here.
//!
//! One plugin per concern, each in its own file; this file wires them together.

// Bevy queries spell their filters as types, and systems take what they touch as
// arguments; naming or bundling each would hide what a system reads and writes.
#![allow(clippy::type_complexity, clippy::too_many_arguments)]

mod alarm;
mod banner;
mod camera;
mod carm;
mod checklist;
mod chooser;
mod contrast_view;
mod debrief;
mod demo;
mod fluoro_view;
mod hud;
mod keys;
mod needle;
mod notice;
mod procedure_keys;
mod records;
mod replay;
mod scene;
mod sim;
mod testing;
#[cfg(test)]
mod tests_ecs;
mod ui;
#[cfg(target_arch = "wasm32")]
pub mod web;

use std::path::PathBuf;

use bevy::prelude::*;
use glam::DVec3;

use crate::sim::session::Action;
use crate::sim::{Position, Scenario};

/// How the window was asked to start.
#[derive(Clone, Debug, Resource)]
pub struct AppOptions {
    /// The case the chooser starts on.
    pub scenario: Scenario,
    /// The seed the chooser starts with (else the case's default).
    pub seed: Option<u64>,
    pub trainee: String,
    /// Where autosaves, finished session logs and reports go.
    pub data_dir: PathBuf,
    /// Resume this session log instead of choosing a case.
    pub resume: Option<PathBuf>,
    /// Demo mode: play a script through the window and take screenshots.
    pub demo: Option<Demo>,
}

/// A scripted run through the real window, standing in for a trainee.
#[derive(Clone, Debug)]
pub struct Demo {
    pub actions: Vec<Action>,
    /// The last screen (the debrief when `finish` is set).
    pub screenshot: PathBuf,
    /// Also save the procedure scene here, after the last action, before finishing.
    pub scene_screenshot: Option<PathBuf>,
    /// Show the case chooser, save it here, then start as its Start button does.
    pub chooser_screenshot: Option<PathBuf>,
    /// End the session and show the debrief after the last action.
    pub finish: bool,
    /// Save the debrief here, then open the replay part-way through (`screenshot` is then the replay).
    pub debrief_screenshot: Option<PathBuf>,
    /// After the debrief, open the replay and step to two thirds of the session.
    pub replay: bool,
    /// In a browser page (`?demo=`): nothing is saved to disk and nothing quits; each
    /// "screenshot" is a pause on that screen, and the demo stays on its last one.
    pub on_page: bool,
}

/// Screens of the app.
#[derive(States, Default, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppState {
    /// The not-for-clinical-use notice, acknowledged before anything else.
    #[default]
    Notice,
    /// Case, mode, seed and trainee.
    Chooser,
    /// The procedure on the patient.
    Procedure,
    /// Score, rubric, metrics, timeline, key shots; save and replay.
    Debrief,
    /// The finished session again, action by action, beside the expert's path.
    Replay,
}

/// The procedure is on hold (Esc): nothing the trainee does reaches the session.
#[derive(Resource, Default)]
pub struct Paused(pub bool);

/// Run condition: the trainee is doing the procedure, it is not paused, and no safety
/// alarm is waiting to be acknowledged.
pub fn live(state: Res<State<AppState>>, paused: Res<Paused>, sim: Res<sim::Sim>) -> bool {
    *state.get() == AppState::Procedure && !paused.0 && sim.alarm.is_none()
}

/// Run condition: the 3D scene and its panels are on screen (procedure or replay).
pub fn in_scene(state: Res<State<AppState>>) -> bool {
    matches!(state.get(), AppState::Procedure | AppState::Replay)
}

/// Why the window cannot open.
pub fn display_problem() -> Option<String> {
    if cfg!(target_os = "linux") {
        let x11 = std::env::var_os("DISPLAY").is_some_and(|d| !d.is_empty());
        if !x11 {
            let wayland = std::env::var_os("WAYLAND_DISPLAY").is_some_and(|d| !d.is_empty());
            return Some(if wayland {
                "this build opens its window through X11, and only a Wayland display was found (DISPLAY is not set); \
                 run it under XWayland"
                    .into()
            } else {
                "no display was found (DISPLAY is not set), so the 3D window cannot open".into()
            });
        }
    }
    None
}

/// When the process started, for the first-frame time in the log.
#[derive(Resource)]
struct Launched(bevy::platform::time::Instant);

fn log_first_frame(launched: Res<Launched>, mut done: Local<bool>) {
    if !*done {
        *done = true;
        info!("first frame {:.2} s after launch", launched.0.elapsed().as_secs_f64());
    }
}

/// The window's title names the case once one is chosen, always with the notice.
fn window_title(
    sim: Res<sim::Sim>,
    mut windows: Query<&mut Window, With<bevy::window::PrimaryWindow>>,
    mut seen: Local<u64>,
) {
    if *seen == sim.generation {
        return;
    }
    let Some(s) = sim.session() else { return };
    *seen = sim.generation;
    for mut w in &mut windows {
        w.title = format!("fluorohip - {} - NOT FOR CLINICAL USE - SYNTHETIC PATIENT", s.scenario().title);
    }
}

/// Resident memory of this process (kB), from /proc (Linux).
pub fn resident_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()
}

/// Open the training window; returns when it closes.
pub fn run(options: AppOptions) -> AppExit {
    let launched = Launched(bevy::platform::time::Instant::now());
    let title = "fluorohip - NOT FOR CLINICAL USE - SYNTHETIC PATIENT".to_string();
    let mut app = App::new();
    app.add_plugins(DefaultPlugins.set(WindowPlugin {
        primary_window: Some(Window {
            title,
            resolution: (1280, 720).into(),
            // In a browser: draw into the page's canvas and fill its box.
            canvas: cfg!(target_arch = "wasm32").then(|| "#fluorohip".to_string()),
            fit_canvas_to_parent: cfg!(target_arch = "wasm32"),
            ..default()
        }),
        ..default()
    }))
    // Only the skin is pickable (scene.rs requires markers): clicking it chooses the entry
    // and marks the pulse. DefaultPlugins bring the picking core, not the mesh backend.
    .add_plugins(MeshPickingPlugin);
    // FLUOROHIP_FRAME_TIMES=1 logs frame times (for the performance notes).
    if std::env::var_os("FLUOROHIP_FRAME_TIMES").is_some() {
        app.add_plugins((
            bevy::diagnostic::FrameTimeDiagnosticsPlugin::default(),
            bevy::diagnostic::LogDiagnosticsPlugin::default(),
        ));
    }
    app.insert_resource(ClearColor(Color::srgb(0.09, 0.10, 0.12)))
        .insert_resource(options)
        .insert_resource(launched)
        .add_systems(Last, log_first_frame)
        .add_systems(Update, window_title)
        .init_state::<AppState>()
        .init_resource::<Paused>()
        .add_plugins(bevy::input_focus::tab_navigation::TabNavigationPlugin)
        .add_plugins((ui::plugin, chooser::plugin, checklist::plugin, debrief::plugin, replay::plugin))
        .add_plugins((
            sim::plugin,
            banner::plugin,
            notice::plugin,
            scene::plugin,
            camera::plugin,
            carm::plugin,
            needle::plugin,
            fluoro_view::plugin,
            contrast_view::plugin,
            hud::plugin,
            procedure_keys::plugin,
            demo::plugin,
        ))
        .add_plugins((keys::plugin, alarm::plugin, testing::plugin, records::plugin));
    #[cfg(target_arch = "wasm32")]
    app.add_systems(Update, web::page_title);
    app.run()
}

/// Patient coordinates (mm, LPS) to the scene (m, Y up): the table runs along X
/// (head toward +X); a supine patient's front faces up. Prone turns the patient
/// 180° about the table's axis.
pub fn to_world(p: DVec3, position: Position) -> Vec3 {
    let v = Vec3::new(p.z as f32, -p.y as f32, p.x as f32) * 0.001;
    match position {
        Position::Supine => v,
        Position::Prone => Vec3::new(v.x, -v.y, -v.z),
    }
}

/// Direction in patient coordinates to the scene.
pub fn dir_to_world(d: DVec3, position: Position) -> Vec3 {
    (to_world(d, position) - to_world(DVec3::ZERO, position)).normalize_or_zero()
}

/// The scene back to patient coordinates.
pub fn to_patient(w: Vec3, position: Position) -> DVec3 {
    let w = match position {
        Position::Supine => w,
        Position::Prone => Vec3::new(w.x, -w.y, -w.z),
    };
    DVec3::new(w.z as f64, -w.y as f64, w.x as f64) * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scene_and_patient_coordinates_round_trip() {
        for pos in [Position::Supine, Position::Prone] {
            let p = DVec3::new(12.0, -40.0, 7.5);
            assert!((to_patient(to_world(p, pos), pos) - p).length() < 1e-3);
        }
        // Supine: the patient's front (−y) faces up (+Y).
        assert!(dir_to_world(-DVec3::Y, Position::Supine).y > 0.99);
        assert!(dir_to_world(DVec3::Y, Position::Prone).y > 0.99);
    }
}
