//! The host's imports, presented to the domain as its ports.

use super::storefront::order_messages::{directory, mail, notifications, storage};
use crate::domain::model::{Order, Settings, Timestamp};
use crate::domain::outbox::{Event, Mail};
use crate::domain::ports::{
    Check, Clock, Delivery, DeliveryError, Directory, Entry, Store, StoreError, Write,
};

pub struct HostStore;
pub struct HostDirectory;
pub struct HostDelivery;
pub struct WallClock;

fn store_error(e: storage::Error) -> StoreError {
    match e {
        storage::Error::Conflict(key) => StoreError::Conflict(key),
        storage::Error::Unavailable(m) => StoreError::Unavailable(m),
        storage::Error::Failed(m) => StoreError::Failed(m),
    }
}

fn entry(e: storage::Entry) -> Entry {
    Entry {
        key: e.key,
        value: e.value,
        version: e.version,
    }
}

impl Store for HostStore {
    fn get(&self, key: &str) -> Result<Option<Entry>, StoreError> {
        storage::get(key).map(|e| e.map(entry)).map_err(store_error)
    }

    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Entry>>, StoreError> {
        let entries = storage::get_many(keys).map_err(store_error)?;
        if entries.len() != keys.len() {
            return Err(StoreError::Failed(format!(
                "get-many returned {} entries for {} keys",
                entries.len(),
                keys.len()
            )));
        }
        Ok(entries.into_iter().map(|e| e.map(entry)).collect())
    }

    fn scan(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        limit: u32,
        reverse: bool,
    ) -> Result<Vec<Entry>, StoreError> {
        storage::scan(prefix, start_after, limit, reverse)
            .map(|entries| entries.into_iter().map(entry).collect())
            .map_err(store_error)
    }

    fn commit(&self, checks: &[Check], writes: &[Write]) -> Result<(), StoreError> {
        let checks: Vec<storage::Check> = checks
            .iter()
            .map(|c| storage::Check {
                key: c.key.clone(),
                version: c.version,
            })
            .collect();
        let writes: Vec<storage::Write> = writes
            .iter()
            .map(|w| match &w.value {
                Some(value) => storage::Write::Put(storage::Put {
                    key: w.key.clone(),
                    value: value.clone(),
                }),
                None => storage::Write::Delete(w.key.clone()),
            })
            .collect();
        storage::commit(&checks, &writes).map_err(store_error)
    }
}

impl Directory for HostDirectory {
    fn order(&self, id: &str) -> Result<Option<Order>, String> {
        directory::get_order(id).map(|o| o.map(Into::into))
    }

    fn staff_users(&self) -> Result<Vec<String>, String> {
        directory::staff_users()
    }

    fn vendor_users(&self, vendor_id: &str) -> Result<Vec<String>, String> {
        directory::vendor_users(vendor_id)
    }

    fn settings(&self) -> Result<Settings, String> {
        directory::get_settings().map(Into::into)
    }
}

impl Delivery for HostDelivery {
    fn send_mail(&self, m: &Mail) -> Result<(), DeliveryError> {
        let message = mail::Message {
            recipients: m.recipients.clone(),
            order_id: m.order_id.clone(),
            subject: m.subject.clone(),
            text_body: m.text_body.clone(),
            html_body: m.html_body.clone(),
            idempotency_key: m.idempotency_key.clone(),
        };
        mail::send(&message).map_err(|e| match e {
            mail::Error::Unavailable(m) => DeliveryError::Unavailable(m),
            mail::Error::Rejected(m) => DeliveryError::Rejected(m),
        })
    }

    fn push(&self, key: &str, recipients: &[String], event: &Event) -> Result<(), DeliveryError> {
        notifications::push(key, recipients, &event.clone().into()).map_err(|e| match e {
            notifications::Error::Unavailable(m) => DeliveryError::Unavailable(m),
            notifications::Error::Rejected(m) => DeliveryError::Rejected(m),
        })
    }
}

impl Clock for WallClock {
    /// WASI's wall clock, which the host may pin. Any reading is returned (saturated to the
    /// type's range), never a panic: the domain refuses one it cannot record.
    fn now(&self) -> Timestamp {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(-1, |d| {
                Timestamp::try_from(d.as_millis()).unwrap_or(Timestamp::MAX)
            })
    }
}
