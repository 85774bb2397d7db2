//! Scaling grey images for the networks: the page to the detector's size, each line's box to the
//! recogniser's height. Bilinear (triangle) filtering, as before, by `fast_image_resize`'s SIMD kernels:
//! `image`'s generic resize went through four-channel float pixels and was about a fifth of an OCR
//! page's CPU on ONNX Runtime (BENCHMARKS.md, "OCR int8").

use super::OcrError;
use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::GrayImage;

/// A rectangle of an image, in its pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Area {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

/// `area` of `image` (the whole image with `None`) scaled to `width` x `height`.
pub fn scale(
    image: &GrayImage,
    area: Option<Area>,
    width: u32,
    height: u32,
) -> Result<GrayImage, OcrError> {
    let failed = |reason: String| OcrError::Run(format!("scaling an image failed: {reason}"));
    let source = ImageRef::new(image.width(), image.height(), image.as_raw(), PixelType::U8)
        .map_err(|e| failed(e.to_string()))?;
    let mut scaled = Image::new(width.max(1), height.max(1), PixelType::U8);
    let mut options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Bilinear));
    if let Some(a) = area {
        options = options.crop(a.x as f64, a.y as f64, a.width as f64, a.height as f64);
    }
    Resizer::new()
        .resize(&source, &mut scaled, &options)
        .map_err(|e| failed(e.to_string()))?;
    GrayImage::from_raw(scaled.width(), scaled.height(), scaled.into_vec())
        .ok_or_else(|| failed("the scaled buffer has another size".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scaled_area_keeps_what_lies_inside_it() {
        // Left half black, right half white; the right half scaled down stays white, a band across the
        // edge goes from black to white.
        let page = GrayImage::from_fn(200, 100, |x, _| {
            image::Luma([if x < 100 { 0 } else { 255 }])
        });
        let right = Area {
            x: 100,
            y: 0,
            width: 100,
            height: 100,
        };
        let white = scale(&page, Some(right), 20, 10).unwrap();
        assert_eq!(white.dimensions(), (20, 10));
        // Its first column may take a little of the black just outside the area (the filter reads
        // across the area's edge, as a crop of a page should); the rest is white.
        assert!(white
            .enumerate_pixels()
            .all(|(x, _, p)| p.0[0] == 255 || (x == 0 && p.0[0] > 127)));
        let edge = Area {
            x: 50,
            y: 0,
            width: 100,
            height: 100,
        };
        let band = scale(&page, Some(edge), 10, 10).unwrap();
        assert_eq!(band.get_pixel(0, 5).0[0], 0);
        assert_eq!(band.get_pixel(9, 5).0[0], 255);
        let whole = scale(&page, None, 50, 25).unwrap();
        assert_eq!(whole.dimensions(), (50, 25));
        assert_eq!(whole.get_pixel(0, 0).0[0], 0);
        assert_eq!(whole.get_pixel(49, 24).0[0], 255);
    }
}
