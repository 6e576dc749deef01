//! Authorization: every export, called by every kind of actor, in both multivendor modes.
//!
//! The rules (design brief, "Authorization"; WIT `types.error`): customers reach only their own
//! orders; a vendor's users only that vendor's orders, and only while vendors run separate
//! shops (in warehouse mode every vendor call is `forbidden`); staff reach every order. An order
//! the actor does not reach is refused with `not-found`, word for word like an order that does
//! not exist. Vendors may read disputes but never open or close them. The order filter drops
//! unreachable orders silently, and no listing or count shows another party's threads. A
//! refused call changes nothing.
//!
//! The matrix runs every [`Op`] for every [`Case`] on a fresh, seeded store (so that one case's
//! allowed writes never feed the next), collects every failing cell and reports them together.

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};

use order_messages_tests::*;

/// An order id no order has.
const MISSING: &str = "o404";

/// Every order of the marketplace fixtures; the seed gives each a thread.
const ALL_ORDERS: [&str; 5] = [
    ALICE_ACME_ORDER,
    ALICE_BLUE_ORDER,
    BOB_ACME_ORDER,
    CAROL_BLUE_ORDER,
    CAROL_STORE_ORDER,
];

/// The orders the seed leaves with an open dispute.
const DISPUTED: [&str; 1] = [ALICE_BLUE_ORDER];

/// A call's raw outcome, as the session returns it.
type Outcome<T> = anyhow::Result<Result<T, Error>>;

/// Order ids, as a set.
type Ids = BTreeSet<String>;

/// Unwraps a successful call inside a function returning [`Outcome`]; returns the addon's
/// refusal as that function's outcome.
macro_rules! attempt {
    ($call:expr) => {
        match $call? {
            Ok(value) => value,
            Err(refusal) => return Ok(Err(refusal)),
        }
    };
}

/// The marketplace in `mode`, with a thread on every order (written by customers and staff, so
/// the same seed works in both modes; every body contains "parcel") and an open dispute on
/// Alice's Blue Books order.
fn seeded(mode: MultivendorMode) -> (World, Session) {
    let world = Fixtures::marketplace().mode(mode).build();
    let mut s = world.session().expect("the component instantiates");
    let script = [
        (ALICE, ALICE_ACME_ORDER, "Where is my parcel?"),
        (ALICE, ALICE_BLUE_ORDER, "Has the parcel left?"),
        (BOB, BOB_ACME_ORDER, "My parcel arrived damaged"),
        (CAROL, CAROL_BLUE_ORDER, "Parcel tracking, please"),
        (CAROL, CAROL_STORE_ORDER, "Please gift-wrap the parcel"),
        (SAM, BOB_ACME_ORDER, "We are looking into the parcel"),
    ];
    for (who, order, body) in script {
        world.platform.clock.advance_millis(60_000);
        post(&mut s, &world.actor(who), order, body);
    }
    world.platform.clock.advance_millis(60_000);
    ok(s.open_dispute(&world.actor(ALICE), ALICE_BLUE_ORDER, "The parcel is late"));
    world.platform.clock.advance_millis(60_000);
    (world, s)
}

/// The rule under test, written out: whether `actor` reaches `order` in `mode`.
fn reaches(actor: &Actor, order: &Order, mode: MultivendorMode) -> bool {
    match &actor.role {
        Role::Admin => true,
        Role::Customer => order.customer_id == actor.id,
        Role::Vendor(v) => {
            mode == MultivendorMode::SeparateShops && order.vendor_id.as_deref() == Some(v)
        }
    }
}

/// The seeded orders `actor` reaches in `mode`, and those of them with an open dispute.
fn reachable(world: &World, actor: &Actor, mode: MultivendorMode) -> (Ids, Ids) {
    let threads: Ids = ALL_ORDERS
        .iter()
        .filter(|o| reaches(actor, &world.platform.directory.order(o).unwrap(), mode))
        .map(|o| o.to_string())
        .collect();
    let disputed = threads
        .iter()
        .filter(|o| DISPUTED.contains(&o.as_str()))
        .cloned()
        .collect();
    (threads, disputed)
}

/// What an allowed call showed that depends on what the actor reaches.
#[derive(Debug, Default)]
struct Shown {
    /// The threads a listing showed (every seeded thread the actor reaches, no other).
    threads: Option<Ids>,
    /// The threads with an open dispute a listing showed.
    disputed: Option<Ids>,
    /// The open-disputes count of the bell.
    dispute_count: Option<u32>,
}

