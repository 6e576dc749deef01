//! What the CLI prints with `--json`: serializable views of the addon's values (the generated
//! WIT types are not `Serialize`), one per output shape. Times are Unix milliseconds, as in the
//! WIT; roles are `customer`, `vendor` (with `vendor_id`) or `admin`.

use serde::Serialize;

use order_messages_host::types::*;
use order_messages_platform::Push;

/// A user as the directory resolves them.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ActorView {
    /// The user id.
    pub id: String,
    /// `customer`, `vendor` or `admin`.
    pub role: &'static str,
    /// The vendor, for a vendor's user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor_id: Option<String>,
    /// The display name.
    pub name: String,
}

impl From<&Actor> for ActorView {
    fn from(a: &Actor) -> Self {
        Self {
            id: a.id.clone(),
            role: a.role.name(),
            vendor_id: vendor_of(&a.role),
            name: a.display_name.clone(),
        }
    }
}

fn vendor_of(role: &Role) -> Option<String> {
    match role {
        Role::Vendor(v) => Some(v.clone()),
        _ => None,
    }
}

/// `text`, `dispute-opened` or `dispute-closed`.
pub fn kind_name(kind: MessageKind) -> &'static str {
    match kind {
        MessageKind::Text => "text",
        MessageKind::DisputeOpened => "dispute-opened",
        MessageKind::DisputeClosed => "dispute-closed",
    }
}

/// One message of a thread.
#[derive(Clone, Debug, Serialize)]
pub struct MessageView {
    /// The order.
    pub order_id: String,
    /// Position in the thread.
    pub seq: u64,
    /// `text`, `dispute-opened` or `dispute-closed`.
    pub kind: &'static str,
    /// The author's id.
    pub author_id: String,
    /// The author's display name.
    pub author_name: String,
    /// The author's role.
    pub author_role: &'static str,
    /// The author's vendor, for a vendor's user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author_vendor_id: Option<String>,
    /// The text.
    pub body: String,
    /// When it was posted.
    pub created_at: i64,
}

impl From<&Message> for MessageView {
    fn from(m: &Message) -> Self {
        Self {
            order_id: m.order_id.clone(),
            seq: m.seq,
            kind: kind_name(m.kind),
            author_id: m.author_id.clone(),
            author_name: m.author_name.clone(),
            author_role: m.author_role.name(),
            author_vendor_id: vendor_of(&m.author_role),
            body: m.body.clone(),
            created_at: m.created_at,
        }
    }
}

/// A page of a thread.
#[derive(Clone, Debug, Serialize)]
pub struct ThreadView {
    /// The order.
    pub order_id: String,
    /// The order's number.
    pub order_number: String,
    /// Messages in the whole thread.
    pub message_count: u64,
    /// Messages that were unread for the actor before this read.
    pub unread_count: u32,
    /// The highest seq the actor had read before this read.
    pub read_up_to: u64,
    /// Whether a dispute is open.
    pub dispute_open: bool,
    /// The messages of this page.
    pub messages: Vec<MessageView>,
    /// The cursor of the next page, if any.
    pub next_cursor: Option<String>,
}

impl From<&ThreadPage> for ThreadView {
    fn from(p: &ThreadPage) -> Self {
        Self {
            order_id: p.order_id.clone(),
            order_number: p.order_number.clone(),
            message_count: p.message_count,
            unread_count: p.unread_count,
            read_up_to: p.read_up_to,
            dispute_open: p.dispute_open,
            messages: p.messages.iter().map(MessageView::from).collect(),
            next_cursor: p.next_cursor.clone(),
        }
    }
}

/// The latest message of a thread, as the inbox shows it.
#[derive(Clone, Debug, Serialize)]
pub struct LatestView {
    /// Its seq.
    pub seq: u64,
    /// Its kind.
    pub kind: &'static str,
    /// The author's display name.
    pub author_name: String,
    /// The author's role.
    pub author_role: &'static str,
    /// The start of the text, one line.
    pub excerpt: String,
    /// When it was posted.
    pub created_at: i64,
}

