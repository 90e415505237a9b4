//! Intravascular contrast: a bolus diluted by the blood flow, carried downstream.
//!
//! Pushed at q mL/s into a vessel carrying Q mL/s, the mix holds C = 300·q/(Q+q) mgI/mL
//! (FIDELITY.md §7) and moves at (Q+q)/A along the lumen of area A, so the iodine per mm
//! of vessel is 300·q/v: nothing is lost or made. Each stretch of the push is a piece of
//! column; its edges blur as it travels (dispersion) and what passes the end of the
//! vessel's course has left the field (washed out).

use glam::DVec3;
use serde::{Deserialize, Serialize};

use crate::sim::anatomy::params::table;
use crate::sim::anatomy::{Patient, Primitive, Shape, Tissue};
use crate::sim::imaging::IodinePuff;

/// Femoral artery flow (mL/s): ≈ 350 mL/min (Ultrasound Med Biol 1986; FIDELITY.md §7).
pub const FEMORAL_ARTERY_FLOW_ML_S: f64 = 5.8;
/// Femoral vein flow (mL/s). assumption: it returns what the artery brings.
pub const FEMORAL_VEIN_FLOW_ML_S: f64 = 5.8;
/// Lateral circumflex branch flow (mL/s). assumption: a small branch.
pub const CIRCUMFLEX_FLOW_ML_S: f64 = 0.4;
/// Profunda femoris flow (mL/s). assumption: about a third of the common femoral artery's,
/// what it carries beyond the superficial femoral artery's share.
pub const PROFUNDA_FLOW_ML_S: f64 = 2.0;
/// Blurring of the column's ends with distance travelled (σ per mm). assumption.
pub const DISPERSION_PER_MM: f64 = 0.08;
/// Blur of the ends at the needle (σ, mm). assumption.
pub const DISPERSION_MIN_MM: f64 = 1.0;
/// Spacing of the puffs along the vessel (mm).
const STEP_MM: f64 = 1.5;
/// Lateral swing and wavelength of a small tortuous branch (mm): the serpiginous line.
/// assumption, drawn on the branch's straight course until the anatomy has a tortuous one.
pub const BRANCH_SWING_MM: f64 = 2.0;
pub const BRANCH_WAVELENGTH_MM: f64 = 14.0;
/// A Gaussian cross-section with σ = r/√2 has the same peak as a uniform lumen of radius r.
const CROSS_SIGMA_PER_RADIUS: f64 = std::f64::consts::FRAC_1_SQRT_2;

/// Volumes (mL) of each fluid, in `injection::Fluid` order: contrast first. Kept as plain
/// numbers so that the spread does not depend on the injection that drives it.
pub type Amounts = [f64; 3];

fn plus(a: &Amounts, b: &Amounts) -> Amounts {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}
fn scaled(a: &Amounts, k: f64) -> Amounts {
    [a[0] * k, a[1] * k, a[2] * k]
}
fn minus(a: &Amounts, b: &Amounts) -> Amounts {
    [(a[0] - b[0]).max(0.0), (a[1] - b[1]).max(0.0), (a[2] - b[2]).max(0.0)]
}
fn total(a: &Amounts) -> f64 {
    a.iter().sum()
}
fn iodine_mg(a: &Amounts) -> f64 {
    a[0] * crate::sim::imaging::materials::IOHEXOL_300_MG_I_PER_ML
}

/// One stretch of a push at a constant rate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Piece {
    from_s: f64,
    to_s: f64,
    rate_ml_s: f64,
    contents: Amounts,
}

/// Contrast in one vessel from one puncture.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bolus {
    pub vessel: Tissue,
    /// The vessel's centre line downstream from the puncture (first point), mm.
    path: Vec<DVec3>,
    radius_mm: f64,
    flow_ml_s: f64,
    pieces: Vec<Piece>,
    /// Deposited since the last step, not yet given a time.
    pending: Amounts,
}

/// Iodine concentration (mgI/mL) of contrast pushed at `rate_ml_s` into `flow_ml_s` of blood.
pub fn diluted_mg_per_ml(rate_ml_s: f64, flow_ml_s: f64) -> f64 {
    crate::sim::imaging::materials::IOHEXOL_300_MG_I_PER_ML * rate_ml_s / (flow_ml_s + rate_ml_s)
}

