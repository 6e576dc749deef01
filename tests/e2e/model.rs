//! Model-based property test: random sequences of operations by random actors run against the
//! component and against a small reference model written here, independently of the plugin.
//! After every step the two must agree on each actor's unread counts, bell, inbox (all /
//! unread / open disputes, paged), order filter, and on which calls are refused and how.
//!
//! proptest shrinks a failing sequence to a minimal one and records its seed under
//! `tests/proptest-regressions/`, which is committed so it runs again every time.

use std::collections::{BTreeMap, BTreeSet};

use order_messages_tests::*;
use proptest::prelude::*;

const ACTORS: [&str; 7] = [ALICE, BOB, CAROL, ANNA, BEN, SAM, SARA];
const ORDERS: [&str; 5] = [
    ALICE_ACME_ORDER,
    ALICE_BLUE_ORDER,
    BOB_ACME_ORDER,
    CAROL_BLUE_ORDER,
    CAROL_STORE_ORDER,
];

/// One step of a scenario.
#[derive(Clone, Debug)]
enum Op {
    Post {
        actor: usize,
        order: usize,
    },
    Open {
        actor: usize,
        order: usize,
    },
    Read {
        actor: usize,
        order: usize,
    },
    MarkRead {
        actor: usize,
        order: usize,
    },
    MarkUnread {
        actor: usize,
        order: usize,
    },
    OpenDispute {
        actor: usize,
        order: usize,
    },
    CloseDispute {
        actor: usize,
        order: usize,
    },
    MarkSelected {
        actor: usize,
        orders: Vec<usize>,
        read: bool,
    },
    MarkAll {
        actor: usize,
        read: bool,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let a = 0..ACTORS.len();
    let o = 0..ORDERS.len();
    prop_oneof![
        4 => (a.clone(), o.clone()).prop_map(|(actor, order)| Op::Post { actor, order }),
        1 => (a.clone(), o.clone()).prop_map(|(actor, order)| Op::Open { actor, order }),
        2 => (a.clone(), o.clone()).prop_map(|(actor, order)| Op::Read { actor, order }),
        1 => (a.clone(), o.clone()).prop_map(|(actor, order)| Op::MarkRead { actor, order }),
        1 => (a.clone(), o.clone()).prop_map(|(actor, order)| Op::MarkUnread { actor, order }),
        1 => (a.clone(), o.clone()).prop_map(|(actor, order)| Op::OpenDispute { actor, order }),
        1 => (a.clone(), o.clone()).prop_map(|(actor, order)| Op::CloseDispute { actor, order }),
        1 => (a.clone(), proptest::collection::vec(o.clone(), 1..4), any::<bool>())
            .prop_map(|(actor, orders, read)| Op::MarkSelected { actor, orders, read }),
        1 => (a, any::<bool>()).prop_map(|(actor, read)| Op::MarkAll { actor, read }),
    ]
}

/// Who is who, in the model's own terms.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Party {
    Customer,
    Vendor(&'static str),
    Staff,
}

fn party(user: &str) -> Party {
    match user {
        ALICE | BOB | CAROL => Party::Customer,
        ANNA => Party::Vendor(ACME),
        BEN => Party::Vendor(BLUE),
        _ => Party::Staff,
    }
}

fn customer_of(order: &str) -> &'static str {
    match order {
        ALICE_ACME_ORDER | ALICE_BLUE_ORDER => ALICE,
        BOB_ACME_ORDER => BOB,
        _ => CAROL,
    }
}

fn vendor_of(order: &str) -> Option<&'static str> {
    match order {
        ALICE_ACME_ORDER | BOB_ACME_ORDER => Some(ACME),
        ALICE_BLUE_ORDER | CAROL_BLUE_ORDER => Some(BLUE),
        _ => None,
    }
}

/// The reference model.
#[derive(Default)]
struct Model {
    warehouse: bool,
    /// Orders with a thread → the time of their latest message.
    latest: BTreeMap<&'static str, i64>,
    open_disputes: BTreeSet<&'static str>,
    /// (user, order) → unread messages.
    unread: BTreeMap<(&'static str, &'static str), u32>,
}

