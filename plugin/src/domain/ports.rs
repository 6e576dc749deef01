//! What the domain needs from its host: storage, the order directory, delivery of mail and
//! notifications, and a clock. The component implements these over its WIT imports; a native
//! host (benchmarks, unit tests) can implement them directly.

use super::model::{Order, Settings, Timestamp};
use super::outbox::{Event, Mail};

/// A stored key with its value and version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub value: Vec<u8>,
    pub version: u64,
}

/// A commit condition: `version` = `None` means the key must be absent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub key: String,
    pub version: Option<u64>,
}

/// One write of a commit: `value` = `None` deletes the key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Write {
    pub key: String,
    pub value: Option<Vec<u8>>,
}

/// A page of a scan: entries in the scan direction, and whether more may follow the last one
/// (a store may return short pages, even empty ones, while `more` is set).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Page {
    pub entries: Vec<Entry>,
    pub more: bool,
}

/// Why a storage call failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreError {
    Conflict(String),
    Unavailable(String),
    Failed(String),
    /// Not the host's: the call's [`schema::Guard`](super::schema::Guard) found data of this
    /// other schema version (newer, or older and not migrated), which this call must not touch.
    OtherSchema(u32),
}

/// The ordered, versioned key-value store (see `wit/*/storage.wit` for exact semantics).
pub trait Store {
    fn get(&self, key: &str) -> Result<Option<Entry>, StoreError>;
    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Entry>>, StoreError>;
    fn scan(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        limit: u32,
        reverse: bool,
    ) -> Result<Page, StoreError>;
    fn commit(&self, checks: &[Check], writes: &[Write]) -> Result<(), StoreError>;
}

/// The host's order directory and settings. Errors are the host's messages.
pub trait Directory {
    fn order(&self, id: &str) -> Result<Option<Order>, String>;
    fn staff_users(&self) -> Result<Vec<String>, String>;
    fn vendor_users(&self, vendor_id: &str) -> Result<Vec<String>, String>;
    fn settings(&self) -> Result<Settings, String>;
}

/// Why the host could not deliver a mail or notification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeliveryError {
    /// Temporary: keep it in the outbox and retry later.
    Unavailable(String),
    /// Permanent: stop retrying.
    Rejected(String),
}

/// Delivery of outbox entries to the host's mail and notification services.
pub trait Delivery {
    fn send_mail(&self, mail: &Mail) -> Result<(), DeliveryError>;
    fn push(&self, key: &str, recipients: &[String], event: &Event) -> Result<(), DeliveryError>;
}

/// The wall clock.
pub trait Clock {
    fn now(&self) -> Timestamp;
}

/// Everything an operation runs against. `store` should be the host's store wrapped in a
/// [`schema::Guard`](super::schema::Guard) made for this call.
pub struct Env<'a> {
    pub store: &'a dyn Store,
    pub directory: &'a dyn Directory,
    pub delivery: &'a dyn Delivery,
    pub clock: &'a dyn Clock,
}
