//! The addon's key layout (schema 2) in the host's ordered key-value store.
//!
//! Every key is printable ASCII of at most [`MAX_KEY_BYTES`] bytes, whatever the ids: an id
//! that is short printable ASCII (letters, digits and `-._:@+=`, at most [`MAX_PLAIN_ID`]
//! bytes) is used as it is; any other id becomes `~` and 32 hex digits of its SHA-256 ([`id`]).
//! Records keep the full ids, and every read compares them, so two ids sharing a hash can only
//! cause a refusal, never mixed data. Numbers are zero-padded so that key order is numeric
//! order; newest-first listings are reverse scans of an index ordered by activity stamp.
//!
//! | key                          | value             | what                                   |
//! |------------------------------|-------------------|----------------------------------------|
//! | `meta/schema`                | schema record     | version of this layout (and migration) |
//! | `T/{o}`                      | thread            | one per order with messages            |
//! | `M/{o}/{seq}`                | message           | the thread's messages (body's start)   |
//! | `B/{o}/{seq}/{n}`            | text              | the rest of a long body, in chunks     |
//! | `D/{o}/{n}`                  | dispute           | the order's disputes                   |
//! | `A/{scope}/{stamp}`          | order id          | a scope's threads by activity          |
//! | `X/{scope}/{stamp}`          | order id          | a scope's open disputes by activity    |
//! | `XC/{scope}`                 | count             | a scope's number of open disputes      |
//! | `R/{u}/{o}`                  | read state        | a user's read mark of a thread         |
//! | `U/{u}/{stamp}`              | order id          | a user's unread threads by activity    |
//! | `UC/{u}`                     | count             | a user's number of unread threads      |
//! | `KT/{o}/{w}`                 | stamp             | where a thread's word sits in `K`      |
//! | `K/{scope}/{w}/{stamp}`      | order id          | keyword index by latest activity       |
//! | `I/{u}/{key}`                | idempotency record| a post's idempotency key               |
//! | `W/{millis}/{o}/{seq}`       | pending work      | what follows a change, not applied yet |
//! | `O/{id}`, `OD/{id}`          | outbox record     | mail and pushes to deliver; dead ones  |
//!
//! A scope is `s` (staff: every thread), `v/{vendor}` or `c/{customer}`; a stamp is
//! `{millis:013}/{o}`. The families of schema 1 were lowercase (`legacy`), so a store being
//! migrated holds both without overlap.

use std::borrow::Cow;
use std::fmt::Write as _;

use sha2::{Digest, Sha256};

use super::model::Timestamp;

/// The longest key the addon writes (the storage contract's bound).
pub const MAX_KEY_BYTES: usize = 256;
/// The largest value the addon writes (the storage contract's bound).
pub const MAX_VALUE_BYTES: usize = 65_536;
/// Ids up to this many bytes of plain ASCII are used in keys as they are.
pub const MAX_PLAIN_ID: usize = 48;

/// Whether `c` may appear in an id used as it is.
fn plain(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b':' | b'@' | b'+' | b'=')
}

/// `~` and 32 hex digits: 128 bits of the SHA-256 of `text`.
fn hashed(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let mut out = String::with_capacity(33);
    out.push('~');
    for byte in &digest[..16] {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// An id as one key component (see the module docs).
pub fn id(value: &str) -> Cow<'_, str> {
    if !value.is_empty() && value.len() <= MAX_PLAIN_ID && value.bytes().all(plain) {
        Cow::Borrowed(value)
    } else {
        Cow::Owned(hashed(value))
    }
}

/// A search word as one key component: lowercase ASCII letters and digits as they are, any
/// other word (non-ASCII letters) hashed like an id.
pub fn word(word: &str) -> Cow<'_, str> {
    if word
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    {
        Cow::Borrowed(word)
    } else {
        Cow::Owned(hashed(word))
    }
}

/// The concatenation of `parts`: what `format!` would give for plain string pieces, at a
/// fraction of the instructions (keys are built for every id of a bulk call).
fn join(parts: &[&str]) -> String {
    let mut key = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        key.push_str(part);
    }
    key
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
            Scope::Vendor(v) => format!("v/{}", id(v)),
            Scope::Customer(c) => format!("c/{}", id(c)),
        }
    }
}

/// A thread's position in activity-ordered indexes: time first, then order for ties.
pub fn stamp(at: Timestamp, order_id: &str) -> String {
    format!("{:013}/{}", at.max(0), id(order_id))
}

/// The time a stamp stands for.
pub fn stamp_time(stamp: &str) -> Option<Timestamp> {
    stamp.get(..13)?.parse().ok()
}

/// Whether `text` has the shape of a stamp (`{millis:013}/{order}`).
pub fn is_stamp(text: &str) -> bool {
    text.len() > 14
        && text.as_bytes()[..13].iter().all(u8::is_ascii_digit)
        && text.as_bytes()[13] == b'/'
        && !text[14..].contains('/')
        && text.bytes().all(|b| b.is_ascii_graphic())
}

pub fn thread(order_id: &str) -> String {
    join(&["T/", &id(order_id)])
}

pub fn messages(order_id: &str) -> String {
    format!("M/{}/", id(order_id))
}

