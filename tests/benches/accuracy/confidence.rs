//! How well the OCR confidence tells right reads from wrong ones, for BENCHMARKS.md: per value a template
//! rule read, and per word against the truth of the page (the scans and photos are of the corpus's text
//! PDFs, whose text layer is the truth).

use pagewire_core::ports::PageText;
use std::collections::HashMap;

#[derive(Debug, Default)]
pub struct Confidences {
    pub right: Vec<f32>,
    pub wrong: Vec<f32>,
    words_right: Vec<f32>,
    words_wrong: Vec<f32>,
}

impl Confidences {
    /// Grades each OCR word of `read` as right when the truth page has that word (each truth word
    /// matches once).
    pub fn add_words(&mut self, read: &[PageText], truth: &PageText) {
        let mut left: HashMap<&str, usize> = HashMap::new();
        for word in &truth.words {
            *left.entry(word.text.as_str()).or_default() += 1;
        }
        for word in read.iter().flat_map(|p| &p.words) {
            match left.get_mut(word.text.as_str()) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    self.words_right.push(word.confidence);
                }
                _ => self.words_wrong.push(word.confidence),
            }
        }
    }

    pub fn report(&self, shipped: f32) {
        println!();
        table("values a rule read", &self.right, &self.wrong, shipped);
        if !self.words_right.is_empty() {
            println!();
            table(
                "words (right: the word is on the text PDF's page 1)",
                &self.words_right,
                &self.words_wrong,
                shipped,
            );
        }
    }
}

/// The highest threshold that flags fewer than 5 % of right reads, and the share of wrong reads it flags;
/// then the same for the shipped threshold.
fn table(what: &str, right: &[f32], wrong: &[f32], shipped: f32) {
    let below = |values: &[f32], t: f32| values.iter().filter(|&&c| c < t).count();
    let mut candidates: Vec<f32> = right.iter().chain(wrong).copied().collect();
    candidates.push(1.01);
    candidates.sort_by(f32::total_cmp);
    let limit = right.len() as f64 * 0.05;
    // Flagged right reads only grow with the threshold: the first from the top that fits is the best.
    let best = candidates
        .iter()
        .copied()
        .rev()
        .find(|&t| (below(right, t) as f64) < limit.max(f64::MIN_POSITIVE))
        .unwrap_or(0.0);
    let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len().max(1) as f32;
    println!(
        "OCR confidence of the {what} on PNG and JPEG pages: {} right (mean {:.3}), {} wrong (mean {:.3})",
        right.len(),
        mean(right),
        wrong.len(),
        mean(wrong)
    );
    println!();
    println!("| threshold | right flagged | wrong flagged |");
    println!("| --- | --- | --- |");
    for (name, t) in [
        (
            format!("{best:.3} (highest that flags < 5 % of right ones)"),
            best,
        ),
        (format!("{shipped:.3} (LOW_OCR_CONFIDENCE)"), shipped),
    ] {
        println!(
            "| {name} | {} / {} | {} / {} |",
            below(right, t),
            right.len(),
            below(wrong, t),
            wrong.len()
        );
    }
}
