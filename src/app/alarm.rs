//! Safety events are loud: a hit on a structure at risk, paraesthesia, blood in the hub,
//! or an intraneural injection (felt at once) puts a red alert in the middle of the
//! window. Until the trainee acknowledges it (Enter or the button), no key or click
//! reaches the needle (`live` is false), and whatever was queued behind the event was
//! dropped (`Sim::record`), so a held Up key stops where the alarm found the needle.

use bevy::prelude::*;

use super::AppState;
use super::keys::KeyPresses;
use super::sim::Sim;
use super::ui;

#[derive(Component)]
struct AlarmPanel;
#[derive(Component)]
struct AlarmText;
#[derive(Component)]
struct Acknowledge;

pub fn plugin(app: &mut App) {
    app.add_systems(Startup, spawn).add_systems(Update, (acknowledge, show).chain());
}

fn spawn(mut commands: Commands) {
    commands
        .spawn((AlarmPanel, Visibility::Hidden, ui::tinted_overlay(Color::srgba(0.3, 0.0, 0.0, 0.35), 850)))
        .with_children(|p| {
            p.spawn((
                Node {
                    width: Val::Px(620.0),
                    flex_direction: FlexDirection::Column,
                    align_items: AlignItems::Center,
                    row_gap: Val::Px(14.0),
                    padding: UiRect::all(Val::Px(20.0)),
                    border: UiRect::all(Val::Px(4.0)),
                    ..default()
                },
                BackgroundColor(Color::srgb(0.55, 0.02, 0.02)),
                BorderColor::all(Color::srgb(1.0, 0.85, 0.2)),
            ))
            .with_children(|b| {
                b.spawn((AlarmText, ui::colored("", 20.0, Color::WHITE)));
                b.spawn(ui::button(Acknowledge, "I have stopped: acknowledge (Enter)", 17.0));
            });
        });
}

fn acknowledge(
    keys: Res<KeyPresses>,
    q: Query<&Interaction, (With<Acknowledge>, Changed<Interaction>)>,
    state: Res<State<AppState>>,
    mut sim: ResMut<Sim>,
) {
    if sim.alarm.is_none() {
        return;
    }
    // Only the procedure shows it; a replay or the debrief never waits on it.
    if *state.get() != AppState::Procedure {
        sim.acknowledge();
        return;
    }
    let enter = keys.presses.iter().any(|p| matches!(p.key, KeyCode::Enter | KeyCode::NumpadEnter) && !p.repeat);
    if enter || q.iter().any(|i| *i == Interaction::Pressed) {
        sim.acknowledge();
    }
}

fn show(
    sim: Res<Sim>,
    mut panel: Query<&mut Visibility, With<AlarmPanel>>,
    mut text: Query<&mut Text, With<AlarmText>>,
) {
    if !sim.is_changed() {
        return;
    }
    for mut v in &mut panel {
        v.set_if_neq(if sim.alarm.is_some() { Visibility::Inherited } else { Visibility::Hidden });
    }
    if let Some(a) = &sim.alarm {
        let mut s =
            format!("STOP\n\n{}\n\n{}\n\n(at {:.0} s; the event is in the session log)", a.title, a.detail, a.time_s);
        if a.dropped > 0 {
            s += &format!("\n{} queued needle move(s) or push(es) were not done.", a.dropped);
        }
        for mut t in &mut text {
            ui::set(&mut t, s.clone());
        }
    }
}
