//! A [`Shape`] prepared for ray queries: every node carries its bounding box, so a ray
//! skips the parts of a union it cannot meet (one segment of a vessel's chain, one of the
//! pelvis's parts), and every primitive its per-shape constants (a capsule's axis and
//! length) worked out once rather than on every ray.
//!
//! It is built from the shape alone and describes the same solid: the spans it gives are
//! those of [`Shape::ray_spans`] (tested on every solid of a patient). The X-ray and the
//! needle's segment query read it; the point query and the display meshes read the
//! shape itself.

use glam::{DMat3, DVec3};

use super::shapes::{Aabb, Primitive, Shape, Spans, finite_cylinder_span_along, hull, solve_quadratic, sphere_span};

/// A shape node with its bounding box (`None`: unbounded, e.g. a half-space or a plate).
#[derive(Clone, Debug)]
pub struct Traced {
    bounds: Option<Aabb>,
    node: Node,
}

#[derive(Clone, Debug)]
enum Node {
    Sphere {
        centre: DVec3,
        radius_mm: f64,
    },
    Capsule {
        a: DVec3,
        b: DVec3,
        axis: DVec3,
        len: f64,
        radius_mm: f64,
    },
    Cylinder {
        a: DVec3,
        axis: DVec3,
        len: f64,
        radius_mm: f64,
    },
    /// `to_local` takes `p - centre` to the frame where the ellipsoid is the unit ball's
    /// axes (the transpose of its axes); the radii divide afterwards, as in `Primitive`.
    Ellipsoid {
        centre: DVec3,
        to_local: DMat3,
        radii_mm: DVec3,
    },
    /// Elliptic cylinders, half-spaces and slabs: cheap already.
    Other(Primitive),
    Union(Vec<Traced>),
    Intersection(Vec<Traced>),
    Difference(Box<Traced>, Box<Traced>),
}

/// Boxes this large are the "everything" of unbounded primitives: no use to a ray.
const UNBOUNDED_MM: f64 = 1e8;

impl Traced {
    pub fn new(shape: &Shape) -> Traced {
        let b = shape.aabb();
        let bounds = (b.size().max_element() < UNBOUNDED_MM).then_some(b);
        let node = match shape {
            Shape::Prim(p) => match *p {
                Primitive::Sphere { centre, radius_mm } => Node::Sphere { centre, radius_mm },
                Primitive::Capsule { a, b, radius_mm } => {
                    let len = (b - a).length();
                    Node::Capsule { a, b, axis: (b - a) / len, len, radius_mm }
                }
                Primitive::Cylinder { a, b, radius_mm } => {
                    let len = (b - a).length();
                    Node::Cylinder { a, axis: (b - a) / len, len, radius_mm }
                }
                Primitive::Ellipsoid { centre, axes, radii_mm } => {
                    Node::Ellipsoid { centre, to_local: axes.transpose(), radii_mm }
                }
                ref other => Node::Other(other.clone()),
            },
            Shape::Union(v) => Node::Union(v.iter().map(Traced::new).collect()),
            Shape::Intersection(v) => Node::Intersection(v.iter().map(Traced::new).collect()),
            Shape::Difference(a, b) => Node::Difference(Box::new(Traced::new(a)), Box::new(Traced::new(b))),
        };
        Traced { bounds, node }
    }

    fn prim_span(&self, o: DVec3, d: DVec3) -> Option<(f64, f64)> {
        match self.node {
            Node::Sphere { centre, radius_mm } => sphere_span(o, d, centre, radius_mm),
            Node::Capsule { a, b, axis, len, radius_mm } => {
                let body = finite_cylinder_span_along(o, d, a, axis, len, radius_mm);
                let ends = hull(sphere_span(o, d, a, radius_mm), sphere_span(o, d, b, radius_mm));
                hull(body, ends)
            }
            Node::Cylinder { a, axis, len, radius_mm } => finite_cylinder_span_along(o, d, a, axis, len, radius_mm),
            Node::Ellipsoid { centre, to_local, radii_mm } => {
                let ot = to_local * (o - centre) / radii_mm;
                let dt = to_local * d / radii_mm;
                solve_quadratic(dt.dot(dt), ot.dot(dt), ot.dot(ot) - 1.0)
            }
            Node::Other(ref p) => p.ray_span(o, d),
            Node::Union(_) | Node::Intersection(_) | Node::Difference(..) => None,
        }
    }

