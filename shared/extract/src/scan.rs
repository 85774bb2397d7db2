//! OCR of images and of PDF pages without a text layer.

use crate::images::{decode_one, ImageLimits, PixelBudget};
use crate::ocr::OcrEngine;
use crate::page_images::{placed_images, share_of_page, PlacedImage};
use crate::pdf::{failure, short, LoadedPdf};
use image::{GrayImage, ImageFormat};
use lopdf::ObjectId;
use pagewire_core::model::BoundingBox;
use pagewire_core::ports::{PageText, ReadFailure, TextSource, Word};

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
    let image = decode_pdf_image(pdf, largest, number, pixels)?;
    read_image_page(engine, &image, number)
}

/// A PDF image XObject as grey pixels: JPEG (DCT) streams, and raw or deflated 8-bit grey or RGB.
fn decode_pdf_image(
    pdf: &LoadedPdf,
    image: &lopdf::xobject::PdfImage,
    number: u32,
    pixels: &mut PixelBudget,
) -> Result<GrayImage, ReadFailure> {
    let limits = ImageLimits::default();
    // The image's size is checked from its dictionary before anything is inflated or decoded; a
    // JPEG's own header is checked again by the decoder.
    pixels.take(
        image.width.clamp(0, u32::MAX as i64) as u32,
        image.height.clamp(0, u32::MAX as i64) as u32,
        &limits,
    )?;
    let filters = image.filters.clone().unwrap_or_default();
    match filters.last().map(String::as_str) {
        Some("DCTDecode") => {
            // Filters before DCT (reportlab writes `[/ASCII85Decode /DCTDecode]`) are undone by lopdf
            // on a copy of the stream that lists only them; lopdf does not decode DCT itself.
            let data = if filters.len() > 1 {
                let mut outer = pdf
                    .doc
                    .get_object(image.id)
                    .and_then(|o| o.as_stream())
                    .map_err(|e| failure("malformed_pdf", short(&e.to_string())))?
                    .clone();
                let before: Vec<lopdf::Object> = filters[..filters.len() - 1]
                    .iter()
                    .map(|f| lopdf::Object::Name(f.clone().into_bytes()))
                    .collect();
                outer.dict.set("Filter", lopdf::Object::Array(before));
                outer
                    .decompressed_content_with_limit(limits.max_alloc as usize)
                    .map_err(|e| failure("malformed_pdf", short(&e.to_string())))?
            } else {
                image.content.to_vec()
            };
            decode_one(&data, ImageFormat::Jpeg, &limits)
        }
        Some("FlateDecode") | None => raw_image(pdf, image, &limits),
        Some(other) => Err(failure(
            "unsupported_scan",
            format!("page {number} is a scan stored as {other}, which pagewire cannot read yet"),
        )),
    }
}

/// Images smaller than this share of the visible page are logos and rules, not text worth an OCR pass.
const MIN_IMAGE_SHARE: f32 = 0.04;
/// Nor can an image hold a line of text with fewer pixels than this in either direction.
const MIN_IMAGE_PIXELS: i64 = 24;

/// An image with this many text-layer words over it already has its text (a searchable scan's invisible
/// layer, a background behind the text): reading it again would only find the same words.
const COVERED_BY_WORDS: usize = 3;

/// The images of a text page big enough to hold text and not already covered by the page's text layer,
/// most covering first.
pub fn text_bearing_images(pdf: &LoadedPdf, page: ObjectId, words: &[Word]) -> Vec<PlacedImage> {
    let visible = crate::pdf_text::visible_box(&pdf.doc, page);
    let covered = |p: &PlacedImage| {
        let area = page_fractions(p.rect, visible);
        words
            .iter()
            .filter(|w| area.contains_point(w.bbox.centre()))
            .count()
            >= COVERED_BY_WORDS
    };
    let sizes: Vec<(ObjectId, i64, i64)> = pdf
        .doc
        .get_page_images(page)
        .unwrap_or_default()
        .iter()
        .map(|i| (i.id, i.width, i.height))
        .collect();
    let mut found: Vec<(f32, PlacedImage)> = placed_images(&pdf.doc, page)
        .into_iter()
        .filter(|p| {
            sizes
                .iter()
                .any(|&(id, w, h)| id == p.id && w >= MIN_IMAGE_PIXELS && h >= MIN_IMAGE_PIXELS)
        })
        .filter(|p| !covered(p))
        .map(|p| (share_of_page(p.rect, visible), p))
        .filter(|(share, _)| *share >= MIN_IMAGE_SHARE)
        .collect();
    found.sort_by(|a, b| b.0.total_cmp(&a.0));
    found.into_iter().map(|(_, p)| p).collect()
}

