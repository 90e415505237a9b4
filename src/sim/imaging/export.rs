//! PNG export of a fluoroscopy frame, with the not-for-clinical-use notice burned
//! into the pixels and written into the file's text metadata.

use std::path::Path;

use super::detector::Frame;
use super::font;
use crate::sim::files::{WriteError, write_atomically};

/// Text burned across the top of every exported image.
pub const BURNED_NOTICE: &str = "NOT FOR CLINICAL USE · SYNTHETIC";

/// The grey levels of `frame` with the notice burned in across the top and `caption`
/// (e.g. the pose and dose) along the bottom: what every exported image shows.
pub fn annotated_pixels(frame: &Frame, caption: &str) -> Vec<u8> {
    let n = frame.pixels;
    let mut pixels = frame.gray.clone();
    let scale = (n / 256).max(1);
    let top = font::text_width(BURNED_NOTICE, scale);
    font::draw_text(&mut pixels, n, n.saturating_sub(top) / 2, 2 * scale, BURNED_NOTICE, scale);
    if !caption.is_empty() {
        font::draw_text(&mut pixels, n, 2 * scale, n.saturating_sub(9 * scale), caption, scale);
    }
    pixels
}

/// Encode `frame` as a greyscale PNG of its [`annotated_pixels`]; `metadata` goes into
/// text chunks.
pub fn encode_png(frame: &Frame, caption: &str, metadata: &[(&str, String)]) -> Result<Vec<u8>, png::EncodingError> {
    let n = frame.pixels;
    let pixels = annotated_pixels(frame, caption);
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, n as u32, n as u32);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        enc.add_text_chunk("Disclaimer".to_string(), crate::DISCLAIMER.to_string())?;
        enc.add_text_chunk("Software".to_string(), format!("fluorohip {}", env!("CARGO_PKG_VERSION")))?;
        for (k, v) in metadata {
            enc.add_text_chunk((*k).to_string(), v.clone())?;
        }
        let mut w = enc.write_header()?;
        w.write_image_data(&pixels)?;
    }
    Ok(out)
}

/// Why an image could not be exported.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot encode the image: {0}")]
    Encode(#[from] png::EncodingError),
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// Write `frame` to `path` as a PNG, atomically.
pub fn write_png(path: &Path, frame: &Frame, caption: &str, metadata: &[(&str, String)]) -> Result<(), ExportError> {
    let bytes = encode_png(frame, caption, metadata)?;
    write_atomically(path, &bytes)?;
    Ok(())
}
