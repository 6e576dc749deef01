//! Appending a message to an order's thread: the one write path shared by posts and dispute
//! events. Its commit holds a bounded set of writes whatever the number of users and words:
//! the message, the thread record, the activity and dispute indexes and counters of the
//! thread's three scopes, the author's read state, and one [`Work`] item with everything else
//! (the other users' unread state, the keyword index, mail and notifications; see `work`).

use super::call::{Call, OrderRef};
use super::error::Result;
use super::keys;
use super::messaging;
use super::model::{Dispute, Message, MessageKind, Mode, Role, Timestamp};
use super::outbox::{About, DisputeChange, Event, NewMessage, UserCounts};
use super::read_state::{self, UnreadCounters};
use super::records::{Latest, ReadState, ThreadRecord};
use super::render;
use super::search;
use super::tx::Tx;
use super::work::{Party, Phase, Work};

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

/// The appended message and the key of the work it left.
pub struct Appended {
    pub message: Message,
    pub work: String,
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
    messaging::store_message(tx, &message);

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
    // The author has read the whole thread now (their own message included).
    let mut counters = UnreadCounters::default();
    let author_state = read_state::load(tx, &actor.id, &record)?;
    let read_all = ReadState {
        read_up_to: seq,
        listed_at: None,
    };
    read_state::store(
        tx,
        &actor.id,
        &record,
        &author_state,
        read_all,
        &mut counters,
    );
    let author_unread = counters.apply(tx)?.pop().map(|(_, count)| count);
    let author_scope = call.scope()?;
    let mut bells = Vec::new();
    let author_count = match author_unread {
        Some(count) => Some(count),
        None if was_open != now_open => {
            Some(tx.peek(&keys::unread_counter(&actor.id))?.unwrap_or(0))
        }
        None => None,
    };
    if let Some(count) = author_count {
        bells.push(UserCounts {
            user: actor.id.clone(),
            counts: read_state::bell(tx, &author_scope, count)?,
        });
    }

    // Everything else follows as pending work.
    let (event, about) = match &change {
        Change::Post { .. } => (
            Event::NewMessage(NewMessage {
                order_id: order.id.clone(),
                order_number: order.number.clone(),
                seq,
                author_name: message.author_name.clone(),
                author_role: message.author_role.clone(),
                excerpt: render::excerpt(&message.body),
                created_at: now,
            }),
            About::Message {
                order_id: order.id.clone(),
                order_number: order.number.clone(),
                seq,
            },
        ),
        Change::DisputeOpened(d) | Change::DisputeClosed(d) => {
            let opened = matches!(change, Change::DisputeOpened(_));
            let change = dispute_change(order, d);
            (
                if opened {
                    Event::DisputeOpened(change)
                } else {
                    Event::DisputeClosed(change)
                },
                About::Dispute {
                    order_id: order.id.clone(),
                    order_number: order.number.clone(),
                    number: d.number,
                    opened,
                },
            )
        }
    };
    let vendors_take_part = call.settings.mode == Mode::SeparateShops;
    let work = Work {
        order_id: order.id.clone(),
        order_number: order.number.clone(),
        seq,
        at: now,
        event,
        about,
        author_id: actor.id.clone(),
        author_party: match actor.role {
            Role::Customer => Party::Customer,
            Role::Vendor(_) => Party::Vendor,
            Role::Admin => Party::Staff,
        },
        customer_id: order.customer_id.clone(),
        order_vendor_id: order.vendor_id.clone(),
        vendor_id: order.vendor_id.clone().filter(|_| vendors_take_part),
        staff_take_part: call.staff_take_part(order, was_open || now_open),
        dispute_changed: was_open != now_open,
        stamp: stamp.clone(),
        words: search::message_words(&message.body, &message.author_name, &order.number)
            .into_iter()
            .collect(),
        phase: Phase::Customer,
        next: 0,
        mail_to: Vec::new(),
        bells,
        written: 0,
    };
    let work_key = work.key();
    tx.put(work_key.clone(), &work);
    Ok(Appended {
        message,
        work: work_key,
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
