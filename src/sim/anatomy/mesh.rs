//! Display meshes: closed, outward-facing triangle meshes of each tissue's solid,
//! by marching tetrahedra over its signed distance. Tetrahedra (six per cube,
//! sharing the cube diagonal) never leave holes, unlike plain marching cubes
//! without its ambiguity tables, and need no case table.

use std::collections::HashMap;

use glam::DVec3;
use serde::Serialize;

use super::Structure;
use super::shapes::Shape;
use super::tissue::Tissue;

/// Grid vertices allowed per structure; bounds the cost of a patient's meshes.
const MAX_GRID_POINTS: f64 = 30_000.0;

/// One tissue's surface.
#[derive(Clone, Debug, Default, Serialize)]
pub struct TissueMesh {
    pub tissue: Option<Tissue>,
    pub positions: Vec<[f32; 3]>,
    pub normals: Vec<[f32; 3]>,
    pub indices: Vec<u32>,
}

impl TissueMesh {
    pub fn triangle_count(&self) -> usize {
        self.indices.len() / 3
    }

    /// Every edge is shared by exactly two triangles, once in each direction:
    /// the surface is closed and consistently oriented.
    pub fn is_closed_and_oriented(&self) -> bool {
        let mut edges: HashMap<(u32, u32), i32> = HashMap::new();
        for t in self.indices.chunks_exact(3) {
            for (a, b) in [(t[0], t[1]), (t[1], t[2]), (t[2], t[0])] {
                *edges.entry((a, b)).or_default() += 1;
            }
        }
        edges.iter().all(|(&(a, b), &n)| n == 1 && edges.get(&(b, a)) == Some(&1))
    }

    /// Enclosed volume (mm³) by the divergence theorem; positive when normals face out.
    pub fn signed_volume_mm3(&self) -> f64 {
        self.indices
            .chunks_exact(3)
            .map(|t| {
                let p = |i: u32| DVec3::from_array(self.positions[i as usize].map(f64::from));
                p(t[0]).dot(p(t[1]).cross(p(t[2]))) / 6.0
            })
            .sum()
    }
}

// Cube corners by bit: x = 1, y = 2, z = 4. Six tetrahedra around the 0–7 diagonal.
const TETS: [[usize; 4]; 6] = [[0, 1, 3, 7], [0, 3, 2, 7], [0, 2, 6, 7], [0, 6, 4, 7], [0, 4, 5, 7], [0, 5, 1, 7]];

