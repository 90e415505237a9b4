//! What the radiographer sets on the C-arm.

use serde::{Deserialize, Serialize};

/// Frames per second of continuous fluoroscopy.
pub const CONTINUOUS_FRAMES_PER_S: f64 = 30.0;

/// Image-intensifier field (magnification mode), DOMAIN.md §6: 23/15/11 cm.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldSize {
    #[default]
    Cm23,
    Cm15,
    Cm11,
}

impl FieldSize {
    pub fn cm(self) -> f64 {
        match self {
            FieldSize::Cm23 => 23.0,
            FieldSize::Cm15 => 15.0,
            FieldSize::Cm11 => 11.0,
        }
    }
    pub fn from_cm(cm: f64) -> Option<FieldSize> {
        [FieldSize::Cm23, FieldSize::Cm15, FieldSize::Cm11].into_iter().find(|f| (f.cm() - cm).abs() < 0.5)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DetectorKind {
    /// Circular field with a darker rim.
    #[default]
    ImageIntensifier,
    /// Square field, even response.
    FlatPanel,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PulseRate {
    Continuous,
    #[default]
    Pps15,
    Pps7_5,
    Pps3,
}

impl PulseRate {
    pub fn frames_per_s(self) -> f64 {
        match self {
            PulseRate::Continuous => CONTINUOUS_FRAMES_PER_S,
            PulseRate::Pps15 => 15.0,
            PulseRate::Pps7_5 => 7.5,
            PulseRate::Pps3 => 3.0,
        }
    }
}

/// How attenuation maps to brightness. Sites differ (DOMAIN.md §6), so both are offered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Polarity {
    /// Bone, contrast and needle dark on a bright background (the default).
    #[default]
    BoneBlack,
    BoneWhite,
}

/// Collimation as fractions of the field: an iris (circular) and a pair of
/// vertical slot shutters.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Collimation {
    /// Iris diameter as a fraction of the field, 0.2–1.0.
    pub iris: f64,
    /// Width between the slot shutters as a fraction of the field, 0.2–1.0.
    pub slot: f64,
}

impl Default for Collimation {
    fn default() -> Self {
        Collimation { iris: 1.0, slot: 1.0 }
    }
}

/// All C-arm settings except its pose.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImagingSettings {
    pub field: FieldSize,
    pub detector: DetectorKind,
    pub pulse_rate: PulseRate,
    pub low_dose: bool,
    pub collimation: Collimation,
    pub polarity: Polarity,
    pub edge_enhance: bool,
    /// Image size in pixels (square), 64–1024.
    pub pixels: usize,
}

impl Default for ImagingSettings {
    fn default() -> Self {
        ImagingSettings {
            field: FieldSize::Cm23,
            detector: DetectorKind::ImageIntensifier,
            pulse_rate: PulseRate::Pps15,
            low_dose: false,
            collimation: Collimation::default(),
            polarity: Polarity::BoneBlack,
            edge_enhance: false,
            pixels: 256,
        }
    }
}

/// A setting outside what the C-arm can do.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("imaging setting `{field}` = {value} is outside {min}..={max}")]
pub struct SettingError {
    pub field: &'static str,
    pub value: f64,
    pub min: f64,
    pub max: f64,
}

impl ImagingSettings {
    pub fn validate(&self) -> Result<(), SettingError> {
        let check = |field, value: f64, min, max| {
            if value.is_finite() && value >= min && value <= max {
                Ok(())
            } else {
                Err(SettingError { field, value, min, max })
            }
        };
        check("collimation.iris", self.collimation.iris, 0.2, 1.0)?;
        check("collimation.slot", self.collimation.slot, 0.2, 1.0)?;
        check("pixels", self.pixels as f64, 64.0, 1024.0)
    }
}
