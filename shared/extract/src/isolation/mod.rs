//! Reading each document in a worker process with limits of memory and time, so that a document which
//! makes a parser allocate without bound, loop, overflow its stack or crash fails alone, with a reason,
//! instead of taking the service down (and being retried into a crash loop).
//!
//! [`IsolatedReader`] keeps a pool of long-lived workers (OCR models load once per worker): a caller takes
//! an idle worker (or starts one, up to the pool size, or waits for one), sends it the document, and
//! gives it back after its answer. A worker that dies, overruns its deadline (it is killed) or breaks the
//! protocol is not given back; the next caller starts a fresh one. The worker is the same executable
//! re-run in worker mode ([`WorkerCommand::current_exe`]), so a Lambda needs no second binary; see
//! [`serve`] for the worker's side.

mod budget;
mod outcome;
mod process;
pub mod protocol;
mod worker;

pub use budget::{ReadBudget, WorkerCommand};
pub use outcome::{CRASHED, MEMORY_LIMIT, TIMEOUT, UNAVAILABLE};
pub use worker::serve;

use pagewire_core::model::FileKind;
use pagewire_core::ports::{ArchiveEntry, DocumentReader, ReadDocument, ReadFailure};
use process::{Exchange, WorkerProcess};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// A [`DocumentReader`] that reads each document in a worker process under a [`ReadBudget`].
///
/// ZIP batches are unpacked in process by `archive` (bounded by its entry, size and ratio limits): the
/// entries would otherwise cross the pipe twice.
pub struct IsolatedReader {
    pool: Arc<Pool>,
    archive: Arc<dyn DocumentReader>,
}

impl IsolatedReader {
    /// At most `workers` (at least one) worker processes, started by `command` when first needed.
    pub fn new(
        command: WorkerCommand,
        budget: ReadBudget,
        workers: usize,
        archive: Arc<dyn DocumentReader>,
    ) -> Self {
        Self {
            pool: Arc::new(Pool {
                command,
                budget,
                size: workers.max(1),
                state: Mutex::new(PoolState::default()),
                freed: Condvar::new(),
            }),
            archive,
        }
    }

    /// Starts one worker now (a cold start pays for it instead of the first document) and keeps it; an
    /// error says the command cannot start a worker at all.
    pub fn warm_up(&self) -> std::io::Result<()> {
        let lease = self.pool.lease("")?;
        drop(lease);
        Ok(())
    }

    /// How many workers are running (idle or reading).
    pub fn workers(&self) -> usize {
        self.pool.lock().live
    }

    /// The process ids of the idle workers (for monitoring and tests).
    pub fn idle_worker_ids(&self) -> Vec<u32> {
        self.pool
            .lock()
            .idle
            .iter()
            .map(WorkerProcess::id)
            .collect()
    }
}

impl DocumentReader for IsolatedReader {
    fn read(&self, kind: FileKind, bytes: &[u8]) -> Result<ReadDocument, ReadFailure> {
        self.read_for("", kind, bytes)
    }

    fn read_for(
        &self,
        owner: &str,
        kind: FileKind,
        bytes: &[u8],
    ) -> Result<ReadDocument, ReadFailure> {
        let budget = self.pool.budget;
        // A worker found dead before it had the document (killed while idle) is replaced once.
        for _ in 0..2 {
            let mut lease = self
                .pool
                .lease(owner)
                .map_err(|e| outcome::unavailable(&e.to_string()))?;
            let Some(worker) = lease.worker.as_mut() else {
                continue;
            };
            match worker.exchange(kind, bytes, budget.wall) {
                Exchange::Answered(answer) => return answer,
                Exchange::GoneBeforeReading => {
                    lease.worker = None;
                    tracing::warn!("an idle read worker had ended; starting another");
                }
                Exchange::Ended(end) => {
                    let Some(worker) = lease.worker.take() else {
                        continue;
                    };
                    let (end, words) = worker.finish(end);
                    let failure = outcome::failure_for(end, words, &budget);
                    tracing::warn!(
                        code = failure.code,
                        ?end,
                        "a document ended its read worker; the worker is replaced"
                    );
                    return Err(failure);
                }
            }
        }
        Err(outcome::unavailable("read workers end before reading"))
    }

    fn unpack(&self, bytes: &[u8]) -> Result<Vec<ArchiveEntry>, ReadFailure> {
        self.archive.unpack(bytes)
    }
}

struct Pool {
    command: WorkerCommand,
    budget: ReadBudget,
    size: usize,
    state: Mutex<PoolState>,
    /// Signalled when a worker is given back, a place in the pool frees up, or a caller took its turn.
    freed: Condvar,
}

