//! The projector: line integrals of attenuation along every detector ray, by
//! Beer–Lambert over the patient's exact tissue spans, the steel needle and the
//! iodine of the contrast.
//!
//! The patient's part depends only on the pose, so it is kept between shots and
//! recomputed only when the C-arm moves; a shot at an unchanged pose adds just
//! the needle and contrast, in the screen region they cover.

use glam::DVec3;

use super::geometry::Geometry;
use super::materials::{self, BINS};
use super::radiopaque::{ContrastBody, ContrastField, IodinePuff, NeedlePath, PUFF_CUTOFF_SIGMA};
use crate::sim::anatomy::{Aabb, Material, MaterialPath, Patient, Shape};

/// Anything X-rays pass through: the patient, or a test phantom.
pub trait XrayBody: Sync {
    /// Add the path length (mm) through each material along `o + t d`, `t` in `[0, len]`.
    fn path_lengths_dir(&self, o: DVec3, d: DVec3, len: f64, out: &mut MaterialPath);
    /// Identifies the body, so a cached projection is never reused for another one.
    fn key(&self) -> u64;
}

impl XrayBody for Patient {
    fn path_lengths_dir(&self, o: DVec3, d: DVec3, len: f64, out: &mut MaterialPath) {
        Patient::path_lengths_dir(self, o, d, len, out)
    }
    fn key(&self) -> u64 {
        Patient::key(self)
    }
}

/// A test object: solids of one material each, in air (first match wins).
#[derive(Clone, Debug)]
pub struct Phantom {
    pub parts: Vec<(Material, Shape)>,
    pub id: u64,
}

impl XrayBody for Phantom {
    fn path_lengths_dir(&self, o: DVec3, d: DVec3, len: f64, out: &mut MaterialPath) {
        let mut free = crate::sim::anatomy::Spans::single(0.0, len);
        for (m, shape) in &self.parts {
            let spans = shape.ray_spans(o, d, 0.0, len);
            out[m.index()] += spans.intersection(&free).total();
            free = free.difference(&spans);
        }
        out[Material::Air.index()] += free.total();
    }
    fn key(&self) -> u64 {
        self.id ^ 0x5048_414e_544f_4d00
    }
}

/// What the projector can see besides the patient.
#[derive(Clone, Copy, Debug, Default)]
pub struct Radiopaque<'a> {
    pub needle: Option<&'a NeedlePath>,
    pub contrast: Option<&'a ContrastField>,
}

/// Per-pixel optical depth in each energy bin, with the anatomy cached per pose.
#[derive(Debug, Default)]
pub struct Projector {
    cached: Option<(Geometry, u64)>,
    /// Anatomy projected ahead of a shot, part of the way: its geometry, body and the
    /// rows done so far (see [`Projector::prepare`]).
    partial: Option<(Geometry, u64, usize)>,
    anatomy: Vec<[f32; BINS]>,
    /// Spectrum-weighted transmission of the anatomy alone, per pixel.
    anatomy_t: Vec<f32>,
    /// Iodine's optical depth, kept while neither the pose nor the contrast changes,
    /// with the list of pixels it touches.
    contrast: Vec<[f32; BINS]>,
    contrast_pixels: Vec<u32>,
    contrast_key: Option<(Geometry, Vec<ContrastBody>, Vec<IodinePuff>)>,
    /// Needle and contrast optical depth of this frame, zero outside `touched`.
    extra: Vec<[f32; BINS]>,
    touched: Vec<u32>,
    /// Spectrum-weighted transmission I/I₀ of every pixel for this frame.
    transmission: Vec<f32>,
    /// Path length through the patient along each pixel's ray (mm), from the anatomy pass.
    body_mm: Vec<f32>,
    /// The tube voltage the AEC chose for this pose (from the central ray's thickness) and
    /// the spectrum's photon fractions at it.
    kv: f64,
    weights: [f32; BINS],
}

fn mu_table() -> [[f64; BINS]; Material::COUNT] {
    std::array::from_fn(|m| materials::mu_per_mm(Material::ALL[m]))
}

