//! The host's imports, presented to the domain as its ports.

use super::storefront::order_messages::{directory, mail, notifications, storage};
use super::wasi::clocks::wall_clock;
use crate::domain::model::{Order, Settings, Timestamp};
use crate::domain::outbox::{Event, Mail};
use crate::domain::ports::{
    Check, Clock, Delivery, DeliveryError, Directory, Entry, Page, Store, StoreError, Write,
};

pub struct HostStore;
pub struct HostDirectory;
pub struct HostDelivery;
pub struct WallClock;

impl Store for HostStore {
    fn get(&self, key: &str) -> Result<Option<Entry>, StoreError> {
        storage::get(key)
            .map(|e| e.map(Into::into))
            .map_err(Into::into)
    }

    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Entry>>, StoreError> {
        let entries = storage::get_many(keys).map_err(StoreError::from)?;
        if entries.len() != keys.len() {
            return Err(StoreError::Failed(format!(
                "get-many returned {} entries for {} keys",
                entries.len(),
                keys.len()
            )));
        }
        Ok(entries.into_iter().map(|e| e.map(Into::into)).collect())
    }

    fn scan(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        limit: u32,
        reverse: bool,
    ) -> Result<Page, StoreError> {
        storage::scan(prefix, start_after, limit, reverse)
            .map(Into::into)
            .map_err(Into::into)
    }

    fn commit(&self, checks: &[Check], writes: &[Write]) -> Result<(), StoreError> {
        let checks: Vec<storage::Check> = checks.iter().map(Into::into).collect();
        let writes: Vec<storage::Write> = writes.iter().map(Into::into).collect();
        storage::commit(&checks, &writes).map_err(Into::into)
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
        mail::send(&m.into()).map_err(Into::into)
    }

    fn push(&self, key: &str, recipients: &[String], event: &Event) -> Result<(), DeliveryError> {
        notifications::push(key, recipients, &event.clone().into()).map_err(Into::into)
    }
}

impl Clock for WallClock {
    /// WASI's wall clock (`wasi:clocks/wall-clock@0.2.0`, the one WASI import of the world),
    /// which the host may pin. Any reading is returned (saturated to the type's range), never a
    /// panic: the domain refuses one it cannot record.
    fn now(&self) -> Timestamp {
        let now = wall_clock::now();
        let millis = u128::from(now.seconds) * 1000 + u128::from(now.nanoseconds / 1_000_000);
        Timestamp::try_from(millis).unwrap_or(Timestamp::MAX)
    }
}
