//! The contract's types (of its newest version, `0.2.0-draft`) under short names, with small
//! constructors that make host code read well.
//!
//! Names follow the WIT; where two interfaces use the same name, the import's type gets a
//! prefix: [`Mail`] (mail `message`), [`MailError`], [`NotifyError`], [`StorageError`].

use crate::bindings::v0_2_0::exports::storefront::order_messages as exports;
use crate::bindings::v0_2_0::storefront::order_messages as imports;

pub use exports::disputes::{Closure, Dispute, Party};
pub use exports::inbox::{
    BulkResult, Filter, LatestMessage, ListPage, ListRequest, Query, Sort, ThreadRow,
};
pub use exports::maintenance::{
    DeliveryReport, MigrateReport, OutboxEntry, OutboxKind, Problem, VerifyReport,
};
pub use exports::messaging::{Direction, PostRequest, ThreadPage, ThreadRequest};
pub use exports::order_filter::{MessageFilter, OrderPage};
pub use imports::directory::{Delivery, Limits, MultivendorMode, Order, Settings};
pub use imports::mail::{Error as MailError, Message as Mail};
pub use imports::notifications::{
    DisputeChange, Error as NotifyError, Event, NewMessage, UserCounts,
};
pub use imports::storage::{Check, Entry, Error as StorageError, Put, ScanPage, Write};
pub use imports::types::{
    Actor, BellCounts, Error, InvalidInput, Message, MessageKind, OrderId, Role, Timestamp, UserId,
    VendorId,
};
impl Actor {
    /// A customer.
    pub fn customer(id: impl Into<String>, display_name: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            role: Role::Customer,
            display_name: display_name.into(),
        }
    }

    /// A user of the vendor `vendor_id`.
    pub fn vendor(
        id: impl Into<String>,
        vendor_id: impl Into<String>,
        display_name: impl Into<String>,
    ) -> Self {
        Self {
            id: id.into(),
            role: Role::Vendor(vendor_id.into()),
            display_name: display_name.into(),
        }
    }

    /// A staff member (role `admin`).
    pub fn admin(id: impl Into<String>, display_name: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            role: Role::Admin,
            display_name: display_name.into(),
        }
    }
}

impl Role {
    /// `customer`, `vendor` or `admin`.
    pub fn name(&self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Vendor(_) => "vendor",
            Role::Admin => "admin",
        }
    }
}

impl Error {
    /// The case's WIT name, e.g. `not-found`.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::NotFound(_) => "not-found",
            Error::Forbidden(_) => "forbidden",
            Error::InvalidInput(_) => "invalid-input",
            Error::InvalidState(_) => "invalid-state",
            Error::Conflict(_) => "conflict",
            Error::Storage(_) => "storage",
            Error::Directory(_) => "directory",
        }
    }

    /// `kind: message`, e.g. `invalid-input: body: is empty`. (The generated `Display`, which
    /// also makes `?` into `anyhow` work, prints the `Debug` form.)
    pub fn describe(&self) -> String {
        match self {
            Error::NotFound(m)
            | Error::Forbidden(m)
            | Error::InvalidState(m)
            | Error::Conflict(m)
            | Error::Storage(m)
            | Error::Directory(m) => format!("{}: {m}", self.kind()),
            Error::InvalidInput(i) => format!("invalid-input: {}: {}", i.field, i.reason),
        }
    }
}

impl Default for Limits {
    /// Modest defaults for a store that sets none: bodies of 10,000 characters, reasons of
    /// 2,000, pages of 100, 1,000 order ids per call.
    fn default() -> Self {
        Self {
            max_body_chars: 10_000,
            max_reason_chars: 2_000,
            max_page_size: 100,
            max_order_ids: 1_000,
        }
    }
}

impl Default for Settings {
    /// Separate shops, default limits, inline delivery.
    fn default() -> Self {
        Self {
            mode: MultivendorMode::SeparateShops,
            limits: Limits::default(),
            delivery: Delivery::Inline,
        }
    }
}

