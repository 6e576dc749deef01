//! The transactional outbox: nothing is lost when mail, notifications or storage fail, nothing
//! is sent twice, and nothing is sent for a change that was not committed.

use order_messages_tests::*;

#[test]
fn mail_that_fails_stays_pending_until_delivered_once() {
    let (world, mut s) = marketplace();
    world.platform.mail.fail_always(Fault::Unavailable);
    let message = post(&mut s, &world.actor(ALICE), ALICE_ACME_ORDER, "Hello?");
    assert_eq!(message.seq, 1, "the post itself succeeds");
    assert_eq!(world.platform.mail.count(), 0);
    let (pending, next) = ok(s.list_outbox(false, None, 100));
    assert_eq!(next, None);
    let mails: Vec<&OutboxEntry> = pending
        .iter()
        .filter(|e| e.kind == OutboxKind::Mail)
        .collect();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].attempts, 1);
    assert_eq!(mails[0].order_id, ALICE_ACME_ORDER);
    assert_eq!(mails[0].recipients, [ANNA]);
    assert_eq!(mails[0].summary, "New message about order 1001");
    assert!(mails[0].last_error.as_deref().unwrap().contains("injected"));

    // Still failing: deferred again, kept.
    let report = ok(s.deliver_pending(100));
    assert_eq!((report.delivered, report.deferred), (0, 1));

    // The mail server is back: delivered exactly once, under the key the entry lists.
    world.platform.mail.recover();
    let report = drain(&mut s);
    assert_eq!((report.delivered, report.deferred, report.dead), (1, 0, 0));
    let sent = world.platform.mail.all();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].idempotency_key, mails[0].key);
    assert_eq!(sent[0].recipients, [ANNA]);
    assert!(ok(s.list_outbox(false, None, 100)).0.is_empty());
    assert_eq!(drain(&mut s).delivered, 0);
    assert!(world.platform.mail.duplicates().is_empty());
}

#[test]
fn refused_deliveries_become_dead_letters_and_are_not_retried() {
    let (world, mut s) = marketplace();
    world.platform.notifications.fail_always(Fault::Rejected);
    post(&mut s, &world.actor(ALICE), ALICE_ACME_ORDER, "Hello?");
    assert_eq!(
        world.platform.mail.count(),
        1,
        "mail is independent of notifications"
    );
    let (dead, _) = ok(s.list_outbox(true, None, 100));
    assert!(!dead.is_empty());
    assert!(
        dead.iter()
            .all(|e| e.kind == OutboxKind::Notification && e.attempts == 1)
    );
    assert!(ok(s.list_outbox(false, None, 100)).0.is_empty());
    world.platform.notifications.recover();
    assert_eq!(drain(&mut s).delivered, 0);
    assert_eq!(world.platform.notifications.count(), 0);
}

#[test]
fn a_failing_store_loses_nothing_whichever_call_fails() {
    // Count the storage calls of one post on a fresh store, then fail each one in turn.
    let body = "Is it shipped?";
    let calls = {
        let (world, mut s) = marketplace();
        world.platform.storage.reset_stats();
        post(&mut s, &world.actor(ALICE), ALICE_ACME_ORDER, body);
        let st = world.platform.storage.stats();
        (st.gets + st.get_manys + st.scans + st.commits) as u32
    };
    assert!(
        calls >= 4,
        "a post makes several storage calls, saw {calls}"
    );
    for failing in 0..calls {
        for fault in [Fault::Unavailable, Fault::Rejected] {
            let (world, mut s) = marketplace();
            let before = world.platform.storage.dump();
            world.platform.storage.fail_after(failing, 1, fault);
            let mut committed = false;
            let outcome = s
                .post(
                    &world.actor(ALICE),
                    &PostRequest::new(ALICE_ACME_ORDER, body),
                )
                .expect("no trap");
            world.platform.storage.recover();
            match outcome {
                Err(e) => {
                    assert_eq!(e.kind(), "storage", "call {failing}: {}", e.describe());
                    assert_eq!(
                        world.platform.storage.dump(),
                        before,
                        "call {failing}: state changed"
                    );
                    assert_eq!(
                        world.platform.mail.count(),
                        0,
                        "call {failing}: mail for nothing"
                    );
                    assert_eq!(world.platform.notifications.count(), 0);
                }
                Ok(message) => {
                    // The failure hit after the commit (delivery bookkeeping): the message is
                    // there once, and its mail goes out once, now or from the outbox.
                    committed = true;
                    assert_eq!(message.seq, 1);
                    drain(&mut s);
                    assert_eq!(world.platform.mail.count(), 1, "call {failing}");
                }
            }
            // Either way, the same post now works and everything adds up.
            let thread =
                ok(s.read_thread(&world.actor(ANNA), &ThreadRequest::new(ALICE_ACME_ORDER)));
            let expected = if thread.message_count == 1 { 1 } else { 0 };
            if expected == 0 {
                post(&mut s, &world.actor(ALICE), ALICE_ACME_ORDER, body);
            }
            drain(&mut s);
            assert_eq!(unread(&mut s, &world.actor(ANNA), ALICE_ACME_ORDER), 1);
            assert_eq!(world.platform.mail.count(), 1, "call {failing}");
            // If recording a delivery failed, the entry is offered again under the same key,
            // which the host drops (at most once per key); otherwise nothing is offered twice.
            let repeats = world.platform.mail.duplicates().len();
            assert!(
                repeats <= usize::from(committed),
                "call {failing}: {repeats} repeats"
            );
        }
    }
}

#[test]
fn an_idempotent_retry_returns_the_same_message_and_adds_nothing() {
    let (world, mut s) = marketplace();
    let alice = world.actor(ALICE);
    let request = PostRequest::new(ALICE_ACME_ORDER, "Refund please").with_key("req-42");
    let first = ok(s.post(&alice, &request));
    let dump = world.platform.storage.dump();
    let mails = world.platform.mail.count();
    let again = ok(s.post(&alice, &request));
    assert_eq!(again, first);
    assert_eq!(world.platform.storage.dump(), dump);
    assert_eq!(world.platform.mail.count(), mails);
    assert_eq!(unread(&mut s, &world.actor(ANNA), ALICE_ACME_ORDER), 1);
    // Keys belong to their author: another user's same key is a different post.
    let bob_request = PostRequest::new(BOB_ACME_ORDER, "Refund please").with_key("req-42");
    assert_eq!(
        ok(s.post(&world.actor(BOB), &bob_request)).order_id,
        BOB_ACME_ORDER
    );
}