#[derive(Default)]
struct PoolState {
    idle: Vec<WorkerProcess>,
    /// Workers idle, reading, or being started.
    live: usize,
    /// Who waits for a worker, served by owner in turn.
    turns: Turns,
}

/// Callers waiting for a worker: each owner's in the order they asked, and the owners round robin. More
/// documents are in flight than there are workers, so without this a tenant with many heavy documents
/// received would hold the workers while another tenant's document waited behind all of them; in turn,
/// the other tenant waits for at most one read per worker.
#[derive(Default)]
struct Turns {
    next_ticket: u64,
    waiting: HashMap<String, VecDeque<u64>>,
    /// Owners with callers waiting; the front one is served next.
    rotation: VecDeque<String>,
}

impl Turns {
    fn join(&mut self, owner: &str) -> u64 {
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        let queue = self.waiting.entry(owner.to_string()).or_default();
        if queue.is_empty() {
            self.rotation.push_back(owner.to_string());
        }
        queue.push_back(ticket);
        ticket
    }

    fn is_turn_of(&self, ticket: u64) -> bool {
        self.rotation
            .front()
            .and_then(|owner| self.waiting.get(owner))
            .and_then(VecDeque::front)
            == Some(&ticket)
    }

    /// The caller whose turn it was got a worker: the next owner's turn comes.
    fn served(&mut self) {
        let Some(owner) = self.rotation.pop_front() else {
            return;
        };
        let Some(queue) = self.waiting.get_mut(&owner) else {
            return;
        };
        queue.pop_front();
        if queue.is_empty() {
            self.waiting.remove(&owner);
        } else {
            self.rotation.push_back(owner);
        }
    }
}

impl Pool {
    fn lock(&self) -> MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// An idle worker, or a new one while the pool has room, else waits for one to be given back; owners
    /// are served in turn (see [`Turns`]).
    fn lease(self: &Arc<Self>, owner: &str) -> std::io::Result<Lease> {
        let mut state = self.lock();
        let ticket = state.turns.join(owner);
        loop {
            if !state.turns.is_turn_of(ticket) {
                state = self.freed.wait(state).unwrap_or_else(|p| p.into_inner());
                continue;
            }
            if let Some(worker) = state.idle.pop() {
                state.turns.served();
                drop(state);
                // The next caller may find another worker free.
                self.freed.notify_all();
                return Ok(Lease {
                    pool: self.clone(),
                    worker: Some(worker),
                });
            }
            if state.live < self.size {
                state.live += 1;
                state.turns.served();
                drop(state);
                self.freed.notify_all();
                // The lease owns the place from here: dropped empty (start failed), it frees it.
                let mut lease = Lease {
                    pool: self.clone(),
                    worker: None,
                };
                lease.worker = Some(WorkerProcess::start(&self.command, &self.budget)?);
                return Ok(lease);
            }
            state = self.freed.wait(state).unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// A worker taken from the pool: given back when dropped, or its place freed when it was taken out.
struct Lease {
    pool: Arc<Pool>,
    worker: Option<WorkerProcess>,
}

impl Drop for Lease {
    fn drop(&mut self) {
        // Unwinding out of an exchange leaves the worker mid-protocol: it is not given back.
        let worker = self.worker.take().filter(|_| !std::thread::panicking());
        let mut state = self.pool.lock();
        match worker {
            Some(worker) => state.idle.push(worker),
            None => state.live -= 1,
        }
        drop(state);
        // Every waiter checks whether it is its turn.
        self.pool.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::Turns;

    #[test]
    fn owners_take_turns_and_each_owner_keeps_its_order() {
        let mut turns = Turns::default();
        let a: Vec<u64> = (0..3).map(|_| turns.join("a")).collect();
        let b = turns.join("b");
        let mut order = Vec::new();
        while let Some(next) = a
            .iter()
            .chain(std::iter::once(&b))
            .copied()
            .find(|t| turns.is_turn_of(*t))
        {
            order.push(next);
            turns.served();
        }
        assert_eq!(order, vec![a[0], b, a[1], a[2]]);
    }

    #[test]
    fn a_newcomer_waits_for_at_most_one_turn_of_each_other_owner() {
        let mut turns = Turns::default();
        let heavy: Vec<u64> = (0..10).map(|_| turns.join("heavy")).collect();
        turns.served(); // heavy[0] got a worker
        let light = turns.join("light");
        assert!(turns.is_turn_of(heavy[1]));
        turns.served();
        assert!(turns.is_turn_of(light));
    }
}
