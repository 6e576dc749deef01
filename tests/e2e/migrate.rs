//! Upgrading a store the released 0.1.0 addon wrote: the data is refused until `migrate` has
//! run, `migrate` goes a bounded batch per call and may be interrupted anywhere, and afterwards
//! every actor reads exactly what they read before, pending mail goes out under its old
//! idempotency keys, and `verify` finds nothing wrong.

use std::sync::OnceLock;

use order_messages_host::Runtime;
use order_messages_platform::{load, runtime_of};
use order_messages_tests::*;

/// The released 0.1.0 component (the host library's test fixture).
const RELEASED_0_1_0: &[u8] =
    include_bytes!("../../host-harness/host/tests/fixtures/order_messages-0.1.0.wasm");

fn released() -> &'static Runtime<Platform> {
    static RUNTIME: OnceLock<Runtime<Platform>> = OnceLock::new();
    RUNTIME.get_or_init(|| runtime_of(&load(RELEASED_0_1_0).unwrap()).unwrap())
}

/// An order whose id is no plain key component (a slash, a percent sign, a space, a non-ASCII
/// letter), and its customer, whose id is one neither.
const ODD_ORDER: &str = "zoë/order 50%";
const ODD_CUSTOMER: &str = "cust/ü";

/// The marketplace with long bodies allowed, an odd order, and a store written by 0.1.0:
/// threads with read and unread messages, disputes open and closed, a body longer than a
/// 0.2.0 post may be, one with more distinct words than 0.2.0 indexes, mail pending (the
/// mailer down) and a dead letter.
fn store_of_the_released_addon() -> World {
    let world = Fixtures::marketplace()
        .limits(Limits {
            max_body_chars: 100_000,
            ..Limits::default()
        })
        .customer(ODD_CUSTOMER, "Zoë")
        .vendor_order(ODD_ORDER, "1006", ODD_CUSTOMER, ACME)
        .build();
    let mut old = world.session_with(released()).unwrap();
    let [alice, bob, carol, anna, ben, sam, zoe] =
        [ALICE, BOB, CAROL, ANNA, BEN, SAM, ODD_CUSTOMER].map(|id| world.actor(id));
    post(&mut old, &alice, ALICE_ACME_ORDER, "Where is my drill?");
    post(
        &mut old,
        &anna,
        ALICE_ACME_ORDER,
        "The drill ships tomorrow.",
    );
    post(&mut old, &alice, ALICE_BLUE_ORDER, "Is the atlas signed?");
    post(&mut old, &bob, BOB_ACME_ORDER, "Wrong colour of hammer");
    ok(old.open_dispute(&bob, BOB_ACME_ORDER, "Wrong item sent"));
    post(&mut old, &carol, CAROL_BLUE_ORDER, "Novel arrived damaged");
    ok(old.open_dispute(&sam, CAROL_BLUE_ORDER, "Damaged in transit"));
    ok(old.close_dispute(&sam, CAROL_BLUE_ORDER, Some("Refunded")));
    post(&mut old, &carol, CAROL_STORE_ORDER, &"€".repeat(70_000));
    let many_words: Vec<String> = (0..300).map(|n| format!("word{n}")).collect();
    post(&mut old, &zoe, ODD_ORDER, &many_words.join(" "));
    post(&mut old, &anna, ODD_ORDER, "Zoë, your parcel is on its way");
    ok(old.mark_read(&sam, ALICE_ACME_ORDER));
    ok(old.mark_unread(&alice, ALICE_ACME_ORDER));
    drain(&mut old);
    // Mail the mailer refuses for good, then mail it cannot take for now.
    world.platform.mail.fail_next(1, Fault::Rejected);
    post(&mut old, &ben, CAROL_BLUE_ORDER, "Sorry, Carol.");
    world.platform.mail.fail_always(Fault::Unavailable);
    post(
        &mut old,
        &ben,
        ALICE_BLUE_ORDER,
        "Signed by the author, yes.",
    );
    post(&mut old, &zoe, ODD_ORDER, "Thank you!");
    world.platform.mail.recover();
    world
}

