//! The Messages section: order, filters, search, paging, bulk marking, and the bell.

use order_messages_tests::*;

/// Posts on every marketplace order, one minute apart, so activity order is known:
/// 1005 (newest), 1004, 1003, 1002, 1001 (oldest). Returns the world and session.
fn busy_marketplace() -> (World, Session) {
    let (world, mut s) = marketplace();
    let script = [
        (
            ALICE,
            ALICE_ACME_ORDER,
            "My drill arrived without its battery",
        ),
        (ALICE, ALICE_BLUE_ORDER, "Is the atlas in stock?"),
        (BOB, BOB_ACME_ORDER, "Please send an invoice"),
        (CAROL, CAROL_BLUE_ORDER, "Wrong edition of the novel"),
        (CAROL, CAROL_STORE_ORDER, "Gift wrapping, please"),
    ];
    for (who, order, body) in script {
        world.platform.clock.advance_millis(60_000);
        post(&mut s, &world.actor(who), order, body);
    }
    (world, s)
}

#[test]
fn staff_see_every_thread_newest_activity_first() {
    let (world, mut s) = busy_marketplace();
    let sam = world.actor(SAM);
    let rows = list_all(&mut s, &sam, Query::all(), 100);
    assert_eq!(
        order_ids(&rows),
        [
            CAROL_STORE_ORDER,
            CAROL_BLUE_ORDER,
            BOB_ACME_ORDER,
            ALICE_BLUE_ORDER,
            ALICE_ACME_ORDER
        ]
    );
    let top = &rows[0];
    assert_eq!(top.order_number, "1005");
    assert_eq!(top.latest.excerpt, "Gift wrapping, please");
    assert_eq!(top.latest.author_name, "Carol");
    assert_eq!(top.latest.author_role, Role::Customer);
    assert_eq!(
        (top.unread, top.unread_count, top.message_count),
        (true, 1, 1)
    );
    assert!(!top.dispute_open);

    // New activity moves a thread to the top.
    world.platform.clock.advance_millis(60_000);
    post(
        &mut s,
        &world.actor(ANNA),
        ALICE_ACME_ORDER,
        "Battery is on its way",
    );
    let rows = list_all(&mut s, &sam, Query::all(), 100);
    assert_eq!(rows[0].order_id, ALICE_ACME_ORDER);
    assert_eq!(rows[0].latest.excerpt, "Battery is on its way");
    assert_eq!(rows[0].unread_count, 2);
    assert_eq!(rows.len(), 5);
}

#[test]
fn customers_and_vendors_see_only_their_threads() {
    let (world, mut s) = busy_marketplace();
    let alice = list_all(&mut s, &world.actor(ALICE), Query::all(), 100);
    assert_eq!(order_ids(&alice), [ALICE_BLUE_ORDER, ALICE_ACME_ORDER]);
    assert!(alice.iter().all(|r| !r.unread), "Alice wrote both messages");
    let anna = list_all(&mut s, &world.actor(ANNA), Query::all(), 100);
    assert_eq!(order_ids(&anna), [BOB_ACME_ORDER, ALICE_ACME_ORDER]);
    assert!(anna.iter().all(|r| r.unread));
    let ben = list_all(&mut s, &world.actor(BEN), Query::all(), 100);
    assert_eq!(order_ids(&ben), [CAROL_BLUE_ORDER, ALICE_BLUE_ORDER]);
}

