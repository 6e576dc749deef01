//! The transactional outbox: mail and notifications are written in the same commit as what
//! causes them (a marking, or the last batch of a change's pending work, see `work`), delivered
//! after it, and retried by `deliver-pending` until the host accepts or permanently refuses
//! them.
//!
//! A mail entry names what it is about (a message, a dispute event) rather than carrying the
//! rendered mail: it is rendered from the stored records when delivered, so a long body is
//! stored once, in its message.

use serde::{Deserialize, Serialize};

use super::error::Result;
use super::keys;
use super::model::{BellCounts, Role, Timestamp};
use super::ports::{DeliveryError, Env, Write};
use super::tx::{self, Tx};

/// A mail to users (the host resolves addresses).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mail {
    pub recipients: Vec<String>,
    pub order_id: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub idempotency_key: String,
}

/// A notification about a new message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewMessage {
    pub order_id: String,
    pub order_number: String,
    pub seq: u64,
    pub author_name: String,
    pub author_role: Role,
    pub excerpt: String,
    pub created_at: Timestamp,
}

/// A notification about a dispute being opened or closed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisputeChange {
    pub order_id: String,
    pub order_number: String,
    pub dispute_number: u32,
    pub by_name: String,
    pub note: String,
    pub at: Timestamp,
}

/// What a notification says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    NewMessage(NewMessage),
    DisputeOpened(DisputeChange),
    DisputeClosed(DisputeChange),
    /// New bell counts of each listed user (the push's recipients).
    CountsChanged(Vec<UserCounts>),
}

/// One user's bell counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserCounts {
    pub user: String,
    pub counts: BellCounts,
}

/// What a mail is about: rendered from these records when delivered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum About {
    /// A message of a thread.
    Message {
        order_id: String,
        order_number: String,
        seq: u64,
    },
    /// A dispute opened (`opened`) or closed.
    Dispute {
        order_id: String,
        order_number: String,
        number: u32,
        opened: bool,
    },
}

/// What an outbox entry delivers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Payload {
    /// A mail, rendered when delivered.
    Mail {
        recipients: Vec<String>,
        about: About,
    },
    /// A mail rendered before it was stored (entries migrated from schema 1).
    Rendered(Mail),
    /// A notification.
    Push {
        recipients: Vec<String>,
        event: Event,
    },
}

/// A stored outbox entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxRecord {
    pub order_id: String,
    pub created_at: Timestamp,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub payload: Payload,
}

impl OutboxRecord {
    /// The users the entry goes to.
    pub fn recipients(&self) -> &[String] {
        match &self.payload {
            Payload::Mail { recipients, .. } | Payload::Push { recipients, .. } => recipients,
            Payload::Rendered(m) => &m.recipients,
        }
    }

    /// The key the host gets the entry under, given its id: the id, but a mail migrated from
    /// 0.1.0 keeps the key it was given then (its id may have changed with the layout).
    pub fn idempotency_key<'a>(&'a self, id: &'a str) -> &'a str {
        match &self.payload {
            Payload::Rendered(mail) => &mail.idempotency_key,
            Payload::Mail { .. } | Payload::Push { .. } => id,
        }
    }

    /// A one-line description for listings.
    pub fn summary(&self) -> String {
        super::render::one_line(&self.describe(), 200)
    }

    fn describe(&self) -> String {
        match &self.payload {
            Payload::Mail { about, .. } => match about {
                About::Message { order_number, .. } => {
                    format!("New message about order {order_number}")
                }
                About::Dispute {
                    order_number,
                    opened,
                    ..
                } => format!(
                    "Dispute {} on order {order_number}",
                    if *opened { "opened" } else { "closed" }
                ),
            },
            Payload::Rendered(m) => m.subject.clone(),
            Payload::Push { event, .. } => match event {
                Event::NewMessage(e) => {
                    format!("new message {} on order {}", e.seq, e.order_number)
                }
                Event::DisputeOpened(e) => format!("dispute opened on order {}", e.order_number),
                Event::DisputeClosed(e) => format!("dispute closed on order {}", e.order_number),
                Event::CountsChanged(all) => match all.as_slice() {
                    [one] => format!(
                        "bell counts: {} unread, {} disputes",
                        one.counts.unread_threads, one.counts.open_disputes
                    ),
                    all => format!("bell counts of {} users", all.len()),
                },
            },
        }
    }
}