/// Every export that acts for a user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Post,
    ReadThread,
    UnreadCount,
    MarkRead,
    MarkUnread,
    ListThreads,
    Bell,
    MarkSelected,
    MarkMatching,
    OpenDispute,
    CloseDispute,
    CurrentDispute,
    DisputeHistory,
    Filter,
    ListOrders,
}

const OPS: [Op; 15] = [
    Op::Post,
    Op::ReadThread,
    Op::UnreadCount,
    Op::MarkRead,
    Op::MarkUnread,
    Op::ListThreads,
    Op::Bell,
    Op::MarkSelected,
    Op::MarkMatching,
    Op::OpenDispute,
    Op::CloseDispute,
    Op::CurrentDispute,
    Op::DisputeHistory,
    Op::Filter,
    Op::ListOrders,
];

impl Op {
    /// Whether the call is about one given order, so that an order the actor does not reach
    /// is refused (`filter` drops it instead; listings and the bell name no order).
    fn about_one_order(self) -> bool {
        !matches!(
            self,
            Op::ListThreads | Op::Bell | Op::MarkMatching | Op::Filter | Op::ListOrders
        )
    }

    /// Whether only customers and staff may call it.
    fn not_for_vendors(self) -> bool {
        matches!(self, Op::OpenDispute | Op::CloseDispute)
    }

    /// Puts `order` in the state the call needs to succeed when allowed (staff do it): no
    /// open dispute for `open`, an open one for `close`, `current` and `history`. A refusal
    /// must then come from authorization alone, with data there to leak.
    fn prepare(self, world: &World, s: &mut Session, order: &str) {
        let sam = world.actor(SAM);
        let open = ok(s.current_dispute(&sam, order)).is_some();
        match self {
            Op::OpenDispute if open => {
                ok(s.close_dispute(&sam, order, None));
            }
            Op::CloseDispute | Op::CurrentDispute | Op::DisputeHistory if !open => {
                ok(s.open_dispute(&sam, order, "Checking the parcel"));
            }
            _ => {}
        }
    }

