//! Solid shapes as plain data, and the two queries the whole simulator stands on:
//! the signed distance of a point, and the spans a segment spends inside a shape.
//!
//! Shapes are convex primitives combined by constructive solid geometry (union,
//! intersection, difference). Ray spans are exact for every primitive; signed
//! distances are exact for spheres, capsules, cylinders and half-spaces and a
//! close bound for ellipsoids and elliptic cylinders (see [`Primitive::signed_distance`]).

use glam::{DMat3, DVec3};
use serde::{Deserialize, Serialize};

/// A convex solid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Primitive {
    /// Ball of `radius_mm` around `centre`.
    Sphere { centre: DVec3, radius_mm: f64 },
    /// All points within `radius_mm` of the segment `a`–`b`.
    Capsule { a: DVec3, b: DVec3, radius_mm: f64 },
    /// Flat-ended cylinder around the segment `a`–`b`.
    Cylinder { a: DVec3, b: DVec3, radius_mm: f64 },
    /// Ellipsoid with semi-axes `radii_mm` along the columns of `axes` (orthonormal).
    Ellipsoid { centre: DVec3, axes: DMat3, radii_mm: DVec3 },
    /// Flat-ended elliptic cylinder from `a` along `axes.x_axis` for `len_mm`; its cross-section
    /// an ellipse with semi-axes `radii_mm` along `axes.y_axis` and `axes.z_axis` (orthonormal).
    EllipticCylinder { a: DVec3, axes: DMat3, len_mm: f64, radii_mm: [f64; 2] },
    /// Elliptic cylinder along z, centred on (`cx`, `cy`), between `z_min` and `z_max`.
    EllipticCylinderZ { cx: f64, cy: f64, ax_mm: f64, ay_mm: f64, z_min: f64, z_max: f64 },
    /// Points with `normal · p <= offset_mm` (`normal` is unit length).
    HalfSpace { normal: DVec3, offset_mm: f64 },
    /// Points `p` with `lo_mm <= normal · p <= hi_mm`: a plate between two parallel planes.
    Slab { normal: DVec3, lo_mm: f64, hi_mm: f64 },
}

/// A solid built from primitives.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Shape {
    Prim(Primitive),
    Union(Vec<Shape>),
    Intersection(Vec<Shape>),
    /// The first shape with the second removed.
    Difference(Box<Shape>, Box<Shape>),
}

/// Axis-aligned bounding box.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Aabb {
    pub min: DVec3,
    pub max: DVec3,
}

impl Aabb {
    pub const EVERYTHING: Aabb = Aabb { min: DVec3::splat(-1e9), max: DVec3::splat(1e9) };

    pub fn around(c: DVec3, r: f64) -> Self {
        Aabb { min: c - DVec3::splat(r), max: c + DVec3::splat(r) }
    }
    pub fn union(self, o: Aabb) -> Aabb {
        Aabb { min: self.min.min(o.min), max: self.max.max(o.max) }
    }
    pub fn intersection(self, o: Aabb) -> Aabb {
        Aabb { min: self.min.max(o.min), max: self.max.min(o.max) }
    }
    pub fn overlaps(&self, o: &Aabb) -> bool {
        self.min.cmple(o.max).all() && o.min.cmple(self.max).all()
    }
    pub fn contains(&self, p: DVec3) -> bool {
        self.min.cmple(p).all() && p.cmple(self.max).all()
    }
    pub fn size(&self) -> DVec3 {
        self.max - self.min
    }
    /// Parameter range in which `o + t d` is inside the box, if any (`inv_d` = 1 / `d`).
    pub fn ray_range(&self, o: DVec3, inv_d: DVec3) -> Option<(f64, f64)> {
        let t1 = (self.min - o) * inv_d;
        let t2 = (self.max - o) * inv_d;
        // A ray parallel to a face and lying in it gives 0 × ∞: it is inside along that axis.
        let flat = t1.is_nan_mask() | t2.is_nan_mask();
        let tmin = DVec3::select(flat, DVec3::NEG_INFINITY, t1.min(t2));
        let tmax = DVec3::select(flat, DVec3::INFINITY, t1.max(t2));
        let t0 = tmin.x.max(tmin.y).max(tmin.z);
        let t1 = tmax.x.min(tmax.y).min(tmax.z);
        (t0 <= t1).then_some((t0, t1))
    }
}

/// Sorted, disjoint parameter intervals along a ray, stored inline (no allocation).
/// Only the first `len` items are ever written or read, so the rest stay uninitialised
/// (zeroing them on every ray was a measurable share of a projection).
#[derive(Clone, Copy)]
pub struct Spans {
    pub(super) len: usize,
    items: [std::mem::MaybeUninit<(f64, f64)>; Spans::CAP],
}

impl Default for Spans {
    fn default() -> Self {
        Spans { len: 0, items: [std::mem::MaybeUninit::uninit(); Spans::CAP] }
    }
}

