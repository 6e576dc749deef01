//! Per-user read state of threads, and the one operation that keeps each user's unread index
//! and counter in step with it: [`reconcile`].
//!
//! A user's read mark of a thread changes only by their own doing (reading, marking, posting),
//! and how many messages they have not read is always exact (`ReadState::unread`). Whether the
//! thread is *listed* for them (in their unread index, counted by their bell) follows from the
//! mark and the thread, and `reconcile` makes it so: for the user who acts, inline; for
//! everyone else, in batches of pending work after a change. It is idempotent and depends only
//! on the current records, so whichever order batches run in, the lists and counters end up
//! exact.

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

/// Store `user`'s read state of `thread` as `new` (its listing derived here), moving the
/// thread's entry in the user's unread index and counting a change of listed status. `old` is
/// the stored state (read in `tx`). Returns whether the listed status changed.
pub fn store(
    tx: &mut Tx,
    user: &str,
    thread: &ThreadRecord,
    old: &ReadState,
    mut new: ReadState,
    counters: &mut UnreadCounters,
) -> bool {
    new.listed_at = (new.unread(thread.message_count) > 0).then(|| thread.stamp.clone());
    if new == *old {
        return false;
    }
    let index = keys::unread_index(user);
    if let Some(old_stamp) = &old.listed_at
        && new.listed_at.as_ref() != Some(old_stamp)
    {
        tx.delete(format!("{index}{old_stamp}"));
    }
    if let Some(new_stamp) = &new.listed_at
        && old.listed_at.as_ref() != Some(new_stamp)
    {
        tx.put(format!("{index}{new_stamp}"), &thread.order_id);
    }
    let delta = i64::from(new.listed_at.is_some()) - i64::from(old.listed_at.is_some());
    *counters.deltas.entry(user.to_string()).or_default() += delta;
    tx.put(keys::read_state(user, &thread.order_id), &new);
    delta != 0
}

/// `user`'s read state of `thread` (the default for a thread they have never seen).
pub fn load(tx: &mut Tx, user: &str, thread: &ThreadRecord) -> Result<ReadState> {
    Ok(tx
        .get(&keys::read_state(user, &thread.order_id))?
        .unwrap_or_default())
}

/// Bring `user`'s listing of `thread` in step with their read mark. Returns whether their
/// counter changed.
pub fn reconcile(
    tx: &mut Tx,
    user: &str,
    thread: &ThreadRecord,
    counters: &mut UnreadCounters,
) -> Result<bool> {
    let old = load(tx, user, thread)?;
    Ok(store(tx, user, thread, &old, old.clone(), counters))
}

/// Mark a thread read for `user`. Returns whether it had unread messages.
pub fn mark_read(
    tx: &mut Tx,
    user: &str,
    thread: &ThreadRecord,
    counters: &mut UnreadCounters,
) -> Result<bool> {
    let old = load(tx, user, thread)?;
    let new = ReadState {
        read_up_to: thread.message_count,
        listed_at: None,
    };
    store(tx, user, thread, &old, new, counters);
    Ok(old.unread(thread.message_count) > 0)
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
    if old.unread(thread.message_count) > 0 || thread.message_count == 0 {
        // Unread already; make sure it is listed (it may wait for pending work).
        store(tx, user, thread, &old, old.clone(), counters);
        return Ok(false);
    }
    let new = ReadState {
        read_up_to: thread.message_count - 1,
        listed_at: None,
    };
    store(tx, user, thread, &old, new, counters);
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