/// Everything every actor of the marketplace reads, as text: bells, inboxes (all, unread,
/// open disputes, searches), whole threads, disputes, and the order filter.
fn what_everyone_reads(world: &World, s: &mut Session) -> String {
    let mut out = String::new();
    let orders: Vec<String> = world
        .platform
        .directory
        .orders()
        .into_iter()
        .map(|o| o.id)
        .collect();
    let queries = [
        Query::all(),
        Query::unread(),
        Query::open_disputes(),
        Query::all().with_search("drill"),
        Query::all().with_search("word299"),
        Query::all().with_search("parcel zoë"),
    ];
    for actor in world.actors() {
        out += &format!("== {}\n{:?}\n", actor.id, s.bell(actor).unwrap());
        for query in &queries {
            out += &format!("{query:?}: {:?}\n", list_all(s, actor, query.clone(), 2));
        }
        for order in &orders {
            let request = ThreadRequest::new(order.as_str()).with_limit(100);
            let kind = |e: Error| e.kind();
            out += &format!(
                "{order}: {:?} {:?} {:?} {:?}\n",
                s.read_thread(actor, &request).unwrap().map_err(kind),
                s.unread_count(actor, order).unwrap().map_err(kind),
                s.current_dispute(actor, order).unwrap().map_err(kind),
                s.dispute_history(actor, order).unwrap().map_err(kind),
            );
        }
        for filter in [MessageFilter::WithMessages, MessageFilter::WithUnread] {
            out += &format!(
                "{filter:?}: {:?} {:?}\n",
                ok(s.filter_orders(actor, &orders, filter)),
                list_orders_all(s, actor, filter, 2),
            );
        }
    }
    out
}

/// Keys of the 0.1.0 layout (lowercase families) left in the store.
fn old_keys(world: &World) -> Vec<String> {
    world
        .platform
        .storage
        .dump()
        .into_iter()
        .map(|e| e.key)
        .filter(|k| k != "meta/schema" && k.starts_with(|c: char| c.is_ascii_lowercase()))
        .collect()
}

/// Run `migrate` to the end in batches of `limit`; returns the reports.
fn migrate_all(s: &mut Session, limit: u32) -> Vec<MigrateReport> {
    let mut reports = Vec::new();
    let mut cursor = None;
    loop {
        let report = ok(s.migrate(cursor.as_deref(), limit));
        assert!(report.migrated <= limit, "{report:?}");
        cursor = report.next_cursor.clone();
        reports.push(report);
        if cursor.is_none() {
            return reports;
        }
        assert!(reports.len() < 1_000, "migrate does not finish");
    }
}

