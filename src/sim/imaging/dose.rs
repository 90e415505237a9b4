//! Radiation dose per shot: fluoroscopy time, reference air kerma and dose–area product.
//!
//! Calibrated to DOMAIN.md §7: a competent hip injection (≈26 s of fluoroscopy at
//! the default settings) gives ≈0.2 Gy·cm²; pulsed modes and collimation follow
//! the published reductions. Constants marked `assumption` are the calibration.

use serde::{Deserialize, Serialize};

use super::settings::{DetectorKind, ImagingSettings, PulseRate};

/// Reference air kerma rate (mGy/s) of continuous fluoroscopy, 23 cm field, for a
/// 220 mm thick patient. assumption: 12 mGy/min, set so that 26 s at 15 pulses/s
/// with the full field gives ≈0.2 Gy·cm² (DOMAIN.md §7, 1,362 cases).
pub const CONTINUOUS_AIR_KERMA_MGY_PER_S: f64 = 0.20;
pub use super::settings::CONTINUOUS_FRAMES_PER_S;
/// Patient thickness (mm) at which the reference rate applies.
pub const REFERENCE_THICKNESS_MM: f64 = 220.0;
/// Automatic exposure control raises output by this factor per mm of extra tissue
/// (≈ effective soft-tissue attenuation at 50 keV). assumption.
pub const AEC_PER_MM: f64 = 0.018;
/// Low-dose mode halves the rate. assumption.
pub const LOW_DOSE_FACTOR: f64 = 0.5;
/// The interventional reference point: 15 cm from the isocentre toward the tube (IEC 60601-2-43).
pub const REFERENCE_POINT_FROM_ISOCENTRE_MM: f64 = 150.0;

/// Dose rate relative to continuous fluoroscopy. Herrmann 1996: 6 pulses/s ≤ 40%,
/// 3/s ≤ 20%; 15/s and 7.5/s are assumptions between continuous and 6/s.
pub fn pulse_factor(rate: PulseRate) -> f64 {
    match rate {
        PulseRate::Continuous => 1.0,
        PulseRate::Pps15 => 0.70,
        PulseRate::Pps7_5 => 0.45,
        PulseRate::Pps3 => 0.20,
    }
}

/// Magnification modes raise the air kerma rate (smaller field, same detector dose).
/// assumption: ∝ (23 cm / field)^1.5 for an image intensifier, ^1 for a flat panel.
pub fn magnification_factor(s: &ImagingSettings) -> f64 {
    let ratio = 23.0 / s.field.cm();
    match s.detector {
        DetectorKind::ImageIntensifier => libm::pow(ratio, 1.5),
        DetectorKind::FlatPanel => ratio,
    }
}

/// Air kerma rate (mGy/s) at the reference point for these settings and thickness.
pub fn air_kerma_rate_mgy_per_s(s: &ImagingSettings, thickness_mm: f64) -> f64 {
    let aec = libm::exp(AEC_PER_MM * (thickness_mm - REFERENCE_THICKNESS_MM)).clamp(0.3, 4.0);
    CONTINUOUS_AIR_KERMA_MGY_PER_S
        * pulse_factor(s.pulse_rate)
        * if s.low_dose { LOW_DOSE_FACTOR } else { 1.0 }
        * magnification_factor(s)
        * aec
}

/// Dose of one shot (or of a whole session, when summed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Dose {
    pub fluoro_s: f64,
    pub frames: u32,
    pub air_kerma_mgy: f64,
    pub dap_gy_cm2: f64,
}

impl std::ops::AddAssign for Dose {
    fn add_assign(&mut self, o: Dose) {
        self.fluoro_s += o.fluoro_s;
        self.frames += o.frames;
        self.air_kerma_mgy += o.air_kerma_mgy;
        self.dap_gy_cm2 += o.dap_gy_cm2;
    }
}

/// Dose of `seconds` of fluoroscopy whose exposed field is `exposed_area_detector_mm2`
/// at the detector, through a patient `thickness_mm` thick.
pub fn shot_dose(s: &ImagingSettings, seconds: f64, exposed_area_detector_mm2: f64, thickness_mm: f64) -> Dose {
    let kerma = air_kerma_rate_mgy_per_s(s, thickness_mm) * seconds;
    let irp_from_source = super::geometry::SOURCE_TO_ISOCENTRE_MM - REFERENCE_POINT_FROM_ISOCENTRE_MM;
    let scale = irp_from_source / super::geometry::SOURCE_TO_IMAGE_MM;
    let area_cm2 = exposed_area_detector_mm2 * scale * scale / 100.0;
    Dose {
        fluoro_s: seconds,
        frames: (seconds * s.pulse_rate.frames_per_s()).round().max(1.0) as u32,
        air_kerma_mgy: kerma,
        dap_gy_cm2: kerma * area_cm2 / 1000.0,
    }
}
