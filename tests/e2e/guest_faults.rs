//! Guest faults: a trap at any point, running out of fuel, and hitting the memory cap each
//! fail that one call; nothing half-done reaches the store; the same session serves the next call.

use order_messages_tests::*;

/// The fuel a post of "Hello" into a new thread takes.
fn fuel_of_a_post() -> u64 {
    let (world, mut s) = marketplace();
    post(&mut s, &world.actor(ALICE), ALICE_ACME_ORDER, "Hello");
    s.fuel_consumed()
}

/// A trap anywhere in a post (the fuel running out at 24 points spread over the call, before,
/// between and after its storage calls and deliveries) fails that call only: nothing half-done
/// reaches the store, and the next call gets a fresh instance.
#[test]
fn a_trap_at_any_point_of_a_post_fails_that_call_only() {
    let full = fuel_of_a_post();
    for point in 1..=24u64 {
        let (world, mut s) = marketplace();
        let (alice, anna) = (world.actor(ALICE), world.actor(ANNA));
        let before = world.platform.storage.dump();
        let normal = s.config().clone();
        s.set_config(RunConfig {
            fuel_per_call: full * point / 25,
            ..normal.clone()
        });
        let trapped = s
            .post(&alice, &PostRequest::new(ALICE_ACME_ORDER, "Hello"))
            .expect_err("the call traps");
        assert!(
            format!("{trapped:#}").contains("ran out of fuel"),
            "point {point}: {trapped:#}"
        );
        s.set_config(normal);

        // Either the trap came before the commit and nothing was written, or after it and the
        // message is there once with its mail in the outbox.
        let after = world.platform.storage.dump();
        let thread = ok(s.read_thread(&anna, &ThreadRequest::new(ALICE_ACME_ORDER)));
        if thread.message_count == 0 {
            assert_eq!(
                after, before,
                "point {point}: a trapped call wrote something"
            );
        } else {
            assert_eq!(thread.message_count, 1, "point {point}");
        }
        // The same session keeps serving, and every mail goes out exactly once.
        post(&mut s, &alice, ALICE_ACME_ORDER, "Anyone?");
        while ok(s.deliver_pending(100)).more {}
        let expected = thread.message_count as usize + 1;
        assert_eq!(world.platform.mail.count(), expected, "point {point}");
        assert_eq!(
            unread(&mut s, &anna, ALICE_ACME_ORDER),
            expected as u32,
            "point {point}"
        );
        assert!(
            s.instantiations() >= 2,
            "the poisoned instance was replaced"
        );
    }
}

#[test]
fn running_out_of_fuel_fails_that_call_only() {
    let (world, mut s) = marketplace();
    let alice = world.actor(ALICE);
    post(&mut s, &alice, ALICE_ACME_ORDER, "First");
    let normal = s.config().clone();
    let before = world.platform.storage.dump();
    // Enough fuel to start the call, far too little to finish a post.
    s.set_config(RunConfig {
        fuel_per_call: 50_000,
        ..normal.clone()
    });
    let error = s
        .post(&alice, &PostRequest::new(ALICE_ACME_ORDER, "Second"))
        .expect_err("out of fuel");
    assert!(format!("{error:#}").contains("fuel"), "{error:#}");
    assert_eq!(world.platform.storage.dump(), before, "no partial write");
    s.set_config(normal);
    let m = post(&mut s, &alice, ALICE_ACME_ORDER, "Second");
    assert_eq!(m.seq, 2);
}

#[test]
fn the_memory_cap_fails_that_call_only() {
    let (world, mut s) = marketplace();
    let (alice, bob) = (world.actor(ALICE), world.actor(BOB));
    post(&mut s, &alice, ALICE_ACME_ORDER, "Hello");
    post(&mut s, &bob, BOB_ACME_ORDER, "Hi");
    // A host hands the guest a message far larger than its memory cap allows.
    use order_messages::domain::{model, records};
    let huge = records::StoredMessage {
        order_id: "o1".into(),
        seq: 1,
        kind: model::MessageKind::Text,
        author_id: "c1".into(),
        author_name: "Alice".into(),
        author_role: model::Role::Customer,
        created_at: 0,
        chunks: 0,
        body: "x".repeat(48 << 20),
    };
    let write = Write::Put(Put {
        key: "M/o1/000000000001".into(),
        value: records::encode(&huge),
    });
    world
        .platform
        .storage
        .backend()
        .commit(&[], &[write])
        .unwrap();
    let before = world.platform.storage.dump();
    let error = s
        .read_thread(&alice, &ThreadRequest::new(ALICE_ACME_ORDER).marking_read())
        .expect_err("over the memory cap");
    assert!(format!("{error:#}").contains("memory"), "{error:#}");
    assert!(world.platform.storage.dump() == before, "no partial write");
    // The next call, on another order, is served.
    let page = ok(s.read_thread(&bob, &ThreadRequest::new(BOB_ACME_ORDER)));
    assert_eq!(page.messages[0].body, "Hi");
}
