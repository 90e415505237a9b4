//! What the projector sees besides the patient, defined here so that imaging depends on
//! nothing but the anatomy: the needle and the injection provide these.
//!
//! - `NeedlePath`: steel, a centre line with a radius (the needle's drawn path);
//! - `ContrastField`: iodine as Gaussian puffs (the injected contrast), with display hulls
//!   for the 3D view.

use glam::DVec3;
use serde::{Deserialize, Serialize};

use crate::sim::anatomy::{Aabb, Primitive, Shape};

/// The needle's centre line from hub to tip, with its outer radius.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NeedlePath {
    /// Points from the hub (first) to the tip (last), patient coordinates (mm).
    pub points: Vec<DVec3>,
    pub radius_mm: f64,
}

impl NeedlePath {
    /// A straight needle from `hub` to `tip`.
    pub fn straight(hub: DVec3, tip: DVec3, radius_mm: f64) -> Self {
        NeedlePath { points: vec![hub, tip], radius_mm }
    }

    pub fn tip(&self) -> Option<DVec3> {
        self.points.last().copied()
    }

    pub fn aabb(&self) -> Option<Aabb> {
        let r = DVec3::splat(self.radius_mm);
        let mut it = self.points.iter();
        let first = *it.next()?;
        Some(it.fold(Aabb { min: first - r, max: first + r }, |b, &p| b.union(Aabb { min: p - r, max: p + r })))
    }

    /// Length of steel (mm) crossed by the segment `o + t d`, `t` in `[0, len]`.
    pub fn steel_length_mm(&self, o: DVec3, d: DVec3, len: f64) -> f64 {
        self.points
            .windows(2)
            .filter_map(|w| {
                if (w[1] - w[0]).length_squared() < 1e-12 {
                    return None;
                }
                Primitive::Cylinder { a: w[0], b: w[1], radius_mm: self.radius_mm }
                    .ray_span(o, d)
                    .map(|(t0, t1)| (t1.min(len) - t0.max(0.0)).max(0.0))
            })
            .sum()
    }
}

/// A region holding iodine at a uniform concentration.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ContrastBody {
    pub shape: Shape,
    pub aabb: Aabb,
    pub iodine_mg_per_ml: f64,
}

impl ContrastBody {
    pub fn new(shape: Shape, iodine_mg_per_ml: f64) -> Self {
        let aabb = shape.aabb();
        ContrastBody { shape, aabb, iodine_mg_per_ml }
    }

    /// ∫ iodine concentration along `o + t d`, `t` in `[0, len]` (mg/mL × mm).
    pub fn iodine_line_integral(&self, o: DVec3, d: DVec3, len: f64) -> f64 {
        if self.iodine_mg_per_ml <= 0.0 {
            return 0.0;
        }
        self.shape.ray_spans(o, d, 0.0, len).total() * self.iodine_mg_per_ml
    }
}

/// Puffs are cut off beyond this many standard deviations (Mahalanobis distance), in
/// the projection and in point queries alike, so a cloud has a finite reach.
pub const PUFF_CUTOFF_SIGMA: f64 = 3.5;

/// A puff of iodine with a Gaussian profile: its mass, centre and three orthogonal axes
/// whose lengths are the standard deviations (mm). Many small puffs make a film, a
/// column or a cloud; a projection of a puff is a 2D Gaussian holding the same mass.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct IodinePuff {
    pub centre: DVec3,
    pub axes: [DVec3; 3],
    pub iodine_mg: f64,
}

impl IodinePuff {
    /// A puff whose axes are `u`, `v` and their cross product, with sigmas `sigma_mm`.
    pub fn new(centre: DVec3, u: DVec3, v: DVec3, sigma_mm: DVec3, iodine_mg: f64) -> Self {
        let u = u.normalize();
        let v = (v - u * v.dot(u)).normalize();
        let w = u.cross(v);
        IodinePuff { centre, axes: [u * sigma_mm.x, v * sigma_mm.y, w * sigma_mm.z], iodine_mg }
    }

    /// A round puff.
    pub fn round(centre: DVec3, sigma_mm: f64, iodine_mg: f64) -> Self {
        IodinePuff::new(centre, DVec3::X, DVec3::Y, DVec3::splat(sigma_mm), iodine_mg)
    }

    /// Squared Mahalanobis distance of `p` from the centre.
    fn m2(&self, p: DVec3) -> f64 {
        let d = p - self.centre;
        self.axes.iter().map(|a| (d.dot(*a) / a.length_squared()).powi(2)).sum()
    }

    /// Iodine concentration (mg/mL) at `p`; zero beyond the cut-off.
    pub fn concentration_at(&self, p: DVec3) -> f64 {
        let m2 = self.m2(p);
        if m2 > PUFF_CUTOFF_SIGMA * PUFF_CUTOFF_SIGMA {
            return 0.0;
        }
        let s = self.axes[0].length() * self.axes[1].length() * self.axes[2].length();
        let peak_mg_mm3 = self.iodine_mg / (libm::pow(2.0 * std::f64::consts::PI, 1.5) * s);
        peak_mg_mm3 * 1000.0 * libm::exp(-0.5 * m2)
    }

    /// Largest standard deviation (mm).
    pub fn max_sigma_mm(&self) -> f64 {
        self.axes.iter().map(|a| a.length()).fold(0.0, f64::max)
    }
}

/// All the contrast in the patient at one moment: iodine puffs (what the X-ray sees)
/// and display hulls drawn from the same puffs (what the 3D view meshes).
#[derive(Clone, Debug, Default, Serialize)]
pub struct ContrastField {
    bodies: Vec<ContrastBody>,
    puffs: Vec<IodinePuff>,
}

impl ContrastField {
    /// A field of uniform bodies only (test objects).
    pub fn new(bodies: Vec<ContrastBody>) -> Self {
        ContrastField { bodies, puffs: Vec::new() }
    }
    /// A field of puffs, with the hulls the 3D view draws for them.
    pub fn from_puffs(puffs: Vec<IodinePuff>, hulls: Vec<ContrastBody>) -> Self {
        ContrastField { bodies: hulls, puffs }
    }
    /// Display hulls (the 3D view meshes these); the X-ray reads the puffs.
    pub fn bodies(&self) -> &[ContrastBody] {
        &self.bodies
    }
    pub fn puffs(&self) -> &[IodinePuff] {
        &self.puffs
    }
    pub fn is_empty(&self) -> bool {
        if self.puffs.is_empty() {
            self.bodies.iter().all(|b| b.iodine_mg_per_ml <= 0.0)
        } else {
            self.puffs.iter().all(|p| p.iodine_mg <= 0.0)
        }
    }
    /// Iodine (mg) in the puffs.
    pub fn iodine_mg(&self) -> f64 {
        self.puffs.iter().map(|p| p.iodine_mg).sum()
    }
    /// Iodine concentration (mg/mL) at a point.
    pub fn concentration_at(&self, p: DVec3) -> f64 {
        if !self.puffs.is_empty() {
            return self.puffs.iter().map(|q| q.concentration_at(p)).sum();
        }
        self.bodies.iter().filter(|b| b.aabb.contains(p) && b.shape.contains(p)).map(|b| b.iodine_mg_per_ml).sum()
    }
}
