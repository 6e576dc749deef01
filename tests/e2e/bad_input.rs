//! Bad input: every malformed, empty, over-limit or ill-timed request gets its typed error
//! (`invalid-input` naming the field, `not-found`, `invalid-state` or `conflict`) and changes
//! nothing: not the store, not the mail sent, not the notifications pushed. Also what is not an
//! error: limits reached exactly, line breaks and tabs in text, wildcard-only searches, and
//! HTML, which is stored as posted and escaped where it is rendered.

use order_messages_platform::Fault;
use order_messages_tests::*;

/// A call's raw outcome, as the session returns it.
type Outcome<T> = anyhow::Result<Result<T, Error>>;

/// An order id no order has.
const UNKNOWN: &str = "o-unknown";

/// The marketplace with a thread on Alice's Acme order (so refusals have data to leave alone).
fn with_a_thread() -> (World, Session) {
    let (world, mut s) = marketplace();
    post(
        &mut s,
        &world.actor(ALICE),
        ALICE_ACME_ORDER,
        "Where is my drill?",
    );
    (world, s)
}

/// The operations about one order, as `(name, call)`; answers are dropped.
type OrderCall = fn(&mut Session, &Actor, &str) -> Outcome<()>;

fn single_order_ops() -> [(&'static str, OrderCall); 9] {
    fn done<T>(outcome: Outcome<T>) -> Outcome<()> {
        outcome.map(|r| r.map(drop))
    }
    [
        ("post", |s, a, o| {
            done(s.post(a, &PostRequest::new(o, "Hello")))
        }),
        ("read-thread", |s, a, o| {
            done(s.read_thread(a, &ThreadRequest::new(o)))
        }),
        ("unread-count", |s, a, o| done(s.unread_count(a, o))),
        ("mark-read", |s, a, o| done(s.mark_read(a, o))),
        ("mark-unread", |s, a, o| done(s.mark_unread(a, o))),
        ("open", |s, a, o| done(s.open_dispute(a, o, "Broken"))),
        ("close", |s, a, o| done(s.close_dispute(a, o, None))),
        ("current", |s, a, o| done(s.current_dispute(a, o))),
        ("history", |s, a, o| done(s.dispute_history(a, o))),
    ]
}

// ---------------------------------------------------------------------------------------------
// Message bodies

#[test]
fn empty_and_blank_bodies_are_refused() {
    let (world, mut s) = with_a_thread();
    let alice = world.actor(ALICE);
    // On a thread that exists and on an order without one yet.
    for order in [ALICE_ACME_ORDER, ALICE_BLUE_ORDER] {
        for body in ["", " ", "  \n\t \r\n ", "\u{3000}\u{a0}"] {
            invalid_without_change(&world.platform, "body", || {
                s.post(&alice, &PostRequest::new(order, body))
            });
        }
    }
}

#[test]
fn bodies_are_limited_in_characters_not_bytes() {
    let (world, mut s) = with_a_thread();
    let alice = world.actor(ALICE);
    // 10,000 characters (the default limit) pass however many bytes they take.
    for unit in ["a", "é", "🦀"] {
        let body = unit.repeat(10_000);
        let m = post(&mut s, &alice, ALICE_ACME_ORDER, &body);
        assert_eq!(m.body, body);
        let over = unit.repeat(10_001);
        let reason = invalid_without_change(&world.platform, "body", || {
            s.post(&alice, &PostRequest::new(ALICE_ACME_ORDER, over.as_str()))
        });
        assert!(
            reason.contains("10000"),
            "the reason names the limit: {reason}"
        );
    }
    // The host's own limit applies.
    world.platform.directory.set_limits(Limits {
        max_body_chars: 5,
        ..Limits::default()
    });
    post(&mut s, &alice, ALICE_ACME_ORDER, "12345");
    invalid_without_change(&world.platform, "body", || {
        s.post(&alice, &PostRequest::new(ALICE_ACME_ORDER, "123456"))
    });
}

#[test]
fn control_characters_are_refused_but_line_breaks_and_tabs_are_kept() {
    let (world, mut s) = with_a_thread();
    let alice = world.actor(ALICE);
    for body in [
        "ring \u{7} the bell",
        "a nul \u{0} inside",
        "\u{0}",
        "trailing nul\u{0}",
        "\u{1b}[31mred\u{1b}[0m",
        "back\u{8}space",
        "delete \u{7f}",
    ] {
        invalid_without_change(&world.platform, "body", || {
            s.post(&alice, &PostRequest::new(ALICE_ACME_ORDER, body))
        });
    }
    let body = "Line one\nLine two\r\n\tindented\tand tabbed";
    let m = post(&mut s, &alice, ALICE_ACME_ORDER, body);
    assert_eq!(m.body, body);
    let page = ok(s.read_thread(&alice, &ThreadRequest::new(ALICE_ACME_ORDER).newest_first()));
    assert_eq!(page.messages[0].body, body);
}

// ---------------------------------------------------------------------------------------------
// Dispute reasons and resolutions

#[test]
fn dispute_reasons_must_be_given_and_fit_the_limit() {
    let (world, mut s) = with_a_thread();
    let alice = world.actor(ALICE);
    let long = "é".repeat(2_001);
    for reason in ["", "   ", "\n\t", long.as_str(), "bad \u{7} bell"] {
        invalid_without_change(&world.platform, "reason", || {
            s.open_dispute(&alice, ALICE_ACME_ORDER, reason)
        });
    }
    let reason = "é".repeat(2_000);
    let d = ok(s.open_dispute(&alice, ALICE_ACME_ORDER, &reason));
    assert_eq!(d.reason, reason);
}

#[test]
fn resolutions_must_fit_the_limit() {
    let (world, mut s) = with_a_thread();
    let (alice, sam) = (world.actor(ALICE), world.actor(SAM));
    ok(s.open_dispute(&alice, ALICE_ACME_ORDER, "Drill is broken"));
    for resolution in ["x".repeat(2_001), "é".repeat(2_001), "bad \u{0} nul".into()] {
        invalid_without_change(&world.platform, "resolution", || {
            s.close_dispute(&sam, ALICE_ACME_ORDER, Some(resolution.as_str()))
        });
    }
    assert!(ok(s.current_dispute(&sam, ALICE_ACME_ORDER)).is_some());
    let resolution = "é".repeat(2_000);
    let d = ok(s.close_dispute(&sam, ALICE_ACME_ORDER, Some(resolution.as_str())));
    assert_eq!(d.closed.unwrap().resolution, resolution);
}

// ---------------------------------------------------------------------------------------------
// Actors and order ids

#[test]
fn malformed_actors_are_refused_by_every_kind_of_call() {
    let (world, mut s) = with_a_thread();
    let cases = [
        (Actor::customer("", "Alice"), "actor.id"),
        (Actor::customer(" c1", "Alice"), "actor.id"),
        (Actor::customer("c\u{7}1", "Alice"), "actor.id"),
        (Actor::customer("c".repeat(129), "Alice"), "actor.id"),
        (Actor::customer(ALICE, ""), "actor.display-name"),
        (Actor::customer(ALICE, " \t "), "actor.display-name"),
        (Actor::customer(ALICE, "Ali\nce"), "actor.display-name"),
        (
            Actor::customer(ALICE, "A".repeat(101)),
            "actor.display-name",
        ),
        (Actor::vendor(ANNA, "", "Anna"), "actor.role.vendor"),
    ];
    for (actor, field) in &cases {
        let platform = &world.platform;
        invalid_without_change(platform, field, || {
            s.post(actor, &PostRequest::new(ALICE_ACME_ORDER, "Hi"))
        });
        invalid_without_change(platform, field, || {
            s.read_thread(actor, &ThreadRequest::new(ALICE_ACME_ORDER).marking_read())
        });
        invalid_without_change(platform, field, || s.bell(actor));
        invalid_without_change(platform, field, || {
            s.list_threads(actor, &ListRequest::new(Query::all(), 10))
        });
        invalid_without_change(platform, field, || {
            s.mark_matching(actor, &Query::all(), true, None)
        });
        invalid_without_change(platform, field, || {
            s.filter_orders(
                actor,
                &[ALICE_ACME_ORDER.into()],
                MessageFilter::WithMessages,
            )
        });
    }
    // At the limits, actors are fine.
    let longest = Actor::customer(ALICE, "A".repeat(100));
    post(&mut s, &longest, ALICE_ACME_ORDER, "Long name, still me");
}

#[test]
fn malformed_order_ids_are_refused_by_every_call() {
    let (world, mut s) = with_a_thread();
    let (alice, sam) = (world.actor(ALICE), world.actor(SAM));
    let too_long = "o".repeat(129);
    let bad_ids = ["", too_long.as_str(), "o\u{7}1", "o1\n", " o1", "o1 "];
    for (name, op) in single_order_ops() {
        for id in bad_ids {
            for actor in [&alice, &sam] {
                let reason =
                    invalid_without_change(&world.platform, "order-id", || op(&mut s, actor, id));
                assert!(!reason.is_empty(), "{name}");
            }
        }
    }
    for id in bad_ids {
        let ids = [ALICE_ACME_ORDER.to_string(), id.to_string()];
        invalid_without_change(&world.platform, "order-ids", || {
            s.mark_selected(&alice, &ids, true, None)
        });
        invalid_without_change(&world.platform, "order-ids", || {
            s.filter_orders(&alice, &ids, MessageFilter::WithMessages)
        });
    }
    // 128 characters is a well-formed id: unknown, so not found.
    let longest = "o".repeat(128);
    refused_without_change(&world.platform, "not-found", || {
        s.unread_count(&sam, &longest)
    });
}

#[test]
fn unknown_orders_are_not_found_by_every_single_order_call() {
    let (world, mut s) = with_a_thread();
    // Even staff, who reach every order, and a vendor.
    for who in [ALICE, ANNA, SAM] {
        let actor = world.actor(who);
        for (name, op) in single_order_ops() {
            if who == ANNA && matches!(name, "open" | "close") {
                continue; // vendors are refused those whatever the order
            }
            let e = refused_without_change(&world.platform, "not-found", || {
                op(&mut s, &actor, UNKNOWN)
            });
            assert!(
                e.describe().contains(UNKNOWN),
                "{who} {name}: {}",
                e.describe()
            );
        }
        refused_without_change(&world.platform, "not-found", || {
            s.mark_selected(&actor, &[UNKNOWN.into()], true, None)
        });
        // The order filter never reports an order, it drops it.
        let kept = ok_without_change(&world.platform, || {
            s.filter_orders(
                &actor,
                &[UNKNOWN.into(), ALICE_ACME_ORDER.into()],
                MessageFilter::WithMessages,
            )
        });
        assert!(!kept.contains(&UNKNOWN.to_string()));
    }
}

// ---------------------------------------------------------------------------------------------
// Cursors and page sizes

/// A store where Sam has both unread and read threads, so an unread-first listing has two
/// passes.
fn busy() -> (World, Session) {
    let (world, mut s) = marketplace();
    for (who, order) in [
        (ALICE, ALICE_ACME_ORDER),
        (ALICE, ALICE_BLUE_ORDER),
        (BOB, BOB_ACME_ORDER),
        (CAROL, CAROL_BLUE_ORDER),
        (CAROL, CAROL_STORE_ORDER),
    ] {
        world.platform.clock.advance_millis(60_000);
        post(&mut s, &world.actor(who), order, "A question");
    }
    let sam = world.actor(SAM);
    ok(s.mark_read(&sam, ALICE_ACME_ORDER));
    ok(s.mark_read(&sam, BOB_ACME_ORDER));
    (world, s)
}

#[test]
fn malformed_cursors_are_refused() {
    let (world, mut s) = busy();
    let (alice, sam) = (world.actor(ALICE), world.actor(SAM));
    let platform = &world.platform;
    for cursor in ["abc", "", "-1", "1.5", "0x10", "0:0000000000001/o1"] {
        invalid_without_change(platform, "cursor", || {
            s.read_thread(
                &alice,
                &ThreadRequest::new(ALICE_ACME_ORDER).with_cursor(Some(cursor.into())),
            )
        });
    }
    let listing_cursors = [
        "garbage",
        "",
        ":",
        "0:",
        "0:123",
        "0:0000000000001",
        "x:0000000000001/o1",
        "-1:0000000000001/o1",
        // Pass 9 of a one-pass listing.
        "9:0000000000001/x",
        // A `list-orders` cursor (a bare stamp).
        "0000000000001/o1",
    ];
    for cursor in listing_cursors {
        invalid_without_change(platform, "cursor", || {
            s.list_threads(
                &sam,
                &ListRequest::new(Query::all(), 10).with_cursor(Some(cursor.into())),
            )
        });
        invalid_without_change(platform, "cursor", || {
            s.mark_matching(&sam, &Query::all(), true, Some(cursor))
        });
    }
    for cursor in [
        "garbage",
        "",
        "12",
        "0:0000000000001/o1",
        "000000000000x/o1",
    ] {
        invalid_without_change(platform, "cursor", || {
            s.list_orders(&sam, MessageFilter::WithMessages, Some(cursor), 10)
        });
    }
}

#[test]
fn a_cursor_of_another_query_shape_is_refused() {
    let (world, mut s) = busy();
    let sam = world.actor(SAM);
    // Page an unread-first listing one row at a time into its second pass (the read threads).
    let mut request = ListRequest::new(Query::all(), 1).unread_first();
    let second_pass = loop {
        let page = ok(s.list_threads(&sam, &request));
        let next = page
            .next_cursor
            .expect("the listing reaches its second pass");
        if next.starts_with("1:") {
            break next;
        }
        request.cursor = Some(next);
    };
    // The rest of that listing pages on with it...
    ok(s.list_threads(
        &sam,
        &request.clone().with_cursor(Some(second_pass.clone())),
    ));
    // ...but a newest-first listing has a single pass: the cursor is not one of its own.
    invalid_without_change(&world.platform, "cursor", || {
        s.list_threads(
            &sam,
            &ListRequest::new(Query::all(), 1).with_cursor(Some(second_pass.clone())),
        )
    });
    invalid_without_change(&world.platform, "cursor", || {
        s.mark_matching(&sam, &Query::all(), true, Some(&second_pass))
    });
    // Nor is it a cursor of the order filter's listing.
    invalid_without_change(&world.platform, "cursor", || {
        s.list_orders(&sam, MessageFilter::WithMessages, Some(&second_pass), 1)
    });
}

#[test]
fn page_sizes_outside_one_to_the_maximum_are_refused() {
    let (world, mut s) = busy();
    let (alice, sam) = (world.actor(ALICE), world.actor(SAM));
    let platform = &world.platform;
    for limit in [0, 101, u32::MAX] {
        invalid_without_change(platform, "limit", || {
            s.read_thread(
                &alice,
                &ThreadRequest::new(ALICE_ACME_ORDER).with_limit(limit),
            )
        });
        invalid_without_change(platform, "limit", || {
            s.list_threads(&sam, &ListRequest::new(Query::all(), limit))
        });
        invalid_without_change(platform, "limit", || {
            s.list_orders(&sam, MessageFilter::WithMessages, None, limit)
        });
    }
    for limit in [1, 100] {
        ok(s.read_thread(
            &alice,
            &ThreadRequest::new(ALICE_ACME_ORDER).with_limit(limit),
        ));
        ok(s.list_threads(&sam, &ListRequest::new(Query::all(), limit)));
        ok(s.list_orders(&sam, MessageFilter::WithMessages, None, limit));
    }
    // The host's limit applies, up to the addon's ceiling of 500.
    for (setting, max) in [(10, 10), (1_000, 500)] {
        platform.directory.set_limits(Limits {
            max_page_size: setting,
            ..Limits::default()
        });
        invalid_without_change(platform, "limit", || {
            s.list_threads(&sam, &ListRequest::new(Query::all(), max + 1))
        });
        ok(s.list_threads(&sam, &ListRequest::new(Query::all(), max)));
    }
}

#[test]
fn outbox_page_sizes_outside_one_to_500_are_refused() {
    let (world, mut s) = busy();
    let platform = &world.platform;
    for limit in [0, 501] {
        invalid_without_change(platform, "limit", || s.deliver_pending(limit));
        invalid_without_change(platform, "limit", || s.list_outbox(false, None, limit));
        invalid_without_change(platform, "limit", || s.list_outbox(true, None, limit));
    }
    ok(s.deliver_pending(500));
    ok(s.list_outbox(false, None, 500));
    ok(s.list_outbox(true, None, 1));
}

// ---------------------------------------------------------------------------------------------
// Lists of order ids

#[test]
fn too_many_order_ids_are_refused() {
    let (world, mut s) = busy();
    let sam = world.actor(SAM);
    let platform = &world.platform;
    // The default: 1,000.
    let ids = |n: usize| -> Vec<String> { (0..n).map(|i| format!("o{i}")).collect() };
    let over = ids(1_001);
    invalid_without_change(platform, "order-ids", || {
        s.filter_orders(&sam, &over, MessageFilter::WithMessages)
    });
    invalid_without_change(platform, "order-ids", || {
        s.mark_selected(&sam, &over, true, None)
    });
    let kept = ok(s.filter_orders(&sam, &ids(1_000), MessageFilter::WithMessages));
    assert_eq!(kept, ["o1", "o2", "o3", "o4", "o5"]);

    // A lower limit set by the host.
    platform.directory.set_limits(Limits {
        max_order_ids: 3,
        ..Limits::default()
    });
    let four: Vec<String> = [
        ALICE_ACME_ORDER,
        ALICE_BLUE_ORDER,
        BOB_ACME_ORDER,
        CAROL_BLUE_ORDER,
    ]
    .map(String::from)
    .into();
    invalid_without_change(platform, "order-ids", || {
        s.filter_orders(&sam, &four, MessageFilter::WithMessages)
    });
    invalid_without_change(platform, "order-ids", || {
        s.mark_selected(&sam, &four, false, None)
    });
    ok(s.filter_orders(&sam, &four[..3], MessageFilter::WithMessages));
    ok(s.mark_selected(&sam, &four[..3], false, None));
}

#[test]
fn mark_selected_with_one_unreachable_order_marks_none() {
    let (world, mut s) = busy();
    let alice = world.actor(ALICE);
    // Alice wrote on both her orders, so both are read; Bob's order is not hers.
    for (ids, offending) in [
        (
            [ALICE_ACME_ORDER, ALICE_BLUE_ORDER, BOB_ACME_ORDER],
            BOB_ACME_ORDER,
        ),
        ([ALICE_ACME_ORDER, UNKNOWN, ALICE_BLUE_ORDER], UNKNOWN),
    ] {
        let ids = ids.map(String::from);
        let e = refused_without_change(&world.platform, "not-found", || {
            s.mark_selected(&alice, &ids, false, None)
        });
        assert!(e.describe().contains(offending), "{}", e.describe());
    }
    assert_eq!(bell(&mut s, &alice), (0, 0));
    let ids = [ALICE_ACME_ORDER, ALICE_BLUE_ORDER].map(String::from);
    assert_eq!(ok(s.mark_selected(&alice, &ids, false, None)).changed, 2);
    assert_eq!(bell(&mut s, &alice), (2, 0));
}

// ---------------------------------------------------------------------------------------------
// State and idempotency

#[test]
fn disputes_in_the_wrong_state_are_refused() {
    let (world, mut s) = with_a_thread();
    let (alice, sam) = (world.actor(ALICE), world.actor(SAM));
    let platform = &world.platform;
    // Nothing open: on an order with a thread and on one without.
    for order in [ALICE_ACME_ORDER, ALICE_BLUE_ORDER] {
        refused_without_change(platform, "invalid-state", || {
            s.close_dispute(&alice, order, None)
        });
    }
    ok(s.open_dispute(&alice, ALICE_ACME_ORDER, "Drill is broken"));
    for who in [&alice, &sam] {
        refused_without_change(platform, "invalid-state", || {
            s.open_dispute(who, ALICE_ACME_ORDER, "Again")
        });
    }
    ok(s.close_dispute(&sam, ALICE_ACME_ORDER, Some("Replaced")));
    refused_without_change(platform, "invalid-state", || {
        s.close_dispute(&sam, ALICE_ACME_ORDER, Some("Twice"))
    });
    assert_eq!(ok(s.dispute_history(&alice, ALICE_ACME_ORDER)).len(), 1);
}

#[test]
fn idempotency_keys_return_the_first_message_or_conflict() {
    let (world, mut s) = with_a_thread();
    let (alice, sam) = (world.actor(ALICE), world.actor(SAM));
    let platform = &world.platform;
    let request = PostRequest::new(ALICE_ACME_ORDER, "Any news?").with_key("retry-1");
    let first = ok(s.post(&alice, &request));
    // The same request again: the same message, nothing added (no message, no mail).
    let again = ok_without_change(platform, || s.post(&alice, &request));
    assert_eq!(again, first);
    // The key for another body or another order: a conflict.
    let other_body = PostRequest::new(ALICE_ACME_ORDER, "Any news??").with_key("retry-1");
    refused_without_change(platform, "conflict", || s.post(&alice, &other_body));
    let other_order = PostRequest::new(ALICE_BLUE_ORDER, "Any news?").with_key("retry-1");
    refused_without_change(platform, "conflict", || s.post(&alice, &other_order));
    // Keys belong to their author: staff using the same key post their own message.
    let staff = ok(s.post(&sam, &request));
    assert_eq!((staff.seq, staff.author_id.as_str()), (first.seq + 1, SAM));
    // Malformed keys.
    let long = "k".repeat(129);
    for key in ["", long.as_str(), "k\n1", " k"] {
        let request = PostRequest::new(ALICE_ACME_ORDER, "Hi").with_key(key);
        invalid_without_change(platform, "idempotency-key", || s.post(&alice, &request));
    }
    let page = ok(s.read_thread(&alice, &ThreadRequest::new(ALICE_ACME_ORDER)));
    assert_eq!(page.message_count, 3);
}

// ---------------------------------------------------------------------------------------------
// Search

#[test]
fn searches_that_are_too_long_or_have_too_many_words_are_refused() {
    let (world, mut s) = busy();
    let sam = world.actor(SAM);
    let platform = &world.platform;
    let too_long = "x".repeat(201);
    let refused = [
        too_long.as_str(),
        "one two three four five six seven eight nine",
        "a,b,c,d,e,f,g,h,i",
    ];
    for search in refused {
        for query in [Query::all(), Query::unread()] {
            let query = query.with_search(search);
            invalid_without_change(platform, "search", || {
                s.list_threads(&sam, &ListRequest::new(query.clone(), 10))
            });
            invalid_without_change(platform, "search", || {
                s.mark_matching(&sam, &query, true, None)
            });
        }
    }
    let longest = "x".repeat(200);
    for search in [longest.as_str(), "one two three four five six seven eight"] {
        ok(s.list_threads(
            &sam,
            &ListRequest::new(Query::all().with_search(search), 10),
        ));
    }
}

#[test]
fn wildcard_only_searches_match_nothing_and_are_not_errors() {
    let (world, mut s) = busy();
    let sam = world.actor(SAM);
    assert_eq!(list_all(&mut s, &sam, Query::all(), 10).len(), 5);
    for search in ["%%%", "*", "%", "_", "?", ".*", "%_*?!"] {
        for query in [Query::all(), Query::unread(), Query::open_disputes()] {
            let query = query.with_search(search);
            let page = ok_without_change(&world.platform, || {
                s.list_threads(&sam, &ListRequest::new(query.clone(), 10))
            });
            assert!(page.rows.is_empty(), "{search:?} matched {:?}", page.rows);
            assert_eq!(page.next_cursor, None);
            let marked = ok_without_change(&world.platform, || {
                s.mark_matching(&sam, &query, true, None)
            });
            assert_eq!(
                (marked.changed, marked.next_cursor),
                (0, None),
                "{search:?}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Text that is not plain: HTML and line breaks where they must not go

#[test]
fn html_is_stored_as_posted_and_escaped_in_mail() {
    let (world, mut s) = marketplace();
    // The host vouches for the actor, display name included.
    let alice = Actor::customer(ALICE, "Alice <img src=x onerror=alert(1)>");
    let body = "<script>alert('x')</script> & <b>bold</b> \"quoted\"";
    let m = post(&mut s, &alice, ALICE_ACME_ORDER, body);
    assert_eq!(m.body, body);
    let page = ok(s.read_thread(&alice, &ThreadRequest::new(ALICE_ACME_ORDER)));
    assert_eq!(page.messages[0].body, body);
    ok(s.open_dispute(&alice, ALICE_ACME_ORDER, "<script>steal()</script>"));

    let mails = world.platform.mail.all();
    assert!(mails.len() >= 2, "mail about the message and the dispute");
    for mail in &mails {
        let html = &mail.html_body;
        assert!(!html.contains("<script"), "unescaped script: {html}");
        assert!(!html.contains("<img"), "unescaped name: {html}");
        assert!(!html.contains("<b>"), "unescaped markup: {html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(
            html.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{html}"
        );
    }
    let message_mail = &mails[0];
    assert!(
        message_mail
            .html_body
            .contains("&lt;b&gt;bold&lt;/b&gt; &quot;quoted&quot;"),
        "{}",
        message_mail.html_body
    );
    // The plain-text body is plain text: the message as written.
    assert!(message_mail.text_body.contains(body));
}

#[test]
fn subjects_are_one_line_even_when_the_order_number_is_not() {
    let (world, mut s) = marketplace();
    for (id, number) in [("ox", "12\n34"), ("oy", "56\r\n78\u{2028}9")] {
        world
            .platform
            .directory
            .add_order(Order::new(id, number, ALICE, "Alice").with_vendor(ACME, "Acme Tools"));
    }
    let (alice, sam) = (world.actor(ALICE), world.actor(SAM));
    for order in ["ox", "oy"] {
        post(&mut s, &alice, order, "First line\nsecond line");
        ok(s.open_dispute(&alice, order, "Reason one\nreason two"));
        ok(s.close_dispute(&sam, order, Some("Done\r\nreally")));
    }
    let mails = world.platform.mail.all();
    assert!(mails.len() >= 6, "{} mails", mails.len());
    for mail in &mails {
        assert!(
            !mail
                .subject
                .chars()
                .any(|c| c.is_control() || c == '\u{2028}'),
            "subject with a line break: {:?}",
            mail.subject
        );
    }
    assert!(
        mails.iter().any(|m| m.subject.contains("12 34")),
        "the number, on one line"
    );
}

/// Outbox entries are described in one line (`outbox-entry.summary`), so a line break in an
/// order number must not reach it either.
#[test]
fn outbox_summaries_are_one_line_even_when_the_order_number_is_not() {
    let (world, mut s) = marketplace();
    world
        .platform
        .directory
        .add_order(Order::new("ox", "12\n34", ALICE, "Alice").with_vendor(ACME, "Acme Tools"));
    // Keep everything in the outbox.
    world.platform.mail.fail_always(Fault::Unavailable);
    world.platform.notifications.fail_always(Fault::Unavailable);
    let alice = world.actor(ALICE);
    post(&mut s, &alice, "ox", "Hello");
    ok(s.open_dispute(&alice, "ox", "Late"));
    let (entries, _) = ok(s.list_outbox(false, None, 500));
    assert!(!entries.is_empty());
    let broken: Vec<&str> = entries
        .iter()
        .map(|e| e.summary.as_str())
        .filter(|summary| summary.chars().any(char::is_control))
        .collect();
    assert!(broken.is_empty(), "summaries with a line break: {broken:?}");
}

// ---------------------------------------------------------------------------------------------
// The outbox's cursors and the host's clock

#[test]
fn malformed_outbox_cursors_are_refused() {
    let (world, mut s) = with_a_thread();
    let platform = &world.platform;
    // Something to page through: mail that could not go out.
    platform.mail.fail_always(Fault::Unavailable);
    post(&mut s, &world.actor(ANNA), ALICE_ACME_ORDER, "On its way");
    post(
        &mut s,
        &world.actor(ANNA),
        ALICE_ACME_ORDER,
        "Tracking: 123",
    );
    let (first, next) = ok(s.list_outbox(false, None, 1));
    let next = next.expect("a full page has a cursor");
    for cursor in [
        "garbage",
        "",
        "0000000000001",
        "0000000000001/",
        "000000000000x/o1/000",
        "0000000000001/o1/00x",
        "0000000000001/o1\n/000",
    ] {
        for dead in [false, true] {
            invalid_without_change(platform, "cursor", || s.list_outbox(dead, Some(cursor), 10));
        }
    }
    // A cursor the listing returned goes on after the first entry.
    let (rest, _) = ok(s.list_outbox(false, Some(&next), 10));
    assert!(!rest.is_empty());
    assert!(rest.iter().all(|e| e.key > first[0].key));
}

#[test]
fn a_host_clock_beyond_what_keys_can_record_is_refused() {
    let (world, mut s) = with_a_thread();
    let alice = world.actor(ALICE);
    let platform = &world.platform;
    // Activity stamps hold 13 digits of milliseconds: up to 9,999,999,999,999 (year 2286).
    for beyond in [10_000_000_000_000, 4_102_444_800_000_000, i64::MAX] {
        platform.clock.set(beyond);
        let error = refused_without_change(platform, "invalid-state", || {
            s.post(
                &alice,
                &PostRequest::new(ALICE_ACME_ORDER, "From the future"),
            )
        });
        assert!(error.describe().contains("clock"), "{}", error.describe());
        refused_without_change(platform, "invalid-state", || {
            s.mark_unread(&alice, ALICE_ACME_ORDER)
        });
    }
    assert_eq!(s.instantiations(), 1, "no call trapped");
    platform.clock.set(9_999_999_999_999);
    let message = post(&mut s, &alice, ALICE_ACME_ORDER, "At the last moment");
    assert_eq!(message.created_at, 9_999_999_999_999);
    assert_verified(&mut s);
}
