//! The simulated hosting platform: everything the addon imports, shared by all stores of one
//! test or scenario.
//!
//! [`Host`] bundles storage, the mail and notification captures, the order directory and the
//! clock. Each part is a cheap handle (`Arc` inside): clone the `Host` freely, give it to any
//! number of [`Session`](crate::Session)s, and inspect or change it from the test while they run.

mod capture;
mod clock;
mod directory;
mod imports;
mod mail;
mod notifications;
mod storage;

use std::sync::{Arc, Mutex};

pub use clock::{Clock, DEFAULT_NOW_MILLIS};
pub use directory::Directory;
pub use mail::MailCapture;
pub use notifications::{NotificationCapture, Push};
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
type Armed = Option<(Fault, Option<u32>)>;

/// A switch that makes an import fail: for the next N calls, or until cleared.
#[derive(Clone, Debug, Default)]
pub(crate) struct FaultSwitch {
    state: Arc<Mutex<Armed>>,
}

impl FaultSwitch {
    /// Fail the next `n` calls with `fault` (replacing any earlier setting).
    pub(crate) fn fail_next(&self, n: u32, fault: Fault) {
        *self.lock() = (n > 0).then_some((fault, Some(n)));
    }

    /// Fail every call with `fault` until [`FaultSwitch::clear`].
    pub(crate) fn fail_always(&self, fault: Fault) {
        *self.lock() = Some((fault, None));
    }

    pub(crate) fn clear(&self) {
        *self.lock() = None;
    }

    /// Called once per import call: the fault to report, if any, using one up.
    pub(crate) fn trip(&self) -> Option<Fault> {
        let mut state = self.lock();
        let (fault, remaining) = (*state)?;
        match remaining {
            None => {}
            Some(n) if n <= 1 => *state = None,
            Some(n) => *state = Some((fault, Some(n - 1))),
        }
        Some(fault)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Armed> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}
