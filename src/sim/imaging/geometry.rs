//! C-arm pose and cone-beam geometry.
//!
//! The tube sits under the table (ALARA) and the detector above the patient. At
//! zero angles the beam runs straight up through a supine patient (posterior to
//! anterior, −y); the image is displayed as seen from the front: patient's right
//! on the viewer's left, head up.

use glam::DVec3;
use serde::{Deserialize, Serialize};

use crate::sim::anatomy::Position;

/// Source-to-image distance, mm (DOMAIN.md §6: 97–102 cm).
pub const SOURCE_TO_IMAGE_MM: f64 = 1000.0;
/// Source-to-isocentre distance, mm (DOMAIN.md §6: about 53 cm).
pub const SOURCE_TO_ISOCENTRE_MM: f64 = 530.0;

/// Where the C-arm points.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CArmPose {
    /// Orbital rotation: positive is LAO (detector toward the patient's left), negative RAO.
    pub lao_deg: f64,
    /// Angulation: positive cranial (detector toward the head), negative caudal.
    pub cranial_deg: f64,
    /// The point the central ray passes through, in patient coordinates (mm).
    pub isocentre: DVec3,
}

impl Default for CArmPose {
    fn default() -> Self {
        CArmPose { lao_deg: 0.0, cranial_deg: 0.0, isocentre: DVec3::ZERO }
    }
}

/// Limits of the C-arm's travel.
pub const MAX_LAO_DEG: f64 = 90.0;
pub const MAX_CRANIAL_DEG: f64 = 45.0;

/// Cone-beam geometry of one pose, in patient coordinates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Geometry {
    pub source: DVec3,
    pub detector_centre: DVec3,
    /// Unit vector from source to detector (the central ray).
    pub beam: DVec3,
    /// Detector axes: `e_u` to the right of the displayed image, `e_v` up.
    pub e_u: DVec3,
    pub e_v: DVec3,
    pub pixels: usize,
    /// Pixel pitch at the detector (mm).
    pub pixel_mm: f64,
}

fn rad(d: f64) -> f64 {
    d.to_radians()
}

impl Geometry {
    /// Geometry for a pose, the patient's position, a detector field (mm) and a pixel count.
    pub fn new(pose: &CArmPose, position: Position, field_mm: f64, pixels: usize) -> Geometry {
        let (lao, cran) = (rad(pose.lao_deg), rad(pose.cranial_deg));
        // Beam in the room, where a supine patient's axes are the room's.
        let (sl, cl, sc, cc) = (libm::sin(lao), libm::cos(lao), libm::sin(cran), libm::cos(cran));
        let room_beam = DVec3::new(sl * cc, -cl * cc, sc);
        let beam = match position {
            Position::Supine => room_beam,
            // Prone: the patient is turned 180° about the long axis; "toward the
            // patient's left" is then toward the room's right.
            Position::Prone => {
                let b = DVec3::new(-sl * cc, -cl * cc, sc);
                DVec3::new(-b.x, -b.y, b.z)
            }
        };
        let e_v = (DVec3::Z - beam * beam.z).normalize();
        let e_u = e_v.cross(beam);
        let source = pose.isocentre - beam * SOURCE_TO_ISOCENTRE_MM;
        Geometry {
            source,
            detector_centre: source + beam * SOURCE_TO_IMAGE_MM,
            beam,
            e_u,
            e_v,
            pixels,
            pixel_mm: field_mm / pixels as f64,
        }
    }

    /// Centre of pixel (`i` column, `j` row from the top) on the detector.
    pub fn pixel_point(&self, i: usize, j: usize) -> DVec3 {
        let half = self.pixels as f64 / 2.0;
        let u = (i as f64 + 0.5 - half) * self.pixel_mm;
        let v = (half - j as f64 - 0.5) * self.pixel_mm;
        self.detector_centre + self.e_u * u + self.e_v * v
    }

    /// Where `p` projects on the detector: (u, v) in mm from the detector centre.
    pub fn project_mm(&self, p: DVec3) -> Option<(f64, f64)> {
        let depth = (p - self.source).dot(self.beam);
        if depth <= 1.0 {
            return None;
        }
        let q = self.source + (p - self.source) * (SOURCE_TO_IMAGE_MM / depth);
        Some(((q - self.detector_centre).dot(self.e_u), (q - self.detector_centre).dot(self.e_v)))
    }

    /// Where `p` projects, in (fractional) pixel coordinates: column, row from the top.
    pub fn project_px(&self, p: DVec3) -> Option<(f64, f64)> {
        let (u, v) = self.project_mm(p)?;
        let half = self.pixels as f64 / 2.0;
        Some((u / self.pixel_mm + half - 0.5, half - 0.5 - v / self.pixel_mm))
    }

    /// Magnification of an object at the isocentre.
    pub fn magnification(&self) -> f64 {
        SOURCE_TO_IMAGE_MM / SOURCE_TO_ISOCENTRE_MM
    }

    /// Angle (deg) between a direction and the central ray: 0 means "down the barrel".
    pub fn angle_to_beam_deg(&self, dir: DVec3) -> f64 {
        let c = dir.normalize().dot(self.beam).abs().clamp(0.0, 1.0);
        libm::acos(c).to_degrees()
    }
}
