//! What the addon imports from its host, as four traits a platform implements on its own
//! services, and [`add_to_linker`], which links them for every contract version.
//!
//! The platform's per-instance state implements [`AddonView`]: a view of its services as
//! [`Imports`], in the way wasmtime's WASI crates take a `WasiView`. The traits take `&self`:
//! storage pools, mailers and directories are shared handles in a real platform.
//!
//! The semantics each implementation must keep are the contract's (`wit/*/storage.wit`,
//! `mail.wit`, `notifications.wit`, `directory.wit`); a storage backend can check itself with
//! the suite in `conformance` (feature `conformance`).

use wasmtime::component::{HasData, Linker};

use crate::bindings::{v0_1_0, v0_2_0};
use crate::types::{
    Check, Entry, Event, Mail, MailError, NotifyError, Order, ScanPage, Settings, StorageError,
    Write,
};

/// The `storage` import: an ordered key-value store with versions.
///
/// Every `commit` must be atomic, its checks evaluated against the latest committed state, and
/// every write must give the key a version it never had, deletes included; versions are never
/// 0. Keys compare as bytes. (Components of contract 0.1.0 also need versions to grow: the
/// memory and SQLite stores here give them a global counter.)
pub trait Storage: Send + Sync {
    /// Reads one key.
    fn get(&self, key: &str) -> Result<Option<Entry>, StorageError>;

    /// Reads several keys; one element per key, in order. The default reads them one by one.
    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Entry>>, StorageError> {
        keys.iter().map(|k| self.get(k)).collect()
    }

    /// Entries whose key starts with `prefix` (literally), in key order (descending when
    /// `reverse`), strictly after `start_after` in the scan direction, at most `limit` of them,
    /// and whether more may follow (a page may be short while `more` is set).
    fn scan(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        limit: u32,
        reverse: bool,
    ) -> Result<ScanPage, StorageError>;

    /// Applies `writes` atomically if every check holds against the state before any write;
    /// otherwise returns `conflict(key)` for a failing check and applies nothing.
    fn commit(&self, checks: &[Check], writes: &[Write]) -> Result<(), StorageError>;
}

/// The `mail` import: sends a mail to users (the platform resolves their addresses), at most
/// once per idempotency key.
pub trait Mailer: Send + Sync {
    /// Sends `mail`, one copy per recipient.
    fn send(&self, mail: &Mail) -> Result<(), MailError>;
}

/// The `notifications` import: pushes an event to users' open sessions, at least once; the
/// key identifies repeats.
pub trait Notifier: Send + Sync {
    /// Pushes `event` to `recipients`.
    fn push(&self, key: &str, recipients: &[String], event: &Event) -> Result<(), NotifyError>;
}

/// The `directory` import: the platform's orders, staff, vendors' users and the addon's
/// settings. Errors are the platform's messages.
pub trait Directory: Send + Sync {
    /// The order with this id, if any.
    fn order(&self, id: &str) -> Result<Option<Order>, String>;
    /// The store's staff accounts.
    fn staff_users(&self) -> Result<Vec<String>, String>;
    /// The accounts of a vendor's users.
    fn vendor_users(&self, vendor_id: &str) -> Result<Vec<String>, String>;
    /// The addon's settings in this store.
    fn settings(&self) -> Result<Settings, String>;
}

/// The platform's services behind the addon's imports, as one instance sees them.
#[derive(Clone, Copy)]
pub struct Imports<'a> {
    /// The `storage` import.
    pub storage: &'a dyn Storage,
    /// The `mail` import.
    pub mailer: &'a dyn Mailer,
    /// The `notifications` import.
    pub notifier: &'a dyn Notifier,
    /// The `directory` import.
    pub directory: &'a dyn Directory,
}

/// A store's state that can show the addon's imports: what [`add_to_linker`] links against.
pub trait AddonView: Send {
    /// The platform's services for this instance.
    fn imports(&mut self) -> Imports<'_>;
}