impl std::fmt::Debug for Spans {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

impl Spans {
    pub const CAP: usize = 24;

    pub fn single(t0: f64, t1: f64) -> Self {
        let mut s = Spans::default();
        if t1 > t0 {
            s.items[0].write((t0, t1));
            s.len = 1;
        }
        s
    }
    pub fn as_slice(&self) -> &[(f64, f64)] {
        // SAFETY: items[..len] are always initialised (every write goes through `push`/`single`).
        unsafe { std::slice::from_raw_parts(self.items.as_ptr().cast::<(f64, f64)>(), self.len) }
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    pub fn total(&self) -> f64 {
        self.as_slice().iter().map(|(a, b)| b - a).sum()
    }
    /// Make `self` a copy of `o`, copying only the spans in use: moving a whole `Spans`
    /// copies all `CAP` slots, and those copies were a third of a new pose's projection.
    pub fn assign(&mut self, o: &Spans) {
        // An element loop: a handful of spans is too few for a call to memmove to pay.
        for (dst, src) in self.items.iter_mut().zip(&o.items[..o.len]) {
            *dst = *src;
        }
        self.len = o.len;
    }
    pub(super) fn push(&mut self, t0: f64, t1: f64) {
        if t1 <= t0 {
            return;
        }
        if self.len > 0 {
            // SAFETY: index len-1 < len is initialised.
            let last = unsafe { self.items[self.len - 1].assume_init_mut() };
            if t0 <= last.1 {
                last.1 = last.1.max(t1);
                return;
            }
            if self.len == Self::CAP {
                // Out of room: widen the last span rather than drop material.
                last.1 = t1;
                return;
            }
        }
        self.items[self.len].write((t0, t1));
        self.len += 1;
    }
    pub fn union(&self, o: &Spans) -> Spans {
        let mut out = Spans::default();
        self.union_into(o, &mut out);
        out
    }
    pub fn intersection(&self, o: &Spans) -> Spans {
        let mut out = Spans::default();
        self.intersection_into(o, &mut out);
        out
    }
    pub fn difference(&self, o: &Spans) -> Spans {
        let mut out = Spans::default();
        self.difference_into(o, &mut out);
        out
    }
    /// `self ∪ o` written into `out` (no whole `Spans` returned by value: a ray's CSG does
    /// this many times, and moving 24 slots each time was a tenth of a projection).
    pub fn union_into(&self, o: &Spans, out: &mut Spans) {
        out.len = 0;
        let (a, b) = (self.as_slice(), o.as_slice());
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < b.len() {
            let take_a = j >= b.len() || (i < a.len() && a[i].0 <= b[j].0);
            let s = if take_a {
                i += 1;
                a[i - 1]
            } else {
                j += 1;
                b[j - 1]
            };
            out.push(s.0, s.1);
        }
    }
    /// `self ∩ o` written into `out`.
    pub fn intersection_into(&self, o: &Spans, out: &mut Spans) {
        out.len = 0;
        let (a, b) = (self.as_slice(), o.as_slice());
        let (mut i, mut j) = (0, 0);
        while i < a.len() && j < b.len() {
            let lo = a[i].0.max(b[j].0);
            let hi = a[i].1.min(b[j].1);
            out.push(lo, hi);
            if a[i].1 < b[j].1 {
                i += 1;
            } else {
                j += 1;
            }
        }
    }
    /// `self` without `o`, written into `out`.
    pub fn difference_into(&self, o: &Spans, out: &mut Spans) {
        out.len = 0;
        let b = o.as_slice();
        for &(mut lo, hi) in self.as_slice() {
            for &(c0, c1) in b {
                if c1 <= lo || c0 >= hi {
                    continue;
                }
                if c0 > lo {
                    out.push(lo, c0);
                }
                lo = lo.max(c1);
                if lo >= hi {
                    break;
                }
            }
            out.push(lo, hi);
        }
    }
    /// Keep only the part inside `[t0, t1]`.
    pub fn clip(&self, t0: f64, t1: f64) -> Spans {
        self.intersection(&Spans::single(t0, t1))
    }
}

pub(super) fn solve_quadratic(a: f64, b_half: f64, c: f64) -> Option<(f64, f64)> {
    if a.abs() < 1e-300 {
        return None;
    }
    let disc = b_half * b_half - a * c;
    if disc < 0.0 {
        return None;
    }
    let s = disc.sqrt();
    Some(((-b_half - s) / a, (-b_half + s) / a))
}

pub(super) fn sphere_span(o: DVec3, d: DVec3, c: DVec3, r: f64) -> Option<(f64, f64)> {
    let oc = o - c;
    solve_quadratic(d.dot(d), oc.dot(d), oc.dot(oc) - r * r)
}

/// Span of the infinite cylinder of radius `r` around the line through `a` along unit `axis`.
fn infinite_cylinder_span(o: DVec3, d: DVec3, a: DVec3, axis: DVec3, r: f64) -> Option<(f64, f64)> {
    let oa = o - a;
    let dp = d - axis * d.dot(axis);
    let op = oa - axis * oa.dot(axis);
    let qa = dp.dot(dp);
    if qa < 1e-18 {
        // Parallel to the axis: inside for all t or none.
        return (op.length_squared() <= r * r).then_some((f64::NEG_INFINITY, f64::INFINITY));
    }
    solve_quadratic(qa, op.dot(dp), op.dot(op) - r * r)
}

fn slab_span(o: f64, d: f64, lo: f64, hi: f64) -> Option<(f64, f64)> {
    if d.abs() < 1e-18 {
        return (o >= lo && o <= hi).then_some((f64::NEG_INFINITY, f64::INFINITY));
    }
    let t0 = (lo - o) / d;
    let t1 = (hi - o) / d;
    Some((t0.min(t1), t0.max(t1)))
}

fn meet(a: Option<(f64, f64)>, b: Option<(f64, f64)>) -> Option<(f64, f64)> {
    let (a, b) = (a?, b?);
    let lo = a.0.max(b.0);
    let hi = a.1.min(b.1);
    (lo < hi).then_some((lo, hi))
}

fn finite_cylinder_span(o: DVec3, d: DVec3, a: DVec3, b: DVec3, r: f64) -> Option<(f64, f64)> {
    let ab = b - a;
    let len = ab.length();
    finite_cylinder_span_along(o, d, a, ab / len, len, r)
}

/// As `finite_cylinder_span`, for the cylinder from `a` along unit `axis` for `len`.
pub(super) fn finite_cylinder_span_along(
    o: DVec3,
    d: DVec3,
    a: DVec3,
    axis: DVec3,
    len: f64,
    r: f64,
) -> Option<(f64, f64)> {
    let side = infinite_cylinder_span(o, d, a, axis, r);
    let along = slab_span((o - a).dot(axis), d.dot(axis), 0.0, len);
    meet(side, along)
}

pub(super) fn hull(a: Option<(f64, f64)>, b: Option<(f64, f64)>) -> Option<(f64, f64)> {
    match (a, b) {
        (Some(a), Some(b)) => Some((a.0.min(b.0), a.1.max(b.1))),
        (x, None) | (None, x) => x,
    }
}

fn segment_distance(p: DVec3, a: DVec3, b: DVec3) -> f64 {
    let ab = b - a;
    let h = ((p - a).dot(ab) / ab.dot(ab)).clamp(0.0, 1.0);
    (p - a - ab * h).length()
}

/// Signed distance to an ellipse with semi-axes `r` (2D), a close bound.
fn ellipse_sd(p: [f64; 2], r: [f64; 2]) -> f64 {
    let k0 = ((p[0] / r[0]).powi(2) + (p[1] / r[1]).powi(2)).sqrt();
    let k1 = ((p[0] / (r[0] * r[0])).powi(2) + (p[1] / (r[1] * r[1])).powi(2)).sqrt();
    if k1 < 1e-12 {
        return -r[0].min(r[1]);
    }
    k0 * (k0 - 1.0) / k1
}

/// Span of the elliptic cylinder along local x from 0 to `len` with semi-axes `r` in local y and
/// z, for a ray `o + t d` given in its local frame.
pub(super) fn elliptic_cylinder_span(o: DVec3, d: DVec3, r: [f64; 2], len: f64) -> Option<(f64, f64)> {
    let (oy, oz, dy, dz) = (o.y / r[0], o.z / r[1], d.y / r[0], d.z / r[1]);
    let qa = dy * dy + dz * dz;
    let side = if qa < 1e-18 {
        (oy * oy + oz * oz <= 1.0).then_some((f64::NEG_INFINITY, f64::INFINITY))
    } else {
        solve_quadratic(qa, oy * dy + oz * dz, oy * oy + oz * oz - 1.0)
    };
    meet(side, slab_span(o.x, d.x, 0.0, len))
}

/// Combine a 2D cross-section distance with an axial extent distance (extrusion).
fn extrude(d2: f64, dz: f64) -> f64 {
    let outside = (d2.max(0.0).powi(2) + dz.max(0.0).powi(2)).sqrt();
    outside + d2.max(dz).min(0.0)
}

impl Primitive {
    /// Signed distance in mm: negative inside. Exact for spheres, capsules, cylinders
    /// and half-spaces; for ellipsoids and elliptic cylinders a first-order estimate
    /// that is exact on the surface and has the right sign everywhere.
    pub fn signed_distance(&self, p: DVec3) -> f64 {
        match *self {
            Primitive::Sphere { centre, radius_mm } => (p - centre).length() - radius_mm,
            Primitive::Capsule { a, b, radius_mm } => segment_distance(p, a, b) - radius_mm,
            Primitive::Cylinder { a, b, radius_mm } => {
                let ab = b - a;
                let len = ab.length();
                let axis = ab / len;
                let t = (p - a).dot(axis);
                let radial = ((p - a) - axis * t).length() - radius_mm;
                let axial = (t - len * 0.5).abs() - len * 0.5;
                extrude(radial, axial)
            }
            Primitive::Ellipsoid { centre, axes, radii_mm } => {
                let q = axes.transpose() * (p - centre);
                let k0 = (q / radii_mm).length();
                let k1 = (q / (radii_mm * radii_mm)).length();
                if k1 < 1e-12 { -radii_mm.min_element() } else { k0 * (k0 - 1.0) / k1 }
            }
            Primitive::EllipticCylinder { a, axes, len_mm, radii_mm } => {
                let q = axes.transpose() * (p - a);
                let d2 = ellipse_sd([q.y, q.z], radii_mm);
                extrude(d2, (q.x - 0.5 * len_mm).abs() - 0.5 * len_mm)
            }
            Primitive::EllipticCylinderZ { cx, cy, ax_mm, ay_mm, z_min, z_max } => {
                let d2 = ellipse_sd([p.x - cx, p.y - cy], [ax_mm, ay_mm]);
                let mid = 0.5 * (z_min + z_max);
                let dz = (p.z - mid).abs() - 0.5 * (z_max - z_min);
                extrude(d2, dz)
            }
            Primitive::HalfSpace { normal, offset_mm } => normal.dot(p) - offset_mm,
            Primitive::Slab { normal, lo_mm, hi_mm } => {
                let h = normal.dot(p);
                (lo_mm - h).max(h - hi_mm)
            }
        }
    }

