use crate::fixtures::{env, env_with};
use chrono::Duration as Span;
use pagewire_core::ports::{MessageSink, QueueConsumer};
use pagewire_embedded::QueueLimits;
use std::time::Duration;

const VT: Duration = Duration::from_secs(30);

fn bodies(messages: &[pagewire_core::ports::QueueMessage]) -> Vec<&str> {
    messages.iter().map(|m| m.body.as_str()).collect()
}

#[tokio::test]
async fn a_delayed_message_is_invisible_until_the_delay_passes() {
    let env = env();
    let q = &env.backend.delivery_queue;
    q.send("later", Duration::from_secs(60)).await.unwrap();
    assert!(q.receive(10, VT).await.unwrap().is_empty());
    assert_eq!(q.depth().await.unwrap(), 1);
    env.advance(Span::seconds(59));
    assert!(q.receive(10, VT).await.unwrap().is_empty());
    env.advance(Span::seconds(1));
    let got = q.receive(10, VT).await.unwrap();
    assert_eq!(bodies(&got), vec!["later"]);
    assert_eq!(got[0].receive_count, 1);
}

#[tokio::test]
async fn one_owners_visible_messages_come_in_send_order_up_to_max() {
    let env = env();
    let q = &env.backend.process_queue;
    q.send("a", Duration::from_secs(5)).await.unwrap();
    q.send("b", Duration::ZERO).await.unwrap();
    q.send("c", Duration::from_secs(5)).await.unwrap();
    assert_eq!(bodies(&q.receive(2, VT).await.unwrap()), vec!["b"]);
    env.advance(Span::seconds(5));
    assert_eq!(bodies(&q.receive(2, VT).await.unwrap()), vec!["a", "c"]);
    assert!(q.receive(0, VT).await.unwrap().is_empty());
}

#[tokio::test]
async fn owners_are_served_in_turn_whatever_one_owners_backlog() {
    let env = env();
    let q = &env.backend.delivery_queue;
    for i in 0..50 {
        q.send_for("a", &format!("a{i}"), Duration::ZERO)
            .await
            .unwrap();
    }
    // A newcomer's first message is among the next served, not behind a's 50.
    q.send_for("b", "b0", Duration::ZERO).await.unwrap();
    q.send_for("b", "b1", Duration::ZERO).await.unwrap();
    assert_eq!(
        bodies(&q.receive(3, VT).await.unwrap()),
        vec!["a0", "b0", "a1"]
    );
    // The turn being served now is 1 (b1 waits): a third owner starts there, after b1 (sent earlier) and
    // before a's next, rather than at turn 0 ahead of everyone.
    q.send_for("c", "c0", Duration::ZERO).await.unwrap();
    assert_eq!(
        bodies(&q.receive(4, VT).await.unwrap()),
        vec!["b1", "c0", "a2", "a3"]
    );
    // Alone again, a's messages come in order.
    let rest = q.receive(10, VT).await.unwrap();
    assert_eq!(rest[0].body, "a4");
    assert_eq!(rest[9].body, "a13");
}

#[tokio::test]
async fn an_unacknowledged_message_comes_back_after_the_visibility_timeout() {
    let env = env();
    let q = &env.backend.process_queue;
    q.send("job", Duration::ZERO).await.unwrap();
    let first = q.receive(1, VT).await.unwrap();
    assert_eq!(first.len(), 1);
    env.advance(Span::seconds(29));
    assert!(q.receive(1, VT).await.unwrap().is_empty());
    env.advance(Span::seconds(1));
    let second = q.receive(1, VT).await.unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].receive_count, 2);
    assert_eq!(second[0].message_id, first[0].message_id);
    assert_ne!(second[0].receipt_handle, first[0].receipt_handle);
}

#[tokio::test]
async fn only_the_current_receipt_deletes() {
    let env = env();
    let q = &env.backend.process_queue;
    q.send("job", Duration::ZERO).await.unwrap();
    let stale = q.receive(1, VT).await.unwrap().remove(0);
    env.advance(Span::seconds(30));
    let current = q.receive(1, VT).await.unwrap().remove(0);

    q.delete(&stale.receipt_handle).await.unwrap();
    assert_eq!(q.depth().await.unwrap(), 1);
    q.delete(&current.receipt_handle).await.unwrap();
    assert_eq!(q.depth().await.unwrap(), 0);
    env.advance(Span::hours(1));
    assert!(q.receive(1, VT).await.unwrap().is_empty());
    // Deleting again, or with a receipt from another queue, is a no-op.
    q.delete(&current.receipt_handle).await.unwrap();
}

#[tokio::test]
async fn receipts_do_not_cross_queues() {
    let env = env();
    let (process, delivery) = (&env.backend.process_queue, &env.backend.delivery_queue);
    delivery.send("task", Duration::ZERO).await.unwrap();
    assert!(process.receive(10, VT).await.unwrap().is_empty());
    let task = delivery.receive(1, VT).await.unwrap().remove(0);
    process.delete(&task.receipt_handle).await.unwrap();
    assert_eq!(delivery.depth().await.unwrap(), 1);
}

