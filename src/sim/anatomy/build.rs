//! From patient parameters to solid geometry.
//!
//! Patient coordinates (mm, LPS like DICOM): origin at the centre of the right
//! femoral head; +x toward the patient's left (medial for this right hip), +y
//! posterior, +z superior. See docs/COORDINATES.md.
//!
//! The published figures enter through `PatientParams` (drawn from `params::table`).
//! Every other size and position literal below (trochanters, pelvic parts and
//! landmarks, bursa, muscles, vessel courses, body outline) is an assumption: a
//! plausible adult value at a 47 mm femoral head, scaled by `s` with head size.

use glam::{DMat3, DVec3};

use super::params::{PatientParams, table};
use super::shapes::Shape;
use super::tissue::Tissue;
use super::{Bundle, Landmarks, Morphometry, SkinSurface};

const Y: DVec3 = DVec3::Y;
const Z: DVec3 = DVec3::Z;

/// Mean adult femoral head diameter; pelvic landmarks scale with head size.
const REFERENCE_HEAD_DIAMETER_MM: f64 = 47.25;
/// How far the posterior target tilts from straight behind the neck toward caudal
/// (tangent of the angle). assumption: an inferoposterior aim clears the posterior wall;
/// checked by sweeping the prone expert reference over 200 seeds (docs/ASSESSMENT.md).
pub const POSTERIOR_TARGET_CAUDAL_TILT: f64 = 0.5;
/// The posterior skin entry lies this far lateral of straight behind the target, so the
/// needle comes in slightly from lateral and passes lateral to the sciatic nerve (mm).
/// assumption: checked by the prone expert reference over 200 seeds (no nerve contact).
pub const POSTERIOR_ENTRY_LATERAL_MM: f64 = 8.0;
/// assumption: the acetabular roof's lateral margin rises outward from its edge at this
/// angle from vertical (degrees), toward the ilium's outer table.
const ROOF_MARGIN_SLOPE_DEG: f64 = 25.0;
/// Where the posterior target lies along the neck, from the head-neck junction (fraction
/// of the neck length). assumption.
pub const POSTERIOR_TARGET_ALONG_NECK: f64 = 0.6;

/// The capsule's inner envelope (the joint's potential space), kept so that layers of
/// it can be rebuilt: contrast spreads as a thin layer against the capsule.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct JointFrame {
    rot: DMat3,
    base0: DVec3,
    mid0: DVec3,
    r_head_mm: f64,
    /// The neck part's half-height and half-width front to back (it follows the oval neck).
    r_neck_mm: f64,
    r_neck_ap_mm: f64,
    /// The neck's flare into the head, and how far the envelope stands off it.
    collar: Option<NeckCollar>,
    collar_off_mm: f64,
    /// The acetabular cup (bone and cartilage) the head part of the envelope passes through.
    pub cup: Shape,
}

impl JointFrame {
    /// The envelope shrunk by `inset_mm` (negative grows it): round the head; round the oval
    /// neck and its flare into the head, to the intertrochanteric line in front and half the
    /// neck behind.
    pub fn envelope(&self, inset_mm: f64) -> Shape {
        let (rh, rn, ra) = (self.r_head_mm - inset_mm, self.r_neck_mm - inset_mm, self.r_neck_ap_mm - inset_mm);
        let u0 = -self.base0.normalize();
        let collar = self.collar.map(|c| c.shape(u0, DVec3::ZERO, self.collar_off_mm - inset_mm));
        let parts = [
            Shape::sphere(DVec3::ZERO, rh),
            Shape::Intersection(vec![oval_neck(DVec3::ZERO, self.base0, rn, ra), Shape::half_space(DVec3::ZERO, Y)]),
            oval_neck(DVec3::ZERO, self.mid0, rn, ra),
        ];
        Shape::Union(parts.into_iter().chain(collar).collect()).rotated_about(DVec3::ZERO, self.rot)
    }
}

pub(super) struct Built {
    pub joint_frame: JointFrame,
    pub morphometry: Morphometry,
    pub structures: Vec<(Tissue, Shape, f64)>,
    pub landmarks: Landmarks,
    pub bundle: Bundle,
    pub skin: SkinSurface,
    pub neck_axis: DVec3,
    pub acetabular_axis: DVec3,
}

/// The femoral neck's solid (or a layer round it), before the femur is turned: from `from`
/// toward its base `to` along an axis in the coronal plane, an oval `r_si` high and `r_ap` front
/// to back, its base end rounded (a half-ellipsoid; the head end lies inside the head).
fn oval_neck(from: DVec3, to: DVec3, r_si: f64, r_ap: f64) -> Shape {
    let u = (to - from).normalize();
    let up = Y.cross(u);
    Shape::Union(vec![
        Shape::elliptic_cylinder(from, to, up, r_si, r_ap),
        Shape::ellipsoid(to, u, up, v(r_ap, r_si, r_ap)),
    ])
}

/// The neck's flare into the head: an ellipsoid about the head centre along the neck, as high as
/// the neck and wider front to back, that meets the head's sphere on the round junction and
/// narrows to the oval neck at its waist, cut off there. So the bone's outline leaves the head's
/// circle where the round neck would (the alpha angle) and the waist is the oval's (the offset).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NeckCollar {
    /// Semi-axes along the neck, toward the calcar and front to back (mm), and where it ends
    /// along the neck from the head centre (mm).
    radii: DVec3,
    waist: f64,
}

impl NeckCollar {
    /// The ellipse (along the neck, front to back) through (`s1`, `r1`), the round junction,
    /// and (`s2`, `r2`), the oval waist; none when the neck is not narrower front to back.
    fn fit(s1: f64, r1: f64, s2: f64, r2: f64) -> Option<NeckCollar> {
        if r1 - r2 < 0.2 || s2 <= s1 {
            return None;
        }
        // a s² + b r² = 1 through both points.
        let det = s1 * s1 * r2 * r2 - s2 * s2 * r1 * r1;
        let (a, b) = ((r2 * r2 - r1 * r1) / det, (s1 * s1 - s2 * s2) / det);
        Some(NeckCollar { radii: v(1.0 / a.sqrt(), r1, 1.0 / b.sqrt()), waist: s2 })
    }

