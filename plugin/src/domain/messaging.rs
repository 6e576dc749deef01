//! Posting into a thread and reading it.

use super::call::Call;
use super::error::{Error, Result};
use super::keys;
use super::model::Message;
use super::outbox::{self, OutboxWriter, Pending};
use super::read_state::{self, UnreadCounters};
use super::records::{IdempotencyRecord, ReadState, ThreadRecord, fingerprint};
use super::thread::{self, Change};
use super::tx::{self, Tx, transact};
use super::validate;

/// A message to post.
#[derive(Clone, Debug)]
pub struct PostRequest {
    pub order_id: String,
    pub body: String,
    pub idempotency_key: Option<String>,
}

/// Which end of the thread a page starts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    OldestFirst,
    NewestFirst,
}

/// Which messages of a thread to read.
#[derive(Clone, Debug)]
pub struct ThreadRequest {
    pub order_id: String,
    pub direction: Direction,
    pub cursor: Option<String>,
    pub limit: u32,
    pub mark_read: bool,
}

/// A page of a thread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadPage {
    pub order_id: String,
    pub order_number: String,
    pub messages: Vec<Message>,
    pub next_cursor: Option<String>,
    pub message_count: u64,
    pub unread_count: u32,
    pub read_up_to: u64,
    pub dispute_open: bool,
}

/// Post a message, then deliver its mail and notifications.
pub fn post(call: &Call, request: PostRequest) -> Result<Message> {
    validate::id("order-id", &request.order_id)?;
    let body = validate::text("body", &request.body, call.settings.limits.max_body_chars)?;
    if let Some(key) = &request.idempotency_key {
        validate::id("idempotency-key", key)?;
    }
    let body_hash = fingerprint(&body);
    let (message, pending) = transact(call.env, |tx| {
        let idempotency_key = request
            .idempotency_key
            .as_ref()
            .map(|k| keys::idempotency(&call.actor.id, k));
        // Authorize first: a repeated post is refused whenever a new one would be.
        let thread: Option<ThreadRecord> = tx.get(&keys::thread(&request.order_id))?;
        let order = call.resolve(&request.order_id, thread.as_ref())?;
        if let Some(key) = &idempotency_key
            && let Some(done) = tx.get::<IdempotencyRecord>(key)?
        {
            return replay(tx, &request.order_id, body_hash, done);
        }
        let appended = thread::append(
            call,
            tx,
            &order,
            thread,
            Change::Post { body: body.clone() },
        )?;
        if let Some(key) = idempotency_key {
            let record = IdempotencyRecord {
                order_id: order.id.clone(),
                seq: appended.message.seq,
                body_hash,
            };
            tx.put(key, &record);
        }
        Ok((appended.message, appended.outbox))
    })?;
    outbox::deliver(call.env, pending);
    Ok(message)
}

/// The answer to a repeated post: the message the first post created, if the repeat asks for
/// the same thing.
fn replay(
    tx: &mut Tx,
    order_id: &str,
    body_hash: u64,
    done: IdempotencyRecord,
) -> Result<(Message, Vec<Pending>)> {
    if done.order_id != order_id || done.body_hash != body_hash {
        return Err(Error::Conflict(
            "this idempotency key was already used for a different message".into(),
        ));
    }
    let message = tx
        .peek::<Message>(&keys::message(order_id, done.seq))?
        .ok_or_else(|| Error::Storage("the message of an idempotency key is missing".into()))?;
    Ok((message, Vec::new()))
}