impl Model {
    /// The refusal the model expects for `user` touching `order`, if any.
    fn reach(&self, user: &str, order: &str) -> Option<&'static str> {
        match party(user) {
            Party::Staff => None,
            Party::Customer => (customer_of(order) != user).then_some("not-found"),
            Party::Vendor(_) if self.warehouse => Some("forbidden"),
            Party::Vendor(v) => (vendor_of(order) != Some(v)).then_some("not-found"),
        }
    }

    fn sees(&self, user: &str, order: &str) -> bool {
        self.reach(user, order).is_none()
    }

    /// Everyone who sees the thread: its customer, its vendor's users unless in warehouse
    /// mode, and staff.
    fn viewers(&self, order: &'static str) -> Vec<&'static str> {
        ACTORS.into_iter().filter(|u| self.sees(u, order)).collect()
    }

    fn add_message(&mut self, author: &'static str, order: &'static str, now: i64) {
        self.latest.insert(order, now);
        for viewer in self.viewers(order) {
            let count = self.unread.entry((viewer, order)).or_default();
            *count = if viewer == author { 0 } else { *count + 1 };
        }
        self.unread.insert((author, order), 0);
    }

    fn unread_of(&self, user: &'static str, order: &'static str) -> u32 {
        self.unread.get(&(user, order)).copied().unwrap_or(0)
    }

    /// Threads the user sees, newest activity first.
    fn inbox(&self, user: &'static str, keep: impl Fn(&'static str) -> bool) -> Vec<String> {
        let mut rows: Vec<(&i64, &&str)> = self
            .latest
            .iter()
            .filter(|(o, _)| self.sees(user, o) && keep(o))
            .map(|(o, t)| (t, o))
            .collect();
        rows.sort_by(|a, b| b.cmp(a));
        rows.into_iter().map(|(_, o)| o.to_string()).collect()
    }

    fn bell(&self, user: &'static str) -> (u32, u32) {
        let unread = self
            .unread
            .iter()
            .filter(|((u, _), n)| *u == user && **n > 0)
            .count() as u32;
        let disputes = self
            .open_disputes
            .iter()
            .filter(|o| self.sees(user, o))
            .count() as u32;
        (unread, disputes)
    }
}

/// Apply `op` to the component and the model; check that both agree on its outcome.
fn step(s: &mut Session, world: &World, model: &mut Model, op: &Op) -> Result<(), TestCaseError> {
    let now = world.platform.clock.now_millis();
    let actor_of = |i: usize| (ACTORS[i], world.actor(ACTORS[i]));
    // The outcome kind the component gave ("ok" or the error kind).
    fn kind<T>(r: anyhow::Result<Result<T, Error>>) -> String {
        match r.expect("no trap") {
            Ok(_) => "ok".into(),
            Err(e) => e.kind().into(),
        }
    }
    let (expected, got): (String, String) = match op {
        Op::Post { actor, order } => {
            let ((user, a), order) = (actor_of(*actor), ORDERS[*order]);
            let expected = model.reach(user, order);
            let got = kind(s.post(&a, &PostRequest::new(order, "hello there")));
            if expected.is_none() {
                model.add_message(user, order, now);
            }
            (expected.unwrap_or("ok").into(), got)
        }
        Op::Open { actor, order } | Op::Read { actor, order } => {
            let ((user, a), order) = (actor_of(*actor), ORDERS[*order]);
            let mark = matches!(op, Op::Read { .. });
            let mut request = ThreadRequest::new(order);
            if mark {
                request = request.marking_read();
            }
            let expected = model.reach(user, order);
            let result = s.read_thread(&a, &request).expect("no trap");
            if let Ok(page) = &result {
                prop_assert_eq!(page.unread_count, model.unread_of(user, order));
            }
            if expected.is_none() && mark && model.latest.contains_key(order) {
                model.unread.insert((user, order), 0);
            }
            (expected.unwrap_or("ok").into(), kind(Ok(result)))
        }
        Op::MarkRead { actor, order } | Op::MarkUnread { actor, order } => {
            let ((user, a), order) = (actor_of(*actor), ORDERS[*order]);
            let read = matches!(op, Op::MarkRead { .. });
            let expected = model.reach(user, order);
            let got = if read {
                kind(s.mark_read(&a, order))
            } else {
                kind(s.mark_unread(&a, order))
            };
            if expected.is_none() {
                mark(model, user, order, read);
            }
            (expected.unwrap_or("ok").into(), got)
        }
        Op::OpenDispute { actor, order } | Op::CloseDispute { actor, order } => {
            let ((user, a), order) = (actor_of(*actor), ORDERS[*order]);
            let opening = matches!(op, Op::OpenDispute { .. });
            let expected = if matches!(party(user), Party::Vendor(_)) {
                Some("forbidden")
            } else if let Some(refusal) = model.reach(user, order) {
                Some(refusal)
            } else if model.open_disputes.contains(order) == opening {
                Some("invalid-state")
            } else {
                None
            };
            let got = if opening {
                kind(s.open_dispute(&a, order, "a reason"))
            } else {
                kind(s.close_dispute(&a, order, None))
            };
            if expected.is_none() {
                if opening {
                    model.open_disputes.insert(order);
                } else {
                    model.open_disputes.remove(order);
                }
                model.add_message(user, order, now);
            }
            (expected.unwrap_or("ok").into(), got)
        }
        Op::MarkSelected {
            actor,
            orders,
            read,
        } => {
            let (user, a) = actor_of(*actor);
            let ids: Vec<String> = orders.iter().map(|o| ORDERS[*o].to_string()).collect();
            let refusal = if matches!(party(user), Party::Vendor(_)) && model.warehouse {
                Some("forbidden")
            } else {
                orders.iter().find_map(|o| model.reach(user, ORDERS[*o]))
            };
            let got = kind(s.mark_selected(&a, &ids, *read, None));
            if refusal.is_none() {
                for o in orders {
                    mark(model, user, ORDERS[*o], *read);
                }
            }
            (refusal.unwrap_or("ok").into(), got)
        }
        Op::MarkAll { actor, read } => {
            let (user, a) = actor_of(*actor);
            let refusal =
                (matches!(party(user), Party::Vendor(_)) && model.warehouse).then_some("forbidden");
            let got = match refusal {
                Some(_) => kind(s.mark_matching(&a, &Query::all(), *read, None)),
                None => {
                    mark_all_matching(s, &a, &Query::all(), *read);
                    "ok".into()
                }
            };
            if refusal.is_none() {
                for order in model.latest.keys().copied().collect::<Vec<_>>() {
                    if model.sees(user, order) {
                        mark(model, user, order, *read);
                    }
                }
            }
            (refusal.unwrap_or("ok").into(), got)
        }
    };
    prop_assert_eq!(expected, got, "outcome of {:?}", op);
    Ok(())
}

