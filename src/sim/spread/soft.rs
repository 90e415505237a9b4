//! Contrast outside the joint and vessels: a soft cloud in fat, feathery streaks along
//! muscle fibres, a streak along the capsule's fibres, the iliopsoas bursa filling as a
//! craniocaudal sac, and the U-shaped sleeve round the iliopsoas tendon (FIDELITY.md §7).

use glam::DVec3;

use super::IODINE_MG_PER_ML_MM3;
use crate::sim::anatomy::{Patient, Primitive, Shape, Tissue};
use crate::sim::imaging::IodinePuff;

/// Share of the tissue a depot of fluid permeates that the fluid fills. assumption: fat
/// takes fluid between its lobules, about a third by volume.
pub const FAT_UPTAKE: f64 = 0.35;
/// A cloud's equivalent-sphere radius over its Gaussian σ. assumption: the visible edge
/// sits about where a uniform sphere's would.
const CLOUD_RADIUS_PER_SIGMA: f64 = 1.6;
/// Along-fibre σ of an intramuscular streak per cube root of the volume (mm per mL^⅓).
/// assumption: "feathery" streaks several cm long for 1-3 mL.
pub const MUSCLE_STREAK_MM_PER_CBRT_ML: f64 = 12.0;
/// Spacing across the fibres of the streaks and their width (σ, mm). assumption.
pub const MUSCLE_STREAK_SPACING_MM: f64 = 2.0;
pub const MUSCLE_STREAK_WIDTH_MM: f64 = 0.8;
/// A streak in the capsule wall: σ along the fibres per mL^⅓, across, and through the
/// wall (mm). assumption: "a streak along the capsule, not a disc" (FIDELITY.md §7).
pub const WALL_STREAK_MM_PER_CBRT_ML: f64 = 8.0;
pub const WALL_STREAK_WIDTH_MM: f64 = 1.5;
pub const WALL_STREAK_DEPTH_MM: f64 = 0.7;
/// How much more easily fluid runs craniocaudally in the bursa than across it. assumption:
/// the sac is long (5-7 × 2-4 cm, FIDELITY.md §7) and fills along its length.
pub const BURSA_CRANIOCAUDAL_EASE: f64 = 3.0;
/// Lattice spacing of the bursa's fill (mm).
const BURSA_STEP_MM: f64 = 2.0;
/// A tip this close (mm) to the iliopsoas tendon's surface, or in it, injects round the
/// tendon (peritendinous). assumption: about the bevel's opening plus a millimetre.
pub const PERITENDINOUS_REACH_MM: f64 = 2.5;
/// Thickness of the fluid sleeve round the tendon (mm). assumption: a thin film in the
/// loose tissue about the tendon, thicker than the joint's.
pub const PERITENDINOUS_FILM_MM: f64 = 1.5;
/// How much more easily fluid runs along the tendon than round it. assumption: the sleeve
/// runs craniocaudally along the tendon, like the bursa (FIDELITY.md §7).
pub const PERITENDINOUS_ALONG_EASE: f64 = 2.0;
/// Lattice spacing of the sleeve (mm, along and round).
const SLEEVE_STEP_MM: f64 = 2.0;

/// A globular cloud at the tip, soft-edged: a Gaussian with a few offset lobes so its edge
/// is irregular. `across` is the needle's direction (the cloud is a little flatter along it).
pub fn cloud(at: DVec3, across: DVec3, volume_ml: f64, iodine_mg: f64, out: &mut Vec<IodinePuff>) {
    let v_tissue_mm3 = volume_ml / FAT_UPTAKE * 1000.0;
    let radius = libm::cbrt(3.0 * v_tissue_mm3 / (4.0 * std::f64::consts::PI));
    let sigma = radius / CLOUD_RADIUS_PER_SIGMA;
    let (u, v) = basis(across);
    out.push(IodinePuff::new(at, u, v, DVec3::new(sigma, sigma, 0.8 * sigma), 0.64 * iodine_mg));
    // Six lobes at fixed directions round the tip.
    for k in 0..6 {
        let a = k as f64 * std::f64::consts::TAU / 6.0 + 0.4;
        let dir = u * libm::cos(a) + v * libm::sin(a) + across.normalize() * if k % 2 == 0 { 0.3 } else { -0.3 };
        let r = 0.75 * sigma * (1.0 + 0.15 * ((k * 7 % 5) as f64 - 2.0) / 2.0);
        out.push(IodinePuff::round(at + dir.normalize() * r, 0.55 * sigma, 0.06 * iodine_mg));
    }
}