/// Links the addon's imports, for every contract version this crate serves, to `T`'s
/// [`AddonView`]. (WASI, which components also import — the wall clock, and for 0.1.0 more — is
/// linked separately; the [`Runtime`](crate::Runtime) does both.)
pub fn add_to_linker<T: AddonView + 'static>(linker: &mut Linker<T>) -> anyhow::Result<()> {
    v0_1_0::Addon::add_to_linker::<T, ImportsData>(linker, |state| state.imports())?;
    v0_2_0::storefront::order_messages::storage::add_to_linker::<T, ImportsData>(
        linker,
        |state| state.imports(),
    )?;
    v0_2_0::storefront::order_messages::types::add_to_linker::<T, ImportsData>(linker, |state| {
        state.imports()
    })?;
    v0_2_0::storefront::order_messages::mail::add_to_linker::<T, ImportsData>(linker, |state| {
        state.imports()
    })?;
    v0_2_0::storefront::order_messages::notifications::add_to_linker::<T, ImportsData>(
        linker,
        |state| state.imports(),
    )?;
    v0_2_0::storefront::order_messages::directory::add_to_linker::<T, ImportsData>(
        linker,
        |state| state.imports(),
    )?;
    Ok(())
}

/// Marks [`Imports`] as the data the generated bindings reach their traits through.
struct ImportsData;

impl HasData for ImportsData {
    type Data<'a> = Imports<'a>;
}

/// Contract 0.2.0's import traits over the platform's services: the newest types, passed
/// through. (Its `wasi:clocks/wall-clock` import is wasmtime-wasi's.)
mod glue_v0_2_0 {
    use super::Imports;
    use crate::bindings::v0_2_0::storefront::order_messages::{
        directory, mail, notifications, storage, types,
    };
    use crate::types::{
        Check, Entry, Event, Mail, MailError, NotifyError, Order, ScanPage, Settings, StorageError,
        Write,
    };

    impl storage::Host for Imports<'_> {
        fn get(&mut self, key: String) -> Result<Option<Entry>, StorageError> {
            self.storage.get(&key)
        }

        fn get_many(&mut self, keys: Vec<String>) -> Result<Vec<Option<Entry>>, StorageError> {
            self.storage.get_many(&keys)
        }

        fn scan(
            &mut self,
            prefix: String,
            start_after: Option<String>,
            limit: u32,
            reverse: bool,
        ) -> Result<ScanPage, StorageError> {
            self.storage
                .scan(&prefix, start_after.as_deref(), limit, reverse)
        }

        fn commit(&mut self, checks: Vec<Check>, writes: Vec<Write>) -> Result<(), StorageError> {
            self.storage.commit(&checks, &writes)
        }
    }

    impl types::Host for Imports<'_> {}

    impl mail::Host for Imports<'_> {
        fn send(&mut self, message: Mail) -> Result<(), MailError> {
            self.mailer.send(&message)
        }
    }

    impl notifications::Host for Imports<'_> {
        fn push(
            &mut self,
            idempotency_key: String,
            recipients: Vec<String>,
            event: Event,
        ) -> Result<(), NotifyError> {
            self.notifier.push(&idempotency_key, &recipients, &event)
        }
    }

    impl directory::Host for Imports<'_> {
        fn get_order(&mut self, id: String) -> Result<Option<Order>, String> {
            self.directory.order(&id)
        }

        fn staff_users(&mut self) -> Result<Vec<String>, String> {
            self.directory.staff_users()
        }

        fn vendor_users(&mut self, vendor: String) -> Result<Vec<String>, String> {
            self.directory.vendor_users(&vendor)
        }

        fn get_settings(&mut self) -> Result<Settings, String> {
            self.directory.settings()
        }
    }
}

/// Contract 0.1.0's import traits over the platform's services, converting (see `compat`).
mod glue_v0_1_0 {
    use super::Imports;
    use crate::bindings::v0_1_0::storefront::order_messages::{
        directory, mail, notifications, storage, types,
    };
    use crate::compat::v0_1_0::event;

    impl storage::Host for Imports<'_> {
        fn get(&mut self, key: String) -> Result<Option<storage::Entry>, storage::Error> {
            Ok(self.storage.get(&key)?.map(Into::into))
        }