impl Bolus {
    /// A bolus starting at `tip` in `vessel`.
    pub fn new(patient: &Patient, vessel: Tissue, tip: DVec3) -> Bolus {
        let (radius_mm, flow_ml_s) = match vessel {
            Tissue::FemoralArtery => (table::FEMORAL_ARTERY_RADIUS_MM, FEMORAL_ARTERY_FLOW_ML_S),
            Tissue::FemoralVein => (table::FEMORAL_VEIN_RADIUS_MM, FEMORAL_VEIN_FLOW_ML_S),
            Tissue::ProfundaFemoris => (table::PROFUNDA_RADIUS_MM, PROFUNDA_FLOW_ML_S),
            _ => (table::CIRCUMFLEX_RADIUS_MM, CIRCUMFLEX_FLOW_ML_S),
        };
        Bolus {
            vessel,
            path: downstream_path(patient, vessel, tip),
            radius_mm,
            flow_ml_s,
            pieces: Vec::new(),
            pending: [0.0; 3],
        }
    }

    /// Close enough to `tip` in `vessel` to be the same puncture.
    pub fn is_at(&self, vessel: Tissue, tip: DVec3) -> bool {
        self.vessel == vessel && self.path.first().is_some_and(|p| (*p - tip).length() < 5.0)
    }

    pub fn add(&mut self, c: &Amounts) {
        self.pending = plus(&self.pending, c);
    }

    /// Speed (mm/s) of the mix pushed at `rate_ml_s`.
    fn speed_mm_s(&self, rate_ml_s: f64) -> f64 {
        (self.flow_ml_s + rate_ml_s) * 1000.0 / (std::f64::consts::PI * self.radius_mm * self.radius_mm)
    }

    fn length_mm(&self) -> f64 {
        self.path.windows(2).map(|w| (w[1] - w[0]).length()).sum()
    }

    /// Time moves from `now_s` to `now_s + dt`: what was deposited meanwhile becomes a
    /// piece of column; returns what left the vessel's course (washed out) since.
    pub fn step(&mut self, now_s: f64, dt: f64) -> Amounts {
        // Before: the pending deposit counts as at the needle.
        let before = self.in_course(now_s);
        if total(&self.pending) > 0.0 && dt > 0.0 {
            let rate = total(&self.pending) / dt;
            match self.pieces.last_mut() {
                Some(p) if (p.to_s - now_s).abs() < 1e-9 && (p.rate_ml_s - rate).abs() <= 1e-6 * rate => {
                    p.to_s = now_s + dt;
                    p.contents = plus(&p.contents, &self.pending);
                }
                _ => {
                    self.pieces.push(Piece { from_s: now_s, to_s: now_s + dt, rate_ml_s: rate, contents: self.pending })
                }
            }
            self.pending = [0.0; 3];
        }
        let gone = minus(&before, &self.in_course(now_s + dt));
        // Pieces wholly past the end are dropped once everything is accounted for.
        let len = self.length_mm();
        let end = now_s + dt;
        let speeds: Vec<f64> = self.pieces.iter().map(|p| self.speed_mm_s(p.rate_ml_s)).collect();
        let mut k = 0;
        self.pieces.retain(|p| {
            let v = speeds[k];
            k += 1;
            v * (end - p.to_s) < len
        });
        gone
    }

    /// What is within the vessel's course at `t_s` (by the unblurred column), pending
    /// included; `t_s` is at or after the end of every piece.
    pub fn in_course(&self, t_s: f64) -> Amounts {
        let len = self.length_mm();
        let mut c = self.pending;
        for p in &self.pieces {
            let v = self.speed_mm_s(p.rate_ml_s);
            let (head, tail) = (v * (t_s - p.from_s).max(0.0), v * (t_s - p.to_s).max(0.0));
            let span = head - tail;
            let inside = if span <= 0.0 { 1.0 } else { ((len.min(head) - tail).max(0.0) / span).clamp(0.0, 1.0) };
            c = plus(&c, &scaled(&p.contents, inside));
        }
        c
    }

    /// Whether any of this bolus is still in the vessel's course at `t_s`.
    pub fn is_empty(&self, t_s: f64) -> bool {
        total(&self.in_course(t_s)) <= 1e-9
    }

