//! DICOM export of fluoroscopy shots, for teaching files and DICOM viewers: Secondary
//! Capture images (conversion type SYN, synthetic image) of a synthetic patient, marked
//! as synthetic data, with the notice burned into the pixels and written into the
//! image comments and the series description.
//!
//! Every UID is derived (UUID v5 under the `2.25` root) from what the image is of, so
//! the same shot or the same session always gives the same files, byte for byte.

use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::{tags, uids};
use dicom_object::InMemDicomObject;
use dicom_object::meta::FileMetaTableBuilder;
use uuid::Uuid;

use crate::sim::anatomy::Sex;
use crate::sim::wallclock::WallClock;

/// Synthetic Data (0008,001C): YES says the image is not of a real patient.
pub const SYNTHETIC_DATA: Tag = Tag(0x0008, 0x001C);

/// What the series is: one synthetic patient, one study, one series.
#[derive(Clone, Debug)]
pub struct DicomSeries {
    /// What the UIDs are derived from: the same identity gives the same UIDs.
    pub identity: String,
    pub seed: u64,
    pub sex: Sex,
    /// Series description (at most 64 characters; longer is cut).
    pub description: String,
    /// Study description (at most 64 characters; longer is cut).
    pub study: String,
    /// When the session started, if known (study date and time, content times).
    pub started_at: Option<WallClock>,
}

/// One image of the series.
#[derive(Clone, Debug)]
pub struct DicomImage<'a> {
    /// Width and height in pixels.
    pub pixels: usize,
    /// 8-bit grey levels with the notice burned in (`export::annotated_pixels`).
    pub gray: &'a [u8],
    pub instance_number: u32,
    /// Simulated time of the shot since the session started (s).
    pub time_s: f64,
    /// What the image shows, before the notice, in the image comments.
    pub comment: String,
}

/// An image that could not be encoded.
#[derive(Debug, thiserror::Error)]
#[error("cannot encode the DICOM image: {0}")]
pub struct DicomError(String);

/// A DICOM UID for `what` of the series: `2.25.` and the decimal UUID v5 (ISO/IEC 9834-8).
pub fn uid(identity: &str, what: &str) -> String {
    let ns = Uuid::new_v5(&Uuid::NAMESPACE_URL, b"urn:fluorohip:dicom");
    format!("2.25.{}", Uuid::new_v5(&ns, format!("{what}:{identity}").as_bytes()).as_u128())
}

/// The synthetic patient's name: `SYNTHETIC^SEED n`.
pub fn patient_name(seed: u64) -> String {
    format!("SYNTHETIC^SEED {seed}")
}

/// The synthetic patient's ID.
pub fn patient_id(seed: u64) -> String {
    format!("FLUOROHIP-SYN-{seed}")
}

fn lo(s: &str) -> String {
    s.chars().take(64).collect()
}

/// DICOM date (`YYYYMMDD`) and time (`HHMMSS.fff`) of an instant, in UTC.
fn date_time(t: WallClock) -> (String, String) {
    let s = t.to_string(); // 2026-11-28T11:13:02.123Z
    (
        format!("{}{}{}", &s[0..4], &s[5..7], &s[8..10]),
        format!("{}{}{}{}", &s[11..13], &s[14..16], &s[17..19], &s[19..23]),
    )
}

