//! Shared pieces of the 2D interface: text, buttons that light up under the
//! pointer, full-screen pages, and the panels that belong to the 3D scene.

use bevy::prelude::*;

use super::in_scene;

pub const TEXT_COLOR: Color = Color::srgb(0.92, 0.93, 0.95);
pub const DIM: Color = Color::srgb(0.6, 0.62, 0.66);
pub const GOOD: Color = Color::srgb(0.3, 0.85, 0.4);
pub const WARN: Color = Color::srgb(1.0, 0.8, 0.25);
pub const BAD: Color = Color::srgb(1.0, 0.35, 0.3);
pub const PAGE: Color = Color::srgb(0.11, 0.12, 0.14);
pub const PANEL: Color = Color::srgba(0.0, 0.0, 0.0, 0.6);

const BUTTON: Color = Color::srgb(0.2, 0.23, 0.28);
const BUTTON_HOVER: Color = Color::srgb(0.28, 0.33, 0.4);
const BUTTON_PRESS: Color = Color::srgb(0.2, 0.45, 0.3);
/// A button showing the current choice.
pub const BUTTON_ON: Color = Color::srgb(0.16, 0.4, 0.62);

/// A panel that belongs to the 3D scene: shown in the procedure and the replay only.
#[derive(Component)]
pub struct SceneUi;

/// A button drawn as selected.
#[derive(Component)]
pub struct Selected;

/// A button with no background until the pointer is over it (checklist rows).
#[derive(Component)]
pub struct Flat;

pub fn plugin(app: &mut App) {
    app.add_systems(Update, (button_colors, scene_ui_visibility));
}

pub fn text(s: impl Into<String>, size: f32) -> (Text, TextFont, TextColor) {
    colored(s, size, TEXT_COLOR)
}

pub fn colored(s: impl Into<String>, size: f32, color: Color) -> (Text, TextFont, TextColor) {
    (Text::new(plain(s.into())), TextFont { font_size: FontSize::Px(size), ..default() }, TextColor(color))
}

/// Replace a text only when it changes: re-laying out text every frame is costly.
pub fn set(t: &mut Text, s: String) {
    let s = plain(s);
    if t.0 != s {
        t.0 = s;
    }
}

/// The built-in font has no dashes, degree or comparison signs: spell them out.
pub fn plain(s: String) -> String {
    if s.is_ascii() {
        return s;
    }
    s.replace(['\u{2013}', '\u{2014}', '\u{2212}'], "-")
        .replace('\u{2264}', "<=")
        .replace('\u{2265}', ">=")
        .replace('\u{b0}', " deg")
        .replace('\u{d7}', "x")
        .replace('\u{b7}', ".")
        .replace('\u{2192}', "->")
        .replace('\u{b1}', "+/-")
        .replace('\u{b5}', "u")
}

/// A button with a label; `tag` says what it does.
pub fn button(tag: impl Component, label: impl Into<String>, size: f32) -> impl Bundle {
    (
        tag,
        Button,
        Node {
            padding: UiRect::axes(Val::Px(10.0), Val::Px(4.0)),
            margin: UiRect::all(Val::Px(2.0)),
            justify_content: JustifyContent::Center,
            align_items: AlignItems::Center,
            border_radius: BorderRadius::all(Val::Px(4.0)),
            ..default()
        },
        BackgroundColor(BUTTON),
        children![text(label, size)],
    )
}

fn button_colors(mut q: Query<(&Interaction, &mut BackgroundColor, Has<Selected>, Has<Flat>), With<Button>>) {
    for (i, mut bg, on, flat) in &mut q {
        let c = match i {
            Interaction::Pressed => BUTTON_PRESS,
            Interaction::Hovered => BUTTON_HOVER,
            Interaction::None if on => BUTTON_ON,
            Interaction::None if flat => Color::NONE,
            Interaction::None => BUTTON,
        };
        bg.set_if_neq(BackgroundColor(c));
    }
}

