//! The patient on the table: one mesh per tissue, skin, fat and muscle translucent,
//! structures at risk in their conventional colours and labelled by name.

use bevy::asset::RenderAssetUsages;
use bevy::mesh::Indices;
use bevy::prelude::*;
use bevy::render::render_resource::PrimitiveTopology;
use bevy::tasks::{AsyncComputeTaskPool, Task, futures::check_ready};
use std::sync::Arc;

use super::sim::Sim;
use super::{in_scene, to_world};
use crate::sim::Position;
use crate::sim::anatomy::{Patient, Tissue, TissueMesh};

/// Part of the patient's scene, rebuilt when a session on a new patient starts.
#[derive(Component)]
struct PatientPart;

/// The patient's display meshes, built off the main thread (the desktop) or a few per frame
/// (the browser, one thread) while the window says the patient is being prepared.
#[derive(Resource, Default)]
pub struct PatientMeshes {
    /// The session generation the meshes are of, and the patient's key (the leg turned
    /// gives the same session another femur).
    generation: u64,
    patient_key: u64,
    /// The patient they are of (to tell, when the leg turns, which meshes it moved).
    patient: Option<Arc<Patient>>,
    built: Vec<TissueMesh>,
    task: Option<Task<Vec<TissueMesh>>>,
    /// The same case before the leg turned, and its meshes: those it did not move are kept.
    before: Option<(Arc<Patient>, Vec<TissueMesh>)>,
    /// All of them are in the scene.
    pub ready: bool,
}

/// The "preparing the patient" note over the 3D view.
#[derive(Component)]
struct PreparingNote;

/// A displayed tissue.
#[derive(Component)]
pub struct TissueView(pub Tissue);

/// The skin, which the trainee clicks to choose the entry point.
#[derive(Component)]
pub struct SkinSurface;

/// Which layers are shown, toggled with 4–7, and how opaque the soft tissues are ([ and ]).
#[derive(Resource)]
pub struct Layers {
    pub skin: bool,
    pub fat: bool,
    pub muscle: bool,
    pub bone: bool,
    pub soft_opacity: f32,
}

/// The material of a translucent tissue and its base opacity.
#[derive(Component)]
struct Translucent(Handle<StandardMaterial>, f32);

/// Colour and opacity of each tissue (nerve yellow, artery red, vein blue by convention).
pub fn look(t: Tissue) -> Option<Color> {
    Some(match t {
        Tissue::Skin => Color::srgba(0.93, 0.76, 0.66, 0.12),
        Tissue::Fat => Color::srgba(0.98, 0.88, 0.45, 0.08),
        Tissue::Muscle => Color::srgba(0.72, 0.28, 0.25, 0.10),
        Tissue::Iliopsoas | Tissue::GlutealMuscles => Color::srgba(0.66, 0.22, 0.2, 0.18),
        Tissue::IliopsoasTendon => Color::srgba(0.95, 0.93, 0.85, 0.5),
        Tissue::FemurCortical | Tissue::PelvisCortical => Color::srgb(0.93, 0.9, 0.82),
        Tissue::FemoralCartilage | Tissue::AcetabularCartilage => Color::srgba(0.6, 0.8, 0.95, 0.6),
        Tissue::CapsuleWall => Color::srgba(0.85, 0.85, 0.95, 0.25),
        Tissue::IliopsoasBursa => Color::srgba(0.5, 0.7, 1.0, 0.35),
        Tissue::FemoralNerve | Tissue::LateralFemoralCutaneousNerve | Tissue::SciaticNerve => {
            Color::srgb(0.98, 0.85, 0.1)
        }
        Tissue::FemoralArtery | Tissue::LateralCircumflexBranch | Tissue::ProfundaFemoris => {
            Color::srgb(0.85, 0.08, 0.08)
        }
        Tissue::FemoralVein => Color::srgb(0.12, 0.25, 0.85),
        // Inside other solids: not drawn.
        Tissue::FemurCancellous
        | Tissue::FemoralHeadCancellous
        | Tissue::FemoralMarrow
        | Tissue::ArterialCalcification
        | Tissue::Trabeculae
        | Tissue::NeckTrabeculae
        | Tissue::PelvisCancellous
        | Tissue::JointSpace
        | Tissue::ZonaOrbicularis
        | Tissue::Air => {
            return None;
        }
    })
}

/// A tissue mesh in scene coordinates.
pub fn to_bevy_mesh(m: &TissueMesh, position: Position) -> Mesh {
    let positions: Vec<[f32; 3]> =
        m.positions.iter().map(|p| to_world(glam::DVec3::from_array(p.map(f64::from)), position).to_array()).collect();
    let normals: Vec<[f32; 3]> = m
        .normals
        .iter()
        .map(|n| super::dir_to_world(glam::DVec3::from_array(n.map(f64::from)), position).to_array())
        .collect();
    Mesh::new(PrimitiveTopology::TriangleList, RenderAssetUsages::default())
        .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, positions)
        .with_inserted_attribute(Mesh::ATTRIBUTE_NORMAL, normals)
        .with_inserted_indices(Indices::U32(m.indices.clone()))
}

