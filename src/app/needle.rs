//! The needle in the trainee's hands: choose the entry on the skin with the mouse,
//! aim with the arrow keys, insert (N), advance and withdraw (Up/Down, Shift for
//! 5 mm), redirect (R), turn the bevel (B), remove (X); inject local anaesthetic
//! (L), contrast (K) and the drug mix (J). The needle is drawn along its true,
//! bent path, its tip marked.

use bevy::prelude::*;
use glam::DVec3;

use super::sim::Sim;
use super::{AppState, Paused, dir_to_world, in_scene, live, to_patient, to_world};
use crate::sim::injection::Fluid;
use crate::sim::session::{Action, PointRef};
use crate::sim::{Mode, Position};

/// The planned entry point and aim, before and between insertions.
#[derive(Resource, Default)]
pub struct Aim {
    /// Entry point on the skin (patient mm), if the trainee picked one.
    pub entry: Option<DVec3>,
    /// Tilt of the aim from straight in: toward the patient's left (+) and head (+), degrees.
    pub medial_deg: f64,
    pub cranial_deg: f64,
}

impl Aim {
    /// The aim direction in patient coordinates.
    pub fn direction(&self, position: Position) -> DVec3 {
        let inward = match position {
            Position::Supine => DVec3::Y,
            Position::Prone => -DVec3::Y,
        };
        let (m, c) = (self.medial_deg.to_radians(), self.cranial_deg.to_radians());
        (inward + DVec3::X * m.tan() + DVec3::Z * c.tan()).normalize()
    }
}

/// The needle's colour in the 3D view (what the screenshot test looks for).
pub const NEEDLE_COLOR: Color = Color::srgb(0.0, 1.0, 1.0);

pub fn plugin(app: &mut App) {
    app.init_resource::<Aim>()
        .add_systems(Startup, |mut store: ResMut<GizmoConfigStore>| {
            // The needle and C-arm lines show through the translucent tissues.
            let (config, _) = store.config_mut::<DefaultGizmoConfigGroup>();
            config.depth_bias = -1.0;
            config.line.width = 3.0;
        })
        .add_systems(
            Update,
            (reset_aim, draw.run_if(in_scene), ghost.run_if(in_state(AppState::Procedure)), controls.run_if(live)),
        );
}

/// A new session starts with no entry chosen and the needle aimed straight in.
fn reset_aim(sim: Res<Sim>, mut aim: ResMut<Aim>, mut seen: Local<u64>) {
    if *seen != sim.generation {
        *seen = sim.generation;
        *aim = Aim::default();
    }
}

/// One press of an injection key (or its checklist button): how much goes in (ml).
pub fn inject(fluid: Fluid) -> Action {
    let volume_ml = match fluid {
        Fluid::LocalAnaesthetic => 1.0,
        Fluid::Contrast => 0.5,
        Fluid::DrugMix => 1.0,
    };
    Action::Inject { fluid, volume_ml, rate_ml_s: None }
}

/// The colour of the planned path to the target (learning mode only).
pub const GHOST_COLOR: Color = Color::srgba(0.3, 1.0, 0.45, 0.55);

/// Learning mode: a ghost of the planned trajectory, from the approach's skin entry to the target.
fn ghost(mut gizmos: Gizmos, sim: Res<Sim>) {
    let Some(s) = sim.session() else { return };
    if s.scenario().mode != Mode::Learning {
        return;
    }
    let pos = s.scenario().position;
    let (target, entry) = s.scenario().approach();
    let (t, e) = (s.patient().landmarks.get(target), s.patient().landmarks.get(entry));
    // Dashed, and carried 30 mm out of the skin so the line can be sighted along.
    let out = e + (e - t).normalize() * 30.0;
    let n = 24;
    for k in (0..n).step_by(2) {
        let a = out + (t - out) * (k as f64 / n as f64);
        let b = out + (t - out) * ((k + 1) as f64 / n as f64);
        gizmos.line(to_world(a, pos), to_world(b, pos), GHOST_COLOR);
    }
    gizmos.sphere(Isometry3d::from_translation(to_world(t, pos)), 0.004, GHOST_COLOR);
}

