//! The transactional outbox: mail and notifications are written in the same commit as the
//! change that causes them, delivered right after it, and retried by `deliver-pending` until
//! the host accepts or permanently refuses them.

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

/// What an outbox entry delivers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Payload {
    Mail(Mail),
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
            Payload::Mail(m) => &m.recipients,
            Payload::Push { recipients, .. } => recipients,
        }
    }

    /// A one-line description for listings.
    pub fn summary(&self) -> String {
        super::render::one_line(&self.describe(), 200)
    }

    fn describe(&self) -> String {
        match &self.payload {
            Payload::Mail(m) => m.subject.clone(),
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
    entries: Vec<Pending>,
}

impl OutboxWriter {
    pub fn new(at: Timestamp, anchor: &str, order_id: &str) -> Self {
        OutboxWriter {
            prefix: format!("{:013}/{anchor}", at.max(0)),
            order_id: order_id.to_string(),
            at,
            entries: Vec::new(),
        }
    }

    fn add(&mut self, tx: &mut Tx, payload: impl FnOnce(String) -> Payload) {
        let id = format!("{}/{:03}", self.prefix, self.entries.len());
        debug_assert!(is_entry_id(&id), "{id}");
        let record = OutboxRecord {
            order_id: self.order_id.clone(),
            created_at: self.at,
            attempts: 0,
            last_error: None,
            payload: payload(id.clone()),
        };
        tx.put(format!("{}{id}", keys::OUTBOX), &record);
        self.entries.push(Pending { id, record });
    }

    /// Queue a mail; its idempotency key is the entry's id.
    pub fn mail(
        &mut self,
        tx: &mut Tx,
        recipients: Vec<String>,
        content: super::render::MailContent,
    ) {
        if recipients.is_empty() {
            return;
        }
        let order_id = self.order_id.clone();
        self.add(tx, |id| {
            Payload::Mail(Mail {
                recipients,
                order_id,
                subject: content.subject,
                text_body: content.text,
                html_body: content.html,
                idempotency_key: id,
            })
        });
    }

    /// Queue new bell counts: one push to every user listed.
    pub fn counts(&mut self, tx: &mut Tx, counts: Vec<UserCounts>) {
        let recipients = counts.iter().map(|c| c.user.clone()).collect();
        self.push(tx, recipients, Event::CountsChanged(counts));
    }

    /// Queue a notification.
    pub fn push(&mut self, tx: &mut Tx, recipients: Vec<String>, event: Event) {
        if recipients.is_empty() {
            return;
        }
        self.add(tx, |_| Payload::Push { recipients, event });
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

/// Hand entries to the host, then record the outcome in one commit: delivered entries are
/// removed, temporarily failed ones keep their place with the error, permanently refused
/// ones move to the dead letters. If recording fails the entries stay pending and are
/// delivered again later under the same idempotency keys.
pub fn deliver(env: &Env, entries: Vec<Pending>) -> DeliveryReport {
    let mut report = DeliveryReport::default();
    let mut writes = Vec::with_capacity(entries.len());
    for Pending { id, mut record } in entries {
        let outcome = match &record.payload {
            Payload::Mail(mail) => env.delivery.send_mail(mail),
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
    }
    if !writes.is_empty() {
        // Best effort: a failure here only means the entries are delivered once more.
        let _ = env.store.commit(&[], &writes);
    }
    report
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