pub fn plugin(app: &mut App) {
    // Fat and muscle start hidden: each full-screen translucent layer costs a software
    // renderer about 0.2 s a frame. Keys 5 and 6 show them.
    app.insert_resource(Layers { skin: true, fat: false, muscle: false, bone: true, soft_opacity: 1.0 })
        .insert_resource(MeshPickingSettings { require_markers: true, ..default() })
        .init_resource::<PatientMeshes>()
        .add_systems(
            Update,
            (build_meshes, spawn_patient, toggle_layers.run_if(in_scene), apply_layers, apply_opacity).chain(),
        );
}

/// Build the meshes of a new patient: on the compute pool, or (shots in slices: the
/// browser) one or more per frame within the frame's slice of time.
fn build_meshes(
    mut commands: Commands,
    mut sim: ResMut<Sim>,
    old: Query<Entity, With<PatientPart>>,
    mut pm: ResMut<PatientMeshes>,
    time: Res<Time>,
    note: Query<Entity, With<PreparingNote>>,
    state: Res<State<super::AppState>>,
) {
    let Some(session) = sim.session() else { return };
    let key = session.patient().key();
    if pm.generation != sim.generation || pm.patient_key != key {
        // The same case with the leg turned: keep the meshes of what did not move (the skin,
        // muscles and vessels), so only the femur and its capsule are built again.
        let before = pm
            .patient
            .take()
            .filter(|p| pm.generation == sim.generation && pm.built.len() == p.mesh_count())
            .map(|p| (p, std::mem::take(&mut pm.built)));
        let patient = Arc::new(session.patient().clone());
        *pm =
            PatientMeshes { generation: sim.generation, patient_key: key, patient: Some(patient.clone()), ..default() };
        // The last patient goes at once: its skin must not take clicks meant for this one.
        for e in &old {
            commands.entity(e).despawn();
        }
        if !sim.shots_in_slices {
            pm.task = Some(AsyncComputeTaskPool::get().spawn(async move {
                match before {
                    Some((p, meshes)) => patient.meshes_reusing(&p, &meshes),
                    None => patient.meshes(),
                }
            }));
        } else {
            pm.before = before;
        }
    }
    let total = session.patient().mesh_count();
    if pm.built.len() < total {
        if let Some(task) = pm.task.as_mut() {
            if let Some(meshes) = check_ready(task) {
                pm.built = meshes;
                pm.task = None;
            }
        } else {
            let t = bevy::platform::time::Instant::now();
            let budget = sim.slice_left_ms(time.delta_secs_f64() * 1000.0);
            let mut one = false; // at least one mesh a frame, whatever the budget
            let pm = &mut *pm;
            while pm.built.len() < total && (!one || t.elapsed().as_secs_f64() * 1000.0 < budget) {
                let i = pm.built.len();
                let kept = pm.before.as_ref().filter(|(p, _)| session.patient().mesh_unchanged_from(i, p));
                pm.built.push(match kept {
                    Some((_, meshes)) => meshes[i].clone(),
                    None => session.patient().mesh(i).expect("below the count"),
                });
                one = true;
            }
            if pm.built.len() == total {
                pm.before = None;
            }
            sim.spent_ms += t.elapsed().as_secs_f64() * 1000.0;
        }
    }
    let waiting = pm.built.len() < total;
    if waiting && note.is_empty() && *state.get() == super::AppState::Procedure {
        // Over the 3D view, between the checklist (left) and the monitor (right).
        commands.spawn((
            PreparingNote,
            DespawnOnExit(super::AppState::Procedure),
            Node {
                position_type: PositionType::Absolute,
                left: Val::Px(360.0),
                width: Val::Px(550.0),
                top: Val::Percent(40.0),
                padding: UiRect::all(Val::Px(12.0)),
                justify_content: JustifyContent::Center,
                ..default()
            },
            BackgroundColor(Color::srgba(0.05, 0.06, 0.08, 0.85)),
            children![super::ui::text("Preparing the patient: building the 3D anatomy...", 18.0)],
        ));
    }
    if !waiting {
        for e in &note {
            commands.entity(e).despawn();
        }
    }
}

