//! The records the addon stores (see `keys` for where), encoded with [`encode`] / [`decode`]:
//! postcard, serde's compact binary format (no field names, varints).
//!
//! Field order matters in this format: a record's leading fields can be decoded alone (the
//! rest of the bytes are ignored), which the order filter uses to read only who owns a thread
//! ([`ThreadOwner`]).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::error::{Error, Result};
use super::model::{BellCounts, MessageKind, Role, Timestamp};

/// A record's bytes.
pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    postcard::to_allocvec(value).expect("records always serialize")
}

/// A record from its bytes; `key` names it in the error.
pub fn decode<T: DeserializeOwned>(key: &str, bytes: &[u8]) -> Result<T> {
    postcard::from_bytes(bytes).map_err(|e| Error::Storage(format!("corrupt record at {key}: {e}")))
}

/// The thread of one order: who it belongs to (first, see [`ThreadOwner`]), its size, latest
/// message and dispute state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadRecord {
    pub order_id: String,
    pub customer_id: String,
    pub vendor_id: Option<String>,
    /// Number of messages, which is also the `seq` of the latest one.
    pub message_count: u64,
    pub order_number: String,
    pub customer_name: String,
    pub created_at: Timestamp,
    pub latest: Latest,
    /// The thread's current position in the activity-ordered indexes (see `keys::stamp`).
    pub stamp: String,
    /// The number of the open dispute, if one is open.
    pub open_dispute: Option<u32>,
    /// How many disputes the order has had.
    pub dispute_count: u32,
}

/// The leading fields of a [`ThreadRecord`]: whose thread it is and how long, decoded without
/// the rest, for the order filter's thousand-id calls.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ThreadOwner {
    /// The order, compared with the one asked for (ids in keys may be hashes).
    pub order_id: String,
    pub customer_id: String,
    pub vendor_id: Option<String>,
    pub message_count: u64,
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

/// A stored message: the message with the start of its body; a long body continues in
/// `chunks` more records (`keys::body_chunk`), so that no value exceeds the storage bound.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredMessage {
    pub order_id: String,
    pub seq: u64,
    pub kind: MessageKind,
    pub author_id: String,
    pub author_name: String,
    pub author_role: Role,
    pub created_at: Timestamp,
    /// Continuation chunks of the body.
    pub chunks: u8,
    /// The body's start (all of it when `chunks` is 0).
    pub body: String,
}

/// One user's read state of one thread.
///
/// How many of its messages the user has not read is the thread's `message_count` minus
/// `read_up_to`: a user's own message (or dispute event) moves their mark to it, so what lies
/// beyond the mark is by others. Invariant, once pending work is applied: `listed_at` is the
/// thread's stamp exactly when the thread is unread and counts for the user's bell; then the
/// user's unread index holds the thread there and their counter counts it once.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadState {
    /// The highest `seq` the user has read.
    pub read_up_to: u64,
    /// Where the thread sits in the user's unread index, while it is listed there.
    pub listed_at: Option<String>,
}

impl ReadState {
    /// The messages of a thread of `message_count` that the user has not read.
    pub fn unread(&self, message_count: u64) -> u32 {
        message_count
            .saturating_sub(self.read_up_to)
            .try_into()
            .unwrap_or(u32::MAX)
    }
}

/// What an idempotency key produced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    pub order_id: String,
    pub seq: u64,
    /// Fingerprint of the body, to refuse a reused key with a different body.
    pub body_hash: u64,
}

/// One user's bell counts, as a push carries them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserBell {
    pub user: String,
    pub counts: BellCounts,
}

/// FNV-1a: a stable fingerprint (std's hashers are not stable across builds).
pub fn fingerprint(text: &str) -> u64 {
    fingerprint_bytes(text.bytes())
}

/// [`fingerprint`] of a sequence of bytes, without gathering them first.
pub fn fingerprint_bytes(bytes: impl IntoIterator<Item = u8>) -> u64 {
    bytes.into_iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_owner_decodes_from_a_whole_thread_record() {
        let thread = ThreadRecord {
            order_id: "o1".into(),
            customer_id: "c1".into(),
            vendor_id: Some("v1".into()),
            message_count: 7,
            order_number: "1001".into(),
            customer_name: "Alice".into(),
            created_at: 5,
            latest: Latest {
                seq: 7,
                kind: MessageKind::Text,
                author_name: "Anna".into(),
                author_role: Role::Vendor("v1".into()),
                excerpt: "On its way".into(),
                created_at: 5,
            },
            stamp: "0000000000005/o1".into(),
            open_dispute: None,
            dispute_count: 0,
        };
        let bytes = encode(&thread);
        let owner: ThreadOwner = decode("T/o1", &bytes).unwrap();
        assert_eq!(
            (
                owner.customer_id.as_str(),
                owner.vendor_id.as_deref(),
                owner.message_count
            ),
            ("c1", Some("v1"), 7)
        );
        assert_eq!(decode::<ThreadRecord>("T/o1", &bytes).unwrap(), thread);
        assert!(decode::<ThreadRecord>("T/o1", &bytes[..10]).is_err());
    }
}