    /// Calls the export as `actor` about `order` (listings ignore it) and, when it succeeds,
    /// checks what only depends on the call itself.
    fn run(self, s: &mut Session, actor: &Actor, order: &str) -> Outcome<Shown> {
        let done = Ok(Ok(Shown::default()));
        match self {
            Op::Post => {
                let m = attempt!(s.post(actor, &PostRequest::new(order, "Any parcel news?")));
                assert_eq!(m.order_id, order);
                done
            }
            Op::ReadThread => {
                let page =
                    attempt!(s.read_thread(actor, &ThreadRequest::new(order).marking_read()));
                assert_eq!(page.order_id, order);
                assert!(!page.messages.is_empty(), "the seeded thread reads empty");
                done
            }
            Op::UnreadCount => {
                attempt!(s.unread_count(actor, order));
                done
            }
            Op::MarkRead => {
                attempt!(s.mark_read(actor, order));
                assert_eq!(ok(s.unread_count(actor, order)), 0);
                done
            }
            Op::MarkUnread => {
                attempt!(s.mark_unread(actor, order));
                assert!(ok(s.unread_count(actor, order)) >= 1);
                done
            }
            Op::ListThreads => {
                let all = attempt!(listed(s, actor, ListRequest::new(Query::all(), 2)));
                // The keyword index and the unread-first plan are other paths to the threads.
                let searched = attempt!(listed(
                    s,
                    actor,
                    ListRequest::new(Query::all().with_search("parcel"), 2)
                ));
                let unread_first = attempt!(listed(
                    s,
                    actor,
                    ListRequest::new(Query::all(), 2).unread_first()
                ));
                let disputed = attempt!(listed(
                    s,
                    actor,
                    ListRequest::new(Query::open_disputes(), 2)
                ));
                let unread = attempt!(listed(s, actor, ListRequest::new(Query::unread(), 2)));
                assert_eq!(all, searched, "searching a word every thread has");
                assert_eq!(all, unread_first, "unread first");
                assert!(
                    unread.is_subset(&all),
                    "unread threads {unread:?} beyond {all:?}"
                );
                Ok(Ok(Shown {
                    threads: Some(all),
                    disputed: Some(disputed),
                    ..Shown::default()
                }))
            }
            Op::Bell => {
                let bell = attempt!(s.bell(actor));
                Ok(Ok(Shown {
                    dispute_count: Some(bell.open_disputes),
                    ..Shown::default()
                }))
            }
            Op::MarkSelected => {
                let result = attempt!(s.mark_selected(actor, &[order.to_string()], false, None));
                assert_eq!(result.next_cursor, None);
                assert!(ok(s.unread_count(actor, order)) >= 1);
                done
            }
            Op::MarkMatching => {
                // Mark every thread unread, then see which ones became unread for the actor:
                // exactly those they reach. (`list-orders` with-unread reads the actor's own
                // unread index, so it would show a thread marked by mistake.)
                let mut cursor = None;
                loop {
                    let result =
                        attempt!(s.mark_matching(actor, &Query::all(), false, cursor.as_deref()));
                    match result.next_cursor {
                        Some(next) => cursor = Some(next),
                        None => break,
                    }
                }
                let unread = attempt!(orders_listed(s, actor, MessageFilter::WithUnread));
                Ok(Ok(Shown {
                    threads: Some(unread),
                    ..Shown::default()
                }))
            }
            Op::OpenDispute => {
                let d = attempt!(s.open_dispute(actor, order, "The parcel is missing"));
                assert_eq!((d.order_id.as_str(), d.closed.is_none()), (order, true));
                done
            }
            Op::CloseDispute => {
                let d = attempt!(s.close_dispute(actor, order, Some("Refunded")));
                assert_eq!(d.order_id, order);
                assert!(d.closed.is_some());
                done
            }
            Op::CurrentDispute => {
                let d = attempt!(s.current_dispute(actor, order));
                assert!(d.is_some_and(|d| d.order_id == order), "the open dispute");
                done
            }
            Op::DisputeHistory => {
                let history = attempt!(s.dispute_history(actor, order));
                assert!(!history.is_empty(), "the dispute history");
                done
            }
            Op::Filter => {
                let mut ids: Vec<String> = ALL_ORDERS.iter().map(|o| o.to_string()).collect();
                ids.push(MISSING.into());
                let kept = attempt!(s.filter_orders(actor, &ids, MessageFilter::WithMessages));
                let in_given_order = ids.iter().filter(|o| kept.contains(o));
                assert!(
                    kept.iter().eq(in_given_order),
                    "kept in the given order: {kept:?}"
                );
                let unread = attempt!(s.filter_orders(actor, &ids, MessageFilter::WithUnread));
                assert!(unread.iter().all(|o| kept.contains(o)), "unread {unread:?}");
                Ok(Ok(Shown {
                    threads: Some(kept.into_iter().collect()),
                    ..Shown::default()
                }))
            }
            Op::ListOrders => {
                let listed = attempt!(orders_listed(s, actor, MessageFilter::WithMessages));
                let unread = attempt!(orders_listed(s, actor, MessageFilter::WithUnread));
                assert!(
                    unread.is_subset(&listed),
                    "unread {unread:?} beyond {listed:?}"
                );
                Ok(Ok(Shown {
                    threads: Some(listed),
                    ..Shown::default()
                }))
            }
        }
    }
}

/// Every order id of a thread listing, following cursors (a page may be short or empty while
/// a cursor is returned).
fn listed(s: &mut Session, actor: &Actor, mut request: ListRequest) -> Outcome<Ids> {
    let mut ids = Ids::new();
    loop {
        let page = attempt!(s.list_threads(actor, &request));
        for row in page.rows {
            assert!(
                ids.insert(row.order_id.clone()),
                "listed twice: {}",
                row.order_id
            );
        }
        match page.next_cursor {
            Some(next) => request.cursor = Some(next),
            None => return Ok(Ok(ids)),
        }
    }
}

/// Every order of `list-orders`, two a page.
fn orders_listed(s: &mut Session, actor: &Actor, filter: MessageFilter) -> Outcome<Ids> {
    let mut ids = Ids::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = attempt!(s.list_orders(actor, filter, cursor.as_deref(), 2));
        for id in page.order_ids {
            assert!(ids.insert(id.clone()), "listed twice: {id}");
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(Ok(ids)),
        }
    }
}

/// An actor and the order they act on.
struct Case {
    what: &'static str,
    actor: &'static str,
    order: &'static str,
    /// Whether the actor reaches the order while vendors run separate shops.
    reaches: bool,
}

