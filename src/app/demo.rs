//! Demo mode: an action script played through the real app, one action at a time
//! as a trainee would, then a screenshot of the window, then quit.

use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, save_to_disk};

use super::sim::Sim;
use super::{AppOptions, AppState};

/// Frames to let the window settle (meshes, contrast, labels) before the screenshot.
const SETTLE_FRAMES: u32 = 12;
/// Give up (and fail) if the screenshot has not appeared by then.
const MAX_FRAMES_AFTER_SHOT: u32 = 600;

#[derive(Resource, Default)]
struct Demo {
    next: usize,
    settle: u32,
    shot_requested: bool,
    waited: u32,
}

pub fn plugin(app: &mut App) {
    app.init_resource::<Demo>().add_systems(Update, play.run_if(in_state(AppState::Procedure)));
}

fn play(
    mut commands: Commands,
    options: Res<AppOptions>,
    mut demo: ResMut<Demo>,
    mut sim: ResMut<Sim>,
    mut exit: MessageWriter<AppExit>,
) {
    let Some((actions, out)) = &options.demo else { return };
    if demo.shot_requested {
        demo.waited += 1;
        if out.is_file() && demo.waited > 5 {
            info!("demo: screenshot saved; resident memory {} kB", super::resident_kb().unwrap_or(0));
            exit.write(AppExit::Success);
        } else if demo.waited > MAX_FRAMES_AFTER_SHOT {
            error!("the screenshot {} was not written", out.display());
            exit.write(AppExit::error());
        }
        return;
    }
    if !sim.idle() {
        return;
    }
    if let Some(a) = actions.get(demo.next) {
        info!("demo: action {} of {}", demo.next + 1, actions.len());
        sim.push(a.clone());
        demo.next += 1;
        return;
    }
    demo.settle += 1;
    if demo.settle == SETTLE_FRAMES {
        info!("demo: taking the screenshot");
        let _ = std::fs::remove_file(out);
        commands.spawn(Screenshot::primary_window()).observe(save_to_disk(out.clone()));
        demo.shot_requested = true;
    }
}
