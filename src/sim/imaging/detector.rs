//! The detector and display: exposure field, quantum noise, automatic
//! window/level, polarity, edge enhancement and the image-intensifier look.

use super::settings::{DetectorKind, ImagingSettings, Polarity};
use crate::sim::rng::SimRng;

/// Photons per pixel per frame, unattenuated, for continuous fluoroscopy at the
/// reference settings and 256 × 256 pixels over a 23 cm field. assumption: tuned so
/// a frame shows visible quantum mottle that does not hide the anatomy.
pub const REFERENCE_PHOTONS_PER_PIXEL: f64 = 30_000.0;
/// Brightness lost at the rim of an image intensifier (vignetting). assumption.
pub const II_VIGNETTING: f64 = 0.35;
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
    /// Transmission I/I₀ without quantum noise (the projector's), per pixel.
    pub transmission: Vec<f32>,
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

    /// The noiseless log attenuation −ln(I/I₀) per pixel; NaN where unexposed.
    pub fn expected_signal(&self) -> Vec<f32> {
        self.transmission
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

    // Quantum noise. Each row has its own random stream, so the image does not depend
    // on how rows are shared between threads. Large frames split in two with
    // `rayon::join`, which needs no allocation; live frames (≤ 256 px) stay on one thread.
    let photons_f = photons as f32;
    let mask = &frame.mask;
    let rows = |row0: usize, sig: &mut [f32]| {
        for (r, srow) in sig.chunks_mut(n).enumerate() {
            let j = row0 + r;
            let mut rng = SimRng::for_stream(seed, 1_000 + j as u64);
            for i in 0..n {
                if mask[j * n + i] == 0.0 {
                    srow[i] = f32::NAN;
                    continue;
                }
                let t = transmission[j * n + i];
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
