//! The domain run natively over a platform's imports (the traits of `order-messages-host`):
//! the benchmark's baseline and a fast way to seed large data sets.
//!
//! [`Native`] has the same methods as the host library's [`Instance`] — one per export, same
//! signatures, same conversions (written once, in `adapter`) — and both implement
//! [`Operations`], generated from one list, so one workload runs through the component or
//! natively. Over the same platform both make the same storage calls and leave the same data.
//!
//! ```
//! use order_messages::native::Native;
//! use order_messages_host::types::*;
//! use order_messages_host::{AddonView, Directory, Imports, Mailer, MemoryStorage, Notifier};
//! # struct Shop(MemoryStorage);
//! # impl Mailer for Shop { fn send(&self, _: &Mail) -> Result<(), MailError> { Ok(()) } }
//! # impl Notifier for Shop {
//! #     fn push(&self, _: &str, _: &[String], _: &Event) -> Result<(), NotifyError> { Ok(()) }
//! # }
//! # impl Directory for Shop {
//! #     fn order(&self, id: &str) -> Result<Option<Order>, String> {
//! #         Ok(Some(Order::new(id, "1001", "alice", "Alice")))
//! #     }
//! #     fn staff_users(&self) -> Result<Vec<String>, String> { Ok(vec![]) }
//! #     fn vendor_users(&self, _: &str) -> Result<Vec<String>, String> { Ok(vec![]) }
//! #     fn settings(&self) -> Result<Settings, String> { Ok(Settings::default()) }
//! # }
//! # impl AddonView for Shop {
//! #     fn imports(&mut self) -> Imports<'_> {
//! #         Imports { storage: &self.0, mailer: self, notifier: self, directory: self }
//! #     }
//! # }
//! let mut native = Native::new(Shop(MemoryStorage::new()));
//! let alice = Actor::customer("alice", "Alice");
//! let posted = native.post(&alice, &PostRequest::new("o1", "Hello")).unwrap();
//! assert_eq!(posted.unwrap().seq, 1);
//! ```

use std::sync::Arc;

use order_messages_host::types::*;
use order_messages_host::{AddonView, Clock, Imports, Instance, SystemClock};

use crate::domain::model::Timestamp;
use crate::domain::outbox::{Event as DomainEvent, Mail as DomainMail};
use crate::domain::ports::{DeliveryError, StoreError};
use crate::domain::schema::Guard;
use crate::domain::{Call, Env, disputes as ddisputes, maintenance as dmaint};

// Also brings the domain's modules into scope: `domain`, `dinbox`, `dmsg`, `dfilter`, `ports`.
crate::adapter::wit_conversions!(
    order_messages_host::bindings::v0_2_0::exports::storefront::order_messages,
    order_messages_host::bindings::v0_2_0::storefront::order_messages
);

/// A platform's imports as the domain's ports.
struct Ports<'a>(Imports<'a>);

impl ports::Store for Ports<'_> {
    fn get(&self, key: &str) -> Result<Option<ports::Entry>, StoreError> {
        Ok(self.0.storage.get(key)?.map(Into::into))
    }

    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<ports::Entry>>, StoreError> {
        let entries = self.0.storage.get_many(keys)?;
        Ok(entries.into_iter().map(|e| e.map(Into::into)).collect())
    }

    fn scan(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        limit: u32,
        reverse: bool,
    ) -> Result<ports::Page, StoreError> {
        Ok(self
            .0
            .storage
            .scan(prefix, start_after, limit, reverse)?
            .into())
    }

    fn commit(&self, checks: &[ports::Check], writes: &[ports::Write]) -> Result<(), StoreError> {
        let checks: Vec<Check> = checks.iter().map(Into::into).collect();
        let writes: Vec<Write> = writes.iter().map(Into::into).collect();
        Ok(self.0.storage.commit(&checks, &writes)?)
    }
}

impl ports::Directory for Ports<'_> {
    fn order(&self, id: &str) -> Result<Option<domain::model::Order>, String> {
        Ok(self.0.directory.order(id)?.map(Into::into))
    }

    fn staff_users(&self) -> Result<Vec<String>, String> {
        self.0.directory.staff_users()
    }

    fn vendor_users(&self, vendor_id: &str) -> Result<Vec<String>, String> {
        self.0.directory.vendor_users(vendor_id)
    }

    fn settings(&self) -> Result<domain::model::Settings, String> {
        Ok(self.0.directory.settings()?.into())
    }
}

