//! Schema 1, the layout of the released 0.1.0 addon, as far as `migrate` needs to read it:
//! lowercase key families with ids escaped (`%` and `/`), records in JSON.
//!
//! | key                         | value              | becomes (schema 2)                 |
//! |-----------------------------|--------------------|------------------------------------|
//! | `t/{o}`                     | thread             | `T/{o}`, and its `A`, `X`, `XC`    |
//! | `m/{o}/{seq}`               | message            | `M/{o}/{seq}` (+ `B` chunks)       |
//! | `d/{o}/{n}`                 | dispute            | `D/{o}/{n}`                        |
//! | `rs/{u}/{o}`                | read state         | `R/{u}/{o}`                        |
//! | `ux/{u}/{stamp}`            | order id           | `U/{u}/{stamp}`                    |
//! | `uc/{u}`                    | count              | `UC/{u}`                           |
//! | `kt/{o}/{word}`             | stamp              | `KT/{o}/{word}`                    |
//! | `kx/{scope}/{word}/{stamp}` | order id           | `K/{scope}/{word}/{stamp}`         |
//! | `ik/{u}/{key}`              | idempotency record | `I/{u}/{key}`                      |
//! | `ob/{id}`, `od/{id}`        | outbox record      | `O/{id}`, `OD/{id}` (mail rendered)|
//! | `ax/…`, `dx/…`, `dc/…`      | indexes, counters  | rebuilt from the threads: dropped  |
//!
//! A scope is `s`, `v/{vendor}` or `c/{customer}`; a stamp is `{millis:013}/{order}`.

use serde::Deserialize;

use super::keys;
use super::model::{BellCounts, Timestamp};
use super::outbox::{DisputeChange, Mail, NewMessage};
use super::records::Latest;

pub const THREADS: &str = "t/";
pub const MESSAGES: &str = "m/";
pub const DISPUTES: &str = "d/";
pub const READ_STATES: &str = "rs/";
pub const UNREAD_INDEXES: &str = "ux/";
pub const UNREAD_COUNTERS: &str = "uc/";
pub const THREAD_WORDS: &str = "kt/";
pub const KEYWORD_INDEXES: &str = "kx/";
pub const IDEMPOTENCY: &str = "ik/";
pub const OUTBOX: &str = "ob/";
pub const DEAD_LETTERS: &str = "od/";
pub const ACTIVITY_INDEXES: &str = "ax/";
pub const DISPUTE_INDEXES: &str = "dx/";
pub const DISPUTE_COUNTERS: &str = "dc/";

/// The id an escaped key component stands for.
pub fn unesc(component: &str) -> String {
    component.replace("%2F", "/").replace("%25", "%")
}

/// A schema-1 stamp (`{millis:013}/{escaped order}`) as schema 2 writes it.
pub fn stamp(old: &str) -> Option<String> {
    let (millis, order) = old.split_once('/')?;
    Some(keys::stamp(millis.parse().ok()?, &unesc(order)))
}

/// A schema-1 scope component (`s`, `v/{vendor}`, `c/{customer}`) at the start of `rest`, as
/// a scope, and what follows it.
pub fn scope(rest: &str) -> Option<(keys::Scope, &str)> {
    if let Some(after) = rest.strip_prefix("s/") {
        return Some((keys::Scope::Staff, after));
    }
    let (kind, rest) = rest.split_once('/')?;
    let (id, after) = rest.split_once('/')?;
    let id = unesc(id);
    match kind {
        "v" => Some((keys::Scope::Vendor(id), after)),
        "c" => Some((keys::Scope::Customer(id), after)),
        _ => None,
    }
}

/// A thread record of schema 1 (its latest message has the layout of today's).
#[derive(Clone, Debug, Deserialize)]
pub struct Thread {
    pub order_id: String,
    pub order_number: String,
    pub customer_id: String,
    pub customer_name: String,
    pub vendor_id: Option<String>,
    pub message_count: u64,
    pub created_at: Timestamp,
    pub latest: Latest,
    pub stamp: String,
    pub open_dispute: Option<u32>,
    pub dispute_count: u32,
}

/// A read state of schema 1 (it also counted unread messages).
#[derive(Clone, Debug, Deserialize)]
pub struct ReadState {
    pub read_up_to: u64,
    pub unread: u32,
    pub listed_at: Option<String>,
}

/// An outbox record of schema 1: mail carried rendered.
#[derive(Clone, Debug, Deserialize)]
pub struct OutboxRecord {
    pub order_id: String,
    pub created_at: Timestamp,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub payload: Payload,
}

/// What a schema-1 outbox entry delivers.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Payload {
    Mail(Mail),
    Push {
        recipients: Vec<String>,
        event: Event,
    },
}

/// A schema-1 notification: bell counts were one user's.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    NewMessage(NewMessage),
    DisputeOpened(DisputeChange),
    DisputeClosed(DisputeChange),
    CountsChanged(BellCounts),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_and_scopes_convert() {
        assert_eq!(
            stamp("1767258300000/o1"),
            Some(keys::stamp(1_767_258_300_000, "o1"))
        );
        assert_eq!(stamp("0000000000005/a%2Fb"), Some(keys::stamp(5, "a/b")));
        assert_eq!(stamp("x/o1"), None);
        let scoped = |rest| scope(rest).map(|(s, r)| (s, r.to_string()));
        assert_eq!(
            scoped("s/word/x"),
            Some((keys::Scope::Staff, "word/x".into()))
        );
        assert_eq!(
            scoped("v/a%2Fb/word/x"),
            Some((keys::Scope::Vendor("a/b".into()), "word/x".into()))
        );
        assert_eq!(
            scoped("c/50%25/w/x"),
            Some((keys::Scope::Customer("50%".into()), "w/x".into()))
        );
        assert_eq!(scoped("q/x/y"), None);
    }
}
