//! The orders list's Messages filter: with messages, with unread messages, for each actor.

use order_messages_tests::*;

fn all_orders() -> Vec<String> {
    [
        ALICE_ACME_ORDER,
        ALICE_BLUE_ORDER,
        BOB_ACME_ORDER,
        CAROL_BLUE_ORDER,
        CAROL_STORE_ORDER,
        "no-such-order",
    ]
    .map(String::from)
    .to_vec()
}

#[test]
fn filters_the_hosts_order_ids_by_messages_and_unread() {
    let (world, mut s) = marketplace();
    let (alice, anna, sam) = (world.actor(ALICE), world.actor(ANNA), world.actor(SAM));
    post(&mut s, &alice, ALICE_ACME_ORDER, "Hi Acme");
    world.platform.clock.advance_millis(1_000);
    post(
        &mut s,
        &world.actor(BOB),
        BOB_ACME_ORDER,
        "Hi Acme, Bob here",
    );
    world.platform.clock.advance_millis(1_000);
    post(
        &mut s,
        &world.actor(BEN),
        ALICE_BLUE_ORDER,
        "Your atlas shipped",
    );
    let ids = all_orders();

    // Staff: every order with messages; all unread for them.
    assert_eq!(
        ok(s.filter_orders(&sam, &ids, MessageFilter::WithMessages)),
        [ALICE_ACME_ORDER, ALICE_BLUE_ORDER, BOB_ACME_ORDER],
        "kept in the host's order"
    );
    assert_eq!(
        ok(s.filter_orders(&sam, &ids, MessageFilter::WithUnread)).len(),
        3
    );
    // Alice: her two threads; only Ben's answer is unread for her.
    assert_eq!(
        ok(s.filter_orders(&alice, &ids, MessageFilter::WithMessages)),
        [ALICE_ACME_ORDER, ALICE_BLUE_ORDER]
    );
    assert_eq!(
        ok(s.filter_orders(&alice, &ids, MessageFilter::WithUnread)),
        [ALICE_BLUE_ORDER]
    );
    // Anna (Acme): Acme's threads only, both unread; reading one removes it.
    assert_eq!(
        ok(s.filter_orders(&anna, &ids, MessageFilter::WithUnread)),
        [ALICE_ACME_ORDER, BOB_ACME_ORDER]
    );
    ok(s.mark_read(&anna, BOB_ACME_ORDER));
    assert_eq!(
        ok(s.filter_orders(&anna, &ids, MessageFilter::WithUnread)),
        [ALICE_ACME_ORDER]
    );
    assert_eq!(
        ok(s.filter_orders(&anna, &ids, MessageFilter::WithMessages)),
        [ALICE_ACME_ORDER, BOB_ACME_ORDER]
    );

    // The paged lists, newest activity first.
    assert_eq!(
        list_orders_all(&mut s, &sam, MessageFilter::WithMessages, 2),
        [ALICE_BLUE_ORDER, BOB_ACME_ORDER, ALICE_ACME_ORDER]
    );
    assert_eq!(
        list_orders_all(&mut s, &anna, MessageFilter::WithUnread, 1),
        [ALICE_ACME_ORDER]
    );
    assert_eq!(
        list_orders_all(&mut s, &alice, MessageFilter::WithMessages, 10),
        [ALICE_BLUE_ORDER, ALICE_ACME_ORDER]
    );
    assert!(
        list_orders_all(&mut s, &world.actor(CAROL), MessageFilter::WithMessages, 10).is_empty()
    );
}

#[test]
fn paged_order_lists_have_no_gaps_or_repeats() {
    let (world, mut s) = marketplace();
    let bob = world.actor(BOB);
    let mut expected = Vec::new();
    for i in 0..37 {
        let id = format!("f-{i:02}");
        world
            .platform
            .directory
            .add_order(Order::new(&id, format!("5{i:03}"), BOB, "Bob"));
        world.platform.clock.advance_millis(500);
        post(&mut s, &bob, &id, "question");
        expected.insert(0, id);
    }
    let sam = world.actor(SAM);
    for page in [1, 5, 36, 37, 100] {
        assert_eq!(
            list_orders_all(&mut s, &sam, MessageFilter::WithMessages, page),
            expected
        );
        assert_eq!(
            list_orders_all(&mut s, &sam, MessageFilter::WithUnread, page),
            expected
        );
    }
    // 1,000 ids at once (the default maximum), most of them without a thread.
    let mut many: Vec<String> = (0..963).map(|i| format!("none-{i}")).collect();
    many.extend(expected.iter().cloned());
    assert_eq!(
        ok(s.filter_orders(&sam, &many, MessageFilter::WithMessages)).len(),
        37
    );
}
