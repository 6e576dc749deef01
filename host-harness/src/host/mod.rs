//! The simulated hosting platform: everything the addon imports, shared by all stores of one
//! test or scenario.
//!
//! [`Host`] bundles storage, the mail and notification captures, the order directory and the
//! clock. Each part is a cheap handle (`Arc` inside): clone the `Host` freely, give it to any
//! number of [`Session`](crate::Session)s, and inspect or change it from the test while they run.

mod address_book;
mod capture;
mod clock;
pub mod conformance;
mod directory;
pub mod eml;
mod imports;
mod mail;
mod notifications;
mod sent_log;
mod smtp;
mod sqlite;
mod storage;

use std::sync::{Arc, Mutex};

pub use address_book::{AddressBook, DEFAULT_ADDRESS_PATTERN, USER_ID_PLACEHOLDER};
pub use capture::{Capture, Delivered, Delivery};
pub use clock::{Clock, DEFAULT_NOW_MILLIS, MAX_MILLIS, OutOfRange};
pub use directory::{DIRECTORY_SCHEMA_PART, DIRECTORY_SCHEMA_VERSION, Directory};
pub use mail::{MailCapture, MailDelivery};
pub use notifications::{NotificationCapture, Push};
pub use sent_log::{
    MAIL_SCHEMA_PART, MAIL_SCHEMA_VERSION, MemorySentLog, SentCopy, SentLog, SqliteSentLog,
};
pub use smtp::{DEFAULT_FROM, DEFAULT_SMTP_TIMEOUT, SmtpConfig, SmtpCredentials, SmtpTls};
pub use sqlite::{
    DEFAULT_BUSY_TIMEOUT, Database, ForeignDatabase, KV_SCHEMA_PART, KV_SCHEMA_VERSION,
    SqliteBackend, SqliteOptions, Synchronous,
};
pub use storage::{KvBackend, MemoryBackend, Storage, StorageStats};

/// The world state behind the addon's imports.
#[derive(Clone, Debug, Default)]
pub struct Host {
    /// The `storage` import.
    pub storage: Storage,
    /// The `mail` import: every mail sent.
    pub mail: MailCapture,
    /// The `notifications` import: every push.
    pub notifications: NotificationCapture,
    /// The `directory` import: orders, staff, vendors' users, settings.
    pub directory: Directory,
    /// The WASI wall clock the addon reads.
    pub clock: Clock,
    /// Makes a `storage` import call trap the guest mid-call, for tests of how the harness
    /// handles guest faults.
    pub traps: TrapSwitch,
}

impl Host {
    /// A host with empty in-memory storage, an empty directory with default settings, and a
    /// clock pinned to [`DEFAULT_NOW_MILLIS`].
    pub fn new() -> Self {
        Self::default()
    }

    /// The same host with another storage (for example over another [`KvBackend`]).
    pub fn with_storage(mut self, storage: Storage) -> Self {
        self.storage = storage;
        self
    }

    /// The same host with another clock (for example [`Clock::system`]).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }
}

/// Arms a trap in the next `storage` import call(s): the call does not return to the guest,
/// which traps, as when a host aborts a guest. Cheap to clone; clones share the switch.
#[derive(Clone, Debug, Default)]
pub struct TrapSwitch {
    switch: FaultSwitch,
}

impl TrapSwitch {
    /// Let `skip` storage calls through, then trap in the next one.
    pub fn trap_after(&self, skip: u32) {
        self.switch.fail_after(skip, 1, Fault::Rejected);
    }

    /// Disarm.
    pub fn clear(&self) {
        self.switch.clear();
    }

    /// Called once per storage import call: whether to trap now.
    pub(crate) fn trip(&self) -> bool {
        self.switch.trip().is_some()
    }
}

/// A kind of injected failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// A temporary failure: `unavailable` for storage, mail and notifications; an error string
    /// for the directory.
    Unavailable,
    /// A permanent failure: `rejected` for mail and notifications, `failed` for storage; an
    /// error string for the directory.
    Rejected,
}

/// An armed fault: what to report, and for how many more calls (`None`: until cleared).
/// The armed fault: which, how many calls to let through first, and how many to fail
/// (`None`: every one).
type Armed = Option<(Fault, u32, Option<u32>)>;

/// A switch that makes an import fail: for the next N calls, or until cleared.
#[derive(Clone, Debug, Default)]
pub(crate) struct FaultSwitch {
    state: Arc<Mutex<Armed>>,
}

impl FaultSwitch {
    /// Fail the next `n` calls with `fault` (replacing any earlier setting).
    pub(crate) fn fail_next(&self, n: u32, fault: Fault) {
        self.fail_after(0, n, fault);
    }

    /// Let `skip` calls through, then fail the `n` after them with `fault`.
    pub(crate) fn fail_after(&self, skip: u32, n: u32, fault: Fault) {
        *self.lock() = (n > 0).then_some((fault, skip, Some(n)));
    }

    /// Fail every call with `fault` until [`FaultSwitch::clear`].
    pub(crate) fn fail_always(&self, fault: Fault) {
        *self.lock() = Some((fault, 0, None));
    }

