//! The orbit camera: drag with the right mouse button, zoom with the wheel; preset
//! views (1 anterior, 2 lateral, 3 the C-arm's eye).

use bevy::core_pipeline::tonemapping::Tonemapping;
use bevy::input::mouse::{AccumulatedMouseMotion, AccumulatedMouseScroll};
use bevy::prelude::*;

use super::sim::Sim;
use super::{dir_to_world, in_scene, to_world};
use crate::sim::imaging::geometry::SOURCE_TO_ISOCENTRE_MM;

/// Orbit around `focus` at `distance`, with yaw and pitch in radians.
#[derive(Component)]
pub struct Orbit {
    pub focus: Vec3,
    pub distance: f32,
    pub yaw: f32,
    pub pitch: f32,
}

pub fn plugin(app: &mut App) {
    app.add_systems(Startup, spawn).add_systems(Update, (orbit, presets).run_if(in_scene));
}

fn spawn(mut commands: Commands) {
    commands.spawn((
        Camera3d::default(),
        // The default tonemapper needs lookup tables this build leaves out.
        Tonemapping::Reinhard,
        // Multisampling quadruples the fill cost of a software renderer.
        Msaa::Off,
        MeshPickingCamera,
        HOME,
        Transform::default(),
    ));
    commands.spawn((
        DirectionalLight { illuminance: 6000.0, ..default() },
        Transform::from_xyz(0.4, 1.2, 0.6).looking_at(Vec3::ZERO, Vec3::Y),
    ));
    commands.insert_resource(GlobalAmbientLight { brightness: 600.0, ..default() });
}

fn orbit(
    mut q: Query<(&mut Orbit, &mut Transform)>,
    mouse: Res<ButtonInput<MouseButton>>,
    motion: Res<AccumulatedMouseMotion>,
    scroll: Res<AccumulatedMouseScroll>,
) {
    for (mut o, mut t) in &mut q {
        if mouse.pressed(MouseButton::Right) {
            o.yaw -= motion.delta.x * 0.005;
            o.pitch = (o.pitch + motion.delta.y * 0.005).clamp(-1.5, 1.5);
        }
        o.distance = (o.distance * (1.0 - scroll.delta.y * 0.1)).clamp(0.15, 3.0);
        let dir = Vec3::new(o.pitch.cos() * o.yaw.sin(), o.pitch.sin(), o.pitch.cos() * o.yaw.cos());
        *t = Transform::from_translation(o.focus + dir * o.distance).looking_at(o.focus, Vec3::Y);
    }
}

/// Where the camera starts, and starts again for each new case.
pub const HOME: Orbit = Orbit { focus: Vec3::new(0.0, 0.02, 0.0), distance: 0.55, yaw: 0.6, pitch: 0.75 };

fn presets(keys: Res<super::keys::KeyPresses>, sim: Res<Sim>, mut q: Query<&mut Orbit>, mut seen: Local<u64>) {
    let Some(session) = sim.session() else { return };
    // A new case starts from the home view, not the last case's zoom.
    let new_case = *seen != sim.generation;
    *seen = sim.generation;
    for mut o in &mut q {
        if new_case {
            *o = HOME;
        }
        if keys.just(KeyCode::Digit1) {
            (o.yaw, o.pitch, o.distance) = (0.0, 1.45, 0.7);
        }
        if keys.just(KeyCode::Digit2) {
            (o.yaw, o.pitch, o.distance) = (std::f32::consts::PI, 0.05, 0.7);
        }
        if keys.just(KeyCode::Digit3) {
            // From the detector, looking back along the beam.
            let g = session.state().fluoroscope.geometry(session.scenario().position);
            let pos = session.scenario().position;
            let beam = dir_to_world(g.beam, pos);
            o.focus = to_world(session.state().fluoroscope.pose.isocentre, pos);
            o.distance = (SOURCE_TO_ISOCENTRE_MM as f32) * 0.001;
            o.pitch = beam.y.clamp(-1.0, 1.0).asin().clamp(-1.5, 1.5);
            o.yaw = (beam.x).atan2(beam.z);
        }
    }
}
