//! OCR of images and of PDF pages without a text layer.

use crate::images::{decode_one, ImageLimits, PixelBudget};
use crate::ocr::OcrEngine;
use crate::pdf::{failure, short, LoadedPdf};
use image::{GrayImage, ImageFormat};
use lopdf::ObjectId;
use pagewire_core::ports::{PageText, ReadFailure, TextSource};

fn ocr_failed(e: crate::ocr::OcrError) -> ReadFailure {
    tracing::error!(error = %e, "OCR failed");
    failure("ocr_failed", "the text of a page could not be recognised")
}

/// One image page read with OCR; boxes are fractions of the image.
pub fn read_image_page(
    engine: &OcrEngine,
    image: &GrayImage,
    number: u32,
) -> Result<PageText, ReadFailure> {
    let words = engine.read(image).map_err(ocr_failed)?;
    Ok(PageText {
        number,
        aspect: image.width() as f32 / image.height().max(1) as f32,
        words,
        source: TextSource::Ocr,
    })
}

pub fn has_images(pdf: &LoadedPdf, page: ObjectId) -> bool {
    pdf.doc
        .get_page_images(page)
        .is_ok_and(|images| !images.is_empty())
}

/// A scanned PDF page: its largest image, read with OCR. Boxes are fractions of that image, which for a
/// scan is the page.
pub fn read_scanned_page(
    engine: &OcrEngine,
    pdf: &LoadedPdf,
    number: u32,
    page: ObjectId,
    pixels: &mut PixelBudget,
) -> Result<PageText, ReadFailure> {
    let images = pdf.doc.get_page_images(page).unwrap_or_default();
    let Some(largest) = images
        .iter()
        .max_by_key(|i| i.width.max(0) * i.height.max(0))
    else {
        return pdf.text_page(number, page);
    };
    let limits = ImageLimits::default();
    // The image's size is checked from its dictionary before anything is inflated or decoded; a
    // JPEG's own header is checked again by the decoder.
    pixels.take(
        largest.width.clamp(0, u32::MAX as i64) as u32,
        largest.height.clamp(0, u32::MAX as i64) as u32,
        &limits,
    )?;
    let filters = largest.filters.clone().unwrap_or_default();
    let unsupported = |what: &str| {
        failure(
            "unsupported_scan",
            format!("page {number} is a scan stored as {what}, which pagewire cannot read yet"),
        )
    };
    let image = match filters.last().map(String::as_str) {
        Some("DCTDecode") => {
            // Any filter before DCT (rare) is undone by lopdf's decompression of the stream.
            let data = if filters.len() > 1 {
                pdf.doc
                    .get_object(largest.id)
                    .and_then(|o| o.as_stream())
                    .and_then(|s| s.decompressed_content_with_limit(limits.max_alloc as usize))
                    .map_err(|e| failure("malformed_pdf", short(&e.to_string())))?
            } else {
                largest.content.to_vec()
            };
            decode_one(&data, ImageFormat::Jpeg, &limits)?
        }
        Some("FlateDecode") | None => raw_image(pdf, largest, &limits)?,
        Some(other) => return Err(unsupported(other)),
    };
    read_image_page(engine, &image, number)
}

/// An uncompressed or deflated 8-bit grey or RGB image stream.
fn raw_image(
    pdf: &LoadedPdf,
    image: &lopdf::xobject::PdfImage,
    limits: &ImageLimits,
) -> Result<GrayImage, ReadFailure> {
    let (w, h) = (image.width.max(0) as u32, image.height.max(0) as u32);
    if w == 0 || h == 0 || w as u64 * h as u64 > limits.max_pixels {
        return Err(failure("image_too_large", "the scanned page is too large"));
    }
    let channels = match image.color_space.as_deref() {
        Some("DeviceGray") | Some("CalGray") => 1,
        Some("DeviceRGB") | Some("CalRGB") => 3,
        other => {
            return Err(failure(
                "unsupported_scan",
                format!("scanned page in colour space {other:?} is not supported"),
            ))
        }
    };
    if image.bits_per_component != Some(8) {
        return Err(failure(
            "unsupported_scan",
            "only 8-bit scanned pages are supported",
        ));
    }
    let data = pdf
        .doc
        .get_object(image.id)
        .and_then(|o| o.as_stream())
        .and_then(|s| s.decompressed_content_with_limit(limits.max_alloc as usize))
        .or_else(|_| Ok::<_, lopdf::Error>(image.content.to_vec()))
        .unwrap_or_default();
    let pixels = (w * h) as usize;
    if data.len() < pixels * channels {
        return Err(failure(
            "malformed_pdf",
            "a scanned page's pixels are incomplete",
        ));
    }
    let grey: Vec<u8> = data
        .chunks_exact(channels)
        .take(pixels)
        .map(|p| {
            if channels == 1 {
                p[0]
            } else {
                ((299 * p[0] as u32 + 587 * p[1] as u32 + 114 * p[2] as u32) / 1000) as u8
            }
        })
        .collect();
    GrayImage::from_raw(w, h, grey).ok_or_else(|| failure("malformed_pdf", "bad scanned page"))
}
