//! No operation scans all threads or messages: the storage work of each operation (keys read,
//! entries scanned, keys written) is the same whether the store holds 90 or 900 threads.
//! Counted through the harness's storage statistics, not timed.

use order_messages_tests::*;

/// A marketplace with `threads` extra orders of Bob's from Acme, each with two messages, every
/// third mentioning "gearbox", and every second with an open dispute (so even the small store
/// fills every page and every index chunk measured).
fn store_with(threads: usize) -> (World, Session) {
    let (world, mut s) = marketplace();
    let (bob, anna) = (world.actor(BOB), world.actor(ANNA));
    for i in 0..threads {
        let id = format!("load-{i:04}");
        world.platform.directory.add_order(
            Order::new(&id, format!("9{i:04}"), BOB, "Bob").with_vendor(ACME, "Acme Tools"),
        );
        world.platform.clock.advance_millis(100);
        let body = if i % 3 == 0 {
            "gearbox noise"
        } else {
            "late parcel"
        };
        post(&mut s, &bob, &id, body);
        post(&mut s, &anna, &id, "looking into it");
        if i % 2 == 0 {
            ok(s.open_dispute(&bob, &id, "no answer"));
        }
    }
    // The threads every measured operation touches.
    post(
        &mut s,
        &world.actor(ALICE),
        ALICE_ACME_ORDER,
        "gearbox question",
    );
    (world, s)
}

/// Storage work of `op`: keys read + entries scanned + keys written.
fn work(world: &World, op: impl FnOnce()) -> u64 {
    world.platform.storage.reset_stats();
    op();
    let st = world.platform.storage.stats();
    st.keys_read + st.entries_scanned + st.writes
}

/// The work of every operation on a store of the given size, by name.
fn measure(threads: usize) -> Vec<(&'static str, u64)> {
    let (world, mut s) = store_with(threads);
    let (alice, anna, sam, bob) = (
        world.actor(ALICE),
        world.actor(ANNA),
        world.actor(SAM),
        world.actor(BOB),
    );
    let ids: Vec<String> = (0..10).map(|i| format!("load-{i:04}")).collect();
    let mut out = Vec::new();
    let mut m = |name, op: &mut dyn FnMut()| out.push((name, work(&world, op)));
    m("post", &mut || {
        post(&mut s, &alice, ALICE_ACME_ORDER, "any news?");
    });
    m("read thread", &mut || {
        ok(s.read_thread(&anna, &ThreadRequest::new(ALICE_ACME_ORDER).marking_read()));
    });
    m("unread count", &mut || {
        ok(s.unread_count(&sam, ALICE_ACME_ORDER));
    });
    m("bell", &mut || {
        ok(s.bell(&sam));
    });
    for (name, who, query) in [
        ("staff inbox", &sam, Query::all()),
        ("staff unread", &sam, Query::unread()),
        ("staff disputes", &sam, Query::open_disputes()),
        ("vendor inbox", &anna, Query::all()),
        ("customer inbox", &bob, Query::all()),
        ("staff search", &sam, Query::all().with_search("gearbox")),
        (
            "staff search two words",
            &sam,
            Query::all().with_search("gearbox noise"),
        ),
    ] {
        m(name, &mut || {
            ok(s.list_threads(who, &ListRequest::new(query.clone(), 10)));
        });
    }
    m("order filter (10 ids)", &mut || {
        ok(s.filter_orders(&sam, &ids, MessageFilter::WithUnread));
    });
    m("order list", &mut || {
        ok(s.list_orders(&sam, MessageFilter::WithMessages, None, 10));
    });
    m("mark selected", &mut || {
        ok(s.mark_selected(&sam, &ids, true, None));
    });
    m("open dispute", &mut || {
        ok(s.open_dispute(&alice, ALICE_ACME_ORDER, "still waiting"));
    });
    m("close dispute", &mut || {
        ok(s.close_dispute(&sam, ALICE_ACME_ORDER, None));
    });
    out
}

#[test]
fn the_work_of_every_operation_does_not_grow_with_the_data() {
    let small = measure(90);
    let large = measure(900);
    for ((name, w_small), (_, w_large)) in small.iter().zip(&large) {
        assert!(*w_small > 0, "{name}: no storage work measured");
        assert_eq!(
            w_small, w_large,
            "{name}: work grew from {w_small} to {w_large}"
        );
    }
}

/// A body at the 100,000-character ceiling made of distinct words: the post is one commit
/// within the storage bounds, and the pending work it leaves is bounded by the per-message word
/// cap rather than by the body's 14,000 words. Only the first words of such a message are found
/// by search, once the work is applied.
#[test]
fn a_body_of_distinct_words_at_the_length_ceiling_is_posted_with_bounded_work() {
    let (world, mut s) = marketplace();
    let alice = world.actor(ALICE);
    let settings = world.platform.directory.settings();
    world.platform.directory.set_settings(Settings {
        limits: Limits {
            max_body_chars: 100_000,
            ..settings.limits
        },
        delivery: Delivery::HostDrains,
        ..settings
    });
    let mut body = String::new();
    let mut n = 0;
    loop {
        let word = format!("w{n} ");
        if body.chars().count() + word.len() > 100_000 {
            break;
        }
        body.push_str(&word);
        n += 1;
    }
    assert!(n > 10_000, "{n} words");
    world.platform.storage.reset_stats();
    let message = post(&mut s, &alice, ALICE_ACME_ORDER, &body);
    assert_eq!(message.body, body.trim());
    let post = world.platform.storage.stats();
    assert_eq!(post.commits, 1, "one commit per post");
    assert!(post.largest_commit <= 64, "{post:?}");
    assert!(post.largest_commit_bytes <= 262_144, "{post:?}");
    // A twentieth of the default budget per call.
    assert!(
        s.fuel_consumed() < 100_000_000,
        "{} fuel",
        s.fuel_consumed()
    );

    world.platform.storage.reset_stats();
    let drained = drain(&mut s);
    let work = world.platform.storage.stats();
    // Seven keyword writes per indexed word (three scopes' entries and the thread's record of
    // the word) for at most 200 words of the text, a few batches of users, and the outbox.
    assert!(work.writes < 1_600, "{work:?}");
    assert!(work.largest_commit <= 64, "{work:?}");
    assert!(drained.applied >= 200 / 6, "{drained:?}");
    let found =
        |s: &mut Session, word: &str| list_all(s, &alice, Query::all().with_search(word), 10).len();
    assert_eq!(found(&mut s, "w0"), 1);
    assert_eq!(found(&mut s, "w199"), 1);
    assert_eq!(found(&mut s, "w200"), 0);
    assert_verified(&mut s);
}
