//! The detector and display: exposure field, quantum noise, automatic
//! window/level, polarity, edge enhancement and the image-intensifier look.

use super::settings::{DetectorKind, ImagingSettings, Polarity};
use crate::sim::rng::SimRng;

/// Photons per pixel per frame, unattenuated, for continuous fluoroscopy at the
/// reference settings and 256 × 256 pixels over a 23 cm field. assumption: tuned so
/// a frame shows visible quantum mottle that does not hide the anatomy.
pub const REFERENCE_PHOTONS_PER_PIXEL: f64 = 30_000.0;
/// Brightness lost at the rim of an image intensifier (vignetting): FIDELITY.md §6 asks for
/// ≤ 25% (edge/centre 0.75-0.9); 20% is an assumption within it.
pub const II_VIGNETTING: f64 = 0.20;
/// Scatter-to-primary ratio behind the grid for a pelvis with the whole 23 cm field open
/// (FIDELITY.md §6: post-grid SPR for a pelvis 0.3-1.0; assumption within it). It scales with
/// the square root of the exposed area, so collimating raises contrast, and with the mean
/// attenuation (thicker patients scatter more), relative to SCATTER_REFERENCE_ATTENUATION.
pub const SCATTER_SPR_FULL_FIELD: f32 = 0.6;
/// The mean log attenuation at which SCATTER_SPR_FULL_FIELD holds. assumption.
pub const SCATTER_REFERENCE_ATTENUATION: f32 = 4.0;
/// Scatter reaches the detector spread over tens of millimetres (FIDELITY.md §6: a 20-40 mm
/// kernel): modelled as the exposed primary averaged over blocks of this fraction of the field
/// and interpolated between them. assumption.
pub const SCATTER_BLOCK_FRACTION: f64 = 1.0 / 8.0;
/// Focal spot (0.6 mm at magnification 1.9) and detector line spread together blur about one
/// pixel at 512 over 23 cm (FIDELITY.md §6): a [w, 1-2w, w] kernel across and along, with
/// w = SHARPNESS_BLUR_WEIGHT at 512 px, scaled with the pixel count.
pub const SHARPNESS_BLUR_WEIGHT: f32 = 0.25;
/// Grey level of unexposed pixels (outside the field or the collimators).
pub const UNEXPOSED_GRAY: u8 = 6;

/// One displayed fluoroscopy frame.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Frame {
    /// Width and height in pixels.
    pub pixels: usize,
    /// Displayed 8-bit grey levels, row-major from the top-left.
    pub gray: Vec<u8>,
    /// Measured log attenuation −ln(I/I₀) per pixel (noisy); NaN where unexposed.
    pub signal: Vec<f32>,
    /// Transmission I/I₀ without quantum noise (the projector's primary), per pixel.
    pub transmission: Vec<f32>,
    /// What reaches the detector without quantum noise: the primary blurred by the focal spot
    /// and the detector, plus scatter (relative to the unattenuated beam); 0 where unexposed.
    pub detected: Vec<f32>,
    scratch: Vec<f32>,
    /// Per-pixel display gain: 0 where unexposed, else the vignetting factor; kept per settings.
    mask: Vec<f32>,
    mask_for: Option<ImagingSettings>,
    exposed_count: usize,
}

impl Frame {
    /// A frame holding only displayed grey levels (e.g. a stored shot for export).
    pub fn from_gray(pixels: usize, gray: Vec<u8>) -> Frame {
        Frame { pixels, gray, ..Default::default() }
    }

    /// The noiseless signal −ln(I/I₀) per pixel, I what reaches the detector (blurred primary
    /// plus scatter); NaN where unexposed.
    pub fn expected_signal(&self) -> Vec<f32> {
        self.detected
            .iter()
            .zip(&self.signal)
            .map(|(t, s)| if s.is_nan() { f32::NAN } else { -libm::logf(*t) })
            .collect()
    }

    /// Number of exposed pixels of the last frame.
    pub fn exposed_count(&self) -> usize {
        self.exposed_count
    }

