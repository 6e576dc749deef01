//! Appending a message to an order's thread: the one write path shared by posts and dispute
//! events. Everything that depends on the message is written in the same transaction: the
//! thread record, the activity, dispute and keyword indexes of every scope, each viewer's read
//! state, unread index and counter, the dispute counters, and the outbox entries for mail and
//! notifications.

use std::collections::BTreeMap;

use super::call::{Call, OrderRef};
use super::error::Result;
use super::keys::{self, Scope};
use super::model::{Dispute, Message, MessageKind, Timestamp};
use super::outbox::{DisputeChange, Event, NewMessage, OutboxWriter, Pending, UserCounts};
use super::read_state::{self, UnreadCounters};
use super::records::{Latest, ReadState, ThreadRecord};
use super::render;
use super::search;
use super::tx::Tx;

/// What the appended message records.
#[derive(Clone, Debug)]
pub enum Change {
    /// A user's message.
    Post { body: String },
    /// A dispute was opened (the record as opened).
    DisputeOpened(Dispute),
    /// A dispute was closed (the record as closed).
    DisputeClosed(Dispute),
}

impl Change {
    fn kind(&self) -> MessageKind {
        match self {
            Change::Post { .. } => MessageKind::Text,
            Change::DisputeOpened(_) => MessageKind::DisputeOpened,
            Change::DisputeClosed(_) => MessageKind::DisputeClosed,
        }
    }

    fn body(&self) -> String {
        match self {
            Change::Post { body } => body.clone(),
            Change::DisputeOpened(d) => render::dispute_opened_text(&d.opened_by, &d.reason),
            Change::DisputeClosed(d) => {
                let closure = d.closed.as_ref().expect("a closed dispute has a closure");
                render::dispute_closed_text(&closure.by, &closure.resolution)
            }
        }
    }
}

/// The appended message and the outbox entries to deliver once the transaction commits.
pub struct Appended {
    pub message: Message,
    pub outbox: Vec<Pending>,
}