/// Mesh the zero level of `shape` over its bounding box with cells of about `cell_mm`.
pub fn mesh_shape(shape: &Shape, cell_hint_mm: f64) -> TissueMesh {
    let bb = shape.aabb();
    let size = bb.size();
    let volume_cell = libm::cbrt(size.x * size.y * size.z / MAX_GRID_POINTS);
    let cell = cell_hint_mm.max(volume_cell);
    let pad = cell * 1.5;
    let origin = bb.min - DVec3::splat(pad);
    let n = ((size + DVec3::splat(2.0 * pad)) / cell).ceil().as_uvec3() + glam::UVec3::ONE;
    let (nx, ny, nz) = (n.x as usize, n.y as usize, n.z as usize);
    let idx = |x: usize, y: usize, z: usize| (z * ny + y) * nx + x;
    let pos = |x: usize, y: usize, z: usize| origin + DVec3::new(x as f64, y as f64, z as f64) * cell;

    let mut field = vec![0.0f64; nx * ny * nz];
    for z in 0..nz {
        for y in 0..ny {
            for x in 0..nx {
                let d = shape.signed_distance(pos(x, y, z));
                // A value of exactly zero counts as outside, nudged so no vertex sits on a corner.
                field[idx(x, y, z)] = if d == 0.0 { 1e-9 } else { d };
            }
        }
    }

    let mut mesh = TissueMesh::default();
    let mut edge_vertex: HashMap<(usize, usize), u32> = HashMap::new();
    let mut vertex_on = |a: usize, b: usize, pa: DVec3, pb: DVec3, mesh: &mut TissueMesh| -> u32 {
        let key = if a < b { (a, b) } else { (b, a) };
        if let Some(&i) = edge_vertex.get(&key) {
            return i;
        }
        let (da, db) = (field[a], field[b]);
        let t = (da / (da - db)).clamp(1e-3, 1.0 - 1e-3);
        let p = pa + (pb - pa) * t;
        let i = mesh.positions.len() as u32;
        mesh.positions.push(p.as_vec3().to_array());
        let h = 0.25 * cell;
        let g = DVec3::new(
            shape.signed_distance(p + DVec3::X * h) - shape.signed_distance(p - DVec3::X * h),
            shape.signed_distance(p + DVec3::Y * h) - shape.signed_distance(p - DVec3::Y * h),
            shape.signed_distance(p + DVec3::Z * h) - shape.signed_distance(p - DVec3::Z * h),
        )
        .normalize_or(DVec3::Z);
        mesh.normals.push(g.as_vec3().to_array());
        edge_vertex.insert(key, i);
        i
    };

    for z in 0..nz - 1 {
        for y in 0..ny - 1 {
            for x in 0..nx - 1 {
                let corner = |c: usize| (x + (c & 1), y + ((c >> 1) & 1), z + ((c >> 2) & 1));
                let ids: [usize; 8] = std::array::from_fn(|c| {
                    let (a, b, cc) = corner(c);
                    idx(a, b, cc)
                });
                let inside: u8 = (0..8).fold(0, |m, c| m | (((field[ids[c]] < 0.0) as u8) << c));
                if inside == 0 || inside == 0xff {
                    continue;
                }
                for tet in TETS {
                    let gid = tet.map(|c| ids[c]);
                    let gp = tet.map(|c| {
                        let (a, b, cc) = corner(c);
                        pos(a, b, cc)
                    });
                    let ins: Vec<usize> = (0..4).filter(|&k| field[gid[k]] < 0.0).collect();
                    let outs: Vec<usize> = (0..4).filter(|&k| field[gid[k]] >= 0.0).collect();
                    if ins.is_empty() || outs.is_empty() {
                        continue;
                    }
                    let centre = |ks: &[usize]| ks.iter().map(|&k| gp[k]).sum::<DVec3>() / ks.len() as f64;
                    let outward = centre(&outs) - centre(&ins);
                    let mut emit = |tri: [(usize, usize); 3], mesh: &mut TissueMesh| {
                        let v = tri.map(|(i, o)| vertex_on(gid[i], gid[o], gp[i], gp[o], mesh));
                        let p = v.map(|i| DVec3::from_array(mesh.positions[i as usize].map(f64::from)));
                        let nrm = (p[1] - p[0]).cross(p[2] - p[0]);
                        if nrm.dot(outward) >= 0.0 {
                            mesh.indices.extend_from_slice(&[v[0], v[1], v[2]]);
                        } else {
                            mesh.indices.extend_from_slice(&[v[0], v[2], v[1]]);
                        }
                    };
                    match (ins.len(), outs.len()) {
                        (1, 3) => emit([(ins[0], outs[0]), (ins[0], outs[1]), (ins[0], outs[2])], &mut mesh),
                        (3, 1) => emit([(ins[0], outs[0]), (ins[1], outs[0]), (ins[2], outs[0])], &mut mesh),
                        _ => {
                            let (i0, i1, o0, o1) = (ins[0], ins[1], outs[0], outs[1]);
                            emit([(i0, o0), (i0, o1), (i1, o1)], &mut mesh);
                            emit([(i0, o0), (i1, o1), (i1, o0)], &mut mesh);
                        }
                    }
                }
            }
        }
    }
    mesh
}

/// One structure's display mesh.
pub(super) fn mesh_structure(s: &Structure) -> TissueMesh {
    let mut m = mesh_shape(&s.shape, s.detail_mm);
    m.tissue = Some(s.tissue);
    m
}

/// One mesh per structure, built in two halves side by side (the cores a workshop laptop
/// has; one after the other in a browser, which has no threads for us).
pub(super) fn meshes_for(structures: &[Structure]) -> Vec<TissueMesh> {
    let job = mesh_structure;
    let half = structures.len() / 2;
    let (first, second) = structures.split_at(half);
    let (mut out, mut rest) =
        rayon::join(|| first.iter().map(job).collect::<Vec<_>>(), || second.iter().map(job).collect::<Vec<_>>());
    out.append(&mut rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sphere_mesh_is_closed_outward_and_has_the_right_volume() {
        let m = mesh_shape(&Shape::sphere(DVec3::new(1.0, 2.0, 3.0), 10.0), 1.0);
        assert!(m.is_closed_and_oriented());
        let expected = 4.0 / 3.0 * std::f64::consts::PI * 1000.0;
        let v = m.signed_volume_mm3();
        assert!((v - expected).abs() / expected < 0.03, "volume {v} vs {expected}");
    }

    #[test]
    fn shell_mesh_is_closed() {
        let shell = Shape::sphere(DVec3::ZERO, 10.0).minus(Shape::sphere(DVec3::ZERO, 6.0));
        let m = mesh_shape(&shell, 1.0);
        assert!(m.is_closed_and_oriented());
        let expected = 4.0 / 3.0 * std::f64::consts::PI * (1000.0 - 216.0);
        assert!((m.signed_volume_mm3() - expected).abs() / expected < 0.05);
    }
}