/// Feathery streaks along muscle fibres `fibre`, spread across them in the plane the
/// needle came through.
pub fn muscle_streaks(
    at: DVec3,
    fibre: DVec3,
    needle: DVec3,
    volume_ml: f64,
    iodine_mg: f64,
    out: &mut Vec<IodinePuff>,
) {
    let f = fibre.normalize();
    let across = {
        let c = f.cross(needle);
        if c.length_squared() < 1e-6 { basis(f).0 } else { c.normalize() }
    };
    let depth = f.cross(across);
    let along = MUSCLE_STREAK_MM_PER_CBRT_ML * libm::cbrt(volume_ml.max(1e-6));
    // Five streaks: the middle one longest, shifted along the fibres a little each.
    let shares = [0.15, 0.2, 0.3, 0.2, 0.15];
    let shifts = [0.25, -0.2, 0.0, 0.15, -0.3];
    let lengths = [0.7, 0.85, 1.0, 0.9, 0.75];
    for k in 0..5 {
        let offset = (k as f64 - 2.0) * MUSCLE_STREAK_SPACING_MM;
        let centre = at + across * offset + f * (shifts[k] * along) + depth * libm::sin(0.6 * (k as f64 - 2.0));
        out.push(IodinePuff::new(
            centre,
            f,
            across,
            DVec3::new(along * lengths[k], MUSCLE_STREAK_WIDTH_MM, 1.5 * MUSCLE_STREAK_WIDTH_MM),
            shares[k] * iodine_mg,
        ));
    }
}

/// A streak in the capsule wall along its fibres (the neck axis, in the wall's plane).
pub fn wall_streak(patient: &Patient, at: DVec3, volume_ml: f64, iodine_mg: f64, out: &mut Vec<IodinePuff>) {
    let env = patient.joint_frame.envelope(0.0);
    let h = 0.5;
    let grad = DVec3::new(
        env.signed_distance(at + DVec3::X * h) - env.signed_distance(at - DVec3::X * h),
        env.signed_distance(at + DVec3::Y * h) - env.signed_distance(at - DVec3::Y * h),
        env.signed_distance(at + DVec3::Z * h) - env.signed_distance(at - DVec3::Z * h),
    );
    let normal = grad.normalize_or(DVec3::NEG_Y);
    let axis = patient.neck_axis.normalize();
    let along = (axis - normal * axis.dot(normal)).normalize_or(basis(normal).0);
    let sigma = WALL_STREAK_MM_PER_CBRT_ML * libm::cbrt(volume_ml.max(1e-6));
    out.push(IodinePuff::new(
        at,
        along,
        normal.cross(along),
        DVec3::new(sigma, WALL_STREAK_WIDTH_MM, WALL_STREAK_DEPTH_MM),
        iodine_mg,
    ));
}

/// The direction of the muscle fibres at `p`: along the iliopsoas toward the lesser
/// trochanter, else craniocaudal (the thigh's long muscles).
pub fn fibre_direction(patient: &Patient, p: DVec3) -> DVec3 {
    if patient.tissue_at(p) == Tissue::Iliopsoas
        && let Some(s) = patient.structures().iter().find(|s| s.tissue == Tissue::Iliopsoas)
    {
        let mut best = (f64::INFINITY, DVec3::Z);
        collect_segments(&s.shape, &mut |a, b| {
            let seg = b - a;
            let t = ((p - a).dot(seg) / seg.length_squared().max(1e-12)).clamp(0.0, 1.0);
            let d = (a + seg * t - p).length();
            if d < best.0 {
                best = (d, seg.normalize_or(DVec3::Z));
            }
        });
        return best.1;
    }
    DVec3::Z
}

fn collect_segments(shape: &Shape, f: &mut impl FnMut(DVec3, DVec3)) {
    match shape {
        Shape::Prim(Primitive::Capsule { a, b, .. }) | Shape::Prim(Primitive::Cylinder { a, b, .. }) => f(*a, *b),
        Shape::Union(parts) | Shape::Intersection(parts) => parts.iter().for_each(|p| collect_segments(p, f)),
        Shape::Difference(a, _) => collect_segments(a, f),
        _ => {}
    }
}

/// The iliopsoas bursa's lattice, in fill order from an entry point.
#[derive(Clone, Debug, Default)]
pub struct BursaMap {
    cells: Vec<DVec3>,
}

