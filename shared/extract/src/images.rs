//! Decoding submitted images (and the images of scanned PDF pages) into grey pages for OCR, within
//! limits on dimensions, allocation and page count.
//!
//! Pages are decoded one at a time and handed to the caller before the next is decoded, so a
//! many-page TIFF costs one page of memory; each page's size is checked from its header before any
//! pixel is decoded, and the pixels of all pages together have a budget too.

use crate::pdf::failure;
use image::{GrayImage, ImageFormat, ImageReader, Limits};
use pagewire_core::model::FileKind;
use pagewire_core::ports::ReadFailure;
use std::io::Cursor;

#[derive(Debug, Clone, Copy)]
pub struct ImageLimits {
    /// Largest width x height of one page.
    pub max_pixels: u64,
    /// Largest width or height.
    pub max_side: u32,
    /// Largest allocation a decoder may make.
    pub max_alloc: u64,
    /// Most pages (TIFF) read from one file.
    pub max_pages: u32,
    /// Largest sum of width x height over the pages of one file (or one scanned PDF).
    pub max_total_pixels: u64,
}

impl Default for ImageLimits {
    fn default() -> Self {
        Self {
            // An A4 page at 400 dpi is about 15.5 million pixels.
            max_pixels: 40_000_000,
            max_side: 12_000,
            // A 40-megapixel page in 8-bit RGBA is 160 MB.
            max_alloc: 256 << 20,
            max_pages: 50,
            // Fifty A4 pages at 300 dpi (8.7 million pixels each) fit; fifty 40-megapixel pages do not.
            max_total_pixels: 500_000_000,
        }
    }
}

fn too_large(width: u32, height: u32, limits: &ImageLimits) -> Option<ReadFailure> {
    if width == 0 || height == 0 {
        return Some(failure("malformed_image", "the image has no pixels"));
    }
    if width > limits.max_side
        || height > limits.max_side
        || width as u64 * height as u64 > limits.max_pixels
    {
        return Some(failure(
            "image_too_large",
            format!(
                "the image is {width} x {height} pixels; at most {} pixels and {} per side are read",
                limits.max_pixels, limits.max_side
            ),
        ));
    }
    None
}

fn decode_error(e: image::ImageError) -> ReadFailure {
    match e {
        image::ImageError::Limits(_) => failure(
            "image_too_large",
            "the image is larger than the decoding limits",
        ),
        other => failure(
            "malformed_image",
            format!(
                "the image could not be decoded: {}",
                crate::pdf::short(&other.to_string())
            ),
        ),
    }
}

/// Counts the pixels of the pages of one document against [`ImageLimits::max_total_pixels`].
#[derive(Debug, Default)]
pub struct PixelBudget {
    spent: u64,
}

impl PixelBudget {
    /// Takes a page of `width` x `height` from the budget, or says why it cannot be read.
    pub fn take(
        &mut self,
        width: u32,
        height: u32,
        limits: &ImageLimits,
    ) -> Result<(), ReadFailure> {
        if let Some(refused) = too_large(width, height, limits) {
            return Err(refused);
        }
        self.spent += width as u64 * height as u64;
        if self.spent > limits.max_total_pixels {
            return Err(failure(
                "image_too_large",
                format!(
                    "the pages of the document have more than {} pixels together",
                    limits.max_total_pixels
                ),
            ));
        }
        Ok(())
    }
}

/// Every page of an image file (PNG, JPEG and WebP have one, a TIFF several), decoded one at a time
/// and given to `read` (numbered from 1) before the next is decoded.
pub fn read_pages<T>(
    kind: FileKind,
    bytes: &[u8],
    limits: &ImageLimits,
    mut read: impl FnMut(GrayImage, u32) -> Result<T, ReadFailure>,
) -> Result<Vec<T>, ReadFailure> {
    let format = match kind {
        FileKind::Png => ImageFormat::Png,
        FileKind::Jpeg => ImageFormat::Jpeg,
        FileKind::Webp => ImageFormat::WebP,
        FileKind::Tiff => return read_tiff(bytes, limits, read),
        FileKind::Pdf | FileKind::Zip => {
            return Err(failure("unsupported_file_type", "not an image"))
        }
    };
    let page = decode_one(bytes, format, limits)?;
    Ok(vec![read(page, 1)?])
}

