//! Documents that make the tests' read worker (`src/bin/pagewire-test-read-worker.rs`) misbehave as a parser
//! could on hostile input: allocate without bound, spin, abort, crash, overflow its stack. They only
//! work on that worker, which is never shipped; pagewire's own reader sees a damaged PDF.

/// What a hook document makes the test worker do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    /// Allocate (and touch) memory until an allocation is refused.
    Allocate,
    /// Spin on the CPU forever.
    Spin,
    /// `abort()`.
    Abort,
    /// Die of SIGSEGV.
    Segfault,
    /// Recurse until the stack overflows.
    OverflowStack,
    /// Exit without answering.
    Exit,
}

const MARK: &[u8] = b"%PDF-1.4\n%pagewire-test-hook: ";
const HOOKS: [(Hook, &str); 6] = [
    (Hook::Allocate, "allocate"),
    (Hook::Spin, "spin"),
    (Hook::Abort, "abort"),
    (Hook::Segfault, "segfault"),
    (Hook::OverflowStack, "overflow-stack"),
    (Hook::Exit, "exit"),
];

impl Hook {
    /// A file that passes as a PDF at submission and triggers this hook in the test worker.
    pub fn document(self) -> Vec<u8> {
        let name = HOOKS
            .iter()
            .find(|(h, _)| *h == self)
            .map_or("", |(_, n)| n);
        [MARK, name.as_bytes(), b"\n%%EOF\n"].concat()
    }

    /// The hook a document asks for, if any.
    pub fn in_document(bytes: &[u8]) -> Option<Hook> {
        let rest = bytes.strip_prefix(MARK)?;
        let name = rest.split(|b| *b == b'\n').next()?;
        HOOKS
            .iter()
            .find(|(_, n)| n.as_bytes() == name)
            .map(|(h, _)| *h)
    }
}

/// The test worker, as a command for `IsolatedReader` or [`crate::stack::isolate_reads`]. A macro: Cargo
/// tells integration tests and benches, not this library, where the package's binaries are.
#[macro_export]
macro_rules! test_read_worker {
    () => {
        pagewire_extract::isolation::WorkerCommand::new(
            env!("CARGO_BIN_EXE_pagewire-test-read-worker"),
            Vec::<String>::new(),
        )
    };
}
