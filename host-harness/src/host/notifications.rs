//! The `notifications` import: captures every push.

use super::Fault;
use super::capture::{Capture, Outcome};
use crate::types::{Event, NotifyError};

/// One `push` call that was delivered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Push {
    /// The push's idempotency key.
    pub key: String,
    /// The users it went to.
    pub recipients: Vec<String>,
    /// What happened.
    pub event: Event,
}

/// Every push the addon made, at most once per idempotency key. Cheap to clone; clones share
/// the record.
#[derive(Clone, Debug, Default)]
pub struct NotificationCapture {
    inner: Capture<Push>,
}

impl NotificationCapture {
    /// Every push delivered so far, in order.
    pub fn pushed(&self) -> Vec<Push> {
        self.inner.all()
    }

    /// The pushes delivered since the previous `take_new` (or since the start).
    pub fn take_new(&self) -> Vec<Push> {
        self.inner.take_new()
    }

    /// The pushes delivered so far to `user_id`.
    pub fn pushed_to(&self, user_id: &str) -> Vec<Push> {
        let mut pushes = self.pushed();
        pushes.retain(|p| p.recipients.iter().any(|r| r == user_id));
        pushes
    }

    /// How many pushes were delivered.
    pub fn count(&self) -> usize {
        self.inner.len()
    }

    /// Idempotency keys pushed again after they had been delivered (each repeat listed once).
    pub fn duplicates(&self) -> Vec<String> {
        self.inner.duplicates()
    }

    /// Calls to `push`, including failed and duplicate ones.
    pub fn attempts(&self) -> u64 {
        self.inner.attempts()
    }

    /// Calls to `push` that failed by injection.
    pub fn failures(&self) -> u64 {
        self.inner.failures()
    }

    /// Makes the next `n` pushes fail (`unavailable` or `rejected`).
    pub fn fail_next(&self, n: u32, fault: Fault) {
        self.inner.faults.fail_next(n, fault);
    }

    /// Makes every push fail until [`NotificationCapture::recover`].
    pub fn fail_always(&self, fault: Fault) {
        self.inner.faults.fail_always(fault);
    }

    /// Stops injecting failures.
    pub fn recover(&self) {
        self.inner.faults.clear();
    }

    /// Forgets everything recorded, including the delivered keys.
    pub fn clear(&self) {
        self.inner.clear();
    }

    /// `notifications.push`.
    pub fn push(&self, push: Push) -> Result<(), NotifyError> {
        let key = push.key.clone();
        match self.inner.deliver(&key, push) {
            Outcome::Delivered | Outcome::Duplicate => Ok(()),
            Outcome::Failed(Fault::Unavailable) => Err(NotifyError::Unavailable(
                "injected fault: notification service unavailable".into(),
            )),
            Outcome::Failed(Fault::Rejected) => Err(NotifyError::Rejected(
                "injected fault: notification rejected".into(),
            )),
        }
    }
}