#[test]
fn filters_unread_and_open_disputes() {
    let (world, mut s) = busy_marketplace();
    let (sam, sara) = (world.actor(SAM), world.actor(SARA));
    ok(s.mark_read(&sam, BOB_ACME_ORDER));
    ok(s.mark_read(&sam, CAROL_STORE_ORDER));
    let unread = list_all(&mut s, &sam, Query::unread(), 100);
    assert_eq!(
        order_ids(&unread),
        [CAROL_BLUE_ORDER, ALICE_BLUE_ORDER, ALICE_ACME_ORDER]
    );
    assert!(unread.iter().all(|r| r.unread));
    assert_eq!(list_all(&mut s, &sara, Query::unread(), 100).len(), 5);

    assert!(list_all(&mut s, &sam, Query::open_disputes(), 100).is_empty());
    ok(s.open_dispute(&world.actor(BOB), BOB_ACME_ORDER, "Invoice never came"));
    let disputes = list_all(&mut s, &sam, Query::open_disputes(), 100);
    assert_eq!(order_ids(&disputes), [BOB_ACME_ORDER]);
    assert!(disputes[0].dispute_open);
    // The badge shows in the plain list too.
    let all = list_all(&mut s, &sam, Query::all(), 100);
    let flagged: Vec<&str> = all
        .iter()
        .filter(|r| r.dispute_open)
        .map(|r| r.order_id.as_str())
        .collect();
    assert_eq!(flagged, [BOB_ACME_ORDER]);
    // Bob's customer view and Acme's vendor view show it; Ben's does not.
    assert_eq!(
        list_all(&mut s, &world.actor(BOB), Query::open_disputes(), 10).len(),
        1
    );
    assert_eq!(
        list_all(&mut s, &world.actor(ANNA), Query::open_disputes(), 10).len(),
        1
    );
    assert!(list_all(&mut s, &world.actor(BEN), Query::open_disputes(), 10).is_empty());
}