pub fn decode_one(
    bytes: &[u8],
    format: ImageFormat,
    limits: &ImageLimits,
) -> Result<GrayImage, ReadFailure> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut decoder_limits = Limits::default();
    decoder_limits.max_image_width = Some(limits.max_side);
    decoder_limits.max_image_height = Some(limits.max_side);
    decoder_limits.max_alloc = Some(limits.max_alloc);
    reader.limits(decoder_limits.clone());
    let (width, height) = reader.into_dimensions().map_err(decode_error)?;
    if let Some(refused) = too_large(width, height, limits) {
        return Err(refused);
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(decoder_limits);
    let image = reader.decode().map_err(decode_error)?;
    Ok(image.into_luma8())
}

/// Every page of a (multi-page) TIFF, each checked from its header and read before the next.
fn read_tiff<T>(
    bytes: &[u8],
    limits: &ImageLimits,
    mut read: impl FnMut(GrayImage, u32) -> Result<T, ReadFailure>,
) -> Result<Vec<T>, ReadFailure> {
    use tiff::decoder::{Decoder, DecodingResult};
    use tiff::ColorType;
    let tiff_error = |e: tiff::TiffError| match e {
        tiff::TiffError::LimitsExceeded => failure(
            "image_too_large",
            "the TIFF is larger than the decoding limits",
        ),
        other => failure(
            "malformed_image",
            format!(
                "the TIFF could not be decoded: {}",
                crate::pdf::short(&other.to_string())
            ),
        ),
    };
    let mut tiff_limits = tiff::decoder::Limits::default();
    tiff_limits.decoding_buffer_size = limits.max_alloc as usize;
    tiff_limits.intermediate_buffer_size = limits.max_alloc as usize;
    let mut decoder = Decoder::new(Cursor::new(bytes))
        .map_err(tiff_error)?
        .with_limits(tiff_limits);
    let mut pages = Vec::new();
    let mut budget = PixelBudget::default();
    loop {
        if pages.len() as u32 >= limits.max_pages {
            return Err(failure(
                "too_many_pages",
                format!("the TIFF has more than {} pages", limits.max_pages),
            ));
        }
        let (width, height) = decoder.dimensions().map_err(tiff_error)?;
        budget.take(width, height, limits)?;
        let colour = decoder.colortype().map_err(tiff_error)?;
        let channels = match colour {
            ColorType::Gray(_) => 1,
            ColorType::GrayA(_) => 2,
            ColorType::RGB(_) => 3,
            ColorType::RGBA(_) => 4,
            ColorType::CMYK(_) => 4,
            other => {
                return Err(failure(
                    "unsupported_image",
                    format!("TIFF colour type {other:?} is not supported"),
                ))
            }
        };
        let samples: Vec<u8> = match decoder.read_image().map_err(tiff_error)? {
            DecodingResult::U8(v) => v,
            DecodingResult::U16(v) => v.into_iter().map(|s| (s >> 8) as u8).collect(),
            _ => {
                return Err(failure(
                    "unsupported_image",
                    "only 8- and 16-bit TIFF samples are supported",
                ))
            }
        };
        let bilevel = matches!(colour, ColorType::Gray(1));
        let page = grey_from_samples(&samples, width, height, channels, colour, bilevel)
            .ok_or_else(|| failure("malformed_image", "the TIFF's pixel data is incomplete"))?;
        drop(samples);
        pages.push(read(page, pages.len() as u32 + 1)?);
        if !decoder.more_images() {
            break;
        }
        decoder.next_image().map_err(tiff_error)?;
    }
    Ok(pages)
}