/// Append a message by the call's actor to `order`'s thread (`thread`: its record, if the
/// thread exists; read in `tx`).
pub fn append(
    call: &Call,
    tx: &mut Tx,
    order: &OrderRef,
    thread: Option<ThreadRecord>,
    change: Change,
) -> Result<Appended> {
    let actor = &call.actor;
    let now = next_time(call, thread.as_ref());
    let seq = thread.as_ref().map_or(0, |t| t.message_count) + 1;
    let message = Message {
        order_id: order.id.clone(),
        seq,
        kind: change.kind(),
        author_id: actor.id.clone(),
        author_name: actor.display_name.clone(),
        author_role: actor.role.clone(),
        body: change.body(),
        created_at: now,
    };
    tx.put(keys::message(&order.id, seq), &message);

    // The thread record.
    let stamp = keys::stamp(now, &order.id);
    let old_stamp = thread.as_ref().map(|t| t.stamp.clone());
    let was_open = thread.as_ref().is_some_and(|t| t.open_dispute.is_some());
    let mut record = thread.unwrap_or_else(|| ThreadRecord {
        order_id: order.id.clone(),
        order_number: order.number.clone(),
        customer_id: order.customer_id.clone(),
        customer_name: order.customer_name.clone(),
        vendor_id: order.vendor_id.clone(),
        message_count: 0,
        created_at: now,
        latest: latest_of(&message),
        stamp: stamp.clone(),
        open_dispute: None,
        dispute_count: 0,
    });
    record.message_count = seq;
    record.latest = latest_of(&message);
    record.stamp = stamp.clone();
    match &change {
        Change::DisputeOpened(d) => {
            record.open_dispute = Some(d.number);
            record.dispute_count = d.number;
        }
        Change::DisputeClosed(_) => record.open_dispute = None,
        Change::Post { .. } => {}
    }
    let now_open = record.open_dispute.is_some();
    tx.put(keys::thread(&order.id), &record);

    // Every scope's indexes and dispute counters.
    let scopes = Call::scopes_of(order);
    for scope in &scopes {
        move_entry(
            tx,
            &keys::activity_index(scope),
            old_stamp.as_deref(),
            Some(&stamp),
            &order.id,
        );
        let disputes = keys::dispute_index(scope);
        move_entry(
            tx,
            &disputes,
            old_stamp.as_deref().filter(|_| was_open),
            Some(stamp.as_str()).filter(|_| now_open),
            &order.id,
        );
        if was_open != now_open {
            let key = keys::dispute_counter(scope);
            let count: u32 = tx.get(&key)?.unwrap_or(0);
            tx.put(
                key,
                &if now_open {
                    count + 1
                } else {
                    count.saturating_sub(1)
                },
            );
        }
    }
    let words = search::message_words(&message.body, &message.author_name, &order.number);
    search::index_words(tx, &order.id, &scopes, &words, &stamp)?;

    // Read states: one more unread message for every viewer but the author, who has now read
    // the whole thread.
    let mut users = call.viewers(order)?;
    if !users.iter().any(|(u, _)| *u == actor.id) {
        users.push((actor.id.clone(), call.scope()?));
    }
    let state_keys: Vec<String> = users
        .iter()
        .map(|(u, _)| keys::read_state(u, &order.id))
        .collect();
    let states = tx.get_many::<ReadState>(&state_keys)?;
    let mut counters = UnreadCounters::default();
    for ((user, _), old) in users.iter().zip(states) {
        let old = old.unwrap_or_default();
        let new = if *user == actor.id {
            ReadState {
                read_up_to: seq,
                unread: 0,
                listed_at: None,
            }
        } else {
            ReadState {
                unread: old.unread.saturating_add(1),
                ..old.clone()
            }
        };
        read_state::store(tx, user, &order.id, &old, new, &stamp, &mut counters);
    }
    let unread_changed: BTreeMap<String, u32> = counters.apply(tx)?.into_iter().collect();

    // The outbox: mail and a notification for the other parties taking part (not the author,
    // nor the author's own team, who see the message as unread), and new bell counts for
    // everyone whose counts changed.
    let staff_take_part = call.staff_take_part(order, was_open || now_open);
    let author_party = call.scope()?;
    let recipients: Vec<String> = users
        .iter()
        .filter(|(_, party)| *party != author_party)
        .filter(|(_, party)| *party != Scope::Staff || staff_take_part)
        .map(|(u, _)| u.clone())
        .collect();
    let anchor = format!("{}/{seq:012}", keys::esc(&order.id));
    let mut outbox = OutboxWriter::new(now, &anchor, &order.id);
    let (mail, event) = match &change {
        Change::Post { .. } => (
            render::new_message_mail(&order.number, &message),
            Event::NewMessage(NewMessage {
                order_id: order.id.clone(),
                order_number: order.number.clone(),
                seq,
                author_name: message.author_name.clone(),
                author_role: message.author_role.clone(),
                excerpt: render::excerpt(&message.body),
                created_at: now,
            }),
        ),
        Change::DisputeOpened(d) => (
            render::dispute_mail(&order.number, d),
            Event::DisputeOpened(dispute_change(order, d)),
        ),
        Change::DisputeClosed(d) => (
            render::dispute_mail(&order.number, d),
            Event::DisputeClosed(dispute_change(order, d)),
        ),
    };
    outbox.mail(tx, recipients.clone(), mail);
    outbox.push(tx, recipients, event);
    let mut counts = Vec::new();
    for (user, scope) in &users {
        let unread = match unread_changed.get(user) {
            Some(count) => *count,
            None if was_open != now_open => tx.peek(&keys::unread_counter(user))?.unwrap_or(0),
            None => continue,
        };
        counts.push(UserCounts {
            user: user.clone(),
            counts: read_state::bell(tx, scope, unread)?,
        });
    }
    if !counts.is_empty() {
        outbox.counts(tx, counts);
    }

    Ok(Appended {
        message,
        outbox: outbox.into_entries(),
    })
}

/// The time of the next message of a thread: now, but never before its latest message, so
/// that a thread's messages are in time order even if the clock steps back.
pub fn next_time(call: &Call, thread: Option<&ThreadRecord>) -> Timestamp {
    call.now().max(thread.map_or(0, |t| t.latest.created_at))
}

fn latest_of(message: &Message) -> Latest {
    Latest {
        seq: message.seq,
        kind: message.kind,
        author_name: message.author_name.clone(),
        author_role: message.author_role.clone(),
        excerpt: render::excerpt(&message.body),
        created_at: message.created_at,
    }
}

fn dispute_change(order: &OrderRef, d: &Dispute) -> DisputeChange {
    let (by, note, at) = match &d.closed {
        None => (&d.opened_by, &d.reason, d.opened_at),
        Some(c) => (&c.by, &c.resolution, c.at),
    };
    DisputeChange {
        order_id: order.id.clone(),
        order_number: order.number.clone(),
        dispute_number: d.number,
        by_name: by.name.clone(),
        note: note.clone(),
        at,
    }
}

/// Move a thread's entry in an activity-ordered index from one stamp to another (either may be
/// absent).
fn move_entry(tx: &mut Tx, index: &str, from: Option<&str>, to: Option<&str>, order_id: &str) {
    if from == to {
        return;
    }
    if let Some(from) = from {
        tx.delete(format!("{index}{from}"));
    }
    if let Some(to) = to {
        tx.put(format!("{index}{to}"), &order_id);
    }
}
