//! What a read that ended its worker means for the document: the failure its user is told.

use super::budget::ReadBudget;
use pagewire_core::ports::ReadFailure;

/// The read took more memory than its budget.
pub const MEMORY_LIMIT: &str = "memory_limit_exceeded";
/// The read took more time (wall clock or CPU) than its budget.
pub const TIMEOUT: &str = "read_timeout";
/// The reader crashed on the document (a signal, an abort, a stack overflow, a broken answer).
pub const CRASHED: &str = "reader_crashed";
/// No worker could be started: not the document's fault, so the read is worth retrying later.
pub const UNAVAILABLE: &str = ReadFailure::READER_UNAVAILABLE;

/// How a worker's read ended when it did not answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerEnd {
    /// The parent killed it at the wall-clock deadline.
    TimedOut,
    /// It exited (with this code) before answering.
    Exited(Option<i32>),
    /// A signal ended it.
    Signalled(i32),
    /// It answered something that is not the protocol.
    BrokeProtocol,
    /// Its answer was over the size the parent accepts.
    AnswerTooLarge,
}

/// What the worker said on stderr as it died, when it said something we recognise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DyingWords {
    /// Rust's allocation-failure message: an allocation was refused (the data limit).
    AllocationFailed,
    /// Rust's stack-overflow message.
    StackOverflow,
}

impl DyingWords {
    /// Recognises one line of a worker's stderr.
    pub fn in_line(line: &[u8]) -> Option<Self> {
        let has = |needle: &[u8]| line.windows(needle.len()).any(|w| w == needle);
        if has(b"memory allocation of") {
            Some(Self::AllocationFailed)
        } else if has(b"has overflowed its stack") {
            Some(Self::StackOverflow)
        } else {
            None
        }
    }
}

const SIGKILL: i32 = 9;
const SIGXCPU: i32 = 24;

/// The failure of a document whose read ended its worker.
pub fn failure_for(end: WorkerEnd, words: Option<DyingWords>, budget: &ReadBudget) -> ReadFailure {
    let memory = || ReadFailure {
        code: MEMORY_LIMIT,
        message: format!(
            "reading the document needed more than {} MB of memory, the limit for one document",
            budget.memory_mb()
        ),
    };
    let crashed = |what: &str| ReadFailure {
        code: CRASHED,
        message: format!("the document could not be read: it made the reader {what}"),
    };
    match (end, words) {
        (WorkerEnd::TimedOut, _) => ReadFailure {
            code: TIMEOUT,
            message: format!(
                "reading the document took longer than {} s, the limit for one document",
                budget.wall.as_secs()
            ),
        },
        (WorkerEnd::Signalled(SIGXCPU), _) => ReadFailure {
            code: TIMEOUT,
            message: format!(
                "reading the document used more than {} s of CPU time, the limit for one document",
                budget.cpu.as_secs()
            ),
        },
        (_, Some(DyingWords::AllocationFailed)) => memory(),
        (WorkerEnd::AnswerTooLarge, _) => ReadFailure {
            code: MEMORY_LIMIT,
            message: "the document holds more text than pagewire reads from one document".into(),
        },
        // Killed by nobody we know of: the kernel's out-of-memory killer.
        (WorkerEnd::Signalled(SIGKILL), _) => memory(),
        (_, Some(DyingWords::StackOverflow)) => crashed("overflow its stack"),
        (WorkerEnd::Signalled(signal), None) => crashed(&format!("crash (signal {signal})")),
        (WorkerEnd::Exited(_), None) => crashed("exit"),
        (WorkerEnd::BrokeProtocol, None) => crashed("answer garbage"),
    }
}

/// The failure of a read when no worker could be started (see [`UNAVAILABLE`]).
pub fn unavailable(detail: &str) -> ReadFailure {
    ReadFailure {
        code: UNAVAILABLE,
        message: format!("the document reader could not be started: {detail}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const BUDGET: ReadBudget = ReadBudget {
        memory_bytes: 512 << 20,
        wall: Duration::from_secs(30),
        cpu: Duration::from_secs(60),
    };

    #[test]
    fn each_way_of_dying_has_its_reason() {
        let f = |end, words| failure_for(end, words, &BUDGET);
        let oom = f(WorkerEnd::Signalled(6), Some(DyingWords::AllocationFailed));
        assert_eq!(oom.code, MEMORY_LIMIT);
        assert!(oom.message.contains("512 MB"), "{}", oom.message);
        assert_eq!(f(WorkerEnd::Signalled(SIGKILL), None).code, MEMORY_LIMIT);
        assert_eq!(f(WorkerEnd::AnswerTooLarge, None).code, MEMORY_LIMIT);
        let wall = f(WorkerEnd::TimedOut, None);
        assert_eq!(wall.code, TIMEOUT);
        assert!(wall.message.contains("30 s"), "{}", wall.message);
        let cpu = f(WorkerEnd::Signalled(SIGXCPU), None);
        assert_eq!(cpu.code, TIMEOUT);
        assert!(cpu.message.contains("60 s of CPU"), "{}", cpu.message);
        let stack = f(WorkerEnd::Signalled(11), Some(DyingWords::StackOverflow));
        assert_eq!(stack.code, CRASHED);
        assert!(stack.message.contains("stack"), "{}", stack.message);
        let segv = f(WorkerEnd::Signalled(11), None);
        assert_eq!(segv.code, CRASHED);
        assert!(segv.message.contains("signal 11"), "{}", segv.message);
        assert_eq!(f(WorkerEnd::Exited(Some(3)), None).code, CRASHED);
        assert_eq!(f(WorkerEnd::BrokeProtocol, None).code, CRASHED);
    }

    #[test]
    fn dying_words_are_recognised_in_rust_runtime_messages() {
        assert_eq!(
            DyingWords::in_line(b"memory allocation of 67108864 bytes failed\n"),
            Some(DyingWords::AllocationFailed)
        );
        assert_eq!(
            DyingWords::in_line(b"\nthread 'main' has overflowed its stack\n"),
            Some(DyingWords::StackOverflow)
        );
        assert_eq!(DyingWords::in_line(b"warning: something else"), None);
    }
}