/// Clicking the skin (with no needle in) chooses the entry point.
pub fn pick_entry(
    click: On<Pointer<Click>>,
    sim: Res<Sim>,
    mut aim: ResMut<Aim>,
    state: Res<State<AppState>>,
    paused: Res<Paused>,
) {
    if *state.get() != AppState::Procedure || paused.0 {
        return;
    }
    let (Some(p), Some(session)) = (click.hit.position, sim.session()) else { return };
    if session.state().needle.is_none() {
        aim.entry = Some(to_patient(p, session.scenario().position));
    }
}

fn controls(keys: Res<ButtonInput<KeyCode>>, mut sim: ResMut<Sim>, mut aim: ResMut<Aim>) {
    let Some(session) = sim.session() else { return };
    let position = session.scenario().position;
    let step = if keys.any_pressed([KeyCode::ShiftLeft, KeyCode::ShiftRight]) { 5.0 } else { 1.0 };
    let mut actions = Vec::new();
    for (key, dm, dc) in [
        (KeyCode::ArrowLeft, -2.0, 0.0),
        (KeyCode::ArrowRight, 2.0, 0.0),
        (KeyCode::PageUp, 0.0, 2.0),
        (KeyCode::PageDown, 0.0, -2.0),
    ] {
        if keys.just_pressed(key) {
            aim.medial_deg = (aim.medial_deg + dm).clamp(-40.0, 40.0);
            aim.cranial_deg = (aim.cranial_deg + dc).clamp(-40.0, 40.0);
        }
    }
    let needle = session.state().needle;
    if keys.just_pressed(KeyCode::KeyN) && needle.is_none() {
        let (_, entry_name) = session.scenario().approach();
        let entry = aim.entry.unwrap_or_else(|| session.patient().landmarks.get(entry_name));
        let toward = entry + aim.direction(position) * 50.0;
        actions.push(Action::InsertNeedle {
            entry: PointRef::Xyz(entry.to_array()),
            toward: PointRef::Xyz(toward.to_array()),
        });
    }
    if let Some(n) = needle {
        if keys.just_pressed(KeyCode::ArrowUp) {
            actions.push(Action::Advance { mm: step });
        }
        if keys.just_pressed(KeyCode::ArrowDown) {
            actions.push(Action::Withdraw { mm: step });
        }
        if keys.just_pressed(KeyCode::KeyR) {
            let toward = n.tip() + aim.direction(position) * 50.0;
            actions.push(Action::Redirect { toward: PointRef::Xyz(toward.to_array()), withdraw_mm: None });
        }
        if keys.just_pressed(KeyCode::KeyB) {
            actions.push(Action::RotateBevel { deg: 90.0 });
        }
        if keys.just_pressed(KeyCode::KeyX) {
            actions.push(Action::RemoveNeedle);
        }
        for (key, fluid) in [
            (KeyCode::KeyL, Fluid::LocalAnaesthetic),
            (KeyCode::KeyK, Fluid::Contrast),
            (KeyCode::KeyJ, Fluid::DrugMix),
        ] {
            if keys.just_pressed(key) {
                actions.push(inject(fluid));
            }
        }
    }
    // The pedal: a tap is one shot; held, shots follow one another (pulsed fluoroscopy).
    if keys.just_pressed(KeyCode::Space) || (keys.pressed(KeyCode::Space) && sim.idle()) {
        actions.push(Action::Fluoro { seconds: 0.5 });
    }
    for a in actions {
        sim.push(a);
    }
}

/// The needle along its path (hub to tip), the tip marked; before insertion, the planned line.
fn draw(mut gizmos: Gizmos, sim: Res<Sim>, aim: Res<Aim>, mut cached: Local<Vec<Vec3>>) {
    if let Some(session) = sim.session() {
        let pos = session.scenario().position;
        cached.clear();
        match session.state().needle {
            Some(n) => cached.extend(n.drawn_path().points.iter().map(|p| to_world(*p, pos))),
            None => {
                if let Some(e) = aim.entry {
                    let d = dir_to_world(aim.direction(pos), pos);
                    let w = to_world(e, pos);
                    gizmos.line(w - d * 0.09, w, Color::srgba(0.0, 1.0, 1.0, 0.5));
                    gizmos.sphere(Isometry3d::from_translation(w), 0.003, NEEDLE_COLOR);
                }
            }
        }
    }
    if cached.len() >= 2 {
        gizmos.linestrip(cached.iter().copied(), NEEDLE_COLOR);
        if let Some(tip) = cached.last() {
            gizmos.sphere(Isometry3d::from_translation(*tip), 0.002, Color::srgb(1.0, 0.2, 1.0));
        }
    }
}
