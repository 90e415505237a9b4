//! Demo mode: an action script played through the real app, one action at a time
//! as a trainee would; a screenshot of the scene, then (with `finish`) the debrief
//! and a screenshot of it; then quit. CI checks the screenshots.

use std::path::PathBuf;

use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, save_to_disk};

use super::chooser::PressStart;
use super::debrief::{Finished, PressSave};
use super::replay::ReplayTo;
use super::sim::Sim;
use super::{AppOptions, AppState};

/// Frames to let the window settle (meshes, contrast, labels, layout) before a screenshot.
const SETTLE_FRAMES: u32 = 12;
/// Give up (and fail) if a screenshot has not appeared by then.
const MAX_FRAMES_PER_SHOT: u32 = 600;
/// Real seconds before the first screenshot: shaders compile in the background meanwhile.
const FIRST_SCREEN_S: f32 = 5.0;
/// On a web page, how long each screen that would be a screenshot stays up.
const ON_PAGE_SCREEN_S: f32 = 3.0;

#[derive(Resource, Default)]
struct DemoRun {
    next: usize,
    settle: u32,
    /// The screenshot being waited for, and frames waited.
    pending: Option<(PathBuf, u32)>,
    scene_done: bool,
    chooser_done: bool,
    debrief_done: bool,
    replay_sent: bool,
    save_sent: bool,
    /// The demo has reached its last screen (on a page, it stays there).
    finished: bool,
    /// When the screen being "shot" was reached (real seconds since start).
    shown_at: f32,
}

/// Main-thread frame times over a demo, for the stall figures in docs/ARCHITECTURE.md.
#[derive(Resource, Default, Debug)]
pub struct FrameStats {
    pub frames: u64,
    pub longest_s: f64,
    /// The screen the longest frame was drawn on.
    pub longest_on: String,
    /// Frames longer than a 60 Hz frame (16.7 ms).
    pub over_16ms: u64,
}

impl FrameStats {
    pub fn add(&mut self, dt_s: f64, on: &str) {
        self.frames += 1;
        if dt_s > self.longest_s {
            self.longest_s = dt_s;
            self.longest_on = on.to_string();
        }
        if dt_s > 1.0 / 60.0 {
            self.over_16ms += 1;
        }
    }

    pub fn summary(&self) -> String {
        format!(
            "demo: {} frames, longest {:.0} ms (on the {} screen), {} over 16 ms",
            self.frames,
            self.longest_s * 1000.0,
            self.longest_on,
            self.over_16ms
        )
    }
}

pub fn plugin(app: &mut App) {
    app.init_resource::<DemoRun>().init_resource::<FrameStats>().add_systems(Update, (count_frames, play));
}

/// Every frame after the first (which includes start-up) counts.
fn count_frames(
    options: Res<AppOptions>,
    time: Res<Time<Real>>,
    mut stats: ResMut<FrameStats>,
    state: Res<State<AppState>>,
    mut previous: Local<Option<AppState>>,
) {
    if options.demo.is_none() {
        return;
    }
    // This frame's time was spent since the previous one began: on that one's screen.
    if let Some(on) = previous.replace(*state.get()) {
        let on = format!("{on:?}").to_lowercase();
        let dt = time.delta_secs_f64();
        if dt > 1.0 {
            info!("demo: a long frame, {:.0} ms on the {on} screen", dt * 1000.0);
        }
        stats.add(dt, &on);
    }
}

fn request(commands: &mut Commands, run: &mut DemoRun, path: PathBuf, on_page: bool, now_s: f32) {
    run.shown_at = now_s;
    if on_page {
        // A page saves nothing: the screen just stays a moment, as for a screenshot.
        info!("demo: showing the {} screen", path.display());
    } else {
        info!("demo: taking the screenshot {}", path.display());
        let _ = std::fs::remove_file(&path);
        commands.spawn(Screenshot::primary_window()).observe(save_to_disk(path.clone()));
    }
    run.pending = Some((path, 0));
}