    /// Intervals of `o + t d`, `t` in `[t0, t1]`, inside the solid, into `out`; `inv_d` is
    /// `1 / d` componentwise, for the boxes.
    pub fn spans_into(&self, o: DVec3, d: DVec3, inv_d: DVec3, t0: f64, t1: f64, out: &mut Spans) {
        out.len = 0;
        if let Some(b) = &self.bounds {
            match b.ray_range(o, inv_d) {
                Some((b0, b1)) if b1 >= t0 && b0 <= t1 => {}
                _ => return,
            }
        }
        match &self.node {
            Node::Union(v) => {
                let (mut part, mut tmp) = (Spans::default(), Spans::default());
                for s in v {
                    s.spans_into(o, d, inv_d, t0, t1, &mut part);
                    if part.is_empty() {
                        continue;
                    }
                    if out.is_empty() {
                        out.assign(&part);
                    } else {
                        out.union_into(&part, &mut tmp);
                        out.assign(&tmp);
                    }
                }
            }
            Node::Intersection(v) => {
                if v.is_empty() {
                    // Nothing cut away: the whole range, as `Shape::ray_spans` gives.
                    out.assign(&Spans::single(t0, t1));
                    return;
                }
                let (mut part, mut tmp) = (Spans::default(), Spans::default());
                for (k, s) in v.iter().enumerate() {
                    s.spans_into(o, d, inv_d, t0, t1, &mut part);
                    if part.is_empty() {
                        out.len = 0;
                        return;
                    }
                    if k == 0 {
                        out.assign(&part);
                    } else {
                        out.intersection_into(&part, &mut tmp);
                        out.assign(&tmp);
                        if out.is_empty() {
                            return;
                        }
                    }
                }
            }
            Node::Difference(a, b) => {
                a.spans_into(o, d, inv_d, t0, t1, out);
                if out.is_empty() {
                    return;
                }
                let (mut cut, mut tmp) = (Spans::default(), Spans::default());
                b.spans_into(o, d, inv_d, t0, t1, &mut cut);
                if !cut.is_empty() {
                    out.difference_into(&cut, &mut tmp);
                    out.assign(&tmp);
                }
            }
            _ => {
                if let Some((a, b)) = self.prim_span(o, d) {
                    out.push(a.max(t0), b.min(t1));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On every solid of two patients (one with the leg turned), rays in many directions
    /// through the hip get the spans the shape itself gives.
    #[test]
    fn traced_spans_are_the_shapes_spans_on_every_patient_solid() {
        let p3 = crate::sim::anatomy::Patient::generate(3, &Default::default()).unwrap();
        let mut compared = 0;
        for p in [p3.clone(), p3.with_leg_rotation(15.0)] {
            for s in p.structures() {
                let traced = Traced::new(&s.shape);
                for i in 0..997u64 {
                    let f = |k: u64| ((i * k) % 997) as f64 / 997.0 - 0.5;
                    let o = DVec3::new(f(331) * 120.0, f(577) * 120.0 - 300.0, f(769) * 200.0);
                    // Every third ray straight along y (front to back, as the anterior approach
                    // and the beam in AP), the rest oblique; ranges that start and end inside.
                    let d = if i % 3 == 0 { DVec3::Y } else { DVec3::new(f(113) * 0.8, 1.0, f(211) * 0.8).normalize() };
                    let (t0, t1) = if i % 2 == 0 { (0.0, 600.0) } else { (250.0 + f(17) * 80.0, 330.0 + f(19) * 80.0) };
                    let want = s.shape.ray_spans(o, d, t0, t1);
                    let mut got = Spans::default();
                    traced.spans_into(o, d, DVec3::ONE / d, t0, t1, &mut got);
                    let (w, g) = (want.as_slice(), got.as_slice());
                    assert_eq!(w.len(), g.len(), "{:?}, ray {i}: {w:?} against {g:?}", s.tissue);
                    for (a, b) in w.iter().zip(g) {
                        assert!((a.0 - b.0).abs() < 1e-9 && (a.1 - b.1).abs() < 1e-9, "{:?}, ray {i}", s.tissue);
                    }
                    compared += w.len();
                }
            }
        }
        assert!(compared > 2000, "the rays crossed the solids ({compared} spans)");
    }

    /// The degenerate solids: an empty union holds nothing, an empty intersection everything.
    #[test]
    fn empty_unions_and_intersections_mean_what_the_shape_means() {
        for shape in [Shape::Union(Vec::new()), Shape::Intersection(Vec::new())] {
            let want = shape.ray_spans(DVec3::ZERO, DVec3::X, 2.0, 9.0);
            let mut got = Spans::default();
            Traced::new(&shape).spans_into(DVec3::ZERO, DVec3::X, DVec3::ONE / DVec3::X, 2.0, 9.0, &mut got);
            assert_eq!(want.as_slice(), got.as_slice(), "{shape:?}");
        }
    }
}
