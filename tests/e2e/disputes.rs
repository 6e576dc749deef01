//! Disputes: open, close, re-open, system messages, history, and staff joining the
//! conversation.

use order_messages_tests::*;

#[test]
fn open_close_and_reopen_with_system_messages_and_history() {
    let (world, mut s) = marketplace();
    let (alice, anna, sam) = (world.actor(ALICE), world.actor(ANNA), world.actor(SAM));
    let order = ALICE_ACME_ORDER;
    post(&mut s, &alice, order, "The drill is broken");
    assert_eq!(ok(s.current_dispute(&alice, order)), None);

    // The customer opens a dispute: a system message names who and why.
    world.platform.clock.advance_millis(1_000);
    let opened = ok(s.open_dispute(&alice, order, "  Broken on arrival  "));
    assert_eq!(opened.number, 1);
    assert_eq!(opened.reason, "Broken on arrival");
    assert_eq!(opened.opened_by.id, ALICE);
    assert_eq!(opened.opened_by.name, "Alice");
    assert_eq!(opened.closed, None);
    assert_eq!(ok(s.current_dispute(&anna, order)), Some(opened.clone()));
    let page = ok(s.read_thread(&anna, &ThreadRequest::new(order)));
    assert!(page.dispute_open);
    let system = page.messages.last().unwrap();
    assert_eq!(system.seq, 2);
    assert_eq!(system.kind, MessageKind::DisputeOpened);
    assert_eq!(system.author_id, ALICE);
    assert!(system.body.contains("Alice"), "{}", system.body);
    assert!(system.body.contains("Broken on arrival"), "{}", system.body);
    assert_eq!(unread(&mut s, &anna, order), 2);
    assert_eq!(unread(&mut s, &alice, order), 0);

    // Staff close it with a resolution.
    world.platform.clock.advance_millis(1_000);
    let closed = ok(s.close_dispute(&sam, order, Some("Replacement shipped")));
    let closure = closed.closed.clone().expect("closed");
    assert_eq!(closure.by.id, SAM);
    assert_eq!(closure.resolution, "Replacement shipped");
    assert!(closure.at >= opened.opened_at);
    assert_eq!(ok(s.current_dispute(&alice, order)), None);
    let page = ok(s.read_thread(&alice, &ThreadRequest::new(order).newest_first()));
    assert!(!page.dispute_open);
    let system = &page.messages[0];
    assert_eq!(system.kind, MessageKind::DisputeClosed);
    assert!(system.body.contains("Sam") && system.body.contains("Replacement shipped"));

    // It can be disputed again; history keeps both, oldest first.
    let again = ok(s.open_dispute(&sam, order, "Replacement also broken"));
    assert_eq!(again.number, 2);
    let history = ok(s.dispute_history(&anna, order));
    assert_eq!(history.len(), 2);
    assert_eq!(history[0], closed);
    assert_eq!(history[1], again);
    // A close without a note.
    let closed_again = ok(s.close_dispute(&alice, order, None));
    assert_eq!(closed_again.closed.unwrap().resolution, "");
    assert_eq!(
        ok(s.read_thread(&alice, &ThreadRequest::new(order))).message_count,
        5
    );
}

#[test]
fn a_dispute_can_open_a_thread() {
    let (world, mut s) = marketplace();
    let bob = world.actor(BOB);
    ok(s.open_dispute(&bob, BOB_ACME_ORDER, "Never arrived"));
    let page = ok(s.read_thread(&bob, &ThreadRequest::new(BOB_ACME_ORDER)));
    assert_eq!(page.message_count, 1);
    assert_eq!(page.messages[0].kind, MessageKind::DisputeOpened);
    let rows = list_all(&mut s, &world.actor(ANNA), Query::open_disputes(), 10);
    assert_eq!(order_ids(&rows), [BOB_ACME_ORDER]);
}

#[test]
fn open_and_close_refuse_the_wrong_state_and_vendors() {
    let (world, mut s) = marketplace();
    let (alice, anna) = (world.actor(ALICE), world.actor(ANNA));
    let order = ALICE_ACME_ORDER;
    refused_without_change(&world.platform, "invalid-state", || {
        s.close_dispute(&alice, order, None)
    });
    ok(s.open_dispute(&alice, order, "Late"));
    refused_without_change(&world.platform, "invalid-state", || {
        s.open_dispute(&alice, order, "Still late")
    });
    refused_without_change(&world.platform, "forbidden", || {
        s.close_dispute(&anna, order, Some("Fixed"))
    });
    refused_without_change(&world.platform, "forbidden", || {
        s.open_dispute(&anna, ALICE_ACME_ORDER, "Customer is rude")
    });
}

#[test]
fn while_a_dispute_is_open_staff_receive_every_message() {
    let (world, mut s) = marketplace();
    let (alice, anna, sam) = (world.actor(ALICE), world.actor(ANNA), world.actor(SAM));
    let order = ALICE_ACME_ORDER;
    let mail = &world.platform.mail;

    // Separate shops, no dispute: the vendor answers, staff only supervise (no mail).
    post(&mut s, &alice, order, "Hello");
    let sent = mail.take_new();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].recipients, [ANNA]);

    // With a dispute open, staff are part of the conversation.
    ok(s.open_dispute(&alice, order, "No answer"));
    let sent = mail.take_new();
    assert_eq!(sent.len(), 1);
    assert_eq!(sorted(&sent[0].recipients), sorted(&[ANNA, SAM, SARA]));
    post(&mut s, &anna, order, "Sorry, shipping now");
    let sent = mail.take_new();
    assert_eq!(sorted(&sent[0].recipients), sorted(&[ALICE, SAM, SARA]));

    // Closing tells the other parties (not the closer's fellow staff); afterwards staff are
    // out of the mail again.
    ok(s.close_dispute(&sam, order, Some("Shipped")));
    let sent = mail.take_new();
    assert_eq!(sorted(&sent[0].recipients), sorted(&[ALICE, ANNA]));
    post(&mut s, &alice, order, "Thanks");
    let sent = mail.take_new();
    assert_eq!(sent[0].recipients, [ANNA]);
}

fn sorted(users: &[impl ToString]) -> Vec<String> {
    let mut users: Vec<String> = users.iter().map(ToString::to_string).collect();
    users.sort();
    users
}