impl ports::Delivery for Ports<'_> {
    fn send_mail(&self, mail: &DomainMail) -> Result<(), DeliveryError> {
        Ok(self.0.mailer.send(&mail.into())?)
    }

    fn push(
        &self,
        key: &str,
        recipients: &[String],
        event: &DomainEvent,
    ) -> Result<(), DeliveryError> {
        Ok(self
            .0
            .notifier
            .push(key, recipients, &event.clone().into())?)
    }
}

/// The platform's clock as the domain's.
struct ClockPort<'a>(&'a dyn Clock);

impl ports::Clock for ClockPort<'_> {
    fn now(&self) -> Timestamp {
        self.0.now_millis()
    }
}

/// The domain over a platform value, called as the component's exports are. Keeps nothing
/// between calls; everything lives in the platform.
pub struct Native<T> {
    platform: T,
    clock: Arc<dyn Clock>,
}

impl<T: AddonView> Native<T> {
    /// The domain over `platform`, reading the system's time.
    pub fn new(platform: T) -> Self {
        Self::with_clock(platform, Arc::new(SystemClock))
    }

    /// The domain over `platform`, reading `clock`.
    pub fn with_clock(platform: T, clock: Arc<dyn Clock>) -> Self {
        Self { platform, clock }
    }

    /// The platform value.
    pub fn platform(&self) -> &T {
        &self.platform
    }

    /// Runs `op` as a component export does: the store guarded by the stored schema version
    /// for this call, then the operation; its result converted to the contract's types.
    fn run<R, U: Into<R>>(
        &mut self,
        op: impl FnOnce(&Env) -> domain::Result<U>,
    ) -> anyhow::Result<Result<R, Error>> {
        let clock = ClockPort(self.clock.as_ref());
        let ports = Ports(self.platform.imports());
        let store = Guard::new(&ports);
        let env = Env {
            store: &store,
            directory: &ports,
            delivery: &ports,
            clock: &clock,
        };
        Ok(op(&env).map(Into::into).map_err(Into::into))
    }

    /// Runs `op` on the platform's store without the schema guard (`migrate` handles the
    /// schema record itself).
    fn run_unguarded<R, U: Into<R>>(
        &mut self,
        op: impl FnOnce(&dyn ports::Store) -> domain::Result<U>,
    ) -> anyhow::Result<Result<R, Error>> {
        let ports = Ports(self.platform.imports());
        Ok(op(&ports).map(Into::into).map_err(Into::into))
    }

    /// [`Native::run`] on behalf of `actor`.
    fn run_as<R, U: Into<R>>(
        &mut self,
        actor: &Actor,
        op: impl FnOnce(&Call) -> domain::Result<U>,
    ) -> anyhow::Result<Result<R, Error>> {
        let actor = actor.clone().into();
        self.run(|env| op(&Call::begin(env, actor)?))
    }
}

