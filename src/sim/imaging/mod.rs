//! Simulated fluoroscopy: C-arm geometry, projector, detector, dose and export.
//!
//! Split the way a physicist thinks of it: device geometry (`geometry`, `settings`),
//! materials and their attenuation (`materials`), the projector (`projector`),
//! detector and display (`detector`), dose (`dose`) and image export (`export`).

pub mod detector;
pub mod dicom;
pub mod dose;
pub mod export;
pub mod font;
pub mod geometry;
pub mod labels;
pub mod materials;
pub mod projector;
pub mod radiopaque;
pub mod settings;

pub use detector::Frame;
pub use dose::Dose;
pub use geometry::{CArmPose, Geometry};
pub use projector::{Phantom, Projector, Radiopaque, XrayBody};
pub use radiopaque::{ContrastBody, ContrastField, IodinePuff, NeedlePath};
pub use settings::{Collimation, DetectorKind, FieldSize, ImagingSettings, Polarity, PulseRate, SettingError};

use crate::sim::anatomy::Position;

/// The C-arm with its last image on the monitor and its running totals.
#[derive(Debug, Default)]
pub struct Fluoroscope {
    pub pose: CArmPose,
    pub settings: ImagingSettings,
    projector: Projector,
    frame: Frame,
    has_image: bool,
    /// Everything exposed so far.
    pub total: Dose,
    pub shots: u32,
    /// The tube voltage of the last shot (kV), as the automatic exposure control chose it.
    pub last_kv: Option<f64>,
}

impl Fluoroscope {
    pub fn new(pose: CArmPose, settings: ImagingSettings) -> Self {
        Fluoroscope { pose, settings, ..Default::default() }
    }

    /// Geometry of the current pose and settings.
    pub fn geometry(&self, position: Position) -> Geometry {
        Geometry::new(&self.pose, position, self.settings.field.cm() * 10.0, self.settings.pixels)
    }

    /// Expose for `seconds`: compute the frame the monitor then holds, and its dose.
    /// `noise_seed` fixes the quantum noise (derive it from the session seed and shot number).
    pub fn shoot(
        &mut self,
        body: &dyn XrayBody,
        position: Position,
        extra: Radiopaque<'_>,
        seconds: f64,
        noise_seed: u64,
    ) -> Result<Dose, SettingError> {
        self.settings.validate()?;
        let g = self.geometry(position);
        self.projector.project(&g, body, extra);
        let n = g.pixels;
        let thickness = self.projector.body_path_mm()[(n / 2) * n + n / 2] as f64;
        let s = &self.settings;
        let rate = dose::air_kerma_rate_mgy_per_s(s, thickness);
        let frame_kerma_rel = (rate / s.pulse_rate.frames_per_s())
            / (dose::CONTINUOUS_AIR_KERMA_MGY_PER_S / dose::CONTINUOUS_FRAMES_PER_S);
        let ref_pixel_mm = 230.0 / 256.0;
        let photons = detector::REFERENCE_PHOTONS_PER_PIXEL * frame_kerma_rel * (g.pixel_mm / ref_pixel_mm).powi(2);
        detector::develop(&mut self.frame, self.projector.transmission(), s, photons, noise_seed);
        let area = self.frame.exposed_count() as f64 * g.pixel_mm * g.pixel_mm;
        let d = dose::shot_dose(s, seconds, area, thickness);
        self.total += d;
        self.shots += 1;
        self.last_kv = Some(self.projector.kv());
        self.has_image = true;
        Ok(d)
    }

    /// Project up to `max_rows` rows of the anatomy the next shot at `position` will see;
    /// true once all of it is ready (see [`Projector::prepare`]). The shot's image is the
    /// same whether or not this was called first.
    pub fn prepare(&mut self, body: &dyn XrayBody, position: Position, max_rows: usize) -> bool {
        let g = self.geometry(position);
        self.projector.prepare(&g, body, max_rows)
    }

    /// The projector, for its per-pixel optical depths (tests, calibration).
    pub fn projector(&self) -> &Projector {
        &self.projector
    }

    /// The image on the monitor (last-image hold), if any shot was taken.
    pub fn last_image(&self) -> Option<&Frame> {
        self.has_image.then_some(&self.frame)
    }
}