const CASES: [Case; 7] = [
    Case {
        what: "customer, own order",
        actor: ALICE,
        order: ALICE_ACME_ORDER,
        reaches: true,
    },
    Case {
        what: "customer, another customer's order",
        actor: ALICE,
        order: BOB_ACME_ORDER,
        reaches: false,
    },
    Case {
        what: "vendor user, own vendor's order",
        actor: ANNA,
        order: BOB_ACME_ORDER,
        reaches: true,
    },
    Case {
        what: "vendor user, another vendor's order",
        actor: ANNA,
        order: CAROL_BLUE_ORDER,
        reaches: false,
    },
    Case {
        what: "vendor user, order without vendor",
        actor: ANNA,
        order: CAROL_STORE_ORDER,
        reaches: false,
    },
    Case {
        what: "staff, a vendor's order",
        actor: SAM,
        order: BOB_ACME_ORDER,
        reaches: true,
    },
    Case {
        what: "staff, the store's own order",
        actor: SARA,
        order: CAROL_STORE_ORDER,
        reaches: true,
    },
];

/// What a call must do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    Allowed,
    Refused(&'static str),
}

fn expected(op: Op, actor: &Actor, case: &Case, mode: MultivendorMode) -> Expect {
    let vendor = matches!(actor.role, Role::Vendor(_));
    if vendor && (mode == MultivendorMode::Warehouse || op.not_for_vendors()) {
        Expect::Refused("forbidden")
    } else if op.about_one_order() && !case.reaches {
        Expect::Refused("not-found")
    } else {
        Expect::Allowed
    }
}

/// One cell of the matrix; panics on a mismatch.
fn check(op: Op, case: &Case, mode: MultivendorMode) {
    let (world, mut s) = seeded(mode);
    let actor = world.actor(case.actor);
    let order = world.platform.directory.order(case.order).unwrap();
    assert_eq!(
        case.reaches,
        reaches(&actor, &order, MultivendorMode::SeparateShops),
        "the case table disagrees with the rule"
    );
    op.prepare(&world, &mut s, case.order);
    match expected(op, &actor, case, mode) {
        Expect::Allowed => {
            let shown = ok(op.run(&mut s, &actor, case.order));
            let (threads, disputed) = reachable(&world, &actor, mode);
            if let Some(listed) = shown.threads {
                assert_eq!(listed, threads, "the threads shown");
            }
            if let Some(listed) = shown.disputed {
                assert_eq!(listed, disputed, "the disputed threads shown");
            }
            if let Some(count) = shown.dispute_count {
                assert_eq!(count as usize, disputed.len(), "the open-disputes count");
            }
        }
        Expect::Refused(kind) => {
            let refusal = refused_without_change(&world.platform, kind, || {
                op.run(&mut s, &actor, case.order)
            });
            // The same call about an order that does not exist: the same refusal, so the
            // answer says nothing about whether the order exists.
            let missing =
                refused_without_change(&world.platform, kind, || op.run(&mut s, &actor, MISSING));
            assert_eq!(
                refusal.describe().replace(case.order, "<order>"),
                missing.describe().replace(MISSING, "<order>"),
                "the refusal differs from the one for an order that does not exist"
            );
        }
    }
}

