//! A queue ([`MessageSink`], [`QueueConsumer`]) on SQLite with SQS's semantics: at-least-once, delayed sends, visibility timeouts,
//! receipt handles that name one receipt, and a dead-letter queue after `max_receive_count` receives.
//!
//! Every visibility decision reads the injected [`Clock`], never the system time, so tests drive
//! redelivery with a `ManualClock` instead of sleeping.

use crate::db::{execute_cached, query_row_cached, Db, DbError};
use async_trait::async_trait;
use pagewire_core::ports::{MessageSink, QueueConsumer, QueueMessage, MAX_VISIBILITY};
use pagewire_core::{Clock, StoreError};
use rusqlite::params;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::futures::Notified;
use tokio::sync::Notify;
use uuid::Uuid;

/// The queue S3 "object created" notifications go to.
pub const PROCESS_QUEUE: &str = "process";
/// The queue of delivery tasks, one per event and endpoint.
pub const DELIVERY_QUEUE: &str = "delivery";
/// Receives of one processing message before it is dead-lettered (the AWS stack's redrive policy).
pub const PROCESS_MAX_RECEIVE_COUNT: u32 = 5;
/// Receives of one delivery task before it is dead-lettered; higher because a delivery's retries span
/// hours and a receiver outage should not bury tasks.
pub const DELIVERY_MAX_RECEIVE_COUNT: u32 = 8;
/// The suffix that names a queue's dead-letter queue (`process` -> `process-dlq`).
const DEAD_LETTER_SUFFIX: &str = "-dlq";

/// One named queue in the shared `messages` table; its dead letters are rows of the `<name>-dlq` queue.
pub struct SqliteQueue {
    db: Arc<Db>,
    name: String,
    dead_letter_name: String,
    max_receive_count: u32,
    clock: Arc<dyn Clock>,
    notify: Arc<Notify>,
}

impl fmt::Debug for SqliteQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteQueue")
            .field("name", &self.name)
            .field("max_receive_count", &self.max_receive_count)
            .finish_non_exhaustive()
    }
}

impl SqliteQueue {
    pub(crate) fn new(
        db: Arc<Db>,
        name: &str,
        max_receive_count: u32,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            db,
            name: name.to_string(),
            dead_letter_name: format!("{name}{DEAD_LETTER_SUFFIX}"),
            max_receive_count,
            clock,
            notify: Arc::new(Notify::new()),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn max_receive_count(&self) -> u32 {
        self.max_receive_count
    }

    /// Resolves on the next `send` to this queue, or at once if a send happened since the last waiter was
    /// woken (a stored permit). So a consumer that finds the queue empty and then waits cannot miss a message
    /// sent in between; at worst it wakes once for nothing.
    ///
    /// Only sends through this process's `SqliteQueue` wake it, and a delayed message wakes it before it is
    /// visible: consumers should still wait with a timeout (`tokio::time::timeout`) and poll on expiry.
    pub fn notified(&self) -> Notified<'_> {
        self.notify.notified()
    }

    /// The signal behind [`Self::notified`], for a consumer that holds the queue only as a port.
    pub fn notifier(&self) -> Arc<Notify> {
        self.notify.clone()
    }

    /// Bodies of the messages moved to this queue's dead-letter queue, oldest first.
    pub async fn dead_letters(&self) -> Result<Vec<String>, StoreError> {
        let dlq = self.dead_letter_name.clone();
        self.db
            .run(move |conn| {
                let mut stmt =
                    conn.prepare_cached("SELECT body FROM messages WHERE queue = ?1 ORDER BY seq")?;
                let bodies = stmt.query_map(params![dlq], |row| row.get::<_, String>(0))?;
                Ok(bodies.collect::<Result<Vec<_>, _>>()?)
            })
            .await
    }

    /// Messages not yet deleted, visible or in flight; dead letters are not counted.
    pub async fn depth(&self) -> Result<usize, StoreError> {
        let name = self.name.clone();
        self.db
            .run(move |conn| {
                let count: i64 = query_row_cached(
                    conn,
                    "SELECT COUNT(*) FROM messages WHERE queue = ?1",
                    params![name],
                    |row| row.get(0),
                )?;
                Ok(usize::try_from(count).unwrap_or(0))
            })
            .await
    }

