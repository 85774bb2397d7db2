use serde::{Deserialize, Serialize};

/// A rectangle on a page, in fractions of the page's width and height, measured from the top-left corner.
/// Fractions make boxes comparable across a PDF's points, a scan's pixels and any resolution.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BoundingBox {
    #[serde(serialize_with = "super::decimal::serialize_f32")]
    pub x: f32,
    #[serde(serialize_with = "super::decimal::serialize_f32")]
    pub y: f32,
    #[serde(serialize_with = "super::decimal::serialize_f32")]
    pub width: f32,
    #[serde(serialize_with = "super::decimal::serialize_f32")]
    pub height: f32,
}

impl BoundingBox {
    pub fn right(&self) -> f32 {
        self.x + self.width
    }

    pub fn bottom(&self) -> f32 {
        self.y + self.height
    }

    pub fn centre(&self) -> (f32, f32) {
        (self.x + self.width / 2.0, self.y + self.height / 2.0)
    }

    /// The smallest box holding every box given; `None` for none.
    pub fn union<'a>(boxes: impl IntoIterator<Item = &'a BoundingBox>) -> Option<BoundingBox> {
        boxes.into_iter().fold(None, |acc: Option<BoundingBox>, b| {
            Some(match acc {
                None => *b,
                Some(a) => {
                    let x = a.x.min(b.x);
                    let y = a.y.min(b.y);
                    BoundingBox {
                        x,
                        y,
                        width: a.right().max(b.right()) - x,
                        height: a.bottom().max(b.bottom()) - y,
                    }
                }
            })
        })
    }

    pub fn contains_point(&self, (px, py): (f32, f32)) -> bool {
        px >= self.x && px <= self.right() && py >= self.y && py <= self.bottom()
    }

    /// Length of the overlap of the two boxes' horizontal extents (0 when apart).
    pub fn horizontal_overlap(&self, other: &BoundingBox) -> f32 {
        (self.right().min(other.right()) - self.x.max(other.x)).max(0.0)
    }

    /// Length of the overlap of the two boxes' vertical extents (0 when apart).
    pub fn vertical_overlap(&self, other: &BoundingBox) -> f32 {
        (self.bottom().min(other.bottom()) - self.y.max(other.y)).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(x: f32, y: f32, width: f32, height: f32) -> BoundingBox {
        BoundingBox {
            x,
            y,
            width,
            height,
        }
    }

    #[test]
    fn union_and_overlaps() {
        let u = BoundingBox::union(&[b(0.1, 0.2, 0.1, 0.1), b(0.3, 0.1, 0.1, 0.05)]).unwrap();
        assert_eq!((u.x, u.y), (0.1, 0.1));
        assert!((u.right() - 0.4).abs() < 1e-6 && (u.bottom() - 0.3).abs() < 1e-6);
        assert_eq!(BoundingBox::union(&[]), None);
        let a = b(0.0, 0.0, 0.5, 0.5);
        assert!((a.horizontal_overlap(&b(0.25, 0.9, 0.5, 0.1)) - 0.25).abs() < 1e-6);
        assert_eq!(a.vertical_overlap(&b(0.0, 0.6, 0.1, 0.1)), 0.0);
        assert!(a.contains_point((0.5, 0.5)) && !a.contains_point((0.6, 0.1)));
    }
}
