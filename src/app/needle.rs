//! The needle in the trainee's hands: click the skin to choose the entry (or, after
//! F5 or the checklist's pulse step, to mark the femoral pulse); aim with the arrow
//! keys, insert (N), advance and withdraw (Up/Down, Shift for 5 mm), redirect (R),
//! turn the bevel (B), remove (X); set the volume and rate to push (- +, , .) and
//! inject local anaesthetic (L), contrast (K) or the drug mix (J). The needle is drawn
//! along its true, bent path; before insertion, the entry and the planned path.

use bevy::prelude::*;
use glam::DVec3;

use super::keys::KeyPresses;
use super::sim::{NeedleView, Sim};
use super::{AppState, Paused, dir_to_world, in_scene, live, to_patient, to_world};
use crate::sim::Session;
use crate::sim::injection::Fluid;
use crate::sim::session::{Action, PointRef};
use crate::sim::{Mode, Position};

/// The planned entry point and aim, before and between insertions.
#[derive(Resource, Default)]
pub struct Aim {
    /// Entry point on the skin (patient mm), if the trainee picked one.
    pub entry: Option<DVec3>,
    /// Tilt of the aim from straight in: toward the patient's left (+) and head (+), degrees.
    pub medial_deg: f64,
    pub cranial_deg: f64,
}

impl Aim {
    /// The aim direction in patient coordinates.
    pub fn direction(&self, position: Position) -> DVec3 {
        let inward = match position {
            Position::Supine => DVec3::Y,
            Position::Prone => -DVec3::Y,
        };
        let (m, c) = (self.medial_deg.to_radians(), self.cranial_deg.to_radians());
        (inward + DVec3::X * m.tan() + DVec3::Z * c.tan()).normalize()
    }
}

/// What the next click on the skin does.
#[derive(Resource, Default, Clone, Copy, PartialEq, Eq, Debug)]
pub enum PickMode {
    /// Choose the needle's entry point (only with no needle in).
    #[default]
    Entry,
    /// Mark the femoral pulse where it is felt (F5 or the checklist's step arms it).
    Pulse,
}

/// Where the femoral pulse was marked on the skin (patient mm), read from the session.
#[derive(Resource, Default)]
pub struct PulseMark(pub Option<DVec3>);

/// How much one injection press pushes, and how fast; the trainee sets both.
#[derive(Resource, Clone, Copy, Debug, PartialEq)]
pub struct PushSettings {
    pub volume_ml: f64,
    pub rate_ml_s: f64,
}

impl Default for PushSettings {
    fn default() -> Self {
        PushSettings { volume_ml: 1.0, rate_ml_s: 0.5 }
    }
}

/// The volumes one press can push (ml).
pub const VOLUMES_ML: [f64; 8] = [0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 8.0, 10.0];
/// The rates a push can go at (ml/s).
pub const RATES_ML_S: [f64; 5] = [0.1, 0.2, 0.5, 1.0, 2.0];

/// The next value in `steps` up (`up`) or down from `v`.
pub fn step_in(steps: &[f64], v: f64, up: bool) -> f64 {
    if up {
        steps.iter().copied().find(|s| *s > v + 1e-9).unwrap_or(steps[steps.len() - 1])
    } else {
        steps.iter().rev().copied().find(|s| *s < v - 1e-9).unwrap_or(steps[0])
    }
}

/// The needle's colour in the 3D view (what the screenshot test looks for).
pub const NEEDLE_COLOR: Color = Color::srgb(0.0, 1.0, 1.0);
/// The marked pulse, drawn on the skin.
pub const PULSE_COLOR: Color = Color::srgb(1.0, 0.15, 0.35);

pub fn plugin(app: &mut App) {
    input(app);
    app.add_systems(Startup, |mut store: ResMut<GizmoConfigStore>| {
        // The needle and C-arm lines show through the translucent tissues.
        let (config, _) = store.config_mut::<DefaultGizmoConfigGroup>();
        config.depth_bias = -1.0;
        config.line.width = 3.0;
    })
    .add_systems(Update, (draw.run_if(in_scene), ghost.run_if(in_state(AppState::Procedure))).after(controls));
}

/// The needle's state and keys, without drawing (the ECS tests use this alone).
pub(super) fn input(app: &mut App) {
    app.init_resource::<Aim>()
        .init_resource::<PickMode>()
        .init_resource::<PulseMark>()
        .init_resource::<PushSettings>()
        .add_systems(Update, (reset_aim, pulse_mark, controls.run_if(live)).chain());
}