    fn update_mask(&mut self, s: &ImagingSettings) {
        if self.mask_for.as_ref() == Some(s) {
            return;
        }
        let n = s.pixels;
        self.mask.clear();
        self.mask.resize(n * n, 0.0);
        let centre = (n as f64 - 1.0) / 2.0;
        let mut count = 0;
        for j in 0..n {
            for i in 0..n {
                if !exposed(s, i, j) {
                    continue;
                }
                count += 1;
                let mut gain = 1.0;
                if s.detector == DetectorKind::ImageIntensifier {
                    let dx = (i as f64 - centre) / (n as f64 / 2.0);
                    let dy = (j as f64 - centre) / (n as f64 / 2.0);
                    gain = (1.0 - II_VIGNETTING * (dx * dx + dy * dy)).max(0.01);
                }
                self.mask[j * n + i] = gain as f32;
            }
        }
        self.exposed_count = count;
        self.mask_for = Some(*s);
    }

    pub fn at(&self, i: usize, j: usize) -> u8 {
        self.gray[j * self.pixels + i]
    }
    pub fn exposed_at(&self, i: usize, j: usize) -> bool {
        !self.signal[j * self.pixels + i].is_nan()
    }
    /// Mean grey level over a square of half-size `r` around (i, j).
    pub fn mean_gray(&self, i: usize, j: usize, r: usize) -> f64 {
        let n = self.pixels;
        let (mut s, mut c) = (0.0, 0.0);
        for y in j.saturating_sub(r)..(j + r + 1).min(n) {
            for x in i.saturating_sub(r)..(i + r + 1).min(n) {
                s += self.gray[y * n + x] as f64;
                c += 1.0;
            }
        }
        s / c
    }
}

/// Whether pixel (i, j) receives X-rays: inside the detector field and the collimators.
pub fn exposed(s: &ImagingSettings, i: usize, j: usize) -> bool {
    let n = s.pixels as f64;
    let x = (i as f64 + 0.5) / n * 2.0 - 1.0;
    let y = (j as f64 + 0.5) / n * 2.0 - 1.0;
    let r2 = x * x + y * y;
    let in_field = match s.detector {
        DetectorKind::ImageIntensifier => r2 <= 1.0,
        DetectorKind::FlatPanel => true,
    };
    // An iris at 1.0 is wide open (the whole square of a flat panel).
    let iris = s.collimation.iris;
    in_field && (iris >= 1.0 || r2 <= iris * iris) && x.abs() <= s.collimation.slot
}

/// Number of exposed pixels for these settings.
pub fn exposed_pixel_count(s: &ImagingSettings) -> usize {
    (0..s.pixels).map(|j| (0..s.pixels).filter(|&i| exposed(s, i, j)).count()).sum()
}