    /// Parameter interval of `o + t d` inside the primitive (unbounded for half-spaces).
    pub fn ray_span(&self, o: DVec3, d: DVec3) -> Option<(f64, f64)> {
        match *self {
            Primitive::Sphere { centre, radius_mm } => sphere_span(o, d, centre, radius_mm),
            Primitive::Capsule { a, b, radius_mm } => {
                let body = finite_cylinder_span(o, d, a, b, radius_mm);
                let ends = hull(sphere_span(o, d, a, radius_mm), sphere_span(o, d, b, radius_mm));
                hull(body, ends)
            }
            Primitive::Cylinder { a, b, radius_mm } => finite_cylinder_span(o, d, a, b, radius_mm),
            Primitive::Ellipsoid { centre, axes, radii_mm } => {
                let ot = axes.transpose() * (o - centre) / radii_mm;
                let dt = axes.transpose() * d / radii_mm;
                solve_quadratic(dt.dot(dt), ot.dot(dt), ot.dot(ot) - 1.0)
            }
            Primitive::EllipticCylinder { a, axes, len_mm, radii_mm } => {
                elliptic_cylinder_span(axes.transpose() * (o - a), axes.transpose() * d, radii_mm, len_mm)
            }
            Primitive::EllipticCylinderZ { cx, cy, ax_mm, ay_mm, z_min, z_max } => {
                let ox = (o.x - cx) / ax_mm;
                let oy = (o.y - cy) / ay_mm;
                let dx = d.x / ax_mm;
                let dy = d.y / ay_mm;
                let qa = dx * dx + dy * dy;
                let side = if qa < 1e-18 {
                    (ox * ox + oy * oy <= 1.0).then_some((f64::NEG_INFINITY, f64::INFINITY))
                } else {
                    solve_quadratic(qa, ox * dx + oy * dy, ox * ox + oy * oy - 1.0)
                };
                meet(side, slab_span(o.z, d.z, z_min, z_max))
            }
            Primitive::HalfSpace { normal, offset_mm } => {
                let dn = normal.dot(d);
                let on = normal.dot(o) - offset_mm;
                if dn.abs() < 1e-18 {
                    return (on <= 0.0).then_some((f64::NEG_INFINITY, f64::INFINITY));
                }
                let t = -on / dn;
                if dn > 0.0 { Some((f64::NEG_INFINITY, t)) } else { Some((t, f64::INFINITY)) }
            }
            Primitive::Slab { normal, lo_mm, hi_mm } => {
                let span = slab_span(normal.dot(o), normal.dot(d), lo_mm, hi_mm)?;
                (span.0 < span.1).then_some(span)
            }
        }
    }

