//! The fluoroscopy monitor beside the 3D view: the last image held between shots, with
//! the patient's orientation on its edges (R/L, H head / F feet). Tab enlarges it, Z
//! zooms into its centre (1x, 2x, 3x), and two clicks on it measure a distance, in mm
//! at the isocentre (the detector's pixel size divided by the magnification). In learning
//! mode Y names the target, the femoral nerve, artery and vein and the bony landmarks of the
//! labelled teaching view where they project, each name beside a cross on its point (with a
//! leader line where it had to move off the point's row), none over another.

use bevy::asset::RenderAssetUsages;
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};
use bevy::ui::RelativeCursorPosition;

use super::banner::BANNER_HEIGHT_PX;
use super::keys::KeyPresses;
use super::sim::Sim;
use super::{in_scene, live};
use crate::sim::anatomy::LandmarkName;
use crate::sim::imaging::geometry::{CArmPose, Geometry};
use crate::sim::imaging::labels;
use crate::sim::{Mode, Session};

/// The monitor's texture, reused for every image.
#[derive(Resource)]
pub struct Monitor {
    pub image: Handle<Image>,
    shown_version: u64,
}

/// How the trainee looks at the monitor.
#[derive(Resource, Default, Debug, PartialEq)]
pub struct MonitorView {
    pub large: bool,
    /// 1, 2 or 3.
    pub zoom: u32,
    /// Measuring points, in image pixels (column, row from the top), at most two.
    pub points: Vec<Vec2>,
    /// Learning mode: the target and the structures at risk named on the image (Y).
    pub landmarks: bool,
}

/// What the landmark overlay names on the image.
const ON_IMAGE: [(LandmarkName, &str); 4] = [
    (LandmarkName::Target, "target"),
    (LandmarkName::FemoralNerve, "femoral nerve"),
    (LandmarkName::FemoralArtery, "femoral artery"),
    (LandmarkName::FemoralVein, "femoral vein"),
];
/// The bony landmarks of the labelled teaching view (`fluorohip shoot --labels`), after the
/// target (which ON_IMAGE names): entries 1.. of `labels::teaching_landmarks`.
const BONY_LABELS: usize = 9;

/// The overlay's names, in label order.
fn overlay_names() -> Vec<String> {
    let bony = labels::NAMES[1..=BONY_LABELS].iter().map(|n| n.to_lowercase());
    ON_IMAGE.iter().map(|(_, n)| n.to_string()).chain(bony).collect()
}

/// Where overlay label `k` points, in patient mm.
fn overlay_point(s: &crate::sim::Session, k: usize) -> Option<glam::DVec3> {
    match ON_IMAGE.get(k) {
        Some((l, _)) => Some(s.patient().landmarks.get(*l)),
        None => labels::teaching_landmarks(s.patient()).get(k - ON_IMAGE.len() + 1).map(|t| t.at),
    }
}

/// Size of the monitor on screen (px).
pub const MONITOR_PX: f32 = 340.0;
/// Size of the enlarged monitor (px).
pub const MONITOR_LARGE_PX: f32 = 600.0;

#[derive(Component)]
struct MonitorNode;
/// An orientation letter on an edge of the monitor: 0 left, 1 right, 2 top, 3 bottom.
#[derive(Component)]
struct Edge(u8);
#[derive(Component)]
struct MeasureDot(usize);
#[derive(Component)]
struct MeasureText;
/// A part of landmark `k`'s label on the image (`k` indexes `ON_IMAGE`, then the bony ones).
#[derive(Component)]
pub(crate) struct OnImage(usize, Part);

