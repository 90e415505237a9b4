//! Key presses read as events, in the order they happened, not sampled once a frame.
//!
//! Under software rendering a frame can take a second; a quick Shift+Up is then pressed
//! and released between two frames, and `ButtonInput::pressed(Shift)` is already false
//! when the frame looks. Reading the `KeyboardInput` messages in order keeps each press
//! with the modifiers held at that moment, so Shift+Up is always 5 mm.

use bevy::input::ButtonState;
use bevy::input::keyboard::KeyboardInput;
use bevy::prelude::*;

/// One key going down (or repeating while held), with Shift as it was at that moment.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KeyPress {
    pub key: KeyCode,
    pub shift: bool,
    /// The system's key repeat while the key is held, not a new press.
    pub repeat: bool,
}

/// This frame's key presses, in order. Systems that act on keys read this.
#[derive(Resource, Default, Debug)]
pub struct KeyPresses {
    pub presses: Vec<KeyPress>,
    shift_left: bool,
    shift_right: bool,
}

impl KeyPresses {
    /// Fresh presses of `key` this frame (repeats not counted).
    pub fn count(&self, key: KeyCode) -> usize {
        self.presses.iter().filter(|p| p.key == key && !p.repeat).count()
    }

    /// `key` was pressed this frame (repeats not counted).
    pub fn just(&self, key: KeyCode) -> bool {
        self.count(key) > 0
    }

    /// Take in one keyboard message (public so tests can feed them).
    pub fn take(&mut self, k: &KeyboardInput) {
        let down = k.state == ButtonState::Pressed;
        match k.key_code {
            KeyCode::ShiftLeft => self.shift_left = down,
            KeyCode::ShiftRight => self.shift_right = down,
            _ if down => self.presses.push(KeyPress {
                key: k.key_code,
                shift: self.shift_left || self.shift_right,
                repeat: k.repeat,
            }),
            _ => {}
        }
    }
}

pub fn plugin(app: &mut App) {
    app.init_resource::<KeyPresses>().add_systems(PreUpdate, collect.after(bevy::input::InputSystems));
}

fn collect(mut reader: MessageReader<KeyboardInput>, mut presses: ResMut<KeyPresses>) {
    presses.presses.clear();
    for k in reader.read() {
        presses.take(k);
    }
}
