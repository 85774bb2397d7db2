//! Property-based fuzzing of every parser of untrusted input: whatever the bytes, the answer is a value or
//! a clear refusal (a code and a message), never a panic or a hang. Case counts are modest so the suite
//! stays fast under `cargo test`; a failure found here stays as a regression case in its module.

mod extraction;
mod multipart;
mod pdf;
mod pdf_content;
mod read_worker_protocol;
mod templates;
mod webhook_urls;
mod zip_archives;

use proptest::prelude::*;
use std::time::{Duration, Instant};

/// A hang detector, not a performance measure: far above what any case takes, far below "forever".
const HANG_LIMIT: Duration = Duration::from_secs(20);

/// Runs `work` and fails the case if it ran past [`HANG_LIMIT`].
pub fn bounded<T>(what: &str, work: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let out = work();
    let took = started.elapsed();
    assert!(took < HANG_LIMIT, "{what} ran for {took:?}");
    out
}

pub fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        // Shrinking a failure can take long; a first counterexample is what matters in CI.
        max_shrink_iters: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// One way of damaging a valid file.
#[derive(Debug, Clone)]
pub enum Mutation {
    /// XOR the byte at (position mod length) with a non-zero mask.
    Flip(usize, u8),
    /// Keep only the first (position mod length) bytes.
    Truncate(usize),
    /// Insert bytes at (position mod length).
    Insert(usize, Vec<u8>),
    /// Overwrite a 4-byte window with a little-endian number (sizes, offsets and counts live there).
    Number(usize, u32),
}

pub fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    let one = prop_oneof![
        4 => (any::<usize>(), 1u8..=255).prop_map(|(p, m)| Mutation::Flip(p, m)),
        1 => any::<usize>().prop_map(Mutation::Truncate),
        1 => (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(p, b)| Mutation::Insert(p, b)),
        2 => (any::<usize>(), prop_oneof![Just(0u32), Just(u32::MAX), Just(0x7fff_ffff), any::<u32>()])
            .prop_map(|(p, n)| Mutation::Number(p, n)),
    ];
    prop::collection::vec(one, 1..6)
}

pub fn apply(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        if bytes.is_empty() {
            break;
        }
        let at = |p: &usize| p % bytes.len();
        match m {
            Mutation::Flip(p, mask) => {
                let i = at(p);
                bytes[i] ^= mask;
            }
            Mutation::Truncate(p) => {
                let keep = at(p);
                bytes.truncate(keep);
            }
            Mutation::Insert(p, extra) => {
                let i = at(p);
                bytes.splice(i..i, extra.iter().copied());
            }
            Mutation::Number(p, n) => {
                let i = at(p);
                for (k, b) in n.to_le_bytes().iter().enumerate() {
                    if let Some(slot) = bytes.get_mut(i + k) {
                        *slot = *b;
                    }
                }
            }
        }
    }
    bytes
}
