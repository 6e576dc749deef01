//! Helpers shared by the end-to-end tests: a fresh store with the marketplace fixtures, a
//! session on the shared (compiled once) runtime, and unwrapping that prints the addon's
//! typed error.

use std::fmt::Debug;

pub use order_messages_host::RunConfig;
pub use order_messages_host::types::*;
pub use order_messages_platform::fixtures::{Fixtures, World, marketplace::*};
pub use order_messages_platform::{Fault, Platform, Push, Session, SharedStorage};

/// The marketplace fixtures on a fresh in-memory store, and a session over it.
pub fn marketplace() -> (World, Session) {
    let world = Fixtures::marketplace().build();
    let session = world.session().expect("the component instantiates");
    (world, session)
}

/// The value of a call that must succeed.
#[track_caller]
pub fn ok<T>(result: anyhow::Result<Result<T, Error>>) -> T {
    match result.expect("the call runs without trapping") {
        Ok(value) => value,
        Err(e) => panic!("the addon refused: {}", e.describe()),
    }
}

/// The typed error of a call that must be refused.
#[track_caller]
pub fn refused<T: Debug>(result: anyhow::Result<Result<T, Error>>) -> Error {
    match result.expect("the call runs without trapping") {
        Ok(value) => panic!("expected a refusal, got {value:?}"),
        Err(e) => e,
    }
}

/// Run `op`, which must be refused with an error of kind `kind` (e.g. `not-found`), and check
/// that it changed nothing: the store, sent mail and pushed notifications are as before.
#[track_caller]
pub fn refused_without_change<T: Debug>(
    platform: &Platform,
    kind: &str,
    op: impl FnOnce() -> anyhow::Result<Result<T, Error>>,
) -> Error {
    let before = (
        platform.storage.dump(),
        platform.mail.count(),
        platform.notifications.count(),
    );
    let error = refused(op());
    assert_eq!(error.kind(), kind, "wrong refusal: {}", error.describe());
    let after = (
        platform.storage.dump(),
        platform.mail.count(),
        platform.notifications.count(),
    );
    assert!(
        before == after,
        "a refused call changed state: {}",
        error.describe()
    );
    error
}

/// Post `body` as `actor` on `order`, which must succeed.
#[track_caller]
pub fn post(session: &mut Session, actor: &Actor, order: &str, body: &str) -> Message {
    ok(session.post(actor, &PostRequest::new(order, body)))
}

/// The actor's unread count of an order's thread.
#[track_caller]
pub fn unread(session: &mut Session, actor: &Actor, order: &str) -> u32 {
    ok(session.unread_count(actor, order))
}

/// The actor's bell counts as `(unread threads, open disputes)`.
#[track_caller]
pub fn bell(session: &mut Session, actor: &Actor) -> (u32, u32) {
    let b = ok(session.bell(actor));
    (b.unread_threads, b.open_disputes)
}

/// Every row of a listing, following cursors to the end.
#[track_caller]
pub fn list_all(session: &mut Session, actor: &Actor, query: Query, page: u32) -> Vec<ThreadRow> {
    let mut rows = Vec::new();
    let mut cursor = None;
    loop {
        let request = ListRequest::new(query.clone(), page).with_cursor(cursor);
        let result = ok(session.list_threads(actor, &request));
        rows.extend(result.rows);
        match result.next_cursor {
            Some(next) => cursor = Some(next),
            None => return rows,
        }
    }
}

/// Every order id `list-orders` returns, following cursors to the end.
#[track_caller]
pub fn list_orders_all(
    session: &mut Session,
    actor: &Actor,
    filter: MessageFilter,
    page: u32,
) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let result = ok(session.list_orders(actor, filter, cursor.as_deref(), page));
        ids.extend(result.order_ids);
        match result.next_cursor {
            Some(c) => cursor = Some(c),
            None => return ids,
        }
    }
}

/// Mark every thread matching `query` read or unread, following cursors to the end; returns
/// the threads changed and the calls it took.
#[track_caller]
pub fn mark_all_matching(
    session: &mut Session,
    actor: &Actor,
    query: &Query,
    read: bool,
) -> (u32, u32) {
    let (mut changed, mut calls, mut cursor) = (0, 0, None::<String>);
    loop {
        let result = ok(session.mark_matching(actor, query, read, cursor.as_deref()));
        changed += result.changed;
        calls += 1;
        match result.next_cursor {
            Some(c) => cursor = Some(c),
            None => return (changed, calls),
        }
    }
}