    pub(crate) fn clear(&self) {
        *self.lock() = None;
    }

    /// Called once per import call: the fault to report, if any, using one up.
    pub(crate) fn trip(&self) -> Option<Fault> {
        let mut state = self.lock();
        let (fault, skip, remaining) = (*state)?;
        if skip > 0 {
            *state = Some((fault, skip - 1, remaining));
            return None;
        }
        match remaining {
            None => {}
            Some(n) if n <= 1 => *state = None,
            Some(n) => *state = Some((fault, 0, Some(n - 1))),
        }
        Some(fault)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Armed> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{BellCounts, Event, Mail, MailError, MultivendorMode, NotifyError};

    fn mail(key: &str, to: &str) -> Mail {
        Mail {
            recipients: vec![to.into()],
            order_id: "o1".into(),
            subject: "New message".into(),
            text_body: "text".into(),
            html_body: "<p>text</p>".into(),
            idempotency_key: key.into(),
        }
    }

    #[test]
    fn fault_switch_counts_down_then_clears() {
        let switch = FaultSwitch::default();
        assert_eq!(switch.trip(), None);
        switch.fail_next(2, Fault::Rejected);
        assert_eq!(switch.trip(), Some(Fault::Rejected));
        assert_eq!(switch.trip(), Some(Fault::Rejected));
        assert_eq!(switch.trip(), None);
        switch.fail_always(Fault::Unavailable);
        for _ in 0..5 {
            assert_eq!(switch.trip(), Some(Fault::Unavailable));
        }
        switch.clear();
        assert_eq!(switch.trip(), None);
        switch.fail_next(0, Fault::Unavailable);
        assert_eq!(switch.trip(), None);
        switch.fail_after(2, 1, Fault::Rejected);
        assert_eq!(switch.trip(), None);
        assert_eq!(switch.trip(), None);
        assert_eq!(switch.trip(), Some(Fault::Rejected));
        assert_eq!(switch.trip(), None);
    }

    #[test]
    fn mail_is_recorded_once_per_key() {
        let host = Host::new();
        host.mail.send(mail("k1", "u1")).unwrap();
        host.mail.send(mail("k1", "u1")).unwrap();
        host.mail.send(mail("k2", "u2")).unwrap();
        assert_eq!(host.mail.count(), 2);
        assert_eq!(host.mail.duplicates(), vec!["k1"]);
        assert_eq!(host.mail.attempts(), 3);
        assert_eq!(host.mail.to("u2").len(), 1);
        assert_eq!(host.mail.take_new().len(), 2);
        assert!(host.mail.take_new().is_empty());
        // Taking does not forget the keys.
        host.mail.send(mail("k2", "u2")).unwrap();
        assert_eq!(host.mail.count(), 2);
    }

    #[test]
    fn failed_mail_is_not_recorded_and_its_retry_is() {
        let host = Host::new();
        host.mail.fail_next(1, Fault::Unavailable);
        assert!(matches!(
            host.mail.send(mail("k", "u")),
            Err(MailError::Unavailable(_))
        ));
        host.mail.fail_always(Fault::Rejected);
        assert!(matches!(
            host.mail.send(mail("k", "u")),
            Err(MailError::Rejected(_))
        ));
        host.mail.recover();
        host.mail.send(mail("k", "u")).unwrap();
        assert_eq!(host.mail.count(), 1);
        assert_eq!(host.mail.failures(), 2);
        assert!(host.mail.duplicates().is_empty());
    }

    #[test]
    fn pushes_are_recorded_once_per_key() {
        let host = Host::new();
        let push = |key: &str| Push {
            key: key.into(),
            recipients: vec!["s1".into()],
            event: Event::CountsChanged(BellCounts {
                unread_threads: 1,
                open_disputes: 0,
            }),
        };
        host.notifications.push(push("p1")).unwrap();
        host.notifications.push(push("p1")).unwrap();
        host.notifications.fail_next(1, Fault::Rejected);
        assert!(matches!(
            host.notifications.push(push("p2")),
            Err(NotifyError::Rejected(_))
        ));
        assert_eq!(host.notifications.all(), vec![push("p1")]);
        assert_eq!(host.notifications.to("s1").len(), 1);
        assert_eq!(host.notifications.duplicates(), vec!["p1"]);
        host.notifications.clear();
        assert_eq!(host.notifications.count(), 0);
    }

    #[test]
    fn directory_is_shared_and_mutable() {
        let host = Host::new();
        let view = host.clone();
        host.directory.set_mode(MultivendorMode::Warehouse);
        assert_eq!(view.directory.settings().mode, MultivendorMode::Warehouse);
        host.directory.add_vendor_user("v1", "u1");
        host.directory.add_vendor_user("v1", "u1");
        assert_eq!(view.directory.vendor_users("v1"), vec!["u1"]);
        assert!(view.directory.vendor_users("v2").is_empty());
        host.directory.fail_next(1, Fault::Unavailable);
        assert!(view.directory.injected().is_err());
        assert!(view.directory.injected().is_ok());
    }
}