    /// Bounding box (half-spaces are unbounded).
    pub fn aabb(&self) -> Aabb {
        match *self {
            Primitive::Sphere { centre, radius_mm } => Aabb::around(centre, radius_mm),
            Primitive::Capsule { a, b, radius_mm } | Primitive::Cylinder { a, b, radius_mm } => {
                Aabb::around(a, radius_mm).union(Aabb::around(b, radius_mm))
            }
            Primitive::Ellipsoid { centre, axes, radii_mm } => {
                // Half-extent along each world axis of a rotated ellipsoid.
                let m = DMat3::from_cols(axes.x_axis * radii_mm.x, axes.y_axis * radii_mm.y, axes.z_axis * radii_mm.z);
                let rows = m.transpose();
                let ext = DVec3::new(rows.x_axis.length(), rows.y_axis.length(), rows.z_axis.length());
                Aabb { min: centre - ext, max: centre + ext }
            }
            Primitive::EllipticCylinder { a, axes, len_mm, radii_mm } => {
                // Each end's ellipse reaches sqrt((r1 e1_i)² + (r2 e2_i)²) along world axis i.
                let (e1, e2) = (axes.y_axis * radii_mm[0], axes.z_axis * radii_mm[1]);
                let ext = DVec3::from_array((e1 * e1 + e2 * e2).to_array().map(f64::sqrt));
                let b = a + axes.x_axis * len_mm;
                Aabb { min: a.min(b) - ext, max: a.max(b) + ext }
            }
            Primitive::EllipticCylinderZ { cx, cy, ax_mm, ay_mm, z_min, z_max } => {
                Aabb { min: DVec3::new(cx - ax_mm, cy - ay_mm, z_min), max: DVec3::new(cx + ax_mm, cy + ay_mm, z_max) }
            }
            Primitive::HalfSpace { .. } | Primitive::Slab { .. } => Aabb::EVERYTHING,
        }
    }