/// A new session starts with no entry chosen, the needle aimed straight in, nothing to mark
/// and the push settings back to their defaults.
fn reset_aim(
    sim: Res<Sim>,
    mut aim: ResMut<Aim>,
    mut mode: ResMut<PickMode>,
    mut push: ResMut<PushSettings>,
    mut seen: Local<u64>,
) {
    if *seen != sim.generation {
        *seen = sim.generation;
        *aim = Aim::default();
        *mode = PickMode::Entry;
        *push = PushSettings::default();
    }
}

/// The last place the pulse was marked, from the session's own log (so a resumed
/// session and the replay show it too).
fn pulse_mark(sim: Res<Sim>, mut mark: ResMut<PulseMark>, mut seen: Local<u64>) {
    if *seen == sim.version {
        return;
    }
    *seen = sim.version;
    let Some(s) = sim.session() else { return };
    if !s.steps().iter().any(|(step, _)| *step == crate::sim::procedure::Step::MarkFemoralPulse) {
        mark.0 = None;
        return;
    }
    mark.0 = s.log().actions.iter().rev().find_map(|a| match a {
        Action::MarkPulse { at } => Some(at.resolve(s.patient())),
        _ => None,
    });
}

/// One press of an injection key (or its checklist button), at the trainee's settings.
pub fn inject(fluid: Fluid, push: &PushSettings) -> Action {
    Action::Inject { fluid, volume_ml: push.volume_ml, rate_ml_s: Some(push.rate_ml_s) }
}

/// Seconds of push between two live frames while the pedal is held during an injection.
pub const LIVE_FRAME_S: f64 = 0.5;

/// A push under live fluoroscopy (the pedal held): the volume in chunks of LIVE_FRAME_S each,
/// every chunk with its frame, so the monitor shows the spread developing frame by frame.
pub fn inject_live(fluid: Fluid, push: &PushSettings) -> Vec<Action> {
    let chunk_ml = (push.rate_ml_s * LIVE_FRAME_S).max(0.05);
    let mut left = push.volume_ml;
    let mut out = Vec::new();
    while left > 1e-9 {
        let v = left.min(chunk_ml);
        out.push(Action::InjectUnderFluoro {
            fluid,
            volume_ml: v,
            rate_ml_s: Some(push.rate_ml_s),
            frame_every_s: Some(LIVE_FRAME_S),
        });
        left -= v;
    }
    out
}

/// Fluid names as the window shows them.
pub fn fluid_name(f: Fluid) -> &'static str {
    match f {
        Fluid::LocalAnaesthetic => "anaesthetic",
        Fluid::Contrast => "contrast",
        Fluid::DrugMix => "drug mix",
    }
}

/// Angles of a needle direction (patient coordinates) to the C-arm's central ray and to
/// the vertical, in degrees: 0 to the beam is "down the barrel".
pub fn angles(session: &Session, dir: DVec3) -> (f64, f64) {
    let pos = session.position();
    let g = session.state().fluoroscope.geometry(pos);
    let d = dir.normalize_or_zero();
    let to_beam = d.dot(g.beam.normalize_or_zero()).abs().clamp(0.0, 1.0).acos().to_degrees();
    let up = dir_to_world(d, pos);
    let to_vertical = (up.y.abs() as f64).clamp(0.0, 1.0).acos().to_degrees();
    (to_beam, to_vertical)
}

/// The aim readout: the needle's (or, before insertion, the planned) angles.
pub fn aim_readout(session: &Session, aim: &Aim) -> String {
    match session.state().needle {
        Some(n) => {
            let (b, v) = angles(session, n.tip_direction());
            format!("needle: {b:.0} deg to beam, {v:.0} deg to vertical")
        }
        None => {
            let (b, v) = angles(session, aim.direction(session.position()));
            format!(
                "aim: {b:.0} deg to beam, {v:.0} deg to vertical\n  (tilt {:+.0} deg left, {:+.0} deg head)",
                aim.medial_deg, aim.cranial_deg
            )
        }
    }
}

/// The colour of the planned path to the target (learning mode only).
pub const GHOST_COLOR: Color = Color::srgba(0.3, 1.0, 0.45, 0.55);

