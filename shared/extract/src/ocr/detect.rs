//! Text detection: the detector scores every pixel for "inside text"; connected regions of high score
//! become line boxes, grown back by the margin the detector was trained to shrink them by.

use super::geometry::TextLine;
use super::network::Network;
use super::scale;
use super::{OcrError, OcrSettings};
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

/// What the detector found on one page: its text regions, which can be boxed as they lie on the page or
/// as they lie on the page turned straight.
pub struct Detection {
    regions: Vec<Region>,
    /// The detection-map pixels of every region, each region's a range of this list.
    members: Vec<u32>,
    map_width: usize,
    /// Page pixels per detection-map pixel, across and down.
    scale: (f32, f32),
    page: (f32, f32),
}

pub fn detect(
    model: &dyn Network,
    page: &GrayImage,
    settings: &OcrSettings,
) -> Result<Detection, OcrError> {
    let (w, h) = page.dimensions();
    let scale = (settings.detector_max_side as f32 / w.max(h) as f32).min(1.0);
    let round32 = |v: u32| ((v as f32 * scale / 32.0).round() as u32).max(1) * 32;
    let (dw, dh) = (round32(w), round32(h));
    let input = scale::scale(page, None, dw, dh)?;
    let map = model.run(to_tensor(&input))?;
    let [_, _, mh, mw] = map.dims::<4>("detector")?;
    let (regions, members) = regions(map.data(), mw, mh);
    Ok(Detection {
        regions,
        members,
        map_width: mw,
        scale: (w as f32 / mw as f32, h as f32 / mh as f32),
        page: (w as f32, h as f32),
    })
}

impl Detection {
    /// The text lines as found, top to bottom, in the page's pixels.
    pub fn lines(&self) -> Vec<TextLine> {
        let (sx, sy) = self.scale;
        let mut lines: Vec<TextLine> = self
            .regions
            .iter()
            .map(|r| r.to_line(sx, sy, self.page.0, self.page.1))
            .collect();
        lines.sort_by(|a, b| a.y0.total_cmp(&b.y0));
        lines
    }

    /// The text lines in the pixels of the page turned by `degrees` about its centre (as
    /// `geometry::rotate` turns it), top to bottom. A skewed page is detected once: each region's own
    /// pixels are turned, so its box is as tight as on a page scanned straight.
    pub fn lines_turned(&self, degrees: f32) -> Vec<TextLine> {
        let (sx, sy) = self.scale;
        let (pw, ph) = self.page;
        let (sin, cos) = degrees.to_radians().sin_cos();
        let (cx, cy) = (pw / 2.0, ph / 2.0);
        let mut lines: Vec<TextLine> = self
            .regions
            .iter()
            .map(|region| {
                let (mut x0, mut y0) = (f32::MAX, f32::MAX);
                let (mut x1, mut y1) = (f32::MIN, f32::MIN);
                for &at in &self.members[region.members.clone()] {
                    let at = at as usize;
                    // The map pixel's centre on the page, then where turning the page takes it.
                    let ox = ((at % self.map_width) as f32 + 0.5) * sx - cx;
                    let oy = ((at / self.map_width) as f32 + 0.5) * sy - cy;
                    let (x, y) = (cos * ox - sin * oy + cx, sin * ox + cos * oy + cy);
                    (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
                }
                // The same unclip margin as for a straight region, from its extent in map pixels.
                let w = (x1 - x0) / sx + 1.0;
                let h = (y1 - y0) / sy + 1.0;
                let grow = w * h * UNCLIP_RATIO / (2.0 * (w + h));
                TextLine {
                    x0: (x0 - (0.5 + grow) * sx).max(0.0),
                    y0: (y0 - (0.5 + grow) * sy).max(0.0),
                    x1: (x1 + (0.5 + grow) * sx).min(pw),
                    y1: (y1 + (0.5 + grow) * sy).min(ph),
                    angle: region.angle() + degrees,
                    length: (w * sx).max(h * sy),
                }
            })
            .collect();
        lines.sort_by(|a, b| a.y0.total_cmp(&b.y0));
        lines
    }
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
    /// Where the region's pixels are in `Detection::members`.
    members: std::ops::Range<usize>,
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
/// does), 4-connected, filtered by size and mean score; and the pixels of the regions kept.
fn regions(scores: &[f32], w: usize, h: usize) -> (Vec<Region>, Vec<u32>) {
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
    let mut members = Vec::new();
    let mut stack = Vec::new();
    for start in 0..w * h {
        if !text[start] || seen[start] {
            continue;
        }
        let mut region = Region::default();
        let first = members.len();
        seen[start] = true;
        stack.push(start);
        while let Some(at) = stack.pop() {
            let (x, y) = (at % w, at / w);
            region.add(x, y, scores[at]);
            members.push(at as u32);
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
            region.members = first..members.len();
            found.push(region);
            if found.len() >= MAX_REGIONS {
                break;
            }
        } else {
            members.truncate(first);
        }
    }
    (found, members)
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
        let (found, _) = regions(&scores, w, h);
        assert_eq!(found.len(), 1, "{found:?}");
        let r = &found[0];
        // Dilated one pixel right and down.
        assert_eq!((r.min_x, r.min_y, r.max_x, r.max_y), (3, 2, 15, 5));
        assert!(r.angle().abs() < 1.0);
    }

    #[test]
    fn a_skewed_line_is_boxed_tightly_once_the_page_is_turned() {
        // A 60 x 3 bar rising 1 pixel every 10 across (5.7 degrees, running up to the right) on a map of
        // a page twice its size.
        let (w, h) = (80, 40);
        let mut scores = vec![0.0; w * h];
        for x in 10..70 {
            for t in 0..3 {
                scores[(25 - (x - 10) / 10 + t) * w + x] = 0.9;
            }
        }
        let (regions, members) = regions(&scores, w, h);
        assert_eq!(regions.len(), 1);
        let found = Detection {
            regions,
            members,
            map_width: w,
            scale: (2.0, 2.0),
            page: (160.0, 80.0),
        };
        let as_found = found.lines();
        assert_eq!(found.lines_turned(0.0), as_found);
        let tilt = as_found[0].angle;
        assert!((-7.0..-4.5).contains(&tilt), "{tilt}");
        // Turned straight, the box is about as thick as the bar (3 pixels, 4 dilated, 1 of staircase)
        // and its margin, not as the rise across it; and as long as the bar.
        let turned = found.lines_turned(-tilt);
        let height = |l: &TextLine| l.y1 - l.y0;
        assert!(height(&as_found[0]) > 40.0, "{:?}", as_found[0]);
        assert!(height(&turned[0]) < 28.0, "{:?}", turned[0]);
        assert!(turned[0].x1 - turned[0].x0 > 120.0, "{:?}", turned[0]);
    }
}
