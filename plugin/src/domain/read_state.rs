//! Per-user read state of threads, kept in step with each user's unread index and counter.

use std::collections::BTreeMap;

use super::error::Result;
use super::keys::{self, Scope};
use super::model::BellCounts;
use super::records::{ReadState, ThreadRecord};
use super::tx::Tx;

/// Changes to users' unread-thread counters gathered during a transaction and written once
/// at its end, so that a user touched many times costs one counter write.
#[derive(Default)]
pub struct UnreadCounters {
    deltas: BTreeMap<String, i64>,
}

impl UnreadCounters {
    /// Write the counters that changed; returns each such user with their new count.
    pub fn apply(self, tx: &mut Tx) -> Result<Vec<(String, u32)>> {
        let changed: Vec<(String, i64)> =
            self.deltas.into_iter().filter(|(_, d)| *d != 0).collect();
        let keys: Vec<String> = changed
            .iter()
            .map(|(u, _)| keys::unread_counter(u))
            .collect();
        let current = tx.get_many::<u32>(&keys)?;
        let mut out = Vec::with_capacity(changed.len());
        for (((user, delta), key), count) in changed.into_iter().zip(keys).zip(current) {
            let count =
                (i64::from(count.unwrap_or(0)) + delta).clamp(0, i64::from(u32::MAX)) as u32;
            tx.put(key, &count);
            out.push((user, count));
        }
        Ok(out)
    }
}

/// Replace a user's read state of a thread whose current stamp is `stamp`, moving its entry
/// in the user's unread index and counting the change of unread status.
pub fn store(
    tx: &mut Tx,
    user: &str,
    order_id: &str,
    old: &ReadState,
    mut new: ReadState,
    stamp: &str,
    counters: &mut UnreadCounters,
) {
    new.listed_at = (new.unread > 0).then(|| stamp.to_string());
    if new == *old {
        return;
    }
    let index = keys::unread_index(user);
    if let Some(old_stamp) = &old.listed_at
        && new.listed_at.as_ref() != Some(old_stamp)
    {
        tx.delete(format!("{index}{old_stamp}"));
    }
    if let Some(new_stamp) = &new.listed_at {
        tx.put(format!("{index}{new_stamp}"), &order_id);
    }
    let delta = i64::from(new.unread > 0) - i64::from(old.unread > 0);
    *counters.deltas.entry(user.to_string()).or_default() += delta;
    tx.put(keys::read_state(user, order_id), &new);
}

/// `user`'s read state of `thread` (the default for a thread they have never seen).
fn load(tx: &mut Tx, user: &str, thread: &ThreadRecord) -> Result<ReadState> {
    Ok(tx
        .get(&keys::read_state(user, &thread.order_id))?
        .unwrap_or_default())
}

/// Mark a thread read for `user`. Returns whether it was unread.
pub fn mark_read(
    tx: &mut Tx,
    user: &str,
    thread: &ThreadRecord,
    counters: &mut UnreadCounters,
) -> Result<bool> {
    let old = load(tx, user, thread)?;
    let new = ReadState {
        read_up_to: thread.message_count,
        unread: 0,
        listed_at: None,
    };
    store(
        tx,
        user,
        &thread.order_id,
        &old,
        new,
        &thread.stamp,
        counters,
    );
    Ok(old.unread > 0)
}

/// Mark a thread unread for `user`: its latest message counts as unread. Returns whether it
/// was read before.
pub fn mark_unread(
    tx: &mut Tx,
    user: &str,
    thread: &ThreadRecord,
    counters: &mut UnreadCounters,
) -> Result<bool> {
    let old = load(tx, user, thread)?;
    if old.unread > 0 || thread.message_count == 0 {
        return Ok(false);
    }
    let new = ReadState {
        read_up_to: thread.message_count - 1,
        unread: 1,
        listed_at: None,
    };
    store(
        tx,
        user,
        &thread.order_id,
        &old,
        new,
        &thread.stamp,
        counters,
    );
    Ok(true)
}

/// A user's bell counts as of this transaction, given their unread-thread count. The dispute
/// count is read without making the commit depend on it.
pub fn bell(tx: &mut Tx, scope: &Scope, unread_threads: u32) -> Result<BellCounts> {
    Ok(BellCounts {
        unread_threads,
        open_disputes: tx.peek::<u32>(&keys::dispute_counter(scope))?.unwrap_or(0),
    })
}