        fn get_many(
            &mut self,
            keys: Vec<String>,
        ) -> Result<Vec<Option<storage::Entry>>, storage::Error> {
            let entries = self.storage.get_many(&keys)?;
            Ok(entries.into_iter().map(|e| e.map(Into::into)).collect())
        }

        /// 0.1.0 read a short page as the end of the range: keep scanning until the page is
        /// full or the store says there is no more.
        fn scan(
            &mut self,
            prefix: String,
            start_after: Option<String>,
            limit: u32,
            reverse: bool,
        ) -> Result<Vec<storage::Entry>, storage::Error> {
            let mut entries: Vec<storage::Entry> = Vec::new();
            let mut after = start_after;
            while entries.len() < limit as usize {
                let want = limit - entries.len() as u32;
                let page = self
                    .storage
                    .scan(&prefix, after.as_deref(), want, reverse)?;
                let more = page.more && !page.entries.is_empty();
                after = page.entries.last().map(|e| e.key.clone());
                entries.extend(page.entries.into_iter().map(Into::into));
                if !more {
                    break;
                }
            }
            Ok(entries)
        }

        fn commit(
            &mut self,
            checks: Vec<storage::Check>,
            writes: Vec<storage::Write>,
        ) -> Result<(), storage::Error> {
            let checks: Vec<_> = checks.into_iter().map(Into::into).collect();
            let writes: Vec<_> = writes.into_iter().map(Into::into).collect();
            Ok(self.storage.commit(&checks, &writes)?)
        }
    }

    impl types::Host for Imports<'_> {}

    impl mail::Host for Imports<'_> {
        fn send(&mut self, message: mail::Message) -> Result<(), mail::Error> {
            Ok(self.mailer.send(&message.into())?)
        }
    }

    impl notifications::Host for Imports<'_> {
        fn push(
            &mut self,
            idempotency_key: String,
            recipients: Vec<String>,
            e: notifications::Event,
        ) -> Result<(), notifications::Error> {
            let e = event(e, &recipients);
            Ok(self.notifier.push(&idempotency_key, &recipients, &e)?)
        }
    }

    impl directory::Host for Imports<'_> {
        fn get_order(&mut self, id: String) -> Result<Option<directory::Order>, String> {
            Ok(self.directory.order(&id)?.map(Into::into))
        }

        fn staff_users(&mut self) -> Result<Vec<String>, String> {
            self.directory.staff_users()
        }

        fn vendor_users(&mut self, vendor: String) -> Result<Vec<String>, String> {
            self.directory.vendor_users(&vendor)
        }

        fn get_settings(&mut self) -> Result<directory::Settings, String> {
            Ok(self.directory.settings()?.into())
        }
    }
}

// `Arc`s and references of services are services: a platform shares one pool among instances.
macro_rules! forward_through_pointers {
    ($($trait:ident { $($method:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)* })*) => {$(
        impl<S: $trait + ?Sized> $trait for std::sync::Arc<S> {
            $(fn $method(&self, $($arg: $ty),*) -> $ret { (**self).$method($($arg),*) })*
        }
        impl<S: $trait + ?Sized> $trait for &S {
            $(fn $method(&self, $($arg: $ty),*) -> $ret { (**self).$method($($arg),*) })*
        }
    )*};
}

forward_through_pointers! {
    Storage {
        get(key: &str) -> Result<Option<Entry>, StorageError>;
        get_many(keys: &[String]) -> Result<Vec<Option<Entry>>, StorageError>;
        scan(prefix: &str, start_after: Option<&str>, limit: u32, reverse: bool)
            -> Result<ScanPage, StorageError>;
        commit(checks: &[Check], writes: &[Write]) -> Result<(), StorageError>;
    }
    Mailer {
        send(mail: &Mail) -> Result<(), MailError>;
    }
    Notifier {
        push(key: &str, recipients: &[String], event: &Event) -> Result<(), NotifyError>;
    }
    Directory {
        order(id: &str) -> Result<Option<Order>, String>;
        staff_users() -> Result<Vec<String>, String>;
        vendor_users(vendor_id: &str) -> Result<Vec<String>, String>;
        settings() -> Result<Settings, String>;
    }
}