#[tokio::test]
async fn change_visibility_moves_the_next_delivery() {
    let env = env();
    let q = &env.backend.delivery_queue;
    q.send("task", Duration::ZERO).await.unwrap();
    let m = q.receive(1, VT).await.unwrap().remove(0);

    // Released at once.
    q.change_visibility(&m.receipt_handle, Duration::ZERO)
        .await
        .unwrap();
    let m = q.receive(1, VT).await.unwrap().remove(0);
    assert_eq!(m.receive_count, 2);

    // Postponed beyond the receive's own timeout.
    q.change_visibility(&m.receipt_handle, Duration::from_secs(300))
        .await
        .unwrap();
    env.advance(Span::seconds(299));
    assert!(q.receive(1, VT).await.unwrap().is_empty());
    env.advance(Span::seconds(1));
    let m3 = q.receive(1, VT).await.unwrap().remove(0);

    // A stale receipt changes nothing.
    q.change_visibility(&m.receipt_handle, Duration::ZERO)
        .await
        .unwrap();
    assert!(q.receive(1, VT).await.unwrap().is_empty());

    // Clamped to 12 hours, as SQS allows no more.
    q.change_visibility(&m3.receipt_handle, Duration::from_secs(48 * 3600))
        .await
        .unwrap();
    env.advance(Span::hours(12) - Span::seconds(1));
    assert!(q.receive(1, VT).await.unwrap().is_empty());
    env.advance(Span::seconds(1));
    let m4 = q
        .receive(1, Duration::from_secs(48 * 3600))
        .await
        .unwrap()
        .remove(0);

    // A receive's own timeout is clamped the same way.
    env.advance(Span::hours(12) - Span::seconds(1));
    assert!(q.receive(1, VT).await.unwrap().is_empty());
    env.advance(Span::seconds(1));
    assert_eq!(q.receive(1, VT).await.unwrap()[0].message_id, m4.message_id);
}

#[tokio::test]
async fn a_message_received_too_often_is_dead_lettered() {
    let env = env_with(QueueLimits {
        process_max_receive_count: 3,
        delivery_max_receive_count: 8,
    });
    let q = &env.backend.process_queue;
    assert_eq!(q.max_receive_count(), 3);
    q.send("poison", Duration::ZERO).await.unwrap();
    q.send("fine", Duration::from_secs(1000)).await.unwrap();
    for n in 1..=3 {
        let got = q.receive(10, VT).await.unwrap();
        assert_eq!(bodies(&got), vec!["poison"]);
        assert_eq!(got[0].receive_count, n);
        env.advance(Span::seconds(30));
    }
    assert!(q.dead_letters().await.unwrap().is_empty());
    assert!(q.receive(10, VT).await.unwrap().is_empty());
    assert_eq!(q.dead_letters().await.unwrap(), vec!["poison".to_string()]);
    assert_eq!(q.depth().await.unwrap(), 1);

    // The dead letter does not come back, and does not hide the next message.
    env.advance(Span::seconds(1000));
    assert_eq!(bodies(&q.receive(10, VT).await.unwrap()), vec!["fine"]);
    assert!(env
        .backend
        .delivery_queue
        .dead_letters()
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn default_limits_match_the_aws_redrive_policies() {
    let env = env();
    assert_eq!(env.backend.process_queue.name(), "process");
    assert_eq!(env.backend.process_queue.max_receive_count(), 5);
    assert_eq!(env.backend.delivery_queue.name(), "delivery");
    assert_eq!(env.backend.delivery_queue.max_receive_count(), 8);

    let q = &env.backend.delivery_queue;
    q.send("task", Duration::ZERO).await.unwrap();
    for _ in 0..8 {
        assert_eq!(q.receive(1, VT).await.unwrap().len(), 1);
        env.advance(Span::seconds(30));
    }
    assert!(q.receive(1, VT).await.unwrap().is_empty());
    assert_eq!(q.dead_letters().await.unwrap(), vec!["task".to_string()]);
}

#[tokio::test]
async fn a_send_wakes_a_waiting_consumer() {
    let env = env();
    let q = env.backend.process_queue.clone();
    let consumer = tokio::spawn(async move {
        loop {
            let got = q.receive(1, VT).await.unwrap();
            if !got.is_empty() {
                return got[0].body.clone();
            }
            tokio::time::timeout(Duration::from_secs(30), q.notified())
                .await
                .expect("woken by the send");
        }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    env.backend
        .process_queue
        .send("wake", Duration::ZERO)
        .await
        .unwrap();
    let body = tokio::time::timeout(Duration::from_secs(10), consumer)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(body, "wake");
}

#[tokio::test]
async fn a_send_before_the_wait_is_not_missed() {
    let env = env();
    let q = &env.backend.process_queue;
    // The consumer found nothing, then a send happened before it started waiting.
    assert!(q.receive(1, VT).await.unwrap().is_empty());
    q.send("raced", Duration::ZERO).await.unwrap();
    tokio::time::timeout(Duration::from_secs(1), q.notified())
        .await
        .expect("permit left by the send");
}

#[tokio::test]
async fn delete_batch_removes_the_named_receipts_only() {
    let env = env();
    let q = &env.backend.delivery_queue;
    for body in ["a", "b", "c"] {
        q.send(body, Duration::ZERO).await.unwrap();
    }
    let got = q.receive(10, VT).await.unwrap();
    let done: Vec<String> = got[..2].iter().map(|m| m.receipt_handle.clone()).collect();
    q.delete_batch(&done).await.unwrap();
    // A stale receipt changes nothing, as with `delete`.
    q.delete_batch(&["no-such-receipt".to_string()])
        .await
        .unwrap();
    assert_eq!(q.depth().await.unwrap(), 1);
    env.advance(Span::seconds(30));
    assert_eq!(bodies(&q.receive(10, VT).await.unwrap()), vec!["c"]);
}
