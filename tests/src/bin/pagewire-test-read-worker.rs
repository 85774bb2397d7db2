//! The read worker of the tests' stacks: pagewire's reader as `pagewire read-worker` runs it, plus the
//! hooks of `integration_tests::read_worker_hooks`, which make it fail the ways a parser can on hostile
//! input. A test binary only: no shipped binary has these hooks.

use integration_tests::read_worker_hooks::Hook;
use pagewire_core::model::FileKind;
use pagewire_core::ports::{ArchiveEntry, DocumentReader, ReadDocument, ReadFailure};
use pagewire_extract::PagewireReader;
use pagewire_lambda_kit::wiring::in_process_reader;
use pagewire_lambda_kit::Config;
use std::hint::black_box;
use std::process::ExitCode;

struct HookedReader(PagewireReader);

impl DocumentReader for HookedReader {
    fn read(&self, kind: FileKind, bytes: &[u8]) -> Result<ReadDocument, ReadFailure> {
        if let Some(hook) = Hook::in_document(bytes) {
            trigger(hook);
        }
        self.0.read(kind, bytes)
    }

    fn unpack(&self, bytes: &[u8]) -> Result<Vec<ArchiveEntry>, ReadFailure> {
        self.0.unpack(bytes)
    }
}

fn trigger(hook: Hook) {
    match hook {
        Hook::Allocate => {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                hoard.push(black_box(vec![1u8; 16 << 20]));
            }
        }
        Hook::Spin => {
            let mut n = 0u64;
            loop {
                n = black_box(n.wrapping_add(1));
            }
        }
        Hook::Abort => std::process::abort(),
        Hook::Segfault => {
            // The Rust runtime's SIGSEGV handler (stack-overflow detection) lets a first signal that
            // is no fault pass and puts back the default action: the second one kills.
            for _ in 0..2 {
                let _ = rustix::process::kill_process(
                    rustix::process::getpid(),
                    rustix::process::Signal::SEGV,
                );
            }
        }
        Hook::OverflowStack => {
            black_box(recurse(black_box(1)));
        }
        Hook::Exit => std::process::exit(3),
    }
}

fn recurse(depth: u64) -> u64 {
    if depth == u64::MAX {
        return 0;
    }
    let frame = black_box([depth; 512]);
    recurse(depth + 1) + frame[(depth % 512) as usize]
}

fn main() -> ExitCode {
    match Config::from_env() {
        Ok(config) => pagewire_extract::isolation::serve(&HookedReader(in_process_reader(&config))),
        Err(err) => {
            eprintln!("test read worker: {err}");
            ExitCode::FAILURE
        }
    }
}
