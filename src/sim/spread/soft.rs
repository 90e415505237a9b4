//! Contrast outside the joint and vessels: a soft cloud in fat, feathery streaks along
//! muscle fibres, a streak along the capsule's fibres, and the iliopsoas bursa filling
//! as a craniocaudal sac (FIDELITY.md §7).

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

/// Two unit vectors across `n`.
pub fn basis(n: DVec3) -> (DVec3, DVec3) {
    let n = n.normalize_or(DVec3::Y);
    let helper = if n.z.abs() < 0.9 { DVec3::Z } else { DVec3::X };
    let u = n.cross(helper).normalize();
    (u, n.cross(u))
}
