//! The addon's import traits, implemented on the per-store state by forwarding to the shared
//! [`Host`](super::Host).

use crate::bindings::storefront::order_messages::{
    directory, mail, notifications, storage, types as wit_types,
};
use crate::host::Push;
use crate::runtime::StoreState;
use crate::types::{
    Check, Entry, Event, Mail, MailError, NotifyError, Order, Settings, StorageError, Write,
};

impl StoreState {
    /// Trap the guest here if a test armed [`Host::traps`](crate::Host::traps).
    fn injected_trap(&self) -> wasmtime::Result<()> {
        if self.host.traps.trip() {
            wasmtime::bail!("injected trap in a storage call");
        }
        Ok(())
    }
}

impl storage::Host for StoreState {
    fn get(&mut self, key: String) -> wasmtime::Result<Result<Option<Entry>, StorageError>> {
        self.injected_trap()?;
        Ok(self.host.storage.get(&key))
    }

    fn get_many(
        &mut self,
        keys: Vec<String>,
    ) -> wasmtime::Result<Result<Vec<Option<Entry>>, StorageError>> {
        self.injected_trap()?;
        Ok(self.host.storage.get_many(&keys))
    }

    fn scan(
        &mut self,
        prefix: String,
        start_after: Option<String>,
        limit: u32,
        reverse: bool,
    ) -> wasmtime::Result<Result<Vec<Entry>, StorageError>> {
        self.injected_trap()?;
        Ok(self
            .host
            .storage
            .scan(&prefix, start_after.as_deref(), limit, reverse))
    }

    fn commit(
        &mut self,
        checks: Vec<Check>,
        writes: Vec<Write>,
    ) -> wasmtime::Result<Result<(), StorageError>> {
        self.injected_trap()?;
        Ok(self.host.storage.commit(&checks, &writes))
    }
}

impl wit_types::Host for StoreState {}

impl mail::Host for StoreState {
    fn send(&mut self, message: Mail) -> Result<(), MailError> {
        self.host.mail.send(message)
    }
}

impl notifications::Host for StoreState {
    fn push(
        &mut self,
        idempotency_key: String,
        recipients: Vec<String>,
        event: Event,
    ) -> Result<(), NotifyError> {
        self.host.notifications.push(Push {
            key: idempotency_key,
            recipients,
            event,
        })
    }
}

impl directory::Host for StoreState {
    fn get_order(&mut self, id: String) -> Result<Option<Order>, String> {
        let directory = &self.host.directory;
        directory.injected()?;
        Ok(directory.order(&id))
    }

    fn staff_users(&mut self) -> Result<Vec<String>, String> {
        let directory = &self.host.directory;
        directory.injected()?;
        Ok(directory.staff())
    }

    fn vendor_users(&mut self, vendor: String) -> Result<Vec<String>, String> {
        let directory = &self.host.directory;
        directory.injected()?;
        Ok(directory.vendor_users(&vendor))
    }

    fn get_settings(&mut self) -> Result<Settings, String> {
        let directory = &self.host.directory;
        directory.injected()?;
        Ok(directory.settings())
    }
}
