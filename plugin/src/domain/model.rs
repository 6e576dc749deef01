//! The addon's vocabulary, independent of the WIT bindings so that the domain builds natively.

use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch, UTC.
pub type Timestamp = i64;

/// The part a user plays in the store.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Customer,
    Vendor(String),
    Admin,
}

impl Role {
    /// The label people read in mails and system messages.
    pub fn label(&self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Vendor(_) => "vendor",
            Role::Admin => "staff",
        }
    }
}

/// The user on whose behalf an operation runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub id: String,
    pub role: Role,
    pub display_name: String,
}

/// An order as the host's directory describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Order {
    pub id: String,
    pub number: String,
    pub customer_id: String,
    pub customer_name: String,
    pub vendor_id: Option<String>,
    pub vendor_name: Option<String>,
    pub status: String,
}

/// How vendors take part in order conversations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    SeparateShops,
    Warehouse,
}

/// Limits the addon enforces (already clamped to the addon's ceilings).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub max_body_chars: u32,
    pub max_reason_chars: u32,
    pub max_page_size: u32,
    pub max_order_ids: u32,
}

impl Limits {
    /// The addon's own ceilings; host settings above them are lowered to them.
    pub const CEILING: Limits = Limits {
        max_body_chars: 100_000,
        max_reason_chars: 10_000,
        max_page_size: 500,
        max_order_ids: 1_000,
    };

    /// Lower every limit to its ceiling (and raise zero to one).
    pub fn clamped(self) -> Limits {
        let clamp = |v: u32, max: u32| v.clamp(1, max);
        Limits {
            max_body_chars: clamp(self.max_body_chars, Self::CEILING.max_body_chars),
            max_reason_chars: clamp(self.max_reason_chars, Self::CEILING.max_reason_chars),
            max_page_size: clamp(self.max_page_size, Self::CEILING.max_page_size),
            max_order_ids: clamp(self.max_order_ids, Self::CEILING.max_order_ids),
        }
    }
}

/// The addon's configuration in this store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    pub mode: Mode,
    pub limits: Limits,
    pub delivery: DeliveryMode,
}

/// When the work that follows a change runs (see `wit/*/directory.wit`, `delivery`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryMode {
    /// The call applies its pending work and delivers, right after its commit.
    Inline,
    /// The host runs `deliver-pending`.
    HostDrains,
}

/// What kind of entry a message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    Text,
    DisputeOpened,
    DisputeClosed,
}

/// One immutable message of a thread (also its stored form).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub order_id: String,
    pub seq: u64,
    pub kind: MessageKind,
    pub author_id: String,
    pub author_name: String,
    pub author_role: Role,
    pub body: String,
    pub created_at: Timestamp,
}

/// The two bell counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BellCounts {
    pub unread_threads: u32,
    pub open_disputes: u32,
}

/// Who did something, as recorded at the time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    pub id: String,
    pub name: String,
    pub role: Role,
}

impl From<&Actor> for Party {
    fn from(actor: &Actor) -> Self {
        Party {
            id: actor.id.clone(),
            name: actor.display_name.clone(),
            role: actor.role.clone(),
        }
    }
}

/// How a dispute was closed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closure {
    pub by: Party,
    pub resolution: String,
    pub at: Timestamp,
}

/// One dispute of an order (also its stored form).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dispute {
    pub order_id: String,
    pub number: u32,
    pub opened_by: Party,
    pub reason: String,
    pub opened_at: Timestamp,
    pub closed: Option<Closure>,
}