    fn now_ms(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }
}

/// Milliseconds after `now_ms`, saturating: an absurd delay means "never", not an overflow.
fn after(now_ms: i64, delay: Duration) -> i64 {
    now_ms.saturating_add(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX))
}

/// A receipt handle names the message's row and one receive of it: `<seq>.<uuid>`. Finding the row by its
/// key, not by an index on the handle, keeps every send, receive and delete from updating one more index.
/// The whole handle is still compared, so a handle of an earlier receive changes nothing.
#[derive(Debug, Clone)]
struct Receipt {
    seq: i64,
    handle: String,
}

impl Receipt {
    fn new(seq: i64) -> Self {
        Self {
            seq,
            handle: format!("{seq}.{}", Uuid::new_v4()),
        }
    }

    /// `None` for a handle this queue never gave out: it matches no message.
    fn parse(handle: &str) -> Option<Self> {
        let (seq, _) = handle.split_once('.')?;
        Some(Self {
            seq: seq.parse().ok()?,
            handle: handle.to_string(),
        })
    }
}

/// What one receive does with a visible message.
enum Fate {
    Deliver { seq: i64, receive_count: u32 },
    DeadLetter { seq: i64, message_id: String },
}

#[async_trait]
impl MessageSink for SqliteQueue {
    /// The delay is not capped at SQS's 15 minutes: a longer one is honoured rather than refused.
    async fn send(&self, body: &str, delay: Duration) -> Result<(), StoreError> {
        self.send_for("", body, delay).await
    }

    /// Fair between owners: each message gets a turn, the next of its owner's, but never earlier than the
    /// turn being served now (the lowest among visible messages), and receives go by turn. So a newcomer's
    /// message is served among the next ones whatever another owner's backlog (start-time fair queueing).
    async fn send_for(&self, owner: &str, body: &str, delay: Duration) -> Result<(), StoreError> {
        let (name, owner, body, id) = (
            self.name.clone(),
            owner.to_string(),
            body.to_string(),
            Uuid::new_v4().to_string(),
        );
        let now = self.now_ms();
        let visible_at = after(now, delay);
        self.db
            .run(move |conn| {
                conn.prepare_cached(
                    "INSERT INTO messages
                       (queue, message_id, body, visible_at_ms, receive_count, created_at_ms, owner, turn)
                     VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6, MAX(
                       COALESCE((SELECT MAX(turn) FROM messages WHERE queue = ?1 AND owner = ?6), -1) + 1,
                       COALESCE((SELECT turn FROM messages INDEXED BY messages_turn
                                 WHERE queue = ?1 AND visible_at_ms <= ?5
                                 ORDER BY turn, seq LIMIT 1), 0)))",
                )?
                .execute(params![name, id, body, visible_at, now, owner])?;
                Ok(())
            })
            .await?;
        // Wake current waiters, and leave a permit for a consumer that is between a receive and its wait.
        self.notify.notify_waiters();
        self.notify.notify_one();
        Ok(())
    }

    /// Like `delete`, a stale receipt changes nothing. The timeout is clamped to 12 hours.
    async fn change_visibility(
        &self,
        receipt_handle: &str,
        timeout: Duration,
    ) -> Result<(), StoreError> {
        let Some(receipt) = Receipt::parse(receipt_handle) else {
            return Ok(());
        };
        let name = self.name.clone();
        let visible_at = after(self.now_ms(), timeout.min(MAX_VISIBILITY));
        self.db
            .run(move |conn| {
                execute_cached(
                    conn,
                    "UPDATE messages SET visible_at_ms = ?1
                     WHERE seq = ?2 AND queue = ?3 AND receipt_handle = ?4",
                    params![visible_at, receipt.seq, name, receipt.handle],
                )?;
                Ok(())
            })
            .await
    }
}