/// From the projector's primary to what the detector receives (`frame.detected`): blur by the
/// focal spot and the detector, then scatter: the exposed primary averaged over large blocks
/// (bilinear between block centres) times an SPR that grows with the exposed area and the
/// patient's mean attenuation. No allocation once the frame has its size.
fn form_image(frame: &mut Frame, s: &ImagingSettings) {
    const MAX_BLOCKS: usize = 32;
    let n = s.pixels;
    let (t, mask) = (&frame.transmission, &frame.mask);
    frame.detected.resize(n * n, 0.0);
    frame.scratch.resize(n * n, 0.0);
    let w = (SHARPNESS_BLUR_WEIGHT * n as f32 / 512.0).clamp(0.05, 0.25);
    let at = |k: usize| if mask[k] > 0.0 { t[k] } else { 0.0 };
    let block = ((n as f64 * SCATTER_BLOCK_FRACTION) as usize).max(1);
    let nb = n.div_ceil(block).min(MAX_BLOCKS);
    let mut sums = [[0.0f32; MAX_BLOCKS]; MAX_BLOCKS];
    let mut counts = [[0u32; MAX_BLOCKS]; MAX_BLOCKS];
    let mut exposed = 0u32;
    // Pass 1: blur across, into scratch (exposed pixels only; the collimator's shadow stays
    // sharp at this scale), and the primary's block sums for the scatter.
    for j in 0..n {
        let bj = (j / block).min(nb - 1);
        for i in 0..n {
            let k = j * n + i;
            let c = at(k);
            let l = if i > 0 && mask[k - 1] > 0.0 { at(k - 1) } else { c };
            let r = if i + 1 < n && mask[k + 1] > 0.0 { at(k + 1) } else { c };
            frame.scratch[k] = w * l + (1.0 - 2.0 * w) * c + w * r;
            if mask[k] > 0.0 {
                let bi = (i / block).min(nb - 1);
                sums[bj][bi] += c;
                counts[bj][bi] += 1;
                exposed += 1;
            }
        }
    }
    let area = exposed as f32 / (n * n) as f32 / (std::f32::consts::PI / 4.0);
    // Mean attenuation from the blocks' mean transmissions: a log per block, not per pixel.
    let mut weighted_mu = 0.0f32;
    for (row_s, row_c) in sums.iter().zip(&counts) {
        for (sum, &c) in row_s.iter().zip(row_c) {
            if c > 0 {
                weighted_mu += c as f32 * -libm::logf((sum / c as f32).max(1e-12));
            }
        }
    }
    let mean_mu = weighted_mu / exposed.max(1) as f32;
    let spr = SCATTER_SPR_FULL_FIELD
        * libm::sqrtf(area.clamp(0.0, 1.3))
        * (mean_mu / SCATTER_REFERENCE_ATTENUATION).clamp(0.5, 1.5);
    // Scatter per block, already times the SPR: half the block's own primary, half the field's
    // (scatter spreads over the whole exposed field); blocks with no primary get the field's.
    let field_mean: f32 = sums.iter().flatten().sum::<f32>() / exposed.max(1) as f32;
    let mut scatter = [[0.0f32; MAX_BLOCKS]; MAX_BLOCKS];
    for bj in 0..nb {
        for bi in 0..nb {
            let c = counts[bj][bi];
            let m = if c > 0 { 0.5 * (sums[bj][bi] / c as f32) + 0.5 * field_mean } else { field_mean };
            scatter[bj][bi] = spr * m;
        }
    }
    // Pass 2: blur along, plus the scatter interpolated between block centres.
    let mut row = [0.0f32; MAX_BLOCKS];
    for j in 0..n {
        let fy = ((j as f32 + 0.5) / block as f32 - 0.5).clamp(0.0, (nb - 1) as f32);
        let (y0, ty) = (fy.floor() as usize, fy.fract());
        let y1 = (y0 + 1).min(nb - 1);
        for (bi, v) in row.iter_mut().enumerate().take(nb) {
            *v = scatter[y0][bi] * (1.0 - ty) + scatter[y1][bi] * ty;
        }
        for i in 0..n {
            let k = j * n + i;
            if mask[k] == 0.0 {
                frame.detected[k] = 0.0;
                continue;
            }
            let c = frame.scratch[k];
            let u = if j > 0 && mask[k - n] > 0.0 { frame.scratch[k - n] } else { c };
            let d = if j + 1 < n && mask[k + n] > 0.0 { frame.scratch[k + n] } else { c };
            let fx = ((i as f32 + 0.5) / block as f32 - 0.5).clamp(0.0, (nb - 1) as f32);
            let (x0, tx) = (fx.floor() as usize, fx.fract());
            let x1 = (x0 + 1).min(nb - 1);
            let sc = row[x0] * (1.0 - tx) + row[x1] * tx;
            frame.detected[k] = w * u + (1.0 - 2.0 * w) * c + w * d + sc;
        }
    }
}

