//! Turning the recogniser's per-column class scores into characters (greedy CTC decoding), and
//! characters into words with their horizontal extent.

/// The classes of the recogniser: 0 is CTC's blank, then the listed characters (one per line), then a
/// space, which PaddleOCR's recognisers append to their list.
pub fn alphabet(listed: &str) -> Vec<String> {
    let mut classes = vec![String::new()];
    classes.extend(
        listed
            .split('\n')
            .map(|c| c.trim_end_matches('\r'))
            .filter(|c| !c.is_empty())
            .map(str::to_string),
    );
    classes.push(" ".to_string());
    classes
}

/// One decoded character: the column (time step) where it peaked and its score.
#[derive(Debug, Clone, PartialEq)]
pub struct Glyph {
    pub text: String,
    pub step: usize,
    pub score: f32,
}

/// Greedy CTC: the best class of each column; repeats collapse, blanks separate.
/// `scores` is `steps x classes`, row-major; only the first `valid_steps` columns hold the line (the rest
/// is padding of the batch).
pub fn decode(
    scores: &[f32],
    classes: usize,
    valid_steps: usize,
    alphabet: &[String],
) -> Vec<Glyph> {
    let mut glyphs = Vec::new();
    let mut previous = 0;
    for (step, row) in scores.chunks_exact(classes).take(valid_steps).enumerate() {
        let (best, score) = row
            .iter()
            .copied()
            .enumerate()
            .fold(
                (0, f32::MIN),
                |acc, (i, s)| if s > acc.1 { (i, s) } else { acc },
            );
        if best != 0 && best != previous {
            if let Some(text) = alphabet.get(best) {
                glyphs.push(Glyph {
                    text: text.clone(),
                    step,
                    score,
                });
            }
        }
        previous = best;
    }
    glyphs
}

/// A word of a decoded line: text, mean character score, and its extent in columns `[start, end)`.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedWord {
    pub text: String,
    pub score: f32,
    pub start: f32,
    pub end: f32,
}

/// Splits glyphs into words at spaces. Each character owns the columns halfway to its neighbours, so a
/// word spans from halfway after the previous character to halfway before the next one.
pub fn words(glyphs: &[Glyph], valid_steps: usize) -> Vec<DecodedWord> {
    let boundary_before = |i: usize| -> f32 {
        if i == 0 {
            0.0
        } else {
            (glyphs[i - 1].step + glyphs[i].step) as f32 / 2.0 + 0.5
        }
    };
    let boundary_after = |i: usize| -> f32 {
        if i + 1 == glyphs.len() {
            valid_steps as f32
        } else {
            (glyphs[i].step + glyphs[i + 1].step) as f32 / 2.0 + 0.5
        }
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < glyphs.len() {
        if glyphs[i].text.trim().is_empty() {
            i += 1;
            continue;
        }
        let first = i;
        while i < glyphs.len() && !glyphs[i].text.trim().is_empty() {
            i += 1;
        }
        let members = &glyphs[first..i];
        out.push(DecodedWord {
            text: members.iter().map(|g| g.text.as_str()).collect(),
            score: members.iter().map(|g| g.score).sum::<f32>() / members.len() as f32,
            start: boundary_before(first),
            end: boundary_after(i - 1),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alphabet_has_blank_first_and_space_last() {
        let a = alphabet("a\nb\r\nc");
        assert_eq!(a, vec!["", "a", "b", "c", " "]);
    }

    #[test]
    fn greedy_decoding_collapses_repeats_and_splits_words() {
        let a = alphabet("a\nb");
        // classes: blank, a, b, space
        let one_hot = |c: usize, s: f32| {
            let mut row = vec![0.0; 4];
            row[c] = s;
            row
        };
        let columns = [
            one_hot(1, 0.9), // a
            one_hot(1, 0.8), // a (repeat)
            one_hot(0, 0.9), // blank
            one_hot(1, 0.7), // a again
            one_hot(3, 0.9), // space
            one_hot(2, 0.6), // b
            one_hot(0, 0.9), // padding beyond the line
            one_hot(2, 0.9),
        ];
        let flat: Vec<f32> = columns.concat();
        let glyphs = decode(&flat, 4, 6, &a);
        let text: String = glyphs.iter().map(|g| g.text.as_str()).collect();
        assert_eq!(text, "aa b");
        let w = words(&glyphs, 6);
        assert_eq!(w.len(), 2);
        assert_eq!((w[0].text.as_str(), w[1].text.as_str()), ("aa", "b"));
        assert!((w[0].score - 0.8).abs() < 1e-6);
        assert_eq!((w[0].start, w[1].end), (0.0, 6.0));
        assert!(w[0].end <= w[1].start);
    }
}