fn spawn_patient(
    mut commands: Commands,
    sim: Res<Sim>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    old: Query<Entity, With<PatientPart>>,
    mut built: Local<Option<(u64, u64, Position)>>,
    mut layers: ResMut<Layers>,
    mut pm: ResMut<PatientMeshes>,
) {
    let Some(session) = sim.session() else { return };
    let key = session.patient().key();
    if pm.generation != sim.generation || pm.patient_key != key || pm.built.len() < session.patient().mesh_count() {
        pm.ready = false;
        return;
    }
    // Built again for each case, when the trainee turns the patient over (the body lies as
    // placed, even when that is wrong for the case) and when they turn the leg.
    let now = (sim.generation, key, session.position());
    if *built == Some(now) {
        return;
    }
    *built = Some(now);
    pm.ready = true;
    for e in &old {
        commands.entity(e).despawn();
    }
    // Apply the layer settings to the new meshes.
    layers.set_changed();
    let position = session.position();
    let mut triangles = 0;
    for m in &pm.built {
        let Some(tissue) = m.tissue else { continue };
        let Some(color) = look(tissue) else { continue };
        let translucent = color.alpha() < 1.0;
        triangles += m.triangle_count();
        // Translucent layers are unlit and one-sided: on a software renderer each
        // full-screen layer of lit, two-sided blending costs a whole frame.
        let material = materials.add(StandardMaterial {
            base_color: color,
            alpha_mode: if translucent { AlphaMode::Blend } else { AlphaMode::Opaque },
            perceptual_roughness: 0.7,
            unlit: translucent,
            ..default()
        });
        let mut e = commands.spawn((
            Mesh3d(meshes.add(to_bevy_mesh(m, position))),
            MeshMaterial3d(material.clone()),
            Transform::default(),
            TissueView(tissue),
            PatientPart,
        ));
        if translucent {
            e.insert(Translucent(material, color.alpha()));
        }
        if tissue == Tissue::Skin {
            // Only the skin is pickable (markers required): ray casts against every
            // tissue each frame would cost more than drawing them.
            e.insert((SkinSurface, Pickable::default())).observe(super::needle::pick_entry);
        }
    }
    info!("patient meshes: {triangles} triangles");
    // The table under the patient.
    let back = session.patient().skin.back_y(session.patient().skin.cx);
    let table_y = match position {
        Position::Supine => -(back as f32) * 0.001 - 0.01,
        Position::Prone => -(session.patient().skin.front_y(session.patient().skin.cx) as f32).abs() * 0.001 - 0.01,
    };
    commands.spawn((
        Mesh3d(meshes.add(Cuboid::new(1.6, 0.02, 0.55))),
        MeshMaterial3d(materials.add(Color::srgb(0.25, 0.27, 0.3))),
        Transform::from_xyz(-0.1, table_y, 0.09),
        PatientPart,
    ));
}

fn toggle_layers(keys: Res<super::keys::KeyPresses>, mut layers: ResMut<Layers>) {
    // Each press toggles, however many came between two frames.
    if keys.count(KeyCode::Digit4) % 2 == 1 {
        layers.skin = !layers.skin;
    }
    if keys.count(KeyCode::Digit5) % 2 == 1 {
        layers.fat = !layers.fat;
    }
    if keys.count(KeyCode::Digit6) % 2 == 1 {
        layers.muscle = !layers.muscle;
    }
    if keys.count(KeyCode::Digit7) % 2 == 1 {
        layers.bone = !layers.bone;
    }
    for _ in 0..keys.count(KeyCode::BracketLeft) {
        layers.soft_opacity = (layers.soft_opacity - 0.25).max(0.25);
    }
    for _ in 0..keys.count(KeyCode::BracketRight) {
        layers.soft_opacity = (layers.soft_opacity + 0.25).min(4.0);
    }
}

fn apply_opacity(layers: Res<Layers>, q: Query<&Translucent>, mut materials: ResMut<Assets<StandardMaterial>>) {
    if !layers.is_changed() {
        return;
    }
    for Translucent(handle, alpha) in &q {
        if let Some(mut m) = materials.get_mut(handle) {
            m.base_color.set_alpha((alpha * layers.soft_opacity).clamp(0.02, 0.9));
        }
    }
}

fn apply_layers(layers: Res<Layers>, mut q: Query<(&TissueView, &mut Visibility)>, mut first: Local<bool>) {
    if !layers.is_changed() && *first {
        return;
    }
    *first = true;
    for (t, mut v) in &mut q {
        let shown = match t.0 {
            Tissue::Skin => layers.skin,
            Tissue::Fat => layers.fat,
            Tissue::Muscle | Tissue::Iliopsoas | Tissue::IliopsoasTendon | Tissue::GlutealMuscles => layers.muscle,
            Tissue::FemurCortical | Tissue::PelvisCortical => layers.bone,
            _ => true,
        };
        *v = if shown { Visibility::Inherited } else { Visibility::Hidden };
    }
}