fn grey_from_samples(
    samples: &[u8],
    width: u32,
    height: u32,
    channels: usize,
    colour: tiff::ColorType,
    bilevel: bool,
) -> Option<GrayImage> {
    let pixels = width as usize * height as usize;
    if bilevel {
        // One bit per pixel, rows padded to whole bytes; 1 is white unless told otherwise (common).
        let row_bytes = (width as usize).div_ceil(8);
        if samples.len() < row_bytes * height as usize {
            return None;
        }
        return Some(GrayImage::from_fn(width, height, |x, y| {
            let byte = samples[y as usize * row_bytes + x as usize / 8];
            let bit = (byte >> (7 - (x % 8))) & 1;
            image::Luma([if bit == 1 { 255 } else { 0 }])
        }));
    }
    if samples.len() < pixels * channels {
        return None;
    }
    let grey: Vec<u8> = samples
        .chunks_exact(channels)
        .take(pixels)
        .map(|p| match (channels, colour) {
            (4, tiff::ColorType::CMYK(_)) => {
                let k = 255 - p[3] as u32;
                let lum = (299 * (255 - p[0] as u32)
                    + 587 * (255 - p[1] as u32)
                    + 114 * (255 - p[2] as u32))
                    / 1000;
                (lum * k / 255) as u8
            }
            (1 | 2, _) => p[0],
            _ => ((299 * p[0] as u32 + 587 * p[1] as u32 + 114 * p[2] as u32) / 1000) as u8,
        })
        .collect();
    GrayImage::from_raw(width, height, grey)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut out = Vec::new();
        GrayImage::from_pixel(width, height, image::Luma([200]))
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    fn decode_pages(
        kind: FileKind,
        bytes: &[u8],
        limits: &ImageLimits,
    ) -> Result<Vec<GrayImage>, ReadFailure> {
        read_pages(kind, bytes, limits, |page, _| Ok(page))
    }

    #[test]
    fn images_decode_to_grey_pages() {
        let pages = decode_pages(FileKind::Png, &png(30, 20), &ImageLimits::default()).unwrap();
        assert_eq!(pages.len(), 1);
        assert_eq!(pages[0].dimensions(), (30, 20));
        assert_eq!(pages[0].get_pixel(3, 3).0[0], 200);
    }

    #[test]
    fn oversized_and_broken_images_fail_with_a_reason() {
        let small = ImageLimits {
            max_pixels: 100,
            ..ImageLimits::default()
        };
        let err = decode_pages(FileKind::Png, &png(30, 20), &small).unwrap_err();
        assert_eq!(err.code, "image_too_large");
        let bytes = png(30, 20);
        let err = decode_pages(
            FileKind::Png,
            &bytes[..bytes.len() / 2],
            &ImageLimits::default(),
        )
        .unwrap_err();
        assert_eq!(err.code, "malformed_image");
        // A header claiming 100000 x 100000 pixels is refused before any pixel is allocated.
        let mut huge = png(1, 1);
        huge[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        huge[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        let err = decode_pages(FileKind::Png, &huge, &ImageLimits::default()).unwrap_err();
        assert!(
            matches!(err.code, "image_too_large" | "malformed_image"),
            "{err:?}"
        );
    }

    #[test]
    fn multi_page_tiffs_give_every_page() {
        let tiff = crate::fixtures::tiff_pages(&[(40, 30, 10), (20, 10, 250)]);
        let pages = decode_pages(FileKind::Tiff, &tiff, &ImageLimits::default()).unwrap();
        let dims: Vec<_> = pages
            .iter()
            .map(|p| (p.dimensions(), p.get_pixel(0, 0).0[0]))
            .collect();
        assert_eq!(dims, vec![((40, 30), 10), ((20, 10), 250)]);
        let one = ImageLimits {
            max_pages: 1,
            ..ImageLimits::default()
        };
        assert_eq!(
            decode_pages(FileKind::Tiff, &tiff, &one).unwrap_err().code,
            "too_many_pages"
        );
    }

    #[test]
    fn tiff_pages_are_read_one_at_a_time_within_a_pixel_budget() {
        let tiff = crate::fixtures::tiff_pages(&[(40, 30, 10), (20, 10, 250), (20, 10, 250)]);
        // The pixels of the first two pages fit, the third crosses the budget: it is refused from
        // its header, after the first two were each read before the next was decoded.
        let limits = ImageLimits {
            max_total_pixels: 40 * 30 + 20 * 10,
            ..ImageLimits::default()
        };
        let mut read = Vec::new();
        let err = read_pages(FileKind::Tiff, &tiff, &limits, |page, number| {
            read.push((number, page.width()));
            Ok(())
        })
        .unwrap_err();
        assert_eq!(err.code, "image_too_large");
        assert!(err.message.contains("together"), "{}", err.message);
        assert_eq!(read, vec![(1, 40), (2, 20)]);
        // A failure reading a page stops before the next page is decoded.
        let mut calls = 0;
        let err = read_pages(FileKind::Tiff, &tiff, &ImageLimits::default(), |_, _| {
            calls += 1;
            Err::<(), _>(failure("ocr_failed", "no"))
        })
        .unwrap_err();
        assert_eq!((err.code, calls), ("ocr_failed", 1));
    }
}