impl OnImage {
    /// Whether this is a landmark's name (not its cross or leader).
    pub(crate) fn is_name(&self) -> bool {
        self.1 == Part::Name
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    /// A small cross on the point.
    Mark,
    /// The name, beside the point ([`lay_out`]).
    Name,
    /// A line from the point to a name that had to leave the point's row.
    Leader,
}

/// One label laid out on the monitor, in logical pixels from the image's top-left corner.
#[derive(Clone, Debug, PartialEq)]
struct Laid {
    point: Vec2,
    /// The name's box: left, top, width, height.
    name: (usize, usize, usize, usize),
    /// From the point to the name's nearest corner, when the name left the point's row.
    leader: Option<(Vec2, Vec2)>,
}

/// Where the orientation letters sit: the left and right ones this far down the monitor, the top
/// and bottom ones this far across (percent of the inner square), 16 px text.
const SIDE_LETTER_TOP_PCT: f32 = 47.0;
const END_LETTER_LEFT_PCT: f32 = 48.0;

/// The boxes the orientation letters cover on a monitor `n` pixels square (left, top, width,
/// height), with a pixel or two to spare: R/L 1 px in from the sides, H/F 2 px in from the ends.
fn letter_boxes(n: usize) -> [(usize, usize, usize, usize); 4] {
    let side_top = (n as f32 * SIDE_LETTER_TOP_PCT / 100.0) as usize;
    let end_left = (n as f32 * END_LETTER_LEFT_PCT / 100.0) as usize;
    let (w, h) = (16, 24);
    [
        (0, side_top.saturating_sub(2), w, h),
        (n.saturating_sub(w), side_top.saturating_sub(2), w, h),
        (end_left.saturating_sub(2), 0, w, h),
        (end_left.saturating_sub(2), n.saturating_sub(h), w, h),
    ]
}

/// Lay the overlay's names out on a monitor `side` pixels square, for points (None: not on the
/// image) with names of `sizes` (width, height): beside their point where there is room, else on
/// the nearest free row with a leader, never over one another, the orientation letters or the
/// measuring dots at `dots` (`labels::place_boxes`, as the burned-in labelled view).
fn lay_out(points: &[Option<Vec2>], sizes: &[Vec2], dots: &[Vec2], side: f32) -> Vec<Option<Laid>> {
    let n = side.max(1.0) as usize;
    let px: Vec<Option<(usize, usize)>> = points
        .iter()
        .map(|p| {
            p.filter(|p| p.x >= 0.0 && p.y >= 0.0 && p.x < side && p.y < side).map(|p| (p.x as usize, p.y as usize))
        })
        .collect();
    let boxes: Vec<(usize, usize)> = sizes.iter().map(|s| (s.x.ceil() as usize, s.y.ceil() as usize)).collect();
    let h = boxes.iter().map(|b| b.1).max().unwrap_or(14);
    // The measuring dots are 7 px, their corner 1% of the monitor up and left of the point.
    let dot_boxes = dots.iter().filter(|d| d.x >= 0.0 && d.y >= 0.0).map(|d| {
        let corner = *d - Vec2::splat(0.01 * side + 1.0);
        (corner.x.max(0.0) as usize, corner.y.max(0.0) as usize, 10, 10)
    });
    let reserved: Vec<_> = letter_boxes(n).into_iter().chain(dot_boxes).collect();
    let room = labels::Room { gap: 7, rise: h / 2, top: 2, bottom: n.saturating_sub(16), width: n, mark: 6 };
    labels::place_boxes(&boxes, &px, &room, &reserved)
        .into_iter()
        .zip(&px)
        .zip(points)
        .map(|((b, at), p)| {
            let (b, (c, r), p) = (b?, (*at)?, (*p)?);
            let leader = (!(b.1..b.1 + b.3).contains(&r)).then(|| {
                let (x, y) = labels::leader_end(b, c, r);
                (p, Vec2::new(x as f32 + 0.5, y as f32 + 0.5))
            });
            Some(Laid { point: p, name: b, leader })
        })
        .collect()
}

pub fn plugin(app: &mut App) {
    app.insert_resource(MonitorView { zoom: 1, ..default() })
        .add_systems(Startup, spawn)
        .add_systems(Update, (reset, update, (keys, measure).run_if(live), show.run_if(in_scene)).chain());
}

/// A new case starts with the monitor small, unzoomed, nothing measured or named.
fn reset(sim: Res<Sim>, mut view: ResMut<MonitorView>, mut seen: Local<u64>) {
    if *seen != sim.generation {
        *seen = sim.generation;
        *view = MonitorView { zoom: 1, ..default() };
    }
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
    let letter = |edge: u8| {
        let mut node = Node { position_type: PositionType::Absolute, ..default() };
        match edge {
            0 => (node.left, node.top) = (Val::Px(1.0), Val::Percent(SIDE_LETTER_TOP_PCT)),
            1 => (node.right, node.top) = (Val::Px(1.0), Val::Percent(SIDE_LETTER_TOP_PCT)),
            2 => (node.top, node.left) = (Val::Px(2.0), Val::Percent(END_LETTER_LEFT_PCT)),
            _ => (node.bottom, node.left) = (Val::Px(2.0), Val::Percent(END_LETTER_LEFT_PCT)),
        }
        (node, super::ui::colored("", 16.0, Color::srgb(1.0, 0.85, 0.2)), Edge(edge), Pickable::IGNORE)
    };
    let dot = |k: usize| {
        (
            Node {
                position_type: PositionType::Absolute,
                width: Val::Px(7.0),
                height: Val::Px(7.0),
                border_radius: BorderRadius::all(Val::Px(4.0)),
                ..default()
            },
            BackgroundColor(Color::srgb(1.0, 0.3, 0.9)),
            Visibility::Hidden,
            MeasureDot(k),
            Pickable::IGNORE,
        )
    };
    commands
        .spawn((
            MonitorNode,
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
            // Clicks on the image measure; it sits over the 3D view when enlarged.
            Interaction::default(),
            RelativeCursorPosition::default(),
            GlobalZIndex(40),
            super::ui::SceneUi,
        ))
        .with_children(|m| {
            for e in 0..4 {
                m.spawn(letter(e));
            }
            m.spawn(dot(0));
            m.spawn(dot(1));
            let names = overlay_names();
            let green = Color::srgb(0.4, 1.0, 0.5);
            for (k, name) in names.into_iter().enumerate() {
                let hidden = || (Visibility::Hidden, Pickable::IGNORE);
                m.spawn((
                    Node { position_type: PositionType::Absolute, height: Val::Px(1.5), ..default() },
                    BackgroundColor(green),
                    OnImage(k, Part::Leader),
                    hidden(),
                ));
                m.spawn((
                    Node { position_type: PositionType::Absolute, ..default() },
                    OnImage(k, Part::Mark),
                    hidden(),
                ))
                .with_children(|c| {
                    for (w, h) in [(11.0, 1.5), (1.5, 11.0)] {
                        c.spawn((
                            Node {
                                position_type: PositionType::Absolute,
                                left: Val::Px((11.0 - w) / 2.0),
                                top: Val::Px((11.0 - h) / 2.0),
                                width: Val::Px(w),
                                height: Val::Px(h),
                                ..default()
                            },
                            BackgroundColor(green),
                            Pickable::IGNORE,
                        ));
                    }
                });
                // On a dark band, as the burned-in view's names, legible on bone and soft tissue.
                m.spawn((
                    Node {
                        position_type: PositionType::Absolute,
                        padding: UiRect::axes(Val::Px(3.0), Val::Px(1.0)),
                        ..default()
                    },
                    BackgroundColor(Color::srgba(0.0, 0.0, 0.0, 0.6)),
                    super::ui::colored(name, 12.0, green),
                    OnImage(k, Part::Name),
                    hidden(),
                ));
            }
            m.spawn((
                Node { position_type: PositionType::Absolute, left: Val::Px(4.0), bottom: Val::Px(1.0), ..default() },
                super::ui::colored("", 12.0, Color::srgb(1.0, 0.5, 0.95)),
                MeasureText,
                Pickable::IGNORE,
            ));
        });
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

fn keys(keys: Res<KeyPresses>, mut view: ResMut<MonitorView>, sim: Res<Sim>) {
    let learning = sim.session().is_some_and(|s| s.scenario().mode == Mode::Learning);
    for p in keys.presses.iter().filter(|p| !p.repeat) {
        match p.key {
            // A learning aid: assessment mode has no overlay.
            KeyCode::KeyY if learning => view.landmarks = !view.landmarks,
            KeyCode::Tab => view.large = !view.large,
            KeyCode::KeyZ => {
                view.zoom = view.zoom % 3 + 1;
                view.points.clear();
            }
            _ => {}
        }
    }
}

/// The image pixel under a point of the monitor (`rel`: −0.5..0.5 across it), at `zoom`.
pub fn image_pixel(rel: Vec2, zoom: u32, pixels: f32) -> Vec2 {
    (Vec2::splat(0.5) + rel / zoom as f32) * pixels
}

/// Millimetres at the isocentre between two image pixels.
pub fn distance_mm(g: &Geometry, field_mm: f64, pixels: usize, a: Vec2, b: Vec2) -> f64 {
    (a - b).length() as f64 * field_mm / pixels as f64 / g.magnification()
}

/// Orientation letters for the left, right, top and bottom edges of the image.
pub fn edge_letters(g: &Geometry) -> [&'static str; 4] {
    // Patient +x is the patient's left; +z is the head.
    let (lr, hf) = (g.e_u.x, g.e_v.z);
    let side = |s: f64| if s >= 0.0 { "L" } else { "R" };
    let end = |s: f64| if s >= 0.0 { "H" } else { "F" };
    if lr.abs() >= g.e_u.z.abs() {
        [side(-lr), side(lr), end(hf), end(-hf)]
    } else {
        // A steep oblique: the image's horizontal runs head to foot.
        [end(-g.e_u.z), end(g.e_u.z), side(g.e_v.x), side(-g.e_v.x)]
    }
}

fn image_size(s: &Session) -> Option<(usize, f64)> {
    let f = s.state().fluoroscope;
    f.last_image().map(|frame| (frame.pixels, f.settings.field.cm() * 10.0))
}

fn measure(
    q: Query<(&Interaction, &RelativeCursorPosition), (With<MonitorNode>, Changed<Interaction>)>,
    sim: Res<Sim>,
    mut view: ResMut<MonitorView>,
) {
    let Some((pixels, _)) = sim.session().and_then(image_size) else { return };
    for (i, cursor) in &q {
        if *i == Interaction::Pressed
            && let Some(rel) = cursor.normalized
        {
            if view.points.len() >= 2 {
                view.points.clear();
            }
            let zoom = view.zoom.max(1);
            view.points.push(image_pixel(rel, zoom, pixels as f32));
        }
    }
}

/// The geometry the last image was taken with (its angles; the current isocentre, field
/// and the image's own pixel count).
fn shot_geometry(s: &Session) -> Option<Geometry> {
    let shot = s.shot_images().last()?;
    let f = s.state().fluoroscope;
    let (pixels, field) = image_size(s)?;
    let pose = CArmPose { lao_deg: shot.lao_deg, cranial_deg: shot.cranial_deg, isocentre: f.pose.isocentre };
    Some(Geometry::new(&pose, s.position(), field, pixels))
}

fn show(
    sim: Res<Sim>,
    view: Res<MonitorView>,
    monitor: Res<Monitor>,
    mut node: Query<(&mut Node, &mut ImageNode), With<MonitorNode>>,
    mut letters: Query<(&Edge, &mut Text), Without<MeasureText>>,
    mut dots: Query<(&MeasureDot, &mut Node, &mut Visibility), Without<MonitorNode>>,
    mut readout: Query<&mut Text, (With<MeasureText>, Without<Edge>)>,
    mut on_image: Query<
        (&OnImage, &mut Node, &mut Visibility, &mut UiTransform, &ComputedNode),
        (Without<MonitorNode>, Without<MeasureDot>),
    >,
    mut seen: Local<(u64, bool)>,
) {
    let Some(s) = sim.session() else { return };
    if !view.is_changed() && seen.0 == sim.version && seen.1 {
        return;
    }
    *seen = (sim.version, true);
    let size = if view.large { MONITOR_LARGE_PX } else { MONITOR_PX };
    let zoom = view.zoom.max(1);
    let pixels = image_size(s).map(|(p, _)| p).unwrap_or(256) as f32;
    for (mut n, mut img) in &mut node {
        n.width = Val::Px(size);
        n.height = Val::Px(size);
        let side = pixels / zoom as f32;
        let min = Vec2::splat((pixels - side) / 2.0);
        img.rect = (zoom > 1).then(|| Rect::from_corners(min, min + Vec2::splat(side)));
        if img.image != monitor.image {
            img.image = monitor.image.clone();
        }
    }
    let g = s.state().fluoroscope.geometry(s.position());
    let names = edge_letters(&g);
    for (Edge(e), mut t) in &mut letters {
        super::ui::set(&mut t, names[*e as usize].to_string());
    }
    // The points back on screen, as fractions of the monitor.
    let on_screen = |p: Vec2| (p / pixels - Vec2::splat(0.5)) * zoom as f32 + Vec2::splat(0.5);
    for (MeasureDot(k), mut n, mut v) in &mut dots {
        match view.points.get(*k) {
            Some(p) => {
                let f = on_screen(*p);
                n.left = Val::Percent(f.x * 100.0 - 1.0);
                n.top = Val::Percent(f.y * 100.0 - 1.0);
                v.set_if_neq(Visibility::Inherited);
            }
            None => {
                v.set_if_neq(Visibility::Hidden);
            }
        }
    }
    // The landmark overlay (learning mode, Y), where each projects on the last image, laid out
    // in the monitor's inner square (inside its 2 px border).
    let overlay = view.landmarks && s.scenario().mode == Mode::Learning;
    let inner = size - 4.0;
    let shot = shot_geometry(s);
    let count = ON_IMAGE.len() + BONY_LABELS;
    let points: Vec<Option<Vec2>> = (0..count)
        .map(|k| {
            let g = shot.as_ref().filter(|_| overlay)?;
            let (col, row) = g.project_px(overlay_point(s, k)?)?;
            Some(on_screen(Vec2::new(col as f32 + 0.5, row as f32 + 0.5)) * inner)
        })
        .collect();
    // Each name's size as laid out (logical px); an estimate before its first layout.
    let mut sizes = vec![Vec2::ZERO; count];
    for (OnImage(k, part), _, _, _, computed) in &on_image {
        if *part == Part::Name {
            sizes[*k] = computed.size() * computed.inverse_scale_factor();
        }
    }
    for (size, name) in sizes.iter_mut().zip(overlay_names()) {
        if size.x < 1.0 {
            *size = Vec2::new(7.0 * name.len() as f32 + 2.0, 15.0);
        }
    }
    let dots: Vec<Vec2> = view.points.iter().map(|p| on_screen(*p) * inner).collect();
    let laid = lay_out(&points, &sizes, &dots, inner);
    for (OnImage(k, part), mut n, mut v, mut transform, _) in &mut on_image {
        let Some(l) = laid.get(*k).cloned().flatten() else {
            v.set_if_neq(Visibility::Hidden);
            continue;
        };
        let shown = match part {
            Part::Mark => {
                (n.left, n.top) = (Val::Px(l.point.x - 5.5), Val::Px(l.point.y - 5.5));
                (n.width, n.height) = (Val::Px(11.0), Val::Px(11.0));
                true
            }
            Part::Name => {
                (n.left, n.top) = (Val::Px(l.name.0 as f32), Val::Px(l.name.1 as f32));
                true
            }
            Part::Leader => match l.leader {
                // A bar as long as the leader, centred on its middle and turned along it,
                // starting clear of the cross.
                Some((a, b)) => {
                    let a = a + (b - a).normalize_or_zero() * 6.0;
                    let (mid, len) = ((a + b) / 2.0, a.distance(b));
                    (n.left, n.top, n.width) = (Val::Px(mid.x - len / 2.0), Val::Px(mid.y - 0.75), Val::Px(len));
                    let turn = Rot2::radians((b.y - a.y).atan2(b.x - a.x));
                    if transform.rotation != turn {
                        transform.rotation = turn;
                    }
                    len > 1.0
                }
                None => false,
            },
        };
        v.set_if_neq(if shown { Visibility::Inherited } else { Visibility::Hidden });
    }
    let text = match (view.points.as_slice(), image_size(s)) {
        ([a, b], Some((n, field))) => {
            format!("{:.1} mm (isocentre)", distance_mm(&g, field, n, *a, *b))
        }
        ([_], _) => "2nd point?".to_string(),
        _ if zoom > 1 => format!("zoom {zoom}x"),
        _ => String::new(),
    };
    for mut t in &mut readout {
        super::ui::set(&mut t, text.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::Position;
    use crate::sim::imaging::geometry::CArmPose;

    #[test]
    fn the_anteroposterior_image_shows_the_patients_right_on_the_viewers_left_and_head_up() {
        let g = Geometry::new(&CArmPose::default(), Position::Supine, 230.0, 256);
        // An AP image of a supine patient is read as if facing the patient: their right on
        // the viewer's left, head at the top.
        assert_eq!(edge_letters(&g), ["R", "L", "H", "F"]);
    }

    /// Crowded points on the small monitor: every name shown stays on the monitor, clear of the
    /// other names and of the orientation letters; a name level with its point has no leader,
    /// one moved off its row has a leader from its point to its box's nearest corner.
    #[test]
    fn overlay_names_never_overlap_and_moved_ones_get_a_leader() {
        let side = 336.0;
        let names = overlay_names();
        // The femoral nerve, artery and vein within 10 px of each other, the rest spread out.
        let points: Vec<Option<Vec2>> = (0..names.len())
            .map(|k| match k {
                1..=3 => Some(Vec2::new(230.0 + 4.0 * k as f32, 120.0 + 3.0 * k as f32)),
                12 => None,
                _ => Some(Vec2::new(40.0 + 23.0 * k as f32, 60.0 + 17.0 * k as f32)),
            })
            .collect();
        let sizes: Vec<Vec2> = names.iter().map(|n| Vec2::new(7.0 * n.len() as f32, 15.0)).collect();
        // A measuring dot just right of the femoral head's point, where its name would go.
        let dots = [Vec2::new(160.0, 128.0)];
        let laid = lay_out(&points, &sizes, &dots, side);
        assert!(laid[12].is_none(), "a point off the image gets no label");
        let shown: Vec<&Laid> = laid.iter().flatten().collect();
        assert!(shown.len() >= 11, "{} of 12 shown", shown.len());
        // R and L (16 px text, about 10 by 19) where `spawn` puts them, and the measuring dot.
        let letters = [
            (1.0, 0.47 * side, 10.0, 19.0),
            (side - 11.0, 0.47 * side, 10.0, 19.0),
            (0.48 * side, 2.0, 10.0, 19.0),
            (0.48 * side, side - 21.0, 10.0, 19.0),
            (160.0 - 0.01 * side, 128.0 - 0.01 * side, 7.0, 7.0),
        ];
        let apart = |a: (f32, f32, f32, f32), b: (f32, f32, f32, f32)| {
            a.0 + a.2 <= b.0 || b.0 + b.2 <= a.0 || a.1 + a.3 <= b.1 || b.1 + b.3 <= a.1
        };
        let f = |b: (usize, usize, usize, usize)| (b.0 as f32, b.1 as f32, b.2 as f32, b.3 as f32);
        for (i, a) in shown.iter().enumerate() {
            let r = f(a.name);
            assert!(r.0 >= 0.0 && r.1 >= 0.0 && r.0 + r.2 <= side && r.1 + r.3 <= side, "{r:?}");
            for l in letters {
                assert!(apart(r, l), "{r:?} covers a letter at {l:?}");
            }
            for p in points.iter().flatten() {
                assert!(apart(r, (p.x - 5.5, p.y - 5.5, 11.0, 11.0)), "{r:?} covers the cross at {p:?}");
            }
            for b in &shown[i + 1..] {
                assert!(apart(r, f(b.name)), "{r:?} and {:?}", b.name);
            }
            let level = (r.1..r.1 + r.3).contains(&a.point.y.floor());
            match a.leader {
                None => assert!(level, "{r:?} left its point {:?} with no leader", a.point),
                Some((from, to)) => {
                    assert!(!level && from == a.point, "{r:?}");
                    let corner_x = to.x - 0.5 == r.0 || to.x - 0.5 == r.0 + r.2 - 1.0;
                    let corner_y = to.y - 0.5 == r.1 || to.y - 0.5 == r.1 + r.3 - 1.0;
                    assert!(corner_x && corner_y, "the leader ends at {to:?}, not on {r:?}'s corner");
                }
            }
        }
        assert!(shown.iter().any(|l| l.leader.is_some()), "the crowded vessels needed a leader");
    }

    #[test]
    fn a_measurement_is_in_mm_at_the_isocentre() {
        let g = Geometry::new(&CArmPose::default(), Position::Supine, 230.0, 256);
        // Half the image width at 1x: 115 mm on the detector, divided by the magnification.
        let a = image_pixel(Vec2::new(-0.25, 0.0), 1, 256.0);
        let b = image_pixel(Vec2::new(0.25, 0.0), 1, 256.0);
        let d = distance_mm(&g, 230.0, 256, a, b);
        assert!((d - 115.0 / g.magnification()).abs() < 0.01, "{d}");
        // Zoomed 2x, the same span on screen is half the distance.
        let (a2, b2) = (image_pixel(Vec2::new(-0.25, 0.0), 2, 256.0), image_pixel(Vec2::new(0.25, 0.0), 2, 256.0));
        assert!((distance_mm(&g, 230.0, 256, a2, b2) - d / 2.0).abs() < 0.01);
    }
}