/// Reads `images` of a text page with OCR and adds their words to the page, in page coordinates. Words
/// the text layer already has at the same place (an invisible text layer over a scan) are not added
/// twice. An image pagewire cannot decode is skipped: the text layer still stands.
pub fn add_image_words(
    engine: &OcrEngine,
    pdf: &LoadedPdf,
    page_id: ObjectId,
    page: &mut PageText,
    images: &[PlacedImage],
    pixels: &mut PixelBudget,
) -> Result<(), ReadFailure> {
    let visible = crate::pdf_text::visible_box(&pdf.doc, page_id);
    let all = pdf.doc.get_page_images(page_id).unwrap_or_default();
    let mut added = Vec::new();
    for placed in images {
        let Some(image) = all.iter().find(|i| i.id == placed.id) else {
            continue;
        };
        let grey = match decode_pdf_image(pdf, image, page.number, pixels) {
            Ok(grey) => grey,
            Err(e) => {
                tracing::info!(
                    page = page.number,
                    reason = e.code,
                    "image on a text page skipped"
                );
                continue;
            }
        };
        let area = page_fractions(placed.rect, visible);
        for word in engine.read(&grey).map_err(ocr_failed)? {
            // Fractions of the image (an upright painting) to fractions of the page.
            let b = word.bbox;
            let bbox = BoundingBox {
                x: area.x + b.x * area.width,
                y: area.y + b.y * area.height,
                width: b.width * area.width,
                height: b.height * area.height,
            };
            let (cx, cy) = bbox.centre();
            let on_page = (0.0..=1.0).contains(&cx) && (0.0..=1.0).contains(&cy);
            if on_page && !page.words.iter().any(|w| same_place(&w.bbox, &bbox)) {
                added.push(Word { bbox, ..word });
            }
        }
    }
    page.words.extend(added);
    Ok(())
}

/// A rectangle in user space as fractions of the visible box, from its top-left corner.
fn page_fractions(
    (x0, y0, x1, y1): crate::pdf_text::PageBox,
    visible: crate::pdf_text::PageBox,
) -> BoundingBox {
    let (vw, vh) = (visible.2 - visible.0, visible.3 - visible.1);
    BoundingBox {
        x: (x0 - visible.0) / vw,
        y: (visible.3 - y1) / vh,
        width: (x1 - x0) / vw,
        height: (y1 - y0) / vh,
    }
}

/// Two boxes overlapping by more than half of the smaller one hold the same word.
fn same_place(a: &BoundingBox, b: &BoundingBox) -> bool {
    let w = (a.right().min(b.right()) - a.x.max(b.x)).max(0.0);
    let h = (a.bottom().min(b.bottom()) - a.y.max(b.y)).max(0.0);
    let smaller = (a.width * a.height)
        .min(b.width * b.height)
        .max(f32::EPSILON);
    w * h > 0.5 * smaller
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf_text::PageBox;

    #[test]
    fn only_images_that_can_hold_text_are_read_on_a_text_page() {
        let pdf = crate::fixtures::text_and_images_pdf(
            "Invoice Number: KD-1",
            &[
                // A logo: 40 x 20 pt, under the 4 % share.
                (200, 100, [400.0, 760.0, 40.0, 20.0]),
                // A stamp: 330 x 110 pt, 7 % of the page.
                (900, 300, [60.0, 400.0, 330.0, 110.0]),
                // Big on the page but 16 x 16 pixels: no line of text fits.
                (16, 16, [60.0, 100.0, 400.0, 200.0]),
                // A full-page background.
                (600, 800, [0.0, 0.0, 595.0, 842.0]),
            ],
        );
        let loaded = crate::pdf::load(&pdf, 10).unwrap();
        let (number, id) = loaded.pages[0];
        let words = loaded.text_page(number, id).unwrap().words;
        assert_eq!(words.len(), 3);
        // The background lies under the three words of the text layer: its text is already there.
        let found = text_bearing_images(&loaded, id, &words);
        let rects: Vec<PageBox> = found.iter().map(|p| p.rect).collect();
        assert_eq!(rects, vec![(60.0, 400.0, 390.0, 510.0)]);
        // Without those words the background would be read too, before the smaller stamp.
        let found = text_bearing_images(&loaded, id, &[]);
        let rects: Vec<PageBox> = found.iter().map(|p| p.rect).collect();
        assert_eq!(
            rects,
            vec![(0.0, 0.0, 595.0, 842.0), (60.0, 400.0, 390.0, 510.0)]
        );
    }

    #[test]
    fn overlapping_boxes_are_the_same_word() {
        let b = |x: f32, y: f32| BoundingBox {
            x,
            y,
            width: 0.1,
            height: 0.02,
        };
        assert!(same_place(&b(0.1, 0.1), &b(0.11, 0.101)));
        assert!(!same_place(&b(0.1, 0.1), &b(0.17, 0.1)));
        assert!(!same_place(&b(0.1, 0.1), &b(0.1, 0.13)));
    }
}
