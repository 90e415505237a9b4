//! The labelled teaching view: the landmarks a trainee must find on an AP hip image, named
//! beside where they project (`fluorohip shoot --labels`, the monitor's Y overlay).

use glam::DVec3;

use super::detector::Frame;
use super::font;
use super::geometry::Geometry;
use crate::sim::anatomy::Patient;

/// A named point to show on the image.
#[derive(Clone, Debug, PartialEq)]
pub struct TeachingLabel {
    pub name: &'static str,
    pub at: DVec3,
}

/// The names of [`teaching_landmarks`], in its order.
pub const NAMES: [&str; 10] = [
    "TARGET",
    "FEMORAL HEAD",
    "NECK",
    "GREATER TROCHANTER",
    "LESSER TROCHANTER",
    "SOURCIL",
    "TEARDROP",
    "OBTURATOR FORAMEN",
    "ILIOISCHIAL LINE",
    "ILIOPECTINEAL LINE",
];

/// The landmarks of FIDELITY.md §1 a trainee must recognise, where the patient's shapes put
/// them (patient mm). Structures at risk are not here: they do not show on an X-ray.
pub fn teaching_landmarks(p: &Patient) -> Vec<TeachingLabel> {
    let m = &p.morphometry;
    let r_h = p.params.femoral_head_diameter_mm / 2.0;
    let at = [
        p.landmarks.target,
        DVec3::new(0.0, 0.0, 0.45 * r_h),
        m.neck_mid - p.neck_axis * 6.0,
        p.landmarks.greater_trochanter_tip - DVec3::Z * 6.0,
        m.lesser_trochanter,
        DVec3::Z * (m.socket_radius_mm + 1.5),
        m.teardrop_lateral,
        m.obturator_foramen,
        m.ilioischial_line,
        m.iliopectineal_line,
    ];
    NAMES.iter().zip(at).map(|(name, at)| TeachingLabel { name, at }).collect()
}

/// Where a label was drawn: its name and the landmark's pixel; `None` for one outside the
/// exposed field or with no room.
#[derive(Clone, Debug, PartialEq)]
pub struct PlacedLabel {
    pub name: &'static str,
    pub pixel: Option<(usize, usize)>,
}

/// Burn the labels into `frame`: a small cross on each landmark in the exposed field and its
/// name beside it (right of it, or left near the right edge), stepped down past labels already
/// drawn so none overlaps another. Returns where each went.
pub fn burn_labels(frame: &mut Frame, g: &Geometry, labels: &[TeachingLabel]) -> Vec<PlacedLabel> {
    let n = frame.pixels;
    let scale = (n / 256).max(1);
    let line_h = 9 * scale;
    let mut taken: Vec<(usize, usize, usize, usize)> = Vec::new();
    let overlaps = |a: (usize, usize, usize, usize), b: &(usize, usize, usize, usize)| {
        a.0 < b.0 + b.2 && b.0 < a.0 + a.2 && a.1 < b.1 + b.3 && b.1 < a.1 + a.3
    };
    // Keep clear of the notice along the top and the caption along the bottom.
    let (top, bottom) = (11 * scale, n.saturating_sub(11 * scale));
    labels
        .iter()
        .map(|l| {
            let px = g
                .project_px(l.at)
                .filter(|(c, r)| *c >= 0.0 && *r >= 0.0)
                .map(|(c, r)| (c.round() as usize, r.round() as usize))
                .filter(|&(c, r)| c < n && r < n && frame.exposed_at(c, r));
            let Some((c, r)) = px else { return PlacedLabel { name: l.name, pixel: None } };
            let w = font::text_width(l.name, scale) + 2 * scale;
            let x = if c + 4 * scale + w < n { c + 4 * scale } else { c.saturating_sub(4 * scale + w) };
            let spot = (0..8)
                .flat_map(|k| [k as isize, -(k as isize)])
                .map(|k| r as isize - (4 * scale) as isize + k * line_h as isize)
                .filter(|y| *y >= top as isize && (*y as usize) + line_h <= bottom)
                .map(|y| (x, y as usize, w, line_h))
                .find(|rect| !taken.iter().any(|t| overlaps(*rect, t)));
            let Some(rect) = spot else { return PlacedLabel { name: l.name, pixel: None } };
            taken.push(rect);
            cross(frame, c, r, 3 * scale);
            font::draw_text(&mut frame.gray, n, rect.0 + scale, rect.1 + scale, l.name, scale);
            PlacedLabel { name: l.name, pixel: Some((c, r)) }
        })
        .collect()
}

/// A white cross with a dark outline, legible on bone and on soft tissue alike.
fn cross(frame: &mut Frame, c: usize, r: usize, arm: usize) {
    let n = frame.pixels;
    for (value, width) in [(0u8, 1isize), (255u8, 0isize)] {
        for d in -(arm as isize)..=(arm as isize) {
            for w in -width..=width {
                for (x, y) in [(c as isize + d, r as isize + w), (c as isize + w, r as isize + d)] {
                    if (0..n as isize).contains(&x) && (0..n as isize).contains(&y) {
                        frame.gray[y as usize * n + x as usize] = value;
                    }
                }
            }
        }
    }
}
