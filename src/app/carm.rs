//! The C-arm drawn round the patient with its beam cone, following its pose; keys
//! move it and change field, collimation, pulse rate and display.

use bevy::prelude::*;

use super::sim::Sim;
use super::{in_scene, live, to_world};
use crate::sim::imaging::settings::{FieldSize, Polarity, PulseRate};
use crate::sim::session::Action;

pub fn plugin(app: &mut App) {
    app.add_systems(Update, (draw.run_if(in_scene), controls.run_if(live)));
}

const ANGLE_STEP_DEG: f64 = 5.0;

fn controls(keys: Res<super::keys::KeyPresses>, mut sim: ResMut<Sim>) {
    let Some(session) = sim.session() else { return };
    let f = session.state().fluoroscope;
    let (mut lao, mut cran) = (f.pose.lao_deg, f.pose.cranial_deg);
    let mut s = f.settings;
    let mut moved = false;
    let mut changed = false;
    // Every press counts, in order, however many came between two frames.
    for p in keys.presses.iter().filter(|p| !p.repeat) {
        match p.key {
            KeyCode::KeyA => lao -= ANGLE_STEP_DEG,
            KeyCode::KeyD => lao += ANGLE_STEP_DEG,
            KeyCode::KeyW => cran += ANGLE_STEP_DEG,
            KeyCode::KeyS => cran -= ANGLE_STEP_DEG,
            KeyCode::KeyF => {
                s.field = match s.field {
                    FieldSize::Cm23 => FieldSize::Cm15,
                    FieldSize::Cm15 => FieldSize::Cm11,
                    FieldSize::Cm11 => FieldSize::Cm23,
                }
            }
            KeyCode::KeyC => s.collimation.iris = (s.collimation.iris - 0.1).max(0.3),
            KeyCode::KeyV => s.collimation.iris = (s.collimation.iris + 0.1).min(1.0),
            KeyCode::KeyP => {
                s.pulse_rate = match s.pulse_rate {
                    PulseRate::Continuous => PulseRate::Pps15,
                    PulseRate::Pps15 => PulseRate::Pps7_5,
                    PulseRate::Pps7_5 => PulseRate::Pps3,
                    PulseRate::Pps3 => PulseRate::Continuous,
                }
            }
            KeyCode::KeyO => {
                s.polarity = match s.polarity {
                    Polarity::BoneBlack => Polarity::BoneWhite,
                    Polarity::BoneWhite => Polarity::BoneBlack,
                }
            }
            KeyCode::KeyM => s.low_dose = !s.low_dose,
            _ => continue,
        }
        if matches!(p.key, KeyCode::KeyA | KeyCode::KeyD | KeyCode::KeyW | KeyCode::KeyS) {
            moved = true;
        } else {
            changed = true;
        }
    }
    if moved {
        sim.push(Action::SetCArm {
            lao_deg: lao.clamp(-90.0, 90.0),
            cranial_deg: cran.clamp(-45.0, 45.0),
            isocentre: None,
        });
    }
    if changed {
        sim.push(Action::SetImaging { settings: s });
    }
}

/// The C-arm as lines: source housing, detector ring, the arc between them, the beam cone.
fn draw(mut gizmos: Gizmos, sim: Res<Sim>, mut cached: Local<Option<[Vec3; 8]>>) {
    if let Some(session) = sim.session() {
        let pos = session.position();
        let f = session.state().fluoroscope;
        let g = f.geometry(pos);
        let src = to_world(g.source, pos);
        let det = to_world(g.detector_centre, pos);
        let half = g.pixel_mm * g.pixels as f64 / 2.0 * f.settings.collimation.iris;
        let corner = |su: f64, sv: f64| to_world(g.detector_centre + g.e_u * (su * half) + g.e_v * (sv * half), pos);
        let offset = to_world(g.detector_centre + g.e_u * 400.0, pos) - det;
        *cached = Some([
            src,
            det,
            corner(1.0, 1.0),
            corner(-1.0, 1.0),
            corner(-1.0, -1.0),
            corner(1.0, -1.0),
            offset,
            Vec3::ZERO,
        ]);
    }
    let Some([src, det, c1, c2, c3, c4, offset, _]) = *cached else { return };
    // Faint, so the beam shows where it goes without hiding the field under it.
    let beam = Color::srgba(1.0, 0.9, 0.3, 0.22);
    for c in [c1, c2, c3, c4] {
        gizmos.line(src, c, beam);
    }
    gizmos.linestrip([c1, c2, c3, c4, c1], beam);
    let frame = Color::srgb(0.75, 0.78, 0.82);
    // The "C": from the source out to the side and round to the detector.
    let axis = (det - src).normalize_or_zero();
    let side = offset.normalize_or_zero() * 0.45;
    let arc: Vec<Vec3> = (0..=24)
        .map(|k| {
            let a = std::f32::consts::PI * k as f32 / 24.0;
            (src + det) / 2.0 - axis * a.cos() * (det - src).length() / 2.0 + side * a.sin()
        })
        .collect();
    gizmos.linestrip(arc, frame);
    gizmos.sphere(Isometry3d::from_translation(src), 0.05, frame);
    gizmos.circle(Isometry3d::new(det, Quat::from_rotation_arc(Vec3::Z, axis)), 0.15, frame);
}