/// Every export once: [`Native`]'s method (the domain call it makes), the [`Operations`] trait,
/// and its implementations for [`Native`] and the host library's [`Instance`].
macro_rules! operations {
    ($(
        $(#[$doc:meta])*
        fn $method:ident($($arg:ident: $ty:ty),*) -> $ret:ty
            = $how:ident |$cx:ident| $body:expr;
    )*) => {
        impl<T: AddonView> Native<T> {
            $(
                $(#[$doc])*
                pub fn $method(&mut self, $($arg: $ty),*) -> anyhow::Result<Result<$ret, Error>> {
                    operations!(@run self, $how, $cx, $body $(, $arg)*)
                }
            )*
        }

        /// The exports as one interface over the component ([`Instance`]) and the native
        /// baseline ([`Native`]): the outer error is a host-side failure (a trap, for the
        /// component), the inner one the addon's typed refusal.
        pub trait Operations {
            /// The platform the calls run against.
            type Platform;

            /// The platform value.
            fn platform(&self) -> &Self::Platform;

            $(
                $(#[$doc])*
                fn $method(&mut self, $($arg: $ty),*) -> anyhow::Result<Result<$ret, Error>>;
            )*
        }

        impl<T: AddonView> Operations for Native<T> {
            type Platform = T;

            fn platform(&self) -> &T {
                Native::platform(self)
            }

            $(
                fn $method(&mut self, $($arg: $ty),*) -> anyhow::Result<Result<$ret, Error>> {
                    Native::$method(self, $($arg),*)
                }
            )*
        }

        impl<T: AddonView + 'static> Operations for Instance<T> {
            type Platform = T;

            fn platform(&self) -> &T {
                Instance::platform(self)
            }

            $(
                fn $method(&mut self, $($arg: $ty),*) -> anyhow::Result<Result<$ret, Error>> {
                    Instance::$method(self, $($arg),*)
                }
            )*
        }
    };
    (@run $self:ident, as_actor, $cx:ident, $body:expr, $actor:ident $(, $rest:ident)*) => {
        $self.run_as($actor, |$cx| $body)
    };
    (@run $self:ident, as_host, $cx:ident, $body:expr $(, $rest:ident)*) => {
        $self.run(|$cx| $body)
    };
    (@run $self:ident, as_store, $cx:ident, $body:expr $(, $rest:ident)*) => {
        $self.run_unguarded(|$cx| $body)
    };
}

operations! {
    /// `messaging.post`.
    fn post(actor: &Actor, request: &PostRequest) -> Message
        = as_actor |call| dmsg::post(call, request.clone().into());
    /// `messaging.read-thread`.
    fn read_thread(actor: &Actor, request: &ThreadRequest) -> ThreadPage
        = as_actor |call| dmsg::read_thread(call, request.clone().into());
    /// `messaging.unread-count`.
    fn unread_count(actor: &Actor, order_id: &str) -> u32
        = as_actor |call| dmsg::unread_count(call, order_id);
    /// `messaging.mark-read`.
    fn mark_read(actor: &Actor, order_id: &str) -> ()
        = as_actor |call| dmsg::mark(call, order_id, true);
    /// `messaging.mark-unread`.
    fn mark_unread(actor: &Actor, order_id: &str) -> ()
        = as_actor |call| dmsg::mark(call, order_id, false);
    /// `inbox.list-threads`.
    fn list_threads(actor: &Actor, request: &ListRequest) -> ListPage
        = as_actor |call| dinbox::list(call, request.clone().into());
    /// `inbox.bell`.
    fn bell(actor: &Actor) -> BellCounts
        = as_actor |call| dinbox::bell(call);
    /// `inbox.mark-selected`: one batch.
    fn mark_selected(actor: &Actor, order_ids: &[String], read: bool, cursor: Option<&str>) -> BulkResult
        = as_actor |call| dinbox::mark_selected(call, order_ids, read, cursor);
    /// `inbox.mark-matching`: one batch.
    fn mark_matching(actor: &Actor, query: &Query, read: bool, cursor: Option<&str>) -> BulkResult
        = as_actor |call| dinbox::mark_matching(call, &query.clone().into(), read, cursor);
    /// `disputes.open`.
    fn open_dispute(actor: &Actor, order_id: &str, reason: &str) -> Dispute
        = as_actor |call| ddisputes::open(call, order_id, reason);
    /// `disputes.close`.
    fn close_dispute(actor: &Actor, order_id: &str, resolution: Option<&str>) -> Dispute
        = as_actor |call| ddisputes::close(call, order_id, resolution);
    /// `disputes.current`.
    fn current_dispute(actor: &Actor, order_id: &str) -> Option<Dispute>
        = as_actor |call| ddisputes::current(call, order_id).map(|d| d.map(Dispute::from));
    /// `disputes.history`.
    fn dispute_history(actor: &Actor, order_id: &str) -> Vec<Dispute>
        = as_actor |call| ddisputes::history(call, order_id)
            .map(|all| all.into_iter().map(Dispute::from).collect::<Vec<_>>());
    /// `order-filter.filter`.
    fn filter_orders(actor: &Actor, order_ids: &[String], filter: MessageFilter) -> Vec<String>
        = as_actor |call| dfilter::filter(call, order_ids, filter.into());
    /// `order-filter.list-orders`.
    fn list_orders(actor: &Actor, filter: MessageFilter, cursor: Option<&str>, limit: u32) -> OrderPage
        = as_actor |call| dfilter::list(call, filter.into(), cursor, limit);
    /// `maintenance.deliver-pending`.
    fn deliver_pending(limit: u32) -> DeliveryReport
        = as_host |env| dmaint::deliver_pending(env, limit);
    /// `maintenance.list-outbox`.
    fn list_outbox(dead: bool, cursor: Option<&str>, limit: u32) -> (Vec<OutboxEntry>, Option<String>)
        = as_host |env| dmaint::list_outbox(env, dead, cursor, limit)
            .map(|(page, next)| (page.into_iter().map(OutboxEntry::from).collect::<Vec<_>>(), next));
    /// `maintenance.verify`.
    fn verify(cursor: Option<&str>, limit: u32) -> VerifyReport
        = as_host |env| dmaint::verify(env, cursor, limit);
    /// `maintenance.migrate`.
    fn migrate(cursor: Option<&str>, limit: u32) -> MigrateReport
        = as_store |store| dmaint::migrate(store, cursor, limit);
}
