//! Multivendor modes: vendors as separate shops, or vendors as a warehouse behind the store.

use order_messages_tests::*;

#[test]
fn in_warehouse_mode_staff_answer_and_vendors_take_no_part() {
    let world = Fixtures::marketplace()
        .mode(MultivendorMode::Warehouse)
        .build();
    let mut s = world.session().unwrap();
    let (alice, anna, sam) = (world.actor(ALICE), world.actor(ANNA), world.actor(SAM));

    post(&mut s, &alice, ALICE_ACME_ORDER, "Where is my drill?");
    // Staff are the other party: they get the mail, the vendor does not.
    let mail = world.platform.mail.take_new().remove(0);
    let mut to = mail.recipients.clone();
    to.sort();
    assert_eq!(to, [SAM, SARA]);
    assert_eq!(unread(&mut s, &sam, ALICE_ACME_ORDER), 1);
    assert_eq!(bell(&mut s, &sam), (1, 0));

    // Vendors reach no thread at all, whatever the order.
    for op in [
        s.unread_count(&anna, ALICE_ACME_ORDER).unwrap(),
        s.unread_count(&anna, "no-such-order").unwrap(),
    ] {
        assert_eq!(op.unwrap_err().kind(), "forbidden");
    }
    assert_eq!(refused(s.bell(&anna)).kind(), "forbidden");
    assert_eq!(
        refused(s.list_threads(&anna, &ListRequest::new(Query::all(), 10))).kind(),
        "forbidden"
    );
    refused_without_change(&world.platform, "forbidden", || {
        s.post(&anna, &PostRequest::new(ALICE_ACME_ORDER, "Vendor here"))
    });

    post(&mut s, &sam, ALICE_ACME_ORDER, "It ships tomorrow");
    let mail = world.platform.mail.take_new().remove(0);
    assert_eq!(mail.recipients, [ALICE]);
    assert_eq!(
        order_ids(&list_all(&mut s, &world.actor(SARA), Query::unread(), 10)),
        [ALICE_ACME_ORDER]
    );
}

#[test]
fn in_separate_shops_mode_the_vendor_answers_and_staff_supervise() {
    let (world, mut s) = marketplace();
    let (alice, anna, sam) = (world.actor(ALICE), world.actor(ANNA), world.actor(SAM));
    post(&mut s, &alice, ALICE_ACME_ORDER, "Where is my drill?");
    assert_eq!(world.platform.mail.take_new().remove(0).recipients, [ANNA]);
    // Staff see the thread and its unread state, without being mailed.
    assert_eq!(unread(&mut s, &sam, ALICE_ACME_ORDER), 1);
    assert_eq!(list_all(&mut s, &sam, Query::all(), 10).len(), 1);
    post(&mut s, &anna, ALICE_ACME_ORDER, "Tomorrow");
    assert_eq!(world.platform.mail.take_new().remove(0).recipients, [ALICE]);
}

#[test]
fn switching_modes_changes_who_takes_part_without_losing_history() {
    let (world, mut s) = marketplace();
    let (alice, anna) = (world.actor(ALICE), world.actor(ANNA));
    post(&mut s, &alice, ALICE_ACME_ORDER, "First, to the vendor");
    world
        .platform
        .directory
        .set_mode(MultivendorMode::Warehouse);
    world.platform.mail.take_new();
    post(&mut s, &alice, ALICE_ACME_ORDER, "Second, to the store");
    let mut to = world.platform.mail.take_new().remove(0).recipients;
    to.sort();
    assert_eq!(to, [SAM, SARA]);
    assert_eq!(
        refused(s.unread_count(&anna, ALICE_ACME_ORDER)).kind(),
        "forbidden"
    );
    world
        .platform
        .directory
        .set_mode(MultivendorMode::SeparateShops);
    let page = ok(s.read_thread(&anna, &ThreadRequest::new(ALICE_ACME_ORDER)));
    assert_eq!(page.message_count, 2);
}
