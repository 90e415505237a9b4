//! The orbit camera: drag with the right mouse button, zoom with the wheel; preset
//! views (1 anterior, 2 lateral, 3 the C-arm's eye).

use bevy::core_pipeline::tonemapping::Tonemapping;
use bevy::input::mouse::{AccumulatedMouseMotion, AccumulatedMouseScroll};
use bevy::prelude::*;

use super::sim::Sim;
use super::{dir_to_world, in_scene, to_world};
use crate::sim::imaging::geometry::SOURCE_TO_ISOCENTRE_MM;

/// Orbit around `focus` at `distance`, with yaw and pitch in radians; `up` is the screen's
/// up (the room's vertical, except in the C-arm's view, where it is the image's up).
#[derive(Component)]
pub struct Orbit {
    pub focus: Vec3,
    pub distance: f32,
    pub yaw: f32,
    pub pitch: f32,
    pub up: Vec3,
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
        if mouse.pressed(MouseButton::Right) && motion.delta != Vec2::ZERO {
            o.yaw -= motion.delta.x * 0.005;
            o.pitch = (o.pitch + motion.delta.y * 0.005).clamp(-1.5, 1.5);
            o.up = Vec3::Y;
        }
        o.distance = (o.distance * (1.0 - scroll.delta.y * 0.1)).clamp(0.15, 3.0);
        *t = placed(&o);
    }
}

/// Where an orbit puts the camera.
pub fn placed(o: &Orbit) -> Transform {
    let dir = Vec3::new(o.pitch.cos() * o.yaw.sin(), o.pitch.sin(), o.pitch.cos() * o.yaw.cos());
    let up = if dir.cross(o.up).length_squared() < 1e-6 { Vec3::Z } else { o.up };
    Transform::from_translation(o.focus + dir * o.distance).looking_at(o.focus, up)
}

/// Where the camera starts, and starts again for each new case.
pub const HOME: Orbit = Orbit { focus: Vec3::new(0.0, 0.02, 0.0), distance: 0.55, yaw: 0.6, pitch: 0.75, up: Vec3::Y };

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
            (o.yaw, o.pitch, o.distance, o.up) = (0.0, 1.45, 0.7, Vec3::Y);
        }
        if keys.just(KeyCode::Digit2) {
            (o.yaw, o.pitch, o.distance, o.up) = (std::f32::consts::PI, 0.05, 0.7, Vec3::Y);
        }
        if keys.just(KeyCode::Digit3) {
            *o = carm_view(session);
        }
    }
}

/// The C-arm's eye: from the detector, back along the beam, turned so the screen's up and
/// right are the image's, so the 3D view looks like the monitor.
pub fn carm_view(session: &crate::sim::Session) -> Orbit {
    let pos = session.position();
    let g = session.state().fluoroscope.geometry(pos);
    let beam = dir_to_world(g.beam, pos);
    Orbit {
        focus: to_world(session.state().fluoroscope.pose.isocentre, pos),
        distance: (SOURCE_TO_ISOCENTRE_MM as f32) * 0.001,
        pitch: beam.y.clamp(-1.0, 1.0).asin(),
        yaw: beam.x.atan2(beam.z),
        up: dir_to_world(g.e_v, pos),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::session::Action;
    use crate::sim::{Position, Scenario, Session};

    /// In the C-arm's view the patient's right and head are where the monitor shows them.
    #[test]
    fn the_carm_view_is_oriented_like_the_monitor() {
        for (position, lao, cranial) in
            [(Position::Supine, 0.0, 0.0), (Position::Supine, 25.0, 10.0), (Position::Prone, -20.0, 0.0)]
        {
            let scenario = Scenario { position, ..Scenario::default() };
            let mut s = Session::new(scenario, 3).unwrap();
            s.apply(Action::SetCArm { lao_deg: lao, cranial_deg: cranial, isocentre: None }).unwrap();
            let g = s.state().fluoroscope.geometry(position);
            let t = placed(&carm_view(&s));
            let (right, up) = (t.right().as_vec3(), t.up().as_vec3());
            assert!(right.dot(dir_to_world(g.e_u, position)) > 0.999, "{position:?} {lao}: right {right}");
            assert!(up.dot(dir_to_world(g.e_v, position)) > 0.999, "{position:?} {lao}: up {up}");
        }
    }
}
