//! Posting into a thread and reading it.

use super::call::Call;
use super::error::{Error, Result};
use super::keys;
use super::model::Message;
use super::outbox::{OutboxWriter, Pending};
use super::read_state::{self, UnreadCounters};
use super::records::{IdempotencyRecord, ReadState, StoredMessage, ThreadRecord, fingerprint};
use super::thread::{self, Change};
use super::tx::{self, Tx, transact};
use super::validate;
use super::work;

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

/// The longest body, in bytes of UTF-8, whatever the limit in characters: four chunks of
/// [`CHUNK_BYTES`], which keeps a post's commit within the storage bounds.
pub const MAX_BODY_BYTES: usize = 4 * CHUNK_BYTES;
/// The part of a body one record holds at most (the rest of a value's 64 KiB holds the other
/// fields).
pub const CHUNK_BYTES: usize = 49_152;

/// Post a message; then, as the store's delivery setting says, apply what follows it and
/// deliver its mail and notifications.
pub fn post(call: &Call, request: PostRequest) -> Result<Message> {
    validate::id("order-id", &request.order_id)?;
    let body = validate::text("body", &request.body, call.settings.limits.max_body_chars)?;
    if body.len() > MAX_BODY_BYTES {
        return Err(Error::invalid(
            "body",
            format!(
                "is {} bytes of UTF-8; at most {MAX_BODY_BYTES} are allowed",
                body.len()
            ),
        ));
    }
    if let Some(key) = &request.idempotency_key {
        validate::id("idempotency-key", key)?;
    }
    let body_hash = fingerprint(&body);
    let (message, work) = transact(call.env, |tx| {
        let idempotency_key = request
            .idempotency_key
            .as_ref()
            .map(|k| keys::idempotency(&call.actor.id, k));
        // What the post reads, in one call.
        let mut wanted = vec![
            keys::thread(&request.order_id),
            keys::read_state(&call.actor.id, &request.order_id),
            keys::unread_counter(&call.actor.id),
        ];
        wanted.extend(idempotency_key.clone());
        tx.prefetch(&wanted)?;
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
        Ok((appended.message, Some(appended.work)))
    })?;
    work::follow_up(call, work.as_deref(), Vec::new());
    Ok(message)
}

/// The answer to a repeated post: the message the first post created, if the repeat asks for
/// the same thing.
fn replay(
    tx: &mut Tx,
    order_id: &str,
    body_hash: u64,
    done: IdempotencyRecord,
) -> Result<(Message, Option<String>)> {
    if done.order_id != order_id || done.body_hash != body_hash {
        return Err(Error::Conflict(
            "this idempotency key was already used for a different message".into(),
        ));
    }
    let message = load_message(tx.store(), order_id, done.seq)?
        .ok_or_else(|| Error::Storage("the message of an idempotency key is missing".into()))?;
    Ok((message, None))
}

/// A message as stored: its record with the body's start, and the rest of a long body in the
/// chunks that follow it (`keys::body_chunk`).
pub fn stored_form(message: &Message) -> (StoredMessage, Vec<String>) {
    let mut parts = split_body(&message.body).into_iter();
    let first = parts.next().unwrap_or_default();
    let rest: Vec<String> = parts.collect();
    let stored = StoredMessage {
        order_id: message.order_id.clone(),
        seq: message.seq,
        kind: message.kind,
        author_id: message.author_id.clone(),
        author_name: message.author_name.clone(),
        author_role: message.author_role.clone(),
        created_at: message.created_at,
        chunks: rest.len() as u8,
        body: first,
    };
    (stored, rest)
}

/// Write `message` in its stored form.
pub fn store_message(tx: &mut Tx, message: &Message) {
    let (stored, chunks) = stored_form(message);
    tx.put(keys::message(&message.order_id, message.seq), &stored);
    for (n, chunk) in chunks.iter().enumerate() {
        tx.put(keys::body_chunk(&message.order_id, message.seq, n), chunk);
    }
}

/// `body` in pieces of at most [`CHUNK_BYTES`], cut between characters.
fn split_body(body: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut rest = body;
    while rest.len() > CHUNK_BYTES {
        let mut cut = CHUNK_BYTES;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        parts.push(rest[..cut].to_string());
        rest = &rest[cut..];
    }
    parts.push(rest.to_string());
    parts
}

/// Messages from their stored records (whose bodies may continue in chunks), in order.
pub fn load_messages(
    store: &dyn super::ports::Store,
    order_id: &str,
    entries: &[super::ports::Entry],
) -> Result<Vec<Message>> {
    let stored = entries
        .iter()
        .map(tx::decode::<StoredMessage>)
        .collect::<Result<Vec<_>>>()?;
    let chunk_keys: Vec<String> = stored
        .iter()
        .flat_map(|m| (0..m.chunks as usize).map(|n| keys::body_chunk(order_id, m.seq, n)))
        .collect();
    let mut chunks = tx::read_many::<String>(store, &chunk_keys)?.into_iter();
    stored
        .into_iter()
        .map(|m| {
            if m.order_id != order_id {
                return Err(Error::Storage(format!(
                    "message {} under {order_id:?} belongs to {:?}",
                    m.seq, m.order_id
                )));
            }
            let mut body = m.body;
            for _ in 0..m.chunks {
                body.push_str(&chunks.next().flatten().ok_or_else(|| {
                    Error::Storage(format!("a chunk of message {} is missing", m.seq))
                })?);
            }
            Ok(Message {
                order_id: m.order_id,
                seq: m.seq,
                kind: m.kind,
                author_id: m.author_id,
                author_name: m.author_name,
                author_role: m.author_role,
                body,
                created_at: m.created_at,
            })
        })
        .collect()
}

/// One message, if stored.
pub fn load_message(
    store: &dyn super::ports::Store,
    order_id: &str,
    seq: u64,
) -> Result<Option<Message>> {
    let key = keys::message(order_id, seq);
    match store.get(&key).map_err(tx::storage_error)? {
        Some(entry) => Ok(load_messages(store, order_id, &[entry])?.pop()),
        None => Ok(None),
    }
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
    let messages = load_messages(store, &order.id, &entries)?;
    let last_seq_in_direction = if reverse { 1 } else { thread.message_count };
    let next_cursor = messages
        .last()
        .filter(|m| messages.len() == limit as usize && m.seq != last_seq_in_direction)
        .map(|m| m.seq.to_string());
    let state: ReadState =
        tx::read(store, &keys::read_state(&call.actor.id, &order.id))?.unwrap_or_default();
    let unread = state.unread(thread.message_count);
    if request.mark_read && (unread > 0 || state.listed_at.is_some()) {
        mark(call, &request.order_id, true)?;
    }
    Ok(ThreadPage {
        order_id: order.id,
        order_number: order.number,
        messages,
        next_cursor,
        message_count: thread.message_count,
        unread_count: unread,
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
    let Some(thread) = thread else {
        return Ok(0);
    };
    let state: Option<ReadState> = tx::read(store, &keys::read_state(&call.actor.id, order_id))?;
    Ok(state.unwrap_or_default().unread(thread.message_count))
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
    work::follow_up(call, None, pending);
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
        keys::id(&call.actor.id),
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
