//! Text detection: the detector scores every pixel for "inside text"; connected regions of high score
//! become line boxes, grown back by the margin the detector was trained to shrink them by.

use super::geometry::TextLine;
use super::network::Network;
use super::{OcrError, OcrSettings};
use image::imageops::{resize, FilterType};
use image::GrayImage;
use rten_tensor::NdTensor;

/// Pixels scoring above this are text.
const PIXEL_THRESHOLD: f32 = 0.3;
/// Regions whose mean score is below this are dropped.
const REGION_THRESHOLD: f32 = 0.5;
/// The detector's training shrinks text regions; this undoes it (area x ratio / perimeter).
const UNCLIP_RATIO: f32 = 1.6;
/// At most this many regions per page (a page of noise must not explode the work).
const MAX_REGIONS: usize = 2000;

/// The model input for a grey image: three identical channels scaled to -1..1, NCHW.
pub fn to_tensor(image: &GrayImage) -> NdTensor<f32, 4> {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let plane: Vec<f32> = image
        .as_raw()
        .iter()
        .map(|&p| p as f32 / 127.5 - 1.0)
        .collect();
    let mut data = Vec::with_capacity(3 * plane.len());
    for _ in 0..3 {
        data.extend_from_slice(&plane);
    }
    NdTensor::from_data([1, 3, h, w], data)
}

pub fn detect(
    model: &dyn Network,
    page: &GrayImage,
    settings: &OcrSettings,
) -> Result<Vec<TextLine>, OcrError> {
    let (w, h) = page.dimensions();
    let scale = (settings.detector_max_side as f32 / w.max(h) as f32).min(1.0);
    let round32 = |v: u32| ((v as f32 * scale / 32.0).round() as u32).max(1) * 32;
    let (dw, dh) = (round32(w), round32(h));
    let input = resize(page, dw, dh, FilterType::Triangle);
    let map = model.run(to_tensor(&input))?;
    let [_, _, mh, mw] = map.dims::<4>("detector")?;
    let scores = map.data;
    let (sx, sy) = (w as f32 / mw as f32, h as f32 / mh as f32);
    let mut lines: Vec<TextLine> = regions(&scores, mw, mh)
        .into_iter()
        .map(|r| r.to_line(sx, sy, w as f32, h as f32))
        .collect();
    lines.sort_by(|a, b| a.y0.total_cmp(&b.y0));
    Ok(lines)
}

/// A connected region of text pixels with the moments needed for its box and direction.
#[derive(Debug, Default)]
struct Region {
    min_x: usize,
    min_y: usize,
    max_x: usize,
    max_y: usize,
    count: f32,
    score: f32,
    sx: f32,
    sy: f32,
    sxx: f32,
    syy: f32,
    sxy: f32,
}

impl Region {
    fn add(&mut self, x: usize, y: usize, score: f32) {
        if self.count == 0.0 {
            (self.min_x, self.min_y, self.max_x, self.max_y) = (x, y, x, y);
        }
        self.min_x = self.min_x.min(x);
        self.min_y = self.min_y.min(y);
        self.max_x = self.max_x.max(x);
        self.max_y = self.max_y.max(y);
        let (fx, fy) = (x as f32, y as f32);
        self.count += 1.0;
        self.score += score;
        self.sx += fx;
        self.sy += fy;
        self.sxx += fx * fx;
        self.syy += fy * fy;
        self.sxy += fx * fy;
    }

    /// Direction of the long axis from second moments, degrees.
    fn angle(&self) -> f32 {
        let n = self.count;
        let (mx, my) = (self.sx / n, self.sy / n);
        let cxx = self.sxx / n - mx * mx;
        let cyy = self.syy / n - my * my;
        let cxy = self.sxy / n - mx * my;
        (0.5 * (2.0 * cxy).atan2(cxx - cyy)).to_degrees()
    }

    /// The region's box grown by the unclip margin, in the page's pixels.
    fn to_line(&self, sx: f32, sy: f32, page_w: f32, page_h: f32) -> TextLine {
        let w = (self.max_x - self.min_x + 1) as f32;
        let h = (self.max_y - self.min_y + 1) as f32;
        let grow = w * h * UNCLIP_RATIO / (2.0 * (w + h));
        TextLine {
            x0: ((self.min_x as f32 - grow) * sx).max(0.0),
            y0: ((self.min_y as f32 - grow) * sy).max(0.0),
            x1: ((self.max_x as f32 + 1.0 + grow) * sx).min(page_w),
            y1: ((self.max_y as f32 + 1.0 + grow) * sy).min(page_h),
            angle: self.angle(),
            length: (w * sx).max(h * sy),
        }
    }
}

/// Regions of text pixels (score above the threshold, dilated by one pixel right and down as PaddleOCR
/// does), 4-connected, filtered by size and mean score.
fn regions(scores: &[f32], w: usize, h: usize) -> Vec<Region> {
    let mut text = vec![false; w * h];
    for y in 0..h {
        for x in 0..w {
            if scores[y * w + x] > PIXEL_THRESHOLD {
                for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                    if x + dx < w && y + dy < h {
                        text[(y + dy) * w + x + dx] = true;
                    }
                }
            }
        }
    }
    let mut seen = vec![false; w * h];
    let mut found = Vec::new();
    let mut stack = Vec::new();
    for start in 0..w * h {
        if !text[start] || seen[start] {
            continue;
        }
        let mut region = Region::default();
        seen[start] = true;
        stack.push(start);
        while let Some(at) = stack.pop() {
            let (x, y) = (at % w, at / w);
            region.add(x, y, scores[at]);
            let mut visit = |next: usize| {
                if text[next] && !seen[next] {
                    seen[next] = true;
                    stack.push(next);
                }
            };
            if x > 0 {
                visit(at - 1);
            }
            if x + 1 < w {
                visit(at + 1);
            }
            if y > 0 {
                visit(at - w);
            }
            if y + 1 < h {
                visit(at + w);
            }
        }
        let short_side = (region.max_x - region.min_x).min(region.max_y - region.min_y) + 1;
        if short_side >= 3 && region.score / region.count >= REGION_THRESHOLD {
            found.push(region);
            if found.len() >= MAX_REGIONS {
                break;
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_are_boxes_of_connected_high_scores() {
        let (w, h) = (20, 10);
        let mut scores = vec![0.0; w * h];
        // A 12 x 3 bar and a 2 x 2 speck (too small), and a faint bar (too weak).
        for y in 2..5 {
            for x in 3..15 {
                scores[y * w + x] = 0.9;
            }
        }
        for (x, y) in [(18, 8), (18, 9)] {
            scores[y * w + x] = 0.9;
        }
        for x in 3..15 {
            scores[7 * w + x] = 0.35;
            scores[8 * w + x] = 0.35;
        }
        let found = regions(&scores, w, h);
        assert_eq!(found.len(), 1, "{found:?}");
        let r = &found[0];
        // Dilated one pixel right and down.
        assert_eq!((r.min_x, r.min_y, r.max_x, r.max_y), (3, 2, 15, 5));
        assert!(r.angle().abs() < 1.0);
    }
}