    /// Puffs of iodine along the course at `t_s`.
    pub fn puffs(&self, t_s: f64, out: &mut Vec<IodinePuff>) {
        let len = self.length_mm();
        let across = self.radius_mm * CROSS_SIGMA_PER_RADIUS;
        let branch = self.vessel == Tissue::LateralCircumflexBranch;
        if self.pending[0] > 0.0
            && let Some(&tip) = self.path.first()
        {
            out.push(IodinePuff::round(tip, across, iodine_mg(&self.pending)));
        }
        for p in &self.pieces {
            if p.contents[0] <= 0.0 {
                continue;
            }
            let v = self.speed_mm_s(p.rate_ml_s);
            let (head, tail) = (v * (t_s - p.from_s).max(0.0), v * (t_s - p.to_s).max(0.0));
            if head - tail <= 1e-9 {
                continue;
            }
            // Iodine per mm of column.
            let per_mm = iodine_mg(&p.contents) / (head - tail).max(v * (p.to_s - p.from_s)).max(1e-9);
            let sigma_end = |s: f64| DISPERSION_MIN_MM + DISPERSION_PER_MM * s;
            let lo = (tail - 3.0 * sigma_end(tail)).max(-3.0);
            let hi = (head + 3.0 * sigma_end(head)).min(len);
            let mut s = lo;
            while s < hi {
                // The column's share of this step: a box from tail to head with blurred ends.
                let (a, b) = (s, (s + STEP_MM).min(hi));
                let mid = 0.5 * (a + b);
                let cdf = |x: f64, sd: f64| 0.5 * (1.0 + libm::erf(x / (sd * std::f64::consts::SQRT_2)));
                let share = cdf(mid - tail, sigma_end(tail)) - cdf(mid - head, sigma_end(head));
                let mg = per_mm * (b - a) * share;
                if mg > 1e-6 {
                    let (at, dir) = self.point_at(mid);
                    let at = if branch {
                        at + self.swing(dir) * libm::sin(mid * std::f64::consts::TAU / BRANCH_WAVELENGTH_MM)
                    } else {
                        at
                    };
                    let helper = if dir.z.abs() < 0.9 { DVec3::Z } else { DVec3::X };
                    out.push(IodinePuff::new(
                        at,
                        dir,
                        dir.cross(helper),
                        DVec3::new(0.6 * STEP_MM, across, across),
                        mg,
                    ));
                }
                s = b;
            }
        }
    }

    fn swing(&self, dir: DVec3) -> DVec3 {
        let side = dir.cross(DVec3::Y);
        if side.length_squared() < 1e-6 { DVec3::X * BRANCH_SWING_MM } else { side.normalize() * BRANCH_SWING_MM }
    }

    /// Point and direction at arc length `s` along the course (before the start: back
    /// along the first segment).
    fn point_at(&self, s: f64) -> (DVec3, DVec3) {
        let mut left = s;
        for w in self.path.windows(2) {
            let seg = w[1] - w[0];
            let l = seg.length();
            if l <= 1e-9 {
                continue;
            }
            if left <= l {
                return (w[0] + seg / l * left, seg / l);
            }
            left -= l;
        }
        let n = self.path.len();
        let dir = if n >= 2 { (self.path[n - 1] - self.path[n - 2]).normalize_or(DVec3::NEG_Z) } else { DVec3::NEG_Z };
        (self.path[n - 1] + dir * left, dir)
    }
}

/// The vessel's centre line as a chain of points, from its capsules in build order.
pub(crate) fn centre_line(shape: &Shape, out: &mut Vec<DVec3>) {
    match shape {
        Shape::Prim(Primitive::Capsule { a, b, .. }) | Shape::Prim(Primitive::Cylinder { a, b, .. }) => {
            if out.last().is_none_or(|l| (*l - *a).length() > 1e-6) {
                out.push(*a);
            }
            out.push(*b);
        }
        Shape::Union(parts) => parts.iter().for_each(|p| centre_line(p, out)),
        _ => {}
    }
}

/// Downstream course from the point of `vessel` nearest `tip`: the artery and its branch
/// away from the heart (the artery distally, the branch away from the artery), the vein
/// toward it (cranially).
fn downstream_path(patient: &Patient, vessel: Tissue, tip: DVec3) -> Vec<DVec3> {
    let mut line = Vec::new();
    if let Some(s) = patient.structures().iter().find(|s| s.tissue == vessel) {
        centre_line(&s.shape, &mut line);
    }
    if line.len() < 2 {
        return vec![tip, tip + DVec3::NEG_Z * 100.0];
    }
    let (first, last) = (line[0], line[line.len() - 1]);
    let reverse = match vessel {
        Tissue::FemoralArtery | Tissue::ProfundaFemoris => first.z < last.z,
        Tissue::FemoralVein => first.z > last.z,
        _ => false,
    };
    if reverse {
        line.reverse();
    }
    // Nearest point on the chain.
    let mut best = (f64::INFINITY, 0, DVec3::ZERO);
    for (i, w) in line.windows(2).enumerate() {
        let seg = w[1] - w[0];
        let t = ((tip - w[0]).dot(seg) / seg.length_squared().max(1e-12)).clamp(0.0, 1.0);
        let q = w[0] + seg * t;
        let d = (q - tip).length();
        if d < best.0 {
            best = (d, i, q);
        }
    }
    let mut path = vec![best.2];
    path.extend_from_slice(&line[best.1 + 1..]);
    path
}