#[async_trait]
impl QueueConsumer for SqliteQueue {
    /// Up to `max` visible messages, by turn (see `send_for`), then oldest first. A message whose receive count would pass
    /// `max_receive_count` goes to the dead-letter queue instead and does not use up one of the `max`.
    async fn receive(
        &self,
        max: usize,
        visibility_timeout: Duration,
    ) -> Result<Vec<QueueMessage>, StoreError> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let (name, dlq, limit) = (
            self.name.clone(),
            self.dead_letter_name.clone(),
            self.max_receive_count,
        );
        let now = self.now_ms();
        let hidden_until = after(now, visibility_timeout.min(MAX_VISIBILITY));
        self.db
            .run(move |conn| {
                // Decide first, write after: updating rows while scanning the index they move in could
                // visit a row twice.
                let fates = {
                    let mut stmt = conn.prepare_cached(
                        // Walking the turn index stops after `max` rows; left to itself the planner
                        // could pick another plan that sorts every visible row (a deep backlog then
                        // made each receive and send cost more).
                        "SELECT seq, receive_count, message_id FROM messages INDEXED BY messages_turn
                         WHERE queue = ?1 AND visible_at_ms <= ?2
                         ORDER BY turn, seq",
                    )?;
                    let mut rows = stmt.query(params![name, now])?;
                    let (mut fates, mut delivering) = (Vec::new(), 0);
                    while delivering < max {
                        let Some(row) = rows.next()? else { break };
                        let seq: i64 = row.get(0)?;
                        let receive_count = row.get::<_, u32>(1)?.saturating_add(1);
                        if receive_count > limit {
                            fates.push(Fate::DeadLetter { seq, message_id: row.get(2)? });
                        } else {
                            delivering += 1;
                            fates.push(Fate::Deliver { seq, receive_count });
                        }
                    }
                    fates
                };
                let (mut messages, mut dead) = (Vec::new(), Vec::new());
                for fate in fates {
                    match fate {
                        Fate::DeadLetter { seq, message_id } => {
                            // The count restarts so that a consumer of the dead-letter queue gets a fresh budget.
                            execute_cached(conn,
                                "UPDATE messages SET queue = ?1, receive_count = 0, receipt_handle = NULL,
                                 visible_at_ms = ?2 WHERE seq = ?3",
                                params![dlq, now, seq],
                            )?;
                            dead.push(message_id);
                        }
                        Fate::Deliver { seq, receive_count } => {
                            let receipt_handle = Receipt::new(seq).handle;
                            let (message_id, body): (String, String) = query_row_cached(conn,
                                "UPDATE messages SET receive_count = ?1, visible_at_ms = ?2, receipt_handle = ?3
                                 WHERE seq = ?4 RETURNING message_id, body",
                                params![receive_count, hidden_until, receipt_handle, seq],
                                |row| Ok((row.get(0)?, row.get(1)?)),
                            )?;
                            messages.push(QueueMessage { message_id, receipt_handle, body, receive_count });
                        }
                    }
                }
                // Ids only: bodies may hold customer data.
                for message_id in dead {
                    tracing::warn!(queue = %name, %message_id, max_receive_count = limit, "message dead-lettered");
                }
                Ok::<_, DbError>(messages)
            })
            .await
    }

    /// Deletes the message only while `receipt_handle` is its latest receipt; a stale one is ignored, as
    /// the message has been received again since and belongs to that consumer now.
    async fn delete(&self, receipt_handle: &str) -> Result<(), StoreError> {
        let Some(receipt) = Receipt::parse(receipt_handle) else {
            return Ok(());
        };
        let name = self.name.clone();
        self.db
            .run(move |conn| {
                execute_cached(
                    conn,
                    "DELETE FROM messages WHERE seq = ?1 AND queue = ?2 AND receipt_handle = ?3",
                    params![receipt.seq, name, receipt.handle],
                )?;
                Ok(())
            })
            .await
    }

    /// `delete` of each receipt, in one transaction.
    async fn delete_batch(&self, receipt_handles: &[String]) -> Result<(), StoreError> {
        let name = self.name.clone();
        let receipts: Vec<Receipt> = receipt_handles
            .iter()
            .filter_map(|handle| Receipt::parse(handle))
            .collect();
        self.db
            .run(move |conn| {
                {
                    let mut stmt = conn.prepare_cached(
                        "DELETE FROM messages WHERE seq = ?1 AND queue = ?2 AND receipt_handle = ?3",
                    )?;
                    for receipt in &receipts {
                        stmt.execute(params![receipt.seq, name, receipt.handle])?;
                    }
                }
                Ok(())
            })
            .await
    }
}