    /// The same primitive rotated by `rot` about `pivot`.
    pub fn rotated_about(&self, pivot: DVec3, rot: DMat3) -> Primitive {
        let t = |p: DVec3| pivot + rot * (p - pivot);
        match self.clone() {
            Primitive::Sphere { centre, radius_mm } => Primitive::Sphere { centre: t(centre), radius_mm },
            Primitive::Capsule { a, b, radius_mm } => Primitive::Capsule { a: t(a), b: t(b), radius_mm },
            Primitive::Cylinder { a, b, radius_mm } => Primitive::Cylinder { a: t(a), b: t(b), radius_mm },
            Primitive::Ellipsoid { centre, axes, radii_mm } => {
                Primitive::Ellipsoid { centre: t(centre), axes: rot * axes, radii_mm }
            }
            Primitive::EllipticCylinder { a, axes, len_mm, radii_mm } => {
                Primitive::EllipticCylinder { a: t(a), axes: rot * axes, len_mm, radii_mm }
            }
            Primitive::HalfSpace { normal, offset_mm } => {
                let n = rot * normal;
                // A point on the plane moves with the rotation.
                let on_plane = normal * offset_mm;
                Primitive::HalfSpace { normal: n, offset_mm: n.dot(t(on_plane)) }
            }
            Primitive::Slab { normal, lo_mm, hi_mm } => {
                let n = rot * normal;
                let shift = n.dot(t(DVec3::ZERO));
                Primitive::Slab { normal: n, lo_mm: lo_mm + shift, hi_mm: hi_mm + shift }
            }
            e @ Primitive::EllipticCylinderZ { .. } => e,
        }
    }
}

impl Shape {
    pub fn sphere(centre: DVec3, radius_mm: f64) -> Shape {
        Shape::Prim(Primitive::Sphere { centre, radius_mm })
    }
    pub fn capsule(a: DVec3, b: DVec3, radius_mm: f64) -> Shape {
        Shape::Prim(Primitive::Capsule { a, b, radius_mm })
    }
    pub fn cylinder(a: DVec3, b: DVec3, radius_mm: f64) -> Shape {
        Shape::Prim(Primitive::Cylinder { a, b, radius_mm })
    }
    /// Ellipsoid whose first two axes are `u` and `v` (orthonormalised), third their cross product.
    pub fn ellipsoid(centre: DVec3, u: DVec3, v: DVec3, radii_mm: DVec3) -> Shape {
        let u = u.normalize();
        let w = u.cross(v).normalize();
        let v = w.cross(u);
        Shape::Prim(Primitive::Ellipsoid { centre, axes: DMat3::from_cols(u, v, w), radii_mm })
    }
    /// Flat-ended elliptic cylinder from `a` to `b`, its semi-axis `r1` along `toward1` (made
    /// perpendicular to the axis) and `r2` across both.
    pub fn elliptic_cylinder(a: DVec3, b: DVec3, toward1: DVec3, r1: f64, r2: f64) -> Shape {
        let len_mm = (b - a).length();
        let x = (b - a) / len_mm;
        let y = (toward1 - x * toward1.dot(x)).normalize();
        let axes = DMat3::from_cols(x, y, x.cross(y));
        Shape::Prim(Primitive::EllipticCylinder { a, axes, len_mm, radii_mm: [r1, r2] })
    }
    /// Axis-aligned ellipsoid.
    pub fn ellipsoid_aa(centre: DVec3, radii_mm: DVec3) -> Shape {
        Shape::Prim(Primitive::Ellipsoid { centre, axes: DMat3::IDENTITY, radii_mm })
    }
    /// Points `p` with `normal · (p - through) <= 0`.
    pub fn half_space(through: DVec3, normal: DVec3) -> Shape {
        let n = normal.normalize();
        Shape::Prim(Primitive::HalfSpace { normal: n, offset_mm: n.dot(through) })
    }
    /// A plate `thickness_mm` thick centred on the plane through `through` with `normal`.
    pub fn slab(through: DVec3, normal: DVec3, thickness_mm: f64) -> Shape {
        let n = normal.normalize();
        let mid = n.dot(through);
        Shape::Prim(Primitive::Slab { normal: n, lo_mm: mid - thickness_mm / 2.0, hi_mm: mid + thickness_mm / 2.0 })
    }
    pub fn minus(self, other: Shape) -> Shape {
        Shape::Difference(Box::new(self), Box::new(other))
    }