impl Order {
    /// An order without a vendor, status `processing`.
    pub fn new(
        id: impl Into<String>,
        number: impl Into<String>,
        customer_id: impl Into<String>,
        customer_name: impl Into<String>,
    ) -> Self {
        Self {
            id: id.into(),
            number: number.into(),
            customer_id: customer_id.into(),
            customer_name: customer_name.into(),
            vendor_id: None,
            vendor_name: None,
            status: "processing".into(),
        }
    }

    /// The same order fulfilled by a vendor.
    pub fn with_vendor(mut self, vendor_id: impl Into<String>, name: impl Into<String>) -> Self {
        self.vendor_id = Some(vendor_id.into());
        self.vendor_name = Some(name.into());
        self
    }

    /// The same order with another status.
    pub fn with_status(mut self, status: impl Into<String>) -> Self {
        self.status = status.into();
        self
    }
}

impl PostRequest {
    /// A post of `body` into the thread of `order_id`, without an idempotency key.
    pub fn new(order_id: impl Into<String>, body: impl Into<String>) -> Self {
        Self {
            order_id: order_id.into(),
            body: body.into(),
            idempotency_key: None,
        }
    }

    /// The same post with an idempotency key.
    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }
}

impl ThreadRequest {
    /// The first page (oldest first, up to 100 messages) of the thread of `order_id`, without
    /// marking it read.
    pub fn new(order_id: impl Into<String>) -> Self {
        Self {
            order_id: order_id.into(),
            direction: Direction::OldestFirst,
            cursor: None,
            limit: 100,
            mark_read: false,
        }
    }

    /// Newest message first.
    pub fn newest_first(mut self) -> Self {
        self.direction = Direction::NewestFirst;
        self
    }

    /// At most `limit` messages.
    pub fn with_limit(mut self, limit: u32) -> Self {
        self.limit = limit;
        self
    }

    /// The page after `cursor`.
    pub fn with_cursor(mut self, cursor: Option<String>) -> Self {
        self.cursor = cursor;
        self
    }

    /// Mark the thread read, as opening it does.
    pub fn marking_read(mut self) -> Self {
        self.mark_read = true;
        self
    }
}

impl Query {
    /// Every thread, no search.
    pub fn all() -> Self {
        Self {
            filter: Filter::All,
            search: String::new(),
        }
    }

    /// Unread threads, no search.
    pub fn unread() -> Self {
        Self {
            filter: Filter::Unread,
            search: String::new(),
        }
    }

    /// Threads with an open dispute, no search.
    pub fn open_disputes() -> Self {
        Self {
            filter: Filter::OpenDisputes,
            search: String::new(),
        }
    }

    /// The same query with a search.
    pub fn with_search(mut self, search: impl Into<String>) -> Self {
        self.search = search.into();
        self
    }
}

impl ListRequest {
    /// The first page of `query`, newest activity first, at most `limit` rows.
    pub fn new(query: Query, limit: u32) -> Self {
        Self {
            query,
            sort: Sort::NewestFirst,
            cursor: None,
            limit,
        }
    }

    /// Unread threads first.
    pub fn unread_first(mut self) -> Self {
        self.sort = Sort::UnreadFirst;
        self
    }

    /// The page after `cursor`.
    pub fn with_cursor(mut self, cursor: Option<String>) -> Self {
        self.cursor = cursor;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_display_their_kind_and_message() {
        let e = Error::InvalidInput(InvalidInput {
            field: "body".into(),
            reason: "is empty".into(),
        });
        assert_eq!(e.describe(), "invalid-input: body: is empty");
        assert_eq!(
            Error::NotFound("no order".into()).describe(),
            "not-found: no order"
        );
    }

    #[test]
    fn constructors() {
        let a = Actor::vendor("u1", "v1", "Anna");
        assert_eq!(a.role, Role::Vendor("v1".into()));
        assert_eq!(a.role.name(), "vendor");
        let r = ListRequest::new(Query::unread().with_search("late"), 20).unread_first();
        assert_eq!(r.query.filter, Filter::Unread);
        assert_eq!(r.sort, Sort::UnreadFirst);
        assert_eq!(Settings::default().limits.max_page_size, 100);
    }
}
