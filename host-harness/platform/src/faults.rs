//! Injected failures as a decorator: [`Faulty`] wraps any implementation of an import and makes
//! its calls fail on command, for the next N calls or until told to recover, without the
//! implementation knowing. The platform wraps every import in one; a storage backend of any
//! kind (memory, SQLite, another) gets the same switch.

use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use order_messages_host::types::{
    Check, Entry, Event, Mail, MailError, NotifyError, Order, ScanPage, Settings, StorageError,
    Write,
};
use order_messages_host::{Directory, Mailer, Notifier, Storage};

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

/// The armed fault: which, how many calls to let through first, and how many to fail
/// (`None`: every one).
type Armed = Option<(Fault, u32, Option<u32>)>;

/// A switch that makes calls fail: for the next N calls, or until cleared. Cheap to clone;
/// clones share the switch.
#[derive(Clone, Debug, Default)]
pub struct FaultSwitch {
    state: Arc<Mutex<Armed>>,
    tripped: Arc<AtomicU64>,
}

impl FaultSwitch {
    /// Fail the next `n` calls with `fault` (replacing any earlier setting).
    pub fn fail_next(&self, n: u32, fault: Fault) {
        self.fail_after(0, n, fault);
    }

    /// Let `skip` calls through, then fail the `n` after them with `fault`.
    pub fn fail_after(&self, skip: u32, n: u32, fault: Fault) {
        *self.lock() = (n > 0).then_some((fault, skip, Some(n)));
    }

    /// Fail every call with `fault` until [`FaultSwitch::recover`].
    pub fn fail_always(&self, fault: Fault) {
        *self.lock() = Some((fault, 0, None));
    }

    /// Stops injecting failures.
    pub fn recover(&self) {
        *self.lock() = None;
    }

    /// Calls that failed by injection so far.
    pub fn failures(&self) -> u64 {
        self.tripped.load(Ordering::Relaxed)
    }

    /// Called once per call: the fault to report, if any, using one up.
    pub fn trip(&self) -> Option<Fault> {
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
        self.tripped.fetch_add(1, Ordering::Relaxed);
        Some(fault)
    }

    fn lock(&self) -> MutexGuard<'_, Armed> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// An import implementation `S` behind a [`FaultSwitch`]. Derefs to `S` (and to the switch's
/// methods through [`Faulty::switch`]'s, re-exported here), so the decorated value is used as
/// the plain one.
#[derive(Clone, Debug, Default)]
pub struct Faulty<S> {
    inner: S,
    switch: FaultSwitch,
}

impl<S> Faulty<S> {
    /// `inner`, failing only when told.
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            switch: FaultSwitch::default(),
        }
    }

    /// The switch.
    pub fn switch(&self) -> &FaultSwitch {
        &self.switch
    }

    /// Fail the next `n` calls with `fault`.
    pub fn fail_next(&self, n: u32, fault: Fault) {
        self.switch.fail_next(n, fault);
    }

    /// Let `skip` calls through, then fail the `n` after them.
    pub fn fail_after(&self, skip: u32, n: u32, fault: Fault) {
        self.switch.fail_after(skip, n, fault);
    }

    /// Fail every call until [`Faulty::recover`].
    pub fn fail_always(&self, fault: Fault) {
        self.switch.fail_always(fault);
    }

    /// Stops injecting failures.
    pub fn recover(&self) {
        self.switch.recover();
    }

    /// Calls that failed by injection so far.
    pub fn failures(&self) -> u64 {
        self.switch.failures()
    }
}

impl<S> Deref for Faulty<S> {
    type Target = S;

    fn deref(&self) -> &S {
        &self.inner
    }
}

impl<S: Storage> Storage for Faulty<S> {
    fn get(&self, key: &str) -> Result<Option<Entry>, StorageError> {
        self.storage_fault()?;
        self.inner.get(key)
    }

    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Entry>>, StorageError> {
        self.storage_fault()?;
        self.inner.get_many(keys)
    }

    fn scan(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        limit: u32,
        reverse: bool,
    ) -> Result<ScanPage, StorageError> {
        self.storage_fault()?;
        self.inner.scan(prefix, start_after, limit, reverse)
    }

    fn commit(&self, checks: &[Check], writes: &[Write]) -> Result<(), StorageError> {
        self.storage_fault()?;
        self.inner.commit(checks, writes)
    }
}

impl<S> Faulty<S> {
    fn storage_fault(&self) -> Result<(), StorageError> {
        match self.switch.trip() {
            None => Ok(()),
            Some(Fault::Unavailable) => Err(StorageError::Unavailable(
                "injected fault: storage unavailable".into(),
            )),
            Some(Fault::Rejected) => Err(StorageError::Failed(
                "injected fault: storage failed".into(),
            )),
        }
    }

    fn directory_fault(&self) -> Result<(), String> {
        match self.switch.trip() {
            None => Ok(()),
            Some(Fault::Unavailable) => Err("injected fault: directory unavailable".into()),
            Some(Fault::Rejected) => Err("injected fault: directory failed".into()),
        }
    }
}

impl<S: Mailer> Mailer for Faulty<S> {
    fn send(&self, mail: &Mail) -> Result<(), MailError> {
        match self.switch.trip() {
            None => self.inner.send(mail),
            Some(Fault::Unavailable) => Err(MailError::Unavailable(
                "injected fault: mail server unavailable".into(),
            )),
            Some(Fault::Rejected) => {
                Err(MailError::Rejected("injected fault: mail rejected".into()))
            }
        }
    }
}

impl<S: Notifier> Notifier for Faulty<S> {
    fn push(&self, key: &str, recipients: &[String], event: &Event) -> Result<(), NotifyError> {
        match self.switch.trip() {
            None => self.inner.push(key, recipients, event),
            Some(Fault::Unavailable) => Err(NotifyError::Unavailable(
                "injected fault: notification service unavailable".into(),
            )),
            Some(Fault::Rejected) => Err(NotifyError::Rejected(
                "injected fault: notification rejected".into(),
            )),
        }
    }
}

impl<S: Directory> Directory for Faulty<S> {
    fn order(&self, id: &str) -> Result<Option<Order>, String> {
        self.directory_fault()?;
        Directory::order(&self.inner, id)
    }

    fn staff_users(&self) -> Result<Vec<String>, String> {
        self.directory_fault()?;
        self.inner.staff_users()
    }

    fn vendor_users(&self, vendor_id: &str) -> Result<Vec<String>, String> {
        self.directory_fault()?;
        Directory::vendor_users(&self.inner, vendor_id)
    }

    fn settings(&self) -> Result<Settings, String> {
        self.directory_fault()?;
        Directory::settings(&self.inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        switch.recover();
        assert_eq!(switch.trip(), None);
        switch.fail_next(0, Fault::Unavailable);
        assert_eq!(switch.trip(), None);
        switch.fail_after(2, 1, Fault::Rejected);
        assert_eq!(switch.trip(), None);
        assert_eq!(switch.trip(), None);
        assert_eq!(switch.trip(), Some(Fault::Rejected));
        assert_eq!(switch.trip(), None);
        assert_eq!(switch.failures(), 8);
    }
}
