//! Text on screen: dose counters (always visible), the needle's depth, tip tissue and
//! resistance, recent events as they happen, control hints, and name labels on the
//! structures at risk.

use bevy::prelude::*;
use glam::DVec3;

use super::banner::BANNER_HEIGHT_PX;
use super::fluoro_view::MONITOR_PX;
use super::sim::Sim;
use super::ui::{SceneUi, set, text};
use super::{in_scene, to_world};
use crate::sim::Mode;
use crate::sim::anatomy::LandmarkName;
use crate::sim::assessment;
use crate::sim::needle::resistance;
use crate::sim::session::EventKind;

#[derive(Component)]
struct Counters;
#[derive(Component)]
pub struct NeedleInfo;
#[derive(Component)]
struct EventLog;
#[derive(Component)]
struct StructureLabel(LandmarkName);

/// Every control, always on screen.
pub fn hints() -> String {
    format!(
        "Mouse: right-drag orbit, wheel zoom, click skin = entry | 1/2/3 anterior/lateral/C-arm view | 4-7 skin/fat/muscle/bone, [ ] opacity\n\
         Needle: arrows/PgUp/PgDn aim, N insert, Up/Down advance/withdraw (Shift 5 mm), R redirect, B bevel, X remove | L/K/J inject anaesthetic/contrast/drug\n\
         C-arm: A/D RAO/LAO, W/S cranial/caudal, F field, C/V collimate, P pulse rate, M low dose, O polarity | Space: fluoroscopy (tap: one shot, hold: pulsed)\n{}",
        super::procedure_keys::STEP_HINTS
    )
}

pub fn plugin(app: &mut App) {
    app.add_systems(Startup, spawn).add_systems(Update, (counters, needle_info, event_log, labels).run_if(in_scene));
}

fn panel(top: Val, left: Option<f32>, right: Option<f32>, bottom: Option<f32>, width: f32) -> impl Bundle {
    (
        Node {
            position_type: PositionType::Absolute,
            top,
            left: left.map(Val::Px).unwrap_or(Val::Auto),
            right: right.map(Val::Px).unwrap_or(Val::Auto),
            bottom: bottom.map(Val::Px).unwrap_or(Val::Auto),
            width: Val::Px(width),
            padding: UiRect::all(Val::Px(6.0)),
            flex_direction: FlexDirection::Column,
            row_gap: Val::Px(6.0),
            ..default()
        },
        BackgroundColor(Color::srgba(0.0, 0.0, 0.0, 0.55)),
        SceneUi,
    )
}

fn spawn(mut commands: Commands) {
    // Under the monitor: the counters, then the events (the needle's panel is in the
    // checklist's column, so the two columns grow without overlapping).
    commands.spawn((
        panel(Val::Px(BANNER_HEIGHT_PX + MONITOR_PX + 14.0), None, Some(8.0), None, MONITOR_PX),
        children![(text("", 13.0), Counters), (text("", 11.0), EventLog)],
    ));
    commands.spawn((panel(Val::Auto, Some(8.0), Some(8.0), Some(4.0), 1264.0), children![text(hints(), 11.0)]));
    for l in [LandmarkName::FemoralNerve, LandmarkName::FemoralArtery, LandmarkName::FemoralVein, LandmarkName::Lfcn] {
        commands.spawn((
            Node { position_type: PositionType::Absolute, ..default() },
            text(
                if l == LandmarkName::Lfcn {
                    "lateral femoral cutaneous nerve".into()
                } else {
                    l.as_str().replace('_', " ")
                },
                13.0,
            ),
            StructureLabel(l),
            SceneUi,
        ));
    }
}

/// Simulated time as minutes:seconds.
fn min_sec(s: f64) -> String {
    let s = s.max(0.0).round() as u64;
    format!("{}:{:02}", s / 60, s % 60)
}