/// An outbox entry with its id (its key without prefix, which is also its idempotency key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    pub id: String,
    pub record: OutboxRecord,
}

/// Collects the outbox entries of one operation. `anchor` must be unique to the committed
/// change (e.g. an order and message seq), so that ids never repeat and retried operations
/// produce the same ids.
pub struct OutboxWriter {
    prefix: String,
    order_id: String,
    at: Timestamp,
    first: usize,
    entries: Vec<Pending>,
}

impl OutboxWriter {
    pub fn new(at: Timestamp, anchor: &str, order_id: &str) -> Self {
        OutboxWriter {
            prefix: format!("{:013}/{anchor}", at.max(0)),
            order_id: order_id.to_string(),
            at,
            first: 0,
            entries: Vec::new(),
        }
    }

    /// Start numbering entries at `n` (a change's pending work writes its entries over several
    /// batches).
    pub fn numbered_from(mut self, n: usize) -> Self {
        self.first = n;
        self
    }

    fn add(&mut self, tx: &mut Tx, payload: Payload) {
        let id = format!("{}/{:03}", self.prefix, self.first + self.entries.len());
        debug_assert!(is_entry_id(&id), "{id}");
        let record = OutboxRecord {
            order_id: self.order_id.clone(),
            created_at: self.at,
            attempts: 0,
            last_error: None,
            payload,
        };
        tx.put(format!("{}{id}", keys::OUTBOX), &record);
        self.entries.push(Pending { id, record });
    }

    /// Queue a mail about `about` (its idempotency key is the entry's id).
    pub fn mail(&mut self, tx: &mut Tx, recipients: Vec<String>, about: About) {
        if !recipients.is_empty() {
            self.add(tx, Payload::Mail { recipients, about });
        }
    }

    /// Queue new bell counts: one push to every user listed.
    pub fn counts(&mut self, tx: &mut Tx, counts: Vec<UserCounts>) {
        let recipients = counts.iter().map(|c| c.user.clone()).collect();
        self.push(tx, recipients, Event::CountsChanged(counts));
    }

    /// Queue a notification.
    pub fn push(&mut self, tx: &mut Tx, recipients: Vec<String>, event: Event) {
        if !recipients.is_empty() {
            self.add(tx, Payload::Push { recipients, event });
        }
    }

    pub fn into_entries(self) -> Vec<Pending> {
        self.entries
    }
}

/// What a delivery round did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Batches of pending work applied.
    pub applied: u32,
    pub delivered: u32,
    pub deferred: u32,
    pub dead: u32,
    pub more: bool,
}

/// Entries whose outcome one commit records at most (each is a write, or two for a dead
/// letter, within the storage contract's 64).
const RECORDED_PER_COMMIT: usize = 30;

/// Hand entries to the host, recording the outcomes a commit per [`RECORDED_PER_COMMIT`]:
/// delivered entries are removed, temporarily failed ones keep their place with the error,
/// permanently refused ones move to the dead letters. If recording fails the entries stay
/// pending and are delivered again later under the same idempotency keys.
pub fn deliver(env: &Env, entries: Vec<Pending>) -> DeliveryReport {
    let mut report = DeliveryReport::default();
    let mut writes = Vec::new();
    let total = entries.len();
    for (i, Pending { id, mut record }) in entries.into_iter().enumerate() {
        let outcome = match &record.payload {
            Payload::Mail { recipients, about } => match render_mail(env, &id, recipients, about) {
                Ok(Ok(mail)) => env.delivery.send_mail(&mail),
                // What it is about is gone: it can never be sent.
                Ok(Err(gone)) => Err(DeliveryError::Rejected(gone)),
                // The store failed reading it: try again later.
                Err(e) => Err(DeliveryError::Unavailable(e.to_string())),
            },
            Payload::Rendered(mail) => env.delivery.send_mail(mail),
            Payload::Push { recipients, event } => env.delivery.push(&id, recipients, event),
        };
        let pending_key = format!("{}{id}", keys::OUTBOX);
        match outcome {
            Ok(()) => {
                report.delivered += 1;
                writes.push(Write {
                    key: pending_key,
                    value: None,
                });
            }
            Err(DeliveryError::Unavailable(e)) => {
                report.deferred += 1;
                record.attempts += 1;
                record.last_error = Some(e);
                writes.push(Write {
                    key: pending_key,
                    value: Some(tx::encode(&record)),
                });
            }
            Err(DeliveryError::Rejected(e)) => {
                report.dead += 1;
                record.attempts += 1;
                record.last_error = Some(e);
                writes.push(Write {
                    key: pending_key,
                    value: None,
                });
                writes.push(Write {
                    key: format!("{}{id}", keys::DEAD_LETTERS),
                    value: Some(tx::encode(&record)),
                });
            }
        }
        if (i + 1) % RECORDED_PER_COMMIT == 0 || i + 1 == total {
            // Best effort: a failure here only means the entries are delivered once more.
            let _ = env.store.commit(&[], &std::mem::take(&mut writes));
        }
    }
    report
}

