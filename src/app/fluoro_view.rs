//! The fluoroscopy monitor beside the 3D view: the last image held between shots.

use bevy::asset::RenderAssetUsages;
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};

use super::banner::BANNER_HEIGHT_PX;
use super::sim::Sim;

/// The monitor's texture, reused for every image.
#[derive(Resource)]
pub struct Monitor {
    pub image: Handle<Image>,
    shown_version: u64,
}

/// Size of the monitor on screen (px).
pub const MONITOR_PX: f32 = 340.0;

pub fn plugin(app: &mut App) {
    app.add_systems(Startup, spawn).add_systems(Update, update);
}

fn blank(pixels: u32) -> Image {
    Image::new_fill(
        Extent3d { width: pixels, height: pixels, depth_or_array_layers: 1 },
        TextureDimension::D2,
        &[6, 6, 6, 255],
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::default(),
    )
}

fn spawn(mut commands: Commands, mut images: ResMut<Assets<Image>>) {
    let image = images.add(blank(256));
    commands.insert_resource(Monitor { image: image.clone(), shown_version: 0 });
    commands.spawn((
        Node {
            position_type: PositionType::Absolute,
            top: Val::Px(BANNER_HEIGHT_PX + 8.0),
            right: Val::Px(8.0),
            width: Val::Px(MONITOR_PX),
            height: Val::Px(MONITOR_PX),
            border: UiRect::all(Val::Px(2.0)),
            ..default()
        },
        BorderColor::all(Color::srgb(0.4, 0.4, 0.45)),
        BackgroundColor(Color::BLACK),
        ImageNode::new(image),
        super::ui::SceneUi,
    ));
}

/// Copy the session's last image into the texture when a new one arrives.
fn update(sim: Res<Sim>, mut monitor: ResMut<Monitor>, mut images: ResMut<Assets<Image>>) {
    if monitor.shown_version == sim.version {
        return;
    }
    let Some(session) = sim.session() else { return };
    monitor.shown_version = sim.version;
    let Some(mut image) = images.get_mut(&monitor.image) else { return };
    // A new session starts with a dark monitor.
    let Some(frame) = session.state().fluoroscope.last_image() else {
        if let Some(data) = image.data.as_mut() {
            data.chunks_exact_mut(4).for_each(|px| px.copy_from_slice(&[6, 6, 6, 255]));
        }
        return;
    };
    let n = frame.pixels as u32;
    if image.width() != n {
        *image = blank(n);
    }
    if let Some(data) = image.data.as_mut() {
        for (px, g) in data.chunks_exact_mut(4).zip(&frame.gray) {
            px.copy_from_slice(&[*g, *g, *g, 255]);
        }
    }
}