/// Encode one image of `series` as a DICOM file (Part 10, explicit VR little endian).
pub fn encode(series: &DicomSeries, image: &DicomImage) -> Result<Vec<u8>, DicomError> {
    let n = image.pixels;
    if image.gray.len() != n * n || n == 0 || n > u16::MAX as usize {
        return Err(DicomError(format!("{} grey levels for a {n}x{n} image", image.gray.len())));
    }
    let software = format!("fluorohip {}", env!("CARGO_PKG_VERSION"));
    let text = |tag, vr, v: &str| DataElement::new(tag, vr, PrimitiveValue::from(v));
    let mut obj = InMemDicomObject::new_empty();
    let mut put = |e: DataElement<InMemDicomObject>| {
        obj.put(e);
    };
    let instance = format!("instance {}", image.instance_number);
    // SOP common
    put(text(tags::SPECIFIC_CHARACTER_SET, VR::CS, "ISO_IR 192"));
    put(text(tags::SOP_CLASS_UID, VR::UI, uids::SECONDARY_CAPTURE_IMAGE_STORAGE));
    put(text(tags::SOP_INSTANCE_UID, VR::UI, &uid(&series.identity, &instance)));
    put(text(SYNTHETIC_DATA, VR::CS, "YES"));
    // Patient: synthetic, named by seed.
    put(text(tags::PATIENT_NAME, VR::PN, &patient_name(series.seed)));
    put(text(tags::PATIENT_ID, VR::LO, &patient_id(series.seed)));
    put(text(tags::PATIENT_BIRTH_DATE, VR::DA, ""));
    put(text(tags::PATIENT_SEX, VR::CS, if series.sex == Sex::Female { "F" } else { "M" }));
    put(text(tags::PATIENT_COMMENTS, VR::LT, crate::DISCLAIMER));
    // Study and series
    let (date, time) = series.started_at.map(date_time).unwrap_or_default();
    put(text(tags::STUDY_INSTANCE_UID, VR::UI, &uid(&series.identity, "study")));
    put(text(tags::STUDY_DATE, VR::DA, &date));
    put(text(tags::STUDY_TIME, VR::TM, &time));
    put(text(tags::REFERRING_PHYSICIAN_NAME, VR::PN, ""));
    put(text(tags::STUDY_ID, VR::SH, &format!("SYN{}", series.seed).chars().take(16).collect::<String>()));
    put(text(tags::ACCESSION_NUMBER, VR::SH, ""));
    put(text(tags::STUDY_DESCRIPTION, VR::LO, &lo(&series.study)));
    put(text(tags::MODALITY, VR::CS, "OT"));
    put(text(tags::SERIES_INSTANCE_UID, VR::UI, &uid(&series.identity, "series")));
    put(DataElement::new(tags::SERIES_NUMBER, VR::IS, PrimitiveValue::from("1")));
    put(text(tags::SERIES_DESCRIPTION, VR::LO, &lo(&series.description)));
    // Every case is a right hip (docs/COORDINATES.md).
    put(text(tags::LATERALITY, VR::CS, "R"));
    put(text(tags::BODY_PART_EXAMINED, VR::CS, "HIP"));
    if series.started_at.is_some() {
        put(text(tags::TIMEZONE_OFFSET_FROM_UTC, VR::SH, "+0000"));
    }
    // Equipment: the simulator, converting nothing (a synthetic image).
    put(text(tags::MANUFACTURER, VR::LO, "fluorohip teaching simulator"));
    put(text(tags::SOFTWARE_VERSIONS, VR::LO, &software));
    put(text(tags::CONVERSION_TYPE, VR::CS, "SYN"));
    put(text(tags::SECONDARY_CAPTURE_DEVICE_MANUFACTURER, VR::LO, "fluorohip teaching simulator"));
    put(text(tags::SECONDARY_CAPTURE_DEVICE_SOFTWARE_VERSIONS, VR::LO, &software));
    // Image
    put(text(tags::IMAGE_TYPE, VR::CS, "DERIVED\\SECONDARY"));
    put(DataElement::new(tags::INSTANCE_NUMBER, VR::IS, PrimitiveValue::from(image.instance_number.to_string())));
    put(text(tags::PATIENT_ORIENTATION, VR::CS, ""));
    if let Some(start) = series.started_at {
        let (d, t) = date_time(start.plus_seconds(image.time_s));
        put(text(tags::CONTENT_DATE, VR::DA, &d));
        put(text(tags::CONTENT_TIME, VR::TM, &t));
    }
    put(text(tags::BURNED_IN_ANNOTATION, VR::CS, "YES"));
    put(text(tags::RECOGNIZABLE_VISUAL_FEATURES, VR::CS, "NO"));
    put(text(tags::LOSSY_IMAGE_COMPRESSION, VR::CS, "00"));
    put(text(tags::IMAGE_COMMENTS, VR::LT, &format!("{} {}", image.comment, crate::DISCLAIMER)));
    put(text(
        tags::DERIVATION_DESCRIPTION,
        VR::ST,
        "Simulated radiograph: Beer-Lambert projection of a synthetic patient model",
    ));
    // Pixels: 8-bit monochrome, black is low.
    let us = |tag, v: u16| DataElement::new(tag, VR::US, PrimitiveValue::from(v));
    put(us(tags::SAMPLES_PER_PIXEL, 1));
    put(text(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "MONOCHROME2"));
    put(us(tags::ROWS, n as u16));
    put(us(tags::COLUMNS, n as u16));
    put(us(tags::BITS_ALLOCATED, 8));
    put(us(tags::BITS_STORED, 8));
    put(us(tags::HIGH_BIT, 7));
    put(us(tags::PIXEL_REPRESENTATION, 0));
    put(DataElement::new(tags::PIXEL_DATA, VR::OB, PrimitiveValue::from(image.gray.to_vec())));
    let file = obj
        .with_meta(
            FileMetaTableBuilder::new()
                .transfer_syntax(uids::EXPLICIT_VR_LITTLE_ENDIAN)
                .implementation_class_uid(uid("fluorohip", "implementation"))
                .implementation_version_name(
                    lo(&format!("FLUOROHIP_{}", env!("CARGO_PKG_VERSION"))).chars().take(16).collect::<String>(),
                ),
        )
        .map_err(|e| DicomError(e.to_string()))?;
    let mut out = Vec::new();
    file.write_all(&mut out).map_err(|e| DicomError(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids_fit_dicom_and_follow_the_uuid_root() {
        let u = uid("session x", "series");
        assert!(u.starts_with("2.25.") && u.len() <= 64, "{u}");
        assert!(u[5..].bytes().all(|c| c.is_ascii_digit()) && !u[5..].starts_with('0'), "{u}");
        assert_ne!(uid("session x", "series"), uid("session y", "series"));
        assert_ne!(uid("session x", "series"), uid("session x", "study"));
    }

    #[test]
    fn dicom_dates_are_utc_calendar_fields() {
        let t = WallClock::parse("2026-11-28T11:13:02.123Z").unwrap();
        assert_eq!(date_time(t), ("20261128".to_string(), "111302.123".to_string()));
    }
}
