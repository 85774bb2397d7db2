//! Text recognition: each detected line is cut out, scaled to the recogniser's height, batched with
//! lines of similar shape, and decoded into words placed back on the page.

use super::geometry::TextLine;
use super::network::Network;
use super::scale::{scale, Area};
use super::OcrError;
use super::{batches, ctc};
use image::GrayImage;
use pagewire_core::model::BoundingBox;
use pagewire_core::ports::Word;
use rten_tensor::NdTensor;

/// The recogniser's input height. Widths are not padded to a minimum (PaddleOCR pads to 320): the
/// invoice fixtures read every field without it, and a third fewer columns are computed per page.
pub(super) const HEIGHT: u32 = 48;
/// Input widths are multiples of this (the recogniser's horizontal stride).
const WIDTH_STEP: u32 = 8;
/// The fixed cost of one recogniser run, counted in padded columns. A rough figure: 64 and 256 gave the
/// same CPU time per page within the noise of a shared machine.
const RUN_COST_COLUMNS: u64 = 128;
/// Lines are cut to this width at most (a ratio of 50:1 covers a full A4 line of small print).
const MAX_WIDTH: u32 = HEIGHT * 50;
/// Lines read with a lower mean score are noise, not text.
const MIN_LINE_SCORE: f32 = 0.5;

struct Crop {
    line: TextLine,
    image: GrayImage,
}

pub fn recognise(
    model: &dyn Network,
    alphabet: &[String],
    page: &GrayImage,
    lines: &[TextLine],
    batch_size: usize,
) -> Result<Vec<Word>, OcrError> {
    let (pw, ph) = (page.width() as f32, page.height() as f32);
    let mut crops: Vec<Crop> = lines
        .iter()
        .filter_map(|line| {
            let (x, y) = (line.x0.floor() as u32, line.y0.floor() as u32);
            let w = (line.x1.ceil() as u32).min(page.width()).saturating_sub(x);
            let h = (line.y1.ceil() as u32).min(page.height()).saturating_sub(y);
            if w < 2 || h < 2 {
                return None;
            }
            let width = ((HEIGHT as f32 * w as f32 / h as f32).round() as u32).clamp(1, MAX_WIDTH);
            let area = Area {
                x,
                y,
                width: w,
                height: h,
            };
            Some(scale(page, Some(area), width, HEIGHT).map(|image| Crop { line: *line, image }))
        })
        .collect::<Result<_, _>>()?;
    crops.sort_by_key(|c| c.image.width());
    let widths: Vec<u32> = crops
        .iter()
        .map(|c| c.image.width().next_multiple_of(WIDTH_STEP))
        .collect();
    let mut words = Vec::new();
    let runs = batches::plan(&widths, batch_size, RUN_COST_COLUMNS);
    // Columns the recogniser computes against columns of text: what the grouping of lines saves.
    let padded_columns: u32 = runs
        .iter()
        .map(|r| widths[r.end - 1] * r.len() as u32)
        .sum();
    let text_columns: u32 = crops.iter().map(|c| c.image.width()).sum();
    tracing::debug!(
        lines = crops.len(),
        runs = runs.len(),
        text_columns,
        padded_columns,
        "recogniser plan"
    );
    for run in runs {
        let width = widths[run.end - 1];
        let batch = &crops[run];
        let n = batch.len();
        let plane = (HEIGHT * width) as usize;
        // Padding is 0 after scaling to -1..1, as the recogniser was trained.
        let mut data = vec![0.0f32; n * 3 * plane];
        for (i, crop) in batch.iter().enumerate() {
            let cw = crop.image.width() as usize;
            for (y, row) in crop.image.as_raw().chunks_exact(cw).enumerate() {
                for (x, &p) in row.iter().enumerate() {
                    let v = p as f32 / 127.5 - 1.0;
                    for c in 0..3 {
                        data[i * 3 * plane + c * plane + y * width as usize + x] = v;
                    }
                }
            }
        }
        let input = NdTensor::from_data([n, 3, HEIGHT as usize, width as usize], data);
        let started = std::time::Instant::now();
        let output = model.run(input)?;
        tracing::debug!(
            lines = n,
            width,
            ms = started.elapsed().as_millis(),
            "recogniser run"
        );
        let [_, steps, classes] = output.dims::<3>("recogniser")?;
        let scores = output.data();
        let columns_per_step = width as f32 / steps as f32;
        for (i, crop) in batch.iter().enumerate() {
            let valid_steps =
                ((crop.image.width() as f32 / columns_per_step).ceil() as usize).min(steps);
            let row = &scores[i * steps * classes..(i + 1) * steps * classes];
            let glyphs = ctc::decode(row, classes, valid_steps, alphabet);
            if glyphs.is_empty() {
                continue;
            }
            let line_score = glyphs.iter().map(|g| g.score).sum::<f32>() / glyphs.len() as f32;
            if line_score < MIN_LINE_SCORE {
                continue;
            }
            // From columns of the scaled crop back to the page's pixels, then to fractions of the page.
            let line = crop.line;
            let to_page = (line.x1 - line.x0) / crop.image.width() as f32 * columns_per_step;
            for word in ctc::words(&glyphs, valid_steps) {
                let x0 = line.x0 + word.start * to_page;
                let x1 = (line.x0 + word.end * to_page).min(line.x1);
                words.push(Word {
                    text: word.text,
                    bbox: BoundingBox {
                        x: x0 / pw,
                        y: line.y0 / ph,
                        width: (x1 - x0).max(0.0) / pw,
                        height: (line.y1 - line.y0) / ph,
                    },
                    confidence: word.score,
                });
            }
        }
    }
    Ok(words)
}