/// Read a page of a thread, and mark the thread read if asked.
pub fn read_thread(call: &Call, request: ThreadRequest) -> Result<ThreadPage> {
    validate::id("order-id", &request.order_id)?;
    let limit = validate::limit(request.limit, call.settings.limits.max_page_size)?;
    let cursor = request
        .cursor
        .as_deref()
        .map(|c| c.parse::<u64>().map_err(|_| validate::bad_cursor()))
        .transpose()?;
    let store = call.env.store;
    let thread: Option<ThreadRecord> = tx::read(store, &keys::thread(&request.order_id))?;
    let order = call.resolve(&request.order_id, thread.as_ref())?;
    let Some(thread) = thread else {
        return Ok(ThreadPage {
            order_id: order.id,
            order_number: order.number,
            messages: Vec::new(),
            next_cursor: None,
            message_count: 0,
            unread_count: 0,
            read_up_to: 0,
            dispute_open: false,
        });
    };
    let prefix = keys::messages(&order.id);
    let reverse = request.direction == Direction::NewestFirst;
    let start_after = cursor.map(|seq| keys::message(&order.id, seq));
    let entries = tx::scan(store, &prefix, start_after.as_deref(), limit, reverse)?.entries;
    let messages = entries
        .iter()
        .map(tx::decode::<Message>)
        .collect::<Result<Vec<_>>>()?;
    let last_seq_in_direction = if reverse { 1 } else { thread.message_count };
    let next_cursor = messages
        .last()
        .filter(|m| messages.len() == limit as usize && m.seq != last_seq_in_direction)
        .map(|m| m.seq.to_string());
    let state: ReadState =
        tx::read(store, &keys::read_state(&call.actor.id, &order.id))?.unwrap_or_default();
    if request.mark_read && (state.unread > 0 || state.read_up_to < thread.message_count) {
        mark(call, &request.order_id, true)?;
    }
    Ok(ThreadPage {
        order_id: order.id,
        order_number: order.number,
        messages,
        next_cursor,
        message_count: thread.message_count,
        unread_count: state.unread,
        read_up_to: state.read_up_to,
        dispute_open: thread.open_dispute.is_some(),
    })
}

/// How many messages of the order's thread are unread for the actor.
pub fn unread_count(call: &Call, order_id: &str) -> Result<u32> {
    validate::id("order-id", order_id)?;
    let store = call.env.store;
    let thread: Option<ThreadRecord> = tx::read(store, &keys::thread(order_id))?;
    call.resolve(order_id, thread.as_ref())?;
    let state: Option<ReadState> = tx::read(store, &keys::read_state(&call.actor.id, order_id))?;
    Ok(state.map_or(0, |s| s.unread))
}

/// Mark the order's thread read or unread for the actor.
pub fn mark(call: &Call, order_id: &str, read: bool) -> Result<()> {
    validate::id("order-id", order_id)?;
    let pending = transact(call.env, |tx| {
        let thread: Option<ThreadRecord> = tx.get(&keys::thread(order_id))?;
        call.resolve(order_id, thread.as_ref())?;
        let mut counters = UnreadCounters::default();
        if let Some(thread) = &thread {
            set_read(tx, &call.actor.id, thread, read, &mut counters)?;
        }
        finish_marking(call, tx, order_id, counters)
    })?;
    outbox::deliver(call.env, pending);
    Ok(())
}

/// Mark one thread read or unread for `user`; returns whether its unread status changed.
pub fn set_read(
    tx: &mut Tx,
    user: &str,
    thread: &ThreadRecord,
    read: bool,
    counters: &mut UnreadCounters,
) -> Result<bool> {
    if read {
        read_state::mark_read(tx, user, thread, counters)
    } else {
        read_state::mark_unread(tx, user, thread, counters)
    }
}

/// Write the actor's unread counter after marking, and queue their new bell counts if it
/// changed. `order_id` names an order the marking touched, for the outbox entry.
pub fn finish_marking(
    call: &Call,
    tx: &mut Tx,
    order_id: &str,
    counters: UnreadCounters,
) -> Result<Vec<Pending>> {
    let counter_key = keys::unread_counter(&call.actor.id);
    // Read the counter first so its version is known: it anchors the outbox entry's id,
    // unique because the commit checks that version.
    tx.get::<u32>(&counter_key)?;
    let anchor = format!(
        "u/{}/{:020}",
        keys::esc(&call.actor.id),
        tx.version_read(&counter_key)
    );
    let mut outbox = OutboxWriter::new(call.now(), &anchor, order_id);
    let mut counts = Vec::new();
    for (user, unread) in counters.apply(tx)? {
        counts.push(super::outbox::UserCounts {
            user,
            counts: read_state::bell(tx, &call.scope()?, unread)?,
        });
    }
    if !counts.is_empty() {
        outbox.counts(tx, counts);
    }
    Ok(outbox.into_entries())
}