/// Runs every cell for `mode`; fails with the list of every failing cell.
fn matrix(mode: MultivendorMode) {
    let mut failures = Vec::new();
    let mut cells = 0;
    for case in &CASES {
        for op in OPS {
            cells += 1;
            if let Err(panic) = catch_unwind(AssertUnwindSafe(|| check(op, case, mode))) {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failures.push(format!("{mode:?} / {} / {op:?}: {message}", case.what));
            }
        }
    }
    assert_eq!(cells, CASES.len() * OPS.len());
    assert!(
        failures.is_empty(),
        "{} of {cells} cells failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_export_for_every_actor_with_vendors_as_separate_shops() {
    matrix(MultivendorMode::SeparateShops);
}

#[test]
fn every_export_for_every_actor_in_warehouse_mode() {
    matrix(MultivendorMode::Warehouse);
}

/// An order the actor does not reach is refused the same way whether it has a thread (its
/// record answers) or not (the directory answers).
#[test]
fn unreached_orders_without_a_thread_are_refused_like_missing_ones() {
    let (world, mut s) = seeded(MultivendorMode::SeparateShops);
    let quiet = "o6";
    world
        .platform
        .directory
        .add_order(Order::new(quiet, "1006", BOB, "Bob").with_vendor(ACME, "Acme Tools"));
    for who in [ALICE, BEN] {
        let actor = world.actor(who);
        for op in OPS.into_iter().filter(|op| op.about_one_order()) {
            let kind = if op.not_for_vendors() && who == BEN {
                "forbidden"
            } else {
                "not-found"
            };
            let refusal =
                refused_without_change(&world.platform, kind, || op.run(&mut s, &actor, quiet));
            let missing =
                refused_without_change(&world.platform, kind, || op.run(&mut s, &actor, MISSING));
            assert_eq!(
                refusal.describe().replace(quiet, "<order>"),
                missing.describe().replace(MISSING, "<order>"),
                "{who} {op:?}"
            );
        }
    }
    // Bob and Acme's user do reach it.
    post(&mut s, &world.actor(BOB), quiet, "First words");
    ok(s.read_thread(&world.actor(ANNA), &ThreadRequest::new(quiet)));
}

/// A post retried with its idempotency key is authorized again: once the store runs in
/// warehouse mode, the vendor's retry is `forbidden` like any other vendor call.
#[test]
fn a_retried_post_is_refused_to_a_vendor_in_warehouse_mode() {
    let (world, mut s) = seeded(MultivendorMode::SeparateShops);
    let anna = world.actor(ANNA);
    let request = PostRequest::new(BOB_ACME_ORDER, "Shipped today").with_key("ship-1");
    ok(s.post(&anna, &request));
    world
        .platform
        .directory
        .set_mode(MultivendorMode::Warehouse);
    refused_without_change(&world.platform, "forbidden", || s.post(&anna, &request));
}

/// A post retried with its idempotency key by a user who no longer reaches the order (here:
/// the account now acts for another vendor) is refused like any call about that order.
#[test]
fn a_retried_post_is_refused_once_the_order_is_out_of_reach() {
    let (world, mut s) = seeded(MultivendorMode::SeparateShops);
    let anna = world.actor(ANNA);
    let request = PostRequest::new(BOB_ACME_ORDER, "Shipped today").with_key("ship-1");
    ok(s.post(&anna, &request));
    let moved = Actor::vendor(ANNA, BLUE, "Anna");
    refused_without_change(&world.platform, "not-found", || s.post(&moved, &request));
}

/// No search reaches into another party's threads: a word that only occurs in Bob's thread
/// finds nothing for Alice or Blue Books, and the order number of Bob's order neither.
#[test]
fn searches_never_find_other_parties_threads() {
    let (world, mut s) = seeded(MultivendorMode::SeparateShops);
    for search in ["damaged", "1003", "Bob"] {
        for who in [ALICE, BEN, CAROL] {
            let rows = list_all(
                &mut s,
                &world.actor(who),
                Query::all().with_search(search),
                10,
            );
            assert!(rows.is_empty(), "{who} searching {search:?}: {rows:?}");
        }
        for who in [BOB, ANNA, SAM] {
            let rows = list_all(
                &mut s,
                &world.actor(who),
                Query::all().with_search(search),
                10,
            );
            assert_eq!(
                order_ids(&rows),
                [BOB_ACME_ORDER],
                "{who} searching {search:?}"
            );
        }
    }
}

/// The addon authorizes by the role the host passes with each call. A user who used to act for
/// Acme and now acts for Blue Books (or a staff account acting as a customer) sees what that
/// role reaches, not what the account saw before: no listing shows an order beyond it.
#[test]
fn listings_follow_the_role_of_the_call_not_the_account_history() {
    let (world, mut s) = seeded(MultivendorMode::SeparateShops);
    let mode = MultivendorMode::SeparateShops;
    // Anna (Acme) and Sam have unread threads from the seed.
    assert!(unread(&mut s, &world.actor(ANNA), BOB_ACME_ORDER) > 0);
    assert!(unread(&mut s, &world.actor(SAM), ALICE_ACME_ORDER) > 0);
    let ids: Vec<String> = ALL_ORDERS.iter().map(|o| o.to_string()).collect();
    for actor in [
        Actor::vendor(ANNA, BLUE, "Anna"),
        Actor::customer(SAM, "Sam"),
    ] {
        let (threads, _) = reachable(&world, &actor, mode);
        let who = format!("{} as {:?}", actor.id, actor.role);
        for query in [Query::all(), Query::unread()] {
            let rows: Ids = ok(listed(&mut s, &actor, ListRequest::new(query, 10)));
            assert!(rows.is_subset(&threads), "{who}: list-threads {rows:?}");
        }
        for filter in [MessageFilter::WithMessages, MessageFilter::WithUnread] {
            let kept = ok(s.filter_orders(&actor, &ids, filter));
            assert!(
                kept.iter().all(|o| threads.contains(o)),
                "{who}: filter {kept:?}"
            );
            let listed = ok(orders_listed(&mut s, &actor, filter));
            assert!(
                listed.is_subset(&threads),
                "{who}: list-orders {filter:?} shows {listed:?}, beyond {threads:?}"
            );
        }
    }
}
