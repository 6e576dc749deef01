//! Threads, posting, reading, and per-user unread state.

use order_messages_tests::*;

#[test]
fn a_story_of_unread_counts_for_every_party() {
    let (world, mut s) = marketplace();
    let (alice, anna, sam, sara) = (
        world.actor(ALICE),
        world.actor(ANNA),
        world.actor(SAM),
        world.actor(SARA),
    );
    let order = ALICE_ACME_ORDER;

    // Nothing yet.
    for who in [&alice, &anna, &sam] {
        assert_eq!(unread(&mut s, who, order), 0);
        assert_eq!(bell(&mut s, who), (0, 0));
    }

    // The customer writes: the vendor and the staff (who supervise) have one unread message.
    let first = post(&mut s, &alice, order, "Where is my parcel?");
    assert_eq!((first.seq, first.kind), (1, MessageKind::Text));
    assert_eq!(
        unread(&mut s, &alice, order),
        0,
        "own messages are never unread"
    );
    assert_eq!(unread(&mut s, &anna, order), 1);
    assert_eq!(unread(&mut s, &sam, order), 1);
    assert_eq!(bell(&mut s, &anna), (1, 0));
    assert_eq!(bell(&mut s, &alice), (0, 0));

    // A second message: two unread messages, still one unread thread.
    post(&mut s, &alice, order, "Hello?");
    assert_eq!(unread(&mut s, &anna, order), 2);
    assert_eq!(bell(&mut s, &anna), (1, 0));

    // The vendor answers: posting marks the thread read for the author.
    post(&mut s, &anna, order, "Shipped today.");
    assert_eq!(unread(&mut s, &anna, order), 0);
    assert_eq!(bell(&mut s, &anna), (0, 0));
    assert_eq!(unread(&mut s, &alice, order), 1);
    assert_eq!(bell(&mut s, &alice), (1, 0));
    assert_eq!(unread(&mut s, &sam, order), 3);

    // Opening the thread marks it read, and reports what was unread before.
    let page = ok(s.read_thread(&alice, &ThreadRequest::new(order).marking_read()));
    assert_eq!(page.unread_count, 1);
    assert_eq!(page.read_up_to, 2);
    assert_eq!(page.message_count, 3);
    assert_eq!(unread(&mut s, &alice, order), 0);
    assert_eq!(bell(&mut s, &alice), (0, 0));

    // Reading without marking leaves the count alone.
    let page = ok(s.read_thread(&sam, &ThreadRequest::new(order)));
    assert_eq!(page.unread_count, 3);
    assert_eq!(unread(&mut s, &sam, order), 3);

    // Each staff member has their own read state.
    ok(s.mark_read(&sam, order));
    assert_eq!(unread(&mut s, &sam, order), 0);
    assert_eq!(unread(&mut s, &sara, order), 3);
    assert_eq!(bell(&mut s, &sam), (0, 0));
    assert_eq!(bell(&mut s, &sara), (1, 0));

    // Mark unread again: the latest message counts as unread.
    ok(s.mark_unread(&sam, order));
    assert_eq!(unread(&mut s, &sam, order), 1);
    assert_eq!(bell(&mut s, &sam), (1, 0));
    // Marking twice changes nothing more.
    ok(s.mark_unread(&sam, order));
    assert_eq!(bell(&mut s, &sam), (1, 0));
}

#[test]
fn a_thread_reads_in_order_and_pages_both_ways_without_gaps() {
    let (world, mut s) = marketplace();
    let (alice, anna) = (world.actor(ALICE), world.actor(ANNA));
    for i in 1..=23 {
        let who = if i % 2 == 0 { &anna } else { &alice };
        world.platform.clock.advance_millis(1_000);
        post(&mut s, who, ALICE_ACME_ORDER, &format!("message {i}"));
    }
    for newest_first in [false, true] {
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let mut request = ThreadRequest::new(ALICE_ACME_ORDER)
                .with_limit(5)
                .with_cursor(cursor);
            if newest_first {
                request = request.newest_first();
            }
            let page = ok(s.read_thread(&alice, &request));
            assert!(page.messages.len() <= 5);
            seen.extend(page.messages.iter().map(|m| m.seq));
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        let mut expected: Vec<u64> = (1..=23).collect();
        if newest_first {
            expected.reverse();
        }
        assert_eq!(seen, expected, "newest_first={newest_first}");
    }
    // Messages carry author, role, body and non-decreasing times.
    let page = ok(s.read_thread(
        &alice,
        &ThreadRequest::new(ALICE_ACME_ORDER).with_limit(100),
    ));
    assert_eq!(page.messages[1].author_id, ANNA);
    assert_eq!(page.messages[1].author_name, "Anna");
    assert_eq!(page.messages[1].author_role, Role::Vendor(ACME.into()));
    assert_eq!(page.messages[1].body, "message 2");
    assert!(
        page.messages
            .windows(2)
            .all(|w| w[0].created_at <= w[1].created_at)
    );
}

#[test]
fn an_order_without_messages_reads_as_an_empty_thread() {
    let (world, mut s) = marketplace();
    let page = ok(s.read_thread(
        &world.actor(BOB),
        &ThreadRequest::new(BOB_ACME_ORDER).marking_read(),
    ));
    assert_eq!(page.order_number, "1003");
    assert!(page.messages.is_empty());
    assert_eq!(
        (page.message_count, page.unread_count, page.next_cursor),
        (0, 0, None)
    );
}

#[test]
fn bodies_are_stored_trimmed_and_exactly() {
    let (world, mut s) = marketplace();
    let alice = world.actor(ALICE);
    let body = "  Line one\n\tLine <two> & \"three\"  \n";
    let m = post(&mut s, &alice, ALICE_ACME_ORDER, body);
    assert_eq!(m.body, body.trim());
    let page = ok(s.read_thread(&alice, &ThreadRequest::new(ALICE_ACME_ORDER)));
    assert_eq!(page.messages, vec![m]);
}
