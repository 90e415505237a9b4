//! Contrast in 3D: the simulation's iodine bodies, meshed off the main thread and
//! drawn translucent; a vascular streak visibly clears as it washes out.

use bevy::prelude::*;
use bevy::tasks::{AsyncComputeTaskPool, Task, futures::check_ready};

use super::scene::to_bevy_mesh;
use super::sim::Sim;
use crate::sim::Position;
use crate::sim::anatomy::TissueMesh;
use crate::sim::anatomy::mesh::mesh_shape;

#[derive(Component)]
struct ContrastMesh;

#[derive(Default, Resource)]
struct Pending {
    task: Option<Task<Vec<(TissueMesh, f64)>>>,
    meshed_version: u64,
}

pub fn plugin(app: &mut App) {
    app.init_resource::<Pending>().add_systems(Update, (update, reveal).chain());
}

/// The 3D contrast shows where the fluid went, which is the answer the image asks for:
/// during the procedure it is hidden in assessment mode, and in learning mode until the
/// trainee has read the image. The replay shows it.
fn reveal(sim: Res<Sim>, state: Res<State<super::AppState>>, mut q: Query<&mut Visibility, With<ContrastMesh>>) {
    let Some(s) = sim.session() else { return };
    let shown = *state.get() != super::AppState::Procedure
        || (s.scenario().mode == crate::sim::Mode::Learning && !super::hud::contrast_question_open(s));
    for mut v in &mut q {
        v.set_if_neq(if shown { Visibility::Inherited } else { Visibility::Hidden });
    }
}

fn update(
    mut commands: Commands,
    sim: Res<Sim>,
    mut pending: ResMut<Pending>,
    old: Query<Entity, With<ContrastMesh>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    if let Some(task) = pending.task.as_mut() {
        let Some(result) = check_ready(task) else { return };
        pending.task = None;
        for e in &old {
            commands.entity(e).despawn();
        }
        let position = sim.session().map(|s| s.position()).unwrap_or(Position::Supine);
        for (mesh, mg_ml) in result {
            if mesh.indices.is_empty() {
                continue;
            }
            let alpha = (0.25 + mg_ml / 300.0 * 0.6).clamp(0.25, 0.85) as f32;
            commands.spawn((
                Pickable::IGNORE,
                Mesh3d(meshes.add(to_bevy_mesh(&mesh, position))),
                MeshMaterial3d(materials.add(StandardMaterial {
                    base_color: Color::srgba(0.2, 0.95, 0.55, alpha),
                    alpha_mode: AlphaMode::Blend,
                    unlit: true,
                    ..default()
                })),
                ContrastMesh,
                Visibility::Hidden,
            ));
        }
    }
    // Re-mesh when the contrast may have changed (time passes, more is injected).
    let Some(session) = sim.session() else { return };
    if pending.meshed_version == sim.version {
        return;
    }
    pending.meshed_version = sim.version;
    let field = session.state().injection.contrast_field_min_layer(session.patient(), 4.0);
    if field.is_empty() && old.is_empty() {
        return;
    }
    // Thin layers are meshed thicker than they are: the 3D view shows where contrast went.
    let bodies: Vec<_> = field.bodies().iter().map(|b| (b.shape.clone(), b.iodine_mg_per_ml)).collect();
    pending.task = Some(
        AsyncComputeTaskPool::get()
            .spawn(async move { bodies.into_iter().map(|(shape, c)| (mesh_shape(&shape, 1.2), c)).collect() }),
    );
}
