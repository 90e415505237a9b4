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

/// Where a label was drawn: its name, the landmark's pixel and the name's box (x, y, width,
/// height in pixels); `None` for one outside the exposed field or with no room.
#[derive(Clone, Debug, PartialEq)]
pub struct PlacedLabel {
    pub name: &'static str,
    pub pixel: Option<(usize, usize)>,
    pub name_box: Option<(usize, usize, usize, usize)>,
}

/// Where each name goes for landmarks at `pixels` (None: not shown) on an `n`-pixel image with
/// text `scale`: level with its landmark, right of it or else left of it; failing both, the
/// nearest free row above or below, on either side. No two boxes overlap and every box keeps
/// clear of the notice along the top and the caption along the bottom.
pub fn place_names(
    names: &[&str],
    pixels: &[Option<(usize, usize)>],
    n: usize,
    scale: usize,
) -> Vec<Option<(usize, usize, usize, usize)>> {
    let sizes: Vec<(usize, usize)> =
        names.iter().map(|name| (font::text_width(name, scale) + 2 * scale, 9 * scale)).collect();
    let room = Room {
        gap: 4 * scale,
        rise: 4 * scale,
        top: 11 * scale,
        bottom: n.saturating_sub(11 * scale),
        width: n,
        mark: 3 * scale,
    };
    place_boxes(&sizes, pixels, &room, &[])
}

/// Where name boxes may go: `gap` pixels beside their point, their top `rise` pixels above the
/// point's row when level with it, between rows `top` and `bottom` and columns 0 and `width`,
/// and never over the mark drawn on any point (a square reaching `mark` pixels from it).
#[derive(Clone, Copy, Debug)]
pub struct Room {
    pub gap: usize,
    pub rise: usize,
    pub top: usize,
    pub bottom: usize,
    pub width: usize,
    pub mark: usize,
}

/// [`place_names`] for boxes of any size (width, height), as the window's overlay measures its
/// text: each box level with its point, right of it or else left; failing both, the nearest
/// free row (a box's height at a time) above or below. Boxes are placed in order, none over an
/// earlier one, any point's mark or `reserved` (other writing on the image); one with no room
/// within 7 rows is not shown.
pub fn place_boxes(
    sizes: &[(usize, usize)],
    pixels: &[Option<(usize, usize)>],
    room: &Room,
    reserved: &[(usize, usize, usize, usize)],
) -> Vec<Option<(usize, usize, usize, usize)>> {
    let overlaps = |a: &(usize, usize, usize, usize), b: &(usize, usize, usize, usize)| {
        a.0 < b.0 + b.2 && b.0 < a.0 + a.2 && a.1 < b.1 + b.3 && b.1 < a.1 + a.3
    };
    let marks = pixels.iter().flatten().map(|&(c, r)| {
        let (x, y) = (c.saturating_sub(room.mark), r.saturating_sub(room.mark));
        (x, y, c + room.mark + 1 - x, r + room.mark + 1 - y)
    });
    let mut taken: Vec<(usize, usize, usize, usize)> = reserved.iter().copied().chain(marks).collect();
    sizes
        .iter()
        .zip(pixels)
        .map(|(&(w, h), px)| {
            let (c, r) = (*px)?;
            let right = (c + room.gap + w <= room.width).then_some(c + room.gap);
            let left = c.checked_sub(room.gap + w);
            let spot = (0..8)
                .flat_map(|k| if k == 0 { vec![0] } else { vec![k as isize, -(k as isize)] })
                .flat_map(|k| [right, left].into_iter().flatten().map(move |x| (x, k)))
                .map(|(x, k)| (x, r as isize - room.rise as isize + k * h as isize))
                .filter(|(_, y)| *y >= room.top as isize && (*y as usize) + h <= room.bottom)
                .map(|(x, y)| (x, y as usize, w, h))
                .find(|rect| !taken.iter().any(|t| overlaps(rect, t)))?;
            taken.push(spot);
            Some(spot)
        })
        .collect()
}

/// Burn the labels into `frame`: a small cross on each landmark in the exposed field and its
/// name beside it ([`place_names`]); a name that had to move off its landmark's row is joined
/// to the cross by a thin leader line, so it is never read against the wrong point. Returns
/// where each went.
pub fn burn_labels(frame: &mut Frame, g: &Geometry, labels: &[TeachingLabel]) -> Vec<PlacedLabel> {
    let n = frame.pixels;
    let scale = (n / 256).max(1);
    let pixels: Vec<Option<(usize, usize)>> = labels
        .iter()
        .map(|l| {
            g.project_px(l.at)
                .filter(|(c, r)| *c >= 0.0 && *r >= 0.0)
                .map(|(c, r)| (c.round() as usize, r.round() as usize))
                .filter(|&(c, r)| c < n && r < n && frame.exposed_at(c, r))
        })
        .collect();
    let names: Vec<&str> = labels.iter().map(|l| l.name).collect();
    let boxes = place_names(&names, &pixels, n, scale);
    // Leaders first, so crosses and names are drawn over them.
    for (px, b) in pixels.iter().zip(&boxes) {
        if let (Some((c, r)), Some((x, y, w, h))) = (px, b)
            && !(*y..*y + *h).contains(r)
        {
            leader(frame, (*c, *r), leader_end((*x, *y, *w, *h), *c, *r), 3 * scale + 1);
        }
    }
    labels
        .iter()
        .zip(pixels.iter().zip(&boxes))
        .map(|(l, (px, b))| match (px, b) {
            (Some((c, r)), Some(rect)) => {
                cross(frame, *c, *r, 3 * scale);
                font::draw_text(&mut frame.gray, n, rect.0 + scale, rect.1 + scale, l.name, scale);
                PlacedLabel { name: l.name, pixel: Some((*c, *r)), name_box: Some(*rect) }
            }
            _ => PlacedLabel { name: l.name, pixel: None, name_box: None },
        })
        .collect()
}

