//! SQS's retry delays kept in the stack's clock time, for tests that step a manual clock on the AWS
//! backend. A failed delivery makes its message visible again after a delay (ChangeMessageVisibility);
//! the emulator counts that delay in real seconds, which a test on a manual clock neither waits for nor
//! may see elapse early. This queue, put between the delivery consumer and the real queue, hides such a
//! message for SQS's longest timeout instead and makes it visible (timeout zero, through its receipt
//! handle) at the first receive once the clock has reached the delay asked for. Every call still goes to
//! the real queue, so receive counts, deletes and the redrive policy stay the emulator's.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pagewire_cli::backend::LocalQueue;
use pagewire_core::ports::{MessageSink, QueueConsumer, QueueMessage, MAX_VISIBILITY};
use pagewire_core::{Clock, StoreError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct ClockedQueue {
    inner: Arc<dyn LocalQueue>,
    clock: Arc<dyn Clock>,
    /// Receipt handles of the messages put back with a delay, and the clock time each is due at.
    parked: Mutex<Vec<(String, DateTime<Utc>)>>,
}

impl ClockedQueue {
    pub fn new(inner: Arc<dyn LocalQueue>, clock: Arc<dyn Clock>) -> Self {
        Self {
            inner,
            clock,
            parked: Mutex::new(Vec::new()),
        }
    }

    /// Makes visible every parked message whose delay has passed on the clock.
    async fn release_due(&self) -> Result<(), StoreError> {
        let now = self.clock.now();
        let due: Vec<String> = {
            let mut parked = self.parked.lock().unwrap();
            let (due, waiting) = parked.drain(..).partition(|(_, at)| *at <= now);
            *parked = waiting;
            due.into_iter().map(|(receipt, _)| receipt).collect()
        };
        for receipt in due {
            self.inner
                .change_visibility(&receipt, Duration::ZERO)
                .await?;
        }
        Ok(())
    }

    fn forget(&self, receipt_handles: &[String]) {
        self.parked
            .lock()
            .unwrap()
            .retain(|(receipt, _)| !receipt_handles.contains(receipt));
    }
}

#[async_trait]
impl QueueConsumer for ClockedQueue {
    async fn receive(
        &self,
        max: usize,
        visibility_timeout: Duration,
    ) -> Result<Vec<QueueMessage>, StoreError> {
        self.release_due().await?;
        self.inner.receive(max, visibility_timeout).await
    }

    async fn delete(&self, receipt_handle: &str) -> Result<(), StoreError> {
        self.forget(&[receipt_handle.to_string()]);
        self.inner.delete(receipt_handle).await
    }

    async fn delete_batch(&self, receipt_handles: &[String]) -> Result<(), StoreError> {
        self.forget(receipt_handles);
        self.inner.delete_batch(receipt_handles).await
    }
}

#[async_trait]
impl MessageSink for ClockedQueue {
    async fn send(&self, body: &str, delay: Duration) -> Result<(), StoreError> {
        self.inner.send(body, delay).await
    }

    async fn send_for(&self, owner: &str, body: &str, delay: Duration) -> Result<(), StoreError> {
        self.inner.send_for(owner, body, delay).await
    }

    async fn change_visibility(
        &self,
        receipt_handle: &str,
        timeout: Duration,
    ) -> Result<(), StoreError> {
        self.forget(&[receipt_handle.to_string()]);
        if timeout.is_zero() {
            return self.inner.change_visibility(receipt_handle, timeout).await;
        }
        let due = chrono::Duration::from_std(timeout)
            .ok()
            .and_then(|delay| self.clock.now().checked_add_signed(delay))
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        self.parked
            .lock()
            .unwrap()
            .push((receipt_handle.to_string(), due));
        // Hidden for as long as SQS allows: real time never brings it back before the clock does.
        self.inner
            .change_visibility(receipt_handle, MAX_VISIBILITY)
            .await
    }
}