/// A page covering the window below the banner.
pub fn page() -> impl Bundle {
    (
        Node {
            position_type: PositionType::Absolute,
            top: Val::Px(super::banner::BANNER_HEIGHT_PX),
            left: Val::Px(0.0),
            width: Val::Percent(100.0),
            bottom: Val::Px(0.0),
            flex_direction: FlexDirection::Column,
            padding: UiRect::all(Val::Px(14.0)),
            row_gap: Val::Px(8.0),
            ..default()
        },
        BackgroundColor(PAGE),
        GlobalZIndex(500),
    )
}

/// A dimmed layer over the whole window, its content centred (notice, pause).
pub fn overlay(alpha: f32, z: i32) -> impl Bundle {
    tinted_overlay(Color::srgba(0.0, 0.0, 0.0, alpha), z)
}

/// A layer of `color` over the whole window, its content centred (the safety alarm).
pub fn tinted_overlay(color: Color, z: i32) -> impl Bundle {
    (
        Node {
            position_type: PositionType::Absolute,
            width: Val::Percent(100.0),
            height: Val::Percent(100.0),
            justify_content: JustifyContent::Center,
            align_items: AlignItems::Center,
            ..default()
        },
        BackgroundColor(color),
        GlobalZIndex(z),
    )
}

/// A horizontal row of children.
pub fn row(gap: f32) -> Node {
    Node { flex_direction: FlexDirection::Row, column_gap: Val::Px(gap), align_items: AlignItems::Center, ..default() }
}

/// A vertical column of children.
pub fn column(width: Val, gap: f32) -> Node {
    Node { flex_direction: FlexDirection::Column, width, row_gap: Val::Px(gap), ..default() }
}

/// A scene panel that only the procedure shows (answers, rest, positioning): the replay
/// has its own controls, and these must not show through there.
#[derive(Component)]
pub struct ProcedureOnly;

fn scene_ui_visibility(
    state: Res<State<AppState>>,
    mut q: Query<(&mut Visibility, Has<ProcedureOnly>), With<SceneUi>>,
) {
    if !state.is_changed() {
        return;
    }
    let shown = in_scene(state);
    for (mut v, procedure_only) in &mut q {
        // Procedure-only panels start hidden: the procedure shows them when they apply.
        let on = shown && !procedure_only;
        v.set_if_neq(if on { Visibility::Inherited } else { Visibility::Hidden });
    }
}

use super::AppState;

#[cfg(test)]
mod tests {
    use super::plain;
    use crate::sim::procedure::Step;
    use crate::sim::{Scenario, Session, assessment, coach};

    /// Every text the window shows from the simulation must draw in the built-in font,
    /// which has ASCII only: a new dash or sign would show as an empty box.
    #[test]
    fn the_simulations_words_render_in_the_built_in_font() {
        let scenario = Scenario::default();
        let mut session = Session::new(scenario.clone(), 3).unwrap();
        for a in assessment::expert_actions(&scenario) {
            session.apply(a).unwrap();
        }
        let r = assessment::report(&session);
        let mut texts: Vec<String> = Vec::new();
        texts.extend(r.score.items.iter().flat_map(|i| [i.group.clone(), i.item.clone(), i.detail.clone()]));
        texts.extend(r.timeline.iter().map(|t| t.what.clone()));
        texts.extend(r.practise_next.clone());
        texts.extend(Step::ALL.iter().flat_map(|s| [s.label().to_string(), coach::why(*s).to_string()]));
        for s in Scenario::shipped() {
            texts.push(s.title.clone());
            texts.push(s.description.clone());
            texts.extend(s.learning_objectives.clone());
        }
        for t in texts {
            let p = plain(t.clone());
            assert!(p.is_ascii(), "{t:?} becomes {p:?}: map its non-ASCII characters in ui::plain");
        }
    }
}