/// One row of the inbox.
#[derive(Clone, Debug, Serialize)]
pub struct ThreadRowView {
    /// The order.
    pub order_id: String,
    /// The order's number.
    pub order_number: String,
    /// The latest message.
    pub latest: LatestView,
    /// Messages in the thread.
    pub message_count: u64,
    /// Whether the thread is unread for the actor.
    pub unread: bool,
    /// Unread messages.
    pub unread_count: u32,
    /// Whether a dispute is open.
    pub dispute_open: bool,
}

impl From<&ThreadRow> for ThreadRowView {
    fn from(r: &ThreadRow) -> Self {
        Self {
            order_id: r.order_id.clone(),
            order_number: r.order_number.clone(),
            latest: LatestView {
                seq: r.latest.seq,
                kind: kind_name(r.latest.kind),
                author_name: r.latest.author_name.clone(),
                author_role: r.latest.author_role.name(),
                excerpt: r.latest.excerpt.clone(),
                created_at: r.latest.created_at,
            },
            message_count: r.message_count,
            unread: r.unread,
            unread_count: r.unread_count,
            dispute_open: r.dispute_open,
        }
    }
}

/// A page of the inbox.
#[derive(Clone, Debug, Serialize)]
pub struct InboxView {
    /// Who looked.
    pub actor: ActorView,
    /// The rows.
    pub rows: Vec<ThreadRowView>,
    /// The cursor of the next page, if any.
    pub next_cursor: Option<String>,
}

/// Bell counts.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
pub struct BellView {
    /// Threads with unread messages.
    pub unread_threads: u32,
    /// Open disputes the user reaches.
    pub open_disputes: u32,
}

impl From<&BellCounts> for BellView {
    fn from(c: &BellCounts) -> Self {
        Self {
            unread_threads: c.unread_threads,
            open_disputes: c.open_disputes,
        }
    }
}

/// Who did something in a dispute.
#[derive(Clone, Debug, Serialize)]
pub struct PartyView {
    /// The user id.
    pub id: String,
    /// The display name.
    pub name: String,
    /// The role.
    pub role: &'static str,
}

impl From<&Party> for PartyView {
    fn from(p: &Party) -> Self {
        Self {
            id: p.id.clone(),
            name: p.name.clone(),
            role: p.role.name(),
        }
    }
}

/// How a dispute was closed.
#[derive(Clone, Debug, Serialize)]
pub struct ClosureView {
    /// Who closed it.
    pub by: PartyView,
    /// The resolution note (may be empty).
    pub resolution: String,
    /// When.
    pub at: i64,
}

/// One dispute.
#[derive(Clone, Debug, Serialize)]
pub struct DisputeView {
    /// The order.
    pub order_id: String,
    /// The dispute's number within the order.
    pub number: u32,
    /// Who opened it.
    pub opened_by: PartyView,
    /// Why.
    pub reason: String,
    /// When.
    pub opened_at: i64,
    /// How it was closed; absent while open.
    pub closed: Option<ClosureView>,
}

impl From<&Dispute> for DisputeView {
    fn from(d: &Dispute) -> Self {
        Self {
            order_id: d.order_id.clone(),
            number: d.number,
            opened_by: PartyView::from(&d.opened_by),
            reason: d.reason.clone(),
            opened_at: d.opened_at,
            closed: d.closed.as_ref().map(|c| ClosureView {
                by: PartyView::from(&c.by),
                resolution: c.resolution.clone(),
                at: c.at,
            }),
        }
    }
}

/// `mail` or `notification`.
pub fn outbox_kind_name(kind: OutboxKind) -> &'static str {
    match kind {
        OutboxKind::Mail => "mail",
        OutboxKind::Notification => "notification",
    }
}