/// Every message of an order's thread, oldest first, following cursors to the end.
#[track_caller]
pub fn thread_messages(session: &mut Session, actor: &Actor, order: &str) -> Vec<Message> {
    let mut messages = Vec::new();
    let mut cursor = None;
    loop {
        let request = ThreadRequest::new(order)
            .with_limit(100)
            .with_cursor(cursor);
        let page = ok(session.read_thread(actor, &request));
        messages.extend(page.messages);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return messages,
        }
    }
}

/// Run `maintenance.verify` over the whole store in pages of `limit`; returns the problems
/// found and the records checked.
#[track_caller]
pub fn verify_all(session: &mut Session, limit: u32) -> (Vec<Problem>, u32) {
    let (mut problems, mut checked, mut cursor) = (Vec::new(), 0, None::<String>);
    loop {
        let report = ok(session.verify(cursor.as_deref(), limit));
        assert!(report.checked <= limit);
        assert_eq!(report.more_problems, 0, "{:#?}", report.problems);
        checked += report.checked;
        problems.extend(report.problems);
        match report.next_cursor {
            Some(c) => cursor = Some(c),
            None => return (problems, checked),
        }
    }
}

/// Applies all pending work and delivers what can be: `deliver-pending` until it says nothing
/// is left (or 1,000 calls).
#[track_caller]
pub fn drain(session: &mut Session) -> DeliveryReport {
    let mut total = DeliveryReport {
        applied: 0,
        delivered: 0,
        deferred: 0,
        dead: 0,
        more: false,
    };
    for _ in 0..1_000 {
        let r = ok(session.deliver_pending(100));
        total.applied += r.applied;
        total.delivered += r.delivered;
        total.deferred += r.deferred;
        total.dead += r.dead;
        if !r.more {
            return total;
        }
    }
    panic!("deliver-pending still had work after 1,000 calls");
}

/// `maintenance.verify` finds every index and counter in agreement with the data, once the
/// pending work is applied (see [`drain`]).
#[track_caller]
pub fn assert_verified(session: &mut Session) {
    drain(session);
    let (problems, _) = verify_all(session, 500);
    assert!(problems.is_empty(), "{problems:#?}");
}

/// A small seeded generator (xorshift): the same seed gives the same choices, so random
/// workloads are reproducible.
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (any value; zero is replaced).
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    /// A number below `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// The order ids of rows, in order.
pub fn order_ids(rows: &[ThreadRow]) -> Vec<String> {
    rows.iter().map(|r| r.order_id.clone()).collect()
}

/// Run `op`, which must be refused as `invalid-input` naming `field` (e.g. `body`), and check
/// that it changed nothing, as [`refused_without_change`] does. Returns the stated reason.
#[track_caller]
pub fn invalid_without_change<T: Debug>(
    platform: &Platform,
    field: &str,
    op: impl FnOnce() -> anyhow::Result<Result<T, Error>>,
) -> String {
    match refused_without_change(platform, "invalid-input", op) {
        Error::InvalidInput(invalid) => {
            assert_eq!(
                invalid.field, field,
                "refused for another input: {}",
                invalid.reason
            );
            invalid.reason
        }
        other => unreachable!("checked to be invalid-input: {}", other.describe()),
    }
}

/// Run `op`, which must succeed without changing anything: the store, sent mail and pushed
/// notifications are as before (a read, or a repeated request answered from what is stored).
#[track_caller]
pub fn ok_without_change<T>(
    platform: &Platform,
    op: impl FnOnce() -> anyhow::Result<Result<T, Error>>,
) -> T {
    let before = (
        platform.storage.dump(),
        platform.mail.count(),
        platform.notifications.count(),
    );
    let value = ok(op());
    let after = (
        platform.storage.dump(),
        platform.mail.count(),
        platform.notifications.count(),
    );
    assert!(before == after, "the call changed state");
    value
}