/// Turn per-pixel transmissions into a displayed frame.
/// `photons` is the unattenuated count per pixel for this frame; `seed` fixes the noise.
pub fn develop(frame: &mut Frame, transmission: &[f32], s: &ImagingSettings, photons: f64, seed: u64) {
    let n = s.pixels;
    frame.pixels = n;
    frame.gray.resize(n * n, 0);
    frame.signal.resize(n * n, 0.0);
    frame.transmission.clear();
    frame.transmission.extend_from_slice(transmission);
    frame.scratch.resize(n * n, 0.0);

    frame.update_mask(s);
    form_image(frame, s);

    // Quantum noise. Each row has its own random stream, so the image does not depend
    // on how rows are shared between threads. Large frames split in two with
    // `rayon::join`, which needs no allocation; live frames (≤ 256 px) stay on one thread.
    let photons_f = photons as f32;
    let mask = &frame.mask;
    let detected = &frame.detected;
    let rows = |row0: usize, sig: &mut [f32]| {
        for (r, srow) in sig.chunks_mut(n).enumerate() {
            let j = row0 + r;
            let mut rng = SimRng::for_stream(seed, 1_000 + j as u64);
            for i in 0..n {
                if mask[j * n + i] == 0.0 {
                    srow[i] = f32::NAN;
                    continue;
                }
                let t = detected[j * n + i];
                let counts = (rng.poisson((photons_f * t) as f64) as f32).max(0.5);
                srow[i] = -libm::logf(counts / photons_f);
            }
        }
    };
    if n > 256 {
        let half = n.div_ceil(2);
        let (sig_a, sig_b) = frame.signal.split_at_mut(half * n);
        rayon::join(|| rows(0, sig_a), || rows(half, sig_b));
    } else {
        rows(0, &mut frame.signal);
    }

    // Automatic brightness: window from the 1st to the 99th percentile of the exposed field.
    const HIST_BINS: usize = 4096;
    const HIST_MAX: f32 = 16.0;
    let mut hist = [0u32; HIST_BINS];
    let mut count = 0u32;
    for &v in frame.signal.iter().filter(|v| !v.is_nan()) {
        let b = ((v / HIST_MAX) * HIST_BINS as f32).clamp(0.0, (HIST_BINS - 1) as f32) as usize;
        hist[b] += 1;
        count += 1;
    }
    let percentile = |q: f64| -> f32 {
        let want = (q * count as f64) as u32;
        let mut acc = 0;
        for (b, h) in hist.iter().enumerate() {
            acc += h;
            if acc > want {
                return (b as f32 + 0.5) / HIST_BINS as f32 * HIST_MAX;
            }
        }
        HIST_MAX
    };
    let (lo, hi) = if count > 0 { (percentile(0.01), percentile(0.99)) } else { (0.0, 1.0) };
    let span = (hi - lo).max(1e-3);

    let brightness = |v: f32| -> f32 {
        let a = ((v - lo) / span).clamp(0.0, 1.0);
        match s.polarity {
            Polarity::BoneBlack => 1.0 - a,
            Polarity::BoneWhite => a,
        }
    };
    let to_gray = |v: f32, gain: f32| (16.0 + v * gain * 235.0).round() as u8;

    if !s.edge_enhance {
        // One pass, rows split in two for large frames (no allocation either way).
        let (signal, mask) = (&frame.signal, &frame.mask);
        let shade = |row0: usize, gray: &mut [u8]| {
            for (k, g) in gray.iter_mut().enumerate() {
                let idx = row0 * n + k;
                let v = signal[idx];
                *g = if v.is_nan() { UNEXPOSED_GRAY } else { to_gray(brightness(v), mask[idx]) };
            }
        };
        if n > 256 {
            let half = n.div_ceil(2);
            let (top, bottom) = frame.gray.split_at_mut(half * n);
            rayon::join(|| shade(0, top), || shade(half, bottom));
        } else {
            shade(0, &mut frame.gray);
        }
        return;
    }

    // Edge enhancement: unsharp mask over 3 × 3, then the intensifier's rim.
    for (k, v) in frame.signal.iter().enumerate() {
        frame.scratch[k] = if v.is_nan() { f32::NAN } else { brightness(*v) };
    }
    for j in 0..n {
        for i in 0..n {
            let k = j * n + i;
            let b = frame.scratch[k];
            if b.is_nan() {
                frame.gray[k] = UNEXPOSED_GRAY;
                continue;
            }
            let (mut sum, mut c) = (0.0, 0.0);
            for y in j.saturating_sub(1)..(j + 2).min(n) {
                for x in i.saturating_sub(1)..(i + 2).min(n) {
                    let w = frame.scratch[y * n + x];
                    if !w.is_nan() {
                        sum += w;
                        c += 1.0;
                    }
                }
            }
            let v = (b + 0.8 * (b - sum / c)).clamp(0.0, 1.0);
            frame.gray[k] = to_gray(v, frame.mask[k]);
        }
    }
}