/// The mail of an entry, rendered from the records it is about; the inner error says that a
/// record is gone (the entry can never be delivered), the outer one that reading failed.
fn render_mail(
    env: &Env,
    id: &str,
    recipients: &[String],
    about: &About,
) -> Result<std::result::Result<Mail, String>> {
    let (order_id, content) = match about {
        About::Message {
            order_id,
            order_number,
            seq,
        } => match super::messaging::load_message(env.store, order_id, *seq)? {
            Some(message) => (
                order_id,
                super::render::new_message_mail(order_number, &message),
            ),
            None => return Ok(Err(format!("message {seq} of {order_id:?} is gone"))),
        },
        About::Dispute {
            order_id,
            order_number,
            number,
            opened,
        } => match tx::read::<super::model::Dispute>(env.store, &keys::dispute(order_id, *number))?
        {
            Some(dispute) => (
                order_id,
                super::render::dispute_mail(order_number, &dispute, *opened),
            ),
            None => return Ok(Err(format!("dispute {number} of {order_id:?} is gone"))),
        },
    };
    Ok(Ok(Mail {
        recipients: recipients.to_vec(),
        order_id: order_id.clone(),
        subject: content.subject,
        text_body: content.text,
        html_body: content.html,
        idempotency_key: id.to_string(),
    }))
}

/// Deliver up to `limit` pending entries, oldest first.
pub fn deliver_pending(env: &Env, limit: u32) -> Result<DeliveryReport> {
    let (entries, more) = list(env, false, None, limit)?;
    let mut report = deliver(env, entries);
    report.more = more;
    Ok(report)
}

/// Whether `text` has the shape of an outbox entry's id (`{millis:013}/{anchor}/{n:03}`, see
/// [`OutboxWriter`]): what `list` accepts as a cursor.
pub fn is_entry_id(text: &str) -> bool {
    let bytes = text.as_bytes();
    let n = bytes.len();
    n > 18
        && bytes[..13].iter().all(u8::is_ascii_digit)
        && bytes[13] == b'/'
        && bytes[n - 4] == b'/'
        && bytes[n - 3..].iter().all(u8::is_ascii_digit)
        && !text.chars().any(char::is_control)
}

/// Pending entries (or dead letters) after `cursor` (an entry id), oldest first, and whether
/// more may follow.
pub fn list(
    env: &Env,
    dead: bool,
    cursor: Option<&str>,
    limit: u32,
) -> Result<(Vec<Pending>, bool)> {
    if cursor.is_some_and(|c| !is_entry_id(c)) {
        return Err(super::validate::bad_cursor());
    }
    let prefix = if dead {
        keys::DEAD_LETTERS
    } else {
        keys::OUTBOX
    };
    let start_after = cursor.map(|c| format!("{prefix}{c}"));
    let page = tx::scan(env.store, prefix, start_after.as_deref(), limit, false)?;
    let entries = page
        .entries
        .iter()
        .map(|e| {
            Ok(Pending {
                id: e.key[prefix.len()..].to_string(),
                record: tx::decode(e)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((entries, page.more))
}