#[test]
fn a_store_of_the_released_addon_reads_the_same_once_migrated() {
    let world = store_of_the_released_addon();
    let mut old = world.session_with(released()).unwrap();
    let before = what_everyone_reads(&world, &mut old);
    let pending_before = ok(old.list_outbox(false, None, 100));
    let dead_before = ok(old.list_outbox(true, None, 100));
    assert_eq!((pending_before.0.len(), dead_before.0.len()), (2, 1));

    // This addon refuses the old data, changing nothing, until it is migrated.
    let mut s = world.session().unwrap();
    let sam = world.actor(SAM);
    let error = refused_without_change(&world.platform, "invalid-state", || s.bell(&sam));
    assert!(error.describe().contains("migrate"), "{}", error.describe());
    assert_eq!(ok(s.schema_version()), 1);

    let reports = migrate_all(&mut s, 7);
    let moved: u32 = reports.iter().map(|r| r.migrated).sum();
    assert!(reports.len() > 5, "small batches: {} calls", reports.len());
    assert!(
        reports
            .iter()
            .all(|r| (r.from_version, r.to_version) == (1, 2))
    );
    assert!(moved > 60, "{moved} records");
    assert_eq!(old_keys(&world), Vec::<String>::new());
    assert_eq!(ok(s.schema_version()), 2);
    // Again: nothing left to do.
    let again = ok(s.migrate(None, 7));
    assert_eq!(
        (again.from_version, again.migrated, again.next_cursor),
        (2, 0, None)
    );

    assert_eq!(what_everyone_reads(&world, &mut s), before);
    let pending = ok(s.list_outbox(false, None, 100)).0;
    let dead = ok(s.list_outbox(true, None, 100)).0;
    let ids = |entries: &[OutboxEntry]| entries.iter().map(|e| e.key.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&pending), ids(&pending_before.0));
    assert_eq!(ids(&dead), ids(&dead_before.0));

    // The pending mail goes out under the keys 0.1.0 gave it, and all is consistent.
    let mails = world.platform.mail.count();
    drain(&mut s);
    let sent: Vec<String> = world.platform.mail.all()[mails..]
        .iter()
        .map(|m| m.idempotency_key.clone())
        .collect();
    let old_mail_ids: Vec<String> = pending_before
        .0
        .iter()
        .filter(|e| e.kind == OutboxKind::Mail)
        .map(|e| e.key.clone())
        .collect();
    assert!(!old_mail_ids.is_empty());
    assert_eq!(sent, old_mail_ids);
    assert_verified(&mut s);

    // And the store goes on: a new message is counted and found.
    let alice = world.actor(ALICE);
    let unread_before = bell(&mut s, &sam).0;
    post(&mut s, &alice, ALICE_ACME_ORDER, "Any tracking number?");
    drain(&mut s);
    assert_eq!(bell(&mut s, &sam).0, unread_before + 1);
    let found = list_all(&mut s, &sam, Query::all().with_search("tracking"), 10);
    assert_eq!(order_ids(&found), [ALICE_ACME_ORDER]);
    assert_verified(&mut s);
}

#[test]
fn while_a_migration_is_under_way_both_addons_refuse_every_other_call() {
    let world = store_of_the_released_addon();
    let mut s = world.session().unwrap();
    let first = ok(s.migrate(None, 5));
    assert_eq!(first.migrated, 5);
    assert!(first.next_cursor.is_some());

    let alice = world.actor(ALICE);
    let error = refused_without_change(&world.platform, "invalid-state", || {
        s.post(&alice, &PostRequest::new(ALICE_ACME_ORDER, "Hello?"))
    });
    assert!(error.describe().contains("migrate"), "{}", error.describe());
    // A 0.1.0 instance started now reads a newer version and refuses too.
    let mut old = world.session_with(released()).unwrap();
    let error = refused_without_change(&world.platform, "invalid-state", || {
        old.post(&alice, &PostRequest::new(ALICE_ACME_ORDER, "Hello?"))
    });
    assert!(error.describe().contains("newer"), "{}", error.describe());

    migrate_all(&mut s, 500);
    post(&mut s, &alice, ALICE_ACME_ORDER, "Hello?");
}

#[test]
fn an_interrupted_migration_repeated_loses_nothing() {
    let reference = store_of_the_released_addon();
    let mut s = reference.session().unwrap();
    migrate_all(&mut s, 500);
    let expected = what_everyone_reads(&reference, &mut s);

    let world = store_of_the_released_addon();
    let mut s = world.session().unwrap();
    // The store fails one of the first few dozen calls of each migrate call, wherever it
    // falls: a read, a scan or a commit.
    let (mut calls, mut failed, mut cursor) = (0, 0, None::<String>);
    let mut rng = Rng::new(7);
    loop {
        calls += 1;
        assert!(calls < 1_000, "migrate does not finish");
        let skip = rng.below(24) as u32;
        world
            .platform
            .storage
            .fail_after(skip, 1, Fault::Unavailable);
        match s.migrate(cursor.as_deref(), 20).unwrap() {
            Ok(report) => match report.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            },
            Err(e) => {
                assert_eq!(e.kind(), "storage", "{}", e.describe());
                failed += 1;
            }
        }
    }
    world.platform.storage.recover();
    assert!(failed > 5, "{failed} of {calls} calls failed");
    assert_eq!(old_keys(&world), Vec::<String>::new());
    assert_eq!(what_everyone_reads(&world, &mut s), expected);
    assert_verified(&mut s);
}
