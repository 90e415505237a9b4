//! The startup notice: a teaching simulator on synthetic data, not for clinical use,
//! acknowledged with a click or a key before anything else.

use bevy::prelude::*;

use super::{AppOptions, AppState};

pub fn plugin(app: &mut App) {
    app.add_systems(OnEnter(AppState::Notice), spawn)
        .add_systems(Update, acknowledge.run_if(in_state(AppState::Notice)));
}

fn spawn(mut commands: Commands, options: Res<AppOptions>) {
    let text = format!(
        "fluorohip: fluoroscopically guided hip joint injection\n\n\
         This is a TEACHING SIMULATOR on a SYNTHETIC patient.\n\
         NOT FOR CLINICAL USE. Its anatomy, images, doses and scores are\n\
         approximations for education and must not guide the care of any patient.\n\n\
         Press Enter or click to acknowledge and choose a case.{}",
        if options.demo.is_some() { "\n\n(Demo mode: a script stands in for the trainee.)" } else { "" }
    );
    commands.spawn((
        DespawnOnExit(AppState::Notice),
        super::ui::overlay(0.85, 900),
        children![(
            Node { padding: UiRect::all(Val::Px(28.0)), max_width: Val::Px(760.0), ..default() },
            BackgroundColor(Color::srgb(0.16, 0.17, 0.2)),
            children![(
                Text::new(text),
                TextFont { font_size: FontSize::Px(20.0), ..default() },
                TextColor(Color::WHITE)
            )],
        )],
    ));
}

fn acknowledge(
    keys: Res<ButtonInput<KeyCode>>,
    mouse: Res<ButtonInput<MouseButton>>,
    options: Res<AppOptions>,
    mut next: ResMut<NextState<AppState>>,
) {
    // Demo mode acknowledges for the script, which stands in for the trainee.
    if options.demo.is_some()
        || keys.any_just_pressed([KeyCode::Enter, KeyCode::Space, KeyCode::NumpadEnter])
        || mouse.just_pressed(MouseButton::Left)
    {
        next.set(AppState::Chooser);
    }
}
