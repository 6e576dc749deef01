//! The "Messages" filter of the host's orders list.

use super::call::Call;
use super::error::Result;
use super::keys;
use super::records::{ReadState, ThreadOwner};
use super::tx;
use super::validate;

/// Which orders to keep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageFilter {
    WithMessages,
    WithUnread,
}

/// A page of matching orders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderPage {
    pub order_ids: Vec<String>,
    pub next_cursor: Option<String>,
}

/// Keep those of `order_ids` that match, in their given order. Orders the actor does not reach
/// never match.
pub fn filter(call: &Call, order_ids: &[String], filter: MessageFilter) -> Result<Vec<String>> {
    call.scope()?;
    validate::order_ids(order_ids, call.settings.limits.max_order_ids)?;
    let store = call.env.store;
    // Only the owner fields of each thread record are decoded.
    let threads: Vec<Option<ThreadOwner>> = tx::read_many(
        store,
        &order_ids
            .iter()
            .map(|o| keys::thread(o))
            .collect::<Vec<_>>(),
    )?;
    let states: Vec<Option<ReadState>> = match filter {
        MessageFilter::WithMessages => vec![None; order_ids.len()],
        MessageFilter::WithUnread => {
            // Read states only of the threads the actor reaches.
            let wanted: Vec<String> = order_ids
                .iter()
                .zip(&threads)
                .filter(|(_, t)| t.is_some())
                .map(|(o, _)| keys::read_state(&call.actor.id, o))
                .collect();
            let mut found = tx::read_many::<ReadState>(store, &wanted)?.into_iter();
            threads
                .iter()
                .map(|t| t.as_ref().and_then(|_| found.next().flatten()))
                .collect()
        }
    };
    Ok(order_ids
        .iter()
        .zip(threads.iter().zip(states))
        .filter(|(id, (thread, state))| {
            thread.as_ref().is_some_and(|t| {
                t.order_id == **id
                    && call.reaches(&t.customer_id, t.vendor_id.as_deref())
                    && (filter == MessageFilter::WithMessages
                        || state.clone().unwrap_or_default().unread(t.message_count) > 0)
            })
        })
        .map(|(id, _)| id.clone())
        .collect())
}

/// Every matching order the actor reaches, newest thread activity first.
pub fn list(
    call: &Call,
    filter: MessageFilter,
    cursor: Option<&str>,
    limit: u32,
) -> Result<OrderPage> {
    let scope = call.scope()?;
    let limit = validate::limit(limit, call.settings.limits.max_page_size)?;
    if cursor.is_some_and(|c| !keys::is_stamp(c)) {
        return Err(validate::bad_cursor());
    }
    let prefix = match filter {
        MessageFilter::WithMessages => keys::activity_index(&scope),
        MessageFilter::WithUnread => keys::unread_index(&call.actor.id),
    };
    let store = call.env.store;
    let start = cursor.map(|c| format!("{prefix}{c}"));
    let page = tx::scan(store, &prefix, start.as_deref(), limit, true)?;
    let entries = page.entries;
    let next_cursor = page
        .more
        .then(|| entries.last().map(|e| e.key[prefix.len()..].to_string()))
        .flatten()
        .or_else(|| cursor.filter(|_| page.more).map(str::to_string));
    let mut order_ids = entries
        .iter()
        .map(tx::decode::<String>)
        .collect::<Result<Vec<_>>>()?;
    if filter == MessageFilter::WithUnread {
        // A user's unread index follows the user, not the role they act in now: keep only
        // the orders this role reaches.
        let thread_keys: Vec<String> = order_ids.iter().map(|o| keys::thread(o)).collect();
        let threads: Vec<Option<ThreadOwner>> = tx::read_many(store, &thread_keys)?;
        let mut threads = threads.into_iter();
        order_ids.retain(|_| {
            threads
                .next()
                .flatten()
                .is_some_and(|t| call.reaches(&t.customer_id, t.vendor_id.as_deref()))
        });
    }
    Ok(OrderPage {
        order_ids,
        next_cursor,
    })
}