    pub fn signed_distance(&self, p: DVec3) -> f64 {
        match self {
            Shape::Prim(prim) => prim.signed_distance(p),
            Shape::Union(v) => v.iter().map(|s| s.signed_distance(p)).fold(f64::INFINITY, f64::min),
            Shape::Intersection(v) => v.iter().map(|s| s.signed_distance(p)).fold(f64::NEG_INFINITY, f64::max),
            Shape::Difference(a, b) => a.signed_distance(p).max(-b.signed_distance(p)),
        }
    }

    /// Whether `p` is inside: exactly `signed_distance(p) < 0`, but a union stops at the first
    /// part that holds `p` and an intersection at the first that does not, so a point far from
    /// a many-part solid (the trabecular plates) costs one or two parts, not all.
    pub fn contains(&self, p: DVec3) -> bool {
        match self {
            Shape::Prim(prim) => prim.signed_distance(p) < 0.0,
            Shape::Union(v) => v.iter().any(|s| s.contains(p)),
            Shape::Intersection(v) => v.iter().all(|s| s.contains(p)),
            Shape::Difference(a, b) => a.contains(p) && b.strictly_outside(p),
        }
    }

    /// Exactly `signed_distance(p) > 0`, stopping early as [`Shape::contains`] does.
    fn strictly_outside(&self, p: DVec3) -> bool {
        match self {
            Shape::Prim(prim) => prim.signed_distance(p) > 0.0,
            Shape::Union(v) => v.iter().all(|s| s.strictly_outside(p)),
            Shape::Intersection(v) => v.iter().any(|s| s.strictly_outside(p)),
            Shape::Difference(a, b) => a.strictly_outside(p) || b.contains(p),
        }
    }

    /// Intervals of `o + t d`, `t` in `[t0, t1]`, inside the shape.
    pub fn ray_spans(&self, o: DVec3, d: DVec3, t0: f64, t1: f64) -> Spans {
        let mut out = Spans::default();
        self.ray_spans_into(o, d, t0, t1, &mut out);
        out
    }

    /// As [`Shape::ray_spans`], into `out`; combines children without moving whole `Spans`.
    pub fn ray_spans_into(&self, o: DVec3, d: DVec3, t0: f64, t1: f64, out: &mut Spans) {
        match self {
            Shape::Prim(prim) => match prim.ray_span(o, d) {
                Some((a, b)) => {
                    out.len = 0;
                    out.push(a.max(t0), b.min(t1));
                }
                None => out.len = 0,
            },
            Shape::Union(v) => {
                out.len = 0;
                let mut part = Spans::default();
                for s in v {
                    s.ray_spans_into(o, d, t0, t1, &mut part);
                    if part.is_empty() {
                        continue;
                    }
                    let merged = out.union(&part);
                    out.assign(&merged);
                }
            }
            Shape::Intersection(v) => {
                out.assign(&Spans::single(t0, t1));
                let mut part = Spans::default();
                for s in v {
                    if out.is_empty() {
                        break;
                    }
                    s.ray_spans_into(o, d, t0, t1, &mut part);
                    let kept = out.intersection(&part);
                    out.assign(&kept);
                }
            }
            Shape::Difference(a, b) => {
                a.ray_spans_into(o, d, t0, t1, out);
                if out.is_empty() {
                    return;
                }
                let mut cut = Spans::default();
                b.ray_spans_into(o, d, t0, t1, &mut cut);
                let kept = out.difference(&cut);
                out.assign(&kept);
            }
        }
    }

    /// A box that holds the shape (conservative).
    pub fn aabb(&self) -> Aabb {
        match self {
            Shape::Prim(p) => p.aabb(),
            Shape::Union(v) => v.iter().map(Shape::aabb).reduce(Aabb::union).unwrap_or(Aabb::EVERYTHING),
            Shape::Intersection(v) => v.iter().map(Shape::aabb).reduce(Aabb::intersection).unwrap_or(Aabb::EVERYTHING),
            Shape::Difference(a, _) => a.aabb(),
        }
    }

