//! What the window shows, written to a JSON file for a test that drives the window with
//! real X events (tests/gui.rs): the screen, the session's progress, where landmarks and
//! buttons are on screen, and every visible text. Only when `FLUOROHIP_UI_STATE` names the
//! file; the window behaves the same either way. The test waits on this file instead of
//! sleeping, and checks from it that no visible text gives an answer away.

use std::path::PathBuf;

use bevy::prelude::*;
use bevy::ui::UiGlobalTransform;
use glam::DVec3;
use serde::Serialize;

use super::needle::{Aim, PickMode};
use super::sim::Sim;
use super::{AppState, Paused, to_world};
use crate::sim::anatomy::LandmarkName;

#[derive(Resource)]
struct StateFile(PathBuf);

#[derive(Serialize)]
struct Shown {
    frame: u64,
    screen: String,
    paused: bool,
    alarm: Option<String>,
    /// Actions the session has taken; none before a case starts.
    actions: Option<usize>,
    idle: bool,
    mode: Option<String>,
    entry_chosen: bool,
    pick_mode: String,
    needle_depth_mm: Option<f64>,
    steps_done: Vec<String>,
    /// Landmarks on screen (window pixels), when in view.
    points: Vec<(String, [f32; 2])>,
    /// Visible buttons: label, centre (window pixels), drawn as the current choice.
    buttons: Vec<(String, [f32; 2], bool)>,
    /// Visible text fields: centre and what is typed in them.
    fields: Vec<([f32; 2], String)>,
    /// What the pointer is over (picking), topmost first: a text's words, or a kind.
    hovered: Vec<String>,
    /// Every visible text, as drawn.
    texts: Vec<String>,
    /// The landmark names shown on the monitor (Y) with their boxes (physical window pixels:
    /// left, top, right, bottom).
    monitor_names: Vec<(String, [f32; 4])>,
}

pub fn plugin(app: &mut App) {
    if let Some(path) = std::env::var_os("FLUOROHIP_UI_STATE") {
        app.insert_resource(StateFile(PathBuf::from(path))).add_systems(Last, write);
    }
}

fn write(
    file: Res<StateFile>,
    state: Res<State<AppState>>,
    paused: Res<Paused>,
    sim: Res<Sim>,
    aim: Res<Aim>,
    pick: Res<PickMode>,
    camera: Query<(&Camera, &GlobalTransform), With<Camera3d>>,
    texts: Query<(Entity, &Text, &InheritedVisibility)>,
    names: Query<(&Text, &InheritedVisibility, &UiGlobalTransform, &ComputedNode, &super::fluoro_view::OnImage)>,
    buttons: Query<(&UiGlobalTransform, &InheritedVisibility, &Children, Has<super::ui::Selected>), With<Button>>,
    fields: Query<(&UiGlobalTransform, &InheritedVisibility, &bevy::text::EditableText)>,
    hover: Res<bevy::picking::hover::HoverMap>,
    kinds: Query<(Has<bevy::text::EditableText>, Has<Button>, Option<&Text>, Option<&GlobalZIndex>)>,
    mut frame: Local<u64>,
    scene: Res<super::scene::PatientMeshes>,
) {
    *frame += 1;
    let session = sim.session();
    let mut points = Vec::new();
    if let (Some(s), Ok((cam, cam_t))) = (session, camera.single()) {
        let pos = s.position();
        let p = s.patient();
        let nerve = p.landmarks.get(LandmarkName::FemoralNerve);
        let named = [LandmarkName::FemoralPulse, LandmarkName::AnteriorEntry, LandmarkName::Target]
            .map(|l| (l.as_str().to_string(), p.landmarks.get(l)));
        // The skin straight over the femoral nerve (the nerve itself lies deep).
        let over_nerve = ("skin_over_femoral_nerve".to_string(), DVec3::new(nerve.x, p.skin.front_y(nerve.x), nerve.z));
        for (name, at) in named.into_iter().chain([over_nerve]) {
            if let Ok(v) = cam.world_to_viewport(cam_t, to_world(at, pos)) {
                points.push((name, [v.x, v.y]));
            }
        }
    }
    let label = |children: &Children| {
        children.iter().find_map(|c| texts.get(c).ok().map(|(_, t, _)| t.0.clone())).unwrap_or_default()
    };
    let buttons = buttons
        .iter()
        .filter(|(_, v, _, _)| v.get())
        .map(|(t, _, children, on)| (label(children), [t.translation.x, t.translation.y], on))
        .collect();
    let fields = fields
        .iter()
        .filter(|(_, v, _)| v.get())
        .map(|(t, _, f)| ([t.translation.x, t.translation.y], f.value().to_string()))
        .collect();
    let texts =
        texts.iter().filter(|(_, _, v)| v.get()).map(|(_, t, _)| t.0.clone()).filter(|t| !t.is_empty()).collect();
    let monitor_names = names
        .iter()
        .filter(|(_, v, _, _, part)| v.get() && part.is_name())
        .map(|(t, _, at, node, _)| {
            let (c, half) = (at.translation, node.size() / 2.0);
            (t.0.clone(), [c.x - half.x, c.y - half.y, c.x + half.x, c.y + half.y])
        })
        .collect();
    let shown = Shown {
        frame: *frame,
        screen: format!("{:?}", state.get()),
        paused: paused.0,
        alarm: sim.alarm.as_ref().map(|a| a.title.clone()),
        actions: session.map(|s| s.action_count()),
        // Nothing queued or being traced, and the patient's 3D view is built.
        idle: sim.idle() && (session.is_none() || scene.ready),
        mode: session.map(|s| format!("{:?}", s.scenario().mode)),
        entry_chosen: aim.entry.is_some(),
        pick_mode: format!("{:?}", *pick),
        needle_depth_mm: session.and_then(|s| s.state().needle.map(|n| n.depth_mm())),
        steps_done: session.map(|s| s.steps().iter().map(|(st, _)| format!("{st:?}")).collect()).unwrap_or_default(),
        points,
        buttons,
        fields,
        hovered: hover
            .values()
            .flat_map(|m| m.keys())
            .map(|e| match kinds.get(*e) {
                Ok((true, _, _, _)) => format!("{e}: text field"),
                Ok((_, true, _, _)) => format!("{e}: button"),
                Ok((_, _, Some(t), _)) => format!("{e}: text {:?}", t.0.chars().take(30).collect::<String>()),
                Ok((_, _, _, Some(z))) => format!("{e}: node, global z {}", z.0),
                _ => format!("{e}: node"),
            })
            .collect(),
        texts,
        monitor_names,
    };
    let Ok(json) = serde_json::to_vec_pretty(&shown) else { return };
    let tmp = file.0.with_extension("tmp");
    if std::fs::write(&tmp, json).is_ok() {
        let _ = std::fs::rename(&tmp, &file.0);
    }
}
