//! The addon's key layout in the host's ordered key-value store.
//!
//! Every id inside a key is escaped (`%` and `/`) so that `/` always separates components and a
//! prefix scan never strays into another id's range. Numbers are zero-padded so that key order
//! is numeric order. Newest-first listings are reverse scans of an index ordered by activity
//! stamp.
//!
//! | prefix              | value                  | what                                      |
//! |---------------------|------------------------|-------------------------------------------|
//! | `meta/schema`       | schema record          | version of this layout                    |
//! | `t/{o}`             | thread record          | one per order with messages               |
//! | `m/{o}/{seq}`       | message                | the thread's messages                     |
//! | `d/{o}/{n}`         | dispute                | the order's disputes                      |
//! | `rs/{u}/{o}`        | read state             | a user's read mark and unread count       |
//! | `uc/{u}`            | count                  | a user's number of unread threads         |
//! | `ux/{u}/{stamp}`    | order id               | a user's unread threads by activity       |
//! | `ax/{scope}/{stamp}`| order id               | a scope's threads by activity             |
//! | `dx/{scope}/{stamp}`| order id               | a scope's open disputes by activity       |
//! | `dc/{scope}`        | count                  | a scope's number of open disputes         |
//! | `kt/{o}/{word}`     | stamp                  | where a thread's word sits in `kx`        |
//! | `kx/{scope}/{word}/{stamp}` | order id       | keyword index by latest matching activity |
//! | `ik/{u}/{key}`      | idempotency record     | a post's idempotency key                  |
//! | `ob/{id}`           | outbox record          | mail/notifications awaiting delivery      |
//! | `od/{id}`           | outbox record          | dead letters (refused permanently)        |
//!
//! A scope is `s` (staff: every thread), `v/{vendor}` or `c/{customer}`; a stamp is
//! `{millis:013}/{order}`.

use super::model::Timestamp;

/// Escape an id so it is a single key component.
pub fn esc(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for c in id.chars() {
        match c {
            '%' => out.push_str("%25"),
            '/' => out.push_str("%2F"),
            c => out.push(c),
        }
    }
    out
}

/// The id an escaped key component stands for (the inverse of [`esc`]).
pub fn unesc(component: &str) -> String {
    component.replace("%2F", "/").replace("%25", "%")
}

pub const SCHEMA: &str = "meta/schema";

/// The set of threads a party sees: staff see all, a vendor its orders, a customer theirs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    Staff,
    Vendor(String),
    Customer(String),
}

impl Scope {
    /// The scope's key component.
    pub fn key(&self) -> String {
        match self {
            Scope::Staff => "s".to_string(),
            Scope::Vendor(v) => format!("v/{}", esc(v)),
            Scope::Customer(c) => format!("c/{}", esc(c)),
        }
    }
}

/// A thread's position in activity-ordered indexes: time first, then order id for ties.
pub fn stamp(at: Timestamp, order_id: &str) -> String {
    format!("{:013}/{}", at.max(0), esc(order_id))
}

/// The time a stamp stands for.
pub fn stamp_time(stamp: &str) -> Option<Timestamp> {
    stamp.get(..13)?.parse().ok()
}

pub fn thread(order_id: &str) -> String {
    format!("t/{}", esc(order_id))
}

pub fn messages(order_id: &str) -> String {
    format!("m/{}/", esc(order_id))
}

pub fn message(order_id: &str, seq: u64) -> String {
    format!("m/{}/{seq:012}", esc(order_id))
}

pub fn disputes(order_id: &str) -> String {
    format!("d/{}/", esc(order_id))
}

pub fn dispute(order_id: &str, number: u32) -> String {
    format!("d/{}/{number:06}", esc(order_id))
}

pub fn read_state(user: &str, order_id: &str) -> String {
    format!("rs/{}/{}", esc(user), esc(order_id))
}

pub fn unread_counter(user: &str) -> String {
    format!("uc/{}", esc(user))
}

pub fn unread_index(user: &str) -> String {
    format!("ux/{}/", esc(user))
}

pub fn activity_index(scope: &Scope) -> String {
    format!("ax/{}/", scope.key())
}

pub fn dispute_index(scope: &Scope) -> String {
    format!("dx/{}/", scope.key())
}

pub fn dispute_counter(scope: &Scope) -> String {
    format!("dc/{}", scope.key())
}

pub fn thread_word(order_id: &str, word: &str) -> String {
    format!("kt/{}/{word}", esc(order_id))
}

/// Words are alphanumeric, so they need no escaping.
pub fn keyword_index(scope: &Scope, word: &str) -> String {
    format!("kx/{}/{word}/", scope.key())
}

pub fn idempotency(user: &str, key: &str) -> String {
    format!("ik/{}/{}", esc(user), esc(key))
}

pub const THREADS: &str = "t/";
pub const READ_STATES: &str = "rs/";
pub const UNREAD_COUNTERS: &str = "uc/";
pub const UNREAD_INDEXES: &str = "ux/";
pub const ACTIVITY_INDEXES: &str = "ax/";
pub const DISPUTE_INDEXES: &str = "dx/";
pub const DISPUTE_COUNTERS: &str = "dc/";
pub const KEYWORD_INDEXES: &str = "kx/";
pub const IDEMPOTENCY: &str = "ik/";
pub const OUTBOX: &str = "ob/";
pub const DEAD_LETTERS: &str = "od/";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_ids_never_share_a_prefix_range() {
        // "a/b" must not fall inside the range of user "a".
        assert!(!read_state("a/b", "o").starts_with(&format!("rs/{}/", esc("a"))));
        assert_eq!(esc("50%/x"), "50%25%2Fx");
        for id in ["50%/x", "%2F", "a/%25/b", "plain"] {
            assert_eq!(unesc(&esc(id)), id);
        }
    }

    #[test]
    fn stamps_sort_by_time_then_order() {
        assert!(stamp(999, "z") < stamp(1000, "a"));
        assert!(stamp(1000, "a") < stamp(1000, "b"));
        assert_eq!(
            stamp_time(&stamp(1_767_258_300_000, "o/1")),
            Some(1_767_258_300_000)
        );
        assert_eq!(stamp_time("garbage"), None);
    }
}