/// Pixel rectangle (inclusive-exclusive) covered by the projection of a box, with a margin.
fn screen_rect(g: &Geometry, b: &Aabb, margin_px: f64) -> Option<(usize, usize, usize, usize)> {
    let n = g.pixels as f64;
    let (mut i0, mut j0, mut i1, mut j1) = (f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
    for c in 0..8 {
        let p = DVec3::new(
            if c & 1 == 0 { b.min.x } else { b.max.x },
            if c & 2 == 0 { b.min.y } else { b.max.y },
            if c & 4 == 0 { b.min.z } else { b.max.z },
        );
        let (i, j) = g.project_px(p)?;
        i0 = i0.min(i);
        i1 = i1.max(i);
        j0 = j0.min(j);
        j1 = j1.max(j);
    }
    let clamp = |x: f64| x.clamp(0.0, n) as usize;
    let r = (clamp(i0 - margin_px), clamp(j0 - margin_px), clamp(i1 + margin_px + 1.0), clamp(j1 + margin_px + 1.0));
    (r.0 < r.2 && r.1 < r.3).then_some(r)
}

impl Projector {
    pub fn new() -> Self {
        Self::default()
    }

    /// Optical depth of the body alone (no needle or contrast) per bin for every pixel,
    /// row-major from the top-left.
    pub fn anatomy_optical_depth(&self) -> &[[f32; BINS]] {
        &self.anatomy
    }

    /// Optical depth of the iodine alone per bin for every pixel, as last projected
    /// (empty before any contrast was seen).
    pub fn contrast_optical_depth(&self) -> &[[f32; BINS]] {
        &self.contrast
    }

    /// Spectrum-weighted transmission I/I₀ of every pixel for the last frame.
    pub fn transmission(&self) -> &[f32] {
        &self.transmission
    }

    /// Path length through the patient (mm) along each pixel's ray.
    pub fn body_path_mm(&self) -> &[f32] {
        &self.body_mm
    }

    /// The tube voltage (kV) the automatic exposure control chose for the cached pose: it
    /// rises with the patient's thickness on the central ray ([`materials::aec_kv`]).
    pub fn kv(&self) -> f64 {
        self.kv
    }

    /// Drop the cached anatomy (e.g. a new patient).
    pub fn invalidate(&mut self) {
        self.cached = None;
        self.partial = None;
    }

    /// Compute the optical depth of every pixel for `body` and `extra` seen by `g`.
    pub fn project(&mut self, g: &Geometry, body: &dyn XrayBody, extra: Radiopaque<'_>) {
        let n = g.pixels;
        if self.cached != Some((*g, body.key())) {
            // Whatever `prepare` has not done yet, all at once.
            while !self.prepare(g, body, n) {}
        }
        self.transmission.clear();
        self.transmission.extend_from_slice(&self.anatomy_t);
        self.extra.resize(n * n, [0.0; BINS]);
        self.touched.clear();
        if let Some(field) = extra.contrast
            && !field.is_empty()
        {
            let unchanged = self.contrast_key.as_ref().is_some_and(|(kg, kb, kp)| {
                kg == g && kb.as_slice() == field.bodies() && kp.as_slice() == field.puffs()
            });
            if !unchanged {
                self.project_contrast(g, field);
                self.contrast_key = Some((*g, field.bodies().to_vec(), field.puffs().to_vec()));
            }
            for &k in &self.contrast_pixels {
                self.extra[k as usize] = self.contrast[k as usize];
                self.touched.push(k);
            }
        }
        if let Some(needle) = extra.needle
            && let Some(bb) = needle.aabb()
            && let Some((i0, j0, i1, j1)) = screen_rect(g, &bb, 2.0)
        {
            for j in j0..j1 {
                for i in i0..i1 {
                    let (o, d, len) = ray(g, i, j);
                    let steel = needle.steel_length_mm(o, d, len);
                    if steel > 0.0 {
                        let k = j * n + i;
                        let px = &mut self.extra[k];
                        if px.iter().all(|v| *v == 0.0) {
                            self.touched.push(k as u32);
                        }
                        for (b, v) in px.iter_mut().enumerate() {
                            *v += (materials::STEEL[b] * steel) as f32;
                        }
                    }
                }
            }
        }
        // Only pixels the needle or contrast cross need the spectrum summed again.
        for &k in &self.touched {
            let k = k as usize;
            let a = &self.anatomy[k];
            let e = &mut self.extra[k];
            self.transmission[k] = transmission_with(&std::array::from_fn(|b| a[b] + e[b]), &self.weights);
            *e = [0.0; BINS];
        }
    }

    /// Iodine's optical depth: puffs splatted as 2D Gaussians holding their mass, or, for
    /// a field of uniform bodies, ray integrals over the screen region each covers.
    fn project_contrast(&mut self, g: &Geometry, field: &ContrastField) {
        let n = g.pixels;
        self.contrast.clear();
        self.contrast.resize(n * n, [0.0; BINS]);
        let mu_i = materials::iodine_mu_per_mm_per_mg_ml();
        if !field.puffs().is_empty() {
            for puff in field.puffs() {
                splat_puff(g, puff, &mu_i, &mut self.contrast);
            }
        }
        for body in field.bodies().iter().filter(|_| field.puffs().is_empty()) {
            let Some((i0, j0, i1, j1)) = screen_rect(g, &body.aabb, 1.0) else { continue };
            let mid = (j0 + j1) / 2;
            let (top, bottom) = self.contrast.split_at_mut(mid * n);
            let rows = |ja: usize, jb: usize, out: &mut [[f32; BINS]], row0: usize| {
                for j in ja..jb {
                    for i in i0..i1 {
                        let (o, d, len) = ray(g, i, j);
                        let iodine = body.iodine_line_integral(o, d, len);
                        if iodine > 0.0 {
                            let px = &mut out[(j - row0) * n + i];
                            for (b, v) in px.iter_mut().enumerate() {
                                *v += (mu_i[b] * iodine) as f32;
                            }
                        }
                    }
                }
            };
            rayon::join(|| rows(j0, mid, top, 0), || rows(mid, j1, bottom, mid));
        }
        self.contrast_pixels.clear();
        for (k, c) in self.contrast.iter().enumerate() {
            if c[0] > 0.0 {
                self.contrast_pixels.push(k as u32);
            }
        }
    }

    /// Project up to `max_rows` more rows of the anatomy for `g` ahead of a shot, and
    /// return whether the whole of it is now cached. A host with one thread (the browser)
    /// spreads a new pose's projection over several frames this way; every pixel is
    /// independent, so the result is the same as projecting it in one go.
    pub fn prepare(&mut self, g: &Geometry, body: &dyn XrayBody, max_rows: usize) -> bool {
        let key = (*g, body.key());
        if self.cached == Some(key) {
            return true;
        }
        let n = g.pixels;
        let done = match self.partial {
            Some((pg, pk, done)) if (pg, pk) == key => done,
            _ => {
                self.cached = None;
                self.anatomy.clear();
                self.anatomy.resize(n * n, [0.0; BINS]);
                self.body_mm.clear();
                self.body_mm.resize(n * n, 0.0);
                0
            }
        };
        let end = (done + max_rows.max(1)).min(n);
        self.anatomy_rows(g, body, done, end);
        if end < n {
            self.partial = Some((key.0, key.1, end));
            return false;
        }
        self.partial = None;
        // The AEC sets the voltage from the thickness on the central ray.
        self.kv = materials::aec_kv(self.body_mm[(n / 2) * n + n / 2] as f64);
        self.weights = materials::photon_fractions(self.kv).map(|w| w as f32);
        let w = self.weights;
        self.anatomy_t.clear();
        self.anatomy_t.extend(self.anatomy.iter().map(|tau| transmission_with(tau, &w)));
        self.cached = Some(key);
        true
    }

    /// The anatomy's optical depth and body path for rows `j0..j1`.
    fn anatomy_rows(&mut self, g: &Geometry, body: &dyn XrayBody, j0: usize, j1: usize) {
        let n = g.pixels;
        let mu = mu_table();
        // Rows in parallel on every core; each pixel is independent, so the result
        // does not depend on the split.
        use rayon::prelude::*;
        let (anatomy, body_mm) = (&mut self.anatomy[j0 * n..j1 * n], &mut self.body_mm[j0 * n..j1 * n]);
        anatomy.par_chunks_mut(n).zip(body_mm.par_chunks_mut(n)).enumerate().for_each(|(r, (out, body_out))| {
            let j = j0 + r;
            for (i, (px, bm)) in out.iter_mut().zip(body_out.iter_mut()).enumerate() {
                let (o, d, len) = ray(g, i, j);
                let mut path = [0.0; Material::COUNT];
                body.path_lengths_dir(o, d, len, &mut path);
                let mut depth = [0.0f64; BINS];
                for (m, l) in path.iter().enumerate().skip(1) {
                    if *l > 0.0 {
                        for (b, dep) in depth.iter_mut().enumerate() {
                            *dep += mu[m][b] * l;
                        }
                    }
                }
                *px = depth.map(|x| x as f32);
                *bm = (len - path[Material::Air.index()]) as f32;
            }
        });
    }
}

/// Smallest standard deviation of a splat on the detector (pixels): a narrower puff
/// would alias between pixels.
const MIN_SPLAT_SIGMA_PX: f64 = 0.4;

/// Add one puff's iodine optical depth to `out`: its 2D Gaussian footprint, normalised
/// over the pixels it covers so that the iodine summed over the image (times the pixel
/// area at the puff's depth) is the puff's mass, wherever it falls in the field.
fn splat_puff(g: &Geometry, puff: &IodinePuff, mu_i: &[f64; BINS], out: &mut [[f32; BINS]]) {
    let n = g.pixels;
    let Some((ci, cj)) = g.project_px(puff.centre) else { return };
    // The projection's Jacobian applied to each axis: the footprint's covariance in pixels.
    let (mut sxx, mut sxy, mut syy) = (MIN_SPLAT_SIGMA_PX.powi(2), 0.0, MIN_SPLAT_SIGMA_PX.powi(2));
    for a in puff.axes {
        let Some((ai, aj)) = g.project_px(puff.centre + a) else { return };
        let (dx, dy) = (ai - ci, aj - cj);
        sxx += dx * dx;
        sxy += dx * dy;
        syy += dy * dy;
    }
    let det = sxx * syy - sxy * sxy;
    let (ixx, ixy, iyy) = (syy / det, -sxy / det, sxx / det);
    let reach = PUFF_CUTOFF_SIGMA * sxx.max(syy).sqrt();
    let clamp = |x: f64| x.clamp(0.0, n as f64) as usize;
    let (i0, i1) = (clamp((ci - reach).floor()), clamp((ci + reach).ceil() + 1.0));
    let (j0, j1) = (clamp((cj - reach).floor()), clamp((cj + reach).ceil() + 1.0));
    if i0 >= i1 || j0 >= j1 {
        return;
    }
    // Normalise over the whole footprint, including pixels off the detector, so that a
    // puff half out of the field puts half its iodine in the image.
    let (fi0, fi1) = ((ci - reach).floor() as i64, (ci + reach).ceil() as i64 + 1);
    let (fj0, fj1) = ((cj - reach).floor() as i64, (cj + reach).ceil() as i64 + 1);
    let cut2 = PUFF_CUTOFF_SIGMA * PUFF_CUTOFF_SIGMA;
    let weight = |i: i64, j: i64| {
        let (dx, dy) = (i as f64 - ci, j as f64 - cj);
        let m2 = dx * dx * ixx + 2.0 * dx * dy * ixy + dy * dy * iyy;
        if m2 > cut2 { 0.0 } else { libm::exp(-0.5 * m2) }
    };
    let mut total = 0.0;
    for j in fj0..fj1 {
        for i in fi0..fi1 {
            total += weight(i, j);
        }
    }
    if total <= 0.0 {
        return;
    }
    // Line integral (mg/mL × mm) = 1000 × areal density (mg/mm²) over the pixel's area
    // at the puff's depth.
    let depth = (puff.centre - g.source).dot(g.beam);
    let px_mm = g.pixel_mm * depth / super::geometry::SOURCE_TO_IMAGE_MM;
    let per_weight = 1000.0 * puff.iodine_mg / (total * px_mm * px_mm);
    for j in j0..j1 {
        for i in i0..i1 {
            let iodine = weight(i as i64, j as i64) * per_weight;
            if iodine > 0.0 {
                let px = &mut out[j * n + i];
                for (b, v) in px.iter_mut().enumerate() {
                    *v += (mu_i[b] * iodine) as f32;
                }
            }
        }
    }
}

/// Transmission I/I₀ of a pixel: the spectrum's photon fractions `w` times exp(−optical depth).
pub fn transmission_with(tau: &[f32; BINS], w: &[f32; BINS]) -> f32 {
    let t: f32 = tau.iter().zip(w).map(|(tau, w)| w * libm::expf(-tau)).sum();
    t.max(1e-12)
}

/// The ray of pixel (i, j): origin at the source, unit direction, length to the detector.
pub fn ray(g: &Geometry, i: usize, j: usize) -> (DVec3, DVec3, f64) {
    let p = g.pixel_point(i, j);
    let v = p - g.source;
    let len = v.length();
    (g.source, v / len, len)
}
