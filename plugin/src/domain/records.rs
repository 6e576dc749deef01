//! Records the addon stores besides messages and disputes (see `keys` for where).

use serde::{Deserialize, Serialize};

use super::model::{MessageKind, Role, Timestamp};

/// The thread of one order: who it belongs to, its size, latest message and dispute state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadRecord {
    pub order_id: String,
    pub order_number: String,
    pub customer_id: String,
    pub customer_name: String,
    pub vendor_id: Option<String>,
    /// Number of messages, which is also the `seq` of the latest one.
    pub message_count: u64,
    pub created_at: Timestamp,
    pub latest: Latest,
    /// The thread's current position in the activity-ordered indexes (see `keys::stamp`).
    pub stamp: String,
    /// The number of the open dispute, if one is open.
    pub open_dispute: Option<u32>,
    /// How many disputes the order has had.
    pub dispute_count: u32,
}

/// Whose a thread is: the part of a [`ThreadRecord`] that authorization needs, decoded without
/// the rest (serde skips the other fields), for the order filter's thousand-id calls.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ThreadOwner {
    pub customer_id: String,
    pub vendor_id: Option<String>,
}

/// The latest message of a thread, as lists show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Latest {
    pub seq: u64,
    pub kind: MessageKind,
    pub author_name: String,
    pub author_role: Role,
    pub excerpt: String,
    pub created_at: Timestamp,
}

/// One user's read state of one thread.
///
/// Invariant: `unread > 0` exactly when the user's unread index holds the thread, at
/// `listed_at`, and the thread counts once in the user's unread counter.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadState {
    /// The highest `seq` the user has read.
    pub read_up_to: u64,
    /// Messages by others the user has not read.
    pub unread: u32,
    /// Where the thread sits in the user's unread index while unread.
    pub listed_at: Option<String>,
}

/// What an idempotency key produced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    pub order_id: String,
    pub seq: u64,
    /// Fingerprint of the body, to refuse a reused key with a different body.
    pub body_hash: u64,
}

/// FNV-1a: a stable fingerprint (std's hashers are not stable across builds).
pub fn fingerprint(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
