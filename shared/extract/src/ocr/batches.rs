//! Grouping text lines into recogniser runs. Every line of a run is padded to the run's widest line, and
//! each run also has a fixed cost, so the cheapest plan puts lines of similar width together: a page's
//! short labels (`Qty`, `Bill To:`) are not padded to the width of its longest sentence.

use std::ops::Range;

/// Splits lines, sorted by width (narrowest first), into consecutive runs of at most `max_lines` that
/// minimise the padded columns computed (lines x widest line, summed over runs) plus `run_cost` columns
/// per run.
pub fn plan(sorted_widths: &[u32], max_lines: usize, run_cost: u64) -> Vec<Range<usize>> {
    let n = sorted_widths.len();
    let max_lines = max_lines.max(1);
    // cheapest[i]: cost of the first i lines; start[i]: where the last run of that plan starts.
    let mut cheapest = vec![0u64; n + 1];
    let mut start = vec![0usize; n + 1];
    for end in 1..=n {
        cheapest[end] = u64::MAX;
        for first in end.saturating_sub(max_lines)..end {
            let widest = sorted_widths[end - 1] as u64;
            let cost = cheapest[first] + (end - first) as u64 * widest + run_cost;
            if cost < cheapest[end] {
                cheapest[end] = cost;
                start[end] = first;
            }
        }
    }
    let mut runs = Vec::new();
    let mut end = n;
    while end > 0 {
        runs.push(start[end]..end);
        end = start[end];
    }
    runs.reverse();
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_lines_are_not_padded_to_long_ones() {
        let widths = [56, 56, 64, 120, 128, 480, 488];
        assert_eq!(plan(&widths, 8, 100), vec![0..3, 3..5, 5..7]);
    }

    #[test]
    fn a_high_run_cost_makes_fewer_runs_and_runs_respect_the_size_limit() {
        let widths = [56, 64, 120, 128];
        assert_eq!(plan(&widths, 8, 10_000), vec![0..4]);
        assert_eq!(plan(&widths, 2, 10_000), vec![0..2, 2..4]);
        assert_eq!(plan(&widths, 8, 0), vec![0..1, 1..2, 2..3, 3..4]);
        assert!(plan(&[], 8, 100).is_empty());
    }
}