pub fn message(order_id: &str, seq: u64) -> String {
    format!("M/{}/{seq:012}", id(order_id))
}

pub fn body_chunk(order_id: &str, seq: u64, n: usize) -> String {
    format!("B/{}/{seq:012}/{n:02}", id(order_id))
}

pub fn disputes(order_id: &str) -> String {
    format!("D/{}/", id(order_id))
}

pub fn dispute(order_id: &str, number: u32) -> String {
    format!("D/{}/{number:06}", id(order_id))
}

pub fn read_state(user: &str, order_id: &str) -> String {
    join(&["R/", &id(user), "/", &id(order_id)])
}

pub fn unread_counter(user: &str) -> String {
    format!("UC/{}", id(user))
}

pub fn unread_index(user: &str) -> String {
    format!("U/{}/", id(user))
}

pub fn activity_index(scope: &Scope) -> String {
    format!("A/{}/", scope.key())
}

pub fn dispute_index(scope: &Scope) -> String {
    format!("X/{}/", scope.key())
}

pub fn dispute_counter(scope: &Scope) -> String {
    format!("XC/{}", scope.key())
}

/// The prefix of a thread's word records.
pub fn thread_words(order_id: &str) -> String {
    format!("KT/{}/", id(order_id))
}

pub fn thread_word(order_id: &str, w: &str) -> String {
    format!("KT/{}/{}", id(order_id), word(w))
}

pub fn keyword_index(scope: &Scope, w: &str) -> String {
    format!("K/{}/{}/", scope.key(), word(w))
}

pub fn idempotency(user: &str, key: &str) -> String {
    format!("I/{}/{}", id(user), id(key))
}

/// The pending work of a change: ordered by time, so the oldest is applied first.
pub fn work(at: Timestamp, order_id: &str, seq: u64) -> String {
    format!("W/{:013}/{}/{seq:012}", at.max(0), id(order_id))
}

pub const THREADS: &str = "T/";
pub const MESSAGES: &str = "M/";
pub const BODY_CHUNKS: &str = "B/";
pub const DISPUTES: &str = "D/";
pub const READ_STATES: &str = "R/";
pub const UNREAD_COUNTERS: &str = "UC/";
pub const UNREAD_INDEXES: &str = "U/";
pub const ACTIVITY_INDEXES: &str = "A/";
pub const DISPUTE_INDEXES: &str = "X/";
pub const DISPUTE_COUNTERS: &str = "XC/";
pub const THREAD_WORDS: &str = "KT/";
pub const KEYWORD_INDEXES: &str = "K/";
pub const IDEMPOTENCY: &str = "I/";
pub const WORK: &str = "W/";
pub const OUTBOX: &str = "O/";
pub const DEAD_LETTERS: &str = "OD/";

/// Whether `key` keeps the storage contract's key bounds.
pub fn within_bounds(key: &str) -> bool {
    key.len() <= MAX_KEY_BYTES && key.bytes().all(|b| b.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_plain_or_hashed_and_keys_stay_short_ascii() {
        assert_eq!(id("o-1042"), "o-1042");
        assert_eq!(id("a/b"), hashed("a/b"));
        assert_eq!(id("50%"), hashed("50%"));
        assert_eq!(
            id("~x"),
            hashed("~x"),
            "a plain id never starts like a hash"
        );
        assert_eq!(id(""), hashed(""));
        let emoji = "😀".repeat(128);
        let long = "x".repeat(49);
        for value in [emoji.as_str(), long.as_str(), "Zoë", "a b"] {
            let encoded = id(value);
            assert_eq!(encoded.len(), 33, "{value}");
            assert!(encoded.starts_with('~'));
        }
        let key = format!(
            "{}{}",
            keyword_index(&Scope::Vendor(emoji.clone()), &"é".repeat(40)),
            stamp(9_999_999_999_999, &emoji)
        );
        assert!(within_bounds(&key), "{key}");
        assert!(within_bounds(&read_state(&emoji, &emoji)));
        assert!(within_bounds(&idempotency(&emoji, &emoji)));
        assert!(!within_bounds("a b"));
        assert!(!within_bounds(&"k".repeat(257)));
    }

    #[test]
    fn distinct_ids_never_share_a_prefix_range() {
        // "a/b" must not fall inside the range of user "a": the slash makes it hashed.
        assert!(!read_state("a/b", "o").starts_with(&format!("R/{}/", id("a"))));
        assert_ne!(id("a"), id("A"));
    }

    #[test]
    fn stamps_sort_by_time_then_order() {
        assert!(stamp(999, "z") < stamp(1000, "a"));
        assert!(stamp(1000, "a") < stamp(1000, "b"));
        assert_eq!(
            stamp_time(&stamp(1_767_258_300_000, "o1")),
            Some(1_767_258_300_000)
        );
        assert_eq!(stamp_time("garbage"), None);
        assert!(is_stamp(&stamp(5, "o1")));
        assert!(!is_stamp("0000000000005/a/b"));
        assert!(!is_stamp("000000000000x/o1"));
    }

    #[test]
    fn words_are_plain_or_hashed() {
        assert_eq!(word("drill42"), "drill42");
        assert_eq!(word("ünïcode"), hashed("ünïcode"));
    }
}
