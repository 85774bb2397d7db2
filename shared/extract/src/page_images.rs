//! Where a page draws its images. A generated invoice can carry text that exists only inside an image
//! (a scanned stamp, a pasted bank-details block): to read it, the reader needs each image's place on
//! the page, which is the graphics matrix in force when the content stream paints it (`Do`).

use crate::pdf_content::{ContentBudget, ContentReader};
use crate::pdf_text::{number, resolve, Matrix, PageBox};
use lopdf::{Dictionary, Document, Object, ObjectId};
use std::collections::BTreeMap;

/// Bounds per page, as for the text layer: a hostile content stream costs a bounded amount of work.
const MAX_CONTENT_BYTES: usize = 32 << 20;
/// Most image placements kept per page (a page tiled with thousands of images is not a stamp).
const MAX_PLACEMENTS: usize = 64;

/// One painting of an image XObject: its object and the rectangle it covers, in user space.
#[derive(Debug, Clone, PartialEq)]
pub struct PlacedImage {
    pub id: ObjectId,
    pub rect: PageBox,
}

/// The page's `/XObject` names that are images, with their objects.
fn image_names(doc: &Document, page_id: ObjectId) -> BTreeMap<Vec<u8>, ObjectId> {
    let mut names = BTreeMap::new();
    let Ok((direct, referenced)) = doc.get_page_resources(page_id) else {
        return names;
    };
    let dicts = direct.into_iter().chain(
        referenced
            .iter()
            .filter_map(|id| doc.get_dictionary(*id).ok()),
    );
    for resources in dicts {
        let Some(xobjects) = resources
            .get(b"XObject")
            .ok()
            .map(|o| resolve(doc, o))
            .and_then(|o| o.as_dict().ok())
        else {
            continue;
        };
        for (name, object) in xobjects.iter() {
            let Ok(id) = object.as_reference() else {
                continue;
            };
            let is_image = doc
                .get_object(id)
                .and_then(Object::as_stream)
                .is_ok_and(|s| is_image(&s.dict));
            if is_image {
                names.entry(name.clone()).or_insert(id);
            }
        }
    }
    names
}

fn is_image(dict: &Dictionary) -> bool {
    dict.get(b"Subtype")
        .and_then(Object::as_name)
        .is_ok_and(|s| s == b"Image")
}

/// Every image the page paints directly (not inside forms), with the rectangle it covers.
pub fn placed_images(doc: &Document, page_id: ObjectId) -> Vec<PlacedImage> {
    let names = image_names(doc, page_id);
    if names.is_empty() {
        return Vec::new();
    }
    let Ok(content) = doc.get_page_content_with_limit(page_id, MAX_CONTENT_BYTES) else {
        return Vec::new();
    };
    let mut placed = Vec::new();
    let mut ctm = Matrix::IDENTITY;
    let mut saved: Vec<Matrix> = Vec::new();
    // Read within the text layer's budget; a stream that crosses it has already failed the page there.
    for op in ContentReader::new(&content, ContentBudget::default()).map_while(Result::ok) {
        match op.operator.as_str() {
            "q" if saved.len() < 64 => saved.push(ctm),
            "Q" => ctm = saved.pop().unwrap_or(ctm),
            "cm" => {
                let m = Matrix(std::array::from_fn(|i| {
                    op.operands.get(i).and_then(number).unwrap_or(0.0)
                }));
                ctm = m.then(&ctm);
            }
            "Do" => {
                let Some(id) = op
                    .operands
                    .first()
                    .and_then(|o| o.as_name().ok())
                    .and_then(|name| names.get(name))
                else {
                    continue;
                };
                // An image fills the unit square of the space the matrix maps to the page.
                let corners =
                    [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0)].map(|(x, y)| ctm.apply(x, y));
                let xs = corners.map(|c| c.0);
                let ys = corners.map(|c| c.1);
                let rect = (
                    xs.iter().copied().fold(f32::INFINITY, f32::min),
                    ys.iter().copied().fold(f32::INFINITY, f32::min),
                    xs.iter().copied().fold(f32::NEG_INFINITY, f32::max),
                    ys.iter().copied().fold(f32::NEG_INFINITY, f32::max),
                );
                if [rect.0, rect.1, rect.2, rect.3]
                    .iter()
                    .all(|v| v.is_finite())
                {
                    placed.push(PlacedImage { id: *id, rect });
                }
                if placed.len() >= MAX_PLACEMENTS {
                    break;
                }
            }
            _ => {}
        }
    }
    placed
}

/// The share of the visible box an image covers (its rectangle clipped to the box).
pub fn share_of_page(rect: PageBox, page: PageBox) -> f32 {
    let w = (rect.2.min(page.2) - rect.0.max(page.0)).max(0.0);
    let h = (rect.3.min(page.3) - rect.1.max(page.1)).max(0.0);
    let area = ((page.2 - page.0) * (page.3 - page.1)).max(f32::EPSILON);
    w * h / area
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_found_where_the_matrix_paints_them() {
        let jpeg = [0xffu8, 0xd8, 0xff, 0xd9];
        // fixtures::image_pdf paints its image over the whole A4 page.
        let pdf = crate::fixtures::image_pdf(&jpeg, 10, 10, true);
        let doc = Document::load_mem(&pdf).unwrap();
        let page = *doc.get_pages().get(&1).unwrap();
        let placed = placed_images(&doc, page);
        assert_eq!(placed.len(), 1);
        let (x0, y0, x1, y1) = placed[0].rect;
        assert!(x0.abs() < 0.01 && y0.abs() < 0.01, "{:?}", placed[0].rect);
        assert!((x1 - 595.0).abs() < 1.0 && (y1 - 842.0).abs() < 1.0);
        assert!((share_of_page(placed[0].rect, (0.0, 0.0, 595.0, 842.0)) - 1.0).abs() < 0.01);
        // A rectangle half off the page: its visible part is an eighth of the page.
        let share = share_of_page((297.5, -210.5, 892.5, 210.5), (0.0, 0.0, 595.0, 842.0));
        assert!((share - 0.125).abs() < 0.001, "{share}");
    }
}