    /// The same shape rotated by `rot` about `pivot`.
    pub fn rotated_about(&self, pivot: DVec3, rot: DMat3) -> Shape {
        match self {
            Shape::Prim(p) => Shape::Prim(p.rotated_about(pivot, rot)),
            Shape::Union(v) => Shape::Union(v.iter().map(|s| s.rotated_about(pivot, rot)).collect()),
            Shape::Intersection(v) => Shape::Intersection(v.iter().map(|s| s.rotated_about(pivot, rot)).collect()),
            Shape::Difference(a, b) => {
                Shape::Difference(Box::new(a.rotated_about(pivot, rot)), Box::new(b.rotated_about(pivot, rot)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ray parallel to a box's face: inside along that axis when it lies within the face's
    /// span, including exactly on the face, and a miss beyond it.
    #[test]
    fn a_ray_along_a_box_face_is_inside_it() {
        let b = Aabb { min: DVec3::new(0.0, 0.0, 0.0), max: DVec3::new(10.0, 10.0, 10.0) };
        for (x, hit) in [(0.0, true), (10.0, true), (5.0, true), (-0.5, false), (10.5, false)] {
            for d in [DVec3::Z, -DVec3::Z] {
                let o = DVec3::new(x, 5.0, 5.0 - 20.0 * d.z);
                let r = b.ray_range(o, DVec3::ONE / d);
                assert_eq!(r.is_some(), hit, "x {x}, d {d}: {r:?}");
                if let Some((t0, t1)) = r {
                    assert!((t0 - 15.0).abs() < 1e-9 && (t1 - 25.0).abs() < 1e-9, "x {x}: {t0}..{t1}");
                }
            }
        }
    }

    #[test]
    fn chord_through_sphere_centre_is_the_diameter() {
        let s = Shape::sphere(DVec3::new(1.0, 2.0, 3.0), 10.0);
        let spans = s.ray_spans(DVec3::new(1.0, 2.0, -50.0), DVec3::Z, 0.0, 100.0);
        assert!((spans.total() - 20.0).abs() < 1e-9);
    }

    #[test]
    fn difference_leaves_a_shell() {
        let shell = Shape::sphere(DVec3::ZERO, 10.0).minus(Shape::sphere(DVec3::ZERO, 8.0));
        let spans = shell.ray_spans(DVec3::new(0.0, 0.0, -20.0), DVec3::Z, 0.0, 40.0);
        assert_eq!(spans.as_slice().len(), 2);
        assert!((spans.total() - 4.0).abs() < 1e-9);
        assert!(shell.contains(DVec3::new(9.0, 0.0, 0.0)));
        assert!(!shell.contains(DVec3::ZERO));
    }

    #[test]
    fn capsule_span_covers_its_rounded_ends() {
        let c = Shape::capsule(DVec3::ZERO, DVec3::new(0.0, 0.0, 10.0), 2.0);
        let spans = c.ray_spans(DVec3::new(0.0, 0.0, -10.0), DVec3::Z, 0.0, 40.0);
        assert!((spans.total() - 14.0).abs() < 1e-9);
    }

    #[test]
    fn ellipsoid_span_matches_its_radius_along_each_axis() {
        let e = Shape::ellipsoid(
            DVec3::ZERO,
            DVec3::new(1.0, 1.0, 0.0),
            DVec3::new(-1.0, 1.0, 0.0),
            DVec3::new(5.0, 3.0, 2.0),
        );
        let d = DVec3::new(1.0, 1.0, 0.0).normalize();
        let spans = e.ray_spans(-d * 20.0, d, 0.0, 40.0);
        assert!((spans.total() - 10.0).abs() < 1e-9);
        let aabb = e.aabb();
        assert!((aabb.max.z - 2.0).abs() < 1e-9);
    }

    /// An oblique elliptic cylinder: chords across each semi-axis are its diameters, along its
    /// axis its length; the distance's sign agrees with the spans along random rays; its box
    /// holds it; turned about a point, it is the same solid turned.
    #[test]
    fn an_elliptic_cylinder_has_its_radii_length_and_box() {
        let (a, b) = (DVec3::new(1.0, 2.0, 3.0), DVec3::new(21.0, 2.0, 18.0));
        let c = Shape::elliptic_cylinder(a, b, DVec3::Z, 6.0, 3.5);
        let Shape::Prim(Primitive::EllipticCylinder { axes, .. }) = c else { unreachable!() };
        let mid = (a + b) / 2.0;
        for (dir, want) in [(axes.y_axis, 12.0), (axes.z_axis, 7.0), (axes.x_axis, 25.0)] {
            let spans = c.ray_spans(mid - dir * 40.0, dir, 0.0, 80.0);
            assert!((spans.total() - want).abs() < 1e-9, "{dir}: {spans:?}");
        }
        let turned = c.rotated_about(DVec3::new(-4.0, 0.0, 2.0), DMat3::from_rotation_z(0.7));
        let rot =
            |p: DVec3| DVec3::new(-4.0, 0.0, 2.0) + DMat3::from_rotation_z(0.7) * (p - DVec3::new(-4.0, 0.0, 2.0));
        let bounds = c.aabb();
        for i in 0..2000u64 {
            let f = |k: u64| ((i * k) % 1999) as f64 / 1999.0 - 0.5;
            let p = mid + DVec3::new(f(37), f(91), f(173)) * 40.0;
            let d = DVec3::new(f(7), f(13), f(29)).normalize();
            let inside = c.contains(p);
            assert_eq!(
                inside,
                c.ray_spans(p - d * 60.0, d, 0.0, 120.0).as_slice().iter().any(|s| s.0 < 60.0 && 60.0 < s.1)
            );
            assert_eq!(inside, turned.contains(rot(p)), "{p}");
            assert!(!inside || bounds.contains(p), "{p} outside the box");
        }
    }

    #[test]
    fn signed_distance_and_spans_agree_on_inside() {
        let s = Shape::Intersection(vec![Shape::sphere(DVec3::ZERO, 10.0), Shape::half_space(DVec3::ZERO, DVec3::Z)]);
        let spans = s.ray_spans(DVec3::new(0.0, 0.0, -20.0), DVec3::Z, 0.0, 40.0);
        assert!((spans.total() - 10.0).abs() < 1e-9);
        assert!(s.contains(DVec3::new(0.0, 0.0, -5.0)));
        assert!(!s.contains(DVec3::new(0.0, 0.0, 5.0)));
    }

    #[test]
    fn rotated_half_space_keeps_its_plane_through_the_pivot() {
        let h = Shape::half_space(DVec3::new(0.0, 0.0, 1.0), DVec3::Z);
        let r = h.rotated_about(DVec3::new(0.0, 0.0, 1.0), DMat3::from_rotation_x(std::f64::consts::FRAC_PI_2));
        // The plane now contains the pivot and x, and its inside (was z < 1) is now y > 0:
        // the rotation of +z about x by 90 degrees is +y.
        assert!(r.signed_distance(DVec3::new(0.0, 0.0, 1.0)).abs() < 1e-9);
        assert!(r.contains(DVec3::new(3.0, 5.0, 1.0)), "a point the rotation carried inside");
        assert!(!r.contains(DVec3::new(3.0, -5.0, 1.0)));
        assert!((r.signed_distance(DVec3::new(0.0, -4.0, 40.0)) - 4.0).abs() < 1e-9, "4 mm outside, whatever z");
        assert!(!h.contains(DVec3::new(0.0, 5.0, 3.0)) && r.contains(DVec3::new(0.0, 5.0, 3.0)), "it really moved");
    }

    #[test]
    fn a_slab_is_a_plate_whose_ray_span_and_turn_agree_with_its_distance() {
        // 2 mm thick about the plane x = 10.
        let s = Shape::slab(DVec3::new(10.0, 4.0, -3.0), DVec3::X, 2.0);
        assert!((s.ray_spans(DVec3::ZERO, DVec3::X, 0.0, 50.0).total() - 2.0).abs() < 1e-9);
        assert!(s.ray_spans(DVec3::ZERO, DVec3::Y, 0.0, 50.0).is_empty(), "parallel, outside");
        assert!((s.ray_spans(DVec3::new(10.5, 0.0, 0.0), DVec3::Y, 0.0, 50.0).total() - 50.0).abs() < 1e-9);
        assert!((s.signed_distance(DVec3::new(14.0, 0.0, 0.0)) - 3.0).abs() < 1e-9);
        assert!((s.signed_distance(DVec3::new(10.0, 0.0, 0.0)) + 1.0).abs() < 1e-9);
        // Turned 90 degrees about z through (10, 0, 0): now the plate is about y = 0.
        let r = s.rotated_about(DVec3::new(10.0, 0.0, 0.0), DMat3::from_rotation_z(std::f64::consts::FRAC_PI_2));
        assert!(r.contains(DVec3::new(-30.0, 0.5, 7.0)) && !r.contains(DVec3::new(10.0, 1.5, 0.0)));
        assert!((r.signed_distance(DVec3::new(0.0, -4.0, 0.0)) - 3.0).abs() < 1e-9);
    }

    /// The early-stopping point test agrees with the sign of the distance everywhere, on a
    /// patient's every solid (unions, intersections, differences, plates).
    #[test]
    fn contains_is_the_sign_of_the_distance_on_every_patient_solid() {
        let p = crate::sim::anatomy::Patient::generate(3, &Default::default()).unwrap();
        let mut inside = 0;
        for s in p.structures() {
            for i in 0..4000 {
                // A fixed scatter of points through the hip region.
                let f = |k: u64| ((i as u64 * k) % 997) as f64 / 997.0 - 0.5;
                let q = DVec3::new(f(331) * 160.0, f(577) * 160.0, f(769) * 260.0);
                assert_eq!(s.shape.contains(q), s.shape.signed_distance(q) < 0.0, "{:?} at {q}", s.tissue);
                inside += s.shape.contains(q) as usize;
            }
        }
        assert!(inside > 1000, "the points fell inside solids too ({inside})");
    }
}