/// An undelivered outbox entry.
#[derive(Clone, Debug, Serialize)]
pub struct OutboxEntryView {
    /// Its idempotency key.
    pub key: String,
    /// `mail` or `notification`.
    pub kind: &'static str,
    /// The order.
    pub order_id: String,
    /// The users it goes to.
    pub recipients: Vec<String>,
    /// A one-line description (a mail's subject).
    pub summary: String,
    /// Delivery attempts so far.
    pub attempts: u32,
    /// The last delivery error.
    pub last_error: Option<String>,
    /// When it was written.
    pub created_at: i64,
}

impl From<&OutboxEntry> for OutboxEntryView {
    fn from(e: &OutboxEntry) -> Self {
        Self {
            key: e.key.clone(),
            kind: outbox_kind_name(e.kind),
            order_id: e.order_id.clone(),
            recipients: e.recipients.clone(),
            summary: e.summary.clone(),
            attempts: e.attempts,
            last_error: e.last_error.clone(),
            created_at: e.created_at,
        }
    }
}

/// A mail the addon handed to the host.
#[derive(Clone, Debug, Serialize)]
pub struct MailView {
    /// Its idempotency key.
    pub key: String,
    /// The order.
    pub order_id: String,
    /// The recipients' user ids.
    pub recipients: Vec<String>,
    /// The subject.
    pub subject: String,
}

impl From<&Mail> for MailView {
    fn from(m: &Mail) -> Self {
        Self {
            key: m.idempotency_key.clone(),
            order_id: m.order_id.clone(),
            recipients: m.recipients.clone(),
            subject: m.subject.clone(),
        }
    }
}

/// The names [`event_name`] gives.
pub const EVENT_NAMES: [&str; 4] = [
    "new-message",
    "dispute-opened",
    "dispute-closed",
    "counts-changed",
];

/// `new-message`, `dispute-opened`, `dispute-closed` or `counts-changed`.
pub fn event_name(event: &Event) -> &'static str {
    match event {
        Event::NewMessage(_) => "new-message",
        Event::DisputeOpened(_) => "dispute-opened",
        Event::DisputeClosed(_) => "dispute-closed",
        Event::CountsChanged(_) => "counts-changed",
    }
}

/// A notification the addon pushed.
#[derive(Clone, Debug, Serialize)]
pub struct PushView {
    /// Its idempotency key.
    pub key: String,
    /// The recipients' user ids.
    pub recipients: Vec<String>,
    /// The event's name.
    pub event: &'static str,
    /// A one-line description of the event.
    pub summary: String,
}

impl From<&Push> for PushView {
    fn from(p: &Push) -> Self {
        Self {
            key: p.key.clone(),
            recipients: p.recipients.clone(),
            event: event_name(&p.event),
            summary: super::report::event(&p.event),
        }
    }
}

/// What one command handed to the mail and notification imports.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DeliveriesView {
    /// Mails sent.
    pub mails: Vec<MailView>,
    /// Notifications pushed.
    pub notifications: Vec<PushView>,
}

impl DeliveriesView {
    /// Whether nothing was delivered.
    pub fn is_empty(&self) -> bool {
        self.mails.is_empty() && self.notifications.is_empty()
    }
}

/// One disagreement `verify` found.
#[derive(Clone, Debug, Serialize)]
pub struct ProblemView {
    /// The key concerned.
    pub key: String,
    /// What is wrong.
    pub detail: String,
}

/// A refusal as JSON: `{"kind": "invalid-input", "message": "…", "field": "body"}` (`field`
/// only for `invalid-input`).
pub fn error_view(error: &Error) -> serde_json::Value {
    match error {
        Error::InvalidInput(i) => serde_json::json!({
            "kind": error.kind(),
            "message": format!("{}: {}", i.field, i.reason),
            "field": i.field,
        }),
        Error::NotFound(m)
        | Error::Forbidden(m)
        | Error::InvalidState(m)
        | Error::Conflict(m)
        | Error::Storage(m)
        | Error::Directory(m) => serde_json::json!({ "kind": error.kind(), "message": m }),
    }
}
