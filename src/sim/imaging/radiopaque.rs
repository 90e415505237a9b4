//! What the projector sees besides the patient, defined here so that imaging depends on
//! nothing but the anatomy: the needle and the injection provide these.
//!
//! - `NeedlePath`: steel, a centre line with a radius (the needle's drawn path);
//! - `ContrastField`: iodine, bodies of uniform concentration (the injected contrast).

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

/// All the contrast in the patient at one moment.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ContrastField {
    bodies: Vec<ContrastBody>,
}

impl ContrastField {
    pub fn new(bodies: Vec<ContrastBody>) -> Self {
        ContrastField { bodies }
    }
    pub fn bodies(&self) -> &[ContrastBody] {
        &self.bodies
    }
    pub fn is_empty(&self) -> bool {
        self.bodies.iter().all(|b| b.iodine_mg_per_ml <= 0.0)
    }
    /// Iodine concentration (mg/mL) at a point.
    pub fn concentration_at(&self, p: DVec3) -> f64 {
        self.bodies.iter().filter(|b| b.aabb.contains(p) && b.shape.contains(p)).map(|b| b.iodine_mg_per_ml).sum()
    }
}
