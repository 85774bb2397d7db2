//! `pagewire dev`'s queue consumers: what Lambda's event source mapping and its concurrent invocations do on
//! AWS. Each queue has up to `concurrency` messages in hand, each handled as its own one-record invocation
//! in its own task, so one slow document or one hanging receiver holds one slot, never the messages
//! received beside it; a slot that frees is refilled by the next receive at once.
//!
//! A received message is held by a [`Lease`]. Settled, its fate is the handler's (deleted, or left with the
//! visibility the handler set). Dropped unsettled (its handling panicked, or the consumer itself died), it
//! is made visible again at once: a crash never strands a message until its visibility timeout, and a
//! message that crashes every time reaches the dead-letter queue after `maxReceiveCount` receives.

use crate::backend::LocalQueue;
use crate::functions::Functions;
use crate::pump::{handle_message, Consumer, BATCH_SIZE};
use pagewire_core::ports::QueueMessage;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tracing::Instrument;

/// Where a [`FaultHook`] is called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultPoint {
    /// In the consumer's loop, right after a receive, with the batch in hand.
    Received,
    /// In a message's own task, before its handler runs.
    Handling,
}

/// Test hook: called at each [`FaultPoint`]; a hook that panics stands for a bug in the consumer.
pub type FaultHook = Arc<dyn Fn(Consumer, FaultPoint) + Send + Sync>;

/// How one queue is consumed.
#[derive(Clone)]
pub struct ConsumerConfig {
    pub consumer: Consumer,
    pub queue_name: &'static str,
    /// Messages handled at the same time.
    pub concurrency: usize,
    /// How often to look for delayed messages that became due when nothing wakes the consumer.
    pub poll: Duration,
    pub fault: Option<FaultHook>,
}

/// A received message until its fate is settled; see the module's documentation.
pub struct Lease {
    queue: Arc<dyn LocalQueue>,
    message: QueueMessage,
    settled: bool,
}

impl Lease {
    pub fn new(queue: Arc<dyn LocalQueue>, message: QueueMessage) -> Self {
        Self {
            queue,
            message,
            settled: false,
        }
    }

    pub fn message(&self) -> &QueueMessage {
        &self.message
    }

    /// The handler decided: delete the message when `done`, else leave it as the handler left it.
    pub async fn settle(mut self, done: bool, queue_name: &str) {
        self.settled = true;
        if done {
            if let Err(err) = self.queue.delete(&self.message.receipt_handle).await {
                tracing::warn!(error = %err, queue = queue_name, "delete failed; the message will be seen again");
            }
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (queue, receipt) = (self.queue.clone(), self.message.receipt_handle.clone());
        let message_id = self.message.message_id.clone();
        tracing::warn!(%message_id, "message handling did not finish; returning it to the queue");
        runtime.spawn(async move {
            if let Err(err) = queue.change_visibility(&receipt, Duration::ZERO).await {
                tracing::warn!(error = %err, %message_id, "could not return the message; its visibility timeout will");
            }
        });
    }
}

/// Consumes `queue` into the consumer's handler until `shutdown`; then lets the messages in hand finish.
pub async fn consume(
    functions: Arc<Functions>,
    queue: Arc<dyn LocalQueue>,
    wake: Option<Arc<Notify>>,
    config: ConsumerConfig,
    mut shutdown: watch::Receiver<bool>,
) {
    let wake = wake.unwrap_or_default();
    let slots = Arc::new(Semaphore::new(config.concurrency.max(1)));
    let mut running: JoinSet<()> = JoinSet::new();
    loop {
        reap(&mut running, config.queue_name);
        if *shutdown.borrow() {
            break;
        }
        let first = tokio::select! {
            permit = slots.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            _ = shutdown.changed() => break,
        };
        let mut permits = vec![first];
        while permits.len() < BATCH_SIZE {
            match slots.clone().try_acquire_owned() {
                Ok(permit) => permits.push(permit),
                Err(_) => break,
            }
        }
        let received = queue
            .receive(permits.len(), config.consumer.visibility_timeout())
            .await;
        let messages = match received {
            Ok(messages) if !messages.is_empty() => messages,
            other => {
                if let Err(err) = other {
                    tracing::warn!(error = %err, queue = config.queue_name, "receive failed");
                }
                drop(permits);
                tokio::select! {
                    _ = wake.notified() => {}
                    _ = tokio::time::sleep(config.poll) => {}
                    _ = shutdown.changed() => break,
                }
                continue;
            }
        };
        let leases: Vec<Lease> = messages
            .into_iter()
            .map(|m| Lease::new(queue.clone(), m))
            .collect();
        if let Some(fault) = &config.fault {
            fault(config.consumer, FaultPoint::Received);
        }
        for (lease, permit) in leases.into_iter().zip(permits) {
            let span = tracing::info_span!("queue_message", queue = config.queue_name, message_id = %lease.message().message_id);
            running
                .spawn(handle(functions.clone(), config.clone(), lease, permit).instrument(span));
        }
    }
    // Shutdown: the messages in hand finish and settle, as one invocation finishes its batch.
    while let Some(result) = running.join_next().await {
        log_panic(result, config.queue_name);
    }
}

async fn handle(
    functions: Arc<Functions>,
    config: ConsumerConfig,
    lease: Lease,
    _slot: OwnedSemaphorePermit,
) {
    if let Some(fault) = &config.fault {
        fault(config.consumer, FaultPoint::Handling);
    }
    let done = handle_message(
        &functions,
        config.queue_name,
        config.consumer,
        lease.message(),
    )
    .await;
    lease.settle(done, config.queue_name).await;
}

/// Collects finished message tasks, logging the ones that panicked (their leases returned the messages).
fn reap(running: &mut JoinSet<()>, queue_name: &str) {
    while let Some(result) = running.try_join_next() {
        log_panic(result, queue_name);
    }
}

fn log_panic(result: Result<(), tokio::task::JoinError>, queue_name: &str) {
    if let Err(err) = result {
        if err.is_panic() {
            tracing::error!(
                queue = queue_name,
                "a message's handling panicked; the message is back on the queue"
            );
        }
    }
}
