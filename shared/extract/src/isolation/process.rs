//! One worker process seen from its parent: starting it, exchanging one document with a deadline, and
//! finding out how it ended.

use super::budget::{ReadBudget, WorkerCommand};
use super::outcome::{DyingWords, WorkerEnd};
use super::protocol::{self, ProtocolError, HELLO, RECEIVED};
use super::worker::{CPU_ENV, MEMORY_ENV};
use pagewire_core::model::FileKind;
use pagewire_core::ports::{ReadDocument, ReadFailure};
use rustix::event::{poll, PollFd, PollFlags, Timespec};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::fd::AsFd;
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a new worker may take to say it is ready.
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a worker that closed its output may take to exit before it is killed.
const EXIT_GRACE: Duration = Duration::from_secs(2);

/// How one exchange went.
pub enum Exchange {
    Answered(Result<ReadDocument, ReadFailure>),
    /// The worker was gone before it had the document: not the document's doing.
    GoneBeforeReading,
    /// The worker ended while it had the document.
    Ended(WorkerEnd),
}

pub struct WorkerProcess {
    child: Child,
    stdin: ChildStdin,
    stdout: ChildStdout,
    words: Arc<Mutex<Option<DyingWords>>>,
    stderr: Option<JoinHandle<()>>,
}

/// Why an exchange on a pipe stopped.
enum Stall {
    TimedOut,
    Closed,
}

impl WorkerProcess {
    /// Starts a worker with `budget`'s limits and waits until it is ready.
    pub fn start(command: &WorkerCommand, budget: &ReadBudget) -> io::Result<Self> {
        let mut child = Command::new(&command.program)
            .args(&command.args)
            .envs(command.env.iter().map(|(k, v)| (k, v)))
            // glibc's per-thread arenas reserve address space that counts against nothing useful.
            .env("MALLOC_ARENA_MAX", "2")
            .env(MEMORY_ENV, budget.memory_bytes.to_string())
            .env(CPU_ENV, budget.cpu.as_secs().max(1).to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(io::Error::other("the worker's pipes are missing"));
        };
        rustix::io::ioctl_fionbio(&stdin, true)?;
        rustix::io::ioctl_fionbio(&stdout, true)?;
        let words = Arc::new(Mutex::new(None));
        let stderr = std::thread::Builder::new()
            .name("read-worker-stderr".into())
            .spawn({
                let words = words.clone();
                move || forward_stderr(stderr, &words)
            })?;
        let mut worker = Self {
            child,
            stdin,
            stdout,
            words,
            stderr: Some(stderr),
        };
        let mut hello = [0u8; HELLO.len()];
        match read_by(
            &mut worker.stdout,
            &mut hello,
            Instant::now() + START_TIMEOUT,
        ) {
            Ok(()) if &hello == HELLO => Ok(worker),
            Ok(()) => Err(io::Error::other("the worker does not speak the protocol")),
            Err(Stall::TimedOut) => Err(io::Error::other("the worker did not start in time")),
            Err(Stall::Closed) => Err(io::Error::other("the worker exited on start")),
        }
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Sends one document and waits for its answer until `wall` has passed.
    pub fn exchange(&mut self, kind: FileKind, bytes: &[u8], wall: Duration) -> Exchange {
        let deadline = Instant::now() + wall;
        // What it said while reading an earlier document (a caught panic's message) is not this one's.
        *self.words.lock().unwrap_or_else(|p| p.into_inner()) = None;
        let header = protocol::request_header(kind, bytes.len());
        let sent = write_by(&mut self.stdin, &header, deadline)
            .and_then(|()| write_by(&mut self.stdin, bytes, deadline));
        let mut received = [0u8];
        let received = sent.and_then(|()| {
            read_by(&mut self.stdout, &mut received, deadline).map(|()| received[0])
        });
        match received {
            Ok(RECEIVED) => {}
            Ok(_) => return Exchange::Ended(WorkerEnd::BrokeProtocol),
            Err(Stall::TimedOut) => return Exchange::Ended(WorkerEnd::TimedOut),
            // It died before it had the whole document: only a document too large for its memory
            // does that; otherwise it was gone already (killed while idle).
            Err(Stall::Closed) if self.said_allocation_failed() => {
                return Exchange::Ended(WorkerEnd::Exited(None))
            }
            Err(Stall::Closed) => return Exchange::GoneBeforeReading,
        }
        let mut header = [0u8; 9];
        if let Err(stall) = read_by(&mut self.stdout, &mut header, deadline) {
            return Exchange::Ended(stalled(stall));
        }
        let (read, length) = match protocol::answer_header(&header) {
            Ok(parsed) => parsed,
            Err(ProtocolError::TooLong { .. }) => {
                return Exchange::Ended(WorkerEnd::AnswerTooLarge)
            }
            Err(_) => return Exchange::Ended(WorkerEnd::BrokeProtocol),
        };
        let mut payload = vec![0u8; length];
        if let Err(stall) = read_by(&mut self.stdout, &mut payload, deadline) {
            return Exchange::Ended(stalled(stall));
        }
        match protocol::decode_answer(read, &payload) {
            Ok(answer) => Exchange::Answered(answer),
            Err(_) => Exchange::Ended(WorkerEnd::BrokeProtocol),
        }
    }

    /// Ends the worker after `end` (killing it unless it is already exiting) and says how it ended,
    /// with what it said on stderr as it died.
    pub fn finish(mut self, end: WorkerEnd) -> (WorkerEnd, Option<DyingWords>) {
        let exiting = matches!(end, WorkerEnd::Exited(_));
        // Only a status the worker came to by itself says how it ended; after our kill it says nothing.
        let status = if exiting { self.wait_briefly() } else { None };
        if status.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if let Some(handle) = self.stderr.take() {
            let _ = handle.join();
        }
        let words = *self.words.lock().unwrap_or_else(|p| p.into_inner());
        let end = match (end, status) {
            (WorkerEnd::Exited(_), Some(status)) => match status.signal() {
                Some(signal) => WorkerEnd::Signalled(signal),
                None => WorkerEnd::Exited(status.code()),
            },
            (end, _) => end,
        };
        (end, words)
    }

    fn wait_briefly(&mut self) -> Option<std::process::ExitStatus> {
        let until = Instant::now() + EXIT_GRACE;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return Some(status),
                Ok(None) if Instant::now() < until => std::thread::sleep(Duration::from_millis(5)),
                _ => return None,
            }
        }
    }

    fn said_allocation_failed(&mut self) -> bool {
        // Its stderr is complete once it has exited.
        if self.wait_briefly().is_none() {
            return false;
        }
        if let Some(handle) = self.stderr.take() {
            let _ = handle.join();
        }
        *self.words.lock().unwrap_or_else(|p| p.into_inner()) == Some(DyingWords::AllocationFailed)
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn stalled(stall: Stall) -> WorkerEnd {
    match stall {
        Stall::TimedOut => WorkerEnd::TimedOut,
        Stall::Closed => WorkerEnd::Exited(None),
    }
}

/// Copies the worker's stderr to ours line by line (so its messages reach the logs) and notes the
/// messages the Rust runtime prints when it dies. Lines are cut at 4 KiB.
fn forward_stderr(stderr: impl Read, words: &Mutex<Option<DyingWords>>) {
    let mut reader = BufReader::new(stderr);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.by_ref().take(4096).read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        if let Some(found) = DyingWords::in_line(&line) {
            *words.lock().unwrap_or_else(|p| p.into_inner()) = Some(found);
        }
        let _ = io::stderr().write_all(&line);
    }
}