fn counters(sim: Res<Sim>, mut q: Query<&mut Text, With<Counters>>) {
    let Some(s) = sim.session() else { return };
    let f = s.state().fluoroscope;
    let d = f.total;
    let busy = if sim.busy() { "  [exposing...]" } else { "" };
    let clock = format!(
        "Clock {}{}\n",
        min_sec(s.state().clock_s),
        s.scenario().time_limit_min.map(|m| format!(" of {}", min_sec(m * 60.0))).unwrap_or_default()
    );
    for mut t in &mut q {
        let s = clock.clone()
            + &format!(
                "Shots {}   Fluoro {:.1} s{}\nDAP {:.4} Gy.cm2   Air kerma {:.2} mGy\n{} {:.0} deg  {} {:.0} deg  field {:.0} cm  iris {:.1}  {:?}{}",
                f.shots,
                d.fluoro_s,
                busy,
                d.dap_gy_cm2,
                d.air_kerma_mgy,
                if f.pose.lao_deg >= 0.0 { "LAO" } else { "RAO" },
                f.pose.lao_deg.abs(),
                if f.pose.cranial_deg >= 0.0 { "cranial" } else { "caudal" },
                f.pose.cranial_deg.abs(),
                f.settings.field.cm(),
                f.settings.collimation.iris,
                f.settings.pulse_rate,
                if f.settings.low_dose { "  low dose" } else { "" }
            );
        set(&mut t, s);
    }
}

fn needle_info(sim: Res<Sim>, answers: Res<super::procedure_keys::Answers>, mut q: Query<&mut Text, With<NeedleInfo>>) {
    let Some(s) = sim.session() else { return };
    let st = s.state();
    let learning = s.scenario().mode == Mode::Learning;
    let mut out = format!(
        "{}\n{:?} mode   trainee: {}   seed {}\n",
        s.scenario().title,
        s.scenario().mode,
        if s.trainee().is_empty() { "-" } else { s.trainee() },
        s.seed()
    );
    match st.needle {
        Some(n) => {
            let tissue = s.patient().tissue_at(n.tip());
            let r = resistance(tissue);
            let gauge = "#".repeat((r * 10.0).round() as usize);
            out += &format!(
                "{}  depth {:.1} mm  redirections {}\nresistance [{:<10}]",
                n.kind.spec().label,
                n.depth_mm(),
                n.redirections,
                gauge
            );
            if learning {
                out += &format!("\ntip in: {}", tissue.label());
            }
            if n.blood_in_hub {
                out += "\nBLOOD IN THE HUB";
            }
        }
        None => {
            out += &format!(
                "needle on the tray: {}\n(click the skin to choose the entry, N to insert)",
                st.selected_needle.spec().label
            )
        }
    }
    out += &format!(
        "\nkeyed answers: contrast {} (G, F7), block {:?} (H, F10)",
        answers.pattern.as_str().replace('_', " "),
        answers.reading
    );
    if let Some(e) = &sim.last_error {
        out += &format!("\nrefused: {e}");
    }
    for mut t in &mut q {
        set(&mut t, out.clone());
    }
}

fn event_log(sim: Res<Sim>, mut q: Query<&mut Text, With<EventLog>>) {
    let lines: Vec<String> = sim
        .recent
        .iter()
        .filter(|e| {
            !matches!(e.kind, EventKind::TimePassed { .. } | EventKind::NeedleMoved { .. } | EventKind::ImagingChanged)
        })
        .rev()
        .take(7)
        .filter_map(|e| assessment::describe(&e.kind).map(|(what, _)| format!("{:>6.0} s  {what}", e.time_s)))
        .collect();
    for mut t in &mut q {
        set(&mut t, if lines.is_empty() { "events appear here".into() } else { lines.join("\n") });
    }
}

fn labels(
    sim: Res<Sim>,
    cam: Query<(&Camera, &GlobalTransform), Changed<GlobalTransform>>,
    mut q: Query<(&StructureLabel, &mut Node, &mut Visibility)>,
) {
    let Some(s) = sim.session() else { return };
    // Only when the camera moves.
    let Ok((camera, cam_t)) = cam.single() else { return };
    let pos = s.scenario().position;
    for (k, (l, mut node, mut vis)) in q.iter_mut().enumerate() {
        // Above the structure, staggered so neighbouring labels do not overlap.
        let p: DVec3 = s.patient().landmarks.get(l.0) + DVec3::new(0.0, 0.0, 40.0 + 14.0 * k as f64);
        match camera.world_to_viewport(cam_t, to_world(p, pos)) {
            Ok(v) => {
                node.left = Val::Px(v.x);
                node.top = Val::Px(v.y);
                vis.set_if_neq(Visibility::Inherited);
            }
            Err(_) => {
                vis.set_if_neq(Visibility::Hidden);
            }
        }
    }
}