fn play(
    mut commands: Commands,
    options: Res<AppOptions>,
    state: Res<State<AppState>>,
    mut run: ResMut<DemoRun>,
    mut sim: ResMut<Sim>,
    finished: Option<Res<Finished>>,
    mut next: ResMut<NextState<AppState>>,
    mut exit: MessageWriter<AppExit>,
    mut start: MessageWriter<PressStart>,
    time: Res<Time<Real>>,
    mut jump: MessageWriter<ReplayTo>,
    mut save: MessageWriter<PressSave>,
    stats: Res<FrameStats>,
    scene: Res<super::scene::PatientMeshes>,
) {
    let Some(demo) = &options.demo else { return };
    if run.finished {
        return;
    }
    // A screenshot in flight: wait for the file.
    let shown_at = run.shown_at;
    if let Some((path, waited)) = run.pending.as_mut() {
        *waited += 1;
        // On a page each screen stays a few seconds, for the projector (and a test's look).
        let shown = if demo.on_page { time.elapsed_secs() - shown_at > ON_PAGE_SCREEN_S } else { path.is_file() };
        if shown && *waited > 5 {
            if demo.on_page {
                info!("demo: on from the {} screen", path.display());
            } else {
                info!("demo: saved {}; resident memory {} kB", path.display(), super::resident_kb().unwrap_or(0));
            }
            let last = *path == demo.screenshot;
            let chooser = demo.chooser_screenshot.as_ref() == Some(path);
            let debrief = demo.debrief_screenshot.as_ref() == Some(path);
            run.pending = None;
            run.settle = 0;
            if last {
                info!("{}", stats.summary());
                if demo.on_page {
                    // The page stays on its last screen for the projector (and the test).
                    run.finished = true;
                } else {
                    exit.write(AppExit::Success);
                }
            } else if debrief {
                run.debrief_done = true;
            } else if chooser {
                run.chooser_done = true;
                start.write(PressStart);
            } else {
                run.scene_done = true;
            }
        } else if *waited > MAX_FRAMES_PER_SHOT {
            error!("the screenshot {} was not written", path.display());
            exit.write(AppExit::error());
        }
        return;
    }
    match state.get() {
        AppState::Procedure => {
            if !sim.idle() || !scene.ready {
                return;
            }
            if let Some(a) = demo.actions.get(run.next) {
                info!("demo: action {} of {}", run.next + 1, demo.actions.len());
                sim.push(a.clone());
                run.next += 1;
                return;
            }
            run.settle += 1;
            if run.settle < SETTLE_FRAMES {
                return;
            }
            if let Some(scene) = demo.scene_screenshot.as_ref().filter(|_| !run.scene_done) {
                request(&mut commands, &mut run, scene.clone(), demo.on_page, time.elapsed_secs());
            } else if demo.finish {
                info!("demo: finishing; the debrief follows");
                run.settle = 0;
                next.set(AppState::Debrief);
            } else {
                request(&mut commands, &mut run, demo.screenshot.clone(), demo.on_page, time.elapsed_secs());
            }
        }
        AppState::Chooser => {
            if let Some(path) = demo.chooser_screenshot.as_ref().filter(|_| !run.chooser_done) {
                run.settle += 1;
                // The first screen also waits for the renderer to compile its pipelines.
                if run.settle >= SETTLE_FRAMES && time.elapsed_secs() > FIRST_SCREEN_S {
                    request(&mut commands, &mut run, path.clone(), demo.on_page, time.elapsed_secs());
                }
            }
        }
        AppState::Debrief if finished.is_some() => {
            run.settle += 1;
            // Save the reports as a trainee would, once the page is up, so the screenshot
            // shows where they went (not on a web page: a projector wants no downloads).
            if !run.save_sent && run.settle >= 3 && !demo.on_page {
                run.save_sent = true;
                save.write(PressSave);
            }
            if run.settle < SETTLE_FRAMES {
                return;
            }
            if !demo.replay {
                request(&mut commands, &mut run, demo.screenshot.clone(), demo.on_page, time.elapsed_secs());
            } else if let Some(p) = demo.debrief_screenshot.as_ref().filter(|_| !run.debrief_done) {
                request(&mut commands, &mut run, p.clone(), demo.on_page, time.elapsed_secs());
            } else {
                info!("demo: opening the replay");
                next.set(AppState::Replay);
            }
        }
        AppState::Replay => {
            if !run.replay_sent {
                run.replay_sent = true;
                run.settle = 0;
                jump.write(ReplayTo(demo.actions.len() * 2 / 3));
                return;
            }
            if !sim.idle() {
                run.settle = 0;
                return;
            }
            run.settle += 1;
            if run.settle >= SETTLE_FRAMES {
                request(&mut commands, &mut run, demo.screenshot.clone(), demo.on_page, time.elapsed_secs());
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::FrameStats;

    /// A 60 Hz frame is not a stall; a 20 ms and a 50 ms one are, and the longest is reported.
    #[test]
    fn frame_stats_count_stalls_over_a_60_hz_frame() {
        let mut s = FrameStats::default();
        for (dt, on) in [(0.010, "chooser"), (1.0 / 60.0, "procedure"), (0.050, "procedure"), (0.020, "debrief")] {
            s.add(dt, on);
        }
        assert_eq!((s.frames, s.over_16ms), (4, 2));
        assert_eq!(s.summary(), "demo: 4 frames, longest 50 ms (on the procedure screen), 2 over 16 ms");
    }
}
