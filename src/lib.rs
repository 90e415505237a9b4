//! fluorohip: a teaching simulator for fluoroscopically guided hip joint injection
//! on synthetic patients. NOT FOR CLINICAL USE.
//!
//! [`sim`] is the whole simulation, with no GUI dependency; the command-line
//! front end and (behind the `gui` feature) the 3D app drive it through
//! [`sim::Session`].

pub mod sim;

/// The 3D training window (Bevy), behind the default `gui` feature.
#[cfg(feature = "gui")]
pub mod app;

/// The notice every surface of the simulator carries.
pub const DISCLAIMER: &str = "NOT FOR CLINICAL USE. fluorohip is a teaching simulator on synthetic patients; \
its anatomy, images, doses and scores are approximations for education and must not guide the care of any patient.";

/// The short form burned into images and shown on banners.
pub const DISCLAIMER_SHORT: &str = "NOT FOR CLINICAL USE - SYNTHETIC PATIENT";