fn mark(model: &mut Model, user: &'static str, order: &'static str, read: bool) {
    if !model.latest.contains_key(order) {
        return;
    }
    let count = model.unread.entry((user, order)).or_default();
    if read {
        *count = 0;
    } else if *count == 0 {
        *count = 1;
    }
}

/// Compare everything each actor can observe.
fn observe(s: &mut Session, world: &World, model: &Model) -> Result<(), TestCaseError> {
    let all_ids: Vec<String> = ORDERS.iter().map(|o| o.to_string()).collect();
    for user in ACTORS {
        let a = world.actor(user);
        if matches!(party(user), Party::Vendor(_)) && model.warehouse {
            prop_assert_eq!(refused(s.bell(&a)).kind(), "forbidden");
            continue;
        }
        prop_assert_eq!(bell(s, &a), model.bell(user), "bell of {}", user);
        for order in ORDERS {
            if model.sees(user, order) {
                prop_assert_eq!(unread(s, &a, order), model.unread_of(user, order));
            }
        }
        let listed = |q: Query, s: &mut Session| order_ids(&list_all(s, &a, q, 2));
        prop_assert_eq!(
            listed(Query::all(), s),
            model.inbox(user, |_| true),
            "inbox of {}",
            user
        );
        prop_assert_eq!(
            listed(Query::unread(), s),
            model.inbox(user, |o| model.unread_of(user, o) > 0),
            "unread inbox of {}",
            user
        );
        prop_assert_eq!(
            listed(Query::open_disputes(), s),
            model.inbox(user, |o| model.open_disputes.contains(o)),
            "disputes inbox of {}",
            user
        );
        let mut with_unread = model.inbox(user, |o| model.unread_of(user, o) > 0);
        prop_assert_eq!(
            list_orders_all(s, &a, MessageFilter::WithUnread, 3),
            with_unread.clone()
        );
        with_unread.sort();
        let mut filtered = ok(s.filter_orders(&a, &all_ids, MessageFilter::WithUnread));
        filtered.sort();
        prop_assert_eq!(filtered, with_unread);
        let mut with_messages = model.inbox(user, |_| true);
        with_messages.sort();
        let mut filtered = ok(s.filter_orders(&a, &all_ids, MessageFilter::WithMessages));
        filtered.sort();
        prop_assert_eq!(filtered, with_messages);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("MODEL_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(24),
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_component_behaves_like_the_model(
        warehouse in any::<bool>(),
        ops in proptest::collection::vec(op(), 1..30),
    ) {
        let mode = if warehouse { MultivendorMode::Warehouse } else { MultivendorMode::SeparateShops };
        let world = Fixtures::marketplace().mode(mode).build();
        let mut s = world.session().expect("instantiates");
        let mut model = Model { warehouse, ..Model::default() };
        for op in &ops {
            world.platform.clock.advance_millis(1_000);
            step(&mut s, &world, &mut model, op)?;
            observe(&mut s, &world, &model)?;
        }
        // And the stored indexes and counters agree with the data.
        let (problems, _) = verify_all(&mut s, 500);
        prop_assert!(problems.is_empty(), "{:?}", problems);
    }
}