/// Learning mode: a ghost of the planned trajectory, from the approach's skin entry to the target.
fn ghost(mut gizmos: Gizmos, sim: Res<Sim>) {
    let Some(s) = sim.session() else { return };
    if s.scenario().mode != Mode::Learning {
        return;
    }
    let pos = s.position();
    let (target, entry) = s.scenario().approach();
    let (t, e) = (s.patient().landmarks.get(target), s.patient().landmarks.get(entry));
    // Dashed, and carried 30 mm out of the skin so the line can be sighted along.
    let out = e + (e - t).normalize() * 30.0;
    let n = 24;
    for k in (0..n).step_by(2) {
        let a = out + (t - out) * (k as f64 / n as f64);
        let b = out + (t - out) * ((k + 1) as f64 / n as f64);
        gizmos.line(to_world(a, pos), to_world(b, pos), GHOST_COLOR);
    }
    gizmos.sphere(Isometry3d::from_translation(to_world(t, pos)), 0.004, GHOST_COLOR);
}

/// A click on the skin: marks the pulse when that is armed, else (with no needle in)
/// chooses the entry point. Right-drags (orbiting) and clicks through a panel do nothing.
pub fn pick_entry(
    click: On<Pointer<Click>>,
    mut sim: ResMut<Sim>,
    mut aim: ResMut<Aim>,
    mut mode: ResMut<PickMode>,
    state: Res<State<AppState>>,
    paused: Res<Paused>,
) {
    if click.button != PointerButton::Primary || *state.get() != AppState::Procedure || paused.0 {
        return;
    }
    if sim.alarm.is_some() {
        return;
    }
    let Some(p) = click.hit.position else { return };
    let Some(session) = sim.session() else { return };
    let p = to_patient(p, session.position());
    let needle_in = session.state().needle.is_some();
    match *mode {
        PickMode::Pulse => {
            *mode = PickMode::Entry;
            sim.push(Action::MarkPulse { at: PointRef::Xyz(p.to_array()) });
        }
        PickMode::Entry if !needle_in => aim.entry = Some(p),
        PickMode::Entry => {}
    }
}

pub(super) fn controls(
    keys: Res<KeyPresses>,
    held: Res<ButtonInput<KeyCode>>,
    mut sim: ResMut<Sim>,
    mut aim: ResMut<Aim>,
    mut push: ResMut<PushSettings>,
) {
    // While a shot is traced the session is away: the view kept for it stands in, so keys
    // pressed meanwhile queue behind the shot instead of being lost.
    let Some(view) = sim.session().map(NeedleView::of).or_else(|| sim.during_shot.clone()) else { return };
    let position = view.position;
    let mut actions = Vec::new();
    // Whether a needle is in once the actions queued so far have happened.
    let mut needle_in = view.needle_in;
    let mut pushed_live = false;
    let tip = view.tip;
    for p in &keys.presses {
        let step = if p.shift { 5.0 } else { 1.0 };
        match p.key {
            KeyCode::ArrowLeft => aim.medial_deg = (aim.medial_deg - 2.0).clamp(-40.0, 40.0),
            KeyCode::ArrowRight => aim.medial_deg = (aim.medial_deg + 2.0).clamp(-40.0, 40.0),
            KeyCode::PageUp => aim.cranial_deg = (aim.cranial_deg + 2.0).clamp(-40.0, 40.0),
            KeyCode::PageDown => aim.cranial_deg = (aim.cranial_deg - 2.0).clamp(-40.0, 40.0),
            // Held Up or Down keeps moving the needle (the key repeats); an alarm drops
            // whatever is queued behind it and stops this system until acknowledged.
            KeyCode::ArrowUp if needle_in => actions.push(Action::Advance { mm: step }),
            KeyCode::ArrowDown if needle_in => actions.push(Action::Withdraw { mm: step }),
            _ if p.repeat => {}
            KeyCode::KeyN if !needle_in => {
                let entry = aim.entry.unwrap_or(view.default_entry);
                let toward = entry + aim.direction(position) * 50.0;
                actions.push(Action::InsertNeedle {
                    entry: PointRef::Xyz(entry.to_array()),
                    toward: PointRef::Xyz(toward.to_array()),
                });
                needle_in = true;
            }
            KeyCode::KeyR if needle_in => {
                if let Some(tip) = tip {
                    let toward = tip + aim.direction(position) * 50.0;
                    actions.push(Action::Redirect { toward: PointRef::Xyz(toward.to_array()), withdraw_mm: None });
                }
            }
            KeyCode::KeyB if needle_in => actions.push(Action::RotateBevel { deg: 90.0 }),
            KeyCode::KeyX if needle_in => {
                actions.push(Action::RemoveNeedle);
                needle_in = false;
            }
            // With the pedal held the push goes in under live fluoroscopy.
            KeyCode::KeyL | KeyCode::KeyK | KeyCode::KeyJ if needle_in => {
                let fluid = match p.key {
                    KeyCode::KeyL => Fluid::LocalAnaesthetic,
                    KeyCode::KeyK => Fluid::Contrast,
                    _ => Fluid::DrugMix,
                };
                if held.pressed(KeyCode::Space) {
                    actions.extend(inject_live(fluid, &push));
                    pushed_live = true;
                } else {
                    actions.push(inject(fluid, &push));
                }
            }
            KeyCode::Minus | KeyCode::NumpadSubtract => push.volume_ml = step_in(&VOLUMES_ML, push.volume_ml, false),
            KeyCode::Equal | KeyCode::NumpadAdd => push.volume_ml = step_in(&VOLUMES_ML, push.volume_ml, true),
            KeyCode::Comma => push.rate_ml_s = step_in(&RATES_ML_S, push.rate_ml_s, false),
            KeyCode::Period => push.rate_ml_s = step_in(&RATES_ML_S, push.rate_ml_s, true),
            // The pedal: each tap is one shot.
            KeyCode::Space => actions.push(Action::Fluoro { seconds: 0.5 }),
            _ => {}
        }
    }
    // Held, the pedal gives shot after shot (pulsed fluoroscopy).
    if keys.count(KeyCode::Space) == 0 && held.pressed(KeyCode::Space) && sim.idle() && !pushed_live {
        actions.push(Action::Fluoro { seconds: 0.5 });
    }
    for a in actions {
        sim.push(a);
    }
}

