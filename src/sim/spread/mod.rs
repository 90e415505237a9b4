//! How injected contrast spreads, compartment by compartment, as iodine puffs the
//! projector splats and the 3D view draws (FIDELITY.md §7): the joint's film (`joint`),
//! the vascular bolus (`vessel`), and clouds, streaks and the bursa (`soft`).
//! `InjectionState` (injection.rs) owns the volumes; this module turns them into iodine.

pub mod joint;
pub mod soft;
pub mod vessel;

use crate::sim::anatomy::Shape;
use crate::sim::imaging::{ContrastBody, IodinePuff};

/// mg of iodine in one mm³ at 1 mg/mL.
pub const IODINE_MG_PER_ML_MM3: f64 = 1e-3;

/// 0 below `a`, 1 above `b`, smooth between.
pub fn smoothstep(a: f64, b: f64, x: f64) -> f64 {
    let t = ((x - a) / (b - a)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// At most this many spheres make one hull of the 3D view (bounds its meshing time).
const MAX_HULL_SPHERES: usize = 160;

/// A display hull round a group of puffs for the 3D view: spheres at a spread of the
/// puffs (at most `MAX_HULL_SPHERES`), at least `min_radius_mm` round, carrying the
/// group's typical concentration (mg/mL) for its opacity.
pub fn hull(puffs: &[IodinePuff], min_radius_mm: f64) -> Option<ContrastBody> {
    let heavy: Vec<&IodinePuff> = puffs.iter().filter(|p| p.iodine_mg > 0.0).collect();
    if heavy.is_empty() {
        return None;
    }
    // Thin the puffs on a grid whose cell grows until few enough remain.
    let mut cell = 2.0f64.max(min_radius_mm);
    let chosen = loop {
        let mut seen = std::collections::HashSet::new();
        let picked: Vec<&IodinePuff> =
            heavy.iter().copied().filter(|p| seen.insert((p.centre / cell).floor().as_ivec3())).collect();
        if picked.len() <= MAX_HULL_SPHERES {
            break picked;
        }
        cell *= 1.3;
    };
    let parts: Vec<Shape> = chosen
        .iter()
        .map(|p| Shape::sphere(p.centre, (1.5 * p.max_sigma_mm()).max(min_radius_mm).max(0.6 * cell)))
        .collect();
    let peak = heavy.iter().map(|p| p.concentration_at(p.centre)).fold(0.0, f64::max);
    let shape = if parts.len() == 1 { parts.into_iter().next()? } else { Shape::Union(parts) };
    Some(ContrastBody::new(shape, peak.min(300.0)))
}