fn write_by(pipe: &mut ChildStdin, mut bytes: &[u8], deadline: Instant) -> Result<(), Stall> {
    while !bytes.is_empty() {
        match pipe.write(bytes) {
            Ok(0) => return Err(Stall::Closed),
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                wait_for(pipe, PollFlags::OUT, deadline)?
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return Err(Stall::Closed),
        }
    }
    Ok(())
}

fn read_by(pipe: &mut ChildStdout, mut buf: &mut [u8], deadline: Instant) -> Result<(), Stall> {
    while !buf.is_empty() {
        match pipe.read(buf) {
            Ok(0) => return Err(Stall::Closed),
            Ok(n) => buf = &mut buf[n..],
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                wait_for(pipe, PollFlags::IN, deadline)?
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return Err(Stall::Closed),
        }
    }
    Ok(())
}

/// Waits until `pipe` is ready for `flags` (or hung up: the next call says how) or `deadline` passes.
fn wait_for(pipe: &impl AsFd, flags: PollFlags, deadline: Instant) -> Result<(), Stall> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Stall::TimedOut);
        }
        let timeout = Timespec {
            tv_sec: left.as_secs() as i64,
            tv_nsec: left.subsec_nanos() as i64,
        };
        let mut fds = [PollFd::new(pipe, flags)];
        match poll(&mut fds, Some(&timeout)) {
            Ok(0) => continue,
            Ok(_) => return Ok(()),
            Err(rustix::io::Errno::INTR) => continue,
            Err(_) => return Err(Stall::Closed),
        }
    }
}
