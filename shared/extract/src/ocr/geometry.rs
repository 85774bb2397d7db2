//! Page geometry for OCR: estimating a scan's skew from its detected lines, and straightening it.

use image::{GrayImage, Luma};

/// A text line found by the detector, in the pixels of the image it was found in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextLine {
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
    /// Direction of the line's long axis, degrees, positive when it runs down to the right.
    pub angle: f32,
    /// Length of the line's long axis in the page's pixels; long lines weigh more.
    pub length: f32,
}

/// The page's skew in degrees: the length-weighted median direction of its long lines; 0 when too few
/// lines say anything.
pub fn deskew_angle(lines: &[TextLine]) -> f32 {
    let mut long: Vec<(f32, f32)> = lines
        .iter()
        .filter(|l| {
            l.length > 3.0 * (l.y1 - l.y0).min(l.x1 - l.x0).max(1.0) && l.angle.abs() < 15.0
        })
        .map(|l| (l.angle, l.length))
        .collect();
    if long.len() < 3 {
        return 0.0;
    }
    long.sort_by(|a, b| a.0.total_cmp(&b.0));
    let half = long.iter().map(|l| l.1).sum::<f32>() / 2.0;
    let mut seen = 0.0;
    for (angle, weight) in long {
        seen += weight;
        if seen >= half {
            return angle;
        }
    }
    0.0
}

/// The image rotated by `degrees` (positive turns content clockwise on screen) about its centre, on a
/// white canvas of the same size, with bilinear sampling.
pub fn rotate(image: &GrayImage, degrees: f32) -> GrayImage {
    let (w, h) = image.dimensions();
    let (sin, cos) = degrees.to_radians().sin_cos();
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let sample = |x: f32, y: f32| -> f32 {
        if x < 0.0 || y < 0.0 || x > (w - 1) as f32 || y > (h - 1) as f32 {
            return 255.0;
        }
        let (x0, y0) = (x.floor() as u32, y.floor() as u32);
        let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
        let (fx, fy) = (x - x0 as f32, y - y0 as f32);
        let p = |x, y| image.get_pixel(x, y).0[0] as f32;
        let top = p(x0, y0) * (1.0 - fx) + p(x1, y0) * fx;
        let bottom = p(x0, y1) * (1.0 - fx) + p(x1, y1) * fx;
        top * (1.0 - fy) + bottom * fy
    };
    GrayImage::from_fn(w, h, |x, y| {
        // The source of each output pixel: the inverse rotation of its offset from the centre.
        let (dx, dy) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
        let sx = cos * dx + sin * dy + cx - 0.5;
        let sy = -sin * dx + cos * dy + cy - 0.5;
        Luma([sample(sx, sy).round() as u8])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(angle: f32, length: f32) -> TextLine {
        TextLine {
            x0: 0.0,
            y0: 0.0,
            x1: length,
            y1: 10.0,
            angle,
            length,
        }
    }

    #[test]
    fn skew_is_the_weighted_median_of_long_lines() {
        assert_eq!(deskew_angle(&[line(2.0, 100.0), line(2.0, 100.0)]), 0.0);
        let lines = [
            line(1.9, 300.0),
            line(2.1, 300.0),
            line(-8.0, 20.0),
            line(2.0, 400.0),
        ];
        assert_eq!(deskew_angle(&lines), 2.0);
    }

    #[test]
    fn rotating_moves_a_dark_dot_where_expected() {
        let mut image = GrayImage::from_pixel(101, 101, Luma([255]));
        // A dark dot right of the centre; turned 90 degrees clockwise it lands below the centre.
        for y in 49..52 {
            for x in 79..82 {
                image.put_pixel(x, y, Luma([0]));
            }
        }
        let turned = rotate(&image, 90.0);
        assert!(
            turned.get_pixel(50, 80).0[0] < 60,
            "{:?}",
            turned.get_pixel(50, 80)
        );
        assert_eq!(turned.get_pixel(80, 50).0[0], 255);
        assert_eq!(rotate(&image, 0.0), image);
    }
}
