//! How much one document's read may take, and how to start a worker process that enforces it.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

/// The resources one document's read may use in a worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadBudget {
    /// The worker's data limit (RLIMIT_DATA: heap and private mappings), for its whole life: the models
    /// it keeps loaded plus the one document it reads at a time.
    pub memory_bytes: u64,
    /// Wall-clock time from sending the document to receiving its pages; the parent kills the worker then.
    pub wall: Duration,
    /// CPU time (all threads) of one read (RLIMIT_CPU, raised before each document): the worker's own
    /// backstop when the parent cannot kill it.
    pub cpu: Duration,
}

impl ReadBudget {
    /// Memory the process running the stack keeps for itself under a Lambda's memory size.
    pub const LAMBDA_PARENT_RESERVE_MB: u64 = 384;
    /// The memory budget off Lambda.
    pub const DEFAULT_MEMORY_MB: u64 = 1024;
    pub const DEFAULT_WALL: Duration = Duration::from_secs(120);

    /// The default budget: on Lambda (`lambda_memory_mb` is AWS_LAMBDA_FUNCTION_MEMORY_SIZE), the
    /// function's memory less what the parent keeps, so a worker fails before the sandbox is killed;
    /// elsewhere [`Self::DEFAULT_MEMORY_MB`]. CPU time is the wall time on every core, so a read using
    /// all cores is stopped by the wall clock first.
    pub fn default_for(lambda_memory_mb: Option<u64>, cores: usize) -> Self {
        let memory_mb = match lambda_memory_mb {
            Some(total) => total
                .saturating_sub(Self::LAMBDA_PARENT_RESERVE_MB)
                .max(256),
            None => Self::DEFAULT_MEMORY_MB,
        };
        Self {
            memory_bytes: memory_mb << 20,
            wall: Self::DEFAULT_WALL,
            cpu: Self::DEFAULT_WALL * cores.max(1) as u32,
        }
    }

    pub fn memory_mb(&self) -> u64 {
        self.memory_bytes >> 20
    }
}

/// How to start a reader worker: a program that, run with `args`, serves documents with
/// [`crate::isolation::serve`] (usually this executable, re-run with a worker argument), plus variables
/// it needs to build the same reader as its parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerCommand {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    pub env: Vec<(OsString, OsString)>,
}

impl WorkerCommand {
    pub fn new(
        program: impl Into<PathBuf>,
        args: impl IntoIterator<Item = impl Into<OsString>>,
    ) -> Self {
        Self {
            program: program.into(),
            args: args.into_iter().map(Into::into).collect(),
            env: Vec::new(),
        }
    }

    /// This executable, run with `args`.
    pub fn current_exe(
        args: impl IntoIterator<Item = impl Into<OsString>>,
    ) -> std::io::Result<Self> {
        Ok(Self::new(std::env::current_exe()?, args))
    }

    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_lambda_the_budget_leaves_room_for_the_parent() {
        let b = ReadBudget::default_for(Some(2048), 2);
        assert_eq!(b.memory_mb(), 2048 - ReadBudget::LAMBDA_PARENT_RESERVE_MB);
        assert_eq!(b.cpu, ReadBudget::DEFAULT_WALL * 2);
        assert_eq!(ReadBudget::default_for(Some(128), 1).memory_mb(), 256);
        assert_eq!(
            ReadBudget::default_for(None, 0).memory_mb(),
            ReadBudget::DEFAULT_MEMORY_MB
        );
        assert_eq!(
            ReadBudget::default_for(None, 0).cpu,
            ReadBudget::DEFAULT_WALL
        );
    }
}