/// The needle along its path (hub to tip), the tip marked; before insertion, the chosen
/// entry, the needle held over it and the path it would take; the marked pulse.
fn draw(mut gizmos: Gizmos, sim: Res<Sim>, aim: Res<Aim>, pulse: Res<PulseMark>, mut cached: Local<Vec<Vec3>>) {
    if let Some(session) = sim.session() {
        let pos = session.position();
        let up = dir_to_world(
            match pos {
                Position::Supine => -DVec3::Y,
                Position::Prone => DVec3::Y,
            },
            pos,
        );
        let flat = Quat::from_rotation_arc(Vec3::Z, up);
        cached.clear();
        match session.state().needle {
            Some(n) => cached.extend(n.drawn_path().points.iter().map(|p| to_world(*p, pos))),
            None => {
                if let Some(e) = aim.entry {
                    let d = dir_to_world(aim.direction(pos), pos);
                    let w = to_world(e, pos);
                    // The needle held above the skin, ready to go in.
                    gizmos.line(w - d * 0.09, w, Color::srgba(0.0, 1.0, 1.0, 0.6));
                    // Where it would go, dashed, for the length of the needle on the tray.
                    let len = session.state().selected_needle.spec().length_mm as f32 * 0.001;
                    let n = 16;
                    for k in (0..n).step_by(2) {
                        let a = w + d * len * k as f32 / n as f32;
                        let b = w + d * len * (k + 1) as f32 / n as f32;
                        gizmos.line(a, b, Color::srgba(0.6, 1.0, 1.0, 0.8));
                    }
                    gizmos.sphere(Isometry3d::from_translation(w), 0.003, NEEDLE_COLOR);
                    gizmos.circle(Isometry3d::new(w + up * 0.001, flat), 0.008, NEEDLE_COLOR);
                }
            }
        }
        if let Some(p) = pulse.0 {
            let w = to_world(p, pos) + up * 0.001;
            gizmos.circle(Isometry3d::new(w, flat), 0.006, PULSE_COLOR);
            let (a, b) = (flat * Vec3::X * 0.006, flat * Vec3::Y * 0.006);
            gizmos.line(w - a, w + a, PULSE_COLOR);
            gizmos.line(w - b, w + b, PULSE_COLOR);
        }
    }
    if cached.len() >= 2 {
        gizmos.linestrip(cached.iter().copied(), NEEDLE_COLOR);
        if let Some(tip) = cached.last() {
            gizmos.sphere(Isometry3d::from_translation(*tip), 0.002, Color::srgb(1.0, 0.2, 1.0));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_and_rate_step_through_their_lists_and_stop_at_the_ends() {
        assert_eq!(step_in(&VOLUMES_ML, 1.0, true), 2.0);
        assert_eq!(step_in(&VOLUMES_ML, 1.0, false), 0.5);
        assert_eq!(step_in(&VOLUMES_ML, 0.5, false), 0.5);
        assert_eq!(step_in(&VOLUMES_ML, 10.0, true), 10.0);
        assert_eq!(step_in(&RATES_ML_S, 0.5, true), 1.0);
    }
}