impl BursaMap {
    pub fn build(patient: &Patient, entry: DVec3) -> BursaMap {
        let Some(b) = patient.structures().iter().find(|s| s.tissue == Tissue::IliopsoasBursa) else {
            return BursaMap::default();
        };
        let h = BURSA_STEP_MM;
        let n = (b.aabb.size() / h).ceil().as_uvec3();
        let mut cells = Vec::new();
        for k in 0..n.z {
            for j in 0..n.y.max(1) {
                for i in 0..n.x {
                    let p = b.aabb.min + (DVec3::new(i as f64, j as f64, k as f64) + 0.5) * h;
                    if b.shape.contains(p) {
                        cells.push(p);
                    }
                }
            }
        }
        if cells.is_empty() {
            // A bursa thinner than the lattice: its mid-plane.
            cells.push(patient.landmarks.iliopsoas_bursa);
        }
        let cost = |p: DVec3| {
            let d = p - entry;
            (d.x * d.x + d.y * d.y + (d.z / BURSA_CRANIOCAUDAL_EASE).powi(2)).sqrt()
        };
        cells.sort_by(|a, b| cost(*a).total_cmp(&cost(*b)));
        BursaMap { cells }
    }

    /// Volume (mL) the sac holds undistended.
    pub fn capacity_ml(&self) -> f64 {
        self.cells.len() as f64 * BURSA_STEP_MM.powi(3) / 1000.0
    }

    /// Puffs of `volume_ml` at `mg_per_ml` filling the sac from the entry; past its
    /// capacity the full sac distends (every cell holds more).
    pub fn puffs(&self, volume_ml: f64, mg_per_ml: f64, out: &mut Vec<IodinePuff>) {
        let cell_ml = BURSA_STEP_MM.powi(3) / 1000.0;
        let mut left = volume_ml;
        let distend = (volume_ml / self.capacity_ml().max(1e-9)).max(1.0);
        for p in &self.cells {
            if left <= 0.0 {
                break;
            }
            let ml = (cell_ml * distend).min(left);
            left -= ml;
            out.push(IodinePuff::round(*p, 0.6 * BURSA_STEP_MM, ml * 1000.0 * mg_per_ml * IODINE_MG_PER_ML_MM3));
        }
    }
}

/// The sleeve round the iliopsoas tendon, in fill order from an entry point: cells on a
/// cylinder about the tendon's centre line, over the arc of its circumference the fluid can
/// wrap (the patient's `peritendinous_arc_share`, centred on the side the needle came to),
/// nearest first, running more easily along the tendon than round it.
#[derive(Clone, Debug, Default)]
pub struct TendonSleeve {
    cells: Vec<SleeveCell>,
    /// Where the fluid went in: it stays there if the sleeve has no room at all.
    entry: DVec3,
}

/// One cell of the sleeve: its point on the tendon's surface, the directions along and round
/// the tendon and out from it, its size (tendon radius, angle round, length along) and the
/// volume (mL) it holds undistended.
#[derive(Clone, Copy, Debug)]
struct SleeveCell {
    surface: DVec3,
    along: DVec3,
    round: DVec3,
    out: DVec3,
    r_in: f64,
    d_phi: f64,
    step: f64,
    ml: f64,
}

/// The tendon's centre line, top to bottom, and its radius.
pub fn tendon_line(patient: &Patient) -> Option<(Vec<(DVec3, DVec3)>, f64)> {
    let s = patient.structures().iter().find(|s| s.tissue == Tissue::IliopsoasTendon)?;
    let mut segments = Vec::new();
    collect_segments(&s.shape, &mut |a, b| segments.push((a, b)));
    let radius = match &s.shape {
        Shape::Union(parts) => match parts.first() {
            Some(Shape::Prim(Primitive::Capsule { radius_mm, .. })) => *radius_mm,
            _ => return None,
        },
        Shape::Prim(Primitive::Capsule { radius_mm, .. }) => *radius_mm,
        _ => return None,
    };
    (!segments.is_empty()).then_some((segments, radius))
}

/// The nearest point of a polyline of segments to `p`: (arc length from the top, the point,
/// the unit direction there).
fn nearest_on(segments: &[(DVec3, DVec3)], p: DVec3) -> (f64, DVec3, DVec3) {
    let mut best = (f64::INFINITY, 0.0, DVec3::ZERO, DVec3::NEG_Z);
    let mut start = 0.0;
    for (a, b) in segments {
        let seg = *b - *a;
        let len = seg.length().max(1e-9);
        let t = ((p - *a).dot(seg) / (len * len)).clamp(0.0, 1.0);
        let q = *a + seg * t;
        let d = (p - q).length();
        if d < best.0 {
            best = (d, start + t * len, q, seg / len);
        }
        start += len;
    }
    (best.1, best.2, best.3)
}

/// Unit vectors round a tendon running along `t`: the first anterior (−y) as far as it can be.
fn round_frame(t: DVec3) -> (DVec3, DVec3) {
    let u = (DVec3::NEG_Y - t * DVec3::NEG_Y.dot(t)).normalize_or(basis(t).0);
    (u, t.cross(u))
}