    /// The collar grown by `by_mm` (a layer round it: the joint's envelope), before the femur is
    /// turned; `centre` shifts it (the cancellous core's offset toward the calcar).
    fn shape(&self, u0: DVec3, centre: DVec3, by_mm: f64) -> Shape {
        let up = Y.cross(-u0);
        // Only between the head centre and the waist: beyond them it would stand out of the
        // head on the socket's side and out of the neck toward its base.
        Shape::Intersection(vec![
            Shape::ellipsoid(centre, -u0, up, self.radii + DVec3::splat(by_mm)),
            Shape::half_space(centre - u0 * self.waist, -u0),
            Shape::half_space(centre, u0),
        ])
    }
}

/// How far the oval neck's surface lies from its axis in the unit direction with components
/// `si` (toward the calcar, in the coronal plane) and `ap` (front to back).
fn oval_radius(si: f64, ap: f64, r_si: f64, r_ap: f64) -> f64 {
    1.0 / ((si / r_si).powi(2) + (ap / r_ap).powi(2)).sqrt()
}

fn rad(deg: f64) -> f64 {
    deg * std::f64::consts::PI / 180.0
}

fn v(x: f64, y: f64, z: f64) -> DVec3 {
    DVec3::new(x, y, z)
}

pub(super) fn build(p: &PatientParams) -> Built {
    let s = p.femoral_head_diameter_mm / REFERENCE_HEAD_DIAMETER_MM;
    let r_h = p.femoral_head_diameter_mm / 2.0;
    let r_n = (p.neck_diameter_mm / 2.0).min(0.85 * r_h);
    // The neck is oval (Bonneau 2012 J Anat 221:465: successive ellipses fit it better than a
    // cylinder): its published diameter is its height; front to back it is narrower, by the
    // drawn anterior head-neck offset ratio.
    let r_ap = (r_h * (1.0 - 2.0 * p.anterior_offset_ratio)).clamp(0.6 * r_n, r_n);
    let s_junction = (r_h * r_h - r_n * r_n).sqrt();
    let waist = s_junction + table::NECK_WAIST_BELOW_JUNCTION * p.neck_length_mm;
    let collar = NeckCollar::fit(s_junction, r_n, waist, r_ap);
    let jsw = p.joint_space_width_mm;
    let wall = table::CAPSULE_WALL_MM;
    let recess = p.anterior_recess_depth_mm;

    // ---- Femur, built with the neck in the coronal plane, then turned by anteversion and by
    // the leg's rotation (internal positive: the front of the thigh turns medially), both
    // about the vertical through the head centre. The soft tissues are fitted to the leg in
    // neutral rotation (`rot_neutral`): turning the leg moves the femur and its capsule,
    // not the vessels, muscles or skin.
    let nsa = rad(p.neck_shaft_angle_deg);
    let u0 = v(libm::sin(nsa), 0.0, -libm::cos(nsa)); // neck axis, base -> head
    let rot_neutral = DMat3::from_rotation_z(-rad(p.femoral_anteversion_deg));
    let rot = DMat3::from_rotation_z(-rad(p.femoral_anteversion_deg) + rad(p.leg_rotation_deg));
    let turn = |sh: Shape| sh.rotated_about(DVec3::ZERO, rot);
    let junction0 = -u0 * s_junction;
    let base0 = -u0 * (s_junction + p.neck_length_mm);
    let up_perp0 = Y.cross(u0).normalize(); // in the coronal plane, perpendicular to the neck
    // Perpendicular to the neck in the coronal plane, toward the calcar (inferomedial).
    let calcar0 = up_perp0;
    let inter_centre0 = base0 - u0 * 4.0 * s;

    // The shaft's axis, vertical, the femoral offset lateral of the head centre; the neck
    // axis meets it at `meet0`.
    let offset = p.femoral_offset_mm;
    let meet0 = -u0 * (offset / u0.x.max(0.3));
    let shaft_top0 = v(-offset, 0.0, meet0.z + 5.0);
    let shaft_bottom0 = v(-offset, 0.0, meet0.z - 230.0);
    let r_shaft = table::SHAFT_DIAMETER_MM / 2.0 * s;

    // Greater trochanter: its tip placed by its height above the head centre and its
    // distance from it (FIDELITY.md §2); slightly posterior (assumption).
    let gt_dist = p.gt_tip_to_head_ratio * p.femoral_head_diameter_mm;
    let gt_y = 4.0 * s;
    let gt_h = p.gt_tip_above_head_mm;
    let gt_lat = (gt_dist * gt_dist - gt_h * gt_h - gt_y * gt_y).max((0.6 * gt_dist).powi(2)).sqrt();
    let gt_tip0 = v(-gt_lat, gt_y, gt_h);
    let gt_radii = v(12.0, 16.0, 24.0) * s;
    let gt_centre0 = gt_tip0 - Z * gt_radii.z;

    // Lesser trochanter: a ridge standing out of the posteromedial shaft (how far is an
    // assumption), taller than it is thick, its axis the published angle behind the neck's (so,
    // with the neck anteverted, about 24° behind medial in the neutral leg: turning the leg
    // in hides it, out shows it), its most prominent point the published fraction of a head
    // diameter from the head centre.
    let lt_behind = rad(table::LT_BEHIND_NECK_DEG);
    let lt_dir0 = v(libm::cos(lt_behind), libm::sin(lt_behind), 0.0);
    let lt_reach = r_shaft + table::LT_HEIGHT_MM * s;
    let lt_xy = v(-offset, 0.0, 0.0) + lt_dir0 * lt_reach;
    let lt_dist = p.lt_to_head_ratio * p.femoral_head_diameter_mm;
    // Below the neck's base whatever the draws (the capsule never holds it).
    let lt_z = (-(lt_dist * lt_dist - lt_xy.length_squared()).max(100.0).sqrt()).min(meet0.z - 4.0);
    let lt_point0 = v(lt_xy.x, lt_xy.y, lt_z);
    let lt_radii = v(table::LT_HALF_DEPTH_MM, table::LT_WIDTH_MM / 2.0, table::LT_HALF_THICKNESS_MM) * s;
    let lt_centre0 = lt_point0 - lt_dir0 * lt_radii.x;
    let lt_shape = |shrink: f64| Shape::ellipsoid(lt_centre0, lt_dir0, Z, lt_radii - DVec3::splat(shrink));

    // Neck cortex by age: thick calcar, thin superolateral cortex (Poole 2010).
    let age_t = ((p.age_years - 25.0) / 60.0).clamp(0.0, 1.0);
    let lerp = |(a, b): (f64, f64)| a + (b - a) * age_t;
    let t_calcar = lerp(table::CALCAR_CORTEX_MM_AT_25_85);
    let t_superolateral = lerp(table::SUPEROLATERAL_NECK_CORTEX_MM_AT_25_85);
    let neck_inner_shift = -calcar0 * 0.5 * (t_calcar - t_superolateral);
    let neck_inner_r = r_n - 0.5 * (t_calcar + t_superolateral);
    let neck_inner_ap = r_ap - 0.5 * (t_calcar + t_superolateral);
    // The oval neck with its flare into the head, shifted by `shift`, `by` mm larger all round.
    let neck_bone = |shift: DVec3, r_si: f64, r_ap: f64, by: f64| {
        let collar = collar.map(|c| c.shape(u0, shift, by));
        Shape::Union([oval_neck(shift, base0 + shift, r_si, r_ap)].into_iter().chain(collar).collect())
    };
    let neck_core = neck_bone(neck_inner_shift, neck_inner_r, neck_inner_ap, -0.5 * (t_calcar + t_superolateral));

    // Marrow canal from a little below the lesser trochanter.
    let canal_top_z = lt_z - table::CANAL_BELOW_LT_MM;
    let r_canal = p.canal_diameter_mm / 2.0;
    let troch = table::TROCHANTER_CORTEX_MM;
    let inter_radii = v(r_n + 2.0 * s, r_n - 1.0, r_n + 8.0 * s);

    let mut femur_cortical = Shape::Union(vec![
        Shape::sphere(DVec3::ZERO, r_h),
        neck_bone(DVec3::ZERO, r_n, r_ap, 0.0),
        Shape::ellipsoid(inter_centre0, u0, Y, inter_radii),
        Shape::ellipsoid_aa(gt_centre0, gt_radii),
        lt_shape(0.0),
        Shape::capsule(shaft_top0, shaft_bottom0, r_shaft),
    ]);
    // Head: dense cancellous bone under the subchondral plate.
    let head_cancellous = turn(Shape::sphere(DVec3::ZERO, r_h - table::SUBCHONDRAL_PLATE_MM));
    // Neck, trochanters and metaphysis: sparse cancellous bone inside thin cortices.
    let femur_cancellous = turn(Shape::Union(vec![
        neck_core.clone(),
        Shape::ellipsoid(inter_centre0, u0, Y, inter_radii - DVec3::splat(troch)),
        Shape::ellipsoid_aa(gt_centre0, gt_radii - DVec3::splat(troch)),
        lt_shape(troch),
        Shape::capsule(shaft_top0, v(-offset, 0.0, canal_top_z + 5.0), r_shaft - 2.0 * troch),
        // The cortex thickens toward the diaphysis.
        Shape::capsule(v(-offset, 0.0, canal_top_z + 5.0), v(-offset, 0.0, canal_top_z - 10.0), r_shaft - 5.0),
    ]));
    // Ward's triangle (between the compressive and tensile groups, low in the neck) and
    // the canal: marrow without trabeculae.
    let wards_centre0 = -u0 * (s_junction + 0.55 * p.neck_length_mm) + calcar0 * 2.0 * s;
    let wards = Shape::ellipsoid(wards_centre0, u0, Y, v(7.0, 5.0, 5.0) * s);
    let femoral_marrow = turn(Shape::Union(vec![
        wards,
        Shape::capsule(v(-offset, 0.0, canal_top_z), v(-offset, 0.0, meet0.z - 225.0), r_canal),
    ]));
    // The principal trabecular groups (FIDELITY.md §3): plates of denser cancellous bone,
    // each a slab containing the femur's front-to-back axis, so that an AP view along the
    // neck sees them edge-on, as streaks. The compressive group fans from the calcar up into
    // the head's weight-bearing dome, the calcar's upper part to the dome's medial side; the
    // tensile group arcs from the lateral cortex below the greater trochanter over the top of
    // the neck into the head's lower part. The plates are stacked front to back in layers a
    // few mm deep, each shifted across by a fraction of the spacing: a plate is not a sheet
    // through the whole bone, and a view a few degrees off the neck's plane still sees a
    // texture rather than a uniform smear. Both groups stay inside the cancellous bone;
    // Ward's triangle (marrow, the higher priority) stays clear between them.
    // assumption: the courses, the layering and the shifts.
    let (head_trabeculae, neck_trabeculae) = {
        let (plate, gap) = (table::TRABECULAR_PLATE_MM, table::TRABECULAR_SPACING_MM);
        let slab = |through: DVec3, along: DVec3| Shape::slab(through, along.cross(Y), plate);
        let layers = table::TRABECULAR_LAYERS;
        let depth = 2.0 * r_h / layers as f64;
        let mut layered = Vec::new();
        for layer in 0..layers {
            // Shifts of 0, ½, ¼, ¾, ... of the spacing (a van der Corput sequence).
            let phase = (0..8).fold((0.0, 0.5, layer), |(acc, w, k), _| (acc + w * (k & 1) as f64, w / 2.0, k >> 1)).0;
            let mut plates = Vec::new();
            // Compressive: from the calcar's inner surface to the dome.
            let dome_arc = (rad(-30.0), rad(40.0)); // lateral to medial of the vertical
            let count = ((dome_arc.1 - dome_arc.0) * r_h / gap).floor() as usize;
            for k in 0..count {
                let f = (k as f64 + phase) / count as f64;
                let calcar_point = -u0 * (s_junction + p.neck_length_mm * (0.8 - 0.6 * f)) + calcar0 * r_n;
                let th = dome_arc.0 + (dome_arc.1 - dome_arc.0) * f;
                let dome_point = v(libm::sin(th), 0.0, libm::cos(th)) * r_h;
                plates.push(slab(calcar_point, dome_point - calcar_point));
            }
            // Tensile: arcs about a centre just beyond the calcar at the neck's middle, crossing
            // its upper half, over the neck and down into the head's lower part.
            let mid_neck = -u0 * (s_junction + 0.5 * p.neck_length_mm);
            let arc_centre = mid_neck + calcar0 * (r_n + 2.0 * s);
            let (back, front) = (arc_centre - Y * 60.0, arc_centre + Y * 60.0);
            let mut radius = (r_n + 2.0 * s) + r_n - 1.5 - plate / 2.0 - phase * gap;
            let mut arcs = Vec::new();
            while radius > (r_n + 2.0 * s) + 3.0 {
                arcs.push(Shape::cylinder(back, front, radius + plate / 2.0).minus(Shape::cylinder(
                    back,
                    front,
                    radius - plate / 2.0,
                )));
                radius -= gap;
            }
            // Only the upper half of each circle: the arch, not its return below the centre.
            plates.push(Shape::Intersection(vec![Shape::Union(arcs), Shape::half_space(arc_centre, calcar0)]));
            let y0 = -r_h + depth * layer as f64;
            layered
                .push(Shape::Intersection(vec![Shape::slab(Y * (y0 + 0.5 * depth), Y, depth), Shape::Union(plates)]));
        }
        // Within the head's cancellous bone, and the neck's (not the trochanters'), each its
        // own tissue; the region first, so a ray that misses the bone skips the plates.
        let plates = Shape::Union(layered);
        let head = Shape::sphere(DVec3::ZERO, r_h - table::SUBCHONDRAL_PLATE_MM);
        let neck = neck_core.clone();
        (
            turn(Shape::Intersection(vec![head.clone(), plates.clone()])),
            turn(Shape::Intersection(vec![neck.minus(head), plates])),
        )
    };
    let osteophyte_r = 1.5 + 0.8 * p.oa_grade as f64;
    if p.osteophytes {
        let mut parts = vec![femur_cortical];
        // Round the junction, clear of the anterior target point itself.
        for perp in [up_perp0, -up_perp0, (up_perp0 - Y).normalize(), (-up_perp0 - Y).normalize()] {
            parts.push(Shape::sphere(junction0 + perp * r_n, osteophyte_r));
        }
        femur_cortical = Shape::Union(parts);
    }
    let femur_cortical = turn(femur_cortical);
    let femoral_cartilage = turn(Shape::Intersection(vec![
        Shape::sphere(DVec3::ZERO, r_h + jsw / 2.0),
        Shape::half_space(-u0 * 0.45 * r_h, -u0),
    ]));

    // Rotated femoral landmarks and axes.
    let u = rot * u0;
    let base = rot * base0;
    let gt_centre = rot * gt_centre0;
    let soft_gt0 = base0 - u0 * 8.0 * s + v(-14.0, 6.0, 14.0) * s;
    let soft_gt_centre = rot_neutral * soft_gt0;
    let gt_tip = gt_centre + Z * gt_radii.z;
    // The iliopsoas keeps the earlier, lower insertion as its reference (like the body
    // outline below): its fibres run craniocaudally over the joint, as the contrast patterns
    // and the expert references were validated against.
    let psoas_insertion = rot_neutral * (base0 - u0 * 8.0 * s + v(10.0, 9.0, -38.0) * s);
    let anterior_perp_at = |u: DVec3| (-Y - u * (-Y).dot(u)).normalize();
    let anterior_perp = anterior_perp_at(u);
    // The head-neck junction is round (the neck turns oval below it, `NeckCollar`).
    let target = rot * junction0 + anterior_perp * r_n;
    // The target with the leg in neutral rotation: the soft tissues' reference.
    let target_neutral = rot_neutral * junction0 + anterior_perp_at(rot_neutral * u0) * r_n;
    // Posterior neck, POSTERIOR_TARGET_ALONG_NECK of the way down from the junction: still
    // inside the capsule, which covers about two thirds of the neck behind, and lateral to
    // the sciatic nerve. The point is tilted toward the inferoposterior quadrant of the
    // neck (POSTERIOR_TARGET_CAUDAL_TILT): straight behind the neck a third of the way
    // down, the posterior acetabular wall stood in the way of a vertical needle on about
    // 1 patient in 6 (37 of 200 seeds of the prone expert reference).
    let posterior_dir = (Y - Z * POSTERIOR_TARGET_CAUDAL_TILT).normalize();
    let posterior_perp = (posterior_dir - u * posterior_dir.dot(u)).normalize();
    // Below the waist, where the neck is the oval cylinder.
    let along = s_junction + POSTERIOR_TARGET_ALONG_NECK * p.neck_length_mm;
    let r_post = oval_radius(posterior_perp.dot(rot * up_perp0), posterior_perp.dot(rot * Y), r_n, r_ap);
    let posterior_target = -u * along + posterior_perp * r_post;

    // ---- Pelvis and acetabulum.
    let (si, ci) = (libm::sin(rad(p.acetabular_inclination_deg)), libm::cos(rad(p.acetabular_inclination_deg)));
    let (sa, ca) = (libm::sin(rad(p.acetabular_anteversion_deg)), libm::cos(rad(p.acetabular_anteversion_deg)));
    let acet_axis = v(-si * ca, -sa, -ci * ca).normalize(); // opening direction
    let socket = r_h + jsw;
    // The joint's envelope passes through this cup (unchanged by the bone's finer shape).
    let cup = Shape::Intersection(vec![
        Shape::sphere(DVec3::ZERO, socket + 12.0 * s),
        Shape::half_space(acet_axis * 0.12 * r_h, acet_axis),
    ]);
    // The bony acetabulum: a cap of the published depth (its rim plane `depth - socket`
    // out along the opening axis), walls of cancellous bone inside thin cortices, the
    // sourcil a denser plate on the dome, and the roof ending laterally at the published
    // centre-edge angle (FIDELITY.md §4).
    let acet_cortex = table::ACETABULAR_CORTEX_MM;
    let rim_offset = p.acetabular_depth_mm - socket;
    let ce = rad(p.centre_edge_angle_deg);
    let roof_edge_x = -socket * libm::sin(ce);
    let bony_cup = |inset: f64| {
        Shape::Intersection(vec![
            Shape::sphere(DVec3::ZERO, socket + 12.0 * s - inset),
            Shape::half_space(acet_axis * (rim_offset - inset), acet_axis),
        ])
    };
    // Everything lateral of the roof's edge and above the head's equator, cut from the cup
    // and the ilium's body over it (not from the wing or the ASIS above): the margin rises
    // outward from the edge (ROOF_MARGIN_SLOPE_DEG from vertical) as the ilium's outer table
    // does, rather than standing as a vertical wall, the whole height of the body (cut off
    // near the socket, it left a shelf of bone above).
    let slope = rad(ROOF_MARGIN_SLOPE_DEG);
    let margin_normal = v(libm::cos(slope), 0.0, libm::sin(slope));
    let roof_edge_z = socket * libm::cos(ce);
    let beyond_edge = |inset: f64| {
        Shape::Intersection(vec![
            Shape::half_space(v(roof_edge_x + inset, 0.0, roof_edge_z), margin_normal),
            Shape::half_space(v(0.0, 0.0, -2.0), -Z),
        ])
    };
    // The subchondral bone of the socket: thin at the walls, twice as thick on the dome.
    let subchondral = Shape::sphere(Z * acet_cortex, socket + acet_cortex);
    // Teardrop: a U of cortex, open upward, inferomedial to the head, its lateral limb the
    // published distance from the head's medial surface (Goodman 1988).
    let td_r = 4.5 * s;
    let (td_top_z, td_bottom_z) = (-6.0 * s, -24.0 * s);
    let td_mid_z = 0.5 * (td_top_z + td_bottom_z);
    // Never inside the socket's own lining (a narrow joint space with a close teardrop).
    let td_lateral =
        (r_h + p.teardrop_to_head_mm).max((socket * socket - td_mid_z * td_mid_z).max(0.0).sqrt() + acet_cortex + 1.0);
    let td_x = td_lateral + td_r;
    let (td_top, td_bottom) = (v(td_x, 0.0, td_top_z), v(td_x, 0.0, td_bottom_z));
    let teardrop = Shape::Intersection(vec![
        Shape::capsule(td_top, td_bottom, td_r).minus(Shape::capsule(td_top + Z * 4.0, td_bottom, td_r - 1.6)),
        Shape::half_space(td_top, Z),
    ]);
    // The quadrilateral plate (the posterior column's inner wall) and the pelvic brim, whose
    // cortices seen edge-on in AP are the ilioischial and iliopectineal lines (FIDELITY.md §4).
    // The plate: a shell bowed medially, its most medial point just medial of the teardrop
    // (which lies against the ilioischial line in a normal hip), from the brim down to the
    // ischium, a medial cortex over a thin cancellous core. assumption: its place, curvature
    // and depth.
    let plate_t = table::QUADRILATERAL_PLATE_MM;
    let ii_x = td_x + td_r + 1.0;
    let (plate_r, plate_y, plate_half_depth) = (45.0 * s, 5.0 * s, 10.0 * s);
    let plate_axis = v(ii_x - plate_r, plate_y, 0.0);
    let (plate_top, plate_bottom) = (plate_axis + Z * 38.0 * s, plate_axis - Z * 55.0 * s);
    let plate_shell = |outer: f64, inner: f64| {
        Shape::Intersection(vec![
            Shape::cylinder(plate_bottom, plate_top, outer).minus(Shape::cylinder(plate_bottom, plate_top, inner)),
            Shape::half_space(v(0.0, plate_y + plate_half_depth, 0.0), Y),
            Shape::half_space(v(0.0, plate_y - plate_half_depth, 0.0), -Y),
            Shape::half_space(v(ii_x - 0.5 * plate_r, 0.0, 0.0), -DVec3::X),
        ])
    };
    let quadrilateral_plate = plate_shell(plate_r, plate_r - plate_t);
    let cortex = table::QUADRILATERAL_CORTEX_MM;
    // The medial cortex only: the lateral face is the acetabular fossa's floor, never edge-on.
    let quadrilateral_core = plate_shell(plate_r - cortex, plate_r - plate_t - 0.1);
    // The iliac wing: a plate flaring laterally as it rises, its breadth running from the
    // anterior superior iliac spine (front, lateral) to the sacroiliac joint (back, medial).
    let wing = rad(table::ILIAC_WING_TO_CORONAL_DEG);
    let wing_breadth = v(libm::cos(wing), libm::sin(wing), 0.0);
    let (wing_centre, wing_up, wing_radii) = (v(10.0, 12.0, 74.0) * s, v(-0.35, 0.0, 1.0), v(62.0, 55.0, 9.0) * s);
    let ilium = Shape::ellipsoid(wing_centre, wing_up, wing_breadth, wing_radii);
    let ilium_inner = Shape::ellipsoid(wing_centre, wing_up, wing_breadth, wing_radii - v(3.0, 3.0, 2.5) * s);
    // A point on the wing's inner (pelvic, anteromedial) surface, `a` mm up its long axis and
    // `b` mm along its breadth from its centre (the axes as `Shape::ellipsoid` makes them).
    let on_wing_inner = |a: f64, b: f64| {
        let up = wing_up.normalize();
        let across = up.cross(wing_breadth).normalize();
        let along = across.cross(up);
        let half = wing_radii.z * (1.0 - (a / wing_radii.x).powi(2) - (b / wing_radii.y).powi(2)).max(0.0).sqrt();
        wing_centre + up * a + along * b - across * half
    };
    // The brim: a ridge on the ilium's inner surface from toward the sacroiliac joint (its
    // top on the wing's inner surface, up, back and medial of the plate's top), coming down
    // and laterally to meet the quadrilateral plate's top (where the ilioischial line joins
    // it) above the acetabulum, then down and forward medial of it onto the top of the
    // superior pubic ramus (the pecten) toward the tubercle: in AP a curve bulging toward the
    // acetabulum, as the pelvic inlet's margin does. assumption: its course.
    let brim_points = [
        on_wing_inner(-10.0 * s, 48.0 * s),
        v(44.0, 22.0, 44.0) * s,
        v(50.0, 2.0, 16.0) * s,
        v(58.0, -14.0, 1.0) * s,
        v(72.0, -28.0, -2.0) * s,
    ];
    let brim = Shape::Union(
        brim_points.windows(2).map(|w| Shape::capsule(w[0], w[1], table::PELVIC_BRIM_RADIUS_MM)).collect(),
    );
    let asis = v(-30.0, -42.0, 62.0) * s;
    let pubic_tubercle = v(70.0, -38.0, -6.0) * s;
    // The ilium's body over the acetabulum: a column as broad as the socket that narrows
    // upward into the wing, so that its outline runs on into the wing's rather than ending
    // in a lump. assumption: its size.
    let roof = |shrink: f64| {
        Shape::ellipsoid(v(8.0, 6.0, 30.0) * s, wing_up, wing_breadth, v(32.0, 28.0, 20.0) * s - DVec3::splat(shrink))
    };
    let asis_spine = Shape::capsule(v(-5.0, -15.0, 68.0) * s, asis, 7.0 * s);
    let sup_ramus = |shrink: f64| Shape::capsule(v(18.0, -12.0, -8.0) * s, v(75.0, -28.0, -12.0) * s, 9.0 * s - shrink);
    let pubic_body =
        |shrink: f64| Shape::ellipsoid_aa(v(85.0, -25.0, -28.0) * s, v(10.0, 14.0, 26.0) * s - DVec3::splat(shrink));
    let ischium = |shrink: f64| Shape::capsule(v(12.0, 22.0, -22.0) * s, v(28.0, 38.0, -72.0) * s, 13.0 * s - shrink);
    let inf_ramus = Shape::capsule(v(28.0, 38.0, -72.0) * s, v(80.0, -10.0, -50.0) * s, 8.0 * s);
    let mut acetabular = vec![bony_cup(0.0), roof(0.0)];
    if p.osteophytes {
        // Rim osteophytes on the acetabular edge, superolateral and anterior.
        let rim_u = Z.cross(acet_axis).normalize();
        let rim_v = acet_axis.cross(rim_u);
        for dir in [rim_v, (rim_v + rim_u).normalize(), -rim_u] {
            acetabular.push(Shape::sphere(acet_axis * 0.12 * r_h + dir * (socket + 4.0), osteophyte_r));
        }
    }
    let mut pelvis_parts = vec![
        Shape::Union(acetabular).minus(beyond_edge(0.0)),
        ilium,
        asis_spine,
        sup_ramus(0.0),
        pubic_body(0.0),
        Shape::sphere(v(70.0, -34.0, -8.0) * s, 5.0 * s),
        ischium(0.0),
        inf_ramus,
    ];
    pelvis_parts.push(teardrop.clone());
    pelvis_parts.push(quadrilateral_plate);
    pelvis_parts.push(brim);
    let pelvis_cortical = Shape::Union(pelvis_parts).minus(Shape::sphere(DVec3::ZERO, socket));
    let pelvis_cancellous = Shape::Union(vec![
        ilium_inner,
        bony_cup(acet_cortex).minus(beyond_edge(acet_cortex)),
        roof(table::ILIUM_BODY_CORTEX_MM * s).minus(beyond_edge(table::ILIUM_BODY_CORTEX_MM * s)),
        sup_ramus(2.5),
        pubic_body(2.5),
        ischium(3.0),
        quadrilateral_core,
    ])
    .minus(subchondral)
    .minus(teardrop);
    let acetabular_cartilage = Shape::Intersection(vec![
        Shape::sphere(DVec3::ZERO, socket).minus(Shape::sphere(DVec3::ZERO, r_h + jsw / 2.0)),
        Shape::half_space(acet_axis * 0.1 * r_h, acet_axis),
    ]);

    // ---- Joint capsule: head part all round, neck part to the intertrochanteric
    // line in front and only half the neck behind (DOMAIN.md §2).
    let r_space_head = socket + 2.0;
    let r_outer_head = r_space_head + wall;
    let mid0 = -u0 * (s_junction + 0.5 * p.neck_length_mm);
    let r_neck_outer = r_n + recess;
    let r_neck_outer_ap = r_ap + recess;
    let joint_frame = JointFrame {
        rot,
        base0,
        mid0,
        r_head_mm: r_space_head,
        r_neck_mm: r_neck_outer - wall,
        r_neck_ap_mm: r_neck_outer_ap - wall,
        collar,
        collar_off_mm: recess - wall,
        cup: cup.clone(),
    };
    let capsule_outer = joint_frame.envelope(-wall);
    let capsule_outer_neutral = JointFrame { rot: rot_neutral, ..joint_frame.clone() }.envelope(-wall);
    let joint_space = joint_frame.envelope(0.0);
    let zona_s = s_junction + 5.0;
    // A ring round the neck under the capsule, following the neck's flare; the bone wins where
    // they meet (it comes first).
    let grow = |by: f64| {
        let ring = oval_neck(DVec3::ZERO, base0, r_n + by, r_ap + by);
        Shape::Union(collar.map(|c| c.shape(u0, DVec3::ZERO, by)).into_iter().chain([ring]).collect())
    };
    let zona = turn(Shape::Intersection(vec![grow(recess - wall + 0.5), Shape::slab(-u0 * zona_s, u0, 6.0)]))
        .minus(turn(grow(0.9)));

    // ---- Soft tissue in front of the joint.
    let bursa_centre = v(8.0 * s, -(r_outer_head + 3.2), 0.0);
    let bursa = Shape::ellipsoid_aa(bursa_centre, v(12.0 * s, 2.5, 28.0 * s));
    let psoas_top = v(18.0, -40.0, 95.0) * s;
    let psoas_mid = v(8.0 * s, -(r_outer_head + 17.0), 0.0);
    let iliopsoas = Shape::Union(vec![
        Shape::capsule(psoas_top, psoas_mid, 12.0 * s),
        Shape::capsule(psoas_mid, psoas_insertion, 11.0 * s),
    ]);
    // The tendon in the muscle's deep part, just in front of the bursa over the head and a
    // little lateral to its centre (the bursa lies deep and often medial to it, ESSR hip
    // guidelines), parallel to the muscle above and turning with it toward the lesser
    // trochanter below (assumption: the course; it ends short of the insertion, in the muscle).
    let r_tendon = table::ILIOPSOAS_TENDON_RADIUS_MM;
    let tendon_mid = v(bursa_centre.x - 4.0 * s, bursa_centre.y - 2.5 - 0.6 - r_tendon, 0.0);
    let deep = tendon_mid - psoas_mid;
    let tendon = Shape::Union(vec![
        Shape::capsule(psoas_mid + deep + (psoas_top - psoas_mid) * 0.35, tendon_mid, r_tendon),
        Shape::capsule(tendon_mid, psoas_mid + deep * 0.5 + (psoas_insertion - psoas_mid) * 0.6, r_tendon),
    ]);

    // ---- Femoral nerve, artery, vein: lateral to medial; each at its published
    // distance from the capsule (Mehta 2018), clear of the anterior approach.
    let place = |x: f64, r: f64, gap: f64| -> f64 {
        let reach = r_outer_head + r + gap;
        -(reach * reach - x * x).max((0.3 * reach).powi(2)).sqrt()
    };
    let nerve_x = target_neutral.x + p.nerve_medial_to_target_mm;
    let artery_x = nerve_x + p.nerve_lateral_to_artery_mm;
    let vein_x = artery_x + table::FEMORAL_ARTERY_RADIUS_MM + table::FEMORAL_VEIN_RADIUS_MM + 2.0;
    let mut nerve_y = place(nerve_x, table::FEMORAL_NERVE_RADIUS_MM, p.femoral_nerve_to_joint_mm);
    let mut artery_y = place(artery_x, table::FEMORAL_ARTERY_RADIUS_MM, p.femoral_artery_to_joint_mm);
    let mut vein_y = place(vein_x, table::FEMORAL_VEIN_RADIUS_MM, p.femoral_vein_to_joint_mm);

    // ---- Body outline: an elliptic cylinder fitted to the published depth.
    let x_mid = table::HIP_CENTRE_TO_MIDLINE_MM * s;
    let lateral_soft = 25.0 + 2.5 * (p.bmi_kg_m2 - 20.0).max(0.0);
    // The soft tissues were fitted around the earlier, coarser trochanter; they keep that
    // reference so the body outline, the skin points and the vessels stay where the expert
    // references were validated (docs/ANATOMY.md).
    let x_lat = soft_gt_centre.x - 13.0 * s - lateral_soft;
    let ax = x_mid - x_lat;
    let cap_exit = capsule_outer_neutral
        .ray_spans(target_neutral, -Y, 0.0, 200.0)
        .as_slice()
        .first()
        .map(|sp| sp.1)
        .unwrap_or(5.0);
    let y_front_at_target = target_neutral.y - cap_exit - p.skin_to_capsule_mm;
    let y_back = 110.0 * s + 3.0 * (p.bmi_kg_m2 - 20.0);
    let k = (1.0 - ((target_neutral.x - x_mid) / ax).powi(2)).max(0.05).sqrt();
    let ay = (y_back - y_front_at_target) / (1.0 + k);
    let skin = SkinSurface { cx: x_mid, cy: y_back - ay, ax_mm: ax, ay_mm: ay, z_min: -250.0, z_max: 150.0 };
    let fat_in = table::SKIN_THICKNESS_MM;
    let muscle_in = fat_in + p.subcutaneous_fat_mm;
    let body = |inset: f64| skin.inset(inset);

    // Keep the bundle under the skin in very thin patients.
    for (y, x, r) in [
        (&mut nerve_y, nerve_x, table::FEMORAL_NERVE_RADIUS_MM),
        (&mut artery_y, artery_x, table::FEMORAL_ARTERY_RADIUS_MM),
        (&mut vein_y, vein_x, table::FEMORAL_VEIN_RADIUS_MM),
    ] {
        *y = y.max(skin.front_y(x) + fat_in + r + 3.0);
    }
    // Their courses (FIDELITY.md §5). Above the inguinal ligament (from the ASIS to the pubic
    // tubercle) the external iliac vessels run up, back and medially over the pelvic brim and
    // the nerve up, back and laterally in the groove between psoas and iliacus; below it the
    // common femoral vessels run straight down over the femoral head, in front of the joint at
    // their published distances; the artery divides the published length below the ligament
    // (never at the needle's level) into the superficial femoral artery, which runs on down and
    // a little medially, and the profunda, which leaves back and laterally and gives off the
    // lateral circumflex branch. assumption: the directions of the courses above the ligament
    // and below the bifurcation.
    let bundle_top = 95.0 * s;
    let bundle_bottom = -170.0;
    let pulse_z = 25.0 * s;
    let ligament_z = |x: f64| {
        let f = ((x - asis.x) / (pubic_tubercle.x - asis.x)).clamp(0.0, 1.0);
        (asis.z + f * (pubic_tubercle.z - asis.z)).max(pulse_z + 5.0)
    };
    let (lig_a, lig_v, lig_n) = (ligament_z(artery_x), ligament_z(vein_x), ligament_z(nerve_x));
    let bif_z = (lig_a - table::COMMON_FEMORAL_LENGTH_MM).min(target_neutral.z - table::BIFURCATION_BELOW_TARGET_MM);
    let over_brim = v(14.0, 28.0, 0.0) * s;
    let artery_course = vec![
        v(artery_x, artery_y, bundle_top) + over_brim,
        v(artery_x, artery_y, lig_a),
        v(artery_x, artery_y, bif_z),
        v(artery_x + 8.0 * s, artery_y - 2.0, bundle_bottom),
    ];
    let vein_course = vec![
        v(vein_x, vein_y, bundle_top) + over_brim,
        v(vein_x, vein_y, lig_v),
        v(vein_x, vein_y, bif_z - 8.0),
        v(vein_x + 8.0 * s, vein_y, bundle_bottom),
    ];
    let nerve_course = vec![
        v(nerve_x - 8.0 * s, nerve_y + 18.0 * s, bundle_top),
        v(nerve_x, nerve_y, lig_n),
        v(nerve_x, nerve_y, bundle_bottom),
    ];
    let chain =
        |points: &[DVec3], r: f64| Shape::Union(points.windows(2).map(|w| Shape::capsule(w[0], w[1], r)).collect());
    let femoral_nerve = chain(&nerve_course, table::FEMORAL_NERVE_RADIUS_MM);
    let femoral_artery = chain(&artery_course, table::FEMORAL_ARTERY_RADIUS_MM);
    let femoral_vein = chain(&vein_course, table::FEMORAL_VEIN_RADIUS_MM);
    // Calcified plaques in the artery's wall (older patients): a layer round the lumen, in
    // patches down the common and superficial femoral artery, so that an AP view sees the two
    // walls edge-on as parallel lines ("tram lines"). assumption: where the patches lie.
    let calcification = {
        let (r, t, len) =
            (table::FEMORAL_ARTERY_RADIUS_MM, table::ARTERIAL_CALCIFICATION_MM, table::ARTERIAL_PLAQUE_LENGTH_MM);
        let below = &artery_course[1..];
        let wall = chain(below, r + t).minus(chain(below, r));
        let patches = [lig_a - 0.5 * len - 4.0, bif_z + 0.5 * len + 2.0, bif_z - 40.0]
            .map(|z| Shape::slab(Z * z, Z, len))
            .to_vec();
        // Without it, an empty union: a solid that holds nothing.
        let patches = if p.femoral_artery_calcified { patches } else { Vec::new() };
        Shape::Intersection(vec![Shape::Union(patches), wall])
    };
    let bifurcation = v(artery_x, artery_y, bif_z);
    let bundle = Bundle {
        nerve: nerve_course,
        artery: artery_course,
        vein: vein_course,
        inguinal_ligament: v(artery_x, artery_y, lig_a),
        bifurcation,
    };

    // The profunda leaves the bifurcation back and laterally, gives off the lateral circumflex
    // branch, and runs down the thigh behind the superficial femoral artery, between it and
    // the femur. The branch runs across the front of the neck's base to the trochanter (its
    // course there turns with the femur). Each a chain in the order the blood runs.
    // assumption: the courses.
    let lcx_origin = bifurcation + v(-6.0, 6.0, -12.0) * s;
    // Down the thigh beside the femur's medial surface (the leg neutral), a finger's breadth
    // off it, level with the shaft's centre front to back.
    let shaft_neutral = rot_neutral * shaft_bottom0;
    let profunda_bottom = v(shaft_neutral.x + r_shaft + 12.0 * s, shaft_neutral.y, bundle_bottom);
    let profunda_course = vec![
        bifurcation,
        lcx_origin,
        v(0.5 * (lcx_origin.x + profunda_bottom.x), artery_y + 16.0 * s, bifurcation.z - 50.0 * s),
        profunda_bottom,
    ];
    let profunda = chain(&profunda_course, table::PROFUNDA_RADIUS_MM);
    // In front of the capsule over the oval neck's base.
    let r_front = oval_radius(anterior_perp.dot(rot * up_perp0), anterior_perp.dot(rot * Y), r_n, r_ap);
    let lcx_mid = base + anterior_perp * (r_front + recess + 6.0) + Z * -6.0;
    let lcx_end = rot * soft_gt0 + v(0.0, -17.0 * s - 4.0, -22.0 * s);
    let circumflex = Shape::Union(vec![
        Shape::capsule(lcx_origin, lcx_mid, table::CIRCUMFLEX_RADIUS_MM),
        Shape::capsule(lcx_mid, lcx_end, table::CIRCUMFLEX_RADIUS_MM),
    ]);

    // LFCN: medial to the ASIS, never lateral, then down and out in the fat.
    let lfcn_top = asis + v(p.lfcn_medial_to_asis_mm, -6.0, -12.0);
    let lfcn_bottom_x = asis.x - 25.0 * s;
    let lfcn_bottom =
        v(lfcn_bottom_x, skin.front_y(lfcn_bottom_x) + fat_in + 0.6 * p.subcutaneous_fat_mm, asis.z - 170.0);
    let lfcn = Shape::capsule(lfcn_top, lfcn_bottom, table::LFCN_RADIUS_MM);

    // Posterior: gluteal muscles and the sciatic nerve (prone approach).
    let gluteal = Shape::Intersection(vec![
        Shape::ellipsoid_aa(v(-25.0, 75.0, 20.0) * s, v(70.0, 40.0, 90.0) * s),
        body(muscle_in),
    ]);
    let (sciatic_top, sciatic_bottom) = (v(5.0, 62.0, 90.0) * s, v(-15.0, 58.0, -160.0) * s);
    let sciatic = Shape::capsule(sciatic_top, sciatic_bottom, table::SCIATIC_RADIUS_MM);
    // Its centre line at the level of the target.
    let sciatic_at_target = sciatic_top
        + (sciatic_bottom - sciatic_top) * ((sciatic_top.z - target.z) / (sciatic_top.z - sciatic_bottom.z));

    let landmarks = Landmarks {
        target,
        asis,
        pubic_tubercle,
        femoral_pulse: v(artery_x, skin.front_y(artery_x), pulse_z),
        greater_trochanter_tip: gt_tip,
        joint_centre: DVec3::ZERO,
        anterior_entry: v(target.x, skin.front_y(target.x), target.z),
        femoral_artery: v(artery_x, artery_y, target.z),
        femoral_vein: v(vein_x, vein_y, target.z),
        femoral_nerve: v(nerve_x, nerve_y, target.z),
        sciatic_nerve: sciatic_at_target,
        iliopsoas_bursa: bursa_centre,
        lfcn: lfcn_top + (lfcn_bottom - lfcn_top) * 0.25,
        posterior_target,
        posterior_entry: v(
            posterior_target.x - POSTERIOR_ENTRY_LATERAL_MM,
            skin.back_y(posterior_target.x - POSTERIOR_ENTRY_LATERAL_MM),
            posterior_target.z,
        ),
    };

    // Detail (mm): the smallest feature a display mesh must resolve.
    let structures = vec![
        (Tissue::FemoralArtery, femoral_artery, 3.0),
        (Tissue::ArterialCalcification, calcification, 1.0),
        (Tissue::FemoralVein, femoral_vein, 3.0),
        (Tissue::FemoralNerve, femoral_nerve, 2.5),
        (Tissue::LateralFemoralCutaneousNerve, lfcn, 1.4),
        (Tissue::LateralCircumflexBranch, circumflex, 1.8),
        (Tissue::ProfundaFemoris, profunda, 3.0),
        (Tissue::SciaticNerve, sciatic, 4.0),
        (Tissue::FemoralMarrow, femoral_marrow, 3.0),
        (Tissue::Trabeculae, head_trabeculae, 1.0),
        (Tissue::NeckTrabeculae, neck_trabeculae, 1.0),
        (Tissue::FemoralHeadCancellous, head_cancellous, 4.0),
        (Tissue::FemurCancellous, femur_cancellous, 3.0),
        (Tissue::PelvisCancellous, pelvis_cancellous, 4.0),
        (Tissue::FemurCortical, femur_cortical, 3.0),
        (Tissue::PelvisCortical, pelvis_cortical, 3.0),
        (Tissue::FemoralCartilage, femoral_cartilage, 2.0),
        (Tissue::AcetabularCartilage, acetabular_cartilage, 2.0),
        (Tissue::ZonaOrbicularis, zona, 1.5),
        (Tissue::JointSpace, joint_space, 2.0),
        (Tissue::CapsuleWall, capsule_outer, 2.5),
        (Tissue::IliopsoasBursa, bursa, 2.0),
        (Tissue::IliopsoasTendon, tendon, 4.0),
        (Tissue::Iliopsoas, iliopsoas, 6.0),
        (Tissue::GlutealMuscles, gluteal, 8.0),
        (Tissue::Muscle, body(muscle_in), 8.0),
        (Tissue::Fat, body(fat_in), 8.0),
        (Tissue::Skin, body(0.0), 8.0),
    ];
    let neck_mid0 = -u0 * (s_junction + 0.2 * p.neck_length_mm);
    let morphometry = Morphometry {
        lesser_trochanter: rot * lt_point0,
        shaft_axis: rot * v(-offset, 0.0, 0.0),
        shaft_radius_mm: r_shaft,
        canal_top_z,
        neck_mid: rot * neck_mid0,
        calcar_dir: rot * calcar0,
        wards_triangle: rot * wards_centre0,
        teardrop_lateral: v(td_x - td_r, 0.0, 0.5 * (td_top.z + td_bottom.z)),
        roof_edge: v(roof_edge_x, 0.0, socket * libm::cos(ce)),
        socket_radius_mm: socket,
        obturator_foramen: v(50.0, -1.5, -36.0) * s,
        ilioischial_line: v(ii_x, plate_y, 10.0 * s),
        iliopectineal_line: brim_points[2],
    };
    Built { joint_frame, morphometry, structures, landmarks, bundle, skin, neck_axis: u, acetabular_axis: acet_axis }
}
