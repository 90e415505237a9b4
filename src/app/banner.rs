//! The persistent notice across the top of the window, on every screen and screenshot.

use bevy::prelude::*;

/// The banner's colour (also what the screenshot test looks for).
pub const BANNER_RED: Color = Color::srgb(0.69, 0.0, 0.125);
pub const BANNER_TEXT: &str = "NOT FOR CLINICAL USE  -  SYNTHETIC PATIENT  -  TEACHING SIMULATOR";
pub const BANNER_HEIGHT_PX: f32 = 26.0;

pub fn plugin(app: &mut App) {
    app.add_systems(Startup, spawn);
}

fn spawn(mut commands: Commands) {
    commands.spawn((
        Node {
            position_type: PositionType::Absolute,
            top: Val::Px(0.0),
            left: Val::Px(0.0),
            width: Val::Percent(100.0),
            height: Val::Px(BANNER_HEIGHT_PX),
            justify_content: JustifyContent::Center,
            align_items: AlignItems::Center,
            ..default()
        },
        BackgroundColor(BANNER_RED),
        GlobalZIndex(1000),
        children![(
            Text::new(BANNER_TEXT),
            TextFont { font_size: FontSize::Px(16.0), ..default() },
            TextColor(Color::WHITE)
        )],
    ));
}