impl TendonSleeve {
    pub fn build(patient: &Patient, entry: DVec3) -> TendonSleeve {
        let Some((segments, r_tendon)) = tendon_line(patient) else {
            return TendonSleeve { cells: Vec::new(), entry };
        };
        let radius = r_tendon + 0.5 * PERITENDINOUS_FILM_MM;
        let n_round = ((std::f64::consts::TAU * radius / SLEEVE_STEP_MM).ceil() as usize).max(8);
        let d_phi = std::f64::consts::TAU / n_round as f64;
        let half_arc = std::f64::consts::PI * patient.params.peritendinous_arc_share.clamp(0.0, 1.0);
        let (s0, c0, t0) = nearest_on(&segments, entry);
        let (u0, w0) = round_frame(t0);
        let phi0 = libm::atan2((entry - c0).dot(w0), (entry - c0).dot(u0));
        let mut cells = Vec::new();
        let mut start = 0.0;
        for (a, b) in &segments {
            let seg = *b - *a;
            let len = seg.length();
            let t = seg / len.max(1e-9);
            let (u, w) = round_frame(t);
            let steps = (len / SLEEVE_STEP_MM).ceil().max(1.0) as usize;
            let step = len / steps as f64;
            let cell_ml = step * radius * d_phi * PERITENDINOUS_FILM_MM / 1000.0;
            for i in 0..steps {
                let along = (i as f64 + 0.5) * step;
                let c = *a + t * along;
                for k in 0..n_round {
                    let phi = phi0 + (k as f64 - (n_round / 2) as f64) * d_phi;
                    let turn = libm::remainder(phi - phi0, std::f64::consts::TAU);
                    if turn.abs() > half_arc + 1e-9 {
                        continue;
                    }
                    let out = u * libm::cos(phi) + w * libm::sin(phi);
                    let p = c + out * radius;
                    let here = patient.tissue_at(p);
                    if here.is_bone() || matches!(here, Tissue::JointSpace | Tissue::CapsuleWall) {
                        continue;
                    }
                    let cost = libm::hypot(radius * turn, (start + along - s0) / PERITENDINOUS_ALONG_EASE);
                    let cell = SleeveCell {
                        surface: c + out * r_tendon,
                        along: t,
                        round: out.cross(t),
                        out,
                        r_in: r_tendon,
                        d_phi,
                        step,
                        ml: cell_ml,
                    };
                    cells.push((cost, cell));
                }
            }
            start += len;
        }
        cells.sort_by(|x, y| x.0.total_cmp(&y.0));
        TendonSleeve { cells: cells.into_iter().map(|(_, c)| c).collect(), entry }
    }

    /// Volume (mL) the sleeve holds before it distends.
    pub fn capacity_ml(&self) -> f64 {
        self.cells.iter().map(|c| c.ml).sum()
    }

    /// Puffs of `volume_ml` at `mg_per_ml` wrapping the tendon from the entry; past its
    /// capacity the whole sleeve thickens outward (its inner face stays on the tendon).
    pub fn puffs(&self, volume_ml: f64, mg_per_ml: f64, out: &mut Vec<IodinePuff>) {
        let mg = |ml: f64| ml * 1000.0 * mg_per_ml * IODINE_MG_PER_ML_MM3;
        if self.cells.is_empty() {
            // No room round the tendon here (never on a built patient): a depot at the tip.
            let r = libm::cbrt(3.0 * volume_ml * 1000.0 / (4.0 * std::f64::consts::PI));
            out.push(IodinePuff::round(self.entry, (r / 1.6).max(1.0), mg(volume_ml)));
            return;
        }
        let mut left = volume_ml;
        let distend = (volume_ml / self.capacity_ml().max(1e-9)).max(1.0);
        for c in &self.cells {
            if left <= 0.0 {
                break;
            }
            let ml = (c.ml * distend).min(left);
            left -= ml;
            // The shell's thickness that holds this cell's volume over its angle and length:
            // the film undistended, thicker (and its arc wider) as it distends.
            let film = (c.r_in * c.r_in + 2.0 * c.ml * distend * 1000.0 / (c.d_phi * c.step)).sqrt() - c.r_in;
            let mid = c.r_in + 0.5 * film;
            out.push(IodinePuff::new(
                c.surface + c.out * 0.5 * film,
                c.along,
                c.round,
                DVec3::new(0.6 * c.step, 0.6 * mid * c.d_phi, 0.4 * film),
                mg(ml),
            ));
        }
    }
}

/// Two unit vectors across `n`.
pub fn basis(n: DVec3) -> (DVec3, DVec3) {
    let n = n.normalize_or(DVec3::Y);
    let helper = if n.z.abs() < 0.9 { DVec3::Z } else { DVec3::X };
    let u = n.cross(helper).normalize();
    (u, n.cross(u))
}