#[test]
fn unread_first_lists_unread_threads_before_the_rest() {
    let (world, mut s) = busy_marketplace();
    let sam = world.actor(SAM);
    ok(s.mark_read(&sam, CAROL_STORE_ORDER));
    ok(s.mark_read(&sam, BOB_ACME_ORDER));
    for page in [1, 2, 10] {
        let mut rows = Vec::new();
        let mut cursor = None;
        loop {
            let request = ListRequest::new(Query::all(), page)
                .unread_first()
                .with_cursor(cursor);
            let result = ok(s.list_threads(&sam, &request));
            rows.extend(result.rows);
            match result.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(
            order_ids(&rows),
            [
                CAROL_BLUE_ORDER,
                ALICE_BLUE_ORDER,
                ALICE_ACME_ORDER,
                CAROL_STORE_ORDER,
                BOB_ACME_ORDER
            ],
            "page size {page}"
        );
    }
}

#[test]
fn search_by_text_order_number_and_author_name() {
    let (world, mut s) = busy_marketplace();
    let sam = world.actor(SAM);
    let search = |s: &mut Session, text: &str| {
        order_ids(&list_all(s, &sam, Query::all().with_search(text), 100))
    };
    assert_eq!(search(&mut s, "battery"), [ALICE_ACME_ORDER]);
    assert_eq!(
        search(&mut s, "BATTERY drill"),
        [ALICE_ACME_ORDER],
        "case-insensitive, all words"
    );
    assert!(
        search(&mut s, "battery invoice").is_empty(),
        "every word must match"
    );
    assert_eq!(search(&mut s, "1003"), [BOB_ACME_ORDER], "order number");
    assert_eq!(
        search(&mut s, "#1003"),
        [BOB_ACME_ORDER],
        "punctuation separates words"
    );
    assert_eq!(
        search(&mut s, "carol"),
        [CAROL_STORE_ORDER, CAROL_BLUE_ORDER],
        "author name"
    );
    assert_eq!(
        search(&mut s, "please"),
        [CAROL_STORE_ORDER, BOB_ACME_ORDER]
    );
    assert!(search(&mut s, "nothing-like-this").is_empty());

    // A later message with the word moves the thread up in the results, at a resolution of an
    // hour: within the hour the thread keeps its place, an hour on it moves to the top.
    world.platform.clock.advance_millis(60_000);
    post(&mut s, &world.actor(BOB), BOB_ACME_ORDER, "please hurry");
    assert_eq!(
        search(&mut s, "please"),
        [CAROL_STORE_ORDER, BOB_ACME_ORDER]
    );
    world.platform.clock.advance_millis(3_600_000);
    post(
        &mut s,
        &world.actor(BOB),
        BOB_ACME_ORDER,
        "please, still waiting",
    );
    assert_eq!(
        search(&mut s, "please"),
        [BOB_ACME_ORDER, CAROL_STORE_ORDER]
    );
    // A word new to the thread is found at once.
    assert_eq!(search(&mut s, "hurry"), [BOB_ACME_ORDER]);

    // Searches stay within what the actor reaches.
    let alice = world.actor(ALICE);
    assert!(list_all(&mut s, &alice, Query::all().with_search("invoice"), 10).is_empty());
    assert_eq!(
        order_ids(&list_all(
            &mut s,
            &alice,
            Query::all().with_search("atlas"),
            10
        )),
        [ALICE_BLUE_ORDER]
    );

    // Search combines with the filters.
    ok(s.mark_read(&sam, CAROL_STORE_ORDER));
    assert_eq!(
        order_ids(&list_all(
            &mut s,
            &sam,
            Query::unread().with_search("please"),
            100
        )),
        [BOB_ACME_ORDER]
    );
    assert!(
        list_all(
            &mut s,
            &sam,
            Query::open_disputes().with_search("please"),
            100
        )
        .is_empty()
    );
    ok(s.open_dispute(&sam, CAROL_STORE_ORDER, "Checking the gift order"));
    assert_eq!(
        order_ids(&list_all(
            &mut s,
            &sam,
            Query::open_disputes().with_search("gift"),
            100
        )),
        [CAROL_STORE_ORDER]
    );
}

#[test]
fn paging_visits_every_thread_once_for_every_page_size_and_query() {
    let (world, mut s) = marketplace();
    let sam = world.actor(SAM);
    // 40 orders of Bob's from Acme, each with a message mentioning "widget" on every third.
    for i in 0..40 {
        let id = format!("bulk-{i:02}");
        world.platform.directory.add_order(
            Order::new(&id, format!("2{i:03}"), BOB, "Bob").with_vendor(ACME, "Acme Tools"),
        );
        world.platform.clock.advance_millis(1_000);
        let body = if i % 3 == 0 {
            "widget question"
        } else {
            "other question"
        };
        post(&mut s, &world.actor(BOB), &id, body);
    }
    // Sam reads a few, so unread-first has two parts.
    for i in (0..40).step_by(7) {
        ok(s.mark_read(&sam, &format!("bulk-{i:02}")));
    }
    let expected_all: Vec<String> = (0..40).rev().map(|i| format!("bulk-{i:02}")).collect();
    let expected_widget: Vec<String> = (0..40)
        .rev()
        .filter(|i| i % 3 == 0)
        .map(|i| format!("bulk-{i:02}"))
        .collect();
    for page in [1, 3, 7, 40, 100] {
        assert_eq!(
            order_ids(&list_all(&mut s, &sam, Query::all(), page)),
            expected_all
        );
        assert_eq!(
            order_ids(&list_all(
                &mut s,
                &sam,
                Query::all().with_search("widget"),
                page
            )),
            expected_widget
        );
        let unread = list_all(&mut s, &sam, Query::unread(), page);
        assert_eq!(unread.len(), 40 - 6);
        let mut sorted = order_ids(&unread);
        sorted.dedup();
        assert_eq!(sorted.len(), unread.len(), "no repeats");
    }
}

#[test]
fn mark_selected_marks_exactly_those_threads() {
    let (world, mut s) = busy_marketplace();
    let sam = world.actor(SAM);
    assert_eq!(bell(&mut s, &sam), (5, 0));
    let selected = [ALICE_ACME_ORDER.to_string(), BOB_ACME_ORDER.to_string()];
    let result = ok(s.mark_selected(&sam, &selected, true, None));
    assert_eq!((result.changed, result.next_cursor), (2, None));
    assert_eq!(bell(&mut s, &sam), (3, 0));
    assert_eq!(unread(&mut s, &sam, ALICE_ACME_ORDER), 0);
    assert_eq!(unread(&mut s, &sam, ALICE_BLUE_ORDER), 1);
    // Again: nothing left to change.
    assert_eq!(ok(s.mark_selected(&sam, &selected, true, None)).changed, 0);
    // And back to unread.
    assert_eq!(ok(s.mark_selected(&sam, &selected, false, None)).changed, 2);
    assert_eq!(bell(&mut s, &sam), (5, 0));
    // Another staff member is unaffected.
    assert_eq!(bell(&mut s, &world.actor(SARA)), (5, 0));
}

#[test]
fn mark_matching_marks_every_thread_of_the_query_in_batches() {
    let (world, mut s) = marketplace();
    let sam = world.actor(SAM);
    // More threads than one batch (200) handles.
    for i in 0..230 {
        let id = format!("m-{i:03}");
        world
            .platform
            .directory
            .add_order(Order::new(&id, format!("3{i:03}"), CAROL, "Carol"));
        world.platform.clock.advance_millis(10);
        let body = if i % 2 == 0 {
            "refund request"
        } else {
            "delivery question"
        };
        post(&mut s, &world.actor(CAROL), &id, body);
    }
    assert_eq!(bell(&mut s, &sam), (230, 0));

    // Only the threads matching the search.
    let refund = Query::all().with_search("refund");
    let (changed, calls) = mark_all_matching(&mut s, &sam, &refund, true);
    assert_eq!(changed, 115);
    assert!(calls >= 1);
    assert_eq!(bell(&mut s, &sam), (115, 0));
    assert!(list_all(&mut s, &sam, Query::unread().with_search("refund"), 100).is_empty());
    assert_eq!(
        list_all(&mut s, &sam, Query::unread().with_search("delivery"), 100).len(),
        115
    );

    // Everything, across batches.
    let (changed, _) = mark_all_matching(&mut s, &sam, &Query::all(), true);
    assert_eq!(changed, 115);
    assert_eq!(bell(&mut s, &sam), (0, 0));

    // Mark all unread again: needs more than one batch of 200.
    let (changed, calls) = mark_all_matching(&mut s, &sam, &Query::all(), false);
    assert_eq!(changed, 230);
    assert!(calls >= 2, "a batch is bounded, took {calls} calls");
    assert_eq!(bell(&mut s, &sam), (230, 0));
    assert_eq!(bell(&mut s, &world.actor(SARA)), (230, 0));
}

#[test]
fn the_bell_counts_unread_threads_and_open_disputes_per_party() {
    let (world, mut s) = busy_marketplace();
    let (sam, anna, ben, alice, bob) = (
        world.actor(SAM),
        world.actor(ANNA),
        world.actor(BEN),
        world.actor(ALICE),
        world.actor(BOB),
    );
    assert_eq!(bell(&mut s, &sam), (5, 0));
    assert_eq!(bell(&mut s, &anna), (2, 0));
    assert_eq!(bell(&mut s, &ben), (2, 0));
    ok(s.open_dispute(&bob, BOB_ACME_ORDER, "Invoice never came"));
    ok(s.open_dispute(&alice, ALICE_BLUE_ORDER, "Atlas is damaged"));
    assert_eq!(bell(&mut s, &sam).1, 2);
    assert_eq!(bell(&mut s, &anna).1, 1);
    assert_eq!(bell(&mut s, &ben).1, 1);
    assert_eq!(bell(&mut s, &alice).1, 1);
    assert_eq!(bell(&mut s, &bob).1, 1);
    assert_eq!(bell(&mut s, &world.actor(CAROL)).1, 0);
    ok(s.close_dispute(&sam, BOB_ACME_ORDER, Some("Invoice sent")));
    assert_eq!(bell(&mut s, &sam).1, 1);
    assert_eq!(bell(&mut s, &anna).1, 0);
    assert_eq!(bell(&mut s, &bob).1, 0);
}