/// Where a leader from a landmark at (`c`, `r`) meets its name's box: the box's corner nearest
/// the landmark (the name is drawn over the box, so the line stops at its edge).
pub fn leader_end(name_box: (usize, usize, usize, usize), c: usize, r: usize) -> (usize, usize) {
    let (x, y, w, h) = name_box;
    let edge_x = if x > c { x } else { x + w - 1 };
    let edge_y = if y + h <= r { y + h - 1 } else { y };
    (edge_x, edge_y)
}

/// A white line with a dark outline from `a` to `b`, leaving `skip` pixels clear round `a`
/// (the cross).
fn leader(frame: &mut Frame, a: (usize, usize), b: (usize, usize), skip: usize) {
    let n = frame.pixels as isize;
    let (dx, dy) = (b.0 as f64 - a.0 as f64, b.1 as f64 - a.1 as f64);
    let steps = dx.abs().max(dy.abs()).ceil() as usize;
    let points: Vec<(isize, isize)> = (0..=steps)
        .map(|k| {
            let t = k as f64 / steps.max(1) as f64;
            ((a.0 as f64 + dx * t).round() as isize, (a.1 as f64 + dy * t).round() as isize)
        })
        .filter(|(x, y)| (x - a.0 as isize).abs().max((y - a.1 as isize).abs()) > skip as isize)
        .collect();
    for (value, width) in [(0u8, 1isize), (255u8, 0isize)] {
        for &(x, y) in &points {
            for (ox, oy) in [(0, 0), (width, 0), (-width, 0), (0, width), (0, -width)] {
                let (x, y) = (x + ox, y + oy);
                if (0..n).contains(&x) && (0..n).contains(&y) {
                    frame.gray[(y * n + x) as usize] = value;
                }
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Crowded landmarks get names that never overlap, stay inside the image clear of the
    /// notice and caption, sit level with their point whenever either side of that row is free,
    /// and go to the other side before they leave their row.
    #[test]
    fn names_do_not_overlap_and_stay_level_with_their_point_where_they_can() {
        let n = 512;
        let names = ["ILIOPECTINEAL LINE", "ILIOISCHIAL LINE", "TEARDROP", "SOURCIL", "FEMORAL HEAD", "NECK"];
        // Two points near the right edge on nearby rows, others scattered.
        let pixels = [Some((470, 186)), Some((435, 205)), Some((390, 320)), Some((255, 130)), Some((100, 203)), None];
        let boxes = place_names(&names, &pixels, n, 2);
        assert!(boxes[5].is_none(), "a point off the image gets no name");
        let shown: Vec<_> = boxes.iter().flatten().collect();
        assert_eq!(shown.len(), 5);
        for (i, a) in shown.iter().enumerate() {
            assert!(a.0 + a.2 <= n && a.1 >= 22 && a.1 + a.3 <= n - 22, "{a:?} leaves the image or covers the text");
            for &(c, r) in pixels.iter().flatten() {
                // The cross reaches 3 × scale = 6 pixels from its point.
                let clear = c + 6 < a.0 || c >= a.0 + a.2 + 6 || r + 6 < a.1 || r >= a.1 + a.3 + 6;
                assert!(clear, "{a:?} covers the cross at ({c}, {r})");
            }
            for b in &shown[i + 1..] {
                assert!(
                    a.0 + a.2 <= b.0 || b.0 + b.2 <= a.0 || a.1 + a.3 <= b.1 || b.1 + b.3 <= a.1,
                    "{a:?} and {b:?}"
                );
            }
        }
        let level = |k: usize| {
            let (b, (_, r)) = (boxes[k].unwrap(), pixels[k].unwrap());
            (b.1..b.1 + b.3).contains(&r)
        };
        // The first point near the right edge: its name goes left of it, on its row.
        let (b0, (c0, _)) = (boxes[0].unwrap(), pixels[0].unwrap());
        assert!(level(0) && b0.0 + b0.2 < c0, "{b0:?}");
        // The second, just below, is level too (left of it, under the first name). The femoral
        // head's, near the left edge, has no room left of it and runs into both names to the
        // right on its row and the rows next to it: it moves. The rest have room on their rows.
        assert!(!level(4), "{:?}", boxes[4]);
        for k in [1, 2, 3] {
            assert!(level(k), "{} moved off its row: {:?}", names[k], boxes[k]);
        }
    }
}
